#pragma once
// Bring your own model: an ONNX graph read with the ONNX library's protobuf classes, recognised as one of the
// families prunesim's compressor builds (encoder, decoder, vision transformer, GRU), with its dimensions and
// layer weights taken from the graph. The trace is then built exactly as for a zoo model with real weights:
// magnitude masks, fidelity and token pruning work on the imported weights.
//
// What maps to what (README "Your own model" has the table): MatMul/Gemm with an initializer weight (and
// its bias Add) -> gemm; Conv whose stride equals its kernel -> the patch-embedding gemm; MatMul of two
// activations -> attention matmul, heads from the Reshape that splits the projection; Softmax, with the
// scale (Mul/Div by a constant) and the mask (Add, Where) folded into it; LayerNormalization or its
// ReduceMean/Sub/Pow/Sqrt/Div pattern; Gelu or its Erf/Tanh patterns; Relu; Add of two activations ->
// residual; GRU. Reshape, Transpose, Split, Slice, Gather, Concat and friends move data and cost nothing.
// Any other op on the activations is reported by name and node: an error, or (OnnxUnknown::Vector) one
// element-wise vector pass per output element.
#include <cstdint>
#include <string>
#include <vector>

#include "prunesim/workloads/hf_model.h"
#include "prunesim/workloads/model_zoo.h"

namespace prunesim::workloads {

enum class OnnxUnknown { Error, Vector };

struct OnnxOptions {
  uint32_t seq = 0;  // tokens (or GRU steps) when the graph's sequence dimension is dynamic; 0: not given
  OnnxUnknown unknown = OnnxUnknown::Error;
};

struct OnnxModel {
  ModelSpec spec;        // family and dimensions; spec.extra_ops holds the unmapped ops (Vector)
  ModelWeights weights;  // layer weights (transformers in .layers, GRUs in .gru)
  // One line per mapping, for the trace header and the report: "gemm 12 (MatMul 10, Gemm 2); ...".
  std::string mapping;
  std::string unmapped;            // "Sin x1 (L0.extra)" when ops were costed as vector ops; empty otherwise
  std::vector<std::string> notes;  // assumptions taken (a dynamic sequence length defaulted, ...)
};

// Throws InputError naming the file, the node (name and op type) and what was expected.
OnnxModel import_onnx(const std::string& path, const OnnxOptions& options);

}  // namespace prunesim::workloads
