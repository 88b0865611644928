// C-simulation testbench: a ragged 29 x 61 by 61 x 45 GEMM against a plain triple loop (exact for integer
// types, within float rounding otherwise). Returns 0 on pass.
#include "../common/tb_util.h"
#include "prunesim/hls/gemm.h"

using prunesim::hls::acc_t;
using prunesim::hls::data_t;

void gemm_dense_top(const data_t x[32][64], const data_t w[48][64], acc_t y[32][48], int m, int k, int n);

int PRUNESIM_TB_MAIN(int, char**) {
  static data_t x[32][64], w[48][64];
  static acc_t y[32][48];
  tb::Gen g(1);
  for (auto& r : x)
    for (auto& v : r) v = tb::value(g);
  for (auto& r : w)
    for (auto& v : r) v = tb::value(g);
  const int m = 29, k = 61, n = 45;
  gemm_dense_top(x, w, y, m, k, n);
  int errors = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      acc_t ref = 0;
      for (int c = 0; c < k; ++c) ref += acc_t(x[i][c]) * acc_t(w[j][c]);
#if PRUNESIM_HLS_NUMBER == 1 || PRUNESIM_HLS_NUMBER == 3
      errors += y[i][j] != ref;
#else
      errors += !tb::close(double(y[i][j]), double(ref), 1e-4);
#endif
    }
  return tb::report("gemm_dense", errors);
}
