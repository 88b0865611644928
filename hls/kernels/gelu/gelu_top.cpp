// Synthesis top: GELU (erf form) over vectors of up to 4096.
#include "prunesim/hls/nonlinear.h"

void gelu_top(const float in[4096], float out[4096], int n) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gelu_vec<4096>(in, out, n);
}
