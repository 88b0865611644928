#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS [HARNESS...]: runs each libFuzzer harness (default: every one built) for SECONDS
# on its corpus in BUILD_DIR/tests/fuzz/corpus/NAME, seeded on first use by tests/fuzz/make_seeds.py. Inputs
# that find something are kept in BUILD_DIR/tests/fuzz/corpus/findings-NAME/; the exit status is non-zero
# if any harness found one. Runs add up: the corpus persists, and fuzz-runs.log records each run's count.
set -euo pipefail
build=$1 seconds=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=$build/tests/fuzz
python=$(sed -n 's/^PRUNESIM_PYTHON:FILEPATH=//p' "$build/CMakeCache.txt")
if [ ! -d "$fuzz_dir/seeds" ]; then "${python:-/usr/bin/python3}" "$src/tests/fuzz/make_seeds.py" "$src" "$fuzz_dir/seeds"; fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for h in "$fuzz_dir"/fuzz_*; do [ -x "$h" ] && names+=("$(basename "$h" | sed 's/^fuzz_//')"); done
fi
failed=0
for name in "${names[@]}"; do
  if line=$("$src/tests/fuzz/run_fuzzer.sh" "$fuzz_dir/fuzz_$name" "$fuzz_dir/seeds/$name" "$fuzz_dir/corpus/$name" \
    "$seconds"); then
    echo "$line"
    echo "$(date -u +%FT%TZ) $(git -C "$src" rev-parse --short HEAD) $line" >>"$fuzz_dir/fuzz-runs.log"
  else
    failed=1
  fi
done
exit $failed
