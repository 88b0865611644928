// The block-PE engine: an MPCA-style multi-level parallel compute array (Parikh et al., "Accelerating ViT
// Inference on FPGA through Static and Dynamic Pruning", 2024). h compute modules (CMs) of t x c PEs; each
// PE is a p x p MAC array that multiplies one b x b weight block against the m-token activation strip,
// one "snapshot" of hls::block_snapshot_cycles(m, b, p) cycles. Kept b x b tiles are the unit of work, so
// block size matters: it sets the snapshot's token padding (ceil(m/b)), how many tiles a mask keeps, and how
// evenly they spread over the PEs.
//
// Two mappings, the cheaper chosen per GEMM (block_pe.mapping=auto):
//  * column-wise: the output tile rows (b outputs each) are spread over all h*t*c PEs by the balance policy;
//    a PE works through every kept tile of its rows;
//  * head-wise: the output tile rows are cut into h contiguous slices, one per CM (a head's slice for the
//    attention projections); in a CM, t lanes take tile rows by the balance policy and each row's kept tiles
//    are split over the lane's c PEs, whose partial sums an adder tree of ceil(log2 c) levels adds.
// QK^T and A*V (matmul ops) are dense per head over the kept heads: heads go to CMs (h at a time), each
// head's tiles over the CM's t*c PEs; or, column-wise, one head at a time over all PEs. A b x b tile is
// skipped only when all its weights are zero: whole blocks whose sides are multiples of b are skipped
// exactly; smaller blocks and fine-grained zeros only where a whole tile happens to be empty.
//
// Weight banks (block_pe.weight_banks): `shared` reads tiles through a crossbar and never conflicts (the
// MPCA's choice). `per_pe` wires PE j to weight-buffer bank j mod B, as hierarchical-format designs do: each
// snapshot every PE fetches its next tile, in ceil(b^2 x bits / (bank width x ports)) cycles per tile from
// one bank, behind the previous snapshot's compute. Tiles stored in the hier layout sit in their PE's bank;
// in plain block CSR (any data-dependent format), tile i of the stream sits in bank i mod B, so PEs whose
// tiles share a bank wait in turn, and a step whose fetches outlast the snapshot stalls by the difference.
// For this analysis tile rows are dealt to the PEs round-robin, in order.
#include <algorithm>
#include <map>

#include "prunesim/common/error.h"
#include "prunesim/models/engine.h"

namespace prunesim::models {

namespace {

using hls::ceil_div;
using workloads::Matrix;
using workloads::Op;
using workloads::StorageFormat;

const char* kSection = "block_pe";

std::vector<ParamSpec> block_pe_params() {
  return {
      ParamSpec::uint("modules", 4, 1, 256, "compute modules h (CMs)"),
      ParamSpec::uint("pe_rows", 12, 1, 256, "PE rows t per CM (lanes of output tile rows)"),
      ParamSpec::uint("pe_cols", 2, 1, 64, "PE columns c per CM (a lane's tiles split over c PEs)"),
      ParamSpec::uint("pe_size", 8, 1, 64, "p: each PE is a p x p MAC array"),
      ParamSpec::uint("block", 16, 1, 256, "b: the weight block (tile) a PE multiplies, b x b"),
      ParamSpec::choice("mapping", "auto", {"auto", "head", "column"},
                        "head-wise, column-wise, or the cheaper one per GEMM"),
      balance_param("assignment of tile rows to PEs and lanes"),
      ParamSpec::uint("pipeline_depth", 0, 0, 256, "extra pipeline stages drained once per op"),
      ParamSpec::choice(
          "weight_banks", "shared", {"shared", "per_pe"},
          "PEs read weight tiles through a crossbar (shared) or each from its own bank (per_pe)"),
  };
}

struct BlockPeConfig {
  uint64_t h, t, c, p, b, depth;
  std::string mapping;
  BalancePolicy balance;
  bool per_pe_banks;
};

class BlockPeEngine : public ComputeEngine {
 public:
  explicit BlockPeEngine(const HwConfig& hw) : pe_(hw.pe) {
    const std::vector<ParamSpec> specs = block_pe_params();
    const ParamReader r(kSection, specs, hw.engine_params);
    cfg_.h = r.uint("modules");
    cfg_.t = r.uint("pe_rows");
    cfg_.c = r.uint("pe_cols");
    cfg_.p = r.uint("pe_size");
    cfg_.b = r.uint("block");
    cfg_.depth = r.uint("pipeline_depth");
    cfg_.mapping = r.choice("mapping");
    cfg_.balance = balance_of(r.choice("balance"));
    cfg_.per_pe_banks = r.choice("weight_banks") == "per_pe";
    banks_ = std::max<uint32_t>(1, hw.weight_buffer.banks);
    bank_bits_per_cycle_ =
        uint64_t(hw.weight_buffer.width_bits) * std::max<uint32_t>(1, hw.weight_buffer.ports);
    validate();
  }

