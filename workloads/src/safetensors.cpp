#include "prunesim/workloads/safetensors.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "prunesim/common/error.h"
#include "prunesim/workloads/io.h"

namespace prunesim::workloads {

namespace {

uint32_t dtype_size(const std::string& d) {
  if (d == "F32") return 4;
  if (d == "F16" || d == "BF16") return 2;
  if (d == "I8") return 1;
  return 0;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) mant <<= 1, --exp;
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// A JSON array of whole numbers. nlohmann converts a float such as 7.8e87 to an integer type by a plain cast
// (undefined behaviour, found by fuzz_hf_model), so every element is checked to be an integer, and
// non-negative, first.
std::vector<uint64_t> whole_numbers(const nlohmann::json& v, const std::string& what) {
  if (!v.is_array()) throw std::invalid_argument(what + " must be an array of whole numbers");
  std::vector<uint64_t> out;
  for (const auto& e : v) {
    if (!e.is_number_integer() || (!e.is_number_unsigned() && e.get<int64_t>() < 0))
      throw std::invalid_argument(what + " must hold non-negative whole numbers, not " + e.dump());
    out.push_back(e.get<uint64_t>());
  }
  return out;
}

}  // namespace

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (auto d : shape) n *= uint64_t(d);
  return n;
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  std::ifstream is(path, std::ios::binary | std::ios::ate);
  if (!is) throw InputError(path + ": cannot open safetensors file");
  const uint64_t size = uint64_t(is.tellg());
  is.seekg(0);
  auto fail = [&path](const std::string& what) { throw InputError(path + ": " + what); };
  if (size < 8) fail("too short for a safetensors header (" + std::to_string(size) + " bytes)");
  uint8_t len_bytes[8];
  is.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = header_len << 8 | len_bytes[i];
  if (header_len > size - 8)
    fail("header length " + std::to_string(header_len) + " runs past the end of the file (" +
         std::to_string(size) + " bytes)");
  std::string header(header_len, '\0');
  is.read(header.data(), std::streamsize(header_len));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(header);
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("header is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail("header is not a JSON object");
  SafetensorsFile f;
  f.path_ = path;
  const uint64_t data_size = size - 8 - header_len;
  for (const auto& [name, t] : j.items()) {
    if (name == "__metadata__") continue;
    const std::string where_ = "tensor '" + name + "': ";
    if (!t.is_object() || !t.contains("dtype") || !t.contains("shape") || !t.contains("data_offsets"))
      fail(where_ + "needs dtype, shape and data_offsets");
    TensorInfo info;
    try {
      info.dtype = t.at("dtype").get<std::string>();
      for (uint64_t d : whole_numbers(t.at("shape"), "shape")) {
        if (d > uint64_t(INT64_MAX)) fail(where_ + "dimension " + std::to_string(d) + " is too large");
        info.shape.push_back(int64_t(d));
      }
      const auto off = whole_numbers(t.at("data_offsets"), "data_offsets");
      if (off.size() != 2) fail(where_ + "data_offsets must be [begin, end]");
      info.begin = off[0];
      info.end = off[1];
    } catch (const nlohmann::json::exception& e) {
      fail(where_ + e.what());
    } catch (const std::invalid_argument& e) {
      fail(where_ + e.what());
    }
    const uint32_t es = dtype_size(info.dtype);
    if (!es) fail(where_ + "dtype " + info.dtype + " is not supported (F32, F16, BF16, I8)");
    if (info.begin > info.end || info.end > data_size)
      fail(where_ + "data_offsets [" + std::to_string(info.begin) + ", " + std::to_string(info.end) +
           "] fall outside the " + std::to_string(data_size) + "-byte data section");
    // The element count, checked: a wrapped product could match the byte span by accident.
    uint64_t bytes = es;
    for (int64_t d : info.shape)
      if (__builtin_mul_overflow(bytes, uint64_t(d), &bytes))
        fail(where_ + "shape x dtype overflows 64 bits");
    if (bytes != info.end - info.begin)
      fail(where_ + "shape x dtype is " + std::to_string(bytes) + " bytes but data_offsets span " +
           std::to_string(info.end - info.begin));
    f.tensors_[name] = info;
  }
  f.data_.resize(data_size);
  is.read(reinterpret_cast<char*>(f.data_.data()), std::streamsize(data_size));
  if (uint64_t(is.gcount()) != data_size) fail("truncated data section");
  return f;
}

const TensorInfo& SafetensorsFile::info(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw InputError(path_ + ": missing tensor '" + name + "'");
  return it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> n;
  for (const auto& [name, t] : tensors_) n.push_back(name);
  return n;
}

std::vector<float> SafetensorsFile::floats(const std::string& name) const {
  const TensorInfo& t = info(name);
  std::vector<float> out(t.elements());
  const uint8_t* p = data_.data() + t.begin;
  for (size_t i = 0; i < out.size(); ++i) {
    if (t.dtype == "F32") {
      uint32_t bits = uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8 | uint32_t(p[4 * i + 2]) << 16 |
                      uint32_t(p[4 * i + 3]) << 24;
      std::memcpy(&out[i], &bits, 4);
    } else if (t.dtype == "F16") {
      out[i] = half_to_float(uint16_t(p[2 * i] | p[2 * i + 1] << 8));
    } else if (t.dtype == "BF16") {
      const uint32_t bits = uint32_t(p[2 * i] | p[2 * i + 1] << 8) << 16;
      std::memcpy(&out[i], &bits, 4);
    } else {
      out[i] = float(int8_t(p[i]));
    }
  }
  return out;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors) {
  nlohmann::json h = nlohmann::json::object();
  uint64_t off = 0;
  for (const auto& t : tensors) {
    const uint64_t bytes = t.values.size() * 4;
    h[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {off, off + bytes}}};
    off += bytes;
  }
  std::string header = h.dump();
  while (header.size() % 8) header += ' ';  // the format pads the header with spaces
  std::string out;
  out.reserve(8 + header.size() + off);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(char(n >> (8 * i) & 0xff));
  out += header;
  for (const auto& t : tensors)
    for (float v : t.values) {
      uint32_t bits;
      std::memcpy(&bits, &v, 4);
      for (int i = 0; i < 4; ++i) out.push_back(char(bits >> (8 * i) & 0xff));
    }
  write_file_atomic(path, out);  // never a half-written file under the final name
}

}  // namespace prunesim::workloads
