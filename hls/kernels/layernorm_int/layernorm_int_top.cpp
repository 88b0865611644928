// Synthesis top: integer layernorm of an int8 row of up to kDModel values with int32 gamma/beta (design.h).
#include "../design.h"
#include "prunesim/hls/nonlinear_int.h"

void layernorm_int_top(const int8_t in[kDModel], const int32_t gamma[kDModel], const int32_t beta[kDModel],
                       int8_t out[kDModel], int cols, long long eps) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::layernorm_row_int<kDModel>(in, gamma, beta, out, cols, eps);
}
