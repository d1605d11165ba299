/*  rx: the receive path. See rx.h for the order of the checks and why.

    The function s_accept below is that list, top to bottom; each step
    either returns a reason or falls through. Nothing in self is written
    before the last step except through s_reject, which touches only the
    counters and the log limiter.
*/
#include "rx.h"
#include "replay.h"
#include "sign.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool logged;                //  A line was logged for this reason
    uint64_t last_ms;           //  When
    uint64_t suppressed;        //  Lines not logged since
} s_limiter_t;

struct _wire_rx_t {
    char cluster [WIRE_CLUSTER_CHARS_MAX + 1];  //  Our cluster
    char self_id [WIRE_ID_CHARS_MAX + 1];       //  Our id: the only unicast recipient
    wire_peers_t *peers;                        //  Who may send, what, and their keys
    int self_index;                             //  Our entry in peers, or -1
    replay_t replay [WIRE_PEERS_MAX];           //  Per sender, by peers index
    uint64_t accepted;                          //  Messages accepted
    uint64_t rejected [WIRE_REJECT_COUNT];      //  Per reason; [0] is the total
    s_limiter_t limiter [WIRE_REJECT_COUNT];    //  Per reason log limit
    uint64_t suppressed_total;                  //  Log lines suppressed, all reasons
    wire_log_fn *log_fn;                        //  Log sink, or NULL
    void *log_arg;
};

static const char *s_reason_names [WIRE_REJECT_COUNT] = {
    [WIRE_REJECT_NONE]                = "accepted",
    [WIRE_REJECT_OVERSIZE]            = "oversize",
    [WIRE_REJECT_MALFORMED]           = "malformed",
    [WIRE_REJECT_UNKNOWN_SENDER]      = "unknown-sender",
    [WIRE_REJECT_BAD_SIGNATURE]       = "bad-signature",
    [WIRE_REJECT_WRONG_CLUSTER]       = "wrong-cluster",
    [WIRE_REJECT_WRONG_RECIPIENT]     = "wrong-recipient",
    [WIRE_REJECT_REPLAY]              = "replay",
    [WIRE_REJECT_STALE_INCARNATION]   = "stale-incarnation",
    [WIRE_REJECT_UNSUPPORTED_VERSION] = "unsupported-version",
    [WIRE_REJECT_NOT_PERMITTED]       = "not-permitted",
    [WIRE_REJECT_TOO_OLD]             = "too-old"
};

static void
s_zsys_log (void *arg, const char *line)
{
    (void) arg;
    zsys_warning ("%s", line);
}

wire_rx_t *
wire_rx_new (const char *cluster, const char *self_id, const wire_peers_t *peers)
{
    if (!peers || sign_init () != 0
    ||  !wire_cluster_valid (cluster, strlen (cluster))
    ||  !wire_id_valid (self_id, strlen (self_id)))
        return NULL;
    wire_rx_t *self = (wire_rx_t *) calloc (1, sizeof (wire_rx_t));
    if (!self)
        return NULL;
    self->peers = wire_peers_dup (peers);
    if (!self->peers) {
        free (self);
        return NULL;
    }
    strcpy (self->cluster, cluster);            //  Lengths checked above
    strcpy (self->self_id, self_id);
    self->self_index = wire_peers_find (self->peers, self_id, strlen (self_id));
    for (size_t i = 0; i < WIRE_PEERS_MAX; i++)
        replay_init (&self->replay [i]);
    self->log_fn = s_zsys_log;
    return self;
}

void
wire_rx_destroy (wire_rx_t **self_p)
{
    if (self_p && *self_p) {
        wire_rx_t *self = *self_p;
        wire_peers_destroy (&self->peers);
        free (self);
        *self_p = NULL;
    }
}

