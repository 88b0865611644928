#include "prunesim/workloads/quant_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "prunesim/common/error.h"
#include "prunesim/hls/gru_cell.h"
#include "prunesim/hls/nonlinear.h"

namespace prunesim::workloads {

namespace {

using hls::div_round;
using hls::FixedMul;
using hls::sat8;
using hls::scale_round;

constexpr float kActMax = 127.0f;  // symmetric int8 activations

float scale_of(float maxabs) {
  return maxabs > 0 ? maxabs / kActMax : 1.0f;
}

int32_t to_int32(double v) {
  const double lo = double(std::numeric_limits<int32_t>::min()),
               hi = double(std::numeric_limits<int32_t>::max());
  return int32_t(std::llround(std::clamp(v, lo, hi)));
}

// Largest |x| seen per (layer, tensor) over the calibration inputs.
struct Calibration {
  std::map<std::pair<int, std::string>, float> max;
  void see(int l, const std::string& p, float v) {
    float& m = max[{l, p}];
    m = std::max(m, v);
  }
  float scale(int l, const std::string& p) const {
    const auto it = max.find({l, p});
    return scale_of(it == max.end() ? 0.0f : it->second);
  }
};

// `out_scale(row)`: the scale of the output channel's tensor (query, key and value differ inside qkv).
template <class OutScale>
QuantLinear quant_linear(const RowMat& w, const Vec& b, int bits, bool per_channel, float s_in,
                         OutScale out_scale) {
  const float qmax = float((1 << (bits - 1)) - 1);
  QuantLinear q;
  q.w.resize(w.rows(), w.cols());
  q.bias.resize(size_t(w.rows()));
  q.to_out.resize(size_t(w.rows()));
  const float tensor_max = w.size() ? w.cwiseAbs().maxCoeff() : 0.0f;
  for (Eigen::Index r = 0; r < w.rows(); ++r) {
    const float mx = per_channel ? (w.cols() ? w.row(r).cwiseAbs().maxCoeff() : 0.0f) : tensor_max;
    const float sw = mx > 0 ? mx / qmax : 1.0f;
    for (Eigen::Index c = 0; c < w.cols(); ++c)
      q.w(r, c) = int8_t(std::clamp(std::round(w(r, c) / sw), -qmax, qmax));
    q.bias[size_t(r)] = to_int32(double(b(r)) / (double(s_in) * double(sw)));
    q.to_out[size_t(r)] = fixed_mul(double(s_in) * double(sw) / double(out_scale(r)));
  }
  return q;
}

QuantNorm quant_norm(const Vec& g, const Vec& b, float s_in, float s_out, float eps) {
  QuantNorm q;
  const double one = double(int64_t(1) << hls::kLnFrac), n = double(g.size());
  for (Eigen::Index j = 0; j < g.size(); ++j) {
    q.gamma.push_back(to_int32(double(g(j)) / double(s_out) * one));
    q.beta.push_back(to_int32(double(b(j)) / double(s_out) * one));
  }
  q.eps = std::llround(double(eps) * n * n / (double(s_in) * double(s_in)));
  return q;
}

// A factor that brings an operand into another scale, with hls::kResidualShift fraction bits.
int32_t residual_factor(double ratio) {
  return to_int32(ratio * double(int64_t(1) << hls::kResidualShift));
}

QuantResidual quant_residual(float s_a, float s_b, float s_out) {
  return {residual_factor(double(s_a) / double(s_out)), residual_factor(double(s_b) / double(s_out))};
}

// An int8 -> int8 table: entry v + 128 is round(f(v s_in)), saturated; f gives the result in output units.
template <class F>
std::array<int8_t, 256> int8_table(float s_in, F&& f) {
  std::array<int8_t, 256> t{};
  for (int v = -128; v < 128; ++v) t[size_t(v + 128)] = sat8(std::lround(f(float(v) * s_in)));
  return t;
}

// ---- the reference forward pass: whole tensors, Eigen integer products ----

// a * b of int8 / int16 operands, exactly: computed in double, whose 53-bit mantissa holds every partial sum
// (at most 4096 x 32767 x 127 < 2^34 in magnitude) without rounding; Eigen's vectorized double product is far
// faster than its scalar integer one.
template <class A, class B>
Int64Mat int_product(const A& a, const B& b) {
  return (a.template cast<double>() * b.template cast<double>()).template cast<int64_t>();
}

Int8Mat linear_int(const Int8Mat& x, const QuantLinear& L) {
  const Int64Mat acc = int_product(x, L.w.transpose());
  Int8Mat y(acc.rows(), acc.cols());
  for (Eigen::Index r = 0; r < acc.rows(); ++r)
    for (Eigen::Index c = 0; c < acc.cols(); ++c)
      y(r, c) = sat8(scale_round(acc(r, c) + L.bias[size_t(c)], L.to_out[size_t(c)]));
  return y;
}

Int8Mat layer_norm_int(const Int8Mat& x, const QuantNorm& N) {
  Int8Mat y(x.rows(), x.cols());
  const int64_t n = x.cols();
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const auto row = x.row(r).cast<int64_t>();
    const int64_t sum = row.sum(), sq = row.array().square().sum();
    const int64_t sd = std::max<int64_t>(1, hls::isqrt64(uint64_t(n * sq - sum * sum + N.eps)));
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      const int64_t v = div_round((n * row(c) - sum) * N.gamma[size_t(c)], sd) + N.beta[size_t(c)];
      y(r, c) = sat8(div_round(v, int64_t(1) << hls::kLnFrac));
    }
  }
  return y;
}

