// The Slurm backend: one `sbatch --array` job per submission, each task running a chunk of points with the
// local backend inside it (`prunesim sweep --cluster-task`), recording into a results file of its own.
//
// A submission lives in DIR/slurm/submit-K/: manifest.json (its points), chunks.txt (line T: the point
// indices task T runs), sweep.sbatch (the script submitted, kept for the user to read or resubmit),
// job_id, task-T.log (the task's output), results-T.jsonl (its records) and task-T.exit (its exit status,
// written only when the task ran to its end). When the job has ended, the records are appended to
// DIR/results.jsonl and the submission is marked `collected`. A task that is cancelled, times out or is
// preempted leaves the records of the points it finished; --resume submits only the points with none.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "prunesim/common/error.h"
#include "prunesim/sim/report.h"
#include "prunesim/sim/sweep_backend.h"
#include "prunesim/workloads/text.h"

extern char** environ;

namespace prunesim::sim {

namespace fs = std::filesystem;
using models::ParamSpec;
using nlohmann::json;

namespace {

std::vector<ParamSpec> slurm_params() {
  return {
      ParamSpec::text("partition", "", "NAME", "sbatch --partition (empty: the cluster's default)"),
      ParamSpec::text("account", "", "NAME", "sbatch --account (empty: the user's default)"),
      ParamSpec::text("time", "", "MINUTES|[D-]HH:MM:SS",
                      "sbatch --time, the limit of one task (empty: the partition's default)"),
      ParamSpec::text("mem", "", "N[K|M|G|T]", "sbatch --mem, per task (empty: the partition's default)"),
      ParamSpec::uint("cpus_per_task", 1, 1, 256,
                      "sbatch --cpus-per-task; a task runs this many points at once"),
      ParamSpec::uint("chunk", 0, 0, 1000000,
                      "points per task; 0: about task_minutes of work, timed on one point run here first"),
      ParamSpec::real("task_minutes", 1, 0.01, 1440, "the work one task gets when chunk is 0"),
      ParamSpec::uint("max_tasks", 1000, 1, 1000000,
                      "tasks per job array at most (Slurm's MaxArraySize is 1001 by default)"),
      ParamSpec::text(
          "sbatch_flags", "", "FLAG FLAG ...",
          "more sbatch flags, space-separated, each written as one #SBATCH line (e.g. --qos=high)"),
      ParamSpec::text("job_name", "prunesim-sweep", "NAME", "sbatch --job-name"),
      ParamSpec::real("poll_s", 5, 0.05, 600, "seconds between looks at squeue while waiting"),
      ParamSpec::flag("detach", false, "submit and return the job id; merge later with --merge-only"),
  };
}

struct SlurmConfig {
  std::string partition, account, time, mem, sbatch_flags, job_name;
  uint64_t cpus_per_task = 1, chunk = 0, max_tasks = 1000;
  double task_minutes = 1, poll_s = 5;
  bool detach = false;
};

void require_form(const std::string& key, const std::string& v, const std::regex& form, const char* what) {
  if (!v.empty() && !std::regex_match(v, form))
    throw InputError("slurm." + key + ": expected " + what + ", got '" + v + "'");
}

SlurmConfig read_slurm_config(const models::ParamValues& values) {
  static const std::vector<ParamSpec> specs = slurm_params();
  const models::ParamReader r("slurm", specs, values);
  SlurmConfig c;
  c.partition = r.text("partition");
  c.account = r.text("account");
  c.time = r.text("time");
  c.mem = r.text("mem");
  c.sbatch_flags = r.text("sbatch_flags");
  c.job_name = r.text("job_name");
  c.cpus_per_task = r.uint("cpus_per_task");
  c.chunk = r.uint("chunk");
  c.max_tasks = r.uint("max_tasks");
  c.task_minutes = r.real("task_minutes");
  c.poll_s = r.real("poll_s");
  c.detach = r.flag("detach");
  // Each value becomes part of a #SBATCH line: nothing that could end the line or start another.
  static const std::regex name("[A-Za-z0-9_.,+-]+");
  require_form("partition", c.partition, name, "a partition name (letters, digits, _ . , + -)");
  require_form("account", c.account, name, "an account name (letters, digits, _ . , + -)");
  require_form("job_name", c.job_name, name, "a job name (letters, digits, _ . , + -)");
  if (c.job_name.empty()) throw InputError("slurm.job_name: expected a job name, got ''");
  require_form("time", c.time, std::regex("[0-9]+|([0-9]+-)?[0-9]{1,2}(:[0-9]{2}){1,2}"),
               "minutes or [D-]HH:MM:SS");
  require_form("mem", c.mem, std::regex("[0-9]+[KMGT]?"), "a size N[K|M|G|T]");
  std::istringstream flags(c.sbatch_flags);
  for (std::string f; flags >> f;)
    if (f.size() < 2 || f[0] != '-' || !std::regex_match(f, std::regex("[-A-Za-z0-9_=.,:/+@%]+")))
      throw InputError("slurm.sbatch_flags: '" + f +
                       "' is not an sbatch flag (expected --name or --name=value, no quotes or spaces)");
  return c;
}

struct CommandResult {
  int status = -1;  // exit status; -1: could not start or ended by a signal
  std::string out, err;
};

// Runs argv[0] (looked up on PATH) and returns what it printed.
CommandResult run_command(const std::vector<std::string>& args) {
  CommandResult res;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) return res;
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return res;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  posix_spawn_file_actions_addclose(&fa, err_pipe[0]);
  std::vector<std::string> a = args;
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    res.err = args[0] + ": not found on PATH";
    return res;
  }
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, size_t(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  res.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return res;
}

std::string first_line(const std::string& s) {
  const std::string t = trim(s.substr(0, s.find('\n')));
  return t.empty() ? "(no message)" : t;
}

bool is_active_state(const std::string& state) {
  static const std::set<std::string> active = {"PENDING",   "RUNNING",   "CONFIGURING",  "COMPLETING",
                                               "SUSPENDED", "REQUEUED",  "REQUEUE_HOLD", "REQUEUE_FED",
                                               "RESIZING",  "SIGNALING", "STAGE_OUT",    "STOPPED"};
  return active.count(state) > 0;
}

// The state of each task of `job` as squeue knows it ("" key: the whole array while none has started).
// `known` is false when squeue could not answer (not installed, controller down); an empty map with
// `known` means the job is no longer in the controller's memory: it has ended.
std::map<std::string, std::string> job_states(const std::string& job, bool& known) {
  const CommandResult r =
      run_command({"squeue", "--noheader", "--array", "--states=all", "--jobs=" + job, "--format=%i|%T"});
  std::map<std::string, std::string> states;
  known = r.status == 0 || r.err.find("Invalid job id") != std::string::npos;
  if (r.status != 0) return states;
  std::istringstream is(r.out);
  for (std::string line; std::getline(is, line);) {
    const size_t bar = line.find('|');
    if (bar == std::string::npos) continue;
    std::string id = trim(line.substr(0, bar));
    const size_t us = id.find('_');
    states[us == std::string::npos ? "" : id.substr(us + 1)] = trim(line.substr(bar + 1));
  }
  return states;
}

bool any_active(const std::map<std::string, std::string>& states) {
  return std::any_of(states.begin(), states.end(), [](const auto& s) { return is_active_state(s.second); });
}

std::string read_text(const fs::path& p) {
  std::ifstream is(p, std::ios::binary);
  std::ostringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

// Submissions of DIR in the order they were made.
std::vector<fs::path> submissions(const std::string& dir) {
  std::vector<std::pair<unsigned long, fs::path>> subs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "slurm", ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("submit-", 0) == 0 && n.size() > 7 &&
        n.find_first_not_of("0123456789", 7) == std::string::npos)
      subs.emplace_back(std::stoul(n.substr(7)), e.path());
  }
  std::sort(subs.begin(), subs.end());
  std::vector<fs::path> out;
  for (auto& s : subs) out.push_back(s.second);
  return out;
}

