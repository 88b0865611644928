#include "onnx_graph.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include <onnx/checker.h>
#include <onnx/defs/schema.h>

#include "prunesim/common/error.h"

namespace prunesim::workloads::onnx_import {

namespace {

// The opsets whose operator signatures the import reads (Split's sizes and Squeeze's axes moved from
// attributes to inputs at 13; ReduceMean's axes at 18): tested on 13, 14 and 17.
constexpr int64_t kMinOpset = 11, kMaxOpset = 20;

bool is_float_type(int32_t t) {
  using T = onnx::TensorProto;
  return t == T::FLOAT || t == T::FLOAT16 || t == T::DOUBLE || t == T::BFLOAT16;
}

}  // namespace

Graph::Graph(const std::string& path) : path_(path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) throw InputError(path + ": cannot open the ONNX file");
  std::ostringstream bytes;
  bytes << is.rdbuf();
  const std::string data = bytes.str();
  if (data.empty() || !model_.ParseFromString(data))
    throw InputError(path + ": not a valid ONNX model (the protobuf does not parse: the file is truncated, " +
                     "damaged or not ONNX)");
  if (!model_.has_graph() || model_.graph().node_size() == 0)
    throw InputError(path + ": the ONNX model has no graph nodes (truncated, or not a model file)");
  for (const auto& o : model_.opset_import())
    if (is_standard_domain(o.domain())) opset_ = o.version();
  if (opset_ < kMinOpset || opset_ > kMaxOpset)
    throw InputError(path + ": ONNX opset " + std::to_string(opset_) + " is not supported (opsets " +
                     std::to_string(kMinOpset) + " through " + std::to_string(kMaxOpset) +
                     "; re-export with opset_version=17)");
  const onnx::GraphProto& g = model_.graph();
  for (const auto& t : g.initializer()) read_constant(t, "initializer '" + t.name() + "'");
  for (const auto& in : g.input())
    if (!constants_.count(in.name())) inputs_[in.name()] = &in;
  for (size_t i = 0; i < size(); ++i) {
    const onnx::NodeProto& n = node(i);
    verify_signature(i);
    for (const auto& in : n.input()) {
      if (in.empty()) continue;  // an optional input left out
      if (!constants_.count(in) && !inputs_.count(in) && !producer_.count(in)) {
        bool later = false;
        for (size_t j = i + 1; j < size() && !later; ++j)
          for (const auto& o : node(j).output()) later |= o == in;
        throw InputError(path + ": " + where(i) + ": input '" + in + "' is " +
                         (later ? "produced only by a later node (the graph is not topologically sorted)"
                                : "neither an initializer, a graph input nor another node's output (a "
                                  "missing initializer?)"));
      }
      consumers_[in].push_back(i);
    }
    for (const auto& out : n.output()) {
      if (out.empty()) continue;
      if (producer_.count(out) || constants_.count(out) || inputs_.count(out))
        throw InputError(path + ": " + where(i) + ": output '" + out + "' is defined twice");
      producer_[out] = i;
    }
    if (n.op_type() == "Constant" && n.domain().empty()) {
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t()) {
          onnx::TensorProto t = a.t();
          t.set_name(n.output(0));
          constant_protos_.push_back(std::move(t));
        }
    }
  }
  for (const auto& t : constant_protos_) read_constant(t, "Constant '" + t.name() + "'");
  mark_activations();
}

void Graph::verify_signature(size_t i) const {
  // The import reads a node's inputs, outputs and attributes by position, so each node is first checked
  // against its operator's schema at the model's opset (the ONNX library's own: input and output counts,
  // attribute types, required attributes), as onnx.checker would. Ops outside the standard domain have no
  // schema here; the import maps only Gelu/FastGelu among them, and reads one input and one output.
  const onnx::NodeProto& n = node(i);
  const bool standard = is_standard_domain(n.domain());
  const onnx::OpSchema* schema =
      standard ? onnx::OpSchemaRegistry::Schema(n.op_type(), int(opset_), "") : nullptr;
  if (schema) {
    try {
      schema->Verify(n);
    } catch (const onnx::checker::ValidationError& e) {
      std::string what = e.what();
      if (const auto cut = what.find("\n\n==>"); cut != std::string::npos)
        what.resize(cut);  // drops the node dump
      throw InputError(path_ + ": " + where(i) + " does not match the " + n.op_type() +
                       " operator at opset " + std::to_string(opset_) + ": " + what);
    }
  } else if (n.op_type().empty()) {
    throw InputError(path_ + ": " + where(i) + " has no op_type");
  } else if (standard) {
    throw InputError(path_ + ": " + where(i) + ": no operator " + n.op_type() + " exists at ONNX opset " +
                     std::to_string(opset_));
  }
  if (n.output_size() == 0 || n.output(0).empty())
    throw InputError(path_ + ": " + where(i) + " has no output");
  if (!standard && n.input_size() == 0) throw InputError(path_ + ": " + where(i) + " has no input");
}

