#!/usr/bin/env bash
#  Long libFuzzer campaign over the fuzz targets (wire, crypto, node files).
#
#  Usage: scripts/fuzz-campaign.sh [seconds-per-target] [target ...]
#    seconds-per-target  default 600
#    targets             default: fuzz_rx fuzz_msg fuzz_head fuzz_keyfile fuzz_cluster fuzz_state
#  Environment: JOBS (parallel fuzzing processes per target, default nproc),
#               BUILD_DIR (default build-fuzz).
#
#  Builds BUILD_DIR with clang and -DMESH_FUZZ=ON (ASan + UBSan + libFuzzer)
#  if needed, then fuzzes each target for the given time, starting from the
#  committed seeds in tests/fuzz/corpus/<target>/ plus whatever earlier
#  campaigns found (kept in BUILD_DIR/fuzz-campaign/<target>/corpus; the
#  committed corpus is never modified). Crashes, leaks, timeouts and
#  out-of-memory inputs land in BUILD_DIR/fuzz-campaign/<target>/artifacts/;
#  reproduce one with: BUILD_DIR/tests/fuzz/<target> <artifact>.
#  Prints per target the executions, the corpus size and the findings, and
#  exits non-zero if anything was found.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_rx fuzz_msg fuzz_head fuzz_keyfile fuzz_cluster fuzz_state)
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}

declare -A max_len=([fuzz_rx]=4096 [fuzz_msg]=2048 [fuzz_head]=256 [fuzz_keyfile]=5000 [fuzz_cluster]=8192 [fuzz_state]=1024)

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DMESH_FUZZ=ON \
          -DCMAKE_C_COMPILER=clang >/dev/null || exit 2
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null || exit 2

found=0
for target in "${targets[@]}"; do
    dir=$build/fuzz-campaign/$target
    mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/logs"
    cp -Rn "tests/fuzz/corpus/$target/." "$dir/corpus/" 2>/dev/null || true
    echo "=== $target: ${seconds}s, $jobs job(s)"
    #  -fork keeps going past a finding and merges the corpus as it goes.
    (cd "$dir/logs" && "$OLDPWD/$build/tests/fuzz/$target" \
        -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -rss_limit_mb=1024 -malloc_limit_mb=64 \
        -max_len="${max_len[$target]:-4096}" -timeout=10 \
        -artifact_prefix="$OLDPWD/$dir/artifacts/" "$OLDPWD/$dir/corpus" \
        > "$OLDPWD/$dir/logs/fuzz.log" 2>&1)
    #  Fork mode prints "#<execs>: cov: ... oom/timeout/crash: a/b/c ..."
    last=$(grep -E '^#[0-9]+:' "$dir/logs/fuzz.log" | tail -n 1)
    total=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    faults=$(grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' <<<"$last" | cut -d' ' -f2)
    corpus=$(find "$dir/corpus" -type f | wc -l)
    crashes=$(find "$dir/artifacts" -type f | wc -l)
    echo "$target: executions ${total:-?}, oom/timeout/crash ${faults:-?}," \
         "corpus $corpus files, artifacts $crashes"
    [ "$crashes" -eq 0 ] || { found=1; ls "$dir/artifacts"; }
done
exit $found
