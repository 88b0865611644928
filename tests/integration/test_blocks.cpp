// Each block alone, driven through its TLM socket by a test initiator. One SystemC elaboration per process.
#include <gtest/gtest.h>

#include "prunesim/models/engine.h"

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "prunesim/hls/cycle_models.h"
#include "prunesim/models/buffer.h"
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
  WorkDescriptor work;  // what `tx` carries unless a test sets it up otherwise
  DmaDescriptor dma;
  SC_HAS_PROCESS(Probe);
  explicit Probe(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    set_descriptor_write(tx, work);
    SC_THREAD(run);
  }
  void send_dma(const DmaDescriptor& d) { dma = d, set_descriptor_write(tx, dma); }
  void run() { socket->b_transport(tx, delay); }
  uint64_t cycles() const { return uint64_t(std::llround(delay.to_seconds() * 1e9 / kCycleNs)); }
};

// A one-op program for a unit: the trace, its one work item and the stats board the unit records into.
struct Program {
  Trace trace;
  TilePlan plan;
  OpStatsBoard board{1, true};
  explicit Program(const Op& op, ItemKind kind) {
    trace.ops.push_back(op);
    WorkItem item;
    item.kind = kind;
    item.first_of_op = true;
    plan.items.push_back(item);
  }
  OpStats& stats() { return board.op(0); }
};

// A buffer wide enough never to hold anything up (64 x 2 ports x 72 bits = 1152 bytes per cycle).
BufferConfig wide_buffer() {
  return BufferConfig{MemoryKind::Uram, 1 << 22, 64, 2, 72, false};
}

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
  const auto engine = engine_of(pe);
  Program prog(matmul_op(3, 50, 70, 40), ItemKind::Pe);
  PeArray array("pe", *engine, prog.trace, prog.plan, prog.board, 1 << 20, 1 << 20, kCycleNs);
  OnChipBuffer act("act", BufferConfig{MemoryKind::Uram, 1 << 20, 32, 2, 72, false}, kCycleNs);
  OnChipBuffer weights("weights", wide_buffer(), kCycleNs);
  array.to_act_buffer.bind(act.socket);
  array.to_weight_buffer.bind(weights.socket);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  sc_core::sc_start();
  ASSERT_EQ(probe.tx.get_response_status(), tlm::TLM_OK_RESPONSE);
  const uint64_t folds = ((70 + 31) / 32) * ((40 + 15) / 16);
  const OpStats& s = prog.stats();
  EXPECT_EQ(s.busy_cycles, 3 * folds * (50 + 32 + 16 - 2 + 32));
  EXPECT_EQ(probe.cycles(), s.busy_cycles);
  EXPECT_EQ(s.macs, 3u * 50 * 70 * 40);
  EXPECT_EQ(s.stall_ports, 0u);
  // Its feeders streamed 32 int8 activations a cycle from the activation buffer; results went back to it.
  EXPECT_EQ(act.bytes_read(), 32 * s.busy_cycles);
  EXPECT_EQ(act.bytes_written(), 3u * 50 * 40);
}

TEST(Blocks, PeArrayStallsOnANarrowActivationBuffer) {
  PeConfig pe;  // 64 x 64: needs 64 int8 activations per cycle
  const auto engine = engine_of(pe);
  Program prog(matmul_op(1, 128, 64, 64), ItemKind::Pe);
  PeArray array("pe", *engine, prog.trace, prog.plan, prog.board, 1 << 20, 1 << 20, kCycleNs);
  OnChipBuffer narrow("act", BufferConfig{MemoryKind::Bram, 1 << 20, 2, 2, 64, false},
                      kCycleNs);  // 32 B/cycle
  OnChipBuffer weights("weights", wide_buffer(), kCycleNs);
  array.to_act_buffer.bind(narrow.socket);
  array.to_weight_buffer.bind(weights.socket);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  sc_core::sc_start();
  const uint64_t ideal = hls::dense_gemm_cycles(hls::Dataflow::WeightStationary, 128, 64, 64, 64, 64, false);
  EXPECT_EQ(prog.stats().busy_cycles, 2 * ideal);  // half the bandwidth it needs: twice the time
  EXPECT_EQ(prog.stats().stall_ports, ideal);
  EXPECT_EQ(probe.cycles(), 2 * ideal);
}

