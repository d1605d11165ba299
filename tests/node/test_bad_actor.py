"""3 nodes under attack at their rpc (ROUTER) endpoints by tests/cluster/badactor:
forged, unknown-sender, cross-cluster, replayed, reflected, garbage-body and
malformed messages, 20 of each per node. Every one is rejected and counted
under the reason its category must produce, the rejection counters grow by
exactly what was sent (so none was accepted), and leader and term stay as
they were. Bad flags: a message, exit 2, and nothing sent."""
import json
import os
import subprocess
import time
import urllib.request
from harness import run, check, mono_ms

COUNT = 20
CAPTURE_MS = 1500       # ~30 leader heartbeats: a distinct one for each replay
BADACTOR_TIMEOUT_S = 60


def metrics_addresses(cluster_file):
    """{member id: "host:port"} from the members section of the cluster file."""
    addresses, section, member = {}, None, None
    for line in open(cluster_file):
        text = line.split("#", 1)[0].rstrip()
        if not text:
            continue
        depth = (len(text) - len(text.lstrip())) // 4
        text = text.strip()
        if depth == 0:
            section = text
        elif depth == 1 and section == "members":
            member = text
        elif depth == 2 and section == "members" and text.startswith("metrics"):
            addresses[member] = text.split("=", 1)[1].strip().strip('"')
    return addresses


def scrape(address):
    with urllib.request.urlopen("http://%s/metrics" % address, timeout=5) as reply:
        check(reply.status == 200, "metrics status %d" % reply.status)
        values = {}
        for line in reply.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values


def rejected(values, node):
    """{reason: count} of node's rejection counters."""
    prefix = 'meshnode_messages_rejected_total{node="%s",reason="' % node
    return {key[len(prefix):-2]: v for key, v in values.items() if key.startswith(prefix)}


def scrape_all(addresses):
    return {node: scrape(address) for node, address in addresses.items()}


