// The systolic engine: an R x C MAC array in weight-, output- or input-stationary dataflow, timed by the
// textbook fold formula (hls/cycle_models.h), which is SCALE-Sim v2's closed form for dense GEMMs.
//
// What it can skip depends on what the design declares (pe.sparse, pe.nm_n/nm_m):
//  * none: the array streams fixed tiles; a fold is skipped only when its whole weight tile is zero
//    (WS/OS: R inputs x C outputs; IS: R inputs of every output row of the tile).
//  * block (default): the C columns form groups of at least pe.group_cols columns, each with its own
//    activation feeder that gathers, by block index, only the inputs its rows keep, in chunks of
//    pe.gather_elems. Blocks at least as tall as a group are skipped whole; shorter blocks and fine-grained
//    masks make the group stream the union of its rows' inputs, which for unstructured or N:M masks is
//    nearly everything.
//  * N:M (nm_n:nm_m): PEs pick N of every M activations by metadata, so a matrix pruned n:M (n <= N)
//    streams ceil(K/M) x N inputs per row, whatever the positions.
// Parameters are the [pe] keys (PeConfig).
#include <algorithm>
#include <map>

#include "prunesim/common/error.h"
#include "prunesim/models/engine.h"
#include "prunesim/models/param_fields.h"
#include "prunesim/models/resources.h"

namespace prunesim::models {

namespace {

using hls::ceil_div;
using hls::Dataflow;
using workloads::Matrix;
using workloads::Op;
using workloads::StorageFormat;

class SystolicEngine : public ComputeEngine {
 public:
  explicit SystolicEngine(const HwConfig& hw) : pe_(hw.pe) {}

  std::string name() const override { return "systolic"; }
  std::string describe() const override {
    std::string d = "systolic " + std::to_string(pe_.rows) + "x" + std::to_string(pe_.cols) + " " +
                    enum_name(pe_.dataflow) + ", balance " + enum_name(pe_.balance) + ", sparse ";
    d += enum_name(pe_.sparse);
    if (pe_.sparse == SystolicSparsity::Block)
      d += " (groups of " + std::to_string(std::min(pe_.group_cols, pe_.cols)) + " columns)";
    if (pe_.nm_m) d += ", N:M " + std::to_string(pe_.nm_n) + ":" + std::to_string(pe_.nm_m);
    return d;
  }
  uint64_t peak_macs_per_cycle() const override { return pe_.macs(); }
  double act_values_per_cycle() const override { return pe_.rows; }
  uint64_t activation_reuse(const Matrix& w) const override {
    if (w.format == StorageFormat::Dense) return std::min<uint64_t>(pe_.cols, w.rows);
    return std::min<uint64_t>(pe_.cols,
                              pe_.sparse == SystolicSparsity::Block ? unit_rows(w) : w.mask.block_rows);
  }
  uint64_t matmul_reuse(const Op& op) const override { return std::min<uint64_t>(pe_.cols, op.n); }
  uint32_t tile_round(const Matrix& w) const override {
    if (w.format == StorageFormat::Dense) return std::max<uint32_t>(1, pe_.cols);
    if (pe_.sparse == SystolicSparsity::Block && !nm_streams(w))
      return uint32_t(groups_on_array(w) * unit_blocks(w));
    return std::max<uint32_t>(1, pe_.cols / std::max<uint32_t>(1, w.mask.block_rows));
  }
  uint64_t drain_cycles() const override { return pe_.pipeline_depth; }
  uint64_t dsps(int bits) const override { return pe_dsps(pe_, bits); }
  // Structural LUT estimate beyond the DSPs (a LUT6 is a 4:1 mux, UG574): block gather, one 4:1 mux
  // level per activation bit per array row per group; N:M, an M:1 mux per PE of ceil((M-1)/3) LUT6 per bit.
  uint64_t luts(int) const override {
    const uint64_t abits = 8;
    uint64_t l = 0;
    if (pe_.sparse == SystolicSparsity::Block)
      l += uint64_t(pe_.cols / std::max<uint32_t>(1, std::min(pe_.group_cols, pe_.cols))) * pe_.rows * abits;
    if (pe_.nm_m) l += pe_.macs() * abits * ceil_div(pe_.nm_m - 1, 3);
    return l;
  }

