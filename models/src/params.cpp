#include "prunesim/models/params.h"

#include "prunesim/models/param_fields.h"

#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "prunesim/common/error.h"

namespace prunesim::models {

namespace {
std::string number_text(double v) {
  std::ostringstream os;
  os << std::setprecision(12) << v;
  return os.str();
}
// Digits only, no wrap-around.
bool parse_uint(const std::string& v, uint64_t& out) {
  if (v.empty()) return false;
  out = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || out > (UINT64_MAX - uint64_t(c - '0')) / 10) return false;
    out = out * 10 + uint64_t(c - '0');
  }
  return true;
}
bool parse_real(const std::string& v, double& out) {
  char* end = nullptr;
  out = std::strtod(v.c_str(), &end);
  return !v.empty() && *end == '\0' && std::isfinite(out);
}
}  // namespace

ParamSpec ParamSpec::uint(std::string name, uint64_t def, uint64_t lo, uint64_t hi, std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = Type::UInt;
  s.default_value = std::to_string(def);
  s.ulo = lo;
  s.uhi = hi;
  s.help = std::move(help);
  return s;
}
ParamSpec ParamSpec::real(std::string name, double def, double lo, double hi, std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = Type::Real;
  s.default_value = number_text(def);
  s.lo = lo;
  s.hi = hi;
  s.help = std::move(help);
  return s;
}
ParamSpec ParamSpec::flag(std::string name, bool def, std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = Type::Bool;
  s.default_value = def ? "true" : "false";
  s.help = std::move(help);
  return s;
}
ParamSpec ParamSpec::choice(std::string name, std::string def, std::vector<std::string> choices,
                            std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = Type::Choice;
  s.default_value = std::move(def);
  s.choices = std::move(choices);
  s.help = std::move(help);
  return s;
}

ParamSpec ParamSpec::text(std::string name, std::string def, std::string text_type, std::string help) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = Type::Text;
  s.default_value = std::move(def);
  s.text_type = std::move(text_type);
  s.help = std::move(help);
  return s;
}

std::string ParamSpec::type_text() const {
  switch (type) {
    case Type::UInt: return "integer in [" + std::to_string(ulo) + ", " + std::to_string(uhi) + "]";
    case Type::Real: return "number in [" + number_text(lo) + ", " + number_text(hi) + "]";
    case Type::Bool: return "true|false";
    case Type::Choice: {
      std::string t;
      for (const auto& c : choices) t += (t.empty() ? "" : "|") + c;
      return t;
    }
    case Type::Text: return text_type;
  }
  return "?";
}

void ParamSpec::check(const std::string& v) const {
  switch (type) {
    case Type::UInt: {
      uint64_t x = 0;
      if (!parse_uint(v, x) || x < ulo || x > uhi)
        throw InputError("expected an " + type_text() + ", got '" + v + "'");
      return;
    }
    case Type::Real: {
      double x = 0;
      if (!parse_real(v, x) || x < lo || x > hi)
        throw InputError("expected a " + type_text() + ", got '" + v + "'");
      return;
    }
    case Type::Bool:
      if (v != "true" && v != "false") throw InputError("expected true or false, got '" + v + "'");
      return;
    case Type::Choice:
      for (const auto& c : choices)
        if (c == v) return;
      throw InputError("expected one of " + type_text() + ", got '" + v + "'");
    case Type::Text: return;  // the binding's setter validates
  }
}

ParamReader::ParamReader(std::string section, const std::vector<ParamSpec>& specs, const ParamValues& values)
    : section_(std::move(section)), specs_(specs), values_(values) {}

const std::string& ParamReader::text(const std::string& name, ParamSpec::Type type) const {
  for (const auto& s : specs_) {
    if (s.name != name) continue;
    if (s.type != type) throw std::logic_error(section_ + "." + name + " read as the wrong type");
    const std::string* v = values_.find(section_ + "." + name);
    return v ? *v : s.default_value;
  }
  throw std::logic_error(section_ + "." + name + " is not declared");
}

uint64_t ParamReader::uint(const std::string& name) const {
  return std::stoull(text(name, ParamSpec::Type::UInt));
}
double ParamReader::real(const std::string& name) const {
  return std::strtod(text(name, ParamSpec::Type::Real).c_str(), nullptr);
}
bool ParamReader::flag(const std::string& name) const {
  return text(name, ParamSpec::Type::Bool) == "true";
}
std::string ParamReader::choice(const std::string& name) const {
  return text(name, ParamSpec::Type::Choice);
}

// ---------------------------------------------------------------- fields of HwConfig

namespace {
const HwConfig& defaults() {
  static const HwConfig d;
  return d;
}
template <class T>
T default_of(const HwField<T>& f) {
  return f(const_cast<HwConfig&>(defaults()));
}
}  // namespace

ParamSpec uint_field(std::string name, HwField<uint32_t> f, uint64_t lo, uint64_t hi, std::string help) {
  ParamSpec s = ParamSpec::uint(std::move(name), default_of(f), lo, hi, std::move(help));
  s.bind([f](const HwConfig& hw) { return std::to_string(f(const_cast<HwConfig&>(hw))); },
         [f](HwConfig& hw, const std::string& v) { f(hw) = uint32_t(std::stoull(v)); });
  return s;
}
ParamSpec uint_field(std::string name, HwField<uint64_t> f, uint64_t lo, uint64_t hi, std::string help) {
  ParamSpec s = ParamSpec::uint(std::move(name), default_of(f), lo, hi, std::move(help));
  s.bind([f](const HwConfig& hw) { return std::to_string(f(const_cast<HwConfig&>(hw))); },
         [f](HwConfig& hw, const std::string& v) { f(hw) = std::stoull(v); });
  return s;
}
ParamSpec real_field(std::string name, HwField<double> f, double lo, double hi, std::string help) {
  ParamSpec s = ParamSpec::real(std::move(name), default_of(f), lo, hi, std::move(help));
  s.bind([f](const HwConfig& hw) { return number_text(f(const_cast<HwConfig&>(hw))); },
         [f](HwConfig& hw, const std::string& v) { f(hw) = std::strtod(v.c_str(), nullptr); });
  return s;
}
ParamSpec flag_field(std::string name, HwField<bool> f, std::string help) {
  ParamSpec s = ParamSpec::flag(std::move(name), default_of(f), std::move(help));
  s.bind([f](const HwConfig& hw) { return std::string(f(const_cast<HwConfig&>(hw)) ? "true" : "false"); },
         [f](HwConfig& hw, const std::string& v) { f(hw) = v == "true"; });
  return s;
}
ParamSpec choice_field(std::string name, HwField<std::string> f, std::vector<std::string> choices,
                       std::string help) {
  ParamSpec s = ParamSpec::choice(std::move(name), default_of(f), std::move(choices), std::move(help));
  s.bind([f](const HwConfig& hw) { return f(const_cast<HwConfig&>(hw)); },
         [f](HwConfig& hw, const std::string& v) { f(hw) = v; });
  return s;
}
ParamSpec text_field(std::string name, HwField<std::string> f, std::string text_type, std::string help,
                     std::function<void(const std::string&)> check) {
  ParamSpec s = ParamSpec::text(std::move(name), default_of(f), std::move(text_type), std::move(help));
  s.bind([f](const HwConfig& hw) { return f(const_cast<HwConfig&>(hw)); },
         [f, check](HwConfig& hw, const std::string& v) {
           if (check) check(v);
           f(hw) = v;
         });
  return s;
}

}  // namespace prunesim::models
