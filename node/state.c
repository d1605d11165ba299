/*  state: the node's durable state. See state.h.

    Record layout, little-endian, STATE_RECORD_BYTES long:
        0   magic "IMSHSTAT"        8 bytes
        8   version (1)             u32
        12  reserved (0)            u32
        16  term                    u64
        24  incarnation             u64
        32  vote length, vote id    u8 + 64 bytes
        97  cluster length, id      u8 + 64 bytes
        162 zero padding            14 bytes
        176 BLAKE2b-128 of 0..175   16 bytes
*/
#define _POSIX_C_SOURCE 200809L
#include "errmsg.h"
#include "state.h"
#include "diskio.h"
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC     "IMSHSTAT"
#define STATE_VERSION   1
#define STATE_SUM_AT    176
#define STATE_PATH_MAX  4096
#define STATE_DIR_MAX   (STATE_PATH_MAX - 32)   //  Leaves room for "/state.tmp"

struct _state_t {
    char dir [STATE_DIR_MAX];           //  Data directory
    char cluster [STATE_ID_MAX + 1];    //  Cluster the record belongs to
    int lock_fd;                        //  Holds the flock
    uint64_t term;
    char vote [STATE_ID_MAX + 1];
    uint64_t incarnation;
};

static void
s_put_string (uint8_t *at, const char *text)
{
    size_t length = strlen (text);
    at [0] = (uint8_t) length;
    memcpy (at + 1, text, length);
}

static int
s_get_string (const uint8_t *at, char *text)
{
    size_t length = at [0];
    if (length > STATE_ID_MAX)
        return -1;
    memcpy (text, at + 1, length);
    text [length] = 0;
    if (strlen (text) != length)
        return -1;              //  Embedded NUL
    return 0;
}

static void
s_encode (const state_t *self, uint8_t *record)
{
    memset (record, 0, STATE_RECORD_BYTES);
    memcpy (record, STATE_MAGIC, 8);
    record [8] = STATE_VERSION;
    diskio_put64 (record + 16, self->term);
    diskio_put64 (record + 24, self->incarnation);
    s_put_string (record + 32, self->vote);
    s_put_string (record + 97, self->cluster);
    crypto_generichash (record + STATE_SUM_AT, 16, record, STATE_SUM_AT, NULL, 0);
}

int
state_decode (const uint8_t *record, size_t size, const char *cluster_id, uint64_t *term,
              char *vote, uint64_t *incarnation, const char *path, char *err, size_t err_size)
{
    if (size != STATE_RECORD_BYTES)
        return errmsg_set (err, err_size, "%s: %zu bytes, expected %d: truncated or not a state file; "
                        "restore it rather than delete it (a lost vote allows a double vote)",
                        path, size, STATE_RECORD_BYTES);
    if (memcmp (record, STATE_MAGIC, 8) != 0)
        return errmsg_set (err, err_size, "%s: not an incidentmesh state file", path);
    uint8_t sum [16];
    crypto_generichash (sum, 16, record, STATE_SUM_AT, NULL, 0);
    if (sodium_memcmp (sum, record + STATE_SUM_AT, 16) != 0)
        return errmsg_set (err, err_size, "%s: checksum mismatch: the state is corrupt; restore it "
                        "or, if this node may safely forget its vote, move it away", path);
    if (record [8] != STATE_VERSION || record [9] || record [10] || record [11])
        return errmsg_set (err, err_size, "%s: unsupported state version %u", path, record [8]);
    char cluster [STATE_ID_MAX + 1];
    if (s_get_string (record + 97, cluster) || s_get_string (record + 32, vote))
        return errmsg_set (err, err_size, "%s: malformed id in state record", path);
    if (strcmp (cluster, cluster_id) != 0)
        return errmsg_set (err, err_size, "%s: belongs to cluster '%s', not '%s'", path, cluster,
                        cluster_id);
    *term = diskio_get64 (record + 16);
    *incarnation = diskio_get64 (record + 24);
    return 0;
}