def badactor(path, args):
    """Run badactor; end it by its PID if it overruns. (exit code, stdout, stderr)."""
    proc = subprocess.Popen([path] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=BADACTOR_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        check(False, "badactor did not finish within %d s: %s" % (BADACTOR_TIMEOUT_S, err))
    return proc.returncode, out, err


def groups(reasons):
    """Categories joined when their reason sets share a reason (forged and
    garbage-body both give bad-signature; unknown-sender and reflected both
    unknown-sender): [(categories, reasons)], the reason sets disjoint."""
    merged = []
    for category, rs in reasons.items():
        cats, rs = {category}, set(rs)
        for g in [g for g in merged if g[1] & rs]:
            merged.remove(g)
            cats |= g[0]
            rs |= g[1]
        merged.append((cats, rs))
    return merged


def test_bad_actor(c):
    path = os.path.normpath(os.path.join(c.bindir, "..", "tests", "cluster", "badactor"))
    check(os.access(path, os.X_OK), "no badactor at %s" % path)
    addresses = metrics_addresses(c.cluster_file)
    check(sorted(addresses) == c.ids(), "metrics addresses %s" % addresses)
    key = os.path.join(c.dir, "n2.secret")
    c.watch()
    c.start_all()
    found, took = c.wait_leader(3000, expect_nodes=3)
    check(found, "no agreed leader within 3 s of start")
    leader, term = found
    print("leader %s term %d, %.0f ms after start" % (leader, term, took))
    time.sleep(1)   # past the election's own traffic

    before = scrape_all(addresses)

    # Bad flags: a clear message, exit 2, nothing sent.
    base = ["--cluster", c.cluster_file, "--member-key", key]
    for args, expect in [(base + ["--target", "n9"], "--target n9: not a member"),
                         (base + ["--target", "n1", "--count", "0"], "--count must be 1..1000"),
                         (["--cluster", c.cluster_file, "--target", "n1"], "--member-key FILE is required")]:
        code, out, err = badactor(path, args)
        check(code == 2, "badactor %s: exit %d, expected 2" % (" ".join(args[4:]), code))
        check(expect in err, "badactor: %r lacks %r" % (err.strip(), expect))
        check(out == "", "badactor wrote %r to stdout on bad flags" % out)
        print("ok  bad flags -> %s" % err.strip().splitlines()[0])
    after_flags = scrape_all(addresses)
    for node in c.ids():
        check(sum(rejected(after_flags[node], node).values()) == sum(rejected(before[node], node).values()),
              "%s counted rejections after badactor was refused its flags" % node)

    attack_start = mono_ms()
    args = base + ["--count", str(COUNT), "--capture-ms", str(CAPTURE_MS)]
    for node in c.ids():
        args += ["--target", node]
    code, out, err = badactor(path, args)
    check(code == 0, "badactor exit %d: %s" % (code, err))
    report = json.loads(out)
    for line in err.strip().splitlines():
        print(line)
    sent, reasons = report["targets"], report["reasons"]
    check(report["captured"] > 0, "nothing captured")
    check(sorted(sent) == c.ids(), "targets %s" % sorted(sent))
    for node in c.ids():
        check(set(sent[node]) == set(reasons), "%s: categories %s" % (node, sorted(sent[node])))
        for category, n in sent[node].items():
            # A leader hears no other member's heartbeat, so nothing captured is a
            # replay to it; a follower has heard every one of the leader's.
            want = 0 if (category == "replayed" and node == leader) else COUNT
            check(n == want, "%s: %s: %d sent, expected %d" % (node, category, n, want))
    total_sent = {node: sum(sent[node].values()) for node in c.ids()}

    # The nodes count what they have read; wait until every bad message is in.
    deadline = mono_ms() + 10000
    while True:
        now = scrape_all(addresses)
        delta = {node: {r: v - rejected(after_flags[node], node).get(r, 0)
                        for r, v in rejected(now[node], node).items()} for node in c.ids()}
        if all(sum(delta[n].values()) >= total_sent[n] for n in c.ids()) or mono_ms() > deadline:
            break
        time.sleep(0.2)

    for node in c.ids():
        d = delta[node]
        print("%s%s: sent %d, rejected %d: %s" % (
            node, " (leader)" if node == leader else "", total_sent[node], sum(d.values()),
            ", ".join("%s %d" % (r, v) for r, v in sorted(d.items()) if v)))
        for category, rs in reasons.items():
            check(sum(d.get(r, 0) for r in rs) >= sent[node][category],
                  "%s: %s: %d sent, only %d rejected as %s" % (
                      node, category, sent[node][category], sum(d.get(r, 0) for r in rs), rs))
        # Categories that share a reason must be covered together, not twice over.
        for cats, rs in groups(reasons):
            n = sum(sent[node][cat] for cat in cats)
            check(sum(d.get(r, 0) for r in rs) >= n,
                  "%s: %s: %d sent, only %d rejected as %s" % (
                      node, sorted(cats), n, sum(d.get(r, 0) for r in rs), sorted(rs)))
        # Exactly what was sent: none accepted, and nothing else rejected.
        check(sum(d.values()) == total_sent[node],
              "%s: %d sent, %d rejected" % (node, total_sent[node], sum(d.values())))

    # Nothing changed hands: same leader and term, in the heartbeat stream and the metrics.
    check(c.leader() == (leader, term), "leader/term now %s, was %s" % (c.leader(), (leader, term)))
    events = c.watcher.since(attack_start)
    claims = {(e["term"], e["node"]) for e in events if e["role"] == "leader"}
    check(claims == {(term, leader)}, "leadership changed under attack: %s" % sorted(claims))
    check({e["term"] for e in events} == {term}, "terms changed under attack")
    for node in c.ids():
        key_changes = 'meshnode_leader_changes_total{node="%s"}' % node
        check(now[node][key_changes] == before[node][key_changes], "%s: leader changes counted" % node)
        check(now[node]['meshnode_term{node="%s"}' % node] == term, "%s: term moved" % node)
    check(sorted(c.alive()) == c.ids(), "a node died: alive %s" % c.alive())
    print("leader %s term %d throughout; all 3 nodes alive" % (leader, term))


run(test_bad_actor, 3, 21800, name="badactor")
