// Synthesis top: a dense GEMM tile on an 8 x 8 weight-stationary fold, up to 32 x 64 by 64 x 48.
#include "prunesim/hls/gemm.h"

struct GemmDenseCfg {
  static const int max_m = 32, max_k = 64, max_n = 48, R = 8, Cc = 8;
  using in_t = prunesim::hls::data_t;
  using w_t = prunesim::hls::data_t;
  using acc_t = prunesim::hls::acc_t;
};

void gemm_dense_top(const GemmDenseCfg::in_t x[32][64], const GemmDenseCfg::w_t w[48][64],
                    GemmDenseCfg::acc_t y[32][48], int m, int k, int n) {
#pragma HLS INTERFACE mode = m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem1
#pragma HLS INTERFACE mode = m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gemm_dense_tile<GemmDenseCfg>(x, w, y, m, k, n);
}
