// ONNX import: node classification, then the family's layer structure recovered from the dataflow.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "onnx_graph.h"
#include "prunesim/common/error.h"
#include "prunesim/workloads/onnx_model.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::workloads {

namespace {

using onnx_import::Constant;
using onnx_import::Graph;
using onnx_import::is_standard_domain;
using onnx_import::qualified_op;

// What a group of nodes computes, in the trace's terms.
enum class Kind {
  Linear,     // MatMul/Gemm by a constant weight (+ bias Add), or a patch-embedding Conv
  ActMatmul,  // MatMul of two activations (attention)
  Softmax,
  Norm,  // LayerNormalization or RMSNorm, one node or decomposed
  Gelu,  // Gelu, or its erf / tanh expansion
  Relu,
  Tanh,       // a lone Tanh (BERT's pooler)
  Residual,   // Add of two activations
  ConstAdd,   // Add of a constant tensor that is not a bias (position embeddings)
  Embedding,  // Gather from a constant table
  Gru,
  Folded,  // scale or mask applied in the softmax kernel
  Layout,  // moves or selects data: no compute
  Prep,    // computes on shapes, indices or masks only
  Unmapped,
};

const char* kind_label(Kind k) {
  switch (k) {
    case Kind::Linear: return "gemm";
    case Kind::ActMatmul: return "attention matmul";
    case Kind::Softmax: return "softmax";
    case Kind::Norm: return "norm";
    case Kind::Gelu: return "gelu";
    case Kind::Relu: return "relu";
    case Kind::Tanh: return "tanh";
    case Kind::Residual: return "residual add";
    case Kind::ConstAdd: return "embedding add";
    case Kind::Embedding: return "embedding lookup";
    case Kind::Gru: return "gru";
    case Kind::Folded: return "folded into softmax";
    case Kind::Layout: return "layout (no compute)";
    case Kind::Prep: return "shape/mask preparation (no compute)";
    case Kind::Unmapped: return "unmapped";
  }
  return "?";
}

struct Macro {
  Kind kind = Kind::Layout;
  size_t node = 0;            // the node whose output is the macro's result
  std::vector<size_t> nodes;  // every node it covers
  std::string in;             // its activation input
  std::string out;            // its result tensor
  // Linear: out x in weight and bias. Norm: gain and bias (beta empty for RMSNorm).
  RowMat w;
  Vec b;
  bool rms = false, gelu_tanh = false;
  float eps = 1e-5f;
};

Macro make_macro(Kind kind, size_t node, std::vector<size_t> nodes, std::string in, std::string out) {
  Macro m;
  m.kind = kind;
  m.node = node;
  m.nodes = std::move(nodes);
  m.in = std::move(in);
  m.out = std::move(out);
  return m;
}

const std::set<std::string> kLayoutOps = {"Reshape",  "Transpose",       "Squeeze", "Unsqueeze", "Flatten",
                                          "Identity", "Dropout",         "Cast",    "Split",     "Slice",
                                          "Concat",   "Expand",          "Gather",  "Tile",      "Shape",
                                          "Size",     "ConstantOfShape", "Range",   "Constant"};

// A node's operator as the patterns match it. A node of another domain is not the standard operator of the
// same name (fuzz_onnx: a one-input foreign "Add" after a MatMul was read as its two-input bias Add), except
// Gelu and FastGelu, which com.microsoft's exports use and which read one input.
std::string op_of(const onnx::NodeProto& n) {
  return n.op_type() == "Gelu" || n.op_type() == "FastGelu" ? n.op_type() : qualified_op(n);
}

bool near(double v, double want) {
  return std::abs(v - want) <= 1e-3 * std::max(1.0, std::abs(want));
}

class Importer {
 public:
  Importer(const std::string& path, const OnnxOptions& opt)
      : g_(path), opt_(opt), kind_(g_.size(), Kind::Prep) {}

  OnnxModel run();

