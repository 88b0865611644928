#include "prunesim/sim/report.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/workloads/text.h"

namespace prunesim::sim {

using nlohmann::json;

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  std::ostringstream os;
  for (unsigned i = 0; i < len; ++i) os << std::hex << std::setw(2) << std::setfill('0') << int(md[i]);
  return os.str();
}

namespace {
// Feeds what is written to it into a SHA-256 digest, a buffer at a time.
class DigestBuf : public std::streambuf {
 public:
  DigestBuf() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || !EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr)) throw std::runtime_error("SHA-256 failed");
    setp(buf_, buf_ + sizeof buf_);
  }
  ~DigestBuf() override { EVP_MD_CTX_free(ctx_); }
  DigestBuf(const DigestBuf&) = delete;
  DigestBuf& operator=(const DigestBuf&) = delete;
  std::string hex() {
    sync();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_DigestFinal_ex(ctx_, md, &len)) throw std::runtime_error("SHA-256 failed");
    std::ostringstream os;
    for (unsigned i = 0; i < len; ++i) os << std::hex << std::setw(2) << std::setfill('0') << int(md[i]);
    return os.str();
  }

 protected:
  int_type overflow(int_type c) override {
    sync();
    if (c != traits_type::eof()) *pptr() = char(c), pbump(1);
    return traits_type::not_eof(c);
  }
  int sync() override {
    if (pptr() > pbase() && !EVP_DigestUpdate(ctx_, pbase(), size_t(pptr() - pbase())))
      throw std::runtime_error("SHA-256 failed");
    setp(buf_, buf_ + sizeof buf_);
    return 0;
  }

 private:
  EVP_MD_CTX* ctx_;
  char buf_[1 << 16];
};
}  // namespace

std::string sha256_hex_of(const std::function<void(std::ostream&)>& write) {
  DigestBuf buf;
  std::ostream os(&buf);
  write(os);
  os.flush();
  return buf.hex();
}

