// Real-weight compression on tiny models the tests build themselves (random weights, HF tensor names).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "prunesim/common/error.h"
#include "prunesim/models/tiling.h"
#include "prunesim/sim/functional.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/forward.h"
#include "prunesim/workloads/hf_model.h"
#include "prunesim/workloads/safetensors.h"
#include "prunesim/workloads/trace_weights.h"
#include "test_util.h"

using namespace prunesim;
using namespace prunesim::workloads;

namespace {

constexpr int kD = 32, kH = 4, kF = 64, kL = 2;

std::vector<float> randn(size_t n, Rng& rng, float scale) {
  std::vector<float> v(n);
  for (auto& x : v) x = float(rng.normal()) * scale;
  return v;
}

// A 2-layer BERT-style encoder (D 32, 4 heads, MLP 64) with HF names, written to dir.
void write_tiny_bert(const std::string& dir, uint64_t seed = 5) {
  Rng rng(seed);
  std::vector<NamedTensor> t;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, float scale) {
    size_t n = 1;
    for (auto d : shape) n *= size_t(d);
    t.push_back({name, shape, randn(n, rng, scale)});
  };
  for (int l = 0; l < kL; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    for (const char* w : {"query", "key", "value"}) {
      add(p + "attention.self." + w + ".weight", {kD, kD}, 0.2f);
      add(p + "attention.self." + w + ".bias", {kD}, 0.05f);
    }
    add(p + "attention.output.dense.weight", {kD, kD}, 0.2f);
    add(p + "attention.output.dense.bias", {kD}, 0.05f);
    add(p + "attention.output.LayerNorm.weight", {kD}, 0.1f);
    add(p + "attention.output.LayerNorm.bias", {kD}, 0.1f);
    add(p + "intermediate.dense.weight", {kF, kD}, 0.2f);
    add(p + "intermediate.dense.bias", {kF}, 0.05f);
    add(p + "output.dense.weight", {kD, kF}, 0.2f);
    add(p + "output.dense.bias", {kD}, 0.05f);
    add(p + "output.LayerNorm.weight", {kD}, 0.1f);
    add(p + "output.LayerNorm.bias", {kD}, 0.1f);
  }
  for (auto& x : t)  // LayerNorm gains around 1
    if (x.name.find("LayerNorm.weight") != std::string::npos)
      for (auto& v : x.values) v += 1.0f;
  write_safetensors(dir + "/model.safetensors", t);
  test::write_file(dir + "/config.json",
                   "{\"model_type\": \"bert\", \"hidden_size\": 32, \"num_attention_heads\": 4, "
                   "\"num_hidden_layers\": 2, \"intermediate_size\": 64, \"layer_norm_eps\": 1e-12}");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

ModelSpec tiny_spec(const std::string& dir, uint32_t seq) {
  ModelSpec m = spec_from_hf_config(dir + "/config.json");
  m.seq = seq;
  return m;
}

}  // namespace

