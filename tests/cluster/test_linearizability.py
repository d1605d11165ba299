#!/usr/bin/env python3
"""Self-test of the linearizability checker (linearizability.py).

    python3 test_linearizability.py [-v] [--seeds N] [--quick]

Exit 0 when every case passes, 1 otherwise (each failure is printed).
-v prints the text report of each hand-written case; --seeds sets the number of
randomized histories per random case (default 3000; --quick: 300).

Hand-written histories, one per rule of the model (each must get exactly its verdict,
a violation naming the operations involved); then randomized ones:
  - histories of a simulated linearizable store (clients with random overlapping
    intervals around a true linearization point; unknown outcomes applied or not;
    failed writes not applied) must always be linearizable;
  - small ones (<= 7 operations) and one read result mutated: the checker's verdict
    must equal an exhaustive search's (every order of every subset of the
    unknown-outcome writes, with a model written independently of the checker's:
    concrete version chains checked at the end) on both the original and the mutant;
  - small random histories with arbitrary results, same exact comparison;
  - larger simulated histories with one read mutated to a value never written must
    always fail, other mutations are counted;
  - with a budget too small for the whole history the checker searches windows after
    pinning operations: every verdict it reaches that way must still be right (against
    the exhaustive search on small histories; simulated histories never fail);
and a performance case: 10 clients, 5 keys, 20,000 operations with realistic overlap
(~7.5 operations in flight on average), 1% unknown outcomes, 2% failures; then the same
history with one stale read near the end.  Both times are printed.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True     # leave no __pycache__ in the source tree
sys.path.insert(0, HERE)
import linearizability as lz  # noqa: E402

VERBOSE = False


# ---------------------------------------------------------------------------
# Building histories by hand

class H:
    """A history under construction: one record per call."""

    def __init__(self):
        self.ops = []

    def _add(self, client, op, key, t0, t1, outcome, result, **kw):
        r = {"client": client, "op": op, "key": key, "invoke_ms": float(t0),
             "complete_ms": None if outcome == "unknown" else float(t1), "outcome": outcome}
        r.update(kw)
        if result is not None:
            r["result"] = result
        self.ops.append(r)
        return len(self.ops) - 1

    def put(self, c, t0, t1, value, version=None, key="k", outcome="ok"):
        res = {"version": version} if outcome == "ok" else (
            {"error": "not-leader"} if outcome == "fail" else None)
        return self._add(c, "put", key, t0, t1, outcome, res, value=value)

    def get(self, c, t0, t1, value, version=None, key="k", outcome="ok"):
        res = {"value": value, "version": version if version is not None else
               (0 if value is None else None)} if outcome == "ok" else None
        if res is not None and res["version"] is None:
            del res["version"]
        return self._add(c, "get", key, t0, t1, outcome, res)

    def cas(self, c, t0, t1, expected, value, version=None, current=None, key="k",
            outcome="ok"):
        if outcome == "ok":
            res = {"version": version}
        elif outcome == "fail":
            res = {"current_version": current} if current is not None else {
                "error": "not-leader"}
        else:
            res = None
        return self._add(c, "cas", key, t0, t1, outcome, res, value=value,
                         expected_version=expected)

    def dele(self, c, t0, t1, existed=None, key="k", outcome="ok"):
        res = ({"existed": existed} if existed is not None else {}) if outcome == "ok" else None
        return self._add(c, "del", key, t0, t1, outcome, res)


def check(h, **kw):
    ops = h.ops if isinstance(h, H) else h
    r = lz.check_history([dict(o) for o in ops], **kw)
    json.dumps(r)           # the report must serialise
    if VERBOSE:
        print(lz.format_report(r))
        print()
    return r


def eq(a, b, what):
    assert a == b, "%s: got %r, wanted %r" % (what, a, b)


def expect(h, verdict, involved=None, **kw):
    r = check(h, **kw)
    assert r["verdict"] == verdict, "verdict %s, wanted %s:\n%s" % (
        r["verdict"], verdict, lz.format_report(r))
    eq(r["ok"], verdict == "linearizable", "ok")
    if verdict == "not-linearizable":
        cx = r["counterexample"]
        assert cx is not None, "no counterexample"
        if involved is not None:
            got = sorted(o["index"] for o in cx["ops"])
            for i in involved:
                assert i in got, "counterexample ops %s do not name #%d:\n%s" % (
                    got, i, cx["explanation"])
    else:
        assert r["counterexample"] is None, "a counterexample on a %s history" % verdict
    return r


# ---------------------------------------------------------------------------
# Hand-written cases

def t_empty():
    r = expect(H(), "linearizable")
    eq(r["keys"], 0, "keys")


def t_sequential():
    h = H()
    h.get(1, 0, 1, None)
    h.put(1, 2, 3, "10", 4)
    h.get(2, 4, 5, "10", 4)
    h.put(2, 6, 7, "11", 9)
    h.cas(1, 8, 9, 9, "12", 12)
    h.cas(2, 10, 11, 9, "13", current=12, outcome="fail")
    h.get(1, 12, 13, "12", 12)
    h.dele(1, 14, 15, True)
    h.get(2, 16, 17, None, 0)
    h.dele(2, 18, 19, False)
    h.cas(1, 20, 21, 0, "14", 30)
    h.get(1, 22, 23, "14", 30)
    h.put(1, 24, 25, "a", 31, key="other")
    h.get(2, 26, 27, "a", 31, key="other")
    r = expect(h, "linearizable")
    eq(r["keys"], 2, "keys")
    eq(r["per_key"]["k"]["ops"], 12, "ops of k")
    eq(r["per_key"]["k"]["result"], "linearizable", "k")
    eq(r["by_outcome"], {"ok": 13, "fail": 1, "unknown": 0}, "by_outcome")
    eq(r["by_op"], {"put": 3, "get": 6, "cas": 3, "del": 2}, "by_op")


def t_concurrent_get_sees_either():
    for seen in (None, "1"):
        h = H()
        h.put(1, 0, 10, "1", 5)
        h.get(2, 2, 8, seen, 5 if seen else 0)
        expect(h, "linearizable")
    # Overlapping put and two gets: old then new is fine, new then old is not.
    h = H()
    h.put(1, 0, 1, "1", 1)
    h.put(1, 10, 30, "2", 2)
    h.get(2, 11, 15, "1", 1)
    h.get(3, 16, 20, "2", 2)
    expect(h, "linearizable")
    h = H()
    h.put(1, 0, 1, "1", 1)
    p2 = h.put(1, 10, 30, "2", 2)
    g1 = h.get(2, 11, 15, "2", 2)
    g2 = h.get(3, 16, 20, "1", 1)
    expect(h, "not-linearizable", [p2, g1, g2])


def t_stale_read():
    h = H()
    p1 = h.put(1, 0, 10, "1", 1)
    p2 = h.put(1, 20, 30, "2", 2)
    g = h.get(2, 40, 50, "1", 1)
    r = expect(h, "not-linearizable", [p1, p2, g])
    cx = r["counterexample"]
    eq(cx["key"], "k", "key")
    eq([s["index"] for s in cx["stuck"]], [g], "stuck")
    eq(cx["longest_prefix"]["definite"], 2, "prefix")
    assert '"2" v2' in cx["longest_prefix"]["state"], cx["longest_prefix"]
    assert "#%d" % g in cx["explanation"] and "#%d" % p2 in cx["explanation"], cx["explanation"]
    # The same read overlapping the second put is fine.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(1, 20, 30, "2", 2)
    h.get(2, 29, 50, "1", 1)
    expect(h, "linearizable")
    # Touching intervals are concurrent (complete == invoke).
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(1, 20, 30, "2", 2)
    h.get(2, 30, 50, "1", 1)
    expect(h, "linearizable")


def t_lost_write():
    h = H()
    p1 = h.put(1, 0, 10, "1", 3)
    p2 = h.put(2, 20, 30, "2", 7)
    h.get(3, 40, 45, "1", 3)
    h.get(1, 50, 55, "1", 3)
    r = expect(h, "not-linearizable", [p1, p2])
    eq(r["failing_keys"], ["k"], "failing keys")
    # The lost write's version reused for the old value: a value never written at it.
    h = H()
    h.put(1, 0, 10, "1", 3)
    h.put(2, 20, 30, "2", 7)
    h.get(3, 40, 45, "1", 7)
    expect(h, "not-linearizable")
    # The other key is unaffected; the report names only k.
    h = H()
    h.put(1, 0, 10, "x", 1, key="a")
    h.put(1, 11, 12, "1", 3)
    h.put(2, 20, 30, "2", 7)
    h.get(3, 40, 45, "1", 3)
    h.get(3, 46, 47, "x", 1, key="a")
    r = expect(h, "not-linearizable")
    eq(r["per_key"]["a"]["result"], "linearizable", "key a")
    eq(r["failing_keys"], ["k"], "failing keys")


def t_versions_order_writes():
    # v5 completed before v3 was invoked: versions must increase in real-time order.
    h = H()
    a = h.put(1, 0, 10, "a", 5)
    b = h.put(2, 20, 30, "b", 3)
    expect(h, "not-linearizable", [a, b])
    # Concurrent: the versions give the order; a get after both must see v5.
    h = H()
    h.put(1, 0, 10, "a", 5)
    h.put(2, 5, 30, "b", 3)
    h.get(3, 40, 41, "a", 5)
    expect(h, "linearizable")
    h = H()
    h.put(1, 0, 10, "a", 5)
    h.put(2, 5, 30, "b", 3)
    h.get(3, 40, 41, "b", 3)
    expect(h, "not-linearizable")
    # Two writes cannot share a version.
    h = H()
    h.put(1, 0, 10, "a", 5)
    h.put(2, 0, 10, "b", 5)
    expect(h, "not-linearizable")
    # A read's version must be the write's.
    h = H()
    h.put(1, 0, 10, "a", 5)
    g = h.get(2, 20, 30, "a", 6)
    expect(h, "not-linearizable", [g])


def t_cas():
    # Two concurrent cas from the same version cannot both succeed.
    h = H()
    h.put(1, 0, 10, "1", 1)
    a = h.cas(2, 20, 40, 1, "2", 2)
    b = h.cas(3, 21, 39, 1, "3", 3)
    expect(h, "not-linearizable", [a, b])
    # One succeeds, the other fails and sees the winner's version.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.cas(2, 20, 40, 1, "2", 2)
    h.cas(3, 21, 39, 1, "3", current=2, outcome="fail")
    h.get(1, 50, 51, "2", 2)
    expect(h, "linearizable")
    # ... or fails before it, seeing 1?  No: a mismatch cannot report the expected version.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.cas(2, 20, 40, 1, "2", 2)
    c = h.cas(3, 21, 39, 1, "3", current=1, outcome="fail")
    expect(h, "not-linearizable", [c])
    # A cas that fails although the version matched (sequentially).
    h = H()
    h.put(1, 0, 10, "1", 1)
    c = h.cas(2, 20, 30, 1, "2", current=4, outcome="fail")
    expect(h, "not-linearizable", [c])
    # A cas that succeeds against the wrong version.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(1, 11, 12, "2", 2)
    c = h.cas(2, 20, 30, 1, "3", 3)
    expect(h, "not-linearizable", [c])
    # Expected version 0: must not exist.
    h = H()
    h.cas(1, 0, 10, 0, "1", 1)
    h.cas(2, 20, 30, 0, "2", current=1, outcome="fail")
    h.get(1, 40, 41, "1", 1)
    expect(h, "linearizable")
    h = H()
    h.put(1, 0, 10, "1", 1)
    c = h.cas(2, 20, 30, 0, "2", 2)
    expect(h, "not-linearizable", [c])
    # A cas fail with an error (not-leader) is dropped: it was not applied.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.cas(2, 20, 30, 1, "2", outcome="fail")
    h.get(1, 40, 41, "1", 1)
    r = expect(h, "linearizable")
    eq(r["dropped"]["cas_fail_without_version"], 1, "dropped cas fail")
    # The new version must be above the one replaced.
    h = H()
    h.put(1, 0, 10, "1", 5)
    h.cas(2, 20, 30, 5, "2", 4)
    expect(h, "not-linearizable")


def t_unknown_writes():
    # An unknown put: later reads consistent with it happening ...
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "2", 6)
    h.get(3, 40, 41, "2", 6)
    expect(h, "linearizable")
    # ... and with it not happening (then it must never show up).
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "1", 1)
    h.get(3, 400, 401, "1", 1)
    expect(h, "linearizable")
    # ... and taking effect long after its invocation.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "1", 1)
    h.get(3, 400, 401, "2", 8)
    expect(h, "linearizable")
    # Seen, then unseen: it cannot be undone.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "2", 6)
    g = h.get(3, 40, 41, "1", 1)
    expect(h, "not-linearizable", [g])
    # Once a read saw its version, it is that version.
    h = H()
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "2", 6)
    g = h.get(3, 40, 41, "2", 7)
    expect(h, "not-linearizable", [g])
    # Its version cannot be one another write returned.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(2, 20, None, "1", outcome="unknown")
    h.put(1, 100, 110, "x", 9)
    g = h.get(3, 30, 31, "1", 9)
    expect(h, "not-linearizable", [g])
    # Its version must lie above the versions before it and below those after.
    h = H()
    h.put(1, 0, 10, "1", 5)
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "2", 4)
    expect(h, "not-linearizable")
    h = H()
    h.put(1, 0, 10, "1", 5)
    h.put(2, 20, None, "2", outcome="unknown")
    h.get(3, 30, 31, "2", 6)
    h.put(1, 40, 50, "3", 6)
    expect(h, "not-linearizable")
    h = H()
    h.put(1, 0, 10, "1", 5)
    h.put(2, 20, None, "2", outcome="unknown")
    h.put(1, 40, 50, "3", 6)
    expect(h, "linearizable")           # it then never happened, or after v6
    h = H()
    h.put(1, 0, 10, "1", 5)
    h.put(2, 20, None, "2", outcome="unknown")
    h.put(1, 40, 50, "3", 7)
    h.get(3, 60, 61, "3", 7)
    expect(h, "linearizable")
    # Two unknown puts in a row between v5 and v7 need versions 6 and ... none left.
    h = H()
    h.put(1, 0, 10, "1", 5)
    h.put(2, 20, None, "a", outcome="unknown")
    h.put(3, 20, None, "b", outcome="unknown")
    h.get(4, 30, 31, "a")
    h.get(4, 32, 33, "b")
    h.put(1, 40, 50, "3", 7)
    expect(h, "not-linearizable")
    h.ops[-1]["result"]["version"] = 8
    expect(h, "linearizable")
    # An unknown cas: applied or not.
    for seen, ver in (("2", 7), ("1", 1)):
        h = H()
        h.put(1, 0, 10, "1", 1)
        h.cas(2, 20, None, 1, "2", outcome="unknown")
        h.get(3, 30, 31, seen, ver)
        expect(h, "linearizable")
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(1, 11, 12, "x", 2)
    h.cas(2, 20, None, 1, "2", outcome="unknown")   # version 1 is gone: cannot apply
    g = h.get(3, 30, 31, "2", 7)
    expect(h, "not-linearizable", [g])
    # An unknown delete.
    for seen in (None, "1"):
        h = H()
        h.put(1, 0, 10, "1", 1)
        h.dele(2, 20, None, outcome="unknown")
        h.get(3, 30, 31, seen, 0 if seen is None else 1)
        expect(h, "linearizable")
    # An unknown put that makes a delete find the key.
    h = H()
    h.put(2, 20, None, "2", outcome="unknown")
    h.dele(3, 30, 31, True)
    h.get(3, 40, 41, None, 0)
    expect(h, "linearizable")
    # An unknown write never observed is dropped before the search.
    h = H()
    h.put(1, 0, 10, "1", 1)
    for i in range(50):
        h.put(2, 20 + i, None, "u%d" % i, outcome="unknown")
    h.get(3, 100, 101, "1", 1)
    r = expect(h, "linearizable")
    eq(r["dropped"]["unobservable_unknown_writes"], 50, "dropped unknown writes")
    eq(r["by_outcome"]["unknown"], 50, "unknown outcomes")


def t_unknown_many_observable():
    """Many overlapping unknown writes that could be observed: the reductions keep the
    search small (without them it grows as 2^k)."""
    h = H()
    h.put(1, 0, 1, "0", 1)
    for i in range(40):
        h.put(2, 10 + i, None, "u%d" % i, outcome="unknown")
    h.dele(3, 200, 210, True)
    for i in range(40):
        h.get(4, 300 + i, 300.5 + i, None, 0)
    h.get(4, 400, 401, "u7")
    r = expect(h, "linearizable")
    assert r["per_key"]["k"]["explored"] < 20000, r["per_key"]["k"]
    h.ops[-1]["result"]["value"] = "nobody"
    r = expect(h, "not-linearizable")
    assert r["per_key"]["k"]["explored"] < 50000, r["per_key"]["k"]


def t_never_written_value():
    h = H()
    h.put(1, 0, 10, "1", 1)
    g = h.get(2, 5, 15, "9", 1)
    expect(h, "not-linearizable", [g])
    h = H()
    g = h.get(2, 5, 15, "9", 3)
    expect(h, "not-linearizable", [g])
    # A failed (not applied) put's value cannot be read either.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.put(1, 20, 30, "9", outcome="fail")
    g = h.get(2, 40, 41, "9")
    r = expect(h, "not-linearizable", [g])
    eq(r["dropped"]["failed_writes"], 1, "dropped failed writes")


def t_delete():
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.dele(2, 20, 30, True)
    h.get(3, 40, 41, None, 0)
    h.dele(2, 50, 60, False)
    h.put(1, 70, 80, "2", 4)
    h.get(3, 90, 91, "2", 4)
    expect(h, "linearizable")
    # A read after the delete sees the old value.
    h = H()
    h.put(1, 0, 10, "1", 1)
    d = h.dele(2, 20, 30, True)
    g = h.get(3, 40, 41, "1", 1)
    expect(h, "not-linearizable", [d, g])
    # A delete that found nothing while the key existed.
    h = H()
    h.put(1, 0, 10, "1", 1)
    d = h.dele(2, 20, 30, False)
    expect(h, "not-linearizable", [d])
    # A delete that found a key that never existed.
    h = H()
    d = h.dele(2, 20, 30, True)
    expect(h, "not-linearizable", [d])
    # Two concurrent deletes cannot both find it.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.dele(2, 20, 30, True)
    h.dele(3, 21, 29, True)
    expect(h, "not-linearizable")
    h.ops[-1]["result"]["existed"] = False
    expect(h, "linearizable")
    # The delete is a log entry: the next write's version is above the one deleted + 1.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.dele(2, 20, 30, True)
    h.put(1, 40, 50, "2", 2)
    expect(h, "not-linearizable")
    # An absent key reads as version 0; a delete without "existed" may find either.
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.dele(2, 20, 30)
    h.dele(2, 31, 32)
    g = h.get(3, 40, 41, None, 5)
    expect(h, "not-linearizable", [g])
    h.ops[-1]["result"]["version"] = 0
    expect(h, "linearizable")


def t_failed_and_unknown_reads_dropped():
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.get(2, 20, 30, "zzz", 99, outcome="fail")
    h.ops[-1]["result"] = {"value": "zzz", "version": 99}
    h.get(2, 40, None, "zzz", outcome="unknown")
    h.dele(3, 50, 60, outcome="fail")
    h.get(3, 70, 71, "1", 1)
    r = expect(h, "linearizable")
    eq(r["dropped"]["failed_or_unknown_reads"], 2, "dropped reads")
    eq(r["dropped"]["failed_writes"], 1, "dropped deletes")
    eq(r["checked"], 2, "checked")


def t_budget_gives_unknown():
    h = H()
    for i in range(30):
        h.put(i, 0, 100, str(i), None)       # no versions: many orders to explore
    h.get(99, 200, 201, "nobody")
    r = check(h, max_states=50)
    eq(r["verdict"], "unknown", "verdict")
    eq(r["ok"], False, "ok")
    eq(r["per_key"]["k"]["result"], "unknown", "key result")
    eq(r["per_key"]["k"]["ok"], False, "key ok")
    assert "budget" in r["per_key"]["k"]["why"], r["per_key"]["k"]
    eq(r["unknown_keys"], ["k"], "unknown keys")
    r = check(h, time_limit_s=0.0)
    eq(r["verdict"], "unknown", "verdict with no time")
    # An unknown key and a failing key: not linearizable (a failing key is definite).
    h.put(1, 0, 1, "a", 1, key="b")
    h.get(1, 2, 3, "z", 1, key="b")
    r = check(h, max_states=50)
    eq(r["verdict"], "not-linearizable", "verdict")
    eq(r["unknown_keys"], ["k"], "unknown keys")
    eq(r["failing_keys"], ["b"], "failing keys")


def t_invalid_records():
    h = H()
    h.put(1, 0, 10, "1", 1)
    h.get(2, 20, 30, "1", 1)
    h.put(1, 0, 10, "x", 1, key="other")
    bad = dict(h.ops[0], invoke_ms="soon")
    r = check(h.ops + [bad])
    eq(r["verdict"], "unknown", "verdict")
    eq(r["invalid_count"], 1, "invalid")
    eq(r["per_key"]["k"]["result"], "unknown", "tainted key")
    eq(r["per_key"]["other"]["result"], "linearizable", "other key")
    r = check(h.ops + [{"op": "frobnicate", "key": 3}])
    eq(r["verdict"], "unknown", "verdict")
    eq(r["per_key"]["other"]["result"], "unknown", "all keys tainted")
    for mutate in ({"outcome": "maybe"}, {"complete_ms": None}, {"result": None},
                   {"complete_ms": -5.0}):
        r = check([dict(h.ops[0], **mutate)])
        eq(r["verdict"], "unknown", "verdict for %s" % mutate)
    r = check([dict(h.ops[1], result={"version": 1})])
    eq(r["verdict"], "unknown", "a get ok without result.value")


def t_cli():
    tmp = tempfile.mkdtemp(prefix="lin-test-")
    try:
        script = os.path.join(HERE, "linearizability.py")

        def write(name, ops, tail=""):
            p = os.path.join(tmp, name)
            with open(p, "w") as f:
                for o in ops:
                    f.write(json.dumps(o) + "\n")
                f.write(tail)
            return p

        h = H()
        h.put(1, 0, 10, "1", 1)
        h.get(2, 20, 30, "1", 1)
        p_ok = write("ok.jsonl", h.ops)
        h.put(1, 40, 50, "2", 2)
        h.get(2, 60, 70, "1", 1)
        p_bad = write("bad.jsonl", h.ops)
        p_trunc = write("trunc.jsonl", h.ops[:2], '{"client": 1, "op": "pu')
        p = subprocess.run([sys.executable, script, p_ok], capture_output=True, text=True)
        eq(p.returncode, 0, "exit code, linearizable")
        assert "result: LINEARIZABLE" in p.stdout, p.stdout
        p = subprocess.run([sys.executable, script, p_bad], capture_output=True, text=True)
        eq(p.returncode, 1, "exit code, not linearizable")
        assert "result: NOT LINEARIZABLE" in p.stdout and "#3" in p.stdout, p.stdout
        assert '"line": 4' in p.stdout, p.stdout
        p = subprocess.run([sys.executable, script, p_bad, "--json"], capture_output=True,
                           text=True)
        eq(p.returncode, 1, "exit code, --json")
        r = json.loads(p.stdout)
        eq(r["verdict"], "not-linearizable", "JSON verdict")
        eq(sorted(o["line"] for o in r["counterexample"]["ops"]), [1, 3, 4], "JSON lines")
        p = subprocess.run([sys.executable, script, p_trunc], capture_output=True, text=True)
        eq(p.returncode, 2, "exit code, truncated line")
        assert "line 3" in p.stdout and "result: UNKNOWN" in p.stdout, p.stdout
        p = subprocess.run([sys.executable, script, os.path.join(tmp, "missing.jsonl")],
                           capture_output=True, text=True)
        eq(p.returncode, 2, "exit code, missing file")
        p = subprocess.run([sys.executable, script], capture_output=True, text=True)
        eq(p.returncode, 2, "exit code, no argument")
        h = H()
        for i in range(30):
            h.put(i, 0, 100, str(i), None)
        h.get(99, 200, 201, "nobody")
        p_big = write("big.jsonl", h.ops)
        p = subprocess.run([sys.executable, script, p_big, "--max-states", "50"],
                           capture_output=True, text=True)
        eq(p.returncode, 2, "exit code, out of budget")
        assert "result: UNKNOWN" in p.stdout, p.stdout
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------
# The exhaustive reference.  Its own model: each key a register; the versions of the
# writes that took effect on a key form a chain, each a known integer or a variable
# (a version nobody reported); reads compare with, or bind, the latest; at the end the
# chain must be strictly increasing, from 1 up, with room for the variables.

def _ref_ops(records):
    out = []
    for r in records:
        op, oc, res = r["op"], r["outcome"], r.get("result") or {}
        if op == "get" and oc != "ok":
            continue
        if op in ("put", "del") and oc == "fail":
            continue
        if op == "cas" and oc == "fail" and "current_version" not in res:
            continue
        out.append({"op": op, "oc": oc, "key": r["key"], "value": r.get("value"),
                    "exp": r.get("expected_version"), "res": res, "t0": r["invoke_ms"],
                    "t1": float("inf") if oc == "unknown" else r["complete_ms"]})
    return out


def _chain_ok(chain, bind):
    vals = [bind.get(x, x) if isinstance(x, str) else x for x in chain]
    last, free = 0, 0
    for v in vals:
        if isinstance(v, str):
            free += 1
            continue
        if v - last - 1 < free:
            return False
        last, free = v, 0
    return True


def reference_linearizable(records):
    ops = _ref_ops(records)
    n = len(ops)
    definite = [i for i in range(n) if ops[i]["oc"] != "unknown"]
    before = [[j for j in range(n) if ops[j]["oc"] != "unknown" and ops[j]["t1"] < ops[i]["t0"]]
              for i in range(n)]
    placed = [False] * n
    counter = [0]

    def cur_version(reg, bind):
        if reg is None:
            return 0
        v = reg[1]
        return bind.get(v, v) if isinstance(v, str) else v

    def match_version(reg, bind, want):
        """(ok, bind'): does the register's version equal want (binding a variable)?"""
        if reg is None:
            return want == 0, bind
        v = reg[1]
        if isinstance(v, str) and v not in bind:
            if want == 0:
                return False, bind
            b = dict(bind)
            b[v] = want
            return True, b
        return cur_version(reg, bind) == want, bind

    def new_var():
        counter[0] += 1
        return "x%d" % counter[0]

    def apply(o, regs, chains, bind):
        """-> list of (regs, chains, bind) after o (empty when not possible)."""
        k = o["key"]
        reg = regs.get(k)
        res = o["res"]

        def write(val, ver):
            ver = ver if ver is not None else new_var()
            r2 = dict(regs)
            r2[k] = (val, ver)
            c2 = dict(chains)
            c2[k] = chains.get(k, ()) + (ver,)
            return r2, c2

        if o["op"] == "get":
            want = res.get("value")
            if want is None:
                if reg is not None or res.get("version", 0) != 0:
                    return []
                return [(regs, chains, bind)]
            if reg is None or reg[0] != want:
                return []
            if res.get("version") is None:
                return [(regs, chains, bind)]
            ok, b = match_version(reg, bind, res["version"])
            return [(regs, chains, b)] if ok else []
        if o["op"] == "put":
            return [write(o["value"], res.get("version") if o["oc"] == "ok" else None) +
                    (bind,)]
        if o["op"] == "cas":
            if o["oc"] == "fail":
                c = res["current_version"]
                if c == o["exp"]:
                    return []
                ok, b = match_version(reg, bind, c)
                return [(regs, chains, b)] if ok else []
            ok, b = match_version(reg, bind, o["exp"])
            if not ok:
                return []       # an unknown cas that does not apply: the same as never
            return [write(o["value"], res.get("version") if o["oc"] == "ok" else None) + (b,)]
        # del
        existed = res.get("existed") if o["oc"] == "ok" else None
        if reg is None:
            if existed is True or o["oc"] == "unknown":
                return []       # an unknown delete of nothing: the same as never
            return [(regs, chains, bind)]
        if existed is False:
            return []
        r2 = dict(regs)
        del r2[k]
        c2 = dict(chains)
        c2[k] = chains.get(k, ()) + (new_var(),)
        return [(r2, c2, bind)]

    def rec(done, regs, chains, bind):
        if done == len(definite):
            return all(_chain_ok(c, bind) for c in chains.values())
        for i in range(n):
            if placed[i] or any(not placed[j] for j in before[i]):
                continue
            for regs2, chains2, bind2 in apply(ops[i], regs, chains, bind):
                placed[i] = True
                ok = rec(done + (ops[i]["oc"] != "unknown"), regs2, chains2, bind2)
                placed[i] = False
                if ok:
                    return True
        return False

    return rec(0, {}, {}, {})


# ---------------------------------------------------------------------------
# A simulated linearizable store

def simulate(rng, n_ops, n_clients, keys, p_unknown=0.08, p_fail=0.05, dur=(0.5, 20.0),
             think=(0.0, 5.0), values=5, mix=(0.3, 0.4, 0.2, 0.1)):
    """Records of n_ops operations by n_clients clients on keys, each applied at a random
    point inside its interval (an unknown one at a random point after its invocation, or
    never), results from a true store whose versions are a shared log index."""
    clock = [rng.uniform(0, 5) for _ in range(n_clients)]
    intents = []
    for i in range(n_ops):
        c = rng.randrange(n_clients)
        t0 = clock[c] + rng.uniform(*think)
        t1 = t0 + rng.uniform(*dur)
        clock[c] = t1
        op = rng.choices(("get", "put", "cas", "del"), weights=mix)[0]
        r = rng.random()
        outcome = "unknown" if r < p_unknown else "fail" if r < p_unknown + p_fail else "ok"
        lp = rng.uniform(t0, t1)
        applies = outcome == "ok" or (outcome == "unknown" and rng.random() < 0.5)
        if outcome == "unknown":
            lp = t0 + rng.uniform(0, 3 * (t1 - t0))
        intents.append({"i": i, "client": c, "op": op, "key": rng.choice(keys), "t0": t0,
                        "t1": t1, "outcome": outcome, "lp": lp, "applies": applies,
                        "value": "v%d" % rng.randrange(values)})
    store = {}
    index = 0
    recs = [None] * n_ops
    for it in sorted(intents, key=lambda x: x["lp"]):
        k = it["key"]
        cur = store.get(k)
        rec = {"client": it["client"], "op": it["op"], "key": k, "invoke_ms": round(it["t0"], 3),
               "complete_ms": None if it["outcome"] == "unknown" else round(it["t1"], 3),
               "outcome": it["outcome"]}
        index += rng.choice((1, 1, 1, 2, 5))       # other keys' entries, no-ops
        if it["op"] == "get":
            if it["outcome"] == "ok":
                rec["result"] = ({"value": cur[0], "version": cur[1]} if cur
                                 else {"value": None, "version": 0})
            elif it["outcome"] == "fail":
                rec["result"] = {"error": "not-leader"}
        elif it["op"] == "put":
            rec["value"] = it["value"]
            if it["applies"]:
                store[k] = (it["value"], index)
            if it["outcome"] == "ok":
                rec["result"] = {"version": index}
            elif it["outcome"] == "fail":
                rec["result"] = {"error": "not-leader"}
        elif it["op"] == "cas":
            rec["value"] = it["value"]
            curv = cur[1] if cur else 0
            r = rng.random()
            exp = curv if r < 0.6 else 0 if r < 0.7 else max(0, curv - rng.randrange(1, 6))
            rec["expected_version"] = exp
            if it["outcome"] == "fail" and rng.random() < 0.5:
                rec["result"] = {"error": "not-leader"}
            elif exp == curv:
                if it["outcome"] == "fail":
                    rec["result"] = {"error": "not-leader"}
                elif it["applies"]:
                    store[k] = (it["value"], index)
                    if it["outcome"] == "ok":
                        rec["result"] = {"version": index}
            else:
                if it["outcome"] == "ok":
                    rec["outcome"] = "fail"
                    rec["result"] = {"current_version": curv}
                elif it["outcome"] == "fail":
                    rec["result"] = {"current_version": curv}
        else:
            existed = k in store
            if it["applies"] and existed:
                del store[k]
            if it["outcome"] == "ok":
                rec["result"] = {"existed": existed}
            elif it["outcome"] == "fail":
                rec["result"] = {"error": "not-leader"}
        recs[it["i"]] = rec
    return recs


def fuzz_history(rng, n_ops, keys):
    """Arbitrary small histories: random intervals and plausible but random results."""
    recs = []
    vals = ["a", "b", "c"]
    for _ in range(n_ops):
        t0 = rng.uniform(0, 20)
        oc = rng.choices(("ok", "fail", "unknown"), weights=(7, 1, 2))[0]
        op = rng.choice(("get", "put", "cas", "del"))
        rec = {"client": rng.randrange(3), "op": op, "key": rng.choice(keys),
               "invoke_ms": round(t0, 1),
               "complete_ms": None if oc == "unknown" else round(t0 + rng.uniform(0, 8), 1),
               "outcome": oc}
        v = rng.randrange(0, 7)
        if op == "get":
            if oc == "ok":
                rec["result"] = ({"value": None, "version": 0} if rng.random() < 0.25 else
                                 {"value": rng.choice(vals), "version": rng.randrange(1, 7)})
        elif op == "put":
            rec["value"] = rng.choice(vals)
            if oc == "ok":
                rec["result"] = {"version": rng.randrange(1, 7)}
        elif op == "cas":
            rec["value"] = rng.choice(vals)
            rec["expected_version"] = rng.randrange(0, 5)
            if oc == "ok":
                rec["result"] = {"version": rng.randrange(1, 7)}
            elif oc == "fail":
                rec["result"] = {"current_version": v}
        else:
            if oc == "ok":
                rec["result"] = {"existed": rng.random() < 0.5}
        recs.append(rec)
    return recs


def mutate(rng, recs):
    """Change one read's result (a get ok or a cas fail; else any result).  -> (recs, what)
    or None when there is nothing to change."""
    reads = [i for i, r in enumerate(recs)
             if r["outcome"] == "ok" and r["op"] == "get"
             or r["op"] == "cas" and r["outcome"] == "fail"
             and "current_version" in (r.get("result") or {})]
    if not reads:
        return None
    i = rng.choice(reads)
    r = json.loads(json.dumps(recs[i]))
    res = r["result"]
    written = sorted({x["value"] for x in recs if x["op"] in ("put", "cas")
                      and x["key"] == r["key"]})
    versions = sorted({x["result"]["version"] for x in recs if x["outcome"] == "ok"
                       and x["op"] in ("put", "cas") and x["key"] == r["key"]
                       and x["result"].get("version")} | {0})
    if r["op"] == "cas":
        res["current_version"] = rng.choice([v for v in versions + [res["current_version"] + 1]
                                             if v != res["current_version"]] or [7])
        what = "current_version"
    else:
        m = rng.randrange(4)
        if m == 0 or not written:
            res["value"], what = "never-written", "never-written value"
        elif m == 1:
            res["value"], what = rng.choice(written), "another value"
            res["version"] = rng.choice(versions)
        elif m == 2:
            v = res.get("version") or 0
            res["version"] = v + rng.choice((-1, 1, 2) if v > 0 else (1, 2))
            what = "version"
        else:
            if res.get("value") is None:
                res["value"], res["version"] = (rng.choice(written) if written else "x",
                                                rng.choice(versions) or 1)
            else:
                res["value"], res["version"] = None, 0
            what = "present/absent"
    out = list(recs)
    out[i] = r
    return out, what


def _verdict_bool(r):
    assert r["verdict"] in ("linearizable", "not-linearizable"), r["verdict"]
    return r["verdict"] == "linearizable"


def t_random_small_exact(seeds):
    """Simulated histories of <= 7 operations, and each mutated: verdicts equal the
    exhaustive reference's."""
    agree = broken = 0
    for seed in range(seeds):
        rng = random.Random(seed)
        n = rng.randrange(2, 8)
        recs = simulate(rng, n, rng.randrange(1, 4), ["k", "j"][:rng.randrange(1, 3)],
                        p_unknown=0.2, p_fail=0.1, values=3)
        r = check(recs)
        assert _verdict_bool(r), "seed %d: a simulated history not linearizable:\n%s\n%s" % (
            seed, "\n".join(json.dumps(x) for x in recs), lz.format_report(r))
        assert reference_linearizable(recs), "seed %d: reference disagrees on %s" % (
            seed, recs)
        m = mutate(rng, recs)
        if m is None:
            continue
        mrecs, what = m
        want = reference_linearizable(mrecs)
        got = _verdict_bool(check(mrecs))
        assert got == want, "seed %d (%s): checker %s, exhaustive search %s:\n%s" % (
            seed, what, got, want, "\n".join(json.dumps(x) for x in mrecs))
        agree += 1
        broken += not want
    print("     %d simulated histories ok; %d mutants compared exactly, %d of them broken"
          % (seeds, agree, broken))
    assert broken > agree // 4, "too few mutants break the history: %d of %d" % (broken, agree)


def t_random_fuzz_exact(seeds):
    """Arbitrary histories of <= 7 operations: verdicts equal the reference's."""
    lin = 0
    for seed in range(seeds):
        rng = random.Random(10 ** 6 + seed)
        recs = fuzz_history(rng, rng.randrange(1, 8), ["k", "j"][:rng.randrange(1, 3)])
        want = reference_linearizable(recs)
        got = _verdict_bool(check(recs))
        assert got == want, "fuzz seed %d: checker %s, exhaustive search %s:\n%s" % (
            seed, got, want, "\n".join(json.dumps(x) for x in recs))
        lin += want
    print("     %d arbitrary histories compared exactly, %d linearizable" % (seeds, lin))
    assert 0 < lin < seeds, "the fuzz histories are all one way"


def t_random_larger(seeds):
    """Simulated histories of 20-300 operations are linearizable; a read mutated to a
    value never written never is; other mutations are counted."""
    counts = {}
    explored = 0
    for seed in range(seeds):
        rng = random.Random(2 * 10 ** 6 + seed)
        n = rng.randrange(20, 300)
        recs = simulate(rng, n, rng.randrange(2, 11), ["a", "b", "c"][:rng.randrange(1, 4)],
                        p_unknown=rng.choice((0.0, 0.02, 0.1)), p_fail=0.05,
                        dur=(0.5, rng.choice((2.0, 20.0, 60.0))))
        r = check(recs)
        assert r["verdict"] == "linearizable", "seed %d: %s\n%s" % (
            seed, lz.format_report(r), "\n".join(json.dumps(x) for x in recs))
        explored += sum(x["explored"] for x in r["per_key"].values())
        m = mutate(rng, recs)
        if m is None:
            continue
        mrecs, what = m
        mr = check(mrecs)
        assert mr["verdict"] != "unknown", "seed %d: out of budget" % seed
        c = counts.setdefault(what, [0, 0])
        c[0] += 1
        c[1] += mr["verdict"] == "not-linearizable"
        if what == "never-written value":
            assert mr["verdict"] == "not-linearizable", "seed %d: a never-written value " \
                "passed:\n%s" % (seed, "\n".join(json.dumps(x) for x in mrecs))
    print("     %d histories ok (%d states explored); mutants flagged: %s" % (
        seeds, explored, ", ".join("%s %d/%d" % (k, v[1], v[0])
                                   for k, v in sorted(counts.items()))))


def t_windows_sound(seeds):
    """With a tiny budget the whole-history search gives up and windows after pinning
    operations are searched instead: a verdict reached that way must be right (the
    exhaustive reference on small histories; simulated histories are linearizable)."""
    decided = by_window = found = 0
    for seed in range(seeds):
        rng = random.Random(3 * 10 ** 6 + seed)
        if seed % 2:
            recs = fuzz_history(rng, rng.randrange(1, 8), ["k"])
        else:
            recs = simulate(rng, rng.randrange(2, 8), rng.randrange(1, 4), ["k"],
                            p_unknown=0.2, p_fail=0.1, values=3)
            m = mutate(rng, recs)
            if m is not None:
                recs = m[0]
        r = check(recs, max_states=rng.randrange(1, 8))
        if r["verdict"] == "unknown":
            continue
        decided += 1
        by_window += bool(r["counterexample"] and r["counterexample"]["pinned_by"] is not None)
        want = reference_linearizable(recs)
        assert (r["verdict"] == "linearizable") == want, (
            "seed %d: %s with a tiny budget, the exhaustive search says %s:\n%s\n%s" % (
                seed, r["verdict"], want, "\n".join(json.dumps(x) for x in recs),
                lz.format_report(r)))
    for seed in range(max(20, seeds // 10)):
        rng = random.Random(4 * 10 ** 6 + seed)
        recs = simulate(rng, rng.randrange(50, 400), rng.randrange(2, 6), ["a"],
                        p_unknown=rng.choice((0.02, 0.1, 0.3)), p_fail=0.05,
                        dur=(0.5, rng.choice((2.0, 10.0))), think=(0.0, 10.0))
        budget = int(len(recs) * rng.uniform(0.9, 1.3))     # the first descent, about
        r = check(recs, max_states=budget)
        assert r["verdict"] != "not-linearizable", "seed %d: windows refuted a simulated " \
            "history:\n%s" % (seed, lz.format_report(r))
        idx = [i for i, x in enumerate(recs) if x["op"] == "get" and x["outcome"] == "ok"]
        if idx:
            bad = list(recs)
            i = idx[-1]
            bad[i] = dict(recs[i], result={"value": "never-written", "version": 1})
            r = check(bad, max_states=budget)
            assert r["verdict"] != "linearizable", "seed %d: a never-written value " \
                "passed" % seed
            found += r["verdict"] == "not-linearizable"
    # A small first stage, then windows, then the whole history again with the full
    # budget: never the opposite verdict of the usual stages (a window can decide what
    # the whole history's search cannot, within the budget, and the other way round).
    saved = lz.FIRST_STAGE_STATES
    staged = same = 0
    try:
        for seed in range(max(20, seeds // 10)):
            rng = random.Random(5 * 10 ** 6 + seed)
            recs = simulate(rng, rng.randrange(50, 300), rng.randrange(2, 6), ["a"],
                            p_unknown=rng.choice((0.05, 0.2)), p_fail=0.05,
                            dur=(0.5, 10.0), think=(0.0, 5.0), values=4)
            m = mutate(rng, recs)
            for h in [recs] + ([m[0]] if m else []):
                lz.FIRST_STAGE_STATES = saved
                want = check(h, max_states=50000)["verdict"]
                lz.FIRST_STAGE_STATES = rng.randrange(1, len(h) + 1)
                got = check(h, max_states=50000)["verdict"]
                assert {got, want} != {"linearizable", "not-linearizable"}, (
                    "seed %d: %s with a small first stage, %s with the usual one" % (
                        seed, got, want))
                if h is recs:
                    eq(got, "linearizable", "seed %d: a simulated history" % seed)
                staged += 1
                same += got == want
    finally:
        lz.FIRST_STAGE_STATES = saved
    print("     %d histories checked with a small first stage, %d with the same verdict as "
          "with the usual one, none with the opposite" % (staged, same))
    print("     %d small histories decided with a tiny budget, all right (%d violations "
          "found in a window); a never-written read found in %d of %d larger ones"
          % (decided, by_window, found, max(20, seeds // 10)))


def t_performance():
    """10 clients, 5 keys, 20,000 operations, ops of 1-15 ms with 0-3 ms between them
    (so ~9 of 10 clients are mid-operation at any time), 1% unknown, 2% failed."""
    rng = random.Random(20261127)
    keys = ["capacity/h%d/beds" % i for i in range(1, 6)]
    recs = simulate(rng, 20000, 10, keys, p_unknown=0.01, p_fail=0.02, dur=(1.0, 15.0),
                    think=(0.0, 3.0), values=50)
    t0 = time.monotonic()
    r = check(recs)
    dt = time.monotonic() - t0
    eq(r["verdict"], "linearizable", "verdict")
    print("     perf: %d ops, %d keys, %d checked, %d states explored, %.2f s" % (
        r["operations"], r["keys"], r["checked"],
        sum(x["explored"] for x in r["per_key"].values()), dt))
    # A stale read near the end of one key.
    idx = [i for i, x in enumerate(recs) if x["op"] == "get" and x["outcome"] == "ok"
           and x["key"] == keys[2] and x["result"]["value"] is not None][-1]
    bad = list(recs)
    old = [x for x in recs[:idx - 200] if x["op"] == "put" and x["outcome"] == "ok"
           and x["key"] == keys[2] and x["value"] != recs[idx]["result"]["value"]][-1]
    bad[idx] = dict(recs[idx], result={"value": old["value"],
                                       "version": old["result"]["version"]})
    t1 = time.monotonic()
    rb = check(bad)
    dt2 = time.monotonic() - t1
    eq(rb["verdict"], "not-linearizable", "verdict with a stale read")
    eq(rb["failing_keys"], [keys[2]], "failing keys")
    cx = rb["counterexample"]
    assert idx in [o["index"] for o in cx["ops"]], cx
    print("     perf: the same with one stale read: not linearizable in %.2f s (%d states%s)"
          % (dt2, sum(x["explored"] for x in rb["per_key"].values()),
             "; found in the window after #%d" % cx["pinned_by"]
             if cx["pinned_by"] is not None else ""))
    assert dt < 30 and dt2 < 30, "too slow: %.1f s, %.1f s" % (dt, dt2)


def t_simulator_overlap():
    """The simulated store's histories really are concurrent."""
    rng = random.Random(5)
    recs = simulate(rng, 2000, 10, ["a"], p_unknown=0, p_fail=0, dur=(1.0, 15.0),
                    think=(0.0, 3.0))
    ev = sorted([(r["invoke_ms"], 1) for r in recs] + [(r["complete_ms"], -1) for r in recs])
    cur = best = 0
    area = 0.0
    last = ev[0][0]
    for t, d in ev:
        area += cur * (t - last)
        last = t
        cur += d
        best = max(best, cur)
    mean = area / (ev[-1][0] - ev[0][0])
    print("     simulated overlap: %.1f operations in flight on average, %d at most"
          % (mean, best))
    assert mean > 5, mean


CASES = [t_empty, t_sequential, t_concurrent_get_sees_either, t_stale_read, t_lost_write,
         t_versions_order_writes, t_cas, t_unknown_writes, t_unknown_many_observable,
         t_never_written_value, t_delete, t_failed_and_unknown_reads_dropped,
         t_budget_gives_unknown, t_invalid_records, t_cli, t_simulator_overlap]


def main():
    global VERBOSE
    args = sys.argv[1:]
    VERBOSE = "-v" in args
    seeds = 300 if "--quick" in args else 3000
    if "--seeds" in args:
        seeds = int(args[args.index("--seeds") + 1])
    cases = [(f.__name__, f) for f in CASES]
    cases += [("t_random_small_exact", lambda: t_random_small_exact(seeds)),
              ("t_random_fuzz_exact", lambda: t_random_fuzz_exact(seeds)),
              ("t_random_larger", lambda: t_random_larger(max(50, seeds // 10))),
              ("t_windows_sound", lambda: t_windows_sound(seeds)),
              ("t_performance", t_performance)]
    failed = []
    for name, fn in cases:
        t0 = time.monotonic()
        try:
            v, VERBOSE = VERBOSE, VERBOSE and not name.startswith(("t_random", "t_perf"))
            try:
                fn()
            finally:
                VERBOSE = v
            print("ok   %s (%.1f s)" % (name, time.monotonic() - t0))
        except Exception as e:      # an AssertionError or a checker crash
            failed.append(name)
            print("FAIL %s: %s" % (name, e))
            if not isinstance(e, AssertionError):
                traceback.print_exc()
    print("%d passed, %d failed" % (len(cases) - len(failed), len(failed)))
    if failed:
        print("failed: %s" % ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
