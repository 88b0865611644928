// C-simulation testbench: the int8 GRU step on random pre-activations against the float step
// (sigmoid, tanh, convex update) in double precision. The tables see their input rounded to the int8 step
// s_pre, which moves tanh by up to s_pre / 2: 127 s_pre / 2 output steps, plus rounding. Returns 0 on pass.
#include <cmath>

#include "../common/tb_util.h"
#include "prunesim/hls/gru_cell_int.h"

void gru_cell_int_top(const int8_t gi[768], const int8_t gh[768], const int8_t h[256], int8_t h_out[256],
                      int hidden, const int32_t factors[6], const int8_t sigmoid_r[256],
                      const int8_t sigmoid_z[256], const int8_t tanh_n[256]);

int PRUNESIM_TB_MAIN(int, char**) {
  namespace k = prunesim::hls;
  const int H = 200;
  const double s_i = 0.04, s_h = 0.03, s_pre = 0.06;  // scales of W x + b, W h + b and the table inputs
  const double one = 1 << k::kResidualShift;
  const int32_t f[6] = {
      int32_t(std::lround(s_i / s_pre * one)), int32_t(std::lround(s_h / s_pre * one)),
      int32_t(std::lround(s_i / s_pre * one)), int32_t(std::lround(s_h / s_pre * one)),
      int32_t(std::lround(s_i / s_pre * one)), int32_t(std::lround(s_h / 127 / s_pre * one))};
  static int8_t sig[256], th[256], gi[768], gh[768], h[256], out[256];
  for (int v = -128; v < 128; ++v) {
    sig[v + 128] = int8_t(std::lround(127.0 / (1.0 + std::exp(-v * s_pre))));
    th[v + 128] = int8_t(std::lround(127.0 * std::tanh(v * s_pre)));
  }
  tb::Gen g(11);
  for (int j = 0; j < 3 * H; ++j) gi[j] = int8_t(g.integer(-60, 60)), gh[j] = int8_t(g.integer(-60, 60));
  for (int j = 0; j < H; ++j) h[j] = int8_t(g.integer(-127, 127));
  gru_cell_int_top(gi, gh, h, out, H, f, sig, sig, th);
  int errors = 0;
  for (int j = 0; j < H; ++j) {
    const double r = 1 / (1 + std::exp(-(gi[j] * s_i + gh[j] * s_h)));
    const double z = 1 / (1 + std::exp(-(gi[H + j] * s_i + gh[H + j] * s_h)));
    const double n = std::tanh(gi[2 * H + j] * s_i + r * gh[2 * H + j] * s_h);
    const double want = ((1 - z) * n + z * h[j] / 127.0) * 127.0;
    errors += std::fabs(out[j] - want) > 127 * s_pre / 2 + 1.5;
  }
  return tb::report("gru_cell_int", errors);
}
