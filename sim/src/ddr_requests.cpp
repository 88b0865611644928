#include "prunesim/sim/ddr_requests.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include "prunesim/common/error.h"
#include "prunesim/models/dram_system.h"

namespace prunesim::sim {

namespace {

// One line's fields, split on blanks without allocating (request files run to millions of lines).
struct Fields {
  // Left uninitialised on purpose: zeroing five views per line was a sixth of the parse.
  struct View {
    const char* p;
    size_t len;
    operator std::string_view() const { return {p, len}; }
    bool operator==(const char* s) const { return std::string_view(p, len) == s; }
    bool operator!=(const char* s) const { return !(*this == s); }
  };
  View f[5];
  size_t n = 0;  // up to 5 kept; more is an error
};
Fields split(std::string_view line) {
  Fields out;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i == line.size()) break;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (out.n < 5) out.f[out.n] = {line.data() + start, i - start};
    ++out.n;
  }
  return out;
}

bool parse_hex(std::string_view s, uint64_t& out) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty() || s.size() > 16) return false;
  uint64_t v = 0;
  for (const char c : s) {
    const uint32_t d = c >= '0' && c <= '9'   ? uint32_t(c - '0')
                       : c >= 'a' && c <= 'f' ? uint32_t(c - 'a' + 10)
                       : c >= 'A' && c <= 'F' ? uint32_t(c - 'A' + 10)
                                              : 16u;
    if (d == 16) return false;
    v = v << 4 | d;
  }
  out = v;
  return true;
}

// Arrival times past this are refused: 1000 s of simulated time is far beyond any request file, and it keeps
// cycle counts and latencies exact in 64 bits and doubles.
constexpr double kMaxArrivalNs = 1e12;

bool parse_num(std::string_view s, double& out) {
  if (s.empty() || s[0] == '+' || s[0] == '-') return false;
  if (s.size() <= 15) {  // plain integers (the common case) exactly, without the general parser
    uint64_t v = 0;
    size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + uint64_t(s[i++] - '0');
    if (i == s.size()) return out = double(v), true;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(out) && out >= 0;
}

std::string str(std::string_view s) {
  return std::string(s.substr(0, 40)) + (s.size() > 40 ? "..." : "");
}

}  // namespace

std::vector<MemRequest> read_requests(std::string_view text, const std::string& source, double tck_ns) {
  std::vector<MemRequest> out;
  out.reserve(size_t(std::count(text.begin(), text.end(), '\n')) + 1);  // one growth-free pass
  double last = 0;
  size_t n = 0;
  for (size_t pos = 0; pos < text.size();) {
    const char* nl = static_cast<const char*>(std::memchr(text.data() + pos, '\n', text.size() - pos));
    const size_t end = nl ? size_t(nl - text.data()) : text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++n;
    const size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    const Fields f = split(line);
    if (f.n == 0) continue;
    auto fail = [&](const std::string& what) { throw InputError(where(source, n) + ": " + what); };
    MemRequest r;
    r.line = n <= UINT32_MAX ? uint32_t(n) : 0;
    if (f.n >= 2 && (f.f[1] == "READ" || f.f[1] == "WRITE")) {
      // DRAMsim3: <hex address> <READ|WRITE> <cycle>
      double cycle = 0;
      if (f.n != 3 || !parse_hex(f.f[0], r.addr) || !parse_num(f.f[2], cycle))
        fail("expected '<hex address> <READ|WRITE> <cycle>'");
      r.write = f.f[1] == "WRITE";
      r.arrival_ns = cycle * tck_ns;
    } else {
      if (f.n < 3 || f.n > 4) fail("expected '<arrival_ns> <R|W> <hex address> [bytes]'");
      if (!parse_num(f.f[0], r.arrival_ns))
        fail("arrival '" + str(f.f[0]) + "' is not a non-negative number of ns");
      if (f.f[1] != "R" && f.f[1] != "W") fail("operation '" + str(f.f[1]) + "' must be R or W");
      r.write = f.f[1] == "W";
      if (!parse_hex(f.f[2], r.addr)) fail("address '" + str(f.f[2]) + "' is not a 64-bit hex number");
      if (f.n == 4) {
        uint64_t b = 0;
        const std::string_view v = f.f[3];
        const auto res = std::from_chars(v.data(), v.data() + v.size(), b);
        if (res.ec != std::errc() || res.ptr != v.data() + v.size() || b < 1 || b > (1u << 30))
          fail("bytes '" + str(f.f[3]) + "' must be an integer from 1 to 1073741824");
        r.bytes = uint32_t(b);
      }
    }
    if (r.arrival_ns > kMaxArrivalNs)
      fail("arrival " + std::to_string(r.arrival_ns) + " ns is past the 1e12 ns (1000 s) the model accepts");
    if (r.addr > UINT64_MAX - r.bytes) fail("the request runs past the end of the 64-bit address space");
    if (r.arrival_ns != 0 && r.arrival_ns < last)
      fail("arrival times must not decrease (" + std::to_string(r.arrival_ns) + " after " +
           std::to_string(last) + ")");
    if (r.arrival_ns != 0) last = r.arrival_ns;
    out.push_back(r);
  }
  if (out.empty()) throw InputError(source + ": no requests");
  return out;
}

