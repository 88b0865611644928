// Functional mode without SystemC: the work items of a plan executed through the kernels, checked against the
// Eigen forward pass (the same plan the controller replays). int8 must match the integer reference bit for
// bit; float must match the float reference within its tolerance.
#include <gtest/gtest.h>

#include "prunesim/common/error.h"
#include "prunesim/models/tiling.h"
#include "prunesim/sim/functional.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/safetensors.h"
#include "prunesim/workloads/trace_weights.h"
#include "test_util.h"

using namespace prunesim;
using namespace prunesim::models;
using namespace prunesim::workloads;
using namespace prunesim::sim;

namespace {

// Runs every work item of the plan except those `skip` selects.
FunctionalCheck run_plan(const Trace& t, const HwConfig& hw, FunctionalNumbers numbers,
                         const std::function<bool(size_t item, const WorkItem&)>& skip = {}) {
  FunctionalModel f(t, 7, numbers);
  const TilePlan plan = plan_tiles(t, hw);
  for (size_t i = 0; i < plan.items.size(); ++i)
    if (!skip || !skip(i, plan.items[i])) f.execute(plan.items[i], t.ops[plan.items[i].op]);
  return f.check();
}

Trace small(const std::string& model, const std::string& prune, std::vector<int> token_layers,
            uint32_t layers, uint32_t batch = 1) {
  ModelSpec m = lookup_model(model);
  m.layers = layers;
  if (m.family == Family::Encoder) m.seq = 64;
  m.batch = batch;
  Recipe r;
  r.add_prune(prune);
  r.tokens.layers = std::move(token_layers);
  r.tokens.keep = 0.6;
  return compress(m, r);
}

void expect_bit_exact(const FunctionalCheck& c, const std::string& what) {
  EXPECT_TRUE(c.checked) << what;
  EXPECT_EQ(c.numbers, "int8") << what;
  EXPECT_TRUE(c.failure.empty()) << what << ": " << c.failure;
  EXPECT_GT(c.elements, 0u) << what;
  EXPECT_EQ(c.mismatches, 0u) << what << ": max " << c.max_abs_diff << " LSB";
  EXPECT_TRUE(c.pass) << what;
}

void expect_close(const FunctionalCheck& c, const std::string& what) {
  EXPECT_TRUE(c.checked) << what;
  EXPECT_EQ(c.numbers, "float") << what;
  EXPECT_TRUE(c.failure.empty()) << what << ": " << c.failure;
  EXPECT_LE(c.max_rel_error, c.tolerance) << what;
  EXPECT_TRUE(c.pass) << what;
}

}  // namespace

TEST(Functional, Int8VisionModelWithTokenPruningIsBitExact) {
  const Trace t = small("deit-tiny", "all=block:16x16:0.5", {1, 2}, 4);
  const FunctionalCheck c = run_plan(t, HwConfig{}, FunctionalNumbers::Auto);
  expect_bit_exact(c, "deit-tiny");
  EXPECT_LT(c.tokens, 197u);  // token pruning compacted the rows
  EXPECT_EQ(c.elements, uint64_t(c.tokens) * 192);
  // int8 stays near the float model (class token's row, since the kept tokens may differ).
  EXPECT_GT(c.quant_rel_error, 0.0);
  EXPECT_LT(c.quant_rel_error, 0.15);
}

TEST(Functional, FloatVisionModelWithTokenPruningMatchesTheReference) {
  const Trace t = small("deit-tiny", "all=block:16x16:0.5", {1, 2}, 4);
  expect_close(run_plan(t, HwConfig{}, FunctionalNumbers::Float), "deit-tiny");
}

