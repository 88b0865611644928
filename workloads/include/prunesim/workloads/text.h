#pragma once
// Small text helpers the readers of configs, sweep and explore files share.
#include <cmath>
#include <cstdlib>
#include <string>

namespace prunesim {

// `s` without the spaces, tabs and carriage returns at either end.
inline std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// A finite number spelled by the whole of `s` (strtod syntax); false for "", "1x", "nan", "inf".
inline bool parse_finite(const std::string& s, double& v) {
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && std::isfinite(v);
}

}  // namespace prunesim
