// The built prunesim binary, as users run it.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "prunesim/sim/run_progress.h"
#include "prunesim/workloads/model_zoo.h"
#include "prunesim/workloads/rng.h"
#include "prunesim/workloads/safetensors.h"
#include "test_util.h"
#include "tiny_models.h"

using nlohmann::json;
using prunesim::test::run_prunesim;

namespace {
std::string tmp() {
  return prunesim::test::temp_dir();
}
}  // namespace

TEST(Cli, DefaultRunExitsZeroAndItsJsonHasTheDocumentedKeys) {
  const std::string d = tmp();
  const auto r = run_prunesim("run --json " + d + "/r.json --csv " + d + "/r.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("latency"), std::string::npos);
  EXPECT_EQ(r.out.find("SystemC"), std::string::npos);  // banner silenced
  const json j = json::parse(prunesim::test::read_file(d + "/r.json"));
  for (const char* k : {"prunesim_version", "config", "workload", "latency", "energy", "traffic", "compute",
                        "resources", "ops"})
    EXPECT_TRUE(j.contains(k)) << k;
  for (const char* k : {"model", "trace", "trace_sha256"}) EXPECT_TRUE(j["workload"].contains(k)) << k;
  for (const char* k : {"cycles", "ms", "clock_mhz"}) EXPECT_TRUE(j["latency"].contains(k)) << k;
  for (const char* k : {"total_mj", "breakdown_mj"}) EXPECT_TRUE(j["energy"].contains(k)) << k;
  for (const char* k : {"ddr_read_bytes", "ddr_write_bytes", "onchip_read_bytes", "onchip_write_bytes"})
    EXPECT_TRUE(j["traffic"].contains(k)) << k;
  for (const char* k : {"macs", "dense_macs", "utilization"}) EXPECT_TRUE(j["compute"].contains(k)) << k;
  for (const char* k : {"dsp", "bram36", "uram", "fits"}) EXPECT_TRUE(j["resources"].contains(k)) << k;
  EXPECT_EQ(j["workload"]["trace_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["config"]["pe.rows"], "64");
  ASSERT_GT(j["ops"].size(), 100u);
  for (const char* k :
       {"layer", "name", "kind", "start_cycle", "cycles", "macs", "ddr_bytes", "stall_cycles"})
    EXPECT_TRUE(j["ops"][0].contains(k)) << k;
  // CSV: a header and one row per op.
  const std::string csv = prunesim::test::read_file(d + "/r.csv");
  EXPECT_EQ(size_t(std::count(csv.begin(), csv.end(), '\n')), j["ops"].size() + 1);
  std::istringstream rows(csv);
  std::string header, row;
  std::getline(rows, header);
  const auto fields = std::count(header.begin(), header.end(), ',');
  while (std::getline(rows, row)) ASSERT_EQ(std::count(row.begin(), row.end(), ','), fields) << row;
}

TEST(Cli, TwoRunsGiveByteIdenticalJsonAndCsv) {
  const std::string d = tmp();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/a.json --csv " + d + "/a.csv").status, 0);
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/b.json --csv " + d + "/b.csv").status, 0);
  // The reports differ only in the command line each records (it names its own output files).
  auto without_command = [](std::string text) {
    const size_t at = text.find("  \"command_line\": ");
    return at == std::string::npos ? text : text.erase(at, text.find('\n', at) + 1 - at);
  };
  const std::string a = prunesim::test::read_file(d + "/a.json");
  EXPECT_NE(a.find("\"command_line\": \"prunesim run -q --json " + d + "/a.json --csv " + d + "/a.csv\""),
            std::string::npos);
  EXPECT_EQ(without_command(a), without_command(prunesim::test::read_file(d + "/b.json")));
  EXPECT_EQ(prunesim::test::read_file(d + "/a.csv"), prunesim::test::read_file(d + "/b.csv"));
}

// A run with no per-op report (no --json, no --csv) keeps only the rollups, not every op's stats: its report
// is the same as a run that keeps them all, for a decoder (generated decode steps) and a pruned encoder.
TEST(Cli, TheReportIsTheSameWhetherTheRunKeepsEveryOpsStatsOrOnlyTheRollups) {
  const std::string d = tmp();
  for (const std::string args : {"--model gpt2 --seq 16 --decode 24 --set workload.layers=2",
                                 "--model bert-base --prune all=block:16x16:0.5 --set tiling.spill=always"}) {
    const auto rollups_only = run_prunesim("run " + args);
    const auto every_op = run_prunesim("run " + args + " --csv " + d + "/ops.csv");
    ASSERT_EQ(rollups_only.status, 0) << rollups_only.err;
    ASSERT_EQ(every_op.status, 0) << every_op.err;
    EXPECT_NE(rollups_only.out.find("per layer"), std::string::npos) << rollups_only.out;
    EXPECT_EQ(rollups_only.out, every_op.out) << args;
  }
}

// The report's DRAM timeline (timeline.h) holds every byte the DRAM moved exactly once, over intervals that
// cover the run; a given interval is kept.
TEST(Cli, TheDramTimelineSumsToTheRunsTrafficAndCoversItsLatency) {
  const std::string d = tmp();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/a.json").status, 0);
  ASSERT_EQ(run_prunesim("run -q --timeline-us 50 --json " + d + "/b.json").status, 0);
  for (const char* f : {"/a.json", "/b.json"}) {
    const json r = json::parse(prunesim::test::read_file(d + f));
    const json& t = r["timeline"];
    double reads = 0, writes = 0;
    for (const auto& v : t["ddr_read_bytes"]) reads += v.get<double>();
    for (const auto& v : t["ddr_write_bytes"]) writes += v.get<double>();
    EXPECT_NEAR(reads, r["traffic"]["ddr_read_bytes"].get<double>(),
                1e-3 * double(t["ddr_read_bytes"].size()));
    EXPECT_NEAR(writes, r["traffic"]["ddr_write_bytes"].get<double>(),
                1e-3 * double(t["ddr_write_bytes"].size()));
    const double span_us = double(t["ddr_read_bytes"].size()) * t["interval_us"].get<double>();
    EXPECT_GE(span_us + t["interval_us"].get<double>(), r["latency"]["ms"].get<double>() * 1e3 * 0.9) << f;
    EXPECT_LE(t["ddr_read_bytes"].size(), 1000u);
    // The weight buffer never holds more than its slots, and holds something while weights stream.
    double held = 0;
    for (const auto& v : t["weight_buffer_bytes_max"]) {
      EXPECT_LE(v.get<double>(), t["weight_buffer_capacity_bytes"].get<double>()) << f;
      held = std::max(held, v.get<double>());
    }
    EXPECT_GT(held, 0) << f;
    // No interval moves more than the DRAM's peak allows (4 channels x 19.2 GB/s here).
    for (const auto& v : t["ddr_read_bytes"])
      EXPECT_LE(v.get<double>(), 4 * 19.2e3 * t["interval_us"].get<double>() * 1.0001) << f;
  }
  EXPECT_EQ(json::parse(prunesim::test::read_file(d + "/b.json"))["timeline"]["interval_us"], 50.0);
  EXPECT_EQ(run_prunesim("run -q --timeline-us -1").status, 2);
}

TEST(Cli, SetOverrideChangesTheResolvedConfigAndTheResult) {
  const std::string d = tmp();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/a.json").status, 0);
  ASSERT_EQ(run_prunesim("run -q --set pe.rows=32 --json " + d + "/b.json").status, 0);
  const json a = json::parse(prunesim::test::read_file(d + "/a.json"));
  const json b = json::parse(prunesim::test::read_file(d + "/b.json"));
  EXPECT_EQ(b["config"]["pe.rows"], "32");
  EXPECT_NE(a["latency"]["cycles"], b["latency"]["cycles"]);
  EXPECT_EQ(a["compute"]["macs"], b["compute"]["macs"]);  // same work, different hardware
}

TEST(Cli, BadInputExitsTwoNamingTheCulprit) {
  auto r = run_prunesim("run -q --set pe.rows=0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("pe.rows"), std::string::npos) << r.err;
  r = run_prunesim("run -q --set nosuch.key=1");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("nosuch.key"), std::string::npos) << r.err;
  r = run_prunesim("run -q --config /nonexistent/design.ini");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("/nonexistent/design.ini"), std::string::npos) << r.err;
  r = run_prunesim("run -q --model resnet50");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("known models"), std::string::npos) << r.err;
  r = run_prunesim("run -q --model gpt2 --seq 8 --tokens 3");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("token pruning needs a class token"), std::string::npos) << r.err;
  r = run_prunesim("frobnicate");
  EXPECT_EQ(r.status, 2);
  r = run_prunesim("run --no-such-flag");
  EXPECT_EQ(r.status, 2);
}

