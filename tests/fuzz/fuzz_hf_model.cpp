// Real weights (`--weights model.safetensors --hf-config config.json`): the input is the config.json text,
// then after a NUL byte the safetensors bytes. Both are read as load_hf_model reads them, every tensor is
// converted, and a small model is compressed from its weights (masks by magnitude, fidelity on seeded inputs).
#include "fuzz_input.h"
#include "fuzz_size.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/hf_model.h"
#include "prunesim/workloads/safetensors.h"

using namespace prunesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [json, tensors] = fuzz::split_at_nul(data, size);
  const std::string config = fuzz::write_input("config.json", json);
  const std::string weights = fuzz::write_input("model.safetensors", tensors);
  fuzz::as_cli([&] {
    const auto f = workloads::SafetensorsFile::open(weights);
    for (const auto& name : f.names()) (void)f.floats(name);
  });
  fuzz::as_cli([&] {
    workloads::ModelWeights w = workloads::load_hf_model(weights, config);
    w.spec.seq = std::min<uint32_t>(w.spec.seq, 8);
    if (!fuzz::small_enough_to_compress(w.spec)) return;
    workloads::Recipe r;
    r.add_prune("all=block:4x4:0.5");
    (void)workloads::compress(w.spec, r, &w, 1);
  });
  return 0;
}
