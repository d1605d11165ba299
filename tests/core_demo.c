/*  core_demo: the consensus core's story in one run.

    Five real cores over the fixture's simulated network and clocks go
    through a cold start, a leader crash, a long partition of one follower,
    a leadership transfer and an isolated leader, and the demo prints what
    the cluster did at each step with the simulated times. The fixture's
    safety checker runs after every event; the demo exits 1 if anything
    it narrates did not happen or any invariant broke.

    Usage: core_demo [--seed N] [--quiet]
*/
#include "fixture.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool quiet = false;
static int failures = 0;

#define SAY(...) do { if (!quiet) printf (__VA_ARGS__); } while (0)

static void
s_expect (bool ok, const char *what)
{
    if (!ok) {
        fprintf (stderr, "core_demo: expected %s\n", what);
        failures++;
    }
}

static uint64_t
s_term (fixture_t *f, int node)
{
    return core_term (fixture_core (f, (uint32_t) node));
}

int
main (int argc, char *argv [])
{
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "--quiet"))
            quiet = true;
        else
        if (!strcmp (argv [i], "--seed") && i + 1 < argc)
            seed = strtoull (argv [++i], NULL, 10);
        else {
            fprintf (stderr, "usage: core_demo [--seed N] [--quiet]\n");
            return 2;
        }
    }
    fixture_options_t opts;
    fixture_options_defaults (&opts, 5, seed);
    fixture_t *f = fixture_new (&opts);
    if (!f)
        return 1;
    SAY ("incidentmesh consensus core demo (seed %" PRIu64 ")\n", seed);
    core_config_t config;
    core_config_defaults (&config, 0, 5);
    SAY ("5 nodes, simulated network 1-3 ms, heartbeat %" PRIu64 " ms, election timeout %" PRIu64
         "-%" PRIu64 " ms, lease %" PRIu64 " ms\n\n", config.heartbeat_ms, config.election_timeout_ms,
         2 * config.election_timeout_ms, core_config_lease_ms (&config));

    //  1. Cold start
    int leader = fixture_run_until_leader (f, 2000);
    s_expect (leader >= 0, "a leader after cold start");
    if (leader < 0)
        return 1;
    SAY ("[%6" PRIu64 " ms] cold start: n%d leads term %" PRIu64 " (fencing token), lease valid, all 5 agree\n",
         fixture_now (f), leader, s_term (f, leader));
    fixture_run_for (f, 10000);
    SAY ("[%6" PRIu64 " ms] 10 s quiet: leader changes %u, term %" PRIu64 "\n",
         fixture_now (f), fixture_leaders_elected (f) - 1, fixture_max_term (f));
    s_expect (fixture_leaders_elected (f) == 1, "no leader change while quiet");

    //  2. Leader crash
    int old = leader;
    fixture_crash (f, (uint32_t) old);
    uint64_t t0 = fixture_now (f);
    SAY ("[%6" PRIu64 " ms] crash n%d (the leader)\n", t0, old);
    leader = fixture_run_until_leader (f, 3000);
    s_expect (leader >= 0 && leader != old, "a new leader after the crash");
    if (leader < 0)
        return 1;
    SAY ("[%6" PRIu64 " ms] n%d leads term %" PRIu64 " with a valid lease: failover took %" PRIu64 " ms\n",
         fixture_now (f), leader, s_term (f, leader), fixture_now (f) - t0);
    fixture_run_for (f, 1000);
    uint64_t term = fixture_max_term (f);
    fixture_restart (f, (uint32_t) old);
    fixture_run_for (f, 2000);
    SAY ("[%6" PRIu64 " ms] n%d restarted from its persisted term and vote: follows n%d, term still %" PRIu64 "\n",
         fixture_now (f), old, core_current_leader (fixture_core (f, (uint32_t) old), 0).leader,
         fixture_max_term (f));
    s_expect (fixture_max_term (f) == term && fixture_agreed_leader (f) == leader,
              "the restarted node to rejoin without a term increase");

    //  3. A follower partitioned away for 20 s
    int lonely = (leader + 1) % 5;
    fixture_isolate (f, (uint32_t) lonely);
    SAY ("[%6" PRIu64 " ms] isolate follower n%d for 20 s\n", fixture_now (f), lonely);
    fixture_run_for (f, 20000);
    core_stats_t stats = core_stats (fixture_core (f, (uint32_t) lonely),
                                     fixture_local_now (f, (uint32_t) lonely));
    SAY ("[%6" PRIu64 " ms] n%d tried %" PRIu64 " pre-votes (backing off after %u failures) and never "
         "raised its term: %" PRIu64 "\n", fixture_now (f), lonely, stats.prevotes,
         stats.failed_elections, s_term (f, lonely));
    s_expect (s_term (f, lonely) == term, "PreVote to keep the isolated node's term");
    fixture_heal (f);
    fixture_run_for (f, 2000);
    SAY ("[%6" PRIu64 " ms] healed: n%d follows n%d, cluster term %" PRIu64 ", leader changes so far %u\n",
         fixture_now (f), lonely, core_current_leader (fixture_core (f, (uint32_t) lonely), 0).leader,
         fixture_max_term (f), fixture_leaders_elected (f) - 1);
    s_expect (fixture_agreed_leader (f) == leader && fixture_max_term (f) == term,
              "the rejoin to disturb nobody");

    //  4. Leadership transfer (graceful shutdown)
    int target = (leader + 2) % 5;
    t0 = fixture_now (f);
    s_expect (fixture_command (f, (uint32_t) leader, CORE_EV_TRANSFER, (uint32_t) target) == 0,
              "the transfer to be accepted");
    while (fixture_now (f) < t0 + 1000 && fixture_leader (f) != target)
        fixture_run_for (f, 1);
    SAY ("[%6" PRIu64 " ms] transfer n%d -> n%d: n%d leads term %" PRIu64 " with a lease after %" PRIu64
         " ms (the old leader gave up its lease first)\n", fixture_now (f), leader, target, target,
         s_term (f, target), fixture_now (f) - t0);
    s_expect (fixture_leader (f) == target, "the target to lead");
    leader = target;
    fixture_run_for (f, 1000);

    //  5. The leader cut off from everyone
    fixture_isolate (f, (uint32_t) leader);
    t0 = fixture_now (f);
    uint64_t lapsed = 0, stepped = 0, elected = 0;
    int next = -1;
    while (fixture_now (f) < t0 + 3000 && !(stepped && elected)) {
        fixture_run_for (f, 1);
        core_t *core = fixture_core (f, (uint32_t) leader);
        uint64_t local = fixture_local_now (f, (uint32_t) leader);
        if (!lapsed && !core_current_leader (core, local).lease_valid)
            lapsed = fixture_now (f) - t0;
        if (!stepped && core_role (core) != CORE_LEADER)
            stepped = fixture_now (f) - t0;
        int now_leader = fixture_leader (f);
        if (!elected && now_leader >= 0 && now_leader != leader)
            elected = fixture_now (f) - t0, next = now_leader;
    }
    SAY ("[%6" PRIu64 " ms] isolate leader n%d: its lease lapsed after %" PRIu64 " ms, it stepped down "
         "after %" PRIu64 " ms (CheckQuorum); n%d holds a lease after %" PRIu64 " ms\n",
         t0, leader, lapsed, stepped, next, elected);
    s_expect (lapsed && stepped && elected && lapsed <= elected,
              "the old lease to lapse before a new one exists");
    fixture_heal (f);
    fixture_run_for (f, 3000);
    SAY ("[%6" PRIu64 " ms] healed: all follow n%d in term %" PRIu64 "\n\n",
         fixture_now (f), fixture_agreed_leader (f), fixture_max_term (f));
    s_expect (fixture_agreed_leader (f) >= 0, "one agreed leader after healing");

    SAY ("safety checks after each of %" PRIu64 " events: %u violations%s%s\n",
         fixture_events (f), fixture_violations (f),
         fixture_violations (f) ? ": " : "", fixture_violation_text (f));
    s_expect (fixture_violations (f) == 0, "no safety violation");
    fixture_destroy (&f);
    if (failures)
        fprintf (stderr, "core_demo: %d expectation(s) failed\n", failures);
    return failures ? 1 : 0;
}
