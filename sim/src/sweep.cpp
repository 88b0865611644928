#include "prunesim/sim/sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "prunesim/common/error.h"
#include "prunesim/sim/cli.h"
#include "prunesim/sim/report.h"
#include "prunesim/sim/sweep_backend.h"
#include "prunesim/workloads/text.h"

extern char** environ;

namespace prunesim::sim {

using nlohmann::json;

namespace {

std::pair<std::string, std::string> split_key(const std::string& text, const char* what) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw InputError(std::string(what) + " '" + text + "': expected KEY=VALUES");
  return {trim(text.substr(0, eq)), trim(text.substr(eq + 1))};
}

bool is_number(const std::string& s, double& v) {
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0';
}

std::string format_number(double v) {
  std::ostringstream os;
  os << std::setprecision(12) << v;
  return os.str();
}

}  // namespace

// "a,b,c" or "start:stop:step" (inclusive, numbers).
std::vector<std::string> expand_values(const std::string& key, const std::string& v) {
  std::vector<std::string> out;
  if (std::count(v.begin(), v.end(), ':') == 2 && v.find(',') == std::string::npos) {
    const size_t c1 = v.find(':'), c2 = v.rfind(':');
    double a, b, s;
    if (!parse_finite(v.substr(0, c1), a) || !parse_finite(v.substr(c1 + 1, c2 - c1 - 1), b) ||
        !parse_finite(v.substr(c2 + 1), s) || s <= 0 || b < a)
      throw InputError("--grid " + key + "=" + v +
                       ": expected start:stop:step of finite numbers with start <= stop and step > 0");
    // Counted in floating point first: (stop - start) / step may be far beyond any integer type.
    const double count = std::floor((b - a) / s + 1e-9) + 1;
    if (!(count <= 100000)) throw InputError("--grid " + key + "=" + v + ": more than 100,000 values");
    const long n = long(count);
    for (long i = 0; i < n; ++i) out.push_back(format_number(a + double(i) * s));
    return out;
  }
  std::istringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(trim(item));
  if (out.empty()) throw InputError("--grid " + key + ": no values");
  return out;
}

std::string hash_config(const ConfigSchema& schema, const RunConfig& c) {
  std::string text;
  for (const auto& [k, v] : schema.dump(c)) text += k + "=" + v + "\n";
  return sha256_hex(text).substr(0, 16);
}

namespace {

// A header figure of the trace as a number, null when the trace does not carry it.
json header_number(const json& r, const char* key) {
  const json& h = r["workload"]["header"];
  if (!h.is_object() || !h.contains(key) || !h[key].is_string()) return nullptr;
  double v = 0;
  return is_number(h[key].get<std::string>(), v) ? json(v) : json(nullptr);
}

}  // namespace

json metrics_of(const json& r) {
  return json{{"latency_cycles", r["latency"]["cycles"]},
              {"latency_ms", r["latency"]["ms"]},
              {"energy_mj", r["energy"]["total_mj"]},
              {"ddr_read_bytes", r["traffic"]["ddr_read_bytes"]},
              {"ddr_write_bytes", r["traffic"]["ddr_write_bytes"]},
              {"onchip_read_bytes", r["traffic"]["onchip_read_bytes"]},
              {"onchip_write_bytes", r["traffic"]["onchip_write_bytes"]},
              {"macs", r["compute"]["macs"]},
              {"utilization", r["compute"]["utilization"]},
              {"dsp", r["resources"]["dsp"]["used"]},
              {"bram36", r["resources"]["bram36"]["used"]},
              {"uram", r["resources"]["uram"]["used"]},
              {"fits", r["resources"]["fits"]},
              // Real weights only: the pruned model against the dense one (the compressor's measure).
              {"fidelity_rel_error", header_number(r, "fidelity_rel_error")},
              {"fidelity_top1_agreement", header_number(r, "fidelity_top1_agreement")}};
}

namespace {

std::string read_tail(const std::string& path, size_t n) {
  std::ifstream is(path, std::ios::binary);
  std::ostringstream ss;
  ss << is.rdbuf();
  std::string s = ss.str();
  return s.size() > n ? s.substr(s.size() - n) : s;
}

void ensure_dir(const std::string& d) {
  if (mkdir(d.c_str(), 0777) != 0 && errno != EEXIST) throw InputError(d + ": cannot create directory");
}

}  // namespace

