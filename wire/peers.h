/*  peers: the principals of a cluster's receive path (its keyring).

    One entry per principal: its wire id, its Ed25519 public key, and the
    set of message types it may send (a mask of WIRE_TYPE_BIT). There are
    two kinds:

      members  the cluster's nodes. They come first, and the position of a
               member is its number in the consensus core (core.h numbers
               members 0..count-1), so add them in the order the cluster
               file lists them, before any client;
      clients  operators' tools (meshctl) and dispatch clients (client
               requests to the kv). They follow the members. They are
               never core members: wire_to_core refuses them (coremap.h).

    The receive path (rx.h) rejects as not-permitted any message whose type
    is not in its sender's mask, after the signature: what a principal may
    send is decided here, per receiver, and nothing else needs to check it.
    What a client may ask for (may_transfer) is the node's business; the
    node answers such a request with an outcome (msg.h).

    Ids and keys are unique in a table: a key that speaks for two ids would
    let one member vote twice, or a client pass for a member.
*/
#ifndef MESH_WIRE_PEERS_H
#define MESH_WIRE_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keys.h"
#include "msg.h"

#define WIRE_MEMBERS_MAX        64      //  = CORE_MEMBERS_MAX
#define WIRE_CLIENTS_MAX        64
#define WIRE_PEERS_MAX          (WIRE_MEMBERS_MAX + WIRE_CLIENTS_MAX)

//  The consensus messages: what wire_to_core maps (election and log
//  replication).
#define WIRE_TYPES_CORE     (WIRE_TYPE_BIT (WIRE_HEARTBEAT) | WIRE_TYPE_BIT (WIRE_HEARTBEAT_ACK) \
                           | WIRE_TYPE_BIT (WIRE_PREVOTE_REQ) | WIRE_TYPE_BIT (WIRE_PREVOTE_RESP) \
                           | WIRE_TYPE_BIT (WIRE_VOTE_REQ) | WIRE_TYPE_BIT (WIRE_VOTE_RESP) \
                           | WIRE_TYPE_BIT (WIRE_TIMEOUT_NOW) | WIRE_TYPE_BIT (WIRE_APPEND) \
                           | WIRE_TYPE_BIT (WIRE_APPEND_RESP) | WIRE_TYPE_BIT (WIRE_SNAPSHOT))
//  All a node accepts from another node: the consensus messages and the
//  beacon (a non-leader's heartbeat; a node does not subscribe to it, and
//  one that arrives anyway maps to no core message).
#define WIRE_TYPES_PEER     (WIRE_TYPES_CORE | WIRE_TYPE_BIT (WIRE_BEACON))
//  Everything a member ever sends: the default for members, right for a
//  monitor or a client that hears from members (the replies to clients).
#define WIRE_TYPES_MEMBER   (WIRE_TYPES_PEER | WIRE_TYPE_BIT (WIRE_STATUS_REQ) \
                           | WIRE_TYPE_BIT (WIRE_STATUS_RESP) | WIRE_TYPE_BIT (WIRE_TRANSFER_RESP) \
                           | WIRE_TYPE_BIT (WIRE_CLIENT_RESP))
//  The requests a client may send.
#define WIRE_TYPES_CLIENT   (WIRE_TYPE_BIT (WIRE_STATUS_REQ) | WIRE_TYPE_BIT (WIRE_TRANSFER_REQ) \
                           | WIRE_TYPE_BIT (WIRE_CLIENT_REQ))

typedef struct _wire_peers_t wire_peers_t;

//  Create an empty table.
wire_peers_t *wire_peers_new (void);

//  Destroy; safe on NULL, sets *self_p to NULL.
void wire_peers_destroy (wire_peers_t **self_p);

//  Copy a table.
wire_peers_t *wire_peers_dup (const wire_peers_t *self);

//  Add a member, which may send WIRE_TYPES_MEMBER. Returns its index (its
//  core member number), or -1 if id is not a valid id, the id or the key
//  is already present, a client was already added, or there are
//  WIRE_MEMBERS_MAX members.
int wire_peers_add (wire_peers_t *self, const char *id, const uint8_t public_key [KEYS_PUBLIC_BYTES]);

//  Add a client, which may send the types in mask types (a subset of
//  WIRE_TYPES_CLIENT). Returns its index, or -1 if id is not a valid id,
//  the id or the key is already present, types holds anything else, or
//  there are WIRE_CLIENTS_MAX clients.
int wire_peers_add_client (wire_peers_t *self, const char *id,
                           const uint8_t public_key [KEYS_PUBLIC_BYTES], uint32_t types);

//  Set the types principal index may send (a node narrows its members to
//  WIRE_TYPES_CORE). Returns 0, or -1 if there is no such principal or
//  types widens a client beyond WIRE_TYPES_CLIENT.
int wire_peers_set_types (wire_peers_t *self, uint32_t index, uint32_t types);

//  True if principal index may send messages of type.
bool wire_peers_allows (const wire_peers_t *self, uint32_t index, wire_type_t type);

//  Index of the principal whose id is the len bytes at id, or -1.
int wire_peers_find (const wire_peers_t *self, const char *id, size_t len);

//  Number of principals, members and clients.
size_t wire_peers_size (const wire_peers_t *self);

//  Number of members: indexes 0 .. members - 1 are members, the rest clients.
size_t wire_peers_members (const wire_peers_t *self);

//  Id of principal index, or NULL if there is none.
const char *wire_peers_id (const wire_peers_t *self, uint32_t index);

//  Public key of principal index, or NULL if there is none.
const uint8_t *wire_peers_key (const wire_peers_t *self, uint32_t index);

#endif
