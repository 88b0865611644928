#include "prunesim/workloads/io.h"

#include <cstdio>
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

}  // namespace prunesim
