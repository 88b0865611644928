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
    if (op.kind == workloads::OpKind::LayerNorm) d.d_model = std::max<int>(d.d_model, int(op.cols));
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
  int p2 = 1;
  while (p2 < d.topk_n) p2 <<= 1;
  d.topk_n = d.topk_n ? p2 : 0;
  d.number = ints ? 1 : 0;  // int8 operands with int32 accumulation, else float
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
     << "static const int kSoftmaxCols = " << d.softmax_cols << ";\n";
  if (d.topk_n)
    os << "static const int kTopkN = " << d.topk_n << ";  // token scores, padded to a power of two\n"
       << "static const int kComparators = " << d.comparators << ";\n";
  if (d.gru_hidden) os << "static const int kGruHidden = " << d.gru_hidden << ";\n";
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

// Replaces each @KEY@ in `text`.
std::string fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string mark = "@" + key + "@";
    for (size_t at = text.find(mark); at != std::string::npos; at = text.find(mark, at + value.size()))
      text.replace(at, mark.size(), value);
  }
  return text;
}

struct Kernel {
  std::string name, top, top_src, tb_src, golden;
};

std::string golden_header(const KernelCall& c, const std::string& what) {
  return "// Golden vectors from prunesim's functional run: " + what + ", " + c.where +
         ".\n// The kernel's operands and exact results on the simulated data.\n#pragma once\n";
}

const char* kTbHead =
    "// C-simulation testbench with golden vectors from the simulator's functional run (prunesim hls\n"
    "// export). Returns 0 on pass.\n#include <cmath>\n#include <cstdint>\n#include <cstdio>\n\n"
    "#include \"../design.h\"\n#include \"golden.h\"\n";
const char* kTopHead =
    "// Synthesis top for the configured design (prunesim hls export).\n#include <cstdint>\n\n"
    "#include \"../design.h\"\n";
// Integer results must match exactly; float ones to float rounding.
const char* kCompare = "std::fabs(got - want) > (@EXACT@ ? 0.0 : 1e-4 * (1.0 + std::fabs(want)))";

