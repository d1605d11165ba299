#!/usr/bin/env python3
"""Nemesis checker: audits one run directory written by the nemesis runner.

    python3 checker.py RUN_DIR [--json]

Exit 0 when the run shows no violation, 1 when it does, 2 on bad arguments.
As a module: check(run_dir) -> dict (the report; see REPORT KEYS below) and
format_report(report) -> str (the text report; also named format_text).

INPUT (all files optional; a missing or empty one is named in report["notes"]):
  meta.json             nodes, heartbeat_ms, election_timeout_ms, lease_ms, seed,
                        start_mono_ms, end_mono_ms
  events.jsonl          one `meshctl watch --json` object per verified heartbeat
  faults.jsonl          injected faults (id, kind, variant, targets, start/heal/settled_by)
  state_samples.jsonl   durable (term, vote) read from each node's disk
  logs/<node>.log       node logs ("voted for X in term T (persisted)", "started, ...")
  badactor.jsonl        bad-actor bursts: sent counts and rejection-counter deltas

Every time is CLOCK_MONOTONIC ms of the one host.  An event's time is its
`sent_mono_ms` (the sender's own send time; `recv_mono_ms` when absent).

DEFINITIONS
  fresh at T      a node whose latest event at or before T was sent within the
                  300 ms before T (t + 300 > T).
  agreed leader   at T: a strict majority of meta.nodes are fresh and their latest
                  events name the same leader L in the same term t (L's own event
                  counts when it claims role leader in t), and L's latest event
                  claims role leader in t with lease_expiry_mono_ms > T.
  converged at T  the fresh nodes are non-empty, exactly one of them claims role
                  leader, its latest event holds a lease (expiry > T), and every
                  fresh node's latest event names it as leader in its term.

REPORT KEYS
  faults                      {"count", "by_kind_variant": {"kill/restart": n, ...}}
  terms_seen, max_term
  terms_with_multiple_leaders [term, ...]   (+ multiple_leaders_detail)
  lease_overlap_ms            sum over node pairs of |union_a ∩ union_b| of the lease
                              intervals [sent, lease_expiry) of leader heartbeats
                              (+ lease_overlap_pairs, lease_overlap_worst)
  heal_to_single_leader_ms    {"p50","p99","max","count","per_fault"}: heal -> converged
  unconverged_heals           [fault id, ...]: not converged before min(settled_by, heal+10 s)
  rejoin_leader_changes       {"count","fault_ids","applicable","not_applicable",
                              "details","stale_leader_claims"}
  double_votes                [{"node","term","candidates","source"}]
  term_regressions            [{"node","from_term","to_term","source",...}]
  log_safety_violations       nodes' own "SAFETY VIOLATION" log lines
  bad_actor                   {"bursts": [...], "total": {...}, "leadership_effect": [...]}
  files, notes, events        what was read and what was missing or odd
  violations                  ["<category>: text", ...]; ok: violations == []

One interpretation beyond the brief's literal text: in the rejoin window, a
role-leader heartbeat from a node other than L in a term *older* than t (an
ex-leader that was SIGSTOPped or partitioned speaking once before it learns the
newer term) changes nobody's leader; it is listed under
rejoin_leader_changes.stale_leader_claims and is not a violation.  A term > t,
or a leader claim from another node in a term >= t, is a violation.
"""

import argparse
import bisect
import json
import math
import os
import re
import sys
from collections import defaultdict

FRESH_MS = 300.0            # a node is "fresh" at T if it sent within the 300 ms before T
CONVERGE_CAP_MS = 10000.0   # a heal must converge within this (or by settled_by)
REJOIN_WINDOW_MS = 3000.0   # window after a heal in which leader changes are blamed on the rejoin
BURST_AFTER_MS = 1000.0     # leadership compared at burst start and at heal + 1 s
EPS_MS = 1e-6               # overlaps no longer than this are float noise (touching intervals)

ROLES = ("leader", "follower", "candidate", "precandidate")


class Event:
    __slots__ = ("t", "node", "term", "role", "leader", "expiry", "recv", "seq")

    def __init__(self, t, node, term, role, leader, expiry, recv, seq):
        self.t = t
        self.node = node
        self.term = term
        self.role = role
        self.leader = leader
        self.expiry = expiry
        self.recv = recv
        self.seq = seq

    def names(self, leader, term):
        """Does this event say `leader` leads `term`?"""
        if self.term != term:
            return False
        if self.leader == leader:
            return True
        return self.node == leader and self.role == "leader" and self.leader is None


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _int(x):
    return isinstance(x, int) and not isinstance(x, bool)


# ---------------------------------------------------------------------------
# Reading the run directory

