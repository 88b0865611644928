#include "prunesim/sim/config.h"

#include <boost/program_options.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <set>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/models/design_fit.h"
#include "prunesim/models/engine.h"
#include "prunesim/models/param_fields.h"
#include "prunesim/sim/functional.h"
#include "prunesim/workloads/hf_model.h"
#include "prunesim/workloads/onnx_model.h"
#include "prunesim/workloads/text.h"

namespace po = boost::program_options;

namespace prunesim::sim {

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

}  // namespace

IniFile read_ini(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path + ": cannot open config file (no such file)");
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(path + ": not a config file (expected an INI file, got a directory or device)");
  std::ifstream is(path, std::ios::binary);
  if (!is) throw InputError(path + ": cannot open config file");
  IniFile f;
  f.text.assign(std::istreambuf_iterator<char>(is), std::istreambuf_iterator<char>());
  if (f.text.compare(0, 3, "\xEF\xBB\xBF") == 0) f.text.erase(0, 3);
  std::istringstream ls(f.text);
  std::string line, section;
  for (size_t n = 1; std::getline(ls, line); ++n) {
    const std::string at = where(path, n) + ": ";
    for (unsigned char c : line)
      if (c < 0x20 && c != '\t' && c != '\r')
        throw InputError(at + "binary content (byte " + std::to_string(c) + ")");
    if (!valid_utf8(line)) throw InputError(at + "not UTF-8 text");
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']' || trim(line.substr(1, line.size() - 2)).empty())
        throw InputError(at + "section header '" + line + "' is not of the form [name]");
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos || trim(line.substr(0, eq)).empty())
      throw InputError(at + "expected key = value, got '" + line + "'");
    const std::string key =
        section.empty() ? trim(line.substr(0, eq)) : section + "." + trim(line.substr(0, eq));
    const auto [it, fresh] = f.lines.emplace(key, n);
    if (!fresh)
      throw InputError(at + "key '" + key + "' is set twice in this file (first at line " +
                       std::to_string(it->second) + ")");
    f.values[key] = trim(line.substr(eq + 1));
  }
  return f;
}

namespace {

struct Assignment {
  std::string key, value, source;
};

}  // namespace

