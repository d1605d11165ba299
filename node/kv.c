/*  kv: the capacity state machine. See kv.h for the formats and costs.

    The map is an array of pointers to entries, kept sorted by key; each
    entry is one allocation holding its key (NUL-terminated) and value.
    Lookups are binary searches. Two running totals make kv_bytes and
    kv_snapshot_size O(1): the key and value bytes, and the encoded size of
    all snapshot entries; the tests check them against what is written.

    Commands and snapshots are written with msgpack-c's packer into the
    caller's fixed buffer and read with mpread (bounded, no allocation by
    declared length). A snapshot is checked for canonical form by packing
    the map it decoded to once more and comparing, byte by byte, with the
    input, so the reader accepts exactly what the writer produces.
*/
#include "kv.h"
#include "errmsg.h"
#include "mpread.h"
#include <assert.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ARRAY_MIN     16      //  First allocation of the sorted array, slots

//  Command map keys
#define S_CMD_OP        0
#define S_CMD_REQUEST   1
#define S_CMD_KEY       2
#define S_CMD_EXPECTED  3
#define S_CMD_VALUE     4
#define S_CMD_CLIENT    5       //  Optional, for every op
#define S_CMD_KEYS      6

#define S_BIT(key)      (1u << (key))

//  Snapshot map keys
#define S_SNAP_FORMAT   0
#define S_SNAP_APPLIED  1
#define S_SNAP_ENTRIES  2
#define S_SNAP_SESSIONS 3
#define S_SNAP_KEYS     4
#define S_SESSION_FIELDS 7      //  [client, request_id, hash, index, term, status, version]

//  One key: its version, and its key and value bytes inline.
typedef struct {
    uint64_t version;           //  Log index of the entry that last wrote it
    uint16_t key_size;          //  1..KV_KEY_MAX
    uint16_t value_size;        //  0..KV_VALUE_MAX
    char data [];               //  Key, NUL, value
} s_entry_t;

//  A client's last write (kv.h: retried writes take effect once).
typedef struct {
    char client [KV_CLIENT_MAX + 1];
    uint64_t request_id;
    uint64_t hash;              //  s_command_hash of the command
    uint64_t index;             //  Its entry, and that entry's term
    uint64_t term;
    kv_status_t status;         //  Its result
    uint64_t version;
} s_session_t;

struct _kv_t {
    s_entry_t **entries;        //  Sorted by key, strictly ascending
    size_t count;               //  Entries in use
    size_t slots;               //  Entries allocated (<= keys_max)
    size_t keys_max;            //  Limit on count (KV_FULL beyond)
    uint64_t applied;           //  Index of the last applied entry
    size_t bytes;               //  Sum of key and value sizes
    size_t entry_bytes;         //  Sum of the entries' encoded snapshot sizes
    s_session_t *sessions;      //  Sorted by client, strictly ascending
    size_t session_count;
    size_t session_slots;       //  Allocated (grows by doubling to KV_SESSIONS_MAX)
};

//  --------------------------------------------------------------------------
//  Encoded sizes (shortest msgpack forms, as msgpack-c's packer writes them)

static size_t
s_uint_size (uint64_t value)
{
    return value < 0x80 ? 1 : value <= UINT8_MAX ? 2 : value <= UINT16_MAX ? 3
         : value <= UINT32_MAX ? 5 : 9;
}

static size_t
s_str_size (size_t size)
{
    return (size < 32 ? 1 : size <= UINT8_MAX ? 2 : size <= UINT16_MAX ? 3 : 5) + size;
}

static size_t
s_bin_size (size_t size)
{
    return (size <= UINT8_MAX ? 2 : size <= UINT16_MAX ? 3 : 5) + size;
}

static size_t
s_array_header_size (size_t count)
{
    return count < 16 ? 1 : count <= UINT16_MAX ? 3 : 5;
}

//  Size of an entry in the snapshot: [key, version, value].
static size_t
s_entry_bytes (size_t key_size, uint64_t version, size_t value_size)
{
    return 1 + s_str_size (key_size) + s_uint_size (version) + s_bin_size (value_size);
}

static const char *
s_key (const s_entry_t *entry)
{
    return entry->data;
}

static const uint8_t *
s_value (const s_entry_t *entry)
{
    return (const uint8_t *) entry->data + entry->key_size + 1;
}

//  --------------------------------------------------------------------------
//  Keys and commands

//  1..max characters of [A-Za-z0-9._-], and '/' if slash.
static bool
s_chars_valid (const char *text, size_t size, size_t max, bool slash)
{
    if (size < 1 || size > max)
        return false;
    for (size_t i = 0; i < size; i++) {
        char c = text [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == '-' || (slash && c == '/')))
            return false;
    }
    return true;
}

bool
kv_key_valid (const char *key, size_t size)
{
    return s_chars_valid (key, size, KV_KEY_MAX, true);
}

bool
kv_client_valid (const char *client, size_t size)
{
    return s_chars_valid (client, size, KV_CLIENT_MAX, false);
}

//  Length of the client in cmd, or sizeof (cmd->client) if it has no NUL.
static size_t
s_client_size (const kv_command_t *cmd)
{
    const char *nul = memchr (cmd->client, '\0', sizeof (cmd->client));
    return nul ? (size_t) (nul - cmd->client) : sizeof (cmd->client);
}

