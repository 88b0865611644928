#include "prunesim/models/dram_target.h"

#include <algorithm>

namespace prunesim::models {

DramTarget::DramTarget(sc_core::sc_module_name name, const DramConfig& cfg, bool ideal, double timeline_ns)
    : sc_module(name),
      socket("socket"),
      queue_depth("queue_depth"),
      memory_(cfg),
      ideal_(ideal),
      timeline_(timeline_ns) {
  socket.register_b_transport(this, &DramTarget::b_transport);
  socket.register_transport_dbg(this, &DramTarget::transport_dbg);
  SC_METHOD(publish_depth);
  sensitive << depth_changed_;
  dont_initialize();
}

void DramTarget::publish_depth() {
  queue_depth.write(depth_);
}

void DramTarget::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t len = tx.get_data_length();
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  if (len == 0) return;
  const double start_ns = (sc_core::sc_time_stamp() + delay).to_seconds() * 1e9;
  if (ideal_) {  // ideal memory: never stalls
    timeline_.add(start_ns, start_ns, len, tx.is_write());
    return;
  }
  // Every burst of the transaction arrives when it starts (or when its channel is free to take it); the
  // transaction ends when the last of its bursts does.
  memory_.submit(memory_.ns_to_cycles_floor(start_ns), tx.get_address(), len, tx.is_write(), /*stream=*/true);
  depth_ = int(memory_.queued());
  memory_.run();
  const double done_ns = std::max(start_ns, memory_.cycles_to_ns(memory_.last_done_of_touched()));
  timeline_.add(start_ns, done_ns, len, tx.is_write());
  depth_changed_.notify(sc_core::SC_ZERO_TIME);
  delay += sc_core::sc_time(done_ns - start_ns, sc_core::SC_NS);
}

unsigned int DramTarget::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  // No backing store is modelled in timing mode; debug accesses read zeros and write nothing.
  if (tx.is_read() && tx.get_data_ptr()) std::fill_n(tx.get_data_ptr(), tx.get_data_length(), 0);
  return tx.get_data_length();
}

}  // namespace prunesim::models
