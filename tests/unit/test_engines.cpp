// The compute engines (models/engine.h): each cycle model against a closed form written out here
// independently, and what each engine can and cannot skip.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/models/engine.h"
#include "prunesim/sim/config.h"
#include "prunesim/workloads/pruning.h"
#include "test_matrices.h"
#include "test_util.h"

using namespace prunesim;
using namespace prunesim::models;
using namespace prunesim::workloads;

namespace {

uint64_t cdiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

Matrix matrix(uint32_t n_out, uint32_t k_in, const std::string& spec, Spread spread = Spread::Uniform) {
  return test::pruned_matrix(n_out, k_in, spec, spread);
}

// An engine from --set style keys on the built-in default design.
std::unique_ptr<ComputeEngine> engine(const std::vector<std::string>& sets) {
  return make_engine(sim::ConfigSchema().resolve({}, sets).hw);
}

GemmCost whole(const ComputeEngine& e, const Matrix& w, uint64_t m) {
  return e.gemm(w, m, 0, w.mask.grid_rows);
}

}  // namespace

TEST(Engines, RegistryNamesEveryEngineAndRefusesUnknownOnes) {
  std::vector<std::string> names;
  for (const auto& e : engine_registry()) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"systolic", "block_pe", "mv"}));
  HwConfig hw;
  hw.pe.engine = "tensor_core";
  try {
    make_engine(hw);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown engine 'tensor_core' (expected systolic|block_pe|mv)"),
              std::string::npos);
  }
}

// SCALE-Sim v2's closed form, cycle for cycle, in all three dataflows (odd sizes on purpose).
TEST(Engines, SystolicDenseMatchesTheClosedFormInEveryDataflow) {
  struct Shape {
    uint64_t M, K, N, R, C;
  };
  for (const Shape s :
       {Shape{197, 384, 1152, 64, 64}, Shape{1, 768, 3072, 32, 16}, Shape{100, 70, 50, 16, 16},
        Shape{7, 5, 3, 8, 8}, Shape{513, 1000, 999, 48, 24}, Shape{33, 129, 65, 17, 9}}) {
    const Matrix w = matrix(uint32_t(s.N), uint32_t(s.K), "dense");
    for (bool overlap : {false, true}) {
      const std::vector<std::string> base = {
          "pe.rows=" + std::to_string(s.R), "pe.cols=" + std::to_string(s.C),
          std::string("pe.overlap_preload=") + (overlap ? "true" : "false")};
      auto with = [&](const char* df) {
        auto sets = base;
        sets.push_back(std::string("pe.dataflow=") + df);
        return whole(*engine(sets), w, s.M).cycles;
      };
      const uint64_t pre = overlap ? 0 : s.R, once = overlap ? s.R : 0;
      EXPECT_EQ(with("ws"), cdiv(s.K, s.R) * cdiv(s.N, s.C) * (s.M + s.R + s.C - 2 + pre) + once);
      EXPECT_EQ(with("os"), cdiv(s.M, s.R) * cdiv(s.N, s.C) * (s.K + s.R + s.C - 2));
      EXPECT_EQ(with("is"), cdiv(s.K, s.R) * cdiv(s.M, s.C) * (s.N + s.R + s.C - 2 + pre) + once);
    }
  }
}

TEST(Engines, InputStationaryIsFastestWhenTheStreamIsLong) {
  // Few tokens, many outputs: IS streams N, so it pays fill and drain on fewer folds than WS's M-long ones.
  const Matrix w = matrix(3072, 768, "dense");
  const uint64_t ws = whole(*engine({"pe.dataflow=ws"}), w, 16).cycles;
  const uint64_t is = whole(*engine({"pe.dataflow=is"}), w, 16).cycles;
  const uint64_t os = whole(*engine({"pe.dataflow=os"}), w, 16).cycles;
  EXPECT_LT(is, ws);
  EXPECT_LT(is, os);
}

