/*  fixture: a simulated cluster of real cores. See fixture.h.

    Time: one true clock (uint64 ms). Node i's clock reads
        local = offset_i + (true - start_i) * (1e6 + rate_i) / 1e6
    and a core's deadline in local time is converted back to the first true
    millisecond at which the node's clock has reached it.

    Events: messages in flight sit in a binary heap ordered by (delivery
    time, send order), so the order is total and never depends on memory
    layout; node events (deadlines, fsync completions) are found by a scan
    over at most 16 nodes. At equal times a message goes before a node
    event, and nodes go in index order.

    Processes: a paused node, or one whose step waits for fsync, is
    "blocked": a message due for it is put back until it wakes (the order
    among the waiting ones is kept), and its deadline waits too. When it
    wakes, its first step runs the core's deadlines before anything else,
    as core_step always does.

    Layout: state, options, clocks, the checker, the network, steps and
    commits, the event loop, then the public functions in header order.
*/
#include "fixture.h"
#include "rng.h"
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

//  A leader may pass its CheckQuorum deadline by this much before the
//  checker calls it stale: deadlines are rounded to whole true ms.
#define FIXTURE_STALE_SLACK_MS  2

typedef struct {
    uint64_t at_ms;             //  True delivery time
    uint64_t order;             //  Tie-break: send order
    core_msg_t msg;
    //  APPEND: (term, id) per entry; SNAPSHOT: the ids of entries 1..prev_index.
    //  Owned by the flight (a duplicate gets its own copy).
    uint64_t *payload;
    size_t payload_count;
} flight_t;

//  A node's durable log: the snapshot (the ids applied through snap_index,
//  as the state machine's state) and the entries after it. Each entry has
//  a hash of its whole history (log matching is checked on it).
typedef struct {
    uint64_t snap_index;
    uint64_t snap_term;
    uint64_t snap_hash;
    uint64_t *snap_ids;         //  [k] is the id at index k + 1
    size_t snap_alloc;
    uint64_t *terms;            //  [k] is entry snap_index + 1 + k
    uint64_t *ids;
    uint64_t *hashes;
    size_t count;
    size_t alloc;
} fxlog_t;

#define FIXTURE_PROPOSALS_MAX   256     //  Open proposals remembered per node

typedef struct {
    uint64_t index;
    uint64_t term;
    uint64_t id;
} proposal_t;

//  What the checker knows of one term.
typedef struct {
    int32_t leader;                         //  Who became leader, or -1
    int8_t vote_of [FIXTURE_NODES_MAX];     //  Node i voted for vote_of[i] (-1 none)
} term_record_t;

typedef struct {
    core_t *core;               //  NULL while crashed
    core_hard_state_t hard;     //  What survives a crash
    bool has_hard;              //  Anything persisted yet
    uint64_t offset_ms;         //  Clock reading at start_ms
    uint64_t start_ms;          //  True time the clock was last set
    int32_t rate_ppm;           //  Clock rate offset
    uint64_t deadline_ms;       //  True time of the next tick
    uint32_t boots;             //  Incarnations, for per-boot seeds

    //  The process around the core
    uint64_t paused_until_ms;   //  Stopped until this true time
    bool syncing;               //  A step's fsync is under way
    uint64_t sync_done_ms;      //  True time it completes
    core_update_t *pending;     //  That step's update: its messages wait
    bool crash_on_sync;         //  Crash before the next fsync completes
    bool woke;                  //  Blocked since its last step: deadlines not yet run

    //  Log replication
    fxlog_t log;                //  Durable
    uint64_t applied;           //  Volatile: applied through (restarts at the snapshot)
    uint64_t step_ids [CORE_APPEND_MAX + 2];    //  Ids of the last step's appends
    uint64_t *step_snapshot;    //  A snapshot the last step installs (its ids)
    size_t step_snapshot_count;
    proposal_t proposals [FIXTURE_PROPOSALS_MAX];   //  Volatile: ours, not yet applied
    size_t proposal_count;

    //  The checker's view of what this node has externalised
    uint64_t max_term;          //  Highest term it sent or persisted
    uint64_t lead_since_ms;     //  True time its current leadership went out
    uint64_t contact_ms [QUORUM_MEMBERS_MAX];   //  Last granted ack from each, true time
    uint64_t contact_mask;      //  Members with a contact_ms in this leadership
    uint64_t stale_after_ms;    //  Leading past this true time is stale
    bool stale_reported;        //  One stale-leader report per leadership
} node_t;

struct _fixture_t {
    fixture_options_t opts;
    core_config_t config;                       //  Template; self set per node
    quorum_t quorum;                            //  The members' weights, for checks
    rng_t rng;                                  //  Network and process decisions
    node_t node [FIXTURE_NODES_MAX];
    bool link_up [FIXTURE_NODES_MAX][FIXTURE_NODES_MAX];
    uint64_t queue_until [FIXTURE_NODES_MAX][FIXTURE_NODES_MAX];
    flight_t *heap;                             //  Messages in flight (min-heap)
    size_t flight_count;
    size_t flight_alloc;
    uint64_t sent;                              //  Send order counter
    uint64_t now_ms;                            //  True time
    uint64_t events;
    uint64_t hash;                              //  Of every event and outcome
    term_record_t *terms;                       //  Indexed by term
    size_t term_alloc;
    uint32_t leaders_elected;
    uint32_t violations;
    uint32_t violated;                          //  Bit per fixture_property_t
    fixture_property_t first;
    char violation [512];
    char property_text [FIXTURE_PROPERTIES][256];   //  First of each property
    FILE *trace;
    core_update_t update;                       //  Reused; large
    //  What has been applied anywhere: the id at each index (+1; 0 unknown)
    uint64_t *applied_ids;
    size_t applied_alloc;
    uint64_t applied_max;
    proposal_t *acked;                          //  Acknowledged writes
    size_t acked_count;
    size_t acked_alloc;
};

static const char *s_property_names [FIXTURE_PROPERTIES] = {
    "two-leaders", "two-leases", "term-regress", "double-vote", "no-quorum-leader",
    "stale-leader", "liveness", "instability", "rejoin", "log-matching", "leader-completeness",
    "sm-safety", "acked-lost"
};

//  --------------------------------------------------------------------------

void
fixture_options_defaults (fixture_options_t *opts, uint32_t nodes, uint64_t seed)
{
    memset (opts, 0, sizeof (*opts));
    opts->nodes = nodes;
    opts->seed = seed;
    opts->heartbeat_ms = CORE_HEARTBEAT_MS_DEFAULT;
    opts->election_timeout_ms = CORE_ELECTION_MS_DEFAULT;
    opts->max_drift_ppm = CORE_DRIFT_PPM_DEFAULT;
    opts->latency_min_ms = 1;
    opts->latency_max_ms = 3;
    opts->replicate = true;
}

//  --------------------------------------------------------------------------
//  Clocks

static uint64_t
s_local (const node_t *node, uint64_t true_ms)
{
    uint64_t elapsed = true_ms - node->start_ms;
    return node->offset_ms + elapsed * (uint64_t) (1000000 + node->rate_ppm) / 1000000;
}

