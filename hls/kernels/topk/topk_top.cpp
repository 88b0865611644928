// Synthesis tops: top-k of up to 256 scores by quick-select and by a bitonic network.
#include "prunesim/hls/topk.h"

void topk_quickselect_top(const float score[256], int n, int k, int out[256]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::topk_quickselect<256>(score, n, k, out);
}

void topk_bitonic_top(const float score[256], int n, int k, int out[256]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::topk_bitonic<256>(score, n, k, out);
}
