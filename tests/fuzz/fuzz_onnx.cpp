// ONNX graphs (`--onnx FILE`): import_onnx with unmapped ops costed as vector ops (the path that reaches
// every classifier), then the imported model compressed from its weights when it is small.
#include "fuzz_input.h"
#include "fuzz_size.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/onnx_model.h"

using namespace prunesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      fuzz::write_input("model.onnx", std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::as_cli([&] {
    workloads::OnnxOptions opt;
    opt.seq = 8;
    opt.unknown = workloads::OnnxUnknown::Vector;
    const workloads::OnnxModel g = workloads::import_onnx(path, opt);
    if (!fuzz::small_enough_to_compress(g.spec)) return;
    workloads::Recipe r;
    r.add_prune("all=block:4x4:0.5");
    (void)workloads::compress(g.spec, r, &g.weights, 1);
  });
  return 0;
}
