// C-simulation testbench: requantization against an independent derivation (floor division of the rounded
// product, then saturation), including negative values, ties and saturation.
#include <cstdint>
#include <initializer_list>

#include "../common/tb_util.h"

void requant_top(const int32_t acc[1024], int8_t out[1024], int n, int32_t mult, int shift);

static int64_t floor_div(int64_t a, int64_t d) {
  return a >= 0 ? a / d : -((-a + d - 1) / d);
}

int PRUNESIM_TB_MAIN(int, char**) {
  static int32_t acc[1024];
  static int8_t out[1024];
  tb::Gen g(7);
  int errors = 0;
  for (int shift : {1, 8, 15, 24}) {
    const int32_t mult = int32_t(g.integer(1, 1 << 20));
    for (int j = 0; j < 1024; ++j) acc[j] = int32_t(g.integer(-(1 << 24), 1 << 24));
    acc[0] = 0, acc[1] = INT32_MAX, acc[2] = INT32_MIN;
    requant_top(acc, out, 1024, mult, shift);
    for (int j = 0; j < 1024; ++j) {
      const int64_t d = int64_t(1) << shift;
      int64_t q = floor_div(int64_t(acc[j]) * mult + d / 2, d);
      q = q > 127 ? 127 : q < -128 ? -128 : q;
      errors += out[j] != int8_t(q);
    }
  }
  return tb::report("requant", errors);
}
