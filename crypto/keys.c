/*  keys: Ed25519 identities and key files. See keys.h for the contract.

    The file handling is where the care goes: a secret key must never be
    readable by anyone else, not even for the moment between create and
    chmod (mkstemp creates 0600), must never be half-written under its
    final name (temp file, fsync, link), and must never silently replace
    another key (link fails with EEXIST where rename would overwrite).
*/
#define _POSIX_C_SOURCE 200809L
#include "keys.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct _keys_t {
    uint8_t public_key [KEYS_PUBLIC_BYTES];     //  Shared with every peer
    uint8_t secret_key [KEYS_SECRET_BYTES];     //  seed || public key (libsodium layout)
};

static const char s_secret_comment [] =
    "# incidentmesh Ed25519 secret key seed, hex. Keep private (mode 0600).\n";
static const char s_public_comment [] =
    "# incidentmesh Ed25519 public key, hex.\n";

//  Format an error message; err may be NULL.
static void
s_err (char *err, size_t err_size, const char *format, ...)
{
    if (!err || err_size == 0)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
}

keys_t *
keys_new_from_seed (const uint8_t seed [KEYS_SEED_BYTES])
{
    if (sodium_init () < 0)
        return NULL;
    keys_t *self = (keys_t *) sodium_malloc (sizeof (keys_t));
    if (!self)
        return NULL;
    crypto_sign_seed_keypair (self->public_key, self->secret_key, seed);
    return self;
}

keys_t *
keys_new (void)
{
    if (sodium_init () < 0)
        return NULL;
    uint8_t seed [KEYS_SEED_BYTES];
    randombytes_buf (seed, sizeof (seed));
    keys_t *self = keys_new_from_seed (seed);
    sodium_memzero (seed, sizeof (seed));
    return self;
}

void
keys_destroy (keys_t **self_p)
{
    if (self_p && *self_p) {
        keys_t *self = *self_p;
        //  sodium_free wipes too; the explicit wipe states the intent and
        //  does not depend on how the memory was obtained.
        sodium_memzero (self, sizeof (keys_t));
        sodium_free (self);
        *self_p = NULL;
    }
}

const uint8_t *
keys_public (const keys_t *self)
{
    return self->public_key;
}

const uint8_t *
keys_secret (const keys_t *self)
{
    return self->secret_key;
}

//  --------------------------------------------------------------------------
//  Hex

