// The trace reader (`prunesim run --trace`, `prunesim trace`): workloads::read_trace, then what the CLI
// computes from a trace without simulating it (the summary). A trace that reads must also write and read
// back to the same text: a value the reader accepted but cannot reproduce was read wrong.
#include <sstream>

#include "fuzz_input.h"
#include "prunesim/workloads/summary.h"
#include "prunesim/workloads/trace.h"

using namespace prunesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::as_cli([&] {
    std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
    const workloads::Trace t = workloads::read_trace(in, "fuzz.trace");
    (void)workloads::trace_summary(t);
    std::ostringstream once;
    workloads::write_trace(once, t);
    std::istringstream again(once.str());
    std::ostringstream twice;
    workloads::write_trace(twice, workloads::read_trace(again, "fuzz.trace (written back)"));
    if (once.str() != twice.str())
      fuzz::finding("trace round trip", "a trace read, written and read again wrote different text");
  });
  return 0;
}
