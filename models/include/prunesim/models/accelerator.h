#pragma once
// The accelerator top and the run that elaborates it once, simulates a trace and gathers the results. Its
// blocks meet through TLM-2.0 sockets as the hardware's do:
//
//   controller --(DMA descriptors)--> dma --> dram
//                                      \---> weight_buffer, act_buffer (loads fill them, stores drain)
//   controller --(work descriptors)--> pe_array, vector_unit, token_unit --> act_buffer (pe_array: and
//                                                                            weight_buffer)
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "prunesim/models/buffer.h"
#include "prunesim/models/compute_units.h"
#include "prunesim/models/controller.h"
#include "prunesim/models/dma.h"
#include "prunesim/models/dram_target.h"
#include "prunesim/models/resources.h"
#include "prunesim/models/schedule_observer.h"

namespace prunesim::models {

class Accelerator : public sc_core::sc_module {
 public:
  // keep_op_stats: every op's stats are kept for RunResult::ops (the per-op reports); otherwise only the
  // rollups are, and the run's memory does not grow with the trace's length.
  Accelerator(sc_core::sc_module_name name, const workloads::Trace& trace, const HwConfig& hw,
              bool keep_op_stats = true);

  // First, in this order: the tiling uses the engine; the controller and the units share plan and stats.
  std::unique_ptr<ComputeEngine> engine;
  TileStream plan;
  OpStatsBoard stats;
  Controller controller;
  Dma dma;
  DramTarget dram;
  OnChipBuffer weight_buffer;
  OnChipBuffer act_buffer;
  PeArray pe;
  VectorUnit vector;
  TokenUnit tpu;

  void trace_signals(sc_core::sc_trace_file* tf);
};

struct EnergyBreakdown {
  double pe_mj = 0, onchip_mj = 0, ddr_mj = 0, vector_mj = 0, static_mj = 0;
  double dynamic() const { return pe_mj + onchip_mj + ddr_mj + vector_mj; }
  double total() const { return dynamic() + static_mj; }
};

// The power the energy makes (power.h): averages, efficiency and the power-over-time series.
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

// The per-event energy (mJ) of some compute work, an op's or a whole run's: its MACs, vector ops and
// on-chip accesses, with `weight_bytes` fetched from DRAM written into and read once from the weight buffer.
struct WorkEnergy {
  double pe_mj = 0, onchip_mj = 0, vector_mj = 0;
};
WorkEnergy work_energy(const WorkCounts& w, uint64_t weight_bytes, int weight_bits, const HwConfig& hw);

// The counts (WorkCounts) are the run's totals over its ops.
struct RunResult : WorkCounts {
  uint64_t cycles = 0;
  double clock_mhz = 0;
  double latency_ms = 0;
  std::vector<OpStats> ops;  // every op's, in program order, when the run kept them (simulate)
  OpRollups rollups;         // all ops' together, always
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;                  // as the DMA moved them
  uint64_t planned_ddr_read_bytes = 0, planned_ddr_write_bytes = 0;  // as the tiling policy requires
  DramStats dram;
  uint64_t dram_requests = 0;
  uint64_t dma_bursts = 0;
  double utilization = 0;  // MACs / (cycles x peak MACs per cycle)
  uint64_t roofline_cycles = 0;
  EnergyBreakdown energy;
  PowerReport power;
  ResourceUse resources;
  std::string engine;                                            // the engine's one-line description
  uint64_t peak_macs_per_cycle = 0;                              // of the engine
  std::vector<std::pair<std::string, Capability>> capabilities;  // per pattern present: what the engine skips
  uint64_t dense_equivalent_macs = 0;  // MACs of the same ops with unpruned weights (GOPS both ways)
  int weight_bits = 8;
  ByteTimeline timeline;  // DRAM bytes over time
};

// Elaborates, simulates and collects. Call once per process (SystemC elaborates once).
// `vcd_path` (without extension handling: written exactly there) may be empty. `observers` are told of every
// compute work item as the controller executes it (the functional check is one, sim/functional.h).
// The weight precision holding most kept weights: the one the resource estimate sizes DSPs for.
int dominant_weight_bits(const workloads::Trace& t);

// keep_op_stats false leaves RunResult::ops empty (no per-op report wanted): the rollups have the rest.
RunResult simulate(const workloads::Trace& trace, const HwConfig& hw, const std::string& vcd_path = "",
                   const std::vector<ScheduleObserver*>& observers = {}, bool keep_op_stats = true);

// A finished op into its run: the op's roofline bound and utilisation (r.peak_macs_per_cycle and
// r.weight_bits set), and its share of the run's rollups and power-over-time series.
void add_finished_op(RunResult& r, OpStats& op, const HwConfig& hw);

// The run's end-of-run invariants: latency at or above its roofline bound, utilisation at most 100 %, the
// MACs performed equal to the trace's closed-form count, every DRAM byte counted once (the DMA's bytes, the
// DRAM model's and the timeline's agree). A violation is a simulator bug: std::logic_error with the numbers,
// never a report.
void check_run_invariants(const RunResult& r, const workloads::Trace& trace, const HwConfig& hw);

// Energy of a run from its event counts and the per-event table.
EnergyBreakdown compute_energy(const RunResult& r, const HwConfig& hw);
// Roofline bound of one op: max(MACs / peak MACs per cycle, DRAM bytes / bytes-per-cycle of all channels).
uint64_t roofline_cycles(uint64_t macs, uint64_t ddr_bytes, uint64_t peak_macs_per_cycle, const HwConfig& hw);

}  // namespace prunesim::models
