/*  Tests for quorum.h: table-driven cases, the incident's bugs as named
    regressions, and an exhaustive check of the weighted rule over every
    subset of members for clusters of 1 to 7 with random weights.
*/
#include "testing.h"
#include "quorum.h"
#include "rng.h"

//  Incident: CountVotes counted every entry in the vote map as a yes.
static void
test_regression_count_votes_counts_values_not_entries (void **state)
{
    (void) state;
    vote_t votes [5] = { VOTE_GRANTED, VOTE_DENIED, VOTE_DENIED, VOTE_GRANTED, VOTE_DENIED };
    assert_int_equal (quorum_count_granted (votes, 5), 2);
    vote_t none [5] = { VOTE_NONE, VOTE_NONE, VOTE_NONE, VOTE_NONE, VOTE_NONE };
    assert_int_equal (quorum_count_granted (none, 5), 0);
    vote_t all_denied [3] = { VOTE_DENIED, VOTE_DENIED, VOTE_DENIED };
    assert_int_equal (quorum_count_granted (all_denied, 3), 0);
}

//  Incident: QuorumReached needed 4 of 5.
static void
test_regression_quorum_reached_three_of_five (void **state)
{
    (void) state;
    assert_true (quorum_majority (3, 5));
    assert_false (quorum_majority (2, 5));
    struct { uint32_t yes, count; bool expect; } table [] = {
        { 0, 1, false }, { 1, 1, true  },
        { 1, 2, false }, { 2, 2, true  },
        { 1, 3, false }, { 2, 3, true  },
        { 2, 4, false }, { 3, 4, true  },
        { 3, 5, true  }, { 4, 5, true  }, { 5, 5, true },
        { 3, 6, false }, { 4, 6, true  },
        { 4, 7, true  }, { 3, 7, false },
        { 32, 64, false }, { 33, 64, true },
    };
    for (size_t i = 0; i < ARRAY_SIZE (table); i++)
        assert_int_equal (quorum_majority (table [i].yes, table [i].count), table [i].expect);
}

//  Incident: GetNodeWeight returned 0 for every node.
static void
test_regression_node_weight_is_configured_weight (void **state)
{
    (void) state;
    quorum_t q;
    uint32_t weights [5] = { 3, 1, 1, 1, 1 };
    assert_int_equal (quorum_init (&q, 5, weights), 0);
    assert_int_equal (quorum_weight (&q, 0), 3);
    for (uint32_t i = 1; i < 5; i++)
        assert_int_equal (quorum_weight (&q, i), 1);
    assert_int_equal (quorum_weight (&q, 5), 0);       //  Not a member
    assert_int_equal (quorum_total (&q), 7);
    assert_int_equal (quorum_init (&q, 3, NULL), 0);   //  Default weight is 1
    assert_int_equal (quorum_weight (&q, 2), 1);
}

//  Incident: the weighted check used total/3 instead of total/2.
static void
test_regression_weighted_quorum_is_more_than_half (void **state)
{
    (void) state;
    assert_false (quorum_weighted (4, 10));    //  > 10/3 but not a majority
    assert_false (quorum_weighted (5, 10));    //  Exactly half is not enough
    assert_true (quorum_weighted (6, 10));
    assert_false (quorum_weighted (3, 7));
    assert_true (quorum_weighted (4, 7));
    assert_false (quorum_weighted (0, 0));     //  Nothing to win
}

static void
test_init_rejects_bad_settings (void **state)
{
    (void) state;
    quorum_t q;
    uint32_t zero [3] = { 0, 0, 0 };
    uint32_t heavy [2] = { 1, QUORUM_WEIGHT_MAX + 1 };
    assert_int_equal (quorum_init (&q, 0, NULL), -1);
    assert_int_equal (quorum_init (&q, QUORUM_MEMBERS_MAX + 1, NULL), -1);
    assert_int_equal (quorum_init (&q, 3, zero), -1);
    assert_int_equal (quorum_init (&q, 2, heavy), -1);
    assert_int_equal (quorum_init (&q, QUORUM_MEMBERS_MAX, NULL), 0);
}

static void
test_result_table (void **state)
{
    (void) state;
    quorum_t q;
    uint32_t weights [5] = { 3, 1, 1, 1, 1 };
    assert_int_equal (quorum_init (&q, 5, weights), 0);     //  total 7, need 4
    const vote_t N = VOTE_NONE, G = VOTE_GRANTED, D = VOTE_DENIED;
    struct { vote_t v [5]; quorum_result_t expect; } table [] = {
        { { G, N, N, N, N }, QUORUM_PENDING },
        { { G, G, N, N, N }, QUORUM_WON },      //  3 + 1
        { { N, G, G, G, G }, QUORUM_WON },      //  4 light voters
        { { D, G, G, G, N }, QUORUM_PENDING },  //  3, one open
        { { D, G, G, G, D }, QUORUM_LOST },     //  3 of 7
        { { D, N, N, N, N }, QUORUM_PENDING },
        { { D, D, N, N, N }, QUORUM_LOST },     //  at most 3 left
        { { G, D, D, D, D }, QUORUM_LOST },
    };
    for (size_t i = 0; i < ARRAY_SIZE (table); i++)
        assert_int_equal (quorum_result (&q, table [i].v), table [i].expect);
}

