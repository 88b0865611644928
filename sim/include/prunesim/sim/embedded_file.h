#pragma once
// A source file compiled into the binary (sim/embed_hls.cmake): its path relative to where it was taken from.
namespace prunesim::sim {
struct EmbeddedFile {
  const char* name;
  const char* text;
};
}  // namespace prunesim::sim