TEST(Safetensors, ReadsWhatItWritesAndChecksTheFile) {
  const std::string d = test::temp_dir();
  write_safetensors(d + "/a.safetensors", {{"x", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"y", {1}, {-0.5f}}});
  const SafetensorsFile f = SafetensorsFile::open(d + "/a.safetensors");
  EXPECT_EQ(f.floats("x"), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(f.info("x").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_NE(error_of([&] { f.floats("z"); }).find("missing tensor 'z'"), std::string::npos);
  // Truncated: the header claims more bytes than the file has.
  const std::string bytes = test::read_file(d + "/a.safetensors");
  test::write_file(d + "/short.safetensors", bytes.substr(0, 20));
  EXPECT_NE(error_of([&] {
              SafetensorsFile::open(d + "/short.safetensors");
            }).find("runs past the end of the file"),
            std::string::npos);
  // Shape x dtype disagrees with the offsets.
  auto raw = [](const std::string& header, size_t data) {
    std::string s(8, '\0');
    uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) s[i] = char(n >> (8 * i) & 0xff);
    return s + header + std::string(data, '\0');
  };
  test::write_file(d + "/bad.safetensors",
                   raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 16));
  EXPECT_NE(error_of([&] {
              SafetensorsFile::open(d + "/bad.safetensors");
            }).find("shape x dtype is 16 bytes but data_offsets span 12"),
            std::string::npos);
  // fuzz_hf_model's finding: a float where a whole number belongs was cast to an integer type (undefined
  // behaviour); and a shape whose element count wraps 64 bits could match an empty span by accident.
  for (const auto& [header, expected] : std::vector<std::pair<std::string, std::string>>{
           {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,7.77778e+87]}}",
            "tensor 'w': data_offsets must hold non-negative whole numbers, not 7.77778e+87"},
           {"{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}",
            "tensor 'w': shape must hold non-negative whole numbers, not 2.5"},
           {"{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}",
            "tensor 'w': shape must hold non-negative whole numbers, not -2"},
           {"{\"w\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}}",
            "tensor 'w': shape must be an array of whole numbers"},
           {"{\"w\":{\"dtype\":\"I8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}",
            "tensor 'w': shape x dtype overflows 64 bits"},
       }) {
    test::write_file(d + "/hostile.safetensors", raw(header, 8));
    const std::string err = error_of([&] { SafetensorsFile::open(d + "/hostile.safetensors"); });
    EXPECT_NE(err.find(d + "/hostile.safetensors: " + expected), std::string::npos) << header << "\n" << err;
  }
  test::write_file(d + "/f64.safetensors",
                   raw("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));
  EXPECT_NE(error_of([&] { SafetensorsFile::open(d + "/f64.safetensors"); }).find("F64 is not supported"),
            std::string::npos);
  // F16, BF16 and I8 decode.
  std::string data;
  for (uint16_t h : {uint16_t(0x3c00), uint16_t(0xc000), uint16_t(0x3555)})
    data += char(h & 0xff), data += char(h >> 8);
  for (uint16_t h : {uint16_t(0x3f80), uint16_t(0x4040)}) data += char(h & 0xff), data += char(h >> 8);
  data += char(-7);
  std::string hdr =
      "{\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,6]},\"b\":{\"dtype\":\"BF16\",\"shape\":["
      "2],"
      "\"data_offsets\":[6,10]},\"i\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[10,11]}}";
  std::string file(8, '\0');
  for (int i = 0; i < 8; ++i) file[i] = char(uint64_t(hdr.size()) >> (8 * i) & 0xff);
  test::write_file(d + "/mixed.safetensors", file + hdr + data);
  const SafetensorsFile m = SafetensorsFile::open(d + "/mixed.safetensors");
  EXPECT_EQ(m.floats("h")[0], 1.0f);
  EXPECT_EQ(m.floats("h")[1], -2.0f);
  EXPECT_NEAR(m.floats("h")[2], 0.33325f, 1e-5);
  EXPECT_EQ(m.floats("b"), (std::vector<float>{1.0f, 3.0f}));
  EXPECT_EQ(m.floats("i")[0], -7.0f);
}

TEST(HfModel, LoadsBertNamingAndReportsMissingFields) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  ASSERT_EQ(w.layers.size(), 2u);
  EXPECT_FALSE(w.pre_ln);
  EXPECT_EQ(w.layers[0].qkv.rows(), 3 * kD);
  const SafetensorsFile f = SafetensorsFile::open(d + "/model.safetensors");
  // Key rows follow the query rows in the fused qkv matrix.
  EXPECT_EQ(w.layers[1].qkv(kD + 3, 5),
            f.floats("bert.encoder.layer.1.attention.self.key.weight")[3 * kD + 5]);
  test::write_file(d + "/bad.json", "{\"model_type\": \"bert\", \"hidden_size\": 32}");
  EXPECT_NE(error_of([&] {
              load_hf_model(d + "/model.safetensors", d + "/bad.json");
            }).find("'num_attention_heads'"),
            std::string::npos);
  // #21: a dimension beyond 32 bits is refused, not wrapped (4294967328 once became 32).
  test::write_file(d + "/wide.json",
                   "{\"model_type\": \"bert\", \"hidden_size\": 4294967328, "
                   "\"num_attention_heads\": 4, \"num_hidden_layers\": 1, \"intermediate_size\": 64}");
  EXPECT_NE(error_of([&] {
              spec_from_hf_config(d + "/wide.json");
            }).find("field 'hidden_size' is 4294967328, beyond 4294967295"),
            std::string::npos);
  test::write_file(d + "/inner.json",
                   "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_head\": 4, \"n_layer\": 1, "
                   "\"n_inner\": \"big\"}");
  EXPECT_NE(error_of([&] { spec_from_hf_config(d + "/inner.json"); }).find("invalid field 'n_inner'"),
            std::string::npos);
  test::write_file(d + "/t5.json", "{\"model_type\": \"t5\"}");
  EXPECT_NE(error_of([&] { spec_from_hf_config(d + "/t5.json"); }).find("model_type 't5' is not supported"),
            std::string::npos);
  write_safetensors(d + "/empty.safetensors", {{"unrelated", {1}, {0}}});
  EXPECT_NE(
      error_of([&] { load_hf_model(d + "/empty.safetensors", d + "/config.json"); }).find("missing tensor"),
      std::string::npos);
}

