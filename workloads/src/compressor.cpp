#include "prunesim/workloads/compressor.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/workloads/forward.h"

namespace prunesim::workloads {

std::string TokenPolicy::str() const {
  if (!active()) return "none";
  std::ostringstream os;
  os << "evit layers=";
  for (size_t i = 0; i < layers.size(); ++i) os << (i ? "," : "") << layers[i];
  os << " keep=" << keep << " fused=" << (fused ? 1 : 0) << " mode=" << enum_name(mode);
  if (mode == Mode::Distribution) os << " stddev=" << keep_stddev;
  if (mode == Mode::Threshold) os << " threshold=" << threshold;
  return os.str();
}

uint32_t evit_kept_tokens(uint32_t n, double keep, bool fused) {
  if (n <= 2) return n;
  // The small epsilon keeps ceil() from rounding 196 * 0.7 = 137.2000000001 one token too high.
  const uint32_t kept = uint32_t(std::ceil(double(n - 1) * keep - 1e-9));
  const uint32_t total = kept + 1 + (fused && kept < n - 1 ? 1 : 0);
  return std::min(total, n);
}

int bits_of_type(const std::string& type) {
  if (type == "int4") return 4;
  if (type == "int8") return 8;
  if (type == "int16" || type == "fp16") return 16;
  if (type == "fp32") return 32;
  throw InputError("quantization type '" + type + "': expected int4, int8, int16, fp16 or fp32");
}

namespace {

const std::vector<std::string> kKinds = {"qkv", "proj", "fc1", "fc2", "head", "embed", "gru_ih", "gru_hh"};

std::vector<std::string> expand_kind(const std::string& kind) {
  if (kind == "attn") return {"qkv", "proj"};
  if (kind == "mlp") return {"fc1", "fc2"};
  if (kind == "gru") return {"gru_ih", "gru_hh"};
  if (kind == "all") return {"qkv", "proj", "fc1", "fc2", "gru_ih", "gru_hh"};
  if (std::find(kKinds.begin(), kKinds.end(), kind) != kKinds.end()) return {kind};
  throw InputError("prune target '" + kind +
                   "': expected a matrix kind (qkv, proj, fc1, fc2, head, embed, gru_ih, gru_hh) or a group "
                   "(attn, mlp, gru, all)");
}

}  // namespace

void Recipe::add_prune(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos)
    throw InputError("--prune '" + text + "': expected KIND=SPEC, e.g. qkv=block:16x16:0.5");
  const std::string kind = text.substr(0, eq);
  PruneSpec spec = parse_prune_spec(text.substr(eq + 1));
  if (spec.method == PruneMethod::Head) {
    if (kind != "attn" && kind != "qkv" && kind != "all")
      throw InputError("--prune '" + text + "': head pruning applies to attn (or qkv)");
    heads = spec;
    return;
  }
  if (spec.method == PruneMethod::Neuron) {
    if (kind != "mlp" && kind != "fc1" && kind != "fc2" && kind != "all")
      throw InputError("--prune '" + text + "': neuron pruning applies to mlp (or fc1/fc2)");
    neurons = spec;
    return;
  }
  for (const auto& k : expand_kind(kind)) fine[k] = spec;
}

void Recipe::set_quant(const std::string& text) {
  quant = text;
  wbits_by_kind.clear();
  abits_by_op.clear();
  if (text.find('=') == std::string::npos) {
    wbits = abits = bits_of_type(text);
    return;
  }
  std::istringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos)
      throw InputError("--quant '" + text + "': expected KIND=TYPE items, got '" + item + "'");
    const std::string kind = item.substr(0, eq);
    const int bits = bits_of_type(item.substr(eq + 1));
    if (kind == "act") {
      abits = bits;
    } else if (kind.rfind("act.", 0) == 0) {
      const std::string op = kind.substr(4);
      // The op kinds whose trace fields carry an activation width (trace.h OpKindInfo).
      std::string kinds;
      bool known = false;
      for (const auto& k : op_kinds()) {
        if (k.fields == OpFields::None || k.fields == OpFields::Tokens) continue;
        kinds += (kinds.empty() ? "" : ", ") + std::string(k.name);
        known |= op == k.name;
      }
      if (!known)
        throw InputError("--quant '" + text + "': act." + op + " is not an op kind with activations (" +
                         kinds + ")");
      abits_by_op[op] = bits;
    } else if (kind == "weights") {
      wbits = bits;
    } else {
      for (const auto& k : expand_kind(kind)) wbits_by_kind[k] = bits;
    }
  }
}

std::string Recipe::pruning_str() const {
  std::ostringstream os;
  bool any = false;
  for (const auto& [kind, spec] : fine) {
    if (spec.method == PruneMethod::Dense) continue;
    os << (any ? " " : "") << kind << '=' << spec.str();
    any = true;
  }
  if (heads.method == PruneMethod::Head) os << (any ? " " : "") << "attn=" << heads.str(), any = true;
  if (neurons.method == PruneMethod::Neuron) os << (any ? " " : "") << "mlp=" << neurons.str(), any = true;
  return any ? os.str() : "none";
}

