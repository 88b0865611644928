#include "prunesim/models/dram_system.h"

#include <algorithm>
#include <cmath>

namespace prunesim::models {

DramSystem::DramSystem(const DramConfig& cfg)
    : cfg_(cfg),
      burst_(cfg.org.burst_bytes(cfg.timing.BL)),
      last_arrival_(cfg.org.channels, 0),
      touched_(cfg.org.channels, false),
      on_done_(cfg.org.channels) {
  for (uint32_t c = 0; c < cfg_.org.channels; ++c) channels_.push_back(std::make_unique<DramChannel>(cfg_));
  granule_shift_ = uint32_t(__builtin_ctzll(cfg_.org.interleave_bytes));
  burst_shift_ = uint32_t(__builtin_ctzll(burst_));
  const uint32_t n = cfg_.org.channels;
  channels_pow2_ = (n & (n - 1)) == 0;
  if (channels_pow2_) channel_mask_ = n - 1, channel_shift_ = uint32_t(__builtin_ctz(n));
}

void DramSystem::set_on_done(OnDone f) {
  for (uint32_t c = 0; c < channels_.size(); ++c) {
    if (f)
      on_done_[c] = [f, c](const DramCompletion& d) { f(c, d); };
    else
      on_done_[c] = nullptr;
  }
}

uint64_t DramSystem::ns_to_cycles_floor(double ns) const {
  return uint64_t(std::floor(ns / cfg_.timing.tck_ns));
}

DramSystem::Bursts DramSystem::submit(uint64_t arrival, uint64_t addr, uint64_t bytes, bool write,
                                      bool stream) {
  Bursts b{next_id_, 0};
  if (bytes == 0) return b;
  const uint64_t granule = cfg_.org.interleave_bytes;
  const uint64_t end = addr + bytes;
  uint64_t at = addr >> burst_shift_ << burst_shift_;
  uint64_t since_run = 0;
  // Within one interleave granule the channel is fixed and the channel-local addresses are contiguous, so
  // a granule is one run of consecutive bursts.
  while (at < end) {
    const uint64_t g = at >> granule_shift_;
    const ChannelAddr ca = split(at);
    DramChannel& ch = *channels_[ca.channel];
    const uint64_t granule_end = std::min(end, (g + 1) << granule_shift_);
    const uint32_t n = uint32_t((granule_end - at + burst_ - 1) >> burst_shift_);
    uint64_t& last = last_arrival_[ca.channel];
    last = std::max({last, arrival, ch.now()});
    ch.submit_run(next_id_, last, ca.local, n, write);
    touched_[ca.channel] = true;
    next_id_ += n;
    b.count += n;
    at += uint64_t(n) * burst_;
    // Serve what was fed every 4 MiB: the pending runs (one per granule) stay small, and the closed form
    // gets long blocks (each stop queues a burst entry per free slot).
    if (stream && (since_run += granule) >= 4 * 1024 * 1024) {
      since_run = 0;
      for (uint32_t c = 0; c < channels_.size(); ++c)
        if (touched_[c]) channels_[c]->run_ahead(on_done_[c]);
    }
  }
  return b;
}

void DramSystem::run() {
  touched_done_ = 0;
  for (uint32_t c = 0; c < channels_.size(); ++c) {
    if (!touched_[c]) continue;
    channels_[c]->run(on_done_[c]);
    // A channel's data bus is sequential: its latest completion is the end of what it was given.
    touched_done_ = std::max(touched_done_, channels_[c]->stats().last_done);
    touched_[c] = false;
  }
}

DramStats DramSystem::stats() const {
  DramStats s;
  for (const auto& ch : channels_) s += ch->stats();
  return s;
}

size_t DramSystem::queued() const {
  size_t n = 0;
  for (const auto& ch : channels_) n += ch->queued();
  return n;
}

}  // namespace prunesim::models
