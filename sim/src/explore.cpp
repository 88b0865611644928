#include "prunesim/sim/explore.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/models/accelerator.h"
#include "prunesim/models/resources.h"
#include "prunesim/sim/baseline.h"
#include "prunesim/sim/config.h"
#include "prunesim/sim/report.h"
#include "prunesim/sim/sweep.h"
#include "prunesim/sim/sweep_backend.h"
#include "prunesim/workloads/text.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::sim {

using nlohmann::json;

namespace {

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::istringstream ss(v);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(trim(item));
  return out;
}

// The accuracy constraint: a bound on one of the compressor's fidelity figures.
struct Accuracy {
  enum class Metric { None, Top1, RelError } metric = Metric::None;
  double bound = 0;
  std::string text;

  static Accuracy parse(const std::string& s) {
    Accuracy a;
    a.text = s;
    if (s.empty()) return a;
    auto number = [&](const std::string& v) {
      double x = 0;
      if (!parse_finite(v, x))
        throw InputError("--accuracy '" + s + "': expected top1>=X or rel_error<=X with X a number");
      return x;
    };
    if (s.rfind("top1>=", 0) == 0) {
      a.metric = Metric::Top1;
      a.bound = number(s.substr(6));
      if (a.bound < 0 || a.bound > 1) throw InputError("--accuracy '" + s + "': top1 agreement is in [0, 1]");
    } else if (s.rfind("rel_error<=", 0) == 0) {
      a.metric = Metric::RelError;
      a.bound = number(s.substr(11));
      if (a.bound < 0) throw InputError("--accuracy '" + s + "': a relative error is >= 0");
    } else {
      throw InputError("--accuracy '" + s + "': expected top1>=X or rel_error<=X");
    }
    return a;
  }
  bool active() const { return metric != Metric::None; }
};

struct Fidelity {
  bool known = false;
  double rel_error = 0, top1 = 1;
};

bool meets(const Accuracy& a, const Fidelity& f) {
  if (!a.active()) return true;
  if (!f.known) return false;
  return a.metric == Accuracy::Metric::Top1 ? f.top1 >= a.bound : f.rel_error <= a.bound;
}

// One prune family: a spec whose "{...}" placeholder takes the densities, in ascending order.
struct Family {
  std::string before, after;  // the spec around the placeholder (all occurrences take the same value)
  std::string placeholder;
  std::vector<std::string> densities;

  static Family parse(const std::string& spec) {
    Family f;
    const size_t a = spec.find('{'), b = spec.find('}');
    if (a == std::string::npos) {
      f.before = spec;
      f.densities = {""};
      return f;
    }
    if (b == std::string::npos || b < a)
      throw InputError("--prune-grid '" + spec + "': a '{' without its '}'");
    f.placeholder = spec.substr(a, b - a + 1);
    f.before = spec.substr(0, a);
    f.after = spec.substr(b + 1);
    const auto values = expand_values("--prune-grid", spec.substr(a + 1, b - a - 1));
    std::vector<std::pair<double, std::string>> sorted;
    for (const auto& v : values) {
      double d = 0;
      if (!parse_finite(v, d) || !(d > 0) || d > 1)
        throw InputError("--prune-grid '" + spec + "': density '" + v + "' is not in (0, 1]");
      sorted.emplace_back(d, v);
    }
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [d, v] : sorted)
      if (f.densities.empty() || f.densities.back() != v) f.densities.push_back(v);
    return f;
  }
  std::string spec(size_t l) const {
    if (placeholder.empty()) return before;
    std::string s = before + densities[l] + after;
    for (size_t at; (at = s.find(placeholder)) != std::string::npos;)
      s.replace(at, placeholder.size(), densities[l]);
    return s;
  }
};

struct Variant {
  size_t family = 0;
  std::string quant, tokens, keep;  // empty: as configured
};

struct Design {
  std::vector<std::string> sets;
  std::string label;
};

struct Outcome {
  bool simulated = false, ok = false;
  double latency_ms = 0, energy_mj = 0, dsp = 0;
  std::string status;  // ok | error | crashed | timeout | does_not_fit
};

struct Point {
  size_t dev = 0, design = 0, variant = 0, density = 0;
  size_t index = 0;
};

std::string format_ms(double v) {
  std::ostringstream os;
  os << std::setprecision(6) << v;
  return os.str();
}

}  // namespace

