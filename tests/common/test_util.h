#pragma once
// Helpers shared by the tests.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

// Whether this build runs under AddressSanitizer: GCC says so with __SANITIZE_ADDRESS__, clang with
// __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define PRUNESIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRUNESIM_ASAN 1
#endif
#endif

namespace prunesim::test {

namespace detail {
// The directories temp_dir() made in this process, removed with their contents when it exits: a nightly
// `make test` runs ~500 test processes and must not leave their files behind. Only the process that made
// a directory removes it (a forked child that exits must not pull it from under its parent), and
// PRUNESIM_KEEP_TEST_DIRS=1 keeps them all, to look at what a failing test wrote.
struct Scratch {
  std::vector<std::string> dirs;
  const pid_t owner = getpid();
  ~Scratch() {
    const char* keep = std::getenv("PRUNESIM_KEEP_TEST_DIRS");
    if (getpid() != owner || (keep && *keep && std::string(keep) != "0")) return;
    for (const std::string& d : dirs) {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    }
  }
};
inline Scratch& scratch() {
  static Scratch s;
  return s;
}
}  // namespace detail

// A fresh directory under $TMPDIR (else /tmp), removed when the test process ends (see detail::Scratch).
inline std::string temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/prunesim-test-XXXXXX";
  if (!mkdtemp(path.data())) {
    std::perror(("prunesim tests: mkdtemp " + path).c_str());
    std::abort();  // never fall back to a shared directory: it would be removed at exit
  }
  detail::scratch().dirs.push_back(path);
  return path;
}

inline std::string read_file(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  std::ostringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream os(path, std::ios::binary);
  os << text;
}

inline bool file_exists(const std::string& path) {
  return std::ifstream(path).good();
}

struct CommandResult {
  int status = -1;
  std::string out, err;
};

// Runs the built prunesim with `args` (shell words), capturing stdout and stderr.
inline CommandResult run_prunesim(const std::string& args) {
  const std::string dir = temp_dir();
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const std::string cmd = std::string(PRUNESIM_BINARY) + " " + args + " >" + out + " 2>" + err;
  const int rc = std::system(cmd.c_str());
  CommandResult r;
  r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

// A stand-in for prunesim at each sweep point (`--runner`): DIR/runner.sh runs `before` (bash) for every
// point, then the `case "$*" in` arms (e.g. "  *pe.rows=32*) exec sleep 60 ;;\n") for the points it treats
// apart, and execs prunesim for the rest. Returns its path.
inline std::string write_runner(const std::string& dir, const std::string& arms,
                                const std::string& before = "") {
  const std::string path = dir + "/runner.sh";
  write_file(path, "#!/bin/bash\n" + before + "case \"$*\" in\n" + arms + "esac\nexec " +
                       std::string(PRUNESIM_BINARY) + " \"$@\"\n");
  chmod(path.c_str(), 0755);
  return path;
}

inline std::string source_path(const std::string& rel) {
  return std::string(PRUNESIM_SOURCE_DIR) + "/" + rel;
}

}  // namespace prunesim::test