TEST(Cli, ADesignThatDoesNotFitExitsTwoListingEveryOverflowAndWritesNoReport) {
  // The keys the user sets are not fitted: a 128 x 128 array and a 4 MiB activation buffer on a ZCU102
  // (2,520 DSPs, 912 BRAM36, no URAM) overflow the DSPs and the BRAM, and the error names both.
  const std::string d = tmp();
  const auto r = run_prunesim("run -q --config " + prunesim::test::source_path("configs/devices/zcu102.ini") +
                              " --set pe.rows=128 --set pe.cols=128 --set buffer.act.bytes=4194304 --json " +
                              d + "/r.json");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("does not fit"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("DSP: design needs 8192, device has 2520"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("BRAM36: design needs"), std::string::npos) << r.err;
  // And it says what would fit: the array the fit rule gives the ZCU102 (design_fit.h: 32 x 64).
  EXPECT_NE(r.err.find("the nearest array the fit rule gives this device is 32x64"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("leave the buffer.* keys unset"), std::string::npos) << r.err;
  EXPECT_FALSE(prunesim::test::file_exists(d + "/r.json"));
}

TEST(Cli, EveryShippedDeviceRunsTheDefaultModelWithNoOverlay) {
  const std::string d = tmp();
  for (const char* dev : {"alveo-u250", "alveo-u280", "alveo-u200", "zcu102", "de1-soc"}) {
    const std::string path = prunesim::test::source_path(std::string("configs/devices/") + dev + ".ini");
    const auto r = run_prunesim("run -q --config " + path + " --json " + d + "/" + dev + ".json");
    ASSERT_EQ(r.status, 0) << dev << ": " << r.err;
    const json j = json::parse(prunesim::test::read_file(d + "/" + dev + ".json"));
    EXPECT_TRUE(j["resources"]["fits"].get<bool>()) << dev;
    EXPECT_GT(j["latency"]["cycles"].get<uint64_t>(), 0u) << dev;
    // The report says which keys were fitted and to what.
    EXPECT_EQ(j["fitted_to_device"]["pe.rows"], j["config"]["pe.rows"]) << dev;
  }
  // The text report names what the fit changed from the built-in design.
  const auto z = run_prunesim("run --config " + prunesim::test::source_path("configs/devices/zcu102.ini"));
  EXPECT_NE(z.out.find("fitted to the device (keys left unset): pe.rows=32, buffer.act.kind=bram"),
            std::string::npos)
      << z.out;
}

TEST(Cli, TokenPruningDefaultsToEvitForVisionModelsOnly) {
  const std::string d = tmp();
  ASSERT_EQ(
      run_prunesim("run -q --model gpt2 --seq 8 --set workload.layers=2 --json " + d + "/g.json").status, 0);
  ASSERT_EQ(run_prunesim("run -q --model deit-tiny --set workload.layers=7 --json " + d + "/v.json").status,
            0);
  const json g = json::parse(prunesim::test::read_file(d + "/g.json"));
  const json v = json::parse(prunesim::test::read_file(d + "/v.json"));
  EXPECT_EQ(g["workload"]["header"]["token_policy"], "none");
  EXPECT_EQ(v["workload"]["header"]["token_policy"].get<std::string>().rfind("evit layers=3,6 ", 0), 0u);
}

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(run_prunesim("--version").status, 0);
  for (const char* c : {"run", "compress", "inspect", "ddr"}) {
    const auto r = run_prunesim(std::string(c) + " --help");
    EXPECT_EQ(r.status, 0) << c;
    EXPECT_NE(r.out.find("Options"), std::string::npos) << c;
  }
  const auto keys = run_prunesim("run --help-config");
  EXPECT_NE(keys.out.find("ddr.tFAW"), std::string::npos);
}

TEST(Cli, CompressWritesATraceThatRunAndInspectRead) {
  const std::string d = tmp();
  auto r = run_prunesim(
      "compress --model bert-base --seq 64 --prune all=rowbalanced:16x16:0.25 --tokens none -o " + d +
      "/bert.trace --stats");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("parameters kept"), std::string::npos);
  r = run_prunesim("inspect " + d + "/bert.trace");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("bert-base"), std::string::npos);
  r = run_prunesim("run -q --trace " + d + "/bert.trace --json " + d + "/bert.json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(prunesim::test::read_file(d + "/bert.json"));
  EXPECT_EQ(j["workload"]["model"], "bert-base");
  // A corrupt trace names file and line; no output is written.
  prunesim::test::write_file(d + "/bad.trace", "prunesim-trace 1\nop id=0 layer=0 kind=warp name=x\neof\n");
  r = run_prunesim("run -q --trace " + d + "/bad.trace --json " + d + "/bad.json");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(d + "/bad.trace:2: unknown op kind 'warp'"), std::string::npos) << r.err;
  EXPECT_FALSE(prunesim::test::file_exists(d + "/bad.json"));
  // Bad densities leave no half-written trace.
  r = run_prunesim("compress --prune all=block:16x16:1.5 -o " + d + "/x.trace");
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(prunesim::test::file_exists(d + "/x.trace"));
}

TEST(Cli, CompressFromRealWeightsRecordsFidelityAndBadFilesExitTwo) {
  const std::string d = tmp();
  prunesim::test::write_tiny_bert(d);  // one layer, hidden 16
  auto r = run_prunesim("compress --weights " + d + "/m.safetensors --hf-config " + d +
                        "/config.json --seq 12 --prune all=block:4x4:0.5 --tokens none -o " + d + "/m.trace");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string trace = prunesim::test::read_file(d + "/m.trace");
  EXPECT_NE(trace.find("header fidelity_rel_error"), std::string::npos);
  EXPECT_NE(trace.find("header source weights:"), std::string::npos);
  r = run_prunesim("run -q --trace " + d + "/m.trace");
  EXPECT_EQ(r.status, 0) << r.err;
  // A truncated weights file exits 2 naming it, and leaves no trace behind.
  const std::string bytes = prunesim::test::read_file(d + "/m.safetensors");
  prunesim::test::write_file(d + "/cut.safetensors", bytes.substr(0, bytes.size() / 2));
  r = run_prunesim("compress --weights " + d + "/cut.safetensors --hf-config " + d + "/config.json -o " + d +
                   "/cut.trace");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("cut.safetensors"), std::string::npos) << r.err;
  EXPECT_FALSE(prunesim::test::file_exists(d + "/cut.trace"));
  r = run_prunesim("compress --weights " + d + "/m.safetensors -o " + d + "/x.trace");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("hf_config"), std::string::npos) << r.err;
}

