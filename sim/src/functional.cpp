#include "prunesim/sim/functional.h"

#include "prunesim/models/param_fields.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "prunesim/common/error.h"
#include "prunesim/hls/gemm.h"
#include "prunesim/hls/gru_cell.h"
#include "prunesim/hls/gru_cell_int.h"
#include "prunesim/hls/nonlinear.h"
#include "prunesim/hls/nonlinear_int.h"
#include "prunesim/hls/topk.h"
#include "prunesim/workloads/forward.h"
#include "prunesim/workloads/quant_model.h"
#include "prunesim/workloads/trace_weights.h"

namespace prunesim::sim {

using models::FunctionalNumbers;
using models::WorkItem;
using workloads::Op;
using workloads::OpKind;
using workloads::OpRole;
using workloads::RowMat;
using workloads::Vec;

namespace {

// Static bounds of the kernel instances the functional mode calls.
constexpr int kMaxM = 256, kMaxK = 4096, kChunkN = 64, kMaxRow = 4096, kMaxTokens = 1024, kMaxHidden = 1024;

template <class T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class TI, class TW, class Acc>
struct DenseCfg {
  static const int max_m = kMaxM, max_k = kMaxK, max_n = kChunkN, R = 64, Cc = 64;
  using in_t = TI;
  using w_t = TW;
  using acc_t = Acc;
};
template <int B, class T, class Acc>
struct SparseCfg {
  static const int max_m = kMaxM, max_k = kMaxK, max_n = kChunkN, BH = B, BW = B,
                   max_blocks = (kChunkN / B) * (kMaxK / B);
  using in_t = T;
  using w_t = T;
  using acc_t = Acc;
};

// Kernel operands, allocated once per number types (the kernels take statically sized arrays).
template <class TI, class TW, class Acc>
struct GemmBuffers {
  TI x[kMaxM][kMaxK];
  TW w[kChunkN][kMaxK];
  Acc y[kMaxM][kChunkN];
};
template <class TI, class TW, class Acc>
GemmBuffers<TI, TW, Acc>& gemm_buffers() {
  static std::unique_ptr<GemmBuffers<TI, TW, Acc>> b = std::make_unique<GemmBuffers<TI, TW, Acc>>();
  return *b;
}

bool sparse_kernel_fits(const workloads::Matrix& m) {
  const uint32_t b = m.mask.block_rows;
  return m.format != workloads::StorageFormat::Dense && m.mask.has_bitmap && b == m.mask.block_cols &&
         (b == 8 || b == 16 || b == 32);
}

// y[:, out0 .. out0 + nout) = x W^T with the block-sparse kernel for block size B: only kept blocks are read.
template <int B, class T, class Acc>
void sparse_chunk(const workloads::Matrix& m, const Mat<T>& w, int rows_in, int k, int out0, int nout) {
  using Cfg = SparseCfg<B, T, Acc>;
  static std::unique_ptr<hls::BlockSparse<Cfg>> ws = std::make_unique<hls::BlockSparse<Cfg>>();
  GemmBuffers<T, T, Acc>& buf = gemm_buffers<T, T, Acc>();
  const int br0 = out0 / B, nbr = (nout + B - 1) / B;
  ws->block_rows = nbr;
  int s = 0;
  for (int b = 0; b < nbr; ++b) {
    ws->row_ptr[b] = s;
    for (uint32_t c = 0; c < m.mask.grid_cols; ++c) {
      if (!m.mask.kept(uint32_t(br0 + b), c)) continue;
      for (int r = 0; r < B; ++r)
        for (int cc = 0; cc < B; ++cc) {
          const int o = (br0 + b) * B + r, i = int(c) * B + cc;
          ws->val[s][r][cc] = o < int(w.rows()) && i < k ? w(o, i) : T(0);
        }
      ws->col[s++] = int(c);
    }
  }
  ws->row_ptr[nbr] = s;
  hls::gemm_block_sparse_tile<Cfg>(buf.x, *ws, buf.y, rows_in, k, nout);
}

// Rows of a captured GEMM tile: enough to exercise the fold loops, small enough for a testbench header.
constexpr int kCapturedRows = 8;

template <class TI, class TW, class Acc>
void record_gemm(KernelCalls* calls, const workloads::Matrix* m, const Mat<TW>& weights, bool sparse,
                 const std::string& where, int rows_in, int k, int o0, int nout) {
  const std::string name = sparse ? "gemm_sparse" : "gemm_dense";
  if (!calls || calls->count(name)) return;
  GemmBuffers<TI, TW, Acc>& buf = gemm_buffers<TI, TW, Acc>();
  KernelCall c;
  c.where = where;
  const int rows = std::min(rows_in, kCapturedRows);
  c.scalars = {{"m", rows}, {"k", k}, {"n", nout}};
  auto& x = c.arrays["x"];
  auto& y = c.arrays["y"];
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < k; ++i) x.push_back(double(buf.x[r][i]));
  for (int r = 0; r < rows; ++r)
    for (int o = 0; o < nout; ++o) y.push_back(double(buf.y[r][o]));
  // The weights as a dense matrix (a block-sparse tile's dropped blocks are zero in it).
  auto& w = c.arrays["w"];
  for (int o = 0; o < nout; ++o)
    for (int i = 0; i < k; ++i) w.push_back(double(weights(o0 + o, i)));
  if (sparse) {  // and the kept blocks of the chunk's block rows
    const uint32_t B = m->mask.block_rows, br0 = uint32_t(o0) / B, nbr = (uint32_t(nout) + B - 1) / B;
    c.scalars["bh"] = B, c.scalars["bw"] = m->mask.block_cols;
    auto& keep = c.arrays["keep"];
    for (uint32_t b = 0; b < nbr; ++b)
      for (uint32_t col = 0; col < m->mask.grid_cols; ++col) keep.push_back(m->mask.kept(br0 + b, col));
  }
  (*calls)[name] = std::move(c);
}

// Rows [first, first + count) of `in` times output rows [row0, row1) of the weight matrix, tile by tile
// through the dense or block-sparse kernel; `finish(row, col, acc)` stores each accumulator.
template <class TI, class Acc, class TW, class Finish>
void gemm_rows(const workloads::Matrix* m, const Mat<TW>& w, const Mat<TI>& in, uint64_t first,
               uint64_t count, int row0, int row1, Finish&& finish, KernelCalls* calls = nullptr,
               const std::string& where = "") {
  GemmBuffers<TI, TW, Acc>& buf = gemm_buffers<TI, TW, Acc>();
  const int k = int(w.cols());
  if (k > kMaxK) throw InputError("sim.functional supports inner dimensions up to 4096");
  const bool sparse = std::is_same_v<TI, TW> && m && sparse_kernel_fits(*m);
  for (uint64_t i0 = first; i0 < first + count; i0 += kMaxM) {
    const int rows_in = int(std::min<uint64_t>(kMaxM, first + count - i0));
    for (int r = 0; r < rows_in; ++r)
      for (int c = 0; c < k; ++c) buf.x[r][c] = in(Eigen::Index(i0) + r, c);
    for (int o0 = row0; o0 < row1; o0 += kChunkN) {
      const int nout = std::min(kChunkN, row1 - o0);
      if (!sparse) {
        for (int o = 0; o < nout; ++o)
          for (int c = 0; c < k; ++c) buf.w[o][c] = w(o0 + o, c);
        hls::gemm_dense_tile<DenseCfg<TI, TW, Acc>>(buf.x, buf.w, buf.y, rows_in, k, nout);
      } else if constexpr (std::is_same_v<TI, TW>) {
        if (m->mask.block_rows == 8)
          sparse_chunk<8, TI, Acc>(*m, w, rows_in, k, o0, nout);
        else if (m->mask.block_rows == 16)
          sparse_chunk<16, TI, Acc>(*m, w, rows_in, k, o0, nout);
        else
          sparse_chunk<32, TI, Acc>(*m, w, rows_in, k, o0, nout);
      }
      record_gemm<TI, TW, Acc>(calls, m, w, sparse, where, rows_in, k, o0, nout);
      for (int r = 0; r < rows_in; ++r)
        for (int o = 0; o < nout; ++o) finish(Eigen::Index(i0) + r, Eigen::Index(o0 + o), buf.y[r][o]);
    }
  }
}

// Applies a row kernel to every row of `src`, writing `dst` (which may be `src`).
template <class In, class Out, class Kernel>
void each_row(const Mat<In>& src, Mat<Out>& dst, Kernel&& kernel) {
  static In row_in[kMaxRow];
  static Out row_out[kMaxRow];
  if (src.cols() > kMaxRow) throw InputError("sim.functional supports rows up to 4096 values");
  dst.resize(src.rows(), src.cols());
  for (Eigen::Index r = 0; r < src.rows(); ++r) {
    for (Eigen::Index c = 0; c < src.cols(); ++c) row_in[c] = src(r, c);
    kernel(row_in, row_out, int(src.cols()), r);
    for (Eigen::Index c = 0; c < src.cols(); ++c) dst(r, c) = row_out[c];
  }
}

// The widest activations of the layers' ops (softmax apart when `softmax` is false).
int trace_activation_bits(const workloads::Trace& t, bool softmax) {
  int bits = 0;
  for (const auto& op : t.ops)
    if (op.layer >= 0 && (op.kind == OpKind::Softmax) == softmax) bits = std::max(bits, op.abits);
  return bits;
}

// The trace's quantization as the int8 datapath needs it: weight widths per matrix, per-channel weight
// scales, the softmax width.
workloads::QuantOptions quant_options(const workloads::Trace& t) {
  workloads::QuantOptions opt;
  for (const auto& [name, mat] : t.matrices) opt.wbits[name] = mat.wbits;
  opt.per_channel = t.header.facts().quant.per_channel;
  for (const auto& op : t.ops)
    if (op.kind == OpKind::Softmax && op.layer >= 0) opt.prob_bits = op.abits;
  return opt;
}

// Builds a FunctionalCheck sample by sample: int8 outputs against the integer reference bit for bit (and,
// dequantized, against the float reference: what int8 costs), float outputs against the float reference.
class Comparison {
 public:
  Comparison(const char* numbers, const std::string& weights) {
    c_.numbers = numbers;
    c_.weights = weights;
    c_.checked = true;
  }
  void int8(const Mat<int8_t>& got, const workloads::Int8Mat& want, const RowMat& dequantized,
            const RowMat& ref) {
    count(got);
    for (Eigen::Index i = 0; i < got.size(); ++i) {
      const int d = std::abs(int(got.data()[i]) - int(want.data()[i]));
      c_.mismatches += d != 0;
      c_.max_abs_diff = std::max(c_.max_abs_diff, d);
    }
    err2_ += double((dequantized - ref).squaredNorm());
    ref2_ += double(ref.squaredNorm());
  }
  void floats(const RowMat& got, const RowMat& ref) {
    count(got);
    for (Eigen::Index i = 0; i < got.size(); ++i)
      c_.max_rel_error = std::max(c_.max_rel_error, double(std::fabs(got.data()[i] - ref.data()[i])) /
                                                        (1.0 + std::fabs(ref.data()[i])));
  }
  void rows_only(uint32_t rows) { c_.tokens += rows; }  // a sample whose shape differs from the reference
  void fail(const std::string& why) { c_.failure = why; }
  FunctionalCheck result() {
    const bool ints = c_.numbers == "int8";
    if (ints) c_.quant_rel_error = ref2_ > 0 ? std::sqrt(err2_ / ref2_) : 0.0;
    c_.pass = c_.failure.empty() && (ints ? c_.mismatches == 0 : c_.max_rel_error <= c_.tolerance);
    return c_;
  }

