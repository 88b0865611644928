#!/usr/bin/env bash
# run_fuzzer.sh HARNESS SEEDS CORPUS SECONDS [libFuzzer flags...]
# Runs one libFuzzer harness for SECONDS on CORPUS (created from SEEDS when missing; new inputs are kept
# there), with the limits every prunesim harness runs under: 10 s per input is a hang, 2 GiB is runaway
# memory. Findings are written to CORPUS/../findings-NAME/ and make the exit status non-zero. The last line
# says how many inputs ran, for the README's figures (tests/fuzz/README.md).
set -euo pipefail
harness=$1 seeds=$2 corpus=$3 seconds=$4
shift 4
name=$(basename "$harness")
findings=$(dirname "$corpus")/findings-${name#fuzz_}
mkdir -p "$corpus" "$findings"
if [ -z "$(ls -A "$corpus")" ]; then cp -r "$seeds"/. "$corpus"/; fi
log=$(dirname "$corpus")/${name#fuzz_}.log
set +e
"$harness" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
  -max_len=262144 -print_final_stats=1 -artifact_prefix="$findings/" "$@" >"$log" 2>&1
rc=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
if [ $rc -ne 0 ]; then
  tail -40 "$log" >&2
  echo "$name: FINDING after ${runs:-?} inputs (rc $rc); the input is in $findings/" >&2
  exit 1
fi
echo "$name: ${runs:-0} inputs in ${seconds} s, no finding (corpus $(ls "$corpus" | wc -l) files)"
