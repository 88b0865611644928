#include "prunesim/workloads/pruning.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <vector>

#include "prunesim/common/error.h"

namespace prunesim::workloads {

const char* method_name(PruneMethod m) {
  switch (m) {
    case PruneMethod::Dense: return "dense";
    case PruneMethod::Unstructured: return "unstructured";
    case PruneMethod::Block: return "block";
    case PruneMethod::RowBalanced: return "rowbalanced";
    case PruneMethod::Hierarchical: return "hier";
    case PruneMethod::Head: return "head";
    case PruneMethod::Neuron: return "neuron";
    case PruneMethod::NM: return "nm";
  }
  return "?";
}

std::string PruneSpec::str() const {
  std::ostringstream os;
  os << method_name(method);
  switch (method) {
    case PruneMethod::Dense: break;
    case PruneMethod::Unstructured:
    case PruneMethod::Head:
    case PruneMethod::Neuron: os << ':' << density; break;
    case PruneMethod::Block:
    case PruneMethod::RowBalanced:
      os << ':' << block_rows << 'x' << block_cols << ':' << density << (l2 ? ":l2" : "");
      break;
    case PruneMethod::Hierarchical:
      os << ':' << block_rows << 'x' << block_cols << ':' << coarse_density << ':' << density;
      break;
    case PruneMethod::NM: os << ':' << n << ':' << m; break;
  }
  return os.str();
}

namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream ss(s);
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

double parse_density(const std::string& text, const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= 0.0 && d <= 1.0))
    throw InputError("prune spec '" + text + "': density '" + v + "' must be a number in [0, 1]");
  return d;
}

// Limits that keep a spec meaningful and its masks bounded: no weight matrix of a transformer or GRU is wider
// than 65,536, and N:M hardware groups are short (2:4, 4:8; 1,024 leaves room).
constexpr uint64_t kMaxBlockSide = 65536, kMaxNmGroup = 1024;

// Digits only, 1..max, no wrap-around.
uint32_t parse_positive(const std::string& text, const std::string& v, const char* what, uint64_t max) {
  uint64_t x = 0;
  bool ok = !v.empty() && v.size() <= 10;
  for (char c : v) ok = ok && c >= '0' && c <= '9';
  if (ok) x = std::stoull(v);
  if (!ok || x == 0 || x > max)
    throw InputError("prune spec '" + text + "': " + what + " '" + v + "' must be an integer in [1, " +
                     std::to_string(max) + "]");
  return uint32_t(x);
}

void parse_block(const std::string& text, const std::string& v, PruneSpec& s) {
  auto parts = split(v, 'x');
  if (parts.size() != 2) throw InputError("prune spec '" + text + "': block size '" + v + "' must be RxC");
  s.block_rows = parse_positive(text, parts[0], "block rows", kMaxBlockSide);
  s.block_cols = parse_positive(text, parts[1], "block cols", kMaxBlockSide);
}

// Splits `total` kept units over `rows` rows of `cap` units each, exactly.
std::vector<uint32_t> distribute(uint64_t total, uint32_t rows, uint32_t cap, Spread spread, double skew,
                                 Rng& rng) {
  std::vector<uint32_t> counts(rows, 0);
  if (spread == Spread::Uniform) {
    const uint64_t base = total / rows;
    uint64_t extra = total % rows;
    std::fill(counts.begin(), counts.end(), uint32_t(base));
    // The remainder goes to rows picked at random so no row index is favoured.
    std::vector<uint32_t> order(rows);
    std::iota(order.begin(), order.end(), 0);
    for (uint32_t i = 0; i < extra; ++i) {
      uint32_t j = i + uint32_t(rng.below(rows - i));
      std::swap(order[i], order[j]);
      counts[order[i]] += 1;
    }
    return counts;
  }
  // Skewed: log-normal row weights, floored shares, then largest remainders, water-filled under the cap.
  std::vector<double> w(rows);
  double sum = 0;
  for (auto& x : w) sum += (x = std::exp(skew * rng.normal()));
  std::vector<double> want(rows);
  uint64_t placed = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    want[r] = double(total) * w[r] / sum;
    counts[r] = uint32_t(std::min<double>(cap, std::floor(want[r])));
    placed += counts[r];
  }
  std::vector<uint32_t> order(rows);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return want[a] - std::floor(want[a]) > want[b] - std::floor(want[b]);
  });
  while (placed < total) {
    bool progressed = false;
    for (uint32_t r : order) {
      if (placed == total) break;
      if (counts[r] < cap) {
        ++counts[r];
        ++placed;
        progressed = true;
      }
    }
    if (!progressed) break;  // total > rows * cap cannot happen: callers clamp
  }
  return counts;
}