void read_explore_file(const std::string& path, ExploreOptions& opt) {
  std::ifstream is(path);
  if (!is) throw InputError(path + ": cannot open explore file");
  std::string line;
  for (size_t n = 1; std::getline(is, line); ++n) {
    if (!valid_utf8(line)) throw InputError(where(path, n) + ": not UTF-8 text");
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t sp = line.find_first_of(" \t");
    const std::string key = line.substr(0, sp), value = sp == std::string::npos ? "" : trim(line.substr(sp));
    const std::string at = where(path, n) + ": ";
    if (value.empty()) throw InputError(at + "'" + key + "' needs a value");
    auto number = [&](double lo, double hi) {
      double v = 0;
      if (!parse_finite(value, v) || v < lo || v > hi)
        throw InputError(at + key + ": expected a number in [" + format_ms(lo) + ", " + format_ms(hi) +
                         "], got '" + value + "'");
      return v;
    };
    if (key == "device")
      opt.devices.push_back(value);
    else if (key == "config")
      opt.config_files.push_back(value);
    else if (key == "set")
      opt.sets.push_back(value);
    else if (key == "latency-ms")
      opt.latency_ms = number(0, 1e9);
    else if (key == "accuracy")
      opt.accuracy = value;
    else if (key == "objective")
      opt.objective = value;
    else if (key == "prune-grid")
      opt.prune_grid.push_back(value);
    else if (key == "quant-grid")
      opt.quant_grid.push_back(value);
    else if (key == "tokens-grid")
      opt.tokens_grid.push_back(value);
    else if (key == "keep-grid")
      opt.keep_grid.push_back(value);
    else if (key == "design-grid")
      opt.design_grid.push_back(value);
    else if (key == "rungs")
      opt.design_rungs = unsigned(number(1, 16));
    else
      throw InputError(at + "unknown key '" + key +
                       "' (expected device, config, set, latency-ms, accuracy, objective, " +
                       "prune-grid, quant-grid, tokens-grid, keep-grid, design-grid or rungs)");
  }
}

std::vector<std::string> shipped_devices() {
  std::vector<std::string> out;
  const std::filesystem::path dir = std::filesystem::path(PRUNESIM_CONFIG_DIR) / "devices";
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".ini") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

class Explorer {
 public:
  Explorer(const ExploreOptions& opt) : opt_(opt), ac_(Accuracy::parse(opt.accuracy)) {
    if (opt.out_dir.empty()) throw InputError("explore: --out DIR is required");
    if (opt.devices.empty()) throw InputError("explore: no device files (none shipped, none given)");
    if (opt.latency_ms < 0 || !std::isfinite(opt.latency_ms))
      throw InputError("explore: --latency-ms must be a positive number of milliseconds");
    static const std::vector<std::string> objectives = {"energy", "latency", "dsp", "cost", "accuracy"};
    if (std::find(objectives.begin(), objectives.end(), opt.objective) == objectives.end())
      throw InputError("explore: --objective '" + opt.objective +
                       "': expected energy, latency, dsp, cost or accuracy");
    for (const auto& d : opt.devices) names_.push_back(std::filesystem::path(d).stem().string());
    if (const std::string* v = opt.backend_params.find(opt.backend + ".detach"); v && *v == "true")
      throw InputError("explore: --detach is for sweeps (each explore round needs the last one's results)");
    backend_ = make_sweep_backend(opt.backend, opt.backend_params);
    plan_recipes();
  }

  int run(std::ostream& out);

 private:
  // Files and sets of one configuration, device first.
  std::vector<std::string> files_for(size_t dev) const {
    std::vector<std::string> f = {opt_.devices[dev]};
    f.insert(f.end(), opt_.config_files.begin(), opt_.config_files.end());
    return f;
  }
  std::vector<std::string> recipe_sets(size_t v, size_t l) const {
    const Variant& var = variants_[v];
    std::vector<std::string> s;
    const Family& fam = families_[var.family];
    if (!fam.before.empty() || !fam.placeholder.empty()) s.push_back("workload.prune=" + fam.spec(l));
    if (!var.quant.empty()) s.push_back("workload.quant=" + var.quant);
    if (!var.tokens.empty()) s.push_back("workload.token_layers=" + (var.tokens == "none" ? "" : var.tokens));
    if (!var.keep.empty()) s.push_back("workload.token_keep=" + var.keep);
    return s;
  }
  size_t densities(size_t v) const { return families_[variants_[v].family].densities.size(); }
  size_t index_of(const Point& p) const {
    return ((p.dev * design_stride_ + p.design) * variants_.size() + p.variant) * density_stride_ + p.density;
  }

