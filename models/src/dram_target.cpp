#include "prunesim/models/dram_target.h"

#include <algorithm>
#include <cmath>

namespace prunesim::models {

DramTarget::DramTarget(sc_core::sc_module_name name, const DramConfig& cfg, bool ideal)
    : sc_module(name), socket("socket"), queue_depth("queue_depth"), cfg_(cfg), ideal_(ideal) {
  for (uint32_t c = 0; c < cfg_.org.channels; ++c) channels_.push_back(std::make_unique<Ddr4Channel>(cfg_));
  socket.register_b_transport(this, &DramTarget::b_transport);
  socket.register_transport_dbg(this, &DramTarget::transport_dbg);
  SC_METHOD(publish_depth);
  sensitive << depth_changed_;
  dont_initialize();
}

void DramTarget::publish_depth() {
  queue_depth.write(depth_);
}

double DramTarget::peak_bytes_per_ns() const {
  return cfg_.peak_gbps_per_channel() * cfg_.org.channels;
}

DramStats DramTarget::total_stats() const {
  DramStats s;
  for (const auto& ch : channels_) s += ch->stats();
  return s;
}

void DramTarget::b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t len = tx.get_data_length();
  const bool write = tx.is_write();
  tx.set_response_status(tlm::TLM_OK_RESPONSE);
  if (len == 0) return;
  if (ideal_) return;  // ideal memory: never stalls
  const double start_ns = (sc_core::sc_time_stamp() + delay).to_seconds() * 1e9;
  const uint32_t burst = cfg_.org.burst_bytes(cfg_.timing.BL);
  const uint64_t nch = channels_.size();
  uint64_t addr = tx.get_address() / burst * burst;
  const uint64_t end = tx.get_address() + len;
  // Every burst of the transaction arrives when it starts (or when its channel is free to take it).
  std::vector<uint64_t> arrival(nch);
  std::vector<bool> touched(nch, false);
  for (uint64_t ch = 0; ch < nch; ++ch)
    arrival[ch] = std::max<uint64_t>(channels_[ch]->now(), uint64_t(start_ns / cfg_.timing.tck_ns));
  // Completions are not needed one by one: a channel's data bus is sequential, so the transaction ends when
  // its last scheduled burst does (the channel's latest completion).
  const std::function<void(const DramCompletion&)> none;
  // Walk the transaction one interleave granule at a time: within a granule the channel is fixed and the
  // channel-local addresses are contiguous.
  const uint64_t granule = cfg_.org.interleave_bytes;
  size_t since_run = 0;
  while (addr < end) {
    const ChannelAddr ca = split_channel(cfg_.org, addr);
    Ddr4Channel& c = *channels_[ca.channel];
    const uint64_t granule_end = std::min(end, (addr / granule + 1) * granule);
    touched[ca.channel] = true;
    const uint32_t n = uint32_t((granule_end - addr + burst - 1) / burst);
    c.submit_run(next_id_, arrival[ca.channel], ca.local, n, write);
    next_id_ += n;
    requests_ += n;
    addr += uint64_t(n) * burst;
    // Long streams are served as they are fed, so the queues stay small (same results as all at once).
    if ((since_run += granule) >= 256 * 1024) {
      since_run = 0;
      for (uint64_t ch = 0; ch < nch; ++ch)
        if (touched[ch]) channels_[ch]->run_ahead(none);
    }
  }
  double done_ns = start_ns;
  size_t depth = 0;
  for (uint64_t ch = 0; ch < nch; ++ch) {
    if (!touched[ch]) continue;
    depth += channels_[ch]->queued();
    channels_[ch]->run(none);
    done_ns = std::max(done_ns, channels_[ch]->cycles_to_ns(channels_[ch]->stats().last_done));
  }
  depth_ = int(depth);
  depth_changed_.notify(sc_core::SC_ZERO_TIME);
  delay += sc_core::sc_time(done_ns - start_ns, sc_core::SC_NS);
}

unsigned int DramTarget::transport_dbg(int, tlm::tlm_generic_payload& tx) {
  // No backing store is modelled in timing mode; debug accesses read zeros and write nothing.
  if (tx.is_read() && tx.get_data_ptr()) std::fill_n(tx.get_data_ptr(), tx.get_data_length(), 0);
  return tx.get_data_length();
}

}  // namespace prunesim::models
