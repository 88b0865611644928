// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: one row, gamma, eps
// and the result; written by `prunesim hls export` beside design.h). Returns 0 on pass.
#include <cmath>
#include <cstdio>

#include "../design.h"
#include "golden.h"

void rmsnorm_top(const float in[kDModel], const float gamma[kDModel], float out[kDModel], int cols,
                 float eps);

int main() {
  static float in[kDModel], g[kDModel], out[kDModel];
  for (int j = 0; j < kCols; ++j) in[j] = float(kIn[j]), g[j] = float(kGamma[j]);
  rmsnorm_top(in, g, out, kCols, float(kEps[0]));
  int errors = 0;
  for (int j = 0; j < kCols; ++j) {
    const double want = double(kOut[j]), got = double(out[j]);
    errors += std::fabs(got - want) > 1e-4 * (1.0 + std::fabs(want));
  }
  std::printf("rmsnorm: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
