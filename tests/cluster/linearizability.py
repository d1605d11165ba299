#!/usr/bin/env python3
"""Linearizability checker for a key-value history (WGL search with memoization).

    python3 linearizability.py HISTORY.jsonl [--json] [--max-states N] [--time-limit S]

Exit 0 when the history is linearizable, 1 when it is not, 2 when the verdict is
unknown (a key's search ran out of budget) or the input is bad.
As a module: check_history(ops) -> dict (the report; see REPORT KEYS below),
load_history(path) -> (ops, bad_lines) and format_report(report) -> str.

INPUT: JSON lines, one per completed or abandoned operation:
  {"client": 3, "op": "put"|"get"|"cas"|"del", "key": "capacity/h1/beds",
   "value": "12" (put, cas: the new value), "expected_version": 17 (cas; 0 = must not exist),
   "invoke_ms": 1234.5, "complete_ms": 1240.1 | null, "outcome": "ok"|"fail"|"unknown",
   "result": {...}}
  put ok {"version": V}; get ok {"value": "12" | null, "version": V | 0};
  cas ok {"version": V}; cas fail {"current_version": V}; del ok {"existed": bool}.

THE MODEL (per key; a map of independent registers is linearizable iff every key's
sub-history is, so each key is searched on its own)
  A register holds a value or nothing (absent).  Every write that changes it is a log
  entry, so the versions of a key's successive writes strictly increase.  The state is
  (value, lb, exact): lb is the version of the latest write when exact, else the least
  version it can have (the latest write's version was never reported to a client).
  Absent reads as value null, version 0; the key starts absent with lb 0.
  put ok V        requires V > lb; -> (value, V, exact).  Without a version: -> (value,
                  lb+1, inexact).
  get ok (x, V)   x null: the key is absent and V is 0 (or not given).  x a value: the
                  value matches and, exact, V == lb; inexact, V >= lb and V is not a
                  version some other write of this key returned: the read then tells the
                  latest write's version, -> (x, V, exact).  No V given: value only.
  cas ok (E, V)   the current version is E (E 0: absent; inexact: E >= lb and E not a
                  returned version, which it then is); V > max(lb, E); -> (new, V, exact).
  cas fail C      not applied; the current version is C and C != E (binding as for get).
                  A cas fail without current_version (an error such as not-leader) is
                  dropped: not applied and nothing observed.
  del ok existed  existed true: the key is present, -> absent with lb+1 (the delete is a
                  log entry after the latest write); false: the key is absent, no change
                  (a delete of nothing need not be a log entry); not given: either.
  unknown outcome (a timeout, a lost connection; complete_ms is treated as +infinity):
                  the write may take effect at any moment after invoke_ms, or never.
                  Its version is unknown: put -> (value, lb+1, inexact); cas applies only
                  where E can be the current version, -> (new, max(lb, E)+1, inexact);
                  del of a present key -> absent, lb+1.  "Never" is the same as "after
                  every other operation", so the search need not place it.
  fail            a write that failed was definitely not applied and is dropped; a failed
                  or unknown read observed nothing and is dropped.
  The version rules are sound for a Raft store whose versions are log indexes: writes are
  linearized in log order, a distinct log entry has a distinct index, and a read returns
  the latest applied write's value and index.

ALGORITHM
  Wing & Gong / Lowe's WGL search with memoization, as in Porcupine: a key's definite
  operations' call and return entries in one time-ordered list (at equal times calls
  first, so operations that only touch are concurrent); the candidates to linearize next
  are the calls before the first return; a step that the model accepts lifts the
  operation's entries and is pushed; when the scan meets a return entry, the operation
  it belongs to cannot come next in this branch, and the search backtracks.  Success:
  every definite operation (ok, or cas fail) is linearized; unknown ones left over never
  took effect.  Unknown-outcome writes (no return entry) are a second list, tried after
  the definite candidates of the same window.
  Two exact orderings cut the branching: writes that returned a version are linearized
  in version order (only the least one not yet linearized may come next), and a read in
  the window that the state satisfies without changing it is linearized at once with no
  alternative tried (it can move to the front of any linearization from there).
  Memo: a state reached is skipped when one at least as permissive was already explored
  with the same definite operations linearized: the same value, the same version when
  exact (else a version bound no higher), and a subset of the unknown writes spent.
  Three reductions for unknown-outcome writes, each exact (a linearization exists iff one
  exists that obeys it):
  (1) an unknown write right before a put, an unknown put or an unknown delete is
      useless (the pair's effect is the later one's, with a higher lb), so after an
      unknown write the next operation must be a get, a cas or a definite delete;
  (2) an unknown write that nothing could observe right after it (a get of its value
      with an unreported version, a cas or cas fail naming an unreported version, a
      delete; for an unknown delete: a read of absent, del existed false, cas 0) is
      dropped;
  (3) unknown writes of the same kind and expected version whose values are equal or
      never read with an unreported version are interchangeable: of those available,
      only the latest invoked is tried.
  Budget, per key: the whole history is searched with min(max_states, 20000) steps; if
  that runs out, windows are searched: the operations after a pinning operation (one
  that no other definite operation overlaps and whose result fixes the state: a get with
  a version, a put or cas ok with one, a del) from that state, with every unknown write
  available; the pins tried are the latest ones before where the search got stuck, then
  3, 9, 27... pins further back (6 at most).  A window that cannot be linearized is a
  violation of the whole (every linearization passes through the pin).  Failing that,
  the whole history again with max_states steps, and windows from where that got stuck.
  The time limit (time_limit_s) bounds all of it.  A key still undecided is "unknown",
  never "ok", and so is the history unless some key is not linearizable.

REPORT KEYS
  ok                True only when every key is linearizable and the input was clean
  verdict           "linearizable" | "not-linearizable" | "unknown"
  operations        records given; checked: operations the search used
  keys              distinct keys; by_outcome {"ok","fail","unknown"}; by_op {put,get,cas,del}
  dropped           {"failed_or_unknown_reads", "failed_writes", "cas_fail_without_version",
                     "unobservable_unknown_writes"}
  invalid           [{"index","line","why"}] (first 20); invalid_count
  per_key           {key: {"result": "linearizable"|"not-linearizable"|"unknown", "ok",
                     "ops", "unknown_writes", "explored", "seconds", "why"?}}
  failing_keys, unknown_keys
  counterexample    for the first failing key (in order of first appearance), else None:
                    {"key", "pinned_by": index of the window's pin or None,
                     "ops": [records involved, with "index" and "line"],
                     "stuck": [{"index", "op", "why"}], "longest_prefix": {"length",
                     "definite", "of_definite", "tail": [...], "state"}, "explanation"}
  budget, seconds, notes
"""

