#pragma once
// Structured and unstructured pruning masks. Without weights, masks come from a seeded generator that
// hits the target density exactly with a chosen spread across rows; with weights, from magnitudes.
#include <cstdint>
#include <string>
#include <vector>

#include "prunesim/workloads/rng.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::workloads {

enum class PruneMethod { Dense, Unstructured, Block, RowBalanced, Hierarchical, Head, Neuron, NM };
const char* method_name(PruneMethod m);

struct PruneSpec {
  PruneMethod method = PruneMethod::Dense;
  double density = 1.0;         // fraction kept (blocks, weights, heads or neurons)
  double coarse_density = 1.0;  // hierarchical: fraction of block columns kept before the fine step
  uint32_t block_rows = 1, block_cols = 1;
  uint32_t n = 2, m = 4;  // N:M keeps n of every m consecutive input weights
  bool l2 = false;        // block score: L1 (default) or L2 norm

  bool structural() const { return method == PruneMethod::Head || method == PruneMethod::Neuron; }
  std::string str() const;
};

// "dense", "unstructured:D", "block:RxC:D[:l2]", "rowbalanced:RxC:D" (alias "topk"),
// "hier:RxC:COARSE:FINE", "head:D", "neuron:D", "nm:N:M". Throws InputError naming the text.
PruneSpec parse_prune_spec(const std::string& text);

enum class Spread { Uniform, Skewed };

// Fills m.mask, m.nnz and m.bytes for a rows x cols matrix (m.rows/cols set) under `spec`.
// `weights` (rows x cols, row-major, may be null) scores the blocks; without it the seeded generator is used.
void apply_mask(Matrix& m, const PruneSpec& spec, const float* weights, Spread spread, double skew, Rng& rng);

// Per-element keep flags (rows x cols, row-major) of a matrix pruned by apply_mask with the same spec and
// weights: from the block bitmap, or for fine-grained masks recomputed from the magnitudes. Needs weights
// for unstructured and N:M masks (their traces store only counts).
std::vector<uint8_t> element_mask(const Matrix& m, const PruneSpec& spec, const float* weights);

// Number of units kept when pruning `total` units to `density`: at least one, rounded to nearest.
uint32_t kept_units(uint32_t total, double density);

}  // namespace prunesim::workloads

namespace prunesim {
// Name table (enum_names.h), defined in workloads/src/pruning.cpp.
template <>
const std::vector<EnumName<workloads::Spread>>& enum_names();
}  // namespace prunesim
