/*  Tests for core.h on one core at a time, fed messages by hand: the
    incident's core-level functions as named regressions, configuration
    checks, and each protocol rule in isolation. Multi-node behaviour is in
    test_scenarios.c.
*/
#include "testing.h"
#include "core.h"
#include <string.h>

static core_update_t update;        //  Large; one is enough

static core_t *
s_core (uint32_t self, uint32_t n, const uint32_t *weights, uint64_t now)
{
    core_config_t config;
    core_config_defaults (&config, self, n);
    if (weights)
        memcpy (config.weights, weights, n * sizeof (uint32_t));
    config.seed = 42 + self;
    core_t *core = core_new (&config, NULL, now);
    assert_non_null (core);
    return core;
}

static int
s_tick (core_t *core, uint64_t now)
{
    core_event_t event = { .type = CORE_EV_TICK, .now_ms = now };
    return core_step (core, &event, &update);
}

static int
s_recv (core_t *core, uint64_t now, core_msg_t msg)
{
    core_event_t event = { .type = CORE_EV_RECV, .now_ms = now, .msg = msg };
    return core_step (core, &event, &update);
}

static const core_msg_t *
s_find (core_msg_type_t type, uint32_t to)
{
    for (size_t i = 0; i < update.msg_count; i++)
        if (update.msgs [i].type == type && update.msgs [i].to == to)
            return &update.msgs [i];
    return NULL;
}

//  Tick until the core leaves the follower role; returns the time.
static uint64_t
s_run_to_campaign (core_t *core, uint64_t now)
{
    s_tick (core, now);
    for (int i = 0; i < 1000 && core_role (core) == CORE_FOLLOWER; i++) {
        now = update.next_deadline_ms;
        s_tick (core, now);
    }
    return now;
}

//  The id of the pre-vote round whose requests the last step sent.
static uint64_t
s_round (void)
{
    for (size_t i = 0; i < update.msg_count; i++)
        if (update.msgs [i].type == CORE_MSG_PREVOTE_REQ)
            return update.msgs [i].round;
    fail_msg ("no pre-vote request was sent");
    return 0;
}

//  Make node 0 of a 3-node cluster leader at its current term.
static uint64_t
s_make_leader (core_t *core, uint64_t now)
{
    now = s_run_to_campaign (core, now);
    assert_int_equal (core_role (core), CORE_PRECANDIDATE);
    uint64_t term = core_term (core);
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_PREVOTE_RESP, .from = 1, .to = 0,
                                      .term = term + 1, .granted = true, .round = s_round () });
    assert_int_equal (core_role (core), CORE_CANDIDATE);
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_VOTE_RESP, .from = 2, .to = 0,
                                      .term = term + 1, .granted = true });
    assert_int_equal (core_role (core), CORE_LEADER);
    return now;
}

//  --------------------------------------------------------------------------

static void
test_config_checks_name_the_setting (void **state)
{
    (void) state;
    core_config_t c;
    char err [256];
    core_config_defaults (&c, 0, 5);
    assert_int_equal (core_config_check (&c, err, sizeof err), 0);
    assert_int_equal (core_config_lease_ms (&c), 235);  //  Longest the bound allows

    c.lease_ms = 240;
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    assert_non_null (strstr (err, "lease"));
    assert_non_null (strstr (err, "235"));
    core_config_defaults (&c, 0, 5);
    for (int i = 0; i < 5; i++)
        c.weights [i] = 0;
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    assert_non_null (strstr (err, "total weight"));
    core_config_defaults (&c, 5, 5);
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    assert_non_null (strstr (err, "self"));
    core_config_defaults (&c, 0, 0);
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    core_config_defaults (&c, 0, 3);
    c.heartbeat_ms = 200;
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    assert_non_null (strstr (err, "heartbeat"));
    core_config_defaults (&c, 0, 3);
    c.max_drift_ppm = 200000;
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    assert_non_null (strstr (err, "drift"));
    core_config_defaults (&c, 0, 3);
    c.unsafe_controls = CORE_UNSAFE_NO_PREVOTE;
    assert_int_equal (core_config_check (&c, err, sizeof err), -1);
    assert_non_null (strstr (err, "unsafe"));
    assert_null (core_new (&c, NULL, 0));
    core_config_defaults (&c, 0, 3);
    core_hard_state_t bad = { .term = 3, .voted_for = 7 };
    assert_null (core_new (&c, &bad, 0));
}