namespace {

// Fixed formatting so reports are byte-identical across runs.
double round6(double v) {
  return std::round(v * 1e6) / 1e6;
}

// One table of per-op columns feeds both the CSV and the JSON, so the two cannot drift apart.
struct OpColumn {
  const char* name;
  std::function<json(const models::OpStats&)> value;
};

const std::vector<OpColumn>& op_columns() {
  using S = models::OpStats;
  static const std::vector<OpColumn> cols = {
      {"id", [](const S& s) { return json(s.id); }},
      {"layer", [](const S& s) { return json(s.layer); }},
      {"name", [](const S& s) { return json(s.name); }},
      {"kind", [](const S& s) { return json(s.kind); }},
      {"start_cycle", [](const S& s) { return json(s.start_cycle); }},
      {"cycles", [](const S& s) { return json(s.cycles); }},
      {"end_cycle", [](const S& s) { return json(s.start_cycle + s.cycles); }},
      {"busy_cycles", [](const S& s) { return json(s.busy_cycles); }},
      {"macs", [](const S& s) { return json(s.macs); }},
      {"utilization", [](const S& s) { return json(round6(s.utilization)); }},
      {"ddr_bytes", [](const S& s) { return json(s.ddr_read_bytes + s.ddr_write_bytes); }},
      {"ddr_read_bytes", [](const S& s) { return json(s.ddr_read_bytes); }},
      {"ddr_write_bytes", [](const S& s) { return json(s.ddr_write_bytes); }},
      {"onchip_read_bytes", [](const S& s) { return json(s.onchip_read_bytes); }},
      {"onchip_write_bytes", [](const S& s) { return json(s.onchip_write_bytes); }},
      {"stall_memory", [](const S& s) { return json(s.stall_memory); }},
      {"stall_buffer_ports", [](const S& s) { return json(s.stall_ports); }},
      {"stall_writeback", [](const S& s) { return json(s.stall_writeback); }},
      {"stall_token_unit", [](const S& s) { return json(s.stall_token_unit); }},
      {"stall_weight_banks", [](const S& s) { return json(s.stall_weight_banks); }},
      {"bank_conflicts_avoided_cycles", [](const S& s) { return json(s.bank_conflicts_avoided); }},
      {"bank_conflicts_avoidable_cycles", [](const S& s) { return json(s.bank_conflicts_avoidable); }},
      {"imbalance", [](const S& s) { return json(round6(s.imbalance)); }},
      {"pattern", [](const S& s) { return json(s.pattern); }},
      {"work_skipped", [](const S& s) { return json(round6(s.weights.work_skipped())); }},
      {"zeros_skipped", [](const S& s) { return json(round6(s.weights.zeros_skipped())); }},
      {"roofline_cycles", [](const S& s) { return json(s.roofline_cycles); }},
      {"roofline_fraction",
       [](const S& s) {
         return json(round6(s.cycles ? double(s.roofline_cycles) / double(s.cycles) : 0.0));
       }},
      {"preload_saved_cycles", [](const S& s) { return json(s.preload_saved_cycles); }},
      {"hidden_cycles", [](const S& s) { return json(s.hidden_cycles); }},
      {"tokens", [](const S& s) { return json(s.tokens); }},
  };
  return cols;
}

// Where each column goes in an op's JSON object, in the order the object sorts its keys: the stall_ columns
// grouped under "stall_cycles" (prefix dropped). op_json and the streamed writer both follow it.
struct OpJsonLayout {
  std::vector<std::pair<std::string, int>> keys;    // key -> column, or -1 for the stall group
  std::vector<std::pair<std::string, int>> stalls;  // stall key -> column
};

const OpJsonLayout& op_json_layout() {
  static const OpJsonLayout layout = [] {
    OpJsonLayout l;
    const auto& cols = op_columns();
    std::map<std::string, int> top;
    for (size_t i = 0; i < cols.size(); ++i) {
      const std::string name = cols[i].name;
      if (name.rfind("stall_", 0) == 0)
        l.stalls.emplace_back(name.substr(6), int(i));
      else
        top.emplace(name, int(i));
    }
    top.emplace("stall_cycles", -1);
    std::sort(l.stalls.begin(), l.stalls.end());
    l.keys.assign(top.begin(), top.end());
    return l;
  }();
  return layout;
}

json op_json(const models::OpStats& s) {
  const auto& cols = op_columns();
  const OpJsonLayout& layout = op_json_layout();
  json j = json::object();
  for (const auto& [key, col] : layout.keys) {
    if (col >= 0) {
      j[key] = cols[size_t(col)].value(s);
      continue;
    }
    json stalls = json::object();
    for (const auto& [stall, c] : layout.stalls) stalls[stall] = cols[size_t(c)].value(s);
    j[key] = stalls;
  }
  return j;
}

// Per pattern present: what the engine says it can do, and what the run measured it skipping.
struct PatternRollup {
  std::string label;
  models::Capability capability;
  models::WeightWork work;
};

std::vector<PatternRollup> pattern_rollup(const models::RunResult& r) {
  std::vector<PatternRollup> out;
  for (const auto& [label, cap] : r.capabilities) {
    const auto it = r.rollups.by_pattern.find(label);
    out.push_back({label, cap, it == r.rollups.by_pattern.end() ? models::WeightWork{} : it->second});
  }
  return out;
}

double gops(uint64_t macs, double ms) {
  return ms > 0 ? 2.0 * double(macs) / (ms * 1e-3) / 1e9 : 0.0;
}

const std::map<int, models::LayerTotals>& rollup(const models::RunResult& r) {
  return r.rollups.layers;
}

std::string fixed(double v, int digits) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(digits) << v;
  return os.str();
}

std::string mb(uint64_t bytes) {
  return fixed(double(bytes) / 1e6, 3) + " MB";
}

}  // namespace

json report_json(const RunReport& rep, bool with_ops);

