#pragma once
// Power from the run's energy (PowerReport, accelerator.h): the average by component, static and dynamic
// apart, energy efficiency counted two ways, and a power-over-time series for the report's plot. Whatever the
// energy model (today the per-event table, configs/energy/*.ini), the series holds exactly the run's energy:
// each op's compute and on-chip energy is spread evenly over the op's own span, the DRAM energy follows the
// DRAM bytes of each interval (the activates' share with it), and static power is constant.
#include "prunesim/models/accelerator.h"

namespace prunesim::models {

// What simulate() stores in RunResult::power, from the run's energy, ops and DRAM timeline.
PowerReport power_report(const RunResult& r, const HwConfig& hw);

}  // namespace prunesim::models
