// The sample traces in traces/ are what the compressor writes today for their recipes: re-compressing gives
// the same bytes (determinism across builds), and each reads back with consistent MAC counts.
#include <gtest/gtest.h>

#include <sstream>

#include "prunesim/workloads/compressor.h"
#include "test_util.h"

using namespace prunesim;
using namespace prunesim::workloads;

namespace {

struct Sample {
  const char* file;
  const char* model;
  uint32_t seq, decode;
  const char* prune;
  const char* quant;
  std::vector<int> token_layers;
};

void check(const Sample& s) {
  ModelSpec m = lookup_model(s.model);
  m.seq = s.seq;
  m.decode = s.decode;
  Recipe r;
  r.add_prune(s.prune);
  r.set_quant(s.quant);
  r.tokens.layers = s.token_layers;
  r.tokens.keep = s.token_layers.empty() ? 1.0 : 0.7;
  std::ostringstream os;
  write_trace(os, compress(m, r));
  const std::string path = test::source_path(std::string("traces/") + s.file);
  const std::string stored = test::read_file(path);
  EXPECT_LT(stored.size(), 1u << 20) << "sample traces stay under 1 MB";
  EXPECT_EQ(os.str(), stored) << path
                              << " is stale: regenerate it with prunesim compress (see traces/README)";
  const Trace t = read_trace_file(path);
  EXPECT_EQ(t.total_macs(), compress(m, r).total_macs());
}

}  // namespace

TEST(SampleTraces, DeitSmall) {
  check(
      {"deit-small-block16-d0.5-evit.trace", "deit-small", 197, 0, "all=block:16x16:0.5", "int8", {3, 6, 9}});
}
TEST(SampleTraces, BertBase) {
  check({"bert-base-rowbal16-d0.25.trace", "bert-base", 128, 0, "all=rowbalanced:16x16:0.25", "int8", {}});
}
TEST(SampleTraces, Gpt2Decode) {
  check({"gpt2-block32-d0.2-decode8.trace", "gpt2", 32, 8, "all=block:32x32:0.2", "int8", {}});
}
TEST(SampleTraces, Gru) {
  check({"gru-rowbal8-d0.25-hybrid.trace",
         "gru",
         20,
         0,
         "gru=rowbalanced:8x8:0.25",
         "gru_ih=int8,gru_hh=int4",
         {}});
}
