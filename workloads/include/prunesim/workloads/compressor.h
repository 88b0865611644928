#pragma once
// The compressor: a model (dimensions or real weights) plus a compression recipe in, a trace out.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "prunesim/workloads/model_zoo.h"
#include "prunesim/workloads/pruning.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::workloads {

// EViT-style token pruning: at each listed layer, keep ceil((N-1)*keep) tokens by class-token attention,
// plus the class token and (optionally) one fused token that sums the dropped ones.
struct TokenPolicy {
  // Static: the same ratio everywhere. Distribution: per-sample keep ~ N(keep, stddev). Threshold: keep the
  // tokens whose class attention is at least `threshold` times the mean (needs real weights: the counts come
  // from running the pruned model on the samples).
  enum class Mode { Static, Distribution, Threshold };
  std::vector<int> layers;  // 0-based layer indices
  double keep = 1.0;        // keep ratio in (0, 1]
  bool fused = true;
  Mode mode = Mode::Static;
  double keep_stddev = 0.0;  // Distribution mode: per-sample keep ~ N(keep, stddev), clipped to (0, 1]
  double threshold = 1.0;    // Threshold mode: multiple of the mean class attention a token needs
  // When set, step i keeps exactly kept_tokens[i] tokens in total (class and fused included): replays a
  // trace's recorded counts.
  std::vector<uint32_t> kept_tokens;

  bool active() const { return !layers.empty() && keep < 1.0; }
  std::string str() const;
};

// Tokens after one EViT pruning step of n tokens (class token first) at ratio keep.
uint32_t evit_kept_tokens(uint32_t n, double keep, bool fused);

struct Recipe {
  std::map<std::string, PruneSpec> fine;  // by matrix kind: qkv, proj, fc1, fc2, head, embed, gru_ih, gru_hh
  PruneSpec heads;                        // structural: attention heads kept
  PruneSpec neurons;                      // structural: MLP hidden neurons kept
  int wbits = 8;
  int abits = 8;
  std::map<std::string, int> wbits_by_kind;  // hybrid quantization
  // Activation width per op kind (gemm, matmul, softmax, layernorm, gelu, residual, eltwise): the width of
  // the op's activations on chip; loads, stores and the KV cache keep `abits`.
  std::map<std::string, int> abits_by_op;
  std::string quant = "int8";  // human-readable scheme recorded in the header
  std::string format =
      "auto";  // auto: bcsr for block methods (hier with prefer_hier), csr for fine-grained ones
  bool prefer_hier = false;  // the engine reads weight tiles from per-PE banks (the hier layout's case)
  bool per_channel = false;  // quantization scales per output channel instead of per tensor
  std::string inputs_file;   // real weights: fidelity and token counts on these inputs (safetensors "inputs")
  Spread spread = Spread::Uniform;
  double skew = 0.5;
  TokenPolicy tokens;
  uint64_t seed = 1;

  // "KIND=SPEC"; KIND is a matrix kind or a group: attn (qkv, proj), mlp (fc1, fc2), gru, all.
  void add_prune(const std::string& kind_eq_spec);
  // "int8", "int4", "int16", "fp16", "fp32", or hybrid "KIND=TYPE,KIND=TYPE,..." (act=TYPE sets activations,
  // act.OPKIND=TYPE those of one op kind, e.g. act.softmax=int16).
  void set_quant(const std::string& text);
  std::string pruning_str() const;
};

int bits_of_type(const std::string& type);  // int4 -> 4, fp16 -> 16, ...; throws InputError

// Builds the trace. Throws InputError on an inconsistent model or recipe.
Trace compress(const ModelSpec& model, const Recipe& recipe);
// From real weights: heads, neurons and masks chosen by magnitude; the pruned, quantized model and the dense
// one run `fidelity_inputs` seeded inputs and the trace header records the relative error and top-1
// agreement.
struct ModelWeights;
// `compact_out` (optional) receives the pruned, quantized layers in the trace's shapes (heads and neurons
// removed), ready for write_trace_weights.
Trace compress(const ModelSpec& model, const Recipe& recipe, const ModelWeights* weights,
               uint32_t fidelity_inputs, ModelWeights* compact_out = nullptr);

// The built-in default workload: DeiT-Small, 16x16 block pruning at density 0.5 on every encoder matrix,
// EViT token pruning at layers 3, 6, 9 keeping 70 %, int8.
ModelSpec default_model();
Recipe default_recipe();

}  // namespace prunesim::workloads

namespace prunesim {
// Name table (enum_names.h), defined in workloads/src/compressor.cpp.
template <>
const std::vector<EnumName<workloads::TokenPolicy::Mode>>& enum_names();
}  // namespace prunesim
