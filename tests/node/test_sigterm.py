"""SIGTERM of the leader: it hands over, exits 0, and the cluster sees
exactly one leader change with a gap under two heartbeat intervals."""
import signal
import time
from harness import run, check, mono_ms


def test_sigterm(c):
    hb = c.timing["heartbeat_ms"]
    c.watch()
    c.start_all()
    found, _ = c.wait_leader(3000, expect_nodes=5)
    check(found, "no leader at start")
    time.sleep(1)
    old, term = found
    before = mono_ms()
    code = c.kill(old, signal.SIGTERM)
    check(code == 0, "leader exited %d on SIGTERM" % code)
    new, took = c.wait_leader(3000, exclude=old)
    check(new, "no leader after the handover")
    time.sleep(2)
    events = c.watcher.since(before - 500)
    claims = sorted({(e["term"], e["node"]) for e in events if e["role"] == "leader"})
    check(claims == [(term, old), (new[1], new[0])],
          "expected exactly one change %s -> %s, saw %s" % (old, new[0], claims))
    last_old = max(e["recv_mono_ms"] for e in events if e["node"] == old and e["role"] == "leader")
    first_new = min(e["recv_mono_ms"] for e in events if e["node"] == new[0] and e["role"] == "leader")
    gap = max(0.0, first_new - last_old)
    last_old_lease = max([e["recv_mono_ms"] for e in events
                          if e["node"] == old and (e["lease_ms"] or 0) > 0] or [before])
    first_new_lease = min(e["recv_mono_ms"] for e in events
                          if e["node"] == new[0] and (e["lease_ms"] or 0) > 0)
    print("SIGTERM %s: %s leads term %d; leaderless gap %.1f ms (limit %d), lease gap %.1f ms, "
          "exit code 0" % (old, new[0], new[1], gap, 2 * hb, first_new_lease - last_old_lease))
    check(new[1] == term + 1, "the handover took more than one term")
    check(gap < 2 * hb, "gap %.1f ms is not under two heartbeat intervals" % gap)
    follower = [n for n in c.alive() if n != new[0]][0]
    check(c.kill(follower, signal.SIGTERM) == 0, "follower did not exit 0 on SIGTERM")


run(test_sigterm, 5, 21400, name="sigterm")