 private:
  template <class M>
  void count(const M& got) {
    c_.tokens += uint32_t(got.rows());
    c_.elements += uint64_t(got.size());
  }
  FunctionalCheck c_;
  double err2_ = 0, ref2_ = 0;
};

}  // namespace

class FunctionalModel::Impl {
 public:
  virtual ~Impl() = default;
  virtual void execute(const WorkItem& item, const Op& op) = 0;
  virtual FunctionalCheck check() = 0;
  KernelCalls* calls = nullptr;  // set: record the first call of each kernel

 protected:
  bool capturing(const std::string& kernel) const { return calls && !calls->count(kernel); }
  static std::string where(const Op& op) { return op.name + " (layer " + std::to_string(op.layer) + ")"; }
};

namespace {

// Transformer layers (vision, encoder, decoder) on the float (kInt = false) or int8 datapath.
template <bool kInt>
class TransformerExecutor : public FunctionalModel::Impl {
  using Act = std::conditional_t<kInt, int8_t, float>;    // activations, weights, probabilities
  using Acc = std::conditional_t<kInt, int32_t, float>;   // accumulators and attention scores
  using Prob = std::conditional_t<kInt, int16_t, float>;  // probabilities: int8 or int16 values
  using ActMat = Mat<Act>;
  using AccMat = Mat<Acc>;
  using ProbMat = Mat<Prob>;

