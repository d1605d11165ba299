#!/usr/bin/env bash
#  Run one libFuzzer target for a bounded number of runs over a scratch
#  copy of its committed seed corpus (the committed corpus is never
#  modified). Used by ctest; see scripts/fuzz-campaign.sh for long runs.
#  Usage: run_fuzz.sh <fuzzer> <seed-corpus-dir> <work-dir> <runs> <max-len>
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3 runs=$4 max_len=$5
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp -R "$seeds/." "$work/corpus/"
#  A fixed seed keeps the ctest run reproducible; leaks count as findings.
exec "$fuzzer" -runs="$runs" -seed=1 -rss_limit_mb=512 -malloc_limit_mb=64 \
     -max_len="$max_len" -timeout=10 -print_final_stats=1 \
     -artifact_prefix="$work/artifacts/" "$work/corpus"
