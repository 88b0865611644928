#include <gtest/gtest.h>

#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/trace.h"

using namespace prunesim;
using namespace prunesim::workloads;

namespace {

std::string to_text(const Trace& t) {
  std::ostringstream os;
  write_trace(os, t);
  return os.str();
}

Trace from_text(const std::string& s) {
  std::istringstream is(s);
  return read_trace(is, "test.trace");
}

// A one-GEMM trace written by hand from traces/FORMAT.md.
const char* kOneGemm =
    "prunesim-trace 1\n"
    "# a 32x48 weight in 16x16 blocks, three of six kept\n"
    "header model hand\n"
    "matrix name=w kind=fc1 layer=0 rows=32 cols=48 dense_rows=32 dense_cols=48 wbits=8 format=bcsr "
    "block=16x16 nnz=768 bytes=786 mask=bitmap\n"
    "b 5\n"
    "b 2\n"
    "end\n"
    "op id=0 layer=0 kind=gemm name=fc m=10 weight=w abits=8\n"
    "eof\n";

}  // namespace

TEST(Trace, HandWrittenOneGemmTraceReads) {
  const Trace t = from_text(kOneGemm);
  ASSERT_EQ(t.ops.size(), 1u);
  const Matrix& w = t.matrix("w");
  EXPECT_EQ(w.mask.grid_rows, 2u);
  EXPECT_EQ(w.mask.grid_cols, 3u);
  EXPECT_TRUE(w.mask.kept(0, 0));
  EXPECT_FALSE(w.mask.kept(0, 1));
  EXPECT_TRUE(w.mask.kept(0, 2));
  EXPECT_TRUE(w.mask.kept(1, 1));
  EXPECT_EQ(w.nnz, 3u * 256u);
  // bcsr: 3 blocks x 256 B + 3 x 2-byte column indices + (2 + 1) x 4-byte row pointers
  EXPECT_EQ(w.bytes, 3u * 256 + 3 * 2 + 3 * 4);
  EXPECT_EQ(t.ops[0].k, 48u);
  EXPECT_EQ(t.ops[0].n, 32u);
  EXPECT_EQ(t.total_macs(), 10u * 768u);
  EXPECT_EQ(t.total_dense_macs(), 10u * 32u * 48u);
}

TEST(Trace, RoundTripIsByteIdentical) {
  Recipe r = default_recipe();
  r.add_prune("mlp=rowbalanced:8x8:0.25");
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 2;
  r.tokens.layers = {1};
  const Trace t = compress(m, r);
  const std::string a = to_text(t);
  const Trace back = from_text(a);
  EXPECT_EQ(to_text(back), a);
  EXPECT_EQ(back.total_macs(), t.total_macs());
  EXPECT_EQ(back.ops.size(), t.ops.size());
}

TEST(Trace, FineGrainedMasksCarryTheirPositionsAndRoundTrip) {
  for (const char* prune : {"all=unstructured:0.3", "all=nm:2:4"}) {
    Recipe r;
    r.add_prune(prune);
    ModelSpec m = lookup_model("gru");
    m.seq = 3;
    const Trace t = compress(m, r);
    const Matrix& w = t.matrix("L0.w_ih");
    ASSERT_TRUE(w.mask.has_bitmap) << prune;  // element positions, not only per-row counts
    EXPECT_EQ(w.mask.block_rows, 1u);
    EXPECT_EQ(w.mask.block_cols, 1u);
    EXPECT_EQ(w.pattern, std::string(prune).substr(4));
    uint64_t set = 0;
    for (uint32_t row = 0; row < w.rows; ++row)
      for (uint32_t c = 0; c < w.cols; ++c) set += w.mask.kept(row, c);
    EXPECT_EQ(set, w.nnz);
    if (std::string(prune) == "all=nm:2:4") {  // exactly 2 of every 4 consecutive inputs
      for (uint32_t g = 0; g + 4 <= w.cols; g += 4) {
        EXPECT_EQ(w.mask.kept(5, g) + w.mask.kept(5, g + 1) + w.mask.kept(5, g + 2) + w.mask.kept(5, g + 3),
                  2);
      }
    }
    const Trace back = from_text(to_text(t));
    EXPECT_EQ(back.matrix("L0.w_ih").pattern, w.pattern);
    EXPECT_EQ(to_text(back), to_text(t));
  }
}

