#pragma once
// Compute engines: one interface, implementations registered by name (`pe.engine`). Each engine owns its
// parameters (declared with ParamSpec beside its code), its cycle model (built on hls/cycle_models.h), its
// resource model, and states which sparsity patterns its hardware can skip. Plain C++: the PeArray module
// calls an engine per work item, and tests call engines directly.
//
// Adding an engine: one file in models/src/engines/ that defines the class and an EngineInfo, and one line
// in engine_registry.cpp (README "Compute engines").
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prunesim/models/hw_config.h"
#include "prunesim/models/params.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

// What one work item (a GEMM tile of block rows, or a whole matmul op) costs on an engine.
struct GemmCost {
  uint64_t cycles = 0;
  uint64_t macs = 0;            // useful MACs: m x kept weights (the closed form of the pruned workload)
  uint64_t issued_weights = 0;  // weight positions the engine works through: kept + zeros it cannot skip
  uint64_t stored_weights = 0;  // every weight position of the item (rows x cols of the stored matrix)
  double imbalance = 1.0;       // max over mean work of the parallel units (1 when balanced)
  uint64_t preload_saved_cycles = 0;    // what overlapping the stationary preload saved (systolic)
  uint64_t bandwidth_stall_cycles = 0;  // part of `cycles` lost to weight-buffer bandwidth (mv)
  uint64_t bank_conflict_cycles = 0;    // part of `cycles` lost to weight-bank conflicts (block_pe per_pe)
  uint64_t bank_conflicts_avoided_cycles = 0;    // hier matrices: what the layout saved against block CSR
  uint64_t bank_conflicts_avoidable_cycles = 0;  // block CSR matrices: what the hier layout would save
};

// The sparsity pattern of a weight matrix, as far as an engine cares.
enum class Pattern { Dense, Block, RowBalanced, Hierarchical, NM, Unstructured, Structural };
const char* pattern_name(Pattern p);
struct MatrixPattern {
  Pattern kind = Pattern::Dense;
  uint32_t n = 0, m = 0;        // N:M
  bool positions_known = true;  // false for old counts-only traces of fine-grained masks
};
// From the matrix's `pattern` (trace key), else inferred from its mask and format.
MatrixPattern classify(const workloads::Matrix& w);
// "block 16x16", "nm 2:4", "unstructured", "dense": the pattern with the sizes that matter to an engine.
std::string pattern_label(const workloads::Matrix& w);

// Needed input extent when the rows [row0, row1) of W share one activation stream that skips what none of
// them uses, at a granularity of `chunk` input elements: `chunks` chunks with at least one kept weight,
// `elems` their real widths (the last chunk may be narrow). Counts-only masks (no positions) need every
// chunk.
struct InputExtent {
  uint64_t chunks = 0, elems = 0;
};
InputExtent needed_inputs(const workloads::Matrix& w, uint32_t row0, uint32_t row1, uint32_t chunk);

// Something an engine derives once per weight matrix (work per unit, kept tiles per row), looked up for every
// work item. Keyed by address and checked against the matrix's identity, so a new matrix at a reused address
// (tests build them on the stack) is derived again rather than served stale.
template <class V>
class PerMatrix {
 public:
  template <class Derive>
  const V& get(const workloads::Matrix& w, Derive&& derive) const {
    Entry& e = entries_[&w];
    if (!e.valid || !e.is(w)) e = {true, w.name, w.rows, w.cols, w.nnz, first_word(w), derive(w)};
    return e.value;
  }

 private:
  static uint64_t first_word(const workloads::Matrix& w) {
    return w.mask.bits.empty() ? 0 : w.mask.bits.front();
  }
  struct Entry {
    bool valid = false;
    std::string name;
    uint32_t rows = 0, cols = 0;
    uint64_t nnz = 0, word = 0;
    V value{};
    bool is(const workloads::Matrix& w) const {  // no copy: called for every work item
      return rows == w.rows && cols == w.cols && nnz == w.nnz && word == first_word(w) && name == w.name;
    }
  };
  mutable std::map<const workloads::Matrix*, Entry> entries_;
};