 private:
  [[noreturn]] void fail(size_t node, const std::string& what) const {
    throw InputError(g_.path() + ": " + g_.where(node) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& what) const { throw InputError(g_.path() + ": " + what); }

  // The node's one activation input and, for binary ops, its other operand.
  std::vector<std::string> activation_inputs(size_t i) const {
    std::vector<std::string> v;
    for (const auto& in : g_.node(i).input())
      if (!in.empty() && g_.is_activation(in)) v.push_back(in);
    return v;
  }
  bool only_consumer_is(const std::string& t, const char* op, size_t* next) const {
    const auto& c = g_.consumers(t);
    if (c.size() != 1 || op_of(g_.node(c[0])) != op || claimed_.count(c[0])) return false;
    *next = c[0];
    return true;
  }
  const std::string& out(size_t i) const { return g_.node(i).output(0); }
  size_t add_macro(Macro m) {
    for (size_t n : m.nodes) {
      claimed_[n] = macros_.size();
      kind_[n] = m.kind;
    }
    macros_.push_back(std::move(m));
    return macros_.size() - 1;
  }
  RowMat weight_matrix(size_t node, const std::string& name, bool transpose) const;
  Vec vector_of(size_t node, const std::string& name, int64_t n, const char* what) const;

  void classify();
  bool match_linear(size_t i);
  bool match_conv(size_t i);
  bool match_norm(size_t i);
  bool match_gelu(size_t i);
  void build_transformer(OnnxModel& m);
  void build_gru(OnnxModel& m);
  void collect_unmapped(OnnxModel& m, const std::vector<std::pair<size_t, std::pair<int, OpRole>>>& anchors);
  std::string mapping() const;

  // Walks from a tensor through layout (and folded) nodes to the macro that produced it.
  std::optional<size_t> source_macro(std::string t, int* part = nullptr) const;
  // The macros that consume a tensor, through layout nodes.
  std::vector<size_t> sink_macros(const std::string& t) const;

  Graph g_;
  OnnxOptions opt_;
  std::vector<Kind> kind_;
  std::map<size_t, size_t> claimed_;  // node -> macro
  std::vector<Macro> macros_;
  std::vector<std::string> notes_;
  uint32_t positions_ = 0;  // rows of the position-embedding table (0: the graph has none)
};

RowMat Importer::weight_matrix(size_t node, const std::string& name, bool transpose) const {
  const Constant* c = g_.constant(name);
  if (!c || c->dims.size() != 2 || !c->floating())
    fail(node, "weight '" + name + "' is not a 2-D float constant");
  const std::vector<float> v = c->floats();
  RowMat m = Eigen::Map<const RowMat>(v.data(), c->dims[0], c->dims[1]);
  if (transpose) return m.transpose();
  return m;
}

Vec Importer::vector_of(size_t node, const std::string& name, int64_t n, const char* what) const {
  const Constant* c = g_.constant(name);
  if (!c || !c->floating() || int64_t(c->elements()) != n)
    fail(node, std::string(what) + " '" + name + "' should be a constant of " + std::to_string(n) +
                   " values" + (c ? ", it has " + std::to_string(c->elements()) : ""));
  const std::vector<float> v = c->floats();
  return Eigen::Map<const Vec>(v.data(), n);
}

bool Importer::match_linear(size_t i) {
  const onnx::NodeProto& n = g_.node(i);
  const bool gemm = op_of(n) == "Gemm";
  if (op_of(n) != "MatMul" && !gemm) return false;
  if (n.input_size() < 2 || !g_.is_activation(n.input(0)) || !g_.is_constant(n.input(1))) return false;
  if (gemm && g_.int_attr(i, "transA", 0)) fail(i, "Gemm with transA=1 is not a linear layer prunesim reads");
  Macro m = make_macro(Kind::Linear, i, {i}, n.input(0), out(i));
  const bool trans_b = gemm && g_.int_attr(i, "transB", 0);
  const Constant* wc = g_.constant(n.input(1));
  if (!wc || wc->dims.size() != 2) fail(i, "weight '" + n.input(1) + "' is not a 2-D matrix");
  // MatMul and Gemm without transB hold the weight in x out; prunesim keeps out x in (PyTorch's layout).
  m.w = weight_matrix(i, n.input(1), !trans_b);
  const double alpha = g_.float_attr(i, "alpha", 1.0);
  if (alpha != 1.0) m.w *= float(alpha);
  const int64_t outs = m.w.rows();
  m.b = Vec::Zero(outs);
  if (gemm && n.input_size() >= 3 && !n.input(2).empty()) {
    m.b = vector_of(i, n.input(2), outs, "bias") * float(g_.float_attr(i, "beta", 1.0));
  } else {
    size_t next;
    if (only_consumer_is(out(i), "Add", &next)) {
      const auto& add = g_.node(next);
      const std::string other = add.input(0) == out(i) ? add.input(1) : add.input(0);
      const Constant* bc = g_.constant(other);
      if (bc && bc->floating() && int64_t(bc->elements()) == outs) {
        m.b = vector_of(next, other, outs, "bias");
        m.nodes.push_back(next);  // m.node stays the MatMul: errors name it
        m.out = this->out(next);
      }
    }
  }
  add_macro(std::move(m));
  return true;
}

bool Importer::match_conv(size_t i) {
  const onnx::NodeProto& n = g_.node(i);
  if (op_of(n) != "Conv" || n.input_size() < 2 || !g_.is_constant(n.input(1))) return false;
  const Constant* k = g_.constant(n.input(1));
  if (k->dims.size() != 4) fail(i, "only 2-D convolutions (a 4-D kernel) are read, as patch embeddings");
  const std::vector<int64_t> kernel = {k->dims[2], k->dims[3]}, strides = g_.ints_attr(i, "strides");
  std::vector<int64_t> pads = g_.ints_attr(i, "pads");
  const bool no_pad = std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; });
  if (strides != kernel || !no_pad || g_.int_attr(i, "group", 1) != 1 || k->dims[2] != k->dims[3])
    fail(
        i,
        "a Conv is read as a ViT patch embedding: square kernel, stride equal to the kernel, no padding, one "
        "group (this one has kernel " +
            std::to_string(kernel[0]) + "x" + std::to_string(kernel[1]) + ")");
  Macro m = make_macro(Kind::Linear, i, {i}, n.input(0), out(i));
  const std::vector<float> v = k->floats();
  m.w = Eigen::Map<const RowMat>(v.data(), k->dims[0], k->dims[1] * k->dims[2] * k->dims[3]);
  m.b = n.input_size() >= 3 && !n.input(2).empty() ? vector_of(i, n.input(2), k->dims[0], "bias")
                                                   : Vec(Vec::Zero(k->dims[0]));
  add_macro(std::move(m));
  return true;
}

// LayerNormalization, or the decomposition exporters write below opset 17:
//   mean = ReduceMean(x); d = Sub(x, mean); var = ReduceMean(Pow(d, 2)); y = Div(d, Sqrt(Add(var, eps)))
//   then Mul(gamma), Add(beta).
// RMSNorm: y = Div(x, Sqrt(Add(ReduceMean(Pow(x, 2)), eps))) (or Mul by Reciprocal), then Mul(gamma).
bool Importer::match_norm(size_t i) {
  const onnx::NodeProto& n = g_.node(i);
  if (op_of(n) == "LayerNormalization") {
    Macro m = make_macro(Kind::Norm, i, {i}, n.input(0), out(i));
    const Constant* gc = n.input_size() >= 2 ? g_.constant(n.input(1)) : nullptr;
    if (!gc) fail(i, "the LayerNormalization's scale must be a constant");
    const int64_t d = int64_t(gc->elements());
    // Read (and so check against its data) before sizing anything by the shape the file claims: fuzz_onnx
    // gave a scale whose dims multiply past any memory.
    m.w = vector_of(i, n.input(1), d, "scale").transpose();
    m.b =
        n.input_size() >= 3 && !n.input(2).empty() ? vector_of(i, n.input(2), d, "bias") : Vec(Vec::Zero(d));
    m.eps = float(g_.float_attr(i, "epsilon", 1e-5));
    add_macro(std::move(m));
    return true;
  }
  const bool rms_start = op_of(n) == "Pow";
  if (op_of(n) != "ReduceMean" && !rms_start) return false;
  std::vector<size_t> nodes = {i};
  const std::string x = n.input(0);
  if (!g_.is_activation(x)) return false;
  size_t at = i, next;
  auto step = [&](const char* op) {
    if (!only_consumer_is(out(at), op, &next)) return false;
    nodes.push_back(next);
    at = next;
    return true;
  };
  auto const_operand = [&](size_t node) -> std::optional<double> {
    const auto& nd = g_.node(node);
    for (const auto& in : nd.input())
      if (auto s = g_.scalar(in)) return s;
    return std::nullopt;
  };
  std::string centred = x;
  bool rms = false;
  if (!rms_start) {
    // mean -> Sub(x, mean): the Sub is also read by Pow and Div, so it has two consumers.
    const auto& c = g_.consumers(out(i));
    if (c.size() != 1 || op_of(g_.node(c[0])) != "Sub" || g_.node(c[0]).input(0) != x) return false;
    const size_t sub = c[0];
    nodes.push_back(sub);
    centred = out(sub);
    // Pow(d, 2) among the Sub's consumers.
    size_t pow = SIZE_MAX;
    for (size_t k : g_.consumers(centred))
      if (op_of(g_.node(k)) == "Pow") pow = k;
    if (pow == SIZE_MAX) return false;
    at = pow;
    nodes.push_back(pow);
  } else {
    rms = true;
    auto e = g_.scalar(n.input_size() > 1 ? n.input(1) : "");
    if (!e || !near(*e, 2.0)) return false;
  }
  if (!step("ReduceMean") || !step("Add")) return false;
  const auto eps = const_operand(at);
  if (!eps) return false;
  if (!step("Sqrt")) return false;
  // Div(centred, std), or Mul(centred, Reciprocal(std)).
  const auto& c = g_.consumers(out(at));
  if (c.size() != 1) return false;
  if (op_of(g_.node(c[0])) == "Div" && g_.node(c[0]).input(0) == centred) {
    nodes.push_back(c[0]);
    at = c[0];
  } else if (op_of(g_.node(c[0])) == "Reciprocal") {
    at = c[0];
    nodes.push_back(at);
    if (!step("Mul")) return false;
  } else {
    return false;
  }
  if (rms) {
    // The Div/Mul must read x itself.
    const auto& last = g_.node(at);
    if (last.input(0) != x && last.input(1) != x) return false;
  }
  Macro m = make_macro(Kind::Norm, at, {}, x, out(at));
  m.rms = rms;
  m.eps = float(*eps);
  int64_t width = 0;
  // Gain (Mul by a constant vector), then bias (Add of a constant vector), both optional.
  if (only_consumer_is(out(at), "Mul", &next)) {
    const auto& mul = g_.node(next);
    const std::string other = mul.input(0) == out(at) ? mul.input(1) : mul.input(0);
    if (const Constant* gc = g_.constant(other); gc && gc->elements() > 1) {
      width = int64_t(gc->elements());
      m.w = vector_of(next, other, width, "gain").transpose();  // checked against its data first, as above
      nodes.push_back(next);
      at = next;
    }
  }
  if (!rms && only_consumer_is(out(at), "Add", &next)) {
    const auto& add = g_.node(next);
    const std::string other = add.input(0) == out(at) ? add.input(1) : add.input(0);
    if (const Constant* bc = g_.constant(other); bc && bc->elements() > 1) {
      if (!width) width = int64_t(bc->elements());
      m.b = vector_of(next, other, width, "bias");
      nodes.push_back(next);
      at = next;
    }
  }
  if (!width) fail(i, "a normalisation without a constant gain vector: prunesim cannot tell its width");
  if (m.w.size() == 0) m.w = RowMat::Ones(1, width);
  if (m.b.size() == 0) m.b = Vec::Zero(width);
  m.nodes = nodes;
  m.node = at;
  m.out = out(at);
  add_macro(std::move(m));
  return true;
}

