/*  Tests for kv.h: the capacity state machine. Commands and their results,
    listing and paging, the key limit, determinism across maps that apply
    the same log, snapshot round trips, and refusal of malformed commands
    and snapshots (every truncation, every wrong type, non-canonical bytes).
*/
#include "testing.h"
#include "kv.h"
#include "rng.h"
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  --------------------------------------------------------------------------
//  Helpers

static kv_command_t
s_cmd (kv_op_t op, const char *key, uint64_t expected, const char *value)
{
    kv_command_t cmd;
    memset (&cmd, 0, sizeof cmd);
    cmd.op = op;
    cmd.request_id = 1000 + (uint64_t) op;
    snprintf (cmd.key, sizeof cmd.key, "%s", key);
    cmd.expected_version = expected;
    if (value) {
        cmd.value_size = strlen (value);
        memcpy (cmd.value, value, cmd.value_size);
    }
    return cmd;
}

//  Apply one command at index and return its result.
static kv_result_t
s_apply (kv_t *kv, uint64_t index, kv_op_t op, const char *key, uint64_t expected,
         const char *value)
{
    kv_command_t cmd = s_cmd (op, key, expected, value);
    kv_result_t result = { .status = KV_FULL, .version = 99 };
    assert_int_equal (kv_apply (kv, index, 1, &cmd, &result), 0);
    assert_int_equal (kv_applied_index (kv), index);
    return result;
}

#define ASSERT_RESULT(result, status_, version_) do { \
    kv_result_t r_ = (result); \
    assert_int_equal (r_.status, (status_)); \
    assert_int_equal (r_.version, (version_)); \
} while (0)

//  The value of key as a string ("" if empty), NULL if absent; *version.
static const char *
s_get (const kv_t *kv, const char *key, uint64_t *version)
{
    static char text [KV_VALUE_MAX + 1];
    const uint8_t *value;
    size_t size;
    if (kv_get (kv, key, &value, &size, version) != 0)
        return NULL;
    memcpy (text, value, size);
    text [size] = '\0';
    return text;
}

//  A snapshot of kv in a malloc'd buffer; its size in *size.
static uint8_t *
s_snapshot (const kv_t *kv, size_t *size)
{
    *size = kv_snapshot_size (kv);
    uint8_t *bytes = malloc (*size);
    assert_non_null (bytes);
    assert_int_equal (kv_snapshot_write (kv, bytes, *size), 0);
    return bytes;
}

//  msgpack-c's packer over a growing buffer, for hand-made inputs.
typedef struct {
    msgpack_sbuffer buf;
    msgpack_packer pk;
} s_pack_t;

static void
s_pack_init (s_pack_t *p)
{
    msgpack_sbuffer_init (&p->buf);
    msgpack_packer_init (&p->pk, &p->buf, msgpack_sbuffer_write);
}

static void
s_pack_str (s_pack_t *p, const char *s)
{
    msgpack_pack_str_with_body (&p->pk, s, strlen (s));
}

//  --------------------------------------------------------------------------
//  Commands and results

static void
test_put_get_overwrite (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    assert_non_null (kv);
    assert_int_equal (kv_count (kv), 0);
    assert_int_equal (kv_applied_index (kv), 0);
    assert_null (s_get (kv, "capacity/st-marys/beds_available", NULL));

    ASSERT_RESULT (s_apply (kv, 1, KV_PUT, "capacity/st-marys/beds_available", 0, "12"), KV_OK, 1);
    uint64_t version = 0;
    assert_string_equal (s_get (kv, "capacity/st-marys/beds_available", &version), "12");
    assert_int_equal (version, 1);
    assert_int_equal (kv_count (kv), 1);
    assert_int_equal (kv_bytes (kv), strlen ("capacity/st-marys/beds_available") + 2);

    //  Overwrite: new value, new version, same count; a longer then an empty value.
    ASSERT_RESULT (s_apply (kv, 5, KV_PUT, "capacity/st-marys/beds_available", 0, "9"), KV_OK, 5);
    assert_string_equal (s_get (kv, "capacity/st-marys/beds_available", &version), "9");
    assert_int_equal (version, 5);
    ASSERT_RESULT (s_apply (kv, 6, KV_PUT, "capacity/st-marys/beds_available", 0,
                            "a much longer value than before"), KV_OK, 6);
    assert_string_equal (s_get (kv, "capacity/st-marys/beds_available", NULL),
                         "a much longer value than before");
    ASSERT_RESULT (s_apply (kv, 7, KV_PUT, "capacity/st-marys/beds_available", 0, ""), KV_OK, 7);
    const uint8_t *value;
    size_t size = 99;
    assert_int_equal (kv_get (kv, "capacity/st-marys/beds_available", &value, &size, &version), 0);
    assert_int_equal (size, 0);
    assert_int_equal (version, 7);
    assert_int_equal (kv_count (kv), 1);
    assert_int_equal (kv_bytes (kv), strlen ("capacity/st-marys/beds_available"));

    //  Arbitrary bytes, the longest key and value.
    kv_command_t cmd = s_cmd (KV_PUT, "", 0, NULL);
    memset (cmd.key, 'k', KV_KEY_MAX);
    cmd.value_size = KV_VALUE_MAX;
    for (size_t i = 0; i < KV_VALUE_MAX; i++)
        cmd.value [i] = (uint8_t) i;
    kv_result_t result;
    assert_int_equal (kv_apply (kv, 8, 1, &cmd, &result), 0);
    ASSERT_RESULT (result, KV_OK, 8);
    assert_int_equal (kv_get (kv, cmd.key, &value, &size, NULL), 0);
    assert_int_equal (size, KV_VALUE_MAX);
    assert_memory_equal (value, cmd.value, KV_VALUE_MAX);
    //  NULL out-parameters are fine; too long a key is simply absent.
    assert_int_equal (kv_get (kv, cmd.key, NULL, NULL, NULL), 0);
    char longer [KV_KEY_MAX + 2];
    memset (longer, 'k', KV_KEY_MAX + 1);
    longer [KV_KEY_MAX + 1] = '\0';
    assert_int_equal (kv_get (kv, longer, NULL, NULL, NULL), -1);
    assert_int_equal (kv_get (kv, "", NULL, NULL, NULL), -1);
    kv_destroy (&kv);
    assert_null (kv);
    kv_destroy (&kv);       //  Safe on NULL
}

static void
test_cas (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    //  "Must not exist": succeeds once, then fails with the current version.
    ASSERT_RESULT (s_apply (kv, 1, KV_CAS, "beds", 0, "10"), KV_OK, 1);
    ASSERT_RESULT (s_apply (kv, 2, KV_CAS, "beds", 0, "11"), KV_CAS_FAILED, 1);
    assert_string_equal (s_get (kv, "beds", NULL), "10");
    //  The right version succeeds; a stale one fails and changes nothing.
    ASSERT_RESULT (s_apply (kv, 3, KV_CAS, "beds", 1, "12"), KV_OK, 3);
    ASSERT_RESULT (s_apply (kv, 4, KV_CAS, "beds", 1, "13"), KV_CAS_FAILED, 3);
    ASSERT_RESULT (s_apply (kv, 5, KV_CAS, "beds", 99, "13"), KV_CAS_FAILED, 3);
    uint64_t version;
    assert_string_equal (s_get (kv, "beds", &version), "12");
    assert_int_equal (version, 3);
    //  An absent key has version 0: expecting another fails with 0.
    ASSERT_RESULT (s_apply (kv, 6, KV_CAS, "icu", 3, "1"), KV_CAS_FAILED, 0);
    assert_null (s_get (kv, "icu", NULL));
    assert_int_equal (kv_count (kv), 1);
    //  After a delete, "must not exist" holds again.
    ASSERT_RESULT (s_apply (kv, 7, KV_DEL, "beds", 0, NULL), KV_OK, 0);
    ASSERT_RESULT (s_apply (kv, 8, KV_CAS, "beds", 3, "14"), KV_CAS_FAILED, 0);
    ASSERT_RESULT (s_apply (kv, 9, KV_CAS, "beds", 0, "14"), KV_OK, 9);
    kv_destroy (&kv);
}

static void
test_del (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    ASSERT_RESULT (s_apply (kv, 1, KV_DEL, "nothing", 0, NULL), KV_NOT_FOUND, 0);
    ASSERT_RESULT (s_apply (kv, 2, KV_DEL_IF, "nothing", 1, NULL), KV_NOT_FOUND, 0);
    ASSERT_RESULT (s_apply (kv, 3, KV_PUT, "a", 0, "x"), KV_OK, 3);
    ASSERT_RESULT (s_apply (kv, 4, KV_PUT, "b", 0, "yy"), KV_OK, 4);
    ASSERT_RESULT (s_apply (kv, 5, KV_PUT, "c", 0, "zzz"), KV_OK, 5);
    assert_int_equal (kv_bytes (kv), 3 + 1 + 2 + 3);
    ASSERT_RESULT (s_apply (kv, 6, KV_DEL, "b", 0, NULL), KV_OK, 0);
    assert_null (s_get (kv, "b", NULL));
    assert_int_equal (kv_count (kv), 2);
    assert_int_equal (kv_bytes (kv), 2 + 1 + 3);
    ASSERT_RESULT (s_apply (kv, 7, KV_DEL, "b", 0, NULL), KV_NOT_FOUND, 0);
    //  del_if: a stale version fails with the current one; the right one deletes.
    ASSERT_RESULT (s_apply (kv, 8, KV_DEL_IF, "c", 4, NULL), KV_CAS_FAILED, 5);
    assert_string_equal (s_get (kv, "c", NULL), "zzz");
    ASSERT_RESULT (s_apply (kv, 9, KV_DEL_IF, "c", 5, NULL), KV_OK, 0);
    assert_null (s_get (kv, "c", NULL));
    ASSERT_RESULT (s_apply (kv, 10, KV_DEL, "a", 0, NULL), KV_OK, 0);
    assert_int_equal (kv_count (kv), 0);
    assert_int_equal (kv_bytes (kv), 0);
    kv_destroy (&kv);
}

