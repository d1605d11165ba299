/*  node: one cluster member as a running process.

    Glues the pure core to the world: the cluster file, this member's key,
    its durable state, ZeroMQ sockets, the signed wire format, logs and
    metrics. The loop, in the order PITFALLS.md and STYLE.md ask for:

        wait (zpoller) until the core's deadline or a socket is readable
        -> receive -> caps, key, signature, decode, replay (wire_rx)
        -> step the core with the time read after waking
        -> persist term and vote (fsync) if the update asks
        -> only then send what the update returned

    Sockets (docs/OPERATIONS.md explains each option):
      PUB   bound on our heartbeat endpoint: our heartbeats, every interval
      SUB   connected to every peer's heartbeat endpoint
      ROUTER bound on our rpc endpoint: requests and replies from peers,
             and clients' requests, answered back through it
      DEALER one per peer, connected to its rpc endpoint: what we send them

    Clients (the cluster file's clients section) are principals of the
    receive path but not members: from them the node accepts only
    transfer-request and status-request, from members only consensus
    messages (wire/peers.h). A transfer-request from a client with
    may_transfer, addressed to the leader in its current term, starts a
    leadership transfer to a reachable voter (core CORE_EV_TRANSFER); every
    request is answered with an outcome and logged in one line.

    On SIGTERM or SIGINT a leader hands leadership to the freshest
    reachable voter and waits (at most two election timeouts) until it has
    stepped down; then, as any follower does at once, it exits with 0.
*/
#ifndef MESH_NODE_H
#define MESH_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_ERROR_MAX  1024

typedef struct {
    const char *cluster_path;       //  --cluster
    const char *id;                 //  --id
    const char *key_path;           //  --key
    const char *data_dir;           //  --data
    const char *metrics;            //  --metrics: overrides the cluster file's, "" = off
    bool verbose;                   //  --verbose: log every message
    uint64_t compact_every;         //  --compact-every: applied entries per snapshot
                                    //  (0: REPLICA_COMPACT_EVERY)
} node_options_t;

typedef struct _node_t node_t;

//  Load everything and bind the sockets; nothing is sent yet. NULL with a
//  message in err (which names the file, flag or entry at fault).
node_t *node_new (const node_options_t *options, char *err, size_t err_size);

//  Destroy; safe on NULL, sets *self_p to NULL.
void node_destroy (node_t **self_p);

//  Run until SIGTERM or SIGINT (installed here). Returns the process exit
//  code: 0 after a clean stop, 1 if persisting state failed (the node stops
//  rather than act on state it could not save).
int node_run (node_t *self);

#endif
