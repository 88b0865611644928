#include "prunesim/models/accelerator.h"
#include "prunesim/models/power.h"

#include <unistd.h>

#include <cstring>
#include <fstream>

#include "prunesim/models/param_fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "prunesim/common/error.h"
#include "prunesim/models/design_fit.h"
#include "prunesim/workloads/io.h"

namespace prunesim::models {

namespace {
double unloaded_read_ns(const DramConfig& d) {
  return d.ctrl.controller_latency_ns + (d.timing.tRCD + d.timing.CL + d.timing.BL / 2) * d.timing.tck_ns;
}
}  // namespace

int dominant_weight_bits(const workloads::Trace& t) {
  int bits = 8;
  uint64_t most = 0;
  std::map<int, uint64_t> by_bits;
  for (const auto& [name, m] : t.matrices) by_bits[m.wbits] += m.nnz;
  for (const auto& [b, n] : by_bits)
    if (n > most) most = n, bits = b;
  return bits;
}

Accelerator::Accelerator(sc_core::sc_module_name name, const workloads::Trace& trace, const HwConfig& hw,
                         bool keep_op_stats)
    : sc_module(name),
      engine(make_engine(hw)),
      plan(trace, hw, *engine),
      stats(trace.ops.size(), keep_op_stats,
            [&trace](size_t i, OpStats& st) {
              const workloads::Op& op = trace.ops[i];
              st.id = op.id;
              st.layer = op.layer;
              st.name = op.name;
              st.kind = workloads::op_kind_name(op.kind);
              if (op.kind == workloads::OpKind::Gemm)
                st.pattern = pattern_label(trace.matrices.at(op.weight));
            }),
      controller("controller", trace, hw, plan, stats),
      dma("dma", hw.dma, hw.ddr.org.channels, hw.cycle_ns(), unloaded_read_ns(hw.ddr), hw.sim.ideal_memory,
          hw.weight_buffer.slot_bytes(), hw.act_buffer.physical_bytes()),
      dram("dram", hw.ddr, hw.sim.ideal_memory, hw.sim.timeline_us * 1e3),
      weight_buffer("weight_buffer", hw.weight_buffer, hw.cycle_ns()),
      act_buffer("act_buffer", hw.act_buffer, hw.cycle_ns()),
      pe("pe_array", *engine, trace, plan, stats, hw.act_buffer.physical_bytes(),
         hw.weight_buffer.slot_bytes(), hw.cycle_ns()),
      vector("vector_unit", hw.nonlinear, trace, plan, stats, hw.act_buffer.physical_bytes(), hw.cycle_ns()),
      tpu("token_unit", hw.tpu, hw.nonlinear, trace, plan, stats, trace.shape().d_model,
          hw.act_buffer.physical_bytes(), hw.cycle_ns()) {
  controller.set_timeline(&dram.timeline());
  controller.to_dma_load.bind(dma.target);
  controller.to_dma_store.bind(dma.target);
  controller.to_pe.bind(pe.socket);
  controller.to_vector.bind(vector.socket);
  controller.to_tpu.bind(tpu.socket);
  dma.to_dram.bind(dram.socket);
  dma.to_weight_buffer.bind(weight_buffer.socket);
  dma.to_act_buffer.bind(act_buffer.socket);
  pe.to_weight_buffer.bind(weight_buffer.socket);
  pe.to_act_buffer.bind(act_buffer.socket);
  vector.to_act_buffer.bind(act_buffer.socket);
  tpu.to_act_buffer.bind(act_buffer.socket);
}

void Accelerator::trace_signals(sc_core::sc_trace_file* tf) {
  sc_core::sc_trace(tf, controller.layer, "layer");
  sc_core::sc_trace(tf, controller.op_id, "op_id");
  sc_core::sc_trace(tf, controller.tokens_alive, "tokens_alive");
  sc_core::sc_trace(tf, controller.pe_busy, "pe_busy");
  sc_core::sc_trace(tf, controller.vector_busy, "vector_busy");
  sc_core::sc_trace(tf, controller.tpu_busy, "tpu_busy");
  sc_core::sc_trace(tf, controller.weight_tiles_ready, "weight_tiles_ready");
  // Transfer-level backlogs, not the AXI and controller-queue occupancies that dma.outstanding and
  // ddr.read_queue/write_queue bound (README "How to read each figure", VCD).
  sc_core::sc_trace(tf, controller.dma_bytes_in_flight, "dma_transfer_bytes_pending");
  sc_core::sc_trace(tf, dram.queue_depth, "dram_bursts_pending");
}

uint64_t roofline_cycles(uint64_t macs, uint64_t ddr_bytes, uint64_t peak_macs_per_cycle,
                         const HwConfig& hw) {
  const double peak_macs = double(peak_macs_per_cycle);
  const double bytes_per_cycle = hw.ddr.peak_gbps_per_channel() * hw.ddr.org.channels * hw.cycle_ns();
  const double compute = double(macs) / peak_macs;
  const double memory = hw.sim.ideal_memory ? 0.0 : double(ddr_bytes) / bytes_per_cycle;
  return uint64_t(std::ceil(std::max(compute, memory) - 1e-9));
}

void check_run_invariants(const RunResult& r, const workloads::Trace& trace, const HwConfig& hw) {
  std::string broken;
  auto fail = [&](const std::string& what) { broken += (broken.empty() ? "" : "; ") + what; };
  if (r.cycles < r.roofline_cycles)
    fail("latency " + std::to_string(r.cycles) + " cycles is below its roofline bound " +
         std::to_string(r.roofline_cycles));
  if (r.utilization > 1.0 + 1e-9) fail("utilisation " + std::to_string(r.utilization) + " exceeds 1");
  if (!std::isfinite(r.latency_ms) || r.latency_ms < 0)
    fail("latency " + std::to_string(r.latency_ms) + " ms");
  if (r.macs != trace.total_macs())
    fail("MACs performed " + std::to_string(r.macs) + " differ from the trace's " +
         std::to_string(trace.total_macs()));
  if (!hw.sim.ideal_memory &&
      (r.dram.bytes_read < r.ddr_read_bytes || r.dram.bytes_written < r.ddr_write_bytes))
    fail("the DRAM served " + std::to_string(r.dram.bytes_read) + " B read / " +
         std::to_string(r.dram.bytes_written) + " B written, less than the DMA moved (" +
         std::to_string(r.ddr_read_bytes) + " / " + std::to_string(r.ddr_write_bytes) + ")");
  double timeline_read = 0, timeline_write = 0;
  for (double b : r.timeline.read_bytes()) timeline_read += b;
  for (double b : r.timeline.write_bytes()) timeline_write += b;
  const auto off = [](double a, uint64_t b) { return std::abs(a - double(b)) > 1e-6 * double(b) + 1.0; };
  if (off(timeline_read, r.ddr_read_bytes) || off(timeline_write, r.ddr_write_bytes))
    fail("the DRAM timeline holds " + std::to_string(timeline_read) + " / " + std::to_string(timeline_write) +
         " bytes, not the run's " + std::to_string(r.ddr_read_bytes) + " / " +
         std::to_string(r.ddr_write_bytes));
  if (!broken.empty())
    throw std::logic_error("a run invariant is broken (please report this with the configuration): " +
                           broken);
}

WorkEnergy work_energy(const WorkCounts& w, uint64_t weight_bytes, int weight_bits, const HwConfig& hw) {
  const EnergyConfig& e = hw.energy;
  WorkEnergy out;
  const double mac_pj = weight_bits <= 8 ? e.mac_int8_pj : weight_bits <= 16 ? e.mac_int16_pj : e.mac_fp32_pj;
  // Every MAC the engine performs costs energy, the zeros it could not skip included (no zero gating).
  out.pe_mj = double(w.issued_macs) * mac_pj * 1e-9;
  auto per_byte = [&e](MemoryKind k) {
    return k == MemoryKind::Uram ? e.uram_pj_per_byte : e.bram_pj_per_byte;  // M10K costed as BRAM
  };
  // Activations and outputs through the activation buffer; weights written into and read once from the
  // weight buffer.
  out.onchip_mj = (double(w.onchip_read_bytes + w.onchip_write_bytes) * per_byte(hw.act_buffer.kind) +
                   2.0 * double(weight_bytes) * per_byte(hw.weight_buffer.kind)) *
                  1e-9;
  out.vector_mj = double(w.vector_ops) * e.vector_op_pj * 1e-9;
  return out;
}

EnergyBreakdown compute_energy(const RunResult& r, const HwConfig& hw) {
  const EnergyConfig& e = hw.energy;
  EnergyBreakdown b;
  const WorkEnergy w = work_energy(r, r.ddr_read_bytes, r.weight_bits, hw);
  b.pe_mj = w.pe_mj;
  b.onchip_mj = w.onchip_mj;
  b.vector_mj = w.vector_mj;
  b.ddr_mj = (double(r.dram.bytes_read + r.dram.bytes_written) * 8.0 * e.ddr_pj_per_bit * 1e-9) +
             double(r.dram.activates) * e.ddr_activate_nj * 1e-6;
  b.static_mj = hw.device.static_power_w * r.latency_ms;  // W x ms = mJ
  return b;
}

void add_finished_op(RunResult& r, OpStats& op, const HwConfig& hw) {
  const uint64_t peak = r.peak_macs_per_cycle;
  op.roofline_cycles = roofline_cycles(op.macs, op.ddr_read_bytes + op.ddr_write_bytes, peak, hw);
  op.utilization = op.cycles ? double(op.macs) / (double(op.cycles) * double(peak)) : 0.0;
  r.rollups.add(op);
  const WorkEnergy we = work_energy(op, op.ddr_read_bytes, r.weight_bits, hw);
  r.rollups.energy.push_back({op.start_cycle, op.cycles, we.pe_mj + we.onchip_mj + we.vector_mj});
}

RunResult simulate(const workloads::Trace& trace, const HwConfig& hw, const std::string& vcd_path,
                   const std::vector<ScheduleObserver*>& observers, bool keep_op_stats) {
  RunResult r;
  r.weight_bits = dominant_weight_bits(trace);
  r.resources = estimate_resources(hw, r.weight_bits);
  if (!r.resources.fits) {
    // What the fit rule (design_fit.h) would give this device instead of the keys that overflow.
    std::string hint;
    if (hw.pe.engine == "systolic" && r.resources.dsp > hw.device.dsp) {
      HwConfig fitted = hw;
      fit_design(fitted, [](const std::string& k) { return k != "pe.rows" && k != "pe.cols"; });
      hint += "; the nearest array the fit rule gives this device is " + std::to_string(fitted.pe.rows) +
              "x" + std::to_string(fitted.pe.cols) + " (leave pe.rows and pe.cols unset to use it)";
    }
    if (r.resources.bram36 > hw.device.bram36 || r.resources.uram > hw.device.uram ||
        r.resources.m10k > hw.device.m10k)
      hint += "; leave the buffer.* keys unset to have them fitted to the device's memory";
    throw InputError("design does not fit device " + hw.device.part + ": " + r.resources.overflow + hint);
  }

  // One global quantum for the process (SystemC keeps it static), set before any initiator's quantum keeper
  // reads it; 0 means synchronise after every item.
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_core::sc_time(hw.sim.quantum_ns, sc_core::SC_NS));
  Accelerator top("accelerator", trace, hw, keep_op_stats);
  for (ScheduleObserver* o : observers) top.controller.add_observer(o);
  r.peak_macs_per_cycle = top.engine->peak_macs_per_cycle();
  r.rollups.energy.reserve(trace.ops.size());
  top.stats.set_on_finish([&r, &hw](OpStats& op) { add_finished_op(r, op, hw); });
  sc_core::sc_trace_file* tf = nullptr;
  // The VCD is written beside its destination under a temporary name and renamed once the run is whole, so a
  // failed run leaves no partial waveform; a path that cannot be written is refused before the run.
  std::string vcd_tmp;
  if (!vcd_path.empty()) {
    std::string base = vcd_path;
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ".vcd") == 0) base.resize(base.size() - 4);
    const std::string tmp_base = base + ".tmp-" + std::to_string(::getpid());
    vcd_tmp = tmp_base + ".vcd";
    check_writable(vcd_path, "--vcd");
    tf = sc_core::sc_create_vcd_trace_file(tmp_base.c_str());
    if (!tf) throw InputError(vcd_path + ": cannot create VCD file");
    tf->set_time_unit(1.0, sc_core::SC_PS);  // cycle times are fractional ns
    top.trace_signals(tf);
    top.controller.set_tracing(true);
  }
  try {
    sc_core::sc_start();
  } catch (...) {
    if (!vcd_tmp.empty()) std::remove(vcd_tmp.c_str());
    throw;
  }
  if (tf) sc_core::sc_close_vcd_trace_file(tf);
  if (!top.controller.finished()) {
    if (!vcd_tmp.empty()) std::remove(vcd_tmp.c_str());
    throw std::runtime_error("simulation ended before the trace was replayed");
  }
  if (!vcd_tmp.empty() && std::rename(vcd_tmp.c_str(), vcd_path.c_str()) != 0)
    throw InputError("--vcd " + vcd_path + ": cannot rename the finished waveform into place (" +
                     std::strerror(errno) + ")");

  r.cycles = top.controller.end_cycle();
  r.clock_mhz = hw.clock.mhz;
  r.latency_ms = double(r.cycles) * hw.cycle_ns() * 1e-6;
  r.ops = top.stats.take();
  const uint64_t peak = r.peak_macs_per_cycle;
  r.engine = top.engine->describe();
  for (const auto& name : trace.matrix_order) {  // one line per pattern present, in order of first use
    const workloads::Matrix& w = trace.matrices.at(name);
    const std::string label = pattern_label(w);
    bool seen = false;
    for (const auto& [l, c] : r.capabilities) seen |= l == label;
    if (!seen) r.capabilities.emplace_back(label, top.engine->capability(w));
  }
  r.dense_equivalent_macs = trace.total_dense_macs();
  static_cast<WorkCounts&>(r) = r.rollups.work;
  r.ddr_read_bytes = r.rollups.ddr_read_bytes;
  r.ddr_write_bytes = r.rollups.ddr_write_bytes;
  r.planned_ddr_read_bytes = top.plan.ddr_read_bytes();
  r.planned_ddr_write_bytes = top.plan.ddr_write_bytes();
  r.dram = top.dram.total_stats();
  r.dram_requests = top.dram.requests();
  r.timeline = top.dram.timeline();
  r.dma_bursts = top.dma.bursts();
  r.utilization = r.cycles ? double(r.macs) / (double(r.cycles) * double(peak)) : 0.0;
  r.roofline_cycles = roofline_cycles(r.macs, r.ddr_read_bytes + r.ddr_write_bytes, peak, hw);
  r.energy = compute_energy(r, hw);
  r.power = power_report(r, hw);
  check_run_invariants(r, trace, hw);
  return r;
}