//  Misuse by the node: the index must advance, the command must be valid;
//  either way nothing changes. kv_advance moves the index alone.
static void
test_apply_rules (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    kv_result_t result = { .status = KV_OK, .version = 77 };
    kv_command_t cmd = s_cmd (KV_PUT, "a", 0, "1");
    assert_int_equal (kv_apply (kv, 0, 1, &cmd, &result), -1);
    assert_int_equal (result.version, 77);
    assert_int_equal (kv_apply (kv, 4, 1, &cmd, &result), 0);
    assert_int_equal (kv_apply (kv, 4, 1, &cmd, &result), -1);
    assert_int_equal (kv_apply (kv, 3, 1, &cmd, &result), -1);
    kv_command_t bad = s_cmd (KV_PUT, "no spaces", 0, "1");
    assert_int_equal (kv_apply (kv, 5, 1, &bad, &result), -1);
    bad = s_cmd ((kv_op_t) 9, "a", 0, "1");
    assert_int_equal (kv_apply (kv, 5, 1, &bad, &result), -1);
    bad = s_cmd (KV_DEL_IF, "a", 0, NULL);
    assert_int_equal (kv_apply (kv, 5, 1, &bad, &result), -1);
    bad = s_cmd (KV_PUT, "a", 0, "1");
    bad.value_size = KV_VALUE_MAX + 1;
    assert_int_equal (kv_apply (kv, 5, 1, &bad, &result), -1);
    assert_int_equal (kv_applied_index (kv), 4);
    assert_int_equal (kv_count (kv), 1);

    assert_int_equal (kv_advance (kv, 4), -1);
    assert_int_equal (kv_advance (kv, 10), 0);
    assert_int_equal (kv_applied_index (kv), 10);
    assert_int_equal (kv_count (kv), 1);
    assert_int_equal (kv_apply (kv, 10, 1, &cmd, &result), -1);
    assert_int_equal (kv_apply (kv, 11, 1, &cmd, &result), 0);
    ASSERT_RESULT (result, KV_OK, 11);

    assert_string_equal (kv_status_name (KV_OK), "ok");
    assert_string_equal (kv_status_name (KV_CAS_FAILED), "cas-failed");
    assert_string_equal (kv_status_name (KV_NOT_FOUND), "not-found");
    assert_string_equal (kv_status_name (KV_FULL), "full");
    assert_null (kv_status_name ((kv_status_t) 4));
    assert_string_equal (kv_op_name (KV_PUT), "put");
    assert_string_equal (kv_op_name (KV_DEL_IF), "del-if");
    assert_null (kv_op_name ((kv_op_t) 0));
    kv_destroy (&kv);
}

//  --------------------------------------------------------------------------
//  Listing

typedef struct {
    char keys [16][KV_KEY_MAX + 1];
    uint64_t versions [16];
    size_t count;
    size_t stop_at;             //  Return non-zero on this visit (1-based), 0: never
} s_seen_t;

static int
s_collect (const char *key, const uint8_t *value, size_t value_size, uint64_t version, void *arg)
{
    s_seen_t *seen = (s_seen_t *) arg;
    assert_true (seen->count < 16);
    assert_true (value_size == 0 || value != NULL);
    snprintf (seen->keys [seen->count], KV_KEY_MAX + 1, "%s", key);
    seen->versions [seen->count] = version;
    seen->count++;
    return seen->stop_at && seen->count == seen->stop_at;
}

//  List into a fresh s_seen_t and check the keys, joined by spaces.
static void
s_check_list (const kv_t *kv, const char *prefix, const char *after, size_t max,
              const char *expected, bool expected_more)
{
    s_seen_t seen;
    memset (&seen, 0, sizeof seen);
    bool more = !expected_more;
    size_t visited = kv_list (kv, prefix, after, max, s_collect, &seen, &more);
    assert_int_equal (visited, seen.count);
    char joined [1024] = "";
    for (size_t i = 0; i < seen.count; i++) {
        if (i)
            strcat (joined, " ");
        strcat (joined, seen.keys [i]);
    }
    assert_string_equal (joined, expected);
    assert_int_equal (more, expected_more);
}

static void
test_list (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    //  Inserted out of order; listed bytewise: '-' < '.' < '/' < digits <
    //  upper case < '_' < lower case, and a prefix before its extensions.
    const char *keys [] = {
        "capacity/st-marys/icu", "capacity/general/beds", "capacity/st-marys/beds",
        "capacity/st-marys", "capacity/st-marys-annex/beds", "capacity/st-marys/Beds",
        "capacity/st-marys/_x", "capacity/st-marys/9", "capacity/st-marys.old", "z", "a"
    };
    for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
        ASSERT_RESULT (s_apply (kv, i + 1, KV_PUT, keys [i], 0, "v"), KV_OK, i + 1);

    s_check_list (kv, "", NULL, 100,
                  "a capacity/general/beds capacity/st-marys capacity/st-marys-annex/beds "
                  "capacity/st-marys.old capacity/st-marys/9 capacity/st-marys/Beds "
                  "capacity/st-marys/_x capacity/st-marys/beds capacity/st-marys/icu z", false);
    s_check_list (kv, NULL, NULL, 100,
                  "a capacity/general/beds capacity/st-marys capacity/st-marys-annex/beds "
                  "capacity/st-marys.old capacity/st-marys/9 capacity/st-marys/Beds "
                  "capacity/st-marys/_x capacity/st-marys/beds capacity/st-marys/icu z", false);
    s_check_list (kv, "capacity/st-marys/", NULL, 100,
                  "capacity/st-marys/9 capacity/st-marys/Beds capacity/st-marys/_x "
                  "capacity/st-marys/beds capacity/st-marys/icu", false);
    s_check_list (kv, "capacity/st-marys", NULL, 2,
                  "capacity/st-marys capacity/st-marys-annex/beds", true);
    s_check_list (kv, "nothing", NULL, 100, "", false);
    s_check_list (kv, "zz", NULL, 100, "", false);
    s_check_list (kv, "z", NULL, 100, "z", false);
    s_check_list (kv, "capacity/", NULL, 0, "", true);

    //  Paging: 2 at a time, each page continuing after the last key of the one before.
    s_check_list (kv, "capacity/st-marys/", NULL, 2, "capacity/st-marys/9 capacity/st-marys/Beds",
                  true);
    s_check_list (kv, "capacity/st-marys/", "capacity/st-marys/Beds", 2,
                  "capacity/st-marys/_x capacity/st-marys/beds", true);
    s_check_list (kv, "capacity/st-marys/", "capacity/st-marys/beds", 2,
                  "capacity/st-marys/icu", false);
    s_check_list (kv, "capacity/st-marys/", "capacity/st-marys/icu", 2, "", false);
    //  The continuation key need not exist, and may sort before or after the prefix.
    s_check_list (kv, "capacity/st-marys/", "capacity/st-marys/C", 2,
                  "capacity/st-marys/_x capacity/st-marys/beds", true);
    s_check_list (kv, "capacity/st-marys/", "a", 1, "capacity/st-marys/9", true);
    s_check_list (kv, "capacity/st-marys/", "zzz", 10, "", false);
    s_check_list (kv, "", "", 1, "a", true);

    //  All pages together are the whole listing, whatever the page size.
    for (size_t page = 1; page <= 12; page++) {
        char after [KV_KEY_MAX + 1] = "";
        size_t total = 0;
        bool more = true;
        while (more) {
            s_seen_t seen;
            memset (&seen, 0, sizeof seen);
            size_t n = kv_list (kv, "", after, page, s_collect, &seen, &more);
            assert_true (n <= page);
            for (size_t i = 0; i < n; i++) {
                if (total + i > 0)
                    assert_true (strcmp (after, seen.keys [i]) < 0);
                snprintf (after, sizeof after, "%s", seen.keys [i]);
            }
            total += n;
        }
        assert_int_equal (total, ARRAY_SIZE (keys));
    }

    //  The visitor can stop early; more then says what follows.
    s_seen_t seen;
    memset (&seen, 0, sizeof seen);
    seen.stop_at = 2;
    bool more = false;
    assert_int_equal (kv_list (kv, "capacity/", NULL, 100, s_collect, &seen, &more), 2);
    assert_true (more);
    assert_int_equal (seen.versions [0], 2);        //  capacity/general/beds
    memset (&seen, 0, sizeof seen);
    seen.stop_at = 1;
    assert_int_equal (kv_list (kv, "z", NULL, 100, s_collect, &seen, &more), 1);
    assert_false (more);
    assert_int_equal (kv_list (kv, "z", NULL, 100, s_collect, &seen, NULL), 1);
    kv_destroy (&kv);
}

//  --------------------------------------------------------------------------
//  The key limit

static void
test_full_small_limit (void **state)
{
    (void) state;
    kv_t *kv = kv_new_limited (3);
    ASSERT_RESULT (s_apply (kv, 1, KV_PUT, "a", 0, "1"), KV_OK, 1);
    ASSERT_RESULT (s_apply (kv, 2, KV_PUT, "b", 0, "2"), KV_OK, 2);
    ASSERT_RESULT (s_apply (kv, 3, KV_CAS, "c", 0, "3"), KV_OK, 3);
    //  A fourth key is refused, by put or cas; the applied index still moves.
    ASSERT_RESULT (s_apply (kv, 4, KV_PUT, "d", 0, "4"), KV_FULL, 0);
    ASSERT_RESULT (s_apply (kv, 5, KV_CAS, "d", 0, "4"), KV_FULL, 0);
    assert_int_equal (kv_applied_index (kv), 5);
    assert_null (s_get (kv, "d", NULL));
    assert_int_equal (kv_count (kv), 3);
    //  A cas that fails its version check says so, not full.
    ASSERT_RESULT (s_apply (kv, 6, KV_CAS, "d", 7, "4"), KV_CAS_FAILED, 0);
    //  Existing keys can still be written and deleted.
    ASSERT_RESULT (s_apply (kv, 7, KV_PUT, "a", 0, "one"), KV_OK, 7);
    ASSERT_RESULT (s_apply (kv, 8, KV_CAS, "b", 2, "two"), KV_OK, 8);
    ASSERT_RESULT (s_apply (kv, 9, KV_DEL, "c", 0, NULL), KV_OK, 0);
    ASSERT_RESULT (s_apply (kv, 10, KV_PUT, "d", 0, "4"), KV_OK, 10);
    ASSERT_RESULT (s_apply (kv, 11, KV_PUT, "e", 0, "5"), KV_FULL, 0);
    assert_int_equal (kv_count (kv), 3);
    kv_destroy (&kv);
}

