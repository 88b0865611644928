#pragma once
// The element-wise steps of a GRU cell on the int8 datapath (same ops as gru_cell.h: gru.gates_rz,
// gru.candidate, gru.update). Gate pre-activations arrive as int8 (the requantized W x + b and W h + b); the
// hidden state, r, z and n are int8 with scale 1/127 (all lie in (-1, 1)); sigmoid and tanh are 256-entry
// tables over the int8 sum of the two pre-activations. Constants come from workloads/quant_model.h.
#include <cstdint>

#include "prunesim/hls/int_arith.h"
#include "prunesim/hls/nonlinear_int.h"

namespace prunesim {
namespace hls {

// Everything one layer's element-wise steps need: per gate, the factors bringing W_i* x and W_h* h into the
// table's input scale (kResidualShift fraction bits), and the tables.
struct GruIntParams {
  int32_t r_i, r_h, z_i, z_h, n_i, n_h;  // n_h applies to r * (W_hn h + b_hn), an int16 product
  const int8_t* sigmoid_r;
  const int8_t* sigmoid_z;
  const int8_t* tanh_n;
};

inline int8_t gate_sum(int64_t a, int64_t b) {
  return sat8((a + b + (int64_t(1) << (kResidualShift - 1))) >> kResidualShift);
}

template <int MAX_H>
void gru_gates_rz_int(const int8_t gi[3 * MAX_H], const int8_t gh[3 * MAX_H], int8_t r[MAX_H],
                      int8_t z[MAX_H], int hidden, const GruIntParams& p) {
RZ:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    r[j] = p.sigmoid_r[gate_sum(int64_t(gi[j]) * p.r_i, int64_t(gh[j]) * p.r_h) + 128];
    z[j] = p.sigmoid_z[gate_sum(int64_t(gi[hidden + j]) * p.z_i, int64_t(gh[hidden + j]) * p.z_h) + 128];
  }
}

template <int MAX_H>
void gru_candidate_int(const int8_t gi[3 * MAX_H], const int8_t gh[3 * MAX_H], const int8_t r[MAX_H],
                       int8_t n[MAX_H], int hidden, const GruIntParams& p) {
CANDIDATE:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    const int64_t rh = int64_t(r[j]) * gh[2 * hidden + j];  // scale: gh's / 127
    n[j] = p.tanh_n[gate_sum(int64_t(gi[2 * hidden + j]) * p.n_i, rh * p.n_h) + 128];
  }
}

// h' = (1 - z) n + z h, all at scale 1/127: ((127 - z) n + z h) / 127, rounded.
template <int MAX_H>
void gru_update_int(const int8_t z[MAX_H], const int8_t n[MAX_H], const int8_t h[MAX_H], int8_t h_out[MAX_H],
                    int hidden) {
UPDATE:
  for (int j = 0; j < MAX_H; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= hidden) break;
    h_out[j] = sat8(div_round(int64_t(kProbOne - z[j]) * n[j] + int64_t(z[j]) * h[j], kProbOne));
  }
}

}  // namespace hls
}  // namespace prunesim
