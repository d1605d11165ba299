/*  fixture: see fixture.h. */
#include "fixture.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Not assert(): release builds define NDEBUG, and the fixture must hold.
#define FX_CHECK(cond) \
    do { if (!(cond)) { fprintf (stderr, "fixture: %s failed\n", #cond); abort (); } } while (0)

static const char *s_ids [FX_MEMBERS] = { "n1", "n2", "n3" };

static void
s_log (void *arg, const char *line)
{
    fx_t *self = (fx_t *) arg;
    if (self->log_count < FX_LOG_LINES_MAX)
        snprintf (self->log [self->log_count], WIRE_LOG_LINE_BYTES, "%s", line);
    self->log_count++;
}

void
fx_seed (uint8_t seed [32], uint8_t first)
{
    for (int i = 0; i < 32; i++)
        seed [i] = (uint8_t) (first + i);
}

const char *
fx_id (int member)
{
    return s_ids [member];
}

fx_t *
fx_new (void)
{
    fx_t *self = (fx_t *) calloc (1, sizeof (fx_t));
    FX_CHECK (self);
    uint8_t seed [32];
    self->peers = wire_peers_new ();
    FX_CHECK (self->peers);
    for (int i = 0; i < FX_MEMBERS; i++) {
        fx_seed (seed, (uint8_t) (0x10 * (i + 1)));
        self->keys [i] = keys_new_from_seed (seed);
        FX_CHECK (self->keys [i]);
        int index = wire_peers_add (self->peers, s_ids [i], keys_public (self->keys [i]));
        FX_CHECK (index == i);
        self->tx [i] = wire_tx_new (FX_CLUSTER, s_ids [i], self->keys [i], FX_INCARNATION);
        FX_CHECK (self->tx [i]);
    }
    fx_seed (seed, 0x70);
    self->stranger = keys_new_from_seed (seed);
    FX_CHECK (self->stranger);
    fx_seed (seed, 0x50);
    self->client = keys_new_from_seed (seed);
    FX_CHECK (self->client);
    FX_CHECK (wire_peers_add_client (self->peers, FX_CLIENT, keys_public (self->client),
                                     WIRE_TYPES_CLIENT) == FX_CLIENT_INDEX);
    self->client_tx = wire_tx_new (FX_CLUSTER, FX_CLIENT, self->client, FX_CLIENT_INCARNATION);
    FX_CHECK (self->client_tx);
    self->rx = wire_rx_new (FX_CLUSTER, "n2", self->peers);
    FX_CHECK (self->rx);
    wire_rx_set_logger (self->rx, s_log, self);
    return self;
}

void
fx_destroy (fx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    fx_t *self = *self_p;
    for (int i = 0; i < FX_MEMBERS; i++) {
        wire_tx_destroy (&self->tx [i]);
        keys_destroy (&self->keys [i]);
    }
    keys_destroy (&self->stranger);
    wire_tx_destroy (&self->client_tx);
    keys_destroy (&self->client);
    wire_rx_destroy (&self->rx);
    wire_peers_destroy (&self->peers);
    free (self);
    *self_p = NULL;
}

static void
s_sample_status (wire_status_t *status)
{
    status->elections = 4;
    status->prevotes = 6;
    status->leader_changes = 2;
    status->check_quorum_stepdowns = 1;
    status->messages_ignored = 17;
    status->failed_elections = 0;
    status->wire_accepted = 123456;
    status->wire_rejected = 9;
}

//  Payloads the sample messages point into (static: they outlive the msg)
static const uint8_t s_command [] = "put capacity/st-marys/beds 12";
static const uint8_t s_chunk [] = "snapshot bytes 0123456789";
static const uint8_t s_value [] = "12";
static const uint8_t s_value2 [] = "";

void
fx_msg (wire_msg_t *msg, wire_type_t type, const char *to, uint64_t term)
{
    wire_msg_init (msg, type);
    snprintf (msg->to, sizeof (msg->to), "%s", to);
    msg->term = term;
    //  A candidate's last entry: of an earlier term (none when term is 0)
    uint64_t last_term = term > 1 ? term - 1 : term;
    uint64_t last_index = last_term ? 12 : 0;
    switch (type) {
        case WIRE_HEARTBEAT:
            msg->heartbeat.role = WIRE_LEADER;
            msg->heartbeat.has_leader = true;
            strcpy (msg->heartbeat.leader, "n1");
            msg->heartbeat.hb_ms = 5000123;
            msg->heartbeat.has_lease = true;
            msg->heartbeat.lease_remaining_ms = 180;
            msg->heartbeat.has_lease_expiry = true;
            msg->heartbeat.lease_expiry_ms = 5000303;
            msg->heartbeat.storm = true;
            msg->heartbeat.has_status = true;
            s_sample_status (&msg->heartbeat.status);
            msg->heartbeat.has_commit = true;
            msg->heartbeat.commit = 1041;
            msg->heartbeat.has_applied = true;
            msg->heartbeat.applied = 1040;
            break;
        case WIRE_BEACON:           //  A follower's heartbeat: no lease, no commit
            msg->heartbeat.role = WIRE_FOLLOWER;
            msg->heartbeat.has_leader = true;
            strcpy (msg->heartbeat.leader, "n1");
            msg->heartbeat.hb_ms = 5000123;
            msg->heartbeat.has_status = true;
            s_sample_status (&msg->heartbeat.status);
            msg->heartbeat.has_applied = true;
            msg->heartbeat.applied = 1039;
            break;
        case WIRE_HEARTBEAT_ACK:
            msg->heartbeat_ack.hb_ms = 5000123;
            msg->heartbeat_ack.granted = true;
            break;
        case WIRE_PREVOTE_REQ:
            msg->prevote_req.round = 0x1234;
            msg->prevote_req.last_index = last_index;
            msg->prevote_req.last_term = last_term;
            break;
        case WIRE_PREVOTE_RESP:
            msg->prevote_resp.granted = true;
            msg->prevote_resp.round = 0x1234;
            break;
        case WIRE_VOTE_REQ:
            msg->vote_req.transfer = true;
            msg->vote_req.last_index = last_index;
            msg->vote_req.last_term = last_term;
            break;
        case WIRE_VOTE_RESP:
            msg->vote_resp.granted = true;
            break;
        case WIRE_STATUS_RESP:
            msg->status_resp.reply_to = 77;
            msg->status_resp.role = WIRE_FOLLOWER;
            msg->status_resp.has_leader = true;
            strcpy (msg->status_resp.leader, "n3");
            msg->status_resp.has_lease = false;
            msg->status_resp.storm = false;
            s_sample_status (&msg->status_resp.status);
            break;
        case WIRE_TRANSFER_REQ:
            strcpy (msg->transfer_req.target, "n3");
            break;
        case WIRE_TRANSFER_RESP:
            msg->transfer_resp.reply_to = 1;
            msg->transfer_resp.reply_incarnation = FX_CLIENT_INCARNATION;
            msg->transfer_resp.outcome = WIRE_OUTCOME_NOT_LEADER;
            msg->transfer_resp.has_leader = true;
            strcpy (msg->transfer_resp.leader, "n3");
            break;
        case WIRE_APPEND:           //  A command of an earlier term, the no-op and
                                    //  a command of this one (none at term 0)
            msg->append.prev_index = last_index;
            msg->append.prev_term = last_term;
            msg->append.commit = 11;
            if (term >= 1) {
                msg->append.entries [0] = (wire_entry_t) {
                    last_term, 1, s_command, sizeof (s_command) - 1 };
                msg->append.entries [1] = (wire_entry_t) { term, 0, NULL, 0 };
                msg->append.entries [2] = (wire_entry_t) { term, 1, s_value, 1 };
                msg->append.entry_count = 3;
            }
            break;
        case WIRE_APPEND_RESP:
            msg->append_resp.granted = true;
            msg->append_resp.match_index = 15;
            break;
        case WIRE_SNAPSHOT:         //  The second chunk of three
            msg->snapshot.index = 4096;
            msg->snapshot.term = term > 1 ? term - 1 : 1;
            msg->snapshot.commit = 4100;
            msg->snapshot.data = s_chunk;
            msg->snapshot.size = sizeof (s_chunk) - 1;
            msg->snapshot.offset = sizeof (s_chunk) - 1;
            msg->snapshot.total = 3 * (sizeof (s_chunk) - 1);
            break;
        case WIRE_CLIENT_REQ:       //  A cas
            msg->client_req.op = WIRE_OP_CAS;
            msg->client_req.request_id = 42;
            strcpy (msg->client_req.key, "capacity/st-marys/beds_available");
            msg->client_req.value = s_value;
            msg->client_req.value_size = sizeof (s_value) - 1;
            msg->client_req.has_expected = true;
            msg->client_req.expected = 17;
            break;
        case WIRE_CLIENT_RESP:      //  A list's page: two items, more to come
            msg->client_resp.reply_to = 1;
            msg->client_resp.reply_incarnation = FX_CLIENT_INCARNATION;
            msg->client_resp.outcome = WIRE_OUTCOME_ACCEPTED;
            msg->client_resp.has_leader = true;
            strcpy (msg->client_resp.leader, "n1");
            msg->client_resp.index = 1041;
            msg->client_resp.items [0] = (wire_item_t) { "capacity/a", 3, s_value, 2 };
            msg->client_resp.items [1] = (wire_item_t) { "capacity/b", 9, s_value2, 0 };
            msg->client_resp.item_count = 2;
            msg->client_resp.more = true;
            break;
        default:
            break;
    }
}

void
fx_stamp (wire_msg_t *msg, const char *cluster, const char *from,
          uint64_t incarnation, uint64_t seq)
{
    msg->version = WIRE_VERSION;
    snprintf (msg->cluster, sizeof (msg->cluster), "%s", cluster);
    snprintf (msg->from, sizeof (msg->from), "%s", from);
    msg->incarnation = incarnation;
    msg->seq = seq;
}

int
fx_deliver (wire_rx_t *rx, const wire_sealed_t *sealed, uint64_t now_ms,
            wire_msg_t *out, wire_reject_t *reason)
{
    wire_bytes_t frames [3] = {
        { (const uint8_t *) sealed->head, sealed->head_size },
        { sealed->body, sealed->body_size },
        { sealed->sig, WIRE_SIG_BYTES }
    };
    return wire_rx_accept_frames (rx, frames, 3, now_ms, out, reason);
}

void
fx_hex (const uint8_t *data, size_t size, char *hex)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        hex [2 * i] = digits [data [i] >> 4];
        hex [2 * i + 1] = digits [data [i] & 15];
    }
    hex [2 * size] = '\0';
}

static int
s_nibble (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int
fx_unhex (const char *hex, uint8_t *data, size_t cap)
{
    size_t len = strlen (hex);
    if (len % 2 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = s_nibble (hex [2 * i]), lo = s_nibble (hex [2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        data [i] = (uint8_t) (hi << 4 | lo);
    }
    return (int) (len / 2);
}

int
fx_setup (void **state)
{
    *state = fx_new ();
    return *state ? 0 : -1;
}

int
fx_teardown (void **state)
{
    fx_t *fx = (fx_t *) *state;
    fx_destroy (&fx);
    return 0;
}
