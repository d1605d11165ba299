#!/usr/bin/env bash
#  Builds the project, creates a local 5-node cluster, starts it and opens the
#  live view (meshctl watch). Ctrl-C stops every process this script started.
#  Usage: scripts/cluster.sh [--nodes N] [--base-port P] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

nodes=5
base=7100
dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --nodes)     nodes=$2; shift 2 ;;
        --base-port) base=$2; shift 2 ;;
        --dir)       dir=$2; shift 2 ;;
        *) echo "usage: $0 [--nodes N] [--base-port P] [--dir DIR]" >&2; exit 2 ;;
    esac
done

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target meshnode meshctl >/dev/null
bin=$PWD/build/node

if [ -z "$dir" ]; then
    dir=$(mktemp -d /tmp/incidentmesh-XXXXXX)
fi
if [ ! -f "$dir/cluster.cfg" ]; then
    "$bin/meshctl" cluster-init "$dir" --nodes "$nodes" --base-port "$base" >/dev/null
fi

pids=()
stop () {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    echo "stopped ${#pids[@]} nodes; cluster files and logs in $dir"
}
trap stop INT TERM EXIT

for k in $(seq 1 "$nodes"); do
    "$bin/meshnode" --cluster "$dir/cluster.cfg" --id "n$k" --key "$dir/n$k.secret" \
        --data "$dir/n$k" >"$dir/n$k.log" 2>&1 &
    pids+=($!)
done
echo "started $nodes nodes (logs in $dir); opening the live view"
sleep 0.5
"$bin/meshctl" watch --cluster "$dir/cluster.cfg" || true
