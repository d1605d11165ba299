"""The capacity map through meshctl (the client library) on 5 real nodes.

put/get round trip (the get answered by the leader, same value and
version); cas with the right and a wrong expected version (cas-failed
reports the current version) and with 0 (must not exist); del, also with a
wrong --expected; ls of a prefix in key order, paged (40 keys, --limit 100
gives all 40, --limit 10 gives 10 and "more"); a get sent to a follower
first is redirected to the leader; a client with may_read only gets
not-permitted on put (exit 2) but may read; bad arguments exit 2 before
anything is sent; kill -9 of the leader, then a put succeeds against the
new leader within a few seconds and every acknowledged write reads back
(value and version); after the old leader restarts, every node's metrics
show commit_index = applied_index, the same on all five. A write sent
again with the same --request-id (a retry) is carried out once: the same
cas answers ok with the first fencing token, not cas-failed."""
import json
import os
import subprocess
import time
import urllib.request
from harness import run, check, mono_ms

CTL_TIMEOUT_MS = 10000          # meshctl --timeout-ms: generous for a loaded machine


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


def test_capacity(c):
    d = c.dir
    # A client that may read but not write, added before the nodes start
    # (they read the cluster file once).
    out = subprocess.run([c.meshctl, "keygen", os.path.join(d, "reader")],
                         capture_output=True, text=True, check=True)
    key_line = [l for l in out.stdout.splitlines() if l.startswith("public_key = ")][0]
    text = open(c.cluster_file).read()
    check(text.rstrip().splitlines()[-1].strip().startswith("may_"),
          "the clients section is not the last of the cluster file")
    with open(c.cluster_file, "a") as f:
        f.write("    reader\n        %s\n        may_read = 1\n" % key_line)

    def ctl(command, *args, client="ops", timeout_ms=CTL_TIMEOUT_MS, json_out=True):
        cmd = [c.meshctl, command, "--cluster", c.cluster_file, "--as", client,
               "--key", os.path.join(d, client + ".secret"), "--timeout-ms", str(timeout_ms)]
        if json_out:
            cmd.append("--json")
        start = mono_ms()
        out = subprocess.run(cmd + list(args), capture_output=True, text=True,
                             timeout=timeout_ms / 1000.0 + 30)
        took = mono_ms() - start
        result = None
        if json_out and out.stdout.strip():
            result = json.loads(out.stdout)
        return out.returncode, result, out.stdout, out.stderr.strip(), took

    acked = {}                  # key -> (value, version) of every acknowledged write

    def put(key, value, **kw):
        code, r, _, err, took = ctl("put", key, value, **kw)
        check(code == 0 and r and r["outcome"] == "ok",
              "put %s: exit %d, %s (%s)" % (key, code, r, err))
        check(r["version"] == r["index"] and r["term"] >= 1,
              "put %s: version %s is not its index %s" % (key, r["version"], r["index"]))
        acked[key] = (value, r["version"])
        return r, took

    c.watch()
    c.start_all()
    found, _ = c.wait_leader(5000, expect_nodes=5)
    check(found, "no leader at start")
    lead, term = found

    # put / get round trip; the get is the leader's answer
    r, took = put("capacity/h1/beds", "12")
    print("ok  put capacity/h1/beds = 12: version %d, fencing token term %d index %d (%.0f ms)"
          % (r["version"], r["term"], r["index"], took))
    code, g, _, err, _ = ctl("get", "capacity/h1/beds")
    check(code == 0 and g["outcome"] == "ok", "get: exit %d %s (%s)" % (code, g, err))
    check(g["value"] == "12" and g["version"] == r["version"],
          "get read %r version %s, expected '12' version %s" % (g["value"], g["version"], r["version"]))
    check(g["answered_by"] == g["leader"], "get answered by %s, not the leader %s"
          % (g["answered_by"], g["leader"]))
    print("ok  get capacity/h1/beds: '12' version %d from the leader %s"
          % (g["version"], g["answered_by"]))

    # cas: the right version writes, a wrong one reports the current
    v1 = r["version"]
    code, r, _, err, _ = ctl("cas", "capacity/h1/beds", str(v1), "13")
    check(code == 0 and r["outcome"] == "ok" and r["version"] > v1,
          "cas at the right version: exit %d %s (%s)" % (code, r, err))
    acked["capacity/h1/beds"] = ("13", r["version"])
    v2 = r["version"]
    code, r, _, err, _ = ctl("cas", "capacity/h1/beds", str(v1), "14")
    check(code == 1 and r["outcome"] == "cas-failed" and r["version"] == v2,
          "cas at a stale version: exit %d %s, expected cas-failed with version %d" % (code, r, v2))
    code, r, _, err, _ = ctl("cas", "capacity/h1/beds", "0", "15")
    check(code == 1 and r["outcome"] == "cas-failed" and r["version"] == v2,
          "cas 0 of an existing key: exit %d %s" % (code, r))
    code, r, _, err, _ = ctl("cas", "capacity/h1/icu", "0", "3")
    check(code == 0 and r["outcome"] == "ok", "cas 0 of a new key: exit %d %s (%s)" % (code, r, err))
    acked["capacity/h1/icu"] = ("3", r["version"])
    code, _, human, err, _ = ctl("cas", "capacity/h1/beds", str(v1), "14", json_out=False)
    check(code == 1 and human.strip() == "cas capacity/h1/beds = 14 (expected version %d): "
          "cas-failed, current version %d" % (v1, v2), "cas human line: %r (%s)" % (human, err))
    print("ok  cas: version %d -> %d; at %d again: cas-failed, current %d; 0 on a new key: ok"
          % (v1, v2, v1, v2))

    # del: a wrong --expected changes nothing, then deleted, then not-found
    code, r, _, err, _ = ctl("put", "capacity/h1/tmp", "x")
    check(code == 0, "put capacity/h1/tmp: exit %d (%s)" % (code, err))
    vt = r["version"]
    code, r, _, err, _ = ctl("del", "capacity/h1/tmp", "--expected", str(vt + 1000))
    check(code == 1 and r["outcome"] == "cas-failed" and r["version"] == vt,
          "del at a wrong version: exit %d %s" % (code, r))
    code, r, _, err, _ = ctl("del", "capacity/h1/tmp", "--expected", str(vt))
    check(code == 0 and r["outcome"] == "ok" and r["index"] > vt, "del: exit %d %s (%s)" % (code, r, err))
    code, r, _, err, _ = ctl("get", "capacity/h1/tmp")
    check(code == 1 and r["outcome"] == "not-found", "get after del: exit %d %s" % (code, r))
    code, r, _, err, _ = ctl("del", "capacity/h1/tmp")
    check(code == 1 and r["outcome"] == "not-found", "del again: exit %d %s" % (code, r))
    print("ok  del: wrong --expected cas-failed; deleted at index %d; then not-found (get, del)"
          % vt)

    # ls: 40 keys of one prefix, in key order, paged by the library
    start = mono_ms()
    for k in range(40):
        put("capacity/h2/k%02d" % k, "beds=%d" % k)
    print("ok  40 puts in %.0f ms" % (mono_ms() - start))
    code, r, _, err, _ = ctl("ls", "capacity/h2/", "--limit", "100")
    check(code == 0 and r["outcome"] == "ok", "ls: exit %d %s (%s)" % (code, r, err))
    keys = [i["key"] for i in r["items"]]
    check(keys == ["capacity/h2/k%02d" % k for k in range(40)] and r["count"] == 40
          and not r["more"], "ls --limit 100 listed %d keys: %s" % (len(keys), keys))
    for item in r["items"]:
        check((item["value"], item["version"]) == acked[item["key"]],
              "ls: %s is %r version %d, acknowledged %s" % (item["key"], item["value"],
                                                            item["version"], acked[item["key"]]))
    code, r, _, err, _ = ctl("ls", "capacity/h2/", "--limit", "10")
    check(code == 0 and [i["key"] for i in r["items"]] == keys[:10] and r["more"],
          "ls --limit 10: exit %d %s" % (code, r))
    code, _, human, err, _ = ctl("ls", "capacity/h2/", json_out=False)
    lines = human.splitlines()
    check(code == 0 and len(lines) == 41 and lines[0] == "capacity/h2/k00 = beds=0 (version %d)"
          % acked["capacity/h2/k00"][1] and lines[-1] == "ls capacity/h2/: ok, 40 keys",
          "ls human output: exit %d, %d lines: %r (%s)" % (code, len(lines), lines[:2] + lines[-1:], err))
    code, r, _, err, _ = ctl("ls", "capacity/")
    check(code == 0 and r["count"] == 42, "ls capacity/: %s" % r)
    print("ok  ls capacity/h2/: 40 keys in order (2 pages of 32 + 8), --limit 10: 10 and more")

    # A retried write takes effect once: the same cas with the same
    # --request-id, sent again (as after an unknown outcome), answers with
    # the first outcome and fencing token instead of cas-failed, and the
    # key keeps that version; a put retried writes no second version.
    code, r1, _, err, _ = ctl("cas", "capacity/h1/ventilators", "0", "5", "--request-id", "424242")
    check(code == 0 and r1["outcome"] == "ok" and r1["request_id"] == 424242,
          "cas with --request-id: exit %d %s (%s)" % (code, r1, err))
    acked["capacity/h1/ventilators"] = ("5", r1["version"])
    code, r2, _, err, _ = ctl("cas", "capacity/h1/ventilators", "0", "5", "--request-id", "424242")
    check(code == 0 and r2["outcome"] == "ok" and (r2["term"], r2["index"], r2["version"])
          == (r1["term"], r1["index"], r1["version"]),
          "the cas again with the same --request-id: exit %d %s, first %s (%s)" % (code, r2, r1, err))
    code, r3, _, err, _ = ctl("cas", "capacity/h1/ventilators", "0", "5")
    check(code == 1 and r3["outcome"] == "cas-failed" and r3["version"] == r1["version"],
          "the cas again with a new id: exit %d %s" % (code, r3))
    code, p1, _, err, _ = ctl("put", "capacity/h1/oxygen", "7", "--request-id", "99")
    code2, p2, _, err2, _ = ctl("put", "capacity/h1/oxygen", "7", "--request-id", "99")
    check(code == 0 and code2 == 0 and p1["index"] == p2["index"] and p1["version"] == p2["version"],
          "put twice with one --request-id: %s then %s (%s %s)" % (p1, p2, err, err2))
    acked["capacity/h1/oxygen"] = ("7", p1["version"])
    code, g, _, err, _ = ctl("get", "capacity/h1/oxygen")
    check(code == 0 and g["version"] == p1["version"], "get after the put retried: %s" % g)
    print("ok  retries: cas with --request-id 424242 twice -> one write (term %d index %d), a new "
          "id -> cas-failed; put twice with one id -> one version %d"
          % (r1["term"], r1["index"], p1["version"]))

    # A get sent to a follower first: not-leader, followed to the leader.
    # (Should leadership move to that very follower meanwhile, as it may on
    # a starved machine, it answers at once: then ask another.)
    for _ in range(3):
        found, _ = c.wait_leader(5000, expect_nodes=5)
        check(found, "no leader before the redirect check")
        lead, term = found
        follower = [n for n in c.ids() if n != lead][0]
        code, r, _, err, _ = ctl("get", "capacity/h1/beds", "--via", follower)
        check(code == 0 and r["outcome"] == "ok" and r["value"] == "13",
              "get via %s: exit %d %s (%s)" % (follower, code, r, err))
        if r["answered_by"] != follower:
            break
    check(r["answered_by"] != follower and r["attempts"] >= 2,
          "get via %s was not redirected: %s" % (follower, r))
    print("ok  get via follower %s: redirected, answered by %s after %d requests"
          % (follower, r["answered_by"], r["attempts"]))

    # A client without may_write: not-permitted, exit 2; it may still read
    code, r, _, err, _ = ctl("put", "capacity/h1/beds", "99", client="reader")
    check(code == 2 and r["outcome"] == "not-permitted", "reader put: exit %d %s" % (code, r))
    code, _, human, err, _ = ctl("put", "capacity/h1/beds", "99", client="reader", json_out=False)
    check(code == 2 and "not-permitted" in err and "may_write" in err and human == "",
          "reader put (human): exit %d %r %r" % (code, human, err))
    refusal = err
    code, r, _, err, _ = ctl("get", "capacity/h1/beds", client="reader")
    check(code == 0 and r["value"] == "13", "reader get: exit %d %s (%s)" % (code, r, err))
    print("ok  reader: put exit 2 (%s); get ok" % refusal)

    # Bad arguments: exit 2, with the reason
    def bad(args, expect, label):
        out = subprocess.run([c.meshctl] + args, capture_output=True, text=True, timeout=30)
        check(out.returncode == 2, "%s: exit %d, expected 2" % (label, out.returncode))
        check(expect in out.stderr, "%s: %r lacks %r" % (label, out.stderr.strip(), expect))
    base = ["--cluster", c.cluster_file, "--as", "ops", "--key", os.path.join(d, "ops.secret")]
    bad(["put"] + base + ["capacity/h1/a b", "1"], "is not 1..128 characters", "a key with a space")
    bad(["put"] + base + ["capacity/h1/x"], "put takes KEY VALUE", "put without a value")
    bad(["put"] + base + ["k", "x" * 257], "longer than 256", "a value too long")
    bad(["cas"] + base + ["k", "v1", "x"], "EXPECTED_VERSION", "a bad expected version")
    bad(["get"] + base + ["k", "--limit", "3"], "takes no --limit", "get --limit")
    bad(["ls"] + base + ["--limit", "0"], "--limit", "ls --limit 0")
    bad(["get"] + base[:4] + ["--key", os.path.join(d, "reader.secret"), "k"],
        "is not clients/ops/public_key", "another client's key")
    bad(["get"] + base + ["k", "--via", "n9"], "not a member", "--via a non-member")
    bad(["put"] + base + ["k", "v", "--request-id", "0"], "--request-id must be", "--request-id 0")
    bad(["put"] + base + ["k", "v", "--request-id", "x1"], "--request-id must be", "--request-id x1")
    bad(["put"] + base + ["k", "v", "--request-id", " -5"], "--request-id must be", "--request-id ' -5'")
    bad(["get"] + base + ["k", "--request-id", "5"], "only writes do", "get --request-id")
    print("ok  bad arguments: exit 2 with the reason")
    values_before = dict(acked)

    # kill -9 the leader: a put succeeds against the next one within a few
    # seconds, and no acknowledged write is lost
    found, _ = c.wait_leader(5000, expect_nodes=5)
    check(found, "no leader before the kill")
    lead, term = found
    c.kill(lead)
    start = mono_ms()
    r, took = put("capacity/h3/beds", "after-failover")
    check(r["answered_by"] != lead and r["term"] > term,
          "the put after the kill was answered by %s in term %d (killed %s, term %d)"
          % (r["answered_by"], r["term"], lead, term))
    check(took < 8000, "the put after the kill took %.0f ms" % took)
    print("ok  killed leader %s (term %d); put answered by %s in term %d after %.0f ms"
          % (lead, term, r["answered_by"], r["term"], took))
    code, r, _, err, _ = ctl("ls", "capacity/")
    check(code == 0 and r["outcome"] == "ok", "ls after the kill: exit %d %s (%s)" % (code, r, err))
    listed = {i["key"]: (i["value"], i["version"]) for i in r["items"]}
    check(listed == acked, "after the kill the map is %s, acknowledged %s"
          % (sorted(set(listed.items()) ^ set(acked.items())), len(acked)))
    code, g, _, err, _ = ctl("get", "capacity/h1/beds")
    check(code == 0 and (g["value"], g["version"]) == values_before["capacity/h1/beds"],
          "get capacity/h1/beds after the kill: %s" % g)
    print("ok  after the kill: all %d acknowledged writes read back with their versions" % len(acked))

    # Every node, the old leader restarted: commit_index = applied_index,
    # the same on all five, once the writes settle
    c.start(lead)
    deadline = mono_ms() + 20000
    while True:
        indexes = {}
        try:
            for k in range(1, c.nodes + 1):
                m = scrape(c, k)
                node = "n%d" % k
                indexes[node] = (int(m['meshnode_commit_index{node="%s"}' % node]),
                                 int(m['meshnode_applied_index{node="%s"}' % node]))
        except (OSError, KeyError):
            indexes = {}
        if indexes and len({v for pair in indexes.values() for v in pair}) == 1:
            break
        check(mono_ms() < deadline, "metrics did not settle: %s" % indexes)
        time.sleep(0.2)
    print("ok  metrics: commit_index = applied_index = %d on all 5 nodes"
          % list(indexes.values())[0][0])


run(test_capacity, 5, 22000, name="capacity")