TEST(Cli, DdrCommandReportsBandwidthLatencyAndRowHits) {
  const std::string d = tmp();
  std::string req = "# sequential reads\n";
  char line[64];
  for (int i = 0; i < 2000; ++i) {
    std::snprintf(line, sizeof line, "0 R 0x%x\n", i * 64);
    req += line;
  }
  prunesim::test::write_file(d + "/seq.txt", req);
  const auto r =
      run_prunesim("ddr --set ddr.channels=1 --requests " + d + "/seq.txt --json " + d + "/ddr.json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(prunesim::test::read_file(d + "/ddr.json"));
  for (const char* k : {"requests", "reads", "writes", "end_ns", "bandwidth_gbps", "read_latency_ns",
                        "row_hit_rate", "activates", "refreshes"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["requests"], 2000);
  EXPECT_GT(j["bandwidth_gbps"].get<double>(), 15.0);
  EXPECT_LE(j["bandwidth_gbps"].get<double>(), 19.2);
  prunesim::test::write_file(d + "/bad.txt", "0 R 0x40\n0 Q 0x80\n");
  const auto bad = run_prunesim("ddr --requests " + d + "/bad.txt");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find(d + "/bad.txt:2"), std::string::npos) << bad.err;
}

// Huge requests are served as they are fed (#21: 100 x 1 GiB arriving together queued 1 GB of runs and ran
// for minutes). 16 GiB in 16 requests at time 0 runs at the bus limit in small, flat memory.
TEST(Cli, DdrServesHugeRequestsInBoundedMemory) {
  const std::string d = tmp();
#ifdef PRUNESIM_ASAN
  const int n = 2;  // ASan's shadow memory makes RSS meaningless and the run 10x slower
#else
  const int n = 16;
#endif
  std::string req;
  char line[64];
  for (int i = 0; i < n; ++i) {
    std::snprintf(line, sizeof line, "0 R 0x%x 1073741824\n", (i % 8) << 30);
    req += line;
  }
  prunesim::test::write_file(d + "/huge.txt", req);
  const auto r = run_prunesim("ddr --requests " + d + "/huge.txt --json " + d + "/ddr.json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(prunesim::test::read_file(d + "/ddr.json"));
  EXPECT_EQ(j["bytes"].get<uint64_t>(), uint64_t(n) << 30);
  // Four DDR4-2400 channels peak at 76.8 GB/s; long sequential reads lose only refresh and row switches.
  EXPECT_GT(j["bandwidth_gbps"].get<double>(), 70.0);
  EXPECT_LE(j["bandwidth_gbps"].get<double>(), 76.8);
#ifndef PRUNESIM_ASAN
  struct rusage ru {};
  ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
  EXPECT_LT(ru.ru_maxrss, 64 * 1024) << "KiB";  // was 1 GB at 100 GiB, growing with the bytes requested
#endif
}

TEST(Cli, HlsExportWritesAProjectWhoseTestbenchesBuildAndPass) {
  // Builds kernel k's exported top and testbench in project dir with g++ and runs it (0: PASS).
  auto build_and_run = [](const std::string& dir, const std::string& k) {
    const std::string cmd = "cd " + dir + " && g++ -std=c++14 -O1 -w -Iinclude " + k + "/" + k + "_top.cpp " +
                            k + "/" + k + "_tb.cpp -o " + k + ".bin && ./" + k + ".bin >/dev/null";
    return std::system(cmd.c_str());
  };
  for (const char* quant : {"int8", "fp32"}) {
    const std::string d = tmp() + "/hls";
    const auto r = run_prunesim(std::string("hls export --out ") + d + " --quant " + quant +
                                " --set pe.rows=32 --set clock.mhz=250 --config " +
                                prunesim::test::source_path("configs/devices/alveo-u280.ini"));
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string design = prunesim::test::read_file(d + "/design.h");
    EXPECT_NE(design.find("R = 32, Cc = 64"), std::string::npos) << design;
    EXPECT_NE(design.find(std::string("PRUNESIM_HLS_NUMBER ") + (quant == std::string("int8") ? "1" : "0")),
              std::string::npos);
    EXPECT_NE(design.find("BH = 16, BW = 16"), std::string::npos);
    EXPECT_NE(design.find("kTopkN = 256"), std::string::npos);
    const std::string tcl = prunesim::test::read_file(d + "/gemm_sparse/run_hls.tcl");
    EXPECT_NE(tcl.find("set_part xcu280-fsvh2892-2L-e"), std::string::npos) << tcl;
    EXPECT_NE(tcl.find("create_clock -period 4 "), std::string::npos) << tcl;
    // Golden vectors come from the functional run: the README and each golden.h name the op.
    const std::string readme = prunesim::test::read_file(d + "/README.md");
    EXPECT_NE(readme.find("`gemm_sparse/`: attn.qkv (layer 0)"), std::string::npos) << readme;
    EXPECT_NE(readme.find("`topk/`: evit.topk (layer 3)"), std::string::npos) << readme;
    const bool ints = quant == std::string("int8");
    // int8 designs export the integer softmax and layernorm (their own kernels, exact compare).
    const std::string softmax_k = ints ? "softmax_int" : "softmax",
                      layernorm_k = ints ? "layernorm_int" : "layernorm";
    const std::string softmax = prunesim::test::read_file(d + "/" + softmax_k + "/golden.h");
    EXPECT_EQ(softmax.find("kTable") != std::string::npos, ints);
    for (const std::string& k :
         {std::string("gemm_dense"), std::string("gemm_sparse"), softmax_k, layernorm_k, std::string("topk")})
      EXPECT_EQ(build_and_run(d, k), 0) << k << " (" << quant << ")";
    // The tops and testbenches are the checked-in files, byte for byte (only design.h and golden.h are
    // written).
    EXPECT_EQ(prunesim::test::read_file(d + "/gemm_sparse/gemm_sparse_top.cpp"),
              prunesim::test::read_file(
                  prunesim::test::source_path("hls/kernels/gemm_sparse/gemm_sparse_top.cpp")));
    EXPECT_EQ(prunesim::test::read_file(d + "/topk/topk_tb.cpp"),
              prunesim::test::read_file(prunesim::test::source_path("hls/kernels/topk/topk_golden_tb.cpp")));
    // A testbench fails when its golden output is wrong: change the first expected layernorm value.
    std::string golden = prunesim::test::read_file(d + "/" + layernorm_k + "/golden.h");
    const size_t at = golden.find("kOut[");
    ASSERT_NE(at, std::string::npos);
    const size_t first = golden.find("\n  ", at) + 3;
    golden.insert(first, ints ? "1 + " : "0.5f + ");
    prunesim::test::write_file(d + "/" + layernorm_k + "/golden.h", golden);
    EXPECT_NE(build_and_run(d, layernorm_k), 0) << quant;
  }
  // A GRU design exports its gate GEMM and the element-wise GRU step, golden vectors from step 1.
  const std::string g = tmp() + "/gru";
  const auto r = run_prunesim("hls export --model gru --seq 4 --out " + g);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(prunesim::test::read_file(g + "/README.md")
                .find("`gru_cell_int/`: gru.gates_rz, gru.candidate, gru.update (layer 0, step 1)"),
            std::string::npos);
  for (const char* k : {"gemm_sparse", "gru_cell_int"}) EXPECT_EQ(build_and_run(g, k), 0) << k;
  // A model with RMSNorm layers exports the RMSNorm kernel (float: the int8 datapath has none).
  const std::string rn = tmp() + "/rms";
  const auto rr = run_prunesim(
      "hls export --model deit-tiny --set workload.layers=4 --set workload.norm=rmsnorm --out " + rn);
  ASSERT_EQ(rr.status, 0) << rr.err;
  EXPECT_NE(prunesim::test::read_file(rn + "/README.md").find("`rmsnorm/`: ln1 (layer 0)"),
            std::string::npos);
  EXPECT_EQ(build_and_run(rn, "rmsnorm"), 0);
  // The float GRU design exports the float element-wise step (gru_cell's gru_step_top).
  const std::string gf = tmp() + "/gru_float";
  ASSERT_EQ(run_prunesim("hls export --model gru --seq 4 --quant fp32 --out " + gf).status, 0);
  EXPECT_EQ(build_and_run(gf, "gru_cell"), 0);
  EXPECT_EQ(run_prunesim("hls export").status, 2);
  EXPECT_EQ(run_prunesim("hls frobnicate --out /tmp/x").status, 2);
}

TEST(Cli, FunctionalModeChecksTheDataAndLeavesTheTimingAlone) {
  const std::string d = tmp();
  json f;
  for (const std::string args :
       {" --model deit-tiny --set workload.layers=3 --tokens 1 --keep 0.5 ",
        " --model gpt2 --seq 8 --decode 3 --set workload.layers=1 ", " --model gru --seq 5 --batch 2 "}) {
    auto r = run_prunesim("run -q" + args + "--set sim.functional=true --json " + d + "/f.json");
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_prunesim("run -q" + args + "--json " + d + "/t.json");
    ASSERT_EQ(r.status, 0) << r.err;
    f = json::parse(prunesim::test::read_file(d + "/f.json"));
    const json t = json::parse(prunesim::test::read_file(d + "/t.json"));
    EXPECT_TRUE(f["functional"]["pass"].get<bool>()) << args;
    EXPECT_FALSE(t.contains("functional"));
    for (const char* k : {"latency", "energy", "traffic", "compute", "ops"})
      EXPECT_EQ(f[k], t[k]) << k << args;
    EXPECT_EQ(f["functional"]["numbers"], "int8") << args;  // int8 traces: auto picks the integer datapath
    EXPECT_EQ(f["functional"]["mismatches"], 0) << args;
    EXPECT_EQ(f["functional"]["weights"], "seeded");
  }
  auto r = run_prunesim("run -q --model deit-tiny --set workload.layers=1 --set sim.functional=true");
  ASSERT_EQ(r.status, 0) << r.err;
  // Decoders (prefill + decode through the KV cache) and GRUs run too; the text report says what was checked.
  r = run_prunesim("run --model gpt2 --seq 8 --decode 2 --set workload.layers=1 --set sim.functional=true");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("functional PASS: int8 kernels"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 of 7680 values differ"), std::string::npos) << r.out;  // (8 + 2) tokens x 768
  r = run_prunesim("run --model gru --seq 4 --set sim.functional=true --set sim.functional_numbers=float");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("functional PASS: float kernels"), std::string::npos) << r.out;
  // int8 asked of a trace it cannot run.
  r = run_prunesim(
      "run -q --model deit-tiny --quant fp16 --set workload.layers=1 --set sim.functional=true "
      "--set sim.functional_numbers=int8");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("needs integer weights of at most 8 bits"), std::string::npos) << r.err;
  // RMSNorm layers run through their own kernel on the float datapath (auto picks it: int8 has no RMSNorm).
  r = run_prunesim(
      "run --model gpt2 --seq 8 --decode 2 --set workload.layers=2 --set workload.norm=rmsnorm "
      "--set sim.functional=true");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("functional PASS: float kernels"), std::string::npos) << r.out;
  r = run_prunesim(
      "run -q --model gpt2 --seq 8 --set workload.layers=1 --set workload.norm=rmsnorm "
      "--set sim.functional=true --set sim.functional_numbers=int8");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("RMSNorm layers"), std::string::npos) << r.err;
}

