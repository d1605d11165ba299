/*  fuzz_rx: the whole receive path, as n2 of cluster "prod".

    The first input byte picks a mode:
      even  raw frames, as an attacker without keys sends them:
            [count:u8] then count times [len:u16 big-endian][bytes],
            the last frame taking whatever remains; bit 1 of the mode byte
            sends them as a zmsg through wire_rx_accept (bit 2: via ROUTER,
            with an identity frame first).
      odd   messages signed with a member's, the client's or the outsider's
            key, to get past the signature and exercise the decoder, the
            permission check and the replay window with many messages in a
            row: repeated [signer:u8][head_len:u8][head][body_len:u16][body]
            (signer modulo 5: n1, n2, n3, outsider, client ops).
    A fresh receive path per input, so a crash replays from its input.
    With FUZZ_RX_VERBOSE set, each message's outcome goes to stderr (to
    check what a corpus reaches: fuzz_rx -runs=0 corpus/).

    Oracles: every message is counted exactly once (accepted or one
    reason); a rejected message leaves the output zeroed; an accepted one
    is a valid message within its type's body cap whose head and signature
    match, addressed to n2 or broadcast, of a type its sender may send
    (consensus messages, replication included, from members; requests from
    the client), and which is refused as a replay if delivered again.
*/
#include <stdio.h>
#include "fuzz_common.h"
#include "sign.h"

#define S_MESSAGES_MAX  16

typedef struct {
    const uint8_t *data;
    size_t left;
} s_cursor_t;

static int
s_take (s_cursor_t *c, size_t n, const uint8_t **out)
{
    if (c->left < n)
        return -1;
    *out = c->data;
    c->data += n;
    c->left -= n;
    return 0;
}

static int
s_u8 (s_cursor_t *c, size_t *value)
{
    const uint8_t *p;
    if (s_take (c, 1, &p))
        return -1;
    *value = p [0];
    return 0;
}

static int
s_u16 (s_cursor_t *c, size_t *value)
{
    const uint8_t *p;
    if (s_take (c, 2, &p))
        return -1;
    *value = (size_t) p [0] << 8 | p [1];
    return 0;
}

static void
s_check (wire_rx_t *rx, int rc, wire_reject_t reason, const wire_msg_t *out,
         const wire_bytes_t *frames, size_t count, uint64_t *delivered)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv ("FUZZ_RX_VERBOSE") != NULL;
    if (verbose)
        fprintf (stderr, "fuzz_rx: %s%s%s\n", wire_reject_name (reason),
                 rc == 0 ? " " : "", rc == 0 ? wire_type_name (out->type) : "");
    (*delivered)++;
    FUZZ_ASSERT (wire_rx_accepted (rx) + wire_rx_rejected (rx, WIRE_REJECT_NONE) == *delivered);
    if (rc != 0) {
        FUZZ_ASSERT (rc == -1 && reason > WIRE_REJECT_NONE && reason < WIRE_REJECT_COUNT);
        static const wire_msg_t zero;
        FUZZ_ASSERT (memcmp (out, &zero, sizeof (zero)) == 0);
        return;
    }
    FUZZ_ASSERT (reason == WIRE_REJECT_NONE);
    FUZZ_ASSERT (wire_msg_check (out, NULL) == 0);
    FUZZ_ASSERT (strcmp (out->cluster, "prod") == 0);
    FUZZ_ASSERT (strcmp (out->to, "n2") == 0
              || (strcmp (out->to, "*") == 0 && wire_type_broadcast (out->type)));
    const wire_peers_t *peers = fuzz_world ()->peers;
    int sender = wire_peers_find (peers, out->from, strlen (out->from));
    FUZZ_ASSERT (sender >= 0 && sender != 1);
    FUZZ_ASSERT (wire_peers_allows (peers, (uint32_t) sender, out->type));
    FUZZ_ASSERT ((size_t) sender < wire_peers_members (peers)
                 ? (WIRE_TYPES_PEER & WIRE_TYPE_BIT (out->type)) != 0
                 : (WIRE_TYPES_CLIENT & WIRE_TYPE_BIT (out->type)) != 0);
    FUZZ_ASSERT (count == 3 && frames [2].size == WIRE_SIG_BYTES);
    FUZZ_ASSERT (frames [1].size <= wire_body_cap (out->type));
    FUZZ_ASSERT (sign_verify (wire_peers_key (peers, (uint32_t) sender),
                              frames [1].data, frames [1].size, frames [2].data) == 0);
    //  The same frames again are a replay
    wire_msg_t again;
    wire_reject_t why;
    FUZZ_ASSERT (wire_rx_accept_frames (rx, frames, count, 0, &again, &why) == -1);
    FUZZ_ASSERT (why == WIRE_REJECT_REPLAY);
    (*delivered)++;
}

