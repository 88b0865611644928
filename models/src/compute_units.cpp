#include "prunesim/models/compute_units.h"

#include <algorithm>
#include <cmath>

#include "prunesim/hls/cycle_models.h"
#include "prunesim/hls/nonlinear.h"  // pass counts of the kernels the vector unit runs
#include "prunesim/models/sc_util.h"
#include "prunesim/models/tiling.h"  // bytes_of_bits

namespace prunesim::models {

using workloads::Op;
using workloads::OpKind;

namespace {

ComputeCmd& command(tlm::tlm_generic_payload& tx) {
  ComputeCmd* cmd = nullptr;
  tx.get_extension(cmd);
  sc_assert(cmd && cmd->op);
  return *cmd;
}
}  // namespace

uint64_t vector_op_cycles(const NonlinearConfig& cfg, const Op& op) {
  switch (op.kind) {
    case OpKind::Softmax:
      return hls::vector_cycles(uint64_t(op.count) * op.rows, op.cols, cfg.lanes, hls::kSoftmaxPasses,
                                cfg.depth);
    case OpKind::LayerNorm:
      return hls::vector_cycles(uint64_t(op.count) * op.rows, op.cols, cfg.lanes, hls::kLayerNormPasses,
                                cfg.depth);
    case OpKind::Gelu:
    case OpKind::Residual:
    case OpKind::Eltwise: return hls::vector_cycles(1, op.elems, cfg.lanes, hls::kEltwisePasses, cfg.depth);
    default: return 0;
  }
}

uint64_t token_prune_cycles(const TpuConfig& cfg, const NonlinearConfig& vec, const BufferConfig& act,
                            uint64_t d_model, const Op& op, uint64_t* hideable) {
  uint64_t cycles = 0, select = 0;
  for (size_t s = 0; s < op.tokens_in.size(); ++s) {
    const uint64_t n = op.tokens_in[s], kept = op.tokens_kept[s];
    // Class-attention score per token averaged over heads: heads x (n-1) adds on the vector lanes.
    const uint64_t sel =
        hls::ceil_div(uint64_t(op.heads) * (n - 1), vec.lanes) +
        (cfg.algorithm == TopkAlgorithm::Bitonic ? hls::bitonic_topk_cycles(n - 1, cfg.comparators)
                                                 : hls::quickselect_topk_cycles(n - 1, cfg.comparators));
    select += sel;
    cycles += sel;
    // Compaction: kept tokens copied through the activation buffer at its bandwidth.
    cycles += uint64_t(std::ceil(double(kept * d_model) / act.bytes_per_cycle()));
    // Fused token: attention-weighted sum of the dropped tokens, one MAC per element per lane.
    if (op.fused && n > kept) cycles += hls::ceil_div((n - kept) * d_model, vec.lanes);
  }
  if (hideable) *hideable = select;
  return cycles;
}

PeArray::PeArray(sc_core::sc_module_name name, const ComputeEngine& engine, const BufferConfig& act,
                 double cycle_ns)
    : sc_module(name), socket("socket"), engine_(engine), act_(act), cycle_ns_(cycle_ns) {
  socket.register_b_transport(this, &PeArray::b_transport);
}

void PeArray::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ComputeCmd& cmd = command(tx);
  const Op& op = *cmd.op;
  GemmCost c;
  uint64_t reuse = 1;
  if (op.kind == OpKind::Gemm) {
    c = engine_.gemm(*cmd.weight, cmd.m, cmd.first, cmd.last);
    reuse = engine_.activation_reuse(*cmd.weight);
    uint64_t out_rows = 0;
    for (uint32_t r = cmd.first; r < cmd.last; ++r) out_rows += cmd.weight->block_row_height(r);
    cmd.onchip_write_bytes = bytes_of_bits(cmd.m * out_rows, op.abits);
    cmd.weights.kept = cmd.m ? c.macs / cmd.m : 0;
  } else {
    c = engine_.matmul(op);
    reuse = engine_.matmul_reuse(op);
    cmd.onchip_write_bytes = bytes_of_bits(uint64_t(op.count) * op.m * op.n, op.abits);
    cmd.weights.kept = c.stored_weights;
  }
  cmd.cycles = c.cycles;
  cmd.macs = c.macs;
  cmd.imbalance = c.imbalance;
  cmd.preload_saved_cycles = c.preload_saved_cycles;
  cmd.weights.stored = c.stored_weights;
  cmd.weights.issued = c.issued_weights;
  cmd.issued_macs = op.kind == OpKind::Gemm ? cmd.m * c.issued_weights : c.macs;
  cmd.stall_port_cycles = c.bandwidth_stall_cycles;
  // Each activation read from the buffer feeds `reuse` MACs.
  cmd.onchip_read_bytes = bytes_of_bits(cmd.macs / std::max<uint64_t>(1, reuse), op.abits);
  const double need = engine_.act_values_per_cycle() * std::ceil(op.abits / 8.0);
  const double have = act_.bytes_per_cycle();
  if (cmd.item && cmd.item->last_of_op && cmd.cycles) cmd.cycles += engine_.drain_cycles();  // once per op
  if (need > have && cmd.cycles) {
    const uint64_t slowed = uint64_t(std::ceil(double(cmd.cycles) * need / have));
    cmd.stall_port_cycles += slowed - cmd.cycles;
    cmd.cycles = slowed;
  }
  delay += cycles_to_time(cmd.cycles, cycle_ns_);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

VectorUnit::VectorUnit(sc_core::sc_module_name name, const NonlinearConfig& cfg, double cycle_ns)
    : sc_module(name), socket("socket"), cfg_(cfg), cycle_ns_(cycle_ns) {
  socket.register_b_transport(this, &VectorUnit::b_transport);
}

void VectorUnit::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ComputeCmd& cmd = command(tx);
  const Op& op = *cmd.op;
  cmd.cycles = vector_op_cycles(cfg_, op);
  const uint64_t elems = op.elems ? op.elems : uint64_t(op.count) * op.rows * op.cols;
  cmd.vector_ops = elems;
  const uint64_t passes = op.kind == OpKind::Softmax     ? hls::kSoftmaxPasses
                          : op.kind == OpKind::LayerNorm ? hls::kLayerNormPasses
                                                         : hls::kEltwisePasses;
  const uint64_t inputs = op.kind == OpKind::Residual ? 2 : 1;
  cmd.onchip_read_bytes = bytes_of_bits(elems * passes * inputs, op.abits);
  cmd.onchip_write_bytes = bytes_of_bits(elems, op.abits);
  delay += cycles_to_time(cmd.cycles, cycle_ns_);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

TokenUnit::TokenUnit(sc_core::sc_module_name name, const TpuConfig& cfg, const NonlinearConfig& vec,
                     const BufferConfig& act, uint64_t d_model, double cycle_ns)
    : sc_module(name),
      socket("socket"),
      cfg_(cfg),
      vec_(vec),
      act_(act),
      d_model_(d_model),
      cycle_ns_(cycle_ns) {
  socket.register_b_transport(this, &TokenUnit::b_transport);
}

void TokenUnit::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ComputeCmd& cmd = command(tx);
  const Op& op = *cmd.op;
  cmd.cycles = token_prune_cycles(cfg_, vec_, act_, d_model_, op, &cmd.hideable_cycles);
  uint64_t moved = 0;
  for (size_t s = 0; s < op.tokens_in.size(); ++s) moved += uint64_t(op.tokens_kept[s]) * d_model_;
  cmd.onchip_read_bytes = bytes_of_bits(moved, op.abits);
  cmd.onchip_write_bytes = bytes_of_bits(moved, op.abits);
  delay += cycles_to_time(cmd.cycles, cycle_ns_);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace prunesim::models
