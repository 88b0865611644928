#pragma once
// The DRAM controller's pluggable parts, each an interface with implementations registered by name and the
// parameters it reads declared beside it (dram_policies.cpp). The channel's state machine (JEDEC timing)
// asks them what to do; they never see its state directly.
//   ddr.scheduler   frfcfs | fcfs                   which queued request goes next
//   ddr.row_policy  open | closed | timeout         when an idle open row closes
//   ddr.refresh     all_bank | per_bank             what one refresh command blocks (per_bank: HBM2)
//   ddr.mapping     a named mapping or a bit order  which address bits pick rank, row, bank, column
// Sweeps compare them like any key: --grid ddr.scheduler=frfcfs,fcfs.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "prunesim/models/dram_config.h"
#include "prunesim/models/params.h"

namespace prunesim::models {

// What the scheduler may ask of the queue: the column cycle each candidate would get if chosen now, the run
// of consecutive hits its bank has served (0 unless the candidate is a hit), how often the oldest request has
// been bypassed, and the lower bound no candidate can beat. Implemented by the channel.
// cannot_beat(i, col) is a cheap exact test: true only when planning candidate i could not give a column
// cycle below `col` (a scan may skip it; false when unsure).
class SchedulerQueue {
 public:
  virtual ~SchedulerQueue() = default;
  virtual size_t size() const = 0;
  virtual uint64_t column_cycle(size_t i) = 0;  // plans candidate i (0 = oldest) and remembers the plan
  virtual bool cannot_beat(size_t i, uint64_t col) const = 0;
  virtual uint32_t hit_streak(size_t i) const = 0;
  virtual uint64_t floor() const = 0;
  virtual uint32_t head_bypassed() const = 0;
};

class DramScheduler {
 public:
  virtual ~DramScheduler() = default;
  // Index of the request to serve next; column_cycle() has been called for it last or it is 0.
  virtual size_t pick(SchedulerQueue& q) const = 0;
  // Whether the oldest request, when it is a row hit at the lower bound, is always the one picked (lets the
  // channel serve such runs without asking). True for both shipped schedulers.
  virtual bool head_at_floor_wins() const { return true; }
};

// When an open row closes with no request for it. The one decision an open/closed/timeout policy makes.
class RowPolicy {
 public:
  static constexpr uint64_t kNever = UINT64_MAX;
  virtual ~RowPolicy() = default;
  // Cycles after a column command before an idle row is precharged: 0 is auto-precharge with the command
  // (closed page), kNever keeps it open until a conflict (open page).
  virtual uint64_t idle_close_cycles() const = 0;
};

// What refresh does: every `interval` cycles one REF command that blocks `banks` banks (all of a rank, or
// one, round-robin) for `duration` cycles.
struct RefreshScheme {
  uint64_t interval = 0, duration = 0;
  bool all_banks = true;
};
class RefreshPolicy {
 public:
  virtual ~RefreshPolicy() = default;
  virtual RefreshScheme scheme(const DramConfig& cfg, uint32_t banks_per_rank) const = 0;
};

std::unique_ptr<DramScheduler> make_scheduler(const DramConfig& cfg);
std::unique_ptr<RowPolicy> make_row_policy(const DramConfig& cfg);
std::unique_ptr<RefreshPolicy> make_refresh_policy(const DramConfig& cfg);

// The registered names of each kind, in the order --help-config lists them.
const std::vector<std::string>& scheduler_names();
const std::vector<std::string>& refresh_names();

// Address mapping as a bit order: fields MSB first, each a letter and a bit count, K rank, R row, B bank,
// G bank group, C column (in bursts); "R16 B2 G1 C7 G1 C3". The named mappings are such orders built for the
// organisation. mapping_order throws InputError naming ddr.mapping when the fields do not cover the
// organisation exactly; parse_bit_order's errors leave the key to the caller (the schema names it).
struct BitField {
  char field;  // K R B G C
  uint32_t bits;
};
std::vector<BitField> mapping_order(const DramConfig& cfg);
std::vector<BitField> parse_bit_order(const std::string& text);
std::string bit_order_text(const std::vector<BitField>& order);
// The [ddr] keys the policies read (scheduler, reorder_window, max_row_hits, page_policy, row_timeout_ns,
// refresh, tRFCsb_ns, mapping), declared in dram_policies.cpp beside the policies.
std::vector<ParamSpec> dram_policy_params();
// Whether text names a mapping (row_column_bank, ...) rather than spelling a bit order.
bool is_named_mapping(const std::string& text);

}  // namespace prunesim::models