//  Length of the key in cmd, or sizeof (cmd->key) if it has no NUL.
static size_t
s_key_size (const kv_command_t *cmd)
{
    const char *nul = memchr (cmd->key, '\0', sizeof (cmd->key));
    return nul ? (size_t) (nul - cmd->key) : sizeof (cmd->key);
}

//  The command map keys an op carries (all of them required).
static unsigned
s_op_fields (kv_op_t op)
{
    unsigned common = S_BIT (S_CMD_OP) | S_BIT (S_CMD_REQUEST) | S_BIT (S_CMD_KEY);
    switch (op) {
        case KV_PUT:    return common | S_BIT (S_CMD_VALUE);
        case KV_CAS:    return common | S_BIT (S_CMD_EXPECTED) | S_BIT (S_CMD_VALUE);
        case KV_DEL:    return common;
        case KV_DEL_IF: return common | S_BIT (S_CMD_EXPECTED);
        default:        return 0;
    }
}

int
kv_command_check (const kv_command_t *cmd, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (s_op_fields (cmd->op) == 0)
        *why = "op is not put, cas, del or del_if";
    else
    if (!kv_key_valid (cmd->key, s_key_size (cmd)))
        *why = "key is not 1..128 characters of [A-Za-z0-9._/-]";
    else
    if ((cmd->op == KV_PUT || cmd->op == KV_CAS) && cmd->value_size > KV_VALUE_MAX)
        *why = "value is longer than 256 bytes";
    else
    if (cmd->op == KV_DEL_IF && cmd->expected_version == 0)
        *why = "del_if expected_version is 0";
    else
    if (cmd->client [0] && !kv_client_valid (cmd->client, s_client_size (cmd)))
        *why = "client is not 1..32 characters of [A-Za-z0-9._-]";
    return *why ? -1 : 0;
}

const char *
kv_status_name (kv_status_t status)
{
    switch (status) {
        case KV_OK:         return "ok";
        case KV_CAS_FAILED: return "cas-failed";
        case KV_NOT_FOUND:  return "not-found";
        case KV_FULL:       return "full";
        default:            return NULL;
    }
}

const char *
kv_op_name (kv_op_t op)
{
    switch (op) {
        case KV_PUT:    return "put";
        case KV_CAS:    return "cas";
        case KV_DEL:    return "del";
        case KV_DEL_IF: return "del-if";
        default:        return NULL;
    }
}

//  A fixed output buffer for msgpack-c's packer, or (data NULL) a
//  comparison against expected bytes.
typedef struct {
    uint8_t *data;              //  Caller's buffer, or NULL to compare
    const uint8_t *expect;      //  Bytes to compare with
    size_t cap;                 //  Size of data or expect
    size_t size;                //  Bytes written or compared so far
    bool failed;                //  Did not fit, or differed
} s_out_t;

//  msgpack-c packer callback: append to the fixed buffer (never grow it),
//  or compare with the expected bytes.
static int
s_write (void *data, const char *buf, size_t len)
{
    s_out_t *out = (s_out_t *) data;
    if (out->failed || len > out->cap - out->size) {
        out->failed = true;
        return -1;
    }
    if (out->data)
        memcpy (out->data + out->size, buf, len);
    else
    if (memcmp (out->expect + out->size, buf, len) != 0) {
        out->failed = true;
        return -1;
    }
    out->size += len;
    return 0;
}

int
kv_command_encode (const kv_command_t *cmd, uint8_t *out, size_t cap)
{
    if (kv_command_check (cmd, NULL) != 0)
        return -1;
    unsigned fields = s_op_fields (cmd->op);
    if (cmd->client [0])
        fields |= S_BIT (S_CMD_CLIENT);
    size_t key_size = s_key_size (cmd);
    s_out_t sink = { out, NULL, cap, 0, false };
    msgpack_packer pk;
    msgpack_packer_init (&pk, &sink, s_write);
    size_t pairs = 0;
    for (unsigned key = 0; key < S_CMD_KEYS; key++)
        pairs += (fields & S_BIT (key)) != 0;
    msgpack_pack_map (&pk, pairs);
    for (unsigned key = 0; key < S_CMD_KEYS; key++) {
        if (!(fields & S_BIT (key)))
            continue;
        msgpack_pack_uint64 (&pk, key);
        switch (key) {
            case S_CMD_OP:       msgpack_pack_uint64 (&pk, (uint64_t) cmd->op); break;
            case S_CMD_REQUEST:  msgpack_pack_uint64 (&pk, cmd->request_id); break;
            case S_CMD_KEY:      msgpack_pack_str_with_body (&pk, cmd->key, key_size); break;
            case S_CMD_EXPECTED: msgpack_pack_uint64 (&pk, cmd->expected_version); break;
            case S_CMD_CLIENT:
                msgpack_pack_str_with_body (&pk, cmd->client, s_client_size (cmd));
                break;
            default:             msgpack_pack_bin_with_body (&pk, cmd->value, cmd->value_size);
        }
    }
    if (sink.failed)
        return -1;
    return (int) sink.size;
}

