#pragma once
// Row-wise and element-wise kernels: softmax (max-subtracted), layernorm, GELU (erf form), residual add.
// Each row's loops are pipelined; the cycle model is vector_cycles() in cycle_models.h with the pass counts
// written here (softmax 2: max, then exp-sum-normalise; layernorm 2: statistics, then normalise).
#include <cmath>

#include "prunesim/hls/cycle_models.h"
#include "prunesim/hls/types.h"

namespace prunesim {
namespace hls {

// Passes each kernel streams over a row (the vector unit's cycle model): softmax (max, then exp and sum with
// the normalisation folded in), layernorm (sum and sum of squares, then normalise), RMSNorm (sum of
// squares, then scale), element-wise (one).
constexpr uint64_t kSoftmaxPasses = 2, kLayerNormPasses = 2, kRmsNormPasses = 2, kEltwisePasses = 1;

template <int MAX_COLS>
void softmax_row(const nl_t in[MAX_COLS], nl_t out[MAX_COLS], int cols) {
  nl_t mx = in[0];
MAX:
  for (int j = 1; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    mx = in[j] > mx ? in[j] : mx;
  }
  nl_t sum = 0;
EXP:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    out[j] = std::exp(in[j] - mx);
    sum += out[j];
  }
  const nl_t inv = nl_t(1) / sum;
NORM:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    out[j] *= inv;
  }
}

template <int MAX_COLS>
void layernorm_row(const nl_t in[MAX_COLS], const nl_t gamma[MAX_COLS], const nl_t beta[MAX_COLS],
                   nl_t out[MAX_COLS], int cols, nl_t eps) {
  nl_t sum = 0, sq = 0;
STATS:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    sum += in[j];
    sq += in[j] * in[j];
  }
  const nl_t mean = sum / nl_t(cols);
  const nl_t var = sq / nl_t(cols) - mean * mean;
  const nl_t inv = nl_t(1) / std::sqrt(var + eps);
NORMALISE:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    out[j] = (in[j] - mean) * inv * gamma[j] + beta[j];
  }
}

// RMSNorm (Zhang & Sennrich 2019, as in LLaMA): x / sqrt(mean(x^2) + eps) * gamma; no mean, no bias.
template <int MAX_COLS>
void rmsnorm_row(const nl_t in[MAX_COLS], const nl_t gamma[MAX_COLS], nl_t out[MAX_COLS], int cols, nl_t eps) {
  nl_t sq = 0;
SUM_SQUARES:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    sq += in[j] * in[j];
  }
  const nl_t inv = nl_t(1) / std::sqrt(sq / nl_t(cols) + eps);
SCALE:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    out[j] = in[j] * inv * gamma[j];
  }
}

inline nl_t gelu(nl_t v) {
  return nl_t(0.5) * v * (nl_t(1) + std::erf(v * nl_t(0.70710678118654752)));
}

// GPT-2's GELU ("gelu_new"): the tanh approximation.
inline nl_t gelu_tanh(nl_t v) {
  return nl_t(0.5) * v * (nl_t(1) + std::tanh(nl_t(0.7978845608028654) * (v + nl_t(0.044715) * v * v * v)));
}

template <int MAX_N>
void gelu_vec(const nl_t in[MAX_N], nl_t out[MAX_N], int n, bool tanh_form = false) {
GELU:
  for (int j = 0; j < MAX_N; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= n) break;
    out[j] = tanh_form ? gelu_tanh(in[j]) : gelu(in[j]);
  }
}

template <class T, int MAX_N>
void residual_add(const T a[MAX_N], const T b[MAX_N], T out[MAX_N], int n) {
ADD:
  for (int j = 0; j < MAX_N; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= n) break;
    out[j] = a[j] + b[j];
  }
}

}  // namespace hls
}  // namespace prunesim
