// Synthesis top: int32 accumulators to int8 with a fixed-point multiplier and shift.
#include "prunesim/hls/gemm.h"

void requant_top(const int32_t acc[1024], int8_t out[1024], int n, int32_t mult, int shift) {
#pragma HLS INTERFACE mode = s_axilite port = return
REQUANT:
  for (int j = 0; j < 1024; ++j) {
#pragma HLS PIPELINE II = 1
    if (j >= n) break;
    out[j] = prunesim::hls::requantize(acc[j], mult, shift);
  }
}