// A tensor missing from the middle of the fused Q/K/V stack is an InputError naming it. (Found by
// fuzz_hf_model: the stacking ran the reads inside an Eigen comma initializer, whose destructor asserts when
// an exception leaves it unfinished, so builds with assertions aborted instead of reporting.)
TEST(HfModel, MissingKeyBiasIsNamedNotAnAbort) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const SafetensorsFile f = SafetensorsFile::open(d + "/model.safetensors");
  std::vector<NamedTensor> kept;
  for (const auto& name : f.names())
    if (name != "bert.encoder.layer.1.attention.self.key.bias")
      kept.push_back({name, f.info(name).shape, f.floats(name)});
  write_safetensors(d + "/partial.safetensors", kept);
  EXPECT_NE(error_of([&] {
              load_hf_model(d + "/partial.safetensors", d + "/config.json");
            }).find("bert.encoder.layer.1.attention.self.key.bias"),
            std::string::npos);
}

TEST(RealWeights, BlockMasksKeepTheLargestMagnitudeBlocks) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  Recipe r;
  r.add_prune("all=block:8x8:0.5");
  const Trace t = compress(tiny_spec(d, 16), r, &w, 2);
  const Matrix& m = t.matrix("L0.fc1");  // 64 x 32 in 8x8 blocks
  double min_kept = 1e30, max_dropped = 0;
  for (uint32_t br = 0; br < m.mask.grid_rows; ++br)
    for (uint32_t bc = 0; bc < m.mask.grid_cols; ++bc) {
      const double l1 = double(w.layers[0].fc1.block(br * 8, bc * 8, 8, 8).cwiseAbs().sum());
      (m.mask.kept(br, bc) ? min_kept : max_dropped) =
          m.mask.kept(br, bc) ? std::min(min_kept, l1) : std::max(max_dropped, l1);
    }
  EXPECT_GT(min_kept, max_dropped);
  EXPECT_EQ(m.mask.kept_blocks(), 16u);
  EXPECT_EQ(t.header.get("source"), "weights:" + d + "/model.safetensors");
}

TEST(RealWeights, DenseModelFidelityErrorIsZero) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  Recipe r;
  r.set_quant("fp32");
  const Trace t = compress(tiny_spec(d, 16), r, &w, 3);
  EXPECT_EQ(t.header.get("fidelity_rel_error"), "0");
  EXPECT_EQ(t.header.get("fidelity_top1_agreement"), "1");
  // Pruning and int4 weights move the output.
  Recipe p;
  p.add_prune("all=block:8x8:0.5");
  p.set_quant("int4");
  const Trace tp = compress(tiny_spec(d, 16), p, &w, 3);
  EXPECT_GT(std::stod(tp.header.get("fidelity_rel_error")), 0.01);
}

