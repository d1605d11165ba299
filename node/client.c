/*  client: the capacity map's client library (client.h has the contract).

    One call is one loop over attempts, each of which sends the request
    (with a fresh seq) to one member over that member's DEALER and waits
    for that member's answer to exactly that request:

      no connection (the send times out: ZMQ_IMMEDIATE queues nothing for
        a member not connected)     nothing left us: ask the next member
      "not-leader"                  ask the leader it names, or the next
                                    member after a backoff
      "unavailable"                 ask the same member after a backoff
      silence, for a read           ask the next member
      silence, for a write          send it again, same request_id, to
                                    the member we believe leads (the map
                                    carries a retry out once: kv.h); from
                                    then on, nothing but an answer that
                                    says what happened ends the call
                                    before its deadline, and at the
                                    deadline the outcome is unknown
      any other answer              done

    The backoff starts at CLIENT_BACKOFF_MIN_MS and doubles up to
    CLIENT_BACKOFF_MAX_MS; a first redirect in a call goes out at once,
    later ones wait (two members that name each other cannot make us
    spin). Every wait is a zpoller_wait or a socket timeout bounded by the
    call's deadline.
*/
#define _POSIX_C_SOURCE 200809L
#include "client.h"
#include "envelope.h"
#include "keys.h"
#include "kv.h"
#include "msg.h"
#include "peers.h"
#include "rx.h"
#include "tx.h"
#include <czmq.h>
#include <sodium.h>
#include <stdarg.h>
#include <time.h>

#define CLIENT_CONNECT_MS       500     //  Longest wait for a member's connection, per attempt
#define CLIENT_READ_WAIT_MS     1000    //  Longest wait for a read's answer, per attempt
#define CLIENT_WRITE_WAIT_MS    1000    //  ... and for a write's, before sending it again
#define CLIENT_BACKOFF_MIN_MS   10      //  First backoff after "unavailable" or no leader
#define CLIENT_BACKOFF_MAX_MS   200     //  ... doubling up to this

//  Our limits are the wire's and the map's: a decoded answer always fits.
_Static_assert (CLIENT_KEY_MAX == WIRE_KV_KEY_CHARS_MAX && CLIENT_KEY_MAX == KV_KEY_MAX,
                "key length");
_Static_assert (CLIENT_VALUE_MAX == WIRE_KV_VALUE_BYTES_MAX && CLIENT_VALUE_MAX == KV_VALUE_MAX,
                "value size");
_Static_assert (CLIENT_LIST_MAX == WIRE_LIST_MAX, "list page");
_Static_assert (CLIENT_ID_MAX == WIRE_ID_CHARS_MAX && CLIENT_ID_MAX == CLUSTER_MEMBER_ID_MAX,
                "id length");

struct _client_t {
    cluster_t cluster;                  //  Our copy of the cluster file
    char id [CLUSTER_MEMBER_ID_MAX + 1];    //  Our client id
    keys_t *keys;                       //  Our secret key
    wire_peers_t *members;              //  Whom we hear from: members, client-replies only
    wire_tx_t *tx;                      //  Stamps and signs our requests
    wire_rx_t *rx;                      //  Verifies the answers
    zsock_t *dealers [CORE_MEMBERS_MAX];    //  One per member, NULL until first used
    int leader;                         //  Member we believe leads, -1 if no idea
    uint32_t next;                      //  Member to ask when we have no idea
    uint64_t request_id;                //  For the next call (client_set_request_id), or 0
};

//  What one attempt came to.
typedef enum {
    S_ANSWERED,                         //  An answer that ends the call
    S_NO_CONNECTION,                    //  The request never left us
    S_SILENCE,                          //  Sent, no answer by the attempt's end
    S_NOT_LEADER,                       //  Definitely not done: ask the leader
    S_UNAVAILABLE,                      //  Definitely not done: ask again later
    S_INTERRUPTED,                      //  Sent, then a signal (Ctrl-C) ended the wait
    S_BROKEN                            //  The request does not encode: nothing sent
} s_attempt_t;

//  --------------------------------------------------------------------------
//  Helpers

