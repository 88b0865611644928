// One test per JEDEC timing rule, then whole-pattern figures derived on paper for DDR4-2400 x8, one
// 64-bit channel (tCK 0.833 ns, 19.2 GB/s peak).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "prunesim/common/error.h"
#include "prunesim/models/dram_channel.h"
#include "prunesim/models/dram_system.h"
#include "prunesim/sim/ddr_requests.h"

using namespace prunesim;
using namespace prunesim::models;

namespace {

DramConfig one_channel() {
  DramConfig c = dram_preset("ddr4-2400");
  c.org.channels = 1;
  return c;
}

// Default mapping (MIG ROW_COLUMN_BANK): burst address bits = bg(2) bank(2) col(7) row(16).
uint64_t addr_of(uint32_t bg, uint32_t bank, uint32_t col, uint32_t row) {
  return ((((uint64_t(row) << 7 | col) << 2 | bank) << 2) | bg) * 64;
}

struct Run {
  std::vector<DramCommand> cmds;
  std::vector<DramCompletion> done;
};

Run run(const DramConfig& cfg, const std::vector<DramRequest>& reqs) {
  DramChannel ch(cfg);
  Run r;
  ch.set_command_log(&r.cmds);
  for (const auto& q : reqs) ch.submit(q);
  ch.run([&](const DramCompletion& c) { r.done.push_back(c); });
  return r;
}

std::vector<uint64_t> times_of(const Run& r, DramCmd c) {
  std::vector<uint64_t> t;
  for (const auto& x : r.cmds)
    if (x.cmd == c) t.push_back(x.cycle);
  return t;
}

DramRequest rd(uint64_t id, uint64_t addr, uint64_t at = 0) {
  return {id, at, addr, false};
}
DramRequest wr(uint64_t id, uint64_t addr, uint64_t at = 0) {
  return {id, at, addr, true};
}

}  // namespace

TEST(Ddr4Timing, FifthActivateInsideTfawWaits) {
  const DramConfig cfg = one_channel();
  // Five reads to five banks in different bank groups where possible: only tRRD_S and tFAW apply.
  std::vector<DramRequest> q;
  for (uint32_t i = 0; i < 5; ++i) q.push_back(rd(i, addr_of(i % 4, i / 4, 0, 0)));
  const auto acts = times_of(run(cfg, q), DramCmd::Act);
  ASSERT_EQ(acts.size(), 5u);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(acts[i] - acts[i - 1], cfg.timing.tRRD_S);
  EXPECT_EQ(acts[4] - acts[0], cfg.timing.tFAW);  // 26 > 4 x tRRD_S = 16
}

TEST(Ddr4Timing, SameBankGroupActivatesKeepTrrdL) {
  const DramConfig cfg = one_channel();
  const auto acts =
      times_of(run(cfg, {rd(0, addr_of(0, 0, 0, 0)), rd(1, addr_of(0, 1, 0, 0))}), DramCmd::Act);
  ASSERT_EQ(acts.size(), 2u);
  EXPECT_EQ(acts[1] - acts[0], cfg.timing.tRRD_L);
}

TEST(Ddr4Timing, ColumnCommandsKeepTccdLInABankGroupAndTccdSAcross) {
  const DramConfig cfg = one_channel();
  // Same bank, same row: two hits after one activate.
  auto same = times_of(run(cfg, {rd(0, addr_of(1, 0, 0, 3)), rd(1, addr_of(1, 0, 1, 3))}), DramCmd::Rd);
  ASSERT_EQ(same.size(), 2u);
  EXPECT_EQ(same[1] - same[0], cfg.timing.tCCD_L);
  // Different bank groups whose rows are open by then: tCCD_S apart.
  auto cross = run(cfg, {rd(0, addr_of(0, 0, 0, 3)), rd(1, addr_of(1, 0, 0, 3)), rd(2, addr_of(0, 0, 1, 3)),
                         rd(3, addr_of(1, 0, 1, 3))});
  auto rds = times_of(cross, DramCmd::Rd);
  ASSERT_EQ(rds.size(), 4u);
  EXPECT_EQ(rds[3] - rds[2], cfg.timing.tCCD_S);
}

TEST(Ddr4Timing, ReadAfterWriteInTheSameBankGroupWaitsTwtrL) {
  const DramConfig cfg = one_channel();
  // Write then read, same bank group other bank; queues see the write first (no reads waiting yet).
  auto r = run(cfg, {wr(0, addr_of(2, 0, 0, 1), 0), rd(1, addr_of(2, 1, 0, 1), 200)});
  const auto w = times_of(r, DramCmd::Wr), rr = times_of(r, DramCmd::Rd);
  ASSERT_EQ(w.size(), 1u);
  ASSERT_EQ(rr.size(), 1u);
  const uint64_t write_end = w[0] + cfg.timing.CWL + cfg.timing.BL / 2;
  // The read arrives at 200, after its bank's own activate would allow; tWTR_L from the write's end rules
  // only if it is later. Check the rule holds and the read is not later than needed.
  EXPECT_GE(rr[0], write_end + cfg.timing.tWTR_L);
  auto r2 = run(cfg, {wr(0, addr_of(2, 0, 0, 1), 0), rd(1, addr_of(2, 0, 1, 1), 0)});
  const auto w2 = times_of(r2, DramCmd::Wr), rd2 = times_of(r2, DramCmd::Rd);
  // Read first (reads have priority), then the write; then check the turnaround the other way round.
  ASSERT_EQ(rd2.size(), 1u);
  ASSERT_EQ(w2.size(), 1u);
  EXPECT_GE(w2[0], rd2[0] + cfg.timing.CL + cfg.timing.BL / 2 + 2 - cfg.timing.CWL);
}

TEST(Ddr4Timing, RowConflictPaysPrechargeThenActivate) {
  const DramConfig cfg = one_channel();
  auto r = run(cfg, {rd(0, addr_of(0, 0, 0, 1)), rd(1, addr_of(0, 0, 0, 2))});
  const auto acts = times_of(r, DramCmd::Act), pres = times_of(r, DramCmd::Pre);
  ASSERT_EQ(acts.size(), 2u);
  ASSERT_EQ(pres.size(), 1u);
  EXPECT_EQ(pres[0], acts[0] + cfg.timing.tRAS);  // tRAS outlasts tRTP after the first read
  EXPECT_EQ(acts[1], acts[0] + cfg.timing.tRC);   // tRC = tRAS + tRP here
}

