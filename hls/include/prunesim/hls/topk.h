#pragma once
// Top-k selection for the token-pruning unit: quick-select (iterative, no recursion) and a bitonic sorting
// network, the two variants whose cycle models (cycle_models.h) the token unit uses. Both return the indices
// of k largest scores; ties are broken towards the lower index, so the two agree exactly.
#include <cmath>

#include "prunesim/hls/cycle_models.h"

namespace prunesim {
namespace hls {

// Orders (score, index) pairs: larger score first, then lower index.
inline bool before(float sa, int ia, float sb, int ib) {
  return sa > sb || (sa == sb && ia < ib);
}

// Quick-select: partitions around a pivot until the first k positions hold the top k. Writes their indices
// (in index order) to `out`.
template <int MAX_N>
void topk_quickselect(const float score[MAX_N], int n, int k, int out[MAX_N]) {
  float s[MAX_N];
  int idx[MAX_N];
COPY:
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= n) break;
    s[i] = score[i];
    idx[i] = i;
  }
  int lo = 0, hi = n - 1;
PARTITION_ROUNDS:
  while (lo < hi) {
#pragma HLS LOOP_TRIPCOUNT max = 32
    const int mid = lo + (hi - lo) / 2;  // middle pivot: deterministic
    const float ps = s[mid];
    const int pi = idx[mid];
    // Three-way partition: [lo, lt) before the pivot, [lt, gt] equal to it, (gt, hi] after it.
    int lt = lo, i = lo, gt = hi;
  SCAN:
    while (i <= gt) {
#pragma HLS PIPELINE II = 1
      if (before(s[i], idx[i], ps, pi)) {
        const float ts = s[lt];
        const int ti = idx[lt];
        s[lt] = s[i], idx[lt] = idx[i], s[i] = ts, idx[i] = ti;
        ++lt, ++i;
      } else if (before(ps, pi, s[i], idx[i])) {
        const float ts = s[gt];
        const int ti = idx[gt];
        s[gt] = s[i], idx[gt] = idx[i], s[i] = ts, idx[i] = ti;
        --gt;
      } else {
        ++i;
      }
    }
    if (k - 1 < lt)
      hi = lt - 1;
    else if (k - 1 > gt)
      lo = gt + 1;
    else
      break;
  }
  // The first k slots hold the top k; emit their indices in index order (a counting pass, no sort).
  bool chosen[MAX_N];
MARK:
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= n) break;
    chosen[i] = false;
  }
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= k) break;
    chosen[idx[i]] = true;
  }
  int w = 0;
EMIT:
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= n) break;
    if (chosen[i]) out[w++] = i;
  }
}

// Bitonic sort of the (score, index) pairs padded to a power of two, then the first k. MAX_N must be a power
// of two.
template <int MAX_N>
void topk_bitonic(const float score[MAX_N], int n, int k, int out[MAX_N]) {
  float s[MAX_N];
  int idx[MAX_N];
  int size = 1;
  while (size < n) size <<= 1;
PAD:
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= size) break;
    s[i] = i < n ? score[i] : -INFINITY;
    idx[i] = i < n ? i : MAX_N + i;  // padding sorts after every real score
  }
STAGES:
  for (int len = 2; len <= MAX_N; len <<= 1) {
    if (len > size) break;
  STEPS:
    for (int stride = len >> 1; stride > 0; stride >>= 1) {
    PAIRS:
      for (int i = 0; i < MAX_N; ++i) {
#pragma HLS UNROLL factor = 16
        if (i >= size) break;
        const int j = i ^ stride;
        if (j <= i) continue;
        const bool first_half = (i & len) == 0;  // descending in the first half of each merge block
        const bool swap =
            first_half ? before(s[j], idx[j], s[i], idx[i]) : before(s[i], idx[i], s[j], idx[j]);
        if (swap) {
          const float ts = s[i];
          const int ti = idx[i];
          s[i] = s[j], idx[i] = idx[j], s[j] = ts, idx[j] = ti;
        }
      }
    }
  }
  bool chosen[MAX_N];
  for (int i = 0; i < MAX_N; ++i) chosen[i] = false;
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= k) break;
    chosen[idx[i]] = true;
  }
  int w = 0;
  for (int i = 0; i < MAX_N; ++i) {
    if (i >= n) break;
    if (chosen[i]) out[w++] = i;
  }
}

}  // namespace hls
}  // namespace prunesim