Int8Mat residual_int(const Int8Mat& a, const Int8Mat& b, const QuantResidual& R) {
  const Eigen::Array<int64_t, Eigen::Dynamic, Eigen::Dynamic> v = a.cast<int64_t>().array() * int64_t(R.a) +
                                                                  b.cast<int64_t>().array() * int64_t(R.b) +
                                                                  (int64_t(1) << (hls::kResidualShift - 1));
  return v.unaryExpr([](int64_t e) { return sat8(e >> hls::kResidualShift); }).matrix();
}

// Multi-head attention with integer softmax; `cls` gets the class token's probabilities summed over heads.
Int8Mat attention_int(const QuantModel& q, const QuantLayer& L, const Int8Mat& h, Eigen::VectorXi& cls) {
  const Int8Mat qkv = linear_int(h, L.qkv);
  const Eigen::Index n = h.rows(), hd = q.head_dim, A = Eigen::Index(q.heads) * hd;
  Int8Mat att(n, A);
  cls = Eigen::VectorXi::Zero(n);
  for (Eigen::Index head = 0; head < Eigen::Index(q.heads); ++head) {
    const Int64Mat s =
        int_product(qkv.middleCols(head * hd, hd), qkv.middleCols(A + head * hd, hd).transpose());
    Int32Mat p = Int32Mat::Zero(n, n);
    for (Eigen::Index i = 0; i < n; ++i) {
      const Eigen::Index valid = q.causal ? i + 1 : n;
      const int64_t mx = s.row(i).head(valid).maxCoeff();
      std::vector<int64_t> e(static_cast<size_t>(valid));
      int64_t sum = 0;
      for (Eigen::Index j = 0; j < valid; ++j) {
        const int64_t idx = scale_round(mx - s(i, j), L.softmax_index);
        e[size_t(j)] = idx < hls::kExpTable ? q.exp_table[size_t(idx)] : 0;
        sum += e[size_t(j)];
      }
      for (Eigen::Index j = 0; j < valid; ++j) p(i, j) = int32_t((e[size_t(j)] * q.prob_one + sum / 2) / sum);
    }
    cls += p.row(0).cast<int>().transpose();
    const Int64Mat acc = int_product(p, qkv.middleCols(2 * A + head * hd, hd));
    att.middleCols(head * hd, hd) = acc.unaryExpr(
        [&](int64_t v) { return sat8(scale_round(div_round(v, int64_t(1) << L.av_pre_shift), L.av_out)); });
  }
  return linear_int(att, L.proj);
}

