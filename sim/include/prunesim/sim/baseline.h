#pragma once
// CPU and GPU baselines: a per-op roofline estimate of a trace on a named processor (configs/baselines/), so
// reports can quote the FPGA design's speed-up. These are estimates from datasheet peaks, not simulations.
//
// The model (README "CPU and GPU baselines"): each op runs as one library kernel, one after the other, in
//   time = max(2 * MACs / (peak ops/s at its precision * gemm_efficiency),
//              bytes / (memory bandwidth * memory_efficiency))
// Weights are read dense at their stored shape (head and neuron pruning shrink it; block, unstructured and
// N:M masks do not: dense BLAS gains nothing from them at these densities), activations once in and out at
// their precision, plus the trace's explicit DRAM traffic (inputs, KV cache). Precision picks the peak: up to
// 8 bits the int8 peak, up to 16 the fp16 one, else fp32. With efficiencies of 1 (the shipped files) the
// estimate is the fastest the processor could run the trace, so the FPGA speed-up is a lower bound. A fixed
// per-op cost (`launch_overhead_us`, kernel launch) is added when a file gives one; caches are not modelled.
#include <string>
#include <vector>

#include "prunesim/workloads/trace.h"

namespace prunesim::sim {

struct Baseline {
  std::string name, kind, part, source;  // kind: cpu | gpu
  double peak_int8_tops = 0, peak_fp16_tflops = 0, peak_fp32_tflops = 0;
  double memory_gbps = 0;
  double gemm_efficiency = 1, memory_efficiency = 1;
  double launch_overhead_us = 0;  // fixed cost per op (kernel launch); 0 in the shipped files
};

struct BaselineEstimate {
  std::string name, kind;
  double latency_ms = 0;
  double compute_bound_ms = 0, memory_bound_ms = 0;  // op time summed by the side of the roofline that won
  double overhead_ms = 0;                            // per-op launch overheads
  uint64_t macs = 0, bytes = 0;
};

// Reads a baseline file ([baseline] keys); throws InputError naming file:line on unknown, missing or bad
// keys.
Baseline read_baseline(const std::string& path);
// The files in configs/baselines, sorted.
std::vector<std::string> shipped_baselines();
BaselineEstimate estimate_baseline(const workloads::Trace& trace, const Baseline& b);
// How many times faster a design taking `fpga_ms` is than the baseline (0 when fpga_ms is not positive).
double fpga_speedup(const BaselineEstimate& b, double fpga_ms);
// "NAME L ms (FPGA Sx), ..." for reports.
std::string speedups_text(const std::vector<BaselineEstimate>& bs, double fpga_ms);

}  // namespace prunesim::sim
