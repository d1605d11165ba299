/*  bench_wire: throughput of the wire and crypto layers on this machine.

    Prints, for a heartbeat-sized message (a leader's heartbeat with its
    status counters): Ed25519 sign and verify, body encode and decode, and
    the whole receive path (frame caps, head, signature, decode, replay)
    per accepted message, on bytes and through a zmsg; plus the cost of
    rejecting a forged message and a foreign one, which bounds what a
    flood of garbage costs a node.

    Usage: bench_wire [seconds per figure, default 0.5]
    A program that prints figures, not a test.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "envelope.h"
#include "keys.h"
#include "msg.h"
#include "peers.h"
#include "rx.h"
#include "sign.h"
#include "tx.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
s_report (const char *what, size_t count, double seconds)
{
    printf ("  %-44s %12.0f /s %10.2f us\n", what, (double) count / seconds,
            seconds * 1e6 / (double) count);
}

static volatile int s_sink;         //  Keeps results alive

static void
s_heartbeat (wire_msg_t *msg)
{
    wire_msg_init (msg, WIRE_HEARTBEAT);
    strcpy (msg->to, "*");
    msg->term = 42;
    msg->heartbeat.role = WIRE_LEADER;
    msg->heartbeat.has_leader = true;
    strcpy (msg->heartbeat.leader, "n1");
    msg->heartbeat.hb_ms = 123456789;
    msg->heartbeat.has_lease = true;
    msg->heartbeat.lease_remaining_ms = 180;
    msg->heartbeat.has_lease_expiry = true;
    msg->heartbeat.lease_expiry_ms = 123456969;
    msg->heartbeat.has_status = true;
    msg->heartbeat.status = (wire_status_t) { 3, 5, 2, 0, 17, 0, 1234567, 89 };
}

int
main (int argc, char **argv)
{
    double budget = argc > 1 ? atof (argv [1]) : 0.5;
    if (budget <= 0)
        budget = 0.5;
    uint8_t seed [32];
    for (int i = 0; i < 32; i++)
        seed [i] = (uint8_t) i;
    keys_t *keys = keys_new_from_seed (seed);
    seed [0] = 0xff;
    keys_t *other = keys_new_from_seed (seed);
    wire_peers_t *peers = wire_peers_new ();
    wire_peers_add (peers, "n1", keys_public (keys));
    wire_peers_add (peers, "n2", keys_public (other));
    wire_tx_t *tx = wire_tx_new ("prod", "n1", keys, 1);
    if (!keys || !other || !peers || !tx) {
        fprintf (stderr, "bench_wire: setup failed\n");
        return 1;
    }
    wire_msg_t msg;
    s_heartbeat (&msg);
    wire_sealed_t sealed;
    wire_tx_seal (tx, &msg, &sealed);
    printf ("bench_wire: heartbeat body %zu bytes, head %zu, signature %d; "
            "%.2f s per figure\n", sealed.body_size, sealed.head_size, WIRE_SIG_BYTES, budget);

    //  Crypto
    size_t count = 0;
    uint8_t sig [WIRE_SIG_BYTES];
    double start = s_now (), elapsed;
    do {
        for (int i = 0; i < 100; i++)
            sign_detached (keys, sealed.body, sealed.body_size, sig);
        count += 100;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("Ed25519 sign (domain || body)", count, elapsed);

    count = 0;
    start = s_now ();
    do {
        for (int i = 0; i < 100; i++)
            s_sink += sign_verify (keys_public (keys), sealed.body, sealed.body_size, sealed.sig);
        count += 100;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("Ed25519 verify", count, elapsed);

    //  Codec
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    count = 0;
    start = s_now ();
    do {
        for (int i = 0; i < 1000; i++)
            s_sink += wire_msg_encode (&msg, body, sizeof (body), &size);
        count += 1000;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("body encode (msgpack-c packer)", count, elapsed);

    wire_msg_t out;
    count = 0;
    start = s_now ();
    do {
        for (int i = 0; i < 1000; i++)
            s_sink += wire_msg_decode (sealed.body, sealed.body_size, &out, NULL);
        count += 1000;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("body decode (bounded reader)", count, elapsed);

    count = 0;
    start = s_now ();
    do {
        for (int i = 0; i < 100; i++) {
            s_heartbeat (&msg);
            s_sink += wire_tx_seal (tx, &msg, &sealed);
        }
        count += 100;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("send path: stamp + encode + sign", count, elapsed);

    //  Receive path: pre-seal fresh messages (each seq used once), then time
    //  only the receiving side.
    size_t batch = 4096;
    wire_sealed_t *pool = malloc (batch * sizeof (wire_sealed_t));
    if (!pool)
        return 1;
    wire_rx_t *rx = wire_rx_new ("prod", "n2", peers);
    wire_rx_set_logger (rx, NULL, NULL);
    size_t accepted = 0;
    elapsed = 0;
    while (elapsed < budget) {
        for (size_t i = 0; i < batch; i++) {
            s_heartbeat (&msg);
            wire_tx_seal (tx, &msg, &pool [i]);
        }
        start = s_now ();
        for (size_t i = 0; i < batch; i++) {
            wire_bytes_t frames [3] = {
                { (const uint8_t *) pool [i].head, pool [i].head_size },
                { pool [i].body, pool [i].body_size },
                { pool [i].sig, WIRE_SIG_BYTES }
            };
            accepted += wire_rx_accept_frames (rx, frames, 3, 0, &out, NULL) == 0;
        }
        elapsed += s_now () - start;
    }
    if (accepted != wire_rx_accepted (rx) || wire_rx_rejected (rx, WIRE_REJECT_NONE) != 0) {
        fprintf (stderr, "bench_wire: receive path rejected a valid message\n");
        return 1;
    }
    s_report ("receive path, accepted (bytes)", accepted, elapsed);

    size_t via_zmsg = 0;
    elapsed = 0;
    while (elapsed < budget) {
        zmsg_t *zmsgs [256];
        for (size_t i = 0; i < 256; i++) {
            s_heartbeat (&msg);
            zmsgs [i] = wire_tx_zmsg (tx, &msg);
        }
        start = s_now ();
        for (size_t i = 0; i < 256; i++) {
            via_zmsg += wire_rx_accept (rx, zmsgs [i], false, 0, &out, NULL) == 0;
            zmsg_destroy (&zmsgs [i]);
        }
        elapsed += s_now () - start;
    }
    s_report ("receive path, accepted (zmsg, incl. free)", via_zmsg, elapsed);

    //  Rejections: a forged signature costs a verify; another cluster's
    //  message is dropped at the head.
    wire_sealed_t forged = pool [0];
    forged.sig [5] ^= 1;
    wire_bytes_t bad [3] = {
        { (const uint8_t *) forged.head, forged.head_size },
        { forged.body, forged.body_size },
        { forged.sig, WIRE_SIG_BYTES }
    };
    count = 0;
    start = s_now ();
    do {
        for (int i = 0; i < 100; i++)
            s_sink += wire_rx_accept_frames (rx, bad, 3, 0, &out, NULL);
        count += 100;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("receive path, rejected: bad signature", count, elapsed);

    static const char foreign [] = "incidentmesh/1 other heartbeat n1";
    bad [0] = (wire_bytes_t) { (const uint8_t *) foreign, sizeof (foreign) - 1 };
    count = 0;
    start = s_now ();
    do {
        for (int i = 0; i < 1000; i++)
            s_sink += wire_rx_accept_frames (rx, bad, 3, 0, &out, NULL);
        count += 1000;
    } while ((elapsed = s_now () - start) < budget);
    s_report ("receive path, rejected: wrong cluster", count, elapsed);

    free (pool);
    wire_rx_destroy (&rx);
    wire_tx_destroy (&tx);
    wire_peers_destroy (&peers);
    keys_destroy (&keys);
    keys_destroy (&other);
    return 0;
}