namespace {
// Straightforward reference of one post-LN BERT layer in double precision, written independently of
// forward().
std::vector<std::vector<double>> reference_layer(const LayerWeights& L,
                                                 const std::vector<std::vector<double>>& x, int heads,
                                                 double eps) {
  const size_t n = x.size(), D = x[0].size(), A = size_t(L.proj.cols()), hd = A / size_t(heads);
  auto lin = [](const std::vector<std::vector<double>>& in, const RowMat& w, const Vec& b) {
    std::vector<std::vector<double>> out(in.size(), std::vector<double>(size_t(w.rows())));
    for (size_t i = 0; i < in.size(); ++i)
      for (Eigen::Index o = 0; o < w.rows(); ++o) {
        double s = b(o);
        for (Eigen::Index k = 0; k < w.cols(); ++k) s += in[i][size_t(k)] * w(o, k);
        out[i][size_t(o)] = s;
      }
    return out;
  };
  auto ln = [eps](std::vector<std::vector<double>> v, const Vec& g, const Vec& b) {
    for (auto& row : v) {
      double mean = 0, var = 0;
      for (double e : row) mean += e;
      mean /= double(row.size());
      for (double e : row) var += (e - mean) * (e - mean);
      var /= double(row.size());
      for (size_t j = 0; j < row.size(); ++j)
        row[j] = (row[j] - mean) / std::sqrt(var + eps) * g(Eigen::Index(j)) + b(Eigen::Index(j));
    }
    return v;
  };
  const auto qkv = lin(x, L.qkv, L.qkv_b);
  std::vector<std::vector<double>> att(n, std::vector<double>(A, 0.0));
  for (int h = 0; h < heads; ++h)
    for (size_t i = 0; i < n; ++i) {
      std::vector<double> s(n);
      double mx = -1e300, sum = 0;
      for (size_t j = 0; j < n; ++j) {
        double dot = 0;
        for (size_t c = 0; c < hd; ++c) dot += qkv[i][h * hd + c] * qkv[j][A + h * hd + c];
        s[j] = dot / std::sqrt(double(hd));
        mx = std::max(mx, s[j]);
      }
      for (auto& e : s) sum += (e = std::exp(e - mx));
      for (size_t j = 0; j < n; ++j)
        for (size_t c = 0; c < hd; ++c) att[i][h * hd + c] += s[j] / sum * qkv[j][2 * A + h * hd + c];
    }
  auto o = lin(att, L.proj, L.proj_b);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < D; ++j) o[i][j] += x[i][j];
  const auto h1 = ln(o, L.ln1_g, L.ln1_b);
  auto f = lin(h1, L.fc1, L.fc1_b);
  for (auto& row : f)
    for (auto& e : row) e = 0.5 * e * (1 + std::erf(e / std::sqrt(2.0)));
  auto f2 = lin(f, L.fc2, L.fc2_b);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < D; ++j) f2[i][j] += h1[i][j];
  return ln(f2, L.ln2_g, L.ln2_b);
}
}  // namespace

TEST(RealWeights, ForwardPassMatchesAnIndependentReference) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  w.layers.resize(1);
  Rng rng(11);
  RowMat x(7, kD);
  std::vector<std::vector<double>> xr(7, std::vector<double>(kD));
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < kD; ++j) xr[i][j] = x(i, j) = float(rng.normal());
  const RowMat y = forward(w, x, TokenPolicy{}).out;
  const auto ref = reference_layer(w.layers[0], xr, kH, 1e-12);
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < kD; ++j) EXPECT_NEAR(y(i, j), ref[i][j], 2e-4) << i << "," << j;
}

