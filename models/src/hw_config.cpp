#include "prunesim/models/hw_config.h"

// The name tables of the enums in hw_config.h (enum_names.h): what configs, reports and the schema call them.
namespace prunesim {

using namespace models;

template <>
const std::vector<EnumName<MemoryKind>>& enum_names() {
  static const std::vector<EnumName<MemoryKind>> t = {
      {MemoryKind::Bram, "bram"}, {MemoryKind::Uram, "uram"}, {MemoryKind::M10k, "m10k"}};
  return t;
}
template <>
const std::vector<EnumName<BalancePolicy>>& enum_names() {
  static const std::vector<EnumName<BalancePolicy>> t = {{BalancePolicy::None, "none"},
                                                         {BalancePolicy::RowBalanced, "row_balanced"},
                                                         {BalancePolicy::Greedy, "greedy"}};
  return t;
}
template <>
const std::vector<EnumName<hls::Dataflow>>& enum_names() {
  static const std::vector<EnumName<hls::Dataflow>> t = {{hls::Dataflow::WeightStationary, "ws"},
                                                         {hls::Dataflow::OutputStationary, "os"},
                                                         {hls::Dataflow::InputStationary, "is"}};
  return t;
}
template <>
const std::vector<EnumName<TopkAlgorithm>>& enum_names() {
  static const std::vector<EnumName<TopkAlgorithm>> t = {{TopkAlgorithm::QuickSelect, "quickselect"},
                                                         {TopkAlgorithm::Bitonic, "bitonic"}};
  return t;
}
template <>
const std::vector<EnumName<SystolicSparsity>>& enum_names() {
  static const std::vector<EnumName<SystolicSparsity>> t = {{SystolicSparsity::None, "none"},
                                                            {SystolicSparsity::Block, "block"}};
  return t;
}
template <>
const std::vector<EnumName<SpillPolicy>>& enum_names() {
  static const std::vector<EnumName<SpillPolicy>> t = {{SpillPolicy::Auto, "auto"},
                                                       {SpillPolicy::Always, "always"}};
  return t;
}
template <>
const std::vector<EnumName<FunctionalNumbers>>& enum_names() {
  static const std::vector<EnumName<FunctionalNumbers>> t = {{FunctionalNumbers::Auto, "auto"},
                                                             {FunctionalNumbers::Float, "float"},
                                                             {FunctionalNumbers::Int8, "int8"}};
  return t;
}

}  // namespace prunesim
