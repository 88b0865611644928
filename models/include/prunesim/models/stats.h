#pragma once
// What a simulation measured, per op and in total.
#include <cstdint>
#include <string>
#include <vector>

namespace prunesim::models {

// Weight positions a PE op works on, summed over its work items: all of them (the stored matrix's rows x
// cols), those the engine worked through (kept + zeros it could not skip), and the kept ones.
struct WeightWork {
  uint64_t stored = 0, issued = 0, kept = 0;

  WeightWork& operator+=(const WeightWork& o) {
    stored += o.stored, issued += o.issued, kept += o.kept;
    return *this;
  }
  // Fraction of the stored matrix's work the engine skipped: 1 - issued / stored.
  double work_skipped() const { return stored ? 1.0 - double(issued) / double(stored) : 0.0; }
  // Fraction of the zero weights the engine skipped (0 when there are none).
  double zeros_skipped() const {
    return stored > kept ? double(stored - issued) / double(stored - kept) : 0.0;
  }
  bool has_zeros() const { return stored > kept; }
};

struct OpStats {
  uint32_t id = 0;
  int layer = -1;
  std::string name, kind;
  uint64_t start_cycle = 0, cycles = 0;
  uint64_t busy_cycles = 0;  // cycles a compute unit worked on this op
  uint64_t macs = 0;
  WeightWork weights;        // PE ops
  uint64_t issued_macs = 0;  // MACs performed including zeros the engine could not skip (PE energy events)
  std::string pattern;       // Gemm: the weight matrix's pruning pattern (models/engine.h pattern_label)
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
  uint64_t onchip_read_bytes = 0, onchip_write_bytes = 0;
  uint64_t vector_ops = 0;
  // Stall cycles by cause: waiting for DRAM data, buffer-port bandwidth, write-back to DRAM, and the
  // token-pruning unit on the critical path (its top-k and compaction hold the layer up).
  uint64_t stall_memory = 0, stall_ports = 0, stall_writeback = 0, stall_token_unit = 0;
  uint64_t preload_saved_cycles = 0;  // saved by overlapping weight preload (pe.overlap_preload)
  uint64_t hidden_cycles = 0;    // of busy_cycles, hidden behind the previous op (nonlinear.softmax_overlap)
  double utilization = 0;        // efficiency: useful MACs / (cycles x the engine's peak MACs per cycle)
  double imbalance = 1.0;        // max over mean PE-group work (Gemm; 1 when balanced)
  uint64_t roofline_cycles = 0;  // max(MACs / peak MAC rate, DRAM bytes / peak bandwidth)
  uint32_t tokens = 0;           // tokens alive after the op (token pruning), else 0
};

}  // namespace prunesim::models
