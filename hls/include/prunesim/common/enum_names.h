#pragma once
// One name table per enum, beside the enum: `{value, "name"}` pairs that its printer, its parser and the
// configuration schema all read, so the names cannot drift apart. An enum opts in by specialising
// enum_names<E>() (declared next to the enum, defined in its .cpp).
#include <string>
#include <vector>

#include "prunesim/common/error.h"

namespace prunesim {

template <class E>
struct EnumName {
  E value;
  const char* name;
};

template <class E>
const std::vector<EnumName<E>>& enum_names();

template <class E>
const char* enum_name(E v) {
  for (const auto& e : enum_names<E>())
    if (e.value == v) return e.name;
  return "?";
}

// "a|b|c" (or with another separator).
template <class E>
std::string enum_choices(const char* sep = "|") {
  std::string s;
  for (const auto& e : enum_names<E>()) s += (s.empty() ? "" : sep) + std::string(e.name);
  return s;
}

// The value named `s`; InputError "expected one of a|b|c, got 's'" otherwise.
template <class E>
E parse_enum(const std::string& s) {
  for (const auto& e : enum_names<E>())
    if (s == e.name) return e.value;
  throw InputError("expected one of " + enum_choices<E>() + ", got '" + s + "'");
}

}  // namespace prunesim