std::string Graph::node_name(size_t i) const {
  const onnx::NodeProto& n = node(i);
  return n.name().empty() ? (n.output_size() ? n.output(0) : "#" + std::to_string(i)) : n.name();
}

std::string Graph::where(size_t i) const {
  const onnx::NodeProto& n = node(i);
  const std::string name = node_name(i);
  return "node '" + name + "'" + (n.op_type().empty() ? "" : " (" + qualified_op(n) + ")");
}

void Graph::read_constant(const onnx::TensorProto& t, const std::string& owner) {
  Constant c;
  c.proto = &t;
  c.path = &path_;
  c.owner = owner;
  uint64_t elements = 1;
  for (auto d : t.dims()) {
    if (d < 0) throw InputError(path_ + ": " + owner + " has a negative dimension");
    // The element count is what every later size check compares with: it must not wrap (fuzz_onnx gave
    // dims whose product passes 2^64).
    if (__builtin_mul_overflow(elements, uint64_t(d), &elements))
      throw InputError(path_ + ": " + owner + ": its dimensions multiply past 2^64 elements");
    c.dims.push_back(d);
  }
  constants_[t.name()] = std::move(c);
}

std::optional<size_t> Graph::producer(const std::string& t) const {
  auto it = producer_.find(t);
  if (it == producer_.end()) return std::nullopt;
  return it->second;
}

const std::vector<size_t>& Graph::consumers(const std::string& t) const {
  static const std::vector<size_t> none;
  auto it = consumers_.find(t);
  return it == consumers_.end() ? none : it->second;
}

const Constant* Graph::constant(const std::string& t) const {
  auto it = constants_.find(t);
  return it == constants_.end() ? nullptr : &it->second;
}

std::optional<double> Graph::scalar(const std::string& t) const {
  const Constant* c = constant(t);
  if (!c || c->elements() != 1) return std::nullopt;
  return c->doubles().at(0);
}

std::vector<int64_t> Graph::input_dims(const std::string& t) const {
  std::vector<int64_t> dims;
  auto it = inputs_.find(t);
  if (it == inputs_.end() || !it->second->type().has_tensor_type()) return dims;
  for (const auto& d : it->second->type().tensor_type().shape().dim())
    dims.push_back(d.has_dim_value() && d.dim_value() > 0 ? d.dim_value() : -1);
  return dims;
}

void Graph::mark_activations() {
  for (const auto& [name, in] : inputs_)
    if (in->type().has_tensor_type() && is_float_type(in->type().tensor_type().elem_type()))
      activations_.insert(name);
  for (size_t i = 0; i < size(); ++i) {
    const onnx::NodeProto& n = node(i);
    const std::string& op = n.op_type();
    if (op == "Shape" || op == "Size" || op == "ConstantOfShape" || op == "Range" || op == "Constant")
      continue;
    bool active = false;
    // The data operand of the ops whose other inputs are shapes, indices or conditions.
    std::vector<int> data = {0};
    if (op == "Where") data = {1, 2};
    if (op == "Gather" && n.input_size() >= 2) {
      // A lookup in an embedding table (a float initializer) by token ids is where activations begin.
      const Constant* table = constant(n.input(0));
      if (table && table->dims.size() == 2 && table->floating()) active = true;
    }
    const bool data_only = op == "Reshape" || op == "Expand" || op == "Slice" || op == "Tile" ||
                           op == "Gather" || op == "Where" || op == "Pad" || op == "Resize" ||
                           op == "Squeeze" || op == "Unsqueeze";
    for (int k = 0; k < n.input_size(); ++k) {
      if (data_only && std::find(data.begin(), data.end(), k) == data.end()) continue;
      active |= activations_.count(n.input(k)) != 0;
    }
    if (active)
      for (const auto& o : n.output())
        if (!o.empty()) activations_.insert(o);
  }
}

