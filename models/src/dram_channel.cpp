#include "prunesim/models/dram_channel.h"

#include <algorithm>

namespace prunesim::models {

DramChannel::DramChannel(const DramConfig& cfg) : cfg_(cfg) {
  const DramTiming& t = cfg_.timing;
  burst_cycles_ = t.BL / 2;  // double data rate
  burst_bytes_ = cfg_.org.burst_bytes(t.BL);
  burst_shift_ = uint32_t(__builtin_ctzll(burst_bytes_));
  layout_ = make_layout(cfg_);
  read_cap_ = cfg_.ctrl.read_queue;
  write_cap_ = cfg_.ctrl.write_queue;
  scheduler_ = make_scheduler(cfg_);
  row_close_ = make_row_policy(cfg_)->idle_close_cycles();
  refresh_scheme_ = make_refresh_policy(cfg_)->scheme(cfg_, cfg_.org.bank_groups * cfg_.org.banks_per_group);
  tRFC_ = refresh_scheme_.duration;
  tREFI_ = refresh_scheme_.interval;
  ctrl_latency_ = ns_to_cycles(cfg_.ctrl.controller_latency_ns);
  tRCDWR_ = t.tRCDWR ? t.tRCDWR : t.tRCD;
  tRREFD_ = ns_to_cycles(t.tRREFD_ns);
  // The hit-run fast path assumes one rank, open pages, no closer spacing than a burst, and a scheduler
  // that picks the oldest request when it is a hit at the lower bound.
  fast_path_allowed_ =
      cfg_.org.ranks == 1 && row_close_ == RowPolicy::kNever && scheduler_->head_at_floor_wins();
  stream_fast_path_ = fast_path_allowed_;
  init_closed_form();
  // Read-to-write command spacing (JESD79-4): RL + BL/2 - WL + 2 tCK of bus turnaround.
  tRTW_ = t.CL + burst_cycles_ + 2 > t.CWL ? t.CL + burst_cycles_ + 2 - t.CWL : 1;
  const DramOrg& o = cfg_.org;
  banks_.resize(size_t(o.ranks) * o.bank_groups * o.banks_per_group);
  ranks_.resize(o.ranks);
  for (uint32_t r = 0; r < o.ranks; ++r) {
    Rank& rk = ranks_[r];
    rk.rrd_l_ready_bg.assign(o.bank_groups, 0);
    rk.ccd_l_ready_bg.assign(o.bank_groups, 0);
    rk.wtr_l_ready_bg.assign(o.bank_groups, 0);
    // Stagger ranks' refresh so they do not all block the bus at once.
    rk.next_refresh = tREFI_ + r * (tREFI_ / o.ranks);
  }
  next_refresh_any_ = tREFI_;  // rank 0's, the earliest
}

DramChannel::Layout DramChannel::make_layout(const DramConfig& cfg) {
  // The bit order, MSB first, laid out from the burst address's bit 0 upward (mapping_order has checked it:
  // every field's bits exactly, in at most four pieces).
  const std::vector<BitField> order = mapping_order(cfg);
  Layout l;
  uint32_t pos = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    FieldBits& f = it->field == 'K'   ? l.rank
                   : it->field == 'R' ? l.row
                   : it->field == 'B' ? l.bank
                   : it->field == 'G' ? l.bg
                                      : l.col;
    const uint32_t dst = f.n ? f.dst[f.n - 1] + uint32_t(__builtin_popcountll(f.mask[f.n - 1])) : 0;
    f.shift[f.n] = pos;
    f.dst[f.n] = dst;
    f.mask[f.n] = (uint64_t(1) << it->bits) - 1;
    ++f.n;
    pos += it->bits;
  }
  return l;
}

