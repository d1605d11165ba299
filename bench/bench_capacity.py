#!/usr/bin/env python3
"""Committed writes/s and write latency of the capacity map, beside etcd 3.4.

For each cluster size (default 3 and 5), on this host, in this run:

  incidentmesh: a LocalCluster (tests/node/harness.py; data under the
  system temporary directory on local disk, fsync on as always) with as
  many clients as the largest client count; once a leader is agreed,
  build/bench/bench_kv runs each client count C (default 1 and 8) for S
  seconds (default 10): C threads, each its own client id and client
  object, sequential puts of a B-byte value on K keys; then the cluster is
  stopped.

  etcd: an etcd 3.4 cluster of the same size on 127.0.0.1 (Debian's
  etcd-server, default settings: fsync on), data in a temporary directory
  on the same disk; once /health says true on every member, the same
  workload from Python: C threads, each with its own persistent HTTP/1.1
  connection (http.client) to the leader's gRPC gateway, POST /v3/kv/put
  with base64 key and value, sequential puts, the same value size, keys
  and duration. Our client also ends up talking to the leader (it follows
  not-leader answers), so neither side pays a follower's forwarding hop.

In both, a put's latency is CLOCK_MONOTONIC from the call to its
acknowledged reply (committed on a majority's disk and applied); only
acknowledged puts count; each client does one uncounted put first
(connections made, leader found) and all start together.

The clients differ, and the table cannot hide it: ours is the C client
library with Ed25519-signed requests over ZeroMQ; etcd's here is Python
over HTTP/JSON through etcd's grpc-gateway (etcd's own Go client would be
faster). So for each etcd size and C the script also measures the Python
client's floor: the same C threads doing serializable range reads through
the same gateway (no consensus, no disk) and GET /version (a trivial HTTP
round trip); if those rates are near the put rates, etcd's column is
bounded by the client, not by etcd.

Usage: bench/bench_capacity.py BUILD_DIR [--sizes 3,5] [--clients 1,8]
           [--seconds 10] [--keys 100] [--value-bytes 64] [--base-port P]
           [--json]
BUILD_DIR is the CMake build directory (it holds node/ and bench/).
Not a test: it asserts nothing, prints what it measured, and exits 0
unless our own side could not run. Without etcd installed it says so and
runs our side only (scripts/bench-deps.sh installs etcd-server).
"""

import argparse
import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "node"))
from harness import LocalCluster, ports_free  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PUT_TIMEOUT_S = 5.0                 # = bench_kv's default --timeout-ms


def mono_ms():
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


def percentile(ordered, p):
    """Nearest rank, as bench_kv computes it."""
    if not ordered:
        return 0.0
    k = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[k - 1]


def cpu_seconds(pids):
    total = 0.0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
        except OSError:
            pass
    return total


def loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def end_process(proc):
    """End one process we started, by its PID: TERM, then KILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------- ours

def run_ours(build, size, client_counts, args, base_port):
    """{clients: result dict} for one size; result None if bench_kv failed."""
    results = {}
    c = LocalCluster(os.path.join(build, "node"), size, base_port, name="benchkv%d" % size,
                     clients=max(client_counts))
    try:
        c.watch()
        c.start_all()
        found, _ = c.wait_leader(15000, expect_nodes=size)
        if not found:
            print("incidentmesh %d nodes: no leader within 15 s" % size)
            return {n: None for n in client_counts}
        time.sleep(1.0)
        pids = [p.pid for p in c.procs.values()]
        for n in client_counts:
            cmd = [os.path.join(build, "bench", "bench_kv"), "--cluster", c.cluster_file,
                   "--key-dir", c.dir, "--clients", str(n), "--seconds", str(args.seconds),
                   "--keys", str(args.keys), "--value-bytes", str(args.value_bytes), "--json"]
            cpu0 = cpu_seconds(pids)
            t0 = time.monotonic()
            out = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=args.seconds + 120)
            wall = time.monotonic() - t0
            cpu = (cpu_seconds(pids) - cpu0) / wall
            lines = out.stdout.strip().splitlines()
            if out.returncode != 0 or len(lines) < 2:
                print("bench_kv failed (%d): %s %s" % (out.returncode, out.stdout, out.stderr))
                results[n] = None
                continue
            print(lines[0])
            r = json.loads(lines[1])
            r["failed"] = r["unavailable"] + r["other_failed"]
            r["server_cores"] = cpu
            results[n] = r
            time.sleep(1.0)
    finally:
        c.close()
    return results


# ---------------------------------------------------------------- etcd

class EtcdCluster:
    """size etcd members on 127.0.0.1: client port base+2k, peer base+2k+1."""

    def __init__(self, etcd, size, base_port):
        self.size = size
        self.base = base_port
        self.procs = {}
        self.logs = {}
        self.dir = tempfile.mkdtemp(prefix="benchetcd%d-" % size)
        if not ports_free(base_port, 2 * size):
            raise RuntimeError("ports %d..%d are in use" % (base_port, base_port + 2 * size))
        names = ["e%d" % k for k in range(1, size + 1)]
        initial = ",".join("%s=http://127.0.0.1:%d" % (name, self.peer_port(k))
                           for k, name in enumerate(names))
        for k, name in enumerate(names):
            log = open(os.path.join(self.dir, name + ".log"), "w")
            self.logs[name] = log
            self.procs[name] = subprocess.Popen(
                [etcd, "--name", name, "--data-dir", os.path.join(self.dir, name),
                 "--listen-client-urls", "http://127.0.0.1:%d" % self.client_port(k),
                 "--advertise-client-urls", "http://127.0.0.1:%d" % self.client_port(k),
                 "--listen-peer-urls", "http://127.0.0.1:%d" % self.peer_port(k),
                 "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % self.peer_port(k),
                 "--initial-cluster", initial, "--initial-cluster-token", "bench-%d" % os.getpid(),
                 "--initial-cluster-state", "new", "--logger", "zap", "--log-outputs", "stderr"],
                stdout=log, stderr=subprocess.STDOUT)

    def client_port(self, k):
        return self.base + 2 * k

    def peer_port(self, k):
        return self.base + 2 * k + 1

    def request(self, k, method, path, body=None, timeout=2.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.client_port(k), timeout=timeout)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None)
            reply = conn.getresponse()
            return reply.status, json.loads(reply.read() or b"null")
        finally:
            conn.close()

    def wait_healthy(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            healthy = 0
            for k in range(self.size):
                try:
                    status, body = self.request(k, "GET", "/health")
                    healthy += status == 200 and body.get("health") == "true"
                except (OSError, ValueError, http.client.HTTPException):
                    pass
            if healthy == self.size:
                return True
            time.sleep(0.1)
        return False

    def leader(self):
        """Index of the member that leads, or None."""
        for k in range(self.size):
            try:
                status, body = self.request(k, "POST", "/v3/maintenance/status", {})
            except (OSError, ValueError, http.client.HTTPException):
                continue
            if status == 200 and body.get("leader") and \
               body["leader"] == body.get("header", {}).get("member_id"):
                return k
        return None

    def pids(self):
        return [p.pid for p in self.procs.values()]

    def close(self):
        for name in list(self.procs):
            end_process(self.procs.pop(name))
            self.logs.pop(name).close()
        shutil.rmtree(self.dir, ignore_errors=True)


def b64(data):
    return base64.b64encode(data).decode()


def etcd_workload(port, clients, seconds, op, keys, value_bytes):
    """C threads, each one persistent connection, sequential requests for
    seconds. op: "put", "range" (serializable) or "version". Returns a dict
    like bench_kv's JSON."""
    ready = threading.Barrier(clients + 1)      # every connection made, first request done
    go = threading.Barrier(clients + 1)         # start[0] set
    start = [0.0]
    results = [None] * clients

    def one(number):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PUT_TIMEOUT_S)
        value = bytearray(b"abcdefghijklmnopqrstuvwxyz"[(number + i) % 26] for i in range(value_bytes))
        lat, ok, unknown, failed = [], 0, 0, 0
        broken = None

        def call(key, count):
            if op == "version":
                conn.request("GET", "/version")
            else:
                if op == "put":
                    value[:min(8, value_bytes)] = count.to_bytes(8, "little")[:min(8, value_bytes)]
                    body = {"key": b64(key), "value": b64(bytes(value))}
                    path = "/v3/kv/put"
                else:
                    body = {"key": b64(key), "serializable": True}
                    path = "/v3/kv/range"
                conn.request("POST", path, body=json.dumps(body),
                             headers={"Content-Type": "application/json"})
            reply = conn.getresponse()
            data = reply.read()
            return reply.status == 200 and (op == "version" or b'"header"' in data)

        try:
            if not call(b"bench/warmup", 0):
                broken = "first %s not ok" % op
        except (OSError, http.client.HTTPException) as e:
            broken = "first %s: %s" % (op, e)
        ready.wait()
        go.wait()
        if broken is None:
            until = start[0] + seconds * 1000.0
            count = 0
            while True:
                invoke = mono_ms()
                if invoke >= until:
                    break
                key = b"bench/k%d" % ((number + count) % keys)
                count += 1
                try:
                    done = call(key, count)
                except (OSError, http.client.HTTPException):
                    # Sent (or maybe sent) and no reply: a put may have taken effect
                    unknown += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=PUT_TIMEOUT_S)
                    continue
                complete = mono_ms()
                if done:
                    ok += 1
                    lat.append(complete - invoke)
                else:
                    failed += 1
        conn.close()
        results[number] = (lat, ok, unknown, failed, mono_ms(), broken)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    start[0] = mono_ms()
    go.wait()
    for t in threads:
        t.join()
    broken = [r[5] for r in results if r[5]]
    if broken:
        print("etcd %s: %s" % (op, broken[0]))
        return None
    lat = sorted(x for r in results for x in r[0])
    end = max(r[4] for r in results)
    wall = (end - start[0]) / 1000.0
    acknowledged = sum(r[1] for r in results)
    return {"writes_per_s": acknowledged / wall if wall > 0 else 0.0,
            "p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
            "max_ms": lat[-1] if lat else 0.0, "acknowledged": acknowledged,
            "unknown": sum(r[2] for r in results), "failed": sum(r[3] for r in results)}


