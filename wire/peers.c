/*  peers: the member table. See peers.h for the contract.

    A fixed array: at most 64 members, looked up by a linear scan that
    costs less than one byte of Ed25519 work per message.
*/
#include "peers.h"
#include "msg.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    char id [WIRE_ID_CHARS_MAX + 1];            //  Wire id, NUL-terminated
    uint8_t key [KEYS_PUBLIC_BYTES];            //  Ed25519 public key
} s_peer_t;

struct _wire_peers_t {
    size_t size;                                //  Entries in use
    s_peer_t peer [WIRE_PEERS_MAX];             //  Index = core member number
};

wire_peers_t *
wire_peers_new (void)
{
    return (wire_peers_t *) calloc (1, sizeof (wire_peers_t));
}

void
wire_peers_destroy (wire_peers_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

wire_peers_t *
wire_peers_dup (const wire_peers_t *self)
{
    wire_peers_t *copy = wire_peers_new ();
    if (copy)
        *copy = *self;
    return copy;
}

int
wire_peers_add (wire_peers_t *self, const char *id, const uint8_t public_key [KEYS_PUBLIC_BYTES])
{
    size_t len = strlen (id);
    if (!wire_id_valid (id, len) || self->size >= WIRE_PEERS_MAX
    ||  wire_peers_find (self, id, len) >= 0)
        return -1;
    for (size_t i = 0; i < self->size; i++)
        if (memcmp (self->peer [i].key, public_key, KEYS_PUBLIC_BYTES) == 0)
            return -1;
    s_peer_t *peer = &self->peer [self->size];
    memcpy (peer->id, id, len + 1);
    memcpy (peer->key, public_key, KEYS_PUBLIC_BYTES);
    return (int) self->size++;
}

int
wire_peers_find (const wire_peers_t *self, const char *id, size_t len)
{
    if (len > WIRE_ID_CHARS_MAX)
        return -1;
    for (size_t i = 0; i < self->size; i++)
        if (strlen (self->peer [i].id) == len && memcmp (self->peer [i].id, id, len) == 0)
            return (int) i;
    return -1;
}

size_t
wire_peers_size (const wire_peers_t *self)
{
    return self->size;
}

const char *
wire_peers_id (const wire_peers_t *self, uint32_t index)
{
    return index < self->size ? self->peer [index].id : NULL;
}

const uint8_t *
wire_peers_key (const wire_peers_t *self, uint32_t index)
{
    return index < self->size ? self->peer [index].key : NULL;
}