Kernel gemm_kernel(const Design& d, const KernelCall& c, bool sparse) {
  // Trimmed to the first outputs of the captured tile (whole block rows): each output depends only on its
  // own weight row, so the trimmed golden values stay exact.
  const int m = int(c.scalars.at("m")), k = int(c.scalars.at("k")), n_all = int(c.scalars.at("n"));
  const int n = sparse ? std::min(n_all, 2 * d.bh) : std::min(n_all, 32);
  std::vector<double> w, y, keep;
  for (int o = 0; o < n; ++o)
    for (int i = 0; i < k; ++i) w.push_back(c.arrays.at("w")[size_t(o) * k + i]);
  for (int r = 0; r < m; ++r)
    for (int o = 0; o < n; ++o) y.push_back(c.arrays.at("y")[size_t(r) * n_all + o]);
  const bool ints = d.number == 1;
  const std::string data = ints ? "int" : "float", acc = ints ? "long long" : "float";
  Kernel kn;
  kn.name = sparse ? "gemm_sparse" : "gemm_dense";
  kn.top = kn.name + "_top";
  std::ostringstream g;
  g << golden_header(c, std::to_string(m) + " x " + std::to_string(k) + " by " + std::to_string(k) + " x " +
                            std::to_string(n) + (sparse ? ", block-sparse" : ""))
    << "static const int kM = " << m << ", kK = " << k << ", kN = " << n << ";\n"
    << array(data, "kX", c.arrays.at("x")) << array(data, "kW", w) << array(acc, "kY", y);
  if (sparse) {
    const size_t bcols = size_t(k + d.bw - 1) / size_t(d.bw), brows = size_t(n + d.bh - 1) / size_t(d.bh);
    keep.assign(c.arrays.at("keep").begin(), c.arrays.at("keep").begin() + long(brows * bcols));
    g << array("int", "kKeep", keep);
  }
  kn.golden = g.str();
  const std::string signature =
      sparse ? "void gemm_sparse_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],\n"
               "                     const prunesim::hls::BlockSparse<DesignGemm>& w,\n"
               "                     DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int "
               "k, int n)"
             : "void gemm_dense_top(const DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k],\n"
               "                    const DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k],\n"
               "                    DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n], int m, int k, "
               "int n)";
  kn.top_src = std::string(kTopHead) + "#include \"prunesim/hls/gemm.h\"\n\n" + signature + " {\n" +
               (sparse ? ""
                       : "#pragma HLS INTERFACE mode = m_axi port = x offset = slave bundle = gmem0\n"
                         "#pragma HLS INTERFACE mode = m_axi port = w offset = slave bundle = gmem1\n"
                         "#pragma HLS INTERFACE mode = m_axi port = y offset = slave bundle = gmem2\n") +
               "#pragma HLS INTERFACE mode = s_axilite port = return\n" +
               (sparse ? "  prunesim::hls::gemm_block_sparse_tile<DesignGemm>(x, w, y, m, k, n);\n}\n"
                       : "  prunesim::hls::gemm_dense_tile<DesignGemm>(x, w, y, m, k, n);\n}\n");
  const std::string load_w =
      sparse
          ? "  const int BH = DesignGemm::BH, BW = DesignGemm::BW;\n"
            "  const int brows = (kN + BH - 1) / BH, bcols = (kK + BW - 1) / BW;\n  int s = 0;\n"
            "  w.block_rows = brows;\n"
            "  for (int b = 0; b < brows; ++b) {\n    w.row_ptr[b] = s;\n    for (int c = 0; c < bcols; ++c) "
            "{\n"
            "      if (!kKeep[b * bcols + c]) continue;\n      for (int r = 0; r < BH; ++r)\n"
            "        for (int cc = 0; cc < BW; ++cc) {\n          const int o = b * BH + r, i = c * BW + "
            "cc;\n"
            "          w.val[s][r][cc] = DesignGemm::w_t(o < kN && i < kK ? kW[o * kK + i] : 0);\n        }\n"
            "      w.col[s++] = c;\n    }\n  }\n  w.row_ptr[brows] = s;\n"
          : "  for (int o = 0; o < kN; ++o)\n    for (int c = 0; c < kK; ++c) w[o][c] = DesignGemm::w_t(kW[o "
            "* kK + c]);\n";
  kn.tb_src =
      fill(std::string(kTbHead) + (sparse ? "#include \"prunesim/hls/gemm.h\"\n" : "") + "\n" + signature +
               ";\n\nstatic DesignGemm::in_t x[DesignGemm::max_m][DesignGemm::max_k];\n" +
               (sparse ? "static prunesim::hls::BlockSparse<DesignGemm> w;\n"
                       : "static DesignGemm::w_t w[DesignGemm::max_n][DesignGemm::max_k];\n") +
               "static DesignGemm::acc_t y[DesignGemm::max_m][DesignGemm::max_n];\n\nint main() {\n"
               "  for (int i = 0; i < kM; ++i)\n"
               "    for (int c = 0; c < kK; ++c) x[i][c] = DesignGemm::in_t(kX[i * kK + c]);\n" +
               load_w + "  @K@_top(x, w, y, kM, kK, kN);\n  int errors = 0;\n" +
               "  for (int i = 0; i < kM; ++i)\n    for (int o = 0; o < kN; ++o) {\n"
               "      const double want = double(kY[i * kN + o]), got = double(y[i][o]);\n"
               "      errors += " +
               kCompare +
               ";\n    }\n"
               "  std::printf(\"@K@: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n"
               "  return errors ? 1 : 0;\n}\n",
           {{"K", kn.name}, {"EXACT", ints ? "true" : "false"}});
  return kn;
}

