#include "prunesim/models/controller.h"

#include <algorithm>
#include <cmath>

#include "prunesim/hls/nonlinear.h"
#include "prunesim/models/engine.h"
#include "prunesim/models/payload.h"

namespace prunesim::models {

using workloads::Op;
using workloads::OpKind;

Controller::Controller(sc_core::sc_module_name name, const workloads::Trace& trace, const HwConfig& hw,
                       TilePlan plan)
    : sc_module(name),
      to_dma_load("to_dma_load"),
      to_dma_store("to_dma_store"),
      to_pe("to_pe"),
      to_vector("to_vector"),
      to_tpu("to_tpu"),
      layer("layer"),
      op_id("op_id"),
      tokens_alive("tokens_alive"),
      pe_busy("pe_busy"),
      vector_busy("vector_busy"),
      tpu_busy("tpu_busy"),
      weight_tiles_ready("weight_tiles_ready"),
      dma_bytes_in_flight("dma_bytes_in_flight"),
      trace_(trace),
      hw_(hw),
      plan_(std::move(plan)),
      ready_("ready", hw.weight_buffer.double_buffered ? 2 : 1),
      free_slots_("free_slots", hw.weight_buffer.double_buffered ? 2 : 1) {
  stats_.resize(trace_.ops.size());
  for (size_t i = 0; i < trace_.ops.size(); ++i) {
    const Op& op = trace_.ops[i];
    stats_[i].id = op.id;
    stats_[i].layer = op.layer;
    stats_[i].name = op.name;
    stats_[i].kind = workloads::op_kind_name(op.kind);
    if (op.kind == OpKind::Gemm) stats_[i].pattern = pattern_label(trace_.matrices.at(op.weight));
  }
  qk_.reset();  // the global quantum is set by whoever elaborates (simulate()), before this module exists
  SC_THREAD(loader);
  SC_THREAD(compute);
  SC_METHOD(publish_in_flight);
  sensitive << in_flight_changed_;
  dont_initialize();
}

void Controller::publish_in_flight() {
  dma_bytes_in_flight.write(int(std::min<int64_t>(in_flight_, INT32_MAX)));
}

uint64_t Controller::now_cycles() const {
  // This thread's own time: the kernel's plus what it has run ahead within the quantum.
  return uint64_t(
      std::llround((sc_core::sc_time_stamp() + qk_.get_local_time()).to_seconds() * 1e9 / hw_.cycle_ns()));
}

void Controller::transfer(tlm_utils::simple_initiator_socket<Controller>& s, bool write, uint64_t addr,
                          uint64_t bytes) {
  if (bytes == 0) return;
  tlm::tlm_generic_payload tx;
  tx.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx.set_address(addr);
  tx.set_data_length(uint32_t(std::min<uint64_t>(bytes, UINT32_MAX)));
  tx.set_streaming_width(tx.get_data_length());
  tx.set_data_ptr(nullptr);  // timing only: no data moves in this mode
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  in_flight_ += int64_t(bytes);
  in_flight_changed_.notify(sc_core::SC_ZERO_TIME);
  s->b_transport(tx, delay);
  if (tx.is_response_error()) SC_REPORT_ERROR("prunesim/controller", "DRAM transfer failed");
  wait(delay);
  in_flight_ -= int64_t(bytes);
  in_flight_changed_.notify(sc_core::SC_ZERO_TIME);
}

void Controller::loader() {
  // Only items that bring data from DRAM occupy a buffer slot; the rest need nothing from the loader.
  for (size_t i = 0; i < plan_.items.size(); ++i) {
    const WorkItem& item = plan_.items[i];
    if (!item.read_bytes) continue;
    free_slots_.wait();
    transfer(to_dma_load, false, item.read_addr, item.read_bytes);
    ready_.write(i);
  }
}

void Controller::sync() {
  if (qk_.get_local_time() != sc_core::SC_ZERO_TIME) qk_.sync();
}

// Compute time: annotated on the quantum keeper, synchronised when the quantum is used up (at once when
// sim.quantum is 0) and always before this thread talks to another or writes a traced signal.
void Controller::advance(const sc_core::sc_time& delay) {
  qk_.inc(delay);
  if (qk_.need_sync()) qk_.sync();
}

void Controller::compute() {
  int tokens = int(std::min<uint32_t>(trace_.header.facts().seq, INT32_MAX));
  tokens_alive.write(tokens);
  for (size_t n = 0; n < plan_.items.size(); ++n) {
    const WorkItem& item = plan_.items[n];
    const Op& op = trace_.ops[item.op];
    OpStats& st = stats_[item.op];
    if (item.first_of_op) {
      st.start_cycle = now_cycles();
      if (tracing_) sync();
      layer.write(op.layer);
      op_id.write(int(op.id));
    }
    if (item.read_bytes) {
      sync();
      const uint64_t wait_start = now_cycles();
      size_t got = 0;
      ready_.read(got);
      if (got != n) SC_REPORT_FATAL("prunesim/controller", "loader and compute threads out of order");
      st.stall_memory += now_cycles() - wait_start;
      st.ddr_read_bytes += item.read_bytes;
      weight_tiles_ready.write(ready_.num_available());  // tiles prefetched beyond the one in use
    }

    ComputeCmd cmd;
    cmd.op = &op;
    cmd.item = &item;  // the units need it for the op boundary (pipeline drain) and functional mode
    if (op.kind == OpKind::Gemm) cmd.weight = &trace_.matrices.at(op.weight);
    cmd.m = item.m;
    cmd.first = item.first;
    cmd.last = item.last;
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_IGNORE_COMMAND);
    tx.set_extension(&cmd);
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    sc_core::sc_signal<bool>* busy = nullptr;
    switch (item.kind) {
      case ItemKind::Pe: to_pe->b_transport(tx, delay), busy = &pe_busy; break;
      case ItemKind::Vector: to_vector->b_transport(tx, delay), busy = &vector_busy; break;
      case ItemKind::TokenPrune: to_tpu->b_transport(tx, delay), busy = &tpu_busy; break;
      case ItemKind::Transfer: break;
    }
    tx.clear_extension(&cmd);
    if (item.kind != ItemKind::Transfer)
      for (ScheduleObserver* o : observers_) o->executed(item, op);
    if (item.kind == ItemKind::TokenPrune && hw_.tpu.overlap) {
      // The unit began scoring when the layer's softmax finished; only what A*V, the projection and the
      // residual did not cover is still to wait for.
      const uint64_t window = now_cycles() - softmax_end_;
      const uint64_t exposed = (cmd.cycles - cmd.hideable_cycles) +
                               (cmd.hideable_cycles > window ? cmd.hideable_cycles - window : 0);
      delay = cycles_to_time(exposed, hw_.cycle_ns());
    }
    if (op.kind == OpKind::Softmax && hw_.nonlinear.softmax_overlap && prev_matmul_cycles_) {
      // Row r of the scores is softmaxed while QK^T computes row r+1: the matmul covers the softmax up to
      // its own length; the last row's passes and the pipeline are always exposed.
      const uint64_t last_row =
          hls::vector_cycles(1, op.cols, hw_.nonlinear.lanes, hls::kSoftmaxPasses, hw_.nonlinear.depth);
      const uint64_t beyond = cmd.cycles > prev_matmul_cycles_ ? cmd.cycles - prev_matmul_cycles_ : 0;
      const uint64_t exposed = std::min(cmd.cycles, std::max(beyond, last_row));
      st.hidden_cycles += cmd.cycles - exposed;
      delay = cycles_to_time(exposed, hw_.cycle_ns());
    }
    prev_matmul_cycles_ = op.kind == OpKind::Matmul ? cmd.cycles : 0;  // a matmul is one work item
    if (busy) {
      if (tracing_) sync();
      busy->write(true);
      advance(delay);
      if (tracing_) sync();
      busy->write(false);
    }
    if (op.kind == OpKind::Softmax && item.last_of_op) softmax_end_ = now_cycles();
    st.busy_cycles += cmd.cycles;
    st.macs += cmd.macs;
    st.weights += cmd.weights;
    st.issued_macs += cmd.issued_macs;
    st.vector_ops += cmd.vector_ops;
    st.onchip_read_bytes += cmd.onchip_read_bytes;
    st.onchip_write_bytes += cmd.onchip_write_bytes;
    st.stall_ports += cmd.stall_port_cycles;
    st.preload_saved_cycles += cmd.preload_saved_cycles;
    if (item.kind == ItemKind::TokenPrune)
      st.stall_token_unit += uint64_t(std::llround(delay.to_seconds() * 1e9 / hw_.cycle_ns()));
    st.imbalance = std::max(st.imbalance, cmd.imbalance);
    if (item.read_bytes) {
      sync();
      free_slots_.post();
    }

    if (item.write_bytes) {
      sync();
      const uint64_t t0 = now_cycles();
      transfer(to_dma_store, true, item.write_addr, item.write_bytes);
      st.stall_writeback += now_cycles() - t0;
      st.ddr_write_bytes += item.write_bytes;
    }
    if (op.kind == OpKind::TokenPrune) {
      tokens = 0;
      for (auto t : op.tokens_kept) tokens += int(t);
      if (tracing_) sync();
      tokens_alive.write(tokens / int(op.tokens_kept.size()));
      st.tokens = uint32_t(tokens);
    }
    if (item.last_of_op) st.cycles = now_cycles() - st.start_cycle;
  }
  sync();
  end_cycle_ = now_cycles();
  finished_ = true;  // both threads end here; sc_start() returns when no event is left
}

}  // namespace prunesim::models
