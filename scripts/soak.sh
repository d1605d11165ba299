#!/usr/bin/env bash
#  The long nemesis soak (docs/NEMESIS.md): real meshnode processes in
#  network namespaces, hundreds of faults, the same report as the suite's
#  short run (ctest -R cluster_nemesis).
#
#  Usage: scripts/soak.sh [SECONDS] [SEED] [BUILD_DIR]
#    SECONDS    how long to inject faults (default 3600: about 900 faults)
#    SEED       the schedule's seed (default: the current time; printed)
#    BUILD_DIR  the CMake build directory (default build)
#
#  Needs root and iproute2 (scripts/deps.sh). Keeps the run directory
#  (heartbeat stream, faults, logs, state samples) and prints its path.
#  Exits 1 if the checker or the runner found a violation.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-3600}
seed=${2:-$(date +%s)}
build=${3:-build}
if [ ! -x "$build/node/meshnode" ] || [ ! -x "$build/tests/cluster/badactor" ]; then
    echo "soak: build first: cmake -S . -B $build && cmake --build $build -j" >&2
    exit 2
fi
out=$(mktemp -d /tmp/nemesis-soak-XXXXXX)
exec python3 tests/cluster/nemesis.py "$build" --duration "$seconds" --seed "$seed" --out "$out"
