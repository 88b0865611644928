// ONNX import (#16) on the graphs tests/onnx/make_models.py builds (a ctest fixture writes them to
// PRUNESIM_ONNX_DIR): each against the same weights read from safetensors, and against the zoo model of the
// same dimensions; malformed graphs refused naming the node.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "prunesim/workloads/onnx_model.h"
#include "prunesim/workloads/trace.h"
#include "test_util.h"

namespace {

using json = nlohmann::json;
using prunesim::test::read_file;
using prunesim::test::run_prunesim;
using prunesim::test::temp_dir;

std::string model(const std::string& file) {
  return std::string(PRUNESIM_ONNX_DIR) + "/" + file;
}

// The trace text without the lines that name where the model came from (source, onnx_* and model name).
std::string without_provenance(const std::string& trace) {
  std::istringstream in(trace);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("header source ", 0) && line.rfind("header onnx_", 0) && line.rfind("header model ", 0))
      out += line + "\n";
  return out;
}

std::string compress(const std::string& args) {
  const std::string out = temp_dir() + "/t.trace";
  const auto r = run_prunesim("compress " + args + " --out " + out);
  EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
  return read_file(out);
}

json run_json(const std::string& args) {
  const std::string out = temp_dir() + "/r.json";
  const auto r = run_prunesim("run " + args + " --json " + out);
  EXPECT_EQ(r.status, 0) << args << "\n" << r.err;
  return json::parse(read_file(out));
}

// The op lines of a trace: kind, name and shapes, in program order.
std::vector<std::string> ops_of(const std::string& trace) {
  std::istringstream in(trace);
  std::vector<std::string> ops;
  for (std::string line; std::getline(in, line);)
    if (line.rfind("op ", 0) == 0) ops.push_back(line);
  return ops;
}

struct Graph {
  const char* name;
  const char* seq;  // the workload flag the dynamic graphs need to match the reference
};
const Graph kTransformers[] = {{"bert", "--seq 16"}, {"gpt2", "--seq 16"}, {"vit", ""}};
const char* kRecipes[] = {"--prune all=dense",
                          "--prune all=block:16x16:0.5 --prune mlp=neuron:0.5 --prune attn=head:0.5",
                          "--prune all=nm:2:4 --quant int4"};

// The same weights through ONNX and through safetensors + config.json give the same trace: dimensions,
// magnitude masks, head and neuron choice, fidelity figures, byte for byte.
TEST(OnnxImport, TransformersEqualTheSameWeightsReadFromSafetensors) {
  for (const auto& f : kTransformers)
    for (const char* recipe : kRecipes) {
      const std::string n = f.name;
      const std::string onnx = compress("--onnx " + model(n + ".onnx") + " " + f.seq + " " + recipe);
      const std::string hf = compress("--weights " + model(n + ".safetensors") + " --hf-config " +
                                      model(n + ".config.json") + " " + f.seq + " " + recipe);
      EXPECT_EQ(without_provenance(onnx), without_provenance(hf)) << n << " " << recipe;
      EXPECT_NE(onnx.find("header source onnx:" + model(n + ".onnx")), std::string::npos);
      EXPECT_NE(onnx.find("header fidelity_rel_error "), std::string::npos) << n;
    }
}

// Against the zoo model of the same dimensions (a model file): the same op sequence and MAC count; dense, the
// same simulated cycles.
TEST(OnnxImport, EveryGraphMatchesItsZooEquivalent) {
  for (const char* n : {"bert", "gpt2", "vit", "gru"}) {
    const std::string name = n;
    const std::string seq = name == "vit" ? "" : name == "gru" ? "--seq 8" : "--seq 16";
    const std::string onnx = "--onnx " + model(name + ".onnx") + " " + seq;
    const std::string zoo = "--model-file " + model(name + ".model.ini");
    EXPECT_EQ(ops_of(compress(onnx + " --prune all=block:16x16:0.5")),
              ops_of(compress(zoo + " --prune all=block:16x16:0.5")))
        << name;
    const json a = run_json(onnx + " --prune all=dense"), b = run_json(zoo + " --prune all=dense");
    EXPECT_EQ(a["latency"]["cycles"], b["latency"]["cycles"]) << name;
    EXPECT_EQ(a["compute"]["macs"], b["compute"]["macs"]) << name;
    // Block pruning keeps the same number of blocks whichever blocks magnitude picks: the same MACs.
    const json p = run_json(onnx + " --prune all=block:16x16:0.5"),
               q = run_json(zoo + " --prune all=block:16x16:0.5");
    EXPECT_EQ(p["compute"]["macs"], q["compute"]["macs"]) << name;
    EXPECT_GT(p["latency"]["cycles"].get<double>(), 0);
  }
}

