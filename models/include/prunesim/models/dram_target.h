#pragma once
// The off-chip memory as a TLM-2.0 target shared by several initiators. A transaction is one DMA burst
// stream: the DramSystem splits it into DRAM bursts over its channels and schedules them, and the completion
// time is returned as annotated delay.
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "prunesim/models/dram_system.h"
#include "prunesim/models/sc_util.h"
#include "prunesim/models/timeline.h"

namespace prunesim::models {

class DramTarget : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<DramTarget> socket;

  // timeline_ns: the interval of the bytes-over-time series (0: automatic, timeline.h).
  DramTarget(sc_core::sc_module_name name, const DramConfig& cfg, bool ideal, double timeline_ns = 0);

  const DramSystem& memory() const { return memory_; }
  DramStats total_stats() const { return memory_.stats(); }
  uint64_t requests() const { return memory_.bursts_submitted(); }
  const ByteTimeline& timeline() const { return timeline_; }
  ByteTimeline& timeline() { return timeline_; }  // the controller adds the weight buffer's occupancy
  // Requests queued in the channels when the latest transaction arrived (VCD, at transaction boundaries).
  sc_core::sc_signal<int> queue_depth;
  PRUNESIM_MODULE_PROCESSES(DramTarget);

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int initiator, tlm::tlm_generic_payload& tx);
  void publish_depth();  // the one writer of queue_depth (several initiators call b_transport)

  DramSystem memory_;
  bool ideal_;
  ByteTimeline timeline_;
  int depth_ = 0;
  sc_core::sc_event depth_changed_;
};

}  // namespace prunesim::models
