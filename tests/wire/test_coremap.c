/*  test_coremap: wire <-> core. Every core message type goes out through
    wire_from_core (an append gets its entries, a snapshot its chunk, as
    the node attaches them), is sealed, accepted by a receiver and mapped
    back with wire_to_core (and wire_entries_to_core) to the fields the
    type carries. Messages mapped this way are then stepped through real
    cores, which must accept them: a heartbeat, and a replicating core's
    vote request and append.
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
            assert_int_equal (got->commit, sent->commit);
            break;
        case CORE_MSG_HEARTBEAT_ACK:
            assert_int_equal (got->hb_ms, sent->hb_ms);
            assert_int_equal (got->granted, sent->granted);
            break;
        case CORE_MSG_PREVOTE_REQ:
            assert_int_equal (got->round, sent->round);
            assert_int_equal (got->last_index, sent->last_index);
            assert_int_equal (got->last_term, sent->last_term);
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
            assert_int_equal (got->last_index, sent->last_index);
            assert_int_equal (got->last_term, sent->last_term);
            break;
        case CORE_MSG_APPEND:
            assert_int_equal (got->prev_index, sent->prev_index);
            assert_int_equal (got->prev_term, sent->prev_term);
            assert_int_equal (got->commit, sent->commit);
            assert_int_equal (got->entry_count, sent->entry_count);
            break;
        case CORE_MSG_APPEND_RESP:
            assert_int_equal (got->granted, sent->granted);
            assert_int_equal (got->match_index, sent->match_index);
            break;
        case CORE_MSG_SNAPSHOT:
            assert_int_equal (got->prev_index, sent->prev_index);
            assert_int_equal (got->prev_term, sent->prev_term);
            assert_int_equal (got->commit, sent->commit);
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
    if (sent->type != CORE_MSG_PREVOTE_REQ && sent->type != CORE_MSG_VOTE_REQ) {
        assert_int_equal (got->last_index, 0);
        assert_int_equal (got->last_term, 0);
    }
    if (sent->type != CORE_MSG_APPEND && sent->type != CORE_MSG_SNAPSHOT) {
        assert_int_equal (got->prev_index, 0);
        assert_int_equal (got->prev_term, 0);
    }
    if (sent->type != CORE_MSG_APPEND)
        assert_int_equal (got->entry_count, 0);
    if (sent->type != CORE_MSG_APPEND && sent->type != CORE_MSG_SNAPSHOT
    &&  sent->type != CORE_MSG_HEARTBEAT)
        assert_int_equal (got->commit, 0);
    if (sent->type != CORE_MSG_APPEND_RESP)
        assert_int_equal (got->match_index, 0);
    if (sent->type != CORE_MSG_HEARTBEAT_ACK && sent->type != CORE_MSG_PREVOTE_RESP
    &&  sent->type != CORE_MSG_VOTE_RESP && sent->type != CORE_MSG_APPEND_RESP)
        assert_false (got->granted);
}

//  What the node attaches to an append (entries from its log) or a
//  snapshot (a chunk of its file) after wire_from_core.
static const uint8_t s_payload [] = "put capacity/a 1";
static const uint8_t s_chunk [] = "0123456789";

static void
s_attach (const core_msg_t *sent, wire_msg_t *msg)
{
    if (sent->type == CORE_MSG_APPEND) {
        assert_int_equal (msg->append.entry_count, 0);     //  Left to the node
        //  A command of the log's last term (at least 1), then the sender's
        //  no-op and commands of its own term
        for (uint32_t k = 0; k < sent->entry_count; k++) {
            bool noop = k == 1;
            msg->append.entries [k] = (wire_entry_t) {
                .term = k ? sent->term : sent->prev_term ? sent->prev_term : 1,
                .type = noop ? CORE_ENTRY_NOOP : CORE_ENTRY_COMMAND,
                .payload = noop ? NULL : s_payload, .size = noop ? 0 : sizeof (s_payload) - 1 };
        }
        msg->append.entry_count = sent->entry_count;
    }
    if (sent->type == CORE_MSG_SNAPSHOT) {
        const char *why;
        assert_int_equal (wire_msg_check (msg, &why), WIRE_MALFORMED);     //  No chunk yet
        msg->snapshot.data = s_chunk;
        msg->snapshot.size = sizeof (s_chunk) - 1;
        msg->snapshot.offset = 0;
        msg->snapshot.total = 100;
    }
}

static void
test_every_core_type (void **state)
{
    fx_t *fx = (fx_t *) *state;
    for (int type = CORE_MSG_HEARTBEAT; type <= CORE_MSG_TYPE_MAX; type++) {
        for (int variant = 0; variant < 2; variant++) {
            //  Log positions as the core states them: variant 0 an empty
            //  log (a snapshot is never empty), variant 1 a long one
            bool snapshot = type == CORE_MSG_SNAPSHOT;
            uint64_t index = variant ? 900 : snapshot ? 1 : 0;
            uint64_t term = variant ? 40 : snapshot ? 1 : 0;
            bool leads = variant;
            core_msg_t sent = {
                .type = (core_msg_type_t) type, .from = FX_N1,
                .to = type == CORE_MSG_HEARTBEAT && variant ? CORE_TO_ALL : FX_N2,
                .term = 41 + (uint64_t) variant,
                .role = leads ? CORE_LEADER : CORE_CANDIDATE,
                .leader = leads ? FX_N1 : CORE_NOBODY,
                .hb_ms = 777000 + (uint64_t) type,
                .granted = variant, .transfer = variant,
                .round = 0xabc000 + (uint64_t) type,
                //  On the heartbeat stream a non-leader's heartbeat is a resignation
                .resign = type == CORE_MSG_HEARTBEAT && !variant,
                .last_index = index, .last_term = term,
                .prev_index = index, .prev_term = term,
                .entry_count = type == CORE_MSG_APPEND && variant ? 3 : 0,
                //  The core states its commit index in a leader's heartbeats only
                .commit = type != CORE_MSG_HEARTBEAT || leads ? 555 + (uint64_t) variant : 0,
                .match_index = 1234 + (uint64_t) variant
            };
            wire_msg_t msg, out;
            assert_int_equal (wire_from_core (fx->peers, &sent, &msg), 0);
            if (type == CORE_MSG_HEARTBEAT)
                assert_int_equal (msg.heartbeat.has_commit, leads);
            s_attach (&sent, &msg);
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
            //  The entries, as the core takes them
            core_entry_t entries [CORE_APPEND_MAX];
            if (type != CORE_MSG_APPEND) {
                assert_int_equal (wire_entries_to_core (&out, entries), -1);
                continue;
            }
            assert_int_equal (wire_entries_to_core (&out, entries), 0);
            for (uint32_t k = 0; k < got.entry_count; k++) {
                assert_int_equal (entries [k].index, sent.prev_index + 1 + k);
                assert_int_equal (entries [k].term, msg.append.entries [k].term);
                assert_int_equal (entries [k].type, msg.append.entries [k].type);
                assert_int_equal (entries [k].size, msg.append.entries [k].size);
                if (entries [k].type == CORE_ENTRY_NOOP)
                    assert_null (entries [k].data);
                else {
                    //  Into the received message's body, not a copy
                    assert_ptr_equal (entries [k].data, out.append.entries [k].payload);
                    assert_memory_equal (entries [k].data, s_payload, entries [k].size);
                }
            }
        }
    }
}

static void
test_entries_to_core_limits (void **state)
{
    (void) state;
    core_entry_t entries [CORE_APPEND_MAX];
    wire_msg_t msg;
    fx_msg (&msg, WIRE_APPEND, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", 1, 1);
    assert_int_equal (wire_entries_to_core (&msg, entries), 0);
    assert_int_equal (entries [0].index, msg.append.prev_index + 1);
    assert_int_equal (entries [2].index, msg.append.prev_index + 3);
    assert_int_equal (entries [1].type, CORE_ENTRY_NOOP);
    assert_int_equal (entries [2].type, CORE_ENTRY_COMMAND);
    //  Nothing the decoder would let through, but the node might build
    msg.append.entries [2].type = 2;
    assert_int_equal (wire_entries_to_core (&msg, entries), -1);
    msg.append.entries [2].type = 1;
    msg.append.entry_count = CORE_APPEND_MAX + 1;
    assert_int_equal (wire_entries_to_core (&msg, entries), -1);
    msg.append.entry_count = 0;
    msg.append.prev_index = UINT64_MAX;
    assert_int_equal (wire_entries_to_core (&msg, entries), -1);
    msg.append.prev_index = UINT64_MAX - CORE_APPEND_MAX;
    assert_int_equal (wire_entries_to_core (&msg, entries), 0);
    fx_msg (&msg, WIRE_SNAPSHOT, "n2", 7);
    assert_int_equal (wire_entries_to_core (&msg, entries), -1);
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

//  Through the wire, then the core: n2's core with log replication on.
static wire_msg_t s_out;                //  Outlives a step: entries point into it

static void
s_core_recv (fx_t *fx, core_t *core, const core_msg_t *sent, uint64_t now_ms,
             core_update_t *update)
{
    wire_msg_t msg;
    assert_int_equal (wire_from_core (fx->peers, sent, &msg), 0);
    s_attach (sent, &msg);
    wire_sealed_t sealed;
    assert_int_equal (wire_tx_seal (fx->tx [sent->from], &msg, &sealed), 0);
    assert_int_equal (fx_deliver (fx->rx, &sealed, now_ms, &s_out, NULL), 0);
    static core_entry_t entries [CORE_APPEND_MAX];
    core_event_t event = { .type = CORE_EV_RECV, .now_ms = now_ms };
    assert_int_equal (wire_to_core (fx->peers, &s_out, &event.msg), 0);
    if (s_out.type == WIRE_APPEND) {
        assert_int_equal (wire_entries_to_core (&s_out, entries), 0);
        event.entries = entries;
    }
    assert_int_equal (core_step (core, &event, update), 0);
}

//  The core's one answer of type, mapped to the wire and encoded.
static const core_msg_t *
s_answer (fx_t *fx, const core_update_t *update, core_msg_type_t type, wire_msg_t *wire)
{
    size_t i = 0;
    while (i < update->msg_count && update->msgs [i].type != type)
        i++;
    assert_true (i < update->msg_count);
    assert_int_equal (wire_from_core (fx->peers, &update->msgs [i], wire), 0);
    wire_sealed_t sealed;
    assert_int_equal (wire_tx_seal (fx->tx [FX_N2], wire, &sealed), 0);
    return &update->msgs [i];
}

static void
test_replication_into_a_real_core (void **state)
{
    fx_t *fx = (fx_t *) *state;
    core_config_t config;
    core_config_defaults (&config, FX_N2, FX_MEMBERS);
    config.seed = 7;
    config.replicate = true;
    core_t *core = core_new (&config, NULL, 0);
    assert_non_null (core);
    static core_update_t update;
    wire_msg_t answer;
    uint64_t now = 10 * config.election_timeout_ms;

    //  n1 campaigns in term 3 from an empty log: granted
    core_msg_t vote = { .type = CORE_MSG_VOTE_REQ, .from = FX_N1, .to = FX_N2, .term = 3,
                        .leader = CORE_NOBODY };
    s_core_recv (fx, core, &vote, now, &update);
    s_answer (fx, &update, CORE_MSG_VOTE_RESP, &answer);
    assert_true (answer.vote_resp.granted);

    //  n1 leads: a command left by term 1 and n1's no-op, committing the first
    core_msg_t append = { .type = CORE_MSG_APPEND, .from = FX_N1, .to = FX_N2, .term = 3,
                          .leader = CORE_NOBODY, .prev_index = 0, .prev_term = 0,
                          .entry_count = 2, .commit = 1 };
    now += 10;
    s_core_recv (fx, core, &append, now, &update);
    assert_int_equal (update.append_count, 2);
    assert_int_equal (update.appends [0].index, 1);
    assert_int_equal (update.appends [0].type, CORE_ENTRY_COMMAND);
    assert_int_equal (update.appends [1].index, 2);
    assert_int_equal (update.appends [1].type, CORE_ENTRY_NOOP);
    //  The command's payload is still the received body's bytes
    assert_ptr_equal (update.appends [0].data, s_out.append.entries [0].payload);
    assert_int_equal (update.appends [0].size, sizeof (s_payload) - 1);
    assert_int_equal (update.commit_index, 1);
    assert_int_equal (core_last_index (core), 2);
    s_answer (fx, &update, CORE_MSG_APPEND_RESP, &answer);
    assert_true (answer.append_resp.granted);
    assert_int_equal (answer.append_resp.match_index, 2);
    assert_string_equal (answer.to, "n1");

    //  The commit index in n1's heartbeat reaches the core
    core_msg_t hb = { .type = CORE_MSG_HEARTBEAT, .from = FX_N1, .to = CORE_TO_ALL, .term = 3,
                      .role = CORE_LEADER, .leader = FX_N1, .hb_ms = now, .commit = 2 };
    now += 10;
    s_core_recv (fx, core, &hb, now, &update);
    assert_int_equal (update.commit_index, 2);

    //  A candidate whose log ends at (1, 3), behind n2's (2, 3), is refused
    //  its vote for the log; one at (2, 3) is granted
    now += 10 * config.election_timeout_ms;
    vote = (core_msg_t) { .type = CORE_MSG_VOTE_REQ, .from = FX_N3, .to = FX_N2, .term = 4,
                          .leader = CORE_NOBODY, .last_index = 1, .last_term = 3 };
    s_core_recv (fx, core, &vote, now, &update);
    s_answer (fx, &update, CORE_MSG_VOTE_RESP, &answer);
    assert_false (answer.vote_resp.granted);
    assert_int_equal (answer.term, 4);
    vote.last_index = 2;
    s_core_recv (fx, core, &vote, now + 1, &update);
    s_answer (fx, &update, CORE_MSG_VOTE_RESP, &answer);
    assert_true (answer.vote_resp.granted);
    core_destroy (&core);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_every_core_type, fx_setup, fx_teardown),
        cmocka_unit_test (test_entries_to_core_limits),
        cmocka_unit_test_setup_teardown (test_replication_into_a_real_core, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_beacon_is_not_core, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_mapping_failures, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_clients_are_not_members, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown (test_into_a_real_core, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
