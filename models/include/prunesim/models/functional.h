#pragma once
// Functional mode (sim.functional = true): data really flows through the replayed schedule. The PE array,
// vector unit and token unit call the HLS kernels (hls/) on it, tile by tile as the tiling policy cut each
// op, with seeded random weights masked by the trace's block structure; at the end the final hidden states
// are checked against the Eigen forward pass (workloads/forward) of the same pruned model with the same token
// counts. Timing is computed exactly as without it.
//
// Scope: vision and encoder traces (pre- or post-LN layers), batch 1, dense or square 8/16/32 block masks;
// embeddings and heads (layer -1 ops) are not computed: the check starts from seeded hidden states at layer
// 0.
#include <map>
#include <string>
#include <vector>

#include "prunesim/models/tiling.h"
#include "prunesim/workloads/hf_model.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

struct FunctionalCheck {
  bool checked = false;
  bool pass = false;
  double max_rel_error = 0;  // max |sim - ref| / (1 + |ref|) over the final hidden states
  double tolerance = 1e-3;   // float kernels against the Eigen reference
  uint32_t tokens = 0;       // rows compared
};

class FunctionalModel {
 public:
  // Throws InputError when the trace is outside the supported scope.
  FunctionalModel(const workloads::Trace& trace, uint64_t seed);

  // Computes what one work item of `op` computes (called by the unit that executes it).
  void execute(const WorkItem& item, const workloads::Op& op);
  FunctionalCheck check() const;

 private:
  void gemm(const WorkItem& item, const workloads::Op& op, const workloads::RowMat& in,
            workloads::RowMat& out);
  void layer_norm(int layer, int which);

  const workloads::Trace& trace_;
  bool pre_ln_ = true;
  uint32_t heads_ = 0, head_dim_ = 0, d_model_ = 0;
  std::map<std::string, workloads::RowMat> weights_;  // masked, rows x cols as in the trace
  std::map<int, std::array<workloads::Vec, 4>> ln_;   // per layer: ln1 gamma, beta, ln2 gamma, beta
  workloads::RowMat x0_, x_, h_, qkv_, att_, out_, f_;
  std::vector<workloads::RowMat> scores_;  // per head: scaled Q K^T, then softmax probabilities
  std::vector<int> prune_layers_;
  std::vector<uint32_t> kept_;
  bool fused_ = true;
  bool started_ = false;
};

}  // namespace prunesim::models
