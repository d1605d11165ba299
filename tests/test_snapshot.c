/*  Tests for snapshot.h: round trip, absence, refusal of truncated,
    damaged, oversized or foreign files, and a leftover temporary file.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "snapshot.h"
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir [64];
static char path [128];
static char temp [128];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (dir, sizeof dir, "/tmp/meshsnap-XXXXXX");
    assert_non_null (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/" SNAPSHOT_FILE, dir);
    snprintf (temp, sizeof temp, "%s/" SNAPSHOT_TEMP_FILE, dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    unlink (path);
    unlink (temp);
    rmdir (dir);
    return 0;
}

static uint8_t *
s_state (size_t size, uint8_t seed)
{
    uint8_t *data = malloc (size + 1);
    for (size_t i = 0; i < size; i++)
        data [i] = (uint8_t) (seed + i * 7 + (i >> 8));
    return data;
}

static void
s_write (const char *name, const uint8_t *bytes, size_t size)
{
    int fd = open (name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, bytes, size), (ssize_t) size);
    close (fd);
}

static uint8_t *
s_read (size_t *size)
{
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    *size = (size_t) info.st_size;
    uint8_t *image = malloc (*size + 1);
    int fd = open (path, O_RDONLY);
    assert_int_equal (read (fd, image, *size), (ssize_t) *size);
    close (fd);
    return image;
}

//  Load must fail with an error naming the file and containing want.
static void
s_load_fails (const char *want)
{
    uint64_t index = 99, term = 99;
    uint8_t *data = (uint8_t *) 1;
    size_t size = 99;
    char err [512];
    assert_int_equal (snapshot_load (dir, &index, &term, &data, &size, err, sizeof err), -1);
    if (!strstr (err, path) || !strstr (err, want))
        fail_msg ("error '%s' does not name %s and '%s'", err, path, want);
    assert_null (data);
    assert_int_equal (index, 0);
    assert_int_equal (size, 0);
}

static void
test_round_trip (void **state)
{
    (void) state;
    char err [512];
    const size_t sizes [] = { 0, 1, 1000, 3 * 1024 * 1024 + 17 };
    for (size_t i = 0; i < ARRAY_SIZE (sizes); i++) {
        uint8_t *saved = s_state (sizes [i], (uint8_t) i);
        assert_int_equal (snapshot_save (dir, 100 + i, 7 + i, saved, sizes [i], err, sizeof err),
                          0);
        struct stat info;
        assert_int_equal (stat (path, &info), 0);
        assert_int_equal (info.st_mode & 0777, 0600);
        assert_int_equal ((size_t) info.st_size,
                          SNAPSHOT_HEADER_BYTES + sizes [i] + SNAPSHOT_SUM_BYTES);
        assert_int_equal (access (temp, F_OK), -1);
        uint64_t index, term;
        uint8_t *data;
        size_t size;
        assert_int_equal (snapshot_load (dir, &index, &term, &data, &size, err, sizeof err), 0);
        assert_int_equal (index, 100 + i);
        assert_int_equal (term, 7 + i);
        assert_int_equal (size, sizes [i]);
        if (size)
            assert_memory_equal (data, saved, size);
        else
            assert_null (data);
        free (data);
        free (saved);
    }
}

static void
test_absent_is_index_zero (void **state)
{
    (void) state;
    char err [512];
    uint64_t index = 5, term = 5;
    uint8_t *data = (uint8_t *) 1;
    size_t size = 5;
    assert_int_equal (snapshot_load (dir, &index, &term, &data, &size, err, sizeof err), 0);
    assert_int_equal (index, 0);
    assert_int_equal (term, 0);
    assert_null (data);
    assert_int_equal (size, 0);
    //  Even in a directory that does not exist (a fresh node).
    char none [160];
    snprintf (none, sizeof none, "%s/none", dir);
    assert_int_equal (snapshot_load (none, &index, &term, &data, &size, err, sizeof err), 0);
    assert_int_equal (index, 0);
}

static void
test_truncated_at_every_length (void **state)
{
    (void) state;
    char err [512];
    uint8_t *saved = s_state (300, 3);
    assert_int_equal (snapshot_save (dir, 9, 2, saved, 300, err, sizeof err), 0);
    free (saved);
    size_t size;
    uint8_t *good = s_read (&size);
    for (size_t length = 0; length < size; length++) {
        s_write (path, good, length);
        s_load_fails ("truncated");
    }
    //  A trailing byte is refused too.
    uint8_t *longer = malloc (size + 1);
    memcpy (longer, good, size);
    longer [size] = 0;
    s_write (path, longer, size + 1);
    s_load_fails ("trailing bytes");
    free (longer);
    s_write (path, good, size);
    uint64_t index, term;
    uint8_t *data;
    size_t state_size;
    assert_int_equal (snapshot_load (dir, &index, &term, &data, &state_size, err, sizeof err), 0);
    assert_int_equal (index, 9);
    free (data);
    free (good);
}

static void
test_flipped_byte_anywhere (void **state)
{
    (void) state;
    char err [512];
    uint8_t *saved = s_state (64, 5);
    assert_int_equal (snapshot_save (dir, 3, 1, saved, 64, err, sizeof err), 0);
    free (saved);
    size_t size;
    uint8_t *good = s_read (&size);
    for (size_t at = 0; at < size; at++) {
        uint8_t *bad = malloc (size);
        memcpy (bad, good, size);
        bad [at] ^= 0x08;
        s_write (path, bad, size);
        free (bad);
        //  A flip in the size field reads as truncated or trailing bytes
        //  (or over the limit); anywhere else as a checksum mismatch.
        s_load_fails (at < 8 ? "bad magic" : at >= 32 && at < 40 ? "" : "checksum mismatch");
    }
    free (good);
}

//  Re-sum a hand-made image, to test the checks behind the checksum.
static void
s_resum (uint8_t *image, size_t size)
{
    crypto_generichash (image + size - SNAPSHOT_SUM_BYTES, SNAPSHOT_SUM_BYTES, image,
                        size - SNAPSHOT_SUM_BYTES, NULL, 0);
}

static void
test_bad_headers (void **state)
{
    (void) state;
    char err [512];
    assert_int_equal (snapshot_save (dir, 3, 1, (const uint8_t *) "abc", 3, err, sizeof err), 0);
    size_t size;
    uint8_t *good = s_read (&size);
    uint8_t bad [128];
    //  Another version.
    memcpy (bad, good, size);
    bad [8] = 2;
    s_resum (bad, size);
    s_write (path, bad, size);
    s_load_fails ("unsupported snapshot version 2");
    //  Index 0.
    memcpy (bad, good, size);
    memset (bad + 16, 0, 8);
    s_resum (bad, size);
    s_write (path, bad, size);
    s_load_fails ("malformed");
    //  A size claim over the limit: refused before anything is read.
    memcpy (bad, good, size);
    memset (bad + 32, 0xff, 8);
    s_write (path, bad, size);
    s_load_fails ("more than 67108864");
    uint64_t index, term;
    const uint8_t *data;
    size_t state_size;
    assert_int_equal (snapshot_decode (bad, size, "image", &index, &term, &data, &state_size,
                                       err, sizeof err), -1);
    assert_non_null (strstr (err, "offset 32"));
    free (good);
}

//  A file larger than any snapshot is refused from its size alone, before
//  an allocation (sparse, so this costs no disk).
static void
test_oversized_file (void **state)
{
    (void) state;
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (ftruncate (fd, (off_t) SNAPSHOT_BYTES_MAX + 1024), 0);
    close (fd);
    s_load_fails ("more than a snapshot can hold");
}

//  A crash before the rename leaves snapshot.tmp: load ignores it (the
//  old snapshot stands), and the next save replaces it.
static void
test_leftover_temp_file (void **state)
{
    (void) state;
    char err [512];
    assert_int_equal (snapshot_save (dir, 4, 2, (const uint8_t *) "old", 3, err, sizeof err), 0);
    s_write (temp, (const uint8_t *) "IMSHSNAP half written", 21);
    uint64_t index, term;
    uint8_t *data;
    size_t size;
    assert_int_equal (snapshot_load (dir, &index, &term, &data, &size, err, sizeof err), 0);
    assert_int_equal (index, 4);
    assert_int_equal (size, 3);
    assert_memory_equal (data, "old", 3);
    free (data);
    assert_int_equal (snapshot_save (dir, 8, 3, (const uint8_t *) "newer", 5, err, sizeof err), 0);
    assert_int_equal (access (temp, F_OK), -1);
    assert_int_equal (snapshot_load (dir, &index, &term, &data, &size, err, sizeof err), 0);
    assert_int_equal (index, 8);
    assert_int_equal (term, 3);
    assert_memory_equal (data, "newer", 5);
    free (data);
    //  With only a temp file (a crash during the first save): no snapshot.
    unlink (path);
    s_write (temp, (const uint8_t *) "junk", 4);
    assert_int_equal (snapshot_load (dir, &index, &term, &data, &size, err, sizeof err), 0);
    assert_int_equal (index, 0);
}

static void
test_save_refuses_bad_arguments (void **state)
{
    (void) state;
    char err [512];
    const uint8_t byte = 1;
    assert_int_equal (snapshot_save (dir, 0, 1, &byte, 1, err, sizeof err), -1);
    assert_int_equal (snapshot_save (dir, 1, 0, &byte, 1, err, sizeof err), -1);
    //  Over the limit (the data is never read: the size is checked first).
    assert_int_equal (snapshot_save (dir, 1, 1, &byte, (size_t) SNAPSHOT_BYTES_MAX + 1,
                                     err, sizeof err), -1);
    assert_non_null (strstr (err, "limit"));
    assert_int_equal (access (path, F_OK), -1);
    //  A directory that does not exist.
    char none [160];
    snprintf (none, sizeof none, "%s/none", dir);
    assert_int_equal (snapshot_save (none, 1, 1, &byte, 1, err, sizeof err), -1);
    assert_non_null (strstr (err, "none/" SNAPSHOT_TEMP_FILE));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_round_trip, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_absent_is_index_zero, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_truncated_at_every_length, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_flipped_byte_anywhere, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_headers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_oversized_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_leftover_temp_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_save_refuses_bad_arguments, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
