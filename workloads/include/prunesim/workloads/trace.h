#pragma once
// In-memory form of a workload trace (traces/FORMAT.md): pruned weight matrices with their block
// structure and storage format, then the ops in program order. The simulator needs nothing else.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prunesim/common/enum_names.h"

namespace prunesim::workloads {

enum class StorageFormat { Dense, Bitmap, Csr, Bcsr, Hier };
const char* format_name(StorageFormat f);
StorageFormat parse_format(const std::string& s);  // throws InputError

// Kept blocks of a weight matrix stored out x in (PyTorch Linear layout): rows are output features.
// Per block row, either a bitmap of kept block columns or (for 1x1 "blocks": unstructured and N:M
// pruning) just the count of kept weights, which is all the timing model needs.
struct BlockMask {
  uint32_t block_rows = 1;  // block height (output features)
  uint32_t block_cols = 1;  // block width (input features)
  uint32_t grid_rows = 0;   // ceil(rows / block_rows)
  uint32_t grid_cols = 0;   // ceil(cols / block_cols)
  bool has_bitmap = false;
  std::vector<uint64_t> bits;          // grid_rows * words_per_row(), row-major, when has_bitmap
  std::vector<uint32_t> kept_per_row;  // kept blocks per block row (always filled)

  uint32_t words_per_row() const { return (grid_cols + 63) / 64; }
  bool kept(uint32_t r, uint32_t c) const {
    return (bits[size_t(r) * words_per_row() + c / 64] >> (c % 64)) & 1u;
  }
  void set(uint32_t r, uint32_t c) { bits[size_t(r) * words_per_row() + c / 64] |= uint64_t(1) << (c % 64); }
  uint64_t kept_blocks() const;
};

struct Matrix {
  std::string name;
  std::string kind;  // qkv, proj, fc1, fc2, head, embed, gru_ih, gru_hh
  int layer = -1;
  uint32_t rows = 0;        // output features after structural (head/neuron) pruning
  uint32_t cols = 0;        // input features after structural pruning
  uint32_t dense_rows = 0;  // before any pruning
  uint32_t dense_cols = 0;
  int wbits = 8;
  StorageFormat format = StorageFormat::Dense;
  BlockMask mask;
  // The pruning spec that made the mask (PruneSpec::str(), e.g. "nm:2:4"); empty when the trace does not say.
  // Engines read it to know what structure they may exploit beyond the mask itself (N:M groups).
  std::string pattern;
  uint64_t nnz = 0;    // kept weights (exact, edge blocks counted at their real size)
  uint64_t bytes = 0;  // exact storage bytes: values + indices + pointers

