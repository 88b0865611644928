#pragma once
// Whether a model is small enough to compress inside a fuzz iteration (-timeout is seconds; a zoo model at
// its real size compresses in tenths of a second): the parsers are the target, the compressor is reached
// only with the dimensions a mutation shrank.
#include <cstdint>

#include "prunesim/workloads/model_zoo.h"

namespace prunesim::fuzz {

inline bool small_enough_to_compress(const workloads::ModelSpec& m) {
  const double d = m.d_model, f = m.mlp, t = double(m.seq) * m.batch + m.decode;
  const double gru = double(m.gru_input + m.gru_hidden) * m.gru_hidden * 3;
  const double weights = double(m.layers) * (4 * d * d + 2 * d * f) + gru;
  return weights <= 1 << 18 && t * d <= 1 << 16 && double(m.layers) * t * t <= 1 << 18;
}

}  // namespace prunesim::fuzz