// HBM2 (JESD235) times ACT to a read (tRCDRD, the tRCD key) and ACT to a write (tRCDWR) apart; DDR4 has one
// delay, which tRCDWR = 0 keeps.
TEST(Hbm2Timing, ActToWriteIsTrcdwrAndActToReadTrcd) {
  DramConfig cfg = dram_preset("hbm2");
  cfg.org.channels = 1;
  EXPECT_EQ(cfg.timing.tRCDWR, cfg.timing.tRCD);  // the preset's values agree (14 and 14)
  cfg.timing.tRCDWR = cfg.timing.tRCD + 5;
  DramChannel probe(cfg);
  auto w = run(cfg, {wr(0, 0)});
  ASSERT_EQ(times_of(w, DramCmd::Act).size(), 1u);
  EXPECT_EQ(times_of(w, DramCmd::Wr)[0], times_of(w, DramCmd::Act)[0] + cfg.timing.tRCD + 5);
  auto r = run(cfg, {rd(0, 0)});
  EXPECT_EQ(times_of(r, DramCmd::Rd)[0], times_of(r, DramCmd::Act)[0] + cfg.timing.tRCD);
  DramConfig ddr4 = one_channel();
  ASSERT_EQ(ddr4.timing.tRCDWR, 0u);
  auto d = run(ddr4, {wr(0, 0)});
  EXPECT_EQ(times_of(d, DramCmd::Wr)[0], times_of(d, DramCmd::Act)[0] + ddr4.timing.tRCD);
}

// HBM2 single-bank refresh: no ACT to another bank, and no other REFSB, within tRREFD of a REFSB. Each bank
// is read in turn, so activates fall right after refreshes; with tRREFD 0 some do come sooner (the rule is
// what holds them back).
TEST(Hbm2Timing, NoActivateOrRefreshOfAnotherBankWithinTrrefdOfAPerBankRefresh) {
  DramConfig cfg = dram_preset("hbm2");
  cfg.org.channels = 1;
  cfg.ctrl.refresh = "per_bank";
  cfg.ctrl.page_policy = PagePolicy::Closed;  // every read activates
  auto commands = [&](double trrefd_ns) {
    DramConfig c = cfg;
    c.timing.tRREFD_ns = trrefd_ns;
    DramChannel ch(c);
    std::vector<DramCommand> log;
    ch.set_command_log(&log);
    const uint32_t banks = c.org.bank_groups * c.org.banks_per_group;
    for (uint64_t i = 0; i < 20000; ++i)
      ch.submit(rd(i, (i % banks) * 32 + (i / banks % 64) * 32 * banks, i * 3));
    ch.run({});
    return std::pair{log, ch.ns_to_cycles(trrefd_ns)};
  };
  auto violations = [](const std::vector<DramCommand>& log, uint64_t window) {
    size_t n = 0, refs = 0;
    for (size_t i = 0; i < log.size(); ++i) {
      if (log[i].cmd != DramCmd::Ref) continue;
      ++refs;
      for (size_t k = 0; k < log.size(); ++k) {
        const DramCommand& x = log[k];
        const bool other_bank = x.bg != log[i].bg || x.bank != log[i].bank;
        if (k != i && other_bank && (x.cmd == DramCmd::Act || x.cmd == DramCmd::Ref) &&
            x.cycle >= log[i].cycle && x.cycle < log[i].cycle + window)
          ++n;
      }
    }
    EXPECT_GT(refs, 100u);
    return n;
  };
  const auto [spaced, window] = commands(20.0);  // a long tRREFD, so the window is wide
  EXPECT_EQ(violations(spaced, window), 0u);
  const auto [unspaced, none] = commands(0.0);
  EXPECT_GT(violations(unspaced, window), 0u);
  // The preset's 8 ns holds too.
  const auto [preset, w8] = commands(cfg.timing.tRREFD_ns);
  EXPECT_EQ(w8, 8u);  // 8 ns at 1.111 ns per clock
  EXPECT_EQ(violations(preset, w8), 0u);
}

TEST(Ddr4Timing, RefreshBlocksForTrfcEveryTrefi) {
  const DramConfig cfg = one_channel();
  DramChannel probe(cfg);
  const uint64_t trefi = probe.ns_to_cycles(cfg.timing.tREFI_ns),
                 trfc = probe.ns_to_cycles(cfg.timing.tRFC_ns);
  // A read arriving exactly when the first refresh is due waits the whole tRFC before its activate.
  auto r = run(cfg, {rd(0, addr_of(0, 0, 0, 0), trefi)});
  const auto refs = times_of(r, DramCmd::Ref), acts = times_of(r, DramCmd::Act);
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0], trefi);
  ASSERT_EQ(acts.size(), 1u);
  EXPECT_EQ(acts[0], trefi + trfc);
  // Over a long idle stretch every tREFI is counted.
  DramChannel ch(cfg);
  ch.submit(rd(0, 0, 100 * trefi + 5));
  ch.run([](const DramCompletion&) {});
  EXPECT_EQ(ch.stats().refreshes, 100u);
}

TEST(Ddr4Pattern, RowHitLatencyAtLightLoadIsControllerPlusClPlusBurst) {
  const DramConfig cfg = one_channel();
  DramChannel probe(cfg);
  std::vector<DramRequest> q;
  for (uint32_t i = 0; i < 20; ++i) q.push_back(rd(i, addr_of(0, 0, i, 5), 1000 + 200 * uint64_t(i)));
  auto r = run(cfg, q);
  const uint64_t expect =
      probe.ns_to_cycles(cfg.ctrl.controller_latency_ns) + cfg.timing.CL + cfg.timing.BL / 2;
  for (size_t i = 1; i < r.done.size(); ++i) {
    EXPECT_TRUE(r.done[i].row_hit);
    EXPECT_EQ(r.done[i].done - r.done[i].arrival, expect);
  }
}

TEST(Ddr4Pattern, LightLoadLatenciesAreTheUnloadedMissAndConflictLatenciesExactly) {
  // Far-apart reads see nothing queued: a closed bank costs tRCD + CL + BL/2, a conflict tRP more, both plus
  // the controller pipeline. 1000 cycles apart keeps tRAS/tRC and refresh (first due at tREFI) out of the
  // way.
  const DramConfig cfg = one_channel();
  const DramTiming& t = cfg.timing;
  DramChannel probe(cfg);
  const uint64_t ctrl = probe.ns_to_cycles(cfg.ctrl.controller_latency_ns);
  std::vector<DramRequest> q;
  for (uint32_t i = 0; i < 4; ++i)
    q.push_back(rd(i, addr_of(i, 1, 0, 7), 100 + 1000 * uint64_t(i)));  // misses
  for (uint32_t i = 0; i < 4; ++i) q.push_back(rd(4 + i, addr_of(i, 1, 0, 9), 4100 + 1000 * uint64_t(i)));
  ASSERT_LT(4100 + 1000 * 3 + 100, probe.ns_to_cycles(t.tREFI_ns));
  const auto r = run(cfg, q);
  ASSERT_EQ(r.done.size(), 8u);
  for (const auto& c : r.done) {
    const uint64_t expect = ctrl + t.tRCD + t.CL + t.BL / 2 + (c.id >= 4 ? t.tRP : 0);
    EXPECT_FALSE(c.row_hit);
    EXPECT_EQ(c.done - c.arrival, expect) << "request " << c.id;
  }
}

