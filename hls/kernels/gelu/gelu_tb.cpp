// C-simulation testbench: GELU against 0.5 x (1 + erf(x / sqrt 2)) in double, and its known values.
#include <cmath>

#include "../common/tb_util.h"

void gelu_top(const float in[4096], float out[4096], int n);

int PRUNESIM_TB_MAIN(int, char**) {
  static float in[4096], out[4096];
  tb::Gen g(5);
  const int n = 1536;
  for (int j = 0; j < 4096; ++j) in[j] = g.uniform(-6.0f, 6.0f);
  in[0] = 0.0f, in[1] = 1.0f;
  gelu_top(in, out, n);
  int errors = 0;
  for (int j = 0; j < n; ++j)
    errors += !tb::close(out[j], 0.5 * in[j] * (1.0 + std::erf(in[j] / std::sqrt(2.0))), 1e-5);
  errors += out[0] != 0.0f;
  errors += !tb::close(out[1], 0.8413447460685429, 1e-6);  // GELU(1) = Phi(1)
  return tb::report("gelu", errors);
}
