/*  core: the consensus core. See core.h for the contract.

    Layout: the state, the configuration, lifecycle, then the role changes
    (follower, pre-candidate, candidate, leader), the timers, one handler
    per message type, core_step, and the queries. Every handler follows
    the same rule: look at the term first (Raft paper section 5.1), then at
    the role.

    Lease safety rests on two rules kept together here:
      1. a leader's lease runs from the send time of a heartbeat round that
         a quorum acknowledged, for lease_ms <= T / (1 + drift) with margin;
      2. a node that acknowledged a leader (or just booted) refuses votes
         and pre-votes for T, unless the leader itself asked for a transfer
         and gave up its lease first.
*/
#include "core.h"
#include <stdlib.h>
#include <string.h>

#ifdef MESH_NEGATIVE_CONTROLS
#   define UNSAFE(self, flag)   (((self)->config.unsafe_controls & (flag)) != 0)
#else
#   define UNSAFE(self, flag)   (0)
#endif

struct _core_t {
    core_config_t config;               //  Checked copy of the settings
    quorum_t quorum;                    //  Weights of the members
    uint64_t lease_ms;                  //  Effective lease duration
    uint64_t backoff_max_ms;            //  Effective backoff cap
    rng_t rng;                          //  Seeded source for timeouts
    storm_t storm;                      //  Leader-change history, backoff

    //  Hard state (persisted through core_update_t before messages leave)
    uint64_t term;                      //  Current term
    int32_t voted_for;                  //  Vote in term, or CORE_NOBODY

    //  Soft state
    core_role_t role;
    int32_t leader;                     //  Leader of term we follow, or CORE_NOBODY
    bool sticky;                        //  contact_ms protects a leader
    uint64_t contact_ms;                //  Last heartbeat from our leader, or boot
    uint64_t election_deadline_ms;      //  Non-leaders: when to campaign
    uint64_t heartbeat_deadline_ms;     //  Next heartbeat broadcast
    uint64_t heartbeat_sent_ms;         //  Our last heartbeat broadcast
    vote_t votes [CORE_MEMBERS_MAX];    //  Answers in the current (pre-)vote round
    uint64_t prevote_round;             //  Id of our current pre-vote round (never 0)

    //  Leader only
    uint64_t leader_since_ms;           //  When we won this term
    uint64_t ack_ms [CORE_MEMBERS_MAX]; //  Send time of latest round each member acked
    uint64_t acked;                     //  Bitmask: members with a valid ack_ms
    lease_t lease;                      //  Our lease; acting needs it valid
    int32_t transfer_to;                //  Transfer target, or CORE_NOBODY
    uint64_t transfer_deadline_ms;      //  Step down if the transfer has not happened

    uint32_t resign_left;               //  Resignation announcements still to repeat

    //  Log: the terms of entries snap_index + 1 .. last_index, in a ring
    //  indexed by index % CORE_LOG_WINDOW (payloads live above the core)
    uint64_t snap_index;                //  Last entry the snapshot covers
    uint64_t snap_term;                 //  And its term
    uint64_t last_index;
    uint64_t commit;                    //  Highest index known committed
    uint64_t verified_index;            //  Follower: our log matches our leader's
    uint64_t verified_term;             //  through verified_index, in this term
    uint64_t next_index [CORE_MEMBERS_MAX];     //  Leader: next entry to send each member
    uint64_t match_index [CORE_MEMBERS_MAX];    //  Leader: last entry each member has
    uint64_t append_ms [CORE_MEMBERS_MAX];      //  Leader: last append or snapshot sent
    uint64_t terms [CORE_LOG_WINDOW];

    //  Leader-change accounting: (term, leader) last known
    uint64_t known_term;
    int32_t known_leader;

    //  Counters
    uint64_t elections;
    uint64_t prevotes;
    uint64_t check_quorum_stepdowns;
    uint64_t ignored;
};

//  --------------------------------------------------------------------------
//  Configuration

void
core_config_defaults (core_config_t *config, uint32_t self, uint32_t member_count)
{
    memset (config, 0, sizeof (*config));
    config->self = self;
    config->member_count = member_count;
    for (uint32_t i = 0; i < CORE_MEMBERS_MAX; i++)
        config->weights [i] = i < member_count ? 1 : 0;
    config->heartbeat_ms = CORE_HEARTBEAT_MS_DEFAULT;
    config->election_timeout_ms = CORE_ELECTION_MS_DEFAULT;
    config->lease_ms = 0;
    config->max_drift_ppm = CORE_DRIFT_PPM_DEFAULT;
    config->storm_threshold = STORM_THRESHOLD_DEFAULT;
    config->backoff_max_ms = 0;
    config->seed = 1;
}

uint64_t
core_config_lease_ms (const core_config_t *config)
{
    if (config->lease_ms)
        return config->lease_ms;
    return lease_max_ms (config->election_timeout_ms, config->max_drift_ppm);
}

//  Writes a message without stdio, so the core links no formatting code.
static int
s_fail (char *err, size_t err_size, const char *what, uint64_t value)
{
    if (!err || err_size == 0)
        return -1;
    size_t at = 0;
    for (; what [at] && at + 1 < err_size; at++)
        err [at] = what [at];
    if (value != UINT64_MAX && at + 22 < err_size) {
        char digits [21];
        int n = 0;
        do {
            digits [n++] = (char) ('0' + value % 10);
            value /= 10;
        } while (value);
        err [at++] = ' ';
        err [at++] = '(';
        while (n)
            err [at++] = digits [--n];
        err [at++] = ')';
    }
    err [at] = 0;
    return -1;
}

int
core_config_check (const core_config_t *config, char *err, size_t err_size)
{
    const core_config_t *c = config;
    if (c->member_count < 1 || c->member_count > CORE_MEMBERS_MAX)
        return s_fail (err, err_size, "member count must be 1..64", c->member_count);
    if (c->self >= c->member_count)
        return s_fail (err, err_size, "self is not a member", c->self);
    uint64_t total = 0;
    for (uint32_t i = 0; i < c->member_count; i++) {
        if (c->weights [i] > QUORUM_WEIGHT_MAX)
            return s_fail (err, err_size, "weight above 1000 for member", i);
        total += c->weights [i];
    }
    if (total == 0)
        return s_fail (err, err_size, "total weight is 0: nobody could ever be elected", UINT64_MAX);
    if (c->election_timeout_ms < CORE_TIMEOUT_MS_MIN || c->election_timeout_ms > CORE_TIMEOUT_MS_MAX)
        return s_fail (err, err_size, "election timeout ms must be 10..600000", c->election_timeout_ms);
    if (c->heartbeat_ms < 1 || c->heartbeat_ms * 2 > c->election_timeout_ms)
        return s_fail (err, err_size,
                       "heartbeat ms must be at least 1 and at most half the election timeout",
                       c->heartbeat_ms);
    if (c->max_drift_ppm > LEASE_DRIFT_PPM_MAX)
        return s_fail (err, err_size, "max drift above 100000 ppm (10 %)", c->max_drift_ppm);
    if (c->storm_threshold < 1 || c->storm_threshold >= STORM_RING)
        return s_fail (err, err_size, "storm threshold must be 1..63", c->storm_threshold);
    if (c->backoff_max_ms > CORE_TIMEOUT_MS_MAX)
        return s_fail (err, err_size, "backoff max ms above 600000", c->backoff_max_ms);
#ifdef MESH_NEGATIVE_CONTROLS
    if (c->unsafe_controls & ~CORE_UNSAFE_ALL)
        return s_fail (err, err_size, "unknown unsafe control", c->unsafe_controls);
    bool long_lease_ok = (c->unsafe_controls & CORE_UNSAFE_LONG_LEASE) != 0;
#else
    if (c->unsafe_controls)
        return s_fail (err, err_size, "unsafe controls exist only in test builds", c->unsafe_controls);
    bool long_lease_ok = false;
#endif
    uint64_t lease = core_config_lease_ms (c);
    if (lease == 0)
        return s_fail (err, err_size, "lease would be 0 ms: election timeout too short", UINT64_MAX);
    if (!long_lease_ok && !lease_safe (lease, c->election_timeout_ms, c->max_drift_ppm))
        return s_fail (err, err_size,
                       "lease ms too long: lease x (1 + max drift) must stay below 95 % of the "
                       "election timeout; the longest allowed is",
                       lease_max_ms (c->election_timeout_ms, c->max_drift_ppm));
    return 0;
}

