// The per-op stats board (models/stats.h): ops finish in order into the run's rollups; unless every op is
// kept, the board holds only the ops in flight.
#include <gtest/gtest.h>

#include "prunesim/models/stats.h"

using namespace prunesim::models;

namespace {

// Eight ops of layers 0, 0, 1, 1, ...: op i does i MACs and 10 i DDR bytes over 100 cycles.
void play(OpStatsBoard& board) {
  for (size_t i = 0; i < 8; ++i) {
    if (i == 5) continue;  // an op without work items: finishes with the next one
    UnitStats u;
    u.macs = i;
    board.record(i, u);
    OpStats& s = board.op(i);
    s.ddr_read_bytes = 10 * i, s.cycles = 100;
    board.finish_through(i);
  }
  board.finish_all();
}

OpStatsBoard board_for(bool keep, std::vector<size_t>& finished, OpRollups& rollups) {
  OpStatsBoard b(8, keep, [](size_t i, OpStats& s) { s.id = uint32_t(i), s.layer = int(i / 2); });
  b.set_on_finish([&](OpStats& s) {
    finished.push_back(s.id);
    rollups.add(s);
  });
  return b;
}

}  // namespace

TEST(OpStatsBoard, OpsFinishInOrderIntoTheRollupsAndOnlyKeptOnesStay) {
  for (bool keep : {false, true}) {
    std::vector<size_t> finished;
    OpRollups rollups;
    OpStatsBoard board = board_for(keep, finished, rollups);
    play(board);
    EXPECT_EQ(finished, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7})) << keep;
    EXPECT_EQ(rollups.work.macs, 0u + 1 + 2 + 3 + 4 + 6 + 7);
    EXPECT_EQ(rollups.ddr_read_bytes, 10u * (1 + 2 + 3 + 4 + 6 + 7));
    ASSERT_EQ(rollups.layers.size(), 4u);
    EXPECT_EQ(rollups.layers.at(2).ops, 2u);   // ops 4 and 5, the one without items included
    EXPECT_EQ(rollups.layers.at(2).macs, 4u);  // 4 + 0
    EXPECT_EQ(rollups.layers.at(2).cycles, 100u);
    EXPECT_EQ(board.most_held(), 2u);  // op 5 and op 6 at once, never more
    const std::vector<OpStats> kept = board.take();
    ASSERT_EQ(kept.size(), keep ? 8u : 0u);
    if (keep) EXPECT_EQ(kept[7].macs, 7u);
    // A stats event for an op that has finished is a simulator bug, not a silent loss.
    EXPECT_THROW(board.record(3, UnitStats{}), std::logic_error);
  }
}
