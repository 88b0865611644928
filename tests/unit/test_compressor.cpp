#include <gtest/gtest.h>

#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/summary.h"
#include "tiny_models.h"

using namespace prunesim;
using namespace prunesim::workloads;

namespace {

uint64_t layer_macs(const Trace& t, int layer) {
  uint64_t s = 0;
  for (const auto& op : t.ops)
    if (op.layer == layer) s += op.macs(t.matrices);
  return s;
}

// Hand derivation of one pre-LN encoder layer's MACs at n tokens: QKV n*D*3D, QK^T and A*V 2*n*n*D,
// projection n*D*D, MLP 2*n*D*F.
uint64_t encoder_layer_macs(uint64_t n, uint64_t D, uint64_t F) {
  return n * D * 3 * D + 2 * n * n * D + n * D * D + 2 * n * D * F;
}

}  // namespace

TEST(Compressor, DeitSmallDenseLayerMacsMatchHandDerivation) {
  const Trace t = compress(lookup_model("deit-small"), Recipe{});
  EXPECT_EQ(layer_macs(t, 0), 378391296u);
  EXPECT_EQ(encoder_layer_macs(197, 384, 1536), 378391296u);
  for (int l = 0; l < 12; ++l) EXPECT_EQ(layer_macs(t, l), 378391296u);
  EXPECT_EQ(t.total_macs(), t.header.facts().unpruned_macs);
}

TEST(Compressor, BertBaseDenseLayerMacs) {
  ModelSpec m = lookup_model("bert-base");
  m.seq = 128;
  const Trace t = compress(m, Recipe{});
  EXPECT_EQ(layer_macs(t, 5), encoder_layer_macs(128, 768, 3072));
}

TEST(Compressor, BlockPruningScalesWeightMacsByDensity) {
  Recipe r;
  r.add_prune("all=block:16x16:0.5");
  const Trace t = compress(lookup_model("deit-small"), r);
  // Weight GEMMs halve exactly (every dimension divides by 16); attention matmuls are untouched.
  const uint64_t n = 197, D = 384, F = 1536;
  EXPECT_EQ(layer_macs(t, 0), (n * D * 3 * D + n * D * D + 2 * n * D * F) / 2 + 2 * n * n * D);
}

TEST(Compressor, EvitKeepsCeilOfRatioPlusClassAndFusedTokens) {
  EXPECT_EQ(evit_kept_tokens(197, 0.7, true), 138u + 2);
  EXPECT_EQ(evit_kept_tokens(140, 0.7, true), 98u + 2);
  EXPECT_EQ(evit_kept_tokens(100, 0.7, true), 70u + 2);
  EXPECT_EQ(evit_kept_tokens(197, 0.7, false), 139u);
  EXPECT_EQ(evit_kept_tokens(197, 1.0, true), 197u);
}

TEST(Compressor, TokenPruningCutsLaterLayersAsTheKeepRatioSays) {
  Recipe r;
  r.tokens.layers = {3, 6, 9};
  r.tokens.keep = 0.7;
  const Trace t = compress(lookup_model("deit-small"), r);
  const uint64_t D = 384, F = 1536;
  // Layer 3: attention at 197 tokens, MLP at 140 after pruning.
  EXPECT_EQ(layer_macs(t, 3), 197 * D * 3 * D + 2 * 197 * 197 * D + 197 * D * D + 2 * 140 * D * F);
  EXPECT_EQ(layer_macs(t, 4), encoder_layer_macs(140, D, F));
  EXPECT_EQ(layer_macs(t, 7), encoder_layer_macs(100, D, F));
  EXPECT_EQ(layer_macs(t, 10), encoder_layer_macs(72, D, F));
}

