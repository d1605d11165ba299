/*  test_rx: the receive path, end to end on bytes.

    Every rejection test asserts (1) the specific reason, (2) that nothing
    changed but that reason's counter (snapshot of all counters and of every
    sender's replay high-water mark), and (3) that the legitimate message
    carrying the SAME sequence number is still accepted afterwards, which
    shows the rejected copy left no trace in the replay window.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>
#include "fixture.h"
#include "sign.h"

#define S_PRINCIPALS    (FX_CLIENT_INDEX + 1)       //  n1, n2, n3, ops

typedef struct {
    uint64_t accepted;
    uint64_t rejected [WIRE_REJECT_COUNT];
    uint64_t incarnation [S_PRINCIPALS];
    uint64_t seq [S_PRINCIPALS];
} snap_t;

static snap_t
s_snap (const wire_rx_t *rx)
{
    snap_t snap;
    memset (&snap, 0, sizeof (snap));
    snap.accepted = wire_rx_accepted (rx);
    for (int r = 0; r < WIRE_REJECT_COUNT; r++)
        snap.rejected [r] = wire_rx_rejected (rx, (wire_reject_t) r);
    for (uint32_t i = 0; i < S_PRINCIPALS; i++)
        assert_int_equal (wire_rx_peer_state (rx, i, &snap.incarnation [i], &snap.seq [i]), 0);
    return snap;
}

//  After a rejection for reason: only that counter (and the total) moved.
static void
s_assert_only_counted (const snap_t *before, const snap_t *after, wire_reject_t reason)
{
    assert_int_equal (after->accepted, before->accepted);
    for (int r = 1; r < WIRE_REJECT_COUNT; r++)
        assert_int_equal (after->rejected [r], before->rejected [r] + (r == (int) reason));
    assert_int_equal (after->rejected [0], before->rejected [0] + 1);
    for (int i = 0; i < S_PRINCIPALS; i++) {
        assert_int_equal (after->incarnation [i], before->incarnation [i]);
        assert_int_equal (after->seq [i], before->seq [i]);
    }
}

//  Deliver frames expecting a rejection for reason; checks state unchanged.
static void
s_expect_reject_frames (fx_t *fx, const wire_bytes_t *frames, size_t count, wire_reject_t reason)
{
    snap_t before = s_snap (fx->rx);
    wire_msg_t out;
    memset (&out, 0xa5, sizeof (out));
    wire_reject_t got = WIRE_REJECT_NONE;
    int rc = wire_rx_accept_frames (fx->rx, frames, count, 1000, &out, &got);
    if (rc != -1 || got != reason)
        fail_msg ("expected %s, got rc %d reason %s", wire_reject_name (reason), rc,
                  wire_reject_name (got));
    //  A rejected message leaves nothing behind in out either.
    wire_msg_t zero;
    memset (&zero, 0, sizeof (zero));
    assert_memory_equal (&out, &zero, sizeof (out));
    snap_t after = s_snap (fx->rx);
    s_assert_only_counted (&before, &after, reason);
}

static void
s_expect_reject (fx_t *fx, const wire_sealed_t *sealed, wire_reject_t reason)
{
    wire_bytes_t frames [3] = {
        { (const uint8_t *) sealed->head, sealed->head_size },
        { sealed->body, sealed->body_size },
        { sealed->sig, WIRE_SIG_BYTES }
    };
    s_expect_reject_frames (fx, frames, 3, reason);
}

static void
s_expect_accept (fx_t *fx, const wire_sealed_t *sealed, const wire_msg_t *sent)
{
    uint64_t accepted = wire_rx_accepted (fx->rx);
    uint64_t rejected = wire_rx_rejected (fx->rx, WIRE_REJECT_NONE);
    wire_msg_t out;
    wire_reject_t reason = WIRE_REJECT_COUNT;
    int rc = fx_deliver (fx->rx, sealed, 1000, &out, &reason);
    if (rc != 0)
        fail_msg ("expected accept, got %s", wire_reject_name (reason));
    assert_int_equal (reason, WIRE_REJECT_NONE);
    if (sent)
        assert_true (wire_msg_equal (&out, sent));
    assert_int_equal (wire_rx_accepted (fx->rx), accepted + 1);
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_NONE), rejected);
}

//  A heartbeat and a vote request sealed by n1 for n2, next seq.
static void
s_seal (fx_t *fx, int from, wire_type_t type, const char *to, wire_msg_t *msg, wire_sealed_t *sealed)
{
    fx_msg (msg, type, to, 7);
    assert_int_equal (wire_tx_seal (fx->tx [from], msg, sealed), 0);
}


//  --------------------------------------------------------------------------

static void
test_accepts_every_type (void **state)
{
    fx_t *fx = (fx_t *) *state;
    int sent = 0;
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        if (!(WIRE_TYPES_MEMBER & WIRE_TYPE_BIT (type)))
            continue;           //  Transfer and client requests: test_client_requests
        sent++;
        for (int from = FX_N1; from <= FX_N3; from += 2) {
            wire_msg_t msg;
            wire_sealed_t sealed;
            const char *to = wire_type_broadcast ((wire_type_t) type) ? "*" : "n2";
            s_seal (fx, from, (wire_type_t) type, to, &msg, &sealed);
            s_expect_accept (fx, &sealed, &msg);
        }
    }
    //  Heartbeats may also be addressed to one member.
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "n2", &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_NONE), 0);
    uint64_t inc, seq;
    assert_int_equal (wire_rx_peer_state (fx->rx, FX_N1, &inc, &seq), 0);
    assert_int_equal (inc, FX_INCARNATION);
    assert_int_equal (seq, sent + 1);
    assert_int_equal (sent, WIRE_TYPE_MAX - 2);         //  All but transfer- and client-request
    assert_int_equal (wire_rx_peer_state (fx->rx, FX_N2, &inc, &seq), 0);
    assert_int_equal (inc, 0);
    assert_int_equal (wire_rx_peer_state (fx->rx, FX_CLIENT_INDEX, &inc, &seq), 0);
    assert_int_equal (inc, 0);
    assert_int_equal (wire_rx_peer_state (fx->rx, FX_CLIENT_INDEX + 1, &inc, &seq), -1);
}

//  A client's request, sealed by its own sender (next seq).
static void
s_seal_client (fx_t *fx, wire_type_t type, wire_msg_t *msg, wire_sealed_t *sealed)
{
    fx_msg (msg, type, "n2", 7);
    assert_int_equal (wire_tx_seal (fx->client_tx, msg, sealed), 0);
}

//  Sealed as the client, with the given type and seq (not through its tx).
static void
s_seal_client_as (fx_t *fx, wire_type_t type, const char *to, uint64_t incarnation,
                  uint64_t seq, wire_msg_t *msg, wire_sealed_t *sealed)
{
    fx_msg (msg, type, to, 7);
    fx_stamp (msg, FX_CLUSTER, FX_CLIENT, incarnation, seq);
    assert_int_equal (wire_seal (fx->client, msg, sealed), 0);
}

static void
test_client_requests (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    //  What a client may send: accepted, from its own window
    s_seal_client (fx, WIRE_TRANSFER_REQ, &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    assert_string_equal (msg.transfer_req.target, "n3");
    s_seal_client (fx, WIRE_STATUS_REQ, &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    s_seal_client (fx, WIRE_CLIENT_REQ, &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    assert_int_equal (msg.client_req.op, WIRE_OP_CAS);
    uint64_t inc, seq;
    assert_int_equal (wire_rx_peer_state (fx->rx, FX_CLIENT_INDEX, &inc, &seq), 0);
    assert_int_equal (inc, FX_CLIENT_INCARNATION);
    assert_int_equal (seq, 3);
    //  Everything else, validly signed by the client: not permitted, and
    //  each leaves its seq unused (the same seq then carries a request)
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        if (WIRE_TYPES_CLIENT & WIRE_TYPE_BIT (type))
            continue;
        s_seal_client_as (fx, (wire_type_t) type, wire_type_broadcast ((wire_type_t) type) ? "*" : "n2",
                          FX_CLIENT_INCARNATION, 10 + (uint64_t) type, &msg, &sealed);
        s_expect_reject (fx, &sealed, WIRE_REJECT_NOT_PERMITTED);
        s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION,
                          10 + (uint64_t) type, &msg, &sealed);
        s_expect_accept (fx, &sealed, &msg);
    }
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_NOT_PERMITTED), WIRE_TYPE_MAX - 3);
    //  The log names the rule, and who broke it
    assert_true (fx->log_count >= 1);
    assert_non_null (strstr (fx->log [0], "not-permitted"));
    assert_non_null (strstr (fx->log [0], FX_CLIENT));
}

static void
test_member_may_not_request (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    //  A member's key is a node's, never an operator's
    fx_msg (&msg, WIRE_TRANSFER_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 5);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_NOT_PERMITTED);
    //  A node narrows its members to the consensus messages and beacons: a
    //  status request, a transfer or client reply, or a client request from
    //  a member is refused there
    wire_peers_t *node = wire_peers_dup (fx->peers);
    for (uint32_t i = 0; i < FX_MEMBERS; i++)
        assert_int_equal (wire_peers_set_types (node, i, WIRE_TYPES_PEER), 0);
    wire_rx_t *rx = wire_rx_new (FX_CLUSTER, "n2", node);
    assert_non_null (rx);
    wire_rx_set_logger (rx, NULL, NULL);
    wire_type_t refused [] = { WIRE_STATUS_REQ, WIRE_STATUS_RESP, WIRE_TRANSFER_REQ,
                               WIRE_TRANSFER_RESP, WIRE_CLIENT_REQ, WIRE_CLIENT_RESP };
    wire_msg_t out;
    wire_reject_t reason;
    for (size_t i = 0; i < sizeof (refused) / sizeof (refused [0]); i++) {
        fx_msg (&msg, refused [i], "n2", 7);
        fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 20 + i);
        assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
        assert_int_equal (fx_deliver (rx, &sealed, 0, &out, &reason), -1);
        assert_int_equal (reason, WIRE_REJECT_NOT_PERMITTED);
    }
    //  ... while every consensus message passes, and a beacon (broadcast)
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        if (!(WIRE_TYPES_PEER & WIRE_TYPE_BIT (type)))
            continue;
        fx_msg (&msg, (wire_type_t) type, type == WIRE_BEACON ? "*" : "n2", 7);
        fx_stamp (&msg, FX_CLUSTER, "n3", FX_INCARNATION, (uint64_t) type);
        assert_int_equal (wire_seal (fx->keys [FX_N3], &msg, &sealed), 0);
        assert_int_equal (fx_deliver (rx, &sealed, 0, &out, &reason), 0);
    }
    assert_int_equal (wire_rx_rejected (rx, WIRE_REJECT_NOT_PERMITTED), 6);
    assert_int_equal (wire_rx_accepted (rx), 11);       //  7 election, 3 replication, beacon
    //  A client's beacon is refused: only members publish them
    fx_msg (&msg, WIRE_BEACON, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, FX_CLIENT, FX_CLIENT_INCARNATION, 99);
    assert_int_equal (wire_seal (fx->client, &msg, &sealed), 0);
    assert_int_equal (fx_deliver (rx, &sealed, 0, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_NOT_PERMITTED);
    //  A client with no types at all may send nothing
    assert_int_equal (wire_peers_set_types (node, FX_CLIENT_INDEX, 0), 0);
    wire_rx_t *closed = wire_rx_new (FX_CLUSTER, "n2", node);
    wire_rx_set_logger (closed, NULL, NULL);
    s_seal_client (fx, WIRE_TRANSFER_REQ, &msg, &sealed);
    assert_int_equal (fx_deliver (closed, &sealed, 0, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_NOT_PERMITTED);
    wire_rx_destroy (&closed);
    wire_rx_destroy (&rx);
    wire_peers_destroy (&node);
}

static void
test_client_forged_and_unknown (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    //  A client not in the table
    fx_msg (&msg, WIRE_TRANSFER_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "ghost", FX_CLIENT_INCARNATION, 1);
    assert_int_equal (wire_seal (fx->stranger, &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_UNKNOWN_SENDER);
    //  Someone else's key under the client's name
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION, 1, &msg, &sealed);
    wire_sealed_t forged;
    assert_int_equal (wire_seal (fx->stranger, &msg, &forged), 0);
    s_expect_reject (fx, &forged, WIRE_REJECT_BAD_SIGNATURE);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &forged), 0);
    s_expect_reject (fx, &forged, WIRE_REJECT_BAD_SIGNATURE);
    //  The client's key under a member's name: a consensus message
    wire_msg_t other;
    fx_msg (&other, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&other, FX_CLUSTER, "n1", FX_INCARNATION, 1);
    assert_int_equal (wire_seal (fx->client, &other, &forged), 0);
    s_expect_reject (fx, &forged, WIRE_REJECT_BAD_SIGNATURE);
    //  A request for n3 is not n2's
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n3", FX_CLIENT_INCARNATION, 1, &other, &forged);
    s_expect_reject (fx, &forged, WIRE_REJECT_WRONG_RECIPIENT);
    //  None of it used up the client's seq 1
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_client_replay (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg, later_msg;
    wire_sealed_t sealed, later;
    //  meshctl's pattern: each invocation a larger incarnation, seq 1
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION, 1, &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    s_expect_reject (fx, &sealed, WIRE_REJECT_REPLAY);
    //  A retry within the invocation takes seq 2
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION, 2, &later_msg, &later);
    s_expect_accept (fx, &later, &later_msg);
    //  The next invocation, a second later
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION + 1000000, 1,
                      &later_msg, &later);
    s_expect_accept (fx, &later, &later_msg);
    //  The first request again: now from an older incarnation
    s_expect_reject (fx, &sealed, WIRE_REJECT_STALE_INCARNATION);
    //  A client whose clock stepped back is refused as stale until it
    //  passes the last value seen
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION + 999999, 1,
                      &msg, &sealed);
    s_expect_reject (fx, &sealed, WIRE_REJECT_STALE_INCARNATION);
    s_seal_client_as (fx, WIRE_TRANSFER_REQ, "n2", FX_CLIENT_INCARNATION + 1000001, 1,
                      &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
}

//  The principal table itself: members first, clients narrow.
static void
test_principal_table (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_peers_t *peers = wire_peers_new ();
    uint8_t key [KEYS_PUBLIC_BYTES];
    memset (key, 0, sizeof (key));
    char id [16];
    //  64 members, then no more
    for (int i = 0; i < WIRE_MEMBERS_MAX; i++) {
        key [0] = (uint8_t) i;
        snprintf (id, sizeof (id), "m%d", i);
        assert_int_equal (wire_peers_add (peers, id, key), i);
    }
    key [0] = 200;
    assert_int_equal (wire_peers_add (peers, "m64", key), -1);
    assert_int_equal (wire_peers_members (peers), WIRE_MEMBERS_MAX);
    //  Clients: only client types; no id or key twice, across kinds
    key [1] = 1;
    assert_int_equal (wire_peers_add_client (peers, "c", key, WIRE_TYPES_CLIENT | WIRE_TYPE_BIT (WIRE_VOTE_REQ)), -1);
    assert_int_equal (wire_peers_add_client (peers, "m3", key, WIRE_TYPES_CLIENT), -1);
    key [1] = 0;
    key [0] = 5;
    assert_int_equal (wire_peers_add_client (peers, "c", key, WIRE_TYPES_CLIENT), -1);   //  m5's key
    assert_int_equal (wire_peers_add_client (peers, "*", key, WIRE_TYPES_CLIENT), -1);
    key [1] = 1;
    for (int i = 0; i < WIRE_CLIENTS_MAX; i++) {
        key [0] = (uint8_t) i;
        snprintf (id, sizeof (id), "c%d", i);
        assert_int_equal (wire_peers_add_client (peers, id, key, WIRE_TYPES_CLIENT),
                          WIRE_MEMBERS_MAX + i);
    }
    key [0] = 200;
    assert_int_equal (wire_peers_add_client (peers, "c64", key, WIRE_TYPES_CLIENT), -1);
    assert_int_equal (wire_peers_size (peers), WIRE_PEERS_MAX);
    assert_int_equal (wire_peers_members (peers), WIRE_MEMBERS_MAX);
    wire_peers_destroy (&peers);

    //  Members after a client: refused (a member's index is its core number)
    peers = wire_peers_dup (fx->peers);
    assert_int_equal (wire_peers_size (peers), FX_CLIENT_INDEX + 1);
    assert_int_equal (wire_peers_members (peers), FX_MEMBERS);
    key [0] = 99;
    assert_int_equal (wire_peers_add (peers, "n4", key), -1);
    //  What each may send
    assert_true (wire_peers_allows (peers, FX_N1, WIRE_VOTE_REQ));
    assert_true (wire_peers_allows (peers, FX_N1, WIRE_TRANSFER_RESP));
    assert_false (wire_peers_allows (peers, FX_N1, WIRE_TRANSFER_REQ));
    assert_true (wire_peers_allows (peers, FX_CLIENT_INDEX, WIRE_TRANSFER_REQ));
    assert_true (wire_peers_allows (peers, FX_CLIENT_INDEX, WIRE_STATUS_REQ));
    assert_false (wire_peers_allows (peers, FX_CLIENT_INDEX, WIRE_HEARTBEAT));
    assert_false (wire_peers_allows (peers, FX_CLIENT_INDEX, WIRE_TRANSFER_RESP));
    assert_false (wire_peers_allows (peers, FX_CLIENT_INDEX + 1, WIRE_TRANSFER_REQ));
    assert_false (wire_peers_allows (peers, FX_N1, (wire_type_t) 40));
    //  Narrowing; a client cannot be widened beyond client requests
    assert_int_equal (wire_peers_set_types (peers, FX_N1, WIRE_TYPES_CORE), 0);
    assert_false (wire_peers_allows (peers, FX_N1, WIRE_STATUS_REQ));
    assert_int_equal (wire_peers_set_types (peers, FX_CLIENT_INDEX, WIRE_TYPES_CORE), -1);
    assert_true (wire_peers_allows (peers, FX_CLIENT_INDEX, WIRE_TRANSFER_REQ));
    assert_int_equal (wire_peers_set_types (peers, FX_CLIENT_INDEX + 1, 0), -1);
    assert_string_equal (wire_peers_id (peers, FX_CLIENT_INDEX), FX_CLIENT);
    assert_memory_equal (wire_peers_key (peers, FX_CLIENT_INDEX), keys_public (fx->client),
                         KEYS_PUBLIC_BYTES);
    wire_peers_destroy (&peers);
}

static void
test_zmsg_sub_and_router (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg, out;
    wire_reject_t reason;
    //  As a SUB socket receives it: head (topic), body, sig
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    zmsg_t *zmsg = wire_tx_zmsg (fx->tx [FX_N1], &msg);
    assert_non_null (zmsg);
    assert_int_equal (zmsg_size (zmsg), 3);
    assert_int_equal (wire_rx_accept (fx->rx, zmsg, false, 1000, &out, &reason), 0);
    assert_true (wire_msg_equal (&out, &msg));
    //  The same frames again: a replay, whatever the channel
    assert_int_equal (wire_rx_accept (fx->rx, zmsg, true, 1000, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_MALFORMED);      //  Head taken as identity: 2 frames
    zmsg_pushstrf (zmsg, "identity");
    assert_int_equal (wire_rx_accept (fx->rx, zmsg, true, 1000, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_REPLAY);
    zmsg_destroy (&zmsg);

    //  As a ROUTER socket receives it: identity, head, body, sig
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 8);
    zmsg = wire_tx_zmsg (fx->tx [FX_N3], &msg);
    assert_non_null (zmsg);
    zmsg_pushmem (zmsg, "\0\x12\x34\x56\x78", 5);
    assert_int_equal (wire_rx_accept (fx->rx, zmsg, true, 1000, &out, &reason), 0);
    assert_int_equal (reason, WIRE_REJECT_NONE);
    assert_true (wire_msg_equal (&out, &msg));
    zmsg_destroy (&zmsg);

    //  A ROUTER message with nothing after the identity
    zmsg = zmsg_new ();
    zmsg_addstr (zmsg, "identity");
    assert_int_equal (wire_rx_accept (fx->rx, zmsg, true, 1000, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_MALFORMED);
    zmsg_destroy (&zmsg);
}

static void
test_body_byte_flips (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    for (size_t i = 0; i < sealed.body_size; i++) {
        for (int mask = 0x01; mask <= 0x80; mask <<= 7) {
            wire_sealed_t bad = sealed;
            bad.body [i] ^= (uint8_t) mask;
            s_expect_reject (fx, &bad, WIRE_REJECT_BAD_SIGNATURE);
        }
    }
    s_expect_accept (fx, &sealed, &msg);
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_BAD_SIGNATURE), 2 * sealed.body_size);
}

static void
test_sig_byte_flips (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N3, WIRE_VOTE_RESP, "n2", &msg, &sealed);
    for (size_t i = 0; i < WIRE_SIG_BYTES; i++) {
        for (int mask = 0x01; mask <= 0x80; mask <<= 7) {
            wire_sealed_t bad = sealed;
            bad.sig [i] ^= (uint8_t) mask;
            s_expect_reject (fx, &bad, WIRE_REJECT_BAD_SIGNATURE);
        }
    }
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_head_byte_flips (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    //  Any change to the unsigned head is caught, for the reason its
    //  position implies: "incidentmesh/1 prod heartbeat n1" flipped in the
    //  protocol tag, a space or the type name is malformed; a flipped
    //  cluster letter names another cluster; a flipped sender letter an
    //  unknown member. (The signed body would catch anything else.)
    const char *head = "incidentmesh/1 prod heartbeat n1";
    assert_int_equal (sealed.head_size, strlen (head));
    assert_memory_equal (sealed.head, head, sealed.head_size);
    for (size_t i = 0; i < sealed.head_size; i++) {
        wire_sealed_t bad = sealed;
        bad.head [i] ^= 0x01;
        wire_reject_t expect = WIRE_REJECT_MALFORMED;
        if (i >= 15 && i <= 18)
            expect = WIRE_REJECT_WRONG_CLUSTER;
        else
        if (i >= 30)
            expect = WIRE_REJECT_UNKNOWN_SENDER;
        s_expect_reject (fx, &bad, expect);
    }
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_wrong_key (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed, forged;
    s_seal (fx, FX_N1, WIRE_VOTE_REQ, "n2", &msg, &sealed);
    //  Claims to be n1, signed by someone outside the cluster
    assert_int_equal (wire_seal (fx->stranger, &msg, &forged), 0);
    s_expect_reject (fx, &forged, WIRE_REJECT_BAD_SIGNATURE);
    //  Claims to be n1, signed by member n3
    assert_int_equal (wire_seal (fx->keys [FX_N3], &msg, &forged), 0);
    s_expect_reject (fx, &forged, WIRE_REJECT_BAD_SIGNATURE);
    //  n1's valid signature presented as n3's message (head says n3)
    forged = sealed;
    forged.head_size = (size_t) wire_head_format (forged.head, sizeof (forged.head),
                                                  FX_CLUSTER, WIRE_VOTE_REQ, "n3");
    s_expect_reject (fx, &forged, WIRE_REJECT_BAD_SIGNATURE);
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_unknown_sender (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n9", 1, 1);
    assert_int_equal (wire_seal (fx->stranger, &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_UNKNOWN_SENDER);
    //  Our own id, with our own key: not a peer of ours
    fx_stamp (&msg, FX_CLUSTER, "n2", FX_INCARNATION, 1);
    assert_int_equal (wire_seal (fx->keys [FX_N2], &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_UNKNOWN_SENDER);
}

static void
test_signature_length (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    uint8_t longer [WIRE_SIG_BYTES + 1];
    memcpy (longer, sealed.sig, WIRE_SIG_BYTES);
    longer [WIRE_SIG_BYTES] = 0;
    size_t sizes [] = { 0, 1, 32, WIRE_SIG_BYTES - 1, WIRE_SIG_BYTES + 1 };
    for (size_t i = 0; i < sizeof (sizes) / sizeof (sizes [0]); i++) {
        wire_bytes_t frames [3] = {
            { (const uint8_t *) sealed.head, sealed.head_size },
            { sealed.body, sealed.body_size },
            { longer, sizes [i] }
        };
        s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_BAD_SIGNATURE);
    }
    s_expect_accept (fx, &sealed, &msg);
}

//  Re-encode sealed's body with one field changed, keeping the old
//  signature (and fixing the head so only the signature can object).
static void
s_move (const wire_msg_t *msg, const wire_sealed_t *sealed, wire_sealed_t *moved,
        void (*change) (wire_msg_t *))
{
    wire_msg_t changed = *msg;
    change (&changed);
    *moved = *sealed;
    assert_int_equal (wire_msg_encode (&changed, moved->body, sizeof (moved->body),
                                       &moved->body_size), 0);
    int len = wire_head_format (moved->head, sizeof (moved->head), changed.cluster,
                                changed.type, changed.from);
    assert_true (len > 0);
    moved->head_size = (size_t) len;
}

static void s_to_prod (wire_msg_t *msg) { strcpy (msg->cluster, FX_CLUSTER); }
static void s_to_vote (wire_msg_t *msg) { msg->type = WIRE_VOTE_REQ; msg->vote_req.transfer = false; }
static void s_to_n2 (wire_msg_t *msg) { strcpy (msg->to, "n2"); }
static void s_to_term (wire_msg_t *msg) { msg->term++; }

static void
test_signature_moved (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed, moved;

    //  Signed for cluster "dev", relabelled "prod"
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&msg, "dev", "n1", FX_INCARNATION, 50);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_move (&msg, &sealed, &moved, s_to_prod);
    s_expect_reject (fx, &moved, WIRE_REJECT_BAD_SIGNATURE);
    //  ... and as it was: another cluster's message
    s_expect_reject (fx, &sealed, WIRE_REJECT_WRONG_CLUSTER);

    //  Signed as a pre-vote request, presented as a vote request
    fx_msg (&msg, WIRE_PREVOTE_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 51);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_move (&msg, &sealed, &moved, s_to_vote);
    s_expect_reject (fx, &moved, WIRE_REJECT_BAD_SIGNATURE);
    s_expect_accept (fx, &sealed, &msg);

    //  Signed for n3, presented to n2
    fx_msg (&msg, WIRE_VOTE_REQ, "n3", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 52);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_move (&msg, &sealed, &moved, s_to_n2);
    s_expect_reject (fx, &moved, WIRE_REJECT_BAD_SIGNATURE);
    //  ... and as it was: for someone else
    s_expect_reject (fx, &sealed, WIRE_REJECT_WRONG_RECIPIENT);

    //  Any other field: the term
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 52);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_move (&msg, &sealed, &moved, s_to_term);
    s_expect_reject (fx, &moved, WIRE_REJECT_BAD_SIGNATURE);
    //  Seq 52 was never recorded by the rejections above
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_wrong_recipient (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    //  Unicast types may not be broadcast
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        if (wire_type_broadcast ((wire_type_t) type))
            continue;
        fx_msg (&msg, (wire_type_t) type, "*", 7);
        fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 10 + (uint64_t) type);
        assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
        s_expect_reject (fx, &sealed, WIRE_REJECT_WRONG_RECIPIENT);
    }
    //  A heartbeat addressed to n3
    fx_msg (&msg, WIRE_HEARTBEAT, "n3", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 10);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_WRONG_RECIPIENT);
    //  Seq 10 is still free
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 10);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_head_body_mismatch (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed, bad;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    //  The head names another type than the (validly signed) body
    bad = sealed;
    bad.head_size = (size_t) wire_head_format (bad.head, sizeof (bad.head), FX_CLUSTER,
                                               WIRE_STATUS_REQ, "n1");
    s_expect_reject (fx, &bad, WIRE_REJECT_MALFORMED);
    //  The body is another cluster's (signed by n1), the head says ours
    wire_msg_t dev = msg;
    strcpy (dev.cluster, "dev");
    assert_int_equal (wire_seal (fx->keys [FX_N1], &dev, &bad), 0);
    bad.head_size = (size_t) wire_head_format (bad.head, sizeof (bad.head), FX_CLUSTER,
                                               WIRE_HEARTBEAT, "n1");
    s_expect_reject (fx, &bad, WIRE_REJECT_MALFORMED);
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_replay_and_reorder (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg [5];
    wire_sealed_t sealed [5];
    for (int i = 0; i < 5; i++)
        s_seal (fx, FX_N1, i % 2 ? WIRE_HEARTBEAT : WIRE_VOTE_REQ, i % 2 ? "*" : "n2",
                &msg [i], &sealed [i]);
    //  Out of order within the window: 3, 1, 5, 2, 4 are all fresh
    int order [5] = { 2, 0, 4, 1, 3 };
    for (int i = 0; i < 5; i++)
        s_expect_accept (fx, &sealed [order [i]], &msg [order [i]]);
    //  Each again: replay
    for (int i = 0; i < 5; i++)
        s_expect_reject (fx, &sealed [i], WIRE_REJECT_REPLAY);

    //  Slide the window far ahead: seq 1 + 5 + REPLAY_WINDOW_SEQS
    wire_msg_t old_msg, late;
    wire_sealed_t old_sealed, late_sealed;
    s_seal (fx, FX_N1, WIRE_VOTE_REQ, "n2", &old_msg, &old_sealed);            //  seq 6, held back
    fx_msg (&late, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&late, FX_CLUSTER, "n1", FX_INCARNATION, 6 + 1024);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &late, &late_sealed), 0);
    s_expect_accept (fx, &late_sealed, &late);
    //  Seq 6 was never seen but is now below the window: refused, as too
    //  old (a late delivery looks the same), not as a replay
    s_expect_reject (fx, &old_sealed, WIRE_REJECT_TOO_OLD);
}

static void
test_incarnations (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    //  An older incarnation, with a sequence number never used
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION - 1, 100);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_STALE_INCARNATION);
    //  n1 restarts: incarnation 4 starts again at seq 1
    wire_tx_t *tx = wire_tx_new (FX_CLUSTER, "n1", fx->keys [FX_N1], FX_INCARNATION + 1);
    assert_non_null (tx);
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 8);
    assert_int_equal (wire_tx_seal (tx, &msg, &sealed), 0);
    assert_int_equal (msg.seq, 1);
    s_expect_accept (fx, &sealed, &msg);
    //  Now the old incarnation's next message is stale
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 8);
    assert_int_equal (wire_tx_seal (fx->tx [FX_N1], &msg, &sealed), 0);
    s_expect_reject (fx, &sealed, WIRE_REJECT_STALE_INCARNATION);
    //  Other senders are unaffected
    s_seal (fx, FX_N3, WIRE_HEARTBEAT, "*", &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
    wire_tx_destroy (&tx);
}

static void
test_restore_high_water_mark (void **state)
{
    fx_t *fx = (fx_t *) *state;
    //  n1 sent seq 1..10 before we restarted; we saved (3, 10).
    wire_sealed_t sealed [12];
    wire_msg_t msg [12];
    for (int i = 0; i < 12; i++)
        s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg [i], &sealed [i]);
    assert_int_equal (wire_rx_restore (fx->rx, FX_N1, FX_INCARNATION, 10), 0);
    assert_int_equal (wire_rx_restore (fx->rx, 7, 1, 1), -1);
    for (int i = 0; i < 10; i++)
        s_expect_reject (fx, &sealed [i], WIRE_REJECT_REPLAY);
    s_expect_accept (fx, &sealed [11], &msg [11]);
    s_expect_accept (fx, &sealed [10], &msg [10]);
}

static void
test_frame_count (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    wire_bytes_t frames [5] = {
        { (const uint8_t *) sealed.head, sealed.head_size },
        { sealed.body, sealed.body_size },
        { sealed.sig, WIRE_SIG_BYTES },
        { sealed.sig, WIRE_SIG_BYTES },
        { (const uint8_t *) "", 0 }
    };
    for (size_t count = 0; count <= 5; count++)
        if (count != 3)
            s_expect_reject_frames (fx, frames, count, WIRE_REJECT_MALFORMED);
    //  Too many frames through a zmsg, too
    zmsg_t *zmsg = wire_envelope_zmsg (&sealed);
    for (int i = 0; i < 100; i++)
        zmsg_addstr (zmsg, "extra");
    wire_msg_t out;
    wire_reject_t reason;
    assert_int_equal (wire_rx_accept (fx->rx, zmsg, false, 1000, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_MALFORMED);
    zmsg_destroy (&zmsg);
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_oversize (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    static uint8_t big [1 << 20];
    memset (big, 'a', sizeof (big));
    size_t body_sizes [] = { WIRE_BODY_BYTES_MAX + 1, sizeof (big) };
    for (size_t i = 0; i < 2; i++) {
        wire_bytes_t frames [3] = {
            { (const uint8_t *) sealed.head, sealed.head_size },
            { big, body_sizes [i] },
            { sealed.sig, WIRE_SIG_BYTES }
        };
        s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_OVERSIZE);
    }
    wire_bytes_t frames [3] = {
        { big, WIRE_HEAD_BYTES_MAX + 1 },
        { sealed.body, sealed.body_size },
        { sealed.sig, WIRE_SIG_BYTES }
    };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_OVERSIZE);
    //  A body exactly at its type's cap is not oversize (it fails later
    //  instead): a heartbeat's is the small cap, an append's the large one
    frames [0] = (wire_bytes_t) { (const uint8_t *) sealed.head, sealed.head_size };
    frames [1] = (wire_bytes_t) { big, WIRE_SMALL_BODY_BYTES_MAX };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_BAD_SIGNATURE);
    frames [1] = (wire_bytes_t) { big, WIRE_SMALL_BODY_BYTES_MAX + 1 };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_OVERSIZE);
    char head [WIRE_HEAD_BYTES_MAX];
    int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, WIRE_APPEND, "n1");
    frames [0] = (wire_bytes_t) { (const uint8_t *) head, (size_t) head_size };
    frames [1] = (wire_bytes_t) { big, WIRE_BODY_BYTES_MAX };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_BAD_SIGNATURE);
    frames [1] = (wire_bytes_t) { big, WIRE_BODY_BYTES_MAX + 1 };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_OVERSIZE);
    s_expect_accept (fx, &sealed, &msg);
}

//  The type's cap comes from the unsigned head and applies before the
//  signature: even a validly signed body over it is oversize, and a head
//  that claims a large type for a small one is caught after the signature.
static void
test_type_caps (void **state)
{
    fx_t *fx = (fx_t *) *state;
    static uint8_t body [WIRE_BODY_BYTES_MAX];
    uint8_t sig [WIRE_SIG_BYTES];
    char head [WIRE_HEAD_BYTES_MAX];
    memset (body, 0x33, sizeof (body));
    assert_int_equal (sign_detached (fx->keys [FX_N1], body, WIRE_SMALL_BODY_BYTES_MAX + 1, sig), 0);
    wire_type_t small [] = { WIRE_HEARTBEAT, WIRE_VOTE_REQ, WIRE_APPEND_RESP, WIRE_STATUS_RESP };
    for (size_t i = 0; i < sizeof (small) / sizeof (small [0]); i++) {
        int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, small [i], "n1");
        wire_bytes_t frames [3] = {
            { (const uint8_t *) head, (size_t) head_size },
            { body, WIRE_SMALL_BODY_BYTES_MAX + 1 }, { sig, WIRE_SIG_BYTES }
        };
        s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_OVERSIZE);
    }
    //  Under a large type's head the same signed bytes reach the decoder
    int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, WIRE_SNAPSHOT, "n1");
    wire_bytes_t frames [3] = {
        { (const uint8_t *) head, (size_t) head_size },
        { body, WIRE_SMALL_BODY_BYTES_MAX + 1 }, { sig, WIRE_SIG_BYTES }
    };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_MALFORMED);
    //  A valid heartbeat under an append's head: the head and the signed
    //  body disagree
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    wire_sealed_t lying = sealed;
    lying.head_size = (size_t) wire_head_format (lying.head, sizeof (lying.head), FX_CLUSTER,
                                                 WIRE_APPEND, "n1");
    s_expect_reject (fx, &lying, WIRE_REJECT_MALFORMED);
    s_expect_accept (fx, &sealed, &msg);
    //  A large valid append, 64 entries of 512 bytes, is accepted whole
    static const uint8_t payload [WIRE_PAYLOAD_BYTES_MAX] = { 0x5a };
    fx_msg (&msg, WIRE_APPEND, "n2", 7);
    msg.append.entry_count = WIRE_ENTRIES_MAX;
    for (int k = 0; k < WIRE_ENTRIES_MAX; k++)
        msg.append.entries [k] = (wire_entry_t) { 7, 1, payload, WIRE_PAYLOAD_BYTES_MAX };
    assert_int_equal (wire_tx_seal (fx->tx [FX_N1], &msg, &sealed), 0);
    assert_true (sealed.body_size > 32 * 1024);
    s_expect_accept (fx, &sealed, &msg);
}

//  Sign body as n1 and deliver it under a valid n1 heartbeat head.
static void
s_expect_signed_body (fx_t *fx, const uint8_t *body, size_t size, wire_reject_t reason)
{
    char head [WIRE_HEAD_BYTES_MAX];
    int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, WIRE_HEARTBEAT, "n1");
    uint8_t sig [WIRE_SIG_BYTES];
    assert_int_equal (sign_detached (fx->keys [FX_N1], body, size, sig), 0);
    wire_bytes_t frames [3] = {
        { (const uint8_t *) head, (size_t) head_size }, { body, size }, { sig, WIRE_SIG_BYTES }
    };
    s_expect_reject_frames (fx, frames, 3, reason);
    //  The same bytes unsigned never reach the decoder
    memset (sig, 0, sizeof (sig));
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_BAD_SIGNATURE);
}

//  A valid heartbeat body from n1 with one more pair at the end: key 99
//  (ancillary, unknown) and the given value bytes. Returns its size.
static size_t
s_body_plus (const uint8_t *value, size_t value_size, uint8_t *body, size_t cap)
{
    wire_msg_t msg;
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 900);
    msg.heartbeat.has_status = false;           //  A fixmap with room for key 99
    msg.heartbeat.has_lease_expiry = false;
    msg.heartbeat.has_applied = false;
    size_t size;
    assert_int_equal (wire_msg_encode (&msg, body, cap, &size), 0);
    assert_true ((body [0] & 0xf0) == 0x80 && (body [0] & 0x0f) < 15);
    assert_true (size + 1 + value_size <= cap);
    body [0]++;                                 //  One more pair
    body [size++] = 0x63;
    memcpy (body + size, value, value_size);
    return size + value_size;
}

static void
test_msgpack_bombs (void **state)
{
    fx_t *fx = (fx_t *) *state;
    //  5-byte headers declaring ~4 GiB (msgpack-c #985, #1013), alone
    static const uint8_t bombs [][6] = {
        { 0xdd, 0xff, 0xff, 0xff, 0xff },           //  array32
        { 0xdf, 0xff, 0xff, 0xff, 0xff },           //  map32
        { 0xdb, 0xff, 0xff, 0xff, 0xff },           //  str32
        { 0xc6, 0xff, 0xff, 0xff, 0xff },           //  bin32
        { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01 }      //  ext32
    };
    for (size_t i = 0; i < 5; i++)
        s_expect_signed_body (fx, bombs [i], i == 4 ? 6 : 5, WIRE_REJECT_MALFORMED);
    //  ... and inside an otherwise valid body: as the cluster value and as
    //  the value of an unknown (skippable) ancillary key after a full header
    for (size_t i = 0; i < 5; i++) {
        uint8_t body [WIRE_BODY_BYTES_MAX];
        size_t n = 0;
        body [n++] = 0x83;                          //  fixmap, 3 pairs
        body [n++] = 0x00; body [n++] = 0x01;       //  version 1
        body [n++] = 0x01;                          //  cluster:
        memcpy (body + n, bombs [i], i == 4 ? 6 : 5);
        n += i == 4 ? 6 : 5;
        s_expect_signed_body (fx, body, n, WIRE_REJECT_MALFORMED);
        n = s_body_plus (bombs [i], i == 4 ? 6 : 5, body, sizeof (body));
        s_expect_signed_body (fx, body, n, WIRE_REJECT_MALFORMED);
    }
    //  The control: the same body with a small value is accepted
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t n = s_body_plus ((const uint8_t *) "\x91\xc0", 2, body, sizeof (body));
    char head [WIRE_HEAD_BYTES_MAX];
    int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, WIRE_HEARTBEAT, "n1");
    uint8_t sig [WIRE_SIG_BYTES];
    assert_int_equal (sign_detached (fx->keys [FX_N1], body, n, sig), 0);
    wire_bytes_t frames [3] = {
        { (const uint8_t *) head, (size_t) head_size }, { body, n }, { sig, WIRE_SIG_BYTES }
    };
    wire_msg_t out;
    assert_int_equal (wire_rx_accept_frames (fx->rx, frames, 3, 0, &out, NULL), 0);
    assert_int_equal (out.seq, 900);
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_deep_nesting (void **state)
{
    fx_t *fx = (fx_t *) *state;
    //  10,000 nested arrays cannot even fit in a heartbeat's body frame
    static uint8_t deep [10000 + 16];
    memset (deep, 0x91, sizeof (deep));             //  fixarray of 1, repeated
    deep [sizeof (deep) - 1] = 0xc0;
    wire_bytes_t frames [3];
    char head [WIRE_HEAD_BYTES_MAX];
    int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, WIRE_HEARTBEAT, "n1");
    uint8_t sig [WIRE_SIG_BYTES] = { 0 };
    frames [0] = (wire_bytes_t) { (const uint8_t *) head, (size_t) head_size };
    frames [1] = (wire_bytes_t) { deep, sizeof (deep) };
    frames [2] = (wire_bytes_t) { sig, sizeof (sig) };
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_OVERSIZE);
    //  Nesting that fits a frame, signed, reaches the decoder, which stops
    //  at depth WIRE_DEPTH_MAX: 1,000 deep as the body itself, and 900 deep
    //  as an ancillary value after a complete heartbeat header
    s_expect_signed_body (fx, deep + sizeof (deep) - 1001, 1001, WIRE_REJECT_MALFORMED);
    uint8_t body [WIRE_BODY_BYTES_MAX];
    uint8_t nested [900];
    memset (nested, 0x91, sizeof (nested) - 1);
    nested [sizeof (nested) - 1] = 0xc0;
    size_t n = s_body_plus (nested, sizeof (nested), body, sizeof (body));
    s_expect_signed_body (fx, body, n, WIRE_REJECT_MALFORMED);
}

static void
test_unsupported_version (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed, bad;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    //  The head of a version-2 node
    bad = sealed;
    bad.head_size = (size_t) snprintf (bad.head, sizeof (bad.head),
                                       "incidentmesh/2 prod heartbeat n1");
    s_expect_reject (fx, &bad, WIRE_REJECT_UNSUPPORTED_VERSION);
    //  A signed body declaring version 2, with fields version 1 lacks
    uint8_t body [] = { 0x82, 0x00, 0x02, 0x08, 0xa3, 'n', 'e', 'w' };
    s_expect_signed_body (fx, body, sizeof (body), WIRE_REJECT_UNSUPPORTED_VERSION);
    s_expect_accept (fx, &sealed, &msg);
}

static void
test_ancillary_field_accepted (void **state)
{
    fx_t *fx = (fx_t *) *state;
    //  A heartbeat with an ancillary key this version does not know (a
    //  later commit index, say): accepted, the field ignored.
    wire_msg_t msg;
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", FX_INCARNATION, 1);
    msg.heartbeat.has_status = false;           //  A fixmap with room for key 99
    msg.heartbeat.has_lease_expiry = false;
    msg.heartbeat.has_applied = false;
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    assert_true ((body [0] & 0xf0) == 0x80 && (body [0] & 0x0f) < 15);
    body [0]++;                                 //  One more pair
    body [size++] = 0x63;                       //  key 99
    body [size++] = 0x92;                       //  [ 1, {"x": 2} ]
    body [size++] = 0x01;
    body [size++] = 0x81; body [size++] = 0xa1; body [size++] = 'x'; body [size++] = 0x02;
    char head [WIRE_HEAD_BYTES_MAX];
    int head_size = wire_head_format (head, sizeof (head), FX_CLUSTER, WIRE_HEARTBEAT, "n1");
    uint8_t sig [WIRE_SIG_BYTES];
    assert_int_equal (sign_detached (fx->keys [FX_N1], body, size, sig), 0);
    wire_bytes_t frames [3] = {
        { (const uint8_t *) head, (size_t) head_size }, { body, size }, { sig, WIRE_SIG_BYTES }
    };
    wire_msg_t out;
    wire_reject_t reason;
    assert_int_equal (wire_rx_accept_frames (fx->rx, frames, 3, 1000, &out, &reason), 0);
    assert_true (wire_msg_equal (&out, &msg));
    //  The same with a critical key 30 instead: malformed
    body [size - 7] = 0x1e;                    //  The key byte
    assert_int_equal (sign_detached (fx->keys [FX_N1], body, size, sig), 0);
    s_expect_reject_frames (fx, frames, 3, WIRE_REJECT_MALFORMED);
}

static void
test_rate_limited_log (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg, out;
    wire_sealed_t sealed, bad;
    wire_reject_t reason;
    s_seal (fx, FX_N1, WIRE_HEARTBEAT, "*", &msg, &sealed);
    bad = sealed;
    bad.sig [0] ^= 1;
    for (int i = 0; i < 100; i++)
        assert_int_equal (fx_deliver (fx->rx, &bad, 5000, &out, &reason), -1);
    assert_int_equal (fx->log_count, 1);
    assert_non_null (strstr (fx->log [0], "bad-signature"));
    assert_non_null (strstr (fx->log [0], "n1"));
    //  Another reason has its own limit
    wire_sealed_t stale;
    wire_msg_t old;
    fx_msg (&old, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&old, FX_CLUSTER, "n1", 1, 1);
    assert_int_equal (wire_seal (fx->keys [FX_N1], &old, &stale), 0);
    assert_int_equal (fx_deliver (fx->rx, &sealed, 5000, &out, &reason), 0);
    assert_int_equal (fx_deliver (fx->rx, &stale, 5000, &out, &reason), -1);
    assert_int_equal (fx->log_count, 2);
    assert_non_null (strstr (fx->log [1], "stale-incarnation"));
    //  Still within the interval: suppressed
    assert_int_equal (fx_deliver (fx->rx, &bad, 5000 + WIRE_LOG_INTERVAL_MS - 1, &out, &reason), -1);
    assert_int_equal (fx->log_count, 2);
    assert_int_equal (wire_rx_log_suppressed (fx->rx), 100);
    //  After it: logged, with the count of what was not
    assert_int_equal (fx_deliver (fx->rx, &bad, 5000 + WIRE_LOG_INTERVAL_MS, &out, &reason), -1);
    assert_int_equal (fx->log_count, 3);
    assert_non_null (strstr (fx->log [2], "100 more bad-signature"));
    //  Counters saw every one
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_BAD_SIGNATURE), 102);
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_STALE_INCARNATION), 1);
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_NONE), 103);
    //  Raw input never reaches the log
    uint8_t junk [] = "\x1b[31mincidentmesh/1 evil";
    wire_bytes_t frames [3] = { { junk, sizeof (junk) }, { junk, 4 }, { junk, 4 } };
    assert_int_equal (wire_rx_accept_frames (fx->rx, frames, 3, 9000, &out, &reason), -1);
    assert_int_equal (fx->log_count, 4);
    assert_null (strstr (fx->log [3], "evil"));
    assert_null (strchr (fx->log [3], '\x1b'));
    //  No logger: silent, still counted
    wire_rx_set_logger (fx->rx, NULL, NULL);
    assert_int_equal (wire_rx_accept_frames (fx->rx, frames, 3, 20000, &out, &reason), -1);
    assert_int_equal (fx->log_count, 4);
    assert_int_equal (wire_rx_rejected (fx->rx, WIRE_REJECT_MALFORMED), 2);
}

static void
test_constructor_and_names (void **state)
{
    fx_t *fx = (fx_t *) *state;
    assert_null (wire_rx_new ("bad cluster", "n2", fx->peers));
    assert_null (wire_rx_new (FX_CLUSTER, "*", fx->peers));
    assert_null (wire_rx_new (FX_CLUSTER, "n2", NULL));
    //  A monitor that is not a member may receive broadcasts
    wire_rx_t *monitor = wire_rx_new (FX_CLUSTER, "monitor", fx->peers);
    assert_non_null (monitor);
    wire_rx_set_logger (monitor, NULL, NULL);
    wire_msg_t msg, out;
    wire_sealed_t sealed;
    s_seal (fx, FX_N2, WIRE_HEARTBEAT, "*", &msg, &sealed);
    assert_int_equal (fx_deliver (monitor, &sealed, 0, &out, NULL), 0);
    assert_true (wire_msg_equal (&out, &msg));
    wire_rx_destroy (&monitor);
    assert_null (monitor);
    wire_rx_destroy (&monitor);
    const char *names [] = { "accepted", "oversize", "malformed", "unknown-sender",
        "bad-signature", "wrong-cluster", "wrong-recipient", "replay",
        "stale-incarnation", "unsupported-version", "not-permitted", "too-old" };
    assert_int_equal (sizeof (names) / sizeof (names [0]), WIRE_REJECT_COUNT);
    for (int r = 0; r < WIRE_REJECT_COUNT; r++)
        assert_string_equal (wire_reject_name ((wire_reject_t) r), names [r]);
    assert_string_equal (wire_reject_name (WIRE_REJECT_COUNT), "unknown");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_accepts_every_type, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_client_requests, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_member_may_not_request, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_client_forged_and_unknown, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_client_replay, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_principal_table, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_zmsg_sub_and_router, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_body_byte_flips, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_sig_byte_flips, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_head_byte_flips, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_wrong_key, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_unknown_sender, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_signature_length, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_signature_moved, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_wrong_recipient, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_head_body_mismatch, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_replay_and_reorder, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_incarnations, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_restore_high_water_mark, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_frame_count, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_oversize, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_type_caps, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_msgpack_bombs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_deep_nesting, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_unsupported_version, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_ancillary_field_accepted, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_rate_limited_log, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_constructor_and_names, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
