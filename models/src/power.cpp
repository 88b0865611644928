#include "prunesim/models/power.h"

#include <algorithm>
#include <cmath>

namespace prunesim::models {

namespace {

// Adds `amount` spread evenly over [start, end) (ns) to the bins of width w; an empty span lands in the bin
// it starts in. Bins past the end of the series are clamped to its last (the run's end).
void spread(std::vector<double>& bins, double w, double start, double end, double amount) {
  if (amount == 0 || bins.empty()) return;
  const size_t last = bins.size() - 1;
  const size_t first = std::min(last, size_t(std::max(0.0, start) / w));
  if (!(end > start)) {
    bins[first] += amount;
    return;
  }
  const double rate = amount / (end - start);
  for (size_t i = first; i <= last; ++i) {
    const double lo = std::max(start, double(i) * w);
    const double hi = i == last ? end : std::min(end, double(i + 1) * w);
    if (hi > lo) bins[i] += rate * (hi - lo);
    if (double(i + 1) * w >= end) break;
  }
}

}  // namespace

PowerReport power_report(const RunResult& r, const HwConfig& hw) {
  PowerReport p;
  const EnergyBreakdown& e = r.energy;
  if (!(r.latency_ms > 0)) return p;
  // mJ / ms = W.
  p.pe_w = e.pe_mj / r.latency_ms;
  p.onchip_w = e.onchip_mj / r.latency_ms;
  p.ddr_w = e.ddr_mj / r.latency_ms;
  p.vector_w = e.vector_mj / r.latency_ms;
  p.static_w = e.static_mj / r.latency_ms;
  const double energy_j = e.total() * 1e-3;
  if (energy_j > 0) {
    p.gops_per_w_performed = 2.0 * double(r.macs) * 1e-9 / energy_j;
    p.gops_per_w_dense_equivalent = 2.0 * double(r.dense_equivalent_macs) * 1e-9 / energy_j;
  }

  // The grid: the DRAM timeline's, coarsened (neighbours merged, as the timeline itself does) until the run
  // fits in as many intervals as the timeline has, and at least 1,000.
  const double latency_ns = r.latency_ms * 1e6;
  const std::vector<double>& rd = r.timeline.read_bytes();
  const std::vector<double>& wr = r.timeline.write_bytes();
  const size_t limit = std::max<size_t>(1000, rd.size());
  double w = r.timeline.interval_ns() > 0 ? r.timeline.interval_ns() : latency_ns;
  uint64_t merge = 1;
  while (std::ceil(latency_ns / w - 1e-9) > double(limit)) w *= 2, merge *= 2;
  const size_t n = std::max<size_t>(1, size_t(std::ceil(latency_ns / w - 1e-9)));
  p.interval_ns = w;
  p.last_interval_ns = latency_ns - double(n - 1) * w;

  std::vector<double> mj(n, 0.0);  // dynamic energy per interval
  // DRAM: the component's energy in proportion to the bytes each interval moved.
  double bytes = 0;
  for (size_t i = 0; i < rd.size(); ++i) bytes += rd[i] + (i < wr.size() ? wr[i] : 0.0);
  if (bytes > 0) {
    for (size_t i = 0; i < rd.size(); ++i)
      mj[std::min(n - 1, size_t(i / merge))] += e.ddr_mj * (rd[i] + (i < wr.size() ? wr[i] : 0.0)) / bytes;
  } else {
    spread(mj, w, 0, latency_ns, e.ddr_mj);
  }
  // Compute and on-chip: each op's share over its own span. The op shares sum to the components (the run's
  // counts are the sums of its ops'), so the series holds the energy the breakdown reports.
  const double cycle_ns = hw.cycle_ns();
  for (const OpEnergySpan& op : r.rollups.energy) {
    const double start = double(op.start_cycle) * cycle_ns;
    spread(mj, w, start, start + double(op.cycles) * cycle_ns, op.mj);
  }
  p.total_w.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double span_ms = (i + 1 == n ? p.last_interval_ns : w) * 1e-6;
    p.total_w[i] = p.static_w + (span_ms > 0 ? mj[i] / span_ms : 0.0);
  }
  p.peak_w = *std::max_element(p.total_w.begin(), p.total_w.end());
  return p;
}

}  // namespace prunesim::models