def run_etcd(etcd, size, client_counts, args, base_port):
    """({clients: put result}, {clients: floor results}) for one size."""
    results, floors = {}, {}
    e = EtcdCluster(etcd, size, base_port)
    try:
        if not e.wait_healthy(30):
            print("etcd %d nodes: not healthy within 30 s (logs were in %s)" % (size, e.dir))
            return {n: None for n in client_counts}, {}
        leader = None
        deadline = time.monotonic() + 10
        while leader is None and time.monotonic() < deadline:
            leader = e.leader()
            time.sleep(0.05 if leader is None else 0)
        if leader is None:
            print("etcd %d nodes: no leader found" % size)
            return {n: None for n in client_counts}, {}
        time.sleep(1.0)
        port = e.client_port(leader)
        for n in client_counts:
            cpu0 = cpu_seconds(e.pids())
            t0 = time.monotonic()
            r = etcd_workload(port, n, args.seconds, "put", args.keys, args.value_bytes)
            wall = time.monotonic() - t0
            if r:
                r["server_cores"] = (cpu_seconds(e.pids()) - cpu0) / wall
                print("etcd %d nodes, %d clients: %.0f writes/s, p50 %.2f ms, p99 %.2f ms, "
                      "max %.2f ms (%d acknowledged, %d unknown, %d failed)"
                      % (size, n, r["writes_per_s"], r["p50_ms"], r["p99_ms"], r["max_ms"],
                         r["acknowledged"], r["unknown"], r["failed"]))
            results[n] = r
            time.sleep(1.0)
            floor_seconds = min(3.0, args.seconds)
            floors[n] = {op: etcd_workload(port, n, floor_seconds, op, args.keys, args.value_bytes)
                         for op in ("range", "version")}
            time.sleep(1.0)
    finally:
        e.close()
    return results, floors


# ---------------------------------------------------------------- main

def cell(r, width):
    if not r:
        return "%*s %8s %8s" % (width, "-", "-", "-")
    return "%*.0f %8.2f %8.2f" % (width, r["writes_per_s"], r["p50_ms"], r["p99_ms"])


