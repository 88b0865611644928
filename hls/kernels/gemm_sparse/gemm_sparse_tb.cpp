// C-simulation testbench: a block-sparse tile (about half the 4 x 8 blocks kept, ragged edges) against a
// dense triple loop over the masked matrix. Returns 0 on pass.
#include "../common/tb_util.h"
#include "../design.h"  // 32 x 64 by 64 x 48 tiles in 4 x 8 blocks
#include "prunesim/hls/gemm.h"

using prunesim::hls::acc_t;
using prunesim::hls::data_t;
using GemmSparseCfg = DesignGemm;
void gemm_sparse_top(const data_t x[32][64], const prunesim::hls::BlockSparse<GemmSparseCfg>& w,
                     acc_t y[32][48], int m, int k, int n);

int PRUNESIM_TB_MAIN(int, char**) {
  static data_t x[32][64], dense[48][64];
  static acc_t y[32][48];
  static prunesim::hls::BlockSparse<GemmSparseCfg> w;
  tb::Gen g(2);
  const int m = 27, k = 59, n = 46;  // ragged: the last block row and column are partial
  for (auto& r : x)
    for (auto& v : r) v = tb::value(g);
  const int brows = (n + 3) / 4, bcols = (k + 7) / 8;
  w.block_rows = brows;
  int s = 0;
  for (int b = 0; b < brows; ++b) {
    w.row_ptr[b] = s;
    for (int c = 0; c < bcols; ++c) {
      const bool keep = g.integer(0, 1) == 1;
      for (int r = 0; r < 4; ++r)
        for (int cc = 0; cc < 8; ++cc) {
          const int out = b * 4 + r, in = c * 8 + cc;
          const data_t v = keep && out < n && in < k ? tb::value(g) : data_t(0);
          if (out < 48 && in < 64) dense[out][in] = v;
          if (keep) w.val[s][r][cc] = v;
        }
      if (keep) w.col[s++] = c;
    }
  }
  w.row_ptr[brows] = s;
  gemm_sparse_top(x, w, y, m, k, n);
  int errors = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      acc_t ref = 0;
      for (int c = 0; c < k; ++c) ref += acc_t(x[i][c]) * acc_t(dense[j][c]);
#if PRUNESIM_HLS_NUMBER == 1 || PRUNESIM_HLS_NUMBER == 3
      errors += y[i][j] != ref;
#else
      errors += !tb::close(double(y[i][j]), double(ref), 1e-4);
#endif
    }
  return tb::report("gemm_sparse", errors);
}
