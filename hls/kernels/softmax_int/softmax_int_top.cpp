// Synthesis top: integer softmax of int32 attention scores (rows of up to kSoftmaxCols) into probabilities at
// 1 / kSoftmaxProbOne (int8, or int16 for a design that keeps softmax at 16 bits; design.h), through an exp
// table.
#include "../design.h"
#include "prunesim/hls/nonlinear_int.h"

void softmax_int_top(const int32_t in[kSoftmaxCols], softmax_prob_t out[kSoftmaxCols], int cols, int mult,
                     int shift, const uint16_t table[prunesim::hls::kExpTable]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::FixedMul to_index;
  to_index.mult = mult;
  to_index.shift = shift;
  prunesim::hls::softmax_row_int<kSoftmaxCols, softmax_prob_t, kSoftmaxProbOne>(in, out, cols, to_index,
                                                                                table);
}
