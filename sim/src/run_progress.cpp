#include "prunesim/sim/run_progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/workloads/text.h"

namespace prunesim::sim {

namespace {
std::string seconds(double s) {
  std::ostringstream os;
  if (s < 60) {
    os << long(std::lround(s)) << " s";
  } else {
    const long m = long(s) / 60;
    os << m << " min " << long(s) % 60 << " s";
  }
  return os.str();
}
}  // namespace

RunProgress::RunProgress(double cycle_ns, bool enabled, ProgressUnits units, double delay_s)
    : cycle_ns_(cycle_ns),
      enabled_(enabled),
      units_(units),
      delay_s_(delay_s),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

double RunProgress::delay_from_environment() {
  const char* v = std::getenv("PRUNESIM_PROGRESS_DELAY");
  if (!v) return 1.0;
  double s = 0;
  if (!parse_finite(v, s) || s < 0)
    throw InputError(std::string("PRUNESIM_PROGRESS_DELAY: expected seconds >= 0 (e.g. 0 or 2.5), got '") +
                     v + "'");
  return s;
}

void RunProgress::finish() {
  if (drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

std::string RunProgress::line(size_t done, size_t total, double simulated_ms, double elapsed_s,
                              ProgressUnits units) {
  std::ostringstream os;
  const double frac = total ? double(done) / double(total) : 1.0;
  os << units.verb << " " << long(std::floor(frac * 100)) << " % (" << group_thousands(done) << " of "
     << group_thousands(total) << " " << units.noun << "), ";
  os.setf(std::ios::fixed);
  os.precision(1);
  os << simulated_ms << " ms simulated, " << seconds(elapsed_s) << " elapsed";
  // Steps are of like size within a run (tiles; a request file's requests), so the rate so far predicts
  // the rest.
  if (done > 0 && done < total)
    os << ", about " << seconds(elapsed_s * double(total - done) / double(done)) << " left";
  return os.str();
}

void RunProgress::progressed(size_t done, size_t total, uint64_t cycles) {
  if ((done & 63) == 0) update(done, total, cycles);
}

void RunProgress::update(size_t done, size_t total, uint64_t cycles) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // The first line as soon as the delay has passed; redrawn at most twice a second after that.
  if (elapsed < delay_s_ || (drawn_ && std::chrono::duration<double>(now - last_).count() < 0.5)) return;
  last_ = now;
  drawn_ = true;
  std::fprintf(stderr, "\r\033[Kprunesim: %s",
               line(done, total, double(cycles) * cycle_ns_ * 1e-6, elapsed, units_).c_str());
  std::fflush(stderr);
}

}  // namespace prunesim::sim
