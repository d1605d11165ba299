/*  node: one cluster member as a running process. See node.h.  */
#define _POSIX_C_SOURCE 200809L
#include "errmsg.h"
#include "node.h"
#include "cluster.h"
#include "core.h"
#include "coremap.h"
#include "envelope.h"
#include "keys.h"
#include "metrics.h"
#include "msg.h"
#include "peers.h"
#include "replica.h"
#include "resolve.h"
#include "rx.h"
#include "state.h"
#include "tx.h"
#include <czmq.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <systemd/sd-daemon.h>

#define NODE_DEALER_HWM         64      //  Per peer: enough for a burst, not a backlog
#define NODE_RECONNECT_MS       100     //  First reconnect attempt to a lost peer
#define NODE_RECONNECT_MAX_MS   1000    //  Backoff cap: a restarted peer is found within 1 s
#define NODE_DRAIN_MAX          64      //  Messages read per socket per wake-up
#define NODE_WAIT_MAX_MS        1000    //  Longest sleep, whatever the core says
#define NODE_MARKS_MS           1000    //  How often the replay marks are saved
#define NODE_PENDING_MAX        1024    //  Client writes awaiting their commit
#define NODE_SLOW_SYNC_MS       50      //  A log write this slow is logged
#define NODE_OUTBOX_MAX         1024    //  Messages held for one group commit
#define NODE_SLOW_LOOP_MS       100     //  A loop turn this late is logged
//  What the SUB's monitor reports: a connection to a peer came up or went away
#define NODE_MONITOR_EVENTS     (ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED)

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signal)
{
    (void) signal;
    s_stop = 1;
}

struct _node_t {
    cluster_t *cluster;                     //  The cluster file
    uint32_t self;                          //  Our member number
    const char *id;                         //  Our member id (in cluster)
    keys_t *keys;                           //  Our signing identity
    state_t *state;                         //  Term, vote, incarnation on disk
    core_t *core;                           //  The consensus core
    wire_peers_t *peers;                    //  Members (core numbers), then clients
    wire_rx_t *rx;                          //  Receive path
    wire_tx_t *tx;                          //  Send path
    zsock_t *pub;                           //  Our heartbeats (leader) or beacons
    zsock_t *sub;                           //  Leaders' heartbeats (never beacons)
    zsock_t *router;                        //  Requests to us
    zsock_t *dealer [CORE_MEMBERS_MAX];     //  Requests from us, one per peer
    zsock_t *monitor;                       //  PAIR: the SUB's connection events
    bool connected [CORE_MEMBERS_MAX];      //  Our SUB's connection to that peer is up
    zpoller_t *poller;
    metrics_t *metrics;                     //  NULL when off
    metrics_snapshot_t counters;            //  Our own counters, and the snapshot
    uint64_t next_deadline_ms;              //  When the core wants a tick
    uint64_t marks_saved_ms;                //  When the replay marks were last saved
    bool verbose;
    bool failed;                            //  Persisting failed: stop now
    core_update_t update;                   //  Reused; large
    replica_t *replica;                     //  Log, snapshot, kv map
    uint64_t compact_every;                 //  Applied entries between snapshots
    uint64_t slow_sync_logged_ms;           //  Rate limits for the slowness warnings
    uint64_t slow_loop_logged_ms;
    //  Client writes the core appended, answered once their index applies
    struct {
        bool used;
        uint64_t index, term;               //  Where the core put the write
        zframe_t *identity;                 //  The ROUTER connection it came on
        uint32_t client;                    //  Its principal number (wire_peers)
        uint64_t incarnation, seq;          //  The request's, echoed
    } pending [NODE_PENDING_MAX];
    uint32_t pending_count;
    //  Leader: where each member's snapshot transfer has got to
    struct {
        uint64_t index;                     //  Snapshot being sent (0: none)
        uint64_t offset;                    //  Chunk last sent
        uint32_t size;
        bool acked;                         //  Its receipt came back
    } sending [CORE_MEMBERS_MAX];
    wire_msg_t scratch;                     //  Large; for building replies
    //  Group commit: while a batch of received messages is stepped, the
    //  log is written but synced once, at the end, and what the steps
    //  send waits here until then (nothing leaves before what it depends
    //  on is durable)
    bool batching;
    core_msg_t outbox [NODE_OUTBOX_MAX];
    size_t outbox_count;
    uint64_t outbox_now;                    //  Time of the batch's latest step
};

static uint64_t
s_now (void)
{
    return (uint64_t) zclock_mono ();
}

//  Bind endpoint. libzmq binds only to addresses and interface names, but
//  a cluster file for several hosts names them (tcp://host1:7100) so that
//  every peer connects by name: when the host part is a name, we bind to
//  the first of its addresses that is ours. A name that resolves to a
//  loopback address (Debian's /etc/hosts maps the host's own name to
//  127.0.1.1) is bound but warned about: peers on other hosts cannot reach it.
static int
s_bind (zsock_t *sock, const char *endpoint, const char *what, char *err, size_t err_size)
{
    if (zsock_bind (sock, "%s", endpoint) != -1)
        return 0;
    int error = zmq_errno ();
    char host [CLUSTER_ENDPOINT_MAX + 1], why [NODE_ERROR_MAX];
    const char *port = strrchr (endpoint, ':');
    if (error != ENODEV || strncmp (endpoint, "tcp://", 6) != 0 || !port
    ||  (size_t) (port - endpoint - 6) >= sizeof host)
        return errmsg_set (err, err_size, "cannot bind %s endpoint %s: %s", what, endpoint,
                           zmq_strerror (error));
    memcpy (host, endpoint + 6, (size_t) (port - endpoint - 6));
    host [port - endpoint - 6] = 0;
    char addresses [RESOLVE_ADDRESSES_MAX][INET_ADDRSTRLEN];
    int count = resolve_ipv4 (host, addresses, RESOLVE_ADDRESSES_MAX, why, sizeof why);
    if (count < 0)
        return errmsg_set (err, err_size, "cannot bind %s endpoint %s: %s", what, endpoint, why);
    for (int i = 0; i < count; i++) {
        if (zsock_bind (sock, "tcp://%s%s", addresses [i], port) == -1) {
            error = zmq_errno ();
            continue;
        }
        zsys_info ("%s endpoint %s bound on %s%s", what, endpoint, addresses [i], port);
        if (resolve_is_loopback (addresses [i]) && strcmp (host, "localhost") != 0)
            zsys_warning ("%s endpoint %s: %s resolves to %s, a loopback address: "
                          "peers on other hosts cannot reach it (check /etc/hosts)",
                          what, endpoint, host, addresses [i]);
        return 0;
    }
    return errmsg_set (err, err_size, "cannot bind %s endpoint %s: none of %s's addresses "
                       "is on this host (%s)", what, endpoint, host, zmq_strerror (error));
}

//  Watch the SUB socket's connections through a libzmq socket monitor: its
//  events go over inproc to a PAIR the loop polls (s_monitor_events), so
//  peers_connected counts the peers whose heartbeat stream we are connected
//  to, without any thread or message of our own. One monitor on the SUB
//  (rather than one per DEALER) because every socket in the poll set costs
//  each wake-up two more syscalls inside zmq_poll; the SUB connects to the
//  same peer processes as the DEALERs. Call before connecting, so no event
//  is missed.
static int
s_monitor (node_t *self, char *err, size_t err_size)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://meshnode-%p-sub", (void *) self);
    zsock_t *pair = zsock_new (ZMQ_PAIR);
    if (!pair || zmq_socket_monitor (zsock_resolve (self->sub), endpoint, NODE_MONITOR_EVENTS) == -1
    ||  zsock_connect (pair, "%s", endpoint) == -1) {
        zsock_destroy (&pair);
        return errmsg_set (err, err_size, "cannot monitor the heartbeat connections: %s",
                        zmq_strerror (zmq_errno ()));
    }
    self->monitor = pair;
    return 0;
}

