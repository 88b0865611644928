#include "prunesim/models/tiling.h"

#include "prunesim/models/param_fields.h"

#include "prunesim/models/engine.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace prunesim::models {

using workloads::Matrix;
using workloads::Op;
using workloads::OpKind;

namespace {

__extension__ typedef unsigned __int128 u128;  // exact apportioning of bytes
constexpr uint64_t kAlign = 4096;
uint64_t align_up(uint64_t v) {
  return (v + kAlign - 1) / kAlign * kAlign;
}

// Splits block rows into tiles of whole rounds that fit one buffer slot; bytes apportioned by kept weights
// with cumulative rounding so the tiles add up to the matrix's exact storage bytes.
std::vector<TilePlanner::WeightTile> weight_tiles(const Matrix& w, const HwConfig& hw,
                                                  const ComputeEngine& engine) {
  const uint32_t rows = w.mask.grid_rows;
  const bool dense = w.format == workloads::StorageFormat::Dense;
  const uint32_t round = std::max<uint32_t>(1, engine.tile_round(w));
  std::vector<uint64_t> cum(rows + 1, 0);  // kept weights before block row r
  for (uint32_t r = 0; r < rows; ++r) cum[r + 1] = cum[r] + (dense ? w.cols : w.nnz_in_block_row(r));
  const uint64_t total = cum[rows];
  auto byte_at = [&](uint32_t r) -> uint64_t {
    if (total == 0) return r == rows ? w.bytes : 0;
    return uint64_t(static_cast<u128>(w.bytes) * cum[r] / total);
  };
  const uint64_t slot =
      hw.tiling.weight_tile_bytes ? hw.tiling.weight_tile_bytes : hw.weight_buffer.slot_bytes();
  std::vector<TilePlanner::WeightTile> tiles;
  uint32_t first = 0;
  while (first < rows) {
    uint32_t last = std::min(rows, first + round);
    while (last < rows) {
      const uint32_t next = std::min(rows, last + round);
      if (byte_at(next) - byte_at(first) > slot) break;
      last = next;
    }
    tiles.push_back({first, last, byte_at(first), byte_at(last) - byte_at(first)});
    first = last;
  }
  return tiles;
}

}  // namespace

TilePlanner::TilePlanner(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine)
    : trace_(trace), hw_(hw), engine_(engine), next_(trace.ops.begin()) {
  // DRAM layout: weights first (each matrix 4 KiB aligned), then a streaming region for activations.
  uint64_t next = 0;
  for (const auto& name : trace.matrix_order) {
    base_[name] = next;
    next = align_up(next + trace.matrices.at(name).bytes);
  }
  act_ptr_ = next;
  // Resident weights: all matrices together fit the weight buffer, so each is fetched once and kept.
  uint64_t all_weights = 0;
  for (const auto& [name, m] : trace.matrices) all_weights += m.bytes;
  resident_ = hw.tiling.weights_resident && all_weights <= hw.weight_buffer.physical_bytes();
  // Weight-buffer addresses: resident matrices side by side; streamed tiles in the slots, in turn, as the
  // loader fills them (one slot per item that reads DRAM).
  uint64_t resident_at = 0;
  for (const auto& name : trace.matrix_order)
    resident_base_[name] = resident_at, resident_at += trace.matrices.at(name).bytes;
}

const std::vector<TilePlanner::WeightTile>& TilePlanner::tiles_of(const std::string& weight) {
  auto it = tiles_.find(weight);
  if (it == tiles_.end())
    it = tiles_.emplace(weight, weight_tiles(trace_.matrices.at(weight), hw_, engine_)).first;
  return it->second;
}

