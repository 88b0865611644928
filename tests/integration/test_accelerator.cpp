// Whole-run invariants of the SystemC accelerator. Each test runs in its own process (gtest_discover_tests),
// since SystemC elaborates once per process.
#include <gtest/gtest.h>

#include <cmath>

#include <tlm_utils/simple_initiator_socket.h>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "prunesim/common/error.h"
#include "prunesim/hls/cycle_models.h"
#include "prunesim/models/accelerator.h"
#include "prunesim/models/gemm_timing.h"
#include "prunesim/models/power.h"
#include "prunesim/sim/report.h"
#include "prunesim/workloads/compressor.h"
#include "test_util.h"
#include "tiny_models.h"

using namespace prunesim;
using namespace prunesim::models;
using namespace prunesim::workloads;

namespace {

uint64_t explicit_reads(const Trace& t) {
  uint64_t s = 0;
  for (const auto& op : t.ops) s += op.ddr_read_bytes;
  return s;
}
uint64_t explicit_writes(const Trace& t) {
  uint64_t s = 0;
  for (const auto& op : t.ops) s += op.ddr_write_bytes;
  return s;
}
uint64_t weight_bytes(const Trace& t) {
  uint64_t s = 0;
  for (const auto& [n, m] : t.matrices) {
    uint64_t uses = 0;
    for (const auto& op : t.ops) uses += op.kind == OpKind::Gemm && op.weight == n;
    s += m.bytes * uses;
  }
  return s;
}

Trace one_gemm(uint32_t m, uint32_t k, uint32_t n) {
  std::ostringstream os;
  os << "prunesim-trace 1\nheader model hand\n"
     << "matrix name=w kind=fc1 layer=0 rows=" << n << " cols=" << k << " dense_rows=" << n
     << " dense_cols=" << k << " wbits=8 format=dense block=1x" << k << " nnz=" << uint64_t(n) * k
     << " bytes=" << uint64_t(n) * k << " mask=none\nend\nop id=0 layer=0 kind=gemm name=fc m=" << m
     << " weight=w abits=8\neof\n";
  std::istringstream is(os.str());
  return read_trace(is, "one_gemm");
}

}  // namespace

TEST(Accelerator, DefaultRunInvariants) {
  const Trace t = compress(default_model(), default_recipe());
  HwConfig hw;
  const RunResult r = simulate(t, hw);
  // Simulated MACs equal the compressor's closed-form count.
  EXPECT_EQ(r.macs, t.total_macs());
  // Never below the roofline bound.
  EXPECT_GE(r.cycles, r.roofline_cycles);
  const double peak_bytes_per_cycle = hw.ddr.peak_gbps_per_channel() * hw.ddr.org.channels * hw.cycle_ns();
  EXPECT_GE(double(r.cycles), double(r.macs) / (hw.pe.rows * hw.pe.cols));
  EXPECT_GE(double(r.cycles), double(r.ddr_read_bytes + r.ddr_write_bytes) / peak_bytes_per_cycle);
  // DRAM bytes: with activations on chip, each weight matrix is read once per use, plus what the trace names.
  EXPECT_EQ(r.ddr_read_bytes, weight_bytes(t) + explicit_reads(t));
  EXPECT_EQ(r.ddr_write_bytes, explicit_writes(t));
  EXPECT_EQ(r.planned_ddr_read_bytes, r.ddr_read_bytes);
  // Every byte crosses DRAM once: bursts only round transfers up to whole 64-byte bursts.
  EXPECT_GE(r.dram.bytes_read, r.ddr_read_bytes);
  EXPECT_LT(r.dram.bytes_read, r.ddr_read_bytes + 2 * 64 * (t.ops.size() + 1000));
  EXPECT_EQ(r.dram.bytes_read, r.dram.reads * 64);
  // Energy adds up and static energy is power x time.
  EXPECT_NEAR(r.energy.static_mj, hw.device.static_power_w * r.latency_ms, 1e-9);
  EXPECT_TRUE(r.resources.fits);
  uint64_t op_cycles = 0;
  for (const auto& op : r.ops) op_cycles += op.cycles;
  EXPECT_EQ(op_cycles, r.cycles);  // ops run back to back in program order
}

