/*  logstore: the durable Raft log in the node's data directory.

    The pure core says "append these entries", "truncate everything after
    index I" (a conflicting suffix), "persist before sending" and, once a
    snapshot covers a prefix, "compact through index I". This module does
    that on disk and keeps every entry in memory as well (the log is kept
    short by snapshots; each payload is at most LOGSTORE_PAYLOAD_MAX bytes
    and the whole file at most LOGSTORE_BYTES_MAX).

    File DIR/log, little-endian fixed-width integers:

        header, LOGSTORE_HEADER_BYTES (40):
        0   magic "IMSHLOG1"        8 bytes
        8   version (1)             u32
        12  reserved (0)            u32
        16  base index              u64     entries <= base are compacted away
        24  base term               u64     term of the entry at base (0 if base is 0)
        32  reserved (0)            u32
        36  CRC32C of bytes 0..35   u32

        then one record per entry, in index order, LOGSTORE_RECORD_BYTES (32)
        plus the payload:
        0   payload size            u32     <= LOGSTORE_PAYLOAD_MAX
        4   type                    u32     the core's entry type, opaque here
        8   index                   u64     base + 1, base + 2, ... without gaps
        16  term                    u64     >= 1, never less than the one before
        24  CRC32C of bytes 0..23 and the payload     u32
        28  CRC32C of bytes 0..27   u32     the record header alone
        32  payload                 size bytes

    The header-only checksum lets a reader tell a torn tail from corruption
    cheaply: after a record that fails its checksums, every later byte
    offset is tried as the start of a record (32 bytes of CRC each), and
    only if no complete valid record follows is the damage a torn tail.
    Every length is bounded before use: a size above LOGSTORE_PAYLOAD_MAX
    is an error before anything is read or allocated (msgpack-c #985), and
    open reads the file by its real size, capped at LOGSTORE_BYTES_MAX.

    What open accepts, and what it refuses:
    - A torn tail (the last record incomplete or failing its checksum, with
      no valid record after it: what a crash during an unsynced append
      leaves) is cut off with ftruncate + fsync, and the report says how
      many bytes went and the last good index, for the caller to log.
    - Anything else is an error naming the file, the byte offset and what
      is wrong: a bad header, a damaged record followed by a valid one, an
      index gap or repeat, a term going backwards, a payload size over the
      limit. The node then refuses to start; the log is never reset.
    - Open fsyncs the file and the directory once, so that what it read
      (perhaps unsynced writes of a process that crashed, not the machine)
      is durable before the node acts on it.

    Crash safety of each operation (what a reopen after a crash sees):
    - append: until logstore_sync returns, a crash leaves any prefix of the
      appended bytes; a cut inside a record is a torn tail, dropped.
    - truncate_after: ftruncate, then fsync at once (not at the next sync).
      A crash before the fsync shows the old log (the truncation never
      happened, and nothing that depended on it was sent) or the new one.
      Syncing at once means later appends always write past a durable end
      of file, so stale records of the dropped suffix can never reappear
      behind new ones (new records, a torn one, then old valid records
      would read as corruption, or worse, as a log). Conflicts are rare;
      the extra fsync is paid only then.
    - compact: the retained entries are written to DIR/log.tmp under the
      new base, fsynced, renamed over DIR/log, and the directory fsynced.
      A crash before the rename leaves the old log (and a log.tmp, which
      open removes); after it, either file, both complete. The caller must
      have saved the snapshot durably first (snapshot.h), so that either
      file is covered. One file rewritten rather than segment files: the
      rewrite copies only the entries after the snapshot, which are few
      when it runs right after a snapshot, and one file keeps open, the
      format and the recovery rules simple.
    - A new log is created the same way (header to log.tmp, fsync, rename,
      fsync of the directory), so DIR/log never exists without a header.
    - After a failed write, fsync or rename the on-disk state is unknown
      (a failed fsync may drop the dirty pages and a retry then "succeed":
      PostgreSQL's fsync problem, 2018): the log refuses every later change
      and the node must restart, which re-reads what is really on disk.

    The node holds DIR's lock (state.h) while the log is open; the log does
    not lock on its own.
*/
#ifndef MESH_LOGSTORE_H
#define MESH_LOGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOGSTORE_FILE           "log"
#define LOGSTORE_TEMP_FILE      "log.tmp"
#define LOGSTORE_PAYLOAD_MAX    4096                    //  Bytes of one entry's payload
#define LOGSTORE_BYTES_MAX      (256u * 1024 * 1024)    //  Whole file; compact before it
#define LOGSTORE_HEADER_BYTES   40
#define LOGSTORE_RECORD_BYTES   32                      //  Record header, before the payload
#define LOGSTORE_VERSION        1

typedef struct _logstore_t logstore_t;

//  One entry. Given to append (data is the caller's), returned by entry()
//  (data is the log's, valid until the entry is truncated or compacted).
typedef struct {
    uint64_t index;
    uint64_t term;
    uint32_t type;
    uint32_t size;                  //  Payload bytes, <= LOGSTORE_PAYLOAD_MAX
    const uint8_t *data;            //  size bytes (may be NULL when size is 0)
} logstore_entry_t;