TEST(Trace, CountsOnlyFineGrainedMasksStillRead) {
  // Traces written before masks carried positions: per-row counts only.
  const std::string text =
      "prunesim-trace 1\n"
      "matrix name=w kind=fc1 layer=0 rows=2 cols=8 dense_rows=2 dense_cols=8 wbits=8 format=csr block=1x1 "
      "nnz=5 bytes=27 mask=counts\n"
      "counts 3,2\n"
      "end\n"
      "op id=0 layer=0 kind=gemm name=fc m=4 weight=w abits=8\n"
      "eof\n";
  const Trace t = from_text(text);
  EXPECT_FALSE(t.matrix("w").mask.has_bitmap);
  EXPECT_EQ(t.matrix("w").nnz, 5u);
}

TEST(Trace, BadPatternIsAnError) {
  const std::string text =
      "prunesim-trace 1\n"
      "matrix name=w kind=fc1 layer=0 rows=2 cols=8 dense_rows=2 dense_cols=8 wbits=8 format=csr block=1x1 "
      "pattern=nm:5:4 nnz=5 bytes=27 mask=counts\n"
      "counts 3,2\n"
      "end\n"
      "eof\n";
  try {
    from_text(text);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("test.trace:2: matrix w: pattern=nm:5:4"), std::string::npos)
        << e.what();
  }
}

TEST(Trace, ErrorsNameFileLineAndWhatWasExpected) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    try {
      from_text(text);
      FAIL() << "no error for:\n" << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error("", "test.trace");
  expect_error("prunesim-trace 9\n", "test.trace:1: trace version '9' is not supported");
  std::string bad_hex = kOneGemm;
  bad_hex.replace(bad_hex.find("b 2"), 3, "b z");
  expect_error(bad_hex, "test.trace:6: invalid hex digit 'z'");
  std::string no_eof = kOneGemm;
  no_eof.erase(no_eof.find("eof"));
  expect_error(no_eof, "truncated");
  std::string bad_bytes = kOneGemm;
  bad_bytes.replace(bad_bytes.find("bytes=786"), 9, "bytes=999");
  expect_error(bad_bytes, "test.trace:4: matrix w: bytes=999 but format bcsr needs 786");
  std::string unknown = kOneGemm;
  unknown.replace(unknown.find("abits=8\neof"), 7, "abits=8 color=red");
  expect_error(unknown, "unknown key 'color'");
  std::string missing = kOneGemm;
  missing.replace(missing.find("weight=w"), 8, "weight=nope");
  expect_error(missing, "no matrix named 'nope'");
}

TEST(Trace, HeaderKeysTheToolsActOnAreTypedOnceAndStillWrittenAsRead) {
  std::string text = kOneGemm;
  text.insert(text.find("header model"),
              "header seq 197\nheader batch 2\nheader quant int8 (weights 8b, activations 8b, symmetric "
              "per-channel)\nheader note free text stays text\n");
  const Trace t = from_text(text);
  EXPECT_EQ(t.header.facts().seq, 197u);
  EXPECT_EQ(t.header.facts().batch, 2u);
  EXPECT_EQ(t.header.facts().model, "hand");
  EXPECT_EQ(t.header.facts().quant.scheme, "int8");
  EXPECT_TRUE(t.header.facts().quant.per_channel);
  EXPECT_FALSE(t.header.facts().quant.floating);
  EXPECT_EQ(t.header.get("note"), "free text stays text");
  EXPECT_EQ(from_text(to_text(t)).header.entries(), t.header.entries());

  Trace fp = t;
  fp.header.set("quant", "fp16 (weights 16b, activations 16b, symmetric per-tensor)");
  EXPECT_TRUE(fp.header.facts().quant.floating);
  EXPECT_FALSE(fp.header.facts().quant.per_channel);
}

TEST(Trace, AHeaderNumberThatIsNotOneIsAnErrorWithItsLine) {
  for (const char* bad : {"header seq abc\n", "header seq -5\n", "header batch 4294967296\n",
                          "header unpruned_macs 18446744073709551616\n", "header seq 12x\n"}) {
    std::string text = kOneGemm;
    text.insert(text.find("header model"), bad);
    try {
      from_text(text);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("test.trace:3"), std::string::npos) << msg;
      EXPECT_NE(msg.find("expected an integer"), std::string::npos) << msg;
    }
  }
}