//  First true time at which the node's clock reads at least local_ms.
static uint64_t
s_true (const node_t *node, uint64_t local_ms)
{
    if (local_ms <= node->offset_ms)
        return node->start_ms;
    uint64_t delta = local_ms - node->offset_ms;
    uint64_t rate = (uint64_t) (1000000 + node->rate_ppm);
    uint64_t t = node->start_ms + (delta * 1000000) / rate;
    while (s_local (node, t) < local_ms)
        t++;
    while (t > node->start_ms && s_local (node, t - 1) >= local_ms)
        t--;
    return t;
}

//  True ms for local_ms to pass on this node's clock, rounded up.
static uint64_t
s_true_span (const node_t *node, uint64_t local_ms)
{
    uint64_t rate = (uint64_t) (1000000 + node->rate_ppm);
    return (local_ms * 1000000 + rate - 1) / rate;
}

static uint64_t
s_max (uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

//  When a blocked node can take events again (0 or the past: now).
static uint64_t
s_wake_ms (const node_t *node)
{
    return node->syncing ? s_max (node->sync_done_ms, node->paused_until_ms)
                         : node->paused_until_ms;
}

static bool
s_blocked (const fixture_t *self, const node_t *node)
{
    return node->core && (node->syncing || self->now_ms < node->paused_until_ms);
}

//  --------------------------------------------------------------------------
//  Trace and hash

static void
s_mix (fixture_t *self, uint64_t value)
{
    //  A 64-bit multiply-xorshift chain: cheap, and any change in any
    //  event or its outcome changes the result.
    self->hash = (self->hash ^ value) * 0x9E3779B97F4A7C15ULL;
    self->hash ^= self->hash >> 29;
}

static void
s_note (fixture_t *self, uint32_t node, const char *text)
{
    if (self->trace)
        fprintf (self->trace, "%8" PRIu64 " n%u %s\n", self->now_ms, node, text);
}

//  --------------------------------------------------------------------------
//  The checker

static term_record_t *
s_term (fixture_t *self, uint64_t term)
{
    if (term >= self->term_alloc) {
        size_t alloc = self->term_alloc ? self->term_alloc : 64;
        while (alloc <= term)
            alloc *= 2;
        self->terms = realloc (self->terms, alloc * sizeof (term_record_t));
        assert (self->terms);
        for (size_t t = self->term_alloc; t < alloc; t++) {
            self->terms [t].leader = -1;
            memset (self->terms [t].vote_of, -1, sizeof (self->terms [t].vote_of));
        }
        self->term_alloc = alloc;
    }
    return &self->terms [term];
}

static void
s_file (fixture_t *self, fixture_property_t property, const char *text)
{
    if (self->violations++ == 0) {
        snprintf (self->violation, sizeof (self->violation), "t=%" PRIu64 "ms %s: %s",
                  self->now_ms, s_property_names [property], text);
        self->first = property;
    }
    if (!(self->violated & (1u << property)))
        snprintf (self->property_text [property], sizeof (self->property_text [property]),
                  "t=%" PRIu64 "ms %s: %s", self->now_ms, s_property_names [property], text);
    self->violated |= 1u << property;
    if (self->trace)
        fprintf (self->trace, "%8" PRIu64 " VIOLATION %s: %s\n", self->now_ms,
                 s_property_names [property], text);
}

static void
s_violation (fixture_t *self, fixture_property_t property, const char *format,
             uint64_t a, uint64_t b, uint64_t c)
{
    char text [256];
    snprintf (text, sizeof (text), format, a, b, c);
    s_file (self, property, text);
}

//  At step time: what the core holds in memory must never be behind what
//  it already told the world.
static void
s_observe (fixture_t *self, uint32_t i, const core_update_t *update)
{
    node_t *node = &self->node [i];
    if (update->term < node->max_term)
        s_violation (self, FIXTURE_TERM_REGRESS,
                     "node %" PRIu64 " term went back from %" PRIu64 " to %" PRIu64,
                     i, node->max_term, update->term);
    if (update->violation)
        s_violation (self, FIXTURE_TWO_LEADERS,
                     "node %" PRIu64 " saw two leaders in term %" PRIu64 " (other: %" PRIu64 ")",
                     i, update->violation_term, update->violation_member);
}

static void s_update_stale_limit (fixture_t *self, uint32_t i);
static void s_check_completeness (fixture_t *self, uint32_t i);

//  At commit time (the step's messages leave): its term, vote and
//  leadership are now known to the world.
static void
s_record (fixture_t *self, uint32_t i, const core_update_t *update)
{
    node_t *node = &self->node [i];
    if (update->term > node->max_term)
        node->max_term = update->term;
    if (update->voted_for != CORE_NOBODY) {
        term_record_t *record = s_term (self, update->term);
        if (record->vote_of [i] >= 0 && record->vote_of [i] != update->voted_for)
            s_violation (self, FIXTURE_DOUBLE_VOTE,
                         "node %" PRIu64 " voted twice in term %" PRIu64 " (now for %" PRIu64 ")",
                         i, update->term, (uint64_t) update->voted_for);
        record->vote_of [i] = (int8_t) update->voted_for;
    }
    if (update->role_changed && core_role (node->core) == CORE_LEADER) {
        uint64_t term = core_term (node->core);
        term_record_t *record = s_term (self, term);
        if (record->leader >= 0 && record->leader != (int32_t) i)
            s_violation (self, FIXTURE_TWO_LEADERS,
                         "two leaders in term %" PRIu64 ": %" PRIu64 " and %" PRIu64,
                         term, (uint64_t) record->leader, i);
        else
        if (record->leader < 0) {
            record->leader = (int32_t) i;
            self->leaders_elected++;
        }
        //  The votes this leader holds must be a weighted quorum.
        uint64_t granted = 0, total = 0;
        for (uint32_t j = 0; j < self->opts.nodes; j++) {
            total += self->config.weights [j];
            if (record->vote_of [j] == (int8_t) i)
                granted += self->config.weights [j];
        }
        if (!quorum_weighted (granted, total))
            s_violation (self, FIXTURE_NO_QUORUM_LEADER,
                         "node %" PRIu64 " leads term %" PRIu64 " with vote weight %" PRIu64,
                         i, term, granted);
        if (self->opts.replicate)
            s_check_completeness (self, i);
        node->lead_since_ms = self->now_ms;
        node->contact_mask = 0;
        node->stale_reported = false;
        s_update_stale_limit (self, i);
    }
}

//  No two nodes hold a valid lease at this true time. A paused node counts:
//  its process may wake at any moment and ask core_current_leader before it
//  steps, which is exactly what dispatch does.
static void
s_check_leases (fixture_t *self)
{
    int holder = -1;
    for (uint32_t i = 0; i < self->opts.nodes; i++) {
        node_t *node = &self->node [i];
        if (!node->core)
            continue;
        core_leadership_t info = core_current_leader (node->core, s_local (node, self->now_ms));
        if (!info.lease_valid)
            continue;
        if (holder >= 0)
            s_violation (self, FIXTURE_TWO_LEASES,
                         "two valid leases: node %" PRIu64 " and node %" PRIu64 " (term %" PRIu64 ")",
                         (uint64_t) holder, i, info.term);
        holder = (int) i;
    }
}

//  CheckQuorum's promise: a running leader that has not heard a granted
//  acknowledgement from a weighted quorum for T (on its own clock) no
//  longer calls itself leader. The checker counts an acknowledgement when
//  it is delivered, which is never earlier than the round the core counts
//  it for, so the bound it checks is never tighter than the core's. The
//  limit only moves when an acknowledgement arrives (the leader itself
//  always counts as heard from), so it is computed then.
static void
s_update_stale_limit (fixture_t *self, uint32_t i)
{
    node_t *node = &self->node [i];
    uint64_t times [QUORUM_MEMBERS_MAX] = { 0 };
    memcpy (times, node->contact_ms, sizeof (node->contact_ms));
    times [i] = UINT64_MAX;
    uint64_t contact;
    if (!quorum_time (&self->quorum, times, node->contact_mask | (1ULL << i), &contact)
    || contact < node->lead_since_ms)
        contact = node->lead_since_ms;
    if (contact == UINT64_MAX)
        node->stale_after_ms = UINT64_MAX;      //  It is a quorum by itself
    else
        node->stale_after_ms = contact + s_true_span (node, self->opts.election_timeout_ms)
                             + FIXTURE_STALE_SLACK_MS;
}

//  A blocked node, and one that has not stepped since it was blocked, has
//  had no chance to run its deadline yet and is left out until it has.
static void
s_check_stale_leaders (fixture_t *self)
{
    for (uint32_t i = 0; i < self->opts.nodes; i++) {
        node_t *node = &self->node [i];
        if (!node->core || self->now_ms <= node->stale_after_ms || node->stale_reported
        || node->woke || s_blocked (self, node) || core_role (node->core) != CORE_LEADER)
            continue;
        node->stale_reported = true;
        s_violation (self, FIXTURE_STALE_LEADER,
                     "node %" PRIu64 " still leads term %" PRIu64
                     " with no quorum contact for %" PRIu64 " ms",
                     i, core_term (node->core),
                     self->now_ms - node->stale_after_ms + s_true_span (node, self->opts.election_timeout_ms)
                     + FIXTURE_STALE_SLACK_MS);
    }
}

static void
s_check (fixture_t *self)
{
    s_check_leases (self);
    s_check_stale_leaders (self);
}

//  --------------------------------------------------------------------------
//  Logs: the durable log of ids, applying, proposals, and their checks

static uint64_t
s_chain (uint64_t previous, uint64_t term, uint64_t id)
{
    uint64_t h = (previous ^ (term * 0x9E3779B97F4A7C15ULL)) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    h = (h ^ id) * 0x94D049BB133111EBULL;
    return h ^ (h >> 29);
}

static uint64_t
s_log_last (const fxlog_t *log)
{
    return log->snap_index + log->count;
}

//  The id and history hash at index, if the log (or its snapshot) has it.
static bool
s_log_at (const fxlog_t *log, uint64_t index, uint64_t *term, uint64_t *id, uint64_t *hash)
{
    if (index == 0 || index > s_log_last (log))
        return false;
    if (index <= log->snap_index) {
        if (id)
            *id = log->snap_ids [index - 1];
        if (index == log->snap_index) {
            if (term)
                *term = log->snap_term;
            if (hash)
                *hash = log->snap_hash;
        }
        else {
            if (term)
                *term = 0;      //  Inside the snapshot: not kept
            if (hash)
                *hash = 0;
        }
        return true;
    }
    size_t k = index - log->snap_index - 1;
    if (term)
        *term = log->terms [k];
    if (id)
        *id = log->ids [k];
    if (hash)
        *hash = log->hashes [k];
    return true;
}

static void
s_log_reserve (fxlog_t *log, size_t count)
{
    if (count <= log->alloc)
        return;
    size_t alloc = log->alloc ? log->alloc : 64;
    while (alloc < count)
        alloc *= 2;
    log->terms = realloc (log->terms, alloc * sizeof (uint64_t));
    log->ids = realloc (log->ids, alloc * sizeof (uint64_t));
    log->hashes = realloc (log->hashes, alloc * sizeof (uint64_t));
    assert (log->terms && log->ids && log->hashes);
    log->alloc = alloc;
}

static void
s_snap_reserve (fxlog_t *log, size_t count)
{
    if (count <= log->snap_alloc)
        return;
    size_t alloc = log->snap_alloc ? log->snap_alloc : 64;
    while (alloc < count)
        alloc *= 2;
    log->snap_ids = realloc (log->snap_ids, alloc * sizeof (uint64_t));
    assert (log->snap_ids);
    log->snap_alloc = alloc;
}

static void
s_log_free (fxlog_t *log)
{
    free (log->snap_ids);
    free (log->terms);
    free (log->ids);
    free (log->hashes);
    memset (log, 0, sizeof (*log));
}

//  Log matching: whoever else holds an entry of this term at this index
//  must have the same history up to it.
static void
s_check_matching (fixture_t *self, uint32_t i, uint64_t index, uint64_t term, uint64_t hash)
{
    for (uint32_t j = 0; j < self->opts.nodes; j++) {
        uint64_t other_term, other_hash;
        if (j == i || !s_log_at (&self->node [j].log, index, &other_term, NULL, &other_hash)
        ||  other_term != term || other_hash == 0 || other_hash == hash)
            continue;
        s_violation (self, FIXTURE_LOG_MATCHING,
                     "index %" PRIu64 " term %" PRIu64 ": node %" PRIu64
                     " and another hold different histories", index, term, i);
        return;
    }
}

//  The appends of a step, made durable (the step's ids were copied at
//  step time: the payload pointers die with the event).
static void
s_log_persist (fixture_t *self, uint32_t i, const core_update_t *update)
{
    node_t *node = &self->node [i];
    fxlog_t *log = &node->log;
    if (update->install_snapshot) {
        assert (node->step_snapshot_count == update->snapshot_index + 1);
        s_snap_reserve (log, update->snapshot_index);
        memcpy (log->snap_ids, node->step_snapshot, update->snapshot_index * sizeof (uint64_t));
        log->snap_index = update->snapshot_index;
        log->snap_term = update->snapshot_term;
        log->snap_hash = node->step_snapshot [update->snapshot_index];
        log->count = 0;
        node->applied = log->snap_index;
    }
    if (update->log_truncate && update->log_truncate_after < s_log_last (log)) {
        assert (update->log_truncate_after >= log->snap_index);
        log->count = update->log_truncate_after - log->snap_index;
    }
    for (size_t a = 0; a < update->append_count; a++) {
        const core_entry_t *entry = &update->appends [a];
        if (entry->index != s_log_last (log) + 1) {
            s_violation (self, FIXTURE_LOG_MATCHING,
                         "node %" PRIu64 " appended index %" PRIu64 " after %" PRIu64,
                         i, entry->index, s_log_last (log));
            return;
        }
        uint64_t previous = 0;
        s_log_at (log, entry->index - 1, NULL, NULL, &previous);
        s_log_reserve (log, log->count + 1);
        log->terms [log->count] = entry->term;
        log->ids [log->count] = node->step_ids [a];
        log->hashes [log->count] = s_chain (previous, entry->term, node->step_ids [a]);
        log->count++;
        s_check_matching (self, i, entry->index, entry->term, log->hashes [log->count - 1]);
    }
}

//  One entry applied at node i: every node applies the same id at an index.
static void
s_apply_check (fixture_t *self, uint32_t i, uint64_t index, uint64_t id)
{
    if (index >= self->applied_alloc) {
        size_t alloc = self->applied_alloc ? self->applied_alloc : 1024;
        while (alloc <= index)
            alloc *= 2;
        self->applied_ids = realloc (self->applied_ids, alloc * sizeof (uint64_t));
        assert (self->applied_ids);
        memset (self->applied_ids + self->applied_alloc, 0,
                (alloc - self->applied_alloc) * sizeof (uint64_t));
        self->applied_alloc = alloc;
    }
    if (self->applied_ids [index] && self->applied_ids [index] != id + 1)
        s_violation (self, FIXTURE_SM_SAFETY,
                     "node %" PRIu64 " applied id %" PRIu64 " at index %" PRIu64
                     ", another node a different one", i, id, index);
    else
        self->applied_ids [index] = id + 1;
    if (index > self->applied_max)
        self->applied_max = index;
}

static void
s_ack (fixture_t *self, const proposal_t *proposal)
{
    if (self->acked_count == self->acked_alloc) {
        self->acked_alloc = self->acked_alloc ? 2 * self->acked_alloc : 256;
        self->acked = realloc (self->acked, self->acked_alloc * sizeof (proposal_t));
        assert (self->acked);
    }
    self->acked [self->acked_count++] = *proposal;
}

//  Apply what the step committed, answer our proposals, compact.
static void
s_apply (fixture_t *self, uint32_t i, const core_update_t *update)
{
    node_t *node = &self->node [i];
    fxlog_t *log = &node->log;
    if (update->install_snapshot)
        for (uint64_t k = 1; k <= log->snap_index; k++)
            s_apply_check (self, i, k, log->snap_ids [k - 1]);
    uint64_t last = s_log_last (log);
    uint64_t commit = update->commit_index < last ? update->commit_index : last;
    while (node->applied < commit) {
        uint64_t index = ++node->applied, term = 0, id = 0;
        s_log_at (log, index, &term, &id, NULL);
        s_apply_check (self, i, index, id);
        for (size_t p = 0; p < node->proposal_count; p++) {
            proposal_t *proposal = &node->proposals [p];
            if (proposal->index != index)
                continue;
            //  Ours if the entry that committed there is the one we appended
            if (proposal->term == term && proposal->id == id)
                s_ack (self, proposal);
            node->proposals [p--] = node->proposals [--node->proposal_count];
        }
    }
    //  Proposals at indexes already applied can no longer be answered
    for (size_t p = 0; p < node->proposal_count; p++)
        if (node->proposals [p].index <= node->applied)
            node->proposals [p--] = node->proposals [--node->proposal_count];
    //  A snapshot of the applied state, as a node compacts its log
    if (self->opts.replicate && node->applied >= log->snap_index + FIXTURE_COMPACT_EVERY
    &&  node->core && core_compact (node->core, node->applied) == 0) {
        uint64_t upto = node->applied, term = 0, hash = 0;
        s_log_at (log, upto, &term, NULL, &hash);
        s_snap_reserve (log, upto);
        for (uint64_t k = log->snap_index + 1; k <= upto; k++)
            log->snap_ids [k - 1] = log->ids [k - log->snap_index - 1];
        size_t drop = upto - log->snap_index;
        memmove (log->terms, log->terms + drop, (log->count - drop) * sizeof (uint64_t));
        memmove (log->ids, log->ids + drop, (log->count - drop) * sizeof (uint64_t));
        memmove (log->hashes, log->hashes + drop, (log->count - drop) * sizeof (uint64_t));
        log->count -= drop;
        log->snap_index = upto;
        log->snap_term = term;
        log->snap_hash = hash;
    }
}

//  Leader completeness: a new leader holds every entry anyone applied.
static void
s_check_completeness (fixture_t *self, uint32_t i)
{
    const fxlog_t *log = &self->node [i].log;
    for (uint64_t index = 1; index <= self->applied_max; index++) {
        uint64_t id;
        if (!self->applied_ids [index])
            continue;
        if (!s_log_at (log, index, NULL, &id, NULL) || id + 1 != self->applied_ids [index]) {
            s_violation (self, FIXTURE_LEADER_COMPLETENESS,
                         "node %" PRIu64 " leads term %" PRIu64
                         " without the entry applied at index %" PRIu64,
                         i, core_term (self->node [i].core), index);
            return;
        }
    }
}

//  --------------------------------------------------------------------------
//  The network

static bool
s_earlier (const flight_t *a, const flight_t *b)
{
    return a->at_ms < b->at_ms || (a->at_ms == b->at_ms && a->order < b->order);
}

static void
s_heap_push (fixture_t *self, const flight_t *flight)
{
    if (self->flight_count == self->flight_alloc) {
        self->flight_alloc = self->flight_alloc ? self->flight_alloc * 2 : 256;
        self->heap = realloc (self->heap, self->flight_alloc * sizeof (flight_t));
        assert (self->heap);
    }
    size_t at = self->flight_count++;
    while (at > 0) {
        size_t parent = (at - 1) / 2;
        if (!s_earlier (flight, &self->heap [parent]))
            break;
        self->heap [at] = self->heap [parent];
        at = parent;
    }
    self->heap [at] = *flight;
}

static flight_t
s_heap_pop (fixture_t *self)
{
    flight_t top = self->heap [0];
    flight_t last = self->heap [--self->flight_count];
    size_t at = 0;
    while (true) {
        size_t child = 2 * at + 1;
        if (child >= self->flight_count)
            break;
        if (child + 1 < self->flight_count && s_earlier (&self->heap [child + 1], &self->heap [child]))
            child++;
        if (!s_earlier (&self->heap [child], &last))
            break;
        self->heap [at] = self->heap [child];
        at = child;
    }
    if (self->flight_count)
        self->heap [at] = last;
    return top;
}

//  When a message sent now on from -> to arrives: latency, perhaps held
//  back (late delivery), perhaps queued behind a lost connection.
static uint64_t
s_arrival (fixture_t *self, uint32_t from, uint32_t to)
{
    uint64_t span = self->opts.latency_max_ms - self->opts.latency_min_ms + 1;
    uint64_t delay = self->opts.latency_min_ms + rng_below (&self->rng, span);
    if (self->opts.late_ppm && rng_below (&self->rng, 1000000) < self->opts.late_ppm) {
        uint64_t late_span = self->opts.late_max_ms - self->opts.late_min_ms + 1;
        delay += self->opts.late_min_ms + rng_below (&self->rng, late_span);
    }
    uint64_t start = s_max (self->now_ms, self->queue_until [from][to]);
    return start + delay;
}

static uint64_t *
s_copy_payload (const uint64_t *payload, size_t count)
{
    if (!count)
        return NULL;
    uint64_t *copy = malloc (count * sizeof (uint64_t));
    assert (copy);
    memcpy (copy, payload, count * sizeof (uint64_t));
    return copy;
}

//  Put msg on the wire with a copy of payload (borrowed from the caller).
static void
s_send (fixture_t *self, const core_msg_t *msg, const uint64_t *payload, size_t count)
{
    if (!self->link_up [msg->from][msg->to])
        return;
    if (self->opts.loss_ppm && rng_below (&self->rng, 1000000) < self->opts.loss_ppm)
        return;
    flight_t flight = { .at_ms = s_arrival (self, msg->from, msg->to), .order = self->sent++,
                        .msg = *msg, .payload = s_copy_payload (payload, count),
                        .payload_count = count };
    s_heap_push (self, &flight);
    if (self->opts.dup_ppm && rng_below (&self->rng, 1000000) < self->opts.dup_ppm) {
        flight.at_ms = s_arrival (self, msg->from, msg->to);
        flight.order = self->sent++;
        flight.payload = s_copy_payload (payload, count);
        s_heap_push (self, &flight);
    }
}

//  What an APPEND or SNAPSHOT carries, read from node i's durable log as
//  the node would when it encodes the message; NULL for other messages.
static uint64_t *
s_payload (fixture_t *self, uint32_t i, const core_msg_t *msg, size_t *count)
{
    const fxlog_t *log = &self->node [i].log;
    *count = 0;
    if (msg->type == CORE_MSG_APPEND && msg->entry_count) {
        uint64_t *payload = malloc (2 * msg->entry_count * sizeof (uint64_t));
        assert (payload);
        for (uint32_t k = 0; k < msg->entry_count; k++) {
            uint64_t term = 0, id = 0;
            bool have = s_log_at (log, msg->prev_index + 1 + k, &term, &id, NULL);
            assert (have && msg->prev_index + 1 + k > log->snap_index);
            (void) have;
            payload [2 * k] = term;
            payload [2 * k + 1] = id;
        }
        *count = 2 * msg->entry_count;
        return payload;
    }
    if (msg->type == CORE_MSG_SNAPSHOT) {
        //  The ids through snap_index, then the history hash of the last
        //  (log matching is checked on it after the install)
        assert (msg->prev_index == log->snap_index);
        *count = log->snap_index + 1;
        uint64_t *payload = malloc (*count * sizeof (uint64_t));
        assert (payload);
        memcpy (payload, log->snap_ids, log->snap_index * sizeof (uint64_t));
        payload [log->snap_index] = log->snap_hash;
        return payload;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  Steps and commits

static void
s_crash (fixture_t *self, uint32_t i, const char *why)
{
    node_t *node = &self->node [i];
    core_destroy (&node->core);
    node->syncing = false;
    node->paused_until_ms = 0;
    node->crash_on_sync = false;
    node->woke = false;
    s_mix (self, self->now_ms);
    s_mix (self, 0x100 + i);
    s_note (self, i, why);
}

//  The step's fsync completed (or it had nothing to persist): the hard
//  state is durable, the world may learn of it, and the messages leave.
static void
s_commit (fixture_t *self, uint32_t i, const core_update_t *update)
{
    node_t *node = &self->node [i];
    if (update->persist) {
        node->hard.term = update->term;
        node->hard.voted_for = update->voted_for;
        node->has_hard = true;
    }
    s_log_persist (self, i, update);
    s_record (self, i, update);
    for (size_t m = 0; m < update->msg_count; m++) {
        const core_msg_t *msg = &update->msgs [m];
        size_t count;
        uint64_t *payload = s_payload (self, i, msg, &count);
        if (msg->type == CORE_MSG_HEARTBEAT && msg->role != CORE_LEADER && !msg->resign)
            continue;       //  A beacon, as the node publishes it: only monitors hear it
        if (msg->to == CORE_TO_ALL) {
            //  A broadcast becomes one message per peer, each with its own
            //  latency and fate, as on PUB/SUB; delivery restores the
            //  broadcast address.
            for (uint32_t j = 0; j < self->opts.nodes; j++) {
                if (j == i)
                    continue;
                core_msg_t routed = *msg;
                routed.to = j;
                s_send (self, &routed, payload, count);
            }
        }
        else
            s_send (self, msg, payload, count);
        free (payload);
    }
    s_apply (self, i, update);
    node->deadline_ms = s_true (node, update->next_deadline_ms);
}

//  A deferred commit, at the end of the fsync stall.
static void
s_finish_sync (fixture_t *self, uint32_t i)
{
    node_t *node = &self->node [i];
    node->syncing = false;
    s_mix (self, self->now_ms);
    s_mix (self, 0x200 + i);
    if (self->trace) {
        char text [64];
        snprintf (text, sizeof (text), "fsync done, sends %zu", node->pending->msg_count);
        s_note (self, i, text);
    }
    s_commit (self, i, node->pending);
    //  Its deadline may have passed during the stall: run it at once.
    if (node->deadline_ms < self->now_ms)
        node->deadline_ms = self->now_ms;
    s_check (self);
}

static void
s_trace_step (fixture_t *self, uint32_t i, const char *what, const core_msg_t *msg,
              const core_update_t *update)
{
    if (!self->trace)
        return;
    core_t *core = self->node [i].core;
    fprintf (self->trace, "%8" PRIu64 " n%u %-14s", self->now_ms, i, what);
    if (msg)
        fprintf (self->trace, " from n%u t%" PRIu64 "%s", msg->from, msg->term,
                 msg->granted ? " granted" : "");
    fprintf (self->trace, " -> %s t%" PRIu64 " leader=%d", core_role_name (core_role (core)),
             core_term (core), core_current_leader (core, 0).leader);
    if (update->reason)
        fprintf (self->trace, " (%s)", core_reason_name (update->reason));
    if (update->lease_changed)
        fprintf (self->trace, " lease-until=%" PRIu64, core_lease_expiry_ms (core));
    if (update->persist)
        fprintf (self->trace, " persist(t%" PRIu64 ",v%d)", update->term, update->voted_for);
    if (update->log_truncate)
        fprintf (self->trace, " truncate>%" PRIu64, update->log_truncate_after);
    if (update->append_count)
        fprintf (self->trace, " append %" PRIu64 "..%" PRIu64 "(t%" PRIu64 ")",
                 update->appends [0].index, update->appends [update->append_count - 1].index,
                 update->appends [update->append_count - 1].term);
    if (update->install_snapshot)
        fprintf (self->trace, " install-snapshot@%" PRIu64, update->snapshot_index);
    if (update->commit_changed)
        fprintf (self->trace, " commit=%" PRIu64, update->commit_index);
    if (update->msg_count)
        fprintf (self->trace, " sends %zu", update->msg_count);
    fprintf (self->trace, "\n");
}

static void
s_hash_step (fixture_t *self, uint32_t i, const core_event_t *event, const core_update_t *update)
{
    s_mix (self, self->now_ms);
    s_mix (self, ((uint64_t) i << 8) | (uint64_t) event->type);
    if (event->type == CORE_EV_RECV) {
        s_mix (self, ((uint64_t) event->msg.type << 32) | ((uint64_t) event->msg.from << 1)
                     | event->msg.granted);
        s_mix (self, event->msg.term);
        s_mix (self, event->msg.hb_ms);
    }
    s_mix (self, update->term);
    s_mix (self, (uint64_t) (uint32_t) update->voted_for);
    s_mix (self, (update->commit_index << 8) ^ update->append_count ^ ((uint64_t) update->log_truncate << 7));
    s_mix (self, ((uint64_t) core_role (self->node [i].core) << 40)
                 | ((uint64_t) update->msg_count << 8) | update->persist);
    s_mix (self, update->next_deadline_ms);
}

//  Step node i's core with event, then persist, send and check.
static int
s_step (fixture_t *self, uint32_t i, const core_event_t *event, const char *what)
{
    node_t *node = &self->node [i];
    core_update_t *update = &self->update;
    int rc = core_step (node->core, event, update);
    //  The appends' payloads point into the event: keep their ids now,
    //  since the step may wait in fsync past the event's lifetime.
    for (size_t a = 0; a < update->append_count; a++)
        node->step_ids [a] = update->appends [a].data ? *(const uint64_t *) update->appends [a].data : 0;
    //  A proposal is the client's from now on: it may commit in this very
    //  step (a leader that is a quorum by itself).
    if (event->type == CORE_EV_PROPOSE && rc == 0 && update->proposed_index) {
        if (node->proposal_count == FIXTURE_PROPOSALS_MAX) {
            memmove (node->proposals, node->proposals + 1,
                     (FIXTURE_PROPOSALS_MAX - 1) * sizeof (proposal_t));
            node->proposal_count--;
        }
        node->proposals [node->proposal_count++] = (proposal_t) {
            .index = update->proposed_index, .term = update->proposed_term,
            .id = *(const uint64_t *) event->entries [0].data
        };
    }
    node->woke = false;
    self->events++;
    s_hash_step (self, i, event, update);
    s_trace_step (self, i, what, event->type == CORE_EV_RECV ? &event->msg : NULL, update);
    s_observe (self, i, update);
    if (update->persist && node->crash_on_sync) {
        char text [96];
        snprintf (text, sizeof (text), "CRASH before fsync: lost persist(t%" PRIu64 ",v%d) and %zu messages",
                  update->term, update->voted_for, update->msg_count);
        s_crash (self, i, text);
        s_check (self);
        return rc;
    }
    uint64_t stall = 0;
    if (update->persist && self->opts.fsync_ms_max)
        stall = rng_below (&self->rng, self->opts.fsync_ms_max + 1);
    if (stall) {
        //  The node loop blocks in fsync; the messages wait for it.
        if (!node->pending) {
            node->pending = malloc (sizeof (core_update_t));
            assert (node->pending);
        }
        *node->pending = *update;
        node->syncing = true;
        node->sync_done_ms = self->now_ms + stall;
        node->woke = true;
    }
    else {
        s_commit (self, i, update);
        if (node->deadline_ms <= self->now_ms)
            node->deadline_ms = self->now_ms + 1;   //  A core asking for "now" again
    }
    if (event->type == CORE_EV_RECV && event->msg.type == CORE_MSG_HEARTBEAT_ACK
    && event->msg.granted && core_role (node->core) == CORE_LEADER
    && event->msg.term == core_term (node->core)) {
        node->contact_ms [event->msg.from] = self->now_ms;
        node->contact_mask |= 1ULL << event->msg.from;
        s_update_stale_limit (self, i);
    }
    s_check (self);
    return rc;
}

static core_t *
s_boot (fixture_t *self, uint32_t i)
{
    node_t *node = &self->node [i];
    core_config_t config = self->config;
    config.self = i;
    config.seed = self->opts.seed * 1000003ULL + i * 7919ULL + node->boots++ * 104729ULL;
    //  A fresh clock reading: a restarted process's monotonic clock has
    //  nothing to do with the one before the crash.
    node->offset_ms = 1000 + rng_below (&self->rng, 100000);
    node->start_ms = self->now_ms;
    const fxlog_t *log = &node->log;
    uint64_t log_term = log->count ? log->terms [log->count - 1] : log->snap_term;
    if ((config.unsafe_controls & CORE_UNSAFE_NO_PERSIST) && log_term > node->hard.term) {
        //  The no-persist control never writes term and vote, but its log
        //  and snapshot are written: their last term stands in for the
        //  lost term (a real node writes the term first, so its log never
        //  runs ahead of it).
        node->hard.term = log_term;
        node->hard.voted_for = CORE_NOBODY;
        node->has_hard = true;
    }
    core_log_t core_log = {
        .snapshot_index = log->snap_index, .snapshot_term = log->snap_term,
        .terms = log->terms, .count = log->count
    };
    node->core = core_new_with_log (&config, node->has_hard ? &node->hard : NULL, &core_log,
                                    s_local (node, self->now_ms));
    //  The state machine is rebuilt from the snapshot; the rest is applied
    //  again as the commit index is learned.
    node->applied = log->snap_index;
    node->proposal_count = 0;
    node->deadline_ms = self->now_ms;
    node->syncing = false;
    node->paused_until_ms = 0;
    node->crash_on_sync = false;
    node->woke = false;
    return node->core;
}

//  --------------------------------------------------------------------------
//  The event loop

//  True time of node i's next own event: the end of its fsync, or its
//  deadline, never before it wakes.
static uint64_t
s_node_at (const node_t *node)
{
    if (node->syncing)
        return s_wake_ms (node);
    return s_max (node->deadline_ms, node->paused_until_ms);
}

static void
s_deliver (fixture_t *self, flight_t *flight)
{
    uint32_t to = flight->msg.to;
    node_t *node = &self->node [to];
    //  Dropped if the recipient is down or the link was cut in flight.
    if (!node->core || !self->link_up [flight->msg.from][to]) {
        free (flight->payload);
        return;
    }
    if (self->now_ms < s_wake_ms (node)) {
        //  It waits in the socket until the process takes events again.
        flight->at_ms = s_wake_ms (node);
        s_heap_push (self, flight);
        return;
    }
    if (node->syncing)
        s_finish_sync (self, to);
    core_event_t event = {
        .type = CORE_EV_RECV, .now_ms = s_local (node, self->now_ms), .msg = flight->msg
    };
    if (event.msg.type == CORE_MSG_HEARTBEAT)
        event.msg.to = CORE_TO_ALL;     //  As published
    core_entry_t entries [CORE_APPEND_MAX];
    if (event.msg.type == CORE_MSG_APPEND && flight->payload_count == 2 * (size_t) event.msg.entry_count
    &&  event.msg.entry_count <= CORE_APPEND_MAX) {
        for (uint32_t k = 0; k < event.msg.entry_count; k++)
            entries [k] = (core_entry_t) {
                .index = event.msg.prev_index + 1 + k, .term = flight->payload [2 * k],
                .type = flight->payload [2 * k + 1] ? CORE_ENTRY_COMMAND : CORE_ENTRY_NOOP,
                .data = (const uint8_t *) &flight->payload [2 * k + 1], .size = sizeof (uint64_t)
            };
        event.entries = entries;
    }
    if (event.msg.type == CORE_MSG_SNAPSHOT) {
        //  Kept until the step's commit, which may wait in fsync
        free (node->step_snapshot);
        node->step_snapshot = flight->payload;
        node->step_snapshot_count = flight->payload_count;
        flight->payload = NULL;
    }
    s_step (self, to, &event, core_msg_type_name (flight->msg.type));
    free (flight->payload);
}

//  Process the earliest pending event if it is at or before until_ms.
static bool
s_next_event (fixture_t *self, uint64_t until_ms)
{
    int node_next = -1;
    uint64_t node_at = UINT64_MAX;
    for (uint32_t i = 0; i < self->opts.nodes; i++)
        if (self->node [i].core && s_node_at (&self->node [i]) < node_at) {
            node_next = (int) i;
            node_at = s_node_at (&self->node [i]);
        }
    uint64_t flight_at = self->flight_count ? self->heap [0].at_ms : UINT64_MAX;
    uint64_t at = node_at < flight_at ? node_at : flight_at;
    if (at > until_ms)
        return false;
    if (at > self->now_ms)
        self->now_ms = at;
    if (flight_at <= node_at) {
        flight_t flight = s_heap_pop (self);
        s_deliver (self, &flight);
    }
    else {
        node_t *node = &self->node [node_next];
        if (node->syncing)
            s_finish_sync (self, (uint32_t) node_next);
        else {
            core_event_t event = { .type = CORE_EV_TICK, .now_ms = s_local (node, self->now_ms) };
            s_step (self, (uint32_t) node_next, &event, "tick");
        }
    }
    return true;
}

//  --------------------------------------------------------------------------
//  Public functions

fixture_t *
fixture_new (const fixture_options_t *opts)
{
    if (opts->nodes < 1 || opts->nodes > FIXTURE_NODES_MAX
    || opts->latency_max_ms < opts->latency_min_ms || opts->late_max_ms < opts->late_min_ms)
        return NULL;
    fixture_t *self = calloc (1, sizeof (fixture_t));
    assert (self);
    self->opts = *opts;
    self->first = FIXTURE_PROPERTIES;
    rng_seed (&self->rng, opts->seed);
    core_config_defaults (&self->config, 0, opts->nodes);
    if (opts->weighted)
        for (uint32_t i = 0; i < opts->nodes; i++)
            self->config.weights [i] = opts->weights [i];
    self->config.heartbeat_ms = opts->heartbeat_ms;
    self->config.election_timeout_ms = opts->election_timeout_ms;
    self->config.lease_ms = opts->lease_ms;
    self->config.max_drift_ppm = opts->max_drift_ppm;
    self->config.unsafe_controls = opts->unsafe_controls;
    self->config.replicate = opts->replicate;
    if (core_config_check (&self->config, NULL, 0)
    || quorum_init (&self->quorum, opts->nodes, self->config.weights)) {
        free (self);
        return NULL;
    }
    for (uint32_t i = 0; i < opts->nodes; i++)
        for (uint32_t j = 0; j < opts->nodes; j++)
            self->link_up [i][j] = true;
    for (uint32_t i = 0; i < opts->nodes; i++) {
        self->node [i].rate_ppm = opts->clock_rate_ppm [i];
        if (!s_boot (self, i)) {
            fixture_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
fixture_destroy (fixture_t **self_p)
{
    if (self_p && *self_p) {
        fixture_t *self = *self_p;
        for (uint32_t i = 0; i < FIXTURE_NODES_MAX; i++) {
            core_destroy (&self->node [i].core);
            free (self->node [i].pending);
            free (self->node [i].step_snapshot);
            s_log_free (&self->node [i].log);
        }
        for (size_t f = 0; f < self->flight_count; f++)
            free (self->heap [f].payload);
        free (self->heap);
        free (self->applied_ids);
        free (self->acked);
        free (self->terms);
        free (self);
        *self_p = NULL;
    }
}

void
fixture_set_trace (fixture_t *self, FILE *trace)
{
    self->trace = trace;
}

void
fixture_trace_note (fixture_t *self, const char *text)
{
    if (self->trace)
        fprintf (self->trace, "%8" PRIu64 " -- %s\n", self->now_ms, text);
}

void
fixture_run_until (fixture_t *self, uint64_t until_ms)
{
    while (s_next_event (self, until_ms))
        ;
    if (until_ms > self->now_ms)
        self->now_ms = until_ms;
    s_check (self);
}

void
fixture_run_for (fixture_t *self, uint64_t ms)
{
    fixture_run_until (self, self->now_ms + ms);
}

int
fixture_run_until_leader (fixture_t *self, uint64_t max_ms)
{
    uint64_t until = self->now_ms + max_ms;
    while (self->now_ms < until) {
        int leader = fixture_agreed_leader (self);
        if (leader >= 0)
            return leader;
        fixture_run_for (self, 1);
    }
    return fixture_agreed_leader (self);
}

int
fixture_leader (fixture_t *self)
{
    for (uint32_t i = 0; i < self->opts.nodes; i++) {
        node_t *node = &self->node [i];
        if (node->core && core_current_leader (node->core, s_local (node, self->now_ms)).lease_valid)
            return (int) i;
    }
    return -1;
}

int
fixture_agreed_leader (fixture_t *self)
{
    int leader = fixture_leader (self);
    if (leader < 0)
        return -1;
    for (uint32_t i = 0; i < self->opts.nodes; i++)
        if (self->node [i].core
        && core_current_leader (self->node [i].core, 0).leader != leader)
            return -1;
    return leader;
}

void
fixture_crash (fixture_t *self, uint32_t node)
{
    assert (node < self->opts.nodes);
    if (self->node [node].syncing)
        s_crash (self, node, "CRASH during fsync: its step is lost");
    else
        s_crash (self, node, "CRASH");
}

void
fixture_crash_before_sync (fixture_t *self, uint32_t node)
{
    assert (node < self->opts.nodes && self->node [node].core);
    self->node [node].crash_on_sync = true;
    s_note (self, node, "will crash before its next fsync completes");
}

void
fixture_restart (fixture_t *self, uint32_t node)
{
    assert (node < self->opts.nodes && !self->node [node].core);
    if (self->trace)
        fprintf (self->trace, "%8" PRIu64 " n%u RESTART term %" PRIu64 " vote %d\n", self->now_ms,
                 node, self->node [node].hard.term, self->node [node].hard.voted_for);
    core_t *core = s_boot (self, node);
    assert (core);
    (void) core;
    s_mix (self, self->now_ms);
    s_mix (self, 0x300 + node);
}

bool
fixture_alive (fixture_t *self, uint32_t node)
{
    return node < self->opts.nodes && self->node [node].core != NULL;
}

void
fixture_pause (fixture_t *self, uint32_t node, uint64_t ms)
{
    assert (node < self->opts.nodes && self->node [node].core);
    node_t *n = &self->node [node];
    n->paused_until_ms = s_max (n->paused_until_ms, self->now_ms + ms);
    n->woke = true;
    s_mix (self, self->now_ms);
    s_mix (self, 0x400 + node);
    if (self->trace) {
        char text [64];
        snprintf (text, sizeof (text), "PAUSE until %" PRIu64, n->paused_until_ms);
        s_note (self, node, text);
    }
}

void
fixture_end_faults (fixture_t *self)
{
    fixture_heal (self);
    for (uint32_t i = 0; i < self->opts.nodes; i++) {
        if (self->node [i].paused_until_ms > self->now_ms)
            self->node [i].paused_until_ms = self->now_ms;
        self->node [i].crash_on_sync = false;
    }
}

bool
fixture_blocked (fixture_t *self, uint32_t node)
{
    return node < self->opts.nodes && s_blocked (self, &self->node [node]);
}

void
fixture_set_link (fixture_t *self, uint32_t from, uint32_t to, bool up)
{
    assert (from < self->opts.nodes && to < self->opts.nodes);
    self->link_up [from][to] = up;
}

void
fixture_queue_link (fixture_t *self, uint32_t from, uint32_t to, uint64_t ms)
{
    assert (from < self->opts.nodes && to < self->opts.nodes);
    self->queue_until [from][to] = self->now_ms + ms;
}

void
fixture_isolate (fixture_t *self, uint32_t node)
{
    for (uint32_t j = 0; j < self->opts.nodes; j++)
        if (j != node) {
            self->link_up [node][j] = false;
            self->link_up [j][node] = false;
        }
}

void
fixture_partition (fixture_t *self, uint64_t side_a)
{
    for (uint32_t i = 0; i < self->opts.nodes; i++)
        for (uint32_t j = 0; j < self->opts.nodes; j++) {
            bool a_i = (side_a >> i) & 1, a_j = (side_a >> j) & 1;
            self->link_up [i][j] = (a_i == a_j);
        }
}

void
fixture_heal (fixture_t *self)
{
    for (uint32_t i = 0; i < self->opts.nodes; i++)
        for (uint32_t j = 0; j < self->opts.nodes; j++) {
            self->link_up [i][j] = true;
            self->queue_until [i][j] = 0;
        }
}

void
fixture_set_network (fixture_t *self, uint64_t latency_min_ms, uint64_t latency_max_ms,
                     uint32_t loss_ppm, uint32_t dup_ppm, uint32_t late_ppm)
{
    assert (latency_min_ms <= latency_max_ms);
    self->opts.latency_min_ms = latency_min_ms;
    self->opts.latency_max_ms = latency_max_ms;
    self->opts.loss_ppm = loss_ppm;
    self->opts.dup_ppm = dup_ppm;
    self->opts.late_ppm = late_ppm;
}

void
fixture_set_fsync (fixture_t *self, uint64_t max_ms)
{
    self->opts.fsync_ms_max = max_ms;
}

uint64_t
fixture_quiet_at (fixture_t *self)
{
    uint64_t last = self->now_ms;
    for (size_t f = 0; f < self->flight_count; f++)
        last = s_max (last, self->heap [f].at_ms);
    return last;
}

int
fixture_command (fixture_t *self, uint32_t node, core_event_type_t type, uint32_t target)
{
    assert (node < self->opts.nodes && self->node [node].core);
    node_t *n = &self->node [node];
    if (s_blocked (self, n))
        return -1;      //  A stopped process takes no commands either
    core_event_t event = { .type = type, .now_ms = s_local (n, self->now_ms), .target = target };
    return s_step (self, node, &event, "command");
}

int
fixture_propose (fixture_t *self, uint32_t node, uint64_t id)
{
    assert (node < self->opts.nodes && id > 0);
    node_t *n = &self->node [node];
    if (!n->core || s_blocked (self, n))
        return -1;
    core_entry_t entry = { .type = CORE_ENTRY_COMMAND, .data = (const uint8_t *) &id,
                           .size = sizeof (id) };
    core_event_t event = { .type = CORE_EV_PROPOSE, .now_ms = s_local (n, self->now_ms),
                           .entries = &entry };
    return s_step (self, node, &event, "propose");
}

uint64_t
fixture_acked_writes (fixture_t *self)
{
    return self->acked_count;
}

uint64_t
fixture_applied_max (fixture_t *self)
{
    return self->applied_max;
}

uint64_t
fixture_check_acked (fixture_t *self, uint32_t node)
{
    assert (node < self->opts.nodes);
    const node_t *n = &self->node [node];
    uint64_t checked = 0;
    for (size_t a = 0; a < self->acked_count; a++) {
        const proposal_t *write = &self->acked [a];
        if (write->index > n->applied)
            continue;
        uint64_t id = 0;
        if (!s_log_at (&n->log, write->index, NULL, &id, NULL) || id != write->id) {
            s_violation (self, FIXTURE_ACKED_LOST,
                         "acknowledged write %" PRIu64 " at index %" PRIu64 " is not in node %"
                         PRIu64 "'s log", write->id, write->index, node);
            break;
        }
        checked++;
    }
    return checked;
}

core_t *
fixture_core (fixture_t *self, uint32_t node)
{
    return node < self->opts.nodes ? self->node [node].core : NULL;
}

uint64_t
fixture_now (fixture_t *self)
{
    return self->now_ms;
}

uint64_t
fixture_local_now (fixture_t *self, uint32_t node)
{
    return s_local (&self->node [node], self->now_ms);
}

uint64_t
fixture_max_term (fixture_t *self)
{
    uint64_t max = 0;
    for (uint32_t i = 0; i < self->opts.nodes; i++)
        if (self->node [i].max_term > max)
            max = self->node [i].max_term;
    return max;
}

uint32_t
fixture_leaders_elected (fixture_t *self)
{
    return self->leaders_elected;
}

uint64_t
fixture_events (fixture_t *self)
{
    return self->events;
}

uint64_t
fixture_hash (fixture_t *self)
{
    return self->hash;
}

uint32_t
fixture_violations (fixture_t *self)
{
    return self->violations;
}

const char *
fixture_violation_text (fixture_t *self)
{
    return self->violation;
}

uint32_t
fixture_violated (fixture_t *self)
{
    return self->violated;
}

fixture_property_t
fixture_first_violation (fixture_t *self)
{
    return self->first;
}

const char *
fixture_property_text (fixture_t *self, fixture_property_t property)
{
    assert (property < FIXTURE_PROPERTIES);
    return self->property_text [property];
}

void
fixture_flag (fixture_t *self, fixture_property_t property, const char *text)
{
    assert (property < FIXTURE_PROPERTIES);
    s_file (self, property, text);
}

const char *
fixture_property_name (fixture_property_t property)
{
    return property < FIXTURE_PROPERTIES ? s_property_names [property] : "none";
}

int
fixture_property_lookup (const char *name)
{
    for (int p = 0; p < FIXTURE_PROPERTIES; p++)
        if (strcmp (name, s_property_names [p]) == 0)
            return p;
    return -1;
}