namespace {

// An op's name: its role's (op_role_name) for the ops of a layer, free text for the others.
struct OpName {
  OpName(OpRole r) : role(r), text(op_role_name(r)) {}            // NOLINT: roles and names convert alike
  OpName(const char* n) : role(op_role_of(n)), text(n) {}         // NOLINT
  OpName(const std::string& n) : role(op_role_of(n)), text(n) {}  // NOLINT
  OpRole role;
  std::string text;
};

class TraceBuilder {
 public:
  TraceBuilder(const ModelSpec& model, const Recipe& recipe)
      : model_(model), recipe_(recipe), rng_(recipe.seed) {}

  // `values` (rows x cols, row-major) are real weights to score the mask with, or null.
  const Matrix& matrix(const std::string& name, const std::string& kind, int layer, uint32_t rows,
                       uint32_t cols, uint32_t dense_rows, uint32_t dense_cols,
                       const float* values = nullptr) {
    Matrix m;
    m.name = name;
    m.kind = kind;
    m.layer = layer;
    m.rows = rows;
    m.cols = cols;
    m.dense_rows = dense_rows;
    m.dense_cols = dense_cols;
    auto wb = recipe_.wbits_by_kind.find(kind);
    m.wbits = wb == recipe_.wbits_by_kind.end() ? recipe_.wbits : wb->second;
    auto it = recipe_.fine.find(kind);
    const PruneSpec spec = it == recipe_.fine.end() ? PruneSpec{} : it->second;
    m.format = choose_format(spec);
    apply_mask(m, spec, values, recipe_.spread, recipe_.skew, rng_);
    if (spec.method != PruneMethod::Dense) m.pattern = spec.str();
    trace_.matrix_order.push_back(name);
    return trace_.matrices.emplace(name, std::move(m)).first->second;
  }

  Op& op(OpKind kind, int layer, const OpName& name) {
    flush_extras();
    Op o;
    o.kind = kind;
    o.layer = layer;
    o.name = name.text;
    o.role = name.role;
    const auto width = recipe_.abits_by_op.find(op_kind_name(kind));
    o.abits = width == recipe_.abits_by_op.end() ? recipe_.abits : width->second;
    Op& added = emit(std::move(o));
    // The ReLU op carries no role of its own; an imported graph's extra op after the activation follows it.
    queue_extras(layer, name.text == "mlp.relu" ? OpRole::Gelu : name.role);
    return added;
  }

  // From now on ops go to `out`, their ids counting from first_id, and GEMMs take their shapes from `shapes`
  // (an OpSteps generator making one step of a trace whose matrices are elsewhere).
  void capture(std::vector<Op>* out, uint32_t first_id, const std::map<std::string, Matrix>* shapes) {
    sink_ = out, sink_base_ = out->size(), sink_first_id_ = first_id, shapes_ = shapes;
  }

  // An imported graph's ops beyond the template (ModelSpec::extra_ops): queued after the layer op they
  // follow, sized by the tokens at that point, and written before the next op. OpRole::Other queues the
  // ones that open a layer.
  void queue_extras(int layer, OpRole after) {
    if (layer < 0) return;
    for (const auto& e : model_.extra_ops)
      if (e.layer == layer && e.after == after) {
        Op o;
        o.kind = OpKind::Eltwise;
        o.layer = layer;
        o.name = e.name;
        o.func = e.func;
        o.elems = uint64_t(std::llround(e.elems_per_token * double(tokens_now)));
        const auto width = recipe_.abits_by_op.find(op_kind_name(OpKind::Eltwise));
        o.abits = width == recipe_.abits_by_op.end() ? recipe_.abits : width->second;
        pending_.push_back(std::move(o));
      }
  }
  void flush_extras() {
    for (auto& o : pending_) emit(std::move(o));
    pending_.clear();
  }
  uint64_t tokens_now = 0;  // tokens the current layer processes (rows of its GEMMs)

  Op& gemm(int layer, const OpName& name, uint64_t m, const std::string& weight) {
    Op& o = op(OpKind::Gemm, layer, name);
    o.m = m;
    o.weight = weight;
    const Matrix& w = (shapes_ ? *shapes_ : trace_.matrices).at(weight);
    o.k = w.cols;
    o.n = w.rows;
    return o;
  }

  Op& matmul(int layer, const OpName& name, uint32_t count, uint64_t m, uint64_t k, uint64_t n) {
    Op& o = op(OpKind::Matmul, layer, name);
    o.count = count;
    o.m = m;
    o.k = k;
    o.n = n;
    return o;
  }

  Op& rowwise(OpKind kind, int layer, const OpName& name, uint32_t count, uint64_t rows, uint64_t cols) {
    Op& o = op(kind, layer, name);
    o.count = count;
    o.rows = rows;
    o.cols = cols;
    return o;
  }

  Op& elementwise(OpKind kind, int layer, const OpName& name, uint64_t elems, const std::string& func = "") {
    Op& o = op(kind, layer, name);
    o.elems = elems;
    o.func = func;
    return o;
  }