// Gelu (opset 20, or com.microsoft's), or its expansions:
//   erf:  y = x * 0.5 * (1 + Erf(x / sqrt(2)))
//   tanh: y = 0.5 * x * (1 + Tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))    (GPT-2's gelu_new)
// The anchor is the Erf, or the Tanh whose input comes from Pow(x, 3).
bool Importer::match_gelu(size_t i) {
  const onnx::NodeProto& n = g_.node(i);
  if (op_of(n) == "Gelu" || op_of(n) == "FastGelu") {
    Macro m = make_macro(Kind::Gelu, i, {i}, n.input(0), out(i));
    m.gelu_tanh = op_of(n) == "FastGelu" || g_.string_attr(i, "approximate", "none") == "tanh";
    add_macro(std::move(m));
    return true;
  }
  if (op_of(n) != "Erf" && op_of(n) != "Tanh") return false;
  std::set<size_t> nodes = {i};
  std::string x;
  auto elementwise = [&](size_t k) {
    const std::string& op = op_of(g_.node(k));
    return !claimed_.count(k) && (op == "Mul" || op == "Div" || op == "Add" || op == "Pow");
  };
  if (op_of(n) == "Erf") {
    // Erf(x / sqrt(2)) or Erf(x * 0.7071).
    auto p = g_.producer(n.input(0));
    if (!p || !elementwise(*p) || g_.node(*p).input_size() != 2) return false;
    const auto& d = g_.node(*p);
    const std::string& op = op_of(d);
    auto c = g_.scalar(d.input(1));
    if (!c || !((op == "Div" && near(*c, std::sqrt(2.0))) || (op == "Mul" && near(*c, std::sqrt(0.5)))))
      return false;
    x = d.input(0);
  } else {
    // The cube x^3 among the Tanh's elementwise ancestors names x.
    std::vector<std::pair<std::string, int>> todo = {{n.input(0), 0}};
    while (!todo.empty() && x.empty()) {
      auto [t, depth] = todo.back();
      todo.pop_back();
      auto p = g_.producer(t);
      if (!p || !elementwise(*p) || depth > 6) continue;
      const auto& d = g_.node(*p);
      if (op_of(d) == "Pow") {
        if (auto e = g_.scalar(d.input(1)); e && near(*e, 3.0)) x = d.input(0);
        continue;
      }
      for (const auto& in : d.input())
        if (!g_.is_constant(in)) todo.push_back({in, depth + 1});
    }
    if (x.empty()) return false;
  }
  // Backward from the anchor to x: elementwise nodes whose other operands are constants.
  std::function<bool(const std::string&, int)> back = [&](const std::string& t, int depth) -> bool {
    if (t == x) return true;
    auto p = g_.producer(t);
    if (!p || !elementwise(*p) || depth > 6) return false;
    nodes.insert(*p);
    for (const auto& in : g_.node(*p).input())
      if (!g_.is_constant(in) && !back(in, depth + 1)) return false;
    return true;
  };
  if (!back(n.input(0), 0)) return false;
  // Forward: Add/Mul nodes whose other operand is a constant, x, or 0.5 * x (claimed too). A GELU reads x
  // twice, as the argument and in the product: the forward chain must read it.
  std::string t = out(i);
  size_t end = i;
  bool uses_x = false;
  for (int guard = 0; guard < 4; ++guard) {
    const auto& c = g_.consumers(t);
    if (c.size() != 1) break;
    const auto& nd = g_.node(c[0]);
    if ((op_of(nd) != "Mul" && op_of(nd) != "Add") || claimed_.count(c[0])) break;
    const std::string other = nd.input(0) == t ? nd.input(1) : nd.input(0);
    bool ok = g_.is_constant(other);
    if (other == x) ok = uses_x = true;
    if (!ok) {
      auto q = g_.producer(other);
      if (q && op_of(g_.node(*q)) == "Mul" && (g_.node(*q).input(0) == x || g_.node(*q).input(1) == x)) {
        nodes.insert(*q);
        ok = uses_x = true;
      }
    }
    if (!ok) break;
    nodes.insert(c[0]);
    end = c[0];
    t = out(c[0]);
  }
  if (!uses_x) return false;
  Macro m = make_macro(Kind::Gelu, end, std::vector<size_t>(nodes.begin(), nodes.end()), x, out(end));
  m.gelu_tanh = op_of(n) == "Tanh";
  add_macro(std::move(m));
  return true;
}

