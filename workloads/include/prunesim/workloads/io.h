#pragma once
// Output files are written whole or not at all: into a temporary beside the target, then renamed into place,
// so a failed or interrupted write never leaves a partial file passed off as complete.
#include <string>

namespace prunesim {

// Throws InputError naming the path when it cannot be written.
void write_file_atomic(const std::string& path, const std::string& content);

// The whole of a regular file, read in one go. Throws InputError naming the path and `what` ("trace",
// "request", ...) when it is missing, not a regular file, or unreadable.
std::string read_file(const std::string& path, const std::string& what);

}  // namespace prunesim