  uint64_t act_bytes(uint64_t elems) const { return (elems * uint64_t(recipe_.abits) + 7) / 8; }
  Rng& rng() { return rng_; }
  bool per_channel() const { return recipe_.per_channel; }
  PruneSpec spec(const std::string& kind) const {
    auto it = recipe_.fine.find(kind);
    return it == recipe_.fine.end() ? PruneSpec{} : it->second;
  }
  int wbits(const std::string& kind) const {
    auto wb = recipe_.wbits_by_kind.find(kind);
    return wb == recipe_.wbits_by_kind.end() ? recipe_.wbits : wb->second;
  }
  // Real weights, when the trace is compressed from them, and the pruned model built alongside in the trace's
  // shapes (removed heads and neurons gone, so class attention averages the kept heads only).
  const ModelWeights* weights = nullptr;
  ModelWeights* compact = nullptr;
  size_t token_steps = 0;
  // Tokens kept at each pruning step for sample s, from a forward pass of the pruned model on a seeded input
  // (run once, after every layer's matrices exist).
  const std::vector<uint32_t>& token_schedule(size_t s) {
    if (schedule_.empty()) {
      // Sample s runs the user's input s (cycling), or a seeded one.
      const std::vector<RowMat> xs =
          recipe_.inputs_file.empty()
              ? seeded_inputs(model_.batch, model_.seq, model_.d_model, recipe_.seed + 0x5eed)
              : read_inputs(recipe_.inputs_file, model_.seq, model_.d_model);
      for (uint32_t i = 0; i < model_.batch; ++i)
        schedule_.push_back(forward(*compact, xs[i % xs.size()], recipe_.tokens).tokens_kept);
    }
    return schedule_.at(s);
  }
  Trace take() {
    flush_extras();
    return std::move(trace_);
  }
  Trace& trace() { return trace_; }

 private:
  StorageFormat choose_format(const PruneSpec& spec) const {
    if (spec.method == PruneMethod::Dense || spec.structural()) return StorageFormat::Dense;
    if (recipe_.format != "auto") return parse_format(recipe_.format);
    if (spec.method == PruneMethod::Unstructured || spec.method == PruneMethod::NM) return StorageFormat::Csr;
    return recipe_.prefer_hier ? StorageFormat::Hier : StorageFormat::Bcsr;
  }

  Op& emit(Op o) {
    if (sink_) {
      o.id = sink_first_id_ + uint32_t(sink_->size() - sink_base_);
      sink_->push_back(std::move(o));
      return sink_->back();
    }
    o.id = uint32_t(trace_.ops.size());
    trace_.ops.push_back(std::move(o));
    return trace_.ops.back();
  }