TEST(Accelerator, IdealMemoryDenseGemmTakesExactlyTheFoldCount) {
  HwConfig hw;
  hw.sim.ideal_memory = true;
  hw.pe.rows = 32;
  hw.pe.cols = 16;
  const Trace t = one_gemm(100, 200, 70);
  const RunResult r = simulate(t, hw);
  const uint64_t folds = ((200 + 31) / 32) * ((70 + 15) / 16);
  EXPECT_EQ(r.ops[0].cycles, folds * (100 + 32 + 16 - 2 + 32));
  EXPECT_EQ(r.macs, 100u * 200 * 70);
}

TEST(Accelerator, OutputStationaryIdealMemoryMatchesItsFoldCount) {
  HwConfig hw;
  hw.sim.ideal_memory = true;
  hw.pe.dataflow = hls::Dataflow::OutputStationary;
  const Trace t = one_gemm(197, 384, 1152);
  const RunResult r = simulate(t, hw);
  EXPECT_EQ(r.ops[0].cycles, ((197 + 63) / 64) * (1152 / 64) * (384 + 64 + 64 - 2));
}

TEST(Accelerator, ActivationSpillRereadsWeightsPerPass) {
  HwConfig hw;
  hw.act_buffer.bytes = 64 * 1024;  // too small for 512 x (768 + 768) bytes
  hw.tiling.weights_resident = false;
  const Trace t = one_gemm(512, 768, 768);
  const RunResult r = simulate(t, hw);
  const uint64_t rows_per_pass = (64 * 1024) / (768 + 768);  // 42
  const uint64_t passes = (512 + rows_per_pass - 1) / rows_per_pass;
  EXPECT_EQ(r.ddr_read_bytes, passes * 768 * 768 + 512 * 768);
  EXPECT_EQ(r.ddr_write_bytes, 512u * 768);
  EXPECT_EQ(r.macs, 512u * 768 * 768);
}

TEST(Accelerator, ResidentWeightsAreFetchedOnceAcrossTimeSteps) {
  ModelSpec m = lookup_model("gru");
  m.seq = 10;
  Recipe rec;
  rec.add_prune("gru=rowbalanced:8x8:0.25");
  const Trace t = compress(m, rec);
  uint64_t weights = 0;
  for (const auto& [n, w] : t.matrices) weights += w.bytes;
  HwConfig hw;  // 2 x 2 MiB weight buffer: the whole GRU fits
  const RunResult r = simulate(t, hw);
  EXPECT_EQ(r.ddr_read_bytes, weights + explicit_reads(t));  // once, not once per step
}

TEST(Accelerator, StreamedWeightsAreFetchedAtEveryUse) {
  ModelSpec m = lookup_model("gru");
  m.seq = 10;
  const Trace t = compress(m, Recipe{});
  HwConfig hw;
  hw.tiling.weights_resident = false;
  const RunResult r = simulate(t, hw);
  EXPECT_EQ(r.ddr_read_bytes, weight_bytes(t) + explicit_reads(t));  // every step re-reads its gates
}

TEST(Accelerator, SpillAlwaysMovesEveryGemmsActivationsThroughDram) {
  HwConfig hw;
  hw.tiling.spill = SpillPolicy::Always;
  hw.tiling.weight_tile_bytes = 64 * 1024;
  const Trace t = one_gemm(100, 768, 768);
  const RunResult r = simulate(t, hw);
  EXPECT_EQ(r.ddr_read_bytes, 768u * 768 + 100 * 768);  // one pass: weights once, X once
  EXPECT_EQ(r.ddr_write_bytes, 100u * 768);
  // Rounds of 64 rows are 48 KiB; two would overflow a 64 KiB tile, so 12 tiles of 12 bursts each.
  EXPECT_EQ(r.dma_bursts, 12u * (64 * 768 / 4096) + (100 * 768 + 4095) / 4096 + (100 * 768 + 4095) / 4096);
}

