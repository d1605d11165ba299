/*  kv: the capacity state machine, a replicated key-value map.

    Every node applies the same committed log entries, in the same order,
    to its own kv_t; the map is a pure function of that sequence. No clock,
    no randomness, no hash order: the map is a sorted array, so listings
    and snapshots come out in key order, and two nodes that applied the
    same log produce the same snapshot bytes.

    Keys are 1..KV_KEY_MAX characters of [A-Za-z0-9._/-] (for example
    "capacity/st-marys/beds_available"), ordered bytewise (memcmp, a
    shorter key before any longer key it is a prefix of). Values are
    0..KV_VALUE_MAX arbitrary bytes. Every key carries a version: the log
    index of the entry that last wrote it. Version 0 means "absent".

    Command layout (the payload of a log entry), a msgpack map whose keys
    are positive fixints in strictly ascending order:

        key  field              type                   carried by
        0    op                 uint 1..4              all (always first)
        1    request_id         uint64                 all
        2    key                str, 1..128 of [A-Za-z0-9._/-]  all
        3    expected_version   uint64                 cas (0 = must not
                                                       exist), del_if (>= 1)
        4    value              bin, 0..256 bytes      put, cas
        5    client             str, 1..32 of          any (optional): the
                                [A-Za-z0-9._-]         principal that asked

    op: 1 put, 2 cas, 3 del, 4 del_if. A field an op does not carry is an
    error, as is a missing one, an unknown key, a key out of order, another
    msgpack type (a value as str, a key as bin), anything after the map.
    Values, lengths and counts may use any msgpack encoding (other encoders
    write uint64 or str8 where a shorter form exists); kv_command_encode
    writes the shortest. The largest command it writes (a cas with a
    128-character key, a 256-byte value and a 32-character client) is
    KV_COMMAND_BYTES_MAX bytes;
    the same command in the longest encodings the decoder accepts is 469.

    Retried writes take effect once. The map keeps, for each client
    (field 5), its last write: request_id, a hash of the command, the
    entry's index and term, and the result (a "session"). A command whose
    client and request_id are those of its client's session, with the same
    hash, is a retry of a write already carried out: applying it changes
    nothing but the applied index, and its result is the recorded one,
    with the original entry's index and term. Anything else runs (a
    command without a client, request_id 0, another hash: a client that
    reused an id for another command gets no deduplication, never a wrong
    result) and becomes its client's session. A client retries only its
    last write (the client library makes one call at a time, and a retry
    keeps the call's request_id), so one session per client suffices, for
    as long as it takes. At most KV_SESSIONS_MAX sessions: a new client
    beyond that takes the place of the one whose last write is oldest.

    Snapshot layout: a msgpack map of four pairs, in canonical form (every
    integer, length and count in its shortest msgpack encoding, as
    msgpack-c's packer writes them; nothing after the map):

        0   format        uint, 2
        1   applied       uint64, the index of the last applied entry
        2   entries       array of at most KV_KEYS_MAX entries, each a
                          3-array [key str, version uint, value bin], keys
                          strictly ascending, 1 <= version <= applied
        3   sessions      array of at most KV_SESSIONS_MAX sessions, each a
                          7-array [client str, request_id uint >= 1, hash
                          uint, index uint, term uint, status uint 0..3,
                          version uint], clients strictly ascending,
                          1 <= index <= applied, version <= applied

    The reader accepts exactly the bytes the writer produces for some map:
    one state, one encoding.

    Cost, for n keys: get O(log n); list O(log n + entries visited); put of
    a new key and del O(log n) search plus an O(n) pointer move (8 bytes a
    key, 800 KB at worst at KV_KEYS_MAX: about 20 us), overwrite O(log n);
    kv_count, kv_bytes and kv_snapshot_size O(1); snapshot write and read
    O(n) (at the largest, 40 MB: about 35 and 75 ms). Memory: one
    allocation per key (key and value inline) plus 8 bytes per slot of the
    sorted array, which grows by doubling up to the limit.
*/
#ifndef MESH_KV_H
#define MESH_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV_KEY_MAX              128         //  Key length, characters
#define KV_VALUE_MAX            256         //  Value length, bytes
#define KV_KEYS_MAX             100000      //  Keys in the map (a protocol constant)
#define KV_CLIENT_MAX           32          //  Client id length, characters
#define KV_SESSIONS_MAX         1024        //  Clients whose last write is kept
#define KV_COMMAND_BYTES_MAX    449         //  Largest encoded command
#define KV_SNAPSHOT_FORMAT      2
//  Largest snapshot: 19 bytes of map header, format, applied index and
//  array32 header, then KV_KEYS_MAX entries of 1 (fixarray) + 2 + 128 (str8
//  key) + 9 (uint64 version) + 3 + 256 (bin16 value) bytes, then 4 bytes
//  (key 3, array16 header) and KV_SESSIONS_MAX sessions of 1 (fixarray) + 2
//  + 32 (str8 client) + 5 x 9 (uint64) + 1 (status) bytes.
#define KV_SNAPSHOT_BYTES_MAX   (19 + (size_t) KV_KEYS_MAX * 399 + 4 + (size_t) KV_SESSIONS_MAX * 81)

