#include "prunesim/models/resources.h"

#include "prunesim/models/param_fields.h"

#include <cmath>
#include <sstream>

#include "prunesim/models/engine.h"

namespace prunesim::models {

PrimitiveGeometry primitive_geometry(MemoryKind kind) {
  if (kind == MemoryKind::Uram) return {72, 4096};
  if (kind == MemoryKind::M10k) return {40, 256};
  return {72, 512};
}

uint64_t buffer_primitives(const BufferConfig& b) {
  const auto [width, depth] = primitive_geometry(b.kind);
  const uint64_t bank_bits = (b.physical_bytes() * 8 + b.banks - 1) / b.banks;
  const uint64_t per_bank_wide = (b.width_bits + width - 1) / width;
  const uint64_t rows = (bank_bits + b.width_bits - 1) / b.width_bits;
  return uint64_t(b.banks) * per_bank_wide * ((rows + depth - 1) / depth);
}

uint64_t pe_dsps(const PeConfig& pe, int bits) {
  return dsps_for_macs(pe, pe.macs(), bits);
}

ResourceUse estimate_resources(const HwConfig& hw, int weight_bits) {
  ResourceUse u;
  const auto engine = make_engine(hw);
  u.dsp = engine->dsps(weight_bits);
  u.lut = engine->luts(weight_bits);
  for (const BufferConfig* b : {&hw.act_buffer, &hw.weight_buffer, &hw.out_buffer}) {
    const uint64_t n = buffer_primitives(*b);
    if (b->kind == MemoryKind::Bram) u.bram36 += n;
    if (b->kind == MemoryKind::Uram) u.uram += n;
    if (b->kind == MemoryKind::M10k) u.m10k += n;
  }
  // Every resource that overflows, so one run tells the whole story.
  auto add = [&u](const std::string& what) {
    u.overflow += (u.fits ? "" : "; ") + what;
    u.fits = false;
  };
  auto check = [&add](const char* what, uint64_t used, uint64_t avail) {
    if (used > avail)
      add(std::string(what) + ": design needs " + std::to_string(used) + ", device has " +
          std::to_string(avail));
  };
  check("DSP", u.dsp, hw.device.dsp);
  check("BRAM36", u.bram36, hw.device.bram36);
  check("URAM288", u.uram, hw.device.uram);
  check("M10K", u.m10k, hw.device.m10k);
  check("LUT", u.lut, hw.device.lut);
  if (hw.clock.mhz > hw.device.max_clock_mhz) {
    std::ostringstream os;
    os << "clock: design asks " << hw.clock.mhz << " MHz, device allows " << hw.device.max_clock_mhz
       << " MHz";
    add(os.str());
  }
  return u;
}

// [device] and [clock]: what the fit check and the clock read.
ConfigSection device_section() {
  return {
      "device",
      {text_field(
           "part", [](HwConfig& h) -> std::string& { return h.device.part; }, "string", "FPGA part name"),
       uint_field(
           "dsp", [](HwConfig& h) -> uint32_t& { return h.device.dsp; }, 0, 100000, "DSP slices available"),
       uint_field(
           "bram36", [](HwConfig& h) -> uint32_t& { return h.device.bram36; }, 0, 100000,
           "BRAM36 blocks available"),
       uint_field(
           "uram", [](HwConfig& h) -> uint32_t& { return h.device.uram; }, 0, 100000,
           "URAM288 blocks available"),
       uint_field(
           "m10k", [](HwConfig& h) -> uint32_t& { return h.device.m10k; }, 0, 100000,
           "Intel M10K blocks available"),
       uint_field(
           "lut", [](HwConfig& h) -> uint64_t& { return h.device.lut; }, 0, 100000000, "LUTs available"),
       real_field(
           "max_clock_mhz", [](HwConfig& h) -> double& { return h.device.max_clock_mhz; }, 1, 2000,
           "fastest fabric clock"),
       uint_field(
           "slrs", [](HwConfig& h) -> uint32_t& { return h.device.slrs; }, 1, 16,
           "super logic regions (dies); 1 for a monolithic part"),
       real_field(
           "price_usd", [](HwConfig& h) -> double& { return h.device.price_usd; }, 0, 1e7,
           "price of the part or board in USD, for explore --objective cost (0: not known)"),
       real_field(
           "static_power_w", [](HwConfig& h) -> double& { return h.device.static_power_w; }, 0, 1000,
           "static power in W")},
      {}};
}

ConfigSection clock_section() {
  return {
      "clock",
      {real_field(
          "mhz", [](HwConfig& h) -> double& { return h.clock.mhz; }, 1, 2000, "accelerator clock in MHz")},
      {}};
}

}  // namespace prunesim::models
