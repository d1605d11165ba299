/*  msg: message structs and their msgpack body codec. See msg.h.

    One table, s_specs, says for each type which keys it may carry and
    which it must; the encoder and the decoder both follow it, so the two
    cannot drift apart. What the table cannot say (a client request's keys
    depend on its op; a list reply's items and more go together) is
    s_presence_ok, and every rule on values is wire_msg_check, which both
    the encoder and the decoder apply last. The decoder reads with mpread
    (bounded, no allocation; payloads point into the body); the encoder
    writes with msgpack-c's packer into the caller's fixed buffer, never
    past the type's body cap.
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

//  Heartbeat and beacon: the same keys
#define S_HB_ALLOWED    (S_COMMON | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER) \
                       | S_BIT (WIRE_KEY_HB_MS) | S_BIT (WIRE_KEY_LEASE_REMAINING_MS) \
                       | S_BIT (WIRE_KEY_STORM) | S_BIT (WIRE_KEY_COMMIT))
#define S_HB_REQUIRED   (S_COMMON | S_BIT (WIRE_KEY_ROLE) | S_BIT (WIRE_KEY_LEADER) \
                       | S_BIT (WIRE_KEY_HB_MS) | S_BIT (WIRE_KEY_STORM))
#define S_HB_ANC        (S_ANC (WIRE_KEY_LEASE_EXPIRY_MS) | S_ANC (WIRE_KEY_STATUS) \
                       | S_ANC (WIRE_KEY_APPLIED) | S_ANC (WIRE_KEY_NO_ACK))

#define S_APPEND        (S_COMMON | S_BIT (WIRE_KEY_PREV_INDEX) | S_BIT (WIRE_KEY_PREV_TERM) \
                       | S_BIT (WIRE_KEY_COMMIT) | S_BIT (WIRE_KEY_ENTRIES))
#define S_APPEND_RESP   (S_COMMON | S_BIT (WIRE_KEY_GRANTED) | S_BIT (WIRE_KEY_MATCH_INDEX))
#define S_SNAPSHOT      (S_COMMON | S_BIT (WIRE_KEY_PREV_INDEX) | S_BIT (WIRE_KEY_PREV_TERM) \
                       | S_BIT (WIRE_KEY_COMMIT) | S_BIT (WIRE_KEY_DATA) \
                       | S_BIT (WIRE_KEY_OFFSET) | S_BIT (WIRE_KEY_TOTAL))
//  Client request: what every op carries, and what some ops may (s_presence_ok)
#define S_CLIENT_REQ_REQUIRED   (S_COMMON | S_BIT (WIRE_KEY_OP) | S_BIT (WIRE_KEY_KV_KEY) \
                               | S_BIT (WIRE_KEY_REQUEST_ID))
#define S_CLIENT_REQ_ALLOWED    (S_CLIENT_REQ_REQUIRED | S_BIT (WIRE_KEY_VALUE) \
                               | S_BIT (WIRE_KEY_EXPECTED) | S_BIT (WIRE_KEY_AFTER) \
                               | S_BIT (WIRE_KEY_LIMIT))
#define S_CLIENT_RESP_REQUIRED  (S_COMMON | S_BIT (WIRE_KEY_LEADER) | S_BIT (WIRE_KEY_REPLY_TO) \
                               | S_BIT (WIRE_KEY_REPLY_INCARNATION) | S_BIT (WIRE_KEY_OUTCOME))
#define S_CLIENT_RESP_ALLOWED   (S_CLIENT_RESP_REQUIRED | S_BIT (WIRE_KEY_VALUE) \
                               | S_BIT (WIRE_KEY_INDEX) | S_BIT (WIRE_KEY_VERSION_OF) \
                               | S_BIT (WIRE_KEY_ITEMS) | S_BIT (WIRE_KEY_MORE))

//  What a type's body may and must contain.
typedef struct {
    const char *name;           //  In the head frame and the documentation
    uint64_t allowed;           //  Critical keys 0..63 it may carry
    uint64_t required;          //  Critical keys it must carry
    uint64_t allowed_anc;       //  Ancillary keys 64..127 it knows (bit key-64)
    uint64_t required_anc;      //  Ancillary keys it must carry
} s_spec_t;

static const s_spec_t s_specs [WIRE_TYPE_MAX + 1] = {
    [WIRE_HEARTBEAT] = { "heartbeat", S_HB_ALLOWED, S_HB_REQUIRED, S_HB_ANC, 0 },
    [WIRE_HEARTBEAT_ACK] = {
        "heartbeat-ack",
        S_COMMON | S_BIT (WIRE_KEY_HB_MS) | S_BIT (WIRE_KEY_GRANTED),
        S_COMMON | S_BIT (WIRE_KEY_HB_MS) | S_BIT (WIRE_KEY_GRANTED),
        0, 0
    },
    [WIRE_PREVOTE_REQ] = {
        "prevote-request",
        S_COMMON | S_BIT (WIRE_KEY_ROUND) | S_BIT (WIRE_KEY_LAST_INDEX) | S_BIT (WIRE_KEY_LAST_TERM),
        S_COMMON | S_BIT (WIRE_KEY_ROUND) | S_BIT (WIRE_KEY_LAST_INDEX) | S_BIT (WIRE_KEY_LAST_TERM),
        0, 0
    },
    [WIRE_PREVOTE_RESP] = {
        "prevote-reply",
        S_COMMON | S_BIT (WIRE_KEY_GRANTED) | S_BIT (WIRE_KEY_ROUND),
        S_COMMON | S_BIT (WIRE_KEY_GRANTED) | S_BIT (WIRE_KEY_ROUND), 0, 0
    },
    [WIRE_VOTE_REQ] = {
        "vote-request",
        S_COMMON | S_BIT (WIRE_KEY_TRANSFER) | S_BIT (WIRE_KEY_LAST_INDEX) | S_BIT (WIRE_KEY_LAST_TERM),
        S_COMMON | S_BIT (WIRE_KEY_TRANSFER) | S_BIT (WIRE_KEY_LAST_INDEX) | S_BIT (WIRE_KEY_LAST_TERM),
        0, 0
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
    [WIRE_BEACON] = { "beacon", S_HB_ALLOWED, S_HB_REQUIRED, S_HB_ANC, 0 },
    [WIRE_APPEND] = { "append", S_APPEND, S_APPEND, 0, 0 },
    [WIRE_APPEND_RESP] = { "append-reply", S_APPEND_RESP, S_APPEND_RESP, 0, 0 },
    [WIRE_SNAPSHOT] = { "snapshot", S_SNAPSHOT, S_SNAPSHOT, 0, 0 },
    [WIRE_CLIENT_REQ] = {
        "client-request", S_CLIENT_REQ_ALLOWED, S_CLIENT_REQ_REQUIRED, 0, 0
    },
    [WIRE_CLIENT_RESP] = {
        "client-reply", S_CLIENT_RESP_ALLOWED, S_CLIENT_RESP_REQUIRED, 0, 0
    }
};

static const char *s_outcome_names [WIRE_OUTCOME_MAX + 1] = {
    [WIRE_OUTCOME_ACCEPTED]           = "accepted",
    [WIRE_OUTCOME_NOT_LEADER]         = "not-leader",
    [WIRE_OUTCOME_UNKNOWN_TARGET]     = "unknown-target",
    [WIRE_OUTCOME_UNREACHABLE_TARGET] = "unreachable-target",
    [WIRE_OUTCOME_NOT_PERMITTED]      = "not-permitted",
    [WIRE_OUTCOME_STALE_TERM]         = "stale-term",
    [WIRE_OUTCOME_CAS_FAILED]         = "cas-failed",
    [WIRE_OUTCOME_NOT_FOUND]          = "not-found",
    [WIRE_OUTCOME_FULL]               = "full",
    [WIRE_OUTCOME_UNAVAILABLE]        = "unavailable",
    [WIRE_OUTCOME_INVALID]            = "invalid"
};

static const char *s_op_names [WIRE_OP_MAX + 1] = {
    [WIRE_OP_PUT]  = "put",
    [WIRE_OP_CAS]  = "cas",
    [WIRE_OP_DEL]  = "del",
    [WIRE_OP_GET]  = "get",
    [WIRE_OP_LIST] = "list"
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

const char *
wire_op_name (wire_op_t op)
{
    return (unsigned) op >= WIRE_OP_PUT && (unsigned) op <= WIRE_OP_MAX ? s_op_names [op] : NULL;
}

size_t
wire_body_cap (wire_type_t type)
{
    switch (type) {
        case WIRE_APPEND:
        case WIRE_SNAPSHOT:
        case WIRE_CLIENT_REQ:
        case WIRE_CLIENT_RESP:
            return WIRE_BODY_BYTES_MAX;
        default:
            return WIRE_SMALL_BODY_BYTES_MAX;
    }
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

//  A kv key (node/kv.h): min_len..WIRE_KV_KEY_CHARS_MAX of [A-Za-z0-9._/-].
//  min_len is 0 for a list's prefix, 1 for every key.
static bool
s_kv_key_valid (const char *key, size_t len, size_t min_len)
{
    if (len < min_len || len > WIRE_KV_KEY_CHARS_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
           || c == '.' || c == '_' || c == '-' || c == '/'))
            return false;
    }
    return true;
}

//  Length of the string in a char array of size cap, or cap if it has no NUL.
static size_t
s_len (const char *s, size_t cap)
{
    const char *nul = memchr (s, '\0', cap);
    return nul ? (size_t) (nul - s) : cap;
}

#define S_ID_OK(field)      wire_id_valid ((field), s_len ((field), sizeof (field)))
#define S_KEY_OK(field, min) s_kv_key_valid ((field), s_len ((field), sizeof (field)), (min))

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

//  A byte string of size bytes: at most max, and somewhere to read them from.
static bool
s_bytes_ok (const uint8_t *data, uint32_t size, uint32_t max)
{
    return size <= max && (size == 0 || data != NULL);
}

//  A log position (index, term) as a candidate or a leader states it:
//  index 0 (the empty log) has term 0, and every later index a term >= 1,
//  never above the message's term.
static bool
s_position_ok (uint64_t index, uint64_t term, uint64_t msg_term)
{
    return (index == 0) == (term == 0) && term <= msg_term;
}

static const char *
s_check_append (const wire_msg_t *msg)
{
    const wire_append_t *ap = &msg->append;
    if (ap->entry_count > WIRE_ENTRIES_MAX)
        return "more than WIRE_ENTRIES_MAX entries";
    if (!s_position_ok (ap->prev_index, ap->prev_term, msg->term))
        return "prev_term is 0 without prev_index 0, or above the term";
    if (ap->prev_index > UINT64_MAX - WIRE_ENTRIES_MAX)
        return "prev_index leaves no room for the entries' indexes";
    uint64_t previous = ap->prev_term;
    for (uint32_t k = 0; k < ap->entry_count; k++) {
        const wire_entry_t *e = &ap->entries [k];
        if (e->term == 0 || e->term < previous)
            return "entry terms must be >= 1, >= prev_term and never go down";
        if (e->term > msg->term)
            return "entry term above the message's term";
        if (e->type > 1)
            return "entry type is not 0 (no-op) or 1 (command)";
        if (!s_bytes_ok (e->payload, e->size, WIRE_PAYLOAD_BYTES_MAX))
            return "entry payload longer than WIRE_PAYLOAD_BYTES_MAX";
        if (e->type == 0 && e->size != 0)
            return "a no-op entry has a payload";
        previous = e->term;
    }
    return NULL;
}

static const char *
s_check_snapshot (const wire_msg_t *msg)
{
    const wire_snapshot_t *sn = &msg->snapshot;
    if (sn->index == 0 || sn->term == 0 || sn->term > msg->term)
        return "snapshot index or term is 0, or its term above the message's";
    if (sn->size == 0 || !s_bytes_ok (sn->data, sn->size, WIRE_CHUNK_BYTES_MAX))
        return "snapshot chunk empty or longer than WIRE_CHUNK_BYTES_MAX";
    if (sn->total < sn->size || sn->offset > sn->total - sn->size)
        return "snapshot chunk ends beyond total";
    return NULL;
}

static const char *
s_check_client_req (const wire_msg_t *msg)
{
    const wire_client_req_t *cq = &msg->client_req;
    wire_op_t op = cq->op;
    if (!wire_op_name (op))
        return "op is not 1..5";
    if (cq->request_id == 0)
        return "request_id is 0";
    if (!S_KEY_OK (cq->key, op == WIRE_OP_LIST ? 0 : 1))
        return "key is not a kv key (list: a prefix, may be empty)";
    bool writes = op == WIRE_OP_PUT || op == WIRE_OP_CAS;
    if (writes && !s_bytes_ok (cq->value, cq->value_size, WIRE_KV_VALUE_BYTES_MAX))
        return "value longer than WIRE_KV_VALUE_BYTES_MAX";
    if (!writes && cq->value_size != 0)
        return "a value with an op other than put or cas";
    if (op == WIRE_OP_CAS && !cq->has_expected)
        return "cas without expected";
    if (cq->has_expected && op != WIRE_OP_CAS && op != WIRE_OP_DEL)
        return "expected with an op other than cas or del";
    if (op != WIRE_OP_LIST && (cq->after [0] != '\0' || cq->limit != 0))
        return "after or limit with an op other than list";
    if (op == WIRE_OP_LIST && (!S_KEY_OK (cq->after, 0) || cq->limit > WIRE_LIST_MAX))
        return "list after is not a kv key, or limit above WIRE_LIST_MAX";
    return NULL;
}

static const char *
s_check_client_resp (const wire_msg_t *msg)
{
    const wire_client_resp_t *cr = &msg->client_resp;
    if ((unsigned) cr->outcome > WIRE_OUTCOME_MAX || cr->reply_incarnation == 0
    ||  !s_leader_ok (cr->has_leader, cr->leader, sizeof (cr->leader)))
        return "client reply outcome, reply incarnation or leader invalid";
    if (cr->has_value && !s_bytes_ok (cr->value, cr->value_size, WIRE_KV_VALUE_BYTES_MAX))
        return "value longer than WIRE_KV_VALUE_BYTES_MAX";
    if (cr->item_count > WIRE_LIST_MAX)
        return "more than WIRE_LIST_MAX items";
    if (cr->more && cr->item_count == 0)
        return "more without items";
    for (uint32_t i = 0; i < cr->item_count; i++) {
        const wire_item_t *item = &cr->items [i];
        if (!S_KEY_OK (item->key, 1) || item->version == 0
        ||  !s_bytes_ok (item->value, item->value_size, WIRE_KV_VALUE_BYTES_MAX))
            return "an item is not [kv key, version >= 1, value]";
        //  Both NUL-terminated now: checked just above
        if (i > 0 && strcmp (cr->items [i - 1].key, item->key) >= 0)
            return "item keys are not strictly ascending";
    }
    return NULL;
}

//  The rules on the fields of msg's type, or NULL if they hold.
static const char *
s_check_fields (const wire_msg_t *msg)
{
    switch (msg->type) {
        case WIRE_HEARTBEAT:
        case WIRE_BEACON:
            if ((unsigned) msg->heartbeat.role > WIRE_LEADER
            ||  !s_leader_ok (msg->heartbeat.has_leader, msg->heartbeat.leader,
                              sizeof (msg->heartbeat.leader)))
                return "heartbeat role or leader invalid";
            return NULL;
        case WIRE_STATUS_RESP:
            if ((unsigned) msg->status_resp.role > WIRE_LEADER
            ||  !s_leader_ok (msg->status_resp.has_leader, msg->status_resp.leader,
                              sizeof (msg->status_resp.leader)))
                return "status role or leader invalid";
            return NULL;
        case WIRE_PREVOTE_REQ:
            if (msg->prevote_req.round == 0)
                return "pre-vote round is 0";
            if (!s_position_ok (msg->prevote_req.last_index, msg->prevote_req.last_term, msg->term))
                return "last_term is 0 without last_index 0, or above the term";
            return NULL;
        case WIRE_PREVOTE_RESP:
            return msg->prevote_resp.round == 0 ? "pre-vote round is 0" : NULL;
        case WIRE_VOTE_REQ:
            if (!s_position_ok (msg->vote_req.last_index, msg->vote_req.last_term, msg->term))
                return "last_term is 0 without last_index 0, or above the term";
            return NULL;
        case WIRE_TRANSFER_REQ:
            return S_ID_OK (msg->transfer_req.target) ? NULL : "transfer target is not a member id";
        case WIRE_TRANSFER_RESP:
            if ((unsigned) msg->transfer_resp.outcome > WIRE_OUTCOME_MAX
            ||  msg->transfer_resp.reply_incarnation == 0
            ||  !s_leader_ok (msg->transfer_resp.has_leader, msg->transfer_resp.leader,
                              sizeof (msg->transfer_resp.leader)))
                return "transfer outcome, reply incarnation or leader invalid";
            return NULL;
        case WIRE_APPEND:       return s_check_append (msg);
        case WIRE_SNAPSHOT:     return s_check_snapshot (msg);
        case WIRE_CLIENT_REQ:   return s_check_client_req (msg);
        case WIRE_CLIENT_RESP:  return s_check_client_resp (msg);
        default:
            return NULL;        //  No rules beyond their types: ack, vote reply,
                                //  timeout-now, status request, append reply
    }
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
        *why = s_check_fields (msg);
    return *why ? WIRE_MALFORMED : 0;
}

//  size bytes at a and b are the same (either may be NULL when size is 0).
static bool
s_same_bytes (const uint8_t *a, const uint8_t *b, uint32_t size)
{
    return size == 0 || memcmp (a, b, size) == 0;
}

static bool
s_equal_append (const wire_append_t *x, const wire_append_t *y)
{
    if (x->prev_index != y->prev_index || x->prev_term != y->prev_term
    ||  x->commit != y->commit || x->entry_count != y->entry_count)
        return false;
    for (uint32_t k = 0; k < x->entry_count && k < WIRE_ENTRIES_MAX; k++) {
        const wire_entry_t *a = &x->entries [k], *b = &y->entries [k];
        if (a->term != b->term || a->type != b->type || a->size != b->size
        ||  !s_same_bytes (a->payload, b->payload, a->size))
            return false;
    }
    return true;
}

static bool
s_equal_client_req (const wire_client_req_t *x, const wire_client_req_t *y)
{
    bool writes = x->op == WIRE_OP_PUT || x->op == WIRE_OP_CAS;
    return x->op == y->op && x->request_id == y->request_id
        && strcmp (x->key, y->key) == 0
        && x->value_size == y->value_size
        && (!writes || s_same_bytes (x->value, y->value, x->value_size))
        && x->has_expected == y->has_expected
        && (!x->has_expected || x->expected == y->expected)
        && strcmp (x->after, y->after) == 0 && x->limit == y->limit;
}

static bool
s_equal_client_resp (const wire_client_resp_t *x, const wire_client_resp_t *y)
{
    if (x->reply_to != y->reply_to || x->reply_incarnation != y->reply_incarnation
    ||  x->outcome != y->outcome || x->has_leader != y->has_leader
    || (x->has_leader && strcmp (x->leader, y->leader) != 0)
    ||  x->index != y->index || x->version != y->version || x->has_value != y->has_value
    || (x->has_value && (x->value_size != y->value_size
                         || !s_same_bytes (x->value, y->value, x->value_size)))
    ||  x->item_count != y->item_count || x->more != y->more)
        return false;
    for (uint32_t i = 0; i < x->item_count && i < WIRE_LIST_MAX; i++) {
        const wire_item_t *a = &x->items [i], *b = &y->items [i];
        if (strcmp (a->key, b->key) != 0 || a->version != b->version
        ||  a->value_size != b->value_size || !s_same_bytes (a->value, b->value, a->value_size))
            return false;
    }
    return true;
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
                && (!x->has_status || memcmp (&x->status, &y->status, sizeof (x->status)) == 0)
                && x->has_commit == y->has_commit && (!x->has_commit || x->commit == y->commit)
                && x->has_applied == y->has_applied
                && (!x->has_applied || x->applied == y->applied)
                && x->no_ack == y->no_ack;
        }
        case WIRE_HEARTBEAT_ACK:
            return a->heartbeat_ack.hb_ms == b->heartbeat_ack.hb_ms
                && a->heartbeat_ack.granted == b->heartbeat_ack.granted;
        case WIRE_PREVOTE_REQ:
            return a->prevote_req.round == b->prevote_req.round
                && a->prevote_req.last_index == b->prevote_req.last_index
                && a->prevote_req.last_term == b->prevote_req.last_term;
        case WIRE_PREVOTE_RESP:
            return a->prevote_resp.granted == b->prevote_resp.granted
                && a->prevote_resp.round == b->prevote_resp.round;
        case WIRE_VOTE_REQ:
            return a->vote_req.transfer == b->vote_req.transfer
                && a->vote_req.last_index == b->vote_req.last_index
                && a->vote_req.last_term == b->vote_req.last_term;
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
        case WIRE_APPEND:
            return s_equal_append (&a->append, &b->append);
        case WIRE_APPEND_RESP:
            return a->append_resp.granted == b->append_resp.granted
                && a->append_resp.match_index == b->append_resp.match_index;
        case WIRE_SNAPSHOT: {
            const wire_snapshot_t *x = &a->snapshot, *y = &b->snapshot;
            return x->index == y->index && x->term == y->term && x->commit == y->commit
                && x->offset == y->offset && x->total == y->total && x->size == y->size
                && s_same_bytes (x->data, y->data, x->size);
        }
        case WIRE_CLIENT_REQ:
            return s_equal_client_req (&a->client_req, &b->client_req);
        case WIRE_CLIENT_RESP:
            return s_equal_client_resp (&a->client_resp, &b->client_resp);
        default:
            return true;        //  Header-only types
    }
}

//  --------------------------------------------------------------------------
//  Encoding

typedef struct {
    uint8_t *data;              //  Caller's buffer
    size_t cap;                 //  Its size, or the type's body cap if smaller
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
    if (len)                    //  An empty bin body may come with NULL
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
s_pack_bin (msgpack_packer *pk, const uint8_t *data, uint32_t size)
{
    msgpack_pack_bin (pk, size);
    msgpack_pack_bin_body (pk, data, size);
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

//  [[term, type, payload], ...]
static void
s_pack_entries (msgpack_packer *pk, const wire_append_t *ap)
{
    msgpack_pack_array (pk, ap->entry_count);
    for (uint32_t k = 0; k < ap->entry_count; k++) {
        const wire_entry_t *e = &ap->entries [k];
        msgpack_pack_array (pk, 3);
        msgpack_pack_uint64 (pk, e->term);
        msgpack_pack_uint64 (pk, e->type);
        s_pack_bin (pk, e->payload, e->size);
    }
}

//  [[key, version, value], ...]
static void
s_pack_items (msgpack_packer *pk, const wire_client_resp_t *cr)
{
    msgpack_pack_array (pk, cr->item_count);
    for (uint32_t i = 0; i < cr->item_count; i++) {
        const wire_item_t *item = &cr->items [i];
        msgpack_pack_array (pk, 3);
        s_pack_str (pk, item->key);
        msgpack_pack_uint64 (pk, item->version);
        s_pack_bin (pk, item->value, item->value_size);
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

//  The optional keys msg carries, added to *keys and *anc.
static void
s_optional_keys (const wire_msg_t *msg, uint64_t *keys, uint64_t *anc)
{
    const wire_heartbeat_t *hb = &msg->heartbeat;
    const wire_client_req_t *cq = &msg->client_req;
    const wire_client_resp_t *cr = &msg->client_resp;
    switch (msg->type) {
        case WIRE_HEARTBEAT:
        case WIRE_BEACON:
            if (hb->has_lease)
                *keys |= S_BIT (WIRE_KEY_LEASE_REMAINING_MS);
            if (hb->has_commit)
                *keys |= S_BIT (WIRE_KEY_COMMIT);
            if (hb->has_lease_expiry)
                *anc |= S_ANC (WIRE_KEY_LEASE_EXPIRY_MS);
            if (hb->has_status)
                *anc |= S_ANC (WIRE_KEY_STATUS);
            if (hb->has_applied)
                *anc |= S_ANC (WIRE_KEY_APPLIED);
            if (hb->no_ack)
                *anc |= S_ANC (WIRE_KEY_NO_ACK);
            break;
        case WIRE_STATUS_RESP:
            if (msg->status_resp.has_lease)
                *keys |= S_BIT (WIRE_KEY_LEASE_REMAINING_MS);
            break;
        case WIRE_CLIENT_REQ:
            if (cq->op == WIRE_OP_PUT || cq->op == WIRE_OP_CAS)
                *keys |= S_BIT (WIRE_KEY_VALUE);
            if (cq->has_expected)
                *keys |= S_BIT (WIRE_KEY_EXPECTED);
            if (cq->after [0])
                *keys |= S_BIT (WIRE_KEY_AFTER);
            if (cq->limit)
                *keys |= S_BIT (WIRE_KEY_LIMIT);
            break;
        case WIRE_CLIENT_RESP:
            if (cr->has_value)
                *keys |= S_BIT (WIRE_KEY_VALUE);
            if (cr->index)
                *keys |= S_BIT (WIRE_KEY_INDEX);
            if (cr->version)
                *keys |= S_BIT (WIRE_KEY_VERSION_OF);
            if (cr->item_count)
                *keys |= S_BIT (WIRE_KEY_ITEMS) | S_BIT (WIRE_KEY_MORE);
            break;
        default:
            break;
    }
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
    s_optional_keys (msg, &keys, &anc);

    //  A body longer than its type's cap would be refused by every
    //  receiver: it does not fit, whatever the buffer.
    size_t cap = wire_body_cap (msg->type);
    s_out_t out = { buf, buf_size < cap ? buf_size : cap, 0, false };
    msgpack_packer pk;
    msgpack_packer_init (&pk, &out, s_write);
    msgpack_pack_map (&pk, (size_t) (s_popcount (keys) + s_popcount (anc)));

    wire_type_t type = msg->type;
    const wire_heartbeat_t *hb = &msg->heartbeat;
    const wire_status_resp_t *sr = &msg->status_resp;
    const wire_transfer_resp_t *tr = &msg->transfer_resp;
    const wire_append_t *ap = &msg->append;
    const wire_snapshot_t *sn = &msg->snapshot;
    const wire_client_req_t *cq = &msg->client_req;
    const wire_client_resp_t *cr = &msg->client_resp;
    bool is_hb = wire_type_heartbeat (type);
    bool is_tr = type == WIRE_TRANSFER_RESP;
    bool is_cr = type == WIRE_CLIENT_RESP;
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
            case WIRE_KEY_TYPE:        msgpack_pack_uint64 (&pk, (uint64_t) type); break;
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
                if (is_cr)
                    s_pack_leader (&pk, cr->has_leader, cr->leader);
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
                s_pack_bool (&pk, type == WIRE_HEARTBEAT_ACK ? msg->heartbeat_ack.granted
                                : type == WIRE_PREVOTE_RESP ? msg->prevote_resp.granted
                                : type == WIRE_APPEND_RESP ? msg->append_resp.granted
                                : msg->vote_resp.granted);
                break;
            case WIRE_KEY_TRANSFER:    s_pack_bool (&pk, msg->vote_req.transfer); break;
            case WIRE_KEY_REPLY_TO:
                msgpack_pack_uint64 (&pk, is_tr ? tr->reply_to : is_cr ? cr->reply_to : sr->reply_to);
                break;
            case WIRE_KEY_REPLY_INCARNATION:
                msgpack_pack_uint64 (&pk, is_cr ? cr->reply_incarnation : tr->reply_incarnation);
                break;
            case WIRE_KEY_TARGET:      s_pack_str (&pk, msg->transfer_req.target); break;
            case WIRE_KEY_OUTCOME:
                msgpack_pack_uint64 (&pk, (uint64_t) (is_cr ? cr->outcome : tr->outcome));
                break;
            case WIRE_KEY_ROUND:
                msgpack_pack_uint64 (&pk, type == WIRE_PREVOTE_REQ ? msg->prevote_req.round
                                                                   : msg->prevote_resp.round);
                break;
            case WIRE_KEY_PREV_INDEX:
                msgpack_pack_uint64 (&pk, type == WIRE_APPEND ? ap->prev_index : sn->index);
                break;
            case WIRE_KEY_PREV_TERM:
                msgpack_pack_uint64 (&pk, type == WIRE_APPEND ? ap->prev_term : sn->term);
                break;
            case WIRE_KEY_COMMIT:
                msgpack_pack_uint64 (&pk, type == WIRE_APPEND ? ap->commit
                                        : type == WIRE_SNAPSHOT ? sn->commit : hb->commit);
                break;
            case WIRE_KEY_ENTRIES:     s_pack_entries (&pk, ap); break;
            case WIRE_KEY_MATCH_INDEX: msgpack_pack_uint64 (&pk, msg->append_resp.match_index); break;
            case WIRE_KEY_DATA:        s_pack_bin (&pk, sn->data, sn->size); break;
            case WIRE_KEY_OFFSET:      msgpack_pack_uint64 (&pk, sn->offset); break;
            case WIRE_KEY_TOTAL:       msgpack_pack_uint64 (&pk, sn->total); break;
            case WIRE_KEY_LAST_INDEX:
                msgpack_pack_uint64 (&pk, type == WIRE_VOTE_REQ ? msg->vote_req.last_index
                                                                : msg->prevote_req.last_index);
                break;
            case WIRE_KEY_LAST_TERM:
                msgpack_pack_uint64 (&pk, type == WIRE_VOTE_REQ ? msg->vote_req.last_term
                                                                : msg->prevote_req.last_term);
                break;
            case WIRE_KEY_OP:          msgpack_pack_uint64 (&pk, (uint64_t) cq->op); break;
            case WIRE_KEY_KV_KEY:      s_pack_str (&pk, cq->key); break;
            case WIRE_KEY_VALUE:
                if (is_cr)
                    s_pack_bin (&pk, cr->value, cr->value_size);
                else
                    s_pack_bin (&pk, cq->value, cq->value_size);
                break;
            case WIRE_KEY_EXPECTED:    msgpack_pack_uint64 (&pk, cq->expected); break;
            case WIRE_KEY_REQUEST_ID:  msgpack_pack_uint64 (&pk, cq->request_id); break;
            case WIRE_KEY_AFTER:       s_pack_str (&pk, cq->after); break;
            case WIRE_KEY_LIMIT:       msgpack_pack_uint64 (&pk, cq->limit); break;
            case WIRE_KEY_INDEX:       msgpack_pack_uint64 (&pk, cr->index); break;
            case WIRE_KEY_VERSION_OF:  msgpack_pack_uint64 (&pk, cr->version); break;
            case WIRE_KEY_ITEMS:       s_pack_items (&pk, cr); break;
            case WIRE_KEY_MORE:        s_pack_bool (&pk, cr->more); break;
            case WIRE_KEY_LEASE_EXPIRY_MS: msgpack_pack_uint64 (&pk, hb->lease_expiry_ms); break;
            case WIRE_KEY_STATUS:
                s_pack_status (&pk, is_hb ? &hb->status : &sr->status);
                break;
            case WIRE_KEY_APPLIED:     msgpack_pack_uint64 (&pk, hb->applied); break;
            case WIRE_KEY_NO_ACK:      s_pack_bool (&pk, true); break;
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

//  Each helper reads one value of an exact type; -1 means malformed
//  (the plain kinds are mpread's typed reads).

//  A uint >= 1.
static int
s_read_positive (mpread_t *r, uint64_t *value)
{
    return mpread_uint (r, value) == 0 && *value >= 1 ? 0 : -1;
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

//  A str that is a kv key of min_len.. characters, copied with its NUL
//  into buf (WIRE_KV_KEY_CHARS_MAX + 1 bytes).
static int
s_read_kv_key (mpread_t *r, char *buf, size_t min_len)
{
    mpread_item_t item;
    if (mpread_next (r, &item) != 0 || item.kind != MPREAD_STR
    ||  !s_kv_key_valid ((const char *) item.data, item.size, min_len))
        return -1;                  //  Also bounds the copy below
    memcpy (buf, item.data, item.size);
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
        if (mpread_key (r, WIRE_KEY_MAX, &key) != 0 || (int64_t) key <= prev) {
            *why = "status keys must be ascending positive fixints";
            return -1;
        }
        prev = (int64_t) key;
        if (key < WIRE_STATUS_KEYS) {
            if (mpread_uint (r, values [key]) != 0) {
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

//  The header of an array of 3: one entry or one item.
static int
s_read_triple (mpread_t *r)
{
    mpread_item_t item;
    return mpread_next (r, &item) == 0 && item.kind == MPREAD_ARRAY && item.count == 3 ? 0 : -1;
}

//  An append's entries: at most WIRE_ENTRIES_MAX [term, type, payload].
//  The order of the terms is wire_msg_check's (it needs the header).
static int
s_read_entries (mpread_t *r, wire_append_t *ap, const char **why)
{
    mpread_item_t array;
    if (mpread_next (r, &array) != 0 || array.kind != MPREAD_ARRAY
    ||  array.count > WIRE_ENTRIES_MAX) {
        *why = "entries is not an array of at most WIRE_ENTRIES_MAX";
        return -1;
    }
    for (uint32_t k = 0; k < array.count; k++) {
        wire_entry_t *e = &ap->entries [k];
        uint64_t type;
        if (s_read_triple (r) != 0
        ||  s_read_positive (r, &e->term) != 0
        ||  mpread_uint (r, &type) != 0 || type > 1
        ||  mpread_bin (r, WIRE_PAYLOAD_BYTES_MAX, &e->payload, &e->size) != 0
        || (type == 0 && e->size != 0)) {
            *why = "an entry is not [term >= 1, type 0 or 1, payload bin] "
                   "(a no-op's empty, a command's at most WIRE_PAYLOAD_BYTES_MAX)";
            return -1;
        }
        e->type = (uint32_t) type;
    }
    ap->entry_count = array.count;
    return 0;
}

//  A list reply's items: 1..WIRE_LIST_MAX [key, version, value]. An empty
//  list is sent as no items at all (one encoding per reply).
static int
s_read_items (mpread_t *r, wire_client_resp_t *cr, const char **why)
{
    mpread_item_t array;
    if (mpread_next (r, &array) != 0 || array.kind != MPREAD_ARRAY
    ||  array.count < 1 || array.count > WIRE_LIST_MAX) {
        *why = "items is not an array of 1..WIRE_LIST_MAX";
        return -1;
    }
    for (uint32_t i = 0; i < array.count; i++) {
        wire_item_t *item = &cr->items [i];
        if (s_read_triple (r) != 0
        ||  s_read_kv_key (r, item->key, 1) != 0
        ||  s_read_positive (r, &item->version) != 0
        ||  mpread_bin (r, WIRE_KV_VALUE_BYTES_MAX, &item->value, &item->value_size) != 0) {
            *why = "an item is not [kv key, version >= 1, value bin of at most "
                   "WIRE_KV_VALUE_BYTES_MAX]";
            return -1;
        }
    }
    cr->item_count = array.count;
    return 0;
}

//  Read the value of a known key into msg. Returns 0 or -1 with *why.
static int
s_read_field (mpread_t *r, wire_msg_t *msg, uint64_t key, const char **why)
{
    wire_type_t type = msg->type;
    bool is_hb = wire_type_heartbeat (type);
    bool is_tr = type == WIRE_TRANSFER_RESP;
    bool is_cr = type == WIRE_CLIENT_RESP;
    wire_heartbeat_t *hb = &msg->heartbeat;
    wire_status_resp_t *sr = &msg->status_resp;
    wire_transfer_resp_t *tr = &msg->transfer_resp;
    wire_append_t *ap = &msg->append;
    wire_snapshot_t *sn = &msg->snapshot;
    wire_client_req_t *cq = &msg->client_req;
    wire_client_resp_t *cr = &msg->client_resp;
    uint64_t value = 0;
    int rc = 0;
    switch (key) {
        case WIRE_KEY_CLUSTER:
            rc = s_read_name (r, msg->cluster, wire_cluster_valid, false);
            *why = "cluster is not a valid cluster id string";
            break;
        case WIRE_KEY_TYPE:
            rc = mpread_uint (r, &value);
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
            rc = mpread_uint (r, &msg->term);
            *why = "term is not an unsigned integer";
            break;
        case WIRE_KEY_INCARNATION:
            rc = s_read_positive (r, &msg->incarnation);
            *why = "incarnation is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_SEQ:
            rc = s_read_positive (r, &msg->seq);
            *why = "seq is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_ROLE:
            rc = mpread_uint (r, &value);
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
               : is_cr ? s_read_leader (r, &cr->has_leader, cr->leader)
                       : s_read_leader (r, &sr->has_leader, sr->leader);
            *why = "leader is neither nil nor a member id";
            break;
        case WIRE_KEY_HB_MS:
            rc = mpread_uint (r, is_hb ? &hb->hb_ms : &msg->heartbeat_ack.hb_ms);
            *why = "hb_ms is not an unsigned integer";
            break;
        case WIRE_KEY_LEASE_REMAINING_MS:
            if (is_hb) {
                rc = mpread_uint (r, &hb->lease_remaining_ms);
                hb->has_lease = true;
            }
            else {
                rc = mpread_uint (r, &sr->lease_remaining_ms);
                sr->has_lease = true;
            }
            *why = "lease_remaining_ms is not an unsigned integer";
            break;
        case WIRE_KEY_STORM:
            rc = mpread_bool (r, is_hb ? &hb->storm : &sr->storm);
            *why = "storm is not a boolean";
            break;
        case WIRE_KEY_GRANTED:
            rc = mpread_bool (r, type == WIRE_HEARTBEAT_ACK ? &msg->heartbeat_ack.granted
                               : type == WIRE_PREVOTE_RESP ? &msg->prevote_resp.granted
                               : type == WIRE_APPEND_RESP ? &msg->append_resp.granted
                               : &msg->vote_resp.granted);
            *why = "granted is not a boolean";
            break;
        case WIRE_KEY_TRANSFER:
            rc = mpread_bool (r, &msg->vote_req.transfer);
            *why = "transfer is not a boolean";
            break;
        case WIRE_KEY_REPLY_TO:
            rc = mpread_uint (r, is_tr ? &tr->reply_to : is_cr ? &cr->reply_to : &sr->reply_to);
            *why = "reply_to is not an unsigned integer";
            break;
        case WIRE_KEY_REPLY_INCARNATION:
            rc = s_read_positive (r, is_cr ? &cr->reply_incarnation : &tr->reply_incarnation);
            *why = "reply_incarnation is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_TARGET:
            rc = s_read_name (r, msg->transfer_req.target, wire_id_valid, false);
            *why = "target is not a member id string";
            break;
        case WIRE_KEY_OUTCOME:
            rc = mpread_uint (r, &value);
            if (rc == 0 && value > WIRE_OUTCOME_MAX)
                rc = -1;
            if (rc == 0) {
                if (is_cr)
                    cr->outcome = (wire_outcome_t) value;
                else
                    tr->outcome = (wire_outcome_t) value;
            }
            *why = "outcome is not a known outcome code";
            break;
        case WIRE_KEY_ROUND:
            rc = s_read_positive (r, type == WIRE_PREVOTE_REQ ? &msg->prevote_req.round
                                                              : &msg->prevote_resp.round);
            *why = "round is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_PREV_INDEX:
            rc = mpread_uint (r, type == WIRE_APPEND ? &ap->prev_index : &sn->index);
            *why = "prev_index is not an unsigned integer";
            break;
        case WIRE_KEY_PREV_TERM:
            rc = mpread_uint (r, type == WIRE_APPEND ? &ap->prev_term : &sn->term);
            *why = "prev_term is not an unsigned integer";
            break;
        case WIRE_KEY_COMMIT:
            if (is_hb) {
                rc = mpread_uint (r, &hb->commit);
                hb->has_commit = true;
            }
            else
                rc = mpread_uint (r, type == WIRE_APPEND ? &ap->commit : &sn->commit);
            *why = "commit is not an unsigned integer";
            break;
        case WIRE_KEY_ENTRIES:
            return s_read_entries (r, ap, why);
        case WIRE_KEY_MATCH_INDEX:
            rc = mpread_uint (r, &msg->append_resp.match_index);
            *why = "match_index is not an unsigned integer";
            break;
        case WIRE_KEY_DATA:
            rc = mpread_bin (r, WIRE_CHUNK_BYTES_MAX, &sn->data, &sn->size);
            *why = "data is not a bin of at most WIRE_CHUNK_BYTES_MAX";
            break;
        case WIRE_KEY_OFFSET:
            rc = mpread_uint (r, &sn->offset);
            *why = "offset is not an unsigned integer";
            break;
        case WIRE_KEY_TOTAL:
            rc = mpread_uint (r, &sn->total);
            *why = "total is not an unsigned integer";
            break;
        case WIRE_KEY_LAST_INDEX:
            rc = mpread_uint (r, type == WIRE_VOTE_REQ ? &msg->vote_req.last_index
                                                       : &msg->prevote_req.last_index);
            *why = "last_index is not an unsigned integer";
            break;
        case WIRE_KEY_LAST_TERM:
            rc = mpread_uint (r, type == WIRE_VOTE_REQ ? &msg->vote_req.last_term
                                                       : &msg->prevote_req.last_term);
            *why = "last_term is not an unsigned integer";
            break;
        case WIRE_KEY_OP:
            rc = mpread_uint (r, &value);
            if (rc == 0 && (value < WIRE_OP_PUT || value > WIRE_OP_MAX))
                rc = -1;
            if (rc == 0)
                cq->op = (wire_op_t) value;
            *why = "op is not 1..5";
            break;
        case WIRE_KEY_KV_KEY:
            //  Its length is checked against the op (read before it) last
            rc = s_read_kv_key (r, cq->key, 0);
            *why = "key is not a str of at most 128 [A-Za-z0-9._/-]";
            break;
        case WIRE_KEY_VALUE:
            if (is_cr) {
                rc = mpread_bin (r, WIRE_KV_VALUE_BYTES_MAX, &cr->value, &cr->value_size);
                cr->has_value = true;
            }
            else
                rc = mpread_bin (r, WIRE_KV_VALUE_BYTES_MAX, &cq->value, &cq->value_size);
            *why = "value is not a bin of at most WIRE_KV_VALUE_BYTES_MAX";
            break;
        case WIRE_KEY_EXPECTED:
            rc = mpread_uint (r, &cq->expected);
            cq->has_expected = true;
            *why = "expected is not an unsigned integer";
            break;
        case WIRE_KEY_REQUEST_ID:
            rc = s_read_positive (r, &cq->request_id);
            *why = "request_id is not an unsigned integer >= 1";
            break;
        case WIRE_KEY_AFTER:
            //  Absent means from the start: a present after is never empty
            rc = s_read_kv_key (r, cq->after, 1);
            *why = "after is not a str of 1..128 [A-Za-z0-9._/-]";
            break;
        case WIRE_KEY_LIMIT:
            rc = mpread_uint (r, &value);
            if (rc == 0 && (value < 1 || value > WIRE_LIST_MAX))
                rc = -1;
            if (rc == 0)
                cq->limit = (uint32_t) value;
            *why = "limit is not 1..WIRE_LIST_MAX";
            break;
        case WIRE_KEY_INDEX:
            rc = s_read_positive (r, &cr->index);
            *why = "index is not an unsigned integer >= 1 (absent means none)";
            break;
        case WIRE_KEY_VERSION_OF:
            rc = s_read_positive (r, &cr->version);
            *why = "version is not an unsigned integer >= 1 (absent means none)";
            break;
        case WIRE_KEY_ITEMS:
            return s_read_items (r, cr, why);
        case WIRE_KEY_MORE:
            rc = mpread_bool (r, &cr->more);
            *why = "more is not a boolean";
            break;
        case WIRE_KEY_LEASE_EXPIRY_MS:
            rc = mpread_uint (r, &hb->lease_expiry_ms);
            hb->has_lease_expiry = true;
            *why = "lease_expiry_ms is not an unsigned integer";
            break;
        case WIRE_KEY_STATUS:
            if (is_hb)
                hb->has_status = true;
            return s_read_status (r, is_hb ? &hb->status : &sr->status, why);
        case WIRE_KEY_APPLIED:
            rc = mpread_uint (r, &hb->applied);
            hb->has_applied = true;
            *why = "applied is not an unsigned integer";
            break;
        case WIRE_KEY_NO_ACK:
            //  Sent only as true, so a present false is not a valid body
            rc = mpread_bool (r, &hb->no_ack);
            if (rc == 0 && !hb->no_ack)
                rc = -1;
            *why = "no_ack is not true (it is sent only as true)";
            break;
        default:
            rc = -1;            //  Not reached: the spec table names only these keys
            *why = "unexpected key";
            break;
    }
    if (rc == 0)
        *why = NULL;
    return rc;
}

//  The presence rules the spec table cannot state, over the keys seen:
//  a client request's keys depend on its op, and a list reply sends its
//  items and more together.
static int
s_presence_ok (const wire_msg_t *msg, uint64_t seen, const char **why)
{
    if (msg->type == WIRE_CLIENT_REQ) {
        wire_op_t op = msg->client_req.op;
        bool writes = op == WIRE_OP_PUT || op == WIRE_OP_CAS;
        if (writes != ((seen & S_BIT (WIRE_KEY_VALUE)) != 0)) {
            *why = "value is required for put and cas, and forbidden otherwise";
            return -1;
        }
        bool expected = (seen & S_BIT (WIRE_KEY_EXPECTED)) != 0;
        if ((op == WIRE_OP_CAS && !expected)
        ||  (expected && op != WIRE_OP_CAS && op != WIRE_OP_DEL)) {
            *why = "expected is required for cas, optional for del, and forbidden otherwise";
            return -1;
        }
        if (op != WIRE_OP_LIST && (seen & (S_BIT (WIRE_KEY_AFTER) | S_BIT (WIRE_KEY_LIMIT)))) {
            *why = "after and limit are for list only";
            return -1;
        }
    }
    if (msg->type == WIRE_CLIENT_RESP
    &&  ((seen & S_BIT (WIRE_KEY_ITEMS)) != 0) != ((seen & S_BIT (WIRE_KEY_MORE)) != 0)) {
        *why = "items and more go together";
        return -1;
    }
    return 0;
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
    if (top.count < 1 || mpread_key (&r, WIRE_KEY_MAX, &key) != 0 || key != WIRE_KEY_VERSION
    ||  mpread_uint (&r, &version) != 0) {
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
        if (mpread_key (&r, WIRE_KEY_MAX, &key) != 0 || key <= prev) {
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
        if (key == WIRE_KEY_TYPE && size > wire_body_cap (msg->type)) {
            *why = "body longer than its type's cap";
            return WIRE_MALFORMED;
        }
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
    if (s_presence_ok (msg, seen, why) != 0)
        return WIRE_MALFORMED;
    //  The rules that relate fields to each other (an append's terms to
    //  its header, a key's length to the op) are the encoder's rules too.
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
