#pragma once
// Replays a trace: a loader thread programs the DMA to fetch each work item's DRAM data into the buffers up
// to `slots` items ahead (double buffering), and a compute thread hands the items in program order to the PE
// array, vector unit or token unit (a WorkDescriptor written to the unit's command port), then programs the
// write-back. One SystemC event per item. The compute thread is temporally decoupled: it passes its local
// time through every b_transport and synchronises through a quantum keeper (sim.quantum), and always before
// it meets the loader or writes a traced signal.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <systemc>
#include <tlm>
#include <vector>

#include "prunesim/models/hw_config.h"
#include "prunesim/models/payload.h"
#include "prunesim/models/sc_util.h"
#include "prunesim/models/schedule_observer.h"
#include "prunesim/models/stats.h"
#include "prunesim/models/tiling.h"
#include "prunesim/models/timeline.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

class Controller : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Controller> to_dma_load;   // the loader's path to the DMA
  tlm_utils::simple_initiator_socket<Controller> to_dma_store;  // the compute thread's
  tlm_utils::simple_initiator_socket<Controller> to_pe;
  tlm_utils::simple_initiator_socket<Controller> to_vector;
  tlm_utils::simple_initiator_socket<Controller> to_tpu;

  // Observable state for waveforms, written at item boundaries.
  // `layer` is traced as a VCD real so viewers show the ops outside the layers (embeddings, head) as -1, not
  // as 4294967295 (a 32-bit wire has no sign).
  sc_core::sc_signal<double> layer;
  sc_core::sc_signal<int> op_id, tokens_alive;
  sc_core::sc_signal<bool> pe_busy, vector_busy, tpu_busy;
  sc_core::sc_signal<int> weight_tiles_ready;   // buffer occupancy: prefetched work items waiting
  sc_core::sc_signal<int> dma_bytes_in_flight;  // bytes of DMA transfers (tile loads, stores) under way

  PRUNESIM_MODULE_PROCESSES(Controller);
  // `plan` and `stats` outlive the controller (the accelerator owns them, the units read and write them too).
  // The controller walks the plan and releases the items both its threads are past.
  Controller(sc_core::sc_module_name name, const workloads::Trace& trace, const HwConfig& hw,
             TileStream& plan, OpStatsBoard& stats);

  uint64_t end_cycle() const { return end_cycle_; }
  bool finished() const { return finished_; }
  const TileStream& plan() const { return plan_; }
  // Told of every compute work item once it has executed (functional checks, tracers); not owned.
  void add_observer(ScheduleObserver* o) { observers_.push_back(o); }
  void set_tracing(bool on) { tracing_ = on; }  // traced signals need synchronised writes
  // Where the weight buffer's occupancy over time is recorded (bytes held from fetch until the item is done).
  void set_timeline(ByteTimeline* t) { timeline_ = t; }

 private:
  void loader();
  void compute();
  // Programs the DMA and waits for it; `local` is the calling thread's time beyond the kernel's.
  void transfer(tlm_utils::simple_initiator_socket<Controller>& s, DmaDescriptor d, sc_core::sc_time& local);
  // Hands item n to a unit; returns its time.
  sc_core::sc_time execute(tlm_utils::simple_initiator_socket<Controller>& s, WorkDescriptor d);
  uint64_t now_cycles() const;
  void advance(const sc_core::sc_time& delay);
  void sync();
  void publish_in_flight();  // the one writer of dma_bytes_in_flight (both threads change the count)

  const workloads::Trace& trace_;
  HwConfig hw_;
  TileStream& plan_;
  size_t loader_at_ = 0;  // the item the loader is at: compute releases no item from there on
  OpStatsBoard& stats_;
  sc_core::sc_fifo<size_t> ready_;
  sc_core::sc_semaphore free_slots_;
  ByteTimeline* timeline_ = nullptr;
  uint64_t end_cycle_ = 0;
  bool finished_ = false;
  int64_t in_flight_ = 0;
  std::vector<ScheduleObserver*> observers_;
  uint64_t softmax_end_ = 0;         // cycle the latest softmax finished (tpu.overlap starts scoring there)
  uint64_t prev_matmul_cycles_ = 0;  // busy cycles of the matmul just before, for nonlinear.softmax_overlap
  tlm_utils::tlm_quantumkeeper qk_;  // the compute thread's
  bool tracing_ = false;
  sc_core::sc_event in_flight_changed_;
};

}  // namespace prunesim::models