  Capability capability(const Matrix& w) const override {
    const MatrixPattern p = classify(w);
    const std::string group = std::to_string(std::min(pe_.group_cols, pe_.cols));
    const std::string tile = std::to_string(pe_.rows) + "x" + std::to_string(pe_.cols);
    switch (p.kind) {
      case Pattern::Dense: return {false, "dense: nothing to skip"};
      case Pattern::Structural: return {true, "removed heads/neurons shrink the dense matrix"};
      case Pattern::NM:
        if (nm_streams(w))
          return {true, "N:M hardware streams " + std::to_string(pe_.nm_n) + " of every " +
                            std::to_string(pe_.nm_m) + " inputs"};
        [[fallthrough]];
      case Pattern::Unstructured:
        if (!p.positions_known) return {false, "positions unknown (counts-only trace): no zero skipped"};
        if (pe_.sparse == SystolicSparsity::Block)
          return {false,
                  "fine-grained zeros: each " + group +
                      "-column group streams every input any of its rows keeps (no fine-grained support)"};
        return {false, "fine-grained zeros: only all-zero " + tile + " tiles are skipped"};
      default:
        if (pe_.sparse == SystolicSparsity::None)
          return {w.mask.block_rows >= pe_.cols && w.mask.block_cols >= pe_.rows,
                  "no sparse support: only all-zero " + tile + " tiles are skipped"};
        if (w.mask.block_rows >= std::min(pe_.group_cols, pe_.cols))
          return {true, "skips whole blocks (block rows >= the " + group + "-column group)"};
        return {true, "blocks shorter than the " + group +
                          "-column group: the group streams the union of its rows' inputs"};
    }
  }

  GemmCost gemm(const Matrix& w, uint64_t m, uint32_t first, uint32_t last) const override {
    GemmCost c = cost(w, m, first, last, pe_.overlap_preload);
    if (pe_.overlap_preload && hls::preloads(pe_.dataflow))
      c.preload_saved_cycles = cost(w, m, first, last, false).cycles - c.cycles;
    return c;
  }

  GemmCost matmul(const Op& op) const override {
    GemmCost c;
    c.cycles = uint64_t(op.count) * hls::dense_gemm_cycles(pe_.dataflow, op.m, op.k, op.n, pe_.rows, pe_.cols,
                                                           pe_.overlap_preload);
    if (pe_.overlap_preload && hls::preloads(pe_.dataflow))
      c.preload_saved_cycles = uint64_t(op.count) * hls::dense_gemm_cycles(pe_.dataflow, op.m, op.k, op.n,
                                                                           pe_.rows, pe_.cols, false) -
                               c.cycles;
    c.macs = op.macs({});
    c.stored_weights = c.issued_weights = uint64_t(op.count) * op.k * op.n;
    return c;
  }

 private:
  // Block support: a unit is the block rows that share one activation feeder.
  uint64_t unit_blocks(const Matrix& w) const {
    return ceil_div(std::min(pe_.group_cols, pe_.cols), w.mask.block_rows);
  }
  uint64_t unit_rows(const Matrix& w) const { return unit_blocks(w) * w.mask.block_rows; }
  uint64_t groups_on_array(const Matrix& w) const { return std::max<uint64_t>(1, pe_.cols / unit_rows(w)); }
  bool nm_streams(const Matrix& w) const {
    if (!pe_.nm_m) return false;
    const MatrixPattern p = classify(w);
    return p.kind == Pattern::NM && p.m == pe_.nm_m && p.n <= pe_.nm_n;
  }

  // Streamed inputs per unit (block support), computed once per matrix.
  const std::vector<uint64_t>& unit_inputs(const Matrix& w) const {
    return unit_inputs_.get(w, [this](const Matrix& m) {
      std::vector<uint64_t> v;
      const uint64_t ur = unit_rows(m);
      for (uint64_t r0 = 0; r0 < m.rows; r0 += ur)
        v.push_back(
            needed_inputs(m, uint32_t(r0), uint32_t(std::min<uint64_t>(m.rows, r0 + ur)), pe_.gather_elems)
                .elems);
      return v;
    });
  }

