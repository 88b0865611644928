// C-simulation testbench: residual add, exact in every number type.
#include "../common/tb_util.h"

using prunesim::hls::acc_t;
void residual_top(const acc_t a[4096], const acc_t b[4096], acc_t out[4096], int n);

int PRUNESIM_TB_MAIN(int, char**) {
  static acc_t a[4096], b[4096], out[4096];
  tb::Gen g(6);
  const int n = 3000;
  for (int j = 0; j < 4096; ++j) a[j] = acc_t(g.integer(-1000, 1000)), b[j] = acc_t(g.integer(-1000, 1000));
  residual_top(a, b, out, n);
  int errors = 0;
  for (int j = 0; j < n; ++j) errors += out[j] != acc_t(a[j] + b[j]);
  return tb::report("residual", errors);
}