static void
s_raw (wire_rx_t *rx, uint8_t mode, s_cursor_t *c, uint64_t *delivered)
{
    wire_bytes_t frames [8];
    size_t count = 0, wanted = 0;
    if (s_u8 (c, &wanted))
        return;
    wanted %= 8;
    for (size_t i = 0; i < wanted; i++) {
        size_t len = c->left;
        if (i + 1 < wanted && s_u16 (c, &len))
            break;
        if (len > c->left)
            len = c->left;
        const uint8_t *p;
        s_take (c, len, &p);
        frames [count++] = (wire_bytes_t) { p, len };
    }
    wire_msg_t out;
    wire_reject_t reason = WIRE_REJECT_NONE;
    int rc;
    if (mode & 2) {
        zmsg_t *msg = zmsg_new ();
        if (mode & 4)
            zmsg_addstr (msg, "identity");
        for (size_t i = 0; i < count; i++)
            zmsg_addmem (msg, frames [i].data, frames [i].size);
        rc = wire_rx_accept (rx, msg, mode & 4, 0, &out, &reason);
        zmsg_destroy (&msg);
        //  The frames are gone with the zmsg; check the counting only
        (*delivered)++;
        FUZZ_ASSERT (wire_rx_accepted (rx) + wire_rx_rejected (rx, WIRE_REJECT_NONE) == *delivered);
        FUZZ_ASSERT (rc == 0 || reason != WIRE_REJECT_NONE);
        return;
    }
    rc = wire_rx_accept_frames (rx, frames, count, 0, &out, &reason);
    s_check (rx, rc, reason, &out, frames, count, delivered);
}

static void
s_signed (wire_rx_t *rx, s_cursor_t *c, uint64_t *delivered)
{
    for (int m = 0; m < S_MESSAGES_MAX; m++) {
        size_t signer, head_len, body_len;
        const uint8_t *head, *body;
        if (s_u8 (c, &signer) || s_u8 (c, &head_len) || s_take (c, head_len, &head)
        ||  s_u16 (c, &body_len))
            return;
        if (body_len > c->left)
            body_len = c->left;
        s_take (c, body_len, &body);
        uint8_t sig [WIRE_SIG_BYTES];
        if (sign_detached (fuzz_world ()->keys [signer % FUZZ_SIGNERS], body, body_len, sig))
            return;
        wire_bytes_t frames [3] = { { head, head_len }, { body, body_len }, { sig, sizeof (sig) } };
        wire_msg_t out;
        wire_reject_t reason = WIRE_REJECT_NONE;
        int rc = wire_rx_accept_frames (rx, frames, 3, (uint64_t) m * 400, &out, &reason);
        s_check (rx, rc, reason, &out, frames, 3, delivered);
    }
}

//  Log lines must never carry raw input: printable ASCII only.
static void
s_log (void *arg, const char *line)
{
    (void) arg;
    for (const char *p = line; *p; p++)
        FUZZ_ASSERT (*p >= 0x20 && *p < 0x7f);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    wire_rx_t *rx = wire_rx_new ("prod", "n2", fuzz_world ()->peers);
    FUZZ_ASSERT (rx);
    wire_rx_set_logger (rx, s_log, NULL);
    s_cursor_t c = { data + 1, size - 1 };
    uint64_t delivered = 0;
    if (data [0] & 1)
        s_signed (rx, &c, &delivered);
    else
        s_raw (rx, data [0], &c, &delivered);
    wire_rx_destroy (&rx);
    return 0;
}
