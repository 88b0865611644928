#!/usr/bin/env bash
# Debian's python3 (with python3-matplotlib), not a user-installed interpreter earlier on PATH.
# `make bench`: microbenchmarks (Google Benchmark), then whole runs with their targets, then the scaling
# curves and their plot. Usage: tools/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
mkdir -p build/bench
"$build/tests/prunesim_bench" --benchmark_min_time=0.5 --benchmark_out=build/bench/micro.json \
  --benchmark_out_format=json
/usr/bin/python3 tools/bench_runs.py --binary "$build/sim/prunesim" --out build/bench --scaling
/usr/bin/python3 tools/plot_scaling.py build/bench/runs.json --out build/bench/scaling