TEST(Ddr4Pattern, ModerateRandomLoadKeepsTheMedianAtTheUnloadedConflictLatency) {
  // One random read every 10 ns on one channel is a third of what its activate rate allows (tFAW: 4 ACT per
  // 21.7 ns). Most requests find their bank free, so the median is the unloaded conflict latency plus at most
  // the arrival's rounding to a cycle; only the tail queues (a busy bank, a refresh). A request waiting on a
  // busy bank must not hold later arrivals behind it: before that was fixed the median here was 106.5 ns.
  const DramConfig cfg = one_channel();
  const DramTiming& t = cfg.timing;
  std::vector<sim::MemRequest> q;
  uint64_t x = 7;
  for (uint64_t i = 0; i < 20000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    q.push_back({10.0 * double(i + 1), (x >> 20) % (uint64_t(1) << 33) / 64 * 64, 64, 0, false});
  }
  const auto s = sim::run_requests(cfg, q);
  const double conflict_ns = cfg.ctrl.controller_latency_ns + (t.tRP + t.tRCD + t.CL + t.BL / 2) * t.tck_ns;
  EXPECT_GE(s.read_latency_p50_ns, conflict_ns - t.tck_ns);
  EXPECT_LE(s.read_latency_p50_ns, conflict_ns + 2.0);
  EXPECT_NEAR(s.bandwidth_gbps, 6.4, 0.05);  // keeps up with the offered load
}

namespace {
sim::DdrRunStats pattern(const DramConfig& cfg, uint64_t n, uint64_t stride, bool random, uint64_t seed = 1) {
  std::vector<sim::MemRequest> q;
  uint64_t x = seed;
  for (uint64_t i = 0; i < n; ++i) {
    sim::MemRequest r;
    if (random) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;  // LCG: reproducible addresses
      r.addr = (x >> 20) % (uint64_t(1) << 33) / 64 * 64;
    } else {
      r.addr = i * stride;
    }
    q.push_back(r);
  }
  return sim::run_requests(cfg, q);
}
}  // namespace

TEST(Ddr4Pattern, SequentialReadsReachTheBusLimitLessRefresh) {
  const DramConfig cfg = one_channel();
  const auto s = pattern(cfg, 200000, 64, false);
  const double peak = 64.0 / (4 * cfg.timing.tck_ns);                     // 19.2 GB/s
  const double refresh_share = cfg.timing.tRFC_ns / cfg.timing.tREFI_ns;  // 4.5 %
  EXPECT_NEAR(peak, 19.2, 0.05);
  EXPECT_LE(s.bandwidth_gbps, peak * (1 - refresh_share) * 1.005);
  EXPECT_GE(s.bandwidth_gbps, peak * (1 - refresh_share) * 0.97);  // about 95 % of 19.2 GB/s
  EXPECT_GT(s.row_hit_rate, 0.98);  // a row change every 128 KiB and rows closed by each refresh
}

TEST(Ddr4Pattern, RandomReadsAreBoundedByTheActivateRate) {
  const DramConfig cfg = one_channel();
  const auto s = pattern(cfg, 100000, 0, true);
  // Every random read needs its own activate: at most four per tFAW, one per tRRD_S.
  const double faw_bound = 4 * 64.0 / (cfg.timing.tFAW * cfg.timing.tck_ns);  // 11.8 GB/s
  EXPECT_LT(s.row_hit_rate, 0.01);
  EXPECT_LE(s.bandwidth_gbps, faw_bound);
  EXPECT_GE(s.bandwidth_gbps, 0.6 * faw_bound);
}

TEST(Ddr4Pattern, OneBankStrideIsBoundedByTheRowCycle) {
  const DramConfig cfg = one_channel();
  // Under the MIG mapping a 128 KiB stride changes only the row: every read is a conflict in bank 0.
  const auto s = pattern(cfg, 20000, 128 * 1024, false);
  const double trc_bound = 64.0 / (cfg.timing.tRC * cfg.timing.tck_ns);  // 1.40 GB/s
  EXPECT_LE(s.bandwidth_gbps, trc_bound * 1.001);
  EXPECT_GE(s.bandwidth_gbps, trc_bound * 0.93);  // refresh takes its share
}

TEST(Ddr4Pattern, ChannelsAddBandwidth) {
  DramConfig cfg = one_channel();
  const auto one = pattern(cfg, 100000, 64, false);
  cfg.org.channels = 4;
  const auto four = pattern(cfg, 100000, 64, false);
  EXPECT_NEAR(four.bandwidth_gbps / one.bandwidth_gbps, 4.0, 0.2);
}

TEST(DdrRequests, ParsesBothFormatsAndNamesBadLines) {
  std::istringstream ok("# comment\n0 R 0x40\n10 W 80 128\n0x100 READ 50\n");
  const auto q = sim::read_requests(ok, "req.txt", 0.833);
  ASSERT_EQ(q.size(), 3u);
  EXPECT_TRUE(q[1].write);
  EXPECT_EQ(q[1].bytes, 128u);
  EXPECT_EQ(q[2].addr, 0x100u);
  EXPECT_NEAR(q[2].arrival_ns, 50 * 0.833, 1e-9);
  for (const char* bad : {"0 X 0x40\n", "0 R zz\n", "abc R 0x40\n", "5 R 0x40\n3 R 0x80\n", "0 R 0x40 0\n"}) {
    std::istringstream is(bad);
    try {
      sim::read_requests(is, "req.txt", 0.833);
      ADD_FAILURE() << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("req.txt:", 0), 0u) << e.what();
    }
  }
}

