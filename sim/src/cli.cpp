#include "prunesim/sim/cli.h"

#include <unistd.h>
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <new>
#include <sstream>
#include <systemc>

#include "prunesim/common/error.h"
#include "prunesim/models/accelerator.h"
#include "prunesim/sim/baseline.h"
#include "prunesim/sim/compare.h"
#include "prunesim/sim/config.h"
#include "prunesim/sim/ddr_requests.h"
#include "prunesim/sim/explore.h"
#include "prunesim/sim/hls_export.h"
#include "prunesim/sim/report.h"
#include "prunesim/sim/run_progress.h"
#include "prunesim/sim/sweep.h"
#include "prunesim/sim/sweep_backend.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/summary.h"
#include "prunesim/workloads/text.h"

namespace po = boost::program_options;

namespace prunesim::sim {

namespace {

const char* kUsage =
    "usage: prunesim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run       simulate a workload on a design and report latency, energy, traffic, resources\n"
    "  compress  prune and quantize a model and write its workload trace\n"
    "  inspect   summarise a trace: ops, MACs, bytes, densities, tokens per layer\n"
    "  models    list the model zoo: dimensions, dense weights and where they come from\n"
    "  ddr       run the DRAM model alone on a request trace\n"
    "  sweep     run a design space, one process per point, with the Pareto front marked\n"
    "  explore   the best device, design and pruning recipe under a latency and an accuracy constraint\n"
    "  baseline  roofline estimate of a workload on a CPU or GPU (configs/baselines), for speed-ups\n"
    "  report    a design-review report of a run (HTML, images inline; or Markdown)\n"
    "  compare   compare two reports or two sweeps against tolerances (exit 1 beyond them)\n"
    "  hls       hls export: an HLS project (tops, testbenches, scripts) for the configured design\n"
    "\n"
    "prunesim <command> --help shows a command's options; prunesim --version prints the version.\n";

// Options shared by run and compress: they map onto workload.* configuration keys.
struct WorkloadFlags {
  std::string model, trace, quant, format, tokens, spread, weights, hf_config, model_file, onnx, onnx_unknown;
  std::vector<std::string> prune;
  // Numbers as typed: the config checks them (range, sign, NaN) and names the key, instead of Boost wrapping
  // -5 into 4294967291 or a NaN keep ratio being dropped.
  std::string batch, seq, decode, keep, seed;

