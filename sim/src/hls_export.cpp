#include "prunesim/sim/hls_export.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "prunesim/sim/hls_sources.h"
#include "prunesim/sim/report.h"
#include "prunesim/workloads/error.h"
#include "prunesim/workloads/rng.h"

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
  int R, C, max_m, max_k, max_n, bh = 0, bw = 0, max_blocks = 0, topk_n = 0, comparators, d_model, number;
  std::string part;
  double period_ns;
};

Design derive(const RunConfig& cfg, const workloads::Trace& t) {
  Design d;
  d.R = int(cfg.hw.pe.rows), d.C = int(cfg.hw.pe.cols);
  d.part = cfg.hw.device.part;
  d.period_ns = 1000.0 / cfg.hw.clock.mhz;
  d.comparators = int(cfg.hw.tpu.comparators);
  d.max_m = d.max_k = d.max_n = 1;
  d.d_model = 1;
  int bits = 32;
  for (const auto& [name, m] : t.matrices) {
    d.max_k = std::max(d.max_k, int(m.cols));
    d.max_n = std::max(d.max_n, int(m.rows));
    bits = std::min(bits, m.wbits);
    if (m.mask.has_bitmap && !d.bh) d.bh = int(m.mask.block_rows), d.bw = int(m.mask.block_cols);
  }
  for (const auto& op : t.ops) {
    if (op.kind == workloads::OpKind::Gemm) d.max_m = std::max<int>(d.max_m, int(op.m));
    if (op.kind == workloads::OpKind::LayerNorm) d.d_model = std::max<int>(d.d_model, int(op.cols));
    if (op.kind == workloads::OpKind::TokenPrune)
      for (auto n : op.tokens_in) d.topk_n = std::max<int>(d.topk_n, int(n) - 1);
  }
  if (d.bh) d.max_blocks = (d.max_n / d.bh + 1) * (d.max_k / d.bw + 1);
  int p2 = 1;
  while (p2 < d.topk_n) p2 <<= 1;
  d.topk_n = d.topk_n ? p2 : 0;
  d.number = bits <= 8 ? 1 : 0;  // int8 operands with int32 accumulation, else float
  return d;
}

std::string design_header(const Design& d) {
  std::ostringstream os;
  os << "// Design constants written by prunesim hls export: the configured PE array, shapes and precision.\n"
     << "#pragma once\n#define PRUNESIM_HLS_NUMBER " << d.number << "\n#include \"prunesim/hls/types.h\"\n\n"
     << "struct DesignGemm {\n"
     << "  static const int max_m = " << d.max_m << ", max_k = " << d.max_k << ", max_n = " << d.max_n
     << ";\n"
     << "  static const int R = " << d.R << ", Cc = " << d.C << ";  // PE array rows x columns\n";
  if (d.bh)
    os << "  static const int BH = " << d.bh << ", BW = " << d.bw << ", max_blocks = " << d.max_blocks
       << ";  // pruning blocks\n";
  os << "  using in_t = prunesim::hls::data_t;\n  using w_t = prunesim::hls::data_t;\n"
     << "  using acc_t = prunesim::hls::acc_t;\n};\n\n"
     << "static const int kDModel = " << d.d_model << ";\n"
     << "static const int kSoftmaxCols = " << std::max(d.topk_n, d.max_m) << ";\n";
  if (d.topk_n)
    os << "static const int kTopkN = " << d.topk_n << ";  // token scores, padded to a power of two\n"
       << "static const int kComparators = " << d.comparators << ";\n";
  return os.str();
}

// Golden data: seeded inputs and the expected outputs, as C arrays.
template <class T>
std::string array(const std::string& name, const std::vector<T>& v) {
  std::ostringstream os;
  os << "static const "
     << (std::is_same<T, float>::value ? "float"
         : std::is_same<T, int>::value ? "int"
                                       : "long long")
     << " " << name << "[" << v.size() << "] = {";
  for (size_t i = 0; i < v.size(); ++i) {
    std::ostringstream e;
    e << std::setprecision(9) << v[i];
    std::string lit = e.str();
    // A float literal needs a point or an exponent before its suffix ("24" -> "24.0f").
    if (std::is_same<T, float>::value) lit += (lit.find_first_of(".eEn") == std::string::npos ? ".0f" : "f");
    os << (i % 12 ? " " : "\n  ") << lit << ",";
  }
  os << "\n};\n";
  return os.str();
}

struct Kernel {
  std::string name, top, top_src, tb_src, golden;
};

