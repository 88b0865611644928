// Each block alone, driven through its TLM socket by a test initiator. One SystemC elaboration per process.
#include <gtest/gtest.h>

#include "prunesim/models/engine.h"

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "prunesim/hls/cycle_models.h"
#include "prunesim/models/compute_units.h"
#include "prunesim/models/dma.h"
#include "prunesim/models/payload.h"
#include "prunesim/models/tiling.h"

using namespace prunesim;
using namespace prunesim::models;
using namespace prunesim::workloads;

namespace {

constexpr double kCycleNs = 1000.0 / 300.0;

// Sends one transaction at time zero and records the annotated delay.
struct Probe : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Probe> socket;
  tlm::tlm_generic_payload tx;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  SC_HAS_PROCESS(Probe);
  explicit Probe(sc_core::sc_module_name n) : sc_module(n), socket("socket") { SC_THREAD(run); }
  void run() { socket->b_transport(tx, delay); }
  uint64_t cycles() const { return uint64_t(std::llround(delay.to_seconds() * 1e9 / kCycleNs)); }
};

// A memory that answers instantly, to see the DMA's own limits.
struct InstantMemory : sc_core::sc_module {
  tlm_utils::simple_target_socket<InstantMemory> socket;
  uint64_t bytes = 0;
  explicit InstantMemory(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &InstantMemory::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
    bytes += tx.get_data_length();
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

std::unique_ptr<ComputeEngine> engine_of(const PeConfig& pe) {
  HwConfig hw;
  hw.pe = pe;
  return make_engine(hw);
}

Op matmul_op(uint32_t count, uint64_t m, uint64_t k, uint64_t n) {
  Op op;
  op.kind = OpKind::Matmul;
  op.count = count, op.m = m, op.k = k, op.n = n;
  return op;
}

}  // namespace

TEST(Blocks, PeArrayTimesAMatmulByTheFoldCountThroughItsSocket) {
  PeConfig pe;
  pe.rows = 32, pe.cols = 16;
  BufferConfig act{MemoryKind::Uram, 1 << 20, 32, 2, 72, false};
  const auto engine = engine_of(pe);
  PeArray array("pe", *engine, act, kCycleNs);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  const Op op = matmul_op(3, 50, 70, 40);
  ComputeCmd cmd;
  cmd.op = &op;
  probe.tx.set_extension(&cmd);
  sc_core::sc_start();
  probe.tx.clear_extension(&cmd);
  const uint64_t folds = ((70 + 31) / 32) * ((40 + 15) / 16);
  EXPECT_EQ(cmd.cycles, 3 * folds * (50 + 32 + 16 - 2 + 32));
  EXPECT_EQ(probe.cycles(), cmd.cycles);
  EXPECT_EQ(cmd.macs, 3u * 50 * 70 * 40);
  EXPECT_EQ(cmd.stall_port_cycles, 0u);
}

TEST(Blocks, PeArrayStallsOnANarrowActivationBuffer) {
  PeConfig pe;  // 64 x 64: needs 64 int8 activations per cycle
  BufferConfig narrow{MemoryKind::Bram, 1 << 20, 2, 2, 64, false};  // 2 x 2 x 8 = 32 bytes per cycle
  const auto engine = engine_of(pe);
  PeArray array("pe", *engine, narrow, kCycleNs);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  const Op op = matmul_op(1, 128, 64, 64);
  ComputeCmd cmd;
  cmd.op = &op;
  probe.tx.set_extension(&cmd);
  sc_core::sc_start();
  probe.tx.clear_extension(&cmd);
  const uint64_t ideal = hls::dense_gemm_cycles(hls::Dataflow::WeightStationary, 128, 64, 64, 64, 64, false);
  EXPECT_EQ(cmd.cycles, 2 * ideal);  // half the bandwidth it needs: twice the time
  EXPECT_EQ(cmd.stall_port_cycles, ideal);
}

TEST(Blocks, OverlappedPreloadSavingIsReported) {
  PeConfig pe;
  pe.overlap_preload = true;
  BufferConfig act{MemoryKind::Uram, 1 << 20, 32, 2, 72, false};
  const auto engine = engine_of(pe);
  PeArray array("pe", *engine, act, kCycleNs);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  const Op op = matmul_op(1, 100, 256, 256);
  ComputeCmd cmd;
  cmd.op = &op;
  probe.tx.set_extension(&cmd);
  sc_core::sc_start();
  probe.tx.clear_extension(&cmd);
  EXPECT_EQ(cmd.preload_saved_cycles, 16u * 64 - 64);  // R per fold but the first, 16 folds
}

TEST(Blocks, VectorUnitIsAPipelineOfLanes) {
  NonlinearConfig cfg;
  cfg.lanes = 16, cfg.depth = 12;
  VectorUnit unit("vec", cfg, kCycleNs);
  Probe probe("probe");
  probe.socket.bind(unit.socket);
  Op op;
  op.kind = OpKind::Softmax;
  op.count = 2, op.rows = 10, op.cols = 100;
  ComputeCmd cmd;
  cmd.op = &op;
  probe.tx.set_extension(&cmd);
  sc_core::sc_start();
  probe.tx.clear_extension(&cmd);
  EXPECT_EQ(cmd.cycles, 2u * 10 * 2 * 7 + 12);  // two passes of ceil(100/16) per row, plus the depth once
  EXPECT_EQ(probe.cycles(), cmd.cycles);
}

TEST(Blocks, TokenUnitCostsScoreTopkCompactionAndFusion) {
  TpuConfig cfg;
  cfg.comparators = 16;
  cfg.algorithm = TopkAlgorithm::Bitonic;
  NonlinearConfig vec;
  vec.lanes = 64;
  BufferConfig act{MemoryKind::Uram, 1 << 20, 8, 2, 64, false};  // 128 bytes per cycle
  TokenUnit unit("tpu", cfg, vec, act, 384, kCycleNs);
  Probe probe("probe");
  probe.socket.bind(unit.socket);
  Op op;
  op.kind = OpKind::TokenPrune;
  op.heads = 6, op.fused = true, op.tokens_in = {197}, op.tokens_kept = {140};
  ComputeCmd cmd;
  cmd.op = &op;
  probe.tx.set_extension(&cmd);
  sc_core::sc_start();
  probe.tx.clear_extension(&cmd);
  const uint64_t score = (6 * 196 + 63) / 64;
  const uint64_t topk = hls::bitonic_topk_cycles(196, 16);
  const uint64_t compact = (140 * 384 + 127) / 128;
  const uint64_t fuse = (57 * 384 + 63) / 64;
  EXPECT_EQ(cmd.cycles, score + topk + compact + fuse);
}

TEST(Blocks, DmaIsBoundByItsFabricWidthAndOutstandingBursts) {
  DmaConfig cfg;  // 512-bit port, 4 KiB bursts, 8 outstanding
  const double round_trip_ns = 100.0;
  Dma dma("dma", cfg, 1, kCycleNs, round_trip_ns, false);
  InstantMemory mem("mem");
  Probe probe("probe");
  probe.socket.bind(dma.target);
  dma.to_dram.bind(mem.socket);
  probe.tx.set_command(tlm::TLM_READ_COMMAND);
  probe.tx.set_address(0);
  probe.tx.set_data_length(1 << 20);
  sc_core::sc_start();
  // Fabric: 1 MiB at 64 bytes per 3.33 ns cycle = 54.6 us; outstanding: 256 bursts / 8 x 100 ns = 3.2 us.
  const double fabric_ns = double(1 << 20) / (64.0 / kCycleNs);
  EXPECT_NEAR(probe.delay.to_seconds() * 1e9, fabric_ns, 1e-3);
  EXPECT_EQ(dma.bursts(), 256u);
  EXPECT_EQ(mem.bytes, uint64_t(1) << 20);
}

TEST(Blocks, DmaWithFewOutstandingBurstsIsLatencyBound) {
  DmaConfig cfg;
  cfg.outstanding = 1;
  Dma dma("dma", cfg, 1, kCycleNs, 500.0, false);
  InstantMemory mem("mem");
  Probe probe("probe");
  probe.socket.bind(dma.target);
  dma.to_dram.bind(mem.socket);
  probe.tx.set_command(tlm::TLM_READ_COMMAND);
  probe.tx.set_data_length(64 * 4096);
  sc_core::sc_start();
  EXPECT_NEAR(probe.delay.to_seconds() * 1e9, 64 * 500.0, 1e-3);  // one 4 KiB burst per round trip
}

TEST(Blocks, PeArrayDrainsItsMacPipelineOncePerOp) {
  PeConfig pe;
  pe.pipeline_depth = 5;
  BufferConfig act{MemoryKind::Uram, 1 << 20, 32, 2, 72, false};
  const auto engine = engine_of(pe);
  PeArray array("pe", *engine, act, kCycleNs);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  const Op op = matmul_op(1, 10, 64, 64);
  WorkItem last;
  last.last_of_op = true;
  ComputeCmd cmd;
  cmd.op = &op;
  cmd.item = &last;
  probe.tx.set_extension(&cmd);
  sc_core::sc_start();
  probe.tx.clear_extension(&cmd);
  EXPECT_EQ(cmd.cycles,
            hls::dense_gemm_cycles(hls::Dataflow::WeightStationary, 10, 64, 64, 64, 64, false) + 5);
}
