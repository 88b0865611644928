#include "prunesim/sim/baseline.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/sim/config.h"
#include "prunesim/workloads/text.h"

namespace prunesim::sim {

namespace {

struct NumberKey {
  const char* name;
  double Baseline::*field;
  double lo, hi;
  bool required;
};

const std::vector<NumberKey>& number_keys() {
  static const std::vector<NumberKey> keys = {
      {"peak_int8_tops", &Baseline::peak_int8_tops, 0, 1e5, true},
      {"peak_fp16_tflops", &Baseline::peak_fp16_tflops, 0, 1e5, true},
      {"peak_fp32_tflops", &Baseline::peak_fp32_tflops, 1e-6, 1e5, true},
      {"memory_gbps", &Baseline::memory_gbps, 1e-3, 1e6, true},
      {"gemm_efficiency", &Baseline::gemm_efficiency, 1e-3, 1, false},
      {"memory_efficiency", &Baseline::memory_efficiency, 1e-3, 1, false},
      {"launch_overhead_us", &Baseline::launch_overhead_us, 0, 1e6, false}};
  return keys;
}

// Peak ops/s for an op whose widest operand has `bits` bits (a missing peak falls back to the next wider).
double peak_ops(const Baseline& b, int bits) {
  if (bits <= 8 && b.peak_int8_tops > 0) return b.peak_int8_tops * 1e12;
  if (bits <= 16 && b.peak_fp16_tflops > 0) return b.peak_fp16_tflops * 1e12;
  return b.peak_fp32_tflops * 1e12;
}

}  // namespace

Baseline read_baseline(const std::string& path) {
  const IniFile ini = read_ini(path);
  auto at = [&](const std::string& key) {
    const auto it = ini.lines.find(key);
    return where(path, it == ini.lines.end() ? 0 : it->second) + ": ";
  };
  Baseline b;
  std::map<std::string, std::string*> text = {{"baseline.name", &b.name},
                                              {"baseline.kind", &b.kind},
                                              {"baseline.part", &b.part},
                                              {"baseline.source", &b.source}};
  for (const auto& entry : ini.values) {
    const std::string &key = entry.first, &value = entry.second;  // a lambda below captures key (C++17)
    if (auto t = text.find(key); t != text.end()) {
      *t->second = value;
      continue;
    }
    const auto k = std::find_if(number_keys().begin(), number_keys().end(),
                                [&](const NumberKey& n) { return key == std::string("baseline.") + n.name; });
    if (k == number_keys().end())
      throw InputError(at(key) + "unknown key '" + key +
                       "' (a baseline file has [baseline] name, kind, part, source, " +
                       "peak_int8_tops, peak_fp16_tflops, peak_fp32_tflops, memory_gbps, gemm_efficiency, " +
                       "memory_efficiency, launch_overhead_us)");
    double v = 0;
    if (!parse_finite(value, v) || v < k->lo || v > k->hi) {
      std::ostringstream os;
      os << at(key) << key << ": expected a number in [" << k->lo << ", " << k->hi << "], got '" << value
         << "'";
      throw InputError(os.str());
    }
    b.*(k->field) = v;
  }
  for (const char* key : {"baseline.name", "baseline.kind", "baseline.source"})
    if (!ini.values.count(key)) throw InputError(path + ": missing key '" + key + "'");
  for (const auto& k : number_keys())
    if (k.required && !ini.values.count(std::string("baseline.") + k.name))
      throw InputError(path + ": missing key 'baseline." + k.name + "'");
  if (b.kind != "cpu" && b.kind != "gpu")
    throw InputError(at("baseline.kind") + "baseline.kind: expected cpu or gpu, got '" + b.kind + "'");
  return b;
}

std::vector<std::string> shipped_baselines() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e :
       std::filesystem::directory_iterator(std::filesystem::path(PRUNESIM_CONFIG_DIR) / "baselines", ec))
    if (e.path().extension() == ".ini") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

BaselineEstimate estimate_baseline(const workloads::Trace& t, const Baseline& b) {
  using workloads::OpFields;
  using workloads::OpKind;
  BaselineEstimate e{b.name, b.kind};
  const double bandwidth = b.memory_gbps * 1e9 * b.memory_efficiency;
  for (const auto& op : t.ops) {
    uint64_t macs = 0;
    double bytes = double(op.ddr_read_bytes + op.ddr_write_bytes);
    int bits = op.abits;
    const double abytes = double(op.abits) / 8.0;
    const auto& info = workloads::op_kind_info(op.kind);
    if (op.kind == OpKind::Gemm) {
      const workloads::Matrix& w = t.matrix(op.weight);
      macs = op.m * w.stored_params();
      bits = std::max(bits, w.wbits);
      bytes += double(w.stored_params()) * w.wbits / 8.0 + double(op.m) * (w.cols + w.rows) * abytes;
    } else if (op.kind == OpKind::Matmul) {
      macs = uint64_t(op.count) * op.m * op.k * op.n;
      bytes += double(op.count) * double(op.m * op.k + op.k * op.n + op.m * op.n) * abytes;
    } else if (info.fields == OpFields::Rows || info.fields == OpFields::Elems ||
               info.fields == OpFields::FuncElems) {
      const double elems = info.fields == OpFields::Rows
                               ? double(op.count) * double(op.rows) * double(op.cols)
                               : double(op.elems);
      bytes += elems * (info.inputs + 1) * abytes;  // each input read once, the result written once
    }
    const double compute_s = 2.0 * double(macs) / (peak_ops(b, bits) * b.gemm_efficiency);
    const double memory_s = bytes / bandwidth;
    (compute_s >= memory_s ? e.compute_bound_ms : e.memory_bound_ms) += 1e3 * std::max(compute_s, memory_s);
    e.overhead_ms += b.launch_overhead_us * 1e-3;
    e.macs += macs;
    e.bytes += uint64_t(bytes);
  }
  e.latency_ms = e.compute_bound_ms + e.memory_bound_ms + e.overhead_ms;
  return e;
}

double fpga_speedup(const BaselineEstimate& b, double fpga_ms) {
  return fpga_ms > 0 ? b.latency_ms / fpga_ms : 0;
}

std::string speedups_text(const std::vector<BaselineEstimate>& bs, double fpga_ms) {
  std::ostringstream os;
  os << std::fixed;
  for (size_t i = 0; i < bs.size(); ++i)
    os << (i ? ", " : "") << bs[i].name << " " << std::setprecision(4) << bs[i].latency_ms << " ms (FPGA "
       << std::setprecision(2) << fpga_speedup(bs[i], fpga_ms) << "x)";
  return os.str();
}

}  // namespace prunesim::sim