  void add_to(po::options_description& d, bool with_trace) {
    d.add_options()("model", po::value(&model), "model from the zoo (bert-base, deit-small, gpt2, gru, ...)")(
        "model-file", po::value(&model_file), "a model of your own: [model] INI (README \"Your own model\")")(
        "weights", po::value(&weights), "prune real weights from this safetensors file (with --hf-config)")(
        "hf-config", po::value(&hf_config), "Hugging Face config.json with the model's dimensions")(
        "onnx", po::value(&onnx),
        "an ONNX transformer or GRU: its dimensions and weights (README \"Your own model\")")(
        "onnx-unknown", po::value(&onnx_unknown),
        "error|vector: an ONNX op prunesim cannot map is an error (default), or costed as a vector op");
    if (with_trace) d.add_options()("trace", po::value(&trace), "replay this trace file instead of a model");
    d.add_options()(
        "prune", po::value(&prune)->composing(),
        "KIND=SPEC, repeatable; e.g. all=block:16x16:0.5, mlp=neuron:0.6, attn=head:0.5, qkv=nm:2:4")(
        "quant", po::value(&quant),
        "int4|int8|int16|fp16|fp32 or hybrid KIND=TYPE,... (act=TYPE for activations, act.OPKIND=TYPE for "
        "one op "
        "kind, e.g. act.softmax=int16)")("format", po::value(&format),
                                         "sparse storage: auto|dense|bitmap|csr|bcsr|hier")(
        "tokens", po::value(&tokens),
        "token-pruning layers, e.g. 3,6,9 (none: off; default auto: 3,6,9 for vision models)")(
        "keep", po::value(&keep), "token keep ratio in (0, 1]")("spread", po::value(&spread),
                                                                "uniform|skewed kept blocks across rows")(
        "batch", po::value(&batch), "samples per inference")("seq", po::value(&seq), "tokens or time steps")(
        "decode", po::value(&decode), "decoder models: tokens generated after the prefill")(
        "seed", po::value(&seed), "random seed");
  }
  // Flags become --set overrides, placed before the user's own --set so those win; `labels` (optional) gets
  // the flag each came from, so errors name "--seq" and not "--set workload.seq".
  std::vector<std::string> as_sets(std::vector<std::string>* labels = nullptr) const {
    std::vector<std::string> s, l;
    auto add = [&](const char* flag, const std::string& key, const std::string& value) {
      s.push_back(key + "=" + value);
      l.push_back(flag);
    };

    if (!model.empty()) add("--model", "workload.model", model);
    if (!model_file.empty()) add("--model-file", "workload.model_file", model_file);
    if (!trace.empty()) add("--trace", "workload.trace", trace);
    if (!weights.empty()) add("--weights", "workload.weights", weights);
    if (!hf_config.empty()) add("--hf-config", "workload.hf_config", hf_config);
    if (!onnx.empty()) add("--onnx", "workload.onnx", onnx);
    if (!onnx_unknown.empty()) add("--onnx-unknown", "workload.onnx_unknown", onnx_unknown);
    if (!prune.empty()) {
      std::string all;
      for (const auto& p : prune) all += (all.empty() ? "" : " ") + p;
      add("--prune", "workload.prune", all);
    }
    if (!quant.empty()) add("--quant", "workload.quant", quant);
    if (!format.empty()) add("--format", "workload.format", format);
    if (!tokens.empty()) add("--tokens", "workload.token_layers", tokens == "none" ? std::string() : tokens);
    if (!spread.empty()) add("--spread", "workload.spread", spread);
    if (!keep.empty()) add("--keep", "workload.token_keep", keep);
    if (!batch.empty()) add("--batch", "workload.batch", batch);
    if (!seq.empty()) add("--seq", "workload.seq", seq);
    if (!decode.empty()) add("--decode", "workload.decode", decode);
    if (!seed.empty()) add("--seed", "workload.seed", seed);
    if (labels) *labels = l;
    return s;
  }
};

struct ConfigFlags {
  std::vector<std::string> files, sets;
  void add_to(po::options_description& d) {
    d.add_options()("config", po::value(&files)->composing(),
                    "INI file, repeatable; later files override earlier")(
        "set", po::value(&sets)->composing(), "section.key=value, repeatable; overrides files");
  }
};

// The run configuration of a command: its config files, then the workload flags, then --set (and `extra`
// sets after them), each error naming where the value came from.
RunConfig resolve_command(const ConfigSchema& schema, const ConfigFlags& cf, const WorkloadFlags& wf,
                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> labels;
  std::vector<std::string> sets = wf.as_sets(&labels);
  sets.insert(sets.end(), cf.sets.begin(), cf.sets.end());
  sets.insert(sets.end(), extra.begin(), extra.end());
  return schema.resolve(cf.files, sets, labels);
}

po::variables_map parse(const std::vector<std::string>& args, const po::options_description& d,
                        const po::positional_options_description* pos = nullptr) {
  po::variables_map vm;
  auto parser = po::command_line_parser(args).options(d);
  if (pos) parser.positional(*pos);
  po::store(parser.run(), vm);
  po::notify(vm);
  return vm;
}

// Groups section.key=value pairs under [section] headers (the last dot separates section and key).
std::string to_ini(const std::vector<std::pair<std::string, std::string>>& kv) {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sections;
  std::vector<std::string> order;
  for (const auto& [k, v] : kv) {
    const size_t dot = k.rfind('.');
    const std::string sec = k.substr(0, dot);
    if (!sections.count(sec)) order.push_back(sec);
    sections[sec].emplace_back(k.substr(dot + 1), v);
  }
  std::ostringstream os;
  for (const auto& sec : order) {
    os << "[" << sec << "]\n";
    for (const auto& [k, v] : sections[sec]) os << k << " = " << v << "\n";
    os << "\n";
  }
  return os.str();
}

// The workload a command runs, its name for reports, and the SHA-256 of its trace text (hashed as it is
// written for a built trace: a long decode's text would be many MB, and its ops are made on demand).
workloads::Trace load_workload(const RunConfig& cfg, std::string& name, std::string& sha256) {
  workloads::Trace t;
  if (!cfg.workload.trace.empty()) {
    const std::string text = read_file(cfg.workload.trace, "trace");
    sha256 = sha256_hex(text);
    std::istringstream in(text);
    t = workloads::read_trace(in, cfg.workload.trace);
    name = cfg.workload.trace;
  } else {
    t = cfg.workload.build_trace();
    sha256 = sha256_hex_of([&t](std::ostream& os) { workloads::write_trace(os, t); });
    name = !cfg.workload.onnx.empty()         ? "onnx:" + cfg.workload.onnx
           : !cfg.workload.weights.empty()    ? "weights:" + cfg.workload.weights
           : !cfg.workload.model_file.empty() ? "model-file:" + cfg.workload.model_file
                                              : "built-in:" + cfg.workload.model;
  }
  return t;
}

// Baseline files from names (configs/baselines/NAME.ini) or paths, comma-separated or repeated; "all" is
// every shipped one, "none" none.
std::vector<Baseline> baselines_from(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const auto& a : args) {
    std::istringstream ss(a);
    for (std::string item; std::getline(ss, item, ',');) {
      if (item.empty() || item == "none") continue;
      if (item == "all") {
        const auto all = shipped_baselines();
        files.insert(files.end(), all.begin(), all.end());
      } else if (item.find('/') == std::string::npos && item.find(".ini") == std::string::npos) {
        files.push_back(std::string(PRUNESIM_CONFIG_DIR) + "/baselines/" + item + ".ini");
        if (!std::filesystem::exists(files.back())) {
          std::string known;
          for (const auto& f : shipped_baselines())
            known += (known.empty() ? "" : ", ") + std::filesystem::path(f).stem().string();
          throw InputError("baseline '" + item + "': no such shipped baseline (known: " + known +
                           "; or give a file path)");
        }
      } else {
        files.push_back(item);
      }
    }
  }
  std::vector<Baseline> out;
  for (const auto& f : files) out.push_back(read_baseline(f));
  return out;
}

// The command as a shell would take it back: `prunesim run` and each argument, quoted where needed.
std::string shell_words(const std::vector<std::string>& args) {
  std::string out = "prunesim run";
  for (const auto& a : args) out += " " + shell_word(a);
  return out;
}

int cmd_run(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim run [options]\n\nSimulate a workload; with no options, the built-in default "
      "(DeiT-Small, 16x16 blocks at density 0.5, EViT at layers 3,6,9 keeping 70 %, int8, "
      "U250-class design).\n\nOptions");
  ConfigFlags cf;
  WorkloadFlags wf;
  std::string json_path, csv_path, vcd_path, timeline_us;
  std::vector<std::string> baseline_args;
  d.add_options()("help,h", "show this help")("help-config", "list every configuration key with its default")(
      "print-config", "print the resolved configuration as an INI file and exit");
  cf.add_to(d);
  wf.add_to(d, true);
  d.add_options()("json", po::value(&json_path), "write the full report as JSON")(
      "csv", po::value(&csv_path), "write one row per op as CSV")("vcd", po::value(&vcd_path),
                                                                  "write VCD waveforms")(
      "timeline-us", po::value(&timeline_us),
      "interval of the JSON report's DRAM bytes-over-time series (sim.timeline_us; default automatic)")(
      "quiet,q", "print nothing on success")(
      "baselines", po::value(&baseline_args)->composing(),
      "CPU/GPU baselines to quote speed-ups against: names or files, comma-separated (default all, or none)");
  auto vm = parse(args, d);
  ConfigSchema schema;
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (vm.count("help-config"))
    return std::cout << "configuration keys ([section] key = value, or --set section.key=value):\n"
                     << schema.describe(),
           0;
  const RunConfig cfg =
      resolve_command(schema, cf, wf,
                      vm.count("timeline-us") ? std::vector<std::string>{"sim.timeline_us=" + timeline_us}
                                              : std::vector<std::string>{});
  if (vm.count("print-config")) return std::cout << to_ini(schema.dump(cfg)), 0;
  std::string name, trace_sha256;
  const workloads::Trace trace = load_workload(cfg, name, trace_sha256);
  std::unique_ptr<FunctionalModel> functional;  // observes the schedule; the timing is the same without it
  if (cfg.hw.sim.functional)
    functional =
        std::make_unique<FunctionalModel>(trace, cfg.hw.sim.functional_seed, cfg.hw.sim.functional_numbers);
  std::vector<models::ScheduleObserver*> observers;
  if (functional) observers.push_back(functional.get());
  // Progress on a terminal, unless the user asked for quiet.
  RunProgress progress(cfg.hw.cycle_ns(), !vm.count("quiet") && isatty(2), {},
                       RunProgress::delay_from_environment());
  observers.push_back(&progress);
  const std::vector<Baseline> baselines =
      baselines_from(baseline_args.empty() ? std::vector<std::string>{"all"} : baseline_args);
  // Outputs that cannot be written are refused before the run, and the reports are written together: a
  // failure leaves none of them (and no waveform) behind.
  if (!json_path.empty()) check_writable(json_path, "--json");
  if (!csv_path.empty()) check_writable(csv_path, "--csv");
  // Every op's stats only for the reports that print them: a long decode's would otherwise grow with it.
  const models::RunResult result =
      models::simulate(trace, cfg.hw, vcd_path, observers, !json_path.empty() || !csv_path.empty());
  progress.finish();
  RunReport rep{cfg, schema, trace, name, trace_sha256, result};
  rep.command_line = shell_words(args);
  for (const auto& b : baselines) rep.baselines.push_back(estimate_baseline(trace, b));
  if (functional) rep.functional = functional->check();
  std::vector<StreamedOutput> outputs;
  if (!json_path.empty())
    outputs.push_back({json_path, [&rep](std::ostream& os) { write_report_json(os, rep); }});
  if (!csv_path.empty()) outputs.push_back({csv_path, [&rep](std::ostream& os) { os << report_csv(rep); }});
  write_files_atomic(outputs);
  if (!vm.count("quiet")) std::cout << report_text(rep);
  if (const auto& f = rep.functional; f.checked && !f.pass) {
    if (!f.failure.empty())
      std::cerr << "prunesim: functional check failed: " << f.failure << "\n";
    else if (f.numbers == "int8")
      std::cerr << "prunesim: functional check failed: " << f.mismatches << " of " << f.elements
                << " int8 values differ from the integer reference (max " << f.max_abs_diff << " LSB)\n";
    else
      std::cerr << "prunesim: functional check failed: max relative error " << f.max_rel_error << " exceeds "
                << f.tolerance << "\n";
    return 1;
  }
  return 0;
}