//  Each helper reads one value of an exact type; -1 means malformed (the
//  plain kinds are mpread's typed reads).

//  A str that passes valid (a key or a client id), copied with a NUL into
//  buf; its size in *size.
static int
s_read_name (mpread_t *r, bool (*valid) (const char *, size_t), char *buf, size_t *size)
{
    mpread_item_t item;
    if (mpread_next (r, &item) != 0 || item.kind != MPREAD_STR
    ||  !valid ((const char *) item.data, item.size))
        return -1;                      //  Also bounds the copy below
    memcpy (buf, item.data, item.size);
    buf [item.size] = '\0';
    *size = item.size;
    return 0;
}

//  A bin of at most KV_VALUE_MAX bytes; points *value into the input.
static int
s_read_value (mpread_t *r, const uint8_t **value, size_t *size)
{
    uint32_t bytes;
    if (mpread_bin (r, KV_VALUE_MAX, value, &bytes) != 0)
        return -1;
    *size = bytes;
    return 0;
}

static int
s_decode (const uint8_t *data, size_t size, kv_command_t *cmd, const char **why)
{
    mpread_t r;
    mpread_init (&r, data, size);
    mpread_item_t top;
    if (mpread_next (&r, &top) != 0 || top.kind != MPREAD_MAP) {
        *why = "command is not a complete msgpack map";
        return -1;
    }
    if (top.count > S_CMD_KEYS) {
        *why = "command map has too many pairs";
        return -1;
    }
    uint64_t key, op;
    if (top.count < 1 || mpread_key (&r, MPREAD_FIXINT_MAX, &key) != 0 || key != S_CMD_OP
    ||  mpread_uint (&r, &op) != 0 || op > KV_DEL_IF || s_op_fields ((kv_op_t) op) == 0) {
        *why = "first key is not op (0) with 1..4";
        return -1;
    }
    cmd->op = (kv_op_t) op;
    unsigned fields = s_op_fields (cmd->op);
    unsigned seen = S_BIT (S_CMD_OP);
    uint64_t prev = S_CMD_OP;
    for (uint32_t i = 1; i < top.count; i++) {
        if (mpread_key (&r, MPREAD_FIXINT_MAX, &key) != 0 || key <= prev) {
            *why = "keys must be positive fixints in strictly ascending order";
            return -1;
        }
        prev = key;
        if (key >= S_CMD_KEYS) {
            *why = "unknown key";
            return -1;
        }
        if (!(fields & S_BIT (key)) && key != S_CMD_CLIENT) {
            *why = "field not carried by this op";
            return -1;
        }
        seen |= S_BIT ((unsigned) key);
        size_t key_size;
        const uint8_t *value;
        switch (key) {
            case S_CMD_REQUEST:
                if (mpread_uint (&r, &cmd->request_id) != 0) {
                    *why = "request_id is not an unsigned integer";
                    return -1;
                }
                break;
            case S_CMD_KEY:
                if (s_read_name (&r, kv_key_valid, cmd->key, &key_size) != 0) {
                    *why = "key is not a str of 1..128 characters of [A-Za-z0-9._/-]";
                    return -1;
                }
                break;
            case S_CMD_EXPECTED:
                if (mpread_uint (&r, &cmd->expected_version) != 0) {
                    *why = "expected_version is not an unsigned integer";
                    return -1;
                }
                break;
            case S_CMD_CLIENT:
                if (s_read_name (&r, kv_client_valid, cmd->client, &key_size) != 0) {
                    *why = "client is not a str of 1..32 characters of [A-Za-z0-9._-]";
                    return -1;
                }
                break;
            default:
                if (s_read_value (&r, &value, &cmd->value_size) != 0) {
                    *why = "value is not a bin of at most 256 bytes";
                    return -1;
                }
                memcpy (cmd->value, value, cmd->value_size);
                break;
        }
    }
    if (mpread_left (&r) != 0) {
        *why = "trailing bytes after the command map";
        return -1;
    }
    if ((seen & ~S_BIT (S_CMD_CLIENT)) != fields) {
        *why = "a field this op needs is missing";
        return -1;
    }
    return kv_command_check (cmd, why);
}

int
kv_command_decode (const uint8_t *data, size_t size, kv_command_t *cmd, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    memset (cmd, 0, sizeof (*cmd));
    int rc = s_decode (data, size, cmd, why);
    if (rc != 0)
        memset (cmd, 0, sizeof (*cmd));
    return rc;
}

//  --------------------------------------------------------------------------
//  The map

kv_t *
kv_new_limited (size_t keys_max)
{
    assert (keys_max >= 1 && keys_max <= KV_KEYS_MAX);
    kv_t *self = (kv_t *) calloc (1, sizeof (kv_t));
    if (self)
        self->keys_max = keys_max;
    return self;
}

kv_t *
kv_new (void)
{
    return kv_new_limited (KV_KEYS_MAX);
}

void
kv_destroy (kv_t **self_p)
{
    assert (self_p);
    kv_t *self = *self_p;
    if (self) {
        for (size_t i = 0; i < self->count; i++)
            free (self->entries [i]);
        free (self->entries);
        free (self->sessions);
        free (self);
        *self_p = NULL;
    }
}

