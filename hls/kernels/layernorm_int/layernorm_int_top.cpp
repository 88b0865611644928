// Synthesis top: integer layernorm of an int8 row (up to 1024 values) with fixed-point gamma and beta.
#include "prunesim/hls/nonlinear_int.h"

void layernorm_int_top(const int8_t in[1024], const int32_t gamma[1024], const int32_t beta[1024],
                       int8_t out[1024], int cols, long long eps) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::layernorm_row_int<1024>(in, gamma, beta, out, cols, eps);
}