TEST(Blocks, OverlappedPreloadSavingIsReported) {
  PeConfig pe;
  pe.overlap_preload = true;
  const auto engine = engine_of(pe);
  Program prog(matmul_op(1, 100, 256, 256), ItemKind::Pe);
  PeArray array("pe", *engine, prog.trace, prog.plan, prog.board, 1 << 20, 1 << 20, kCycleNs);
  OnChipBuffer act("act", wide_buffer(), kCycleNs), weights("weights", wide_buffer(), kCycleNs);
  array.to_act_buffer.bind(act.socket);
  array.to_weight_buffer.bind(weights.socket);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  sc_core::sc_start();
  EXPECT_EQ(prog.stats().preload_saved_cycles, 16u * 64 - 64);  // R per fold but the first, 16 folds
}

TEST(Blocks, VectorUnitIsAPipelineOfLanes) {
  NonlinearConfig cfg;
  cfg.lanes = 16, cfg.depth = 12;
  Op op;
  op.kind = OpKind::Softmax;
  op.count = 2, op.rows = 10, op.cols = 100;
  Program prog(op, ItemKind::Vector);
  VectorUnit unit("vec", cfg, prog.trace, prog.plan, prog.board, 1 << 20, kCycleNs);
  OnChipBuffer act("act", wide_buffer(), kCycleNs);
  unit.to_act_buffer.bind(act.socket);
  Probe probe("probe");
  probe.socket.bind(unit.socket);
  sc_core::sc_start();
  EXPECT_EQ(prog.stats().busy_cycles, 2u * 10 * 2 * 7 + 12);  // two passes of ceil(100/16) per row + depth
  EXPECT_EQ(probe.cycles(), prog.stats().busy_cycles);
  EXPECT_EQ(act.bytes_read(), 2u * 2000);  // each pass reads the rows again
  EXPECT_EQ(act.bytes_written(), 2000u);
}

TEST(Blocks, VectorUnitIsHeldUpByABufferSlowerThanItsLanes) {
  NonlinearConfig cfg;
  cfg.lanes = 64, cfg.depth = 0;
  Op op;
  op.kind = OpKind::Gelu;
  op.elems = 64000;
  Program prog(op, ItemKind::Vector);
  VectorUnit unit("vec", cfg, prog.trace, prog.plan, prog.board, 1 << 20, kCycleNs);
  OnChipBuffer act("act", BufferConfig{MemoryKind::Bram, 1 << 20, 2, 2, 64, false}, kCycleNs);  // 32 B/cycle
  unit.to_act_buffer.bind(act.socket);
  Probe probe("probe");
  probe.socket.bind(unit.socket);
  sc_core::sc_start();
  EXPECT_EQ(prog.stats().busy_cycles, 64000u / 32);  // the port, not the 64 lanes, sets the pace
  EXPECT_EQ(prog.stats().stall_ports, 64000u / 32 - 64000u / 64);
}

