#pragma once
// An on-chip buffer (BRAM36, URAM288 or M10K banks) as a TLM-2.0 target. Reads and writes carry an address
// and a length within its capacity and take ceil(length / bytes_per_cycle) cycles at the banks' aggregate
// width (banks x ports x word width, BufferConfig::bytes_per_cycle), annotated on the b_transport delay.
//
// A transaction whose streaming width is shorter than its length covers that window again and again (TLM-2.0
// streaming semantics): a feeder re-streaming a resident activation tile fold after fold, or a weight tile
// larger than its slot streamed through it. Only the window has to fit the buffer.
//
// Loosely timed: initiators are not arbitrated against each other (each sees the whole bandwidth); the
// buffer counts the bytes each port moved, so a shared port's load is visible.
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include <algorithm>
#include <cstdint>

#include "prunesim/models/hw_config.h"

namespace prunesim::models {

class OnChipBuffer : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<OnChipBuffer> socket;

  OnChipBuffer(sc_core::sc_module_name name, const BufferConfig& cfg, double cycle_ns);

  uint64_t capacity() const { return cfg_.physical_bytes(); }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }
  // Cycles `bytes` take through the buffer's ports.
  uint64_t port_cycles(uint64_t bytes) const;

 private:
  void b_transport(int port, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned int transport_dbg(int port, tlm::tlm_generic_payload& tx);
  bool in_range(const tlm::tlm_generic_payload& tx) const;

  BufferConfig cfg_;
  double cycle_ns_;
  uint64_t bytes_read_ = 0, bytes_written_ = 0;
};

// An access to a buffer from an initiator socket: `bytes` at `addr`, re-covering a window of `window` bytes
// (0: the whole length). Adds the buffer's time to `delay`; SC_REPORT_ERROR when the buffer refuses it.
// Streams longer than a TLM length (32 bits) go as several transactions.
template <class Socket>
void buffer_access(Socket& s, tlm::tlm_command cmd, uint64_t addr, uint64_t bytes, uint64_t window,
                   sc_core::sc_time& delay) {
  const uint64_t span = window ? std::min(window, bytes) : bytes;
  constexpr uint64_t kMax = uint64_t(1) << 31;
  while (bytes) {
    const uint64_t len = std::min(bytes, kMax);
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(nullptr);  // timing: no data moves (functional checks observe the schedule instead)
    tx.set_data_length(uint32_t(len));
    tx.set_streaming_width(uint32_t(std::min(span, len)));
    tx.set_byte_enable_ptr(nullptr);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    s->b_transport(tx, delay);
    if (tx.is_response_error()) SC_REPORT_ERROR("prunesim/buffer", tx.get_response_string().c_str());
    bytes -= len;
  }
}

}  // namespace prunesim::models
