// Configuration parsing (`--config FILE`, `--set KEY=VALUE`, model files): the input is an INI file, then
// after a NUL byte one --set item per line. It is resolved against the schema and validated as `prunesim
// run` does, the same text is read as a model file, and the workload is compressed when a mutation made the
// model small (so the pruning and quantization specs are parsed and used, not only stored).
#include <sstream>

#include "fuzz_input.h"
#include "fuzz_size.h"
#include "prunesim/sim/config.h"
#include "prunesim/workloads/compressor.h"

using namespace prunesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sim::ConfigSchema schema;
  const auto [ini, rest] = fuzz::split_at_nul(data, size);
  std::vector<std::string> sets;
  std::istringstream lines{std::string(rest)};
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) sets.push_back(line);
  const std::string path = fuzz::write_input("fuzz.ini", ini);
  fuzz::as_cli([&] { (void)sim::read_model_file(path); });
  fuzz::as_cli([&] {
    sim::RunConfig c = schema.resolve({path}, sets);
    sim::validate(c);
    (void)schema.dump(c);
    c.workload.trace.clear();  // a named trace or weight file is another harness's input
    c.workload.weights.clear();
    c.workload.hf_config.clear();
    c.workload.onnx.clear();
    c.workload.fidelity_inputs_file.clear();
    const workloads::ModelSpec m = c.workload.model_spec();
    const workloads::Recipe r = c.workload.recipe();
    if (fuzz::small_enough_to_compress(m)) (void)workloads::compress(m, r);
  });
  return 0;
}