TEST(Trace, OpRolesComeFromTheNamesTheCompressorGivesAndSurviveARoundTrip) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 1;
  Recipe r = default_recipe();
  r.tokens.layers = {0};
  const Trace t = compress(m, r);
  std::vector<OpRole> roles;
  for (const auto& op : t.ops)
    if (op.layer == 0) roles.push_back(op.role);
  const std::vector<OpRole> want = {
      OpRole::Ln1,      OpRole::AttnQkv,   OpRole::AttnQk,    OpRole::AttnSoftmax, OpRole::AttnAv,
      OpRole::AttnProj, OpRole::Residual1, OpRole::TokenTopk, OpRole::Ln2,         OpRole::MlpFc1,
      OpRole::Gelu,     OpRole::MlpFc2,    OpRole::Residual2};
  EXPECT_EQ(roles, want);
  const Trace back = from_text(to_text(t));
  for (size_t i = 0; i < t.ops.size(); ++i) EXPECT_EQ(back.ops[i].role, t.ops[i].role) << t.ops[i].name;
  // An op named as nothing the compressor builds is timed by its kind and has no role.
  EXPECT_EQ(from_text(kOneGemm).ops[0].role, OpRole::Other);
  EXPECT_EQ(op_role_of(op_role_name(OpRole::GruUpdate)), OpRole::GruUpdate);
}

TEST(Trace, ShapeComesFromTheHeaderAndTheFirstLayer) {
  ModelSpec m = lookup_model("deit-small");
  m.layers = 2;
  Recipe r = default_recipe();
  r.tokens.layers = {1};
  const TraceShape s = compress(m, r).shape();
  EXPECT_EQ(s.family, "vision");
  EXPECT_EQ(s.seq, 197u);
  EXPECT_EQ(s.heads, 6u);
  EXPECT_EQ(s.head_dim, 64u);
  EXPECT_EQ(s.d_model, 384u);
  EXPECT_EQ(s.layers, 2u);
  EXPECT_EQ(from_text(kOneGemm).shape().d_model, 0u);  // no layernorm: unknown, not guessed
}

TEST(Trace, OpKindTableHasOneRowPerKindInEnumOrder) {
  const auto& kinds = op_kinds();
  for (size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(size_t(kinds[i].kind), i) << kinds[i].name;
    EXPECT_EQ(parse_op_kind(kinds[i].name), kinds[i].kind);
    // Vector kernels stream every value at least once; the others are not the vector unit's.
    EXPECT_EQ(kinds[i].unit == OpUnit::Vector, kinds[i].passes > 0) << kinds[i].name;
  }
  EXPECT_EQ(kinds.size(), size_t(OpKind::TokenPrune) + 1);
}

TEST(Trace, RmsNormLayersAreTheirOwnKindWithTheNormRolesAndRoundTrip) {
  ModelSpec m = lookup_model("deit-tiny");
  m.layers = 2;
  m.rms_norm = true;
  Recipe r = default_recipe();
  r.tokens.layers = {};
  const Trace t = compress(m, r);
  int rms = 0;
  for (const auto& op : t.ops) {
    EXPECT_NE(op.kind, OpKind::LayerNorm) << op.name;
    if (op.kind == OpKind::RmsNorm) {
      ++rms;
      if (op.layer >= 0) {
        EXPECT_TRUE(op.role == OpRole::Ln1 || op.role == OpRole::Ln2) << op.name;
      }
    }
  }
  EXPECT_EQ(rms, 2 * 2 + 1);  // two per layer and the final one
  EXPECT_TRUE(t.shape().rms_norm);
  EXPECT_EQ(t.shape().d_model, 192u);
  EXPECT_EQ(to_text(from_text(to_text(t))), to_text(t));
  EXPECT_NE(to_text(t).find("kind=rmsnorm name=ln1 count=1 rows=197 cols=192"), std::string::npos);
}