TEST(Accelerator, TokenPruningCutsTheWorkOfLaterLayers) {
  Recipe keep_all = default_recipe();
  keep_all.tokens.layers.clear();
  const Trace dense_tokens = compress(default_model(), keep_all);
  const Trace pruned_tokens = compress(default_model(), default_recipe());
  HwConfig hw;
  const RunResult r = simulate(pruned_tokens, hw);
  auto layer_macs = [](const RunResult& x, int layer) {
    uint64_t s = 0;
    for (const auto& op : x.ops) s += op.layer == layer ? op.macs : 0;
    return s;
  };
  // After layer 9 the MLP runs on 72 of 197 tokens; layer 10's MACs follow.
  const uint64_t D = 384, F = 1536, n = 72;
  EXPECT_EQ(layer_macs(r, 10), (n * D * 3 * D + n * D * D + 2 * n * D * F) / 2 + 2 * n * n * D);
  uint64_t cycles_l0 = 0, cycles_l10 = 0;
  for (const auto& op : r.ops) {
    if (op.layer == 0) cycles_l0 += op.cycles;
    if (op.layer == 10) cycles_l10 += op.cycles;
  }
  EXPECT_LT(cycles_l10, cycles_l0 * 3 / 4);
  EXPECT_LT(r.macs, dense_tokens.total_macs());
}

TEST(Accelerator, VcdIsWellFormedAndStepsThroughEveryLayer) {
  const std::string dir = test::temp_dir();
  const std::string vcd = dir + "/run.vcd";
  const Trace t = compress(default_model(), default_recipe());
  const HwConfig hw;
  simulate(t, hw, vcd);
  const std::string text = test::read_file(vcd);
  ASSERT_FALSE(text.empty());
  // Find the layer signal's identifier and every value it takes.
  std::istringstream is(text);
  std::string line, id;
  std::set<long> layers;
  while (std::getline(is, line)) {
    std::istringstream ls(line);
    std::string w0, w1, w2, w3, w4;
    ls >> w0 >> w1 >> w2 >> w3 >> w4;
    if (w0 == "$var" && w4 == "layer") id = w3;
    if (w0 == "$var" && w4 == "layer") {
      EXPECT_EQ(w1, "real");  // signed in every viewer
    }
    if (!id.empty() && line.size() > 1 && line[0] == 'r') {
      std::string value, ident;
      std::istringstream vs(line.substr(1));
      vs >> value >> ident;
      if (ident == id) layers.insert(std::lround(std::stod(value)));
    }
  }
  ASSERT_FALSE(id.empty());
  // The backlog signals are named for what they count (README, VCD).
  EXPECT_NE(text.find(" dma_transfer_bytes_pending "), std::string::npos);
  EXPECT_NE(text.find(" dram_bursts_pending "), std::string::npos);
  for (long l = 0; l < 12; ++l) EXPECT_TRUE(layers.count(l)) << "layer " << l;
  EXPECT_TRUE(layers.count(-1));  // the patch embedding and the head, outside the layers
  for (long l : layers) EXPECT_TRUE(l >= -1 && l < 12) << l;
  // gtkwave's converter accepts it.
  const std::string cmd = "vcd2fst " + vcd + " " + dir + "/run.fst >/dev/null 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST(Accelerator, DesignTooBigForZcu102FailsCleanly) {
  HwConfig hw;
  hw.device.part = "xczu9eg";
  hw.device.dsp = 2520;
  hw.device.bram36 = 912;
  hw.device.uram = 0;
  const Trace t = one_gemm(8, 64, 64);
  try {
    simulate(t, hw);
    FAIL() << "expected the design not to fit";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("URAM288: design needs"), std::string::npos) << e.what();
  }
}

namespace {
// Streams `bytes` from `base` in `chunk`-byte transactions through a socket into a shared DRAM target.
struct Streamer : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Streamer> socket;
  uint64_t base, bytes, chunk;
  sc_core::sc_time finished;
  SC_HAS_PROCESS(Streamer);
  Streamer(sc_core::sc_module_name n, uint64_t b, uint64_t len, uint64_t c)
      : sc_module(n), socket("socket"), base(b), bytes(len), chunk(c) {
    SC_THREAD(run);
  }
  void run() {
    for (uint64_t off = 0; off < bytes; off += chunk) {
      tlm::tlm_generic_payload tx;
      tx.set_command(tlm::TLM_READ_COMMAND);
      tx.set_address(base + off);
      tx.set_data_length(uint32_t(chunk));
      tx.set_streaming_width(uint32_t(chunk));
      sc_core::sc_time d = sc_core::SC_ZERO_TIME;
      socket->b_transport(tx, d);
      wait(d);
    }
    finished = sc_core::sc_time_stamp();
  }
};
}  // namespace