// [energy]: the per-event table compute_energy() reads (sources in configs/energy/*.ini).
ConfigSection energy_section() {
  auto pj = [](const char* name, double EnergyConfig::*field, const char* help) {
    return real_field(
        name, [field](HwConfig& h) -> double& { return h.energy.*field; }, 0, 1e6, help);
  };
  return {"energy",
          {pj("mac_int8_pj", &EnergyConfig::mac_int8_pj, "energy per int8 MAC (pJ)"),
           pj("mac_int16_pj", &EnergyConfig::mac_int16_pj, "energy per int16 MAC (pJ)"),
           pj("mac_fp32_pj", &EnergyConfig::mac_fp32_pj, "energy per fp32 MAC (pJ)"),
           pj("bram_pj_per_byte", &EnergyConfig::bram_pj_per_byte, "BRAM access energy per byte (pJ)"),
           pj("uram_pj_per_byte", &EnergyConfig::uram_pj_per_byte, "URAM access energy per byte (pJ)"),
           pj("ddr_pj_per_bit", &EnergyConfig::ddr_pj_per_bit, "DRAM energy per bit moved, incl. I/O (pJ)"),
           pj("ddr_activate_nj", &EnergyConfig::ddr_activate_nj, "DRAM energy per activate+precharge (nJ)"),
           pj("vector_op_pj", &EnergyConfig::vector_op_pj, "energy per vector-unit element op (pJ)")},
          {}};
}

// [sim]: what simulate() reads (the functional check's keys are declared by it, sim/functional.h).
ConfigSection sim_section() {
  return {
      "sim",
      {flag_field(
           "ideal_memory", [](HwConfig& h) -> bool& { return h.sim.ideal_memory; }, "memory never stalls"),
       real_field(
           "quantum", [](HwConfig& h) -> double& { return h.sim.quantum_ns; }, 0, 1e9,
           "temporal-decoupling quantum in ns for the compute thread (0: synchronise after every item)"),
       real_field(
           "timeline_us", [](HwConfig& h) -> double& { return h.sim.timeline_us; }, 0, 1e9,
           "interval of the report's DRAM bytes-over-time series in us (0: automatic, at most 1000 "
           "intervals)")},
      {}};
}

}  // namespace prunesim::models
