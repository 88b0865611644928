#pragma once
// Reports of a run: a readable table, JSON (every figure plus the resolved configuration) and CSV (one
// row per op). The same inputs give byte-identical JSON and CSV.
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "prunesim/models/accelerator.h"
#include "prunesim/sim/baseline.h"
#include "prunesim/sim/config.h"
#include "prunesim/sim/functional.h"
#include "prunesim/workloads/io.h"

namespace prunesim::sim {

struct RunReport {
  const RunConfig& config;
  const ConfigSchema& schema;
  const workloads::Trace& trace;
  std::string trace_name;    // file path or "built-in:<model>"
  std::string trace_sha256;  // of the trace's text form
  const models::RunResult& result;
  FunctionalCheck functional = {};               // checked only with sim.functional
  std::vector<BaselineEstimate> baselines = {};  // CPU/GPU roofline estimates of the same trace (baseline.h)
  std::string command_line = {};                 // how the run was asked for (the report's Reproduce part)
};

nlohmann::json report_json(const RunReport& r);
// report_json(r).dump(2) and a newline, written without holding every op as a JSON object at once (long
// decode runs have tens of thousands of ops, tens of MB); byte-identical to the dump.
void write_report_json(std::ostream& os, const RunReport& r);
std::string report_json_text(const RunReport& r);  // the same, as one string
std::string report_text(const RunReport& r);
std::string report_csv(const RunReport& r);

std::string sha256_hex(const std::string& data);
// The same of what `write` writes, without holding it all (a long decode's trace text is many MB).
std::string sha256_hex_of(const std::function<void(std::ostream&)>& write);
using prunesim::read_file;          // whole regular files (workloads/io.h)
using prunesim::write_file_atomic;  // whole or not at all (workloads/io.h)

}  // namespace prunesim::sim
