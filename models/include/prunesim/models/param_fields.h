#pragma once
// Parameters bound to a field of HwConfig (params.h ParamSpec::bind), for the config structs the modules
// read: each module declares its section beside its code, and config_sections() lists them all. The default
// is the field's value in a default HwConfig, so a struct's initialiser is the one place a default lives.
#include <functional>
#include <string>
#include <vector>

#include "prunesim/common/enum_names.h"
#include "prunesim/models/hw_config.h"
#include "prunesim/models/params.h"

namespace prunesim::models {

template <class T>
using HwField = std::function<T&(HwConfig&)>;

ParamSpec uint_field(std::string name, HwField<uint32_t> f, uint64_t lo, uint64_t hi, std::string help);
ParamSpec uint_field(std::string name, HwField<uint64_t> f, uint64_t lo, uint64_t hi, std::string help);
ParamSpec real_field(std::string name, HwField<double> f, double lo, double hi, std::string help);
ParamSpec flag_field(std::string name, HwField<bool> f, std::string help);
// Free text; `check` (optional) throws InputError on a value it refuses.
ParamSpec text_field(std::string name, HwField<std::string> f, std::string text_type, std::string help,
                     std::function<void(const std::string&)> check = {});

// A string that must be one of `choices` (names of registered implementations).
ParamSpec choice_field(std::string name, HwField<std::string> f, std::vector<std::string> choices,
                       std::string help);

// An enum whose names come from its one table (enum_names.h).
template <class E>
ParamSpec enum_field(std::string name, HwField<E> f, std::string help) {
  std::vector<std::string> choices;
  for (const auto& e : enum_names<E>()) choices.push_back(e.name);
  HwConfig def;
  ParamSpec s = ParamSpec::choice(std::move(name), enum_name(f(def)), std::move(choices), std::move(help));
  s.bind([f](const HwConfig& hw) { return std::string(enum_name(f(const_cast<HwConfig&>(hw)))); },
         [f](HwConfig& hw, const std::string& v) { f(hw) = parse_enum<E>(v); });
  return s;
}

// A section of the configuration: `[name]` in an INI file, `name.key` on the command line. `validate` (may be
// empty) checks the section's keys together, after every key is set; InputError names the key.
struct ConfigSection {
  std::string name;
  std::vector<ParamSpec> params;
  std::function<void(const HwConfig&)> validate;
};

// Every section of HwConfig except the engines' own (engine_registry() has those), in --help-config order.
// One line per section in models/src/config_sections.cpp; each section's keys are declared by the module
// that reads them.
const std::vector<ConfigSection>& config_sections();

// The sections, declared beside the code that reads them.
ConfigSection device_section();                                                  // resources.cpp
ConfigSection clock_section();                                                   // resources.cpp
ConfigSection pe_section();                                                      // engine.cpp
ConfigSection buffer_section(const std::string& name, HwField<BufferConfig> f);  // buffer.cpp
ConfigSection ddr_section();                                                     // dram_config.cpp
ConfigSection dma_section();                                                     // dma.cpp
ConfigSection tpu_section();                                                     // compute_units.cpp
ConfigSection nonlinear_section();                                               // compute_units.cpp
ConfigSection energy_section();                                                  // accelerator.cpp
ConfigSection tiling_section();                                                  // tiling.cpp
ConfigSection sim_section();                                                     // accelerator.cpp

}  // namespace prunesim::models