  void plan_recipes();
  void plan_designs();
  const Fidelity& fidelity(size_t v, size_t l);
  std::string trace_path(size_t v, size_t l) const {
    return opt_.out_dir + "/traces/v" + std::to_string(v) + "-d" + std::to_string(l) + ".trace";
  }
  // Simulates these points (those not yet known) in parallel processes; fills outcomes_.
  void simulate(const std::vector<Point>& points);
  const Outcome& outcome(const Point& p) const { return outcomes_.at(index_of(p)); }
  bool feasible(const Point& p) {
    const auto it = outcomes_.find(index_of(p));
    return it != outcomes_.end() && it->second.ok &&
           (opt_.latency_ms <= 0 || it->second.latency_ms <= opt_.latency_ms) &&
           meets(ac_, fidelity(p.variant, p.density));
  }
  std::string recipe_label(size_t v, size_t l) const {
    std::string s;
    for (const auto& x : recipe_sets(v, l)) s += (s.empty() ? "" : " ") + x.substr(x.find('.') + 1);
    return s.empty() ? "as configured" : s;
  }
  json point_json(const Point& p);
  // Smaller is better; the tuple breaks ties deterministically.
  std::vector<double> rank(const Point& p);

  ExploreOptions opt_;
  Accuracy ac_;
  ConfigSchema schema_;
  std::vector<std::string> names_;
  std::vector<Family> families_;
  std::vector<Variant> variants_;
  std::vector<std::vector<Design>> designs_;  // per device
  std::vector<double> prices_;                // device.price_usd per device
  size_t design_stride_ = 1, density_stride_ = 1;
  std::map<std::pair<size_t, size_t>, Fidelity> fidelity_;
  std::map<std::pair<size_t, size_t>, int> weight_bits_;
  std::map<size_t, Outcome> outcomes_;
  std::map<size_t, Point> points_;  // every point decided, by index
  std::vector<SweepPoint> sweep_points_;
  size_t compressions_ = 0, simulated_ = 0;
  std::unique_ptr<SweepBackend> backend_;
  std::vector<std::string> notes_;
};

void Explorer::plan_recipes() {
  if (!schema_.resolve(opt_.config_files, opt_.sets).workload.trace.empty() &&
      (!opt_.prune_grid.empty() || !opt_.quant_grid.empty() || !opt_.tokens_grid.empty() ||
       !opt_.keep_grid.empty()))
    throw InputError(
        "explore: --trace replays a fixed workload, so there is no recipe to vary: drop the "
        "--prune/quant/tokens/keep grids, or explore a --model");
  for (const auto& p : opt_.prune_grid) families_.push_back(Family::parse(p));
  if (families_.empty()) families_.push_back(Family{});  // the configured prune recipe
  families_.back().densities.resize(std::max<size_t>(1, families_.back().densities.size()));
  auto axis = [](const std::vector<std::string>& grid, bool split = true) {
    std::vector<std::string> out;
    for (const auto& g : grid)
      for (const auto& v : split ? split_list(g) : std::vector<std::string>{trim(g)}) out.push_back(v);
    if (out.empty()) out.push_back("");
    return out;
  };
  for (size_t f = 0; f < families_.size(); ++f)
    for (const auto& q : axis(opt_.quant_grid))
      for (const auto& t : axis(opt_.tokens_grid, false))
        for (const auto& k : axis(opt_.keep_grid)) variants_.push_back({f, q, t, k});
  for (const auto& f : families_) density_stride_ = std::max(density_stride_, f.densities.size());
  // Every recipe is checked by the config before anything runs (the grammar errors name the key).
  for (size_t v = 0; v < variants_.size(); ++v)
    for (size_t l = 0; l < densities(v); ++l) {
      std::vector<std::string> sets = opt_.sets;
      const auto r = recipe_sets(v, l);
      sets.insert(sets.end(), r.begin(), r.end());
      try {
        schema_.resolve(opt_.config_files, sets);
      } catch (const InputError& e) {
        throw InputError("explore: recipe " + recipe_label(v, l) + ": " + e.what());
      }
    }
}

