#include "prunesim/workloads/io.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "prunesim/common/error.h"

namespace prunesim {

void write_file_atomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".partial";
  {
    std::ofstream os(tmp, std::ios::binary);
    if (!os) throw InputError(path + ": cannot open for writing");
    os << content;
    os.flush();
    if (!os) {
      std::remove(tmp.c_str());
      throw InputError(path + ": write failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot move the finished file into place");
  }
}

std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InputError(path + ": cannot open " + what + " file (no such file)");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path + ": not a " + what + " file (a directory or device)");
  std::ifstream is(path, std::ios::binary | std::ios::ate);
  if (!is) throw InputError(path + ": cannot open " + what + " file");
  std::string text(size_t(is.tellg()), '\0');
  is.seekg(0);
  if (!is.read(text.data(), std::streamsize(text.size())))
    throw InputError(path + ": cannot read " + what + " file");
  return text;
}

}  // namespace prunesim