  GemmCost cost(const Matrix& w, uint64_t m, uint32_t first, uint32_t last, bool overlap) const {
    GemmCost c;
    const uint64_t R = pe_.rows, C = pe_.cols, K = w.cols;
    const Dataflow df = pe_.dataflow;
    const uint32_t br = w.mask.block_rows;
    const uint64_t row0 = uint64_t(first) * br, row1 = std::min<uint64_t>(w.rows, uint64_t(last) * br);
    const uint64_t out_rows = row1 > row0 ? row1 - row0 : 0;
    for (uint32_t r = first; r < last; ++r) c.macs += m * w.nnz_in_block_row(r);
    c.stored_weights = out_rows * K;
    if (out_rows == 0 || m == 0) return c;
    const uint64_t first_preload = hls::preloads(df) && overlap ? R : 0;
    auto dense = [&](uint64_t k_len, uint64_t n_rows) {
      return hls::dense_gemm_cycles(df, m, k_len, n_rows, R, C, overlap);
    };
    if (w.format == StorageFormat::Dense) {
      c.cycles = dense(K, out_rows);
      c.issued_weights = c.stored_weights;
      return c;
    }
    if (nm_streams(w)) {  // compressed stream: N of every M inputs per row, metadata selects in the PE
      const uint64_t k_len = std::min<uint64_t>(K, ceil_div(K, pe_.nm_m) * pe_.nm_n);
      c.cycles = dense(k_len, out_rows);
      c.issued_weights = out_rows * k_len;
      return c;
    }
    if (pe_.sparse == SystolicSparsity::None || df == Dataflow::InputStationary) {
      // Fixed tiles: per chunk of output rows, the R-input tiles with any kept weight. WS/OS chunks are C
      // output rows (the array's columns); IS streams the tile's output rows, C columns map M.
      const uint64_t chunk_rows = df == Dataflow::InputStationary ? out_rows : C;
      uint64_t folds = 0;
      for (uint64_t r = row0; r < row1; r += chunk_rows) {
        const uint64_t r_end = std::min(row1, r + chunk_rows);
        const InputExtent e = needed_inputs(w, uint32_t(r), uint32_t(r_end), uint32_t(R));
        c.issued_weights += (r_end - r) * std::min(K, e.chunks * R);
        switch (df) {
          case Dataflow::WeightStationary: folds += e.chunks; break;
          case Dataflow::OutputStationary:
            if (e.chunks) c.cycles += ceil_div(m, R) * hls::fold_cycles(df, e.elems, R, C, false);
            break;
          case Dataflow::InputStationary:
            c.cycles += e.chunks * ceil_div(m, C) * hls::fold_cycles(df, r_end - r, R, C, overlap);
            break;
        }
      }
      if (df == Dataflow::WeightStationary) c.cycles = folds * hls::fold_cycles(df, m, R, C, overlap);
      if (c.cycles) c.cycles += first_preload;
      return c;
    }
    // Block support (WS/OS): units of block rows, each on a column group streaming its needed inputs.
    const uint64_t ub = unit_blocks(w);
    const uint64_t passes = std::max<uint64_t>(1, ceil_div(unit_rows(w), C));  // units taller than the array
    std::vector<uint64_t> work;
    if (first % ub == 0) {
      const auto& units = unit_inputs(w);
      for (uint64_t u = first / ub; u < ceil_div(last, ub) && u < units.size(); ++u) work.push_back(units[u]);
    } else {
      for (uint64_t b = first; b < last; b += ub) {
        const uint64_t r0 = b * br, r1 = std::min<uint64_t>(row1, (b + ub) * br);
        work.push_back(needed_inputs(w, uint32_t(r0), uint32_t(r1), pe_.gather_elems).elems);
      }
    }
    for (size_t i = 0; i < work.size(); ++i)
      c.issued_weights +=
          work[i] * std::min<uint64_t>(unit_rows(w), out_rows - std::min(out_rows, i * unit_rows(w)));
    auto fold_cost = [&](uint64_t k_len) -> uint64_t {
      if (k_len == 0) return 0;
      if (df == Dataflow::WeightStationary)
        return passes * ceil_div(k_len, R) * hls::fold_cycles(df, m, R, C, overlap);
      return passes * ceil_div(m, R) * hls::fold_cycles(df, k_len, R, C, false);
    };
    c.cycles = schedule_units(work, groups_on_array(w), pe_.balance, fold_cost, &c.imbalance);
    if (c.cycles) c.cycles += first_preload;
    return c;
  }

