#pragma once
// Small SystemC helpers shared by the models.
#include <cmath>
#include <cstdint>
#include <systemc>

// SC_HAS_PROCESS is required by SystemC 2.3.4 for modules with processes and a custom constructor
// (3.0 deprecates it); one project macro keeps that choice in one place.
#define PRUNESIM_MODULE_PROCESSES(T) SC_HAS_PROCESS(T)

namespace prunesim::models {

inline sc_core::sc_time cycles_to_time(uint64_t cycles, double cycle_ns) {
  return sc_core::sc_time(double(cycles) * cycle_ns, sc_core::SC_NS);
}

// Whole cycles in a span of time (nearest: times made of whole cycles come back exact).
inline uint64_t time_to_cycles(const sc_core::sc_time& t, double cycle_ns) {
  return uint64_t(std::llround(t.to_seconds() * 1e9 / cycle_ns));
}

}  // namespace prunesim::models