TEST(DdrRequests, RefusesTimesPastTheModelsRangeAndAddressesBeyondTheMemory) {
  // A request at 1e300 ns once reported a mean latency of -1e300 ns; an address past the memory aliased.
  for (const char* bad : {"1e300 R 0x40\n", "0 R 0x40 4294967296\n", "0 R 0x11112222333344445\n",
                          "nan R 0x40\n", "0 R 0xffffffffffffffff 64\n"}) {
    std::istringstream is(bad);
    EXPECT_THROW(sim::read_requests(is, "req.txt", 0.833), InputError) << bad;
  }
  const DramConfig cfg = one_channel();  // 8 GiB
  std::istringstream is("0 R 0x40\n0 R 0x200000000\n");
  const auto q = sim::read_requests(is, "req.txt", 0.833);
  try {
    sim::run_requests(cfg, q, "req.txt");
    ADD_FAILURE() << "an address past 8 GiB was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("req.txt:2: address 0x20000003f is beyond the 8192 MiB"),
              std::string::npos)
        << e.what();
  }
}

TEST(DramSystem, RangesSplitOverTheChannelsByTheInterleaveGranuleAndEachBurstIsCountedOnce) {
  DramConfig cfg = one_channel();
  cfg.org.channels = 4;  // 4 KiB granules: granule g goes to channel g mod 4
  DramSystem mem(cfg);
  const auto b = mem.submit(0, 4096 + 1024, 3 * 4096, false);  // granules 1 (3 KiB), 2, 3, 4 (1 KiB)
  EXPECT_EQ(b.count, 3u * 4096 / 64);
  mem.run();
  EXPECT_EQ(mem.channel(0).stats().bytes_read, 1024u);  // granule 4
  EXPECT_EQ(mem.channel(1).stats().bytes_read, 3072u);
  EXPECT_EQ(mem.channel(2).stats().bytes_read, 4096u);
  EXPECT_EQ(mem.channel(3).stats().bytes_read, 4096u);
  EXPECT_EQ(mem.stats().bytes_read, 3u * 4096);
  EXPECT_EQ(mem.last_done_of_touched(), mem.stats().last_done);
  // prunesim ddr serves request files on this same class: one 12 KiB request gives the same bytes and end.
  std::istringstream is("0 R 0x1400 12288\n");
  const auto s = sim::run_requests(cfg, sim::read_requests(is, "req.txt", cfg.timing.tck_ns));
  EXPECT_EQ(s.bytes, 3u * 4096);
  EXPECT_DOUBLE_EQ(s.end_ns, mem.cycles_to_ns(mem.stats().last_done));
}

TEST(Ddr4Mapping, BankGroupInterleavingIsWhatMakesSequentialStreamsFast) {
  // Versal NoC PG313 measures 95 % efficiency for the bank-group-optimised row-bank-column order and 54 % for
  // the simple one. In the simple order consecutive bursts share a bank group, so tCCD_L (6) rather than the
  // 4-cycle burst paces the bus (4/6 of the peak), except where the reorder window reaches into the next
  // bank's row at a row boundary.
  DramConfig cfg = one_channel();
  const double peak = 64.0 / (4 * cfg.timing.tck_ns);
  cfg.ctrl.mapping = AddressMapping::RowBankColumn;
  const double simple = pattern(cfg, 50000, 64, false).bandwidth_gbps / peak;
  cfg.ctrl.mapping = AddressMapping::BankGroupInterleaved;
  const double interleaved = pattern(cfg, 50000, 64, false).bandwidth_gbps / peak;
  EXPECT_LE(simple, 0.75);
  EXPECT_GT(simple, 0.5);
  EXPECT_GT(interleaved, 0.90);
  // The decode puts consecutive bursts in alternating bank groups and a whole row in one bank pair.
  DramChannel ch(cfg);
  EXPECT_NE(ch.decode(0).bg, ch.decode(64).bg);
  EXPECT_EQ(ch.decode(0).row, ch.decode(8 * 1024).row);
}

TEST(Ddr4Mapping, RowBankColumnSequentialBandwidthIsTccdLPacedExceptWhereTheWindowSpansTwoRows) {
  // The row-bank-column figure (13.25 GB/s of 19.2) derived from the rules, not fitted. Consecutive bursts
  // share a bank (so a bank group): JESD79-4 spaces their column commands tCCD_L = 6 tCK, not the 4-tCK
  // burst. Only at a row boundary does the FR-FCFS window (the oldest W requests) hold bursts of the next
  // row, in the next bank group; there the last W-1 bursts of one row and the first W-1 of the next alternate
  // at tCCD_S = 4. Per row of R = 128 bursts: R * tCCD_L - 2 (W - 1) (tCCD_L - tCCD_S) cycles, less refresh's
  // tRFC / tREFI share. Up to W = 16 the next row's activate has been prepared from admission (queue 32) well
  // before it is needed.
  DramConfig cfg = one_channel();
  cfg.ctrl.mapping = AddressMapping::RowBankColumn;
  const DramTiming& t = cfg.timing;
  const double R = cfg.org.columns / t.BL, refresh = 1 - t.tRFC_ns / t.tREFI_ns;
  for (uint32_t w : {1u, 4u, 8u, 16u}) {
    cfg.ctrl.reorder_window = w;
    const double cycles = R * t.tCCD_L - 2.0 * (w - 1) * (t.tCCD_L - t.tCCD_S);
    const double expect = R * 64 / (cycles * t.tck_ns) * refresh;
    EXPECT_NEAR(pattern(cfg, 100000, 64, false).bandwidth_gbps / expect, 1.0, 0.005) << "window " << w;
  }
}

TEST(Ddr4Policy, ClosedPageActivatesForEveryAccess) {
  DramConfig cfg = one_channel();
  cfg.ctrl.page_policy = PagePolicy::Closed;
  const auto s = pattern(cfg, 5000, 64, false);
  EXPECT_EQ(s.activates, 5000u);
  EXPECT_EQ(s.row_hit_rate, 0.0);
  cfg.ctrl.page_policy = PagePolicy::Open;
  EXPECT_LT(pattern(cfg, 5000, 64, false).activates, 100u);
}

TEST(Ddr4Policy, WritesDrainBetweenTheWatermarksAndReadsGoFirst) {
  DramConfig cfg = one_channel();
  cfg.ctrl.write_queue = 16;
  cfg.ctrl.write_high_watermark = 12;
  cfg.ctrl.write_low_watermark = 4;
  std::vector<DramRequest> q;
  // 12 writes arrive first, then reads: the writes reach the high watermark and drain down to 4 before the
  // reads get the bus, then the last 4 writes wait until no read is left.
  for (uint32_t i = 0; i < 12; ++i) q.push_back(wr(i, addr_of(i % 4, 0, i / 4, 0), 0));
  for (uint32_t i = 0; i < 8; ++i) q.push_back(rd(100 + i, addr_of(i % 4, 1, i / 4, 0), 0));
  const auto r = run(cfg, q);
  std::string order;
  for (const auto& c : r.done) order += c.write ? 'W' : 'R';
  EXPECT_EQ(order, "WWWWWWWWRRRRRRRRWWWW");
}