namespace {
// Each key the design fit set (design_fit.h), with its value.
std::vector<std::pair<std::string, std::string>> fitted_values(const RunReport& rep) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : rep.config.fitted) out.emplace_back(k, rep.schema.value(rep.config, k));
  return out;
}
}  // namespace

json report_json(const RunReport& rep) {
  return report_json(rep, true);
}

namespace {
// Per matrix kind (qkv, fc1, ...), in order of first use: the weights before pruning, the positions left by
// structural (head and neuron) pruning, the weights kept, and dense vs stored bytes at the kind's precision.
json pruning_json(const workloads::Trace& t) {
  struct Kind {
    uint64_t matrices = 0, dense = 0, stored = 0, kept = 0, dense_bytes = 0, bytes = 0;
    std::set<std::string> patterns;
  };
  std::vector<std::string> order;
  std::map<std::string, Kind> kinds;
  for (const auto& name : t.matrix_order) {
    const workloads::Matrix& m = t.matrices.at(name);
    if (!kinds.count(m.kind)) order.push_back(m.kind);
    Kind& k = kinds[m.kind];
    ++k.matrices;
    k.dense += m.dense_params();
    k.stored += m.stored_params();
    k.kept += m.nnz;
    k.dense_bytes += (m.dense_params() * uint64_t(m.wbits) + 7) / 8;
    k.bytes += m.bytes;
    if (!m.pattern.empty()) k.patterns.insert(m.pattern);
  }
  json out = json::array();
  for (const auto& name : order) {
    const Kind& k = kinds[name];
    std::string patterns;
    for (const auto& p : k.patterns) patterns += (patterns.empty() ? "" : " ") + p;
    out.push_back({{"kind", name},
                   {"matrices", k.matrices},
                   {"dense_weights", k.dense},
                   {"weights_after_structural", k.stored},
                   {"kept_weights", k.kept},
                   {"kept_fraction", round6(k.dense ? double(k.kept) / double(k.dense) : 0.0)},
                   {"dense_bytes", k.dense_bytes},
                   {"stored_bytes", k.bytes},
                   {"patterns", patterns}});
  }
  return out;
}

// DRAM bytes per interval (timeline.h): the data of the report's bandwidth-over-time plot.
// With the weight buffer's occupancy: the most weight bytes held in each interval (fetched, not yet used up),
// against its capacity (its slots of weight_buffer.bytes each).
json timeline_json(const models::ByteTimeline& t, const models::HwConfig& hw) {
  json reads = json::array(), writes = json::array(), held = json::array();
  for (double b : t.read_bytes()) reads.push_back(round6(b));
  for (double b : t.write_bytes()) writes.push_back(round6(b));
  for (double b : t.level_max()) held.push_back(round6(b));
  return {{"interval_us", round6(t.interval_ns() * 1e-3)},
          {"requested_interval_us", round6(t.requested_interval_ns() * 1e-3)},
          {"ddr_read_bytes", reads},
          {"ddr_write_bytes", writes},
          {"weight_buffer_bytes_max", held},
          {"weight_buffer_capacity_bytes",
           hw.weight_buffer.slot_bytes() * (hw.weight_buffer.double_buffered ? 2 : 1)}};
}
// Energy by component, static and dynamic apart, and the power they make (power.h): averages, the peak
// interval, energy efficiency both ways and the power-over-time series.
json energy_json(const models::RunResult& r) {
  const auto& e = r.energy;
  const models::PowerReport& p = r.power;
  json series = json::array();
  for (double w : p.total_w) series.push_back(round6(w));
  return {{"model", "per-event table: [energy] keys (configs/energy/*.ini), static power from [device]"},
          {"total_mj", round6(e.total())},
          {"static_mj", round6(e.static_mj)},
          {"dynamic_mj", round6(e.dynamic())},
          {"breakdown_mj",
           {{"pe", round6(e.pe_mj)},
            {"onchip", round6(e.onchip_mj)},
            {"ddr", round6(e.ddr_mj)},
            {"vector", round6(e.vector_mj)},
            {"static", round6(e.static_mj)}}},
          {"power_w",
           {{"average", round6(p.average_w())},
            {"dynamic", round6(p.dynamic_w())},
            {"static", round6(p.static_w)},
            {"peak", round6(p.peak_w)},
            {"by_component",
             {{"pe", round6(p.pe_w)},
              {"onchip", round6(p.onchip_w)},
              {"ddr", round6(p.ddr_w)},
              {"vector", round6(p.vector_w)},
              {"static", round6(p.static_w)}}}}},
          {"gops_per_w",
           {{"performed", round6(p.gops_per_w_performed)},
            {"dense_equivalent", round6(p.gops_per_w_dense_equivalent)}}},
          {"power_over_time",
           {{"interval_us", round6(p.interval_ns * 1e-3)},
            {"last_interval_us", round6(p.last_interval_ns * 1e-3)},
            {"total_w", series}}}};
}
}  // namespace

