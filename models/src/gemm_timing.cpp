#include "prunesim/models/gemm_timing.h"

#include "prunesim/models/engine.h"

namespace prunesim::models {

GemmTileTiming gemm_tile_cycles(const PeConfig& pe, const workloads::Matrix& w, uint64_t m, uint32_t first,
                                uint32_t last) {
  HwConfig hw;
  hw.pe = pe;
  hw.pe.engine = "systolic";
  const GemmCost c = make_engine(hw)->gemm(w, m, first, last);
  return {c.cycles, c.macs, c.imbalance};
}

}  // namespace prunesim::models
