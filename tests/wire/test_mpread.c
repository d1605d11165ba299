/*  test_mpread: the bounded msgpack reader. Every format, every truncation,
    allocation bombs, and nesting far beyond the limit.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include "mpread.h"

typedef struct {
    const char *name;
    uint8_t bytes [24];
    size_t size;
    mpread_kind_t kind;
    uint64_t uint;              //  UINT value / payload size / count
    int64_t sint;
} s_case_t;

static const s_case_t s_cases [] = {
    { "fixint 0",      { 0x00 }, 1, MPREAD_UINT, 0, 0 },
    { "fixint 127",    { 0x7f }, 1, MPREAD_UINT, 127, 0 },
    { "negfix -1",     { 0xff }, 1, MPREAD_NEGATIVE, 0, -1 },
    { "negfix -32",    { 0xe0 }, 1, MPREAD_NEGATIVE, 0, -32 },
    { "uint8",         { 0xcc, 0xff }, 2, MPREAD_UINT, 255, 0 },
    { "uint16",        { 0xcd, 0x12, 0x34 }, 3, MPREAD_UINT, 0x1234, 0 },
    { "uint32",        { 0xce, 0x12, 0x34, 0x56, 0x78 }, 5, MPREAD_UINT, 0x12345678, 0 },
    { "uint64",        { 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9, MPREAD_UINT, UINT64_MAX, 0 },
    { "int8 -128",     { 0xd0, 0x80 }, 2, MPREAD_NEGATIVE, 0, -128 },
    { "int8 5",        { 0xd0, 0x05 }, 2, MPREAD_UINT, 5, 0 },
    { "int16 -2",      { 0xd1, 0xff, 0xfe }, 3, MPREAD_NEGATIVE, 0, -2 },
    { "int32 min",     { 0xd2, 0x80, 0, 0, 0 }, 5, MPREAD_NEGATIVE, 0, INT32_MIN },
    { "int64 min",     { 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 9, MPREAD_NEGATIVE, 0, INT64_MIN },
    { "int64 max",     { 0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9, MPREAD_UINT, INT64_MAX, 0 },
    { "nil",           { 0xc0 }, 1, MPREAD_NIL, 0, 0 },
    { "false",         { 0xc2 }, 1, MPREAD_BOOL, 0, 0 },
    { "true",          { 0xc3 }, 1, MPREAD_BOOL, 1, 0 },
    { "float32",       { 0xca, 0, 0, 0, 0 }, 5, MPREAD_FLOAT, 0, 0 },
    { "float64",       { 0xcb, 0, 0, 0, 0, 0, 0, 0, 0 }, 9, MPREAD_FLOAT, 0, 0 },
    { "fixstr 3",      { 0xa3, 'a', 'b', 'c' }, 4, MPREAD_STR, 3, 0 },
    { "str8",          { 0xd9, 0x02, 'h', 'i' }, 4, MPREAD_STR, 2, 0 },
    { "str16",         { 0xda, 0x00, 0x01, 'x' }, 4, MPREAD_STR, 1, 0 },
    { "str32",         { 0xdb, 0, 0, 0, 0x01, 'x' }, 6, MPREAD_STR, 1, 0 },
    { "bin8",          { 0xc4, 0x01, 0x00 }, 3, MPREAD_BIN, 1, 0 },
    { "bin16",         { 0xc5, 0x00, 0x00 }, 3, MPREAD_BIN, 0, 0 },
    { "bin32",         { 0xc6, 0, 0, 0, 0x02, 1, 2 }, 7, MPREAD_BIN, 2, 0 },
    { "fixext1",       { 0xd4, 0x05, 0xaa }, 3, MPREAD_EXT, 1, 0 },
    { "fixext16",      { 0xd8, 0x05, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 }, 18, MPREAD_EXT, 16, 0 },
    { "ext8",          { 0xc7, 0x01, 0xfe, 0x00 }, 4, MPREAD_EXT, 1, 0 },
    { "ext16",         { 0xc8, 0x00, 0x00, 0x01 }, 4, MPREAD_EXT, 0, 0 },
    { "ext32",         { 0xc9, 0, 0, 0, 0x01, 0x01, 0x00 }, 7, MPREAD_EXT, 1, 0 },
    { "fixarray 2",    { 0x92, 0x01, 0x02 }, 3, MPREAD_ARRAY, 2, 0 },
    { "array16",       { 0xdc, 0x00, 0x01, 0xc0 }, 4, MPREAD_ARRAY, 1, 0 },
    { "array32",       { 0xdd, 0, 0, 0, 0x01, 0xc0 }, 6, MPREAD_ARRAY, 1, 0 },
    { "fixmap 1",      { 0x81, 0x01, 0x02 }, 3, MPREAD_MAP, 1, 0 },
    { "map16",         { 0xde, 0x00, 0x01, 0x01, 0x02 }, 5, MPREAD_MAP, 1, 0 },
    { "map32",         { 0xdf, 0, 0, 0, 0x01, 0x01, 0x02 }, 7, MPREAD_MAP, 1, 0 },
};
#define S_CASES (sizeof (s_cases) / sizeof (s_cases [0]))

static void
test_formats (void **state)
{
    (void) state;
    for (size_t i = 0; i < S_CASES; i++) {
        const s_case_t *c = &s_cases [i];
        mpread_t r;
        mpread_item_t item;
        mpread_init (&r, c->bytes, c->size);
        if (mpread_next (&r, &item) != 0)
            fail_msg ("%s: not read", c->name);
        assert_int_equal (item.kind, c->kind);
        switch (c->kind) {
            case MPREAD_UINT:     assert_true (item.uint == c->uint); break;
            case MPREAD_NEGATIVE: assert_true (item.sint == c->sint); break;
            case MPREAD_BOOL:     assert_int_equal (item.boolean, c->uint); break;
            case MPREAD_STR: case MPREAD_BIN: case MPREAD_EXT:
                assert_int_equal (item.size, c->uint);
                assert_ptr_equal (item.data + item.size, c->bytes + c->size);
                assert_int_equal (mpread_left (&r), 0);
                break;
            case MPREAD_ARRAY: case MPREAD_MAP:
                assert_int_equal (item.count, c->uint);
                break;
            default:
                assert_int_equal (mpread_left (&r), 0);
                break;
        }
        //  Skipping covers the whole value
        mpread_init (&r, c->bytes, c->size);
        assert_int_equal (mpread_skip (&r, 8), 0);
        assert_int_equal (mpread_left (&r), 0);
        //  Every truncation fails and leaves the reader where it was
        for (size_t cut = 0; cut < c->size; cut++) {
            mpread_init (&r, c->bytes, cut);
            mpread_t before = r;
            int rc = mpread_next (&r, &item);
            bool container = c->kind == MPREAD_ARRAY || c->kind == MPREAD_MAP;
            if (container && rc == 0)
                continue;           //  Header complete; elements are read later
            if (rc != -1)
                fail_msg ("%s cut at %zu: read", c->name, cut);
            assert_ptr_equal (r.pos, before.pos);
            assert_int_equal (r.left, before.left);
            mpread_init (&r, c->bytes, cut);
            assert_int_equal (mpread_skip (&r, 8), -1);
        }
    }
    //  0xc1 is never valid
    static const uint8_t c1 [] = { 0xc1 };
    mpread_t r;
    mpread_item_t item;
    mpread_init (&r, c1, 1);
    assert_int_equal (mpread_next (&r, &item), -1);
    mpread_init (&r, NULL, 5);
    assert_int_equal (mpread_left (&r), 0);
    assert_int_equal (mpread_next (&r, &item), -1);
}

static void
test_bombs (void **state)
{
    (void) state;
    //  msgpack-c #985/#1013: 5 bytes that declare ~4 GiB. Refused before
    //  anything is reserved: the declared size exceeds what is present.
    static const uint8_t bombs [][6] = {
        { 0xdd, 0xff, 0xff, 0xff, 0xff },       //  array32
        { 0xdf, 0xff, 0xff, 0xff, 0xff },       //  map32
        { 0xdb, 0xff, 0xff, 0xff, 0xff },       //  str32
        { 0xc6, 0xff, 0xff, 0xff, 0xff },       //  bin32
        { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01 }, //  ext32
    };
    for (size_t i = 0; i < 5; i++) {
        mpread_t r;
        mpread_item_t item;
        mpread_init (&r, bombs [i], i == 4 ? 6 : 5);
        assert_int_equal (mpread_next (&r, &item), -1);
        mpread_init (&r, bombs [i], i == 4 ? 6 : 5);
        assert_int_equal (mpread_skip (&r, 8), -1);
    }
    //  The boundaries: a map of n pairs needs 2n bytes, an array n
    uint8_t buf [64] = { 0xdc, 0x00, 0x03, 0xc0, 0xc0, 0xc0 };
    mpread_t r;
    mpread_item_t item;
    mpread_init (&r, buf, 6);
    assert_int_equal (mpread_next (&r, &item), 0);
    mpread_init (&r, buf, 5);
    assert_int_equal (mpread_next (&r, &item), -1);
    uint8_t map [] = { 0xde, 0x00, 0x02, 0x01, 0x01, 0x02, 0x02 };
    mpread_init (&r, map, sizeof (map));
    assert_int_equal (mpread_next (&r, &item), 0);
    mpread_init (&r, map, sizeof (map) - 1);
    assert_int_equal (mpread_next (&r, &item), -1);
    //  A map32 of 2^31 pairs (2 * count overflows 32 bits)
    uint8_t big [] = { 0xdf, 0x80, 0x00, 0x00, 0x00, 0x01 };
    mpread_init (&r, big, sizeof (big));
    assert_int_equal (mpread_next (&r, &item), -1);
}

static void
test_depth (void **state)
{
    (void) state;
    //  10,000 and 1,000,000 deep: refused at the limit, with recursion
    //  bounded by the limit, not by the input
    size_t sizes [] = { 10000, 1000000 };
    for (size_t s = 0; s < 2; s++) {
        size_t n = sizes [s];
        uint8_t *deep = malloc (n + 1);
        assert_non_null (deep);
        memset (deep, 0x91, n);
        deep [n] = 0xc0;
        mpread_t r;
        mpread_init (&r, deep, n + 1);
        assert_int_equal (mpread_skip (&r, 8), -1);
        //  Same with maps {0: {0: ...}}
        for (size_t i = 0; i < n; i++)
            deep [i] = i % 2 ? 0x00 : 0x81;
        mpread_init (&r, deep, n + 1);
        assert_int_equal (mpread_skip (&r, 8), -1);
        free (deep);
    }
    //  Exactly at the limit
    uint8_t eight [9];
    memset (eight, 0x91, 8);
    eight [8] = 0xc0;
    mpread_t r;
    mpread_init (&r, eight, 9);
    assert_int_equal (mpread_skip (&r, 8), 0);
    mpread_init (&r, eight, 9);
    assert_int_equal (mpread_skip (&r, 7), -1);
    mpread_init (&r, eight + 8, 1);
    assert_int_equal (mpread_skip (&r, 0), 0);      //  A scalar needs no depth
    //  Wide rather than deep: 60,000 elements, skipped in one pass
    size_t wide = 60000;
    uint8_t *flat = malloc (wide + 3);
    assert_non_null (flat);
    flat [0] = 0xdc;
    flat [1] = (uint8_t) (wide >> 8);
    flat [2] = (uint8_t) wide;
    memset (flat + 3, 0x01, wide);
    mpread_init (&r, flat, wide + 3);
    assert_int_equal (mpread_skip (&r, 1), 0);
    assert_int_equal (mpread_left (&r), 0);
    free (flat);
}

//  The typed reads take exactly their kind, and leave the reader where it
//  was when they refuse, so a decoder can report the offending value.
static void
test_typed_reads (void **state)
{
    (void) state;
    mpread_t r;
    uint64_t value;
    bool flag;
    const uint8_t *data;
    uint32_t size;
    for (size_t i = 0; i < S_CASES; i++) {
        const s_case_t *c = &s_cases [i];
        mpread_init (&r, c->bytes, c->size);
        int rc = mpread_uint (&r, &value);
        assert_int_equal (rc, c->kind == MPREAD_UINT ? 0 : -1);
        if (rc == 0)
            assert_true (value == c->uint);
        assert_int_equal (mpread_left (&r), rc == 0 ? 0 : c->size);
        mpread_init (&r, c->bytes, c->size);
        rc = mpread_bool (&r, &flag);
        assert_int_equal (rc, c->kind == MPREAD_BOOL ? 0 : -1);
        if (rc == 0)
            assert_int_equal (flag, c->uint == 1);
        assert_int_equal (mpread_left (&r), rc == 0 ? 0 : c->size);
        mpread_init (&r, c->bytes, c->size);
        rc = mpread_bin (&r, 1000, &data, &size);
        assert_int_equal (rc, c->kind == MPREAD_BIN ? 0 : -1);
        if (rc == 0)
            assert_int_equal (size, c->uint);
        assert_int_equal (mpread_left (&r), rc == 0 ? 0 : c->size);
        mpread_init (&r, c->bytes, c->size);
        rc = mpread_key (&r, MPREAD_FIXINT_MAX, &value);
        bool fixint = c->bytes [0] <= MPREAD_FIXINT_MAX;
        assert_int_equal (rc, fixint ? 0 : -1);
        assert_int_equal (mpread_left (&r), rc == 0 ? c->size - 1 : c->size);
    }
    //  A bin over its limit, a key over its limit, nothing left
    const uint8_t bin3 [] = { 0xc4, 0x03, 1, 2, 3 };
    mpread_init (&r, bin3, sizeof bin3);
    assert_int_equal (mpread_bin (&r, 2, &data, &size), -1);
    assert_int_equal (mpread_left (&r), sizeof bin3);
    assert_int_equal (mpread_bin (&r, 3, &data, &size), 0);
    assert_int_equal (size, 3);
    assert_int_equal (data [2], 3);
    const uint8_t key67 [] = { 0x43 };
    mpread_init (&r, key67, 1);
    assert_int_equal (mpread_key (&r, 66, &value), -1);
    assert_int_equal (mpread_key (&r, 67, &value), 0);
    assert_int_equal (value, 67);
    assert_int_equal (mpread_key (&r, 67, &value), -1);
    assert_int_equal (mpread_uint (&r, &value), -1);
    //  Truncated: a uint16 missing a byte
    const uint8_t short16 [] = { 0xcd, 0x12 };
    mpread_init (&r, short16, sizeof short16);
    assert_int_equal (mpread_uint (&r, &value), -1);
    assert_int_equal (mpread_left (&r), 2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_formats),
        cmocka_unit_test (test_bombs),
        cmocka_unit_test (test_depth),
        cmocka_unit_test (test_typed_reads),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
