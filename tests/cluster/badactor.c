/*  badactor: attacks a running cluster at its members' RPC (ROUTER)
    endpoints, and says exactly what it sent, so that a test can prove from
    the nodes' rejection counters that every bad message was rejected and
    counted, and none accepted.

    badactor --cluster FILE --target ID [--target ID ...] --member-key FILE
             [--count N] [--capture-ms MS]

      --cluster FILE      the cluster file (node/cluster.h)
      --target ID         a member to attack; repeatable, at least one
      --member-key FILE   the secret key file of one genuine member, used only
                          for cross-cluster (a key reused in another cluster)
      --count N           messages per category per target, 1..1000 (10)
      --capture-ms MS     how long to record the members' heartbeat and
                          beacon streams for replay, 1..60000 (1000)

    First it records the signed heartbeats and beacons every member
    publishes (as node/watch.c subscribes to them), keeping those that pass
    a receive path of its own: genuine frames. Then it connects one DEALER
    to each target's rpc endpoint, waits for the ZMTP handshake, and sends
    count messages of each category below. Which reason a node gives is
    decided by the order of the checks in wire/rx.c (steps as numbered in
    wire/rx.h and docs/PROTOCOL.md section 8):

      forged          a well-formed heartbeat-ack to the target from another
                      member's id, signed with a fresh random key: the head
                      passes steps 1-5, the signature fails       bad-signature (6)
      unknown-sender  a prevote-request from an id that is no principal,
                      signed with the fresh key                   unknown-sender (5)
      cross-cluster   a vote-request signed with the genuine member key
                      but for another cluster id; the head's cluster is
                      compared before the sender is looked up     wrong-cluster (4)
      replayed        genuine heartbeats of other members, which a target
                      that follows has accepted on its SUB, re-sent
                      verbatim: the frames a PUB sends are the three a
                      ROUTER receives after the identity          replay / too-old /
                                                                  stale-incarnation (11, 12)
      reflected       the target's own heartbeats or beacons sent back to
                      it: a sender that is the receiver itself    unknown-sender (5)
      garbage-body    a valid head of another member with a random body,
                      a cut-off msgpack body, or a signature frame of the
                      wrong length: the body decoder sees signed bytes
                      only, so without the member's key this can
                      never reach it                              bad-signature (6)
      malformed       too few or too many frames, a head over its cap
                      (161..1024 bytes), random or near-miss heads  malformed (1, 3) / oversize (2)

    reflected and garbage-body exist because, by that order, their
    messages cannot land where replayed and malformed do. While it leads,
    no other member publishes a heartbeat, and a node never subscribes to
    beacons: no frame of another member captured then is one the leader
    has accepted, so what can be played back to it is its own (rejected
    before the replay window is consulted). A garbage body behind
    a valid head fails on its signature, never in the decoder. Beacons of
    other members are never replayed: a node does not subscribe to them,
    so for it such a beacon is a genuine message seen for the first time,
    and it accepts it once, rightly (the window makes messages single-use,
    not bound to a channel). A leader thus gets no replayed messages
    (said on stderr). Every body stays within the small cap (1024 bytes,
    WIRE_SMALL_BODY_BYTES_MAX) of the heartbeat-ack head it is sent under,
    so it reaches the signature check rather than being refused as
    oversize; and no frame exceeds the ROUTER's ZMQ_MAXMSGSIZE, which
    would drop the connection before any counter sees it.

    Output: one JSON object on stdout, with the messages actually sent per
    target and category, the reasons each category must produce, and the
    number of genuine frames captured. Everything else goes to stderr.

    Exit: 0 done; 1 nothing captured, a target never completed the
    handshake within 5 s, or a send timed out; 2 bad flags, cluster file
    or key file (then nothing is sent).
*/
#define _POSIX_C_SOURCE 200809L
#include "cluster.h"
#include "number.h"
#include "envelope.h"
#include "keys.h"
#include "msg.h"
#include "peers.h"
#include "rx.h"
#include "tx.h"
#include <czmq.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>

#define BA_EXIT_FAILED          1
#define BA_EXIT_USAGE           2
#define BA_COUNT_DEFAULT        10
#define BA_COUNT_MAX            1000
#define BA_CAPTURE_MS_DEFAULT   1000
#define BA_CAPTURE_MS_MAX       60000
#define BA_CAPTURED_MAX         2048    //  Genuine frames kept; more are read and dropped
#define BA_CONNECT_MS           5000    //  Handshake deadline, all targets
//  A captured heartbeat reached the followers' SUBs when it reached ours;
//  this margin makes sure they have processed it before its copy arrives.
#define BA_SETTLE_MS            250
#define BA_SEND_TIMEOUT_MS      5000    //  A target that reads nothing for this long fails us
#define BA_LINGER_MS            10000   //  Upper bound for flushing at exit
#define BA_SNDHWM               100000  //  Above count * categories: nothing waits or drops here
#define BA_FRAMES_MAX           8       //  Frames in one crafted message
#define BA_MALFORMED_VARIANTS   10
#define BA_GARBAGE_VARIANTS     5