TEST(Ddr4Policy, AFullQueuePushesBack) {
  DramConfig cfg = one_channel();
  cfg.ctrl.read_queue = 4;
  // Four reads to one bank's different rows fill the queue; a fifth, to an idle bank, cannot enter before a
  // slot frees, so it cannot overtake them even though its bank is ready.
  std::vector<DramRequest> q;
  for (uint32_t i = 0; i < 4; ++i) q.push_back(rd(i, addr_of(0, 0, 0, i + 1), 0));
  q.push_back(rd(4, addr_of(3, 3, 0, 0), 0));
  const auto r = run(cfg, q);
  ASSERT_EQ(r.done.size(), 5u);
  EXPECT_NE(r.done[0].id, 4u);
  cfg.ctrl.read_queue = 32;  // with room, the idle bank's read is served first (FR-FCFS)
  const auto r2 = run(cfg, q);
  EXPECT_EQ(r2.done[1].id, 4u);
}

TEST(Ddr4Ranks, RankSwitchesCostTrtrsOnTheDataBus) {
  DramConfig cfg = one_channel();
  cfg.org.ranks = 2;
  const uint64_t rank1 = uint64_t(1) << (6 + 2 + 2 + 7 + 16);  // the rank bit sits above the row
  // Warm both ranks' rows, then alternate ranks: every burst pays tRTRS on the bus.
  std::vector<DramRequest> q{rd(0, 0), rd(1, rank1)};
  for (uint32_t i = 1; i < 9; ++i) {
    q.push_back(rd(2 * i, addr_of(0, 0, i, 0), 1000));
    q.push_back(rd(2 * i + 1, rank1 + addr_of(0, 0, i, 0), 1000));
  }
  const auto rds = times_of(run(cfg, q), DramCmd::Rd);
  ASSERT_EQ(rds.size(), 18u);
  for (size_t i = 3; i < rds.size(); ++i) EXPECT_GE(rds[i] - rds[i - 1], 4u + cfg.timing.tRTRS) << i;
}

TEST(Ddr4Presets, PeakBandwidthsFollowTheirClocks) {
  EXPECT_NEAR(dram_preset("ddr4-2400").peak_gbps_per_channel(), 19.2, 0.05);
  EXPECT_NEAR(dram_preset("ddr4-3200").peak_gbps_per_channel(), 25.6, 0.05);
  EXPECT_NEAR(dram_preset("hbm2").peak_gbps_per_channel() * 32, 460.0, 5.0);  // U280: 32 pseudo-channels
  for (const char* p : {"ddr4-2400", "ddr4-3200", "hbm2"}) EXPECT_NO_THROW(dram_preset(p).validate()) << p;
  EXPECT_THROW(dram_preset("ddr5-6400"), InputError);
  DramConfig bad = one_channel();
  bad.timing.tRC = 10;
  EXPECT_THROW(bad.validate(), InputError);
}

TEST(Ddr4Pattern, Ddr3200SequentialIsFasterThan2400) {
  DramConfig a = one_channel(), b = dram_preset("ddr4-3200");
  b.org.channels = 1;
  EXPECT_GT(pattern(b, 50000, 64, false).bandwidth_gbps, 1.25 * pattern(a, 50000, 64, false).bandwidth_gbps);
}

TEST(Ddr4FastPath, StreamsServedByTheFastPathMatchThePerRequestScheduler) {
  // A mix of sequential runs, random reads and writes, fed all at once and in pieces: the hit-run fast path
  // and feeding in pieces must both give exactly the completions of the general scheduler.
  std::vector<DramRequest> reqs;
  uint64_t x = 1;
  for (uint64_t i = 0; i < 60000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t addr = (i % 1000 < 900) ? i * 64 : (x >> 20) % (uint64_t(1) << 30) / 64 * 64;
    reqs.push_back({i, (i / 5000) * 40000, addr, (x >> 7) % 10 == 0});
  }
  auto serve = [&](bool fast, size_t piece) {
    DramChannel ch(one_channel());
    ch.set_fast_path(fast);
    std::vector<DramCompletion> out;
    auto rec = [&out](const DramCompletion& c) { out.push_back(c); };
    for (size_t i = 0; i < reqs.size(); ++i) {
      ch.submit(reqs[i]);
      if (piece && (i + 1) % piece == 0) ch.run_ahead(rec);
    }
    ch.run(rec);
    return out;
  };
  const auto ref = serve(false, 0);
  ASSERT_EQ(ref.size(), reqs.size());
  for (auto [fast, piece] :
       {std::pair{true, size_t(0)}, std::pair{true, size_t(777)}, std::pair{false, size_t(100)}}) {
    const auto got = serve(fast, piece);
    ASSERT_EQ(got.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      ASSERT_EQ(got[i].id, ref[i].id) << "fast " << fast << " piece " << piece << " at " << i;
      ASSERT_EQ(got[i].done, ref[i].done) << "fast " << fast << " piece " << piece << " at " << i;
    }
  }
}

namespace {
std::vector<DramRequest> mixed_requests(uint64_t n, uint64_t seed) {
  std::vector<DramRequest> reqs;
  uint64_t x = seed;
  for (uint64_t i = 0; i < n; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const uint64_t addr = (i % 100 < 70) ? i * 64 : (x >> 20) % (uint64_t(1) << 30) / 64 * 64;
    reqs.push_back({i, i * 3, addr, (x >> 7) % 8 == 0});
  }
  return reqs;
}
}  // namespace

TEST(Ddr4Scheduler, FcfsServesInArrivalOrderAndFrFcfsReordersForThroughput) {
  DramConfig cfg = one_channel();
  const auto reqs = mixed_requests(20000, 3);
  cfg.ctrl.scheduler = "fcfs";
  const ::Run fcfs = run(cfg, reqs);
  // Reads in order among reads, writes among writes (two queues; the drain policy interleaves them).
  uint64_t last_read = 0, last_write = 0;
  bool first_r = true, first_w = true;
  for (const auto& c : fcfs.done) {
    uint64_t& last = c.write ? last_write : last_read;
    bool& first = c.write ? first_w : first_r;
    EXPECT_TRUE(first || c.id > last) << "request " << c.id << " after " << last;
    first = false, last = c.id;
  }
  cfg.ctrl.scheduler = "frfcfs";
  const ::Run fr = run(cfg, reqs);
  auto end_of = [](const ::Run& r) {
    uint64_t e = 0;
    for (const auto& c : r.done) e = std::max(e, c.done);
    return e;
  };
  auto hits_of = [](const ::Run& r) {
    uint64_t h = 0;
    for (const auto& c : r.done) h += c.row_hit;
    return h;
  };
  EXPECT_LT(end_of(fr), end_of(fcfs));
  EXPECT_GT(hits_of(fr), hits_of(fcfs));
}

