#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "test_util.h"
#include "tiny_models.h"

using nlohmann::json;
using prunesim::test::run_prunesim;
using prunesim::test::source_path;

namespace {

std::string device(const char* name) {
  return source_path(std::string("configs/devices/") + name + ".ini");
}

std::vector<json> jsonl(const std::string& path) {
  std::vector<json> out;
  std::ifstream is(path);
  for (std::string line; std::getline(is, line);)
    if (!line.empty()) out.push_back(json::parse(line));
  return out;
}

// The small real-weights model and its flags: 2 layers, hidden 32, 16 tokens, fidelity on 16 inputs.
std::string tiny_model(const std::string& d) {
  prunesim::test::write_tiny_bert(d, 2, 32);
  return "--weights " + d + "/m.safetensors --hf-config " + d +
         "/config.json --seq 16 --tokens none --set workload.fidelity_inputs=16";
}

}  // namespace

// The search against an independent brute force: every point of the same space run by `prunesim sweep` (one
// sweep per device; fidelity comes with each point), filtered by LC and AC, minimum energy.
TEST(Explore, FindsTheTrueOptimumOfASmallSpaceAsABruteForceSweepDoes) {
  const std::string d = prunesim::test::temp_dir();
  const std::string model = tiny_model(d);
  const double lc = 0.02, ac = 0.23;
  const auto r = run_prunesim(
      "explore --out " + d + "/ex " + model + " --devices " + device("zcu102") + "," + device("alveo-u250") +
      " --prune-grid 'all=block:4x4:{0.2:1:0.2}' --quant-grid int8,int16 --design-grid pe.rows=8,16 "
      "--design-grid pe.cols=16 --latency-ms 0.02 --accuracy 'rel_error<=0.23' -j 2");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json ex = json::parse(prunesim::test::read_file(d + "/ex/explore.json"));
  ASSERT_TRUE(ex["answer"].is_object()) << ex.dump(1);
  // The search simulated fewer points than the product, and says so.
  EXPECT_EQ(ex["points_total"], 40);
  EXPECT_LT(ex["points_simulated"].get<int>(), 40);
  EXPECT_NE(r.out.find(std::to_string(ex["points_simulated"].get<int>()) + " of 40 points simulated"),
            std::string::npos)
      << r.out;

  std::optional<json> best;
  std::string best_device;
  for (const char* dev : {"zcu102", "alveo-u250"}) {
    const std::string out = d + "/sweep-" + dev;
    // The same space, spelled as sweep keys.
    const auto s = run_prunesim(
        "sweep --out " + out + " --config " + device(dev) + " --set workload.weights=" + d +
        "/m.safetensors --set workload.hf_config=" + d +
        "/config.json --set workload.seq=16 --set workload.token_layers= --set workload.fidelity_inputs=16 "
        "--grid workload.prune=all=block:4x4:0.2,all=block:4x4:0.4,all=block:4x4:0.6,all=block:4x4:0.8,"
        "all=block:4x4:1 --grid workload.quant=int8,int16 --grid pe.rows=8,16 --set pe.cols=16 -j 2");
    ASSERT_EQ(s.status, 0) << s.err;
    for (const json& p : jsonl(out + "/results.jsonl")) {
      ASSERT_EQ(p["status"], "ok") << p.dump();
      const json& m = p["metrics"];
      if (m["latency_ms"].get<double>() > lc || m["fidelity_rel_error"].get<double>() > ac) continue;
      if (!best || m["energy_mj"].get<double>() < (*best)["energy_mj"].get<double>()) {
        best = m;
        best_device = dev;
      }
    }
  }
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(ex["answer"]["device"], best_device);
  EXPECT_DOUBLE_EQ(ex["answer"]["energy_mj"].get<double>(), (*best)["energy_mj"].get<double>());
  EXPECT_DOUBLE_EQ(ex["answer"]["latency_ms"].get<double>(), (*best)["latency_ms"].get<double>());
  EXPECT_DOUBLE_EQ(ex["answer"]["fidelity"]["rel_error"].get<double>(),
                   (*best)["fidelity_rel_error"].get<double>());
  // Every device has a row: its best point, the constraint that binds it and its Pareto front.
  ASSERT_EQ(ex["devices"].size(), 2u);
  for (const json& dev : ex["devices"]) {
    EXPECT_TRUE(dev["best"].is_object()) << dev.dump();
    EXPECT_FALSE(dev["pareto"].empty());
    EXPECT_FALSE(dev["binding"].get<std::string>().empty());
  }
  // --exhaustive simulates the whole product and agrees.
  const auto e = run_prunesim(
      "explore --exhaustive --out " + d + "/exh " + model + " --devices " + device("zcu102") + "," +
      device("alveo-u250") +
      " --prune-grid 'all=block:4x4:{0.2:1:0.2}' --quant-grid int8,int16 --design-grid pe.rows=8,16 "
      "--design-grid pe.cols=16 --latency-ms 0.02 --accuracy 'rel_error<=0.23' -j 2");
  ASSERT_EQ(e.status, 0) << e.err;
  const json exh = json::parse(prunesim::test::read_file(d + "/exh/explore.json"));
  EXPECT_EQ(exh["points_simulated"], 40);
  EXPECT_EQ(exh["answer"], ex["answer"]);
}

