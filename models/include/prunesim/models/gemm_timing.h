#pragma once
// Timing of a weight GEMM tile on the systolic engine (models/src/engines/systolic.cpp), for tests and
// benchmarks that time one tile without building a HwConfig. Everything else goes through make_engine().
#include <cstdint>

#include "prunesim/models/hw_config.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

struct GemmTileTiming {
  uint64_t cycles = 0;
  uint64_t macs = 0;
  double imbalance = 1.0;  // max over mean of the per-group work
};

// Cycles for m rows of X against block rows [first, last) of W on the systolic engine configured by `pe`.
GemmTileTiming gemm_tile_cycles(const PeConfig& pe, const workloads::Matrix& w, uint64_t m, uint32_t first,
                                uint32_t last);

}  // namespace prunesim::models
