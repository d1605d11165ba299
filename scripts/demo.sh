#!/usr/bin/env bash
#  Builds the project and runs the consensus core's scenario demo: five real
#  cores over a simulated network go through a cold start, a leader crash, a
#  partition, a leadership transfer and an isolated leader.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target core_demo >/dev/null
exec ./build/tests/core_demo "$@"