const std::vector<WorkItem>& TilePlanner::next_op() {
  items_.clear();
  const uint32_t i = uint32_t(next_.index());
  const Op& op = *next_;  // a forward walk: generated ops are made here, not held by the trace (OpList)
  const HwConfig& hw = hw_;
  auto act_addr = [&](uint64_t bytes) {
    const uint64_t a = act_ptr_;
    act_ptr_ = align_up(act_ptr_ + bytes);
    return a;
  };
  const uint64_t slots = hw.weight_buffer.double_buffered ? 2 : 1;
  auto add = [&](WorkItem w) {
    w.op = i;
    if (w.read_bytes) ++fills_;
    read_bytes_ += w.read_bytes;
    write_bytes_ += w.write_bytes;
    items_.push_back(w);
  };
  switch (workloads::op_kind_info(op.kind).unit) {
    case workloads::OpUnit::Pe: {
      if (op.kind == OpKind::Matmul) {  // activation x activation: one item, the KV cache its only DRAM data
        WorkItem item;
        item.kind = ItemKind::Pe;
        item.read_bytes = op.ddr_read_bytes;
        item.read_addr = act_addr(op.ddr_read_bytes);
        add(item);
        break;
      }
      const auto& tiles = tiles_of(op.weight);
      const uint64_t row_bytes = std::max<uint64_t>(1, bytes_of_bits(op.k + op.n, op.abits));
      const uint64_t m_chunk = std::max<uint64_t>(1, hw.act_buffer.bytes / row_bytes);
      const bool spill = m_chunk < op.m || hw.tiling.spill == SpillPolicy::Always;
      const bool fetch = !resident_ || loaded_.insert(op.weight).second;
      for (uint64_t m0 = 0; m0 < op.m; m0 += m_chunk) {
        const uint64_t mc = std::min(m_chunk, op.m - m0);
        for (size_t t = 0; t < tiles.size(); ++t) {
          WorkItem item;
          item.kind = ItemKind::Pe;
          item.m = mc;
          item.m0 = m0;
          item.first = tiles[t].first;
          item.last = tiles[t].last;
          item.read_addr = base_[op.weight] + tiles[t].offset;
          item.read_bytes = fetch && (m0 == 0 || !resident_) ? tiles[t].bytes : 0;
          item.read_weight_bytes = item.read_bytes;
          if (spill && t == 0) item.read_bytes += bytes_of_bits(mc * op.k, op.abits);  // this pass's X rows
          item.weight_bytes = tiles[t].bytes;
          item.weight_buffer_addr = resident_ ? resident_base_[op.weight] + tiles[t].offset
                                              : (fills_ % slots) * hw.weight_buffer.slot_bytes();
          if (spill && t + 1 == tiles.size()) {
            item.write_bytes = bytes_of_bits(mc * op.n, op.abits);  // this pass's Y rows
            item.write_addr = act_addr(item.write_bytes);
          }
          add(item);
        }
      }
      if (op.ddr_write_bytes) {  // KV cache written by the projection
        items_.back().write_bytes += op.ddr_write_bytes;
        write_bytes_ += op.ddr_write_bytes;
        items_.back().write_addr = act_addr(items_.back().write_bytes);
      }
      break;
    }
    case workloads::OpUnit::Vector: {
      WorkItem item;
      item.kind = ItemKind::Vector;
      add(item);
      break;
    }
    case workloads::OpUnit::TokenUnit: {
      WorkItem item;
      item.kind = ItemKind::TokenPrune;
      add(item);
      break;
    }
    case workloads::OpUnit::Dma: {
      WorkItem item;
      item.kind = ItemKind::Transfer;
      item.read_bytes = op.ddr_read_bytes;
      item.read_addr = act_addr(op.ddr_read_bytes);
      item.write_bytes = op.ddr_write_bytes;
      item.write_addr = act_addr(op.ddr_write_bytes);
      add(item);
      break;
    }
  }
  // Ops other than Gemm carry their named traffic on their single item (already added above for Matmul and
  // transfers). Vector ops name none.
  if (!items_.empty()) items_.front().first_of_op = true, items_.back().last_of_op = true;
  ++next_;
  return items_;
}

TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw) {
  return plan_tiles(trace, hw, *make_engine(hw));
}

TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine) {
  TilePlan plan;
  TilePlanner planner(trace, hw, engine);
  while (!planner.done()) {
    const auto& items = planner.next_op();
    plan.items.insert(plan.items.end(), items.begin(), items.end());
  }
  plan.ddr_read_bytes = planner.ddr_read_bytes();
  plan.ddr_write_bytes = planner.ddr_write_bytes();
  return plan;
}

TileStream::TileStream(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine)
    : trace_(trace), planner_(trace, hw, engine) {
  TilePlanner count(trace, hw, engine);
  while (!count.done()) total_ += count.next_op().size();
  read_bytes_ = count.ddr_read_bytes();
  write_bytes_ = count.ddr_write_bytes();
}

const WorkItem& TileStream::at(size_t n) {
  if (n < first_) throw std::logic_error("tile stream: item " + std::to_string(n) + " was released");
  while (n >= first_ + held_.size()) {
    if (planner_.done()) throw std::logic_error("tile stream: no item " + std::to_string(n));
    const auto& items = planner_.next_op();
    held_.insert(held_.end(), items.begin(), items.end());
    most_held_ = std::max(most_held_, held_.size());
  }
  return held_[n - first_];
}

void TileStream::release_before(size_t n) {
  while (first_ < n && !held_.empty()) held_.pop_front(), ++first_;
  // The ops of released items will not be looked up again either (the units find ops by their items).
  if (!held_.empty()) trace_.ops.release_before(held_.front().op);
}

const WorkItem* TileStream::find(size_t n) const {
  return n >= first_ && n < first_ + held_.size() ? &held_[n - first_] : nullptr;
}

// [tiling]: overrides of the policy above.
ConfigSection tiling_section() {
  return {"tiling",
          {uint_field(
               "weight_tile_bytes", [](HwConfig& h) -> uint64_t& { return h.tiling.weight_tile_bytes; }, 0,
               uint64_t(1) << 34, "weight tile size (0: one weight-buffer slot)"),
           enum_field<SpillPolicy>(
               "spill", [](HwConfig& h) -> SpillPolicy& { return h.tiling.spill; },
               "auto: activations stay on chip when they fit; always: through DRAM"),
           flag_field(
               "weights_resident", [](HwConfig& h) -> bool& { return h.tiling.weights_resident; },
               "keep every weight matrix on chip after first use when they all fit the weight buffer")},
          {}};
}

}  // namespace prunesim::models