TEST(Ddr4RowPolicy, TimeoutClosesAnIdleRowSoTheNextAccessPaysAMissNotAConflict) {
  DramConfig cfg = one_channel();
  cfg.ctrl.page_policy = PagePolicy::Timeout;
  cfg.ctrl.row_timeout_ns = 50;  // 61 cycles
  const DramTiming& t = cfg.timing;
  DramChannel probe(cfg);
  const uint64_t ctrl = probe.ns_to_cycles(cfg.ctrl.controller_latency_ns);
  // Same row 40 cycles later: still open, a hit. Other row 1000 cycles later: the timer closed the row, so
  // a miss (tRCD + CL + burst) where the open policy pays a conflict (tRP more).
  const std::vector<DramRequest> q = {rd(0, addr_of(0, 0, 0, 3), 100), rd(1, addr_of(0, 0, 1, 3), 170),
                                      rd(2, addr_of(0, 0, 0, 4), 1200)};
  const ::Run r = run(cfg, q);
  ASSERT_EQ(r.done.size(), 3u);
  EXPECT_TRUE(r.done[1].row_hit);
  EXPECT_FALSE(r.done[2].row_hit);
  EXPECT_EQ(r.done[2].done - r.done[2].arrival, ctrl + t.tRCD + t.CL + t.BL / 2);
  const auto pre = times_of(r, DramCmd::Pre);
  ASSERT_EQ(pre.size(), 1u);
  EXPECT_EQ(pre[0], times_of(r, DramCmd::Rd)[1] + probe.ns_to_cycles(50));  // idle timer from the last access
  cfg.ctrl.page_policy = PagePolicy::Open;
  const ::Run open = run(cfg, q);
  EXPECT_EQ(open.done[2].done - open.done[2].arrival, ctrl + t.tRP + t.tRCD + t.CL + t.BL / 2);
}

TEST(Ddr4Refresh, PerBankRefreshIssuesOneBankEveryTrefiOverBanksRoundRobin) {
  DramConfig cfg = dram_preset("hbm2");
  cfg.org.channels = 1;
  const uint32_t banks = cfg.org.bank_groups * cfg.org.banks_per_group;
  auto stream = [&cfg](const char* refresh) {
    DramConfig c = cfg;
    c.ctrl.refresh = refresh;
    std::vector<sim::MemRequest> q;
    for (uint64_t i = 0; i < 200000; ++i) q.push_back({0, i * 32, 32, 0, false});
    return sim::run_requests(c, q);
  };
  const auto all = stream("all_bank"), per = stream("per_bank");
  // JESD235 REFSB: one command per tREFI / banks, against REFab's one per tREFI.
  EXPECT_NEAR(double(all.refreshes) * cfg.timing.tREFI_ns / all.end_ns, 1.0, 0.05);
  EXPECT_NEAR(double(per.refreshes) * cfg.timing.tREFI_ns / per.end_ns, double(banks), 0.05 * banks);
  // No refresh postponement or scheduling around busy banks is modelled: a stream that cycles through every
  // bank waits on each refreshed bank in turn, so on this pattern per-bank refresh costs more than all-bank.
  EXPECT_LT(per.bandwidth_gbps, all.bandwidth_gbps);
  // Each command names one bank, round-robin.
  DramConfig c = cfg;
  c.ctrl.refresh = "per_bank";
  DramChannel ch(c);
  std::vector<DramCommand> log;
  ch.set_command_log(&log);
  for (uint64_t i = 0; i < 40000; ++i) ch.submit(rd(i, (i % 4096) * 32, i * 4));
  ch.run({});
  std::vector<uint32_t> refreshed;
  for (const auto& x : log)
    if (x.cmd == DramCmd::Ref) refreshed.push_back(x.bg * cfg.org.banks_per_group + x.bank);
  ASSERT_GE(refreshed.size(), size_t(banks));
  for (size_t i = 0; i < refreshed.size(); ++i) EXPECT_EQ(refreshed[i], i % banks);
}

TEST(Ddr4Mapping, ABitOrderIsTheSameMappingAsTheNamedOneItSpells) {
  const auto reqs = mixed_requests(20000, 5);
  for (auto [named, bits] : {std::pair{AddressMapping::RowColumnBank, "R16 C7 B2 G2"},
                             std::pair{AddressMapping::RowBankColumn, "R16 B2 G2 C7"},
                             std::pair{AddressMapping::BankGroupInterleaved, "R16 B2 G1 C7 G1"}}) {
    DramConfig a = one_channel(), b = one_channel();
    a.ctrl.mapping = named;
    b.ctrl.mapping = AddressMapping::Custom;
    b.ctrl.mapping_bits = bits;
    EXPECT_EQ(bit_order_text(mapping_order(a)), bit_order_text(mapping_order(b)));
    const ::Run ra = run(a, reqs), rb = run(b, reqs);
    ASSERT_EQ(ra.done.size(), rb.done.size());
    for (size_t i = 0; i < ra.done.size(); ++i)
      ASSERT_EQ(ra.done[i].done, rb.done[i].done) << bits << " at " << i;
  }
  // Another order is another mapping: bank bits on top spread a stream over one bank.
  DramConfig c = one_channel();
  c.ctrl.mapping = AddressMapping::Custom;
  c.ctrl.mapping_bits = "B2 G2 R16 C7";
  DramChannel ch(c);
  EXPECT_EQ(ch.decode(0).bank, ch.decode(64 * 128 * 65536 - 64).bank);
  EXPECT_NE(ch.decode(0).row, ch.decode(64 * 128).row);
}

namespace {
// A random mix of submitted runs: mostly reads continuing the last address (long runs that cross row sets
// and refreshes), some at random addresses, some writes; arrivals back to back, a little later, or after
// an idle gap.
struct SubmittedRun {
  uint64_t arrival, addr;
  uint32_t count;
  bool write;
};
std::vector<SubmittedRun> random_runs(size_t n, uint64_t seed) {
  std::vector<SubmittedRun> runs;
  uint64_t x = seed, at = 0, next = 0;
  auto rnd = [&x](uint64_t k) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % k;
  };
  for (size_t i = 0; i < n; ++i) {
    const uint64_t kind = rnd(100), gap = rnd(100);
    at += gap < 50 ? 0 : gap < 85 ? rnd(200) : rnd(30000);
    SubmittedRun r{at, next, uint32_t(1 + rnd(kind < 70 ? 400 : 8)), false};
    if (kind >= 70 && kind < 85) r.addr = rnd(uint64_t(1) << 24) * 64;
    if (kind >= 85) r.addr = rnd(uint64_t(1) << 24) * 64, r.write = true;
    if (!r.write) next = r.addr + uint64_t(r.count) * 64;
    runs.push_back(r);
  }
  return runs;
}

