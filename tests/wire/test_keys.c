/*  test_keys: identities and key files. Mode 0600 on creation whatever the
    umask, no clobbering, refusal of secret files readable by others (as
    ssh refuses private keys), strict text format, and error messages that
    never echo key material.
*/
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "keys.h"

static char s_dir [256];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof (s_dir), "/tmp/mesh-test-keys-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    char cmd [300];
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

static void
s_path (char *buf, size_t size, const char *name)
{
    snprintf (buf, size, "%s/%s", s_dir, name);
}

static void
s_write (const char *path, const char *text, mode_t mode)
{
    unlink (path);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    assert_int_equal (fchmod (fd, mode), 0);
    close (fd);
}

static void
test_seed_derivation (void **state)
{
    (void) state;
    uint8_t seed [32], pk [32], sk [64];
    for (int i = 0; i < 32; i++)
        seed [i] = (uint8_t) i;
    keys_t *keys = keys_new_from_seed (seed);
    assert_non_null (keys);
    crypto_sign_seed_keypair (pk, sk, seed);
    assert_memory_equal (keys_public (keys), pk, 32);
    assert_memory_equal (keys_secret (keys), sk, 64);
    keys_destroy (&keys);
    assert_null (keys);
    keys_destroy (&keys);
    keys_destroy (NULL);
    //  Random identities differ
    keys_t *a = keys_new (), *b = keys_new ();
    assert_non_null (a);
    assert_non_null (b);
    assert_memory_not_equal (keys_public (a), keys_public (b), 32);
    keys_destroy (&a);
    keys_destroy (&b);
}

