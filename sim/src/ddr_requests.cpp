#include "prunesim/sim/ddr_requests.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>

#include "prunesim/common/error.h"
#include "prunesim/models/ddr4_channel.h"

namespace prunesim::sim {

namespace {
bool parse_hex(std::string s, uint64_t& out) {
  if (s.rfind("0x", 0) == 0 || s.rfind("0X", 0) == 0) s = s.substr(2);
  if (s.empty() || s.size() > 16 || s.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return false;
  out = std::stoull(s, nullptr, 16);
  return true;
}
bool parse_num(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && *end == '\0' && std::isfinite(out) && out >= 0;
}
}  // namespace

std::vector<MemRequest> read_requests(std::istream& is, const std::string& source, double tck_ns) {
  std::vector<MemRequest> out;
  std::string line;
  double last = 0;
  for (size_t n = 1; std::getline(is, line); ++n) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream ss(line);
    std::vector<std::string> f;
    for (std::string w; ss >> w;) f.push_back(w);
    if (f.empty()) continue;
    auto fail = [&](const std::string& what) { throw InputError(where(source, n) + ": " + what); };
    MemRequest r;
    if (f.size() >= 2 && (f[1] == "READ" || f[1] == "WRITE")) {
      // DRAMsim3: <hex address> <READ|WRITE> <cycle>
      double cycle = 0;
      if (f.size() != 3 || !parse_hex(f[0], r.addr) || !parse_num(f[2], cycle))
        fail("expected '<hex address> <READ|WRITE> <cycle>'");
      r.write = f[1] == "WRITE";
      r.arrival_ns = cycle * tck_ns;
    } else {
      if (f.size() < 3 || f.size() > 4) fail("expected '<arrival_ns> <R|W> <hex address> [bytes]'");
      if (!parse_num(f[0], r.arrival_ns)) fail("arrival '" + f[0] + "' is not a non-negative number of ns");
      if (f[1] != "R" && f[1] != "W") fail("operation '" + f[1] + "' must be R or W");
      r.write = f[1] == "W";
      if (!parse_hex(f[2], r.addr)) fail("address '" + f[2] + "' is not a hex number");
      if (f.size() == 4) {
        double b = 0;
        if (!parse_num(f[3], b) || b < 1 || b != std::floor(b) || b > (1u << 30))
          fail("bytes '" + f[3] + "' must be a positive integer");
        r.bytes = uint64_t(b);
      }
    }
    if (r.arrival_ns != 0 && r.arrival_ns < last)
      fail("arrival times must not decrease (" + std::to_string(r.arrival_ns) + " after " +
           std::to_string(last) + ")");
    if (r.arrival_ns != 0) last = r.arrival_ns;
    out.push_back(r);
  }
  if (out.empty()) throw InputError(source + ": no requests");
  return out;
}

DdrRunStats run_requests(const models::DramConfig& cfg, const std::vector<MemRequest>& reqs) {
  std::vector<std::unique_ptr<models::Ddr4Channel>> ch;
  for (uint32_t c = 0; c < cfg.org.channels; ++c) ch.push_back(std::make_unique<models::Ddr4Channel>(cfg));
  const uint32_t burst = cfg.org.burst_bytes(cfg.timing.BL);
  std::vector<double> lat;
  DdrRunStats s;
  uint64_t id = 0;
  std::vector<uint64_t> last_arrival(ch.size(), 0);
  // Requests wider than a burst are split; a request completes when its last burst does.
  std::vector<uint64_t> owner;  // burst id -> request index
  std::vector<double> req_done(reqs.size(), 0.0), req_arrival(reqs.size(), 0.0);
  for (size_t i = 0; i < reqs.size(); ++i) {
    const MemRequest& r = reqs[i];
    const uint64_t arrival = uint64_t(std::floor(r.arrival_ns / cfg.timing.tck_ns));
    req_arrival[i] = r.arrival_ns;
    for (uint64_t a = r.addr / burst * burst; a < r.addr + r.bytes; a += burst) {
      const models::ChannelAddr ca = models::split_channel(cfg.org, a);
      models::DramRequest d;
      d.id = id++;
      d.arrival = std::max(arrival, last_arrival[ca.channel]);
      last_arrival[ca.channel] = d.arrival;
      d.addr = ca.local;
      d.write = r.write;
      owner.push_back(i);
      ch[ca.channel]->submit(d);
    }
    s.bytes += r.bytes;
    (r.write ? s.writes : s.reads) += 1;
  }
  for (auto& c : ch) {
    c->run([&](const models::DramCompletion& done) {
      const size_t i = owner[done.id];
      req_done[i] = std::max(req_done[i], c->cycles_to_ns(done.done));
    });
  }
  double first = req_arrival.empty() ? 0 : req_arrival.front();
  for (size_t i = 0; i < reqs.size(); ++i) {
    s.end_ns = std::max(s.end_ns, req_done[i]);
    if (!reqs[i].write) lat.push_back(req_done[i] - req_arrival[i]);
  }
  s.requests = reqs.size();
  const double span = s.end_ns - std::min(first, s.end_ns);
  s.bandwidth_gbps = span > 0 ? double(s.bytes) / span : 0.0;
  if (!lat.empty()) {
    double sum = 0;
    for (double x : lat) sum += x;
    s.read_latency_mean_ns = sum / double(lat.size());
    std::sort(lat.begin(), lat.end());
    auto pct = [&lat](double p) {  // nearest rank
      size_t k = size_t(std::ceil(p * double(lat.size())));
      return lat[std::min(lat.size() - 1, k ? k - 1 : 0)];
    };
    s.read_latency_p50_ns = pct(0.50);
    s.read_latency_p99_ns = pct(0.99);
  }
  uint64_t acc = 0, hits = 0;
  for (auto& c : ch) {
    const auto& st = c->stats();
    acc += st.reads + st.writes;
    hits += st.row_hits;
    s.activates += st.activates;
    s.refreshes += st.refreshes;
  }
  s.row_hit_rate = acc ? double(hits) / double(acc) : 0.0;
  return s;
}

}  // namespace prunesim::sim
