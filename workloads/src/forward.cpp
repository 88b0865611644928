#include "prunesim/workloads/forward.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "prunesim/common/error.h"
#include "prunesim/workloads/rng.h"
#include "prunesim/workloads/safetensors.h"

namespace prunesim::workloads {

namespace {

RowMat rms_norm(const RowMat& x, const Vec& g, float eps) {
  RowMat y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r)
    y.row(r) = (x.row(r).array() / std::sqrt(x.row(r).array().square().mean() + eps))
                   .matrix()
                   .cwiseProduct(g.transpose());
  return y;
}

RowMat layer_norm(const RowMat& x, const Vec& g, const Vec& b, float eps) {
  RowMat y(x.rows(), x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    const float var = (x.row(r).array() - mean).square().mean();
    y.row(r) = ((x.row(r).array() - mean) / std::sqrt(var + eps)).matrix().cwiseProduct(g.transpose()) +
               b.transpose();
  }
  return y;
}

// The model's normalisation layer.
RowMat norm(const ModelWeights& w, const RowMat& x, const Vec& g, const Vec& b) {
  return w.rms_norm ? rms_norm(x, g, w.ln_eps) : layer_norm(x, g, b, w.ln_eps);
}

// Symmetric per-tensor quantize-dequantize of activations at `bits` (dynamic scale: max |x|); 16 and more
// exact.
RowMat quantize_activations(const RowMat& x, int bits) {
  if (bits >= 16 || x.size() == 0) return x;
  const float maxabs = x.cwiseAbs().maxCoeff();
  if (maxabs == 0) return x;
  const float qmax = float((1 << (bits - 1)) - 1), scale = maxabs / qmax;
  return x.unaryExpr([&](float v) { return std::clamp(std::round(v / scale), -qmax, qmax) * scale; });
}

// A linear layer: its input quantized to the model's activation width, then X W^T + b.
RowMat linear(const ModelWeights& m, const RowMat& x, const RowMat& w, const Vec& b) {
  RowMat y = quantize_activations(x, m.act_bits) * w.transpose();
  y.rowwise() += b.transpose();
  return y;
}

float gelu(float v, bool tanh_approx) {
  if (tanh_approx) return 0.5f * v * (1.0f + std::tanh(0.7978845608f * (v + 0.044715f * v * v * v)));
  return 0.5f * v * (1.0f + std::erf(v * 0.7071067812f));
}

// Multi-head attention; also returns the class token's attention to every token, averaged over heads.
RowMat attention(const ModelWeights& w, const LayerWeights& L, const RowMat& h, Vec& cls_attention, int layer,
                 const ActivationObserver& observe) {
  const Eigen::Index n = h.rows(), A = L.proj.cols(), H = w.spec.heads, hd = A / H;
  const RowMat qkv = linear(w, h, L.qkv, L.qkv_b);
  if (observe) observe(layer, "qkv", qkv);
  RowMat out(n, A);
  cls_attention = Vec::Zero(n);
  const float scale = 1.0f / std::sqrt(float(hd));
  for (Eigen::Index head = 0; head < H; ++head) {
    const auto q = qkv.middleCols(head * hd, hd);
    const auto k = qkv.middleCols(A + head * hd, hd);
    const auto v = qkv.middleCols(2 * A + head * hd, hd);
    RowMat s = (q * k.transpose()) * scale;
    if (w.causal)
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = i + 1; j < n; ++j) s(i, j) = -INFINITY;
    for (Eigen::Index i = 0; i < n; ++i) {
      const float mx = s.row(i).maxCoeff();
      s.row(i) = (s.row(i).array() - mx).exp();
      s.row(i) /= s.row(i).sum();
    }
    cls_attention += s.row(0).transpose() / float(H);
    out.middleCols(head * hd, hd) = s * v;
  }
  if (observe) observe(layer, "att", out);
  RowMat y = linear(w, out, L.proj, L.proj_b);
  if (observe) observe(layer, "proj", y);
  return y;
}

RowMat mlp(const ModelWeights& w, const LayerWeights& L, const RowMat& h, int layer,
           const ActivationObserver& observe) {
  RowMat a = linear(w, h, L.fc1, L.fc1_b);
  if (observe) observe(layer, "fc1", a);
  a = a.unaryExpr([&w](float v) { return gelu(v, w.gelu_tanh); });
  if (observe) observe(layer, "gelu", a);
  RowMat y = linear(w, a, L.fc2, L.fc2_b);
  if (observe) observe(layer, "fc2", y);
  return y;
}