import argparse
import json
import math
import sys
import time
from collections import OrderedDict

INF = float("inf")
BLIND = ("<a value no read observes>",)
DEFAULT_MAX_STATES = 1000000
DEFAULT_TIME_LIMIT_S = 60.0
MAX_LISTED_INVALID = 20
PREFIX_TAIL = 12

# Operation kinds in the search.
GET, PUT_OK, PUT_UNK, CAS_OK, CAS_FAIL, CAS_UNK, DEL_OK, DEL_UNK = range(8)
KIND_NAMES = {GET: "get", PUT_OK: "put", PUT_UNK: "put?", CAS_OK: "cas", CAS_FAIL: "cas-fail",
              CAS_UNK: "cas?", DEL_OK: "del", DEL_UNK: "del?"}
UNKNOWN_KINDS = (PUT_UNK, CAS_UNK, DEL_UNK)
NOT_AFTER_UNKNOWN = (PUT_OK, PUT_UNK, DEL_UNK)    # reduction (1)


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _norm_value(v):
    """A hashable stand-in for a JSON value (None stays None: absent)."""
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return ("json", json.dumps(v, sort_keys=True))


def _show(v):
    if v is None:
        return "absent"
    if v is BLIND:
        return "(a value no read observes)"
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "json":
        return v[1]
    return json.dumps(v)


class Op:
    __slots__ = ("index", "line", "rec", "kind", "key", "val", "shown", "ver", "exp", "cur",
                 "existed", "call", "ret", "definite", "pos", "bit", "gnext")

    def __init__(self, index, line, rec, kind, key, call, ret):
        self.index = index
        self.line = line
        self.rec = rec
        self.kind = kind
        self.key = key
        self.val = None
        self.shown = None
        self.ver = None
        self.exp = None
        self.cur = None
        self.existed = None
        self.call = call
        self.ret = ret
        self.definite = kind not in UNKNOWN_KINDS
        self.pos = 0
        self.bit = 0
        self.gnext = None

    def describe(self):
        r = self.rec
        who = "c%s " % r.get("client") if r.get("client") is not None else ""
        k = self.kind
        if k == GET:
            what = "get -> %s%s" % (_show(self.val), "" if self.ver is None else " v%d" % self.ver)
        elif k in (PUT_OK, PUT_UNK):
            what = "put %s%s" % (_show(self.shown), " -> v%d" % self.ver if self.ver is not None
                                  else "")
        elif k in (CAS_OK, CAS_UNK):
            what = "cas v%d -> %s%s" % (self.exp, _show(self.shown),
                                        " -> v%d" % self.ver if self.ver is not None else "")
        elif k == CAS_FAIL:
            what = "cas v%d -> %s failed, current v%d" % (self.exp, _show(self.shown),
                                                             self.cur)
        else:
            what = "del%s" % ("" if self.existed is None else
                              " -> existed" if self.existed else " -> did not exist")
        out = r.get("outcome")
        return "#%d %s%s %s [%s, %s]" % (self.index, who, what, out, _fmt_t(self.call),
                                         "inf" if self.ret == INF else _fmt_t(self.ret))

    def record(self):
        d = dict(self.rec)
        d["index"] = self.index
        if self.line is not None:
            d["line"] = self.line
        return d


def _fmt_t(t):
    if t == int(t):
        return str(int(t))
    return "%.3f" % t if abs(t) < 1e6 else "%.1f" % t


# ---------------------------------------------------------------------------
# Parsing

