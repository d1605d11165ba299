/*  msg: every protocol message as a C struct, and its msgpack body codec.

    A body is one msgpack map with small unsigned integer keys (positive
    fixint, 0..127) in strictly ascending order, so each key occurs once and
    every body has one reading. docs/PROTOCOL.md is the normative
    description; the key numbers are the WIRE_KEY_* values below.

    Every body starts with the signed header that gives it its meaning:
      0 version       uint, = WIRE_VERSION; checked first
      1 cluster       str, 1..64 of [A-Za-z0-9._-]
      2 type          uint, wire_type_t
      3 from          str, member id, 1..32 of [A-Za-z0-9._-]
      4 to            str, member id or "*" (broadcast)
      5 term          uint
      6 incarnation   uint >= 1, sender's boot counter
      7 seq           uint >= 1, per incarnation, shared by all channels

    "from" is the sender's principal id: a member's, or a client's for the
    requests clients send (status-request, transfer-request,
    client-request). Which types a principal may send is the receiver's
    rule (peers.h, rx.h).

    Unknown keys (the rule that lets fields be added within version 1):
      keys  0..63   critical: a decoder rejects a body with one it does not
                    know for that type (malformed);
      keys 64..127  ancillary: a decoder skips the value of one it does not
                    know (any msgpack value within the limits below).
    Once version 1 is released, a field every receiver must understand
    therefore needs a new version, and one a receiver may ignore (counters)
    is an ancillary key. Until then (docs/PROTOCOL.md section 10) critical
    keys and types may still be assigned to version 1, as log replication's
    and the client protocol's were.

    Decoding is strict: exact msgpack types (an integer field takes any
    integer encoding of an in-range value, nothing else; a string is str,
    never bin), required keys present, no trailing bytes, nesting at most
    WIRE_DEPTH_MAX, at most WIRE_PAIRS_MAX pairs per map, a body no longer
    than its type's cap (wire_body_cap), and no allocation at all
    (mpread.h; bin payloads point into the body). Encoding uses msgpack-c's
    packer into a fixed buffer and always produces the shortest encodings,
    in key order, and one encoding per message: an optional field is sent
    exactly when its struct says so (a has_ flag, or a value that is never
    valid on the wire: 0 for an index, a version or a limit, "" for after,
    no items), so a decoder refuses the never-valid values when present.
*/
#ifndef MESH_WIRE_MSG_H
#define MESH_WIRE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_PROTOCOL           "incidentmesh"
#define WIRE_VERSION            1
#define WIRE_ID_CHARS_MAX       32      //  Member id length
#define WIRE_CLUSTER_CHARS_MAX  64      //  Cluster id length
#define WIRE_BROADCAST          "*"     //  The "to" of a broadcast
#define WIRE_BODY_BYTES_MAX     65536   //  Largest body: an append, a snapshot chunk,
                                        //  a client request or reply (the frame cap for
                                        //  those); at most SIGN_BODY_BYTES_MAX, the
                                        //  longest body crypto/sign signs and verifies
#define WIRE_SMALL_BODY_BYTES_MAX 1024  //  Largest body of every other type
#define WIRE_ENTRIES_MAX        64      //  Entries per append (= CORE_APPEND_MAX)
#define WIRE_PAYLOAD_BYTES_MAX  512     //  One entry's payload (a kv command)
#define WIRE_CHUNK_BYTES_MAX    61440   //  Snapshot bytes per snapshot message (60 KiB:
                                        //  with its fields, under WIRE_BODY_BYTES_MAX)
#define WIRE_KV_KEY_CHARS_MAX   128     //  A kv key (= KV_KEY_MAX)
#define WIRE_KV_VALUE_BYTES_MAX 256     //  A kv value (= KV_VALUE_MAX)
#define WIRE_LIST_MAX           32      //  Items in one list reply
#define WIRE_DEPTH_MAX          8       //  Nesting of containers, the body map included
#define WIRE_PAIRS_MAX          64      //  Key/value pairs in any one map
#define WIRE_KEY_ANCILLARY_MIN  64      //  Keys from here up may be skipped if unknown
#define WIRE_KEY_MAX            127     //  Keys are positive fixints

