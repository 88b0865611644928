#include "prunesim/models/dma.h"

#include <algorithm>

namespace prunesim::models {

Dma::Dma(sc_core::sc_module_name name, const DmaConfig& cfg, uint32_t channels, double cycle_ns)
    : sc_module(name), target("target"), to_dram("to_dram"), bytes_in_flight("bytes_in_flight"), cfg_(cfg),
      channels_(channels), cycle_ns_(cycle_ns) {
  target.register_b_transport(this, &Dma::b_transport);
}

void Dma::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t len = tx.get_data_length();
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  if (len == 0) return;
  const uint64_t bursts = (len + cfg_.burst_bytes - 1) / cfg_.burst_bytes;
  bursts_ += bursts;
  (tx.is_write() ? bytes_written_ : bytes_read_) += len;
  // The outstanding bursts form one window of requests at the memory; the DRAM model queues and reorders
  // them. Forwarded as one stream so the simulator pays per transfer, not per beat.
  bytes_in_flight.write(int(std::min<uint64_t>(len, uint64_t(cfg_.outstanding) * cfg_.burst_bytes)));
  tlm::tlm_generic_payload fwd;
  fwd.set_command(tx.get_command());
  fwd.set_address(tx.get_address());
  fwd.set_data_length(uint32_t(len));
  fwd.set_data_ptr(tx.get_data_ptr());
  fwd.set_streaming_width(uint32_t(len));
  sc_core::sc_time mem_delay = delay;
  to_dram->b_transport(fwd, mem_delay);
  // The fabric side cannot beat bus_bits per cycle per channel port.
  const double fabric_bytes_per_ns = double(cfg_.bus_bits) / 8.0 * channels_ / cycle_ns_;
  const sc_core::sc_time fabric = delay + sc_core::sc_time(double(len) / fabric_bytes_per_ns, sc_core::SC_NS);
  delay = std::max(mem_delay, fabric);
  tx.set_response_status(fwd.get_response_status());
}

}  // namespace prunesim::models