//  --------------------------------------------------------------------------
//  Lifecycle

core_t *
core_new (const core_config_t *config, const core_hard_state_t *hard, uint64_t now_ms)
{
    return core_new_with_log (config, hard, NULL, now_ms);
}

//  A durable log a core can resume: terms never go down, none is above
//  the hard state's term, and it fits the window.
static bool
s_log_valid (const core_log_t *log, uint64_t term)
{
    if (log->count > CORE_LOG_WINDOW || (log->count && !log->terms)
    ||  log->snapshot_term > term || (log->snapshot_index == 0 && log->snapshot_term != 0))
        return false;
    uint64_t previous = log->snapshot_term;
    for (size_t k = 0; k < log->count; k++) {
        if (log->terms [k] < previous || log->terms [k] > term || log->terms [k] == 0)
            return false;
        previous = log->terms [k];
    }
    return true;
}

core_t *
core_new_with_log (const core_config_t *config, const core_hard_state_t *hard,
                   const core_log_t *log, uint64_t now_ms)
{
    if (core_config_check (config, NULL, 0))
        return NULL;
    if (hard && hard->voted_for != CORE_NOBODY
    && (hard->voted_for < 0 || (uint32_t) hard->voted_for >= config->member_count))
        return NULL;
    if (log && !s_log_valid (log, hard ? hard->term : 0))
        return NULL;
    core_t *self = (core_t *) calloc (1, sizeof (core_t));
    if (!self)
        return NULL;
    self->config = *config;
    if (quorum_init (&self->quorum, config->member_count, config->weights)) {
        free (self);
        return NULL;
    }
    self->lease_ms = core_config_lease_ms (config);
    self->backoff_max_ms = config->backoff_max_ms
                         ? config->backoff_max_ms : 4 * config->election_timeout_ms;
    rng_seed (&self->rng, config->seed);
    storm_init (&self->storm, config->storm_threshold);
    self->term = hard ? hard->term : 0;
    self->voted_for = hard ? hard->voted_for : CORE_NOBODY;
    self->role = CORE_FOLLOWER;
    self->leader = CORE_NOBODY;
    //  We may have acknowledged a leader just before a crash, and that
    //  leader may still hold a lease we helped grant: refuse votes for T.
    self->sticky = true;
    self->contact_ms = now_ms;
    self->transfer_to = CORE_NOBODY;
    self->known_leader = CORE_NOBODY;
    if (log) {
        self->snap_index = log->snapshot_index;
        self->snap_term = log->snapshot_term;
        self->last_index = log->snapshot_index + log->count;
        for (size_t k = 0; k < log->count; k++)
            self->terms [(log->snapshot_index + 1 + k) % CORE_LOG_WINDOW] = log->terms [k];
    }
    //  What the snapshot covers was committed; the rest we learn again.
    self->commit = self->snap_index;
    self->heartbeat_deadline_ms = now_ms;   //  Announce ourselves at once
    self->election_deadline_ms = now_ms + config->election_timeout_ms
                               + rng_below (&self->rng, config->election_timeout_ms);
    return self;
}

