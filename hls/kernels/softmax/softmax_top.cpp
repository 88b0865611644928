// Synthesis top: max-subtracted softmax over rows of up to 256.
#include "prunesim/hls/nonlinear.h"

void softmax_top(const float in[256], float out[256], int cols) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::softmax_row<256>(in, out, cols);
}