  const ModelSpec& model_;
  const Recipe& recipe_;
  Rng rng_;
  Trace trace_;
  std::vector<Op>* sink_ = nullptr;
  size_t sink_base_ = 0;  // ops `sink_` held before
  uint32_t sink_first_id_ = 0;
  const std::map<std::string, Matrix>* shapes_ = nullptr;
  std::vector<Op> pending_;
  std::vector<std::vector<uint32_t>> schedule_;
};

// Per-sample token counts; pruning can make them differ between samples in Distribution mode.
struct Tokens {
  std::vector<uint32_t> per_sample;
  uint64_t total() const {
    uint64_t s = 0;
    for (auto t : per_sample) s += t;
    return s;
  }
  bool uniform() const {
    return std::all_of(per_sample.begin(), per_sample.end(), [&](uint32_t t) { return t == per_sample[0]; });
  }
};

uint32_t heads_kept(const ModelSpec& m, const Recipe& r) {
  return r.heads.method == PruneMethod::Head ? kept_units(m.heads, r.heads.density) : m.heads;
}
// The model's normalisation layers.
OpKind norm_kind(const ModelSpec& m) {
  return m.rms_norm ? OpKind::RmsNorm : OpKind::LayerNorm;
}

uint32_t mlp_kept(const ModelSpec& m, const Recipe& r) {
  return r.neurons.method == PruneMethod::Neuron ? kept_units(m.mlp, r.neurons.density) : m.mlp;
}

// Attention for one layer: per-head QK^T, softmax and A*V, grouped by samples with equal token counts.
void attention(TraceBuilder& b, int layer, const Tokens& tok, uint32_t heads, uint32_t hd,
               uint64_t context_extra, uint64_t kv_read_bytes) {
  std::map<uint32_t, uint32_t> groups;  // tokens -> samples
  for (auto t : tok.per_sample) groups[t] += 1;
  bool first = true;
  for (const auto& [t, samples] : groups) {
    const uint64_t ctx = t + context_extra;
    Op& qk = b.matmul(layer, OpRole::AttnQk, samples * heads, t, hd, ctx);
    if (first) qk.ddr_read_bytes = kv_read_bytes / 2;  // K cache
    b.rowwise(OpKind::Softmax, layer, OpRole::AttnSoftmax, samples * heads, t, ctx);
    Op& av = b.matmul(layer, OpRole::AttnAv, samples * heads, t, ctx, hd);
    if (first) av.ddr_read_bytes = kv_read_bytes - kv_read_bytes / 2;  // V cache
    first = false;
  }
}

void token_prune(TraceBuilder& b, int layer, Tokens& tok, const TokenPolicy& p, uint32_t heads) {
  Op& o = b.op(OpKind::TokenPrune, layer, OpRole::TokenTopk);
  o.heads = heads;
  o.fused = p.fused;
  const size_t step = b.token_steps++;
  for (size_t s = 0; s < tok.per_sample.size(); ++s) {
    uint32_t& t = tok.per_sample[s];
    o.tokens_in.push_back(t);
    if (b.weights) {
      // Real weights: the counts come from running the pruned model on this sample.
      const std::vector<uint32_t>& kept = b.token_schedule(s);
      t = kept.at(step);
    } else {
      double keep = p.keep;
      if (p.mode == TokenPolicy::Mode::Distribution)
        keep = std::clamp(p.keep + p.keep_stddev * b.rng().normal(), 1e-3, 1.0);
      t = evit_kept_tokens(t, keep, p.fused);
    }
    o.tokens_kept.push_back(t);
  }
}

bool prunes_at(const TokenPolicy& p, int layer) {
  return p.active() && std::find(p.layers.begin(), p.layers.end(), layer) != p.layers.end();
}

// One transformer layer. Pre-LN (ViT, DeiT, GPT-2) or post-LN (BERT).
void transformer_layer(TraceBuilder& b, const ModelSpec& m, const Recipe& r, int l, Tokens& tok, bool pre_ln,
                       uint64_t context_extra, uint64_t kv_read, uint64_t kv_write) {
  const uint32_t H = heads_kept(m, r), hd = m.head_dim, A = H * hd, D = m.d_model, F = mlp_kept(m, r);
  const std::string p = "L" + std::to_string(l) + ".";
  uint64_t M = tok.total();
  b.tokens_now = M;
  b.queue_extras(l, OpRole::Other);
  if (m.norm_placement != ModelSpec::NormPlacement::Family)
    pre_ln = m.norm_placement == ModelSpec::NormPlacement::Pre;
  if (pre_ln) b.rowwise(norm_kind(m), l, OpRole::Ln1, 1, M, D);
  Op& qkv = b.gemm(l, OpRole::AttnQkv, M, p + "qkv");
  qkv.ddr_write_bytes = kv_write;
  attention(b, l, tok, H, hd, context_extra, kv_read);
  b.gemm(l, OpRole::AttnProj, M, p + "proj");
  b.elementwise(OpKind::Residual, l, OpRole::Residual1, M * D);
  if (!pre_ln) b.rowwise(norm_kind(m), l, OpRole::Ln1, 1, M, D);
  if (prunes_at(r.tokens, l)) {
    token_prune(b, l, tok, r.tokens, H);
    M = tok.total();
    b.tokens_now = M;
  }
  if (pre_ln) b.rowwise(norm_kind(m), l, OpRole::Ln2, 1, M, D);
  b.gemm(l, OpRole::MlpFc1, M, p + "fc1");
  if (m.activation == ModelSpec::Activation::Relu)
    b.elementwise(OpKind::Eltwise, l, "mlp.relu", M * F, "relu");
  else
    b.elementwise(OpKind::Gelu, l, OpRole::Gelu, M * F);
  b.gemm(l, OpRole::MlpFc2, M, p + "fc2");
  b.elementwise(OpKind::Residual, l, OpRole::Residual2, M * D);
  if (!pre_ln) b.rowwise(norm_kind(m), l, OpRole::Ln2, 1, M, D);
  (void)A;
}

// Indices of the `keep` largest scores, in ascending index order (ties: lower index first).
std::vector<uint32_t> top_units(const std::vector<double>& score, uint32_t keep) {
  std::vector<uint32_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return score[a] > score[b]; });
  idx.resize(keep);
  std::sort(idx.begin(), idx.end());
  return idx;
}

// Symmetric quantize-dequantize of the kept weights at `bits`, one scale per tensor or per output channel
// (row); 16 bits and more are left exact (fp16/int16 error is far below pruning's).
void fake_quantize(RowMat& w, int bits, bool per_channel) {
  if (bits >= 16 || w.size() == 0) return;
  const float qmax = float((1 << (bits - 1)) - 1);
  auto quantize = [qmax](auto block) {
    const float maxabs = block.cwiseAbs().maxCoeff();
    if (maxabs == 0) return;
    const float scale = maxabs / qmax;
    block = block.unaryExpr([&](float v) { return std::clamp(std::round(v / scale), -qmax, qmax) * scale; });
  };
  if (per_channel) {
    for (Eigen::Index r = 0; r < w.rows(); ++r) quantize(w.row(r));
  } else {
    quantize(w.block(0, 0, w.rows(), w.cols()));
  }
}

// Builds one weight matrix from a subset of a real matrix's rows and columns (the kept heads or neurons),
// prunes it and writes the pruned, quantized values to `compact_out`, in the trace's shape.
void real_matrix(TraceBuilder& b, const std::string& name, const std::string& kind, int l, const RowMat& full,
                 const std::vector<uint32_t>& rows, const std::vector<uint32_t>& cols, RowMat& compact_out) {
  RowMat sub(rows.size(), cols.size());
  for (size_t i = 0; i < rows.size(); ++i)
    for (size_t j = 0; j < cols.size(); ++j) sub(i, j) = full(rows[i], cols[j]);
  const Matrix& m = b.matrix(name, kind, l, uint32_t(rows.size()), uint32_t(cols.size()),
                             uint32_t(full.rows()), uint32_t(full.cols()), sub.data());
  const std::vector<uint8_t> keep = element_mask(m, b.spec(kind), sub.data());
  for (size_t i = 0; i < keep.size(); ++i)
    if (!keep[i]) sub.data()[i] = 0;
  fake_quantize(sub, m.wbits, b.per_channel());
  compact_out = std::move(sub);
}