typedef enum {
    BA_FORGED,
    BA_UNKNOWN_SENDER,
    BA_CROSS_CLUSTER,
    BA_REPLAYED,
    BA_REFLECTED,
    BA_GARBAGE_BODY,
    BA_MALFORMED,
    BA_CATEGORIES
} ba_category_t;

//  Each category's name in the output and the reasons it must produce, as
//  JSON array members.
static const struct {
    const char *name;
    const char *reasons;
} s_categories [BA_CATEGORIES] = {
    [BA_FORGED]         = { "forged",         "\"bad-signature\"" },
    [BA_UNKNOWN_SENDER] = { "unknown-sender", "\"unknown-sender\"" },
    [BA_CROSS_CLUSTER]  = { "cross-cluster",  "\"wrong-cluster\"" },
    [BA_REPLAYED]       = { "replayed",       "\"replay\",\"too-old\",\"stale-incarnation\"" },
    [BA_REFLECTED]      = { "reflected",      "\"unknown-sender\"" },
    [BA_GARBAGE_BODY]   = { "garbage-body",   "\"bad-signature\"" },
    [BA_MALFORMED]      = { "malformed",      "\"malformed\",\"oversize\"" }
};

//  One genuine frame set from a member's PUB, as it was published.
typedef struct {
    wire_sealed_t frames;               //  head, body, sig, byte for byte
    uint32_t member;                    //  Its sender
    wire_type_t type;                   //  Heartbeat or beacon
} s_captured_t;

typedef struct {
    uint32_t member;                    //  Member number in the cluster file
    zsock_t *dealer;                    //  To its rpc endpoint
    zsock_t *monitor;                   //  PAIR: the dealer's handshake event
    bool up;                            //  Handshake done
    bool failed;                        //  A send timed out: nothing more to it
    uint64_t sent [BA_CATEGORIES];      //  Messages zmq took for sending
} s_target_t;

typedef struct {
    const char *cluster_path;
    const char *key_path;
    uint64_t count;
    uint64_t capture_ms;
    cluster_t *cluster;
    keys_t *member_keys;                //  The genuine member's (cross-cluster only)
    uint32_t key_member;                //  Its member number
    keys_t *fresh;                      //  A random identity no one knows
    char intruder [WIRE_ID_CHARS_MAX + 1];          //  An id that is no principal
    char monitor_id [WIRE_ID_CHARS_MAX + 1];        //  Our name on our receive path
    char other_cluster [WIRE_CLUSTER_CHARS_MAX + 1];
    uint64_t incarnation;               //  Of the messages we make up
    uint64_t seq;                       //  Their next seq
    uint64_t term;                      //  Highest term captured: plausible headers
    s_captured_t *captured;
    size_t captured_count;
    s_target_t targets [CORE_MEMBERS_MAX];
    size_t target_count;
} s_attack_t;

static int
s_usage_error (const char *format, const char *arg)
{
    fprintf (stderr, "badactor: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, "\nusage: badactor --cluster FILE --target ID [--target ID ...] "
                     "--member-key FILE [--count N] [--capture-ms MS]\n");
    return BA_EXIT_USAGE;
}

//  A valid id that is neither a member's nor a client's: base, else
//  base-2, base-3, ...
static void
s_unused_id (const cluster_t *cluster, const char *base, char *id, size_t size)
{
    snprintf (id, size, "%s", base);
    for (unsigned n = 2; cluster_find (cluster, id) >= 0 || cluster_find_client (cluster, id) >= 0; n++)
        snprintf (id, size, "%s-%u", base, n);
}

//  A valid cluster id that is not ours: ours with "-other" appended (cut
//  to fit), altered further in the one case where that gives ours back.
static void
s_other_cluster (const char *ours, char *other, size_t size)
{
    const char *suffix = "-other";
    size_t keep = strlen (ours);
    if (keep > WIRE_CLUSTER_CHARS_MAX - strlen (suffix))
        keep = WIRE_CLUSTER_CHARS_MAX - strlen (suffix);
    snprintf (other, size, "%.*s%s", (int) keep, ours, suffix);
    if (strcmp (other, ours) == 0)
        other [0] = other [0] == 'x' ? 'y' : 'x';
}

