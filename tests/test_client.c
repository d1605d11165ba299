/*  Tests for client.h's write retries, against two scripted members in a
    thread (ROUTER sockets on loopback ports the system picks): a write
    that meets silence is sent again, same request id, to the next member;
    any answer that says what happened ends the call; once a request went
    out unanswered, the call can only end in that answer or "unknown",
    never "unavailable"; client_set_request_id sets the next write's id,
    once, and reads leave it alone.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "client.h"
#include "cluster.h"
#include "envelope.h"
#include "keys.h"
#include "msg.h"
#include "tx.h"
#include <czmq.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_MEMBERS       2
#define S_REQUESTS_MAX  64

//  How a scripted member answers client requests.
typedef enum {
    S_SILENT,                   //  Takes it, says nothing
    S_OK,                       //  accepted, index 7, version 7, term 3
    S_NOT_LEADER                //  not-leader, no leader named
} s_behaviour_t;

//  What the members saw, for the test to read after the call.
typedef struct {
    int member;
    uint64_t request_id;
    uint64_t seq;
    wire_op_t op;
} s_seen_t;

typedef struct {
    zsock_t *routers [S_MEMBERS];
    wire_tx_t *tx [S_MEMBERS];
    s_behaviour_t behaviour [S_MEMBERS];
    s_seen_t seen [S_REQUESTS_MAX];
    size_t seen_count;
} s_members_t;

static s_members_t members;     //  Owned by the actor while it runs

static void
s_answer (int m, zmsg_t *in)
{
    zframe_t *identity = zmsg_pop (in);
    zframe_t *head = zmsg_pop (in);
    zframe_t *body = zmsg_pop (in);
    wire_msg_t request;
    if (identity && head && body
    &&  wire_msg_decode (zframe_data (body), zframe_size (body), &request, NULL) == 0
    &&  request.type == WIRE_CLIENT_REQ && members.seen_count < S_REQUESTS_MAX) {
        members.seen [members.seen_count++] = (s_seen_t) {
            m, request.client_req.request_id, request.seq, request.client_req.op };
        if (members.behaviour [m] != S_SILENT) {
            wire_msg_t reply;
            wire_msg_init (&reply, WIRE_CLIENT_RESP);
            snprintf (reply.to, sizeof reply.to, "%s", request.from);
            reply.term = 3;
            reply.client_resp.reply_to = request.seq;
            reply.client_resp.reply_incarnation = request.incarnation;
            if (members.behaviour [m] == S_OK) {
                reply.client_resp.outcome = WIRE_OUTCOME_ACCEPTED;
                reply.client_resp.index = 7;
                reply.client_resp.version = 7;
                reply.client_resp.has_leader = true;
                snprintf (reply.client_resp.leader, sizeof reply.client_resp.leader, "n%d", m + 1);
            }
            else
                reply.client_resp.outcome = WIRE_OUTCOME_NOT_LEADER;
            zmsg_t *out = wire_tx_zmsg (members.tx [m], &reply);
            assert_non_null (out);
            zmsg_pushmem (out, zframe_data (identity), zframe_size (identity));
            zmsg_send (&out, members.routers [m]);
        }
    }
    zframe_destroy (&identity);
    zframe_destroy (&head);
    zframe_destroy (&body);
}

static void
s_members_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zpoller_t *poller = zpoller_new (pipe, members.routers [0], members.routers [1], NULL);
    zsock_signal (pipe, 0);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == pipe || !which)
            break;                  //  $TERM
        for (int m = 0; m < S_MEMBERS; m++)
            if (which == members.routers [m]) {
                zmsg_t *in = zmsg_recv (members.routers [m]);
                if (in)
                    s_answer (m, in);
                zmsg_destroy (&in);
            }
    }
    zpoller_destroy (&poller);
}

//  The cluster file, keys and sockets; the client as "ops".
typedef struct {
    char dir [64];
    cluster_t *cluster;
    client_t *client;
    keys_t *keys [S_MEMBERS];
    zactor_t *actor;
} s_world_t;

static void
s_world_start (s_world_t *w, s_behaviour_t first, s_behaviour_t second)
{
    memset (&members, 0, sizeof members);
    snprintf (w->dir, sizeof w->dir, "/tmp/test_client.XXXXXX");
    assert_non_null (mkdtemp (w->dir));
    char text [4096], hex [KEYS_HEX_CHARS + 1];
    int at = snprintf (text, sizeof text, "cluster\n    id = test\nmembers\n");
    for (int m = 0; m < S_MEMBERS; m++) {
        uint8_t seed [KEYS_SEED_BYTES] = { (uint8_t) (m + 1) };
        w->keys [m] = keys_new_from_seed (seed);
        members.routers [m] = zsock_new (ZMQ_ROUTER);
        int port = zsock_bind (members.routers [m], "tcp://127.0.0.1:*");
        assert_true (port > 0);
        keys_hex_encode (keys_public (w->keys [m]), hex);
        at += snprintf (text + at, sizeof text - (size_t) at,
                        "    n%d\n        heartbeat = \"tcp://127.0.0.1:%d\"\n"
                        "        rpc = \"tcp://127.0.0.1:%d\"\n        public_key = %s\n",
                        m + 1, port + 1000, port, hex);
        char id [8];
        snprintf (id, sizeof id, "n%d", m + 1);
        members.tx [m] = wire_tx_new ("test", id, w->keys [m], 1);
        assert_non_null (members.tx [m]);
    }
    uint8_t seed [KEYS_SEED_BYTES] = { 99 };
    keys_t *ops = keys_new_from_seed (seed);
    keys_hex_encode (keys_public (ops), hex);
    snprintf (text + at, sizeof text - (size_t) at,
              "clients\n    ops\n        public_key = %s\n        may_write = 1\n"
              "        may_read = 1\n", hex);
    char path [128], err [256];
    snprintf (path, sizeof path, "%s/ops.secret", w->dir);
    assert_int_equal (keys_save_secret (ops, path, err, sizeof err), 0);
    keys_destroy (&ops);
    w->cluster = cluster_parse (text, "test", err, sizeof err);
    if (!w->cluster)
        fail_msg ("%s", err);
    w->client = client_new (w->cluster, "ops", path, err, sizeof err);
    if (!w->client)
        fail_msg ("%s", err);
    members.behaviour [0] = first;
    members.behaviour [1] = second;
    w->actor = zactor_new (s_members_actor, NULL);
    assert_non_null (w->actor);
}

static void
s_world_stop (s_world_t *w)
{
    zactor_destroy (&w->actor);             //  The actor has stopped: members is ours
    client_destroy (&w->client);
    cluster_destroy (&w->cluster);
    for (int m = 0; m < S_MEMBERS; m++) {
        zsock_destroy (&members.routers [m]);
        wire_tx_destroy (&members.tx [m]);
        keys_destroy (&w->keys [m]);
    }
    char path [128];
    snprintf (path, sizeof path, "%s/ops.secret", w->dir);
    unlink (path);
    rmdir (w->dir);
}

//  n1 stays silent, n2 answers: the write goes out again, same request
//  id, to n2 after about a second, and the call ends ok.
static void
test_silent_write_is_sent_again_with_its_id (void **state)
{
    (void) state;
    s_world_t w;
    s_world_start (&w, S_SILENT, S_OK);
    client_result_t result;
    int64_t start = zclock_mono ();
    int rc = client_put (w.client, "beds", "12", 2, 10000, &result);
    int64_t took = zclock_mono () - start;
    s_world_stop (&w);
    assert_int_equal (rc, 0);
    assert_int_equal (result.outcome, CLIENT_OK);
    assert_int_equal (result.index, 7);
    assert_string_equal (result.answered_by, "n2");
    assert_int_equal (result.attempts, 2);
    assert_int_equal (members.seen_count, 2);
    assert_int_equal (members.seen [0].member, 0);
    assert_int_equal (members.seen [1].member, 1);
    assert_true (members.seen [0].request_id != 0);
    assert_true (members.seen [0].request_id == members.seen [1].request_id);
    assert_true (members.seen [0].request_id == result.request_id);
    assert_true (members.seen [0].seq != members.seen [1].seq);    //  Each attempt a new message
    assert_true (took >= 900 && took < 9000);
}

//  Once a write went out unanswered, "not-leader" from another member
//  speaks for that attempt only: at the deadline the outcome is unknown,
//  not unavailable. Every attempt carried the same id.
static void
test_unanswered_write_ends_unknown (void **state)
{
    (void) state;
    s_world_t w;
    s_world_start (&w, S_SILENT, S_NOT_LEADER);
    client_result_t result;
    int rc = client_put (w.client, "beds", "12", 2, 2500, &result);
    s_world_stop (&w);
    assert_int_equal (rc, CLIENT_E_UNKNOWN);
    assert_int_equal (result.outcome, CLIENT_UNKNOWN);
    assert_true (members.seen_count >= 2);
    for (size_t i = 0; i < members.seen_count; i++)
        assert_true (members.seen [i].request_id == result.request_id);

    //  With nothing sent unanswered (every member says not-leader), the
    //  outcome is unavailable: certainly not done
    s_world_start (&w, S_NOT_LEADER, S_NOT_LEADER);
    rc = client_put (w.client, "beds", "12", 2, 1500, &result);
    s_world_stop (&w);
    assert_int_equal (rc, CLIENT_E_UNAVAILABLE);
    assert_int_equal (result.outcome, CLIENT_UNAVAILABLE);
}

//  client_set_request_id: the next write sent uses it, once; a read or a
//  write refused before sending does not take it; 0 is refused.
static void
test_set_request_id (void **state)
{
    (void) state;
    s_world_t w;
    s_world_start (&w, S_OK, S_OK);
    client_result_t result;
    assert_int_equal (client_set_request_id (w.client, 0), -1);
    assert_int_equal (client_set_request_id (w.client, 424242), 0);
    client_get (w.client, "beds", 3000, &result);               //  Answered or not: a read
    uint8_t big [CLIENT_VALUE_MAX + 1] = { 0 };
    assert_int_equal (client_put (w.client, "beds", big, sizeof big, 3000, &result),
                      CLIENT_E_ARGS);                           //  Refused, nothing sent
    assert_int_equal (client_cas (w.client, "beds", 0, "1", 1, 3000, &result), 0);
    assert_int_equal (result.request_id, 424242);
    assert_int_equal (client_put (w.client, "beds", "2", 1, 3000, &result), 0);
    assert_true (result.request_id != 424242 && result.request_id != 0);
    s_world_stop (&w);
    size_t writes = 0;
    for (size_t i = 0; i < members.seen_count; i++)
        if (members.seen [i].op != WIRE_OP_GET)
            assert_int_equal (members.seen [i].request_id, writes++ == 0 ? 424242 : result.request_id);
    assert_int_equal (writes, 2);
}

int
main (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_silent_write_is_sent_again_with_its_id),
        cmocka_unit_test (test_unanswered_write_ends_unknown),
        cmocka_unit_test (test_set_request_id),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
