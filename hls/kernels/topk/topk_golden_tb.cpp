// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: the class-token scores
// of the pruning layer and the indices it kept; written by `prunesim hls export` beside design.h). Returns 0
// on pass.
#include <cstdio>

#include "../design.h"
#include "golden.h"

void topk_bitonic_top(const float score[kTopkN], int n, int k, int out[kTopkN]);

int main() {
  static float s[kTopkN];
  static int out[kTopkN];
  for (int i = 0; i < kN; ++i) s[i] = float(kScores[i]);
  topk_bitonic_top(s, kN, kK, out);
  int errors = 0;
  for (int i = 0; i < kK; ++i) errors += out[i] != kKept[i];
  std::printf("topk: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