  // Cross-key checks (ranges are in the ParamSpecs).
  void validate() const {
    if (cfg_.p > cfg_.b)
      throw InputError("block_pe.pe_size (" + std::to_string(cfg_.p) + ") exceeds block_pe.block (" +
                       std::to_string(cfg_.b) +
                       "): a PE's p x p array would never be full; expected pe_size <= block");
  }

  std::string name() const override { return "block_pe"; }
  std::string describe() const override {
    return "block_pe " + std::to_string(cfg_.h) + " CMs x " + std::to_string(cfg_.t) + "x" +
           std::to_string(cfg_.c) + " PEs of " + std::to_string(cfg_.p) + "x" + std::to_string(cfg_.p) +
           ", b=" + std::to_string(cfg_.b) + ", mapping " + cfg_.mapping + ", balance " +
           enum_name(cfg_.balance);
  }
  uint64_t pes() const { return cfg_.h * cfg_.t * cfg_.c; }
  bool weights_in_per_pe_banks() const override { return cfg_.per_pe_banks; }
  uint64_t peak_macs_per_cycle() const override { return pes() * cfg_.p * cfg_.p; }
  // A PE reads a b x b activation block per b x b weight block, over ceil(b/p)^2 * b cycles.
  double act_values_per_cycle() const override {
    return double(pes()) * double(cfg_.b * cfg_.b) /
           double(ceil_div(cfg_.b, cfg_.p) * ceil_div(cfg_.b, cfg_.p) * cfg_.b);
  }
  uint64_t activation_reuse(const Matrix&) const override { return cfg_.b; }
  uint64_t matmul_reuse(const Op&) const override { return cfg_.b; }
  uint32_t tile_round(const Matrix& w) const override {
    return uint32_t(std::max<uint64_t>(1, ceil_div(cfg_.b, w.mask.block_rows)));
  }
  uint64_t drain_cycles() const override { return cfg_.depth; }
  uint64_t dsps(int bits) const override { return dsps_for_macs(pe_, peak_macs_per_cycle(), bits); }
  // Structural estimate: head-wise reduction adders (c-1 per lane, p outputs x accumulator bits, one LUT per
  // adder bit on a carry chain, UG574) and a 16-LUT block-index counter per PE.
  uint64_t luts(int) const override {
    return cfg_.h * cfg_.t * (cfg_.c - 1) * cfg_.p * pe_.accumulator_bits + pes() * 16;
  }

  Capability capability(const Matrix& w) const override {
    const MatrixPattern pt = classify(w);
    const std::string tile = std::to_string(cfg_.b) + "x" + std::to_string(cfg_.b);
    switch (pt.kind) {
      case Pattern::Dense: return {false, "dense: nothing to skip"};
      case Pattern::Structural: return {true, "removed heads/neurons shrink the dense matrix"};
      case Pattern::NM:
      case Pattern::Unstructured:
        return {false,
                "fine-grained zeros: a " + tile + " tile is skipped only when all its weights are zero"};
      default:
        if (w.mask.block_rows % cfg_.b == 0 && w.mask.block_cols % cfg_.b == 0)
          return {true, "skips whole blocks (" + tile + " tiles)"};
        return {true, "blocks smaller than or misaligned with the " + tile +
                          " tile: a tile is skipped only when every block in it is"};
    }
  }

