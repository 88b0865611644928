#include "prunesim/models/compute_units.h"

#include "prunesim/models/param_fields.h"

#include <algorithm>
#include <cmath>

#include "prunesim/hls/cycle_models.h"
#include "prunesim/hls/nonlinear.h"  // pass counts of the kernels the vector unit runs
#include "prunesim/models/buffer.h"
#include "prunesim/models/sc_util.h"

namespace prunesim::models {

using workloads::Op;
using workloads::OpKind;

uint64_t vector_op_cycles(const NonlinearConfig& cfg, const Op& op) {
  const workloads::OpKindInfo& k = workloads::op_kind_info(op.kind);
  if (k.unit != workloads::OpUnit::Vector) return 0;
  if (k.fields == workloads::OpFields::Rows)
    return hls::vector_cycles(uint64_t(op.count) * op.rows, op.cols, cfg.lanes, k.passes, cfg.depth);
  return hls::vector_cycles(1, op.elems, cfg.lanes, k.passes, cfg.depth);
}

namespace {
// Class-attention score per token averaged over heads (heads x (n-1) adds on the vector lanes), then top-k.
uint64_t select_cycles(const TpuConfig& cfg, const NonlinearConfig& vec, uint32_t heads, uint64_t n) {
  return hls::ceil_div(uint64_t(heads) * (n - 1), vec.lanes) +
         (cfg.algorithm == TopkAlgorithm::Bitonic ? hls::bitonic_topk_cycles(n - 1, cfg.comparators)
                                                  : hls::quickselect_topk_cycles(n - 1, cfg.comparators));
}
// Fused token: attention-weighted sum of the dropped tokens, one MAC per element per lane.
uint64_t fused_cycles(const NonlinearConfig& vec, const Op& op, uint64_t n, uint64_t kept, uint64_t d_model) {
  return op.fused && n > kept ? hls::ceil_div((n - kept) * d_model, vec.lanes) : 0;
}
}  // namespace

TokenPruneCost token_prune_cost(const TpuConfig& cfg, const NonlinearConfig& vec, const BufferConfig& act,
                                uint64_t d_model, const Op& op) {
  TokenPruneCost c;
  for (size_t s = 0; s < op.tokens_in.size(); ++s) {
    const uint64_t n = op.tokens_in[s], kept = op.tokens_kept[s];
    c.select_cycles += select_cycles(cfg, vec, op.heads, n);
    // Compaction: kept tokens copied through the activation buffer at its bandwidth.
    c.compaction_cycles += uint64_t(std::ceil(double(kept * d_model) / act.bytes_per_cycle()));
    c.fused_cycles += fused_cycles(vec, op, n, kept, d_model);
  }
  return c;
}

// ---------------------------------------------------------------- the unit frame

ComputeUnit::ComputeUnit(sc_core::sc_module_name name, const workloads::Trace& trace, const WorkItems& plan,
                         OpStatsBoard& stats, double cycle_ns)
    : sc_module(name),
      socket("socket"),
      to_act_buffer("to_act_buffer"),
      trace_(trace),
      plan_(plan),
      cycle_ns_(cycle_ns),
      stats_(stats) {
  socket.register_b_transport(this, &ComputeUnit::b_transport);
  socket.register_transport_dbg(this, &ComputeUnit::transport_dbg);
}

void ComputeUnit::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const WorkDescriptor* d = descriptor_of<WorkDescriptor>(tx);
  if (!d) return;
  const WorkItem* held = plan_.find(d->item);
  if (!held) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  last_ = *d;
  const WorkItem& item = *held;
  UnitStats s;
  const uint64_t cycles = run(*d, item, trace_.ops[item.op], delay, s);
  stats_.record(item.op, s);
  delay += cycles_to_time(cycles, cycle_ns_);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int ComputeUnit::transport_dbg(tlm::tlm_generic_payload& tx) {
  // Reads back the descriptor of the item the unit ran last (what a debugger sees in its command register).
  if (!tx.is_read() || tx.get_address() != 0 || !tx.get_data_ptr()) return 0;
  const unsigned n = std::min<unsigned>(tx.get_data_length(), sizeof(last_));
  std::copy_n(reinterpret_cast<const unsigned char*>(&last_), n, tx.get_data_ptr());
  return n;
}

template <class Socket>
uint64_t ComputeUnit::access(Socket& port, tlm::tlm_command cmd, uint64_t addr, uint64_t bytes,
                             uint64_t window, const sc_core::sc_time& start) {
  sc_core::sc_time t = start;
  buffer_access(port, cmd, addr, bytes, window, t);
  return time_to_cycles(t - start, cycle_ns_);
}

// ---------------------------------------------------------------- PE array

PeArray::PeArray(sc_core::sc_module_name name, const ComputeEngine& engine, const workloads::Trace& trace,
                 const WorkItems& plan, OpStatsBoard& stats, uint64_t act_window, uint64_t weight_slot,
                 double cycle_ns)
    : ComputeUnit(name, trace, plan, stats, cycle_ns),
      to_weight_buffer("to_weight_buffer"),
      engine_(engine),
      act_window_(act_window),
      weight_slot_(weight_slot) {}

uint64_t PeArray::run(const WorkDescriptor&, const WorkItem& item, const Op& op,
                      const sc_core::sc_time& delay, UnitStats& s) {
  GemmCost c;
  uint64_t reuse = 1, x_bytes = 0;
  if (op.kind == OpKind::Gemm) {
    const workloads::Matrix& w = trace_.matrices.at(op.weight);
    c = engine_.gemm(w, item.m, item.first, item.last);
    reuse = engine_.activation_reuse(w);
    uint64_t out_rows = 0;
    for (uint32_t r = item.first; r < item.last; ++r) out_rows += w.block_row_height(r);
    s.onchip_write_bytes = bytes_of_bits(item.m * out_rows, op.abits);
    s.weights.kept = item.m ? c.macs / item.m : 0;
    x_bytes = bytes_of_bits(item.m * op.k, op.abits);
  } else {
    c = engine_.matmul(op);
    reuse = engine_.matmul_reuse(op);
    s.onchip_write_bytes = bytes_of_bits(uint64_t(op.count) * op.m * op.n, op.abits);
    s.weights.kept = c.stored_weights;
    x_bytes = bytes_of_bits(uint64_t(op.count) * op.m * op.k, op.abits);
  }
  uint64_t cycles = c.cycles;
  s.macs = c.macs;
  s.imbalance = c.imbalance;
  s.preload_saved_cycles = c.preload_saved_cycles;
  s.weights.stored = c.stored_weights;
  s.weights.issued = c.issued_weights;
  s.issued_macs = op.kind == OpKind::Gemm ? item.m * c.issued_weights : c.macs;
  s.stall_ports = c.bandwidth_stall_cycles;
  s.stall_weight_banks = c.bank_conflict_cycles;
  s.bank_conflicts_avoided = c.bank_conflicts_avoided_cycles;
  s.bank_conflicts_avoidable = c.bank_conflicts_avoidable_cycles;
  // Each activation read from the buffer feeds `reuse` MACs.
  s.onchip_read_bytes = bytes_of_bits(s.macs / std::max<uint64_t>(1, reuse), op.abits);
  if (item.last_of_op && cycles) cycles += engine_.drain_cycles();  // once per op
  if (cycles) {
    // The activation feeders pull the engine's rate for as long as it works, re-streaming the resident
    // operand tile fold after fold; the weight tile is read from its slot; results go back to the activation
    // buffer. Each runs alongside the compute; a port slower than the engine holds it up.
    const uint64_t feed =
        uint64_t(std::ceil(double(cycles) * engine_.act_values_per_cycle() * std::ceil(op.abits / 8.0)));
    uint64_t port = act_access(tlm::TLM_READ_COMMAND, feed, std::min(x_bytes, act_window_), delay);
    port = std::max(port, act_access(tlm::TLM_WRITE_COMMAND, s.onchip_write_bytes, act_window_, delay));
    if (item.weight_bytes)
      port = std::max(port, access(to_weight_buffer, tlm::TLM_READ_COMMAND, item.weight_buffer_addr,
                                   item.weight_bytes, weight_slot_, delay));
    if (port > cycles) s.stall_ports += port - cycles, cycles = port;
  }
  s.busy_cycles = cycles;
  return cycles;
}

// ---------------------------------------------------------------- vector unit

VectorUnit::VectorUnit(sc_core::sc_module_name name, const NonlinearConfig& cfg,
                       const workloads::Trace& trace, const WorkItems& plan, OpStatsBoard& stats,
                       uint64_t act_window, double cycle_ns)
    : ComputeUnit(name, trace, plan, stats, cycle_ns), cfg_(cfg), act_window_(act_window) {}

uint64_t VectorUnit::run(const WorkDescriptor& d, const WorkItem&, const Op& op,
                         const sc_core::sc_time& delay, UnitStats& s) {
  uint64_t cycles = vector_op_cycles(cfg_, op);
  const uint64_t elems = op.elems ? op.elems : uint64_t(op.count) * op.rows * op.cols;
  s.vector_ops = elems;
  const workloads::OpKindInfo& kind = workloads::op_kind_info(op.kind);
  s.onchip_read_bytes = bytes_of_bits(elems * kind.passes * kind.inputs, op.abits);
  s.onchip_write_bytes = bytes_of_bits(elems, op.abits);
  // Each pass streams its rows from the activation buffer and the results go back, alongside the lanes.
  const uint64_t port =
      std::max(act_access(tlm::TLM_READ_COMMAND, s.onchip_read_bytes, act_window_, delay),
               act_access(tlm::TLM_WRITE_COMMAND, s.onchip_write_bytes, act_window_, delay));
  if (port > cycles) s.stall_ports = port - cycles, cycles = port;
  s.busy_cycles = cycles;
  if (d.may_overlap && op.kind == OpKind::Softmax) {
    // Row r of the scores is softmaxed while QK^T computes row r+1: the matmul covers the softmax up to
    // its own length; the last row's passes and the pipeline are always exposed.
    const uint64_t last_row = hls::vector_cycles(1, op.cols, cfg_.lanes, hls::kSoftmaxPasses, cfg_.depth);
    const uint64_t beyond = cycles > d.overlap_window ? cycles - d.overlap_window : 0;
    const uint64_t exposed = std::min(cycles, std::max(beyond, last_row));
    s.hidden_cycles = cycles - exposed;
    return exposed;
  }
  return cycles;
}

// ---------------------------------------------------------------- token unit

TokenUnit::TokenUnit(sc_core::sc_module_name name, const TpuConfig& cfg, const NonlinearConfig& vec,
                     const workloads::Trace& trace, const WorkItems& plan, OpStatsBoard& stats,
                     uint64_t d_model, uint64_t act_window, double cycle_ns)
    : ComputeUnit(name, trace, plan, stats, cycle_ns),
      cfg_(cfg),
      vec_(vec),
      d_model_(d_model),
      act_window_(act_window) {}

uint64_t TokenUnit::run(const WorkDescriptor& d, const WorkItem&, const Op& op, const sc_core::sc_time& delay,
                        UnitStats& s) {
  uint64_t select = 0, rest = 0, moved = 0;
  sc_core::sc_time t = delay;
  for (size_t i = 0; i < op.tokens_in.size(); ++i) {
    const uint64_t n = op.tokens_in[i], kept = op.tokens_kept[i];
    const uint64_t sel = select_cycles(cfg_, vec_, op.heads, n);
    select += sel;
    t += cycles_to_time(sel, cycle_ns_);
    // Compaction: the kept tokens copied through the activation buffer (read and write side by side).
    const uint64_t copy = std::max(act_access(tlm::TLM_READ_COMMAND, kept * d_model_, act_window_, t),
                                   act_access(tlm::TLM_WRITE_COMMAND, kept * d_model_, act_window_, t));
    const uint64_t tail = copy + fused_cycles(vec_, op, n, kept, d_model_);
    rest += tail;
    t += cycles_to_time(tail, cycle_ns_);
    moved += kept * d_model_;
  }
  s.onchip_read_bytes = bytes_of_bits(moved, op.abits);
  s.onchip_write_bytes = bytes_of_bits(moved, op.abits);
  const uint64_t cycles = select + rest;
  s.busy_cycles = cycles;
  uint64_t exposed = cycles;
  if (d.may_overlap) {
    // The unit began scoring when the layer's softmax finished; only what A*V, the projection and the
    // residual did not cover is still to wait for.
    exposed = rest + (select > d.overlap_window ? select - d.overlap_window : 0);
  }
  s.stall_token_unit = exposed;
  return exposed;
}

// [tpu] and [nonlinear]: the token unit's and the vector unit's.
ConfigSection tpu_section() {
  return {"tpu",
          {uint_field(
               "comparators", [](HwConfig& h) -> uint32_t& { return h.tpu.comparators; }, 1, 4096,
               "compare-exchange units"),
           enum_field<TopkAlgorithm>(
               "algorithm", [](HwConfig& h) -> TopkAlgorithm& { return h.tpu.algorithm; }, "top-k algorithm"),
           flag_field(
               "overlap", [](HwConfig& h) -> bool& { return h.tpu.overlap; },
               "hide score averaging and top-k behind A*V, projection and residual")},
          {}};
}

ConfigSection nonlinear_section() {
  return {"nonlinear",
          {uint_field(
               "lanes", [](HwConfig& h) -> uint32_t& { return h.nonlinear.lanes; }, 1, 4096, "vector lanes"),
           uint_field(
               "depth", [](HwConfig& h) -> uint32_t& { return h.nonlinear.depth; }, 0, 256, "pipeline depth"),
           flag_field(
               "softmax_overlap", [](HwConfig& h) -> bool& { return h.nonlinear.softmax_overlap; },
               "softmax streams behind the QK^T matmul before it: only the part beyond the matmul (at least "
               "one row) is exposed")},
          {}};
}

}  // namespace prunesim::models