 public:
  TransformerExecutor(const workloads::Trace& t, workloads::TraceWeights w, uint64_t seed, std::string source)
      : t_(t), s_(workloads::covered_shape(t)), w_(std::move(w)), source_(std::move(source)) {
    const workloads::ModelWeights& m = w_.transformer;
    A_ = Eigen::Index(s_.heads) * s_.head_dim;
    for (const auto& op : t.ops)
      if (op.kind == OpKind::TokenPrune) {
        prune_layers_.push_back(op.layer);
        fused_ = op.fused;
        if (op.tokens_kept.size() != s_.batch) throw InputError("token_prune op without a count per sample");
        kept_.push_back(op.tokens_kept);
      }
    x0_ = workloads::seeded_inputs(s_.batch, s_.seq + s_.decode, s_.d_model, seed);
    if constexpr (kInt) {
      const workloads::QuantOptions opt = quant_options(t);
      std::vector<workloads::TokenPolicy> policies;
      for (uint32_t b = 0; b < s_.batch; ++b) policies.push_back(policy(b));
      q_ = workloads::quantize_model(m, x0_, policies, opt);
    }
    for (size_t l = 0; l < m.layers.size(); ++l) {
      const std::string p = "L" + std::to_string(l) + ".";
      const workloads::LayerWeights& L = m.layers[l];
      add_linear(p + "qkv", L.qkv, L.qkv_b, l, &workloads::QuantLayer::qkv);
      add_linear(p + "proj", L.proj, L.proj_b, l, &workloads::QuantLayer::proj);
      add_linear(p + "fc1", L.fc1, L.fc1_b, l, &workloads::QuantLayer::fc1);
      add_linear(p + "fc2", L.fc2, L.fc2_b, l, &workloads::QuantLayer::fc2);
    }
    kv_.assign(s_.layers, std::vector<ActMat>(s_.batch));
    outputs_.assign(s_.batch, ActMat(0, s_.d_model));
  }

  void execute(const WorkItem& item, const Op& op) override {
    if (op.layer < 0) {  // embeddings and heads are outside the check; they also end a step
      if (last_layer_ == int(s_.layers) - 1) finish_step();
      return;
    }
    if (!started_) begin_step();
    last_layer_ = op.layer;
    const int l = op.layer;
    switch (op.role) {
      case OpRole::Ln1: return layer_norm(l, true, op.kind == OpKind::RmsNorm);
      case OpRole::Ln2: return layer_norm(l, false, op.kind == OpKind::RmsNorm);
      case OpRole::AttnQkv: return linear(item, op, pre_ln() ? h_ : x_, qkv_);
      case OpRole::AttnProj: return linear(item, op, att_, o_);
      case OpRole::MlpFc1: return linear(item, op, pre_ln() ? h_ : x_, f_);
      case OpRole::MlpFc2: return linear(item, op, f_, o_);
      case OpRole::AttnQk: return scores(l);
      case OpRole::AttnSoftmax: return softmax(l);
      case OpRole::AttnAv: return attend(l);
      case OpRole::Gelu: return gelu(l);
      case OpRole::Residual1: return residual(l, true);
      case OpRole::Residual2: return residual(l, false);
      case OpRole::TokenTopk: return prune_tokens(op);
      default:
        if (op.kind == OpKind::TokenPrune) return prune_tokens(op);
        throw InputError("sim.functional does not know op '" + op.name + "'");
    }
  }

  FunctionalCheck check() override {
    finish_step();
    if (step_ == 0) {  // no layer ran
      FunctionalCheck none;
      none.numbers = kInt ? "int8" : "float";
      return none;
    }
    Comparison cmp(kInt ? "int8" : "float", source_);
    for (uint32_t b = 0; b < s_.batch; ++b) {
      const workloads::TokenPolicy p = policy(b);
      const RowMat ref = workloads::forward(w_.transformer, x0_[b], p).out;
      const ActMat& got = outputs_[b];
      if (got.rows() != ref.rows() || got.cols() != ref.cols()) {
        cmp.rows_only(uint32_t(got.rows()));
        cmp.fail("sample " + std::to_string(b) + ": " + std::to_string(got.rows()) +
                 " output rows, the reference has " + std::to_string(ref.rows()));
        continue;
      }
      if constexpr (kInt) {
        // Token pruning may keep other tokens in int8 than in float: then only the class token's row
        // measures what int8 costs.
        const Eigen::Index rows = prune_layers_.empty() ? got.rows() : 1;
        cmp.int8(got, workloads::forward_int(q_, workloads::quantize_tensor(x0_[b], q_.in_scale), p).out,
                 got.topRows(rows).template cast<float>() * q_.out_scale, ref.topRows(rows));
      } else {
        cmp.floats(got, ref);
      }
    }
    return cmp.result();
  }

 private:
  struct Linear {
    const workloads::Matrix* matrix = nullptr;
    const RowMat* wf = nullptr;  // float: the weights and bias in w_
    const Vec* bias = nullptr;
    const workloads::QuantLinear* q = nullptr;  // int8: the quantized layer in q_
  };

  bool pre_ln() const { return w_.transformer.pre_ln; }

  // The EViT counts of sample b, as the reference replays them.
  workloads::TokenPolicy policy(uint32_t b) const {
    workloads::TokenPolicy p;
    p.layers = prune_layers_;
    p.keep = prune_layers_.empty() ? 1.0 : 0.5;  // active; the counts come from kept_tokens
    p.fused = fused_;
    for (const auto& step : kept_) p.kept_tokens.push_back(step[b]);
    return p;
  }