TEST(DramTarget, TwoInitiatorsShareAChannelAndBandwidthIsConserved) {
  DramConfig cfg = dram_preset("ddr4-2400");
  cfg.org.channels = 1;
  DramTarget dram("dram", cfg, false);
  Streamer a("a", 0, 4 << 20, 4096), b("b", 64 << 20, 4 << 20, 4096);
  a.socket.bind(dram.socket);
  b.socket.bind(dram.socket);
  sc_core::sc_start();
  const double end_ns = std::max(a.finished, b.finished).to_seconds() * 1e9;
  const double gbps = double(8 << 20) / end_ns;
  // Both streams were served interleaved: they finish close together, and together they use the channel
  // about as well as one sequential stream (about 95 % of 19.2 GB/s less turnaround between streams).
  EXPECT_LT(std::abs(a.finished.to_seconds() - b.finished.to_seconds()), 0.1 * end_ns * 1e-9);
  EXPECT_GT(gbps, 0.80 * 19.2);
  EXPECT_LE(gbps, 19.2);
  EXPECT_EQ(dram.total_stats().bytes_read, uint64_t(8) << 20);
}

TEST(Report, StreamedJsonIsByteIdenticalToTheFullDump) {
  const Trace t = compress(default_model(), default_recipe());
  const sim::ConfigSchema schema;
  const sim::RunConfig cfg = schema.resolve({}, {});
  RunResult r = simulate(t, cfg.hw);
  // The ops are written by their own serializer: give it what the library escapes and spells its own way (a
  // name with quotes, a backslash, a tab and non-ASCII text; floats that are whole, tiny or huge).
  r.ops[0].name = "qkv \"fused\"\\\t\u00e9\u4e2d";
  r.ops[0].pattern = "";
  r.ops[0].utilization = 1.0;
  r.ops[1].imbalance = 1e-7;
  r.ops[2].imbalance = 123456789.25;
  const sim::RunReport rep{cfg, schema, t, "built-in", "0", r};
  EXPECT_EQ(sim::report_json_text(rep), sim::report_json(rep).dump(2) + "\n");
}

TEST(Accelerator, HidingTheTopkBehindAttentionLeavesOnlyCompactionOnTheCriticalPath) {
  HwConfig hw;
  hw.tpu.overlap = true;
  hw.tpu.algorithm = TopkAlgorithm::Bitonic;
  hw.tpu.comparators = 2;  // a slow top-k, so hiding it matters
  const Trace t = compress(default_model(), default_recipe());
  const RunResult r = simulate(t, hw);
  size_t seen = 0;
  for (const auto& s : r.ops) {
    if (s.kind != "token_prune") continue;
    ++seen;
    const Op& op = t.ops[s.id];
    const TokenPruneCost cost = token_prune_cost(hw.tpu, hw.nonlinear, hw.act_buffer, 384, op);
    const uint64_t total = cost.total(), hideable = cost.select_cycles;
    EXPECT_EQ(s.busy_cycles, total);        // the unit still works the whole time
    EXPECT_GE(s.cycles, total - hideable);  // compaction and fusion stay exposed
    EXPECT_LT(s.cycles, total);             // the rest hid behind A*V, projection, residual
    EXPECT_EQ(s.stall_token_unit, s.cycles);
  }
  EXPECT_EQ(seen, 3u);
}