static int
s_options (int argc, char *argv [], s_attack_t *a, const char **targets, size_t *target_count)
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "target", required_argument, NULL, 't' },
        { "member-key", required_argument, NULL, 'k' },
        { "count", required_argument, NULL, 'n' },
        { "capture-ms", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 }
    };
    *target_count = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': a->cluster_path = optarg; break;
            case 'k': a->key_path = optarg; break;
            case 't':
                if (*target_count == CORE_MEMBERS_MAX)
                    return s_usage_error ("too many --target flags (at most %s)", "64");
                targets [(*target_count)++] = optarg;
                break;
            case 'n':
                if (number_parse_uint (optarg, 1, BA_COUNT_MAX, &a->count))
                    return s_usage_error ("--count must be 1..1000, not '%s'", optarg);
                break;
            case 'm':
                if (number_parse_uint (optarg, 1, BA_CAPTURE_MS_MAX, &a->capture_ms))
                    return s_usage_error ("--capture-ms must be 1..60000, not '%s'", optarg);
                break;
            case ':': return s_usage_error ("%s needs a value", argv [optind - 1]);
            default:  return s_usage_error ("unknown option %s", argv [optind - 1]);
        }
    }
    if (optind != argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    const char *missing = !a->cluster_path ? "--cluster FILE" : !*target_count ? "--target ID"
                        : !a->key_path ? "--member-key FILE" : NULL;
    if (missing)
        return s_usage_error ("%s is required", missing);
    return 0;
}

//  Load the cluster file and the member key; resolve the targets. Returns
//  0 or BA_EXIT_USAGE after saying why.
static int
s_load (s_attack_t *a, const char **targets, size_t target_count)
{
    char err [CLUSTER_ERROR_MAX];
    a->cluster = cluster_load (a->cluster_path, err, sizeof err);
    if (!a->cluster) {
        fprintf (stderr, "badactor: --cluster: %s\n", err);
        return BA_EXIT_USAGE;
    }
    for (size_t i = 0; i < target_count; i++) {
        int member = cluster_find (a->cluster, targets [i]);
        if (member < 0) {
            fprintf (stderr, "badactor: --target %s: not a member of %s\n", targets [i], a->cluster_path);
            return BA_EXIT_USAGE;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp (targets [i], targets [j]) == 0) {
                fprintf (stderr, "badactor: --target %s given twice\n", targets [i]);
                return BA_EXIT_USAGE;
            }
        a->targets [a->target_count++].member = (uint32_t) member;
    }
    char why [KEYS_ERR_BYTES];
    a->member_keys = keys_load_secret (a->key_path, why, sizeof why);
    if (!a->member_keys) {
        fprintf (stderr, "badactor: --member-key: %s\n", why);
        return BA_EXIT_USAGE;
    }
    uint32_t i;
    for (i = 0; i < a->cluster->member_count; i++)
        if (memcmp (keys_public (a->member_keys), a->cluster->members [i].public_key,
                    KEYS_PUBLIC_BYTES) == 0)
            break;
    if (i == a->cluster->member_count) {
        fprintf (stderr, "badactor: --member-key %s: its public key is no member's public_key in %s\n",
                 a->key_path, a->cluster_path);
        return BA_EXIT_USAGE;
    }
    a->key_member = i;
    a->fresh = keys_new ();
    if (!a->fresh) {
        fprintf (stderr, "badactor: cannot generate a key\n");
        return BA_EXIT_FAILED;
    }
    s_unused_id (a->cluster, "intruder", a->intruder, sizeof a->intruder);
    s_unused_id (a->cluster, "badactor", a->monitor_id, sizeof a->monitor_id);
    s_other_cluster (a->cluster->id, a->other_cluster, sizeof a->other_cluster);
    //  The time of day in microseconds: never 0, and unlike any node's
    //  boot counter (not that it matters: nothing we make up gets that far).
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    a->incarnation = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000 + 1;
    a->seq = 1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Capture: the genuine frames every member publishes

//  Keep msg if our own receive path accepts it as a member's heartbeat or
//  beacon (so we replay only what a node would verify).
static void
s_keep (s_attack_t *a, wire_rx_t *rx, zmsg_t *msg)
{
    wire_msg_t wire;
    if (wire_rx_accept (rx, msg, false, (uint64_t) zclock_mono (), &wire, NULL) != 0
    ||  !wire_type_heartbeat (wire.type) || a->captured_count == BA_CAPTURED_MAX)
        return;
    int member = cluster_find (a->cluster, wire.from);
    if (member < 0)
        return;
    s_captured_t *kept = &a->captured [a->captured_count++];
    zframe_t *head = zmsg_first (msg);
    zframe_t *body = zmsg_next (msg);
    zframe_t *sig = zmsg_next (msg);
    //  rx checked the sizes against these very buffers' caps
    memcpy (kept->frames.head, zframe_data (head), zframe_size (head));
    kept->frames.head_size = zframe_size (head);
    memcpy (kept->frames.body, zframe_data (body), zframe_size (body));
    kept->frames.body_size = zframe_size (body);
    memcpy (kept->frames.sig, zframe_data (sig), WIRE_SIG_BYTES);
    kept->member = (uint32_t) member;
    kept->type = wire.type;
    if (wire.term > a->term)
        a->term = wire.term;
}

static int
s_capture (s_attack_t *a)
{
    a->captured = (s_captured_t *) calloc (BA_CAPTURED_MAX, sizeof (s_captured_t));
    wire_peers_t *peers = wire_peers_new ();
    zsock_t *sub = zsock_new (ZMQ_SUB);
    wire_rx_t *rx = NULL;
    int rc = -1;
    if (!a->captured || !peers || !sub)
        goto done;
    for (uint32_t i = 0; i < a->cluster->member_count; i++)
        wire_peers_add (peers, a->cluster->members [i].id, a->cluster->members [i].public_key);
    rx = wire_rx_new (a->cluster->id, a->monitor_id, peers);
    if (!rx)
        goto done;
    wire_rx_set_logger (rx, NULL, NULL);
    wire_socket_harden (sub, WIRE_SMALL_FRAME_BYTES_MAX);
    wire_type_t topics [] = { WIRE_HEARTBEAT, WIRE_BEACON };
    for (size_t i = 0; i < sizeof topics / sizeof topics [0]; i++) {
        char topic [128];
        if (wire_topic (topic, sizeof topic, a->cluster->id, topics [i]) < 0)
            goto done;
        zsock_set_subscribe (sub, topic);
    }
    for (uint32_t i = 0; i < a->cluster->member_count; i++)
        if (zsock_connect (sub, "%s", a->cluster->members [i].heartbeat) == -1) {
            fprintf (stderr, "badactor: members/%s/heartbeat: cannot connect to %s\n",
                     a->cluster->members [i].id, a->cluster->members [i].heartbeat);
            goto done;
        }
    int64_t until = zclock_mono () + (int64_t) a->capture_ms;
    while (true) {
        int64_t left = until - zclock_mono ();
        if (left <= 0 || zsys_interrupted)
            break;
        zmq_pollitem_t item = { zsock_resolve (sub), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) left) <= 0)
            continue;
        zmsg_t *msg = wire_recv (sub, WIRE_FRAMES);
        if (msg)
            s_keep (a, rx, msg);
        zmsg_destroy (&msg);
    }
    rc = 0;
