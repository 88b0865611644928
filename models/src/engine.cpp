#include "prunesim/models/engine.h"

#include "prunesim/models/param_fields.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "prunesim/common/error.h"
#include "prunesim/workloads/pruning.h"

namespace prunesim::models {

using workloads::Matrix;
using workloads::StorageFormat;

const char* pattern_name(Pattern p) {
  switch (p) {
    case Pattern::Dense: return "dense";
    case Pattern::Block: return "block";
    case Pattern::RowBalanced: return "rowbalanced";
    case Pattern::Hierarchical: return "hier";
    case Pattern::NM: return "nm";
    case Pattern::Unstructured: return "unstructured";
    case Pattern::Structural: return "head/neuron";
  }
  return "?";
}

MatrixPattern classify(const Matrix& w) {
  MatrixPattern p;
  const bool fine = w.mask.block_rows == 1 && w.mask.block_cols == 1;
  p.positions_known = w.format == StorageFormat::Dense || w.mask.has_bitmap;
  if (!w.pattern.empty()) {
    const workloads::PruneSpec s = workloads::parse_prune_spec(w.pattern);  // checked by the trace reader
    switch (s.method) {
      case workloads::PruneMethod::Dense: p.kind = Pattern::Dense; break;
      case workloads::PruneMethod::Head:
      case workloads::PruneMethod::Neuron: p.kind = Pattern::Structural; break;
      case workloads::PruneMethod::Block: p.kind = fine ? Pattern::Unstructured : Pattern::Block; break;
      case workloads::PruneMethod::RowBalanced: p.kind = Pattern::RowBalanced; break;
      case workloads::PruneMethod::Hierarchical: p.kind = Pattern::Hierarchical; break;
      case workloads::PruneMethod::Unstructured: p.kind = Pattern::Unstructured; break;
      case workloads::PruneMethod::NM:
        p.kind = Pattern::NM;
        p.n = s.n;
        p.m = s.m;
        break;
    }
    return p;
  }
  if (w.format == StorageFormat::Dense)
    p.kind = w.rows < w.dense_rows || w.cols < w.dense_cols ? Pattern::Structural : Pattern::Dense;
  else
    p.kind = fine ? Pattern::Unstructured : Pattern::Block;
  return p;
}

std::string pattern_label(const Matrix& w) {
  const MatrixPattern p = classify(w);
  switch (p.kind) {
    case Pattern::Dense:
    case Pattern::Structural:
    case Pattern::Unstructured: return pattern_name(p.kind);
    case Pattern::NM: return "nm " + std::to_string(p.n) + ":" + std::to_string(p.m);
    default:
      return std::string(pattern_name(p.kind)) + " " + std::to_string(w.mask.block_rows) + "x" +
             std::to_string(w.mask.block_cols);
  }
}

InputExtent needed_inputs(const Matrix& w, uint32_t row0, uint32_t row1, uint32_t chunk) {
  InputExtent e;
  const uint64_t K = w.cols;
  const uint64_t n_chunks = hls::ceil_div(K, chunk);
  auto chunk_width = [&](uint64_t c) { return std::min<uint64_t>(chunk, K - c * chunk); };
  if (row0 >= row1) return e;
  if (!w.mask.has_bitmap) {  // dense, or a counts-only mask whose zeros could be anywhere
    bool any = w.format == StorageFormat::Dense;
    for (uint32_t r = row0 / w.mask.block_rows; !any && r <= (row1 - 1) / w.mask.block_rows; ++r)
      any = w.mask.kept_per_row[r] > 0;
    if (any) e.chunks = n_chunks, e.elems = K;
    return e;
  }
  const workloads::BlockMask& mk = w.mask;
  const uint32_t words = mk.words_per_row();
  std::vector<uint64_t> used(words, 0);  // block columns kept by any of the rows
  for (uint32_t r = row0 / mk.block_rows; r <= (row1 - 1) / mk.block_rows; ++r)
    for (uint32_t i = 0; i < words; ++i) used[i] |= mk.bits[size_t(r) * words + i];
  const uint64_t bc = mk.block_cols;
  if (bc % chunk == 0) {  // whole chunks per block column: count widths directly
    for (uint32_t i = 0; i < words; ++i)
      for (uint64_t bits = used[i]; bits; bits &= bits - 1) {
        const uint64_t c = uint64_t(i) * 64 + uint64_t(__builtin_ctzll(bits));
        const uint64_t lo = c * bc, hi = std::min<uint64_t>(K, lo + bc);
        e.elems += hi - lo;
        e.chunks += hls::ceil_div(hi - lo, chunk);
      }
    return e;
  }
  std::vector<uint8_t> mark(n_chunks, 0);
  for (uint32_t i = 0; i < words; ++i)
    for (uint64_t bits = used[i]; bits; bits &= bits - 1) {
      const uint64_t c = uint64_t(i) * 64 + uint64_t(__builtin_ctzll(bits));
      const uint64_t lo = c * bc, hi = std::min<uint64_t>(K, lo + bc);
      for (uint64_t k = lo / chunk; k <= (hi - 1) / chunk; ++k) mark[k] = 1;
    }
  for (uint64_t k = 0; k < n_chunks; ++k)
    if (mark[k]) ++e.chunks, e.elems += chunk_width(k);
  return e;
}

ParamSpec balance_param(const std::string& help) {
  return ParamSpec::choice("balance", enum_name(BalancePolicy::Greedy),
                           {enum_name(BalancePolicy::None), enum_name(BalancePolicy::Greedy)},
                           help + ": in order, round by round (none) or longest first (greedy)");
}

BalancePolicy balance_of(const std::string& choice) {
  return parse_enum<BalancePolicy>(choice);
}

uint64_t dsps_for_macs(const PeConfig& pe, uint64_t macs, int bits) {
  if (bits <= 8) return hls::ceil_div(macs, pe.macs_per_dsp_int8);
  if (bits <= 16) return hls::ceil_div(macs, pe.macs_per_dsp_int16);
  return uint64_t(std::ceil(double(macs) * pe.dsp_per_mac_fp32));
}

uint64_t schedule_units(const std::vector<uint64_t>& work, uint64_t units, BalancePolicy policy,
                        const std::function<uint64_t(uint64_t)>& cost, double* imbalance) {
  units = std::max<uint64_t>(1, units);
  if (imbalance) *imbalance = 1.0;
  if (work.empty()) return 0;
  const uint64_t total = std::accumulate(work.begin(), work.end(), uint64_t(0));
  uint64_t cycles = 0;
  if (policy == BalancePolicy::Greedy) {
    std::vector<uint64_t> sorted = work, load(std::min<uint64_t>(units, work.size()), 0);
    std::sort(sorted.begin(), sorted.end(), std::greater<uint64_t>());
    for (uint64_t x : sorted) *std::min_element(load.begin(), load.end()) += x;
    const uint64_t max_load = *std::max_element(load.begin(), load.end());
    cycles = cost(max_load);
    const double mean = double(total) / double(load.size());
    if (imbalance) *imbalance = mean > 0 ? double(max_load) / mean : 1.0;
    return cycles;
  }
  uint64_t sum_max = 0;
  for (size_t i = 0; i < work.size(); i += units) {
    const size_t end = std::min<size_t>(work.size(), i + units);
    const uint64_t mx = *std::max_element(work.begin() + long(i), work.begin() + long(end));
    cycles += cost(mx);
    sum_max += mx * (end - i);
  }
  if (imbalance) *imbalance = total > 0 ? double(sum_max) / double(total) : 1.0;
  return cycles;
}

const EngineInfo* find_engine(const std::string& name) {
  for (const auto& e : engine_registry())
    if (e.name == name) return &e;
  return nullptr;
}

std::unique_ptr<ComputeEngine> make_engine(const HwConfig& hw) {
  const EngineInfo* e = find_engine(hw.pe.engine);
  if (!e) {
    std::string names;
    for (const auto& x : engine_registry()) names += (names.empty() ? "" : "|") + x.name;
    throw InputError("pe.engine: unknown engine '" + hw.pe.engine + "' (expected " + names + ")");
  }
  return e->create(hw);
}

// [pe]: the engine choice and the DSP packing every engine's resource estimate uses. (The systolic engine's
// own keys are in [pe] too, from its EngineInfo.)
ConfigSection pe_section() {
  std::vector<std::string> names;
  for (const auto& e : engine_registry()) names.push_back(e.name);
  ParamSpec engine = ParamSpec::choice(
      "engine", HwConfig{}.pe.engine, names,
      "compute engine timing the GEMMs (README: What each engine can skip); its own keys are in the section "
      "of its name");
  engine.bind([](const HwConfig& h) { return h.pe.engine; },
              [](HwConfig& h, const std::string& v) { h.pe.engine = v; });
  return {"pe",
          {engine,
           uint_field(
               "macs_per_dsp_int8", [](HwConfig& h) -> uint32_t& { return h.pe.macs_per_dsp_int8; }, 1, 4,
               "int8 MACs per DSP"),
           uint_field(
               "macs_per_dsp_int16", [](HwConfig& h) -> uint32_t& { return h.pe.macs_per_dsp_int16; }, 1, 2,
               "int16 MACs per DSP"),
           real_field(
               "dsp_per_mac_fp32", [](HwConfig& h) -> double& { return h.pe.dsp_per_mac_fp32; }, 0.5, 16,
               "DSPs per fp32 MAC"),
           uint_field(
               "accumulator_bits", [](HwConfig& h) -> uint32_t& { return h.pe.accumulator_bits; }, 8, 64,
               "accumulator width")},
          // The engine checks its own keys together (e.g. block_pe.pe_size <= block).
          [](const HwConfig& h) { make_engine(h); }};
}

}  // namespace prunesim::models
