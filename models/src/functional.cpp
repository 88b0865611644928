#include "prunesim/models/functional.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "prunesim/hls/gemm.h"
#include "prunesim/hls/nonlinear.h"
#include "prunesim/hls/topk.h"
#include "prunesim/workloads/error.h"
#include "prunesim/workloads/forward.h"
#include "prunesim/workloads/rng.h"

namespace prunesim::models {

using workloads::Op;
using workloads::OpKind;
using workloads::RowMat;
using workloads::Vec;

namespace {

constexpr int kMaxM = 256, kMaxK = 4096, kChunkN = 64, kMaxRow = 4096, kMaxTokens = 1024;

struct DenseCfg {
  static const int max_m = kMaxM, max_k = kMaxK, max_n = kChunkN, R = 64, Cc = 64;
  using in_t = float;
  using w_t = float;
  using acc_t = float;
};
template <int B>
struct SparseCfg {
  static const int max_m = kMaxM, max_k = kMaxK, max_n = kChunkN, BH = B, BW = B,
                   max_blocks = (kChunkN / B) * (kMaxK / B);
  using in_t = float;
  using w_t = float;
  using acc_t = float;
};

// Kernel buffers, allocated once (the kernels take statically sized arrays).
struct Buffers {
  float x[kMaxM][kMaxK];
  float w[kChunkN][kMaxK];
  float y[kMaxM][kChunkN];
  float row_in[kMaxRow], row_out[kMaxRow], gamma[kMaxRow], beta[kMaxRow];
};
Buffers& buffers() {
  static std::unique_ptr<Buffers> b = std::make_unique<Buffers>();
  return *b;
}

// y[:, cols] = x * w[cols]^T with the block-sparse kernel for block size B: only kept blocks are read.
template <int B>
void sparse_chunk(const workloads::Matrix& m, const RowMat& w, int rows_in, int k, int out0, int nout) {
  static std::unique_ptr<hls::BlockSparse<SparseCfg<B>>> ws =
      std::make_unique<hls::BlockSparse<SparseCfg<B>>>();
  Buffers& buf = buffers();
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
          ws->val[s][r][cc] = o < int(w.rows()) && i < k ? w(o, i) : 0.0f;
        }
      ws->col[s++] = int(c);
    }
  }
  ws->row_ptr[nbr] = s;
  hls::gemm_block_sparse_tile<SparseCfg<B>>(buf.x, *ws, buf.y, rows_in, k, nout);
}

}  // namespace

FunctionalModel::FunctionalModel(const workloads::Trace& t, uint64_t seed) : trace_(t) {
  const std::string family = t.header.count("family") ? t.header.at("family") : "";
  if (family != "vision" && family != "encoder")
    throw InputError("sim.functional supports vision and encoder traces, not '" + family + "'");
  if (t.header.count("batch") && t.header.at("batch") != "1")
    throw InputError("sim.functional needs batch 1");
  pre_ln_ = family == "vision";
  for (const auto& op : t.ops) {
    if (op.kind == OpKind::Matmul && op.name == "attn.qk" && !heads_)
      heads_ = op.count, head_dim_ = uint32_t(op.k);
    if (op.kind == OpKind::LayerNorm && !d_model_) d_model_ = uint32_t(op.cols);
    if (op.kind == OpKind::TokenPrune) {
      prune_layers_.push_back(op.layer);
      kept_.push_back(op.tokens_kept.at(0));
      fused_ = op.fused;
    }
    if (op.kind == OpKind::Gemm && op.m > kMaxTokens)
      throw InputError("sim.functional supports up to 1024 tokens");
  }
  workloads::Rng rng(seed);
  for (const auto& name : t.matrix_order) {
    const workloads::Matrix& m = t.matrices.at(name);
    if (m.cols > uint32_t(kMaxK)) throw InputError("sim.functional supports matrices up to 4096 columns");
    const bool dense = m.format == workloads::StorageFormat::Dense;
    if (!dense && (!m.mask.has_bitmap || m.mask.block_rows != m.mask.block_cols ||
                   (m.mask.block_rows != 8 && m.mask.block_rows != 16 && m.mask.block_rows != 32)))
      throw InputError("sim.functional supports dense matrices and square 8, 16 or 32 blocks (matrix " +
                       name + ")");
    RowMat w(m.rows, m.cols);
    const float scale = 1.0f / std::sqrt(float(m.cols));
    for (uint32_t r = 0; r < m.rows; ++r)
      for (uint32_t c = 0; c < m.cols; ++c) {
        const float v = float(rng.normal()) * scale;
        w(r, c) = dense || m.mask.kept(r / m.mask.block_rows, c / m.mask.block_cols) ? v : 0.0f;
      }
    weights_[name] = std::move(w);
  }
  for (const auto& op : t.ops)
    if (op.kind == OpKind::LayerNorm && op.layer >= 0 && !ln_.count(op.layer)) {
      std::array<Vec, 4> p;
      for (int i = 0; i < 4; ++i) {
        p[size_t(i)] = Vec(d_model_);
        for (uint32_t j = 0; j < d_model_; ++j)
          p[size_t(i)](j) = float(i % 2 ? 0.1 * rng.normal() : 1.0 + 0.1 * rng.normal());
      }
      ln_[op.layer] = p;
    }
  uint32_t tokens = 0;
  for (const auto& op : t.ops)
    if (op.layer == 0 && op.kind == OpKind::Gemm) {
      tokens = uint32_t(op.m);
      break;
    }
  if (!heads_ || !d_model_ || !tokens)
    throw InputError("sim.functional: the trace has no transformer layers");
  x0_.resize(tokens, d_model_);
  for (Eigen::Index r = 0; r < x0_.rows(); ++r)
    for (Eigen::Index c = 0; c < x0_.cols(); ++c) x0_(r, c) = float(rng.normal());
}