// The seed-1 trade-off on one BERT-base FC layer: block pruning pays off on the default systolic engine,
// fine-grained pruning at the same density does not, N:M does on a design that declares N:M hardware.
TEST(Engines, SystolicSkipsBlocksButNotFineGrainedZeros) {
  const auto sys = engine({});
  const Matrix dense = matrix(3072, 768, "dense");
  const double base = double(whole(*sys, dense, 128).cycles);
  const Matrix block = matrix(3072, 768, "block:16x16:0.2");
  const Matrix unstructured = matrix(3072, 768, "unstructured:0.2");
  const Matrix nm = matrix(3072, 768, "nm:2:4");
  EXPECT_NEAR(double(whole(*sys, block, 128).cycles) / base, 0.2, 0.03);
  EXPECT_GT(double(whole(*sys, unstructured, 128).cycles) / base, 0.97);
  EXPECT_GT(double(whole(*sys, nm, 128).cycles) / base, 0.97);
  // Zeros skipped, as the report counts them.
  const GemmCost u = whole(*sys, unstructured, 128);
  EXPECT_LT(double(u.stored_weights - u.issued_weights) / double(u.stored_weights - u.macs / 128), 0.05);
  // 2:4 hardware: exactly the dense fold count over half the inputs.
  const auto nm_hw = engine({"pe.nm=2:4"});
  EXPECT_EQ(whole(*nm_hw, nm, 128).cycles,
            hls::dense_gemm_cycles(hls::Dataflow::WeightStationary, 128, 384, 3072, 64, 64, false));
  EXPECT_EQ(whole(*nm_hw, matrix(3072, 768, "nm:1:4"), 128).cycles, whole(*nm_hw, nm, 128).cycles);
  // 2:8 is not 2:4: the hardware's M must match.
  EXPECT_GT(double(whole(*nm_hw, matrix(3072, 768, "nm:2:8"), 128).cycles) / base, 0.97);
}

// Blocks shorter than a column group: the group streams the union of its block rows' kept inputs. With one
// group on the array (C = group width) the cycles are the per-unit fold count, derived here from the bitmap.
TEST(Engines, SystolicGroupsStreamTheUnionOfTheirRows) {
  const Matrix w = matrix(512, 512, "block:8x8:0.5");
  const auto sys = engine({"pe.rows=32", "pe.cols=16", "pe.balance=none"});
  const uint64_t m = 50, R = 32, C = 16;
  uint64_t expect = 0;
  for (uint32_t u = 0; u < w.mask.grid_rows; u += 2) {  // units of two 8-row block rows
    uint64_t need = 0;
    for (uint32_t c = 0; c < w.mask.grid_cols; ++c)
      need += (w.mask.kept(u, c) || w.mask.kept(u + 1, c)) ? 8 : 0;
    expect += cdiv(need, R) * (m + R + C - 2 + R);
  }
  EXPECT_EQ(whole(*sys, w, m).cycles, expect);
  // 16x16 blocks at the same density skip more on the same array: the group is one block row.
  EXPECT_LT(whole(*sys, matrix(512, 512, "block:16x16:0.5"), m).cycles, expect);
}

TEST(Engines, SystolicWithoutSparseSupportSkipsOnlyAllZeroTiles) {
  const auto none = engine({"pe.sparse=none"});
  const Matrix dense = matrix(1024, 1024, "dense");
  const double base = double(whole(*none, dense, 100).cycles);
  // 16x16 blocks: a 64x64 tile holds 16 of them, almost never all dropped.
  EXPECT_GT(double(whole(*none, matrix(1024, 1024, "block:16x16:0.5"), 100).cycles) / base, 0.95);
  // Tile-sized blocks are skipped exactly.
  EXPECT_NEAR(double(whole(*none, matrix(1024, 1024, "block:64x64:0.5"), 100).cycles) / base, 0.5, 1e-9);
}