//  Incident: AdvanceTerm did not increment; the term stayed 1 forever.
static void
test_regression_advance_term_increments_and_persists (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    memset (&update, 0, sizeof update);
    core_advance_term (core, &update);
    assert_int_equal (core_term (core), 1);
    assert_true (update.persist);
    memset (&update, 0, sizeof update);
    core_advance_term (core, &update);
    assert_int_equal (core_term (core), 2);
    assert_true (update.persist && update.term_changed);
    assert_int_equal (core_voted_for (core), CORE_NOBODY);
    core_destroy (&core);
    assert_null (core);
    core_destroy (&core);           //  Safe on NULL
}

//  Incident: a stepped-down leader kept its IsLeader flag: split brain.
static void
test_regression_step_down_clears_leader_role_and_lease (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t now = s_make_leader (core, 0);
    s_recv (core, now + 1, (core_msg_t) { .type = CORE_MSG_HEARTBEAT_ACK, .from = 1, .to = 0,
                                          .term = core_term (core), .hb_ms = now, .granted = true });
    core_leadership_t info = core_current_leader (core, now + 1);
    assert_true (info.is_self && info.lease_valid);

    core_step_down (core, CORE_REASON_COMMAND, now + 2, &update);
    info = core_current_leader (core, now + 2);
    assert_int_equal (core_role (core), CORE_FOLLOWER);
    assert_false (info.is_self);
    assert_false (info.lease_valid);
    assert_int_equal (info.leader, CORE_NOBODY);
    assert_int_equal (core_lease_expiry_ms (core), 0);
    assert_true (update.role_changed && update.lease_changed);
    //  The resignation is announced so followers stop protecting us.
    const core_msg_t *hb = s_find (CORE_MSG_HEARTBEAT, CORE_TO_ALL);
    assert_non_null (hb);
    assert_int_equal (hb->role, CORE_FOLLOWER);
    assert_true (hb->resign);
    //  It is repeated on the next CORE_RESIGN_REPEATS heartbeats (a PUB may
    //  drop one); the heartbeats after that are periodic, whatever the role
    //  (the node sends them as beacons).
    int resigns = 0, heartbeats = 0;
    for (uint64_t t = now + 3; t < now + 2000; t += 10) {
        s_tick (core, t);
        for (size_t i = 0; i < update.msg_count; i++)
            if (update.msgs [i].type == CORE_MSG_HEARTBEAT) {
                assert_int_not_equal (update.msgs [i].role, CORE_LEADER);
                heartbeats++;
                if (update.msgs [i].resign) {
                    assert_int_equal (heartbeats, ++resigns);   //  Only the first ones
                    assert_int_equal (update.msgs [i].role, CORE_FOLLOWER);
                }
            }
    }
    assert_int_equal (resigns, CORE_RESIGN_REPEATS);
    assert_true (heartbeats > 10);
    core_destroy (&core);
}

//  Incident-class: one vote per term, never to a lower term, persisted.
static void
test_regression_grant_vote_once_per_term (void **state)
{
    (void) state;
    core_t *core = s_core (0, 5, NULL, 0);
    uint64_t t = 1000;          //  Past the boot protection (T = 250)
    memset (&update, 0, sizeof update);
    assert_true (core_grant_vote (core, 1, 5, 0, 0, false, t, &update));
    assert_true (update.persist);
    assert_int_equal (core_term (core), 5);
    assert_int_equal (core_voted_for (core), 1);
    assert_false (core_grant_vote (core, 2, 5, 0, 0, false, t, &update));    //  Second candidate
    assert_true (core_grant_vote (core, 1, 5, 0, 0, false, t, &update));     //  Same one again: fine
    assert_false (core_grant_vote (core, 3, 4, 0, 0, false, t, &update));    //  Lower term
    assert_int_equal (core_term (core), 5);
    assert_false (core_grant_vote (core, 0, 6, 0, 0, false, t, &update));    //  Ourselves
    assert_false (core_grant_vote (core, 9, 6, 0, 0, false, t, &update));    //  Not a member
    memset (&update, 0, sizeof update);
    assert_true (core_grant_vote (core, 2, 6, 0, 0, false, t, &update));     //  New term: new vote
    assert_true (update.persist);
    assert_int_equal (core_voted_for (core), 2);

    //  Through the wire path: the reply carries the decision and our term.
    s_recv (core, t, (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = 3, .to = 0, .term = 6 });
    const core_msg_t *reply = s_find (CORE_MSG_VOTE_RESP, 3);
    assert_non_null (reply);
    assert_false (reply->granted);
    assert_int_equal (reply->term, 6);
    core_destroy (&core);
}