void FunctionalModel::gemm(const WorkItem& item, const Op& op, const RowMat& in, RowMat& out) {
  const workloads::Matrix& m = trace_.matrices.at(op.weight);
  const RowMat& w = weights_.at(op.weight);
  if (item.first_of_op) out = RowMat::Zero(Eigen::Index(op.m), m.rows);
  const bool dense = m.format == workloads::StorageFormat::Dense;
  const int row0 = int(item.first * m.mask.block_rows);
  const int row1 = std::min<int>(int(m.rows), int(item.last * m.mask.block_rows));
  const int k = int(m.cols);
  Buffers& buf = buffers();
  for (uint64_t i0 = item.m0; i0 < item.m0 + item.m; i0 += kMaxM) {
    const int rows_in = int(std::min<uint64_t>(kMaxM, item.m0 + item.m - i0));
    for (int r = 0; r < rows_in; ++r)
      for (int c = 0; c < k; ++c) buf.x[r][c] = in(Eigen::Index(i0) + r, c);
    for (int o0 = row0; o0 < row1; o0 += kChunkN) {
      const int nout = std::min(kChunkN, row1 - o0);
      if (dense) {
        for (int o = 0; o < nout; ++o)
          for (int c = 0; c < k; ++c) buf.w[o][c] = w(o0 + o, c);
        hls::gemm_dense_tile<DenseCfg>(buf.x, buf.w, buf.y, rows_in, k, nout);
      } else if (m.mask.block_rows == 8) {
        sparse_chunk<8>(m, w, rows_in, k, o0, nout);
      } else if (m.mask.block_rows == 16) {
        sparse_chunk<16>(m, w, rows_in, k, o0, nout);
      } else {
        sparse_chunk<32>(m, w, rows_in, k, o0, nout);
      }
      for (int r = 0; r < rows_in; ++r)
        for (int o = 0; o < nout; ++o) out(Eigen::Index(i0) + r, o0 + o) = buf.y[r][o];
    }
  }
}

void FunctionalModel::layer_norm(int layer, int which) {
  const auto& p = ln_.at(layer);
  Buffers& buf = buffers();
  RowMat& dst = pre_ln_ ? h_ : x_;
  const RowMat src = x_;
  dst.resize(src.rows(), src.cols());
  for (Eigen::Index r = 0; r < src.rows(); ++r) {
    for (Eigen::Index c = 0; c < src.cols(); ++c)
      buf.row_in[c] = src(r, c), buf.gamma[c] = p[size_t(2 * which)](c),
      buf.beta[c] = p[size_t(2 * which + 1)](c);
    hls::layernorm_row<kMaxRow>(buf.row_in, buf.gamma, buf.beta, buf.row_out, int(src.cols()), 1e-5f);
    for (Eigen::Index c = 0; c < src.cols(); ++c) dst(r, c) = buf.row_out[c];
  }
}