json report_json(const RunReport& rep, bool with_ops) {
  const auto& r = rep.result;
  const auto& hw = rep.config.hw;
  json cfg = json::object();
  for (const auto& [k, v] : rep.schema.dump(rep.config)) cfg[k] = v;
  json fitted_json = json::object();
  for (const auto& [k, v] : fitted_values(rep)) fitted_json[k] = v;
  json layers = json::array();
  for (const auto& [layer, l] : rollup(r))
    layers.push_back({{"layer", layer},
                      {"cycles", l.cycles},
                      {"macs", l.macs},
                      {"ddr_bytes", l.ddr},
                      {"stall_cycles", l.stall},
                      {"ops", l.ops}});
  json ops = json::array();
  if (with_ops)
    for (const auto& s : r.ops) ops.push_back(op_json(s));
  json sparsity = json::array();
  for (const auto& p : pattern_rollup(r))
    sparsity.push_back({{"pattern", p.label},
                        {"exploits", p.capability.exploits},
                        {"how", p.capability.how},
                        {"work_skipped", round6(p.work.work_skipped())},
                        {"zeros_skipped", round6(p.work.zeros_skipped())}});
  const uint64_t unpruned = rep.trace.header.facts().unpruned_macs;
  json out =
      json{{"prunesim_version", PRUNESIM_VERSION},
           {"command_line", rep.command_line},
           {"config", cfg},
           {"fitted_to_device", fitted_json},
           {"workload",
            {{"model", rep.trace.header.facts().model},
             {"trace", rep.trace_name},
             {"trace_sha256", rep.trace_sha256},
             {"header", rep.trace.header.entries()}}},
           {"latency",
            {{"cycles", r.cycles},
             {"ms", round6(r.latency_ms)},
             {"clock_mhz", r.clock_mhz},
             {"roofline_cycles", r.roofline_cycles},
             // The roofs the roofline bound uses: compute (peak_macs_per_cycle) and DRAM, in bytes per cycle.
             {"dram_peak_bytes_per_cycle",
              round6(hw.sim.ideal_memory
                         ? 0.0
                         : hw.ddr.peak_gbps_per_channel() * hw.ddr.org.channels * hw.cycle_ns())}}},
           {"pruning", pruning_json(rep.trace)},
           {"energy", energy_json(r)},
           {"traffic",
            {{"ddr_read_bytes", r.ddr_read_bytes},
             {"ddr_write_bytes", r.ddr_write_bytes},
             {"onchip_read_bytes", r.onchip_read_bytes},
             {"onchip_write_bytes", r.onchip_write_bytes},
             {"dram_requests", r.dram_requests},
             {"dma_bursts", r.dma_bursts}}},
           {"dram",
            {{"reads", r.dram.reads},
             {"writes", r.dram.writes},
             {"row_hits", r.dram.row_hits},
             {"row_misses", r.dram.row_misses},
             {"row_conflicts", r.dram.row_conflicts},
             {"activates", r.dram.activates},
             {"refreshes", r.dram.refreshes},
             {"row_hit_rate", round6(r.dram.reads + r.dram.writes
                                         ? double(r.dram.row_hits) / double(r.dram.reads + r.dram.writes)
                                         : 0.0)}}},
           {"timeline", timeline_json(r.timeline, hw)},
           {"compute",
            {{"engine", r.engine},
             {"macs", r.macs},
             {"issued_macs", r.issued_macs},
             {"dense_macs", unpruned},
             {"dense_equivalent_macs", r.dense_equivalent_macs},
             {"gops_performed", round6(gops(r.macs, r.latency_ms))},
             {"gops_dense_equivalent", round6(gops(r.dense_equivalent_macs, r.latency_ms))},
             {"utilization", round6(r.utilization)},
             {"peak_macs_per_cycle", r.peak_macs_per_cycle}}},
           {"sparsity", sparsity},
           {"resources",
            {{"dsp", {{"used", r.resources.dsp}, {"available", hw.device.dsp}}},
             {"bram36", {{"used", r.resources.bram36}, {"available", hw.device.bram36}}},
             {"uram", {{"used", r.resources.uram}, {"available", hw.device.uram}}},
             {"m10k", {{"used", r.resources.m10k}, {"available", hw.device.m10k}}},
             {"lut_engine_estimate", {{"used", r.resources.lut}, {"available", hw.device.lut}}},
             {"fits", r.resources.fits}}},
           {"layers", layers},
           {"ops", ops}};
  if (!rep.baselines.empty()) {
    out["baselines"] = json::array();
    for (const auto& b : rep.baselines)
      out["baselines"].push_back({{"name", b.name},
                                  {"kind", b.kind},
                                  {"estimate", "per-op roofline from datasheet peaks, not a simulation"},
                                  {"latency_ms", round6(b.latency_ms)},
                                  {"compute_bound_ms", round6(b.compute_bound_ms)},
                                  {"memory_bound_ms", round6(b.memory_bound_ms)},
                                  {"fpga_speedup", round6(fpga_speedup(b, r.latency_ms))}});
  }
  const auto& f = rep.functional;
  if (f.checked)
    out["functional"] = {{"pass", f.pass},
                         {"numbers", f.numbers},
                         {"weights", f.weights},
                         {"tokens", f.tokens},
                         {"elements", f.elements},
                         {"max_rel_error", f.max_rel_error},
                         {"tolerance", f.tolerance},
                         {"mismatches", f.mismatches},
                         {"max_abs_diff", f.max_abs_diff},
                         {"quant_rel_error", f.quant_rel_error}};
  return out;
}