// Picks k distinct indices of [0, n) at random (partial Fisher-Yates), in the order drawn. `fast` draws
// with Rng::below_fast (fine-grained masks: one draw per kept weight).
const std::vector<uint32_t>& pick_unsorted(uint32_t n, uint32_t k, Rng& rng, bool fast = false) {
  static thread_local std::vector<uint32_t> idx;  // reused: fine-grained masks pick once per row
  idx.resize(n);
  std::iota(idx.begin(), idx.end(), 0);
  for (uint32_t i = 0; i < k; ++i)
    std::swap(idx[i], idx[i + (fast ? rng.below_fast(n - i) : rng.below(n - i))]);
  idx.resize(k);
  return idx;
}

// The same, returned sorted.
std::vector<uint32_t> pick(uint32_t n, uint32_t k, Rng& rng) {
  std::vector<uint32_t> idx = pick_unsorted(n, k, rng);
  std::sort(idx.begin(), idx.end());
  return idx;
}

// Indices of the k largest scores (ties: lower index first).
std::vector<uint32_t> top_k(const std::vector<double>& score, uint64_t k) {
  std::vector<uint32_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto cmp = [&](uint32_t a, uint32_t b) { return score[a] > score[b] || (score[a] == score[b] && a < b); };
  if (k < idx.size()) std::nth_element(idx.begin(), idx.begin() + k, idx.end(), cmp);
  idx.resize(k);
  return idx;
}

std::vector<double> block_scores(const Matrix& m, const float* w, uint32_t br, uint32_t bc, bool l2) {
  const uint32_t gr = uint32_t((uint64_t(m.rows) + br - 1) / br),
                 gc = uint32_t((uint64_t(m.cols) + bc - 1) / bc);
  std::vector<double> s(size_t(gr) * gc, 0.0);
  for (uint32_t r = 0; r < m.rows; ++r)
    for (uint32_t c = 0; c < m.cols; ++c) {
      double v = w[size_t(r) * m.cols + c];
      s[size_t(r / br) * gc + c / bc] += l2 ? v * v : std::fabs(v);
    }
  return s;
}

void init_grid(BlockMask& mask, uint32_t rows, uint32_t cols, uint32_t br, uint32_t bc, bool bitmap) {
  mask.block_rows = br;
  mask.block_cols = bc;
  mask.grid_rows = uint32_t((uint64_t(rows) + br - 1) / br);
  mask.grid_cols = uint32_t((uint64_t(cols) + bc - 1) / bc);
  mask.has_bitmap = bitmap;
  mask.kept_per_row.assign(mask.grid_rows, 0);
  mask.bits.assign(bitmap ? size_t(mask.grid_rows) * mask.words_per_row() : 0, 0);
}

void keep(BlockMask& mask, uint32_t r, uint32_t c) {
  mask.set(r, c);
  mask.kept_per_row[r] += 1;
}

}  // namespace

uint32_t kept_units(uint32_t total, double density) {
  return std::max<uint32_t>(1, uint32_t(std::llround(double(total) * density)));
}

PruneSpec parse_prune_spec(const std::string& text) {
  auto p = split(text, ':');
  PruneSpec s;
  if (p.empty()) throw InputError("empty prune spec");
  const std::string& m = p[0];
  auto want = [&](size_t n, const char* form) {
    if (p.size() != n) throw InputError("prune spec '" + text + "': expected " + form);
  };
  if (m == "dense") {
    want(1, "dense");
  } else if (m == "unstructured") {
    want(2, "unstructured:DENSITY");
    s.method = PruneMethod::Unstructured;
    s.density = parse_density(text, p[1]);
  } else if (m == "block" || m == "rowbalanced" || m == "topk") {
    if (p.size() == 4 && (p[3] == "l2" || p[3] == "l1")) {
      s.l2 = p[3] == "l2";
      p.pop_back();
    }
    want(3, "block:RxC:DENSITY[:l1|l2] or rowbalanced:RxC:DENSITY");
    s.method = m == "block" ? PruneMethod::Block : PruneMethod::RowBalanced;
    parse_block(text, p[1], s);
    s.density = parse_density(text, p[2]);
  } else if (m == "hier") {
    want(4, "hier:RxC:COARSE_DENSITY:FINE_DENSITY");
    s.method = PruneMethod::Hierarchical;
    parse_block(text, p[1], s);
    s.coarse_density = parse_density(text, p[2]);
    s.density = parse_density(text, p[3]);
  } else if (m == "head" || m == "neuron") {
    want(2, "head:DENSITY or neuron:DENSITY");
    s.method = m == "head" ? PruneMethod::Head : PruneMethod::Neuron;
    s.density = parse_density(text, p[1]);
    if (s.density == 0.0)
      throw InputError("prune spec '" + text + "': must keep some " + m + "s (density > 0)");
  } else if (m == "nm") {
    want(3, "nm:N:M");
    s.method = PruneMethod::NM;
    s.n = parse_positive(text, p[1], "N", kMaxNmGroup);
    s.m = parse_positive(text, p[2], "M", kMaxNmGroup);
    if (s.n > s.m) throw InputError("prune spec '" + text + "': N must not exceed M");
    s.density = double(s.n) / s.m;
  } else {
    throw InputError("prune spec '" + text + "': unknown method '" + m +
                     "' (expected dense, unstructured, block, rowbalanced, hier, head, "
                     "neuron or nm)");
  }
  return s;
}

