/*  snapshot: the state machine's snapshot file. See snapshot.h for the
    layout and the crash-safety reasoning.
*/
#define _POSIX_C_SOURCE 200809L
#include "errmsg.h"
#include "snapshot.h"
#include "diskio.h"
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SNAPSHOT_MAGIC      "IMSHSNAP"
#define SNAPSHOT_PATH_MAX   4096
#define SNAPSHOT_DIR_MAX    (SNAPSHOT_PATH_MAX - 32)    //  Leaves room for "/snapshot.tmp"
#define SNAPSHOT_FILE_MAX   ((uint64_t) SNAPSHOT_HEADER_BYTES + SNAPSHOT_BYTES_MAX \
                             + SNAPSHOT_SUM_BYTES)
#define SNAPSHOT_REMEDY     "restore it rather than delete it (the log no longer holds the " \
                            "entries it covers)"

int
snapshot_decode (const uint8_t *image, size_t image_size, const char *path, uint64_t *index,
                 uint64_t *term, const uint8_t **data, size_t *size, char *err, size_t err_size)
{
    if (image_size < SNAPSHOT_HEADER_BYTES + SNAPSHOT_SUM_BYTES)
        return errmsg_set (err, err_size, "%s: %zu bytes, shorter than an empty snapshot: "
                           "truncated; " SNAPSHOT_REMEDY, path, image_size);
    if (memcmp (image, SNAPSHOT_MAGIC, 8) != 0)
        return errmsg_set (err, err_size, "%s: offset 0: bad magic: not an incidentmesh snapshot",
                           path);
    uint64_t declared = diskio_get64 (image + 32);
    if (declared > SNAPSHOT_BYTES_MAX)
        return errmsg_set (err, err_size, "%s: offset 32: snapshot claims %" PRIu64 " state "
                           "bytes, more than %u: corrupt; " SNAPSHOT_REMEDY, path, declared,
                           SNAPSHOT_BYTES_MAX);
    size_t expected = SNAPSHOT_HEADER_BYTES + (size_t) declared + SNAPSHOT_SUM_BYTES;
    if (image_size != expected)
        return errmsg_set (err, err_size, "%s: %zu bytes, but its header says %zu: %s; "
                           SNAPSHOT_REMEDY, path, image_size, expected,
                           image_size < expected ? "truncated" : "trailing bytes");
    uint8_t sum [SNAPSHOT_SUM_BYTES];
    size_t body = image_size - SNAPSHOT_SUM_BYTES;
    crypto_generichash (sum, sizeof sum, image, body, NULL, 0);
    if (sodium_memcmp (sum, image + body, SNAPSHOT_SUM_BYTES) != 0)
        return errmsg_set (err, err_size, "%s: checksum mismatch: the snapshot is corrupt; "
                           SNAPSHOT_REMEDY, path);
    uint32_t version = (uint32_t) image [8] | (uint32_t) image [9] << 8
                     | (uint32_t) image [10] << 16 | (uint32_t) image [11] << 24;
    if (version != SNAPSHOT_VERSION)
        return errmsg_set (err, err_size, "%s: offset 8: unsupported snapshot version %" PRIu32,
                           path, version);
    uint64_t at_index = diskio_get64 (image + 16);
    uint64_t at_term = diskio_get64 (image + 24);
    if (image [12] || image [13] || image [14] || image [15] || at_index == 0 || at_term == 0)
        return errmsg_set (err, err_size, "%s: malformed snapshot header (index %" PRIu64
                           ", term %" PRIu64 ")", path, at_index, at_term);
    *index = at_index;
    *term = at_term;
    *data = image + SNAPSHOT_HEADER_BYTES;
    *size = (size_t) declared;
    return 0;
}