//  Count a rejection and log it within the rate limit. sender is a
//  validated id or NULL; detail a static string or NULL.
static int
s_reject (wire_rx_t *self, wire_reject_t reason, uint64_t now_ms, const char *sender,
          const char *detail, wire_reject_t *reason_out)
{
    self->rejected [reason]++;
    self->rejected [WIRE_REJECT_NONE]++;
    if (reason_out)
        *reason_out = reason;
    s_limiter_t *limit = &self->limiter [reason];
    if (!self->log_fn)
        return -1;
    if (limit->logged && now_ms >= limit->last_ms
    &&  now_ms - limit->last_ms < WIRE_LOG_INTERVAL_MS) {
        limit->suppressed++;
        self->suppressed_total++;
        return -1;
    }
    char line [WIRE_LOG_LINE_BYTES];
    int len = snprintf (line, sizeof (line), "wire: rejected %s message from %s: %s",
                        s_reason_names [reason], sender ? sender : "?",
                        detail ? detail : s_reason_names [reason]);
    if (limit->suppressed && len > 0 && (size_t) len < sizeof (line))
        snprintf (line + len, sizeof (line) - (size_t) len,
                  " (%" PRIu64 " more %s rejections not logged)",
                  limit->suppressed, s_reason_names [reason]);
    limit->logged = true;
    limit->last_ms = now_ms;
    limit->suppressed = 0;
    self->log_fn (self->log_arg, line);
    return -1;
}

#define S_REJECT(reason, sender, detail) \
    s_reject (self, (reason), now_ms, (sender), (detail), reason_out)

static int
s_accept (wire_rx_t *self, const wire_bytes_t *frames, size_t count, uint64_t now_ms,
          wire_msg_t *out, wire_reject_t *reason_out)
{
    //  1-2. Shape and size, before looking inside anything
    if (count != WIRE_FRAMES)
        return S_REJECT (WIRE_REJECT_MALFORMED, NULL, "wrong frame count");
    const wire_bytes_t *head_frame = &frames [0];
    const wire_bytes_t *body = &frames [1];
    const wire_bytes_t *sig = &frames [2];
    if (head_frame->size > WIRE_HEAD_BYTES_MAX)
        return S_REJECT (WIRE_REJECT_OVERSIZE, NULL, "head frame over its cap");
    if (body->size > WIRE_BODY_BYTES_MAX)
        return S_REJECT (WIRE_REJECT_OVERSIZE, NULL, "body frame over its cap");

    //  3-5. The unsigned head: only to drop early and to find the key
    wire_head_t head;
    int rc = wire_head_parse (head_frame->data, head_frame->size, &head);
    if (rc == WIRE_UNSUPPORTED)
        return S_REJECT (WIRE_REJECT_UNSUPPORTED_VERSION, NULL, "head names another version");
    if (rc != 0)
        return S_REJECT (WIRE_REJECT_MALFORMED, NULL, "head frame is not a valid head");
    //  The head names the type, and so its cap: a heartbeat-sized message
    //  carrying 64 KiB costs no signature check. (A head that lies about
    //  the type fails at step 8.)
    if (body->size > wire_body_cap (head.type))
        return S_REJECT (WIRE_REJECT_OVERSIZE, NULL, "body frame over its type's cap");
    if (strcmp (head.cluster, self->cluster) != 0)
        return S_REJECT (WIRE_REJECT_WRONG_CLUSTER, head.from, "head names another cluster");
    int sender = wire_peers_find (self->peers, head.from, strlen (head.from));
    if (sender < 0)
        return S_REJECT (WIRE_REJECT_UNKNOWN_SENDER, head.from, "sender not in the principal table");
    if (sender == self->self_index)
        return S_REJECT (WIRE_REJECT_UNKNOWN_SENDER, head.from, "sender is this node");

    //  6. The signature over the raw body bytes
    if (sig->size != WIRE_SIG_BYTES)
        return S_REJECT (WIRE_REJECT_BAD_SIGNATURE, head.from, "signature frame not 64 bytes");
    if (sign_verify (wire_peers_key (self->peers, (uint32_t) sender),
                     body->data, body->size, sig->data) != 0)
        return S_REJECT (WIRE_REJECT_BAD_SIGNATURE, head.from, "signature does not verify");

    //  7-9. Signed bytes only from here on
    const char *why = NULL;
    rc = wire_msg_decode (body->data, body->size, out, &why);
    if (rc == WIRE_UNSUPPORTED)
        return S_REJECT (WIRE_REJECT_UNSUPPORTED_VERSION, head.from, why);
    if (rc != 0)
        return S_REJECT (WIRE_REJECT_MALFORMED, head.from, why);
    if (out->type != head.type || strcmp (out->cluster, head.cluster) != 0
    ||  strcmp (out->from, head.from) != 0)
        return S_REJECT (WIRE_REJECT_MALFORMED, head.from, "head differs from the signed body");
    bool to_us = strcmp (out->to, self->self_id) == 0;
    bool to_all = strcmp (out->to, WIRE_BROADCAST) == 0 && wire_type_broadcast (out->type);
    if (!to_us && !to_all)
        return S_REJECT (WIRE_REJECT_WRONG_RECIPIENT, head.from, "addressed to someone else");

    //  10. Authorisation: what this principal may send at all
    if (!wire_peers_allows (self->peers, (uint32_t) sender, out->type))
        return S_REJECT (WIRE_REJECT_NOT_PERMITTED, head.from, "message type not permitted for this sender");

    //  11-12. Freshness, then the only state change
    replay_t *window = &self->replay [sender];
    replay_result_t fresh = replay_check (window, out->incarnation, out->seq);
    if (fresh == REPLAY_STALE)
        return S_REJECT (WIRE_REJECT_STALE_INCARNATION, head.from, "older incarnation");
    if (fresh == REPLAY_TOO_OLD)
        return S_REJECT (WIRE_REJECT_TOO_OLD, head.from, "sequence number below the replay window "
                         "(delivered after more than the window of newer messages of its sender, or "
                         "replayed)");
    if (fresh != REPLAY_OK)
        return S_REJECT (WIRE_REJECT_REPLAY, head.from, "sequence number already seen (a replayed "
                         "message)");
    replay_record (window, out->incarnation, out->seq);
    self->accepted++;
    return 0;
}

