// Synthesis tops: a whole GRU step for a GRU-only accelerator (gru_cell_top, gate GEMMs included, up to 64
// inputs and 64 hidden units), and the element-wise part of a step from the gate pre-activations
// (gru_step_top, hidden sizes up to kGruHidden, design.h), which is what a design that runs the gate GEMMs
// on its PE array builds.
#include "../design.h"
#include "prunesim/hls/gru_cell.h"

void gru_cell_top(const float x[64], const float h[64], const float w_ih[192][64], const float w_hh[192][64],
                  const float b_ih[192], const float b_hh[192], float h_out[64], int in, int hidden) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gru_cell<64, 64>(x, h, w_ih, w_hh, b_ih, b_hh, h_out, in, hidden);
}

void gru_step_top(const float gi[3 * kGruHidden], const float gh[3 * kGruHidden], const float h[kGruHidden],
                  float h_out[kGruHidden], int hidden) {
#pragma HLS INTERFACE mode = s_axilite port = return
  float r[kGruHidden], z[kGruHidden], n[kGruHidden];
  prunesim::hls::gru_gates_rz<kGruHidden>(gi, gh, r, z, hidden);
  prunesim::hls::gru_candidate<kGruHidden>(gi, gh, r, n, hidden);
  prunesim::hls::gru_update<kGruHidden>(z, n, h, h_out, hidden);
}