// The acceptance command, on all four graphs, with nothing else given: dynamic sequence lengths
// take the family's default and say so.
TEST(OnnxImport, RunWorksOnEveryGraphWithDefaults) {
  for (const char* n : {"bert", "gpt2", "vit", "gru"}) {
    const auto r = run_prunesim(std::string("run --onnx ") + model(std::string(n) + ".onnx") +
                                " --prune all=block:16x16:0.5");
    EXPECT_EQ(r.status, 0) << n << "\n" << r.err;
    EXPECT_NE(r.out.find("trace onnx:"), std::string::npos) << r.out;
    if (std::string(n) != "vit") {
      EXPECT_NE(r.out.find("ONNX import: the graph's sequence length is dynamic"), std::string::npos) << n;
    }
  }
}

// Token pruning on an imported ViT: the class attention comes from the imported weights, as with
// safetensors; a decoder imported from ONNX generates tokens like the zoo's.
TEST(OnnxImport, TokenPruningAndDecodeWorkOnImportedModels) {
  const std::string vit = "--tokens 0 --keep 0.5 --prune all=block:16x16:0.5";
  const json a = run_json("--onnx " + model("vit.onnx") + " " + vit);
  const json b = run_json("--weights " + model("vit.safetensors") + " --hf-config " +
                          model("vit.config.json") + " " + vit);
  EXPECT_EQ(a["latency"]["cycles"], b["latency"]["cycles"]);
  EXPECT_EQ(a["workload"]["header"]["token_policy"], "evit layers=0 keep=0.5 fused=1 mode=static");
  const std::string gpt = "--seq 16 --decode 4 --prune all=block:16x16:0.5";
  const json c = run_json("--onnx " + model("gpt2.onnx") + " " + gpt);
  const json d = run_json("--weights " + model("gpt2.safetensors") + " --hf-config " +
                          model("gpt2.config.json") + " " + gpt);
  EXPECT_EQ(c["latency"]["cycles"], d["latency"]["cycles"]);
  EXPECT_EQ(c["compute"]["macs"], d["compute"]["macs"]);
}

// GPT2LMHeadModel exported whole computes logits at every position; prunesim costs one generation step's
// (the last position) and says so rather than silently.
TEST(OnnxImport, AHeadOnEveryTokenIsCostedAsTheFamilysAndSaidSo) {
  const auto r = run_prunesim("run --onnx " + model("gpt2_all_logits.onnx") + " --seq 16");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ONNX import: the graph's head reads every token; prunesim costs the last position's "
                       "logits (one generation step's)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(run_json("--onnx " + model("gpt2_all_logits.onnx") + " --seq 16")["latency"]["cycles"],
            run_json("--onnx " + model("gpt2.onnx") + " --seq 16")["latency"]["cycles"]);
}