// EViT: keep the class token, the top-k tokens by class attention (in their original order) and one token
// fusing the dropped ones weighted by their attention.
RowMat evit(const RowMat& x, const Vec& cls_attention, const TokenPolicy& p, size_t step) {
  const uint32_t n = uint32_t(x.rows());
  if (n <= 2) return x;
  uint32_t k = uint32_t(std::ceil(double(n - 1) * p.keep - 1e-9));
  if (step < p.kept_tokens.size()) {
    const uint32_t total = p.kept_tokens[step];
    if (total >= n) return x;
    k = total - 1 - (p.fused && total >= 3 ? 1 : 0);
  } else if (p.mode == TokenPolicy::Mode::Threshold) {
    // Dynamic: the tokens that draw at least `threshold` times the mean class attention (at least one).
    const double mean = double(cls_attention.tail(n - 1).sum()) / double(n - 1);
    k = 0;
    for (uint32_t i = 1; i < n; ++i) k += double(cls_attention(i)) >= p.threshold * mean;
    k = std::max<uint32_t>(k, 1);
  }
  const uint32_t total = std::min(n, k + 1 + (p.fused && k < n - 1 ? 1u : 0u));
  if (total >= n) return x;
  std::vector<uint32_t> idx(n - 1);
  std::iota(idx.begin(), idx.end(), 1);
  std::stable_sort(idx.begin(), idx.end(),
                   [&](uint32_t a, uint32_t b) { return cls_attention(a) > cls_attention(b); });
  std::vector<uint32_t> kept(idx.begin(), idx.begin() + k);
  std::sort(kept.begin(), kept.end());
  RowMat y(total, x.cols());
  y.row(0) = x.row(0);
  for (uint32_t i = 0; i < k; ++i) y.row(1 + i) = x.row(kept[i]);
  if (total == k + 2) {
    Eigen::RowVectorXf fused = Eigen::RowVectorXf::Zero(x.cols());
    float weight = 0;
    for (uint32_t i = k; i < idx.size(); ++i) {
      fused += cls_attention(idx[i]) * x.row(idx[i]);
      weight += cls_attention(idx[i]);
    }
    y.row(k + 1) = weight > 0 ? Eigen::RowVectorXf(fused / weight) : fused;
  }
  return y;
}

}  // namespace

ForwardResult forward(const ModelWeights& w, const RowMat& input, const TokenPolicy& tokens,
                      const ActivationObserver& observe) {
  ForwardResult r;
  RowMat x = input;
  Vec cls;
  // The residual stream after an add and after a layernorm, seen by the observer.
  auto residual = [&](int l, const char* point, const RowMat& v) {
    if (observe) observe(l, point, v);
    return v;
  };
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    const int li = int(l);
    if (w.pre_ln) {
      x = residual(li, "res1",
                   x + attention(w, L, residual(li, "ln1", norm(w, x, L.ln1_g, L.ln1_b)), cls, li, observe));
    } else {
      x = residual(li, "ln1",
                   norm(w, residual(li, "res1", x + attention(w, L, x, cls, li, observe)), L.ln1_g, L.ln1_b));
    }
    if (tokens.active() &&
        std::find(tokens.layers.begin(), tokens.layers.end(), int(l)) != tokens.layers.end()) {
      r.tokens_in.push_back(uint32_t(x.rows()));
      x = evit(x, cls, tokens, r.tokens_in.size() - 1);
      r.tokens_kept.push_back(uint32_t(x.rows()));
    }
    if (w.pre_ln) {
      x = residual(li, "res2", x + mlp(w, L, residual(li, "ln2", norm(w, x, L.ln2_g, L.ln2_b)), li, observe));
    } else {
      x = residual(li, "ln2", norm(w, residual(li, "res2", x + mlp(w, L, x, li, observe)), L.ln2_g, L.ln2_b));
    }
  }
  r.out = std::move(x);
  return r;
}

RowMat gru_forward(const std::vector<GruLayerWeights>& layers, const RowMat& x, const GruObserver& observe) {
  RowMat in = x;
  for (size_t l = 0; l < layers.size(); ++l) {
    const GruLayerWeights& L = layers[l];
    const Eigen::Index H = L.w_hh.cols();
    RowMat out(in.rows(), H);
    Eigen::VectorXf h = Eigen::VectorXf::Zero(H);
    for (Eigen::Index t = 0; t < in.rows(); ++t) {
      const Eigen::VectorXf gi = L.w_ih * in.row(t).transpose() + L.b_ih;
      const Eigen::VectorXf gh = L.w_hh * h + L.b_hh;
      const auto sigmoid = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
      const Eigen::VectorXf r = (gi.head(H) + gh.head(H)).unaryExpr(sigmoid);
      const Eigen::VectorXf z = (gi.segment(H, H) + gh.segment(H, H)).unaryExpr(sigmoid);
      const Eigen::VectorXf pre_n = gi.tail(H) + r.cwiseProduct(gh.tail(H));
      const Eigen::VectorXf n = pre_n.unaryExpr([](float v) { return std::tanh(v); });
      if (observe) {
        const int li = int(l);
        observe(li, "gi", gi), observe(li, "gh", gh);
        observe(li, "pre_r", gi.head(H) + gh.head(H)),
            observe(li, "pre_z", gi.segment(H, H) + gh.segment(H, H));
        observe(li, "pre_n", pre_n);
      }
      h = (Eigen::VectorXf::Ones(H) - z).cwiseProduct(n) + z.cwiseProduct(h);
      out.row(t) = h.transpose();
    }
    in = std::move(out);
  }
  return in;
}

