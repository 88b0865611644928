#pragma once
// The non-linear kernels of the int8 datapath (integer-only inference in the manner of I-BERT, Kim et al.,
// ICML 2021, with look-up tables where an FPGA has ROM to spare). Inputs and outputs are int8 with static
// per-tensor scales; the constants (multipliers, tables) come from the quantized model
// (workloads/quant_model.h). Same loop structure, pass counts and cycle models as the float kernels of
// nonlinear.h.
#include <cstdint>

#include "prunesim/hls/int_arith.h"

namespace prunesim {
namespace hls {

// exp(-i / kExpStepsPerUnit) for i < kExpTable, in units of 2^-kExpBits (i beyond the table: 0).
constexpr int kExpTable = 256, kExpStepsPerUnit = 16, kExpBits = 15;
// Probabilities leave softmax as int8 with scale 1 / kProbOne (kProbOne16 when softmax keeps 16 bits).
constexpr int kProbOne = 127, kProbOne16 = 32767;
// Layernorm's gamma and beta are fixed point with this many fraction bits; residual multipliers too.
constexpr int kLnFrac = 10, kResidualShift = 16;

// Softmax of int32 scores (accumulators of Q K^T) over `cols` columns. `to_index` maps (max - score) to a
// table index (the score scale, 1/sqrt(d) and the table step folded together). Probabilities leave with
// scale 1 / PROB_ONE: int8 at 1/127, or int16 at 1/32767 for a design that keeps softmax at 16 bits.
template <int MAX_COLS, class OUT = int8_t, int32_t PROB_ONE = kProbOne>
void softmax_row_int(const int32_t in[MAX_COLS], OUT out[MAX_COLS], int cols, FixedMul to_index,
                     const uint16_t exp_table[kExpTable]) {
  int32_t mx = in[0];
MAX:
  for (int j = 1; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    mx = in[j] > mx ? in[j] : mx;
  }
  uint16_t e[MAX_COLS];
  int64_t sum = 0;
EXP:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    const int64_t idx = scale_round(int64_t(mx) - in[j], to_index);
    e[j] = idx < kExpTable ? exp_table[idx] : uint16_t(0);
    sum += e[j];
  }
  // sum >= exp_table[0] > 0: the maximum is always in the row.
NORM:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    out[j] = OUT((int64_t(e[j]) * PROB_ONE + sum / 2) / sum);
  }
}

// Layernorm of an int8 row: integer mean and variance (n^2 var exactly), integer square root, then
// gamma / beta as fixed point in the output's scale. `eps` is epsilon in the same units as n^2 var.
template <int MAX_COLS>
void layernorm_row_int(const int8_t in[MAX_COLS], const int32_t gamma[MAX_COLS], const int32_t beta[MAX_COLS],
                       int8_t out[MAX_COLS], int cols, int64_t eps) {
  int64_t sum = 0, sq = 0;
STATS:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    sum += in[j];
    sq += int64_t(in[j]) * in[j];
  }
  const int64_t n = cols;
  uint32_t sd = isqrt64(uint64_t(n * sq - sum * sum + eps));  // n * std, in input units
  if (sd == 0) sd = 1;
NORMALISE:
  for (int j = 0; j < MAX_COLS; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= cols) break;
    const int64_t centred = n * in[j] - sum;
    const int64_t y = div_round(centred * gamma[j], int64_t(sd)) + beta[j];
    out[j] = sat8(div_round(y, int64_t(1) << kLnFrac));
  }
}

// GELU (or any int8 -> int8 function) through a 256-entry table indexed by the input + 128.
template <int MAX_N>
void lut_vec_int(const int8_t in[MAX_N], int8_t out[MAX_N], int n, const int8_t table[256]) {
LUT:
  for (int j = 0; j < MAX_N; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= n) break;
    out[j] = table[in[j] + 128];
  }
}

// a + b into the output's scale: both operands rescaled by fixed-point factors (2^-kResidualShift units).
template <int MAX_N>
void residual_add_int(const int8_t a[MAX_N], const int8_t b[MAX_N], int8_t out[MAX_N], int n, int32_t ma,
                      int32_t mb) {
ADD:
  for (int j = 0; j < MAX_N; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= n) break;
    const int64_t v = int64_t(a[j]) * ma + int64_t(b[j]) * mb;
    out[j] = sat8((v + (int64_t(1) << (kResidualShift - 1))) >> kResidualShift);
  }
}

}  // namespace hls
}  // namespace prunesim