void
core_destroy (core_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Small helpers

static uint64_t
s_elapsed (uint64_t now_ms, uint64_t since_ms)
{
    return now_ms > since_ms ? now_ms - since_ms : 0;
}

static uint32_t
s_weight (const core_t *self, uint32_t member)
{
    return quorum_weight (&self->quorum, member);
}

static void
s_send (core_update_t *update, const core_msg_t *msg)
{
    //  CORE_MSGS_MAX covers the worst step (a full vote round, a heartbeat
    //  and a reply); more would be a bug in this file, not bad input.
    if (update->msg_count < CORE_MSGS_MAX)
        update->msgs [update->msg_count++] = *msg;
}

static void
s_reply (core_t *self, core_update_t *update, core_msg_type_t type, uint32_t to,
         bool granted, uint64_t term, uint64_t hb_ms)
{
    core_msg_t msg = {
        .type = type, .from = self->config.self, .to = to,
        .term = term, .role = self->role, .leader = self->leader,
        .hb_ms = hb_ms, .granted = granted
    };
    s_send (update, &msg);
}

static void
s_set_reason (core_update_t *update, core_reason_t reason)
{
    if (reason != CORE_REASON_NONE)
        update->reason = reason;
}

//  Outcome of the current (pre-)vote round.
static quorum_result_t
s_tally (const core_t *self)
{
    if (UNSAFE (self, CORE_UNSAFE_COUNT_ENTRIES)) {
        //  The incident's bug: every answer counted as a yes.
        vote_t as_counted [CORE_MEMBERS_MAX];
        for (uint32_t i = 0; i < self->quorum.count; i++)
            as_counted [i] = self->votes [i] == VOTE_NONE ? VOTE_NONE : VOTE_GRANTED;
        return quorum_result (&self->quorum, as_counted);
    }
    if (UNSAFE (self, CORE_UNSAFE_QUORUM_THIRD)) {
        uint64_t granted = quorum_granted_weight (&self->quorum, self->votes);
        if (granted * 3 > quorum_total (&self->quorum))
            return QUORUM_WON;
    }
    return quorum_result (&self->quorum, self->votes);
}

//  True while we protect a live leader (or just booted): no votes for others.
static bool
s_in_lease (const core_t *self, uint64_t now_ms)
{
    if (self->role == CORE_LEADER)
        return true;
    return self->sticky
        && s_elapsed (now_ms, self->contact_ms) < self->config.election_timeout_ms;
}

static void
s_reset_election_timer (core_t *self, uint64_t now_ms)
{
    uint64_t t = self->config.election_timeout_ms;
    self->election_deadline_ms = now_ms + t + rng_below (&self->rng, t)
        + storm_backoff_ms (&self->storm, t, self->backoff_max_ms, &self->rng);
}

//  Adopt a newer term: the vote belongs to the old term and is forgotten.
static void
s_set_term (core_t *self, uint64_t term, core_update_t *update)
{
    if (term <= self->term)
        return;
    self->term = term;
    update->term_changed = true;
    if (self->voted_for != CORE_NOBODY) {
        self->voted_for = CORE_NOBODY;
        update->vote_changed = true;
    }
    update->persist = true;
}

static void
s_set_leader (core_t *self, int32_t leader, uint64_t now_ms, core_update_t *update)
{
    if (self->leader != leader) {
        self->leader = leader;
        update->leader_changed = true;
    }
    if (leader != CORE_NOBODY
    && (leader != self->known_leader || self->term != self->known_term)) {
        self->known_leader = leader;
        self->known_term = self->term;
        storm_note_leader_change (&self->storm, now_ms);
    }
    if (leader != CORE_NOBODY)
        storm_note_leader_found (&self->storm);
}

static void
s_set_role (core_t *self, core_role_t role, core_update_t *update)
{
    if (self->role != role) {
        self->role = role;
        update->role_changed = true;
    }
}

static void
s_clear_votes (core_t *self)
{
    memset (self->votes, 0, sizeof (self->votes));
}

//  --------------------------------------------------------------------------
//  The log (terms only)

static bool
s_term_at (const core_t *self, uint64_t index, uint64_t *term)
{
    if (index == self->snap_index) {
        *term = self->snap_term;
        return true;
    }
    if (index < self->snap_index || index > self->last_index)
        return false;
    *term = self->terms [index % CORE_LOG_WINDOW];
    return true;
}

static uint64_t
s_last_term (const core_t *self)
{
    uint64_t term = 0;
    s_term_at (self, self->last_index, &term);
    return term;
}

static bool
s_log_full (const core_t *self)
{
    return self->last_index - self->snap_index >= CORE_LOG_WINDOW;
}

//  Append one entry of term at last_index + 1 and report it for persistence.
static void
s_log_append (core_t *self, uint64_t term, core_entry_type_t type, const uint8_t *data,
              uint32_t size, core_update_t *update)
{
    self->last_index++;
    self->terms [self->last_index % CORE_LOG_WINDOW] = term;
    if (update->append_count < CORE_APPEND_MAX + 2)
        update->appends [update->append_count++] = (core_entry_t) {
            .index = self->last_index, .term = term, .type = type, .data = data, .size = size
        };
    if (self->role == CORE_LEADER)
        self->match_index [self->config.self] = self->last_index;
}

//  Drop every entry after index (a conflicting suffix). Never called at
//  or below the commit index: committed entries are never overwritten.
static void
s_log_truncate (core_t *self, uint64_t index, core_update_t *update)
{
    if (index >= self->last_index)
        return;
    self->last_index = index;
    if (!update->log_truncate || index < update->log_truncate_after)
        update->log_truncate_after = index;
    update->log_truncate = true;
    //  Entries appended earlier in this step past the cut go too.
    while (update->append_count && update->appends [update->append_count - 1].index > index)
        update->append_count--;
    if (self->verified_index > index)
        self->verified_index = index;
}

//  Raft's election restriction (section 5.4.1): a candidate's log must be
//  at least as up to date as ours, or it could lack a committed entry.
static bool
s_log_up_to_date (const core_t *self, uint64_t last_index, uint64_t last_term)
{
    if (UNSAFE (self, CORE_UNSAFE_NO_UP_TO_DATE))
        return true;
    uint64_t our_term = s_last_term (self);
    return last_term > our_term || (last_term == our_term && last_index >= self->last_index);
}

static void
s_set_commit (core_t *self, uint64_t index, core_update_t *update)
{
    if (index > self->last_index)
        index = self->last_index;
    if (index > self->commit) {
        self->commit = index;
        update->commit_changed = true;
    }
}

static void
s_heartbeat (core_t *self, bool resign, uint64_t now_ms, core_update_t *update);
static void
s_advance_commit (core_t *self, core_update_t *update);
static void
s_send_append (core_t *self, uint32_t member, uint64_t now_ms, core_update_t *update);

//  --------------------------------------------------------------------------
//  Role changes

//  Follow leader (or nobody) in term, which may be newer than ours.
static void
s_become_follower (core_t *self, uint64_t term, int32_t leader, core_reason_t reason,
                   uint64_t now_ms, core_update_t *update)
{
    bool was_leader = self->role == CORE_LEADER;
    s_set_term (self, term, update);
    if (self->role != CORE_FOLLOWER)
        s_set_reason (update, reason);
    s_set_role (self, CORE_FOLLOWER, update);
    if (self->leader != leader)
        s_set_reason (update, reason);
    s_set_leader (self, leader, now_ms, update);
    s_clear_votes (self);
    if (self->lease.held) {
        lease_revoke (&self->lease);
        update->lease_changed = true;
    }
    self->transfer_to = CORE_NOBODY;
    self->acked = 0;
    if (was_leader) {
        //  Tell the cluster at once, so followers stop protecting us
        //  (ForgetLeader) instead of waiting out a full timeout.
        s_reset_election_timer (self, now_ms);
        s_heartbeat (self, true, now_ms, update);
        //  One lost message (a PUB drop) must not make followers wait out
        //  T: repeat it on the next heartbeats, while we still follow.
        self->resign_left = CORE_RESIGN_REPEATS;
    }
}

void
core_step_down (core_t *self, core_reason_t reason, uint64_t now_ms, core_update_t *update)
{
    s_become_follower (self, self->term, CORE_NOBODY, reason, now_ms, update);
}

void
core_advance_term (core_t *self, core_update_t *update)
{
    s_set_term (self, self->term + 1, update);
}

static void
s_send_requests (core_t *self, core_msg_type_t type, uint64_t term, bool transfer,
                 uint64_t round, core_update_t *update)
{
    for (uint32_t i = 0; i < self->quorum.count; i++) {
        if (i == self->config.self || s_weight (self, i) == 0)
            continue;       //  Weight-0 answers never count; do not ask
        core_msg_t msg = {
            .type = type, .from = self->config.self, .to = i, .term = term,
            .role = self->role, .leader = CORE_NOBODY, .transfer = transfer, .round = round,
            .last_index = self->last_index, .last_term = s_last_term (self)
        };
        s_send (update, &msg);
    }
}

static void s_become_candidate (core_t *self, bool transfer, uint64_t now_ms,
                                core_update_t *update);

//  PreVote (dissertation 9.6): ask whether peers would vote for us at
//  term + 1, changing nobody's state, ours included.
static void
s_become_precandidate (core_t *self, core_reason_t reason, uint64_t now_ms,
                       core_update_t *update)
{
    if (UNSAFE (self, CORE_UNSAFE_NO_PREVOTE)) {
        s_become_candidate (self, false, now_ms, update);
        return;
    }
    s_set_role (self, CORE_PRECANDIDATE, update);
    s_set_reason (update, reason);
    s_set_leader (self, CORE_NOBODY, now_ms, update);
    s_clear_votes (self);
    self->votes [self->config.self] = VOTE_GRANTED;
    self->prevotes++;
    //  A fresh id per round: an answer held back in the network (a DEALER
    //  queue, a paused peer) must not count in a later round at the same
    //  proposed term, or a cut-off node could win with stale grants.
    do
        self->prevote_round = rng_next (&self->rng);
    while (self->prevote_round == 0);
    s_reset_election_timer (self, now_ms);
    if (s_tally (self) == QUORUM_WON) {
        //  A cluster where we alone are a quorum
        s_become_candidate (self, false, now_ms, update);
        return;
    }
    s_send_requests (self, CORE_MSG_PREVOTE_REQ, self->term + 1, false, self->prevote_round, update);
}

static void
s_become_candidate (core_t *self, bool transfer, uint64_t now_ms, core_update_t *update)
{
    core_advance_term (self, update);
    self->voted_for = (int32_t) self->config.self;
    update->vote_changed = true;
    update->persist = true;
    s_set_role (self, CORE_CANDIDATE, update);
    s_set_reason (update, transfer ? CORE_REASON_TRANSFER : CORE_REASON_PREVOTE_WON);
    s_set_leader (self, CORE_NOBODY, now_ms, update);
    s_clear_votes (self);
    self->votes [self->config.self] = VOTE_GRANTED;
    self->elections++;
    s_reset_election_timer (self, now_ms);
    if (s_tally (self) == QUORUM_WON) {
        core_become_leader (self, now_ms, update);
        return;
    }
    s_send_requests (self, CORE_MSG_VOTE_REQ, self->term, transfer, 0, update);
}

int
core_become_leader (core_t *self, uint64_t now_ms, core_update_t *update)
{
    if (self->role != CORE_CANDIDATE || s_tally (self) != QUORUM_WON)
        return -1;
    s_set_role (self, CORE_LEADER, update);
    s_set_reason (update, CORE_REASON_ELECTION_WON);
    s_set_leader (self, (int32_t) self->config.self, now_ms, update);
    self->leader_since_ms = now_ms;
    self->acked = 0;
    memset (self->ack_ms, 0, sizeof (self->ack_ms));
    self->transfer_to = CORE_NOBODY;
    self->resign_left = 0;
    //  No lease yet: it comes from the first round a quorum acknowledges.
    lease_revoke (&self->lease);
    s_heartbeat (self, false, now_ms, update);
    if (self->config.replicate) {
        for (uint32_t i = 0; i < self->quorum.count; i++) {
            self->next_index [i] = self->last_index + 1;
            self->match_index [i] = 0;
            self->append_ms [i] = 0;
        }
        //  Our own log is durable: it counts for us in every commit.
        self->match_index [self->config.self] = self->last_index;
        //  A no-op of our term (section 8): entries of earlier terms commit
        //  only under an entry of ours, and without one a leader that gets
        //  no proposals would never learn what is committed.
        if (!UNSAFE (self, CORE_UNSAFE_COMMIT_OLD_TERM))
            s_log_append (self, self->term, CORE_ENTRY_NOOP, NULL, 0, update);
        for (uint32_t i = 0; i < self->quorum.count; i++)
            if (i != self->config.self)
                s_send_append (self, i, now_ms, update);
        //  A cluster where we alone are a quorum commits at once.
        s_advance_commit (self, update);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Leader: heartbeats, acknowledgements, lease, CheckQuorum

//  Recompute the lease from the acknowledged rounds. A leader that has
//  begun a transfer never holds a lease again in this term: its target
//  may be elected by voters that skip the stickiness rule.
static void
s_refresh_lease (core_t *self, core_update_t *update)
{
    if (self->role != CORE_LEADER || self->transfer_to != CORE_NOBODY)
        return;
    uint64_t round_ms;
    if (!quorum_time (&self->quorum, self->ack_ms, self->acked, &round_ms))
        return;
    uint64_t before = self->lease.expiry_ms;
    lease_renew (&self->lease, round_ms, self->lease_ms);
    if (self->lease.expiry_ms != before)
        update->lease_changed = true;
}

//  Our heartbeat for this interval; resign marks the announcement that we
//  just stepped down (ForgetLeader), which must reach the followers.
static void
s_heartbeat (core_t *self, bool resign, uint64_t now_ms, core_update_t *update)
{
    core_msg_t msg = {
        .type = CORE_MSG_HEARTBEAT, .from = self->config.self, .to = CORE_TO_ALL,
        .term = self->term, .role = self->role, .leader = self->leader, .hb_ms = now_ms,
        .resign = resign, .commit = self->role == CORE_LEADER ? self->commit : 0
    };
    //  Acknowledgements on demand. A leader whose previous round a quorum
    //  has acknowledged (its quorum round is under 1.5 intervals old) asks
    //  no ack for this one: when all is well every other round is acked,
    //  which halves what the leader receives and verifies (its idle CPU).
    //  Any round after one a quorum missed asks again, so the lease and
    //  CheckQuorum lose at most one interval of margin, and a lost ack
    //  costs nothing more than before. Only where that margin is small
    //  beside T and the lease (4 intervals within both; 50 ms against
    //  250 ms and 235 ms by default) does a leader skip.
    uint64_t round_ms;
    uint64_t margin_ms = self->lease_ms < self->config.election_timeout_ms
                       ? self->lease_ms : self->config.election_timeout_ms;
    if (self->role == CORE_LEADER && self->config.heartbeat_ms * 4 <= margin_ms
    && quorum_time (&self->quorum, self->ack_ms, self->acked, &round_ms)
    && round_ms >= self->leader_since_ms
    && s_elapsed (now_ms, round_ms) < self->config.heartbeat_ms + self->config.heartbeat_ms / 2)
        msg.no_ack = true;
    s_send (update, &msg);
    self->heartbeat_sent_ms = now_ms;
    self->heartbeat_deadline_ms = now_ms + self->config.heartbeat_ms;
    if (self->role == CORE_LEADER) {
        //  We acknowledge our own round the moment we send it.
        self->ack_ms [self->config.self] = now_ms;
        self->acked |= 1ULL << self->config.self;
        s_refresh_lease (self, update);
    }
}

//  When we last heard from a quorum (never earlier than our election).
static uint64_t
s_quorum_contact_ms (const core_t *self)
{
    uint64_t round_ms;
    if (!quorum_time (&self->quorum, self->ack_ms, self->acked, &round_ms)
    || round_ms < self->leader_since_ms)
        round_ms = self->leader_since_ms;
    return round_ms;
}

//  Leader: send member what it lacks from next_index on: entries (at most
//  CORE_APPEND_MAX; an empty append carries only the commit index), or the
//  snapshot if we compacted what it needs. Optimistic: next_index moves
//  past what was sent; a refusal brings it back.
static void
s_send_append (core_t *self, uint32_t member, uint64_t now_ms, core_update_t *update)
{
    core_msg_t msg = {
        .from = self->config.self, .to = member, .term = self->term, .role = self->role,
        .leader = self->leader, .commit = self->commit
    };
    if (self->next_index [member] <= self->snap_index) {
        msg.type = CORE_MSG_SNAPSHOT;
        msg.prev_index = self->snap_index;
        msg.prev_term = self->snap_term;
        self->next_index [member] = self->snap_index + 1;
    }
    else {
        msg.type = CORE_MSG_APPEND;
        msg.prev_index = self->next_index [member] - 1;
        s_term_at (self, msg.prev_index, &msg.prev_term);
        uint64_t count = self->last_index - msg.prev_index;
        msg.entry_count = (uint32_t) (count < CORE_APPEND_MAX ? count : CORE_APPEND_MAX);
        self->next_index [member] = msg.prev_index + msg.entry_count + 1;
    }
    self->append_ms [member] = now_ms;
    s_send (update, &msg);
}

//  Leader: the highest index a weighted quorum holds commits, if it is an
//  entry of our own term (Raft figure 8: counting replicas of an earlier
//  term's entry proves nothing; it commits under ours).
static void
s_advance_commit (core_t *self, core_update_t *update)
{
    if (self->role != CORE_LEADER || !self->config.replicate)
        return;
    uint64_t all = self->quorum.count == 64 ? UINT64_MAX : (1ULL << self->quorum.count) - 1;
    uint64_t index = 0;
    if (UNSAFE (self, CORE_UNSAFE_COMMIT_NO_QUORUM)) {
        //  The bug: one follower's copy taken for the cluster's
        for (uint32_t i = 0; i < self->quorum.count; i++)
            if (i != self->config.self && self->match_index [i] > index)
                index = self->match_index [i];
    }
    else
    if (!quorum_time (&self->quorum, self->match_index, all, &index))
        return;
    uint64_t term;
    if (index <= self->commit || !s_term_at (self, index, &term))
        return;
    if (term != self->term && !UNSAFE (self, CORE_UNSAFE_COMMIT_OLD_TERM))
        return;
    s_set_commit (self, index, update);
}

//  Leader: resend to members behind us, at most once per heartbeat
//  interval each, from what they last confirmed.
static void
s_replicate (core_t *self, uint64_t now_ms, core_update_t *update)
{
    for (uint32_t i = 0; i < self->quorum.count; i++) {
        if (i == self->config.self || self->match_index [i] >= self->last_index
        ||  s_elapsed (now_ms, self->append_ms [i]) < self->config.heartbeat_ms)
            continue;
        self->next_index [i] = self->match_index [i] + 1;
        s_send_append (self, i, now_ms, update);
    }
}

static void
s_tick_leader (core_t *self, uint64_t now_ms, core_update_t *update)
{
    if (self->transfer_to != CORE_NOBODY && now_ms >= self->transfer_deadline_ms) {
        //  The target did not take over in time. We cannot resume with a
        //  lease in this term (see s_refresh_lease), so let an ordinary
        //  election decide.
        core_step_down (self, CORE_REASON_TRANSFER, now_ms, update);
        return;
    }
    if (!UNSAFE (self, CORE_UNSAFE_NO_CHECK_QUORUM)
    && s_elapsed (now_ms, s_quorum_contact_ms (self)) >= self->config.election_timeout_ms) {
        self->check_quorum_stepdowns++;
        core_step_down (self, CORE_REASON_CHECK_QUORUM, now_ms, update);
        return;
    }
    if (now_ms >= self->heartbeat_deadline_ms)
        s_heartbeat (self, false, now_ms, update);
    if (self->config.replicate)
        s_replicate (self, now_ms, update);
}

//  A non-leader's own heartbeat: a beacon for monitors, or one of the
//  resignations a leader that stepped down repeats.
static void
s_own_heartbeat (core_t *self, uint64_t now_ms, core_update_t *update)
{
    bool resign = self->resign_left > 0 && self->role == CORE_FOLLOWER;
    if (self->resign_left)
        self->resign_left--;
    s_heartbeat (self, resign, now_ms, update);
}

static void
s_tick_other (core_t *self, uint64_t now_ms, core_update_t *update)
{
    if (now_ms >= self->heartbeat_deadline_ms)
        s_own_heartbeat (self, now_ms, update);
    if (now_ms < self->election_deadline_ms)
        return;
    if (self->role != CORE_FOLLOWER)
        storm_note_failed_election (&self->storm);
    if (s_weight (self, self->config.self) == 0) {
        //  Observers never campaign; they only notice the leader is gone.
        s_set_leader (self, CORE_NOBODY, now_ms, update);
        s_set_reason (update, CORE_REASON_ELECTION_TIMEOUT);
        s_reset_election_timer (self, now_ms);
        return;
    }
    s_become_precandidate (self, CORE_REASON_ELECTION_TIMEOUT, now_ms, update);
}

//  --------------------------------------------------------------------------
//  Message handlers, one per type

typedef enum { S_ACCEPTED, S_LOWER_TERM, S_IGNORED } s_leader_check_t;

//  A leader's heartbeat, append or snapshot: the term rules first, then
//  msg->from becomes (or stays) our leader, which we protect for T.
static s_leader_check_t
s_accept_leader (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    bool lower_ok = UNSAFE (self, CORE_UNSAFE_LOWER_TERM_WINS);
    if (msg->term < self->term && !lower_ok)
        return S_LOWER_TERM;
    if (msg->term == self->term
    && (self->role == CORE_LEADER
        || (self->leader != CORE_NOBODY && self->leader != (int32_t) msg->from))) {
        //  Two leaders in one term: impossible unless safety was broken.
        update->violation = true;
        update->violation_member = msg->from;
        update->violation_term = msg->term;
        self->ignored++;
        return S_IGNORED;
    }
    core_reason_t reason = msg->term > self->term
                         ? CORE_REASON_HIGHER_TERM : CORE_REASON_LEADER_HEARD;
    if (msg->term < self->term) {
        //  Negative control only: the lower term "wins".
        self->term = msg->term;
        self->voted_for = CORE_NOBODY;
        update->term_changed = update->persist = true;
    }
    s_become_follower (self, msg->term, (int32_t) msg->from, reason, now_ms, update);
    self->sticky = true;
    self->contact_ms = now_ms;
    s_reset_election_timer (self, now_ms);
    return S_ACCEPTED;
}

static void
s_on_heartbeat (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    if (msg->role != CORE_LEADER) {
        //  ForgetLeader: our leader says it no longer leads. A candidate
        //  heartbeat of our own term predates its victory, so it does not
        //  count; anything else from it in our term or later does.
        if (self->role == CORE_FOLLOWER && (int32_t) msg->from == self->leader
        && (msg->term > self->term
            || (msg->term == self->term && msg->role != CORE_CANDIDATE))) {
            s_set_leader (self, CORE_NOBODY, now_ms, update);
            s_set_reason (update, CORE_REASON_LEADER_RESIGNED);
            self->sticky = false;
        }
        else
            self->ignored++;
        return;
    }
    switch (s_accept_leader (self, msg, now_ms, update)) {
        case S_LOWER_TERM:
            //  A deposed leader: answer with our term so it steps down.
            s_reply (self, update, CORE_MSG_HEARTBEAT_ACK, msg->from, false, self->term, msg->hb_ms);
            return;
        case S_IGNORED:
            return;
        case S_ACCEPTED:
            break;
    }
    //  The commit index reaches us with every heartbeat; we apply only as
    //  far as our log is known to match this leader's.
    if (self->verified_term == self->term)
        s_set_commit (self, msg->commit < self->verified_index ? msg->commit : self->verified_index,
                      update);
    //  The leader says which rounds it needs acknowledged (s_heartbeat)
    if (!msg->no_ack)
        s_reply (self, update, CORE_MSG_HEARTBEAT_ACK, msg->from, true, self->term, msg->hb_ms);
    //  Our own heartbeat goes out with our leader's, so that one wake-up
    //  of the process serves both; our own timer is left for a leader
    //  gone quiet (1.5 intervals after its last). Half an interval apart
    //  at least, so a burst of the leader's heartbeats cannot make us
    //  flood monitors.
    if (s_elapsed (now_ms, self->heartbeat_sent_ms) >= self->config.heartbeat_ms / 2)
        s_own_heartbeat (self, now_ms, update);
    self->heartbeat_deadline_ms = now_ms + self->config.heartbeat_ms + self->config.heartbeat_ms / 2;
}

static void
s_on_heartbeat_ack (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    if (msg->term > self->term) {
        s_become_follower (self, msg->term, CORE_NOBODY, CORE_REASON_HIGHER_TERM, now_ms, update);
        return;
    }
    //  The echo is our own send time. One from the future or from before
    //  this term cannot be ours: ignore it rather than extend the lease.
    if (self->role != CORE_LEADER || msg->term != self->term || !msg->granted
    || msg->hb_ms > now_ms || msg->hb_ms < self->leader_since_ms) {
        self->ignored++;
        return;
    }
    uint64_t bit = 1ULL << msg->from;
    if (!(self->acked & bit) || msg->hb_ms > self->ack_ms [msg->from])
        self->ack_ms [msg->from] = msg->hb_ms;
    self->acked |= bit;
    s_refresh_lease (self, update);
}

//  Answer a leader's append or snapshot: granted with the last index known
//  to match, or refused with a hint where to resume.
static void
s_append_reply (core_t *self, const core_msg_t *msg, bool granted, uint64_t match,
                core_update_t *update)
{
    core_msg_t reply = {
        .type = CORE_MSG_APPEND_RESP, .from = self->config.self, .to = msg->from,
        .term = self->term, .role = self->role, .leader = self->leader,
        .granted = granted, .match_index = match
    };
    s_send (update, &reply);
}

//  Where a refused append should resume: before the first entry of the
//  conflicting term (one round trip per term, not per entry), never below
//  what is committed (committed entries match every leader's).
static uint64_t
s_conflict_hint (const core_t *self, uint64_t prev_index)
{
    if (prev_index > self->last_index)
        return self->last_index;
    uint64_t term, index = prev_index;
    if (!s_term_at (self, index, &term))
        return self->commit;
    uint64_t other;
    while (index > self->commit && index > self->snap_index
       &&  s_term_at (self, index - 1, &other) && other == term)
        index--;
    return index > self->commit ? index - 1 : self->commit;
}

static void
s_on_append (core_t *self, const core_msg_t *msg, const core_entry_t *entries, uint64_t now_ms,
             core_update_t *update)
{
    switch (s_accept_leader (self, msg, now_ms, update)) {
        case S_LOWER_TERM:
            s_append_reply (self, msg, false, self->last_index, update);
            return;
        case S_IGNORED:
            return;
        case S_ACCEPTED:
            break;
    }
    //  The consistency check (section 5.3): we must hold prev_index with
    //  prev_term. Entries the snapshot covers are committed, so they match.
    uint64_t term;
    if (msg->prev_index > self->last_index
    || (msg->prev_index >= self->snap_index
        && (!s_term_at (self, msg->prev_index, &term) || term != msg->prev_term))) {
        s_append_reply (self, msg, false, s_conflict_hint (self, msg->prev_index), update);
        return;
    }
    uint64_t match = msg->prev_index;
    for (uint32_t k = 0; k < msg->entry_count; k++) {
        const core_entry_t *entry = &entries [k];
        if (entry->index <= self->snap_index) {
            match = entry->index;
            continue;
        }
        if (entry->index <= self->last_index) {
            s_term_at (self, entry->index, &term);
            if (term == entry->term) {
                match = entry->index;
                continue;           //  Already ours (a duplicate or a resend)
            }
            if (entry->index <= self->commit) {
                //  A leader contradicting a committed entry: safety is broken
                update->violation = true;
                update->violation_member = msg->from;
                update->violation_term = msg->term;
                break;
            }
            s_log_truncate (self, entry->index - 1, update);
        }
        if (s_log_full (self))
            break;                  //  Compact first; the leader will resend
        s_log_append (self, entry->term, entry->type, entry->data, entry->size, update);
        match = entry->index;
    }
    //  Our log now matches the leader's through match, in this term.
    if (self->verified_term != self->term || match > self->verified_index) {
        self->verified_index = match;
        self->verified_term = self->term;
    }
    s_set_commit (self, msg->commit < match ? msg->commit : match, update);
    s_append_reply (self, msg, true, match, update);
}

static void
s_on_snapshot (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    switch (s_accept_leader (self, msg, now_ms, update)) {
        case S_LOWER_TERM:
            s_append_reply (self, msg, false, self->last_index, update);
            return;
        case S_IGNORED:
            return;
        case S_ACCEPTED:
            break;
    }
    uint64_t term;
    if (msg->prev_index > self->commit) {
        if (s_term_at (self, msg->prev_index, &term) && term == msg->prev_term)
            //  We hold that entry already: it is committed, our log stays.
            s_set_commit (self, msg->prev_index, update);
        else {
            //  Our log is behind or diverges: the snapshot replaces it all.
            self->snap_index = msg->prev_index;
            self->snap_term = msg->prev_term;
            self->last_index = msg->prev_index;
            update->append_count = 0;
            update->install_snapshot = true;
            update->snapshot_index = msg->prev_index;
            update->snapshot_term = msg->prev_term;
            self->commit = msg->prev_index;
            update->commit_changed = true;
        }
    }
    if (self->verified_term != self->term || msg->prev_index > self->verified_index) {
        self->verified_index = msg->prev_index;
        self->verified_term = self->term;
    }
    s_append_reply (self, msg, true, msg->prev_index, update);
}

static void
s_on_append_resp (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    if (msg->term > self->term) {
        s_become_follower (self, msg->term, CORE_NOBODY, CORE_REASON_HIGHER_TERM, now_ms, update);
        return;
    }
    if (self->role != CORE_LEADER || msg->term != self->term || !self->config.replicate
    ||  msg->match_index > self->last_index) {
        self->ignored++;
        return;
    }
    uint32_t i = msg->from;
    if (msg->granted) {
        if (msg->match_index > self->match_index [i])
            self->match_index [i] = msg->match_index;
        if (self->next_index [i] <= self->match_index [i])
            self->next_index [i] = self->match_index [i] + 1;
        s_advance_commit (self, update);
        //  Keep a member that is catching up busy: the next batch now.
        if (self->match_index [i] < self->last_index && self->next_index [i] <= self->last_index)
            s_send_append (self, i, now_ms, update);
        return;
    }
    //  Refused: resume after the hint, never below what it confirmed.
    uint64_t next = msg->match_index + 1;
    if (next <= self->match_index [i])
        next = self->match_index [i] + 1;
    if (next < self->next_index [i]) {
        self->next_index [i] = next;
        s_send_append (self, i, now_ms, update);
    }
}

static void
s_on_prevote_req (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    //  Grant if a real vote at that term could be granted, without moving
    //  to it: the proposed term must be newer than ours and we must not be
    //  protecting a live leader.
    bool granted = msg->term > self->term
                && s_weight (self, msg->from) > 0
                && !s_in_lease (self, now_ms)
                && s_log_up_to_date (self, msg->last_index, msg->last_term);
    core_msg_t reply = {
        .type = CORE_MSG_PREVOTE_RESP, .from = self->config.self, .to = msg->from,
        .term = granted ? msg->term : self->term, .role = self->role, .leader = self->leader,
        .granted = granted, .round = msg->round
    };
    s_send (update, &reply);
}

static void
s_on_prevote_resp (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    if (!msg->granted && msg->term > self->term) {
        s_become_follower (self, msg->term, CORE_NOBODY, CORE_REASON_HIGHER_TERM, now_ms, update);
        return;
    }
    if (self->role != CORE_PRECANDIDATE || msg->round != self->prevote_round
    || (msg->granted && msg->term != self->term + 1)) {
        self->ignored++;
        return;
    }
    self->votes [msg->from] = msg->granted ? VOTE_GRANTED : VOTE_DENIED;
    quorum_result_t result = s_tally (self);
    if (result == QUORUM_WON)
        s_become_candidate (self, false, now_ms, update);
    else
    if (result == QUORUM_LOST) {
        storm_note_failed_election (&self->storm);
        s_become_follower (self, self->term, CORE_NOBODY, CORE_REASON_PREVOTE_LOST, now_ms, update);
        s_reset_election_timer (self, now_ms);
    }
}

bool
core_grant_vote (core_t *self, uint32_t candidate, uint64_t term, uint64_t last_index,
                 uint64_t last_term, bool transfer, uint64_t now_ms, core_update_t *update)
{
    if (candidate >= self->quorum.count || candidate == self->config.self
    || s_weight (self, candidate) == 0)
        return false;
    if (term < self->term)
        return false;                   //  Never for a lower term
    //  A transfer is honoured only from the leader that started it (which
    //  gave up its lease); a leader that started none refuses it.
    if (transfer && self->role == CORE_LEADER && self->transfer_to != (int32_t) candidate)
        transfer = false;
    if (s_in_lease (self, now_ms) && !transfer)
        return false;                   //  Stickiness; the term is left alone
    if (term > self->term)
        s_become_follower (self, term, CORE_NOBODY, CORE_REASON_HIGHER_TERM, now_ms, update);
    if (self->voted_for != CORE_NOBODY && self->voted_for != (int32_t) candidate)
        return false;                   //  One vote per term
    if (!s_log_up_to_date (self, last_index, last_term))
        return false;                   //  It may lack a committed entry (5.4.1)
    if (self->voted_for != (int32_t) candidate) {
        self->voted_for = (int32_t) candidate;
        update->vote_changed = true;
        update->persist = true;
    }
    s_reset_election_timer (self, now_ms);
    return true;
}

static void
s_on_vote_req (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    bool granted = core_grant_vote (self, msg->from, msg->term, msg->last_index, msg->last_term,
                                    msg->transfer, now_ms, update);
    s_reply (self, update, CORE_MSG_VOTE_RESP, msg->from, granted, self->term, 0);
}

static void
s_on_vote_resp (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    if (msg->term > self->term) {
        s_become_follower (self, msg->term, CORE_NOBODY, CORE_REASON_HIGHER_TERM, now_ms, update);
        return;
    }
    if (self->role != CORE_CANDIDATE || msg->term != self->term) {
        self->ignored++;
        return;
    }
    self->votes [msg->from] = msg->granted ? VOTE_GRANTED : VOTE_DENIED;
    quorum_result_t result = s_tally (self);
    if (result == QUORUM_WON)
        core_become_leader (self, now_ms, update);
    else
    if (result == QUORUM_LOST) {
        storm_note_failed_election (&self->storm);
        s_become_follower (self, self->term, CORE_NOBODY, CORE_REASON_ELECTION_LOST, now_ms, update);
        s_reset_election_timer (self, now_ms);
    }
}

static void
s_on_timeout_now (core_t *self, const core_msg_t *msg, uint64_t now_ms, core_update_t *update)
{
    if (self->role != CORE_FOLLOWER || msg->term != self->term
    || (int32_t) msg->from != self->leader || s_weight (self, self->config.self) == 0) {
        self->ignored++;
        return;
    }
    s_become_candidate (self, true, now_ms, update);
}

//  Start a transfer: the lease goes first, then TimeoutNow to the target.
static int
s_transfer (core_t *self, uint32_t target, uint64_t now_ms, core_update_t *update)
{
    if (self->role != CORE_LEADER || target >= self->quorum.count
    || target == self->config.self || s_weight (self, target) == 0)
        return -1;
    uint64_t bit = 1ULL << target;
    if (!(self->acked & bit)
    || s_elapsed (now_ms, self->ack_ms [target]) >= self->config.election_timeout_ms)
        return -1;          //  Not reachable: it would not win
    if (self->transfer_to != CORE_NOBODY)
        return -1;          //  One transfer per term
    if (self->config.replicate && self->match_index [target] < self->last_index)
        return -1;          //  Behind: it would not win, or would lose entries (3.10)
    lease_revoke (&self->lease);
    update->lease_changed = true;
    self->transfer_to = (int32_t) target;
    self->transfer_deadline_ms = now_ms + self->config.election_timeout_ms;
    s_set_reason (update, CORE_REASON_TRANSFER);
    core_msg_t msg = {
        .type = CORE_MSG_TIMEOUT_NOW, .from = self->config.self, .to = target,
        .term = self->term, .role = self->role, .leader = self->leader
    };
    s_send (update, &msg);
    return 0;
}

//  A proposal from above: appended as the next entry of our term and sent
//  to every member that is caught up (the others get it on their resend).
static int
s_propose (core_t *self, const core_entry_t *entry, uint64_t now_ms, core_update_t *update)
{
    if (self->role != CORE_LEADER || !self->config.replicate || !entry
    ||  self->transfer_to != CORE_NOBODY || entry->type != CORE_ENTRY_COMMAND
    ||  self->last_index - self->snap_index >= CORE_LOG_WINDOW - 1)
        return -1;          //  (A slot stays free for the next leader's no-op)
    s_log_append (self, self->term, CORE_ENTRY_COMMAND, entry->data, entry->size, update);
    update->proposed_index = self->last_index;
    update->proposed_term = self->term;
    for (uint32_t i = 0; i < self->quorum.count; i++)
        if (i != self->config.self && self->next_index [i] == self->last_index)
            s_send_append (self, i, now_ms, update);
    s_advance_commit (self, update);
    return 0;
}

//  --------------------------------------------------------------------------
//  The step

static uint64_t
s_min (uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t
s_next_deadline (const core_t *self, uint64_t now_ms)
{
    uint64_t next = self->heartbeat_deadline_ms;
    if (self->role == CORE_LEADER) {
        if (!UNSAFE (self, CORE_UNSAFE_NO_CHECK_QUORUM))
            next = s_min (next, s_quorum_contact_ms (self) + self->config.election_timeout_ms);
        if (self->lease.held && self->lease.expiry_ms > now_ms)
            next = s_min (next, self->lease.expiry_ms);     //  To report the lapse
        if (self->transfer_to != CORE_NOBODY)
            next = s_min (next, self->transfer_deadline_ms);
    }
    else
        next = s_min (next, self->election_deadline_ms);
    return next;
}

static bool
s_valid_msg (const core_t *self, const core_msg_t *msg)
{
    if (msg->type < CORE_MSG_HEARTBEAT || msg->type > CORE_MSG_TYPE_MAX)
        return false;
    if (msg->from >= self->quorum.count || msg->from == self->config.self)
        return false;
    if (msg->to != self->config.self && !(msg->to == CORE_TO_ALL && msg->type == CORE_MSG_HEARTBEAT))
        return false;
    if (msg->role > CORE_LEADER)
        return false;
    return true;
}

//  An append's entries: as many as it says, consecutive after prev_index,
//  terms never going down from prev_term nor above the message's term.
static bool
s_valid_entries (const core_msg_t *msg, const core_entry_t *entries)
{
    if (msg->type != CORE_MSG_APPEND)
        return msg->entry_count == 0;
    if (msg->entry_count > CORE_APPEND_MAX || (msg->entry_count && !entries)
    ||  msg->prev_index > UINT64_MAX - CORE_APPEND_MAX)
        return false;
    uint64_t previous = msg->prev_term;
    for (uint32_t k = 0; k < msg->entry_count; k++) {
        const core_entry_t *e = &entries [k];
        if (e->index != msg->prev_index + 1 + k || e->term < previous || e->term > msg->term
        ||  e->term == 0 || e->type > CORE_ENTRY_COMMAND)
            return false;
        previous = e->term;
    }
    return true;
}

int
core_step (core_t *self, const core_event_t *event, core_update_t *update)
{
    uint64_t now_ms = event->now_ms;
    update->term_changed = update->vote_changed = false;
    update->role_changed = update->leader_changed = update->lease_changed = false;
    update->reason = CORE_REASON_NONE;
    update->persist = false;
    update->msg_count = 0;
    update->violation = false;
    update->violation_member = 0;
    update->violation_term = 0;
    update->log_truncate = false;
    update->log_truncate_after = 0;
    update->append_count = 0;
    update->install_snapshot = false;
    update->snapshot_index = update->snapshot_term = 0;
    update->commit_changed = false;
    update->proposed_index = update->proposed_term = 0;

    int rc = 0;
    if (event->type == CORE_EV_RECV
    && (!s_valid_msg (self, &event->msg) || !s_valid_entries (&event->msg, event->entries)))
        rc = -1;
    else
    if (event->type < CORE_EV_TICK || event->type > CORE_EV_PROPOSE)
        rc = -1;
    else {
        //  Deadlines first, so that a late event sees the state its time implies.
        if (self->role == CORE_LEADER)
            s_tick_leader (self, now_ms, update);
        else
            s_tick_other (self, now_ms, update);

        const core_msg_t *msg = &event->msg;
        switch (event->type) {
            case CORE_EV_TICK:
                break;
            case CORE_EV_RECV:
                switch (msg->type) {
                    case CORE_MSG_HEARTBEAT:     s_on_heartbeat (self, msg, now_ms, update); break;
                    case CORE_MSG_HEARTBEAT_ACK: s_on_heartbeat_ack (self, msg, now_ms, update); break;
                    case CORE_MSG_PREVOTE_REQ:   s_on_prevote_req (self, msg, now_ms, update); break;
                    case CORE_MSG_PREVOTE_RESP:  s_on_prevote_resp (self, msg, now_ms, update); break;
                    case CORE_MSG_VOTE_REQ:      s_on_vote_req (self, msg, now_ms, update); break;
                    case CORE_MSG_VOTE_RESP:     s_on_vote_resp (self, msg, now_ms, update); break;
                    case CORE_MSG_TIMEOUT_NOW:   s_on_timeout_now (self, msg, now_ms, update); break;
                    case CORE_MSG_APPEND:
                        s_on_append (self, msg, event->entries, now_ms, update);
                        break;
                    case CORE_MSG_APPEND_RESP:   s_on_append_resp (self, msg, now_ms, update); break;
                    case CORE_MSG_SNAPSHOT:      s_on_snapshot (self, msg, now_ms, update); break;
                }
                break;
            case CORE_EV_TRANSFER:
                rc = s_transfer (self, event->target, now_ms, update);
                break;
            case CORE_EV_CAMPAIGN:
                //  Not while we protect a leader: our own vote would count
                //  against the lease we helped grant.
                if (self->role == CORE_LEADER || s_weight (self, self->config.self) == 0
                || s_in_lease (self, now_ms))
                    rc = -1;
                else
                    s_become_precandidate (self, CORE_REASON_COMMAND, now_ms, update);
                break;
            case CORE_EV_PROPOSE:
                rc = s_propose (self, event->entries, now_ms, update);
                break;
        }
    }
    if (UNSAFE (self, CORE_UNSAFE_NO_PERSIST))
        update->persist = false;
    update->term = self->term;
    update->voted_for = self->voted_for;
    update->commit_index = self->commit;
    update->next_deadline_ms = s_next_deadline (self, now_ms);
    return rc;
}

//  --------------------------------------------------------------------------
//  Queries

core_leadership_t
core_current_leader (const core_t *self, uint64_t now_ms)
{
    core_leadership_t info = { .leader = self->leader, .term = self->term };
    info.is_self = self->role == CORE_LEADER;
    if (info.is_self) {
        info.lease_valid = !lease_expired (&self->lease, now_ms);
        info.lease_remaining_ms = lease_remaining (&self->lease, now_ms);
    }
    return info;
}

core_role_t
core_role (const core_t *self)
{
    return self->role;
}

uint64_t
core_term (const core_t *self)
{
    return self->term;
}

int32_t
core_voted_for (const core_t *self)
{
    return self->voted_for;
}

core_hard_state_t
core_hard_state (const core_t *self)
{
    return (core_hard_state_t) { .term = self->term, .voted_for = self->voted_for };
}

core_stats_t
core_stats (const core_t *self, uint64_t now_ms)
{
    return (core_stats_t) {
        .elections = self->elections,
        .prevotes = self->prevotes,
        .leader_changes = self->storm.leader_changes_total,
        .check_quorum_stepdowns = self->check_quorum_stepdowns,
        .messages_ignored = self->ignored,
        .failed_elections = self->storm.failed_elections,
        .storm_alarm = storm_alarm (&self->storm, now_ms)
    };
}

int32_t
core_transfer_candidate (const core_t *self, uint64_t now_ms)
{
    if (self->role != CORE_LEADER)
        return CORE_NOBODY;
    int32_t best = CORE_NOBODY;
    for (uint32_t i = 0; i < self->quorum.count; i++) {
        if (i == self->config.self || s_weight (self, i) == 0 || !(self->acked & (1ULL << i))
        || s_elapsed (now_ms, self->ack_ms [i]) >= self->config.election_timeout_ms
        || (self->config.replicate && self->match_index [i] < self->last_index))
            continue;
        if (best == CORE_NOBODY || self->ack_ms [i] > self->ack_ms [best])
            best = (int32_t) i;
    }
    return best;
}

uint64_t
core_lease_expiry_ms (const core_t *self)
{
    return self->role == CORE_LEADER && self->lease.held ? self->lease.expiry_ms : 0;
}

uint64_t
core_last_index (const core_t *self)
{
    return self->last_index;
}

uint64_t
core_commit_index (const core_t *self)
{
    return self->commit;
}

uint64_t
core_snapshot_index (const core_t *self)
{
    return self->snap_index;
}

bool
core_term_at (const core_t *self, uint64_t index, uint64_t *term)
{
    return s_term_at (self, index, term);
}

int
core_compact (core_t *self, uint64_t index)
{
    uint64_t term;
    if (index <= self->snap_index || index > self->commit || !s_term_at (self, index, &term))
        return -1;
    self->snap_term = term;
    self->snap_index = index;
    return 0;
}

const char *
core_role_name (core_role_t role)
{
    switch (role) {
        case CORE_FOLLOWER:     return "follower";
        case CORE_PRECANDIDATE: return "precandidate";
        case CORE_CANDIDATE:    return "candidate";
        case CORE_LEADER:       return "leader";
    }
    return "unknown";
}

const char *
core_msg_type_name (core_msg_type_t type)
{
    switch (type) {
        case CORE_MSG_HEARTBEAT:     return "heartbeat";
        case CORE_MSG_HEARTBEAT_ACK: return "heartbeat-ack";
        case CORE_MSG_PREVOTE_REQ:   return "prevote-request";
        case CORE_MSG_PREVOTE_RESP:  return "prevote-reply";
        case CORE_MSG_VOTE_REQ:      return "vote-request";
        case CORE_MSG_VOTE_RESP:     return "vote-reply";
        case CORE_MSG_TIMEOUT_NOW:   return "timeout-now";
        case CORE_MSG_APPEND:        return "append";
        case CORE_MSG_APPEND_RESP:   return "append-reply";
        case CORE_MSG_SNAPSHOT:      return "snapshot";
    }
    return "unknown";
}

const char *
core_reason_name (core_reason_t reason)
{
    switch (reason) {
        case CORE_REASON_NONE:             return "none";
        case CORE_REASON_ELECTION_TIMEOUT: return "election-timeout";
        case CORE_REASON_PREVOTE_WON:      return "prevote-won";
        case CORE_REASON_PREVOTE_LOST:     return "prevote-lost";
        case CORE_REASON_ELECTION_WON:     return "election-won";
        case CORE_REASON_ELECTION_LOST:    return "election-lost";
        case CORE_REASON_HIGHER_TERM:      return "higher-term";
        case CORE_REASON_LEADER_HEARD:     return "leader-heard";
        case CORE_REASON_CHECK_QUORUM:     return "check-quorum";
        case CORE_REASON_LEADER_RESIGNED:  return "leader-resigned";
        case CORE_REASON_TRANSFER:         return "transfer";
        case CORE_REASON_COMMAND:          return "command";
    }
    return "unknown";
}
