#pragma once
// What initiators write to the command ports of the DMA and the compute units: descriptors, carried as the
// data of a TLM-2.0 write (address 0, length sizeof the descriptor), as a driver programs a real DMA engine
// or accelerator. The target answers with its time as the b_transport delay and records what it did as stats
// events (stats.h); nothing is written back into the request.
#include <tlm>

#include <cstdint>

namespace prunesim::models {

// A transfer between DRAM and the on-chip buffers. Loads: `bytes` from DRAM at `dram_addr`; the first
// `weight_bytes` land in the weight buffer at `weight_buffer_addr`, the rest (activations, KV cache) in the
// activation buffer. Stores: `bytes` from the activation buffer to DRAM at `dram_addr`.
struct DmaDescriptor {
  bool store = false;
  uint64_t dram_addr = 0, bytes = 0;
  uint64_t weight_bytes = 0, weight_buffer_addr = 0;
};

// One work item of the plan for a compute unit (the unit holds the plan, as an accelerator holds its
// program). `weight_buffer_addr`: where the item's weight tile sits (PE items). `overlap_window`: cycles the
// unit may hide its work behind what ran before it: for the token unit, since the layer's softmax ended
// (tpu.overlap); for a softmax on the vector unit, the preceding QK^T's busy cycles (softmax_overlap).
struct WorkDescriptor {
  uint32_t item = 0;
  uint64_t weight_buffer_addr = 0;
  uint64_t overlap_window = 0;
  bool may_overlap = false;
};

// Fills a write of `d` to a command port (address 0).
template <class Descriptor>
void set_descriptor_write(tlm::tlm_generic_payload& tx, Descriptor& d) {
  tx.set_command(tlm::TLM_WRITE_COMMAND);
  tx.set_address(0);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&d));
  tx.set_data_length(sizeof(Descriptor));
  tx.set_streaming_width(sizeof(Descriptor));
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// The descriptor a command-port write carries, or null (and the payload's error response set) when the
// write is not one: wrong command, address or length.
template <class Descriptor>
const Descriptor* descriptor_of(tlm::tlm_generic_payload& tx) {
  if (tx.get_command() != tlm::TLM_WRITE_COMMAND) {
    tx.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return nullptr;
  }
  if (tx.get_address() != 0) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return nullptr;
  }
  if (tx.get_data_length() != sizeof(Descriptor) || !tx.get_data_ptr()) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return nullptr;
  }
  return reinterpret_cast<const Descriptor*>(tx.get_data_ptr());
}

}  // namespace prunesim::models