//  The member whose heartbeat endpoint a monitor event names (libzmq
//  reports a connecting socket's endpoint as it was given to connect).
static int32_t
s_member_by_heartbeat (const node_t *self, const void *data, size_t size)
{
    for (uint32_t i = 0; i < self->cluster->member_count; i++) {
        const char *heartbeat = self->cluster->members [i].heartbeat;
        if (i != self->self && strlen (heartbeat) == size && memcmp (heartbeat, data, size) == 0)
            return (int32_t) i;
    }
    return CORE_NOBODY;
}

//  Read every pending monitor event. Each event is two frames: 6 bytes
//  (uint16 event, uint32 value, host order), then the endpoint.
static void
s_monitor_events (node_t *self)
{
    void *pair = zsock_resolve (self->monitor);
    for (int i = 0; i < NODE_DRAIN_MAX; i++) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, pair, ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (&frame);
            return;
        }
        uint16_t event = 0;
        bool first = zmq_msg_size (&frame) == 6;
        if (first)
            memcpy (&event, zmq_msg_data (&frame), sizeof event);
        int32_t member = CORE_NOBODY;
        while (zmq_msg_more (&frame)) {
            zmq_msg_close (&frame);
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, pair, ZMQ_DONTWAIT) == -1)
                break;
            if (first && member == CORE_NOBODY)
                member = s_member_by_heartbeat (self, zmq_msg_data (&frame), zmq_msg_size (&frame));
        }
        zmq_msg_close (&frame);
        if (!first || member == CORE_NOBODY)
            continue;
        if (event == ZMQ_EVENT_CONNECTED)
            self->connected [member] = true;
        else
        if (event & (ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CLOSED))
            self->connected [member] = false;
        if (self->verbose)
            zsys_debug ("%s: connection to %s %s", self->id, self->cluster->members [member].id,
                        self->connected [member] ? "up" : "down");
    }
}

static int
s_sockets (node_t *self, char *err, size_t err_size)
{
    const cluster_member_t *me = &self->cluster->members [self->self];
    self->pub = zsock_new (ZMQ_PUB);
    self->sub = zsock_new (ZMQ_SUB);
    self->router = zsock_new (ZMQ_ROUTER);
    if (!self->pub || !self->sub || !self->router)
        return errmsg_set (err, err_size, "cannot create sockets: %s", zmq_strerror (zmq_errno ()));
    wire_socket_harden (self->pub, WIRE_SMALL_FRAME_BYTES_MAX);
    wire_socket_harden (self->sub, WIRE_SMALL_FRAME_BYTES_MAX);
    wire_socket_harden (self->router, WIRE_FRAME_BYTES_MAX);
    //  A reply to a client that went away fails loudly instead of vanishing,
    //  and one that does not read its replies cannot block the loop: with
    //  ROUTER_MANDATORY a full pipe blocks a send unless it may time out.
    zsock_set_router_mandatory (self->router, 1);
    zsock_set_sndtimeo (self->router, 0);
    if (s_bind (self->pub, me->heartbeat, "heartbeat", err, err_size)
    ||  s_bind (self->router, me->rpc, "rpc", err, err_size))
        return -1;
    char topic [128];
    if (wire_topic (topic, sizeof topic, self->cluster->id, WIRE_HEARTBEAT) < 0)
        return errmsg_set (err, err_size, "cannot build the heartbeat topic");
    zsock_set_subscribe (self->sub, topic);
    if (s_monitor (self, err, err_size))
        return -1;
    for (uint32_t i = 0; i < self->cluster->member_count; i++) {
        if (i == self->self)
            continue;
        const cluster_member_t *peer = &self->cluster->members [i];
        zsock_set_reconnect_ivl (self->sub, NODE_RECONNECT_MS);
        zsock_set_reconnect_ivl_max (self->sub, NODE_RECONNECT_MAX_MS);
        if (zsock_connect (self->sub, "%s", peer->heartbeat) == -1)
            return errmsg_set (err, err_size, "members/%s/heartbeat: cannot connect to %s: %s",
                            peer->id, peer->heartbeat, zmq_strerror (zmq_errno ()));
        zsock_t *dealer = zsock_new (ZMQ_DEALER);
        if (!dealer)
            return errmsg_set (err, err_size, "cannot create sockets: %s", zmq_strerror (zmq_errno ()));
        self->dealer [i] = dealer;
        wire_socket_harden (dealer, WIRE_FRAME_BYTES_MAX);
        zsock_set_sndhwm (dealer, NODE_DEALER_HWM);
        zsock_set_sndtimeo (dealer, 0);     //  Never block the loop on a slow peer
        zsock_set_reconnect_ivl (dealer, NODE_RECONNECT_MS);
        zsock_set_reconnect_ivl_max (dealer, NODE_RECONNECT_MAX_MS);
        if (zsock_connect (dealer, "%s", peer->rpc) == -1)
            return errmsg_set (err, err_size, "members/%s/rpc: cannot connect to %s: %s",
                            peer->id, peer->rpc, zmq_strerror (zmq_errno ()));
    }
    self->poller = zpoller_new (self->sub, self->router, self->monitor, NULL);
    if (!self->poller)
        return errmsg_set (err, err_size, "cannot create poller");
    //  We handle SIGINT/SIGTERM ourselves (a leader hands over first).
    zpoller_set_nonstop (self->poller, true);
    return 0;
}

//  --------------------------------------------------------------------------
//  Replay marks: what the receive path accepted, kept across our restart

//  Restore the marks saved by our previous run, so that messages captured
//  before our restart are not accepted once more. A damaged marks file is
//  reported and set aside: the protection it adds is defence in depth, and
//  refusing to start over it would cost availability for nothing else.
static void
s_restore_marks (node_t *self)
{
    state_mark_t marks [STATE_MARKS_MAX];
    char why [NODE_ERROR_MAX];
    int count = state_marks_load (self->state, marks, STATE_MARKS_MAX, why, sizeof why);
    if (count < 0) {
        zsys_warning ("%s: %s; starting with empty replay windows", self->id, why);
        return;
    }
    for (int i = 0; i < count; i++) {
        int index = wire_peers_find (self->peers, marks [i].id, strlen (marks [i].id));
        if (index >= 0)
            wire_rx_restore (self->rx, (uint32_t) index, marks [i].incarnation, marks [i].seq);
    }
}

static void
s_save_marks (node_t *self, uint64_t now)
{
    state_mark_t marks [STATE_MARKS_MAX];
    size_t count = 0;
    for (uint32_t i = 0; i < wire_peers_size (self->peers) && count < STATE_MARKS_MAX; i++) {
        uint64_t incarnation, seq;
        if (wire_rx_peer_state (self->rx, i, &incarnation, &seq) == 0 && incarnation) {
            snprintf (marks [count].id, sizeof marks [count].id, "%s", wire_peers_id (self->peers, i));
            marks [count].incarnation = incarnation;
            marks [count].seq = seq;
            count++;
        }
    }
    char why [NODE_ERROR_MAX];
    if (state_marks_save (self->state, marks, count, why, sizeof why))
        zsys_warning ("%s: %s", self->id, why);
    self->marks_saved_ms = now;
}

