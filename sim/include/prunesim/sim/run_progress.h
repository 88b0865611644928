#pragma once
// A long run's progress on a terminal: work items replayed (or DRAM requests served), simulated time, wall
// time and an estimate of what is left, on one line of stderr, redrawn at most twice a second. Silent when
// stderr is not a terminal (logs, sweeps' workers, CI) and for runs that end before the delay (1 s, or
// PRUNESIM_PROGRESS_DELAY seconds: like git's GIT_PROGRESS_DELAY, so a test can see the line on a short run).
#include <chrono>
#include <cstdint>
#include <string>

#include "prunesim/models/schedule_observer.h"

namespace prunesim::sim {

// What a progress line counts: its verb and its unit ("replayed", "work items").
struct ProgressUnits {
  const char* verb = "replayed";
  const char* noun = "work items";
};

class RunProgress : public models::ScheduleObserver {
 public:
  // `cycle_ns`: the clock period of the cycles passed in, to show simulated time. `enabled`: false never
  // draws. `delay_s`: nothing is drawn before this much wall time.
  RunProgress(double cycle_ns, bool enabled, ProgressUnits units = {}, double delay_s = 1.0);

  // The delay PRUNESIM_PROGRESS_DELAY asks for (seconds, finite, >= 0), 1 s when unset; InputError
  // naming the variable otherwise.
  static double delay_from_environment();
  ~RunProgress() override { finish(); }
  void finish();  // clears the line it drew, before the report prints

  void executed(const models::WorkItem&, const workloads::Op&) override {}
  // From the controller, after every work item: the clock is read every 64 items, not every one.
  void progressed(size_t done, size_t total, uint64_t cycles) override;
  // For callers whose steps are coarse (a DRAM request may be 1 GiB): reads the clock on every call.
  void update(size_t done, size_t total, uint64_t cycles);

  // The line for a state of the run (for tests): "replayed 40 % (1,200 of 3,000 work items), 12.3 ms
  // simulated, 4 s elapsed, about 6 s left".
  static std::string line(size_t done, size_t total, double simulated_ms, double elapsed_s,
                          ProgressUnits units = {});

 private:
  double cycle_ns_;
  bool enabled_;
  ProgressUnits units_;
  double delay_s_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace prunesim::sim