//  The real limit, KV_KEYS_MAX keys.
static void
test_full_real_limit (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    kv_result_t result;
    char key [32];
    for (uint64_t i = 0; i < KV_KEYS_MAX; i++) {
        snprintf (key, sizeof key, "h/%06u/beds", (unsigned) i);
        kv_command_t cmd = s_cmd (KV_PUT, key, 0, "7");
        assert_int_equal (kv_apply (kv, i + 1, 1, &cmd, &result), 0);
        if (result.status != KV_OK)
            fail_msg ("put %s: %d", key, result.status);
    }
    assert_int_equal (kv_count (kv), KV_KEYS_MAX);
    uint64_t index = KV_KEYS_MAX;
    ASSERT_RESULT (s_apply (kv, ++index, KV_PUT, "h/100000/beds", 0, "7"), KV_FULL, 0);
    ASSERT_RESULT (s_apply (kv, ++index, KV_PUT, "a", 0, "7"), KV_FULL, 0);
    ASSERT_RESULT (s_apply (kv, ++index, KV_CAS, "a", 0, "7"), KV_FULL, 0);
    ASSERT_RESULT (s_apply (kv, ++index, KV_PUT, "h/050000/beds", 0, "8"), KV_OK, index);
    ASSERT_RESULT (s_apply (kv, ++index, KV_DEL, "h/000000/beds", 0, NULL), KV_OK, 0);
    ASSERT_RESULT (s_apply (kv, ++index, KV_PUT, "a", 0, "7"), KV_OK, index);
    ASSERT_RESULT (s_apply (kv, ++index, KV_PUT, "b", 0, "7"), KV_FULL, 0);
    assert_int_equal (kv_count (kv), KV_KEYS_MAX);
    //  The full map's snapshot reads back to the same bytes.
    size_t size;
    uint8_t *bytes = s_snapshot (kv, &size);
    assert_true (size <= KV_SNAPSHOT_BYTES_MAX);
    char err [256];
    kv_t *copy = kv_snapshot_read (bytes, size, err, sizeof err);
    assert_non_null (copy);
    assert_int_equal (kv_count (copy), KV_KEYS_MAX);
    assert_int_equal (kv_snapshot_size (copy), size);
    uint8_t *again = malloc (size);
    assert_int_equal (kv_snapshot_write (copy, again, size), 0);
    assert_memory_equal (again, bytes, size);
    free (again);
    free (bytes);
    kv_destroy (&copy);
    kv_destroy (&kv);
}

//  --------------------------------------------------------------------------
//  Determinism

static const char *s_pool [] = {
    "capacity/st-marys/beds", "capacity/st-marys/icu", "capacity/st-marys/er",
    "capacity/general/beds", "capacity/general/icu", "capacity/general", "capacity",
    "capacity/north/beds", "capacity/north/ventilators", "capacity/north/er", "a", "Z",
    "capacity/st-marys-annex/beds", "capacity/st-marys.old/beds", "x/y/z", "x/y", "x",
    "capacity/east/beds", "capacity/east/icu", "capacity/east/er", "capacity/west/beds",
    "capacity/west/icu", "capacity/west/er", "capacity/south/beds", "capacity/south/icu",
};

//  A random command for kv (read only to pick plausible expected versions).
static kv_command_t
s_random_command (rng_t *rng, const kv_t *kv)
{
    kv_command_t cmd;
    memset (&cmd, 0, sizeof cmd);
    cmd.op = (kv_op_t) (1 + rng_below (rng, 4));
    cmd.request_id = rng_next (rng);
    snprintf (cmd.key, sizeof cmd.key, "%s", s_pool [rng_below (rng, ARRAY_SIZE (s_pool))]);
    uint64_t current = 0;
    kv_get (kv, cmd.key, NULL, NULL, &current);
    uint64_t pick = rng_below (rng, 4);
    cmd.expected_version = pick == 0 ? 0 : pick == 1 ? rng_below (rng, 50) : current;
    if (cmd.op == KV_DEL_IF && cmd.expected_version == 0)
        cmd.expected_version = 1;
    if (cmd.op == KV_PUT || cmd.op == KV_CAS) {
        cmd.value_size = rng_below (rng, 8) == 0 ? KV_VALUE_MAX : rng_below (rng, 40);
        for (size_t i = 0; i < cmd.value_size; i++)
            cmd.value [i] = (uint8_t) rng_next (rng);
    }
    return cmd;
}

//  Checks that hold after every step: the running totals match a listing,
//  and the snapshot size is exact.
static int
s_sum (const char *key, const uint8_t *value, size_t value_size, uint64_t version, void *arg)
{
    (void) value;
    size_t *sums = (size_t *) arg;
    sums [0] += strlen (key) + value_size;
    sums [1]++;
    assert_true (version >= 1);
    return 0;
}

static void
s_check_invariants (const kv_t *kv)
{
    size_t sums [2] = { 0, 0 };
    kv_list (kv, "", NULL, SIZE_MAX, s_sum, sums, NULL);
    assert_int_equal (sums [0], kv_bytes (kv));
    assert_int_equal (sums [1], kv_count (kv));
    size_t size;
    uint8_t *bytes = s_snapshot (kv, &size);
    assert_int_equal (kv_snapshot_write (kv, bytes, size - 1), -1);
    free (bytes);
}

//  Two maps apply the same seeded random log; a third starts from a
//  snapshot of the first halfway through. All end with identical bytes.
static void
test_determinism (void **state)
{
    (void) state;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        rng_t rng;
        rng_seed (&rng, seed);
        //  Even seeds: a limit below the pool size, so KV_FULL happens too.
        size_t limit = seed % 2 ? KV_KEYS_MAX : 15;
        kv_t *a = kv_new_limited (limit), *b = kv_new_limited (limit), *c = NULL;
        size_t counts [4] = { 0 };
        size_t retries = 0;
        uint64_t index = 0;
        //  Clients c0..c3 (and commands without one); a client's last write
        //  is sometimes sent again, as a retry would be.
        kv_command_t last [4];
        bool has_last [4] = { false };
        for (int step = 0; step < 600; step++) {
            index += 1 + rng_below (&rng, 3);
            if (rng_below (&rng, 20) == 0) {
                assert_int_equal (kv_advance (a, index), 0);
                assert_int_equal (kv_advance (b, index), 0);
                if (c)
                    assert_int_equal (kv_advance (c, index), 0);
                continue;
            }
            //  Through the encoding, as a log entry would go.
            kv_command_t cmd = s_random_command (&rng, a), decoded;
            uint32_t who = rng_below (&rng, 5);
            bool retry = who < 4 && has_last [who] && rng_below (&rng, 4) == 0;
            if (retry)
                cmd = last [who];
            else
            if (who < 4) {
                snprintf (cmd.client, sizeof cmd.client, "c%u", who);
                cmd.request_id = seed << 32 | (uint64_t) step;
                last [who] = cmd;
                has_last [who] = true;
            }
            uint8_t entry [KV_COMMAND_BYTES_MAX];
            int size = kv_command_encode (&cmd, entry, sizeof entry);
            assert_true (size > 0);
            assert_int_equal (kv_command_decode (entry, (size_t) size, &decoded, NULL), 0);
            kv_result_t ra, rb, rc;
            size_t before_size;
            uint8_t *before = retry ? s_snapshot (a, &before_size) : NULL;
            uint64_t term = 1 + index / 100;
            assert_int_equal (kv_apply (a, index, term, &decoded, &ra), 0);
            assert_int_equal (kv_apply (b, index, term, &decoded, &rb), 0);
            ASSERT_RESULT (rb, ra.status, ra.version);
            assert_int_equal (rb.index, ra.index);
            assert_int_equal (rb.retry, ra.retry);
            if (c) {
                assert_int_equal (kv_apply (c, index, term, &decoded, &rc), 0);
                ASSERT_RESULT (rc, ra.status, ra.version);
                assert_int_equal (rc.index, ra.index);
            }
            assert_int_equal (ra.retry, retry);
            if (retry) {
                //  A retry changes nothing but the applied index: the map
                //  before it, advanced to index, has the same snapshot
                //  bytes. It reports the original entry.
                retries++;
                assert_true (ra.index < index);
                assert_int_equal (ra.term, 1 + ra.index / 100);
                kv_t *was = kv_snapshot_read (before, before_size, NULL, 0);
                assert_non_null (was);
                assert_int_equal (kv_advance (was, index), 0);
                size_t was_size, now_size;
                uint8_t *was_bytes = s_snapshot (was, &was_size), *now_bytes = s_snapshot (a, &now_size);
                assert_int_equal (was_size, now_size);
                assert_memory_equal (was_bytes, now_bytes, now_size);
                free (was_bytes);
                free (now_bytes);
                free (before);
                kv_destroy (&was);
                continue;
            }
            assert_int_equal (ra.index, index);
            counts [ra.status]++;
            //  The result's version is the key's version afterwards.
            uint64_t version = 0;
            kv_get (a, cmd.key, NULL, NULL, &version);
            assert_int_equal (ra.version, version);
            if (step == 300 && limit == KV_KEYS_MAX) {
                size_t snap_size;
                uint8_t *snap = s_snapshot (a, &snap_size);
                char err [256];
                c = kv_snapshot_read (snap, snap_size, err, sizeof err);
                assert_non_null (c);
                free (snap);
            }
            if (step % 50 == 0)
                s_check_invariants (a);
        }
        //  Every outcome occurred (FULL only under the small limit), and retries.
        assert_true (counts [KV_OK] > 0 && counts [KV_CAS_FAILED] > 0 && counts [KV_NOT_FOUND] > 0);
        assert_true (retries > 10);
        assert_int_equal (kv_sessions (a), 4);
        assert_true (limit == KV_KEYS_MAX || counts [KV_FULL] > 0);
        size_t size_a, size_b;
        uint8_t *snap_a = s_snapshot (a, &size_a), *snap_b = s_snapshot (b, &size_b);
        assert_int_equal (size_a, size_b);
        assert_memory_equal (snap_a, snap_b, size_a);
        if (c) {
            size_t size_c;
            uint8_t *snap_c = s_snapshot (c, &size_c);
            assert_int_equal (size_a, size_c);
            assert_memory_equal (snap_a, snap_c, size_a);
            free (snap_c);
        }
        free (snap_a);
        free (snap_b);
        kv_destroy (&a);
        kv_destroy (&b);
        kv_destroy (&c);
    }
}

