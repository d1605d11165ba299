/*  vectors: see vectors.h. Seed 00 01 .. 1f signs every message: as
    member "n1" of cluster "prod" in incarnation 5 (seq = the vector's
    position, from 1), except the transfer-request and the client-request,
    which client "ops" sends as meshctl does (incarnation = a time of day
    in microseconds, seq 1 and 2). One key for both keeps the vectors
    short; in a cluster no two principals share a key.
*/
#include "vectors.h"
#include <string.h>
#include "fixture.h"
#include "sign.h"

static void
s_line (FILE *out, const char *label, const uint8_t *data, size_t size)
{
    char hex [2 * (SIGN_DOMAIN_BYTES + WIRE_BODY_BYTES_MAX) + 1];
    fx_hex (data, size, hex);
    fprintf (out, "%s: %s\n", label, hex);
}

static void
s_status (wire_status_t *status)
{
    *status = (wire_status_t) {
        .elections = 1, .prevotes = 1, .leader_changes = 1, .check_quorum_stepdowns = 0,
        .messages_ignored = 3, .failed_elections = 0, .wire_accepted = 250, .wire_rejected = 2
    };
}

#define S_CLIENT_INCARNATION    1735689600000000ULL     //  2025-01-01T00:00:00Z in us

//  A kv command (node/kv.h), the payload of a log entry: put
//  "capacity/st-marys/beds" = "12", request_id 7
static const uint8_t s_put [] = {
    0x84, 0x00, 0x01, 0x01, 0x07,
    0x02, 0xb6, 'c', 'a', 'p', 'a', 'c', 'i', 't', 'y', '/', 's', 't', '-', 'm', 'a', 'r',
          'y', 's', '/', 'b', 'e', 'd', 's',
    0x04, 0xc4, 0x02, '1', '2'
};

//  A kv snapshot (node/kv.h) of one key at applied index 40; the snapshot
//  vector carries its second chunk, from byte 8 on
static const uint8_t s_snapshot [] = {
    0x83, 0x00, 0x01, 0x01, 0x28, 0x02, 0x91, 0x93,
    0xaa, 'c', 'a', 'p', 'a', 'c', 'i', 't', 'y', '/', 'a', 0x0c, 0xc4, 0x01, '7'
};
#define S_SNAPSHOT_CHUNK_OFFSET 8

