#include <gtest/gtest.h>

#include "prunesim/sim/config.h"
#include "prunesim/workloads/error.h"
#include "test_util.h"

using namespace prunesim;
using namespace prunesim::sim;

namespace {
std::string error_of(const std::vector<std::string>& files, const std::vector<std::string>& sets) {
  try {
    ConfigSchema().resolve(files, sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Config, DefaultsResolveWithoutFiles) {
  const RunConfig c = ConfigSchema().resolve({}, {});
  EXPECT_EQ(c.hw.pe.rows, 64u);
  EXPECT_EQ(c.hw.ddr.org.channels, 4u);
  EXPECT_EQ(c.workload.model, "deit-small");
}

TEST(Config, FilesLayerInOrderAndSetWins) {
  const std::string d = test::temp_dir();
  test::write_file(d + "/a.ini", "[pe]\nrows = 32\ncols = 16\n");
  test::write_file(d + "/b.ini", "[pe]\nrows = 8\n");
  const RunConfig c = ConfigSchema().resolve({d + "/a.ini", d + "/b.ini"}, {"pe.cols=4"});
  EXPECT_EQ(c.hw.pe.rows, 8u);
  EXPECT_EQ(c.hw.pe.cols, 4u);
}

TEST(Config, ErrorsNameTheKeyAndWhereItCameFrom) {
  const std::string d = test::temp_dir();
  test::write_file(d + "/bad.ini", "# design\n[pe]\nrows = 16\ncolour = blue\n");
  EXPECT_EQ(error_of({d + "/bad.ini"}, {}),
            d + "/bad.ini:4: unknown key 'pe.colour' (prunesim run --help-config lists every key)");
  test::write_file(d + "/range.ini", "[pe]\n\nrows = 0\n");
  EXPECT_NE(error_of({d + "/range.ini"}, {})
                .find(d + "/range.ini:3: pe.rows: expected an integer in [1, 1024], got '0'"),
            std::string::npos);
  EXPECT_NE(error_of({}, {"pe.rows=abc"})
                .find("--set pe.rows: pe.rows: expected an integer in [1, 1024], got 'abc'"),
            std::string::npos);
  EXPECT_NE(error_of({}, {"pe.overlap_preload=yes"}).find("expected true or false, got 'yes'"),
            std::string::npos);
  EXPECT_NE(error_of({}, {"nosuch.key=1"}).find("unknown key 'nosuch.key'"), std::string::npos);
  EXPECT_NE(error_of({d + "/missing.ini"}, {}).find("missing.ini: cannot open config file"),
            std::string::npos);
  EXPECT_NE(error_of({}, {"pe.dataflow=diagonal"}).find("expected one of ws|os|is, got 'diagonal'"),
            std::string::npos);
  EXPECT_NE(error_of({}, {"ddr.preset=ddr9"}).find("ddr.preset 'ddr9'"), std::string::npos);
}

TEST(Config, PresetSetsTimingAndLaterKeysOverride) {
  const RunConfig c = ConfigSchema().resolve({}, {"ddr.tRCD=30", "ddr.preset=ddr4-3200"});
  EXPECT_EQ(c.hw.ddr.timing.CL, 22u);
  EXPECT_EQ(c.hw.ddr.timing.tRCD, 30u);  // individual keys apply after the preset, whatever their order
  EXPECT_EQ(c.hw.ddr.org.channels, 4u);  // the design's channel count is kept
}

TEST(Config, ShippedDefaultDesignFileEqualsTheBuiltInDefault) {
  const ConfigSchema s;
  const auto built_in = s.dump(s.resolve({}, {}));
  const auto from_file = s.dump(s.resolve({test::source_path("configs/designs/u250-default.ini")}, {}));
  EXPECT_EQ(built_in, from_file);
}

TEST(Config, EveryShippedConfigParses) {
  const ConfigSchema s;
  for (const char* f : {"configs/devices/alveo-u250.ini", "configs/devices/alveo-u280.ini",
                        "configs/devices/zcu102.ini", "configs/devices/de1-soc.ini",
                        "configs/energy/ultrascale-plus-16nm.ini", "configs/examples/bert-base-hbm.ini",
                        "configs/examples/gru-de1soc.ini", "configs/examples/deit-small-mpca.ini"}) {
    EXPECT_NO_THROW(s.resolve({test::source_path(f)}, {})) << f;
  }
}

// One name table per enum: every DRAM address mapping the model has can be chosen by name.
TEST(Config, EveryAddressMappingIsReachableByName) {
  const ConfigSchema s;
  for (auto m : models::all_mappings())
    EXPECT_EQ(s.resolve({}, {std::string("ddr.mapping=") + models::mapping_name(m)}).hw.ddr.ctrl.mapping, m);
  EXPECT_NE(s.describe().find("bank_group_interleaved"), std::string::npos);
}