// The records of one submission's tasks, task by task (a line cut short by a killed task is no record).
std::vector<json> submission_records(const fs::path& sub) {
  std::vector<std::pair<unsigned long, fs::path>> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sub, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("results-", 0) == 0 && n.size() > 14 && n.compare(n.size() - 6, 6, ".jsonl") == 0)
      files.emplace_back(std::stoul(n.substr(8)), e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<json> records;
  for (const auto& [t, f] : files)
    for (auto& r : read_records(f.string())) records.push_back(std::move(r));
  return records;
}

void append_records(const std::string& dir, const std::vector<json>& records) {
  if (records.empty()) return;
  const std::string path = dir + "/results.jsonl";
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  bool needs_newline = false;
  if (in && in.tellg() > 0) {
    in.seekg(-1, std::ios::end);
    needs_newline = in.get() != '\n';
  }
  std::ofstream out(path, std::ios::app);
  if (!out) throw InputError(path + ": cannot open for appending");
  if (needs_newline) out << "\n";
  for (const auto& r : records) out << r.dump() << "\n";  // the same text the task wrote
}

class SlurmBackend final : public SweepBackend {
 public:
  explicit SlurmBackend(SlurmConfig c) : c_(std::move(c)) {}

  BackendOutcome run(const SweepSpec& spec, const std::vector<SweepPoint>& all,
                     const SweepOptions& opt) override {
    BackendOutcome outcome;
    std::vector<SweepPoint> todo = all;
    if (todo.empty()) return outcome;
    const std::string dir = fs::absolute(opt.out_dir).lexically_normal().string();
    const CommandResult probe = run_command({"sbatch", "--version"});
    if (probe.status != 0)
      throw InputError(
          "--backend slurm: sbatch does not run here: " + first_line(probe.err) +
          " (a Slurm client and SLURM_CONF or /etc/slurm/slurm.conf are needed; or --backend local)");

    uint64_t chunk = c_.chunk;
    if (chunk == 0) {
      // One point here, timed, sets the chunk; it is recorded like any other, so it is not run twice.
      SweepOptions here = opt;
      here.resume = false;
      here.progress = false;
      here.out_dir = dir;
      const auto t0 = std::chrono::steady_clock::now();
      run_sweep_points(spec, {todo.front()}, here);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      chunk = std::max<uint64_t>(
          1, uint64_t(std::floor(c_.task_minutes * 60.0 * double(c_.cpus_per_task) / std::max(s, 1e-3))));
      if (opt.progress)
        std::cerr << "slurm: point " << todo.front().index << " ran here in " << std::fixed
                  << std::setprecision(2) << s << " s, so a task gets " << chunk << " point"
                  << (chunk == 1 ? "" : "s") << " (slurm.task_minutes=" << std::defaultfloat
                  << c_.task_minutes << ")\n";
      todo.erase(todo.begin());
      if (todo.empty()) return outcome;
    }
    chunk = std::max<uint64_t>(chunk, (todo.size() + c_.max_tasks - 1) / c_.max_tasks);
    const size_t tasks = (todo.size() + chunk - 1) / chunk;

    const fs::path sub = next_submission(dir);
    write_manifest(sub.string(), spec, todo);
    std::string chunks;
    for (size_t t = 0; t < tasks; ++t) {
      for (size_t i = t * chunk; i < std::min(todo.size(), (t + 1) * chunk); ++i)
        chunks += (i == t * chunk ? "" : ",") + std::to_string(todo[i].index);
      chunks += "\n";
    }
    write_file_atomic((sub / "chunks.txt").string(), chunks);
    const std::string script = (sub / "sweep.sbatch").string();
    write_file_atomic(script, batch_script(dir, sub, todo.size(), tasks, chunk, opt));

    const CommandResult r = run_command({"sbatch", "--parsable", script});
    if (r.status != 0)
      throw InputError("--backend slurm: sbatch refused " + script + ": " + first_line(r.err));
    outcome.job = trim(r.out.substr(0, r.out.find_first_of(";\n")));
    if (outcome.job.empty() || outcome.job.find_first_not_of("0123456789") != std::string::npos)
      throw std::runtime_error("sbatch --parsable printed '" + trim(r.out) + "', not a job id");
    write_file_atomic((sub / "job_id").string(), outcome.job + "\n");
    if (c_.detach) {
      outcome.detached = true;
      return outcome;
    }
    wait_for(outcome.job, sub, todo.size(), opt);
    const auto states = final_states(outcome.job, sub, tasks);
    append_records(dir, submission_records(sub));
    write_file_atomic((sub / "collected").string(), "");

    // Recorded means a record of the point's configuration hash (an index alone may hold a stale record).
    std::set<std::string> recorded;
    for (const auto& rec : read_records(dir + "/results.jsonl")) recorded.insert(rec.value("hash", ""));
    std::map<size_t, std::string> hash_of;
    for (const auto& p : todo) hash_of[p.index] = p.config_hash;
    std::istringstream cs(chunks);
    std::string line;
    for (size_t t = 0; std::getline(cs, line); ++t) {
      size_t missing = 0, owned = 0;
      std::istringstream ps(line);
      for (std::string item; std::getline(ps, item, ','); ++owned) {
        const size_t i = std::stoul(item);
        if (!recorded.count(hash_of[i])) {
          outcome.missing.push_back(i);
          ++missing;
        }
      }
      const std::string st = states.at(t);
      if (st != "COMPLETED" || missing)
        outcome.notes.push_back(
            "task " + std::to_string(t) + " of job " + outcome.job + ": " + st + ", " +
            std::to_string(owned - missing) + " of " + std::to_string(owned) +
            " points recorded (log: " + (sub / ("task-" + std::to_string(t) + ".log")).string() + ")");
    }
    return outcome;
  }

