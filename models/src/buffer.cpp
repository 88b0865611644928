#include "prunesim/models/buffer.h"

#include "prunesim/common/error.h"
#include "prunesim/models/param_fields.h"

#include <algorithm>
#include <cmath>

#include "prunesim/models/sc_util.h"

namespace prunesim::models {

OnChipBuffer::OnChipBuffer(sc_core::sc_module_name name, const BufferConfig& cfg, double cycle_ns)
    : sc_module(name), socket("socket"), cfg_(cfg), cycle_ns_(cycle_ns) {
  socket.register_b_transport(this, &OnChipBuffer::b_transport);
  socket.register_transport_dbg(this, &OnChipBuffer::transport_dbg);
}

uint64_t OnChipBuffer::port_cycles(uint64_t bytes) const {
  return uint64_t(std::ceil(double(bytes) / cfg_.bytes_per_cycle()));
}

bool OnChipBuffer::in_range(const tlm::tlm_generic_payload& tx) const {
  const uint64_t len = tx.get_data_length();
  const uint64_t window = tx.get_streaming_width() ? std::min<uint64_t>(tx.get_streaming_width(), len) : len;
  return tx.get_address() <= capacity() && window <= capacity() - tx.get_address();
}

void OnChipBuffer::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  if (tx.get_command() == tlm::TLM_IGNORE_COMMAND) {
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (!in_range(tx)) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const uint64_t len = tx.get_data_length();
  (tx.is_write() ? bytes_written_ : bytes_read_) += len;
  delay += cycles_to_time(port_cycles(len), cycle_ns_);
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int OnChipBuffer::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  // No contents are modelled in timing mode (functional checks observe the schedule instead): debug reads
  // see zeros, debug writes are dropped, and only addresses inside the buffer answer.
  if (!in_range(tx)) return 0;
  if (tx.is_read() && tx.get_data_ptr()) std::fill_n(tx.get_data_ptr(), tx.get_data_length(), 0);
  return tx.get_data_length();
}

// [buffer.act], [buffer.weight], [buffer.out]: one BufferConfig each.
ConfigSection buffer_section(const std::string& name, HwField<BufferConfig> f) {
  return {
      name,
      {enum_field<MemoryKind>(
           "kind", [f](HwConfig& h) -> MemoryKind& { return f(h).kind; },
           "memory primitive: BRAM36, URAM288 or Intel M10K"),
       uint_field(
           "bytes", [f](HwConfig& h) -> uint64_t& { return f(h).bytes; }, 1024, uint64_t(1) << 34,
           "capacity one tile may use, in bytes (double buffering adds a second copy)"),
       uint_field(
           "banks", [f](HwConfig& h) -> uint32_t& { return f(h).banks; }, 1, 4096, "independent banks"),
       uint_field(
           "ports", [f](HwConfig& h) -> uint32_t& { return f(h).ports; }, 1, 2, "ports per bank (1 or 2)"),
       uint_field(
           "width_bits", [f](HwConfig& h) -> uint32_t& { return f(h).width_bits; }, 8, 4096,
           "bank word width in bits"),
       flag_field(
           "double_buffered", [f](HwConfig& h) -> bool& { return f(h).double_buffered; },
           "split into two halves so loading overlaps use")},
      [f, name](const HwConfig& h) {
        const BufferConfig& b = f(const_cast<HwConfig&>(h));
        if (b.bytes < uint64_t(b.banks) * b.width_bits / 8)
          throw InputError(name + ".bytes: smaller than one word per bank");
      }};
}

}  // namespace prunesim::models