TEST(RealWeights, TokenPruningInTheForwardPassKeepsTheEvitCount) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  TokenPolicy p;
  p.layers = {0};
  p.keep = 0.5;
  Rng rng(3);
  RowMat x(21, kD);
  for (int i = 0; i < 21; ++i)
    for (int j = 0; j < kD; ++j) x(i, j) = float(rng.normal());
  const ForwardResult r = forward(w, x, p);
  ASSERT_EQ(r.tokens_kept.size(), 1u);
  EXPECT_EQ(r.tokens_in[0], 21u);
  EXPECT_EQ(r.tokens_kept[0], evit_kept_tokens(21, 0.5, true));  // 10 + class + fused
  EXPECT_EQ(r.out.rows(), 12);
}

TEST(HfModel, Gpt2ConvWeightsAreTransposedAndVitNamesLoad) {
  const std::string d = test::temp_dir();
  Rng rng(2);
  std::vector<NamedTensor> g;
  auto add = [&](std::vector<NamedTensor>& t, const std::string& name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (auto s : shape) n *= size_t(s);
    t.push_back({name, shape, randn(n, rng, 0.1f)});
  };
  const std::string h = "transformer.h.0.";
  add(g, h + "attn.c_attn.weight", {kD, 3 * kD});
  add(g, h + "attn.c_attn.bias", {3 * kD});
  add(g, h + "attn.c_proj.weight", {kD, kD});
  add(g, h + "attn.c_proj.bias", {kD});
  add(g, h + "mlp.c_fc.weight", {kD, 4 * kD});
  add(g, h + "mlp.c_fc.bias", {4 * kD});
  add(g, h + "mlp.c_proj.weight", {4 * kD, kD});
  add(g, h + "mlp.c_proj.bias", {kD});
  for (const char* ln : {"ln_1", "ln_2"}) add(g, h + ln + ".weight", {kD}), add(g, h + ln + ".bias", {kD});
  write_safetensors(d + "/gpt2.safetensors", g);
  test::write_file(d + "/gpt2.json",
                   "{\"model_type\": \"gpt2\", \"n_embd\": 32, \"n_head\": 4, \"n_layer\": 1}");
  const ModelWeights w = load_hf_model(d + "/gpt2.safetensors", d + "/gpt2.json");
  EXPECT_TRUE(w.causal);
  EXPECT_EQ(w.spec.mlp, 128u);
  const std::vector<float> c_attn = g[0].values;  // [in = 32, out = 96]
  EXPECT_EQ(w.layers[0].qkv(70, 9), c_attn[9 * 96 + 70]);
  // A tiny decoder compresses from its weights with a fidelity figure (the last token is the readout).
  ModelSpec m = w.spec;
  m.seq = 8;
  Recipe r;
  r.add_prune("mlp=neuron:0.5");
  const Trace t = compress(m, r, &w, 2);
  EXPECT_EQ(t.matrix("L0.fc1").rows, 64u);
  EXPECT_GT(std::stod(t.header.get("fidelity_rel_error")), 0.0);

  std::vector<NamedTensor> v;
  const std::string p = "vit.encoder.layer.0.";
  for (const char* x : {"query", "key", "value"})
    add(v, p + "attention.attention." + x + ".weight", {kD, kD}),
        add(v, p + "attention.attention." + x + ".bias", {kD});
  add(v, p + "attention.output.dense.weight", {kD, kD});
  add(v, p + "attention.output.dense.bias", {kD});
  add(v, p + "intermediate.dense.weight", {kF, kD});
  add(v, p + "intermediate.dense.bias", {kF});
  add(v, p + "output.dense.weight", {kD, kF});
  add(v, p + "output.dense.bias", {kD});
  for (const char* ln : {"layernorm_before", "layernorm_after"})
    add(v, p + ln + ".weight", {kD}), add(v, p + ln + ".bias", {kD});
  write_safetensors(d + "/vit.safetensors", v);
  test::write_file(
      d + "/vit.json",
      "{\"model_type\": \"vit\", \"hidden_size\": 32, \"num_attention_heads\": 4, \"num_hidden_layers\": 1, "
      "\"intermediate_size\": 64, \"image_size\": 32, \"patch_size\": 8}");
  const ModelWeights vw = load_hf_model(d + "/vit.safetensors", d + "/vit.json");
  EXPECT_TRUE(vw.pre_ln);
  EXPECT_EQ(vw.spec.seq, 17u);  // (32 / 8)^2 patches + class token
}