// The invariants hold on every engine and dataflow: MACs equal the closed form of the pruned workload, the
// latency is never below the roofline bound of that engine, and DRAM bytes are counted once.
class EngineInvariants : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(EngineInvariants, HoldOnAPrunedModel) {
  const sim::ConfigSchema schema;
  const sim::RunConfig cfg = schema.resolve({}, GetParam());
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 3;
  Recipe r;
  r.add_prune("qkv=block:16x16:0.5");
  r.add_prune("proj=unstructured:0.3");
  r.add_prune("mlp=rowbalanced:16x16:0.25");
  r.tokens.layers = {1};
  const Trace t = compress(m, r);
  const RunResult res = simulate(t, cfg.hw);
  EXPECT_EQ(res.macs, t.total_macs());
  EXPECT_GE(res.cycles, res.roofline_cycles);
  EXPECT_GE(double(res.cycles), double(res.macs) / double(res.peak_macs_per_cycle));
  EXPECT_EQ(res.planned_ddr_read_bytes, res.ddr_read_bytes);
  EXPECT_EQ(res.ddr_read_bytes, weight_bytes(t) + explicit_reads(t));
  EXPECT_GE(res.dram.bytes_read, res.ddr_read_bytes);
  EXPECT_EQ(res.dram.bytes_read, res.dram.reads * 64);
  // PE energy counts every MAC performed, zeros the engine could not skip included.
  EXPECT_GE(res.issued_macs, res.macs);
  EXPECT_NEAR(res.energy.pe_mj, double(res.issued_macs) * cfg.hw.energy.mac_int8_pj * 1e-9, 1e-12);
  for (const auto& op : res.ops) {
    EXPECT_LE(op.weights.issued, op.weights.stored) << op.name;
    EXPECT_GE(op.weights.issued, op.weights.kept) << op.name;  // never skips a kept weight
  }
}

INSTANTIATE_TEST_SUITE_P(
    Engines, EngineInvariants,
    ::testing::Values(std::vector<std::string>{}, std::vector<std::string>{"pe.dataflow=os"},
                      std::vector<std::string>{"pe.dataflow=is"}, std::vector<std::string>{"pe.sparse=none"},
                      std::vector<std::string>{"pe.nm=2:4"}, std::vector<std::string>{"pe.engine=block_pe"},
                      std::vector<std::string>{"pe.engine=block_pe", "block_pe.block=32"},
                      std::vector<std::string>{"pe.engine=mv"}));

// Seed 4, dense DeiT-Small on the published MPCA: the PE ops' cycles derived from the snapshot formula alone.
// Every matrix fits one weight tile and every activation set the buffer, so each GEMM is one work item.
TEST(Accelerator, MpcaDenseDeitSmallCyclesFollowTheSnapshotFormula) {
  const sim::ConfigSchema schema;
  sim::RunConfig cfg = schema.resolve({test::source_path("configs/examples/deit-small-mpca.ini")},
                                      {"workload.prune=all=dense"});
  cfg.hw.sim.ideal_memory = true;
  const Trace t = cfg.workload.build_trace();
  const RunResult res = simulate(t, cfg.hw);
  const uint64_t h = 4, tt = 12, c = 2, p = 8, b = 16, pes = h * tt * c;
  auto cdiv = [](uint64_t x, uint64_t y) { return (x + y - 1) / y; };
  auto snap = [&](uint64_t m) { return cdiv(m, b) * cdiv(b, p) * cdiv(b, p) * b; };
  uint64_t expect = 0, simulated = 0;
  for (size_t i = 0; i < t.ops.size(); ++i) {
    const Op& op = t.ops[i];
    uint64_t cyc = 0;
    if (op.kind == OpKind::Gemm) {
      const Matrix& w = t.matrices.at(op.weight);
      const uint64_t rows = cdiv(w.rows, b), tiles = cdiv(w.cols, b);
      const uint64_t column = cdiv(rows, pes) * tiles * snap(op.m);
      const uint64_t head = cdiv(cdiv(rows, h), tt) * cdiv(tiles, c) * snap(op.m) + 1;
      cyc = std::min(column, head);
    } else if (op.kind == OpKind::Matmul) {
      const uint64_t tiles = cdiv(op.n, b) * cdiv(op.k, b);
      cyc = std::min(cdiv(op.count, h) * cdiv(tiles, tt * c) * snap(op.m) + 1,
                     uint64_t(op.count) * cdiv(tiles, pes) * snap(op.m));
    } else {
      continue;
    }
    expect += cyc;
    simulated += res.ops[i].busy_cycles;
  }
  EXPECT_EQ(simulated, expect);
  EXPECT_GT(expect, 0u);
}