node_t *
node_new (const node_options_t *options, char *err, size_t err_size)
{
    node_t *self = (node_t *) zmalloc (sizeof (node_t));
    self->verbose = options->verbose;
    self->compact_every = options->compact_every ? options->compact_every : REPLICA_COMPACT_EVERY;
    char why [NODE_ERROR_MAX];

    self->cluster = cluster_load (options->cluster_path, why, sizeof why);
    if (!self->cluster) {
        errmsg_set (err, err_size, "--cluster: %s", why);
        goto failed;
    }
    self->keys = keys_load_secret (options->key_path, why, sizeof why);
    if (!self->keys) {
        errmsg_set (err, err_size, "--key: %s", why);
        goto failed;
    }
    //  Without --id we are the member whose public key our secret key has:
    //  a host then needs only the cluster file and its key (no per-host
    //  flag that could name the wrong member).
    int member = -1;
    if (options->id)
        member = cluster_find (self->cluster, options->id);
    else
        for (uint32_t i = 0; i < self->cluster->member_count && member < 0; i++)
            if (memcmp (keys_public (self->keys), self->cluster->members [i].public_key,
                        KEYS_PUBLIC_BYTES) == 0)
                member = (int) i;
    if (member < 0 && options->id) {
        errmsg_set (err, err_size, "--id %s: not a member of %s", options->id, options->cluster_path);
        goto failed;
    }
    if (member < 0) {
        errmsg_set (err, err_size, "--key %s: its public key is no member's public_key in %s "
                    "(give --id, or the key of a member)", options->key_path, options->cluster_path);
        goto failed;
    }
    self->self = (uint32_t) member;
    self->id = self->cluster->members [member].id;
    if (memcmp (keys_public (self->keys), self->cluster->members [member].public_key,
                KEYS_PUBLIC_BYTES) != 0) {
        errmsg_set (err, err_size, "--key %s: its public key is not members/%s/public_key in %s",
                 options->key_path, self->id, options->cluster_path);
        goto failed;
    }
    //  The receive path's principals: members first (index = core member
    //  number), sending consensus messages and beacons only; then clients, sending
    //  requests only. rx rejects anything else as not-permitted.
    self->peers = wire_peers_new ();
    for (uint32_t i = 0; i < self->cluster->member_count; i++)
        if (wire_peers_add (self->peers, self->cluster->members [i].id,
                            self->cluster->members [i].public_key) != (int) i
        ||  wire_peers_set_types (self->peers, i, WIRE_TYPES_PEER) != 0) {
            errmsg_set (err, err_size, "members/%s: cannot be added to the key table",
                     self->cluster->members [i].id);
            goto failed;
        }
    for (uint32_t i = 0; i < self->cluster->client_count; i++)
        if (wire_peers_add_client (self->peers, self->cluster->clients [i].id,
                                   self->cluster->clients [i].public_key, WIRE_TYPES_CLIENT)
            != (int) (self->cluster->member_count + i)) {
            errmsg_set (err, err_size, "clients/%s: cannot be added to the key table",
                     self->cluster->clients [i].id);
            goto failed;
        }

    self->state = state_open (options->data_dir, self->cluster->id, why, sizeof why);
    if (!self->state) {
        errmsg_set (err, err_size, "--data: %s", why);
        goto failed;
    }
    core_hard_state_t hard = { .term = state_term (self->state), .voted_for = CORE_NOBODY };
    if (*state_vote (self->state)) {
        int vote = cluster_find (self->cluster, state_vote (self->state));
        if (vote < 0) {
            errmsg_set (err, err_size, "--data: the state votes for '%s' in term %llu, which is not a "
                     "member of %s; restore the matching cluster file", state_vote (self->state),
                     (unsigned long long) hard.term, options->cluster_path);
            goto failed;
        }
        hard.voted_for = vote;
    }
    if (state_boot (self->state, why, sizeof why)) {
        errmsg_set (err, err_size, "--data: %s", why);
        goto failed;
    }
    replica_report_t report;
    self->replica = replica_open (options->data_dir, &report, why, sizeof why);
    if (!self->replica) {
        errmsg_set (err, err_size, "--data: %s", why);
        goto failed;
    }
    if (report.log_torn)
        zsys_warning ("%s: the log's last %llu bytes were a torn write (a crash during an append); "
                      "cut off", self->id, (unsigned long long) report.torn_bytes);
    if (report.compacted_at_open)
        zsys_notice ("%s: compacted the log under snapshot %llu (a crash had left it behind)",
                     self->id, (unsigned long long) report.snapshot_index);
    zsys_info ("%s: log %llu..%llu over snapshot %llu (term %llu)%s", self->id,
               (unsigned long long) report.first_index, (unsigned long long) report.last_index,
               (unsigned long long) report.snapshot_index, (unsigned long long) report.snapshot_term,
               report.log_created ? ", new" : "");
    core_config_t config;
    uint64_t seed;
    randombytes_buf (&seed, sizeof seed);
    cluster_core_config (self->cluster, self->self, seed, &config);
    config.replicate = true;
    core_log_t log = replica_core_log (self->replica);
    self->core = core_new_with_log (&config, &hard, &log, s_now ());
    if (!self->core) {
        errmsg_set (err, err_size, "cannot start the consensus core (configuration, or a log "
                    "whose terms are above the state's term %llu, rejected)",
                    (unsigned long long) hard.term);
        goto failed;
    }
    self->rx = wire_rx_new (self->cluster->id, self->id, self->peers);
    self->tx = wire_tx_new (self->cluster->id, self->id, self->keys, state_incarnation (self->state));
    if (!self->rx || !self->tx) {
        errmsg_set (err, err_size, "cannot start the wire layer");
        goto failed;
    }
    s_restore_marks (self);
    if (s_sockets (self, err, err_size))
        goto failed;

    const char *metrics = options->metrics ? options->metrics : self->cluster->members [member].metrics;
    if (metrics && *metrics) {
        self->metrics = metrics_new (metrics, self->id, why, sizeof why);
        if (!self->metrics) {
            errmsg_set (err, err_size, "%s", why);
            goto failed;
        }
        if (zpoller_add (self->poller, metrics_socket (self->metrics))) {
            errmsg_set (err, err_size, "metrics: cannot poll the socket");
            goto failed;
        }
    }
    self->counters.incarnation = state_incarnation (self->state);
    return self;

failed:
    node_destroy (&self);
    return NULL;
}