//  Decoder results besides 0
#define WIRE_MALFORMED          (-2)    //  Not a valid version-1 body
#define WIRE_UNSUPPORTED        (-3)    //  A body of another protocol version

typedef enum {
    WIRE_HEARTBEAT = 1,         //  The leader's, each interval, to "*" (PUB); and a
                                //  leader's announcement that it stepped down
    WIRE_HEARTBEAT_ACK = 2,     //  Echoes hb_ms to the heartbeat's sender (lease)
    WIRE_PREVOTE_REQ = 3,       //  term = proposed term
    WIRE_PREVOTE_RESP = 4,
    WIRE_VOTE_REQ = 5,
    WIRE_VOTE_RESP = 6,
    WIRE_TIMEOUT_NOW = 7,       //  Leader -> transfer target: campaign now
    WIRE_STATUS_REQ = 8,        //  Ask a node for its state
    WIRE_STATUS_RESP = 9,       //  The answer, with reply_to = the request's seq
    WIRE_TRANSFER_REQ = 10,     //  Client -> the leader: hand leadership to target
    WIRE_TRANSFER_RESP = 11,    //  The outcome, with the request's seq and incarnation
    WIRE_BEACON = 12,           //  Every non-leader's heartbeat, to "*" (PUB), for
                                //  monitors; the heartbeat's fields, own topic
    WIRE_APPEND = 13,           //  Leader -> member: entries after prev_index, commit
    WIRE_APPEND_RESP = 14,      //  Member -> leader: granted + match_index, or a hint
    WIRE_SNAPSHOT = 15,         //  Leader -> member: one chunk of the snapshot through index
    WIRE_CLIENT_REQ = 16,       //  Client -> member: put, cas, del, get, list
    WIRE_CLIENT_RESP = 17       //  Member -> client: the outcome, with reply_to
    //  18..31 unassigned; version 1 rejects them.
} wire_type_t;

#define WIRE_TYPE_MIN           WIRE_HEARTBEAT
#define WIRE_TYPE_MAX           WIRE_CLIENT_RESP

//  A set of message types as a bit mask (bit = type code), for what a
//  principal may send (peers.h). Type codes stay below 32.
#define WIRE_TYPE_BIT(type)     (1u << (type))

typedef enum {
    WIRE_FOLLOWER = 0,
    WIRE_PRECANDIDATE = 1,
    WIRE_CANDIDATE = 2,
    WIRE_LEADER = 3
} wire_role_t;