int
snapshot_save (const char *dir, uint64_t index, uint64_t term, const uint8_t *data,
               size_t size, char *err, size_t err_size)
{
    if (strlen (dir) >= SNAPSHOT_DIR_MAX)
        return errmsg_set (err, err_size, "%s: path too long", dir);
    if (index == 0 || term == 0)
        return errmsg_set (err, err_size, "%s: snapshot at index %" PRIu64 ", term %" PRIu64
                           ": both must be at least 1", dir, index, term);
    if (size > SNAPSHOT_BYTES_MAX || (size && !data))
        return errmsg_set (err, err_size, "%s: snapshot of %zu bytes, limit %u", dir, size,
                           SNAPSHOT_BYTES_MAX);
    uint8_t header [SNAPSHOT_HEADER_BYTES] = { 0 };
    memcpy (header, SNAPSHOT_MAGIC, 8);
    header [8] = SNAPSHOT_VERSION;
    diskio_put64 (header + 16, index);
    diskio_put64 (header + 24, term);
    diskio_put64 (header + 32, size);
    uint8_t sum [SNAPSHOT_SUM_BYTES];
    crypto_generichash_state hash;
    crypto_generichash_init (&hash, NULL, 0, sizeof sum);
    crypto_generichash_update (&hash, header, sizeof header);
    if (size)
        crypto_generichash_update (&hash, data, size);
    crypto_generichash_final (&hash, sum, sizeof sum);

    diskio_piece_t pieces [] = {
        { header, sizeof header }, { data, size }, { sum, sizeof sum }
    };
    if (diskio_replace (dir, SNAPSHOT_TEMP_FILE, SNAPSHOT_FILE, pieces, 3, false, err, err_size) < 0)
        return -1;
    return diskio_sync_dir (dir, err, err_size);
}

int
snapshot_load (const char *dir, uint64_t *index, uint64_t *term, uint8_t **data, size_t *size,
               char *err, size_t err_size)
{
    *index = 0;
    *term = 0;
    *data = NULL;
    *size = 0;
    if (strlen (dir) >= SNAPSHOT_DIR_MAX)
        return errmsg_set (err, err_size, "%s: path too long", dir);
    char path [SNAPSHOT_PATH_MAX];
    snprintf (path, sizeof path, "%s/" SNAPSHOT_FILE, dir);
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;               //  No snapshot yet
        return errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
    }
    struct stat info;
    if (fstat (fd, &info) != 0) {
        int saved = errno;
        close (fd);
        return errmsg_set (err, err_size, "%s: %s", path, strerror (saved));
    }
    //  The file's real size, bounded, decides the allocation; the header's
    //  claim is only checked against it.
    if (info.st_size < 0 || (uint64_t) info.st_size > SNAPSHOT_FILE_MAX) {
        close (fd);
        return errmsg_set (err, err_size, "%s: %jd bytes, more than a snapshot can hold (%"
                           PRIu64 "): not a snapshot this node wrote; " SNAPSHOT_REMEDY, path,
                           (intmax_t) info.st_size, SNAPSHOT_FILE_MAX);
    }
    size_t image_size = (size_t) info.st_size;
    uint8_t *image = (uint8_t *) malloc (image_size + 1);
    if (!image) {
        close (fd);
        return errmsg_set (err, err_size, "%s: out of memory reading %zu bytes", path, image_size);
    }
    //  Read one byte more than expected, to notice a file that grew.
    size_t done = 0;
    while (done <= image_size) {
        ssize_t got = read (fd, image + done, image_size + 1 - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            close (fd);
            free (image);
            return errmsg_set (err, err_size, "%s: read failed: %s", path, strerror (saved));
        }
        if (got == 0)
            break;
        done += (size_t) got;
    }
    close (fd);
    if (done != image_size) {
        free (image);
        return errmsg_set (err, err_size, "%s: changed size while being read", path);
    }
    const uint8_t *state;
    size_t state_size;
    if (snapshot_decode (image, image_size, path, index, term, &state, &state_size,
                         err, err_size) != 0) {
        free (image);
        *index = 0;
        *term = 0;
        return -1;
    }
    //  What we read must stay: a crashed process may have left the rename
    //  unsynced.
    if (diskio_sync_dir (dir, err, err_size) != 0) {
        free (image);
        *index = 0;
        *term = 0;
        return -1;
    }
    if (state_size) {
        memmove (image, state, state_size);
        *data = image;
        *size = state_size;
    }
    else
        free (image);
    return 0;
}