static void
test_save_and_load (void **state)
{
    (void) state;
    char secret [300], public [300], err [KEYS_ERR_BYTES];
    s_path (secret, sizeof (secret), "node.key");
    s_path (public, sizeof (public), "node.pub");
    keys_t *keys = keys_new ();
    assert_non_null (keys);
    //  Even with a permissive umask the secret file is 0600
    mode_t old = umask (0);
    assert_int_equal (keys_save_secret (keys, secret, err, sizeof (err)), 0);
    assert_int_equal (keys_save_public (keys_public (keys), public, err, sizeof (err)), 0);
    umask (old);
    struct stat st;
    assert_int_equal (stat (secret, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0600);
    assert_int_equal (stat (public, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0644);
    //  No temporary files left behind
    char cmd [400];
    snprintf (cmd, sizeof (cmd), "test $(ls -A '%s' | wc -l) -eq 2", s_dir);
    assert_int_equal (system (cmd), 0);

    //  The secret file holds the seed as hex on one line after a comment
    char text [KEYS_FILE_BYTES_MAX];
    FILE *file = fopen (secret, "r");
    assert_non_null (file);
    size_t size = fread (text, 1, sizeof (text) - 1, file);
    fclose (file);
    text [size] = 0;
    assert_int_equal (text [0], '#');
    char hex [KEYS_HEX_CHARS + 1];
    keys_hex_encode (keys_secret (keys), hex);          //  First 32 bytes: the seed
    assert_non_null (strstr (text, hex));

    keys_t *loaded = keys_load_secret (secret, err, sizeof (err));
    assert_non_null (loaded);
    assert_memory_equal (keys_public (loaded), keys_public (keys), 32);
    assert_memory_equal (keys_secret (loaded), keys_secret (keys), 64);
    uint8_t pk [32];
    assert_int_equal (keys_load_public (public, pk, err, sizeof (err)), 0);
    assert_memory_equal (pk, keys_public (keys), 32);

    //  Never replaces an existing key, and leaves it intact
    keys_t *other = keys_new ();
    assert_int_equal (keys_save_secret (other, secret, err, sizeof (err)), -1);
    assert_non_null (strstr (err, "already exists"));
    assert_int_equal (keys_save_public (keys_public (other), public, err, sizeof (err)), -1);
    keys_t *again = keys_load_secret (secret, err, sizeof (err));
    assert_memory_equal (keys_public (again), keys_public (keys), 32);
    //  Nor writes into a directory that does not exist
    char missing [300];
    s_path (missing, sizeof (missing), "no/such/dir.key");
    assert_int_equal (keys_save_secret (keys, missing, err, sizeof (err)), -1);
    keys_destroy (&again);
    keys_destroy (&other);
    keys_destroy (&loaded);
    keys_destroy (&keys);
}

static void
test_refuses_open_permissions (void **state)
{
    (void) state;
    char path [300], err [KEYS_ERR_BYTES];
    s_path (path, sizeof (path), "open.key");
    const char *text = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    mode_t bad [] = { 0640, 0604, 0644, 0660, 0666, 0610, 0601, 0620, 0602 };
    for (size_t i = 0; i < sizeof (bad) / sizeof (bad [0]); i++) {
        s_write (path, text, bad [i]);
        err [0] = 0;
        keys_t *keys = keys_load_secret (path, err, sizeof (err));
        assert_null (keys);
        assert_non_null (strstr (err, "too open"));
        assert_non_null (strstr (err, "chmod 600"));
        assert_non_null (strstr (err, path));
        char mode [8];
        snprintf (mode, sizeof (mode), "%04o", (unsigned) bad [i]);
        assert_non_null (strstr (err, mode));
    }
    //  Owner-only modes load
    mode_t good [] = { 0600, 0400, 0700 };
    for (size_t i = 0; i < 3; i++) {
        s_write (path, text, good [i]);
        keys_t *keys = keys_load_secret (path, err, sizeof (err));
        assert_non_null (keys);
        keys_destroy (&keys);
    }
    //  A public key file may be world-readable
    s_write (path, text, 0644);
    uint8_t pk [32];
    assert_int_equal (keys_load_public (path, pk, err, sizeof (err)), 0);
}

static void
test_refuses_non_files (void **state)
{
    (void) state;
    char path [300], err [KEYS_ERR_BYTES];
    assert_null (keys_load_secret (s_dir, err, sizeof (err)));
    assert_non_null (strstr (err, "not a regular file"));
    s_path (path, sizeof (path), "fifo.key");
    assert_int_equal (mkfifo (path, 0600), 0);
    assert_null (keys_load_secret (path, err, sizeof (err)));       //  Must not hang
    assert_non_null (strstr (err, "not a regular file"));
    s_path (path, sizeof (path), "absent.key");
    assert_null (keys_load_secret (path, err, sizeof (err)));
    assert_non_null (strstr (err, "cannot open"));
    uint8_t pk [32];
    assert_int_equal (keys_load_public (path, pk, err, sizeof (err)), -1);
    //  Larger than any key file
    s_path (path, sizeof (path), "big.key");
    char *big = malloc (KEYS_FILE_BYTES_MAX + 2);
    memset (big, '#', KEYS_FILE_BYTES_MAX + 1);
    big [KEYS_FILE_BYTES_MAX + 1] = 0;
    s_write (path, big, 0600);
    free (big);
    assert_null (keys_load_secret (path, err, sizeof (err)));
    assert_non_null (strstr (err, "larger than"));
}

static void
test_text_format (void **state)
{
    (void) state;
    const char *key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    uint8_t value [32], expect [32];
    for (int i = 0; i < 32; i++)
        expect [i] = (uint8_t) i;
    char text [512], err [KEYS_ERR_BYTES];
    struct { const char *format; int rc; } cases [] = {
        { "%s",                                 0 },
        { "%s\n",                               0 },
        { "# comment\n\n%s\n\n# trailer\n",     0 },
        { "%s\r\n",                             0 },
        { "%s \t\n",                            0 },
        { "#%s\n%s\n",                          0 },    //  A commented-out key is a comment
        { " %s\n",                              KEYS_MALFORMED },
        { "%s\n%s\n",                           KEYS_MALFORMED },
        { "%.63s\n",                            KEYS_MALFORMED },
        { "%sa\n",                              KEYS_MALFORMED },
        { "0x%s\n",                             KEYS_MALFORMED },
        { "",                                   KEYS_MALFORMED },
        { "# only a comment\n",                 KEYS_MALFORMED },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        snprintf (text, sizeof (text), cases [i].format, key, key);
        memset (value, 0, sizeof (value));
        int rc = keys_parse_text (text, strlen (text), value, err, sizeof (err));
        if (rc != cases [i].rc)
            fail_msg ("case %zu (%s): rc %d", i, cases [i].format, rc);
        if (rc == 0)
            assert_memory_equal (value, expect, 32);
        else
            assert_null (strstr (err, "0102030405"));  //  Never echoes key material
    }
    //  Uppercase is refused: one spelling per key
    snprintf (text, sizeof (text), "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
    assert_int_equal (keys_parse_text (text, strlen (text), value, err, sizeof (err)), KEYS_MALFORMED);
    //  A NUL inside the key line
    memcpy (text, key, 64);
    text [10] = 0;
    assert_int_equal (keys_parse_text (text, 64, value, err, sizeof (err)), KEYS_MALFORMED);
    //  Size cap, and not NUL-terminated input
    assert_int_equal (keys_parse_text (key, KEYS_FILE_BYTES_MAX + 1, value, err, sizeof (err)), KEYS_MALFORMED);
    assert_int_equal (keys_parse_text (key, 64, value, NULL, 0), 0);
    //  Hex helpers
    char hex [KEYS_HEX_CHARS + 1];
    keys_hex_encode (expect, hex);
    assert_string_equal (hex, key);
    assert_int_equal (keys_hex_decode (key, 64, value), 0);
    assert_int_equal (keys_hex_decode (key, 62, value), -1);
    assert_int_equal (keys_hex_decode ("zz", 2, value), -1);
}

static void
test_malformed_file_message (void **state)
{
    (void) state;
    char path [300], err [KEYS_ERR_BYTES];
    s_path (path, sizeof (path), "typo.key");
    //  One character short: the message names the line, not its content
    s_write (path, "# key\n000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n", 0600);
    assert_null (keys_load_secret (path, err, sizeof (err)));
    assert_non_null (strstr (err, "line 2"));
    assert_null (strstr (err, "0a0b0c"));
    uint8_t pk [32];
    assert_int_equal (keys_load_public (path, pk, err, sizeof (err)), KEYS_MALFORMED);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_seed_derivation),
        cmocka_unit_test_setup_teardown (test_save_and_load, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refuses_open_permissions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refuses_non_files, s_setup, s_teardown),
        cmocka_unit_test (test_text_format),
        cmocka_unit_test_setup_teardown (test_malformed_file_message, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
