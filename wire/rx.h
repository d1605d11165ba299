/*  rx: the receive path. Nothing forged, replayed or malformed gets past.

    Each message goes through these steps, in this order, and the first
    that fails rejects it with its reason:

      1. frame count: exactly head, body, sig (after a ROUTER's identity)  malformed
      2. size caps: head <= WIRE_HEAD_BYTES_MAX, body <= WIRE_BODY_BYTES_MAX  oversize
      3. head: syntax; its version                               malformed / unsupported version
         then the body within the cap of the head's type
         (wire_body_cap), before any signature work                oversize
      4. head cluster = ours (cheap early drop)                  wrong cluster
      5. head sender is in the principal table, and not us       unknown sender
      6. sig frame is 64 bytes and verifies over
         "incidentmesh/1" 0x00 body with that principal's key      bad signature
      7. body decodes strictly (msg.h; no allocation)            malformed / unsupported version
      8. body cluster, type, from = the head's                   malformed
      9. body to = our id, or "*" for a broadcast type           wrong recipient
     10. the sender may send this type (peers.h)                 not permitted
     11. (incarnation, seq) against the sender's window          stale incarnation / replay
     12. record (incarnation, seq); the message is accepted.

    Step 10 is the only authorisation here: members and clients are both
    principals of the receive path, and each may send only the types its
    table entry allows (a node: consensus messages from members, requests
    from clients). It runs after the signature, so its counter counts
    principals that sent what they may not, never forgeries.

    So unauthenticated bytes reach only the frame counter, the size caps
    and the head parser; the body decoder sees signed bytes only, and the
    replay state changes only for a message that passed everything else.
    A rejection changes nothing but its reason's counter (and the log).

    Each rejection is counted per reason (for the node's metrics) and
    logged with rate limiting: at most one line per reason per
    WIRE_LOG_INTERVAL_MS, and the next line says how many were suppressed.
    Log lines contain only validated ids, never raw input.

    Time comes in as now_ms (monotonic, used only for the log limit); the
    receive path reads no clock. The byte-level wire_rx_accept_frames
    needs no ZeroMQ (fuzzers, benchmarks).
*/
#ifndef MESH_WIRE_RX_H
#define MESH_WIRE_RX_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "envelope.h"
#include "msg.h"
#include "peers.h"

#define WIRE_LOG_INTERVAL_MS    1000    //  Per reason, at most one log line per interval
#define WIRE_LOG_LINE_BYTES     256

typedef enum {
    WIRE_REJECT_NONE = 0,               //  Accepted
    WIRE_REJECT_OVERSIZE,
    WIRE_REJECT_MALFORMED,
    WIRE_REJECT_UNKNOWN_SENDER,
    WIRE_REJECT_BAD_SIGNATURE,
    WIRE_REJECT_WRONG_CLUSTER,
    WIRE_REJECT_WRONG_RECIPIENT,
    WIRE_REJECT_REPLAY,
    WIRE_REJECT_STALE_INCARNATION,
    WIRE_REJECT_UNSUPPORTED_VERSION,
    WIRE_REJECT_NOT_PERMITTED,          //  A type its sender may not send
    WIRE_REJECT_TOO_OLD,                //  Below the replay window: a late message,
                                        //  or a replay of an old one (replay.h)
    WIRE_REJECT_COUNT
} wire_reject_t;

//  Where log lines go; line is NUL-terminated, without a newline.
typedef void (wire_log_fn) (void *arg, const char *line);

typedef struct _wire_rx_t wire_rx_t;

//  Create a receive path for self_id of cluster, accepting messages from
//  the principals in peers (copied), each only of the types it may send.
//  self_id need not be in peers (a monitor or a client is not a member).
//  Returns NULL on an invalid id or cluster.
wire_rx_t *wire_rx_new (const char *cluster, const char *self_id, const wire_peers_t *peers);

//  Destroy; safe on NULL, sets *self_p to NULL.
void wire_rx_destroy (wire_rx_t **self_p);

//  Run the receive path over count frames (head, body, sig). Returns 0 with
//  the message in *out, or -1 with the reason in *reason (out is then
//  zeroed). reason may be NULL.
int wire_rx_accept_frames (wire_rx_t *self, const wire_bytes_t *frames, size_t count,
                           uint64_t now_ms, wire_msg_t *out, wire_reject_t *reason);

//  The same over a received zmsg (not destroyed); via_router: its first
//  frame is a ROUTER identity, to be skipped.
int wire_rx_accept (wire_rx_t *self, zmsg_t *msg, bool via_router, uint64_t now_ms,
                    wire_msg_t *out, wire_reject_t *reason);

//  Messages accepted so far.
uint64_t wire_rx_accepted (const wire_rx_t *self);

//  Messages rejected for reason so far; WIRE_REJECT_NONE gives the total.
uint64_t wire_rx_rejected (const wire_rx_t *self, wire_reject_t reason);

//  Send log lines to fn (NULL: no logging). The default is czmq's
//  zsys_warning.
void wire_rx_set_logger (wire_rx_t *self, wire_log_fn *fn, void *arg);

//  Lines suppressed by the rate limit so far (all reasons).
uint64_t wire_rx_log_suppressed (const wire_rx_t *self);

//  The replay high-water mark for principal index: its current incarnation
//  and highest accepted seq (0, 0 if none yet). Returns 0, or -1 if there
//  is no such principal.
int wire_rx_peer_state (const wire_rx_t *self, uint32_t index, uint64_t *incarnation,
                        uint64_t *seq);

//  Restore a high-water mark saved before our own restart, so that the
//  messages it covers cannot be replayed to the new process. Returns 0, or
//  -1 if there is no such principal.
int wire_rx_restore (wire_rx_t *self, uint32_t index, uint64_t incarnation, uint64_t seq);

//  Printable name of a reason ("bad-signature", ...).
const char *wire_reject_name (wire_reject_t reason);

#endif
