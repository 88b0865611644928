// The compute engines prunesim knows, by name (pe.engine). One line per engine.
#include "prunesim/models/engine.h"

namespace prunesim::models {

EngineInfo systolic_engine_info();
EngineInfo block_pe_engine_info();
EngineInfo mv_engine_info();

const std::vector<EngineInfo>& engine_registry() {
  static const std::vector<EngineInfo> engines = {
      systolic_engine_info(),
      block_pe_engine_info(),
      mv_engine_info(),
  };
  return engines;
}

}  // namespace prunesim::models