  void add_linear(const std::string& name, const RowMat& w, const Vec& b, size_t layer,
                  workloads::QuantLinear workloads::QuantLayer::*member) {
    Linear L;
    L.matrix = &t_.matrix(name);
    if constexpr (kInt) {
      L.q = &(q_.layers[layer].*member);
    } else {
      L.wf = &w, L.bias = &b;
    }
    linears_[name] = std::move(L);
  }

  // Rows of the tensors that belong to sample b: [offset(b), offset(b) + rows_[b]).
  Eigen::Index offset(uint32_t b) const {
    Eigen::Index o = 0;
    for (uint32_t i = 0; i < b; ++i) o += rows_[i];
    return o;
  }

  void begin_step() {
    started_ = true;
    const bool prefill = step_ == 0;
    const uint32_t n = prefill ? s_.seq : 1;
    rows_.assign(s_.batch, n);
    past_ = prefill ? 0 : s_.seq + step_ - 1;
    x_.resize(Eigen::Index(n) * s_.batch, s_.d_model);
    for (uint32_t b = 0; b < s_.batch; ++b) {
      const RowMat in = x0_[b].middleRows(past_, n);  // this step's tokens start where the cache ends
      if constexpr (kInt)
        x_.middleRows(offset(b), n) = workloads::quantize_tensor(in, q_.in_scale);
      else
        x_.middleRows(offset(b), n) = in;
    }
  }

  void finish_step() {
    if (!started_) return;
    for (uint32_t b = 0; b < s_.batch; ++b) {
      ActMat& o = outputs_[b];
      const Eigen::Index old = o.rows();
      o.conservativeResize(old + rows_[b], Eigen::NoChange);
      o.bottomRows(rows_[b]) = x_.middleRows(offset(b), rows_[b]);
    }
    started_ = false;
    last_layer_ = -1;
    ++step_;
  }

  void linear(const WorkItem& item, const Op& op, const ActMat& in, ActMat& out) {
    const Linear& L = linears_.at(op.weight);
    const workloads::Matrix& m = *L.matrix;
    if (item.first_of_op) out = ActMat::Zero(Eigen::Index(op.m), m.rows);  // a skipped item shows as zeros
    const int row0 = int(item.first * m.mask.block_rows);
    const int row1 = std::min<int>(int(m.rows), int(item.last * m.mask.block_rows));
    if constexpr (kInt) {
      const workloads::QuantLinear& q = *L.q;
      gemm_rows<Act, Acc>(
          &m, q.w, in, item.m0, item.m, row0, row1,
          [&](Eigen::Index r, Eigen::Index c, Acc acc) {
            out(r, c) = hls::sat8(hls::scale_round(int64_t(acc) + q.bias[size_t(c)], q.to_out[size_t(c)]));
          },
          calls, where(op));
    } else {
      gemm_rows<Act, Acc>(
          &m, *L.wf, in, item.m0, item.m, row0, row1,
          [&](Eigen::Index r, Eigen::Index c, Acc acc) { out(r, c) = acc + (*L.bias)(c); }, calls, where(op));
    }
  }

  // LayerNorm, or RMSNorm (`rms`, float only: resolve() keeps such traces off the int8 datapath).
  void layer_norm(int l, bool first, bool rms) {
    const workloads::LayerWeights& L = w_.transformer.layers[size_t(l)];
    ActMat& dst = pre_ln() ? h_ : x_;
    const ActMat src = x_;
    if constexpr (!kInt) {
      if (rms) {
        const Vec& g = first ? L.ln1_g : L.ln2_g;
        const float eps = w_.transformer.ln_eps;
        each_row<Act, Act>(src, dst, [&](const float* in, float* out, int n, Eigen::Index) {
          hls::rmsnorm_row<kMaxRow>(in, g.data(), out, n, eps);
          if (!capturing("rmsnorm")) return;
          KernelCall& k = (*calls)["rmsnorm"];
          k.where = std::string(first ? "ln1" : "ln2") + " (layer " + std::to_string(l) + ")";
          k.scalars["cols"] = n;
          k.arrays["in"].assign(in, in + n);
          k.arrays["gamma"].assign(g.data(), g.data() + n);
          k.arrays["out"].assign(out, out + n);
          k.arrays["eps"] = {double(eps)};
        });
        return;
      }
    }
    if constexpr (kInt) {
      const workloads::QuantNorm& N = first ? q_.layers[size_t(l)].ln1 : q_.layers[size_t(l)].ln2;
      each_row<Act, Act>(src, dst, [&](const int8_t* in, int8_t* out, int n, Eigen::Index) {
        hls::layernorm_row_int<kMaxRow>(in, N.gamma.data(), N.beta.data(), out, n, N.eps);
        record_layernorm(l, first, in, N.gamma.data(), N.beta.data(), out, n, double(N.eps));
      });
    } else {
      const Vec& g = first ? L.ln1_g : L.ln2_g;
      const Vec& b = first ? L.ln1_b : L.ln2_b;
      const float eps = w_.transformer.ln_eps;
      each_row<Act, Act>(src, dst, [&](const float* in, float* out, int n, Eigen::Index) {
        hls::layernorm_row<kMaxRow>(in, g.data(), b.data(), out, n, eps);
        record_layernorm(l, first, in, g.data(), b.data(), out, n, double(eps));
      });
    }
  }

  template <class P>
  void record_layernorm(int l, bool first, const Act* in, const P* gamma, const P* beta, const Act* out,
                        int n, double eps) {
    if (!capturing("layernorm")) return;
    KernelCall& k = (*calls)["layernorm"];
    k.where = std::string(first ? "ln1" : "ln2") + " (layer " + std::to_string(l) + ")";
    k.scalars["cols"] = n;
    k.arrays["in"].assign(in, in + n);
    k.arrays["gamma"].assign(gamma, gamma + n);
    k.arrays["beta"].assign(beta, beta + n);
    k.arrays["out"].assign(out, out + n);
    k.arrays["eps"] = {eps};
  }