workloads::ModelSpec read_model_file(const std::string& path) {
  using workloads::Family;
  const IniFile ini = read_ini(path);
  auto at = [&](const std::string& key) { return where(path, ini.lines.at(key)) + ": " + key + ": "; };
  auto get = [&](const char* key) -> const std::string* {
    const auto it = ini.values.find(std::string("model.") + key);
    return it == ini.values.end() ? nullptr : &it->second;
  };
  static const std::vector<std::string> keys = {
      "name",      "family",     "base",  "layers",  "d_model",    "heads",          "head_dim",
      "mlp",       "seq",        "vocab", "classes", "patch",      "channels",       "extra_tokens",
      "gru_input", "gru_hidden", "norm",  "source",  "activation", "norm_placement", "max_positions"};
  for (const auto& [key, value] : ini.values)
    if (key.rfind("model.", 0) != 0 || std::find(keys.begin(), keys.end(), key.substr(6)) == keys.end()) {
      std::string list;
      for (const auto& k : keys) list += (list.empty() ? "" : ", ") + k;
      throw InputError(where(path, ini.lines.at(key)) + ": unknown key '" + key +
                       "' (a model file has [model] " + list + ")");
    }
  const std::string* family = get("family");
  if (!family) throw InputError(path + ": missing key 'model.family' (encoder, decoder, vision or gru)");
  static const std::map<std::string, std::pair<Family, const char*>> families = {
      {"encoder", {Family::Encoder, "bert-base"}},
      {"decoder", {Family::Decoder, "gpt2"}},
      {"vision", {Family::Vision, "deit-small"}},
      {"gru", {Family::Gru, "gru"}}};
  const auto fam = families.find(*family);
  if (fam == families.end())
    throw InputError(at("model.family") + "expected encoder, decoder, vision or gru, got '" + *family + "'");
  workloads::ModelSpec m;
  try {
    m = workloads::lookup_model(get("base") ? *get("base") : fam->second.second);
  } catch (const InputError& e) {
    throw InputError(at("model.base") + e.what());
  }
  if (m.family != fam->second.first)
    throw InputError(at("model.base") + "'" + m.name + "' is a " + workloads::family_name(m.family) +
                     " model, not a " + *family + " one");
  m.name = get("name") ? *get("name") : std::filesystem::path(path).stem().string();
  m.source = get("source") ? *get("source") : "model file " + path;
  auto number = [&](const char* key, uint32_t& field, uint64_t lo, uint64_t hi) {
    const std::string* v = get(key);
    if (!v) return false;
    try {
      const uint64_t x = parse_uint(*v);
      if (x < lo || x > hi)
        throw InputError("expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                         "], got '" + *v + "'");
      field = uint32_t(x);
    } catch (const InputError& e) {
      throw InputError(at(std::string("model.") + key) + e.what());
    }
    return true;
  };
  number("layers", m.layers, 1, 1024);
  const bool width = number("d_model", m.d_model, 1, 65536);
  const bool heads = number("heads", m.heads, 1, 1024);
  const bool head_dim = number("head_dim", m.head_dim, 1, 65536);
  number("mlp", m.mlp, 1, 1 << 20);
  number("seq", m.seq, 1, 65536);
  number("max_positions", m.max_positions, 0, 1 << 20);
  number("vocab", m.vocab, 0, 1 << 24);
  number("classes", m.classes, 0, 1 << 24);
  number("patch", m.patch, 1, 1024);
  number("channels", m.channels, 1, 1024);
  number("extra_tokens", m.extra_tokens, 0, 16);
  number("gru_input", m.gru_input, 1, 65536);
  number("gru_hidden", m.gru_hidden, 1, 65536);
  if ((width || heads) && !head_dim) {
    if (m.d_model % m.heads)
      throw InputError(path + ": model.d_model (" + std::to_string(m.d_model) +
                       ") must be a multiple of model.heads (" + std::to_string(m.heads) +
                       "), or give model.head_dim");
    m.head_dim = m.d_model / m.heads;
  }
  if (const std::string* norm = get("norm")) {
    if (*norm != "layernorm" && *norm != "rmsnorm")
      throw InputError(at("model.norm") + "expected layernorm or rmsnorm, got '" + *norm + "'");
    m.rms_norm = *norm == "rmsnorm";
  }
  if (const std::string* act = get("activation")) {
    if (*act != "gelu" && *act != "relu")
      throw InputError(at("model.activation") + "expected gelu or relu, got '" + *act + "'");
    m.activation =
        *act == "relu" ? workloads::ModelSpec::Activation::Relu : workloads::ModelSpec::Activation::Gelu;
  }
  if (const std::string* place = get("norm_placement")) {
    if (*place != "pre" && *place != "post")
      throw InputError(at("model.norm_placement") + "expected pre or post, got '" + *place + "'");
    m.norm_placement = *place == "pre" ? workloads::ModelSpec::NormPlacement::Pre
                                       : workloads::ModelSpec::NormPlacement::Post;
  }
  if (m.family == Family::Gru && (get("activation") || get("norm_placement")))
    throw InputError(at(get("activation") ? "model.activation" : "model.norm_placement") +
                     "a GRU has no transformer MLP or norms to set");
  try {
    workloads::validate(m);
  } catch (const InputError& e) {
    throw InputError(path + ": " + e.what());
  }
  return m;
}