done:
    if (rc)
        fprintf (stderr, "badactor: cannot listen to the heartbeat streams\n");
    wire_rx_destroy (&rx);
    zsock_destroy (&sub);
    wire_peers_destroy (&peers);
    return rc;
}

//  --------------------------------------------------------------------------
//  Connecting to the targets

//  Create the target's DEALER with a monitor for its handshake, and
//  connect. Returns 0 or -1 after saying why.
static int
s_connect (s_target_t *t, const cluster_member_t *member, size_t index)
{
    t->dealer = zsock_new (ZMQ_DEALER);
    t->monitor = zsock_new (ZMQ_PAIR);
    if (!t->dealer || !t->monitor) {
        fprintf (stderr, "badactor: cannot create sockets: %s\n", zmq_strerror (zmq_errno ()));
        return -1;
    }
    //  Unlike a node's DEALER (wire_socket_harden): queue everything,
    //  block a bounded time when full, and deliver all of it before exit.
    zsock_set_sndhwm (t->dealer, BA_SNDHWM);
    zsock_set_sndtimeo (t->dealer, BA_SEND_TIMEOUT_MS);
    zsock_set_linger (t->dealer, BA_LINGER_MS);
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://badactor-%zu", index);
    if (zmq_socket_monitor (zsock_resolve (t->dealer), endpoint, ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == -1
    ||  zsock_connect (t->monitor, "%s", endpoint) == -1) {
        fprintf (stderr, "badactor: cannot monitor the connection to %s: %s\n", member->id,
                 zmq_strerror (zmq_errno ()));
        return -1;
    }
    if (zsock_connect (t->dealer, "%s", member->rpc) == -1) {
        fprintf (stderr, "badactor: members/%s/rpc: cannot connect to %s: %s\n", member->id,
                 member->rpc, zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

static void
s_unmonitor (s_target_t *t)
{
    if (t->monitor) {
        zmq_socket_monitor (zsock_resolve (t->dealer), NULL, 0);
        zsock_destroy (&t->monitor);
    }
}

//  Read the monitor's pending events; true once the handshake is done.
//  Each event is two frames: 6 bytes (uint16 event, uint32 value), then
//  the endpoint.
static bool
s_handshake_done (s_target_t *t)
{
    void *pair = zsock_resolve (t->monitor);
    while (!t->up) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, pair, ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (&frame);
            break;
        }
        uint16_t event = 0;
        if (zmq_msg_size (&frame) == 6)
            memcpy (&event, zmq_msg_data (&frame), sizeof event);
        while (zmq_msg_more (&frame)) {
            zmq_msg_close (&frame);
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, pair, ZMQ_DONTWAIT) == -1)
                break;
        }
        zmq_msg_close (&frame);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            t->up = true;
    }
    return t->up;
}

