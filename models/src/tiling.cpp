#include "prunesim/models/tiling.h"

#include "prunesim/models/param_fields.h"

#include "prunesim/models/engine.h"

#include <algorithm>
#include <map>
#include <set>

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
struct WeightTile {
  uint32_t first, last;
  uint64_t offset, bytes;
};

std::vector<WeightTile> weight_tiles(const Matrix& w, const HwConfig& hw, const ComputeEngine& engine) {
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
  std::vector<WeightTile> tiles;
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

TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw) {
  return plan_tiles(trace, hw, *make_engine(hw));
}

TilePlan plan_tiles(const workloads::Trace& trace, const HwConfig& hw, const ComputeEngine& engine) {
  TilePlan plan;
  // DRAM layout: weights first (each matrix 4 KiB aligned), then a streaming region for activations.
  std::map<std::string, uint64_t> base;
  uint64_t next = 0;
  for (const auto& name : trace.matrix_order) {
    base[name] = next;
    next = align_up(next + trace.matrices.at(name).bytes);
  }
  const uint64_t act_base = next;
  uint64_t act_ptr = act_base;
  auto act_addr = [&](uint64_t bytes) {
    const uint64_t a = act_ptr;
    act_ptr = align_up(act_ptr + bytes);
    return a;
  };
  std::map<std::string, std::vector<WeightTile>> tile_cache;
  // Resident weights: all matrices together fit the weight buffer, so each is fetched once and kept.
  uint64_t all_weights = 0;
  for (const auto& [name, m] : trace.matrices) all_weights += m.bytes;
  const bool resident = hw.tiling.weights_resident && all_weights <= hw.weight_buffer.physical_bytes();
  std::set<std::string> loaded;
  // Weight-buffer addresses: resident matrices side by side; streamed tiles in the slots, in turn, as the
  // loader fills them (one slot per item that reads DRAM).
  std::map<std::string, uint64_t> resident_base;
  uint64_t resident_at = 0;
  for (const auto& name : trace.matrix_order)
    resident_base[name] = resident_at, resident_at += trace.matrices.at(name).bytes;
  const uint64_t slots = hw.weight_buffer.double_buffered ? 2 : 1;
  uint64_t fills = 0;

  for (uint32_t i = 0; i < trace.ops.size(); ++i) {
    const Op& op = trace.ops[i];
    const size_t first_item = plan.items.size();
    auto add = [&](WorkItem w) {
      w.op = i;
      if (w.read_bytes) ++fills;
      plan.ddr_read_bytes += w.read_bytes;
      plan.ddr_write_bytes += w.write_bytes;
      plan.items.push_back(w);
      return &plan.items.back();
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
        const Matrix& w = trace.matrices.at(op.weight);
        auto it = tile_cache.find(op.weight);
        if (it == tile_cache.end()) it = tile_cache.emplace(op.weight, weight_tiles(w, hw, engine)).first;
        const uint64_t row_bytes = std::max<uint64_t>(1, bytes_of_bits(op.k + op.n, op.abits));
        const uint64_t m_chunk = std::max<uint64_t>(1, hw.act_buffer.bytes / row_bytes);
        const bool spill = m_chunk < op.m || hw.tiling.spill == SpillPolicy::Always;
        const bool fetch = !resident || loaded.insert(op.weight).second;
        for (uint64_t m0 = 0; m0 < op.m; m0 += m_chunk) {
          const uint64_t mc = std::min(m_chunk, op.m - m0);
          const auto& tiles = it->second;
          for (size_t t = 0; t < tiles.size(); ++t) {
            WorkItem item;
            item.kind = ItemKind::Pe;
            item.m = mc;
            item.m0 = m0;
            item.first = tiles[t].first;
            item.last = tiles[t].last;
            item.read_addr = base[op.weight] + tiles[t].offset;
            item.read_bytes = fetch && (m0 == 0 || !resident) ? tiles[t].bytes : 0;
            item.read_weight_bytes = item.read_bytes;
            if (spill && t == 0) item.read_bytes += bytes_of_bits(mc * op.k, op.abits);  // this pass's X rows
            item.weight_bytes = tiles[t].bytes;
            item.weight_buffer_addr = resident ? resident_base[op.weight] + tiles[t].offset
                                               : (fills % slots) * hw.weight_buffer.slot_bytes();
            if (spill && t + 1 == tiles.size()) {
              item.write_bytes = bytes_of_bits(mc * op.n, op.abits);  // this pass's Y rows
              item.write_addr = act_addr(item.write_bytes);
            }
            add(item);
          }
        }
        if (op.ddr_write_bytes) {  // KV cache written by the projection
          plan.items.back().write_bytes += op.ddr_write_bytes;
          plan.ddr_write_bytes += op.ddr_write_bytes;
          plan.items.back().write_addr = act_addr(plan.items.back().write_bytes);
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
    // Ops other than Gemm carry their named traffic on their single item (already added above for
    // Matmul and transfers). Vector ops name none.
    plan.items[first_item].first_of_op = true;
    plan.items.back().last_of_op = true;
  }
  return plan;
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
