/*  fuzz_seeds: writes the committed seed corpus (tests/fuzz/corpus/).
    Usage: fuzz_seeds <corpus-dir>   (the directory must exist, with one
    subdirectory per target). Deterministic: the same files every run.
*/
#include <stdio.h>
#include "fuzz_common.h"

static const char *s_dir;

static void
s_file (const char *target, const char *name, const void *data, size_t size)
{
    char path [512];
    snprintf (path, sizeof (path), "%s/%s/%s", s_dir, target, name);
    FILE *file = fopen (path, "wb");
    if (!file || fwrite (data, 1, size, file) != size) {
        perror (path);
        exit (1);
    }
    fclose (file);
}

static const uint8_t s_command [] = { 0x84, 0x00, 0x01, 0x01, 0x07, 0x02, 0xa3, 'b', '/', 'c',
                                     0x04, 0xc4, 0x01, '9' };
static const uint8_t s_chunk [] = "kv snapshot bytes";

//  A sample message of each type from member `from` with seq.
static void
s_sample (wire_msg_t *msg, wire_type_t type, const char *from, uint64_t incarnation, uint64_t seq)
{
    wire_msg_init (msg, type);
    strcpy (msg->cluster, "prod");
    strcpy (msg->from, from);
    strcpy (msg->to, wire_type_broadcast (type) ? "*" : "n2");
    msg->term = 5 + seq;
    msg->incarnation = incarnation;
    msg->seq = seq;
    switch (type) {
        case WIRE_HEARTBEAT:
            msg->heartbeat.role = WIRE_LEADER;
            msg->heartbeat.has_leader = true;
            strcpy (msg->heartbeat.leader, from);
            msg->heartbeat.hb_ms = 123456;
            msg->heartbeat.has_lease = true;
            msg->heartbeat.lease_remaining_ms = 150;
            msg->heartbeat.has_lease_expiry = seq % 2 == 0;
            msg->heartbeat.lease_expiry_ms = 123606;
            msg->heartbeat.has_status = seq % 2 == 1;
            msg->heartbeat.status.wire_accepted = 99;
            msg->heartbeat.has_commit = true;
            msg->heartbeat.commit = 41;
            msg->heartbeat.has_applied = seq % 2 == 0;
            msg->heartbeat.applied = 40;
            msg->heartbeat.no_ack = seq % 2 == 1;
            break;
        case WIRE_BEACON:           //  A follower's heartbeat: no lease
            msg->heartbeat.role = WIRE_FOLLOWER;
            msg->heartbeat.has_leader = true;
            strcpy (msg->heartbeat.leader, "n1");
            msg->heartbeat.hb_ms = 123456;
            msg->heartbeat.has_status = seq % 2 == 1;
            msg->heartbeat.status.wire_accepted = 99;
            break;
        case WIRE_HEARTBEAT_ACK:
            msg->heartbeat_ack.hb_ms = 123456;
            msg->heartbeat_ack.granted = true;
            break;
        case WIRE_VOTE_REQ:
            msg->vote_req.transfer = seq % 2;
            msg->vote_req.last_index = seq % 2 ? 40 : 0;
            msg->vote_req.last_term = seq % 2 ? 3 : 0;
            break;
        case WIRE_PREVOTE_REQ:
            msg->prevote_req.round = 0x5eed + seq;
            msg->prevote_req.last_index = 40;
            msg->prevote_req.last_term = 3;
            break;
        case WIRE_PREVOTE_RESP:
            msg->prevote_resp.granted = true;
            msg->prevote_resp.round = 0x5eed + seq;
            break;
        case WIRE_VOTE_RESP:
            msg->vote_resp.granted = true;
            break;
        case WIRE_STATUS_RESP:
            msg->status_resp.reply_to = 3;
            msg->status_resp.role = WIRE_FOLLOWER;
            break;
        case WIRE_TRANSFER_REQ:
            strcpy (msg->transfer_req.target, "n3");
            break;
        case WIRE_TRANSFER_RESP:
            msg->transfer_resp.reply_to = 1;
            msg->transfer_resp.reply_incarnation = 1735689600000000ULL;
            msg->transfer_resp.outcome = WIRE_OUTCOME_NOT_LEADER;
            msg->transfer_resp.has_leader = seq % 2 == 1;
            strcpy (msg->transfer_resp.leader, "n3");
            break;
        case WIRE_APPEND:           //  A no-op and a command, after (40, 3)
            msg->append.prev_index = 40;
            msg->append.prev_term = 3;
            msg->append.commit = 40;
            msg->append.entry_count = 2;
            msg->append.entries [0] = (wire_entry_t) { .term = msg->term, .type = 0 };
            msg->append.entries [1] = (wire_entry_t) {
                .term = msg->term, .type = 1, .payload = s_command, .size = sizeof (s_command) };
            break;
        case WIRE_APPEND_RESP:
            msg->append_resp.granted = seq % 2;
            msg->append_resp.match_index = 42;
            break;
        case WIRE_SNAPSHOT:
            msg->snapshot.index = 40;
            msg->snapshot.term = 3;
            msg->snapshot.commit = 41;
            msg->snapshot.offset = 4;
            msg->snapshot.total = 4 + sizeof (s_chunk) - 1;
            msg->snapshot.data = s_chunk;
            msg->snapshot.size = sizeof (s_chunk) - 1;
            break;
        case WIRE_CLIENT_REQ:       //  Every op, by seq
            msg->client_req.op = (wire_op_t) (1 + seq % WIRE_OP_MAX);
            msg->client_req.request_id = seq;
            strcpy (msg->client_req.key, "capacity/st-marys/beds");
            if (msg->client_req.op == WIRE_OP_PUT || msg->client_req.op == WIRE_OP_CAS) {
                msg->client_req.value = (const uint8_t *) "12";
                msg->client_req.value_size = 2;
            }
            msg->client_req.has_expected = msg->client_req.op == WIRE_OP_CAS
                                        || msg->client_req.op == WIRE_OP_DEL;
            msg->client_req.expected = 7;
            if (msg->client_req.op == WIRE_OP_LIST) {
                strcpy (msg->client_req.key, "capacity/");
                strcpy (msg->client_req.after, "capacity/a");
                msg->client_req.limit = 10;
            }
            break;
        case WIRE_CLIENT_RESP:      //  A list page
            msg->client_resp.reply_to = 2;
            msg->client_resp.reply_incarnation = 1735689600000000ULL;
            msg->client_resp.outcome = WIRE_OUTCOME_ACCEPTED;
            msg->client_resp.has_leader = true;
            strcpy (msg->client_resp.leader, "n1");
            msg->client_resp.index = 42;
            msg->client_resp.version = 41;
            msg->client_resp.has_value = true;
            msg->client_resp.value = (const uint8_t *) "12";
            msg->client_resp.value_size = 2;
            msg->client_resp.item_count = 2;
            msg->client_resp.items [0] = (wire_item_t) { "capacity/a", 3, (const uint8_t *) "1", 1 };
            msg->client_resp.items [1] = (wire_item_t) { "capacity/b", 41, (const uint8_t *) "", 0 };
            msg->client_resp.more = true;
            break;
        default:
            break;
    }
}

