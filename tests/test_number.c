/*  Tests for number.h: digits only, within the bounds, nothing else. */
#include "testing.h"
#include "number.h"

static void
test_parse_uint (void **state)
{
    (void) state;
    uint64_t v = 77;
    assert_int_equal (number_parse_uint ("0", 0, 10, &v), 0);
    assert_int_equal (v, 0);
    assert_int_equal (number_parse_uint ("10", 0, 10, &v), 0);
    assert_int_equal (v, 10);
    assert_int_equal (number_parse_uint ("18446744073709551615", 1, UINT64_MAX, &v), 0);
    assert_true (v == UINT64_MAX);
    v = 77;
    const char *bad [] = { "", " 5", " -5", "-5", "+5", "5 ", "5x", "0x10", "11",
                           "18446744073709551616", "99999999999999999999999", "\t7", NULL };
    for (int i = 0; bad [i]; i++) {
        if (number_parse_uint (bad [i], 0, 10, &v) == 0)
            fail_msg ("accepted '%s'", bad [i]);
        assert_int_equal (v, 77);
    }
    assert_int_equal (number_parse_uint (" -5", 0, UINT64_MAX, &v), -1);     //  Not 2^64 - 5
    assert_int_equal (number_parse_uint ("4", 5, 9, &v), -1);
    assert_int_equal (number_parse_uint (NULL, 0, 9, &v), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse_uint),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
