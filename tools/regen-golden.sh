#!/usr/bin/env bash
# Regenerates the golden run reports in tests/golden/ from the sample traces. ctest re-runs each and fails on
# any change (prunesim compare, zero tolerance). Regenerate only when a change of the numbers is intended:
# say in the commit which model changed and why, and look at `prunesim compare OLD NEW` first.
# Usage: tools/regen-golden.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-build/release}/sim/prunesim
while read -r name trace configs; do
  args=()
  for c in $configs; do args+=(--config "$c"); done
  "$P" run -q --trace "traces/$trace" "${args[@]}" --json "tests/golden/$name.json"
  echo "tests/golden/$name.json"
done < tests/golden/cases.txt