void apply_mask(Matrix& m, const PruneSpec& spec, const float* weights, Spread spread, double skew,
                Rng& rng) {
  BlockMask& mask = m.mask;
  switch (spec.method) {
    case PruneMethod::Dense:
    case PruneMethod::Head:
    case PruneMethod::Neuron:
      // Structural methods shrink the matrix itself; what is left is stored dense.
      init_grid(mask, m.rows, m.cols, 1, m.cols, false);
      std::fill(mask.kept_per_row.begin(), mask.kept_per_row.end(), 1);
      break;
    case PruneMethod::Unstructured: {
      // Fine-grained masks keep their positions (an element bitmap): what an engine can skip depends on
      // where the zeros are, not only on how many there are.
      init_grid(mask, m.rows, m.cols, 1, 1, true);
      const uint64_t total = std::llround(double(m.stored_params()) * spec.density);
      if (weights) {
        std::vector<double> s(m.stored_params());
        for (size_t i = 0; i < s.size(); ++i) s[i] = std::fabs(weights[i]);
        for (uint32_t i : top_k(s, total)) keep(mask, i / m.cols, i % m.cols);
      } else {
        const auto counts = distribute(total, m.rows, m.cols, spread, skew, rng);
        for (uint32_t r = 0; r < m.rows; ++r)
          for (uint32_t c : pick_unsorted(m.cols, counts[r], rng, true)) keep(mask, r, c);
      }
      break;
    }
    case PruneMethod::NM: {
      // n of every m consecutive input weights: by magnitude, or at seeded positions within each group.
      init_grid(mask, m.rows, m.cols, 1, 1, true);
      for (uint32_t r = 0; r < m.rows; ++r)
        for (uint32_t g = 0; g < m.cols; g += spec.m) {
          const uint32_t len = std::min(spec.m, m.cols - g), n = std::min(spec.n, len);
          if (weights) {
            std::vector<double> s(len);
            for (uint32_t i = 0; i < len; ++i) s[i] = std::fabs(weights[size_t(r) * m.cols + g + i]);
            for (uint32_t i : top_k(s, n)) keep(mask, r, g + i);
          } else {
            for (uint32_t i : pick_unsorted(len, n, rng, true)) keep(mask, r, g + i);
          }
        }
      break;
    }
    case PruneMethod::Block:
    case PruneMethod::RowBalanced:
    case PruneMethod::Hierarchical: {
      init_grid(mask, m.rows, m.cols, spec.block_rows, spec.block_cols, true);
      const uint32_t gr = mask.grid_rows, gc = mask.grid_cols;
      std::vector<double> score;
      if (weights) score = block_scores(m, weights, spec.block_rows, spec.block_cols, spec.l2);
      if (spec.method == PruneMethod::Block) {
        const uint64_t total = std::llround(double(gr) * gc * spec.density);
        if (weights) {
          for (uint32_t i : top_k(score, total)) keep(mask, i / gc, i % gc);
        } else {
          auto counts = distribute(total, gr, gc, spread, skew, rng);
          for (uint32_t r = 0; r < gr; ++r)
            for (uint32_t c : pick_unsorted(gc, counts[r], rng)) keep(mask, r, c);
        }
      } else if (spec.method == PruneMethod::RowBalanced) {
        const uint32_t per_row = uint32_t(std::llround(double(gc) * spec.density));
        for (uint32_t r = 0; r < gr; ++r) {
          if (weights) {
            std::vector<double> row(score.begin() + size_t(r) * gc, score.begin() + size_t(r + 1) * gc);
            for (uint32_t c : top_k(row, per_row)) keep(mask, r, c);
          } else {
            for (uint32_t c : pick_unsorted(gc, per_row, rng)) keep(mask, r, c);
          }
        }
      } else {
        // Coarse step: whole block columns (input feature groups); fine step: blocks inside survivors.
        const uint32_t cols_kept = uint32_t(std::llround(double(gc) * spec.coarse_density));
        std::vector<uint32_t> survivors;
        if (weights) {
          std::vector<double> col(gc, 0.0);
          for (uint32_t i = 0; i < score.size(); ++i) col[i % gc] += score[i];
          survivors = top_k(col, cols_kept);
          std::sort(survivors.begin(), survivors.end());
        } else {
          survivors = pick(gc, cols_kept, rng);
        }
        const uint64_t total = std::llround(double(gr) * cols_kept * spec.density);
        if (weights) {
          std::vector<double> s(size_t(gr) * cols_kept);
          for (uint32_t r = 0; r < gr; ++r)
            for (uint32_t j = 0; j < cols_kept; ++j)
              s[size_t(r) * cols_kept + j] = score[size_t(r) * gc + survivors[j]];
          for (uint32_t i : top_k(s, total)) keep(mask, i / cols_kept, survivors[i % cols_kept]);
        } else if (cols_kept > 0) {
          auto counts = distribute(total, gr, cols_kept, spread, skew, rng);
          for (uint32_t r = 0; r < gr; ++r)
            for (uint32_t j : pick(cols_kept, counts[r], rng)) keep(mask, r, survivors[j]);
        }
      }
      break;
    }
  }
  m.nnz = 0;
  for (uint32_t r = 0; r < mask.grid_rows; ++r) m.nnz += m.nnz_in_block_row(r);
  m.bytes = storage_bytes(m);
}

