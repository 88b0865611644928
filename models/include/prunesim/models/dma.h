#pragma once
// AXI-style DMA: takes transfer requests from the controller (TLM target) and moves them to or from DRAM
// (TLM initiator) as bursts of at most dma.burst_bytes, several outstanding. Its fabric side moves
// bus_bits per cycle per memory channel (one AXI port per channel, as Alveo shells expose them).
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "prunesim/models/hw_config.h"

namespace prunesim::models {

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Dma> target;  // load and store paths
  tlm_utils::simple_initiator_socket<Dma> to_dram;

  // round_trip_ns: an unloaded DRAM read (controller latency + tRCD + CL + burst), for the outstanding limit.
  Dma(sc_core::sc_module_name name, const DmaConfig& cfg, uint32_t channels, double cycle_ns,
      double round_trip_ns, bool ideal);

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t bursts() const { return bursts_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);

  DmaConfig cfg_;
  uint32_t channels_;
  double cycle_ns_;
  double round_trip_ns_;
  bool ideal_;
  uint64_t bytes_read_ = 0, bytes_written_ = 0, bursts_ = 0;
};

}  // namespace prunesim::models