std::vector<json> read_records(const std::string& path) {
  std::vector<json> out;
  std::ifstream is(path);
  std::string line;
  while (std::getline(is, line)) {
    if (trim(line).empty()) continue;
    try {
      json j = json::parse(line);
      if (j.is_object() && j.contains("index") && j["index"].is_number_unsigned())
        out.push_back(std::move(j));
    } catch (const json::exception&) {
      // A line cut short by an interruption: that point simply runs again.
    }
  }
  return out;
}

std::map<std::string, json> records_by_hash(const std::string& path) {
  std::map<std::string, json> by_hash;
  for (auto& r : read_records(path)) {             // in file order: the last record of a configuration wins
    const std::string hash = r.value("hash", "");  // first: json's operator= takes its argument by value
    by_hash[hash] = std::move(r);
  }
  return by_hash;
}

std::map<size_t, json> read_results(const std::string& path) {
  std::map<size_t, json> done;
  for (auto& j : read_records(path)) {
    const size_t index = j["index"].get<size_t>();
    done[index] = std::move(j);  // the last record of a point wins
  }
  return done;
}

namespace {

const std::vector<std::string>& csv_metrics() {
  static const std::vector<std::string> m = {"latency_cycles",
                                             "latency_ms",
                                             "energy_mj",
                                             "ddr_read_bytes",
                                             "ddr_write_bytes",
                                             "macs",
                                             "utilization",
                                             "dsp",
                                             "bram36",
                                             "uram",
                                             "fits",
                                             "fidelity_rel_error",
                                             "fidelity_top1_agreement"};
  return m;
}

std::string csv_header(const std::vector<SweepPoint>& points) {
  std::string h = "index,hash,status";
  if (!points.empty())
    for (const auto& [k, v] : points.front().swept) h += "," + k;
  for (const auto& k : csv_metrics()) h += "," + k;
  return h + ",pareto\n";
}

// One CSV row; `pareto` is empty while the sweep runs (the front is known only at the merge).
std::string csv_row(const SweepPoint& p, const json& r, const std::string& pareto) {
  std::ostringstream os;
  os << p.index << "," << p.config_hash << "," << r.value("status", "");
  for (const auto& [k, v] : p.swept) os << "," << v;
  for (const auto& k : csv_metrics()) {
    const json v = r.contains("metrics") ? r["metrics"].value(k, json(nullptr)) : json(nullptr);
    os << "," << (v.is_null() ? "" : v.dump());  // unknown (e.g. fidelity without real weights): empty
  }
  os << "," << pareto << "\n";
  return os.str();
}

}  // namespace

SweepProgress::SweepProgress(size_t total)
    : total_(total), tty_(isatty(2)), start_(std::chrono::steady_clock::now()) {}

void SweepProgress::update(size_t done, size_t failed, const std::string& note) {
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double eta = done ? el / double(done) * double(total_ - std::min(done, total_)) : 0.0;
  std::ostringstream os;
  os << done << "/" << total_ << " done, " << failed << " failed";
  if (done) os << ", ETA " << std::fixed << std::setprecision(0) << eta << " s";
  if (!note.empty()) os << " (" << note << ")";
  if (tty_) {
    const int width = 30,
              fill = total_ ? int(double(width) * double(std::min(done, total_)) / double(total_)) : width;
    std::cerr << "\r[" << std::string(size_t(fill), '#') << std::string(size_t(width - fill), ' ') << "] "
              << os.str() << "   " << std::flush;
    if (done == total_) std::cerr << "\n";
  } else if (os.str() != last_) {
    std::cerr << "sweep: " << os.str() << "\n";
  }
  last_ = os.str();
}

void SweepSpec::add_grid(const std::string& text) {
  const auto [key, v] = split_key(text, "--grid");
  Axis a;
  a.keys = {key};
  for (const auto& x : expand_values(key, v)) a.values.push_back({x});
  axes.push_back(a);
}

