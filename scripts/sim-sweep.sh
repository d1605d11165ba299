#!/usr/bin/env bash
#  The long sweep of the deterministic simulator (docs/SIMULATION.md).
#
#  Usage: scripts/sim-sweep.sh [SCHEDULES] [FIRST_SEED] [BUILD_DIR]
#    SCHEDULES   how many schedules (default 100000: about 2 billion events)
#    FIRST_SEED  the first seed (default 1000001, past the ctest sweep's seeds)
#    BUILD_DIR   where meshsim was built (default build)
#
#  Splits the seeds over one worker per core, then prints every failing
#  seed with its replay command, and one summary: schedules, events,
#  simulated hours, violations, wall seconds, and the failover distribution
#  (default timing) over all workers. Exits 1 if any schedule failed.
set -euo pipefail
cd "$(dirname "$0")/.."

schedules=${1:-100000}
first=${2:-1000001}
build=${3:-build}
sim=$build/tests/sim/meshsim
if [ ! -x "$sim" ]; then
    echo "sim-sweep: no $sim; build first: cmake -S . -B $build && cmake --build $build -j" >&2
    exit 2
fi

workers=$(nproc)
[ "$workers" -le "$schedules" ] || workers=$schedules
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "sim-sweep: $schedules schedules from seed $first on $workers workers"
start=$(date +%s)
per=$(( schedules / workers ))
extra=$(( schedules % workers ))
seed=$first
pids=()
for w in $(seq 0 $((workers - 1))); do
    count=$per
    [ "$w" -lt "$extra" ] && count=$((count + 1))
    "$sim" --schedules "$count" --seed "$seed" --samples "$dir/samples.$w" --progress \
        >"$dir/out.$w" 2>"$dir/progress.$w" &
    pids+=($!)
    seed=$((seed + count))
done
status=0
for pid in "${pids[@]}"; do
    wait "$pid" || status=1
done
end=$(date +%s)

cat "$dir"/out.* | grep -E "^(FAIL|  replay)" || true
#  Each worker ends with "meshsim: schedules N (...) events E simulated-hours H violations V".
awk -v wall=$((end - start)) '
    /^meshsim: schedules/ {
        for (i = 1; i <= NF; i++) {
            if ($i == "schedules") s += $(i + 1)
            if ($i == "events") e += $(i + 1)
            if ($i == "simulated-hours") h += $(i + 1)
            if ($i == "violations") v += $(i + 1)
        }
    }
    END {
        printf "sim-sweep: schedules %.0f events %.0f simulated-hours %.1f violations %.0f wall-seconds %.0f\n",
               s, e, h, v, wall
    }' "$dir"/out.*
grep -h "^recovery in hundredths" "$dir"/out.* | sed 's/^/  per worker: /'
cat "$dir"/samples.* 2>/dev/null | awk '{ print $2 }' | sort -n >"$dir/failover"
awk '
    { v[NR] = $1 }
    function rank(p) { r = int((NR * p + 999) / 1000); if (r < 1) r = 1; return v[r] }
    END {
        if (NR == 0) exit
        printf "failover (leader crash -> new leader with valid lease, default timing): n=%d min=%d p50=%d p90=%d p99=%d max=%d ms\n",
               NR, v[1], rank(500), rank(900), rank(990), v[NR]
    }' "$dir/failover"
exit $status
