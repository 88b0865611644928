#include <gtest/gtest.h>

#include <set>
#include "prunesim/common/error.h"
#include "prunesim/models/engine.h"
#include "prunesim/sim/config.h"

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
  // #21: a rule over several keys (the write watermarks) says where the keys it names were set.
  test::write_file(d + "/wm.ini", "[ddr]\nwrite_queue = 32\nwrite_high_watermark = 40\n");
  EXPECT_NE(
      error_of({d + "/wm.ini"}, {})
          .find("needs write_low_watermark < write_high_watermark <= write_queue (ddr.write_high_watermark "
                "from " +
                d + "/wm.ini:3, ddr.write_queue from " + d + "/wm.ini:2)"),
      std::string::npos)
      << error_of({d + "/wm.ini"}, {});
  EXPECT_NE(error_of({}, {"ddr.write_low_watermark=30"})
                .find("(ddr.write_low_watermark from --set ddr.write_low_watermark)"),
            std::string::npos);
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
  for (const char* f :
       {"configs/devices/alveo-u250.ini", "configs/devices/alveo-u280.ini", "configs/devices/alveo-u200.ini",
        "configs/devices/zcu102.ini", "configs/devices/de1-soc.ini",
        "configs/energy/ultrascale-plus-16nm.ini", "configs/examples/bert-base-hbm.ini",
        "configs/examples/gru-de1soc.ini", "configs/examples/deit-small-mpca.ini"}) {
    EXPECT_NO_THROW(s.resolve({test::source_path(f)}, {})) << f;
  }
}

// One name table per enum: every DRAM address mapping the model has can be chosen by name.
TEST(Config, EveryAddressMappingIsReachableByName) {
  const ConfigSchema s;
  for (const auto& m : enum_names<models::AddressMapping>()) {
    if (m.value == models::AddressMapping::Custom) continue;  // spelled as a bit order, below
    EXPECT_EQ(s.resolve({}, {std::string("ddr.mapping=") + m.name}).hw.ddr.ctrl.mapping, m.value);
  }
  EXPECT_NE(s.describe().find("bank_group_interleaved"), std::string::npos);
  // A bit order is a mapping too, checked against the organisation (DDR4 x8 8 Gb: 16 row, 2+2 bank, 7
  // column).
  const RunConfig c = s.resolve({}, {"ddr.mapping=R16 B2 G1 C7 G1"});
  EXPECT_EQ(c.hw.ddr.ctrl.mapping, models::AddressMapping::Custom);
  bool dumped = false;
  for (const auto& [k, v] : s.dump(c)) dumped |= k == "ddr.mapping" && v == "R16 B2 G1 C7 G1";
  EXPECT_TRUE(dumped);
  for (const char* bad : {"ddr.mapping=R16 B2 G2 C6", "ddr.mapping=R16 X2", "ddr.mapping=custom",
                          "ddr.mapping=R16 B2 G1 C7 G1 C1"})
    EXPECT_THROW(s.resolve({}, {bad}), InputError) << bad;
}