TEST(Blocks, TokenUnitCostsScoreTopkCompactionAndFusion) {
  TpuConfig cfg;
  cfg.comparators = 16;
  cfg.algorithm = TopkAlgorithm::Bitonic;
  NonlinearConfig vec;
  vec.lanes = 64;
  const BufferConfig act_cfg{MemoryKind::Uram, 1 << 20, 8, 2, 64, false};  // 128 bytes per cycle
  Op op;
  op.kind = OpKind::TokenPrune;
  op.heads = 6, op.fused = true, op.tokens_in = {197}, op.tokens_kept = {140};
  Program prog(op, ItemKind::TokenPrune);
  TokenUnit unit("tpu", cfg, vec, prog.trace, prog.plan, prog.board, 384, 1 << 20, kCycleNs);
  OnChipBuffer act("act", act_cfg, kCycleNs);
  unit.to_act_buffer.bind(act.socket);
  Probe probe("probe");
  probe.socket.bind(unit.socket);
  sc_core::sc_start();
  const uint64_t score = (6 * 196 + 63) / 64;
  const uint64_t topk = hls::bitonic_topk_cycles(196, 16);
  const uint64_t compact = (140 * 384 + 127) / 128;
  const uint64_t fuse = (57 * 384 + 63) / 64;
  EXPECT_EQ(prog.stats().busy_cycles, score + topk + compact + fuse);
  EXPECT_EQ(token_prune_cost(cfg, vec, act_cfg, 384, op).total(), score + topk + compact + fuse);
  EXPECT_EQ(act.bytes_read(), 140u * 384);
}