std::vector<uint8_t> element_mask(const Matrix& m, const PruneSpec& spec, const float* w) {
  std::vector<uint8_t> keep(m.stored_params(), 0);
  if (m.mask.has_bitmap) {  // block masks, and fine-grained masks that carry their positions
    for (uint32_t r = 0; r < m.rows; ++r)
      for (uint32_t c = 0; c < m.cols; ++c)
        keep[size_t(r) * m.cols + c] = m.mask.kept(r / m.mask.block_rows, c / m.mask.block_cols);
    return keep;
  }
  switch (spec.method) {
    case PruneMethod::Dense:
    case PruneMethod::Head:
    case PruneMethod::Neuron: std::fill(keep.begin(), keep.end(), 1); break;
    case PruneMethod::Block:
    case PruneMethod::RowBalanced:
    case PruneMethod::Hierarchical:
      // Read from the bitmap above; a block mask without one has lost which blocks it keeps.
      throw InputError("element_mask: matrix " + m.name + " has a block mask without its bitmap");
    case PruneMethod::Unstructured: {
      if (!w) throw InputError("element_mask: unstructured masks need the weights");
      std::vector<double> s(keep.size());
      for (size_t i = 0; i < s.size(); ++i) s[i] = std::fabs(w[i]);
      for (uint32_t i : top_k(s, m.nnz)) keep[i] = 1;
      break;
    }
    case PruneMethod::NM: {
      if (!w) throw InputError("element_mask: N:M masks need the weights");
      for (uint32_t r = 0; r < m.rows; ++r)
        for (uint32_t g = 0; g < m.cols; g += spec.m) {
          const uint32_t len = std::min(spec.m, m.cols - g);
          std::vector<double> s(len);
          for (uint32_t i = 0; i < len; ++i) s[i] = std::fabs(w[size_t(r) * m.cols + g + i]);
          for (uint32_t i : top_k(s, std::min(spec.n, len))) keep[size_t(r) * m.cols + g + i] = 1;
        }
      break;
    }
  }
  return keep;
}

}  // namespace prunesim::workloads

namespace prunesim {
template <>
const std::vector<EnumName<workloads::Spread>>& enum_names() {
  static const std::vector<EnumName<workloads::Spread>> t = {{workloads::Spread::Uniform, "uniform"},
                                                             {workloads::Spread::Skewed, "skewed"}};
  return t;
}
}  // namespace prunesim