void Importer::classify() {
  // Patterns first (they claim the elementwise nodes they cover), then the single nodes.
  for (size_t i = 0; i < g_.size(); ++i)
    if (!claimed_.count(i) && (match_linear(i) || match_conv(i))) continue;
  for (size_t i = 0; i < g_.size(); ++i)
    if (!claimed_.count(i) && (match_norm(i) || match_gelu(i))) continue;
  for (size_t i = 0; i < g_.size(); ++i) {
    if (claimed_.count(i)) continue;
    const onnx::NodeProto& n = g_.node(i);
    const std::string& op = op_of(n);
    const auto acts = activation_inputs(i);
    bool act_out = false;
    for (const auto& o : n.output()) act_out |= g_.is_activation(o);
    if (!act_out && acts.empty()) {
      kind_[i] = Kind::Prep;
      continue;
    }
    if (!is_standard_domain(n.domain()) && op != "Gelu" && op != "FastGelu") {
      kind_[i] = Kind::Unmapped;
      continue;
    }
    auto single = [&](Kind k) { add_macro(make_macro(k, i, {i}, acts.empty() ? "" : acts[0], out(i))); };
    if (op == "MatMul" && acts.size() == 2) {
      single(Kind::ActMatmul);
    } else if (op == "Softmax") {
      single(Kind::Softmax);
    } else if (op == "Relu") {
      single(Kind::Relu);
    } else if (op == "Tanh") {
      single(Kind::Tanh);
    } else if (op == "GRU") {
      single(Kind::Gru);
    } else if (op == "Gather" && !g_.is_activation(n.input(0)) && g_.is_constant(n.input(0))) {
      single(Kind::Embedding);
    } else if (op == "Add" && acts.size() == 2) {
      single(Kind::Residual);
    } else if (op == "Add" && acts.size() == 1) {
      const std::string other = n.input(0) == acts[0] ? n.input(1) : n.input(0);
      kind_[i] = g_.is_constant(other) ? Kind::ConstAdd : Kind::Folded;  // a mask from the inputs: folded
      if (kind_[i] == Kind::ConstAdd) single(Kind::ConstAdd);
    } else if ((op == "Mul" || op == "Div") && acts.size() == 1 && g_.scalar(n.input(1))) {
      kind_[i] = Kind::Folded;  // checked below: only beside attention
    } else if (op == "Where" && acts.size() == 1) {
      kind_[i] = Kind::Folded;
    } else if (kLayoutOps.count(op)) {
      kind_[i] = Kind::Layout;
    } else {
      kind_[i] = Kind::Unmapped;
    }
  }
  // A scale or mask is folded into the softmax only when it sits between an attention matmul and its
  // softmax; anywhere else it is compute the template does not have.
  for (size_t i = 0; i < g_.size(); ++i) {
    if (kind_[i] != Kind::Folded) continue;
    bool beside = false;
    std::string t = out(i);
    for (int guard = 0; guard < 6 && !beside; ++guard) {
      const auto& c = g_.consumers(t);
      if (c.size() != 1) break;
      const Kind k = kind_[c[0]];
      if (k == Kind::Softmax || k == Kind::ActMatmul) beside = true;
      if (k != Kind::Folded && k != Kind::Layout) break;
      t = out(c[0]);
    }
    if (!beside) kind_[i] = Kind::Unmapped;
  }
}

std::optional<size_t> Importer::source_macro(std::string t, int* part) const {
  for (int guard = 0; guard < 32; ++guard) {
    auto p = g_.producer(t);
    if (!p) return std::nullopt;
    if (auto c = claimed_.find(*p); c != claimed_.end()) return c->second;
    // Unmapped nodes are passed through like layout ones: the structure around them is still recovered, and
    // they are reported (or costed) on their own.
    const Kind k = kind_[*p];
    if (k != Kind::Layout && k != Kind::Folded && k != Kind::Unmapped) return std::nullopt;
    const auto& n = g_.node(*p);
    if (op_of(n) == "Split" && part)
      for (int o = 0; o < n.output_size(); ++o)
        if (n.output(o) == t) *part = o;
    // Follow the activation operand.
    const auto acts = activation_inputs(*p);
    if (acts.empty()) return std::nullopt;
    t = acts.front();
  }
  return std::nullopt;
}

std::vector<size_t> Importer::sink_macros(const std::string& t) const {
  std::vector<size_t> found;
  std::vector<std::string> todo = {t};
  std::set<std::string> seen;
  while (!todo.empty()) {
    const std::string cur = todo.back();
    todo.pop_back();
    if (!seen.insert(cur).second) continue;
    for (size_t c : g_.consumers(cur)) {
      if (auto m = claimed_.find(c); m != claimed_.end()) {
        if (std::find(found.begin(), found.end(), m->second) == found.end()) found.push_back(m->second);
      } else if (kind_[c] == Kind::Layout || kind_[c] == Kind::Folded || kind_[c] == Kind::Unmapped) {
        for (const auto& o : g_.node(c).output()) todo.push_back(o);
      }
    }
  }
  std::sort(found.begin(), found.end(),
            [&](size_t a, size_t b) { return macros_[a].node < macros_[b].node; });
  return found;
}

// ------------------------------------------------------------------------------------------- transformers

namespace {
struct LayerMacros {
  size_t q = 0, k = 0, v = 0, qk = 0, softmax = 0, av = 0, proj = 0, res1 = 0, ln1 = 0, ln2 = 0, fc1 = 0,
         act = 0, fc2 = 0, res2 = 0;
  bool pre = false, fused_qkv = false;
};
}  // namespace

