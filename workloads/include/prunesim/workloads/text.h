#pragma once
// Small text helpers the readers of configs, sweep and explore files, and the reports, share.
#include <cmath>
#include <cstdint>
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

// `s` as one single-quoted shell word ('it'\''s' for it's).
inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return q + "'";
}

// `s` as one shell word, quoted only when it holds anything beyond letters, digits and _-+=.,:/@%.
inline std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789_-+=.,:/@%") == std::string::npos;
  return plain ? s : shell_quote(s);
}

// `v` with its thousands grouped: 7930 -> "7,930".
inline std::string group_thousands(uint64_t v) {
  std::string s = std::to_string(v), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) out += ',';
    out += s[i];
  }
  return out;
}

}  // namespace prunesim
