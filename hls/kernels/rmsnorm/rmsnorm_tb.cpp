// C-simulation testbench: RMSNorm of a 576-wide row against a double reference,
// x / sqrt(mean(x^2) + eps) * gamma. Returns 0 on pass.
#include <cmath>

#include "../common/tb_util.h"

void rmsnorm_top(const float in[1024], const float gamma[1024], float out[1024], int cols, float eps);

int PRUNESIM_TB_MAIN(int, char**) {
  static float in[1024], gamma[1024], out[1024];
  tb::Gen g(6);
  const int cols = 576;
  for (int j = 0; j < 1024; ++j) in[j] = g.uniform(-3.0f, 5.0f), gamma[j] = g.uniform(0.5f, 1.5f);
  rmsnorm_top(in, gamma, out, cols, 1e-6f);
  double sq = 0;
  for (int j = 0; j < cols; ++j) sq += double(in[j]) * in[j];
  const double inv = 1.0 / std::sqrt(sq / cols + 1e-6);
  int errors = 0;
  for (int j = 0; j < cols; ++j) errors += !tb::close(out[j], in[j] * inv * gamma[j], 1e-4);
  return tb::report("rmsnorm", errors);
}