void FunctionalModel::execute(const WorkItem& item, const Op& op) {
  if (op.layer < 0) return;  // embeddings and heads are outside the check
  if (!started_) {
    x_ = x0_;
    started_ = true;
  }
  Buffers& buf = buffers();
  const Eigen::Index A = Eigen::Index(heads_) * head_dim_;
  if (op.name == "ln1" || op.name == "ln2") {
    layer_norm(op.layer, op.name == "ln1" ? 0 : 1);
  } else if (op.name == "attn.qkv") {
    gemm(item, op, pre_ln_ ? h_ : x_, qkv_);
  } else if (op.name == "attn.proj") {
    gemm(item, op, att_, out_);
  } else if (op.name == "mlp.fc1") {
    gemm(item, op, pre_ln_ ? h_ : x_, f_);
  } else if (op.name == "mlp.fc2") {
    gemm(item, op, f_, out_);
  } else if (op.name == "attn.qk" || op.name == "attn.av") {
    // Per head on the PE array through the same dense GEMM kernel: QK^T (K as the weight), then P V (V^T).
    const bool qk = op.name == "attn.qk";
    const int n = int(qkv_.rows()), hd = int(head_dim_);
    if (qk)
      scores_.assign(heads_, RowMat());
    else
      att_.resize(n, A);
    for (uint32_t h = 0; h < heads_; ++h) {
      const RowMat in = qk ? RowMat(qkv_.middleCols(h * hd, hd)) : scores_[h];
      const RowMat w = qk ? RowMat(qkv_.middleCols(A + h * hd, hd))
                          : RowMat(qkv_.middleCols(2 * A + h * hd, hd).transpose());
      RowMat y(n, w.rows());
      const int k = int(in.cols());
      for (int i0 = 0; i0 < n; i0 += kMaxM) {
        const int rows_in = std::min(kMaxM, n - i0);
        for (int r = 0; r < rows_in; ++r)
          for (int c = 0; c < k; ++c) buf.x[r][c] = in(i0 + r, c);
        for (int o0 = 0; o0 < int(w.rows()); o0 += kChunkN) {
          const int nout = std::min(kChunkN, int(w.rows()) - o0);
          for (int o = 0; o < nout; ++o)
            for (int c = 0; c < k; ++c) buf.w[o][c] = w(o0 + o, c);
          hls::gemm_dense_tile<DenseCfg>(buf.x, buf.w, buf.y, rows_in, k, nout);
          for (int r = 0; r < rows_in; ++r)
            for (int o = 0; o < nout; ++o) y(i0 + r, o0 + o) = buf.y[r][o];
        }
      }
      if (qk)
        scores_[h] = y * (1.0f / std::sqrt(float(hd)));  // scaled dot product
      else
        att_.middleCols(h * hd, hd) = y;
    }
  } else if (op.name == "attn.softmax") {
    for (auto& s : scores_)
      for (Eigen::Index r = 0; r < s.rows(); ++r) {
        for (Eigen::Index c = 0; c < s.cols(); ++c) buf.row_in[c] = s(r, c);
        hls::softmax_row<kMaxRow>(buf.row_in, buf.row_out, int(s.cols()));
        for (Eigen::Index c = 0; c < s.cols(); ++c) s(r, c) = buf.row_out[c];
      }
  } else if (op.name == "gelu") {
    for (Eigen::Index r = 0; r < f_.rows(); ++r) {
      for (Eigen::Index c = 0; c < f_.cols(); ++c) buf.row_in[c] = f_(r, c);
      hls::gelu_vec<kMaxRow>(buf.row_in, buf.row_out, int(f_.cols()));
      for (Eigen::Index c = 0; c < f_.cols(); ++c) f_(r, c) = buf.row_out[c];
    }
  } else if (op.name == "residual1" || op.name == "residual2") {
    for (Eigen::Index r = 0; r < x_.rows(); ++r) {
      for (Eigen::Index c = 0; c < x_.cols(); ++c) buf.row_in[c] = x_(r, c), buf.gamma[c] = out_(r, c);
      hls::residual_add<float, kMaxRow>(buf.row_in, buf.gamma, buf.row_out, int(x_.cols()));
      for (Eigen::Index c = 0; c < x_.cols(); ++c) x_(r, c) = buf.row_out[c];
    }
  } else if (op.kind == OpKind::TokenPrune) {
    // Class-token attention averaged over the heads, top-k on the token-pruning unit's kernel, compaction and
    // the fused token.
    const uint32_t n = uint32_t(x_.rows()), total = op.tokens_kept.at(0);
    if (total >= n) return;
    const uint32_t k = total - 1 - (op.fused ? 1 : 0);
    static float score[kMaxTokens];
    static int kept[kMaxTokens];
    for (uint32_t i = 1; i < n; ++i) {
      float s = 0;
      for (const auto& p : scores_) s += p(0, i);
      score[i - 1] = s / float(scores_.size());
    }
    hls::topk_quickselect<kMaxTokens>(score, int(n - 1), int(k), kept);
    RowMat y(total, x_.cols());
    y.row(0) = x_.row(0);
    std::vector<bool> chosen(n, false);
    for (uint32_t i = 0; i < k; ++i) y.row(1 + i) = x_.row(kept[i] + 1), chosen[size_t(kept[i]) + 1] = true;
    if (op.fused) {
      Eigen::RowVectorXf fused = Eigen::RowVectorXf::Zero(x_.cols());
      float weight = 0;
      for (uint32_t i = 1; i < n; ++i)
        if (!chosen[i]) fused += score[i - 1] * x_.row(i), weight += score[i - 1];
      y.row(k + 1) = weight > 0 ? Eigen::RowVectorXf(fused / weight) : fused;
    }
    x_ = y;
  }
}