//  A node that heard a live leader within T refuses votes and keeps its
//  term; a transfer vote is the one exception.
static void
test_stickiness_refuses_votes_without_term_change (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t t = 1000;
    s_recv (core, t, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = CORE_TO_ALL,
                                    .term = 3, .role = CORE_LEADER, .leader = 1, .hb_ms = 77 });
    assert_int_equal (core_term (core), 3);
    assert_int_equal (core_current_leader (core, t).leader, 1);
    const core_msg_t *ack = s_find (CORE_MSG_HEARTBEAT_ACK, 1);
    assert_non_null (ack);
    assert_int_equal (ack->hb_ms, 77);          //  The leader's own send time
    assert_true (ack->granted);

    s_recv (core, t + 100, (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = 2, .to = 0, .term = 4 });
    assert_false (s_find (CORE_MSG_VOTE_RESP, 2)->granted);
    assert_int_equal (core_term (core), 3);     //  Not disrupted
    assert_false (update.persist);
    s_recv (core, t + 100, (core_msg_t) { .type = CORE_MSG_PREVOTE_REQ, .from = 2, .to = 0, .term = 4 });
    assert_false (s_find (CORE_MSG_PREVOTE_RESP, 2)->granted);
    s_recv (core, t + 100, (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = 2, .to = 0, .term = 4,
                                          .transfer = true });
    assert_true (s_find (CORE_MSG_VOTE_RESP, 2)->granted);
    assert_int_equal (core_term (core), 4);
    core_destroy (&core);

    //  Without a transfer, the protection ends T after the last heartbeat.
    core = s_core (0, 3, NULL, 0);
    s_recv (core, t, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = CORE_TO_ALL,
                                    .term = 3, .role = CORE_LEADER, .leader = 1, .hb_ms = 5 });
    s_recv (core, t + 249, (core_msg_t) { .type = CORE_MSG_PREVOTE_REQ, .from = 2, .to = 0, .term = 4 });
    assert_false (s_find (CORE_MSG_PREVOTE_RESP, 2)->granted);
    s_recv (core, t + 250, (core_msg_t) { .type = CORE_MSG_PREVOTE_REQ, .from = 2, .to = 0, .term = 4,
                                          .round = 77 });
    assert_true (s_find (CORE_MSG_PREVOTE_RESP, 2)->granted);
    assert_int_equal (s_find (CORE_MSG_PREVOTE_RESP, 2)->round, 77);   //  Echoed
    assert_int_equal (core_term (core), 3);     //  PreVote changes nothing
    core_destroy (&core);
}

//  ForgetLeader: our leader's resignation lifts the protection at once.
static void
test_forget_leader_on_resignation (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t t = 1000;
    s_recv (core, t, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = CORE_TO_ALL,
                                    .term = 3, .role = CORE_LEADER, .leader = 1 });
    //  A candidate heartbeat of the same term predates the victory: ignored.
    s_recv (core, t + 1, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = CORE_TO_ALL,
                                        .term = 3, .role = CORE_CANDIDATE, .leader = CORE_NOBODY });
    assert_int_equal (core_current_leader (core, t + 1).leader, 1);
    s_recv (core, t + 2, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = CORE_TO_ALL,
                                        .term = 3, .role = CORE_FOLLOWER, .leader = CORE_NOBODY });
    assert_int_equal (core_current_leader (core, t + 2).leader, CORE_NOBODY);
    assert_int_equal (update.reason, CORE_REASON_LEADER_RESIGNED);
    s_recv (core, t + 3, (core_msg_t) { .type = CORE_MSG_PREVOTE_REQ, .from = 2, .to = 0, .term = 4 });
    assert_true (s_find (CORE_MSG_PREVOTE_RESP, 2)->granted);
    core_destroy (&core);
}