int cmd_compress(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim compress [options] -o FILE\n\nWrite the workload trace of a pruned, "
      "quantized model.\n\nOptions");
  ConfigFlags cf;
  WorkloadFlags wf;
  std::string out, weights_out;
  d.add_options()("help,h", "show this help")("output,o", po::value(&out), "trace file to write")(
      "stats", "print op counts, MACs, parameters and bytes")(
      "write-weights", po::value(&weights_out),
      "also write the pruned layer weights (safetensors; real weights, else seeded) for functional runs; the "
      "trace names the file");
  cf.add_to(d);
  wf.add_to(d, false);
  auto vm = parse(args, d);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (out.empty() && !vm.count("stats")) throw InputError("compress: give -o FILE and/or --stats");
  const RunConfig cfg = resolve_command(ConfigSchema(), cf, wf);
  workloads::TraceWeights weights;
  workloads::Trace t = cfg.workload.build_trace(weights_out.empty() ? nullptr : &weights);
  if (!weights_out.empty()) {
    if (out.empty())
      throw InputError("compress: --write-weights needs -o FILE (the trace names the weights file)");
    // The trace names its weights relative to its own directory, so the two move together.
    const std::filesystem::path dir = std::filesystem::absolute(out).parent_path();
    t.header.set("weights_file", std::filesystem::absolute(weights_out).lexically_relative(dir).string());
    workloads::write_trace_weights(weights_out, t, weights);
  }
  if (!out.empty()) workloads::write_trace_file(out, t);
  if (vm.count("stats")) std::cout << workloads::trace_summary(t);
  return 0;
}

