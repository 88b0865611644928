#include "prunesim/models/param_fields.h"

namespace prunesim::models {

// One line per section, in --help-config order; each is declared beside the code that reads it.
const std::vector<ConfigSection>& config_sections() {
  static const std::vector<ConfigSection> sections = {
      device_section(),
      clock_section(),
      pe_section(),
      buffer_section("buffer.act", [](HwConfig& h) -> BufferConfig& { return h.act_buffer; }),
      buffer_section("buffer.weight", [](HwConfig& h) -> BufferConfig& { return h.weight_buffer; }),
      buffer_section("buffer.out", [](HwConfig& h) -> BufferConfig& { return h.out_buffer; }),
      ddr_section(),
      dma_section(),
      tpu_section(),
      nonlinear_section(),
      energy_section(),
      tiling_section(),
      sim_section(),
  };
  return sections;
}

}  // namespace prunesim::models
