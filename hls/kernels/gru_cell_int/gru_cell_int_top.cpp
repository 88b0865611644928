// Synthesis top: one int8 GRU step's element-wise part (gates, candidate, update) from the gate
// pre-activations, hidden sizes up to kGruHidden (design.h); the gate GEMMs run on the PE array.
#include "../design.h"
#include "prunesim/hls/gru_cell_int.h"

void gru_cell_int_top(const int8_t gi[3 * kGruHidden], const int8_t gh[3 * kGruHidden],
                      const int8_t h[kGruHidden], int8_t h_out[kGruHidden], int hidden,
                      const int32_t factors[6], const int8_t sigmoid_r[256], const int8_t sigmoid_z[256],
                      const int8_t tanh_n[256]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  const prunesim::hls::GruIntParams p = {factors[0], factors[1], factors[2], factors[3], factors[4],
                                         factors[5], sigmoid_r,  sigmoid_z,  tanh_n};
  int8_t r[kGruHidden], z[kGruHidden], n[kGruHidden];
  prunesim::hls::gru_gates_rz_int<kGruHidden>(gi, gh, r, z, hidden, p);
  prunesim::hls::gru_candidate_int<kGruHidden>(gi, gh, r, n, hidden, p);
  prunesim::hls::gru_update_int<kGruHidden>(z, n, h, h_out, hidden);
}