Kernel softmax_kernel(const Design& d, const KernelCall& c) {
  const bool ints = d.number == 1;
  // Probabilities as the design keeps them: int8 at 1/127, or int16 at 1/32767 (a 16-bit softmax).
  const bool wide = ints && c.scalars.at("prob_one") != 127;
  const std::string out_t = !ints ? "float" : wide ? "int16_t" : "int8_t";
  Kernel kn{"softmax", "softmax_top", "", "", ""};
  kn.golden = golden_header(c, "one row") +
              "static const int kCols = " + std::to_string(c.scalars.at("cols")) + ";\n" +
              array(ints ? "int" : "float", "kIn", c.arrays.at("in")) +
              array(ints ? "int" : "float", "kOut", c.arrays.at("out"));
  if (ints)
    kn.golden += "static const int kMult = " + std::to_string(c.scalars.at("mult")) +
                 ", kShift = " + std::to_string(c.scalars.at("shift")) + ";\n" +
                 array("unsigned short", "kTable", c.arrays.at("table"));
  const std::string signature =
      ints ? "void softmax_top(const int32_t in[kSoftmaxCols], " + out_t +
                 " out[kSoftmaxCols], int cols, int mult, "
                 "int shift,\n                 const uint16_t table[prunesim::hls::kExpTable])"
           : "void softmax_top(const float in[kSoftmaxCols], float out[kSoftmaxCols], int cols)";
  kn.top_src =
      std::string(kTopHead) +
      (ints ? "#include \"prunesim/hls/nonlinear_int.h\"\n\n" : "#include \"prunesim/hls/nonlinear.h\"\n\n") +
      signature + " {\n#pragma HLS INTERFACE mode = s_axilite port = return\n" +
      (ints ? "  prunesim::hls::FixedMul to_index;\n  to_index.mult = mult;\n  to_index.shift = shift;\n"
              "  prunesim::hls::softmax_row_int<kSoftmaxCols" +
                  std::string(wide ? ", int16_t, prunesim::hls::kProbOne16" : "") +
                  ">(in, out, cols, to_index, table);\n}\n"
            : "  prunesim::hls::softmax_row<kSoftmaxCols>(in, out, cols);\n}\n");
  kn.tb_src = fill(
      std::string(kTbHead) + (ints ? "#include \"prunesim/hls/nonlinear_int.h\"\n" : "") + "\n" + signature +
          ";\n\nint main() {\n  static @T@ in[kSoftmaxCols];\n  static @O@ out[kSoftmaxCols];\n" +
          "  for (int j = 0; j < kCols; ++j) in[j] = @T@(kIn[j]);\n" +
          (ints ? "  static uint16_t table[prunesim::hls::kExpTable];\n"
                  "  for (int j = 0; j < prunesim::hls::kExpTable; ++j) table[j] = kTable[j];\n"
                  "  softmax_top(in, out, kCols, kMult, kShift, table);\n"
                : "  softmax_top(in, out, kCols);\n") +
          "  int errors = 0;\n  for (int j = 0; j < kCols; ++j) {\n"
          "    const double want = double(kOut[j]), got = double(out[j]);\n"
          "    errors += " +
          (ints ? std::string("got != want") : "std::fabs(got - want) > 1e-6 + 1e-5 * want") +
          ";\n  }\n  std::printf(\"softmax: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n"
          "  return errors ? 1 : 0;\n}\n",
      {{"T", ints ? "int32_t" : "float"}, {"O", out_t}});
  return kn;
}

Kernel layernorm_kernel(const Design& d, const KernelCall& c) {
  const bool ints = d.number == 1;
  Kernel kn{"layernorm", "layernorm_top", "", "", ""};
  const std::string data = ints ? "int" : "float";
  kn.golden = golden_header(c, "one row") +
              "static const int kCols = " + std::to_string(c.scalars.at("cols")) + ";\n" +
              array(data, "kIn", c.arrays.at("in")) + array(data, "kGamma", c.arrays.at("gamma")) +
              array(data, "kBeta", c.arrays.at("beta")) + array(data, "kOut", c.arrays.at("out")) +
              array(ints ? "long long" : "float", "kEps", c.arrays.at("eps"));
  const std::string signature =
      ints ? "void layernorm_top(const int8_t in[kDModel], const int32_t gamma[kDModel], const int32_t "
             "beta[kDModel],\n                   int8_t out[kDModel], int cols, long long eps)"
           : "void layernorm_top(const float in[kDModel], const float gamma[kDModel], const float "
             "beta[kDModel],\n"
             "                   float out[kDModel], int cols, float eps)";
  kn.top_src =
      std::string(kTopHead) +
      (ints ? "#include \"prunesim/hls/nonlinear_int.h\"\n\n" : "#include \"prunesim/hls/nonlinear.h\"\n\n") +
      signature + " {\n#pragma HLS INTERFACE mode = s_axilite port = return\n" +
      (ints ? "  prunesim::hls::layernorm_row_int<kDModel>(in, gamma, beta, out, cols, eps);\n}\n"
            : "  prunesim::hls::layernorm_row<kDModel>(in, gamma, beta, out, cols, eps);\n}\n");
  kn.tb_src = fill(
      std::string(kTbHead) + "\n" + signature +
          ";\n\nint main() {\n  static @T@ in[kDModel], out[kDModel];\n  static @P@ g[kDModel], b[kDModel];\n"
          "  for (int j = 0; j < kCols; ++j) in[j] = @T@(kIn[j]), g[j] = @P@(kGamma[j]), b[j] = "
          "@P@(kBeta[j]);\n"
          "  layernorm_top(in, g, b, out, kCols, kEps[0]);\n  int errors = 0;\n"
          "  for (int j = 0; j < kCols; ++j) {\n"
          "    const double want = double(kOut[j]), got = double(out[j]);\n    errors += " +
          (ints ? std::string("got != want") : "std::fabs(got - want) > 1e-4 * (1.0 + std::fabs(want))") +
          ";\n  }\n  std::printf(\"layernorm: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", "
          "errors);\n"
          "  return errors ? 1 : 0;\n}\n",
      {{"T", ints ? "int8_t" : "float"}, {"P", ints ? "int32_t" : "float"}});
  return kn;
}

