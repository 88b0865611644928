#pragma once
// An ONNX graph indexed for pattern matching: who produces and who consumes each tensor, the constant
// tensors (initializers and Constant nodes) as numbers, and which tensors carry the model's activations.
// Internal to the ONNX import (onnx_import.cpp).
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace prunesim::workloads::onnx_import {

// The standard ONNX operator domain ("" or "ai.onnx"): its operators have schemas, and the opset is its.
inline bool is_standard_domain(const std::string& domain) {
  return domain.empty() || domain == "ai.onnx";
}
// A node's operator, qualified by its domain outside the standard one ("com.microsoft.Gelu"), so no foreign
// operator reads as the standard one of the same name.
inline std::string qualified_op(const onnx::NodeProto& n) {
  return is_standard_domain(n.domain()) ? n.op_type() : n.domain() + "." + n.op_type();
}

// A constant tensor (an initializer or a Constant node's value), decoded when asked: float, half, bfloat16,
// double or integer data, inline or in an external data file beside the model. Decoding errors name the
// file and the tensor.
struct Constant {
  const onnx::TensorProto* proto = nullptr;
  const std::string* path = nullptr;
  std::string owner;  // "initializer 'NAME'"
  std::vector<int64_t> dims;

  uint64_t elements() const;
  bool floating() const;
  std::vector<float> floats() const;
  std::vector<int64_t> ints() const;
  std::vector<double> doubles() const;

 private:
  bool stored_raw() const;              // raw_data or external data, not the typed fields
  std::string bytes() const;            // raw or external data
  std::string raw(size_t width) const;  // bytes(), checked to hold elements() values of `width` bytes
  void check_count(uint64_t values) const;
};

class Graph {
 public:
  // Parses and indexes the file; InputError names the file and what is wrong (not ONNX, an input no node
  // defines, an unsupported opset).
  explicit Graph(const std::string& path);

  const std::string& path() const { return path_; }
  int64_t opset() const { return opset_; }
  const onnx::GraphProto& proto() const { return model_.graph(); }
  size_t size() const { return size_t(proto().node_size()); }
  const onnx::NodeProto& node(size_t i) const { return proto().node(int(i)); }
  // The node's name, or its first output's when it has none (exporters often leave names out).
  std::string node_name(size_t i) const;
  // "node 'NAME' (OpType)", the way errors name a node.
  std::string where(size_t i) const;

  // The node that produces tensor `t`, if one does (not for inputs and initializers).
  std::optional<size_t> producer(const std::string& t) const;
  const std::vector<size_t>& consumers(const std::string& t) const;
  bool is_constant(const std::string& t) const { return constants_.count(t) != 0; }
  const Constant* constant(const std::string& t) const;
  // A constant single number (a scalar or a one-element tensor).
  std::optional<double> scalar(const std::string& t) const;
  bool is_graph_input(const std::string& t) const { return inputs_.count(t) != 0; }
  // A graph input's dimensions: a value, or -1 when the dimension is symbolic or unknown.
  std::vector<int64_t> input_dims(const std::string& t) const;
  // Activations: what depends on the model's float inputs or on an embedding lookup. Shape computations
  // and masks built from integer inputs are not activations.
  bool is_activation(const std::string& t) const { return activations_.count(t) != 0; }
  // A shape-like integer vector evaluated as far as constants allow (std::nullopt where an element depends
  // on the input's runtime shape). Follows Constant, Concat, Unsqueeze, Squeeze, Cast; nullopt if not
  // evaluable at all.
  std::optional<std::vector<std::optional<int64_t>>> partial_ints(const std::string& t) const;

  // An attribute, or the fallback when the node does not carry it.
  int64_t int_attr(size_t i, const char* name, int64_t fallback) const;
  double float_attr(size_t i, const char* name, double fallback) const;
  std::vector<int64_t> ints_attr(size_t i, const char* name) const;
  std::string string_attr(size_t i, const char* name, const std::string& fallback) const;

 private:
  void verify_signature(size_t i) const;
  void read_constant(const onnx::TensorProto& t, const std::string& owner);
  void mark_activations();

  std::string path_;
  onnx::ModelProto model_;
  int64_t opset_ = 0;
  std::map<std::string, size_t> producer_;
  std::map<std::string, std::vector<size_t>> consumers_;
  std::map<std::string, Constant> constants_;
  std::deque<onnx::TensorProto> constant_protos_;  // Constant nodes' values (a deque: stable addresses)
  std::map<std::string, const onnx::ValueInfoProto*> inputs_;
  std::set<std::string> activations_;
};

}  // namespace prunesim::workloads::onnx_import
