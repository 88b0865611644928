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
#include <deque>
#include <map>
#include <set>
#include <string>
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

// Work items by index, as the units that run them look them up: a whole plan, or the part of a streamed one
// in use.
class WorkItems {
 public:
  virtual ~WorkItems() = default;
  virtual const WorkItem* find(size_t n) const = 0;  // null when item n is not held
};

struct TilePlan : WorkItems {
  std::vector<WorkItem> items;
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
  const WorkItem* find(size_t n) const override { return n < items.size() ? &items[n] : nullptr; }
};

class ComputeEngine;

// The tiling policy applied op by op, in trace order: each op's items depend on what the ops before it left
// (the activation region's next address, the weights already resident, whose turn each buffer slot is).
class TilePlanner {
 public:
  // Weight tiles are whole rounds of the engine (ComputeEngine::tile_round); `engine` must outlive the
  // planner.
  TilePlanner(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine);
  bool done() const { return next_ == trace_.ops.end(); }
  // The next op's items (valid until the next call), their indices from the count planned so far.
  const std::vector<WorkItem>& next_op();
  uint64_t ddr_read_bytes() const { return read_bytes_; }  // of the ops planned so far
  uint64_t ddr_write_bytes() const { return write_bytes_; }
  // A weight tile: block rows [first, last) of a matrix, its bytes at `offset` in the matrix's storage.
  struct WeightTile {
    uint32_t first, last;
    uint64_t offset, bytes;
  };

 private:
  const std::vector<WeightTile>& tiles_of(const std::string& weight);

  const workloads::Trace& trace_;
  HwConfig hw_;
  const ComputeEngine& engine_;
  std::map<std::string, uint64_t> base_, resident_base_;  // each matrix in DRAM; in the buffer when resident
  std::map<std::string, std::vector<WeightTile>> tiles_;
  std::set<std::string> loaded_;
  bool resident_ = false;
  uint64_t act_ptr_ = 0, fills_ = 0, read_bytes_ = 0, write_bytes_ = 0;
  workloads::OpList::const_iterator next_;
  std::vector<WorkItem> items_;
};

// Every op's items at once (tests, the HLS export, the functional check).
TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine);
// The same with the engine hw.pe.engine names.
TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw);

// The plan as a run walks it: items are planned an op at a time just ahead of the first reader and dropped
// once every reader is past them, so a run holds a few ops' items, not the whole trace's (GPT-2 medium 512 +
// 128: 6.3 MB of them). The items and their order are plan_tiles's; the total count and bytes are counted by
// a first planning pass, so progress and the report know them from the start.
class TileStream : public WorkItems {
 public:
  TileStream(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine);
  size_t size() const { return total_; }
  uint64_t ddr_read_bytes() const { return read_bytes_; }  // of the whole plan
  uint64_t ddr_write_bytes() const { return write_bytes_; }
  // Item n, planned if it was not yet; n < size() and not released. The reference stays valid until n is
  // released.
  const WorkItem& at(size_t n);
  // Items before n will not be asked for again.
  void release_before(size_t n);
  const WorkItem* find(size_t n) const override;
  size_t most_held() const { return most_held_; }  // the most items held at once (tests)

 private:
  const workloads::Trace& trace_;
  TilePlanner planner_;
  std::deque<WorkItem> held_;  // items first_ .. first_ + held_.size() - 1 (a deque keeps references valid)
  size_t first_ = 0, total_ = 0, most_held_ = 0;
  uint64_t read_bytes_ = 0, write_bytes_ = 0;
};

// Bytes of `elems` values of `bits` each.
inline uint64_t bytes_of_bits(uint64_t elems, int bits) {
  return (elems * uint64_t(bits) + 7) / 8;
}

}  // namespace prunesim::models
