/*  cluster: the cluster file, in ZeroMQ's ZPL (czmq zconfig).

    One file describes the whole cluster and is the same on every host:

        cluster
            id = dispatch-east
            heartbeat_ms = 50           #  defaults shown; all optional
            election_timeout_ms = 250   #  T: timeouts drawn from [T, 2T)
            lease_ms = 0                #  0: the longest the drift bound allows
            max_drift_ppm = 10000       #  1 %
            storm_threshold = 5         #  leader changes per hour before the alarm
            backoff_max_ms = 0          #  0: 4 T
        members
            n1
                weight = 1
                heartbeat = "tcp://10.0.0.1:7101"   #  PUB endpoint
                rpc = "tcp://10.0.0.1:7201"         #  ROUTER endpoint
                public_key = 3f0a...                #  64 hex digits, Ed25519
                metrics = "10.0.0.1:9101"           #  optional, host:port
        clients                                     #  optional
            ops
                public_key = 9b1c...                #  64 hex digits, Ed25519
                may_transfer = 1                    #  0 or 1, default 0
                may_read = 1                        #  get, list: 0 or 1, default 0
                may_write = 1                       #  put, cas, del: 0 or 1, default 0

    Clients are the principals that are not nodes: operators' tools
    (meshctl transfer) now, dispatch clients later. They sign requests with
    their key; a node accepts from them only requests, and carries out only
    those their may_* keys permit (one key per kind of request; the data
    permissions of dispatch clients will join may_transfer). A client id
    follows the member id rules and is no member's id; no key is shared by
    two principals.

    Loading is strict: unknown keys or sections, duplicate ids or endpoints,
    malformed numbers, bad keys, a total weight of 0 and a lease the drift
    bound does not allow are errors whose message names the offending entry.
    Nothing is silently ignored or defaulted except the documented defaults.
*/
#ifndef MESH_CLUSTER_H
#define MESH_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core.h"

//  Ids follow the wire's rules (wire/msg.h: wire_id_valid, wire_cluster_valid)
#define CLUSTER_ID_MAX          64      //  Cluster id length, characters
#define CLUSTER_MEMBER_ID_MAX   32      //  Member id length, characters
#define CLUSTER_ENDPOINT_MAX    255     //  Endpoint length, characters
#define CLUSTER_KEY_BYTES       32      //  Ed25519 public key
#define CLUSTER_CLIENTS_MAX     64      //  = WIRE_CLIENTS_MAX
#define CLUSTER_FILE_BYTES_MAX  (1024 * 1024)
#define CLUSTER_ERROR_MAX       512     //  Room for an error message

typedef struct {
    char id [CLUSTER_MEMBER_ID_MAX + 1];
    uint32_t weight;
    char heartbeat [CLUSTER_ENDPOINT_MAX + 1];  //  PUB endpoint
    char rpc [CLUSTER_ENDPOINT_MAX + 1];        //  ROUTER endpoint
    char metrics [CLUSTER_ENDPOINT_MAX + 1];    //  host:port, or "" for none
    uint8_t public_key [CLUSTER_KEY_BYTES];
} cluster_member_t;

//  What a client may ask for: one bit per may_* key of its entry.
#define CLUSTER_MAY_TRANSFER    (1u << 0)   //  may_transfer: leadership transfer
#define CLUSTER_MAY_READ        (1u << 1)   //  may_read: get, list (capacity data)
#define CLUSTER_MAY_WRITE       (1u << 2)   //  may_write: put, cas, del

typedef struct {
    char id [CLUSTER_MEMBER_ID_MAX + 1];        //  Same rules as a member id
    uint8_t public_key [CLUSTER_KEY_BYTES];
    uint32_t may;                               //  CLUSTER_MAY_* bits
} cluster_client_t;

typedef struct {
    char id [CLUSTER_ID_MAX + 1];
    uint64_t heartbeat_ms;
    uint64_t election_timeout_ms;
    uint64_t lease_ms;                  //  As written; 0 = derived
    uint32_t max_drift_ppm;
    uint32_t storm_threshold;
    uint64_t backoff_max_ms;
    uint32_t member_count;
    cluster_member_t members [CORE_MEMBERS_MAX];
    uint32_t client_count;
    cluster_client_t clients [CLUSTER_CLIENTS_MAX];
} cluster_t;

//  Parse ZPL text (source names it in errors). Returns a new cluster, or
//  NULL with a message in err (CLUSTER_ERROR_MAX bytes is enough).
cluster_t *cluster_parse (const char *text, const char *source, char *err, size_t err_size);

//  Read and parse a cluster file. NULL with a message in err.
cluster_t *cluster_load (const char *path, char *err, size_t err_size);

//  Write the cluster as a ZPL file (atomically: temp file, rename).
int cluster_save (const cluster_t *self, const char *path);

//  Destroy; safe on NULL, sets *self_p to NULL.
void cluster_destroy (cluster_t **self_p);

//  Member number of id, or -1.
int cluster_find (const cluster_t *self, const char *id);

//  Client number of id (its index in clients), or -1.
int cluster_find_client (const cluster_t *self, const char *id);

//  The core configuration of member self.
void cluster_core_config (const cluster_t *self, uint32_t member, uint64_t seed,
                          core_config_t *config);

//  The lease the cluster's leaders will hold, in ms.
uint64_t cluster_lease_ms (const cluster_t *self);

#endif