typedef enum {
    KV_PUT = 1,                 //  Write value, whatever the key's version
    KV_CAS = 2,                 //  Write value if the version is expected_version
    KV_DEL = 3,                 //  Remove the key
    KV_DEL_IF = 4               //  Remove the key if the version is expected_version
} kv_op_t;

typedef struct {
    kv_op_t op;
    uint64_t request_id;                //  Client-chosen, carried for deduplication
    char key [KV_KEY_MAX + 1];          //  NUL-terminated
    uint64_t expected_version;          //  KV_CAS, KV_DEL_IF; 0 = must not exist
    uint8_t value [KV_VALUE_MAX];       //  KV_PUT, KV_CAS
    size_t value_size;
    char client [KV_CLIENT_MAX + 1];    //  The principal that asked; "" for none
                                        //  (then never deduplicated)
} kv_command_t;

//  Outcome of one command. Numbers are fixed: they will go on the wire.
typedef enum {
    KV_OK = 0,                  //  Done
    KV_CAS_FAILED = 1,          //  The key's version was not the expected one
    KV_NOT_FOUND = 2,           //  del / del_if of a key that does not exist
    KV_FULL = 3                 //  put / cas would add a key beyond the limit
} kv_status_t;

typedef struct {
    kv_status_t status;
    uint64_t version;           //  The key's version after the command, 0 = absent:
                                //  the new version on success, the current one
                                //  on KV_CAS_FAILED, 0 after a del or on
                                //  KV_NOT_FOUND and KV_FULL
    uint64_t index;             //  The entry that carried the command out, and
    uint64_t term;              //  its term: the one applied, or for a retry the
                                //  original (the write's fencing token)
    bool retry;                 //  A retry: the result is the original's
} kv_result_t;

typedef struct _kv_t kv_t;

//  Called by kv_list for each key in order; key is NUL-terminated, value
//  is valid until the map changes. Return 0 to go on, non-zero to stop.
typedef int (kv_visit_fn) (const char *key, const uint8_t *value, size_t value_size,
                           uint64_t version, void *arg);

//  --- Keys and commands ---------------------------------------------------

//  True if key (size bytes, no NUL needed) is 1..KV_KEY_MAX of [A-Za-z0-9._/-].
bool kv_key_valid (const char *key, size_t size);

//  True if client (size bytes) is 1..KV_CLIENT_MAX of [A-Za-z0-9._-].
bool kv_client_valid (const char *client, size_t size);

//  Check a command as encode and apply require it. Returns 0, or -1 with a
//  reason in *why (if why is set).
int kv_command_check (const kv_command_t *cmd, const char **why);

//  Encode cmd into out (cap bytes). Returns the size written, or -1 if cmd
//  fails kv_command_check or does not fit.
int kv_command_encode (const kv_command_t *cmd, uint8_t *out, size_t cap);