TEST(Trace, NumbersThatDoNotFitTheirFieldsAreRefusedNotWrapped) {
  // rows=4294967328 once read as 32; counts past 32 bits once escaped as a library exception.
  auto error_for = [](const std::string& from, const std::string& to) {
    std::string text = kOneGemm;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    try {
      from_text(text);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error_for("rows=32", "rows=4294967328").find("rows=4294967328: out of range"), std::string::npos);
  EXPECT_NE(error_for("m=10", "m=99999999999999999999999").find("m=99999999999999999999999: out of range"),
            std::string::npos);
  EXPECT_NE(error_for("layer=0 kind=gemm", "layer=-7 kind=gemm").find("expected -1 or a layer index"),
            std::string::npos);
  EXPECT_NE(error_for("block=16x16", "block=4294967312x16").find("expected RxC with sides from 1"),
            std::string::npos);
  EXPECT_NE(error_for("block=16x16", "block=-16x16").find("expected RxC"), std::string::npos);
  EXPECT_NE(error_for("abits=8", "abits=4294967304").find("out of range"), std::string::npos);
  EXPECT_NE(error_for("abits=8", "abits=4294967295").find("abits must be in [1, 32]"), std::string::npos);
}

// #21: sizes whose products would wrap 64 bits (or swamp the machine) are refused at read, naming the line:
// a 2^32-1 matmul once reported 162.8 % utilisation, and 2^64-1 GELU elements hung the run.
TEST(Trace, OpSizesBeyondTheDocumentedLimitsAreRefusedAtRead) {
  auto error_of = [](const std::string& op) {
    try {
      from_text("prunesim-trace 1\nheader model hand\n" + op + "\neof\n");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(
      error_of("op id=0 layer=0 kind=matmul name=mm count=4294967295 m=4294967295 k=4294967295 n=4294967295 "
               "abits=8")
          .find(":3: matmul: count x m x k (elements) exceeds 2^40"),
      std::string::npos);
  EXPECT_NE(error_of("op id=0 layer=0 kind=matmul name=mm count=1 m=1048576 k=2048 n=1048576 abits=8")
                .find("matmul: count x m x k x n (MACs) exceeds 2^50"),
            std::string::npos);
  EXPECT_NE(error_of("op id=0 layer=0 kind=gelu name=g elems=18446744073709551615 abits=8")
                .find("gelu: elems exceeds 2^40"),
            std::string::npos);
  EXPECT_NE(
      error_of("op id=0 layer=0 kind=softmax name=s count=4294967295 rows=4294967295 cols=4294967295 abits=8")
          .find("softmax: count x rows x cols (elements) exceeds 2^40"),
      std::string::npos);
  EXPECT_NE(error_of("op id=0 layer=-1 kind=load name=in ddr_read=2000000000000")
                .find("ddr_read (bytes) exceeds 2^40"),
            std::string::npos);
  EXPECT_EQ(error_of("op id=0 layer=0 kind=matmul name=mm count=12 m=197 k=64 n=197 abits=8"), "accepted");
}

// #21: the version is the whole token; "1.9" and "1abc" are not version 1.
TEST(Trace, AVersionThatOnlyStartsWithTheSupportedOneIsRefused) {
  for (const char* v : {"1.9", "1abc", "01", "1 2"}) {
    std::istringstream is(std::string("prunesim-trace ") + v +
                          "\nop id=0 layer=0 kind=gelu name=g elems=4 abits=8\neof\n");
    try {
      read_trace(is, "v.trace");
      ADD_FAILURE() << v << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(
          std::string(e.what()).find("v.trace:1: trace version '" + std::string(v) + "' is not supported"),
          std::string::npos)
          << e.what();
    }
  }
}

// #21: text that would reach a JSON report must be UTF-8; readers refuse anything else, naming the line.
TEST(Trace, NonUtf8TextIsRefusedWithItsLine) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(
      valid_utf8("Gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80"));  // U+00FC U+00DF U+20AC U+1F600
  EXPECT_FALSE(valid_utf8("a\xff"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  std::istringstream is(
      "prunesim-trace 1\nheader model ab\xff\nop id=0 layer=0 kind=gelu name=g elems=4 abits=8\neof\n");
  try {
    read_trace(is, "u.trace");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("u.trace:2: not UTF-8 text"), std::string::npos) << e.what();
  }
}