// EViT on integer scores: the top k by summed class probability (ties to the lower index), in order, and
// the dropped tokens fused with their scores as weights.
Int8Mat evit_int(const Int8Mat& x, const Eigen::VectorXi& cls, const TokenPolicy& p, size_t step) {
  const uint32_t n = uint32_t(x.rows());
  if (n <= 2) return x;
  uint32_t k = uint32_t(std::ceil(double(n - 1) * p.keep - 1e-9));
  if (step < p.kept_tokens.size()) {
    const uint32_t want = p.kept_tokens[step];
    if (want >= n) return x;
    k = want - 1 - (p.fused && want >= 3 ? 1 : 0);
  }
  const uint32_t total = std::min(n, k + 1 + (p.fused && k < n - 1 ? 1u : 0u));
  if (total >= n) return x;
  std::vector<uint32_t> idx(n - 1);
  std::iota(idx.begin(), idx.end(), 1);
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return cls(a) > cls(b); });
  std::vector<uint32_t> kept(idx.begin(), idx.begin() + k);
  std::sort(kept.begin(), kept.end());
  Int8Mat y(total, x.cols());
  y.row(0) = x.row(0);
  for (uint32_t i = 0; i < k; ++i) y.row(1 + i) = x.row(kept[i]);
  if (total == k + 2) {
    int64_t den = 0;
    Eigen::Matrix<int64_t, 1, Eigen::Dynamic> num = Eigen::Matrix<int64_t, 1, Eigen::Dynamic>::Zero(x.cols());
    for (uint32_t i = k; i < idx.size(); ++i) {
      num += int64_t(cls(idx[i])) * x.row(idx[i]).cast<int64_t>();
      den += cls(idx[i]);
    }
    for (Eigen::Index c = 0; c < x.cols(); ++c) y(k + 1, c) = den > 0 ? sat8(div_round(num(c), den)) : 0;
  }
  return y;
}

}  // namespace

FixedMul fixed_mul(double ratio) {
  if (!(ratio > 0)) return {};
  int e = 0;
  const double m = std::frexp(ratio, &e);  // ratio = m * 2^e, m in [0.5, 1)
  int64_t mult = std::llround(m * double(int64_t(1) << 31));
  if (mult == (int64_t(1) << 31)) mult /= 2, ++e;
  const int shift = 31 - e;
  if (shift > 62) return {};  // below 2^-31: nothing survives the rounding
  if (shift < 0) throw InputError("a requantization factor of " + std::to_string(ratio) + " is out of range");
  return {int32_t(mult), shift};
}

Int8Mat quantize_tensor(const RowMat& x, float scale) {
  return x.unaryExpr(
      [scale](float v) { return int8_t(std::clamp(std::round(v / scale), -kActMax, kActMax)); });
}

