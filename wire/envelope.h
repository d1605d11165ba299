/*  envelope: how a message travels as ZeroMQ frames.

    Every message is exactly three frames, on both channels:

      frame 0  head  ASCII "incidentmesh/1 <cluster> <type-name> <from>",
                     single spaces, no NUL, at most WIRE_HEAD_BYTES_MAX
      frame 1  body  the msgpack body (msg.h), at most its type's cap
                     (wire_body_cap: WIRE_BODY_BYTES_MAX for appends,
                     snapshots and client traffic, WIRE_SMALL_BODY_BYTES_MAX
                     for everything else)
      frame 2  sig   64-byte Ed25519 signature over "incidentmesh/1" 0x00 body

    On PUB/SUB the head is the topic: a subscriber filters with a prefix
    such as "incidentmesh/1 prod heartbeat " (wire_topic). On DEALER ->
    ROUTER the ROUTER socket prepends its identity frame, which the
    receive path skips. The head is NOT signed: it only routes, filters
    and selects the sender's key; the receive path checks it against the
    signed body and rejects any difference.

    ZMQ_MAXMSGSIZE limits every inbound frame, so libzmq drops a peer that
    sends more before anything is buffered: to WIRE_FRAME_BYTES_MAX on the
    DEALER/ROUTER channel, which carries appends, snapshots and client
    traffic, and to WIRE_SMALL_FRAME_BYTES_MAX on a SUB socket, which
    carries heartbeats and beacons only. The receive path checks the caps
    again, per type (the head names it), for frames from elsewhere.
*/
#ifndef MESH_WIRE_ENVELOPE_H
#define MESH_WIRE_ENVELOPE_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "msg.h"
#include "sign.h"

#define WIRE_FRAMES             3       //  head, body, sig
#define WIRE_HEAD_BYTES_MAX     160     //  Longest valid head is 129 (transfer-request)
#define WIRE_SIG_BYTES          SIGN_BYTES
#define WIRE_FRAME_BYTES_MAX    WIRE_BODY_BYTES_MAX     //  ZMQ_MAXMSGSIZE: DEALER, ROUTER
#define WIRE_SMALL_FRAME_BYTES_MAX WIRE_SMALL_BODY_BYTES_MAX   //  ... SUB (and PUB)
#define WIRE_HWM_MSGS           1000    //  Send/receive high-water marks
#define WIRE_VERSION_DIGITS_MAX 5       //  "incidentmesh/NNNNN"

//  A frame's bytes, without ZeroMQ.
typedef struct {
    const uint8_t *data;
    size_t size;
} wire_bytes_t;

//  The head frame, parsed.
typedef struct {
    uint32_t version;
    char cluster [WIRE_CLUSTER_CHARS_MAX + 1];
    wire_type_t type;
    char from [WIRE_ID_CHARS_MAX + 1];
} wire_head_t;

//  A signed message ready to send: the three frames.
typedef struct {
    char head [WIRE_HEAD_BYTES_MAX];
    size_t head_size;
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t body_size;
    uint8_t sig [WIRE_SIG_BYTES];
} wire_sealed_t;

//  Write the head for (cluster, type, from) into buf, without a NUL.
//  Returns its length, or -1 if an argument is invalid or buf too small.
int wire_head_format (char *buf, size_t size, const char *cluster, wire_type_t type,
                      const char *from);

//  Parse a head frame. Returns 0, WIRE_UNSUPPORTED (another version of
//  this protocol) or WIRE_MALFORMED.
int wire_head_parse (const uint8_t *data, size_t size, wire_head_t *head);

//  Write the subscription prefix for one type in one cluster (with its
//  trailing space, NUL-terminated) into buf. Returns its length or -1.
int wire_topic (char *buf, size_t size, const char *cluster, wire_type_t type);

//  The frames of sealed as a new zmsg (head, body, sig), or NULL.
zmsg_t *wire_envelope_zmsg (const wire_sealed_t *sealed);

//  Receive one multipart message from sock, keeping at most frames_max + 1
//  frames (enough for the receive path to see there were too many) and
//  discarding the rest. frames_max is WIRE_FRAMES, or WIRE_FRAMES + 1 on a
//  ROUTER (its identity frame). Returns NULL if nothing could be received.
zmsg_t *wire_recv (zsock_t *sock, size_t frames_max);

//  Apply the wire limits to a socket: ZMQ_MAXMSGSIZE = max_frame (the
//  largest frame the socket may receive: WIRE_FRAME_BYTES_MAX on DEALER and
//  ROUTER, WIRE_SMALL_FRAME_BYTES_MAX on PUB and SUB), linger 0, high-water
//  marks; ZMQ_IMMEDIATE on DEALER (no queueing for a peer not connected,
//  so a vote request cannot arrive long after it was sent).
void wire_socket_harden (zsock_t *sock, size_t max_frame);

#endif
