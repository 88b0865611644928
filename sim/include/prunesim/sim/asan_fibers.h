#pragma once
// Under ASan only (a no-op otherwise). libsystemc reports each switch between its coroutine stacks to ASan
// (it references __sanitizer_{start,finish}_switch_fiber weakly), but after a simulation ASan can still take
// the main thread to be on the last coroutine's stack, which SystemC has freed. LeakSanitizer then scans
// freed memory at exit and dies ("Tracer caught signal 11", exit 1): 6 of 10 ASan `prunesim run`s, and most
// SystemC tests, on one machine. Called once the model is done, this declares the main thread's own stack
// again. For sc_main of the simulator and of the test binaries.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRUNESIM_ASAN_FIBERS 1
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif
#endif

namespace prunesim::sim {

inline void redeclare_main_stack_to_asan() {
#ifdef PRUNESIM_ASAN_FIBERS
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
#endif
}

}  // namespace prunesim::sim