//  The messages, in order; n1's seq counts its messages from 1.
static int
s_message (int index, const char **name, wire_msg_t *msg)
{
    const char *to = "*";
    const char *from = "n1";
    uint64_t incarnation = 5, seq = (uint64_t) index + 1;
    wire_type_t type;
    switch (index) {
        case 0: *name = "heartbeat-leader";    type = WIRE_HEARTBEAT; break;
        case 1: *name = "heartbeat-follower";  type = WIRE_HEARTBEAT; break;
        case 2: *name = "heartbeat-candidate"; type = WIRE_HEARTBEAT; break;
        case 3: *name = "heartbeat-ack";       type = WIRE_HEARTBEAT_ACK; to = "n2"; break;
        case 4: *name = "prevote-request";     type = WIRE_PREVOTE_REQ; to = "n3"; break;
        case 5: *name = "vote-reply";          type = WIRE_VOTE_RESP; to = "n2"; break;
        case 6: *name = "timeout-now";         type = WIRE_TIMEOUT_NOW; to = "n3"; break;
        case 7: *name = "status-reply";        type = WIRE_STATUS_RESP; to = "ctl"; break;
        case 8: *name = "transfer-request";    type = WIRE_TRANSFER_REQ; to = "n1"; from = "ops";
                incarnation = S_CLIENT_INCARNATION; seq = 1; break;
        case 9: *name = "transfer-reply";      type = WIRE_TRANSFER_RESP; to = "ops"; seq = 9; break;
        case 10: *name = "beacon-follower";    type = WIRE_BEACON; break;
        case 11: *name = "append";             type = WIRE_APPEND; to = "n2"; break;
        case 12: *name = "append-reply";       type = WIRE_APPEND_RESP; to = "n2"; break;
        case 13: *name = "snapshot";           type = WIRE_SNAPSHOT; to = "n3"; break;
        case 14: *name = "client-request";     type = WIRE_CLIENT_REQ; to = "n1"; from = "ops";
                 incarnation = S_CLIENT_INCARNATION; seq = 2; break;
        case 15: *name = "client-reply";       type = WIRE_CLIENT_RESP; to = "ops"; break;
        case 16: *name = "heartbeat-no-ack";   type = WIRE_HEARTBEAT; break;
        default: return -1;
    }
    wire_msg_init (msg, type);
    strcpy (msg->to, to);
    fx_stamp (msg, "prod", from, incarnation, seq);
    msg->term = 7;
    wire_heartbeat_t *hb = &msg->heartbeat;
    switch (index) {
        case 0:
            hb->role = WIRE_LEADER;
            hb->has_leader = true;
            strcpy (hb->leader, "n1");
            hb->hb_ms = 1000000;
            hb->has_lease = true;
            hb->lease_remaining_ms = 180;
            hb->has_lease_expiry = true;
            hb->lease_expiry_ms = 1000180;
            hb->has_status = true;
            s_status (&hb->status);
            break;
        case 1:
            hb->role = WIRE_FOLLOWER;
            hb->has_leader = true;
            strcpy (hb->leader, "n2");
            hb->hb_ms = 1000050;
            break;
        case 2:
            msg->term = 8;
            hb->role = WIRE_CANDIDATE;
            hb->hb_ms = 1000100;
            hb->storm = true;
            break;
        case 3:
            msg->heartbeat_ack.hb_ms = 999950;
            msg->heartbeat_ack.granted = true;
            break;
        case 4:                 //  Its log ends as the append below leaves it
            msg->term = 8;
            msg->prevote_req.round = 0x5eed;
            msg->prevote_req.last_index = 43;
            msg->prevote_req.last_term = 7;
            break;
        case 5:
            msg->term = 8;
            msg->vote_resp.granted = false;
            break;
        case 7:
            msg->status_resp.reply_to = 12;
            msg->status_resp.role = WIRE_LEADER;
            msg->status_resp.has_leader = true;
            strcpy (msg->status_resp.leader, "n1");
            msg->status_resp.has_lease = true;
            msg->status_resp.lease_remaining_ms = 170;
            s_status (&msg->status_resp.status);
            break;
        case 8:
            strcpy (msg->transfer_req.target, "n3");
            break;
        case 9:
            msg->transfer_resp.reply_to = 1;
            msg->transfer_resp.reply_incarnation = S_CLIENT_INCARNATION;
            msg->transfer_resp.outcome = WIRE_OUTCOME_ACCEPTED;
            msg->transfer_resp.has_leader = true;
            strcpy (msg->transfer_resp.leader, "n1");
            break;
        case 10:                //  A follower's periodic heartbeat, for monitors
            hb->role = WIRE_FOLLOWER;
            hb->has_leader = true;
            strcpy (hb->leader, "n2");
            hb->hb_ms = 1000200;
            hb->has_status = true;
            s_status (&hb->status);
            break;
        case 11:                //  The leader's no-op of term 7, then a put
            msg->append.prev_index = 41;
            msg->append.prev_term = 6;
            msg->append.commit = 41;
            msg->append.entry_count = 2;
            msg->append.entries [0] = (wire_entry_t) { .term = 7, .type = 0 };
            msg->append.entries [1] = (wire_entry_t) {
                .term = 7, .type = 1, .payload = s_put, .size = sizeof (s_put) };
            break;
        case 12:                //  n1 follows n2 in term 8: it holds 43 entries
            msg->term = 8;
            msg->append_resp.granted = true;
            msg->append_resp.match_index = 43;
            break;
        case 13:                //  The second and last chunk of a snapshot through 40
            msg->snapshot.index = 40;
            msg->snapshot.term = 6;
            msg->snapshot.commit = 43;
            msg->snapshot.offset = S_SNAPSHOT_CHUNK_OFFSET;
            msg->snapshot.total = sizeof (s_snapshot);
            msg->snapshot.data = s_snapshot + S_SNAPSHOT_CHUNK_OFFSET;
            msg->snapshot.size = sizeof (s_snapshot) - S_SNAPSHOT_CHUNK_OFFSET;
            break;
        case 14:                //  The put above, as the client asked for it
            msg->client_req.op = WIRE_OP_PUT;
            msg->client_req.request_id = 7;
            strcpy (msg->client_req.key, "capacity/st-marys/beds");
            msg->client_req.value = (const uint8_t *) "12";
            msg->client_req.value_size = 2;
            break;
        case 15:                //  A list of "capacity/st-marys/" (request seq 3): one page
            msg->client_resp.reply_to = 3;
            msg->client_resp.reply_incarnation = S_CLIENT_INCARNATION;
            msg->client_resp.outcome = WIRE_OUTCOME_ACCEPTED;
            msg->client_resp.has_leader = true;
            strcpy (msg->client_resp.leader, "n1");
            msg->client_resp.index = 43;
            msg->client_resp.item_count = 2;
            msg->client_resp.items [0] = (wire_item_t) {
                "capacity/st-marys/beds", 43, (const uint8_t *) "12", 2 };
            msg->client_resp.items [1] = (wire_item_t) {
                "capacity/st-marys/icu", 17, (const uint8_t *) "3", 1 };
            msg->client_resp.more = false;
            break;
        case 16:                //  The leader's next round: its previous one is
                                //  acknowledged by a quorum, so this one asks none
            hb->role = WIRE_LEADER;
            hb->has_leader = true;
            strcpy (hb->leader, "n1");
            hb->hb_ms = 1000050;
            hb->has_lease = true;
            hb->lease_remaining_ms = 185;
            hb->has_commit = true;
            hb->commit = 43;
            hb->no_ack = true;
            break;
        default:
            break;
    }
    return 0;
}