TEST(Cli, CompressWritesWeightsTheTraceNamesAndFunctionalRunsUseThem) {
  const std::string d = tmp();
  ASSERT_EQ(std::system(("mkdir -p " + d + "/w").c_str()), 0);
  auto r = run_prunesim("compress --model deit-tiny --set workload.layers=2 --tokens 1 --keep 0.5 -o " + d +
                        "/t.trace --write-weights " + d + "/w/t.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(prunesim::test::read_file(d + "/t.trace").find("header weights_file w/t.safetensors\n"),
            std::string::npos);
  r = run_prunesim("run -q --trace " + d + "/t.trace --set sim.functional=true --json " + d + "/r.json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(prunesim::test::read_file(d + "/r.json"));
  EXPECT_EQ(j["functional"]["weights"], d + "/w/t.safetensors");
  EXPECT_TRUE(j["functional"]["pass"].get<bool>());
  // Weights of another trace are refused, naming the file and the tensor.
  ASSERT_EQ(
      run_prunesim("compress --model deit-tiny --set workload.layers=2 --tokens 1 --keep 0.5 --seed 9 -o " +
                   d + "/u.trace --write-weights " + d + "/w/t.safetensors")
          .status,
      0);
  r = run_prunesim("run -q --trace " + d + "/t.trace --set sim.functional=true");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(d + "/w/t.safetensors: tensor 'L0.qkv' is not zero"), std::string::npos) << r.err;
  r = run_prunesim("compress --model deit-tiny --write-weights " + d + "/x.safetensors --stats");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--write-weights needs -o FILE"), std::string::npos) << r.err;
}

TEST(Cli, TemporalDecouplingLeavesEveryFigureUnchanged) {
  const std::string d = tmp();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/q0.json").status, 0);
  ASSERT_EQ(run_prunesim("run -q --set sim.quantum=100000 --json " + d + "/q1.json").status, 0);
  ASSERT_EQ(
      run_prunesim("run -q --set sim.quantum=100000 --vcd " + d + "/q.vcd --json " + d + "/q2.json").status,
      0);
  const json a = json::parse(prunesim::test::read_file(d + "/q0.json"));
  for (const char* f : {"/q1.json", "/q2.json"}) {
    const json b = json::parse(prunesim::test::read_file(d + f));
    for (const char* k : {"latency", "energy", "traffic", "dram", "compute", "ops"})
      EXPECT_EQ(a[k], b[k]) << f << " " << k;
    EXPECT_EQ(b["config"]["sim.quantum"], "100000");
  }
}

TEST(Cli, ActivationWidthPerOpKindMovesThatOpsOnChipBytesOnly) {
  const std::string d = tmp();
  const std::string args = " --model deit-tiny --set workload.layers=1 --json ";
  ASSERT_EQ(run_prunesim("run -q" + args + d + "/a8.json").status, 0);
  ASSERT_EQ(
      run_prunesim("run -q --quant all=int8,act=int8,act.softmax=int16" + args + d + "/a16.json").status, 0);
  const json a = json::parse(prunesim::test::read_file(d + "/a8.json"));
  const json b = json::parse(prunesim::test::read_file(d + "/a16.json"));
  ASSERT_EQ(a["ops"].size(), b["ops"].size());
  for (size_t i = 0; i < a["ops"].size(); ++i) {
    const json& x = a["ops"][i];
    const json& y = b["ops"][i];
    const double ratio =
        y["onchip_read_bytes"].get<double>() / std::max(1.0, x["onchip_read_bytes"].get<double>());
    if (x["kind"] == "softmax")
      EXPECT_NEAR(ratio, 2.0, 1e-6) << x["name"];  // 16-bit scores and probabilities
    else
      EXPECT_EQ(x["onchip_read_bytes"], y["onchip_read_bytes"]) << x["name"];
  }
  const auto r = run_prunesim("run -q --model deit-tiny --quant act.attention=int16");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("act.attention is not an op kind"), std::string::npos) << r.err;
}

TEST(Cli, HlsExportRefusesEnginesWithoutKernels) {
  const auto r = run_prunesim("hls export --model gru --seq 4 --set pe.engine=mv --out " + tmp() + "/mv");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("pe.engine = mv has no HLS kernel yet"), std::string::npos) << r.err;
}

