// Synthesis top: float layernorm of a row of up to kDModel values (design.h).
#include "../design.h"
#include "prunesim/hls/nonlinear.h"

void layernorm_top(const float in[kDModel], const float gamma[kDModel], const float beta[kDModel],
                   float out[kDModel], int cols, float eps) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::layernorm_row<kDModel>(in, gamma, beta, out, cols, eps);
}