def _read_jsonl(path, files, name, notes):
    """Objects of a JSON-lines file; counts lines that do not parse."""
    out = []
    bad = 0
    if not os.path.exists(path):
        files[name] = {"status": "missing"}
        return out
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            s = line.strip()
            if not s:
                continue
            try:
                obj = json.loads(s)
            except ValueError:
                bad += 1
                continue
            if not isinstance(obj, dict):
                bad += 1
                continue
            out.append(obj)
    files[name] = {"status": "ok" if out else "empty", "records": len(out), "unparseable": bad}
    if bad:
        notes.append("%s: %d unparseable line(s) ignored" % (name, bad))
    return out


def _read_meta(run_dir, files, notes):
    path = os.path.join(run_dir, "meta.json")
    if not os.path.exists(path):
        files["meta.json"] = {"status": "missing"}
        notes.append("meta.json: missing")
        return {}
    try:
        with open(path, "r", encoding="utf-8") as f:
            meta = json.load(f)
        if not isinstance(meta, dict):
            raise ValueError("not an object")
    except (ValueError, OSError) as e:
        files["meta.json"] = {"status": "unparseable"}
        notes.append("meta.json: cannot parse (%s); using defaults" % e)
        return {}
    files["meta.json"] = {"status": "ok"}
    return meta


def _parse_event(obj):
    node = obj.get("node")
    term = obj.get("term")
    role = obj.get("role")
    if not isinstance(node, str) or not _int(term) or not isinstance(role, str):
        return None
    t = obj.get("sent_mono_ms")
    recv = obj.get("recv_mono_ms")
    if not _num(t):
        t = recv
    if not _num(t):
        return None
    leader = obj.get("leader")
    if not isinstance(leader, str) or not leader:
        leader = None
    expiry = obj.get("lease_expiry_mono_ms")
    if not _num(expiry):
        expiry = None
    seq = obj.get("seq")
    return Event(float(t), node, term, role, leader, None if expiry is None else float(expiry),
                 float(recv) if _num(recv) else float(t), seq if _int(seq) else 0)


# ---------------------------------------------------------------------------
# The time-sorted event history

class Timeline:
    def __init__(self, events, nodes):
        events.sort(key=lambda e: (e.t, e.recv, e.node, e.seq))
        self.events = events
        self.times = [e.t for e in events]
        self.nodes = list(nodes)
        self.quorum = len(self.nodes) // 2 + 1
        self.by_node = defaultdict(list)
        for e in events:
            self.by_node[e.node].append(e)
        self.node_times = {n: [e.t for e in evs] for n, evs in self.by_node.items()}
        self.last_t = self.times[-1] if self.times else None

    def latest(self, node, T):
        """The node's latest event sent at or before T, or None."""
        ts = self.node_times.get(node)
        if not ts:
            return None
        i = bisect.bisect_right(ts, T)
        return self.by_node[node][i - 1] if i else None

    def states(self, T):
        out = {}
        for n in self.by_node:
            e = self.latest(n, T)
            if e is not None:
                out[n] = e
        return out

    def agreed_leader(self, T, states=None):
        """(leader, term) that a strict majority of fresh nodes follow, the leader
        holding a lease at T; else None."""
        if states is None:
            states = self.states(T)
        fresh = [e for e in states.values() if e.t + FRESH_MS > T]
        counts = defaultdict(int)
        for e in fresh:
            if e.role == "leader":
                counts[(e.node, e.term)] += 1
            elif e.leader is not None:
                counts[(e.leader, e.term)] += 1
        for (lead, term), n in counts.items():
            if n < self.quorum:
                continue
            le = states.get(lead)
            if (le is not None and le.role == "leader" and le.term == term
                    and le.expiry is not None and le.expiry > T):
                return (lead, term)
        return None


def _converged(states, T):
    fresh = [e for e in states.values() if e.t + FRESH_MS > T]
    if not fresh:
        return False
    leaders = [e for e in fresh if e.role == "leader"]
    if len(leaders) != 1:
        return False
    le = leaders[0]
    if le.expiry is None or not le.expiry > T:
        return False
    return all(e.names(le.node, le.term) for e in fresh)


def _time_to_converge(tl, heal, deadline):
    """ms from heal to the first moment in [heal, deadline) the cluster is converged."""
    times = tl.times
    lo = bisect.bisect_left(times, heal - FRESH_MS)
    hi = bisect.bisect_left(times, deadline)
    cands = {heal}
    for i in range(lo, hi):
        t = times[i]
        if t >= heal:
            cands.add(t)
        d = t + FRESH_MS    # the moment this event stops being fresh
        if heal <= d < deadline:
            cands.add(d)
    states = tl.states(heal)
    j = bisect.bisect_right(times, heal)
    for T in sorted(cands):
        while j < hi and times[j] <= T:
            e = tl.events[j]
            states[e.node] = e
            j += 1
        if _converged(states, T):
            return T - heal
    return None