//  Connect to every target and wait until each is really up (ZMTP
//  handshake done, so nothing sits in a queue for a peer that is not
//  there). Returns 0, or -1 after naming those that never came up.
static int
s_connect_all (s_attack_t *a)
{
    for (size_t i = 0; i < a->target_count; i++)
        if (s_connect (&a->targets [i], &a->cluster->members [a->targets [i].member], i))
            return -1;
    int64_t until = zclock_mono () + BA_CONNECT_MS;
    while (true) {
        zmq_pollitem_t items [CORE_MEMBERS_MAX];
        int waiting = 0;
        for (size_t i = 0; i < a->target_count; i++)
            if (!s_handshake_done (&a->targets [i]))
                items [waiting++] = (zmq_pollitem_t) {
                    zsock_resolve (a->targets [i].monitor), 0, ZMQ_POLLIN, 0 };
        int64_t left = until - zclock_mono ();
        if (!waiting || left <= 0 || zsys_interrupted)
            break;
        zmq_poll (items, waiting, (long) left);
    }
    int rc = 0;
    for (size_t i = 0; i < a->target_count; i++) {
        s_target_t *t = &a->targets [i];
        if (!t->up) {
            const cluster_member_t *member = &a->cluster->members [t->member];
            fprintf (stderr, "badactor: %s: no connection to %s within %d ms\n", member->id,
                     member->rpc, BA_CONNECT_MS);
            rc = -1;
        }
        s_unmonitor (t);
    }
    return rc;
}

//  --------------------------------------------------------------------------
//  Sending

//  Send count frames as one multipart message to target t. The first part
//  may wait up to the send timeout; the rest of an accepted message never
//  waits. Counts it under category; returns 0, or -1 if t failed.
static int
s_send (s_target_t *t, ba_category_t category, const wire_bytes_t *frames, size_t count)
{
    if (t->failed)
        return -1;
    void *handle = zsock_resolve (t->dealer);
    for (size_t i = 0; i < count; i++) {
        int flags = i + 1 < count ? ZMQ_SNDMORE : 0;
        if (zmq_send (handle, frames [i].data, frames [i].size, flags) == -1) {
            t->failed = true;
            return -1;
        }
    }
    t->sent [category]++;
    return 0;
}

static int
s_send_sealed (s_target_t *t, ba_category_t category, const wire_sealed_t *sealed)
{
    wire_bytes_t frames [WIRE_FRAMES] = {
        { (const uint8_t *) sealed->head, sealed->head_size },
        { sealed->body, sealed->body_size },
        { sealed->sig, WIRE_SIG_BYTES }
    };
    return s_send (t, category, frames, WIRE_FRAMES);
}

//  Fill the signed header of a message we make up.
static void
s_header (s_attack_t *a, wire_msg_t *msg, wire_type_t type, const char *cluster,
          const char *from, const char *to)
{
    wire_msg_init (msg, type);
    snprintf (msg->cluster, sizeof msg->cluster, "%s", cluster);
    snprintf (msg->from, sizeof msg->from, "%s", from);
    snprintf (msg->to, sizeof msg->to, "%s", to);
    msg->term = a->term;
    msg->incarnation = a->incarnation;
    msg->seq = a->seq++;
}

//  A member other than the target, a different one each time if there
//  are several; or -1 in a one-member cluster.
static int
s_other_member (const s_attack_t *a, const s_target_t *t, uint64_t i)
{
    uint32_t members = a->cluster->member_count;
    if (members < 2)
        return -1;
    return (int) ((t->member + 1 + i % (members - 1)) % members);
}