namespace {

// One op as op_json(s).dump(2) prints it two levels deep (an element of the top-level "ops" array), written
// straight from the column table in op_json's layout. Integers are printed here; floats and strings go
// through the JSON library, so their spelling and escaping are the library's.
void write_op_json(std::string& out, const models::OpStats& s) {
  auto value = [&out](const json& v) {
    char buf[24];
    if (v.is_number_unsigned())
      out.append(buf, size_t(std::to_chars(buf, buf + sizeof buf, v.get<uint64_t>()).ptr - buf));
    else if (v.is_number_integer())
      out.append(buf, size_t(std::to_chars(buf, buf + sizeof buf, v.get<int64_t>()).ptr - buf));
    else
      out += v.dump();
  };
  const auto& cols = op_columns();
  const OpJsonLayout& layout = op_json_layout();
  out += "{";
  for (size_t k = 0; k < layout.keys.size(); ++k) {
    const auto& [key, col] = layout.keys[k];
    out += k ? ",\n      \"" : "\n      \"";
    out += key;
    out += "\": ";
    if (col >= 0) {
      value(cols[size_t(col)].value(s));
      continue;
    }
    out += "{";
    for (size_t j = 0; j < layout.stalls.size(); ++j) {
      out += j ? ",\n        \"" : "\n        \"";
      out += layout.stalls[j].first;
      out += "\": ";
      value(cols[size_t(layout.stalls[j].second)].value(s));
    }
    out += "\n      }";
  }
  out += "\n    }";
}

}  // namespace

