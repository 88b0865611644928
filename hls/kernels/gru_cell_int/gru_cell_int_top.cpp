// Synthesis top: the element-wise part of a GRU step on the int8 datapath (hidden size up to 256): gates,
// candidate and update from the requantized gate pre-activations.
#include "prunesim/hls/gru_cell_int.h"

void gru_cell_int_top(const int8_t gi[768], const int8_t gh[768], const int8_t h[256], int8_t h_out[256],
                      int hidden, const int32_t factors[6], const int8_t sigmoid_r[256],
                      const int8_t sigmoid_z[256], const int8_t tanh_n[256]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  const prunesim::hls::GruIntParams p = {factors[0], factors[1], factors[2], factors[3], factors[4],
                                         factors[5], sigmoid_r,  sigmoid_z,  tanh_n};
  int8_t r[256], z[256], n[256];
  prunesim::hls::gru_gates_rz_int<256>(gi, gh, r, z, hidden, p);
  prunesim::hls::gru_candidate_int<256>(gi, gh, r, n, hidden, p);
  prunesim::hls::gru_update_int<256>(z, n, h, h_out, hidden);
}