//  A heartbeat-ack from member `from` to the target: what a leader's lease
//  runs on, so the most harmful thing to accept from a forger.
static int
s_ack (s_attack_t *a, const s_target_t *t, const char *from, const keys_t *keys,
       wire_sealed_t *sealed)
{
    wire_msg_t msg;
    s_header (a, &msg, WIRE_HEARTBEAT_ACK, a->cluster->id, from, a->cluster->members [t->member].id);
    msg.heartbeat_ack.hb_ms = (uint64_t) zclock_mono ();
    msg.heartbeat_ack.granted = true;
    return wire_seal (keys, &msg, sealed);
}

static int
s_forged (s_attack_t *a, s_target_t *t, uint64_t i)
{
    int from = s_other_member (a, t, i);
    wire_sealed_t sealed;
    if (from < 0 || s_ack (a, t, a->cluster->members [from].id, a->fresh, &sealed))
        return -1;
    return s_send_sealed (t, BA_FORGED, &sealed);
}

static int
s_unknown_sender (s_attack_t *a, s_target_t *t, uint64_t i)
{
    wire_msg_t msg;
    s_header (a, &msg, WIRE_PREVOTE_REQ, a->cluster->id, a->intruder, a->cluster->members [t->member].id);
    msg.term = a->term + 1;
    msg.prevote_req.round = i + 1;
    wire_sealed_t sealed;
    if (wire_seal (a->fresh, &msg, &sealed))
        return -1;
    return s_send_sealed (t, BA_UNKNOWN_SENDER, &sealed);
}

//  A vote request, genuinely signed by a member, from the same member ids
//  in a cluster of another name: what a key reused across clusters lets
//  one cluster's traffic say to the other.
static int
s_cross_cluster (s_attack_t *a, s_target_t *t)
{
    wire_msg_t msg;
    s_header (a, &msg, WIRE_VOTE_REQ, a->other_cluster, a->cluster->members [a->key_member].id,
              a->cluster->members [t->member].id);
    msg.term = a->term + 1;
    msg.vote_req.transfer = true;
    wire_sealed_t sealed;
    if (wire_seal (a->member_keys, &msg, &sealed))
        return -1;
    return s_send_sealed (t, BA_CROSS_CLUSTER, &sealed);
}

//  The captured frames fit for category at target t: replayed, another
//  member's heartbeat (the topic every node subscribes to, so t accepted
//  it unless t sent it); reflected, t's own heartbeat or beacon.
static bool
s_fits (const s_captured_t *c, const s_target_t *t, ba_category_t category)
{
    if (category == BA_REPLAYED)
        return c->member != t->member && c->type == WIRE_HEARTBEAT;
    return c->member == t->member;
}

//  Send count captured frames of category to t, cycling through them if
//  fewer were captured. Returns how many distinct ones there were.
static size_t
s_resend (s_attack_t *a, s_target_t *t, ba_category_t category, uint64_t count)
{
    size_t distinct = 0;
    for (size_t i = 0; i < a->captured_count; i++)
        if (s_fits (&a->captured [i], t, category))
            distinct++;
    uint64_t sent = 0;
    while (distinct && sent < count && !t->failed)
        for (size_t i = 0; i < a->captured_count && sent < count; i++)
            if (s_fits (&a->captured [i], t, category)) {
                if (s_send_sealed (t, category, &a->captured [i].frames))
                    break;
                sent++;
            }
    return distinct;
}

//  A valid head of another member with something that cannot carry that
//  member's signature: a random body, a cut-off msgpack body (both with a
//  64-byte signature of the fresh key), or a signature frame of 0, 63 or
//  65 bytes. Step 6 rejects each before the decoder reads a byte.
static int
s_garbage_body (s_attack_t *a, s_target_t *t, uint64_t i)
{
    int from = s_other_member (a, t, i);
    wire_sealed_t sealed;
    if (from < 0 || s_ack (a, t, a->cluster->members [from].id, a->fresh, &sealed))
        return -1;
    uint8_t sig [WIRE_SIG_BYTES + 1];
    randombytes_buf (sig, sizeof sig);
    wire_bytes_t frames [WIRE_FRAMES] = {
        { (const uint8_t *) sealed.head, sealed.head_size },
        { sealed.body, sealed.body_size },
        { sealed.sig, WIRE_SIG_BYTES }
    };
    switch (i % BA_GARBAGE_VARIANTS) {
        case 0:     //  Random body, 1..1024 bytes
            frames [1].size = 1 + randombytes_uniform (WIRE_SMALL_BODY_BYTES_MAX);
            randombytes_buf (sealed.body, frames [1].size);
            break;
        case 1:     //  Cut-off msgpack, signed as it is (by the wrong key)
            frames [1].size = 1 + randombytes_uniform ((uint32_t) sealed.body_size - 1);
            sign_detached (a->fresh, sealed.body, frames [1].size, sealed.sig);
            break;
        case 2:
            frames [2].size = 0;
            break;
        case 3:
            frames [2] = (wire_bytes_t) { sig, WIRE_SIG_BYTES - 1 };
            break;
        default:
            frames [2] = (wire_bytes_t) { sig, WIRE_SIG_BYTES + 1 };
            break;
    }
    return s_send (t, BA_GARBAGE_BODY, frames, WIRE_FRAMES);
}

