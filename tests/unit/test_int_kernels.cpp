// The integer datapath: the scalar arithmetic (hls/int_arith.h) against exact math, each integer kernel
// (hls/nonlinear_int.h) against the float function it approximates, and the int8 model
// (workloads/quant_model) against the float model it was calibrated on.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "prunesim/common/error.h"
#include "prunesim/hls/gru_cell_int.h"
#include "prunesim/hls/int_arith.h"
#include "prunesim/hls/nonlinear_int.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/quant_model.h"
#include "prunesim/workloads/trace_weights.h"

using namespace prunesim;

TEST(IntArith, IsqrtIsTheFloorSquareRoot) {
  std::mt19937_64 gen(3);
  std::vector<uint64_t> values = {
      0, 1, 2, 3, 4, 15, 16, 17, (uint64_t(1) << 32) - 1, uint64_t(1) << 62, UINT64_MAX};
  for (int i = 0; i < 2000; ++i) values.push_back(gen() >> (gen() % 64));
  for (uint64_t v : values) {
    const uint64_t r = hls::isqrt64(v), next = r + 1;  // r < 2^32, so r * r fits
    EXPECT_LE(r * r, v) << v;
    if (next < (uint64_t(1) << 32)) {
      EXPECT_GT(next * next, v) << v;
    }
  }
}

TEST(IntArith, DivRoundRoundsHalfAwayFromZero) {
  EXPECT_EQ(hls::div_round(5, 2), 3);
  EXPECT_EQ(hls::div_round(-5, 2), -3);
  EXPECT_EQ(hls::div_round(4, 3), 1);
  EXPECT_EQ(hls::div_round(-4, 3), -1);
  EXPECT_EQ(hls::div_round(0, 7), 0);
  EXPECT_EQ(hls::div_round(1000, 1), 1000);
}

TEST(IntArith, FixedPointMultipliersHoldTheRatioTo31Bits) {
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> exponent(-20, 10);
  for (int i = 0; i < 1000; ++i) {
    const double r = std::pow(2.0, exponent(gen));
    const hls::FixedMul m = workloads::fixed_mul(r);
    ASSERT_GE(m.mult, 1 << 30);
    EXPECT_NEAR(std::ldexp(double(m.mult), -m.shift), r, r * std::ldexp(1.0, -30));
    const int64_t v = int64_t(gen() % 2000001) - 1000000;
    EXPECT_NEAR(double(hls::scale_round(v, m)), double(v) * r, 0.5 + 1e-6 * std::fabs(double(v) * r));
  }
  EXPECT_EQ(workloads::fixed_mul(0).mult, 0);
  EXPECT_EQ(workloads::fixed_mul(1e-12).mult, 0);  // below 2^-31: rounds to nothing
  EXPECT_EQ(hls::sat8(300), 127);
  EXPECT_EQ(hls::sat8(-300), -127);  // symmetric int8
}

TEST(IntKernels, SoftmaxIsWithinTheTableStepOfFloat) {
  std::mt19937 gen(7);
  std::uniform_int_distribution<int32_t> score(-20000, 20000);
  std::array<uint16_t, hls::kExpTable> table;
  for (int i = 0; i < hls::kExpTable; ++i)
    table[size_t(i)] =
        uint16_t(std::lround(std::exp(-double(i) / hls::kExpStepsPerUnit) * (1 << hls::kExpBits)));
  const double s = 1.0 / 2048;  // real value of one score unit (scale of Q K^T over sqrt(d))
  const hls::FixedMul to_index = workloads::fixed_mul(s * hls::kExpStepsPerUnit);
  for (int cols : {1, 5, 64, 197}) {
    int32_t in[256];
    int8_t out[256];
    for (int j = 0; j < cols; ++j) in[j] = score(gen);
    hls::softmax_row_int<256>(in, out, cols, to_index, table.data());
    double mx = -1e30, sum = 0;
    for (int j = 0; j < cols; ++j) mx = std::max(mx, in[j] * s);
    for (int j = 0; j < cols; ++j) sum += std::exp(in[j] * s - mx);
    for (int j = 0; j < cols; ++j) {
      const double want = std::exp(in[j] * s - mx) / sum;
      // Half a table step (1/32 in the exponent) of relative error, plus half an output LSB.
      EXPECT_NEAR(out[j] / double(hls::kProbOne), want, 0.035 * want + 0.6 / hls::kProbOne)
          << cols << " " << j;
    }
  }
}

