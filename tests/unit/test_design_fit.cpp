#include <gtest/gtest.h>

#include "prunesim/common/error.h"
#include "prunesim/models/design_fit.h"
#include "prunesim/models/resources.h"
#include "prunesim/sim/config.h"

#include "test_util.h"

using namespace prunesim;
using namespace prunesim::sim;

namespace {

const char* const kDevices[] = {"alveo-u250", "alveo-u280", "alveo-u200", "zcu102", "de1-soc"};

RunConfig device_config(const std::string& name, const std::vector<std::string>& sets = {}) {
  return ConfigSchema().resolve({test::source_path("configs/devices/" + name + ".ini")}, sets);
}

uint64_t capacity(const models::HwConfig& hw, models::MemoryKind k) {
  const uint64_t n = k == models::MemoryKind::Uram   ? hw.device.uram
                     : k == models::MemoryKind::Bram ? hw.device.bram36
                                                     : hw.device.m10k;
  return n;
}

}  // namespace

// The built-in design is the fit rule applied to the built-in device: fitting every key of a default HwConfig
// changes nothing.
TEST(DesignFit, TheBuiltInDesignIsTheRuleAppliedToTheBuiltInDevice) {
  models::HwConfig fitted;
  const auto keys = models::fit_design(fitted, [](const std::string&) { return false; });
  EXPECT_EQ(keys, models::fittable_design_keys());
  const ConfigSchema s;
  RunConfig a, b;
  b.hw = fitted;
  EXPECT_EQ(s.dump(a), s.dump(b));
}

// The array each shipped device gets, derived by hand from the rule (80 % of one SLR's DSPs, power-of-two
// sides, square or twice as wide; int8 packs 2 MACs per DSP48E2, 3 per Cyclone V DSP block):
//   U250 12,288 / 4 SLRs -> 2,457 DSPs: 64x64 needs 2,048 (64x128 needs 4,096).
//   U280  9,024 / 3      -> 2,406:      64x64.
//   U200  6,840 / 3      -> 1,824:      32x64 needs 1,024 (64x64 needs 2,048).
//   ZCU102 2,520 / 1     -> 2,016:      32x64 (64x64 needs 2,048).
//   DE1-SoC 87 / 1       ->    69:      8x16 needs ceil(128/3) = 43 (16x16 needs 86).
// Clock: 300 MHz capped at the device limit (150 MHz on the Cyclone V).
TEST(DesignFit, EveryShippedDeviceGetsTheArrayTheRuleGivesAndItFits) {
  const std::map<std::string, std::array<double, 3>> expect = {{"alveo-u250", {64, 64, 300}},
                                                               {"alveo-u280", {64, 64, 300}},
                                                               {"alveo-u200", {32, 64, 300}},
                                                               {"zcu102", {32, 64, 300}},
                                                               {"de1-soc", {8, 16, 150}}};
  for (const char* name : kDevices) {
    SCOPED_TRACE(name);
    const RunConfig c = device_config(name);
    const auto& e = expect.at(name);
    EXPECT_EQ(c.hw.pe.rows, e[0]);
    EXPECT_EQ(c.hw.pe.cols, e[1]);
    EXPECT_EQ(c.hw.clock.mhz, e[2]);
    EXPECT_EQ(c.fitted, models::fittable_design_keys());
    const models::ResourceUse u = models::estimate_resources(c.hw, 8);
    EXPECT_TRUE(u.fits) << u.overflow;
    EXPECT_LE(double(u.dsp), 0.8 * c.hw.device.dsp / c.hw.device.slrs);
    for (auto k : {models::MemoryKind::Bram, models::MemoryKind::Uram, models::MemoryKind::M10k}) {
      const uint64_t used = k == models::MemoryKind::Uram   ? u.uram
                            : k == models::MemoryKind::Bram ? u.bram36
                                                            : u.m10k;
      EXPECT_LE(double(used), 0.8 * double(capacity(c.hw, k))) << int(k);
    }
    // Buffers live in memory the device has.
    for (const auto* b : {&c.hw.act_buffer, &c.hw.weight_buffer, &c.hw.out_buffer})
      EXPECT_GT(capacity(c.hw, b->kind), 0u);
  }
  // A part without URAM holds its activations in BRAM: the ZCU102's 912 BRAM36 of 4,608 bytes hold 4.2 MB, a
  // quarter of it rounded down to a power of two is 1 MiB, the weight tile a quarter of that.
  const RunConfig z = device_config("zcu102");
  EXPECT_EQ(z.hw.act_buffer.kind, models::MemoryKind::Bram);
  EXPECT_EQ(z.hw.act_buffer.bytes, 1u << 20);
  EXPECT_EQ(z.hw.weight_buffer.bytes, 256u << 10);
  EXPECT_EQ(z.hw.out_buffer.bytes, 512u << 10);
}

