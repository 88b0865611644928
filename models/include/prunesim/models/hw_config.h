#pragma once
// Configuration structs of the accelerator, one per block, kept apart from the SystemC modules.
// Every default is the built-in U250-class design; every figure cites its source in configs/.
#include <cstdint>
#include <string>

#include "prunesim/common/enum_names.h"
#include "prunesim/hls/cycle_models.h"
#include "prunesim/models/dram_config.h"
#include "prunesim/models/params.h"

namespace prunesim::models {

struct DeviceConfig {
  std::string part = "xcu250-figd2104-2L-e";  // Alveo U250 (DS962)
  uint32_t dsp = 12288;
  uint32_t bram36 = 2688;
  uint32_t uram = 1280;
  uint32_t m10k = 0;
  uint64_t lut = 1728000;
  double max_clock_mhz = 500.0;
  // Super logic regions (dies) of a stacked-silicon part: 1 for a monolithic one. The fitted design keeps
  // its array within one (design_fit.h).
  uint32_t slrs = 4;
  double price_usd = 0;          // what the part or board costs, for explore's cost objective; 0: not known
  double static_power_w = 20.0;  // idle card power budget share for the fabric+HBM-less shell (estimate)
};

struct ClockConfig {
  double mhz = 300.0;
};

enum class BalancePolicy { None, RowBalanced, Greedy };

// What sparsity a systolic design declares it can exploit (see models/src/engines/systolic.cpp).
enum class SystolicSparsity {
  None,   // no sparse support: a fold is skipped only when its whole R x C weight tile is zero
  Block,  // column groups with their own gathered activation stream skip the inputs none of their rows use
};

// [pe]: the engine choice, the DSP packing every engine uses, and the systolic engine's own keys.
struct PeConfig {
  std::string engine = "systolic";  // a name from engine_registry() (models/engine.h)
  uint32_t rows = 64;
  uint32_t cols = 64;
  uint64_t macs() const { return uint64_t(rows) * cols; }  // MAC units of the array
  hls::Dataflow dataflow = hls::Dataflow::WeightStationary;
  bool overlap_preload = false;
  uint32_t macs_per_dsp_int8 = 2;  // two int8 MACs packed per DSP48E2 (Xilinx WP486)
  uint32_t macs_per_dsp_int16 = 1;
  double dsp_per_mac_fp32 = 3.0;  // fp32 MAC ~ 3 DSP48E2 (Floating-Point IP, PG060)
  // Extra MAC register stages beyond the systolic skew (R + C - 2 already in every fold), drained once at the
  // end of each op; 0 keeps the textbook fold count exact.
  uint32_t pipeline_depth = 0;
  BalancePolicy balance = BalancePolicy::Greedy;
  uint32_t accumulator_bits = 32;
  SystolicSparsity sparse = SystolicSparsity::Block;
  // Block support: the narrowest column group that has its own activation feeder (index decoder and
  // gather); blocks shorter than this share a group and stream the union of their inputs.
  uint32_t group_cols = 16;
  // Block support: activations are gathered in chunks of this many elements (one buffer word: 8 int8 in
  // the 64 data bits of a 72-bit BRAM/URAM word, UG573).
  uint32_t gather_elems = 8;
  // N:M support: the PEs select N of every M activations by metadata (as in 2:4 sparse tensor cores);
  // 0 = none. A matrix pruned n:M with n <= nm_n streams ceil(K/M) x nm_n inputs per row.
  uint32_t nm_n = 0, nm_m = 0;
};

enum class MemoryKind { Bram, Uram, M10k };

struct BufferConfig {
  MemoryKind kind = MemoryKind::Uram;
  uint64_t bytes = 1 << 20;
  uint32_t banks = 16;
  uint32_t ports = 2;  // true dual port
  uint32_t width_bits = 72;
  bool double_buffered = true;