def disk_sync_ms(directory, seconds=1.0):
    """p50 and p99 of a 4 KiB append + fdatasync in directory: what one
    durable log write costs on this disk, for reading the latencies."""
    fd, path = tempfile.mkstemp(prefix="benchsync-", dir=directory)
    lat = []
    try:
        block = b"x" * 4096
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            t0 = mono_ms()
            os.write(fd, block)
            os.fdatasync(fd)
            lat.append(mono_ms() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return percentile(lat, 50), percentile(lat, 99)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("build")
    parser.add_argument("--sizes", default="3,5")
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument("--value-bytes", type=int, default=64)
    parser.add_argument("--base-port", type=int, default=24100)
    parser.add_argument("--json", action="store_true", help="print every result as a JSON line too")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    client_counts = [int(s) for s in args.clients.split(",")]
    bench_kv = os.path.join(args.build, "bench", "bench_kv")
    if not os.access(bench_kv, os.X_OK):
        print("no %s: build it first (cmake --build %s)" % (bench_kv, args.build))
        return 2
    etcd = shutil.which("etcd")
    etcd_version = None
    if etcd:
        out = subprocess.run([etcd, "--version"], capture_output=True, text=True)
        first = out.stdout.splitlines()[0] if out.stdout else "version unknown"
        etcd_version = "etcd " + first.replace("etcd Version:", "").strip()
    else:
        print("etcd is not installed: running incidentmesh only "
              "(scripts/bench-deps.sh installs etcd-server for the comparison)")
    print("host: %d CPUs; load average before: %s" % (os.cpu_count(), loadavg()))
    sync50, sync99 = disk_sync_ms(tempfile.gettempdir())
    print("disk under %s (both systems' data): 4 KiB append + fdatasync p50 %.2f ms, p99 %.2f ms"
          % (tempfile.gettempdir(), sync50, sync99))
    print("workload: sequential puts, %d-byte values on %d keys, %g s per run; fsync on"
          % (args.value_bytes, args.keys, args.seconds))

    ours, theirs, floors = {}, {}, {}
    base = args.base_port
    for size in sizes:
        ours[size] = run_ours(args.build, size, client_counts, args, base)
        base += 3 * size + 10
        if etcd:
            theirs[size], floors[size] = run_etcd(etcd, size, client_counts, args, base + 100)
            base += 2 * size + 10
    print("load average after: %s" % loadavg())

    print()
    print("size clients | incidentmesh writes/s   p50 ms   p99 ms | etcd writes/s   p50 ms   p99 ms")
    for size in sizes:
        for n in client_counts:
            print("%4d %7d | %s | %s" % (
                size, n, cell(ours[size].get(n), 21),
                cell(theirs.get(size, {}).get(n), 13) if etcd else "(etcd not installed)"))
    print("(p50/p99 of acknowledged puts, from the call to its reply)")

    print()
    print("detail: max latency ms, unknown/failed puts, server CPU (cores busy, all nodes)")
    for size in sizes:
        for n in client_counts:
            parts = []
            for label, r in (("incidentmesh", ours[size].get(n)),
                             ("etcd", theirs.get(size, {}).get(n))):
                if r:
                    parts.append("%s max %.1f, %d/%d, %.2f cores" % (
                        label, r["max_ms"], r["unknown"], r["failed"], r["server_cores"]))
            print("%4d %7d | %s" % (size, n, "; ".join(parts)))

    if etcd:
        print()
        print("clients: incidentmesh = C client library (bench_kv), Ed25519-signed requests over "
              "ZeroMQ;")
        print("         etcd = %s, Python %s threads over HTTP/1.1 + JSON via the grpc-gateway"
              % (etcd_version, sys.version.split()[0]))
        print("Python client floor against the etcd leader (no consensus, no disk): "
              "ops/s p50 p99 (ms)")
        for size in sizes:
            for n in client_counts:
                f = floors.get(size, {}).get(n) or {}
                text = []
                for op, label in (("range", "serializable range"), ("version", "GET /version")):
                    r = f.get(op)
                    if r:
                        text.append("%s %.0f/s %.2f %.2f" % (label, r["writes_per_s"], r["p50_ms"],
                                                          r["p99_ms"]))
                print("%4d %7d | %s" % (size, n, "; ".join(text) or "-"))
    if args.json:
        for size in sizes:
            for n in client_counts:
                for system, table in (("incidentmesh", ours), ("etcd", theirs)):
                    r = table.get(size, {}).get(n)
                    if r:
                        print(json.dumps(dict(r, system=system, nodes=size, clients=n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