std::optional<std::vector<std::optional<int64_t>>> Graph::partial_ints(const std::string& t) const {
  using Ints = std::vector<std::optional<int64_t>>;
  if (const Constant* c = constant(t)) {
    if (c->floating()) return std::nullopt;
    Ints v;
    for (int64_t x : c->ints()) v.push_back(x);
    return v;
  }
  auto p = producer(t);
  if (!p) {
    return std::nullopt;
  }
  const onnx::NodeProto& n = node(*p);
  const std::string& op = n.op_type();
  if (op == "Cast" || op == "Identity" || op == "Squeeze" || op == "Unsqueeze")
    return partial_ints(n.input(0));
  if (op == "Gather") {
    // One element of a runtime shape (Shape -> Gather): unknown, but one element long.
    const Constant* idx = constant(n.input(1));
    if (idx && idx->elements() == 1) {
      auto whole = partial_ints(n.input(0));
      const int64_t k = idx->ints().at(0);
      if (whole && k >= -int64_t(whole->size()) && k < int64_t(whole->size()))
        return Ints{(*whole)[size_t(k < 0 ? k + int64_t(whole->size()) : k)]};
      return Ints{std::nullopt};
    }
    return std::nullopt;
  }
  if (op == "Shape" && is_graph_input(n.input(0))) {
    Ints v;
    for (int64_t d : input_dims(n.input(0))) v.push_back(d > 0 ? std::optional<int64_t>(d) : std::nullopt);
    return v.empty() ? std::nullopt : std::optional<Ints>(v);
  }
  if (op == "Concat") {
    Ints v;
    for (const auto& in : n.input()) {
      auto part = partial_ints(in);
      if (!part) return std::nullopt;
      v.insert(v.end(), part->begin(), part->end());
    }
    return v;
  }
  return std::nullopt;
}

namespace {
const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
}  // namespace

int64_t Graph::int_attr(size_t i, const char* name, int64_t fallback) const {
  const auto* a = find_attr(node(i), name);
  return a ? a->i() : fallback;
}

double Graph::float_attr(size_t i, const char* name, double fallback) const {
  const auto* a = find_attr(node(i), name);
  return a ? double(a->f()) : fallback;
}

