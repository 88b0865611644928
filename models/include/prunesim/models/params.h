#pragma once
// Parameters declared by the part that reads them (an engine, a policy): name, type, range, default and
// help in one ParamSpec beside the code. The configuration schema is assembled from these declarations,
// so --help-config, the unknown-key check and the resolved-config dump cannot drift from the code.
// Values are kept as the user wrote them (ParamValues) and read back typed through a ParamReader, which
// falls back to the declared default.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace prunesim::models {

struct HwConfig;

struct ParamSpec {
  enum class Type { UInt, Real, Bool, Choice, Text };
  std::string name;  // without the section: "modules"
  Type type = Type::UInt;
  std::string default_value;
  double lo = 0, hi = 0;             // Real: inclusive range
  uint64_t ulo = 0, uhi = 0;         // UInt: inclusive range
  std::vector<std::string> choices;  // Choice
  std::string text_type;             // Text: how --help-config names the accepted form ("none|N:M")
  std::string help;
  // Where the value lives. Unbound (the default), in HwConfig::engine_params under "<section>.<name>", read
  // back with a ParamReader; an engine whose config is a struct of HwConfig (systolic: PeConfig) binds the
  // field instead: `get` prints it, `set` parses and stores it (after check(); throws InputError).
  std::function<std::string(const HwConfig&)> get;
  std::function<void(HwConfig&, const std::string&)> set;
  // For a key that one policy reads and the others do not (ddr.reorder_window is FR-FCFS's): the reason it
  // goes unread under `h` ("ddr.scheduler is fcfs"), empty when it is read. Setting such a key to other than
  // its default where it goes unread is an error (sim::validate), never a value silently dropped.
  std::function<std::string(const HwConfig&)> unread_because;

  static ParamSpec uint(std::string name, uint64_t def, uint64_t lo, uint64_t hi, std::string help);
  static ParamSpec real(std::string name, double def, double lo, double hi, std::string help);
  static ParamSpec flag(std::string name, bool def, std::string help);
  static ParamSpec choice(std::string name, std::string def, std::vector<std::string> choices,
                          std::string help);
  // Free-form text validated by `set` (bound parameters only).
  static ParamSpec text(std::string name, std::string def, std::string text_type, std::string help);
  ParamSpec& bind(std::function<std::string(const HwConfig&)> getter,
                  std::function<void(HwConfig&, const std::string&)> setter) {
    get = std::move(getter);
    set = std::move(setter);
    return *this;
  }

  ParamSpec& read_only_when(std::function<std::string(const HwConfig&)> reason) {
    unread_because = std::move(reason);
    return *this;
  }

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
  std::string text(const std::string& name) const { return text(name, ParamSpec::Type::Text); }

 private:
  const std::string& text(const std::string& name, ParamSpec::Type type) const;
  std::string section_;
  const std::vector<ParamSpec>& specs_;
  const ParamValues& values_;
};

}  // namespace prunesim::models
