#include "prunesim/models/design_fit.h"

#include <algorithm>
#include <array>

#include "prunesim/models/engine.h"
#include "prunesim/models/resources.h"

namespace prunesim::models {

namespace {

// The utilisation the fitted design stays within, per resource (see design_fit.h).
constexpr double kFitUtilisation = 0.8;
constexpr double kFitClockMhz = 300.0;
constexpr uint64_t kMinBufferBytes = 4096;
constexpr uint32_t kMinBanks = 1;

uint64_t floor_pow2(uint64_t v) {
  uint64_t p = 1;
  while (p <= v / 2) p *= 2;
  return v ? p : 0;
}

uint64_t device_count(const DeviceConfig& d, MemoryKind k) {
  return k == MemoryKind::Uram ? d.uram : k == MemoryKind::Bram ? d.bram36 : d.m10k;
}

uint64_t used_count(const ResourceUse& u, MemoryKind k) {
  return k == MemoryKind::Uram ? u.uram : k == MemoryKind::Bram ? u.bram36 : u.m10k;
}

// The memory kinds in the order a buffer prefers them; the first the device has, else the first.
MemoryKind first_present(const DeviceConfig& d, std::array<MemoryKind, 3> order) {
  for (MemoryKind k : order)
    if (device_count(d, k)) return k;
  return order[0];
}

uint64_t capacity_bytes(const DeviceConfig& d, MemoryKind k) {
  return device_count(d, k) * primitive_geometry(k).bytes();
}

// The largest power-of-two array (square, or twice as wide as tall, unless the user fixed a side) within
// the DSP budget of one SLR.
void fit_array(HwConfig& hw, bool rows_free, bool cols_free) {
  const uint64_t budget = uint64_t(kFitUtilisation * double(hw.device.dsp) / double(hw.device.slrs));
  HwConfig trial = hw;
  uint64_t best_macs = 0;
  uint32_t best_r = rows_free ? 1 : hw.pe.rows, best_c = cols_free ? 1 : hw.pe.cols;
  for (uint32_t r = 1; r <= (1u << 14); r *= 2)
    for (uint32_t c = 1; c <= (1u << 15); c *= 2) {
      const uint32_t rr = rows_free ? r : hw.pe.rows, cc = cols_free ? c : hw.pe.cols;
      if (rows_free && cols_free && (c < r || c > 2 * r)) continue;
      if (!rows_free && r > 1) continue;
      if (!cols_free && c > 1) continue;
      if (rows_free != cols_free && (rows_free ? rr > 2 * cc : cc > 2 * rr)) continue;
      trial.pe.rows = rr;
      trial.pe.cols = cc;
      if (make_engine(trial)->dsps(8) > budget) continue;
      if (trial.pe.macs() > best_macs) best_macs = trial.pe.macs(), best_r = rr, best_c = cc;
    }
  hw.pe.rows = best_r;
  hw.pe.cols = best_c;
}

struct FittedBuffer {
  BufferConfig* buffer;
  bool bytes_free, banks_free;
};

// Lets the fitted buffers give way until every memory kind is within the utilisation target (or nothing
// fitted can shrink further: the fit check then reports what overflows).
void shrink_to_fit(HwConfig& hw, const std::vector<FittedBuffer>& fitted) {
  for (int guard = 0; guard < 256; ++guard) {
    const ResourceUse u = estimate_resources(hw, 8);
    bool changed = false;
    for (MemoryKind k : {MemoryKind::Uram, MemoryKind::Bram, MemoryKind::M10k}) {
      if (double(used_count(u, k)) <= kFitUtilisation * double(device_count(hw.device, k))) continue;
      const FittedBuffer* worst = nullptr;
      uint64_t worst_n = 0;
      for (const auto& f : fitted)
        if (f.buffer->kind == k && (f.bytes_free || f.banks_free) && buffer_primitives(*f.buffer) > worst_n)
          worst = &f, worst_n = buffer_primitives(*f.buffer);
      if (!worst) continue;
      BufferConfig& b = *worst->buffer;
      BufferConfig fewer_banks = b;
      fewer_banks.banks = b.banks / 2;
      if (worst->banks_free && b.banks / 2 >= kMinBanks && buffer_primitives(fewer_banks) < worst_n) {
        b.banks /= 2;
        changed = true;
      } else if (worst->bytes_free && b.bytes / 2 >= kMinBufferBytes) {
        b.bytes /= 2;
        changed = true;
      }
    }
    if (!changed) return;
  }
}

}  // namespace

const std::vector<std::string>& fittable_design_keys() {
  static const std::vector<std::string> keys = {"clock.mhz",
                                                "pe.rows",
                                                "pe.cols",
                                                "buffer.act.kind",
                                                "buffer.act.bytes",
                                                "buffer.act.banks",
                                                "buffer.act.width_bits",
                                                "buffer.weight.kind",
                                                "buffer.weight.bytes",
                                                "buffer.weight.banks",
                                                "buffer.weight.width_bits",
                                                "buffer.out.kind",
                                                "buffer.out.bytes",
                                                "buffer.out.banks",
                                                "buffer.out.width_bits"};
  return keys;
}

std::vector<std::string> fit_design(HwConfig& hw, const std::function<bool(const std::string&)>& is_set) {
  std::vector<std::string> fitted;
  auto free_key = [&](const std::string& key) {
    if (is_set(key)) return false;
    fitted.push_back(key);
    return true;
  };
  if (free_key("clock.mhz")) hw.clock.mhz = std::min(kFitClockMhz, hw.device.max_clock_mhz);
  const bool systolic = hw.pe.engine == "systolic";
  const bool rows_free = systolic && free_key("pe.rows"), cols_free = systolic && free_key("pe.cols");
  if (rows_free || cols_free) fit_array(hw, rows_free, cols_free);

  const DeviceConfig& d = hw.device;
  const MemoryKind big = first_present(d, {MemoryKind::Uram, MemoryKind::Bram, MemoryKind::M10k});
  const MemoryKind small = first_present(d, {MemoryKind::Bram, MemoryKind::M10k, MemoryKind::Uram});
  std::vector<FittedBuffer> buffers;
  auto fit_buffer = [&](const char* name, BufferConfig& b, MemoryKind kind, uint64_t bytes) {
    const std::string base = std::string("buffer.") + name + ".";
    if (free_key(base + "kind")) b.kind = kind;
    const bool bytes_free = free_key(base + "bytes");
    if (bytes_free) b.bytes = std::max(kMinBufferBytes, bytes);
    const bool banks_free = free_key(base + "banks");
    // A bank is one primitive wide: 72 bits on BRAM36/URAM288, 40 on M10K.
    if (free_key(base + "width_bits")) b.width_bits = uint32_t(primitive_geometry(b.kind).width_bits);
    buffers.push_back({&b, bytes_free, banks_free});
  };
  const uint64_t act_bytes = floor_pow2(capacity_bytes(d, big) / 4);
  fit_buffer("act", hw.act_buffer, big, act_bytes);
  fit_buffer("weight", hw.weight_buffer, big, act_bytes / 4);
  fit_buffer("out", hw.out_buffer, small, floor_pow2(capacity_bytes(d, small) / 8));
  shrink_to_fit(hw, buffers);
  return fitted;
}

}  // namespace prunesim::models