// What a channel did with a mix of submitted runs.
struct Served {
  std::vector<DramCompletion> done;
  DramStats stats;
};
// Submits `runs` to `ch` (ids in order) and serves them: all at the end (feed 0), after each run as the TLM
// target does (1), or in pieces every `every` runs, streamed (2).
Served serve_runs(DramChannel& ch, const std::vector<SubmittedRun>& runs, int feed, size_t every = 7) {
  Served o;
  auto rec = [&o](const DramCompletion& c) { o.done.push_back(c); };
  uint64_t id = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    ch.submit_run(id, runs[i].arrival, runs[i].addr, runs[i].count, runs[i].write);
    id += runs[i].count;
    if (feed == 1) ch.run(rec);
    if (feed == 2 && i % every == every - 1) ch.run_ahead(rec);
  }
  ch.run(rec);
  o.stats = ch.stats();
  return o;
}
}  // namespace

TEST(Ddr4ClosedForm, BlocksOfHitsServedInClosedFormMatchThePerBurstSchedulerOverRandomMixes) {
  // The closed form must give exactly the completions and statistics of the per-burst scheduler, whether
  // the runs are served as they come (as the TLM target does), in pieces (streamed) or all at the end.
  for (const char* preset : {"ddr4-2400", "hbm2"}) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      DramConfig cfg = dram_preset(preset);
      cfg.org.channels = 1;
      const auto runs = random_runs(3000, seed);
      struct Out : Served {
        uint64_t closed_form = 0;
      };
      auto serve = [&](bool fast, bool closed, int feed) {
        DramChannel ch(cfg);
        ch.set_fast_path(fast);
        ch.set_closed_form(closed);
        Out o;
        static_cast<Served&>(o) = serve_runs(ch, runs, feed);
        o.closed_form = ch.closed_form_bursts();
        return o;
      };
      for (int feed : {0, 1, 2}) {
        const Out ref = serve(false, false, feed), per_burst = serve(true, false, feed),
                  closed = serve(true, true, feed);
        SCOPED_TRACE(std::string(preset) + " seed " + std::to_string(seed) + " feed " + std::to_string(feed));
        EXPECT_EQ(per_burst.closed_form, 0u);
        // The mix must exercise the closed form, or this test proves nothing.
        EXPECT_GT(closed.closed_form, closed.stats.reads / 4);
        for (const Out* o : {&per_burst, &closed}) {
          ASSERT_EQ(o->done.size(), ref.done.size());
          for (size_t i = 0; i < ref.done.size(); ++i) {
            ASSERT_EQ(o->done[i].id, ref.done[i].id) << i;
            ASSERT_EQ(o->done[i].done, ref.done[i].done)
                << (o == &closed ? "closed form" : "per burst") << " at " << i;
            ASSERT_EQ(o->done[i].row_hit, ref.done[i].row_hit) << i;
            ASSERT_EQ(o->done[i].arrival, ref.done[i].arrival) << i;
          }
          EXPECT_EQ(o->stats.row_hits, ref.stats.row_hits);
          EXPECT_EQ(o->stats.activates, ref.stats.activates);
          EXPECT_EQ(o->stats.refreshes, ref.stats.refreshes);
          EXPECT_EQ(o->stats.busy_data_cycles, ref.stats.busy_data_cycles);
          EXPECT_EQ(o->stats.last_done, ref.stats.last_done);
        }
      }
    }
  }
}

TEST(Ddr4ScanBounds, SkippingCandidatesThatCannotBeatTheBestGivesThePicksOfTheFullScan) {
  // The scheduler skips a candidate whose last plan (or, for a miss, the rank's ACT spacing) already lies at
  // or after its best column cycle. That must never change a pick: the schedule, with and without the fast
  // paths, must be exactly the full scan's for every page policy, refresh scheme, mapping and rank count.
  struct Case {
    const char* name;
    std::function<void(DramConfig&)> set;
  };
  const std::vector<Case> cases = {
      {"ddr4 open", [](DramConfig&) {}},
      {"ddr4 timeout",
       [](DramConfig& c) { c.ctrl.page_policy = PagePolicy::Timeout, c.ctrl.row_timeout_ns = 20; }},
      {"ddr4 closed", [](DramConfig& c) { c.ctrl.page_policy = PagePolicy::Closed; }},
      {"ddr4 row_bank_column", [](DramConfig& c) { c.ctrl.mapping = AddressMapping::RowBankColumn; }},
      {"ddr4 bank_group_interleaved",
       [](DramConfig& c) { c.ctrl.mapping = AddressMapping::BankGroupInterleaved; }},
      {"ddr4 two ranks", [](DramConfig& c) { c.org.ranks = 2; }},
      {"ddr4 window 32",
       [](DramConfig& c) { c.ctrl.reorder_window = 32, c.ctrl.read_queue = 48, c.ctrl.max_row_hits = 4; }},
      {"hbm2 per-bank refresh",
       [](DramConfig& c) {
         c = dram_preset("hbm2");
         c.org.channels = 1;
         c.ctrl.refresh = "per_bank";
       }},
  };
  for (const Case& k : cases) {
    DramConfig cfg = one_channel();
    k.set(cfg);
    const auto runs = random_runs(2500, 11);
    struct Out : Served {
      uint64_t skips = 0;
    };
    auto serve = [&](bool bounds, bool fast) {
      DramChannel ch(cfg);
      ch.set_scan_bounds(bounds);
      ch.set_fast_path(fast);
      Out o;
      static_cast<Served&>(o) = serve_runs(ch, runs, 0);
      o.skips = ch.scan_skips();
      return o;
    };
    SCOPED_TRACE(k.name);
    const Out ref = serve(false, false);
    EXPECT_EQ(ref.skips, 0u);
    for (bool fast : {false, true}) {
      const Out got = serve(true, fast);
      // Several ranks share no ACT spacing or bus bound the test could rely on: no skips there.
      if (cfg.org.ranks == 1)
        EXPECT_GT(got.skips, 500u) << "the mix must exercise the bounds";
      else
        EXPECT_EQ(got.skips, 0u);
      ASSERT_EQ(got.done.size(), ref.done.size());
      for (size_t i = 0; i < ref.done.size(); ++i) {
        ASSERT_EQ(got.done[i].id, ref.done[i].id) << "fast " << fast << " at " << i;
        ASSERT_EQ(got.done[i].done, ref.done[i].done) << "fast " << fast << " at " << i;
        ASSERT_EQ(got.done[i].row_hit, ref.done[i].row_hit) << i;
      }
      EXPECT_EQ(got.stats.activates, ref.stats.activates);
      EXPECT_EQ(got.stats.precharges, ref.stats.precharges);
      EXPECT_EQ(got.stats.row_conflicts, ref.stats.row_conflicts);
      EXPECT_EQ(got.stats.refreshes, ref.stats.refreshes);
      EXPECT_EQ(got.stats.last_done, ref.stats.last_done);
    }
  }
}