namespace {

// The imported graph of workload.onnx, read once per process however often the workload asks (a run asks
// for the spec, the recipe and the trace).
const workloads::OnnxModel& imported(const WorkloadConfig& w) {
  static std::map<std::tuple<std::string, uint32_t, std::string>, workloads::OnnxModel> cache;
  const char* sources[][2] = {{"model_file", w.model_file.c_str()},
                              {"hf_config", w.hf_config.c_str()},
                              {"weights", w.weights.c_str()}};
  for (const auto& [name, value] : sources)
    if (*value)
      throw InputError(std::string("workload.onnx and workload.") + name +
                       " both give the model: the ONNX graph holds its dimensions and weights");
  const std::pair<const char*, uint32_t> fixed[] = {{"layers", w.layers},       {"d_model", w.d_model},
                                                    {"heads", w.heads},         {"mlp", w.mlp},
                                                    {"gru_input", w.gru_input}, {"gru_hidden", w.gru_hidden}};
  for (const auto& [name, value] : fixed)
    if (value)
      throw InputError(std::string("workload.") + name +
                       ": an imported ONNX model's dimensions come with its "
                       "weights and cannot be changed");
  if (w.norm != "model") throw InputError("workload.norm: an imported ONNX model's norm layers are its own");
  const auto key = std::make_tuple(w.onnx, w.seq, w.onnx_unknown);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  workloads::OnnxOptions opt;
  opt.seq = w.seq;
  opt.unknown = w.onnx_unknown == "vector" ? workloads::OnnxUnknown::Vector : workloads::OnnxUnknown::Error;
  return cache.emplace(key, workloads::import_onnx(w.onnx, opt)).first->second;
}

// A model's context bounds its tokens: seq, plus decode for a decoder (GPT-2 cannot generate past its 1024
// learned positions; a 65,536-step decode was also minutes of work and gigabytes of trace).
void check_context(workloads::ModelSpec& m, const WorkloadConfig& w) {
  if (w.max_positions) m.max_positions = w.max_positions;
  const std::string c = workloads::context_overflow(m);
  if (c.empty()) return;
  const bool decoder = m.family == workloads::Family::Decoder;
  throw InputError(std::string(w.decode && decoder ? "workload.decode" : "workload.seq") + ": " + m.name +
                   " " + c + " (workload.max_positions widens the model)");
}

}  // namespace

workloads::ModelSpec WorkloadConfig::model_spec() const {
  if (!onnx.empty()) {
    workloads::ModelSpec m = imported(*this).spec;
    m.batch = batch;
    m.decode = decode;
    check_context(m, *this);
    return m;
  }
  workloads::ModelSpec m = !hf_config.empty()    ? workloads::spec_from_hf_config(hf_config)
                           : !model_file.empty() ? read_model_file(model_file)
                                                 : workloads::lookup_model(model);
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
  check_context(m, *this);
  if (norm != "model") m.rms_norm = norm == "rmsnorm";
  if (m.family == workloads::Family::Vision && seq && seq <= m.extra_tokens)
    throw InputError("workload.seq: must exceed the model's " + std::to_string(m.extra_tokens) +
                     " extra tokens");
  return m;
}

workloads::Trace WorkloadConfig::build_trace(workloads::TraceWeights* weights_out) const {
  if (!onnx.empty()) {
    const workloads::OnnxModel& g = imported(*this);
    workloads::ModelWeights compact;
    workloads::Trace t = workloads::compress(model_spec(), recipe(), &g.weights, fidelity_inputs,
                                             weights_out ? &compact : nullptr);
    t.header.set("source", "onnx:" + onnx);
    t.header.set("onnx_mapping", g.mapping);
    if (!g.unmapped.empty()) t.header.set("onnx_unmapped", g.unmapped);
    std::string notes;
    for (const auto& n : g.notes) notes += (notes.empty() ? "" : "; ") + n;
    if (!notes.empty()) t.header.set("onnx_notes", notes);
    if (weights_out) {
      weights_out->gru = compact.gru;
      if (compact.gru.empty()) weights_out->transformer = std::move(compact);
    }
    return t;
  }
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

std::vector<int> token_layer_list(const std::string& text) {
  std::vector<int> layers;
  std::istringstream ls(text);
  for (std::string item; std::getline(ls, item, ',');) {
    item = trim(item);
    if (item.empty()) continue;
    try {
      layers.push_back(int(std::min<uint64_t>(parse_uint(item), INT32_MAX)));
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) + " in the layer list '" + text + "'");
    }
  }
  return layers;
}

workloads::Recipe WorkloadConfig::recipe() const {
  workloads::Recipe r;
  std::istringstream ps(prune);
  std::string item;
  while (ps >> item) r.add_prune(item);
  r.set_quant(quant);
  r.format = format;
  r.prefer_hier = prefer_hier;
  r.spread = spread;
  r.skew = skew;
  r.seed = seed;
  if (token_layers == "auto") {
    const workloads::ModelSpec spec = model_spec();
    if (spec.family == workloads::Family::Vision)
      for (int l : {3, 6, 9})
        if (uint32_t(l) < spec.layers) r.tokens.layers.push_back(l);
  } else {
    r.tokens.layers = token_layer_list(token_layers);
  }
  r.tokens.keep = token_keep;
  r.tokens.fused = token_fused;
  r.tokens.mode = token_mode;
  r.tokens.keep_stddev = token_stddev;
  r.tokens.threshold = token_threshold;
  r.per_channel = quant_granularity == "channel";
  r.inputs_file = fidelity_inputs_file;
  return r;
}