  uint64_t dense_params() const { return uint64_t(dense_rows) * dense_cols; }
  uint64_t stored_params() const { return uint64_t(rows) * cols; }  // positions of the stored matrix
  // Kept weights in block row r, counting edge blocks at their real width/height.
  uint64_t nnz_in_block_row(uint32_t r) const;
  // Elements of the input dimension that block row r streams (kept block columns x their widths).
  uint64_t kept_cols_in_block_row(uint32_t r) const;
  uint32_t block_row_height(uint32_t r) const;
};

enum class OpKind {
  Load,
  Store,
  Gemm,
  Matmul,
  Softmax,
  LayerNorm,
  RmsNorm,
  Gelu,
  Residual,
  Eltwise,
  TokenPrune
};
const char* op_kind_name(OpKind k);
OpKind parse_op_kind(const std::string& s);  // throws InputError

// The trace fields an op kind carries (traces/FORMAT.md, Ops).
enum class OpFields { None, Gemm, Matmul, Rows, Elems, FuncElems, Tokens };
// The unit that runs an op kind: the DMA alone (explicit transfers), the PE array, the vector unit or the
// token-pruning unit.
enum class OpUnit { Dma, Pe, Vector, TokenUnit };
// Everything the tools key on an op kind, one row per kind (workloads/src/trace.cpp): its name in traces, the
// fields it carries, the unit that runs it and, for vector kernels, the passes the kernel streams over each
// value and the operands it reads per value (hls/nonlinear.h). A new kernel is a new row here.
struct OpKindInfo {
  OpKind kind;
  const char* name;
  OpFields fields;
  OpUnit unit;
  uint32_t passes;
  uint32_t inputs;
};
const OpKindInfo& op_kind_info(OpKind k);
const std::vector<OpKindInfo>& op_kinds();  // every kind, in enum order

// What an op computes in its layer, beyond its kind (a gemm may be the QKV or the FC2 projection). The
// compressor names the ops of the layers it builds after their role (op_role_name) and read_trace recovers
// the role from the name, so the functional model and the shape derivation switch on a typed value. Any
// other op (embeddings, heads, hand-written traces) is Other: timed by its kind, not computed functionally.
enum class OpRole {
  Other,
  Ln1,
  AttnQkv,
  AttnQk,
  AttnSoftmax,
  AttnAv,
  AttnProj,
  Residual1,
  TokenTopk,
  Ln2,
  MlpFc1,
  Gelu,
  MlpFc2,
  Residual2,
  GruIh,
  GruHh,
  GruGatesRz,
  GruCandidate,
  GruUpdate,
};
const char* op_role_name(OpRole r);  // the op name that carries the role ("" for Other)
OpRole op_role_of(const std::string& op_name);

struct Op {
  uint32_t id = 0;
  int layer = -1;  // -1: outside the transformer/GRU layers (embeddings, head)
  std::string name;
  OpKind kind = OpKind::Eltwise;
  OpRole role = OpRole::Other;  // from the name (op_role_of)
  // Gemm: Y[m x n] = X[m x k] * W^T, W = matrices[weight] (n x k). Matmul: `count` independent
  // activation x activation products of m x k by k x n (attention heads x batch).
  uint64_t m = 0, k = 0, n = 0;
  uint32_t count = 1;
  std::string weight;
  int abits = 8;
  // Softmax / LayerNorm: `count` x rows x cols. Gelu / Residual / Eltwise: elems.
  uint64_t rows = 0, cols = 0, elems = 0;
  std::string func;  // Eltwise: sigmoid, tanh, mul, add, ...
  // Explicit DRAM traffic that is part of the workload, not of the tiling (inputs, outputs, KV cache).
  uint64_t ddr_read_bytes = 0, ddr_write_bytes = 0;
  // TokenPrune: per sample, tokens in and kept (kept includes class and fused tokens).
  std::vector<uint32_t> tokens_in, tokens_kept;
  uint32_t heads = 0;  // TokenPrune: heads averaged for the class-attention score
  bool fused = false;  // TokenPrune: a fused token is appended

  uint64_t macs(const std::map<std::string, Matrix>& matrices) const;
  uint64_t dense_macs(const std::map<std::string, Matrix>& matrices) const;
};

// A repeated phase of a trace whose ops are made on demand rather than stored: an LLM's decode steps, whose
// op lists differ only in the KV-cache length, are generated step by step as a run reaches them, so a run's
// memory does not grow with the decode length. step() must give the same ops whatever the order steps are
// asked for in (no state carried between steps).
class OpSteps {
 public:
  virtual ~OpSteps() = default;
  // Appends step s's ops to `out`, their ids counting up from first_id.
  virtual void step(size_t s, uint32_t first_id, std::vector<Op>& out) const = 0;
};

// The ops of a trace in program order: stored ops, then optionally `steps` x `per_step` generated ones.
// Read-only access (const operator[], const iteration) leaves the generated ops generated: a const iterator
// makes each step as it reaches it, and operator[] holds the steps it made until release_before() says they
// will not be asked for again. Anything that changes the list stores the generated ops first (materialize).
class OpList {
 public:
  size_t size() const { return stored_.size() + steps_ * per_step_; }
  bool empty() const { return size() == 0; }
  bool generated() const { return steps_ != 0; }
  size_t stored() const { return stored_.size(); }

  void reserve(size_t n) { stored_.reserve(n); }
  void push_back(Op op);
  Op& back();
  Op& operator[](size_t i);
  const Op& operator[](size_t i) const;
  // Op i's step will not be asked for through operator[] again, nor any before it: their ops are dropped.
  void release_before(size_t i) const;
  size_t most_steps_held() const { return held_.most; }  // tests: the generated steps held at once
  // Generates every op into the stored list (tests, tools that edit a trace).
  void materialize();
  // From now on the list ends with `steps` steps of `per_step` ops each, made by `gen` (ids continuing).
  void append_generated(std::shared_ptr<const OpSteps> gen, size_t steps, size_t per_step);

  // A reference it gives to a generated op lives while the iterator (or a copy) stays on that op's step.
  class const_iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Op;
    using difference_type = std::ptrdiff_t;
    using pointer = const Op*;
    using reference = const Op&;
    const_iterator(const OpList* list, size_t i) : list_(list), i_(i) {}
    const Op& operator*() const;
    const Op* operator->() const { return &**this; }
    const_iterator& operator++() { return ++i_, *this; }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }
    size_t index() const { return i_; }

