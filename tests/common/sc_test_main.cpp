// sc_main for test executables: libsystemc provides main() and calls this.
#include <gtest/gtest.h>

#include <cstdlib>
#include <systemc>

#include "prunesim/sim/asan_fibers.h"

namespace {
// Runs before SystemC's main() prints its banner (which would also confuse gtest_discover_tests).
const bool kBannerSilenced = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;

void fail_on_error(const sc_core::sc_report& r, const sc_core::sc_actions& actions) {
  if (r.get_severity() >= sc_core::SC_ERROR) {
    ADD_FAILURE() << "SystemC " << (r.get_severity() == sc_core::SC_FATAL ? "fatal" : "error") << ": "
                  << r.get_msg_type() << ": " << r.get_msg();
    throw std::runtime_error(r.get_msg());
  }
  sc_core::sc_report_handler::default_handler(r, actions & ~sc_core::SC_DISPLAY);
}
}  // namespace

int sc_main(int argc, char* argv[]) {
  (void)kBannerSilenced;
  sc_core::sc_report_handler::set_handler(fail_on_error);
  testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  prunesim::sim::redeclare_main_stack_to_asan();
  return rc;
}
