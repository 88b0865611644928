#pragma once
// `prunesim ddr`: the DRAM model alone on a request trace.
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "prunesim/models/dram_config.h"

namespace prunesim::sim {

struct MemRequest {
  double arrival_ns = 0;  // 0: as soon as the controller accepts it, in file order
  bool write = false;
  uint64_t addr = 0;
  uint64_t bytes = 64;
};

// Lines: "<arrival_ns> <R|W> <hex address> [bytes]" or DRAMsim3's "<hex address> <READ|WRITE> <cycle>";
// '#' starts a comment. Errors name source:line.
std::vector<MemRequest> read_requests(std::istream& is, const std::string& source, double tck_ns);

struct DdrRunStats {
  uint64_t requests = 0, reads = 0, writes = 0, bytes = 0;
  double end_ns = 0, bandwidth_gbps = 0;
  double read_latency_mean_ns = 0, read_latency_p50_ns = 0, read_latency_p99_ns = 0;
  double row_hit_rate = 0;
  uint64_t activates = 0, refreshes = 0;
};

DdrRunStats run_requests(const models::DramConfig& cfg, const std::vector<MemRequest>& reqs);

}  // namespace prunesim::sim
