/*  diskio: the file operations the node's durable modules share (state,
    logstore, snapshot): little-endian fixed-width integers, writing all of
    a buffer, fsync of a directory, and replacing a file atomically.

    Replacing: the pieces go to DIR/TEMP, which is fsynced and renamed over
    DIR/NAME. A crash leaves the old file or the new one, whole; the rename
    itself is durable only after diskio_sync_dir (the caller decides when,
    as a log that keeps the new file open syncs the directory once). On
    failure the old file is untouched and the temporary file removed.
*/
#ifndef MESH_DISKIO_H
#define MESH_DISKIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline void
diskio_put32 (uint8_t *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at [i] = (uint8_t) (value >> (8 * i));
}

static inline void
diskio_put64 (uint8_t *at, uint64_t value)
{
    for (int i = 0; i < 8; i++)
        at [i] = (uint8_t) (value >> (8 * i));
}

static inline uint32_t
diskio_get32 (const uint8_t *at)
{
    return (uint32_t) at [0] | (uint32_t) at [1] << 8 | (uint32_t) at [2] << 16
         | (uint32_t) at [3] << 24;
}

static inline uint64_t
diskio_get64 (const uint8_t *at)
{
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = (value << 8) | at [i];
    return value;
}

//  One piece of a file being written.
typedef struct {
    const void *data;
    size_t size;
} diskio_piece_t;

//  Write size bytes at offset (retrying short writes and EINTR). Returns 0,
//  or -1 with errno set (EIO for a write that made no progress).
int diskio_write_all (int fd, const void *data, size_t size, uint64_t offset);

//  fsync the directory dir, so that renames in it are durable. Returns 0,
//  or -1 with a message in err.
int diskio_sync_dir (const char *dir, char *err, size_t err_size);

//  Replace dir/name with the pieces (see the top). Returns the new file's
//  descriptor (open read-write) if keep_open, else 0 after closing it; -1
//  with a message in err naming the file.
int diskio_replace (const char *dir, const char *temp, const char *name,
                    const diskio_piece_t *pieces, size_t count, bool keep_open,
                    char *err, size_t err_size);

#endif