int cmd_inspect(const std::vector<std::string>& args) {
  po::options_description d("prunesim inspect TRACE\n\nSummarise a trace.\n\nOptions");
  std::string path;
  d.add_options()("help,h", "show this help")("trace", po::value(&path), "trace file");
  po::positional_options_description pos;
  pos.add("trace", 1);
  auto vm = parse(args, d, &pos);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (path.empty()) throw InputError("inspect: give a trace file");
  std::cout << workloads::trace_summary(workloads::read_trace_file(path));
  return 0;
}

std::string self_path() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find the prunesim executable (/proc/self/exe)");
  return std::string(buf, size_t(n));
}

// The --backend options sweep and explore share: which backend, and its keys from a file and from flags.
struct BackendFlags {
  std::string name = "local", config_file;
  std::vector<std::string> sets;
  uint64_t chunk = 0;
  bool detach = false;
  void add_to(po::options_description& d) {
    d.add_options()("backend", po::value(&name),
                    "where points run: local (this host, --jobs processes) or slurm (one job array)")(
        "backend-config", po::value(&config_file),
        "an INI file of backend keys, e.g. [slurm] partition = short")(
        "backend-set", po::value(&sets)->composing(),
        "KEY=VALUE, a backend key (e.g. slurm.partition=short), after --backend-config")(
        "chunk", po::value(&chunk), "points per cluster task (slurm.chunk; default: about a minute of work)")(
        "detach", "submit and return the job id; merge later with --merge-only (slurm.detach)");
  }
  models::ParamValues values(const po::variables_map& vm) const {
    models::ParamValues v;
    if (!config_file.empty()) read_backend_config(config_file, v);
    for (const auto& s : sets) {
      const size_t eq = s.find('=');
      if (eq == std::string::npos || eq == 0)
        throw InputError("--backend-set '" + s + "': expected KEY=VALUE");
      v.set(trim(s.substr(0, eq)), trim(s.substr(eq + 1)));
    }
    if (vm.count("chunk")) v.set(name + ".chunk", std::to_string(chunk));
    if (vm.count("detach")) v.set(name + ".detach", "true");
    return v;
  }
};

std::vector<size_t> point_list(const std::string& text, size_t n_points, const std::string& what) {
  std::vector<size_t> only;
  std::istringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty() || item.size() > 18 || item.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(item) >= n_points)
      throw InputError(what + " '" + item + "' is not a point index of the manifest");
    only.push_back(std::stoull(item));
  }
  return only;
}