void DramChannel::init_closed_form() {
  // The closed form serves a block of consecutive bursts that are all row hits, one column command every
  // `step` cycles. It is exact when nothing inside the block can hold a burst back:
  //  - the lowest burst-address bits are exactly the bank and bank-group bits, so the block visits the banks
  //    round-robin with period 2^(those bits) and each bank's bursts share its open row until a bit above
  //    the columns changes (the MIG ROW_COLUMN_BANK order);
  //  - same-bank and same-group revisits lie at least tCCD_L apart at that step.
  // Otherwise (e.g. row_bank_column, where consecutive bursts share a bank) the per-burst paths serve.
  const DramTiming& t = cfg_.timing;
  const DramOrg& o = cfg_.org;
  const uint32_t bank_bits = uint32_t(__builtin_ctz(o.bank_groups) + __builtin_ctz(o.banks_per_group));
  auto top = [](const FieldBits& f, uint32_t i) {
    return f.shift[i] + uint32_t(__builtin_popcountll(f.mask[i]));
  };
  bool low = true;
  for (const FieldBits* f : {&layout_.bank, &layout_.bg})
    for (uint32_t i = 0; i < f->n; ++i) low &= top(*f, i) <= bank_bits;
  // Same-group distance: 2^(bank-group bits at the very bottom); one if a bank bit is lowest.
  uint32_t bg_low = 0;
  for (bool more = true; more;) {
    more = false;
    for (uint32_t i = 0; i < layout_.bg.n; ++i)
      if (layout_.bg.shift[i] == bg_low && layout_.bg.mask[i]) bg_low = top(layout_.bg, i), more = true;
  }
  block_banks_ = 1u << bank_bits;
  block_step_ = std::max<uint64_t>(t.tCCD_S, burst_cycles_);
  block_row_shift_ = 64;
  for (const FieldBits* f : {&layout_.row, &layout_.rank})
    for (uint32_t i = 0; i < f->n; ++i) block_row_shift_ = std::min(block_row_shift_, f->shift[i]);
  closed_form_allowed_ = fast_path_allowed_ && low && block_row_shift_ < 64 &&
                         uint64_t(block_banks_) * block_step_ >= t.tCCD_L &&
                         (uint64_t(1) << bg_low) * block_step_ >= t.tCCD_L;
  closed_form_ = closed_form_allowed_;
  block_bank_of_.resize(block_banks_);
  block_bg_of_.resize(block_banks_);
  for (uint32_t v = 0; v < block_banks_; ++v) {
    const DecodedAddr a = decode(uint64_t(v) << burst_shift_);
    block_bank_of_[v] = uint32_t(bank_index(a));
    block_bg_of_[v] = a.bg;
  }
}

