#pragma once
// What the controller publishes as it replays a schedule: each work item of a compute unit (PE array, vector
// unit, token unit) once it has executed, in program order. Observers see the schedule, not its timing: the
// functional check subscribes (sim/functional.h) and the timing units know nothing of them.
#include "prunesim/models/tiling.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::models {

class ScheduleObserver {
 public:
  virtual ~ScheduleObserver() = default;
  virtual void executed(const WorkItem& item, const workloads::Op& op) = 0;
  // After every work item (transfers too): `done` of `total` items replayed, at the controller's own time in
  // cycles. For progress displays; the default ignores it.
  virtual void progressed(size_t done, size_t total, uint64_t cycles) {
    (void)done, (void)total, (void)cycles;
  }
};

}  // namespace prunesim::models