//  Apply cmd at index (term 7) and return the result.
static kv_result_t
s_apply_cmd (kv_t *kv, uint64_t index, const kv_command_t *cmd)
{
    kv_result_t result;
    assert_int_equal (kv_apply (kv, index, 7, cmd, &result), 0);
    return result;
}

//  A retried write takes effect once: a cas that succeeded, sent again
//  after an unknown outcome, answers ok with its version, not cas-failed,
//  and a put sent again does not write again.
static void
test_retries_take_effect_once (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    kv_command_t put = s_cmd (KV_PUT, "beds", 0, "12");
    strcpy (put.client, "dispatch");
    put.request_id = 41;
    kv_result_t r = s_apply_cmd (kv, 1, &put);
    assert_int_equal (r.status, KV_OK);
    assert_int_equal (r.index, 1);
    assert_false (r.retry);
    kv_command_t cas = s_cmd (KV_CAS, "beds", 1, "11");
    strcpy (cas.client, "dispatch");
    cas.request_id = 42;
    r = s_apply_cmd (kv, 2, &cas);
    assert_int_equal (r.status, KV_OK);
    assert_int_equal (r.version, 2);
    //  The retry, at index 3: the original's result
    r = s_apply_cmd (kv, 3, &cas);
    assert_true (r.retry);
    assert_int_equal (r.status, KV_OK);
    assert_int_equal (r.version, 2);
    assert_int_equal (r.index, 2);
    assert_int_equal (r.term, 7);
    uint64_t version;
    assert_string_equal (s_get (kv, "beds", &version), "11");
    assert_int_equal (version, 2);
    assert_int_equal (kv_applied_index (kv), 3);
    kv_result_t recalled;
    assert_int_equal (kv_recall (kv, &cas, &recalled), 0);
    assert_int_equal (recalled.index, 2);
    assert_true (recalled.retry);

    //  Only the client's last write is kept: the put is no longer recalled
    //  and, sent again, writes again (the client library never does that)
    assert_int_equal (kv_recall (kv, &put, &recalled), -1);
    r = s_apply_cmd (kv, 4, &put);
    assert_false (r.retry);
    assert_int_equal (r.version, 4);

    //  The same request_id with another command is not a retry
    kv_command_t other = cas;
    other.value [0] = '9';
    assert_int_equal (kv_recall (kv, &cas, &recalled), -1);     //  The put is last now
    r = s_apply_cmd (kv, 5, &other);
    assert_false (r.retry);
    assert_int_equal (r.status, KV_CAS_FAILED);                  //  Expected 1, is 4
    other.request_id = 42;
    r = s_apply_cmd (kv, 6, &other);
    assert_true (r.retry);
    other.value [0] = '8';
    r = s_apply_cmd (kv, 7, &other);
    assert_false (r.retry);

    //  Another client with the same request_id, no client, request_id 0:
    //  each runs
    kv_command_t again = s_cmd (KV_PUT, "icu", 0, "3");
    again.request_id = 42;
    strcpy (again.client, "other");
    r = s_apply_cmd (kv, 8, &again);
    assert_false (r.retry);
    r = s_apply_cmd (kv, 9, &again);
    assert_true (r.retry);
    again.client [0] = '\0';
    r = s_apply_cmd (kv, 10, &again);
    assert_false (r.retry);
    r = s_apply_cmd (kv, 11, &again);
    assert_false (r.retry);
    assert_int_equal (r.version, 11);
    strcpy (again.client, "zero");
    again.request_id = 0;
    r = s_apply_cmd (kv, 12, &again);
    r = s_apply_cmd (kv, 13, &again);
    assert_false (r.retry);
    assert_int_equal (kv_sessions (kv), 2);                     //  dispatch, other
    kv_destroy (&kv);
}

//  At most KV_SESSIONS_MAX clients: a new one takes the place of the one
//  whose last write is oldest, the same on every node.
static void
test_sessions_are_bounded (void **state)
{
    (void) state;
    kv_t *kv = kv_new ();
    kv_command_t cmd = s_cmd (KV_PUT, "k", 0, "v");
    uint64_t index = 0;
    for (uint32_t i = 0; i <= KV_SESSIONS_MAX; i++) {
        //  Client names out of their order of arrival
        snprintf (cmd.client, sizeof cmd.client, "c%05u", (i * 7919u) % 100000u);
        cmd.request_id = i + 1;
        s_apply_cmd (kv, ++index, &cmd);
        if (i == 5) {
            //  c5's first client writes again: no longer the oldest
            snprintf (cmd.client, sizeof cmd.client, "c%05u", 0u);
            cmd.request_id = 99999;
            s_apply_cmd (kv, ++index, &cmd);
        }
    }
    assert_int_equal (kv_sessions (kv), KV_SESSIONS_MAX);
    //  The oldest was the second client (c07919), not the first (rewritten)
    snprintf (cmd.client, sizeof cmd.client, "c%05u", 7919u);
    cmd.request_id = 2;
    kv_result_t recalled;
    assert_int_equal (kv_recall (kv, &cmd, &recalled), -1);
    snprintf (cmd.client, sizeof cmd.client, "c%05u", 0u);
    cmd.request_id = 99999;
    assert_int_equal (kv_recall (kv, &cmd, &recalled), 0);
    //  The snapshot keeps them all, sorted, and reads back the same
    size_t size;
    uint8_t *bytes = s_snapshot (kv, &size);
    assert_true (size <= KV_SNAPSHOT_BYTES_MAX);
    char err [256];
    kv_t *copy = kv_snapshot_read (bytes, size, err, sizeof err);
    assert_non_null (copy);
    assert_int_equal (kv_sessions (copy), KV_SESSIONS_MAX);
    assert_int_equal (kv_recall (copy, &cmd, &recalled), 0);
    assert_int_equal (recalled.index, 7);
    free (bytes);
    kv_destroy (&copy);
    kv_destroy (&kv);
}

//  --------------------------------------------------------------------------
//  Snapshots

//  A small map: three keys, an empty value, applied index 9.
static kv_t *
s_small_map (void)
{
    kv_t *kv = kv_new ();
    s_apply (kv, 2, KV_PUT, "b/icu", 0, "4");
    s_apply (kv, 3, KV_PUT, "a/beds", 0, "12");
    s_apply (kv, 5, KV_PUT, "c", 0, "");
    assert_int_equal (kv_advance (kv, 9), 0);
    return kv;
}

static void
test_snapshot_round_trip (void **state)
{
    (void) state;
    char err [256];
    //  Empty map: 0x84 0x00 0x02 0x01 0x00 0x02 0x90 0x03 0x90
    kv_t *kv = kv_new ();
    size_t size;
    uint8_t *bytes = s_snapshot (kv, &size);
    const uint8_t empty [] = { 0x84, 0x00, 0x02, 0x01, 0x00, 0x02, 0x90, 0x03, 0x90 };
    assert_int_equal (size, sizeof empty);
    assert_memory_equal (bytes, empty, sizeof empty);
    kv_t *copy = kv_snapshot_read (bytes, size, err, sizeof err);
    assert_non_null (copy);
    assert_int_equal (kv_count (copy), 0);
    kv_destroy (&copy);
    free (bytes);
    kv_destroy (&kv);

    //  The small map, byte for byte.
    kv = s_small_map ();
    bytes = s_snapshot (kv, &size);
    const uint8_t small [] = {
        0x84, 0x00, 0x02, 0x01, 0x09, 0x02, 0x93,
        0x93, 0xa6, 'a', '/', 'b', 'e', 'd', 's', 0x03, 0xc4, 0x02, '1', '2',
        0x93, 0xa5, 'b', '/', 'i', 'c', 'u', 0x02, 0xc4, 0x01, '4',
        0x93, 0xa1, 'c', 0x05, 0xc4, 0x00,
        0x03, 0x90
    };
    assert_int_equal (size, sizeof small);
    assert_memory_equal (bytes, small, sizeof small);
    copy = kv_snapshot_read (bytes, size, err, sizeof err);
    assert_non_null (copy);
    assert_int_equal (kv_applied_index (copy), 9);
    assert_int_equal (kv_count (copy), 3);
    assert_int_equal (kv_bytes (copy), kv_bytes (kv));
    uint64_t version;
    assert_string_equal (s_get (copy, "a/beds", &version), "12");
    assert_int_equal (version, 3);
    assert_string_equal (s_get (copy, "c", &version), "");
    assert_int_equal (version, 5);
    //  The copy goes on like the original.
    ASSERT_RESULT (s_apply (copy, 10, KV_CAS, "b/icu", 2, "5"), KV_OK, 10);
    kv_destroy (&copy);
    free (bytes);
    kv_destroy (&kv);

    //  Every length class: long keys and values, large versions and
    //  applied index, more than 15 entries (array16).
    kv = kv_new ();
    uint64_t index = 0;
    for (int i = 0; i < 40; i++) {
        kv_command_t cmd = s_cmd (KV_PUT, "", 0, NULL);
        memset (cmd.key, 'a' + (i % 26), (size_t) (1 + i * 3));
        cmd.key [0] = (char) ('A' + i % 26);
        cmd.value_size = (size_t) (i * 7) % (KV_VALUE_MAX + 1);
        if (i == 39)
            cmd.value_size = KV_VALUE_MAX;
        memset (cmd.value, i, cmd.value_size);
        index += i < 10 ? 1 : i < 20 ? 200 : i < 30 ? 70000 : 1ULL << 33;
        kv_result_t result;
        assert_int_equal (kv_apply (kv, index, 1, &cmd, &result), 0);
        assert_int_equal (result.status, KV_OK);
    }
    bytes = s_snapshot (kv, &size);
    copy = kv_snapshot_read (bytes, size, err, sizeof err);
    assert_non_null (copy);
    uint8_t *again;
    size_t again_size;
    again = s_snapshot (copy, &again_size);
    assert_int_equal (again_size, size);
    assert_memory_equal (again, bytes, size);
    assert_int_equal (kv_bytes (copy), kv_bytes (kv));
    free (again);
    free (bytes);
    kv_destroy (&copy);
    kv_destroy (&kv);
}

//  The reader refuses bytes, and err contains needle (or just something).
static void
s_refused_with (const uint8_t *bytes, size_t size, const char *why, const char *needle)
{
    char err [256] = "";
    kv_t *kv = kv_snapshot_read (bytes, size, err, sizeof err);
    if (kv)
        fail_msg ("accepted: %s", why);
    if (err [0] == '\0' || (needle && !strstr (err, needle)))
        fail_msg ("%s: message '%s' lacks '%s'", why, err, needle ? needle : "");
}

