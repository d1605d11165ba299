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
    requests clients send (transfer-request, status-request). Which types a
    principal may send is the receiver's rule (peers.h, rx.h).

    Unknown keys (the rule that lets fields be added within version 1):
      keys  0..63   critical: a decoder rejects a body with one it does not
                    know for that type (malformed);
      keys 64..127  ancillary: a decoder skips the value of one it does not
                    know (any msgpack value within the limits below).
    A field every receiver must understand (log positions for replication)
    therefore needs a new version; one a receiver may ignore (a commit index
    in the heartbeat, counters) is an ancillary key.

    Decoding is strict: exact msgpack types (an integer field takes any
    integer encoding of an in-range value, nothing else; a string is str,
    never bin), required keys present, no trailing bytes, nesting at most
    WIRE_DEPTH_MAX, at most WIRE_PAIRS_MAX pairs per map, and no allocation
    at all (mpread.h). Encoding uses msgpack-c's packer into a fixed buffer
    and always produces the shortest encodings, in key order.
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
#define WIRE_BODY_BYTES_MAX     1024    //  Largest body (frame cap)
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
    WIRE_BEACON = 12            //  Every non-leader's heartbeat, to "*" (PUB), for
                                //  monitors; the heartbeat's fields, own topic
    //  13..31 are reserved for log replication (append entries and its
    //  reply, snapshots) in a later version; version 1 rejects them.
} wire_type_t;

#define WIRE_TYPE_MIN           WIRE_HEARTBEAT
#define WIRE_TYPE_MAX           WIRE_BEACON

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
    //  27..31 and 48..63 critical, unassigned; 32..47 reserved for replication
    WIRE_KEY_LEASE_EXPIRY_MS = 64,
    WIRE_KEY_STATUS = 65
    //  66..127 ancillary, unassigned (e.g. a heartbeat commit index)
};

//  What became of a client's request (transfer-reply key 26). A later
//  client request (dispatch data) answers with the same codes and adds its
//  own; a receiver treats a code it does not know as malformed.
typedef enum {
    WIRE_OUTCOME_ACCEPTED = 0,          //  Done: the transfer has begun, or the target leads
    WIRE_OUTCOME_NOT_LEADER = 1,        //  The recipient does not lead; leader = whom it follows
    WIRE_OUTCOME_UNKNOWN_TARGET = 2,    //  The target is not a voting member
    WIRE_OUTCOME_UNREACHABLE_TARGET = 3,    //  Target silent for T, or a transfer under way
    WIRE_OUTCOME_NOT_PERMITTED = 4,     //  This client may not ask for this
    WIRE_OUTCOME_STALE_TERM = 5         //  The request's term is not the leader's term
} wire_outcome_t;

#define WIRE_OUTCOME_MAX        WIRE_OUTCOME_STALE_TERM

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
} wire_heartbeat_t;

typedef struct {
    uint64_t hb_ms;                     //  The heartbeat's hb_ms, echoed
    bool granted;                       //  The heartbeat's leadership was accepted
} wire_heartbeat_ack_t;

typedef struct {
    bool transfer;                      //  Leadership transfer: ignore stickiness
} wire_vote_req_t;

typedef struct {
    bool granted;
} wire_reply_t;

//  A pre-vote round's id, fresh for every round (never 0); the reply
//  echoes it so that an answer held back in the network cannot count in
//  a later round at the same proposed term.
typedef struct {
    uint64_t round;
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

//  True for types that may be addressed to "*" (heartbeat and beacon).
bool wire_type_broadcast (wire_type_t type);

//  True if the len bytes at id are a valid member id (not "*").
bool wire_id_valid (const char *id, size_t len);

//  True if the len bytes at cluster are a valid cluster id.
bool wire_cluster_valid (const char *cluster, size_t len);

#endif
