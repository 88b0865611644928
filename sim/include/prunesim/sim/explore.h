#pragma once
// `prunesim explore`: the best device, design and pruning recipe under a latency constraint (LC) and an
// accuracy constraint (AC), searched per device over designs that fit and over a recipe space.
//
// The search (README "Explore"), given that a sparser recipe is never slower, never costs more energy and is
// never more accurate than a denser one of the same family on the same design:
//  1. Per recipe variant (prune family x quant x tokens x keep), the accuracy side needs no simulation: the
//     compressor measures the fidelity of each density against the dense model (real weights), and a
//     bisection over the family's densities finds the sparsest one that meets AC.
//  2. Per device, design and variant, that density is the one to simulate: every sparser one misses AC, and
//     every denser one costs at least as much and misses LC if it does. One simulation decides the triple.
//  3. With the objective `accuracy` (the most accurate recipe within LC), a bisection over the denser
//     densities finds the densest that meets LC.
// Simulations run as sweep points (one process each, resumable, crash-isolated); `--exhaustive` simulates
// the whole product instead, for checking the search.
#include <string>
#include <vector>

#include "prunesim/models/params.h"

namespace prunesim::sim {

struct ExploreOptions {
  std::vector<std::string> devices;       // device files
  std::vector<std::string> config_files;  // layered after each device file
  std::vector<std::string> sets;          // workload flags and --set, after the files
  double latency_ms = 0;                  // LC; 0: none
  std::string accuracy;                   // AC: "top1>=X", "rel_error<=X", or "" for none
  std::vector<std::string> prune_grid;    // prune specs; one "{values}" placeholder is the density
  std::vector<std::string> quant_grid, tokens_grid, keep_grid;
  std::vector<std::string> design_grid;  // KEY=V1,V2,...: designs per device (cartesian); else array rungs
  unsigned design_rungs = 3;             // the fitted array and the next smaller ones
  std::string objective = "energy";      // energy | latency | dsp | cost (device.price_usd) | accuracy
  bool exhaustive = false;
  std::string out_dir;
  unsigned jobs = 1;
  bool resume = false;
  std::string binary;                  // the prunesim executable
  std::string backend = "local";       // where the simulations run (sweep_backend.h)
  models::ParamValues backend_params;  // its keys ("slurm.partition", ...); detach is refused
};

// An explore file: one setting per line, `KEY VALUE`, '#' comments. Keys: device FILE, config FILE,
// set KEY=VALUE, latency-ms X, accuracy AC, objective O, prune-grid SPEC, quant-grid V,..., tokens-grid T,
// keep-grid V,..., design-grid KEY=V,..., rungs N. List keys repeat; throws InputError naming file:line.
void read_explore_file(const std::string& path, ExploreOptions& opt);

// Runs the search, writes DIR/explore.json, DIR/results.{jsonl,csv} and prints the per-device table and the
// answer. Returns 0 with an answer, 3 when no point meets LC and AC. Throws InputError on bad input.
int run_explore(const ExploreOptions& opt, std::ostream& out);

// The device files shipped in configs/devices, sorted.
std::vector<std::string> shipped_devices();

}  // namespace prunesim::sim
