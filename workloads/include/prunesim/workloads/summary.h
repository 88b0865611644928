#pragma once
// Human-readable summary of a trace: MACs per op kind (pruned and dense), parameters kept, bytes per
// storage format, tokens per layer. Used by `prunesim inspect` and `prunesim compress --stats`.
#include <string>

#include "prunesim/workloads/trace.h"

namespace prunesim::workloads {

std::string trace_summary(const Trace& t);

}  // namespace prunesim::workloads