void SweepSpec::add_zip(const std::string& text) {
  const auto [key, v] = split_key(text, "--zip");
  const auto vals = expand_values(key, v);
  // All --zip keys share one axis; its keys carry a "zip:" mark until the plan strips it.
  Axis* zip = nullptr;
  for (auto& a : axes)
    if (!a.keys.empty() && a.keys.front().rfind("zip:", 0) == 0) zip = &a;
  if (!zip) {
    axes.push_back(Axis{});
    zip = &axes.back();
    zip->values.resize(vals.size());
  }
  if (zip->values.size() != vals.size())
    throw InputError("--zip " + key + ": " + std::to_string(vals.size()) +
                     " values, but the other --zip keys have " + std::to_string(zip->values.size()));
  zip->keys.push_back("zip:" + key);
  for (size_t i = 0; i < vals.size(); ++i) zip->values[i].push_back(vals[i]);
}

void SweepSpec::read_file(const std::string& path) {
  std::ifstream is(path);
  if (!is) throw InputError(path + ": cannot open sweep file");
  std::string line;
  for (size_t n = 1; std::getline(is, line); ++n) {
    if (!valid_utf8(line)) throw InputError(path + ":" + std::to_string(n) + ": not UTF-8 text");
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    const std::string word = line.substr(0, sp),
                      rest = sp == std::string::npos ? "" : trim(line.substr(sp + 1));
    try {
      if (word == "grid")
        add_grid(rest);
      else if (word == "zip")
        add_zip(rest);
      else if (word == "set")
        base_sets.push_back(rest);
      else if (word == "config")
        config_files.push_back(rest);
      else
        throw InputError("unknown line '" + word + "' (expected grid, zip, set or config)");
    } catch (const InputError& e) {
      throw InputError(path + ":" + std::to_string(n) + ": " + e.what());
    }
  }
}

std::vector<SweepPoint> plan_sweep(const SweepSpec& spec, const ConfigSchema& schema) {
  if (spec.axes.empty()) throw InputError("sweep: give at least one --grid or --zip");
  std::set<std::string> seen;
  for (const auto& a : spec.axes)
    for (const auto& k : a.keys) {
      const std::string key = k.rfind("zip:", 0) == 0 ? k.substr(4) : k;
      if (!schema.has(key))
        throw InputError("sweep: unknown key '" + key + "' (prunesim run --help-config lists every key)");
      if (!seen.insert(key).second)
        throw InputError("sweep: key '" + key + "' is swept twice (one --grid or --zip per key)");
    }
  // The product is checked as it grows: four 65,536-value axes would wrap a 64-bit count.
  size_t total = 1;
  for (const auto& a : spec.axes) {
    if (a.values.empty()) throw InputError("sweep: an axis has no values");
    if (total > 1000000 / a.values.size())
      throw InputError("sweep: more than 1,000,000 points (the axes' sizes multiply)");
    total *= a.values.size();
  }
  std::vector<SweepPoint> points;
  std::vector<size_t> at(spec.axes.size(), 0);
  for (size_t i = 0; i < total; ++i) {
    // Mixed-radix counter, last axis fastest.
    size_t rem = i;
    for (size_t ax = spec.axes.size(); ax-- > 0;) {
      at[ax] = rem % spec.axes[ax].values.size();
      rem /= spec.axes[ax].values.size();
    }
    SweepPoint p;
    p.index = i;
    p.sets = spec.base_sets;
    for (size_t ax = 0; ax < spec.axes.size(); ++ax)
      for (size_t k = 0; k < spec.axes[ax].keys.size(); ++k) {
        std::string key = spec.axes[ax].keys[k];
        if (key.rfind("zip:", 0) == 0) key = key.substr(4);
        const std::string& v = spec.axes[ax].values[at[ax]][k];
        p.swept.emplace_back(key, v);
        p.sets.push_back(key + "=" + v);
      }
    try {
      p.config_hash = hash_config(schema, schema.resolve(spec.config_files, p.sets));
    } catch (const InputError& e) {
      std::string where_;
      for (const auto& [k, v] : p.swept) where_ += (where_.empty() ? "" : ", ") + k + "=" + v;
      throw InputError("sweep point " + std::to_string(i) + " (" + where_ + "): " + e.what());
    }
    points.push_back(std::move(p));
  }
  return points;
}