//  Body keys
enum {
    WIRE_KEY_VERSION = 0,
    WIRE_KEY_CLUSTER = 1,
    WIRE_KEY_TYPE = 2,
    WIRE_KEY_FROM = 3,
    WIRE_KEY_TO = 4,
    WIRE_KEY_TERM = 5,
    WIRE_KEY_INCARNATION = 6,
    WIRE_KEY_SEQ = 7,
    //  8..15 reserved for the common header
    WIRE_KEY_ROLE = 16,
    WIRE_KEY_LEADER = 17,
    WIRE_KEY_HB_MS = 18,
    WIRE_KEY_LEASE_REMAINING_MS = 19,
    WIRE_KEY_STORM = 20,
    WIRE_KEY_GRANTED = 21,
    WIRE_KEY_TRANSFER = 22,
    WIRE_KEY_REPLY_TO = 23,
    WIRE_KEY_REPLY_INCARNATION = 24,
    WIRE_KEY_TARGET = 25,
    WIRE_KEY_OUTCOME = 26,
    WIRE_KEY_ROUND = 27,
    //  28..31 critical, unassigned
    //  Log replication
    WIRE_KEY_PREV_INDEX = 32,       //  append: entry before the first; snapshot: its last index
    WIRE_KEY_PREV_TERM = 33,        //  ... and its term
    WIRE_KEY_COMMIT = 34,           //  append, snapshot, heartbeat: the leader's commit index
    WIRE_KEY_ENTRIES = 35,          //  append: array of [term, type, payload (bin)]
    WIRE_KEY_MATCH_INDEX = 36,      //  append-reply
    WIRE_KEY_DATA = 37,             //  snapshot: this chunk's bytes (bin)
    WIRE_KEY_OFFSET = 38,           //  snapshot: the chunk's offset in the snapshot
    WIRE_KEY_TOTAL = 39,            //  snapshot: the snapshot's size in bytes
    WIRE_KEY_LAST_INDEX = 40,       //  (pre-)vote request: candidate's last log index
    WIRE_KEY_LAST_TERM = 41,        //  ... and its term
    //  Client requests and replies
    WIRE_KEY_OP = 42,               //  client request: wire_op_t
    WIRE_KEY_KV_KEY = 43,           //  client request: the key (list: the prefix)
    WIRE_KEY_VALUE = 44,            //  put, cas; get reply (bin)
    WIRE_KEY_EXPECTED = 45,         //  cas: expected version (0: must not exist); del: optional
    WIRE_KEY_REQUEST_ID = 46,       //  client request: the client's own id for it
    WIRE_KEY_AFTER = 47,            //  list: continue after this key
    WIRE_KEY_LIMIT = 48,            //  list: at most this many items
    WIRE_KEY_INDEX = 49,            //  client reply: the write's log index (with the header's
                                    //  term, its fencing token), or the read's commit index
    WIRE_KEY_VERSION_OF = 50,       //  client reply: the key's version
    WIRE_KEY_ITEMS = 51,            //  list reply: array of [key, version, value]
    WIRE_KEY_MORE = 52,             //  list reply: more items after the last
    //  53..63 critical, unassigned
    WIRE_KEY_LEASE_EXPIRY_MS = 64,
    WIRE_KEY_STATUS = 65,
    WIRE_KEY_APPLIED = 66,          //  heartbeat, beacon: the sender's applied index
    WIRE_KEY_NO_ACK = 67            //  heartbeat: true, the leader needs no ack of this round
    //  68..127 ancillary, unassigned
};

//  What became of a client's request (key 26 of transfer-reply and
//  client-reply; one code space for both); a receiver treats a code it
//  does not know as malformed.
typedef enum {
    WIRE_OUTCOME_ACCEPTED = 0,          //  Done: the transfer has begun, or the target leads
    WIRE_OUTCOME_NOT_LEADER = 1,        //  The recipient does not lead; leader = whom it follows
    WIRE_OUTCOME_UNKNOWN_TARGET = 2,    //  The target is not a voting member
    WIRE_OUTCOME_UNREACHABLE_TARGET = 3,    //  Target silent for T, or a transfer under way
    WIRE_OUTCOME_NOT_PERMITTED = 4,     //  This client may not ask for this
    WIRE_OUTCOME_STALE_TERM = 5,        //  The request's term is not the leader's term
    WIRE_OUTCOME_CAS_FAILED = 6,        //  cas/del: the version did not match (version: the current)
    WIRE_OUTCOME_NOT_FOUND = 7,         //  get/del: no such key
    WIRE_OUTCOME_FULL = 8,              //  put/cas: the map holds its maximum of keys
    WIRE_OUTCOME_UNAVAILABLE = 9,       //  The leader cannot serve it now (no lease for a read,
                                        //  its log full, stepping down): retry
    WIRE_OUTCOME_INVALID = 10           //  A bad key, value or op
} wire_outcome_t;

#define WIRE_OUTCOME_MAX        WIRE_OUTCOME_INVALID

//  Client operations (client-request key 42)
typedef enum {
    WIRE_OP_PUT = 1,
    WIRE_OP_CAS = 2,
    WIRE_OP_DEL = 3,
    WIRE_OP_GET = 4,
    WIRE_OP_LIST = 5
} wire_op_t;

#define WIRE_OP_MAX             WIRE_OP_LIST