void layer_matrices(TraceBuilder& b, const ModelSpec& m, const Recipe& r, int l) {
  const uint32_t A = heads_kept(m, r) * m.head_dim, D = m.d_model, F = mlp_kept(m, r);
  const uint32_t Ad = m.attn_dim();
  const std::string p = "L" + std::to_string(l) + ".";
  if (!b.weights) {
    b.matrix(p + "qkv", "qkv", l, 3 * A, D, 3 * Ad, D);
    b.matrix(p + "proj", "proj", l, D, A, D, Ad);
    b.matrix(p + "fc1", "fc1", l, F, D, m.mlp, D);
    b.matrix(p + "fc2", "fc2", l, D, F, D, m.mlp);
    return;
  }
  // Real weights: heads and neurons ranked by the L1 norm of the weights they own (their query, key and value
  // rows and projection columns; their fc1 row and fc2 column), then block/fine masks from magnitudes.
  const LayerWeights& w = b.weights->layers[size_t(l)];
  const uint32_t H = m.heads, hd = m.head_dim;
  std::vector<double> head_score(H, 0.0), neuron_score(m.mlp, 0.0);
  for (uint32_t h = 0; h < H; ++h) {
    for (uint32_t part = 0; part < 3; ++part)
      head_score[h] += double(w.qkv.middleRows(part * Ad + h * hd, hd).cwiseAbs().sum());
    head_score[h] += double(w.proj.middleCols(h * hd, hd).cwiseAbs().sum());
  }
  for (uint32_t j = 0; j < m.mlp; ++j)
    neuron_score[j] = double(w.fc1.row(j).cwiseAbs().sum() + w.fc2.col(j).cwiseAbs().sum());
  const std::vector<uint32_t> heads = top_units(head_score, heads_kept(m, r));
  const std::vector<uint32_t> neurons = top_units(neuron_score, F);
  std::vector<uint32_t> attn_cols, qkv_rows, all_d(D);
  std::iota(all_d.begin(), all_d.end(), 0);
  for (uint32_t h : heads)
    for (uint32_t i = 0; i < hd; ++i) attn_cols.push_back(h * hd + i);
  for (uint32_t part = 0; part < 3; ++part)
    for (uint32_t c : attn_cols) qkv_rows.push_back(part * Ad + c);
  LayerWeights& c = b.compact->layers[size_t(l)];
  real_matrix(b, p + "qkv", "qkv", l, w.qkv, qkv_rows, all_d, c.qkv);
  real_matrix(b, p + "proj", "proj", l, w.proj, all_d, attn_cols, c.proj);
  real_matrix(b, p + "fc1", "fc1", l, w.fc1, neurons, all_d, c.fc1);
  real_matrix(b, p + "fc2", "fc2", l, w.fc2, all_d, neurons, c.fc2);
  c.qkv_b = Vec(qkv_rows.size()), c.fc1_b = Vec(neurons.size());
  for (size_t i = 0; i < qkv_rows.size(); ++i) c.qkv_b(Eigen::Index(i)) = w.qkv_b(qkv_rows[i]);
  for (size_t i = 0; i < neurons.size(); ++i) c.fc1_b(Eigen::Index(i)) = w.fc1_b(neurons[i]);
  c.proj_b = w.proj_b, c.fc2_b = w.fc2_b;
  c.ln1_g = w.ln1_g, c.ln1_b = w.ln1_b, c.ln2_g = w.ln2_g, c.ln2_b = w.ln2_b;
}

void build_vision(TraceBuilder& b, const ModelSpec& m, const Recipe& r) {
  const uint32_t D = m.d_model, pp = m.channels * m.patch * m.patch;
  b.matrix("embed", "embed", -1, D, pp, D, pp);
  for (uint32_t l = 0; l < m.layers; ++l) layer_matrices(b, m, r, int(l));
  b.matrix("head", "head", -1, m.classes, D, m.classes, D);

  Tokens tok{std::vector<uint32_t>(m.batch, m.seq)};
  Op& in = b.op(OpKind::Load, -1, "input.image");
  in.ddr_read_bytes = b.act_bytes(uint64_t(m.batch) * m.patches() * pp);
  b.gemm(-1, "patch_embed", uint64_t(m.batch) * m.patches(), "embed");
  b.elementwise(OpKind::Residual, -1, "pos_embed", tok.total() * D);
  for (uint32_t l = 0; l < m.layers; ++l) transformer_layer(b, m, r, int(l), tok, true, 0, 0, 0);
  b.rowwise(norm_kind(m), -1, "final_ln", 1, tok.total(), D);
  b.gemm(-1, "head", m.batch, "head");
  Op& out = b.op(OpKind::Store, -1, "output.logits");
  out.ddr_write_bytes = b.act_bytes(uint64_t(m.batch) * m.classes);
}