def _percentile(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, int(math.ceil(p / 100.0 * len(sorted_vals))) - 1)
    return sorted_vals[min(k, len(sorted_vals) - 1)]


def _r(x):
    return None if x is None else round(x, 6)


# ---------------------------------------------------------------------------
# Individual checks

def _multiple_leaders(tl):
    by_term = defaultdict(set)
    for e in tl.events:
        if e.role == "leader":
            by_term[e.term].add(e.node)
    bad = sorted(t for t, s in by_term.items() if len(s) > 1)
    return bad, [{"term": t, "nodes": sorted(by_term[t])} for t in bad]


def _lease_unions(tl):
    per_node = {}
    for node, evs in tl.by_node.items():
        iv = sorted((e.t, e.expiry) for e in evs
                    if e.role == "leader" and e.expiry is not None and e.expiry > e.t)
        merged = []
        for s, e in iv:
            if merged and s <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1][1] = e
            else:
                merged.append([s, e])
        if merged:
            per_node[node] = merged
    return per_node


def _lease_overlap(tl):
    unions = _lease_unions(tl)
    names = sorted(unions)
    total = 0.0
    pairs = []
    worst = None
    for a_i in range(len(names)):
        for b_i in range(a_i + 1, len(names)):
            a, b = unions[names[a_i]], unions[names[b_i]]
            i = j = 0
            pair_total = 0.0
            longest = None
            while i < len(a) and j < len(b):
                s = max(a[i][0], b[j][0])
                e = min(a[i][1], b[j][1])
                if e - s > EPS_MS:
                    pair_total += e - s
                    if longest is None or e - s > longest[1] - longest[0]:
                        longest = (s, e)
                if a[i][1] < b[j][1]:
                    i += 1
                else:
                    j += 1
            if pair_total > 0:
                total += pair_total
                pairs.append({"nodes": [names[a_i], names[b_i]], "overlap_ms": _r(pair_total),
                              "longest_from_mono_ms": longest[0], "longest_to_mono_ms": longest[1]})
                if worst is None or pair_total > worst["overlap_ms"]:
                    worst = pairs[-1]
    return _r(total), pairs, worst


def _fault_window_end(f, heal, cap):
    sb = f.get("settled_by_mono_ms")
    if _num(sb) and sb > heal:
        return min(float(sb), heal + cap)
    return heal + cap


