// Sweep files (`prunesim sweep --sweep-file FILE`) and the --grid/--zip syntax they hold: read, then planned
// (every point's configuration resolved and validated) when the grid has few points.
#include "fuzz_input.h"
#include "prunesim/sim/sweep.h"

using namespace prunesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const sim::ConfigSchema schema;
  const std::string path =
      fuzz::write_input("fuzz.sweep", std::string_view(reinterpret_cast<const char*>(data), size));
  fuzz::as_cli([&] {
    sim::SweepSpec spec;
    spec.read_file(path);
    double points = 1;
    for (const auto& a : spec.axes) points *= double(a.values.size());
    if (points > 64) return;
    (void)sim::plan_sweep(spec, schema);
  });
  return 0;
}
