#pragma once
// AXI-style DMA. The controller programs it with a DmaDescriptor (a TLM write to its command port); it moves
// the data between DRAM (TLM initiator) and the on-chip buffers (TLM initiators): loads fill the weight buffer
// (and the activation buffer with activations and KV cache), stores drain the activation buffer. DRAM side:
// bursts of at most dma.burst_bytes, several outstanding; the fabric side moves bus_bits per cycle per memory
// channel (one AXI port per channel, as Alveo shells expose them). The buffers fill as the data streams in,
// so a transfer ends when the slowest of DRAM, fabric and buffer ports does.
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <systemc>
#include <tlm>

#include "prunesim/models/hw_config.h"

namespace prunesim::models {

class Dma : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Dma> target;  // command port: load and store paths
  tlm_utils::simple_initiator_socket<Dma> to_dram;
  tlm_utils::simple_initiator_socket<Dma> to_weight_buffer;
  tlm_utils::simple_initiator_socket<Dma> to_act_buffer;

  // round_trip_ns: an unloaded DRAM read (controller latency + tRCD + CL + burst), for the outstanding limit.
  // `weight_slot`, `act_window`: the buffer windows a stream may cover (a weight tile larger than its slot
  // streams through it; activations stream through the activation buffer).
  Dma(sc_core::sc_module_name name, const DmaConfig& cfg, uint32_t channels, double cycle_ns,
      double round_trip_ns, bool ideal, uint64_t weight_slot, uint64_t act_window);

  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t bursts() const { return bursts_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int initiator, tlm::tlm_generic_payload& tx);

  DmaConfig cfg_;
  uint32_t channels_;
  double cycle_ns_;
  double round_trip_ns_;
  bool ideal_;
  uint64_t weight_slot_, act_window_;
  uint64_t bytes_read_ = 0, bytes_written_ = 0, bursts_ = 0;
};

}  // namespace prunesim::models