// nonlinear.softmax_overlap: the softmax after QK^T shows only what exceeds the matmul, at least its last
// row.
TEST(Accelerator, SoftmaxFusedBehindQkHidesUpToTheMatmulsLength) {
  const sim::ConfigSchema schema;
  sim::RunConfig cfg = schema.resolve({test::source_path("configs/examples/deit-small-mpca.ini")}, {});
  cfg.hw.sim.ideal_memory = true;
  const Trace t = cfg.workload.build_trace();
  const RunResult fused = simulate(t, cfg.hw);
  uint64_t hidden = 0, checked = 0;
  for (size_t i = 1; i < t.ops.size(); ++i) {
    const Op& op = t.ops[i];
    const OpStats& s = fused.ops[i];
    hidden += s.hidden_cycles;
    if (op.kind != OpKind::Softmax) {
      EXPECT_EQ(s.hidden_cycles, 0u);
      continue;
    }
    ASSERT_EQ(t.ops[i - 1].kind, OpKind::Matmul);
    const uint64_t qk = fused.ops[i - 1].busy_cycles;
    const uint64_t last_row = 2 * ((op.cols + 767) / 768) + 16;  // two passes over one row + the pipeline
    EXPECT_EQ(s.busy_cycles - s.hidden_cycles,
              std::max(s.busy_cycles > qk ? s.busy_cycles - qk : 0, last_row));
    ++checked;
  }
  EXPECT_EQ(checked, 12u);
  EXPECT_GT(hidden, 0u);
}

// Zeros a systolic array cannot skip still cost MAC energy (one simulation per process: the mv engine's
// side, issued == useful MACs, is in EngineInvariants).
TEST(Accelerator, UnskippedZerosCostMacEnergy) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 2;
  Recipe r;
  r.add_prune("all=unstructured:0.2");
  r.tokens.layers.clear();
  const Trace t = compress(m, r);
  const RunResult sys = simulate(t, sim::ConfigSchema().resolve({}, {}).hw);
  uint64_t gemm_dense = 0, gemm_kept = 0;
  for (const auto& op : t.ops)
    if (op.kind == OpKind::Gemm) {
      gemm_dense += op.m * t.matrices.at(op.weight).dense_params();
      gemm_kept += op.macs(t.matrices);
    }
  const uint64_t gemm_issued = sys.issued_macs - (sys.macs - gemm_kept);  // matmuls issue what they use
  EXPECT_GT(double(gemm_issued), 0.95 * double(gemm_dense));
  EXPECT_LE(gemm_issued, gemm_dense);
  EXPECT_NEAR(sys.energy.pe_mj, double(sys.issued_macs) * 0.2e-9, 1e-12);  // int8: 0.2 pJ per MAC
  EXPECT_GT(double(sys.issued_macs), 2.0 * double(sys.macs));
}

TEST(Accelerator, ObserversSeeEveryComputeItemInPlanOrderAndDoNotChangeTheTiming) {
  // What the functional check relies on: the schedule it is shown is the plan the controller replays, every
  // compute item once, in order, DMA-only items apart.
  struct Recorder : ScheduleObserver {
    std::vector<std::pair<uint32_t, uint32_t>> seen;  // op, first block row
    void executed(const WorkItem& item, const Op& op) override { seen.emplace_back(op.id, item.first); }
  } rec;
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 2;
  Recipe recipe = default_recipe();
  recipe.tokens.layers = {1};
  const Trace t = compress(m, recipe);
  HwConfig hw;
  const RunResult r = simulate(t, hw, "", {&rec});
  const TilePlan plan = plan_tiles(t, hw);
  std::vector<std::pair<uint32_t, uint32_t>> want;
  for (const auto& item : plan.items)
    if (item.kind != ItemKind::Transfer) want.emplace_back(t.ops[item.op].id, item.first);
  EXPECT_EQ(rec.seen, want);
  EXPECT_EQ(r.macs, t.total_macs());
}