TEST(Ddr4FastPath, WriteDrainsServedByTheFastPathMatchThePerRequestScheduler) {
  // Long sequential write runs (drained into open rows, across bank groups) between read runs, arriving
  // together, spread out or after idle gaps: the write-drain fast path must give exactly the general
  // scheduler's completions and statistics, fed all at once, as they come, or in pieces.
  std::vector<SubmittedRun> runs;
  uint64_t x = 5, at = 0, wnext = uint64_t(1) << 28, rnext = 0;
  auto rnd = [&x](uint64_t k) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    return (x >> 33) % k;
  };
  for (int i = 0; i < 1500; ++i) {
    const bool write = rnd(100) < 45;
    at += rnd(3) == 0 ? rnd(2000) : 0;
    uint64_t& next = write ? wnext : rnext;
    if (rnd(10) == 0) next = rnd(uint64_t(1) << 24) * 64;  // a jump: a new row
    SubmittedRun r{at, next, uint32_t(1 + rnd(write ? 300 : 120)), write};
    next += uint64_t(r.count) * 64;
    runs.push_back(r);
  }
  for (const char* preset : {"ddr4-2400", "ddr4-3200", "hbm2"}) {
    DramConfig cfg = dram_preset(preset);
    cfg.org.channels = 1;
    for (int feed : {0, 1, 2}) {
      auto serve = [&](bool fast, uint64_t* fast_writes) {
        DramChannel ch(cfg);
        ch.set_fast_path(fast);
        Served o = serve_runs(ch, runs, feed, 5);
        *fast_writes = ch.fast_path_writes();
        return o;
      };
      uint64_t ref_fast = 0, got_fast = 0;
      const Served r = serve(false, &ref_fast), g = serve(true, &got_fast);
      const auto &ref = r.done, &got = g.done;
      const DramStats &ref_stats = r.stats, &got_stats = g.stats;
      SCOPED_TRACE(std::string(preset) + " feed " + std::to_string(feed));
      EXPECT_EQ(ref_fast, 0u);
      EXPECT_GT(got_fast, ref_stats.writes / 2) << "the mix must exercise the write fast path";
      ASSERT_EQ(got.size(), ref.size());
      for (size_t i = 0; i < ref.size(); ++i) {
        ASSERT_EQ(got[i].id, ref[i].id) << i;
        ASSERT_EQ(got[i].done, ref[i].done) << i;
        ASSERT_EQ(got[i].row_hit, ref[i].row_hit) << i;
      }
      EXPECT_EQ(got_stats.row_hits, ref_stats.row_hits);
      EXPECT_EQ(got_stats.activates, ref_stats.activates);
      EXPECT_EQ(got_stats.refreshes, ref_stats.refreshes);
      EXPECT_EQ(got_stats.busy_data_cycles, ref_stats.busy_data_cycles);
      EXPECT_EQ(got_stats.last_done, ref_stats.last_done);
    }
  }
}

TEST(Ddr4ClosedForm, OnlyMappingsThatRotateBanksBelowTheColumnsUseIt) {
  // row_bank_column puts consecutive bursts in one bank (tCCD_L-paced, not bus-bound): no closed form.
  DramConfig cfg = one_channel();
  EXPECT_TRUE(DramChannel(cfg).closed_form_enabled());
  cfg.ctrl.mapping = AddressMapping::RowBankColumn;
  EXPECT_FALSE(DramChannel(cfg).closed_form_enabled());
  cfg = one_channel();
  cfg.ctrl.page_policy = PagePolicy::Closed;
  EXPECT_FALSE(DramChannel(cfg).closed_form_enabled());
}

// `prunesim ddr` streams each request into the memory as it is served (DramSystem::submit with stream), so
// a file of huge requests keeps its queues shallow. The schedule must be the one of submitting everything
// first: same completion per request, same statistics, over several channels and mixed sizes.
TEST(DdrRequests, StreamedServiceOfHugeRequestsMatchesSubmittingEverythingFirst) {
  DramConfig cfg = dram_preset("ddr4-2400");
  cfg.org.channels = 4;
  std::vector<sim::MemRequest> q;
  uint64_t x = 3;
  for (uint32_t i = 0; i < 24; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    sim::MemRequest r;
    r.arrival_ns = i < 8 ? 0.0 : 1000.0 * i;
    r.addr = (x >> 24) % (uint64_t(1) << 32) / 64 * 64;
    r.bytes = i % 3 == 0 ? (24u << 20) : i % 3 == 1 ? 4096u : (5u << 20) + 192u;
    r.write = i % 5 == 4;
    q.push_back(r);
  }
  const sim::DdrRunStats streamed = sim::run_requests(cfg, q);

  DramSystem mem(cfg);
  std::vector<uint64_t> first, last_done(q.size(), 0);
  for (const auto& r : q)
    first.push_back(mem.submit(mem.ns_to_cycles_floor(r.arrival_ns), r.addr, r.bytes, r.write).first);
  first.push_back(mem.bursts_submitted());
  mem.set_on_done([&](uint32_t, const DramCompletion& d) {
    const size_t i = size_t(std::upper_bound(first.begin(), first.end() - 1, d.id) - first.begin()) - 1;
    last_done[i] = std::max(last_done[i], d.done);
  });
  mem.run();
  double end = 0, lat_sum = 0;
  uint64_t reads = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    end = std::max(end, mem.cycles_to_ns(last_done[i]));
    if (!q[i].write) lat_sum += mem.cycles_to_ns(last_done[i]) - q[i].arrival_ns, ++reads;
  }
  EXPECT_DOUBLE_EQ(streamed.end_ns, end);
  EXPECT_DOUBLE_EQ(streamed.read_latency_mean_ns, lat_sum / double(reads));
  EXPECT_EQ(streamed.activates, mem.stats().activates);
  EXPECT_EQ(streamed.refreshes, mem.stats().refreshes);
  EXPECT_DOUBLE_EQ(streamed.row_hit_rate,
                   double(mem.stats().row_hits) / double(mem.stats().reads + mem.stats().writes));
}