TEST(RealWeights, ThresholdTokenPruningCountsComeFromRunningTheModel) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  ModelSpec m = tiny_spec(d, 33);
  m.batch = 3;
  Recipe r;
  r.tokens.layers = {0};
  r.tokens.keep = 0.5;  // below 1 so the policy is active; threshold mode ignores the ratio
  r.tokens.mode = TokenPolicy::Mode::Threshold;
  r.tokens.threshold = 1.0;
  const Trace t = compress(m, r, &w, 2);
  const Op* prune = nullptr;
  for (const auto& op : t.ops)
    if (op.kind == OpKind::TokenPrune) prune = &op;
  ASSERT_NE(prune, nullptr);
  ASSERT_EQ(prune->tokens_kept.size(), 3u);
  // Each sample's count is what a forward pass on that sample's seeded input keeps.
  Rng inputs(r.seed + 0x5eed);
  ModelWeights pruned = w;  // no weight pruning in this recipe: the pruned model is the dense one
  for (size_t s = 0; s < 3; ++s) {
    RowMat x(33, kD);
    for (int i = 0; i < 33; ++i)
      for (int j = 0; j < kD; ++j) x(i, j) = float(inputs.normal());
    EXPECT_EQ(prune->tokens_kept[s], forward(pruned, x, r.tokens).tokens_kept.at(0)) << s;
    EXPECT_LT(prune->tokens_kept[s], 33u);
  }
  // Without weights there is no attention to threshold.
  EXPECT_NE(error_of([&] { compress(m, r); }).find("threshold needs real weights"), std::string::npos);
}

TEST(RealWeights, PerChannelScalesQuantizeMoreFaithfullyThanOnePerTensor) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  Recipe tensor;
  tensor.set_quant("int4");
  Recipe channel = tensor;
  channel.per_channel = true;
  const double e_tensor =
      std::stod(compress(tiny_spec(d, 16), tensor, &w, 4).header.get("fidelity_rel_error"));
  const double e_channel =
      std::stod(compress(tiny_spec(d, 16), channel, &w, 4).header.get("fidelity_rel_error"));
  EXPECT_GT(e_tensor, 0.0);
  EXPECT_LT(e_channel, e_tensor);
}

TEST(RealWeights, UserInputsDriveFidelityAndTokenCounts) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  Rng rng(21);
  std::vector<float> v(2 * 33 * kD);
  for (auto& x : v) x = float(rng.normal());
  write_safetensors(d + "/inputs.safetensors", {{"inputs", {2, 33, kD}, v}});
  ModelSpec m = tiny_spec(d, 33);
  m.batch = 2;
  Recipe r;
  r.add_prune("all=block:8x8:0.5");
  r.tokens.layers = {0};
  r.tokens.keep = 0.5;
  r.tokens.mode = TokenPolicy::Mode::Threshold;
  r.inputs_file = d + "/inputs.safetensors";
  const Trace t = compress(m, r, &w, 4);
  EXPECT_EQ(t.header.get("fidelity_inputs"), "2 inputs from " + r.inputs_file);
  // With no weight pruning the pruned model is the dense one: each sample's count is what a forward pass on
  // the user's sample keeps.
  Recipe keep_weights = r;
  keep_weights.fine.clear();
  keep_weights.set_quant("fp32");
  const Trace tk = compress(m, keep_weights, &w, 4);
  const Op* prune = nullptr;
  for (const auto& op : tk.ops)
    if (op.kind == OpKind::TokenPrune) prune = &op;
  ASSERT_NE(prune, nullptr);
  ASSERT_EQ(prune->tokens_kept.size(), 2u);
  for (int s = 0; s < 2; ++s) {
    const RowMat x = Eigen::Map<const RowMat>(v.data() + s * 33 * kD, 33, kD);
    EXPECT_EQ(prune->tokens_kept[size_t(s)], forward(w, x, r.tokens).tokens_kept.at(0)) << s;
  }
  // Dense weights and inputs read from the file: zero error on exactly those inputs.
  Recipe dense;
  dense.set_quant("fp32");
  dense.inputs_file = r.inputs_file;
  const Trace td = compress(tiny_spec(d, 33), dense, &w, 4);
  EXPECT_EQ(td.header.get("fidelity_rel_error"), "0");
  // A file of the wrong shape is a clear error.
  write_safetensors(d + "/bad.safetensors", {{"inputs", {2, 10, kD}, std::vector<float>(2 * 10 * kD)}});
  dense.inputs_file = d + "/bad.safetensors";
  EXPECT_NE(error_of([&] { compress(tiny_spec(d, 33), dense, &w, 4); }).find("must have shape [N, 33, 32]"),
            std::string::npos);
}