//  Bytewise order; a key sorts before any longer key it is a prefix of.
static int
s_compare (const char *a, size_t a_size, const char *b, size_t b_size)
{
    int rc = memcmp (a, b, a_size < b_size ? a_size : b_size);
    if (rc != 0)
        return rc;
    return a_size < b_size ? -1 : a_size > b_size ? 1 : 0;
}

//  Binary search: true if key is present, with *pos its slot; otherwise
//  *pos is the slot it would take (the first key after it).
//  The search both sorted arrays use (keys, sessions): compare (self, i,
//  target) orders element i against target like memcmp.
typedef int (s_order_fn) (const kv_t *self, size_t i, const void *target);

static bool
s_search (const kv_t *self, size_t count, s_order_fn *compare, const void *target, size_t *pos)
{
    size_t low = 0, high = count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int rc = compare (self, mid, target);
        if (rc == 0) {
            *pos = mid;
            return true;
        }
        if (rc < 0)
            low = mid + 1;
        else
            high = mid;
    }
    *pos = low;
    return false;
}

typedef struct {
    const char *key;
    size_t size;
} s_key_t;

static int
s_order_entry (const kv_t *self, size_t i, const void *target)
{
    const s_entry_t *entry = self->entries [i];
    const s_key_t *key = (const s_key_t *) target;
    return s_compare (s_key (entry), entry->key_size, key->key, key->size);
}

static bool
s_find (const kv_t *self, const char *key, size_t key_size, size_t *pos)
{
    s_key_t target = { key, key_size };
    return s_search (self, self->count, s_order_entry, &target, pos);
}

//  A new entry, or NULL if memory runs out.
static s_entry_t *
s_entry_new (const char *key, size_t key_size, uint64_t version,
             const uint8_t *value, size_t value_size)
{
    s_entry_t *entry = (s_entry_t *) malloc (sizeof (s_entry_t) + key_size + 1 + value_size);
    if (entry) {
        entry->version = version;
        entry->key_size = (uint16_t) key_size;
        entry->value_size = (uint16_t) value_size;
        memcpy (entry->data, key, key_size);
        entry->data [key_size] = '\0';
        if (value_size)
            memcpy (entry->data + key_size + 1, value, value_size);
    }
    return entry;
}

//  Make room for at least `needed` slots (needed <= keys_max).
static int
s_reserve (kv_t *self, size_t needed)
{
    if (needed <= self->slots)
        return 0;
    size_t slots = self->slots ? self->slots : S_ARRAY_MIN;
    while (slots < needed)
        slots *= 2;
    if (slots > self->keys_max)
        slots = self->keys_max;
    s_entry_t **entries = (s_entry_t **) realloc (self->entries, slots * sizeof (s_entry_t *));
    if (!entries)
        return -1;
    self->entries = entries;
    self->slots = slots;
    return 0;
}

//  Account for an entry joining (sign 1) or leaving (sign -1) the totals.
static void
s_account (kv_t *self, const s_entry_t *entry, int sign)
{
    size_t bytes = (size_t) entry->key_size + entry->value_size;
    size_t encoded = s_entry_bytes (entry->key_size, entry->version, entry->value_size);
    if (sign > 0) {
        self->bytes += bytes;
        self->entry_bytes += encoded;
    }
    else {
        self->bytes -= bytes;
        self->entry_bytes -= encoded;
    }
}

//  Add a new key at slot pos. Returns 0, or -1 (nothing changed) if memory
//  runs out. The caller has checked the limit.
static int
s_insert (kv_t *self, size_t pos, const kv_command_t *cmd, size_t key_size, uint64_t version)
{
    assert (self->count < self->keys_max);
    s_entry_t *entry = s_entry_new (cmd->key, key_size, version, cmd->value, cmd->value_size);
    if (!entry || s_reserve (self, self->count + 1) != 0) {
        free (entry);
        return -1;
    }
    memmove (self->entries + pos + 1, self->entries + pos,
             (self->count - pos) * sizeof (s_entry_t *));
    self->entries [pos] = entry;
    self->count++;
    s_account (self, entry, 1);
    return 0;
}

//  Replace the value and version of the key at slot pos. Returns 0, or -1
//  (nothing changed) if memory runs out.
static int
s_overwrite (kv_t *self, size_t pos, const kv_command_t *cmd, uint64_t version)
{
    s_entry_t *entry = self->entries [pos];
    if (entry->value_size != cmd->value_size) {
        s_entry_t *resized = (s_entry_t *) realloc (
            entry, sizeof (s_entry_t) + entry->key_size + 1 + cmd->value_size);
        if (!resized)
            return -1;          //  The old entry is intact
        self->entries [pos] = entry = resized;
    }
    s_account (self, entry, -1);
    entry->version = version;
    entry->value_size = (uint16_t) cmd->value_size;
    if (cmd->value_size)
        memcpy (entry->data + entry->key_size + 1, cmd->value, cmd->value_size);
    s_account (self, entry, 1);
    return 0;
}

static void
s_remove (kv_t *self, size_t pos)
{
    s_entry_t *entry = self->entries [pos];
    s_account (self, entry, -1);
    free (entry);
    self->count--;
    memmove (self->entries + pos, self->entries + pos + 1,
             (self->count - pos) * sizeof (s_entry_t *));
}

