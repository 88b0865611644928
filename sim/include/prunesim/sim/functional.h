#pragma once
// Functional mode (sim.functional = true): data really flows through the replayed schedule. The model
// observes the controller's schedule (models::ScheduleObserver: each work item as it executes) and runs the
// HLS kernels (hls/) on it, tile by tile as the tiling policy cut each op; the timing units know nothing of
// it. It dispatches on the ops' roles (workloads::OpRole), not their names. At the end the final hidden
// states are checked against the compressor's Eigen forward pass of the same pruned (and quantized) model
// with the same token counts. Timing is computed exactly as without it.
//
// Numbers (sim.functional_numbers): int8 runs the integer datapath (int8 operands, int32 accumulation,
// per-channel requantization, integer softmax / layernorm / GELU / residual, GRU gates through tables; see
// workloads/quant_model.h) and must match workloads::forward_int (gru_forward_int) bit for bit; float runs
// the float kernels and must match workloads::forward (gru_forward) within a relative tolerance. auto: int8
// when the trace's weights are integers of at most 8 bits and its activations 8 bits (softmax 8 or 16),
// float otherwise.
//
// Weights: the trace's weights file when it names one (compress --write-weights), else seeded random values
// masked by the trace's block structure. Inputs: seeded N(0, 1) hidden states entering layer 0 (embeddings
// and heads, the layer -1 ops, are not computed). Covers vision, encoder and decoder traces (prefill and
// decode steps with the KV cache) and GRU traces, any batch.
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "prunesim/models/hw_config.h"
#include "prunesim/models/param_fields.h"
#include "prunesim/models/schedule_observer.h"
#include "prunesim/models/tiling.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::sim {

using models::FunctionalNumbers;

struct FunctionalCheck {
  bool checked = false;
  bool pass = false;
  std::string numbers;    // float or int8
  std::string weights;    // "seeded" or the weights file
  uint32_t tokens = 0;    // rows compared (all samples, all steps)
  uint64_t elements = 0;  // values compared
  // float: max |sim - ref| / (1 + |ref|) against the float reference, which must stay within the tolerance.
  double max_rel_error = 0;
  double tolerance = 1e-3;
  // int8: values that differ from the integer reference (must be 0) and the largest difference in LSBs.
  uint64_t mismatches = 0;
  int max_abs_diff = 0;
  // int8: what quantization costs, ||dequantized output - float reference|| / ||float reference|| (over the
  // class token's row when token pruning is on: int8 may keep other tokens than float).
  double quant_rel_error = 0;
  std::string failure;  // why the comparison could not be made (empty when it was)
};

// One kernel call as a functional run made it: operands and results (row-major; every int8, int32 and float
// value is exact as a double), shapes and constants. `prunesim hls export` turns them into golden vectors.
struct KernelCall {
  std::string where;  // the op and layer it computed
  std::map<std::string, std::vector<double>> arrays;
  std::map<std::string, int64_t> scalars;
};
// By kernel: gemm_dense, gemm_sparse, softmax, layernorm, topk, gru_cell (the first call of each).
using KernelCalls = std::map<std::string, KernelCall>;

class FunctionalModel : public models::ScheduleObserver {
 public:
  // Throws InputError when the trace is outside the supported scope or its weights file does not match.
  FunctionalModel(const workloads::Trace& trace, uint64_t seed,
                  FunctionalNumbers numbers = FunctionalNumbers::Auto);
  ~FunctionalModel() override;

  // Computes what one work item of `op` computes.
  void execute(const models::WorkItem& item, const workloads::Op& op);
  void executed(const models::WorkItem& item, const workloads::Op& op) override { execute(item, op); }
  // Ends the run and compares with the reference.
  FunctionalCheck check();
  // Records the first call of each kernel from now on into *calls (the GEMM tiles trimmed to their first
  // rows; their outputs stay exact).
  void capture(KernelCalls* calls);

  // The number system `requested` resolves to for this trace (Auto: see above); InputError when int8 is
  // requested for a trace it cannot run.
  static FunctionalNumbers resolve(const workloads::Trace& trace, FunctionalNumbers requested);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// sim.functional, sim.functional_seed, sim.functional_numbers: the keys the functional check reads.
models::ConfigSection functional_section();

}  // namespace prunesim::sim