// What an engine can do with one matrix's pattern: one line for the report and the README table.
struct Capability {
  bool exploits = false;  // zeros of this pattern are skipped (some or all)
  std::string how;        // "skips whole 16x16 blocks", "no sparse support: zeros are multiplied"
};

// An engine serves one simulation (one thread); its per-matrix caches are not locked.
class ComputeEngine {
 public:
  virtual ~ComputeEngine() = default;
  virtual std::string name() const = 0;
  // One line for the report's design line: "systolic 64x64 ws, block gather per 16 columns".
  virtual std::string describe() const = 0;
  virtual uint64_t peak_macs_per_cycle() const = 0;
  // Activation values the engine reads from the activation buffer per cycle at full rate.
  virtual double act_values_per_cycle() const = 0;
  // Activation values each one read from the activation buffer feeds (reuse along the array), for on-chip
  // traffic: a GEMM tile reads macs / reuse activation values.
  virtual uint64_t activation_reuse(const workloads::Matrix& w) const = 0;
  virtual uint64_t matmul_reuse(const workloads::Op& op) const = 0;
  // Block rows of W that one round of the engine's parallel units covers; weight tiles are whole rounds.
  virtual uint32_t tile_round(const workloads::Matrix& w) const = 0;
  // m rows of X against block rows [first, last) of W.
  virtual GemmCost gemm(const workloads::Matrix& w, uint64_t m, uint32_t first, uint32_t last) const = 0;
  // `count` activation x activation products of m x k by k x n (attention), dense.
  virtual GemmCost matmul(const workloads::Op& op) const = 0;
  // Pipeline stages drained once at the end of each op.
  virtual uint64_t drain_cycles() const = 0;
  virtual uint64_t dsps(int weight_bits) const = 0;
  // Fabric LUTs of the engine's datapath beyond the DSPs (structural estimate; see each engine).
  virtual uint64_t luts(int weight_bits) const = 0;
  virtual Capability capability(const workloads::Matrix& w) const = 0;
  // True when each PE reads its weight tiles from a bank of its own: the hier storage layout then avoids
  // bank conflicts, and `format = auto` chooses it for block-structured masks.
  virtual bool weights_in_per_pe_banks() const { return false; }
};

struct EngineInfo {
  std::string name;
  std::string help;
  // The config section of its parameters: the engine's name ("block_pe.modules"), or "pe" for the systolic
  // engine, whose parameters are bound to PeConfig's fields. Keys of an unbound section whose engine is not
  // selected are errors.
  std::string section;
  std::vector<ParamSpec> params;
  std::function<std::unique_ptr<ComputeEngine>(const HwConfig&)> create;
};

// Every registered engine, in registration order (engine_registry.cpp).
const std::vector<EngineInfo>& engine_registry();
const EngineInfo* find_engine(const std::string& name);
// The engine hw.pe.engine names, configured from hw. Throws InputError for an unknown name.
std::unique_ptr<ComputeEngine> make_engine(const HwConfig& hw);

// Shared by engines: a `balance` parameter (none | greedy) and its reading.
ParamSpec balance_param(const std::string& help);
BalancePolicy balance_of(const std::string& choice);
// Shared by engines: DSPs for `macs` parallel multipliers at a precision (DSP packing from PeConfig).
uint64_t dsps_for_macs(const PeConfig& pe, uint64_t macs, int bits);
// Runs `work` items (each an amount of streamed work) on `units` parallel units under a balance policy and
// returns the cycles, `cost` turning one unit's streamed work into cycles. None/RowBalanced: in order,
// round by round, each round waiting for its slowest unit (sum of cost(round max)); Greedy: longest first,
// cost(busiest unit's load). `imbalance` gets max over mean work of the units that got work.
uint64_t schedule_units(const std::vector<uint64_t>& work, uint64_t units, BalancePolicy policy,
                        const std::function<uint64_t(uint64_t)>& cost, double* imbalance);

}  // namespace prunesim::models
