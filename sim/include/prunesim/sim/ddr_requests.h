#pragma once
// `prunesim ddr`: the DRAM model alone on a request trace.
#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "prunesim/models/dram_config.h"

namespace prunesim::sim {

struct MemRequest {
  double arrival_ns = 0;  // 0: as soon as the controller accepts it, in file order
  uint64_t addr = 0;
  uint32_t bytes = 64;  // at most 1 GiB
  uint32_t line = 0;    // in the request file, for errors (0 past 2^32 - 1 lines)
  bool write = false;
};

// Lines: "<arrival_ns> <R|W> <hex address> [bytes]" or DRAMsim3's "<hex address> <READ|WRITE> <cycle>";
// '#' starts a comment. Errors name source:line.
std::vector<MemRequest> read_requests(std::string_view text, const std::string& source, double tck_ns);
std::vector<MemRequest> read_requests(std::istream& is, const std::string& source, double tck_ns);

struct DdrRunStats {
  uint64_t requests = 0, reads = 0, writes = 0, bytes = 0;
  double end_ns = 0, bandwidth_gbps = 0;
  double read_latency_mean_ns = 0, read_latency_p50_ns = 0, read_latency_p99_ns = 0;
  double row_hit_rate = 0;
  uint64_t activates = 0, refreshes = 0;
};

// Called as requests are served: requests submitted so far, of all, and the memory's clock (cycles).
using DdrProgress = std::function<void(size_t done, size_t total, uint64_t cycles)>;

// Serves the requests on the configured memory; a request beyond its capacity is an error naming source:line.
DdrRunStats run_requests(const models::DramConfig& cfg, const std::vector<MemRequest>& reqs,
                         const std::string& source = "requests", const DdrProgress& progress = nullptr);

}  // namespace prunesim::sim
