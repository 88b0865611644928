// `prunesim sweep` and `prunesim compare` end to end.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "prunesim/sim/sweep.h"
#include "test_util.h"

using nlohmann::json;
using prunesim::test::read_file;
using prunesim::test::run_prunesim;
using prunesim::test::write_file;

namespace {

std::vector<json> lines(const std::string& path) {
  std::vector<json> out;
  std::istringstream is(read_file(path));
  for (std::string l; std::getline(is, l);)
    if (!l.empty()) out.push_back(json::parse(l));
  return out;
}

bool exists(const std::string& p) {
  struct stat st {};
  return stat(p.c_str(), &st) == 0;
}

}  // namespace

TEST(Sweep, SmallGridEndToEndWithRowsOrderAndParetoMarks) {
  const std::string d = prunesim::test::temp_dir() + "/s";
  const auto r = run_prunesim("sweep --out " + d + " --grid pe.rows=16,32,64 --grid pe.cols=32:64:32 -j 2");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto res = lines(d + "/results.jsonl");
  ASSERT_EQ(res.size(), 6u);
  // Point order: last grid fastest.
  const std::vector<std::pair<std::string, std::string>> want = {{"16", "32"}, {"16", "64"}, {"32", "32"},
                                                                 {"32", "64"}, {"64", "32"}, {"64", "64"}};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(res[i]["index"], i);
    EXPECT_EQ(res[i]["status"], "ok");
    EXPECT_EQ(res[i]["swept"]["pe.rows"], want[i].first);
    EXPECT_EQ(res[i]["swept"]["pe.cols"], want[i].second);
  }
  // The Pareto marks agree with a direct dominance check over (latency, energy, DSPs).
  for (size_t i = 0; i < 6; ++i) {
    bool dominated = false;
    const json& a = res[i]["metrics"];
    for (size_t j = 0; j < 6; ++j) {
      const json& b = res[j]["metrics"];
      const bool le =
          b["latency_ms"] <= a["latency_ms"] && b["energy_mj"] <= a["energy_mj"] && b["dsp"] <= a["dsp"];
      const bool lt =
          b["latency_ms"] < a["latency_ms"] || b["energy_mj"] < a["energy_mj"] || b["dsp"] < a["dsp"];
      dominated |= j != i && le && lt;
    }
    EXPECT_EQ(res[i]["pareto"].get<bool>(), !dominated) << i;
  }
  const std::string csv = read_file(d + "/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
  EXPECT_EQ(csv.rfind("index,hash,status,pe.rows,pe.cols,latency_cycles", 0), 0u);
}

TEST(Sweep, OutputsAreIdenticalWhateverTheJobCount) {
  const std::string base = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("sweep --out " + base +
                         "/a --grid pe.rows=16,64 --zip clock.mhz=200,300 "
                         "--zip pe.cols=16,32 -j 1")
                .status,
            0);
  ASSERT_EQ(run_prunesim("sweep --out " + base +
                         "/b --grid pe.rows=16,64 --zip clock.mhz=200,300 "
                         "--zip pe.cols=16,32 -j 2")
                .status,
            0);
  EXPECT_EQ(read_file(base + "/a/results.csv"), read_file(base + "/b/results.csv"));
  EXPECT_EQ(read_file(base + "/a/results.jsonl"), read_file(base + "/b/results.jsonl"));
  const auto res = lines(base + "/a/results.jsonl");
  ASSERT_EQ(res.size(), 4u);  // 2 grid values x 2 lock-step zip settings
  EXPECT_EQ(res[1]["swept"]["clock.mhz"], "300");
  EXPECT_EQ(res[1]["swept"]["pe.cols"], "32");
}

TEST(Sweep, UnknownKeysAndBadValuesFailBeforeAnythingRuns) {
  const std::string d = prunesim::test::temp_dir() + "/s";
  auto r = run_prunesim("sweep --out " + d + " --grid pe.colour=1,2");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown key 'pe.colour'"), std::string::npos) << r.err;
  r = run_prunesim("sweep --out " + d + " --grid pe.rows=16,0");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("sweep point 1 (pe.rows=0)"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(d + "/results.jsonl"));
  r = run_prunesim("sweep --out " + d + " --zip pe.rows=16,32 --zip pe.cols=16");
  EXPECT_EQ(r.status, 2);
}

