#include "prunesim/sim/config.h"

#include <boost/program_options.hpp>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "prunesim/models/engine.h"
#include "prunesim/workloads/error.h"
#include "prunesim/workloads/hf_model.h"

namespace po = boost::program_options;

namespace prunesim::sim {

using models::BufferConfig;
using models::HwConfig;

namespace {

std::string fmt_double(double v) {
  std::ostringstream os;
  os << std::setprecision(12) << v;
  return os.str();
}

uint64_t parse_uint(const std::string& v) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
    throw InputError("expected a non-negative integer, got '" + v + "'");
  try {
    return std::stoull(v);
  } catch (const std::exception&) {
    throw InputError("integer '" + v + "' is out of range");
  }
}

double parse_double(const std::string& v) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(d)) throw InputError("expected a number, got '" + v + "'");
  return d;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Where each key sits in an INI file, so errors can name file:line (Boost reports no line numbers).
std::map<std::string, size_t> key_lines(const std::string& path) {
  std::map<std::string, size_t> lines;
  std::ifstream is(path);
  std::string line, section;
  for (size_t n = 1; std::getline(is, line); ++n) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = trim(line.substr(0, eq));
    lines[section.empty() ? key : section + "." + key] = n;
  }
  return lines;
}

struct Assignment {
  std::string key, value, source;
};

}  // namespace

workloads::ModelSpec WorkloadConfig::model_spec() const {
  workloads::ModelSpec m =
      hf_config.empty() ? workloads::lookup_model(model) : workloads::spec_from_hf_config(hf_config);
  m.batch = batch;
  if (seq) m.seq = seq;
  if (layers) m.layers = layers;
  if (gru_input) m.gru_input = gru_input;
  if (gru_hidden) m.gru_hidden = gru_hidden;
  if (d_model) m.d_model = d_model;
  if (heads) m.heads = heads;
  if (mlp) m.mlp = mlp;
  if (d_model || heads) {
    if (m.heads == 0 || m.d_model % m.heads)
      throw InputError("workload.d_model (" + std::to_string(m.d_model) +
                       ") must be a multiple of workload.heads (" + std::to_string(m.heads) + ")");
    m.head_dim = m.d_model / m.heads;
  }
  m.decode = decode;
  if (m.family == workloads::Family::Vision && seq && seq <= m.extra_tokens)
    throw InputError("workload.seq: must exceed the model's " + std::to_string(m.extra_tokens) +
                     " extra tokens");
  return m;
}

workloads::Trace WorkloadConfig::build_trace(workloads::TraceWeights* weights_out) const {
  if (weights.empty()) {
    workloads::Trace t = workloads::compress(model_spec(), recipe());
    if (weights_out) *weights_out = workloads::seeded_trace_weights(t, seed);
    return t;
  }
  if (hf_config.empty())
    throw InputError("workload.weights needs workload.hf_config (the model's config.json)");
  const workloads::ModelWeights w = workloads::load_hf_model(weights, hf_config);
  workloads::ModelWeights compact;
  workloads::Trace t =
      workloads::compress(model_spec(), recipe(), &w, fidelity_inputs, weights_out ? &compact : nullptr);
  if (weights_out) weights_out->transformer = std::move(compact);
  return t;
}