void write_manifest(const std::string& dir, const SweepSpec& spec, const std::vector<SweepPoint>& points) {
  ensure_dir(dir);
  json j{{"config_files", spec.config_files}, {"base_sets", spec.base_sets}, {"points", json::array()}};
  for (const auto& p : points)
    j["points"].push_back({{"index", p.index},
                           {"swept", p.swept},
                           {"files", p.files},
                           {"sets", p.sets},
                           {"hash", p.config_hash}});
  write_file_atomic(dir + "/manifest.json", j.dump(1) + "\n");
}

std::vector<SweepPoint> read_manifest(const std::string& dir, SweepSpec& spec) {
  std::ifstream is(dir + "/manifest.json");
  if (!is) throw InputError(dir + "/manifest.json: no sweep manifest (plan the sweep first)");
  std::vector<SweepPoint> points;
  try {
    const json j = json::parse(is);
    spec.config_files = j.at("config_files").get<std::vector<std::string>>();
    spec.base_sets = j.at("base_sets").get<std::vector<std::string>>();
    for (const auto& p : j.at("points")) {
      SweepPoint sp;
      sp.index = p.at("index").get<size_t>();
      sp.swept = p.at("swept").get<std::vector<std::pair<std::string, std::string>>>();
      sp.files = p.value("files", std::vector<std::string>{});
      sp.sets = p.at("sets").get<std::vector<std::string>>();
      sp.config_hash = p.at("hash").get<std::string>();
      points.push_back(sp);
    }
  } catch (const json::exception& e) {
    throw InputError(dir + "/manifest.json: " + e.what());
  }
  return points;
}

namespace {

volatile sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int sig) {
  g_stop_signal = sig;
}

// SIGTERM and SIGINT handled while points run, the previous handlers restored after.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &old_term_);
    sigaction(SIGINT, &sa, &old_int_);
  }
  ~StopSignals() {
    sigaction(SIGTERM, &old_term_, nullptr);
    sigaction(SIGINT, &old_int_, nullptr);
  }
  int received() const { return g_stop_signal; }

 private:
  struct sigaction old_term_ {
  }, old_int_{};
};

// Whether `path` is the running executable: then a point needs no exec of its own (see fork_point).
bool is_this_executable(const std::string& path) {
  struct stat a {
  }, b{};
  return stat(path.c_str(), &a) == 0 && stat("/proc/self/exe", &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// Forks a point's process. A point never outlives its sweep: it is killed if the sweep dies (a scheduler's
// SIGKILL after its grace time would otherwise leave it running, reparented, out of the task's reach), and
// a stop signal that reaches it before it has dropped the sweep's handlers still stops it (they are blocked
// across the fork, reset in the child, then let through). Returns the pid in the parent, 0 in the child.
pid_t fork_point_process() {
  std::cout.flush();  // what the sweep has buffered is written once, by the sweep
  std::cerr.flush();
  sigset_t stop_set, old;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGTERM);
  sigaddset(&stop_set, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_set, &old);
  const pid_t sweep = getpid();
  const pid_t pid = fork();
  if (pid != 0) {
    const int fork_errno = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0)
      throw std::runtime_error("cannot fork a sweep point: " + std::string(std::strerror(fork_errno)));
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != sweep) _exit(128 + SIGKILL);  // the sweep died before the request took hold
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  return 0;
}

// In a point's process: stdout discarded, stderr to `err_path` (the sweep's open output is not the point's).
bool redirect_point_output(const std::string& err_path) {
  const int null_fd = open("/dev/null", O_WRONLY);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  return null_fd >= 0 && err_fd >= 0 && dup2(null_fd, 1) >= 0 && dup2(err_fd, 2) >= 0;
}

// Runs one point in a forked copy of this process, as `prunesim run` would in a process of its own: the same
// arguments, stdout discarded and stderr to `err_path`. The sweep has loaded every library and elaborated no
// SystemC model, so the copy starts where a fresh process would after start-up, without paying for the exec,
// the dynamic linking and the static set-up again (about 10 of a DeiT-Small point's 25 ms). A crash or a kill
// still ends only that process.
pid_t fork_point(std::vector<char*>& argv, const std::string& err_path) {
  if (const pid_t pid = fork_point_process()) return pid;
  if (!redirect_point_output(err_path)) _exit(127);
  const int rc = run_cli(int(argv.size() - 1), argv.data());
  std::cout.flush();
  std::cerr.flush();
  // _exit: the sweep's buffered records and CSV belong to the parent and must not be written twice.
  _exit(rc);
}

}  // namespace