 private:
  static fs::path next_submission(const std::string& dir) {
    const auto subs = submissions(dir);
    const unsigned long k = subs.empty() ? 1 : std::stoul(subs.back().filename().string().substr(7)) + 1;
    const fs::path p = fs::path(dir) / "slurm" / ("submit-" + std::to_string(k));
    fs::create_directories(p);
    return p;
  }

  std::string batch_script(const std::string& dir, const fs::path& sub, size_t points, size_t tasks,
                           uint64_t chunk, const SweepOptions& opt) const {
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# prunesim sweep, " << sub.filename().string() << " of " << dir << ": " << points << " point"
      << (points == 1 ? "" : "s") << " in " << tasks << " task" << (tasks == 1 ? "" : "s") << " of up to "
      << chunk << ".\n"
      << "#SBATCH --job-name=" << c_.job_name << "\n"
      << "#SBATCH --array=0-" << tasks - 1 << "\n"
      << "#SBATCH --output=" << (sub / "task-%a.log").string() << "\n"
      << "#SBATCH --cpus-per-task=" << c_.cpus_per_task << "\n";
    if (!c_.partition.empty()) s << "#SBATCH --partition=" << c_.partition << "\n";
    if (!c_.account.empty()) s << "#SBATCH --account=" << c_.account << "\n";
    if (!c_.time.empty()) s << "#SBATCH --time=" << c_.time << "\n";
    if (!c_.mem.empty()) s << "#SBATCH --mem=" << c_.mem << "\n";
    std::istringstream flags(c_.sbatch_flags);
    for (std::string f; flags >> f;) s << "#SBATCH " << f << "\n";
    s << "# Task T runs the points on line T+1 of chunks.txt, each in its own prunesim process, and records\n"
      << "# them in results-T.jsonl as they finish: a task ended early keeps the points it finished.\n"
      << "set -u\n"
      << "submit=" << shell_quote(sub.string()) << "\n"
      << "task=${SLURM_ARRAY_TASK_ID:?not run as a Slurm array task}\n"
      << shell_quote(opt.self.empty() ? opt.binary : opt.self) << " sweep --out " << shell_quote(dir)
      << " --cluster-task \"$submit\" --task-index \"$task\" --jobs " << c_.cpus_per_task;
    if (opt.point_timeout_s > 0) s << " --point-timeout " << opt.point_timeout_s;
    if (!opt.self.empty() && opt.binary != opt.self) s << " --runner " << shell_quote(opt.binary);
    s << "\n"
      << "status=$?\n"
      << "echo \"$status\" > \"$submit/task-$task.exit\"\n"
      << "exit \"$status\"\n";
    return s.str();
  }

