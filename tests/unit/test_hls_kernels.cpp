// The HLS kernels (float build) against Eigen references over random shapes with ragged edges, the top-k
// variants against std::nth_element, and the kernels' cycle models pinned to the simulator's timing.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <numeric>
#include <random>

#include "prunesim/hls/gemm.h"
#include "prunesim/hls/nonlinear.h"
#include "prunesim/hls/topk.h"
#include "prunesim/models/gemm_timing.h"
#include "prunesim/models/tiling.h"
#include "prunesim/workloads/compressor.h"

using namespace prunesim;
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

namespace {

struct Cfg {
  static const int max_m = 40, max_k = 72, max_n = 56, R = 8, Cc = 16, BH = 4, BW = 8,
                   max_blocks = (56 / 4) * (72 / 8);
  using in_t = float;
  using w_t = float;
  using acc_t = float;
};

struct C8 {
  static const int max_m = 8, max_k = 24, max_n = 8, R = 4, Cc = 4;
  using in_t = int8_t;
  using w_t = int8_t;
  using acc_t = int32_t;
};

struct PeCfg {  // the default design's array
  static const int R = 64, Cc = 64;
};

float x_[40][72], w_[56][72], y_[40][56];

}  // namespace

TEST(HlsKernels, DenseAndBlockSparseTilesMatchEigenOnRaggedShapes) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> u(-1, 1);
  for (int trial = 0; trial < 12; ++trial) {
    const int m = 1 + int(gen() % 40), k = 1 + int(gen() % 72), n = 1 + int(gen() % 56);
    RowMat X = RowMat::Zero(m, k), W = RowMat::Zero(n, k);
    for (int i = 0; i < 40; ++i)
      for (int j = 0; j < 72; ++j) x_[i][j] = i < m && j < k ? (X(i, j) = u(gen)) : 0.0f;
    // Block mask (4 x 8 blocks), about half kept; W holds the masked values.
    static hls::BlockSparse<Cfg> ws;
    const int brows = (n + 3) / 4, bcols = (k + 7) / 8;
    ws.block_rows = brows;
    int s = 0;
    for (int b = 0; b < brows; ++b) {
      ws.row_ptr[b] = s;
      for (int c = 0; c < bcols; ++c) {
        if (gen() % 2) continue;
        for (int r = 0; r < 4; ++r)
          for (int cc = 0; cc < 8; ++cc) {
            const int o = b * 4 + r, i = c * 8 + cc;
            ws.val[s][r][cc] = o < n && i < k ? (W(o, i) = u(gen)) : 0.0f;
          }
        ws.col[s++] = c;
      }
    }
    ws.row_ptr[brows] = s;
    for (int o = 0; o < 56; ++o)
      for (int i = 0; i < 72; ++i) w_[o][i] = o < n && i < k ? W(o, i) : 0.0f;
    const RowMat ref = X * W.transpose();
    hls::gemm_dense_tile<Cfg>(x_, w_, y_, m, k, n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j)
        ASSERT_NEAR(y_[i][j], ref(i, j), 1e-4f) << "dense " << m << "x" << k << "x" << n;
    hls::gemm_block_sparse_tile<Cfg>(x_, ws, y_, m, k, n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j)
        ASSERT_NEAR(y_[i][j], ref(i, j), 1e-4f) << "sparse " << m << "x" << k << "x" << n;
  }
}

TEST(HlsKernels, Int8GemmWithRequantizationIsExact) {
  int8_t x[8][24], w[8][24];
  int32_t y[8][8];
  std::mt19937 gen(3);
  for (auto& r : x)
    for (auto& v : r) v = int8_t(int(gen() % 256) - 128);
  for (auto& r : w)
    for (auto& v : r) v = int8_t(int(gen() % 256) - 128);
  hls::gemm_dense_tile<C8>(x, w, y, 7, 23, 5);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 5; ++j) {
      int64_t ref = 0;
      for (int c = 0; c < 23; ++c) ref += int64_t(x[i][c]) * w[j][c];
      ASSERT_EQ(y[i][j], ref);
      const int64_t q = (ref * 77 + (1 << 11)) >> 12;
      ASSERT_EQ(hls::requantize(y[i][j], 77, 12), int8_t(std::clamp<int64_t>(q, -128, 127)));
    }
}