std::vector<RowMat> seeded_inputs(uint32_t count, Eigen::Index tokens, Eigen::Index d_model, uint64_t seed) {
  Rng rng(seed);
  std::vector<RowMat> xs;
  for (uint32_t i = 0; i < count; ++i) {
    RowMat x(tokens, d_model);
    for (Eigen::Index r = 0; r < tokens; ++r)
      for (Eigen::Index c = 0; c < d_model; ++c) x(r, c) = float(rng.normal());
    xs.push_back(std::move(x));
  }
  return xs;
}

std::vector<RowMat> read_inputs(const std::string& path, Eigen::Index tokens, Eigen::Index d_model) {
  const SafetensorsFile f = SafetensorsFile::open(path);
  const TensorInfo& info = f.info("inputs");
  std::vector<int64_t> s = info.shape;
  if (s.size() == 2) s.insert(s.begin(), 1);
  if (s.size() != 3 || s[1] != tokens || s[2] != d_model)
    throw InputError(path + ": tensor 'inputs' must have shape [N, " + std::to_string(tokens) + ", " +
                     std::to_string(d_model) + "] (samples, tokens, hidden size)");
  const std::vector<float> v = f.floats("inputs");
  std::vector<RowMat> xs;
  for (int64_t i = 0; i < s[0]; ++i)
    xs.push_back(Eigen::Map<const RowMat>(v.data() + i * tokens * d_model, tokens, d_model));
  if (xs.empty()) throw InputError(path + ": tensor 'inputs' holds no sample");
  return xs;
}

Fidelity measure_fidelity(const ModelWeights& dense, const ModelWeights& pruned, const TokenPolicy& tokens,
                          uint32_t inputs, uint64_t seed) {
  const uint32_t width = dense.gru.empty() ? dense.spec.d_model : dense.spec.gru_input;
  return measure_fidelity(dense, pruned, tokens, seeded_inputs(inputs, dense.spec.seq, width, seed));
}

Fidelity measure_fidelity(const ModelWeights& dense, const ModelWeights& pruned, const TokenPolicy& tokens,
                          const std::vector<RowMat>& xs) {
  Fidelity f;
  f.inputs = uint32_t(xs.size());
  double err2 = 0, ref2 = 0;
  uint32_t agree = 0;
  const bool gru = !dense.gru.empty();
  for (const RowMat& x : xs) {
    // GRUs run the sequence and read the last step's hidden state, as decoders read the last token.
    const RowMat yd = gru ? gru_forward(dense.gru, x) : forward(dense, x, TokenPolicy{}).out;
    const RowMat yp = gru ? gru_forward(pruned.gru, x) : forward(pruned, x, tokens).out;
    const bool last = gru || dense.causal;
    const Eigen::RowVectorXf rd = last ? yd.row(yd.rows() - 1) : yd.row(0);
    const Eigen::RowVectorXf rp = last ? yp.row(yp.rows() - 1) : yp.row(0);
    // NaN or Inf weights once gave a relative error of 0 and full agreement: no figure is better than that.
    if (!rd.allFinite())
      throw InputError(dense.source +
                       ": the dense model's output is not finite on the fidelity inputs (the "
                       "weights hold NaN or Inf, or overflow float)");
    if (!rp.allFinite())
      throw InputError(dense.source + ": the pruned model's output is not finite on the fidelity inputs");
    err2 += double((rd - rp).squaredNorm());
    ref2 += double(rd.squaredNorm());
    Eigen::Index ad, ap;
    rd.maxCoeff(&ad);
    rp.maxCoeff(&ap);
    agree += ad == ap;
  }
  f.rel_error = ref2 > 0 ? std::sqrt(err2 / ref2) : 0.0;
  f.top1_agreement = xs.empty() ? 1.0 : double(agree) / double(xs.size());
  return f;
}

}  // namespace prunesim::workloads
