#pragma once
// Small models the tests build: zoo models cut down, and real-weights ones (safetensors plus a Hugging Face
// config.json).
#include <string>
#include <vector>

#include "prunesim/workloads/model_zoo.h"
#include "prunesim/workloads/rng.h"
#include "prunesim/workloads/safetensors.h"
#include "test_util.h"

namespace prunesim::test {

// GPT-2 cut to 2 layers and a 16-token prompt, then `decode` generated tokens: a decoder trace of a few
// hundred ops.
inline workloads::ModelSpec small_gpt2(uint32_t decode) {
  workloads::ModelSpec m = workloads::lookup_model("gpt2");
  m.layers = 2;
  m.seq = 16;
  m.decode = decode;
  return m;
}

// A BERT-style encoder with N(0, 0.1) weights (seeded): `layers` layers of hidden size `hidden`, `heads`
// heads and an MLP of `mlp` (0: twice the hidden size). Writes DIR/m.safetensors and DIR/config.json.
inline void write_tiny_bert(const std::string& dir, int layers = 1, int hidden = 16, int heads = 2,
                            int mlp = 0, uint64_t seed = 1) {
  std::vector<workloads::NamedTensor> t;
  workloads::Rng rng(seed);
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    size_t n = 1;
    for (auto s : shape) n *= size_t(s);
    std::vector<float> v(n);
    for (auto& x : v) x = float(rng.normal()) * 0.1f;
    t.push_back({name, shape, v});
  };
  const int64_t h = hidden, m = mlp ? mlp : 2 * hidden;
  for (int l = 0; l < layers; ++l) {
    const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
    for (const char* w : {"query", "key", "value"})
      add(p + "attention.self." + w + ".weight", {h, h}), add(p + "attention.self." + w + ".bias", {h});
    add(p + "attention.output.dense.weight", {h, h});
    add(p + "attention.output.dense.bias", {h});
    add(p + "intermediate.dense.weight", {m, h});
    add(p + "intermediate.dense.bias", {m});
    add(p + "output.dense.weight", {h, m});
    add(p + "output.dense.bias", {h});
    for (const char* ln : {"attention.output.LayerNorm", "output.LayerNorm"})
      add(p + ln + ".weight", {h}), add(p + ln + ".bias", {h});
  }
  workloads::write_safetensors(dir + "/m.safetensors", t);
  write_file(dir + "/config.json", "{\"model_type\": \"bert\", \"hidden_size\": " + std::to_string(hidden) +
                                       ", \"num_attention_heads\": " + std::to_string(heads) +
                                       ", \"num_hidden_layers\": " + std::to_string(layers) +
                                       ", \"intermediate_size\": " + std::to_string(m) + "}");
}

}  // namespace prunesim::test
