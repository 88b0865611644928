#include <gtest/gtest.h>

#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/sim/baseline.h"
#include "prunesim/workloads/trace.h"

#include "test_util.h"

using namespace prunesim;
using namespace prunesim::sim;

namespace {

// A 32 x 48 int8 weight with three of its six 16x16 blocks kept, a 16-bit attention product and a softmax.
const char* kTrace =
    "prunesim-trace 1\n"
    "header model hand\n"
    "matrix name=w kind=fc1 layer=0 rows=32 cols=48 dense_rows=32 dense_cols=48 wbits=8 format=bcsr "
    "block=16x16 nnz=768 bytes=786 mask=bitmap\n"
    "b 5\n"
    "b 2\n"
    "end\n"
    "op id=0 layer=0 kind=gemm name=fc m=10 weight=w abits=8\n"
    "op id=1 layer=0 kind=matmul name=attn.qk count=2 m=4 k=8 n=4 abits=16\n"
    "op id=2 layer=0 kind=softmax name=attn.softmax count=2 rows=4 cols=4 abits=8\n"
    "eof\n";

workloads::Trace hand_trace() {
  std::istringstream is(kTrace);
  return workloads::read_trace(is, "hand.trace");
}

Baseline unit_baseline() {
  Baseline b;
  b.name = "unit";
  b.kind = "cpu";
  b.peak_int8_tops = 1;  // 1e12 ops/s
  b.peak_fp16_tflops = 0.5;
  b.peak_fp32_tflops = 0.1;
  b.memory_gbps = 1;  // 1 byte per ns
  return b;
}

}  // namespace

// Each op's time by hand, memory-bound at 1 GB/s:
//   gemm: weights read dense at the stored 32 x 48 (the block mask buys a dense library nothing) = 1,536 B,
//         activations 10 x 48 in + 10 x 32 out = 800 B: 2,336 ns (compute: 2 x 15,360 MACs at 1 TOPS = 30.72
//         ns);
//   matmul: 2 x (4x8 + 8x4 + 4x4) 16-bit values = 320 B: 320 ns (compute 2 x 256 at the fp16 0.5 TFLOPS);
//   softmax: 32 values read and written, 8-bit: 64 ns.
TEST(Baseline, PerOpRooflineMatchesAHandDerivation) {
  const workloads::Trace t = hand_trace();
  Baseline b = unit_baseline();
  BaselineEstimate e = estimate_baseline(t, b);
  EXPECT_NEAR(e.latency_ms, (2336 + 320 + 64) * 1e-6, 1e-12);
  EXPECT_NEAR(e.memory_bound_ms, e.latency_ms, 1e-15);
  EXPECT_EQ(e.compute_bound_ms, 0);
  EXPECT_EQ(e.macs, 15360u + 256u);
  EXPECT_EQ(e.bytes, 2336u + 320u + 64u);
  // With memory fast enough, the two products are compute-bound: 30.72 + 1.024 ns.
  b.memory_gbps = 1e6;
  e = estimate_baseline(t, b);
  EXPECT_NEAR(e.compute_bound_ms, (30.72 + 1.024) * 1e-6, 1e-12);
  // Sustained efficiencies scale their side; a launch overhead is paid once per op.
  b.gemm_efficiency = 0.5;
  b.launch_overhead_us = 1;
  e = estimate_baseline(t, b);
  EXPECT_NEAR(e.compute_bound_ms, 2 * (30.72 + 1.024) * 1e-6, 1e-12);
  EXPECT_NEAR(e.overhead_ms, 3e-3, 1e-12);
  // No fp16 peak (a CPU without fp16 arithmetic): the 16-bit product runs at the fp32 peak, 0.1 TFLOPS.
  b = unit_baseline();
  b.memory_gbps = 1e6;
  b.peak_fp16_tflops = 0;
  e = estimate_baseline(t, b);
  EXPECT_NEAR(e.compute_bound_ms, (30.72 + 512.0 / 0.1e12 * 1e9) * 1e-6, 1e-12);
  // memory_efficiency scales the memory side: every op memory-bound at half the bandwidth.
  b = unit_baseline();
  b.memory_efficiency = 0.5;
  e = estimate_baseline(t, b);
  EXPECT_NEAR(e.memory_bound_ms, 2 * (2336 + 320 + 64) * 1e-6, 1e-12);
}

// The A100's memory efficiency is the measurement its file cites: BabelStream's fastest kernel (Copy,
// 1,394,571 MB/s) over the data sheet's 1,555 GB/s.
TEST(Baseline, A100MemoryEfficiencyIsItsCitedMeasurement) {
  const Baseline b = read_baseline(test::source_path("configs/baselines/a100-40gb.ini"));
  EXPECT_NEAR(b.memory_efficiency, 1394.571 / b.memory_gbps, 5e-4);
  EXPECT_EQ(b.memory_gbps, 1555);
}

TEST(Baseline, ShippedFilesParseAndBadFilesNameTheLine) {
  const auto files = shipped_baselines();
  ASSERT_GE(files.size(), 3u);
  bool cpu = false, gpu = false;
  for (const auto& f : files) {
    const Baseline b = read_baseline(f);
    cpu |= b.kind == "cpu";
    gpu |= b.kind == "gpu";
    EXPECT_FALSE(b.source.empty()) << f;
    EXPECT_GT(b.memory_gbps, 0) << f;
  }
  EXPECT_TRUE(cpu && gpu);
  const std::string d = test::temp_dir();
  const std::string head =
      "[baseline]\nname = x\nkind = gpu\nsource = s\npeak_int8_tops = 1\npeak_fp16_tflops = 1\n";
  auto error_of = [&](const std::string& body) {
    test::write_file(d + "/b.ini", head + body);
    try {
      read_baseline(d + "/b.ini");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("peak_fp32_tflops = 1\nmemory_gbps = 10\n"), "no error");
  EXPECT_NE(error_of("peak_fp32_tflops = 1\nmemory_gbps = 10\nclock = 3\n")
                .find(d + "/b.ini:9: unknown key 'baseline.clock'"),
            std::string::npos);
  EXPECT_EQ(error_of("peak_fp32_tflops = 1\n"), d + "/b.ini: missing key 'baseline.memory_gbps'");
  EXPECT_NE(error_of("peak_fp32_tflops = 1\nmemory_gbps = 10\ngemm_efficiency = 1.5\n")
                .find(d + "/b.ini:9: baseline.gemm_efficiency: expected a number in [0.001, 1], got '1.5'"),
            std::string::npos);
  EXPECT_NE(error_of("peak_fp32_tflops = fast\nmemory_gbps = 10\n").find("got 'fast'"), std::string::npos);
}