DramChannel::Block DramChannel::serve_hit_block(size_t keep,
                                                const std::function<void(const DramCompletion&)>& on_done) {
  // A block is a chain of reads at consecutive addresses: the read queue when it holds exactly such a
  // chain, then the submitted runs that continue it and have already arrived. With no write queued, one
  // rank and open pages: if burst j of the block can issue its column command at F + j*step, where F is
  // the earliest any candidate can (every one obeys the rank's lower bound and was admitted no earlier than
  // the oldest), the per-burst scheduler would pick the oldest every time and place it exactly there. So a
  // block costs a check and an update per bank, not per burst. It ends before a refresh falls due, at a row
  // boundary, at a bank that cannot issue in time, where `keep` would stop the per-burst loop, or before a
  // request outside the chain could be admitted; the bursts left are queued as the per-burst path would
  // have admitted them.
  Block none;
  if (log_ || !write_q_.empty()) return none;
  const DramTiming& t = cfg_.timing;
  Rank& rk = ranks_[0];
  const uint64_t q0 = read_q_.size();
  uint64_t base, admitted0, next_addr;
  if (q0) {
    const Queued &h = read_q_.front(), &b = read_q_.back();
    if (b.chain != h.chain || b.req.addr - h.req.addr != (q0 - 1) * burst_bytes_) return none;
    base = h.req.addr, admitted0 = h.admitted, next_addr = b.req.addr + burst_bytes_;
  } else {
    if (incoming_.empty()) return none;
    base = next_addr = incoming_.front().addr, admitted0 = now_;
  }
  const uint64_t step = block_step_, burst0 = base >> burst_shift_;
  const uint64_t F = std::max(column_lower_bound(false), admitted0);
  if (now_ > F + step) return none;  // a queued burst might have been admitted after its slot
  // First visit of each bank: its row must be open and nothing left from before may delay burst j past its
  // slot F + j*step. Burst 0 is tested before the scan of the submitted runs, so a block that cannot start
  // costs little.
  const int64_t row = int64_t(layout_.row.gather(burst0));
  const uint64_t mask = block_banks_ - 1;
  auto first_visit_in_time = [&](uint64_t j) {
    const uint32_t v = uint32_t((burst0 + j) & mask), g = block_bg_of_[v];
    const Bank& b = banks_[block_bank_of_[v]];
    const uint64_t col = F + j * step;
    return b.open_row == row && b.next_col <= col && rk.ccd_l_ready_bg[g] <= col &&
           rk.wtr_l_ready_bg[g] <= col;
  };
  if (!first_visit_in_time(0)) return none;
  // The runs that continue the chain: already arrived, reads, each starting where the last ends. The scan
  // stops once the chain reaches past the row set by a queue's worth: every limit below is then set by the
  // row set, as it would be by the whole chain (the block never leaves the row set).
  const uint64_t row_set_left = (((burst0 >> block_row_shift_) + 1) << block_row_shift_) - burst0;
  const uint64_t enough = row_set_left + read_cap_;
  uint64_t in_chain = 0;  // bursts
  size_t runs = 0;
  for (; runs < incoming_.size() && in_chain < enough; ++runs) {
    const Run& r = incoming_[runs];
    if (r.write || r.arrival > now_ || r.addr != next_addr) break;
    in_chain += r.count;
    next_addr += uint64_t(r.count) * burst_bytes_;
  }
  // First request not in the chain (or, past `enough`, one that is: its limit cannot bind).
  const Run* next = runs < incoming_.size() ? &incoming_[runs] : nullptr;
  if (q0 && in_chain && q0 != read_cap_) return none;  // admit() fills the queue before the chain waits
  // admit() takes `virt` at once into an empty queue; after that one burst per burst served (`rest`).
  const uint64_t virt = q0 ? 0 : std::min<uint64_t>(in_chain, read_cap_);
  const uint64_t rest = in_chain - virt;
  const uint64_t n = q0 + in_chain;
  if (n < 2) return none;

  uint64_t m = std::min(n, row_set_left);
  // The per-burst path serves burst j while the refresh is not yet due at the previous one's command.
  const uint64_t R = rk.next_refresh;
  if (R <= now_) return none;
  m = std::min(m, 1 + (R - std::min(R, F) + step - 1) / step);
  // After burst j is served admit() takes the chain's next burst (j < rest) or else the next request, if it
  // has arrived by then: stop before that could happen.
  if (next) m = std::min(m, std::max(rest, next->arrival > F ? (next->arrival - F + step - 1) / step : 0));
  // The per-burst loop stops after a burst that leaves `keep` or fewer unadmitted.
  const uint64_t unadmitted = pending_ - virt;
  if (keep) {
    if (unadmitted <= keep)
      m = std::min<uint64_t>(m, 1);
    else if (unadmitted - keep <= rest)
      m = std::min(m, unadmitted - keep + 1);
  }
  for (uint64_t j = 1; j < std::min<uint64_t>(m, block_banks_); ++j)
    if (!first_visit_in_time(j)) {
      m = j;
      break;
    }
  if (m < 2) return none;

  // Serve bursts 0 .. m-1: burst j's column command at F + j*step.
  const uint64_t last = F + (m - 1) * step;
  for (uint64_t j = 0; j < std::min<uint64_t>(m, block_banks_); ++j) {
    const uint32_t v = uint32_t((burst0 + j) & mask), g = block_bg_of_[v];
    Bank& b = banks_[block_bank_of_[v]];
    const uint64_t visits = (m - 1 - j) / block_banks_ + 1;
    note_bank_hits(b, g, uint32_t(visits), F + (j + (visits - 1) * block_banks_) * step);
  }
  const uint64_t now_before = now_;
  note_read_hits(m, last);
  closed_form_bursts_ += m;
  const uint64_t data_delay = t.CL + burst_cycles_ + ctrl_latency_;
  auto done = [&](uint64_t j, uint64_t id, uint64_t arrival) {
    DramCompletion c;
    c.id = id, c.arrival = arrival, c.row_hit = true, c.done = F + j * step + data_delay;
    on_done(c);
  };
  if (on_done)
    for (uint64_t j = 0; j < std::min(m, q0); ++j) done(j, read_q_[j].req.id, read_q_[j].req.arrival);
  read_q_.pop_front(std::min(m, q0));

  // Out of incoming_: `virt` at once, then one after each burst served but the last when `keep` stopped it.
  Block out;
  out.served = size_t(m);
  out.keep_stop = keep && unadmitted - std::min(m - 1, rest) <= keep;
  const uint64_t taken = virt + std::min(m - (out.keep_stop ? 1 : 0), rest);
  if (taken) {  // the chain numbering admit() would give them
    if (incoming_.front().addr != read_chain_next_) ++read_chain_;
    read_chain_next_ = incoming_.front().addr + taken * burst_bytes_;
  }
  for (uint64_t k = 0; k < taken;) {
    Run& f = incoming_.front();
    const uint64_t here = std::min<uint64_t>(f.count, taken - k);
    // Bursts k .. k+here-1 sit at q0+k .. in the block: those before m were served, the rest are queued.
    const uint64_t served_here = std::min(here, m > q0 + k ? m - q0 - k : 0);
    if (on_done)
      for (uint64_t i = 0; i < served_here; ++i) done(q0 + k + i, f.first_id + i, f.arrival);
    for (uint64_t i = served_here; i < here; ++i) {
      const uint64_t kk = k + i;
      const uint64_t admitted = kk < virt ? now_before : std::max(now_before, F + (kk - virt) * step);
      const DramRequest r{f.first_id + i, f.arrival, f.addr + i * burst_bytes_, false};
      read_q_.push_back(queued(r, admitted));
    }
    k += here;
    f.first_id += here, f.addr += here * burst_bytes_, f.count -= uint32_t(here);
    pending_ -= here;
    if (f.count == 0) incoming_.pop_front();
  }
  // After the last burst the per-burst path admits all it can, not only the chain: a request after the
  // chain that has arrived joins its queue now when that queue has room (a write run behind a read run).
  if (!out.keep_stop) admit();
  return out;
}