def _parse(index, rec, line):
    """-> (Op | None, drop_reason | None, invalid_why | None)."""
    if not isinstance(rec, dict):
        return None, None, "not a JSON object"
    op = rec.get("op")
    key = rec.get("key")
    outcome = rec.get("outcome")
    if op not in ("put", "get", "cas", "del"):
        return None, None, "op %r is not put, get, cas or del" % (op,)
    if not isinstance(key, str):
        return None, None, "key %r is not a string" % (key,)
    if outcome not in ("ok", "fail", "unknown"):
        return None, None, "outcome %r is not ok, fail or unknown" % (outcome,)
    call = rec.get("invoke_ms")
    if not _num(call):
        return None, None, "invoke_ms %r is not a number" % (call,)
    call = float(call)
    if op == "get" and outcome != "ok":
        return None, "failed_or_unknown_reads", None
    if op in ("put", "del") and outcome == "fail":
        return None, "failed_writes", None
    result = rec.get("result")
    if outcome == "unknown":
        ret = INF
    else:
        ret = rec.get("complete_ms")
        if not _num(ret):
            return None, None, "complete_ms %r of a %s %s is not a number" % (ret, outcome, op)
        ret = float(ret)
        if ret < call:
            return None, None, "complete_ms %s before invoke_ms %s" % (ret, call)
        if not isinstance(result, dict):
            return None, None, "result %r of a %s %s is not an object" % (result, outcome, op)
    if op == "cas" and outcome == "fail":
        cur = result.get("current_version")
        if cur is None:
            return None, "cas_fail_without_version", None
        if not _int(cur) or cur < 0:
            return None, None, "current_version %r is not a version" % (cur,)
    if op in ("put", "cas"):
        if "value" not in rec or rec.get("value") is None:
            return None, None, "%s without a value" % op
        val = _norm_value(rec["value"])
    if op == "cas":
        exp = rec.get("expected_version")
        if not _int(exp) or exp < 0:
            return None, None, "expected_version %r is not a version" % (exp,)

    kind = {("get", "ok"): GET, ("put", "ok"): PUT_OK, ("put", "unknown"): PUT_UNK,
            ("cas", "ok"): CAS_OK, ("cas", "fail"): CAS_FAIL, ("cas", "unknown"): CAS_UNK,
            ("del", "ok"): DEL_OK, ("del", "unknown"): DEL_UNK}[(op, outcome)]
    o = Op(index, line, rec, kind, key, call, ret)
    if op in ("put", "cas"):
        o.val = o.shown = val
    if op == "cas":
        o.exp = exp
    if kind in (PUT_OK, CAS_OK, GET):
        v = result.get("version")
        if v is not None:
            if not _int(v) or v < 0 or (kind != GET and v == 0):
                return None, None, "version %r is not a version" % (v,)
            o.ver = v
    if kind == GET:
        if "value" not in result:
            return None, None, "get ok without result.value"
        o.val = _norm_value(result["value"])
    if kind == CAS_FAIL:
        o.cur = result["current_version"]
    if kind == DEL_OK:
        e = result.get("existed")
        if e is not None and not isinstance(e, bool):
            return None, None, "existed %r is not a boolean" % (e,)
        o.existed = e
    return o, None, None


# ---------------------------------------------------------------------------
# The model.  State: (value or None, lb, exact, fresh); fresh: the last operation
# linearized was an unknown-outcome write (reduction (1)).

INITIAL = (None, 0, True, False)


def _step(st, op, known):
    """The state after op, or None when the model does not allow op in st."""
    val, lb, exact, fresh = st
    k = op.kind
    if k == GET:
        if op.val is None:
            if val is not None or (op.ver is not None and op.ver != 0):
                return None
            return (None, lb, True, False)
        if val != op.val or val is None:
            return None
        v = op.ver
        if v is None:
            return (val, lb, exact, False)
        if exact:
            return (val, lb, True, False) if v == lb else None
        if v >= lb and v not in known:
            return (val, v, True, False)
        return None
    if fresh and k in NOT_AFTER_UNKNOWN:
        return None
    if k == PUT_OK:
        if op.ver is None:
            return (op.val, lb + 1, False, False)
        return (op.val, op.ver, True, False) if op.ver > lb else None
    if k == PUT_UNK:
        return (op.val, lb + 1, False, True)
    if k in (CAS_OK, CAS_UNK):
        e = op.exp
        if e == 0:
            if val is not None:
                return None
        elif val is None:
            return None
        elif exact:
            if e != lb:
                return None
        elif e < lb or e in known:
            return None
        base = lb if lb > e else e
        if k == CAS_UNK:
            return (op.val, base + 1, False, True)
        if op.ver is None:
            return (op.val, base + 1, False, False)
        return (op.val, op.ver, True, False) if op.ver > base else None
    if k == CAS_FAIL:
        c = op.cur
        if c == op.exp:
            return None
        if val is None:
            return (None, lb, True, False) if c == 0 else None
        if c == 0:
            return None
        if exact:
            return (val, lb, True, False) if c == lb else None
        if c >= lb and c not in known:
            return (val, c, True, False)
        return None
    if k == DEL_OK:
        if val is None:
            return None if op.existed is True else (None, lb, True, False)
        return None if op.existed is False else (None, lb + 1, True, False)
    # DEL_UNK
    if val is None:
        return None          # a no-op: the same as never
    return (None, lb + 1, True, True)


def _state_text(st):
    val, lb, exact, _ = st
    if val is None:
        return "absent"
    return "%s v%s" % (_show(val), lb if exact else "? (>= %d, unreported)" % lb)


