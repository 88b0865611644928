// Synthesis top: float softmax of a row of up to kSoftmaxCols scores (design.h).
#include "../design.h"
#include "prunesim/hls/nonlinear.h"

void softmax_top(const float in[kSoftmaxCols], float out[kSoftmaxCols], int cols) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::softmax_row<kSoftmaxCols>(in, out, cols);
}