static void
s_path (const state_t *self, const char *name, char *path)
{
    snprintf (path, STATE_PATH_MAX, "%s/%s", self->dir, name);
}

state_t *
state_open (const char *dir, const char *cluster_id, char *err, size_t err_size)
{
    if (strlen (cluster_id) > STATE_ID_MAX || strlen (dir) >= STATE_DIR_MAX) {
        errmsg_set (err, err_size, "%s: path or cluster id too long", dir);
        return NULL;
    }
    if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
        errmsg_set (err, err_size, "%s: cannot create data directory: %s", dir, strerror (errno));
        return NULL;
    }
    state_t *self = (state_t *) calloc (1, sizeof (state_t));
    if (!self)
        return NULL;
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    snprintf (self->cluster, sizeof self->cluster, "%s", cluster_id);
    char path [STATE_PATH_MAX];
    s_path (self, STATE_LOCK_FILE, path);
    self->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->lock_fd < 0) {
        errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
        free (self);
        return NULL;
    }
    if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        errmsg_set (err, err_size, "%s: data directory is in use by another process", dir);
        state_destroy (&self);
        return NULL;
    }
    s_path (self, STATE_FILE, path);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return self;            //  A fresh node
        errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
        state_destroy (&self);
        return NULL;
    }
    uint8_t record [STATE_RECORD_BYTES + 1];
    ssize_t size = read (fd, record, sizeof record);
    close (fd);
    int rc;
    if (size < 0)
        rc = errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
    else
        rc = state_decode (record, (size_t) size, self->cluster, &self->term, self->vote,
                           &self->incarnation, path, err, err_size);
    if (rc)
        state_destroy (&self);
    return self;
}

void
state_destroy (state_t **self_p)
{
    if (self_p && *self_p) {
        state_t *self = *self_p;
        if (self->lock_fd >= 0)
            close (self->lock_fd);      //  Releases the flock
        free (self);
        *self_p = NULL;
    }
}

uint64_t
state_term (const state_t *self)
{
    return self->term;
}

const char *
state_vote (const state_t *self)
{
    return self->vote;
}

uint64_t
state_incarnation (const state_t *self)
{
    return self->incarnation;
}

//  Write the record for the current fields: temp file, fsync, rename,
//  fsync of the directory so the rename itself is durable.
static int
s_write (state_t *self, char *err, size_t err_size)
{
    uint8_t record [STATE_RECORD_BYTES];
    s_encode (self, record);
    diskio_piece_t piece = { record, sizeof record };
    if (diskio_replace (self->dir, STATE_FILE ".tmp", STATE_FILE, &piece, 1, false, err, err_size) < 0)
        return -1;
    return diskio_sync_dir (self->dir, err, err_size);
}

int
state_save (state_t *self, uint64_t term, const char *vote, char *err, size_t err_size)
{
    if (!vote)
        vote = "";
    if (strlen (vote) > STATE_ID_MAX)
        return errmsg_set (err, err_size, "vote id too long");
    state_t before = *self;
    self->term = term;
    snprintf (self->vote, sizeof self->vote, "%s", vote);
    if (s_write (self, err, err_size)) {
        //  Memory keeps matching the disk: the caller must not act on it.
        self->term = before.term;
        memcpy (self->vote, before.vote, sizeof self->vote);
        return -1;
    }
    return 0;
}

