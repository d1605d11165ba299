"""5 nodes: one leader within 2 s of start, all agree, and zero leader
changes in a fault-free 30 s."""
import time
from harness import run, check, mono_ms


def test_start_stable(c):
    c.watch()
    start = mono_ms()
    c.start_all()
    found, took = c.wait_leader(2000, expect_nodes=5)
    check(found, "no agreed leader within 2 s of start")
    elected_at = mono_ms()
    print("leader %s term %d, agreed by all 5, %.0f ms after start" % (found[0], found[1], took))
    time.sleep(30)
    events = c.watcher.since(elected_at)
    claims = {(e["term"], e["node"]) for e in events if e["role"] == "leader"}
    terms = {e["term"] for e in events}
    print("30 s: %d heartbeats, leader claims %s, terms %s" % (len(events), sorted(claims), sorted(terms)))
    check(claims == {(found[1], found[0])}, "leadership changed: %s" % sorted(claims))
    check(terms == {found[1]}, "terms changed: %s" % sorted(terms))
    check(len({e["node"] for e in events}) == 5, "not every node kept publishing")
    code, status = c.status()
    check(code == 0 and status["leader"] == found[0], "status disagrees: %s" % status)


run(test_start_stable, 5, 21000, name="stable")
