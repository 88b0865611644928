#include <gtest/gtest.h>

#include "prunesim/hls/cycle_models.h"
#include "prunesim/models/gemm_timing.h"
#include "prunesim/workloads/pruning.h"
#include "test_matrices.h"

using namespace prunesim;
using namespace prunesim::models;
using namespace prunesim::workloads;
using prunesim::hls::Dataflow;

namespace {

uint64_t cdiv(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

Matrix matrix(uint32_t n_out, uint32_t k_in, const std::string& spec, Spread spread = Spread::Uniform) {
  return test::pruned_matrix(n_out, k_in, spec, spread);
}

PeConfig array(uint32_t R, uint32_t C, Dataflow df, BalancePolicy b = BalancePolicy::Greedy) {
  PeConfig pe;
  pe.rows = R;
  pe.cols = C;
  pe.dataflow = df;
  pe.balance = b;
  return pe;
}

}  // namespace

// The textbook fold count, written out independently of the cycle-model helpers.
TEST(GemmTiming, DenseMatchesTheFoldFormulaOnRaggedShapes) {
  struct Shape {
    uint64_t M, K, N, R, C;
  };
  for (const Shape s : {Shape{197, 384, 1152, 64, 64}, Shape{1, 768, 3072, 32, 16},
                        Shape{100, 70, 50, 16, 16}, Shape{7, 5, 3, 8, 8}, Shape{513, 1000, 999, 48, 24}}) {
    const Matrix w = matrix(uint32_t(s.N), uint32_t(s.K), "dense");
    const auto ws =
        gemm_tile_cycles(array(s.R, s.C, Dataflow::WeightStationary), w, s.M, 0, w.mask.grid_rows);
    EXPECT_EQ(ws.cycles, cdiv(s.K, s.R) * cdiv(s.N, s.C) * (s.M + s.R + s.C - 2 + s.R));
    const auto os =
        gemm_tile_cycles(array(s.R, s.C, Dataflow::OutputStationary), w, s.M, 0, w.mask.grid_rows);
    EXPECT_EQ(os.cycles, cdiv(s.M, s.R) * cdiv(s.N, s.C) * (s.K + s.R + s.C - 2));
    EXPECT_EQ(ws.macs, s.M * s.K * s.N);
  }
}

TEST(GemmTiming, OverlappedPreloadSavesROnEveryFoldButTheFirst) {
  const Matrix w = matrix(256, 256, "dense");
  PeConfig pe = array(64, 64, Dataflow::WeightStationary);
  const uint64_t plain = gemm_tile_cycles(pe, w, 100, 0, w.mask.grid_rows).cycles;
  pe.overlap_preload = true;
  const uint64_t overlapped = gemm_tile_cycles(pe, w, 100, 0, w.mask.grid_rows).cycles;
  const uint64_t folds = 4 * 4;
  EXPECT_EQ(plain - overlapped, folds * 64 - 64);
}

TEST(GemmTiming, FullDensityBlockMaskCostsTheSameAsDense) {
  const Matrix dense = matrix(1024, 512, "dense");
  const Matrix full = matrix(1024, 512, "block:16x16:1.0");
  for (auto b : {BalancePolicy::None, BalancePolicy::Greedy}) {
    const PeConfig pe = array(64, 64, Dataflow::WeightStationary, b);
    EXPECT_EQ(gemm_tile_cycles(pe, full, 197, 0, full.mask.grid_rows).cycles,
              gemm_tile_cycles(pe, dense, 197, 0, dense.mask.grid_rows).cycles);
  }
}

TEST(GemmTiming, BalancedBlockSkippingCostsAboutTheDensity) {
  const Matrix dense = matrix(1024, 1024, "dense");
  const PeConfig pe = array(64, 64, Dataflow::WeightStationary, BalancePolicy::RowBalanced);
  const double base = double(gemm_tile_cycles(pe, dense, 256, 0, dense.mask.grid_rows).cycles);
  for (double d : {0.25, 0.5, 0.75}) {
    const Matrix w = matrix(1024, 1024, "rowbalanced:16x16:" + std::to_string(d));
    const auto t = gemm_tile_cycles(pe, w, 256, 0, w.mask.grid_rows);
    EXPECT_NEAR(double(t.cycles) / base, d, 0.02) << d;
    EXPECT_DOUBLE_EQ(t.imbalance, 1.0);
  }
}

TEST(GemmTiming, SkewedMasksCostMoreAsTheImbalanceSays) {
  const PeConfig pe = array(64, 64, Dataflow::WeightStationary, BalancePolicy::None);
  const Matrix bal = matrix(1024, 1024, "rowbalanced:16x16:0.5");
  const Matrix skew = matrix(1024, 1024, "block:16x16:0.5", Spread::Skewed);
  ASSERT_EQ(bal.nnz, skew.nnz);
  const auto b = gemm_tile_cycles(pe, bal, 256, 0, bal.mask.grid_rows);
  const auto s = gemm_tile_cycles(pe, skew, 256, 0, skew.mask.grid_rows);
  EXPECT_GT(s.imbalance, 1.2);
  EXPECT_GT(s.cycles, b.cycles);
  // Cost tracks the imbalance: skewed / balanced within rounding of the fold granularity.
  EXPECT_NEAR(double(s.cycles) / double(b.cycles), s.imbalance, 0.15 * s.imbalance);
  // A greedy assignment of block rows to column groups recovers most of it.
  const auto g = gemm_tile_cycles(array(64, 64, Dataflow::WeightStationary, BalancePolicy::Greedy), skew, 256,
                                  0, skew.mask.grid_rows);
  EXPECT_LT(g.cycles, s.cycles);
  EXPECT_LT(g.imbalance, s.imbalance);
}

TEST(CycleModels, TopkVariants) {
  // Bitonic on 196 scores: 256-wide network, 8 x 9 / 2 = 36 stages of 128 compare-exchanges.
  EXPECT_EQ(hls::bitonic_topk_cycles(196, 16), 36u * 8);
  EXPECT_EQ(hls::quickselect_topk_cycles(196, 16), 25u + 8);
  EXPECT_LT(hls::quickselect_topk_cycles(196, 16), hls::bitonic_topk_cycles(196, 16));
}
