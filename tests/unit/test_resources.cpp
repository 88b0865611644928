#include <gtest/gtest.h>

#include "prunesim/models/resources.h"

using namespace prunesim::models;

TEST(Resources, PrimitiveCountsFollowTheirGeometry) {
  // 1 MiB of BRAM in 64 banks of 72 bits: 16 KiB per bank = 1821 words of 72 bits -> 4 BRAM36 (512 deep).
  BufferConfig b{MemoryKind::Bram, 1 << 20, 64, 2, 72, false};
  EXPECT_EQ(buffer_primitives(b), 64u * 4);
  // URAM288 is 4096 x 72: 8 MiB in 32 banks -> 256 KiB per bank = 29128 words -> 8 URAMs per bank.
  BufferConfig u{MemoryKind::Uram, 8u << 20, 32, 2, 72, false};
  EXPECT_EQ(buffer_primitives(u), 32u * 8);
  // A 144-bit bank needs two primitives side by side.
  BufferConfig w{MemoryKind::Bram, 9216, 1, 2, 144, false};  // 512 words of 144 bits
  EXPECT_EQ(buffer_primitives(w), 2u);
}

TEST(Resources, DoubleBufferingDoublesTheSpace) {
  BufferConfig one{MemoryKind::Uram, 2u << 20, 32, 2, 72, false};
  BufferConfig two = one;
  two.double_buffered = true;
  EXPECT_EQ(buffer_primitives(two), 2 * buffer_primitives(one));
  EXPECT_EQ(two.slot_bytes(), one.slot_bytes());
}

TEST(Resources, Int8PacksTwoMacsPerDsp) {
  PeConfig pe;
  pe.rows = pe.cols = 64;
  EXPECT_EQ(pe_dsps(pe, 8), 2048u);
  EXPECT_EQ(pe_dsps(pe, 16), 4096u);
}

TEST(Resources, ADesignTooBigForZcu102NamesWhatOverflowed) {
  HwConfig hw;
  hw.device.part = "xczu9eg";
  hw.device.dsp = 2520;
  hw.device.bram36 = 912;
  hw.device.uram = 0;
  const ResourceUse u = estimate_resources(hw, 16);  // 4096 int16 MACs need 4096 DSPs
  EXPECT_FALSE(u.fits);
  EXPECT_EQ(u.overflow, "DSP: design needs 4096, device has 2520; URAM288: design needs 384, device has 0");
}

TEST(Resources, EveryOverflowIsNamedWithItsNumbers) {
  HwConfig hw;
  hw.device.dsp = 100;
  hw.device.uram = 10;
  hw.device.max_clock_mhz = 250;
  hw.clock.mhz = 1000;
  const ResourceUse u = estimate_resources(hw, 8);
  EXPECT_FALSE(u.fits);
  EXPECT_EQ(
      u.overflow,
      "DSP: design needs 2048, device has 100; URAM288: design needs 384, device has 10; clock: design asks "
      "1000 MHz, device allows 250 MHz");
}
