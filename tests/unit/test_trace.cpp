#include <gtest/gtest.h>

#include <sstream>

#include "prunesim/workloads/compressor.h"
#include "prunesim/workloads/error.h"
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

TEST(Trace, UnstructuredMasksUseCountsAndRoundTrip) {
  Recipe r;
  r.add_prune("all=unstructured:0.3");
  ModelSpec m = lookup_model("gru");
  m.seq = 3;
  const Trace t = compress(m, r);
  EXPECT_FALSE(t.matrix("L0.w_ih").mask.has_bitmap);
  EXPECT_EQ(to_text(from_text(to_text(t))), to_text(t));
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
  expect_error("prunesim-trace 9\n", "test.trace:1: trace version 9");
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
