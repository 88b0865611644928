// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: one int8 row, the
// int32 gamma and beta, eps and the result; written by `prunesim hls export` beside design.h). The integer
// kernel must match bit for bit. Returns 0 on pass.
#include <cstdio>

#include "../design.h"
#include "golden.h"

void layernorm_int_top(const int8_t in[kDModel], const int32_t gamma[kDModel], const int32_t beta[kDModel],
                       int8_t out[kDModel], int cols, long long eps);

int main() {
  static int8_t in[kDModel], out[kDModel];
  static int32_t g[kDModel], b[kDModel];
  for (int j = 0; j < kCols; ++j) in[j] = int8_t(kIn[j]), g[j] = int32_t(kGamma[j]), b[j] = int32_t(kBeta[j]);
  layernorm_int_top(in, g, b, out, kCols, kEps[0]);
  int errors = 0;
  for (int j = 0; j < kCols; ++j) errors += int(out[j]) != int(kOut[j]);
  std::printf("layernorm_int: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
