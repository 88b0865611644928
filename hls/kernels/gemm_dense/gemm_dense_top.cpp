// Synthesis top: a dense GEMM tile on the design's R x C weight-stationary fold (design.h).
#include "../design.h"
#include "prunesim/hls/gemm.h"

void gemm_dense_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],
                    const DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k],
                    DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int n) {
#pragma HLS INTERFACE mode = m_axi port = x offset = slave bundle = gmem0
#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem1
#pragma HLS INTERFACE mode = m_axi port = y offset = slave bundle = gmem2
#pragma HLS INTERFACE mode = s_axilite port = return
  prunesim::hls::gemm_dense_tile<DesignGemm>(x, w, y, m, k, n);
}