void DramChannel::admit() {
  while (!incoming_.empty() && incoming_.front().arrival <= now_) {
    Run& run = incoming_.front();
    const DramRequest r{run.first_id, run.arrival, run.addr, run.write};
    auto& q = r.write ? write_q_ : read_q_;
    const uint32_t cap = r.write ? write_cap_ : read_cap_;
    if (q.size() >= cap) break;  // full queue pushes back; arrivals stay in order
    if (!r.write) {
      if (r.addr != read_chain_next_) ++read_chain_;
      read_chain_next_ = r.addr + burst_bytes_;
    }
    q.push_back(queued(r, now_));
    --pending_;
    if (--run.count == 0) {
      incoming_.pop_front();
    } else {
      ++run.first_id;
      run.addr += burst_bytes_;
    }
  }
}

void DramChannel::refresh(Rank& rk, uint32_t rank_index) {
  // One REF command: all banks of the rank (REFab) or the one whose turn it is (REFSB). The banks it covers
  // are precharged once each may be, then blocked for the refresh time; the others keep serving.
  const DramOrg& o = cfg_.org;
  const uint32_t per_rank = o.bank_groups * o.banks_per_group;
  const bool all = refresh_scheme_.all_banks;
  const size_t first = size_t(rank_index) * per_rank + (all ? 0 : rk.refresh_bank);
  const size_t count = all ? per_rank : 1;
  uint64_t start = rk.next_refresh;
  bool any_open = false;
  for (size_t b = first; b < first + count; ++b) {
    start = std::max(start, banks_[b].open_row >= 0 ? banks_[b].next_pre : banks_[b].next_act);
    any_open |= banks_[b].open_row >= 0;
  }
  uint64_t ref = start + (any_open ? cfg_.timing.tRP : 0);
  if (!all) {
    // A REFSB is spaced from activates as another activate would be (JESD235: ACT to REFSB of another
    // bank >= tRRD; Ramulator 2 counts nRRDS / nRRDL), so every ACT already placed comes before it and the
    // tRREFD below holds for all the others. HBM2 tRREFD: it also waits that long after the previous REFSB.
    ref = std::max({ref, rk.rrd_s_ready, rk.rrd_l_ready_bg[rk.refresh_bank / o.banks_per_group]});
    if (rk.refsb_issued) ref = std::max(ref, rk.last_refsb + tRREFD_);
  }
  const DecodedAddr where_{rank_index, all ? 0 : rk.refresh_bank / o.banks_per_group,
                           all ? 0 : rk.refresh_bank % o.banks_per_group, 0, 0};
  if (any_open) {
    ++stats_.precharges;
    log(start, all ? DramCmd::PreAll : DramCmd::Pre, where_);
  }
  log(ref, DramCmd::Ref, where_);
  for (size_t b = first; b < first + count; ++b) {
    banks_[b].open_row = -1;
    banks_[b].hit_streak = 0;
    ++banks_[b].epoch;
    banks_[b].next_act = std::max(banks_[b].next_act, ref + tRFC_);
  }
  if (!all && tRREFD_) {
    // ... and so does an ACT to any other bank of the rank.
    const size_t rank_first = size_t(rank_index) * per_rank;
    for (size_t b = rank_first; b < rank_first + per_rank; ++b)
      if (b != first) banks_[b].next_act = std::max(banks_[b].next_act, ref + tRREFD_);
  }
  if (!all) rk.last_refsb = ref, rk.refsb_issued = true;
  ++stats_.refreshes;
  rk.next_refresh += tREFI_;
  if (!all) rk.refresh_bank = (rk.refresh_bank + 1) % per_rank;
}

void DramChannel::refresh_due() {
  for (uint32_t r = 0; r < ranks_.size(); ++r) {
    Rank& rk = ranks_[r];
    if (rk.next_refresh > now_) continue;
    // Refreshes that fell entirely inside idle time cost nothing but must be counted.
    if (now_ > rk.next_refresh + tREFI_ + tRFC_) {
      const uint64_t skipped = (now_ - rk.next_refresh) / tREFI_;
      stats_.refreshes += skipped;
      rk.next_refresh += skipped * tREFI_;
      if (!refresh_scheme_.all_banks) {
        const uint64_t banks = uint64_t(cfg_.org.bank_groups) * cfg_.org.banks_per_group;
        rk.refresh_bank = uint32_t((rk.refresh_bank + skipped) % banks);
      }
    }
    while (rk.next_refresh <= now_) refresh(rk, r);
  }
  next_refresh_any_ = UINT64_MAX;
  for (const Rank& rk : ranks_) next_refresh_any_ = std::min(next_refresh_any_, rk.next_refresh);
}

