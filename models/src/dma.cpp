#include "prunesim/models/dma.h"

#include "prunesim/models/param_fields.h"

#include <algorithm>
#include <cstring>

#include "prunesim/models/buffer.h"
#include "prunesim/models/payload.h"

namespace prunesim::models {

Dma::Dma(sc_core::sc_module_name name, const DmaConfig& cfg, uint32_t channels, double cycle_ns,
         double round_trip_ns, bool ideal, uint64_t weight_slot, uint64_t act_window)
    : sc_module(name),
      target("target"),
      to_dram("to_dram"),
      to_weight_buffer("to_weight_buffer"),
      to_act_buffer("to_act_buffer"),
      cfg_(cfg),
      channels_(channels),
      cycle_ns_(cycle_ns),
      round_trip_ns_(round_trip_ns),
      ideal_(ideal),
      weight_slot_(weight_slot),
      act_window_(act_window) {
  target.register_b_transport(this, &Dma::b_transport);
  target.register_transport_dbg(this, &Dma::transport_dbg);
}

void Dma::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const DmaDescriptor* desc = descriptor_of<DmaDescriptor>(tx);
  if (!desc) return;
  const DmaDescriptor d = *desc;
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  if (d.bytes == 0) return;
  if (d.weight_bytes > d.bytes) {
    tx.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  const uint64_t bursts = (d.bytes + cfg_.burst_bytes - 1) / cfg_.burst_bytes;
  bursts_ += bursts;
  (d.store ? bytes_written_ : bytes_read_) += d.bytes;
  // The on-chip side, streamed as the data moves: a store reads the activation buffer, a load writes the
  // weight tile into its slot and the rest into the activation buffer.
  sc_core::sc_time weights_done = delay, acts_done = delay;
  if (d.store) {
    buffer_access(to_act_buffer, tlm::TLM_READ_COMMAND, 0, d.bytes, act_window_, acts_done);
  } else {
    buffer_access(to_weight_buffer, tlm::TLM_WRITE_COMMAND, d.weight_buffer_addr, d.weight_bytes,
                  weight_slot_, weights_done);
    buffer_access(to_act_buffer, tlm::TLM_WRITE_COMMAND, 0, d.bytes - d.weight_bytes, act_window_, acts_done);
  }
  // DRAM side: forwarded as one stream so the simulator pays per transfer, not per beat; the DRAM model
  // queues and reorders the bursts' requests.
  sc_core::sc_time mem_delay = delay;
  for (uint64_t at = 0; at < d.bytes;) {
    const uint64_t len = std::min<uint64_t>(d.bytes - at, uint64_t(1) << 31);  // TLM lengths are 32 bits
    tlm::tlm_generic_payload fwd;
    fwd.set_command(d.store ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    fwd.set_address(d.dram_addr + at);
    fwd.set_data_length(uint32_t(len));
    fwd.set_data_ptr(nullptr);
    fwd.set_streaming_width(uint32_t(len));
    to_dram->b_transport(fwd, mem_delay);
    if (fwd.is_response_error()) {
      tx.set_response_status(fwd.get_response_status());
      return;
    }
    at += len;
  }
  if (ideal_) {  // ideal memory: transfers take no time (DRAM, fabric and buffer fill alike)
    delay = mem_delay;
    return;
  }
  // The fabric side moves at most bus_bits per cycle per channel port.
  const double fabric_bytes_per_ns = double(cfg_.bus_bits) / 8.0 * channels_ / cycle_ns_;
  const sc_core::sc_time fabric(double(d.bytes) / fabric_bytes_per_ns, sc_core::SC_NS);
  // With `outstanding` bursts in flight, each round of them waits one unloaded DRAM round trip (Little's
  // law).
  const uint64_t rounds = (bursts + cfg_.outstanding - 1) / cfg_.outstanding;
  const sc_core::sc_time latency_bound(double(rounds) * round_trip_ns_, sc_core::SC_NS);
  delay = std::max({mem_delay, delay + fabric, delay + latency_bound, weights_done, acts_done});
}

unsigned int Dma::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  // The command port holds no state a debugger could read back; it answers with nothing.
  (void)tx;
  return 0;
}

// [dma]
ConfigSection dma_section() {
  return {"dma",
          {uint_field(
               "burst_bytes", [](HwConfig& h) -> uint32_t& { return h.dma.burst_bytes; }, 64, 4096,
               "AXI burst size"),
           uint_field(
               "outstanding", [](HwConfig& h) -> uint32_t& { return h.dma.outstanding; }, 1, 256,
               "bursts in flight"),
           uint_field(
               "bus_bits", [](HwConfig& h) -> uint32_t& { return h.dma.bus_bits; }, 32, 1024,
               "AXI data width per port")},
          {}};
}

}  // namespace prunesim::models
