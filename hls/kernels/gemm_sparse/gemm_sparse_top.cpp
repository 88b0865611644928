// Synthesis top: a block-sparse GEMM tile, 4 x 8 blocks (block-CSR), up to 32 x 64 by 64 x 48.
#include "prunesim/hls/gemm.h"

struct GemmSparseCfg {
  static const int max_m = 32, max_k = 64, max_n = 48, BH = 4, BW = 8, max_blocks = (48 / 4) * (64 / 8);
  using in_t = prunesim::hls::data_t;
  using w_t = prunesim::hls::data_t;
  using acc_t = prunesim::hls::acc_t;
};

void gemm_sparse_top(const GemmSparseCfg::in_t x[32][64], const prunesim::hls::BlockSparse<GemmSparseCfg>& w,
                     GemmSparseCfg::acc_t y[32][48], int m, int k, int n) {
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gemm_block_sparse_tile<GemmSparseCfg>(x, w, y, m, k, n);
}