//  Write cmd's value at slot pos (an existing key if found, else a new
//  one) with version index. Returns 0 with *result, or -1 if memory runs out.
static int
s_write_value (kv_t *self, const kv_command_t *cmd, size_t key_size, bool found, size_t pos,
               uint64_t index, kv_result_t *result)
{
    if (found) {
        if (s_overwrite (self, pos, cmd, index) != 0)
            return -1;
    }
    else
    if (self->count >= self->keys_max) {
        result->status = KV_FULL;
        result->version = 0;
        return 0;
    }
    else
    if (s_insert (self, pos, cmd, key_size, index) != 0)
        return -1;
    result->status = KV_OK;
    result->version = index;
    return 0;
}

//  --------------------------------------------------------------------------
//  Sessions: each client's last write (kv.h)

//  FNV-1a over what the command does (not its request_id or client), so a
//  reused request_id with another command is not taken for a retry.
static uint64_t
s_command_hash (const kv_command_t *cmd)
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    uint8_t head [1 + 8 + 2];
    head [0] = (uint8_t) cmd->op;
    for (int i = 0; i < 8; i++)
        head [1 + i] = (uint8_t) (cmd->expected_version >> (8 * i));
    head [9] = (uint8_t) cmd->value_size;
    head [10] = (uint8_t) (cmd->value_size >> 8);
    const uint8_t *parts [3] = { head, (const uint8_t *) cmd->key, cmd->value };
    size_t sizes [3] = { sizeof head, s_key_size (cmd) + 1, cmd->value_size };
    for (int part = 0; part < 3; part++)
        for (size_t i = 0; i < sizes [part]; i++) {
            hash ^= parts [part][i];
            hash *= 0x100000001b3ULL;
        }
    return hash;
}

//  Binary search by client: true if present, with *pos its slot; else
//  *pos is where it would go.
static int
s_order_session (const kv_t *self, size_t i, const void *target)
{
    return strcmp (self->sessions [i].client, (const char *) target);
}

static bool
s_session_find (const kv_t *self, const char *client, size_t *pos)
{
    return s_search (self, self->session_count, s_order_session, client, pos);
}

//  Room for one more session (or for needed in all), so that recording one
//  after a command cannot fail. Returns 0, or -1 if memory runs out.
static int
s_session_reserve (kv_t *self, size_t needed)
{
    if (needed > KV_SESSIONS_MAX)
        needed = KV_SESSIONS_MAX;
    if (needed <= self->session_slots)
        return 0;
    size_t slots = self->session_slots ? self->session_slots * 2 : 4;
    while (slots < needed)
        slots *= 2;
    if (slots > KV_SESSIONS_MAX)
        slots = KV_SESSIONS_MAX;
    s_session_t *sessions = (s_session_t *) realloc (self->sessions, slots * sizeof (s_session_t));
    if (!sessions)
        return -1;
    self->sessions = sessions;
    self->session_slots = slots;
    return 0;
}

//  cmd's client's session, if cmd is a retry of the write recorded there.
static const s_session_t *
s_retry_of (const kv_t *self, const kv_command_t *cmd)
{
    size_t pos;
    if (!cmd->client [0] || cmd->request_id == 0 || !s_session_find (self, cmd->client, &pos))
        return NULL;
    const s_session_t *session = &self->sessions [pos];
    return session->request_id == cmd->request_id && session->hash == s_command_hash (cmd)
         ? session : NULL;
}

//  Make cmd (carried out at index, term, with outcome) its client's
//  session. Room was reserved (s_session_reserve): this cannot fail.
static void
s_session_record (kv_t *self, const kv_command_t *cmd, uint64_t index, uint64_t term,
                  const kv_result_t *outcome)
{
    size_t pos;
    if (!s_session_find (self, cmd->client, &pos)) {
        if (self->session_count == KV_SESSIONS_MAX) {
            //  Full: the client whose last write is oldest gives way
            size_t oldest = 0;
            for (size_t i = 1; i < self->session_count; i++)
                if (self->sessions [i].index < self->sessions [oldest].index)
                    oldest = i;
            memmove (self->sessions + oldest, self->sessions + oldest + 1,
                     (self->session_count - oldest - 1) * sizeof (s_session_t));
            self->session_count--;
            s_session_find (self, cmd->client, &pos);
        }
        assert (self->session_count < self->session_slots);
        memmove (self->sessions + pos + 1, self->sessions + pos,
                 (self->session_count - pos) * sizeof (s_session_t));
        self->session_count++;
    }
    s_session_t *session = &self->sessions [pos];
    snprintf (session->client, sizeof session->client, "%s", cmd->client);
    session->request_id = cmd->request_id;
    session->hash = s_command_hash (cmd);
    session->index = index;
    session->term = term;
    session->status = outcome->status;
    session->version = outcome->version;
}

static void
s_session_result (const s_session_t *session, kv_result_t *result)
{
    *result = (kv_result_t) { .status = session->status, .version = session->version,
                              .index = session->index, .term = session->term, .retry = true };
}