static void
s_refused (const uint8_t *bytes, size_t size, const char *why)
{
    s_refused_with (bytes, size, why, NULL);
}

//  A hand-made snapshot: the header with applied and count, then entries.
typedef struct {
    const char *key;
    uint64_t version;
    const char *value;
} s_entry_spec_t;

static void
s_pack_snapshot (s_pack_t *p, uint64_t applied, const s_entry_spec_t *entries, size_t count)
{
    s_pack_init (p);
    msgpack_pack_map (&p->pk, 4);
    msgpack_pack_uint64 (&p->pk, 0);
    msgpack_pack_uint64 (&p->pk, KV_SNAPSHOT_FORMAT);
    msgpack_pack_uint64 (&p->pk, 1);
    msgpack_pack_uint64 (&p->pk, applied);
    msgpack_pack_uint64 (&p->pk, 2);
    msgpack_pack_array (&p->pk, count);
    for (size_t i = 0; i < count; i++) {
        msgpack_pack_array (&p->pk, 3);
        s_pack_str (p, entries [i].key);
        msgpack_pack_uint64 (&p->pk, entries [i].version);
        msgpack_pack_bin_with_body (&p->pk, entries [i].value, strlen (entries [i].value));
    }
    msgpack_pack_uint64 (&p->pk, 3);
    msgpack_pack_array (&p->pk, 0);            //  No sessions (test_sessions_in_snapshots)
}

static void
s_refused_entries (uint64_t applied, const s_entry_spec_t *entries, size_t count, const char *why,
                   const char *needle)
{
    s_pack_t p;
    s_pack_snapshot (&p, applied, entries, count);
    s_refused_with ((const uint8_t *) p.buf.data, p.buf.size, why, needle);
    msgpack_sbuffer_destroy (&p.buf);
}

//  A snapshot at applied 9, no keys, with sessions given as 7 integers
//  (client "c<n>" from the first; status as is; may be out of range).
static void
s_pack_sessions (s_pack_t *p, const uint64_t (*sessions) [7], size_t count)
{
    s_pack_init (p);
    msgpack_pack_map (&p->pk, 4);
    msgpack_pack_uint64 (&p->pk, 0);
    msgpack_pack_uint64 (&p->pk, KV_SNAPSHOT_FORMAT);
    msgpack_pack_uint64 (&p->pk, 1);
    msgpack_pack_uint64 (&p->pk, 9);
    msgpack_pack_uint64 (&p->pk, 2);
    msgpack_pack_array (&p->pk, 0);
    msgpack_pack_uint64 (&p->pk, 3);
    msgpack_pack_array (&p->pk, count);
    for (size_t i = 0; i < count; i++) {
        char client [16];
        snprintf (client, sizeof client, "c%llu", (unsigned long long) sessions [i][0]);
        msgpack_pack_array (&p->pk, 7);
        s_pack_str (p, client);
        for (int f = 1; f < 7; f++)
            msgpack_pack_uint64 (&p->pk, sessions [i][f]);
    }
}

static void
test_sessions_in_snapshots (void **state)
{
    (void) state;
    //  [client, request_id, hash, index, term, status, version]
    const uint64_t good [2][7] = { { 1, 5, 0xfeed, 3, 2, KV_OK, 3 },
                                   { 2, 6, 0, 9, 2, KV_CAS_FAILED, 0 } };
    s_pack_t p;
    s_pack_sessions (&p, good, 2);
    char err [256];
    kv_t *kv = kv_snapshot_read ((const uint8_t *) p.buf.data, p.buf.size, err, sizeof err);
    assert_non_null (kv);
    assert_int_equal (kv_sessions (kv), 2);
    kv_destroy (&kv);
    msgpack_sbuffer_destroy (&p.buf);
    const struct { int at, field; uint64_t value; const char *needle; } bad [] = {
        { 1, 0, 1, "does not sort" },               //  Same client twice
        { 0, 0, 3, "does not sort" },               //  Unsorted
        { 0, 1, 0, "request_id" },
        { 0, 3, 0, "index" },
        { 0, 3, 10, "index" },                      //  Beyond applied
        { 0, 5, 4, "status" },
        { 0, 6, 10, "version" },
    };
    for (size_t i = 0; i < ARRAY_SIZE (bad); i++) {
        uint64_t sessions [2][7];
        memcpy (sessions, good, sizeof sessions);
        sessions [bad [i].at][bad [i].field] = bad [i].value;
        s_pack_sessions (&p, (const uint64_t (*) [7]) sessions, 2);
        s_refused_with ((const uint8_t *) p.buf.data, p.buf.size, bad [i].needle, bad [i].needle);
        msgpack_sbuffer_destroy (&p.buf);
    }
    //  More than KV_SESSIONS_MAX
    static uint64_t many [KV_SESSIONS_MAX + 1][7];
    for (uint64_t i = 0; i <= KV_SESSIONS_MAX; i++) {
        uint64_t session [7] = { 10000 + i, 1, 0, 1, 1, KV_OK, 1 };
        memcpy (many [i], session, sizeof session);
    }
    s_pack_sessions (&p, (const uint64_t (*) [7]) many, KV_SESSIONS_MAX);
    kv = kv_snapshot_read ((const uint8_t *) p.buf.data, p.buf.size, err, sizeof err);
    assert_non_null (kv);
    kv_destroy (&kv);
    msgpack_sbuffer_destroy (&p.buf);
    s_pack_sessions (&p, (const uint64_t (*) [7]) many, KV_SESSIONS_MAX + 1);
    s_refused_with ((const uint8_t *) p.buf.data, p.buf.size, "too many sessions", "more than 1024");
    msgpack_sbuffer_destroy (&p.buf);
}

