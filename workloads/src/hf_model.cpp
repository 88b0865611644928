#include "prunesim/workloads/hf_model.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "prunesim/common/error.h"
#include "prunesim/workloads/safetensors.h"

namespace prunesim::workloads {

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream is(path);
  if (!is) throw InputError(path + ": cannot open config file");
  try {
    return nlohmann::json::parse(is);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path + ": not valid JSON: " + e.what());
  }
}

// A positive integer field that fits the model's 32-bit dimensions (4294967328 once became 32).
uint32_t field(const nlohmann::json& j, const std::string& path, const char* key) {
  if (!j.contains(key) || !j.at(key).is_number_integer() || j.at(key).get<int64_t>() <= 0)
    throw InputError(path + ": missing or invalid field '" + key + "' (a positive integer)");
  const int64_t v = j.at(key).get<int64_t>();
  if (v > int64_t(UINT32_MAX))
    throw InputError(path + ": field '" + key + "' is " + std::to_string(v) + ", beyond 4294967295");
  return uint32_t(v);
}

std::string model_type(const nlohmann::json& j, const std::string& path) {
  if (!j.contains("model_type") || !j.at("model_type").is_string())
    throw InputError(path + ": missing field 'model_type' (bert, gpt2, vit or deit)");
  const std::string t = j.at("model_type").get<std::string>();
  if (t != "bert" && t != "gpt2" && t != "vit" && t != "deit")
    throw InputError(path + ": model_type '" + t + "' is not supported (bert, gpt2, vit or deit)");
  return t;
}

RowMat matrix(const SafetensorsFile& f, const std::string& name, int64_t rows, int64_t cols, bool transpose) {
  const TensorInfo& info = f.info(name);
  const std::vector<int64_t> want =
      transpose ? std::vector<int64_t>{cols, rows} : std::vector<int64_t>{rows, cols};
  if (info.shape != want)
    throw InputError(f.path() + ": tensor '" + name + "' has shape [" +
                     (info.shape.size() == 2
                          ? std::to_string(info.shape[0]) + ", " + std::to_string(info.shape[1])
                          : std::string("rank ") + std::to_string(info.shape.size())) +
                     "], expected [" + std::to_string(want[0]) + ", " + std::to_string(want[1]) + "]");
  const std::vector<float> v = f.floats(name);
  RowMat m = Eigen::Map<const RowMat>(v.data(), want[0], want[1]);
  if (transpose) return m.transpose();
  return m;
}

Vec vector(const SafetensorsFile& f, const std::string& name, int64_t n) {
  const TensorInfo& info = f.info(name);
  if (info.shape != std::vector<int64_t>{n})
    throw InputError(f.path() + ": tensor '" + name + "' should have shape [" + std::to_string(n) + "]");
  const std::vector<float> v = f.floats(name);
  return Eigen::Map<const Vec>(v.data(), n);
}

// The first of the candidate prefixes under which `probe` exists.
std::string find_prefix(const SafetensorsFile& f, const std::vector<std::string>& prefixes,
                        const std::string& probe) {
  for (const auto& p : prefixes)
    if (f.has(p + probe)) return p;
  throw InputError(f.path() + ": missing tensor '" + prefixes.front() + probe + "' (checked prefixes: " +
                   [&] {
                     std::string s;
                     for (const auto& p : prefixes) s += (s.empty() ? "'" : ", '") + p + "'";
                     return s;
                   }() +
                   ")");
}

}  // namespace

ModelSpec spec_from_hf_config(const std::string& path) {
  const nlohmann::json j = read_json(path);
  const std::string type = model_type(j, path);
  ModelSpec m;
  m.name = type;
  if (type == "gpt2") {
    m.family = Family::Decoder;
    m.d_model = field(j, path, "n_embd");
    m.heads = field(j, path, "n_head");
    m.layers = field(j, path, "n_layer");
    m.mlp = j.contains("n_inner") && !j.at("n_inner").is_null() ? field(j, path, "n_inner") : 4 * m.d_model;
    m.vocab = j.contains("vocab_size") ? field(j, path, "vocab_size") : 50257;
    m.max_positions = j.contains("n_positions") ? field(j, path, "n_positions") : 1024;
    m.seq = std::min(128u, m.max_positions);
  } else {
    m.d_model = field(j, path, "hidden_size");
    m.heads = field(j, path, "num_attention_heads");
    m.layers = field(j, path, "num_hidden_layers");
    m.mlp = field(j, path, "intermediate_size");
    if (type == "bert") {
      m.family = Family::Encoder;
      m.max_positions =
          j.contains("max_position_embeddings") ? field(j, path, "max_position_embeddings") : 512;
      m.seq = std::min(128u, m.max_positions);
      m.vocab = j.contains("vocab_size") ? field(j, path, "vocab_size") : 30522;
      m.classes = 2;
    } else {
      m.family = Family::Vision;
      const uint32_t image = j.contains("image_size") ? field(j, path, "image_size") : 224;
      m.patch = j.contains("patch_size") ? field(j, path, "patch_size") : 16;
      m.channels = j.contains("num_channels") ? field(j, path, "num_channels") : 3;
      m.extra_tokens = type == "deit" ? 2 : 1;  // DeiT's distilled models add a distillation token
      m.seq = (image / m.patch) * (image / m.patch) + m.extra_tokens;
      m.classes = 1000;
    }
  }
  if (m.d_model % m.heads) throw InputError(path + ": hidden size is not a multiple of the number of heads");
  m.head_dim = m.d_model / m.heads;
  return m;
}

