#!/usr/bin/env bash
# Prints the README's seed-1 trade-off table: BERT-base and GPT-2 (seq 128) with 80 % of the layer weights
# pruned by block, row-balanced, unstructured and N:M pruning, on the default systolic engine and on the same
# design with 1:5 N:M hardware (pe.nm=1:5). Latency in cycles at 300 MHz.
# Usage: tools/seed1-tradeoff.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-build/release}/sim/prunesim
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The run's latency is the report's first "cycles" (after the configuration echo).
cycles() { "$P" run --tokens none --seq 128 "$@" --json "$TMP/r.json" -q && sed -n 's/^ *"cycles": \([0-9]*\),$/\1/p' "$TMP/r.json" | head -1; }
group() { echo "$1" | rev | sed 's/\([0-9]\{3\}\)/\1,/g; s/,$//' | rev; }
echo "| pruning (all layers) | BERT-base, systolic | BERT-base, systolic + 1:5 | GPT-2, systolic | GPT-2, systolic + 1:5 |"
echo "|---|---:|---:|---:|---:|"
for p in dense block:16x16:0.2 block:32x32:0.2 rowbalanced:16x16:0.2 block:1x16:0.2 unstructured:0.2 nm:1:5; do
  row="| \`$p\`"
  for m in bert-base gpt2; do
    for hw in none 1:5; do
      row="$row | $(group "$(cycles --model $m --prune all=$p --set pe.nm=$hw)")"
    done
  done
  echo "$row |"
done