TEST(IntKernels, LayernormIsWithinOneLsbOfFloat) {
  std::mt19937 gen(9);
  std::uniform_int_distribution<int> q(-127, 127);
  std::uniform_real_distribution<float> u(-1, 1);
  const float s_in = 0.05f, s_out = 4.0f / 127;
  for (int cols : {8, 64, 192}) {
    int8_t in[256], out[256];
    Eigen::VectorXf g(cols), b(cols), x(cols);
    for (int j = 0; j < cols; ++j)
      in[j] = int8_t(q(gen)), x(j) = in[j] * s_in, g(j) = 1 + u(gen) / 4, b(j) = u(gen) / 4;
    std::vector<int32_t> G(static_cast<size_t>(cols)), B(static_cast<size_t>(cols));
    for (int j = 0; j < cols; ++j)
      G[size_t(j)] = int32_t(std::lround(g(j) / s_out * (1 << hls::kLnFrac))),
      B[size_t(j)] = int32_t(std::lround(b(j) / s_out * (1 << hls::kLnFrac)));
    const float eps = 1e-5f;
    const int64_t eps_q = std::llround(eps * double(cols) * cols / (s_in * s_in));
    hls::layernorm_row_int<256>(in, G.data(), B.data(), out, cols, eps_q);
    const float mean = x.mean(), var = (x.array() - mean).square().mean();
    for (int j = 0; j < cols; ++j) {
      const float want = ((x(j) - mean) / std::sqrt(var + eps) * g(j) + b(j)) / s_out;
      EXPECT_NEAR(float(out[j]), std::clamp(want, -127.0f, 127.0f), 1.0f) << cols << " " << j;
    }
  }
}

TEST(IntKernels, ResidualAndTableKernelsRescaleExactly) {
  int8_t a[256], b[256], out[256], table[256];
  for (int j = 0; j < 256; ++j)
    a[j] = int8_t(j % 255 - 127), b[j] = int8_t(127 - j % 255), table[j] = int8_t(j / 3);
  const double ra = 0.75, rb = 0.3;
  const int32_t ma = int32_t(std::lround(ra * (1 << hls::kResidualShift))),
                mb = int32_t(std::lround(rb * (1 << hls::kResidualShift)));
  hls::residual_add_int<256>(a, b, out, 256, ma, mb);
  for (int j = 0; j < 256; ++j) EXPECT_NEAR(out[j], a[j] * ra + b[j] * rb, 0.5 + 1e-3) << j;
  hls::lut_vec_int<256>(a, out, 256, table);
  for (int j = 0; j < 256; ++j) EXPECT_EQ(out[j], table[a[j] + 128]);
}

TEST(QuantModel, TheInt8ModelTracksTheFloatModelItWasCalibratedOn) {
  for (const char* model : {"deit-tiny", "bert-base"}) {
    workloads::ModelSpec m = workloads::lookup_model(model);
    m.layers = 2;
    m.seq = std::min<uint32_t>(m.seq, 64);
    workloads::Recipe r;
    r.add_prune("all=block:16x16:0.5");
    const workloads::Trace t = workloads::compress(m, r);
    const workloads::TraceWeights w = workloads::seeded_trace_weights(t, 4);
    const std::vector<workloads::RowMat> x = workloads::seeded_inputs(1, m.seq, m.d_model, 8);
    const workloads::QuantModel q =
        workloads::quantize_model(w.transformer, x, {workloads::TokenPolicy{}}, {});
    const workloads::RowMat want = workloads::forward(w.transformer, x[0], {}).out;
    const workloads::Int8Mat got =
        workloads::forward_int(q, workloads::quantize_tensor(x[0], q.in_scale), {}).out;
    const workloads::RowMat deq = got.cast<float>() * q.out_scale;
    EXPECT_LT((deq - want).norm() / want.norm(), 0.08) << model;
  }
}