// One task of a cluster submission: the points on line TASK+1 of SUBMIT/chunks.txt, recorded in
// SUBMIT/results-TASK.jsonl (the Slurm backend's batch script runs this).
int run_cluster_task(const std::string& out, const std::string& submit, unsigned long task, unsigned jobs,
                     double timeout, const std::string& runner) {
  SweepSpec spec;
  const std::vector<SweepPoint> points = read_manifest(submit, spec);
  std::ifstream is(submit + "/chunks.txt");
  std::string line;
  for (unsigned long t = 0; t <= task; ++t)
    if (!std::getline(is, line))
      throw InputError(submit + "/chunks.txt: no line for task " + std::to_string(task));
  std::vector<size_t> only;
  for (size_t i : point_list(trim(line), std::numeric_limits<size_t>::max(), submit + "/chunks.txt: point")) {
    if (std::none_of(points.begin(), points.end(), [&](const SweepPoint& p) { return p.index == i; }))
      throw InputError(submit + "/chunks.txt: point " + std::to_string(i) + " is not in its manifest");
    only.push_back(i);
  }
  SweepOptions opt{out, jobs, timeout, false, runner};
  opt.progress = false;
  opt.results_file = submit + "/results-" + std::to_string(task) + ".jsonl";
  run_sweep_points(spec, points, opt, only);
  return 0;
}

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim sweep --out DIR [--grid KEY=V1,V2,... | --grid KEY=START:STOP:STEP]... [--zip KEY=...]... "
      "[options]\n\n"
      "Run every point of a design space, each in its own process. Writes DIR/manifest.json, DIR/points/, "
      "DIR/results.jsonl (appended as points finish) and, at the end, DIR/results.csv and results.jsonl in "
      "point order with the Pareto front over latency, energy and DSPs marked. Exits 0 when every point has "
      "a record and every point succeeded; 4 when a point crashed, failed or timed out (unless "
      "--fail-on-error=false) or a cluster task ended before recording its points (run again with "
      "--resume).\n\nBackend keys (--backend-config [NAME] sections, --backend-set):\n" +
      describe_backends() + "\nOptions");
  ConfigFlags cf;
  BackendFlags bf;
  std::vector<std::string> grids, zips;
  std::string out, sweep_file, points_arg, runner, cluster_task;
  unsigned jobs = 1;
  unsigned long task_index = 0;
  double timeout = 0;
  bool fail_on_error = true;
  d.add_options()("help,h", "show this help")("out,o", po::value(&out), "output directory")(
      "grid", po::value(&grids)->composing(), "KEY=V1,V2,... or KEY=START:STOP:STEP (cartesian product)")(
      "zip", po::value(&zips)->composing(), "KEY=V1,V2,...: all --zip keys move in lock step")(
      "sweep-file", po::value(&sweep_file),
      "lines 'grid KEY=...', 'zip KEY=...', 'set KEY=VALUE', 'config FILE'")("jobs,j", po::value(&jobs),
                                                                             "worker processes")(
      "point-timeout", po::value(&timeout), "seconds a point may run before it is killed and recorded")(
      "resume", "skip points already recorded in DIR/results.jsonl")(
      "plan-only", "write the manifest and stop (for a cluster scheduler)")(
      "points", po::value(&points_arg),
      "run only these point indices (comma-separated) of the existing manifest")(
      "merge-only", "merge the recorded results of the existing manifest")(
      "fail-on-error", po::value(&fail_on_error)->default_value(true),
      "exit 4 when any point crashed, failed or timed out (false: 0 once every point has a record)")(
      "runner", po::value(&runner),
      "the program each point runs instead of this prunesim (a wrapper: it gets prunesim's arguments)")(
      "cluster-task", po::value(&cluster_task), "(run by cluster tasks) the submission directory")(
      "task-index", po::value(&task_index), "(run by cluster tasks) the task's index in the submission");
  bf.add_to(d);
  cf.add_to(d);
  auto vm = parse(args, d);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (out.empty()) throw InputError("sweep: --out DIR is required");
  if (jobs == 0 || jobs > 256) throw InputError("sweep: --jobs must be in [1, 256]");
  if (timeout < 0) throw InputError("sweep: --point-timeout must be >= 0");
  const std::string self = self_path();
  if (runner.empty()) runner = self;
  if (!cluster_task.empty()) return run_cluster_task(out, cluster_task, task_index, jobs, timeout, runner);
  auto backend = make_sweep_backend(bf.name, bf.values(vm));
  SweepSpec spec;
  std::vector<SweepPoint> points;
  const bool reuse = vm.count("merge-only") || !points_arg.empty();
  const bool resume = vm.count("resume") > 0;
  if (reuse) {
    points = read_manifest(out, spec);
  } else {
    spec.config_files = cf.files;
    spec.base_sets = cf.sets;
    if (!sweep_file.empty()) spec.read_file(sweep_file);
    for (const auto& g : grids) spec.add_grid(g);
    for (const auto& z : zips) spec.add_zip(z);
    points = plan_sweep(spec, ConfigSchema());  // every point validated before anything runs
    write_manifest(out, spec, points);
    if (vm.count("plan-only"))
      return std::cout << points.size() << " points planned in " << out << "/manifest.json\n", 0;
  }
  // Points recorded by cluster tasks count as recorded; a fresh sweep starts from none of them.
  if (resume || reuse) {
    const size_t running = collect_cluster_results(out);
    if (running)
      std::cerr << "sweep: " << running << " cluster submission(s) of " << out
                << " still running: their finished points are merged\n";
  } else {
    retire_cluster_submissions(out);
  }
  BackendOutcome outcome;
  if (!vm.count("merge-only")) {
    SweepOptions opt{out, jobs, timeout, resume, runner};
    opt.self = self;
    outcome = backend->run(
        spec, points_to_run(points, out, resume, point_list(points_arg, points.size(), "sweep: --points")),
        opt);
    if (outcome.detached) {
      std::cout << "submitted job " << outcome.job << "; when it ends: prunesim sweep --out " << out
                << " --merge-only\n";
      return 0;
    }
  }
  const size_t n = merge_sweep(out, points);
  std::cout << n << " of " << points.size() << " points recorded; results in " << out << "/results.csv\n";
  for (const auto& note : outcome.notes) std::cout << "  " << note << "\n";
  if (!outcome.missing.empty()) {
    std::cout << outcome.missing.size() << " point" << (outcome.missing.size() == 1 ? "" : "s")
              << " not recorded; the same command with --resume runs only them\n";
    return 4;
  }
  // Points that ran but did not succeed: a regression farm must not read a sweep with crashes as a pass.
  std::map<std::string, size_t> failed;
  for (const auto& [i, r] : read_results(out + "/results.jsonl"))
    if (r.value("status", "") != "ok") ++failed[r.value("status", "error")];
  if (!failed.empty()) {
    std::string what;
    size_t total = 0;
    for (const auto& [status, count] : failed) {
      what += (what.empty() ? "" : ", ") + std::to_string(count) + " " + status;
      total += count;
    }
    std::cout << total << " point" << (total == 1 ? "" : "s") << " did not succeed (" << what
              << "): their status and stderr tail are in " << out << "/results.jsonl\n";
    if (fail_on_error) return 4;
  }
  return 0;
}

// `prunesim report`: the Python report module (tools/prunesim_report) on the interpreter found at configure
// time, with the arguments as given; its exit status is the command's.
int cmd_report(const std::vector<std::string>& args) {
  const std::string python = PRUNESIM_PYTHON;
  if (python.empty())
    throw InputError(
        "report: no python3 with matplotlib and jinja2 was found when prunesim was configured (make deps "
        "installs python3-matplotlib and python3-jinja2; then configure again)");
  setenv("PYTHONPATH", PRUNESIM_TOOLS_DIR, 1);
  setenv("PRUNESIM_VERSION", PRUNESIM_VERSION, 1);
  std::vector<std::string> a = {python, "-m", "prunesim_report"};
  a.insert(a.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : a) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::cout.flush();
  execv(python.c_str(), argv.data());
  throw InputError("report: cannot run " + python + " (" + std::strerror(errno) + ")");
}

