/*  Tests for state.h: durability, the boot counter, the directory lock,
    and refusal of truncated, corrupt or foreign state files.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "state.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir [64];
static char path [128];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (dir, sizeof dir, "/tmp/meshstate-XXXXXX");
    assert_non_null (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/" STATE_FILE, dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    char name [160];
    const char *files [] = { STATE_FILE, STATE_FILE ".tmp", STATE_LOCK_FILE,
                             STATE_MARKS_FILE, STATE_MARKS_FILE ".tmp" };
    for (size_t i = 0; i < ARRAY_SIZE (files); i++) {
        snprintf (name, sizeof name, "%s/%s", dir, files [i]);
        unlink (name);
    }
    rmdir (dir);
    return 0;
}

static void
test_fresh_save_reopen (void **state)
{
    (void) state;
    char err [256];
    state_t *s = state_open (dir, "east", err, sizeof err);
    assert_non_null (s);
    assert_int_equal (state_term (s), 0);
    assert_string_equal (state_vote (s), "");
    assert_int_equal (state_incarnation (s), 0);
    assert_int_equal (state_boot (s, err, sizeof err), 0);
    assert_int_equal (state_save (s, 7, "n3", err, sizeof err), 0);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    assert_int_equal (info.st_size, STATE_RECORD_BYTES);
    state_destroy (&s);
    assert_null (s);

    s = state_open (dir, "east", err, sizeof err);
    assert_non_null (s);
    assert_int_equal (state_term (s), 7);
    assert_string_equal (state_vote (s), "n3");
    assert_int_equal (state_incarnation (s), 1);
    assert_int_equal (state_boot (s, err, sizeof err), 0);
    assert_int_equal (state_incarnation (s), 2);
    assert_int_equal (state_save (s, 8, NULL, err, sizeof err), 0);
    state_destroy (&s);
    s = state_open (dir, "east", err, sizeof err);
    assert_int_equal (state_term (s), 8);
    assert_string_equal (state_vote (s), "");
    assert_int_equal (state_incarnation (s), 2);
    state_destroy (&s);
}

static void
test_directory_is_locked (void **state)
{
    (void) state;
    char err [256];
    state_t *a = state_open (dir, "east", err, sizeof err);
    assert_non_null (a);
    state_t *b = state_open (dir, "east", err, sizeof err);
    assert_null (b);
    assert_non_null (strstr (err, "in use"));
    state_destroy (&a);
    b = state_open (dir, "east", err, sizeof err);
    assert_non_null (b);
    state_destroy (&b);
}

static void
s_rewrite (const uint8_t *bytes, size_t size)
{
    int fd = open (path, O_WRONLY | O_TRUNC);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, bytes, size), (ssize_t) size);
    close (fd);
}

static void
test_bad_files_are_errors_not_resets (void **state)
{
    (void) state;
    char err [256];
    state_t *s = state_open (dir, "east", err, sizeof err);
    assert_int_equal (state_save (s, 42, "n1", err, sizeof err), 0);
    state_destroy (&s);
    uint8_t good [STATE_RECORD_BYTES];
    int fd = open (path, O_RDONLY);
    assert_int_equal (read (fd, good, sizeof good), (ssize_t) sizeof good);
    close (fd);

    //  Truncated at every length
    for (size_t size = 0; size < STATE_RECORD_BYTES; size += 17) {
        s_rewrite (good, size);
        assert_null (state_open (dir, "east", err, sizeof err));
        assert_non_null (strstr (err, "truncated"));
    }
    //  One flipped bit anywhere
    for (size_t at = 0; at < STATE_RECORD_BYTES; at++) {
        uint8_t bad [STATE_RECORD_BYTES];
        memcpy (bad, good, sizeof bad);
        bad [at] ^= 0x10;
        s_rewrite (bad, sizeof bad);
        assert_null (state_open (dir, "east", err, sizeof err));
    }
    //  Another cluster's state
    s_rewrite (good, sizeof good);
    assert_null (state_open (dir, "west", err, sizeof err));
    assert_non_null (strstr (err, "cluster 'east'"));
    //  And the good one still opens.
    s = state_open (dir, "east", err, sizeof err);
    assert_non_null (s);
    assert_int_equal (state_term (s), 42);
    state_destroy (&s);
}

//  Replay high-water marks survive a restart; a damaged file is an error.
static void
test_replay_marks (void **state)
{
    (void) state;
    char err [256];
    state_t *s = state_open (dir, "east", err, sizeof err);
    assert_non_null (s);
    state_mark_t marks [STATE_MARKS_MAX];
    assert_int_equal (state_marks_load (s, marks, STATE_MARKS_MAX, err, sizeof err), 0);
    state_mark_t saved [3] = {
        { "n1", 4, 1000 }, { "n2", 1, 7 }, { "ops", 1735689600000000ULL, 1 }
    };
    assert_int_equal (state_marks_save (s, saved, 3, err, sizeof err), 0);
    state_destroy (&s);
    s = state_open (dir, "east", err, sizeof err);
    assert_int_equal (state_marks_load (s, marks, STATE_MARKS_MAX, err, sizeof err), 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal (marks [i].id, saved [i].id);
        assert_int_equal (marks [i].incarnation, saved [i].incarnation);
        assert_int_equal (marks [i].seq, saved [i].seq);
    }
    assert_int_equal (state_marks_load (s, marks, 2, err, sizeof err), 2);   //  Capped
    //  Every flipped byte and every truncation is refused.
    char path [160];
    snprintf (path, sizeof path, "%s/" STATE_MARKS_FILE, dir);
    uint8_t good [512];
    int fd = open (path, O_RDONLY);
    ssize_t size = read (fd, good, sizeof good);
    close (fd);
    assert_true (size > 32);
    for (ssize_t at = 0; at < size; at += 3) {
        uint8_t bad [512];
        memcpy (bad, good, (size_t) size);
        bad [at] ^= 0x40;
        fd = open (path, O_WRONLY | O_TRUNC);
        assert_int_equal (write (fd, bad, (size_t) size), size);
        close (fd);
        assert_int_equal (state_marks_load (s, marks, STATE_MARKS_MAX, err, sizeof err), -1);
        fd = open (path, O_WRONLY | O_TRUNC);
        assert_int_equal (write (fd, good, (size_t) at), at);
        close (fd);
        assert_int_equal (state_marks_load (s, marks, STATE_MARKS_MAX, err, sizeof err), -1);
    }
    state_mark_t too_long = { .incarnation = 1, .seq = 1 };
    memset (too_long.id, 'x', STATE_ID_MAX);
    assert_int_equal (state_marks_save (s, &too_long, 1, err, sizeof err), 0);
    assert_int_equal (state_marks_save (s, saved, STATE_MARKS_MAX + 1, err, sizeof err), -1);
    state_destroy (&s);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_fresh_save_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_directory_is_locked, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_files_are_errors_not_resets, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_replay_marks, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
