/*  test_replay: the sliding window, rule by rule, and against a model
    (a plain set of everything accepted) over a long random sequence.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"

static void
test_rules (void **state)
{
    (void) state;
    replay_t w;
    replay_init (&w);
    assert_int_equal (replay_check (&w, 1, 1), REPLAY_OK);
    replay_record (&w, 1, 1);
    assert_int_equal (replay_check (&w, 1, 1), REPLAY_DUPLICATE);
    //  Gaps are normal: unicasts to others use numbers too
    assert_int_equal (replay_check (&w, 1, 5), REPLAY_OK);
    replay_record (&w, 1, 5);
    for (uint64_t s = 2; s <= 4; s++)
        assert_int_equal (replay_check (&w, 1, s), REPLAY_OK);
    replay_record (&w, 1, 3);
    assert_int_equal (replay_check (&w, 1, 3), REPLAY_DUPLICATE);
    assert_int_equal (replay_check (&w, 1, 2), REPLAY_OK);
    //  Oldest still inside the window vs just below it
    replay_record (&w, 1, 1 + REPLAY_WINDOW_SEQS);
    assert_int_equal (replay_check (&w, 1, 2), REPLAY_OK);       //  top - 2 = 1023 < 1024
    assert_int_equal (replay_check (&w, 1, 1), REPLAY_TOO_OLD);
    replay_record (&w, 1, 2 + REPLAY_WINDOW_SEQS);
    assert_int_equal (replay_check (&w, 1, 2), REPLAY_TOO_OLD);    //  Now below
    //  Sliding to 1030 skips 1027..1029 and clears their bits; 1029 shares
    //  its bit with seq 5, which was set
    replay_record (&w, 1, 6 + REPLAY_WINDOW_SEQS);
    assert_int_equal (replay_check (&w, 1, 5 + REPLAY_WINDOW_SEQS), REPLAY_OK);
    assert_int_equal (replay_check (&w, 1, 6 + REPLAY_WINDOW_SEQS), REPLAY_DUPLICATE);
    //  A jump of more than a window clears everything
    replay_record (&w, 1, 10 * REPLAY_WINDOW_SEQS);
    assert_int_equal (replay_check (&w, 1, 10 * REPLAY_WINDOW_SEQS - 1), REPLAY_OK);
    assert_int_equal (replay_check (&w, 1, 9 * REPLAY_WINDOW_SEQS), REPLAY_TOO_OLD);
    //  Incarnations
    assert_int_equal (replay_check (&w, 0, 99999), REPLAY_STALE);
    assert_int_equal (replay_check (&w, 2, 1), REPLAY_OK);
    replay_record (&w, 2, 1);
    assert_int_equal (w.incarnation, 2);
    assert_int_equal (w.top, 1);
    assert_int_equal (replay_check (&w, 1, UINT64_MAX), REPLAY_STALE);
    assert_int_equal (replay_check (&w, 2, 1), REPLAY_DUPLICATE);
    assert_int_equal (replay_check (&w, 2, 2), REPLAY_OK);
    //  Checking never changes anything
    replay_t copy = w;
    replay_check (&w, 3, 1);
    replay_check (&w, 2, 1000);
    assert_memory_equal (&copy, &w, sizeof (w));
}

static void
test_restore (void **state)
{
    (void) state;
    replay_t w;
    replay_init (&w);
    replay_restore (&w, 4, 100);
    for (uint64_t s = 1; s <= 100; s++)
        assert_int_equal (replay_check (&w, 4, s), REPLAY_DUPLICATE);
    assert_int_equal (replay_check (&w, 3, 500), REPLAY_STALE);
    assert_int_equal (replay_check (&w, 4, 102), REPLAY_OK);
    replay_record (&w, 4, 102);
    assert_int_equal (replay_check (&w, 4, 101), REPLAY_OK);
    assert_int_equal (replay_check (&w, 4, 100), REPLAY_DUPLICATE);
    assert_int_equal (replay_check (&w, 5, 1), REPLAY_OK);
}

//  Against a model: a message is accepted iff never accepted before and
//  (seq > top - window); checked over random reorderings of a stream.
static void
test_model (void **state)
{
    (void) state;
    enum { N = 20000 };
    static bool seen [N + 1];
    static uint64_t order [N];
    memset (seen, 0, sizeof (seen));
    srand (12345);
    //  A stream 1..N, locally shuffled (displacement up to 1500, so some
    //  fall out of the window) with 10 % duplicates
    for (uint64_t i = 0; i < N; i++)
        order [i] = i + 1;
    for (size_t i = 0; i < N; i++) {
        size_t j = i + (size_t) rand () % 1500;
        if (j < N) {
            uint64_t t = order [i];
            order [i] = order [j];
            order [j] = t;
        }
    }
    replay_t w;
    replay_init (&w);
    uint64_t top = 0;
    size_t accepted = 0;
    for (size_t i = 0; i < N + N / 10; i++) {
        uint64_t seq = i < N ? order [i] : order [(size_t) rand () % N];
        bool expect = !seen [seq] && (seq > top || top - seq < REPLAY_WINDOW_SEQS);
        replay_result_t got = replay_check (&w, 1, seq);
        assert_int_equal (got == REPLAY_OK, expect);
        if (got == REPLAY_OK) {
            replay_record (&w, 1, seq);
            seen [seq] = true;
            if (seq > top)
                top = seq;
            accepted++;
        }
    }
    assert_true (accepted > N / 2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rules),
        cmocka_unit_test (test_restore),
        cmocka_unit_test (test_model),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
