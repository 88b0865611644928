#pragma once
// The whole off-chip memory: channels, the channel interleave and the summed statistics. Plain C++ (no
// SystemC), so the TLM target (DramTarget) and `prunesim ddr` drive the very same object.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "prunesim/models/dram_channel.h"

namespace prunesim::models {

class DramSystem {
 public:
  explicit DramSystem(const DramConfig& cfg);

  // Bursts of one submitted byte range: ids first .. first + count - 1, in address order.
  struct Bursts {
    uint64_t first = 0, count = 0;
  };
  // Submits [addr, addr + bytes), split into bursts and over the channels one interleave granule at a time.
  // Every burst arrives at `arrival` (controller cycles), or, if its channel already took a later arrival,
  // then: each channel sees nondecreasing arrivals. With `stream`, long ranges are served while they are fed,
  // so the queues stay a queue's worth deep (the results are the same as serving after the whole range).
  Bursts submit(uint64_t arrival, uint64_t addr, uint64_t bytes, bool write, bool stream = false);
  // Serves every submitted burst.
  void run();
  // Called with each burst's completion and its channel as it is scheduled (none by default: a caller that
  // needs only when a range ends reads last_done_of_touched()).
  using OnDone = std::function<void(uint32_t channel, const DramCompletion&)>;
  void set_on_done(OnDone f);
  // The cycle the latest burst served by any channel touched since the last run() finished its transfer.
  uint64_t last_done_of_touched() const { return touched_done_; }

  DramStats stats() const;  // summed over channels; last_done is the latest
  size_t queued() const;    // requests waiting in all channels
  uint32_t channels() const { return uint32_t(channels_.size()); }
  const DramChannel& channel(uint32_t c) const { return *channels_[c]; }
  const DramConfig& config() const { return cfg_; }
  uint32_t burst_bytes() const { return burst_; }
  uint64_t bursts_submitted() const { return next_id_; }
  uint64_t ns_to_cycles_floor(double ns) const;
  double cycles_to_ns(uint64_t c) const { return double(c) * cfg_.timing.tck_ns; }
  double peak_bytes_per_ns() const { return cfg_.peak_gbps_per_channel() * double(channels_.size()); }

 private:
  // Channel interleaving: granule g of the address space goes to channel g mod channels; channel-local
  // addresses drop the channel bits so each channel sees a dense space. Shifts where the sizes are powers
  // of two (the granule and the burst always are: validated).
  struct ChannelAddr {
    uint32_t channel;
    uint64_t local;
  };
  ChannelAddr split(uint64_t addr) const {
    const uint64_t g = addr >> granule_shift_, offset = addr & ((uint64_t(1) << granule_shift_) - 1);
    if (channels_pow2_)
      return {uint32_t(g & channel_mask_), ((g >> channel_shift_) << granule_shift_) | offset};
    const uint64_t n = channels_.size();
    return {uint32_t(g % n), ((g / n) << granule_shift_) | offset};
  }

  DramConfig cfg_;
  uint32_t burst_;
  uint32_t granule_shift_ = 0, burst_shift_ = 0, channel_shift_ = 0;
  uint64_t channel_mask_ = 0;  // channels - 1 when a power of two
  bool channels_pow2_ = false;
  std::vector<std::unique_ptr<DramChannel>> channels_;
  std::vector<uint64_t> last_arrival_;
  std::vector<bool> touched_;
  uint64_t touched_done_ = 0;
  uint64_t next_id_ = 0;
  std::vector<std::function<void(const DramCompletion&)>> on_done_;  // per channel, bound to its index
};

}  // namespace prunesim::models