void write_report_json(std::ostream& os, const RunReport& rep) {
  if (rep.functional.checked) {  // small runs only: no need to stream
    os << report_json(rep).dump(2) << "\n";
    return;
  }
  // The ops are the bulk of a long run's report (GPT-2 decode: tens of MB): each is written straight to the
  // stream, rather than built as a JSON tree and the whole report held as one string.
  const std::string placeholder = "\n  \"ops\": []";
  const std::string text = report_json(rep, false).dump(2);
  const size_t at = text.find(placeholder);
  if (at == std::string::npos || rep.result.ops.empty()) {
    os << report_json(rep).dump(2) << "\n";
    return;
  }
  os.write(text.data(), std::streamsize(at));
  os << "\n  \"ops\": [";
  std::string chunk;  // a few hundred ops per write
  for (size_t i = 0; i < rep.result.ops.size(); ++i) {
    chunk += i ? ",\n    " : "\n    ";
    write_op_json(chunk, rep.result.ops[i]);
    if (chunk.size() >= (1 << 18) || i + 1 == rep.result.ops.size()) {
      os.write(chunk.data(), std::streamsize(chunk.size()));
      chunk.clear();
    }
  }
  os << "\n  ]";
  os.write(text.data() + at + placeholder.size(), std::streamsize(text.size() - at - placeholder.size()));
  os << "\n";
}

std::string report_json_text(const RunReport& rep) {
  std::ostringstream os;
  write_report_json(os, rep);
  return os.str();
}

std::string report_csv(const RunReport& rep) {
  std::ostringstream os;
  const auto& cols = op_columns();
  for (size_t i = 0; i < cols.size(); ++i) os << (i ? "," : "") << cols[i].name;
  os << '\n';
  for (const auto& s : rep.result.ops) {
    for (size_t i = 0; i < cols.size(); ++i) {
      const json v = cols[i].value(s);
      os << (i ? "," : "") << (v.is_string() ? v.get<std::string>() : v.dump());
    }
    os << '\n';
  }
  return os.str();
}

