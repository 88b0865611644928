#pragma once
// Power from the run's energy: the average by component, static and dynamic apart, energy efficiency counted
// two ways, and a power-over-time series for the report's plot. Whatever the energy model (today the
// per-event table, configs/energy/*.ini), the series holds exactly the run's energy: each op's compute and
// on-chip energy is spread evenly over the op's own span, the DRAM energy follows the DRAM bytes of each
// interval (the activates' share with it), and static power is constant.
#include <vector>

#include "prunesim/models/accelerator.h"

namespace prunesim::models {

struct PowerReport {
  // Average power over the run (W): each component's energy over the latency.
  double pe_w = 0, onchip_w = 0, ddr_w = 0, vector_w = 0, static_w = 0;
  double dynamic_w() const { return pe_w + onchip_w + ddr_w + vector_w; }
  double average_w() const { return dynamic_w() + static_w; }
  // Energy efficiency, 2 ops per MAC, per watt of average power (static included): the ops performed, and
  // the ops the unpruned model would have needed for the same result (dense-equivalent).
  double gops_per_w_performed = 0, gops_per_w_dense_equivalent = 0;
  // Power per interval of `interval_ns` from the run's start (the DRAM timeline's grid, extended to the end
  // of the run; the last interval may be shorter: `last_interval_ns`), and the highest of them.
  double interval_ns = 0, last_interval_ns = 0;
  std::vector<double> total_w;
  double peak_w = 0;
};

PowerReport power_report(const RunResult& r, const HwConfig& hw);

}  // namespace prunesim::models