//  Messages that fail before any key is looked up: the wrong number of
//  frames (step 1), a head over its cap (step 2), or a head that does not
//  parse (step 3). Near-miss heads differ from a valid one in one place.
static int
s_malformed (s_attack_t *a, s_target_t *t, uint64_t i)
{
    const char *cluster = a->cluster->id;
    const char *from = a->cluster->members [a->key_member].id;
    wire_sealed_t sealed;
    if (s_ack (a, t, from, a->fresh, &sealed))
        return -1;
    uint8_t junk [WIRE_FRAME_BYTES_MAX];
    randombytes_buf (junk, sizeof junk);
    char head [WIRE_FRAME_BYTES_MAX + 1];
    int head_size = 0;
    wire_bytes_t frames [BA_FRAMES_MAX];
    size_t count = WIRE_FRAMES;
    frames [0] = (wire_bytes_t) { (const uint8_t *) sealed.head, sealed.head_size };
    frames [1] = (wire_bytes_t) { sealed.body, sealed.body_size };
    frames [2] = (wire_bytes_t) { sealed.sig, WIRE_SIG_BYTES };
    switch (i % BA_MALFORMED_VARIANTS) {
        case 0:     //  One frame of random bytes
            frames [0] = (wire_bytes_t) { junk, 1 + randombytes_uniform (64) };
            count = 1;
            break;
        case 1:     //  Head and a cut-off body, no signature
            frames [1].size = 1 + randombytes_uniform ((uint32_t) sealed.body_size - 1);
            count = 2;
            break;
        case 2:     //  One frame too many
            frames [3] = (wire_bytes_t) { junk, 16 };
            count = 4;
            break;
        case 3:     //  Many frames (a node keeps 4 of them, still too many)
            for (count = WIRE_FRAMES; count < BA_FRAMES_MAX; count++)
                frames [count] = (wire_bytes_t) { junk + count, count };
            break;
        case 4: {   //  Oversize head, yet within ZMQ_MAXMSGSIZE: 161..1024 bytes
            size_t size = WIRE_HEAD_BYTES_MAX + 1
                        + randombytes_uniform (WIRE_FRAME_BYTES_MAX - WIRE_HEAD_BYTES_MAX);
            memcpy (head, sealed.head, sealed.head_size);
            memset (head + sealed.head_size, 'A', size - sealed.head_size);
            frames [0] = (wire_bytes_t) { (const uint8_t *) head, size };
            break;
        }
        case 5:     //  Random head bytes, random body
            frames [0] = (wire_bytes_t) { junk, 1 + randombytes_uniform (WIRE_HEAD_BYTES_MAX) };
            frames [1] = (wire_bytes_t) { junk + 256, 1 + randombytes_uniform (512) };
            break;
        case 6:     //  A type that does not exist
            head_size = snprintf (head, sizeof head, "%s/%d %s heartbeat-nack %s", WIRE_PROTOCOL,
                                  WIRE_VERSION, cluster, from);
            break;
        case 7:     //  The version with a leading zero
            head_size = snprintf (head, sizeof head, "%s/0%d %s heartbeat-ack %s", WIRE_PROTOCOL,
                                  WIRE_VERSION, cluster, from);
            break;
        case 8:     //  A trailing space (what a topic prefix has, a head not)
            head_size = (int) sealed.head_size + 1;
            memcpy (head, sealed.head, sealed.head_size);
            head [sealed.head_size] = ' ';
            break;
        default:    //  A sender id with a character ids may not have
            head_size = snprintf (head, sizeof head, "%s/%d %s heartbeat-ack %s/x", WIRE_PROTOCOL,
                                  WIRE_VERSION, cluster, from);
            break;
    }
    if (head_size > 0)
        frames [0] = (wire_bytes_t) { (const uint8_t *) head, (size_t) head_size };
    return s_send (t, BA_MALFORMED, frames, count);
}

