#!/usr/bin/env bash
# Microbenchmarks (Google Benchmark) of the release build. Usage: tools/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
"$build/tests/prunesim_bench" --benchmark_min_time=0.5
