#pragma once
// Where sweep points run: a backend takes the planned points of a sweep directory and leaves one record per
// finished point in DIR/results.jsonl (as `run_sweep_points` does). `local` runs them as worker processes on
// this host; `slurm` submits one job array whose tasks each run a chunk of points. Backends are registered
// by name and declare their own parameters (section `<name>.`, e.g. `slurm.partition`), so another scheduler
// is one more file.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "prunesim/models/params.h"
#include "prunesim/sim/sweep.h"

namespace prunesim::sim {

struct BackendOutcome {
  std::vector<size_t> missing;     // no record: the task that owned them was killed, timed out or preempted
  std::string job;                 // the scheduler's job id, when there is one
  bool detached = false;           // submitted and not waited for (results come with --merge-only)
  std::vector<std::string> notes;  // what happened to tasks that did not complete, one line each
};

class SweepBackend {
 public:
  virtual ~SweepBackend() = default;
  // Runs `todo` (points of the manifest in opt.out_dir, already filtered for --resume and --points).
  virtual BackendOutcome run(const SweepSpec& spec, const std::vector<SweepPoint>& todo,
                             const SweepOptions& opt) = 0;
};

struct SweepBackendInfo {
  std::string name;
  std::string help;
  std::vector<models::ParamSpec> params;  // keys "<name>.<param>"
  std::function<std::unique_ptr<SweepBackend>(const models::ParamValues&)> make;
};

// Every registered backend, by name ("local" first).
const std::vector<SweepBackendInfo>& sweep_backends();
// The backend `name` with `values` (keys "<name>.<param>", checked against its declarations; an unknown
// key or a bad value throws InputError naming it).
std::unique_ptr<SweepBackend> make_sweep_backend(const std::string& name, const models::ParamValues& values);
// Backend parameters from an INI file: each `[name]` section is the backend `name`'s (file:line errors).
void read_backend_config(const std::string& path, models::ParamValues& values);
// "--help" text of every backend's parameters.
std::string describe_backends();

// Records of points run by cluster tasks (DIR/slurm/submit-*/results-*.jsonl) appended to DIR/results.jsonl,
// so merging and resuming see them; a submission whose job has ended is marked collected and not read again.
// Returns the number of submissions still running (their finished points are appended all the same).
size_t collect_cluster_results(const std::string& dir);
// A fresh (not resumed) sweep or explore in DIR: earlier submissions are not collected into it any more.
void retire_cluster_submissions(const std::string& dir);

// The points of `points` still to run: all, or those without a record when resuming, limited to `only`.
std::vector<SweepPoint> points_to_run(const std::vector<SweepPoint>& points, const std::string& dir,
                                      bool resume, const std::vector<size_t>& only = {});

}  // namespace prunesim::sim
