// The DRAM controller's policies by name, each with the [ddr] keys it reads declared beside it.
#include "prunesim/models/dram_policies.h"

#include <functional>

#include "prunesim/common/error.h"
#include "prunesim/models/param_fields.h"

namespace prunesim::models {

namespace {

template <class P>
struct PolicyInfo {
  std::string name, help;
  std::function<std::unique_ptr<P>(const DramConfig&)> create;
};

template <class P>
std::unique_ptr<P> make(const std::vector<PolicyInfo<P>>& registry, const std::string& key,
                        const std::string& name, const DramConfig& cfg) {
  std::string names;
  for (const auto& p : registry) {
    if (p.name == name) return p.create(cfg);
    names += (names.empty() ? "" : "|") + p.name;
  }
  throw InputError(key + ": unknown '" + name + "' (expected " + names + ")");
}

template <class P>
std::vector<std::string> names_of(const std::vector<PolicyInfo<P>>& registry) {
  std::vector<std::string> n;
  for (const auto& p : registry) n.push_back(p.name);
  return n;
}

// ---- schedulers ----------------------------------------------------------------------------------------

// FR-FCFS at command level (Rixner et al., ISCA 2000, as DRAMsim3 and Ramulator implement it): within the
// oldest `reorder_window` requests, the one whose column command can issue first wins, so row hits and
// requests to idle bank groups go ahead of one waiting on a busy bank; oldest among equals. A bank's run of
// bypassing hits and the bypasses of the oldest request are capped at `max_row_hits`, so nothing starves.
class FrFcfs : public DramScheduler {
 public:
  explicit FrFcfs(const DramControllerConfig& c) : window_(c.reorder_window), cap_(c.max_row_hits) {}
  size_t pick(SchedulerQueue& q) const override {
    uint64_t best_col = q.column_cycle(0);
    if (q.head_bypassed() >= cap_) return 0;
    const size_t window = std::min<size_t>(q.size(), window_);
    size_t best = 0, planned = 0;
    // A candidate at the lower bound cannot be beaten: stop scanning (streams hit this).
    const uint64_t floor = q.floor();
    for (size_t i = 1; i < window && best_col > floor; ++i) {
      if (q.cannot_beat(i, best_col)) continue;  // ties go to the older: only an earlier cycle wins
      if (q.hit_streak(i) >= cap_) continue;     // this bank has had its run of bypassing hits
      const uint64_t col = q.column_cycle(i);
      planned = i;
      if (col < best_col) best = i, best_col = col;
    }
    if (planned != best) q.column_cycle(best);  // the chosen plan must be the one remembered last
    return best;
  }

 private:
  uint32_t window_, cap_;
};

// First come, first served: the oldest request always goes next (the baseline FR-FCFS is measured against).
class Fcfs : public DramScheduler {
 public:
  size_t pick(SchedulerQueue& q) const override {
    q.column_cycle(0);
    return 0;
  }
};

const std::vector<PolicyInfo<DramScheduler>>& schedulers() {
  static const std::vector<PolicyInfo<DramScheduler>> r = {
      {"frfcfs", "first-ready FCFS in a reorder window (reads ddr.reorder_window, ddr.max_row_hits)",
       [](const DramConfig& c) { return std::make_unique<FrFcfs>(c.ctrl); }},
      {"fcfs", "oldest request first, no reordering",
       [](const DramConfig&) { return std::make_unique<Fcfs>(); }},
  };
  return r;
}

// ---- row policies --------------------------------------------------------------------------------------

class OpenRow : public RowPolicy {
 public:
  uint64_t idle_close_cycles() const override { return kNever; }
};
class ClosedRow : public RowPolicy {
 public:
  uint64_t idle_close_cycles() const override { return 0; }
};
// Closes a row left idle for row_timeout_ns: the adaptive middle ground of Xilinx MIG-style and Intel
// EMIF-style controllers (a request for the row before the timer expires keeps it open).
class TimeoutRow : public RowPolicy {
 public:
  explicit TimeoutRow(uint64_t c) : cycles_(c) {}
  uint64_t idle_close_cycles() const override { return cycles_; }

