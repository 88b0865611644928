#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "prunesim/common/error.h"
#include "prunesim/workloads/pruning.h"

using namespace prunesim;
using namespace prunesim::workloads;

namespace {

Matrix make(uint32_t rows, uint32_t cols) {
  Matrix m;
  m.name = "w";
  m.rows = m.dense_rows = rows;
  m.cols = m.dense_cols = cols;
  m.format = StorageFormat::Bcsr;
  return m;
}

Matrix pruned(const std::string& spec, uint32_t rows, uint32_t cols, Spread spread = Spread::Uniform,
              const float* w = nullptr, uint64_t seed = 7) {
  Matrix m = make(rows, cols);
  Rng rng(seed);
  apply_mask(m, parse_prune_spec(spec), w, spread, 1.0, rng);
  return m;
}

}  // namespace

TEST(Pruning, BlockHitsDensityExactlyAndKeepsBlocksWhole) {
  for (double d : {0.1, 0.5, 0.77}) {
    const Matrix m = pruned("block:16x16:" + std::to_string(d), 384, 1152);
    const uint64_t blocks = 24ull * 72;
    EXPECT_EQ(m.mask.kept_blocks(), uint64_t(std::llround(d * double(blocks))));
    // Blocks are whole: nnz is the kept block count times 256 (no edge blocks in this shape).
    EXPECT_EQ(m.nnz, m.mask.kept_blocks() * 256);
  }
}

TEST(Pruning, RemainderBlocksAreHandledNotRejected) {
  // 100 x 70 in 16x16 blocks: edge blocks are 4 rows and 6 columns.
  const Matrix m = pruned("block:16x16:1.0", 100, 70);
  EXPECT_EQ(m.mask.grid_rows, 7u);
  EXPECT_EQ(m.mask.grid_cols, 5u);
  EXPECT_EQ(m.nnz, 100u * 70u);  // every weight kept, edge blocks counted at their real size
}

TEST(Pruning, RowBalancedKeepsTheSameBlocksInEveryRow) {
  const Matrix m = pruned("rowbalanced:16x16:0.25", 256, 512, Spread::Skewed);
  for (auto k : m.mask.kept_per_row) EXPECT_EQ(k, 8u);  // 32 block columns x 0.25
}

TEST(Pruning, SkewedSpreadKeepsTheTotalButUnbalancesRows) {
  const Matrix u = pruned("block:16x16:0.5", 512, 512, Spread::Uniform);
  const Matrix s = pruned("block:16x16:0.5", 512, 512, Spread::Skewed);
  EXPECT_EQ(u.mask.kept_blocks(), s.mask.kept_blocks());
  const auto [umin, umax] = std::minmax_element(u.mask.kept_per_row.begin(), u.mask.kept_per_row.end());
  const auto [smin, smax] = std::minmax_element(s.mask.kept_per_row.begin(), s.mask.kept_per_row.end());
  EXPECT_LE(*umax - *umin, 1u);
  EXPECT_GT(*smax - *smin, 4u);
}

TEST(Pruning, HierarchicalKeepsOnlySurvivingColumns) {
  const Matrix m = pruned("hier:8x8:0.5:0.5", 64, 128);
  std::vector<bool> used(m.mask.grid_cols, false);
  for (uint32_t r = 0; r < m.mask.grid_rows; ++r)
    for (uint32_t c = 0; c < m.mask.grid_cols; ++c)
      if (m.mask.kept(r, c)) used[c] = true;
  EXPECT_LE(std::count(used.begin(), used.end(), true), 8);  // 16 block columns x 0.5
  EXPECT_EQ(m.mask.kept_blocks(), uint64_t(std::llround(8.0 * 8 * 0.5)));
}

TEST(Pruning, NMKeepsNofEveryMInEachRow) {
  const Matrix m = pruned("nm:2:4", 10, 18);
  for (auto k : m.mask.kept_per_row) EXPECT_EQ(k, 4u * 2 + 2);  // four full groups and a tail of 2
  EXPECT_EQ(m.nnz, 10u * 10u);
}

TEST(Pruning, UnstructuredHitsDensityExactly) {
  const Matrix m = pruned("unstructured:0.3", 300, 200);
  EXPECT_EQ(m.nnz, uint64_t(std::llround(0.3 * 300 * 200)));
}

TEST(Pruning, RealWeightsKeepTheLargestMagnitudeBlocks) {
  // 4 x 4 blocks of 2 x 2; block (r, c) has magnitude r * 4 + c, so the top half are blocks 8..15.
  std::vector<float> w(8 * 8);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) w[i * 8 + j] = float(((i / 2) * 4 + j / 2) * (j % 2 ? -1 : 1));
  const Matrix m = pruned("block:2x2:0.5", 8, 8, Spread::Uniform, w.data());
  for (uint32_t r = 0; r < 4; ++r)
    for (uint32_t c = 0; c < 4; ++c) EXPECT_EQ(m.mask.kept(r, c), r * 4 + c >= 8) << r << "," << c;
}

TEST(Pruning, SameSeedSameMaskOtherSeedOtherMask) {
  const Matrix a = pruned("block:16x16:0.5", 128, 128, Spread::Uniform, nullptr, 1);
  const Matrix b = pruned("block:16x16:0.5", 128, 128, Spread::Uniform, nullptr, 1);
  const Matrix c = pruned("block:16x16:0.5", 128, 128, Spread::Uniform, nullptr, 2);
  EXPECT_EQ(a.mask.bits, b.mask.bits);
  EXPECT_NE(a.mask.bits, c.mask.bits);
}

TEST(Pruning, BadSpecsAreClearErrors) {
  for (const char* bad :
       {"block:16x16:1.5", "block:16:0.5", "unstructured:-0.1", "nm:5:4", "magic:0.5", "head:0"}) {
    try {
      parse_prune_spec(bad);
      ADD_FAILURE() << bad;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(Pruning, SpecNumbersBeyondTheirLimitsAreRefusedNotWrapped) {
  // 4294967296 once wrapped to a zero block side and divided by it (SIGFPE); 2^32 + 2 : 2^32 + 4 became 2:4.
  for (const char* bad :
       {"block:4294967296x16:0.5", "block:16x4294967296:0.5", "rowbalanced:1000000000x16:0.25",
        "nm:4294967298:4294967300", "block:99999999999999999999x16:0.5", "hier:0x16:0.5:0.5"}) {
    try {
      parse_prune_spec(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("must be an integer in [1, "), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(parse_prune_spec("block:65536x1:0.5").block_rows, 65536u);
  EXPECT_EQ(parse_prune_spec("nm:2:4").m, 4u);
}
