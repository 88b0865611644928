#pragma once
// Deterministic random numbers: the same seed gives the same stream on every platform. (The standard
// distributions are implementation-defined, so they are not used where output bytes depend on them.)
#include <cmath>
#include <cstdint>
#include <random>

namespace prunesim::workloads {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t next() { return engine_(); }
  // Uniform integer in [0, n), n > 0, without modulo bias.
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = engine_();
    while (x >= limit);
    return x % n;
  }
  // Uniform integer in [0, n), n > 0, by Lemire's multiply-shift with rejection ("Fast random integer
  // generation in an interval", 2019): no division in the common case. A different stream from below(); used
  // where many draws are made (element positions of fine-grained masks).
  uint64_t below_fast(uint64_t n) {
    __extension__ typedef unsigned __int128 u128;
    u128 p = u128(engine_()) * n;
    uint64_t low = uint64_t(p);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        p = u128(engine_()) * n;
        low = uint64_t(p);
      }
    }
    return uint64_t(p >> 64);
  }
  double uniform01() { return double(engine_() >> 11) * (1.0 / 9007199254740992.0); }
  double normal() {  // Box-Muller
    double u1 = uniform01(), u2 = uniform01();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 engine_;  // the engine's output sequence is fixed by the standard
};

}  // namespace prunesim::workloads
