#pragma once
// The prunesim command line: one binary, subcommands. Returns the process exit status:
// 0 success, 2 bad input or usage, 1 internal failure.
namespace prunesim::sim {

int run_cli(int argc, char** argv);

}  // namespace prunesim::sim