TEST(DesignFit, KeysTheUserSetAreKeptAndTheOthersFitAroundThem) {
  // rows fixed at 16 on a ZCU102: cols is the largest power of two up to 2 x 16 within the budget.
  const RunConfig c =
      device_config("zcu102", {"pe.rows=16", "buffer.act.kind=bram", "buffer.act.bytes=65536"});
  EXPECT_EQ(c.hw.pe.rows, 16u);
  EXPECT_EQ(c.hw.pe.cols, 32u);
  EXPECT_EQ(c.hw.act_buffer.bytes, 65536u);
  for (const auto& k : c.fitted) {
    EXPECT_NE(k, "pe.rows");
    EXPECT_NE(k, "buffer.act.bytes");
  }
  // A file that sets every design key is taken as it is (the shipped U250 design on a ZCU102 does not fit,
  // and the user hears so at run time).
  const RunConfig u = ConfigSchema().resolve(
      {test::source_path("configs/devices/zcu102.ini"), test::source_path("configs/designs/u250-default.ini"),
       test::source_path("configs/devices/zcu102.ini")},
      {});
  EXPECT_TRUE(u.fitted.empty());
  EXPECT_EQ(u.hw.pe.rows, 64u);
  EXPECT_FALSE(models::estimate_resources(u.hw, 8).fits);
}

TEST(DesignFit, MemoryTheDeviceLacksIsShrunkUntilItFits) {
  // A small part: 40 M10K (51 KB). Quarter/eighth sizing alone would put 32 banks of 72 bits (64 M10K
  // primitives for the activation buffer alone) on it; the fit halves banks, then bytes, to 80 %.
  models::HwConfig hw;
  hw.device.dsp = 20;
  hw.device.bram36 = 0;
  hw.device.uram = 0;
  hw.device.m10k = 40;
  hw.device.slrs = 1;
  hw.device.max_clock_mhz = 100;
  models::fit_design(hw, [](const std::string&) { return false; });
  const models::ResourceUse u = models::estimate_resources(hw, 8);
  EXPECT_TRUE(u.fits) << u.overflow;
  EXPECT_LE(double(u.m10k), 0.8 * 40);
  EXPECT_EQ(hw.clock.mhz, 100);
  EXPECT_EQ(hw.act_buffer.kind, models::MemoryKind::M10k);
}

TEST(DesignFit, OnlyTheSystolicArrayIsSizedOtherEnginesKeepTheirKeys) {
  const RunConfig c = device_config("de1-soc", {"pe.engine=mv"});
  for (const auto& k : c.fitted) EXPECT_TRUE(k != "pe.rows" && k != "pe.cols") << k;
  EXPECT_EQ(c.hw.pe.rows, models::PeConfig{}.rows);
}

TEST(DesignFit, ADeviceFileMustDescribeTheWholeDevice) {
  const std::string d = test::temp_dir();
  test::write_file(d + "/dev.ini", "[device]\npart = xc7z020\ndsp = 220\n");
  try {
    ConfigSchema().resolve({d + "/dev.ini"}, {});
    ADD_FAILURE() << "a partial device file was accepted";
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(d + "/dev.ini:2: device.part names a device, but this file lacks device.bram36"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("device.slrs"), std::string::npos) << m;
  }
  // One figure changed on the command line is a what-if, not a new device.
  EXPECT_NO_THROW(ConfigSchema().resolve({}, {"device.part=xcu250-figd2104-2-e"}));
}