// The report says, per pattern, what the engine could exploit, and gives GOPS both ways.
TEST(Cli, RunReportSaysWhatTheEngineCouldNotExploit) {
  auto r = run_prunesim(
      "run --model bert-base --seq 32 --set workload.layers=2 --tokens none --prune "
      "qkv=unstructured:0.2 --prune mlp=block:16x16:0.2 --prune proj=nm:2:4");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("cannot     unstructured: fine-grained zeros"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cannot     nm 2:4:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("exploits   block 16x16: skips whole blocks"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("GOPS performed"), std::string::npos);
  EXPECT_NE(r.out.find("GOPS dense-equivalent"), std::string::npos);
  // With N:M hardware the same 2:4 matrix is exploited.
  r = run_prunesim(
      "run --model bert-base --seq 32 --set workload.layers=2 --tokens none --prune proj=nm:2:4 "
      "--set pe.nm=2:4");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(
      r.out.find("exploits   nm 2:4: N:M hardware streams 2 of every 4 inputs (100.0 % of zeros skipped)"),
      std::string::npos)
      << r.out;
}

// The README's quick start shows what `make run` prints: the block must be the binary's output, byte for byte
// (regenerate it with `prunesim run` when a figure moves on purpose).
TEST(Cli, ReadmeQuickStartOutputIsWhatTheBinaryPrints) {
  const std::string readme = prunesim::test::read_file(prunesim::test::source_path("README.md"));
  const size_t intro = readme.find("`make run` prints");
  ASSERT_NE(intro, std::string::npos);
  const size_t open = readme.find("```\n", intro);
  ASSERT_NE(open, std::string::npos);
  const size_t close = readme.find("```", open + 4);
  ASSERT_NE(close, std::string::npos);
  const std::string shown = readme.substr(open + 4, close - open - 4);
  const auto r = run_prunesim("run");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(shown, r.out);
}

TEST(Docs, ContributingNamesOnlyFilesThatExist) {
  // The walk-through is only worth following while every file it names is where it says.
  const std::string text = prunesim::test::read_file(prunesim::test::source_path("CONTRIBUTING.md"));
  const std::regex path(R"(`((?:sim|models|workloads|hls|tests|traces|tools|configs)/[A-Za-z0-9_./]+)`)");
  int checked = 0;
  for (std::sregex_iterator it(text.begin(), text.end(), path), end; it != end; ++it) {
    std::string p = (*it)[1];
    if (p.find("...") != std::string::npos || p.find("NAME") != std::string::npos) continue;
    ++checked;
    EXPECT_TRUE(std::filesystem::exists(prunesim::test::source_path(p))) << p;
  }
  EXPECT_GT(checked, 30);
}

TEST(Cli, ModelsListsTheZooWithDimensionsWeightsAndSources) {
  const auto r = run_prunesim("models");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& name : prunesim::workloads::known_models())
    EXPECT_NE(r.out.find("\n" + name + " "), std::string::npos) << name;
  // DeiT-S as Touvron et al. give it: 12 layers of 384 with 6 heads, 22 M parameters (Table 1).
  EXPECT_NE(
      r.out.find("deit-small   vision        12     384      6   1536   197     21.9 M  Touvron et al. 2021"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("  \n"), std::string::npos);  // every model has a source
  EXPECT_EQ(run_prunesim("models --frobnicate").status, 2);
}

TEST(Cli, BaselinesAreRooflineEstimatesAndRunReportsTheSpeedUpOverEach) {
  const std::string d = tmp();
  auto r = run_prunesim("baseline --model deit-small --device t4,xeon-gold-6248 --json " + d + "/b.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("not simulations"), std::string::npos) << r.out;
  const json b = json::parse(prunesim::test::read_file(d + "/b.json"));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0]["name"], "t4");
  EXPECT_GT(b[0]["latency_ms"].get<double>(), 0);
  r = run_prunesim("baseline --model deit-small --device h100");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("baseline 'h100': no such shipped baseline (known: "), std::string::npos) << r.err;
  // run: the same estimates of the same trace, with the design's speed-up over each.
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/r.json").status, 0);
  const json j = json::parse(prunesim::test::read_file(d + "/r.json"));
  ASSERT_EQ(j["baselines"].size(), 3u);
  for (const json& e : j["baselines"]) {
    EXPECT_NEAR(e["fpga_speedup"].get<double>(),
                e["latency_ms"].get<double>() / j["latency"]["ms"].get<double>(), 1e-5);
    if (e["name"] == "t4") {
      EXPECT_NEAR(e["latency_ms"].get<double>(), b[0]["latency_ms"].get<double>(), 1e-6);
    }
  }
  ASSERT_EQ(run_prunesim("run -q --baselines none --json " + d + "/n.json").status, 0);
  EXPECT_FALSE(json::parse(prunesim::test::read_file(d + "/n.json")).contains("baselines"));
}

TEST(Cli, PerPeWeightBanksReportWhatTheHierLayoutBuysOverBlockCsr) {
  const std::string d = tmp();
  const std::string base =
      "run --config " + prunesim::test::source_path("configs/examples/deit-small-mpca.ini") +
      " --set block_pe.weight_banks=per_pe --model gpt2 --seq 16 --decode 4 --tokens none "
      "--set workload.layers=2 --baselines none";
  const auto bcsr = run_prunesim(base + " --format bcsr --json " + d + "/b.json");
  const auto hier = run_prunesim(base + " --json " + d + "/h.json");  // auto: hier on this engine
  ASSERT_EQ(bcsr.status, 0) << bcsr.err;
  ASSERT_EQ(hier.status, 0) << hier.err;
  EXPECT_NE(bcsr.out.find("the hier layout (--format hier) would avoid"), std::string::npos) << bcsr.out;
  EXPECT_NE(hier.out.find("the hier layout avoided"), std::string::npos) << hier.out;
  const json b = json::parse(prunesim::test::read_file(d + "/b.json"));
  const json h = json::parse(prunesim::test::read_file(d + "/h.json"));
  uint64_t stall = 0, avoidable = 0, avoided = 0;
  for (const json& op : b["ops"])
    stall += op["stall_cycles"]["weight_banks"].get<uint64_t>(),
        avoidable += op["bank_conflicts_avoidable_cycles"].get<uint64_t>();
  for (const json& op : h["ops"]) avoided += op["bank_conflicts_avoided_cycles"].get<uint64_t>();
  EXPECT_GT(stall, 0u);
  EXPECT_EQ(avoidable, avoided);
  EXPECT_LT(h["latency"]["cycles"].get<uint64_t>(), b["latency"]["cycles"].get<uint64_t>());
}

