"""A killed node restarted with its data dir rejoins as a follower without
raising anyone's term; the same for the leader itself."""
import os
import time
from harness import run, check, mono_ms


def test_restart(c):
    c.watch()
    c.start_all()
    found, _ = c.wait_leader(3000, expect_nodes=5)
    check(found, "no leader at start")
    leader, term = found
    follower = "n1" if leader != "n1" else "n2"
    time.sleep(1.5)     # past one save of the replay marks
    c.kill(follower)
    # The receive path's replay marks were saved (each second) before the
    # kill, for every sender it heard: the leader, and whoever asked for its
    # vote (members do not subscribe to each other's beacons). Layout:
    # 16-byte header (count at byte 12), 81 bytes per entry (id length, id,
    # incarnation, seq), checksum.
    marks = os.path.join(c.dir, follower, "replay")
    check(os.path.exists(marks), "no replay marks saved in %s" % marks)
    data = open(marks, "rb").read()
    count = data[12]
    check(data[:8] == b"IMSHMARK" and 1 <= count <= 4 and len(data) == 16 + 81 * count + 16,
          "malformed replay marks file (%d bytes)" % len(data))
    ids = [data[16 + 81 * i + 1:16 + 81 * i + 1 + data[16 + 81 * i]].decode() for i in range(count)]
    check(leader in ids, "no replay mark for the leader %s: %s" % (leader, ids))
    time.sleep(1)
    restarted = mono_ms()
    c.start(follower)
    time.sleep(3)
    events = c.watcher.since(restarted)
    mine = [e for e in events if e["node"] == follower]
    check(mine, "%s not heard after restart" % follower)
    check(mine[-1]["role"] == "follower" and mine[-1]["leader"] == leader,
          "%s did not rejoin as follower of %s: %s" % (follower, leader, mine[-1]))
    check(mine[-1]["incarnation"] == 2, "incarnation should be 2 after one restart")
    terms = {e["term"] for e in events}
    check(terms == {term}, "terms after restart: %s (expected only %d)" % (sorted(terms), term))
    log = open(os.path.join(c.dir, follower + ".log")).read()
    check("empty replay windows" not in log, "the replay marks were not restored")
    print("%s restarted: follower of %s, incarnation %d, terms seen %s"
          % (follower, leader, mine[-1]["incarnation"], sorted(terms)))
    code, status = c.status()
    check(code == 0 and status["leader"] == leader and status["term"] == term, "status: %s" % status)


run(test_restart, 5, 21300, name="restart")