  // Attention operands of sample b, head h: queries of this step, keys and values of every position so far.
  auto query(uint32_t b, uint32_t h) const {
    return qkv_.block(offset(b), h * s_.head_dim, rows_[b], s_.head_dim);
  }
  auto key(int l, uint32_t b, uint32_t h) const {
    return kv_[size_t(l)][b].middleCols(h * s_.head_dim, s_.head_dim);
  }
  auto value(int l, uint32_t b, uint32_t h) const {
    return kv_[size_t(l)][b].middleCols(A_ + h * s_.head_dim, s_.head_dim);
  }

  // Q K^T per sample and head on the PE array (K as the weight); decoders append this step's keys and values
  // to the layer's KV cache first.
  void scores(int l) {
    scores_.assign(size_t(s_.batch) * s_.heads, AccMat());
    for (uint32_t b = 0; b < s_.batch; ++b) {
      ActMat& kv = kv_[size_t(l)][b];
      const ActMat fresh = qkv_.block(offset(b), A_, rows_[b], 2 * A_);
      if (w_.transformer.causal && past_ > 0) {
        kv.conservativeResize(kv.rows() + fresh.rows(), 2 * A_);
        kv.bottomRows(fresh.rows()) = fresh;
      } else {
        kv = fresh;
      }
      for (uint32_t h = 0; h < s_.heads; ++h) {
        const ActMat q = query(b, h), k = key(l, b, h);
        AccMat& s = scores_[size_t(b) * s_.heads + h];
        s.resize(q.rows(), k.rows());
        const float scale = 1.0f / std::sqrt(float(s_.head_dim));
        gemm_rows<Act, Acc>(
            nullptr, k, q, 0, uint64_t(q.rows()), 0, int(k.rows()),
            [&](Eigen::Index r, Eigen::Index c, Acc acc) {
              if constexpr (kInt)
                s(r, c) = acc;  // the scale is folded into softmax's table index
              else
                s(r, c) = acc * scale;
            },
            calls, "attn.qk (layer " + std::to_string(l) + ")");
      }
    }
  }

  void softmax(int l) {
    probs_.assign(scores_.size(), ProbMat());
    static Acc in[kMaxRow];
    static Prob out[kMaxRow];
    for (size_t i = 0; i < scores_.size(); ++i) {
      const AccMat& s = scores_[i];
      ProbMat& p = probs_[i];
      p = ProbMat::Zero(s.rows(), s.cols());
      if (s.cols() > kMaxRow) throw InputError("sim.functional supports attention over up to 4096 tokens");
      for (Eigen::Index r = 0; r < s.rows(); ++r) {
        // Causal: row r of this step sits at position past + r and sees positions 0 .. past + r.
        const int valid = w_.transformer.causal ? int(past_ + r + 1) : int(s.cols());
        for (int c = 0; c < valid; ++c) in[c] = s(r, c);
        if constexpr (kInt) {
          const workloads::QuantLayer& Q = q_.layers[size_t(l)];
          if (q_.prob_one == hls::kProbOne) {  // int8 probabilities, as an 8-bit softmax unit writes them
            static int8_t out8[kMaxRow];
            hls::softmax_row_int<kMaxRow>(in, out8, valid, Q.softmax_index, q_.exp_table.data());
            std::copy(out8, out8 + valid, out);
          } else {
            hls::softmax_row_int<kMaxRow, int16_t, hls::kProbOne16>(in, out, valid, Q.softmax_index,
                                                                    q_.exp_table.data());
          }
        } else {
          hls::softmax_row<kMaxRow>(in, out, valid);
        }
        for (int c = 0; c < valid; ++c) p(r, c) = out[c];
        if (capturing("softmax")) {
          KernelCall& k = (*calls)["softmax"];
          k.where = "attn.softmax (layer " + std::to_string(l) + ")";
          k.scalars["cols"] = valid;
          k.arrays["in"].assign(in, in + valid);
          k.arrays["out"].assign(out, out + valid);
          if constexpr (kInt) {
            k.scalars["mult"] = q_.layers[size_t(l)].softmax_index.mult;
            k.scalars["shift"] = q_.layers[size_t(l)].softmax_index.shift;
            k.scalars["prob_one"] = q_.prob_one;
            k.arrays["table"].assign(q_.exp_table.begin(), q_.exp_table.end());
          }
        }
      }
    }
  }

  // P V per sample and head (V^T as the weight), into the heads' columns of the attention output.
  void attend(int l) {
    att_.resize(x_.rows(), A_);
    for (uint32_t b = 0; b < s_.batch; ++b)
      for (uint32_t h = 0; h < s_.heads; ++h) {
        const ProbMat& p = probs_[size_t(b) * s_.heads + h];
        const ActMat vt = value(l, b, h).transpose();
        const Eigen::Index r0 = offset(b), c0 = Eigen::Index(h) * s_.head_dim;
        if constexpr (kInt) {
          const workloads::QuantLayer& Q = q_.layers[size_t(l)];
          auto store = [&](Eigen::Index r, Eigen::Index c, int64_t acc) {
            att_(r0 + r, c0 + c) =
                hls::sat8(hls::scale_round(hls::div_round(acc, int64_t(1) << Q.av_pre_shift), Q.av_out));
          };
          if (q_.prob_one == hls::kProbOne)  // int8 x int8 on the PE array
            gemm_rows<int8_t, int32_t>(nullptr, vt, Mat<int8_t>(p.template cast<int8_t>()), 0,
                                       uint64_t(p.rows()), 0, int(vt.rows()), store);
          else  // 16-bit probabilities times int8 values, 64-bit sums
            gemm_rows<int16_t, int64_t>(nullptr, vt, p, 0, uint64_t(p.rows()), 0, int(vt.rows()), store);
        } else {
          gemm_rows<Act, Acc>(nullptr, vt, p, 0, uint64_t(p.rows()), 0, int(vt.rows()),
                              [&](Eigen::Index r, Eigen::Index c, Acc acc) { att_(r0 + r, c0 + c) = acc; });
        }
      }
  }