//  Weight-0 members never count, however many of them say yes.
static void
test_zero_weight_members_never_count (void **state)
{
    (void) state;
    quorum_t q;
    uint32_t weights [5] = { 1, 1, 0, 0, 0 };
    assert_int_equal (quorum_init (&q, 5, weights), 0);
    vote_t observers_only [5] = { VOTE_NONE, VOTE_NONE, VOTE_GRANTED, VOTE_GRANTED, VOTE_GRANTED };
    assert_int_equal (quorum_result (&q, observers_only), QUORUM_PENDING);
    vote_t one_voter [5] = { VOTE_GRANTED, VOTE_DENIED, VOTE_GRANTED, VOTE_GRANTED, VOTE_GRANTED };
    assert_int_equal (quorum_result (&q, one_voter), QUORUM_LOST);
    vote_t both [5] = { VOTE_GRANTED, VOTE_GRANTED, VOTE_NONE, VOTE_NONE, VOTE_NONE };
    assert_int_equal (quorum_result (&q, both), QUORUM_WON);
}

//  For 1..7 members and many random weight vectors (zeros included), over
//  every subset: the set is a quorum exactly when its weight is more than
//  half the total; any two quorums share a member of positive weight; a
//  set and its complement are never both quorums.
static void
test_every_subset_random_weights (void **state)
{
    (void) state;
    rng_t rng;
    rng_seed (&rng, 20261127);
    uint64_t checked = 0;
    for (uint32_t n = 1; n <= 7; n++) {
        for (int trial = 0; trial < 60; trial++) {
            uint32_t weights [7];
            uint64_t total = 0;
            for (uint32_t i = 0; i < n; i++) {
                //  Mostly small weights, some zeros, some heavy members.
                uint64_t r = rng_below (&rng, 10);
                weights [i] = r < 2 ? 0 : r < 8 ? (uint32_t) (1 + rng_below (&rng, 3))
                                          : (uint32_t) (1 + rng_below (&rng, QUORUM_WEIGHT_MAX));
                total += weights [i];
            }
            if (total == 0)
                weights [0] = 1, total = 1;
            quorum_t q;
            assert_int_equal (quorum_init (&q, n, weights), 0);
            uint64_t full = (1ULL << n) - 1;
            for (uint64_t a = 0; a <= full; a++) {
                uint64_t weight = 0;
                vote_t votes [7];
                for (uint32_t i = 0; i < n; i++) {
                    bool in = (a >> i) & 1;
                    votes [i] = in ? VOTE_GRANTED : VOTE_DENIED;
                    if (in)
                        weight += weights [i];
                }
                bool is_quorum = quorum_is_quorum (&q, a);
                assert_int_equal (is_quorum, 2 * weight > total);
                assert_int_equal (quorum_result (&q, votes) == QUORUM_WON, is_quorum);
                if (is_quorum)
                    assert_false (quorum_is_quorum (&q, full & ~a));
                if (!is_quorum)
                    continue;
                for (uint64_t b = 0; b <= full; b++) {
                    if (!quorum_is_quorum (&q, b))
                        continue;
                    uint64_t shared = 0;
                    for (uint32_t i = 0; i < n; i++)
                        if (((a & b) >> i) & 1)
                            shared += weights [i];
                    assert_true (shared > 0);
                    checked++;
                }
            }
        }
    }
    assert_true (checked > 100000);
}

static void
test_quorum_time (void **state)
{
    (void) state;
    quorum_t q;
    assert_int_equal (quorum_init (&q, 5, NULL), 0);
    uint64_t times [5] = { 100, 90, 80, 70, 60 };
    uint64_t t = 0;
    assert_true (quorum_time (&q, times, 0x1F, &t));
    assert_int_equal (t, 80);                   //  Third-latest of five
    assert_true (quorum_time (&q, times, 0x1D, &t));    //  Member 1 absent
    assert_int_equal (t, 70);
    assert_false (quorum_time (&q, times, 0x03, &t));   //  Two of five
    uint32_t weights [5] = { 3, 1, 1, 1, 1 };
    assert_int_equal (quorum_init (&q, 5, weights), 0);
    uint64_t times2 [5] = { 50, 100, 100, 100, 10 };
    assert_true (quorum_time (&q, times2, 0x1F, &t));
    assert_int_equal (t, 50);                   //  Needs the heavy member or all four light
    assert_true (quorum_time (&q, times2, 0x1E, &t));
    assert_int_equal (t, 10);
    uint32_t observers [3] = { 1, 0, 0 };
    assert_int_equal (quorum_init (&q, 3, observers), 0);
    uint64_t times3 [3] = { 5, 500, 500 };
    assert_true (quorum_time (&q, times3, 0x07, &t));
    assert_int_equal (t, 5);                    //  Observers never count
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_regression_count_votes_counts_values_not_entries),
        cmocka_unit_test (test_regression_quorum_reached_three_of_five),
        cmocka_unit_test (test_regression_node_weight_is_configured_weight),
        cmocka_unit_test (test_regression_weighted_quorum_is_more_than_half),
        cmocka_unit_test (test_init_rejects_bad_settings),
        cmocka_unit_test (test_result_table),
        cmocka_unit_test (test_zero_weight_members_never_count),
        cmocka_unit_test (test_every_subset_random_weights),
        cmocka_unit_test (test_quorum_time),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
