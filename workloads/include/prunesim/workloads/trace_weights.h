#pragma once
// The numbers behind a trace: the layer weights of the pruned model in the trace's own shapes (heads and
// neurons already removed, pruned entries zero), for functional simulation. Either seeded (random values
// masked by the trace's block structure) or the weights file the compressor wrote beside the trace
// (`compress --write-weights`, header `weights_file`). Embeddings and heads (layer -1) are not included.
#include <cstdint>
#include <string>
#include <vector>

#include "prunesim/workloads/forward.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::workloads {

// The trace's shape (Trace::shape) when functional runs cover it: a GRU with L0.w_ih, or a vision, encoder or
// decoder transformer with attention and layernorm in layer 0; InputError otherwise.
TraceShape covered_shape(const Trace& t);

struct TraceWeights {
  ModelWeights transformer;          // layers in the trace's shapes; spec.heads = heads kept
  std::vector<GruLayerWeights> gru;  // GRU traces
};

// Seeded weights: N(0, 1/cols) values where the trace's masks keep them, small biases, layernorm gains near
// one. Matrices must be dense or have bitmap masks (else InputError).
TraceWeights seeded_trace_weights(const Trace& t, uint64_t seed);
// Reads a weights file and checks it against the trace: every tensor present with the trace's shape, and
// zero wherever the trace's mask drops a block. InputError names the file and the tensor.
TraceWeights read_trace_weights(const Trace& t, const std::string& path);
// Writes the tensors read_trace_weights expects (F32 safetensors).
void write_trace_weights(const std::string& path, const Trace& t, const TraceWeights& w);

}  // namespace prunesim::workloads