static void
test_snapshot_rejects (void **state)
{
    (void) state;
    char err [256];
    kv_t *kv = s_small_map ();
    size_t size;
    uint8_t *good = s_snapshot (kv, &size);
    uint8_t bad [64];
    assert_true (size + 8 <= sizeof bad);

    //  The hand-made form of the same map is accepted (the helper is right).
    const s_entry_spec_t ok [] = { { "a/beds", 3, "12" }, { "b/icu", 2, "4" }, { "c", 5, "" } };
    s_pack_t p;
    s_pack_snapshot (&p, 9, ok, 3);
    assert_int_equal (p.buf.size, size);
    assert_memory_equal (p.buf.data, good, size);
    msgpack_sbuffer_destroy (&p.buf);

    //  Truncated at every length, and trailing bytes.
    for (size_t length = 0; length < size; length++)
        s_refused (good, length, "truncated");
    s_refused (NULL, 0, "nothing");
    memcpy (bad, good, size);
    bad [size] = 0xc0;
    s_refused_with (bad, size + 1, "trailing nil", "trailing");
    bad [size] = 0x00;
    s_refused_with (bad, size + 1, "trailing zero", "trailing");

    //  Keys unsorted, repeated, or a prefix after its extension.
    const s_entry_spec_t unsorted [] = { { "b/icu", 2, "4" }, { "a/beds", 3, "12" } };
    s_refused_entries (9, unsorted, 2, "unsorted", "does not sort");
    const s_entry_spec_t twice [] = { { "a/beds", 3, "12" }, { "a/beds", 4, "12" } };
    s_refused_entries (9, twice, 2, "duplicate", "does not sort");
    const s_entry_spec_t prefix [] = { { "a/beds", 3, "12" }, { "a/bed", 4, "12" } };
    s_refused_entries (9, prefix, 2, "prefix after its extension", "does not sort");
    const s_entry_spec_t sorted [] = { { "a/bed", 3, "12" }, { "a/beds", 4, "12" } };
    s_pack_snapshot (&p, 9, sorted, 2);
    kv_t *copy = kv_snapshot_read ((const uint8_t *) p.buf.data, p.buf.size, err, sizeof err);
    assert_non_null (copy);
    kv_destroy (&copy);
    msgpack_sbuffer_destroy (&p.buf);

    //  Versions: 0, beyond the applied index.
    const s_entry_spec_t zero [] = { { "a", 0, "" } };
    s_refused_entries (9, zero, 1, "version 0", "version");
    const s_entry_spec_t ahead [] = { { "a", 10, "" } };
    s_refused_entries (9, ahead, 1, "version after applied", "version");
    s_refused_entries (0, ahead, 1, "entries at applied 0", "version");
    //  Keys: empty, bad characters, too long; a value too long.
    const s_entry_spec_t empty_key [] = { { "", 1, "" } };
    s_refused_entries (9, empty_key, 1, "empty key", "key");
    const s_entry_spec_t space [] = { { "a b", 1, "" } };
    s_refused_entries (9, space, 1, "space in key", "key");
    const s_entry_spec_t colon [] = { { "a:b", 1, "" } };
    s_refused_entries (9, colon, 1, "colon in key", "key");
    char long_key [KV_KEY_MAX + 2];
    memset (long_key, 'k', KV_KEY_MAX + 1);
    long_key [KV_KEY_MAX + 1] = '\0';
    const s_entry_spec_t too_long [] = { { long_key, 1, "" } };
    s_refused_entries (9, too_long, 1, "129-character key", "key");
    long_key [KV_KEY_MAX] = '\0';
    const s_entry_spec_t longest [] = { { long_key, 1, "" } };
    s_pack_snapshot (&p, 9, longest, 1);
    copy = kv_snapshot_read ((const uint8_t *) p.buf.data, p.buf.size, err, sizeof err);
    assert_non_null (copy);
    kv_destroy (&copy);
    msgpack_sbuffer_destroy (&p.buf);
    char long_value [KV_VALUE_MAX + 2];
    memset (long_value, 'v', KV_VALUE_MAX + 1);
    long_value [KV_VALUE_MAX + 1] = '\0';
    const s_entry_spec_t value_too_long [] = { { "a", 1, long_value } };
    s_refused_entries (9, value_too_long, 1, "257-byte value", "value");

    //  Bad lengths and counts in the small snapshot (offsets in its layout:
    //  6 the entries array, 7 the first entry's array, 8 its key, 16 its value).
    const struct { size_t at; uint8_t byte; const char *why; } edits [] = {
        { 0, 0x83, "map of 3" }, { 0, 0x85, "map of 5" }, { 0, 0x93, "array, not map" },
        { 1, 0x01, "first key not 0" }, { 2, 0x01, "format 1 (before sessions)" }, { 2, 0x03, "format 3" }, { 2, 0xa1, "format as str" },
        { 3, 0x02, "second key not 1" }, { 4, 0xff, "negative applied" },
        { 5, 0x03, "third key not 2" }, { 6, 0x92, "entries array too short" },
        { 6, 0x94, "entries array too long" }, { 6, 0x80, "entries a map" },
        { 7, 0x92, "entry of 2" }, { 7, 0x94, "entry of 4" },
        { 8, 0xa5, "key length short" }, { 8, 0xa7, "key length long" },
        { 8, 0xc4, "key as bin" }, { 15, 0xc0, "version nil" },
        { 16, 0xa2, "value as str" }, { 17, 0x01, "value length short" },
        { 17, 0x03, "value length long" }, { 10, '\0', "NUL in key" },
    };
    for (size_t i = 0; i < ARRAY_SIZE (edits); i++) {
        memcpy (bad, good, size);
        bad [edits [i].at] = edits [i].byte;
        s_refused (bad, size, edits [i].why);
    }
    //  ... and in its sessions pair, the last two bytes (key 3, empty array)
    const struct { uint8_t key, array; const char *why; } tail [] = {
        { 0x04, 0x90, "fourth key not 3" }, { 0x02, 0x90, "fourth key 2" },
        { 0x03, 0x91, "sessions array too long" }, { 0x03, 0x80, "sessions a map" },
        { 0x03, 0xc0, "sessions nil" },
    };
    for (size_t i = 0; i < ARRAY_SIZE (tail); i++) {
        memcpy (bad, good, size);
        bad [size - 2] = tail [i].key;
        bad [size - 1] = tail [i].array;
        s_refused (bad, size, tail [i].why);
    }
    //  The format-1 layout (three pairs, no sessions) is refused by name
    memcpy (bad, good, size - 2);
    bad [0] = 0x83;
    bad [2] = 0x01;
    s_refused_with (bad, size - 2, "format 1 layout", "map of 4 pairs");

    //  Non-canonical encodings of valid content: a small integer in a longer
    //  form, a short key or value with a longer length header.
    const uint8_t uint8_applied [] = { 0x84, 0x00, 0x02, 0x01, 0xcc, 0x09, 0x02, 0x90, 0x03, 0x90 };
    s_refused_with (uint8_applied, sizeof uint8_applied, "applied as uint8", "canonical");
    const uint8_t int8_applied [] = { 0x84, 0x00, 0x02, 0x01, 0xd0, 0x09, 0x02, 0x90, 0x03, 0x90 };
    s_refused_with (int8_applied, sizeof int8_applied, "applied as int8", "canonical");
    const uint8_t int16_applied [] = { 0x84, 0x00, 0x02, 0x01, 0xd1, 0x01, 0x00, 0x02, 0x90, 0x03, 0x90 };
    s_refused_with (int16_applied, sizeof int16_applied, "applied 256 as int16", "canonical");
    const uint8_t canonical_256 [] = { 0x84, 0x00, 0x02, 0x01, 0xcd, 0x01, 0x00, 0x02, 0x90, 0x03, 0x90 };
    copy = kv_snapshot_read (canonical_256, sizeof canonical_256, err, sizeof err);
    assert_non_null (copy);
    assert_int_equal (kv_applied_index (copy), 256);
    kv_destroy (&copy);
    const uint8_t array16 [] = { 0x84, 0x00, 0x02, 0x01, 0x09, 0x02, 0xdc, 0x00, 0x00, 0x03, 0x90 };
    s_refused_with (array16, sizeof array16, "empty array16", "canonical");
    const uint8_t map16 [] = { 0xde, 0x00, 0x04, 0x00, 0x02, 0x01, 0x09, 0x02, 0x90, 0x03, 0x90 };
    s_refused (map16, sizeof map16, "map16 header");
    const uint8_t str8_key [] = { 0x84, 0x00, 0x02, 0x01, 0x09, 0x02, 0x91,
                                  0x93, 0xd9, 0x01, 'a', 0x01, 0xc4, 0x00,
                              0x03, 0x90 };
    s_refused_with (str8_key, sizeof str8_key, "key as str8", "canonical");
    const uint8_t bin16_value [] = { 0x84, 0x00, 0x02, 0x01, 0x09, 0x02, 0x91,
                                     0x93, 0xa1, 'a', 0x01, 0xc5, 0x00, 0x00,
                              0x03, 0x90 };
    s_refused_with (bin16_value, sizeof bin16_value, "value as bin16", "canonical");
    const uint8_t fine [] = { 0x84, 0x00, 0x02, 0x01, 0x09, 0x02, 0x91,
                              0x93, 0xa1, 'a', 0x01, 0xc4, 0x00,
                              0x03, 0x90 };
    copy = kv_snapshot_read (fine, sizeof fine, err, sizeof err);
    assert_non_null (copy);
    kv_destroy (&copy);

    //  More entries than KV_KEYS_MAX, all present in the input.
    size_t big_size = 10 + (size_t) (KV_KEYS_MAX + 1) * 6;
    uint8_t *big = calloc (1, big_size);
    const uint8_t head [] = { 0x84, 0x00, 0x02, 0x01, 0xce, 0x00, 0x01, 0x86, 0xa1, 0x02,
                              0xdd, 0x00, 0x01, 0x86, 0xa1 };
    memcpy (big, head, sizeof head);
    s_refused_with (big, big_size, "KV_KEYS_MAX + 1 entries", "more than 100000");
    free (big);

    //  A declared count far beyond the input allocates nothing (a bomb).
    const uint8_t bomb [] = { 0x84, 0x00, 0x02, 0x01, 0x09, 0x02, 0xdd, 0xff, 0xff, 0xff, 0xff };
    s_refused (bomb, sizeof bomb, "array32 bomb");

    //  Any single-byte change is refused or re-encodes to exactly itself.
    const uint8_t masks [] = { 0x01, 0x02, 0x10, 0x20, 0x40, 0x80, 0xff };
    for (size_t at = 0; at < size; at++)
        for (size_t m = 0; m < ARRAY_SIZE (masks); m++) {
            memcpy (bad, good, size);
            bad [at] ^= masks [m];
            copy = kv_snapshot_read (bad, size, err, sizeof err);
            if (copy) {
                uint8_t again [64];
                assert_int_equal (kv_snapshot_size (copy), size);
                assert_int_equal (kv_snapshot_write (copy, again, sizeof again), 0);
                assert_memory_equal (again, bad, size);
                kv_destroy (&copy);
            }
        }
    free (good);
    kv_destroy (&kv);
}

//  --------------------------------------------------------------------------
//  Command encoding

static void
s_round_trip (const kv_command_t *cmd, size_t expected_size)
{
    uint8_t bytes [KV_COMMAND_BYTES_MAX];
    int size = kv_command_encode (cmd, bytes, sizeof bytes);
    assert_int_equal (size, expected_size);
    kv_command_t back;
    const char *why = "unset";
    assert_int_equal (kv_command_decode (bytes, (size_t) size, &back, &why), 0);
    assert_null (why);
    assert_int_equal (back.op, cmd->op);
    assert_int_equal (back.request_id, cmd->request_id);
    assert_string_equal (back.key, cmd->key);
    assert_memory_equal (back.client, cmd->client, sizeof back.client);
    if (cmd->op == KV_CAS || cmd->op == KV_DEL_IF)
        assert_int_equal (back.expected_version, cmd->expected_version);
    else
        assert_int_equal (back.expected_version, 0);
    if (cmd->op == KV_PUT || cmd->op == KV_CAS) {
        assert_int_equal (back.value_size, cmd->value_size);
        assert_memory_equal (back.value, cmd->value, cmd->value_size);
    }
    else
        assert_int_equal (back.value_size, 0);
    //  Too small a buffer, at every size: refused.
    for (int cap = 0; cap < size; cap++)
        assert_int_equal (kv_command_encode (cmd, bytes, (size_t) cap), -1);
}

static void
test_command_round_trip (void **state)
{
    (void) state;
    //  put: map of 4, op, request_id, key, value.
    kv_command_t cmd = s_cmd (KV_PUT, "capacity/st-marys/beds_available", 0, "12");
    cmd.request_id = 7;
    uint8_t bytes [KV_COMMAND_BYTES_MAX];
    const uint8_t put [] = { 0x84, 0x00, 0x01, 0x01, 0x07, 0x02, 0xd9, 32,
                             'c', 'a', 'p', 'a', 'c', 'i', 't', 'y', '/', 's', 't', '-', 'm', 'a',
                             'r', 'y', 's', '/', 'b', 'e', 'd', 's', '_', 'a', 'v', 'a', 'i', 'l',
                             'a', 'b', 'l', 'e', 0x04, 0xc4, 0x02, '1', '2' };
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), sizeof put);
    assert_memory_equal (bytes, put, sizeof put);
    s_round_trip (&cmd, sizeof put);

    //  The others, and the extremes.
    //  Sizes: map header, then key byte + value per field (request_id
    //  1000 + op is a uint16).
    cmd = s_cmd (KV_CAS, "a", 0, "");
    s_round_trip (&cmd, 1 + 2 + 4 + 3 + 2 + 3);
    cmd = s_cmd (KV_DEL, "a", 5, "ignored");
    cmd.request_id = UINT64_MAX;
    s_round_trip (&cmd, 1 + 2 + 10 + 3);
    cmd = s_cmd (KV_DEL_IF, "a", UINT64_MAX, NULL);
    s_round_trip (&cmd, 1 + 2 + 4 + 3 + 10);
    //  The largest command is exactly KV_COMMAND_BYTES_MAX; without its
    //  client (key 5, str8 of 32) 35 bytes less.
    cmd = s_cmd (KV_CAS, "", UINT64_MAX, NULL);
    cmd.request_id = UINT64_MAX;
    memset (cmd.key, 'Z', KV_KEY_MAX);
    cmd.value_size = KV_VALUE_MAX;
    memset (cmd.value, 0xc1, KV_VALUE_MAX);
    s_round_trip (&cmd, KV_COMMAND_BYTES_MAX - 35);
    memset (cmd.client, 'c', KV_CLIENT_MAX);
    s_round_trip (&cmd, KV_COMMAND_BYTES_MAX);
    //  A client on every op, at the end of the map
    cmd = s_cmd (KV_DEL, "a", 0, NULL);
    strcpy (cmd.client, "dispatch-1");
    s_round_trip (&cmd, 1 + 2 + 4 + 3 + (1 + 11));
    //  Every key character.
    cmd = s_cmd (KV_PUT, "ABCXYZabcxyz0189._/-", 0, "x");
    s_round_trip (&cmd, 1 + 2 + 4 + (2 + 20) + (1 + 3));

    //  Encode refuses what check refuses.
    const char *why;
    cmd = s_cmd (KV_PUT, "a b", 0, "x");
    assert_int_equal (kv_command_check (&cmd, &why), -1);
    assert_non_null (why);
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    cmd = s_cmd (KV_PUT, "", 0, "x");
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    cmd = s_cmd (KV_PUT, "", 0, "x");
    memset (cmd.key, 'k', sizeof cmd.key);          //  No NUL at all
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    cmd = s_cmd (KV_PUT, "a", 0, "x");
    cmd.value_size = KV_VALUE_MAX + 1;
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    cmd = s_cmd ((kv_op_t) 0, "a", 0, "x");
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    cmd = s_cmd ((kv_op_t) 5, "a", 0, "x");
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    cmd = s_cmd (KV_DEL_IF, "a", 0, NULL);
    assert_int_equal (kv_command_encode (&cmd, bytes, sizeof bytes), -1);
    assert_int_equal (kv_command_check (&cmd, NULL), -1);
    //  A del ignores a value size it does not carry.
    cmd = s_cmd (KV_DEL, "a", 0, NULL);
    cmd.value_size = 1000;
    assert_int_equal (kv_command_check (&cmd, NULL), 0);
}