QuantModel quantize_model(const ModelWeights& w, const std::vector<RowMat>& inputs,
                          const std::vector<TokenPolicy>& policies, const QuantOptions& opt) {
  const uint32_t H = w.spec.heads, hd = w.spec.head_dim, A = H * hd;
  Calibration cal;
  float in_max = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in_max = std::max(in_max, inputs[i].size() ? inputs[i].cwiseAbs().maxCoeff() : 0.0f);
    forward(w, inputs[i], policies.at(i), [&](int l, const char* point, const RowMat& v) {
      if (std::string(point) == "qkv") {
        for (int part = 0; part < 3; ++part)
          cal.see(l, std::string(1, "qkv"[part]), v.middleCols(part * A, A).cwiseAbs().maxCoeff());
      } else if (v.size()) {
        cal.see(l, point, v.cwiseAbs().maxCoeff());
      }
    });
  }
  QuantModel q;
  q.heads = H, q.head_dim = hd, q.d_model = w.spec.d_model;
  q.pre_ln = w.pre_ln, q.causal = w.causal;
  q.in_scale = scale_of(in_max);
  if (opt.prob_bits != 8 && opt.prob_bits != 16)
    throw InputError("the integer datapath keeps softmax at 8 or 16 bits, not " +
                     std::to_string(opt.prob_bits));
  q.prob_one = opt.prob_bits == 16 ? hls::kProbOne16 : hls::kProbOne;
  for (int i = 0; i < hls::kExpTable; ++i)
    q.exp_table[size_t(i)] =
        uint16_t(std::lround(std::exp(-double(i) / hls::kExpStepsPerUnit) * double(1 << hls::kExpBits)));
  auto bits = [&](const std::string& name) {
    const auto it = opt.wbits.find(name);
    return it == opt.wbits.end() ? 8 : it->second;
  };
  float s_x = q.in_scale;  // the layer input's scale
  for (size_t li = 0; li < w.layers.size(); ++li) {
    const LayerWeights& L = w.layers[li];
    const int l = int(li);
    const std::string p = "L" + std::to_string(l) + ".";
    const float s_q = cal.scale(l, "q"), s_k = cal.scale(l, "k"), s_v = cal.scale(l, "v");
    const float s_att = cal.scale(l, "att"), s_proj = cal.scale(l, "proj"), s_res1 = cal.scale(l, "res1");
    const float s_ln1 = cal.scale(l, "ln1"), s_ln2 = cal.scale(l, "ln2"), s_fc1 = cal.scale(l, "fc1");
    const float s_gelu = cal.scale(l, "gelu"), s_fc2 = cal.scale(l, "fc2"), s_res2 = cal.scale(l, "res2");
    QuantLayer Q;
    // Pre-LN: ln1(x) -> attention -> res1 = x + proj -> ln2 -> mlp -> res2 = res1 + fc2.
    // Post-LN: attention(x) -> res1 = x + proj -> ln1 -> mlp -> res2 = ln1 + fc2 -> ln2.
    const float qkv_in = w.pre_ln ? s_ln1 : s_x, fc1_in = w.pre_ln ? s_ln2 : s_ln1;
    Q.qkv = quant_linear(L.qkv, L.qkv_b, bits(p + "qkv"), opt.per_channel, qkv_in, [&](Eigen::Index r) {
      return r < A ? s_q : r < 2 * A ? s_k : s_v;
    });
    Q.proj = quant_linear(L.proj, L.proj_b, bits(p + "proj"), opt.per_channel, s_att,
                          [&](Eigen::Index) { return s_proj; });
    Q.fc1 = quant_linear(L.fc1, L.fc1_b, bits(p + "fc1"), opt.per_channel, fc1_in,
                         [&](Eigen::Index) { return s_fc1; });
    Q.fc2 = quant_linear(L.fc2, L.fc2_b, bits(p + "fc2"), opt.per_channel, s_gelu,
                         [&](Eigen::Index) { return s_fc2; });
    Q.softmax_index = fixed_mul(double(s_q) * double(s_k) / std::sqrt(double(hd)) * hls::kExpStepsPerUnit);
    // 16-bit probabilities: P V reaches 2^34; rounding it by 2^8 first keeps the requantization product in 64
    // bits.
    Q.av_pre_shift = opt.prob_bits == 16 ? 8 : 0;
    Q.av_out =
        fixed_mul(double(s_v) / double(q.prob_one) / double(s_att) * double(int64_t(1) << Q.av_pre_shift));
    Q.gelu =
        int8_table(s_fc1, [&](float v) { return (w.gelu_tanh ? hls::gelu_tanh(v) : hls::gelu(v)) / s_gelu; });
    Q.res1 = quant_residual(s_x, s_proj, s_res1);
    if (w.pre_ln) {
      Q.ln1 = quant_norm(L.ln1_g, L.ln1_b, s_x, s_ln1, w.ln_eps);
      Q.ln2 = quant_norm(L.ln2_g, L.ln2_b, s_res1, s_ln2, w.ln_eps);
      Q.res2 = quant_residual(s_res1, s_fc2, s_res2);
      s_x = s_res2;
    } else {
      Q.ln1 = quant_norm(L.ln1_g, L.ln1_b, s_res1, s_ln1, w.ln_eps);
      Q.res2 = quant_residual(s_ln1, s_fc2, s_res2);
      Q.ln2 = quant_norm(L.ln2_g, L.ln2_b, s_res2, s_ln2, w.ln_eps);
      s_x = s_ln2;
    }
    q.layers.push_back(std::move(Q));
  }
  q.out_scale = s_x;
  return q;
}

IntForwardResult forward_int(const QuantModel& q, const Int8Mat& input, const TokenPolicy& tokens) {
  IntForwardResult r;
  Int8Mat x = input;
  Eigen::VectorXi cls;
  for (size_t li = 0; li < q.layers.size(); ++li) {
    const QuantLayer& L = q.layers[li];
    if (q.pre_ln) {
      x = residual_int(x, attention_int(q, L, layer_norm_int(x, L.ln1), cls), L.res1);
    } else {
      x = layer_norm_int(residual_int(x, attention_int(q, L, x, cls), L.res1), L.ln1);
    }
    if (tokens.active() &&
        std::find(tokens.layers.begin(), tokens.layers.end(), int(li)) != tokens.layers.end()) {
      x = evit_int(x, cls, tokens, r.tokens_kept.size());
      r.tokens_kept.push_back(uint32_t(x.rows()));
    }
    const Int8Mat h = q.pre_ln ? layer_norm_int(x, L.ln2) : x;
    Int8Mat f = linear_int(h, L.fc1);
    f = f.unaryExpr([&](int8_t v) { return L.gelu[size_t(v + 128)]; });
    const Int8Mat y = residual_int(x, linear_int(f, L.fc2), L.res2);
    x = q.pre_ln ? y : layer_norm_int(y, L.ln2);
  }
  r.out = std::move(x);
  return r;
}

// ---- GRU ----