  void gelu(int l) {
    if constexpr (kInt) {
      const auto& table = q_.layers[size_t(l)].gelu;
      each_row<Act, Act>(f_, f_, [&](const int8_t* in, int8_t* out, int n, Eigen::Index) {
        hls::lut_vec_int<kMaxRow>(in, out, n, table.data());
      });
    } else {
      const bool tanh_form = w_.transformer.gelu_tanh;
      each_row<Act, Act>(f_, f_, [&](const float* in, float* out, int n, Eigen::Index) {
        hls::gelu_vec<kMaxRow>(in, out, n, tanh_form);
      });
    }
  }

  void residual(int l, bool first) {
    static Act other[kMaxRow];
    const ActMat& o = o_;
    each_row<Act, Act>(x_, x_, [&](const Act* in, Act* out, int n, Eigen::Index r) {
      for (int c = 0; c < n; ++c) other[c] = o(r, c);
      if constexpr (kInt) {
        const workloads::QuantResidual& R = first ? q_.layers[size_t(l)].res1 : q_.layers[size_t(l)].res2;
        hls::residual_add_int<kMaxRow>(in, other, out, n, R.a, R.b);
      } else {
        hls::residual_add<float, kMaxRow>(in, other, out, n);
      }
    });
  }

  // EViT on the token-pruning unit: class-token attention summed over heads, top-k with the unit's
  // quick-select kernel, compaction, and the dropped tokens fused with their scores as weights.
  void prune_tokens(const Op& op) {
    const size_t step =
        size_t(std::find(prune_layers_.begin(), prune_layers_.end(), op.layer) - prune_layers_.begin());
    ActMat y(0, x_.cols());
    std::vector<uint32_t> rows(s_.batch);
    static float score[kMaxTokens];
    static int kept[kMaxTokens];
    for (uint32_t b = 0; b < s_.batch; ++b) {
      const ActMat x = x_.middleRows(offset(b), rows_[b]);
      const uint32_t n = uint32_t(x.rows()), want = kept_.at(step)[b];
      if (n > uint32_t(kMaxTokens))
        throw InputError("sim.functional supports token pruning of up to 1024 tokens");
      uint32_t k = 0, total = n;
      if (n > 2 && want < n) {
        k = want - 1 - (fused_ && want >= 3 ? 1 : 0);
        total = std::min(n, k + 1 + (fused_ && k < n - 1 ? 1u : 0u));
      }
      if (total >= n) {
        rows[b] = n;
        y.conservativeResize(y.rows() + n, Eigen::NoChange);
        y.bottomRows(n) = x;
        continue;
      }
      for (uint32_t i = 1; i < n; ++i) {
        float sum = 0;  // int8 probabilities summed exactly (at most heads x 127); float ones averaged
        for (uint32_t h = 0; h < s_.heads; ++h) sum += float(probs_[size_t(b) * s_.heads + h](0, i));
        score[i - 1] = kInt ? sum : sum / float(s_.heads);
      }
      hls::topk_quickselect<kMaxTokens>(score, int(n - 1), int(k), kept);
      if (capturing("topk")) {
        KernelCall& kc = (*calls)["topk"];
        kc.where = "evit.topk (layer " + std::to_string(op.layer) + ")";
        kc.scalars = {{"n", n - 1}, {"k", k}};
        kc.arrays["scores"].assign(score, score + n - 1);
        kc.arrays["kept"].assign(kept, kept + k);
      }
      ActMat z(total, x.cols());
      z.row(0) = x.row(0);
      std::vector<bool> chosen(n, false);
      for (uint32_t i = 0; i < k; ++i) z.row(1 + i) = x.row(kept[i] + 1), chosen[size_t(kept[i]) + 1] = true;
      if (total == k + 2) {
        if constexpr (kInt) {
          int64_t den = 0;
          std::vector<int64_t> num(size_t(x.cols()), 0);
          for (uint32_t i = 1; i < n; ++i)
            if (!chosen[i]) {
              const int64_t sc = int64_t(score[i - 1]);
              for (Eigen::Index c = 0; c < x.cols(); ++c) num[size_t(c)] += sc * x(i, c);
              den += sc;
            }
          for (Eigen::Index c = 0; c < x.cols(); ++c)
            z(k + 1, c) = den > 0 ? hls::sat8(hls::div_round(num[size_t(c)], den)) : int8_t(0);
        } else {
          Eigen::RowVectorXf fused = Eigen::RowVectorXf::Zero(x.cols());
          float weight = 0;
          for (uint32_t i = 1; i < n; ++i)
            if (!chosen[i]) fused += score[i - 1] * x.row(i), weight += score[i - 1];
          z.row(k + 1) = weight > 0 ? Eigen::RowVectorXf(fused / weight) : fused;
        }
      }
      rows[b] = total;
      y.conservativeResize(y.rows() + total, Eigen::NoChange);
      y.bottomRows(total) = z;
    }
    x_ = std::move(y);
    rows_ = std::move(rows);
  }

  const workloads::Trace& t_;
  workloads::TraceShape s_;
  workloads::TraceWeights w_;
  std::string source_;
  workloads::QuantModel q_;
  Eigen::Index A_ = 0;
  std::map<std::string, Linear> linears_;
  std::vector<RowMat> x0_;  // per sample: the inputs of every step, prefill then decode
  std::vector<int> prune_layers_;
  std::vector<std::vector<uint32_t>> kept_;  // per pruning step, per sample
  bool fused_ = true;
  // The step in flight: rows per sample, positions already in the KV cache.
  bool started_ = false;
  uint32_t step_ = 0, past_ = 0;
  int last_layer_ = -1;
  std::vector<uint32_t> rows_;
  ActMat x_, h_, qkv_, att_, o_, f_;
  std::vector<AccMat> scores_;  // per sample and head
  std::vector<ProbMat> probs_;
  std::vector<std::vector<ActMat>> kv_;  // per layer, per sample: keys then values of every position
  std::vector<ActMat> outputs_;          // per sample: final hidden states of every step
};

// GRU layers on the float or int8 datapath: the gate matrix-vector products on the PE array through the GEMM
// kernels, the element-wise steps through the GRU cell's kernels.
template <bool kInt>
class GruExecutor : public FunctionalModel::Impl {
  using Act = std::conditional_t<kInt, int8_t, float>;
  using Acc = std::conditional_t<kInt, int32_t, float>;
  using ActMat = Mat<Act>;
  using Row = Eigen::Matrix<Act, 1, Eigen::Dynamic>;

