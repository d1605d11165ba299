/*  replica: the replicated state around the core, on disk and in memory.

    The pure core decides what the log holds and what is committed; this
    module carries it out in the node's data directory and applies it:
      - the durable Raft log (logstore.h): the core's truncations and
        appends, made durable (one sync per step) before the node sends
        anything that depends on them;
      - the snapshot file (snapshot.h) and the kv state machine (kv.h):
        committed entries are applied in order; every so often the applied
        state is saved as a snapshot and the log compacted under it (the
        snapshot first, so every crash leaves a snapshot covering the log's
        base);
      - a snapshot sent by the leader in chunks, assembled here and
        installed when the core says so.
    No sockets, no clock: the node passes what the core decided.

    At open, the log and the snapshot are reconciled: a log whose base is
    below the snapshot's index (a crash between saving a snapshot and
    compacting) is compacted now; a log whose base is above it lost
    entries nothing covers, and open refuses (the node does not start).
    The kv map starts from the snapshot; entries after it are applied again
    as the commit index is learned (the core starts with commit = the
    snapshot's index), which is what makes the state machine's state follow
    from the log alone.
*/
#ifndef MESH_REPLICA_H
#define MESH_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core.h"
#include "kv.h"
#include "msg.h"

#define REPLICA_COMPACT_EVERY   10000   //  Applied entries between snapshots

typedef struct _replica_t replica_t;

//  What opening found, for one log line.
typedef struct {
    uint64_t snapshot_index;
    uint64_t snapshot_term;
    uint64_t first_index;           //  Of the log, after reconciling
    uint64_t last_index;
    bool log_created;
    bool log_torn;                  //  A torn tail was cut off
    uint64_t torn_bytes;
    bool compacted_at_open;         //  A crash had left the log behind the snapshot
} replica_report_t;

//  One applied entry, for answering the client that proposed it.
typedef struct {
    uint64_t index;
    uint64_t term;
    bool is_command;                //  A kv command (else a no-op)
    kv_command_t command;
    kv_result_t result;
} replica_applied_t;

typedef void (replica_applied_fn) (void *arg, const replica_applied_t *applied);

//  Open dir's log and snapshot, reconcile them, load the kv map. NULL with
//  a message in err (naming the file) on any inconsistency.
replica_t *replica_open (const char *dir, replica_report_t *report, char *err, size_t err_size);

void replica_destroy (replica_t **self_p);

//  The log for core_new_with_log; valid until the replica next changes.
core_log_t replica_core_log (replica_t *self);

//  Carry out update's log changes (truncation, appends, an installed
//  snapshot: see replica_chunk) and sync. Returns 0, or -1 with a message
//  in err: the node must then stop without sending.
int replica_persist (replica_t *self, const core_update_t *update, char *err, size_t err_size);

//  replica_persist in two halves, for a node that writes the updates of
//  several steps and syncs once (group commit): replica_write carries out
//  the update without the final sync (a truncation and an installed
//  snapshot are durable at once all the same), replica_sync makes
//  everything written so far durable (nothing to do if nothing was).
int replica_write (replica_t *self, const core_update_t *update, char *err, size_t err_size);
int replica_sync (replica_t *self, char *err, size_t err_size);

//  Apply the entries through commit that the log holds and are not yet
//  applied, in order, calling applied for each. Returns 0, or -1 with err
//  (out of memory, or a command entry this build cannot read: the node
//  must stop rather than skip it).
int replica_apply (replica_t *self, uint64_t commit, replica_applied_fn *applied, void *arg,
                   char *err, size_t err_size);

//  Save a snapshot of the applied state and compact the log (and core)
//  under it, when at least every entries were applied since the last one.
//  Returns 1 if it did, 0 if not due, -1 with err.
int replica_maybe_compact (replica_t *self, core_t *core, uint64_t every, char *err, size_t err_size);

//  An append's entries prev_index + 1 .. + count from the log, payloads
//  pointing into it. Returns 0, or -1 if the log does not hold them all.
int replica_entries (const replica_t *self, uint64_t prev_index, uint32_t count,
                     wire_entry_t *entries);

//  The snapshot to send: its state bytes, index and term (NULL if none).
const uint8_t *replica_snapshot (const replica_t *self, size_t *size, uint64_t *index,
                                 uint64_t *term);

//  A follower's side of a snapshot in chunks. Returns 1 when the snapshot
//  chunk belongs to is complete and its bytes are a valid kv snapshot
//  (the node then hands the core the snapshot message), 0 when more
//  chunks are due, -1 when the chunk is out of order or the bytes are bad
//  (ignored: the leader resends). A chunk at offset 0 starts over.
int replica_chunk (replica_t *self, const wire_snapshot_t *chunk, char *err, size_t err_size);

//  Where the snapshot being assembled has got to (bytes received).
uint64_t replica_chunk_offset (const replica_t *self);

const kv_t *replica_kv (const replica_t *self);
uint64_t replica_applied (const replica_t *self);
uint64_t replica_snapshot_index (const replica_t *self);
uint64_t replica_log_bytes (const replica_t *self);

#endif