int
kv_recall (const kv_t *self, const kv_command_t *cmd, kv_result_t *result)
{
    assert (self && cmd && result);
    const s_session_t *session = s_retry_of (self, cmd);
    if (!session)
        return -1;
    s_session_result (session, result);
    return 0;
}

size_t
kv_sessions (const kv_t *self)
{
    assert (self);
    return self->session_count;
}

//  --------------------------------------------------------------------------
//  Applying commands

int
kv_apply (kv_t *self, uint64_t index, uint64_t term, const kv_command_t *cmd,
          kv_result_t *result)
{
    assert (self && cmd && result);
    if (index <= self->applied || kv_command_check (cmd, NULL) != 0)
        return -1;
    const s_session_t *retry = s_retry_of (self, cmd);
    if (retry) {
        //  Carried out already: the original's result, nothing changes
        s_session_result (retry, result);
        self->applied = index;
        return 0;
    }
    //  Room for the session first: after the command nothing may fail
    bool session = cmd->client [0] && cmd->request_id != 0;
    if (session && s_session_reserve (self, self->session_count + 1) != 0)
        return -1;
    size_t key_size = s_key_size (cmd);
    size_t pos;
    bool found = s_find (self, cmd->key, key_size, &pos);
    uint64_t current = found ? self->entries [pos]->version : 0;
    kv_result_t outcome = { KV_OK, 0, 0, 0, false };
    switch (cmd->op) {
        case KV_PUT:
            if (s_write_value (self, cmd, key_size, found, pos, index, &outcome) != 0)
                return -1;
            break;
        case KV_CAS:
            if (current != cmd->expected_version)
                outcome.status = KV_CAS_FAILED, outcome.version = current;
            else
            if (s_write_value (self, cmd, key_size, found, pos, index, &outcome) != 0)
                return -1;
            break;
        case KV_DEL:
        case KV_DEL_IF:
            if (!found)
                outcome.status = KV_NOT_FOUND;
            else
            if (cmd->op == KV_DEL_IF && current != cmd->expected_version)
                outcome.status = KV_CAS_FAILED, outcome.version = current;
            else
                s_remove (self, pos);
            break;
    }
    outcome.index = index;
    outcome.term = term;
    if (session)
        s_session_record (self, cmd, index, term, &outcome);
    self->applied = index;
    *result = outcome;
    return 0;
}

int
kv_advance (kv_t *self, uint64_t index)
{
    assert (self);
    if (index <= self->applied)
        return -1;
    self->applied = index;
    return 0;
}

int
kv_get (const kv_t *self, const char *key, const uint8_t **value, size_t *size,
        uint64_t *version)
{
    assert (self && key);
    size_t key_size = 0, pos;
    while (key_size <= KV_KEY_MAX && key [key_size])
        key_size++;
    if (key_size > KV_KEY_MAX || !s_find (self, key, key_size, &pos))
        return -1;
    const s_entry_t *entry = self->entries [pos];
    if (value)
        *value = s_value (entry);
    if (size)
        *size = entry->value_size;
    if (version)
        *version = entry->version;
    return 0;
}

static bool
s_has_prefix (const s_entry_t *entry, const char *prefix, size_t prefix_size)
{
    return entry->key_size >= prefix_size && memcmp (s_key (entry), prefix, prefix_size) == 0;
}

size_t
kv_list (const kv_t *self, const char *prefix, const char *after, size_t max,
         kv_visit_fn *visit, void *arg, bool *more)
{
    assert (self && visit);
    if (!prefix)
        prefix = "";
    size_t prefix_size = strlen (prefix);
    //  Keys with a prefix are contiguous and start where the prefix would.
    size_t start;
    s_find (self, prefix, prefix_size, &start);
    if (after && *after) {
        size_t pos;
        if (s_find (self, after, strlen (after), &pos))
            pos++;              //  Strictly after
        if (pos > start)
            start = pos;
    }
    size_t visited = 0, i = start;
    while (i < self->count && visited < max
       &&  s_has_prefix (self->entries [i], prefix, prefix_size)) {
        const s_entry_t *entry = self->entries [i++];
        visited++;
        if (visit (s_key (entry), s_value (entry), entry->value_size, entry->version, arg) != 0)
            break;
    }
    if (more)
        *more = i < self->count && s_has_prefix (self->entries [i], prefix, prefix_size);
    return visited;
}

uint64_t
kv_applied_index (const kv_t *self)
{
    assert (self);
    return self->applied;
}

size_t
kv_count (const kv_t *self)
{
    assert (self);
    return self->count;
}

size_t
kv_bytes (const kv_t *self)
{
    assert (self);
    return self->bytes;
}

//  --------------------------------------------------------------------------
//  Snapshots

//  Size of a session in the snapshot (a 7-array).
static size_t
s_session_bytes (const s_session_t *session)
{
    return 1 + s_str_size (strlen (session->client)) + s_uint_size (session->request_id)
         + s_uint_size (session->hash) + s_uint_size (session->index)
         + s_uint_size (session->term) + s_uint_size (session->status)
         + s_uint_size (session->version);
}

