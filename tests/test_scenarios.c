/*  Scenario tests: several real cores driven together over the fixture's
    simulated network and clock, like etcd-io/raft's interaction tests.
    Every scenario also relies on the fixture's invariant checker (one
    leader per term, no overlapping leases, monotonic terms, one vote per
    term, quorum-backed leaders) after every single event.
    Set TRACE=1 in the environment to print every event.
*/
#include "testing.h"
#include "fixture.h"
#include <stdio.h>
#include <stdlib.h>

static fixture_t *
s_cluster (uint32_t nodes, uint64_t seed, const uint32_t *weights)
{
    fixture_options_t opts;
    fixture_options_defaults (&opts, nodes, seed);
    if (weights) {
        opts.weighted = true;
        for (uint32_t i = 0; i < nodes; i++)
            opts.weights [i] = weights [i];
    }
    fixture_t *f = fixture_new (&opts);
    assert_non_null (f);
    if (getenv ("TRACE"))
        fixture_set_trace (f, stdout);
    return f;
}

static void
s_assert_safe (fixture_t *f)
{
    if (fixture_violations (f))
        fail_msg ("safety violation: %s", fixture_violation_text (f));
}

//  Cold start: one leader, agreed by all, within 2 s; then nothing changes
//  for a quiet minute.
static void
test_cold_start_election (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        fixture_t *f = s_cluster (5, seed, NULL);
        int leader = fixture_run_until_leader (f, 2000);
        assert_true (leader >= 0);
        assert_true (fixture_now (f) <= 2000);
        uint32_t elected = fixture_leaders_elected (f);
        uint64_t term = fixture_max_term (f);
        fixture_run_for (f, 60000);
        assert_int_equal (fixture_agreed_leader (f), leader);
        assert_int_equal (fixture_leaders_elected (f), elected);
        assert_int_equal (fixture_max_term (f), term);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  Leader crash: a new leader within a couple of election timeouts; the old
//  leader restarts from its persisted state and rejoins as a follower
//  without raising anyone's term.
static void
test_leader_failure_and_rejoin (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fixture_t *f = s_cluster (5, seed, NULL);
        int old = fixture_run_until_leader (f, 2000);
        assert_true (old >= 0);
        fixture_run_for (f, 1000);
        fixture_crash (f, (uint32_t) old);
        uint64_t crashed_at = fixture_now (f);
        int leader = fixture_run_until_leader (f, 2000);
        assert_true (leader >= 0 && leader != old);
        //  Followers time out within [T, 2T) of the last heartbeat, then
        //  PreVote, vote and one acknowledged round.
        assert_true (fixture_now (f) - crashed_at < 2 * 250 + 100);
        fixture_run_for (f, 1000);
        uint64_t term = fixture_max_term (f);
        uint32_t elected = fixture_leaders_elected (f);
        fixture_restart (f, (uint32_t) old);
        fixture_run_for (f, 10000);
        assert_int_equal (fixture_agreed_leader (f), leader);
        assert_int_equal (fixture_max_term (f), term);
        assert_int_equal (fixture_leaders_elected (f), elected);
        assert_int_equal (core_role (fixture_core (f, (uint32_t) old)), CORE_FOLLOWER);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  PreVote: a follower cut off for a long time cannot win pre-votes, so it
//  never raises its term, and its return disturbs nobody.
static void
test_partitioned_follower_rejoins_without_term_increase (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fixture_t *f = s_cluster (5, seed, NULL);
        int leader = fixture_run_until_leader (f, 2000);
        assert_true (leader >= 0);
        uint32_t follower = (uint32_t) (leader + 1) % 5;
        uint64_t term = fixture_max_term (f);
        fixture_isolate (f, follower);
        fixture_run_for (f, 20000);
        assert_int_equal (core_term (fixture_core (f, follower)), term);
        assert_true (core_stats (fixture_core (f, follower), fixture_local_now (f, follower)).prevotes > 5);
        fixture_heal (f);
        fixture_run_for (f, 5000);
        assert_int_equal (fixture_agreed_leader (f), leader);
        assert_int_equal (fixture_max_term (f), term);
        assert_int_equal (fixture_leaders_elected (f), 1);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  CheckQuorum and leases: a leader cut off from its quorum steps down, and
//  its lease has lapsed before any other node holds one.
static void
test_isolated_leader_steps_down_and_lease_lapses_first (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fixture_t *f = s_cluster (5, seed, NULL);
        int old = fixture_run_until_leader (f, 2000);
        assert_true (old >= 0);
        fixture_run_for (f, 500);
        fixture_isolate (f, (uint32_t) old);
        uint64_t cut_at = fixture_now (f);
        uint64_t old_lease_end = 0;     //  True time the old lease lapsed
        uint64_t stepped_down = 0;
        uint64_t new_lease = 0;         //  True time another node held a lease
        while (fixture_now (f) < cut_at + 3000 && !(stepped_down && new_lease)) {
            fixture_run_for (f, 1);
            core_t *core = fixture_core (f, (uint32_t) old);
            uint64_t local = fixture_local_now (f, (uint32_t) old);
            if (!old_lease_end && !core_current_leader (core, local).lease_valid)
                old_lease_end = fixture_now (f);
            if (!stepped_down && core_role (core) != CORE_LEADER)
                stepped_down = fixture_now (f);
            int leader = fixture_leader (f);
            if (!new_lease && leader >= 0 && leader != old)
                new_lease = fixture_now (f);
        }
        assert_true (stepped_down > 0);
        assert_true (stepped_down - cut_at <= 250 + 50);    //  Within T of last contact
        assert_true (new_lease > 0);
        assert_true (old_lease_end > 0 && old_lease_end <= new_lease);
        assert_true (old_lease_end - cut_at <= 235 + 50);
        s_assert_safe (f);
        //  On return it follows the new leader; one more term, no more.
        uint64_t term = fixture_max_term (f);
        fixture_heal (f);
        fixture_run_for (f, 3000);
        assert_true (fixture_agreed_leader (f) >= 0);
        assert_int_equal (fixture_max_term (f), term);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  Leadership transfer: exactly one leader change, and the target holds a
//  lease within two heartbeat intervals.
static void
test_leadership_transfer (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 30; seed++) {
        fixture_t *f = s_cluster (5, seed, NULL);
        int old = fixture_run_until_leader (f, 2000);
        assert_true (old >= 0);
        fixture_run_for (f, 300);
        uint32_t target = (uint32_t) (old + 2) % 5;
        uint32_t elected = fixture_leaders_elected (f);
        //  Not to ourselves, not to a non-member.
        assert_int_equal (fixture_command (f, (uint32_t) old, CORE_EV_TRANSFER, (uint32_t) old), -1);
        assert_int_equal (fixture_command (f, (uint32_t) old, CORE_EV_TRANSFER, 9), -1);
        uint64_t start = fixture_now (f);
        assert_int_equal (fixture_command (f, (uint32_t) old, CORE_EV_TRANSFER, target), 0);
        int leader = -1;
        while (fixture_now (f) < start + 1000 && (leader = fixture_leader (f)) != (int) target)
            fixture_run_for (f, 1);
        assert_int_equal (leader, (int) target);
        assert_true (fixture_now (f) - start < 2 * 50);
        fixture_run_for (f, 5000);
        assert_int_equal (fixture_agreed_leader (f), (int) target);
        assert_int_equal (fixture_leaders_elected (f), elected + 1);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  Storm guard: more than 5 leader changes within an hour raise the alarm.
static void
test_storm_flag_after_repeated_leader_changes (void **state)
{
    (void) state;
    fixture_t *f = s_cluster (5, 7, NULL);
    int leader = fixture_run_until_leader (f, 2000);
    assert_true (leader >= 0);
    for (int change = 0; change < 6; change++) {
        fixture_run_for (f, 60000);
        fixture_crash (f, (uint32_t) leader);
        int next = fixture_run_until_leader (f, 3000);
        assert_true (next >= 0 && next != leader);
        fixture_restart (f, (uint32_t) leader);
        leader = next;
        fixture_run_for (f, 1000);
        //  The node that stayed up through everything has seen change + 2
        //  leaders. The alarm is up only once that exceeds the threshold.
        uint32_t observer = (uint32_t) (leader + 1) % 5;
        core_stats_t stats = core_stats (fixture_core (f, observer), fixture_local_now (f, observer));
        if (stats.leader_changes <= 5)
            assert_false (stats.storm_alarm);
    }
    uint32_t alarms = 0;
    for (uint32_t i = 0; i < 5; i++) {
        core_stats_t stats = core_stats (fixture_core (f, i), fixture_local_now (f, i));
        if (stats.leader_changes > 5)
            alarms += stats.storm_alarm;
    }
    assert_true (alarms >= 1);
    //  An hour later the window is empty again.
    fixture_run_for (f, 3600000);
    for (uint32_t i = 0; i < 5; i++)
        assert_false (core_stats (fixture_core (f, i), fixture_local_now (f, i)).storm_alarm);
    s_assert_safe (f);
    fixture_destroy (&f);
}

//  Backoff: a node alone keeps failing pre-votes; its campaign interval
//  grows (bounded), and it recovers at once when the partition heals.
static void
test_backoff_after_failed_elections (void **state)
{
    (void) state;
    fixture_t *f = s_cluster (5, 11, NULL);
    int leader = fixture_run_until_leader (f, 2000);
    assert_true (leader >= 0);
    uint32_t lonely = (uint32_t) (leader + 1) % 5;
    fixture_isolate (f, lonely);
    fixture_run_for (f, 30000);
    core_stats_t stats = core_stats (fixture_core (f, lonely), fixture_local_now (f, lonely));
    //  Without backoff: one round per [T, 2T), about 80 in 30 s. With a
    //  backoff capped at 4 T (jittered in its upper half): about 30.
    assert_true (stats.failed_elections >= 5);
    assert_true (stats.prevotes >= 15 && stats.prevotes <= 45);
    uint64_t term = fixture_max_term (f);
    fixture_heal (f);
    fixture_run_for (f, 2000);
    stats = core_stats (fixture_core (f, lonely), fixture_local_now (f, lonely));
    assert_int_equal (stats.failed_elections, 0);
    assert_int_equal (fixture_agreed_leader (f), leader);
    assert_int_equal (fixture_max_term (f), term);
    s_assert_safe (f);
    fixture_destroy (&f);
}

//  Weights 3,1,1,1,1: without the heavy node the four light ones (4 of 7)
//  still elect; without it and one more (3 of 7) nobody leads.
static void
test_weighted_cluster_survives_heavy_loss_only_with_quorum (void **state)
{
    (void) state;
    uint32_t weights [5] = { 3, 1, 1, 1, 1 };
    for (uint64_t seed = 1; seed <= 10; seed++) {
        fixture_t *f = s_cluster (5, seed, weights);
        assert_true (fixture_run_until_leader (f, 2000) >= 0);
        fixture_crash (f, 0);
        int leader = fixture_run_until_leader (f, 3000);
        assert_true (leader >= 1);
        fixture_crash (f, (uint32_t) (leader == 1 ? 2 : 1));
        fixture_run_for (f, 1000);
        //  Whoever led has lost its quorum; no lease can be valid now.
        assert_int_equal (fixture_leader (f), -1);
        fixture_run_for (f, 10000);
        assert_int_equal (fixture_leader (f), -1);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  Two of five alive: after lease_ms nobody holds a lease or claims to lead.
static void
test_minority_never_leads (void **state)
{
    (void) state;
    fixture_t *f = s_cluster (5, 3, NULL);
    int leader = fixture_run_until_leader (f, 2000);
    assert_true (leader >= 0);
    uint32_t crashed = 0;
    for (uint32_t i = 0; i < 5 && crashed < 3; i++)
        if ((int) i != leader || crashed == 2) {
            fixture_crash (f, i);
            crashed++;
        }
    fixture_run_for (f, 300);       //  > lease_ms and > T
    assert_int_equal (fixture_leader (f), -1);
    for (uint32_t i = 0; i < 5; i++)
        if (fixture_alive (f, i))
            assert_int_not_equal (core_role (fixture_core (f, i)), CORE_LEADER);
    fixture_run_for (f, 20000);
    assert_int_equal (fixture_leader (f), -1);
    s_assert_safe (f);
    fixture_destroy (&f);
}

//  A leader on the minority side of a split steps down; the majority side
//  elects; after healing, one leader.
static void
test_split_with_leader_in_minority (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        fixture_t *f = s_cluster (5, seed, NULL);
        int old = fixture_run_until_leader (f, 2000);
        assert_true (old >= 0);
        uint64_t minority = (1ULL << old) | (1ULL << ((old + 1) % 5));
        fixture_partition (f, minority);
        fixture_run_for (f, 2000);
        int leader = fixture_leader (f);
        assert_true (leader >= 0 && !((minority >> leader) & 1));
        assert_int_not_equal (core_role (fixture_core (f, (uint32_t) old)), CORE_LEADER);
        fixture_heal (f);
        fixture_run_for (f, 2000);
        assert_true (fixture_agreed_leader (f) >= 0);
        s_assert_safe (f);
        fixture_destroy (&f);
    }
}

//  A quick random fault sweep over the scenario fixture: crashes, restarts,
//  partitions and lossy, reordering links, then a healthy period in which
//  a leader must emerge. (tests/sim goes much further.)
static void
test_random_faults_keep_safety (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        fixture_options_t opts;
        uint32_t nodes = 3 + (uint32_t) (seed % 3) * 2;     //  3, 5, 7
        fixture_options_defaults (&opts, nodes, seed);
        opts.latency_max_ms = 40;
        opts.loss_ppm = 50000;
        opts.dup_ppm = 20000;
        for (uint32_t i = 0; i < nodes; i++)
            opts.clock_rate_ppm [i] = (int32_t) ((seed * 7919 + i * 104729) % 10001);
        fixture_t *f = fixture_new (&opts);
        assert_non_null (f);
        rng_t rng;
        rng_seed (&rng, seed);
        for (int fault = 0; fault < 20; fault++) {
            uint32_t victim = (uint32_t) rng_below (&rng, nodes);
            switch (rng_below (&rng, 4)) {
                case 0:
                    if (fixture_alive (f, victim))
                        fixture_crash (f, victim);
                    else
                        fixture_restart (f, victim);
                    break;
                case 1: fixture_isolate (f, victim); break;
                case 2: fixture_partition (f, rng_next (&rng)); break;
                default: fixture_heal (f); break;
            }
            fixture_run_for (f, 100 + rng_below (&rng, 1500));
        }
        fixture_heal (f);
        for (uint32_t i = 0; i < nodes; i++)
            if (!fixture_alive (f, i))
                fixture_restart (f, i);
        int leader = fixture_run_until_leader (f, 20000);
        if (leader < 0 || fixture_violations (f))
            fail_msg ("seed %llu: leader %d, %s", (unsigned long long) seed, leader,
                      fixture_violation_text (f));
        fixture_destroy (&f);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cold_start_election),
        cmocka_unit_test (test_leader_failure_and_rejoin),
        cmocka_unit_test (test_partitioned_follower_rejoins_without_term_increase),
        cmocka_unit_test (test_isolated_leader_steps_down_and_lease_lapses_first),
        cmocka_unit_test (test_leadership_transfer),
        cmocka_unit_test (test_storm_flag_after_repeated_leader_changes),
        cmocka_unit_test (test_backoff_after_failed_elections),
        cmocka_unit_test (test_weighted_cluster_survives_heavy_loss_only_with_quorum),
        cmocka_unit_test (test_minority_never_leads),
        cmocka_unit_test (test_split_with_leader_in_minority),
        cmocka_unit_test (test_random_faults_keep_safety),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
