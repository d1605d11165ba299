/*  coremap: wire <-> core message mapping. See coremap.h. */
#include "coremap.h"
#include <string.h>

//  The two type enums are independent (the wire's numbers are a stable
//  format, the core's are not); this table is the only link. Every core
//  message type has its wire type. A beacon (a
//  non-leader's heartbeat, for monitors) is not here: wire_to_core refuses
//  it, and wire_from_core maps every CORE_MSG_HEARTBEAT to a heartbeat,
//  which the node sends as a beacon unless the sender leads or resigns.
static const struct {
    core_msg_type_t core;
    wire_type_t wire;
} s_types [] = {
    { CORE_MSG_HEARTBEAT,     WIRE_HEARTBEAT },
    { CORE_MSG_HEARTBEAT_ACK, WIRE_HEARTBEAT_ACK },
    { CORE_MSG_PREVOTE_REQ,   WIRE_PREVOTE_REQ },
    { CORE_MSG_PREVOTE_RESP,  WIRE_PREVOTE_RESP },
    { CORE_MSG_VOTE_REQ,      WIRE_VOTE_REQ },
    { CORE_MSG_VOTE_RESP,     WIRE_VOTE_RESP },
    { CORE_MSG_TIMEOUT_NOW,   WIRE_TIMEOUT_NOW },
    { CORE_MSG_APPEND,        WIRE_APPEND },
    { CORE_MSG_APPEND_RESP,   WIRE_APPEND_RESP },
    { CORE_MSG_SNAPSHOT,      WIRE_SNAPSHOT }
};
#define S_TYPES     (sizeof (s_types) / sizeof (s_types [0]))

_Static_assert (WIRE_MEMBERS_MAX == CORE_MEMBERS_MAX, "member index = core member number");
_Static_assert (WIRE_ENTRIES_MAX == CORE_APPEND_MAX, "an append's entries fit the core's");
_Static_assert (CORE_ENTRY_NOOP == 0 && CORE_ENTRY_COMMAND == 1, "entry types as on the wire");

//  The member number of id, or -1 if it is not a member (unknown, or a
//  client: clients follow the members in the table).
static int
s_member (const wire_peers_t *peers, const char *id)
{
    int index = wire_peers_find (peers, id, strlen (id));
    return index >= 0 && (size_t) index < wire_peers_members (peers) ? index : -1;
}

//  The id of member number, or NULL.
static const char *
s_member_id (const wire_peers_t *peers, uint32_t member)
{
    return member < wire_peers_members (peers) ? wire_peers_id (peers, member) : NULL;
}

static const wire_role_t s_roles [] = {
    [CORE_FOLLOWER] = WIRE_FOLLOWER, [CORE_PRECANDIDATE] = WIRE_PRECANDIDATE,
    [CORE_CANDIDATE] = WIRE_CANDIDATE, [CORE_LEADER] = WIRE_LEADER
};

int
wire_to_core (const wire_peers_t *peers, const wire_msg_t *msg, core_msg_t *core)
{
    memset (core, 0, sizeof (*core));
    core->leader = CORE_NOBODY;
    size_t i = 0;
    while (i < S_TYPES && s_types [i].wire != msg->type)
        i++;
    if (i == S_TYPES)
        return -1;
    core->type = s_types [i].core;
    int from = s_member (peers, msg->from);
    if (from < 0)
        return -1;
    core->from = (uint32_t) from;
    if (strcmp (msg->to, WIRE_BROADCAST) == 0)
        core->to = CORE_TO_ALL;
    else {
        int to = s_member (peers, msg->to);
        if (to < 0)
            return -1;
        core->to = (uint32_t) to;
    }
    core->term = msg->term;
    switch (msg->type) {
        case WIRE_HEARTBEAT:
            for (int role = CORE_FOLLOWER; role <= CORE_LEADER; role++)
                if (s_roles [role] == msg->heartbeat.role)
                    core->role = (core_role_t) role;
            if (msg->heartbeat.has_leader) {
                int leader = s_member (peers, msg->heartbeat.leader);
                if (leader < 0)
                    return -1;
                core->leader = leader;
            }
            core->hb_ms = msg->heartbeat.hb_ms;
            //  No commit index (a heartbeat that is not a leader's) is 0:
            //  the core never moves its commit index back.
            core->commit = msg->heartbeat.has_commit ? msg->heartbeat.commit : 0;
            core->no_ack = msg->heartbeat.no_ack;
            //  On the heartbeat stream, a non-leader's heartbeat is the
            //  announcement that its sender stepped down.
            core->resign = core->role != CORE_LEADER;
            break;
        case WIRE_HEARTBEAT_ACK:
            core->hb_ms = msg->heartbeat_ack.hb_ms;
            core->granted = msg->heartbeat_ack.granted;
            break;
        case WIRE_PREVOTE_REQ:
            core->round = msg->prevote_req.round;
            core->last_index = msg->prevote_req.last_index;
            core->last_term = msg->prevote_req.last_term;
            break;
        case WIRE_PREVOTE_RESP:
            core->granted = msg->prevote_resp.granted;
            core->round = msg->prevote_resp.round;
            break;
        case WIRE_VOTE_REQ:
            core->transfer = msg->vote_req.transfer;
            core->last_index = msg->vote_req.last_index;
            core->last_term = msg->vote_req.last_term;
            break;
        case WIRE_VOTE_RESP:
            core->granted = msg->vote_resp.granted;
            break;
        case WIRE_APPEND:
            core->prev_index = msg->append.prev_index;
            core->prev_term = msg->append.prev_term;
            core->commit = msg->append.commit;
            core->entry_count = msg->append.entry_count;
            break;
        case WIRE_APPEND_RESP:
            core->granted = msg->append_resp.granted;
            core->match_index = msg->append_resp.match_index;
            break;
        case WIRE_SNAPSHOT:
            core->prev_index = msg->snapshot.index;
            core->prev_term = msg->snapshot.term;
            core->commit = msg->snapshot.commit;
            break;
        default:
            break;              //  Header only
    }
    return 0;
}

