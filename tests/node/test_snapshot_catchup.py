"""A member that falls far behind catches up from a snapshot: three nodes
that snapshot every 20 applied entries; a follower is killed, 300 writes
of 250 bytes go in (the leader's log is compacted past everything the
follower has; the snapshot is larger than one 60 KiB chunk), the follower
restarts and must install the leader's snapshot (sent in chunks), apply
up to the leader's commit index, and then hold the same map: it is made
leader (transfer) and every write is read back from it."""
import json
import os
import signal
import subprocess
import time
import urllib.request
from harness import run, check, mono_ms

WRITES = 300


def value(i):
    """250 bytes each: 300 of them make a snapshot of more than one 60 KiB chunk."""
    return ("%d-" % i).ljust(250, "x")


def metrics(c, node):
    k = int(node[1:])
    port = c.base_port + 2 * c.nodes + k - 1
    values = {}
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as reply:
        for line in reply.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name.split("{")[0]] = float(value)
    return values


def meshctl(c, *args, timeout=20):
    cmd = [c.meshctl] + list(args[:1]) + ["--cluster", c.cluster_file, "--as", "ops",
                                          "--key", os.path.join(c.dir, "ops.secret"), "--json"] \
        + list(args[1:])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return out.returncode, json.loads(out.stdout) if out.stdout.strip() else None


def test_snapshot_catchup(c):
    c.node_args = ["--compact-every", "20"]
    c.watch()
    c.start_all()
    found, _ = c.wait_leader(5000, expect_nodes=3)
    check(found, "no leader at start")
    leader = found[0]
    lagging = next(n for n in c.ids() if n != leader)
    c.kill(lagging)
    started = mono_ms()
    for i in range(WRITES):
        code, answer = meshctl(c, "put", "capacity/h%03d/beds" % i, value(i), "--via", leader)
        check(code == 0 and answer["outcome"] == "ok", "put %d: %s" % (i, answer))
    print("%d writes in %.0f ms with %s down" % (WRITES, mono_ms() - started, lagging))
    lead = metrics(c, leader)
    check(lead["meshnode_snapshot_index"] >= WRITES - 40,
          "the leader compacted only through %d" % lead["meshnode_snapshot_index"])
    c.start(lagging)
    deadline = mono_ms() + 15000
    caught = False
    while mono_ms() < deadline and not caught:
        time.sleep(0.2)
        try:
            lag = metrics(c, lagging)
            lead = metrics(c, leader)
        except OSError:
            continue
        caught = lag["meshnode_applied_index"] >= lead["meshnode_commit_index"] > 0
    check(caught, "%s did not catch up within 15 s: applied %s, leader's commit %s"
          % (lagging, lag.get("meshnode_applied_index"), lead.get("meshnode_commit_index")))
    check(lag["meshnode_snapshot_index"] > 0, "%s caught up without a snapshot" % lagging)
    with open(os.path.join(c.dir, lagging + ".log")) as f:
        text = f.read()
    check("installed the leader's snapshot" in text, "no snapshot install in %s's log" % lagging)
    print("%s caught up through a snapshot at %d; applied %d = leader's commit"
          % (lagging, lag["meshnode_snapshot_index"], lag["meshnode_applied_index"]))
    # Make it the leader and read everything back from it
    out = subprocess.run([c.meshctl, "transfer", "--cluster", c.cluster_file, "--to", lagging,
                          "--as", "ops", "--key", os.path.join(c.dir, "ops.secret")],
                         capture_output=True, text=True, timeout=20)
    check(out.returncode == 0, "transfer to %s: %s %s" % (lagging, out.stdout, out.stderr))
    for i in range(WRITES):
        code, answer = meshctl(c, "get", "capacity/h%03d/beds" % i, "--via", lagging)
        check(code == 0 and answer["value"] == value(i) and answer["answered_by"] == lagging,
              "get %d from %s: %s" % (i, lagging, answer))
    print("all %d writes read back from %s, now leader" % (WRITES, lagging))


run(test_snapshot_catchup, 3, 22100, name="catchup")
