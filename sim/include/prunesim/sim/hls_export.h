#pragma once
// `prunesim hls export`: an HLS project for the configured design. Per kernel a top with the design's
// constants (PE array, tile and block sizes, precision, token-unit parallelism, maximum shapes from the
// workload), a C-simulation testbench with golden vectors, run_hls.tcl and hls_config.cfg with the device
// part and clock; the kernel headers themselves are the ones this prunesim was built with.
#include <string>
#include <vector>

#include "prunesim/sim/config.h"
#include "prunesim/workloads/trace.h"

namespace prunesim::sim {

// Writes the project under out_dir; returns the kernel folders written. Throws InputError.
std::vector<std::string> export_hls(const RunConfig& cfg, const workloads::Trace& trace,
                                    const std::string& out_dir);

}  // namespace prunesim::sim
