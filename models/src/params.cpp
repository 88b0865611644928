#include "prunesim/models/params.h"

#include <cmath>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "prunesim/workloads/error.h"

namespace prunesim::models {

namespace {
std::string number_text(double v) {
  std::ostringstream os;
  os << std::setprecision(12) << v;
  return os.str();
}
bool parse_uint(const std::string& v, uint64_t& out) {
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoull(v);
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
  s.lo = double(lo);
  s.hi = double(hi);
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
    case Type::UInt: return "integer in [" + number_text(lo) + ", " + number_text(hi) + "]";
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
      if (!parse_uint(v, x) || double(x) < lo || double(x) > hi)
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

}  // namespace prunesim::models
