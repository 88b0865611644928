#pragma once
// Shared by the C-simulation testbenches: a deterministic generator (so golden data needs no files), the
// testbench entry point (sc_main when the number type is SystemC's), and a tolerance check.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "prunesim/hls/types.h"

#if PRUNESIM_HLS_NUMBER == 2
#define PRUNESIM_TB_MAIN sc_main  // libsystemc owns main()
#else
#define PRUNESIM_TB_MAIN main
#endif

namespace tb {

// xorshift64*: the same stream on every machine.
struct Gen {
  uint64_t s;
  explicit Gen(uint64_t seed) : s(seed * 2654435761u + 1) {}
  uint64_t next() {
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  float uniform(float lo, float hi) { return lo + (hi - lo) * float(next() >> 40) / float(1 << 24); }
  int integer(int lo, int hi) { return lo + int(next() % uint64_t(hi - lo + 1)); }
};

// A random operand for the configured number type: full-range integers, or uniform in [-1, 1].
inline prunesim::hls::data_t value(Gen& g) {
#if PRUNESIM_HLS_NUMBER == 1
  return prunesim::hls::data_t(g.integer(-128, 127));
#elif PRUNESIM_HLS_NUMBER == 3
  return prunesim::hls::data_t(g.integer(-32768, 32767));
#else
  return prunesim::hls::data_t(g.uniform(-1.0f, 1.0f));
#endif
}

inline bool close(double got, double want, double tol) {
  return std::fabs(got - want) <= tol * (1.0 + std::fabs(want));
}

inline int report(const char* name, int errors) {
  std::printf("%s: %s (%d mismatches)\n", name, errors ? "FAIL" : "PASS", errors);
  return errors ? 1 : 0;
}

}  // namespace tb
