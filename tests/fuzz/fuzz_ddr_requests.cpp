// DRAM request files (`prunesim ddr FILE`): read_requests on the text, then, when the requests are few and
// small, served on the default DDR4-2400 channel, so a value the reader let through is also used.
#include "fuzz_input.h"
#include "prunesim/models/hw_config.h"
#include "prunesim/sim/ddr_requests.h"

using namespace prunesim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const models::HwConfig hw;
  fuzz::as_cli([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto reqs = sim::read_requests(text, "fuzz.req", hw.ddr.timing.tck_ns);
    uint64_t bytes = 0;
    for (const auto& r : reqs) bytes += r.bytes;
    if (reqs.size() > 4096 || bytes > (uint64_t(16) << 20)) return;
    const sim::DdrRunStats s = sim::run_requests(hw.ddr, reqs, "fuzz.req");
    if (s.requests != reqs.size() || s.read_latency_mean_ns < 0 || !(s.end_ns >= 0))
      fuzz::finding("ddr statistics", "request count, latency or end time inconsistent with the input");
  });
  return 0;
}