TEST(Config, DramPoliciesAreChosenByNameAndTheStandardDecidesPerBankRefresh) {
  const ConfigSchema s;
  const RunConfig c =
      s.resolve({}, {"ddr.scheduler=fcfs", "ddr.page_policy=timeout", "ddr.row_timeout_ns=80"});
  EXPECT_EQ(c.hw.ddr.ctrl.scheduler, "fcfs");
  EXPECT_EQ(c.hw.ddr.ctrl.page_policy, models::PagePolicy::Timeout);
  EXPECT_NO_THROW(s.resolve({}, {"ddr.preset=hbm2", "ddr.refresh=per_bank"}));
  try {
    s.resolve({}, {"ddr.refresh=per_bank"});
    ADD_FAILURE() << "per-bank refresh accepted on DDR4";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("JESD79-4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s.resolve({}, {"ddr.scheduler=random"}), InputError);
  EXPECT_THROW(s.resolve({}, {"ddr.refresh=none"}), InputError);
}

// A policy's own key given a value under another policy would be dropped without a word: an error naming the
// key, its value and the selection that does not read it. Its default value passes (the design file written
// out key by key has every key), and the key is fine once its policy is selected.
TEST(Config, APolicysKeySetWhereAnotherPolicyIsSelectedIsAnError) {
  const ConfigSchema s;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"ddr.scheduler=fcfs", "ddr.reorder_window=8"},
       "ddr.reorder_window: set to 8, but ddr.scheduler is fcfs, which does not read it"},
      {{"ddr.scheduler=fcfs", "ddr.max_row_hits=4"},
       "ddr.max_row_hits: set to 4, but ddr.scheduler is fcfs, which does not read it"},
      {{"ddr.row_timeout_ns=80"},
       "ddr.row_timeout_ns: set to 80, but ddr.page_policy is open, which does not"},
      {{"ddr.page_policy=closed", "ddr.row_timeout_ns=80"}, "but ddr.page_policy is closed"},
  };
  for (const auto& [sets, want] : cases) {
    try {
      s.resolve({}, sets);
      ADD_FAILURE() << sets.back() << " accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("from --set"), std::string::npos) << e.what();  // where it was set
    }
  }
  const RunConfig dump =
      s.resolve({test::source_path("configs/designs/u250-default.ini")}, {"ddr.scheduler=fcfs"});
  EXPECT_EQ(dump.hw.ddr.ctrl.scheduler, "fcfs");
  EXPECT_EQ(s.resolve({}, {"ddr.reorder_window=8"}).hw.ddr.ctrl.reorder_window, 8u);
  EXPECT_EQ(s.resolve({}, {"ddr.page_policy=timeout", "ddr.row_timeout_ns=80"}).hw.ddr.ctrl.row_timeout_ns,
            80);
}

TEST(Config, EverySectionKeyIsDeclaredOnceWithTheStructsDefaultAndDumpsWhatItParses) {
  // The schema is assembled from the declarations beside the modules (models::config_sections()): each key's
  // declared default is what a default HwConfig holds, and setting a key to what dump() printed reads back.
  const ConfigSchema schema;
  const RunConfig def;
  std::set<std::string> seen;
  for (const auto& section : models::config_sections())
    for (const auto& spec : section.params) {
      const std::string key = section.name + "." + spec.name;
      EXPECT_TRUE(seen.insert(key).second) << key << " declared twice";
      EXPECT_TRUE(schema.has(key)) << key;
      EXPECT_EQ(spec.get(def.hw), spec.default_value) << key;
    }
  for (const auto& [key, value] : schema.dump(def)) {
    bool other_engine = false;  // keys of an engine that is not selected are refused (tested elsewhere)
    for (const auto& e : models::engine_registry())
      other_engine |= e.section != "pe" && key.rfind(e.section + ".", 0) == 0;
    if (other_engine) continue;
    const RunConfig back = schema.resolve({}, {key + "=" + value});
    EXPECT_EQ(schema.dump(back), schema.dump(def)) << key << "=" << value;
  }
}

TEST(Config, ValuesAreCheckedAsTheyArriveNamingTheKey) {
  const std::string d = test::temp_dir();
  test::write_file(d + "/w.ini", "[workload]\nmodel = bert-base\ntoken_mode = sometimes\n");
  EXPECT_EQ(
      error_of({d + "/w.ini"}, {}),
      d + "/w.ini:3: workload.token_mode: expected one of static|distribution|threshold, got 'sometimes'");
  // The compressor's own grammars too: a bad prune or quant item is refused by the config, not later.
  EXPECT_NE(error_of({}, {"workload.prune=all=blocky:4x4:0.5"}).find("--set workload.prune: workload.prune:"),
            std::string::npos)
      << error_of({}, {"workload.prune=all=blocky:4x4:0.5"});
  EXPECT_NE(error_of({}, {"workload.quant=int7"}).find("--set workload.quant"), std::string::npos);
  EXPECT_NE(error_of({}, {"workload.token_layers=3,x"}).find("got 'x'"), std::string::npos);
  // true|false keys take exactly that.
  EXPECT_EQ(error_of({}, {"tpu.overlap=yes"}),
            "--set tpu.overlap: tpu.overlap: expected true or false, got 'yes'");
  // Integers do not wrap around.
  EXPECT_NE(error_of({}, {"workload.seed=18446744073709551616"}).find("expected an integer in [0, "),
            std::string::npos);
  EXPECT_EQ(ConfigSchema().resolve({}, {"workload.seed=18446744073709551615"}).workload.seed, UINT64_MAX);
}