void Importer::build_transformer(OnnxModel& result) {
  std::vector<size_t> softmaxes;
  for (size_t m = 0; m < macros_.size(); ++m)
    if (macros_[m].kind == Kind::Softmax) softmaxes.push_back(m);
  auto kind_is = [&](std::optional<size_t> m, Kind k) { return m && macros_[*m].kind == k; };
  // The macro of kind `k` among the consumers of macro `from`'s result.
  auto next_of = [&](size_t from, Kind k, const char* what) {
    for (size_t m : sink_macros(macros_[from].out))
      if (macros_[m].kind == k) return m;
    fail(macros_[from].node, std::string("expected ") + what + " to read this node's result (the " +
                                 kind_label(macros_[from].kind) + "), found none");
  };
  auto linear_of = [&](const std::string& t, int* part, size_t at, const char* what) {
    auto m = source_macro(t, part);
    if (!kind_is(m, Kind::Linear))
      fail(at, std::string("the ") + what + " does not come from a MatMul or Gemm by a weight initializer");
    return *m;
  };
  std::vector<LayerMacros> layers;
  for (size_t s : softmaxes) {
    LayerMacros L;
    L.softmax = s;
    const size_t at = macros_[s].node;
    auto qk = source_macro(macros_[s].in);
    if (!kind_is(qk, Kind::ActMatmul))
      fail(at, "the softmax's input does not come from a MatMul of two activations (attention scores)");
    L.qk = *qk;
    L.av = next_of(s, Kind::ActMatmul, "the attention's MatMul by V");
    const auto& qk_node = g_.node(macros_[L.qk].node);
    const auto& av_node = g_.node(macros_[L.av].node);
    int qp = -1, kp = -1, vp = -1;
    L.q = linear_of(qk_node.input(0), &qp, macros_[L.qk].node, "query");
    L.k = linear_of(qk_node.input(1), &kp, macros_[L.qk].node, "key");
    L.v = linear_of(av_node.input(1), &vp, macros_[L.av].node, "value");
    L.fused_qkv = L.q == L.k && L.k == L.v;
    if (L.fused_qkv && !(qp == 0 && kp == 1 && vp == 2))
      fail(macros_[L.q].node,
           "the fused QKV projection must be split into query, key and value in that order");
    if (!L.fused_qkv && (L.q == L.k || L.k == L.v || L.q == L.v))
      fail(macros_[L.q].node, "query, key and value must come from three projections or one fused one");
    L.proj = next_of(L.av, Kind::Linear, "the attention output projection");
    L.res1 = next_of(L.proj, Kind::Residual, "a residual Add");
    // Pre-LN: a norm feeds the projections and the residual skips it (adds the norm's input). Post-LN (BERT):
    // the layer's input is the previous norm's output, and the residual adds that same tensor.
    auto before = source_macro(macros_[L.q].in);
    L.pre = false;
    if (kind_is(before, Kind::Norm)) {
      const auto& add = g_.node(macros_[L.res1].node);
      auto skip = source_macro(add.input(0) == macros_[L.proj].out ? add.input(1) : add.input(0));
      L.pre = skip != before;
    }
    if (L.pre) {
      L.ln1 = *before;
      L.ln2 = next_of(L.res1, Kind::Norm, "the MLP's LayerNorm");
      L.fc1 = next_of(L.ln2, Kind::Linear, "the MLP's first linear layer");
    } else {
      L.ln1 = next_of(L.res1, Kind::Norm, "a LayerNorm after the attention residual");
      L.fc1 = next_of(L.ln1, Kind::Linear, "the MLP's first linear layer");
    }
    std::optional<size_t> act;
    for (size_t m : sink_macros(macros_[L.fc1].out))
      if (macros_[m].kind == Kind::Gelu || macros_[m].kind == Kind::Relu) act = m;
    if (!act)
      fail(macros_[L.fc1].node, "the MLP's activation (Gelu, its Erf/Tanh pattern, or Relu) is missing");
    L.act = *act;
    L.fc2 = next_of(L.act, Kind::Linear, "the MLP's second linear layer");
    L.res2 = next_of(L.fc2, Kind::Residual, "a residual Add");
    if (!L.pre) L.ln2 = next_of(L.res2, Kind::Norm, "a LayerNorm after the MLP residual");
    layers.push_back(L);
  }

  ModelSpec& spec = result.spec;
  ModelWeights& w = result.weights;
  const LayerMacros& L0 = layers.front();
  const uint32_t D = uint32_t(macros_[L0.q].w.cols());
  const uint32_t A = uint32_t(macros_[L0.q].w.rows() / (L0.fused_qkv ? 3 : 1));
  // Heads: the Reshape that splits the query into [.., heads, head_dim].
  uint32_t heads = 0;
  {
    std::string t = g_.node(macros_[L0.qk].node).input(0);
    for (int guard = 0; guard < 32 && !heads; ++guard) {
      auto p = g_.producer(t);
      if (!p || claimed_.count(*p)) break;
      const auto& n = g_.node(*p);
      if (op_of(n) == "Reshape") {
        if (auto shape = g_.partial_ints(n.input(1)); shape && shape->size() >= 2) {
          std::optional<int64_t> h = (*shape)[shape->size() - 2], hd = (*shape)[shape->size() - 1];
          if (h && hd && *hd == -1 && *h > 0) hd = int64_t(A) / *h;
          if (h && hd && *h == -1 && *hd > 0) h = int64_t(A) / *hd;
          // Divided, not multiplied: a graph may give any int64 (fuzz_onnx found 2 x 8.4e18).
          if (h && hd && *h > 0 && *hd > 0 && int64_t(A) % *h == 0 && int64_t(A) / *h == *hd)
            heads = uint32_t(*h);
        }
        if (!heads)
          fail(*p,
               "cannot tell the number of heads: this Reshape of the query should give [.., heads, "
               "head_dim] with constant heads and head_dim whose product is " +
                   std::to_string(A));
      }
      const auto acts = activation_inputs(*p);
      if (acts.empty()) break;
      t = acts.front();
    }
    if (!heads)
      fail(macros_[L0.qk].node, "cannot tell the number of heads: no Reshape splits the query into heads");
  }
  const uint32_t F = uint32_t(macros_[L0.fc1].w.rows());
  const Macro& norm0 = macros_[L0.ln1];
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerMacros& L = layers[l];
    const std::string at = "layer " + std::to_string(l) + ": ";
    auto shape_is = [&](size_t m, uint32_t rows, uint32_t cols, const char* what) {
      const Macro& x = macros_[m];
      if (uint32_t(x.w.rows()) != rows || uint32_t(x.w.cols()) != cols)
        fail(x.node, at + what + " weight is " + std::to_string(x.w.rows()) + " x " +
                         std::to_string(x.w.cols()) + " (out x in), expected " + std::to_string(rows) +
                         " x " + std::to_string(cols) + " from the layer's other projections (d_model " +
                         std::to_string(D) + ", attention " + std::to_string(A) + ", MLP " +
                         std::to_string(F) + ")");
    };
    if (L.fused_qkv) {
      shape_is(L.q, 3 * A, D, "the fused QKV");
    } else {
      shape_is(L.q, A, D, "the query");
      shape_is(L.k, A, D, "the key");
      shape_is(L.v, A, D, "the value");
    }
    shape_is(L.proj, D, A, "the attention output");
    shape_is(L.fc1, F, D, "the MLP's first");
    shape_is(L.fc2, D, F, "the MLP's second");
    if (L.pre != L0.pre || macros_[L.act].kind != macros_[L0.act].kind ||
        macros_[L.act].gelu_tanh != macros_[L0.act].gelu_tanh || macros_[L.ln1].rms != norm0.rms)
      fail(macros_[L.q].node,
           at + "its norm placement, norm kind or activation differs from layer 0's: prunesim's "
                "layers share one structure");
    for (size_t n : {L.ln1, L.ln2})
      if (uint32_t(macros_[n].w.cols()) != D)
        fail(macros_[n].node, at + "the norm has " + std::to_string(macros_[n].w.cols()) +
                                  " features, d_model is " + std::to_string(D));
    if (l > 0) {
      const LayerMacros& P = layers[l - 1];
      const size_t prev_out = P.pre ? P.res2 : P.ln2;
      auto in = source_macro(P.pre ? macros_[L.ln1].in : macros_[L.q].in);
      if (!in || *in != prev_out)
        fail(macros_[L.pre ? L.ln1 : L.q].node,
             at + "does not read layer " + std::to_string(l - 1) + "'s output");
    }
    LayerWeights lw;
    if (L.fused_qkv) {
      lw.qkv = macros_[L.q].w;
      lw.qkv_b = macros_[L.q].b;
    } else {
      lw.qkv.resize(3 * A, D);
      lw.qkv << macros_[L.q].w, macros_[L.k].w, macros_[L.v].w;
      lw.qkv_b.resize(3 * A);
      lw.qkv_b << macros_[L.q].b, macros_[L.k].b, macros_[L.v].b;
    }
    lw.proj = macros_[L.proj].w, lw.proj_b = macros_[L.proj].b;
    lw.fc1 = macros_[L.fc1].w, lw.fc1_b = macros_[L.fc1].b;
    lw.fc2 = macros_[L.fc2].w, lw.fc2_b = macros_[L.fc2].b;
    lw.ln1_g = macros_[L.ln1].w.row(0).transpose(), lw.ln1_b = macros_[L.ln1].b;
    lw.ln2_g = macros_[L.ln2].w.row(0).transpose(), lw.ln2_b = macros_[L.ln2].b;
    w.layers.push_back(std::move(lw));
  }
  spec.layers = uint32_t(layers.size());
  spec.d_model = D;
  spec.heads = heads;
  spec.head_dim = A / heads;
  spec.mlp = F;
  spec.rms_norm = norm0.rms;
  spec.activation =
      macros_[L0.act].kind == Kind::Relu ? ModelSpec::Activation::Relu : ModelSpec::Activation::Gelu;
  spec.norm_placement = L0.pre ? ModelSpec::NormPlacement::Pre : ModelSpec::NormPlacement::Post;
  w.pre_ln = L0.pre;
  w.gelu_tanh = macros_[L0.act].gelu_tanh;
  w.rms_norm = norm0.rms;
  w.ln_eps = norm0.eps;

  // The stages around the layers: embeddings before, head after.
  const size_t first_node = macros_[L0.pre ? L0.ln1 : L0.q].node;
  const LayerMacros& Ll = layers.back();
  const size_t last_macro = Ll.pre ? Ll.res2 : Ll.ln2;
  std::vector<size_t> before, after;  // macros outside the layers, in node order
  std::set<size_t> in_layers;
  for (const auto& L : layers)
    for (size_t m :
         {L.q, L.k, L.v, L.qk, L.softmax, L.av, L.proj, L.res1, L.ln1, L.ln2, L.fc1, L.act, L.fc2, L.res2})
      in_layers.insert(m);
  for (size_t m = 0; m < macros_.size(); ++m) {
    if (in_layers.count(m)) continue;
    if (macros_[m].node < first_node)
      before.push_back(m);
    else if (macros_[m].node > macros_[last_macro].node)
      after.push_back(m);
    else
      fail(macros_[m].node, "this " + std::string(kind_label(macros_[m].kind)) +
                                " sits inside the transformer layers but is not part of their structure");
  }
  std::vector<size_t> head_linears;
  for (size_t m : after)
    if (macros_[m].kind == Kind::Linear) head_linears.push_back(m);
  if (head_linears.empty())
    fail("the graph has no linear head after its last layer (a classifier or LM head)");
  const Macro& head = macros_[head_linears.back()];
  // Causal attention: the mask folded into the softmax comes from a lower-triangular constant (or Trilu).
  bool causal = false;
  {
    std::set<std::string> seen;
    std::function<void(const std::string&, int)> scan = [&](const std::string& t, int depth) {
      if (causal || depth > 12 || !seen.insert(t).second) return;
      if (const Constant* c = g_.constant(t)) {
        const int64_t r = c->dims.size() >= 2 ? c->dims[c->dims.size() - 2] : 0;
        const int64_t k = c->dims.size() >= 2 ? c->dims.back() : 0;
        if (r == k && r >= 2 && c->elements() <= (1u << 22)) {
          // Lower-triangular in its last two dimensions (the first matrix is enough), zeros above.
          const std::vector<double> v = c->doubles();
          bool lower = true;
          for (int64_t i = 0; i < r && lower; ++i)
            for (int64_t j = 0; j < k; ++j) lower = lower && ((j <= i) == (v[size_t(i * k + j)] != 0));
          causal = lower;
        }
        return;
      }
      auto p = g_.producer(t);
      if (!p) return;
      if (op_of(g_.node(*p)) == "Trilu" && g_.int_attr(*p, "upper", 1) == 0) causal = true;
      for (const auto& in : g_.node(*p).input())
        if (!in.empty()) scan(in, depth + 1);
    };
    for (size_t i = 0; i < g_.size() && !causal; ++i)
      if (kind_[i] == Kind::Folded && (op_of(g_.node(i)) == "Where" || op_of(g_.node(i)) == "Add"))
        for (const auto& in : g_.node(i).input())
          if (!g_.is_activation(in)) scan(in, 0);
  }
  std::optional<size_t> patch;
  for (size_t m : before)
    if (macros_[m].kind == Kind::Linear && op_of(g_.node(macros_[m].node)) == "Conv") patch = m;
  auto seq_from = [&](int64_t graph_dim, uint32_t fallback, const char* what) -> uint32_t {
    if (opt_.seq) {
      if (graph_dim > 0 && graph_dim != int64_t(opt_.seq))
        notes_.push_back(std::string("the graph's ") + what + " is " + std::to_string(graph_dim) +
                         "; the workload's " + std::to_string(opt_.seq) + " is used");
      return opt_.seq;
    }
    if (graph_dim > 0) return uint32_t(graph_dim);
    if (positions_ && positions_ < fallback) fallback = positions_;  // no more than the model's context
    notes_.push_back(std::string("the graph's ") + what + " is dynamic: " + std::to_string(fallback) +
                     " assumed (--seq sets it)");
    return fallback;
  };
  // The largest table looked up by a graph input is the token embedding. One looked up by computed indices
  // (a Range or Slice of position ids) holds the position embeddings: its rows are the model's context, which
  // seq + decode must fit (config.cpp).
  std::string token_input;
  for (size_t m : before)
    if (macros_[m].kind == Kind::Embedding) {
      const auto& n = g_.node(macros_[m].node);
      const Constant* table = g_.constant(n.input(0));
      if (!table || table->dims.empty()) continue;
      if (!g_.is_graph_input(n.input(1))) {
        if (table->dims[0] > 0)
          positions_ = std::max(positions_, uint32_t(std::min<int64_t>(table->dims[0], 1 << 30)));
      } else if (token_input.empty() || uint32_t(table->dims[0]) > spec.vocab) {
        token_input = n.input(1);
        spec.vocab = uint32_t(table->dims[0]);
      }
    }
  if (patch) {
    spec.family = Family::Vision;
    const auto& conv = g_.node(macros_[*patch].node);
    const Constant* k = g_.constant(conv.input(1));
    spec.patch = uint32_t(k->dims[2]);
    spec.channels = uint32_t(k->dims[1]);
    const std::vector<int64_t> dims =
        g_.is_graph_input(conv.input(0)) ? g_.input_dims(conv.input(0)) : std::vector<int64_t>{};
    if (dims.size() != 4 || dims[2] <= 0 || dims[3] <= 0)
      fail(macros_[*patch].node,
           "the image input's height and width must be fixed in the graph ([batch, channels, "
           "height, width])");
    const uint32_t patches = uint32_t((dims[2] / spec.patch) * (dims[3] / spec.patch));
    uint32_t tokens = 0;
    for (size_t m : before)
      if (macros_[m].kind == Kind::ConstAdd) {
        const auto& n = g_.node(macros_[m].node);
        for (const auto& in : n.input())
          if (const Constant* c = g_.constant(in); c && c->dims.size() >= 2)
            tokens = uint32_t(c->dims[c->dims.size() - 2]);
      }
    if (tokens <= patches)
      fail(macros_[*patch].node,
           "cannot tell the class tokens: expected a position-embedding Add of [1, tokens, "
           "d_model] with more tokens than the " +
               std::to_string(patches) + " patches");
    spec.extra_tokens = tokens - patches;
    spec.seq = tokens;
    spec.classes = uint32_t(head.w.rows());
    if (opt_.seq && opt_.seq != tokens)
      fail("--seq: a vision model's tokens come from its image size (" + std::to_string(tokens) + " here)");
  } else if (!token_input.empty()) {
    const std::vector<int64_t> dims = g_.input_dims(token_input);
    spec.family = causal ? Family::Decoder : Family::Encoder;
    spec.seq = seq_from(dims.size() >= 2 ? dims[1] : -1, 128, "sequence length");
    if (causal) {
      spec.vocab = uint32_t(head.w.rows());
      w.causal = true;
    } else {
      // prunesim's encoder ends in BERT's pooler (D x D, tanh) and a classifier.
      const bool pooler = head_linears.size() >= 2 && std::any_of(after.begin(), after.end(), [&](size_t m) {
                            return macros_[m].kind == Kind::Tanh;
                          });
      if (!pooler)
        fail(head.node,
             "an encoder is read as BertForSequenceClassification: a pooler (Gemm, Tanh) then a "
             "classifier after the last layer");
      spec.classes = uint32_t(head.w.rows());
    }
  } else {
    fail("the graph's input is neither token ids (an embedding Gather) nor an image (a patch Conv)");
  }
  {
    // prunesim's heads read one token per sample (the class token; a decoder's last position, as a generation
    // step does). A graph whose head reads every token is costed that way too, and the report says so.
    bool one_token = false;
    std::string t = macros_[head_linears.front()].in;
    for (int guard = 0; guard < 64 && !one_token; ++guard) {
      auto p = g_.producer(t);
      if (!p) break;
      const auto& n = g_.node(*p);
      if (auto c = claimed_.find(*p); c != claimed_.end()) {
        if (macros_[c->second].kind != Kind::Norm) break;  // through the final norm only
        t = macros_[c->second].in;
        continue;
      }
      if (kind_[*p] != Kind::Layout) break;
      const Constant* idx = op_of(n) == "Gather" && n.input_size() > 1 ? g_.constant(n.input(1)) : nullptr;
      one_token = (idx && idx->elements() == 1) || op_of(n) == "Slice";
      t = n.input(0);
    }
    if (!one_token)
      notes_.push_back(std::string("the graph's head reads every token; prunesim costs the ") +
                       (causal ? "last position's logits (one generation step's)" : "class token's") +
                       ", as its " + family_name(spec.family) + " models do");
  }
  if (uint32_t(head.w.cols()) != D)
    fail(head.node,
         "the head reads " + std::to_string(head.w.cols()) + " features, d_model is " + std::to_string(D));
  spec.source = "ONNX graph " + g_.path();
  w.spec = spec;
  w.source = g_.path();

  // Anchors for unmapped ops: the layer op each recognised piece becomes.
  std::vector<std::pair<size_t, std::pair<int, OpRole>>> anchors;
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerMacros& L = layers[l];
    const int li = int(l);
    auto add = [&](size_t m, OpRole r) { anchors.push_back({macros_[m].node, {li, r}}); };
    add(L.q, OpRole::AttnQkv), add(L.k, OpRole::AttnQkv), add(L.v, OpRole::AttnQkv);
    add(L.qk, OpRole::AttnQk), add(L.softmax, OpRole::AttnSoftmax), add(L.av, OpRole::AttnAv);
    add(L.proj, OpRole::AttnProj), add(L.res1, OpRole::Residual1), add(L.ln1, OpRole::Ln1),
        add(L.ln2, OpRole::Ln2);
    add(L.fc1, OpRole::MlpFc1), add(L.act, OpRole::Gelu), add(L.fc2, OpRole::MlpFc2),
        add(L.res2, OpRole::Residual2);
  }
  collect_unmapped(result, anchors);
}