TEST(Engines, CountsOnlyMasksSkipNothingOnTileEngines) {
  Matrix w = matrix(512, 512, "unstructured:0.1");
  w.mask.has_bitmap = false;  // as read from an old counts-only trace
  w.mask.bits.clear();
  const auto sys = engine({});
  const GemmCost c = whole(*sys, w, 64);
  EXPECT_EQ(c.issued_weights, c.stored_weights);
  EXPECT_NE(sys->capability(w).how.find("positions unknown"), std::string::npos);
}

// The MPCA's dense cost from the formulas of the seed paper's design, written out: one snapshot of a b-wide
// strip is ceil(m/b) ceil(b/p)^2 b cycles; column-wise, the n/b output tile rows spread over the h t c PEs;
// head-wise, h slices over the CMs, t lanes each, a row's tiles split over c PEs plus a log2(c) adder.
TEST(Engines, BlockPeDenseCyclesFollowTheSnapshotFormula) {
  const uint64_t h = 4, t = 12, c = 2, p = 8, m = 197;
  for (uint64_t b : {16, 32}) {
    const auto e = engine({"pe.engine=block_pe", "block_pe.block=" + std::to_string(b)});
    EXPECT_EQ(e->peak_macs_per_cycle(), 6144u);
    for (auto [n, k] : {std::pair<uint64_t, uint64_t>{1536, 384}, {384, 1536}, {1152, 384}, {384, 384}}) {
      const Matrix w = matrix(uint32_t(n), uint32_t(k), "dense");
      const uint64_t snap = cdiv(m, b) * cdiv(b, p) * cdiv(b, p) * b;
      const uint64_t rows = cdiv(n, b), tiles = cdiv(k, b);
      const uint64_t column = cdiv(rows, h * t * c) * tiles * snap;
      const uint64_t slice = cdiv(rows, h);
      const uint64_t head = cdiv(slice, t) * cdiv(tiles, c) * snap + 1;  // + log2(2) adder level
      EXPECT_EQ(whole(*e, w, m).cycles, std::min(column, head)) << b << " " << n << "x" << k;
      EXPECT_EQ(whole(*engine({"pe.engine=block_pe", "block_pe.block=" + std::to_string(b),
                               "block_pe.mapping=column"}),
                      w, m)
                    .cycles,
                column);
    }
    // Attention: per head dense, heads over the CMs.
    Op qk;
    qk.kind = OpKind::Matmul;
    qk.count = 6, qk.m = 197, qk.k = 64, qk.n = 197;
    const uint64_t snap = cdiv(197, b) * cdiv(b, p) * cdiv(b, p) * b;
    const uint64_t tiles = cdiv(197, b) * cdiv(64, b);
    EXPECT_EQ(e->matmul(qk).cycles,
              std::min(cdiv(6, h) * cdiv(tiles, t * c) * snap + 1, 6 * cdiv(tiles, h * t * c) * snap));
  }
}

TEST(Engines, BlockPeBlockSizeMattersAndWholeBlocksAreSkipped) {
  const Matrix w16 = matrix(1536, 384, "block:16x16:0.5");
  const Matrix w32 = matrix(1536, 384, "block:32x32:0.5");
  const auto b16 = engine({"pe.engine=block_pe"});
  const auto b32 = engine({"pe.engine=block_pe", "block_pe.block=32"});
  const GemmCost c16 = whole(*b16, w16, 197), c32 = whole(*b32, w32, 197);
  EXPECT_NE(c16.cycles, c32.cycles);
  EXPECT_EQ(c16.issued_weights, w16.nnz);  // every kept tile, no dropped one
  EXPECT_EQ(c32.issued_weights, w32.nnz);
  EXPECT_TRUE(b16->capability(w16).exploits);
  // 16x16 blocks on 32x32 tiles: a tile is skipped only when all four of its blocks are.
  const GemmCost mixed = whole(*b32, w16, 197);
  EXPECT_GT(mixed.issued_weights, w16.nnz);
  // Fine-grained zeros: b x b tiles are never empty.
  const GemmCost fine = whole(*b16, matrix(1536, 384, "unstructured:0.5"), 197);
  EXPECT_EQ(fine.issued_weights, fine.stored_weights);
}