//  A restarted node may have acknowledged a leader just before crashing.
static void
test_restart_refuses_votes_for_one_timeout (void **state)
{
    (void) state;
    core_config_t config;
    core_config_defaults (&config, 0, 3);
    core_hard_state_t hard = { .term = 7, .voted_for = 1 };
    core_t *core = core_new (&config, &hard, 5000);
    assert_non_null (core);
    assert_int_equal (core_term (core), 7);
    assert_int_equal (core_voted_for (core), 1);
    s_recv (core, 5100, (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = 2, .to = 0, .term = 8 });
    assert_false (s_find (CORE_MSG_VOTE_RESP, 2)->granted);
    s_recv (core, 5250, (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = 2, .to = 0, .term = 8 });
    assert_true (s_find (CORE_MSG_VOTE_RESP, 2)->granted);
    assert_true (update.persist);
    assert_int_equal (update.term, 8);
    assert_int_equal (update.voted_for, 2);
    core_destroy (&core);
}

//  Incident: BecomeLeader without a quorum. Only a candidate whose granted
//  votes in this term are a weighted quorum may lead.
static void
test_regression_become_leader_needs_quorum (void **state)
{
    (void) state;
    core_t *core = s_core (0, 5, NULL, 0);
    assert_int_equal (core_become_leader (core, 0, &update), -1);    //  Follower
    assert_int_equal (core_transfer_candidate (core, 0), CORE_NOBODY);
    uint64_t now = s_run_to_campaign (core, 0);
    assert_int_equal (core_role (core), CORE_PRECANDIDATE);
    assert_int_equal (core_become_leader (core, now, &update), -1);  //  Pre-candidate
    uint64_t term = core_term (core);
    assert_int_equal (core_stats (core, now).prevotes, 1);
    //  Pre-vote requests go to every other voter, for term + 1, state unchanged.
    for (uint32_t i = 1; i < 5; i++) {
        const core_msg_t *req = s_find (CORE_MSG_PREVOTE_REQ, i);
        assert_non_null (req);
        assert_int_equal (req->term, term + 1);
    }
    assert_false (update.persist);
    uint64_t round = s_round ();
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_PREVOTE_RESP, .from = 1, .to = 0,
                                      .term = term + 1, .granted = true, .round = round });
    assert_int_equal (core_role (core), CORE_PRECANDIDATE);  //  2 of 5
    //  A grant from another round (held back in the network) does not count.
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_PREVOTE_RESP, .from = 2, .to = 0,
                                      .term = term + 1, .granted = true, .round = round + 1 });
    assert_int_equal (core_role (core), CORE_PRECANDIDATE);
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_PREVOTE_RESP, .from = 2, .to = 0,
                                      .term = term + 1, .granted = true, .round = round });
    assert_int_equal (core_role (core), CORE_CANDIDATE);     //  3 of 5
    assert_int_equal (core_term (core), term + 1);
    assert_true (update.persist);
    assert_int_equal (update.voted_for, 0);
    //  Denials are answers, not votes (the CountVotes bug, at core level).
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_VOTE_RESP, .from = 1, .to = 0,
                                      .term = term + 1, .granted = false });
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_VOTE_RESP, .from = 2, .to = 0,
                                      .term = term + 1, .granted = false });
    assert_int_equal (core_role (core), CORE_CANDIDATE);
    assert_int_equal (core_become_leader (core, now, &update), -1);
    //  A grant from an older term does not count either.
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_VOTE_RESP, .from = 3, .to = 0,
                                      .term = term, .granted = true });
    assert_int_equal (core_role (core), CORE_CANDIDATE);
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_VOTE_RESP, .from = 3, .to = 0,
                                      .term = term + 1, .granted = true });
    assert_int_equal (core_role (core), CORE_CANDIDATE);      //  2 of 5 granted
    s_recv (core, now, (core_msg_t) { .type = CORE_MSG_VOTE_RESP, .from = 4, .to = 0,
                                      .term = term + 1, .granted = true });
    assert_int_equal (core_role (core), CORE_LEADER);          //  3 of 5
    assert_non_null (s_find (CORE_MSG_HEARTBEAT, CORE_TO_ALL));
    core_destroy (&core);
}

