#pragma once
// Forward pass of transformer layers with Eigen, for the fidelity of a pruned model against the dense one:
// pre-LN or post-LN layers, (causal) multi-head attention, GELU MLP, and EViT token pruning that keeps the
// top-k tokens by class-token attention averaged over heads and fuses the rest into one token.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/hf_model.h"

namespace prunesim::workloads {

struct ForwardResult {
  RowMat out;                                    // hidden states after the last layer (tokens x D)
  std::vector<uint32_t> tokens_in, tokens_kept;  // one entry per token-pruning layer
};

// Sees every activation tensor of a layer as it is produced: "qkv", "att" (attention before the
// projection), "proj", "res1", "ln1", "fc1", "gelu", "fc2", "res2", "ln2" (calibration of static scales).
using ActivationObserver = std::function<void(int layer, const char* point, const RowMat& value)>;

// `x`: tokens x D input hidden states (class token first). `tokens`: the EViT policy (may be inactive).
ForwardResult forward(const ModelWeights& w, const RowMat& x, const TokenPolicy& tokens,
                      const ActivationObserver& observe = {});

// GRU (PyTorch gate order r, z, n) over a sequence, layer after layer from a zero state; returns the last
// layer's hidden state at every step (steps x H).
// The observer sees each step's gate pre-activations (calibration): "gi" and "gh" (3H: W x + b, W h + b),
// "pre_r", "pre_z", "pre_n" (the sums entering sigmoid, sigmoid and tanh).
using GruObserver = std::function<void(int layer, const char* point, const Eigen::VectorXf& value)>;
RowMat gru_forward(const std::vector<GruLayerWeights>& layers, const RowMat& x,
                   const GruObserver& observe = {});

struct Fidelity {
  uint32_t inputs = 0;
  double rel_error = 0;       // ||Y_pruned - Y_dense|| / ||Y_dense|| over the readout rows of all inputs
  double top1_agreement = 1;  // fraction of inputs whose readout argmax agrees
};

// Runs `inputs` seeded random inputs (N(0, 1) hidden states) through both models and compares the readout
// row: the class token (encoders, vision) or the last token (decoders).
Fidelity measure_fidelity(const ModelWeights& dense, const ModelWeights& pruned, const TokenPolicy& tokens,
                          uint32_t inputs, uint64_t seed);
// The same on given inputs (tokens x D hidden states each).
Fidelity measure_fidelity(const ModelWeights& dense, const ModelWeights& pruned, const TokenPolicy& tokens,
                          const std::vector<RowMat>& inputs);
std::vector<RowMat> seeded_inputs(uint32_t count, Eigen::Index tokens, Eigen::Index d_model, uint64_t seed);
// A user's inputs: a safetensors file with one tensor "inputs" of shape [N, tokens, D] (or [tokens, D]).
std::vector<RowMat> read_inputs(const std::string& path, Eigen::Index tokens, Eigen::Index d_model);

}  // namespace prunesim::workloads