int
state_boot (state_t *self, char *err, size_t err_size)
{
    self->incarnation++;
    if (s_write (self, err, err_size)) {
        self->incarnation--;
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Replay high-water marks. Layout, little-endian:
//      0   magic "IMSHMARK"        8 bytes
//      8   version (1)             u32
//      12  count                   u32
//      16  count entries: id length u8, id 64 bytes, incarnation u64, seq u64
//      ..  BLAKE2b-128 of everything before it
#define MARKS_MAGIC         "IMSHMARK"
#define MARKS_ENTRY_BYTES   (1 + STATE_ID_MAX + 8 + 8)
#define MARKS_BYTES_MAX     (16 + STATE_MARKS_MAX * MARKS_ENTRY_BYTES + 16)

int
state_marks_save (state_t *self, const state_mark_t *marks, size_t count,
                  char *err, size_t err_size)
{
    if (count > STATE_MARKS_MAX)
        return errmsg_set (err, err_size, "more than %d replay marks", STATE_MARKS_MAX);
    uint8_t buffer [MARKS_BYTES_MAX];
    memset (buffer, 0, sizeof buffer);
    memcpy (buffer, MARKS_MAGIC, 8);
    buffer [8] = 1;
    buffer [12] = (uint8_t) count;
    size_t at = 16;
    for (size_t i = 0; i < count; i++) {
        if (strlen (marks [i].id) > STATE_ID_MAX)
            return errmsg_set (err, err_size, "replay mark id too long");
        s_put_string (buffer + at, marks [i].id);
        diskio_put64 (buffer + at + 1 + STATE_ID_MAX, marks [i].incarnation);
        diskio_put64 (buffer + at + 1 + STATE_ID_MAX + 8, marks [i].seq);
        at += MARKS_ENTRY_BYTES;
    }
    crypto_generichash (buffer + at, 16, buffer, at, NULL, 0);
    at += 16;
    char temp [STATE_PATH_MAX], path [STATE_PATH_MAX];
    s_path (self, STATE_MARKS_FILE ".tmp", temp);
    s_path (self, STATE_MARKS_FILE, path);
    int fd = open (temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return errmsg_set (err, err_size, "%s: %s", temp, strerror (errno));
    bool ok = write (fd, buffer, at) == (ssize_t) at;
    close (fd);
    if (!ok || rename (temp, path) != 0) {
        unlink (temp);
        return errmsg_set (err, err_size, "%s: cannot write replay marks", path);
    }
    return 0;
}

int
state_marks_load (state_t *self, state_mark_t *marks, size_t max, char *err, size_t err_size)
{
    char path [STATE_PATH_MAX];
    s_path (self, STATE_MARKS_FILE, path);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
    }
    uint8_t buffer [MARKS_BYTES_MAX + 1];
    ssize_t size = read (fd, buffer, sizeof buffer);
    close (fd);
    if (size < 0)
        return errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
    return state_marks_decode (buffer, (size_t) size, marks, max, path, err, err_size);
}

int
state_marks_decode (const uint8_t *buffer, size_t size, state_mark_t *marks, size_t max,
                    const char *path, char *err, size_t err_size)
{
    size_t count = size >= 16 ? buffer [12] : 0;
    if (size < 32 || memcmp (buffer, MARKS_MAGIC, 8) != 0 || buffer [8] != 1
    ||  buffer [9] || buffer [10] || buffer [11] || buffer [13] || buffer [14] || buffer [15]
    ||  count > STATE_MARKS_MAX || size != 16 + count * MARKS_ENTRY_BYTES + 16)
        return errmsg_set (err, err_size, "%s: not a replay marks file, or truncated", path);
    uint8_t sum [16];
    size_t body = size - 16;
    crypto_generichash (sum, 16, buffer, body, NULL, 0);
    if (sodium_memcmp (sum, buffer + body, 16) != 0)
        return errmsg_set (err, err_size, "%s: checksum mismatch", path);
    size_t loaded = 0;
    for (size_t i = 0; i < count && loaded < max; i++) {
        const uint8_t *entry = buffer + 16 + i * MARKS_ENTRY_BYTES;
        if (s_get_string (entry, marks [loaded].id))
            return errmsg_set (err, err_size, "%s: malformed id", path);
        marks [loaded].incarnation = diskio_get64 (entry + 1 + STATE_ID_MAX);
        marks [loaded].seq = diskio_get64 (entry + 1 + STATE_ID_MAX + 8);
        loaded++;
    }
    return (int) loaded;
}
