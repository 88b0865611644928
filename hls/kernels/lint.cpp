// Synthesizability lint: the kernels compiled with -fno-exceptions -fno-rtti and with heap allocation
// poisoned, so a non-synthesizable construct (allocation, exceptions, RTTI) fails the build. Only the
// standard headers the kernels need are included before the poison; the kernels themselves are read after it.
#include <cmath>
#include <cstdint>

#pragma GCC poison malloc calloc realloc free new delete throw try catch typeid dynamic_cast

#include "prunesim/hls/gemm.h"
#include "prunesim/hls/gru_cell.h"
#include "prunesim/hls/gru_cell_int.h"
#include "prunesim/hls/nonlinear.h"
#include "prunesim/hls/nonlinear_int.h"
#include "prunesim/hls/topk.h"

struct LintGemm {
  static const int max_m = 8, max_k = 16, max_n = 16, R = 4, Cc = 4, BH = 4, BW = 4, max_blocks = 16;
  using in_t = prunesim::hls::data_t;
  using w_t = prunesim::hls::data_t;
  using acc_t = prunesim::hls::acc_t;
};

// Instantiate every template so its body is checked.
void prunesim_hls_lint(const LintGemm::in_t (&x)[8][16], const LintGemm::w_t (&w)[16][16],
                       LintGemm::acc_t (&y)[8][16], const prunesim::hls::BlockSparse<LintGemm>& ws,
                       float (&v)[256], int (&idx)[256]) {
  prunesim::hls::gemm_dense_tile<LintGemm>(x, w, y, 8, 16, 16);
  prunesim::hls::gemm_block_sparse_tile<LintGemm>(x, ws, y, 8, 16, 16);
  prunesim::hls::softmax_row<256>(v, v, 256);
  prunesim::hls::layernorm_row<256>(v, v, v, v, 256, 1e-5f);
  prunesim::hls::rmsnorm_row<256>(v, v, v, 256, 1e-6f);
  prunesim::hls::gelu_vec<256>(v, v, 256);
  prunesim::hls::residual_add<float, 256>(v, v, v, 256);
  prunesim::hls::topk_quickselect<256>(v, 256, 10, idx);
  prunesim::hls::topk_bitonic<256>(v, 256, 10, idx);
  static float x1[16], h1[16], wih[48][16], whh[48][16], b[48];
  prunesim::hls::gru_cell<16, 16>(x1, h1, wih, whh, b, b, h1, 16, 16);
  (void)prunesim::hls::requantize(1000, 3, 4);
  static int32_t scores[256], g[256];
  static int8_t q[256], table[256];
  static uint16_t exp_table[prunesim::hls::kExpTable];
  prunesim::hls::softmax_row_int<256>(scores, q, 256, prunesim::hls::FixedMul{1 << 30, 31}, exp_table);
  prunesim::hls::layernorm_row_int<256>(q, g, g, q, 256, 0);
  prunesim::hls::lut_vec_int<256>(q, q, 256, table);
  prunesim::hls::residual_add_int<256>(q, q, q, 256, 1 << 15, 1 << 15);
  const prunesim::hls::GruIntParams gp = {1, 1, 1, 1, 1, 1, table, table, table};
  static int8_t gi[48], r8[16], z8[16], n8[16], h8[16];
  prunesim::hls::gru_gates_rz_int<16>(gi, gi, r8, z8, 16, gp);
  prunesim::hls::gru_candidate_int<16>(gi, gi, r8, n8, 16, gp);
  prunesim::hls::gru_update_int<16>(z8, n8, h8, h8, 16);
}