void Explorer::plan_designs() {
  std::vector<RunConfig> configs;  // each device as configured, resolved once
  std::string unpriced;
  for (size_t dev = 0; dev < opt_.devices.size(); ++dev) {
    configs.push_back(schema_.resolve(files_for(dev), opt_.sets));
    prices_.push_back(configs.back().hw.device.price_usd);
    if (prices_.back() <= 0) unpriced += (unpriced.empty() ? "" : ", ") + opt_.devices[dev];
  }
  if (opt_.objective == "cost" && !unpriced.empty())
    throw InputError("explore: --objective cost needs device.price_usd in every device file; no price for " +
                     unpriced + " (the shipped files carry none: copy them and set each device's price_usd)");
  // The --design-grid designs are the same on every device.
  std::vector<Design> grid;
  if (!opt_.design_grid.empty()) {
    std::vector<std::pair<std::string, std::vector<std::string>>> axes;
    for (const auto& g : opt_.design_grid) {
      const size_t eq = g.find('=');
      if (eq == std::string::npos || eq == 0)
        throw InputError("explore: --design-grid '" + g + "': expected KEY=V1,V2,...");
      const std::string key = trim(g.substr(0, eq));
      if (!schema_.has(key))
        throw InputError("explore: --design-grid " + key + ": unknown key (prunesim run --help-config)");
      axes.emplace_back(key, expand_values(key, g.substr(eq + 1)));
    }
    size_t total = 1;
    for (const auto& a : axes) total *= a.second.size();
    for (size_t i = 0; i < total; ++i) {
      Design d;
      size_t rem = i;
      for (size_t ax = axes.size(); ax-- > 0;) {
        const auto& [key, values] = axes[ax];
        const std::string& v = values[rem % values.size()];
        rem /= values.size();
        d.sets.insert(d.sets.begin(), key + "=" + v);
      }
      for (const auto& s : d.sets) d.label += (d.label.empty() ? "" : ",") + s;
      grid.push_back(d);
    }
  }
  for (const RunConfig& c : configs) {
    std::vector<Design> ds = grid;
    if (grid.empty()) {
      const bool fitted = std::count(c.fitted.begin(), c.fitted.end(), "pe.rows") &&
                          std::count(c.fitted.begin(), c.fitted.end(), "pe.cols");
      if (!fitted) {
        ds.push_back({{}, "as configured"});
      } else {
        // The fitted array, then the rungs below it: halve the longer side each time.
        uint32_t r = c.hw.pe.rows, cl = c.hw.pe.cols;
        for (unsigned k = 0; k < std::max(1u, opt_.design_rungs) && r >= 1 && cl >= 1; ++k) {
          ds.push_back({{"pe.rows=" + std::to_string(r), "pe.cols=" + std::to_string(cl)},
                        std::to_string(r) + "x" + std::to_string(cl)});
          if (r == 1 && cl == 1) break;
          if (cl > r)
            cl /= 2;
          else
            r /= 2;
        }
      }
    }
    design_stride_ = std::max(design_stride_, ds.size());
    designs_.push_back(ds);
  }
}

const Fidelity& Explorer::fidelity(size_t v, size_t l) {
  const auto key = std::make_pair(v, l);
  if (auto it = fidelity_.find(key); it != fidelity_.end()) return it->second;
  std::vector<std::string> sets = opt_.sets;
  const auto r = recipe_sets(v, l);
  sets.insert(sets.end(), r.begin(), r.end());
  const RunConfig c = schema_.resolve(opt_.config_files, sets);
  // A replayed trace is the workload as it stands (no recipe to vary); a model is compressed per recipe.
  const workloads::Trace t =
      c.workload.trace.empty() ? c.workload.build_trace() : workloads::read_trace_file(c.workload.trace);
  ++compressions_;
  workloads::write_trace_file(trace_path(v, l), t);
  Fidelity f;
  const std::string err = t.header.get("fidelity_rel_error"), top1 = t.header.get("fidelity_top1_agreement");
  if (!err.empty() && !top1.empty()) {
    f.known = true;
    f.rel_error = std::strtod(err.c_str(), nullptr);
    f.top1 = std::strtod(top1.c_str(), nullptr);
  }
  weight_bits_[key] = models::dominant_weight_bits(t);
  return fidelity_[key] = f;
}