//  Incident: CurrentLeader said nothing of lease validity. The lease runs
//  from the SEND time of the acknowledged round, not the ack's arrival.
static void
test_regression_current_leader_reports_lease_from_send_time (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t now = s_make_leader (core, 0);
    uint64_t term = core_term (core);
    core_leadership_t info = core_current_leader (core, now);
    assert_true (info.is_self);
    assert_int_equal (info.term, term);         //  Fencing token
    assert_false (info.lease_valid);            //  No round acknowledged yet
    //  The ack for the round sent at 'now' arrives 100 ms later.
    s_recv (core, now + 100, (core_msg_t) { .type = CORE_MSG_HEARTBEAT_ACK, .from = 2, .to = 0,
                                            .term = term, .hb_ms = now, .granted = true });
    info = core_current_leader (core, now + 100);
    assert_true (info.lease_valid);
    assert_int_equal (core_lease_expiry_ms (core), now + 235);
    assert_int_equal (info.lease_remaining_ms, 135);
    assert_false (core_current_leader (core, now + 235).lease_valid);
    //  An echo from the future is not ours: ignored, lease unchanged.
    s_recv (core, now + 101, (core_msg_t) { .type = CORE_MSG_HEARTBEAT_ACK, .from = 1, .to = 0,
                                            .term = term, .hb_ms = now + 5000, .granted = true });
    assert_int_equal (core_lease_expiry_ms (core), now + 235);
    core_destroy (&core);
}

//  A leader that stopped hearing from its quorum steps down within T.
static void
test_check_quorum_steps_down (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t now = s_make_leader (core, 0);
    uint64_t since = now;
    while (core_role (core) == CORE_LEADER && now < since + 1000) {
        now = update.next_deadline_ms;
        s_tick (core, now);
    }
    assert_int_equal (core_role (core), CORE_FOLLOWER);
    assert_int_equal (update.reason, CORE_REASON_CHECK_QUORUM);
    assert_true (now - since >= 250 && now - since < 300);
    assert_int_equal (core_stats (core, now).check_quorum_stepdowns, 1);
    core_destroy (&core);
}

//  The leader's heartbeat of this step, or NULL.
static const core_msg_t *
s_heartbeat_sent (void)
{
    for (size_t i = 0; i < update.msg_count; i++)
        if (update.msgs [i].type == CORE_MSG_HEARTBEAT)
            return &update.msgs [i];
    return NULL;
}

//  Acks on demand: a leader asks no ack for a round right after one a
//  quorum acknowledged, and asks every round after one a quorum missed.
//  Steady state: every other round acked, the lease never lapses, no
//  CheckQuorum step-down; then a quorum stops answering: every round asks.
static void
test_leader_asks_acks_only_when_its_quorum_round_is_old (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t now = s_make_leader (core, 0);
    uint64_t term = core_term (core);
    const core_msg_t *hb = s_heartbeat_sent ();
    assert_non_null (hb);
    assert_false (hb->no_ack);                  //  First round of the term: no quorum yet
    int asked = 0, skipped = 0;
    uint64_t until = now + 10000;
    while (now < until) {
        //  Member 1 answers every round asked, at once
        hb = s_heartbeat_sent ();
        if (hb && !hb->no_ack) {
            asked++;
            s_recv (core, now + 1, (core_msg_t) { .type = CORE_MSG_HEARTBEAT_ACK, .from = 1,
                                                  .to = 0, .term = term, .hb_ms = hb->hb_ms,
                                                  .granted = true });
        }
        else
        if (hb)
            skipped++;
        now = update.next_deadline_ms;
        s_tick (core, now);
        assert_int_equal (core_role (core), CORE_LEADER);
        assert_true (core_current_leader (core, now).lease_valid || now < 100);
    }
    //  200 rounds in 10 s, half asked
    assert_true (asked >= 95 && asked <= 105);
    assert_true (skipped >= 95 && skipped <= 105);
    assert_int_equal (core_stats (core, now).check_quorum_stepdowns, 0);

    //  The quorum goes silent: every round from the next asks, until
    //  CheckQuorum ends the term within T of the last acked round.
    uint64_t last_acked = core_lease_expiry_ms (core) - 235;
    int silent_rounds = 0, silent_skipped = 0;
    while (core_role (core) == CORE_LEADER) {
        now = update.next_deadline_ms;
        s_tick (core, now);
        hb = s_heartbeat_sent ();
        if (hb && hb->role == CORE_LEADER) {
            silent_rounds++;
            if (hb->no_ack)
                silent_skipped++;
        }
    }
    //  (The steady phase ended on a round asked or skipped; the rounds up
    //  to the step-down T after the last acked one are 2 or 3, all asked
    //  but one that may follow the last acked round directly.)
    assert_true (silent_skipped <= 1);
    assert_true (silent_rounds >= 2 && silent_rounds - silent_skipped >= 2);
    assert_int_equal (update.reason, CORE_REASON_CHECK_QUORUM);
    assert_true (now - last_acked >= 250 && now - last_acked < 300);
    core_destroy (&core);
}