static void
s_err (char *err, size_t err_size, const char *format, ...)
{
    if (!err || !err_size)
        return;
    va_list args;
    va_start (args, format);
    vsnprintf (err, err_size, format, args);
    va_end (args);
}

//  Our incarnation: CLOCK_REALTIME in microseconds (client.h).
static uint64_t
s_incarnation (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
    return us ? us : 1;
}

static uint64_t
s_now (void)
{
    return (uint64_t) zclock_mono ();
}

static uint64_t
s_min (uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

//  The DEALER to member, created and connected the first time.
static zsock_t *
s_dealer (client_t *self, uint32_t member)
{
    if (!self->dealers [member]) {
        zsock_t *dealer = zsock_new (ZMQ_DEALER);
        if (!dealer)
            return NULL;
        wire_socket_harden (dealer, WIRE_FRAME_BYTES_MAX);
        if (zsock_connect (dealer, "%s", self->cluster.members [member].rpc) == -1) {
            zsock_destroy (&dealer);
            return NULL;
        }
        self->dealers [member] = dealer;
    }
    return self->dealers [member];
}

//  Believe the member named id leads, if it is one.
static void
s_note_leader (client_t *self, bool has_leader, const char *id)
{
    int member = has_leader ? cluster_find (&self->cluster, id) : -1;
    if (member >= 0)
        self->leader = member;
}

//  Copy what a reply says into result. The decoder caps every field at
//  the wire's limits, which are ours.
static void
s_fill (client_result_t *result, const wire_msg_t *reply, client_outcome_t outcome)
{
    const wire_client_resp_t *answer = &reply->client_resp;
    result->outcome = outcome;
    result->term = reply->term;
    result->index = answer->index;
    result->version = answer->version;
    result->has_value = answer->has_value;
    result->value_size = answer->has_value ? answer->value_size : 0;
    if (result->value_size)
        memcpy (result->value, answer->value, result->value_size);
    result->item_count = answer->item_count;
    for (uint32_t i = 0; i < answer->item_count; i++) {
        client_item_t *item = &result->items [i];
        snprintf (item->key, sizeof item->key, "%s", answer->items [i].key);
        item->version = answer->items [i].version;
        item->value_size = answer->items [i].value_size;
        if (item->value_size)
            memcpy (item->value, answer->items [i].value, item->value_size);
    }
    result->more = answer->more;
    snprintf (result->answered_by, sizeof result->answered_by, "%s", reply->from);
    *result->detail = 0;
}

//  Send request to member and wait until until_ms for its answer to it.
//  On an answer, result holds it (for S_ANSWERED) or its leader and why
//  (for S_NOT_LEADER, S_UNAVAILABLE).
static s_attempt_t
s_attempt (client_t *self, uint32_t member, wire_msg_t *request, uint64_t connect_until_ms,
           uint64_t until_ms, client_result_t *result)
{
    const char *member_id = self->cluster.members [member].id;
    zsock_t *dealer = s_dealer (self, member);
    if (!dealer) {
        snprintf (result->detail, sizeof result->detail, "%s: cannot connect to %s", member_id,
                  self->cluster.members [member].rpc);
        return S_NO_CONNECTION;
    }
    snprintf (request->to, sizeof request->to, "%s", member_id);
    zmsg_t *out = wire_tx_zmsg (self->tx, request);     //  Stamps incarnation and a new seq
    if (!out) {
        snprintf (result->detail, sizeof result->detail, "the request does not encode");
        return S_BROKEN;
    }
    //  ZMQ_IMMEDIATE: the send waits for a connection to member, and fails
    //  without queueing anything if none comes up by connect_until_ms.
    uint64_t now = s_now ();
    zsock_set_sndtimeo (dealer, (int) (connect_until_ms > now ? connect_until_ms - now : 0));
    int rc = zmsg_send (&out, dealer);
    zmsg_destroy (&out);
    if (rc != 0) {
        snprintf (result->detail, sizeof result->detail, "%s: no connection to %s", member_id,
                  self->cluster.members [member].rpc);
        return S_NO_CONNECTION;
    }
    result->attempts++;

    zpoller_t *poller = zpoller_new (dealer, NULL);
    if (!poller)
        return S_SILENCE;
    s_attempt_t attempt = S_SILENCE;
    while ((now = s_now ()) < until_ms) {
        if (!zpoller_wait (poller, (int) (until_ms - now))) {
            if (zpoller_terminated (poller)) {
                attempt = S_INTERRUPTED;
                break;
            }
            continue;
        }
        zmsg_t *msg = wire_recv (dealer, WIRE_FRAMES);
        if (!msg)
            continue;
        wire_msg_t reply;
        if (wire_rx_accept (self->rx, msg, false, now, &reply, NULL) != 0
        ||  reply.type != WIRE_CLIENT_RESP || strcmp (reply.from, member_id) != 0
        ||  reply.client_resp.reply_to != request->seq
        ||  reply.client_resp.reply_incarnation != request->incarnation) {
            zmsg_destroy (&msg);            //  Forged, stale, or another request's
            continue;
        }
        const wire_client_resp_t *answer = &reply.client_resp;
        s_note_leader (self, answer->has_leader, answer->leader);
        snprintf (result->leader, sizeof result->leader, "%s",
                  answer->has_leader ? answer->leader : "");
        switch (answer->outcome) {
            case WIRE_OUTCOME_ACCEPTED:
            case WIRE_OUTCOME_CAS_FAILED:
            case WIRE_OUTCOME_NOT_FOUND:
            case WIRE_OUTCOME_FULL:
                //  Only a leader answers these: it is the one to ask next time.
                self->leader = (int) member;
                /* fallthrough */
            case WIRE_OUTCOME_NOT_PERMITTED:
            case WIRE_OUTCOME_INVALID: {
                client_outcome_t outcome =
                      answer->outcome == WIRE_OUTCOME_ACCEPTED ? CLIENT_OK
                    : answer->outcome == WIRE_OUTCOME_CAS_FAILED ? CLIENT_CAS_FAILED
                    : answer->outcome == WIRE_OUTCOME_NOT_FOUND ? CLIENT_NOT_FOUND
                    : answer->outcome == WIRE_OUTCOME_FULL ? CLIENT_FULL
                    : answer->outcome == WIRE_OUTCOME_NOT_PERMITTED ? CLIENT_NOT_PERMITTED
                    : CLIENT_INVALID;
                s_fill (result, &reply, outcome);
                attempt = S_ANSWERED;
                break;
            }
            case WIRE_OUTCOME_NOT_LEADER:
                snprintf (result->detail, sizeof result->detail, "%s: not-leader (leader %s)",
                          member_id, answer->has_leader ? answer->leader : "unknown");
                attempt = S_NOT_LEADER;
                break;
            default:
                //  unavailable; and the transfer outcomes, which no client
                //  request should get: the member did not do it either way.
                snprintf (result->detail, sizeof result->detail, "%s: %s", member_id,
                          wire_outcome_name (answer->outcome) ? wire_outcome_name (answer->outcome)
                                                              : "an unknown outcome");
                attempt = S_UNAVAILABLE;
                break;
        }
        result->term = reply.term;
        zmsg_destroy (&msg);
        break;
    }
    zpoller_destroy (&poller);
    if (attempt == S_SILENCE)
        snprintf (result->detail, sizeof result->detail, "%s: no answer", member_id);
    else
    if (attempt == S_INTERRUPTED)
        snprintf (result->detail, sizeof result->detail, "%s: interrupted while waiting",
                  member_id);
    return attempt;
}

//  Sleep for ms, but not past deadline_ms.
static void
s_backoff (uint64_t ms, uint64_t deadline_ms)
{
    uint64_t now = s_now ();
    if (now < deadline_ms)
        zclock_sleep ((int) s_min (ms, deadline_ms - now));
}

//  Run request (its op and fields set) until an answer ends it or the
//  timeout passes. Returns the call's return code (client.h).
static int
s_call (client_t *self, wire_msg_t *request, uint64_t timeout_ms, client_result_t *result)
{
    wire_op_t op = request->client_req.op;
    bool write = op == WIRE_OP_PUT || op == WIRE_OP_CAS || op == WIRE_OP_DEL;
    uint64_t deadline = s_now () + timeout_ms;
    uint64_t backoff = CLIENT_BACKOFF_MIN_MS;
    uint32_t members = self->cluster.member_count;
    uint32_t not_leader = 0;            //  Consecutive not-leader answers
    uint32_t unreached = 0;             //  Consecutive members not reached
    bool in_doubt = false;              //  A write went out that nobody answered
    snprintf (result->detail, sizeof result->detail, "no member asked");
    while (s_now () < deadline && !zsys_interrupted) {
        uint32_t member = self->leader >= 0 ? (uint32_t) self->leader : self->next % members;
        uint64_t now = s_now ();
        uint64_t connect_until = s_min (deadline, now + CLIENT_CONNECT_MS);
        uint64_t until = s_min (deadline, now + (write ? CLIENT_WRITE_WAIT_MS : CLIENT_READ_WAIT_MS));
        s_attempt_t attempt = s_attempt (self, member, request, connect_until, until, result);
        if (attempt == S_ANSWERED)
            return 0;
        if (attempt == S_BROKEN) {
            result->outcome = CLIENT_INVALID;
            return CLIENT_E_ARGS;
        }
        if (write && (attempt == S_SILENCE || attempt == S_INTERRUPTED)) {
            //  It went out, and nobody said it did not happen. Sending it
            //  again is safe (same request_id: carried out at most once),
            //  but from now on a "not-leader" or "unavailable" speaks for
            //  that attempt only, not for this one.
            in_doubt = true;
            if (attempt == S_INTERRUPTED)
                break;
            if (self->leader == (int) member)
                self->leader = -1;
            self->next = member + 1;
            continue;
        }
        if (attempt == S_INTERRUPTED)
            break;
        if (attempt != S_NO_CONNECTION)
            unreached = 0;
        if (attempt == S_NOT_LEADER) {
            //  Go to the leader it named (s_attempt noted it), at once the
            //  first time; without a name, or again, after a backoff.
            int named = self->leader;
            if (named == (int) member || named < 0) {
                self->leader = -1;
                self->next = member + 1;
            }
            if (++not_leader > 1 || self->leader < 0) {
                s_backoff (backoff, deadline);
                backoff = s_min (2 * backoff, CLIENT_BACKOFF_MAX_MS);
            }
            continue;
        }
        not_leader = 0;
        if (attempt == S_UNAVAILABLE) {
            //  The leader cannot serve it now: the same member, later.
            s_backoff (backoff, deadline);
            backoff = s_min (2 * backoff, CLIENT_BACKOFF_MAX_MS);
            continue;
        }
        //  No connection (the attempt waited for one, unless the endpoint
        //  could not even be connected to), or a read met silence: try the
        //  next member, and after a round of members not reached, pause.
        if (self->leader == (int) member)
            self->leader = -1;
        self->next = member + 1;
        if (attempt == S_NO_CONNECTION && ++unreached % members == 0) {
            s_backoff (backoff, deadline);
            backoff = s_min (2 * backoff, CLIENT_BACKOFF_MAX_MS);
        }
    }
    if (in_doubt) {
        result->outcome = CLIENT_UNKNOWN;
        return CLIENT_E_UNKNOWN;
    }
    result->outcome = CLIENT_UNAVAILABLE;
    return CLIENT_E_UNAVAILABLE;
}

//  Start a call: clear result, check the common arguments, prepare the
//  request. Returns 0, or CLIENT_E_ARGS with result saying why.
static int
s_begin (wire_op_t op, const char *key, bool key_may_be_empty, uint64_t timeout_ms,
         uint64_t request_id, wire_msg_t *request, client_result_t *result)
{
    assert (result);
    memset (result, 0, sizeof *result);
    const char *why = NULL;
    size_t key_size = key ? strlen (key) : 0;
    if (!key || (key_size == 0 && !key_may_be_empty)
    ||  (key_size > 0 && !kv_key_valid (key, key_size)))
        why = "the key is not 1..128 characters of [A-Za-z0-9._/-]";
    else
    if (timeout_ms == 0 || timeout_ms > CLIENT_TIMEOUT_MS_MAX)
        why = "the timeout is not 1..3600000 ms";
    if (why) {
        result->outcome = CLIENT_INVALID;
        snprintf (result->detail, sizeof result->detail, "%s", why);
        return CLIENT_E_ARGS;
    }
    wire_msg_init (request, WIRE_CLIENT_REQ);
    wire_client_req_t *req = &request->client_req;
    req->op = op;
    req->request_id = request_id;           //  client_set_request_id's, or
    while (req->request_id == 0)            //  random (0 is not a valid id)
        randombytes_buf (&req->request_id, sizeof req->request_id);
    result->request_id = req->request_id;
    snprintf (req->key, sizeof req->key, "%s", key);
    return 0;
}

static int
s_bad_value (client_result_t *result)
{
    result->outcome = CLIENT_INVALID;
    snprintf (result->detail, sizeof result->detail, "the value is longer than %d bytes",
              CLIENT_VALUE_MAX);
    return CLIENT_E_ARGS;
}

//  --------------------------------------------------------------------------
//  Methods

client_t *
client_new (const cluster_t *cluster, const char *client_id, const char *key_path,
            char *err, size_t err_size)
{
    assert (cluster);
    assert (client_id);
    assert (key_path);
    if (sodium_init () < 0) {
        s_err (err, err_size, "libsodium cannot start");
        return NULL;
    }
    int client = cluster_find_client (cluster, client_id);
    if (client < 0) {
        s_err (err, err_size, "%s: not a client of cluster '%s' (its clients section)",
               client_id, cluster->id);
        return NULL;
    }
    if (cluster->member_count == 0) {
        s_err (err, err_size, "cluster '%s' has no members", cluster->id);
        return NULL;
    }
    client_t *self = (client_t *) zmalloc (sizeof (client_t));
    if (!self) {
        s_err (err, err_size, "out of memory");
        return NULL;
    }
    self->cluster = *cluster;
    snprintf (self->id, sizeof self->id, "%s", client_id);
    self->leader = -1;
    char why [KEYS_ERR_BYTES];
    self->keys = keys_load_secret (key_path, why, sizeof why);
    if (!self->keys) {
        s_err (err, err_size, "%s", why);
        goto failed;
    }
    if (memcmp (keys_public (self->keys), cluster->clients [client].public_key,
                CLUSTER_KEY_BYTES) != 0) {
        s_err (err, err_size, "%s: its public key is not clients/%s/public_key", key_path,
               client_id);
        goto failed;
    }
    //  We hear only from members, and from them only client-replies.
    self->members = wire_peers_new ();
    for (uint32_t i = 0; self->members && i < cluster->member_count; i++)
        if (wire_peers_add (self->members, cluster->members [i].id,
                            cluster->members [i].public_key) != (int) i
        ||  wire_peers_set_types (self->members, i, WIRE_TYPE_BIT (WIRE_CLIENT_RESP)) != 0) {
            s_err (err, err_size, "members/%s: cannot be added to the key table",
                   cluster->members [i].id);
            goto failed;
        }
    self->rx = self->members ? wire_rx_new (cluster->id, client_id, self->members) : NULL;
    self->tx = wire_tx_new (cluster->id, client_id, self->keys, s_incarnation ());
    if (!self->rx || !self->tx) {
        s_err (err, err_size, "cannot start the wire layer");
        goto failed;
    }
    wire_rx_set_logger (self->rx, NULL, NULL);
    return self;
failed:
    client_destroy (&self);
    return NULL;
}

void
client_destroy (client_t **self_p)
{
    assert (self_p);
    client_t *self = *self_p;
    if (!self)
        return;
    for (uint32_t i = 0; i < CORE_MEMBERS_MAX; i++)
        zsock_destroy (&self->dealers [i]);
    wire_tx_destroy (&self->tx);
    wire_rx_destroy (&self->rx);
    wire_peers_destroy (&self->members);
    keys_destroy (&self->keys);
    free (self);
    *self_p = NULL;
}

//  A write: put and cas carry value, cas and del may carry expected. The
//  id client_set_request_id gave is used up only by a write that is sent.
static int
s_write (client_t *self, wire_op_t op, const char *key, const void *value, size_t size,
         bool has_expected, uint64_t expected, uint64_t timeout_ms, client_result_t *result)
{
    assert (self);
    wire_msg_t request;
    int rc = s_begin (op, key, false, timeout_ms, self->request_id, &request, result);
    if (rc)
        return rc;
    if (size > CLIENT_VALUE_MAX || (size && !value))
        return s_bad_value (result);
    request.client_req.value = (const uint8_t *) value;
    request.client_req.value_size = (uint32_t) size;
    request.client_req.has_expected = has_expected;
    request.client_req.expected = expected;
    self->request_id = 0;
    return s_call (self, &request, timeout_ms, result);
}

int
client_put (client_t *self, const char *key, const void *value, size_t size,
            uint64_t timeout_ms, client_result_t *result)
{
    return s_write (self, WIRE_OP_PUT, key, value, size, false, 0, timeout_ms, result);
}

int
client_cas (client_t *self, const char *key, uint64_t expected, const void *value,
            size_t size, uint64_t timeout_ms, client_result_t *result)
{
    return s_write (self, WIRE_OP_CAS, key, value, size, true, expected, timeout_ms, result);
}

int
client_del (client_t *self, const char *key, uint64_t expected, uint64_t timeout_ms,
            client_result_t *result)
{
    return s_write (self, WIRE_OP_DEL, key, NULL, 0, expected != 0, expected, timeout_ms, result);
}

int
client_get (client_t *self, const char *key, uint64_t timeout_ms, client_result_t *result)
{
    assert (self);
    wire_msg_t request;
    int rc = s_begin (WIRE_OP_GET, key, false, timeout_ms, 0, &request, result);
    return rc ? rc : s_call (self, &request, timeout_ms, result);
}

int
client_list (client_t *self, const char *prefix, const char *after, uint32_t limit,
             uint64_t timeout_ms, client_result_t *result)
{
    assert (self);
    wire_msg_t request;
    int rc = s_begin (WIRE_OP_LIST, prefix, true, timeout_ms, 0, &request, result);
    if (rc)
        return rc;
    size_t after_size = after ? strlen (after) : 0;
    if (limit > CLIENT_LIST_MAX || (after_size && !kv_key_valid (after, after_size))) {
        result->outcome = CLIENT_INVALID;
        snprintf (result->detail, sizeof result->detail, "%s",
                  limit > CLIENT_LIST_MAX ? "the limit is not 0..32"
                                          : "after is not a key of [A-Za-z0-9._/-]");
        return CLIENT_E_ARGS;
    }
    if (after_size)
        snprintf (request.client_req.after, sizeof request.client_req.after, "%s", after);
    request.client_req.limit = limit ? limit : CLIENT_LIST_MAX;
    return s_call (self, &request, timeout_ms, result);
}

int
client_set_request_id (client_t *self, uint64_t request_id)
{
    assert (self);
    if (request_id == 0)
        return -1;
    self->request_id = request_id;
    return 0;
}

int
client_set_leader (client_t *self, const char *member_id)
{
    assert (self);
    int member = member_id ? cluster_find (&self->cluster, member_id) : -1;
    if (member < 0)
        return -1;
    self->leader = member;
    return 0;
}

const char *
client_leader (const client_t *self)
{
    assert (self);
    return self->leader >= 0 ? self->cluster.members [self->leader].id : NULL;
}

const char *
client_outcome_name (client_outcome_t outcome)
{
    switch (outcome) {
        case CLIENT_OK:             return "ok";
        case CLIENT_CAS_FAILED:     return "cas-failed";
        case CLIENT_NOT_FOUND:      return "not-found";
        case CLIENT_FULL:           return "full";
        case CLIENT_NOT_PERMITTED:  return "not-permitted";
        case CLIENT_INVALID:        return "invalid";
        case CLIENT_UNAVAILABLE:    return "unavailable";
        case CLIENT_UNKNOWN:        return "unknown";
        default:                    return NULL;
    }
}