void Explorer::simulate(const std::vector<Point>& points) {
  std::vector<SweepPoint> todo;
  for (const Point& p : points) {
    const size_t index = index_of(p);
    if (outcomes_.count(index)) continue;
    points_[index] = p;
    fidelity(p.variant, p.density);  // writes the trace
    SweepPoint sp;
    sp.index = index;
    sp.files = files_for(p.dev);
    sp.sets = opt_.sets;
    for (const auto& s : designs_[p.dev][p.design].sets) sp.sets.push_back(s);
    for (const auto& s : recipe_sets(p.variant, p.density)) sp.sets.push_back(s);
    sp.sets.push_back("workload.trace=" + trace_path(p.variant, p.density));
    sp.swept = {{"device", names_[p.dev]},
                {"design", designs_[p.dev][p.design].label},
                {"recipe", recipe_label(p.variant, p.density)}};
    // The fit check needs no simulation: a design that overflows the device is not run.
    const RunConfig c = schema_.resolve(sp.files, sp.sets);
    sp.config_hash = hash_config(schema_, c);
    Outcome& o = outcomes_[index];
    if (!models::estimate_resources(c.hw, weight_bits_.at({p.variant, p.density})).fits) {
      o.status = "does_not_fit";
      continue;
    }
    todo.push_back(sp);
  }
  if (!todo.empty()) {
    // Resuming reruns only the points without a record of the same configuration.
    if (opt_.resume) collect_cluster_results(opt_.out_dir);
    const std::vector<SweepPoint> run = points_to_run(todo, opt_.out_dir, opt_.resume);
    if (!run.empty()) {
      SweepOptions so{opt_.out_dir, opt_.jobs, 0, /*resume=*/false, opt_.binary};
      so.progress = false;  // explore reports per round
      for (const auto& note : backend_->run(SweepSpec{}, run, so).notes) notes_.push_back(note);
    }
    simulated_ += run.size();
    const auto res = records_by_hash(opt_.out_dir + "/results.jsonl");
    for (const auto& sp : todo) {
      Outcome& o = outcomes_[sp.index];
      o.simulated = true;
      auto it = res.find(sp.config_hash);
      if (it == res.end()) {
        o.status = "error";
        continue;
      }
      o.status = it->second.value("status", "error");
      if (o.status != "ok") continue;
      const json& m = it->second["metrics"];
      o.ok = true;
      o.latency_ms = m["latency_ms"].get<double>();
      o.energy_mj = m["energy_mj"].get<double>();
      o.dsp = m["dsp"].get<double>();
    }
    sweep_points_.insert(sweep_points_.end(), todo.begin(), todo.end());
  }
}

std::vector<double> Explorer::rank(const Point& p) {
  const Outcome& o = outcome(p);
  const Fidelity& f = fidelity(p.variant, p.density);
  double value = o.energy_mj;
  if (opt_.objective == "latency") value = o.latency_ms;
  if (opt_.objective == "dsp") value = o.dsp;
  if (opt_.objective == "cost") value = prices_[p.dev];
  if (opt_.objective == "accuracy") value = ac_.metric == Accuracy::Metric::Top1 ? -f.top1 : f.rel_error;
  return {value, o.latency_ms, o.energy_mj, o.dsp, double(index_of(p))};
}

json Explorer::point_json(const Point& p) {
  const Outcome& o = outcome(p);
  const Fidelity& f = fidelity(p.variant, p.density);
  json j{{"index", index_of(p)},
         {"device", names_[p.dev]},
         {"device_file", opt_.devices[p.dev]},
         {"design", designs_[p.dev][p.design].label},
         {"design_sets", designs_[p.dev][p.design].sets},
         {"recipe", recipe_label(p.variant, p.density)},
         {"recipe_sets", recipe_sets(p.variant, p.density)},
         {"status", o.status}};
  if (o.ok) {
    j["latency_ms"] = o.latency_ms;
    j["energy_mj"] = o.energy_mj;
    j["dsp"] = o.dsp;
  }
  if (f.known) j["fidelity"] = {{"rel_error", f.rel_error}, {"top1_agreement", f.top1}};
  return j;
}

