#pragma once
// A long run's progress on a terminal: work items replayed, simulated time, wall time and an estimate of what
// is left, on one line of stderr, redrawn at most twice a second. Silent when stderr is not a terminal (logs,
// sweeps' workers, CI) and for runs that end within the first second.
#include <chrono>
#include <cstdint>
#include <string>

#include "prunesim/models/schedule_observer.h"

namespace prunesim::sim {

class RunProgress : public models::ScheduleObserver {
 public:
  // `cycle_ns`: the design's clock period, to show simulated time. `enabled`: false never draws.
  RunProgress(double cycle_ns, bool enabled);
  ~RunProgress() override { finish(); }
  void finish();  // clears the line it drew, before the report prints

  void executed(const models::WorkItem&, const workloads::Op&) override {}
  void progressed(size_t done, size_t total, uint64_t cycles) override;

  // The line for a state of the run (for tests): "replayed 40 % (1,200 of 3,000 work items), 12.3 ms
  // simulated, 4 s elapsed, about 6 s left".
  static std::string line(size_t done, size_t total, double simulated_ms, double elapsed_s);

 private:
  double cycle_ns_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace prunesim::sim