int
wire_entries_to_core (const wire_msg_t *msg, core_entry_t *entries)
{
    if (msg->type != WIRE_APPEND || msg->append.entry_count > CORE_APPEND_MAX
    ||  msg->append.prev_index > UINT64_MAX - CORE_APPEND_MAX)
        return -1;
    for (uint32_t k = 0; k < msg->append.entry_count; k++) {
        const wire_entry_t *e = &msg->append.entries [k];
        if (e->type > CORE_ENTRY_COMMAND)
            return -1;
        entries [k] = (core_entry_t) {
            .index = msg->append.prev_index + 1 + k,
            .term = e->term,
            .type = (core_entry_type_t) e->type,
            .data = e->size ? e->payload : NULL,    //  A no-op has none
            .size = e->size
        };
    }
    return 0;
}

int
wire_from_core (const wire_peers_t *peers, const core_msg_t *core, wire_msg_t *msg)
{
    size_t i = 0;
    while (i < S_TYPES && s_types [i].core != core->type)
        i++;
    if (i == S_TYPES)
        return -1;
    wire_msg_init (msg, s_types [i].wire);
    const char *from = s_member_id (peers, core->from);
    if (!from)
        return -1;
    strcpy (msg->from, from);
    if (core->to == CORE_TO_ALL)
        strcpy (msg->to, WIRE_BROADCAST);
    else {
        const char *to = s_member_id (peers, core->to);
        if (!to)
            return -1;
        strcpy (msg->to, to);
    }
    msg->term = core->term;
    switch (core->type) {
        case CORE_MSG_HEARTBEAT:
            if ((unsigned) core->role > CORE_LEADER)
                return -1;
            msg->heartbeat.role = s_roles [core->role];
            if (core->leader != CORE_NOBODY) {
                const char *leader = core->leader >= 0
                                   ? s_member_id (peers, (uint32_t) core->leader) : NULL;
                if (!leader)
                    return -1;
                msg->heartbeat.has_leader = true;
                strcpy (msg->heartbeat.leader, leader);
            }
            msg->heartbeat.hb_ms = core->hb_ms;
            //  The core states its commit index in a leader's heartbeats
            //  only (commit is 0 in every other).
            msg->heartbeat.has_commit = core->role == CORE_LEADER;
            msg->heartbeat.commit = core->commit;
            msg->heartbeat.no_ack = core->no_ack;
            break;
        case CORE_MSG_HEARTBEAT_ACK:
            msg->heartbeat_ack.hb_ms = core->hb_ms;
            msg->heartbeat_ack.granted = core->granted;
            break;
        case CORE_MSG_PREVOTE_REQ:
            msg->prevote_req.round = core->round;
            msg->prevote_req.last_index = core->last_index;
            msg->prevote_req.last_term = core->last_term;
            break;
        case CORE_MSG_PREVOTE_RESP:
            msg->prevote_resp.granted = core->granted;
            msg->prevote_resp.round = core->round;
            break;
        case CORE_MSG_VOTE_REQ:
            msg->vote_req.transfer = core->transfer;
            msg->vote_req.last_index = core->last_index;
            msg->vote_req.last_term = core->last_term;
            break;
        case CORE_MSG_VOTE_RESP:
            msg->vote_resp.granted = core->granted;
            break;
        case CORE_MSG_APPEND:
            //  The entries are the node's to attach, from its log: the
            //  core says how many (core->entry_count), the wire message
            //  starts with none.
            msg->append.prev_index = core->prev_index;
            msg->append.prev_term = core->prev_term;
            msg->append.commit = core->commit;
            msg->append.entry_count = 0;
            break;
        case CORE_MSG_APPEND_RESP:
            msg->append_resp.granted = core->granted;
            msg->append_resp.match_index = core->match_index;
            break;
        case CORE_MSG_SNAPSHOT:
            //  The chunk (data, size, offset, total) is the node's to
            //  attach, from its snapshot file; until it does, the message
            //  fails wire_msg_check (a chunk is never empty).
            msg->snapshot.index = core->prev_index;
            msg->snapshot.term = core->prev_term;
            msg->snapshot.commit = core->commit;
            break;
        default:
            break;
    }
    return 0;
}
