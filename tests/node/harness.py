"""Harness for tests that run real meshnode processes on this host.

A LocalCluster creates a cluster with `meshctl cluster-init` on loopback
ports (a range fixed per test, checked free before use), starts and stops
meshnode processes by PID, and watches the signed heartbeat stream through
`meshctl watch --json` in a background thread. Every process it starts is
ended by its PID when the cluster is closed, whatever happened.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def mono_ms():
    """CLOCK_MONOTONIC in ms: the clock meshctl stamps recv_mono_ms with."""
    return time.clock_gettime(time.CLOCK_MONOTONIC) * 1000.0


class TestFailure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise TestFailure(message)


def ports_free(base, count):
    for port in range(base, base + count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


class Watcher:
    """Runs `meshctl watch --json` and keeps every verified heartbeat."""

    def __init__(self, meshctl, cluster_file):
        self.proc = subprocess.Popen(
            [meshctl, "watch", "--cluster", cluster_file, "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.lock = threading.Lock()
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self.lock:
                self.events.append(event)

    def since(self, t_ms):
        with self.lock:
            return [e for e in self.events if e["recv_mono_ms"] >= t_ms]

    def latest(self, fresh_ms=300):
        """Latest heartbeat per node among those heard within fresh_ms."""
        now = mono_ms()
        views = {}
        with self.lock:
            for e in reversed(self.events):
                if now - e["recv_mono_ms"] > fresh_ms:
                    break
                views.setdefault(e["node"], e)
        return views

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class LocalCluster:
    def __init__(self, bindir, nodes, base_port, weights=None, name="test", clients=None):
        self.bindir = bindir
        self.meshnode = os.path.join(bindir, "meshnode")
        self.meshctl = os.path.join(bindir, "meshctl")
        self.nodes = nodes
        self.base_port = base_port
        self.dir = tempfile.mkdtemp(prefix="meshtest-%s-" % name)
        self.procs = {}
        self.logs = {}
        self.watcher = None
        if not ports_free(base_port, 3 * nodes):
            raise TestFailure("ports %d..%d are in use; cannot run" % (base_port, base_port + 3 * nodes))
        cmd = [self.meshctl, "cluster-init", self.dir, "--nodes", str(nodes),
               "--base-port", str(base_port), "--id", name]
        if weights:
            cmd += ["--weights", ",".join(str(w) for w in weights)]
        if clients is not None:                 # ops, ops2.. opsN (cluster-init's default: 1)
            cmd += ["--clients", str(clients)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        self.cluster_file = os.path.join(self.dir, "cluster.cfg")
        self.timing = {"heartbeat_ms": 50, "election_timeout_ms": 250, "lease_ms": 235}
        self.node_args = []                     # extra meshnode flags for every start

    def ids(self):
        return ["n%d" % k for k in range(1, self.nodes + 1)]

    def start(self, node):
        check(node not in self.procs, "%s already running" % node)
        log = open(os.path.join(self.dir, node + ".log"), "a")
        self.logs[node] = log
        self.procs[node] = subprocess.Popen(
            [self.meshnode, "--cluster", self.cluster_file, "--id", node,
             "--key", os.path.join(self.dir, node + ".secret"),
             "--data", os.path.join(self.dir, node)] + self.node_args,
            stdout=log, stderr=subprocess.STDOUT)

    def start_all(self):
        for node in self.ids():
            self.start(node)

    def watch(self):
        self.watcher = Watcher(self.meshctl, self.cluster_file)
        return self.watcher

    def kill(self, node, sig=signal.SIGKILL):
        proc = self.procs.pop(node)
        proc.send_signal(sig)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        self.logs.pop(node).close()
        return code

    def alive(self):
        return [n for n, p in self.procs.items() if p.poll() is None]

    def leader(self, fresh_ms=300):
        """(node, term) if exactly one fresh node claims leadership with a
        lease left, every fresh node follows it, else None."""
        views = self.watcher.latest(fresh_ms)
        leaders = [v for v in views.values() if v["role"] == "leader" and (v["lease_ms"] or 0) > 0]
        if len(leaders) != 1:
            return None
        lead = leaders[0]
        for v in views.values():
            if v["leader"] != lead["node"] or v["term"] != lead["term"]:
                return None
        return lead["node"], lead["term"]

    def wait_leader(self, timeout_ms, expect_nodes=None, exclude=None):
        start = mono_ms()
        while mono_ms() - start < timeout_ms:
            found = self.leader()
            if found and found[0] != exclude:
                if expect_nodes is None or len(self.watcher.latest()) >= expect_nodes:
                    return found, mono_ms() - start
            time.sleep(0.005)
        return None, mono_ms() - start

    def status(self, timeout_ms=1500):
        out = subprocess.run([self.meshctl, "status", "--cluster", self.cluster_file, "--json",
                              "--timeout-ms", str(timeout_ms)], capture_output=True, text=True)
        return out.returncode, json.loads(out.stdout) if out.stdout.strip() else None

    def close(self):
        for node in list(self.procs):
            proc = self.procs.pop(node)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.logs.pop(node).close()
        if self.watcher:
            self.watcher.close()
        if os.environ.get("KEEP_TEST_DIRS"):
            print("kept", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def run(test, *args, **kwargs):
    """Run one test function with a LocalCluster argument; print and exit."""
    bindir = sys.argv[1]
    cluster = None
    try:
        cluster = LocalCluster(bindir, *args, **kwargs)
        test(cluster)
        print("PASS %s" % test.__name__)
        code = 0
    except TestFailure as e:
        print("FAIL %s: %s" % (test.__name__, e))
        if cluster:
            for node in cluster.ids():
                path = os.path.join(cluster.dir, node + ".log")
                if os.path.exists(path):
                    print("--- %s log (tail)" % node)
                    with open(path) as f:
                        print("".join(f.readlines()[-15:]))
        code = 1
    finally:
        if cluster:
            cluster.close()
    sys.exit(code)
