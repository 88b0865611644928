// prunesim's entry point. libsystemc provides main() and calls sc_main().
#include <cstdlib>
#include <systemc>

#include "prunesim/sim/asan_fibers.h"
#include "prunesim/sim/cli.h"

namespace {

// SystemC prints its banner from its own main() before sc_main runs, unless this variable is set; a static
// initializer runs before that main().
const bool kBannerSilenced = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;
}  // namespace

int sc_main(int argc, char* argv[]) {
  (void)kBannerSilenced;
  // Kernel chatter (timescale notes and the like) would mix into reports; warnings and errors still show.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const int rc = prunesim::sim::run_cli(argc, argv);
  prunesim::sim::redeclare_main_stack_to_asan();
  return rc;
}
