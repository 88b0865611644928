#include "prunesim/models/timeline.h"

#include <algorithm>
#include <cmath>

namespace prunesim::models {

namespace {
constexpr double kAutoStartNs = 100.0;
constexpr size_t kAutoBins = 1000, kFixedBinsMax = 200000;
}  // namespace

ByteTimeline::ByteTimeline(double interval_ns, size_t max_bins)
    : requested_ns_(interval_ns),
      interval_ns_(interval_ns > 0 ? interval_ns : kAutoStartNs),
      max_bins_(max_bins          ? max_bins
                : interval_ns > 0 ? kFixedBinsMax
                                  : kAutoBins) {}

void ByteTimeline::grow_to(size_t bins) {
  // Coarsen by merging neighbours until the run fits, then extend.
  while (bins > max_bins_) {
    for (auto* s : {&read_, &write_}) {
      std::vector<double> merged((s->size() + 1) / 2, 0.0);
      for (size_t i = 0; i < s->size(); ++i) merged[i / 2] += (*s)[i];
      *s = std::move(merged);
    }
    std::vector<double> merged((level_max_.size() + 1) / 2, 0.0);
    for (size_t i = 0; i < level_max_.size(); ++i) merged[i / 2] = std::max(merged[i / 2], level_max_[i]);
    level_max_ = std::move(merged);
    level_bin_ /= 2;
    interval_ns_ *= 2;
    bins = (bins + 1) / 2;
  }
  if (read_.size() < bins) {
    read_.resize(bins, 0.0);
    write_.resize(bins, 0.0);
    level_max_.resize(bins, 0.0);
  }
}

void ByteTimeline::spread(std::vector<double>& series, double start_ns, double end_ns, double bytes) {
  const size_t first = size_t(start_ns / interval_ns_);
  if (end_ns <= start_ns) {  // ideal memory: all at once
    series[first] += bytes;
    return;
  }
  const size_t last = std::min(series.size() - 1, size_t(end_ns / interval_ns_));
  const double rate = bytes / (end_ns - start_ns);
  double placed = 0;
  for (size_t i = first; i <= last; ++i) {
    const double a = std::max(start_ns, double(i) * interval_ns_);
    const double b = i == last ? end_ns : std::min(end_ns, double(i + 1) * interval_ns_);
    const double part = i == last ? bytes - placed : rate * (b - a);  // the remainder: sums stay exact
    series[i] += part;
    placed += part;
  }
}

void ByteTimeline::add(double start_ns, double end_ns, uint64_t bytes, bool write) {
  if (bytes == 0) return;
  start_ns = std::max(0.0, start_ns);
  end_ns = std::max(start_ns, end_ns);
  grow_to(size_t(end_ns / interval_ns_) + 1);
  spread(write ? write_ : read_, start_ns, end_ns, double(bytes));
}

void ByteTimeline::level_change(double t_ns, double delta) {
  // Simulation time never goes back; a step stamped earlier than the last (none is) counts at the last's
  // time, so the series stays a function of the steps in the order they came.
  t_ns = std::max({0.0, t_ns, last_step_ns_});
  last_step_ns_ = t_ns;
  grow_to(size_t(t_ns / interval_ns_) + 1);
  const size_t b = size_t(t_ns / interval_ns_);
  for (; level_bin_ < b; ++level_bin_)  // the level carries on through the intervals with no step
    level_max_[level_bin_ + 1] = std::max(level_max_[level_bin_ + 1], level_);
  level_ += delta;
  level_max_[b] = std::max(level_max_[b], level_);
}

std::vector<double> ByteTimeline::level_max() const {
  std::vector<double> out = level_max_;
  for (size_t bin = level_bin_; bin + 1 < out.size(); ++bin) out[bin + 1] = std::max(out[bin + 1], level_);
  return out;
}

}  // namespace prunesim::models
