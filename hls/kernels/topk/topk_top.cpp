// Synthesis tops: top-k of up to kTopkN token scores by quick-select or by a bitonic network with
// kComparators parallel compare-exchanges per cycle (the token-pruning unit's P; design.h).
#include "../design.h"
#include "prunesim/hls/topk.h"

void topk_quickselect_top(const float score[kTopkN], int n, int k, int out[kTopkN]) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::topk_quickselect<kTopkN>(score, n, k, out);
}

void topk_bitonic_top(const float score[kTopkN], int n, int k, int out[kTopkN]) {
#pragma HLS INTERFACE mode = s_axilite port = return
#pragma HLS ARRAY_PARTITION variable = score cyclic factor = kComparators
  prunesim::hls::topk_bitonic<kTopkN>(score, n, k, out);
}