static bool
s_is_lower_hex (char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int
keys_hex_decode (const char *hex, size_t hex_len, uint8_t value [32])
{
    if (hex_len != KEYS_HEX_CHARS)
        return -1;
    for (size_t i = 0; i < hex_len; i++)
        if (!s_is_lower_hex (hex [i]))
            return -1;
    size_t bin_len = 0;
    //  libsodium's decoder runs in constant time for the digits themselves.
    if (sodium_hex2bin (value, 32, hex, hex_len, NULL, &bin_len, NULL) != 0
    ||  bin_len != 32)
        return -1;
    return 0;
}

void
keys_hex_encode (const uint8_t value [32], char hex [KEYS_HEX_CHARS + 1])
{
    sodium_bin2hex (hex, KEYS_HEX_CHARS + 1, value, 32);
}

//  --------------------------------------------------------------------------
//  Key file text

int
keys_parse_text (const char *text, size_t size, uint8_t value [32], char *err, size_t err_size)
{
    if (size > KEYS_FILE_BYTES_MAX) {
        s_err (err, err_size, "key file larger than %d bytes", KEYS_FILE_BYTES_MAX);
        return KEYS_MALFORMED;
    }
    size_t found = 0;
    size_t line_no = 0;
    size_t pos = 0;
    while (pos < size) {
        size_t start = pos;
        while (pos < size && text [pos] != '\n')
            pos++;
        size_t end = pos;               //  Exclusive; text[end] is '\n' or the end
        if (pos < size)
            pos++;                      //  Past the '\n'
        line_no++;
        if (end > start && text [start] == '#')
            continue;                   //  Comment: any content
        while (end > start
        && (text [end - 1] == ' ' || text [end - 1] == '\t' || text [end - 1] == '\r'))
            end--;
        if (end == start)
            continue;                   //  Empty line
        if (found) {
            s_err (err, err_size, "line %zu: more than one key line", line_no);
            return KEYS_MALFORMED;
        }
        if (keys_hex_decode (text + start, end - start, value) != 0) {
            //  Never echo the line: it may be (part of) a secret.
            s_err (err, err_size, "line %zu: expected exactly %d lowercase hex digits",
                   line_no, KEYS_HEX_CHARS);
            return KEYS_MALFORMED;
        }
        found++;
    }
    if (!found) {
        s_err (err, err_size, "no key line found");
        return KEYS_MALFORMED;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Files

//  Create path with content and mode, complete or not at all, refusing to
//  replace an existing file. Returns 0 or -1 with err.
static int
s_write_new_file (const char *path, const char *content, size_t size, mode_t mode,
                  char *err, size_t err_size)
{
    char tmp [PATH_MAX];
    if (snprintf (tmp, sizeof (tmp), "%s.tmp-XXXXXX", path) >= (int) sizeof (tmp)) {
        s_err (err, err_size, "path too long: '%s'", path);
        return -1;
    }
    //  mkstemp creates the file 0600 with O_EXCL, whatever the umask.
    int fd = mkstemp (tmp);
    if (fd < 0) {
        s_err (err, err_size, "cannot create a file next to '%s': %s", path, strerror (errno));
        return -1;
    }
    int rc = -1;
    size_t done = 0;
    if (fchmod (fd, mode) != 0) {
        s_err (err, err_size, "chmod '%s': %s", tmp, strerror (errno));
        goto out;
    }
    while (done < size) {
        ssize_t n = write (fd, content + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            s_err (err, err_size, "write '%s': %s", tmp, strerror (errno));
            goto out;
        }
        done += (size_t) n;
    }
    if (fsync (fd) != 0) {
        s_err (err, err_size, "fsync '%s': %s", tmp, strerror (errno));
        goto out;
    }
    if (link (tmp, path) != 0) {
        if (errno == EEXIST)
            s_err (err, err_size, "'%s' already exists; refusing to overwrite a key", path);
        else
            s_err (err, err_size, "cannot create '%s': %s", path, strerror (errno));
        goto out;
    }
    rc = 0;
out:
    close (fd);
    unlink (tmp);
    if (rc == 0) {
        //  Make the new name itself durable.
        char dir_buf [PATH_MAX];
        snprintf (dir_buf, sizeof (dir_buf), "%s", path);
        int dir_fd = open (dirname (dir_buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd >= 0) {
            fsync (dir_fd);
            close (dir_fd);
        }
    }
    return rc;
}

int
keys_save_secret (const keys_t *self, const char *path, char *err, size_t err_size)
{
    uint8_t seed [KEYS_SEED_BYTES];
    char text [sizeof (s_secret_comment) + KEYS_HEX_CHARS + 2];
    crypto_sign_ed25519_sk_to_seed (seed, self->secret_key);
    size_t len = strlen (s_secret_comment);
    memcpy (text, s_secret_comment, len);
    keys_hex_encode (seed, text + len);
    len += KEYS_HEX_CHARS;
    text [len++] = '\n';
    int rc = s_write_new_file (path, text, len, 0600, err, err_size);
    sodium_memzero (seed, sizeof (seed));
    sodium_memzero (text, sizeof (text));
    return rc;
}

int
keys_save_public (const uint8_t public_key [KEYS_PUBLIC_BYTES], const char *path,
                  char *err, size_t err_size)
{
    char text [sizeof (s_public_comment) + KEYS_HEX_CHARS + 2];
    size_t len = strlen (s_public_comment);
    memcpy (text, s_public_comment, len);
    keys_hex_encode (public_key, text + len);
    len += KEYS_HEX_CHARS;
    text [len++] = '\n';
    return s_write_new_file (path, text, len, 0644, err, err_size);
}

//  Read a key file into buf (KEYS_FILE_BYTES_MAX + 1 bytes). With secret,
//  refuse a file that group or others may access. Returns the size, or -1
//  with err.
static ssize_t
s_read_key_file (const char *path, bool secret, char *buf, char *err, size_t err_size)
{
    //  O_NONBLOCK: a FIFO planted at path must not hang us before fstat.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        s_err (err, err_size, "cannot open '%s': %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) != 0) {
        s_err (err, err_size, "cannot stat '%s': %s", path, strerror (errno));
        close (fd);
        return -1;
    }
    if (!S_ISREG (st.st_mode)) {
        s_err (err, err_size, "'%s' is not a regular file", path);
        close (fd);
        return -1;
    }
    if (secret && (st.st_mode & 077) != 0) {
        //  As OpenSSH does for private keys: any access by group or
        //  others means the key may be known elsewhere. Refuse it.
        s_err (err, err_size,
               "UNPROTECTED SECRET KEY FILE: permissions %04o for '%s' are too open; "
               "it must not be accessible by group or others (chmod 600 '%s'). "
               "Key ignored.",
               (unsigned) (st.st_mode & 07777), path, path);
        close (fd);
        return -1;
    }
    if (st.st_size > KEYS_FILE_BYTES_MAX) {
        s_err (err, err_size, "'%s' is larger than %d bytes; not a key file",
               path, KEYS_FILE_BYTES_MAX);
        close (fd);
        return -1;
    }
    size_t done = 0;
    while (done <= KEYS_FILE_BYTES_MAX) {
        ssize_t n = read (fd, buf + done, KEYS_FILE_BYTES_MAX + 1 - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s_err (err, err_size, "read '%s': %s", path, strerror (errno));
            close (fd);
            return -1;
        }
        if (n == 0)
            break;
        done += (size_t) n;
    }
    close (fd);
    if (done > KEYS_FILE_BYTES_MAX) {
        s_err (err, err_size, "'%s' is larger than %d bytes; not a key file",
               path, KEYS_FILE_BYTES_MAX);
        return -1;
    }
    return (ssize_t) done;
}

keys_t *
keys_load_secret (const char *path, char *err, size_t err_size)
{
    if (sodium_init () < 0) {
        s_err (err, err_size, "libsodium failed to initialise");
        return NULL;
    }
    char buf [KEYS_FILE_BYTES_MAX + 1];
    uint8_t seed [KEYS_SEED_BYTES];
    keys_t *self = NULL;
    ssize_t size = s_read_key_file (path, true, buf, err, err_size);
    if (size >= 0) {
        char why [KEYS_ERR_BYTES];
        if (keys_parse_text (buf, (size_t) size, seed, why, sizeof (why)) == 0) {
            self = keys_new_from_seed (seed);
            if (!self)
                s_err (err, err_size, "out of memory");
        }
        else
            s_err (err, err_size, "'%s': %s", path, why);
    }
    sodium_memzero (buf, sizeof (buf));
    sodium_memzero (seed, sizeof (seed));
    return self;
}

int
keys_load_public (const char *path, uint8_t public_key [KEYS_PUBLIC_BYTES],
                  char *err, size_t err_size)
{
    char buf [KEYS_FILE_BYTES_MAX + 1];
    ssize_t size = s_read_key_file (path, false, buf, err, err_size);
    if (size < 0)
        return -1;
    char why [KEYS_ERR_BYTES];
    if (keys_parse_text (buf, (size_t) size, public_key, why, sizeof (why)) != 0) {
        s_err (err, err_size, "'%s': %s", path, why);
        return KEYS_MALFORMED;
    }
    return 0;
}
