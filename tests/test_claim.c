/*  Tests for claim.h: SelectLeader and ResolveConflict regressions.  */
#include "testing.h"
#include "claim.h"

//  Incident: SelectLeader always picked the first node listed.
static void
test_regression_select_leader_highest_term_not_first (void **state)
{
    (void) state;
    claim_t claims [] = { { 0, 3 }, { 1, 7 }, { 2, 5 } };
    claim_t leader;
    assert_int_equal (claim_select_leader (claims, 3, &leader), 0);
    assert_int_equal (leader.member, 1);
    assert_int_equal (leader.term, 7);
    //  Order does not matter.
    claim_t reversed [] = { { 2, 5 }, { 1, 7 }, { 0, 3 } };
    assert_int_equal (claim_select_leader (reversed, 3, &leader), 0);
    assert_int_equal (leader.member, 1);
    assert_int_equal (claim_select_leader (claims, 0, &leader), CLAIM_NONE);
}

//  Two members at the same highest term is a split brain, never a pick.
static void
test_select_leader_reports_split_brain (void **state)
{
    (void) state;
    claim_t split [] = { { 0, 4 }, { 1, 4 }, { 2, 2 } };
    claim_t leader;
    assert_int_equal (claim_select_leader (split, 3, &leader), CLAIM_SPLIT_BRAIN);
    assert_int_equal (leader.term, 4);
    //  An old split superseded by a newer term is history, not the verdict.
    claim_t healed [] = { { 0, 4 }, { 1, 4 }, { 2, 6 } };
    assert_int_equal (claim_select_leader (healed, 3, &leader), 0);
    assert_int_equal (leader.member, 2);
    //  The same member heard twice is one claim.
    claim_t twice [] = { { 3, 9 }, { 3, 9 } };
    assert_int_equal (claim_select_leader (twice, 2, &leader), 0);
    assert_int_equal (leader.member, 3);
}

//  Incident: ResolveConflict picked the LOWER term.
static void
test_regression_resolve_conflict_higher_term_wins (void **state)
{
    (void) state;
    claim_t old = { 0, 2 }, new = { 1, 3 }, winner = { 99, 99 };
    assert_int_equal (claim_resolve (&old, &new, &winner), 0);
    assert_int_equal (winner.member, 1);
    assert_int_equal (winner.term, 3);
    assert_int_equal (claim_resolve (&new, &old, &winner), 0);
    assert_int_equal (winner.member, 1);
    claim_t rival = { 2, 3 };
    winner = (claim_t) { 99, 99 };
    assert_int_equal (claim_resolve (&new, &rival, &winner), CLAIM_SPLIT_BRAIN);
    assert_int_equal (winner.member, 99);      //  Untouched: nothing was picked
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_regression_select_leader_highest_term_not_first),
        cmocka_unit_test (test_select_leader_reports_split_brain),
        cmocka_unit_test (test_regression_resolve_conflict_higher_term_wins),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
