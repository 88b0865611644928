// prunesim's entry point. libsystemc provides main() and calls sc_main().
#include <cstdlib>
#include <systemc>

#include "prunesim/sim/cli.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRUNESIM_ASAN_FIBERS 1
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif
#endif

namespace {
#ifdef PRUNESIM_ASAN_FIBERS
// Under ASan only. libsystemc reports each switch between its coroutine stacks to ASan (it references
// __sanitizer_{start,finish}_switch_fiber weakly), but after the simulation ASan can still take the main
// thread to be on the last coroutine's stack, which SystemC has freed: LeakSanitizer then scans freed memory
// at exit and dies ("Tracer caught signal 11"), in 6 of 10 `prunesim run`s on one machine. Once the model is
// done, the main thread's own stack is declared again.
void redeclare_main_stack_to_asan() {
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void* base = nullptr;
  size_t size = 0;
  const bool ok = pthread_attr_getstack(&attr, &base, &size) == 0;
  pthread_attr_destroy(&attr);
  if (!ok) return;
  void* fake_stack = nullptr;
  __sanitizer_start_switch_fiber(&fake_stack, base, size);
  __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr);
}
#endif

// SystemC prints its banner from its own main() before sc_main runs, unless this variable is set; a static
// initializer runs before that main().
const bool kBannerSilenced = setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1) == 0;
}  // namespace

int sc_main(int argc, char* argv[]) {
  (void)kBannerSilenced;
  // Kernel chatter (timescale notes and the like) would mix into reports; warnings and errors still show.
  sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  const int rc = prunesim::sim::run_cli(argc, argv);
#ifdef PRUNESIM_ASAN_FIBERS
  redeclare_main_stack_to_asan();
#endif
  return rc;
}
