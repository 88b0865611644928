// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: one row of int32
// scores, the exp table and index scale, and the probabilities; written by `prunesim hls export` beside
// design.h). The integer kernel must match bit for bit. Returns 0 on pass.
#include <cstdio>

#include "../design.h"
#include "golden.h"
#include "prunesim/hls/nonlinear_int.h"

void softmax_int_top(const int32_t in[kSoftmaxCols], softmax_prob_t out[kSoftmaxCols], int cols, int mult,
                     int shift, const uint16_t table[prunesim::hls::kExpTable]);

int main() {
  static int32_t in[kSoftmaxCols];
  static softmax_prob_t out[kSoftmaxCols];
  static uint16_t table[prunesim::hls::kExpTable];
  for (int j = 0; j < kCols; ++j) in[j] = int32_t(kIn[j]);
  for (int j = 0; j < prunesim::hls::kExpTable; ++j) table[j] = kTable[j];
  softmax_int_top(in, out, kCols, kMult, kShift, table);
  int errors = 0;
  for (int j = 0; j < kCols; ++j) errors += int(out[j]) != int(kOut[j]);
  std::printf("softmax_int: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
