// C-simulation testbench: softmax of 197 scores (large ones, where an unshifted exp would overflow) against a
// double-precision reference. Returns 0 on pass.
#include <cmath>

#include "../common/tb_util.h"

void softmax_top(const float in[256], float out[256], int cols);

int PRUNESIM_TB_MAIN(int, char**) {
  float in[256], out[256];
  tb::Gen g(3);
  const int cols = 197;
  for (int j = 0; j < 256; ++j) in[j] = g.uniform(80.0f, 120.0f);
  softmax_top(in, out, cols);
  double mx = in[0], sum = 0, total = 0;
  for (int j = 1; j < cols; ++j) mx = std::fmax(mx, in[j]);
  for (int j = 0; j < cols; ++j) sum += std::exp(double(in[j]) - mx);
  int errors = 0;
  for (int j = 0; j < cols; ++j) {
    errors += !tb::close(out[j], std::exp(double(in[j]) - mx) / sum, 1e-5);
    total += out[j];
  }
  errors += !tb::close(total, 1.0, 1e-5);
  return tb::report("softmax", errors);
}
