#include "prunesim/workloads/trace.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <istream>
#include <ostream>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/hls/nonlinear.h"  // pass counts of the vector kernels
#include "prunesim/workloads/io.h"
#include "prunesim/workloads/pruning.h"

namespace prunesim::workloads {

// ---------------------------------------------------------------- names

const char* format_name(StorageFormat f) {
  return enum_name(f);
}

StorageFormat parse_format(const std::string& s) {
  for (const auto& e : enum_names<StorageFormat>())
    if (s == e.name) return e.value;
  throw InputError("unknown storage format '" + s + "' (expected one of " +
                   enum_choices<StorageFormat>(", ") + ")");
}

// One row per op kind (trace.h OpKindInfo). Vector kernels stream each value `passes` times (hls/nonlinear.h:
// softmax and layernorm take statistics, then normalise; RMSNorm the same two, sum of squares then scale).
const std::vector<OpKindInfo>& op_kinds() {
  static const std::vector<OpKindInfo> kinds = {
      {OpKind::Load, "load", OpFields::None, OpUnit::Dma, 0, 0},
      {OpKind::Store, "store", OpFields::None, OpUnit::Dma, 0, 0},
      {OpKind::Gemm, "gemm", OpFields::Gemm, OpUnit::Pe, 0, 0},
      {OpKind::Matmul, "matmul", OpFields::Matmul, OpUnit::Pe, 0, 0},
      {OpKind::Softmax, "softmax", OpFields::Rows, OpUnit::Vector, uint32_t(hls::kSoftmaxPasses), 1},
      {OpKind::LayerNorm, "layernorm", OpFields::Rows, OpUnit::Vector, uint32_t(hls::kLayerNormPasses), 1},
      {OpKind::RmsNorm, "rmsnorm", OpFields::Rows, OpUnit::Vector, uint32_t(hls::kRmsNormPasses), 1},
      {OpKind::Gelu, "gelu", OpFields::Elems, OpUnit::Vector, uint32_t(hls::kEltwisePasses), 1},
      {OpKind::Residual, "residual", OpFields::Elems, OpUnit::Vector, uint32_t(hls::kEltwisePasses), 2},
      {OpKind::Eltwise, "eltwise", OpFields::FuncElems, OpUnit::Vector, uint32_t(hls::kEltwisePasses), 1},
      {OpKind::TokenPrune, "token_prune", OpFields::Tokens, OpUnit::TokenUnit, 0, 0},
  };
  return kinds;
}

const OpKindInfo& op_kind_info(OpKind k) {
  return op_kinds().at(size_t(k));
}

const char* op_kind_name(OpKind k) {
  return op_kind_info(k).name;
}

namespace {
struct RoleName {
  OpRole role;
  const char* name;
};
// The one table of role names (a trace's op names).
constexpr RoleName kRoleNames[] = {
    {OpRole::Ln1, "ln1"},
    {OpRole::AttnQkv, "attn.qkv"},
    {OpRole::AttnQk, "attn.qk"},
    {OpRole::AttnSoftmax, "attn.softmax"},
    {OpRole::AttnAv, "attn.av"},
    {OpRole::AttnProj, "attn.proj"},
    {OpRole::Residual1, "residual1"},
    {OpRole::TokenTopk, "evit.topk"},
    {OpRole::Ln2, "ln2"},
    {OpRole::MlpFc1, "mlp.fc1"},
    {OpRole::Gelu, "gelu"},
    {OpRole::MlpFc2, "mlp.fc2"},
    {OpRole::Residual2, "residual2"},
    {OpRole::GruIh, "gru.ih"},
    {OpRole::GruHh, "gru.hh"},
    {OpRole::GruGatesRz, "gru.gates_rz"},
    {OpRole::GruCandidate, "gru.candidate"},
    {OpRole::GruUpdate, "gru.update"},
};
}  // namespace

const char* op_role_name(OpRole r) {
  for (const auto& e : kRoleNames)
    if (e.role == r) return e.name;
  return "";
}

OpRole op_role_of(const std::string& op_name) {
  for (const auto& e : kRoleNames)
    if (op_name == e.name) return e.role;
  return OpRole::Other;
}

OpKind parse_op_kind(const std::string& s) {
  for (const auto& e : enum_names<OpKind>())
    if (s == e.name) return e.value;
  throw InputError("unknown op kind '" + s + "' (expected one of " + enum_choices<OpKind>(", ") + ")");
}

// ---------------------------------------------------------------- matrices

uint64_t BlockMask::kept_blocks() const {
  uint64_t n = 0;
  for (auto k : kept_per_row) n += k;
  return n;
}

uint32_t Matrix::block_row_height(uint32_t r) const {
  uint32_t start = r * mask.block_rows;
  return std::min(mask.block_rows, rows - start);
}

uint64_t Matrix::kept_cols_in_block_row(uint32_t r) const {
  if (format == StorageFormat::Dense && !mask.has_bitmap && mask.block_cols == cols) return cols;
  const uint32_t last = mask.grid_cols - 1;
  const uint32_t last_width = cols - last * mask.block_cols;
  uint64_t n = uint64_t(mask.kept_per_row[r]) * mask.block_cols;
  // An edge block is narrower than the others: count it at its real width.
  if (mask.has_bitmap && last_width != mask.block_cols && mask.kept(r, last))
    n -= mask.block_cols - last_width;
  return n;
}

uint64_t Matrix::nnz_in_block_row(uint32_t r) const {
  if (!mask.has_bitmap && mask.block_rows == 1 && mask.block_cols == 1) return mask.kept_per_row[r];
  return kept_cols_in_block_row(r) * block_row_height(r);
}

static uint32_t index_bytes(uint64_t extent) {
  return extent <= 65536 ? 2 : 4;
}

uint64_t storage_bytes(const Matrix& m) {
  const uint64_t value_bits = uint64_t(m.wbits);
  auto bits_to_bytes = [](uint64_t bits) { return (bits + 7) / 8; };
  const uint64_t kept_blocks = m.mask.kept_blocks();
  const uint64_t block_elems = uint64_t(m.mask.block_rows) * m.mask.block_cols;
  switch (m.format) {
    case StorageFormat::Dense: return bits_to_bytes(m.stored_params() * value_bits);
    case StorageFormat::Bitmap: return bits_to_bytes(m.nnz * value_bits) + bits_to_bytes(m.stored_params());
    case StorageFormat::Csr:
      return bits_to_bytes(m.nnz * value_bits) + m.nnz * index_bytes(m.cols) + (uint64_t(m.rows) + 1) * 4;
    case StorageFormat::Bcsr:
      // Blocks are stored whole (edge blocks padded), as a block engine reads them.
      return bits_to_bytes(kept_blocks * block_elems * value_bits) +
             kept_blocks * index_bytes(m.mask.grid_cols) + (uint64_t(m.mask.grid_rows) + 1) * 4;
    case StorageFormat::Hier:
      // Block-CSR whose blocks are grouped per PE bank: adds one 4-byte offset per block row group of 8.
      return bits_to_bytes(kept_blocks * block_elems * value_bits) +
             kept_blocks * index_bytes(m.mask.grid_cols) + (uint64_t(m.mask.grid_rows) + 1) * 4 +
             ((m.mask.grid_rows + 7) / 8) * 4;
  }
  return 0;
}

// ---------------------------------------------------------------- ops

uint64_t Op::macs(const std::map<std::string, Matrix>& matrices) const {
  switch (kind) {
    case OpKind::Gemm: return m * matrices.at(weight).nnz;
    case OpKind::Matmul: return uint64_t(count) * m * k * n;
    default: return 0;
  }
}

uint64_t Op::dense_macs(const std::map<std::string, Matrix>& matrices) const {
  switch (kind) {
    case OpKind::Gemm: return m * matrices.at(weight).dense_params();
    case OpKind::Matmul: return uint64_t(count) * m * k * n;
    default: return 0;
  }
}

const Matrix& Trace::matrix(const std::string& name) const {
  auto it = matrices.find(name);
  if (it == matrices.end()) throw InputError("trace: no matrix named '" + name + "'");
  return it->second;
}

uint64_t Trace::total_macs() const {
  uint64_t s = 0;
  for (const auto& op : ops) s += op.macs(matrices);
  return s;
}

uint64_t Trace::total_dense_macs() const {
  uint64_t s = 0;
  for (const auto& op : ops) s += op.dense_macs(matrices);
  return s;
}

int Trace::num_layers() const {
  int n = 0;
  for (const auto& op : ops) n = std::max(n, op.layer + 1);
  return n;
}

TraceShape Trace::shape() const {
  const HeaderFacts& h = header.facts();
  TraceShape s;
  s.family = h.family;
  s.batch = h.batch;
  s.decode = h.decode;
  s.layers = uint32_t(num_layers());
  if (s.family == "gru") {
    if (const auto it = matrices.find("L0.w_ih"); it != matrices.end())
      s.gru_input = it->second.cols, s.gru_hidden = it->second.rows / 3;
    s.seq = h.seq;
    return s;
  }
  for (const auto& op : ops) {
    if ((op.kind == OpKind::LayerNorm || op.kind == OpKind::RmsNorm) && !s.d_model)
      s.d_model = uint32_t(op.cols);  // embeddings' or layer 0's
    if (op.layer != 0) continue;  // layer 0 has the shapes every later layer repeats (before token pruning)
    if (op.kind == OpKind::RmsNorm) s.rms_norm = true;
    if (op.role == OpRole::AttnQkv && !s.seq && s.batch) s.seq = uint32_t(op.m / s.batch);
    if (op.role == OpRole::AttnQk && !s.heads && s.batch)
      s.heads = op.count / s.batch, s.head_dim = uint32_t(op.k);
  }
  return s;
}

// ---------------------------------------------------------------- header

namespace {

uint64_t header_number(const std::string& key, const std::string& value, uint64_t max) {
  uint64_t v = 0;
  bool ok = !value.empty();
  for (char c : value) {
    if (c < '0' || c > '9' || v > (max - uint64_t(c - '0')) / 10) {
      ok = false;
      break;
    }
    v = v * 10 + uint64_t(c - '0');
  }
  if (!ok)
    throw InputError("header " + key + " '" + value + "': expected an integer from 0 to " +
                     std::to_string(max));
  return v;
}

// "int8 (weights 8b, activations 8b, symmetric per-channel)": the scheme before the parenthesis, the
// scale granularity inside it (the compressor writes it so).
QuantFacts parse_quant(const std::string& value) {
  QuantFacts q;
  q.scheme = value.substr(0, value.find(" ("));
  q.floating = q.scheme.find("fp") != std::string::npos;
  q.per_channel = value.find("per-channel") != std::string::npos;
  return q;
}

}  // namespace

void TraceHeader::set(const std::string& key, const std::string& value) {
  HeaderFacts& f = facts_;
  if (key == "model")
    f.model = value;
  else if (key == "family")
    f.family = value;
  else if (key == "source")
    f.source = value;
  else if (key == "batch")
    f.batch = uint32_t(header_number(key, value, UINT32_MAX));
  else if (key == "seq")
    f.seq = uint32_t(header_number(key, value, UINT32_MAX));
  else if (key == "layers")
    f.layers = uint32_t(header_number(key, value, UINT32_MAX));
  else if (key == "decode")
    f.decode = uint32_t(header_number(key, value, UINT32_MAX));
  else if (key == "seed")
    f.seed = header_number(key, value, UINT64_MAX);
  else if (key == "unpruned_macs")
    f.unpruned_macs = header_number(key, value, UINT64_MAX);
  else if (key == "quant")
    f.quant = parse_quant(value);
  else if (key == "weights_file")
    f.weights_file = value;
  text_[key] = value;
}

std::string TraceHeader::get(const std::string& key, const std::string& fallback) const {
  const auto it = text_.find(key);
  return it == text_.end() ? fallback : it->second;
}

// ---------------------------------------------------------------- writer

static std::string join(const std::vector<uint32_t>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

static void write_row_bitmap(std::ostream& os, const BlockMask& mask, uint32_t r) {
  static const char* hex = "0123456789abcdef";
  const uint32_t digits = (mask.grid_cols + 3) / 4;
  std::string line(digits, '0');
  for (uint32_t d = 0; d < digits; ++d) {
    unsigned v = 0;
    for (uint32_t b = 0; b < 4; ++b) {
      uint32_t c = d * 4 + b;
      if (c < mask.grid_cols && mask.kept(r, c)) v |= 1u << b;
    }
    line[d] = hex[v];
  }
  os << "b " << line << '\n';
}

void write_trace(std::ostream& os, const Trace& t) {
  os << "prunesim-trace " << Trace::kVersion << '\n';
  for (const auto& [key, value] : t.header.entries()) os << "header " << key << ' ' << value << '\n';
  for (const auto& name : t.matrix_order) {
    const Matrix& m = t.matrices.at(name);
    os << "matrix name=" << m.name << " kind=" << m.kind << " layer=" << m.layer << " rows=" << m.rows
       << " cols=" << m.cols << " dense_rows=" << m.dense_rows << " dense_cols=" << m.dense_cols
       << " wbits=" << m.wbits << " format=" << format_name(m.format) << " block=" << m.mask.block_rows << 'x'
       << m.mask.block_cols << (m.pattern.empty() ? "" : " pattern=" + m.pattern) << " nnz=" << m.nnz
       << " bytes=" << m.bytes << " mask="
       << (m.format == StorageFormat::Dense ? "none"
           : m.mask.has_bitmap              ? "bitmap"
                                            : "counts")
       << '\n';
    if (m.format == StorageFormat::Dense) {
      // Dense: nothing to list.
    } else if (m.mask.has_bitmap) {
      for (uint32_t r = 0; r < m.mask.grid_rows; ++r) write_row_bitmap(os, m.mask, r);
    } else {
      os << "counts " << join(m.mask.kept_per_row) << '\n';
    }
    os << "end\n";
  }
  for (const auto& op : t.ops) {
    os << "op id=" << op.id << " layer=" << op.layer << " kind=" << op_kind_name(op.kind)
       << " name=" << op.name;
    switch (op_kind_info(op.kind).fields) {
      case OpFields::Gemm: os << " m=" << op.m << " weight=" << op.weight << " abits=" << op.abits; break;
      case OpFields::Matmul:
        os << " count=" << op.count << " m=" << op.m << " k=" << op.k << " n=" << op.n
           << " abits=" << op.abits;
        break;
      case OpFields::Rows:
        os << " count=" << op.count << " rows=" << op.rows << " cols=" << op.cols << " abits=" << op.abits;
        break;
      case OpFields::Elems: os << " elems=" << op.elems << " abits=" << op.abits; break;
      case OpFields::FuncElems:
        os << " func=" << op.func << " elems=" << op.elems << " abits=" << op.abits;
        break;
      case OpFields::Tokens:
        os << " heads=" << op.heads << " fused=" << (op.fused ? 1 : 0) << " tokens_in=" << join(op.tokens_in)
           << " tokens_kept=" << join(op.tokens_kept);
        break;
      case OpFields::None: break;
    }
    if (op.ddr_read_bytes) os << " ddr_read=" << op.ddr_read_bytes;
    if (op.ddr_write_bytes) os << " ddr_write=" << op.ddr_write_bytes;
    os << '\n';
  }
  os << "eof\n";
}

void write_trace_file(const std::string& path, const Trace& t) {
  std::ostringstream os;
  write_trace(os, t);
  write_file_atomic(path, os.str());
}

// ---------------------------------------------------------------- reader

namespace {

class LineReader {
 public:
  LineReader(std::istream& is, std::string source) : is_(is), source_(std::move(source)) {}

  // Next non-empty, non-comment line; false at end of input.
  bool next(std::string& line) {
    while (std::getline(is_, line)) {
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!valid_utf8(line)) fail("not UTF-8 text (a byte that no UTF-8 character starts or continues with)");
      size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;
      return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string& what) const { fail_at(line_no_, what); }
  [[noreturn]] void fail_at(size_t line, const std::string& what) const {
    throw InputError(where(source_, line) + ": " + what);
  }
  size_t line() const { return line_no_; }

 private:
  std::istream& is_;
  std::string source_;
  size_t line_no_ = 0;
};

// `word key=value key=value ...` with values free of spaces.
struct Fields {
  std::string word;
  std::map<std::string, std::string> kv;
};

Fields split_fields(const std::string& line, const LineReader& r) {
  Fields f;
  std::istringstream ss(line);
  ss >> f.word;
  std::string tok;
  while (ss >> tok) {
    auto eq = tok.find('=');
    if (eq == std::string::npos || eq == 0) r.fail("expected key=value, got '" + tok + "'");
    if (!f.kv.emplace(tok.substr(0, eq), tok.substr(eq + 1)).second)
      r.fail("key '" + tok.substr(0, eq) + "' given twice");
  }
  return f;
}

class FieldTaker {
 public:
  FieldTaker(Fields& f, const LineReader& r) : f_(f), r_(r) {}
  std::string str(const std::string& key) {
    auto it = f_.kv.find(key);
    if (it == f_.kv.end()) r_.fail("'" + f_.word + "' line is missing " + key + "=");
    std::string v = it->second;
    f_.kv.erase(it);
    return v;
  }
  std::string str_or(const std::string& key, const std::string& def) { return has(key) ? str(key) : def; }
  bool has(const std::string& key) const { return f_.kv.count(key) != 0; }
  uint64_t u64(const std::string& key) { return to_u64(key, str(key)); }
  // Fields held in 32 bits (dimensions, counts, widths): a larger value is refused, never wrapped.
  uint32_t u32(const std::string& key) { return to_u32(key, str(key)); }
  int layer(const std::string& key) {
    const int64_t v = i64(key);
    if (v < -1 || v > INT32_MAX) r_.fail(key + "=" + std::to_string(v) + ": expected -1 or a layer index");
    return int(v);
  }
  uint64_t u64_or(const std::string& key, uint64_t def) { return has(key) ? u64(key) : def; }
  int64_t i64(const std::string& key) {
    std::string v = str(key);
    try {
      size_t pos = 0;
      long long x = std::stoll(v, &pos);
      if (pos != v.size()) throw std::invalid_argument(v);
      return x;
    } catch (const std::exception&) {
      r_.fail(key + "=" + v + ": expected an integer");
    }
  }
  std::vector<uint32_t> list(const std::string& key) {
    std::vector<uint32_t> out;
    std::string v = str(key), item;
    std::istringstream ss(v);
    while (std::getline(ss, item, ',')) out.push_back(to_u32(key, item));
    return out;
  }
  // Every key must have been consumed: unknown keys are errors.
  void done() {
    if (!f_.kv.empty()) r_.fail("unknown key '" + f_.kv.begin()->first + "' on '" + f_.word + "' line");
  }

 private:
  uint32_t to_u32(const std::string& key, const std::string& v) {
    const uint64_t x = to_u64(key, v);
    if (x > UINT32_MAX)
      r_.fail(key + "=" + v + ": out of range (at most " + std::to_string(UINT32_MAX) + ")");
    return uint32_t(x);
  }
  uint64_t to_u64(const std::string& key, const std::string& v) {
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
      r_.fail(key + "=" + v + ": expected a non-negative integer");
    try {
      return std::stoull(v);
    } catch (const std::exception&) {
      r_.fail(key + "=" + v + ": out of range");
    }
  }
  Fields& f_;
  const LineReader& r_;
};

void read_bitmap_row(const std::string& hexs, BlockMask& mask, uint32_t r, const LineReader& lr) {
  const uint32_t digits = (mask.grid_cols + 3) / 4;
  if (hexs.size() != digits)
    lr.fail("block row " + std::to_string(r) + ": expected " + std::to_string(digits) + " hex digits for " +
            std::to_string(mask.grid_cols) + " block columns, got " + std::to_string(hexs.size()));
  uint32_t kept = 0;
  for (uint32_t d = 0; d < digits; ++d) {
    char ch = hexs[d];
    unsigned v;
    if (ch >= '0' && ch <= '9')
      v = ch - '0';
    else if (ch >= 'a' && ch <= 'f')
      v = ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F')
      v = ch - 'A' + 10;
    else
      lr.fail(std::string("invalid hex digit '") + ch + "' in block row " + std::to_string(r));
    for (uint32_t b = 0; b < 4; ++b) {
      if (!(v >> b & 1u)) continue;
      uint32_t c = d * 4 + b;
      if (c >= mask.grid_cols)
        lr.fail("block row " + std::to_string(r) + " sets a bit past the last block column");
      mask.set(r, c);
      ++kept;
    }
  }
  mask.kept_per_row[r] = kept;
}

Matrix read_matrix(Fields& f, LineReader& lr) {
  const size_t header_line = lr.line();
  FieldTaker ft(f, lr);
  Matrix m;
  m.name = ft.str("name");
  m.kind = ft.str("kind");
  m.layer = ft.layer("layer");
  m.rows = ft.u32("rows");
  m.cols = ft.u32("cols");
  m.dense_rows = ft.u32("dense_rows");
  m.dense_cols = ft.u32("dense_cols");
  m.wbits = int(ft.u32("wbits"));
  try {
    m.format = parse_format(ft.str("format"));
  } catch (const InputError& e) {
    lr.fail(e.what());
  }
  std::string block = ft.str("block");
  const size_t cross = block.find('x');
  auto side = [&](const std::string& v) -> uint32_t {
    if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(v) == 0 || std::stoull(v) > UINT32_MAX)
      lr.fail("block=" + block + ": expected RxC with sides from 1 to " + std::to_string(UINT32_MAX));
    return uint32_t(std::stoull(v));
  };
  if (cross == std::string::npos) lr.fail("block=" + block + ": expected RxC");
  const uint32_t br = side(block.substr(0, cross)), bc = side(block.substr(cross + 1));
  m.pattern = ft.str_or("pattern", "");
  m.nnz = ft.u64("nnz");
  m.bytes = ft.u64("bytes");
  std::string enc = ft.str("mask");
  ft.done();
  if (m.rows == 0 || m.cols == 0) lr.fail("matrix " + m.name + ": rows and cols must be positive");
  if (!m.pattern.empty()) {
    PruneSpec spec;
    try {
      spec = parse_prune_spec(m.pattern);
    } catch (const InputError& e) {
      lr.fail("matrix " + m.name + ": pattern=" + m.pattern + ": " + e.what());
    }
    if (spec.method == PruneMethod::NM && (br != 1 || bc != 1))
      lr.fail("matrix " + m.name + ": pattern=" + m.pattern + " needs block=1x1");
  }
  if (m.rows > m.dense_rows || m.cols > m.dense_cols)
    lr.fail("matrix " + m.name + ": rows/cols exceed dense_rows/dense_cols");
  if (m.wbits < 1 || m.wbits > 32) lr.fail("matrix " + m.name + ": wbits must be in [1, 32]");
  if (enc != "bitmap" && enc != "counts" && enc != "none")
    lr.fail("mask=" + enc + ": expected bitmap, counts or none");
  if ((enc == "none") != (m.format == StorageFormat::Dense))
    lr.fail("matrix " + m.name + ": mask=none goes with format=dense and only with it");
  if (enc == "none" && (br != 1 || bc != m.cols))
    lr.fail("matrix " + m.name + ": a dense matrix has block=1x" + std::to_string(m.cols));
  m.mask.block_rows = br;
  m.mask.block_cols = bc;
  m.mask.grid_rows = uint32_t((uint64_t(m.rows) + br - 1) / br);
  m.mask.grid_cols = uint32_t((uint64_t(m.cols) + bc - 1) / bc);
  m.mask.has_bitmap = enc == "bitmap";
  std::string line;
  if (enc == "none") {
    m.mask.kept_per_row.assign(m.mask.grid_rows, 1);
  } else if (m.mask.has_bitmap) {
    m.mask.kept_per_row.assign(m.mask.grid_rows, 0);
    m.mask.bits.assign(size_t(m.mask.grid_rows) * m.mask.words_per_row(), 0);
    for (uint32_t r = 0; r < m.mask.grid_rows; ++r) {
      if (!lr.next(line)) lr.fail("unexpected end of trace inside matrix " + m.name);
      std::istringstream ss(line);
      std::string word, hexs, extra;
      ss >> word >> hexs;
      if (word != "b" || hexs.empty() || (ss >> extra))
        lr.fail("matrix " + m.name + ": expected 'b <hex>' for block row " + std::to_string(r) + " of " +
                std::to_string(m.mask.grid_rows));
      read_bitmap_row(hexs, m.mask, r, lr);
    }
  } else {
    if (!lr.next(line)) lr.fail("unexpected end of trace inside matrix " + m.name);
    std::istringstream ss(line);
    std::string word, list, extra;
    ss >> word >> list;
    if (word != "counts" || (ss >> extra)) lr.fail("matrix " + m.name + ": expected 'counts c0,c1,...'");
    std::istringstream ls(list);
    std::string item;
    while (std::getline(ls, item, ',')) {
      if (item.empty() || item.size() > 10 || item.find_first_not_of("0123456789") != std::string::npos ||
          std::stoull(item) > m.mask.grid_cols)
        lr.fail("counts: '" + item + "' is not a count of kept blocks (0 to " +
                std::to_string(m.mask.grid_cols) + ")");
      m.mask.kept_per_row.push_back(uint32_t(std::stoull(item)));
    }
    if (m.mask.kept_per_row.size() != m.mask.grid_rows)
      lr.fail("counts: expected " + std::to_string(m.mask.grid_rows) + " values (one per block row), got " +
              std::to_string(m.mask.kept_per_row.size()));
  }
  for (uint32_t r = 0; r < m.mask.grid_rows; ++r)
    if (m.mask.kept_per_row[r] > m.mask.grid_cols)
      lr.fail("matrix " + m.name + ": block row " + std::to_string(r) + " keeps more blocks than it has");
  if (!lr.next(line) || line != "end") lr.fail("matrix " + m.name + ": expected 'end' after its mask");
  uint64_t nnz = 0;
  for (uint32_t r = 0; r < m.mask.grid_rows; ++r) nnz += m.nnz_in_block_row(r);
  if (nnz != m.nnz)
    lr.fail_at(header_line, "matrix " + m.name + ": nnz=" + std::to_string(m.nnz) + " but the mask keeps " +
                                std::to_string(nnz));
  if (storage_bytes(m) != m.bytes)
    lr.fail_at(header_line, "matrix " + m.name + ": bytes=" + std::to_string(m.bytes) + " but format " +
                                format_name(m.format) + " needs " + std::to_string(storage_bytes(m)));
  return m;
}

Op read_op(Fields& f, const Trace& t, const LineReader& lr) {
  FieldTaker ft(f, lr);
  Op op;
  op.id = ft.u32("id");
  op.layer = ft.layer("layer");
  try {
    op.kind = parse_op_kind(ft.str("kind"));
  } catch (const InputError& e) {
    lr.fail(e.what());
  }
  op.name = ft.str("name");
  op.role = op_role_of(op.name);
  switch (op_kind_info(op.kind).fields) {
    case OpFields::Gemm: {
      op.m = ft.u64("m");
      op.weight = ft.str("weight");
      op.abits = int(ft.u32("abits"));
      auto it = t.matrices.find(op.weight);
      if (it == t.matrices.end())
        lr.fail("op " + std::to_string(op.id) + ": no matrix named '" + op.weight + "'");
      op.k = it->second.cols;
      op.n = it->second.rows;
      break;
    }
    case OpFields::Matmul:
      op.count = ft.u32("count");
      op.m = ft.u64("m");
      op.k = ft.u64("k");
      op.n = ft.u64("n");
      op.abits = int(ft.u32("abits"));
      break;
    case OpFields::Rows:
      op.count = ft.u32("count");
      op.rows = ft.u64("rows");
      op.cols = ft.u64("cols");
      op.abits = int(ft.u32("abits"));
      break;
    case OpFields::FuncElems: op.func = ft.str("func"); [[fallthrough]];
    case OpFields::Elems:
      op.elems = ft.u64("elems");
      op.abits = int(ft.u32("abits"));
      break;
    case OpFields::Tokens:
      op.heads = ft.u32("heads");
      op.fused = ft.u64("fused") != 0;
      op.tokens_in = ft.list("tokens_in");
      op.tokens_kept = ft.list("tokens_kept");
      if (op.tokens_in.empty() || op.tokens_in.size() != op.tokens_kept.size())
        lr.fail("token_prune: tokens_in and tokens_kept need one value per sample");
      for (size_t i = 0; i < op.tokens_in.size(); ++i)
        if (op.tokens_kept[i] == 0 || op.tokens_kept[i] > op.tokens_in[i])
          lr.fail("token_prune: sample " + std::to_string(i) + " keeps " + std::to_string(op.tokens_kept[i]) +
                  " of " + std::to_string(op.tokens_in[i]) + " tokens (expected 1..tokens_in)");
      break;
    case OpFields::None: break;
  }
  op.ddr_read_bytes = ft.u64_or("ddr_read", 0);
  op.ddr_write_bytes = ft.u64_or("ddr_write", 0);
  ft.done();
  if (op.abits < 1 || op.abits > 32) lr.fail("abits must be in [1, 32]");
  if (op.kind == OpKind::Matmul && (op.count == 0 || op.m == 0 || op.k == 0 || op.n == 0))
    lr.fail("matmul: count, m, k and n must be positive");
  if (op.kind == OpKind::Gemm && op.m == 0) lr.fail("gemm: m must be positive");
  // Limits that keep every size product inside 64 bits and a run inside the machine: 2^50 MACs per op (a
  // day's work at 10 TMAC/s is 2^50) and 2^40 elements or bytes (a terabyte of activations).
  constexpr uint64_t kMaxMacs = uint64_t(1) << 50, kMaxElems = uint64_t(1) << 40;
  // Products saturate instead of wrapping, so a huge factor can only make a size too large, never small.
  auto mul = [](std::initializer_list<uint64_t> factors) {
    uint64_t p = 1;
    for (uint64_t factor : factors)
      if (__builtin_mul_overflow(p, factor, &p)) return UINT64_MAX;
    return p;
  };
  auto limit = [&](uint64_t v, uint64_t max, const std::string& what) {
    if (v > max)
      lr.fail(op_kind_name(op.kind) + std::string(": ") + what + " exceeds 2^" +
              (max == kMaxMacs ? "50" : "40") + " (prunesim's limit per op)");
  };
  switch (op.kind) {
    case OpKind::Gemm:
      limit(op.m, kMaxElems, "m");
      limit(mul({op.m, op.k, op.n}), kMaxMacs, "m x k x n (MACs)");
      break;
    case OpKind::Matmul:
      limit(mul({op.count, op.m, op.k}), kMaxElems, "count x m x k (elements)");
      limit(mul({op.count, op.k, op.n}), kMaxElems, "count x k x n (elements)");
      limit(mul({op.count, op.m, op.n}), kMaxElems, "count x m x n (elements)");
      limit(mul({op.count, op.m, op.k, op.n}), kMaxMacs, "count x m x k x n (MACs)");
      break;
    default:
      limit(mul({op.count, op.rows, op.cols}), kMaxElems, "count x rows x cols (elements)");
      limit(op.elems, kMaxElems, "elems");
  }
  limit(op.ddr_read_bytes, kMaxElems, "ddr_read (bytes)");
  limit(op.ddr_write_bytes, kMaxElems, "ddr_write (bytes)");
  return op;
}

}  // namespace

Trace read_trace(std::istream& is, const std::string& source) {
  LineReader lr(is, source);
  Trace t;
  std::string line;
  if (!lr.next(line))
    lr.fail("empty trace (expected 'prunesim-trace " + std::to_string(Trace::kVersion) + "')");
  {
    std::istringstream ss(line);
    std::string magic, version, extra;
    if (!(ss >> magic >> version) || magic != "prunesim-trace")
      lr.fail("not a prunesim trace (first line must be 'prunesim-trace <version>')");
    // The whole token is the version: "1.9" or "1abc" is not version 1.
    if (version != std::to_string(Trace::kVersion) || (ss >> extra))
      lr.fail("trace version '" + version + (extra.empty() ? "" : " " + extra) +
              "' is not supported (this prunesim reads version " + std::to_string(Trace::kVersion) + ")");
  }
  bool saw_eof = false;
  while (lr.next(line)) {
    if (saw_eof) lr.fail("content after 'eof'");
    if (line == "eof") {
      saw_eof = true;
      continue;
    }
    if (line.rfind("header ", 0) == 0) {
      std::istringstream ss(line.substr(7));
      std::string key;
      ss >> key;
      std::string value;
      std::getline(ss, value);
      value.erase(0, value.find_first_not_of(' '));
      if (key.empty()) lr.fail("header line without a key");
      try {
        t.header.set(key, value);
      } catch (const InputError& e) {
        lr.fail(e.what());
      }
      continue;
    }
    Fields f = split_fields(line, lr);
    if (f.word == "matrix") {
      if (!t.ops.empty()) lr.fail("matrices must be declared before the first op");
      Matrix m = read_matrix(f, lr);
      if (t.matrices.count(m.name)) lr.fail("matrix '" + m.name + "' declared twice");
      t.matrix_order.push_back(m.name);
      t.matrices.emplace(m.name, std::move(m));
    } else if (f.word == "op") {
      Op op = read_op(f, t, lr);
      if (op.id != t.ops.size())
        lr.fail("op ids must count up from 0 in program order; expected id=" + std::to_string(t.ops.size()));
      t.ops.push_back(std::move(op));
    } else {
      lr.fail("unknown line '" + f.word + "' (expected header, matrix, op or eof)");
    }
  }
  if (!saw_eof) lr.fail("trace is truncated: no closing 'eof' line");
  if (t.ops.empty()) lr.fail("trace has no ops");
  if (!t.header.facts().weights_file.empty()) {
    const std::filesystem::path file = t.header.facts().weights_file;
    t.weights_path =
        file.is_absolute() ? file.string() : (std::filesystem::path(source).parent_path() / file).string();
  }
  return t;
}

Trace read_trace_file(const std::string& path) {
  std::ifstream is(path, std::ios::binary);
  if (!is) throw InputError(path + ": cannot open trace file");
  return read_trace(is, path);
}

}  // namespace prunesim::workloads

namespace prunesim {
using workloads::OpKind;
using workloads::StorageFormat;
template <>
const std::vector<EnumName<StorageFormat>>& enum_names() {
  static const std::vector<EnumName<StorageFormat>> t = {{StorageFormat::Dense, "dense"},
                                                         {StorageFormat::Bitmap, "bitmap"},
                                                         {StorageFormat::Csr, "csr"},
                                                         {StorageFormat::Bcsr, "bcsr"},
                                                         {StorageFormat::Hier, "hier"}};
  return t;
}
template <>
const std::vector<EnumName<OpKind>>& enum_names() {
  static const std::vector<EnumName<OpKind>> t = [] {
    std::vector<EnumName<OpKind>> v;
    for (const auto& k : workloads::op_kinds()) v.push_back({k.kind, k.name});
    return v;
  }();
  return t;
}
}  // namespace prunesim
