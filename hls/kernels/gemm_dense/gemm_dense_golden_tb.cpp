// C-simulation testbench with golden vectors from prunesim's functional run: `prunesim hls export` writes
// golden.h (the operands and exact results of the kernel's first call, and the op it came from) and design.h
// beside this file. Integer results must match exactly, float ones to float rounding. Returns 0 on pass.
#include <cmath>
#include <cstdio>

#include "../design.h"
#include "golden.h"

void gemm_dense_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],
                    const DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k],
                    DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int n);

static DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k];
static DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k];
static DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n];

int main() {
  for (int i = 0; i < kM; ++i)
    for (int c = 0; c < kK; ++c) x[i][c] = DesignGemm::in_t(kX[i * kK + c]);
  for (int o = 0; o < kN; ++o)
    for (int c = 0; c < kK; ++c) w[o][c] = DesignGemm::w_t(kW[o * kK + c]);
  gemm_dense_top(x, w, y, kM, kK, kN);
  int errors = 0;
  for (int i = 0; i < kM; ++i)
    for (int o = 0; o < kN; ++o) {
      const double want = double(kY[i * kN + o]), got = double(y[i][o]);
      errors +=
          PRUNESIM_HLS_NUMBER == 1 ? got != want : std::fabs(got - want) > 1e-4 * (1.0 + std::fabs(want));
    }
  std::printf("gemm_dense: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
