#pragma once
// GEMM tile kernels: dense and block-sparse (mask-driven block skip), written as the weight-stationary fold
// loop the PE array model times: per fold, preload an R x C weight tile, then stream the rows of X through
// it (R x C MACs per cycle, II = 1). Static bounds from the configuration struct; runtime sizes under them.
#include "prunesim/hls/cycle_models.h"
#include "prunesim/hls/types.h"

namespace prunesim {
namespace hls {

// Configuration struct (hls4ml style): compile-time sizes and types.
//   struct C { static const int max_m, max_k, max_n, R, Cc; using in_t, w_t, acc_t; };
template <class CFG>
void gemm_dense_tile(const typename CFG::in_t x[CFG::max_m][CFG::max_k],
                     const typename CFG::w_t w[CFG::max_n][CFG::max_k],  // out x in
                     typename CFG::acc_t y[CFG::max_m][CFG::max_n], int m, int k, int n) {
  typename CFG::w_t tile[CFG::R][CFG::Cc];
#pragma HLS ARRAY_PARTITION variable = tile complete dim = 0
  for (int i = 0; i < CFG::max_m; ++i)
    for (int j = 0; j < CFG::max_n; ++j) y[i][j] = 0;
FOLD_N:
  for (int n0 = 0; n0 < CFG::max_n; n0 += CFG::Cc) {
    if (n0 >= n) break;
  FOLD_K:
    for (int k0 = 0; k0 < CFG::max_k; k0 += CFG::R) {
      if (k0 >= k) break;
    PRELOAD:
      for (int r = 0; r < CFG::R; ++r) {
#pragma HLS PIPELINE II = 1
        for (int c = 0; c < CFG::Cc; ++c) {
          const bool in = k0 + r < k && n0 + c < n;
          tile[r][c] = in ? w[n0 + c][k0 + r] : typename CFG::w_t(0);
        }
      }
    STREAM:
      for (int i = 0; i < CFG::max_m; ++i) {
#pragma HLS PIPELINE II = 1
        if (i >= m) break;
        // One column sum per PE column, each over r in order (unrolled in hardware; in C simulation the
        // column loop innermost vectorizes).
        typename CFG::acc_t sum[CFG::Cc];
#pragma HLS ARRAY_PARTITION variable = sum complete
        for (int c = 0; c < CFG::Cc; ++c) sum[c] = 0;
        for (int r = 0; r < CFG::R; ++r) {
          const typename CFG::in_t xv = k0 + r < k ? x[i][k0 + r] : typename CFG::in_t(0);
          for (int c = 0; c < CFG::Cc; ++c)
            sum[c] += typename CFG::acc_t(xv) * typename CFG::acc_t(tile[r][c]);
        }
        for (int c = 0; c < CFG::Cc; ++c)
          if (n0 + c < n) y[i][n0 + c] += sum[c];
      }
    }
  }
}

// Cycles of gemm_dense_tile: the fold formula of cycle_models.h, with this kernel's constants.
template <class CFG>
constexpr uint64_t gemm_dense_tile_cycles(int m, int k, int n) {
  return dense_gemm_cycles(Dataflow::WeightStationary, uint64_t(m), uint64_t(k), uint64_t(n), CFG::R, CFG::Cc,
                           false);
}

// Block-sparse weights in block-CSR: block row b (BH outputs) keeps blocks row_ptr[b]..row_ptr[b+1], block
// `s` sits at block column col[s] and holds BH x BW values (edge blocks zero-padded).
template <class CFG>
struct BlockSparse {
  int block_rows = 0;
  int row_ptr[CFG::max_n / CFG::BH + 2];
  int col[CFG::max_blocks];
  typename CFG::w_t val[CFG::max_blocks][CFG::BH][CFG::BW];
};

// y = x * W^T over the kept blocks only: a zero block costs nothing.
template <class CFG>
void gemm_block_sparse_tile(const typename CFG::in_t x[CFG::max_m][CFG::max_k], const BlockSparse<CFG>& w,
                            typename CFG::acc_t y[CFG::max_m][CFG::max_n], int m, int k, int n) {
  for (int i = 0; i < CFG::max_m; ++i)
    for (int j = 0; j < CFG::max_n; ++j) y[i][j] = 0;
BLOCK_ROWS:
  for (int b = 0; b < CFG::max_n / CFG::BH + 1; ++b) {
    if (b >= w.block_rows) break;
  KEPT_BLOCKS:
    for (int s = w.row_ptr[b]; s < w.row_ptr[b + 1]; ++s) {
#pragma HLS LOOP_TRIPCOUNT max = CFG::max_k / CFG::BW
      const int c0 = w.col[s] * CFG::BW;
    ROWS:
      for (int i = 0; i < CFG::max_m; ++i) {
#pragma HLS PIPELINE II = 1
        if (i >= m) break;
        for (int r = 0; r < CFG::BH; ++r) {
          const int out = b * CFG::BH + r;
          typename CFG::acc_t sum = 0;
          for (int c = 0; c < CFG::BW; ++c) {
            const int in = c0 + c;
            if (in < k) sum += typename CFG::acc_t(x[i][in]) * typename CFG::acc_t(w.val[s][r][c]);
          }
          if (out < n) y[i][out] += sum;
        }
      }
    }
  }
}

// Requantization of an int32 accumulator to int8: (acc * mult + 2^(shift-1)) >> shift, saturated. The same
// arithmetic as ap_int<32> x ap_int<32> -> ap_int<64> and an arithmetic shift.
inline int8_t requantize(int32_t acc, int32_t mult, int shift) {
  const int64_t prod = int64_t(acc) * int64_t(mult);
  const int64_t rounded = shift > 0 ? (prod + (int64_t(1) << (shift - 1))) >> shift : prod;
  return int8_t(rounded > 127 ? 127 : rounded < -128 ? -128 : rounded);
}

}  // namespace hls
}  // namespace prunesim
