/*  test_coremap: wire <-> core. Every core message type goes out through
    wire_from_core, is sealed, accepted by a receiver and mapped back with
    wire_to_core to the fields the type carries. A heartbeat mapped this
    way is then stepped through a real core, which must accept it.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "coremap.h"
#include "fixture.h"


//  What the receiver's core should see of what the sender's core sent.
static void
s_assert_carried (const core_msg_t *sent, const core_msg_t *got)
{
    assert_int_equal (got->type, sent->type);
    assert_int_equal (got->from, sent->from);
    assert_int_equal (got->to, sent->to);
    assert_int_equal (got->term, sent->term);
    switch (sent->type) {
        case CORE_MSG_HEARTBEAT:
            assert_int_equal (got->role, sent->role);
            assert_int_equal (got->leader, sent->leader);
            assert_int_equal (got->hb_ms, sent->hb_ms);
            break;
        case CORE_MSG_HEARTBEAT_ACK:
            assert_int_equal (got->hb_ms, sent->hb_ms);
            assert_int_equal (got->granted, sent->granted);
            break;
        case CORE_MSG_PREVOTE_REQ:
            assert_int_equal (got->round, sent->round);
            break;
        case CORE_MSG_PREVOTE_RESP:
            assert_int_equal (got->granted, sent->granted);
            assert_int_equal (got->round, sent->round);
            break;
        case CORE_MSG_VOTE_RESP:
            assert_int_equal (got->granted, sent->granted);
            break;
        case CORE_MSG_VOTE_REQ:
            assert_int_equal (got->transfer, sent->transfer);
            break;
        default:
            break;
    }
    //  Fields the type does not carry arrive empty
    if (sent->type != CORE_MSG_HEARTBEAT) {
        assert_int_equal (got->role, 0);
        assert_int_equal (got->leader, CORE_NOBODY);
    }
    if (sent->type != CORE_MSG_HEARTBEAT && sent->type != CORE_MSG_HEARTBEAT_ACK)
        assert_int_equal (got->hb_ms, 0);
    if (sent->type != CORE_MSG_VOTE_REQ)
        assert_false (got->transfer);
    if (sent->type != CORE_MSG_PREVOTE_REQ && sent->type != CORE_MSG_PREVOTE_RESP)
        assert_int_equal (got->round, 0);
}

static void
test_every_core_type (void **state)
{
    fx_t *fx = (fx_t *) *state;
    //  Log replication's types (append, append-reply, snapshot) exist in
    //  the core but not yet on the wire: until they do, the node runs the
    //  core with replication off and wire_from_core refuses them.
    for (int type = CORE_MSG_APPEND; type <= CORE_MSG_TYPE_MAX; type++) {
        core_msg_t sent = { .type = (core_msg_type_t) type, .from = FX_N1, .to = FX_N2, .term = 1 };
        wire_msg_t msg;
        assert_int_equal (wire_from_core (fx->peers, &sent, &msg), -1);
    }
    for (int type = CORE_MSG_HEARTBEAT; type < CORE_MSG_APPEND; type++) {
        for (int variant = 0; variant < 2; variant++) {
            core_msg_t sent = {
                .type = (core_msg_type_t) type, .from = FX_N1,
                .to = type == CORE_MSG_HEARTBEAT && variant ? CORE_TO_ALL : FX_N2,
                .term = 41 + (uint64_t) variant,
                .role = variant ? CORE_LEADER : CORE_CANDIDATE,
                .leader = variant ? FX_N1 : CORE_NOBODY,
                .hb_ms = 777000 + (uint64_t) type,
                .granted = variant, .transfer = variant,
                .round = 0xabc000 + (uint64_t) type,
                //  On the heartbeat stream a non-leader's heartbeat is a resignation
                .resign = type == CORE_MSG_HEARTBEAT && !variant
            };
            wire_msg_t msg, out;
            assert_int_equal (wire_from_core (fx->peers, &sent, &msg), 0);
            wire_sealed_t sealed;
            assert_int_equal (wire_tx_seal (fx->tx [FX_N1], &msg, &sealed), 0);
            wire_reject_t reason;
            int rc = fx_deliver (fx->rx, &sealed, 0, &out, &reason);
            if (rc != 0)
                fail_msg ("%s: %s", core_msg_type_name (sent.type), wire_reject_name (reason));
            core_msg_t got;
            assert_int_equal (wire_to_core (fx->peers, &out, &got), 0);
            s_assert_carried (&sent, &got);
            assert_int_equal (got.resign, sent.resign);
        }
    }
}

static void
test_mapping_failures (void **state)
{
    fx_t *fx = (fx_t *) *state;
    core_msg_t core = { .type = CORE_MSG_VOTE_REQ, .from = FX_N1, .to = 7, .term = 1 };
    wire_msg_t msg;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);     //  No member 7
    core.to = FX_N2;
    core.from = 3;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);
    core.from = FX_N1;
    core.type = (core_msg_type_t) 0;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);
    core = (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = FX_N1, .to = CORE_TO_ALL,
                          .role = CORE_LEADER, .leader = 9 };
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);     //  No leader 9
    core.leader = -5;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);
    core.leader = CORE_NOBODY;
    core.role = (core_role_t) 7;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);

    //  Status messages are not for the core; unknown ids do not map
    core_msg_t out;
    fx_msg (&msg, WIRE_STATUS_REQ, "n2", 1);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 1);
    fx_stamp (&msg, FX_CLUSTER, "n8", 1, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    strcpy (msg.to, "n8");
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 1);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    strcpy (msg.heartbeat.leader, "n8");
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    msg.heartbeat.has_leader = false;
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), 0);
    assert_int_equal (out.leader, CORE_NOBODY);
    assert_int_equal (out.to, CORE_TO_ALL);
}

//  A beacon (a non-leader's heartbeat, for monitors) is no core message,
//  and the mapping never produces one: the node picks the type after it.
static void
test_beacon_is_not_core (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    core_msg_t out;
    fx_msg (&msg, WIRE_BEACON, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    msg.type = WIRE_HEARTBEAT;          //  The same fields as a heartbeat do map
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), 0);
    assert_true (out.resign);           //  A follower on the heartbeat stream resigns
    for (int role = CORE_FOLLOWER; role <= CORE_LEADER; role++)
        for (int resign = 0; resign < 2; resign++) {
            core_msg_t core = { .type = CORE_MSG_HEARTBEAT, .from = FX_N1, .to = CORE_TO_ALL,
                                .role = (core_role_t) role, .leader = CORE_NOBODY,
                                .resign = resign };
            assert_int_equal (wire_from_core (fx->peers, &core, &msg), 0);
            assert_int_equal (msg.type, WIRE_HEARTBEAT);
        }
}

//  Clients are principals of the receive path, never core members: the
//  fixture's table holds n1, n2, n3 and then the client "ops" (index 3).
static void
test_clients_are_not_members (void **state)
{
    fx_t *fx = (fx_t *) *state;
    wire_msg_t msg;
    core_msg_t out;
    //  Client requests and their replies are not core messages
    fx_msg (&msg, WIRE_TRANSFER_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, FX_CLIENT, FX_CLIENT_INCARNATION, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_msg (&msg, WIRE_TRANSFER_RESP, FX_CLIENT, 7);
    fx_stamp (&msg, FX_CLUSTER, "n2", 1, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_msg (&msg, WIRE_STATUS_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, FX_CLIENT, FX_CLIENT_INCARNATION, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    //  A core message from, to or naming a client (which rx would refuse
    //  first) does not map either: index 3 is no core member
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, FX_CLIENT, 1, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    strcpy (msg.to, FX_CLIENT);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    strcpy (msg.heartbeat.leader, FX_CLIENT);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), -1);
    //  The controls: the same messages between members map
    strcpy (msg.heartbeat.leader, "n3");
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), 0);
    assert_int_equal (out.leader, FX_N3);
    fx_msg (&msg, WIRE_VOTE_REQ, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    assert_int_equal (wire_to_core (fx->peers, &msg, &out), 0);
    //  ... and the core's numbers never reach a client
    core_msg_t core = { .type = CORE_MSG_VOTE_REQ, .from = FX_N1, .to = FX_CLIENT_INDEX, .term = 1 };
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);
    core.to = FX_N2;
    core.from = FX_CLIENT_INDEX;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);
    core = (core_msg_t) { .type = CORE_MSG_HEARTBEAT, .from = FX_N1, .to = CORE_TO_ALL,
                          .role = CORE_FOLLOWER, .leader = FX_CLIENT_INDEX };
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), -1);
    core.leader = FX_N2;
    assert_int_equal (wire_from_core (fx->peers, &core, &msg), 0);
    assert_string_equal (msg.heartbeat.leader, "n2");
}

static void
test_into_a_real_core (void **state)
{
    fx_t *fx = (fx_t *) *state;
    //  n2's core: 3 members, itself member 1
    core_config_t config;
    core_config_defaults (&config, FX_N2, FX_MEMBERS);
    config.seed = 7;
    core_t *core = core_new (&config, NULL, 0);
    assert_non_null (core);
    //  n1 leads term 3 and says so in a heartbeat
    core_msg_t hb = { .type = CORE_MSG_HEARTBEAT, .from = FX_N1, .to = CORE_TO_ALL,
                      .term = 3, .role = CORE_LEADER, .leader = FX_N1, .hb_ms = 1000 };
    wire_msg_t msg, out;
    assert_int_equal (wire_from_core (fx->peers, &hb, &msg), 0);
    wire_sealed_t sealed;
    assert_int_equal (wire_tx_seal (fx->tx [FX_N1], &msg, &sealed), 0);
    assert_int_equal (fx_deliver (fx->rx, &sealed, 0, &out, NULL), 0);
    core_event_t event = { .type = CORE_EV_RECV, .now_ms = 10 };
    assert_int_equal (wire_to_core (fx->peers, &out, &event.msg), 0);
    static core_update_t update;
    assert_int_equal (core_step (core, &event, &update), 0);
    core_leadership_t who = core_current_leader (core, 10);
    assert_int_equal (who.leader, FX_N1);
    assert_int_equal (who.term, 3);
    //  Its answer (an ack echoing hb_ms) maps back to the wire for n1
    size_t i = 0;
    while (i < update.msg_count && update.msgs [i].type != CORE_MSG_HEARTBEAT_ACK)
        i++;
    assert_true (i < update.msg_count);
    wire_msg_t ack;
    assert_int_equal (wire_from_core (fx->peers, &update.msgs [i], &ack), 0);
    assert_int_equal (ack.type, WIRE_HEARTBEAT_ACK);
    assert_string_equal (ack.to, "n1");
    assert_string_equal (ack.from, "n2");
    assert_int_equal (ack.heartbeat_ack.hb_ms, 1000);
    assert_true (ack.heartbeat_ack.granted);
    core_destroy (&core);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_every_core_type, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_beacon_is_not_core, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_mapping_failures, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_clients_are_not_members, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_into_a_real_core, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
