#include "prunesim/sim/compare.h"

#include <sys/stat.h>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "prunesim/common/error.h"

namespace prunesim::sim {

using nlohmann::json;

namespace {

// Metric name -> JSON pointer in a run report (and key in a sweep result's "metrics").
const std::vector<std::pair<std::string, std::string>>& metrics() {
  static const std::vector<std::pair<std::string, std::string>> m = {
      {"latency", "/latency/cycles"},
      {"energy", "/energy/total_mj"},
      {"ddr_read", "/traffic/ddr_read_bytes"},
      {"ddr_write", "/traffic/ddr_write_bytes"},
      {"onchip_read", "/traffic/onchip_read_bytes"},
      {"onchip_write", "/traffic/onchip_write_bytes"},
      {"macs", "/compute/macs"},
      {"utilization", "/compute/utilization"},
      {"dsp", "/resources/dsp/used"},
      {"bram36", "/resources/bram36/used"},
      {"uram", "/resources/uram/used"},
  };
  return m;
}

const char* kSweepKeys[] = {"latency_cycles",
                            "energy_mj",
                            "ddr_read_bytes",
                            "ddr_write_bytes",
                            "onchip_read_bytes",
                            "onchip_write_bytes",
                            "macs",
                            "utilization",
                            "dsp",
                            "bram36",
                            "uram"};

double rel_change(double a, double b) {
  if (a == b) return 0.0;
  if (a == 0) return INFINITY;
  return (b - a) / std::fabs(a);
}

std::string pct(double r) {
  if (std::isinf(r)) return "new";
  std::ostringstream os;
  os << std::showpos << std::fixed << std::setprecision(3) << 100.0 * r << " %";
  return os.str();
}

json load_json(const std::string& path) {
  std::ifstream is(path);
  if (!is) throw InputError(path + ": cannot open");
  try {
    return json::parse(is);
  } catch (const json::exception& e) {
    throw InputError(path + ": not valid JSON: " + e.what());
  }
}

// A run report holds what the comparison reads, with the types it reads them as; a malformed one is the
// input's fault (exit 2, the file and the key), not an internal error.
void check_report(const json& j, const std::string& path) {
  if (!j.is_object() || !j.contains("latency") || !j["latency"].is_object())
    throw InputError("compare: " + path + " is not a prunesim run report (no latency section)");
  for (const auto& [name, ptr] : metrics()) {
    const json::json_pointer p(ptr);
    if (j.contains(p) && !j.at(p).is_number())
      throw InputError(path + ": " + ptr + ": expected a number, got " + j.at(p).dump());
  }
  if (!j.contains("ops") || !j["ops"].is_array()) throw InputError(path + ": /ops: expected an array of ops");
  for (size_t i = 0; i < j["ops"].size(); ++i) {
    const json& op = j["ops"][i];
    const std::string at = path + ": /ops/" + std::to_string(i);
    if (!op.is_object()) throw InputError(at + ": expected an object");
    for (const char* k : {"id", "layer", "cycles"})
      if (!op.contains(k) || !op[k].is_number()) throw InputError(at + "/" + k + ": expected a number");
    if (!op.contains("name") || !op["name"].is_string()) throw InputError(at + "/name: expected a string");
  }
}

// One sweep result line: its hash, index, status and metrics with the types the comparison reads.
void check_sweep_line(const json& j) {
  if (!j.is_object()) throw json::other_error::create(501, "expected an object", &j);
  if (!j.contains("hash") || !j["hash"].is_string())
    throw json::other_error::create(501, "'hash': expected a string", &j);
  if (j.contains("index") && !j["index"].is_number_integer())
    throw json::other_error::create(501, "'index': expected an integer", &j);
  if (j.contains("status") && !j["status"].is_string())
    throw json::other_error::create(501, "'status': expected a string", &j);
  if (j.contains("metrics")) {
    if (!j["metrics"].is_object()) throw json::other_error::create(501, "'metrics': expected an object", &j);
    for (const char* key : kSweepKeys)
      if (j["metrics"].contains(key) && !j["metrics"][key].is_number())
        throw json::other_error::create(501, std::string("'metrics.") + key + "': expected a number", &j);
  }
}

// Sweep results by configuration hash.
std::map<std::string, json> load_sweep(std::string path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) path += "/results.jsonl";
  std::ifstream is(path);
  if (!is) throw InputError(path + ": cannot open sweep results");
  std::map<std::string, json> out;
  std::string line;
  for (size_t n = 1; std::getline(is, line); ++n) {
    if (line.empty()) continue;
    try {
      json j = json::parse(line);
      check_sweep_line(j);
      const std::string hash = j["hash"].get<std::string>();
      out[hash] = std::move(j);
    } catch (const json::exception& e) {
      throw InputError(path + ":" + std::to_string(n) + ": not a sweep result line: " + e.what());
    }
  }
  return out;
}

bool is_sweep(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
  return path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
}

size_t compare_reports(const std::string& a_path, const std::string& b_path, const Tolerances& tol,
                       std::ostream& os) {
  const json a = load_json(a_path), b = load_json(b_path);
  check_report(a, a_path);
  check_report(b, b_path);
  size_t bad = 0;
  // What differs between the two runs comes first: the configuration keys, then the workload.
  if (a.contains("config") && b.contains("config") && a["config"].is_object() && b["config"].is_object()) {
    std::vector<std::string> lines;
    const json &ca = a["config"], &cb = b["config"];
    for (auto it = ca.begin(); it != ca.end(); ++it) {
      if (!cb.contains(it.key()))
        lines.push_back(it.key() + ": " + it.value().dump() + " -> (absent)");
      else if (cb[it.key()] != it.value())
        lines.push_back(it.key() + ": " + it.value().dump() + " -> " + cb[it.key()].dump());
    }
    for (auto it = cb.begin(); it != cb.end(); ++it)
      if (!ca.contains(it.key())) lines.push_back(it.key() + ": (absent) -> " + it.value().dump());
    if (lines.empty()) {
      os << "configuration: identical\n";
    } else {
      os << "configuration: " << lines.size() << (lines.size() == 1 ? " key differs" : " keys differ")
         << "\n";
      for (const auto& l : lines) os << "  " << l << "\n";
    }
  }
  const json::json_pointer sha("/workload/trace_sha256");
  if (a.contains(sha) && b.contains(sha))
    os << "workload: " << (a.at(sha) == b.at(sha) ? "the same trace" : "different traces") << "\n\n";
  os << std::left << std::setw(14) << "metric" << std::right << std::setw(20) << "base" << std::setw(20)
     << "new" << std::setw(14) << "change" << std::setw(10) << "tol"
     << "\n";
  for (const auto& [name, ptr] : metrics()) {
    const json::json_pointer p(ptr);
    if (!a.contains(p) || !b.contains(p)) continue;
    const double va = a.at(p).get<double>(), vb = b.at(p).get<double>();
    const double r = rel_change(va, vb), t = tol.get(name);
    const bool over = std::fabs(r) > t + 1e-12;
    bad += over;
    os << std::left << std::setw(14) << name << std::right << std::setw(20) << a.at(p).dump() << std::setw(20)
       << b.at(p).dump() << std::setw(14) << pct(r) << std::setw(9) << std::fixed << std::setprecision(2)
       << 100.0 * t << "%" << (over ? "  EXCEEDS" : "") << "\n";
  }
  // Per op: cycles, matched by id.
  const json& oa = a.at("ops");
  const json& ob = b.at("ops");
  if (oa.size() != ob.size()) {
    os << "ops: base has " << oa.size() << ", new has " << ob.size() << " (different workloads)\n";
    return bad + 1;
  }
  struct Change {
    size_t i;
    double r;
  };
  std::vector<Change> changed;
  const double t = tol.get("ops");
  size_t over = 0;
  for (size_t i = 0; i < oa.size(); ++i) {
    const double r = rel_change(oa[i].at("cycles").get<double>(), ob[i].at("cycles").get<double>());
    if (r != 0) changed.push_back({i, r});
    over += std::fabs(r) > t + 1e-12;
  }
  os << "ops: " << changed.size() << " of " << oa.size() << " changed cycles, " << over << " beyond "
     << std::setprecision(2) << 100.0 * t << " %\n";
  std::stable_sort(changed.begin(), changed.end(),
                   [](const Change& x, const Change& y) { return std::fabs(x.r) > std::fabs(y.r); });
  for (size_t k = 0; k < std::min<size_t>(10, changed.size()); ++k) {
    const json& op = oa[changed[k].i];
    os << "  op " << op.at("id") << " layer " << op.at("layer") << " " << op.at("name").get<std::string>()
       << ": " << op.at("cycles") << " -> " << ob[changed[k].i].at("cycles") << " cycles ("
       << pct(changed[k].r) << ")\n";
  }
  return bad + over;
}

size_t compare_sweeps(const std::string& a_path, const std::string& b_path, const Tolerances& tol,
                      std::ostream& os) {
  const auto a = load_sweep(a_path), b = load_sweep(b_path);
  size_t bad = 0, matched = 0;
  for (const auto& [hash, pa] : a) {
    auto it = b.find(hash);
    if (it == b.end()) {
      os << "point " << pa.value("index", 0) << " (" << hash << "): missing from " << b_path << "\n";
      ++bad;
      continue;
    }
    ++matched;
    const json& pb = it->second;
    if (pa.value("status", "") != pb.value("status", "")) {
      os << "point " << pa.value("index", 0) << " (" << hash << "): status " << pa.value("status", "")
         << " -> " << pb.value("status", "") << "\n";
      ++bad;
      continue;
    }
    if (!pa.contains("metrics") || !pb.contains("metrics")) continue;
    for (size_t k = 0; k < sizeof(kSweepKeys) / sizeof(kSweepKeys[0]); ++k) {
      const std::string key = kSweepKeys[k];
      if (!pa["metrics"].contains(key) || !pb["metrics"].contains(key)) continue;
      const double r = rel_change(pa["metrics"][key].get<double>(), pb["metrics"][key].get<double>());
      const std::string name = metrics()[k].first;
      if (std::fabs(r) > tol.get(name) + 1e-12) {
        os << "point " << pa.value("index", 0) << " (" << hash << "): " << name << " " << pct(r) << "\n";
        ++bad;
      }
    }
  }
  for (const auto& [hash, pb] : b)
    if (!a.count(hash)) {
      os << "point " << pb.value("index", 0) << " (" << hash << "): new in " << b_path << "\n";
      ++bad;
    }
  os << matched << " points matched by configuration hash, " << bad << " differences beyond tolerance\n";
  return bad;
}

}  // namespace