  GemmCost gemm(const Matrix& w, uint64_t m, uint32_t first, uint32_t last) const override {
    GemmCost g;
    const uint32_t br = w.mask.block_rows;
    const uint64_t row0 = uint64_t(first) * br, row1 = std::min<uint64_t>(w.rows, uint64_t(last) * br);
    for (uint32_t r = first; r < last; ++r) g.macs += m * w.nnz_in_block_row(r);
    g.stored_weights = (row1 > row0 ? row1 - row0 : 0) * w.cols;
    if (row1 <= row0 || m == 0) return g;
    std::vector<uint64_t> kept;  // kept b x b tiles per output tile row of this item
    if (row0 % cfg_.b == 0) {
      const auto& all = tiles(w);
      for (uint64_t tr = row0 / cfg_.b; tr < ceil_div(row1, cfg_.b); ++tr) kept.push_back(all[tr]);
    } else {
      for (uint64_t r = row0; r < row1; r += cfg_.b)
        kept.push_back(
            needed_inputs(w, uint32_t(r), uint32_t(std::min(row1, r + cfg_.b)), uint32_t(cfg_.b)).chunks);
    }
    uint64_t total = 0;
    for (uint64_t k : kept) total += k;
    g.issued_weights = std::min(g.stored_weights, total * cfg_.b * cfg_.b);
    const uint64_t snap = hls::block_snapshot_cycles(m, cfg_.b, cfg_.p);
    double imb_col = 1, imb_head = 1;
    const uint64_t col = column_wise(kept, snap, &imb_col);
    const uint64_t head = head_wise(kept, snap, &imb_head);
    const bool use_head = cfg_.mapping == "head" || (cfg_.mapping == "auto" && head < col);
    g.cycles = use_head ? head : col;
    g.imbalance = use_head ? imb_head : imb_col;
    if (cfg_.per_pe_banks) {
      const uint64_t fetch = ceil_div(cfg_.b * cfg_.b * uint64_t(w.wbits), bank_bits_per_cycle_);
      // A dense matrix's tiles sit at places known at design time, so it is laid out per PE like hier.
      const bool hier = w.format == StorageFormat::Hier || w.format == StorageFormat::Dense;
      const auto [as_hier, as_bcsr] = bank_stall_cycles(kept, snap, fetch);
      g.bank_conflict_cycles = hier ? as_hier : as_bcsr;
      if (w.format != StorageFormat::Dense)  // a dense matrix has no layout to choose
        (hier ? g.bank_conflicts_avoided_cycles : g.bank_conflicts_avoidable_cycles) =
            as_bcsr - std::min(as_bcsr, as_hier);
      g.cycles += g.bank_conflict_cycles;
    }
    return g;
  }

  GemmCost matmul(const Op& op) const override {
    GemmCost g;
    g.macs = op.macs({});
    g.stored_weights = g.issued_weights = uint64_t(op.count) * op.k * op.n;
    const uint64_t tiles = ceil_div(op.n, cfg_.b) * ceil_div(op.k, cfg_.b);
    const uint64_t snap = hls::block_snapshot_cycles(op.m, cfg_.b, cfg_.p);
    const uint64_t head =
        ceil_div(op.count, cfg_.h) * ceil_div(tiles, cfg_.t * cfg_.c) * snap + reduce_cycles();
    const uint64_t col = uint64_t(op.count) * ceil_div(tiles, pes()) * snap;
    g.cycles = cfg_.mapping == "column" ? col : cfg_.mapping == "head" ? head : std::min(head, col);
    return g;
  }