std::string report_text(const RunReport& rep) {
  const auto& r = rep.result;
  const auto& hw = rep.config.hw;
  const auto& h = rep.trace.header;
  auto hv = [&h](const char* k) { return h.get(k, "-"); };
  std::ostringstream os;
  os << "prunesim " << PRUNESIM_VERSION << ": " << hv("model") << " on " << hw.device.part << " @ "
     << fixed(hw.clock.mhz, 0) << " MHz\n\n";
  os << "workload   " << hv("model") << " (" << hv("family") << "), batch " << hv("batch") << ", seq "
     << hv("seq") << ", trace " << rep.trace_name << "\n";
  os << "           pruning " << hv("pruning") << "; tokens " << hv("token_policy") << "; quant "
     << hv("quant") << "\n";
  // An imported graph's ops that prunesim costed generically, and what the import assumed: a reviewer must
  // see both.
  if (h.has("onnx_unmapped")) os << "           ONNX ops not mapped: " << h.get("onnx_unmapped") << "\n";
  if (h.has("onnx_notes")) os << "           ONNX import: " << h.get("onnx_notes") << "\n";
  {
    // What the recipe left whole, and whether it was the user's: `all=` covers the layers' matrices only.
    std::set<std::string> whole, pruned;
    for (const auto& [name, m] : rep.trace.matrices)
      (m.nnz == m.dense_params() ? whole : pruned).insert(m.kind);
    std::string kinds;
    for (const auto& k : whole)
      if (!pruned.count(k)) kinds += (kinds.empty() ? "" : ", ") + k;
    const bool defaulted = rep.config.workload.trace.empty() && !rep.config.assigned.count("workload.prune");
    std::vector<std::string> notes;
    if (defaulted) notes.push_back("the built-in default recipe (--prune sets yours)");
    if (!kinds.empty())
      notes.push_back("weights kept whole: " + kinds +
                      " (all= covers the layers only; --prune KIND=... prunes them)");
    for (size_t i = 0; i < notes.size(); ++i) os << (i ? "; " : "           ") << notes[i];
    if (!notes.empty()) os << "\n";
  }
  os << "design     " << r.engine << "; DRAM " << hw.ddr.preset << " x" << hw.ddr.org.channels
     << (hw.sim.ideal_memory ? " (ideal)" : "") << "\n";
  // The keys the config left unset and the fit gave another value than the built-in design's.
  std::string fitted;
  for (const auto& [k, v] : fitted_values(rep))
    if (v != rep.schema.value(RunConfig{}, k)) fitted += (fitted.empty() ? "" : ", ") + k + "=" + v;
  if (!fitted.empty()) os << "           fitted to the device (keys left unset): " << fitted << "\n";
  os << "\n";
  const double bound_pct = r.cycles ? 100.0 * double(r.roofline_cycles) / double(r.cycles) : 0;
  os << "latency    " << group_thousands(r.cycles) << " cycles = " << fixed(r.latency_ms, 4)
     << " ms   (roofline bound " << group_thousands(r.roofline_cycles) << " cycles = " << fixed(bound_pct, 1)
     << " % of the latency)\n";
  const uint64_t unpruned = h.facts().unpruned_macs;
  os << "compute    " << group_thousands(r.macs) << " MACs";
  if (unpruned)
    os << " (" << fixed(100.0 * double(r.macs) / double(unpruned), 1) << " % of the unpruned "
       << group_thousands(unpruned) << ")";
  os << "; efficiency " << fixed(100.0 * r.utilization, 1) << " % of the engine's peak\n";
  os << "           " << fixed(gops(r.macs, r.latency_ms), 2) << " GOPS performed (2 ops per MAC done), "
     << fixed(gops(r.dense_equivalent_macs, r.latency_ms), 2)
     << " GOPS dense-equivalent (the same ops with unpruned weights)\n";
  for (const auto& p : pattern_rollup(r)) {
    if (p.label == "dense") continue;
    // What was measured decides the verb; the engine's own statement says why.
    const bool measured = p.work.has_zeros();
    const double z = p.work.zeros_skipped();
    const char* verb = !measured  ? (p.capability.exploits ? "exploits   " : "cannot     ")
                       : z >= 0.9 ? "exploits   "
                       : z >= 0.1 ? "partly     "
                                  : "cannot     ";
    os << verb << p.label << ": " << p.capability.how;
    if (measured) os << " (" << fixed(100.0 * z, 1) << " % of zeros skipped)";
    os << "\n";
  }
  const uint64_t bank_stall = r.rollups.stall_weight_banks, bank_avoided = r.rollups.bank_conflicts_avoided,
                 bank_avoidable = r.rollups.bank_conflicts_avoidable;
  if (bank_stall || bank_avoided || bank_avoidable) {
    os << "banks      per-PE weight banks: " << group_thousands(bank_stall)
       << " cycles waiting on bank conflicts ("
       << fixed(r.cycles ? 100.0 * double(bank_stall) / double(r.cycles) : 0.0, 1) << " % of the latency)";
    if (bank_avoided)
      os << "; the hier layout avoided " << group_thousands(bank_avoided) << " that block CSR would cost";
    if (bank_avoidable)
      os << "; the hier layout (--format hier) would avoid " << group_thousands(bank_avoidable)
         << " of the block-CSR ones";
    os << "\n";
  }
  const uint64_t acc = r.dram.reads + r.dram.writes;
  os << "traffic    DDR read " << mb(r.ddr_read_bytes) << ", write " << mb(r.ddr_write_bytes)
     << "; on-chip read " << mb(r.onchip_read_bytes) << ", write " << mb(r.onchip_write_bytes)
     << "; DRAM row hits " << fixed(acc ? 100.0 * double(r.dram.row_hits) / double(acc) : 0.0, 1) << " %, "
     << group_thousands(r.dram.activates) << " activates, " << group_thousands(r.dram.refreshes)
     << " refreshes\n";
  const auto& e = r.energy;
  os << "energy     " << fixed(e.total(), 3) << " mJ = PE " << fixed(e.pe_mj, 3) << " + on-chip "
     << fixed(e.onchip_mj, 3) << " + DDR " << fixed(e.ddr_mj, 3) << " + vector " << fixed(e.vector_mj, 3)
     << " + static " << fixed(e.static_mj, 3) << "\n";
  const models::PowerReport& pw = r.power;
  os << "power      " << fixed(pw.average_w(), 3) << " W average = dynamic " << fixed(pw.dynamic_w(), 3)
     << " + static " << fixed(pw.static_w, 3) << "; peak " << fixed(pw.peak_w, 3) << " W (over "
     << fixed(pw.interval_ns * 1e-3, 3) << " us intervals); " << fixed(pw.gops_per_w_performed, 2)
     << " GOPS/W performed, " << fixed(pw.gops_per_w_dense_equivalent, 2) << " dense-equivalent\n";
  os << "resources  DSP " << r.resources.dsp << "/" << hw.device.dsp << ", BRAM36 " << r.resources.bram36
     << "/" << hw.device.bram36 << ", URAM " << r.resources.uram << "/" << hw.device.uram;
  if (hw.device.m10k) os << ", M10K " << r.resources.m10k << "/" << hw.device.m10k;
  os << (r.resources.fits ? "  (fits)" : "  (DOES NOT FIT)") << "\n";
  if (!rep.baselines.empty()) {
    os << "baselines  " << speedups_text(rep.baselines, r.latency_ms);
    os << "\n           (CPU/GPU: per-op roofline estimates, not simulations; the shipped files give the "
          "fastest each could be (peaks, or the best measured), so the FPGA speed-ups are lower bounds)\n";
  }
  if (const auto& f = rep.functional; f.checked) {
    os << "functional " << (f.pass ? "PASS" : "FAIL") << ": " << f.numbers
       << " kernels on the replayed schedule vs the Eigen forward pass, " << f.tokens
       << (h.facts().family == "gru" ? " time steps" : " tokens") << " compared, " << f.weights
       << " weights\n";
    if (f.numbers == "int8")
      os << "           " << f.mismatches << " of " << f.elements
         << " values differ from the integer reference"
         << " (max " << f.max_abs_diff << " LSB); int8 vs float model: relative error " << std::scientific
         << std::setprecision(2) << f.quant_rel_error << std::defaultfloat << "\n";
    else
      os << "           max relative error " << std::scientific << std::setprecision(2) << f.max_rel_error
         << std::defaultfloat << " (tolerance " << f.tolerance << ")\n";
  }
  os << "\n";
  os << "per layer  " << std::setw(6) << "layer" << std::setw(14) << "cycles" << std::setw(10) << "ms"
     << std::setw(16) << "MACs" << std::setw(14) << "DDR bytes" << std::setw(14) << "stall"
     << "\n";
  for (const auto& [layer, l] : rollup(r)) {
    os << "           " << std::setw(6) << (layer < 0 ? std::string("other") : std::to_string(layer))
       << std::setw(14) << l.cycles << std::setw(10) << fixed(double(l.cycles) * hw.cycle_ns() * 1e-6, 4)
       << std::setw(16) << l.macs << std::setw(14) << l.ddr << std::setw(14) << l.stall << "\n";
  }
  return os.str();
}

}  // namespace prunesim::sim