 private:
  uint64_t cycles_;
};

// ---- refresh -------------------------------------------------------------------------------------------

// JESD79-4 REFab (DDR4 has no other): every tREFI, all banks of a rank precharged and blocked for tRFC.
class AllBankRefresh : public RefreshPolicy {
 public:
  RefreshScheme scheme(const DramConfig& c, uint32_t) const override {
    return {c.ns_to_cycles(c.timing.tREFI_ns), c.ns_to_cycles(c.timing.tRFC_ns), true};
  }
};
// JESD235 REFSB (HBM2 single-bank refresh): the banks take turns, one every tREFI / banks, each blocked for
// tRFCsb while the others keep serving.
class PerBankRefresh : public RefreshPolicy {
 public:
  RefreshScheme scheme(const DramConfig& c, uint32_t banks) const override {
    return {std::max<uint64_t>(1, c.ns_to_cycles(c.timing.tREFI_ns) / banks),
            c.ns_to_cycles(c.timing.tRFCsb_ns), false};
  }
};

const std::vector<PolicyInfo<RefreshPolicy>>& refreshes() {
  static const std::vector<PolicyInfo<RefreshPolicy>> r = {
      {"all_bank", "REFab every tREFI blocks every bank of the rank for tRFC",
       [](const DramConfig&) { return std::make_unique<AllBankRefresh>(); }},
      {"per_bank", "single-bank refresh (HBM2 REFSB): one bank per tREFI/banks, blocked for tRFCsb_ns",
       [](const DramConfig& c) -> std::unique_ptr<RefreshPolicy> {
         if (!(c.timing.tRFCsb_ns > 0))
           throw InputError(
               "ddr.refresh: per_bank needs a single-bank refresh time, which " + c.preset +
               " does not have (DDR4, JESD79-4, has all-bank refresh only; set ddr.preset = hbm2 "
               "or ddr.tRFCsb_ns)");
         return std::make_unique<PerBankRefresh>();
       }},
  };
  return r;
}

// ---- address mapping -----------------------------------------------------------------------------------

uint32_t log2u(uint64_t v) {
  return uint32_t(__builtin_ctzll(v));
}

}  // namespace

std::unique_ptr<DramScheduler> make_scheduler(const DramConfig& cfg) {
  return make(schedulers(), "ddr.scheduler", cfg.ctrl.scheduler, cfg);
}
std::unique_ptr<RowPolicy> make_row_policy(const DramConfig& cfg) {
  switch (cfg.ctrl.page_policy) {
    case PagePolicy::Open: return std::make_unique<OpenRow>();
    case PagePolicy::Closed: return std::make_unique<ClosedRow>();
    case PagePolicy::Timeout:
      return std::make_unique<TimeoutRow>(std::max<uint64_t>(1, cfg.ns_to_cycles(cfg.ctrl.row_timeout_ns)));
  }
  throw InputError("ddr.page_policy: unknown policy");
}
std::unique_ptr<RefreshPolicy> make_refresh_policy(const DramConfig& cfg) {
  return make(refreshes(), "ddr.refresh", cfg.ctrl.refresh, cfg);
}

const std::vector<std::string>& scheduler_names() {
  static const std::vector<std::string> n = names_of(schedulers());
  return n;
}
const std::vector<std::string>& refresh_names() {
  static const std::vector<std::string> n = names_of(refreshes());
  return n;
}

std::vector<BitField> parse_bit_order(const std::string& text) {
  auto fail = [&text](const std::string& what) {
    throw InputError(
        "'" + text + "': " + what +
        " (expected a mapping name or a bit order, MSB first, such as 'R16 B2 G1 C7 G1 C3': K rank, "
        "R row, B bank, G bank group, C column in bursts)");
  };
  std::vector<BitField> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const char f = text[i++];
    if (std::string("KRBGC").find(f) == std::string::npos) fail(std::string("unknown field '") + f + "'");
    uint64_t bits = 0;
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && bits < 100)
      bits = bits * 10 + uint64_t(text[i++] - '0');
    if (i == start) bits = 1;  // "G" alone is one bit
    if (bits == 0 || bits > 40) fail("a field of " + std::to_string(bits) + " bits");
    out.push_back({f, uint32_t(bits)});
  }
  if (out.empty()) fail("no fields");
  return out;
}

