// Synthesis top: one GRU step, up to 64 inputs and 64 hidden units.
#include "prunesim/hls/gru_cell.h"

void gru_cell_top(const float x[64], const float h[64], const float w_ih[192][64], const float w_hh[192][64],
                  const float b_ih[192], const float b_hh[192], float h_out[64], int in, int hidden) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gru_cell<64, 64>(x, h, w_ih, w_hh, b_ih, b_hh, h_out, in, hidden);
}