DramChannel::Plan DramChannel::plan(const Queued& q) const {
  const DramTiming& t = cfg_.timing;
  const DecodedAddr& a = q.a;
  const Bank& b = bank(q);
  const Rank& rk = ranks_[a.rank];
  const bool write = q.req.write;
  Plan p;
  // A queued request's row commands may be prepared from the moment it entered the queue, so precharges and
  // activates overlap the column commands of requests scheduled before it; column commands stay in order.
  const uint64_t earliest = q.admitted;
  // The row policy may have closed the idle row before this request came (timeout; closed page closes at
  // once).
  const bool open = b.open_row >= 0 && earliest < b.close_at;
  p.timed_out = b.open_row >= 0 && !open;
  if (open && b.open_row == int64_t(a.row)) {
    p.hit = true;
    p.col = std::max(earliest, b.next_col);
  } else {
    uint64_t act_ready = earliest;
    if (p.timed_out) {
      p.pre = std::max(b.close_at, b.next_pre);
      act_ready = std::max(earliest, p.pre + t.tRP);
    } else if (b.open_row >= 0) {
      p.pre = std::max(earliest, b.next_pre);
      act_ready = p.pre + t.tRP;
    }
    uint64_t act = std::max(act_ready, b.next_act);
    act = std::max({act, rk.rrd_s_ready, rk.rrd_l_ready_bg[a.bg]});
    if (rk.acts >= 4) act = std::max(act, rk.faw[rk.faw_pos] + t.tFAW);  // oldest of the last four
    p.act = act;
    p.first_cmd = b.open_row >= 0 && !p.timed_out ? p.pre : act;
    p.col = act + (write ? tRCDWR_ : t.tRCD);
  }
  // Column-command constraints shared by the rank.
  uint64_t col = p.col;
  col = std::max({col, rk.ccd_s_ready, rk.ccd_l_ready_bg[a.bg]});
  if (write)
    col = std::max(col, rk.rtw_ready);
  else
    col = std::max({col, rk.wtr_s_ready, rk.wtr_l_ready_bg[a.bg]});
  // Data bus: one burst at a time, plus a switch gap between ranks.
  const uint64_t latency = write ? t.CWL : t.CL;
  const uint64_t bus_ready = bus_free_ + (bus_rank_ >= 0 && uint32_t(bus_rank_) != a.rank ? t.tRTRS : 0);
  if (col + latency < bus_ready) col = bus_ready - latency;
  p.col = col;
  if (p.hit) p.first_cmd = col;
  p.data_end = col + latency + burst_cycles_;
  return p;
}

uint64_t DramChannel::column_lower_bound(bool write) const {
  // No request of this kind in the single rank can issue its column command earlier than this.
  const DramTiming& t = cfg_.timing;
  const Rank& rk = ranks_[0];
  uint64_t lb = std::max(rk.ccd_s_ready, write ? rk.rtw_ready : rk.wtr_s_ready);
  const uint64_t latency = write ? t.CWL : t.CL;
  if (bus_free_ > latency) lb = std::max(lb, bus_free_ - latency);
  return lb;
}

// The queue as the scheduler sees it: candidates planned on demand, the last plan kept for the one chosen.
class DramChannel::Candidates final : public SchedulerQueue {
 public:
  Candidates(const DramChannel& ch, const RingQueue<Queued>& q)
      : ch_(ch), q_(q), bounds_(ch.scan_bounds_ && ch.cfg_.org.ranks == 1) {
    // With one rank, every plan reads only constraints that move later over time except its own bank's
    // (Bank::epoch), and every miss activates no earlier than the rank's ACT spacing (tRRD_S, tFAW) allows.
    if (!bounds_) return;
    const Rank& rk = ch.ranks_[0];
    uint64_t act = rk.rrd_s_ready;
    if (rk.acts >= 4) act = std::max(act, rk.faw[rk.faw_pos] + ch.cfg_.timing.tFAW);
    miss_floor_ = act + (q[0].req.write ? ch.tRCDWR_ : ch.cfg_.timing.tRCD);
  }
  size_t size() const override { return q_.size(); }
  uint64_t column_cycle(size_t i) override {
    const Queued& q = q_[i];
    last_ = ch_.plan(q);
    q.planned_col = last_.col;
    q.planned_epoch = ch_.bank(q).epoch;
    return last_.col;
  }
  bool cannot_beat(size_t i, uint64_t col) const override {
    if (!bounds_) return false;
    const Queued& q = q_[i];
    const Bank& b = ch_.bank(q);
    const bool hit = b.open_row == int64_t(q.a.row) && q.admitted < b.close_at;
    const bool skip = (q.planned_epoch == b.epoch && q.planned_col >= col) || (!hit && miss_floor_ >= col);
    ch_.scan_skips_ += skip;
    return skip;
  }
  uint32_t hit_streak(size_t i) const override {
    const Bank& b = ch_.bank(q_[i]);
    return b.open_row == int64_t(q_[i].a.row) ? b.hit_streak : 0;
  }
  // With one rank, nothing of this kind can issue its column command earlier (several ranks: no bound).
  uint64_t floor() const override {
    return ch_.cfg_.org.ranks == 1 ? ch_.column_lower_bound(q_[0].req.write) : 0;
  }
  uint32_t head_bypassed() const override { return ch_.head_bypassed_; }
  const Plan& last() const { return last_; }

