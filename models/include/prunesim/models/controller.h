#pragma once
// Replays a trace: a loader thread fetches each work item's DRAM data through the DMA up to
// `slots` items ahead (double buffering), and a compute thread runs the items in program order on the
// PE array, vector unit or token unit, writing results back through the DMA. One SystemC event per item.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>
#include <systemc>
#include <tlm>
#include <vector>

#include "prunesim/models/hw_config.h"
#include "prunesim/models/sc_util.h"
#include "prunesim/models/schedule_observer.h"
#include "prunesim/models/stats.h"
#include "prunesim/models/tiling.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {


class Controller : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Controller> to_dma_load;
  tlm_utils::simple_initiator_socket<Controller> to_dma_store;
  tlm_utils::simple_initiator_socket<Controller> to_pe;
  tlm_utils::simple_initiator_socket<Controller> to_vector;
  tlm_utils::simple_initiator_socket<Controller> to_tpu;

  // Observable state for waveforms, written at item boundaries.
  sc_core::sc_signal<int> layer, op_id, tokens_alive;
  sc_core::sc_signal<bool> pe_busy, vector_busy, tpu_busy;
  sc_core::sc_signal<int> weight_tiles_ready;   // buffer occupancy: prefetched work items waiting
  sc_core::sc_signal<int> dma_bytes_in_flight;  // loads and stores under way

  PRUNESIM_MODULE_PROCESSES(Controller);
  Controller(sc_core::sc_module_name name, const workloads::Trace& trace, const HwConfig& hw, TilePlan plan);

  const std::vector<OpStats>& op_stats() const { return stats_; }
  uint64_t end_cycle() const { return end_cycle_; }
  bool finished() const { return finished_; }
  const TilePlan& plan() const { return plan_; }
  // Told of every compute work item once it has executed (functional checks, tracers); not owned.
  void add_observer(ScheduleObserver* o) { observers_.push_back(o); }
  void set_tracing(bool on) { tracing_ = on; }  // traced signals need synchronised writes

 private:
  void loader();
  void compute();
  void transfer(tlm_utils::simple_initiator_socket<Controller>& s, bool write, uint64_t addr, uint64_t bytes);
  uint64_t now_cycles() const;
  void advance(const sc_core::sc_time& delay);
  void sync();
  void publish_in_flight();  // the one writer of dma_bytes_in_flight (both threads change the count)

  const workloads::Trace& trace_;
  HwConfig hw_;
  TilePlan plan_;
  std::vector<OpStats> stats_;
  sc_core::sc_fifo<size_t> ready_;
  sc_core::sc_semaphore free_slots_;
  uint64_t end_cycle_ = 0;
  bool finished_ = false;
  int64_t in_flight_ = 0;
  std::vector<ScheduleObserver*> observers_;
  uint64_t softmax_end_ = 0;
  uint64_t prev_matmul_cycles_ = 0;  // busy cycles of the matmul just before, for nonlinear.softmax_overlap
  tlm_utils::tlm_quantumkeeper qk_;
  bool tracing_ = false;  // cycle the latest softmax finished (tpu.overlap starts scoring there)
  sc_core::sc_event in_flight_changed_;
};

}  // namespace prunesim::models
