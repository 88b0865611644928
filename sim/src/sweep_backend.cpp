#include "prunesim/sim/sweep_backend.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/sim/config.h"

namespace prunesim::sim {

// Defined with their backends (sim/src/slurm_backend.cpp).
SweepBackendInfo slurm_backend_info();

namespace {

// Worker processes on this host (run_sweep_points): the default, and what each cluster task runs inside.
class LocalBackend final : public SweepBackend {
 public:
  BackendOutcome run(const SweepSpec& spec, const std::vector<SweepPoint>& todo,
                     const SweepOptions& opt) override {
    SweepOptions o = opt;
    o.resume = false;                 // `todo` is already what is left to run
    run_sweep_points(spec, todo, o);  // failures are records: the caller reads them from the results
    return {};
  }
};

SweepBackendInfo local_backend_info() {
  return {"local", "worker processes on this host (--jobs of them)", {}, [](const models::ParamValues&) {
            return std::make_unique<LocalBackend>();
          }};
}

}  // namespace

const std::vector<SweepBackendInfo>& sweep_backends() {
  static const std::vector<SweepBackendInfo> all = {local_backend_info(), slurm_backend_info()};
  return all;
}

namespace {

const SweepBackendInfo& backend_named(const std::string& name) {
  std::string names;
  for (const auto& b : sweep_backends()) {
    if (b.name == name) return b;
    names += (names.empty() ? "" : "|") + b.name;
  }
  throw InputError("--backend '" + name + "': expected one of " + names);
}

}  // namespace

std::unique_ptr<SweepBackend> make_sweep_backend(const std::string& name, const models::ParamValues& values) {
  const SweepBackendInfo& info = backend_named(name);
  for (const auto& [key, value] : values.all()) {
    const size_t dot = key.find('.');
    const std::string section = key.substr(0, dot),
                      param = dot == std::string::npos ? "" : key.substr(dot + 1);
    const SweepBackendInfo& owner = backend_named(section);  // a key of another backend is fine, if known
    auto spec = std::find_if(owner.params.begin(), owner.params.end(),
                             [&](const models::ParamSpec& s) { return s.name == param; });
    if (spec == owner.params.end()) {
      std::string known;
      for (const auto& s : owner.params) known += (known.empty() ? "" : ", ") + section + "." + s.name;
      throw InputError("backend key '" + key + "' is unknown (" +
                       (known.empty() ? "backend " + section + " has no keys" : "expected one of " + known) +
                       ")");
    }
    try {
      spec->check(value);
    } catch (const InputError& e) {
      throw InputError(key + ": " + e.what());
    }
  }
  return info.make(values);
}

void read_backend_config(const std::string& path, models::ParamValues& values) {
  const IniFile ini = read_ini(path);
  for (const auto& [key, value] : ini.values) {
    if (key.find('.') == std::string::npos)
      throw InputError(path + ":" + std::to_string(ini.lines.at(key)) + ": '" + key +
                       "' is outside a [backend] section (expected e.g. [slurm])");
    try {
      backend_named(key.substr(0, key.find('.')));
    } catch (const InputError& e) {
      throw InputError(path + ":" + std::to_string(ini.lines.at(key)) + ": section of '" + key +
                       "': " + e.what());
    }
    values.set(key, value);
  }
}

std::string describe_backends() {
  std::ostringstream os;
  for (const auto& b : sweep_backends()) {
    os << "  " << b.name << ": " << b.help << "\n";
    for (const auto& p : b.params)
      os << "    " << b.name << "." << p.name << " (" << p.type_text() << ", default '" << p.default_value
         << "'): " << p.help << "\n";
  }
  return os.str();
}

std::vector<SweepPoint> points_to_run(const std::vector<SweepPoint>& points, const std::string& dir,
                                      bool resume, const std::vector<size_t>& only) {
  // A point is done when some record has its configuration hash (after a grid change, a point's index may
  // hold another configuration's record, and the same configuration may have run under another index).
  std::set<std::string> recorded;
  if (resume)
    for (const auto& r : read_records(dir + "/results.jsonl")) recorded.insert(r.value("hash", ""));
  const std::set<size_t> wanted(only.begin(), only.end());
  std::vector<SweepPoint> todo;
  for (const auto& p : points)
    if (!recorded.count(p.config_hash) && (wanted.empty() || wanted.count(p.index))) todo.push_back(p);
  return todo;
}

}  // namespace prunesim::sim
