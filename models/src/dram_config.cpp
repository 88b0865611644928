#include "prunesim/models/dram_config.h"

#include <cmath>

#include "prunesim/models/dram_policies.h"
#include "prunesim/models/param_fields.h"

#include "prunesim/common/error.h"

namespace prunesim::models {

DramConfig dram_preset(const std::string& name) {
  DramConfig c;
  c.preset = name;
  if (name == "ddr4-2400") {
    // JESD79-4 DDR4-2400R (16-16-16), x8, 8 Gb: the DramTiming defaults.
    return c;
  }
  if (name == "ddr4-3200") {
    // JESD79-4 DDR4-3200AA (22-22-22), x8, 8 Gb; ns values rounded up to whole 0.625 ns clocks.
    DramTiming& t = c.timing;
    t.tck_ns = 0.625;
    t.CL = 22, t.CWL = 16, t.tRCD = 22, t.tRP = 22, t.tRAS = 52, t.tRC = 74;
    t.tCCD_S = 4, t.tCCD_L = 8, t.tRRD_S = 4, t.tRRD_L = 8, t.tFAW = 34;
    t.tWR = 24, t.tWTR_S = 4, t.tWTR_L = 12, t.tRTP = 12;
    return c;
  }
  if (name == "ddr3-800e") {
    // JESD79-3 DDR3-800E (6-6-6), tCK 2.5 ns, 4 Gb x16 devices (8 banks, 32K rows, 1K columns: a 2 KB page),
    // as on the DE1-SoC's HPS memory (two x16 chips, 1 GB). DDR3 has no bank groups: one group of 8 banks, so
    // every _S and _L timing is the same. tRAS 37.5 ns, tRC 52.5 ns, tRRD max(4 nCK, 10 ns), tFAW 50 ns (2 KB
    // page), tWR 15 ns, tWTR and tRTP max(4 nCK, 7.5 ns), tRFC 260 ns (4 Gb); all-bank refresh only.
    DramTiming& t = c.timing;
    t.tck_ns = 2.5;
    t.CL = 6, t.CWL = 5, t.BL = 8, t.tRCD = 6, t.tRP = 6, t.tRAS = 15, t.tRC = 21;
    t.tCCD_S = 4, t.tCCD_L = 4, t.tRRD_S = 4, t.tRRD_L = 4, t.tFAW = 20;
    t.tWR = 6, t.tWTR_S = 4, t.tWTR_L = 4, t.tRTP = 4;
    t.tRFC_ns = 260.0, t.tREFI_ns = 7800.0;
    c.org.bank_groups = 1;
    c.org.banks_per_group = 8;
    c.org.rows = 32768;
    c.org.columns = 1024;
    return c;
  }
  if (name == "hbm2") {
    // One HBM2 pseudo-channel (JESD235B pseudo-channel mode), its own organisation rather than DDR4's:
    // 64-bit, BL4 = 32-byte bursts, 1.8 Gb/s per pin as on the Alveo U280 (14.4 GB/s per pseudo-channel, 32
    // of them ~ 460 GB/s). An 8 Gb channel is two 4 Gb pseudo-channels of 4 bank groups x 4 banks, 32K rows
    // and a 1 KB page (128 columns of 64 bits). Single-bank refresh (REFSB) exists: tRFCSB 160 ns beside tRFC
    // 350 ns and tREFI 3.9 us. Core timings are representative HBM2 values (as Ramulator's HBM model uses),
    // not one datasheet: override them.
    DramTiming& t = c.timing;
    t.tck_ns = 1.111;
    t.BL = 4;
    t.CL = 14, t.CWL = 4, t.tRCD = 14, t.tRP = 14, t.tRAS = 33, t.tRC = 47;
    t.tCCD_S = 2, t.tCCD_L = 4, t.tRRD_S = 4, t.tRRD_L = 6, t.tFAW = 16;
    t.tWR = 16, t.tWTR_S = 4, t.tWTR_L = 8, t.tRTP = 5;
    t.tRFC_ns = 350.0, t.tREFI_ns = 3900.0, t.tRFCsb_ns = 160.0;
    // JESD235C's HBM2 adds an ACT-to-write delay (tRCDWR, equal to tRCDRD in DRAMsim3's HBM2_8Gb_x128
    // configuration: 14 ns both) and tRREFD, the REFSB-to-ACT/REFSB spacing between banks: 8 nCK at 2 Gb/s
    // (Ramulator 2's HBM2_2Gbps preset, which cites JESD235C's tables), 8 ns here.
    t.tRCDWR = t.tRCD;
    t.tRREFD_ns = 8.0;
    c.org.rows = 32768;
    c.org.columns = 128;  // 1 KB page per pseudo-channel at 64 bits
    c.org.interleave_bytes = 256;
    return c;
  }
  throw InputError("ddr.preset '" + name + "': expected ddr4-2400, ddr4-3200, ddr3-800e or hbm2");
}

uint64_t DramConfig::ns_to_cycles(double ns) const {
  return uint64_t(std::ceil(ns / timing.tck_ns - 1e-9));
}

static bool pow2(uint64_t v) {
  return v && !(v & (v - 1));
}

void DramConfig::validate() const {
  auto fail = [](const std::string& key, const std::string& what) { throw InputError(key + ": " + what); };
  const DramTiming& t = timing;
  if (!(t.tck_ns > 0)) fail("ddr.tck_ns", "must be positive");
  if (t.BL != 4 && t.BL != 8 && t.BL != 16) fail("ddr.BL", "must be 4, 8 or 16");
  if (t.CL == 0 || t.CWL == 0 || t.tRCD == 0 || t.tRP == 0) fail("ddr.CL/CWL/tRCD/tRP", "must be positive");
  if (t.tRC < t.tRAS + t.tRP) fail("ddr.tRC", "must be at least tRAS + tRP");
  if (t.tCCD_S == 0 || t.tCCD_L < t.tCCD_S) fail("ddr.tCCD_L", "must be >= tCCD_S > 0");
  if (t.tRRD_L < t.tRRD_S) fail("ddr.tRRD_L", "must be >= tRRD_S");
  if (!(t.tREFI_ns > t.tRFC_ns) || t.tRFC_ns <= 0) fail("ddr.tREFI_ns", "must exceed tRFC_ns > 0");
  if (!pow2(org.bank_groups) || !pow2(org.banks_per_group) || !pow2(org.rows) || !pow2(org.columns) ||
      !pow2(org.ranks))
    fail("ddr.bank_groups/banks_per_group/rows/columns/ranks", "must be powers of two");
  if (org.columns < t.BL) fail("ddr.columns", "must be at least one burst");
  if (!pow2(org.bus_bits) || org.bus_bits < 8) fail("ddr.bus_bits", "must be a power of two of at least 8");
  if (org.channels == 0 || org.channels > 64) fail("ddr.channels", "must be in [1, 64]");
  if (!pow2(org.interleave_bytes) || org.interleave_bytes < org.burst_bytes(t.BL))
    fail("ddr.interleave_bytes", "must be a power of two of at least one burst");
  if (ctrl.read_queue == 0 || ctrl.write_queue == 0) fail("ddr.read_queue/write_queue", "must be positive");
  if (ctrl.write_low_watermark >= ctrl.write_high_watermark || ctrl.write_high_watermark > ctrl.write_queue)
    fail("ddr.write_high_watermark", "needs write_low_watermark < write_high_watermark <= write_queue");
  if (ctrl.reorder_window == 0) fail("ddr.reorder_window", "must be positive");
  if (ctrl.controller_latency_ns < 0) fail("ddr.controller_latency_ns", "must be >= 0");
  // The policies check what they read: a name, per-bank refresh against the standard, a bit order against
  // the organisation.
  make_scheduler(*this);
  make_row_policy(*this);
  make_refresh_policy(*this);
  mapping_order(*this);
}

// [ddr]: the DRAM timing (JEDEC), geometry and controller. `preset` is applied before every other key
// (ConfigSchema::resolve), which then override it.
ConfigSection ddr_section() {
  std::vector<ParamSpec> p;
  p.push_back(text_field(
      "preset", [](HwConfig& h) -> std::string& { return h.ddr.preset; }, "string",
      "ddr4-2400 | ddr4-3200 | ddr3-800e | hbm2: sets every timing and geometry key (channels kept); later "
      "keys override",
      [](const std::string& v) { dram_preset(v); }));
  auto t = [&p](const char* name, uint32_t DramTiming::*f, uint64_t lo, uint64_t hi, const char* help) {
    p.push_back(uint_field(
        name, [f](HwConfig& h) -> uint32_t& { return h.ddr.timing.*f; }, lo, hi, help));
  };
  t("CL", &DramTiming::CL, 1, 100, "CAS latency (tCK)");
  t("CWL", &DramTiming::CWL, 1, 100, "CAS write latency (tCK)");
  t("BL", &DramTiming::BL, 4, 16, "burst length");
  t("tRCD", &DramTiming::tRCD, 1, 200, "ACT to column command (tCK); HBM2's tRCDRD when tRCDWR is set");
  t("tRCDWR", &DramTiming::tRCDWR, 0, 200, "ACT to write command (tCK; HBM2, JESD235); 0: tRCD (DDR4)");
  t("tRP", &DramTiming::tRP, 1, 200, "PRE to ACT (tCK)");
  t("tRAS", &DramTiming::tRAS, 1, 400, "ACT to PRE (tCK)");
  t("tRC", &DramTiming::tRC, 1, 600, "ACT to ACT, same bank (tCK)");
  t("tCCD_S", &DramTiming::tCCD_S, 1, 32, "column to column, other bank group (tCK)");
  t("tCCD_L", &DramTiming::tCCD_L, 1, 32, "column to column, same bank group (tCK)");
  t("tRRD_S", &DramTiming::tRRD_S, 1, 32, "ACT to ACT, other bank group (tCK)");
  t("tRRD_L", &DramTiming::tRRD_L, 1, 32, "ACT to ACT, same bank group (tCK)");
  t("tFAW", &DramTiming::tFAW, 1, 200, "four-activate window (tCK)");
  t("tWR", &DramTiming::tWR, 1, 100, "write recovery (tCK)");
  t("tWTR_S", &DramTiming::tWTR_S, 1, 64, "write to read, other bank group (tCK)");
  t("tWTR_L", &DramTiming::tWTR_L, 1, 64, "write to read, same bank group (tCK)");
  t("tRTP", &DramTiming::tRTP, 1, 64, "read to precharge (tCK)");
  t("tRTRS", &DramTiming::tRTRS, 0, 16, "rank-to-rank switch (tCK)");
  auto ns = [&p](const char* name, double DramTiming::*f, double lo, double hi, const char* help) {
    p.push_back(real_field(
        name, [f](HwConfig& h) -> double& { return h.ddr.timing.*f; }, lo, hi, help));
  };
  ns("tck_ns", &DramTiming::tck_ns, 0.1, 10, "clock period (ns)");
  ns("tRFC_ns", &DramTiming::tRFC_ns, 1, 10000, "refresh cycle time (ns)");
  ns("tREFI_ns", &DramTiming::tREFI_ns, 100, 100000, "refresh interval (ns)");
  ns("tRREFD_ns", &DramTiming::tRREFD_ns, 0, 1000,
     "per-bank refresh: REFSB to an ACT or REFSB of another bank (ns; HBM2 tRREFD, JESD235); 0: none");
  auto o = [&p](const char* name, uint32_t DramOrg::*f, uint64_t lo, uint64_t hi, const char* help) {
    p.push_back(uint_field(
        name, [f](HwConfig& h) -> uint32_t& { return h.ddr.org.*f; }, lo, hi, help));
  };
  o("channels", &DramOrg::channels, 1, 64, "independent channels (HBM2: pseudo-channels)");
  o("ranks", &DramOrg::ranks, 1, 8, "ranks per channel");
  o("bank_groups", &DramOrg::bank_groups, 1, 16, "bank groups");
  o("banks_per_group", &DramOrg::banks_per_group, 1, 16, "banks per bank group");
  o("rows", &DramOrg::rows, 1024, 1u << 20, "rows per bank");
  o("columns", &DramOrg::columns, 64, 16384, "columns per row");
  o("bus_bits", &DramOrg::bus_bits, 8, 1024, "data bus width per channel");
  p.push_back(uint_field(
      "interleave_bytes", [](HwConfig& h) -> uint64_t& { return h.ddr.org.interleave_bytes; }, 32,
      uint64_t(1) << 30, "channel interleave granule in bytes"));
  auto c = [&p](const char* name, uint32_t DramControllerConfig::*f, uint64_t lo, uint64_t hi,
                const char* help) {
    p.push_back(uint_field(
        name, [f](HwConfig& h) -> uint32_t& { return h.ddr.ctrl.*f; }, lo, hi, help));
  };
  c("read_queue", &DramControllerConfig::read_queue, 1, 1024, "read queue entries");
  c("write_queue", &DramControllerConfig::write_queue, 1, 1024, "write queue entries");
  c("write_high_watermark", &DramControllerConfig::write_high_watermark, 1, 1024,
    "start draining writes at this many");
  c("write_low_watermark", &DramControllerConfig::write_low_watermark, 0, 1024,
    "stop draining writes at this many");
  for (auto& spec : dram_policy_params()) p.push_back(std::move(spec));  // scheduler, row, refresh, mapping
  p.push_back(real_field(
      "controller_latency_ns", [](HwConfig& h) -> double& { return h.ddr.ctrl.controller_latency_ns; }, 0,
      1000, "fixed controller + PHY latency (ns)"));
  return {"ddr", std::move(p), [](const HwConfig& h) { h.ddr.validate(); }};
}

}  // namespace prunesim::models

namespace prunesim {
using models::AddressMapping;
using models::PagePolicy;
template <>
const std::vector<EnumName<PagePolicy>>& enum_names() {
  static const std::vector<EnumName<PagePolicy>> t = {
      {PagePolicy::Open, "open"}, {PagePolicy::Closed, "closed"}, {PagePolicy::Timeout, "timeout"}};
  return t;
}
// In the order --help-config lists them.
template <>
const std::vector<EnumName<AddressMapping>>& enum_names() {
  static const std::vector<EnumName<AddressMapping>> t = {
      {AddressMapping::RowColumnBank, "row_column_bank"},
      {AddressMapping::RowBankColumn, "row_bank_column"},
      {AddressMapping::BankGroupInterleaved, "bank_group_interleaved"},
      {AddressMapping::BankRowColumn, "bank_row_column"},
      {AddressMapping::Custom, "custom"}};
  return t;
}
}  // namespace prunesim