TEST(Cli, InspectNamesBothReferencesAndTheUnprunedOneIsWhatRunReports) {
  const std::string d = tmp();
  const std::string trace = prunesim::test::source_path("traces/deit-small-block16-d0.5-evit.trace");
  const auto i = run_prunesim("inspect " + trace);
  ASSERT_EQ(i.status, 0) << i.err;
  ASSERT_EQ(run_prunesim("run -q --baselines none --trace " + trace + " --json " + d + "/r.json").status, 0);
  const json r = json::parse(prunesim::test::read_file(d + "/r.json"));
  const std::string unpruned = std::to_string(r["compute"]["dense_macs"].get<uint64_t>());
  EXPECT_NE(i.out.find("as `run` reports it: " + unpruned + ")"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("tokens as this trace prunes them"), std::string::npos) << i.out;
}

TEST(Cli, HelpShowsOnlyOptionsAUserTypes) {
  for (const char* cmd : {"hls --help", "compare --help"}) {
    const auto r = run_prunesim(cmd);
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_EQ(r.out.find("--action"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("--files"), std::string::npos) << r.out;
  }
  // The positional arguments still work.
  const auto bad = run_prunesim("hls frobnicate --out /tmp/x");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("expected 'prunesim hls export --out DIR'"), std::string::npos) << bad.err;
}

// `make run` prints the report and nothing of the build: no directory chatter (--no-print-directory), no
// "Built target" line per target (CMAKE_TARGET_MESSAGES off in the presets).
TEST(Cli, TheBuildIsQuietWhenNothingChanges) {
  const std::string makefile = prunesim::test::read_file(prunesim::test::source_path("Makefile"));
  EXPECT_NE(makefile.find("--no-print-directory"), std::string::npos);
  const json presets =
      json::parse(prunesim::test::read_file(prunesim::test::source_path("CMakePresets.json")));
  for (const json& p : presets["configurePresets"])
    if (p["name"] == "release") {
      EXPECT_EQ(p["cacheVariables"]["CMAKE_TARGET_MESSAGES"], "OFF");
    }
}

// A model file's activation and norm placement reach the trace: ReLU is one element-wise op where GELU was
// (same element count), and pre/post moves each norm without changing the work.
TEST(Cli, AModelFileChoosesTheActivationAndWhereTheNormsSit) {
  const std::string d = tmp();
  auto trace_of = [&](const std::string& extra) {
    prunesim::test::write_file(d + "/m.ini", "[model]\nfamily = encoder\nlayers = 2\nseq = 64\n" + extra);
    const auto r = run_prunesim("compress --model-file " + d + "/m.ini --tokens none -o " + d + "/t.trace");
    EXPECT_EQ(r.status, 0) << r.err;
    return prunesim::test::read_file(d + "/t.trace");
  };
  const std::string gelu = trace_of(""), relu = trace_of("activation = relu\n");
  auto count = [](const std::string& t, const std::string& what) {
    size_t n = 0;
    for (size_t at = t.find(what); at != std::string::npos; at = t.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count(gelu, " kind=gelu "), 2u);
  EXPECT_EQ(count(relu, " kind=gelu "), 0u);
  EXPECT_EQ(count(relu, " kind=eltwise name=mlp.relu func=relu elems=196608 "), 2u);  // 64 tokens x 3072
  EXPECT_NE(gelu.find(" kind=gelu name=gelu elems=196608 "), std::string::npos);
  // BERT is post-LN: a layer's first op is the QKV projection; pre-LN puts ln1 first.
  const std::string post = trace_of(""), pre = trace_of("norm_placement = pre\n");
  auto first_of_layer0 = [](const std::string& t) {
    const size_t at =
        t.find(" layer=0 kind=");  // the first op line of layer 0 (matrix lines say layer=0 too)
    return t.substr(at, t.find('\n', at) - at);
  };
  EXPECT_NE(first_of_layer0(post).find("name=attn.qkv"), std::string::npos) << first_of_layer0(post);
  EXPECT_NE(first_of_layer0(pre).find("name=ln1"), std::string::npos) << first_of_layer0(pre);
  EXPECT_EQ(count(pre, " kind=layernorm "), count(post, " kind=layernorm "));
  // Both activations are one pipelined pass per element on the vector unit (hls/nonlinear.h, II=1), so the
  // cycles are the same: the choice is visible in the trace and the op names, not in the timing.
  prunesim::test::write_file(d + "/g.ini", "[model]\nfamily = encoder\nlayers = 2\nseq = 64\n");
  prunesim::test::write_file(d + "/r.ini",
                             "[model]\nfamily = encoder\nlayers = 2\nseq = 64\nactivation = relu\n");
  ASSERT_EQ(run_prunesim("run -q --baselines none --tokens none --model-file " + d + "/g.ini --json " + d +
                         "/g.json")
                .status,
            0);
  ASSERT_EQ(run_prunesim("run -q --baselines none --tokens none --model-file " + d + "/r.ini --json " + d +
                         "/r.json")
                .status,
            0);
  const json g = json::parse(prunesim::test::read_file(d + "/g.json"));
  const json r = json::parse(prunesim::test::read_file(d + "/r.json"));
  EXPECT_EQ(g["compute"]["macs"], r["compute"]["macs"]);
  uint64_t gelu_cycles = 0, relu_cycles = 0;
  for (const auto& op : g["ops"])
    if (op["name"] == "gelu") gelu_cycles += op["cycles"].get<uint64_t>();
  for (const auto& op : r["ops"])
    if (op["name"] == "mlp.relu") relu_cycles += op["cycles"].get<uint64_t>();
  EXPECT_GT(gelu_cycles, 0u);
  EXPECT_GT(relu_cycles, 0u);
  EXPECT_EQ(relu_cycles, gelu_cycles);
  // The functional check follows the trace's norm placement, and refuses what it does not compute by name.
  prunesim::test::write_file(d + "/p.ini",
                             "[model]\nfamily = encoder\nlayers = 2\nseq = 64\nnorm_placement = pre\n");
  EXPECT_EQ(run_prunesim("run -q --baselines none --tokens none --model-file " + d +
                         "/p.ini --set sim.functional=true --set sim.functional_numbers=int8")
                .status,
            0);
  const auto f = run_prunesim("run -q --baselines none --tokens none --model-file " + d +
                              "/r.ini --set sim.functional=true");
  EXPECT_EQ(f.status, 2);
  EXPECT_NE(f.err.find("sim.functional does not know op 'mlp.relu' (layer 0)"), std::string::npos) << f.err;
}

TEST(Cli, AModelFileDefinesACustomModelLikeTheDimensionKeysAndBadFilesNameTheLine) {
  const std::string d = tmp();
  const std::string zcu = " --config " + prunesim::test::source_path("configs/devices/zcu102.ini");
  const std::string file = prunesim::test::source_path("configs/models/encoder-6l.ini");
  // The shipped example: 6 layers, d_model 512, 8 heads, MLP 2048 on BERT-base's embeddings and head, run on
  // the ZCU102 with its fitted design; the same model spelled as workload keys gives the same numbers.
  auto r = run_prunesim("run -q --baselines none --tokens none --model-file " + file + zcu + " --json " + d +
                        "/f.json");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_prunesim(
      "run -q --baselines none --tokens none --model bert-base --set workload.layers=6 --set "
      "workload.d_model=512 --set workload.heads=8 --set workload.mlp=2048" +
      zcu + " --json " + d + "/k.json");
  ASSERT_EQ(r.status, 0) << r.err;
  const json f = json::parse(prunesim::test::read_file(d + "/f.json"));
  const json k = json::parse(prunesim::test::read_file(d + "/k.json"));
  EXPECT_EQ(f["latency"]["cycles"], k["latency"]["cycles"]);
  EXPECT_EQ(f["compute"]["macs"], k["compute"]["macs"]);
  EXPECT_EQ(f["workload"]["model"], "encoder-6l");
  EXPECT_EQ(f["workload"]["trace"], "model-file:" + file);
  EXPECT_EQ(f["workload"]["header"]["layers"], "6");
  // Bad files: unknown key, bad family, inconsistent widths, each naming the file and line.
  auto error_of = [&](const std::string& text) {
    prunesim::test::write_file(d + "/m.ini", text);
    const auto e = run_prunesim("run -q --model-file " + d + "/m.ini");
    EXPECT_EQ(e.status, 2) << text;
    return e.err;
  };
  EXPECT_NE(error_of("[model]\nfamily = encoder\nactivaton = relu\n")
                .find(d + "/m.ini:3: unknown key 'model.activaton'"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nfamily = encoder\nactivation = swish\n")
                .find(d + "/m.ini:3: model.activation: expected gelu or relu, got 'swish'"),
            std::string::npos);
  EXPECT_NE(error_of("[model]\nfamily = gru\nnorm_placement = pre\n")
                .find(d + "/m.ini:3: model.norm_placement: a GRU has no transformer MLP or norms to set"),
            std::string::npos);
  EXPECT_NE(
      error_of("[model]\nfamily = mamba\n").find(d + "/m.ini:2: model.family: expected encoder, decoder"),
      std::string::npos);
  EXPECT_NE(error_of("[model]\nfamily = encoder\nd_model = 500\nheads = 8\n")
                .find("must be a multiple of model.heads"),
            std::string::npos);
  EXPECT_NE(
      error_of("[model]\nfamily = vision\nbase = gpt2\n").find("'gpt2' is a decoder model, not a vision one"),
      std::string::npos);
  EXPECT_NE(error_of("[model]\nfamily = gru\nlayers = -2\n")
                .find(d + "/m.ini:3: model.layers: expected a non-negative integer"),
            std::string::npos);
}

// Two defaults a user may not expect, said where they look: the built-in recipe, and what all= leaves whole.
TEST(Cli, TheReportSaysWhenTheRecipeIsTheDefaultAndWhatItLeavesWhole) {
  auto r = run_prunesim("run --baselines none");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("the built-in default recipe (--prune sets yours)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights kept whole: embed, head"), std::string::npos) << r.out;
  r = run_prunesim("run --baselines none --prune all=block:16x16:0.5");
  EXPECT_EQ(r.out.find("the built-in default recipe"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weights kept whole: embed, head"), std::string::npos) << r.out;
  r = run_prunesim(
      "run --baselines none --prune all=block:16x16:0.5 --prune head=block:16x16:0.5 --prune "
      "embed=block:16x16:0.5");
  EXPECT_EQ(r.out.find("weights kept whole"), std::string::npos) << r.out;
}

// Every prunesim command the README shows runs as written (from a scratch directory whose configs/ and
// traces/ are the repository's), and where the README shows its output after a `$ ` prompt, every shown line
// is in what the binary prints. (The quick start's `make run` output is checked whole above.)
TEST(Cli, EveryReadmeCommandRunsAndItsShownOutputIsWhatTheBinaryPrints) {
  const std::string readme = prunesim::test::read_file(prunesim::test::source_path("README.md"));
  const std::string dir = tmp();
  for (const char* sub : {"configs", "traces"})
    std::filesystem::create_directory_symlink(prunesim::test::source_path(sub), dir + "/" + sub);
  // Plain ``` blocks are run; a block with a language tag (```sh: the cluster commands, which need a
  // scheduler and have tests of their own against a real one) is shown only.
  std::vector<std::string> blocks;
  {
    std::istringstream is(readme);
    bool in_block = false, run_it = false;
    std::string text;
    for (std::string line; std::getline(is, line);) {
      if (line.rfind("```", 0) == 0) {
        if (in_block && run_it) blocks.push_back(text);
        if (!in_block) run_it = line == "```";
        in_block = !in_block;
        text.clear();
      } else if (in_block) {
        text += line + "\n";
      }
    }
    ASSERT_FALSE(in_block) << "README.md: a code block is not closed";
  }
  size_t commands = 0;
  for (const std::string& text : blocks) {
    std::istringstream block(text);
    std::vector<std::pair<std::string, std::vector<std::string>>> runs;  // command, shown output lines
    bool prompted = false;
    for (std::string line; std::getline(block, line);) {
      const bool prompt = line.rfind("$ prunesim ", 0) == 0;
      std::istringstream words(line.substr(prompt ? 2 : 0));
      std::string first, command;
      words >> first >> command;
      static const std::set<std::string> commands_known = {"run",     "compress", "inspect", "models",
                                                           "ddr",     "sweep",    "explore", "baseline",
                                                           "compare", "hls",      "report"};
      if (first == "prunesim" && commands_known.count(command)) {  // not a report's "prunesim 0.1.0:" line
        std::string cmd = line.substr(prompt ? 2 : 0);
        while (!cmd.empty() && cmd.back() == '\\' && std::getline(block, line))
          cmd = cmd.substr(0, cmd.size() - 1) + line;
        runs.push_back({cmd, {}});
        prompted = prompt;
      } else if (prompted && !runs.empty() && !line.empty()) {
        runs.back().second.push_back(line);
      }
    }
    for (const auto& [cmd, shown] : runs) {
      ++commands;
      const std::string out = dir + "/out", err = dir + "/err";
      const std::string shell = "cd " + dir + " && " + PRUNESIM_BINARY +
                                cmd.substr(std::string("prunesim").size()) + " >" + out + " 2>" + err;
      const int rc = std::system(shell.c_str());
      EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << cmd << "\n" << prunesim::test::read_file(err);
      const std::string printed = prunesim::test::read_file(out);
      for (const auto& l : shown)
        EXPECT_NE(printed.find(l + "\n"), std::string::npos) << cmd << "\nshown: " << l;
    }
  }
  EXPECT_GE(commands, 7u);  // the examples, the model file, explore
}

// #21: the compressor flags are checked by the config like --set: no wrap-around, no dropped NaN.
TEST(Cli, WorkloadFlagsAreCheckedAsTypedNotWrappedOrDropped) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      // Each error names the flag the user typed, then the key it sets.
      {"--seq -5", "error: --seq: workload.seq: expected an integer in [0, 65536], got '-5'"},
      {"--decode -1", "error: --decode: workload.decode: expected an integer in [0, 65536], got '-1'"},
      {"--keep nan", "error: --keep: workload.token_keep: expected a number in [1e-09, 1], got 'nan'"},
      {"--seed -7",
       "error: --seed: workload.seed: expected an integer in [0, 18446744073709551615], got '-7'"},
      {"--batch 0", "error: --batch: workload.batch: expected an integer in [1, 4096], got '0'"},
      {"--set workload.batch=0",
       "error: --set workload.batch: workload.batch: expected an integer in [1, 4096]"}};
  for (const auto& [flag, message] : cases) {
    const auto r = run_prunesim("run -q --baselines none " + flag);
    EXPECT_EQ(r.status, 2) << flag;
    EXPECT_NE(r.err.find(message), std::string::npos) << flag << ": " << r.err;
  }
  EXPECT_EQ(run_prunesim("compress --stats --seq -5").status, 2);
  EXPECT_EQ(run_prunesim("run -q --baselines none --keep 0.5 --seed 7").status, 0);
}

// #21: `--decode 65536` on GPT-2 ran for minutes into gigabytes; GPT-2 has 1024 learned positions, so a
// decode past them is a model that cannot exist. The context is the zoo's, a model file's or a config.json's,
// and workload.max_positions widens it for a what-if.
TEST(Cli, TokensBeyondTheModelsContextAreAnErrorNamingIt) {
  const std::string d = tmp();
  prunesim::test::write_file(d + "/long.ini",
                             "[model]\nfamily = decoder\nmax_positions = 4096\nlayers = 1\n");
  prunesim::test::write_file(d + "/config.json",
                             R"({"model_type":"gpt2","n_embd":64,"n_head":4,"n_layer":1,"n_positions":256})");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"--model gpt2 --decode 65536",
       "error: workload.decode: gpt2 has position embeddings for 1024 tokens; seq 128 + decode 65536 needs "
       "65664"},
      {"--model gpt2 --seq 1000 --decode 25", "seq 1000 + decode 25 needs 1025"},
      {"--model bert-base --seq 1024",
       "error: workload.seq: bert-base has position embeddings for 512 tokens"},
      {"--set workload.model_file=" + d + "/long.ini --decode 5000", "long has position embeddings for 4096"},
      {"--set workload.hf_config=" + d + "/config.json --decode 129",
       "gpt2 has position embeddings for 256"}};
  for (const auto& [flags, message] : refused) {
    const auto r = run_prunesim("compress --tokens none -o " + d + "/t.trace " + flags);
    EXPECT_EQ(r.status, 2) << flags;
    EXPECT_NE(r.err.find(message), std::string::npos) << flags << ": " << r.err;
    EXPECT_FALSE(prunesim::test::file_exists(d + "/t.trace"));
  }
  for (const std::string& flags :
       std::vector<std::string>{"--model gpt2 --seq 1000 --decode 24", "--model bert-base --seq 512",
                                "--model gpt2 --decode 1000 --set workload.max_positions=2048",
                                "--set workload.model_file=" + d + "/long.ini --decode 3968"}) {
    const auto r =
        run_prunesim("compress --tokens none --set workload.layers=1 -o " + d + "/t.trace " + flags);
    EXPECT_EQ(r.status, 0) << flags << ": " << r.err;
  }
}

