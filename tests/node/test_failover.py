"""kill -9 of the leader: a new leader within the election timeout plus a
few heartbeats; with 3 of 5 alive there is a leader; with 2 of 5 no lease
is valid after lease_ms and nobody claims leadership."""
import time
from harness import run, check, mono_ms


def test_failover(c):
    t = c.timing
    c.watch()
    c.start_all()
    found, _ = c.wait_leader(3000, expect_nodes=5)
    check(found, "no leader at start")
    time.sleep(1)
    # The bound the protocol gives: followers time out within 2 T of the
    # last heartbeat, then PreVote, vote and one acknowledged round. The
    # check is looser for a loaded machine; the measured time is printed.
    for round in (1, 2):
        old = found[0]
        c.kill(old)
        found, took = c.wait_leader(5000, exclude=old)
        check(found, "no new leader after killing %s (%d alive)" % (old, len(c.alive())))
        print("kill -9 %s: %s leads term %d after %.0f ms with %d of 5 alive (bound 2T + 4 hb = %d ms)"
              % (old, found[0], found[1], took, len(c.alive()),
                 2 * t["election_timeout_ms"] + 4 * t["heartbeat_ms"]))
        check(took < 2 * t["election_timeout_ms"] + 4 * t["heartbeat_ms"] + 1500,
              "failover took %.0f ms" % took)
        time.sleep(0.5)
    check(len(c.alive()) == 3, "expected 3 alive")
    old = found[0]
    c.kill(old)
    killed_at = mono_ms()
    time.sleep((t["lease_ms"] + 50) / 1000.0)
    time.sleep(3)
    after = [e for e in c.watcher.since(killed_at + t["lease_ms"] + 50)]
    claims = [e for e in after if e["role"] == "leader"]
    leases = [e for e in after if (e["lease_ms"] or 0) > 0]
    print("2 of 5 alive for 3 s: %d heartbeats, %d leader claims, %d with a lease"
          % (len(after), len(claims), len(leases)))
    check(len(after) > 20, "survivors stopped publishing")
    check(not claims, "a minority claims leadership: %s" % claims[:2])
    check(not leases, "a minority holds a lease")
    code, status = c.status()
    check(code == 1 and status["leader"] is None, "status should say no leader: %s %s" % (code, status))


run(test_failover, 5, 21100, name="failover")
