#pragma once
// The tiling policy: how the controller cuts each op of a trace into work items for the hardware, and
// which bytes cross DRAM for each. Documented in README ("How to read each figure"):
//  * Weights live in DRAM and are streamed into the weight buffer in tiles of whole block-row rounds
//    (one round = the block rows the engine's parallel units cover at once, ComputeEngine::tile_round) of at
//    most one buffer slot (half the buffer when double-buffered); a round larger than a slot is streamed
//    alone.
//  * Activations of a GEMM stay on chip when m x (k + n) fits the activation buffer. Otherwise the rows
//    are split into passes that fit; each pass reads its X rows from DRAM, writes its Y rows back, and
//    re-reads every weight tile.
//  * When all weight matrices together fit the weight buffer (both halves), each is fetched on first use and
//    stays resident (tiling.weights_resident, on by default): later uses read no DRAM.
//  * [tiling] overrides: weight_tile_bytes (instead of one slot), spill = always (every GEMM's activations go
//    through DRAM, as on a design without an activation buffer worth the name).
//  * Attention operands and element-wise ops stay on chip; DRAM traffic the workload itself names
//    (input, output, KV cache) is moved as the trace says.
#include <cstdint>
#include <vector>

#include "prunesim/models/hw_config.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

enum class ItemKind { Pe, Vector, TokenPrune, Transfer };

struct WorkItem {
  uint32_t op = 0;  // index into trace.ops
  ItemKind kind = ItemKind::Transfer;
  uint64_t m = 0;                            // Gemm: X rows in this item
  uint64_t m0 = 0;                           // Gemm: first X row of this item (activation passes)
  uint32_t first = 0, last = 0;              // Gemm: block rows of W
  uint64_t read_addr = 0, read_bytes = 0;    // fetched by the loader before the item may start
  uint64_t read_weight_bytes = 0;            // of read_bytes, the weight tile (the rest: activations)
  uint64_t write_addr = 0, write_bytes = 0;  // written back after the item's compute
  // Gemm: the weight tile the item computes with, fetched now or resident, and where it sits in the weight
  // buffer (its slot, or its place among the resident matrices).
  uint64_t weight_bytes = 0, weight_buffer_addr = 0;
  bool first_of_op = false, last_of_op = false;
};

struct TilePlan {
  std::vector<WorkItem> items;
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
};

class ComputeEngine;
// Weight tiles are whole rounds of the engine (ComputeEngine::tile_round).
TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine);
// The same with the engine hw.pe.engine names.
TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw);

// Bytes of `elems` values of `bits` each.
inline uint64_t bytes_of_bits(uint64_t elems, int bits) {
  return (elems * uint64_t(bits) + 7) / 8;
}

}  // namespace prunesim::models