void ConfigSchema::add_key(Key k) {
  if (index_.count(k.name)) throw std::logic_error("config key " + k.name + " declared twice");
  index_[k.name] = keys_.size();
  keys_.push_back(std::move(k));
}

void ConfigSchema::add_section(const models::ConfigSection& section) {
  for (const auto& spec : section.params) {
    const std::string key = section.name + "." + spec.name;
    add_key({key, spec.type_text(), spec.help, [spec](const RunConfig& c) { return spec.get(c.hw); },
             [spec](RunConfig& c, const std::string& v) {
               spec.check(v);
               spec.set(c.hw, v);
             }});
  }
}

void ConfigSchema::add_engine_params() {
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
}

// [workload]: the fields of WorkloadConfig, checked as the values arrive (the compressor's own grammars
// included: a bad prune or quant item is refused here, naming the key).
namespace {
template <class T>
using WlField = std::function<T&(WorkloadConfig&)>;
template <class T>
T wl_default(const WlField<T>& f) {
  static WorkloadConfig def;
  return f(def);
}
}  // namespace

void ConfigSchema::add_workload(const std::string& name, const models::ParamSpec& spec,
                                std::function<std::string(const WorkloadConfig&)> get,
                                std::function<void(WorkloadConfig&, const std::string&)> set) {
  add_key({"workload." + name, spec.type_text(), spec.help,
           [get](const RunConfig& c) { return get(c.workload); },
           [spec, set](RunConfig& c, const std::string& v) {
             spec.check(v);
             set(c.workload, v);
           }});
}