TEST(Sweep, ResumeRunsOnlyTheMissingPoints) {
  const std::string d = prunesim::test::temp_dir() + "/s";
  ASSERT_EQ(run_prunesim("sweep --out " + d + " --grid pe.rows=8,16,32,64").status, 0);
  // Simulate an interruption after two points: keep two result lines and a line cut short.
  const auto all = lines(d + "/results.jsonl");
  write_file(d + "/results.jsonl", all[0].dump() + "\n" + all[2].dump() + "\n{\"index\": 1, \"hash");
  for (int i = 0; i < 4; ++i) std::remove((d + "/points/" + std::to_string(i) + ".json").c_str());
  const auto r = run_prunesim("sweep --out " + d + " --grid pe.rows=8,16,32,64 --resume");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(exists(d + "/points/0.json"));  // recorded before: not run again
  EXPECT_TRUE(exists(d + "/points/1.json"));
  EXPECT_FALSE(exists(d + "/points/2.json"));
  EXPECT_TRUE(exists(d + "/points/3.json"));
  const auto res = lines(d + "/results.jsonl");
  ASSERT_EQ(res.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    EXPECT_EQ(res[i], [&] {
      json x = all[i];
      return x;
    }()) << i;
}

TEST(Sweep, CrashingAndHangingPointsAreRecordedAndTheSweepGoesOn) {
  const std::string d = prunesim::test::temp_dir();
  // A stand-in runner: the point with pe.rows=13 crashes, pe.rows=14 hangs, the rest run prunesim.
  prunesim::test::write_runner(d,
                               "  *pe.rows=13*) echo 'about to crash' >&2; kill -SEGV $$ ;;\n"
                               "  *pe.rows=14*) exec sleep 60 ;;\n");
  prunesim::sim::SweepSpec spec;
  spec.add_grid("pe.rows=12,13,14,15");
  const auto points = prunesim::sim::plan_sweep(spec, prunesim::sim::ConfigSchema());
  prunesim::sim::SweepOptions opt{d + "/s", 2, 2.0, false, d + "/runner.sh"};
  prunesim::sim::write_manifest(opt.out_dir, spec, points);
  EXPECT_EQ(prunesim::sim::run_sweep_points(spec, points, opt), 2u);
  prunesim::sim::merge_sweep(opt.out_dir, points);
  const auto res = lines(opt.out_dir + "/results.jsonl");
  ASSERT_EQ(res.size(), 4u);
  EXPECT_EQ(res[0]["status"], "ok");
  EXPECT_EQ(res[1]["status"], "crashed");
  EXPECT_NE(res[1]["stderr_tail"].get<std::string>().find("about to crash"), std::string::npos);
  EXPECT_EQ(res[2]["status"], "timeout");
  EXPECT_EQ(res[3]["status"], "ok");
}

TEST(Compare, FlagsAPlantedLatencyChangeAndPassesAnIdenticalPair) {
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/a.json").status, 0);
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/b.json").status, 0);
  auto r = run_prunesim("compare " + d + "/a.json " + d + "/b.json");
  EXPECT_EQ(r.status, 0) << r.out;
  json j = json::parse(read_file(d + "/a.json"));
  j["latency"]["cycles"] = uint64_t(double(j["latency"]["cycles"].get<uint64_t>()) * 1.05);
  write_file(d + "/slow.json", j.dump(2));
  r = run_prunesim("compare " + d + "/a.json " + d + "/slow.json --tol latency=1%");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("+5.000 %"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("EXCEEDS"), std::string::npos);
  r = run_prunesim("compare " + d + "/a.json " + d + "/slow.json --tol latency=6%");
  EXPECT_EQ(r.status, 0) << r.out;
  r = run_prunesim("compare " + d + "/a.json " + d + "/slow.json --tol latency=fast");
  EXPECT_EQ(r.status, 2);
}

// A malformed report or sweep line is the input's fault: exit 2 naming the file and the key (an op without
// its layer was "internal error: key 'ops' not found", exit 1).
TEST(Compare, MalformedReportsAndSweepLinesAreInputErrors) {
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/a.json").status, 0);
  const json good = json::parse(read_file(d + "/a.json"));
  auto check = [&](const std::string& text, const std::string& want) {
    write_file(d + "/bad.json", text);
    const auto r = run_prunesim("compare " + d + "/a.json " + d + "/bad.json");
    EXPECT_EQ(r.status, 2) << text << "\n" << r.err;
    EXPECT_NE(r.err.find(want), std::string::npos) << r.err;
  };
  check("{\"latency\": 5}", "bad.json is not a prunesim run report (no latency section)");
  check("[1, 2]", "bad.json is not a prunesim run report");
  json j = good;
  j["latency"]["cycles"] = "fast";
  check(j.dump(), "bad.json: /latency/cycles: expected a number, got \"fast\"");
  j = good;
  j.erase("ops");
  check(j.dump(), "bad.json: /ops: expected an array of ops");
  j = good;
  j["ops"][0].erase("layer");
  check(j.dump(), "bad.json: /ops/0/layer: expected a number");
  write_file(d + "/a.jsonl", "{\"hash\": \"abc\", \"index\": 0, \"status\": \"ok\"}\n");
  for (const std::string line : {"{\"hash\": 5}", "{\"hash\": \"abc\", \"index\": \"zero\"}",
                                 "{\"hash\": \"abc\", \"metrics\": {\"latency_cycles\": \"x\"}}"}) {
    write_file(d + "/b.jsonl", line + "\n");
    const auto r = run_prunesim("compare " + d + "/a.jsonl " + d + "/b.jsonl");
    EXPECT_EQ(r.status, 2) << line << "\n" << r.err;
    EXPECT_NE(r.err.find("b.jsonl:1: not a sweep result line"), std::string::npos) << r.err;
  }
}

TEST(Compare, SaysWhichConfigurationKeysDifferBeforeTheMetrics) {
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("run -q --json " + d + "/a.json").status, 0);
  ASSERT_EQ(run_prunesim("run -q --set ddr.tRCD=17 --set pe.rows=32 --json " + d + "/b.json").status, 0);
  auto r = run_prunesim("compare " + d + "/a.json " + d +
                        "/b.json --tol latency=100%,energy=100%,utilization=100%");
  EXPECT_NE(
      r.out.find("configuration: 2 keys differ\n  ddr.tRCD: \"16\" -> \"17\"\n  pe.rows: \"64\" -> \"32\"\n"),
      std::string::npos)
      << r.out;
  EXPECT_LT(r.out.find("configuration:"), r.out.find("metric"));
  EXPECT_NE(r.out.find("workload: the same trace"), std::string::npos);
  r = run_prunesim("compare " + d + "/a.json " + d + "/a.json");
  EXPECT_NE(r.out.find("configuration: identical"), std::string::npos) << r.out;
}

