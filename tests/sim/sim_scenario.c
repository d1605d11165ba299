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
