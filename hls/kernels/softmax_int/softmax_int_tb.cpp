// C-simulation testbench: integer softmax of 197 scores against a double-precision softmax, within half a
// table step (1/32 in the exponent) of relative error plus half an output step. Returns 0 on pass.
#include <cmath>

#include "../common/tb_util.h"
#include "prunesim/hls/nonlinear_int.h"

void softmax_int_top(const int32_t in[256], int8_t out[256], int cols, int mult, int shift,
                     const uint16_t table[prunesim::hls::kExpTable]);

int PRUNESIM_TB_MAIN(int, char**) {
  namespace h = prunesim::hls;
  static uint16_t table[h::kExpTable];
  for (int i = 0; i < h::kExpTable; ++i)
    table[i] = uint16_t(std::lround(std::exp(-double(i) / h::kExpStepsPerUnit) * (1 << h::kExpBits)));
  // One score unit is 2^-11 (Q K^T scale over sqrt(d)); the table index is (max - score) * 16 * 2^-11.
  const double unit = 1.0 / 2048;
  const int mult = 1 << 30, shift = 30 + 11 - 4;  // 16 * 2^-11 = 2^30 * 2^-37
  int32_t in[256];
  int8_t out[256];
  tb::Gen g(5);
  const int cols = 197;
  for (int j = 0; j < 256; ++j) in[j] = g.integer(-20000, 20000);
  softmax_int_top(in, out, cols, mult, shift, table);
  double mx = -1e30, sum = 0;
  for (int j = 0; j < cols; ++j) mx = std::fmax(mx, in[j] * unit);
  for (int j = 0; j < cols; ++j) sum += std::exp(in[j] * unit - mx);
  int errors = 0;
  for (int j = 0; j < cols; ++j) {
    const double want = std::exp(in[j] * unit - mx) / sum, got = out[j] / double(h::kProbOne);
    errors += std::fabs(got - want) > 0.035 * want + 0.6 / h::kProbOne;
  }
  return tb::report("softmax_int", errors);
}
