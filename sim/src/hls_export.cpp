#include "prunesim/sim/hls_export.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/models/tiling.h"
#include "prunesim/sim/functional.h"
#include "prunesim/sim/hls_kernel_sources.h"
#include "prunesim/sim/hls_sources.h"
#include "prunesim/sim/report.h"

namespace prunesim::sim {

namespace {

void mkdirs(const std::string& path) {
  std::string cur;
  std::istringstream ss(path);
  for (std::string part; std::getline(ss, part, '/');) {
    cur += (cur.empty() && path[0] != '/' ? "" : "/") + part;
    if (part.empty()) continue;
    if (mkdir(cur.c_str(), 0777) != 0 && errno != EEXIST) throw InputError(cur + ": cannot create directory");
  }
}

struct Design {
  int R, C, max_m, max_k, max_n, bh = 0, bw = 0, max_blocks = 0, topk_n = 0, comparators, d_model,
                                 softmax_cols, number, gru_hidden = 0;
  bool prob16 = false;  // int8 designs with a 16-bit softmax
  std::string part;
  double period_ns;
};

Design derive(const RunConfig& cfg, const workloads::Trace& t, const KernelCalls& calls, bool ints) {
  Design d;
  d.R = int(cfg.hw.pe.rows), d.C = int(cfg.hw.pe.cols);
  d.part = cfg.hw.device.part;
  d.period_ns = 1000.0 / cfg.hw.clock.mhz;
  d.comparators = int(cfg.hw.tpu.comparators);
  d.max_m = d.max_k = d.max_n = d.d_model = d.softmax_cols = 1;
  for (const auto& [name, m] : t.matrices) {
    d.max_k = std::max(d.max_k, int(m.cols));
    d.max_n = std::max(d.max_n, int(m.rows));
  }
  for (const auto& op : t.ops) {
    if (op.kind == workloads::OpKind::Gemm) d.max_m = std::max<int>(d.max_m, int(op.m));
    if (op.kind == workloads::OpKind::LayerNorm || op.kind == workloads::OpKind::RmsNorm)
      d.d_model = std::max<int>(d.d_model, int(op.cols));
    if (op.kind == workloads::OpKind::Softmax) d.softmax_cols = std::max<int>(d.softmax_cols, int(op.cols));
    if (op.kind == workloads::OpKind::TokenPrune)
      for (auto n : op.tokens_in) d.topk_n = std::max<int>(d.topk_n, int(n) - 1);
  }
  // The block size the simulator's block-sparse kernel ran with.
  if (calls.count("gemm_sparse")) {
    d.bh = int(calls.at("gemm_sparse").scalars.at("bh"));
    d.bw = int(calls.at("gemm_sparse").scalars.at("bw"));
    d.max_blocks = (d.max_n / d.bh + 1) * (d.max_k / d.bw + 1);
  }
  if (calls.count("gru_cell")) d.gru_hidden = int(calls.at("gru_cell").scalars.at("hidden"));
  if (calls.count("softmax")) d.prob16 = ints && calls.at("softmax").scalars.at("prob_one") != 127;
  int p2 = 1;
  while (p2 < d.topk_n) p2 <<= 1;
  d.topk_n = d.topk_n ? p2 : 0;
  d.number = ints ? 1 : 0;  // int8 operands with int32 accumulation, else float
  return d;
}

// design.h for the copied tops (hls/kernels/design.h has the C-simulation defaults of the same names): every
// constant any top reads, at the configured design's values (1 where the workload has no such kernel).
std::string design_header(const Design& d) {
  std::ostringstream os;
  os << "// Design constants written by prunesim hls export: the configured PE array, shapes and precision.\n"
     << "#pragma once\n#define PRUNESIM_HLS_NUMBER " << d.number
     << "\n#include <cstdint>\n\n#include \"prunesim/hls/types.h\"\n\n"
     << "struct DesignGemm {\n"
     << "  static const int max_m = " << d.max_m << ", max_k = " << d.max_k << ", max_n = " << d.max_n
     << ";\n"
     << "  static const int R = " << d.R << ", Cc = " << d.C << ";  // PE array rows x columns\n"
     << "  static const int BH = " << std::max(d.bh, 1) << ", BW = " << std::max(d.bw, 1)
     << ", max_blocks = " << std::max(d.max_blocks, 1) << ";  // pruning blocks\n"
     << "  using in_t = prunesim::hls::data_t;\n  using w_t = prunesim::hls::data_t;\n"
     << "  using acc_t = prunesim::hls::acc_t;\n};\n\n"
     << "static const int kDModel = " << d.d_model << ";\n"
     << "static const int kSoftmaxCols = " << d.softmax_cols << ";\n"
     << "using softmax_prob_t = " << (d.prob16 ? "int16_t" : "int8_t") << ";\n"
     << "static const int32_t kSoftmaxProbOne = " << (d.prob16 ? 32767 : 127) << ";\n"
     << "static const int kTopkN = " << std::max(d.topk_n, 1)
     << ";  // token scores, padded to a power of two\n"
     << "static const int kComparators = " << d.comparators << ";\n"
     << "static const int kGruHidden = " << std::max(d.gru_hidden, 1) << ";\n";
  return os.str();
}

// A C array of golden values (captured as doubles, all exact) in the given element type.
std::string array(const std::string& ctype, const std::string& name, const std::vector<double>& v) {
  std::ostringstream os;
  os << "static const " << ctype << " " << name << "[" << std::max<size_t>(v.size(), 1) << "] = {";
  const bool is_float = ctype == "float";
  for (size_t i = 0; i < v.size(); ++i) {
    std::ostringstream e;
    if (is_float) {
      e << std::setprecision(9) << v[i];
      std::string lit = e.str();
      lit += lit.find_first_of(".eEn") == std::string::npos ? ".0f" : "f";  // "24" -> "24.0f"
      os << (i % 10 ? " " : "\n  ") << lit << ",";
    } else {
      os << (i % 16 ? " " : "\n  ") << (long long)v[i] << ",";
    }
  }
  os << "\n};\n";
  return os.str();
}

// One exported kernel: the folder of hls/kernels/ whose top and golden testbench are copied, its top
// function, and the golden vectors.
struct Kernel {
  std::string name, top, golden;
  std::string where;  // the op its golden vectors come from
};

std::string golden_header(const KernelCall& c, const std::string& what) {
  return "// Golden vectors from prunesim's functional run: " + what + ", " + c.where +
         ".\n// The kernel's operands and exact results on the simulated data.\n#pragma once\n#include "
         "<cstdint>\n";
}

std::string int_scalar(const char* name, int64_t v) {
  return "static const int " + std::string(name) + " = " + std::to_string(v) + ";\n";
}

Kernel gemm_kernel(const Design& d, const KernelCall& c, bool sparse) {
  // Trimmed to the first outputs of the captured tile (whole block rows): each output depends only on its
  // own weight row, so the trimmed golden values stay exact.
  const int m = int(c.scalars.at("m")), k = int(c.scalars.at("k")), n_all = int(c.scalars.at("n"));
  const int n = sparse ? std::min(n_all, 2 * d.bh) : std::min(n_all, 32);
  std::vector<double> w, y;
  for (int o = 0; o < n; ++o)
    for (int i = 0; i < k; ++i) w.push_back(c.arrays.at("w")[size_t(o) * k + i]);
  for (int r = 0; r < m; ++r)
    for (int o = 0; o < n; ++o) y.push_back(c.arrays.at("y")[size_t(r) * n_all + o]);
  const bool ints = d.number == 1;
  const std::string data = ints ? "int" : "float", acc = ints ? "long long" : "float";
  Kernel kn;
  kn.where = c.where;
  kn.name = sparse ? "gemm_sparse" : "gemm_dense";
  kn.top = kn.name + "_top";
  kn.golden = golden_header(c, std::to_string(m) + " x " + std::to_string(k) + " by " + std::to_string(k) +
                                   " x " + std::to_string(n) + (sparse ? ", block-sparse" : "")) +
              "static const int kM = " + std::to_string(m) + ", kK = " + std::to_string(k) +
              ", kN = " + std::to_string(n) + ";\n" + array(data, "kX", c.arrays.at("x")) +
              array(data, "kW", w) + array(acc, "kY", y);
  if (sparse) {
    const size_t bcols = size_t(k + d.bw - 1) / size_t(d.bw), brows = size_t(n + d.bh - 1) / size_t(d.bh);
    const std::vector<double> keep(c.arrays.at("keep").begin(),
                                   c.arrays.at("keep").begin() + long(brows * bcols));
    kn.golden += array("int", "kKeep", keep);
  }
  return kn;
}

Kernel softmax_kernel(const Design& d, const KernelCall& c) {
  const bool ints = d.number == 1;
  Kernel kn{ints ? "softmax_int" : "softmax", ints ? "softmax_int_top" : "softmax_top",
            golden_header(c, "one row") + int_scalar("kCols", c.scalars.at("cols")) +
                array(ints ? "int" : "float", "kIn", c.arrays.at("in")) +
                array(ints ? "int" : "float", "kOut", c.arrays.at("out")),
            c.where};
  if (ints)
    kn.golden += int_scalar("kMult", c.scalars.at("mult")) + int_scalar("kShift", c.scalars.at("shift")) +
                 array("unsigned short", "kTable", c.arrays.at("table"));
  return kn;
}

Kernel layernorm_kernel(const Design& d, const KernelCall& c) {
  const bool ints = d.number == 1;
  const std::string data = ints ? "int" : "float";
  return {ints ? "layernorm_int" : "layernorm", ints ? "layernorm_int_top" : "layernorm_top",
          golden_header(c, "one row") + int_scalar("kCols", c.scalars.at("cols")) +
              array(data, "kIn", c.arrays.at("in")) + array(data, "kGamma", c.arrays.at("gamma")) +
              array(data, "kBeta", c.arrays.at("beta")) + array(data, "kOut", c.arrays.at("out")) +
              array(ints ? "long long" : "float", "kEps", c.arrays.at("eps")),
          c.where};
}

Kernel rmsnorm_kernel(const KernelCall& c) {
  return {"rmsnorm", "rmsnorm_top",
          golden_header(c, "one row") + int_scalar("kCols", c.scalars.at("cols")) +
              array("float", "kIn", c.arrays.at("in")) + array("float", "kGamma", c.arrays.at("gamma")) +
              array("float", "kOut", c.arrays.at("out")) + array("float", "kEps", c.arrays.at("eps")),
          c.where};
}

Kernel topk_kernel(const KernelCall& c) {
  return {"topk", "topk_bitonic_top",
          golden_header(c, "class-token scores") + int_scalar("kN", c.scalars.at("n")) +
              int_scalar("kK", c.scalars.at("k")) + array("float", "kScores", c.arrays.at("scores")) +
              array("int", "kKept", c.arrays.at("kept")),
          c.where};
}

Kernel gru_cell_kernel(const Design& d, const KernelCall& c) {
  const bool ints = d.number == 1;
  const std::string data = ints ? "int" : "float";
  Kernel kn{ints ? "gru_cell_int" : "gru_cell", ints ? "gru_cell_int_top" : "gru_step_top",
            golden_header(c, "one element-wise step of sample 0") +
                int_scalar("kHidden", c.scalars.at("hidden")) + array(data, "kGi", c.arrays.at("gi")) +
                array(data, "kGh", c.arrays.at("gh")) + array(data, "kH", c.arrays.at("h")) +
                array(data, "kHOut", c.arrays.at("h_out")),
            c.where};
  if (ints)
    kn.golden += array("int", "kFactors", c.arrays.at("factors")) +
                 array("int", "kSigmoidR", c.arrays.at("sigmoid_r")) +
                 array("int", "kSigmoidZ", c.arrays.at("sigmoid_z")) +
                 array("int", "kTanhN", c.arrays.at("tanh_n"));
  return kn;
}

// The checked-in source hls/kernels/<path>, as compiled into this binary.
const char* kernel_source(const std::string& path) {
  for (const auto& f : kHlsKernelSources)
    if (path == f.name) return f.text;
  throw std::logic_error("hls export: " + path + " is not among the embedded kernel sources");
}

// Runs the workload in functional mode on the configured design's schedule until every kernel has been
// called once, recording those calls.
KernelCalls capture_calls(const RunConfig& cfg, const workloads::Trace& t, bool& ints) {
  FunctionalModel f(t, cfg.hw.sim.functional_seed, cfg.hw.sim.functional_numbers);
  ints = FunctionalModel::resolve(t, cfg.hw.sim.functional_numbers) == models::FunctionalNumbers::Int8;
  KernelCalls calls;
  f.capture(&calls);
  const models::TilePlan plan = models::plan_tiles(t, cfg.hw);
  for (const auto& item : plan.items) {
    f.execute(item, t.ops[item.op]);
    if (calls.size() == 5) break;  // gemm_dense, gemm_sparse, softmax, layernorm or rmsnorm, topk
  }
  return calls;
}

std::string tcl(const Kernel& k, const Design& d) {
  std::ostringstream os;
  os << "# Vitis HLS project for the " << k.name
     << " kernel of the configured design (prunesim hls export).\n"
     << "# Run here: vitis_hls -f run_hls.tcl\nopen_project -reset " << k.name << "_prj\nset_top " << k.top
     << "\n"
     << "add_files " << k.name << "_top.cpp -cflags \"-I../include -std=c++14\"\n"
     << "add_files -tb " << k.name << "_tb.cpp -cflags \"-I../include -std=c++14\"\n"
     << "open_solution -reset solution1 -flow_target vivado\nset_part " << d.part << "\n"
     << "create_clock -period " << std::setprecision(6) << d.period_ns << " -name default\n"
     << "csim_design\ncsynth_design\ncosim_design\nexport_design -format ip_catalog\nexit\n";
  return os.str();
}

std::string cfg_file(const Kernel& k, const Design& d) {
  std::ostringstream os;
  os << "# Vitis unified HLS configuration (v++ -c --mode hls --config hls_config.cfg), written by "
        "prunesim.\n"
     << "part=" << d.part << "\n\n[hls]\nflow_target=vivado\nclock=" << std::setprecision(6) << d.period_ns
     << "ns\n"
     << "syn.top=" << k.top << "\nsyn.file=" << k.name << "_top.cpp\nsyn.file_cflags=" << k.name
     << "_top.cpp,-I../include -std=c++14\ntb.file=" << k.name << "_tb.cpp\ntb.file_cflags=" << k.name
     << "_tb.cpp,-I../include -std=c++14\npackage.output.format=ip_catalog\n";
  return os.str();
}

}  // namespace

std::vector<std::string> export_hls(const RunConfig& cfg, const workloads::Trace& trace,
                                    const std::string& out) {
  // The exported GEMM kernels are the systolic array's (gemm_dense/gemm_sparse with R x C constants).
  if (cfg.hw.pe.engine != "systolic")
    throw InputError("hls export: pe.engine = " + cfg.hw.pe.engine +
                     " has no HLS kernel yet; the exported GEMM kernels are the systolic array's (set "
                     "pe.engine = systolic to export them)");
  bool ints = false;
  KernelCalls calls;
  try {
    calls = capture_calls(cfg, trace, ints);
  } catch (const InputError& e) {
    throw InputError(
        std::string("hls export takes its golden vectors from a functional run, which cannot run "
                    "this workload: ") +
        e.what());
  }
  const Design d = derive(cfg, trace, calls, ints);
  std::vector<Kernel> kernels;
  if (calls.count("gemm_dense")) kernels.push_back(gemm_kernel(d, calls.at("gemm_dense"), false));
  if (calls.count("gemm_sparse")) kernels.push_back(gemm_kernel(d, calls.at("gemm_sparse"), true));
  if (calls.count("softmax")) kernels.push_back(softmax_kernel(d, calls.at("softmax")));
  if (calls.count("layernorm")) kernels.push_back(layernorm_kernel(d, calls.at("layernorm")));
  if (calls.count("rmsnorm")) kernels.push_back(rmsnorm_kernel(calls.at("rmsnorm")));
  if (calls.count("topk") && d.topk_n) kernels.push_back(topk_kernel(calls.at("topk")));
  if (calls.count("gru_cell")) kernels.push_back(gru_cell_kernel(d, calls.at("gru_cell")));
  mkdirs(out + "/include/prunesim/hls");
  for (const auto& f : kHlsHeaders) write_file_atomic(out + "/include/prunesim/hls/" + f.name, f.text);
  write_file_atomic(out + "/design.h", design_header(d));
  std::vector<std::string> names;
  std::ostringstream readme;
  readme << "# HLS project exported by prunesim\n\nDesign: " << d.part << " at " << cfg.hw.clock.mhz
         << " MHz, PE array " << d.R << " x " << d.C << ", "
         << (d.number == 1 ? "int8 operands with int32 accumulation (integer softmax and layernorm)"
                           : "float")
         << ", shapes up to " << d.max_m << " x " << d.max_k << " x " << d.max_n << ".\n\n"
         << "Each folder is one kernel: `<k>_top.cpp` (synthesis top), `<k>_tb.cpp` (C simulation with "
            "golden vectors,\n"
         << "returns 0 on pass), `run_hls.tcl` (vitis_hls -f run_hls.tcl) and `hls_config.cfg` (v++ --mode "
            "hls).\n"
         << "The golden vectors are operands and results of the kernels as prunesim's functional run of the "
            "workload\n"
         << "called them (`prunesim run --set sim.functional=true`); golden.h names the op each comes from.\n"
         << "Without Vitis: g++ -std=c++14 -Iinclude <k>/<k>_top.cpp <k>/<k>_tb.cpp && ./a.out\n\n";
  for (const auto& k : kernels) {
    mkdirs(out + "/" + k.name);
    const std::string base = out + "/" + k.name + "/" + k.name;
    // The tops and testbenches are the checked-in files, unchanged; only design.h and golden.h are written.
    write_file_atomic(base + "_top.cpp", kernel_source(k.name + "/" + k.name + "_top.cpp"));
    write_file_atomic(base + "_tb.cpp", kernel_source(k.name + "/" + k.name + "_golden_tb.cpp"));
    write_file_atomic(out + "/" + k.name + "/golden.h", k.golden);
    write_file_atomic(out + "/" + k.name + "/run_hls.tcl", tcl(k, d));
    write_file_atomic(out + "/" + k.name + "/hls_config.cfg", cfg_file(k, d));
    names.push_back(k.name);
    readme << "- `" << k.name << "/`: " << k.where << "\n";
  }
  write_file_atomic(out + "/README.md", readme.str());
  return names;
}

}  // namespace prunesim::sim