TEST(RealWeights, ActivationQuantizationShowsInTheFidelity) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  Recipe r;
  r.set_quant("weights=fp32,act=int8");
  const double e8 = std::stod(compress(tiny_spec(d, 16), r, &w, 3).header.get("fidelity_rel_error"));
  r.set_quant("weights=fp32,act=int4");
  const double e4 = std::stod(compress(tiny_spec(d, 16), r, &w, 3).header.get("fidelity_rel_error"));
  EXPECT_GT(e8, 0.0);  // weights exact: the error is the activations' alone
  EXPECT_GT(e4, e8);
}

TEST(RealWeights, CompactWeightsAreTheTracesShapesAndRunFunctionally) {
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  // Nothing pruned, fp32: the compact weights are the model's own.
  Recipe exact;
  exact.set_quant("fp32");
  ModelWeights same;
  compress(tiny_spec(d, 16), exact, &w, 1, &same);
  ASSERT_EQ(same.layers.size(), 2u);
  EXPECT_EQ(same.layers[1].qkv, w.layers[1].qkv);
  EXPECT_EQ(same.layers[0].fc1_b, w.layers[0].fc1_b);
  // Heads and neurons removed: the trace's shapes, the kept heads' rows, and the file drives a functional
  // run.
  Recipe r;
  r.add_prune("attn=head:0.5");
  r.add_prune("mlp=neuron:0.5");
  r.add_prune("all=block:8x8:0.5");
  ModelWeights compact;
  Trace t = compress(tiny_spec(d, 16), r, &w, 1, &compact);
  EXPECT_EQ(compact.layers[0].qkv.rows(), int(t.matrix("L0.qkv").rows));
  EXPECT_EQ(compact.layers[0].qkv.rows(), 3 * 2 * 8);  // 2 of 4 heads of 8
  EXPECT_EQ(compact.layers[0].fc1.rows(), 32);
  EXPECT_EQ(compact.layers[0].qkv_b.size(), 48);
  TraceWeights tw;
  tw.transformer = compact;
  write_trace_weights(d + "/pruned.safetensors", t, tw);
  t.weights_path = d + "/pruned.safetensors";
  for (auto numbers : {models::FunctionalNumbers::Int8, models::FunctionalNumbers::Float}) {
    sim::FunctionalModel f(t, 3, numbers);
    const models::TilePlan plan = models::plan_tiles(t, models::HwConfig{});
    for (const auto& item : plan.items) f.execute(item, t.ops[item.op]);
    const sim::FunctionalCheck c = f.check();
    EXPECT_TRUE(c.pass) << c.numbers << " " << c.failure << " " << c.mismatches << " " << c.max_rel_error;
    EXPECT_EQ(c.weights, d + "/pruned.safetensors");
  }
  // Structural pruning only, fp32: the compact model computes what the full-size model with the removed
  // heads' and neurons' weights zeroed computes.
  Recipe structural;
  structural.add_prune("attn=head:0.5");
  structural.add_prune("mlp=neuron:0.5");
  structural.set_quant("fp32");
  ModelWeights small;
  compress(tiny_spec(d, 16), structural, &w, 1, &small);
  ModelWeights full = w;
  full.spec.seq = 16;
  for (size_t l = 0; l < 2; ++l) {
    LayerWeights& F = full.layers[l];
    const LayerWeights& S = small.layers[l];
    // Which original head / neuron each compact one is: its query rows / fc1 row match exactly.
    std::vector<bool> head_kept(4, false), neuron_kept(64, false);
    for (int h = 0; h < 2; ++h)
      for (int o = 0; o < 4; ++o)
        if (S.qkv.middleRows(h * 8, 8) == w.layers[l].qkv.middleRows(o * 8, 8)) head_kept[size_t(o)] = true;
    for (int j = 0; j < 32; ++j)
      for (int o = 0; o < 64; ++o)
        if (S.fc1.row(j) == w.layers[l].fc1.row(o)) neuron_kept[size_t(o)] = true;
    ASSERT_EQ(std::count(head_kept.begin(), head_kept.end(), true), 2);
    ASSERT_EQ(std::count(neuron_kept.begin(), neuron_kept.end(), true), 32);
    for (int o = 0; o < 4; ++o)
      if (!head_kept[size_t(o)]) {
        for (int part = 0; part < 3; ++part)
          F.qkv.middleRows(part * 32 + o * 8, 8).setZero(), F.qkv_b.segment(part * 32 + o * 8, 8).setZero();
        F.proj.middleCols(o * 8, 8).setZero();
      }
    for (int o = 0; o < 64; ++o)
      if (!neuron_kept[size_t(o)]) F.fc1.row(o).setZero(), F.fc1_b(o) = 0, F.fc2.col(o).setZero();
  }
  small.act_bits = full.act_bits = 32;
  const RowMat x = seeded_inputs(1, 16, 32, 2)[0];
  const RowMat want = forward(full, x, {}).out, got = forward(small, x, {}).out;
  EXPECT_LT((got - want).cwiseAbs().maxCoeff(), 1e-4f);
}

