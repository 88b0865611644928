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
