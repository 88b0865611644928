#pragma once
// Output files are written whole or not at all: into a temporary beside the target, then renamed into place,
// so a failed or interrupted write never leaves a partial file passed off as complete.
#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace prunesim {

// Throws InputError naming the path when it cannot be written.
void write_file_atomic(const std::string& path, const std::string& content);
// Several outputs of one command: all written to temporaries first, and moved into place only when every one
// was written, so a failure on the last leaves none of the others behind.
void write_files_atomic(const std::vector<std::pair<std::string, std::string>>& files);
// The same for outputs written straight to their file as they are produced (a report too large to hold in
// memory twice): `write` fills the stream; an exception from it discards every temporary.
struct StreamedOutput {
  std::string path;
  std::function<void(std::ostream&)> write;
};
void write_files_atomic(const std::vector<StreamedOutput>& files);
// Before the work that produces it: fails (InputError naming `flag` and the path) when the path cannot be
// written, so a long run does not end in that error after making its other outputs.
void check_writable(const std::string& path, const std::string& flag);

// The whole of a regular file, read in one go. Throws InputError naming the path and `what` ("trace",
// "request", ...) when it is missing, not a regular file, or unreadable.
std::string read_file(const std::string& path, const std::string& what);

}  // namespace prunesim