//  Send count messages of every category to every target.
static void
s_attack (s_attack_t *a, uint64_t settle_until_ms)
{
    for (size_t k = 0; k < a->target_count; k++) {
        s_target_t *t = &a->targets [k];
        for (uint64_t i = 0; i < a->count && !t->failed; i++) {
            s_forged (a, t, i);
            s_unknown_sender (a, t, i);
            s_cross_cluster (a, t);
            s_garbage_body (a, t, i);
            s_malformed (a, t, i);
        }
    }
    int64_t wait = (int64_t) settle_until_ms - zclock_mono ();
    if (wait > 0)
        zclock_sleep ((int) wait);
    for (size_t k = 0; k < a->target_count; k++) {
        s_target_t *t = &a->targets [k];
        const char *id = a->cluster->members [t->member].id;
        ba_category_t replays [] = { BA_REPLAYED, BA_REFLECTED };
        for (size_t r = 0; r < sizeof replays / sizeof replays [0]; r++) {
            const char *name = s_categories [replays [r]].name;
            size_t distinct = s_resend (a, t, replays [r], a->count);
            if (!distinct)
                fprintf (stderr, "badactor: %s: %s: 0 sent: none of the %zu captured frames is %s\n",
                         id, name, a->captured_count, replays [r] == BA_REPLAYED
                         ? "another member's heartbeat (while it leads, no other member sends one)"
                         : "its own");
            else
            if (distinct < a->count)
                fprintf (stderr, "badactor: %s: %s: %zu distinct captured frames for %llu "
                         "messages; each sent again in turn\n", id, name, distinct,
                         (unsigned long long) a->count);
        }
    }
    for (size_t k = 0; k < a->target_count; k++)
        if (a->cluster->member_count < 2)
            fprintf (stderr, "badactor: %s: forged, garbage-body: a one-member cluster has no "
                     "other member to pass for; 0 sent\n", a->cluster->members [a->targets [k].member].id);
}

static void
s_print (const s_attack_t *a)
{
    printf ("{\"targets\":{");
    for (size_t k = 0; k < a->target_count; k++) {
        const s_target_t *t = &a->targets [k];
        printf ("%s\"%s\":{", k ? "," : "", a->cluster->members [t->member].id);
        for (int c = 0; c < BA_CATEGORIES; c++)
            printf ("%s\"%s\":%llu", c ? "," : "", s_categories [c].name,
                    (unsigned long long) t->sent [c]);
        printf ("}");
    }
    printf ("},\"reasons\":{");
    for (int c = 0; c < BA_CATEGORIES; c++)
        printf ("%s\"%s\":[%s]", c ? "," : "", s_categories [c].name, s_categories [c].reasons);
    printf ("},\"captured\":%zu}\n", a->captured_count);
    fflush (stdout);
}

static void
s_cleanup (s_attack_t *a)
{
    for (size_t k = 0; k < a->target_count; k++) {
        s_unmonitor (&a->targets [k]);
        zsock_destroy (&a->targets [k].dealer);
    }
    free (a->captured);
    keys_destroy (&a->fresh);
    keys_destroy (&a->member_keys);
    cluster_destroy (&a->cluster);
}

int
main (int argc, char *argv [])
{
    zsys_set_logstream (stderr);        //  stdout carries the JSON only
    s_attack_t attack = { .count = BA_COUNT_DEFAULT, .capture_ms = BA_CAPTURE_MS_DEFAULT };
    s_attack_t *a = &attack;
    const char *targets [CORE_MEMBERS_MAX];
    size_t target_count;
    int rc = s_options (argc, argv, a, targets, &target_count);
    if (rc == 0)
        rc = s_load (a, targets, target_count);
    if (rc == 0 && s_capture (a))
        rc = BA_EXIT_FAILED;
    if (rc == 0 && a->captured_count == 0) {
        fprintf (stderr, "badactor: no genuine heartbeat or beacon heard in %llu ms; nothing to "
                 "replay, nothing sent\n", (unsigned long long) a->capture_ms);
        rc = BA_EXIT_FAILED;
    }
    uint64_t settle_until_ms = (uint64_t) zclock_mono () + BA_SETTLE_MS;
    if (rc == 0 && s_connect_all (a))
        rc = BA_EXIT_FAILED;
    if (rc == 0) {
        s_attack (a, settle_until_ms);
        //  Close with linger, then end the context: zmq_ctx_term returns
        //  once everything queued has been written to the targets.
        for (size_t k = 0; k < a->target_count; k++)
            zsock_destroy (&a->targets [k].dealer);
        zsys_shutdown ();
        s_print (a);
        for (size_t k = 0; k < a->target_count; k++)
            if (a->targets [k].failed) {
                fprintf (stderr, "badactor: %s: a send did not complete within %d ms; stopped there\n",
                         a->cluster->members [a->targets [k].member].id, BA_SEND_TIMEOUT_MS);
                rc = BA_EXIT_FAILED;
            }
    }
    s_cleanup (a);
    return rc;
}
