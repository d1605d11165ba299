/*  fixture: a three-member cluster "prod" (n1, n2, n3) and one client
    ("ops", which may send client requests) with keys from fixed seeds, a
    sender per principal, and n2's receive path, for the wire tests. Keys
    come from seeds so failures replay exactly. Members keep the default
    WIRE_TYPES_MEMBER here; tests that need a node's narrower rule build
    their own table.
*/
#ifndef MESH_TEST_WIRE_FIXTURE_H
#define MESH_TEST_WIRE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "envelope.h"
#include "keys.h"
#include "msg.h"
#include "peers.h"
#include "rx.h"
#include "tx.h"

#define FX_CLUSTER          "prod"
#define FX_INCARNATION      3
#define FX_CLIENT           "ops"               //  The client, index FX_CLIENT_INDEX
#define FX_CLIENT_INDEX     3
#define FX_CLIENT_INCARNATION 1735689600000000ULL   //  As meshctl: the time of day in us
#define FX_LOG_LINES_MAX    64

enum { FX_N1 = 0, FX_N2 = 1, FX_N3 = 2, FX_MEMBERS = 3 };

typedef struct {
    keys_t *keys [FX_MEMBERS];          //  Member identities, seeds 0x10.., 0x20.., 0x30..
    keys_t *stranger;                   //  Not in the table (seed 0x70..)
    keys_t *client;                     //  The client's identity (seed 0x50..)
    wire_peers_t *peers;                //  n1, n2, n3, then the client
    wire_tx_t *tx [FX_MEMBERS];         //  Each member's sender, incarnation 3
    wire_tx_t *client_tx;               //  The client's, FX_CLIENT_INCARNATION
    wire_rx_t *rx;                      //  n2's receive path
    char log [FX_LOG_LINES_MAX][WIRE_LOG_LINE_BYTES];
    size_t log_count;                   //  Lines the rx logged (capped store)
} fx_t;

//  Build the fixture (asserts on failure).
fx_t *fx_new (void);

//  Tear it down; safe on NULL.
void fx_destroy (fx_t **self_p);

//  cmocka group setup and teardown: a fresh fixture in *state.
int fx_setup (void **state);
int fx_teardown (void **state);

//  Fill seed with first, first+1, ... first+31.
void fx_seed (uint8_t seed [32], uint8_t first);

//  Member id "n1".."n3" for index 0..2.
const char *fx_id (int member);

//  A message of type to `to` with sample values for every field of the
//  type (header stamped later by a tx or by fx_stamp). Payloads point to
//  static bytes. Valid for any term, except a snapshot's at term 0.
void fx_msg (wire_msg_t *msg, wire_type_t type, const char *to, uint64_t term);

//  Stamp a header by hand: cluster, from, incarnation, seq.
void fx_stamp (wire_msg_t *msg, const char *cluster, const char *from,
               uint64_t incarnation, uint64_t seq);

//  Deliver sealed frames to rx; returns wire_rx_accept_frames' result.
int fx_deliver (wire_rx_t *rx, const wire_sealed_t *sealed, uint64_t now_ms,
                wire_msg_t *out, wire_reject_t *reason);

//  Hex helpers (lowercase). fx_unhex returns the byte count or -1.
void fx_hex (const uint8_t *data, size_t size, char *hex);
int fx_unhex (const char *hex, uint8_t *data, size_t cap);

#endif