 private:
  const DramChannel& ch_;
  const RingQueue<Queued>& q_;
  const bool bounds_;
  uint64_t miss_floor_ = 0;
  Plan last_;
};

size_t DramChannel::pick(RingQueue<Queued>& q, Plan& chosen) {
  Candidates view(*this, q);
  const size_t i = scheduler_->pick(view);
  chosen = view.last();
  return i;
}

DramCompletion DramChannel::schedule(const Queued& q, const Plan& p) {
  const DramTiming& t = cfg_.timing;
  const DecodedAddr& a = q.a;
  Bank& b = bank(q);
  Rank& rk = ranks_[a.rank];
  const bool write = q.req.write;
  DramCompletion c;
  c.id = q.req.id;
  c.arrival = q.req.arrival;
  c.write = write;
  c.row_hit = p.hit;
  ++b.epoch;
  if (p.hit) {
    ++stats_.row_hits;
    ++b.hit_streak;
  } else {
    if (p.timed_out) {  // precharged by the row policy while idle: a miss, not a conflict
      ++stats_.row_misses;
      ++stats_.precharges;
      log(p.pre, DramCmd::Pre, a);
    } else if (b.open_row >= 0) {
      ++stats_.row_conflicts;
      ++stats_.precharges;
      log(p.pre, DramCmd::Pre, a);
    } else {
      ++stats_.row_misses;
    }
    rk.faw[rk.faw_pos] = p.act;
    rk.faw_pos = (rk.faw_pos + 1) % 4;
    ++rk.acts;
    rk.rrd_s_ready = std::max(rk.rrd_s_ready, p.act + t.tRRD_S);
    rk.rrd_l_ready_bg[a.bg] = std::max(rk.rrd_l_ready_bg[a.bg], p.act + t.tRRD_L);
    ++stats_.activates;
    log(p.act, DramCmd::Act, a);
    b.open_row = a.row;
    b.close_at = RowPolicy::kNever;
    b.hit_streak = 0;
    b.next_pre = p.act + t.tRAS;
    b.next_act = p.act + t.tRC;
  }
  const uint64_t col = p.col, data_end = p.data_end;
  log(col, write ? DramCmd::Wr : DramCmd::Rd, a);
  // Column commands issue in order, so the latest sets the column spacing.
  rk.ccd_s_ready = col + t.tCCD_S;
  rk.ccd_l_ready_bg[a.bg] = col + t.tCCD_L;
  b.next_col = col + t.tCCD_L;
  if (write) {
    rk.wtr_s_ready = data_end + t.tWTR_S;
    rk.wtr_l_ready_bg[a.bg] = data_end + t.tWTR_L;
    b.next_pre = std::max(b.next_pre, data_end + t.tWR);
    ++stats_.writes;
    stats_.bytes_written += burst_bytes_;
  } else {
    rk.rtw_ready = col + tRTW_;
    b.next_pre = std::max(b.next_pre, col + t.tRTP);
    ++stats_.reads;
    stats_.bytes_read += burst_bytes_;
  }
  if (row_close_ == 0) {
    // Auto-precharge: the bank closes as soon as it may.
    ++stats_.precharges;
    b.next_act = std::max(b.next_act, b.next_pre + t.tRP);
    b.open_row = -1;
  } else if (row_close_ != RowPolicy::kNever) {
    b.close_at = col + row_close_;  // the idle timer restarts with every access
  }
  bus_free_ = data_end;
  bus_rank_ = int32_t(a.rank);
  stats_.busy_data_cycles += burst_cycles_;
  c.done = data_end + ctrl_latency_;
  stats_.last_done = std::max(stats_.last_done, c.done);
  // Decisions move forward with the command stream: the next request is chosen no earlier than this one's
  // first command, so later arrivals can still win the reorder window.
  now_ = std::max(now_, p.first_cmd);
  return c;
}

void DramChannel::run(const std::function<void(const DramCompletion&)>& on_done) {
  run_while(0, on_done);
}

