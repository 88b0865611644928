// Microbenchmarks: DRAM requests per second, GEMM tile timing per second, trace parsing, compressor.
#include <benchmark/benchmark.h>

#include <functional>
#include <sstream>
#include <systemc>

#include "prunesim/models/dram_channel.h"
#include "prunesim/models/engine.h"
#include "prunesim/workloads/compressor.h"

using namespace prunesim;

static void BM_DramSequential(benchmark::State& state) {
  models::DramConfig cfg = models::dram_preset("ddr4-2400");
  const uint64_t n = uint64_t(state.range(0));
  for (auto _ : state) {
    models::DramChannel ch(cfg);
    uint64_t done = 0;
    const std::function<void(const models::DramCompletion&)> rec = [&](const models::DramCompletion& c) {
      done = c.done;
    };
    for (uint64_t i = 0; i < n; ++i) {
      ch.submit({i, 0, i * 64, false});
      if (i % 4096 == 4095) ch.run_ahead(rec);  // fed in pieces, as the DRAM target does
    }
    ch.run(rec);
    benchmark::DoNotOptimize(done);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * n));
}
BENCHMARK(BM_DramSequential)->Arg(100000);

static void BM_DramRandom(benchmark::State& state) {
  models::DramConfig cfg = models::dram_preset("ddr4-2400");
  const uint64_t n = uint64_t(state.range(0));
  for (auto _ : state) {
    models::DramChannel ch(cfg);
    uint64_t x = 1, done = 0;
    const std::function<void(const models::DramCompletion&)> rec = [&](const models::DramCompletion& c) {
      done = c.done;
    };
    for (uint64_t i = 0; i < n; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      ch.submit({i, 0, (x >> 20) % (uint64_t(1) << 33) / 64 * 64, false});
      if (i % 4096 == 4095) ch.run_ahead(rec);
    }
    ch.run(rec);
    benchmark::DoNotOptimize(done);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * n));
}
BENCHMARK(BM_DramRandom)->Arg(100000);

// One GEMM of BERT-base's fc1 (3072 x 768, 128 tokens) on each engine, the per-matrix caches warm (as in a
// run, where every tile of a matrix after the first finds them).
static void BM_EngineGemm(benchmark::State& state) {
  static const char* engines[] = {"systolic", "systolic", "block_pe", "mv"};
  static const char* prunes[] = {"all=block:16x16:0.5", "all=unstructured:0.5", "all=block:16x16:0.5",
                                 "all=rowbalanced:16x16:0.5"};
  const int i = int(state.range(0));
  workloads::Recipe r;
  r.add_prune(prunes[i]);
  workloads::ModelSpec spec = workloads::lookup_model("bert-base");
  spec.layers = 1;
  const workloads::Trace t = workloads::compress(spec, r);
  const workloads::Matrix& w = t.matrix("L0.fc1");
  models::HwConfig hw;
  hw.pe.engine = engines[i];
  const auto engine = models::make_engine(hw);
  for (auto _ : state) benchmark::DoNotOptimize(engine->gemm(w, 128, 0, w.mask.grid_rows));
  state.SetLabel(std::string(engines[i]) + " " + prunes[i]);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_EngineGemm)->DenseRange(0, 3);

static void BM_TraceParse(benchmark::State& state) {
  workloads::Recipe r;
  r.add_prune("all=block:16x16:0.5");
  std::ostringstream os;
  workloads::write_trace(os, workloads::compress(workloads::lookup_model("bert-base"), r));
  const std::string text = os.str();
  for (auto _ : state) {
    std::istringstream is(text);
    benchmark::DoNotOptimize(workloads::read_trace(is, "bench"));
  }
  state.SetBytesProcessed(int64_t(state.iterations() * text.size()));
}
BENCHMARK(BM_TraceParse);

static void BM_CompressGpt2Medium(benchmark::State& state) {
  workloads::Recipe r;
  r.add_prune("all=block:16x16:0.5");
  workloads::ModelSpec m = workloads::lookup_model("gpt2-medium");
  m.seq = 512;
  for (auto _ : state) benchmark::DoNotOptimize(workloads::compress(m, r));
}
BENCHMARK(BM_CompressGpt2Medium)->Unit(benchmark::kMillisecond);

int sc_main(int argc, char* argv[]) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