TEST(HlsKernels, NonLinearKernelsMatchEigen) {
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> u(-4, 4);
  for (int cols : {1, 7, 64, 197, 256}) {
    float in[256], out[256], g[256], b[256];
    Eigen::VectorXf v(cols);
    for (int j = 0; j < 256; ++j) in[j] = u(gen), g[j] = 1.0f + u(gen) / 8, b[j] = u(gen) / 8;
    for (int j = 0; j < cols; ++j) v(j) = in[j];
    hls::softmax_row<256>(in, out, cols);
    const Eigen::VectorXf e = (v.array() - v.maxCoeff()).exp();
    for (int j = 0; j < cols; ++j) ASSERT_NEAR(out[j], e(j) / e.sum(), 1e-6f);
    hls::layernorm_row<256>(in, g, b, out, cols, 1e-5f);
    const float mean = v.mean(), var = (v.array() - mean).square().mean();
    for (int j = 0; j < cols; ++j)
      ASSERT_NEAR(out[j], (in[j] - mean) / std::sqrt(var + 1e-5f) * g[j] + b[j], 2e-4f);
    hls::gelu_vec<256>(in, out, cols);
    for (int j = 0; j < cols; ++j)
      ASSERT_NEAR(out[j], 0.5f * in[j] * (1 + std::erf(in[j] / std::sqrt(2.0f))), 1e-6f);
  }
}

TEST(HlsKernels, TopkVariantsAgreeWithNthElementIncludingTies) {
  std::mt19937 gen(5);
  float s[256];
  int q[256], b[256];
  for (int trial = 0; trial < 200; ++trial) {
    const int n = 1 + int(gen() % 256), k = 1 + int(gen() % uint32_t(n));
    const int levels = trial % 2 ? 4 : 1000;  // many ties, then few
    for (int i = 0; i < 256; ++i) s[i] = float(gen() % uint32_t(levels));
    hls::topk_quickselect<256>(s, n, k, q);
    hls::topk_bitonic<256>(s, n, k, b);
    // nth_element on the scores: the kept scores are the k largest (as a multiset) whatever ties decide.
    std::vector<float> v(s, s + n);
    std::nth_element(v.begin(), v.begin() + (k - 1), v.end(), std::greater<float>());
    const float kth = v[size_t(k - 1)];
    std::vector<float> want(v.begin(), v.begin() + k), got_q, got_b;
    for (int i = 0; i < k; ++i) got_q.push_back(s[q[i]]), got_b.push_back(s[b[i]]);
    std::sort(want.begin(), want.end());
    std::sort(got_q.begin(), got_q.end());
    std::sort(got_b.begin(), got_b.end());
    ASSERT_EQ(got_q, want) << "n " << n << " k " << k;
    ASSERT_EQ(got_b, want);
    ASSERT_TRUE(std::is_sorted(q, q + k));
    // With the lower-index tie rule both pick the same tokens.
    ASSERT_TRUE(std::equal(q, q + k, b));
    ASSERT_GE(*std::min_element(got_q.begin(), got_q.end()), kth);
  }
}

TEST(HlsKernels, TheSimulatorTimesEachOpAsTheKernelCycleModelsSumOverItsTiles) {
  // A dense GEMM cut into weight tiles by the tiling policy: the PE model's cycles over the tiles add up to
  // the kernel's cycle model for the whole op (tiles hold whole rounds of C output columns).
  workloads::ModelSpec m = workloads::lookup_model("bert-base");
  m.layers = 1;
  const workloads::Trace t = workloads::compress(m, workloads::Recipe{});
  models::HwConfig hw;
  hw.tiling.weight_tile_bytes = 100 * 1024;  // force several tiles per matrix
  const models::TilePlan plan = models::plan_tiles(t, hw);
  std::map<uint32_t, uint64_t> by_op;
  for (const auto& item : plan.items) {
    const auto& op = t.ops[item.op];
    if (op.kind != workloads::OpKind::Gemm) continue;
    by_op[item.op] +=
        models::gemm_tile_cycles(hw.pe, t.matrices.at(op.weight), item.m, item.first, item.last).cycles;
  }
  size_t checked = 0;
  for (const auto& [i, cycles] : by_op) {
    const auto& op = t.ops[i];
    EXPECT_EQ(cycles, hls::gemm_dense_tile_cycles<PeCfg>(int(op.m), int(op.k), int(op.n))) << op.name;
    ++checked;
  }
  EXPECT_EQ(checked, 6u);  // qkv, proj, fc1, fc2, pooler, classifier
}
