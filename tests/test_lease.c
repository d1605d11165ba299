/*  Tests for lease.h: the incident's three lease bugs as named regressions,
    and the drift bound.
*/
#include "testing.h"
#include "lease.h"

//  Incident: RenewLease set expiry to now instead of now + duration, so
//  every lease expired at once.
static void
test_regression_renew_sets_expiry_now_plus_duration (void **state)
{
    (void) state;
    lease_t lease = { 0 };
    lease_renew (&lease, 1000, 30000);
    assert_true (lease.held);
    assert_int_equal (lease.start_ms, 1000);
    assert_int_equal (lease.expiry_ms, 31000);
    assert_false (lease_expired (&lease, 1000));   //  Just renewed: valid
    assert_int_equal (lease_remaining (&lease, 1000), 30000);
}

//  Incident: a lease was reported expired right after renewal.
static void
test_regression_expired_only_when_now_reaches_expiry (void **state)
{
    (void) state;
    lease_t lease = { 0 };
    assert_true (lease_expired (&lease, 0));        //  None held
    lease_renew (&lease, 500, 200);
    struct { uint64_t now; bool expired; } table [] = {
        { 500, false }, { 501, false }, { 699, false }, { 700, true }, { 701, true },
        { 100000, true },
    };
    for (size_t i = 0; i < ARRAY_SIZE (table); i++)
        assert_int_equal (lease_expired (&lease, table [i].now), table [i].expired);
    lease_revoke (&lease);
    assert_true (lease_expired (&lease, 600));
    assert_int_equal (lease_remaining (&lease, 600), 0);
}

//  Incident: ElapsedSinceLease computed now + start.
static void
test_regression_elapsed_is_now_minus_start (void **state)
{
    (void) state;
    lease_t lease = { 0 };
    lease_renew (&lease, 1000000, 200);
    assert_int_equal (lease_elapsed (&lease, 1000000), 0);
    assert_int_equal (lease_elapsed (&lease, 1000150), 150);
    assert_int_equal (lease_elapsed (&lease, 999999), 0);  //  Never wraps
    lease_t none = { 0 };
    assert_int_equal (lease_elapsed (&none, 5000), 0);
}

//  Acknowledgements arrive out of order: an older round must not shorten
//  the lease or move its start.
static void
test_renew_never_shortens (void **state)
{
    (void) state;
    lease_t lease = { 0 };
    lease_renew (&lease, 1000, 200);
    lease_renew (&lease, 900, 200);
    assert_int_equal (lease.expiry_ms, 1200);
    assert_int_equal (lease.start_ms, 1000);
    lease_renew (&lease, 1050, 200);
    assert_int_equal (lease.expiry_ms, 1250);
    assert_int_equal (lease.start_ms, 1050);
}

static void
test_drift_bound (void **state)
{
    (void) state;
    //  T = 250 ms, 1 % drift: 250 * 0.95 / 1.01 = 235.1 -> 235
    assert_int_equal (lease_max_ms (250, 10000), 235);
    assert_int_equal (lease_max_ms (1000, 0), 950);
    assert_true (lease_safe (235, 250, 10000));
    assert_false (lease_safe (236, 250, 10000));
    assert_false (lease_safe (0, 250, 10000));
    assert_false (lease_safe (10, 250, LEASE_DRIFT_PPM_MAX + 1));
    //  The bound really holds: lease * (1 + drift) < T for many T, drift.
    for (uint64_t t = 10; t < 5000; t += 7)
        for (uint32_t ppm = 0; ppm <= LEASE_DRIFT_PPM_MAX; ppm += 2500) {
            uint64_t lease = lease_max_ms (t, ppm);
            assert_true (lease * (1000000 + ppm) < t * 1000000);
        }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_regression_renew_sets_expiry_now_plus_duration),
        cmocka_unit_test (test_regression_expired_only_when_now_reaches_expiry),
        cmocka_unit_test (test_regression_elapsed_is_now_minus_start),
        cmocka_unit_test (test_renew_never_shortens),
        cmocka_unit_test (test_drift_bound),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