//  Decode size bytes into cmd (zeroed first, and zeroed again on failure).
//  Returns 0, or -1 with a reason in *why (if why is set). A command that
//  decodes passes kv_command_check. Bounded; allocates nothing.
int kv_command_decode (const uint8_t *data, size_t size, kv_command_t *cmd, const char **why);

//  "ok", "cas-failed", "not-found", "full"; NULL for another value.
const char *kv_status_name (kv_status_t status);

//  "put", "cas", "del", "del-if"; NULL for another value.
const char *kv_op_name (kv_op_t op);

//  --- The map -------------------------------------------------------------

//  Create an empty map (applied index 0) holding up to KV_KEYS_MAX keys.
//  NULL if memory runs out.
kv_t *kv_new (void);

//  Tests only: an empty map holding up to keys_max (1..KV_KEYS_MAX) keys.
//  The limit decides results (KV_FULL), so every node must use kv_new.
kv_t *kv_new_limited (size_t keys_max);

//  Free the map; safe on NULL, sets *self_p to NULL.
void kv_destroy (kv_t **self_p);

//  Apply the committed command at log index (> kv_applied_index), of
//  term, and put its outcome in *result (a retry's is the original's: see
//  the top). Every valid command yields a result. Returns 0, or -1 if
//  index does not advance, cmd fails kv_command_check (never one that
//  kv_command_decode returned) or memory runs out: then nothing has
//  changed, and the node must stop rather than go on with a state its
//  peers may not have.
int kv_apply (kv_t *self, uint64_t index, uint64_t term, const kv_command_t *cmd,
              kv_result_t *result);

//  If cmd is a retry of its client's last write, already applied, put the
//  recorded result in *result and return 0 (a leader answers it without
//  appending it again); else -1.
int kv_recall (const kv_t *self, const kv_command_t *cmd, kv_result_t *result);

//  Number of client sessions kept.
size_t kv_sessions (const kv_t *self);

//  Record that log entry index (> kv_applied_index) was applied without a
//  kv command (a no-op, a configuration change), so that the snapshot's
//  applied index is the node's.
//  Returns 0, or -1 if index does not advance.
int kv_advance (kv_t *self, uint64_t index);

//  Look up key (NUL-terminated). Returns 0 and sets *value (valid until the
//  map changes), *size and *version (each if not NULL), or -1 if absent.
int kv_get (const kv_t *self, const char *key, const uint8_t **value, size_t *size,
            uint64_t *version);

//  Visit, in ascending key order, at most max keys that start with prefix
//  ("" for all) and sort after `after` (NULL or "" from the start; the last
//  key of one page to get the next). Stops early if visit returns
//  non-zero. Returns the number of keys visited; sets *more (if not NULL)
//  to whether another matching key follows the last one visited.
size_t kv_list (const kv_t *self, const char *prefix, const char *after, size_t max,
                kv_visit_fn *visit, void *arg, bool *more);

//  Index of the last entry applied (kv_apply or kv_advance); 0 at first.
uint64_t kv_applied_index (const kv_t *self);

//  Number of keys.
size_t kv_count (const kv_t *self);

//  Total size of all keys and values, in bytes.
size_t kv_bytes (const kv_t *self);

//  --- Snapshots -----------------------------------------------------------

//  Exact size of the snapshot kv_snapshot_write would produce now.
size_t kv_snapshot_size (const kv_t *self);

//  Write the canonical snapshot (kv_snapshot_size bytes) into out. Returns
//  0, or -1 if cap is smaller than that (out is then unspecified).
int kv_snapshot_write (const kv_t *self, uint8_t *out, size_t cap);

//  Build a map (limit KV_KEYS_MAX) from a snapshot of size bytes. NULL with
//  a message in err if the snapshot is not exactly what kv_snapshot_write
//  writes for some map: malformed, truncated, trailing bytes, keys out of
//  order or repeated, fields out of bounds, non-shortest encodings.
kv_t *kv_snapshot_read (const uint8_t *data, size_t size, char *err, size_t err_size);

#endif