size_t run_sweep_points(const SweepSpec& spec, const std::vector<SweepPoint>& points, const SweepOptions& opt,
                        const std::vector<size_t>& only) {
  const std::string dir = opt.out_dir;
  ensure_dir(dir);
  ensure_dir(dir + "/points");
  const bool own_file = !opt.results_file.empty();
  const std::string results = own_file ? opt.results_file : dir + "/results.jsonl";
  const std::vector<SweepPoint> todo = points_to_run(points, dir, opt.resume, only);
  // An interrupted sweep may have left a line cut short: start on a fresh line so it spoils nothing else.
  const std::string tail = read_tail(results, 1);
  std::ofstream out(results, std::ios::app);
  if (!out) throw InputError(results + ": cannot open for appending");
  if (!tail.empty() && tail != "\n") out << "\n";
  // The CSV grows row by row too (unordered, Pareto column empty) until the merge rewrites it.
  const std::string csv_path = dir + "/results.csv";
  std::ofstream csv;
  if (!own_file) {
    const std::string csv_tail = read_tail(csv_path, 1);
    csv.open(csv_path, std::ios::app);
    if (!csv) throw InputError(csv_path + ": cannot open for appending");
    if (csv_tail.empty())
      csv << csv_header(points);
    else if (csv_tail != "\n")
      csv << "\n";
  }
  const StopSignals stop;

  struct Running {
    const SweepPoint* point;
    std::chrono::steady_clock::time_point start;
    bool timed_out = false;
  };
  std::map<pid_t, Running> running;
  size_t next = 0, done = 0, failed = 0;
  SweepProgress progress(todo.size());
  const bool fork_self = is_this_executable(opt.binary);
  auto launch = [&](const SweepPoint& p) {
    const std::string base = dir + "/points/" + std::to_string(p.index);
    std::vector<std::string> args = {opt.binary, "run", "-q", "--json", base + ".json"};
    for (const auto& f : spec.config_files) args.insert(args.end(), {"--config", f});
    for (const auto& f : p.files) args.insert(args.end(), {"--config", f});
    for (const auto& s : p.sets) args.insert(args.end(), {"--set", s});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::remove((base + ".json").c_str());
    if (fork_self) {
      running[fork_point(argv, base + ".err")] = Running{&p, std::chrono::steady_clock::now()};
      return;
    }
    // Another binary (a --runner): fork, then exec it; an exec that fails says why through a pipe that the
    // exec closes.
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0)
      throw std::runtime_error("cannot start sweep point " + std::to_string(p.index) + ": " +
                               std::strerror(errno));
    const pid_t pid = fork_point_process();
    if (pid == 0) {
      close(report[0]);
      if (redirect_point_output(base + ".err")) execv(opt.binary.c_str(), argv.data());
      const int e = errno;
      [[maybe_unused]] const ssize_t told = write(report[1], &e, sizeof e);  // nothing more to do if not
      _exit(127);
    }
    close(report[1]);
    int exec_errno = 0;
    ssize_t got;
    do got = read(report[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got > 0) {
      waitpid(pid, nullptr, 0);
      throw std::runtime_error("cannot start " + opt.binary + " for sweep point " + std::to_string(p.index) +
                               ": " + std::strerror(exec_errno));
    }
    running[pid] = Running{&p, std::chrono::steady_clock::now()};
  };
  auto record = [&](const Running& r, int status) {
    const SweepPoint& p = *r.point;
    const std::string base = dir + "/points/" + std::to_string(p.index);
    json line{{"index", p.index}, {"hash", p.config_hash}, {"swept", json::object()}};
    for (const auto& [k, v] : p.swept) line["swept"][k] = v;
    std::string st = "ok";
    if (r.timed_out) {
      st = "timeout";
    } else if (WIFSIGNALED(status)) {
      st = "crashed";
      line["signal"] = WTERMSIG(status);
    } else if (WEXITSTATUS(status) != 0) {
      st = "error";
      line["exit_code"] = WEXITSTATUS(status);
    } else {
      try {
        std::ifstream is(base + ".json");
        line["metrics"] = metrics_of(json::parse(is));
      } catch (const std::exception&) {
        st = "error";
      }
    }
    line["status"] = st;
    if (st != "ok") {
      line["stderr_tail"] = read_tail(base + ".err", 600);
      ++failed;
    }
    out << line.dump() << "\n" << std::flush;  // a finished point survives any later interruption
    if (!own_file) csv << csv_row(p, line, "") << std::flush;
    ++done;
    if (opt.progress) progress.update(done, failed);
  };
  const unsigned jobs = std::max(1u, opt.jobs);
  while (next < todo.size() || !running.empty()) {
    if (stop.received()) {
      // Stopped from outside: what is running is not a result. Kill it, reap it, record nothing of it.
      for (const auto& [pid, r] : running) kill(pid, SIGKILL);
      for (const auto& [pid, r] : running) waitpid(pid, nullptr, 0);
      out.close();
      csv.close();
      const int sig = stop.received();
      signal(sig, SIG_DFL);
      raise(sig);
    }
    while (next < todo.size() && running.size() < jobs) launch(todo[next++]);
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      auto it = running.find(pid);
      if (it == running.end()) continue;
      const Running r = it->second;
      running.erase(it);
      // A point ended by SIGTERM or SIGINT that the sweep did not send was stopped from outside (a scheduler
      // signals every process of a task, maybe the point first): not a result, and the sweep stops too.
      const bool stopped_outside =
          !r.timed_out && WIFSIGNALED(status) && (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGINT);
      if (stopped_outside && !stop.received()) g_stop_signal = WTERMSIG(status);
      if (!stopped_outside && !stop.received()) record(r, status);
      continue;
    }
    if (opt.point_timeout_s > 0) {
      const auto now = std::chrono::steady_clock::now();
      for (auto& [p, r] : running)
        if (!r.timed_out && std::chrono::duration<double>(now - r.start).count() > opt.point_timeout_s) {
          r.timed_out = true;
          kill(p, SIGKILL);
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return failed;
}

size_t merge_sweep(const std::string& dir, const std::vector<SweepPoint>& points) {
  // Each planned point takes the record of its configuration hash, whatever index it had when it ran (the
  // grid may have changed since: the hash, not the index, says which configuration a record is of). Records
  // of no planned configuration are dropped.
  std::map<size_t, json> res;
  {
    const std::map<std::string, json> by_hash = records_by_hash(dir + "/results.jsonl");
    for (const auto& p : points) {
      auto it = by_hash.find(p.config_hash);
      if (it == by_hash.end()) continue;
      json r = it->second;
      r["index"] = p.index;
      r["swept"] = json::object();
      for (const auto& [k, v] : p.swept) r["swept"][k] = v;
      r.erase("pareto");
      res[p.index] = std::move(r);
    }
  }
  // Pareto front over latency, energy and DSPs, among the points that ran.
  std::vector<size_t> ok;
  for (const auto& [i, r] : res)
    if (r.value("status", "") == "ok") ok.push_back(i);
  auto key = [&](size_t i) {
    const json& m = res[i]["metrics"];
    return std::array<double, 3>{m["latency_ms"].get<double>(), m["energy_mj"].get<double>(),
                                 m["dsp"].get<double>()};
  };
  for (size_t i : ok) {
    const auto a = key(i);
    bool dominated = false;
    for (size_t j : ok) {
      if (j == i) continue;
      const auto b = key(j);
      const bool no_worse = b[0] <= a[0] && b[1] <= a[1] && b[2] <= a[2];
      const bool better = b[0] < a[0] || b[1] < a[1] || b[2] < a[2];
      if (no_worse && better) {
        dominated = true;
        break;
      }
    }
    res[i]["pareto"] = !dominated;
  }
  std::ostringstream jl, csv;
  csv << csv_header(points);
  for (const auto& p : points) {
    auto it = res.find(p.index);
    if (it == res.end()) continue;
    json& r = it->second;
    if (!r.contains("pareto")) r["pareto"] = false;
    jl << r.dump() << "\n";
    csv << csv_row(p, r, r["pareto"].get<bool>() ? "1" : "0");
  }
  write_file_atomic(dir + "/results.jsonl", jl.str());
  write_file_atomic(dir + "/results.csv", csv.str());
  return res.size();
}

}  // namespace prunesim::sim
