#pragma once
// Run configuration: INI files read with Boost.Program_options ([section] key = value becomes the option
// section.key), layered in order, then --set section.key=value overrides. Every key is declared once in
// a schema with its type, range, default and help; unknown keys, wrong types and out-of-range values are
// errors naming the key and where it came from (file:line or --set).
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "prunesim/models/hw_config.h"
#include "prunesim/models/param_fields.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/trace_weights.h"

namespace prunesim::sim {

// What to simulate: a trace file, or a model from the zoo with a compression recipe.
struct WorkloadConfig {
  std::string trace;  // when set, the trace file is replayed and the rest is ignored
  bool prefer_hier =
      false;  // set by resolve(): the engine reads weights from per-PE banks (Recipe::prefer_hier)
  std::string model = "deit-small";
  uint32_t batch = 1;
  uint32_t seq = 0;                           // 0: the model's own
  uint32_t decode = 0;                        // decoder models: tokens generated after the prefill
  uint32_t max_positions = 0;                 // 0: the model's own context
  uint32_t layers = 0;                        // 0: the model's own
  uint32_t gru_input = 0, gru_hidden = 0;     // 0: the model's own
  std::string prune = "all=block:16x16:0.5";  // space-separated KIND=SPEC items
  std::string quant = "int8";
  std::string format = "auto";  // auto or a storage format name (workloads::StorageFormat)
  workloads::Spread spread = workloads::Spread::Uniform;
  double skew = 0.5;
  // "auto": EViT's published DeiT setting (layers 3, 6, 9) for vision models, none for the others; empty:
  // none.
  std::string token_layers = "auto";
  double token_keep = 0.7;
  bool token_fused = true;
  workloads::TokenPolicy::Mode token_mode = workloads::TokenPolicy::Mode::Static;
  double token_stddev = 0.0;
  double token_threshold = 1.0;
  std::string quant_granularity = "tensor";  // tensor | channel (a choice key)
  uint32_t d_model = 0, heads = 0, mlp = 0;  // 0: the model's own
  std::string norm = "model";                // model (its own), layernorm or rmsnorm
  uint64_t seed = 1;
  std::string weights;                 // safetensors file: prune real weights (needs hf_config)
  std::string hf_config;               // Hugging Face config.json: model dimensions (instead of `model`)
  std::string model_file;              // a model file ([model] INI, read_model_file): instead of `model`
  std::string onnx;                    // an ONNX graph: model and weights (workloads/onnx_model.h)
  std::string onnx_unknown = "error";  // error | vector: what an op the import cannot map becomes
  uint32_t fidelity_inputs = 4;        // seeded inputs for the dense-vs-pruned fidelity check
  std::string fidelity_inputs_file;    // or the user's inputs: safetensors with "inputs" [N, tokens, D]

  workloads::ModelSpec model_spec() const;
  workloads::Recipe recipe() const;
  // Compresses the configured model (from the zoo, a config.json, or real weights) into a trace.
  // `weights_out` (optional): the pruned layer weights in the trace's shapes, from the real weights or seeded
  // (workload.seed) when the workload has none.
  workloads::Trace build_trace(workloads::TraceWeights* weights_out = nullptr) const;
};

// An INI file checked line by line (Boost reports no line numbers): every line is a comment, a `[section]`
// header or `key = value`, no key is set twice, and the text is text. A UTF-8 byte order mark (as Windows
// editors write) is dropped. Keys are `section.key`; `lines` says where each sits, for later errors.
struct IniFile {
  std::string text;
  std::map<std::string, size_t> lines;
  std::map<std::string, std::string> values;
};
IniFile read_ini(const std::string& path);  // throws InputError naming file:line

// A model file: `[model]` with name, family (encoder|decoder|vision|gru), base (a zoo model whose other
// dimensions it starts from; default the family's reference: bert-base, gpt2, deit-small, gru), layers,
// d_model, heads, head_dim (default d_model / heads), mlp, seq, vocab, classes, patch, channels,
// extra_tokens, gru_input, gru_hidden, norm (layernorm|rmsnorm), activation (gelu|relu), norm_placement
// (pre|post), max_positions (the context: seq [+ decode] must fit), source. Unknown keys and bad values are
// errors naming file:line; the result is validated like a zoo model.
workloads::ModelSpec read_model_file(const std::string& path);

struct RunConfig {
  models::HwConfig hw;
  WorkloadConfig workload;
  // The design keys no layer set, which resolve() fitted to the device (models/design_fit.h).
  std::vector<std::string> fitted;
  std::set<std::string> assigned;  // every key some layer (file, flag, --set) set; the rest are defaults
};

class ConfigSchema {
 public:
  ConfigSchema();
  // Layers files then overrides onto the built-in default. Throws InputError. `set_labels[i]`, when given and
  // not empty, is how errors name sets[i] (the flag it came from, "--seq"); otherwise "--set KEY".
  RunConfig resolve(const std::vector<std::string>& files, const std::vector<std::string>& sets,
                    const std::vector<std::string>& set_labels = {}) const;
  // Every key with its value, in schema order (sections sorted).
  std::vector<std::pair<std::string, std::string>> dump(const RunConfig& c) const;
  // "key  (type, default)  help" lines for --help-config.
  std::string describe() const;
  bool has(const std::string& key) const { return index_.count(key) != 0; }
  // One key's value in `c` (the key must exist).
  std::string value(const RunConfig& c, const std::string& key) const { return keys_[index_.at(key)].get(c); }

 private:
  struct Key {
    std::string name, type, help;
    std::function<std::string(const RunConfig&)> get;
    std::function<void(RunConfig&, const std::string&)> set;  // throws InputError with what was expected
  };
  void add_key(Key k);
  void add_section(const models::ConfigSection& section);  // HwConfig keys, bound by their declarations
  void add_engine_params();
  void add_workload_keys();
  void add_workload(const std::string& name, const models::ParamSpec& spec,
                    std::function<std::string(const WorkloadConfig&)> get,
                    std::function<void(WorkloadConfig&, const std::string&)> set);

  std::vector<Key> keys_;
  std::map<std::string, size_t> index_;
};

// "3,6,9" as layer indices; InputError on an item that is not a non-negative integer.
std::vector<int> token_layer_list(const std::string& text);

// Checks cross-key consistency of a resolved configuration; throws InputError naming the keys.
void validate(const RunConfig& c);

}  // namespace prunesim::sim