// The run walks the plan as a stream: the same items in the same order as the whole plan, and only a few
// ops' worth held at a time, whatever the trace's length (decode memory, #20/#21).
TEST(Accelerator, TheRunHoldsAFewOpsOfThePlanAndWalksItsItemsInOrder) {
  const Trace t = compress(test::small_gpt2(24), Recipe{});
  HwConfig hw;
  hw.tiling.spill = SpillPolicy::Always;  // GEMMs of several items each, with write-backs
  const TilePlan whole = plan_tiles(t, hw);
  {
    // Two readers as the controller has them: one a few items ahead of the other, releasing behind both.
    const auto engine = make_engine(hw);
    TileStream stream(t, hw, *engine);
    ASSERT_EQ(stream.size(), whole.items.size());
    EXPECT_EQ(stream.ddr_read_bytes(), whole.ddr_read_bytes);
    EXPECT_EQ(stream.ddr_write_bytes(), whole.ddr_write_bytes);
    for (size_t n = 0; n < stream.size(); ++n) {
      const WorkItem& ahead = stream.at(std::min(n + 3, stream.size() - 1));
      EXPECT_EQ(ahead.op, whole.items[std::min(n + 3, stream.size() - 1)].op);
      const WorkItem& w = stream.at(n);
      const WorkItem& want = whole.items[n];
      ASSERT_EQ(std::tie(w.op, w.m, w.m0, w.first, w.last, w.read_addr, w.read_bytes, w.write_addr,
                         w.write_bytes, w.weight_buffer_addr, w.first_of_op, w.last_of_op),
                std::tie(want.op, want.m, want.m0, want.first, want.last, want.read_addr, want.read_bytes,
                         want.write_addr, want.write_bytes, want.weight_buffer_addr, want.first_of_op,
                         want.last_of_op))
          << n;
      EXPECT_EQ(stream.find(n), &w);
      stream.release_before(n + 1);
      EXPECT_EQ(stream.find(n), nullptr);
    }
  }
  // The controller's own walk: the run's figures are the whole plan's, and it never held more than a small
  // part of it.
  Accelerator top("accelerator", t, hw);
  sc_core::sc_start();
  ASSERT_TRUE(top.controller.finished());
  EXPECT_EQ(top.plan.size(), whole.items.size());
  size_t widest_op = 0;
  for (size_t i = 0, n = 0; i < whole.items.size(); ++i, ++n) {
    if (whole.items[i].first_of_op) n = 0;
    widest_op = std::max(widest_op, n + 1);
  }
  EXPECT_LE(top.plan.most_held(), 4 * widest_op);
  EXPECT_LT(top.plan.most_held() * 10, whole.items.size()) << top.plan.most_held();
  // The ops' stats likewise: a run that keeps every op's holds only those in flight until they finish.
  EXPECT_LE(top.stats.most_held(), 2u);
  // The decode steps' ops likewise: made as the run reached them and dropped behind it, never stored.
  EXPECT_TRUE(t.ops.generated());
  EXPECT_GE(t.ops.most_steps_held(), 1u);
  EXPECT_LE(t.ops.most_steps_held(), 2u);
}

// #17: the report's power figures hold the run's energy: the averages are the breakdown over the latency, the
// power-over-time series integrates back to the total, and the peak is no lower than the average.
TEST(Accelerator, PowerOverTimeHoldsTheRunsEnergy) {
  const RunResult r =
      simulate(compress(lookup_model("deit-small"), Recipe{}), sim::ConfigSchema().resolve({}, {}).hw);
  const HwConfig hw = sim::ConfigSchema().resolve({}, {}).hw;
  const PowerReport p = power_report(r, hw);
  EXPECT_NEAR(p.average_w() * r.latency_ms, r.energy.total(), 1e-9 * r.energy.total());
  EXPECT_NEAR(p.ddr_w * r.latency_ms, r.energy.ddr_mj, 1e-12);
  EXPECT_NEAR(p.static_w, hw.device.static_power_w, 1e-12);
  ASSERT_FALSE(p.total_w.empty());
  double mj = 0;
  for (size_t i = 0; i < p.total_w.size(); ++i) {
    EXPECT_GE(p.total_w[i], p.static_w - 1e-12) << i;
    mj += p.total_w[i] * (i + 1 == p.total_w.size() ? p.last_interval_ns : p.interval_ns) * 1e-6;
  }
  EXPECT_NEAR(mj, r.energy.total(), 1e-9 * r.energy.total());
  EXPECT_GE(p.peak_w, p.average_w());
  EXPECT_NEAR(p.gops_per_w_performed, 2.0 * double(r.macs) * 1e-9 / (r.energy.total() * 1e-3), 1e-9);
}