Kernel gemm_kernel(const Design& d, bool sparse) {
  workloads::Rng rng(sparse ? 2 : 1);
  const int m = std::min(d.max_m, 13), k = std::min(d.max_k, d.bw ? 4 * d.bw + 3 : 70),
            n = std::min(d.max_n, d.bh ? 3 * d.bh + 1 : 37);
  const bool ints = d.number == 1;
  auto value = [&]() -> float {
    return ints ? float(int(rng.below(256)) - 128) : float(rng.uniform01() * 2 - 1);
  };
  std::vector<float> x(size_t(m) * k), w(size_t(n) * k, 0.0f);
  for (auto& v : x) v = value();
  std::vector<int> keep;
  if (sparse) {
    for (int b = 0; b < (n + d.bh - 1) / d.bh; ++b)
      for (int c = 0; c < (k + d.bw - 1) / d.bw; ++c) keep.push_back(int(rng.below(2)));
  }
  const int bcols = sparse ? (k + d.bw - 1) / d.bw : 0;
  for (int o = 0; o < n; ++o)
    for (int i = 0; i < k; ++i) {
      const bool kept = !sparse || keep[size_t((o / d.bh) * bcols + i / d.bw)];
      const float v = value();
      w[size_t(o) * k + i] = kept ? v : 0.0f;
    }
  std::vector<float> yf;
  std::vector<long long> yi;
  for (int i = 0; i < m; ++i)
    for (int o = 0; o < n; ++o) {
      double s = 0;
      long long si = 0;
      for (int c = 0; c < k; ++c)
        s += double(x[size_t(i) * k + c]) * w[size_t(o) * k + c],
            si += (long long)x[size_t(i) * k + c] * (long long)w[size_t(o) * k + c];
      yf.push_back(float(s));
      yi.push_back(si);
    }
  Kernel kn;
  kn.name = sparse ? "gemm_sparse" : "gemm_dense";
  kn.top = kn.name + "_top";
  std::ostringstream g;
  g << "// Golden vectors: " << m << " x " << k << " by " << k << " x " << n
    << (sparse ? ", block-sparse" : "") << ".\n#pragma once\n"
    << "static const int kM = " << m << ", kK = " << k << ", kN = " << n << ";\n"
    << array("kX", x) << array("kW", w) << (ints ? array("kY", yi) : array("kY", yf));
  if (sparse) g << array("kKeep", keep);
  kn.golden = g.str();
  if (!sparse) {
    kn.top_src =
        "// Synthesis top for the configured design (prunesim hls export).\n#include \"../design.h\"\n"
        "#include \"prunesim/hls/gemm.h\"\n\nvoid gemm_dense_top(const DesignGemm::in_t "
        "x[DesignGemm::max_m][DesignGemm::max_k],\n"
        "                    const DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k],\n"
        "                    DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int n) "
        "{\n"
        "#pragma HLS INTERFACE mode = m_axi port = x offset = slave bundle = gmem0\n"
        "#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem1\n"
        "#pragma HLS INTERFACE mode = m_axi port = y offset = slave bundle = gmem2\n"
        "#pragma HLS INTERFACE mode = s_axilite port = return\n"
        "  prunesim::hls::gemm_dense_tile<DesignGemm>(x, w, y, m, k, n);\n}\n";
    kn.tb_src =
        "// C-simulation testbench with golden vectors (prunesim hls export). Returns 0 on pass.\n#include "
        "<cmath>\n#include <cstdio>\n\n"
        "#include \"../design.h\"\n#include \"golden.h\"\n\n"
        "void gemm_dense_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],\n"
        "                    const DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k],\n"
        "                    DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int "
        "n);\n\n"
        "static DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k];\n"
        "static DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k];\n"
        "static DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n];\n\n"
        "int main() {\n"
        "  for (int i = 0; i < kM; ++i)\n    for (int c = 0; c < kK; ++c) x[i][c] = DesignGemm::in_t(kX[i * "
        "kK + c]);\n"
        "  for (int o = 0; o < kN; ++o)\n    for (int c = 0; c < kK; ++c) w[o][c] = DesignGemm::w_t(kW[o * "
        "kK + c]);\n"
        "  gemm_dense_top(x, w, y, kM, kK, kN);\n  int errors = 0;\n"
        "  for (int i = 0; i < kM; ++i)\n    for (int o = 0; o < kN; ++o) {\n"
        "      const double want = double(kY[i * kN + o]), got = double(y[i][o]);\n"
        "      errors += std::fabs(got - want) > 1e-4 * (1.0 + std::fabs(want));\n    }\n"
        "  std::printf(\"gemm_dense: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n  "
        "return errors ? 1 : 0;\n}\n";
  } else {
    kn.top_src =
        "// Synthesis top for the configured design (prunesim hls export).\n#include \"../design.h\"\n"
        "#include \"prunesim/hls/gemm.h\"\n\nvoid gemm_sparse_top(const DesignGemm::in_t "
        "x[DesignGemm::max_m][DesignGemm::max_k],\n"
        "                     const prunesim::hls::BlockSparse<DesignGemm>& w,\n"
        "                     DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int "
        "n) {\n"
        "#pragma HLS INTERFACE mode = s_axilite port = return\n"
        "  prunesim::hls::gemm_block_sparse_tile<DesignGemm>(x, w, y, m, k, n);\n}\n";
    kn.tb_src =
        "// C-simulation testbench with golden vectors (prunesim hls export). Returns 0 on pass.\n#include "
        "<cmath>\n#include <cstdio>\n\n"
        "#include \"../design.h\"\n#include \"golden.h\"\n#include \"prunesim/hls/gemm.h\"\n\n"
        "void gemm_sparse_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],\n"
        "                     const prunesim::hls::BlockSparse<DesignGemm>& w,\n"
        "                     DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, int "
        "n);\n\n"
        "static DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k];\n"
        "static DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n];\n"
        "static prunesim::hls::BlockSparse<DesignGemm> w;\n\n"
        "int main() {\n  const int BH = DesignGemm::BH, BW = DesignGemm::BW;\n"
        "  for (int i = 0; i < kM; ++i)\n    for (int c = 0; c < kK; ++c) x[i][c] = DesignGemm::in_t(kX[i * "
        "kK + c]);\n"
        "  const int brows = (kN + BH - 1) / BH, bcols = (kK + BW - 1) / BW;\n  int s = 0;\n  w.block_rows = "
        "brows;\n"
        "  for (int b = 0; b < brows; ++b) {\n    w.row_ptr[b] = s;\n    for (int c = 0; c < bcols; ++c) {\n"
        "      if (!kKeep[b * bcols + c]) continue;\n      for (int r = 0; r < BH; ++r)\n        for (int cc "
        "= 0; cc < BW; ++cc) {\n"
        "          const int o = b * BH + r, i = c * BW + cc;\n"
        "          w.val[s][r][cc] = DesignGemm::w_t(o < kN && i < kK ? kW[o * kK + i] : 0.0f);\n        }\n"
        "      w.col[s++] = c;\n    }\n  }\n  w.row_ptr[brows] = s;\n"
        "  gemm_sparse_top(x, w, y, kM, kK, kN);\n  int errors = 0;\n"
        "  for (int i = 0; i < kM; ++i)\n    for (int o = 0; o < kN; ++o) {\n"
        "      const double want = double(kY[i * kN + o]), got = double(y[i][o]);\n"
        "      errors += std::fabs(got - want) > 1e-4 * (1.0 + std::fabs(want));\n    }\n"
        "  std::printf(\"gemm_sparse: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n  "
        "return errors ? 1 : 0;\n}\n";
  }
  return kn;
}