TEST(RealWeights, HeadPrunedTokenCountsComeFromTheKeptHeadsOnly) {
  // EViT's class attention is averaged over the heads the model still has: the counts a threshold policy
  // records are those of a forward pass of the compact (head-pruned) model.
  const std::string d = test::temp_dir();
  write_tiny_bert(d);
  const ModelWeights w = load_hf_model(d + "/model.safetensors", d + "/config.json");
  Rng rng(4);
  std::vector<float> v(3 * 33 * kD);
  for (auto& x : v) x = float(rng.normal());
  write_safetensors(d + "/inputs.safetensors", {{"inputs", {3, 33, kD}, v}});
  ModelSpec m = tiny_spec(d, 33);
  m.batch = 3;
  Recipe r;
  r.add_prune("attn=head:0.5");
  r.set_quant("fp32");
  r.tokens.layers = {0};
  r.tokens.keep = 0.5;
  r.tokens.mode = TokenPolicy::Mode::Threshold;
  r.tokens.threshold = 1.2;
  r.inputs_file = d + "/inputs.safetensors";
  ModelWeights compact;
  const Trace t = compress(m, r, &w, 3, &compact);
  ASSERT_EQ(compact.spec.heads, 2u);
  const Op* prune = nullptr;
  for (const auto& op : t.ops)
    if (op.kind == OpKind::TokenPrune) prune = &op;
  ASSERT_NE(prune, nullptr);
  for (int s = 0; s < 3; ++s) {
    const RowMat x = Eigen::Map<const RowMat>(v.data() + s * 33 * kD, 33, kD);
    TokenPolicy p = r.tokens;
    EXPECT_EQ(prune->tokens_kept[size_t(s)], forward(compact, x, p).tokens_kept.at(0)) << s;
  }
}