//  Keys inside the status map (same critical/ancillary rule)
enum {
    WIRE_STATUS_KEY_ELECTIONS = 0,
    WIRE_STATUS_KEY_PREVOTES = 1,
    WIRE_STATUS_KEY_LEADER_CHANGES = 2,
    WIRE_STATUS_KEY_CHECK_QUORUM_STEPDOWNS = 3,
    WIRE_STATUS_KEY_MESSAGES_IGNORED = 4,
    WIRE_STATUS_KEY_FAILED_ELECTIONS = 5,
    WIRE_STATUS_KEY_WIRE_ACCEPTED = 6,
    WIRE_STATUS_KEY_WIRE_REJECTED = 7,
    WIRE_STATUS_KEYS = 8
};

//  Counters for monitors; all present whenever the map is.
typedef struct {
    uint64_t elections;                 //  Times the sender became candidate
    uint64_t prevotes;                  //  Pre-vote rounds it started
    uint64_t leader_changes;            //  Changes of the (term, leader) it knows
    uint64_t check_quorum_stepdowns;
    uint64_t messages_ignored;          //  Well-formed but stale or irrelevant
    uint64_t failed_elections;          //  Current consecutive failures
    uint64_t wire_accepted;             //  Messages its receive path accepted
    uint64_t wire_rejected;             //  ... and rejected, all reasons
} wire_status_t;

typedef struct {
    wire_role_t role;                   //  Sender's role
    bool has_leader;                    //  Sender follows (or is) a leader
    char leader [WIRE_ID_CHARS_MAX + 1];    //  Its id, if has_leader (else nil)
    uint64_t hb_ms;                     //  Sender's monotonic send time, echoed in the ack
    bool has_lease;                     //  Key 19 present (the sender leads)
    uint64_t lease_remaining_ms;        //  Lease left at hb_ms
    bool has_lease_expiry;              //  Key 64 present
    uint64_t lease_expiry_ms;           //  Lease end on the sender's monotonic clock
    bool storm;                         //  Sender's storm alarm
    bool has_status;                    //  Key 65 present
    wire_status_t status;
    bool has_commit;                    //  Key 34 present (a leader that replicates)
    uint64_t commit;                    //  Its commit index
    bool has_applied;                   //  Key 66 present
    uint64_t applied;                   //  Sender's applied index (monitors)
    bool no_ack;                        //  Key 67 present (only ever true): a leader's
                                        //  round it needs no acknowledgement of.
                                        //  Ancillary: a receiver that ignores it
                                        //  acknowledges every round, as before
} wire_heartbeat_t;

typedef struct {
    uint64_t hb_ms;                     //  The heartbeat's hb_ms, echoed
    bool granted;                       //  The heartbeat's leadership was accepted
} wire_heartbeat_ack_t;

typedef struct {
    bool transfer;                      //  Leadership transfer: ignore stickiness
    uint64_t last_index;                //  Candidate's last log index
    uint64_t last_term;                 //  ... and its term
} wire_vote_req_t;

typedef struct {
    bool granted;
} wire_reply_t;

//  A pre-vote round's id, fresh for every round (never 0); the reply
//  echoes it so that an answer held back in the network cannot count in
//  a later round at the same proposed term.
typedef struct {
    uint64_t round;
    uint64_t last_index;                //  Candidate's last log index
    uint64_t last_term;                 //  ... and its term
} wire_prevote_req_t;

typedef struct {
    bool granted;
    uint64_t round;                     //  The request's round, echoed
} wire_prevote_resp_t;

typedef struct {
    uint64_t reply_to;                  //  seq of the status request answered
    wire_role_t role;
    bool has_leader;
    char leader [WIRE_ID_CHARS_MAX + 1];
    bool has_lease;
    uint64_t lease_remaining_ms;
    bool storm;
    wire_status_t status;               //  Always present
} wire_status_resp_t;