ModelWeights load_hf_model(const std::string& weights_path, const std::string& config_path) {
  ModelWeights w;
  w.spec = spec_from_hf_config(config_path);
  const nlohmann::json j = read_json(config_path);
  const std::string type = j.at("model_type").get<std::string>();
  const SafetensorsFile f = SafetensorsFile::open(weights_path);
  w.source = weights_path;
  const int64_t D = w.spec.d_model, F = w.spec.mlp, A = D;
  if (type == "gpt2") {
    w.pre_ln = true;
    w.causal = true;
    w.gelu_tanh = true;
    w.ln_eps = j.value("layer_norm_epsilon", 1e-5f);
    const std::string p = find_prefix(f, {"transformer.", ""}, "h.0.attn.c_attn.weight");
    for (uint32_t l = 0; l < w.spec.layers; ++l) {
      const std::string b = p + "h." + std::to_string(l) + ".";
      LayerWeights L;
      // GPT-2's Conv1D stores weights in x out: transpose to out x in.
      L.qkv = matrix(f, b + "attn.c_attn.weight", 3 * A, D, true);
      L.qkv_b = vector(f, b + "attn.c_attn.bias", 3 * A);
      L.proj = matrix(f, b + "attn.c_proj.weight", D, A, true);
      L.proj_b = vector(f, b + "attn.c_proj.bias", D);
      L.fc1 = matrix(f, b + "mlp.c_fc.weight", F, D, true);
      L.fc1_b = vector(f, b + "mlp.c_fc.bias", F);
      L.fc2 = matrix(f, b + "mlp.c_proj.weight", D, F, true);
      L.fc2_b = vector(f, b + "mlp.c_proj.bias", D);
      L.ln1_g = vector(f, b + "ln_1.weight", D), L.ln1_b = vector(f, b + "ln_1.bias", D);
      L.ln2_g = vector(f, b + "ln_2.weight", D), L.ln2_b = vector(f, b + "ln_2.bias", D);
      w.layers.push_back(std::move(L));
    }
    return w;
  }
  const bool bert = type == "bert";
  w.pre_ln = !bert;
  w.ln_eps = j.value("layer_norm_eps", 1e-12f);
  const std::string att = bert ? "attention.self." : "attention.attention.";
  const std::string p =
      find_prefix(f, {type + ".encoder.layer.", "encoder.layer."}, "0." + att + "query.weight");
  for (uint32_t l = 0; l < w.spec.layers; ++l) {
    const std::string b = p + std::to_string(l) + ".";
    LayerWeights L;
    // Each tensor is read (and checked) before it is stacked: a comma initializer left unfinished by an
    // exception asserts in its destructor.
    const RowMat q = matrix(f, b + att + "query.weight", A, D, false),
                 k = matrix(f, b + att + "key.weight", A, D, false),
                 v = matrix(f, b + att + "value.weight", A, D, false);
    L.qkv.resize(3 * A, D);
    L.qkv << q, k, v;
    const Vec qb = vector(f, b + att + "query.bias", A), kb = vector(f, b + att + "key.bias", A),
              vb = vector(f, b + att + "value.bias", A);
    L.qkv_b.resize(3 * A);
    L.qkv_b << qb, kb, vb;
    L.proj = matrix(f, b + "attention.output.dense.weight", D, A, false);
    L.proj_b = vector(f, b + "attention.output.dense.bias", D);
    L.fc1 = matrix(f, b + "intermediate.dense.weight", F, D, false);
    L.fc1_b = vector(f, b + "intermediate.dense.bias", F);
    L.fc2 = matrix(f, b + "output.dense.weight", D, F, false);
    L.fc2_b = vector(f, b + "output.dense.bias", D);
    const std::string ln1 = bert ? "attention.output.LayerNorm." : "layernorm_before.";
    const std::string ln2 = bert ? "output.LayerNorm." : "layernorm_after.";
    L.ln1_g = vector(f, b + ln1 + "weight", D), L.ln1_b = vector(f, b + ln1 + "bias", D);
    L.ln2_g = vector(f, b + ln2 + "weight", D), L.ln2_b = vector(f, b + ln2 + "bias", D);
    w.layers.push_back(std::move(L));
  }
  return w;
}

}  // namespace prunesim::workloads