std::string bit_order_text(const std::vector<BitField>& order) {
  std::string s;
  for (const auto& f : order) s += (s.empty() ? "" : " ") + std::string(1, f.field) + std::to_string(f.bits);
  return s;
}

bool is_named_mapping(const std::string& text) {
  for (const auto& e : enum_names<AddressMapping>())
    if (text == e.name) return true;
  return false;
}

std::vector<BitField> mapping_order(const DramConfig& cfg) {
  const DramOrg& o = cfg.org;
  const uint32_t K = log2u(o.ranks), R = log2u(o.rows), B = log2u(o.banks_per_group),
                 G = log2u(o.bank_groups), C = log2u(o.columns / cfg.timing.BL);
  std::vector<BitField> order;
  auto add = [&order](char f, uint32_t bits) {
    if (bits) order.push_back({f, bits});
  };
  switch (cfg.ctrl.mapping) {
    case AddressMapping::RowColumnBank:
      // Xilinx MIG ROW_COLUMN_BANK (PG150): {rank, row, column, bank, bank group} above the burst offset.
      add('K', K), add('R', R), add('C', C), add('B', B), add('G', G);
      break;
    case AddressMapping::RowBankColumn:
      add('K', K), add('R', R), add('B', B), add('G', G), add('C', C);
      break;
    case AddressMapping::BankGroupInterleaved: {
      // PG313's 16R-2B-1BG-7C-1BG-3C: one bank-group bit under the column bits, the others above them.
      const uint32_t lo = G ? 1 : 0;
      add('K', K), add('R', R), add('B', B), add('G', G - lo), add('C', C), add('G', lo);
      break;
    }
    case AddressMapping::BankRowColumn:
      add('K', K), add('B', B), add('G', G), add('R', R), add('C', C);
      break;
    case AddressMapping::Custom: {
      order = parse_bit_order(cfg.ctrl.mapping_bits);
      const std::string fields = "KRBGC";
      const uint32_t need[5] = {K, R, B, G, C};
      const char* what[5] = {"rank", "row", "bank", "bank-group", "column (burst)"};
      uint32_t have[5] = {0, 0, 0, 0, 0}, pieces[5] = {0, 0, 0, 0, 0};
      for (const auto& f : order) {
        const size_t i = fields.find(f.field);
        have[i] += f.bits;
        // The decode keeps up to four pieces per field (DramChannel::FieldBits).
        if (++pieces[i] > 4)
          throw InputError("ddr.mapping: '" + cfg.ctrl.mapping_bits + "' splits the " + what[i] +
                           " bits into more than four pieces");
      }
      DramConfig mig = cfg;
      mig.ctrl.mapping = AddressMapping::RowColumnBank;
      for (int i = 0; i < 5; ++i)
        if (have[i] != need[i])
          throw InputError("ddr.mapping: '" + cfg.ctrl.mapping_bits + "' gives " + std::to_string(have[i]) +
                           " " + what[i] + " bits; the organisation has " + std::to_string(need[i]) + " (" +
                           bit_order_text(mapping_order(mig)) + " is the MIG order)");
      break;
    }
  }
  return order;
}