Kernel softmax_kernel(const Design& d) {
  workloads::Rng rng(3);
  const int cols = std::min(d.max_m, 197);
  std::vector<float> in(static_cast<size_t>(cols)), out;
  double mx = -1e300, sum = 0;
  for (auto& v : in) v = float(rng.uniform01() * 16 - 8), mx = std::max(mx, double(v));
  for (float v : in) sum += std::exp(double(v) - mx);
  for (float v : in) out.push_back(float(std::exp(double(v) - mx) / sum));
  Kernel kn{"softmax", "softmax_top", "", "", ""};
  kn.golden = "#pragma once\nstatic const int kCols = " + std::to_string(cols) + ";\n" + array("kIn", in) +
              array("kOut", out);
  kn.top_src =
      "// Synthesis top for the configured design (prunesim hls export).\n#include \"../design.h\"\n"
      "#include \"prunesim/hls/nonlinear.h\"\n\nvoid softmax_top(const float in[kSoftmaxCols], float "
      "out[kSoftmaxCols], int cols) {\n"
      "#pragma HLS INTERFACE mode = s_axilite port = return\n  prunesim::hls::softmax_row<kSoftmaxCols>(in, "
      "out, cols);\n}\n";
  kn.tb_src =
      "// C-simulation testbench with golden vectors (prunesim hls export). Returns 0 on pass.\n#include "
      "<cmath>\n#include <cstdio>\n\n"
      "#include \"../design.h\"\n#include \"golden.h\"\n\nvoid softmax_top(const float in[kSoftmaxCols], "
      "float out[kSoftmaxCols], int cols);\n\n"
      "int main() {\n  static float in[kSoftmaxCols], out[kSoftmaxCols];\n  for (int j = 0; j < kCols; ++j) "
      "in[j] = kIn[j];\n"
      "  softmax_top(in, out, kCols);\n  int errors = 0;\n"
      "  for (int j = 0; j < kCols; ++j) errors += std::fabs(out[j] - kOut[j]) > 1e-6f + 1e-5f * kOut[j];\n"
      "  std::printf(\"softmax: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n  return "
      "errors ? 1 : 0;\n}\n";
  return kn;
}