void ConfigSchema::add_workload_keys() {
  using models::ParamSpec;
  auto u32 = [this](const char* name, WlField<uint32_t> f, uint64_t lo, uint64_t hi, const char* help) {
    add_workload(
        name, ParamSpec::uint(name, wl_default(f), lo, hi, help),
        [f](const WorkloadConfig& w) { return std::to_string(f(const_cast<WorkloadConfig&>(w))); },
        [f](WorkloadConfig& w, const std::string& v) { f(w) = uint32_t(std::stoull(v)); });
  };
  auto u64 = [this](const char* name, WlField<uint64_t> f, uint64_t lo, uint64_t hi, const char* help) {
    add_workload(
        name, ParamSpec::uint(name, wl_default(f), lo, hi, help),
        [f](const WorkloadConfig& w) { return std::to_string(f(const_cast<WorkloadConfig&>(w))); },
        [f](WorkloadConfig& w, const std::string& v) { f(w) = std::stoull(v); });
  };
  auto real = [this](const char* name, WlField<double> f, double lo, double hi, const char* help) {
    add_workload(
        name, ParamSpec::real(name, wl_default(f), lo, hi, help),
        [f](const WorkloadConfig& w) { return fmt_double(f(const_cast<WorkloadConfig&>(w))); },
        [f](WorkloadConfig& w, const std::string& v) { f(w) = std::strtod(v.c_str(), nullptr); });
  };
  auto flag = [this](const char* name, WlField<bool> f, const char* help) {
    add_workload(
        name, ParamSpec::flag(name, wl_default(f), help),
        [f](const WorkloadConfig& w) { return f(const_cast<WorkloadConfig&>(w)) ? "true" : "false"; },
        [f](WorkloadConfig& w, const std::string& v) { f(w) = v == "true"; });
  };
  // Text, refused by `check` (optional) when it does not parse.
  auto text = [this](const char* name, WlField<std::string> f, const char* form, const char* help,
                     std::function<void(const std::string&)> check = {}) {
    add_workload(
        name, ParamSpec::text(name, wl_default(f), form, help),
        [f](const WorkloadConfig& w) { return f(const_cast<WorkloadConfig&>(w)); },
        [f, check](WorkloadConfig& w, const std::string& v) {
          if (check) check(v);
          f(w) = v;
        });
  };
  auto choice = [this](const char* name, WlField<std::string> f, std::vector<std::string> choices,
                       const char* help) {
    add_workload(
        name, ParamSpec::choice(name, wl_default(f), std::move(choices), help),
        [f](const WorkloadConfig& w) { return f(const_cast<WorkloadConfig&>(w)); },
        [f](WorkloadConfig& w, const std::string& v) { f(w) = v; });
  };
  auto enumerated = [this](const char* name, auto f, const char* help) {
    using E = std::decay_t<decltype(f(std::declval<WorkloadConfig&>()))>;
    std::vector<std::string> names;
    for (const auto& e : enum_names<E>()) names.push_back(e.name);
    add_workload(
        name, ParamSpec::choice(name, enum_name(wl_default<E>(f)), names, help),
        [f](const WorkloadConfig& w) { return std::string(enum_name(f(const_cast<WorkloadConfig&>(w)))); },
        [f](WorkloadConfig& w, const std::string& v) { f(w) = parse_enum<E>(v); });
  };
  text(
      "trace", [](WorkloadConfig& w) -> std::string& { return w.trace; }, "string", "trace file to replay");
  text(
      "model", [](WorkloadConfig& w) -> std::string& { return w.model; }, "string", "model from the zoo");
  u32(
      "batch", [](WorkloadConfig& w) -> uint32_t& { return w.batch; }, 1, 4096, "samples per inference");
  u32(
      "seq", [](WorkloadConfig& w) -> uint32_t& { return w.seq; }, 0, 65536,
      "tokens / time steps (0: model's)");
  u32(
      "decode", [](WorkloadConfig& w) -> uint32_t& { return w.decode; }, 0, 65536,
      "decoder: generated tokens");
  u32(
      "max_positions", [](WorkloadConfig& w) -> uint32_t& { return w.max_positions; }, 0, 1 << 20,
      "positions the model has embeddings for: seq (+ decode) must fit (0: model's; GPT-2 1024, BERT 512)");
  u32(
      "layers", [](WorkloadConfig& w) -> uint32_t& { return w.layers; }, 0, 1024, "layers (0: model's)");
  u32(
      "gru_input", [](WorkloadConfig& w) -> uint32_t& { return w.gru_input; }, 0, 65536,
      "GRU input size (0: model's)");
  u32(
      "gru_hidden", [](WorkloadConfig& w) -> uint32_t& { return w.gru_hidden; }, 0, 65536,
      "GRU hidden size (0: model's)");
  text(
      "prune", [](WorkloadConfig& w) -> std::string& { return w.prune; }, "string",
      "space-separated KIND=SPEC items",
      [](const std::string& v) {
        workloads::Recipe r;
        std::istringstream ps(v);
        for (std::string item; ps >> item;) r.add_prune(item);
      });
  text(
      "quant", [](WorkloadConfig& w) -> std::string& { return w.quant; }, "string",
      "int4|int8|int16|fp16|fp32 or KIND=TYPE,... (act=TYPE activations; act.softmax=int16 one op kind)",
      [](const std::string& v) { workloads::Recipe().set_quant(v); });
  {
    std::vector<std::string> formats = {"auto"};
    for (const auto& e : enum_names<workloads::StorageFormat>()) formats.push_back(e.name);
    choice(
        "format", [](WorkloadConfig& w) -> std::string& { return w.format; }, formats,
        "storage format of the pruned matrices (auto: chosen by the pruning method)");
  }
  enumerated(
      "spread", [](WorkloadConfig& w) -> workloads::Spread& { return w.spread; },
      "kept blocks across rows: uniform, or skewed (log-normal, workload.skew)");
  real(
      "skew", [](WorkloadConfig& w) -> double& { return w.skew; }, 0, 10,
      "log-normal sigma for skewed spread");
  text(
      "token_layers", [](WorkloadConfig& w) -> std::string& { return w.token_layers; }, "auto|L,L,...",
      "layers pruning tokens, e.g. 3,6,9; auto: 3,6,9 for vision models, none otherwise; empty: none",
      [](const std::string& v) {
        if (v != "auto") token_layer_list(v);
      });
  real(
      "token_keep", [](WorkloadConfig& w) -> double& { return w.token_keep; }, 1e-9, 1,
      "token keep ratio in (0, 1]");
  flag(
      "token_fused", [](WorkloadConfig& w) -> bool& { return w.token_fused; }, "append a fused token");
  enumerated(
      "token_mode", [](WorkloadConfig& w) -> workloads::TokenPolicy::Mode& { return w.token_mode; },
      "how many tokens each sample keeps: static, distribution (per-sample keep ~ N(keep, stddev)) or "
      "threshold (counts from running the model, needs real weights)");
  real(
      "token_stddev", [](WorkloadConfig& w) -> double& { return w.token_stddev; }, 0, 1,
      "per-sample keep stddev");
  u32(
      "d_model", [](WorkloadConfig& w) -> uint32_t& { return w.d_model; }, 0, 65536,
      "hidden size (0: model's)");
  u32(
      "heads", [](WorkloadConfig& w) -> uint32_t& { return w.heads; }, 0, 1024,
      "attention heads (0: model's)");
  u32(
      "mlp", [](WorkloadConfig& w) -> uint32_t& { return w.mlp; }, 0, 1 << 20,
      "MLP hidden size (0: model's)");
  choice(
      "norm", [](WorkloadConfig& w) -> std::string& { return w.norm; }, {"model", "layernorm", "rmsnorm"},
      "normalisation layers of a transformer: the model's own, LayerNorm, or RMSNorm (LLaMA-style: no mean, "
      "no bias)");
  real(
      "token_threshold", [](WorkloadConfig& w) -> double& { return w.token_threshold; }, 1e-6, 1e6,
      "threshold mode: multiple of the mean class attention a token needs");
  choice(
      "quant_granularity", [](WorkloadConfig& w) -> std::string& { return w.quant_granularity; },
      {"tensor", "channel"}, "one quantization scale per tensor or per output channel");
  text(
      "weights", [](WorkloadConfig& w) -> std::string& { return w.weights; }, "string",
      "safetensors file with real weights (needs workload.hf_config)");
  text(
      "hf_config", [](WorkloadConfig& w) -> std::string& { return w.hf_config; }, "string",
      "Hugging Face config.json giving the model's dimensions");
  text(
      "model_file", [](WorkloadConfig& w) -> std::string& { return w.model_file; }, "string",
      "model file ([model] INI: family, layers, d_model, heads, mlp, seq, ...) instead of workload.model",
      [](const std::string& v) {
        if (!v.empty()) read_model_file(v);
      });
  text(
      "onnx", [](WorkloadConfig& w) -> std::string& { return w.onnx; }, "string",
      "ONNX graph of a transformer or GRU: dimensions and weights from the graph, instead of workload.model "
      "(README \"Your own model\")");
  choice(
      "onnx_unknown", [](WorkloadConfig& w) -> std::string& { return w.onnx_unknown; }, {"error", "vector"},
      "an ONNX op the import cannot map: an error, or costed as one element-wise vector pass over its "
      "output");
  u32(
      "fidelity_inputs", [](WorkloadConfig& w) -> uint32_t& { return w.fidelity_inputs; }, 1, 1024,
      "seeded inputs for the dense-vs-pruned fidelity check (real weights)");
  text(
      "fidelity_inputs_file", [](WorkloadConfig& w) -> std::string& { return w.fidelity_inputs_file; },
      "string",
      "real weights: safetensors with tensor \"inputs\" [N, tokens, D] for fidelity and token counts");
  u64(
      "seed", [](WorkloadConfig& w) -> uint64_t& { return w.seed; }, 0, UINT64_MAX, "random seed");
}

