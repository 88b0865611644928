// Functional mode without SystemC: the work items of a plan executed through the kernels, checked against the
// Eigen forward pass (the same plan the controller replays).
#include <gtest/gtest.h>

#include "prunesim/models/functional.h"
#include "prunesim/models/tiling.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/error.h"

using namespace prunesim;
using namespace prunesim::models;
using namespace prunesim::workloads;

namespace {

FunctionalCheck run_plan(const Trace& t, const HwConfig& hw, int skip_op = -1) {
  FunctionalModel f(t, 7);
  const TilePlan plan = plan_tiles(t, hw);
  for (const auto& item : plan.items)
    if (int(item.op) != skip_op) f.execute(item, t.ops[item.op]);
  return f.check();
}

Trace small(const std::string& model, const std::string& prune, std::vector<int> token_layers,
            uint32_t layers) {
  ModelSpec m = lookup_model(model);
  m.layers = layers;
  Recipe r;
  r.add_prune(prune);
  r.tokens.layers = std::move(token_layers);
  r.tokens.keep = 0.6;
  return compress(m, r);
}

}  // namespace

TEST(Functional, PrunedVisionModelWithTokenPruningMatchesTheReference) {
  const Trace t = small("deit-tiny", "all=block:16x16:0.5", {1, 2}, 4);
  const FunctionalCheck c = run_plan(t, HwConfig{});
  EXPECT_TRUE(c.checked);
  EXPECT_TRUE(c.pass) << c.max_rel_error;
  EXPECT_LT(c.tokens, 197u);  // token pruning compacted the rows
}

TEST(Functional, PostLnEncoderWithActivationPassesAndOtherBlockSizes) {
  HwConfig hw;
  hw.act_buffer.bytes = 96 * 1024;          // forces several row passes per GEMM (m0 > 0)
  hw.tiling.weight_tile_bytes = 32 * 1024;  // and several weight tiles
  for (const char* prune : {"all=block:8x8:0.4", "all=rowbalanced:32x32:0.5", "mlp=neuron:0.5"}) {
    const Trace t = small("bert-base", prune, {}, 2);
    const FunctionalCheck c = run_plan(t, hw);
    EXPECT_TRUE(c.pass) << prune << " " << c.max_rel_error;
  }
}

TEST(Functional, TheCheckCatchesAScheduleThatSkipsWork) {
  const Trace t = small("deit-tiny", "all=block:16x16:0.5", {}, 2);
  int residual = -1;
  for (const auto& op : t.ops)
    if (op.layer == 1 && op.name == "residual2") residual = int(op.id);
  ASSERT_GE(residual, 0);
  const FunctionalCheck c = run_plan(t, HwConfig{}, residual);
  EXPECT_TRUE(c.checked);
  EXPECT_FALSE(c.pass);
  EXPECT_GT(c.max_rel_error, 0.01);
}

TEST(Functional, UnsupportedTracesAreClearErrors) {
  ModelSpec g = lookup_model("gpt2");
  g.layers = 1;
  g.seq = 8;
  EXPECT_THROW(FunctionalModel(compress(g, Recipe{}), 1), InputError);
  const Trace u = small("deit-tiny", "all=unstructured:0.5", {}, 1);
  try {
    FunctionalModel f(u, 1);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("square 8, 16 or 32 blocks"), std::string::npos) << e.what();
  }
}