// ------------------------------------------------------------------------------------------------- GRU

void Importer::build_gru(OnnxModel& result) {
  std::vector<size_t> grus;
  for (size_t m = 0; m < macros_.size(); ++m) {
    if (macros_[m].kind == Kind::Gru)
      grus.push_back(m);
    else if (macros_[m].kind != Kind::Layout)
      fail(macros_[m].node, "a GRU graph may hold only GRU layers; this " +
                                std::string(kind_label(macros_[m].kind)) + " is not part of prunesim's GRU");
  }
  ModelSpec& spec = result.spec;
  spec.family = Family::Gru;
  uint32_t H = 0;
  for (size_t l = 0; l < grus.size(); ++l) {
    const size_t i = macros_[grus[l]].node;
    const auto& n = g_.node(i);
    const std::string dir = g_.string_attr(i, "direction", "forward");
    if (dir != "forward") fail(i, "direction '" + dir + "': prunesim models forward GRUs");
    if (g_.int_attr(i, "linear_before_reset", 0) != 1)
      fail(i,
           "linear_before_reset=0: prunesim's GRU is PyTorch's (linear_before_reset=1), where W_hh h is one "
           "GEMM before the reset gate");
    for (const char* a : {"activations", "clip", "activation_alpha", "activation_beta"})
      for (const auto& attr : n.attribute())
        if (attr.name() == a)
          fail(i, std::string("attribute '") + a + "' is not supported (the default gates only)");
    const int64_t hidden = g_.int_attr(i, "hidden_size", 0);
    auto tensor = [&](int k, const char* what) -> const Constant& {
      const Constant* c = n.input_size() > k && !n.input(k).empty() ? g_.constant(n.input(k)) : nullptr;
      if (!c || !c->floating()) fail(i, std::string(what) + " must be a float initializer");
      return *c;
    };
    const Constant &W = tensor(1, "W"), &R = tensor(2, "R");
    if (W.dims.size() != 3 || W.dims[0] != 1 || W.dims[1] != 3 * hidden ||
        R.dims != std::vector<int64_t>{1, 3 * hidden, hidden})
      fail(i, "W must be [1, 3*hidden, input] and R [1, 3*hidden, hidden] (hidden_size " +
                  std::to_string(hidden) + ")");
    const int64_t in = W.dims[2];
    if (l == 0) {
      spec.gru_input = uint32_t(in);
      H = uint32_t(hidden);
      const int64_t layout = g_.int_attr(i, "layout", 0);
      const std::vector<int64_t> dims =
          g_.is_graph_input(n.input(0)) ? g_.input_dims(n.input(0)) : std::vector<int64_t>{};
      const int64_t steps = dims.size() == 3 ? dims[layout ? 1 : 0] : -1;
      if (opt_.seq)
        spec.seq = opt_.seq;
      else if (steps > 0)
        spec.seq = uint32_t(steps);
      else {
        spec.seq = 100;
        notes_.push_back("the graph's sequence length is dynamic: 100 steps assumed (--seq sets it)");
      }
    } else {
      if (hidden != H || in != H)
        fail(i, "stacked GRU layers must share the hidden size (" + std::to_string(H) + ")");
      auto src = source_macro(n.input(0));
      if (!src || *src != grus[l - 1]) fail(i, "does not read the previous GRU layer's output");
    }
    // ONNX orders the gates z, r, h; prunesim (as PyTorch) r, z, n.
    auto reorder = [&](const std::vector<float>& v, int64_t rows, int64_t cols, size_t offset) {
      RowMat m(rows, cols);
      const int64_t h = rows / 3;
      const int64_t from[3] = {h, 0, 2 * h};  // r <- ONNX block 1, z <- block 0, n <- block 2
      for (int part = 0; part < 3; ++part)
        for (int64_t r = 0; r < h; ++r)
          for (int64_t c = 0; c < cols; ++c)
            m(part * h + r, c) = v[offset + size_t((from[part] + r) * cols + c)];
      return m;
    };
    GruLayerWeights gw;
    gw.w_ih = reorder(W.floats(), 3 * hidden, in, 0);
    gw.w_hh = reorder(R.floats(), 3 * hidden, hidden, 0);
    gw.b_ih = Vec::Zero(3 * hidden), gw.b_hh = Vec::Zero(3 * hidden);
    if (n.input_size() > 3 && !n.input(3).empty()) {
      const Constant& B = tensor(3, "B");
      if (B.dims != std::vector<int64_t>{1, 6 * hidden}) fail(i, "B must be [1, 6*hidden]");
      const std::vector<float> b = B.floats();
      gw.b_ih = reorder(b, 3 * hidden, 1, 0).col(0);
      gw.b_hh = reorder(b, 3 * hidden, 1, size_t(3 * hidden)).col(0);
    }
    if (n.input_size() > 4 && !n.input(4).empty())
      notes_.push_back(g_.where(i) + ": sequence_lens is ignored (every sequence runs the full length)");
    result.weights.gru.push_back(std::move(gw));
  }
  spec.layers = uint32_t(grus.size());
  spec.gru_hidden = H;
  spec.source = "ONNX graph " + g_.path();
  result.weights.spec = spec;
  result.weights.source = g_.path();
  std::vector<std::pair<size_t, std::pair<int, OpRole>>> anchors;
  for (size_t l = 0; l < grus.size(); ++l)
    anchors.push_back({macros_[grus[l]].node, {int(l), OpRole::GruUpdate}});
  collect_unmapped(result, anchors);
}

