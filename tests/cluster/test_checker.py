#!/usr/bin/env python3
"""Self-test of the nemesis checker (checker.py), on synthetic run directories.

    python3 test_checker.py [-v] [--perf]

Exit 0 when every case passes, 1 otherwise (each failure is printed).
-v prints each case's text report; --perf also times an hour-long history
(5 nodes x 20 events/s x 3600 s).

The base history: five nodes, n1 leads term 3 for 10 s, heartbeating every
50 ms with a 235 ms lease renewed on each heartbeat; n2..n5 beacon every 50 ms
(offsets 10, 15, 20, 25 ms) naming n1.  Fault 1 kills n3 at +3000 and restarts
it at +4000 (its first beacon, at +4000, names no leader; the next, at +4050,
names n1: heal_to_single_leader = 50 ms).  Fault 2 is a bad-actor burst at
n1 and n2 from +6000 to +6500 whose counter deltas match what was sent.
Each violation case changes that history in one way and must be reported as
exactly that one violation.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # leave no __pycache__ in the source tree
sys.path.insert(0, HERE)
import checker  # noqa: E402

T0 = 100000.1           # a fractional start exercises float arithmetic
NODES = ["n1", "n2", "n3", "n4", "n5"]
HB = 50.0
LEASE = 235.0
RUN_MS = 10000.0
OFFSET = {"n1": 0.0, "n2": 10.0, "n3": 15.0, "n4": 20.0, "n5": 25.0}
CATS = {"forged": ["bad-signature"], "unknown-sender": ["unknown-sender"],
        "cross-cluster": ["wrong-cluster"], "replayed": ["replay", "too-old", "stale-incarnation"],
        "malformed": ["malformed", "oversize"]}
LOGP = "I: (meshnode) 26-11-27 03:15:%02d %s: "


class History:
    """A run directory under construction; times relative to T0."""

    def __init__(self):
        self.events = []        # dicts with "rel" (sent time - T0) and "lease" (ms or None)
        self.faults = []
        self.samples = []
        self.logs = {n: [] for n in NODES}
        self.bursts = []
        self.tail = ""          # raw text appended to events.jsonl

    def add(self, node, rel, term, role, leader, lease=None):
        self.events.append({"node": node, "rel": float(rel), "term": term, "role": role,
                            "leader": leader, "lease": lease})

    def drop(self, node, lo, hi):
        self.events = [e for e in self.events
                       if not (e["node"] == node and lo <= e["rel"] < hi)]

    def at(self, node, rel):
        return [e for e in self.events if e["node"] == node and e["rel"] == rel]

    def log(self, node, text):
        self.logs[node].append(LOGP % (len(self.logs[node]) % 60, node) + text)

    def write(self, d, skip=()):
        os.makedirs(d, exist_ok=True)
        if "meta.json" not in skip:
            with open(os.path.join(d, "meta.json"), "w") as f:
                json.dump({"nodes": NODES, "heartbeat_ms": 50, "election_timeout_ms": 250,
                           "lease_ms": 235, "seed": 7, "start_mono_ms": T0,
                           "end_mono_ms": T0 + RUN_MS}, f)
        if "events.jsonl" not in skip:
            with open(os.path.join(d, "events.jsonl"), "w") as f:
                for e in sorted(self.events, key=lambda e: (e["rel"], e["node"])):
                    sent = T0 + e["rel"]
                    o = {"node": e["node"], "term": e["term"], "role": e["role"],
                         "leader": e["leader"], "lease_ms": None}
                    if e["lease"] is not None:
                        o["lease_ms"] = LEASE
                        o["lease_expiry_mono_ms"] = (e["expiry"] if "expiry" in e
                                                     else sent + e["lease"])
                    o.update({"storm": False, "incarnation": 1, "seq": 1,
                              "sent_mono_ms": e.get("sent", sent), "recv_mono_ms": sent + 1.0})
                    f.write(json.dumps(o) + "\n")
                f.write(self.tail)
        for name, rows in (("faults.jsonl", self.faults), ("state_samples.jsonl", self.samples),
                           ("badactor.jsonl", self.bursts)):
            if name not in skip:
                with open(os.path.join(d, name), "w") as f:
                    for r in rows:
                        f.write(json.dumps(r) + "\n")
        if "logs" not in skip:
            os.makedirs(os.path.join(d, "logs"), exist_ok=True)
            for n, lines in self.logs.items():
                with open(os.path.join(d, "logs", n + ".log"), "w") as f:
                    f.write("".join(l + "\n" for l in lines))
        return d


def base():
    h = History()
    k_max = int(RUN_MS / HB)
    for k in range(k_max):
        t = k * HB
        h.add("n1", t, 3, "leader", "n1", lease=LEASE)
        for n in NODES[1:]:
            rel = t + OFFSET[n]
            if n == "n3" and 3000 <= rel < 4000:
                continue            # killed
            if n == "n3" and rel >= 4000:
                continue            # restarted: its own schedule below
            h.add(n, rel, 3, "follower", "n1")
    # n3 restarted at +4000: first beacon names nobody, then n1.
    h.add("n3", 4000, 3, "follower", None)
    t = 4050.0
    while t < RUN_MS:
        h.add("n3", t, 3, "follower", "n1")
        t += HB
    h.faults = [
        {"id": 1, "kind": "kill", "variant": "restart", "targets": ["n3"],
         "start_mono_ms": T0 + 3000, "heal_mono_ms": T0 + 4000, "settled_by_mono_ms": T0 + 6000},
        {"id": 2, "kind": "badactor", "variant": "burst", "targets": ["n1", "n2"],
         "start_mono_ms": T0 + 6000, "heal_mono_ms": T0 + 6500,
         "settled_by_mono_ms": T0 + RUN_MS},
    ]
    for s in range(0, int(RUN_MS) + 1, 1000):
        for n in NODES:
            if n == "n3" and 3000 < s < 4000:
                continue
            h.samples.append({"node": n, "mono_ms": T0 + s + 1, "term": 3, "vote": "n1",
                              "incarnation": 1, "why": "end" if s == RUN_MS else "periodic"})
    h.samples.append({"node": "n3", "mono_ms": T0 + 3000.5, "term": 3, "vote": "n1",
                      "incarnation": 1, "why": "kill"})
    for n in NODES:
        h.log(n, "started, cluster c1, term 2, incarnation 1, lease 235 ms")
    h.log("n1", "role follower -> precandidate, term 2, leader - (election-timeout)")
    h.log("n1", "role precandidate -> candidate, term 3, leader - (prevote-won)")
    h.log("n1", "voted for n1 in term 3 (persisted)")
    h.log("n1", "role candidate -> leader, term 3, leader n1 (election-won)")
    for n in NODES[1:]:
        h.log(n, "voted for n1 in term 3 (persisted)")
        h.log(n, "leader - -> n1, term 3 (heartbeat)")
    h.log("n3", "started, cluster c1, term 3, incarnation 2, lease 235 ms")
    h.log("n3", "leader - -> n1, term 3 (heartbeat)")
    sent = {n: {c: 10 for c in CATS} for n in ("n1", "n2")}
    delta = {n: {"bad-signature": 10, "unknown-sender": 10, "wrong-cluster": 10, "replay": 10,
                 "stale-incarnation": 0, "malformed": 8, "oversize": 2, "not-member": 0}
             for n in ("n1", "n2")}
    h.bursts = [{"fault_id": 2, "targets": sent, "reasons": CATS, "rejected_delta": delta}]
    return h


# ---------------------------------------------------------------------------

class Case:
    def __init__(self, tmp, verbose):
        self.tmp = tmp
        self.verbose = verbose
        self.n = 0

    def run(self, h, skip=()):
        self.n += 1
        d = h.write(os.path.join(self.tmp, "run%02d" % self.n), skip)
        r = checker.check(d)
        if self.verbose:
            print(checker.format_text(r))
            print()
        json.dumps(r)       # the report must serialise
        return r


def cats(r):
    return sorted({v.split(":")[0] for v in r["violations"]})


def expect_only(r, *want):
    got = cats(r)
    assert got == sorted(want), "violations %s, wanted exactly %s:\n  %s" % (
        got, sorted(want), "\n  ".join(r["violations"]))
    assert r["ok"] == (not want), "ok is %r" % r["ok"]


def eq(a, b, what):
    assert a == b, "%s: got %r, wanted %r" % (what, a, b)


def near(a, b, what, tol=1e-6):
    assert a is not None and abs(a - b) <= tol, "%s: got %r, wanted %r" % (what, a, b)


# --- cases -----------------------------------------------------------------

def t_clean(c):
    h = base()
    r = c.run(h)
    expect_only(r)
    eq(r["events"], len(h.events), "events")
    eq(r["faults"], {"count": 2, "by_kind_variant": {"badactor/burst": 1, "kill/restart": 1},
                     "without_heal": 0}, "faults")
    eq((r["terms_seen"], r["max_term"]), (1, 3), "terms_seen, max_term")
    eq(r["terms_with_multiple_leaders"], [], "terms_with_multiple_leaders")
    eq(r["lease_overlap_ms"], 0, "lease_overlap_ms")
    hs = r["heal_to_single_leader_ms"]
    per = {x["fault_id"]: x["ms"] for x in hs["per_fault"]}
    near(per[1], 50.0, "heal fault 1")
    near(per[2], 0.0, "heal fault 2")
    eq(hs["count"], 2, "heal count")
    near(hs["p50"], 0.0, "heal p50")
    near(hs["p99"], 50.0, "heal p99")
    near(hs["max"], 50.0, "heal max")
    eq(r["unconverged_heals"], [], "unconverged_heals")
    rj = r["rejoin_leader_changes"]
    eq((rj["count"], rj["applicable"], rj["not_applicable"]), (0, 2, 0), "rejoin")
    eq(r["double_votes"], [], "double_votes")
    eq(r["term_regressions"], [], "term_regressions")
    t = r["bad_actor"]["total"]
    eq(t, {"sent": 100, "rejected": 100, "accepted_or_lost": 0, "extra_rejections": 0,
           "late_genuine": 0}, "bad_actor total")
    le = r["bad_actor"]["leadership_effect"]
    eq([(x["fault_id"], x["applicable"], x["changed"], x["before"], x["after"]) for x in le],
       [(2, True, False, ["n1", 3], ["n1", 3])], "leadership_effect")
    eq(r["files"]["events.jsonl"]["unparseable"], 0, "unparseable")


def t_two_leaders_one_term(c):
    h = base()
    h.add("n2", 9800, 3, "leader", "n2")            # no lease: only the term is shared
    r = c.run(h)
    expect_only(r, "multiple-leaders")
    eq(r["terms_with_multiple_leaders"], [3], "terms_with_multiple_leaders")
    eq(r["lease_overlap_ms"], 0, "lease_overlap_ms")


def t_lease_overlap(c):
    h = base()
    # n1's lease union runs without a gap from +0 to +9950 + 235 = +10185.
    h.add("n2", 9800.5, 4, "leader", "n2", lease=99.75)    # [9800.5, 9900.25): 99.75 ms
    h.add("n3", 9850, 5, "leader", "n3", lease=20)         # [9850, 9870): 20 with n1, 20 with n2
    r = c.run(h)
    expect_only(r, "lease-overlap")
    near(r["lease_overlap_ms"], 99.75 + 20 + 20, "lease_overlap_ms")
    w = r["lease_overlap_worst"]
    eq(w["nodes"], ["n1", "n2"], "worst pair")
    near(w["overlap_ms"], 99.75, "worst pair overlap")
    near(w["longest_from_mono_ms"], T0 + 9800.5, "worst from")
    eq(len(r["lease_overlap_pairs"]), 3, "overlapping pairs")
    eq(r["terms_with_multiple_leaders"], [], "terms_with_multiple_leaders")


def t_leases_touch(c):
    h = base()
    end_n1 = (T0 + 9950) + LEASE                # n1's last lease expiry
    h.add("n2", 10185, 4, "leader", "n2", lease=100)
    h.events[-1]["sent"] = end_n1
    h.events[-1]["expiry"] = end_n1 + 100
    h.add("n3", 10285, 5, "leader", "n3", lease=50)
    h.events[-1]["sent"] = end_n1 + 100          # starts where n2's ends
    h.events[-1]["expiry"] = end_n1 + 150
    # n4 starts one ulp before n3's lease ends: float noise, not an overlap.
    h.add("n4", 10335, 6, "leader", "n4", lease=50)
    h.events[-1]["sent"] = math.nextafter(end_n1 + 150, 0.0)
    h.events[-1]["expiry"] = end_n1 + 200
    r = c.run(h)
    expect_only(r)
    eq(r["lease_overlap_ms"], 0, "lease_overlap_ms")
    eq(r["lease_overlap_pairs"], [], "lease_overlap_pairs")
    eq(r["max_term"], 6, "max_term")


def t_double_vote_log_across_restart(c):
    h = base()
    h.log("n3", "started, cluster c1, term 3, incarnation 3, lease 235 ms")
    h.log("n3", "voted for n2 in term 3 (persisted)")
    r = c.run(h)
    expect_only(r, "double-vote")
    eq(r["double_votes"], [{"node": "n3", "term": 3, "candidates": ["n1", "n2"],
                            "source": "log"}], "double_votes")


def t_double_vote_samples(c):
    h = base()
    h.samples.append({"node": "n4", "mono_ms": T0 + 5500, "term": 3, "vote": "n2",
                      "incarnation": 1, "why": "periodic"})
    r = c.run(h)
    expect_only(r, "double-vote")
    eq(r["double_votes"], [{"node": "n4", "term": 3, "candidates": ["n1", "n2"],
                            "source": "state_samples"}], "double_votes")


def t_term_regression_samples(c):
    h = base()
    h.samples.append({"node": "n5", "mono_ms": T0 + 5500, "term": 2, "vote": None,
                      "incarnation": 1, "why": "periodic"})
    r = c.run(h)
    expect_only(r, "term-regression")
    eq([(x["node"], x["from_term"], x["to_term"], x["source"]) for x in r["term_regressions"]],
       [("n5", 3, 2, "state_samples")], "term_regressions")


def t_term_regression_log(c):
    h = base()
    h.log("n2", "started, cluster c1, term 2, incarnation 2, lease 235 ms")
    r = c.run(h)
    expect_only(r, "term-regression")
    eq([(x["node"], x["from_term"], x["to_term"], x["source"]) for x in r["term_regressions"]],
       [("n2", 3, 2, "log")], "term_regressions")


def t_rejoin_raises_term(c):
    h = base()
    h.drop("n3", 4100, 4101)
    h.add("n3", 4100, 4, "candidate", None)       # the rejoining node campaigns
    r = c.run(h)
    expect_only(r, "rejoin-leader-change")
    rj = r["rejoin_leader_changes"]
    eq((rj["count"], rj["fault_ids"], rj["applicable"]), (1, [1], 2), "rejoin")


def t_rejoin_after_check_quorum_is_reported_apart(c):
    # The same higher term after the heal, but the agreed leader's log says
    # it gave up its term by CheckQuorum: not blamed on the rejoin, listed.
    h = base()
    h.drop("n3", 4100, 4101)
    h.add("n3", 4100, 4, "candidate", None)
    h.log("n1", "n1: role leader -> follower, term 3, leader - (check-quorum)")
    r = c.run(h)
    rj = r["rejoin_leader_changes"]
    if rj["count"] == 0:
        expect_only(r)
        eq([x["fault_id"] for x in rj["check_quorum_stepdowns"]], [1], "check_quorum_stepdowns")
    else:
        # the base history's agreed leader is not n1 in term 3: say what it is
        raise AssertionError("agreed leader at the heal is not n1/term 3: %s" % rj["details"])


def t_rejoin_stale_leader_claim_is_not_a_change(c):
    h = base()
    h.add("n4", 4200, 2, "leader", "n4")          # an ex-leader of term 2 speaks once
    r = c.run(h)
    expect_only(r)
    rj = r["rejoin_leader_changes"]
    eq(rj["count"], 0, "rejoin count")
    eq([(x["fault_id"], x["node"], x["term"]) for x in rj["stale_leader_claims"]],
       [(1, "n4", 2)], "stale_leader_claims")


def t_heal_never_converges(c):
    h = base()
    for e in h.events:
        if e["node"] == "n3" and 4000 <= e["rel"] < 6000:
            e["leader"] = None    # n3 names n1 again only at +6000, when fault 2 starts: too late
    r = c.run(h)
    expect_only(r, "unconverged-heal")
    eq(r["unconverged_heals"], [1], "unconverged_heals")
    eq(r["heal_to_single_leader_ms"]["count"], 1, "converged heals")


def t_badactor_one_accepted(c):
    h = base()
    h.bursts[0]["rejected_delta"]["n2"]["bad-signature"] = 9
    r = c.run(h)
    expect_only(r, "bad-actor-accepted")
    t = r["bad_actor"]["total"]
    eq((t["sent"], t["rejected"], t["accepted_or_lost"]), (100, 99, 1), "bad_actor total")
    eq(r["bad_actor"]["bursts"][0]["per_target"]["n2"]["accepted_or_lost"], 1, "n2 missing")


def t_badactor_extra_rejection_is_a_note(c):
    h = base()
    h.bursts[0]["rejected_delta"]["n1"]["stale-incarnation"] = 1
    r = c.run(h)
    expect_only(r)
    eq(r["bad_actor"]["total"]["extra_rejections"], 1, "extra_rejections")
    assert any("beyond what was sent" in n for n in r["notes"]), r["notes"]


def t_badactor_late_genuine_is_not_extra(c):
    # Genuine messages delivered late (too-old) in the burst's window are
    # counted apart; a surplus of exact replays is still an extra rejection.
    h = base()
    h.bursts[0]["rejected_delta"]["n1"]["too-old"] = 21
    r = c.run(h)
    expect_only(r)
    t = r["bad_actor"]["total"]
    eq((t["extra_rejections"], t["late_genuine"]), (0, 21), "too-old surplus")
    h = base()
    h.bursts[0]["rejected_delta"]["n1"]["too-old"] = 3
    h.bursts[0]["rejected_delta"]["n1"]["replay"] = 12
    r = c.run(h)
    t = r["bad_actor"]["total"]
    eq((t["extra_rejections"], t["late_genuine"]), (2, 3), "replay surplus beyond too-old")


def t_badactor_extra_does_not_mask_accepted(c):
    h = base()
    d = h.bursts[0]["rejected_delta"]["n1"]
    d["bad-signature"] = 9                        # one forged message accepted...
    d["wrong-cluster"] = 11                       # ...and one unrelated extra rejection
    r = c.run(h)
    expect_only(r, "bad-actor-accepted")
    eq(r["bad_actor"]["total"]["accepted_or_lost"], 1, "accepted_or_lost")


def t_badactor_changed_leader(c):
    h = base()
    for e in h.events:
        if e["rel"] >= 6400:                      # n2 leads term 4 from +6400
            e["term"], e["leader"] = 4, "n2"
            if e["node"] == "n1":
                e["role"], e["lease"] = "follower", None
            elif e["node"] == "n2":
                e["role"], e["lease"] = "leader", LEASE
        elif e["node"] == "n1" and e["rel"] > 6100:
            e["role"], e["leader"], e["lease"] = "follower", None, None   # n1 stepped down
    r = c.run(h)
    expect_only(r, "bad-actor-leadership")
    le = r["bad_actor"]["leadership_effect"][0]
    eq((le["before"], le["after"], le["changed"]), (["n1", 3], ["n2", 4], True),
       "leadership_effect")
    eq(r["lease_overlap_ms"], 0, "lease_overlap_ms")


def t_heal_waits_for_stale_node_to_drop_out(c):
    h = base()
    # n5 names nobody at +7975 and then falls silent; fault 3 heals at +7990.  The
    # cluster converges when n5 stops being fresh: 7975 + 300 = 8275, 285 ms after.
    for e in h.events:
        if e["node"] == "n5" and e["rel"] == 7975:
            e["leader"] = None
    h.drop("n5", 8000, RUN_MS)
    h.faults.append({"id": 3, "kind": "partition", "variant": "one-way", "targets": ["n5"],
                     "start_mono_ms": T0 + 7600, "heal_mono_ms": T0 + 7990,
                     "settled_by_mono_ms": T0 + RUN_MS})
    h.faults[1]["settled_by_mono_ms"] = T0 + 7600
    r = c.run(h)
    expect_only(r)
    hs = r["heal_to_single_leader_ms"]
    per = {x["fault_id"]: x["ms"] for x in hs["per_fault"]}
    near(per[3], 285.0, "heal fault 3")
    eq(hs["count"], 3, "heal count")
    near(hs["p50"], 50.0, "heal p50")
    near(hs["p99"], 285.0, "heal p99")
    near(hs["max"], 285.0, "heal max")


def t_heal_needs_the_leader_to_hold_a_lease(c):
    h = base()
    for e in h.events:                          # n1 leads without a lease from +4000 to +4100
        if e["node"] == "n1" and 4000 <= e["rel"] <= 4100:
            e["lease"] = None
    r = c.run(h)
    expect_only(r)
    per = {x["fault_id"]: x["ms"] for x in r["heal_to_single_leader_ms"]["per_fault"]}
    near(per[1], 150.0, "heal fault 1")
    rj = r["rejoin_leader_changes"]
    eq((rj["applicable"], rj["not_applicable"]), (1, 1), "rejoin applicable (no lease at heal)")


def t_rejoin_needs_a_quorum(c):
    h = base()
    # n3, n4, n5 stopped from +8500 to +9100: at the heal (+9000) only n1 and n2 are
    # fresh, which is one leader (converged at once) but no quorum (rejoin n/a).
    for n in ("n3", "n4", "n5"):
        h.drop(n, 8500, 9100)
    h.faults[1]["settled_by_mono_ms"] = T0 + 8500
    h.faults.append({"id": 3, "kind": "stop", "variant": "2x", "targets": ["n3", "n4", "n5"],
                     "start_mono_ms": T0 + 8500, "heal_mono_ms": T0 + 9000,
                     "settled_by_mono_ms": T0 + RUN_MS})
    r = c.run(h)
    expect_only(r)
    per = {x["fault_id"]: x["ms"] for x in r["heal_to_single_leader_ms"]["per_fault"]}
    near(per[3], 0.0, "heal fault 3")
    rj = r["rejoin_leader_changes"]
    eq((rj["count"], rj["applicable"], rj["not_applicable"]), (0, 2, 1), "rejoin")


def t_badactor_same_leader_new_term(c):
    h = base()
    for e in h.events:                          # an election during the burst; n1 wins again
        if e["rel"] >= 6400:
            e["term"] = 4
    r = c.run(h)
    expect_only(r, "bad-actor-leadership")
    le = r["bad_actor"]["leadership_effect"][0]
    eq((le["before"], le["after"]), (["n1", 3], ["n1", 4]), "leadership_effect")


def t_truncated_last_line(c):
    h = base()
    h.tail = '{"node":"n1","term":3,"role":"lea'
    r = c.run(h)
    expect_only(r)
    eq(r["files"]["events.jsonl"]["unparseable"], 1, "unparseable")
    eq(r["events"], len(h.events), "events")


def t_missing_optional_files(c):
    h = base()
    r = c.run(h, skip=("faults.jsonl", "state_samples.jsonl", "logs", "badactor.jsonl",
                       "meta.json"))
    expect_only(r)
    for name in ("faults.jsonl", "state_samples.jsonl", "badactor.jsonl", "meta.json"):
        eq(r["files"][name]["status"], "missing", name)
    eq(r["files"]["logs"]["status"], "missing", "logs")
    eq(r["faults"]["count"], 0, "faults")
    eq(r["heal_to_single_leader_ms"]["count"], 0, "heals")
    eq(r["quorum"], 3, "quorum from the nodes seen")
    notes = " | ".join(r["notes"])
    for word in ("faults.jsonl: missing", "state_samples.jsonl: missing",
                 "badactor.jsonl: missing", "logs/", "meta.json"):
        assert word in notes, "no note on %r: %s" % (word, notes)


def t_empty_files(c):
    h = base()
    h.faults, h.samples, h.bursts = [], [], []
    h.logs = {}
    r = c.run(h)
    expect_only(r)
    eq(r["files"]["faults.jsonl"]["status"], "empty", "faults.jsonl")
    eq(r["bad_actor"]["note"], "no bad-actor bursts recorded", "bad_actor note")


def t_no_events_is_not_ok(c):
    h = base()
    h.events = []
    r = c.run(h)
    assert "no-events" in cats(r), r["violations"]
    assert not r["ok"]


def t_cli(c):
    d_ok = base().write(os.path.join(c.tmp, "cli_ok"))
    h = base()
    h.add("n2", 9800, 3, "leader", "n2")
    d_bad = h.write(os.path.join(c.tmp, "cli_bad"))
    script = os.path.join(HERE, "checker.py")
    p = subprocess.run([sys.executable, script, d_ok], capture_output=True, text=True)
    eq(p.returncode, 0, "exit code on a clean run")
    assert "result: OK" in p.stdout and "lease_overlap_ms: 0" in p.stdout, p.stdout
    eq(checker.format_report(checker.check(d_ok)), p.stdout.rstrip("\n"), "format_report")
    p = subprocess.run([sys.executable, script, d_bad, "--json"], capture_output=True, text=True)
    eq(p.returncode, 1, "exit code on a violation")
    r = json.loads(p.stdout)
    eq(r["terms_with_multiple_leaders"], [3], "JSON terms_with_multiple_leaders")
    p = subprocess.run([sys.executable, script, d_bad], capture_output=True, text=True)
    assert "VIOLATION multiple-leaders" in p.stdout and "result: FAIL" in p.stdout, p.stdout
    p = subprocess.run([sys.executable, script, os.path.join(c.tmp, "nonexistent")],
                       capture_output=True, text=True)
    eq(p.returncode, 2, "exit code on a missing directory")


def perf(c):
    """An hour: 5 nodes x 20 heartbeats/s x 3600 s, a fault a minute."""
    global RUN_MS
    h = History()
    hour = 3600 * 1000.0
    k = 0
    with_events = []
    while k * HB < hour:
        t = k * HB
        with_events.append(("n1", t, 3, "leader", "n1", LEASE))
        for n in NODES[1:]:
            with_events.append((n, t + OFFSET[n], 3, "follower", "n1", None))
        k += 1
    h.events = [{"node": n, "rel": t, "term": term, "role": role, "leader": l, "lease": ls}
                for n, t, term, role, l, ls in with_events]
    h.faults = [{"id": i, "kind": "stop", "variant": "2x", "targets": ["n4"],
                 "start_mono_ms": T0 + i * 60000.0, "heal_mono_ms": T0 + i * 60000.0 + 500,
                 "settled_by_mono_ms": T0 + (i + 1) * 60000.0} for i in range(1, 60)]
    saved, RUN_MS = RUN_MS, hour
    try:
        d = h.write(os.path.join(c.tmp, "perf"))
    finally:
        RUN_MS = saved
    t0 = time.monotonic()
    r = checker.check(d)
    dt = time.monotonic() - t0
    expect_only(r)
    print("perf: %d events, %d faults checked in %.1f s" % (r["events"], r["faults"]["count"], dt))
    assert dt < 120, "too slow: %.1f s" % dt


CASES = [t_badactor_late_genuine_is_not_extra, t_clean, t_two_leaders_one_term, t_lease_overlap, t_leases_touch,
         t_double_vote_log_across_restart, t_double_vote_samples, t_term_regression_samples,
         t_term_regression_log, t_rejoin_raises_term, t_rejoin_after_check_quorum_is_reported_apart,
         t_rejoin_stale_leader_claim_is_not_a_change,
         t_heal_never_converges, t_badactor_one_accepted, t_badactor_extra_rejection_is_a_note,
         t_badactor_extra_does_not_mask_accepted, t_badactor_changed_leader,
         t_heal_waits_for_stale_node_to_drop_out, t_heal_needs_the_leader_to_hold_a_lease,
         t_rejoin_needs_a_quorum, t_badactor_same_leader_new_term,
         t_truncated_last_line, t_missing_optional_files, t_empty_files, t_no_events_is_not_ok,
         t_cli]


def main():
    verbose = "-v" in sys.argv[1:]
    cases = list(CASES) + ([perf] if "--perf" in sys.argv[1:] else [])
    tmp = tempfile.mkdtemp(prefix="checker-test-")
    failed = []
    try:
        c = Case(tmp, verbose)
        for fn in cases:
            try:
                fn(c)
                print("ok   %s" % fn.__name__)
            except Exception as e:      # an AssertionError or a checker crash
                failed.append(fn.__name__)
                print("FAIL %s: %s" % (fn.__name__, e))
                if not isinstance(e, AssertionError):
                    traceback.print_exc()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d of %d passed" % (len(cases) - len(failed), len(cases)))
    if failed:
        print("failed: %s" % ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
