#include "prunesim/models/gemm_timing.h"

#include <algorithm>
#include <numeric>

namespace prunesim::models {

using hls::ceil_div;

GemmTileTiming gemm_tile_cycles(const PeConfig& pe, const workloads::Matrix& w, uint64_t m, uint32_t first,
                                uint32_t last) {
  GemmTileTiming t;
  const uint64_t R = pe.rows, C = pe.cols;
  const bool ws = pe.dataflow == hls::Dataflow::WeightStationary;
  uint64_t out_rows = 0;
  for (uint32_t r = first; r < last; ++r) {
    out_rows += w.block_row_height(r);
    t.macs += m * w.nnz_in_block_row(r);
  }
  if (w.format == workloads::StorageFormat::Dense) {
    t.cycles = hls::dense_gemm_cycles(pe.dataflow, m, w.cols, out_rows, R, C, pe.overlap_preload);
    return t;
  }
  // Column groups: one block row (block_rows output features) per group.
  const uint64_t bh = w.mask.block_rows;
  const uint64_t groups = std::max<uint64_t>(1, C / bh);
  std::vector<uint64_t> work;  // input elements each block row streams
  for (uint32_t r = first; r < last; ++r) work.push_back(w.kept_cols_in_block_row(r));
  if (work.empty()) return t;
  const uint64_t total = std::accumulate(work.begin(), work.end(), uint64_t(0));
  auto fold_cost = [&](uint64_t k_len) -> uint64_t {
    // Streaming k_len of K against the group's outputs: ws folds ceil(k_len/R) each streaming m rows;
    // os folds ceil(m/R) each streaming k_len.
    if (k_len == 0) return 0;
    if (ws) return ceil_div(k_len, R) * hls::fold_cycles(pe.dataflow, m, R, C, pe.overlap_preload);
    return ceil_div(m, R) * hls::fold_cycles(pe.dataflow, k_len, R, C, false);
  };
  uint64_t max_load = 0;
  if (pe.balance == BalancePolicy::Greedy) {
    std::vector<uint64_t> sorted = work, load(groups, 0);
    std::sort(sorted.begin(), sorted.end(), std::greater<uint64_t>());
    for (uint64_t x : sorted) *std::min_element(load.begin(), load.end()) += x;
    max_load = *std::max_element(load.begin(), load.end());
    t.cycles = fold_cost(max_load);
    const double mean = double(total) / double(std::min<uint64_t>(groups, work.size()));
    t.imbalance = mean > 0 ? double(max_load) / mean : 1.0;
  } else {
    uint64_t sum_max = 0;
    for (size_t i = 0; i < work.size(); i += groups) {
      const size_t end = std::min(work.size(), i + groups);
      const uint64_t mx = *std::max_element(work.begin() + long(i), work.begin() + long(end));
      t.cycles += fold_cost(mx);
      sum_max += mx * (end - i);
    }
    t.imbalance = total > 0 ? double(sum_max) / double(total) : 1.0;
  }
  if (ws && pe.overlap_preload && t.cycles) t.cycles += R;
  return t;
}

}  // namespace prunesim::models
