// C-simulation testbench: integer layernorm of a 768-value int8 row against a double-precision layernorm,
// within one output step. Returns 0 on pass.
#include <cmath>

#include "../common/tb_util.h"
#include "prunesim/hls/nonlinear_int.h"

void layernorm_int_top(const int8_t in[1024], const int32_t gamma[1024], const int32_t beta[1024],
                       int8_t out[1024], int cols, long long eps);

int PRUNESIM_TB_MAIN(int, char**) {
  namespace h = prunesim::hls;
  static int8_t in[1024], out[1024];
  static int32_t gq[1024], bq[1024];
  static double x[1024], g[1024], b[1024];
  const double s_in = 0.05, s_out = 4.0 / 127, eps = 1e-5;
  const int cols = 768;
  tb::Gen gen(7);
  double mean = 0, var = 0;
  for (int j = 0; j < cols; ++j) {
    in[j] = int8_t(gen.integer(-127, 127));
    x[j] = in[j] * s_in;
    g[j] = 1.0 + gen.uniform(-0.25f, 0.25f);
    b[j] = gen.uniform(-0.25f, 0.25f);
    gq[j] = int32_t(std::lround(g[j] / s_out * (1 << h::kLnFrac)));
    bq[j] = int32_t(std::lround(b[j] / s_out * (1 << h::kLnFrac)));
    mean += x[j] / cols;
  }
  for (int j = 0; j < cols; ++j) var += (x[j] - mean) * (x[j] - mean) / cols;
  layernorm_int_top(in, gq, bq, out, cols, std::llround(eps * cols * cols / (s_in * s_in)));
  int errors = 0;
  for (int j = 0; j < cols; ++j) {
    double want = ((x[j] - mean) / std::sqrt(var + eps) * g[j] + b[j]) / s_out;
    want = want > 127 ? 127 : want < -127 ? -127 : want;
    errors += std::fabs(out[j] - want) > 1.0;
  }
  return tb::report("layernorm_int", errors);
}