Kernel topk_kernel(const KernelCall& c) {
  Kernel kn{"topk", "topk_top", "", "", ""};
  kn.golden = golden_header(c, "class-token scores") +
              "static const int kN = " + std::to_string(c.scalars.at("n")) +
              ", kK = " + std::to_string(c.scalars.at("k")) + ";\n" +
              array("float", "kScores", c.arrays.at("scores")) + array("int", "kKept", c.arrays.at("kept"));
  kn.top_src =
      "// Synthesis top for the configured design (prunesim hls export): top-k with kComparators parallel\n"
      "// compare-exchanges per cycle (the token-pruning unit's P).\n#include \"../design.h\"\n#include "
      "\"prunesim/hls/topk.h\"\n\n"
      "void topk_top(const float score[kTopkN], int n, int k, int out[kTopkN]) {\n"
      "#pragma HLS INTERFACE mode = s_axilite port = return\n"
      "#pragma HLS ARRAY_PARTITION variable = score cyclic factor = kComparators\n"
      "  prunesim::hls::topk_bitonic<kTopkN>(score, n, k, out);\n}\n";
  kn.tb_src = std::string(kTbHead) +
              "\nvoid topk_top(const float score[kTopkN], int n, int k, int out[kTopkN]);\n\n"
              "int main() {\n  static float s[kTopkN];\n  static int out[kTopkN];\n"
              "  for (int i = 0; i < kN; ++i) s[i] = kScores[i];\n"
              "  topk_top(s, kN, kK, out);\n  int errors = 0;\n  for (int i = 0; i < kK; ++i) errors += "
              "out[i] != kKept[i];\n"
              "  std::printf(\"topk: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", errors);\n"
              "  return errors ? 1 : 0;\n}\n";
  return kn;
}

