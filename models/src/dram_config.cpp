#include "prunesim/models/dram_config.h"

#include "prunesim/workloads/error.h"

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
  if (name == "hbm2") {
    // One HBM2 pseudo-channel (JESD235B legacy/pseudo-channel mode): 64-bit, BL4 = 32-byte bursts,
    // 1.8 Gb/s per pin as on the Alveo U280 (14.4 GB/s per pseudo-channel, 32 of them ~ 460 GB/s).
    // Core timings are representative values of HBM2 devices, not a single datasheet: override them.
    DramTiming& t = c.timing;
    t.tck_ns = 1.111;
    t.BL = 4;
    t.CL = 14, t.CWL = 4, t.tRCD = 14, t.tRP = 14, t.tRAS = 33, t.tRC = 47;
    t.tCCD_S = 2, t.tCCD_L = 4, t.tRRD_S = 4, t.tRRD_L = 6, t.tFAW = 16;
    t.tWR = 16, t.tWTR_S = 4, t.tWTR_L = 8, t.tRTP = 5;
    t.tRFC_ns = 350.0, t.tREFI_ns = 3900.0;
    c.org.rows = 16384;
    c.org.columns = 256;  // 2 KiB page per pseudo-channel at 64 bits
    c.org.interleave_bytes = 256;
    return c;
  }
  throw InputError("ddr.preset '" + name + "': expected ddr4-2400, ddr4-3200 or hbm2");
}

const char* mapping_name(AddressMapping m) {
  switch (m) {
    case AddressMapping::RowColumnBank: return "row_column_bank";
    case AddressMapping::RowBankColumn: return "row_bank_column";
    case AddressMapping::BankGroupInterleaved: return "bank_group_interleaved";
    case AddressMapping::BankRowColumn: return "bank_row_column";
  }
  return "?";
}

const std::vector<AddressMapping>& all_mappings() {
  static const std::vector<AddressMapping> all = {
      AddressMapping::RowColumnBank, AddressMapping::RowBankColumn, AddressMapping::BankGroupInterleaved,
      AddressMapping::BankRowColumn};
  return all;
}

AddressMapping parse_mapping(const std::string& s) {
  std::string names;
  for (auto m : all_mappings()) {
    if (s == mapping_name(m)) return m;
    names += (names.empty() ? "" : ", ") + std::string(mapping_name(m));
  }
  throw InputError("ddr.mapping '" + s + "': expected one of " + names);
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
}

}  // namespace prunesim::models
