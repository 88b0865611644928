#pragma once
// What the controller asks a compute unit to do, carried as a TLM-2.0 extension on the generic payload.
#include <tlm>

#include "prunesim/models/stats.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

struct WorkItem;

struct ComputeCmd : tlm::tlm_extension<ComputeCmd> {
  const WorkItem* item = nullptr;
  const workloads::Op* op = nullptr;
  const workloads::Matrix* weight = nullptr;  // Gemm only
  uint64_t m = 0;                             // rows of X in this tile (Gemm)
  uint32_t first = 0, last = 0;               // block rows of W in this tile (Gemm)
  // Results, filled by the unit.
  uint64_t cycles = 0;
  uint64_t stall_port_cycles = 0;     // part of `cycles` lost to buffer-port bandwidth
  uint64_t preload_saved_cycles = 0;  // what overlapping weight preload with streaming saved
  uint64_t hideable_cycles = 0;       // token unit: the part that may overlap earlier ops (score + top-k)
  uint64_t macs = 0;
  WeightWork weights;        // weight positions (PE ops)
  uint64_t issued_macs = 0;  // MACs the engine performs, zeros it cannot skip included (PE energy)
  uint64_t vector_ops = 0;
  uint64_t onchip_read_bytes = 0, onchip_write_bytes = 0;
  double imbalance = 1.0;

  tlm::tlm_extension_base* clone() const override { return new ComputeCmd(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    *this = static_cast<const ComputeCmd&>(other);
  }
};

}  // namespace prunesim::models
