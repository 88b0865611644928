#pragma once
// Timing of a (block-sparse) weight GEMM on the PE array, per tile of block rows. Plain C++ so it can
// be checked against the fold formula without a simulation.
#include <cstdint>
#include <vector>

#include "prunesim/models/hw_config.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

struct GemmTileTiming {
  uint64_t cycles = 0;
  uint64_t macs = 0;
  double imbalance = 1.0;  // max over mean of the per-group work
};

// Cycles for rows [m rows of X] against block rows [first, last) of W on the array.
// Dense matrices use the textbook fold formula. Sparse ones: the array's C columns form g = C / block_rows
// column groups, each computing one block row (output features) at a time over only its kept blocks
// (zero blocks skipped; X columns gathered by block index). The balance policy assigns block rows to
// groups: none (round-robin in order, groups wait for the slowest in each round), row_balanced (the same
// in order, for masks that are balanced by construction), greedy (longest-processing-time first).
GemmTileTiming gemm_tile_cycles(const PeConfig& pe, const workloads::Matrix& w, uint64_t m, uint32_t first,
                                uint32_t last);

}  // namespace prunesim::models