TEST(Engines, BlockPeBalancesKeptBlocksAndReportsTheImbalance) {
  Matrix skew;
  skew.name = "w";
  skew.rows = skew.dense_rows = 1536;
  skew.cols = skew.dense_cols = 384;
  skew.format = StorageFormat::Bcsr;
  Rng rng(5);
  apply_mask(skew, parse_prune_spec("block:16x16:0.5"), nullptr, Spread::Skewed, 1.5, rng);
  const GemmCost greedy = whole(*engine({"pe.engine=block_pe", "block_pe.mapping=column"}), skew, 197);
  const GemmCost in_order =
      whole(*engine({"pe.engine=block_pe", "block_pe.mapping=column", "block_pe.balance=none"}), skew, 197);
  EXPECT_GT(in_order.imbalance, 1.2);
  EXPECT_LE(greedy.cycles, in_order.cycles);
  EXPECT_LE(greedy.imbalance, in_order.imbalance);
}

// Matrix-vector lanes: kept weights only, rows over lanes, bound by the weight buffer's bandwidth.
TEST(Engines, MvSkipsEveryZeroAndRowBalancedMasksBalanceTheLanes) {
  const auto mv = engine({"pe.engine=mv", "mv.lanes=32", "mv.width=8", "buffer.weight.banks=256"});
  const Matrix rb = matrix(768, 256, "rowbalanced:8x8:0.25");
  const GemmCost c = whole(*mv, rb, 1);
  // 768 rows of 64 kept weights: 8 cycles a row, 24 rows per lane.
  EXPECT_EQ(c.cycles, cdiv(768, 32) * cdiv(64, 8));
  EXPECT_DOUBLE_EQ(c.imbalance, 1.0);
  EXPECT_EQ(c.issued_weights, rb.nnz);
  // Unstructured at the same density, as magnitude pruning leaves it (rows of unequal length): lanes wait for
  // the longest.
  const GemmCost u = whole(*mv, matrix(768, 256, "unstructured:0.25", Spread::Skewed), 1);
  EXPECT_GT(u.imbalance, 1.0);
  EXPECT_GE(u.cycles, c.cycles);
  EXPECT_EQ(mv->drain_cycles(), 3u + 2u);  // log2(8) tree levels + multiplier and accumulator registers
}

TEST(Engines, MvIsBoundByWeightBufferBandwidth) {
  const Matrix rb = matrix(768, 256, "rowbalanced:8x8:0.25");
  // 2 banks x 2 ports x 72 bits = 36 bytes per cycle for 49,152 weights plus their block indices.
  const auto narrow = engine({"pe.engine=mv", "buffer.weight.banks=2"});
  const GemmCost c = whole(*narrow, rb, 1);
  EXPECT_EQ(c.cycles, uint64_t(std::ceil(double(rb.bytes) / 36.0)));
  EXPECT_EQ(c.bandwidth_stall_cycles, c.cycles - cdiv(768, 32) * cdiv(64, 8));
}