void DramChannel::note_bank_hits(Bank& b, uint32_t bg, uint32_t visits, uint64_t last) {
  const DramTiming& t = cfg_.timing;
  Rank& rk = ranks_[0];
  b.hit_streak += visits;
  b.next_col = last + t.tCCD_L;
  b.next_pre = std::max(b.next_pre, last + t.tRTP);
  // Several banks of a group may be noted out of order (a block); the group keeps the latest.
  rk.ccd_l_ready_bg[bg] = std::max(rk.ccd_l_ready_bg[bg], last + t.tCCD_L);
}

void DramChannel::note_read_hits(uint64_t count, uint64_t last) {
  Rank& rk = ranks_[0];
  rk.ccd_s_ready = last + cfg_.timing.tCCD_S;
  rk.rtw_ready = last + tRTW_;
  stats_.row_hits += count;
  stats_.reads += count;
  stats_.bytes_read += count * burst_bytes_;
  stats_.busy_data_cycles += count * burst_cycles_;
  bus_free_ = last + cfg_.timing.CL + burst_cycles_;
  bus_rank_ = 0;
  stats_.last_done = std::max(stats_.last_done, bus_free_ + ctrl_latency_);
  now_ = std::max(now_, last);
  head_bypassed_ = 0;
}

size_t DramChannel::serve_hit_run(size_t keep, const std::function<void(const DramCompletion&)>& on_done) {
  // The common case of a stream, served without the general machinery: the oldest read is a row hit whose
  // column command can issue at the lower bound every request obeys, so pick() would choose it and plan()
  // would place it exactly there. Each served request updates the same state schedule() would (written out
  // here: calling schedule() costs ~13 % on GPT-2 medium decode; the fast-path equivalence test keeps the two
  // in step); the loop stops at the first request that needs the general path (a miss, a write, a due
  // refresh, an empty queue).
  Rank& rk = ranks_[0];
  size_t served = 0;
  while (!read_q_.empty() && write_q_.empty() && rk.next_refresh > now_) {
    if (closed_form_) {
      if (block_cooldown_ == 0) {
        const Block b = serve_hit_block(keep, on_done);
        if (b.served) {
          served += b.served;
          if (b.keep_stop) break;
          continue;
        }
        block_cooldown_ = std::max(1u, block_banks_ / 4);  // a bank could not issue in time: retry soon
      } else {
        --block_cooldown_;
      }
    }
    const Queued& h = read_q_.front();
    const DecodedAddr& a = h.a;
    Bank& b = bank(h);
    if (b.open_row != int64_t(a.row)) break;
    const uint64_t lb = column_lower_bound(false);
    uint64_t col = std::max({lb, b.next_col, h.admitted});
    col = std::max({col, rk.ccd_l_ready_bg[a.bg], rk.wtr_l_ready_bg[a.bg]});
    // Another request might go first, or an arrival be admitted earlier than this loop would admit it.
    if (arrives_before(col) || (col != lb && read_q_.size() > 1)) break;
    log(col, DramCmd::Rd, a);
    note_bank_hits(b, a.bg, 1, col);
    note_read_hits(1, col);
    DramCompletion c;
    c.id = h.req.id;
    c.arrival = h.req.arrival;
    c.row_hit = true;
    c.done = bus_free_ + ctrl_latency_;
    read_q_.pop_front();
    if (on_done) on_done(c);
    ++served;
    if (keep && pending_ <= keep) break;  // as run_while's own test, before admitting
    admit();
    if (write_q_.size() >= cfg_.ctrl.write_high_watermark) draining_writes_ = true;
  }
  return served;
}