TEST(Functional, PostLnEncoderWithActivationPassesAndOtherBlockSizes) {
  HwConfig hw;
  hw.act_buffer.bytes = 24 * 1024;          // forces several row passes per GEMM (m0 > 0)
  hw.tiling.weight_tile_bytes = 16 * 1024;  // and several weight tiles
  for (const char* prune :
       {"all=block:8x8:0.4", "all=rowbalanced:32x32:0.5", "mlp=neuron:0.5", "attn=head:0.5"}) {
    const Trace t = small("tinybert-4", prune, {}, 2);
    const TilePlan plan = plan_tiles(t, hw);
    EXPECT_TRUE(
        std::any_of(plan.items.begin(), plan.items.end(), [](const WorkItem& w) { return w.m0 > 0; }));
    EXPECT_TRUE(std::any_of(plan.items.begin(), plan.items.end(),
                            [](const WorkItem& w) { return w.first > 0 && w.kind == ItemKind::Pe; }));
    expect_bit_exact(run_plan(t, hw, FunctionalNumbers::Int8), prune);
    expect_close(run_plan(t, hw, FunctionalNumbers::Float), prune);
  }
}

TEST(Functional, DecoderPrefillAndDecodeStepsGoThroughTheKvCache) {
  ModelSpec m = lookup_model("gpt2");
  m.layers = 2, m.seq = 12, m.decode = 3, m.batch = 2;
  Recipe r;
  r.add_prune("all=block:16x16:0.5");
  const Trace t = compress(m, r);
  const FunctionalCheck i8 = run_plan(t, HwConfig{}, FunctionalNumbers::Auto);
  expect_bit_exact(i8, "gpt2 int8");
  EXPECT_EQ(i8.tokens, 2u * (12 + 3));  // every prefill row and every generated token of both samples
  const FunctionalCheck f = run_plan(t, HwConfig{}, FunctionalNumbers::Float);
  expect_close(f, "gpt2 float");
  EXPECT_EQ(f.tokens, 2u * (12 + 3));
}

TEST(Functional, BatchWithPerSampleTokenCounts) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 3, m.batch = 3;
  Recipe r;
  r.add_prune("all=block:16x16:0.5");
  r.tokens.layers = {0, 1};
  r.tokens.keep = 0.6;
  r.tokens.mode = TokenPolicy::Mode::Distribution;
  r.tokens.keep_stddev = 0.15;
  const Trace t = compress(m, r);
  const auto& kept = std::find_if(t.ops.begin(), t.ops.end(), [](const Op& o) {
                       return o.kind == OpKind::TokenPrune;
                     })->tokens_kept;
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_FALSE(kept[0] == kept[1] && kept[1] == kept[2]);  // the samples really differ
  expect_bit_exact(run_plan(t, HwConfig{}, FunctionalNumbers::Int8), "batch 3");
  expect_close(run_plan(t, HwConfig{}, FunctionalNumbers::Float), "batch 3");
}

TEST(Functional, GruLayersOverTheSequence) {
  ModelSpec m = lookup_model("gru");
  m.seq = 6, m.batch = 2, m.layers = 2;
  Recipe r;
  r.add_prune("gru=block:16x16:0.5");
  const Trace t = compress(m, r);
  HwConfig hw;
  hw.tiling.weight_tile_bytes = 16 * 1024;  // several tiles per gate matrix
  const FunctionalCheck i8 = run_plan(t, hw, FunctionalNumbers::Auto);
  expect_bit_exact(i8, "gru int8");
  EXPECT_EQ(i8.tokens, 2u * 6);  // every step of both samples
  EXPECT_LT(i8.quant_rel_error, 0.1);
  const FunctionalCheck f = run_plan(t, hw, FunctionalNumbers::Float);
  expect_close(f, "gru float");
  // A step's update left out: caught by both.
  int update = -1;
  for (const auto& op : t.ops)
    if (op.layer == 1 && op.name == "gru.update") update = int(op.id);
  auto skip = [&](size_t, const WorkItem& w) { return int(w.op) == update; };
  EXPECT_FALSE(run_plan(t, hw, FunctionalNumbers::Int8, skip).pass);
  EXPECT_FALSE(run_plan(t, hw, FunctionalNumbers::Float, skip).pass);
}