double Tolerances::get(const std::string& metric) const {
  auto it = rel.find(metric);
  if (it != rel.end()) return it->second;
  it = rel.find("all");
  return it == rel.end() ? 0.0 : it->second;
}

std::string metric_names() {
  std::string s;
  for (const auto& [name, ptr] : metrics()) s += name + ", ";
  return s + "ops, all";
}

Tolerances parse_tolerances(const std::string& text) {
  Tolerances t;
  std::istringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string name = item.substr(0, eq);
    bool known = name == "ops" || name == "all";
    for (const auto& [m, p] : metrics()) known |= m == name;
    if (eq == std::string::npos || !known)
      throw InputError("--tol '" + item + "': expected METRIC=PERCENT with METRIC one of " + metric_names());
    std::string v = item.substr(eq + 1);
    if (!v.empty() && v.back() == '%') v.pop_back();
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || !(x >= 0))
      throw InputError("--tol '" + item + "': expected a non-negative number");
    t.rel[name] = x / 100.0;  // "1%" and "1" both mean one percent
  }
  return t;
}

size_t compare_outputs(const std::string& base, const std::string& next, const Tolerances& tol,
                       std::ostream& os) {
  if (is_sweep(base) != is_sweep(next))
    throw InputError("compare: give two run reports or two sweep outputs, not one of each");
  return is_sweep(base) ? compare_sweeps(base, next, tol, os) : compare_reports(base, next, tol, os);
}

}  // namespace prunesim::sim
