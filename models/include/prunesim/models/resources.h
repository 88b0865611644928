#pragma once
// FPGA resource estimate of a design and the check that it fits the device.
#include <cstdint>
#include <string>

#include "prunesim/models/hw_config.h"

namespace prunesim::models {

struct ResourceUse {
  uint64_t dsp = 0, bram36 = 0, uram = 0, m10k = 0;
  uint64_t lut = 0;  // the engine's structural estimate of its sparse/reduction logic (not the whole design)
  bool fits = true;
  std::string overflow;  // every resource that overflowed, with the numbers, "; "-separated, when !fits
};

// One memory primitive: BRAM36 512 x 72 (UG573), URAM288 4096 x 72 (UG573), M10K 256 x 40 (Intel Cyclone V
// handbook).
struct PrimitiveGeometry {
  uint64_t width_bits, depth;
  uint64_t bytes() const { return width_bits * depth / 8; }
};
PrimitiveGeometry primitive_geometry(MemoryKind kind);

// Primitives for one buffer. Geometry of the primitives: BRAM36 512 x 72 (UG573), URAM288 4096 x 72
// (UG573), M10K 256 x 40 (Intel Cyclone V handbook). Each bank is `width_bits` wide and holds bytes/banks.
uint64_t buffer_primitives(const BufferConfig& b);
// DSPs of a systolic R x C array at the given weight precision.
uint64_t pe_dsps(const PeConfig& pe, int bits);
ResourceUse estimate_resources(const HwConfig& hw, int weight_bits);

}  // namespace prunesim::models