std::vector<MemRequest> read_requests(std::istream& is, const std::string& source, double tck_ns) {
  const std::string text((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
  return read_requests(std::string_view(text), source, tck_ns);
}

DdrRunStats run_requests(const models::DramConfig& cfg, const std::vector<MemRequest>& reqs,
                         const std::string& source, const DdrProgress& progress) {
  models::DramSystem mem(cfg);
  const uint64_t capacity = uint64_t(cfg.org.channels) * cfg.org.channel_bytes();
  DdrRunStats s;
  for (const MemRequest& r : reqs)
    if (r.addr + r.bytes > capacity)
      throw InputError(where(source, r.line) + ": address 0x" +
                       [&] {
                         char buf[17];
                         const auto res = std::to_chars(buf, buf + 16, r.addr + r.bytes - 1, 16);
                         return std::string(buf, res.ptr);
                       }() +
                       " is beyond the " + std::to_string(capacity >> 20) + " MiB of the configured memory");
  // Requests wider than a burst are split; a request completes when its last burst does. Burst ids are
  // contiguous per request in submission order, so a completion finds its request by id among those
  // submitted so far, and is folded into it as it comes: memory stays per request, not per burst (100
  // requests of 1 GiB are 1.7 G bursts; a per-burst array was 13 GB).
  std::vector<uint64_t> first_burst;
  first_burst.reserve(reqs.size());
  std::vector<uint64_t> done_cycles(reqs.size(), 0);
  mem.set_on_done([&](uint32_t, const models::DramCompletion& d) {
    const size_t i =
        size_t(std::upper_bound(first_burst.begin(), first_burst.end(), d.id) - first_burst.begin()) - 1;
    done_cycles[i] = std::max(done_cycles[i], d.done);
  });
  // Streamed: a long request is served while it is fed, so the channel queues stay a queue's worth deep
  // (the same schedule as submitting everything first; 100 x 1 GiB queued up front grew to 1 GB and ran
  // for minutes).
  uint64_t since_progress = 0;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const MemRequest& r = reqs[i];
    first_burst.push_back(mem.bursts_submitted());
    mem.submit(mem.ns_to_cycles_floor(r.arrival_ns), r.addr, r.bytes, r.write, /*stream=*/true);
    s.bytes += r.bytes;
    (r.write ? s.writes : s.reads) += 1;
    // Every 64 requests or 64 MiB, so that neither many small requests nor a few huge ones go unreported.
    if (progress && ((since_progress += r.bytes) >= (64u << 20) || (i & 63) == 63)) {
      since_progress = 0;
      progress(i + 1, reqs.size(), mem.stats().last_done);
    }
  }
  mem.run();
  std::vector<double> req_done(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) req_done[i] = mem.cycles_to_ns(done_cycles[i]);
  std::vector<double> lat;
  lat.reserve(s.reads);
  for (size_t i = 0; i < reqs.size(); ++i) {
    s.end_ns = std::max(s.end_ns, req_done[i]);
    if (!reqs[i].write) lat.push_back(req_done[i] - reqs[i].arrival_ns);
  }
  s.requests = reqs.size();
  const double first = reqs.front().arrival_ns;
  const double span = s.end_ns - std::min(first, s.end_ns);
  s.bandwidth_gbps = span > 0 ? double(s.bytes) / span : 0.0;
  if (!lat.empty()) {
    double sum = 0;
    for (double x : lat) sum += x;
    s.read_latency_mean_ns = sum / double(lat.size());
    auto pct = [&lat](double p) {  // nearest rank
      const size_t k = size_t(std::ceil(p * double(lat.size())));
      const size_t at = std::min(lat.size() - 1, k ? k - 1 : 0);
      std::nth_element(lat.begin(), lat.begin() + long(at), lat.end());
      return lat[at];
    };
    s.read_latency_p50_ns = pct(0.50);
    s.read_latency_p99_ns = pct(0.99);
  }
  const models::DramStats st = mem.stats();
  const uint64_t acc = st.reads + st.writes;
  s.row_hit_rate = acc ? double(st.row_hits) / double(acc) : 0.0;
  s.activates = st.activates;
  s.refreshes = st.refreshes;
  return s;
}

}  // namespace prunesim::sim
