#pragma once
// The int8 model of a pruned transformer, as the integer datapath runs it, and its reference forward pass.
//
// Post-training static quantization: weights symmetric at their trace width (per tensor or per output
// channel), biases int32 in accumulator units; every activation tensor int8 with a static per-tensor scale
// (max |x| / 127 over calibration inputs run through the float model; query, key and value get one scale
// each). Non-linear ops are integer-only (hls/nonlinear_int.h): softmax through an exp table (probabilities
// int8 at 1/127, or int16 at 1/32767 when the design keeps softmax at 16 bits), layernorm with an integer
// square root, GELU through an int8 table, residual adds rescaled by fixed-point factors.
//
// forward_int() is the reference the functional mode checks the kernels on the replayed schedule against,
// bit for bit: it computes whole tensors with Eigen integer products, not tiles, and shares only the scalar
// arithmetic of hls/int_arith.h (rounding shift, rounded division, square root).
#include <array>
#include <map>
#include <string>
#include <vector>

#include "prunesim/hls/gru_cell_int.h"
#include "prunesim/hls/int_arith.h"
#include "prunesim/hls/nonlinear_int.h"
#include "prunesim/workloads/forward.h"

namespace prunesim::workloads {

using Int8Mat = Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Int32Mat = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Int64Mat = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct QuantLinear {
  Int8Mat w;                          // out x in
  std::vector<int32_t> bias;          // accumulator units (input scale x weight scale of the channel)
  std::vector<hls::FixedMul> to_out;  // per output channel: accumulator -> output int8
};

struct QuantNorm {
  std::vector<int32_t> gamma, beta;  // fixed point (hls::kLnFrac bits) in the output's scale
  int64_t eps = 0;                   // epsilon in the units of n^2 var of the int8 input
};

struct QuantResidual {
  int32_t a = 0, b = 0;  // operand factors into the output scale (hls::kResidualShift bits)
};

struct QuantLayer {
  QuantLinear qkv, proj, fc1, fc2;
  QuantNorm ln1, ln2;
  QuantResidual res1, res2;
  hls::FixedMul softmax_index;  // (max - score) -> exp table index
  hls::FixedMul av_out;         // P V accumulator (after av_pre_shift) -> attention output int8
  int av_pre_shift = 0;         // 16-bit probabilities: P V is rounded by 2^8 first, so the product fits
  std::array<int8_t, 256> gelu{};
};

struct QuantModel {
  uint32_t heads = 0, head_dim = 0, d_model = 0;
  bool pre_ln = true, causal = false;
  float in_scale = 1, out_scale = 1;  // the input and the final hidden states
  int32_t prob_one = hls::kProbOne;   // softmax output scale 1 / prob_one (kProbOne16: 16-bit softmax)
  std::array<uint16_t, hls::kExpTable> exp_table{};
  std::vector<QuantLayer> layers;
};

struct QuantOptions {
  std::map<std::string, int> wbits;  // per matrix ("L0.qkv", ...); 8 when absent
  bool per_channel = false;
  int prob_bits = 8;  // softmax output: 8 or 16 bits
};

// r ~= mult * 2^-shift with mult in [2^30, 2^31); 0 for r <= 0.
hls::FixedMul fixed_mul(double ratio);
Int8Mat quantize_tensor(const RowMat& x, float scale);

// Calibrates on `inputs` run through `w` with `policies[i]` (token counts per input) and quantizes.
QuantModel quantize_model(const ModelWeights& w, const std::vector<RowMat>& inputs,
                          const std::vector<TokenPolicy>& policies, const QuantOptions& options);

struct IntForwardResult {
  Int8Mat out;  // final hidden states, scale QuantModel::out_scale
  std::vector<uint32_t> tokens_kept;
};
// `x`: int8 input at QuantModel::in_scale. Token counts come from tokens.kept_tokens.
IntForwardResult forward_int(const QuantModel& q, const Int8Mat& x, const TokenPolicy& tokens);

// GRU on the int8 datapath (hls/gru_cell_int.h): hidden state, r, z and n at scale 1/127 (they lie in
// (-1, 1)), gate pre-activations int8 per gate at calibrated scales, sigmoid and tanh as tables.
struct QuantGruLayer {
  QuantLinear ih, hh;  // outputs: the r, z, n sections of W x + b and W h + b at their own scales
  int32_t r_i = 0, r_h = 0, z_i = 0, z_h = 0, n_i = 0, n_h = 0;  // into the tables' input scales
  std::array<int8_t, 256> sigmoid_r{}, sigmoid_z{}, tanh_n{};
  hls::GruIntParams params() const {
    return {r_i, r_h, z_i, z_h, n_i, n_h, sigmoid_r.data(), sigmoid_z.data(), tanh_n.data()};
  }
};
struct QuantGru {
  float in_scale = 1;  // the input sequence; hidden states are 1/127
  std::vector<QuantGruLayer> layers;
};
QuantGru quantize_gru(const std::vector<GruLayerWeights>& w, const std::vector<RowMat>& inputs,
                      const QuantOptions& options);
// The last layer's hidden state at every step (steps x H, scale 1/127).
Int8Mat gru_forward_int(const QuantGru& q, const Int8Mat& x);

}  // namespace prunesim::workloads