TEST(Compressor, HeadAndNeuronPruningShrinkTheMatrices) {
  Recipe r;
  r.add_prune("attn=head:0.5");
  r.add_prune("mlp=neuron:0.25");
  const Trace t = compress(lookup_model("bert-base"), r);
  const Matrix& qkv = t.matrix("L0.qkv");
  EXPECT_EQ(qkv.rows, 3u * 6 * 64);
  EXPECT_EQ(qkv.dense_rows, 3u * 768);
  EXPECT_EQ(t.matrix("L0.fc1").rows, 768u);
  EXPECT_EQ(t.matrix("L0.fc2").cols, 768u);
  for (const auto& op : t.ops)
    if (op.kind == OpKind::Matmul) {
      EXPECT_EQ(op.count, 6u);
    }
}

TEST(Compressor, Gpt2DecodeReadsTheKvCacheAndGrowsTheContext) {
  const Trace t = compress(test::small_gpt2(3), Recipe{});
  uint64_t kv_read = 0, kv_write = 0;
  std::vector<uint64_t> contexts;
  for (const auto& op : t.ops) {
    if (op.kind == OpKind::Matmul && op.name == "attn.qk" && op.layer == 0) contexts.push_back(op.n);
    if (op.kind == OpKind::Matmul) kv_read += op.ddr_read_bytes;
    if (op.kind == OpKind::Gemm && op.name == "attn.qkv") kv_write += op.ddr_write_bytes;
  }
  EXPECT_EQ(contexts, (std::vector<uint64_t>{16, 17, 18, 19}));
  // int8: each layer writes K and V (2 x 768 bytes per token); decode step g reads 2 x 768 x (16 + g).
  EXPECT_EQ(kv_write, 2u * 2 * 768 * (16 + 3));
  EXPECT_EQ(kv_read, 2u * 2 * 768 * (16 + 17 + 18));
}

// A decode's steps are made on demand, not stored (a long decode's ops were most of a run's memory): the
// trace holds the prefill, and each step's ops are the same whichever way and order they are reached.
TEST(Compressor, DecodeStepsAreMadeOnDemandAndAreTheSameEachWayTheyAreRead) {
  const Trace t = compress(test::small_gpt2(40), Recipe{});
  const Trace prefill_only = compress(test::small_gpt2(0), Recipe{});
  ASSERT_TRUE(t.ops.generated());
  EXPECT_FALSE(prefill_only.ops.generated());
  EXPECT_EQ(t.ops.stored(), prefill_only.ops.size());
  const size_t per_step = (t.ops.size() - t.ops.stored()) / 40;
  EXPECT_EQ(t.ops.size(), t.ops.stored() + 40 * per_step);
  Trace stored = t;
  stored.ops.materialize();
  ASSERT_FALSE(stored.ops.generated());
  ASSERT_EQ(stored.ops.size(), t.ops.size());
  std::ostringstream a, b;
  write_trace(a, t);
  write_trace(b, stored);
  EXPECT_TRUE(a.str() == b.str());  // (not EXPECT_EQ: a failure would print 200 KB of trace)
  // By index, last step first: the same ops, ids counting up, and only the steps asked for are held.
  for (size_t i = t.ops.size(); i-- > t.ops.stored();) {
    const Op& op = t.ops[i];
    EXPECT_EQ(op.id, i);
    EXPECT_EQ(op.name, stored.ops[i].name);
    EXPECT_EQ(op.n, stored.ops[i].n);
    EXPECT_EQ(op.ddr_read_bytes, stored.ops[i].ddr_read_bytes);
    t.ops.release_before(i);  // nothing after i is released: a no-op going backwards
  }
  EXPECT_EQ(t.ops.most_steps_held(), 40u);
  t.ops.release_before(t.ops.size());
  EXPECT_EQ(t.ops[t.ops.stored()].name, "decode0.embeddings");  // made again after its release
  EXPECT_EQ(t.ops[t.ops.size() - 1].name, "decode39.logits");
  // Editing a trace stores its generated ops first.
  Trace edited = t;
  edited.ops.push_back(Op{});
  EXPECT_FALSE(edited.ops.generated());
  EXPECT_EQ(edited.ops.size(), t.ops.size() + 1);
  EXPECT_EQ(edited.ops[t.ops.size() - 1].name, "decode39.logits");
}