 public:
  GruExecutor(const workloads::Trace& t, workloads::TraceWeights w, uint64_t seed, std::string source)
      : t_(t), s_(workloads::covered_shape(t)), w_(std::move(w)), source_(std::move(source)) {
    if (s_.gru_hidden > uint32_t(kMaxHidden))
      throw InputError("sim.functional supports GRU hidden sizes up to 1024");
    x0_ = workloads::seeded_inputs(s_.batch, s_.seq, s_.gru_input, seed);
    if constexpr (kInt) {
      q_ = workloads::quantize_gru(w_.gru, x0_, quant_options(t));
      for (const RowMat& x : x0_) xq_.push_back(workloads::quantize_tensor(x, q_.in_scale));
    }
    out_.assign(s_.layers, std::vector<ActMat>(s_.batch, ActMat::Zero(s_.seq, s_.gru_hidden)));
    step_.assign(s_.layers, 0);
  }

  void execute(const WorkItem& item, const Op& op) override {
    if (op.layer < 0) return;
    const int l = op.layer;
    const uint32_t t = step_[size_t(l)], H = s_.gru_hidden, B = s_.batch;
    if (op.role == OpRole::GruIh || op.role == OpRole::GruHh) {
      const bool ih = op.role == OpRole::GruIh;
      const workloads::GruLayerWeights& L = w_.gru[size_t(l)];
      ActMat in(B, ih ? L.w_ih.cols() : Eigen::Index(H));
      for (uint32_t b = 0; b < B; ++b)
        in.row(b) = ih ? (l == 0 ? input(b).row(t) : Row(out_[size_t(l) - 1][b].row(t))) : state(l, b);
      const workloads::Matrix& m = t_.matrix(op.weight);
      ActMat& g = ih ? gi_ : gh_;
      if (item.first_of_op) g = ActMat::Zero(B, m.rows);
      const int row0 = int(item.first * m.mask.block_rows);
      const int row1 = std::min<int>(int(m.rows), int(item.last * m.mask.block_rows));
      if constexpr (kInt) {
        const workloads::QuantLinear& q = ih ? q_.layers[size_t(l)].ih : q_.layers[size_t(l)].hh;
        gemm_rows<Act, Acc>(
            &m, q.w, in, item.m0, item.m, row0, row1,
            [&](Eigen::Index r, Eigen::Index c, Acc acc) {
              g(r, c) = hls::sat8(hls::scale_round(int64_t(acc) + q.bias[size_t(c)], q.to_out[size_t(c)]));
            },
            calls, where(op));
      } else {
        const Vec& bias = ih ? L.b_ih : L.b_hh;
        gemm_rows<Act, Acc>(
            &m, ih ? L.w_ih : L.w_hh, in, item.m0, item.m, row0, row1,
            [&](Eigen::Index r, Eigen::Index c, Acc acc) { g(r, c) = acc + bias(c); }, calls, where(op));
      }
    } else if (op.role == OpRole::GruGatesRz) {
      r_.resize(B, H), z_.resize(B, H);
      for (uint32_t b = 0; b < B; ++b) {
        if constexpr (kInt)
          hls::gru_gates_rz_int<kMaxHidden>(gi_.row(b).data(), gh_.row(b).data(), r_.row(b).data(),
                                            z_.row(b).data(), int(H), q_.layers[size_t(l)].params());
        else
          hls::gru_gates_rz<kMaxHidden>(gi_.row(b).data(), gh_.row(b).data(), r_.row(b).data(),
                                        z_.row(b).data(), int(H));
      }
    } else if (op.role == OpRole::GruCandidate) {
      n_.resize(B, H);
      for (uint32_t b = 0; b < B; ++b) {
        if constexpr (kInt)
          hls::gru_candidate_int<kMaxHidden>(gi_.row(b).data(), gh_.row(b).data(), r_.row(b).data(),
                                             n_.row(b).data(), int(H), q_.layers[size_t(l)].params());
        else
          hls::gru_candidate<kMaxHidden>(gi_.row(b).data(), gh_.row(b).data(), r_.row(b).data(),
                                         n_.row(b).data(), int(H));
      }
    } else if (op.role == OpRole::GruUpdate) {
      for (uint32_t b = 0; b < B; ++b) {
        const Row h = state(l, b);
        Row next(H);
        if constexpr (kInt)
          hls::gru_update_int<kMaxHidden>(z_.row(b).data(), n_.row(b).data(), h.data(), next.data(), int(H));
        else
          hls::gru_update<kMaxHidden>(z_.row(b).data(), n_.row(b).data(), h.data(), next.data(), int(H));
        out_[size_t(l)][b].row(t) = next;
        // The whole element-wise step (pre-activations in, next state out), at step 1: a non-zero state.
        if (capturing("gru_cell") && t == std::min<uint32_t>(1, s_.seq - 1)) {
          KernelCall& k = (*calls)["gru_cell"];
          k.where = "gru.gates_rz, gru.candidate, gru.update (layer " + std::to_string(l) + ", step " +
                    std::to_string(t) + ")";
          k.scalars["hidden"] = H;
          k.arrays["gi"].assign(gi_.row(b).data(), gi_.row(b).data() + 3 * H);
          k.arrays["gh"].assign(gh_.row(b).data(), gh_.row(b).data() + 3 * H);
          k.arrays["h"].assign(h.data(), h.data() + H);
          k.arrays["h_out"].assign(next.data(), next.data() + H);
          if constexpr (kInt) {
            const workloads::QuantGruLayer& Q = q_.layers[size_t(l)];
            k.arrays["factors"] = {double(Q.r_i), double(Q.r_h), double(Q.z_i),
                                   double(Q.z_h), double(Q.n_i), double(Q.n_h)};
            k.arrays["sigmoid_r"].assign(Q.sigmoid_r.begin(), Q.sigmoid_r.end());
            k.arrays["sigmoid_z"].assign(Q.sigmoid_z.begin(), Q.sigmoid_z.end());
            k.arrays["tanh_n"].assign(Q.tanh_n.begin(), Q.tanh_n.end());
          }
        }
      }
      ++step_[size_t(l)];
      started_ = true;
    } else {
      throw InputError("sim.functional does not know op '" + op.name + "'");
    }
  }