//  term (header) is the term of the leadership the client asks to hand
//  over, as it saw it: the leader refuses any other (a request recorded in
//  an earlier term cannot be replayed to a later leader).
typedef struct {
    char target [WIRE_ID_CHARS_MAX + 1];        //  Member to hand leadership to
} wire_transfer_req_t;

//  term (header) is the sender's term after handling the request.
typedef struct {
    uint64_t reply_to;                          //  seq of the request answered
    uint64_t reply_incarnation;                 //  ... and its incarnation (>= 1)
    wire_outcome_t outcome;
    bool has_leader;                            //  Sender follows (or is) a leader
    char leader [WIRE_ID_CHARS_MAX + 1];        //  Its id, if has_leader (else nil)
} wire_transfer_resp_t;

//  One log entry in an append. The payload points into the decoded body
//  (decode) or the caller's buffer (encode): no copy either way.
typedef struct {
    uint64_t term;                      //  >= 1
    uint32_t type;                      //  core_entry_type_t: 0 no-op, 1 command
    const uint8_t *payload;
    uint32_t size;                      //  <= WIRE_PAYLOAD_BYTES_MAX (0 for a no-op)
} wire_entry_t;

//  Entries prev_index + 1 .. + entry_count (the indexes are implied).
typedef struct {
    uint64_t prev_index;
    uint64_t prev_term;
    uint64_t commit;
    uint32_t entry_count;               //  0..WIRE_ENTRIES_MAX
    wire_entry_t entries [WIRE_ENTRIES_MAX];
} wire_append_t;

typedef struct {
    bool granted;
    uint64_t match_index;               //  Granted: last index known to match; else a hint
} wire_append_resp_t;

//  One chunk of the snapshot of the state through index (whose term is
//  term); the receiver assembles chunks in offset order up to total.
typedef struct {
    uint64_t index;                     //  Key 32
    uint64_t term;                      //  Key 33
    uint64_t commit;                    //  Key 34
    uint64_t offset;                    //  Key 38
    uint64_t total;                     //  Key 39, >= offset + size
    const uint8_t *data;                //  Key 37, into the body
    uint32_t size;                      //  <= WIRE_CHUNK_BYTES_MAX
} wire_snapshot_t;

typedef struct {
    wire_op_t op;
    uint64_t request_id;
    char key [WIRE_KV_KEY_CHARS_MAX + 1];       //  1.. chars (list: the prefix, may be "")
    const uint8_t *value;                       //  put, cas (into the body)
    uint32_t value_size;                        //  <= WIRE_KV_VALUE_BYTES_MAX
    bool has_expected;                          //  cas: required; del: optional
    uint64_t expected;
    char after [WIRE_KV_KEY_CHARS_MAX + 1];     //  list: "" = from the start
    uint32_t limit;                             //  list: 1..WIRE_LIST_MAX (0: not sent)
} wire_client_req_t;

typedef struct {
    char key [WIRE_KV_KEY_CHARS_MAX + 1];
    uint64_t version;
    const uint8_t *value;
    uint32_t value_size;
} wire_item_t;

//  term (header) is the sender's term; with index it is a write's fencing
//  token.
typedef struct {
    uint64_t reply_to;                          //  seq of the request answered
    uint64_t reply_incarnation;                 //  ... and its incarnation
    wire_outcome_t outcome;
    bool has_leader;                            //  Sender follows (or is) a leader
    char leader [WIRE_ID_CHARS_MAX + 1];        //  Its id (the redirect for not-leader)
    uint64_t index;                             //  Key 49 (0: not sent)
    uint64_t version;                           //  Key 50 (0: absent/not sent)
    bool has_value;                             //  Key 44 present (get)
    const uint8_t *value;
    uint32_t value_size;
    uint32_t item_count;                        //  list: Key 51
    wire_item_t items [WIRE_LIST_MAX];
    bool more;                                  //  list: Key 52
} wire_client_resp_t;

