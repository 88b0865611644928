#include "prunesim/workloads/summary.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <sstream>

namespace prunesim::workloads {

std::string trace_summary(const Trace& t) {
  std::ostringstream os;
  os << "trace of " << t.header.get("model", "?") << ": " << t.ops.size() << " ops, " << t.matrices.size()
     << " weight matrices, " << t.num_layers() << " layers\n";
  size_t width = 0;  // the longest key and a space
  for (const auto& [k, v] : t.header.entries()) width = std::max(width, k.size() + 1);
  for (const auto& [k, v] : t.header.entries())
    os << "  " << std::left << std::setw(int(width)) << k << v << "\n";

  std::map<std::string, std::pair<uint64_t, uint64_t>> macs;  // kind -> (pruned, weight-dense)
  std::map<std::string, uint64_t> count;
  for (const auto& op : t.ops) {
    auto& e = macs[op_kind_name(op.kind)];
    e.first += op.macs(t.matrices);
    e.second += op.dense_macs(t.matrices);
    count[op_kind_name(op.kind)] += 1;
  }
  os << "\nops by kind      count            MACs   MACs (dense weights)\n";
  for (const auto& [kind, e] : macs)
    os << "  " << std::left << std::setw(12) << kind << std::right << std::setw(8) << count[kind]
       << std::setw(16) << e.first << std::setw(23) << e.second << "\n";
  os << "  " << std::left << std::setw(12) << "total" << std::right << std::setw(8) << t.ops.size()
     << std::setw(16) << t.total_macs() << std::setw(23) << t.total_dense_macs() << "\n";
  // Two different references, each named: the column keeps the trace's token counts; `run` compares with the
  // model before any pruning, weights and tokens alike.
  os << "  (dense weights: the same ops with every weight kept, tokens as this trace prunes them";
  if (const uint64_t u = t.header.facts().unpruned_macs)
    os << "; unpruned, no weight or token pruning, as `run` reports it: " << u;
  os << ")\n";

  uint64_t kept = 0, dense = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_format;  // format -> (matrices, bytes)
  for (const auto& [name, m] : t.matrices) {
    kept += m.nnz;
    dense += m.dense_params();
    auto& f = by_format[format_name(m.format)];
    f.first += 1;
    f.second += m.bytes;
  }
  os << "\nparameters kept  " << kept << " of " << dense << " (" << std::fixed << std::setprecision(1)
     << (dense ? 100.0 * double(kept) / double(dense) : 0.0) << " %)\n";
  os << "weight storage\n";
  for (const auto& [fmt, f] : by_format)
    os << "  " << std::left << std::setw(8) << fmt << std::right << std::setw(5) << f.first << " matrices "
       << std::setw(14) << f.second << " bytes\n";

  // Tokens alive per layer: the m of each layer's first weight GEMM (batch included).
  std::map<int, uint64_t> tokens;
  for (const auto& op : t.ops)
    if (op.layer >= 0 && op.kind == OpKind::Gemm && !tokens.count(op.layer)) tokens[op.layer] = op.m;
  bool pruned_tokens = false;
  for (const auto& op : t.ops) pruned_tokens |= op.kind == OpKind::TokenPrune;
  if (pruned_tokens) {
    os << "\ntokens per layer (after pruning points, batch total)\n";
    std::map<int, uint64_t> after;
    for (const auto& op : t.ops)
      if (op.kind == OpKind::TokenPrune) {
        uint64_t s = 0;
        for (auto k : op.tokens_kept) s += k;
        after[op.layer] = s;
      }
    for (const auto& [layer, m] : tokens) {
      os << "  layer " << std::setw(3) << layer << ": " << m;
      if (after.count(layer)) os << " -> " << after[layer] << " (token pruning)";
      os << "\n";
    }
  }
  return os.str();
}

}  // namespace prunesim::workloads