// #21: a VCD path that cannot be written is bad input (exit 2, before the run), and a VCD appears whole or
// not at all: it is written under a temporary name beside its destination and renamed at the end.
TEST(Cli, VcdPathsAreCheckedAndTheWaveformAppearsWhole) {
  auto r = run_prunesim("run -q --baselines none --vcd /nonexistent-dir/x.vcd");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--vcd /nonexistent-dir/x.vcd: cannot write there"), std::string::npos) << r.err;
  const std::string d = tmp();
  r = run_prunesim("run -q --baselines none --vcd " + d + "/w.vcd");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(prunesim::test::read_file(d + "/w.vcd").find("$enddefinitions"), std::string::npos);
  for (const auto& e : std::filesystem::directory_iterator(d))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  // A run refused before it starts leaves no waveform either.
  r = run_prunesim("run -q --baselines none --config " +
                   prunesim::test::source_path("configs/devices/zcu102.ini") +
                   " --set pe.rows=256 --set pe.cols=256 --vcd " + d + "/bad.vcd");
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(prunesim::test::file_exists(d + "/bad.vcd"));
}

// #21: a non-UTF-8 byte in a config file or a --set value is bad input (exit 2, naming where), not a JSON
// library failure when the report is written.
TEST(Cli, NonUtf8InputExitsTwoNamingWhere) {
  const std::string d = tmp();
  prunesim::test::write_file(d + "/u.ini",
                             "[workload]\nmodel = de\xff"
                             "it\n");
  auto r = run_prunesim("run -q --config " + d + "/u.ini --json " + d + "/r.json");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find(d + "/u.ini:2: not UTF-8 text"), std::string::npos) << r.err;
  r = run_prunesim(std::string("run -q --json ") + d + "/r.json --set 'workload.trace=" + d +
                   "/a\xff.trace'");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("is not UTF-8 text"), std::string::npos) << r.err;
  EXPECT_FALSE(prunesim::test::file_exists(d + "/r.json"));
}

