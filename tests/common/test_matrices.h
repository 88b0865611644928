#pragma once
// Pruned weight matrices for the timing tests, from the compressor's own mask generator (seed 3).
#include <string>

#include "prunesim/workloads/pruning.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::test {

// An n_out x k_in matrix pruned by `spec` ("dense", "block:16x16:0.5", "unstructured:0.2", ...), in the
// format the compressor would pick, with its pattern recorded.
inline workloads::Matrix pruned_matrix(uint32_t n_out, uint32_t k_in, const std::string& spec,
                                       workloads::Spread spread = workloads::Spread::Uniform) {
  using namespace workloads;
  Matrix m;
  m.name = "w";
  m.rows = m.dense_rows = n_out;
  m.cols = m.dense_cols = k_in;
  const PruneSpec s = parse_prune_spec(spec);
  const bool fine = s.method == PruneMethod::Unstructured || s.method == PruneMethod::NM;
  m.format = s.method == PruneMethod::Dense ? StorageFormat::Dense
             : fine                         ? StorageFormat::Csr
                                            : StorageFormat::Bcsr;
  Rng rng(3);
  apply_mask(m, s, nullptr, spread, 1.5, rng);
  if (s.method != PruneMethod::Dense) m.pattern = s.str();
  return m;
}

}  // namespace prunesim::test
