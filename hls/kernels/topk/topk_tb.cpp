// C-simulation testbench: both top-k variants against a selection sort over (score desc, index asc), on
// scores with many ties (EViT's 196 patch scores, keep 70 %). Returns 0 on pass.
#include "../common/tb_util.h"

void topk_quickselect_top(const float score[256], int n, int k, int out[256]);
void topk_bitonic_top(const float score[256], int n, int k, int out[256]);

int PRUNESIM_TB_MAIN(int, char**) {
  float s[256];
  int q[256], b[256];
  bool ref_chosen[256];
  tb::Gen g(8);
  int errors = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const int n = g.integer(1, 256), k = g.integer(1, n);
    for (int i = 0; i < 256; ++i) s[i] = float(g.integer(0, 15));  // few levels: ties everywhere
    // Reference: repeatedly take the best remaining (larger score, then lower index).
    for (int i = 0; i < n; ++i) ref_chosen[i] = false;
    for (int t = 0; t < k; ++t) {
      int best = -1;
      for (int i = 0; i < n; ++i)
        if (!ref_chosen[i] && (best < 0 || s[i] > s[best])) best = i;
      ref_chosen[best] = true;
    }
    topk_quickselect_top(s, n, k, q);
    topk_bitonic_top(s, n, k, b);
    int w = 0;
    for (int i = 0; i < n; ++i)
      if (ref_chosen[i]) {
        errors += q[w] != i;
        errors += b[w] != i;
        ++w;
      }
  }
  return tb::report("topk", errors);
}