  // `bytes` is what one tile may use; double buffering keeps a second copy, so it doubles the memory.
  uint64_t physical_bytes() const { return double_buffered ? 2 * bytes : bytes; }
  uint64_t slot_bytes() const { return bytes; }
  double bytes_per_cycle() const { return double(banks) * ports * width_bits / 8.0; }
};

struct DmaConfig {
  uint32_t burst_bytes = 4096;  // AXI4: 256 beats x 16 bytes at most per burst
  uint32_t outstanding = 8;
  uint32_t bus_bits = 512;  // AXI data width on the fabric side
};

enum class TopkAlgorithm { QuickSelect, Bitonic };

struct TpuConfig {
  uint32_t comparators = 16;
  TopkAlgorithm algorithm = TopkAlgorithm::QuickSelect;
  // Hide the score averaging and top-k behind A*V, the projection and the residual (they need only the
  // attention probabilities); compaction and the fused token stay on the critical path.
  bool overlap = false;
};

struct NonlinearConfig {
  uint32_t lanes = 64;
  uint32_t depth = 16;  // pipeline stages (exp/div/sqrt units)
  // Softmax streams behind the QK^T matmul that feeds it (a design that pipelines the scores into the
  // softmax unit row by row): only what the softmax needs beyond the matmul, and at least its last row,
  // stays on the critical path.
  bool softmax_overlap = false;
};

// Per-event energy; sources cited in configs/energy/*.ini.
struct EnergyConfig {
  double mac_int8_pj = 0.2;
  double mac_int16_pj = 0.6;
  double mac_fp32_pj = 3.7;
  double bram_pj_per_byte = 1.1;
  double uram_pj_per_byte = 1.6;
  double ddr_pj_per_bit = 15.0;
  double ddr_activate_nj = 2.0;
  double vector_op_pj = 0.5;
};

// Overrides of the tiling policy (models/include/prunesim/models/tiling.h).
enum class SpillPolicy { Auto, Always };
struct TilingConfig {
  uint64_t weight_tile_bytes = 0;         // 0: one weight-buffer slot
  SpillPolicy spill = SpillPolicy::Auto;  // always: every GEMM reads X from and writes Y to DRAM
  // auto: when every weight matrix fits the weight buffer at once, each is fetched on first use and stays
  // (GRU time steps, small models); never: weights stream from DRAM at every use.
  bool weights_resident = true;
};

// Arithmetic of functional mode (functional.h).
enum class FunctionalNumbers { Auto, Float, Int8 };

struct SimConfig {
  bool ideal_memory = false;
  double timeline_us = 0;   // interval of the DRAM bytes-over-time series (0: automatic)
  double quantum_ns = 0;    // temporal-decoupling quantum of the compute thread (0: sync after every item)
  bool functional = false;  // compute the data with the HLS kernels and check it (functional.h)
  uint64_t functional_seed = 1;
  FunctionalNumbers functional_numbers = FunctionalNumbers::Auto;
};

struct HwConfig {
  DeviceConfig device;
  ClockConfig clock;
  PeConfig pe;
  BufferConfig act_buffer{MemoryKind::Uram, 8u << 20, 32, 2, 72, false};
  BufferConfig weight_buffer{MemoryKind::Uram, 2u << 20, 32, 2, 72, true};
  BufferConfig out_buffer{MemoryKind::Bram, 1u << 20, 64, 2, 72, false};
  DramConfig ddr = [] {
    DramConfig d = dram_preset("ddr4-2400");
    d.org.channels = 4;
    return d;
  }();
  DmaConfig dma;
  TpuConfig tpu;
  NonlinearConfig nonlinear;
  EnergyConfig energy;
  TilingConfig tiling;
  SimConfig sim;
  // Parameters of the engines other than systolic, by key ("block_pe.modules"); each engine reads its own
  // through a ParamReader against the ParamSpecs it declares.
  ParamValues engine_params;

  double cycle_ns() const { return 1000.0 / clock.mhz; }
};

}  // namespace prunesim::models

namespace prunesim {
// Name tables (enum_names.h), defined in models/src/hw_config.cpp.
template <>
const std::vector<EnumName<models::MemoryKind>>& enum_names();
template <>
const std::vector<EnumName<models::BalancePolicy>>& enum_names();
template <>
const std::vector<EnumName<hls::Dataflow>>& enum_names();
template <>
const std::vector<EnumName<models::TopkAlgorithm>>& enum_names();
template <>
const std::vector<EnumName<models::SystolicSparsity>>& enum_names();
template <>
const std::vector<EnumName<models::SpillPolicy>>& enum_names();
template <>
const std::vector<EnumName<models::FunctionalNumbers>>& enum_names();
}  // namespace prunesim