// The keys the policies read, declared here beside them (ddr_section adds them to [ddr]).
std::vector<ParamSpec> dram_policy_params() {
  std::vector<ParamSpec> p;
  p.push_back(choice_field(
      "scheduler", [](HwConfig& h) -> std::string& { return h.ddr.ctrl.scheduler; }, scheduler_names(),
      "request scheduler: frfcfs (first-ready in a reorder window) or fcfs"));
  auto unless_frfcfs = [](const HwConfig& h) {
    return h.ddr.ctrl.scheduler == "frfcfs" ? std::string() : "ddr.scheduler is " + h.ddr.ctrl.scheduler;
  };
  p.push_back(uint_field(
                  "reorder_window", [](HwConfig& h) -> uint32_t& { return h.ddr.ctrl.reorder_window; }, 1,
                  1024, "frfcfs: oldest requests considered")
                  .read_only_when(unless_frfcfs));
  p.push_back(uint_field(
                  "max_row_hits", [](HwConfig& h) -> uint32_t& { return h.ddr.ctrl.max_row_hits; }, 1, 1024,
                  "frfcfs: consecutive row hits allowed to bypass older requests")
                  .read_only_when(unless_frfcfs));
  p.push_back(enum_field<PagePolicy>(
      "page_policy", [](HwConfig& h) -> PagePolicy& { return h.ddr.ctrl.page_policy; },
      "row policy: open (until a conflict), closed (auto-precharge), timeout (row_timeout_ns idle)"));
  p.push_back(real_field(
                  "row_timeout_ns", [](HwConfig& h) -> double& { return h.ddr.ctrl.row_timeout_ns; }, 1, 1e6,
                  "timeout page policy: idle time before an open row is precharged (ns)")
                  .read_only_when([](const HwConfig& h) {
                    return h.ddr.ctrl.page_policy == PagePolicy::Timeout
                               ? std::string()
                               : "ddr.page_policy is " + std::string(enum_name(h.ddr.ctrl.page_policy));
                  }));
  p.push_back(choice_field(
      "refresh", [](HwConfig& h) -> std::string& { return h.ddr.ctrl.refresh; }, refresh_names(),
      "refresh: all_bank (REFab, DDR4) or per_bank (REFSB, HBM2; needs tRFCsb_ns)"));
  p.push_back(real_field(
      "tRFCsb_ns", [](HwConfig& h) -> double& { return h.ddr.timing.tRFCsb_ns; }, 0, 10000,
      "single-bank refresh cycle time (ns; 0: the standard has none, as DDR4)"));
  std::string names;
  for (const auto& e : enum_names<AddressMapping>())
    if (e.value != AddressMapping::Custom) names += (names.empty() ? "" : "|") + std::string(e.name);
  ParamSpec m = ParamSpec::text("mapping", "row_column_bank", names + "|bit order",
                                "address mapping: a name (row_column_bank = Xilinx MIG default; "
                                "bank_group_interleaved = PG313's order) or a bit order, MSB first, "
                                "e.g. 'R16 B2 G1 C7 G1 C3'");
  m.bind(
      [](const HwConfig& h) {
        return h.ddr.ctrl.mapping == AddressMapping::Custom ? h.ddr.ctrl.mapping_bits
                                                            : enum_name(h.ddr.ctrl.mapping);
      },
      [](HwConfig& h, const std::string& v) {
        if (v == "custom") throw InputError("give the bit order itself, e.g. 'R16 B2 G1 C7 G1 C3'");
        if (is_named_mapping(v)) {
          h.ddr.ctrl.mapping = parse_enum<AddressMapping>(v);
          h.ddr.ctrl.mapping_bits.clear();
        } else {
          parse_bit_order(v);  // the syntax now; the bit counts against the organisation in validate()
          h.ddr.ctrl.mapping = AddressMapping::Custom;
          h.ddr.ctrl.mapping_bits = v;
        }
      });
  p.push_back(std::move(m));
  return p;
}

}  // namespace prunesim::models