int
vectors_write (FILE *out)
{
    uint8_t seed [32];
    fx_seed (seed, 0);
    keys_t *keys = keys_new_from_seed (seed);
    if (!keys)
        return -1;
    fprintf (out,
        "# incidentmesh wire protocol, version 1: test vectors.\n"
        "# Generated by the code (build/tests/wire/wire_vectors > tests/vectors/wire-v1.txt)\n"
        "# and checked by test_vectors against the code and docs/PROTOCOL.md.\n"
        "# Hex is lowercase. Every message is signed with the key whose seed is\n"
        "# below, as member \"n1\" of cluster \"prod\", except transfer-request and\n"
        "# client-request, which client \"ops\" sends (one key for both, to keep\n"
        "# this short; in a cluster no two principals share a key). input is the\n"
        "# signing input of the first vector: \"incidentmesh/1\", 0x00, then its body.\n");
    s_line (out, "seed", seed, 32);
    s_line (out, "public", keys_public (keys), 32);
    const char *name;
    wire_msg_t msg;
    int rc = 0;
    for (int i = 0; s_message (i, &name, &msg) == 0; i++) {
        wire_sealed_t sealed;
        if (wire_seal (keys, &msg, &sealed) != 0) {
            rc = -1;
            break;
        }
        fprintf (out, "\nvector: %s\n", name);
        fprintf (out, "head: %.*s\n", (int) sealed.head_size, sealed.head);
        s_line (out, "body", sealed.body, sealed.body_size);
        if (i == 0) {
            uint8_t input [SIGN_DOMAIN_BYTES + WIRE_BODY_BYTES_MAX];
            memcpy (input, SIGN_DOMAIN, SIGN_DOMAIN_BYTES);
            memcpy (input + SIGN_DOMAIN_BYTES, sealed.body, sealed.body_size);
            s_line (out, "input", input, SIGN_DOMAIN_BYTES + sealed.body_size);
        }
        s_line (out, "sig", sealed.sig, WIRE_SIG_BYTES);
    }
    keys_destroy (&keys);
    return rc;
}
