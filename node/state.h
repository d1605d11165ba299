/*  state: the node's durable state in its data directory.

    One record holds what must survive a crash: the current term, the vote
    in that term (as a member id, so reordering the cluster file cannot
    change whom we voted for), and the incarnation (a boot counter that
    makes every signed message of this boot distinct from any before it).
    Term and vote are written together, atomically: a temporary file is
    written and fsynced, renamed over the old one, and the directory is
    fsynced (hashicorp/raft #661: term and vote written separately allowed
    a double vote). A record that is truncated, corrupt, from another
    cluster or another version is an error, never a silent reset.

    The directory is locked (flock) while open, so two processes can never
    share one node's state.
*/
#ifndef MESH_STATE_H
#define MESH_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_FILE          "state"         //  Name of the record in the data directory
#define STATE_LOCK_FILE     "lock"
#define STATE_RECORD_BYTES  192             //  Fixed size of the record
#define STATE_ID_MAX        64

typedef struct _state_t state_t;

//  Open (and lock) the data directory, creating it if needed, and read the
//  record if one exists; a fresh directory starts at term 0, no vote,
//  incarnation 0. NULL with a message in err on any problem.
state_t *state_open (const char *dir, const char *cluster_id, char *err, size_t err_size);

//  Release the lock; safe on NULL, sets *self_p to NULL.
void state_destroy (state_t **self_p);

//  Decode a record of size bytes (as read from path) for cluster_id into
//  term, vote (STATE_ID_MAX + 1 bytes) and incarnation. Returns 0, or -1
//  with a message in err. No I/O; state_open and the fuzzer use it.
int state_decode (const uint8_t *record, size_t size, const char *cluster_id, uint64_t *term,
                  char *vote, uint64_t *incarnation, const char *path, char *err, size_t err_size);

uint64_t state_term (const state_t *self);
const char *state_vote (const state_t *self);      //  "" for none
uint64_t state_incarnation (const state_t *self);

//  Durably record term and vote ("" or NULL for none). Returns 0, or -1
//  with a message in err; then the old record is still the one on disk.
int state_save (state_t *self, uint64_t term, const char *vote, char *err, size_t err_size);

//  Start a new incarnation: increment and save it. Call once per boot,
//  before any signed message leaves.
int state_boot (state_t *self, char *err, size_t err_size);

//  --- Replay high-water marks ----------------------------------------------
//  The receive path remembers, per sender, the newest (incarnation, seq)
//  it accepted. Kept across our own restart, it stops messages captured
//  before the restart from being accepted once more after it. They live in
//  their own file, written atomically but without fsync: a crash loses at
//  most the marks of the last interval, which reopens only that window.

#define STATE_MARKS_FILE    "replay"
#define STATE_MARKS_MAX     128

typedef struct {
    char id [STATE_ID_MAX + 1];     //  Sender (member or client id)
    uint64_t incarnation;
    uint64_t seq;
} state_mark_t;

//  Replace the marks file with count marks. Returns 0, or -1 with err.
int state_marks_save (state_t *self, const state_mark_t *marks, size_t count,
                      char *err, size_t err_size);

//  Read up to max marks. Returns how many (0 when there is no file yet), or
//  -1 with err if the file is corrupt or unreadable.
int state_marks_load (state_t *self, state_mark_t *marks, size_t max, char *err, size_t err_size);

//  Decode a marks file's size bytes (read from path) into up to max marks.
//  Returns how many, or -1 with err. No I/O; the loader and the fuzzer use it.
int state_marks_decode (const uint8_t *buffer, size_t size, state_mark_t *marks, size_t max,
                        const char *path, char *err, size_t err_size);

#endif
