#include "prunesim/models/controller.h"

#include <algorithm>
#include <cmath>

#include "prunesim/models/engine.h"

namespace prunesim::models {

using workloads::Op;
using workloads::OpKind;

Controller::Controller(sc_core::sc_module_name name, const workloads::Trace& trace, const HwConfig& hw,
                       TileStream& plan, OpStatsBoard& stats)
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
      plan_(plan),
      stats_(stats),
      ready_("ready", hw.weight_buffer.double_buffered ? 2 : 1),
      free_slots_("free_slots", hw.weight_buffer.double_buffered ? 2 : 1) {
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
  return time_to_cycles(sc_core::sc_time_stamp() + qk_.get_local_time(), hw_.cycle_ns());
}

void Controller::transfer(tlm_utils::simple_initiator_socket<Controller>& s, DmaDescriptor d,
                          sc_core::sc_time& local) {
  if (d.bytes == 0) return;
  tlm::tlm_generic_payload tx;
  set_descriptor_write(tx, d);
  in_flight_ += int64_t(d.bytes);
  in_flight_changed_.notify(local);
  sc_core::sc_time delay = local;
  s->b_transport(tx, delay);
  if (tx.is_response_error()) SC_REPORT_ERROR("prunesim/controller", "DMA transfer failed");
  // The in-flight count is shared with the other thread: the transfer's end is synchronised.
  wait(delay);
  local = sc_core::SC_ZERO_TIME;
  in_flight_ -= int64_t(d.bytes);
  in_flight_changed_.notify(sc_core::SC_ZERO_TIME);
}

sc_core::sc_time Controller::execute(tlm_utils::simple_initiator_socket<Controller>& s, WorkDescriptor d) {
  tlm::tlm_generic_payload tx;
  set_descriptor_write(tx, d);
  sc_core::sc_time delay = qk_.get_local_time();
  s->b_transport(tx, delay);
  if (tx.is_response_error()) SC_REPORT_ERROR("prunesim/controller", "compute unit refused a work item");
  return delay - qk_.get_local_time();
}

void Controller::loader() {
  // Only items that bring data from DRAM occupy a buffer slot; the rest need nothing from the loader. The
  // loader is not decoupled: it meets the compute thread at every slot.
  for (size_t i = 0; i < plan_.size(); ++i) {
    loader_at_ = i;
    const WorkItem& item = plan_.at(i);
    if (!item.read_bytes) continue;
    free_slots_.wait();
    if (timeline_)
      timeline_->level_change(sc_core::sc_time_stamp().to_seconds() * 1e9, double(item.read_weight_bytes));
    sc_core::sc_time local = sc_core::SC_ZERO_TIME;
    transfer(to_dma_load,
             {false, item.read_addr, item.read_bytes, item.read_weight_bytes, item.weight_buffer_addr},
             local);
    ready_.write(i);
  }
  loader_at_ = plan_.size();
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
  for (size_t n = 0; n < plan_.size(); ++n) {
    const WorkItem& item = plan_.at(n);
    const Op& op = trace_.ops[item.op];
    OpStats& st = stats_.op(item.op);
    if (item.first_of_op) {
      st.start_cycle = now_cycles();
      if (tracing_) sync();
      layer.write(double(op.layer));
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

    WorkDescriptor d;
    d.item = uint32_t(n);
    tlm_utils::simple_initiator_socket<Controller>* unit = nullptr;
    sc_core::sc_signal<bool>* busy = nullptr;
    switch (item.kind) {
      case ItemKind::Pe: unit = &to_pe, busy = &pe_busy; break;
      case ItemKind::Vector: unit = &to_vector, busy = &vector_busy; break;
      case ItemKind::TokenPrune: unit = &to_tpu, busy = &tpu_busy; break;
      case ItemKind::Transfer: break;
    }
    if (item.kind == ItemKind::TokenPrune && hw_.tpu.overlap) {
      d.may_overlap = true;
      d.overlap_window = now_cycles() - softmax_end_;
    }
    if (op.kind == OpKind::Softmax && hw_.nonlinear.softmax_overlap && prev_matmul_cycles_) {
      d.may_overlap = true;
      d.overlap_window = prev_matmul_cycles_;
    }
    uint64_t unit_cycles = 0;
    if (unit) {
      if (tracing_) sync();
      const sc_core::sc_time t = execute(*unit, d);
      unit_cycles = time_to_cycles(t, hw_.cycle_ns());
      for (ScheduleObserver* o : observers_) o->executed(item, op);
      busy->write(true);
      advance(t);
      if (tracing_) sync();
      busy->write(false);
    }
    prev_matmul_cycles_ = op.kind == OpKind::Matmul ? unit_cycles : 0;  // a matmul is one work item
    if (op.kind == OpKind::Softmax && item.last_of_op) softmax_end_ = now_cycles();
    if (item.read_bytes) {
      sync();
      if (timeline_)
        timeline_->level_change(sc_core::sc_time_stamp().to_seconds() * 1e9, -double(item.read_weight_bytes));
      free_slots_.post();
    }

    if (item.write_bytes) {
      sync();
      const uint64_t t0 = now_cycles();
      sc_core::sc_time local = qk_.get_local_time();
      transfer(to_dma_store, {true, item.write_addr, item.write_bytes, 0, 0}, local);
      qk_.reset();  // the transfer waited from the kernel's time, local time included
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
    if (item.last_of_op) {
      st.cycles = now_cycles() - st.start_cycle;
      stats_.finish_through(item.op);  // final: into the run's rollups (st is gone after this)
    }
    for (ScheduleObserver* o : observers_) o->progressed(n + 1, plan_.size(), now_cycles());
    plan_.release_before(std::min(n + 1, loader_at_));
  }
  sync();
  stats_.finish_all();  // trailing ops without work items
  end_cycle_ = now_cycles();
  finished_ = true;  // both threads end here; sc_start() returns when no event is left
}

}  // namespace prunesim::models