void build_encoder(TraceBuilder& b, const ModelSpec& m, const Recipe& r) {
  const uint32_t D = m.d_model;
  for (uint32_t l = 0; l < m.layers; ++l) layer_matrices(b, m, r, int(l));
  b.matrix("pooler", "head", -1, D, D, D, D);
  b.matrix("classifier", "head", -1, m.classes, D, m.classes, D);

  Tokens tok{std::vector<uint32_t>(m.batch, m.seq)};
  Op& in = b.op(OpKind::Load, -1, "embeddings.lookup");
  in.ddr_read_bytes = b.act_bytes(tok.total() * D);
  b.elementwise(OpKind::Residual, -1, "embeddings.add", tok.total() * D);
  b.rowwise(norm_kind(m), -1, "embeddings.ln", 1, tok.total(), D);
  for (uint32_t l = 0; l < m.layers; ++l) transformer_layer(b, m, r, int(l), tok, false, 0, 0, 0);
  b.gemm(-1, "pooler", m.batch, "pooler");
  b.elementwise(OpKind::Eltwise, -1, "pooler.tanh", uint64_t(m.batch) * D, "tanh");
  b.gemm(-1, "classifier", m.batch, "classifier");
  Op& out = b.op(OpKind::Store, -1, "output.logits");
  out.ddr_write_bytes = b.act_bytes(uint64_t(m.batch) * m.classes);
}

// One forward step of a decoder: `new_tokens` positions per sample after `past` cached ones (the prefill,
// or one decode step), reading and extending the KV cache in DRAM.
void decoder_step(TraceBuilder& b, const ModelSpec& m, const Recipe& r, uint64_t new_tokens, uint64_t past,
                  const std::string& phase) {
  const uint32_t D = m.d_model, A = heads_kept(m, r) * m.head_dim;
  Tokens tok{std::vector<uint32_t>(m.batch, uint32_t(new_tokens))};
  Op& in = b.op(OpKind::Load, -1, phase + ".embeddings");
  in.ddr_read_bytes = b.act_bytes(tok.total() * D);
  b.elementwise(OpKind::Residual, -1, phase + ".pos_embed", tok.total() * D);
  for (uint32_t l = 0; l < m.layers; ++l) {
    const uint64_t kv_write = 2 * b.act_bytes(tok.total() * A);
    const uint64_t kv_read = 2 * b.act_bytes(uint64_t(m.batch) * past * A);
    Tokens t = tok;
    transformer_layer(b, m, r, int(l), t, true, past, kv_read, kv_write);
  }
  b.rowwise(norm_kind(m), -1, phase + ".final_ln", 1, uint64_t(m.batch), D);
  b.gemm(-1, phase + ".lm_head", m.batch, "lm_head");  // logits of the last position only
  Op& out = b.op(OpKind::Store, -1, phase + ".logits");
  out.ddr_write_bytes = b.act_bytes(uint64_t(m.batch) * m.vocab);
  b.flush_extras();
}

// A decoder's decode steps, made as a run reaches them (OpList): step s is one token after seq + s cached
// ones. Decoders take no token pruning (validate_recipe), so nothing carries from one step to the next.
class DecodeSteps final : public OpSteps {
 public:
  DecodeSteps(const ModelSpec& m, const Recipe& r, const std::map<std::string, Matrix>& matrices)
      : model_(m), recipe_(r) {
    for (const auto& [name, w] : matrices) {  // a GEMM needs only its matrix's shape
      Matrix shape;
      shape.name = name, shape.rows = w.rows, shape.cols = w.cols;
      shapes_.emplace(name, std::move(shape));
    }
  }
  void step(size_t s, uint32_t first_id, std::vector<Op>& out) const override {
    TraceBuilder b(model_, recipe_);
    b.capture(&out, first_id, &shapes_);
    decoder_step(b, model_, recipe_, 1, uint64_t(model_.seq) + s, "decode" + std::to_string(s));
  }

 private:
  ModelSpec model_;
  Recipe recipe_;
  std::map<std::string, Matrix> shapes_;
};

// GPT-2: prefill of seq tokens, then `decode` autoregressive steps reading and extending the KV cache in
// DRAM. The decode steps are generated, not stored: a long decode's ops would otherwise be most of a run's
// memory (GPT-2 medium: 370 ops, 90 KB a step).
void build_decoder(TraceBuilder& b, const ModelSpec& m, const Recipe& r) {
  const uint32_t D = m.d_model;
  for (uint32_t l = 0; l < m.layers; ++l) layer_matrices(b, m, r, int(l));
  b.matrix("lm_head", "head", -1, m.vocab, D, m.vocab, D);
  decoder_step(b, m, r, m.seq, 0, "prefill");
  if (m.decode == 0) return;
  auto steps = std::make_shared<DecodeSteps>(m, r, b.trace().matrices);
  std::vector<Op> first;
  steps->step(0, 0, first);
  b.trace().ops.append_generated(std::move(steps), m.decode, first.size());
}