TEST(QuantModel, TheInt8GruTracksTheFloatGru) {
  workloads::ModelSpec m = workloads::lookup_model("gru");
  m.seq = 12;
  workloads::Recipe r;
  r.add_prune("gru=block:16x16:0.5");
  const workloads::Trace t = workloads::compress(m, r);
  const workloads::TraceWeights w = workloads::seeded_trace_weights(t, 6);
  const std::vector<workloads::RowMat> x = workloads::seeded_inputs(1, m.seq, m.gru_input, 3);
  const workloads::QuantGru q = workloads::quantize_gru(w.gru, x, {});
  const workloads::RowMat want = workloads::gru_forward(w.gru, x[0]);
  const workloads::Int8Mat got = workloads::gru_forward_int(q, workloads::quantize_tensor(x[0], q.in_scale));
  ASSERT_EQ(got.rows(), want.rows());
  const workloads::RowMat deq = got.cast<float>() / float(hls::kProbOne);
  EXPECT_LT((deq - want).norm() / want.norm(), 0.08);
  EXPECT_GT((deq - want).norm(), 0.0);
}

TEST(IntKernels, GruUpdateIsTheRoundedConvexCombination) {
  int8_t z[4] = {0, 127, 64, 100}, n[4] = {100, -100, 50, -127}, h[4] = {-30, 30, -50, 127}, out[4];
  hls::gru_update_int<4>(z, n, h, out, 4);
  for (int j = 0; j < 4; ++j)
    EXPECT_EQ(out[j], int8_t(std::lround(((127.0 - z[j]) * n[j] + double(z[j]) * h[j]) / 127.0))) << j;
}

TEST(IntKernels, SixteenBitSoftmaxKeepsSmallProbabilities) {
  std::array<uint16_t, hls::kExpTable> table;
  for (int i = 0; i < hls::kExpTable; ++i)
    table[size_t(i)] =
        uint16_t(std::lround(std::exp(-double(i) / hls::kExpStepsPerUnit) * (1 << hls::kExpBits)));
  const double s = 1.0 / 2048;
  const hls::FixedMul to_index = workloads::fixed_mul(s * hls::kExpStepsPerUnit);
  std::mt19937 gen(8);
  std::uniform_int_distribution<int32_t> score(-2000, 2000);  // flat attention over 197 tokens: p ~ 1/197
  int32_t in[256];
  int16_t out[256];
  int8_t out8[256];
  for (int j = 0; j < 197; ++j) in[j] = score(gen);
  hls::softmax_row_int<256, int16_t, hls::kProbOne16>(in, out, 197, to_index, table.data());
  hls::softmax_row_int<256>(in, out8, 197, to_index, table.data());
  double mx = -1e30, sum = 0, err16 = 0, err8 = 0;
  for (int j = 0; j < 197; ++j) mx = std::max(mx, in[j] * s);
  for (int j = 0; j < 197; ++j) sum += std::exp(in[j] * s - mx);
  for (int j = 0; j < 197; ++j) {
    const double want = std::exp(in[j] * s - mx) / sum;
    EXPECT_NEAR(out[j] / double(hls::kProbOne16), want, 0.035 * want + 1e-4) << j;
    err16 += std::fabs(out[j] / double(hls::kProbOne16) - want);
    err8 += std::fabs(out8[j] / double(hls::kProbOne) - want);
  }
  EXPECT_LT(err16, err8 / 4);  // 8 bits round most of these small probabilities by a large fraction
  EXPECT_THROW(workloads::quantize_model({}, {}, {}, workloads::QuantOptions{{}, false, 12}),
               prunesim::InputError);
}
