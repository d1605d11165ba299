"""Weights 3,1,1,1,1: losing the weight-3 node leaves a leader; losing it
and one more leaves none."""
import time
from harness import run, check, mono_ms


def test_weights(c):
    c.watch()
    c.start_all()
    found, _ = c.wait_leader(3000, expect_nodes=5)
    check(found, "no leader at start")
    c.kill("n1")
    found, took = c.wait_leader(5000, exclude="n1")
    check(found, "no leader without the weight-3 node (4 of 7 remain)")
    print("without n1 (weight 3): %s leads term %d after %.0f ms" % (found[0], found[1], took))
    other = "n2" if found[0] != "n2" else "n3"
    c.kill(other)
    gone_at = mono_ms()
    time.sleep(3)
    after = c.watcher.since(gone_at + c.timing["election_timeout_ms"] + 50)
    claims = [e for e in after if e["role"] == "leader"]
    leases = [e for e in after if (e["lease_ms"] or 0) > 0]
    print("without n1 and %s (3 of 7): %d heartbeats, %d leader claims, %d leases"
          % (other, len(after), len(claims), len(leases)))
    check(len(after) > 20, "survivors stopped publishing")
    check(not claims and not leases, "3 of 7 weight must not lead")


run(test_weights, 5, 21200, weights=[3, 1, 1, 1, 1], name="weights")
