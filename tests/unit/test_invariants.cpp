// The end-of-run invariants (accelerator.h check_run_invariants): a result that breaks one is refused with
// the numbers, so a simulator bug never reaches a report.
#include <gtest/gtest.h>

#include <sstream>

#include "prunesim/models/accelerator.h"
#include "prunesim/workloads/trace.h"

using namespace prunesim::models;

namespace {

prunesim::workloads::Trace one_gemm() {
  std::istringstream is(
      "prunesim-trace 1\nheader model hand\n"
      "matrix name=w kind=fc1 layer=0 rows=64 cols=64 dense_rows=64 dense_cols=64 wbits=8 format=dense "
      "block=1x64 nnz=4096 bytes=4096 mask=none\nend\n"
      "op id=0 layer=0 kind=gemm name=fc m=64 weight=w abits=8\neof\n");
  return prunesim::workloads::read_trace(is, "one_gemm");
}

// A result that keeps every invariant: 64 x 64 x 64 MACs, 4 KiB of weights read once.
RunResult good() {
  RunResult r;
  r.macs = 64ull * 64 * 64;
  r.cycles = 1000, r.roofline_cycles = 900, r.utilization = 0.5, r.latency_ms = 0.003;
  r.ddr_read_bytes = 4096, r.dram.bytes_read = 4096;
  r.timeline = ByteTimeline(100.0);
  r.timeline.add(0, 500, 4096, false);
  return r;
}

std::string broken(const RunResult& r) {
  try {
    check_run_invariants(r, one_gemm(), HwConfig{});
  } catch (const std::logic_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Invariants, AWholeResultPassesAndEachBrokenOneIsNamedWithItsNumbers) {
  EXPECT_EQ(broken(good()), "");
  RunResult r = good();
  r.cycles = 800;
  EXPECT_NE(broken(r).find("latency 800 cycles is below its roofline bound 900"), std::string::npos);
  r = good();
  r.utilization = 1.6;
  EXPECT_NE(broken(r).find("utilisation 1.6"), std::string::npos) << broken(r);
  r = good();
  r.macs += 1;
  EXPECT_NE(broken(r).find("MACs performed 262145 differ from the trace's 262144"), std::string::npos);
  r = good();
  r.dram.bytes_read = 1024;
  EXPECT_NE(broken(r).find("the DRAM served 1024 B read"), std::string::npos);
  r = good();
  r.timeline.add(0, 10, 64, false);  // a byte counted twice
  EXPECT_NE(broken(r).find("the DRAM timeline holds"), std::string::npos);
  r = good();
  r.latency_ms = -1;
  EXPECT_NE(broken(r).find("latency -1"), std::string::npos);
}
