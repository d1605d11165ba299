#!/usr/bin/env bash
#  What the benchmarks need beyond scripts/deps.sh: Debian's etcd 3.4, the
#  baseline bench/bench_capacity.py runs the same writes against. Debian's
#  package enables etcd.service; on a host with systemd that would leave an
#  etcd listening on 2379/2380, so the service is stopped and disabled here
#  (the benchmark starts its own etcd processes and ends them).
set -euo pipefail
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
if ! dpkg-query -W -f='${Status}' etcd-server 2>/dev/null | grep -q "install ok installed"; then
    export DEBIAN_FRONTEND=noninteractive
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" apt-get install -y -qq --no-install-recommends etcd-server >/dev/null
fi
if [ -d /run/systemd/system ]; then
    "${as_root[@]}" systemctl disable --now etcd.service >/dev/null 2>&1 || true
fi
echo "bench-deps.sh: etcd $(etcd --version 2>/dev/null | head -1 | awk '{print $3}') ready"