TEST(Blocks, AUnitRefusesAWriteThatIsNotAWorkDescriptor) {
  Program prog(matmul_op(1, 8, 8, 8), ItemKind::Pe);
  const auto engine = engine_of(PeConfig{});
  PeArray array("pe", *engine, prog.trace, prog.plan, prog.board, 1 << 20, 1 << 20, kCycleNs);
  OnChipBuffer act("act", wide_buffer(), kCycleNs), weights("weights", wide_buffer(), kCycleNs);
  array.to_act_buffer.bind(act.socket);
  array.to_weight_buffer.bind(weights.socket);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  probe.work.item = 5;  // no such item in the plan
  sc_core::sc_start();
  EXPECT_EQ(probe.tx.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(prog.stats().busy_cycles, 0u);
}

TEST(Blocks, AUnitsCommandPortReadsBackTheItemItRanLast) {
  Program prog(matmul_op(1, 8, 8, 8), ItemKind::Pe);
  prog.plan.items.push_back(prog.plan.items[0]);  // a second item of the same op
  const auto engine = engine_of(PeConfig{});
  PeArray array("pe", *engine, prog.trace, prog.plan, prog.board, 1 << 20, 1 << 20, kCycleNs);
  OnChipBuffer act("act", wide_buffer(), kCycleNs), weights("weights", wide_buffer(), kCycleNs);
  array.to_act_buffer.bind(act.socket);
  array.to_weight_buffer.bind(weights.socket);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  probe.work.item = 1;
  sc_core::sc_start();
  ASSERT_EQ(probe.tx.get_response_status(), tlm::TLM_OK_RESPONSE);
  tlm::tlm_generic_payload read;
  read.set_command(tlm::TLM_READ_COMMAND);
  read.set_address(0);
  WorkDescriptor back;
  read.set_data_ptr(reinterpret_cast<unsigned char*>(&back));
  read.set_data_length(sizeof(back));
  EXPECT_EQ(probe.socket->transport_dbg(read), sizeof(back));
  EXPECT_EQ(back.item, 1u);
}

TEST(Blocks, ABufferRefusesAccessesOutsideItAndCountsTheRest) {
  OnChipBuffer buf("buf", BufferConfig{MemoryKind::Bram, 4096, 4, 2, 64, false}, kCycleNs);  // 64 B/cycle
  Probe probe("probe");
  probe.socket.bind(buf.socket);
  probe.tx.set_command(tlm::TLM_READ_COMMAND);
  probe.tx.set_address(4000);
  probe.tx.set_data_ptr(nullptr);
  probe.tx.set_data_length(200);  // runs past the end
  probe.tx.set_streaming_width(200);
  sc_core::sc_start();
  EXPECT_EQ(probe.tx.get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(buf.bytes_read(), 0u);
  // A stream that re-covers a 1 KiB window 16 times fits, and takes 16 KiB at 64 bytes per cycle.
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(0);
  tx.set_data_length(16384);
  tx.set_streaming_width(1024);
  sc_core::sc_time d = sc_core::SC_ZERO_TIME;
  probe.socket->b_transport(tx, d);
  EXPECT_EQ(tx.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(buf.bytes_read(), 16384u);
  EXPECT_EQ(std::llround(d.to_seconds() * 1e9 / kCycleNs), 256);
  EXPECT_EQ(buf.port_cycles(16384), 256u);
  // Debug reads answer within the buffer only.
  unsigned char bytes[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  tlm::tlm_generic_payload dbg;
  dbg.set_command(tlm::TLM_READ_COMMAND);
  dbg.set_address(4092);
  dbg.set_data_ptr(bytes);
  dbg.set_data_length(4);
  EXPECT_EQ(probe.socket->transport_dbg(dbg), 4u);
  EXPECT_EQ(bytes[0], 0);
  dbg.set_address(4094);
  EXPECT_EQ(probe.socket->transport_dbg(dbg), 0u);
}
// A DMA wired to an instant memory and to buffers that never hold it up, unless a test says otherwise.
struct DmaBench {
  InstantMemory mem{"mem"};
  OnChipBuffer weights, acts;
  Dma dma;
  Probe probe{"probe"};
  DmaBench(const DmaConfig& cfg, double round_trip_ns, BufferConfig weight_cfg = wide_buffer())
      : weights("weights", weight_cfg, kCycleNs),
        acts("acts", wide_buffer(), kCycleNs),
        dma("dma", cfg, 1, kCycleNs, round_trip_ns, false, weight_cfg.slot_bytes(), wide_buffer().bytes) {
    probe.socket.bind(dma.target);
    dma.to_dram.bind(mem.socket);
    dma.to_weight_buffer.bind(weights.socket);
    dma.to_act_buffer.bind(acts.socket);
  }
};

TEST(Blocks, DmaIsBoundByItsFabricWidthAndOutstandingBursts) {
  DmaConfig cfg;  // 512-bit port, 4 KiB bursts, 8 outstanding
  DmaBench b(cfg, 100.0);
  b.probe.send_dma({false, 0, 1 << 20, 1 << 19, 0});  // half weights, half activations
  sc_core::sc_start();
  ASSERT_EQ(b.probe.tx.get_response_status(), tlm::TLM_OK_RESPONSE);
  // Fabric: 1 MiB at 64 bytes per 3.33 ns cycle = 54.6 us; outstanding: 256 bursts / 8 x 100 ns = 3.2 us.
  const double fabric_ns = double(1 << 20) / (64.0 / kCycleNs);
  EXPECT_NEAR(b.probe.delay.to_seconds() * 1e9, fabric_ns, 1e-3);
  EXPECT_EQ(b.dma.bursts(), 256u);
  EXPECT_EQ(b.mem.bytes, uint64_t(1) << 20);
  // The load landed in the buffers: the weight tile in the weight buffer, the rest in the activation buffer.
  EXPECT_EQ(b.weights.bytes_written(), uint64_t(1) << 19);
  EXPECT_EQ(b.acts.bytes_written(), uint64_t(1) << 19);
}

TEST(Blocks, DmaWithFewOutstandingBurstsIsLatencyBound) {
  DmaConfig cfg;
  cfg.outstanding = 1;
  DmaBench b(cfg, 500.0);
  b.probe.send_dma({false, 0, 64 * 4096, 64 * 4096, 0});
  sc_core::sc_start();
  EXPECT_NEAR(b.probe.delay.to_seconds() * 1e9, 64 * 500.0, 1e-3);  // one 4 KiB burst per round trip
}

TEST(Blocks, DmaIntoABufferSlowerThanTheFabricIsBoundByTheBufferPorts) {
  DmaConfig cfg;  // 64 bytes per cycle on the fabric side
  const BufferConfig slow{MemoryKind::Bram, 1 << 20, 1, 2, 64, false};  // 16 bytes per cycle
  DmaBench b(cfg, 1.0, slow);
  b.probe.send_dma({false, 0, 1 << 20, 1 << 20, 0});
  sc_core::sc_start();
  EXPECT_EQ(b.probe.cycles(), uint64_t(1 << 20) / 16);
}

TEST(Blocks, DmaMovesTransfersLargerThanATlmLengthWhole) {
  DmaConfig cfg;
  DmaBench b(cfg, 1.0);
  const uint64_t five_gib = uint64_t(5) << 30;
  b.probe.send_dma({true, 0, five_gib, 0, 0});
  sc_core::sc_start();
  ASSERT_EQ(b.probe.tx.get_response_status(), tlm::TLM_OK_RESPONSE);
  EXPECT_EQ(b.mem.bytes, five_gib);
  EXPECT_EQ(b.dma.bytes_written(), five_gib);
  EXPECT_EQ(b.acts.bytes_read(), five_gib);
  EXPECT_NEAR(b.probe.delay.to_seconds() * 1e9, double(five_gib) / (64.0 / kCycleNs), 1.0);
}

TEST(Blocks, DmaRefusesAWriteThatIsNotADescriptor) {
  DmaConfig cfg;
  DmaBench b(cfg, 1.0);
  b.probe.tx.set_command(tlm::TLM_READ_COMMAND);  // reads nothing: the command port takes descriptors
  sc_core::sc_start();
  EXPECT_EQ(b.probe.tx.get_response_status(), tlm::TLM_COMMAND_ERROR_RESPONSE);
  EXPECT_EQ(b.mem.bytes, 0u);
}

TEST(Blocks, PeArrayDrainsItsMacPipelineOncePerOp) {
  PeConfig pe;
  pe.pipeline_depth = 5;
  const auto engine = engine_of(pe);
  Program prog(matmul_op(1, 10, 64, 64), ItemKind::Pe);
  prog.plan.items[0].last_of_op = true;
  PeArray array("pe", *engine, prog.trace, prog.plan, prog.board, 1 << 20, 1 << 20, kCycleNs);
  OnChipBuffer act("act", wide_buffer(), kCycleNs), weights("weights", wide_buffer(), kCycleNs);
  array.to_act_buffer.bind(act.socket);
  array.to_weight_buffer.bind(weights.socket);
  Probe probe("probe");
  probe.socket.bind(array.socket);
  sc_core::sc_start();
  EXPECT_EQ(prog.stats().busy_cycles,
            hls::dense_gemm_cycles(hls::Dataflow::WeightStationary, 10, 64, 64, 64, 64, false) + 5);
}

TEST(Blocks, VectorUnitStreamsAnRmsNormRowTwiceLikeALayerNorm) {
  // Sum of squares, then scale: the same two passes as layernorm's statistics and normalisation.
  NonlinearConfig cfg;
  cfg.lanes = 16, cfg.depth = 10;
  Op op;
  op.kind = OpKind::RmsNorm;
  op.count = 1, op.rows = 7, op.cols = 100;
  Program prog(op, ItemKind::Vector);
  VectorUnit unit("vec", cfg, prog.trace, prog.plan, prog.board, 1 << 20, kCycleNs);
  OnChipBuffer act("act", wide_buffer(), kCycleNs);
  unit.to_act_buffer.bind(act.socket);
  Probe probe("probe");
  probe.socket.bind(unit.socket);
  sc_core::sc_start();
  EXPECT_EQ(prog.stats().busy_cycles, 7u * 2 * 7 + 10);
  Op ln = op;
  ln.kind = OpKind::LayerNorm;
  EXPECT_EQ(vector_op_cycles(cfg, ln), prog.stats().busy_cycles);
  EXPECT_EQ(act.bytes_read(), 2u * 700);
}