ConfigSchema::ConfigSchema() {
  // The sections of HwConfig, each declared by the module that reads it (models/param_fields.h), the engines'
  // own after [pe], the functional check's [sim] keys, then the workload.
  for (const auto& section : models::config_sections()) {
    add_section(section);
    if (section.name == "pe") add_engine_params();
  }
  add_section(functional_section());
  add_workload_keys();
}

RunConfig ConfigSchema::resolve(const std::vector<std::string>& files, const std::vector<std::string>& sets,
                                const std::vector<std::string>& set_labels) const {
  // Boost's description of every key, built only when there are files to parse (a sweep resolves every
  // point, and most have none).
  po::options_description desc;
  if (!files.empty())
    for (const auto& k : keys_) desc.add_options()(k.name.c_str(), po::value<std::string>());
  std::vector<Assignment> assigns;
  for (const auto& path : files) {
    const IniFile ini = read_ini(path);
    std::istringstream is(ini.text);
    const auto& lines = ini.lines;
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
    // A file that names a device part describes that device whole: a key it left out would silently keep
    // the built-in U250's figure, and the design fit would size the design from it.
    if (lines.count("device.part")) {
      std::string missing;
      for (const auto& k : keys_)
        if (k.name.rfind("device.", 0) == 0 && !lines.count(k.name))
          missing += (missing.empty() ? "" : ", ") + k.name;
      if (!missing.empty())
        throw InputError(at("device.part") + ": device.part names a device, but this file lacks " + missing +
                         " (a device file gives every [device] key; --set device.KEY changes one)");
    }
    for (const auto& opt : parsed.options) {
      if (opt.value.size() != 1)
        throw InputError(at(opt.string_key) + ": key '" + opt.string_key + "' needs one value");
      assigns.push_back({opt.string_key, trim(opt.value[0]), at(opt.string_key)});
    }
  }
  for (size_t i = 0; i < sets.size(); ++i) {
    const std::string& s = sets[i];
    const size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError("--set '" + s + "': expected section.key=value");
    const std::string key = trim(s.substr(0, eq));
    const std::string label =
        i < set_labels.size() && !set_labels[i].empty() ? set_labels[i] : "--set " + key;
    if (!valid_utf8(s)) throw InputError(label + " '" + key + "=...': the value is not UTF-8 text");
    if (!index_.count(key))
      throw InputError(label + ": unknown key '" + key + "' (prunesim run --help-config lists every key)");
    assigns.push_back({key, trim(s.substr(eq + 1)), label});
  }
  RunConfig c;
  // A preset replaces the DRAM timing and geometry first; individual keys then override it.
  for (auto it = assigns.rbegin(); it != assigns.rend(); ++it) {
    if (it->key != "ddr.preset") continue;
    try {
      const uint32_t channels = c.hw.ddr.org.channels;
      c.hw.ddr = models::dram_preset(it->value);  // InputError naming the presets
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
  for (const auto& a : assigns) c.assigned.insert(a.key);
  c.fitted = models::fit_design(c.hw, [&](const std::string& k) { return c.assigned.count(k) > 0; });
  try {
    validate(c);
  } catch (const InputError& e) {
    // A rule over several keys names the rule; say where each key it names was set (file:line or flag), the
    // last setting of each being the one in force.
    std::string msg = e.what(), where_set;
    std::map<std::string, std::string> last;
    for (const auto& a : assigns) last[a.key] = a.source;
    for (const auto& [key, source] : last) {
      const std::string bare = key.substr(key.find('.') + 1);
      const bool named = msg.find(key) != std::string::npos ||
                         (msg.compare(0, key.find('.') + 1, key.substr(0, key.find('.') + 1)) == 0 &&
                          msg.find(bare) != std::string::npos);
      if (named) where_set += (where_set.empty() ? "" : ", ") + key + " from " + source;
    }
    throw InputError(where_set.empty() ? msg : msg + " (" + where_set + ")");
  }
  c.workload.prefer_hier = models::make_engine(c.hw)->weights_in_per_pe_banks();
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
  // A key of an engine that is not the one selected would be silently ignored: refuse it.
  for (const auto& [key, value] : c.hw.engine_params.all()) {
    const std::string section = key.substr(0, key.find('.'));
    if (section != c.hw.pe.engine)
      throw InputError(key + ": a parameter of engine " + section + ", but pe.engine is " + c.hw.pe.engine +
                       " (set pe.engine = " + section + " or drop the key)");
  }
  // A policy's own key given a value while another policy is selected would be silently dropped: refuse it.
  // The declared default is let through (it changes nothing, and a design file written out key by key has
  // it).
  for (const auto& section : models::config_sections())
    for (const auto& p : section.params) {
      const std::string key = section.name + "." + p.name;
      if (!p.unread_because || !p.get || !c.assigned.count(key)) continue;
      const std::string why = p.unread_because(c.hw);
      if (!why.empty() && p.get(c.hw) != p.default_value)
        throw InputError(key + ": set to " + p.get(c.hw) + ", but " + why + ", which does not read it (" +
                         p.help + "; drop the key or select its policy)");
    }
  // Each section checks its keys together (the DRAM timing rules, a buffer's word size, the engine's keys).
  for (const auto& section : models::config_sections())
    if (section.validate) section.validate(c.hw);
}

}  // namespace prunesim::sim
