/*  watch: the cluster as seen from its heartbeat stream.

    A watcher subscribes to every member's heartbeat endpoint, runs each
    message through the same receive path a node uses (size caps, member
    key, signature, strict decode, replay window), and keeps the latest
    verified heartbeat of each member (its beacon, a non-leader's
    heartbeat on its own topic, counts the same). From those it gives a verdict:
    which member leads with a valid lease, in which term, or that there is
    none, or a split brain (two leaders in one term, or two valid leases
    at once). meshctl's watch, status and leader commands are built on it;
    it needs no key of its own, since it only listens.
*/
#ifndef MESH_WATCH_H
#define MESH_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cluster.h"

#define WATCH_ID "monitor"              //  Our name on the receive path (never a sender)

typedef struct {
    bool seen;                          //  Any verified heartbeat yet
    uint64_t recv_ms;                   //  Our CLOCK_MONOTONIC at receipt
    uint64_t term;
    int role;                           //  core_role_t values
    char leader [CLUSTER_MEMBER_ID_MAX + 1];    //  "" when none
    bool has_lease;
    uint64_t lease_ms;                  //  Remaining at receipt
    bool has_lease_expiry;
    uint64_t lease_expiry_ms;           //  Sender's CLOCK_MONOTONIC
    uint64_t sent_ms;                   //  Sender's CLOCK_MONOTONIC at send (hb_ms)
    bool has_commit;                    //  A replicating leader says its commit index
    uint64_t commit;
    bool has_applied;                   //  The sender's applied index
    uint64_t applied;
    bool storm;
    uint64_t incarnation;
    uint64_t seq;
} watch_view_t;

typedef enum {
    WATCH_NONE = 0,                     //  No member holds a valid lease
    WATCH_LEADER = 1,                   //  Exactly one leader with a valid lease
    WATCH_SPLIT_BRAIN = 2               //  Two leaders in one term, or two valid leases
} watch_state_t;

typedef struct {
    watch_state_t state;
    int leader;                         //  Member number, or -1
    uint64_t term;                      //  Its term (the fencing token)
    uint64_t lease_ms;                  //  Its lease left now
    char why [160];                     //  For a split brain: who and what
} watch_verdict_t;

typedef struct _watch_t watch_t;

//  Subscribe to every member of cluster (which must outlive the watcher).
//  NULL with a message in err.
watch_t *watch_new (const cluster_t *cluster, char *err, size_t err_size);

//  Destroy; safe on NULL, sets *self_p to NULL.
void watch_destroy (watch_t **self_p);

//  Wait up to timeout_ms for the next verified heartbeat. Returns the
//  member number it came from, -1 on timeout, -2 if interrupted.
int watch_next (watch_t *self, int timeout_ms);

//  The latest view of member (NULL if out of range).
const watch_view_t *watch_view (const watch_t *self, uint32_t member);

//  The verdict at now_ms (our CLOCK_MONOTONIC), counting only members
//  heard within fresh_ms.
void watch_verdict (const watch_t *self, uint64_t now_ms, uint64_t fresh_ms, watch_verdict_t *verdict);

//  Messages the receive path rejected so far.
uint64_t watch_rejected (const watch_t *self);

#endif