// Out of memory is the workload's size at fault, not a bug: exit 2 with what to change, and no output left
// behind (bad_alloc was "internal error", exit 1). The address-space limit makes it happen in under a second.
TEST(Cli, OutOfMemoryIsAnInputErrorWithNoOutputLeft) {
#ifdef PRUNESIM_ASAN
  GTEST_SKIP() << "AddressSanitizer reserves its shadow memory beyond any ulimit -v";
#endif
  const std::string d = prunesim::test::temp_dir();
  const std::string cmd = "ulimit -v 700000; " + std::string(PRUNESIM_BINARY) +
                          " compress --model gpt2 --decode 20000 --set workload.max_positions=32768 --out " +
                          d + "/t.trace 2>" + d + "/err";
  const int rc = std::system(("sh -c '" + cmd + "'").c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 2);
  EXPECT_NE(
      prunesim::test::read_file(d + "/err").find("prunesim: error: out of memory: this workload needs more"),
      std::string::npos)
      << prunesim::test::read_file(d + "/err");
  EXPECT_FALSE(prunesim::test::file_exists(d + "/t.trace"));
}

// A long run shows its progress on a terminal (script(1) gives it one) and nothing when stderr is a file.
TEST(Cli, LongRunsShowProgressOnATerminalOnly) {
  EXPECT_EQ(prunesim::sim::RunProgress::line(1200, 3000, 12.34, 4.0),
            "replayed 40 % (1,200 of 3,000 work items), 12.3 ms simulated, 4 s elapsed, about 6 s left");
  EXPECT_EQ(prunesim::sim::RunProgress::line(3000, 3000, 100, 75),
            "replayed 100 % (3,000 of 3,000 work items), 100.0 ms simulated, 1 min 15 s elapsed");
  EXPECT_EQ(prunesim::sim::RunProgress::line(7, 100, 102.94, 1.2, {"served", "requests"}),
            "served 7 % (7 of 100 requests), 102.9 ms simulated, 1 s elapsed, about 16 s left");
  const std::string d = prunesim::test::temp_dir();
  // No delay, so the line shows however fast this machine runs the workload (it took over 1 s once, and
  // 0.9 s on a faster machine: the test must not depend on that).
  const std::string run = "PRUNESIM_PROGRESS_DELAY=0 " + std::string(PRUNESIM_BINARY) +
                          " run --model deit-small --batch 384 --json " + d + "/r.json";
  ASSERT_EQ(std::system(("script -qc '" + run + "' /dev/null >" + d + "/tty.txt").c_str()), 0);
  const std::string tty = prunesim::test::read_file(d + "/tty.txt");
  EXPECT_NE(tty.find("prunesim: replayed "), std::string::npos) << tty.substr(0, 400);
  // The line is cleared before the report prints.
  const size_t last = tty.rfind("prunesim: replayed ");
  ASSERT_NE(last, std::string::npos);
  const size_t cleared = tty.find("\r\033[K", last), report = tty.find(": deit-small on ", last);
  EXPECT_LT(cleared, report) << tty.substr(0, 400);
  EXPECT_EQ(tty.find("replayed", cleared), std::string::npos);
  const auto piped = run_prunesim("run --model deit-small --batch 384 -q");
  EXPECT_EQ(piped.status, 0);
  EXPECT_EQ(piped.err, "");
  // A delay that is not a number of seconds is an input error naming the variable.
  const int bad = std::system(("PRUNESIM_PROGRESS_DELAY=soon " + std::string(PRUNESIM_BINARY) +
                               " run --model tinybert-4 -q 2>" + d + "/err >/dev/null")
                                  .c_str());
  EXPECT_EQ(WEXITSTATUS(bad), 2);
  EXPECT_NE(prunesim::test::read_file(d + "/err").find("PRUNESIM_PROGRESS_DELAY: expected seconds >= 0"),
            std::string::npos)
      << prunesim::test::read_file(d + "/err");
}

// A run whose --csv (or --json) cannot be written fails before simulating and leaves none of its other
// outputs: the JSON and the waveform used to stay behind beside the error.
TEST(Cli, AnUnwritableOutputLeavesNoOtherOutputBehind) {
  const std::string d = prunesim::test::temp_dir();
  for (const std::string& bad :
       std::vector<std::string>{"--csv /nonexistent/x.csv", "--csv " + d, "--json /nonexistent/x.json"}) {
    const std::string others =
        bad.rfind("--csv", 0) == 0 ? " --json " + d + "/r.json" : " --csv " + d + "/r.csv";
    const auto r = run_prunesim("run -q --vcd " + d + "/w.vcd" + others + " " + bad);
    EXPECT_EQ(r.status, 2) << bad << "\n" << r.err;
    EXPECT_NE(r.err.find(bad.substr(0, bad.find(' ')) + " "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("cannot write there"), std::string::npos) << r.err;
    for (const char* f : {"/r.json", "/r.csv", "/w.vcd", "/r.json.partial", "/r.csv.partial"})
      EXPECT_FALSE(prunesim::test::file_exists(d + f)) << bad << ": " << f;
  }
}

TEST(TestScratch, TheDirectoriesATestMakesAreRemovedWhenItsProcessEnds) {
  // A nightly `make test` runs ~500 test processes and must leave nothing in /tmp. One test of this binary
  // (it makes directories and writes reports into them) runs in a child whose TMPDIR is an empty
  // directory: empty again once the child ends, and kept whole with PRUNESIM_KEEP_TEST_DIRS=1.
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string root = tmp();
  for (bool keep : {false, true}) {
    const std::string dir = root + (keep ? "/keep" : "/clean");
    std::filesystem::create_directory(dir);
    const std::string cmd =
        std::string(keep ? "env PRUNESIM_KEEP_TEST_DIRS=1 " : "env -u PRUNESIM_KEEP_TEST_DIRS ") +
        "TMPDIR=" + dir + " " + self +
        " --gtest_filter=Cli.DefaultRunExitsZeroAndItsJsonHasTheDocumentedKeys"
        " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const auto left = std::distance(std::filesystem::directory_iterator(dir), {});
    if (keep)
      EXPECT_EQ(left, 2) << "the test's own directory and the one run_prunesim captured output in";
    else
      EXPECT_EQ(left, 0) << dir;
  }
}
