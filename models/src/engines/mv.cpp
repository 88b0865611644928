// The matrix-vector engine: L lanes, each `width` multipliers feeding an adder tree, for batch-1 RNN steps
// and decoder tokens (the shape of the GRU/LSTM accelerators with structured top-k / bank-balanced pruning,
// e.g. ESE, FPGA 2017, and BBS, FPGA 2019). A lane computes one output row at a time: its kept weights
// stream compressed from the weight buffer with their indices, and the lane picks the matching inputs from
// its own copy of x, so every zero is skipped; what fine-grained masks cost instead is imbalance (rows of
// unequal length on lanes that wait for the longest) and index bytes. Row-balanced (top-k per block row)
// masks give every row the same count, so every lane the same work.
// Weight-buffer bandwidth bounds it: each cycle the lanes need L x width weights plus their indices; a
// buffer that delivers less slows the lanes (reported as port stall).
#include <algorithm>
#include <cmath>

#include "prunesim/models/engine.h"

namespace prunesim::models {

namespace {

using hls::ceil_div;
using workloads::Matrix;
using workloads::Op;
using workloads::StorageFormat;

const char* kSection = "mv";

std::vector<ParamSpec> mv_params() {
  return {
      ParamSpec::uint("lanes", 32, 1, 4096, "L: lanes, each computing one output row at a time"),
      ParamSpec::uint("width", 8, 1, 256, "multipliers per lane feeding its adder tree"),
      balance_param("assignment of output rows to lanes"),
      ParamSpec::uint(
          "pipeline_depth", 2, 0, 256,
          "stages beyond the adder tree (multiplier and accumulator registers), drained once per op"),
  };
}

class MvEngine : public ComputeEngine {
 public:
  explicit MvEngine(const HwConfig& hw) : pe_(hw.pe), weight_buffer_(hw.weight_buffer) {
    const std::vector<ParamSpec> specs = mv_params();
    const ParamReader r(kSection, specs, hw.engine_params);
    lanes_ = r.uint("lanes");
    width_ = r.uint("width");
    depth_ = r.uint("pipeline_depth");
    balance_ = balance_of(r.choice("balance"));
  }

  std::string name() const override { return "mv"; }
  std::string describe() const override {
    return "mv " + std::to_string(lanes_) + " lanes x " + std::to_string(width_) + " multipliers, balance " +
           enum_name(balance_);
  }
  uint64_t peak_macs_per_cycle() const override { return lanes_ * width_; }
  // x is broadcast `width` values at a time into the lanes' local copies.
  double act_values_per_cycle() const override { return double(width_); }
  uint64_t activation_reuse(const Matrix& w) const override { return std::min<uint64_t>(lanes_, w.rows); }
  uint64_t matmul_reuse(const Op& op) const override { return std::min<uint64_t>(lanes_, op.n); }
  uint32_t tile_round(const Matrix& w) const override {
    return uint32_t(std::max<uint64_t>(1, lanes_ / w.mask.block_rows));
  }
  uint64_t drain_cycles() const override { return hls::adder_tree_depth(width_) + depth_; }
  uint64_t dsps(int bits) const override { return dsps_for_macs(pe_, peak_macs_per_cycle(), bits); }
  // Structural estimate: the adder trees in fabric, (width - 1) adders per lane of 2 x 8 + log2(width) bits,
  // plus a 32-bit accumulator per lane, one LUT per adder bit (carry chains, UG574; ALMs on Cyclone V).
  uint64_t luts(int bits) const override {
    const uint64_t adder_bits = 2 * uint64_t(std::min(bits, 16)) + hls::adder_tree_depth(width_);
    return lanes_ * ((width_ - 1) * adder_bits + pe_.accumulator_bits);
  }

  Capability capability(const Matrix& w) const override {
    switch (classify(w).kind) {
      case Pattern::Dense: return {false, "dense: nothing to skip"};
      case Pattern::Structural: return {true, "removed heads/neurons shrink the dense matrix"};
      case Pattern::RowBalanced: return {true, "skips every zero; equal rows give every lane equal work"};
      case Pattern::NM: return {true, "skips every zero; N:M rows are equal, lanes balanced"};
      case Pattern::Unstructured:
        return {true, "skips every zero (indexed weights); unequal rows cost lane imbalance"};
      default: return {true, "skips every zero (indexed weights)"};
    }
  }

  GemmCost gemm(const Matrix& w, uint64_t m, uint32_t first, uint32_t last) const override {
    GemmCost g;
    std::vector<uint64_t> work;  // cycles per input vector for each output row
    uint64_t nnz = 0;
    for (uint32_t b = first; b < last; ++b) {
      const uint64_t kept = w.kept_cols_in_block_row(b);  // every row of a block row keeps the same inputs
      const uint64_t height = w.block_row_height(b);
      // Fine-grained masks: the per-row count is the block row's count (1-row block rows).
      for (uint64_t i = 0; i < height; ++i) work.push_back(hls::mv_row_cycles(kept, width_));
      nnz += w.nnz_in_block_row(b);
    }
    g.macs = m * nnz;
    g.stored_weights = uint64_t(work.size()) * w.cols;
    g.issued_weights = w.format == StorageFormat::Dense ? g.stored_weights : nnz;
    if (work.empty() || m == 0) return g;
    const uint64_t compute = schedule_units(
        work, lanes_, balance_, [m](uint64_t load) { return m * load; }, &g.imbalance);
    // Weights (with their share of the indices) are read from the weight buffer once per tile and kept in
    // the lanes across the m input vectors.
    const uint64_t bytes = w.nnz ? uint64_t(double(w.bytes) * double(nnz) / double(w.nnz) + 0.5) : 0;
    const uint64_t feed = uint64_t(std::ceil(double(bytes) / weight_buffer_.bytes_per_cycle()));
    g.cycles = std::max(compute, feed);
    g.bandwidth_stall_cycles = g.cycles - compute;
    return g;
  }

  GemmCost matmul(const Op& op) const override {
    GemmCost g;
    g.macs = op.macs({});
    g.stored_weights = g.issued_weights = uint64_t(op.count) * op.k * op.n;
    g.cycles = uint64_t(op.count) * op.m * ceil_div(op.n, lanes_) * hls::mv_row_cycles(op.k, width_);
    return g;
  }

 private:
  PeConfig pe_;
  BufferConfig weight_buffer_;
  uint64_t lanes_, width_, depth_;
  BalancePolicy balance_;
};

}  // namespace

EngineInfo mv_engine_info() {
  return {kSection, "matrix-vector lanes with adder trees for batch-1 RNN steps and decode tokens", kSection,
          mv_params(), [](const HwConfig& hw) { return std::make_unique<MvEngine>(hw); }};
}

}  // namespace prunesim::models
