/*  snapshot: the state machine's snapshot in the node's data directory.

    One file, DIR/snapshot, holds the index and term of the last entry the
    snapshot covers and the state bytes (at most SNAPSHOT_BYTES_MAX).
    Layout, little-endian fixed-width integers:

        0   magic "IMSHSNAP"        8 bytes
        8   version (1)             u32
        12  reserved (0)            u32
        16  index                   u64     >= 1
        24  term                    u64     >= 1
        32  state size              u64     <= SNAPSHOT_BYTES_MAX
        40  state                   size bytes
        ..  BLAKE2b-128 of everything before it     16 bytes

    The file's size must be exactly 56 + state size: a truncated or
    extended file, a bad checksum, magic or version is an error naming the
    file, never a silent reset (a node that lost its snapshot has lost the
    committed prefix its log no longer holds). The declared size is checked
    against the limit and the bytes present before anything is read.

    Saving is atomic: DIR/snapshot.tmp is written and fsynced, renamed over
    DIR/snapshot, and the directory fsynced. A crash before the rename
    leaves the old snapshot (or none) and a snapshot.tmp, which load
    ignores and the next save overwrites; after it, the old or the new
    snapshot, each complete. Loading fsyncs the directory, so a rename that
    a crashed process left unsynced is durable before the node acts on it.

    The log's compaction (logstore_compact) must come after a successful
    snapshot_save, never before: then every crash leaves a snapshot that
    covers the log's base.
*/
#ifndef MESH_SNAPSHOT_H
#define MESH_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_FILE           "snapshot"
#define SNAPSHOT_TEMP_FILE      "snapshot.tmp"
#define SNAPSHOT_BYTES_MAX      (64u * 1024 * 1024)     //  State bytes
#define SNAPSHOT_HEADER_BYTES   40
#define SNAPSHOT_SUM_BYTES      16
#define SNAPSHOT_VERSION        1

//  Durably replace dir's snapshot with one covering entries through index
//  (at term) whose state is size bytes of data. Returns 0, or -1 with a
//  message in err; then the old snapshot is still the one on disk.
int snapshot_save (const char *dir, uint64_t index, uint64_t term, const uint8_t *data,
                   size_t size, char *err, size_t err_size);

//  Read dir's snapshot: index, term, and the state in a new buffer *data
//  of *size bytes (free it; NULL when size is 0). No snapshot: index 0,
//  term 0, no data, and 0 returned. -1 with err if it is corrupt,
//  truncated or unreadable.
int snapshot_load (const char *dir, uint64_t *index, uint64_t *term, uint8_t **data, size_t *size,
                   char *err, size_t err_size);

//  Decode a snapshot file image of image_size bytes (read from path, named
//  in errors): index, term, and *data pointing at the *size state bytes
//  inside image. Returns 0, or -1 with err. No I/O; load and the fuzzer
//  use it.
int snapshot_decode (const uint8_t *image, size_t image_size, const char *path, uint64_t *index,
                     uint64_t *term, const uint8_t **data, size_t *size, char *err,
                     size_t err_size);

#endif
