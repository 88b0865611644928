// Synthesis top: integer softmax of int32 attention scores (rows of up to 256) into int8 probabilities
// (scale 1/127), through an exp table.
#include "prunesim/hls/nonlinear_int.h"

void softmax_int_top(const int32_t in[256], int8_t out[256], int cols, int mult, int shift,
                     const uint16_t table[prunesim::hls::kExpTable]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::FixedMul to_index;
  to_index.mult = mult;
  to_index.shift = shift;
  prunesim::hls::softmax_row_int<256>(in, out, cols, to_index, table);
}