//  A follower acknowledges the rounds its leader asks for, and only those;
//  a deposed leader's heartbeat is answered either way (with our term).
static void
test_follower_acks_only_rounds_asked (void **state)
{
    (void) state;
    core_t *core = s_core (1, 3, NULL, 0);
    s_recv (core, 1000, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 0, .to = CORE_TO_ALL,
                                       .term = 4, .role = CORE_LEADER, .leader = 0, .hb_ms = 990 });
    const core_msg_t *ack = s_find (CORE_MSG_HEARTBEAT_ACK, 0);
    assert_non_null (ack);
    assert_true (ack->granted);
    assert_int_equal (ack->hb_ms, 990);
    s_recv (core, 1050, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 0, .to = CORE_TO_ALL,
                                       .term = 4, .role = CORE_LEADER, .leader = 0, .hb_ms = 1040,
                                       .no_ack = true });
    assert_null (s_find (CORE_MSG_HEARTBEAT_ACK, 0));
    assert_int_equal (core_current_leader (core, 1050).leader, 0);  //  Still our leader
    //  A stale leader of term 3 asking no ack still learns our term
    s_recv (core, 1060, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 2, .to = CORE_TO_ALL,
                                       .term = 3, .role = CORE_LEADER, .leader = 2, .hb_ms = 7,
                                       .no_ack = true });
    ack = s_find (CORE_MSG_HEARTBEAT_ACK, 2);
    assert_non_null (ack);
    assert_false (ack->granted);
    assert_int_equal (ack->term, 4);
    core_destroy (&core);
}

//  A follower's own heartbeat (a beacon for monitors) goes out in the step
//  that takes its leader's, so one wake-up serves both; its timer takes
//  over within 1.5 intervals when the leader goes quiet.
static void
test_follower_heartbeat_rides_with_its_leaders (void **state)
{
    (void) state;
    core_t *core = s_core (1, 3, NULL, 0);
    int with_leader = 0, on_timer = 0;
    uint64_t now = 1000, next_hb = 1000, last_sent = 0, longest_gap = 0;
    uint32_t jitter = 7;
    while (now < 11000) {
        bool leader_turn = next_hb <= update.next_deadline_ms || now == 1000;
        if (leader_turn) {
            now = next_hb;
            s_recv (core, now, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 0,
                                              .to = CORE_TO_ALL, .term = 4, .role = CORE_LEADER,
                                              .leader = 0, .hb_ms = now });
            jitter = jitter * 1103515245u + 12345u;
            next_hb = now + 46 + (jitter >> 16) % 9;       //  50 +- 4 ms
        }
        else {
            now = update.next_deadline_ms;
            s_tick (core, now);
        }
        const core_msg_t *own = s_find (CORE_MSG_HEARTBEAT, CORE_TO_ALL);
        if (own) {
            if (leader_turn)
                with_leader++;
            else
                on_timer++;
            if (last_sent && now - last_sent > longest_gap)
                longest_gap = now - last_sent;
            last_sent = now;
        }
        assert_int_equal (core_role (core), CORE_FOLLOWER);
    }
    assert_true (with_leader >= 195 && with_leader <= 205);
    assert_int_equal (on_timer, 0);
    assert_true (longest_gap <= 54);
    //  The leader goes quiet: our own timer, first after 1.5 intervals
    uint64_t quiet_since = last_sent;
    now = update.next_deadline_ms;
    s_tick (core, now);
    assert_non_null (s_find (CORE_MSG_HEARTBEAT, CORE_TO_ALL));
    assert_int_equal (now - quiet_since, 75);
    now = update.next_deadline_ms;
    s_tick (core, now);
    assert_non_null (s_find (CORE_MSG_HEARTBEAT, CORE_TO_ALL));
    assert_int_equal (now - quiet_since, 125);
    core_destroy (&core);
}

