#pragma once
// One DRAM channel: per-bank state and JEDEC timing, event-driven. The scheduler (ddr.scheduler) picks the
// next request; its commands (PRE, ACT, RD/WR) are placed at the earliest cycle every constraint allows, so
// activates in other banks overlap data transfers and no idle cycle is ever stepped. The row, refresh and
// mapping policies (dram_policies.h) decide the rest. Plain C++ (no SystemC): DramSystem drives it, for the
// TLM target and `prunesim ddr` alike.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "prunesim/models/dram_config.h"
#include "prunesim/models/dram_policies.h"
#include "prunesim/models/ring_queue.h"

namespace prunesim::models {

struct DramRequest {
  uint64_t id = 0;
  uint64_t arrival = 0;  // controller cycles
  uint64_t addr = 0;     // channel-local byte address
  bool write = false;
};

struct DramCompletion {
  uint64_t id = 0;
  uint64_t arrival = 0;
  uint64_t done = 0;  // cycle the data transfer ends, plus controller latency
  bool write = false;
  bool row_hit = false;
};

struct DramStats {
  uint64_t reads = 0, writes = 0;
  uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  uint64_t activates = 0, precharges = 0, refreshes = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  uint64_t busy_data_cycles = 0;
  uint64_t last_done = 0;

  // Sums the counters of another channel; last_done (a time, per channel) keeps the later.
  DramStats& operator+=(const DramStats& o) {
    reads += o.reads, writes += o.writes, row_hits += o.row_hits, row_misses += o.row_misses;
    row_conflicts += o.row_conflicts, activates += o.activates, precharges += o.precharges;
    refreshes += o.refreshes, bytes_read += o.bytes_read, bytes_written += o.bytes_written;
    busy_data_cycles += o.busy_data_cycles;
    last_done = last_done > o.last_done ? last_done : o.last_done;
    return *this;
  }
};

enum class DramCmd { Act, Pre, PreAll, Rd, Wr, Ref };

// One command as issued, for tests and debugging (logging is off unless a log is attached).
struct DramCommand {
  uint64_t cycle;
  DramCmd cmd;
  uint32_t rank, bg, bank, row;
};

struct DecodedAddr {
  uint32_t rank = 0, bg = 0, bank = 0, row = 0, col = 0;  // col in bursts
};

class DramChannel {
 public:
  explicit DramChannel(const DramConfig& cfg);

  // Requests must come in nondecreasing arrival order. Served by run().
  void submit(const DramRequest& r) { submit_run(r.id, r.arrival, r.addr, 1, r.write); }
  // `count` consecutive bursts from `addr` (ids first_id, first_id + 1, ...), all arriving at `arrival`:
  // the same as submitting each, without materialising them until they are admitted.
  void submit_run(uint64_t first_id, uint64_t arrival, uint64_t addr, uint32_t count, bool write) {
    pending_ += count;
    if (!incoming_.empty()) {
      // A run that continues the last one (next ids, next addresses, same arrival and direction) extends it:
      // a file of single-burst sequential requests costs one entry per granule, not one per burst.
      Run& last = incoming_.back();
      if (last.write == write && last.arrival == arrival && last.first_id + last.count == first_id &&
          last.addr + uint64_t(last.count) * burst_bytes_ == addr && last.count <= UINT32_MAX - count) {
        last.count += count;
        return;
      }
    }
    incoming_.push_back(Run{first_id, arrival, addr, count, write});
  }
  // Serves every submitted request; calls on_done (when set) for each as it is scheduled.
  void run(const std::function<void(const DramCompletion&)>& on_done);
  // Serves what can be served exactly as run() would while later requests are still being submitted
  // (keeps a queue's worth pending); lets long streams be fed in pieces with the same results.
  void run_ahead(const std::function<void(const DramCompletion&)>& on_done);