  size_t recorded_in(const fs::path& sub, size_t& failed) const {
    std::set<size_t> seen;
    failed = 0;
    for (const auto& r : submission_records(sub))
      if (seen.insert(r["index"].get<size_t>()).second && r.value("status", "") != "ok") ++failed;
    return seen.size();
  }

  void wait_for(const std::string& job, const fs::path& sub, size_t total, const SweepOptions& opt) const {
    SweepProgress progress(total);
    unsigned unknown = 0;
    for (;;) {
      bool known = false;
      const auto states = job_states(job, known);
      size_t failed = 0;
      const size_t done = recorded_in(sub, failed);
      if (known) {
        unknown = 0;
        std::map<std::string, size_t> count;
        for (const auto& [t, st] : states) ++count[st];
        std::string note = "job " + job;
        for (const auto& [st, n] : count)
          if (is_active_state(st)) note += ", " + std::to_string(n) + " " + st;
        if (opt.progress) progress.update(done, failed, note);
        if (!any_active(states)) break;
      } else if (++unknown * c_.poll_s > 300) {
        throw std::runtime_error("squeue has not answered for 5 minutes about job " + job +
                                 "; the job may still run: merge later with --merge-only");
      }
      std::this_thread::sleep_for(std::chrono::duration<double>(c_.poll_s));
    }
    if (opt.progress) {
      size_t failed = 0;
      const size_t done = recorded_in(sub, failed);
      if (done != total) progress.update(done, failed, "job " + job + " ended");
      if (!isatty(2) || done == total) return;
      std::cerr << "\n";
    }
  }