 private:
  // Head-wise: the adder tree over a lane's c partial sums (ceil(log2 c) levels), paid once per item.
  uint64_t reduce_cycles() const { return hls::adder_tree_depth(cfg_.c); }
  uint64_t column_wise(const std::vector<uint64_t>& kept, uint64_t snap, double* imb) const {
    return schedule_units(
        kept, pes(), cfg_.balance, [&](uint64_t load) { return load * snap; }, imb);
  }
  uint64_t head_wise(const std::vector<uint64_t>& kept, uint64_t snap, double* imb) const {
    const uint64_t slice = ceil_div(kept.size(), cfg_.h);
    uint64_t worst = 0, total = 0, max_load = 0;
    for (uint64_t s = 0; s < kept.size(); s += slice) {
      std::vector<uint64_t> lane_work;
      for (uint64_t i = s; i < std::min<uint64_t>(kept.size(), s + slice); ++i)
        lane_work.push_back(ceil_div(kept[i], cfg_.c)), total += kept[i];
      double unused = 1;
      const uint64_t load = schedule_units(
          lane_work, cfg_.t, cfg_.balance, [](uint64_t l) { return l; }, &unused);
      max_load = std::max(max_load, load);
      worst = std::max(worst, load * snap);
    }
    const double mean = double(total) / double(pes());
    *imb = mean > 0 ? double(max_load) / mean : 1.0;
    return worst ? worst + reduce_cycles() : 0;
  }

  // Cycles the snapshots wait for weight tiles with per-PE banks, for both layouts in one pass: per step, the
  // slowest bank serves every PE whose tile it holds, one tile fetch each (hier layout: the PE's own bank;
  // block CSR: stream index mod B). Returns {hier, block CSR}.
  std::pair<uint64_t, uint64_t> bank_stall_cycles(const std::vector<uint64_t>& kept, uint64_t snap,
                                                  uint64_t fetch) const {
    const uint64_t pes_used = std::min<uint64_t>(pes(), kept.size());
    std::vector<std::vector<uint64_t>> tiles_of(pes_used);  // each PE's tiles, by stream index
    uint64_t index = 0;
    for (size_t tr = 0; tr < kept.size(); ++tr)
      for (uint64_t k = 0; k < kept[tr]; ++k) tiles_of[tr % pes_used].push_back(index++);
    struct Layout {
      explicit Layout(size_t banks) : load(banks, 0) {}
      std::vector<uint32_t> load;  // fetches per bank this step
      std::vector<uint32_t> touched;
      uint32_t worst = 0;
      uint64_t stall = 0;
      void fetch_from(uint32_t bank) {
        if (load[bank]++ == 0) touched.push_back(bank);
        worst = std::max(worst, load[bank]);
      }
      void end_step(uint64_t fetch, uint64_t snap) {
        if (worst * fetch > snap) stall += worst * fetch - snap;
        for (uint32_t bank : touched) load[bank] = 0;
        touched.clear();
        worst = 0;
      }
    };
    Layout hier(banks_), stream(banks_);
    for (size_t step = 0;; ++step) {
      bool any = false;
      for (uint64_t j = 0; j < pes_used; ++j) {
        if (step >= tiles_of[j].size()) continue;
        any = true;
        hier.fetch_from(uint32_t(j % banks_));
        stream.fetch_from(uint32_t(tiles_of[j][step] % banks_));
      }
      if (!any) break;
      hier.end_step(fetch, snap);
      stream.end_step(fetch, snap);
    }
    return {hier.stall, stream.stall};
  }

  // Kept b x b tiles per output tile row, once per matrix.
  const std::vector<uint64_t>& tiles(const Matrix& w) const {
    return tiles_.get(w, [this](const Matrix& m) {
      std::vector<uint64_t> v;
      for (uint64_t r = 0; r < m.rows; r += cfg_.b)
        v.push_back(
            needed_inputs(m, uint32_t(r), uint32_t(std::min<uint64_t>(m.rows, r + cfg_.b)), uint32_t(cfg_.b))
                .chunks);
      return v;
    });
  }

  PeConfig pe_;
  BlockPeConfig cfg_;
  uint32_t banks_ = 1;
  uint64_t bank_bits_per_cycle_ = 72;
  PerMatrix<std::vector<uint64_t>> tiles_;
};

}  // namespace

EngineInfo block_pe_engine_info() {
  return {kSection,
          "MPCA-style array: h compute modules of t x c PEs, each a p x p MAC array on b x b weight blocks",
          kSection, block_pe_params(),
          [](const HwConfig& hw) { return std::make_unique<BlockPeEngine>(hw); }};
}

}  // namespace prunesim::models