// ---------------------------------------------------------------------------------------- unmapped ops

void Importer::collect_unmapped(OnnxModel& result,
                                const std::vector<std::pair<size_t, std::pair<int, OpRole>>>& anchors) {
  std::vector<size_t> unmapped;
  for (size_t i = 0; i < g_.size(); ++i)
    if (kind_[i] == Kind::Unmapped) unmapped.push_back(i);
  if (unmapped.empty()) return;
  std::map<std::string, std::vector<size_t>> by_type;
  for (size_t i : unmapped) by_type[op_of(g_.node(i))].push_back(i);
  std::string list;
  for (const auto& [type, nodes] : by_type) {
    list += (list.empty() ? "" : "; ") + type + " x" + std::to_string(nodes.size()) + " (";
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (k == 4) {
        list += ", ...";
        break;
      }
      list += (k ? ", " : "") + g_.node_name(nodes[k]);
    }
    list += ")";
  }
  if (opt_.unknown == OnnxUnknown::Error)
    fail(std::to_string(unmapped.size()) + " node" + (unmapped.size() == 1 ? "" : "s") +
         " prunesim cannot map to its ops: " + list +
         ". --onnx-unknown=vector costs each as one element-wise vector pass over its output");
  // Width per token of a tensor: its producer's output features, through layout nodes.
  const uint32_t width_default =
      result.spec.family == Family::Gru ? result.spec.gru_hidden : result.spec.d_model;
  for (size_t i : unmapped) {
    ExtraVectorOp e;
    int layer = 0;
    OpRole after = OpRole::Other;
    // The last anchor before the node, by position.
    size_t best = 0;
    bool found = false;
    for (const auto& [node, anchor] : anchors)
      if (node < i && (!found || node > best))
        best = node, layer = anchor.first, after = anchor.second, found = true;
    e.layer = layer;
    e.after = after;
    e.func = g_.node(i).op_type();
    e.name = "onnx." + g_.node_name(i);
    uint32_t width = width_default;
    const auto acts = activation_inputs(i);
    if (!acts.empty())
      if (auto m = source_macro(acts[0]); m && macros_[*m].w.size() && macros_[*m].kind == Kind::Linear)
        width = uint32_t(macros_[*m].w.rows());
    e.elems_per_token = width;
    result.spec.extra_ops.push_back(e);
  }
  result.unmapped = list + " costed as element-wise vector ops (--onnx-unknown=vector)";
}

