// C-simulation testbench: layernorm of a 384-wide row against a two-pass double reference. Returns 0 on pass.
#include <cmath>

#include "../common/tb_util.h"

void layernorm_top(const float in[1024], const float gamma[1024], const float beta[1024], float out[1024],
                   int cols, float eps);

int PRUNESIM_TB_MAIN(int, char**) {
  static float in[1024], gamma[1024], beta[1024], out[1024];
  tb::Gen g(4);
  const int cols = 384;
  for (int j = 0; j < 1024; ++j)
    in[j] = g.uniform(-3.0f, 5.0f), gamma[j] = g.uniform(0.5f, 1.5f), beta[j] = g.uniform(-0.2f, 0.2f);
  layernorm_top(in, gamma, beta, out, cols, 1e-5f);
  double mean = 0, var = 0;
  for (int j = 0; j < cols; ++j) mean += in[j];
  mean /= cols;
  for (int j = 0; j < cols; ++j) var += (in[j] - mean) * (in[j] - mean);
  var /= cols;
  int errors = 0;
  for (int j = 0; j < cols; ++j)
    errors += !tb::close(out[j], (in[j] - mean) / std::sqrt(var + 1e-5) * gamma[j] + beta[j], 1e-4);
  return tb::report("layernorm", errors);
}
