#include "prunesim/workloads/trace_weights.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "prunesim/common/error.h"
#include "prunesim/workloads/rng.h"
#include "prunesim/workloads/safetensors.h"

namespace prunesim::workloads {

namespace {
// Pre-LN when the first layer's ln1 comes before its QKV projection (a model file may place the norms
// either way; without ops to tell, the family's: BERT post, the others pre).
bool norms_before_sublayers(const Trace& t) {
  for (const Op& op : t.ops) {
    if (op.role == OpRole::Ln1) return true;
    if (op.role == OpRole::AttnQkv) return false;
  }
  return t.shape().family != "encoder";
}
}  // namespace

namespace {

std::string layer_prefix(int l) {
  return "L" + std::to_string(l) + ".";
}

bool counts_only(const Matrix& m) {
  return m.format != StorageFormat::Dense && !m.mask.has_bitmap;
}

// Which blocks a counts-only mask (unstructured, N:M) keeps is not in the trace, only how many per block row:
// seeded weights place that many, chosen uniformly without replacement.
std::vector<uint8_t> place_counts(const Matrix& m, Rng& rng) {
  const BlockMask& k = m.mask;
  std::vector<uint8_t> keep(size_t(k.grid_rows) * k.grid_cols, 0);
  std::vector<uint32_t> cols(k.grid_cols);
  for (uint32_t br = 0; br < k.grid_rows; ++br) {
    for (uint32_t c = 0; c < k.grid_cols; ++c) cols[c] = c;
    const uint32_t n = std::min(k.kept_per_row.at(br), k.grid_cols);
    for (uint32_t i = 0; i < n; ++i) {
      std::swap(cols[i], cols[i + rng.below(k.grid_cols - i)]);
      keep[size_t(br) * k.grid_cols + cols[i]] = 1;
    }
  }
  return keep;
}

bool kept(const Matrix& m, uint32_t r, uint32_t c) {
  return m.format == StorageFormat::Dense || !m.mask.has_bitmap ||
         m.mask.kept(r / m.mask.block_rows, c / m.mask.block_cols);
}

// Transformer matrices and vectors under their file names, for reading and writing alike.
// `matrix(name, m)` for each weight matrix, then `vector(name, v, length)` for its bias (length: the matrix's
// rows, known once the matrix is) and for the layernorm parameters (length d_model). `Weights` is
// ModelWeights or const ModelWeights.
template <class Weights, class OnMatrix, class OnVector>
void each_transformer_tensor(Weights& w, OnMatrix&& matrix, OnVector&& vector) {
  for (size_t l = 0; l < w.layers.size(); ++l) {
    auto& L = w.layers[l];
    const std::string p = layer_prefix(int(l));
    for (auto [name, m, b] :
         {std::make_tuple("qkv", &L.qkv, &L.qkv_b), std::make_tuple("proj", &L.proj, &L.proj_b),
          std::make_tuple("fc1", &L.fc1, &L.fc1_b), std::make_tuple("fc2", &L.fc2, &L.fc2_b)}) {
      matrix(p + name, *m);
      vector(p + name + ".bias", *b, m->rows());
    }
    const Eigen::Index d = Eigen::Index(w.spec.d_model);
    vector(p + "ln1.weight", L.ln1_g, d), vector(p + "ln1.bias", L.ln1_b, d);
    vector(p + "ln2.weight", L.ln2_g, d), vector(p + "ln2.bias", L.ln2_b, d);
  }
}

}  // namespace

TraceShape covered_shape(const Trace& t) {
  const TraceShape s = t.shape();
  if (s.family == "gru") {
    if (!s.gru_hidden) throw InputError("the GRU trace has no matrix L0.w_ih");
    return s;
  }
  if (s.family != "vision" && s.family != "encoder" && s.family != "decoder")
    throw InputError("functional mode does not know the trace family '" + s.family + "'");
  if (!s.heads || !s.d_model || !s.seq) throw InputError("the trace has no transformer layer");
  return s;
}

TraceWeights seeded_trace_weights(const Trace& t, uint64_t seed) {
  const TraceShape s = covered_shape(t);
  TraceWeights w;
  Rng rng(seed);
  auto matrix = [&](const std::string& name) {
    const Matrix& m = t.matrix(name);
    const std::vector<uint8_t> placed = counts_only(m) ? place_counts(m, rng) : std::vector<uint8_t>{};
    RowMat v(m.rows, m.cols);
    // Uniform with variance 1/cols (as N(0, 1/cols), at a fraction of the cost), drawn for kept weights only.
    const double half_width = std::sqrt(3.0 / double(m.cols));
    for (uint32_t r = 0; r < m.rows; ++r)
      for (uint32_t c = 0; c < m.cols; ++c) {
        const bool keep =
            placed.empty()
                ? kept(m, r, c)
                : placed[size_t(r / m.mask.block_rows) * m.mask.grid_cols + c / m.mask.block_cols] != 0;
        v(r, c) = keep ? float((2 * rng.uniform01() - 1) * half_width) : 0.0f;
      }
    return v;
  };
  auto vec = [&](Eigen::Index n, double mean, double sd) {
    Vec v(n);
    for (Eigen::Index i = 0; i < n; ++i) v(i) = float(mean + sd * rng.normal());
    return v;
  };
  if (s.family == "gru") {
    for (uint32_t l = 0; l < s.layers; ++l) {
      GruLayerWeights L;
      L.w_ih = matrix(layer_prefix(int(l)) + "w_ih");
      L.w_hh = matrix(layer_prefix(int(l)) + "w_hh");
      L.b_ih = vec(L.w_ih.rows(), 0, 0.05);
      L.b_hh = vec(L.w_hh.rows(), 0, 0.05);
      w.gru.push_back(std::move(L));
    }
    return w;
  }
  ModelWeights& m = w.transformer;
  m.spec.heads = s.heads;
  m.spec.head_dim = s.head_dim;
  m.spec.d_model = s.d_model;
  m.spec.layers = s.layers;
  m.pre_ln = norms_before_sublayers(t);
  m.causal = s.family == "decoder";
  m.gelu_tanh = s.family == "decoder";
  m.rms_norm = s.rms_norm;
  m.ln_eps = 1e-5f;
  for (uint32_t l = 0; l < s.layers; ++l) {
    LayerWeights L;
    const std::string p = layer_prefix(int(l));
    L.qkv = matrix(p + "qkv"), L.proj = matrix(p + "proj"), L.fc1 = matrix(p + "fc1"),
    L.fc2 = matrix(p + "fc2");
    L.qkv_b = vec(L.qkv.rows(), 0, 0.02), L.proj_b = vec(L.proj.rows(), 0, 0.02);
    L.fc1_b = vec(L.fc1.rows(), 0, 0.02), L.fc2_b = vec(L.fc2.rows(), 0, 0.02);
    L.ln1_g = vec(s.d_model, 1, 0.1), L.ln1_b = vec(s.d_model, 0, 0.1);
    L.ln2_g = vec(s.d_model, 1, 0.1), L.ln2_b = vec(s.d_model, 0, 0.1);
    m.layers.push_back(std::move(L));
  }
  return w;
}

TraceWeights read_trace_weights(const Trace& t, const std::string& path) {
  const TraceShape s = covered_shape(t);
  const SafetensorsFile f = SafetensorsFile::open(path);
  auto tensor = [&](const std::string& name, Eigen::Index rows, Eigen::Index cols) {
    if (!f.has(name)) throw InputError(path + ": tensor '" + name + "' is missing");
    const TensorInfo& info = f.info(name);
    const bool is_vector = cols < 0;
    const std::vector<int64_t> want =
        is_vector ? std::vector<int64_t>{rows} : std::vector<int64_t>{rows, cols};
    if (info.shape != want)
      throw InputError(path + ": tensor '" + name + "' has the wrong shape for this trace (expected [" +
                       std::to_string(rows) + (is_vector ? "" : ", " + std::to_string(cols)) + "])");
    return f.floats(name);
  };
  auto matrix = [&](const std::string& name) {
    const Matrix& m = t.matrix(name);
    const std::vector<float> v = tensor(name, m.rows, m.cols);
    RowMat out = Eigen::Map<const RowMat>(v.data(), m.rows, m.cols);
    for (uint32_t r = 0; r < m.rows; ++r)
      for (uint32_t c = 0; c < m.cols; ++c)
        if (!kept(m, r, c) && out(r, c) != 0.0f)
          throw InputError(path + ": tensor '" + name + "' is not zero at (" + std::to_string(r) + ", " +
                           std::to_string(c) +
                           ") where the trace's mask drops the block: not this trace's weights");
    if (counts_only(m)) {  // no more non-zero blocks per block row than the trace keeps
      for (uint32_t br = 0; br < m.mask.grid_rows; ++br) {
        uint32_t nonzero = 0;
        for (uint32_t bc = 0; bc < m.mask.grid_cols; ++bc)
          nonzero += out.block(br * m.mask.block_rows, bc * m.mask.block_cols,
                               std::min(m.mask.block_rows, m.rows - br * m.mask.block_rows),
                               std::min(m.mask.block_cols, m.cols - bc * m.mask.block_cols))
                         .any();
        if (nonzero > m.mask.kept_per_row.at(br))
          throw InputError(path + ": tensor '" + name + "' has " + std::to_string(nonzero) +
                           " non-zero blocks in block row " + std::to_string(br) + ", the trace keeps " +
                           std::to_string(m.mask.kept_per_row.at(br)) + ": not this trace's weights");
      }
    }
    return out;
  };
  auto vec = [&](const std::string& name, Eigen::Index n) {
    const std::vector<float> v = tensor(name, n, -1);
    return Vec(Eigen::Map<const Vec>(v.data(), n));
  };
  TraceWeights w;
  if (s.family == "gru") {
    for (uint32_t l = 0; l < s.layers; ++l) {
      GruLayerWeights L;
      const std::string p = layer_prefix(int(l));
      L.w_ih = matrix(p + "w_ih"), L.w_hh = matrix(p + "w_hh");
      L.b_ih = vec(p + "w_ih.bias", L.w_ih.rows()), L.b_hh = vec(p + "w_hh.bias", L.w_hh.rows());
      w.gru.push_back(std::move(L));
    }
    return w;
  }
  ModelWeights& m = w.transformer;
  m.spec.heads = s.heads, m.spec.head_dim = s.head_dim, m.spec.d_model = s.d_model, m.spec.layers = s.layers;
  m.pre_ln = norms_before_sublayers(t);
  m.causal = s.family == "decoder";
  m.gelu_tanh = s.family == "decoder";
  m.rms_norm = s.rms_norm;
  m.ln_eps = f.has("ln_eps") ? vec("ln_eps", 1)(0) : 1e-5f;
  m.layers.resize(s.layers);
  each_transformer_tensor(
      m, [&](const std::string& name, RowMat& mat) { mat = matrix(name); },
      [&](const std::string& name, Vec& v, Eigen::Index n) { v = vec(name, n); });
  m.source = path;
  return w;
}

void write_trace_weights(const std::string& path, const Trace& t, const TraceWeights& w) {
  std::vector<NamedTensor> out;
  auto add_matrix = [&](const std::string& name, const RowMat& m) {
    out.push_back({name, {m.rows(), m.cols()}, std::vector<float>(m.data(), m.data() + m.size())});
  };
  auto add_vec = [&](const std::string& name, const Vec& v) {
    out.push_back({name, {v.size()}, std::vector<float>(v.data(), v.data() + v.size())});
  };
  if (covered_shape(t).family == "gru") {
    for (size_t l = 0; l < w.gru.size(); ++l) {
      const std::string p = layer_prefix(int(l));
      add_matrix(p + "w_ih", w.gru[l].w_ih), add_vec(p + "w_ih.bias", w.gru[l].b_ih);
      add_matrix(p + "w_hh", w.gru[l].w_hh), add_vec(p + "w_hh.bias", w.gru[l].b_hh);
    }
  } else {
    add_vec("ln_eps", Vec::Constant(1, w.transformer.ln_eps));
    each_transformer_tensor(w.transformer, add_matrix,
                            [&](const std::string& name, const Vec& v, Eigen::Index) { add_vec(name, v); });
  }
  write_safetensors(path, out);
}

}  // namespace prunesim::workloads