static void
test_transfer_revokes_lease_then_sends_timeout_now (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    uint64_t now = s_make_leader (core, 0);
    uint64_t term = core_term (core);
    core_event_t transfer = { .type = CORE_EV_TRANSFER, .now_ms = now + 10, .target = 1 };
    assert_int_equal (core_step (core, &transfer, &update), -1);    //  1 never acked: unreachable
    s_recv (core, now + 5, (core_msg_t) { .type = CORE_MSG_HEARTBEAT_ACK, .from = 1, .to = 0,
                                          .term = term, .hb_ms = now, .granted = true });
    assert_true (core_current_leader (core, now + 5).lease_valid);
    transfer.target = 2;
    assert_int_equal (core_step (core, &transfer, &update), -1);    //  2 unreachable too
    assert_int_equal (core_transfer_candidate (core, now + 5), 1);  //  The one that answered
    transfer.target = 0;
    assert_int_equal (core_step (core, &transfer, &update), -1);    //  Ourselves
    transfer.target = 1;
    assert_int_equal (core_step (core, &transfer, &update), 0);
    assert_non_null (s_find (CORE_MSG_TIMEOUT_NOW, 1));
    assert_false (core_current_leader (core, now + 10).lease_valid);
    //  Later acks never bring the lease back in this term.
    s_recv (core, now + 60, (core_msg_t) { .type = CORE_MSG_HEARTBEAT_ACK, .from = 1, .to = 0,
                                           .term = term, .hb_ms = now + 50, .granted = true });
    assert_false (core_current_leader (core, now + 60).lease_valid);
    core_destroy (&core);

    //  The target campaigns at once, skipping PreVote, flagged as transfer.
    core = s_core (1, 3, NULL, 0);
    s_recv (core, 1000, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 0, .to = CORE_TO_ALL,
                                       .term = 4, .role = CORE_LEADER, .leader = 0 });
    s_recv (core, 1001, (core_msg_t) { .type = CORE_MSG_TIMEOUT_NOW, .from = 2, .to = 1, .term = 4 });
    assert_int_equal (core_role (core), CORE_FOLLOWER);    //  Not from our leader
    s_recv (core, 1002, (core_msg_t) { .type = CORE_MSG_TIMEOUT_NOW, .from = 0, .to = 1, .term = 4 });
    assert_int_equal (core_role (core), CORE_CANDIDATE);
    assert_int_equal (core_term (core), 5);
    const core_msg_t *req = s_find (CORE_MSG_VOTE_REQ, 2);
    assert_non_null (req);
    assert_true (req->transfer);
    core_destroy (&core);
}

static void
test_single_node_elects_itself (void **state)
{
    (void) state;
    core_t *core = s_core (0, 1, NULL, 0);
    uint64_t now = s_run_to_campaign (core, 0);
    assert_int_equal (core_role (core), CORE_LEADER);
    assert_true (now >= 250 && now < 500);
    assert_true (core_current_leader (core, now).lease_valid);
    core_destroy (&core);
}

static void
test_zero_weight_never_campaigns (void **state)
{
    (void) state;
    uint32_t weights [3] = { 0, 1, 1 };
    core_t *core = s_core (0, 3, weights, 0);
    uint64_t now = 0;
    s_tick (core, now);
    for (int i = 0; i < 500; i++) {
        now = update.next_deadline_ms;
        s_tick (core, now);
        assert_int_equal (core_role (core), CORE_FOLLOWER);
    }
    assert_true (now > 10000);
    assert_int_equal (core_stats (core, now).prevotes, 0);
    assert_int_equal (core_stats (core, now).elections, 0);
    core_destroy (&core);

    //  And nobody grants a vote or pre-vote to a weight-0 member.
    core = s_core (1, 3, weights, 0);
    s_recv (core, 1000, (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = 0, .to = 1, .term = 9 });
    assert_false (s_find (CORE_MSG_VOTE_RESP, 0)->granted);
    assert_int_equal (core_term (core), 0);
    s_recv (core, 1000, (core_msg_t) { .type = CORE_MSG_PREVOTE_REQ, .from = 0, .to = 1, .term = 9 });
    assert_false (s_find (CORE_MSG_PREVOTE_RESP, 0)->granted);
    core_destroy (&core);
}

