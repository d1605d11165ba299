/*  watch: the cluster as seen from its heartbeat stream. See watch.h.

    A node publishes each interval on one of two topics: heartbeat while
    it leads (and once as it steps down), beacon otherwise. Consensus
    subscribes to the first only; a monitor needs both, and a beacon is
    read exactly as a heartbeat (same fields).
*/
#define _POSIX_C_SOURCE 200809L
#include "watch.h"
#include "claim.h"
#include "core.h"
#include "envelope.h"
#include "peers.h"
#include "rx.h"
#include <czmq.h>

struct _watch_t {
    const cluster_t *cluster;
    wire_peers_t *peers;
    wire_rx_t *rx;
    zsock_t *sub;
    zpoller_t *poller;
    watch_view_t views [CORE_MEMBERS_MAX];
};

watch_t *
watch_new (const cluster_t *cluster, char *err, size_t err_size)
{
    watch_t *self = (watch_t *) zmalloc (sizeof (watch_t));
    self->cluster = cluster;
    self->peers = wire_peers_new ();
    for (uint32_t i = 0; i < cluster->member_count; i++)
        wire_peers_add (self->peers, cluster->members [i].id, cluster->members [i].public_key);
    self->rx = wire_rx_new (cluster->id, WATCH_ID, self->peers);
    self->sub = zsock_new (ZMQ_SUB);
    if (!self->rx || !self->sub) {
        snprintf (err, err_size, "cannot start the receive path");
        watch_destroy (&self);
        return NULL;
    }
    wire_socket_harden (self->sub, WIRE_SMALL_FRAME_BYTES_MAX);
    zsock_set_reconnect_ivl (self->sub, 100);
    zsock_set_reconnect_ivl_max (self->sub, 1000);
    wire_type_t topics [] = { WIRE_HEARTBEAT, WIRE_BEACON };
    for (size_t i = 0; i < sizeof topics / sizeof topics [0]; i++) {
        char topic [128];
        wire_topic (topic, sizeof topic, cluster->id, topics [i]);
        zsock_set_subscribe (self->sub, topic);
    }
    for (uint32_t i = 0; i < cluster->member_count; i++)
        if (zsock_connect (self->sub, "%s", cluster->members [i].heartbeat) == -1) {
            snprintf (err, err_size, "members/%s/heartbeat: cannot connect to %s",
                      cluster->members [i].id, cluster->members [i].heartbeat);
            watch_destroy (&self);
            return NULL;
        }
    self->poller = zpoller_new (self->sub, NULL);
    return self;
}

void
watch_destroy (watch_t **self_p)
{
    if (self_p && *self_p) {
        watch_t *self = *self_p;
        zpoller_destroy (&self->poller);
        zsock_destroy (&self->sub);
        wire_rx_destroy (&self->rx);
        wire_peers_destroy (&self->peers);
        free (self);
        *self_p = NULL;
    }
}

int
watch_next (watch_t *self, int timeout_ms)
{
    int64_t until = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = until - zclock_mono ();
        if (left < 0)
            return -1;
        if (!zpoller_wait (self->poller, (int) left))
            return zpoller_terminated (self->poller) ? -2 : -1;
        zmsg_t *msg = wire_recv (self->sub, WIRE_FRAMES);
        if (!msg)
            continue;
        uint64_t now = (uint64_t) zclock_mono ();
        wire_msg_t wire;
        int rc = wire_rx_accept (self->rx, msg, false, now, &wire, NULL);
        zmsg_destroy (&msg);
        if (rc != 0 || !wire_type_heartbeat (wire.type))
            continue;
        int member = wire_peers_find (self->peers, wire.from, strlen (wire.from));
        if (member < 0)
            continue;
        const wire_heartbeat_t *hb = &wire.heartbeat;
        watch_view_t *view = &self->views [member];
        *view = (watch_view_t) {
            .seen = true, .recv_ms = now, .term = wire.term, .role = (int) hb->role,
            .has_lease = hb->has_lease, .lease_ms = hb->lease_remaining_ms,
            .has_lease_expiry = hb->has_lease_expiry, .lease_expiry_ms = hb->lease_expiry_ms,
            .sent_ms = hb->hb_ms, .has_commit = hb->has_commit, .commit = hb->commit,
            .has_applied = hb->has_applied, .applied = hb->applied, .storm = hb->storm, .incarnation = wire.incarnation, .seq = wire.seq
        };
        if (hb->has_leader)
            snprintf (view->leader, sizeof view->leader, "%s", hb->leader);
        return member;
    }
}

const watch_view_t *
watch_view (const watch_t *self, uint32_t member)
{
    return member < self->cluster->member_count ? &self->views [member] : NULL;
}

static uint64_t
s_lease_left (const watch_view_t *view, uint64_t now_ms)
{
    if (!view->has_lease)
        return 0;
    uint64_t age = now_ms > view->recv_ms ? now_ms - view->recv_ms : 0;
    return view->lease_ms > age ? view->lease_ms - age : 0;
}

void
watch_verdict (const watch_t *self, uint64_t now_ms, uint64_t fresh_ms, watch_verdict_t *verdict)
{
    *verdict = (watch_verdict_t) { .state = WATCH_NONE, .leader = -1 };
    claim_t claims [CORE_MEMBERS_MAX] = { { 0, 0 } };
    size_t claim_count = 0;
    int holders [2] = { -1, -1 };
    size_t holder_count = 0;
    for (uint32_t i = 0; i < self->cluster->member_count; i++) {
        const watch_view_t *view = &self->views [i];
        if (!view->seen || now_ms - view->recv_ms > fresh_ms || view->role != CORE_LEADER)
            continue;
        claims [claim_count++] = (claim_t) { .member = i, .term = view->term };
        if (s_lease_left (view, now_ms) > 0) {
            if (holder_count < 2)
                holders [holder_count] = (int) i;
            holder_count++;
        }
    }
    claim_t top;
    const char *id0 = holders [0] >= 0 ? self->cluster->members [holders [0]].id : "";
    const char *id1 = holders [1] >= 0 ? self->cluster->members [holders [1]].id : "";
    if (claim_select_leader (claims, claim_count, &top) == CLAIM_SPLIT_BRAIN) {
        verdict->state = WATCH_SPLIT_BRAIN;
        for (size_t i = 0; i < claim_count; i++)
            if (claims [i].term == top.term && claims [i].member != top.member)
                snprintf (verdict->why, sizeof verdict->why, "%s and %s both lead term %llu",
                          self->cluster->members [top.member].id,
                          self->cluster->members [claims [i].member].id,
                          (unsigned long long) top.term);
    }
    else
    if (holder_count > 1) {
        verdict->state = WATCH_SPLIT_BRAIN;
        snprintf (verdict->why, sizeof verdict->why, "%s and %s both hold a valid lease", id0, id1);
    }
    else
    if (holder_count == 1) {
        const watch_view_t *view = &self->views [holders [0]];
        verdict->state = WATCH_LEADER;
        verdict->leader = holders [0];
        verdict->term = view->term;
        verdict->lease_ms = s_lease_left (view, now_ms);
    }
}

uint64_t
watch_rejected (const watch_t *self)
{
    return wire_rx_rejected (self->rx, WIRE_REJECT_NONE);
}
