/*  tx: the sending side. Stamps each message with this node's header
    (version, cluster, sender id, incarnation and the next sequence
    number), encodes it, signs the exact body bytes and builds the frames.

    One wire_tx_t per node, shared by all its sockets: the sequence number
    is per incarnation and common to every channel, which is what lets a
    receiver detect a replay whichever way a copy arrives. The incarnation
    must grow across restarts (node/state.h keeps it on disk).
*/
#ifndef MESH_WIRE_TX_H
#define MESH_WIRE_TX_H

#include <czmq.h>
#include <stdint.h>
#include "envelope.h"
#include "keys.h"
#include "msg.h"

typedef struct _wire_tx_t wire_tx_t;

//  Create a sender for self_id in cluster, signing with keys (which must
//  outlive it), in the given incarnation (>= 1). Returns NULL on a bad id,
//  cluster or incarnation.
wire_tx_t *wire_tx_new (const char *cluster, const char *self_id, const keys_t *keys,
                        uint64_t incarnation);

//  Destroy; safe on NULL, sets *self_p to NULL.
void wire_tx_destroy (wire_tx_t **self_p);

//  Stamp msg (version, cluster, from, incarnation, next seq), then encode
//  and sign it into sealed. The caller sets type, to, term and the type's
//  fields. Returns 0, or -1 if msg is invalid (no seq is used up then).
int wire_tx_seal (wire_tx_t *self, wire_msg_t *msg, wire_sealed_t *sealed);

//  As wire_tx_seal, returning the three frames as a new zmsg, or NULL.
//  Seals into the sender's own buffer (a body may be 64 KiB), so one
//  sender serves one thread, as its sequence counter already requires.
zmsg_t *wire_tx_zmsg (wire_tx_t *self, wire_msg_t *msg);

//  The sequence number the next message will get.
uint64_t wire_tx_next_seq (const wire_tx_t *self);

//  Encode msg exactly as given and sign it with keys into sealed: no
//  stamping. For tests, vectors and tools. Returns 0 or -1.
int wire_seal (const keys_t *keys, const wire_msg_t *msg, wire_sealed_t *sealed);

#endif
