#pragma once
// What a simulation measured, per op and in total.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
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

// What compute work did, whoever sums it: a unit for one work item, an op over its items, a run over its ops.
struct WorkCounts {
  uint64_t macs = 0;
  uint64_t issued_macs = 0;  // MACs performed including zeros the engine could not skip (PE energy events)
  WeightWork weights;        // PE ops
  uint64_t vector_ops = 0;
  uint64_t onchip_read_bytes = 0, onchip_write_bytes = 0;  // activation values read and results written

  WorkCounts& operator+=(const WorkCounts& o) {
    macs += o.macs, issued_macs += o.issued_macs, weights += o.weights, vector_ops += o.vector_ops;
    onchip_read_bytes += o.onchip_read_bytes, onchip_write_bytes += o.onchip_write_bytes;
    return *this;
  }
};

// A compute unit's stats event for one work item: its counts and where its cycles went.
struct UnitStats : WorkCounts {
  uint64_t busy_cycles = 0;           // cycles the unit worked (hidden ones included)
  uint64_t stall_ports = 0;           // part of busy_cycles lost to buffer-port bandwidth
  uint64_t preload_saved_cycles = 0;  // saved by overlapping weight preload (pe.overlap_preload)
  uint64_t hidden_cycles = 0;     // of busy_cycles, hidden behind the previous op (nonlinear.softmax_overlap)
  uint64_t stall_token_unit = 0;  // token unit: cycles it held the layer up (what tpu.overlap left exposed)
  uint64_t stall_weight_banks = 0;      // part of busy_cycles lost to weight-bank conflicts (block_pe per_pe)
  uint64_t bank_conflicts_avoided = 0;  // cycles the hier layout saved against block CSR on such banks
  uint64_t bank_conflicts_avoidable = 0;  // cycles it would save on the block-CSR matrices
  double imbalance = 1.0;                 // max over mean PE-group work (Gemm; 1 when balanced)

  UnitStats& operator+=(const UnitStats& o) {
    WorkCounts::operator+=(o);
    busy_cycles += o.busy_cycles, stall_ports += o.stall_ports,
        preload_saved_cycles += o.preload_saved_cycles;
    hidden_cycles += o.hidden_cycles, stall_token_unit += o.stall_token_unit;
    stall_weight_banks += o.stall_weight_banks, bank_conflicts_avoided += o.bank_conflicts_avoided;
    bank_conflicts_avoidable += o.bank_conflicts_avoidable;
    imbalance = imbalance > o.imbalance ? imbalance : o.imbalance;
    return *this;
  }
};

struct OpStats : UnitStats {
  uint32_t id = 0;
  int layer = -1;
  std::string name, kind;
  uint64_t start_cycle = 0, cycles = 0;
  std::string pattern;  // Gemm: the weight matrix's pruning pattern (models/engine.h pattern_label)
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
  // Stall cycles the controller saw: waiting for DRAM data and for write-back to DRAM (the units' own stalls,
  // port bandwidth and the token unit, are in UnitStats).
  uint64_t stall_memory = 0, stall_writeback = 0;
  double utilization = 0;        // efficiency: useful MACs / (cycles x the engine's peak MACs per cycle)
  uint64_t roofline_cycles = 0;  // max(MACs / peak MAC rate, DRAM bytes / peak bandwidth)
  uint32_t tokens = 0;           // tokens alive after the op (token pruning), else 0
};

// What the reports need of all the ops together, summed as each op finishes, so a run need not keep every
// op's stats (a long decode's would grow with its length).
struct LayerTotals {
  uint64_t cycles = 0, macs = 0, ddr = 0, stall = 0, ops = 0;
};
// An op's compute, on-chip and vector energy over its span, for the power-over-time series.
struct OpEnergySpan {
  uint64_t start_cycle = 0, cycles = 0;
  double mj = 0;
};
struct OpRollups {
  WorkCounts work;  // the run's counts
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
  std::map<int, LayerTotals> layers;             // by layer (-1: outside the layers)
  std::map<std::string, WeightWork> by_pattern;  // by the op's pattern label ("" for non-GEMM ops)
  uint64_t stall_weight_banks = 0, bank_conflicts_avoided = 0, bank_conflicts_avoidable = 0;
  std::vector<OpEnergySpan> energy;  // one per op (24 B: a tenth of its stats)

  void add(const OpStats& s) {
    work += s;
    ddr_read_bytes += s.ddr_read_bytes, ddr_write_bytes += s.ddr_write_bytes;
    LayerTotals& l = layers[s.layer];
    l.cycles += s.cycles, l.macs += s.macs, l.ddr += s.ddr_read_bytes + s.ddr_write_bytes;
    l.stall += s.stall_memory + s.stall_ports + s.stall_writeback + s.stall_token_unit, l.ops += 1;
    by_pattern[s.pattern] += s.weights;
    stall_weight_banks += s.stall_weight_banks, bank_conflicts_avoided += s.bank_conflicts_avoided;
    bank_conflicts_avoidable += s.bank_conflicts_avoidable;
  }
};

// Per-op stats of a run: the controller and the compute units record into it (units by stats events, keyed by
// op). Ops finish in program order; each finished op is handed to `on_finish` (the run's rollups) and, unless
// the board keeps every op (for the per-op reports), dropped, so the board holds only the ops in flight.
class OpStatsBoard {
 public:
  // `name_op` fills an op's identity (id, name, kind, ...) when its entry is made.
  OpStatsBoard(size_t ops, bool keep_all, std::function<void(size_t, OpStats&)> name_op = {})
      : total_(ops), keep_all_(keep_all), name_op_(std::move(name_op)) {
    if (keep_all_) kept_.reserve(ops);  // sized once: a doubling would hold two copies at the end
  }
  OpStats& op(size_t i) {
    if (i < first_) throw std::logic_error("op stats: op " + std::to_string(i) + " has finished");
    while (i >= first_ + held_.size()) {
      held_.emplace_back();
      if (name_op_) name_op_(first_ + held_.size() - 1, held_.back());
      most_held_ = std::max(most_held_, held_.size());
    }
    return held_[i - first_];
  }
  void record(size_t i, const UnitStats& s) { op(i) += s; }
  void set_on_finish(std::function<void(OpStats&)> f) { on_finish_ = std::move(f); }
  // Ops up to and including i are final (ops without work items finish with the next one that has some).
  void finish_through(size_t i) {
    for (; finished_ <= i && finished_ < total_; ++finished_) {
      OpStats& s = op(finished_);
      if (on_finish_) on_finish_(s);
      if (keep_all_) kept_.push_back(std::move(s));
      held_.pop_front(), ++first_;
    }
  }
  void finish_all() {
    if (total_) finish_through(total_ - 1);
  }
  size_t most_held() const { return most_held_; }  // the most ops in flight at once (tests)
  // The finished ops' stats, when kept, handed over at the end of a run (no second copy).
  std::vector<OpStats> take() { return std::move(kept_); }

 private:
  size_t total_;
  bool keep_all_;
  std::function<void(size_t, OpStats&)> name_op_;
  std::function<void(OpStats&)> on_finish_;
  std::deque<OpStats> held_;  // ops first_ .. first_ + held_.size() - 1, not yet finished
  size_t first_ = 0, finished_ = 0, most_held_ = 0;
  std::vector<OpStats> kept_;
};

}  // namespace prunesim::models