std::string Importer::mapping() const {
  std::map<Kind, std::map<std::string, size_t>> nodes;
  std::map<Kind, size_t> groups;
  for (size_t i = 0; i < g_.size(); ++i) nodes[kind_[i]][g_.node(i).op_type()] += 1;
  for (const auto& m : macros_) groups[m.kind] += 1;
  std::string s;
  for (const auto& [kind, types] : nodes) {
    size_t total = 0;
    for (const auto& [t, c] : types) total += c;
    s += (s.empty() ? "" : "; ") + std::string(kind_label(kind)) + " ";
    s += groups.count(kind) ? std::to_string(groups.at(kind)) + " from " + std::to_string(total) + " nodes"
                            : std::to_string(total) + " nodes";
    s += " (";
    bool first = true;
    for (const auto& [t, c] : types) s += (first ? "" : " ") + t + " " + std::to_string(c), first = false;
    s += ")";
  }
  return s;
}

OnnxModel Importer::run() {
  classify();
  OnnxModel result;
  const std::string file = g_.path().substr(g_.path().find_last_of('/') + 1);
  result.spec.name =
      file.substr(0, file.rfind(".onnx") == std::string::npos ? file.size() : file.rfind(".onnx"));
  bool gru = false, attention = false;
  for (const auto& m : macros_) gru |= m.kind == Kind::Gru, attention |= m.kind == Kind::Softmax;
  if (gru && attention) fail("the graph mixes GRU layers and attention: prunesim models one or the other");
  if (gru) {
    build_gru(result);
  } else if (attention) {
    build_transformer(result);
  } else {
    fail(
        "no attention (Softmax) and no GRU in the graph: prunesim imports transformer encoders, decoders, "
        "vision transformers and GRUs");
  }
  result.spec.batch = 1;
  result.mapping = mapping();
  result.notes = notes_;
  try {
    validate(result.spec);
  } catch (const InputError& e) {
    fail(std::string("the imported model is not consistent: ") + e.what());
  }
  // Set after the check: whether seq + decode fit is the workload's question (sim's check_context names the
  // key and lets workload.max_positions widen the model).
  result.spec.max_positions = positions_;
  return result;
}

}  // namespace

OnnxModel import_onnx(const std::string& path, const OnnxOptions& options) {
  return Importer(path, options).run();
}

}  // namespace prunesim::workloads
