#pragma once
// Parameters declared by the part that reads them (an engine, a policy): name, type, range, default and
// help in one ParamSpec beside the code. The configuration schema is assembled from these declarations,
// so --help-config, the unknown-key check and the resolved-config dump cannot drift from the code.
// Values are kept as the user wrote them (ParamValues) and read back typed through a ParamReader, which
// falls back to the declared default.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace prunesim::models {

struct ParamSpec {
  enum class Type { UInt, Real, Bool, Choice };
  std::string name;  // without the section: "modules"
  Type type = Type::UInt;
  std::string default_value;
  double lo = 0, hi = 0;             // UInt and Real: inclusive range
  std::vector<std::string> choices;  // Choice
  std::string help;

  static ParamSpec uint(std::string name, uint64_t def, uint64_t lo, uint64_t hi, std::string help);
  static ParamSpec real(std::string name, double def, double lo, double hi, std::string help);
  static ParamSpec flag(std::string name, bool def, std::string help);
  static ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                          std::string help);

  std::string type_text() const;  // "integer in [1, 64]", "a|b|c", "true|false"
  // Throws InputError("expected ..., got 'v'") when `v` is not a valid value.
  void check(const std::string& v) const;
};

// Values set by the user, by full key ("block_pe.modules"). What is not set takes the declared default.
class ParamValues {
 public:
  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  const std::string* find(const std::string& key) const {
    auto it = values_.find(key);
    return it == values_.end() ? nullptr : &it->second;
  }
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

// Typed reads of one section's declared parameters (Ramulator 2's param reader in spirit).
class ParamReader {
 public:
  ParamReader(std::string section, const std::vector<ParamSpec>& specs, const ParamValues& values);
  uint64_t uint(const std::string& name) const;
  double real(const std::string& name) const;
  bool flag(const std::string& name) const;
  std::string choice(const std::string& name) const;

 private:
  const std::string& text(const std::string& name, ParamSpec::Type type) const;
  std::string section_;
  const std::vector<ParamSpec>& specs_;
  const ParamValues& values_;
};

}  // namespace prunesim::models