  PeConfig pe_;
  PerMatrix<std::vector<uint64_t>> unit_inputs_;
};

}  // namespace

// The [pe] keys of the systolic engine, bound to PeConfig's fields.
namespace {

uint64_t parse_count(const std::string& v) {
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
    throw InputError("expected none or N:M (e.g. 2:4), got '" + v + "'");
  return std::stoull(v);
}

std::vector<ParamSpec> systolic_params() {
  ParamSpec preload = flag_field(
      "overlap_preload", [](HwConfig& h) -> bool& { return h.pe.overlap_preload; },
      "WS/IS: preload the next fold's stationary operand during this fold");
  ParamSpec nm =
      ParamSpec::text("nm", "none", "none|N:M",
                      "N:M support: PEs select N of every M activations (e.g. 2:4); none: no N:M hardware");
  nm.bind(
      [](const HwConfig& hw) {
        return hw.pe.nm_m ? std::to_string(hw.pe.nm_n) + ":" + std::to_string(hw.pe.nm_m)
                          : std::string("none");
      },
      [](HwConfig& hw, const std::string& v) {
        if (v == "none") {
          hw.pe.nm_n = hw.pe.nm_m = 0;
          return;
        }
        const size_t colon = v.find(':');
        if (colon == std::string::npos) throw InputError("expected none or N:M (e.g. 2:4), got '" + v + "'");
        const uint64_t n = parse_count(v.substr(0, colon)), m = parse_count(v.substr(colon + 1));
        if (n == 0 || m == 0 || n > m || m > 64)
          throw InputError("expected N:M with 1 <= N <= M <= 64, got '" + v + "'");
        hw.pe.nm_n = uint32_t(n);
        hw.pe.nm_m = uint32_t(m);
      });
  auto u32 = [](const char* name, uint32_t PeConfig::*f, uint64_t lo, uint64_t hi, const char* help) {
    return uint_field(
        name, [f](HwConfig& h) -> uint32_t& { return h.pe.*f; }, lo, hi, help);
  };
  return {
      u32("rows", &PeConfig::rows, 1, 1024, "array rows (R)"),
      u32("cols", &PeConfig::cols, 1, 1024, "array columns (C)"),
      enum_field<hls::Dataflow>(
          "dataflow", [](HwConfig& h) -> hls::Dataflow& { return h.pe.dataflow; },
          "weight-, output- or input-stationary (SCALE-Sim v2 mappings)"),
      preload,
      u32("pipeline_depth", &PeConfig::pipeline_depth, 0, 64,
          "MAC register stages beyond the systolic skew, drained once per op"),
      enum_field<BalancePolicy>(
          "balance", [](HwConfig& h) -> BalancePolicy& { return h.pe.balance; },
          "assignment of block rows to column groups: in order (none, row_balanced) or "
          "longest first (greedy)"),
      enum_field<SystolicSparsity>(
          "sparse", [](HwConfig& h) -> SystolicSparsity& { return h.pe.sparse; },
          "sparse support: none (only all-zero R x C tiles skipped) or block (column "
          "groups gather the inputs their rows keep)"),
      u32("group_cols", &PeConfig::group_cols, 1, 1024,
          "block support: narrowest column group with its own activation feeder"),
      u32("gather_elems", &PeConfig::gather_elems, 1, 1024,
          "block support: activation gather granularity in elements"),
      nm,
  };
}

}  // namespace

EngineInfo systolic_engine_info() {
  return {
      "systolic",
      "R x C systolic MAC array (WS/OS/IS); block-sparse support per column group (pe.sparse) and optional "
      "N:M support (pe.nm)",
      "pe", systolic_params(), [](const HwConfig& hw) { return std::make_unique<SystolicEngine>(hw); }};
}

}  // namespace prunesim::models
