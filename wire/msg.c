/*  msg: message structs and their msgpack body codec. See msg.h.

    One table, s_specs, says for each type which keys it may carry and
    which it must; the encoder and the decoder both follow it, so the two
    cannot drift apart. The decoder reads with mpread (bounded, no
    allocation); the encoder writes with msgpack-c's packer into the
    caller's fixed buffer.
*/
#include "msg.h"
#include "mpread.h"
#include <msgpack.h>
#include <string.h>

#define S_BIT(key)          (1ULL << (key))
#define S_ANC(key)          (1ULL << ((key) - WIRE_KEY_ANCILLARY_MIN))

#define S_COMMON    (S_BIT (WIRE_KEY_VERSION) | S_BIT (WIRE_KEY_CLUSTER) | S_BIT (WIRE_KEY_TYPE) \
                   | S_BIT (WIRE_KEY_FROM) | S_BIT (WIRE_KEY_TO) | S_BIT (WIRE_KEY_TERM) \
                   | S_BIT (WIRE_KEY_INCARNATION) | S_BIT (WIRE_KEY_SEQ))

//  What a type's body may and must contain.
typedef struct {
    const char *name;           //  In the head frame and the documentation
    uint64_t allowed;           //  Critical keys 0..63 it may carry
    uint64_t required;          //  Critical keys it must carry
    uint64_t allowed_anc;       //  Ancillary keys 64..127 it knows (bit key-64)
    uint64_t required_anc;      //  Ancillary keys it must carry
} s_spec_t;

static const s_spec_t s_specs [WIRE_TYPE_MAX + 1] = {
    [WIRE_HEARTBEAT] = {
        "heartbeat",
        S_COMMON | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_HB_MS)
                 | S_BIT (WIRE_KEY_LEASE_REMAINING_MS) | S_BIT (WIRE_KEY_STORM),
        S_COMMON | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_HB_MS)
                 | S_BIT (WIRE_KEY_STORM),
        S_ANC (WIRE_KEY_LEASE_EXPIRY_MS) | S_ANC (WIRE_KEY_STATUS),
        0
    },
    [WIRE_HEARTBEAT_ACK] = {
        "heartbeat-ack",
        S_COMMON | S_BIT (WIRE_KEY_HB_MS) | S_BIT (WIRE_KEY_GRANTED),
        S_COMMON | S_BIT (WIRE_KEY_HB_MS) | S_BIT (WIRE_KEY_GRANTED),
        0, 0
    },
    [WIRE_PREVOTE_REQ] = {
        "prevote-request",
        S_COMMON | S_BIT (WIRE_KEY_ROUND), S_COMMON | S_BIT (WIRE_KEY_ROUND), 0, 0
    },
    [WIRE_PREVOTE_RESP] = {
        "prevote-reply",
        S_COMMON | S_BIT (WIRE_KEY_GRANTED) | S_BIT (WIRE_KEY_ROUND),
        S_COMMON | S_BIT (WIRE_KEY_GRANTED) | S_BIT (WIRE_KEY_ROUND), 0, 0
    },
    [WIRE_VOTE_REQ] = {
        "vote-request",
        S_COMMON | S_BIT (WIRE_KEY_TRANSFER), S_COMMON | S_BIT (WIRE_KEY_TRANSFER), 0, 0
    },
    [WIRE_VOTE_RESP] = {
        "vote-reply",
        S_COMMON | S_BIT (WIRE_KEY_GRANTED), S_COMMON | S_BIT (WIRE_KEY_GRANTED), 0, 0
    },
    [WIRE_TIMEOUT_NOW] = { "timeout-now", S_COMMON, S_COMMON, 0, 0 },
    [WIRE_STATUS_REQ] = { "status-request", S_COMMON, S_COMMON, 0, 0 },
    [WIRE_STATUS_RESP] = {
        "status-reply",
        S_COMMON | S_BIT (WIRE_KEY_REPLY_TO) | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER)
                 | S_BIT (WIRE_KEY_LEASE_REMAINING_MS) | S_BIT (WIRE_KEY_STORM),
        S_COMMON | S_BIT (WIRE_KEY_REPLY_TO) | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER)
                 | S_BIT (WIRE_KEY_STORM),
        S_ANC (WIRE_KEY_STATUS),
        S_ANC (WIRE_KEY_STATUS)
    },
    [WIRE_TRANSFER_REQ] = {
        "transfer-request",
        S_COMMON | S_BIT (WIRE_KEY_TARGET), S_COMMON | S_BIT (WIRE_KEY_TARGET), 0, 0
    },
    [WIRE_TRANSFER_RESP] = {
        "transfer-reply",
        S_COMMON | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_REPLY_TO)
                 | S_BIT (WIRE_KEY_REPLY_INCARNATION) | S_BIT (WIRE_KEY_OUTCOME),
        S_COMMON | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_REPLY_TO)
                 | S_BIT (WIRE_KEY_REPLY_INCARNATION) | S_BIT (WIRE_KEY_OUTCOME),
        0, 0
    },
    //  A beacon is a non-leader's heartbeat: the same keys, another name
    //  (and so another PUB topic) that consensus does not subscribe to.
    [WIRE_BEACON] = {
        "beacon",
        S_COMMON | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_HB_MS)
                 | S_BIT (WIRE_KEY_LEASE_REMAINING_MS) | S_BIT (WIRE_KEY_STORM),
        S_COMMON | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_HB_MS)
                 | S_BIT (WIRE_KEY_STORM),
        S_ANC (WIRE_KEY_LEASE_EXPIRY_MS) | S_ANC (WIRE_KEY_STATUS),
        0
    }
};