TEST(Compare, SweepsAreComparedPointByPointByConfigurationHash) {
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/a --grid pe.rows=16,32").status, 0);
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/b --grid pe.rows=32,16").status,
            0);  // other order, same points
  EXPECT_EQ(run_prunesim("compare " + d + "/a " + d + "/b").status, 0);
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/c --grid pe.rows=16,48").status, 0);
  const auto r = run_prunesim("compare " + d + "/a " + d + "/c");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("missing from"), std::string::npos) << r.out;
}

TEST(Sweep, ResumeAfterAKillRunsOnlyTheMissingPoints) {
  const std::string d = prunesim::test::temp_dir();
  // A runner that logs which point it runs and can be slowed down, so the sweep can be killed midway.
  prunesim::test::write_runner(d, "", "echo \"$*\" >> " + d + "/ran.log\nsleep \"${RUNNER_DELAY:-0}\"\n");
  prunesim::sim::SweepSpec spec;
  spec.add_grid("pe.rows=8,12,16,20,24,28");
  const auto points = prunesim::sim::plan_sweep(spec, prunesim::sim::ConfigSchema());
  prunesim::sim::SweepOptions opt{d + "/s", 1, 0, false, d + "/runner.sh"};
  prunesim::sim::write_manifest(opt.out_dir, spec, points);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setenv("RUNNER_DELAY", "0.4", 1);
    prunesim::sim::run_sweep_points(spec, points, opt);
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  kill(child, SIGKILL);  // the sweep dies mid-point
  waitpid(child, nullptr, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // let an orphaned point finish writing
  const auto before = lines(d + "/s/results.jsonl");
  ASSERT_GT(before.size(), 0u);
  ASSERT_LT(before.size(), 6u);
  std::set<std::string> done;
  for (const auto& r : before) done.insert(r["swept"]["pe.rows"].get<std::string>());
  std::remove((d + "/ran.log").c_str());
  opt.resume = true;
  EXPECT_EQ(prunesim::sim::run_sweep_points(spec, points, opt), 0u);
  prunesim::sim::merge_sweep(opt.out_dir, points);
  // Only the missing points ran again, and the merged output has every point once, in order.
  std::istringstream ran(read_file(d + "/ran.log"));
  size_t reruns = 0;
  for (std::string l; std::getline(ran, l);) {
    ++reruns;
    for (const auto& v : done) EXPECT_EQ((l + " ").find("pe.rows=" + v + " "), std::string::npos) << l;
  }
  EXPECT_EQ(reruns, 6 - before.size());
  const auto after = lines(d + "/s/results.jsonl");
  ASSERT_EQ(after.size(), 6u);
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(after[i]["index"], i);
  const std::string csv = read_file(d + "/s/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7);
}

TEST(SweepBackend, BadBackendKeysAreRefusedBeforeAnythingIsPlanned) {
  const std::string d = prunesim::test::temp_dir();
  const std::string sweep = "sweep --out " + d + "/s --grid pe.rows=16,32 ";
  struct Case {
    std::string flags, message;
  };
  write_file(d + "/typo.ini", "[slrum]\npartition = short\n");
  write_file(d + "/bare.ini", "partition = short\n");
  const std::vector<Case> cases = {
      {"--backend pbs", "--backend 'pbs': expected one of local|slurm"},
      {"--backend slurm --backend-set slurm.partiton=short",
       "backend key 'slurm.partiton' is unknown (expected one of slurm.partition, slurm.account"},
      {"--backend slurm --backend-set slurm.time=soon",
       "slurm.time: expected minutes or [D-]HH:MM:SS, got 'soon'"},
      {"--backend slurm --backend-set slurm.mem=lots", "slurm.mem: expected a size N[K|M|G|T], got 'lots'"},
      {"--backend slurm --backend-set 'slurm.partition=a b'", "slurm.partition: expected a partition name"},
      {"--backend slurm --backend-set 'slurm.sbatch_flags=--qos=high;rm'",
       "slurm.sbatch_flags: '--qos=high;rm' is not"},
      {"--backend slurm --backend-set slurm.cpus_per_task=0",
       "slurm.cpus_per_task: expected an integer in [1, 256]"},
      {"--backend slurm --backend-set slurm.chunk", "--backend-set 'slurm.chunk': expected KEY=VALUE"},
      {"--backend slurm --backend-config " + d + "/typo.ini",
       d + "/typo.ini:2: section of 'slrum.partition'"},
      {"--backend slurm --backend-config " + d + "/bare.ini",
       d + "/bare.ini:1: 'partition' is outside a [backend]"},
  };
  for (const auto& c : cases) {
    const auto r = run_prunesim(sweep + c.flags);
    EXPECT_EQ(r.status, 2) << c.flags << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.flags << "\n" << r.err;
    EXPECT_FALSE(exists(d + "/s/manifest.json")) << c.flags;
  }
}

TEST(SweepBackend, SlurmWithoutASlurmClientSaysSo) {
  const std::string d = prunesim::test::temp_dir();
  const char* path = std::getenv("PATH");
  const std::string saved = path ? path : "";
  setenv("PATH", (d + "/nothing-here").c_str(), 1);
  const auto r = run_prunesim("sweep --out " + d + "/s --grid pe.rows=16,32 --backend slurm");
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--backend slurm: sbatch does not run here: sbatch: not found on PATH"),
            std::string::npos)
      << r.err;
}

TEST(SweepBackend, AStoppedSweepRecordsNoPointItWasRunningAndResumeRunsThem) {
  // SIGTERM (a scheduler ending a task, or the user) mid-sweep: finished points stay recorded, the running
  // ones are killed and not recorded as crashes, and the process ends by the signal.
  const std::string d = prunesim::test::temp_dir();
  prunesim::test::write_runner(d, "  *pe.rows=32*) exec sleep 60 ;;\n");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(PRUNESIM_BINARY, PRUNESIM_BINARY, "sweep", "--out", (d + "/s").c_str(), "--grid",
          "pe.rows=16,32,64", "--runner", (d + "/runner.sh").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string results = d + "/s/results.jsonl";
  for (int i = 0; i < 300 && read_file(results).find("\"index\":0") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // point 1 (sleeping) is running now
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  const auto res = lines(results);
  ASSERT_EQ(res.size(), 1u) << read_file(results);
  EXPECT_EQ(res[0]["index"], 0);
  EXPECT_EQ(res[0]["status"], "ok");
  const auto r = run_prunesim("sweep --out " + d + "/s --grid pe.rows=16,32,64 --resume");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(results).size(), 3u);
}

TEST(SweepBackend, APointNeverOutlivesItsSweep) {
  // A scheduler that finds a task still running after its grace time SIGKILLs it, and a sweep cannot
  // handle that: its running points must die with it, not run on reparented, out of the task's reach.
  const std::string d = prunesim::test::temp_dir();
  const std::string tag = "prunesim-orphan-check-" + d.substr(d.rfind('/') + 1);
  prunesim::test::write_runner(d, "  *pe.rows=32*) exec -a " + tag + " sleep 60 ;;\n");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(PRUNESIM_BINARY, PRUNESIM_BINARY, "sweep", "--out", (d + "/s").c_str(), "--grid", "pe.rows=16,32",
          "--runner", (d + "/runner.sh").c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  auto hanging = [&tag] { return std::system(("pgrep -f '^" + tag + "' >/dev/null").c_str()) == 0; };
  for (int i = 0; i < 300 && !hanging(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(hanging()) << "the hanging point never started";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  for (int i = 0; i < 100 && hanging(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const bool outlived = hanging();
  std::system(("pkill -KILL -f '^" + tag + "'").c_str());
  EXPECT_FALSE(outlived) << "the point outlived its SIGKILLed sweep";
}

// #21: a resumed sweep whose grid changed reuses records by configuration hash, never by index: a point's
// index may now hold another configuration, and a configuration may have run under another index.
TEST(Sweep, ResumeAfterAGridChangeMatchesRecordsByConfigurationNotByIndex) {
  const std::string d = prunesim::test::temp_dir() + "/s";
  ASSERT_EQ(run_prunesim("sweep --out " + d + " --grid pe.rows=8,16").status, 0);
  const auto before = lines(d + "/results.jsonl");
  const auto r = run_prunesim("sweep --out " + d + " --grid pe.rows=16,32 --resume");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("2 of 2 points recorded"), std::string::npos) << r.out;
  const auto res = lines(d + "/results.jsonl");
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0]["swept"]["pe.rows"], "16");
  EXPECT_EQ(res[0]["hash"], before[1]["hash"]);        // pe.rows=16 ran as point 1 before: reused
  EXPECT_EQ(res[0]["metrics"], before[1]["metrics"]);  // with its own numbers, not pe.rows=8's
  const auto fresh = run_prunesim("sweep --out " + d + "-fresh --grid pe.rows=16,32");
  ASSERT_EQ(fresh.status, 0);
  EXPECT_EQ(read_file(d + "/results.csv"), read_file(d + "-fresh/results.csv"));
}

TEST(Sweep, OverflowingNanAndDuplicateGridsAreErrorsNotEmptySweeps) {
  const std::string d = prunesim::test::temp_dir() + "/s";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--grid pe.rows=1:1e300:1", "--grid pe.rows=1:1e300:1: more than 100,000 values"},
      {"--grid pe.rows=nan:3:1", "expected start:stop:step of finite numbers"},
      {"--grid pe.rows=1:inf:1", "expected start:stop:step of finite numbers"},
      {"--grid pe.rows=1:65536:1 --grid pe.cols=1:65536:1 --grid clock.mhz=1:65536:1 --grid "
       "ddr.tRCD=1:65536:1",
       "sweep: more than 1,000,000 points"},
      {"--grid pe.rows=16,32 --grid pe.rows=8", "sweep: key 'pe.rows' is swept twice"},
      {"--grid pe.rows=16,32 --zip pe.rows=8,16", "sweep: key 'pe.rows' is swept twice"},
  };
  for (const auto& [flags, message] : cases) {
    const auto r = run_prunesim("sweep --out " + d + " " + flags);
    EXPECT_EQ(r.status, 2) << flags;
    EXPECT_NE(r.err.find(message), std::string::npos) << flags << ": " << r.err;
    EXPECT_FALSE(exists(d + "/manifest.json")) << flags;
  }
}

TEST(Sweep, AFailedPointMakesTheSweepExit4UnlessFailOnErrorIsOff) {
  const std::string d = prunesim::test::temp_dir();
  prunesim::test::write_runner(d, "  *pe.rows=32*) kill -SEGV $$ ;;\n");
  auto r = run_prunesim("sweep --out " + d + "/a --grid pe.rows=16,32 --runner " + d + "/runner.sh");
  EXPECT_EQ(r.status, 4);
  EXPECT_NE(r.out.find("2 of 2 points recorded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 point did not succeed (1 crashed)"), std::string::npos) << r.out;
  r = run_prunesim("sweep --out " + d + "/b --grid pe.rows=16,32 --fail-on-error=false --runner " + d +
                   "/runner.sh");
  EXPECT_EQ(r.status, 0) << r.out;
}

// #20: without --runner, a point runs in a forked copy of the sweep instead of a process of its own; what it
// records must be what a separately started `prunesim run` (here behind a wrapper, so it is exec'd) records.
TEST(Sweep, ForkedPointsRecordWhatSeparatelyStartedRunsRecord) {
  const std::string d = prunesim::test::temp_dir();
  prunesim::test::write_runner(d, "");
  const std::string grid = " --grid pe.rows=16,32 --grid clock.mhz=200,300 -j 2";
  auto r = run_prunesim("sweep --out " + d + "/forked" + grid);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_prunesim("sweep --out " + d + "/spawned" + grid + " --runner " + d + "/runner.sh");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_file(d + "/forked/results.jsonl"), read_file(d + "/spawned/results.jsonl"));
  EXPECT_EQ(read_file(d + "/forked/results.csv"), read_file(d + "/spawned/results.csv"));
  // The whole report of a point, but for the command line that names the output directory.
  auto report = [&](const std::string& run) {
    json j = json::parse(read_file(d + "/" + run + "/points/3.json"));
    j.erase("command_line");
    return j.dump();
  };
  EXPECT_EQ(report("forked"), report("spawned"));
}

// A forked point that runs too long is killed and recorded as a timeout, and the others still run.
TEST(Sweep, AForkedPointPastItsTimeoutIsKilledAndRecorded) {
  const std::string d = prunesim::test::temp_dir() + "/s";
  const auto r = run_prunesim("sweep --out " + d +
                              " --set workload.model=gpt2 --set workload.seq=64 --grid workload.decode=0,960 "
                              "--point-timeout 2 -j 2");
  EXPECT_EQ(r.status, 4) << r.err;
  const auto res = lines(d + "/results.jsonl");
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[0]["status"], "ok");
  EXPECT_EQ(res[1]["status"], "timeout");
}
