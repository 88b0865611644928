// C-simulation testbench with golden vectors from prunesim's functional run (golden.h: one int8 GRU step's
// gate pre-activations, state, requantization factors, gate tables and next state; written by `prunesim hls
// export` beside design.h). The integer kernel must match bit for bit. Returns 0 on pass.
#include <cstdio>

#include "../design.h"
#include "golden.h"

void gru_cell_int_top(const int8_t gi[3 * kGruHidden], const int8_t gh[3 * kGruHidden],
                      const int8_t h[kGruHidden], int8_t h_out[kGruHidden], int hidden,
                      const int32_t factors[6], const int8_t sigmoid_r[256], const int8_t sigmoid_z[256],
                      const int8_t tanh_n[256]);

int main() {
  static int8_t gi[3 * kGruHidden], gh[3 * kGruHidden], h[kGruHidden], out[kGruHidden];
  static int32_t f[6];
  static int8_t sr[256], sz[256], tn[256];
  for (int j = 0; j < 3 * kHidden; ++j) gi[j] = int8_t(kGi[j]), gh[j] = int8_t(kGh[j]);
  for (int j = 0; j < kHidden; ++j) h[j] = int8_t(kH[j]);
  for (int j = 0; j < 6; ++j) f[j] = kFactors[j];
  for (int j = 0; j < 256; ++j)
    sr[j] = int8_t(kSigmoidR[j]), sz[j] = int8_t(kSigmoidZ[j]), tn[j] = int8_t(kTanhN[j]);
  gru_cell_int_top(gi, gh, h, out, kHidden, f, sr, sz, tn);
  int errors = 0;
  for (int j = 0; j < kHidden; ++j) errors += int(out[j]) != int(kHOut[j]);
  std::printf("gru_cell_int: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
