#pragma once
// The compute units as TLM-2.0 targets. The controller writes a WorkDescriptor (payload.h) to a unit's
// command port; the unit times the work item, reads its operands from and writes its results to the on-chip
// buffers through its own initiator sockets, answers with its time as the b_transport delay and records what
// it did as a stats event on the OpStatsBoard.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <systemc>
#include <tlm>

#include "prunesim/models/engine.h"
#include "prunesim/models/hw_config.h"
#include "prunesim/models/payload.h"
#include "prunesim/models/stats.h"
#include "prunesim/models/tiling.h"

namespace prunesim::models {

// What every unit shares: the command port, the program (trace and plan) and the stats board.
class ComputeUnit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ComputeUnit> socket;  // command port
  tlm_utils::simple_initiator_socket<ComputeUnit> to_act_buffer;

 protected:
  ComputeUnit(sc_core::sc_module_name name, const workloads::Trace& trace, const WorkItems& plan,
              OpStatsBoard& stats, double cycle_ns);
  // Times one work item: its cycles (the unit's time, added to the delay by the caller) and its stats event.
  // `delay` is the initiator's local time at the start, for the unit's own buffer accesses.
  virtual uint64_t run(const WorkDescriptor& d, const WorkItem& item, const workloads::Op& op,
                       const sc_core::sc_time& delay, UnitStats& stats) = 0;
  // Cycles an access through `port` (a buffer) takes from `start`.
  template <class Socket>
  uint64_t access(Socket& port, tlm::tlm_command cmd, uint64_t addr, uint64_t bytes, uint64_t window,
                  const sc_core::sc_time& start);
  // The same on the activation buffer, from address 0.
  uint64_t act_access(tlm::tlm_command cmd, uint64_t bytes, uint64_t window, const sc_core::sc_time& start) {
    return access(to_act_buffer, cmd, 0, bytes, window, start);
  }

  const workloads::Trace& trace_;
  const WorkItems& plan_;
  double cycle_ns_;

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& tx);
  OpStatsBoard& stats_;
  WorkDescriptor last_{};  // what transport_dbg reads back: the item the unit ran last
};

// The PE array: times GEMM tiles and attention matmuls with the configured compute engine (engine.h:
// systolic, block_pe, mv, ...). It streams activations from the activation buffer at the engine's rate and
// reads its weight tile from the weight buffer; a buffer with less bandwidth than the engine needs slows it,
// and the loss is reported as port stall (as is an mv engine's own weight-buffer bound).
class PeArray : public ComputeUnit {
 public:
  tlm_utils::simple_initiator_socket<PeArray> to_weight_buffer;

  PeArray(sc_core::sc_module_name name, const ComputeEngine& engine, const workloads::Trace& trace,
          const WorkItems& plan, OpStatsBoard& stats, uint64_t act_window, uint64_t weight_slot,
          double cycle_ns);

 private:
  uint64_t run(const WorkDescriptor& d, const WorkItem& item, const workloads::Op& op,
               const sc_core::sc_time& delay, UnitStats& stats) override;
  const ComputeEngine& engine_;
  uint64_t act_window_, weight_slot_;
};

// Softmax, layernorm, GELU, residual and element-wise functions as pipelines of `lanes` lanes.
class VectorUnit : public ComputeUnit {
 public:
  VectorUnit(sc_core::sc_module_name name, const NonlinearConfig& cfg, const workloads::Trace& trace,
             const WorkItems& plan, OpStatsBoard& stats, uint64_t act_window, double cycle_ns);

 private:
  uint64_t run(const WorkDescriptor& d, const WorkItem& item, const workloads::Op& op,
               const sc_core::sc_time& delay, UnitStats& stats) override;
  NonlinearConfig cfg_;
  uint64_t act_window_;
};

// Token-pruning unit: class-attention scores averaged over heads, top-k with P comparators (quick-select or
// bitonic), then compaction of kept tokens through the activation buffer and the fused token.
class TokenUnit : public ComputeUnit {
 public:
  TokenUnit(sc_core::sc_module_name name, const TpuConfig& cfg, const NonlinearConfig& vec,
            const workloads::Trace& trace, const WorkItems& plan, OpStatsBoard& stats, uint64_t d_model,
            uint64_t act_window, double cycle_ns);

 private:
  uint64_t run(const WorkDescriptor& d, const WorkItem& item, const workloads::Op& op,
               const sc_core::sc_time& delay, UnitStats& stats) override;
  TpuConfig cfg_;
  NonlinearConfig vec_;
  uint64_t d_model_, act_window_;
};

// Cycle models used by the units above, exposed for tests and the roofline report.
uint64_t vector_op_cycles(const NonlinearConfig& cfg, const workloads::Op& op);
// The token unit's work in closed form: select (score averaging and top-k, what tpu.overlap may hide),
// the compaction copy through the activation buffer, and the fused token.
struct TokenPruneCost {
  uint64_t select_cycles = 0, compaction_cycles = 0, fused_cycles = 0;
  uint64_t total() const { return select_cycles + compaction_cycles + fused_cycles; }
};
TokenPruneCost token_prune_cost(const TpuConfig& cfg, const NonlinearConfig& vec, const BufferConfig& act,
                                uint64_t d_model, const workloads::Op& op);

}  // namespace prunesim::models
