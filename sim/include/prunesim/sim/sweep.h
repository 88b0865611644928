#pragma once
// What-if sweeps in three steps, so a cluster scheduler can run the middle one: plan (expand grids into a
// manifest of points, validating every point's configuration before anything runs), run points (each in its
// own `prunesim run` process: SystemC elaborates once per process), merge (results in point order, Pareto
// front marked). Finished points are appended as they finish, so an interrupted sweep loses none.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "prunesim/sim/config.h"

namespace prunesim::sim {

struct SweepSpec {
  std::vector<std::string> config_files;
  std::vector<std::string> base_sets;  // --set for every point
  // Each axis is one dimension of the cartesian product: a --grid key (one key), or a --zip group whose
  // keys move in lock step.
  struct Axis {
    std::vector<std::string> keys;
    std::vector<std::vector<std::string>> values;  // values[i] = the i-th setting of every key
  };
  std::vector<Axis> axes;

  // "key=v1,v2,..." or "key=start:stop:step" (inclusive stop).
  void add_grid(const std::string& text);
  // "key=v1,v2,..."; all --zip keys form one lock-step axis and must have equally many values.
  void add_zip(const std::string& text);
  // A sweep file: lines "grid KEY=...", "zip KEY=...", "set KEY=VALUE", "config FILE"; '#' comments.
  void read_file(const std::string& path);
};

struct SweepPoint {
  size_t index = 0;
  std::vector<std::pair<std::string, std::string>> swept;  // key, value
  std::vector<std::string> files;                          // config files of this point, after the spec's
  std::vector<std::string> sets;                           // base sets then swept ones
  std::string config_hash;                                 // of the resolved configuration
};

struct SweepOptions {
  SweepOptions() = default;
  SweepOptions(std::string dir, unsigned n_jobs, double timeout_s, bool resume_, std::string binary_)
      : out_dir(std::move(dir)),
        jobs(n_jobs),
        point_timeout_s(timeout_s),
        resume(resume_),
        binary(std::move(binary_)) {}
  std::string out_dir;
  unsigned jobs = 1;
  double point_timeout_s = 0;  // 0: none
  bool resume = false;
  std::string binary;    // the prunesim executable that runs each point
  bool progress = true;  // a progress line (bar on a terminal) on stderr as points finish
  // Where records go: empty, DIR/results.jsonl (and the growing DIR/results.csv); a cluster task records
  // into a file of its own (DIR/slurm/submit-K/results-T.jsonl), so tasks never share a file.
  std::string results_file;
  std::string self;  // this prunesim, which cluster tasks run (`binary` may be a wrapper); empty: binary
};

// The progress line of a sweep on stderr: a bar on a terminal, else one line per change.
class SweepProgress {
 public:
  explicit SweepProgress(size_t total);
  void update(size_t done, size_t failed, const std::string& note = "");

 private:
  size_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::string last_;
};

// A --grid value list: "a,b,c" or "start:stop:step" (numbers, inclusive stop); `key` names it in errors.
std::vector<std::string> expand_values(const std::string& key, const std::string& values);
// Every whole record of DIR/results.jsonl, in file order (lines cut short are skipped).
std::vector<nlohmann::json> read_records(const std::string& results_jsonl);
// The records of DIR/results.jsonl by configuration hash (the last record of a configuration wins).
std::map<std::string, nlohmann::json> records_by_hash(const std::string& results_jsonl);
// The records of DIR/results.jsonl by point index (the last record of a point wins; cut lines are skipped).
std::map<size_t, nlohmann::json> read_results(const std::string& results_jsonl);

// The configuration hash a sweep records per point: of every resolved key (16 hex digits of SHA-256).
std::string hash_config(const ConfigSchema& schema, const RunConfig& c);

// The figures a sweep keeps of a run report (latency, energy, traffic, resources, fidelity when known).
nlohmann::json metrics_of(const nlohmann::json& report);

// Plans the points; throws InputError (naming the key) when any point's configuration is invalid.
std::vector<SweepPoint> plan_sweep(const SweepSpec& spec, const ConfigSchema& schema);
void write_manifest(const std::string& dir, const SweepSpec& spec, const std::vector<SweepPoint>& points);
std::vector<SweepPoint> read_manifest(const std::string& dir, SweepSpec& spec);

// Runs the points not yet done (all, unless resuming); returns how many failed. SIGTERM or SIGINT (a
// scheduler ending the task, Ctrl-C) stops it cleanly: the running points are killed and left unrecorded, so
// a resume runs them again, and the process then ends by that signal.
size_t run_sweep_points(const SweepSpec& spec, const std::vector<SweepPoint>& points, const SweepOptions& opt,
                        const std::vector<size_t>& only = {});
// Rewrites results.jsonl in point order and writes results.csv, marking the Pareto front over latency,
// energy and DSPs. Returns the number of points with results.
size_t merge_sweep(const std::string& dir, const std::vector<SweepPoint>& points);

}  // namespace prunesim::sim
