#pragma once
// Dimensions of the models prunesim knows by name. Figures come from the models' published configs
// (Hugging Face config.json of each checkpoint; DeiT and ViT papers; TinyBERT-4 paper).
#include <cstdint>
#include <string>
#include <vector>

namespace prunesim::workloads {

enum class Family { Encoder, Decoder, Vision, Gru };
enum class OpRole;  // trace.h

// An op an imported graph has beyond its family's layer template (ONNX import with --onnx-unknown=vector):
// costed as one element-wise vector pass over `elems_per_token` values for every token at that point,
// right after the layer op whose role is `after` (OpRole::Other: before the layer's first op).
struct ExtraVectorOp {
  int layer = 0;
  OpRole after{};
  std::string name;  // the trace op's name, e.g. onnx.Sin
  std::string func;  // the op type, recorded as the eltwise function
  double elems_per_token = 0;
};

struct ModelSpec {
  std::string name;
  std::string source;  // where the dimensions come from (zoo models)
  Family family = Family::Vision;
  uint32_t layers = 0;
  uint32_t d_model = 0;
  uint32_t heads = 0;
  uint32_t head_dim = 0;
  uint32_t mlp = 0;
  uint32_t seq = 0;  // tokens per sample (vision: patches + class [+ distillation])
  uint32_t batch = 1;
  uint32_t vocab = 0;         // decoder LM head / encoder embeddings
  uint32_t classes = 0;       // classifier head outputs (0: none)
  uint32_t patch = 0;         // vision: patch size
  uint32_t channels = 3;      // vision: input channels
  uint32_t extra_tokens = 0;  // vision: class (+ distillation) tokens
  uint32_t decode = 0;        // decoder: tokens generated after the prefill
  // Positions the model has embeddings for (its context: seq, plus decode for a decoder, must fit); 0 where
  // the model states none (vision: the image size fixes seq; GRU).
  uint32_t max_positions = 0;
  uint32_t gru_input = 0;   // GRU: input features per step
  uint32_t gru_hidden = 0;  // GRU: hidden units
  bool rms_norm = false;    // transformers: RMSNorm layers instead of LayerNorm (as LLaMA-style models)
  // Transformers: the MLP's activation (ReLU is one element-wise pass, as the original Transformer and OPT),
  // and where each sublayer's norm sits (the family's own unless a model file says: BERT post, others pre).
  enum class Activation { Gelu, Relu };
  enum class NormPlacement { Family, Pre, Post };
  Activation activation = Activation::Gelu;
  NormPlacement norm_placement = NormPlacement::Family;
  std::vector<ExtraVectorOp> extra_ops;  // imported graphs only

  uint32_t attn_dim() const { return heads * head_dim; }
  uint32_t patches() const { return seq - extra_tokens; }
};

const char* family_name(Family f);
std::vector<std::string> known_models();
// Throws InputError naming the known models when `name` is not one.
ModelSpec lookup_model(const std::string& name);
// Checks dimensions are positive and consistent; throws InputError naming the field.
void validate(const ModelSpec& m);
// Empty when seq (+ decode, for a decoder) fits the model's position embeddings (max_positions, 0: no limit);
// else what does not fit: "has position embeddings for N tokens; seq S + decode D needs P". The zoo's and the
// configuration's errors both say it this way.
std::string context_overflow(const ModelSpec& m);

}  // namespace prunesim::workloads