size_t DramChannel::serve_write_hit_run(size_t keep,
                                        const std::function<void(const DramCompletion&)>& on_done) {
  // Writes drained into open rows, without the general machinery: the oldest write is a row hit whose
  // column command can issue at the lower bound every write obeys, so pick() would choose it and plan()
  // place it exactly there. Each served write updates what schedule() would; the loop stops where
  // run_while would do anything else (a miss, a due refresh, the drain ending, both queues empty, `keep`).
  const DramTiming& t = cfg_.timing;
  Rank& rk = ranks_[0];
  size_t served = 0;
  while (!write_q_.empty() && rk.next_refresh > now_) {
    const Queued& h = write_q_.front();
    const DecodedAddr& a = h.a;
    Bank& b = bank(h);
    if (b.open_row != int64_t(a.row)) break;
    const uint64_t lb = column_lower_bound(true);
    const uint64_t col = std::max({lb, b.next_col, h.admitted, rk.ccd_l_ready_bg[a.bg]});
    if (arrives_before(col) || (col != lb && write_q_.size() > 1)) break;
    log(col, DramCmd::Wr, a);
    const uint64_t data_end = col + t.CWL + burst_cycles_;
    ++stats_.row_hits, ++b.hit_streak, ++b.epoch;
    rk.ccd_s_ready = col + t.tCCD_S;
    rk.ccd_l_ready_bg[a.bg] = col + t.tCCD_L;
    b.next_col = col + t.tCCD_L;
    rk.wtr_s_ready = data_end + t.tWTR_S;
    rk.wtr_l_ready_bg[a.bg] = data_end + t.tWTR_L;
    b.next_pre = std::max(b.next_pre, data_end + t.tWR);
    ++stats_.writes;
    stats_.bytes_written += burst_bytes_;
    bus_free_ = data_end;
    bus_rank_ = 0;
    stats_.busy_data_cycles += burst_cycles_;
    DramCompletion c;
    c.id = h.req.id;
    c.arrival = h.req.arrival;
    c.write = true;
    c.row_hit = true;
    c.done = data_end + ctrl_latency_;
    stats_.last_done = std::max(stats_.last_done, c.done);
    now_ = std::max(now_, col);
    head_bypassed_ = 0;
    write_q_.pop_front();
    if (on_done) on_done(c);
    ++served, ++fast_path_writes_;
    // What run_while's next turn does before it would decide: stop, admit, refresh, the drain test.
    if (keep && pending_ <= keep) break;
    if (read_q_.empty() && write_q_.empty()) break;
    admit();
    if (write_q_.size() >= cfg_.ctrl.write_high_watermark) draining_writes_ = true;
    if (draining_writes_ && write_q_.size() <= cfg_.ctrl.write_low_watermark) draining_writes_ = false;
    if (!draining_writes_ && !read_q_.empty()) break;
  }
  return served;
}

void DramChannel::run_ahead(const std::function<void(const DramCompletion&)>& on_done) {
  // Admission moves at most a queue's worth at a time, so with this many arrivals still pending every step
  // sees exactly what it would see with all of them submitted.
  run_while(size_t(cfg_.ctrl.read_queue) + cfg_.ctrl.write_queue, on_done);
}

void DramChannel::run_while(size_t keep, const std::function<void(const DramCompletion&)>& on_done) {
  while (pending_ > keep || (keep == 0 && (!read_q_.empty() || !write_q_.empty()))) {
    if (read_q_.empty() && write_q_.empty()) {
      now_ = std::max(now_, incoming_.front().arrival);
      // A run of reads into open rows: served in closed form straight from the submitted run, no queue
      // entry per burst (admission and refresh commute: neither reads what the other writes).
      if (closed_form_) {
        refresh_if_due();
        draining_writes_ = false;  // what the drain test below does with no write queued
        const Block b = serve_hit_block(keep, on_done);
        if (b.served) {
          // Where the per-burst path would be now: inside serve_hit_run's loop, or (keep) stopping.
          if (!b.keep_stop) serve_hit_run(keep, on_done);
          continue;
        }
      }
    }
    admit();
    refresh_if_due();
    if (read_q_.empty() && write_q_.empty()) {
      // Both queues empty yet arrivals blocked cannot happen (admit fills an empty queue); guard anyway.
      if (!incoming_.empty()) now_ = std::max(now_, incoming_.front().arrival);
      continue;
    }
    // Write drain with hysteresis; writes also go when no read waits.
    if (write_q_.size() >= cfg_.ctrl.write_high_watermark) draining_writes_ = true;
    if (draining_writes_ && write_q_.size() <= cfg_.ctrl.write_low_watermark) draining_writes_ = false;
    const bool serve_write = !write_q_.empty() && (draining_writes_ || read_q_.empty());
    auto& q = serve_write ? write_q_ : read_q_;
    // Both fast paths start from an oldest request that is a row hit (a closed-form block too): at a row
    // change, most turns here, there is nothing for them to try.
    if (stream_fast_path_ && bank(q.front()).open_row == int64_t(q.front().a.row) &&
        (serve_write ? serve_write_hit_run(keep, on_done) : serve_hit_run(keep, on_done)))
      continue;
    Plan p;
    const size_t i = pick(q, p);
    // A request arriving before the chosen column command issues takes part in the decision, as it would
    // at a real controller's next cycle: committing now would make one request waiting on a busy bank hold
    // every later arrival behind it (head-of-line blocking that no JEDEC rule requires).
    if (arrives_before(p.col)) {
      now_ = std::max(now_, incoming_.front().arrival);
      continue;
    }
    head_bypassed_ = i == 0 ? 0 : head_bypassed_ + 1;
    const Queued chosen = q[i];
    if (i == 0)
      q.pop_front();
    else
      q.erase_at(i);
    const DramCompletion c = schedule(chosen, p);
    if (on_done) on_done(c);
  }
}

}  // namespace prunesim::models