TEST(Functional, TheCheckCatchesAScheduleThatSkipsWork) {
  HwConfig hw;
  hw.tiling.weight_tile_bytes = 16 * 1024;
  for (const char* model : {"deit-tiny", "gpt2"}) {
    ModelSpec m = lookup_model(model);
    m.layers = 2;
    m.seq = std::min<uint32_t>(m.seq, 16);
    m.decode = m.family == Family::Decoder ? 2 : 0;
    Recipe r;
    r.add_prune("all=block:16x16:0.5");
    const Trace t = compress(m, r);
    // A residual add left out, and the last weight tile of one fc2 (its outputs stay zero).
    int residual = -1, fc2 = -1;
    for (const auto& op : t.ops) {
      if (op.layer == 1 && op.name == "residual2" && residual < 0) residual = int(op.id);
      if (op.layer == 0 && op.name == "mlp.fc2" && fc2 < 0) fc2 = int(op.id);
    }
    ASSERT_GE(residual, 0);
    auto skip_op = [&](size_t, const WorkItem& w) { return int(w.op) == residual; };
    auto skip_tile = [&](size_t, const WorkItem& w) {
      return int(w.op) == fc2 && w.last_of_op && !w.first_of_op;
    };
    for (const auto& skip : {std::function<bool(size_t, const WorkItem&)>(skip_op),
                             std::function<bool(size_t, const WorkItem&)>(skip_tile)}) {
      const FunctionalCheck i8 = run_plan(t, hw, FunctionalNumbers::Int8, skip);
      EXPECT_TRUE(i8.checked) << model;
      EXPECT_FALSE(i8.pass) << model;
      EXPECT_GT(i8.mismatches, 0u) << model;
      const FunctionalCheck f = run_plan(t, hw, FunctionalNumbers::Float, skip);
      EXPECT_FALSE(f.pass) << model;
      EXPECT_GT(f.max_rel_error, 0.01) << model;
    }
  }
}

TEST(Functional, WeightsFileRoundTripsAndDrivesTheRun) {
  const std::string d = test::temp_dir();
  Trace t = small("deit-tiny", "all=block:16x16:0.5", {1}, 2);
  const TraceWeights w = seeded_trace_weights(t, 21);
  write_trace_weights(d + "/w.safetensors", t, w);
  const TraceWeights back = read_trace_weights(t, d + "/w.safetensors");
  ASSERT_EQ(back.transformer.layers.size(), 2u);
  EXPECT_EQ(back.transformer.layers[1].fc2, w.transformer.layers[1].fc2);
  EXPECT_EQ(back.transformer.layers[0].ln2_b, w.transformer.layers[0].ln2_b);
  EXPECT_EQ(back.transformer.ln_eps, w.transformer.ln_eps);

  t.weights_path = d + "/w.safetensors";
  const FunctionalCheck c = run_plan(t, HwConfig{}, FunctionalNumbers::Int8);
  expect_bit_exact(c, "weights file");
  EXPECT_EQ(c.weights, d + "/w.safetensors");
  // Other weights give other outputs: the file really is what ran.
  Trace seeded = t;
  seeded.weights_path.clear();
  EXPECT_NE(run_plan(seeded, HwConfig{}, FunctionalNumbers::Float).weights, c.weights);

  // A value where the trace's mask drops the block: not this trace's weights.
  TraceWeights bad = w;
  const Matrix& qkv = t.matrix("L0.qkv");
  uint32_t r = 0, col = 0;
  for (r = 0; r < qkv.mask.grid_rows; ++r) {
    for (col = 0; col < qkv.mask.grid_cols && qkv.mask.kept(r, col); ++col) {
    }
    if (col < qkv.mask.grid_cols) break;
  }
  ASSERT_LT(r, qkv.mask.grid_rows);
  bad.transformer.layers[0].qkv(r * 16, col * 16) = 1.0f;
  write_trace_weights(d + "/bad.safetensors", t, bad);
  try {
    read_trace_weights(t, d + "/bad.safetensors");
    FAIL() << "accepted weights that contradict the mask";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'L0.qkv' is not zero"), std::string::npos) << e.what();
  }
  // Missing tensors and wrong shapes name the tensor.
  write_safetensors(d + "/partial.safetensors", {{"L0.qkv", {2, 2}, {0, 0, 0, 0}}});
  try {
    read_trace_weights(t, d + "/partial.safetensors");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'L0.qkv' has the wrong shape"), std::string::npos) << e.what();
  }
  write_safetensors(d + "/none.safetensors", {{"other", {1}, {0}}});
  try {
    read_trace_weights(t, d + "/none.safetensors");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("is missing"), std::string::npos) << e.what();
  }
}

