#!/usr/bin/env python3
"""Cluster benchmarks with real meshnode processes on this host.

Prints:
  - failover: kill -9 of the leader, N trials (default 20): time from the
    kill until every survivor's heartbeat names the same new leader
    (min / median / p99 / max);
  - cold start: time from starting all nodes until one leader is agreed;
  - idle cost: per-node CPU % of one core and RSS at 3, 5, 9 and 15 nodes
    with the default timing (heartbeat 50 ms, election timeout 250 ms).

Usage: bench/bench_cluster.py BUILD_NODE_DIR [--trials N] [--sizes 3,5,9,15]
                              [--idle-seconds S] [--base-port P]
Not a test: it asserts nothing and prints what it measured.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "node"))
from harness import LocalCluster, mono_ms  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS     # utime + stime


def rss_kib(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE // 1024


def rss_split_kib(pid):
    """RssAnon (this process's own memory: heap, stacks, libzmq's buffers)
    and RssFile (pages of the binary and shared libraries it has mapped)."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            parts = line.split()
            if parts and parts[0] in ("RssAnon:", "RssFile:"):
                fields[parts[0][:-1]] = int(parts[1])
    return fields.get("RssAnon", 0), fields.get("RssFile", 0)


def smaps_kib(pid):
    """Pss and private (clean + dirty) KiB: RSS counts every shared library
    page this process touched, which one host with one node does not share."""
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1])
    return fields.get("Pss", 0), fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def agreed_after(cluster, t0, old, survivors):
    """Time after t0 when every survivor's heartbeat names one new leader."""
    events = cluster.watcher.since(t0)
    for new in survivors:
        firsts = []
        for s in survivors:
            times = [e["recv_mono_ms"] for e in events if e["node"] == s and e["leader"] == new]
            if not times:
                break
            firsts.append(min(times))
        else:
            return max(firsts) - t0, new
    return None, None


def bench_failover(bindir, trials, base_port):
    c = LocalCluster(bindir, 5, base_port, name="benchfailover")
    results = []
    try:
        c.watch()
        c.start_all()
        found, _ = c.wait_leader(5000, expect_nodes=5)
        if not found:
            print("failover: no leader at start")
            return
        for trial in range(trials):
            time.sleep(1.0)
            found = c.leader()
            if not found:
                found, _ = c.wait_leader(5000)
            old = found[0]
            t0 = mono_ms()
            c.kill(old)
            survivors = [n for n in c.ids() if n != old]
            took = None
            deadline = t0 + 5000
            while mono_ms() < deadline:
                took, new = agreed_after(c, t0, old, survivors)
                if took is not None:
                    break
                time.sleep(0.01)
            if took is None:
                print("trial %d: no agreement within 5 s" % trial)
            else:
                results.append(took)
            c.start(old)
    finally:
        c.close()
    if results:
        print("failover (kill -9 of the leader, 5 nodes, %d trials): min %.0f ms, median %.0f ms, "
              "p99 %.0f ms, max %.0f ms" % (len(results), min(results), statistics.median(results),
                                          percentile(results, 99), max(results)))


def bench_idle(bindir, sizes, seconds, base_port):
    for n in sizes:
        c = LocalCluster(bindir, n, base_port, name="benchidle%d" % n)
        try:
            c.watch()
            t0 = mono_ms()
            c.start_all()
            found, took = c.wait_leader(10000, expect_nodes=n)
            cold = "%.0f ms" % took if found else "none within 10 s"
            time.sleep(2.0)
            pids = [c.procs[node].pid for node in c.ids()]
            before = [cpu_seconds(p) for p in pids]
            start = time.monotonic()
            time.sleep(seconds)
            wall = time.monotonic() - start
            cpu = [(cpu_seconds(p) - b) / wall * 100.0 for p, b in zip(pids, before)]
            rss = [rss_kib(p) / 1024.0 for p in pids]
            anon, filed = zip(*[rss_split_kib(p) for p in pids])
            pss, private = zip(*[smaps_kib(p) for p in pids])
            print("%2d nodes: cold start to agreed leader %s; per node idle CPU mean %.2f %% "
                  "(max %.2f %%) of a core, RSS mean %.1f MiB (max %.1f MiB; PSS mean %.1f MiB, "
                  "private mean %.1f MiB) over %.0f s"
                  % (n, cold, statistics.mean(cpu), max(cpu), statistics.mean(rss), max(rss),
                     statistics.mean(pss) / 1024.0, statistics.mean(private) / 1024.0, wall))
            #  The leader does more than the others (it sends every round to
            #  every member and verifies their acks): shown apart.
            now = c.leader()
            if now and now[0] in c.ids():
                i = c.ids().index(now[0])
                others = [x for k, x in enumerate(cpu) if k != i]
                print("          leader %s %.2f %%, the others mean %.2f %% (max %.2f %%); RSS = "
                      "anonymous %.1f MiB (mean: heap, stacks, libzmq buffers) + file-backed "
                      "%.1f MiB (the binary and shared libraries)"
                      % (now[0], cpu[i], statistics.mean(others) if others else 0.0,
                         max(others) if others else 0.0, statistics.mean(anon) / 1024.0,
                         statistics.mean(filed) / 1024.0))
        finally:
            c.close()
        base_port += 3 * n + 10


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("bindir")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--sizes", default="3,5,9,15")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    parser.add_argument("--base-port", type=int, default=23000)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    bench_failover(args.bindir, args.trials, args.base_port)
    bench_idle(args.bindir, sizes, args.idle_seconds, args.base_port + 100)


if __name__ == "__main__":
    main()