static const char *s_outcome_names [WIRE_OUTCOME_MAX + 1] = {
    [WIRE_OUTCOME_ACCEPTED]           = "accepted",
    [WIRE_OUTCOME_NOT_LEADER]         = "not-leader",
    [WIRE_OUTCOME_UNKNOWN_TARGET]     = "unknown-target",
    [WIRE_OUTCOME_UNREACHABLE_TARGET] = "unreachable-target",
    [WIRE_OUTCOME_NOT_PERMITTED]      = "not-permitted",
    [WIRE_OUTCOME_STALE_TERM]         = "stale-term"
};

static bool
s_type_known (uint64_t type)
{
    return type >= WIRE_TYPE_MIN && type <= WIRE_TYPE_MAX;
}

//  --------------------------------------------------------------------------
//  Names and ids

const char *
wire_type_name (wire_type_t type)
{
    return s_type_known ((uint64_t) type) ? s_specs [type].name : NULL;
}

wire_type_t
wire_type_from_name (const char *name, size_t len)
{
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++)
        if (strlen (s_specs [type].name) == len && memcmp (s_specs [type].name, name, len) == 0)
            return (wire_type_t) type;
    return (wire_type_t) 0;
}

const char *
wire_outcome_name (wire_outcome_t outcome)
{
    return (unsigned) outcome <= WIRE_OUTCOME_MAX ? s_outcome_names [outcome] : NULL;
}

bool
wire_type_broadcast (wire_type_t type)
{
    return type == WIRE_HEARTBEAT || type == WIRE_BEACON;
}

bool
wire_type_heartbeat (wire_type_t type)
{
    return type == WIRE_HEARTBEAT || type == WIRE_BEACON;
}

