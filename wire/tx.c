/*  tx: stamp, encode, sign, frame. See tx.h for the contract.

    wire_tx_zmsg seals into the sender's own buffer, not the stack: a
    sealed message holds a body of up to WIRE_BODY_BYTES_MAX (64 KiB), and
    the node sends from its loop on every turn.
*/
#include "tx.h"
#include <stdlib.h>
#include <string.h>

//  crypto/sign refuses longer bodies: every body the wire allows must sign.
_Static_assert (WIRE_BODY_BYTES_MAX <= SIGN_BODY_BYTES_MAX, "every body can be signed");
_Static_assert (WIRE_SMALL_BODY_BYTES_MAX <= WIRE_BODY_BYTES_MAX, "small bodies are bodies");

struct _wire_tx_t {
    char cluster [WIRE_CLUSTER_CHARS_MAX + 1];  //  Our cluster id
    char self_id [WIRE_ID_CHARS_MAX + 1];       //  Our member id
    const keys_t *keys;                         //  Our identity (not owned)
    uint64_t incarnation;                       //  This boot's number
    uint64_t next_seq;                          //  Next sequence number, from 1
    wire_sealed_t sealed;                       //  wire_tx_zmsg's frames, until copied
};

wire_tx_t *
wire_tx_new (const char *cluster, const char *self_id, const keys_t *keys,
             uint64_t incarnation)
{
    if (!keys || incarnation == 0 || sign_init () != 0
    ||  !wire_cluster_valid (cluster, strlen (cluster))
    ||  !wire_id_valid (self_id, strlen (self_id)))
        return NULL;
    wire_tx_t *self = (wire_tx_t *) calloc (1, sizeof (wire_tx_t));
    if (!self)
        return NULL;
    strcpy (self->cluster, cluster);            //  Lengths checked above
    strcpy (self->self_id, self_id);
    self->keys = keys;
    self->incarnation = incarnation;
    self->next_seq = 1;
    return self;
}

void
wire_tx_destroy (wire_tx_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
wire_seal (const keys_t *keys, const wire_msg_t *msg, wire_sealed_t *sealed)
{
    int len = wire_head_format (sealed->head, sizeof (sealed->head), msg->cluster,
                                msg->type, msg->from);
    if (len < 0
    ||  wire_msg_encode (msg, sealed->body, sizeof (sealed->body), &sealed->body_size) != 0
    ||  sign_detached (keys, sealed->body, sealed->body_size, sealed->sig) != 0)
        return -1;
    sealed->head_size = (size_t) len;
    return 0;
}

int
wire_tx_seal (wire_tx_t *self, wire_msg_t *msg, wire_sealed_t *sealed)
{
    if (self->next_seq == UINT64_MAX)
        return -1;              //  Exhausted: a new incarnation is needed
    msg->version = WIRE_VERSION;
    strcpy (msg->cluster, self->cluster);
    strcpy (msg->from, self->self_id);
    msg->incarnation = self->incarnation;
    msg->seq = self->next_seq;
    if (wire_seal (self->keys, msg, sealed) != 0)
        return -1;
    self->next_seq++;
    return 0;
}

zmsg_t *
wire_tx_zmsg (wire_tx_t *self, wire_msg_t *msg)
{
    if (wire_tx_seal (self, msg, &self->sealed) != 0)
        return NULL;
    return wire_envelope_zmsg (&self->sealed);
}

uint64_t
wire_tx_next_seq (const wire_tx_t *self)
{
    return self->next_seq;
}