//  What open (and decode) found, for the caller's log line.
typedef struct {
    bool created;                   //  There was no log: a fresh one was written
    bool torn;                      //  A torn tail was cut off
    const char *tail_reason;        //  Why the tail was torn (static text), or NULL
    uint64_t tail_offset;           //  Where the torn tail began (the new end of file)
    uint64_t dropped_bytes;         //  How many bytes it had
    uint64_t base_index;            //  From the header
    uint64_t base_term;
    uint64_t entries;               //  Valid entries kept
    uint64_t last_index;            //  Last good index (base_index if none)
    uint64_t last_term;             //  Its term (base_term if none)
    uint64_t valid_bytes;           //  Header plus valid records
} logstore_report_t;

//  Called by logstore_decode for each valid record, in order, with its byte
//  offset; entry->data points into the image. Return 0, or -1 to stop the
//  decode (which then fails).
typedef int (logstore_entry_fn) (const logstore_entry_t *entry, uint64_t offset, void *arg);

//  Open the log in dir (creating dir and a fresh log if absent), validate
//  every record, cut off a torn tail and fsync. report (may be NULL) says
//  what was found. NULL with a message in err on any problem; a corrupt
//  log is an error, never a reset.
logstore_t *logstore_open (const char *dir, logstore_report_t *report, char *err, size_t err_size);

//  Close the log; safe on NULL, sets *self_p to NULL. Does not sync.
void logstore_destroy (logstore_t **self_p);

//  Validate a whole file image of size bytes (read from path, named in
//  errors) and fill report; each (may be NULL) sees every valid entry.
//  A torn tail is not an error: report->torn and valid_bytes say where to
//  cut. Returns 0, or -1 with a message in err. No I/O; open and the fuzzer
//  use it.
int logstore_decode (const uint8_t *data, size_t size, const char *path, logstore_report_t *report,
                     logstore_entry_fn *each, void *arg, char *err, size_t err_size);

//  Append count entries; the first must have index last_index + 1, the
//  rest follow without gaps, terms >= 1 and never decreasing from
//  last_term. Written but not durable until logstore_sync. Returns 0, or
//  -1 with err (nothing appended, in memory or on disk).
int logstore_append (logstore_t *self, const logstore_entry_t *entries, size_t count,
                     char *err, size_t err_size);

//  Drop every entry after index (index >= first_index - 1; beyond
//  last_index it is a no-op). Durable when it returns (ftruncate + fsync).
//  Returns 0, or -1 with err.
int logstore_truncate_after (logstore_t *self, uint64_t index, char *err, size_t err_size);

//  Make everything appended so far durable (fdatasync). Call once per step,
//  before sending. Returns 0, or -1 with err (the log then refuses changes).
int logstore_sync (logstore_t *self, char *err, size_t err_size);

//  Forget entries <= through_index, which a durably saved snapshot with
//  last entry (through_index, through_term) covers. Entries after it are
//  kept if the log holds through_index with through_term; otherwise (a
//  snapshot from the leader that the log does not match, or reaches past
//  its end) the whole log is discarded (Raft paper, §7). Afterwards
//  first_index is through_index + 1 and term_at (through_index) is
//  through_term, across a reopen. Durable when it returns. Compacting to
//  the current base with its term is a no-op; to an older index, an error.
//  Returns 0, or -1 with err.
int logstore_compact (logstore_t *self, uint64_t through_index, uint64_t through_term,
                      char *err, size_t err_size);

//  First index held (base + 1; the log is empty when it exceeds last_index).
uint64_t logstore_first_index (const logstore_t *self);

//  Last index held, or the base if the log is empty.
uint64_t logstore_last_index (const logstore_t *self);

//  Term of the last index (the base term if the log is empty).
uint64_t logstore_last_term (const logstore_t *self);

//  Term of index into *term: known for the base (index 0 has term 0) and
//  every entry held. Returns false when unknown (compacted or not yet
//  appended).
bool logstore_term_at (const logstore_t *self, uint64_t index, uint64_t *term);

//  The entry at index, or NULL if it is not held.
const logstore_entry_t *logstore_entry (const logstore_t *self, uint64_t index);

//  Size of the log file in bytes (for the log_bytes metric).
uint64_t logstore_bytes (const logstore_t *self);

//  --- Encoding, for the decoder's tests and fuzzer ---------------------------

//  CRC32C (Castagnoli) of size bytes, continuing from crc (0 to start).
uint32_t logstore_crc32c (uint32_t crc, const void *data, size_t size);

//  Write the LOGSTORE_HEADER_BYTES header for a base into out.
void logstore_encode_header (uint64_t base_index, uint64_t base_term, uint8_t *out);

//  Write entry's record (LOGSTORE_RECORD_BYTES + size bytes) into out;
//  returns its length. The caller checks size <= LOGSTORE_PAYLOAD_MAX.
size_t logstore_encode_record (const logstore_entry_t *entry, uint8_t *out);

#endif
