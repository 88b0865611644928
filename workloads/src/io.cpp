#include "prunesim/workloads/io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "prunesim/common/error.h"

namespace prunesim {

void write_files_atomic(const std::vector<StreamedOutput>& files) {
  std::vector<std::string> written;
  auto discard = [&] {
    for (const auto& t : written) std::remove(t.c_str());
  };
  for (const auto& f : files) {
    const std::string tmp = f.path + ".partial";
    std::ofstream os(tmp, std::ios::binary);
    if (!os) {
      discard();
      throw InputError(f.path + ": cannot open for writing");
    }
    written.push_back(tmp);
    try {
      f.write(os);
    } catch (...) {
      os.close();
      discard();
      throw;
    }
    os.flush();
    if (!os) {
      discard();
      throw InputError(f.path + ": write failed");
    }
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (std::rename(written[i].c_str(), files[i].path.c_str()) != 0) {
      for (size_t k = i; k < written.size(); ++k) std::remove(written[k].c_str());
      throw InputError(files[i].path + ": cannot move the finished file into place");
    }
}

void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files) {
  std::vector<StreamedOutput> streamed;
  for (const auto& [path, content] : files)
    streamed.push_back({path, [&content = content](std::ostream& os) { os << content; }});
  write_files_atomic(streamed);
}

void check_writable(const std::string& path, const std::string& flag) {
  const std::string probe = path + ".partial";
  const bool ok = static_cast<bool>(std::ofstream(probe, std::ios::binary));
  const int err = errno;  // before the directory check can change it
  if (ok) std::remove(probe.c_str());
  std::error_code ec;
  const bool directory = std::filesystem::is_directory(path, ec);
  if (!ok || directory)
    throw InputError(flag + " " + path + ": cannot write there (" +
                     (directory ? std::string("a directory") : std::string(std::strerror(err))) + ")");
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_files_atomic({{path, content}});
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
