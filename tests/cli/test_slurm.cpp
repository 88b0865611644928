// `prunesim sweep --backend slurm` and `explore --backend slurm` against a real single-node Slurm cluster
// (tests/slurm/cluster.sh, started and stopped by ctest fixtures around these tests; SLURM_CONF points at
// it).
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "test_util.h"

using nlohmann::json;
using prunesim::test::read_file;
using prunesim::test::run_prunesim;
using prunesim::test::write_file;

namespace {

// Skips the test, saying why, when the cluster could not be started here (not root).
#define REQUIRE_CLUSTER()                                                                     \
  do {                                                                                        \
    const std::string why = read_file(std::string(PRUNESIM_SLURM_DIR) + "/unavailable");      \
    if (!why.empty()) GTEST_SKIP() << "no local Slurm cluster: " << why;                      \
    ASSERT_TRUE(prunesim::test::file_exists(std::string(PRUNESIM_SLURM_DIR) + "/slurm.conf")) \
        << "tests/slurm/cluster.sh did not start a cluster in " << PRUNESIM_SLURM_DIR;        \
  } while (0)

const std::string kGrid = " --grid pe.rows=8,16,32,64 --grid pe.cols=16,32,64";  // 12 points
// Short polls: the test cluster answers at once.
const std::string kSlurm = " --backend slurm --backend-set slurm.poll_s=0.2";

// A stand-in for prunesim at each point: `hang` points sleep (until a scancel ends them), `crash` points
// die by SIGSEGV after a line on stderr, the rest run prunesim.
std::string runner(const std::string& dir, const std::string& hang, const std::string& crash) {
  return prunesim::test::write_runner(
      dir, (hang.empty() ? "" : "  *\"" + hang + "\"*) exec sleep 300 ;;\n") +
               (crash.empty() ? "" : "  *\"" + crash + "\"*) echo 'about to crash' >&2; kill -SEGV $$ ;;\n"));
}

std::string command_output(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

size_t lines_in(const std::string& path) {
  const std::string s = read_file(path);
  return size_t(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST(Slurm, TwelvePointGridGivesTheLocalBackendsResultsByteForByte) {
  REQUIRE_CLUSTER();
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/local" + kGrid + " -j 2").status, 0);
  // Chunks of 5: three tasks of 5, 5 and 2 points.
  auto r = run_prunesim("sweep --out " + d + "/slurm" + kGrid + kSlurm + " --chunk 5");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("12 of 12 points recorded"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(d + "/slurm/results.csv"), read_file(d + "/local/results.csv"));
  EXPECT_EQ(read_file(d + "/slurm/results.jsonl"), read_file(d + "/local/results.jsonl"));
  EXPECT_EQ(read_file(d + "/slurm/slurm/submit-1/chunks.txt"), "0,1,2,3,4\n5,6,7,8,9\n10,11\n");
  const std::string script = read_file(d + "/slurm/slurm/submit-1/sweep.sbatch");
  EXPECT_NE(script.find("#SBATCH --array=0-2\n"), std::string::npos) << script;
  for (int t = 0; t < 3; ++t)
    EXPECT_EQ(read_file(d + "/slurm/slurm/submit-1/task-" + std::to_string(t) + ".exit"), "0\n") << t;

  // The default chunk: one point timed here, the rest in tasks of about a minute (all in one, so fast).
  r = run_prunesim("sweep --out " + d + "/auto" + kGrid + kSlurm);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.err.find("slurm: point 0 ran here in"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(d + "/auto/slurm/submit-1/chunks.txt"), "1,2,3,4,5,6,7,8,9,10,11\n");
  EXPECT_EQ(read_file(d + "/auto/results.csv"), read_file(d + "/local/results.csv"));
}

TEST(Slurm, SiteFlagsBecomeSbatchLinesAndTheJobStillRuns) {
  REQUIRE_CLUSTER();
  const std::string d = prunesim::test::temp_dir();
  write_file(d + "/site.ini",
             "[slurm]\npartition = test\nmem = 512M\ntime = 10\nsbatch_flags = --comment=prunesim-test "
             "--nice=10\n");
  const auto r = run_prunesim("sweep --out " + d + "/s --grid pe.rows=16,32" + kSlurm + " --backend-config " +
                              d + "/site.ini --backend-set slurm.time=0:05:00 --chunk 1");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const std::string script = read_file(d + "/s/slurm/submit-1/sweep.sbatch");
  for (const char* line :
       {"#SBATCH --partition=test\n", "#SBATCH --mem=512M\n", "#SBATCH --time=0:05:00\n",
        "#SBATCH --comment=prunesim-test\n", "#SBATCH --nice=10\n", "#SBATCH --array=0-1\n"})
    EXPECT_NE(script.find(line), std::string::npos) << line << " not in\n" << script;
  // The flags reached the job: the controller shows the comment.
  const std::string job = read_file(d + "/s/slurm/submit-1/job_id");
  EXPECT_NE(command_output("scontrol show job " + job).find("Comment=prunesim-test"), std::string::npos);
}

TEST(Slurm, ACancelledTaskKeepsItsFinishedPointsAndResumeSubmitsOnlyTheRest) {
  REQUIRE_CLUSTER();
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/local" + kGrid + " -j 2").status, 0);
  // Chunks of 3: task 2 owns points 6, 7, 8 (pe.rows=32); point 7 hangs until the task is cancelled.
  const std::string run = runner(d, "pe.rows=32 --set pe.cols=32", "");
  auto pending = std::async(std::launch::async, [&] {
    return run_prunesim("sweep --out " + d + "/s" + kGrid + kSlurm + " --chunk 3 --runner " + run);
  });
  const std::string results2 = d + "/s/slurm/submit-1/results-2.jsonl";
  for (int i = 0; i < 600 && lines_in(results2) < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(lines_in(results2), 1u) << "task 2 never recorded its first point";
  const std::string job = read_file(d + "/s/slurm/submit-1/job_id");
  ASSERT_FALSE(job.empty());
  std::system(("scancel " + job.substr(0, job.find('\n')) + "_2").c_str());
  const auto r = pending.get();
  EXPECT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("10 of 12 points recorded"), std::string::npos) << r.out;
  EXPECT_NE(
      r.out.find("task 2 of job " + job.substr(0, job.find('\n')) + ": CANCELLED, 1 of 3 points recorded"),
      std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 points not recorded; the same command with --resume runs only them"),
            std::string::npos)
      << r.out;
  // The controller marks the task cancelled at once; slurmd ends its processes a moment later.
  for (int i = 0; i < 150 && !command_output("pgrep -f '^sleep 300'").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(command_output("pgrep -f '^sleep 300'"), "") << "the cancelled point's process outlived its task";

  // Resume: only the two missing points are submitted, and the sweep is whole and the local one's twin.
  const auto again = run_prunesim("sweep --out " + d + "/s" + kGrid + kSlurm + " --chunk 3 --resume");
  ASSERT_EQ(again.status, 0) << again.out << again.err;
  EXPECT_EQ(read_file(d + "/s/slurm/submit-2/chunks.txt"), "7,8\n");
  EXPECT_EQ(read_file(d + "/s/results.csv"), read_file(d + "/local/results.csv"));
  EXPECT_EQ(read_file(d + "/s/results.jsonl"), read_file(d + "/local/results.jsonl"));
}

TEST(Slurm, ACrashingPointIsRecordedAsInALocalRun) {
  REQUIRE_CLUSTER();
  const std::string d = prunesim::test::temp_dir();
  const std::string run = runner(d, "", "pe.rows=16 --set pe.cols=32");  // point 4
  ASSERT_EQ(
      run_prunesim("sweep --out " + d + "/local" + kGrid + " -j 2 --fail-on-error=false --runner " + run)
          .status,
      0);
  const auto r = run_prunesim("sweep --out " + d + "/s" + kGrid + kSlurm + " --chunk 4 --runner " + run);
  // A crash is a record (the sweep is whole, nothing to resume) and a failure of the sweep (exit 4).
  ASSERT_EQ(r.status, 4) << r.out << r.err;
  EXPECT_NE(r.out.find("12 of 12 points recorded"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 point did not succeed (1 crashed)"), std::string::npos) << r.out;
  std::istringstream is(read_file(d + "/s/results.jsonl"));
  std::vector<json> res;
  for (std::string l; std::getline(is, l);) res.push_back(json::parse(l));
  ASSERT_EQ(res.size(), 12u);
  EXPECT_EQ(res[4]["status"], "crashed");
  EXPECT_EQ(res[4]["signal"], 11);
  EXPECT_NE(res[4]["stderr_tail"].get<std::string>().find("about to crash"), std::string::npos);
  for (size_t i = 0; i < 12; ++i) {
    if (i == 4) continue;
    EXPECT_EQ(res[i]["status"], "ok") << i;
  }
  EXPECT_EQ(read_file(d + "/s/results.csv"), read_file(d + "/local/results.csv"));
}

TEST(Slurm, DetachReturnsTheJobAndMergeOnlyCollectsItOnce) {
  REQUIRE_CLUSTER();
  const std::string d = prunesim::test::temp_dir();
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/local" + kGrid + " -j 2").status, 0);
  auto r = run_prunesim("sweep --out " + d + "/s" + kGrid + kSlurm + " --chunk 4 --detach");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  const std::string job = read_file(d + "/s/slurm/submit-1/job_id");
  EXPECT_NE(r.out.find("submitted job " + job.substr(0, job.find('\n'))), std::string::npos) << r.out;
  for (int i = 0; i < 600; ++i) {
    if (command_output("squeue --noheader --jobs=" + job.substr(0, job.find('\n'))).empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  r = run_prunesim("sweep --out " + d + "/s --merge-only");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("12 of 12 points recorded"), std::string::npos) << r.out;
  EXPECT_TRUE(prunesim::test::file_exists(d + "/s/slurm/submit-1/collected"));
  // Merging again changes nothing: no point is counted twice.
  ASSERT_EQ(run_prunesim("sweep --out " + d + "/s --merge-only").status, 0);
  EXPECT_EQ(read_file(d + "/s/results.csv"), read_file(d + "/local/results.csv"));
  EXPECT_EQ(read_file(d + "/s/results.jsonl"), read_file(d + "/local/results.jsonl"));
}

TEST(Slurm, ExploreGivesTheLocalAnswer) {
  REQUIRE_CLUSTER();
  const std::string d = prunesim::test::temp_dir();
  const std::string args =
      " --model deit-small --latency-ms 4 --rungs 2 --prune-grid 'all=block:16x16:{0.2:0.8:0.2}' "
      "--devices " PRUNESIM_SOURCE_DIR "/configs/devices/zcu102.ini," PRUNESIM_SOURCE_DIR
      "/configs/devices/alveo-u250.ini";
  // The same directory name for both: the trace paths are part of each point's configuration hash.
  const auto local = run_prunesim("explore --out " + d + "/local/ex" + args + " -j 2");
  ASSERT_EQ(local.status, 0) << local.err;
  const auto slurm = run_prunesim("explore --out " + d + "/slurm/ex" + args + kSlurm);
  ASSERT_EQ(slurm.status, 0) << slurm.err;
  auto strip_dir = [&](std::string s, const std::string& dir) {
    for (size_t at; (at = s.find(dir)) != std::string::npos;) s.erase(at, dir.size());
    return s;
  };
  EXPECT_EQ(strip_dir(slurm.out, d + "/slurm"), strip_dir(local.out, d + "/local"));
  EXPECT_TRUE(prunesim::test::file_exists(d + "/slurm/ex/slurm/submit-1/sweep.sbatch"));
  EXPECT_EQ(run_prunesim("explore --out " + d + "/x" + args + kSlurm + " --detach").status, 2);
}

TEST(Slurm, TheReadmesBatchScriptIsTheOneWritten) {
  REQUIRE_CLUSTER();
  const std::string readme = read_file(prunesim::test::source_path("README.md"));
  const size_t at = readme.find("```sh\n#!/bin/bash\n");
  ASSERT_NE(at, std::string::npos);
  const size_t body = at + 6;
  std::string shown = readme.substr(body, readme.find("```", body) - body);
  const size_t ini_at = readme.find("```sh\n# site.ini\n");
  ASSERT_NE(ini_at, std::string::npos);
  std::string ini = readme.substr(ini_at + 6, readme.find("```", ini_at + 6) - ini_at - 6);
  // The test cluster's partition is `test`; the README's paths are a user's.
  auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
    for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
      s.replace(p, from.size(), to);
    return s;
  };
  const std::string d = prunesim::test::temp_dir();
  write_file(d + "/site.ini", replace_all(ini, "partition = short", "partition = test"));
  const auto r =
      run_prunesim("sweep --out " + d +
                   "/sw --grid pe.rows=16,32,64 --grid pe.cols=16,32,64 --grid clock.mhz=200,250,300 "
                   "--backend slurm --backend-set slurm.poll_s=0.2 --backend-config " +
                   d + "/site.ini --chunk 8");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  shown = replace_all(shown, "/shared/me/sw", d + "/sw");
  shown = replace_all(shown, "/opt/prunesim/bin/prunesim", PRUNESIM_BINARY);
  shown = replace_all(shown, "--partition=short", "--partition=test");
  EXPECT_EQ(read_file(d + "/sw/slurm/submit-1/sweep.sbatch"), shown);
}