TEST(Functional, NumbersFollowTheTracesQuantization) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 1;
  Recipe r;
  EXPECT_EQ(FunctionalModel::resolve(compress(m, r), FunctionalNumbers::Auto), FunctionalNumbers::Int8);
  r.set_quant("fp16");
  const Trace fp16 = compress(m, r);
  EXPECT_EQ(FunctionalModel::resolve(fp16, FunctionalNumbers::Auto), FunctionalNumbers::Float);
  EXPECT_THROW(FunctionalModel::resolve(fp16, FunctionalNumbers::Int8), InputError);
  Recipe hybrid;
  hybrid.set_quant("all=int4,act=int8");
  EXPECT_EQ(FunctionalModel::resolve(compress(m, hybrid), FunctionalNumbers::Auto), FunctionalNumbers::Int8);
}

TEST(Functional, Int4WeightsWithInt8ActivationsAreBitExactToo) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 2;
  Recipe r;
  r.add_prune("all=block:16x16:0.5");
  r.set_quant("all=int4,act=int8");
  r.per_channel = true;
  const Trace t = compress(m, r);
  expect_bit_exact(run_plan(t, HwConfig{}, FunctionalNumbers::Auto), "int4 weights per channel");
}

TEST(Functional, ElementWisePruningUsesTheTracesPositions) {
  for (const char* prune : {"all=unstructured:0.5", "all=nm:2:4"}) {
    const Trace t = small("deit-tiny", prune, {1}, 2);
    const TraceWeights w = seeded_trace_weights(t, 5);
    // Non-zero exactly where the trace's mask keeps a weight.
    const Matrix& m = t.matrix("L1.fc1");
    ASSERT_TRUE(m.mask.has_bitmap);
    for (uint32_t r = 0; r < m.rows; ++r)
      for (uint32_t c = 0; c < m.cols; ++c)
        ASSERT_EQ(w.transformer.layers[1].fc1(r, c) != 0, m.mask.kept(r, c)) << prune << " " << r << "," << c;
    expect_bit_exact(run_plan(t, HwConfig{}, FunctionalNumbers::Int8), prune);
    expect_close(run_plan(t, HwConfig{}, FunctionalNumbers::Float), prune);
    // A file with weights where the trace drops them is refused.
    const std::string d = test::temp_dir();
    TraceWeights dense = w;
    dense.transformer.layers[0].proj.setConstant(0.5f);
    write_trace_weights(d + "/dense.safetensors", t, dense);
    try {
      read_trace_weights(t, d + "/dense.safetensors");
      FAIL() << prune;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("where the trace's mask drops the block"), std::string::npos)
          << e.what();
    }
  }
}

TEST(Functional, UnsupportedTracesAreClearErrors) {
  Trace odd = small("deit-tiny", "all=block:16x16:0.5", {}, 1);
  odd.header.set("family", "mamba");
  EXPECT_THROW(FunctionalModel(odd, 1), InputError);
}

TEST(Functional, SixteenBitSoftmaxIsBitExactAndCloserToTheFloatModel) {
  // A design that keeps softmax at 16 bits (act.softmax=int16): int16 probabilities, a 16 x 8-bit P V.
  for (const char* model : {"deit-tiny", "gpt2"}) {
    ModelSpec m = lookup_model(model);
    m.layers = 3;
    m.seq = std::min<uint32_t>(m.seq, 64);
    m.decode = m.family == Family::Decoder ? 2 : 0;
    Recipe r8, r16;
    r8.add_prune("all=block:16x16:0.5");
    r16 = r8;
    r16.set_quant("all=int8,act=int8,act.softmax=int16");
    const FunctionalCheck c8 = run_plan(compress(m, r8), HwConfig{}, FunctionalNumbers::Auto);
    const FunctionalCheck c16 = run_plan(compress(m, r16), HwConfig{}, FunctionalNumbers::Auto);
    expect_bit_exact(c8, std::string(model) + " 8-bit softmax");
    expect_bit_exact(c16, std::string(model) + " 16-bit softmax");
    EXPECT_LT(c16.quant_rel_error, c8.quant_rel_error) << model;
  }
}