def _why(st, op, known):
    """Why the model does not allow op in st (for the counterexample)."""
    val, lb, exact, fresh = st
    holds = "the register holds %s" % _state_text(st)
    k = op.kind
    if k == GET:
        if op.val is None:
            if val is not None:
                return "read absent, but %s" % holds
            return "read absent with version %d, but an absent key reads as version 0" % op.ver
        if val != op.val:
            return "read %s, but %s" % (_show(op.val), holds)
        if exact:
            return "read version %d, but %s" % (op.ver, holds)
        if op.ver in known:
            return ("read version %d, which another write of this key returned, but %s"
                    % (op.ver, holds))
        return "read version %d, but %s" % (op.ver, holds)
    if fresh and k in NOT_AFTER_UNKNOWN:
        return "(not tried right after an unknown-outcome write)"
    if k == PUT_OK:
        return "returned version %d, but %s (versions of a key's writes increase)" % (
            op.ver, holds)
    if k in (CAS_OK, CAS_UNK):
        e = op.exp
        if e == 0 and val is not None:
            return "expected the key absent, but %s" % holds
        if e != 0 and (val is None or (exact and e != lb)):
            return "expected version %d, but %s" % (e, holds)
        if e != 0 and not exact and e < lb:
            return "expected version %d, but %s" % (e, holds)
        if e != 0 and not exact and e in known:
            return ("expected version %d, which another write of this key returned, but %s"
                    % (e, holds))
        return "returned version %d, not above the version it replaced (%s)" % (op.ver, holds)
    if k == CAS_FAIL:
        if op.cur == op.exp:
            return "failed saying the current version %d differs from the expected %d" % (
                op.cur, op.exp)
        return "failed saying the current version is %d, but %s" % (op.cur, holds)
    if k == DEL_OK:
        if val is None:
            return "deleted an existing key, but %s" % holds
        return "found no key to delete, but %s" % holds
    return "nothing to delete"


# ---------------------------------------------------------------------------
# Reduction (2): unknown-outcome writes nothing could observe

def _observers(ops, known):
    """Latest return time of any operation that could come right after an unknown write
    that leaves the key present with value v (by value; "*" for any value), or absent."""
    by_value = {}
    any_present = -INF
    absent = -INF
    for o in ops:
        k = o.kind
        r = o.ret
        if k == GET:
            if o.val is None:
                if r > absent:
                    absent = r
            elif o.ver is None or o.ver not in known:
                if r > by_value.get(o.val, -INF):
                    by_value[o.val] = r
        elif k in (CAS_OK, CAS_UNK):
            if o.exp == 0:
                absent = max(absent, r)
            elif o.exp not in known:
                any_present = max(any_present, r)
        elif k == CAS_FAIL:
            if o.cur != o.exp:
                if o.cur == 0:
                    absent = max(absent, r)
                elif o.cur not in known:
                    any_present = max(any_present, r)
        elif k == DEL_OK:
            if o.existed is not False:
                any_present = max(any_present, r)
            if o.existed is not True:
                absent = max(absent, r)
    return by_value, any_present, absent


def _observable(u, obs):
    by_value, any_present, absent = obs
    if u.kind == DEL_UNK:
        return absent >= u.call
    return any_present >= u.call or by_value.get(u.shown, -INF) >= u.call


# ---------------------------------------------------------------------------
# The search

class _Entry:
    __slots__ = ("op", "is_call", "t", "match", "prev", "next")

    def __init__(self, op, is_call, t):
        self.op = op
        self.is_call = is_call
        self.t = t
        self.match = None
        self.prev = None
        self.next = None


def _link(entries):
    head = _Entry(None, False, -INF)
    tail = _Entry(None, False, INF)
    prev = head
    for e in entries:
        prev.next = e
        e.prev = prev
        prev = e
    prev.next = tail
    tail.prev = prev
    return head, tail