  DecodedAddr decode(uint64_t addr) const {
    // Every mapping is a fixed bit layout, so decoding is shifts and masks from a table built once.
    const uint64_t x = addr >> burst_shift_;
    DecodedAddr a;
    a.rank = layout_.rank.gather(x);
    a.row = layout_.row.gather(x);
    a.bank = layout_.bank.gather(x);
    a.bg = layout_.bg.gather(x);
    a.col = layout_.col.gather(x);
    return a;
  }
  const DramStats& stats() const { return stats_; }
  uint64_t now() const { return now_; }
  uint64_t ns_to_cycles(double ns) const { return cfg_.ns_to_cycles(ns); }
  double cycles_to_ns(uint64_t c) const { return double(c) * cfg_.timing.tck_ns; }
  const DramConfig& config() const { return cfg_; }
  size_t queued() const { return read_q_.size() + write_q_.size() + pending_; }
  void set_command_log(std::vector<DramCommand>* log) { log_ = log; }
  // The hit-run fast paths (per burst, and the closed form over a block of hits) give the same results as
  // the general scheduler; tests switch them off to prove it.
  void set_fast_path(bool on) {
    stream_fast_path_ = on && fast_path_allowed_;
    closed_form_ = stream_fast_path_ && closed_form_allowed_;
  }
  void set_closed_form(bool on) { closed_form_ = on && stream_fast_path_ && closed_form_allowed_; }
  bool closed_form_enabled() const { return closed_form_; }
  // The scheduler skips candidates whose lower bound (last plan, or the rank's activate spacing for a
  // miss) cannot beat its best so far: the same pick without planning them. Tests switch it off to prove it.
  void set_scan_bounds(bool on) { scan_bounds_ = on; }
  // Candidates the bounds let the scheduler skip so far (for tests: how much of a mix they took).
  uint64_t scan_skips() const { return scan_skips_; }
  // Bursts served by the closed form so far (for tests and the benchmark: how much of a stream it took).
  uint64_t closed_form_bursts() const { return closed_form_bursts_; }
  // Writes served by the write-drain fast path so far (for tests: how much of a mix it took).
  uint64_t fast_path_writes() const { return fast_path_writes_; }

 private:
  struct Bank {
    int64_t open_row = -1;
    uint64_t next_act = 0, next_pre = 0, next_col = 0;
    uint64_t close_at = RowPolicy::kNever;  // when the row policy precharges the idle open row
    uint32_t hit_streak = 0;
    // Bumped by every command scheduled to the bank and by refresh: the only changes that can make a queued
    // request's plan earlier (its row opened, or the row timer moved). Between bumps every other constraint
    // a plan reads only moves later, so a plan made earlier is a lower bound for the plan now.
    uint64_t epoch = 0;
  };
  struct Rank {
    std::array<uint64_t, 4> faw{};  // last four activates (ring)
    uint32_t faw_pos = 0;
    uint64_t acts = 0;
    // The earliest cycle each rank-wide spacing rule lets the next command of its kind issue (0 before the
    // first command the rule counts from): ACT after an ACT (tRRD_S; tRRD_L in the same bank group), a
    // column command after one (tCCD_S / tCCD_L), a read after write data (tWTR_S / tWTR_L), a write after a
    // read (tRTW). Kept as ready times, so planning a request is a few max() and no tests.
    uint64_t rrd_s_ready = 0, ccd_s_ready = 0, wtr_s_ready = 0, rtw_ready = 0;
    std::vector<uint64_t> rrd_l_ready_bg, ccd_l_ready_bg, wtr_l_ready_bg;
    uint64_t next_refresh = 0;
    uint32_t refresh_bank = 0;  // per-bank refresh: the bank whose turn is next
    uint64_t last_refsb = 0;    // per-bank refresh: when the last REFSB issued (tRREFD counts from it)
    bool refsb_issued = false;
  };
  struct Queued {
    DramRequest req;
    DecodedAddr a;
    uint32_t bank;  // index into banks_ (bank_index(a)), found once at admission
    uint64_t admitted;
    uint64_t chain;  // reads admitted one after another at consecutive addresses share a chain number
    // The column cycle of this request's last plan and its bank's epoch then (scan bounds, Candidates).
    mutable uint64_t planned_col = 0, planned_epoch = UINT64_MAX;
  };

