/*  sim_scenario: directed scenarios, for findings that a random schedule
    cannot judge because its stability checks run on a healthy network.
    See sim.h.

    stale-prevote: pre-vote answers carry no round, so a grant delivered
    seconds late (a DEALER that reconnects, PITFALLS "late delivery")
    counts in a later round at the same proposed term. Five members; the
    leader L keeps a quorum throughout, yet follower A, which cannot reach
    L, collects a grant from B (given while B had lost L) and one from C
    (given later, while C had lost L), both held back, wins a pre-vote and
    raises its term: the disruption PreVote exists to prevent (hashicorp
    raft #411). The scenario files the rejoin property if A's term rises
    or the leader changes.
*/
/*  figure8: Raft paper figure 8, with five members S1..S5 (n0..n4) and
    links cut so that each election has one possible winner. S1 leads and
    appends write 100 at index k, which reaches S2 only; S1 crashes. S5
    wins the next term with S3 and S4, appends write 200 at k (which
    reaches nobody: its outbound links are cut) and crashes. S1 restarts
    and wins with S2 and S3; it replicates index k (of its first term) to
    S3, so a majority holds it. A leader that commits it by counting
    replicas (control commit-old-term) applies write 100 at k. S1 crashes,
    S5 restarts and wins with S2, S3 and S4 (its last term is higher than
    theirs) and overwrites index k with write 200: two writes applied at
    one index (sm-safety). The safe core commits nothing of an earlier
    term by counting and starts every term with a no-op, so S1's no-op
    (or S5's first) settles index k for good and nothing is overwritten.
*/
#include "sim.h"
#include "sim_cluster.h"
#include <inttypes.h>
#include <string.h>

static void
s_link (fixture_t *f, uint32_t a, uint32_t b, bool up)
{
    fixture_set_link (f, a, b, up);
    fixture_set_link (f, b, a, up);
}

//  Only the links between node and each member of voters are up.
static void
s_only (fixture_t *f, uint32_t node, uint64_t voters)
{
    for (uint32_t a = 0; a < 5; a++)
        for (uint32_t b = 0; b < 5; b++)
            fixture_set_link (f, a, b, false);
    for (uint32_t v = 0; v < 5; v++)
        if (voters & (1ULL << v))
            s_link (f, node, v, true);
}

//  Wait out every node's protection of its last leader (T), then ask node
//  to campaign; true once it leads.
static bool
s_elect (fixture_t *f, uint32_t node, uint64_t voters)
{
    s_only (f, node, voters);
    fixture_run_for (f, 600);
    if (!fixture_alive (f, node))
        return false;
    fixture_command (f, node, CORE_EV_CAMPAIGN, 0);
    for (int ms = 0; ms < 2000; ms += 5) {
        if (core_role (fixture_core (f, node)) == CORE_LEADER)
            return true;
        fixture_run_for (f, 5);
    }
    return false;
}

static void
s_scenario_result (fixture_t *f, uint64_t election_timeout_ms, sim_result_t *result)
{
    result->nodes = 5;
    result->default_timing = true;
    result->events = fixture_events (f);
    result->sim_ms = fixture_now (f);
    result->violated = fixture_violated (f);
    result->first = fixture_first_violation (f);
    snprintf (result->text, sizeof (result->text), "%s", fixture_violation_text (f));
    result->hash = fixture_hash (f);
    result->election_timeout_ms = election_timeout_ms;
    result->writes_acked = fixture_acked_writes (f);
}