def _search(ops, known, max_states, deadline, initial=INITIAL):
    """WGL over one key's operations.  -> (ok, explored, info); ok None: out of budget,
    info (why, deepest point); ok False: info the deepest point reached (definite depth,
    path, state, lin).

    The definite operations' calls and returns are one time-ordered list; the unknown
    ones (no return) another, tried after the definite candidates of the same window
    (calls up to the first return).  A state reached is skipped when one at least as
    permissive was reached with the same definite operations linearized: the same value,
    the same version when exact, else a version bound no higher, and a subset of the
    unknown-outcome writes spent (the others stay available)."""
    rows = []
    unk = []
    for o in ops:
        if o.definite:
            c = _Entry(o, True, o.call)
            r = _Entry(o, False, o.ret)
            c.match = r
            rows.append((o.call, 0, o.pos, c))
            rows.append((o.ret, 1, o.pos, r))
        else:
            unk.append(_Entry(o, True, o.call))
    rows.sort(key=lambda x: (x[0], x[1], x[2]))
    head, tail = _link([x[3] for x in rows])
    uhead, utail = _link(unk)           # ops come sorted by call

    remaining = sum(1 for o in ops if o.definite)
    total_def = remaining
    state = initial
    dlin = ulin = 0
    path = None                 # (op, parent path): the ops linearized, last first
    stack = []
    cache = {}
    explored = 0
    best = (-1, None, initial, 0)   # (definite depth, path, state, lin)
    iters = 0
    # Writes that returned a version are linearized in version order, so only the one
    # with the least version not yet linearized can be next.
    kvers = sorted(o.ver for o in ops if o.kind in (PUT_OK, CAS_OK) and o.ver is not None)
    kvers.append(None)
    kidx = 0
    step = _step
    entry = None                # None: a new node, where a forced read is looked for
    phase = 0                   # 0: definite calls; 1: unknown calls up to limit
    limit = 0.0
    while True:
        if remaining == 0:
            return True, explored, None
        iters += 1
        if iters & 0x3fff == 0 and time.monotonic() > deadline:
            return None, explored, ("over the time limit", best)
        forced = False
        if entry is None:
            # A read in the window that the state satisfies without changing it is
            # linearized now, and nothing else tried here: moving it to the front of any
            # linearization from here keeps that valid, as it changes nothing.
            entry = head.next
            phase = 0
            e = entry
            while e.is_call:
                o = e.op
                if o.kind == GET or o.kind == CAS_FAIL:
                    ns = step(state, o, known)
                    if (ns is not None and ns[0] == state[0] and ns[1] == state[1]
                            and ns[2] == state[2]):
                        entry = e
                        forced = True
                        break
                e = e.next
        if not forced:
            if phase == 0:
                if not entry.is_call:           # the first return: the window's end
                    limit = entry.t
                    phase = 1
                    entry = uhead.next
                    continue
            elif entry.t > limit:               # utail's t is INF: backtrack
                while True:
                    if not stack:
                        return False, explored, best
                    entry, state, dlin, ulin, path, phase, limit, was_forced = stack.pop()
                    if entry.op.ver is not None and entry.op.kind in (PUT_OK, CAS_OK):
                        kidx -= 1
                    m = entry.match
                    if m is not None:
                        m.prev.next = m
                        m.next.prev = m
                        remaining += 1
                    entry.prev.next = entry
                    entry.next.prev = entry
                    if not was_forced:
                        break
                entry = entry.next
                continue
            op = entry.op
            if phase:
                # Of interchangeable unknown writes in the window, spend the latest invoked.
                g = op.gnext
                while g is not None and g.call <= limit:
                    if not ulin & g.bit:
                        break
                    g = g.gnext
                if g is not None and g.call <= limit:
                    entry = entry.next
                    continue
            elif op.ver is not None and op.ver != kvers[kidx] and (
                    op.kind == PUT_OK or op.kind == CAS_OK):
                entry = entry.next
                continue
            ns = step(state, op, known)
        else:
            op = entry.op
        if ns is not None:
            if op.definite:
                nd, nu = dlin | op.bit, ulin
            else:
                nd, nu = dlin, ulin | op.bit
            accept = True
            val, lb, exact, fresh = ns
            if not fresh:
                # The definite set as (its first gap, the bits above it): small, as the
                # operations before the window are all linearized.
                gap = (~nd & (nd + 1)).bit_length() - 1
                if val is None or not exact:
                    ck = (gap, nd >> gap, val, exact)
                    bound = lb
                else:
                    ck = (gap, nd >> gap, val, "v", lb)
                    bound = 0
                seen = cache.get(ck)
                if seen is None:
                    cache[ck] = [(bound, nu)]
                else:
                    for b, m in seen:
                        if b <= bound and not m & ~nu:
                            accept = False
                            break
                    if accept:
                        seen.append((bound, nu))
            if accept:
                stack.append((entry, state, dlin, ulin, path, phase, limit, forced))
                if op.ver is not None and (op.kind == PUT_OK or op.kind == CAS_OK):
                    kidx += 1
                state = ns
                dlin, ulin = nd, nu
                path = (op, path)
                entry.prev.next = entry.next
                entry.next.prev = entry.prev
                m = entry.match
                if m is not None:
                    m.prev.next = m.next
                    m.next.prev = m.prev
                    remaining -= 1
                    depth = total_def - remaining
                    if depth > best[0]:
                        best = (depth, path, state, dlin | ulin)
                explored += 1
                if explored > max_states:
                    return None, explored, ("more than %d states" % max_states, best)
                entry = None
                continue
        if forced:
            # Its state was explored already: this node fails.
            entry = utail
            phase = 1
            limit = -INF
            continue
        entry = entry.next