int cmd_explore(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim explore --out DIR [--model M | --weights W --hf-config C] [--devices F,F,...] "
      "[--latency-ms LC] [--accuracy top1>=X|rel_error<=X] [--prune-grid SPEC]... [options]\n\n"
      "Search each device's designs that fit and a recipe space for the best point meeting the latency and "
      "accuracy constraints. A --prune-grid spec marks the density with one {V1,V2,...} or {START:STOP:STEP} "
      "placeholder, e.g. 'all=block:16x16:{0.2:0.8:0.1}'. Exits 0 with an answer, 3 when nothing meets both "
      "constraints. Writes DIR/explore.json, DIR/results.csv and DIR/traces/.\n\nOptions");
  ConfigFlags cf;
  WorkloadFlags wf;
  BackendFlags bf;
  ExploreOptions opt;
  std::vector<std::string> devices;
  d.add_options()("help,h", "show this help")("out,o", po::value(&opt.out_dir), "output directory")(
      "devices", po::value(&devices)->composing(),
      "device files, comma-separated or repeated (default: every file in configs/devices)")(
      "latency-ms", po::value(&opt.latency_ms), "latency constraint LC in ms (default: none)")(
      "accuracy", po::value(&opt.accuracy),
      "accuracy constraint AC against the dense model: top1>=X or rel_error<=X (needs real weights)")(
      "prune-grid", po::value(&opt.prune_grid)->composing(),
      "prune spec with one {densities} placeholder; repeatable (each is a family)")(
      "quant-grid", po::value(&opt.quant_grid)->composing(), "quant values, comma-separated")(
      "tokens-grid", po::value(&opt.tokens_grid)->composing(),
      "one token-pruning setting per --tokens-grid: none, or a layer list such as 3,6,9; repeatable")(
      "keep-grid", po::value(&opt.keep_grid)->composing(), "token keep ratios, comma-separated")(
      "design-grid", po::value(&opt.design_grid)->composing(),
      "KEY=V1,V2,...: the designs tried on every device (cartesian); default: the fitted array and the next "
      "smaller ones")("rungs", po::value(&opt.design_rungs),
                      "array sizes tried per device without --design-grid")(
      "objective", po::value(&opt.objective),
      "energy|latency|dsp|cost|accuracy (default energy; cost needs device.price_usd)")(
      "exhaustive", "simulate the whole product instead of searching (to check the search)")(
      "jobs,j", po::value(&opt.jobs), "worker processes")("resume", "reuse the points DIR already holds")(
      "explore-file", po::value<std::string>(),
      "settings one per line ('prune-grid SPEC', 'device FILE', 'latency-ms X', ...); flags add to or "
      "override "
      "them");
  bf.add_to(d);
  cf.add_to(d);
  wf.add_to(d, true);
  auto vm = parse(args, d);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (vm.count("explore-file")) {
    // The file first; the command line adds to its lists and overrides its single values.
    ExploreOptions file;
    read_explore_file(vm["explore-file"].as<std::string>(), file);
    auto prepend = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
      to.insert(to.begin(), from.begin(), from.end());
    };
    prepend(devices, file.devices);
    prepend(cf.files, file.config_files);
    prepend(cf.sets, file.sets);
    prepend(opt.prune_grid, file.prune_grid);
    prepend(opt.quant_grid, file.quant_grid);
    prepend(opt.tokens_grid, file.tokens_grid);
    prepend(opt.keep_grid, file.keep_grid);
    prepend(opt.design_grid, file.design_grid);
    if (!vm.count("latency-ms")) opt.latency_ms = file.latency_ms;
    if (!vm.count("accuracy")) opt.accuracy = file.accuracy;
    if (!vm.count("objective")) opt.objective = file.objective;
    if (!vm.count("rungs")) opt.design_rungs = file.design_rungs;
  }
  if (opt.jobs == 0 || opt.jobs > 256) throw InputError("explore: --jobs must be in [1, 256]");
  if (opt.design_rungs == 0 || opt.design_rungs > 16) throw InputError("explore: --rungs must be in [1, 16]");
  for (const auto& g : devices) {
    std::istringstream ss(g);
    for (std::string f; std::getline(ss, f, ',');)
      if (!f.empty()) opt.devices.push_back(f);
  }
  if (opt.devices.empty()) opt.devices = shipped_devices();
  opt.config_files = cf.files;
  opt.sets = wf.as_sets();
  opt.sets.insert(opt.sets.end(), cf.sets.begin(), cf.sets.end());
  opt.exhaustive = vm.count("exhaustive") > 0;
  opt.resume = vm.count("resume") > 0;
  opt.binary = self_path();
  opt.backend = bf.name;
  opt.backend_params = bf.values(vm);
  return run_explore(opt, std::cout);
}