//  Bad events change nothing and say so.
static void
test_malformed_events_are_rejected (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    core_msg_t bad [] = {
        { .type = CORE_MSG_VOTE_REQ, .from = 3, .to = 0, .term = 9 },       //  Unknown sender
        { .type = CORE_MSG_VOTE_REQ, .from = 0, .to = 0, .term = 9 },       //  From ourselves
        { .type = CORE_MSG_VOTE_REQ, .from = 1, .to = 2, .term = 9 },       //  Not for us
        { .type = 0, .from = 1, .to = 0, .term = 9 },                       //  No such type
        { .type = 99, .from = 1, .to = 0, .term = 9 },
        { .type = CORE_MSG_VOTE_REQ, .from = 1, .to = CORE_TO_ALL, .term = 9 },
        { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = 0, .term = 9, .role = 7 },
    };
    for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
        assert_int_equal (s_recv (core, 1000, bad [i]), -1);
        assert_int_equal (update.msg_count, 0);
        assert_false (update.persist);
        assert_int_equal (core_term (core), 0);
    }
    core_event_t event = { .type = 42, .now_ms = 1000 };
    assert_int_equal (core_step (core, &event, &update), -1);
    core_destroy (&core);
}

//  A deposed leader learns of the newer term from a follower's answer.
static void
test_stale_leader_is_told_the_newer_term (void **state)
{
    (void) state;
    core_t *core = s_core (0, 3, NULL, 0);
    s_recv (core, 1000, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 1, .to = CORE_TO_ALL,
                                       .term = 5, .role = CORE_LEADER, .leader = 1 });
    s_recv (core, 1010, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 2, .to = CORE_TO_ALL,
                                       .term = 4, .role = CORE_LEADER, .leader = 2, .hb_ms = 9 });
    const core_msg_t *ack = s_find (CORE_MSG_HEARTBEAT_ACK, 2);
    assert_non_null (ack);
    assert_int_equal (ack->term, 5);
    assert_false (ack->granted);
    assert_int_equal (core_current_leader (core, 1010).leader, 1);   //  Unmoved
    //  The same term from another leader is a safety violation, reported.
    s_recv (core, 1020, (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = 2, .to = CORE_TO_ALL,
                                       .term = 5, .role = CORE_LEADER, .leader = 2 });
    assert_true (update.violation);
    assert_int_equal (update.violation_member, 2);
    assert_int_equal (update.violation_term, 5);
    assert_int_equal (core_current_leader (core, 1020).leader, 1);
    core_destroy (&core);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_config_checks_name_the_setting),
        cmocka_unit_test (test_regression_advance_term_increments_and_persists),
        cmocka_unit_test (test_regression_step_down_clears_leader_role_and_lease),
        cmocka_unit_test (test_regression_grant_vote_once_per_term),
        cmocka_unit_test (test_stickiness_refuses_votes_without_term_change),
        cmocka_unit_test (test_forget_leader_on_resignation),
        cmocka_unit_test (test_restart_refuses_votes_for_one_timeout),
        cmocka_unit_test (test_regression_become_leader_needs_quorum),
        cmocka_unit_test (test_regression_current_leader_reports_lease_from_send_time),
        cmocka_unit_test (test_check_quorum_steps_down),
        cmocka_unit_test (test_leader_asks_acks_only_when_its_quorum_round_is_old),
        cmocka_unit_test (test_follower_acks_only_rounds_asked),
        cmocka_unit_test (test_follower_heartbeat_rides_with_its_leaders),
        cmocka_unit_test (test_transfer_revokes_lease_then_sends_timeout_now),
        cmocka_unit_test (test_single_node_elects_itself),
        cmocka_unit_test (test_zero_weight_never_campaigns),
        cmocka_unit_test (test_malformed_events_are_rejected),
        cmocka_unit_test (test_stale_leader_is_told_the_newer_term),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
