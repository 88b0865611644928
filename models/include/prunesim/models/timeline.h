#pragma once
// Bytes over time at the DRAM: each transaction's bytes spread evenly over the span it occupies (from its
// arrival to its last burst's completion), summed per interval. Every byte that crosses the DRAM lands in
// exactly one place, so the series sums to the run's DRAM traffic. With no interval given, intervals start
// at 0.1 us and double (neighbours merged) whenever the run outgrows `max_bins`, so a report of any run stays
// small; a given interval is kept unless the run would need more than `max_bins` of it. A level series (the
// weight buffer's occupancy) rides on the same grid.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace prunesim::models {

class ByteTimeline {
 public:
  // interval_ns 0: automatic.
  explicit ByteTimeline(double interval_ns = 0, size_t max_bins = 0);

  void add(double start_ns, double end_ns, uint64_t bytes, bool write);
  // A level that steps by `delta` at `t_ns` (bytes held in a buffer); level_max() gives its highest value in
  // each interval of the final grid. Steps come in time order (simulation time), so each is folded into its
  // interval's maximum as it comes: memory stays the grid's, however many steps a run takes, and a
  // coarsened interval's maximum is the larger of its two halves'.
  void level_change(double t_ns, double delta);
  std::vector<double> level_max() const;

  double interval_ns() const { return interval_ns_; }
  double requested_interval_ns() const { return requested_ns_; }
  const std::vector<double>& read_bytes() const { return read_; }
  const std::vector<double>& write_bytes() const { return write_; }

 private:
  void grow_to(size_t bins);
  void spread(std::vector<double>& series, double start_ns, double end_ns, double bytes);

  double requested_ns_;
  double interval_ns_;
  size_t max_bins_;
  std::vector<double> read_, write_;
  std::vector<double> level_max_;  // per interval, the highest level after a step in it or carried into it
  double level_ = 0, last_step_ns_ = 0;
  size_t level_bin_ = 0;  // the interval of the last step: later ones have not had the level carried in yet
};

}  // namespace prunesim::models
