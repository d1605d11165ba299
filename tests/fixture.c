/*  fixture: a simulated cluster of real cores. See fixture.h.

    Time: one true clock (uint64 ms). Node i's clock reads
        local = offset_i + (true - start_i) * (1e6 + rate_i) / 1e6
    and a core's deadline in local time is converted back to the first true
    millisecond at which the node's clock has reached it.
*/
#include "fixture.h"
#include "rng.h"
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t at_ms;             //  True delivery time
    uint64_t order;             //  Tie-break: send order
    core_msg_t msg;
} flight_t;

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
    uint64_t max_term;          //  Highest term this node ever reported
    uint32_t boots;             //  Incarnations, for per-boot seeds
} node_t;

struct _fixture_t {
    fixture_options_t opts;
    core_config_t config;                       //  Template; self set per node
    rng_t rng;                                  //  Network decisions
    node_t node [FIXTURE_NODES_MAX];
    bool link_up [FIXTURE_NODES_MAX][FIXTURE_NODES_MAX];
    flight_t *flights;                          //  Messages in flight
    size_t flight_count;
    size_t flight_alloc;
    uint64_t sent;                              //  Send order counter
    uint64_t now_ms;                            //  True time
    uint64_t events;
    term_record_t *terms;                       //  Indexed by term
    size_t term_alloc;
    uint32_t leaders_elected;
    uint32_t violations;
    char violation [512];
    FILE *trace;
    core_update_t update;                       //  Reused; large
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
}

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
s_violation (fixture_t *self, const char *format, uint64_t a, uint64_t b, uint64_t c)
{
    if (self->violations++ == 0) {
        int n = snprintf (self->violation, sizeof (self->violation), "t=%" PRIu64 "ms: ", self->now_ms);
        snprintf (self->violation + n, sizeof (self->violation) - (size_t) n, format, a, b, c);
    }
    if (self->trace)
        fprintf (self->trace, "%8" PRIu64 " VIOLATION " , self->now_ms),
        fprintf (self->trace, format, a, b, c),
        fprintf (self->trace, "\n");
}

static void
s_enqueue (fixture_t *self, const core_msg_t *msg, uint64_t at_ms)
{
    if (self->flight_count == self->flight_alloc) {
        self->flight_alloc = self->flight_alloc ? self->flight_alloc * 2 : 256;
        self->flights = realloc (self->flights, self->flight_alloc * sizeof (flight_t));
        assert (self->flights);
    }
    self->flights [self->flight_count++] = (flight_t) {
        .at_ms = at_ms, .order = self->sent++, .msg = *msg
    };
}

static void
s_send (fixture_t *self, const core_msg_t *msg)
{
    if (!self->link_up [msg->from][msg->to])
        return;
    if (self->opts.loss_ppm && rng_below (&self->rng, 1000000) < self->opts.loss_ppm)
        return;
    uint64_t span = self->opts.latency_max_ms - self->opts.latency_min_ms + 1;
    s_enqueue (self, msg, self->now_ms + self->opts.latency_min_ms + rng_below (&self->rng, span));
    if (self->opts.dup_ppm && rng_below (&self->rng, 1000000) < self->opts.dup_ppm)
        s_enqueue (self, msg, self->now_ms + self->opts.latency_min_ms + rng_below (&self->rng, span));
}

//  Record what node i's step did and check the per-step invariants.
static void
s_apply (fixture_t *self, uint32_t i, const core_update_t *update)
{
    node_t *node = &self->node [i];
    if (update->persist) {
        node->hard.term = update->term;
        node->hard.voted_for = update->voted_for;
        node->has_hard = true;
    }
    if (update->term < node->max_term)
        s_violation (self, "node %" PRIu64 " term went back from %" PRIu64 " to %" PRIu64,
                     i, node->max_term, update->term);
    else
        node->max_term = update->term;

    if (update->voted_for != CORE_NOBODY) {
        term_record_t *record = s_term (self, update->term);
        if (record->vote_of [i] >= 0 && record->vote_of [i] != update->voted_for)
            s_violation (self, "node %" PRIu64 " voted twice in term %" PRIu64 " (now for %" PRIu64 ")",
                         i, update->term, (uint64_t) update->voted_for);
        record->vote_of [i] = (int8_t) update->voted_for;
    }
    if (update->violation)
        s_violation (self, "node %" PRIu64 " saw two leaders in term %" PRIu64 " (other: %" PRIu64 ")",
                     i, update->violation_term, update->violation_member);

    if (update->role_changed && core_role (node->core) == CORE_LEADER) {
        uint64_t term = core_term (node->core);
        term_record_t *record = s_term (self, term);
        if (record->leader >= 0 && record->leader != (int32_t) i)
            s_violation (self, "two leaders in term %" PRIu64 ": %" PRIu64 " and %" PRIu64,
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
            s_violation (self, "node %" PRIu64 " leads term %" PRIu64 " with vote weight %" PRIu64,
                         i, term, granted);
    }
    for (size_t m = 0; m < update->msg_count; m++) {
        const core_msg_t *msg = &update->msgs [m];
        if (msg->to == CORE_TO_ALL) {
            //  A broadcast becomes one message per peer, each with its own
            //  latency and fate, as on PUB/SUB; delivery restores the
            //  broadcast address.
            for (uint32_t j = 0; j < self->opts.nodes; j++) {
                if (j == i)
                    continue;
                core_msg_t routed = *msg;
                routed.to = j;
                s_send (self, &routed);
            }
        }
        else
            s_send (self, msg);
    }
    node->deadline_ms = s_true (node, update->next_deadline_ms);
    if (node->deadline_ms <= self->now_ms)
        node->deadline_ms = self->now_ms + 1;   //  A core asking for "now" again
}

//  No two nodes hold a valid lease at this true time.
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
            s_violation (self, "two valid leases: node %" PRIu64 " and node %" PRIu64 " (term %" PRIu64 ")",
                         (uint64_t) holder, i, info.term);
        holder = (int) i;
    }
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
    if (update->persist)
        fprintf (self->trace, " persist(t%" PRIu64 ",v%d)", update->term, update->voted_for);
    if (update->msg_count)
        fprintf (self->trace, " sends %zu", update->msg_count);
    fprintf (self->trace, "\n");
}