// GRU: per layer and time step, W_ih x_t and W_hh h_{t-1} (3H outputs each: reset, update, new), then gates.
void build_gru(TraceBuilder& b, const ModelSpec& m) {
  const uint32_t H = m.gru_hidden;
  for (uint32_t l = 0; l < m.layers; ++l) {
    const uint32_t in = l == 0 ? m.gru_input : H;
    const std::string p = "L" + std::to_string(l) + ".";
    if (!b.weights) {
      b.matrix(p + "w_ih", "gru_ih", int(l), 3 * H, in, 3 * H, in);
      b.matrix(p + "w_hh", "gru_hh", int(l), 3 * H, H, 3 * H, H);
      continue;
    }
    // Real weights (an imported GRU): masks by magnitude, and the pruned, quantized layer kept for fidelity.
    const GruLayerWeights& w = b.weights->gru[l];
    GruLayerWeights& c = b.compact->gru[l];
    std::vector<uint32_t> rows(3 * H), ins(in), hs(H);
    std::iota(rows.begin(), rows.end(), 0);
    std::iota(ins.begin(), ins.end(), 0);
    std::iota(hs.begin(), hs.end(), 0);
    real_matrix(b, p + "w_ih", "gru_ih", int(l), w.w_ih, rows, ins, c.w_ih);
    real_matrix(b, p + "w_hh", "gru_hh", int(l), w.w_hh, rows, hs, c.w_hh);
    c.b_ih = w.b_ih, c.b_hh = w.b_hh;
  }
  const uint64_t B = m.batch;
  b.tokens_now = B;
  Op& in = b.op(OpKind::Load, -1, "input.sequence");
  in.ddr_read_bytes = b.act_bytes(B * m.seq * m.gru_input);
  for (uint32_t l = 0; l < m.layers; ++l) {
    const std::string p = "L" + std::to_string(l) + ".";
    for (uint32_t t = 0; t < m.seq; ++t) {
      b.gemm(int(l), OpRole::GruIh, B, p + "w_ih");
      b.gemm(int(l), OpRole::GruHh, B, p + "w_hh");
      b.elementwise(OpKind::Eltwise, int(l), OpRole::GruGatesRz, B * 2 * H, "sigmoid");
      b.elementwise(OpKind::Eltwise, int(l), OpRole::GruCandidate, B * H, "tanh");
      b.elementwise(OpKind::Eltwise, int(l), OpRole::GruUpdate, B * 3 * H, "mul_add");
    }
  }
  Op& out = b.op(OpKind::Store, -1, "output.hidden");
  out.ddr_write_bytes = b.act_bytes(B * H);
}

void validate_recipe(const ModelSpec& m, const Recipe& r) {
  const TokenPolicy& t = r.tokens;
  if (!(t.keep > 0.0 && t.keep <= 1.0))
    throw InputError("token keep ratio " + std::to_string(t.keep) + " must be in (0, 1]");
  if (t.keep_stddev < 0.0) throw InputError("token keep stddev must be >= 0");
  if (t.mode == TokenPolicy::Mode::Threshold && t.threshold <= 0.0)
    throw InputError("token threshold must be > 0");
  for (int l : t.layers)
    if (l < 0 || uint32_t(l) >= m.layers)
      throw InputError("token-pruning layer " + std::to_string(l) + " is outside the model's layers 0.." +
                       std::to_string(m.layers - 1));
  if (t.active() && (m.family == Family::Gru || m.family == Family::Decoder))
    throw InputError("token pruning needs a class token: it applies to vision and encoder models, not " +
                     std::string(family_name(m.family)));
  if (r.wbits < 1 || r.wbits > 32 || r.abits < 1 || r.abits > 32)
    throw InputError("bit widths must be in [1, 32]");
}

}  // namespace

Trace compress(const ModelSpec& model, const Recipe& recipe) {
  return compress(model, recipe, nullptr, 0);
}