size_t
kv_snapshot_size (const kv_t *self)
{
    assert (self);
    //  fixmap, key 0, format, key 1, applied, key 2, array header, entries,
    //  key 3, array header, sessions (at most KV_SESSIONS_MAX: summed here)
    size_t sessions = 0;
    for (size_t i = 0; i < self->session_count; i++)
        sessions += s_session_bytes (&self->sessions [i]);
    return 1 + 1 + s_uint_size (KV_SNAPSHOT_FORMAT) + 1 + s_uint_size (self->applied) + 1
         + s_array_header_size (self->count) + self->entry_bytes
         + 1 + s_array_header_size (self->session_count) + sessions;
}

//  Pack the snapshot into sink; returns 0, or -1 if the sink failed.
static int
s_snapshot_pack (const kv_t *self, s_out_t *sink)
{
    msgpack_packer pk;
    msgpack_packer_init (&pk, sink, s_write);
    msgpack_pack_map (&pk, S_SNAP_KEYS);
    msgpack_pack_uint64 (&pk, S_SNAP_FORMAT);
    msgpack_pack_uint64 (&pk, KV_SNAPSHOT_FORMAT);
    msgpack_pack_uint64 (&pk, S_SNAP_APPLIED);
    msgpack_pack_uint64 (&pk, self->applied);
    msgpack_pack_uint64 (&pk, S_SNAP_ENTRIES);
    msgpack_pack_array (&pk, self->count);
    for (size_t i = 0; i < self->count && !sink->failed; i++) {
        const s_entry_t *entry = self->entries [i];
        msgpack_pack_array (&pk, 3);
        msgpack_pack_str_with_body (&pk, s_key (entry), entry->key_size);
        msgpack_pack_uint64 (&pk, entry->version);
        msgpack_pack_bin_with_body (&pk, s_value (entry), entry->value_size);
    }
    msgpack_pack_uint64 (&pk, S_SNAP_SESSIONS);
    msgpack_pack_array (&pk, self->session_count);
    for (size_t i = 0; i < self->session_count && !sink->failed; i++) {
        const s_session_t *session = &self->sessions [i];
        msgpack_pack_array (&pk, S_SESSION_FIELDS);
        msgpack_pack_str_with_body (&pk, session->client, strlen (session->client));
        msgpack_pack_uint64 (&pk, session->request_id);
        msgpack_pack_uint64 (&pk, session->hash);
        msgpack_pack_uint64 (&pk, session->index);
        msgpack_pack_uint64 (&pk, session->term);
        msgpack_pack_uint64 (&pk, (uint64_t) session->status);
        msgpack_pack_uint64 (&pk, session->version);
    }
    return sink->failed ? -1 : 0;
}

int
kv_snapshot_write (const kv_t *self, uint8_t *out, size_t cap)
{
    assert (self && out);
    size_t size = kv_snapshot_size (self);
    if (cap < size)
        return -1;
    s_out_t sink = { out, NULL, size, 0, false };
    int rc = s_snapshot_pack (self, &sink);
    assert (rc == 0 && sink.size == size);    //  The running totals are exact
    return rc;
}

//  Read the snapshot's entries (after the array header) into self.
static int
s_read_entries (kv_t *self, mpread_t *r, uint32_t count, uint64_t applied,
                char *err, size_t err_size)
{
    if (s_reserve (self, count) != 0)
        return errmsg_set (err, err_size, "snapshot: out of memory for %u entries", count);
    for (uint32_t i = 0; i < count; i++) {
        mpread_item_t item;
        char key [KV_KEY_MAX + 1];
        size_t key_size, value_size;
        uint64_t version;
        const uint8_t *value;
        if (mpread_next (r, &item) != 0 || item.kind != MPREAD_ARRAY || item.count != 3)
            return errmsg_set (err, err_size, "snapshot entry %u: not a 3-array", i);
        if (s_read_name (r, kv_key_valid, key, &key_size) != 0)
            return errmsg_set (err, err_size, "snapshot entry %u: key is not a str of "
                               "1..128 characters of [A-Za-z0-9._/-]", i);
        if (i > 0) {
            const s_entry_t *prev = self->entries [i - 1];
            if (s_compare (s_key (prev), prev->key_size, key, key_size) >= 0)
                return errmsg_set (err, err_size, "snapshot entry %u: key '%s' does not sort "
                                   "after the key before it", i, key);
        }
        if (mpread_uint (r, &version) != 0 || version < 1 || version > applied)
            return errmsg_set (err, err_size, "snapshot entry %u: version is not an integer "
                               "1..%llu (the applied index)", i, (unsigned long long) applied);
        if (s_read_value (r, &value, &value_size) != 0)
            return errmsg_set (err, err_size, "snapshot entry %u: value is not a bin of at "
                               "most 256 bytes", i);
        s_entry_t *entry = s_entry_new (key, key_size, version, value, value_size);
        if (!entry)
            return errmsg_set (err, err_size, "snapshot: out of memory at entry %u", i);
        self->entries [self->count++] = entry;
        s_account (self, entry, 1);
    }
    return 0;
}