  // When each command of a request would issue if it were scheduled now.
  struct Plan {
    bool hit = false;
    bool timed_out = false;  // the row policy closed the bank's idle row before this request came
    uint64_t pre = 0, act = 0, col = 0, first_cmd = 0, data_end = 0;
  };
  class Candidates;  // the SchedulerQueue the scheduler sees
  Plan plan(const Queued& q) const;
  size_t bank_index(const DecodedAddr& a) const {
    return (size_t(a.rank) * cfg_.org.bank_groups + a.bg) * cfg_.org.banks_per_group + a.bank;
  }
  const Bank& bank(const DecodedAddr& a) const { return banks_[bank_index(a)]; }
  Bank& bank(const DecodedAddr& a) { return banks_[bank_index(a)]; }
  const Bank& bank(const Queued& q) const { return banks_[q.bank]; }
  Bank& bank(const Queued& q) { return banks_[q.bank]; }
  Queued queued(const DramRequest& r, uint64_t admitted) const {
    const DecodedAddr a = decode(r.addr);
    return Queued{r, a, uint32_t(bank_index(a)), admitted, read_chain_};
  }
  // What row-hit reads leave behind (the fast paths' bookkeeping, the same as schedule()'s for them):
  // `visits` hits to one bank in group `bg`, the last at column cycle `last`; then `count` hits on the
  // rank, the last at `last`.
  void note_bank_hits(Bank& b, uint32_t bg, uint32_t visits, uint64_t last);
  void note_read_hits(uint64_t count, uint64_t last);
  void admit();
  // Whether the next submitted request arrives before `cycle` and its queue has room to take it then.
  bool arrives_before(uint64_t cycle) const {
    if (incoming_.empty()) return false;
    const Run& next = incoming_.front();
    return next.arrival < cycle && next.arrival > now_ &&
           (next.write ? write_q_.size() < write_cap_ : read_q_.size() < read_cap_);
  }
  size_t serve_hit_run(size_t keep, const std::function<void(const DramCompletion&)>& on_done);
  // The same for a write drain: the oldest write is a row hit at the lower bound every write obeys.
  size_t serve_write_hit_run(size_t keep, const std::function<void(const DramCompletion&)>& on_done);
  void init_closed_form();
  struct Block {
    size_t served = 0;
    bool keep_stop = false;  // the per-burst loop would stop here for `keep`
  };
  Block serve_hit_block(size_t keep, const std::function<void(const DramCompletion&)>& on_done);
  uint64_t read_chain_ = 0, read_chain_next_ = UINT64_MAX;  // the last admitted read's chain, next address
  bool stream_fast_path_ = false, fast_path_allowed_ = false;
  // The closed form (serve_hit_block): allowed when the lowest burst-address bits are exactly the bank and
  // bank-group bits and a block of hits is bus-bound (see the constructor).
  bool closed_form_ = false, closed_form_allowed_ = false;
  uint64_t closed_form_bursts_ = 0;
  uint64_t fast_path_writes_ = 0;
  bool scan_bounds_ = true;
  mutable uint64_t scan_skips_ = 0;
  uint64_t block_step_ = 0;       // cycles between column commands of a bus-bound block: max(tCCD_S, BL/2)
  uint32_t block_banks_ = 1;      // bursts before the block returns to the same bank (2^(bank + BG bits))
  uint32_t block_row_shift_ = 0;  // lowest burst-address bit above the bank and column bits (row, rank)
  uint32_t block_cooldown_ = 0;   // bursts to serve per burst before trying the closed form again
  std::vector<uint32_t> block_bank_of_, block_bg_of_;  // bank index and bank group of each low-bits value
  void run_while(size_t keep, const std::function<void(const DramCompletion&)>& on_done);
  // Issues the refreshes that have fallen due by now_ (most calls find none: a test of one number).
  void refresh_if_due() {
    if (now_ >= next_refresh_any_) refresh_due();
  }
  void refresh_due();
  uint64_t next_refresh_any_ = 0;  // the earliest next_refresh of the ranks
  void refresh(Rank& r, uint32_t rank_index);
  size_t pick(RingQueue<Queued>& q, Plan& chosen);
  uint64_t column_lower_bound(bool write) const;
  DramCompletion schedule(const Queued& q, const Plan& p);

  // Where each address field's bits sit in the burst address: up to four pieces per field (a bit order may
  // split a field, as PG313 splits the bank group), low pieces first.
  struct FieldBits {
    uint32_t n = 0;
    uint32_t shift[4] = {}, dst[4] = {};
    uint64_t mask[4] = {};
    uint32_t gather(uint64_t x) const {
      if (n == 1) return uint32_t((x >> shift[0]) & mask[0]);  // the named mappings: one piece per field
      uint64_t v = 0;
      for (uint32_t i = 0; i < n; ++i) v |= ((x >> shift[i]) & mask[i]) << dst[i];
      return uint32_t(v);
    }
  };
  struct Layout {
    FieldBits rank, row, bank, bg, col;
  };
  static Layout make_layout(const DramConfig& cfg);

  DramConfig cfg_;
  Layout layout_;
  std::unique_ptr<DramScheduler> scheduler_;
  uint64_t row_close_;  // RowPolicy::idle_close_cycles()
  RefreshScheme refresh_scheme_;
  // Timing in cycles, derived once.
  uint64_t burst_cycles_, tRFC_, tREFI_, ctrl_latency_, tRTW_;
  uint64_t tRCDWR_ = 0, tRREFD_ = 0;  // ACT to write (tRCD where the standard has one delay); REFSB spacing
  uint32_t burst_bytes_, burst_shift_, read_cap_, write_cap_;
  std::vector<Bank> banks_;
  std::vector<Rank> ranks_;
  struct Run {
    uint64_t first_id, arrival, addr;
    uint32_t count;
    bool write;
  };
  RingQueue<Run> incoming_;  // submitted, not yet admitted (runs of consecutive bursts)
  size_t pending_ = 0;       // requests in incoming_
  RingQueue<Queued> read_q_, write_q_;
  bool draining_writes_ = false;
  uint32_t head_bypassed_ = 0;
  uint64_t now_ = 0;
  uint64_t bus_free_ = 0;
  int32_t bus_rank_ = -1;
  DramStats stats_;
  std::vector<DramCommand>* log_ = nullptr;
  void log(uint64_t cycle, DramCmd c, const DecodedAddr& a) {
    if (log_) log_->push_back({cycle, c, a.rank, a.bg, a.bank, a.row});
  }
};

}  // namespace prunesim::models