TEST(Compressor, GruHasGateMatvecsEveryStep) {
  ModelSpec m = lookup_model("gru");
  m.seq = 5;
  const Trace t = compress(m, Recipe{});
  const uint64_t H = 256, I = 64;
  EXPECT_EQ(t.total_macs(), 5 * (3 * H * I + 3 * H * H) + 5 * (3 * H * H + 3 * H * H));
}

TEST(Compressor, BadRecipesAreClearErrors) {
  auto err = [](auto fn) {
    try {
      fn();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(err([] { lookup_model("resnet"); }).find("known models: bert-base"), std::string::npos);
  EXPECT_NE(err([] {
              Recipe r;
              r.tokens.layers = {3};
              r.tokens.keep = 1.5;
              compress(lookup_model("deit-small"), r);
            }).find("keep ratio"),
            std::string::npos);
  EXPECT_NE(err([] {
              Recipe r;
              r.tokens.layers = {40};
              r.tokens.keep = 0.5;
              compress(lookup_model("deit-small"), r);
            }).find("layer 40"),
            std::string::npos);
  EXPECT_NE(err([] { Recipe().add_prune("wings=block:4x4:0.5"); }).find("wings"), std::string::npos);
}

TEST(Compressor, SameSeedSameTrace) {
  const Trace a = compress(default_model(), default_recipe());
  const Trace b = compress(default_model(), default_recipe());
  EXPECT_EQ(a.matrix("L5.fc1").mask.bits, b.matrix("L5.fc1").mask.bits);
}

TEST(Compressor, ActivationWidthsPerOpKind) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 1;
  Recipe r;
  r.set_quant("all=int8,act=int8,act.softmax=int16,act.layernorm=int16");
  const Trace t = compress(m, r);
  int softmax = 0, gemm = 0;
  for (const auto& op : t.ops) {
    if (op.kind == OpKind::Softmax || op.kind == OpKind::LayerNorm) {
      EXPECT_EQ(op.abits, 16) << op.name;
      ++softmax;
    }
    if (op.kind == OpKind::Gemm || op.kind == OpKind::Gelu) {
      EXPECT_EQ(op.abits, 8) << op.name;
      ++gemm;
    }
  }
  EXPECT_GT(softmax, 0);
  EXPECT_GT(gemm, 0);
  EXPECT_NE(t.header.get("quant").find("activations 8b, layernorm 16b, softmax 16b"), std::string::npos)
      << t.header.get("quant");
  // The same written and read back.
  std::stringstream ss;
  write_trace(ss, t);
  const Trace back = read_trace(ss, "mem");
  EXPECT_EQ(back.ops[5].abits, t.ops[5].abits);
  try {
    r.set_quant("act.attention=int16");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("act.attention is not an op kind"), std::string::npos) << e.what();
  }
}

TEST(Compressor, HeaderNamesEachWeightWidthWhenTheyDiffer) {
  ModelSpec m = lookup_model("gru");
  Recipe r;
  r.set_quant("gru_ih=int8,gru_hh=int4");
  EXPECT_EQ(compress(m, r).header.get("quant"),
            "gru_ih=int8,gru_hh=int4 (weights gru_hh 4b / gru_ih 8b, activations 8b, symmetric per-tensor)");
  r.set_quant("int8");
  EXPECT_EQ(compress(m, r).header.get("quant"), "int8 (weights 8b, activations 8b, symmetric per-tensor)");
}

TEST(Compressor, SummaryKeepsLongHeaderKeysApartFromTheirValues) {
  Trace t = compress(lookup_model("gru"), Recipe{});
  t.header.set("fidelity_rel_error", "0.0840852");
  EXPECT_NE(trace_summary(t).find("  fidelity_rel_error 0.0840852\n"), std::string::npos) << trace_summary(t);
}
