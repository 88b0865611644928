#pragma once
// Error types shared by every prunesim layer. The CLI maps InputError to exit status 2 (bad input or
// usage) and anything else to 1 (internal failure).
#include <stdexcept>
#include <string>

namespace prunesim {

// Bad input from the user: a file, a key, an option. The message names the culprit and what was expected.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds "file:line: message" (line omitted when 0).
inline std::string where(const std::string& file, size_t line) {
  return line ? file + ":" + std::to_string(line) : file;
}

}  // namespace prunesim