workloads::Recipe WorkloadConfig::recipe() const {
  workloads::Recipe r;
  std::istringstream ps(prune);
  std::string item;
  while (ps >> item) r.add_prune(item);
  r.set_quant(quant);
  if (format != "auto") workloads::parse_format(format);
  r.format = format;
  r.spread = workloads::parse_spread(spread);
  r.skew = skew;
  r.seed = seed;
  std::string prune_at = token_layers;
  if (prune_at == "auto") {
    const workloads::ModelSpec spec = model_spec();
    prune_at.clear();
    if (spec.family == workloads::Family::Vision)
      for (uint32_t l : {3u, 6u, 9u})
        if (l < spec.layers) prune_at += (prune_at.empty() ? "" : ",") + std::to_string(l);
  }
  std::istringstream ls(prune_at);
  while (std::getline(ls, item, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    try {
      r.tokens.layers.push_back(int(parse_uint(item)));
    } catch (const InputError& e) {
      throw InputError("workload.token_layers: " + std::string(e.what()));
    }
  }
  r.tokens.keep = token_keep;
  r.tokens.fused = token_fused;
  if (token_mode == "static")
    r.tokens.mode = workloads::TokenPolicy::Mode::Static;
  else if (token_mode == "distribution")
    r.tokens.mode = workloads::TokenPolicy::Mode::Distribution;
  else if (token_mode == "threshold")
    r.tokens.mode = workloads::TokenPolicy::Mode::Threshold;
  else
    throw InputError("workload.token_mode: expected static, distribution or threshold, got '" + token_mode +
                     "'");
  r.tokens.keep_stddev = token_stddev;
  r.tokens.threshold = token_threshold;
  if (quant_granularity != "tensor" && quant_granularity != "channel")
    throw InputError("workload.quant_granularity: expected tensor or channel, got '" + quant_granularity +
                     "'");
  r.per_channel = quant_granularity == "channel";
  r.inputs_file = fidelity_inputs_file;
  return r;
}

void ConfigSchema::add_key(Key k) {
  index_[k.name] = keys_.size();
  keys_.push_back(std::move(k));
}

void ConfigSchema::add_u32(const std::string& name, std::function<uint32_t&(RunConfig&)> ref, uint64_t lo,
                           uint64_t hi, const std::string& help) {
  add_key({name, "integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", help,
           [ref](const RunConfig& c) { return std::to_string(ref(const_cast<RunConfig&>(c))); },
           [ref, lo, hi](RunConfig& c, const std::string& v) {
             const uint64_t x = parse_uint(v);
             if (x < lo || x > hi)
               throw InputError("value " + v + " is out of range; expected an integer in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
             ref(c) = uint32_t(x);
           }});
}

void ConfigSchema::add_u64(const std::string& name, std::function<uint64_t&(RunConfig&)> ref, uint64_t lo,
                           uint64_t hi, const std::string& help) {
  add_key({name, "integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", help,
           [ref](const RunConfig& c) { return std::to_string(ref(const_cast<RunConfig&>(c))); },
           [ref, lo, hi](RunConfig& c, const std::string& v) {
             const uint64_t x = parse_uint(v);
             if (x < lo || x > hi)
               throw InputError("value " + v + " is out of range; expected an integer in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
             ref(c) = x;
           }});
}

void ConfigSchema::add_f64(const std::string& name, std::function<double&(RunConfig&)> ref, double lo,
                           double hi, const std::string& help) {
  add_key({name, "number in [" + fmt_double(lo) + ", " + fmt_double(hi) + "]", help,
           [ref](const RunConfig& c) { return fmt_double(ref(const_cast<RunConfig&>(c))); },
           [ref, lo, hi](RunConfig& c, const std::string& v) {
             const double x = parse_double(v);
             if (x < lo || x > hi)
               throw InputError("value " + v + " is out of range; expected a number in [" + fmt_double(lo) +
                                ", " + fmt_double(hi) + "]");
             ref(c) = x;
           }});
}

void ConfigSchema::add_bool(const std::string& name, std::function<bool&(RunConfig&)> ref,
                            const std::string& help) {
  add_key({name, "true|false", help,
           [ref](const RunConfig& c) { return ref(const_cast<RunConfig&>(c)) ? "true" : "false"; },
           [ref](RunConfig& c, const std::string& v) {
             if (v == "true" || v == "1" || v == "yes" || v == "on")
               ref(c) = true;
             else if (v == "false" || v == "0" || v == "no" || v == "off")
               ref(c) = false;
             else
               throw InputError("expected true or false, got '" + v + "'");
           }});
}

void ConfigSchema::add_str(const std::string& name, std::function<std::string&(RunConfig&)> ref,
                           const std::string& help) {
  add_key({name, "string", help, [ref](const RunConfig& c) { return ref(const_cast<RunConfig&>(c)); },
           [ref](RunConfig& c, const std::string& v) { ref(c) = v; }});
}

template <class E>
void ConfigSchema::add_enum(const std::string& name, std::function<E&(RunConfig&)> ref,
                            std::vector<std::pair<std::string, E>> values, const std::string& help) {
  std::string choices;
  for (const auto& [n, e] : values) choices += (choices.empty() ? "" : "|") + n;
  add_key({name, choices, help,
           [ref, values](const RunConfig& c) {
             for (const auto& [n, e] : values)
               if (e == ref(const_cast<RunConfig&>(c))) return n;
             return std::string("?");
           },
           [ref, values, choices](RunConfig& c, const std::string& v) {
             for (const auto& [n, e] : values)
               if (n == v) {
                 ref(c) = e;
                 return;
               }
             throw InputError("expected one of " + choices + ", got '" + v + "'");
           }});
}

void ConfigSchema::add_buffer(const std::string& s, std::function<BufferConfig&(RunConfig&)> ref) {
  using models::MemoryKind;
  add_enum<MemoryKind>(
      s + ".kind", [ref](RunConfig& c) -> MemoryKind& { return ref(c).kind; },
      {{"bram", MemoryKind::Bram}, {"uram", MemoryKind::Uram}, {"m10k", MemoryKind::M10k}},
      "memory primitive: BRAM36, URAM288 or Intel M10K");
  add_u64(
      s + ".bytes", [ref](RunConfig& c) -> uint64_t& { return ref(c).bytes; }, 1024, uint64_t(1) << 34,
      "capacity one tile may use, in bytes (double buffering adds a second copy)");
  add_u32(
      s + ".banks", [ref](RunConfig& c) -> uint32_t& { return ref(c).banks; }, 1, 4096, "independent banks");
  add_u32(
      s + ".ports", [ref](RunConfig& c) -> uint32_t& { return ref(c).ports; }, 1, 2,
      "ports per bank (1 or 2)");
  add_u32(
      s + ".width_bits", [ref](RunConfig& c) -> uint32_t& { return ref(c).width_bits; }, 8, 4096,
      "bank word width in bits");
  add_bool(
      s + ".double_buffered", [ref](RunConfig& c) -> bool& { return ref(c).double_buffered; },
      "split into two halves so loading overlaps use");
}

ConfigSchema::ConfigSchema() {
  using namespace models;
  // [device]
  add_str(
      "device.part", [](RunConfig& c) -> std::string& { return c.hw.device.part; }, "FPGA part name");
  add_u32(
      "device.dsp", [](RunConfig& c) -> uint32_t& { return c.hw.device.dsp; }, 0, 100000,
      "DSP slices available");
  add_u32(
      "device.bram36", [](RunConfig& c) -> uint32_t& { return c.hw.device.bram36; }, 0, 100000,
      "BRAM36 blocks available");
  add_u32(
      "device.uram", [](RunConfig& c) -> uint32_t& { return c.hw.device.uram; }, 0, 100000,
      "URAM288 blocks available");
  add_u32(
      "device.m10k", [](RunConfig& c) -> uint32_t& { return c.hw.device.m10k; }, 0, 100000,
      "Intel M10K blocks available");
  add_u64(
      "device.lut", [](RunConfig& c) -> uint64_t& { return c.hw.device.lut; }, 0, 100000000,
      "LUTs available");
  add_f64(
      "device.max_clock_mhz", [](RunConfig& c) -> double& { return c.hw.device.max_clock_mhz; }, 1, 2000,
      "fastest fabric clock");
  add_f64(
      "device.static_power_w", [](RunConfig& c) -> double& { return c.hw.device.static_power_w; }, 0, 1000,
      "static power in W");
  // [clock]
  add_f64(
      "clock.mhz", [](RunConfig& c) -> double& { return c.hw.clock.mhz; }, 1, 2000,
      "accelerator clock in MHz");
  // [pe]
  {
    std::string names;
    for (const auto& e : models::engine_registry()) names += (names.empty() ? "" : "|") + e.name;
    add_key({"pe.engine", names,
             "compute engine timing the GEMMs (README: What each engine can skip); its own keys are in the "
             "section of its name",
             [](const RunConfig& c) { return c.hw.pe.engine; },
             [names](RunConfig& c, const std::string& v) {
               if (!models::find_engine(v))
                 throw InputError("expected one of " + names + ", got '" + v + "'");
               c.hw.pe.engine = v;
             }});
  }
  add_u32(
      "pe.macs_per_dsp_int8", [](RunConfig& c) -> uint32_t& { return c.hw.pe.macs_per_dsp_int8; }, 1, 4,
      "int8 MACs per DSP");
  add_u32(
      "pe.macs_per_dsp_int16", [](RunConfig& c) -> uint32_t& { return c.hw.pe.macs_per_dsp_int16; }, 1, 2,
      "int16 MACs per DSP");
  add_f64(
      "pe.dsp_per_mac_fp32", [](RunConfig& c) -> double& { return c.hw.pe.dsp_per_mac_fp32; }, 0.5, 16,
      "DSPs per fp32 MAC");
  add_u32(
      "pe.accumulator_bits", [](RunConfig& c) -> uint32_t& { return c.hw.pe.accumulator_bits; }, 8, 64,
      "accumulator width");
  // Each engine's own parameters, as it declares them (models/src/engines/*.cpp): the systolic engine's under
  // [pe], bound to PeConfig; the others' under a section of their name, kept in HwConfig::engine_params.
  for (const auto& e : models::engine_registry())
    for (const auto& spec : e.params) {
      const std::string key = e.section + "." + spec.name;
      add_key({key, spec.type_text(), spec.help,
               [key, spec](const RunConfig& c) {
                 if (spec.get) return spec.get(c.hw);
                 const std::string* v = c.hw.engine_params.find(key);
                 return v ? *v : spec.default_value;
               },
               [key, spec](RunConfig& c, const std::string& v) {
                 spec.check(v);
                 if (spec.set)
                   spec.set(c.hw, v);
                 else
                   c.hw.engine_params.set(key, v);
               }});
    }
  // [buffer.*]
  add_buffer("buffer.act", [](RunConfig& c) -> BufferConfig& { return c.hw.act_buffer; });
  add_buffer("buffer.weight", [](RunConfig& c) -> BufferConfig& { return c.hw.weight_buffer; });
  add_buffer("buffer.out", [](RunConfig& c) -> BufferConfig& { return c.hw.out_buffer; });
  // [ddr]
  add_str(
      "ddr.preset", [](RunConfig& c) -> std::string& { return c.hw.ddr.preset; },
      "ddr4-2400 | ddr4-3200 | hbm2: sets every timing and geometry key (channels kept); later keys "
      "override");
#define PRUNESIM_DDR_T(field, lo, hi, help) \
  add_u32(                                  \
      "ddr." #field, [](RunConfig& c) -> uint32_t& { return c.hw.ddr.timing.field; }, lo, hi, help)
  PRUNESIM_DDR_T(CL, 1, 100, "CAS latency (tCK)");
  PRUNESIM_DDR_T(CWL, 1, 100, "CAS write latency (tCK)");
  PRUNESIM_DDR_T(BL, 4, 16, "burst length");
  PRUNESIM_DDR_T(tRCD, 1, 200, "ACT to column command (tCK)");
  PRUNESIM_DDR_T(tRP, 1, 200, "PRE to ACT (tCK)");
  PRUNESIM_DDR_T(tRAS, 1, 400, "ACT to PRE (tCK)");
  PRUNESIM_DDR_T(tRC, 1, 600, "ACT to ACT, same bank (tCK)");
  PRUNESIM_DDR_T(tCCD_S, 1, 32, "column to column, other bank group (tCK)");
  PRUNESIM_DDR_T(tCCD_L, 1, 32, "column to column, same bank group (tCK)");
  PRUNESIM_DDR_T(tRRD_S, 1, 32, "ACT to ACT, other bank group (tCK)");
  PRUNESIM_DDR_T(tRRD_L, 1, 32, "ACT to ACT, same bank group (tCK)");
  PRUNESIM_DDR_T(tFAW, 1, 200, "four-activate window (tCK)");
  PRUNESIM_DDR_T(tWR, 1, 100, "write recovery (tCK)");
  PRUNESIM_DDR_T(tWTR_S, 1, 64, "write to read, other bank group (tCK)");
  PRUNESIM_DDR_T(tWTR_L, 1, 64, "write to read, same bank group (tCK)");
  PRUNESIM_DDR_T(tRTP, 1, 64, "read to precharge (tCK)");
  PRUNESIM_DDR_T(tRTRS, 0, 16, "rank-to-rank switch (tCK)");
#undef PRUNESIM_DDR_T
  add_f64(
      "ddr.tck_ns", [](RunConfig& c) -> double& { return c.hw.ddr.timing.tck_ns; }, 0.1, 10,
      "clock period (ns)");
  add_f64(
      "ddr.tRFC_ns", [](RunConfig& c) -> double& { return c.hw.ddr.timing.tRFC_ns; }, 1, 10000,
      "refresh cycle time (ns)");
  add_f64(
      "ddr.tREFI_ns", [](RunConfig& c) -> double& { return c.hw.ddr.timing.tREFI_ns; }, 100, 100000,
      "refresh interval (ns)");
#define PRUNESIM_DDR_O(field, lo, hi, help) \
  add_u32(                                  \
      "ddr." #field, [](RunConfig& c) -> uint32_t& { return c.hw.ddr.org.field; }, lo, hi, help)
  PRUNESIM_DDR_O(channels, 1, 64, "independent channels (HBM2: pseudo-channels)");
  PRUNESIM_DDR_O(ranks, 1, 8, "ranks per channel");
  PRUNESIM_DDR_O(bank_groups, 1, 16, "bank groups");
  PRUNESIM_DDR_O(banks_per_group, 1, 16, "banks per bank group");
  PRUNESIM_DDR_O(rows, 1024, 1u << 20, "rows per bank");
  PRUNESIM_DDR_O(columns, 64, 16384, "columns per row");
  PRUNESIM_DDR_O(bus_bits, 8, 1024, "data bus width per channel");
#undef PRUNESIM_DDR_O
  add_u64(
      "ddr.interleave_bytes", [](RunConfig& c) -> uint64_t& { return c.hw.ddr.org.interleave_bytes; }, 32,
      uint64_t(1) << 30, "channel interleave granule in bytes");
#define PRUNESIM_DDR_C(field, lo, hi, help) \
  add_u32(                                  \
      "ddr." #field, [](RunConfig& c) -> uint32_t& { return c.hw.ddr.ctrl.field; }, lo, hi, help)
  PRUNESIM_DDR_C(read_queue, 1, 1024, "read queue entries");
  PRUNESIM_DDR_C(write_queue, 1, 1024, "write queue entries");
  PRUNESIM_DDR_C(write_high_watermark, 1, 1024, "start draining writes at this many");
  PRUNESIM_DDR_C(write_low_watermark, 0, 1024, "stop draining writes at this many");
  PRUNESIM_DDR_C(reorder_window, 1, 1024, "FR-FCFS window (oldest requests considered)");
  PRUNESIM_DDR_C(max_row_hits, 1, 1024, "consecutive row hits allowed to bypass older requests");
#undef PRUNESIM_DDR_C
  add_enum<PagePolicy>(
      "ddr.page_policy", [](RunConfig& c) -> PagePolicy& { return c.hw.ddr.ctrl.page_policy; },
      {{"open", PagePolicy::Open}, {"closed", PagePolicy::Closed}}, "row buffer policy");
  add_enum<AddressMapping>(
      "ddr.mapping", [](RunConfig& c) -> AddressMapping& { return c.hw.ddr.ctrl.mapping; },
      [] {
        std::vector<std::pair<std::string, AddressMapping>> v;
        for (auto m : all_mappings()) v.emplace_back(mapping_name(m), m);
        return v;
      }(),
      "address mapping (row_column_bank = Xilinx MIG default; bank_group_interleaved = PG313's order)");
  add_f64(
      "ddr.controller_latency_ns",
      [](RunConfig& c) -> double& { return c.hw.ddr.ctrl.controller_latency_ns; }, 0, 1000,
      "fixed controller + PHY latency (ns)");
  // [dma]
  add_u32(
      "dma.burst_bytes", [](RunConfig& c) -> uint32_t& { return c.hw.dma.burst_bytes; }, 64, 4096,
      "AXI burst size");
  add_u32(
      "dma.outstanding", [](RunConfig& c) -> uint32_t& { return c.hw.dma.outstanding; }, 1, 256,
      "bursts in flight");
  add_u32(
      "dma.bus_bits", [](RunConfig& c) -> uint32_t& { return c.hw.dma.bus_bits; }, 32, 1024,
      "AXI data width per port");
  // [tpu]
  add_u32(
      "tpu.comparators", [](RunConfig& c) -> uint32_t& { return c.hw.tpu.comparators; }, 1, 4096,
      "compare-exchange units");
  add_enum<TopkAlgorithm>(
      "tpu.algorithm", [](RunConfig& c) -> TopkAlgorithm& { return c.hw.tpu.algorithm; },
      {{"quickselect", TopkAlgorithm::QuickSelect}, {"bitonic", TopkAlgorithm::Bitonic}}, "top-k algorithm");
  add_bool(
      "tpu.overlap", [](RunConfig& c) -> bool& { return c.hw.tpu.overlap; },
      "hide score averaging and top-k behind A*V, projection and residual");
  // [nonlinear]
  add_u32(
      "nonlinear.lanes", [](RunConfig& c) -> uint32_t& { return c.hw.nonlinear.lanes; }, 1, 4096,
      "vector lanes");
  add_u32(
      "nonlinear.depth", [](RunConfig& c) -> uint32_t& { return c.hw.nonlinear.depth; }, 0, 256,
      "pipeline depth");
  add_bool(
      "nonlinear.softmax_overlap", [](RunConfig& c) -> bool& { return c.hw.nonlinear.softmax_overlap; },
      "softmax streams behind the QK^T matmul before it: only the part beyond the matmul (at least one row) "
      "is exposed");
  // [energy]
#define PRUNESIM_E(field, help) \
  add_f64(                      \
      "energy." #field, [](RunConfig& c) -> double& { return c.hw.energy.field; }, 0, 1e6, help)
  PRUNESIM_E(mac_int8_pj, "energy per int8 MAC (pJ)");
  PRUNESIM_E(mac_int16_pj, "energy per int16 MAC (pJ)");
  PRUNESIM_E(mac_fp32_pj, "energy per fp32 MAC (pJ)");
  PRUNESIM_E(bram_pj_per_byte, "BRAM access energy per byte (pJ)");
  PRUNESIM_E(uram_pj_per_byte, "URAM access energy per byte (pJ)");
  PRUNESIM_E(ddr_pj_per_bit, "DRAM energy per bit moved, incl. I/O (pJ)");
  PRUNESIM_E(ddr_activate_nj, "DRAM energy per activate+precharge (nJ)");
  PRUNESIM_E(vector_op_pj, "energy per vector-unit element op (pJ)");
#undef PRUNESIM_E
  // [tiling]
  add_u64(
      "tiling.weight_tile_bytes", [](RunConfig& c) -> uint64_t& { return c.hw.tiling.weight_tile_bytes; }, 0,
      uint64_t(1) << 34, "weight tile size (0: one weight-buffer slot)");
  add_enum<SpillPolicy>(
      "tiling.spill", [](RunConfig& c) -> SpillPolicy& { return c.hw.tiling.spill; },
      {{"auto", SpillPolicy::Auto}, {"always", SpillPolicy::Always}},
      "auto: activations stay on chip when they fit; always: through DRAM");
  add_bool(
      "tiling.weights_resident", [](RunConfig& c) -> bool& { return c.hw.tiling.weights_resident; },
      "keep every weight matrix on chip after first use when they all fit the weight buffer");
  // [sim]
  add_bool(
      "sim.ideal_memory", [](RunConfig& c) -> bool& { return c.hw.sim.ideal_memory; }, "memory never stalls");
  add_f64(
      "sim.quantum", [](RunConfig& c) -> double& { return c.hw.sim.quantum_ns; }, 0, 1e9,
      "temporal-decoupling quantum in ns for the compute thread (0: synchronise after every item)");
  add_bool(
      "sim.functional", [](RunConfig& c) -> bool& { return c.hw.sim.functional; },
      "compute the data with the HLS kernels and check it against the Eigen forward pass");
  add_u64(
      "sim.functional_seed", [](RunConfig& c) -> uint64_t& { return c.hw.sim.functional_seed; }, 0,
      UINT64_MAX, "seed of the functional mode's weights and inputs");
  add_enum<models::FunctionalNumbers>(
      "sim.functional_numbers",
      [](RunConfig& c) -> models::FunctionalNumbers& { return c.hw.sim.functional_numbers; },
      {{"auto", models::FunctionalNumbers::Auto},
       {"float", models::FunctionalNumbers::Float},
       {"int8", models::FunctionalNumbers::Int8}},
      "functional arithmetic: int8 (bit-exact check against the integer reference), float (within 1e-3), "
      "auto "
      "(int8 for traces with <= 8-bit integer weights and 8-bit activations)");
  // [workload]
  add_str(
      "workload.trace", [](RunConfig& c) -> std::string& { return c.workload.trace; },
      "trace file to replay");
  add_str(
      "workload.model", [](RunConfig& c) -> std::string& { return c.workload.model; }, "model from the zoo");
  add_u32(
      "workload.batch", [](RunConfig& c) -> uint32_t& { return c.workload.batch; }, 1, 4096,
      "samples per inference");
  add_u32(
      "workload.seq", [](RunConfig& c) -> uint32_t& { return c.workload.seq; }, 0, 65536,
      "tokens / time steps (0: model's)");
  add_u32(
      "workload.decode", [](RunConfig& c) -> uint32_t& { return c.workload.decode; }, 0, 65536,
      "decoder: generated tokens");
  add_u32(
      "workload.layers", [](RunConfig& c) -> uint32_t& { return c.workload.layers; }, 0, 1024,
      "layers (0: model's)");
  add_u32(
      "workload.gru_input", [](RunConfig& c) -> uint32_t& { return c.workload.gru_input; }, 0, 65536,
      "GRU input size (0: model's)");
  add_u32(
      "workload.gru_hidden", [](RunConfig& c) -> uint32_t& { return c.workload.gru_hidden; }, 0, 65536,
      "GRU hidden size (0: model's)");
  add_str(
      "workload.prune", [](RunConfig& c) -> std::string& { return c.workload.prune; },
      "space-separated KIND=SPEC items");
  add_str(
      "workload.quant", [](RunConfig& c) -> std::string& { return c.workload.quant; },
      "int4|int8|int16|fp16|fp32 or KIND=TYPE,... (act=TYPE activations; act.softmax=int16 one op kind)");
  add_str(
      "workload.format", [](RunConfig& c) -> std::string& { return c.workload.format; },
      "auto|dense|bitmap|csr|bcsr|hier");
  add_str(
      "workload.spread", [](RunConfig& c) -> std::string& { return c.workload.spread; },
      "uniform|skewed kept blocks across rows");
  add_f64(
      "workload.skew", [](RunConfig& c) -> double& { return c.workload.skew; }, 0, 10,
      "log-normal sigma for skewed spread");
  add_str(
      "workload.token_layers", [](RunConfig& c) -> std::string& { return c.workload.token_layers; },
      "layers pruning tokens, e.g. 3,6,9; auto: 3,6,9 for vision models, none otherwise; empty: none");
  add_f64(
      "workload.token_keep", [](RunConfig& c) -> double& { return c.workload.token_keep; }, 1e-9, 1,
      "token keep ratio in (0, 1]");
  add_bool(
      "workload.token_fused", [](RunConfig& c) -> bool& { return c.workload.token_fused; },
      "append a fused token");
  add_str(
      "workload.token_mode", [](RunConfig& c) -> std::string& { return c.workload.token_mode; },
      "static|distribution|threshold (threshold: counts from running the model, needs real weights)");
  add_f64(
      "workload.token_stddev", [](RunConfig& c) -> double& { return c.workload.token_stddev; }, 0, 1,
      "per-sample keep stddev");
  add_u32(
      "workload.d_model", [](RunConfig& c) -> uint32_t& { return c.workload.d_model; }, 0, 65536,
      "hidden size (0: model's)");
  add_u32(
      "workload.heads", [](RunConfig& c) -> uint32_t& { return c.workload.heads; }, 0, 1024,
      "attention heads (0: model's)");
  add_u32(
      "workload.mlp", [](RunConfig& c) -> uint32_t& { return c.workload.mlp; }, 0, 1 << 20,
      "MLP hidden size (0: model's)");
  add_f64(
      "workload.token_threshold", [](RunConfig& c) -> double& { return c.workload.token_threshold; }, 1e-6,
      1e6, "threshold mode: multiple of the mean class attention a token needs");
  add_str(
      "workload.quant_granularity", [](RunConfig& c) -> std::string& { return c.workload.quant_granularity; },
      "tensor|channel: one quantization scale per tensor or per output channel");
  add_str(
      "workload.weights", [](RunConfig& c) -> std::string& { return c.workload.weights; },
      "safetensors file with real weights (needs workload.hf_config)");
  add_str(
      "workload.hf_config", [](RunConfig& c) -> std::string& { return c.workload.hf_config; },
      "Hugging Face config.json giving the model's dimensions");
  add_u32(
      "workload.fidelity_inputs", [](RunConfig& c) -> uint32_t& { return c.workload.fidelity_inputs; }, 1,
      1024, "seeded inputs for the dense-vs-pruned fidelity check (real weights)");
  add_str(
      "workload.fidelity_inputs_file",
      [](RunConfig& c) -> std::string& { return c.workload.fidelity_inputs_file; },
      "real weights: safetensors with tensor \"inputs\" [N, tokens, D] for fidelity and token counts");
  add_u64(
      "workload.seed", [](RunConfig& c) -> uint64_t& { return c.workload.seed; }, 0, UINT64_MAX,
      "random seed");
}

RunConfig ConfigSchema::resolve(const std::vector<std::string>& files,
                                const std::vector<std::string>& sets) const {
  po::options_description desc;
  for (const auto& k : keys_) desc.add_options()(k.name.c_str(), po::value<std::string>());
  std::vector<Assignment> assigns;
  for (const auto& path : files) {
    std::ifstream is(path);
    if (!is) throw InputError(path + ": cannot open config file");
    const auto lines = key_lines(path);
    auto at = [&](const std::string& key) {
      auto it = lines.find(key);
      return where(path, it == lines.end() ? 0 : it->second);
    };
    po::parsed_options parsed(&desc);
    try {
      parsed = po::parse_config_file(is, desc, false);
    } catch (const po::unknown_option& e) {
      throw InputError(at(e.get_option_name()) + ": unknown key '" + e.get_option_name() +
                       "' (prunesim run --help-config lists every key)");
    } catch (const po::error& e) {
      throw InputError(path + ": " + e.what());
    }
    for (const auto& opt : parsed.options) {
      if (opt.value.size() != 1)
        throw InputError(at(opt.string_key) + ": key '" + opt.string_key + "' needs one value");
      assigns.push_back({opt.string_key, trim(opt.value[0]), at(opt.string_key)});
    }
  }
  for (const auto& s : sets) {
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--set '" + s + "': expected section.key=value");
    const std::string key = trim(s.substr(0, eq));
    if (!index_.count(key))
      throw InputError("--set " + key + ": unknown key '" + key +
                       "' (prunesim run --help-config lists every key)");
    assigns.push_back({key, trim(s.substr(eq + 1)), "--set " + key});
  }
  RunConfig c;
  // A preset replaces the DRAM timing and geometry first; individual keys then override it.
  for (auto it = assigns.rbegin(); it != assigns.rend(); ++it) {
    if (it->key != "ddr.preset") continue;
    try {
      const uint32_t channels = c.hw.ddr.org.channels;
      c.hw.ddr = models::dram_preset(it->value);
      c.hw.ddr.org.channels = channels;
    } catch (const InputError& e) {
      throw InputError(it->source + ": " + e.what());
    }
    break;
  }
  for (const auto& a : assigns) {
    if (a.key == "ddr.preset") continue;
    try {
      keys_[index_.at(a.key)].set(c, a.value);
    } catch (const InputError& e) {
      throw InputError(a.source + ": " + a.key + ": " + e.what());
    }
  }
  validate(c);
  return c;
}

std::vector<std::pair<std::string, std::string>> ConfigSchema::dump(const RunConfig& c) const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& k : keys_) out.emplace_back(k.name, k.get(c));
  return out;
}

std::string ConfigSchema::describe() const {
  std::ostringstream os;
  RunConfig def;
  for (const auto& k : keys_)
    os << "  " << std::left << std::setw(30) << k.name << ' ' << k.help << "  [" << k.type << "; default "
       << (k.get(def).empty() ? "\"\"" : k.get(def)) << "]\n";
  return os.str();
}

void validate(const RunConfig& c) {
  c.hw.ddr.validate();
  // A key of an engine that is not the one selected would be silently ignored: refuse it.
  for (const auto& [key, value] : c.hw.engine_params.all()) {
    const std::string section = key.substr(0, key.find('.'));
    if (section != c.hw.pe.engine)
      throw InputError(key + ": a parameter of engine " + section + ", but pe.engine is " + c.hw.pe.engine +
                       " (set pe.engine = " + section + " or drop the key)");
  }
  if (c.hw.clock.mhz <= 0) throw InputError("clock.mhz: must be positive");
  models::make_engine(c.hw);  // the engine checks its own keys together (e.g. block_pe.pe_size <= block)
  for (auto [name, b] :
       {std::pair{"buffer.act", &c.hw.act_buffer}, std::pair{"buffer.weight", &c.hw.weight_buffer},
        std::pair{"buffer.out", &c.hw.out_buffer}})
    if (b->bytes < uint64_t(b->banks) * b->width_bits / 8)
      throw InputError(std::string(name) + ".bytes: smaller than one word per bank");
}

}  // namespace prunesim::sim
