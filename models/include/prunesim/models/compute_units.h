#pragma once
// The compute units as TLM-2.0 targets: each receives a ComputeCmd and answers with its cycles as delay.
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "prunesim/models/engine.h"
#include "prunesim/models/hw_config.h"
#include "prunesim/models/payload.h"

namespace prunesim::models {

// The PE array: times GEMM tiles and attention matmuls with the configured compute engine (engine.h:
// systolic, block_pe, mv, ...). The activation buffer must feed the engine's activation rate; a buffer
// with less bandwidth slows the engine and the loss is reported as port stall, as is an mv engine's
// weight-buffer bound.
class PeArray : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<PeArray> socket;

  PeArray(sc_core::sc_module_name name, const ComputeEngine& engine, const BufferConfig& act,
          double cycle_ns);

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  const ComputeEngine& engine_;
  BufferConfig act_;
  double cycle_ns_;
};

// Softmax, layernorm, GELU, residual and element-wise functions as pipelines of `lanes` lanes.
class VectorUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<VectorUnit> socket;

  VectorUnit(sc_core::sc_module_name name, const NonlinearConfig& cfg, double cycle_ns);

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  NonlinearConfig cfg_;
  double cycle_ns_;
};

// Token-pruning unit: class-attention scores averaged over heads, top-k with P comparators (quick-select or
// bitonic), then compaction of kept tokens and the fused token through the activation buffer.
class TokenUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<TokenUnit> socket;

  TokenUnit(sc_core::sc_module_name name, const TpuConfig& cfg, const NonlinearConfig& vec,
            const BufferConfig& act, uint64_t d_model, double cycle_ns);

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  TpuConfig cfg_;
  NonlinearConfig vec_;
  BufferConfig act_;
  uint64_t d_model_;
  double cycle_ns_;
};

// Cycle models used by the units above, exposed for tests and the roofline report.
uint64_t vector_op_cycles(const NonlinearConfig& cfg, const workloads::Op& op);
// `hideable` (optional) receives the score-and-select part that tpu.overlap may hide.
uint64_t token_prune_cycles(const TpuConfig& cfg, const NonlinearConfig& vec, const BufferConfig& act,
                            uint64_t d_model, const workloads::Op& op, uint64_t* hideable = nullptr);

}  // namespace prunesim::models
