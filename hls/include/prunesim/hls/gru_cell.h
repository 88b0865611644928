#pragma once
// One GRU cell step (PyTorch gate order r, z, n):
//   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h
// The gate matrix-vector products are the GEMM work the PE array times; the element-wise part runs on the
// vector lanes.
#include <cmath>

#include "prunesim/hls/types.h"

namespace prunesim {
namespace hls {

inline float sigmoid(float v) {
  return 1.0f / (1.0f + std::exp(-v));
}

template <int MAX_IN, int MAX_H>
void gru_cell(const float x[MAX_IN], const float h[MAX_H], const float w_ih[3 * MAX_H][MAX_IN],
              const float w_hh[3 * MAX_H][MAX_H], const float b_ih[3 * MAX_H], const float b_hh[3 * MAX_H],
              float h_out[MAX_H], int in, int hidden) {
  float gi[3 * MAX_H], gh[3 * MAX_H];
GATES:
  for (int o = 0; o < 3 * MAX_H; ++o) {
#pragma HLS PIPELINE II = 1
    if (o >= 3 * hidden) break;
    float si = b_ih[o], sh = b_hh[o];
    for (int c = 0; c < MAX_IN; ++c)
      if (c < in) si += w_ih[o][c] * x[c];
    for (int c = 0; c < MAX_H; ++c)
      if (c < hidden) sh += w_hh[o][c] * h[c];
    gi[o] = si;
    gh[o] = sh;
  }
UPDATE:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    const float r = sigmoid(gi[j] + gh[j]);
    const float z = sigmoid(gi[hidden + j] + gh[hidden + j]);
    const float nn = std::tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
    h_out[j] = (1.0f - z) * nn + z * h[j];
  }
}

}  // namespace hls
}  // namespace prunesim
