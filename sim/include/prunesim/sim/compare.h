#pragma once
// `prunesim compare`: the change of every metric and op between two run reports (or two sweep outputs, point
// by point, matched by configuration hash), against per-metric tolerances.
#include <map>
#include <ostream>
#include <string>

namespace prunesim::sim {

struct Tolerances {
  std::map<std::string, double> rel;  // metric name -> allowed relative change (0.01 = 1 %)
  double get(const std::string& metric) const;
};
// "latency=1%,energy=2%,ops=5%,ddr_read=0": names from metric_names(); "all=X" sets the default.
Tolerances parse_tolerances(const std::string& text);
std::string metric_names();

// Returns the number of metrics (and ops, and missing points) beyond tolerance; prints the comparison.
// Reads reports (*.json) or sweep outputs (a results.jsonl, or a sweep directory). Throws InputError.
size_t compare_outputs(const std::string& base, const std::string& next, const Tolerances& tol,
                       std::ostream& os);

}  // namespace prunesim::sim
