// Synthesis top: RMSNorm of a row of up to 1024 values (LLaMA-style layers: no mean, no bias).
#include "prunesim/hls/nonlinear.h"

void rmsnorm_top(const float in[1024], const float gamma[1024], float out[1024], int cols) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::rmsnorm_row<1024>(in, gamma, out, cols, 1e-6f);
}