def _counterexample(key, ops, known, best, pin=None):
    depth, path, state, lin = best
    prefix = []
    p = path
    while p is not None:
        prefix.append(p[0])
        p = p[1]
    prefix.reverse()
    if depth < 0:
        lin = 0
    rest = [o for o in ops if not lin & o.bit]
    first_ret = min((o.ret for o in rest if o.definite), default=INF)
    window = [o for o in rest if o.call <= first_ret]
    stuck = [o for o in window if o.definite]
    writer = None
    for o in reversed(prefix):
        if o.kind in (GET, CAS_FAIL) or (o.kind == DEL_OK and o.existed is False):
            continue
        writer = o
        break
    involved = {o.index: o for o in stuck}
    if writer is None:
        writer = pin
    if writer is not None:
        involved[writer.index] = writer
    # What orders the state's write before the stuck operations: the write itself, or a
    # read of it that completed before one of them was invoked.
    if writer is not None and stuck and writer.ret >= min(o.call for o in stuck):
        after = prefix[prefix.index(writer) + 1:] if writer in prefix else prefix
        pinned = [o for o in after if o.definite and o.ret < max(x.call for x in stuck)]
        if pinned:
            first = min(pinned, key=lambda o: o.ret)
            involved[first.index] = first
    for s in stuck:
        for w in ops:
            if w.kind not in (PUT_OK, PUT_UNK, CAS_OK, CAS_UNK):
                continue
            if s.kind == GET and s.val is not None and w.shown == s.val and (
                    s.ver is None or w.ver is None or w.ver == s.ver):
                involved[w.index] = w
            elif s.kind == CAS_FAIL and w.ver is not None and w.ver == s.cur:
                involved[w.index] = w
            elif s.kind in (CAS_OK, CAS_UNK) and w.ver is not None and w.ver == s.exp:
                involved[w.index] = w
    # Writes that returned a version go in version order.
    kw = [o for o in rest if o.kind in (PUT_OK, CAS_OK) and o.ver is not None]
    first_kw = min(kw, key=lambda o: (o.ver, o.index)) if kw else None

    def why(o):
        if (o.kind in (PUT_OK, CAS_OK) and o.ver is not None and first_kw is not None
                and o.ver != first_kw.ver):
            involved[first_kw.index] = first_kw
            return ("returned version %d, but #%d returned the lower version %d and is "
                    "not linearized yet" % (o.ver, first_kw.index, first_kw.ver))
        if _step(state, o, known) is None:
            return _why(state, o, known)
        return "allowed there, but no linearization goes on from it"

    stuck_rows = [{"index": o.index, "op": o.describe(), "why": why(o)} for o in stuck]
    if writer is None:
        by = ""
    elif writer is pin:
        by = " (as #%d fixed it)" % writer.index
    else:
        by = " (written by #%d)" % writer.index
    n_unknown_window = sum(1 for o in window if not o.definite)
    expl = ("" if pin is None else "from the state after #%d on (no operation overlaps it, "
            "so every linearization passes through it), " % pin.index)
    expl += ("key %s: no linearization of its %d operation(s); the longest linearizable "
            "prefix has %d of %d definite operation(s)%s, ending with the register at %s%s; "
            "none of the operations that must come next can be linearized there%s:"
            % (key, len(ops), max(depth, 0), sum(1 for o in ops if o.definite),
               " and %d unknown-outcome write(s)" % (len(prefix) - max(depth, 0))
               if len(prefix) > max(depth, 0) else "",
               _state_text(state), by,
               " (nor after any of the %d unknown-outcome write(s) that may come first)"
               % n_unknown_window if n_unknown_window else ""))
    for row in stuck_rows:
        expl += "\n  %s: %s" % (row["op"], row["why"])
    return {"key": key,
            "pinned_by": None if pin is None else pin.index,
            "ops": [involved[i].record() for i in sorted(involved)],
            "stuck": stuck_rows,
            "longest_prefix": {"length": len(prefix), "definite": max(depth, 0),
                               "of_definite": sum(1 for o in ops if o.definite),
                               "tail": [o.describe() for o in prefix[-PREFIX_TAIL:]],
                               "state": _state_text(state)},
            "explanation": expl}


def _prepare(kops, known):
    """The operations the search needs, numbered, unknown writes grouped.  -> (kept,
    number of unobservable unknown writes dropped)."""
    obs = _observers(kops, known)
    kept = []
    n_drop = 0
    for o in kops:
        if not o.definite and not _observable(o, obs):
            n_drop += 1
            continue
        kept.append(o)
    kept.sort(key=lambda o: (o.call, o.index))
    last_in_group = {}
    for pos, o in enumerate(kept):
        o.pos = pos
        o.bit = 1 << pos
        o.gnext = None
        if not o.definite:
            # Reduction (3): interchangeable unknown writes (the same kind and expected
            # version, and the same value or values no read can observe).
            if o.kind != DEL_UNK:
                o.val = o.shown if o.shown in obs[0] else BLIND
            g = (o.kind, o.exp, o.val)
            if g in last_in_group:
                last_in_group[g].gnext = o
            last_in_group[g] = o
    return kept, n_drop


def _pin_state(o, mpk):
    """The state right after a definite operation that fixes it, or None."""
    k = o.kind
    if k == GET:
        if o.val is None:
            return (None, mpk, True, False) if not o.ver else None
        return (o.val, o.ver, True, False) if o.ver is not None else None
    if k in (PUT_OK, CAS_OK):
        return (o.val, o.ver, True, False) if o.ver is not None else None
    if k == DEL_OK:
        return (None, mpk, True, False)
    return None


def _pins(kops):
    """Definite operations that no other definite operation overlaps (touching counts as
    overlapping) and whose result fixes the state: every linearization passes through
    them, so what follows can be checked from that state alone.  -> [(op, state)]."""
    defs = sorted((o for o in kops if o.definite), key=lambda o: (o.call, o.index))
    out = []
    max_ret = -INF
    mpk = 0             # the highest version returned by a write that completed before
    for i, o in enumerate(defs):
        nxt = defs[i + 1].call if i + 1 < len(defs) else INF
        if max_ret < o.call and nxt > o.ret:
            st = _pin_state(o, mpk)
            if st is not None:
                out.append((o, st))
        max_ret = max(max_ret, o.ret)
        if o.kind in (PUT_OK, CAS_OK) and o.ver is not None:
            mpk = max(mpk, o.ver)
    return out


WINDOW_TRIES = 6
FIRST_STAGE_STATES = 20000