  // Each task's final state: squeue's while the controller remembers the job, else what the task left
  // (an exit file is written only by a task that ran to its end).
  static std::vector<std::string> final_states(const std::string& job, const fs::path& sub, size_t tasks) {
    bool known = false;
    const auto states = job_states(job, known);
    std::vector<std::string> out;
    for (size_t t = 0; t < tasks; ++t) {
      auto it = states.find(std::to_string(t));
      if (it != states.end()) {
        out.push_back(it->second);
        continue;
      }
      const std::string exit = trim(read_text(sub / ("task-" + std::to_string(t) + ".exit")));
      out.push_back(exit.empty() ? "ENDED EARLY" : exit == "0" ? "COMPLETED" : "FAILED (exit " + exit + ")");
    }
    return out;
  }

  SlurmConfig c_;
};

}  // namespace

SweepBackendInfo slurm_backend_info() {
  return {"slurm", "one sbatch --array job; each task runs a chunk of points (slurm.chunk)", slurm_params(),
          [](const models::ParamValues& v) { return std::make_unique<SlurmBackend>(read_slurm_config(v)); }};
}

size_t collect_cluster_results(const std::string& dir) {
  size_t running = 0;
  for (const auto& sub : submissions(dir)) {
    if (fs::exists(sub / "collected")) continue;
    const std::string job = trim(read_text(sub / "job_id"));
    if (job.empty()) {  // sbatch refused it: nothing ran
      write_file_atomic((sub / "collected").string(), "");
      continue;
    }
    bool known = false;
    const bool active = any_active(job_states(job, known)) || !known;
    append_records(dir, submission_records(sub));
    if (active)
      ++running;  // read again next time: its tasks may still record points
    else
      write_file_atomic((sub / "collected").string(), "");
  }
  return running;
}

void retire_cluster_submissions(const std::string& dir) {
  for (const auto& sub : submissions(dir))
    if (!fs::exists(sub / "collected")) write_file_atomic((sub / "collected").string(), "");
}

}  // namespace prunesim::sim
