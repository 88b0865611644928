#pragma once
// DRAM configuration: JEDEC timing, organisation and controller policy. Presets follow JEDEC JESD79-4
// (DDR4) speed bins for x8 8 Gb devices; every value can be overridden key by key.
#include <cstdint>
#include <string>
#include <vector>

#include "prunesim/common/enum_names.h"

namespace prunesim::models {

struct DramTiming {
  double tck_ns = 0.833;  // DDR4-2400: 1200 MHz clock
  uint32_t CL = 16, CWL = 12, BL = 8;
  uint32_t tRCD = 16, tRP = 16, tRAS = 39, tRC = 55;
  // ACT to write (HBM2's tRCDWR, JESD235; tRCD is then its tRCDRD); 0: tRCD, as DDR4 has one ACT-to-column
  // delay.
  uint32_t tRCDWR = 0;
  uint32_t tCCD_S = 4, tCCD_L = 6, tRRD_S = 4, tRRD_L = 6, tFAW = 26;
  uint32_t tWR = 18, tWTR_S = 3, tWTR_L = 9, tRTP = 9;
  uint32_t tRTRS = 2;        // rank-to-rank data bus switch (controller setting, not JEDEC)
  double tRFC_ns = 350.0;    // 8 Gb device
  double tREFI_ns = 7800.0;  // normal temperature range
  double tRFCsb_ns = 0;      // single-bank refresh (HBM2 REFSB); 0 where the standard has none (DDR4)
  // REFSB to an ACT or REFSB of another bank (HBM2 tRREFD, JESD235); 0 where the standard has none (DDR4).
  double tRREFD_ns = 0;
};

struct DramOrg {
  uint32_t channels = 1;
  uint32_t ranks = 1;
  uint32_t bank_groups = 4;
  uint32_t banks_per_group = 4;
  uint32_t rows = 65536;             // 8 Gb x8: 64K rows
  uint32_t columns = 1024;           // per row per device
  uint32_t bus_bits = 64;            // data bus width per channel
  uint64_t interleave_bytes = 4096;  // channel interleaving granule

  uint32_t burst_bytes(uint32_t BL) const { return bus_bits / 8 * BL; }
  uint64_t channel_bytes() const {
    return uint64_t(ranks) * bank_groups * banks_per_group * rows * columns * (bus_bits / 8);
  }
};

// The row (page) policy: open keeps a row until a conflict, closed auto-precharges after every access,
// timeout precharges a row left idle for ctrl.row_timeout_ns (dram_policies.cpp).
enum class PagePolicy { Open, Closed, Timeout };
// RowColumnBank: Xilinx MIG ROW_COLUMN_BANK (PG150), bank group then bank just above the burst.
// RowBankColumn: the simple row-bank-column order (a whole row before the next bank).
// BankGroupInterleaved: row-bank-column with one bank-group bit below the column bits, so consecutive
//   bursts alternate bank groups (Versal NoC PG313's 16R-2B-1BG-7C-1BG-3C "bank group optimization").
// BankRowColumn: bank-major, for tests of one-bank patterns.
// Custom: the bit order in DramControllerConfig::mapping_bits ("R16 B2 G1 C7 G1 C3", MSB first).
enum class AddressMapping { RowColumnBank, RowBankColumn, BankGroupInterleaved, BankRowColumn, Custom };

struct DramControllerConfig {
  uint32_t read_queue = 32;
  uint32_t write_queue = 32;
  uint32_t write_high_watermark = 24;  // start draining writes at this many queued
  uint32_t write_low_watermark = 8;    // stop draining at this many
  uint32_t reorder_window = 16;        // FR-FCFS looks at the oldest N queued requests
  uint32_t max_row_hits = 16;          // cap on consecutive hits bypassing older requests
  std::string scheduler = "frfcfs";    // frfcfs | fcfs (dram_policies.cpp)
  PagePolicy page_policy = PagePolicy::Open;
  double row_timeout_ns = 50.0;      // timeout policy: idle time before an open row is precharged
  std::string refresh = "all_bank";  // all_bank | per_bank (per_bank needs tRFCsb_ns, as HBM2 has)
  AddressMapping mapping = AddressMapping::RowColumnBank;
  std::string mapping_bits;             // with mapping = Custom
  double controller_latency_ns = 30.0;  // fixed controller + PHY pipeline, each way summed
};

struct DramConfig {
  std::string preset = "ddr4-2400";
  DramTiming timing;
  DramOrg org;
  DramControllerConfig ctrl;

  // Throws InputError naming the key when a value is out of range or inconsistent.
  void validate() const;
  // A time in whole controller clocks, rounded up (a constraint of t ns is met after ceil(t / tCK) clocks).
  uint64_t ns_to_cycles(double ns) const;
  double peak_gbps_per_channel() const {
    return double(org.burst_bytes(timing.BL)) / (timing.BL / 2 * timing.tck_ns);
  }
};

// "ddr4-2400", "ddr4-3200", "hbm2" (one pseudo-channel's timing; org.channels pseudo-channels).
DramConfig dram_preset(const std::string& name);

}  // namespace prunesim::models

namespace prunesim {
// Name tables (enum_names.h), defined in models/src/dram_config.cpp.
template <>
const std::vector<EnumName<models::PagePolicy>>& enum_names();
template <>
const std::vector<EnumName<models::AddressMapping>>& enum_names();
}  // namespace prunesim