Kernel gru_cell_kernel(const Design& d, const KernelCall& c) {
  const bool ints = d.number == 1;
  const std::string data = ints ? "int" : "float", t = ints ? "int8_t" : "float";
  const std::string hidden = std::to_string(c.scalars.at("hidden"));
  Kernel kn{"gru_cell", "gru_cell_top", "", "", ""};
  kn.golden = golden_header(c, "one element-wise step of sample 0") + "static const int kHidden = " + hidden +
              ";\n" + array(data, "kGi", c.arrays.at("gi")) + array(data, "kGh", c.arrays.at("gh")) +
              array(data, "kH", c.arrays.at("h")) + array(data, "kHOut", c.arrays.at("h_out"));
  if (ints)
    kn.golden += array("int", "kFactors", c.arrays.at("factors")) +
                 array("int", "kSigmoidR", c.arrays.at("sigmoid_r")) +
                 array("int", "kSigmoidZ", c.arrays.at("sigmoid_z")) +
                 array("int", "kTanhN", c.arrays.at("tanh_n"));
  const std::string signature =
      ints ? "void gru_cell_top(const int8_t gi[3 * kGruHidden], const int8_t gh[3 * kGruHidden], const "
             "int8_t "
             "h[kGruHidden],\n                  int8_t h_out[kGruHidden], int hidden, const int32_t "
             "factors[6], "
             "const int8_t sigmoid_r[256],\n                  const int8_t sigmoid_z[256], const int8_t "
             "tanh_n[256])"
           : "void gru_cell_top(const float gi[3 * kGruHidden], const float gh[3 * kGruHidden], const float "
             "h[kGruHidden],\n                  float h_out[kGruHidden], int hidden)";
  kn.top_src =
      std::string(kTopHead) +
      (ints ? "#include \"prunesim/hls/gru_cell_int.h\"\n\n" : "#include \"prunesim/hls/gru_cell.h\"\n\n") +
      "// One GRU step's element-wise part: gates, candidate and update from the gate pre-activations.\n" +
      signature + " {\n#pragma HLS INTERFACE mode = s_axilite port = return\n" +
      (ints ? "  const prunesim::hls::GruIntParams p = {factors[0], factors[1], factors[2], factors[3],\n"
              "                                         factors[4], factors[5], sigmoid_r, sigmoid_z, "
              "tanh_n};\n"
              "  int8_t r[kGruHidden], z[kGruHidden], n[kGruHidden];\n"
              "  prunesim::hls::gru_gates_rz_int<kGruHidden>(gi, gh, r, z, hidden, p);\n"
              "  prunesim::hls::gru_candidate_int<kGruHidden>(gi, gh, r, n, hidden, p);\n"
              "  prunesim::hls::gru_update_int<kGruHidden>(z, n, h, h_out, hidden);\n}\n"
            : "  float r[kGruHidden], z[kGruHidden], n[kGruHidden];\n"
              "  prunesim::hls::gru_gates_rz<kGruHidden>(gi, gh, r, z, hidden);\n"
              "  prunesim::hls::gru_candidate<kGruHidden>(gi, gh, r, n, hidden);\n"
              "  prunesim::hls::gru_update<kGruHidden>(z, n, h, h_out, hidden);\n}\n");
  kn.tb_src = fill(
      std::string(kTbHead) + "\n" + signature +
          ";\n\nint main() {\n  static @T@ gi[3 * kGruHidden], gh[3 * kGruHidden], h[kGruHidden], "
          "out[kGruHidden];\n"
          "  for (int j = 0; j < 3 * kHidden; ++j) gi[j] = @T@(kGi[j]), gh[j] = @T@(kGh[j]);\n"
          "  for (int j = 0; j < kHidden; ++j) h[j] = @T@(kH[j]);\n" +
          (ints ? "  static int32_t f[6];\n  static int8_t sr[256], sz[256], tn[256];\n"
                  "  for (int j = 0; j < 6; ++j) f[j] = kFactors[j];\n"
                  "  for (int j = 0; j < 256; ++j) sr[j] = int8_t(kSigmoidR[j]), sz[j] = "
                  "int8_t(kSigmoidZ[j]), tn[j] = int8_t(kTanhN[j]);\n"
                  "  gru_cell_top(gi, gh, h, out, kHidden, f, sr, sz, tn);\n"
                : "  gru_cell_top(gi, gh, h, out, kHidden);\n") +
          "  int errors = 0;\n  for (int j = 0; j < kHidden; ++j) {\n"
          "    const double want = double(kHOut[j]), got = double(out[j]);\n    errors += " +
          (ints ? std::string("got != want") : "std::fabs(got - want) > 1e-5 * (1.0 + std::fabs(want))") +
          ";\n  }\n  std::printf(\"gru_cell: %s (%d mismatches)\\n\", errors ? \"FAIL\" : \"PASS\", "
          "errors);\n  return errors ? 1 : 0;\n}\n",
      {{"T", t}});
  return kn;
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
    if (calls.size() == 5) break;  // gemm_dense, gemm_sparse, softmax, layernorm, topk (transformers)
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
    write_file_atomic(base + "_top.cpp", k.top_src);
    write_file_atomic(base + "_tb.cpp", k.tb_src);
    write_file_atomic(out + "/" + k.name + "/golden.h", k.golden);
    write_file_atomic(out + "/" + k.name + "/run_hls.tcl", tcl(k, d));
    write_file_atomic(out + "/" + k.name + "/hls_config.cfg", cfg_file(k, d));
    names.push_back(k.name);
    readme << "- `" << k.name << "/`: " << calls.at(k.name).where << "\n";
  }
  write_file_atomic(out + "/README.md", readme.str());
  return names;
}

}  // namespace prunesim::sim