// TinyBERT-4's shape (4 layers, hidden 312, 12 heads, MLP 1200) with seeded real weights, on every shipped
// device, under an LC and an AC.
TEST(Explore, TinyBert4OnTheShippedDevicesReturnsADeviceDesignAndRecipe) {
  const std::string d = prunesim::test::temp_dir();
  prunesim::test::write_tiny_bert(d, 4, 312, 12, 1200);
  const auto r =
      run_prunesim("explore --out " + d + "/ex --weights " + d + "/m.safetensors --hf-config " + d +
                   "/config.json --seq 32 --tokens none --prune-grid 'all=block:4x4:{0.25,0.5,0.75,1}' "
                   "--latency-ms 1 --accuracy 'rel_error<=0.5' -j 2");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json ex = json::parse(prunesim::test::read_file(d + "/ex/explore.json"));
  ASSERT_EQ(ex["devices"].size(), 5u);  // alveo-u200, -u250, -u280, de1-soc, zcu102
  for (const char* dev : {"alveo-u200", "alveo-u250", "alveo-u280", "de1-soc", "zcu102"})
    EXPECT_NE(r.out.find(dev), std::string::npos) << dev << "\n" << r.out;
  const json& a = ex["answer"];
  EXPECT_LE(a["latency_ms"].get<double>(), 1.0);
  EXPECT_LE(a["fidelity"]["rel_error"].get<double>(), 0.5);
  EXPECT_FALSE(a["design"].get<std::string>().empty());
  EXPECT_NE(a["recipe"].get<std::string>().find("all=block:4x4:"), std::string::npos);
  EXPECT_NE(r.out.find("answer: " + a["device"].get<std::string>()), std::string::npos) << r.out;
}

TEST(Explore, DeitSmallUnderALatencyConstraintPicksTheSparsestRecipeThatFits) {
  // Without weights there is no AC; every objective then prefers the sparsest density of the family.
  const std::string d = prunesim::test::temp_dir();
  const auto r = run_prunesim("explore --out " + d +
                              "/ex --model deit-small --latency-ms 4 "
                              "--prune-grid 'all=block:16x16:{0.3,0.5,0.7}' -j 2");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const json ex = json::parse(prunesim::test::read_file(d + "/ex/explore.json"));
  EXPECT_EQ(ex["answer"]["recipe"], "prune=all=block:16x16:0.3");
  EXPECT_LE(ex["answer"]["latency_ms"].get<double>(), 4.0);
  EXPECT_FALSE(ex["answer"].contains("fidelity"));
}

