// Synthesis top: RMSNorm of a row of up to kDModel values (LLaMA-style layers: no mean, no bias; design.h).
#include "../design.h"
#include "prunesim/hls/nonlinear.h"

void rmsnorm_top(const float in[kDModel], const float gamma[kDModel], float out[kDModel], int cols,
                 float eps) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::rmsnorm_row<kDModel>(in, gamma, out, cols, eps);
}