QuantGru quantize_gru(const std::vector<GruLayerWeights>& w, const std::vector<RowMat>& inputs,
                      const QuantOptions& opt) {
  Calibration cal;
  float in_max = 0;
  for (const RowMat& x : inputs) {
    in_max = std::max(in_max, x.size() ? x.cwiseAbs().maxCoeff() : 0.0f);
    gru_forward(w, x, [&](int l, const char* point, const Eigen::VectorXf& v) {
      const std::string p = point;
      if (p == "gi" || p == "gh") {
        const Eigen::Index H = v.size() / 3;
        for (int part = 0; part < 3; ++part)
          cal.see(l, p + "_" + "rzn"[part], v.segment(part * H, H).cwiseAbs().maxCoeff());
      } else {
        cal.see(l, p, v.cwiseAbs().maxCoeff());
      }
    });
  }
  QuantGru q;
  q.in_scale = scale_of(in_max);
  const float s_h = 1.0f / hls::kProbOne;
  auto bits = [&](const std::string& name) {
    const auto it = opt.wbits.find(name);
    return it == opt.wbits.end() ? 8 : it->second;
  };
  for (size_t li = 0; li < w.size(); ++li) {
    const int l = int(li);
    const std::string p = "L" + std::to_string(l) + ".";
    const Eigen::Index H = w[li].w_hh.cols();
    const float s_x = l == 0 ? q.in_scale : s_h;
    auto section = [&](const std::string& base) {
      return [&cal, l, H, base](Eigen::Index r) { return cal.scale(l, base + "_" + "rzn"[r / H]); };
    };
    QuantGruLayer Q;
    Q.ih = quant_linear(w[li].w_ih, w[li].b_ih, bits(p + "w_ih"), opt.per_channel, s_x, section("gi"));
    Q.hh = quant_linear(w[li].w_hh, w[li].b_hh, bits(p + "w_hh"), opt.per_channel, s_h, section("gh"));
    const float s_r = cal.scale(l, "pre_r"), s_z = cal.scale(l, "pre_z"), s_n = cal.scale(l, "pre_n");
    Q.r_i = residual_factor(cal.scale(l, "gi_r") / s_r), Q.r_h = residual_factor(cal.scale(l, "gh_r") / s_r);
    Q.z_i = residual_factor(cal.scale(l, "gi_z") / s_z), Q.z_h = residual_factor(cal.scale(l, "gh_z") / s_z);
    Q.n_i = residual_factor(cal.scale(l, "gi_n") / s_n);
    Q.n_h = residual_factor(cal.scale(l, "gh_n") / hls::kProbOne / s_n);  // r (1/127) times W h + b
    // Gate values lie in (-1, 1): tables out at scale 1/127.
    auto sigmoid = [](float v) { return hls::sigmoid(v) * hls::kProbOne; };
    Q.sigmoid_r = int8_table(s_r, sigmoid), Q.sigmoid_z = int8_table(s_z, sigmoid);
    Q.tanh_n = int8_table(s_n, [](float v) { return std::tanh(v) * hls::kProbOne; });
    q.layers.push_back(std::move(Q));
  }
  return q;
}

Int8Mat gru_forward_int(const QuantGru& q, const Int8Mat& x) {
  Int8Mat in = x;
  for (const QuantGruLayer& L : q.layers) {
    const Eigen::Index H = L.hh.w.cols();
    // The input side of every step at once; the recurrent side step by step.
    const Int8Mat gi = linear_int(in, L.ih);
    Int8Mat out(in.rows(), H);
    Int8Mat h = Int8Mat::Zero(1, H);
    for (Eigen::Index t = 0; t < in.rows(); ++t) {
      const Int8Mat gh = linear_int(h, L.hh);
      for (Eigen::Index j = 0; j < H; ++j) {
        auto sum = [](int64_t a, int64_t b) { return hls::gate_sum(a, b); };
        const int8_t r = L.sigmoid_r[size_t(sum(int64_t(gi(t, j)) * L.r_i, int64_t(gh(0, j)) * L.r_h) + 128)];
        const int8_t z =
            L.sigmoid_z[size_t(sum(int64_t(gi(t, H + j)) * L.z_i, int64_t(gh(0, H + j)) * L.z_h) + 128)];
        const int8_t n = L.tanh_n[size_t(
            sum(int64_t(gi(t, 2 * H + j)) * L.n_i, int64_t(r) * gh(0, 2 * H + j) * L.n_h) + 128)];
        out(t, j) = sat8(div_round(int64_t(hls::kProbOne - z) * n + int64_t(z) * h(0, j), hls::kProbOne));
      }
      h = out.row(t);
    }
    in = std::move(out);
  }
  return in;
}

}  // namespace prunesim::workloads
