#pragma once
// Real transformer weights: a Hugging Face config.json plus a safetensors file (BERT, GPT-2, ViT and DeiT
// tensor naming), held as out x in float matrices ready for pruning and for a forward pass with Eigen.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "prunesim/workloads/model_zoo.h"

namespace prunesim::workloads {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vec = Eigen::VectorXf;

struct LayerWeights {
  RowMat qkv;  // 3A x D: query rows, then key rows, then value rows (out x in)
  Vec qkv_b;
  RowMat proj;  // D x A
  Vec proj_b;
  RowMat fc1;  // F x D
  Vec fc1_b;
  RowMat fc2;  // D x F
  Vec fc2_b;
  Vec ln1_g, ln1_b, ln2_g, ln2_b;
};

// One GRU layer in PyTorch's gate order (r, z, n).
struct GruLayerWeights {
  RowMat w_ih, w_hh;  // 3H x in, 3H x H
  Vec b_ih, b_hh;     // 3H
};

struct ModelWeights {
  ModelSpec spec;
  std::vector<LayerWeights> layers;  // transformers
  std::vector<GruLayerWeights> gru;  // GRUs (ONNX import)
  bool pre_ln = true;      // GPT-2, ViT, DeiT; BERT is post-LN
  bool causal = false;     // GPT-2
  bool gelu_tanh = false;  // GPT-2's gelu_new; the others use the erf GELU
  bool rms_norm = false;   // RMSNorm layers (gamma only) instead of LayerNorm
  int act_bits = 32;       // activations entering each linear layer are quantized to this width (< 16)
  float ln_eps = 1e-12f;
  std::string source;  // weights file
};

// Reads config.json and the safetensors file; InputError names the file, the missing field or tensor.
ModelWeights load_hf_model(const std::string& weights_path, const std::string& config_path);
// The ModelSpec a Hugging Face config.json describes (dimensions only).
ModelSpec spec_from_hf_config(const std::string& config_path);

}  // namespace prunesim::workloads
