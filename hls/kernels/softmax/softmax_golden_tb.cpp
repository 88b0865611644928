// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: one row of scores and
// its probabilities, written by `prunesim hls export` beside design.h). Returns 0 on pass.
#include <cmath>
#include <cstdio>

#include "../design.h"
#include "golden.h"

void softmax_top(const float in[kSoftmaxCols], float out[kSoftmaxCols], int cols);

int main() {
  static float in[kSoftmaxCols], out[kSoftmaxCols];
  for (int j = 0; j < kCols; ++j) in[j] = float(kIn[j]);
  softmax_top(in, out, kCols);
  int errors = 0;
  for (int j = 0; j < kCols; ++j) {
    const double want = double(kOut[j]), got = double(out[j]);
    errors += std::fabs(got - want) > 1e-6 + 1e-5 * want;
  }
  std::printf("softmax: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