   private:
    const OpList* list_;
    size_t i_;
    // The step this iterator made last (shared by its copies; a step is made again only when it changes).
    mutable std::shared_ptr<std::vector<Op>> step_ops_;
    mutable size_t step_ = SIZE_MAX;
  };
  // Iteration is read-only even on a list that may change, so walking a trace never stores its generated
  // ops by accident; edit through stored_ops().
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }
  std::vector<Op>& stored_ops() { return materialize(), stored_; }

 private:
  const std::vector<Op>& held_step(size_t s) const;

  std::vector<Op> stored_;
  std::shared_ptr<const OpSteps> gen_;
  size_t steps_ = 0, per_step_ = 0;
  // The generated steps operator[] made, by step, and the one it looked up last. A copy of the list starts
  // with none (the pointer would be into the other list's steps).
  struct Held {
    std::map<size_t, std::vector<Op>> steps;
    const std::vector<Op>* last = nullptr;
    size_t last_step = SIZE_MAX, most = 0;
    Held() = default;
    Held(const Held&) {}
    Held& operator=(const Held&) { return *this = Held(); }
    Held(Held&&) = default;
    Held& operator=(Held&&) = default;
  };
  mutable Held held_;
};

// The header's quant line, as the datapath needs it.
struct QuantFacts {
  std::string scheme;        // what --quant said: int8, fp16, gru_ih=int8,gru_hh=int4, ...
  bool floating = false;     // some values are floating point (the scheme names an fp type)
  bool per_channel = false;  // weight scales per output channel, not per tensor
};

// The header keys the tools act on, typed. The others (pruning, token_policy, fidelity_*, ...) are for people
// and reports and stay text.
struct HeaderFacts {
  std::string model, family, source;  // family: vision, encoder, decoder, gru (or what a hand trace says)
  uint32_t batch = 1, seq = 0, layers = 0, decode = 0;
  uint64_t seed = 0, unpruned_macs = 0;  // unpruned_macs 0: not known
  QuantFacts quant;
  std::string weights_file;  // as written: relative to the trace's directory
};

// `header key value` lines: kept as written, so write_trace reproduces them byte for byte, and parsed once
// into HeaderFacts when set, so nobody re-parses them later. A key the tools act on must hold a value of its
// type: set() throws InputError naming the key and what was expected (read_trace adds the line).
class TraceHeader {
 public:
  void set(const std::string& key, const std::string& value);
  bool has(const std::string& key) const { return text_.count(key) != 0; }
  std::string get(const std::string& key, const std::string& fallback = "") const;  // as written
  const std::map<std::string, std::string>& entries() const { return text_; }       // sorted by key
  const HeaderFacts& facts() const { return facts_; }

 private:
  std::map<std::string, std::string> text_;
  HeaderFacts facts_;
};

// What a trace says of its model's structure: the header's facts and the layer ops' shapes. Fields the
// trace cannot tell stay 0 (d_model without a layernorm, heads without attention).
struct TraceShape {
  std::string family;  // vision, encoder, decoder, gru
  uint32_t batch = 1, seq = 0, decode = 0, layers = 0;
  uint32_t heads = 0, head_dim = 0, d_model = 0;  // transformers: heads kept per sample
  uint32_t gru_input = 0, gru_hidden = 0;         // GRU: from L0.w_ih
  bool rms_norm = false;                          // the layers normalise with RMSNorm
};

struct Trace {
  static constexpr int kVersion = 1;
  TraceHeader header;
  std::map<std::string, Matrix> matrices;
  std::vector<std::string> matrix_order;  // declaration order, for stable output
  OpList ops;
  // Where header "weights_file" points, resolved against the trace's directory by read_trace (not written).
  std::string weights_path;

  const Matrix& matrix(const std::string& name) const;
  uint64_t total_macs() const;
  uint64_t total_dense_macs() const;
  int num_layers() const;  // 1 + highest layer index used
  TraceShape shape() const;
};

// Writes the text form; deterministic byte for byte.
void write_trace(std::ostream& os, const Trace& t);
void write_trace_file(const std::string& path, const Trace& t);  // atomic: temp file then rename
// Reads and validates; errors are InputError "source:line: what was expected".
Trace read_trace(std::istream& is, const std::string& source);
Trace read_trace_file(const std::string& path);
// Exact storage bytes of a matrix in its format (values, indices, pointers).
uint64_t storage_bytes(const Matrix& m);

}  // namespace prunesim::workloads

namespace prunesim {
// Name tables (enum_names.h), defined in workloads/src/trace.cpp: what the trace format calls them.
template <>
const std::vector<EnumName<workloads::StorageFormat>>& enum_names();
template <>
const std::vector<EnumName<workloads::OpKind>>& enum_names();
}  // namespace prunesim