Kernel topk_kernel(const Design& d) {
  workloads::Rng rng(4);
  const int n = d.topk_n / 2 + 3 <= d.topk_n ? d.topk_n * 3 / 4 + 1 : d.topk_n, k = std::max(1, n * 7 / 10);
  std::vector<float> s(static_cast<size_t>(n));
  for (auto& v : s) v = float(rng.below(32));  // ties, as attention scores quantize
  std::vector<int> idx(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) idx[size_t(i)] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return s[size_t(a)] > s[size_t(b)]; });
  std::vector<int> kept(idx.begin(), idx.begin() + k);
  std::sort(kept.begin(), kept.end());
  Kernel kn{"topk", "topk_top", "", "", ""};
  kn.golden = "#pragma once\nstatic const int kN = " + std::to_string(n) + ", kK = " + std::to_string(k) +
              ";\n" + array("kScores", s) + array("kKept", kept);
  kn.top_src =
      "// Synthesis top for the configured design (prunesim hls export): top-k with kComparators parallel\n"
      "// compare-exchanges per cycle (the token-pruning unit's P).\n#include \"../design.h\"\n#include "
      "\"prunesim/hls/topk.h\"\n\n"
      "void topk_top(const float score[kTopkN], int n, int k, int out[kTopkN]) {\n"
      "#pragma HLS INTERFACE mode = s_axilite port = return\n"
      "#pragma HLS ARRAY_PARTITION variable = score cyclic factor = kComparators\n"
      "  prunesim::hls::topk_bitonic<kTopkN>(score, n, k, out);\n}\n";
  kn.tb_src =
      "// C-simulation testbench with golden vectors (prunesim hls export). Returns 0 on pass.\n#include "
      "<cstdio>\n\n"
      "#include \"../design.h\"\n#include \"golden.h\"\n\nvoid topk_top(const float score[kTopkN], int n, "
      "int k, int out[kTopkN]);\n\n"
      "int main() {\n  static float s[kTopkN];\n  static int out[kTopkN];\n  for (int i = 0; i < kN; ++i) "
      "s[i] = kScores[i];\n"
      "  topk_top(s, kN, kK, out);\n  int errors = 0;\n  for (int i = 0; i < kK; ++i) errors += out[i] != "
      "kKept[i];\n"
      "  std::printf(\"topk: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n  return "
      "errors ? 1 : 0;\n}\n";
  return kn;
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
  const Design d = derive(cfg, trace);
  mkdirs(out + "/include/prunesim/hls");
  for (const auto& f : kHlsHeaders) write_file_atomic(out + "/include/prunesim/hls/" + f.name, f.text);
  write_file_atomic(out + "/design.h", design_header(d));
  std::vector<Kernel> kernels = {gemm_kernel(d, false), softmax_kernel(d)};
  if (d.bh) kernels.push_back(gemm_kernel(d, true));
  if (d.topk_n) kernels.push_back(topk_kernel(d));
  std::vector<std::string> names;
  std::ostringstream readme;
  readme << "# HLS project exported by prunesim\n\nDesign: " << d.part << " at " << cfg.hw.clock.mhz
         << " MHz, PE array " << d.R << " x " << d.C << ", "
         << (d.number == 1 ? "int8 operands with int32 accumulation" : "float") << ", shapes up to "
         << d.max_m << " x " << d.max_k << " x " << d.max_n << ".\n\n"
         << "Each folder is one kernel: `<k>_top.cpp` (synthesis top), `<k>_tb.cpp` (C simulation with "
            "golden vectors,\n"
         << "returns 0 on pass), `run_hls.tcl` (vitis_hls -f run_hls.tcl) and `hls_config.cfg` (v++ --mode "
            "hls).\n"
         << "Without Vitis: g++ -std=c++14 -Iinclude <k>/<k>_top.cpp <k>/<k>_tb.cpp && ./a.out\n\n";
  for (const auto& k : kernels) {
    mkdirs(out + "/" + k.name);
    const std::string base = out + "/" + k.name + "/" + k.name;
    write_file_atomic(base + "_top.cpp", k.top_src);
    write_file_atomic(base + "_tb.cpp", k.tb_src);
    write_file_atomic(out + "/" + k.name + "/golden.h", k.golden);
    write_file_atomic(out + "/" + k.name + "/run_hls.tcl", tcl(k, d));
    write_file_atomic(out + "/" + k.name + "/hls_config.cfg", cfg_file(k, d));
    names.push_back(k.name);
    readme << "- `" << k.name << "/`\n";
  }
  write_file_atomic(out + "/README.md", readme.str());
  return names;
}

}  // namespace prunesim::sim
