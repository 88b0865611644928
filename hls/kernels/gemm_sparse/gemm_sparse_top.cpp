// Synthesis top: a block-sparse GEMM tile (BCSR weights in the design's BH x BW blocks, design.h): only the
// kept blocks are read and multiplied.
#include "../design.h"
#include "prunesim/hls/gemm.h"

void gemm_sparse_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],
                     const prunesim::hls::BlockSparse<DesignGemm>& w,
                     DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int n) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gemm_block_sparse_tile<DesignGemm>(x, w, y, m, k, n);
}
