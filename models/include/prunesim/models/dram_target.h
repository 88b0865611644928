#pragma once
// The off-chip memory as a TLM-2.0 target shared by several initiators: addresses interleave over the
// channels; each channel is a Ddr4Channel. A transaction is one DMA burst stream; it is split into
// DRAM bursts, scheduled, and its completion time returned as annotated delay.
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "prunesim/models/ddr4_channel.h"
#include "prunesim/models/sc_util.h"

namespace prunesim::models {

class DramTarget : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<DramTarget> socket;

  DramTarget(sc_core::sc_module_name name, const DramConfig& cfg, bool ideal);

  DramStats total_stats() const;
  uint64_t requests() const { return requests_; }
  double peak_bytes_per_ns() const;
  // Requests queued in the channels when the latest transaction arrived (VCD, at transaction boundaries).
  sc_core::sc_signal<int> queue_depth;
  PRUNESIM_MODULE_PROCESSES(DramTarget);

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int initiator, tlm::tlm_generic_payload& tx);
  void publish_depth();  // the one writer of queue_depth (several initiators call b_transport)

  DramConfig cfg_;
  bool ideal_;
  std::vector<std::unique_ptr<Ddr4Channel>> channels_;
  uint64_t next_id_ = 0;
  uint64_t requests_ = 0;
  int depth_ = 0;
  sc_core::sc_event depth_changed_;
};

}  // namespace prunesim::models
