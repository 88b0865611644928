// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: one float GRU step's
// gate pre-activations, state and next state; written by `prunesim hls export` beside design.h). Returns 0
// on pass.
#include <cmath>
#include <cstdio>

#include "../design.h"
#include "golden.h"

void gru_step_top(const float gi[3 * kGruHidden], const float gh[3 * kGruHidden], const float h[kGruHidden],
                  float h_out[kGruHidden], int hidden);

int main() {
  static float gi[3 * kGruHidden], gh[3 * kGruHidden], h[kGruHidden], out[kGruHidden];
  for (int j = 0; j < 3 * kHidden; ++j) gi[j] = float(kGi[j]), gh[j] = float(kGh[j]);
  for (int j = 0; j < kHidden; ++j) h[j] = float(kH[j]);
  gru_step_top(gi, gh, h, out, kHidden);
  int errors = 0;
  for (int j = 0; j < kHidden; ++j) {
    const double want = double(kHOut[j]), got = double(out[j]);
    errors += std::fabs(got - want) > 1e-5 * (1.0 + std::fabs(want));
  }
  std::printf("gru_cell: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
