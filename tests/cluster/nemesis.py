#!/usr/bin/env python3
"""nemesis: real meshnode processes, real faults from a seed, checked from
the heartbeat stream.

Starts one meshnode per network namespace (netlab.py), a `meshctl watch
--json` in the hub, and injects one fault at a time, drawn from --seed:

  kill/restart     kill -9 of the leader or a follower, down 0.2-2 s, restarted
                   with its data directory
  stop/0.5x..5x    SIGSTOP of the leader for 0.5, 1, 2 or 5 lease lengths, SIGCONT
  partition/...    halves (2 | 3), isolate-leader, bridge (two pairs that only
                   one node connects), one-way (one node's packets to all others
                   dropped, or all others' packets to it), 0.5-3 s, then healed
  badactor/burst   tests/cluster/badactor sends forged, replayed, cross-cluster,
                   unknown-sender and malformed messages to every node; the
                   nodes' rejection counters are scraped before and after

Meanwhile three clients (tests/cluster/kvclient, the client library a
dispatch service links) run put, get, cas and del on a few keys; their
history is checked for linearizability (linearizability.py).

After each heal it waits for one agreed leader (at most 10 s) and watches at
least 2.5 s for a rejoin that disturbs it. Everything the checker needs is
written to a run directory (format: checker.py): the heartbeat stream,
the faults, the nodes' logs, their durable term and vote sampled every
second and right after every kill, and the bad actor's bursts. The
checker's report is printed; exit 0 only if it found no violation and no
node exited on its own or logged a sanitizer error.

Usage:
  nemesis.py BUILD_DIR [--seed S] [--faults N | --duration SECONDS]
             [--nodes 5] [--out RUN_DIR] [--keep] [--kinds kill,stop,...]
BUILD_DIR is the CMake build directory (node/meshnode, node/meshctl and
tests/cluster/badactor under it). Needs root and iproute2; where network
namespaces are unavailable it says why and exits 1 (never a silent pass).
The short suite run: ctest -R cluster_nemesis. The soak: scripts/soak.sh.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402
import netlab   # noqa: E402

FRESH_MS = 300            # a node is heard from if it sent within this
SETTLE_MAX_S = 10.0       # longest wait for one agreed leader after a heal
REJOIN_WATCH_S = 2.5      # at least this long after a heal before the next fault
STOP_MULTIPLES = [0.5, 1, 2, 5]
PARTITIONS = ["halves", "isolate-leader", "bridge", "one-way"]
KINDS = ["kill", "stop", "partition", "badactor"]
CLIENTS = 3               # kvclient processes writing and reading meanwhile
CLIENT_PACE_MS = 20       # mean pause between a client's operations: ~40 ops/s each,
                          # a dispatch-like load that leaves the host's 2 cores room


def mono_ms():
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


class Failure(Exception):
    pass


class Stream:
    """`meshctl watch --json` in the hub: every line to events.jsonl, and
    the latest view per node for the runner's own decisions."""

    def __init__(self, meshctl, cluster_file, path):
        self.out = open(path, "w")
        self.proc = subprocess.Popen([meshctl, "watch", "--cluster", cluster_file, "--json"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lock = threading.Lock()
        self.latest = {}
        self.lines = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.out.write(line)
                self.lines += 1
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                self.latest[event["node"]] = event

    def views(self):
        now = mono_ms()
        with self.lock:
            return {n: e for n, e in self.latest.items() if now - e["recv_mono_ms"] <= FRESH_MS}

    def agreed_leader(self, expect):
        """(leader, term) if every node in expect is fresh, exactly one of
        them leads with a lease, and all follow it in its term; else None."""
        views = self.views()
        if any(n not in views for n in expect):
            return None
        leaders = [v for v in views.values() if v["role"] == "leader" and v.get("lease_ms")]
        if len(leaders) != 1:
            return None
        lead = leaders[0]
        if all(v["leader"] == lead["node"] and v["term"] == lead["term"] for v in views.values()):
            return lead["node"], lead["term"]
        return None

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(timeout=5)
        with self.lock:
            self.out.close()


class Nemesis:
    def __init__(self, build, out, seed, nodes, kinds):
        self.meshnode = os.path.join(build, "node", "meshnode")
        self.meshctl = os.path.join(build, "node", "meshctl")
        self.badactor = os.path.join(build, "tests", "cluster", "badactor")
        self.kvclient = os.path.join(build, "tests", "cluster", "kvclient")
        self.clients = []
        self.kinds = kinds
        needed = [self.meshnode, self.meshctl, self.kvclient] \
               + ([self.badactor] if "badactor" in kinds else [])
        for path in needed:
            if not os.access(path, os.X_OK):
                raise Failure("%s is missing: build first" % path)
        self.out = out
        self.seed = seed
        self.rng = random.Random(seed)
        self.ids = ["n%d" % k for k in range(1, nodes + 1)]
        self.lab = netlab.NetLab(self.ids)
        self.procs = {}           # node -> Popen, while we believe it runs
        self.stopped = set()      # SIGSTOPped nodes
        self.expected_exit = set()
        self.logs = {}
        self.problems = []        # runner-level violations
        self.fault_id = 0
        self.faults = open(os.path.join(out, "faults.jsonl"), "w")
        self.samples = open(os.path.join(out, "state_samples.jsonl"), "w")
        self.bursts = open(os.path.join(out, "badactor.jsonl"), "w")
        self.samples_lock = threading.Lock()
        self.stream = None
        self.sampler = None
        self.sampling = threading.Event()
        self.pending = None       # the last fault, written when the next starts
        self.timing = {"heartbeat_ms": 50, "election_timeout_ms": 250, "lease_ms": 235}

    # -- setup ---------------------------------------------------------------

    def setup(self):
        why = netlab.available()
        if why:
            raise Failure("network namespaces unavailable: %s" % why)
        os.makedirs(os.path.join(self.out, "logs"), exist_ok=True)
        self.dir = os.path.join(self.out, "cluster")
        subprocess.run([self.meshctl, "cluster-init", self.dir, "--nodes", str(len(self.ids)),
                        "--base-port", "7100", "--id", "nemesis", "--clients", str(CLIENTS)],
                       check=True, stdout=subprocess.DEVNULL)
        self.cluster_file = os.path.join(self.dir, "cluster.cfg")
        self._place_members()
        self.lab.setup()
        self.lab.enter_hub()
        self.stream = Stream(self.meshctl, self.cluster_file, os.path.join(self.out, "events.jsonl"))
        self.start_ms = mono_ms()
        for node in self.ids:
            self.start(node)
        self.sampler = threading.Thread(target=self._sample_loop, daemon=True)
        self.sampler.start()
        if not self.wait_agreed(SETTLE_MAX_S):
            raise Failure("no agreed leader within %.0f s of start" % SETTLE_MAX_S)
        self.start_clients()

    def start_clients(self):
        """The workload: CLIENTS kvclients (ops, ops2, ...) until close()."""
        for k in range(1, CLIENTS + 1):
            client = "ops" if k == 1 else "ops%d" % k
            out = open(os.path.join(self.out, "history-%d.jsonl" % k), "w")
            proc = subprocess.Popen([self.kvclient, "--cluster", self.cluster_file, "--as", client,
                                     "--key", os.path.join(self.dir, client + ".secret"),
                                     "--number", str(k), "--keys", "3", "--seed", str(self.seed),
                                     "--duration-ms", str(24 * 3600 * 1000),
                                     "--pace-ms", str(CLIENT_PACE_MS)],
                                    stdout=out, stderr=subprocess.DEVNULL)
            self.clients.append((proc, out))

    def stop_clients(self):
        for proc, _ in self.clients:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, out in self.clients:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()
        self.clients = []
        with open(os.path.join(self.out, "history.jsonl"), "w") as history:
            for k in range(1, CLIENTS + 1):
                path = os.path.join(self.out, "history-%d.jsonl" % k)
                if os.path.exists(path):
                    with open(path) as part:
                        history.write(part.read())

    def _place_members(self):
        """cluster-init writes loopback endpoints; give member K its
        namespace's address instead (ports stay distinct, which is harmless)."""
        with open(self.cluster_file) as f:
            lines = f.read().splitlines()
        member = None
        section = None
        for i, line in enumerate(lines):
            if line and not line.startswith(" "):
                section = line.strip()
                member = None
            elif line.startswith("    ") and not line.startswith("        "):
                member = line.strip() if section == "members" else None
            elif member in self.ids:
                lines[i] = line.replace("127.0.0.1", self.lab.address(member))
        with open(self.cluster_file, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.metrics = {}
        for node in self.ids:
            k = self.ids.index(node) + 1
            port = 7100 + 2 * len(self.ids) + k - 1
            self.metrics[node] = "http://%s:%d/metrics" % (self.lab.address(node), port)

    # -- processes -----------------------------------------------------------

    def start(self, node):
        log = open(os.path.join(self.out, "logs", node + ".log"), "a")
        self.logs[node] = log
        #  No --id: as the systemd unit starts it, the member is found from the key.
        argv = [self.meshnode, "--cluster", self.cluster_file,
                "--key", os.path.join(self.dir, node + ".secret"),
                "--data", os.path.join(self.dir, node)]
        self.procs[node] = subprocess.Popen(self.lab.command(node, argv),
                                            stdout=log, stderr=subprocess.STDOUT)

    def kill(self, node):
        proc = self.procs.pop(node)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        self.logs.pop(node).close()
        self.stopped.discard(node)

    def check_exits(self):
        for node, proc in list(self.procs.items()):
            code = proc.poll()
            if code is not None:
                self.problems.append("%s exited on its own with code %d" % (node, code))
                self.procs.pop(node)
                self.logs.pop(node).close()
                self.start(node)

    def sample_state(self, node, why):
        out = subprocess.run([self.meshctl, "state", "--cluster", self.cluster_file,
                              "--data", os.path.join(self.dir, node)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            self.problems.append("meshctl state %s: %s" % (node, out.stderr.strip()))
            return
        state = json.loads(out.stdout)
        record = {"node": node, "mono_ms": mono_ms(), "term": state["term"],
                  "vote": state["vote"], "incarnation": state["incarnation"], "why": why}
        with self.samples_lock:
            self.samples.write(json.dumps(record) + "\n")

    def _sample_loop(self):
        while not self.sampling.wait(1.0):
            for node in self.ids:
                self.sample_state(node, "periodic")

    # -- observation ---------------------------------------------------------

    def agreed(self):
        return self.stream.agreed_leader(self.ids)

    def wait_agreed(self, limit_s):
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            found = self.agreed()
            if found:
                return found
            self.check_exits()
            time.sleep(0.01)
        return None

    def current_leader(self):
        """The leader a majority of fresh nodes names, if any (for targeting)."""
        views = self.stream.views()
        counts = {}
        for v in views.values():
            if v["leader"]:
                counts[v["leader"]] = counts.get(v["leader"], 0) + 1
        best = max(counts.items(), key=lambda kv: kv[1], default=(None, 0))
        return best[0] if best[1] * 2 > len(self.ids) else None

    def scrape(self, node):
        with urllib.request.urlopen(self.metrics[node], timeout=5) as reply:
            values = {}
            for line in reply.read().decode().splitlines():
                if line.startswith("meshnode_messages_rejected_total{"):
                    name, value = line.rsplit(" ", 1)
                    reason = name.split('reason="', 1)[1].split('"', 1)[0]
                    values[reason] = int(float(value))
            return values

    # -- faults --------------------------------------------------------------

    def begin(self, kind, variant, targets):
        self.fault_id += 1
        now = mono_ms()
        if self.pending:
            self.pending["settled_by_mono_ms"] = now
            self.faults.write(json.dumps(self.pending) + "\n")
            self.faults.flush()
        self.pending = {"id": self.fault_id, "kind": kind, "variant": variant,
                        "targets": sorted(targets), "start_mono_ms": now, "heal_mono_ms": None,
                        "settled_by_mono_ms": None}
        print("  fault %d: %s/%s %s" % (self.fault_id, kind, variant, ",".join(sorted(targets))),
              flush=True)

    def healed(self):
        self.pending["heal_mono_ms"] = mono_ms()

    def settle(self):
        heal = self.pending["heal_mono_ms"]
        found = self.wait_agreed(SETTLE_MAX_S)
        if not found:
            print("    no agreed leader %.0f s after the heal" % SETTLE_MAX_S, flush=True)
        rest = heal / 1000.0 + REJOIN_WATCH_S + self.rng.uniform(0, 0.5) - mono_ms() / 1000.0
        if rest > 0:
            time.sleep(rest)
        self.check_exits()

    def fault_kill(self):
        leader = self.current_leader()
        node = leader if leader and self.rng.random() < 0.5 else self.rng.choice(self.ids)
        self.begin("kill", "restart", [node])
        self.kill(node)
        self.sample_state(node, "kill")
        time.sleep(self.rng.uniform(0.2, 2.0))
        self.start(node)
        self.healed()

    def fault_stop(self, multiple):
        node = self.current_leader() or self.rng.choice(self.ids)
        self.begin("stop", "%gx" % multiple, [node])
        proc = self.procs[node]
        proc.send_signal(signal.SIGSTOP)
        self.stopped.add(node)
        time.sleep(multiple * self.timing["lease_ms"] / 1000.0)
        proc.send_signal(signal.SIGCONT)
        self.stopped.discard(node)
        self.healed()

    def fault_partition(self, variant):
        ids = list(self.ids)
        self.rng.shuffle(ids)
        leader = self.current_leader()
        cut = set()
        if variant == "halves":
            small, big = ids[:len(ids) // 2], ids[len(ids) // 2:]
            cut = {(a, b) for a in small for b in big} | {(b, a) for a in small for b in big}
            targets = small
        elif variant == "isolate-leader":
            node = leader or ids[0]
            others = [n for n in ids if n != node]
            cut = {(node, b) for b in others} | {(b, node) for b in others}
            targets = [node]
        elif variant == "bridge":
            # One node (not the leader, when there is one) reaches everybody;
            # the others form two groups that cannot reach each other.
            bridge = next(n for n in ids if n != leader)
            rest = [n for n in ids if n != bridge]
            left, right = rest[:len(rest) // 2], rest[len(rest) // 2:]
            cut = {(a, b) for a in left for b in right} | {(b, a) for a in left for b in right}
            targets = right if leader in left else left
        else:   # one-way
            node = leader if leader and self.rng.random() < 0.5 else ids[0]
            others = [n for n in ids if n != node]
            if self.rng.random() < 0.5:
                cut = {(node, b) for b in others}
                variant = "one-way-out"
            else:
                cut = {(b, node) for b in others}
                variant = "one-way-in"
            targets = [node]
        self.begin("partition", variant, targets)
        self.lab.block(cut)
        time.sleep(self.rng.uniform(0.5, 3.0))
        self.lab.heal()
        self.healed()

    def fault_badactor(self):
        targets = sorted(n for n in self.procs if n not in self.stopped)
        self.begin("badactor", "burst", targets)
        before = {n: self.scrape(n) for n in targets}
        argv = [self.badactor, "--cluster", self.cluster_file, "--member-key",
                os.path.join(self.dir, self.ids[0] + ".secret"), "--count", "10"]
        for n in targets:
            argv += ["--target", n]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            self.problems.append("badactor failed (%d): %s" % (out.returncode, out.stderr.strip()))
            self.healed()
            return
        sent = json.loads(out.stdout)
        # The nodes count what was delivered when their loops read it, which
        # on a loaded host can lag the bad actor's exit: scrape until every
        # target's rejections cover what it was sent, or 10 s have passed
        # (then the checker sees the shortfall and reports it).
        deadline = time.monotonic() + 10.0
        while True:
            after = {n: self.scrape(n) for n in targets}
            short = [n for n in targets
                     if sum(after[n].get(r, 0) - before[n].get(r, 0) for r in after[n])
                     < sum(sent["targets"].get(n, {}).values())]
            if not short or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        delta = {n: {r: after[n].get(r, 0) - before[n].get(r, 0) for r in after[n]} for n in targets}
        record = {"fault_id": self.fault_id, "targets": sent["targets"], "reasons": sent["reasons"],
                  "rejected_delta": delta}
        self.bursts.write(json.dumps(record) + "\n")
        self.bursts.flush()
        self.healed()

    def schedule(self, count):
        """At least one of every kind and variant, the rest drawn at random."""
        plan = [("stop", m) for m in STOP_MULTIPLES] + [("partition", p) for p in PARTITIONS]
        plan += [("kill", None)] * 4 + [("badactor", None)] * 2
        plan = [f for f in plan if f[0] in self.kinds]
        while len(plan) < count:
            plan.append(self.draw())
        self.rng.shuffle(plan)
        return plan

    def draw(self):
        weights = {"kill": 30, "stop": 25, "partition": 38, "badactor": 7}
        kinds = [k for k in KINDS if k in self.kinds]
        kind = self.rng.choices(kinds, [weights[k] for k in kinds])[0]
        if kind == "stop":
            return (kind, self.rng.choice(STOP_MULTIPLES))
        if kind == "partition":
            return (kind, self.rng.choice(PARTITIONS))
        return (kind, None)

    def inject(self, fault):
        kind, arg = fault
        if kind == "kill":
            self.fault_kill()
        elif kind == "stop":
            self.fault_stop(arg)
        elif kind == "partition":
            self.fault_partition(arg)
        else:
            self.fault_badactor()
        self.settle()

    def run(self, count, duration):
        if duration:
            deadline = time.monotonic() + duration
            while time.monotonic() < deadline:
                self.inject(self.draw())
        else:
            for fault in self.schedule(count):
                self.inject(fault)

    # -- teardown --------------------------------------------------------------

    def close(self):
        self.stop_clients()
        self.sampling.set()
        if self.sampler:
            self.sampler.join(timeout=10)
        for node in list(self.procs):
            proc = self.procs[node]
            if node in self.stopped:
                proc.send_signal(signal.SIGCONT)
            if proc.poll() is not None and node not in self.expected_exit:
                self.problems.append("%s exited on its own with code %d" % (node, proc.returncode))
            self.kill(node)
        if self.stream:
            for node in self.ids:
                self.sample_state(node, "end")
        end = mono_ms()
        if self.pending:
            self.pending["settled_by_mono_ms"] = end
            self.faults.write(json.dumps(self.pending) + "\n")
        for f in (self.faults, self.samples, self.bursts):
            f.close()
        if self.stream:
            self.stream.close()
        self.lab.teardown()
        meta = {"nodes": self.ids, "seed": self.seed, "start_mono_ms": getattr(self, "start_ms", end),
                "end_mono_ms": end}
        meta.update(self.timing)
        with open(os.path.join(self.out, "meta.json"), "w") as f:
            json.dump(meta, f)
        for node in self.ids:
            path = os.path.join(self.out, "logs", node + ".log")
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text = f.read()
                for marker in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"):
                    if marker in text:
                        self.problems.append("%s's log has a sanitizer report (%s)" % (node, marker))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", type=int, default=32)
    parser.add_argument("--duration", type=float, default=0, help="seconds; overrides --faults")
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--out", help="run directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory on success")
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help="fault kinds to inject (default: all of %s)" % ",".join(KINDS))
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if not kinds or any(k not in KINDS for k in kinds):
        parser.error("--kinds: a comma-separated subset of %s" % ",".join(KINDS))
    if args.nodes < 3 or args.nodes > 9:
        parser.error("--nodes must be 3..9")
    out = args.out or tempfile.mkdtemp(prefix="nemesis-")
    os.makedirs(out, exist_ok=True)
    # ctest's timeout sends SIGTERM: tear down (processes by PID, namespaces)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))
    print("nemesis: seed %d, %s, %d nodes, run directory %s" % (
        args.seed, "%.0f s" % args.duration if args.duration else "%d faults" % args.faults,
        args.nodes, out), flush=True)
    started = time.monotonic()
    nemesis = None
    failure = None
    try:
        nemesis = Nemesis(os.path.abspath(args.build), out, args.seed, args.nodes, kinds)
        nemesis.setup()
        nemesis.run(args.faults, args.duration)
    except Failure as e:
        failure = str(e)
    finally:
        if nemesis:         # also on SIGTERM and ^C: every PID, every namespace
            nemesis.close()
    if failure:
        print("nemesis: FAIL: %s" % failure, flush=True)
        print("run directory: %s" % out)
        return 1
    report = checker.check(out)
    print(checker.format_report(report))
    for problem in nemesis.problems:
        print("VIOLATION (runner): %s" % problem)
    ok = report["ok"] and not nemesis.problems
    print("nemesis: %s in %.0f s, seed %d" % ("PASS" if ok else "FAIL", time.monotonic() - started,
                                             args.seed))
    if ok and not args.keep and not args.out:
        shutil.rmtree(out, ignore_errors=True)
    else:
        print("run directory: %s" % out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