TEST(Engines, ParametersAreDeclaredCheckedAndOwnedByTheirEngine) {
  const sim::ConfigSchema s;
  EXPECT_TRUE(s.has("block_pe.modules"));
  EXPECT_TRUE(s.has("mv.lanes"));
  EXPECT_NE(s.describe().find("block_pe.block"), std::string::npos);
  auto error_of = [&s](const std::vector<std::string>& sets) {
    try {
      s.resolve({}, sets);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error_of({"block_pe.modules=0"})
                .find("--set block_pe.modules: block_pe.modules: expected an integer in [1, 256], got '0'"),
            std::string::npos);
  EXPECT_NE(error_of({"mv.lanes=16"}).find("mv.lanes: a parameter of engine mv, but pe.engine is systolic"),
            std::string::npos);
  EXPECT_NE(error_of({"pe.engine=npu"}).find("expected one of systolic|block_pe|mv, got 'npu'"),
            std::string::npos);
  EXPECT_NE(error_of({"pe.nm=5:4"}).find("expected N:M with 1 <= N <= M <= 64"), std::string::npos);
  EXPECT_EQ(error_of({"pe.engine=mv", "mv.lanes=16"}), "");
  EXPECT_NE(error_of({"pe.engine=block_pe", "block_pe.pe_size=32"})
                .find("block_pe.pe_size (32) exceeds block_pe.block (16)"),
            std::string::npos);
  // The resolved configuration carries every engine's keys with their values.
  const auto dump = s.dump(s.resolve({}, {"pe.engine=block_pe", "block_pe.block=32"}));
  std::map<std::string, std::string> d(dump.begin(), dump.end());
  EXPECT_EQ(d.at("block_pe.block"), "32");
  EXPECT_EQ(d.at("block_pe.modules"), "4");
  EXPECT_EQ(d.at("pe.engine"), "block_pe");
}

// README "What each engine can skip": every row of the table is what the engines measure on a 512 x 512
// matrix, density 0.5 (yes: at least 90 % of the zeros skipped, partly: at least 10 %, no: less), with the
// measured percentage.
TEST(Engines, ReadmeSkipTableMatchesWhatTheEnginesMeasure) {
  std::ifstream is(test::source_path("README.md"));
  std::string line;
  bool in_table = false;
  std::map<std::string, std::vector<std::string>> rows;
  while (std::getline(is, line)) {
    if (line.rfind("| pattern | systolic", 0) == 0) {
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.empty() || line[0] != '|') break;
    if (line.rfind("|---", 0) == 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      const size_t a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    }
    rows[cells.at(0)] = cells;
  }
  const std::vector<std::pair<std::string, std::string>> patterns = {
      {"`block:16x16`", "block:16x16:0.5"},   {"`block:8x8`", "block:8x8:0.5"},
      {"`block:1x16`", "block:1x16:0.5"},     {"`rowbalanced:16x16`", "rowbalanced:16x16:0.5"},
      {"`hier:16x16`", "hier:16x16:0.5:0.5"}, {"`nm:2:4`", "nm:2:4"},
      {"`unstructured`", "unstructured:0.5"}};
  const std::vector<std::vector<std::string>> engines = {
      {}, {"pe.sparse=none"}, {"pe.nm=2:4"}, {"pe.engine=block_pe"}, {"pe.engine=mv"}};
  ASSERT_EQ(rows.size(), patterns.size()) << "README table rows";
  for (const auto& [name, spec] : patterns) {
    ASSERT_TRUE(rows.count(name)) << name;
    const Matrix w = matrix(512, 512, spec);
    for (size_t e = 0; e < engines.size(); ++e) {
      const GemmCost c = whole(*engine(engines[e]), w, 64);
      const uint64_t kept = c.macs / 64;
      const double z = double(c.stored_weights - c.issued_weights) / double(c.stored_weights - kept);
      const std::string want = z >= 0.9 ? "yes" : z >= 0.1 ? "partly" : "no";
      const std::string cell = rows[name].at(e + 1);  // "partly (50 %)"
      EXPECT_EQ(cell.substr(0, cell.find(' ')), want) << name << " engine column " << e + 1 << ": " << z;
      const size_t open = cell.find('(');
      ASSERT_NE(open, std::string::npos) << cell;
      EXPECT_NEAR(std::stod(cell.substr(open + 1)), 100.0 * z, 1.0) << name << " engine column " << e + 1;
    }
  }
}

// Per-PE weight banks: two PEs (one CM of 2 x 1 PEs of 16 x 16), two 72-bit dual-port banks. A 16 x 16 int8
// tile takes ceil(2048 / 144) = 15 cycles from its bank; a snapshot at m = 1 lasts 16 cycles. Two tile rows
// of two kept tiles each, dealt round-robin: PE 0 takes stream tiles 0, 1 and PE 1 tiles 2, 3. In block
// CSR, tile i sits in bank i mod 2, so both PEs hit bank 0, then bank 1: each step's two fetches take 30
// cycles, 14 beyond the snapshot, 28 in all. In the hier layout each PE reads its own bank: no wait.
TEST(Engines, BlockPePerPeBanksMakeBlockCsrConflictAndTheHierLayoutAvoidsIt) {
  const std::vector<std::string> design = {"pe.engine=block_pe",    "block_pe.modules=1",
                                           "block_pe.pe_rows=2",    "block_pe.pe_cols=1",
                                           "block_pe.pe_size=16",   "block_pe.block=16",
                                           "buffer.weight.banks=2", "buffer.weight.width_bits=72",
                                           "buffer.weight.ports=2", "block_pe.mapping=column"};
  auto with = [&](std::vector<std::string> extra) {
    extra.insert(extra.begin(), design.begin(), design.end());
    return engine(extra);
  };
  Matrix bcsr = matrix(32, 64, "block:16x16:0.5");
  ASSERT_EQ(bcsr.mask.kept_blocks(), 4u);
  bcsr.format = StorageFormat::Bcsr;
  Matrix hier = bcsr;
  hier.format = StorageFormat::Hier;
  const auto shared = with({}), per_pe = with({"block_pe.weight_banks=per_pe"});
  EXPECT_FALSE(shared->weights_in_per_pe_banks());
  EXPECT_TRUE(per_pe->weights_in_per_pe_banks());
  const GemmCost base = whole(*shared, bcsr, 1);
  EXPECT_EQ(base.bank_conflict_cycles, 0u);  // a crossbar never conflicts
  const GemmCost c = whole(*per_pe, bcsr, 1), h = whole(*per_pe, hier, 1);
  EXPECT_EQ(c.bank_conflict_cycles, 28u);
  EXPECT_EQ(c.cycles, base.cycles + 28);
  EXPECT_EQ(c.bank_conflicts_avoidable_cycles, 28u);
  EXPECT_EQ(h.bank_conflict_cycles, 0u);
  EXPECT_EQ(h.cycles, base.cycles);
  EXPECT_EQ(h.bank_conflicts_avoided_cycles, 28u);
  // Three tiles a row: PE 0 takes tiles 0-2, PE 1 tiles 3-5; banks (0,1), (1,0), (0,1): never the same.
  Matrix odd = matrix(32, 64, "block:16x16:0.75");
  odd.format = StorageFormat::Bcsr;
  ASSERT_EQ(odd.mask.kept_blocks(), 6u);
  EXPECT_EQ(whole(*per_pe, odd, 1).bank_conflict_cycles, 0u);
}

TEST(Engines, FormatAutoChoosesHierWhenTheEngineReadsWeightsFromPerPeBanks) {
  const sim::ConfigSchema s;
  auto formats = [&](std::vector<std::string> sets) {
    sets.insert(sets.end(),
                {"workload.model=deit-tiny", "workload.layers=1", "workload.prune=all=block:16x16:0.5"});
    std::set<StorageFormat> out;
    for (const auto& [name, m] : s.resolve({}, sets).workload.build_trace().matrices)
      if (m.kind == "qkv" || m.kind == "fc1") out.insert(m.format);
    return out;
  };
  EXPECT_EQ(formats({}), std::set<StorageFormat>{StorageFormat::Bcsr});
  EXPECT_EQ(formats({"pe.engine=block_pe"}), std::set<StorageFormat>{StorageFormat::Bcsr});
  EXPECT_EQ(formats({"pe.engine=block_pe", "block_pe.weight_banks=per_pe"}),
            std::set<StorageFormat>{StorageFormat::Hier});
  // An explicit format wins.
  EXPECT_EQ(formats({"pe.engine=block_pe", "block_pe.weight_banks=per_pe", "workload.format=bcsr"}),
            std::set<StorageFormat>{StorageFormat::Bcsr});
}