int cmd_baseline(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim baseline [workload options] [--device NAME|FILE]...\n\n"
      "Estimate the workload's latency on CPUs and GPUs with a per-op roofline from datasheet peaks "
      "(configs/baselines/; README \"CPU and GPU baselines\"). An estimate, not a simulation.\n\nOptions");
  ConfigFlags cf;
  WorkloadFlags wf;
  std::vector<std::string> devices;
  std::string json_path;
  d.add_options()("help,h", "show this help")("device", po::value(&devices)->composing(),
                                              "baseline names or files, comma-separated (default all)")(
      "json", po::value(&json_path), "write the estimates as JSON");
  cf.add_to(d);
  wf.add_to(d, true);
  auto vm = parse(args, d);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  const RunConfig cfg = resolve_command(ConfigSchema(), cf, wf);
  const auto baselines = baselines_from(devices.empty() ? std::vector<std::string>{"all"} : devices);
  std::string name, sha256;
  const workloads::Trace trace = load_workload(cfg, name, sha256);
  nlohmann::json j = nlohmann::json::array();
  std::cout << "roofline estimates (datasheet peaks x efficiency; not simulations) of " << name << "\n";
  std::cout << std::left << std::setw(18) << "baseline" << std::setw(6) << "kind" << std::right
            << std::setw(14) << "latency ms" << std::setw(18) << "compute-bound ms" << std::setw(17)
            << "memory-bound ms"
            << "\n";
  for (const auto& b : baselines) {
    const BaselineEstimate e = estimate_baseline(trace, b);
    std::cout << std::left << std::setw(18) << e.name << std::setw(6) << e.kind << std::right << std::fixed
              << std::setprecision(4) << std::setw(14) << e.latency_ms << std::setw(18) << e.compute_bound_ms
              << std::setw(17) << e.memory_bound_ms << "\n";
    j.push_back({{"name", e.name},
                 {"kind", e.kind},
                 {"part", b.part},
                 {"source", b.source},
                 {"latency_ms", e.latency_ms},
                 {"compute_bound_ms", e.compute_bound_ms},
                 {"memory_bound_ms", e.memory_bound_ms},
                 {"macs", e.macs},
                 {"bytes", e.bytes}});
  }
  if (!json_path.empty()) write_file_atomic(json_path, j.dump(2) + "\n");
  return 0;
}

int cmd_models(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim models\n\nThe models --model accepts, with their dimensions (seq: tokens or time "
      "steps by default) and the dense weights the compressor builds for them.\n\nOptions");
  d.add_options()("help,h", "show this help");
  auto vm = parse(args, d);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  std::cout << std::left << std::setw(13) << "model" << std::setw(9) << "family" << std::right << std::setw(7)
            << "layers" << std::setw(8) << "d_model" << std::setw(7) << "heads" << std::setw(7) << "mlp"
            << std::setw(6) << "seq" << std::setw(11) << "weights"
            << "  source\n";
  for (const auto& name : workloads::known_models()) {
    const workloads::ModelSpec m = workloads::lookup_model(name);
    uint64_t weights = 0;  // every matrix of the unpruned trace: layers, embeddings and heads
    workloads::Recipe dense;
    dense.tokens.layers.clear();
    for (const auto& [n, w] : workloads::compress(m, dense).matrices) weights += w.dense_params();
    const bool gru = m.family == workloads::Family::Gru;
    std::ostringstream params;
    params << std::fixed << std::setprecision(1) << double(weights) / 1e6 << " M";
    std::cout << std::left << std::setw(13) << name << std::setw(9) << workloads::family_name(m.family)
              << std::right << std::setw(7) << m.layers << std::setw(8) << (gru ? m.gru_hidden : m.d_model)
              << std::setw(7) << (gru ? std::string("-") : std::to_string(m.heads)) << std::setw(7)
              << (gru ? std::string("-") : std::to_string(m.mlp)) << std::setw(6) << m.seq << std::setw(11)
              << params.str() << "  " << m.source << "\n";
  }
  std::cout
      << "\nweights: the matrices the accelerator multiplies (layers, patch embedding, heads; "
         "token-embedding "
         "lookups are not counted). GRU rows give the hidden size as d_model. Any dimension can be changed "
         "with --set workload.KEY (layers, d_model, heads, mlp, seq, gru_input, gru_hidden, norm).\n";
  return 0;
}

int cmd_compare(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim compare BASE NEW [--tol METRIC=PCT,...]\n\nCompare two run reports (JSON) or "
      "two sweep outputs (results.jsonl or the sweep directory, points matched by configuration "
      "hash). Exits 1 when any change exceeds its tolerance (default 0 %: any change).\n\nOptions");
  std::vector<std::string> files;
  std::string tol;
  d.add_options()("help,h", "show this help")(
      "tol", po::value(&tol),
      ("tolerances, e.g. latency=1%,energy=2%,ops=5%; metrics: " + metric_names()).c_str());
  po::options_description all;  // the positional BASE and NEW are not options to show in --help
  all.add(d).add_options()("files", po::value(&files), "BASE and NEW");
  po::positional_options_description pos;
  pos.add("files", 2);
  auto vm = parse(args, all, &pos);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (files.size() != 2) throw InputError("compare: give BASE and NEW");
  const size_t bad = compare_outputs(files[0], files[1], parse_tolerances(tol), std::cout);
  std::cout << (bad ? "FAIL: " + std::to_string(bad) + " beyond tolerance\n"
                    : std::string("OK: within tolerance\n"));
  return bad ? 1 : 0;
}

int cmd_hls(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim hls export --out DIR [--config FILE] [--set KEY=VALUE] [workload options]\n\n"
      "Write an HLS project for the configured design: per kernel a top with the design's "
      "constants, a C-simulation testbench with golden vectors, run_hls.tcl and hls_config.cfg "
      "with the device part and clock.\n\nOptions");
  ConfigFlags cf;
  WorkloadFlags wf;
  std::string out, action;
  d.add_options()("help,h", "show this help")("out,o", po::value(&out), "output directory");
  cf.add_to(d);
  wf.add_to(d, true);
  po::options_description all;  // the positional action is not an option to show in --help
  all.add(d).add_options()("action", po::value(&action), "export");
  po::positional_options_description pos;
  pos.add("action", 1);
  auto vm = parse(args, all, &pos);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (action != "export") throw InputError("hls: expected 'prunesim hls export --out DIR'");
  if (out.empty()) throw InputError("hls export: --out DIR is required");
  const RunConfig cfg = resolve_command(ConfigSchema(), cf, wf);
  std::string name, sha256;
  const workloads::Trace trace = load_workload(cfg, name, sha256);
  const auto kernels = export_hls(cfg, trace, out);
  std::cout << "wrote " << kernels.size() << " kernels to " << out << ":";
  for (const auto& k : kernels) std::cout << " " << k;
  std::cout << "\n";
  return 0;
}