//  Which fields to write, and how, for a hand-made command.
typedef struct {
    int keys [8];               //  Map keys in order; -1 ends
    int pairs;                  //  Declared pairs; 0: the number of keys
} s_layout_t;

//  Pack a command map: each key of layout with a sensible value of its
//  field, or (key >= 100) key - 100 with a nil.
static void
s_pack_command (s_pack_t *p, const s_layout_t *layout, uint64_t op)
{
    s_pack_init (p);
    int n = 0;
    while (n < 8 && layout->keys [n] >= 0)
        n++;
    msgpack_pack_map (&p->pk, (size_t) (layout->pairs ? layout->pairs : n));
    for (int i = 0; i < n; i++) {
        int key = layout->keys [i];
        msgpack_pack_uint64 (&p->pk, (uint64_t) (key >= 100 ? key - 100 : key));
        switch (key) {
            case 0:  msgpack_pack_uint64 (&p->pk, op); break;
            case 1:  msgpack_pack_uint64 (&p->pk, 42); break;
            case 2:  s_pack_str (p, "beds"); break;
            case 3:  msgpack_pack_uint64 (&p->pk, 3); break;
            case 4:  msgpack_pack_bin_with_body (&p->pk, "v", 1); break;
            default: msgpack_pack_nil (&p->pk); break;
        }
    }
}

static int
s_decode_layout (const s_layout_t *layout, uint64_t op)
{
    s_pack_t p;
    s_pack_command (&p, layout, op);
    kv_command_t cmd;
    const char *why = NULL;
    int rc = kv_command_decode ((const uint8_t *) p.buf.data, p.buf.size, &cmd, &why);
    assert_true (rc == 0 ? why == NULL : why != NULL);
    if (rc != 0) {
        kv_command_t zero;
        memset (&zero, 0, sizeof zero);
        assert_memory_equal (&cmd, &zero, sizeof cmd);      //  Zeroed on failure
    }
    msgpack_sbuffer_destroy (&p.buf);
    return rc;
}

//  A hand-made body of raw bytes: refused.
static void
s_command_refused (const uint8_t *bytes, size_t size, const char *what)
{
    kv_command_t cmd;
    const char *why = NULL;
    if (kv_command_decode (bytes, size, &cmd, &why) == 0)
        fail_msg ("accepted: %s", what);
    assert_non_null (why);
}

//  A del of key (request_id 1), with client if not NULL, packed into p.
static void
s_pack_del (s_pack_t *p, const char *key, const char *client)
{
    s_pack_init (p);
    msgpack_pack_map (&p->pk, client ? 4 : 3);
    msgpack_pack_uint64 (&p->pk, 0);
    msgpack_pack_uint64 (&p->pk, KV_DEL);
    msgpack_pack_uint64 (&p->pk, 1);
    msgpack_pack_uint64 (&p->pk, 1);
    msgpack_pack_uint64 (&p->pk, 2);
    s_pack_str (p, key);
    if (client) {
        msgpack_pack_uint64 (&p->pk, 5);
        s_pack_str (p, client);
    }
}