int
wire_rx_accept_frames (wire_rx_t *self, const wire_bytes_t *frames, size_t count,
                       uint64_t now_ms, wire_msg_t *out, wire_reject_t *reason)
{
    if (reason)
        *reason = WIRE_REJECT_NONE;
    int rc = s_accept (self, frames, count, now_ms, out, reason);
    if (rc != 0)
        memset (out, 0, sizeof (*out));
    return rc;
}

int
wire_rx_accept (wire_rx_t *self, zmsg_t *msg, bool via_router, uint64_t now_ms,
                wire_msg_t *out, wire_reject_t *reason)
{
    //  One more slot than a valid message needs, to see "too many".
    wire_bytes_t frames [WIRE_FRAMES + 1];
    size_t count = 0;
    zframe_t *frame = zmsg_first (msg);
    if (via_router && frame)
        frame = zmsg_next (msg);        //  The identity says nothing we trust
    for (; frame && count < WIRE_FRAMES + 1; frame = zmsg_next (msg)) {
        frames [count].data = zframe_data (frame);
        frames [count].size = zframe_size (frame);
        count++;
    }
    return wire_rx_accept_frames (self, frames, count, now_ms, out, reason);
}

uint64_t
wire_rx_accepted (const wire_rx_t *self)
{
    return self->accepted;
}

uint64_t
wire_rx_rejected (const wire_rx_t *self, wire_reject_t reason)
{
    return (unsigned) reason < WIRE_REJECT_COUNT ? self->rejected [reason] : 0;
}

void
wire_rx_set_logger (wire_rx_t *self, wire_log_fn *fn, void *arg)
{
    self->log_fn = fn;
    self->log_arg = arg;
}

uint64_t
wire_rx_log_suppressed (const wire_rx_t *self)
{
    return self->suppressed_total;
}

int
wire_rx_peer_state (const wire_rx_t *self, uint32_t index, uint64_t *incarnation, uint64_t *seq)
{
    if (index >= wire_peers_size (self->peers))
        return -1;
    *incarnation = self->replay [index].incarnation;
    *seq = self->replay [index].top;
    return 0;
}

int
wire_rx_restore (wire_rx_t *self, uint32_t index, uint64_t incarnation, uint64_t seq)
{
    if (index >= wire_peers_size (self->peers))
        return -1;
    replay_restore (&self->replay [index], incarnation, seq);
    return 0;
}

const char *
wire_reject_name (wire_reject_t reason)
{
    return (unsigned) reason < WIRE_REJECT_COUNT ? s_reason_names [reason] : "unknown";
}
