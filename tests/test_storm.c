/*  Tests for storm.h: the alarm window and the campaign backoff.  */
#include "testing.h"
#include "storm.h"

static void
test_alarm_counts_changes_in_last_hour (void **state)
{
    (void) state;
    storm_t storm;
    storm_init (&storm, 5);
    uint64_t t = 10000000;
    for (int i = 0; i < 5; i++)
        storm_note_leader_change (&storm, t + (uint64_t) i * 60000);
    assert_int_equal (storm_recent_changes (&storm, t + 300000), 5);
    assert_false (storm_alarm (&storm, t + 300000));       //  5 is not above the threshold
    storm_note_leader_change (&storm, t + 360000);
    assert_true (storm_alarm (&storm, t + 360000));         //  6 > 5
    //  An hour after the first change it drops out of the window.
    assert_int_equal (storm_recent_changes (&storm, t + STORM_WINDOW_MS), 5);
    assert_false (storm_alarm (&storm, t + STORM_WINDOW_MS));
    assert_int_equal (storm.leader_changes_total, 6);
}

//  The incident's 2,847 changes in an hour: the ring holds the newest 64,
//  which is enough to keep the alarm raised.
static void
test_alarm_under_incident_rate (void **state)
{
    (void) state;
    storm_t storm;
    storm_init (&storm, 5);
    for (uint64_t i = 0; i < 2847; i++)
        storm_note_leader_change (&storm, 1000 + i * 1264);    //  one per 1.26 s
    uint64_t end = 1000 + 2846 * 1264;
    assert_true (storm_alarm (&storm, end));
    assert_int_equal (storm_recent_changes (&storm, end), STORM_RING);
    assert_int_equal (storm.leader_changes_total, 2847);
}

static void
test_backoff_grows_bounded_jittered (void **state)
{
    (void) state;
    storm_t storm;
    storm_init (&storm, 5);
    rng_t rng;
    rng_seed (&rng, 7);
    assert_int_equal (storm_backoff_ms (&storm, 250, 1000, &rng), 0);
    uint64_t lows [6], highs [6];
    for (int k = 1; k <= 6; k++) {
        storm_note_failed_election (&storm);
        uint64_t bound = 250ULL << (k - 1);
        if (bound > 1000)
            bound = 1000;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (int i = 0; i < 2000; i++) {
            uint64_t b = storm_backoff_ms (&storm, 250, 1000, &rng);
            assert_true (b >= bound / 2 && b < bound);
            lo = b < lo ? b : lo;
            hi = b > hi ? b : hi;
        }
        assert_true (hi > lo);                  //  Jittered
        lows [k - 1] = lo, highs [k - 1] = hi;
    }
    assert_true (lows [1] > lows [0]);          //  Grows...
    assert_true (highs [5] < 1000);             //  ...but stays bounded
    storm_note_leader_found (&storm);
    assert_int_equal (storm_backoff_ms (&storm, 250, 1000, &rng), 0);
    //  Thousands of failures do not overflow the shift.
    for (int i = 0; i < 5000; i++)
        storm_note_failed_election (&storm);
    assert_true (storm_backoff_ms (&storm, 250, 1000, &rng) < 1000);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_alarm_counts_changes_in_last_hour),
        cmocka_unit_test (test_alarm_under_incident_rate),
        cmocka_unit_test (test_backoff_grows_bounded_jittered),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