static void
s_step (fixture_t *self, uint32_t i, const core_event_t *event, const char *what)
{
    node_t *node = &self->node [i];
    core_step (node->core, event, &self->update);
    self->events++;
    s_trace_step (self, i, what, event->type == CORE_EV_RECV ? &event->msg : NULL, &self->update);
    s_apply (self, i, &self->update);
    s_check_leases (self);
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
    node->core = core_new (&config, node->has_hard ? &node->hard : NULL,
                           s_local (node, self->now_ms));
    node->deadline_ms = self->now_ms;
    return node->core;
}

fixture_t *
fixture_new (const fixture_options_t *opts)
{
    if (opts->nodes < 1 || opts->nodes > FIXTURE_NODES_MAX
    || opts->latency_max_ms < opts->latency_min_ms)
        return NULL;
    fixture_t *self = calloc (1, sizeof (fixture_t));
    assert (self);
    self->opts = *opts;
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
    if (core_config_check (&self->config, NULL, 0)) {
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
        for (uint32_t i = 0; i < FIXTURE_NODES_MAX; i++)
            core_destroy (&self->node [i].core);
        free (self->flights);
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

//  Process the earliest pending event if it is at or before until_ms.
static bool
s_next_event (fixture_t *self, uint64_t until_ms)
{
    int node_next = -1;
    for (uint32_t i = 0; i < self->opts.nodes; i++)
        if (self->node [i].core
        && (node_next < 0 || self->node [i].deadline_ms < self->node [node_next].deadline_ms))
            node_next = (int) i;
    size_t flight_next = SIZE_MAX;
    for (size_t f = 0; f < self->flight_count; f++) {
        const flight_t *a = &self->flights [f];
        if (flight_next == SIZE_MAX || a->at_ms < self->flights [flight_next].at_ms
        || (a->at_ms == self->flights [flight_next].at_ms && a->order < self->flights [flight_next].order))
            flight_next = f;
    }
    uint64_t tick_at = node_next >= 0 ? self->node [node_next].deadline_ms : UINT64_MAX;
    uint64_t flight_at = flight_next != SIZE_MAX ? self->flights [flight_next].at_ms : UINT64_MAX;
    uint64_t at = tick_at < flight_at ? tick_at : flight_at;
    if (at > until_ms)
        return false;
    if (at > self->now_ms)
        self->now_ms = at;
    if (flight_at <= tick_at) {
        flight_t flight = self->flights [flight_next];
        self->flights [flight_next] = self->flights [--self->flight_count];
        uint32_t to = flight.msg.to;
        node_t *node = &self->node [to];
        //  Dropped if the recipient is down or the link was cut in flight.
        if (!node->core || !self->link_up [flight.msg.from][to])
            return true;
        core_event_t event = {
            .type = CORE_EV_RECV, .now_ms = s_local (node, self->now_ms), .msg = flight.msg
        };
        if (event.msg.type == CORE_MSG_HEARTBEAT)
            event.msg.to = CORE_TO_ALL;     //  As published
        s_step (self, to, &event, core_msg_type_name (flight.msg.type));
    }
    else {
        node_t *node = &self->node [node_next];
        core_event_t event = { .type = CORE_EV_TICK, .now_ms = s_local (node, self->now_ms) };
        s_step (self, (uint32_t) node_next, &event, "tick");
    }
    return true;
}

void
fixture_run_until (fixture_t *self, uint64_t until_ms)
{
    while (s_next_event (self, until_ms))
        ;
    if (until_ms > self->now_ms)
        self->now_ms = until_ms;
    s_check_leases (self);
}

void
fixture_run_for (fixture_t *self, uint64_t ms)
{
    fixture_run_until (self, self->now_ms + ms);
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

void
fixture_crash (fixture_t *self, uint32_t node)
{
    assert (node < self->opts.nodes);
    core_destroy (&self->node [node].core);
    if (self->trace)
        fprintf (self->trace, "%8" PRIu64 " n%u CRASH\n", self->now_ms, node);
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
}

bool
fixture_alive (fixture_t *self, uint32_t node)
{
    return node < self->opts.nodes && self->node [node].core != NULL;
}

void
fixture_set_link (fixture_t *self, uint32_t from, uint32_t to, bool up)
{
    assert (from < self->opts.nodes && to < self->opts.nodes);
    self->link_up [from][to] = up;
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
        for (uint32_t j = 0; j < self->opts.nodes; j++)
            self->link_up [i][j] = true;
}

int
fixture_command (fixture_t *self, uint32_t node, core_event_type_t type, uint32_t target)
{
    assert (node < self->opts.nodes && self->node [node].core);
    node_t *n = &self->node [node];
    core_event_t event = { .type = type, .now_ms = s_local (n, self->now_ms), .target = target };
    int rc = core_step (n->core, &event, &self->update);
    self->events++;
    s_trace_step (self, node, "command", NULL, &self->update);
    s_apply (self, node, &self->update);
    s_check_leases (self);
    return rc;
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