FunctionalCheck FunctionalModel::check() const {
  FunctionalCheck c;
  if (!started_) return c;
  // The reference: the same weights and layer norms, zero biases, the Eigen forward pass, the trace's counts.
  workloads::ModelWeights ref;
  ref.spec.heads = heads_;
  ref.spec.head_dim = head_dim_;
  ref.spec.d_model = d_model_;
  ref.pre_ln = pre_ln_;
  ref.ln_eps = 1e-5f;
  for (int l = 0; l < trace_.num_layers(); ++l) {
    workloads::LayerWeights L;
    const std::string p = "L" + std::to_string(l) + ".";
    L.qkv = weights_.at(p + "qkv"), L.proj = weights_.at(p + "proj");
    L.fc1 = weights_.at(p + "fc1"), L.fc2 = weights_.at(p + "fc2");
    L.qkv_b = Vec::Zero(L.qkv.rows()), L.proj_b = Vec::Zero(L.proj.rows());
    L.fc1_b = Vec::Zero(L.fc1.rows()), L.fc2_b = Vec::Zero(L.fc2.rows());
    const auto& ln = ln_.at(l);
    L.ln1_g = ln[0], L.ln1_b = ln[1], L.ln2_g = ln[2], L.ln2_b = ln[3];
    ref.layers.push_back(std::move(L));
  }
  ref.spec.heads = heads_;
  workloads::TokenPolicy policy;
  policy.layers = prune_layers_;
  policy.keep = prune_layers_.empty() ? 1.0 : 0.5;  // active; the counts come from kept_tokens
  policy.fused = fused_;
  policy.kept_tokens = kept_;
  const RowMat want = workloads::forward(ref, x0_, policy).out;
  c.checked = true;
  c.tokens = uint32_t(x_.rows());
  if (want.rows() != x_.rows() || want.cols() != x_.cols()) return c;
  for (Eigen::Index r = 0; r < want.rows(); ++r)
    for (Eigen::Index k = 0; k < want.cols(); ++k)
      c.max_rel_error =
          std::max(c.max_rel_error, double(std::fabs(x_(r, k) - want(r, k))) / (1.0 + std::fabs(want(r, k))));
  c.pass = c.max_rel_error <= c.tolerance;
  return c;
}

}  // namespace prunesim::models
