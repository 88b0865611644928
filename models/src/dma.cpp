#include "prunesim/models/dma.h"

#include <algorithm>

namespace prunesim::models {

Dma::Dma(sc_core::sc_module_name name, const DmaConfig& cfg, uint32_t channels, double cycle_ns,
         double round_trip_ns, bool ideal)
    : sc_module(name),
      target("target"),
      to_dram("to_dram"),
      cfg_(cfg),
      channels_(channels),
      cycle_ns_(cycle_ns),
      round_trip_ns_(round_trip_ns),
      ideal_(ideal) {
  target.register_b_transport(this, &Dma::b_transport);
}

void Dma::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t len = tx.get_data_length();
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  if (len == 0) return;
  const uint64_t bursts = (len + cfg_.burst_bytes - 1) / cfg_.burst_bytes;
  bursts_ += bursts;
  (tx.is_write() ? bytes_written_ : bytes_read_) += len;
  // Forwarded as one stream so the simulator pays per transfer, not per beat; the DRAM model queues and
  // reorders the bursts' requests.
  tlm::tlm_generic_payload fwd;
  fwd.set_command(tx.get_command());
  fwd.set_address(tx.get_address());
  fwd.set_data_length(uint32_t(len));
  fwd.set_data_ptr(tx.get_data_ptr());
  fwd.set_streaming_width(uint32_t(len));
  sc_core::sc_time mem_delay = delay;
  to_dram->b_transport(fwd, mem_delay);
  tx.set_response_status(fwd.get_response_status());
  if (ideal_) {  // ideal memory: neither DRAM nor the fabric ever stalls
    delay = mem_delay;
    return;
  }
  // The fabric side moves at most bus_bits per cycle per channel port.
  const double fabric_bytes_per_ns = double(cfg_.bus_bits) / 8.0 * channels_ / cycle_ns_;
  const sc_core::sc_time fabric(double(len) / fabric_bytes_per_ns, sc_core::SC_NS);
  // With `outstanding` bursts in flight, each round of them waits one unloaded DRAM round trip (Little's
  // law).
  const uint64_t rounds = (bursts + cfg_.outstanding - 1) / cfg_.outstanding;
  const sc_core::sc_time latency_bound(double(rounds) * round_trip_ns_, sc_core::SC_NS);
  delay = std::max({mem_delay, delay + fabric, delay + latency_bound});
}

}  // namespace prunesim::models