static bool
s_id_chars (const char *id, size_t len, size_t max)
{
    if (len < 1 || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = id [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool
wire_id_valid (const char *id, size_t len)
{
    return s_id_chars (id, len, WIRE_ID_CHARS_MAX);
}

bool
wire_cluster_valid (const char *cluster, size_t len)
{
    return s_id_chars (cluster, len, WIRE_CLUSTER_CHARS_MAX);
}

//  Length of the string in a char array of size cap, or cap if it has no NUL.
static size_t
s_len (const char *s, size_t cap)
{
    const char *nul = memchr (s, '\0', cap);
    return nul ? (size_t) (nul - s) : cap;
}

#define S_ID_OK(field)      wire_id_valid ((field), s_len ((field), sizeof (field)))

//  --------------------------------------------------------------------------
//  Whole-message checks

void
wire_msg_init (wire_msg_t *msg, wire_type_t type)
{
    memset (msg, 0, sizeof (*msg));
    msg->version = WIRE_VERSION;
    msg->type = type;
}

static bool
s_leader_ok (bool has_leader, const char *leader, size_t cap)
{
    return !has_leader || wire_id_valid (leader, s_len (leader, cap));
}

int
wire_msg_check (const wire_msg_t *msg, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    if (msg->version != WIRE_VERSION)
        *why = "version is not 1";
    else
    if (!wire_cluster_valid (msg->cluster, s_len (msg->cluster, sizeof (msg->cluster))))
        *why = "cluster id not 1..64 of [A-Za-z0-9._-]";
    else
    if (!s_type_known ((uint64_t) msg->type))
        *why = "unknown message type";
    else
    if (!S_ID_OK (msg->from))
        *why = "from is not a member id";
    else
    if (!S_ID_OK (msg->to) && strcmp (msg->to, WIRE_BROADCAST) != 0)
        *why = "to is neither a member id nor \"*\"";
    else
    if (msg->incarnation == 0)
        *why = "incarnation is 0";
    else
    if (msg->seq == 0)
        *why = "seq is 0";
    else
    if (wire_type_heartbeat (msg->type)
    && ((unsigned) msg->heartbeat.role > WIRE_LEADER
        || !s_leader_ok (msg->heartbeat.has_leader, msg->heartbeat.leader,
                         sizeof (msg->heartbeat.leader))))
        *why = "heartbeat role or leader invalid";
    else
    if (msg->type == WIRE_STATUS_RESP
    && ((unsigned) msg->status_resp.role > WIRE_LEADER
        || !s_leader_ok (msg->status_resp.has_leader, msg->status_resp.leader,
                         sizeof (msg->status_resp.leader))))
        *why = "status role or leader invalid";
    else
    if ((msg->type == WIRE_PREVOTE_REQ && msg->prevote_req.round == 0)
    ||  (msg->type == WIRE_PREVOTE_RESP && msg->prevote_resp.round == 0))
        *why = "pre-vote round is 0";
    else
    if (msg->type == WIRE_TRANSFER_REQ && !S_ID_OK (msg->transfer_req.target))
        *why = "transfer target is not a member id";
    else
    if (msg->type == WIRE_TRANSFER_RESP
    && ((unsigned) msg->transfer_resp.outcome > WIRE_OUTCOME_MAX
        || msg->transfer_resp.reply_incarnation == 0
        || !s_leader_ok (msg->transfer_resp.has_leader, msg->transfer_resp.leader,
                         sizeof (msg->transfer_resp.leader))))
        *why = "transfer outcome, reply incarnation or leader invalid";
    return *why ? WIRE_MALFORMED : 0;
}

bool
wire_msg_equal (const wire_msg_t *a, const wire_msg_t *b)
{
    if (a->version != b->version || a->type != b->type
    ||  strcmp (a->cluster, b->cluster) != 0 || strcmp (a->from, b->from) != 0
    ||  strcmp (a->to, b->to) != 0 || a->term != b->term
    ||  a->incarnation != b->incarnation || a->seq != b->seq)
        return false;
    switch (a->type) {
        case WIRE_HEARTBEAT:
        case WIRE_BEACON: {
            const wire_heartbeat_t *x = &a->heartbeat, *y = &b->heartbeat;
            return x->role == y->role && x->has_leader == y->has_leader
                && (!x->has_leader || strcmp (x->leader, y->leader) == 0)
                && x->hb_ms == y->hb_ms && x->has_lease == y->has_lease
                && (!x->has_lease || x->lease_remaining_ms == y->lease_remaining_ms)
                && x->has_lease_expiry == y->has_lease_expiry
                && (!x->has_lease_expiry || x->lease_expiry_ms == y->lease_expiry_ms)
                && x->storm == y->storm && x->has_status == y->has_status
                && (!x->has_status || memcmp (&x->status, &y->status, sizeof (x->status)) == 0);
        }
        case WIRE_HEARTBEAT_ACK:
            return a->heartbeat_ack.hb_ms == b->heartbeat_ack.hb_ms
                && a->heartbeat_ack.granted == b->heartbeat_ack.granted;
        case WIRE_PREVOTE_REQ:
            return a->prevote_req.round == b->prevote_req.round;
        case WIRE_PREVOTE_RESP:
            return a->prevote_resp.granted == b->prevote_resp.granted
                && a->prevote_resp.round == b->prevote_resp.round;
        case WIRE_VOTE_REQ:
            return a->vote_req.transfer == b->vote_req.transfer;
        case WIRE_VOTE_RESP:
            return a->vote_resp.granted == b->vote_resp.granted;
        case WIRE_STATUS_RESP: {
            const wire_status_resp_t *x = &a->status_resp, *y = &b->status_resp;
            return x->reply_to == y->reply_to && x->role == y->role
                && x->has_leader == y->has_leader
                && (!x->has_leader || strcmp (x->leader, y->leader) == 0)
                && x->has_lease == y->has_lease
                && (!x->has_lease || x->lease_remaining_ms == y->lease_remaining_ms)
                && x->storm == y->storm
                && memcmp (&x->status, &y->status, sizeof (x->status)) == 0;
        }
        case WIRE_TRANSFER_REQ:
            return strcmp (a->transfer_req.target, b->transfer_req.target) == 0;
        case WIRE_TRANSFER_RESP: {
            const wire_transfer_resp_t *x = &a->transfer_resp, *y = &b->transfer_resp;
            return x->reply_to == y->reply_to && x->reply_incarnation == y->reply_incarnation
                && x->outcome == y->outcome && x->has_leader == y->has_leader
                && (!x->has_leader || strcmp (x->leader, y->leader) == 0);
        }
        default:
            return true;        //  Header-only types
    }
}

//  --------------------------------------------------------------------------
//  Encoding

typedef struct {
    uint8_t *data;              //  Caller's buffer
    size_t cap;                 //  Its size
    size_t size;                //  Bytes written so far
    bool overflow;              //  A write did not fit; the result is void
} s_out_t;

//  msgpack-c packer callback: append to the fixed buffer, never grow it.
static int
s_write (void *data, const char *buf, size_t len)
{
    s_out_t *out = (s_out_t *) data;
    if (out->overflow || len > out->cap - out->size) {
        out->overflow = true;
        return -1;
    }
    memcpy (out->data + out->size, buf, len);
    out->size += len;
    return 0;
}

static void
s_pack_str (msgpack_packer *pk, const char *s)
{
    size_t len = strlen (s);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

static void
s_pack_bool (msgpack_packer *pk, bool value)
{
    if (value)
        msgpack_pack_true (pk);
    else
        msgpack_pack_false (pk);
}

static void
s_pack_leader (msgpack_packer *pk, bool has_leader, const char *leader)
{
    if (has_leader)
        s_pack_str (pk, leader);
    else
        msgpack_pack_nil (pk);
}

static void
s_pack_status (msgpack_packer *pk, const wire_status_t *status)
{
    const uint64_t values [WIRE_STATUS_KEYS] = {
        status->elections, status->prevotes, status->leader_changes,
        status->check_quorum_stepdowns, status->messages_ignored,
        status->failed_elections, status->wire_accepted, status->wire_rejected
    };
    msgpack_pack_map (pk, WIRE_STATUS_KEYS);
    for (uint64_t key = 0; key < WIRE_STATUS_KEYS; key++) {
        msgpack_pack_uint64 (pk, key);
        msgpack_pack_uint64 (pk, values [key]);
    }
}

static int
s_popcount (uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

int
wire_msg_encode (const wire_msg_t *msg, uint8_t *buf, size_t buf_size, size_t *size)
{
    if (wire_msg_check (msg, NULL) != 0)
        return -1;
    //  Which keys this body carries: the required ones plus optional ones
    //  that are set. Keys go out in ascending order, as decoders demand.
    uint64_t keys = s_specs [msg->type].required;
    uint64_t anc = s_specs [msg->type].required_anc;
    if (wire_type_heartbeat (msg->type)) {
        if (msg->heartbeat.has_lease)
            keys |= S_BIT (WIRE_KEY_LEASE_REMAINING_MS);
        if (msg->heartbeat.has_lease_expiry)
            anc |= S_ANC (WIRE_KEY_LEASE_EXPIRY_MS);
        if (msg->heartbeat.has_status)
            anc |= S_ANC (WIRE_KEY_STATUS);
    }
    if (msg->type == WIRE_STATUS_RESP && msg->status_resp.has_lease)
        keys |= S_BIT (WIRE_KEY_LEASE_REMAINING_MS);

    s_out_t out = { buf, buf_size, 0, false };
    msgpack_packer pk;
    msgpack_packer_init (&pk, &out, s_write);
    msgpack_pack_map (&pk, (size_t) (s_popcount (keys) + s_popcount (anc)));

    const wire_heartbeat_t *hb = &msg->heartbeat;
    const wire_status_resp_t *sr = &msg->status_resp;
    const wire_transfer_resp_t *tr = &msg->transfer_resp;
    bool is_hb = wire_type_heartbeat (msg->type);
    bool is_tr = msg->type == WIRE_TRANSFER_RESP;
    for (uint64_t key = 0; key <= WIRE_KEY_MAX; key++) {
        bool present = key < WIRE_KEY_ANCILLARY_MIN
                     ? (keys & S_BIT (key)) != 0
                     : (anc & S_ANC (key)) != 0;
        if (!present)
            continue;
        msgpack_pack_uint64 (&pk, key);
        switch (key) {
            case WIRE_KEY_VERSION:     msgpack_pack_uint64 (&pk, msg->version); break;
            case WIRE_KEY_CLUSTER:     s_pack_str (&pk, msg->cluster); break;
            case WIRE_KEY_TYPE:        msgpack_pack_uint64 (&pk, (uint64_t) msg->type); break;
            case WIRE_KEY_FROM:        s_pack_str (&pk, msg->from); break;
            case WIRE_KEY_TO:          s_pack_str (&pk, msg->to); break;
            case WIRE_KEY_TERM:        msgpack_pack_uint64 (&pk, msg->term); break;
            case WIRE_KEY_INCARNATION: msgpack_pack_uint64 (&pk, msg->incarnation); break;
            case WIRE_KEY_SEQ:         msgpack_pack_uint64 (&pk, msg->seq); break;
            case WIRE_KEY_ROLE:
                msgpack_pack_uint64 (&pk, (uint64_t) (is_hb ? hb->role : sr->role));
                break;
            case WIRE_KEY_LEADER:
                if (is_hb)
                    s_pack_leader (&pk, hb->has_leader, hb->leader);
                else
                if (is_tr)
                    s_pack_leader (&pk, tr->has_leader, tr->leader);
                else
                    s_pack_leader (&pk, sr->has_leader, sr->leader);
                break;
            case WIRE_KEY_HB_MS:
                msgpack_pack_uint64 (&pk, is_hb ? hb->hb_ms : msg->heartbeat_ack.hb_ms);
                break;
            case WIRE_KEY_LEASE_REMAINING_MS:
                msgpack_pack_uint64 (&pk, is_hb ? hb->lease_remaining_ms : sr->lease_remaining_ms);
                break;
            case WIRE_KEY_STORM:
                s_pack_bool (&pk, is_hb ? hb->storm : sr->storm);
                break;
            case WIRE_KEY_GRANTED:
                s_pack_bool (&pk, msg->type == WIRE_HEARTBEAT_ACK ? msg->heartbeat_ack.granted
                                : msg->type == WIRE_PREVOTE_RESP ? msg->prevote_resp.granted
                                : msg->vote_resp.granted);
                break;
            case WIRE_KEY_TRANSFER:    s_pack_bool (&pk, msg->vote_req.transfer); break;
            case WIRE_KEY_REPLY_TO:
                msgpack_pack_uint64 (&pk, is_tr ? tr->reply_to : sr->reply_to);
                break;
            case WIRE_KEY_REPLY_INCARNATION: msgpack_pack_uint64 (&pk, tr->reply_incarnation); break;
            case WIRE_KEY_TARGET:      s_pack_str (&pk, msg->transfer_req.target); break;
            case WIRE_KEY_OUTCOME:     msgpack_pack_uint64 (&pk, (uint64_t) tr->outcome); break;
            case WIRE_KEY_ROUND:
                msgpack_pack_uint64 (&pk, msg->type == WIRE_PREVOTE_REQ ? msg->prevote_req.round
                                                                        : msg->prevote_resp.round);
                break;
            case WIRE_KEY_LEASE_EXPIRY_MS: msgpack_pack_uint64 (&pk, hb->lease_expiry_ms); break;
            case WIRE_KEY_STATUS:
                s_pack_status (&pk, is_hb ? &hb->status : &sr->status);
                break;
            default:
                break;          //  Not reached: the spec table names only these keys
        }
    }
    if (out.overflow)
        return -1;
    *size = out.size;
    return 0;
}

//  --------------------------------------------------------------------------
//  Decoding

//  Each helper reads one value of an exact type; -1 means malformed.

static int
s_read_key (mpread_t *r, uint64_t *key)
{
    //  Keys are positive fixints: one byte, 0x00..0x7f.
    if (mpread_left (r) < 1 || r->pos [0] > WIRE_KEY_MAX)
        return -1;
    *key = r->pos [0];
    r->pos++;
    r->left--;
    return 0;
}

static int
s_read_uint (mpread_t *r, uint64_t *value)
{
    mpread_item_t item;
    if (mpread_next (r, &item) != 0 || item.kind != MPREAD_UINT)
        return -1;
    *value = item.uint;
    return 0;
}

static int
s_read_bool (mpread_t *r, bool *value)
{
    mpread_item_t item;
    if (mpread_next (r, &item) != 0 || item.kind != MPREAD_BOOL)
        return -1;
    *value = item.boolean;
    return 0;
}

//  A str that passes valid(), copied with its NUL into buf.
static int
s_read_name (mpread_t *r, char *buf, bool (*valid) (const char *, size_t), bool star_ok)
{
    mpread_item_t item;
    if (mpread_next (r, &item) != 0 || item.kind != MPREAD_STR)
        return -1;
    const char *s = (const char *) item.data;
    bool star = star_ok && item.size == 1 && s [0] == '*';
    if (!star && !valid (s, item.size))
        return -1;                  //  Also bounds the copy below
    memcpy (buf, s, item.size);
    buf [item.size] = '\0';
    return 0;
}

static int
s_read_leader (mpread_t *r, bool *has_leader, char *leader)
{
    if (mpread_left (r) >= 1 && r->pos [0] == 0xc0) {
        r->pos++;
        r->left--;
        *has_leader = false;
        return 0;
    }
    *has_leader = true;
    return s_read_name (r, leader, wire_id_valid, false);
}

static int
s_read_status (mpread_t *r, wire_status_t *status, const char **why)
{
    mpread_item_t item;
    if (mpread_next (r, &item) != 0 || item.kind != MPREAD_MAP) {
        *why = "status is not a map";
        return -1;
    }
    if (item.count > WIRE_PAIRS_MAX) {
        *why = "status map has too many pairs";
        return -1;
    }
    uint64_t *values [WIRE_STATUS_KEYS] = {
        &status->elections, &status->prevotes, &status->leader_changes,
        &status->check_quorum_stepdowns, &status->messages_ignored,
        &status->failed_elections, &status->wire_accepted, &status->wire_rejected
    };
    uint64_t seen = 0;
    int64_t prev = -1;
    for (uint32_t i = 0; i < item.count; i++) {
        uint64_t key;
        if (s_read_key (r, &key) != 0 || (int64_t) key <= prev) {
            *why = "status keys must be ascending positive fixints";
            return -1;
        }
        prev = (int64_t) key;
        if (key < WIRE_STATUS_KEYS) {
            if (s_read_uint (r, values [key]) != 0) {
                *why = "status counter is not an unsigned integer";
                return -1;
            }
            seen |= S_BIT (key);
        }
        else
        if (key >= WIRE_KEY_ANCILLARY_MIN) {
            //  The body map and the status map hold this value.
            if (mpread_skip (r, WIRE_DEPTH_MAX - 2) != 0) {
                *why = "unknown status field is malformed or nested too deep";
                return -1;
            }
        }
        else {
            *why = "unknown critical status key";
            return -1;
        }
    }
    if (seen != S_BIT (WIRE_STATUS_KEYS) - 1) {
        *why = "status map lacks a counter";
        return -1;
    }
    return 0;
}

//  Read the value of a known key into msg. Returns 0 or -1 with *why.
static int
s_read_field (mpread_t *r, wire_msg_t *msg, uint64_t key, const char **why)
{
    bool is_hb = wire_type_heartbeat (msg->type);
    bool is_tr = msg->type == WIRE_TRANSFER_RESP;
    wire_heartbeat_t *hb = &msg->heartbeat;
    wire_status_resp_t *sr = &msg->status_resp;
    wire_transfer_resp_t *tr = &msg->transfer_resp;
    uint64_t value = 0;
    int rc = 0;
    switch (key) {
        case WIRE_KEY_CLUSTER:
            rc = s_read_name (r, msg->cluster, wire_cluster_valid, false);
            *why = "cluster is not a valid cluster id string";
            break;
        case WIRE_KEY_TYPE:
            rc = s_read_uint (r, &value);
            if (rc == 0 && !s_type_known (value))
                rc = -1;
            if (rc == 0)
                msg->type = (wire_type_t) value;
            *why = "type is not a known message type";
            break;
        case WIRE_KEY_FROM:
            rc = s_read_name (r, msg->from, wire_id_valid, false);
            *why = "from is not a member id string";
            break;
        case WIRE_KEY_TO:
            rc = s_read_name (r, msg->to, wire_id_valid, true);
            *why = "to is not a member id or \"*\"";
            break;
        case WIRE_KEY_TERM:
            rc = s_read_uint (r, &msg->term);
            *why = "term is not an unsigned integer";
            break;
        case WIRE_KEY_INCARNATION:
            rc = s_read_uint (r, &msg->incarnation);
            if (rc == 0 && msg->incarnation == 0)
                rc = -1;
            *why = "incarnation is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_SEQ:
            rc = s_read_uint (r, &msg->seq);
            if (rc == 0 && msg->seq == 0)
                rc = -1;
            *why = "seq is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_ROLE:
            rc = s_read_uint (r, &value);
            if (rc == 0 && value > WIRE_LEADER)
                rc = -1;
            if (rc != 0)
                value = 0;
            if (is_hb)
                hb->role = (wire_role_t) value;
            else
                sr->role = (wire_role_t) value;
            *why = "role is not 0..3";
            break;
        case WIRE_KEY_LEADER:
            rc = is_hb ? s_read_leader (r, &hb->has_leader, hb->leader)
               : is_tr ? s_read_leader (r, &tr->has_leader, tr->leader)
                       : s_read_leader (r, &sr->has_leader, sr->leader);
            *why = "leader is neither nil nor a member id";
            break;
        case WIRE_KEY_HB_MS:
            rc = s_read_uint (r, is_hb ? &hb->hb_ms : &msg->heartbeat_ack.hb_ms);
            *why = "hb_ms is not an unsigned integer";
            break;
        case WIRE_KEY_LEASE_REMAINING_MS:
            if (is_hb) {
                rc = s_read_uint (r, &hb->lease_remaining_ms);
                hb->has_lease = true;
            }
            else {
                rc = s_read_uint (r, &sr->lease_remaining_ms);
                sr->has_lease = true;
            }
            *why = "lease_remaining_ms is not an unsigned integer";
            break;
        case WIRE_KEY_STORM:
            rc = s_read_bool (r, is_hb ? &hb->storm : &sr->storm);
            *why = "storm is not a boolean";
            break;
        case WIRE_KEY_GRANTED:
            rc = s_read_bool (r, msg->type == WIRE_HEARTBEAT_ACK ? &msg->heartbeat_ack.granted
                               : msg->type == WIRE_PREVOTE_RESP ? &msg->prevote_resp.granted
                               : &msg->vote_resp.granted);
            *why = "granted is not a boolean";
            break;
        case WIRE_KEY_TRANSFER:
            rc = s_read_bool (r, &msg->vote_req.transfer);
            *why = "transfer is not a boolean";
            break;
        case WIRE_KEY_REPLY_TO:
            rc = s_read_uint (r, is_tr ? &tr->reply_to : &sr->reply_to);
            *why = "reply_to is not an unsigned integer";
            break;
        case WIRE_KEY_REPLY_INCARNATION:
            rc = s_read_uint (r, &tr->reply_incarnation);
            if (rc == 0 && tr->reply_incarnation == 0)
                rc = -1;
            *why = "reply_incarnation is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_TARGET:
            rc = s_read_name (r, msg->transfer_req.target, wire_id_valid, false);
            *why = "target is not a member id string";
            break;
        case WIRE_KEY_OUTCOME:
            rc = s_read_uint (r, &value);
            if (rc == 0 && value > WIRE_OUTCOME_MAX)
                rc = -1;
            if (rc == 0)
                tr->outcome = (wire_outcome_t) value;
            *why = "outcome is not a known outcome code";
            break;
        case WIRE_KEY_ROUND:
            rc = s_read_uint (r, msg->type == WIRE_PREVOTE_REQ ? &msg->prevote_req.round
                                                               : &msg->prevote_resp.round);
            if (rc == 0 && (msg->type == WIRE_PREVOTE_REQ ? msg->prevote_req.round
                                                          : msg->prevote_resp.round) == 0)
                rc = -1;
            *why = "round is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_LEASE_EXPIRY_MS:
            rc = s_read_uint (r, &hb->lease_expiry_ms);
            hb->has_lease_expiry = true;
            *why = "lease_expiry_ms is not an unsigned integer";
            break;
        case WIRE_KEY_STATUS:
            if (is_hb)
                hb->has_status = true;
            return s_read_status (r, is_hb ? &hb->status : &sr->status, why);
        default:
            rc = -1;            //  Not reached: the spec table names only these keys
            *why = "unexpected key";
            break;
    }
    if (rc == 0)
        *why = NULL;
    return rc;
}

//  Decode into msg, which the caller zeroed.
static int
s_decode (const uint8_t *data, size_t size, wire_msg_t *msg, const char **why)
{
    if (size > WIRE_BODY_BYTES_MAX) {
        *why = "body longer than the frame cap";
        return WIRE_MALFORMED;
    }
    mpread_t r;
    mpread_init (&r, data, size);
    mpread_item_t top;
    if (mpread_next (&r, &top) != 0 || top.kind != MPREAD_MAP) {
        *why = "body is not a complete msgpack map";
        return WIRE_MALFORMED;
    }
    if (top.count > WIRE_PAIRS_MAX) {
        *why = "body map has too many pairs";
        return WIRE_MALFORMED;
    }
    //  The version comes first, so that a body of another version is told
    //  apart from a broken one without reading anything else of it.
    uint64_t key, version;
    if (top.count < 1 || s_read_key (&r, &key) != 0 || key != WIRE_KEY_VERSION
    ||  s_read_uint (&r, &version) != 0) {
        *why = "first key is not the version (0) with an unsigned integer";
        return WIRE_MALFORMED;
    }
    if (version != WIRE_VERSION) {
        *why = "unsupported protocol version";
        return WIRE_UNSUPPORTED;
    }
    msg->version = (uint32_t) version;

    uint64_t seen = S_BIT (WIRE_KEY_VERSION), seen_anc = 0;
    uint64_t prev = WIRE_KEY_VERSION;
    for (uint32_t i = 1; i < top.count; i++) {
        if (s_read_key (&r, &key) != 0 || key <= prev) {
            *why = "keys must be positive fixints in strictly ascending order";
            return WIRE_MALFORMED;
        }
        prev = key;
        //  Type-specific keys follow the type (key 2) by the ordering rule.
        const s_spec_t *spec;
        s_spec_t common = { NULL, S_COMMON, S_COMMON, 0, 0 };
        if (seen & S_BIT (WIRE_KEY_TYPE))
            spec = &s_specs [msg->type];
        else
        if (key <= WIRE_KEY_SEQ)
            spec = &common;
        else {
            *why = "type missing";
            return WIRE_MALFORMED;
        }
        if (key < WIRE_KEY_ANCILLARY_MIN) {
            if (!(spec->allowed & S_BIT (key))) {
                *why = "unknown critical key for this type";
                return WIRE_MALFORMED;
            }
            seen |= S_BIT (key);
        }
        else {
            if (!(spec->allowed_anc & S_ANC (key))) {
                if (mpread_skip (&r, WIRE_DEPTH_MAX - 1) != 0) {
                    *why = "unknown ancillary field is malformed or nested too deep";
                    return WIRE_MALFORMED;
                }
                continue;
            }
            seen_anc |= S_ANC (key);
        }
        if (s_read_field (&r, msg, key, why) != 0)
            return WIRE_MALFORMED;
    }
    if (mpread_left (&r) != 0) {
        *why = "trailing bytes after the body map";
        return WIRE_MALFORMED;
    }
    if (!(seen & S_BIT (WIRE_KEY_TYPE))) {
        *why = "type missing";
        return WIRE_MALFORMED;
    }
    const s_spec_t *spec = &s_specs [msg->type];
    if ((seen & spec->required) != spec->required
    ||  (seen_anc & spec->required_anc) != spec->required_anc) {
        *why = "a required field is missing";
        return WIRE_MALFORMED;
    }
    //  Field-level checks above cover everything; this is the same rule
    //  set the encoder applies, kept as one last guard.
    return wire_msg_check (msg, why) == 0 ? 0 : WIRE_MALFORMED;
}

int
wire_msg_decode (const uint8_t *data, size_t size, wire_msg_t *msg, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    memset (msg, 0, sizeof (*msg));
    int rc = s_decode (data, size, msg, why);
    if (rc != 0)
        memset (msg, 0, sizeof (*msg));
    return rc;
}