TEST(Config, EnumNamesComeFromOneTableEach) {
  // Each table names every value once and parses its names back (enum_names.h).
  auto round_trip = [](auto tag) {
    using E = decltype(tag);
    std::set<std::string> names;
    for (const auto& e : enum_names<E>()) {
      EXPECT_TRUE(names.insert(e.name).second) << e.name;
      EXPECT_EQ(parse_enum<E>(e.name), e.value);
      EXPECT_STREQ(enum_name(e.value), e.name);
    }
    EXPECT_THROW(parse_enum<E>("no-such-name"), InputError);
  };
  round_trip(models::MemoryKind{});
  round_trip(models::BalancePolicy{});
  round_trip(hls::Dataflow{});
  round_trip(models::TopkAlgorithm{});
  round_trip(models::SystolicSparsity{});
  round_trip(models::SpillPolicy{});
  round_trip(models::FunctionalNumbers{});
  round_trip(models::PagePolicy{});
  round_trip(models::AddressMapping{});
  round_trip(workloads::StorageFormat{});
  round_trip(workloads::OpKind{});
  round_trip(workloads::Spread{});
  round_trip(workloads::TokenPolicy::Mode{});
  EXPECT_EQ(enum_names<models::AddressMapping>().size(), 5u);  // bank_group_interleaved and custom included
}

TEST(Config, IniSyntaxErrorsNameTheLineAndByteOrderMarksAreAccepted) {
  const std::string d = test::temp_dir();
  test::write_file(d + "/open.ini", "# x\n[pe\nrows = 8\n");
  EXPECT_EQ(error_of({d + "/open.ini"}, {}),
            d + "/open.ini:2: section header '[pe' is not of the form [name]");
  test::write_file(d + "/noeq.ini", "[pe]\nrows 64\n");
  EXPECT_EQ(error_of({d + "/noeq.ini"}, {}), d + "/noeq.ini:2: expected key = value, got 'rows 64'");
  test::write_file(d + "/twice.ini", "[pe]\nrows = 8\ncols = 8\nrows = 16\n");
  EXPECT_EQ(error_of({d + "/twice.ini"}, {}),
            d + "/twice.ini:4: key 'pe.rows' is set twice in this file (first at line 2)");
  test::write_file(d + "/bin.ini", std::string("[pe]\nrows = 8\0\x01", 14));
  EXPECT_NE(error_of({d + "/bin.ini"}, {}).find("bin.ini:2: binary content"), std::string::npos);
  EXPECT_NE(error_of({d}, {}).find("not a config file"), std::string::npos);  // a directory is not a config
  test::write_file(d + "/bom.ini", "\xEF\xBB\xBF[pe]\nrows = 8\n");
  EXPECT_EQ(ConfigSchema().resolve({d + "/bom.ini"}, {}).hw.pe.rows, 8u);
}

// DDR3 (JESD79-3) for the DE1-SoC: its own preset, no bank groups, 4 Gb x16 timings.
TEST(Config, Ddr3PresetHasNoBankGroupsAndTheDe1SocUsesIt) {
  const ConfigSchema s;
  const RunConfig c = s.resolve({}, {"ddr.preset=ddr3-800e"});
  EXPECT_EQ(c.hw.ddr.org.bank_groups, 1u);
  EXPECT_EQ(c.hw.ddr.org.banks_per_group, 8u);
  EXPECT_EQ(c.hw.ddr.timing.tCCD_S, c.hw.ddr.timing.tCCD_L);
  EXPECT_EQ(c.hw.ddr.timing.tFAW, 20u);  // 50 ns at 2.5 ns (2 KB page)
  EXPECT_DOUBLE_EQ(c.hw.ddr.timing.tRFC_ns, 260.0);
  EXPECT_DOUBLE_EQ(c.hw.ddr.timing.tck_ns, 2.5);
  const RunConfig de1 = s.resolve({test::source_path("configs/devices/de1-soc.ini")}, {});
  EXPECT_EQ(de1.hw.ddr.preset, "ddr3-800e");
  EXPECT_EQ(de1.hw.ddr.org.bus_bits, 32u);
  // 32 bits at 800 MT/s.
  EXPECT_DOUBLE_EQ(de1.hw.ddr.peak_gbps_per_channel(), 3.2);
}