TEST(OnnxImport, GruGetsMagnitudeMasksAndAFidelityFigure) {
  const std::string t = compress("--onnx " + model("gru.onnx") + " --seq 8 --prune all=block:16x16:0.5");
  EXPECT_NE(t.find("header fidelity_inputs 4 seeded N(0,1) input sequences"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(t, m, std::regex("header fidelity_rel_error ([0-9.e-]+)")));
  EXPECT_GT(std::stod(m[1]), 0.0);  // half the weights gone: not the dense model
  EXPECT_LT(std::stod(m[1]), 2.0);
  // Unpruned and unquantized: the dense model itself.
  const std::string dense =
      compress("--onnx " + model("gru.onnx") + " --seq 8 --prune all=dense --quant fp32");
  EXPECT_NE(dense.find("header fidelity_rel_error 0\n"), std::string::npos);
  EXPECT_NE(dense.find("header fidelity_top1_agreement 1\n"), std::string::npos);
}

TEST(OnnxImport, OpsetsThirteenToSeventeenReadAlike) {
  // 13 (bert), 14 (gpt2) and 17 (vit, LayerNormalization ops) are the graphs themselves; 15 and 16 here.
  const std::string want = without_provenance(compress("--onnx " + model("bert.onnx") + " --seq 16"));
  for (const char* f : {"bert_opset15.onnx", "bert_opset16.onnx"})
    EXPECT_EQ(without_provenance(compress("--onnx " + model(f) + " --seq 16")), want) << f;
}

TEST(OnnxImport, ExternalDataReadsLikeInlineWeights) {
  EXPECT_EQ(without_provenance(compress("--onnx " + model("vit_external.onnx"))),
            without_provenance(compress("--onnx " + model("vit.onnx"))));
}

// Malformed graphs: exit 2, the file and the node named.
TEST(OnnxImport, MalformedGraphsAreRefusedNamingTheNode) {
  const std::pair<const char*, const char*> cases[] = {
      {"bad_truncated.onnx", "not a valid ONNX model (the protobuf does not parse"},
      {"bad_missing_initializer.onnx", "node 'L1.intermediate' (MatMul): input 'L1.intermediate.weight_T_"},
      {"bad_shape_mismatch.onnx",
       "node 'L0.output' (MatMul): layer 0: the MLP's second weight is 64 x 200 (out x in), expected 64 x "
       "256"},
      {"bad_unknown_op.onnx",
       "1 node prunesim cannot map to its ops: Sin x1 (L0.extra). --onnx-unknown=vector"},
      {"bad_nan_weights.onnx", "the dense model's output is not finite"},
      {"bad_opset.onnx", "ONNX opset 9 is not supported"},
      {"bad_arity.onnx",
       "node 'Add_19' (Add) does not match the Add operator at opset 13: Node (Add_19) has input size 1 "
       "not in range [min=2, max=2]"},
      {"bad_no_op_type.onnx", "node 'L0.softmax' has no op_type"},
      {"bad_heads_overflow.onnx", "cannot tell the number of heads: this Reshape of the query should give"},
      {"bad_foreign_add.onnx", "1 node prunesim cannot map to its ops: com.example.Add x1 (Add_42)"},
      {"bad_dims_overflow.onnx", "its dimensions multiply past 2^64 elements"},
      {"bad_dims_huge.onnx", "initializer 'emb_ln_g_20' holds 256 bytes, its shape needs 4398046511104"},
      {"does_not_exist.onnx", "cannot open the ONNX file"},
  };
  for (const auto& [file, want] : cases) {
    const std::string out = temp_dir() + "/t.trace";
    const auto r = run_prunesim("compress --onnx " + model(file) + " --seq 16 --out " + out);
    EXPECT_EQ(r.status, 2) << file << "\n" << r.err;
    EXPECT_NE(r.err.find(model(file) + ": "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << file << "\n" << r.err;
    EXPECT_FALSE(prunesim::test::file_exists(out)) << file;
  }
}

// --onnx-unknown=vector costs the op as an element-wise pass over its output, right where it sits (after
// layer 0's LayerNorm, before the MLP), and the report says so.
TEST(OnnxImport, UnknownOpsCostedAsVectorOpsWhenAsked) {
  const std::string args = "--onnx " + model("bad_unknown_op.onnx") + " --onnx-unknown vector --seq 16";
  const std::vector<std::string> ops = ops_of(compress(args + " --prune all=dense"));
  size_t at = 0;
  for (; at < ops.size(); ++at)
    if (ops[at].find("name=onnx.L0.extra") != std::string::npos) break;
  ASSERT_LT(at, ops.size());
  EXPECT_NE(ops[at].find("layer=0 kind=eltwise name=onnx.L0.extra func=Sin elems=1024"), std::string::npos)
      << ops[at];  // 16 tokens x 64 features
  EXPECT_NE(ops[at - 1].find("name=ln1"), std::string::npos) << ops[at - 1];
  EXPECT_NE(ops[at + 1].find("name=mlp.fc1"), std::string::npos) << ops[at + 1];
  size_t extras = 0;
  for (const auto& o : ops) extras += o.find("onnx.") != std::string::npos;
  EXPECT_EQ(extras, 1u);  // layer 1 has no such op
  const auto r = run_prunesim("run " + args);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("ONNX ops not mapped: Sin x1 (L0.extra) costed as element-wise vector ops"),
            std::string::npos)
      << r.out;
  // The same graph without the flag: an error, checked above; an unknown value of the flag: an error too.
  const auto bad =
      run_prunesim("run " + args.substr(0, args.find(" --onnx-unknown")) + " --onnx-unknown maybe");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--onnx-unknown"), std::string::npos) << bad.err;
}

// The position-embedding table's rows are the graph's context (64 in the test graphs): more tokens than that
// is exit 2 naming the key, as for the zoo's models, and workload.max_positions widens it for a what-if.
TEST(OnnxImport, ThePositionTableBoundsSeqAndDecode) {
  const auto bert = run_prunesim("run -q --onnx " + model("bert.onnx") + " --seq 128");
  EXPECT_EQ(bert.status, 2);
  EXPECT_NE(bert.err.find("workload.seq: bert has position embeddings for 64 tokens; seq 128 needs 128"),
            std::string::npos)
      << bert.err;
  const auto gpt = run_prunesim("run -q --onnx " + model("gpt2.onnx") + " --seq 60 --decode 8");
  EXPECT_EQ(gpt.status, 2);
  EXPECT_NE(gpt.err.find("workload.decode: gpt2 has position embeddings for 64 tokens; seq 60 + decode 8 "
                         "needs 68"),
            std::string::npos)
      << gpt.err;
  EXPECT_EQ(run_prunesim("run -q --onnx " + model("gpt2.onnx") + " --seq 60 --decode 4").status, 0);
  EXPECT_EQ(
      run_prunesim("run -q --onnx " + model("bert.onnx") + " --seq 128 --set workload.max_positions=128")
          .status,
      0);
}

TEST(OnnxImport, DimensionOverridesAndSecondModelSourcesAreErrors) {
  const std::string g = "--onnx " + model("bert.onnx") + " --seq 16";
  const auto a = run_prunesim("compress " + g + " --set workload.d_model=128 --out " + temp_dir() + "/t");
  EXPECT_EQ(a.status, 2);
  EXPECT_NE(a.err.find("workload.d_model: an imported ONNX model's dimensions come with its weights"),
            std::string::npos)
      << a.err;
  const auto b = run_prunesim("compress " + g + " --model-file " + model("bert.model.ini") + " --out " +
                              temp_dir() + "/t");
  EXPECT_EQ(b.status, 2);
  EXPECT_NE(b.err.find("workload.onnx and workload.model_file both give the model"), std::string::npos)
      << b.err;
  const auto c =
      run_prunesim("compress --onnx " + model("vit.onnx") + " --seq 20 --out " + temp_dir() + "/t");
  EXPECT_EQ(c.status, 2);
  EXPECT_NE(c.err.find("a vision model's tokens come from its image size (17 here)"), std::string::npos)
      << c.err;
}

// The library call: what the import recognised, for a reviewer (and the trace header).
TEST(OnnxImport, ImportReportsItsMapping) {
  using namespace prunesim::workloads;
  const OnnxModel m = import_onnx(model("gpt2.onnx"), OnnxOptions{16, OnnxUnknown::Error});
  EXPECT_EQ(m.spec.family, Family::Decoder);
  EXPECT_EQ(m.spec.layers, 2u);
  EXPECT_EQ(m.spec.heads, 4u);
  EXPECT_EQ(m.spec.head_dim, 16u);
  EXPECT_EQ(m.spec.mlp, 256u);
  EXPECT_EQ(m.spec.vocab, 100u);
  EXPECT_TRUE(m.weights.gelu_tanh);
  EXPECT_TRUE(m.weights.causal);
  EXPECT_TRUE(m.weights.pre_ln);
  // 2 layers x 4 Conv1D Gemms + the LM head MatMul; 2 x 2 attention MatMuls; 5 decomposed LayerNorms.
  EXPECT_NE(m.mapping.find("gemm 9 from 9 nodes (Gemm 8 MatMul 1)"), std::string::npos) << m.mapping;
  EXPECT_NE(m.mapping.find("attention matmul 4"), std::string::npos) << m.mapping;
  EXPECT_NE(m.mapping.find("norm 5 from 45 nodes"), std::string::npos) << m.mapping;
  EXPECT_NE(m.mapping.find("folded into softmax 4 nodes (Div 2 Where 2)"), std::string::npos) << m.mapping;
  const OnnxModel b = import_onnx(model("bert.onnx"), OnnxOptions{16, OnnxUnknown::Error});
  EXPECT_EQ(b.spec.family, Family::Encoder);
  EXPECT_FALSE(b.weights.pre_ln);
  EXPECT_FALSE(b.weights.causal);
  EXPECT_EQ(b.spec.vocab, 100u);
  EXPECT_EQ(b.spec.classes, 2u);
  EXPECT_FLOAT_EQ(b.weights.ln_eps, 1e-12f);
  const OnnxModel v = import_onnx(model("vit.onnx"), OnnxOptions{});
  EXPECT_EQ(v.spec.family, Family::Vision);
  EXPECT_EQ(v.spec.patch, 8u);
  EXPECT_EQ(v.spec.seq, 17u);
  EXPECT_EQ(v.spec.extra_tokens, 1u);
  EXPECT_EQ(v.spec.classes, 1000u);
}

}  // namespace
