/*  peers: the member table (keyring) of a cluster.

    One entry per member: its wire id and its Ed25519 public key. The
    position of an entry is the member's number in the consensus core
    (core.h numbers members 0..count-1), so add members in the order the
    node's configuration lists them. Ids and keys are unique in a table:
    a key that speaks for two ids would let one member vote twice.
*/
#ifndef MESH_WIRE_PEERS_H
#define MESH_WIRE_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keys.h"

#define WIRE_PEERS_MAX          64      //  = CORE_MEMBERS_MAX

typedef struct _wire_peers_t wire_peers_t;

//  Create an empty table.
wire_peers_t *wire_peers_new (void);

//  Destroy; safe on NULL, sets *self_p to NULL.
void wire_peers_destroy (wire_peers_t **self_p);

//  Copy a table.
wire_peers_t *wire_peers_dup (const wire_peers_t *self);

//  Add a member. Returns its index, or -1 if id is not a valid member id,
//  the id or the key is already present, or the table is full.
int wire_peers_add (wire_peers_t *self, const char *id, const uint8_t public_key [KEYS_PUBLIC_BYTES]);

//  Index of the member whose id is the len bytes at id, or -1.
int wire_peers_find (const wire_peers_t *self, const char *id, size_t len);

//  Number of members.
size_t wire_peers_size (const wire_peers_t *self);

//  Id of member index, or NULL if there is none.
const char *wire_peers_id (const wire_peers_t *self, uint32_t index);

//  Public key of member index, or NULL if there is none.
const uint8_t *wire_peers_key (const wire_peers_t *self, uint32_t index);

#endif
