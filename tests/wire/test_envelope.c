/*  test_envelope: the head frame, the zmsg form, the bounded receive, the
    socket limits, and real sockets: PUB -> SUB and DEALER -> ROUTER over
    TCP on the loopback interface, into the receive path. Waits are
    bounded polls; a test never sleeps on a hope.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "fixture.h"

#define S_WAIT_MS   5000            //  Upper bound for anything to arrive

static void
test_head_format_and_parse (void **state)
{
    (void) state;
    char buf [WIRE_HEAD_BYTES_MAX];
    int len = wire_head_format (buf, sizeof (buf), "prod", WIRE_HEARTBEAT, "n1");
    assert_int_equal (len, (int) strlen ("incidentmesh/1 prod heartbeat n1"));
    assert_memory_equal (buf, "incidentmesh/1 prod heartbeat n1", (size_t) len);
    wire_head_t head;
    assert_int_equal (wire_head_parse ((const uint8_t *) buf, (size_t) len, &head), 0);
    assert_int_equal (head.version, 1);
    assert_string_equal (head.cluster, "prod");
    assert_int_equal (head.type, WIRE_HEARTBEAT);
    assert_string_equal (head.from, "n1");
    //  The longest head fits its cap
    char cluster [65], id [33];
    memset (cluster, 'c', 64);
    cluster [64] = 0;
    memset (id, 'i', 32);
    id [32] = 0;
    len = wire_head_format (buf, sizeof (buf), cluster, WIRE_TRANSFER_REQ, id);
    assert_int_equal (len, 129);            //  "transfer-request" is the longest name
    assert_int_equal (wire_head_parse ((const uint8_t *) buf, (size_t) len, &head), 0);
    assert_int_equal (head.type, WIRE_TRANSFER_REQ);
    assert_int_equal (wire_head_format (buf, 128, cluster, WIRE_TRANSFER_REQ, id), -1);
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++)
        assert_true (wire_head_format (buf, sizeof (buf), cluster, (wire_type_t) type, id) <= 129);
    assert_int_equal (wire_head_format (buf, sizeof (buf), "a b", WIRE_HEARTBEAT, "n1"), -1);
    assert_int_equal (wire_head_format (buf, sizeof (buf), "prod", (wire_type_t) 18, "n1"), -1);
    assert_int_equal (wire_head_format (buf, sizeof (buf), "prod", (wire_type_t) 0, "n1"), -1);
    assert_int_equal (wire_head_format (buf, sizeof (buf), "prod", WIRE_HEARTBEAT, "*"), -1);

    struct { const char *text; int rc; } cases [] = {
        { "incidentmesh/1 prod vote-reply n3",   0 },
        { "incidentmesh/1 prod transfer-request ops", 0 },
        { "incidentmesh/1 prod transfer-reply n1", 0 },
        { "incidentmesh/1 prod append n1",       0 },
        { "incidentmesh/1 prod append-reply n2", 0 },
        { "incidentmesh/1 prod snapshot n1",     0 },
        { "incidentmesh/1 prod client-request ops", 0 },
        { "incidentmesh/1 prod client-reply n1", 0 },
        { "incidentmesh/1 prod client ops",      WIRE_MALFORMED },
        { "incidentmesh/1 prod transfer ops",    WIRE_MALFORMED },
        { "incidentmesh/2 prod heartbeat n1",    WIRE_UNSUPPORTED },
        { "incidentmesh/10 anything at all",     WIRE_UNSUPPORTED },
        { "incidentmesh/01 prod heartbeat n1",   WIRE_MALFORMED },
        { "incidentmesh/0 prod heartbeat n1",    WIRE_MALFORMED },
        { "incidentmesh/123456 prod heartbeat",  WIRE_MALFORMED },
        { "incidentmesh/ prod heartbeat n1",     WIRE_MALFORMED },
        { "incidentmesh/1x prod heartbeat n1",   WIRE_MALFORMED },
        { "incidentmesh/1",                      WIRE_MALFORMED },
        { "incidentmesh/1 ",                     WIRE_MALFORMED },
        { "incidentmesh/1 prod heartbeat",       WIRE_MALFORMED },
        { "incidentmesh/1 prod heartbeat ",      WIRE_MALFORMED },
        { "incidentmesh/1 prod heartbeat n1 ",   WIRE_MALFORMED },
        { "incidentmesh/1 prod heartbeat n1 x",  WIRE_MALFORMED },
        { "incidentmesh/1  prod heartbeat n1",   WIRE_MALFORMED },
        { "incidentmesh/1 prod beat n1",         WIRE_MALFORMED },
        { "incidentmesh/1 prod heartbeat *",     WIRE_MALFORMED },
        { "incidentmesh/1 pr\x01od heartbeat n1", WIRE_MALFORMED },
        { "incidentmesh/1 prod heartbeat n\xc3\xa9", WIRE_MALFORMED },
        { "otherproto/1 prod heartbeat n1",      WIRE_MALFORMED },
        { "",                                    WIRE_MALFORMED },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        int rc = wire_head_parse ((const uint8_t *) cases [i].text, strlen (cases [i].text), &head);
        if (rc != cases [i].rc)
            fail_msg ("'%s': expected %d, got %d", cases [i].text, cases [i].rc, rc);
    }
    //  A NUL inside, and over the cap
    assert_int_equal (wire_head_parse ((const uint8_t *) "incidentmesh/1 prod heartbeat n1\0", 33, &head),
                      WIRE_MALFORMED);
    char big [WIRE_HEAD_BYTES_MAX + 10];
    memset (big, 'a', sizeof (big));
    memcpy (big, "incidentmesh/1 prod heartbeat ", 30);
    assert_int_equal (wire_head_parse ((const uint8_t *) big, sizeof (big), &head), WIRE_MALFORMED);
    //  Topics filter by prefix, with the trailing space
    assert_int_equal (wire_topic (buf, sizeof (buf), "prod", WIRE_HEARTBEAT),
                      (int) strlen ("incidentmesh/1 prod heartbeat "));
    assert_string_equal (buf, "incidentmesh/1 prod heartbeat ");
    assert_int_equal (wire_topic (buf, 10, "prod", WIRE_HEARTBEAT), -1);
    assert_int_equal (wire_topic (buf, sizeof (buf), "", WIRE_HEARTBEAT), -1);
}

static void
test_zmsg_and_bounded_recv (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    wire_sealed_t sealed;
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    assert_int_equal (wire_tx_seal (fx->tx [FX_N1], &msg, &sealed), 0);
    zmsg_t *zmsg = wire_envelope_zmsg (&sealed);
    assert_int_equal (zmsg_size (zmsg), 3);
    zframe_t *frame = zmsg_first (zmsg);
    assert_int_equal (zframe_size (frame), sealed.head_size);
    assert_memory_equal (zframe_data (frame), sealed.head, sealed.head_size);
    frame = zmsg_next (zmsg);
    assert_memory_equal (zframe_data (frame), sealed.body, sealed.body_size);
    frame = zmsg_next (zmsg);
    assert_int_equal (zframe_size (frame), 64);
    zmsg_destroy (&zmsg);

    //  wire_recv keeps frames_max + 1 and drops the rest
    zsock_t *push = zsock_new_push ("inproc://bounded");
    zsock_t *pull = zsock_new_pull ("inproc://bounded");
    assert_non_null (push);
    assert_non_null (pull);
    zmsg = zmsg_new ();
    for (int i = 0; i < 1000; i++)
        zmsg_addstrf (zmsg, "%d", i);
    assert_int_equal (zmsg_send (&zmsg, push), 0);
    zsock_set_rcvtimeo (pull, S_WAIT_MS);
    zmsg_t *got = wire_recv (pull, WIRE_FRAMES);
    assert_non_null (got);
    assert_int_equal (zmsg_size (got), WIRE_FRAMES + 1);
    wire_msg_t out;
    wire_reject_t reason;
    assert_int_equal (wire_rx_accept (fx->rx, got, false, 0, &out, &reason), -1);
    assert_int_equal (reason, WIRE_REJECT_MALFORMED);
    zmsg_destroy (&got);
    //  The next message is intact: the excess was consumed, not left behind
    zmsg = wire_envelope_zmsg (&sealed);
    assert_int_equal (zmsg_send (&zmsg, push), 0);
    got = wire_recv (pull, WIRE_FRAMES);
    assert_non_null (got);
    assert_int_equal (wire_rx_accept (fx->rx, got, false, 0, &out, &reason), 0);
    assert_true (wire_msg_equal (&out, &msg));
    zmsg_destroy (&got);
    //  Nothing to receive: NULL after the timeout
    zsock_set_rcvtimeo (pull, 10);
    assert_null (wire_recv (pull, WIRE_FRAMES));
    zsock_destroy (&push);
    zsock_destroy (&pull);
}

static void
test_socket_limits (void **state)
{
    (void) state;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    //  The DEALER/ROUTER channel carries appends, snapshots and client
    //  traffic; a SUB only heartbeats and beacons
    wire_socket_harden (dealer, WIRE_FRAME_BYTES_MAX);
    wire_socket_harden (sub, WIRE_SMALL_FRAME_BYTES_MAX);
    assert_int_equal (zsock_maxmsgsize (dealer), WIRE_FRAME_BYTES_MAX);
    assert_int_equal (zsock_maxmsgsize (sub), WIRE_SMALL_FRAME_BYTES_MAX);
    assert_int_equal (WIRE_FRAME_BYTES_MAX, WIRE_BODY_BYTES_MAX);
    assert_int_equal (WIRE_SMALL_FRAME_BYTES_MAX, WIRE_SMALL_BODY_BYTES_MAX);
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++)
        if (wire_type_broadcast ((wire_type_t) type))
            assert_int_equal (wire_body_cap ((wire_type_t) type), WIRE_SMALL_FRAME_BYTES_MAX);
    assert_int_equal (zsock_linger (dealer), 0);
    assert_int_equal (zsock_rcvhwm (sub), WIRE_HWM_MSGS);
    assert_int_equal (zsock_sndhwm (dealer), WIRE_HWM_MSGS);
    assert_int_equal (zsock_immediate (dealer), 1);
    assert_int_equal (zsock_immediate (sub), 0);
    zsock_destroy (&dealer);
    zsock_destroy (&sub);
}

//  Receive one message within S_WAIT_MS, or NULL.
static zmsg_t *
s_recv_within (zsock_t *sock, int timeout_ms)
{
    zsock_set_rcvtimeo (sock, timeout_ms);
    return wire_recv (sock, WIRE_FRAMES + 1);
}

static void
test_pub_sub_tcp (void **state)
{
    fx_t *fx = (fx_t *) *state;
    zsock_t *pub = zsock_new (ZMQ_PUB);
    wire_socket_harden (pub, WIRE_SMALL_FRAME_BYTES_MAX);
    int port = zsock_bind (pub, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    wire_socket_harden (sub, WIRE_SMALL_FRAME_BYTES_MAX);
    char topic [WIRE_HEAD_BYTES_MAX];
    assert_true (wire_topic (topic, sizeof (topic), FX_CLUSTER, WIRE_HEARTBEAT) > 0);
    zsock_set_subscribe (sub, topic);
    assert_int_equal (zsock_connect (sub, "tcp://127.0.0.1:%d", port), 0);

    //  Slow joiner: the first heartbeats may be lost; keep publishing
    //  (each with a fresh seq) until one arrives, as a node does.
    zmsg_t *got = NULL;
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    wire_msg_t msg, out;
    while (!got && zclock_mono () < deadline) {
        //  A status request on the same PUB must be filtered out
        fx_msg (&msg, WIRE_STATUS_REQ, "n2", 7);
        zmsg_t *other = wire_tx_zmsg (fx->tx [FX_N1], &msg);
        zmsg_send (&other, pub);
        fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
        zmsg_t *hb = wire_tx_zmsg (fx->tx [FX_N1], &msg);
        assert_int_equal (zmsg_send (&hb, pub), 0);
        got = s_recv_within (sub, 50);
    }
    assert_non_null (got);
    wire_reject_t reason;
    assert_int_equal (wire_rx_accept (fx->rx, got, false, 0, &out, &reason), 0);
    assert_int_equal (out.type, WIRE_HEARTBEAT);
    zmsg_destroy (&got);
    //  Drain: only heartbeats came through the filter
    while ((got = s_recv_within (sub, 100))) {
        wire_head_t head;
        zframe_t *first = zmsg_first (got);
        assert_int_equal (wire_head_parse (zframe_data (first), zframe_size (first), &head), 0);
        assert_int_equal (head.type, WIRE_HEARTBEAT);
        zmsg_destroy (&got);
    }
    //  A heartbeat-topic frame over the SUB's small cap (an append's size
    //  is fine on the DEALER/ROUTER channel) never reaches the application:
    //  libzmq drops the connection while decoding it.
    static uint8_t over [WIRE_SMALL_FRAME_BYTES_MAX + 1];
    zmsg_t *big = zmsg_new ();
    zmsg_addstr (big, "incidentmesh/1 prod heartbeat n1");
    zmsg_addmem (big, over, sizeof (over));
    zmsg_addmem (big, over, 64);
    assert_int_equal (zmsg_send (&big, pub), 0);
    assert_null (s_recv_within (sub, 300));
    zsock_destroy (&sub);
    zsock_destroy (&pub);
}

static void
test_dealer_router_tcp (void **state)
{
    fx_t *fx = (fx_t *) *state;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    wire_socket_harden (router, WIRE_FRAME_BYTES_MAX);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    assert_true (port > 0);
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    wire_socket_harden (dealer, WIRE_FRAME_BYTES_MAX);
    assert_int_equal (zsock_connect (dealer, "tcp://127.0.0.1:%d", port), 0);

    //  With ZMQ_IMMEDIATE the DEALER refuses to queue before it is connected
    wire_msg_t msg, out;
    wire_reject_t reason;
    zmsg_t *got = NULL;
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (!got && zclock_mono () < deadline) {
        fx_msg (&msg, WIRE_VOTE_REQ, "n2", 7);
        zmsg_t *req = wire_tx_zmsg (fx->tx [FX_N3], &msg);
        zsock_set_sndtimeo (dealer, 50);
        if (zmsg_send (&req, dealer) != 0) {
            zmsg_destroy (&req);
            continue;
        }
        got = s_recv_within (router, 200);
    }
    assert_non_null (got);
    assert_int_equal (zmsg_size (got), 4);          //  Identity added by ROUTER
    assert_int_equal (wire_rx_accept (fx->rx, got, true, 0, &out, &reason), 0);
    assert_true (wire_msg_equal (&out, &msg));
    zmsg_destroy (&got);

    //  The largest body there is, a full snapshot chunk, passes the
    //  channel's ZMQ_MAXMSGSIZE and the receive path
    static uint8_t chunk [WIRE_CHUNK_BYTES_MAX];
    for (size_t i = 0; i < sizeof (chunk); i++)
        chunk [i] = (uint8_t) (i * 7);
    fx_msg (&msg, WIRE_SNAPSHOT, "n2", 7);
    msg.snapshot.data = chunk;
    msg.snapshot.size = sizeof (chunk);
    msg.snapshot.offset = 0;
    msg.snapshot.total = 3 * sizeof (chunk);
    zmsg_t *large = wire_tx_zmsg (fx->tx [FX_N3], &msg);
    assert_non_null (large);
    zmsg_first (large);
    assert_true (zframe_size (zmsg_next (large)) > WIRE_BODY_BYTES_MAX - 4096);
    zsock_set_sndtimeo (dealer, S_WAIT_MS);
    assert_int_equal (zmsg_send (&large, dealer), 0);
    got = s_recv_within (router, S_WAIT_MS);
    assert_non_null (got);
    assert_int_equal (wire_rx_accept (fx->rx, got, true, 0, &out, &reason), 0);
    assert_true (wire_msg_equal (&out, &msg));
    assert_memory_equal (out.snapshot.data, chunk, sizeof (chunk));
    zmsg_destroy (&got);

    //  A frame over ZMQ_MAXMSGSIZE never reaches the application: libzmq
    //  drops the connection while decoding it.
    zmsg_t *big = zmsg_new ();
    static uint8_t huge [WIRE_FRAME_BYTES_MAX + 1];
    zmsg_addstr (big, "incidentmesh/1 prod heartbeat n3");
    zmsg_addmem (big, huge, sizeof (huge));
    zmsg_addmem (big, huge, 64);
    assert_int_equal (zmsg_send (&big, dealer), 0);
    got = s_recv_within (router, 300);
    assert_null (got);
    zsock_destroy (&dealer);
    zsock_destroy (&router);
}


int
main (void)
{
    zsys_init ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_head_format_and_parse),
        cmocka_unit_test_setup_teardown (test_zmsg_and_bounded_recv, fx_setup, fx_teardown),
        cmocka_unit_test (test_socket_limits),
        cmocka_unit_test_setup_teardown (test_pub_sub_tcp, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_dealer_router_tcp, fx_setup, fx_teardown),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zsys_shutdown ();
    return rc;
}