TEST(Explore, AnImpossibleLatencyExitsThreeNamingItWithTheClosestPoints) {
  const std::string d = prunesim::test::temp_dir();
  const std::string model = tiny_model(d);
  const auto r = run_prunesim("explore --out " + d + "/ex " + model + " --devices " + device("zcu102") +
                              " --prune-grid 'all=block:4x4:{0.2:1:0.2}' --latency-ms 0.0001 "
                              "--accuracy 'rel_error<=0.23'");
  EXPECT_EQ(r.status, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("no design meets the latency constraint 0.0001 ms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("closest: zcu102"), std::string::npos) << r.out;
  const json ex = json::parse(prunesim::test::read_file(d + "/ex/explore.json"));
  EXPECT_TRUE(ex["answer"].is_null());
  EXPECT_EQ(ex["tightest_constraint"], "latency");
  EXPECT_FALSE(ex["closest"].empty());
  // The closest points do meet AC.
  for (const json& p : ex["closest"]) EXPECT_LE(p["fidelity"]["rel_error"].get<double>(), 0.23);
  // An accuracy no recipe reaches names the accuracy.
  const auto a = run_prunesim("explore --out " + d + "/ac " + model + " --devices " + device("zcu102") +
                              " --prune-grid 'all=block:4x4:{0.2,0.4}' --accuracy 'rel_error<=0.01'");
  EXPECT_EQ(a.status, 3) << a.out << a.err;
  EXPECT_NE(a.out.find("no recipe meets the accuracy constraint rel_error<=0.01"), std::string::npos)
      << a.out;
}

TEST(Explore, AccuracyWithoutWeightsAndBadOptionsExitTwo) {
  const std::string d = prunesim::test::temp_dir();
  auto r = run_prunesim("explore --out " + d + "/a --model deit-small --accuracy 'top1>=0.9'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--accuracy needs real weights"), std::string::npos) << r.err;
  r = run_prunesim("explore --out " + d + "/b --model deit-small --prune-grid 'all=block:16x16:{0.5,1.5}'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("density '1.5' is not in (0, 1]"), std::string::npos) << r.err;
  r = run_prunesim("explore --out " + d + "/c --model deit-small --objective speed");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--objective 'speed'"), std::string::npos) << r.err;
  r = run_prunesim("explore --out " + d + "/d --model deit-small --accuracy 'top1>0.9'");
  EXPECT_EQ(r.status, 2);
  r = run_prunesim("explore --out " + d + "/e --model deit-small --prune-grid 'all=blocky:{0.5}'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("workload.prune"), std::string::npos) << r.err;
}

TEST(Explore, ResumeSimulatesNothingTwice) {
  const std::string d = prunesim::test::temp_dir();
  const std::string args = "explore --out " + d + "/ex --model tinybert-4 --seq 32 --devices " +
                           device("zcu102") + " --prune-grid 'all=block:16x16:{0.25,0.5}' --latency-ms 5";
  const auto first = run_prunesim(args);
  ASSERT_EQ(first.status, 0) << first.err;
  const std::string answer = json::parse(prunesim::test::read_file(d + "/ex/explore.json"))["answer"].dump();
  const auto again = run_prunesim(args + " --resume");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("explore: 0 of"), std::string::npos) << again.out;
  EXPECT_EQ(json::parse(prunesim::test::read_file(d + "/ex/explore.json"))["answer"].dump(), answer);
}

TEST(Explore, AnExploreFileSaysWhatTheFlagsSayAndBadLinesNameTheLine) {
  const std::string d = prunesim::test::temp_dir();
  prunesim::test::write_file(d + "/space.txt",
                             "# DeiT-Small on two devices\n"
                             "device " +
                                 device("zcu102") +
                                 "\n"
                                 "device " +
                                 device("alveo-u250") +
                                 "\n"
                                 "set workload.model=deit-small\n"
                                 "latency-ms 4\n"
                                 "prune-grid all=block:16x16:{0.3,0.5}\n"
                                 "quant-grid int8,int16\n"
                                 "objective dsp\n");
  const auto f = run_prunesim("explore --out " + d + "/f --explore-file " + d + "/space.txt");
  ASSERT_EQ(f.status, 0) << f.err;
  const auto g =
      run_prunesim("explore --out " + d + "/g --model deit-small --devices " + device("zcu102") + "," +
                   device("alveo-u250") +
                   " --latency-ms 4 --prune-grid 'all=block:16x16:{0.3,0.5}' --quant-grid int8,int16 "
                   "--objective dsp");
  ASSERT_EQ(g.status, 0) << g.err;
  const json a = json::parse(prunesim::test::read_file(d + "/f/explore.json"));
  const json b = json::parse(prunesim::test::read_file(d + "/g/explore.json"));
  EXPECT_EQ(a["answer"], b["answer"]);
  EXPECT_EQ(a["points_total"], 2 * 3 * 2 * 2);
  // A flag overrides the file's single value.
  const auto o =
      run_prunesim("explore --out " + d + "/o --explore-file " + d + "/space.txt --latency-ms 1e-6");
  EXPECT_EQ(o.status, 3) << o.out;
  prunesim::test::write_file(d + "/bad.txt", "latency-ms 4\nlatency 3\n");
  const auto bad = run_prunesim("explore --out " + d + "/x --explore-file " + d + "/bad.txt");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find(d + "/bad.txt:2: unknown key 'latency'"), std::string::npos) << bad.err;
}

TEST(Explore, CostNeedsAPriceForEveryDeviceAndPicksTheCheapestThatMeetsTheConstraints) {
  const std::string d = prunesim::test::temp_dir();
  auto priced = [&](const char* name, const char* price) {
    std::string text = prunesim::test::read_file(device(name));
    const size_t at = text.find("price_usd = 0");
    EXPECT_NE(at, std::string::npos);
    text.replace(at, 13, std::string("price_usd = ") + price);
    prunesim::test::write_file(d + "/" + name + ".ini", text);
    return d + "/" + name + ".ini";
  };
  const std::string devices = " --devices " + priced("zcu102", "2500") + "," + priced("alveo-u250", "9000");
  const std::string space = " --model deit-small --prune-grid 'all=block:16x16:{0.3,0.5}' --objective cost";
  auto answer = [&](const std::string& lc, int expect_status = 0) {
    const auto r = run_prunesim("explore --out " + d + "/ex" + lc + devices + space + " --latency-ms " + lc);
    EXPECT_EQ(r.status, expect_status) << r.out << r.err;
    return json::parse(prunesim::test::read_file(d + "/ex" + lc + "/explore.json"))["answer"];
  };
  EXPECT_EQ(answer("8")["device"], "zcu102");      // both meet 8 ms: the cheaper card
  EXPECT_EQ(answer("3")["device"], "alveo-u250");  // only the U250 meets 3 ms
  const auto r = run_prunesim("explore --out " + d + "/np --devices " + device("zcu102") + space);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--objective cost needs device.price_usd"), std::string::npos) << r.err;
}