static void
test_command_rejects (void **state)
{
    (void) state;
    //  The right fields for each op, and each wrong combination.
    const s_layout_t put = { { 0, 1, 2, 4, -1 }, 0 };
    const s_layout_t cas = { { 0, 1, 2, 3, 4, -1 }, 0 };
    const s_layout_t del = { { 0, 1, 2, -1 }, 0 };
    const s_layout_t del_if = { { 0, 1, 2, 3, -1 }, 0 };
    assert_int_equal (s_decode_layout (&put, KV_PUT), 0);
    assert_int_equal (s_decode_layout (&cas, KV_CAS), 0);
    assert_int_equal (s_decode_layout (&del, KV_DEL), 0);
    assert_int_equal (s_decode_layout (&del_if, KV_DEL_IF), 0);
    assert_int_equal (s_decode_layout (&cas, KV_PUT), -1);      //  put with expected_version
    assert_int_equal (s_decode_layout (&put, KV_CAS), -1);      //  cas without it
    assert_int_equal (s_decode_layout (&put, KV_DEL), -1);      //  del with a value
    assert_int_equal (s_decode_layout (&del, KV_PUT), -1);      //  put without a value
    assert_int_equal (s_decode_layout (&del_if, KV_DEL), -1);
    assert_int_equal (s_decode_layout (&del, KV_DEL_IF), -1);
    assert_int_equal (s_decode_layout (&cas, 0), -1);           //  Unknown ops
    assert_int_equal (s_decode_layout (&cas, 5), -1);
    assert_int_equal (s_decode_layout (&cas, 1ULL << 40), -1);

    const s_layout_t refused [] = {
        { { 0, 1, 2, 4, 5, -1 }, 0 },           //  Unknown key 5
        { { 0, 1, 2, 4, 127, -1 }, 0 },         //  Unknown key 127
        { { 0, 1, 2, 4, 4, -1 }, 0 },           //  Repeated key
        { { 0, 2, 1, 4, -1 }, 0 },              //  Out of order
        { { 1, 0, 2, 4, -1 }, 0 },              //  op not first
        { { 1, 2, 4, -1 }, 0 },                 //  No op
        { { 0, 2, 4, -1 }, 0 },                 //  No request_id
        { { 0, 1, 4, -1 }, 0 },                 //  No key
        { { 0, 1, 2, 4, -1 }, 3 },              //  Declares 3 pairs, holds 4: trailing
        { { 0, 1, 2, 4, -1 }, 5 },              //  Declares 5, holds 4: truncated
        { { 0, 1, 2, -1 }, 0 },                 //  put without a value
        { { 100, 1, 2, 4, -1 }, 0 },            //  op nil
        { { 0, 101, 2, 4, -1 }, 0 },            //  request_id nil
        { { 0, 1, 102, 4, -1 }, 0 },            //  key nil
        { { 0, 1, 2, 104, -1 }, 0 },            //  value nil
    };
    for (size_t i = 0; i < ARRAY_SIZE (refused); i++)
        if (s_decode_layout (&refused [i], KV_PUT) == 0)
            fail_msg ("layout %zu accepted", i);
    const s_layout_t expected_nil = { { 0, 1, 2, 103, 4, -1 }, 0 };
    assert_int_equal (s_decode_layout (&expected_nil, KV_CAS), -1);

    //  Not a map, an empty map, too many pairs, trailing bytes.
    const uint8_t array [] = { 0x91, 0x00 };
    s_command_refused (array, sizeof array, "array");
    const uint8_t empty [] = { 0x80 };
    s_command_refused (empty, sizeof empty, "empty map");
    s_command_refused (NULL, 0, "nothing");
    const uint8_t many [] = { 0x86, 0x00, 0x01, 0x01, 0x00, 0x02, 0xa1, 'a', 0x03, 0x00,
                              0x04, 0xc4, 0x00, 0x05, 0x00 };
    s_command_refused (many, sizeof many, "6 pairs");

    //  Map keys in another integer form than a positive fixint.
    const uint8_t wide_key [] = { 0x83, 0x00, 0x03, 0x01, 0x01, 0xcc, 0x02, 0xa1, 'a' };
    s_command_refused (wide_key, sizeof wide_key, "key as uint8");
    const uint8_t good_del [] = { 0x83, 0x00, 0x03, 0x01, 0x01, 0x02, 0xa1, 'a' };
    kv_command_t cmd;
    assert_int_equal (kv_command_decode (good_del, sizeof good_del, &cmd, NULL), 0);
    assert_int_equal (cmd.op, KV_DEL);
    assert_string_equal (cmd.key, "a");
    uint8_t trailing [sizeof good_del + 1];
    memcpy (trailing, good_del, sizeof good_del);
    trailing [sizeof good_del] = 0xc0;
    s_command_refused (trailing, sizeof trailing, "trailing byte");

    //  Wrong types for each field.
    const uint8_t op_str [] = { 0x83, 0x00, 0xa1, '3', 0x01, 0x01, 0x02, 0xa1, 'a' };
    s_command_refused (op_str, sizeof op_str, "op as str");
    const uint8_t op_negative [] = { 0x83, 0x00, 0xfd, 0x01, 0x01, 0x02, 0xa1, 'a' };
    s_command_refused (op_negative, sizeof op_negative, "op -3");
    const uint8_t id_negative [] = { 0x83, 0x00, 0x03, 0x01, 0xff, 0x02, 0xa1, 'a' };
    s_command_refused (id_negative, sizeof id_negative, "request_id -1");
    const uint8_t id_float [] = { 0x83, 0x00, 0x03, 0x01, 0xca, 0, 0, 0, 0, 0x02, 0xa1, 'a' };
    s_command_refused (id_float, sizeof id_float, "request_id float");
    const uint8_t id_bool [] = { 0x83, 0x00, 0x03, 0x01, 0xc3, 0x02, 0xa1, 'a' };
    s_command_refused (id_bool, sizeof id_bool, "request_id true");
    const uint8_t key_bin [] = { 0x83, 0x00, 0x03, 0x01, 0x01, 0x02, 0xc4, 0x01, 'a' };
    s_command_refused (key_bin, sizeof key_bin, "key as bin");
    const uint8_t key_array [] = { 0x83, 0x00, 0x03, 0x01, 0x01, 0x02, 0x91, 0xa1, 'a' };
    s_command_refused (key_array, sizeof key_array, "key as array");
    const uint8_t value_str [] = { 0x84, 0x00, 0x01, 0x01, 0x01, 0x02, 0xa1, 'a', 0x04, 0xa1, 'v' };
    s_command_refused (value_str, sizeof value_str, "value as str");
    const uint8_t value_ext [] = { 0x84, 0x00, 0x01, 0x01, 0x01, 0x02, 0xa1, 'a',
                                   0x04, 0xd4, 0x01, 'v' };
    s_command_refused (value_ext, sizeof value_ext, "value as ext");
    const uint8_t expected_negative [] = { 0x84, 0x00, 0x04, 0x01, 0x01, 0x02, 0xa1, 'a',
                                           0x03, 0xd0, 0x80 };
    s_command_refused (expected_negative, sizeof expected_negative, "expected_version -128");
    const uint8_t del_if_zero [] = { 0x84, 0x00, 0x04, 0x01, 0x01, 0x02, 0xa1, 'a', 0x03, 0x00 };
    s_command_refused (del_if_zero, sizeof del_if_zero, "del_if expected 0");

    //  Integers in longer forms are accepted (other encoders write them).
    const uint8_t wide_ints [] = { 0x84, 0x00, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0x04,
                                   0x01, 0xd0, 0x05, 0x02, 0xd9, 0x01, 'a',
                                   0x03, 0xcd, 0x00, 0x07 };
    const char *why;
    assert_int_equal (kv_command_decode (wide_ints, sizeof wide_ints, &cmd, &why), 0);
    assert_int_equal (cmd.op, KV_DEL_IF);
    assert_int_equal (cmd.request_id, 5);
    assert_int_equal (cmd.expected_version, 7);
    //  The largest command in the longest encodings: map32, uint64s, str32,
    //  bin32, 469 bytes (kv.h).
    uint8_t longest [469], *at = longest;
    const uint8_t map32 [] = { 0xdf, 0, 0, 0, 6 };
    memcpy (at, map32, 5);
    at += 5;
    for (uint8_t key = 0; key <= 3; key++) {
        if (key == 2) {
            const uint8_t str32 [] = { 0x02, 0xdb, 0, 0, 0, KV_KEY_MAX };
            memcpy (at, str32, 6);
            at += 6;
            memset (at, 'k', KV_KEY_MAX);
            at += KV_KEY_MAX;
            continue;
        }
        const uint8_t uint64 [] = { key, 0xcf, 0, 0, 0, 0, 0, 0, 0, key == 0 ? KV_CAS : 9 };
        memcpy (at, uint64, 10);
        at += 10;
    }
    const uint8_t bin32 [] = { 0x04, 0xc6, 0, 0, 0x01, 0x00 };
    memcpy (at, bin32, 6);
    at += 6;
    memset (at, 0xee, KV_VALUE_MAX);
    at += KV_VALUE_MAX;
    const uint8_t client32 [] = { 0x05, 0xdb, 0, 0, 0, KV_CLIENT_MAX };
    memcpy (at, client32, 6);
    at += 6;
    memset (at, 'c', KV_CLIENT_MAX);
    at += KV_CLIENT_MAX;
    assert_int_equal (at - longest, 469);
    assert_int_equal (kv_command_decode (longest, sizeof longest, &cmd, &why), 0);
    assert_int_equal (cmd.op, KV_CAS);
    assert_int_equal (cmd.value_size, KV_VALUE_MAX);
    uint8_t shortest [KV_COMMAND_BYTES_MAX];
    assert_int_equal (kv_command_encode (&cmd, shortest, sizeof shortest),
                      KV_COMMAND_BYTES_MAX - 16);

    //  Keys: empty, too long, every kind of bad character.
    s_pack_t p;
    const char *bad_keys [] = { "", "a b", "a:b", "a\\b", "caf\xc3\xa9", "a\tb", "a*", "a+b",
                                "a,b", "~", "a\x7f", "a\x01" };
    for (size_t i = 0; i < ARRAY_SIZE (bad_keys); i++) {
        s_pack_del (&p, bad_keys [i], NULL);
        s_command_refused ((const uint8_t *) p.buf.data, p.buf.size, bad_keys [i]);
        msgpack_sbuffer_destroy (&p.buf);
    }
    //  Clients: the member-id alphabet (no '/'), 1..32 characters, a str
    char long_client [KV_CLIENT_MAX + 2];
    memset (long_client, 'c', KV_CLIENT_MAX + 1);
    long_client [KV_CLIENT_MAX + 1] = '\0';
    const char *bad_clients [] = { "", "a b", "a/b", "a:b", "caf\xc3\xa9", long_client };
    for (size_t i = 0; i < ARRAY_SIZE (bad_clients); i++) {
        s_pack_del (&p, "a", bad_clients [i]);
        s_command_refused ((const uint8_t *) p.buf.data, p.buf.size, bad_clients [i]);
        msgpack_sbuffer_destroy (&p.buf);
        kv_command_t bad = s_cmd (KV_DEL, "a", 0, NULL);
        snprintf (bad.client, sizeof bad.client, "%s", bad_clients [i]);
        if (*bad_clients [i] && strlen (bad_clients [i]) <= KV_CLIENT_MAX)
            assert_int_equal (kv_command_check (&bad, NULL), -1);
    }
    //  ... as bin, or before a field it must follow, is refused too
    const uint8_t client_bin [] = { 0x84, 0x00, 0x03, 0x01, 0x01, 0x02, 0xa1, 'a', 0x05, 0xc4, 0x01, 'c' };
    s_command_refused (client_bin, sizeof client_bin, "client as bin");
    const uint8_t client_first [] = { 0x84, 0x00, 0x03, 0x05, 0xa1, 'c', 0x01, 0x01, 0x02, 0xa1, 'a' };
    s_command_refused (client_first, sizeof client_first, "client out of order");
    const uint8_t client_ok [] = { 0x84, 0x00, 0x03, 0x01, 0x01, 0x02, 0xa1, 'a', 0x05, 0xa1, 'c' };
    kv_command_t good_cmd;
    assert_int_equal (kv_command_decode (client_ok, sizeof client_ok, &good_cmd, NULL), 0);
    assert_string_equal (good_cmd.client, "c");
    const uint8_t nul_key [] = { 0x83, 0x00, 0x03, 0x01, 0x01, 0x02, 0xa3, 'a', 0x00, 'b' };
    s_command_refused (nul_key, sizeof nul_key, "NUL inside key");
    for (size_t length = KV_KEY_MAX; length <= KV_KEY_MAX + 1; length++) {
        char key [KV_KEY_MAX + 2];
        memset (key, 'k', length);
        key [length] = '\0';
        s_pack_del (&p, key, NULL);
        int rc = kv_command_decode ((const uint8_t *) p.buf.data, p.buf.size, &cmd, NULL);
        assert_int_equal (rc, length <= KV_KEY_MAX ? 0 : -1);
        msgpack_sbuffer_destroy (&p.buf);
    }
    //  Values: the longest, and one byte more.
    for (size_t length = KV_VALUE_MAX; length <= KV_VALUE_MAX + 1; length++) {
        uint8_t value [KV_VALUE_MAX + 1];
        memset (value, 0xab, sizeof value);
        s_pack_init (&p);
        msgpack_pack_map (&p.pk, 4);
        msgpack_pack_uint64 (&p.pk, 0);
        msgpack_pack_uint64 (&p.pk, KV_PUT);
        msgpack_pack_uint64 (&p.pk, 1);
        msgpack_pack_uint64 (&p.pk, 1);
        msgpack_pack_uint64 (&p.pk, 2);
        s_pack_str (&p, "a");
        msgpack_pack_uint64 (&p.pk, 4);
        msgpack_pack_bin_with_body (&p.pk, value, length);
        int rc = kv_command_decode ((const uint8_t *) p.buf.data, p.buf.size, &cmd, NULL);
        assert_int_equal (rc, length <= KV_VALUE_MAX ? 0 : -1);
        if (rc == 0)
            assert_int_equal (cmd.value_size, KV_VALUE_MAX);
        msgpack_sbuffer_destroy (&p.buf);
    }
    //  A declared length far beyond the input (an allocation bomb) is refused.
    const uint8_t bomb [] = { 0x84, 0x00, 0x01, 0x01, 0x01, 0x02, 0xa1, 'a',
                              0x04, 0xc6, 0xff, 0xff, 0xff, 0xff };
    s_command_refused (bomb, sizeof bomb, "bin32 bomb");

    //  Truncated at every length (the largest command).
    cmd = s_cmd (KV_CAS, "", UINT64_MAX, NULL);
    memset (cmd.key, 'Z', KV_KEY_MAX);
    cmd.request_id = UINT64_MAX;
    cmd.value_size = KV_VALUE_MAX;
    memset (cmd.client, 'c', KV_CLIENT_MAX);
    uint8_t bytes [KV_COMMAND_BYTES_MAX];
    int size = kv_command_encode (&cmd, bytes, sizeof bytes);
    assert_int_equal (size, KV_COMMAND_BYTES_MAX);
    for (int length = 0; length < size; length++)
        s_command_refused (bytes, (size_t) length, "truncated");
    assert_int_equal (kv_command_decode (bytes, (size_t) size, &cmd, NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_put_get_overwrite),
        cmocka_unit_test (test_cas),
        cmocka_unit_test (test_del),
        cmocka_unit_test (test_apply_rules),
        cmocka_unit_test (test_list),
        cmocka_unit_test (test_full_small_limit),
        cmocka_unit_test (test_full_real_limit),
        cmocka_unit_test (test_determinism),
        cmocka_unit_test (test_retries_take_effect_once),
        cmocka_unit_test (test_sessions_are_bounded),
        cmocka_unit_test (test_sessions_in_snapshots),
        cmocka_unit_test (test_snapshot_round_trip),
        cmocka_unit_test (test_snapshot_rejects),
        cmocka_unit_test (test_command_round_trip),
        cmocka_unit_test (test_command_rejects),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
