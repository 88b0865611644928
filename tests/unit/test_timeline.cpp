// The report's timeline (timeline.h): bytes spread over each transaction's span, automatic coarsening, and
// the buffer level's per-interval maximum, against sums worked by hand.
#include <gtest/gtest.h>

#include <numeric>

#include "prunesim/models/timeline.h"

using prunesim::models::ByteTimeline;

TEST(Timeline, BytesAreSpreadOverTheirSpanAndSumExactly) {
  ByteTimeline t(100.0);       // 100 ns intervals
  t.add(50, 250, 400, false);  // 2 bytes/ns: 100 in [50,100), 200 in [100,200), 100 in [200,250)
  t.add(120, 120, 64, true);   // zero span: all in its interval
  ASSERT_EQ(t.read_bytes().size(), 3u);
  EXPECT_DOUBLE_EQ(t.read_bytes()[0], 100);
  EXPECT_DOUBLE_EQ(t.read_bytes()[1], 200);
  EXPECT_DOUBLE_EQ(t.read_bytes()[2], 100);
  EXPECT_DOUBLE_EQ(t.write_bytes()[1], 64);
  EXPECT_DOUBLE_EQ(t.interval_ns(), 100);
}

TEST(Timeline, AutomaticIntervalsDoubleAndKeepEveryByte) {
  ByteTimeline t(0, 10);  // automatic, at most 10 intervals, starting at 100 ns
  for (int i = 0; i < 100; ++i) t.add(i * 100.0, i * 100.0 + 50, 1000, false);  // 10 us of traffic
  EXPECT_LE(t.read_bytes().size(), 10u);
  EXPECT_DOUBLE_EQ(t.interval_ns(), 1600);  // 100 -> 200 -> 400 -> 800 -> 1600 ns
  EXPECT_DOUBLE_EQ(std::accumulate(t.read_bytes().begin(), t.read_bytes().end(), 0.0), 100000);
  EXPECT_DOUBLE_EQ(t.read_bytes()[0], 16000);  // 16 transactions of 1000 bytes per 1.6 us
}

TEST(Timeline, TheLevelSeriesIsTheHighestLevelInEachInterval) {
  ByteTimeline t(100.0);
  t.level_change(10, 500);    // [10, 30): 500
  t.level_change(30, 300);    // [30, 150): 800
  t.level_change(150, -800);  // 0 from 150
  t.level_change(260, 200);   // 200 from 260
  t.add(0, 399, 1, false);    // the grid covers 0-400 ns
  const auto m = t.level_max();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_DOUBLE_EQ(m[0], 800);
  EXPECT_DOUBLE_EQ(m[1], 800);  // still held until 150
  EXPECT_DOUBLE_EQ(m[2], 200);
  EXPECT_DOUBLE_EQ(m[3], 200);  // carried on
}

// The level is folded into its interval as each step comes (no list of steps kept), so a grid that coarsens
// later must still give, per final interval, the highest level anywhere in it: checked against a brute-force
// evaluation of the level over the final grid, on random steps and traffic that coarsen the grid 3 times.
TEST(Timeline, TheLevelMaximumSurvivesCoarseningAsIfComputedOnTheFinalGrid) {
  ByteTimeline t(0, 16);  // automatic: 100 ns intervals at first, at most 16
  std::vector<std::pair<double, double>> steps;
  uint64_t x = 7;
  double now = 0, level = 0;
  for (int i = 0; i < 400; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    now += double((x >> 33) % 50);  // several steps often share a time or an interval
    const double delta = (x >> 20) % 3 == 0 && level >= 64 ? -64.0 : double((x >> 40) % 100);
    level += delta;
    t.level_change(now, delta);
    steps.push_back({now, delta});
    if (i % 50 == 0) t.add(now, now + 10, 64, false);
  }
  t.add(now, now + 3000, 64, false);  // the grid extends past the last step: the level carries on
  const auto got = t.level_max();
  const double iv = t.interval_ns();
  EXPECT_DOUBLE_EQ(iv, 800.0);  // 100 ns doubled 3 times to fit about 12.8 us in 16 intervals
  ASSERT_EQ(got.size(), t.read_bytes().size());
  for (size_t b = 0; b < got.size(); ++b) {
    double lv = 0, best = 0;  // the level entering interval b, and its highest value inside it
    for (const auto& [at, d] : steps) {
      if (at < double(b) * iv) lv += d;
    }
    best = b ? lv : 0;
    for (const auto& [at, d] : steps) {
      if (at < double(b) * iv) continue;
      if (at >= double(b + 1) * iv) break;
      lv += d;
      best = std::max(best, lv);
    }
    EXPECT_DOUBLE_EQ(got[b], best) << "interval " << b;
  }
}