//  Append [signer][head_len][head][body_len:u16][body] for fuzz_rx's signed mode.
static size_t
s_signed_record (uint8_t *out, int signer, const wire_sealed_t *sealed)
{
    size_t n = 0;
    out [n++] = (uint8_t) signer;
    out [n++] = (uint8_t) sealed->head_size;
    memcpy (out + n, sealed->head, sealed->head_size);
    n += sealed->head_size;
    out [n++] = (uint8_t) (sealed->body_size >> 8);
    out [n++] = (uint8_t) sealed->body_size;
    memcpy (out + n, sealed->body, sealed->body_size);
    return n + sealed->body_size;
}

int
main (int argc, char **argv)
{
    if (argc != 2) {
        fprintf (stderr, "usage: fuzz_seeds <corpus-dir>\n");
        return 2;
    }
    s_dir = argv [1];
    fuzz_world_t *world = fuzz_world ();
    char name [64];

    //  fuzz_msg and fuzz_head: every type
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        wire_msg_t msg;
        wire_sealed_t sealed;
        s_sample (&msg, (wire_type_t) type, "n1", 2, (uint64_t) type);
        if (wire_seal (world->keys [0], &msg, &sealed))
            return 1;
        snprintf (name, sizeof (name), "%s", wire_type_name ((wire_type_t) type));
        s_file ("fuzz_msg", name, sealed.body, sealed.body_size);
        s_file ("fuzz_head", name, sealed.head, sealed.head_size);
    }
    for (uint64_t op = 1; op <= WIRE_OP_MAX; op++) {
        wire_msg_t msg;
        wire_sealed_t sealed;
        s_sample (&msg, WIRE_CLIENT_REQ, "ops", 2, op + WIRE_OP_MAX - 1);
        if (wire_seal (world->keys [FUZZ_CLIENT], &msg, &sealed))
            return 1;
        snprintf (name, sizeof (name), "client-request-%s", wire_op_name (msg.client_req.op));
        s_file ("fuzz_msg", name, sealed.body, sealed.body_size);
    }
    static const uint8_t bomb [] = { 0x82, 0x00, 0x01, 0x63, 0xdd, 0xff, 0xff, 0xff, 0xff };
    s_file ("fuzz_msg", "bomb-array32", bomb, sizeof (bomb));
    static const uint8_t v2 [] = { 0x82, 0x00, 0x02, 0x08, 0xc0 };
    s_file ("fuzz_msg", "version-2", v2, sizeof (v2));
    s_file ("fuzz_head", "version-2", "incidentmesh/2 prod heartbeat n1", 32);

    //  fuzz_keyfile
    const char *key = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    char text [256];
    int len = snprintf (text, sizeof (text),
                        "# incidentmesh Ed25519 secret key seed, hex. Keep private (mode 0600).\n%s\n", key);
    s_file ("fuzz_keyfile", "secret", text, (size_t) len);
    len = snprintf (text, sizeof (text), "\n# a\n\n%s \r\n# b\n", key);
    s_file ("fuzz_keyfile", "comments-crlf", text, (size_t) len);
    s_file ("fuzz_keyfile", "bare", key, 64);

    //  fuzz_rx, raw mode: a complete valid message, plain and as a zmsg via ROUTER
    for (int variant = 0; variant < 3; variant++) {
        wire_msg_t msg;
        wire_sealed_t sealed;
        s_sample (&msg, variant == 2 ? WIRE_APPEND : variant ? WIRE_VOTE_REQ : WIRE_HEARTBEAT,
                  "n3", 1, 1);
        if (wire_seal (world->keys [2], &msg, &sealed))
            return 1;
        uint8_t raw [2048];
        size_t n = 0;
        raw [n++] = variant ? 0x06 : 0x00;      //  Mode: even; variant 1 via zmsg + ROUTER
        raw [n++] = 3;
        raw [n++] = (uint8_t) (sealed.head_size >> 8);
        raw [n++] = (uint8_t) sealed.head_size;
        memcpy (raw + n, sealed.head, sealed.head_size);
        n += sealed.head_size;
        raw [n++] = (uint8_t) (sealed.body_size >> 8);
        raw [n++] = (uint8_t) sealed.body_size;
        memcpy (raw + n, sealed.body, sealed.body_size);
        n += sealed.body_size;
        memcpy (raw + n, sealed.sig, WIRE_SIG_BYTES);
        n += WIRE_SIG_BYTES;
        s_file ("fuzz_rx", variant == 2 ? "raw-router-append" : variant ? "raw-router-vote"
                                                                     : "raw-heartbeat", raw, n);
    }
    //  fuzz_rx, signed mode: every type from n1, a replay, an older
    //  incarnation, n3 out of order, and the outsider
    uint8_t seq_buf [8192];
    size_t n = 0;
    seq_buf [n++] = 0x01;
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        wire_msg_t msg;
        wire_sealed_t sealed;
        s_sample (&msg, (wire_type_t) type, "n1", 4, (uint64_t) type);
        wire_seal (world->keys [0], &msg, &sealed);
        n += s_signed_record (seq_buf + n, 0, &sealed);
        if (type == WIRE_VOTE_REQ)
            n += s_signed_record (seq_buf + n, 0, &sealed);         //  Replay
    }
    s_file ("fuzz_rx", "signed-every-type", seq_buf, n);
    n = 0;
    seq_buf [n++] = 0x03;
    uint64_t seqs [] = { 5, 3, 4, 1 };
    for (int i = 0; i < 4; i++) {
        wire_msg_t msg;
        wire_sealed_t sealed;
        s_sample (&msg, WIRE_HEARTBEAT, "n3", i == 3 ? 1 : 2, seqs [i]);
        wire_seal (world->keys [2], &msg, &sealed);
        n += s_signed_record (seq_buf + n, 2, &sealed);
    }
    wire_msg_t msg;
    wire_sealed_t sealed;
    s_sample (&msg, WIRE_HEARTBEAT, "n1", 1, 1);
    wire_seal (world->keys [3], &msg, &sealed);                    //  Outsider signs as n1
    n += s_signed_record (seq_buf + n, 3, &sealed);
    s_file ("fuzz_rx", "signed-reorder-stale-forged", seq_buf, n);

    //  fuzz_rx, signed mode: the client "ops" as meshctl (a large
    //  incarnation, seq from 1): its requests, something it may not send,
    //  a replay, an older incarnation; a member's request and status
    //  request (not permitted at a node); the outsider signing as ops
    struct { int signer; const char *from; wire_type_t type; uint64_t incarnation, seq; } client [] = {
        { FUZZ_CLIENT, "ops", WIRE_TRANSFER_REQ, 1735689600000000ULL, 1 },
        { FUZZ_CLIENT, "ops", WIRE_STATUS_REQ, 1735689600000000ULL, 2 },
        { FUZZ_CLIENT, "ops", WIRE_HEARTBEAT, 1735689600000000ULL, 3 },
        { FUZZ_CLIENT, "ops", WIRE_CLIENT_REQ, 1735689600000000ULL, 6 },
        { FUZZ_CLIENT, "ops", WIRE_CLIENT_REQ, 1735689600000000ULL, 7 },
        { FUZZ_CLIENT, "ops", WIRE_CLIENT_RESP, 1735689600000000ULL, 8 },
        { 0, "n1", WIRE_CLIENT_REQ, 4, 4 },
        { FUZZ_CLIENT, "ops", WIRE_TRANSFER_REQ, 1735689600000000ULL, 1 },
        { FUZZ_CLIENT, "ops", WIRE_TRANSFER_REQ, 1735689599000000ULL, 5 },
        { 0, "n1", WIRE_TRANSFER_REQ, 4, 1 },
        { 0, "n1", WIRE_STATUS_REQ, 4, 2 },
        { 0, "n1", WIRE_TRANSFER_RESP, 4, 3 },
        { FUZZ_OUTSIDER, "ops", WIRE_TRANSFER_REQ, 1735689601000000ULL, 1 },
        { FUZZ_CLIENT, "ops", WIRE_TRANSFER_REQ, 1735689601000000ULL, 1 },
    };
    n = 0;
    seq_buf [n++] = 0x05;
    for (size_t i = 0; i < sizeof (client) / sizeof (client [0]); i++) {
        s_sample (&msg, client [i].type, client [i].from, client [i].incarnation, client [i].seq);
        if (client [i].type == WIRE_TRANSFER_RESP || client [i].type == WIRE_CLIENT_RESP)
            strcpy (msg.to, "n2");
        if (wire_seal (world->keys [client [i].signer], &msg, &sealed))
            return 1;
        n += s_signed_record (seq_buf + n, client [i].signer, &sealed);
    }
    s_file ("fuzz_rx", "signed-client", seq_buf, n);
    return 0;
}