Trace compress(const ModelSpec& model, const Recipe& recipe, const ModelWeights* weights,
               uint32_t fidelity_inputs, ModelWeights* compact_out) {
  validate(model);
  validate_recipe(model, recipe);
  TraceBuilder b(model, recipe);
  ModelWeights compact;
  if (weights) {
    const ModelSpec& ws = weights->spec;
    const bool gru = model.family == Family::Gru;
    if (gru != !weights->gru.empty() || ws.layers != model.layers ||
        (gru ? weights->gru.size() != model.layers || ws.gru_input != model.gru_input ||
                   ws.gru_hidden != model.gru_hidden
             : ws.d_model != model.d_model || ws.heads != model.heads || ws.mlp != model.mlp))
      throw InputError("the weights in " + weights->source + " do not match the model's dimensions");
    if (model.rms_norm != weights->rms_norm)
      throw InputError("workload.norm: the weights in " + weights->source + " come with " +
                       (weights->rms_norm ? "RMSNorm" : "LayerNorm") + " layers");
    b.weights = weights;
    // Everything but the layers, which layer_matrices() builds in the trace's shapes (no copy of the
    // full-size matrices).
    compact.spec = weights->spec;
    compact.pre_ln = weights->pre_ln, compact.causal = weights->causal,
    compact.gelu_tanh = weights->gelu_tanh;
    compact.ln_eps = weights->ln_eps, compact.source = weights->source;
    compact.layers.resize(weights->layers.size());
    compact.gru.resize(weights->gru.size());
    compact.spec.seq = model.seq;
    compact.spec.heads = heads_kept(model, recipe);
    // Linear layers' inputs at the GEMM activation width (the dense reference keeps float activations).
    compact.act_bits = recipe.abits_by_op.count("gemm") ? recipe.abits_by_op.at("gemm") : recipe.abits;
    b.compact = &compact;
  } else if (recipe.tokens.active() && recipe.tokens.mode == TokenPolicy::Mode::Threshold) {
    throw InputError(
        "token_mode threshold needs real weights (--weights): its counts come from running the model");
  }
  switch (model.family) {
    case Family::Vision: build_vision(b, model, recipe); break;
    case Family::Encoder: build_encoder(b, model, recipe); break;
    case Family::Decoder: build_decoder(b, model, recipe); break;
    case Family::Gru: build_gru(b, model); break;
  }
  Trace t = b.take();
  auto& h = t.header;
  h.set("model", model.name);
  h.set("family", family_name(model.family));
  h.set("source", "dims");
  h.set("batch", std::to_string(model.batch));
  h.set("seq", std::to_string(model.seq));
  h.set("layers", std::to_string(model.layers));
  if (model.family == Family::Decoder) h.set("decode", std::to_string(model.decode));
  {
    // Name only the matrix kinds this model has (an "all=" recipe also lists GRU kinds, say).
    Recipe present = recipe;
    present.fine.clear();
    for (const auto& [name, m] : t.matrices)
      if (recipe.fine.count(m.kind)) present.fine[m.kind] = recipe.fine.at(m.kind);
    h.set("pruning", present.pruning_str());
  }
  std::string op_widths;
  for (const auto& [op, bits] : recipe.abits_by_op) op_widths += ", " + op + " " + std::to_string(bits) + "b";
  // Weight widths as the matrices have them: one figure, or one per matrix kind when they differ.
  std::map<std::string, int> widths;
  for (const auto& name : t.matrix_order) widths.emplace(t.matrices.at(name).kind, t.matrices.at(name).wbits);
  std::string weight_widths = std::to_string(recipe.wbits) + "b";
  bool mixed = false;
  for (const auto& [kind, bits] : widths) mixed |= bits != widths.begin()->second;
  if (mixed) {
    weight_widths.clear();
    for (const auto& [kind, bits] : widths)
      weight_widths += (weight_widths.empty() ? "" : " / ") + kind + " " + std::to_string(bits) + "b";
  } else if (!widths.empty()) {
    weight_widths = std::to_string(widths.begin()->second) + "b";
  }
  h.set("quant", recipe.quant + " (weights " + weight_widths + ", activations " +
                     std::to_string(recipe.abits) + "b" + op_widths + ", symmetric per-" +
                     (recipe.per_channel ? "channel" : "tensor") + ")");
  h.set("token_policy", recipe.tokens.str());
  h.set("spread", enum_name(recipe.spread));
  h.set("seed", std::to_string(recipe.seed));
  if (weights) {
    const bool gru = model.family == Family::Gru;
    h.set("source", "weights:" + weights->source);
    // Fidelity of the pruned, quantized model (with token pruning) against the dense one, same inputs.
    ModelWeights dense = *weights;
    dense.spec.seq = model.seq;
    const Fidelity f = recipe.inputs_file.empty()
                           ? measure_fidelity(dense, compact, recipe.tokens, fidelity_inputs, recipe.seed)
                           : measure_fidelity(dense, compact, recipe.tokens,
                                              read_inputs(recipe.inputs_file, model.seq,
                                                          gru ? model.gru_input : model.d_model));
    std::ostringstream err, agree;
    err << std::setprecision(6) << f.rel_error;
    agree << std::setprecision(6) << f.top1_agreement;
    h.set("fidelity_inputs",
          std::to_string(f.inputs) + (recipe.inputs_file.empty()
                                          ? std::string(gru ? " seeded N(0,1) input sequences"
                                                            : " seeded N(0,1) hidden-state inputs")
                                          : " inputs from " + recipe.inputs_file));
    h.set("fidelity_rel_error", err.str());
    h.set("fidelity_top1_agreement", agree.str());
  }
  // The unpruned reference: same model, no weight, head, neuron or token pruning.
  if (recipe.fine.empty() && recipe.heads.method == PruneMethod::Dense &&
      recipe.neurons.method == PruneMethod::Dense && !recipe.tokens.active()) {
    h.set("unpruned_macs", std::to_string(t.total_macs()));
  } else {
    Recipe dense;
    dense.wbits = recipe.wbits;
    dense.abits = recipe.abits;
    h.set("unpruned_macs", std::to_string(compress(model, dense).total_macs()));
  }
  if (compact_out && weights) *compact_out = std::move(compact);
  return t;
}

ModelSpec default_model() {
  return lookup_model("deit-small");
}

Recipe default_recipe() {
  Recipe r;
  r.add_prune("all=block:16x16:0.5");
  r.tokens.layers = {3, 6, 9};
  r.tokens.keep = 0.7;
  r.tokens.fused = true;
  r.set_quant("int8");
  return r;
}

}  // namespace prunesim::workloads

namespace prunesim {
template <>
const std::vector<EnumName<workloads::TokenPolicy::Mode>>& enum_names() {
  using M = workloads::TokenPolicy::Mode;
  static const std::vector<EnumName<M>> t = {
      {M::Static, "static"}, {M::Distribution, "distribution"}, {M::Threshold, "threshold"}};
  return t;
}
}  // namespace prunesim