  FunctionalCheck check() override {
    if (!started_) {
      FunctionalCheck none;
      none.numbers = kInt ? "int8" : "float";
      return none;
    }
    Comparison cmp(kInt ? "int8" : "float", source_);
    for (uint32_t b = 0; b < s_.batch; ++b) {
      const RowMat ref = workloads::gru_forward(w_.gru, x0_[b]);
      const ActMat& got = out_.back()[b];
      if constexpr (kInt)
        cmp.int8(got, workloads::gru_forward_int(q_, xq_[b]),
                 got.template cast<float>() / float(hls::kProbOne), ref);
      else
        cmp.floats(got, ref);
    }
    for (uint32_t steps : step_)
      if (steps != s_.seq) cmp.fail("not every GRU step of every layer ran");
    return cmp.result();
  }

 private:
  const ActMat& input(uint32_t b) const {
    if constexpr (kInt)
      return xq_[b];
    else
      return x0_[b];
  }
  // Hidden state of layer l, sample b before the current step (zero at the start).
  Row state(int l, uint32_t b) const {
    const uint32_t t = step_[size_t(l)];
    return t == 0 ? Row::Zero(s_.gru_hidden) : Row(out_[size_t(l)][b].row(t - 1));
  }

  const workloads::Trace& t_;
  workloads::TraceShape s_;
  workloads::TraceWeights w_;
  std::string source_;
  workloads::QuantGru q_;
  std::vector<RowMat> x0_;                // per sample: seq x input
  std::vector<workloads::Int8Mat> xq_;    // int8: the same, quantized
  std::vector<std::vector<ActMat>> out_;  // per layer, per sample: hidden state at every step
  std::vector<uint32_t> step_;            // per layer: steps done
  ActMat gi_, gh_, r_, z_, n_;            // batch rows
  bool started_ = false;
};

}  // namespace

FunctionalNumbers FunctionalModel::resolve(const workloads::Trace& t, FunctionalNumbers requested) {
  int wbits = 0;
  for (const auto& [name, m] : t.matrices) wbits = std::max(wbits, int(m.wbits));
  const int abits = trace_activation_bits(t, false), softmax_bits = trace_activation_bits(t, true);
  bool rms = false;  // the integer datapath has no RMSNorm kernel (workloads/quant_model.h)
  for (const auto& op : t.ops) rms |= op.kind == OpKind::RmsNorm;
  const bool int8_ok = !rms && !t.header.facts().quant.floating && wbits <= 8 && abits == 8 &&
                       (softmax_bits == 0 || softmax_bits == 8 || softmax_bits == 16);
  if (requested == FunctionalNumbers::Int8 && !int8_ok)
    throw InputError(
        "sim.functional_numbers=int8 needs integer weights of at most 8 bits, 8-bit activations, "
        "an 8- or 16-bit softmax and layernorm (the integer datapath has no RMSNorm); this trace has " +
        std::string(rms ? "RMSNorm layers, " : "") + std::to_string(wbits) + "-bit weights, " +
        std::to_string(abits) + "-bit activations and a " + std::to_string(softmax_bits) + "-bit softmax (" +
        t.header.get("quant") + ")");
  if (requested == FunctionalNumbers::Auto)
    return int8_ok ? FunctionalNumbers::Int8 : FunctionalNumbers::Float;
  return requested;
}

FunctionalModel::FunctionalModel(const workloads::Trace& t, uint64_t seed, FunctionalNumbers numbers) {
  const std::string family = t.header.facts().family;
  // An op inside the layers that the executors do not compute is refused here, before the run (inside the
  // simulation the error would surface as a SystemC process failure).
  if (family != "gru")
    for (const auto& op : t.ops)
      if (op.layer >= 0 && op.role == workloads::OpRole::Other && op.kind != workloads::OpKind::TokenPrune)
        throw InputError("sim.functional does not know op '" + op.name + "' (layer " +
                         std::to_string(op.layer) +
                         "): it computes the zoo's transformer layers (GELU MLPs) and GRU cells");
  const FunctionalNumbers n = resolve(t, numbers);
  workloads::TraceWeights w = t.weights_path.empty() ? workloads::seeded_trace_weights(t, seed)
                                                     : workloads::read_trace_weights(t, t.weights_path);
  const std::string source = t.weights_path.empty() ? "seeded" : t.weights_path;
  if (family == "gru" && n == FunctionalNumbers::Int8)
    impl_ = std::make_unique<GruExecutor<true>>(t, std::move(w), seed, source);
  else if (family == "gru")
    impl_ = std::make_unique<GruExecutor<false>>(t, std::move(w), seed, source);
  else if (n == FunctionalNumbers::Int8)
    impl_ = std::make_unique<TransformerExecutor<true>>(t, std::move(w), seed, source);
  else
    impl_ = std::make_unique<TransformerExecutor<false>>(t, std::move(w), seed, source);
}

FunctionalModel::~FunctionalModel() = default;

void FunctionalModel::execute(const WorkItem& item, const Op& op) {
  impl_->execute(item, op);
}

FunctionalCheck FunctionalModel::check() {
  return impl_->check();
}

void FunctionalModel::capture(KernelCalls* calls) {
  impl_->calls = calls;
}

// The functional check's own [sim] keys.
models::ConfigSection functional_section() {
  using models::HwConfig;
  return {
      "sim",
      {models::flag_field(
           "functional", [](HwConfig& h) -> bool& { return h.sim.functional; },
           "compute the data with the HLS kernels and check it against the Eigen forward pass"),
       models::uint_field(
           "functional_seed", [](HwConfig& h) -> uint64_t& { return h.sim.functional_seed; }, 0, UINT64_MAX,
           "seed of the functional mode's weights and inputs"),
       models::enum_field<FunctionalNumbers>(
           "functional_numbers", [](HwConfig& h) -> FunctionalNumbers& { return h.sim.functional_numbers; },
           "functional arithmetic: int8 (bit-exact check against the integer reference), float (within "
           "1e-3), auto (int8 for traces with <= 8-bit integer weights and 8-bit activations)")},
      {}};
}

}  // namespace prunesim::sim