def _check_quorum_stepdowns(run_dir):
    """(node, term) of every leadership its holder gave up by CheckQuorum
    (it heard no quorum for T: a partition, or a process starved of CPU)."""
    found = set()
    logdir = os.path.join(run_dir, "logs")
    if not os.path.isdir(logdir):
        return found
    for name in os.listdir(logdir):
        if not name.endswith(".log"):
            continue
        with open(os.path.join(logdir, name), "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                m = RE_CHECK_QUORUM.search(line)
                if m:
                    found.add((m.group(1), int(m.group(2))))
    return found


def _check_faults(tl, faults, notes, check_quorum=frozenset()):
    heal_rows = []
    unconverged = []
    rejoin = {"count": 0, "fault_ids": [], "applicable": 0, "not_applicable": 0,
              "details": [], "stale_leader_claims": [], "check_quorum_stepdowns": []}
    for f in faults:
        fid = f["_id"]
        heal = f.get("heal_mono_ms")
        if heal is None:
            continue
        if not _num(heal):
            notes.append("fault %s: heal_mono_ms %r is not a number; skipped" % (fid, heal))
            continue
        heal = float(heal)
        # Heal -> one leader.
        deadline = _fault_window_end(f, heal, CONVERGE_CAP_MS)
        ms = _time_to_converge(tl, heal, deadline)
        if ms is None:
            unconverged.append(fid)
        else:
            heal_rows.append({"fault_id": fid, "ms": _r(ms)})
        # Rejoin-caused leader change.
        agreed = tl.agreed_leader(heal)
        if agreed is None:
            rejoin["not_applicable"] += 1
            continue
        rejoin["applicable"] += 1
        lead, term = agreed
        end = _fault_window_end(f, heal, REJOIN_WINDOW_MS)
        lo = bisect.bisect_left(tl.times, heal)
        hi = bisect.bisect_right(tl.times, end)
        change = None
        stale = None
        for k in range(lo, hi):
            e = tl.events[k]
            if e.term > term:
                change = "%s sent term %d (> %d) at %s" % (e.node, e.term, term, _r(e.t))
                break
            if e.role == "leader" and e.node != lead:
                if e.term >= term:
                    change = "%s claimed leadership of term %d at %s (agreed leader %s)" % (
                        e.node, e.term, _r(e.t), lead)
                    break
                if stale is None:
                    stale = {"fault_id": fid, "node": e.node, "term": e.term, "at_mono_ms": e.t}
        if stale is not None:
            rejoin["stale_leader_claims"].append(stale)
        if change is not None and (lead, term) in check_quorum:
            # The agreed leader gave up its leadership of this term by
            # CheckQuorum (its log says so): it heard no quorum for T, which
            # a rejoining node cannot cause by its term (PreVote keeps that
            # down); a stall of the leader's process can. Reported apart.
            rejoin["check_quorum_stepdowns"].append({"fault_id": fid, "leader": lead,
                                                     "term": term, "what": change})
            change = None
        if change is not None:
            rejoin["count"] += 1
            rejoin["fault_ids"].append(fid)
            rejoin["details"].append({"fault_id": fid, "leader": lead, "term": term,
                                      "what": change})
    vals = sorted(r["ms"] for r in heal_rows)
    heal_stats = {"p50": _percentile(vals, 50), "p99": _percentile(vals, 99),
                  "max": vals[-1] if vals else None, "count": len(vals), "per_fault": heal_rows}
    return heal_stats, unconverged, rejoin


LOG_ID = r"([A-Za-z0-9._-]+)"
RE_VOTE = re.compile(LOG_ID + r": voted for " + LOG_ID + r" in term (\d+) \(persisted\)")
RE_STARTED = re.compile(LOG_ID + r": started, cluster \S+, term (\d+), incarnation (\d+)")
RE_ROLE = re.compile(LOG_ID + r": role \S+ -> \S+, term (\d+),")
RE_LEADER = re.compile(LOG_ID + r": leader \S+ -> \S+, term (\d+) \(")
RE_CHECK_QUORUM = re.compile(LOG_ID + r": role leader -> follower, term (\d+), leader \S+ "
                             r"\(check-quorum\)")
RE_SAFETY = re.compile(LOG_ID + r": SAFETY VIOLATION: " + LOG_ID
                       + r" also claims leadership of term (\d+)")


def _check_logs(run_dir, files, notes):
    votes = defaultdict(lambda: defaultdict(set))
    regressions = []
    safety = []
    logdir = os.path.join(run_dir, "logs")
    names = sorted(n for n in os.listdir(logdir) if n.endswith(".log")) \
        if os.path.isdir(logdir) else []
    files["logs"] = {"status": "ok" if names else "empty" if os.path.isdir(logdir) else "missing",
                     "files": len(names)}
    if not names:
        notes.append("logs/: no node logs; log-based vote audit skipped")
    lines_seen = 0
    for name in names:
        node = name[:-4]
        max_term = None     # highest durable term this node's log has shown so far
        restarts = 0
        with open(os.path.join(logdir, name), "r", encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = RE_VOTE.search(line)
                if m:
                    lines_seen += 1
                    term = int(m.group(3))
                    votes[node][term].add(m.group(2))
                    max_term = term if max_term is None else max(max_term, term)
                    continue
                m = RE_STARTED.search(line)
                if m:
                    lines_seen += 1
                    term = int(m.group(2))
                    if max_term is not None and term < max_term:
                        regressions.append({"node": node, "from_term": max_term, "to_term": term,
                                            "source": "log", "line": lineno,
                                            "after_restarts": restarts})
                    restarts += 1
                    max_term = term if max_term is None else max(max_term, term)
                    continue
                m = RE_ROLE.search(line) or RE_LEADER.search(line)
                if m:
                    lines_seen += 1
                    term = int(m.group(2))
                    max_term = term if max_term is None else max(max_term, term)
                    continue
                m = RE_SAFETY.search(line)
                if m:
                    safety.append({"node": node, "other": m.group(2), "term": int(m.group(3)),
                                   "line": lineno})
    if names and not lines_seen:
        notes.append("logs/: no vote, role or start lines recognised")
    doubles = []
    for node in sorted(votes):
        for term in sorted(votes[node]):
            if len(votes[node][term]) > 1:
                doubles.append({"node": node, "term": term,
                                "candidates": sorted(votes[node][term]), "source": "log"})
    return doubles, regressions, safety


def _check_samples(samples, notes):
    votes = defaultdict(lambda: defaultdict(set))
    per_node = defaultdict(list)
    skipped = 0
    for idx, s in enumerate(samples):
        node, term, t = s.get("node"), s.get("term"), s.get("mono_ms")
        if not isinstance(node, str) or not _int(term):
            skipped += 1
            continue
        per_node[node].append((float(t) if _num(t) else float("-inf"), idx, term, s.get("why")))
        vote = s.get("vote")
        if isinstance(vote, str) and vote:
            votes[node][term].add(vote)
    if skipped:
        notes.append("state_samples.jsonl: %d sample(s) without node/term ignored" % skipped)
    doubles = []
    for node in sorted(votes):
        for term in sorted(votes[node]):
            if len(votes[node][term]) > 1:
                doubles.append({"node": node, "term": term,
                                "candidates": sorted(votes[node][term]),
                                "source": "state_samples"})
    regressions = []
    for node in sorted(per_node):
        rows = sorted(per_node[node])
        for prev, cur in zip(rows, rows[1:]):
            if cur[2] < prev[2]:
                regressions.append({"node": node, "from_term": prev[2], "to_term": cur[2],
                                    "source": "state_samples", "at_mono_ms": cur[0],
                                    "why": cur[3]})
    return doubles, regressions


def _category_groups(reasons):
    """Categories linked by a shared reason form one group; each group's rejections
    are compared with what its categories sent."""
    cats = list(reasons)
    parent = {c: c for c in cats}

    def find(c):
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    owner = {}
    for c in cats:
        for r in reasons[c]:
            if r in owner:
                parent[find(c)] = find(owner[r])
            else:
                owner[r] = c
    groups = defaultdict(list)
    for c in cats:
        groups[find(c)].append(c)
    out = []
    for cs in groups.values():
        rs = sorted({r for c in cs for r in reasons[c]})
        out.append((sorted(cs), rs))
    return out


def _check_bursts(tl, bursts, faults, fault_by_id, notes, violations):
    result = {"bursts": [], "total": {"sent": 0, "rejected": 0, "accepted_or_lost": 0,
                                      "extra_rejections": 0, "late_genuine": 0},
              "leadership_effect": []}
    for b_i, b in enumerate(bursts):
        fid = b.get("fault_id", "#%d" % (b_i + 1))
        if not isinstance(fid, (int, str)):
            fid = "#%d" % (b_i + 1)
        targets = b.get("targets") if isinstance(b.get("targets"), dict) else {}
        reasons_in = b.get("reasons") if isinstance(b.get("reasons"), dict) else {}
        deltas = b.get("rejected_delta") if isinstance(b.get("rejected_delta"), dict) else {}
        reasons = {c: [r for r in (v if isinstance(v, list) else [v]) if isinstance(r, str)]
                   for c, v in reasons_in.items()}
        listed = sorted({r for rs in reasons.values() for r in rs})
        row = {"fault_id": fid, "sent": 0, "rejected": 0, "accepted_or_lost": 0,
               "extra_rejections": 0, "late_genuine": 0, "per_target": {}}
        for node in sorted(targets):
            sent_by_cat = targets[node] if isinstance(targets[node], dict) else {}
            delta = deltas.get(node)
            if not isinstance(delta, dict):
                notes.append("bad-actor burst %s: no rejected_delta for target %s" % (fid, node))
                delta = {}
            dv = {r: (v if _num(v) else 0) for r, v in delta.items()}
            cats = dict(reasons)
            for c in sent_by_cat:
                if c not in cats:
                    notes.append("bad-actor burst %s: category %r has no listed reasons"
                                 % (fid, c))
                    cats[c] = []
            sent = sum(v for v in sent_by_cat.values() if _num(v))
            rejected = sum(dv.get(r, 0) for r in listed)
            missing = extra = late = 0
            for cs, rs in _category_groups(cats):
                gs = sum(sent_by_cat.get(c, 0) for c in cs if _num(sent_by_cat.get(c, 0)))
                gr = sum(dv.get(r, 0) for r in rs)
                missing += max(0, gs - gr)
                surplus = max(0, gr - gs)
                # "too-old" is also what a genuine message delivered late
                # gets (a TCP connection back later than its sender's other
                # one, after a cut): a surplus of it is late genuine
                # traffic in the burst's window, not a miscount.
                if "too-old" in rs:
                    genuine = min(surplus, dv.get("too-old", 0))
                    late += genuine
                    surplus -= genuine
                extra += surplus
            by_cat = {c: {"sent": sent_by_cat.get(c, 0),
                          "rejected": sum(dv.get(r, 0) for r in cats.get(c, []))}
                      for c in sorted(cats)}
            unlisted = {r: v for r, v in sorted(dv.items()) if r not in listed and v}
            if unlisted:
                notes.append("bad-actor burst %s: %s also rejected for unlisted reasons %s"
                             % (fid, node, unlisted))
            row["per_target"][node] = {"sent": sent, "rejected": rejected,
                                       "accepted_or_lost": missing, "extra_rejections": extra,
                                       "late_genuine": late,
                                       "by_category": by_cat, "unlisted_reasons": unlisted}
            row["sent"] += sent
            row["rejected"] += rejected
            row["accepted_or_lost"] += missing
            row["extra_rejections"] += extra
            row["late_genuine"] += late
            if missing > 0:
                violations.append("bad-actor-accepted: burst %s: %s rejected %s of %s forged "
                                  "messages: %s accepted or lost"
                                  % (fid, node, rejected, sent, missing))
        if row["extra_rejections"] > 0:
            notes.append("bad-actor burst %s: %s rejection(s) beyond what was sent"
                         % (fid, row["extra_rejections"]))
        for k in result["total"]:
            result["total"][k] += row[k]
        result["bursts"].append(row)
        if fid not in fault_by_id:
            notes.append("bad-actor burst %s: no such fault in faults.jsonl" % (fid,))

    burst_ids = {b.get("fault_id") for b in bursts}
    for f in faults:
        if f.get("kind") != "badactor":
            continue
        fid = f["_id"]
        if fid not in burst_ids:
            notes.append("fault %s (badactor): no burst record in badactor.jsonl; rejections "
                         "not checked" % (fid,))
        start, heal = f.get("start_mono_ms"), f.get("heal_mono_ms")
        row = {"fault_id": fid, "applicable": False, "changed": False,
               "before": None, "after": None}
        result["leadership_effect"].append(row)
        if not _num(start) or not _num(heal):
            row["why"] = "no start or heal time"
            continue
        at = float(heal) + BURST_AFTER_MS
        before = tl.agreed_leader(float(start))
        after = tl.agreed_leader(at)
        row["before"] = list(before) if before else None
        row["after"] = list(after) if after else None
        if before is None:
            row["why"] = "no agreed leader at the burst's start"
            continue
        if tl.last_t is None or at > tl.last_t:
            row["why"] = "run ended before heal + 1 s"
            continue
        row["applicable"] = True
        if before != after:
            row["changed"] = True
            violations.append("bad-actor-leadership: burst %s: leader %s term %d at its start, "
                              "%s at heal + 1 s" % (fid, before[0], before[1],
                                                    "%s term %d" % after if after else
                                                    "no agreed leader"))
    if not bursts:
        result["note"] = "no bad-actor bursts recorded"
    return result


# ---------------------------------------------------------------------------

def _check_history(run_dir, notes, violations):
    """The clients' history (history.jsonl, from kvclient): linearizable
    per key (linearizability.py). An undecided verdict is a violation too:
    nothing unverified passes."""
    path = os.path.join(run_dir, "history.jsonl")
    if not os.path.exists(path):
        notes.append("history.jsonl: absent (no client workload)")
        return None
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import linearizability
    ops, bad = linearizability.load_history(path)
    result = linearizability.check_history(ops)
    summary = {"verdict": result["verdict"], "operations": result["operations"],
               "keys": result["keys"], "by_outcome": result["by_outcome"],
               "by_op": result.get("by_op"), "failing_keys": result.get("failing_keys", []),
               "unknown_keys": result.get("unknown_keys", []), "bad_lines": bad,
               "seconds": result.get("seconds")}
    if result["verdict"] != "linearizable":
        why = ""
        if result.get("counterexample"):
            why = ": " + str(result["counterexample"].get("explanation", ""))[:300]
        violations.append("linearizability: the clients' history is %s (keys %s)%s"
                          % (result["verdict"], ", ".join(summary["failing_keys"]
                                                          + summary["unknown_keys"]), why))
    return summary


def check(run_dir):
    files, notes, violations = {}, [], []
    meta = _read_meta(run_dir, files, notes)
    raw_events = _read_jsonl(os.path.join(run_dir, "events.jsonl"), files, "events.jsonl", notes)
    raw_faults = _read_jsonl(os.path.join(run_dir, "faults.jsonl"), files, "faults.jsonl", notes)
    samples = _read_jsonl(os.path.join(run_dir, "state_samples.jsonl"), files,
                          "state_samples.jsonl", notes)
    bursts = _read_jsonl(os.path.join(run_dir, "badactor.jsonl"), files, "badactor.jsonl", notes)
    for name in ("events.jsonl", "faults.jsonl", "state_samples.jsonl", "badactor.jsonl"):
        if files[name]["status"] != "ok":
            notes.append("%s: %s" % (name, files[name]["status"]))

    events = []
    invalid = 0
    for obj in raw_events:
        e = _parse_event(obj)
        if e is None:
            invalid += 1
        else:
            events.append(e)
    if invalid:
        notes.append("events.jsonl: %d record(s) without node/term/role/time ignored" % invalid)
    files["events.jsonl"]["invalid"] = invalid

    nodes = meta.get("nodes") if isinstance(meta.get("nodes"), list) else None
    if not nodes:
        nodes = sorted({e.node for e in events})
        notes.append("meta.json gives no nodes; quorum taken from the %d node(s) seen: %s"
                     % (len(nodes), ", ".join(nodes) or "none"))
    strangers = sorted({e.node for e in events} - set(nodes))
    if strangers:
        notes.append("events from nodes not in meta.nodes: %s" % ", ".join(strangers))
    unknown_roles = sorted({e.role for e in events} - set(ROLES))
    if unknown_roles:
        notes.append("events with unknown roles: %s" % ", ".join(unknown_roles))
    tl = Timeline(events, nodes)
    if not events:
        violations.append("no-events: events.jsonl has no usable event; nothing was verified")

    faults = []
    for i, f in enumerate(raw_faults):
        f = dict(f)
        f["_id"] = f.get("id", i + 1)
        faults.append(f)
    by_kv = defaultdict(int)
    for f in faults:
        by_kv["%s/%s" % (f.get("kind"), f.get("variant"))] += 1
    fault_by_id = {f["_id"]: f for f in faults}

    report = {"run_dir": run_dir, "files": files,
              "meta": {k: meta.get(k) for k in ("nodes", "heartbeat_ms", "election_timeout_ms",
                                                "lease_ms", "seed", "start_mono_ms",
                                                "end_mono_ms")},
              "nodes": list(nodes), "quorum": tl.quorum, "events": len(events),
              "faults": {"count": len(faults), "by_kind_variant": dict(sorted(by_kv.items())),
                         "without_heal": sum(1 for f in faults if f.get("heal_mono_ms") is None)}}

    terms = {e.term for e in events}
    report["terms_seen"] = len(terms)
    report["max_term"] = max(terms) if terms else None

    multi, detail = _multiple_leaders(tl)
    report["terms_with_multiple_leaders"] = multi
    report["multiple_leaders_detail"] = detail
    for d in detail:
        violations.append("multiple-leaders: term %d claimed by %s"
                          % (d["term"], ", ".join(d["nodes"])))

    total, pairs, worst = _lease_overlap(tl)
    report["lease_overlap_ms"] = total
    report["lease_overlap_pairs"] = pairs
    report["lease_overlap_worst"] = worst
    if total > 0:
        violations.append("lease-overlap: %s ms in total; worst %s and %s, %s ms (longest "
                          "from %s to %s)" % (total, worst["nodes"][0], worst["nodes"][1],
                                              worst["overlap_ms"], worst["longest_from_mono_ms"],
                                              worst["longest_to_mono_ms"]))

    heal_stats, unconverged, rejoin = _check_faults(tl, faults, notes,
                                                    _check_quorum_stepdowns(run_dir))
    report["heal_to_single_leader_ms"] = heal_stats
    report["unconverged_heals"] = unconverged
    for fid in unconverged:
        f = fault_by_id[fid]
        violations.append("unconverged-heal: fault %s (%s/%s) healed at %s and no single leader "
                          "by %s" % (fid, f.get("kind"), f.get("variant"), f.get("heal_mono_ms"),
                                     _fault_window_end(f, float(f["heal_mono_ms"]),
                                                       CONVERGE_CAP_MS)))
    report["rejoin_leader_changes"] = rejoin
    for d in rejoin["details"]:
        violations.append("rejoin-leader-change: fault %s: leader %s term %d at heal; %s"
                          % (d["fault_id"], d["leader"], d["term"], d["what"]))

    log_doubles, log_regressions, safety = _check_logs(run_dir, files, notes)
    sample_doubles, sample_regressions = _check_samples(samples, notes)
    report["double_votes"] = log_doubles + sample_doubles
    report["term_regressions"] = sample_regressions + log_regressions
    report["log_safety_violations"] = safety
    for d in report["double_votes"]:
        violations.append("double-vote: %s voted for %s in term %d (%s)"
                          % (d["node"], " and ".join(d["candidates"]), d["term"], d["source"]))
    for r in report["term_regressions"]:
        violations.append("term-regression: %s durable term %d -> %d (%s)"
                          % (r["node"], r["from_term"], r["to_term"], r["source"]))
    for s in safety:
        violations.append("node-safety-violation: %s logged that %s also claims term %d"
                          % (s["node"], s["other"], s["term"]))

    report["bad_actor"] = _check_bursts(tl, bursts, faults, fault_by_id, notes, violations)
    report["linearizability"] = _check_history(run_dir, notes, violations)

    report["notes"] = notes
    report["violations"] = violations
    report["ok"] = not violations
    return report


def _fmt(x):
    if x is None:
        return "-"
    if isinstance(x, float) and x == int(x):
        return str(int(x))
    if isinstance(x, float):
        return "%.1f" % x
    return str(x)


def format_text(r):
    out = []
    f = r["files"]

    def fs(name):
        s = f.get(name, {})
        txt = "%s %s" % (name, s.get("status", "?"))
        if s.get("unparseable"):
            txt += " (%d unparseable)" % s["unparseable"]
        return txt

    out.append("run: %s" % r["run_dir"])
    out.append("files: %s; logs %d file(s)" % (", ".join(
        fs(n) for n in ("meta.json", "events.jsonl", "faults.jsonl", "state_samples.jsonl",
                        "badactor.jsonl")), f.get("logs", {}).get("files", 0)))
    out.append("events: %d from %d node(s), quorum %d"
               % (r["events"], len(r["nodes"]), r["quorum"]))
    kv = r["faults"]["by_kind_variant"]
    out.append("faults: %d (%s)" % (r["faults"]["count"],
                                    ", ".join("%s %d" % i for i in kv.items()) or "none"))
    out.append("terms_seen: %d, max_term: %s" % (r["terms_seen"], _fmt(r["max_term"])))
    out.append("terms_with_multiple_leaders: %s"
               % (", ".join(map(str, r["terms_with_multiple_leaders"])) or "none"))
    w = r["lease_overlap_worst"]
    out.append("lease_overlap_ms: %s%s" % (_fmt(r["lease_overlap_ms"]), "" if not w else
               " (worst %s/%s %s ms, longest from %s to %s)" % (
                   w["nodes"][0], w["nodes"][1], _fmt(w["overlap_ms"]),
                   _fmt(w["longest_from_mono_ms"]), _fmt(w["longest_to_mono_ms"]))))
    h = r["heal_to_single_leader_ms"]
    out.append("heal_to_single_leader_ms: p50 %s, p99 %s, max %s, count %d"
               % (_fmt(h["p50"]), _fmt(h["p99"]), _fmt(h["max"]), h["count"]))
    out.append("unconverged_heals: %s" % (", ".join(map(str, r["unconverged_heals"])) or "none"))
    j = r["rejoin_leader_changes"]
    out.append("rejoin_leader_changes: %d%s (applicable %d, not applicable %d; stale leader "
               "claims %d)" % (j["count"], " faults " + ", ".join(map(str, j["fault_ids"]))
                               if j["fault_ids"] else "", j["applicable"], j["not_applicable"],
                               len(j["stale_leader_claims"])))
    cq = j.get("check_quorum_stepdowns", [])
    out.append("leader changes after a heal by the leader's own CheckQuorum (not the rejoin): %d%s"
               % (len(cq), " faults " + ", ".join(str(x["fault_id"]) for x in cq) if cq else ""))
    out.append("double_votes: %d" % len(r["double_votes"]))
    out.append("term_regressions: %d" % len(r["term_regressions"]))
    out.append("log_safety_violations: %d" % len(r["log_safety_violations"]))
    b = r["bad_actor"]
    t = b["total"]
    le = b["leadership_effect"]
    out.append("bad_actor: %d burst(s), sent %s, rejected %s, accepted_or_lost %s, extra "
               "rejections %s, late genuine messages (too-old) %s"
               % (len(b["bursts"]), _fmt(t["sent"]), _fmt(t["rejected"]),
                  _fmt(t["accepted_or_lost"]), _fmt(t["extra_rejections"]),
                  _fmt(t.get("late_genuine", 0))))
    for row in b["bursts"]:
        out.append("  burst %s: sent %s, rejected %s, accepted_or_lost %s"
                   % (row["fault_id"], _fmt(row["sent"]), _fmt(row["rejected"]),
                      _fmt(row["accepted_or_lost"])))
    out.append("bad_actor leadership_effect: %d changed of %d applicable (%d burst fault(s))"
               % (sum(1 for x in le if x["changed"]), sum(1 for x in le if x["applicable"]),
                  len(le)))
    h = r.get("linearizability")
    if h:
        out.append("linearizability: %s; %d operation(s) on %d key(s) by outcome %s, by op %s "
                   "(%.2f s)" % (h["verdict"], h["operations"], h["keys"],
                                 json.dumps(h["by_outcome"], sort_keys=True),
                                 json.dumps(h["by_op"], sort_keys=True), h["seconds"] or 0))
    for n in r["notes"]:
        out.append("note: %s" % n)
    for v in r["violations"]:
        out.append("VIOLATION %s" % v)
    out.append("result: %s" % ("OK" if r["ok"] else "FAIL (%d violation(s))"
                                % len(r["violations"])))
    return "\n".join(out)


format_report = format_text     # the name the runner (nemesis.py) calls


def main(argv=None):
    ap = argparse.ArgumentParser(description="Audit a nemesis run directory.")
    ap.add_argument("run_dir")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.run_dir):
        print("checker: %s is not a directory" % a.run_dir, file=sys.stderr)
        return 2
    r = check(a.run_dir)
    if a.json:
        print(json.dumps(r, indent=1, sort_keys=False))
    else:
        print(format_text(r))
    return 0 if r["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