int Explorer::run(std::ostream& out) {
  const bool weights = [&] {
    const RunConfig c = schema_.resolve(opt_.config_files, opt_.sets);
    return !c.workload.weights.empty() || !c.workload.onnx.empty();
  }();
  if (ac_.active() && !weights)
    throw InputError(
        "explore: --accuracy needs real weights (--weights and --hf-config, or --onnx): without them "
        "prunesim has no "
        "measure of the pruned model's accuracy and will not invent one");
  if (opt_.objective == "accuracy" && !weights)
    throw InputError(
        "explore: --objective accuracy needs real weights (--weights and --hf-config, or --onnx)");
  std::error_code ec;
  std::filesystem::create_directories(opt_.out_dir + "/traces", ec);
  if (ec) throw InputError(opt_.out_dir + ": cannot create directory (" + ec.message() + ")");
  if (!opt_.resume) {
    std::remove((opt_.out_dir + "/results.jsonl").c_str());
    std::remove((opt_.out_dir + "/results.csv").c_str());
    retire_cluster_submissions(opt_.out_dir);
  }
  plan_designs();
  size_t total = 0;
  for (size_t dev = 0; dev < opt_.devices.size(); ++dev)
    for (size_t v = 0; v < variants_.size(); ++v) total += designs_[dev].size() * densities(v);

  // 1. The sparsest density of each variant that meets AC, by bisection (compression only).
  std::vector<long> first_ok(variants_.size(), 0);
  for (size_t v = 0; v < variants_.size() && ac_.active(); ++v) {
    long lo = 0, hi = long(densities(v)) - 1;
    if (!meets(ac_, fidelity(v, size_t(hi)))) {
      first_ok[v] = -1;  // even the densest misses AC
      continue;
    }
    while (lo < hi) {
      const long mid = (lo + hi) / 2;
      if (meets(ac_, fidelity(v, size_t(mid))))
        hi = mid;
      else
        lo = mid + 1;
    }
    first_ok[v] = lo;
  }
  // 2. One simulation per device, design and variant (the whole product with --exhaustive).
  std::vector<Point> round;
  for (size_t dev = 0; dev < opt_.devices.size(); ++dev)
    for (size_t j = 0; j < designs_[dev].size(); ++j)
      for (size_t v = 0; v < variants_.size(); ++v) {
        if (opt_.exhaustive) {
          for (size_t l = 0; l < densities(v); ++l) round.push_back({dev, j, v, l, 0});
          continue;
        }
        if (first_ok[v] < 0) continue;
        const size_t l =
            opt_.objective == "accuracy" && opt_.latency_ms <= 0 ? densities(v) - 1 : size_t(first_ok[v]);
        round.push_back({dev, j, v, l, 0});
      }
  simulate(round);
  // 3. Objective accuracy: the densest density within LC, by bisection above the first that meets AC.
  if (opt_.objective == "accuracy" && opt_.latency_ms > 0 && !opt_.exhaustive) {
    struct Range {
      Point p;
      long lo, hi;
    };
    std::vector<Range> open;
    for (const Point& p : round)
      if (feasible(p)) open.push_back({p, long(p.density), long(densities(p.variant)) - 1});
    while (true) {
      std::vector<Point> probes;
      for (auto& r : open)
        if (r.lo < r.hi) {
          Point q = r.p;
          q.density = size_t((r.lo + r.hi + 1) / 2);
          probes.push_back(q);
        }
      if (probes.empty()) break;
      simulate(probes);
      for (auto& r : open)
        if (r.lo < r.hi) {
          Point q = r.p;
          q.density = size_t((r.lo + r.hi + 1) / 2);
          if (feasible(q))
            r.lo = long(q.density);
          else
            r.hi = long(q.density) - 1;
        }
    }
  }
  merge_sweep(opt_.out_dir, [&] {
    auto pts = sweep_points_;
    std::sort(pts.begin(), pts.end(),
              [](const SweepPoint& a, const SweepPoint& b) { return a.index < b.index; });
    return pts;
  }());

  // The answer and the per-device table.
  std::vector<std::pair<std::vector<double>, Point>> feasible_points;
  for (const auto& [index, p] : points_)
    if (feasible(p)) feasible_points.emplace_back(rank(p), p);
  std::sort(feasible_points.begin(), feasible_points.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  json report{{"objective", opt_.objective},
              {"latency_ms", opt_.latency_ms > 0 ? json(opt_.latency_ms) : json(nullptr)},
              {"accuracy", ac_.active() ? json(ac_.text) : json(nullptr)},
              {"points_total", total},
              {"points_simulated", simulated_},
              {"points_decided", points_.size()},
              {"compressions", compressions_},
              {"devices", json::array()}};
  out << "explore: " << simulated_ << " of " << total << " points simulated (" << compressions_
      << " recipe traces built), objective " << opt_.objective << ", LC "
      << (opt_.latency_ms > 0 ? format_ms(opt_.latency_ms) + " ms" : std::string("none")) << ", AC "
      << (ac_.active() ? ac_.text : std::string("none")) << "\n";
  // Cluster tasks that ended early: their points count as errors here; --resume runs them again.
  for (const auto& note : notes_) out << "  " << note << "\n";
  out << "\n";
  std::vector<std::vector<std::string>> table = {
      {"device", "design", "recipe", "latency ms", "energy mJ", "DSP", "top1", "rel err", "binding"}};
  for (size_t dev = 0; dev < opt_.devices.size(); ++dev) {
    json d{{"device", names_[dev]}, {"device_file", opt_.devices[dev]}};
    const Point* best = nullptr;
    for (const auto& fp : feasible_points)
      if (fp.second.dev == dev) {
        best = &fp.second;
        break;
      }
    // What stops this device doing better: the constraint a cheaper point failed.
    bool lc_binds = false, ac_binds = false, any_fit = false, any_ok = false;
    for (const auto& [index, p] : points_) {
      if (p.dev != dev) continue;
      const Outcome& o = outcome(p);
      any_fit |= o.status != "does_not_fit";
      if (!o.ok) continue;
      any_ok = true;
      if (opt_.latency_ms > 0 && o.latency_ms > opt_.latency_ms &&
          meets(ac_, fidelity(p.variant, p.density)) && (!best || rank(p)[0] < rank(*best)[0]))
        lc_binds = true;
    }
    if (best && ac_.active() && first_ok[best->variant] > 0 && long(best->density) == first_ok[best->variant])
      ac_binds = true;
    std::string binding;
    if (!best) {
      bool any_variant = false;
      for (long f : first_ok) any_variant |= f >= 0;
      binding = !any_variant ? "accuracy" : !any_fit ? "resources" : !any_ok ? "errors" : "latency";
    } else {
      binding = lc_binds && ac_binds ? "latency+accuracy"
                : lc_binds           ? "latency"
                : ac_binds           ? "accuracy"
                                     : "none";
    }
    d["binding"] = binding;
    d["best"] = best ? point_json(*best) : json(nullptr);
    // The Pareto front of the device's simulated points over latency, energy and DSPs.
    json front = json::array();
    for (const auto& [i, p] : points_) {
      if (p.dev != dev || !outcome(p).ok) continue;
      const Outcome& a = outcome(p);
      bool dominated = false;
      for (const auto& [j, q] : points_) {
        if (q.dev != dev || j == i || !outcome(q).ok) continue;
        const Outcome& b = outcome(q);
        if (b.latency_ms <= a.latency_ms && b.energy_mj <= a.energy_mj && b.dsp <= a.dsp &&
            (b.latency_ms < a.latency_ms || b.energy_mj < a.energy_mj || b.dsp < a.dsp)) {
          dominated = true;
          break;
        }
      }
      if (!dominated) front.push_back(point_json(p));
    }
    d["pareto"] = front;
    report["devices"].push_back(d);
    std::vector<std::string> row = {names_[dev]};
    if (best) {
      const Outcome& o = outcome(*best);
      const Fidelity& f = fidelity(best->variant, best->density);
      auto fixed = [](double v, int digits) {
        std::ostringstream os;
        os << std::fixed << std::setprecision(digits) << v;
        return os.str();
      };
      row.insert(row.end(),
                 {designs_[dev][best->design].label, recipe_label(best->variant, best->density),
                  fixed(o.latency_ms, 4), fixed(o.energy_mj, 3), fixed(o.dsp, 0),
                  f.known ? fixed(f.top1, 3) : "-", f.known ? fixed(f.rel_error, 4) : "-", binding});
    } else {
      row.insert(row.end(), {"-", "no feasible point", "-", "-", "-", "-", "-", binding});
    }
    table.push_back(row);
  }
  // Text columns left, figures right.
  std::vector<size_t> width(table.front().size(), 0);
  for (const auto& r : table)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  for (const auto& r : table) {
    for (size_t c = 0; c < r.size(); ++c) {
      const bool text = c < 3 || c + 1 == r.size();
      const bool last = c + 1 == r.size();
      out << (c ? "  " : "") << (text ? std::left : std::right) << std::setw(last ? 0 : int(width[c]))
          << r[c];
    }
    out << "\n";
  }
  int status = 0;
  if (!feasible_points.empty()) {
    const Point& a = feasible_points.front().second;
    report["answer"] = point_json(a);
    // The chosen design against the CPU and GPU baselines, on the same trace (roofline estimates).
    const workloads::Trace t = workloads::read_trace_file(trace_path(a.variant, a.density));
    std::vector<BaselineEstimate> baselines;
    report["answer"]["baselines"] = json::array();
    for (const auto& file : shipped_baselines()) {
      const BaselineEstimate& b = baselines.emplace_back(estimate_baseline(t, read_baseline(file)));
      report["answer"]["baselines"].push_back({{"name", b.name},
                                               {"kind", b.kind},
                                               {"latency_ms", b.latency_ms},
                                               {"fpga_speedup", fpga_speedup(b, outcome(a).latency_ms)}});
    }
    out << "\nanswer: " << names_[a.dev] << ", design " << designs_[a.dev][a.design].label << ", recipe "
        << recipe_label(a.variant, a.density) << ": " << std::setprecision(4) << std::fixed
        << outcome(a).latency_ms << " ms, " << std::setprecision(3) << outcome(a).energy_mj << " mJ, "
        << std::setprecision(0) << outcome(a).dsp << " DSPs\n";
    if (!baselines.empty())
      out << "against " << speedups_text(baselines, outcome(a).latency_ms)
          << "\n        (CPU/GPU: per-op roofline estimates at peak or best-measured rates, "
          << "not simulations: FPGA speed-ups are lower bounds)\n";
  } else {
    // Nothing meets both: name the tightest constraint and the closest points.
    report["answer"] = nullptr;
    std::vector<std::pair<double, Point>> near;
    for (const auto& [i, p] : points_)
      if (outcome(p).ok && meets(ac_, fidelity(p.variant, p.density)))
        near.emplace_back(outcome(p).latency_ms, p);
    std::sort(near.begin(), near.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    std::ostringstream why;
    if (near.empty()) {
      double best_top1 = -1, best_err = INFINITY;
      for (const auto& [k, f] : fidelity_)
        if (f.known) best_top1 = std::max(best_top1, f.top1), best_err = std::min(best_err, f.rel_error);
      why << "no recipe meets the accuracy constraint " << ac_.text << " (the best any recipe reaches: top1 "
          << best_top1 << ", rel_error " << best_err << ")";
      report["tightest_constraint"] = "accuracy";
    } else {
      why << "no design meets the latency constraint " << format_ms(opt_.latency_ms)
          << " ms with a recipe that meets the accuracy constraint; the fastest such point takes "
          << near.front().first << " ms";
      report["tightest_constraint"] = "latency";
    }
    report["closest"] = json::array();
    for (size_t k = 0; k < near.size() && k < 3; ++k) report["closest"].push_back(point_json(near[k].second));
    out << "\nno answer: " << why.str() << "\n";
    for (size_t k = 0; k < near.size() && k < 3; ++k) {
      const Point& p = near[k].second;
      out << "  closest: " << names_[p.dev] << ", design " << designs_[p.dev][p.design].label << ", recipe "
          << recipe_label(p.variant, p.density) << ": " << std::setprecision(4) << std::fixed << near[k].first
          << " ms\n";
    }
    report["reason"] = why.str();
    status = 3;
  }
  write_file_atomic(opt_.out_dir + "/explore.json", report.dump(2) + "\n");
  out << "(" << opt_.out_dir << "/explore.json has every device's best point and Pareto front)\n";
  return status;
}

}  // namespace

int run_explore(const ExploreOptions& opt, std::ostream& out) {
  Explorer e(opt);
  return e.run(out);
}

}  // namespace prunesim::sim
