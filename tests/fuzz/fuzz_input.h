#pragma once
// Shared by the libFuzzer harnesses (tests/fuzz/README.md says how to run them).
//
// The oracle is the CLI's exit-status rule (prunesim/common/error.h): a reader that refuses bad input throws
// InputError, which the CLI turns into exit 2, and that is the right answer to a malformed file. Any other
// exception would reach the CLI's "internal error" exit 1, so it is a finding, and so are crashes,
// sanitizer reports, hangs (-timeout) and memory past -rss_limit_mb.
#include <unistd.h>

#include <boost/program_options/errors.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "prunesim/common/error.h"

namespace prunesim::fuzz {

// The readers take paths, as the CLI hands them: each input is written to a file in a directory of this
// process's own, removed at exit.
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/prunesim-fuzz-XXXXXX";
    if (!mkdtemp(templ.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    static const std::string keep = templ;
    std::atexit([] { std::filesystem::remove_all(keep); });
    return templ;
  }();
  return dir;
}

inline std::string write_input(const std::string& name, std::string_view bytes) {
  const std::string path = scratch_dir() + "/" + name;
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), std::streamsize(bytes.size()));
  if (!os.flush()) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

// The input cut at its first NUL byte (text formats never hold one) into a head and the rest.
inline std::pair<std::string_view, std::string_view> split_at_nul(const uint8_t* data, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  const size_t nul = all.find('\0');
  if (nul == std::string_view::npos) return {all, {}};
  return {all.substr(0, nul), all.substr(nul + 1)};
}

// Stops the run, with what escaped, as a sanitizer would.
[[noreturn]] inline void finding(const char* what, const char* detail) {
  std::fprintf(stderr, "==prunesim-fuzz== FINDING: %s: %s\n", what, detail);
  std::abort();
}

// Runs `f` as the CLI would: the errors it maps to exit 2 are the expected answers to bad input.
template <class F>
void as_cli(F&& f) {
  try {
    f();
  } catch (const InputError&) {
  } catch (const boost::program_options::error&) {
  } catch (const std::bad_alloc&) {  // the CLI's exit 2 "out of memory"; ASan's limits catch the large ones
  } catch (const std::exception& e) {
    finding(typeid(e).name(), e.what());
  } catch (...) {
    finding("non-standard exception", "");
  }
}

}  // namespace prunesim::fuzz
