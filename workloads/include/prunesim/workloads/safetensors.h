#pragma once
// Reader (and, for tests and tools, writer) of the safetensors format: an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw little-endian tensor bytes.
// Everything is checked against the file: header inside the file, offsets inside the data, shape x dtype
// size equal to the byte range. Supported dtypes: F32, F16, BF16, I8.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace prunesim::workloads {

struct TensorInfo {
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range inside the data section
  uint64_t elements() const;
};

class SafetensorsFile {
 public:
  // Throws InputError naming the file and what is wrong.
  static SafetensorsFile open(const std::string& path);

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  const TensorInfo& info(const std::string& name) const;
  std::vector<std::string> names() const;
  // The tensor converted to float, row-major in its own shape; InputError when missing.
  std::vector<float> floats(const std::string& name) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::map<std::string, TensorInfo> tensors_;
  std::vector<uint8_t> data_;
};

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;  // written as F32
};
// Writes an F32 safetensors file (tensors in name order).
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors);

}  // namespace prunesim::workloads
