#pragma once
// Cycle models of the compute kernels, as functions of the same constants (trip counts, initiation
// interval, pipeline depth) the kernels are written with. The SystemC models time their work with these,
// so a change of array size or lane count moves simulation and HLS together. No SystemC in here.
#include <cstdint>

namespace prunesim {
namespace hls {

constexpr uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

enum class Dataflow { WeightStationary, OutputStationary };

// One fold of an R x C systolic array that streams `stream` vectors: fill + stream + drain, i.e.
// stream + R + C - 2 cycles, plus an R-cycle weight preload in weight-stationary unless the preload of
// the next fold is overlapped with this one (double-buffered weight registers).
constexpr uint64_t fold_cycles(Dataflow df, uint64_t stream, uint64_t R, uint64_t C, bool overlap_preload) {
  return stream + R + C - 2 + (df == Dataflow::WeightStationary && !overlap_preload ? R : 0);
}

// Dense GEMM Y[M x N] = X[M x K] W[K x N] on an R x C array: the textbook fold count.
//   weight-stationary: ceil(K/R) * ceil(N/C) folds, each streaming M rows of X;
//   output-stationary: ceil(M/R) * ceil(N/C) folds, each streaming K.
// With overlapped preload the R-cycle preload is paid once, for the first fold.
constexpr uint64_t dense_gemm_cycles(Dataflow df, uint64_t M, uint64_t K, uint64_t N, uint64_t R, uint64_t C,
                                     bool overlap_preload) {
  if (M == 0 || K == 0 || N == 0) return 0;
  const uint64_t folds =
      df == Dataflow::WeightStationary ? ceil_div(K, R) * ceil_div(N, C) : ceil_div(M, R) * ceil_div(N, C);
  const uint64_t stream = df == Dataflow::WeightStationary ? M : K;
  const uint64_t first_preload = df == Dataflow::WeightStationary && overlap_preload ? R : 0;
  return folds * fold_cycles(df, stream, R, C, overlap_preload) + first_preload;
}

// A pipelined vector kernel over `elems` elements with `lanes` lanes, `passes` passes over the data
// (softmax: max then exp-sum-normalise = 2; layernorm: statistics then normalise = 2; GELU, residual: 1),
// II = 1 and `depth` pipeline stages paid once per row group.
constexpr uint64_t vector_cycles(uint64_t rows, uint64_t cols, uint64_t lanes, uint64_t passes,
                                 uint64_t depth) {
  if (rows == 0 || cols == 0) return 0;
  return rows * passes * ceil_div(cols, lanes) + depth;
}

// Top-k over n scores with p comparators per cycle.
// Bitonic: a full sorting network on n rounded up to a power of two, log2(n)(log2(n)+1)/2 stages of n/2
// compare-exchanges, each stage ceil((n/2)/p) cycles.
inline uint64_t bitonic_topk_cycles(uint64_t n, uint64_t p) {
  if (n <= 1) return 1;
  uint64_t lg = 0;
  while ((uint64_t(1) << lg) < n) ++lg;
  const uint64_t np2 = uint64_t(1) << lg;
  return lg * (lg + 1) / 2 * ceil_div(np2 / 2, p);
}
// Quick-select: expected 2n comparisons for the partitioning passes (Hoare's FIND, expected case),
// p per cycle, plus one cycle per partition round (about log2(n) rounds) to choose the next pivot.
inline uint64_t quickselect_topk_cycles(uint64_t n, uint64_t p) {
  if (n <= 1) return 1;
  uint64_t lg = 0;
  while ((uint64_t(1) << lg) < n) ++lg;
  return ceil_div(2 * n, p) + lg;
}

}  // namespace hls
}  // namespace prunesim
