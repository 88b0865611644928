// Power from a run's energy (models/power.h), derived by hand on a run built without simulating.
#include <gtest/gtest.h>

#include "prunesim/models/power.h"

using namespace prunesim::models;

namespace {

// 400 ns at 1 GHz: a GEMM op over [0, 200) ns issuing 1 M int8 MACs, a vector op over [200, 400) ns with 1 M
// element ops, and 4,000 DRAM bytes on a 100 ns grid (1,000 in the first interval, 3,000 in the second).
struct HandRun {
  HwConfig hw;
  RunResult r;
  HandRun() : r() {
    hw.clock.mhz = 1000;
    hw.device.static_power_w = 2;
    r.latency_ms = 400e-6;
    r.cycles = 400;
    r.weight_bits = 8;
    r.timeline = ByteTimeline(100);
    r.timeline.add(0, 100, 1000, false);
    r.timeline.add(100, 200, 3000, false);
    r.dram.bytes_read = 4000;
    OpStats gemm, vec;
    gemm.issued_macs = gemm.macs = 1000000;
    gemm.start_cycle = 0, gemm.cycles = 200;
    vec.vector_ops = 1000000;
    vec.start_cycle = 200, vec.cycles = 200;
    r.peak_macs_per_cycle = 4096;
    add_finished_op(r, gemm, hw);
    add_finished_op(r, vec, hw);
    r.macs = r.issued_macs = 1000000;
    r.vector_ops = 1000000;
    r.dense_equivalent_macs = 3000000;
    r.energy = compute_energy(r, hw);
  }
};

}  // namespace

TEST(Power, AHandBuiltRunsPowerFromTheEnergyTable) {
  const HandRun h;
  // The default table: 0.2 pJ per int8 MAC, 0.5 pJ per vector op, 15 pJ per DRAM bit.
  const double pe_mj = 1e6 * 0.2e-9, vec_mj = 1e6 * 0.5e-9, ddr_mj = 4000 * 8 * 15e-9, static_mj = 2 * 400e-6;
  ASSERT_NEAR(h.r.energy.total(), pe_mj + vec_mj + ddr_mj + static_mj, 1e-15);
  const PowerReport p = power_report(h.r, h.hw);
  EXPECT_NEAR(p.pe_w, pe_mj / 400e-6, 1e-9);
  EXPECT_NEAR(p.vector_w, vec_mj / 400e-6, 1e-9);
  EXPECT_NEAR(p.ddr_w, ddr_mj / 400e-6, 1e-9);
  EXPECT_DOUBLE_EQ(p.static_w, 2.0);
  EXPECT_NEAR(p.average_w(), 4.95, 1e-9);  // 1.98 uJ over 400 ns
  // Per 100 ns: static 2 W plus (interval 0) the GEMM's half (1e-4 mJ) and a quarter of the DRAM energy
  // (1.2e-4 mJ); (1) the other GEMM half and three quarters of the DRAM (3.6e-4 mJ); (2, 3) half the vector
  // op each (2.5e-4 mJ). mJ per 1e-4 ms = W.
  ASSERT_EQ(p.total_w.size(), 4u);
  EXPECT_DOUBLE_EQ(p.interval_ns, 100.0);
  EXPECT_NEAR(p.last_interval_ns, 100.0, 1e-9);
  const double want[] = {4.2, 6.6, 4.5, 4.5};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(p.total_w[i], want[i], 1e-9) << i;
  EXPECT_NEAR(p.peak_w, 6.6, 1e-9);
  // 2 ops per MAC over 1.98 uJ: performed 1 M MACs, dense-equivalent 3 M.
  EXPECT_NEAR(p.gops_per_w_performed, 2e6 * 1e-9 / 1.98e-6, 1e-9);
  EXPECT_NEAR(p.gops_per_w_dense_equivalent, 6e6 * 1e-9 / 1.98e-6, 1e-9);
}

TEST(Power, TheSeriesHoldsTheRunsEnergyOnAShorterLastInterval) {
  HandRun h;
  h.r.latency_ms = 350e-6;  // the run ends inside the fourth interval: the vector op spans [200, 350) ns
  h.r.cycles = 350;
  h.r.rollups.energy[1].cycles = 150;
  h.r.energy = compute_energy(h.r, h.hw);
  const PowerReport p = power_report(h.r, h.hw);
  ASSERT_EQ(p.total_w.size(), 4u);
  EXPECT_NEAR(p.last_interval_ns, 50.0, 1e-9);
  double mj = 0;
  for (size_t i = 0; i < p.total_w.size(); ++i)
    mj += p.total_w[i] * (i + 1 == p.total_w.size() ? p.last_interval_ns : p.interval_ns) * 1e-6;
  EXPECT_NEAR(mj, h.r.energy.total(), 1e-12);
  // The vector op's power is the same in its full and its half interval: 5e-4 mJ over 150 ns.
  EXPECT_NEAR(p.total_w[2], p.total_w[3], 1e-9);
  EXPECT_NEAR(p.total_w[3], 2.0 + 5e-4 / 150e-6, 1e-9);
}