int cmd_ddr(const std::vector<std::string>& args) {
  po::options_description d(
      "prunesim ddr --requests FILE [options]\n\nRun the DRAM model alone on a request "
      "trace: '<arrival_ns> <R|W> <hex address> [bytes]' per line (arrival 0: as soon as "
      "accepted), or DRAMsim3's '<hex address> <READ|WRITE> <cycle>'.\n\nOptions");
  ConfigFlags cf;
  std::string req_path, json_path;
  d.add_options()("help,h", "show this help")("requests", po::value(&req_path), "request trace file")(
      "json", po::value(&json_path), "write the results as JSON")("quiet,q", "print nothing on success");
  cf.add_to(d);
  auto vm = parse(args, d);
  if (vm.count("help")) return std::cout << d << "\n", 0;
  if (req_path.empty()) throw InputError("ddr: --requests FILE is required");
  const RunConfig cfg = ConfigSchema().resolve(cf.files, cf.sets);
  const std::string text = read_file(req_path, "request");
  const auto reqs = read_requests(std::string_view(text), req_path, cfg.hw.ddr.timing.tck_ns);
  RunProgress progress(cfg.hw.ddr.timing.tck_ns, !vm.count("quiet") && isatty(2), {"served", "requests"},
                       RunProgress::delay_from_environment());
  const DdrRunStats s = run_requests(cfg.hw.ddr, reqs, req_path, [&](size_t done, size_t total, uint64_t c) {
    progress.update(done, total, c);
  });
  progress.finish();
  auto r6 = [](double v) { return std::round(v * 1e6) / 1e6; };
  nlohmann::json j{{"requests", s.requests},
                   {"reads", s.reads},
                   {"writes", s.writes},
                   {"bytes", s.bytes},
                   {"end_ns", r6(s.end_ns)},
                   {"bandwidth_gbps", r6(s.bandwidth_gbps)},
                   {"read_latency_ns",
                    {{"mean", r6(s.read_latency_mean_ns)},
                     {"p50", r6(s.read_latency_p50_ns)},
                     {"p99", r6(s.read_latency_p99_ns)}}},
                   {"row_hit_rate", r6(s.row_hit_rate)},
                   {"activates", s.activates},
                   {"refreshes", s.refreshes},
                   {"preset", cfg.hw.ddr.preset},
                   {"channels", cfg.hw.ddr.org.channels}};
  if (!json_path.empty()) write_file_atomic(json_path, j.dump(2) + "\n");
  if (vm.count("quiet")) return 0;
  std::cout << std::fixed << std::setprecision(2) << "requests      " << s.requests << " (" << s.reads
            << " reads, " << s.writes << " writes)\n"
            << "end           " << s.end_ns << " ns\n"
            << "bandwidth     " << s.bandwidth_gbps << " GB/s (peak "
            << cfg.hw.ddr.peak_gbps_per_channel() * cfg.hw.ddr.org.channels << ")\n"
            << "read latency  mean " << s.read_latency_mean_ns << " ns, p50 " << s.read_latency_p50_ns
            << " ns, p99 " << s.read_latency_p99_ns << " ns\n"
            << "row hit rate  " << 100.0 * s.row_hit_rate << " %\n"
            << "activates     " << s.activates << "\nrefreshes     " << s.refreshes << "\n";
  return 0;
}

}  // namespace

int run_cli(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::cerr << kUsage;
      return 2;
    }
    const std::string cmd = argv[1];
    std::vector<std::string> args(argv + 2, argv + argc);
    if (cmd == "--help" || cmd == "-h" || cmd == "help") return std::cout << kUsage, 0;
    if (cmd == "--version") return std::cout << "prunesim " << PRUNESIM_VERSION << "\n", 0;
    if (cmd == "run") return cmd_run(args);
    if (cmd == "compress") return cmd_compress(args);
    if (cmd == "inspect") return cmd_inspect(args);
    if (cmd == "models") return cmd_models(args);
    if (cmd == "ddr") return cmd_ddr(args);
    if (cmd == "sweep") return cmd_sweep(args);
    if (cmd == "report") return cmd_report(args);
    if (cmd == "explore") return cmd_explore(args);
    if (cmd == "baseline") return cmd_baseline(args);
    if (cmd == "compare") return cmd_compare(args);
    if (cmd == "hls") return cmd_hls(args);
    std::cerr << "prunesim: unknown command '" << cmd << "'\n\n" << kUsage;
    return 2;
  } catch (const InputError& e) {
    std::cerr << "prunesim: error: " << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << "prunesim: error: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // The input asked for more than the machine has: the workload's size is at fault, not prunesim.
    std::cerr << "prunesim: error: out of memory: this workload needs more memory than the process may use; "
                 "make it smaller (--batch, --seq, --decode, the model) or raise the memory limit\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "prunesim: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace prunesim::sim
