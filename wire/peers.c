/*  peers: the principal table. See peers.h for the contract.

    A fixed array: at most 64 members and 64 clients, looked up by a linear
    scan that costs less than one byte of Ed25519 work per message.
*/
#include "peers.h"
#include <stdlib.h>
#include <string.h>

typedef struct {
    char id [WIRE_ID_CHARS_MAX + 1];            //  Wire id, NUL-terminated
    uint8_t key [KEYS_PUBLIC_BYTES];            //  Ed25519 public key
    uint32_t types;                             //  WIRE_TYPE_BIT mask it may send
} s_peer_t;

struct _wire_peers_t {
    size_t size;                                //  Entries in use
    size_t members;                             //  The first this many are members
    s_peer_t peer [WIRE_PEERS_MAX];             //  Members (index = core number), then clients
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

//  Append an entry after the common checks. Returns its index or -1.
static int
s_add (wire_peers_t *self, const char *id, const uint8_t public_key [KEYS_PUBLIC_BYTES],
       uint32_t types)
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
    peer->types = types;
    return (int) self->size++;
}

int
wire_peers_add (wire_peers_t *self, const char *id, const uint8_t public_key [KEYS_PUBLIC_BYTES])
{
    //  Members first: a member's index is its core number.
    if (self->size != self->members || self->members >= WIRE_MEMBERS_MAX)
        return -1;
    int index = s_add (self, id, public_key, WIRE_TYPES_MEMBER);
    if (index >= 0)
        self->members++;
    return index;
}

int
wire_peers_add_client (wire_peers_t *self, const char *id,
                       const uint8_t public_key [KEYS_PUBLIC_BYTES], uint32_t types)
{
    if ((types & ~(uint32_t) WIRE_TYPES_CLIENT) || self->size - self->members >= WIRE_CLIENTS_MAX)
        return -1;
    return s_add (self, id, public_key, types);
}

int
wire_peers_set_types (wire_peers_t *self, uint32_t index, uint32_t types)
{
    if (index >= self->size
    || (index >= self->members && (types & ~(uint32_t) WIRE_TYPES_CLIENT)))
        return -1;
    self->peer [index].types = types;
    return 0;
}

bool
wire_peers_allows (const wire_peers_t *self, uint32_t index, wire_type_t type)
{
    return index < self->size && (unsigned) type < 32
        && (self->peer [index].types & WIRE_TYPE_BIT (type)) != 0;
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

size_t
wire_peers_members (const wire_peers_t *self)
{
    return self->members;
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
