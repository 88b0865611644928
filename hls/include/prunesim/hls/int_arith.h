#pragma once
// Integer arithmetic of the int8 datapath, defined once for the kernels and for the integer reference
// forward pass (workloads/quant_model): saturation, fixed-point multipliers with a rounding shift, rounded
// division and the integer square root. Every operation is exact on integers, so the same inputs give the
// same bits in g++ and in ap_int hardware of the same widths (arithmetic right shift of signed values, as
// ap_int and g++ both do).
#include <cstdint>

namespace prunesim {
namespace hls {

// Activations are symmetric int8: [-127, 127] (as the compressor's activation quantizer).
inline int8_t sat8(int64_t v) {
  return int8_t(v > 127 ? 127 : v < -127 ? -127 : v);
}

// A real ratio r ~= mult * 2^-shift, mult in [2^30, 2^31) (or 0), shift in [0, 62].
struct FixedMul {
  int32_t mult = 0;
  int shift = 0;
};

// round(v * m): the product in 64 bits, then a right shift that rounds half up. |v| < 2^31.
inline int64_t scale_round(int64_t v, FixedMul m) {
  const int64_t prod = v * int64_t(m.mult);
  return m.shift > 0 ? (prod + (int64_t(1) << (m.shift - 1))) >> m.shift : prod;
}

// Rounds num / den half away from zero; den > 0.
inline int64_t div_round(int64_t num, int64_t den) {
  return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

// floor(sqrt(v)), one result bit per step (32 steps, no division).
inline uint32_t isqrt64(uint64_t v) {
  uint64_t rem = v, root = 0;
ISQRT:
  for (int i = 31; i >= 0; --i) {
#pragma HLS PIPELINE II = 1
    const uint64_t trial = (root << (i + 1)) + (uint64_t(1) << (2 * i));
    if (rem >= trial) {
      rem -= trial;
      root |= uint64_t(1) << i;
    }
  }
  return uint32_t(root);
}

}  // namespace hls
}  // namespace prunesim