void
node_destroy (node_t **self_p)
{
    if (self_p && *self_p) {
        node_t *self = *self_p;
        metrics_destroy (&self->metrics);
        zpoller_destroy (&self->poller);
        if (self->monitor) {
            zmq_socket_monitor (zsock_resolve (self->sub), NULL, 0);
            zsock_destroy (&self->monitor);
        }
        for (uint32_t i = 0; i < CORE_MEMBERS_MAX; i++)
            zsock_destroy (&self->dealer [i]);
        zsock_destroy (&self->router);
        zsock_destroy (&self->sub);
        zsock_destroy (&self->pub);
        wire_tx_destroy (&self->tx);
        wire_rx_destroy (&self->rx);
        replica_destroy (&self->replica);
        for (uint32_t i = 0; i < NODE_PENDING_MAX; i++)
            zframe_destroy (&self->pending [i].identity);
        core_destroy (&self->core);
        state_destroy (&self->state);
        wire_peers_destroy (&self->peers);
        keys_destroy (&self->keys);
        cluster_destroy (&self->cluster);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Sending

static const char *
s_member_id (const node_t *self, int32_t member)
{
    if (member < 0 || (uint32_t) member >= self->cluster->member_count)
        return "-";
    return self->cluster->members [member].id;
}

static void
s_fill_status (const node_t *self, uint64_t now, wire_status_t *status)
{
    core_stats_t stats = core_stats (self->core, now);
    status->elections = stats.elections;
    status->prevotes = stats.prevotes;
    status->leader_changes = stats.leader_changes;
    status->check_quorum_stepdowns = stats.check_quorum_stepdowns;
    status->messages_ignored = stats.messages_ignored;
    status->failed_elections = stats.failed_elections;
    status->wire_accepted = wire_rx_accepted (self->rx);
    status->wire_rejected = wire_rx_rejected (self->rx, WIRE_REJECT_NONE);
}

//  What the core does not know goes into our heartbeat here: the lease as
//  a monitor sees it, the storm flag and our counters.
static void
s_decorate_heartbeat (const node_t *self, uint64_t now, wire_heartbeat_t *hb)
{
    core_leadership_t lead = core_current_leader (self->core, now);
    if (lead.lease_valid) {
        hb->has_lease = true;
        hb->lease_remaining_ms = lead.lease_remaining_ms;
        hb->has_lease_expiry = true;
        hb->lease_expiry_ms = core_lease_expiry_ms (self->core);
    }
    hb->storm = core_stats (self->core, now).storm_alarm;
    hb->has_applied = true;
    hb->applied = replica_applied (self->replica);
    hb->has_status = true;
    s_fill_status (self, now, &hb->status);
}

//  The next chunk of our snapshot for msg's member: stop and wait, one
//  chunk per receipt (the member answers each incomplete chunk with a
//  refused append-reply, which makes the core resend at once); without a
//  receipt by the core's next resend, the same chunk again. Returns 0, or
//  -1 if there is nothing to send.
static int
s_snapshot_chunk (node_t *self, const core_msg_t *msg, wire_snapshot_t *chunk)
{
    size_t size;
    uint64_t index, term;
    const uint8_t *data = replica_snapshot (self->replica, &size, &index, &term);
    if (!data || index != msg->prev_index || msg->to >= CORE_MEMBERS_MAX)
        return -1;
    __typeof__ (self->sending [0]) *cursor = &self->sending [msg->to];
    uint64_t offset = 0;
    if (cursor->index == index && cursor->acked) {
        offset = cursor->offset + cursor->size;
        if (offset >= size)
            offset = 0;         //  It had it all yet asks again: start over
    }
    else
    if (cursor->index == index)
        offset = cursor->offset;
    uint64_t left = size - offset;
    cursor->index = index;
    cursor->offset = offset;
    cursor->size = (uint32_t) (left < WIRE_CHUNK_BYTES_MAX ? left : WIRE_CHUNK_BYTES_MAX);
    cursor->acked = false;
    chunk->offset = offset;
    chunk->total = size;
    chunk->data = data + offset;
    chunk->size = cursor->size;
    return 0;
}

static void
s_send (node_t *self, const core_msg_t *msg, uint64_t now)
{
    wire_msg_t wire;
    if (wire_from_core (self->peers, msg, &wire)) {
        zsys_error ("%s: cannot map a %s message to the wire", self->id, core_msg_type_name (msg->type));
        return;
    }
    if (msg->type == CORE_MSG_APPEND) {
        wire.append.entry_count = msg->entry_count;
        if (replica_entries (self->replica, msg->prev_index, msg->entry_count, wire.append.entries)) {
            zsys_error ("%s: the log lacks entries %llu..%llu the core sends", self->id,
                        (unsigned long long) msg->prev_index + 1,
                        (unsigned long long) (msg->prev_index + msg->entry_count));
            return;
        }
    }
    else
    if (msg->type == CORE_MSG_SNAPSHOT && s_snapshot_chunk (self, msg, &wire.snapshot))
        return;
    bool beacon = false;
    if (msg->type == CORE_MSG_HEARTBEAT) {
        //  Consensus hears only leaders (and a leader's resignation): every
        //  other heartbeat is a beacon, on a topic only monitors subscribe
        //  to, so followers verify one stream, not n - 1.
        beacon = msg->role != CORE_LEADER && !msg->resign;
        if (beacon)
            wire.type = WIRE_BEACON;
        s_decorate_heartbeat (self, now, &wire.heartbeat);
    }
    zmsg_t *out = wire_tx_zmsg (self->tx, &wire);
    if (!out) {
        zsys_error ("%s: cannot seal a %s message", self->id, core_msg_type_name (msg->type));
        return;
    }
    zsock_t *sock = msg->to == CORE_TO_ALL ? self->pub : self->dealer [msg->to];
    if (!sock || zmsg_send (&out, sock) != 0) {
        //  A peer that is not connected (ZMQ_IMMEDIATE) or is too far
        //  behind: the protocol retries by itself, so count and move on.
        zmsg_destroy (&out);
        self->counters.send_dropped_total++;
        return;
    }
    if (beacon)
        self->counters.beacons_sent_total++;
    else
    if (msg->type == CORE_MSG_HEARTBEAT)
        self->counters.heartbeats_sent_total++;
    if (self->verbose)
        zsys_debug ("%s: sent %s to %s term %llu", self->id,
                    beacon ? "beacon" : core_msg_type_name (msg->type),
                    msg->to == CORE_TO_ALL ? "*" : s_member_id (self, (int32_t) msg->to),
                    (unsigned long long) msg->term);
}

//  --------------------------------------------------------------------------
//  systemd: readiness and a one-line status (no-ops outside a Type=notify unit)

static void
s_notify_status (const node_t *self)
{
    sd_notifyf (0, "STATUS=%s, term %llu, leader %s", core_role_name (core_role (self->core)),
                (unsigned long long) core_term (self->core),
                s_member_id (self, core_current_leader (self->core, 0).leader));
}

//  --------------------------------------------------------------------------
//  Stepping the core

static void
s_log_changes (node_t *self, const core_update_t *update, core_role_t before, int32_t leader_before)
{
    core_role_t role = core_role (self->core);
    core_leadership_t lead = core_current_leader (self->core, 0);
    if (role != before)
        zsys_info ("%s: role %s -> %s, term %llu, leader %s (%s)", self->id, core_role_name (before),
                   core_role_name (role), (unsigned long long) core_term (self->core),
                   s_member_id (self, lead.leader), core_reason_name (update->reason));
    else
    if (lead.leader != leader_before)
        zsys_info ("%s: leader %s -> %s, term %llu (%s)", self->id, s_member_id (self, leader_before),
                   s_member_id (self, lead.leader), (unsigned long long) core_term (self->core),
                   core_reason_name (update->reason));
    if (role != before || lead.leader != leader_before)
        s_notify_status (self);
    if (update->violation)
        zsys_error ("%s: SAFETY VIOLATION: %s also claims leadership of term %llu",
                    self->id, s_member_id (self, (int32_t) update->violation_member),
                    (unsigned long long) update->violation_term);
}

//  --------------------------------------------------------------------------
//  Client writes awaiting their commit

static void s_reply (node_t *self, zframe_t *identity, wire_msg_t *reply);

//  A reply to a client's request: header, the request echoed, our leader.
static wire_msg_t *
s_client_reply (node_t *self, const char *client, uint64_t incarnation, uint64_t seq,
                wire_outcome_t outcome)
{
    wire_msg_t *reply = &self->scratch;
    wire_msg_init (reply, WIRE_CLIENT_RESP);
    snprintf (reply->to, sizeof reply->to, "%s", client);
    reply->term = core_term (self->core);
    wire_client_resp_t *answer = &reply->client_resp;
    answer->reply_to = seq;
    answer->reply_incarnation = incarnation;
    answer->outcome = outcome;
    int32_t leader = core_current_leader (self->core, 0).leader;
    if (leader != CORE_NOBODY) {
        answer->has_leader = true;
        snprintf (answer->leader, sizeof answer->leader, "%s", s_member_id (self, leader));
    }
    return reply;
}

static void
s_drop_pending (node_t *self, uint32_t slot)
{
    zframe_destroy (&self->pending [slot].identity);
    self->pending [slot].used = false;
    self->pending_count--;
}

//  A snapshot replaced the log through index: what we proposed there can no
//  longer be told apart (committed or not), so those clients hear nothing
//  and time out, which is what "outcome unknown" means to them.
static void
s_forget_pending (node_t *self, uint64_t index)
{
    for (uint32_t slot = 0; slot < NODE_PENDING_MAX && self->pending_count; slot++)
        if (self->pending [slot].used && self->pending [slot].index <= index)
            s_drop_pending (self, slot);
}

//  The client-reply outcome of a map result.
static wire_outcome_t
s_outcome_of (kv_status_t status)
{
    return status == KV_OK ? WIRE_OUTCOME_ACCEPTED
         : status == KV_CAS_FAILED ? WIRE_OUTCOME_CAS_FAILED
         : status == KV_NOT_FOUND ? WIRE_OUTCOME_NOT_FOUND
         : WIRE_OUTCOME_FULL;
}

//  A write's reply carries its fencing token, (term, index) of the entry
//  that carried it out (for a retry, the original's), and the key's version.
static void
s_write_result (wire_msg_t *reply, const kv_result_t *result)
{
    reply->term = result->term;
    reply->client_resp.index = result->index;
    reply->client_resp.version = result->version;
}

//  An entry was applied: if it is a client's write we appended, answer it.
//  The write took effect only if the entry at its index is the one we
//  appended (same term); otherwise another leader's entry won that index
//  and the write certainly did not happen: not-leader, retry.
static void
s_on_applied (void *arg, const replica_applied_t *applied)
{
    node_t *self = (node_t *) arg;
    uint32_t slot = (uint32_t) (applied->index % NODE_PENDING_MAX);
    if (!self->pending [slot].used || self->pending [slot].index != applied->index)
        return;
    __typeof__ (self->pending [0]) *write = &self->pending [slot];
    wire_outcome_t outcome = WIRE_OUTCOME_NOT_LEADER;
    if (write->term == applied->term && applied->is_command)
        outcome = s_outcome_of (applied->result.status);
    wire_msg_t *reply = s_client_reply (self, wire_peers_id (self->peers, write->client),
                                        write->incarnation, write->seq, outcome);
    if (write->term == applied->term && applied->is_command)
        s_write_result (reply, &applied->result);
    s_reply (self, write->identity, reply);
    self->counters.client_requests_total++;
    s_drop_pending (self, slot);
}

//  A slow disk delays every message of the step, heartbeat acks
//  included: worth a line, since past T it costs the leadership.
static void
s_note_sync (node_t *self, uint64_t since)
{
    uint64_t sync_ms = s_now () - since;
    if (sync_ms >= NODE_SLOW_SYNC_MS && s_now () - self->slow_sync_logged_ms >= 1000) {
        zsys_warning ("%s: writing the log took %llu ms (slow disk: the election timeout is "
                      "%llu ms)", self->id, (unsigned long long) sync_ms,
                      (unsigned long long) self->cluster->election_timeout_ms);
        self->slow_sync_logged_ms = s_now ();
    }
}

//  Apply what is committed (answering the clients whose writes it holds)
//  and compact when due.
static void
s_apply (node_t *self)
{
    char why [NODE_ERROR_MAX];
    if (replica_apply (self->replica, core_commit_index (self->core), s_on_applied, self,
                       why, sizeof why)
    ||  replica_maybe_compact (self->replica, self->core, self->compact_every, why, sizeof why) < 0) {
        zsys_error ("%s: %s; stopping", self->id, why);
        self->failed = true;
    }
}

static void s_flush (node_t *self);

//  Send msg now, or hold it for the batch's sync (group commit).
static void
s_emit (node_t *self, const core_msg_t *msg, uint64_t now)
{
    if (!self->batching) {
        s_send (self, msg, now);
        return;
    }
    if (self->outbox_count == NODE_OUTBOX_MAX)
        s_flush (self);             //  (s_step keeps room; this is a guard)
    if (self->batching && self->outbox_count < NODE_OUTBOX_MAX) {
        self->outbox [self->outbox_count++] = *msg;
        self->outbox_now = now;
    }
    else
        s_send (self, msg, now);
}

//  The end of a group commit: one sync for every step of the batch, then
//  their messages in order, then what they committed is applied.
static void
s_flush (node_t *self)
{
    char why [NODE_ERROR_MAX];
    uint64_t synced_from = s_now ();
    if (replica_sync (self->replica, why, sizeof why)) {
        zsys_error ("%s: cannot persist the log: %s; stopping without sending", self->id, why);
        self->failed = true;
        self->outbox_count = 0;
        return;
    }
    s_note_sync (self, synced_from);
    for (size_t i = 0; i < self->outbox_count; i++)
        s_send (self, &self->outbox [i], self->outbox_now);
    self->outbox_count = 0;
    s_apply (self);
}

//  Step the core with event, persist, send. Returns core_step's result
//  (-1: the core refused the event; what the step's tick produced is
//  still persisted and sent).
static int
s_step (node_t *self, core_event_t *event)
{
    //  Room in the batch's outbox for this step's messages
    if (self->batching && self->outbox_count + CORE_MSGS_MAX > NODE_OUTBOX_MAX)
        s_flush (self);
    core_role_t before = core_role (self->core);
    int32_t leader_before = core_current_leader (self->core, 0).leader;
    core_update_t *update = &self->update;
    int rc = core_step (self->core, event, update);
    if (rc != 0 && event->type == CORE_EV_RECV) {
        if (self->verbose)
            zsys_debug ("%s: core refused a %s", self->id, core_msg_type_name (event->msg.type));
    }
    if (update->persist) {
        char why [NODE_ERROR_MAX];
        const char *vote = update->voted_for == CORE_NOBODY ? "" : s_member_id (self, update->voted_for);
        bool new_vote = *vote && (state_term (self->state) != update->term
                                  || strcmp (state_vote (self->state), vote) != 0);
        if (state_save (self->state, update->term, vote, why, sizeof why)) {
            //  Sending now could grant a vote the disk does not know of.
            zsys_error ("%s: cannot persist term %llu: %s; stopping without sending",
                        self->id, (unsigned long long) update->term, why);
            self->failed = true;
            return rc;
        }
        //  One line per durable vote: with the role changes it lets anyone
        //  (and the nemesis checker) audit one-vote-per-term across restarts.
        if (new_vote)
            zsys_info ("%s: voted for %s in term %llu (persisted)", self->id, vote,
                       (unsigned long long) update->term);
    }
    char why [NODE_ERROR_MAX];
    //  A truncation or a snapshot changes entries that messages already
    //  held in the batch may carry: those leave first.
    if (self->batching && (update->log_truncate || update->install_snapshot))
        s_flush (self);
    if (self->failed)
        return rc;
    uint64_t synced_from = s_now ();
    if (replica_write (self->replica, update, why, sizeof why)
    ||  (!self->batching && replica_sync (self->replica, why, sizeof why))) {
        zsys_error ("%s: cannot persist the log: %s; stopping without sending", self->id, why);
        self->failed = true;
        return rc;
    }
    s_note_sync (self, synced_from);
    if (update->install_snapshot) {
        zsys_info ("%s: installed the leader's snapshot through index %llu (term %llu)", self->id,
                   (unsigned long long) update->snapshot_index,
                   (unsigned long long) update->snapshot_term);
        s_forget_pending (self, update->snapshot_index);
    }
    s_log_changes (self, update, before, leader_before);
    for (size_t i = 0; i < update->msg_count; i++)
        s_emit (self, &update->msgs [i], event->now_ms);
    self->next_deadline_ms = update->next_deadline_ms;
    if (!self->batching)
        s_apply (self);
    return rc;
}

static void
s_tick (node_t *self, uint64_t now)
{
    core_event_t event = { .type = CORE_EV_TICK, .now_ms = now };
    s_step (self, &event);
}

//  --------------------------------------------------------------------------
//  Receiving

//  Send reply back through the ROUTER to the connection a request came in
//  on (its identity frame). A client that went away or does not read is
//  counted, never waited for.
static void
s_reply (node_t *self, zframe_t *identity, wire_msg_t *reply)
{
    zmsg_t *out = wire_tx_zmsg (self->tx, reply);
    if (!out || !identity || zmsg_pushmem (out, zframe_data (identity), zframe_size (identity))
    ||  zmsg_send (&out, self->router) != 0) {
        zmsg_destroy (&out);
        self->counters.send_dropped_total++;
    }
}

static void
s_answer_status (node_t *self, zmsg_t *request, const wire_msg_t *msg, uint64_t now)
{
    wire_msg_t reply;
    wire_msg_init (&reply, WIRE_STATUS_RESP);
    snprintf (reply.to, sizeof reply.to, "%s", msg->from);
    reply.term = core_term (self->core);
    wire_status_resp_t *status = &reply.status_resp;
    core_leadership_t lead = core_current_leader (self->core, now);
    status->reply_to = msg->seq;
    status->role = (wire_role_t) core_role (self->core);
    if (lead.leader != CORE_NOBODY) {
        status->has_leader = true;
        snprintf (status->leader, sizeof status->leader, "%s", s_member_id (self, lead.leader));
    }
    if (lead.lease_valid) {
        status->has_lease = true;
        status->lease_remaining_ms = lead.lease_remaining_ms;
    }
    status->storm = core_stats (self->core, now).storm_alarm;
    s_fill_status (self, now, &status->status);
    s_reply (self, zmsg_first (request), &reply);
}

//  A client asks us to hand leadership to a member. The receive path has
//  verified who asks (a client: members may not send this) and that the
//  request is fresh; here we decide, in this order: may this client ask,
//  do we lead, in the term it names (so a request recorded earlier cannot
//  be replayed to a later leadership, even after our replay window was
//  lost in a restart), is the target a voter, and will the core start the
//  transfer (it refuses a target that has not acknowledged us within T, or
//  a second transfer in one term). One log line per request.
static void
s_answer_transfer (node_t *self, zmsg_t *request, const wire_msg_t *msg, int from, uint64_t now)
{
    const cluster_client_t *client = NULL;
    if (from >= (int) self->cluster->member_count)
        client = &self->cluster->clients [from - (int) self->cluster->member_count];
    const char *target = msg->transfer_req.target;
    int member = cluster_find (self->cluster, target);
    uint64_t term = core_term (self->core);
    wire_outcome_t outcome;
    if (!client || !(client->may & CLUSTER_MAY_TRANSFER))
        outcome = WIRE_OUTCOME_NOT_PERMITTED;
    else
    if (core_role (self->core) != CORE_LEADER)
        outcome = WIRE_OUTCOME_NOT_LEADER;
    else
    if (msg->term != term)
        outcome = WIRE_OUTCOME_STALE_TERM;
    else
    if (member < 0 || self->cluster->members [member].weight == 0)
        outcome = WIRE_OUTCOME_UNKNOWN_TARGET;
    else
    if ((uint32_t) member == self->self)
        outcome = WIRE_OUTCOME_ACCEPTED;        //  Nothing to do: the target leads
    else {
        core_event_t event = { .type = CORE_EV_TRANSFER, .now_ms = now, .target = (uint32_t) member };
        outcome = s_step (self, &event) == 0 ? WIRE_OUTCOME_ACCEPTED
                                              : WIRE_OUTCOME_UNREACHABLE_TARGET;
        if (self->failed)
            return;             //  Persisting failed: we send nothing more
    }
    core_leadership_t lead = core_current_leader (self->core, now);
    zsys_info ("%s: transfer request from %s (incarnation %llu, seq %llu) to %s in term %llu: %s; "
               "term %llu, leader %s", self->id, msg->from, (unsigned long long) msg->incarnation,
               (unsigned long long) msg->seq, target, (unsigned long long) msg->term,
               wire_outcome_name (outcome), (unsigned long long) core_term (self->core),
               s_member_id (self, lead.leader));

    wire_msg_t reply;
    wire_msg_init (&reply, WIRE_TRANSFER_RESP);
    snprintf (reply.to, sizeof reply.to, "%s", msg->from);
    reply.term = core_term (self->core);
    wire_transfer_resp_t *answer = &reply.transfer_resp;
    answer->reply_to = msg->seq;
    answer->reply_incarnation = msg->incarnation;
    answer->outcome = outcome;
    if (lead.leader != CORE_NOBODY) {
        answer->has_leader = true;
        snprintf (answer->leader, sizeof answer->leader, "%s", s_member_id (self, lead.leader));
    }
    s_reply (self, zmsg_first (request), &reply);
}

static int
s_list_item (const char *key, const uint8_t *value, size_t value_size, uint64_t version, void *arg)
{
    wire_client_resp_t *answer = (wire_client_resp_t *) arg;
    if (answer->item_count >= WIRE_LIST_MAX)
        return 1;
    wire_item_t *item = &answer->items [answer->item_count++];
    snprintf (item->key, sizeof item->key, "%s", key);
    item->version = version;
    item->value = value;
    item->value_size = (uint32_t) value_size;
    return 0;
}

//  Answer a read from our map, if it may be answered (see s_answer_client).
static void
s_serve_read (node_t *self, const wire_client_req_t *req, uint64_t now, wire_msg_t *reply)
{
    wire_client_resp_t *answer = &reply->client_resp;
    uint64_t commit = core_commit_index (self->core), term = 0;
    core_term_at (self->core, commit, &term);
    if (!core_current_leader (self->core, now).lease_valid || term != core_term (self->core)
    ||  replica_applied (self->replica) < commit) {
        answer->outcome = WIRE_OUTCOME_UNAVAILABLE;
        return;
    }
    const kv_t *kv = replica_kv (self->replica);
    answer->index = replica_applied (self->replica);
    if (req->op == WIRE_OP_GET) {
        const uint8_t *value;
        size_t size;
        uint64_t version;
        if (kv_get (kv, req->key, &value, &size, &version) == 0) {
            answer->has_value = true;
            answer->value = value;
            answer->value_size = (uint32_t) size;
            answer->version = version;
        }
        else
            answer->outcome = WIRE_OUTCOME_NOT_FOUND;
        return;
    }
    uint32_t limit = req->limit && req->limit < WIRE_LIST_MAX ? req->limit : WIRE_LIST_MAX;
    bool more = false;
    answer->item_count = 0;
    kv_list (kv, req->key, *req->after ? req->after : NULL, limit, s_list_item, answer, &more);
    answer->more = more;
}

//  A client's read or write. The receive path has verified who asks (a
//  client) and that the request is fresh. Writes go into the log through
//  the core and are answered when they apply (s_on_applied), with their
//  (term, index); reads are answered at once, but only by a leader whose
//  lease holds and that has committed an entry of its own term (so its
//  map holds every write committed before the read arrived): a read never
//  sees a state older than a write already acknowledged.
static void
s_answer_client (node_t *self, zmsg_t *request, const wire_msg_t *msg, int from, uint64_t now)
{
    const cluster_client_t *client = NULL;
    if (from >= (int) self->cluster->member_count)
        client = &self->cluster->clients [from - (int) self->cluster->member_count];
    const wire_client_req_t *req = &msg->client_req;
    bool write = req->op == WIRE_OP_PUT || req->op == WIRE_OP_CAS || req->op == WIRE_OP_DEL;
    wire_outcome_t outcome = WIRE_OUTCOME_ACCEPTED;
    if (!client || !(client->may & (write ? CLUSTER_MAY_WRITE : CLUSTER_MAY_READ)))
        outcome = WIRE_OUTCOME_NOT_PERMITTED;
    else
    if (core_role (self->core) != CORE_LEADER)
        outcome = WIRE_OUTCOME_NOT_LEADER;
    if (outcome == WIRE_OUTCOME_ACCEPTED && write) {
        kv_command_t command = { .request_id = req->request_id };
        snprintf (command.key, sizeof command.key, "%s", req->key);
        //  The principal that asks: its last write is kept (kv.h), so a
        //  retry of it takes effect once
        snprintf (command.client, sizeof command.client, "%s", msg->from);
        if (req->op == WIRE_OP_PUT)
            command.op = KV_PUT;
        else
        if (req->op == WIRE_OP_CAS)
            command.op = KV_CAS;
        else
            command.op = req->has_expected ? KV_DEL_IF : KV_DEL;
        command.expected_version = req->expected;
        if (req->value_size && req->value_size <= sizeof command.value) {
            memcpy (command.value, req->value, req->value_size);
            command.value_size = req->value_size;
        }
        kv_result_t done;
        if (kv_recall (replica_kv (self->replica), &command, &done) == 0) {
            //  A retry of a write already applied: its result, at once
            //  (applied means committed, whoever leads now)
            wire_msg_t *reply = s_client_reply (self, msg->from, msg->incarnation, msg->seq,
                                                s_outcome_of (done.status));
            s_write_result (reply, &done);
            s_reply (self, zmsg_first (request), reply);
            self->counters.client_requests_total++;
            return;
        }
        uint8_t payload [KV_COMMAND_BYTES_MAX];
        int size = kv_command_check (&command, NULL) == 0
                 ? kv_command_encode (&command, payload, sizeof payload) : -1;
        uint64_t index = core_last_index (self->core) + 1;
        uint32_t slot = (uint32_t) (index % NODE_PENDING_MAX);
        if (size < 0)
            outcome = WIRE_OUTCOME_INVALID;
        else
        if (self->pending [slot].used)
            outcome = WIRE_OUTCOME_UNAVAILABLE;     //  Too many writes in flight
        else {
            //  The slot is taken before the step: a leader that is a
            //  quorum alone commits and applies the write within the step,
            //  and s_on_applied must find it then.
            __typeof__ (self->pending [0]) *pending = &self->pending [slot];
            pending->used = true;
            pending->index = index;
            pending->term = core_term (self->core);
            pending->identity = zframe_dup (zmsg_first (request));
            pending->client = (uint32_t) from;
            pending->incarnation = msg->incarnation;
            pending->seq = msg->seq;
            self->pending_count++;
            core_entry_t entry = { .type = CORE_ENTRY_COMMAND, .data = payload, .size = (uint32_t) size };
            core_event_t event = { .type = CORE_EV_PROPOSE, .now_ms = now, .entries = &entry };
            int rc = s_step (self, &event);
            if (rc == 0 && self->update.proposed_index == index)
                return;                             //  Answered when it applies
            //  Refused (the log is full, a transfer is under way): nothing
            //  was appended, so "unavailable" is a definite answer.
            if (pending->used && pending->index == index)
                s_drop_pending (self, slot);
            outcome = WIRE_OUTCOME_UNAVAILABLE;
            if (self->failed)
                return;
        }
    }
    if (outcome == WIRE_OUTCOME_ACCEPTED && !write && self->batching) {
        //  A read sees what the batch so far committed: sync, send, apply
        s_flush (self);
        if (self->failed)
            return;
    }
    wire_msg_t *reply = s_client_reply (self, msg->from, msg->incarnation, msg->seq, outcome);
    if (outcome == WIRE_OUTCOME_ACCEPTED && !write)
        s_serve_read (self, req, now, reply);
    s_reply (self, zmsg_first (request), reply);
    self->counters.client_requests_total++;
}

//  A chunk of the leader's snapshot. The whole snapshot goes to the core
//  (which decides whether to install it) once assembled and valid; each
//  chunk before that is answered at once with a refused append-reply, the
//  receipt that makes the leader send the next one (s_snapshot_chunk).
static void
s_receive_chunk (node_t *self, const wire_msg_t *wire, uint64_t now)
{
    char why [NODE_ERROR_MAX];
    int rc = replica_chunk (self->replica, &wire->snapshot, why, sizeof why);
    if (rc < 0) {
        if (*why)
            zsys_warning ("%s: %s", self->id, why);
        return;
    }
    core_event_t event = { .type = CORE_EV_RECV, .now_ms = now };
    if (wire_to_core (self->peers, wire, &event.msg))
        return;
    if (rc == 1) {
        s_step (self, &event);
        return;
    }
    core_msg_t receipt = {
        .type = CORE_MSG_APPEND_RESP, .from = self->self, .to = event.msg.from,
        .term = core_term (self->core), .role = core_role (self->core),
        .leader = core_current_leader (self->core, 0).leader,
        .granted = false, .match_index = core_last_index (self->core)
    };
    s_emit (self, &receipt, now);
}

//  A member's append-reply is also the receipt of the snapshot chunk we
//  last sent it, if one is under way.
static void
s_note_receipt (node_t *self, const wire_msg_t *wire, int from)
{
    if (from < 0 || (uint32_t) from >= self->cluster->member_count || !self->sending [from].index)
        return;
    if (wire->append_resp.granted && wire->append_resp.match_index >= self->sending [from].index)
        self->sending [from].index = 0;     //  Installed: done
    else
        self->sending [from].acked = true;
}

static void
s_receive (node_t *self, zsock_t *sock)
{
    bool via_router = sock == self->router;
    //  Group commit over the batch drained here (s_flush at the end)
    self->batching = true;
    for (int i = 0; i < NODE_DRAIN_MAX && (zsock_events (sock) & ZMQ_POLLIN); i++) {
        zmsg_t *msg = wire_recv (sock, WIRE_FRAMES + (via_router ? 1 : 0));
        if (!msg)
            break;
        uint64_t now = s_now ();
        wire_msg_t wire;
        wire_reject_t reason;
        if (wire_rx_accept (self->rx, msg, via_router, now, &wire, &reason) == 0) {
            //  rx let through only what the sender may send: consensus
            //  messages and beacons from members, requests from clients.
            //  A beacon (we do not subscribe to them) maps to no core
            //  message below: it steps nothing.
            int from = wire_peers_find (self->peers, wire.from, strlen (wire.from));
            if (wire.type == WIRE_HEARTBEAT)
                self->counters.heartbeats_received_total++;
            core_event_t event = { .type = CORE_EV_RECV, .now_ms = now };
            core_entry_t entries [WIRE_ENTRIES_MAX];
            if (wire.type == WIRE_STATUS_REQ && via_router)
                s_answer_status (self, msg, &wire, now);
            else
            if (wire.type == WIRE_TRANSFER_REQ && via_router)
                s_answer_transfer (self, msg, &wire, from, now);
            else
            if (wire.type == WIRE_CLIENT_REQ && via_router)
                s_answer_client (self, msg, &wire, from, now);
            else
            if (wire.type == WIRE_SNAPSHOT)
                s_receive_chunk (self, &wire, now);
            else
            if (wire_to_core (self->peers, &wire, &event.msg) == 0) {
                if (wire.type == WIRE_APPEND_RESP)
                    s_note_receipt (self, &wire, from);
                if (wire.type != WIRE_APPEND || wire_entries_to_core (&wire, entries) == 0) {
                    event.entries = entries;
                    s_step (self, &event);
                }
            }
        }
        zmsg_destroy (&msg);
        if (self->failed)
            break;
    }
    self->batching = false;
    if (self->failed)
        self->outbox_count = 0;     //  Nothing leaves that the disk may lack
    else
        s_flush (self);
}

//  --------------------------------------------------------------------------
//  Metrics

static void
s_publish_metrics (node_t *self, uint64_t now)
{
    if (!self->metrics)
        return;
    metrics_snapshot_t *s = &self->counters;
    core_leadership_t lead = core_current_leader (self->core, now);
    core_stats_t stats = core_stats (self->core, now);
    s->term = core_term (self->core);
    s->is_leader = lead.lease_valid;
    s->has_leader = lead.leader != CORE_NOBODY;
    s->lease_remaining_ms = lead.lease_remaining_ms;
    s->leader_changes_total = stats.leader_changes;
    s->elections_total = stats.elections;
    s->prevotes_total = stats.prevotes;
    s->check_quorum_stepdowns_total = stats.check_quorum_stepdowns;
    s->storm_alarm = stats.storm_alarm;
    s->messages_accepted_total = wire_rx_accepted (self->rx);
    s->reason_count = 0;
    for (int r = WIRE_REJECT_NONE + 1; r < WIRE_REJECT_COUNT && s->reason_count < METRICS_REASONS_MAX; r++) {
        s->reason_name [s->reason_count] = wire_reject_name ((wire_reject_t) r);
        s->rejected_total [s->reason_count++] = wire_rx_rejected (self->rx, (wire_reject_t) r);
    }
    uint32_t connected = 0;
    for (uint32_t i = 0; i < self->cluster->member_count; i++)
        if (self->connected [i])
            connected++;
    s->peers_connected = connected;
    s->commit_index = core_commit_index (self->core);
    s->applied_index = replica_applied (self->replica);
    s->log_bytes = replica_log_bytes (self->replica);
    s->snapshot_index = replica_snapshot_index (self->replica);
    metrics_update (self->metrics, s);
}

//  --------------------------------------------------------------------------
//  The loop

int
node_run (node_t *self)
{
    struct sigaction action = { .sa_handler = s_on_signal };
    sigemptyset (&action.sa_mask);
    sigaction (SIGINT, &action, NULL);
    sigaction (SIGTERM, &action, NULL);
    zsys_info ("%s: started, cluster %s, term %llu, incarnation %llu, lease %llu ms", self->id,
               self->cluster->id, (unsigned long long) core_term (self->core),
               (unsigned long long) state_incarnation (self->state),
               (unsigned long long) cluster_lease_ms (self->cluster));
    s_tick (self, s_now ());
    //  READY: our durable state is read, our heartbeat endpoint is bound
    //  and our subscriptions to every peer's stream are placed.
    sd_notify (0, "READY=1");
    s_notify_status (self);
    bool stopping = false;
    uint64_t stop_by = 0;
    while (!self->failed) {
        uint64_t now = s_now ();
        if (s_stop && !stopping) {
            stopping = true;
            sd_notify (0, "STOPPING=1");
            stop_by = now + 2 * self->cluster->election_timeout_ms;
            int32_t target = core_transfer_candidate (self->core, now);
            if (core_role (self->core) == CORE_LEADER && target != CORE_NOBODY) {
                zsys_info ("%s: stopping: handing leadership to %s", self->id, s_member_id (self, target));
                core_event_t event = { .type = CORE_EV_TRANSFER, .now_ms = now, .target = (uint32_t) target };
                s_step (self, &event);
            }
            else
                zsys_info ("%s: stopping", self->id);
        }
        if (stopping && (core_role (self->core) != CORE_LEADER || now >= stop_by))
            break;
        uint64_t wait = self->next_deadline_ms > now ? self->next_deadline_ms - now : 0;
        if (wait > NODE_WAIT_MAX_MS)
            wait = NODE_WAIT_MAX_MS;
        zsock_t *which = (zsock_t *) zpoller_wait (self->poller, (int) wait);
        //  Woken later than the core asked: the process was starved of CPU
        //  (or stopped). Past T that costs leaderships: say so.
        uint64_t woke = s_now ();
        if (woke > self->next_deadline_ms + NODE_SLOW_LOOP_MS && woke - self->slow_loop_logged_ms >= 1000
        &&  self->next_deadline_ms > now) {
            zsys_warning ("%s: the loop woke %llu ms after its deadline (CPU starvation or a "
                          "stopped process; the election timeout is %llu ms)", self->id,
                          (unsigned long long) (woke - self->next_deadline_ms),
                          (unsigned long long) self->cluster->election_timeout_ms);
            self->slow_loop_logged_ms = woke;
        }
        if (which == self->sub || which == self->router)
            s_receive (self, which);
        else
        if (self->metrics && which == metrics_socket (self->metrics)) {
            //  The snapshot is built only when a scraper asks, not per turn.
            s_publish_metrics (self, s_now ());
            metrics_handle (self->metrics, s_now ());
        }
        else
        if (which == self->monitor)
            s_monitor_events (self);
        if (!self->failed) {
            now = s_now ();
            if (now >= self->next_deadline_ms)
                s_tick (self, now);
            if (now - self->marks_saved_ms >= NODE_MARKS_MS) {
                s_save_marks (self, now);
                if (self->metrics)
                    metrics_handle (self->metrics, now);    //  Idle connections time out
            }
        }
    }
    if (self->failed)
        return 1;
    s_save_marks (self, s_now ());
    zsys_info ("%s: stopped in term %llu as %s", self->id, (unsigned long long) core_term (self->core),
               core_role_name (core_role (self->core)));
    return 0;
}
