/*  vectors: see vectors.h. Seed 00 01 .. 1f signs every message: as
    member "n1" of cluster "prod" in incarnation 5 (seq 1..10), except the
    transfer-request, which client "ops" sends as meshctl does (incarnation
    = a time of day in microseconds, seq 1). One key for both keeps the
    vectors short; in a cluster no two principals share a key.
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
        case 4:
            msg->term = 8;
            msg->prevote_req.round = 0x5eed;
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
        "# below, as member \"n1\" of cluster \"prod\", except transfer-request, which\n"
        "# client \"ops\" sends (one key for both, to keep this short; in a cluster\n"
        "# no two principals share a key). input is the signing input of the first\n"
        "# vector: \"incidentmesh/1\", 0x00, then its body.\n");
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
