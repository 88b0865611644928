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

// The element-wise steps, one per op of a GRU trace (gru.gates_rz, gru.candidate, gru.update). `gi`, `gh`:
// the 3H gate pre-activations W_i* x + b_i* and W_h* h + b_h*.
template <int MAX_H>
void gru_gates_rz(const float gi[3 * MAX_H], const float gh[3 * MAX_H], float r[MAX_H], float z[MAX_H],
                  int hidden) {
RZ:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    r[j] = sigmoid(gi[j] + gh[j]);
    z[j] = sigmoid(gi[hidden + j] + gh[hidden + j]);
  }
}

template <int MAX_H>
void gru_candidate(const float gi[3 * MAX_H], const float gh[3 * MAX_H], const float r[MAX_H], float n[MAX_H],
                   int hidden) {
CANDIDATE:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    n[j] = std::tanh(gi[2 * hidden + j] + r[j] * gh[2 * hidden + j]);
  }
}

template <int MAX_H>
void gru_update(const float z[MAX_H], const float n[MAX_H], const float h[MAX_H], float h_out[MAX_H],
                int hidden) {
UPDATE:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    h_out[j] = (1.0f - z[j]) * n[j] + z[j] * h[j];
  }
}

template <int MAX_IN, int MAX_H>
void gru_cell(const float x[MAX_IN], const float h[MAX_H], const float w_ih[3 * MAX_H][MAX_IN],
              const float w_hh[3 * MAX_H][MAX_H], const float b_ih[3 * MAX_H], const float b_hh[3 * MAX_H],
              float h_out[MAX_H], int in, int hidden) {
  float gi[3 * MAX_H], gh[3 * MAX_H], r[MAX_H], z[MAX_H], n[MAX_H];
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
  gru_gates_rz<MAX_H>(gi, gh, r, z, hidden);
  gru_candidate<MAX_H>(gi, gh, r, n, hidden);
  gru_update<MAX_H>(z, n, h, h_out, hidden);
}

}  // namespace hls
}  // namespace prunesim