def _windows(key, kops, kept, known, best, budget, deadline):
    """Look for a violation after a pinning operation shortly before the deepest point an
    exhausted search reached.  -> (counterexample or None, states explored, tries)."""
    lin = best[3]
    rest = [o for o in kept if o.definite and not lin & o.bit]
    first_ret = min((o.ret for o in rest), default=INF)
    stuck_from = min((o.call for o in rest if o.call <= first_ret), default=INF)
    pins = [p for p in _pins(kops) if p[0].ret < stuck_from]
    tries = []
    back = 1
    while back <= len(pins) and len(tries) < WINDOW_TRIES:
        tries.append(pins[-back])
        back *= 3
    unknown_ops = [o for o in kops if not o.definite]
    explored = 0
    for n, (pin, st) in enumerate(tries):
        if time.monotonic() >= deadline:
            return None, explored, n
        window = [o for o in kops if o.definite and o.call > pin.ret] + unknown_ops
        wkept, _ = _prepare(window, known)
        wok, wexp, winfo = _search(wkept, known, budget, deadline, initial=st)
        explored += wexp
        if wok is False:
            cx = _counterexample(key, wkept, known, winfo, pin=pin)
            _prepare(kops, known)           # number the key's operations as before
            return cx, explored, n + 1
    _prepare(kops, known)
    return None, explored, len(tries)


def _check_key(key, kops, max_states, deadline):
    """-> (result, row, counterexample, unobservable unknown writes dropped).

    The key's whole history is searched with a first, small budget; past it, windows
    after pinning operations near where the search got stuck (a violation is local, and
    a window's search is small); then the whole history again with the full budget, and
    windows from where that got stuck."""
    t0 = time.monotonic()
    known = set()
    for o in kops:
        if o.kind in (PUT_OK, CAS_OK) and o.ver is not None:
            known.add(o.ver)
    kept, n_drop = _prepare(kops, known)
    row = OrderedDict()
    row["ops"] = len(kept)
    row["unknown_writes"] = sum(1 for o in kept if not o.definite)
    explored = 0
    cx = None
    result = "unknown"
    first = min(max_states, FIRST_STAGE_STATES)
    stages = [first] + ([max_states] if max_states > first else [])
    tried = 0
    why = ""
    for budget in stages:
        now = time.monotonic()
        ok, n, info = _search(kept, known, budget, now + 0.8 * (deadline - now))
        explored += n
        if ok:
            result = "linearizable"
            break
        if ok is False:
            result = "not-linearizable"
            cx = _counterexample(key, kept, known, info)
            break
        why, best = info
        wcx, n, t = _windows(key, kops, kept, known, best, first, deadline)
        explored += n
        tried += t
        if wcx is not None:
            result = "not-linearizable"
            cx = wcx
            row["why"] = ("the whole history is beyond the search budget (%s), but the "
                          "operations after #%d are not linearizable from the state it "
                          "fixes" % (why, wcx["pinned_by"]))
            break
        if time.monotonic() >= deadline:
            break
    if result == "unknown":
        row["why"] = ("search budget exhausted (%s); no violation found after %d pinning "
                      "operation(s) either" % (why, tried))
    row["explored"] = explored
    row["seconds"] = round(time.monotonic() - t0, 3)
    return result, row, cx, n_drop


# ---------------------------------------------------------------------------

def check_history(ops, max_states=DEFAULT_MAX_STATES, time_limit_s=DEFAULT_TIME_LIMIT_S,
                  bad_lines=()):
    """Check a history: a list of operation records (dicts; an optional "_line" names the
    input line).  bad_lines: input lines that could not be read at all ([(line, why)]);
    they make the verdict unknown, as could any invalid record."""
    t_start = time.monotonic()
    notes = []
    invalid = []
    tainted = set()
    taint_all = bool(bad_lines)
    by_outcome = OrderedDict((k, 0) for k in ("ok", "fail", "unknown"))
    by_op = OrderedDict((k, 0) for k in ("put", "get", "cas", "del"))
    dropped = OrderedDict((k, 0) for k in ("failed_or_unknown_reads", "failed_writes",
                                           "cas_fail_without_version",
                                           "unobservable_unknown_writes"))
    per_key_ops = OrderedDict()
    key_order = OrderedDict()
    for line, why in bad_lines:
        invalid.append({"index": None, "line": line, "why": why})
    for i, rec in enumerate(ops):
        line = rec.get("_line") if isinstance(rec, dict) else None
        if isinstance(rec, dict) and "_line" in rec:
            rec = {k: v for k, v in rec.items() if k != "_line"}
        o, drop, why = _parse(i, rec, line)
        if why is not None:
            invalid.append({"index": i, "line": line, "why": why})
            k = rec.get("key") if isinstance(rec, dict) else None
            if isinstance(k, str):
                tainted.add(k)
                key_order.setdefault(k, None)
            else:
                taint_all = True
            continue
        by_outcome[rec["outcome"]] += 1
        by_op[rec["op"]] += 1
        key_order.setdefault(rec["key"], None)
        if drop is not None:
            dropped[drop] += 1
            continue
        per_key_ops.setdefault(o.key, []).append(o)

    per_key = OrderedDict()
    failing, unknown_keys = [], []
    counterexample = None
    checked = 0
    for key in key_order:
        kops = per_key_ops.get(key, [])
        t0 = time.monotonic()
        result, row, cx, n_drop = _check_key(key, kops, max_states, t0 + time_limit_s)
        dropped["unobservable_unknown_writes"] += n_drop
        checked += row["ops"]
        if key in tainted or taint_all:
            n_bad = sum(1 for x in invalid if x["index"] is not None
                        and isinstance(ops[x["index"]], dict)
                        and ops[x["index"]].get("key") == key)
            row["why"] = ("%d invalid record(s) on this key%s; the valid ones are %s"
                          % (n_bad, " and %d unreadable line(s)" % len(bad_lines)
                             if bad_lines else "", result))
            if cx is not None:
                row["counterexample_among_valid"] = cx
            result = "unknown"
            cx = None
        row["result"] = result
        row["ok"] = result == "linearizable"
        per_key[key] = row
        if result == "not-linearizable":
            failing.append(key)
            if counterexample is None:
                counterexample = cx
        elif result == "unknown":
            unknown_keys.append(key)

    if failing:
        verdict = "not-linearizable"
    elif unknown_keys or taint_all or invalid:
        verdict = "unknown"
    else:
        verdict = "linearizable"
    if invalid:
        notes.append("%d invalid record(s) or unreadable line(s): the keys they touch (all "
                     "keys, where the key cannot be told) are not judged" % len(invalid))
    if not ops and not bad_lines:
        notes.append("empty history")
    report = OrderedDict()
    report["ok"] = verdict == "linearizable"
    report["verdict"] = verdict
    report["operations"] = len(ops) + len(bad_lines)
    report["checked"] = checked
    report["keys"] = len(key_order)
    report["by_outcome"] = by_outcome
    report["by_op"] = by_op
    report["dropped"] = dropped
    report["invalid_count"] = len(invalid)
    report["invalid"] = invalid[:MAX_LISTED_INVALID]
    report["per_key"] = per_key
    report["failing_keys"] = failing
    report["unknown_keys"] = unknown_keys
    report["counterexample"] = counterexample
    report["budget"] = {"max_states": max_states, "time_limit_s": time_limit_s}
    report["seconds"] = round(time.monotonic() - t_start, 3)
    report["notes"] = notes
    return report