int
sim_scenario_figure8 (const sim_config_t *config, sim_result_t *result)
{
    memset (result, 0, sizeof (*result));
    result->recovery_ms = result->failover_ms = -1;
    result->first = FIXTURE_PROPERTIES;
    fixture_options_t opts;
    fixture_options_defaults (&opts, 5, config->seed);
    opts.unsafe_controls = config->unsafe_controls;
    fixture_t *f = fixture_new (&opts);
    if (!f)
        return -1;
    fixture_set_trace (f, config->trace);
    enum { S1 = 0, S2 = 1, S3 = 2, S4 = 3, S5 = 4 };
    const char *reached = "S1 never led";
    fixture_run_for (f, 1000);
    if (s_elect (f, S1, 0x1E)) {
        fixture_trace_note (f, "SCENARIO S1 leads; write 100 reaches S2 only; S1 crashes");
        fixture_run_for (f, 200);
        s_only (f, S1, 1u << S2);
        fixture_propose (f, S1, 100);
        fixture_run_for (f, 100);
        fixture_crash (f, S1);
        reached = "S5 never led";
        if (s_elect (f, S5, (1u << S3) | (1u << S4))) {
            fixture_trace_note (f, "SCENARIO S5 leads; write 200 reaches nobody; S5 crashes");
            fixture_set_link (f, S5, S3, false);
            fixture_set_link (f, S5, S4, false);
            fixture_propose (f, S5, 200);
            fixture_run_for (f, 100);
            fixture_crash (f, S5);
            fixture_restart (f, S1);
            reached = "S1 never led again";
            if (s_elect (f, S1, (1u << S2) | (1u << S3))) {
                fixture_trace_note (f, "SCENARIO S1 leads again and replicates index k to S3; S1 crashes");
                fixture_run_for (f, 300);
                fixture_crash (f, S1);
                fixture_restart (f, S5);
                reached = "S5 could not lead again (the safe outcome)";
                if (s_elect (f, S5, (1u << S2) | (1u << S3) | (1u << S4))) {
                    reached = "S5 led again";
                    fixture_run_for (f, 500);
                }
            }
        }
    }
    fixture_trace_note (f, reached);
    //  Heal, everyone back: whatever was applied must agree everywhere.
    fixture_heal (f);
    for (uint32_t i = 0; i < 5; i++)
        if (!fixture_alive (f, i))
            fixture_restart (f, i);
    fixture_run_for (f, 3000);
    for (uint32_t i = 0; i < 5; i++)
        fixture_check_acked (f, i);
    s_scenario_result (f, opts.election_timeout_ms, result);
    snprintf (result->property_text [0], sizeof (result->property_text [0]), "%s", reached);
    fixture_destroy (&f);
    return 0;
}

int
sim_scenario_stale_prevote (const sim_config_t *config, sim_result_t *result)
{
    memset (result, 0, sizeof (*result));
    result->recovery_ms = result->failover_ms = -1;
    result->first = FIXTURE_PROPERTIES;
    fixture_options_t opts;
    fixture_options_defaults (&opts, 5, config->seed);
    opts.unsafe_controls = config->unsafe_controls;
    fixture_t *f = fixture_new (&opts);
    if (!f)
        return -1;
    fixture_set_trace (f, config->trace);
    int leader = fixture_run_until_leader (f, 2000);
    fixture_run_for (f, 500);
    if (leader >= 0) {
        uint32_t l = (uint32_t) leader;
        uint32_t a = (l + 1) % 5, b = (l + 2) % 5, c = (l + 3) % 5;
        uint64_t term = fixture_max_term (f);
        uint32_t elected = fixture_leaders_elected (f);
        fixture_trace_note (f, "SCENARIO A and B lose the leader; B's messages to A are held 4 s");
        s_link (f, l, a, false);
        s_link (f, l, b, false);
        fixture_queue_link (f, b, a, 4000);
        fixture_run_for (f, 1500);
        fixture_trace_note (f, "SCENARIO B is back with the leader; C loses it; C's messages to A held 2.5 s");
        s_link (f, l, b, true);
        s_link (f, l, c, false);
        fixture_queue_link (f, c, a, 2500);
        fixture_run_for (f, 2200);
        s_link (f, l, c, true);
        fixture_trace_note (f, "SCENARIO C is back; the held grants reach A, still cut off from the leader");
        fixture_run_for (f, 2000);
        uint64_t a_term = core_term (fixture_core (f, a));
        if (a_term != term) {
            char text [160];
            snprintf (text, sizeof (text), "n%u, cut off from the leader n%u (which kept its quorum), "
                      "went from term %" PRIu64 " to %" PRIu64 " after counting held-back pre-vote "
                      "grants from earlier rounds", a, l, term, a_term);
            fixture_flag (f, FIXTURE_REJOIN, text);
        }
        fixture_trace_note (f, "SCENARIO A rejoins");
        s_link (f, l, a, true);
        fixture_run_for (f, 3000);
        if (fixture_agreed_leader (f) != leader || fixture_leaders_elected (f) != elected) {
            char text [160];
            snprintf (text, sizeof (text), "the leader changed: n%d -> %d, %u new leader(s)", leader,
                      fixture_agreed_leader (f), fixture_leaders_elected (f) - elected);
            fixture_flag (f, FIXTURE_REJOIN, text);
        }
    }
    else
        fixture_flag (f, FIXTURE_LIVENESS, "no leader at the start of the scenario");
    result->nodes = 5;
    result->default_timing = true;
    result->events = fixture_events (f);
    result->sim_ms = fixture_now (f);
    result->violated = fixture_violated (f);
    result->first = fixture_first_violation (f);
    snprintf (result->text, sizeof (result->text), "%s", fixture_violation_text (f));
    result->hash = fixture_hash (f);
    result->election_timeout_ms = opts.election_timeout_ms;
    fixture_destroy (&f);
    return 0;
}