//  Read the snapshot's sessions (after the array header) into self.
static int
s_read_sessions (kv_t *self, mpread_t *r, uint32_t count, uint64_t applied,
                 char *err, size_t err_size)
{
    if (s_session_reserve (self, count) != 0)
        return errmsg_set (err, err_size, "snapshot: out of memory for %u sessions", count);
    for (uint32_t i = 0; i < count; i++) {
        mpread_item_t item;
        s_session_t *session = &self->sessions [i];
        size_t client_size;
        uint64_t status;
        if (mpread_next (r, &item) != 0 || item.kind != MPREAD_ARRAY
        ||  item.count != S_SESSION_FIELDS)
            return errmsg_set (err, err_size, "snapshot session %u: not a %d-array", i,
                               S_SESSION_FIELDS);
        if (s_read_name (r, kv_client_valid, session->client, &client_size) != 0)
            return errmsg_set (err, err_size, "snapshot session %u: client is not a str of "
                               "1..32 characters of [A-Za-z0-9._-]", i);
        if (i > 0 && strcmp (self->sessions [i - 1].client, session->client) >= 0)
            return errmsg_set (err, err_size, "snapshot session %u: client '%s' does not sort "
                               "after the client before it", i, session->client);
        if (mpread_uint (r, &session->request_id) != 0 || session->request_id == 0
        ||  mpread_uint (r, &session->hash) != 0)
            return errmsg_set (err, err_size, "snapshot session %u: request_id (>= 1) or hash "
                               "is not an unsigned integer", i);
        if (mpread_uint (r, &session->index) != 0 || session->index < 1 || session->index > applied
        ||  mpread_uint (r, &session->term) != 0)
            return errmsg_set (err, err_size, "snapshot session %u: index is not 1..%llu (the "
                               "applied index), or term not an unsigned integer", i,
                               (unsigned long long) applied);
        if (mpread_uint (r, &status) != 0 || status > KV_FULL
        ||  mpread_uint (r, &session->version) != 0 || session->version > applied)
            return errmsg_set (err, err_size, "snapshot session %u: status is not 0..3, or "
                               "version not 0..%llu", i, (unsigned long long) applied);
        session->status = (kv_status_t) status;
        self->session_count++;
    }
    return 0;
}

static int
s_snapshot_decode (kv_t *self, const uint8_t *data, size_t size, char *err, size_t err_size)
{
    mpread_t r;
    mpread_init (&r, data, size);
    mpread_item_t item;
    uint64_t key, format, applied;
    if (mpread_next (&r, &item) != 0 || item.kind != MPREAD_MAP || item.count != S_SNAP_KEYS)
        return errmsg_set (err, err_size, "snapshot: not a msgpack map of %d pairs", S_SNAP_KEYS);
    if (mpread_key (&r, MPREAD_FIXINT_MAX, &key) != 0 || key != S_SNAP_FORMAT || mpread_uint (&r, &format) != 0)
        return errmsg_set (err, err_size, "snapshot: first pair is not the format (0)");
    if (format != KV_SNAPSHOT_FORMAT)
        return errmsg_set (err, err_size, "snapshot: format %llu, not %d",
                           (unsigned long long) format, KV_SNAPSHOT_FORMAT);
    if (mpread_key (&r, MPREAD_FIXINT_MAX, &key) != 0 || key != S_SNAP_APPLIED || mpread_uint (&r, &applied) != 0)
        return errmsg_set (err, err_size, "snapshot: second pair is not the applied index (1)");
    if (mpread_key (&r, MPREAD_FIXINT_MAX, &key) != 0 || key != S_SNAP_ENTRIES
    ||  mpread_next (&r, &item) != 0 || item.kind != MPREAD_ARRAY)
        return errmsg_set (err, err_size, "snapshot: third pair is not the entries array (2)");
    if (item.count > self->keys_max)
        return errmsg_set (err, err_size, "snapshot: %u entries, more than %zu",
                           item.count, self->keys_max);
    if (s_read_entries (self, &r, item.count, applied, err, err_size) != 0)
        return -1;
    if (mpread_key (&r, MPREAD_FIXINT_MAX, &key) != 0 || key != S_SNAP_SESSIONS
    ||  mpread_next (&r, &item) != 0 || item.kind != MPREAD_ARRAY)
        return errmsg_set (err, err_size, "snapshot: fourth pair is not the sessions array (3)");
    if (item.count > KV_SESSIONS_MAX)
        return errmsg_set (err, err_size, "snapshot: %u sessions, more than %d",
                           item.count, KV_SESSIONS_MAX);
    if (s_read_sessions (self, &r, item.count, applied, err, err_size) != 0)
        return -1;
    if (mpread_left (&r) != 0)
        return errmsg_set (err, err_size, "snapshot: %zu trailing bytes", mpread_left (&r));
    self->applied = applied;
    //  Canonical form: the bytes must be exactly what we would write.
    s_out_t sink = { NULL, data, size, 0, false };
    if (s_snapshot_pack (self, &sink) != 0 || sink.size != size)
        return errmsg_set (err, err_size, "snapshot: not in canonical form (an integer, "
                           "length or count not in its shortest encoding)");
    return 0;
}

kv_t *
kv_snapshot_read (const uint8_t *data, size_t size, char *err, size_t err_size)
{
    kv_t *self = kv_new ();
    if (!self) {
        errmsg_set (err, err_size, "snapshot: out of memory");
        return NULL;
    }
    if (s_snapshot_decode (self, data, size, err, err_size) != 0)
        kv_destroy (&self);
    return self;
}
