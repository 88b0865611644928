#!/usr/bin/env bash
# Regenerates the sample traces in traces/ (tests/unit/test_samples.cpp fails when they are stale).
# Usage: tools/regen-traces.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
P=${1:-build/release}/sim/prunesim
$P compress -o traces/deit-small-block16-d0.5-evit.trace
$P compress --model bert-base --seq 128 --prune all=rowbalanced:16x16:0.25 --tokens none -o traces/bert-base-rowbal16-d0.25.trace
$P compress --model gpt2 --seq 32 --decode 8 --prune all=block:32x32:0.2 --tokens none -o traces/gpt2-block32-d0.2-decode8.trace
$P compress --model gru --seq 20 --prune gru=rowbalanced:8x8:0.25 --quant gru_ih=int8,gru_hh=int4 --tokens none -o traces/gru-rowbal8-d0.25-hybrid.trace
echo "regenerated traces/*.trace"