def load_history(path):
    """-> (records, bad_lines): records carry "_line"; bad_lines [(line, why)]."""
    ops, bad = [], []
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s:
                continue
            try:
                obj = json.loads(s)
            except ValueError as e:
                bad.append((n, "not JSON (%s)" % e))
                continue
            if not isinstance(obj, dict):
                bad.append((n, "not a JSON object"))
                continue
            obj["_line"] = n
            ops.append(obj)
    return ops, bad


def format_report(r):
    out = []
    bo = r["by_outcome"]
    out.append("operations: %d (ok %d, fail %d, unknown %d; put %d, get %d, cas %d, del %d)"
               % ((r["operations"], bo["ok"], bo["fail"], bo["unknown"]) +
                  tuple(r["by_op"].values())))
    d = r["dropped"]
    out.append("checked: %d in %d key(s); dropped: %d failed/unknown read(s), %d failed "
               "write(s), %d cas fail(s) without a version, %d unobservable unknown "
               "write(s)" % ((r["checked"], r["keys"]) + tuple(d.values())))
    for key, row in r["per_key"].items():
        out.append("  key %s: %s, %d op(s) (%d unknown-outcome), %d state(s) explored, %.3f s%s"
                   % (key, row["result"], row["ops"], row["unknown_writes"], row["explored"],
                      row["seconds"], " (%s)" % row["why"] if "why" in row else ""))
    for x in r["invalid"]:
        where = ", ".join(w for w in ("line %s" % x["line"] if x["line"] is not None else "",
                                      "record %s" % x["index"] if x["index"] is not None
                                      else "") if w)
        out.append("invalid: %s: %s" % (where, x["why"]))
    if r["invalid_count"] > len(r["invalid"]):
        out.append("invalid: ... %d more" % (r["invalid_count"] - len(r["invalid"])))
    for n in r["notes"]:
        out.append("note: %s" % n)
    cx = r["counterexample"]
    if cx is not None:
        out.append("VIOLATION %s" % cx["explanation"])
        out.append("  operations involved:")
        for o in cx["ops"]:
            out.append("    %s" % json.dumps(o, sort_keys=True))
        if cx["longest_prefix"]["tail"]:
            out.append("  the longest linearizable prefix ends:")
            for t in cx["longest_prefix"]["tail"]:
                out.append("    %s" % t)
        if len(r["failing_keys"]) > 1:
            out.append("  also not linearizable: %s" % ", ".join(r["failing_keys"][1:]))
    out.append("checked in %.3f s (budget per key: %d states, %s s)"
               % (r["seconds"], r["budget"]["max_states"], r["budget"]["time_limit_s"]))
    out.append("result: %s" % {"linearizable": "LINEARIZABLE",
                               "not-linearizable": "NOT LINEARIZABLE",
                               "unknown": "UNKNOWN"}[r["verdict"]])
    return "\n".join(out)


format_text = format_report


def main(argv=None):
    ap = argparse.ArgumentParser(description="Check a key-value history for linearizability.")
    ap.add_argument("history", help="JSON lines, one operation per line")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES,
                    help="per key (default %(default)s)")
    ap.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S,
                    help="seconds per key (default %(default)s)")
    try:
        a = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    try:
        ops, bad = load_history(a.history)
    except OSError as e:
        print("linearizability: cannot read %s: %s" % (a.history, e), file=sys.stderr)
        return 2
    r = check_history(ops, max_states=a.max_states, time_limit_s=a.time_limit, bad_lines=bad)
    if a.json:
        print(json.dumps(r, indent=1))
    else:
        print("history: %s" % a.history)
        print(format_report(r))
    return {"linearizable": 0, "not-linearizable": 1}.get(r["verdict"], 2)


if __name__ == "__main__":
    sys.exit(main())
