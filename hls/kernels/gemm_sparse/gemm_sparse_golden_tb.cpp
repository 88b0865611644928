// C-simulation testbench with golden vectors from prunesim's functional run: `prunesim hls export` writes
// golden.h (the operands and exact results of the kernel's first call, the kept blocks, and the op it came
// from) and design.h beside this file. Integer results must match exactly, float ones to float rounding.
// Returns 0 on pass.
#include <cmath>
#include <cstdio>

#include "../design.h"
#include "golden.h"
#include "prunesim/hls/gemm.h"

void gemm_sparse_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],
                     const prunesim::hls::BlockSparse<DesignGemm>& w,
                     DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int n);

static DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k];
static prunesim::hls::BlockSparse<DesignGemm> w;
static DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n];

int main() {
  for (int i = 0; i < kM; ++i)
    for (int c = 0; c < kK; ++c) x[i][c] = DesignGemm::in_t(kX[i * kK + c]);
  // BCSR from the dense weights and the kept-block map.
  const int BH = DesignGemm::BH, BW = DesignGemm::BW;
  const int brows = (kN + BH - 1) / BH, bcols = (kK + BW - 1) / BW;
  int s = 0;
  w.block_rows = brows;
  for (int b = 0; b < brows; ++b) {
    w.row_ptr[b] = s;
    for (int c = 0; c < bcols; ++c) {
      if (!kKeep[b * bcols + c]) continue;
      for (int r = 0; r < BH; ++r)
        for (int cc = 0; cc < BW; ++cc) {
          const int o = b * BH + r, i = c * BW + cc;
          w.val[s][r][cc] = DesignGemm::w_t(o < kN && i < kK ? kW[o * kK + i] : 0);
        }
      w.col[s++] = c;
    }
  }
  w.row_ptr[brows] = s;
  gemm_sparse_top(x, w, y, kM, kK, kN);
  int errors = 0;
  for (int i = 0; i < kM; ++i)
    for (int o = 0; o < kN; ++o) {
      const double want = double(kY[i * kN + o]), got = double(y[i][o]);
      errors +=
          PRUNESIM_HLS_NUMBER == 1 ? got != want : std::fabs(got - want) > 1e-4 * (1.0 + std::fabs(want));
    }
  std::printf("gemm_sparse: %s (%d mismatches)\n", errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}