//  One message: the signed header, then the fields of its type.
typedef struct {
    uint32_t version;                           //  WIRE_VERSION
    char cluster [WIRE_CLUSTER_CHARS_MAX + 1];
    wire_type_t type;
    char from [WIRE_ID_CHARS_MAX + 1];          //  Principal id (member or client)
    char to [WIRE_ID_CHARS_MAX + 1];            //  Principal id or "*"
    uint64_t term;
    uint64_t incarnation;                       //  >= 1
    uint64_t seq;                               //  >= 1
    union {
        wire_heartbeat_t heartbeat;             //  WIRE_HEARTBEAT, WIRE_BEACON
        wire_heartbeat_ack_t heartbeat_ack;     //  WIRE_HEARTBEAT_ACK
        wire_prevote_req_t prevote_req;         //  WIRE_PREVOTE_REQ
        wire_prevote_resp_t prevote_resp;       //  WIRE_PREVOTE_RESP
        wire_vote_req_t vote_req;               //  WIRE_VOTE_REQ
        wire_reply_t vote_resp;                 //  WIRE_VOTE_RESP
        wire_status_resp_t status_resp;         //  WIRE_STATUS_RESP
        wire_transfer_req_t transfer_req;       //  WIRE_TRANSFER_REQ
        wire_transfer_resp_t transfer_resp;     //  WIRE_TRANSFER_RESP
        wire_append_t append;                   //  WIRE_APPEND
        wire_append_resp_t append_resp;         //  WIRE_APPEND_RESP
        wire_snapshot_t snapshot;               //  WIRE_SNAPSHOT
        wire_client_req_t client_req;           //  WIRE_CLIENT_REQ
        wire_client_resp_t client_resp;         //  WIRE_CLIENT_RESP
        //  TIMEOUT_NOW and STATUS_REQ carry the header only
    };
} wire_msg_t;

//  Zero msg and set its version and type.
void wire_msg_init (wire_msg_t *msg, wire_type_t type);

//  Check every field a receiver would check. Returns 0, or WIRE_MALFORMED
//  with a static reason in *why (why may be NULL).
int wire_msg_check (const wire_msg_t *msg, const char **why);

//  Encode msg into buf. Returns 0 with the length in *size, or -1 if msg
//  fails wire_msg_check or does not fit in buf_size.
int wire_msg_encode (const wire_msg_t *msg, uint8_t *buf, size_t buf_size, size_t *size);

//  Decode a body of size bytes into msg (zeroed first). Returns 0,
//  WIRE_MALFORMED or WIRE_UNSUPPORTED, with a static reason in *why (why
//  may be NULL). Never allocates.
int wire_msg_decode (const uint8_t *data, size_t size, wire_msg_t *msg, const char **why);

//  True for the types whose body is a wire_heartbeat_t (heartbeat, beacon).
bool wire_type_heartbeat (wire_type_t type);

//  True if a and b carry the same header and the same fields of their type.
bool wire_msg_equal (const wire_msg_t *a, const wire_msg_t *b);

//  Name of a type as used in the head frame ("heartbeat", ...), or NULL.
const char *wire_type_name (wire_type_t type);

//  The type whose name is the len bytes at name, or 0 if none.
wire_type_t wire_type_from_name (const char *name, size_t len);

//  Name of an outcome ("accepted", "not-leader", ...), or NULL.
const char *wire_outcome_name (wire_outcome_t outcome);

//  Name of a client operation ("put", "cas", "del", "get", "list"), or NULL.
const char *wire_op_name (wire_op_t op);

//  The largest body type may have: WIRE_BODY_BYTES_MAX for append,
//  snapshot and client-reply (and client-request), WIRE_SMALL_BODY_BYTES_MAX
//  for the rest.
size_t wire_body_cap (wire_type_t type);

//  True for types that may be addressed to "*" (heartbeat and beacon).
bool wire_type_broadcast (wire_type_t type);

//  True if the len bytes at id are a valid member id (not "*").
bool wire_id_valid (const char *id, size_t len);

//  True if the len bytes at cluster are a valid cluster id.
bool wire_cluster_valid (const char *cluster, size_t len);

#endif
