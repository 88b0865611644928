#include "prunesim/workloads/model_zoo.h"

#include <map>

#include "prunesim/common/error.h"

namespace prunesim::workloads {
namespace {

ModelSpec encoder(const std::string& name, uint32_t layers, uint32_t d, uint32_t heads, uint32_t mlp) {
  ModelSpec m;
  m.name = name;
  m.family = Family::Encoder;
  m.layers = layers;
  m.d_model = d;
  m.heads = heads;
  m.head_dim = d / heads;
  m.mlp = mlp;
  m.seq = 128;
  m.max_positions = 512;  // BERT's learned position embeddings (Devlin et al. 2019, sec. A.2)
  m.vocab = 30522;        // BERT WordPiece vocabulary
  m.classes = 2;          // sequence-classification head (e.g. SST-2)
  return m;
}

ModelSpec decoder(const std::string& name, uint32_t layers, uint32_t d, uint32_t heads) {
  ModelSpec m;
  m.name = name;
  m.family = Family::Decoder;
  m.layers = layers;
  m.d_model = d;
  m.heads = heads;
  m.head_dim = d / heads;
  m.mlp = 4 * d;
  m.seq = 128;
  m.decode = 0;
  m.max_positions = 1024;  // GPT-2's context (Radford et al. 2019, sec. 2.3: 1024 tokens; n_positions)
  m.vocab = 50257;         // GPT-2 BPE vocabulary
  return m;
}

ModelSpec vision(const std::string& name, uint32_t d, uint32_t heads, uint32_t extra) {
  ModelSpec m;
  m.name = name;
  m.family = Family::Vision;
  m.layers = 12;
  m.d_model = d;
  m.heads = heads;
  m.head_dim = 64;
  m.mlp = 4 * d;
  m.patch = 16;
  m.extra_tokens = extra;
  m.seq = 196 + extra;  // 224x224 image, 16x16 patches
  m.classes = 1000;     // ImageNet-1k
  return m;
}

const std::map<std::string, ModelSpec>& zoo() {
  static const std::map<std::string, ModelSpec> models = [] {
    std::map<std::string, ModelSpec> z;
    auto add = [&z](ModelSpec m) { z[m.name] = m; };
    auto cite = [](ModelSpec m, const char* source) {
      m.source = source;
      return m;
    };
    add(cite(encoder("bert-base", 12, 768, 12, 3072),
             "Devlin et al. 2019, BERT (arXiv:1810.04805): BERT-BASE"));
    add(cite(encoder("bert-large", 24, 1024, 16, 4096),
             "Devlin et al. 2019, BERT (arXiv:1810.04805): BERT-LARGE"));
    {
      ModelSpec t = cite(encoder("tinybert-4", 4, 312, 12, 1200),
                         "Jiao et al. 2020, TinyBERT (arXiv:1909.10351): TinyBERT-4");
      t.head_dim = 26;  // 312 / 12
      add(t);
    }
    add(cite(decoder("gpt2", 12, 768, 12),
             "Radford et al. 2019, GPT-2 (117M); heads as the released config"));
    add(cite(decoder("gpt2-medium", 24, 1024, 16),
             "Radford et al. 2019, GPT-2 (345M); heads as the released config"));
    // DeiT models as published: class token only; distilled variants add one token (198).
    add(cite(vision("deit-tiny", 192, 3, 1),
             "Touvron et al. 2021, DeiT (arXiv:2012.12877) Table 1: DeiT-Ti"));
    add(cite(vision("deit-small", 384, 6, 1),
             "Touvron et al. 2021, DeiT (arXiv:2012.12877) Table 1: DeiT-S"));
    add(cite(vision("deit-base", 768, 12, 1),
             "Touvron et al. 2021, DeiT (arXiv:2012.12877) Table 1: DeiT-B"));
    add(cite(vision("vit-base-16", 768, 12, 1),
             "Dosovitskiy et al. 2021, ViT (arXiv:2010.11929) Table 1: ViT-Base, 16x16 patches"));
    {
      ModelSpec g;
      g.name = "gru";
      g.source =
          "prunesim's GRU benchmark shape (2 x 256 hidden, 64 inputs, 100 steps), not a published model";
      g.family = Family::Gru;
      g.layers = 2;
      g.gru_input = 64;
      g.gru_hidden = 256;
      g.seq = 100;
      add(g);
    }
    return z;
  }();
  return models;
}

}  // namespace

const char* family_name(Family f) {
  switch (f) {
    case Family::Encoder: return "encoder";
    case Family::Decoder: return "decoder";
    case Family::Vision: return "vision";
    case Family::Gru: return "gru";
  }
  return "?";
}

std::vector<std::string> known_models() {
  std::vector<std::string> names;
  for (const auto& [name, spec] : zoo()) names.push_back(name);
  return names;
}

ModelSpec lookup_model(const std::string& name) {
  auto it = zoo().find(name);
  if (it == zoo().end()) {
    std::string list;
    for (const auto& n : known_models()) list += (list.empty() ? "" : ", ") + n;
    throw InputError("unknown model '" + name + "'; known models: " + list);
  }
  return it->second;
}

void validate(const ModelSpec& m) {
  auto positive = [&](uint32_t v, const char* field) {
    if (v == 0) throw InputError("model '" + m.name + "': " + field + " must be positive");
  };
  positive(m.layers, "layers");
  positive(m.seq, "seq (tokens or time steps)");
  positive(m.batch, "batch");
  if (m.family == Family::Gru) {
    positive(m.gru_input, "gru_input");
    positive(m.gru_hidden, "gru_hidden");
    return;
  }
  positive(m.d_model, "d_model");
  positive(m.heads, "heads");
  positive(m.head_dim, "head_dim");
  positive(m.mlp, "mlp");
  if (m.family == Family::Vision) {
    positive(m.patch, "patch");
    if (m.seq <= m.extra_tokens) throw InputError("model '" + m.name + "': seq must exceed extra tokens");
  }
  if (const std::string c = context_overflow(m); !c.empty())
    throw InputError("model '" + m.name + "' " + c + " (workload.max_positions widens the model)");
}

std::string context_overflow(const ModelSpec& m) {
  const bool decoder = m.family == Family::Decoder;
  const uint64_t positions = uint64_t(m.seq) + (decoder ? m.decode : 0);
  if (!m.max_positions || positions <= m.max_positions) return "";
  return "has position embeddings for " + std::to_string(m.max_positions) + " tokens; seq " +
         std::to_string(m.seq) + (decoder ? " + decode " + std::to_string(m.decode) : std::string()) +
         " needs " + std::to_string(positions);
}

}  // namespace prunesim::workloads