std::vector<int64_t> Graph::ints_attr(size_t i, const char* name) const {
  const auto* a = find_attr(node(i), name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

std::string Graph::string_attr(size_t i, const char* name, const std::string& fallback) const {
  const auto* a = find_attr(node(i), name);
  return a ? a->s() : fallback;
}

// ---------------------------------------------------------------------------------------------- Constant

uint64_t Constant::elements() const {
  uint64_t n = 1;
  for (auto d : dims) n *= uint64_t(d);
  return n;
}

bool Constant::floating() const {
  return is_float_type(proto->data_type());
}

namespace {

// IEEE half and bfloat16 to float.
float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = man;
      do {
        ++e;
        m <<= 1;
      } while (!(m & 0x400));
      bits = sign | uint32_t(127 - 15 - e) << 23 | (m & 0x3ff) << 13;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | man << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | man << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

std::string Constant::bytes() const {
  const onnx::TensorProto& t = *proto;
  if (t.data_location() != onnx::TensorProto::EXTERNAL) return t.raw_data();
  // External data (models over 2 GB): a file beside the model, at an offset.
  std::string location;
  uint64_t offset = 0, length = 0;
  for (const auto& kv : t.external_data()) {
    try {
      if (kv.key() == "location") location = kv.value();
      if (kv.key() == "offset") offset = std::stoull(kv.value());
      if (kv.key() == "length") length = std::stoull(kv.value());
    } catch (const std::exception&) {
      throw InputError(*path + ": " + owner + ": external data " + kv.key() + " '" + kv.value() +
                       "' is not a number");
    }
  }
  if (location.empty() || location.find("..") != std::string::npos || location[0] == '/')
    throw InputError(*path + ": " + owner + ": external data location '" + location +
                     "' must be a file name beside the model");
  const auto slash = path->find_last_of('/');
  const std::string file =
      (slash == std::string::npos ? std::string() : path->substr(0, slash + 1)) + location;
  std::ifstream is(file, std::ios::binary);
  if (!is) throw InputError(*path + ": " + owner + ": cannot open its external data file " + file);
  is.seekg(0, std::ios::end);
  const uint64_t size = uint64_t(is.tellg());
  if (length == 0) length = size > offset ? size - offset : 0;
  if (offset > size || length > size - offset)
    throw InputError(file + ": " + owner + "'s data (offset " + std::to_string(offset) + ", length " +
                     std::to_string(length) + ") lies beyond the file's " + std::to_string(size) + " bytes");
  std::string data(length, '\0');
  is.seekg(std::streamoff(offset));
  is.read(data.data(), std::streamsize(length));
  return data;
}

namespace {
// `n` little-endian values of type S from raw bytes, each converted to R.
template <typename S, typename R, typename F>
std::vector<R> decode(const std::string& data, uint64_t n, F convert) {
  std::vector<R> v(n);
  for (uint64_t i = 0; i < n; ++i) {
    S x;
    std::memcpy(&x, data.data() + i * sizeof(S), sizeof(S));
    v[i] = convert(x);
  }
  return v;
}
template <typename R>
auto cast_to() {
  return [](auto x) { return R(x); };
}
float bfloat16_to_float(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
}  // namespace

bool Constant::stored_raw() const {
  return proto->has_raw_data() || proto->data_location() == onnx::TensorProto::EXTERNAL;
}

std::string Constant::raw(size_t width) const {
  std::string data = bytes();
  if (data.size() != elements() * width)
    throw InputError(*path + ": " + owner + " holds " + std::to_string(data.size()) +
                     " bytes, its shape needs " + std::to_string(elements() * width));
  return data;
}

void Constant::check_count(uint64_t values) const {
  if (values != elements())
    throw InputError(*path + ": " + owner + " holds " + std::to_string(values) + " values, its shape needs " +
                     std::to_string(elements()));
}

std::vector<float> Constant::floats() const {
  using T = onnx::TensorProto;
  const onnx::TensorProto& t = *proto;
  const uint64_t n = elements();
  const bool raw_data = stored_raw();
  switch (t.data_type()) {
    case T::FLOAT:
      if (raw_data) return decode<float, float>(raw(4), n, cast_to<float>());
      check_count(uint64_t(t.float_data_size()));
      return {t.float_data().begin(), t.float_data().end()};
    case T::DOUBLE:
      if (raw_data) return decode<double, float>(raw(8), n, cast_to<float>());
      check_count(uint64_t(t.double_data_size()));
      return {t.double_data().begin(), t.double_data().end()};
    case T::FLOAT16:
    case T::BFLOAT16: {
      float (*convert)(uint16_t) = t.data_type() == T::BFLOAT16 ? bfloat16_to_float : half_to_float;
      if (raw_data) return decode<uint16_t, float>(raw(2), n, convert);
      check_count(uint64_t(t.int32_data_size()));  // half values travel in int32_data
      std::vector<float> v;
      for (auto h : t.int32_data()) v.push_back(convert(uint16_t(h)));
      return v;
    }
    default: {
      std::vector<float> v;
      for (int64_t x : ints()) v.push_back(float(x));
      return v;
    }
  }
}

std::vector<int64_t> Constant::ints() const {
  using T = onnx::TensorProto;
  const onnx::TensorProto& t = *proto;
  const uint64_t n = elements();
  if (floating()) {
    std::vector<int64_t> v;
    for (float f : floats()) v.push_back(int64_t(f));
    return v;
  }
  const bool raw_data = stored_raw();
  const auto c = cast_to<int64_t>();
  switch (t.data_type()) {
    case T::INT64:
      if (raw_data) return decode<int64_t, int64_t>(raw(8), n, c);
      check_count(uint64_t(t.int64_data_size()));
      return {t.int64_data().begin(), t.int64_data().end()};
    case T::INT32:
    case T::INT16:
    case T::UINT16:
    case T::INT8:
    case T::UINT8:
    case T::BOOL:
      if (raw_data) {
        switch (t.data_type()) {
          case T::INT32: return decode<int32_t, int64_t>(raw(4), n, c);
          case T::INT16: return decode<int16_t, int64_t>(raw(2), n, c);
          case T::UINT16: return decode<uint16_t, int64_t>(raw(2), n, c);
          case T::INT8: return decode<int8_t, int64_t>(raw(1), n, c);
          default: return decode<uint8_t, int64_t>(raw(1), n, c);
        }
      }
      check_count(uint64_t(t.int32_data_size()));  // the narrow integer types travel in int32_data
      return {t.int32_data().begin(), t.int32_data().end()};
    default:
      throw InputError(*path + ": " + owner + " has data type " + std::to_string(t.data_type()) +
                       ", which the import does not read");
  }
}

std::vector<double> Constant::doubles() const {
  std::vector<double> v;
  if (floating()) {
    for (float f : floats()) v.push_back(f);
  } else {
    for (int64_t x : ints()) v.push_back(double(x));
  }
  return v;
}

}  // namespace prunesim::workloads::onnx_import
