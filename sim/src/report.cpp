#include "prunesim/sim/report.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

#include "prunesim/workloads/error.h"

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

namespace {

// Fixed formatting so reports are byte-identical across runs.
double round6(double v) {
  return std::round(v * 1e6) / 1e6;
}

json op_json(const models::OpStats& s) {
  return json{
      {"id", s.id},
      {"layer", s.layer},
      {"name", s.name},
      {"kind", s.kind},
      {"start_cycle", s.start_cycle},
      {"cycles", s.cycles},
      {"busy_cycles", s.busy_cycles},
      {"macs", s.macs},
      {"ddr_bytes", s.ddr_read_bytes + s.ddr_write_bytes},
      {"ddr_read_bytes", s.ddr_read_bytes},
      {"ddr_write_bytes", s.ddr_write_bytes},
      {"onchip_read_bytes", s.onchip_read_bytes},
      {"onchip_write_bytes", s.onchip_write_bytes},
      {"imbalance", round6(s.imbalance)},
      {"roofline_cycles", s.roofline_cycles},
      {"tokens", s.tokens},
      {"stall_cycles",
       {{"memory", s.stall_memory}, {"buffer_ports", s.stall_ports}, {"writeback", s.stall_writeback}}}};
}

struct LayerRollup {
  uint64_t cycles = 0, macs = 0, ddr = 0, stall = 0, ops = 0;
};

std::map<int, LayerRollup> rollup(const models::RunResult& r) {
  std::map<int, LayerRollup> m;
  for (const auto& s : r.ops) {
    LayerRollup& l = m[s.layer];
    l.cycles += s.cycles, l.macs += s.macs, l.ddr += s.ddr_read_bytes + s.ddr_write_bytes;
    l.stall += s.stall_memory + s.stall_ports + s.stall_writeback, l.ops += 1;
  }
  return m;
}

std::string group(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
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

json report_json(const RunReport& rep) {
  const auto& r = rep.result;
  const auto& hw = rep.config.hw;
  json cfg = json::object();
  for (const auto& [k, v] : rep.schema.dump(rep.config)) cfg[k] = v;
  json layers = json::array();
  for (const auto& [layer, l] : rollup(r))
    layers.push_back({{"layer", layer},
                      {"cycles", l.cycles},
                      {"macs", l.macs},
                      {"ddr_bytes", l.ddr},
                      {"stall_cycles", l.stall},
                      {"ops", l.ops}});
  json ops = json::array();
  for (const auto& s : r.ops) ops.push_back(op_json(s));
  const auto& e = r.energy;
  uint64_t unpruned = 0;
  if (rep.trace.header.count("unpruned_macs")) unpruned = std::stoull(rep.trace.header.at("unpruned_macs"));
  return json{{"prunesim_version", PRUNESIM_VERSION},
              {"config", cfg},
              {"workload",
               {{"model", rep.trace.header.count("model") ? rep.trace.header.at("model") : ""},
                {"trace", rep.trace_name},
                {"trace_sha256", rep.trace_sha256},
                {"header", rep.trace.header}}},
              {"latency",
               {{"cycles", r.cycles},
                {"ms", round6(r.latency_ms)},
                {"clock_mhz", r.clock_mhz},
                {"roofline_cycles", r.roofline_cycles}}},
              {"energy",
               {{"total_mj", round6(e.total())},
                {"breakdown_mj",
                 {{"pe", round6(e.pe_mj)},
                  {"onchip", round6(e.onchip_mj)},
                  {"ddr", round6(e.ddr_mj)},
                  {"vector", round6(e.vector_mj)},
                  {"static", round6(e.static_mj)}}}}},
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
              {"compute",
               {{"macs", r.macs},
                {"dense_macs", unpruned},
                {"utilization", round6(r.utilization)},
                {"peak_macs_per_cycle", uint64_t(hw.pe.rows) * hw.pe.cols}}},
              {"resources",
               {{"dsp", {{"used", r.resources.dsp}, {"available", hw.device.dsp}}},
                {"bram36", {{"used", r.resources.bram36}, {"available", hw.device.bram36}}},
                {"uram", {{"used", r.resources.uram}, {"available", hw.device.uram}}},
                {"m10k", {{"used", r.resources.m10k}, {"available", hw.device.m10k}}},
                {"fits", r.resources.fits}}},
              {"layers", layers},
              {"ops", ops}};
}

std::string report_csv(const RunReport& rep) {
  std::ostringstream os;
  os << "id,layer,name,kind,start_cycle,cycles,busy_cycles,macs,ddr_read_bytes,ddr_write_bytes,"
        "onchip_read_bytes,onchip_write_bytes,stall_memory,stall_buffer_ports,stall_writeback,imbalance,"
        "roofline_cycles,tokens\n";
  for (const auto& s : rep.result.ops)
    os << s.id << ',' << s.layer << ',' << s.name << ',' << s.kind << ',' << s.start_cycle << ',' << s.cycles
       << ',' << s.busy_cycles << ',' << s.macs << ',' << s.ddr_read_bytes << ',' << s.ddr_write_bytes << ','
       << s.onchip_read_bytes << ',' << s.onchip_write_bytes << ',' << s.stall_memory << ',' << s.stall_ports
       << ',' << s.stall_writeback << ',' << fixed(s.imbalance, 4) << ',' << s.roofline_cycles << ','
       << s.tokens << '\n';
  return os.str();
}

std::string report_text(const RunReport& rep) {
  const auto& r = rep.result;
  const auto& hw = rep.config.hw;
  const auto& h = rep.trace.header;
  auto hv = [&h](const char* k) { return h.count(k) ? h.at(k) : std::string("-"); };
  std::ostringstream os;
  os << "prunesim " << PRUNESIM_VERSION << ": " << hv("model") << " on " << hw.device.part << " @ "
     << fixed(hw.clock.mhz, 0) << " MHz\n\n";
  os << "workload   " << hv("model") << " (" << hv("family") << "), batch " << hv("batch") << ", seq "
     << hv("seq") << ", trace " << rep.trace_name << "\n";
  os << "           pruning " << hv("pruning") << "; tokens " << hv("token_policy") << "; quant "
     << hv("quant") << "\n";
  os << "design     PE " << hw.pe.rows << "x" << hw.pe.cols << " " << models::dataflow_name(hw.pe.dataflow)
     << ", balance " << models::balance_name(hw.pe.balance) << "; DRAM " << hw.ddr.preset << " x"
     << hw.ddr.org.channels << (hw.sim.ideal_memory ? " (ideal)" : "") << "\n\n";
  const double bound_pct = r.cycles ? 100.0 * double(r.roofline_cycles) / double(r.cycles) : 0;
  os << "latency    " << group(r.cycles) << " cycles = " << fixed(r.latency_ms, 4) << " ms   (roofline bound "
     << group(r.roofline_cycles) << " cycles = " << fixed(bound_pct, 1) << " % of the latency)\n";
  uint64_t unpruned = h.count("unpruned_macs") ? std::stoull(h.at("unpruned_macs")) : 0;
  os << "compute    " << group(r.macs) << " MACs";
  if (unpruned)
    os << " (" << fixed(100.0 * double(r.macs) / double(unpruned), 1) << " % of the unpruned "
       << group(unpruned) << ")";
  os << "; PE utilisation " << fixed(100.0 * r.utilization, 1) << " %\n";
  const uint64_t acc = r.dram.reads + r.dram.writes;
  os << "traffic    DDR read " << mb(r.ddr_read_bytes) << ", write " << mb(r.ddr_write_bytes)
     << "; on-chip read " << mb(r.onchip_read_bytes) << ", write " << mb(r.onchip_write_bytes)
     << "; DRAM row hits " << fixed(acc ? 100.0 * double(r.dram.row_hits) / double(acc) : 0.0, 1) << " %, "
     << group(r.dram.activates) << " activates, " << group(r.dram.refreshes) << " refreshes\n";
  const auto& e = r.energy;
  os << "energy     " << fixed(e.total(), 3) << " mJ = PE " << fixed(e.pe_mj, 3) << " + on-chip "
     << fixed(e.onchip_mj, 3) << " + DDR " << fixed(e.ddr_mj, 3) << " + vector " << fixed(e.vector_mj, 3)
     << " + static " << fixed(e.static_mj, 3) << "\n";
  os << "resources  DSP " << r.resources.dsp << "/" << hw.device.dsp << ", BRAM36 " << r.resources.bram36
     << "/" << hw.device.bram36 << ", URAM " << r.resources.uram << "/" << hw.device.uram;
  if (hw.device.m10k) os << ", M10K " << r.resources.m10k << "/" << hw.device.m10k;
  os << (r.resources.fits ? "  (fits)" : "  (DOES NOT FIT)") << "\n\n";
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
