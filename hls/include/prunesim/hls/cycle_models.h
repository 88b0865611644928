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

// Systolic dataflows as SCALE-Sim v2 maps them (Samajdar et al., ISPASS 2020):
//   weight-stationary: rows map K, columns map N, the M rows of X stream;
//   output-stationary: rows map M, columns map N, K streams;
//   input-stationary:  rows map K, columns map M, the N columns of W stream.
enum class Dataflow { WeightStationary, OutputStationary, InputStationary };

// Whether the stationary operand is preloaded into the array before a fold streams (WS: weights, IS: inputs).
constexpr bool preloads(Dataflow df) {
  return df != Dataflow::OutputStationary;
}

// One fold of an R x C systolic array that streams `stream` vectors: fill + stream + drain, i.e.
// stream + R + C - 2 cycles, plus an R-cycle preload of the stationary operand (WS and IS) unless the
// preload of the next fold is overlapped with this one (double-buffered stationary registers).
constexpr uint64_t fold_cycles(Dataflow df, uint64_t stream, uint64_t R, uint64_t C, bool overlap_preload) {
  return stream + R + C - 2 + (preloads(df) && !overlap_preload ? R : 0);
}

// Folds and streamed length of a dense GEMM Y[M x N] = X[M x K] W[K x N] on an R x C array.
constexpr uint64_t dense_folds(Dataflow df, uint64_t M, uint64_t K, uint64_t N, uint64_t R, uint64_t C) {
  return df == Dataflow::WeightStationary   ? ceil_div(K, R) * ceil_div(N, C)
         : df == Dataflow::OutputStationary ? ceil_div(M, R) * ceil_div(N, C)
                                            : ceil_div(K, R) * ceil_div(M, C);
}
constexpr uint64_t dense_stream(Dataflow df, uint64_t M, uint64_t K, uint64_t N) {
  return df == Dataflow::WeightStationary ? M : df == Dataflow::OutputStationary ? K : N;
}

// Dense GEMM on an R x C array: the textbook fold count, folds x fold_cycles.
//   weight-stationary: ceil(K/R) * ceil(N/C) folds, each streaming M rows of X;
//   output-stationary: ceil(M/R) * ceil(N/C) folds, each streaming K;
//   input-stationary:  ceil(K/R) * ceil(M/C) folds, each streaming N.
// With overlapped preload the R-cycle preload is paid once, for the first fold.
constexpr uint64_t dense_gemm_cycles(Dataflow df, uint64_t M, uint64_t K, uint64_t N, uint64_t R, uint64_t C,
                                     bool overlap_preload) {
  if (M == 0 || K == 0 || N == 0) return 0;
  const uint64_t first_preload = preloads(df) && overlap_preload ? R : 0;
  return dense_folds(df, M, K, N, R, C) * fold_cycles(df, dense_stream(df, M, K, N), R, C, overlap_preload) +
         first_preload;
}

// Block PE (an MPCA-style array, Parikh et al., "Accelerating ViT Inference on FPGA through Static and
// Dynamic Pruning", 2024): a PE is a p x p MAC array that multiplies one b x b weight block against the
// m-token activation strip. The strip is cut into ceil(m/b) b x b activation blocks; each block product is
// ceil(b/p)^2 output sub-tiles of b accumulation cycles. One such "snapshot" of a b-wide strip costs
//   ceil(m/b) * ceil(b/p)^2 * b cycles.
constexpr uint64_t block_snapshot_cycles(uint64_t m, uint64_t b, uint64_t p) {
  return m == 0 ? 0 : ceil_div(m, b) * ceil_div(b, p) * ceil_div(b, p) * b;
}

// Matrix-vector lane: `width` multipliers feeding an adder tree of ceil(log2(width)) levels. A row of
// `kept` weights against one input vector takes ceil(kept / width) cycles at II = 1; the tree's latency
// is paid once per pipeline fill.
constexpr uint64_t mv_row_cycles(uint64_t kept, uint64_t width) {
  return ceil_div(kept, width);
}
constexpr uint64_t adder_tree_depth(uint64_t width) {
  uint64_t d = 0;
  while ((uint64_t(1) << d) < width) ++d;
  return d;
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
