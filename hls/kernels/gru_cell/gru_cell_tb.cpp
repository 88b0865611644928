// C-simulation testbench: a GRU step (40 inputs, 50 hidden) against the PyTorch GRUCell equations in double.
#include <cmath>

#include "../common/tb_util.h"

void gru_cell_top(const float x[64], const float h[64], const float w_ih[192][64], const float w_hh[192][64],
                  const float b_ih[192], const float b_hh[192], float h_out[64], int in, int hidden);

int PRUNESIM_TB_MAIN(int, char**) {
  static float x[64], h[64], w_ih[192][64], w_hh[192][64], b_ih[192], b_hh[192], out[64];
  tb::Gen g(9);
  const int in = 40, H = 50;
  for (int i = 0; i < 64; ++i) x[i] = g.uniform(-1, 1), h[i] = g.uniform(-1, 1);
  for (int o = 0; o < 192; ++o) {
    b_ih[o] = g.uniform(-0.1f, 0.1f), b_hh[o] = g.uniform(-0.1f, 0.1f);
    for (int c = 0; c < 64; ++c) w_ih[o][c] = g.uniform(-0.3f, 0.3f), w_hh[o][c] = g.uniform(-0.3f, 0.3f);
  }
  gru_cell_top(x, h, w_ih, w_hh, b_ih, b_hh, out, in, H);
  auto dot = [](const float* w, const float* v, int n) {
    double s = 0;
    for (int c = 0; c < n; ++c) s += double(w[c]) * v[c];
    return s;
  };
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  int errors = 0;
  for (int j = 0; j < H; ++j) {
    const double r = sig(dot(w_ih[j], x, in) + b_ih[j] + dot(w_hh[j], h, H) + b_hh[j]);
    const double z = sig(dot(w_ih[H + j], x, in) + b_ih[H + j] + dot(w_hh[H + j], h, H) + b_hh[H + j]);
    const double n = std::tanh(dot(w_ih[2 * H + j], x, in) + b_ih[2 * H + j] +
                               r * (dot(w_hh[2 * H + j], h, H) + b_hh[2 * H + j]));
    errors += !tb::close(out[j], (1 - z) * n + z * h[j], 1e-5);
  }
  return tb::report("gru_cell", errors);
}
