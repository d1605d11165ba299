"""5 nodes: one leader within 2 s of start, all agree, and zero leader
changes in a fault-free 30 s."""
import time
import urllib.request
from harness import run, check, mono_ms

METRICS = ["term", "is_leader", "has_leader", "lease_remaining_seconds", "leader_changes_total",
           "elections_total", "prevotes_total", "messages_rejected_total", "heartbeats_sent_total",
           "beacons_sent_total", "heartbeats_received_total", "peers_connected", "storm_alarm"]


def scrape(c, k):
    """GET /metrics of node nK (cluster-init puts it on base + 2N + K - 1)."""
    port = c.base_port + 2 * c.nodes + k - 1
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as reply:
        check(reply.status == 200, "metrics status %d" % reply.status)
        values = {}
        for line in reply.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values


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
    leader_k = int(found[0][1:])
    for k in range(1, 6):
        values = scrape(c, k)
        node = 'node="n%d"' % k
        for name in METRICS:
            check(any(key.startswith("meshnode_%s{" % name) for key in values),
                  "n%d lacks meshnode_%s" % (k, name))
        check(values["meshnode_term{%s}" % node] == found[1], "n%d metrics term" % k)
        check(values["meshnode_is_leader{%s}" % node] == (1 if k == leader_k else 0), "n%d is_leader" % k)
        check(values["meshnode_has_leader{%s}" % node] == 1, "n%d has_leader" % k)
        check(values["meshnode_peers_connected{%s}" % node] == 4, "n%d peers_connected" % k)
        # Consensus hears the leader only: followers verify its ~20 heartbeats a second
        # and publish beacons; the leader hears no heartbeats and publishes no beacons
        # once it leads (a few from before its election).
        if k == leader_k:
            check(values["meshnode_heartbeats_sent_total{%s}" % node] > 20 * 25,
                  "leader n%d sent too few heartbeats" % k)
            check(values["meshnode_beacons_sent_total{%s}" % node] < 20,
                  "leader n%d sent beacons while leading" % k)
        else:
            check(values["meshnode_heartbeats_received_total{%s}" % node] > 20 * 25,
                  "n%d received too few heartbeats" % k)
            check(values["meshnode_beacons_sent_total{%s}" % node] > 20 * 25,
                  "n%d sent too few beacons" % k)
        check(values['meshnode_messages_rejected_total{%s,reason="bad-signature"}' % node] == 0,
              "n%d rejected messages in a clean run" % k)
        check(values["meshnode_storm_alarm{%s}" % node] == 0, "n%d storm alarm" % k)
    print("metrics: all 13 required series on all 5 nodes; leader n%d is_leader 1, 4 peers each"
          % leader_k)


run(test_start_stable, 5, 21000, name="stable")
