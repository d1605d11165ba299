/*  test_msg: the body codec. Round trips for every type, the exact bytes
    of a hand-assembled body, interoperability with msgpack-c's own
    unpacker, and tables of strictness cases built with msgpack-c's packer
    (so the malformed inputs are real msgpack, not just noise): the header,
    each type's fields, the per-type body caps, and the largest body of
    every type.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "mpread.h"

//  --------------------------------------------------------------------------
//  Round trips

//  The lengths below size that s_roundtrip tries: all of them for a small
//  body; for a large one the first and last 300 and every 997th between
//  (each try costs a whole encode or decode).
static size_t
s_next_cut (size_t cut, size_t size)
{
    if (size <= 4096 || cut < 300 || cut + 300 >= size)
        return cut + 1;
    return cut + 997 < size - 300 ? cut + 997 : size - 300;
}

static void
s_roundtrip (const wire_msg_t *msg)
{
    static uint8_t body [WIRE_BODY_BYTES_MAX], again [WIRE_BODY_BYTES_MAX];
    static uint8_t small [WIRE_BODY_BYTES_MAX];
    size_t size, size2;
    const char *why = NULL;
    if (wire_msg_check (msg, &why) != 0)
        fail_msg ("%s: invalid: %s", wire_type_name (msg->type), why);
    assert_int_equal (wire_msg_encode (msg, body, sizeof (body), &size), 0);
    assert_true (size <= wire_body_cap (msg->type));
    static wire_msg_t out;
    int rc = wire_msg_decode (body, size, &out, &why);
    if (rc != 0)
        fail_msg ("%s: decode failed: %s", wire_type_name (msg->type), why);
    assert_true (wire_msg_equal (&out, msg));
    //  Canonical: decoding then encoding gives the same bytes
    assert_int_equal (wire_msg_encode (&out, again, sizeof (again), &size2), 0);
    assert_int_equal (size2, size);
    assert_memory_equal (again, body, size);
    //  Shorter buffers are refused, never overrun
    for (size_t cap = 0; cap < size; cap = s_next_cut (cap, size)) {
        size_t unused = 12345;
        assert_int_equal (wire_msg_encode (msg, small, cap, &unused), -1);
        assert_int_equal (unused, 12345);
    }
    //  Proper prefixes are malformed
    for (size_t cut = 0; cut < size; cut = s_next_cut (cut, size))
        assert_int_equal (wire_msg_decode (body, cut, &out, NULL), WIRE_MALFORMED);
}

static void
test_roundtrip_every_type (void **state)
{
    (void) state;
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        wire_msg_t msg;
        fx_msg (&msg, (wire_type_t) type, wire_type_broadcast ((wire_type_t) type) ? "*" : "n2", 7);
        fx_stamp (&msg, FX_CLUSTER, "n1", 3, 99);
        s_roundtrip (&msg);
    }
}

static void
test_roundtrip_variants (void **state)
{
    (void) state;
    wire_msg_t msg;
    //  Heartbeat and beacon: every combination of the optional fields, every role
    for (int mask = 0; mask < 32; mask++) {
        for (int role = WIRE_FOLLOWER; role <= WIRE_LEADER; role++) {
            fx_msg (&msg, mask & 16 ? WIRE_BEACON : WIRE_HEARTBEAT, "*", 1);
            fx_stamp (&msg, FX_CLUSTER, "n3", 1, 1);
            msg.heartbeat.role = (wire_role_t) role;
            msg.heartbeat.has_leader = mask & 1;
            msg.heartbeat.has_lease = mask & 2;
            msg.heartbeat.has_lease_expiry = mask & 4;
            msg.heartbeat.has_status = mask & 8;
            msg.heartbeat.storm = role & 1;
            s_roundtrip (&msg);
        }
    }
    //  ... and the commit and applied indexes, alone or together
    for (int mask = 0; mask < 4; mask++) {
        fx_msg (&msg, mask & 1 ? WIRE_BEACON : WIRE_HEARTBEAT, "*", 1);
        fx_stamp (&msg, FX_CLUSTER, "n3", 1, 1);
        msg.heartbeat.has_commit = mask & 1;
        msg.heartbeat.has_applied = mask & 2;
        msg.heartbeat.commit = mask == 3 ? UINT64_MAX : 0;
        msg.heartbeat.applied = mask == 2 ? 0 : UINT64_MAX;
        s_roundtrip (&msg);
    }
    //  ... and a leader's round that asks no acknowledgement
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 1);
    fx_stamp (&msg, FX_CLUSTER, "n3", 1, 1);
    msg.heartbeat.role = WIRE_LEADER;
    msg.heartbeat.has_commit = msg.heartbeat.no_ack = true;
    s_roundtrip (&msg);
    //  Replies with both answers, status reply with and without a lease
    wire_type_t replies [] = { WIRE_HEARTBEAT_ACK, WIRE_PREVOTE_RESP, WIRE_VOTE_RESP,
                               WIRE_VOTE_REQ, WIRE_APPEND_RESP };
    for (size_t i = 0; i < sizeof (replies) / sizeof (replies [0]); i++) {
        for (int value = 0; value < 2; value++) {
            fx_msg (&msg, replies [i], "n1", 0);
            fx_stamp (&msg, FX_CLUSTER, "n2", 5, 6);
            switch (replies [i]) {
                case WIRE_HEARTBEAT_ACK: msg.heartbeat_ack.granted = value; break;
                case WIRE_PREVOTE_RESP:  msg.prevote_resp.granted = value; break;
                case WIRE_VOTE_RESP:     msg.vote_resp.granted = value; break;
                case WIRE_VOTE_REQ:      msg.vote_req.transfer = value; break;
                default:
                    msg.append_resp.granted = value;
                    msg.append_resp.match_index = value ? UINT64_MAX : 0;
                    break;
            }
            s_roundtrip (&msg);
        }
    }
    //  Log positions: empty, compacted, the largest
    uint64_t positions [][2] = { { 0, 0 }, { 1, 1 }, { 100, 3 }, { UINT64_MAX, 9 } };
    for (size_t i = 0; i < 4; i++) {
        fx_msg (&msg, WIRE_VOTE_REQ, "n1", 9);
        fx_stamp (&msg, FX_CLUSTER, "n2", 5, 6);
        msg.vote_req.last_index = positions [i][0];
        msg.vote_req.last_term = positions [i][1];
        s_roundtrip (&msg);
        fx_msg (&msg, WIRE_PREVOTE_REQ, "n1", 10);
        fx_stamp (&msg, FX_CLUSTER, "n2", 5, 7);
        msg.prevote_req.last_index = positions [i][0];
        msg.prevote_req.last_term = positions [i][1];
        s_roundtrip (&msg);
    }
    fx_msg (&msg, WIRE_STATUS_RESP, "ctl", 9);
    fx_stamp (&msg, FX_CLUSTER, "n2", 5, 6);
    msg.status_resp.has_lease = true;
    msg.status_resp.lease_remaining_ms = 42;
    msg.status_resp.has_leader = false;
    s_roundtrip (&msg);
    //  Transfer replies: every outcome, with and without a leader
    for (int outcome = 0; outcome <= WIRE_OUTCOME_MAX; outcome++) {
        for (int leader = 0; leader < 2; leader++) {
            fx_msg (&msg, WIRE_TRANSFER_RESP, FX_CLIENT, 9);
            fx_stamp (&msg, FX_CLUSTER, "n1", 5, 6);
            msg.transfer_resp.outcome = (wire_outcome_t) outcome;
            msg.transfer_resp.has_leader = leader;
            s_roundtrip (&msg);
        }
    }
    fx_msg (&msg, WIRE_TRANSFER_RESP, FX_CLIENT, UINT64_MAX);
    fx_stamp (&msg, FX_CLUSTER, "n1", 5, 6);
    msg.transfer_resp.reply_to = msg.transfer_resp.reply_incarnation = UINT64_MAX;
    s_roundtrip (&msg);

    //  The largest values and longest ids fit well under the small cap
    fx_msg (&msg, WIRE_HEARTBEAT, "*", UINT64_MAX);
    char cluster [WIRE_CLUSTER_CHARS_MAX + 1], id [WIRE_ID_CHARS_MAX + 1];
    memset (cluster, 'C', WIRE_CLUSTER_CHARS_MAX);
    cluster [WIRE_CLUSTER_CHARS_MAX] = '\0';
    memset (id, 'i', WIRE_ID_CHARS_MAX);
    id [WIRE_ID_CHARS_MAX] = '\0';
    fx_stamp (&msg, cluster, id, UINT64_MAX, UINT64_MAX);
    strcpy (msg.heartbeat.leader, id);
    msg.heartbeat.hb_ms = msg.heartbeat.lease_remaining_ms = UINT64_MAX;
    msg.heartbeat.lease_expiry_ms = UINT64_MAX;
    memset (&msg.heartbeat.status, 0xff, sizeof (msg.heartbeat.status));
    msg.heartbeat.commit = msg.heartbeat.applied = UINT64_MAX;
    s_roundtrip (&msg);
    uint8_t body [WIRE_SMALL_BODY_BYTES_MAX];
    size_t size;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    assert_true (size < WIRE_SMALL_BODY_BYTES_MAX / 2);
}

//  A body assembled by hand from docs/PROTOCOL.md: a pre-vote request.
static void
test_exact_bytes (void **state)
{
    (void) state;
    static const uint8_t expect [] = {
        0x8b,                                   //  map, 11 pairs
        0x00, 0x01,                             //  0 version: 1
        0x01, 0xa4, 'p', 'r', 'o', 'd',         //  1 cluster: "prod"
        0x02, 0x03,                             //  2 type: prevote-request
        0x03, 0xa2, 'n', '1',                   //  3 from: "n1"
        0x04, 0xa2, 'n', '2',                   //  4 to: "n2"
        0x05, 0x08,                             //  5 term: 8
        0x06, 0xcd, 0x01, 0x2c,                 //  6 incarnation: 300 (uint16)
        0x07, 0x2a,                             //  7 seq: 42
        0x1b, 0xcd, 0x12, 0x34,                 //  27 round: 0x1234 (uint16)
        0x28, 0x0c,                             //  40 last_index: 12
        0x29, 0x07                              //  41 last_term: 7
    };
    wire_msg_t msg, out;
    fx_msg (&msg, WIRE_PREVOTE_REQ, "n2", 8);
    fx_stamp (&msg, "prod", "n1", 300, 42);
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    assert_int_equal (size, sizeof (expect));
    assert_memory_equal (body, expect, size);
    assert_int_equal (wire_msg_decode (expect, sizeof (expect), &out, NULL), 0);
    assert_true (wire_msg_equal (&out, &msg));

    //  A transfer-request from client "ops", as meshctl sends it
    static const uint8_t request [] = {
        0x89,                                   //  map, 9 pairs
        0x00, 0x01,                             //  0 version: 1
        0x01, 0xa4, 'p', 'r', 'o', 'd',         //  1 cluster: "prod"
        0x02, 0x0a,                             //  2 type: 10 transfer-request
        0x03, 0xa3, 'o', 'p', 's',              //  3 from: "ops"
        0x04, 0xa2, 'n', '1',                   //  4 to: "n1" (the leader)
        0x05, 0x07,                             //  5 term: 7 (the leader's)
        0x06, 0xcf, 0x00, 0x06, 0x2a, 0x99, 0xba, 0x0c, 0x60, 0x00,
                                                //  6 incarnation: 1735689600000000 (uint 64)
        0x07, 0x01,                             //  7 seq: 1
        0x19, 0xa2, 'n', '3'                    //  25 target: "n3"
    };
    fx_msg (&msg, WIRE_TRANSFER_REQ, "n1", 7);
    fx_stamp (&msg, "prod", FX_CLIENT, FX_CLIENT_INCARNATION, 1);
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    assert_int_equal (size, sizeof (request));
    assert_memory_equal (body, request, size);
    assert_int_equal (wire_msg_decode (request, sizeof (request), &out, NULL), 0);
    assert_true (wire_msg_equal (&out, &msg));
    assert_string_equal (out.transfer_req.target, "n3");
}

//  msgpack-c's unpacker reads our bodies as the documented map: what a
//  monitor written with any msgpack library will see.
static void
test_interop_msgpack_c (void **state)
{
    (void) state;
    wire_msg_t msg;
    fx_msg (&msg, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", 3, 4);
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);

    msgpack_unpacked result;
    msgpack_unpacked_init (&result);
    size_t offset = 0;
    assert_int_equal (msgpack_unpack_next (&result, (const char *) body, size, &offset),
                      MSGPACK_UNPACK_SUCCESS);
    assert_int_equal (offset, size);
    msgpack_object top = result.data;
    assert_int_equal (top.type, MSGPACK_OBJECT_MAP);
    uint64_t expect_keys [] = { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 34, 64, 65, 66 };
    assert_int_equal (top.via.map.size, sizeof (expect_keys) / sizeof (expect_keys [0]));
    for (uint32_t i = 0; i < top.via.map.size; i++) {
        msgpack_object_kv *kv = &top.via.map.ptr [i];
        assert_int_equal (kv->key.type, MSGPACK_OBJECT_POSITIVE_INTEGER);
        assert_int_equal (kv->key.via.u64, expect_keys [i]);
        switch (kv->key.via.u64) {
            case WIRE_KEY_CLUSTER:
                assert_int_equal (kv->val.type, MSGPACK_OBJECT_STR);
                assert_int_equal (kv->val.via.str.size, 4);
                assert_memory_equal (kv->val.via.str.ptr, "prod", 4);
                break;
            case WIRE_KEY_HB_MS:
                assert_int_equal (kv->val.via.u64, 5000123);
                break;
            case WIRE_KEY_STORM:
                assert_int_equal (kv->val.type, MSGPACK_OBJECT_BOOLEAN);
                assert_true (kv->val.via.boolean);
                break;
            case WIRE_KEY_STATUS:
                assert_int_equal (kv->val.type, MSGPACK_OBJECT_MAP);
                assert_int_equal (kv->val.via.map.size, WIRE_STATUS_KEYS);
                assert_int_equal (kv->val.via.map.ptr [6].val.via.u64, 123456);
                break;
            case WIRE_KEY_COMMIT:
                assert_int_equal (kv->val.via.u64, 1041);
                break;
            case WIRE_KEY_APPLIED:
                assert_int_equal (kv->val.via.u64, 1040);
                break;
            default:
                break;
        }
    }
    msgpack_unpacked_destroy (&result);

    //  An append: its entries are arrays of [term, type, bin payload]
    fx_msg (&msg, WIRE_APPEND, "n2", 7);
    fx_stamp (&msg, FX_CLUSTER, "n1", 3, 5);
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msgpack_unpacked_init (&result);
    offset = 0;
    assert_int_equal (msgpack_unpack_next (&result, (const char *) body, size, &offset),
                      MSGPACK_UNPACK_SUCCESS);
    top = result.data;
    assert_int_equal (top.via.map.size, 12);
    msgpack_object_kv *entries = &top.via.map.ptr [11];
    assert_int_equal (entries->key.via.u64, WIRE_KEY_ENTRIES);
    assert_int_equal (entries->val.type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal (entries->val.via.array.size, 3);
    msgpack_object *first = &entries->val.via.array.ptr [0];
    assert_int_equal (first->via.array.size, 3);
    assert_int_equal (first->via.array.ptr [0].via.u64, 6);
    assert_int_equal (first->via.array.ptr [1].via.u64, 1);
    assert_int_equal (first->via.array.ptr [2].type, MSGPACK_OBJECT_BIN);
    assert_int_equal (first->via.array.ptr [2].via.bin.size, msg.append.entries [0].size);
    msgpack_object *noop = &entries->val.via.array.ptr [1];
    assert_int_equal (noop->via.array.ptr [1].via.u64, 0);
    assert_int_equal (noop->via.array.ptr [2].type, MSGPACK_OBJECT_BIN);
    assert_int_equal (noop->via.array.ptr [2].via.bin.size, 0);
    msgpack_unpacked_destroy (&result);
}

//  --------------------------------------------------------------------------
//  Strictness, with bodies packed by msgpack-c

typedef void (s_value_fn) (msgpack_packer *pk);

typedef struct {
    msgpack_sbuffer sb;
    msgpack_packer pk;
} s_builder_t;

static void
s_init (s_builder_t *b)
{
    msgpack_sbuffer_init (&b->sb);
    msgpack_packer_init (&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void
s_str (msgpack_packer *pk, const char *s)
{
    msgpack_pack_str_with_body (pk, s, strlen (s));
}

//  The header of a status request from n1 to n2 in "prod": keys 0..7 with
//  `omit` left out and `replace`'s value written for key `key`. The map
//  header counts `extra` more pairs that the caller appends.
static void
s_header (s_builder_t *b, int extra, int omit, int key, s_value_fn *replace)
{
    s_init (b);
    msgpack_packer *pk = &b->pk;
    msgpack_pack_map (pk, (size_t) (8 - (omit >= 0) + extra));
    for (int k = 0; k <= 7; k++) {
        if (k == omit)
            continue;
        msgpack_pack_uint8 (pk, (uint8_t) k);
        if (k == key) {
            replace (pk);
            continue;
        }
        switch (k) {
            case 0: msgpack_pack_uint8 (pk, 1); break;
            case 1: s_str (pk, "prod"); break;
            case 2: msgpack_pack_uint8 (pk, WIRE_STATUS_REQ); break;
            case 3: s_str (pk, "n1"); break;
            case 4: s_str (pk, "n2"); break;
            case 5: msgpack_pack_uint8 (pk, 7); break;
            case 6: msgpack_pack_uint8 (pk, 3); break;
            case 7: msgpack_pack_uint8 (pk, 9); break;
        }
    }
}

static int
s_decode (s_builder_t *b)
{
    wire_msg_t msg;
    int rc = wire_msg_decode ((const uint8_t *) b->sb.data, b->sb.size, &msg, NULL);
    msgpack_sbuffer_destroy (&b->sb);
    return rc;
}

static void v_nil (msgpack_packer *pk) { msgpack_pack_nil (pk); }
static void v_true (msgpack_packer *pk) { msgpack_pack_true (pk); }
static void v_zero (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 0); }
static void v_two (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 2); }
static void v_ten (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 10); }
static void v_thirteen (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 13); }
static void v_18 (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 18); }
static void v_31 (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 31); }
static void v_big (msgpack_packer *pk) { msgpack_pack_uint64 (pk, 1ULL << 40); }
static void v_minus (msgpack_packer *pk) { msgpack_pack_int8 (pk, -1); }
static void v_float (msgpack_packer *pk) { msgpack_pack_double (pk, 1.0); }
static void v_str1 (msgpack_packer *pk) { s_str (pk, "1"); }
static void v_bin (msgpack_packer *pk) { msgpack_pack_bin_with_body (pk, "prod", 4); }
static void v_empty (msgpack_packer *pk) { s_str (pk, ""); }
static void v_star (msgpack_packer *pk) { s_str (pk, "*"); }
static void v_space (msgpack_packer *pk) { s_str (pk, "pr od"); }
static void v_utf8 (msgpack_packer *pk) { s_str (pk, "n\xc3\xa9"); }
static void v_nul (msgpack_packer *pk) { msgpack_pack_str_with_body (pk, "n1\0", 3); }
static void v_array (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
static void v_map (msgpack_packer *pk) { msgpack_pack_map (pk, 0); }
static void v_long65 (msgpack_packer *pk)
{
    char s [66];
    memset (s, 'a', 65);
    s [65] = 0;
    s_str (pk, s);
}
static void v_long64 (msgpack_packer *pk)
{
    char s [65];
    memset (s, 'a', 64);
    s [64] = 0;
    s_str (pk, s);
}
static void v_long33 (msgpack_packer *pk)
{
    char s [34];
    memset (s, 'b', 33);
    s [33] = 0;
    s_str (pk, s);
}
static void v_long32 (msgpack_packer *pk)
{
    char s [33];
    memset (s, 'b', 32);
    s [32] = 0;
    s_str (pk, s);
}
//  Non-shortest integer encodings of 7: accepted (one integer type)
static void v_u64_seven (msgpack_packer *pk) { msgpack_pack_fix_uint64 (pk, 7); }
static void v_i8_seven (msgpack_packer *pk) { msgpack_pack_fix_int8 (pk, 7); }
static void v_max (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX); }

typedef struct {
    const char *name;
    int key;                    //  Header key whose value is replaced
    s_value_fn *value;
    int expect;
} s_case_t;

static void
test_header_values (void **state)
{
    (void) state;
    const s_case_t cases [] = {
        { "version 2",               0, v_two,       WIRE_UNSUPPORTED },
        { "version 0",               0, v_zero,      WIRE_UNSUPPORTED },
        { "version as str",          0, v_str1,      WIRE_MALFORMED },
        { "version negative",        0, v_minus,     WIRE_MALFORMED },
        { "version float",           0, v_float,     WIRE_MALFORMED },
        { "cluster as bin",          1, v_bin,       WIRE_MALFORMED },
        { "cluster empty",           1, v_empty,     WIRE_MALFORMED },
        { "cluster 65 chars",        1, v_long65,    WIRE_MALFORMED },
        { "cluster 64 chars",        1, v_long64,    0 },
        { "cluster with space",      1, v_space,     WIRE_MALFORMED },
        { "cluster nil",             1, v_nil,       WIRE_MALFORMED },
        { "cluster star",            1, v_star,      WIRE_MALFORMED },
        { "type 0",                  2, v_zero,      WIRE_MALFORMED },
        { "type 10 lacking target",  2, v_ten,       WIRE_MALFORMED },
        { "type 13 lacking entries", 2, v_thirteen,  WIRE_MALFORMED },
        { "type 18 (unassigned)",    2, v_18,        WIRE_MALFORMED },
        { "type 31 (unassigned)",    2, v_31,        WIRE_MALFORMED },
        { "type 2^40",               2, v_big,       WIRE_MALFORMED },
        { "type negative",           2, v_minus,     WIRE_MALFORMED },
        { "from star",               3, v_star,      WIRE_MALFORMED },
        { "from 33 chars",           3, v_long33,    WIRE_MALFORMED },
        { "from 32 chars",           3, v_long32,    0 },
        { "from utf-8",              3, v_utf8,      WIRE_MALFORMED },
        { "from with NUL",           3, v_nul,       WIRE_MALFORMED },
        { "from array",              3, v_array,     WIRE_MALFORMED },
        { "to star",                 4, v_star,      0 },
        { "to empty",                4, v_empty,     WIRE_MALFORMED },
        { "to map",                  4, v_map,       WIRE_MALFORMED },
        { "term as str",             5, v_str1,      WIRE_MALFORMED },
        { "term negative",           5, v_minus,     WIRE_MALFORMED },
        { "term bool",               5, v_true,      WIRE_MALFORMED },
        { "term float",              5, v_float,     WIRE_MALFORMED },
        { "term uint64 max",         5, v_max,       0 },
        { "term as uint64 7",        5, v_u64_seven, 0 },
        { "term as int8 7",          5, v_i8_seven,  0 },
        { "incarnation 0",           6, v_zero,      WIRE_MALFORMED },
        { "incarnation nil",         6, v_nil,       WIRE_MALFORMED },
        { "seq 0",                   7, v_zero,      WIRE_MALFORMED },
        { "seq negative",            7, v_minus,     WIRE_MALFORMED },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        s_builder_t b;
        s_header (&b, 0, -1, cases [i].key, cases [i].value);
        int rc = s_decode (&b);
        if (rc != cases [i].expect)
            fail_msg ("%s: expected %d, got %d", cases [i].name, cases [i].expect, rc);
    }
}

static void
test_missing_and_order (void **state)
{
    (void) state;
    s_builder_t b;
    s_header (&b, 0, -1, -1, NULL);
    assert_int_equal (s_decode (&b), 0);
    for (int omit = 0; omit <= 7; omit++) {
        s_header (&b, 0, omit, -1, NULL);
        assert_int_equal (s_decode (&b), WIRE_MALFORMED);
    }
    //  Out of order, duplicate, and keys in other encodings
    static const uint8_t swapped [] = {
        0x88, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x08,
        0x04, 0xa2, 'n', '2', 0x03, 0xa2, 'n', '1', 0x05, 0x07, 0x06, 0x03, 0x07, 0x09 };
    static const uint8_t duplicate [] = {
        0x89, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x08,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0x05, 0x07, 0x05, 0x08,
        0x06, 0x03, 0x07, 0x09 };
    static const uint8_t uint8_key [] = {
        0x88, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x08,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0xcc, 0x05, 0x07, 0x06, 0x03, 0x07, 0x09 };
    static const uint8_t str_key [] = {
        0x88, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x08,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0xa1, '5', 0x07, 0x06, 0x03, 0x07, 0x09 };
    static const uint8_t negative_key [] = {
        0x89, 0xff, 0x00, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x08,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0x05, 0x07, 0x06, 0x03, 0x07, 0x09 };
    static const uint8_t version_second [] = {
        0x88, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x00, 0x01, 0x02, 0x08,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0x05, 0x07, 0x06, 0x03, 0x07, 0x09 };
    static const uint8_t good [] = {
        0x88, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x08,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0x05, 0x07, 0x06, 0x03, 0x07, 0x09 };
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode (good, sizeof (good), &msg, NULL), 0);
    assert_int_equal (msg.type, WIRE_STATUS_REQ);
    const char *why = NULL;
    assert_int_equal (wire_msg_decode (swapped, sizeof (swapped), &msg, &why), WIRE_MALFORMED);
    assert_non_null (why);
    assert_int_equal (wire_msg_decode (duplicate, sizeof (duplicate), &msg, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (uint8_key, sizeof (uint8_key), &msg, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (str_key, sizeof (str_key), &msg, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (negative_key, sizeof (negative_key), &msg, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (version_second, sizeof (version_second), &msg, NULL), WIRE_MALFORMED);
    //  Trailing byte, and not-a-map bodies
    uint8_t trailing [sizeof (good) + 1];
    memcpy (trailing, good, sizeof (good));
    trailing [sizeof (good)] = 0xc0;
    assert_int_equal (wire_msg_decode (trailing, sizeof (trailing), &msg, NULL), WIRE_MALFORMED);
    static const uint8_t not_maps [][2] = { { 0xc0 }, { 0x90 }, { 0x80 }, { 0x01 }, { 0xc1 } };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal (wire_msg_decode (not_maps [i], 1, &msg, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (good, 0, &msg, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (NULL, 0, &msg, NULL), WIRE_MALFORMED);
}

//  Append key with a value.
static void
s_extra (s_builder_t *b, uint8_t key, s_value_fn *value)
{
    msgpack_pack_uint8 (&b->pk, key);
    value (&b->pk);
}

static void v_nested (msgpack_packer *pk)
{
    //  [1, {"a": nil, "b": [bin, ext]}, -3, 2.5]
    msgpack_pack_array (pk, 4);
    msgpack_pack_uint8 (pk, 1);
    msgpack_pack_map (pk, 2);
    s_str (pk, "a");
    msgpack_pack_nil (pk);
    s_str (pk, "b");
    msgpack_pack_array (pk, 2);
    msgpack_pack_bin_with_body (pk, "xy", 2);
    msgpack_pack_ext_with_body (pk, "z", 1, 5);
    msgpack_pack_int8 (pk, -3);
    msgpack_pack_double (pk, 2.5);
}

static int s_depth;
static void v_deep (msgpack_packer *pk)
{
    for (int i = 0; i < s_depth; i++)
        msgpack_pack_array (pk, 1);
    msgpack_pack_nil (pk);
}

static void
test_unknown_keys (void **state)
{
    (void) state;
    s_builder_t b;
    //  Critical keys not known for the type: malformed
    int critical [] = { 8, 15, 16, 21, 30, 63 };
    for (size_t i = 0; i < sizeof (critical) / sizeof (critical [0]); i++) {
        s_header (&b, 1, -1, -1, NULL);
        s_extra (&b, (uint8_t) critical [i], v_zero);
        assert_int_equal (s_decode (&b), WIRE_MALFORMED);
    }
    //  Ancillary keys: skipped whatever their value, within the limits
    int ancillary [] = { 64, 65, 66, 99, 127 };
    for (size_t i = 0; i < sizeof (ancillary) / sizeof (ancillary [0]); i++) {
        s_header (&b, 1, -1, -1, NULL);
        s_extra (&b, (uint8_t) ancillary [i], v_nested);
        assert_int_equal (s_decode (&b), 0);
    }
    s_header (&b, 2, -1, -1, NULL);
    s_extra (&b, 70, v_nested);
    s_extra (&b, 71, v_float);
    assert_int_equal (s_decode (&b), 0);
    //  ... but not out of order or twice
    s_header (&b, 2, -1, -1, NULL);
    s_extra (&b, 71, v_nil);
    s_extra (&b, 70, v_nil);
    assert_int_equal (s_decode (&b), WIRE_MALFORMED);
    s_header (&b, 2, -1, -1, NULL);
    s_extra (&b, 70, v_nil);
    s_extra (&b, 70, v_nil);
    assert_int_equal (s_decode (&b), WIRE_MALFORMED);
    //  Nesting: the body map plus 7 levels is the limit (WIRE_DEPTH_MAX 8)
    s_depth = WIRE_DEPTH_MAX - 1;
    s_header (&b, 1, -1, -1, NULL);
    s_extra (&b, 99, v_deep);
    assert_int_equal (s_decode (&b), 0);
    s_depth = WIRE_DEPTH_MAX;
    s_header (&b, 1, -1, -1, NULL);
    s_extra (&b, 99, v_deep);
    assert_int_equal (s_decode (&b), WIRE_MALFORMED);
    s_depth = 1000;
    s_header (&b, 1, -1, -1, NULL);
    s_extra (&b, 99, v_deep);
    assert_int_equal (s_decode (&b), WIRE_MALFORMED);
    //  A heartbeat field on a status request: critical, unknown here
    s_header (&b, 1, -1, -1, NULL);
    s_extra (&b, WIRE_KEY_ROLE, v_zero);
    assert_int_equal (s_decode (&b), WIRE_MALFORMED);
}

//  A heartbeat body from n1 with one field replaced or left out.
static void
s_heartbeat (s_builder_t *b, int key, s_value_fn *value, bool omit)
{
    s_init (b);
    msgpack_packer *pk = &b->pk;
    int keys [] = { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 64, 65 };
    int count = (int) (sizeof (keys) / sizeof (keys [0]));
    msgpack_pack_map (pk, (size_t) (count - omit));
    for (int i = 0; i < count; i++) {
        int k = keys [i];
        if (k == key && omit)
            continue;
        msgpack_pack_uint8 (pk, (uint8_t) k);
        if (k == key) {
            value (pk);
            continue;
        }
        switch (k) {
            case 0: msgpack_pack_uint8 (pk, 1); break;
            case 1: s_str (pk, "prod"); break;
            case 2: msgpack_pack_uint8 (pk, WIRE_HEARTBEAT); break;
            case 3: s_str (pk, "n1"); break;
            case 4: s_str (pk, "*"); break;
            case 5: msgpack_pack_uint8 (pk, 7); break;
            case 6: msgpack_pack_uint8 (pk, 3); break;
            case 7: msgpack_pack_uint8 (pk, 9); break;
            case 16: msgpack_pack_uint8 (pk, WIRE_LEADER); break;
            case 17: s_str (pk, "n1"); break;
            case 18: msgpack_pack_uint32 (pk, 5000123); break;
            case 19: msgpack_pack_uint8 (pk, 180); break;
            case 20: msgpack_pack_false (pk); break;
            case 64: msgpack_pack_uint32 (pk, 5000303); break;
            case 65:
                msgpack_pack_map (pk, 8);
                for (uint8_t c = 0; c < 8; c++) {
                    msgpack_pack_uint8 (pk, c);
                    msgpack_pack_uint8 (pk, c);
                }
                break;
        }
    }
}

static void v_status_short (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 7);
    for (uint8_t c = 0; c < 7; c++) {
        msgpack_pack_uint8 (pk, c);
        msgpack_pack_uint8 (pk, c);
    }
}
static void v_status_neg (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 8);
    for (uint8_t c = 0; c < 8; c++) {
        msgpack_pack_uint8 (pk, c);
        msgpack_pack_int8 (pk, c == 3 ? -1 : 1);
    }
}
static void v_status_critical (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 9);
    for (uint8_t c = 0; c < 9; c++) {
        msgpack_pack_uint8 (pk, c);
        msgpack_pack_uint8 (pk, c);
    }
}
static void v_status_ancillary (msgpack_packer *pk)
{
    msgpack_pack_map (pk, 9);
    for (uint8_t c = 0; c < 8; c++) {
        msgpack_pack_uint8 (pk, c);
        msgpack_pack_uint8 (pk, c);
    }
    msgpack_pack_uint8 (pk, 70);
    v_nested (pk);
}
static void v_role4 (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 4); }

static void
test_heartbeat_fields (void **state)
{
    (void) state;
    struct { const char *name; int key; s_value_fn *value; bool omit; int expect; } cases [] = {
        { "as built",                 -1, NULL,               false, 0 },
        { "role 4",                   16, v_role4,            false, WIRE_MALFORMED },
        { "role str",                 16, v_str1,             false, WIRE_MALFORMED },
        { "role missing",             16, NULL,               true,  WIRE_MALFORMED },
        { "leader nil",               17, v_nil,              false, 0 },
        { "leader star",              17, v_star,             false, WIRE_MALFORMED },
        { "leader int",               17, v_zero,             false, WIRE_MALFORMED },
        { "leader missing",           17, NULL,               true,  WIRE_MALFORMED },
        { "hb_ms missing",            18, NULL,               true,  WIRE_MALFORMED },
        { "hb_ms negative",           18, v_minus,            false, WIRE_MALFORMED },
        { "lease optional",           19, NULL,               true,  0 },
        { "lease bool",               19, v_true,             false, WIRE_MALFORMED },
        { "storm int",                20, v_zero,             false, WIRE_MALFORMED },
        { "storm nil",                20, v_nil,              false, WIRE_MALFORMED },
        { "storm missing",            20, NULL,               true,  WIRE_MALFORMED },
        { "expiry optional",          64, NULL,               true,  0 },
        { "expiry str (known key)",   64, v_str1,             false, WIRE_MALFORMED },
        { "status optional",          65, NULL,               true,  0 },
        { "status not a map",         65, v_array,            false, WIRE_MALFORMED },
        { "status lacks a counter",   65, v_status_short,     false, WIRE_MALFORMED },
        { "status negative counter",  65, v_status_neg,       false, WIRE_MALFORMED },
        { "status critical key 8",    65, v_status_critical,  false, WIRE_MALFORMED },
        { "status ancillary key 70",  65, v_status_ancillary, false, 0 },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        s_builder_t b;
        s_heartbeat (&b, cases [i].key, cases [i].value, cases [i].omit);
        int rc = s_decode (&b);
        if (rc != cases [i].expect)
            fail_msg ("%s: expected %d, got %d", cases [i].name, cases [i].expect, rc);
    }
    //  The values land where they belong
    s_builder_t b;
    s_heartbeat (&b, 17, v_nil, false);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    msgpack_sbuffer_destroy (&b.sb);
    assert_int_equal (msg.heartbeat.role, WIRE_LEADER);
    assert_false (msg.heartbeat.has_leader);
    assert_int_equal (msg.heartbeat.hb_ms, 5000123);
    assert_true (msg.heartbeat.has_lease);
    assert_int_equal (msg.heartbeat.lease_remaining_ms, 180);
    assert_true (msg.heartbeat.has_lease_expiry);
    assert_int_equal (msg.heartbeat.lease_expiry_ms, 5000303);
    assert_true (msg.heartbeat.has_status);
    assert_int_equal (msg.heartbeat.status.wire_rejected, 7);
}

//  A transfer-request (reply: false) or transfer-reply (reply: true) body
//  with one field replaced or left out, or one extra key appended.
static void
s_transfer (s_builder_t *b, bool reply, int key, s_value_fn *value, bool omit)
{
    s_init (b);
    msgpack_packer *pk = &b->pk;
    static const int request_keys [] = { 0, 1, 2, 3, 4, 5, 6, 7, 25 };
    static const int reply_keys [] = { 0, 1, 2, 3, 4, 5, 6, 7, 17, 23, 24, 26 };
    const int *keys = reply ? reply_keys : request_keys;
    int count = reply ? 12 : 9;
    bool extra = !omit && key >= 0 && value;
    for (int i = 0; i < count; i++)
        if (keys [i] == key)
            extra = false;
    msgpack_pack_map (pk, (size_t) (count - omit + extra));
    for (int i = 0; i < count; i++) {
        int k = keys [i];
        if (k == key && omit)
            continue;
        if (extra && k > key) {
            msgpack_pack_uint8 (pk, (uint8_t) key);
            value (pk);
            extra = false;
        }
        msgpack_pack_uint8 (pk, (uint8_t) k);
        if (k == key) {
            value (pk);
            continue;
        }
        switch (k) {
            case 0: msgpack_pack_uint8 (pk, 1); break;
            case 1: s_str (pk, "prod"); break;
            case 2: msgpack_pack_uint8 (pk, reply ? WIRE_TRANSFER_RESP : WIRE_TRANSFER_REQ); break;
            case 3: s_str (pk, reply ? "n1" : FX_CLIENT); break;
            case 4: s_str (pk, reply ? FX_CLIENT : "n1"); break;
            case 5: msgpack_pack_uint8 (pk, 7); break;
            case 6: msgpack_pack_uint64 (pk, reply ? 3 : FX_CLIENT_INCARNATION); break;
            case 7: msgpack_pack_uint8 (pk, 1); break;
            case 17: s_str (pk, "n1"); break;
            case 23: msgpack_pack_uint8 (pk, 1); break;
            case 24: msgpack_pack_uint64 (pk, FX_CLIENT_INCARNATION); break;
            case 25: s_str (pk, "n3"); break;
            case 26: msgpack_pack_uint8 (pk, WIRE_OUTCOME_ACCEPTED); break;
        }
    }
    if (extra) {
        msgpack_pack_uint8 (pk, (uint8_t) key);
        value (pk);
    }
}

static void v_outcome_max (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OUTCOME_MAX); }
static void v_outcome_over (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OUTCOME_MAX + 1); }

static void
test_transfer_fields (void **state)
{
    (void) state;
    struct { const char *name; bool reply; int key; s_value_fn *value; bool omit; int expect; } cases [] = {
        { "request as built",           false, -1, NULL,           false, 0 },
        { "request target missing",     false, 25, NULL,           true,  WIRE_MALFORMED },
        { "request target star",        false, 25, v_star,         false, WIRE_MALFORMED },
        { "request target empty",       false, 25, v_empty,        false, WIRE_MALFORMED },
        { "request target 33 chars",    false, 25, v_long33,       false, WIRE_MALFORMED },
        { "request target 32 chars",    false, 25, v_long32,       false, 0 },
        { "request target int",         false, 25, v_zero,         false, WIRE_MALFORMED },
        { "request target bin",         false, 25, v_bin,          false, WIRE_MALFORMED },
        { "request target nil",         false, 25, v_nil,          false, WIRE_MALFORMED },
        { "request with outcome",       false, 26, v_zero,         false, WIRE_MALFORMED },
        { "request with leader",        false, 17, v_nil,          false, WIRE_MALFORMED },
        { "request with ancillary 70",  false, 70, v_nested,       false, 0 },
        { "reply as built",             true,  -1, NULL,           false, 0 },
        { "reply leader nil",           true,  17, v_nil,          false, 0 },
        { "reply leader missing",       true,  17, NULL,           true,  WIRE_MALFORMED },
        { "reply leader star",          true,  17, v_star,         false, WIRE_MALFORMED },
        { "reply leader int",           true,  17, v_zero,         false, WIRE_MALFORMED },
        { "reply reply_to missing",     true,  23, NULL,           true,  WIRE_MALFORMED },
        { "reply reply_to negative",    true,  23, v_minus,        false, WIRE_MALFORMED },
        { "reply reply_to str",         true,  23, v_str1,         false, WIRE_MALFORMED },
        { "reply incarnation missing",  true,  24, NULL,           true,  WIRE_MALFORMED },
        { "reply incarnation 0",        true,  24, v_zero,         false, WIRE_MALFORMED },
        { "reply incarnation max",      true,  24, v_max,          false, 0 },
        { "reply incarnation bool",     true,  24, v_true,         false, WIRE_MALFORMED },
        { "reply outcome missing",      true,  26, NULL,           true,  WIRE_MALFORMED },
        { "reply outcome max",          true,  26, v_outcome_max,  false, 0 },
        { "reply outcome max + 1",      true,  26, v_outcome_over, false, WIRE_MALFORMED },
        { "reply outcome 2^40",         true,  26, v_big,          false, WIRE_MALFORMED },
        { "reply outcome negative",     true,  26, v_minus,        false, WIRE_MALFORMED },
        { "reply outcome float",        true,  26, v_float,        false, WIRE_MALFORMED },
        { "reply with target",          true,  25, v_str1,         false, WIRE_MALFORMED },
        { "reply with role",            true,  16, v_zero,         false, WIRE_MALFORMED },
        { "reply with status (anc.)",   true,  65, v_map,          false, 0 },
        { "reply with key 27",          true,  27, v_zero,         false, WIRE_MALFORMED },
    };
    for (size_t i = 0; i < sizeof (cases) / sizeof (cases [0]); i++) {
        s_builder_t b;
        s_transfer (&b, cases [i].reply, cases [i].key, cases [i].value, cases [i].omit);
        int rc = s_decode (&b);
        if (rc != cases [i].expect)
            fail_msg ("%s: expected %d, got %d", cases [i].name, cases [i].expect, rc);
    }
    //  The values land where they belong
    s_builder_t b;
    s_transfer (&b, true, 26, v_outcome_max, false);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    msgpack_sbuffer_destroy (&b.sb);
    assert_int_equal (msg.type, WIRE_TRANSFER_RESP);
    assert_string_equal (msg.from, "n1");
    assert_string_equal (msg.to, FX_CLIENT);
    assert_int_equal (msg.transfer_resp.reply_to, 1);
    assert_int_equal (msg.transfer_resp.reply_incarnation, FX_CLIENT_INCARNATION);
    assert_int_equal (msg.transfer_resp.outcome, WIRE_OUTCOME_MAX);
    assert_true (msg.transfer_resp.has_leader);
    assert_string_equal (msg.transfer_resp.leader, "n1");
    //  The status request's fields are not a transfer's: critical, unknown
    s_header (&b, 1, -1, -1, NULL);
    s_extra (&b, WIRE_KEY_TARGET, v_str1);
    assert_int_equal (s_decode (&b), WIRE_MALFORMED);
}

//  Writes the raw bytes of s_bomb (a 6-byte header) where a value goes.
static const uint8_t *s_bomb;
static void v_bomb (msgpack_packer *pk)
{
    msgpack_sbuffer_write (pk->data, (const char *) s_bomb, 6);
}

static void
test_bombs_and_depth (void **state)
{
    (void) state;
    wire_msg_t msg;
    const char *why = NULL;
    //  Alone, each 5-byte ~4 GiB header is malformed, with no allocation
    static const uint8_t bombs [][6] = {
        { 0xdd, 0xff, 0xff, 0xff, 0xff }, { 0xdf, 0xff, 0xff, 0xff, 0xff },
        { 0xdb, 0xff, 0xff, 0xff, 0xff }, { 0xc6, 0xff, 0xff, 0xff, 0xff },
        { 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01 }, { 0xdc, 0xff, 0xff },
        { 0xde, 0xff, 0xff }, { 0xda, 0xff, 0xff }, { 0xc5, 0xff, 0xff }
    };
    for (size_t i = 0; i < sizeof (bombs) / sizeof (bombs [0]); i++)
        assert_int_equal (wire_msg_decode (bombs [i], 6, &msg, NULL), WIRE_MALFORMED);
    //  The same headers in the middle of otherwise valid bodies: as the
    //  cluster, as the heartbeat's status map, as an unknown ancillary value
    for (size_t i = 0; i < sizeof (bombs) / sizeof (bombs [0]); i++) {
        s_bomb = bombs [i];
        s_builder_t b;
        s_header (&b, 0, -1, 1, v_bomb);
        assert_int_equal (s_decode (&b), WIRE_MALFORMED);
        s_heartbeat (&b, 65, v_bomb, false);
        assert_int_equal (s_decode (&b), WIRE_MALFORMED);
        s_header (&b, 1, -1, -1, NULL);
        s_extra (&b, 99, v_bomb);
        why = NULL;
        assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, &why),
                          WIRE_MALFORMED);
        assert_string_equal (why, "unknown ancillary field is malformed or nested too deep");
        msgpack_sbuffer_destroy (&b.sb);
    }
    //  70,000-deep nesting: longer than any body may be, refused unread
    static uint8_t deep [70000];
    memset (deep, 0x91, sizeof (deep));
    assert_int_equal (wire_msg_decode (deep, sizeof (deep), &msg, &why), WIRE_MALFORMED);
    assert_string_equal (why, "body longer than the frame cap");
    //  As deep as fits in a body, under an ancillary key: the depth limit
    //  stops it (test_mpread takes mpread_skip to 10,000 and beyond)
    s_builder_t b;
    s_header (&b, 1, -1, -1, NULL);
    msgpack_pack_uint8 (&b.pk, 99);
    while (b.sb.size + 2 <= WIRE_SMALL_BODY_BYTES_MAX - 1) {
        msgpack_pack_map (&b.pk, 1);                    //  {0: {0: ...}}
        msgpack_pack_uint8 (&b.pk, 0);
    }
    msgpack_pack_nil (&b.pk);
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, &why),
                      WIRE_MALFORMED);
    assert_string_equal (why, "unknown ancillary field is malformed or nested too deep");
    msgpack_sbuffer_destroy (&b.sb);
    //  Too many pairs in one map, even if they would fit
    uint8_t many [3 + 2 * 65] = { 0xde, 0x00, 65 };
    for (int i = 0; i < 65; i++) {
        many [3 + 2 * i] = (uint8_t) i;
        many [4 + 2 * i] = 0x01;
    }
    assert_int_equal (wire_msg_decode (many, sizeof (many), &msg, NULL), WIRE_MALFORMED);
}

static void
test_encode_refuses_invalid (void **state)
{
    (void) state;
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    wire_msg_t good, msg;
    fx_msg (&good, WIRE_HEARTBEAT, "*", 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 1, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    const char *why;
    assert_int_equal (wire_msg_check (&good, &why), 0);
    assert_null (why);

    msg = good; strcpy (msg.cluster, "");            assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.cluster, "a b");         assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; memset (msg.cluster, 'a', sizeof (msg.cluster));  assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.from, "*");              assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; memset (msg.from, 'a', sizeof (msg.from));        assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.to, "");                 assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.to, "**");               assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.incarnation = 0;                 assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.seq = 0;                         assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.version = 2;                     assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.type = (wire_type_t) 0;          assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.type = (wire_type_t) 18;         assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.heartbeat.role = (wire_role_t) 4; assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.heartbeat.leader, "n 1"); assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    assert_int_equal (wire_msg_check (&msg, &why), WIRE_MALFORMED);
    assert_non_null (why);
    //  A leader string is ignored when has_leader is false
    msg.heartbeat.has_leader = false;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);

    //  Pre-vote rounds: 0 is never a round id
    fx_msg (&good, WIRE_PREVOTE_REQ, "n2", 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 3, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.prevote_req.round = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    fx_msg (&good, WIRE_PREVOTE_RESP, "n2", 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 3, 2);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.prevote_resp.round = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    //  ...and a body without the round, or with round 0, does not decode.
    static const uint8_t no_round [] = {
        0x88, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x03,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0x05, 0x08, 0x06, 0x05, 0x07, 0x2a
    };
    static const uint8_t round_zero [] = {
        0x89, 0x00, 0x01, 0x01, 0xa4, 'p', 'r', 'o', 'd', 0x02, 0x03,
        0x03, 0xa2, 'n', '1', 0x04, 0xa2, 'n', '2', 0x05, 0x08, 0x06, 0x05, 0x07, 0x2a,
        0x1b, 0x00
    };
    wire_msg_t decoded;
    assert_int_equal (wire_msg_decode (no_round, sizeof (no_round), &decoded, NULL), WIRE_MALFORMED);
    assert_int_equal (wire_msg_decode (round_zero, sizeof (round_zero), &decoded, NULL), WIRE_MALFORMED);

    //  Transfer messages
    fx_msg (&good, WIRE_TRANSFER_REQ, "n1", 7);
    fx_stamp (&good, FX_CLUSTER, FX_CLIENT, FX_CLIENT_INCARNATION, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; strcpy (msg.transfer_req.target, "");     assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.transfer_req.target, "*");    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.transfer_req.target, "n 3");  assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; memset (msg.transfer_req.target, 'a', sizeof (msg.transfer_req.target));
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    fx_msg (&good, WIRE_TRANSFER_RESP, FX_CLIENT, 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 3, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.transfer_resp.outcome = (wire_outcome_t) (WIRE_OUTCOME_MAX + 1);
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.transfer_resp.reply_incarnation = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.transfer_resp.leader, "*");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.transfer_resp.has_leader = false;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
}

static void
test_names_and_ids (void **state)
{
    (void) state;
    const char *names [] = { NULL, "heartbeat", "heartbeat-ack", "prevote-request",
        "prevote-reply", "vote-request", "vote-reply", "timeout-now", "status-request",
        "status-reply", "transfer-request", "transfer-reply", "beacon", "append",
        "append-reply", "snapshot", "client-request", "client-reply" };
    assert_int_equal (sizeof (names) / sizeof (names [0]), WIRE_TYPE_MAX + 1);
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        assert_string_equal (wire_type_name ((wire_type_t) type), names [type]);
        assert_int_equal (wire_type_from_name (names [type], strlen (names [type])), type);
    }
    assert_null (wire_type_name ((wire_type_t) 0));
    assert_null (wire_type_name ((wire_type_t) 18));
    assert_null (wire_type_name ((wire_type_t) 31));
    assert_int_equal (wire_type_from_name ("transfer", 8), 0);
    const char *outcomes [] = { "accepted", "not-leader", "unknown-target",
        "unreachable-target", "not-permitted", "stale-term", "cas-failed", "not-found",
        "full", "unavailable", "invalid" };
    assert_int_equal (sizeof (outcomes) / sizeof (outcomes [0]), WIRE_OUTCOME_MAX + 1);
    for (int outcome = 0; outcome <= WIRE_OUTCOME_MAX; outcome++)
        assert_string_equal (wire_outcome_name ((wire_outcome_t) outcome), outcomes [outcome]);
    assert_null (wire_outcome_name ((wire_outcome_t) (WIRE_OUTCOME_MAX + 1)));
    const char *ops [] = { NULL, "put", "cas", "del", "get", "list" };
    assert_int_equal (sizeof (ops) / sizeof (ops [0]), WIRE_OP_MAX + 1);
    for (int op = WIRE_OP_PUT; op <= WIRE_OP_MAX; op++)
        assert_string_equal (wire_op_name ((wire_op_t) op), ops [op]);
    assert_null (wire_op_name ((wire_op_t) 0));
    assert_null (wire_op_name ((wire_op_t) (WIRE_OP_MAX + 1)));
    //  The per-type body caps
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        bool large = type == WIRE_APPEND || type == WIRE_SNAPSHOT
                  || type == WIRE_CLIENT_REQ || type == WIRE_CLIENT_RESP;
        assert_int_equal (wire_body_cap ((wire_type_t) type),
                          large ? WIRE_BODY_BYTES_MAX : WIRE_SMALL_BODY_BYTES_MAX);
    }
    assert_int_equal (wire_body_cap ((wire_type_t) 0), WIRE_SMALL_BODY_BYTES_MAX);
    assert_int_equal (wire_body_cap ((wire_type_t) 18), WIRE_SMALL_BODY_BYTES_MAX);
    assert_int_equal (wire_type_from_name ("heartbeat", 8), 0);
    assert_int_equal (wire_type_from_name ("heartbeats", 10), 0);
    assert_true (wire_type_broadcast (WIRE_HEARTBEAT));
    assert_true (wire_type_broadcast (WIRE_BEACON));
    assert_false (wire_type_broadcast (WIRE_VOTE_REQ));
    assert_true (wire_type_heartbeat (WIRE_HEARTBEAT));
    assert_true (wire_type_heartbeat (WIRE_BEACON));
    assert_false (wire_type_heartbeat (WIRE_HEARTBEAT_ACK));
    assert_false (wire_type_heartbeat (WIRE_STATUS_RESP));
    assert_true (wire_id_valid ("n1", 2));
    assert_true (wire_id_valid ("A-z_0.9", 7));
    assert_false (wire_id_valid ("*", 1));
    assert_false (wire_id_valid ("", 0));
    assert_false (wire_id_valid ("a/b", 3));
    assert_false (wire_id_valid ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33));
    assert_true (wire_cluster_valid ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 33));
}

//  --------------------------------------------------------------------------
//  The fields of log replication and of the client protocol, type by type:
//  a base body per type, and cases that replace, add or leave out keys.

//  One pair of a body: its key and what packs its value.
typedef struct {
    int key;
    s_value_fn *value;
} s_pair_t;

//  A change to a base body: key's value replaced (or the key added, in
//  order), or, with value NULL, the key left out. key 0: no change.
typedef struct {
    int key;
    s_value_fn *value;
} s_change_t;

typedef struct {
    const char *name;
    s_change_t change [3];
    int expect;
} s_body_case_t;

static void
s_build (s_builder_t *b, const s_pair_t *base, size_t count, const s_change_t *changes,
         size_t change_count)
{
    s_value_fn *values [WIRE_KEY_MAX + 1] = { NULL };
    for (size_t i = 0; i < count; i++)
        values [base [i].key] = base [i].value;
    for (size_t i = 0; i < change_count; i++)
        if (changes [i].key)
            values [changes [i].key] = changes [i].value;
    size_t pairs = 0;
    for (int key = 0; key <= WIRE_KEY_MAX; key++)
        pairs += values [key] != NULL;
    s_init (b);
    msgpack_pack_map (&b->pk, pairs);
    for (int key = 0; key <= WIRE_KEY_MAX; key++)
        if (values [key]) {
            msgpack_pack_uint8 (&b->pk, (uint8_t) key);
            values [key] (&b->pk);
        }
}

static void
s_run_cases (const char *type, const s_pair_t *base, size_t count,
             const s_body_case_t *cases, size_t case_count)
{
    for (size_t i = 0; i < case_count; i++) {
        s_builder_t b;
        s_build (&b, base, count, cases [i].change, 3);
        wire_msg_t msg;
        const char *why = NULL;
        int rc = wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, &why);
        msgpack_sbuffer_destroy (&b.sb);
        if (rc != cases [i].expect)
            fail_msg ("%s, %s: expected %d, got %d (%s)", type, cases [i].name,
                      cases [i].expect, rc, why ? why : "no reason");
        if (rc != 0)
            assert_non_null (why);
    }
}

#define S_COUNT(array) (sizeof (array) / sizeof ((array) [0]))

//  Header values: n1 to n2 in "prod", term 7, incarnation 3, seq 9
static void v_one (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 1); }
static void v_prod (msgpack_packer *pk) { s_str (pk, "prod"); }
static void v_n1 (msgpack_packer *pk) { s_str (pk, "n1"); }
static void v_n2 (msgpack_packer *pk) { s_str (pk, "n2"); }
static void v_three (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 3); }
static void v_five (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 5); }
static void v_six (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 6); }
static void v_seven (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 7); }
static void v_eight (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 8); }
static void v_nine (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 9); }
static void v_eleven (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 11); }
static void v_false (msgpack_packer *pk) { msgpack_pack_false (pk); }
static void v_32 (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 32); }
static void v_33 (msgpack_packer *pk) { msgpack_pack_uint8 (pk, 33); }
static void v_4096 (msgpack_packer *pk) { msgpack_pack_uint16 (pk, 4096); }
static void v_max_less_3 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX - 3); }
static void v_max_less_64 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX - 64); }
static void v_max_less_63 (msgpack_packer *pk) { msgpack_pack_uint64 (pk, UINT64_MAX - 63); }
static void v_type_hb (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_HEARTBEAT); }
static void v_type_beacon (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_BEACON); }
static void v_type_prevote (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_PREVOTE_REQ); }
static void v_type_vote (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_VOTE_REQ); }
static void v_type_append_resp (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_APPEND_RESP); }
static void v_type_snapshot (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_SNAPSHOT); }
static void v_type_client_req (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_CLIENT_REQ); }
static void v_type_client_resp (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_CLIENT_RESP); }
static void v_type_status_req (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_STATUS_REQ); }

#define S_HEADER(type_fn) \
    { 0, v_one }, { 1, v_prod }, { 2, type_fn }, { 3, v_n1 }, { 4, v_n2 }, \
    { 5, v_seven }, { 6, v_three }, { 7, v_nine }

static uint8_t s_zeros [WIRE_BODY_BYTES_MAX + 16];

static void
s_bin (msgpack_packer *pk, size_t size)
{
    msgpack_pack_bin_with_body (pk, s_zeros, size);
}

static void v_bin3 (msgpack_packer *pk) { s_bin (pk, 3); }
static void v_bin0 (msgpack_packer *pk) { s_bin (pk, 0); }
static void v_bin256 (msgpack_packer *pk) { s_bin (pk, WIRE_KV_VALUE_BYTES_MAX); }
static void v_bin257 (msgpack_packer *pk) { s_bin (pk, WIRE_KV_VALUE_BYTES_MAX + 1); }
static void v_chunk_max (msgpack_packer *pk) { s_bin (pk, WIRE_CHUNK_BYTES_MAX); }
static void v_chunk_over (msgpack_packer *pk) { s_bin (pk, WIRE_CHUNK_BYTES_MAX + 1); }

//  [term, type, bin of size]
static void
s_entry (msgpack_packer *pk, uint64_t term, int64_t type, size_t size)
{
    msgpack_pack_array (pk, 3);
    msgpack_pack_uint64 (pk, term);
    msgpack_pack_int64 (pk, type);
    s_bin (pk, size);
}

//  Header term 7, prev_term 5: a command of term 6 and the no-op of 7
static void v_entries (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    s_entry (pk, 6, 1, 3);
    s_entry (pk, 7, 0, 0);
}
static void v_entries_none (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
static void v_entries_64 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, WIRE_ENTRIES_MAX);
    for (int k = 0; k < WIRE_ENTRIES_MAX; k++)
        s_entry (pk, 7, 1, 1);
}
static void v_entries_65 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, WIRE_ENTRIES_MAX + 1);
    for (int k = 0; k < WIRE_ENTRIES_MAX + 1; k++)
        s_entry (pk, 7, 0, 0);
}
static void v_entries_down (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    s_entry (pk, 7, 0, 0);
    s_entry (pk, 6, 1, 3);
}
static void v_entries_above (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 8, 0, 0);
}
static void v_entries_below_prev (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 4, 1, 3);
}
static void v_entries_term0 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 0, 0, 0);
}
static void v_entries_type2 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 7, 2, 0);
}
static void v_entries_type_neg (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 7, -1, 0);
}
static void v_entries_noop_payload (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 7, 0, 1);
}
static void v_entries_empty_command (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 7, 1, 0);
}
static void v_entries_512 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 7, 1, WIRE_PAYLOAD_BYTES_MAX);
}
static void v_entries_513 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_entry (pk, 7, 1, WIRE_PAYLOAD_BYTES_MAX + 1);
}
static void v_entries_str (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 3);
    msgpack_pack_uint8 (pk, 7);
    msgpack_pack_uint8 (pk, 1);
    s_str (pk, "put");
}
static void v_entries_pair (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    msgpack_pack_uint8 (pk, 7);
    msgpack_pack_uint8 (pk, 0);
}
static void v_entries_four (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 4);
    msgpack_pack_uint8 (pk, 7);
    msgpack_pack_uint8 (pk, 0);
    s_bin (pk, 0);
    msgpack_pack_nil (pk);
}
static void v_entries_map (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_map (pk, 0);
}

static void
test_append_fields (void **state)
{
    (void) state;
    static const s_pair_t base [] = {
        S_HEADER (v_thirteen),
        { 32, v_ten }, { 33, v_five }, { 34, v_nine }, { 35, v_entries }
    };
    static const s_body_case_t cases [] = {
        { "as built",                 { { 0 } },                                0 },
        { "prev_index missing",       { { 32, NULL } },                         WIRE_MALFORMED },
        { "prev_term missing",        { { 33, NULL } },                         WIRE_MALFORMED },
        { "commit missing",           { { 34, NULL } },                         WIRE_MALFORMED },
        { "entries missing",          { { 35, NULL } },                         WIRE_MALFORMED },
        { "prev_index str",           { { 32, v_str1 } },                       WIRE_MALFORMED },
        { "commit negative",          { { 34, v_minus } },                      WIRE_MALFORMED },
        { "commit max",               { { 34, v_max } },                        0 },
        { "prev_term = term, none",   { { 33, v_seven }, { 35, v_entries_none } }, 0 },
        { "prev_term above term",     { { 33, v_eight }, { 35, v_entries_none } }, WIRE_MALFORMED },
        { "empty log before",         { { 32, v_zero }, { 33, v_zero } },       0 },
        { "index 0 with a term",      { { 32, v_zero } },                       WIRE_MALFORMED },
        { "index without a term",     { { 33, v_zero } },                       WIRE_MALFORMED },
        { "prev_index max - 64",      { { 32, v_max_less_64 } },                0 },
        { "prev_index max - 63",      { { 32, v_max_less_63 } },                WIRE_MALFORMED },
        { "no entries (commit only)", { { 35, v_entries_none } },               0 },
        { "64 entries",               { { 35, v_entries_64 } },                 0 },
        { "65 entries",               { { 35, v_entries_65 } },                 WIRE_MALFORMED },
        { "terms go down",            { { 35, v_entries_down } },               WIRE_MALFORMED },
        { "term above the header's",  { { 35, v_entries_above } },              WIRE_MALFORMED },
        { "term below prev_term",     { { 35, v_entries_below_prev } },         WIRE_MALFORMED },
        { "term 0",                   { { 32, v_zero }, { 33, v_zero }, { 35, v_entries_term0 } },
                                                                                WIRE_MALFORMED },
        { "type 2",                   { { 35, v_entries_type2 } },              WIRE_MALFORMED },
        { "type negative",            { { 35, v_entries_type_neg } },           WIRE_MALFORMED },
        { "no-op with a payload",     { { 35, v_entries_noop_payload } },       WIRE_MALFORMED },
        { "command, empty payload",   { { 35, v_entries_empty_command } },      0 },
        { "payload 512",              { { 35, v_entries_512 } },                0 },
        { "payload 513",              { { 35, v_entries_513 } },                WIRE_MALFORMED },
        { "payload as str",           { { 35, v_entries_str } },                WIRE_MALFORMED },
        { "entry of 2",               { { 35, v_entries_pair } },               WIRE_MALFORMED },
        { "entry of 4",               { { 35, v_entries_four } },               WIRE_MALFORMED },
        { "entry a map",              { { 35, v_entries_map } },                WIRE_MALFORMED },
        { "entries a map",            { { 35, v_map } },                        WIRE_MALFORMED },
        { "entries nil",              { { 35, v_nil } },                        WIRE_MALFORMED },
        { "with granted",             { { 21, v_true } },                       WIRE_MALFORMED },
        { "with match_index",         { { 36, v_one } },                        WIRE_MALFORMED },
        { "with data",                { { 37, v_bin3 } },                       WIRE_MALFORMED },
        { "with ancillary 70",        { { 70, v_nested } },                     0 },
    };
    s_run_cases ("append", base, S_COUNT (base), cases, S_COUNT (cases));
    //  The values land where they belong; payloads point into the body
    s_builder_t b;
    s_build (&b, base, S_COUNT (base), NULL, 0);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    const uint8_t *start = (const uint8_t *) b.sb.data, *end = start + b.sb.size;
    assert_int_equal (msg.type, WIRE_APPEND);
    assert_int_equal (msg.append.prev_index, 10);
    assert_int_equal (msg.append.prev_term, 5);
    assert_int_equal (msg.append.commit, 9);
    assert_int_equal (msg.append.entry_count, 2);
    assert_int_equal (msg.append.entries [0].term, 6);
    assert_int_equal (msg.append.entries [0].type, 1);
    assert_int_equal (msg.append.entries [0].size, 3);
    assert_true (msg.append.entries [0].payload > start
              && msg.append.entries [0].payload + 3 <= end);
    assert_int_equal (msg.append.entries [1].term, 7);
    assert_int_equal (msg.append.entries [1].type, 0);
    assert_int_equal (msg.append.entries [1].size, 0);
    msgpack_sbuffer_destroy (&b.sb);
}

static void
test_append_reply_fields (void **state)
{
    (void) state;
    static const s_pair_t base [] = {
        S_HEADER (v_type_append_resp), { 21, v_true }, { 36, v_ten }
    };
    static const s_body_case_t cases [] = {
        { "as built",                 { { 0 } },                                0 },
        { "refused, hint 0",          { { 21, v_false }, { 36, v_zero } },      0 },
        { "match_index max",          { { 36, v_max } },                        0 },
        { "granted missing",          { { 21, NULL } },                         WIRE_MALFORMED },
        { "match_index missing",      { { 36, NULL } },                         WIRE_MALFORMED },
        { "granted int",              { { 21, v_one } },                        WIRE_MALFORMED },
        { "match_index str",          { { 36, v_str1 } },                       WIRE_MALFORMED },
        { "match_index negative",     { { 36, v_minus } },                      WIRE_MALFORMED },
        { "with commit",              { { 34, v_one } },                        WIRE_MALFORMED },
        { "with ancillary 99",        { { 99, v_nested } },                     0 },
    };
    s_run_cases ("append-reply", base, S_COUNT (base), cases, S_COUNT (cases));
}

static void
test_snapshot_fields (void **state)
{
    (void) state;
    static const s_pair_t base [] = {
        S_HEADER (v_type_snapshot),
        { 32, v_4096 }, { 33, v_six }, { 34, v_4096 }, { 37, v_bin3 }, { 38, v_zero }, { 39, v_ten }
    };
    static const s_body_case_t cases [] = {
        { "as built",                 { { 0 } },                                0 },
        { "index missing",            { { 32, NULL } },                         WIRE_MALFORMED },
        { "term missing",             { { 33, NULL } },                         WIRE_MALFORMED },
        { "commit missing",           { { 34, NULL } },                         WIRE_MALFORMED },
        { "data missing",             { { 37, NULL } },                         WIRE_MALFORMED },
        { "offset missing",           { { 38, NULL } },                         WIRE_MALFORMED },
        { "total missing",            { { 39, NULL } },                         WIRE_MALFORMED },
        { "index 0",                  { { 32, v_zero } },                       WIRE_MALFORMED },
        { "term 0",                   { { 33, v_zero } },                       WIRE_MALFORMED },
        { "term = the header's",      { { 33, v_seven } },                      0 },
        { "term above the header's",  { { 33, v_eight } },                      WIRE_MALFORMED },
        { "data empty",               { { 37, v_bin0 } },                       WIRE_MALFORMED },
        { "data as str",              { { 37, v_str1 } },                       WIRE_MALFORMED },
        { "data the largest chunk",   { { 37, v_chunk_max }, { 39, v_max } },   0 },
        { "data over the chunk cap",  { { 37, v_chunk_over }, { 39, v_max } },  WIRE_MALFORMED },
        { "last chunk",               { { 38, v_seven } },                      0 },
        { "ends past total",          { { 38, v_eight } },                      WIRE_MALFORMED },
        { "one chunk, exact",         { { 39, v_three } },                      0 },
        { "total below the chunk",    { { 39, v_two } },                        WIRE_MALFORMED },
        { "total 0",                  { { 39, v_zero } },                       WIRE_MALFORMED },
        { "at the end of 2^64",       { { 38, v_max_less_3 }, { 39, v_max } },  0 },
        { "offset wraps",             { { 38, v_max }, { 39, v_max } },         WIRE_MALFORMED },
        { "offset negative",          { { 38, v_minus } },                      WIRE_MALFORMED },
        { "with entries",             { { 35, v_entries_none } },               WIRE_MALFORMED },
        { "with ancillary 64",        { { 64, v_nested } },                     0 },
    };
    s_run_cases ("snapshot", base, S_COUNT (base), cases, S_COUNT (cases));
    s_builder_t b;
    s_build (&b, base, S_COUNT (base), NULL, 0);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    assert_int_equal (msg.snapshot.index, 4096);
    assert_int_equal (msg.snapshot.term, 6);
    assert_int_equal (msg.snapshot.commit, 4096);
    assert_int_equal (msg.snapshot.offset, 0);
    assert_int_equal (msg.snapshot.total, 10);
    assert_int_equal (msg.snapshot.size, 3);
    assert_true (msg.snapshot.data > (const uint8_t *) b.sb.data
              && msg.snapshot.data + 3 <= (const uint8_t *) b.sb.data + b.sb.size);
    msgpack_sbuffer_destroy (&b.sb);
}

static void
test_vote_positions (void **state)
{
    (void) state;
    //  A vote request at term 7 from a log ending at index 10, term 6
    static const s_pair_t vote [] = {
        S_HEADER (v_type_vote), { 22, v_false }, { 40, v_ten }, { 41, v_six }
    };
    static const s_pair_t prevote [] = {
        S_HEADER (v_type_prevote), { 27, v_five }, { 40, v_ten }, { 41, v_six }
    };
    static const s_body_case_t cases [] = {
        { "as built",                 { { 0 } },                                0 },
        { "last_index missing",       { { 40, NULL } },                         WIRE_MALFORMED },
        { "last_term missing",        { { 41, NULL } },                         WIRE_MALFORMED },
        { "both missing",             { { 40, NULL }, { 41, NULL } },           WIRE_MALFORMED },
        { "last_term = term",         { { 41, v_seven } },                      0 },
        { "last_term above term",     { { 41, v_eight } },                      WIRE_MALFORMED },
        { "empty log",                { { 40, v_zero }, { 41, v_zero } },       0 },
        { "index 0 with a term",      { { 40, v_zero } },                       WIRE_MALFORMED },
        { "index without a term",     { { 41, v_zero } },                       WIRE_MALFORMED },
        { "last_index max",           { { 40, v_max } },                        0 },
        { "last_term str",            { { 41, v_str1 } },                       WIRE_MALFORMED },
        { "last_index negative",      { { 40, v_minus } },                      WIRE_MALFORMED },
        { "with commit",              { { 34, v_one } },                        WIRE_MALFORMED },
    };
    s_run_cases ("vote-request", vote, S_COUNT (vote), cases, S_COUNT (cases));
    s_run_cases ("prevote-request", prevote, S_COUNT (prevote), cases, S_COUNT (cases));
    static const s_body_case_t prevote_only [] = {
        { "round missing",            { { 27, NULL } },                         WIRE_MALFORMED },
        { "with transfer",            { { 22, v_true } },                       WIRE_MALFORMED },
    };
    s_run_cases ("prevote-request", prevote, S_COUNT (prevote), prevote_only, S_COUNT (prevote_only));
    s_builder_t b;
    s_build (&b, vote, S_COUNT (vote), NULL, 0);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    assert_int_equal (msg.vote_req.last_index, 10);
    assert_int_equal (msg.vote_req.last_term, 6);
    assert_false (msg.vote_req.transfer);
    msgpack_sbuffer_destroy (&b.sb);
}

static void
test_heartbeat_indexes (void **state)
{
    (void) state;
    static const s_pair_t base [] = {
        S_HEADER (v_type_hb), { 4, v_star },
        { 16, v_three }, { 17, v_n1 }, { 18, v_4096 }, { 20, v_false }
    };
    static const s_body_case_t cases [] = {
        { "as built",                 { { 0 } },                                0 },
        { "commit",                   { { 34, v_nine } },                       0 },
        { "commit 0",                 { { 34, v_zero } },                       0 },
        { "applied",                  { { 66, v_eight } },                      0 },
        { "both",                     { { 34, v_nine }, { 66, v_max } },        0 },
        { "commit str",               { { 34, v_str1 } },                       WIRE_MALFORMED },
        { "commit negative",          { { 34, v_minus } },                      WIRE_MALFORMED },
        { "applied str (known key)",  { { 66, v_str1 } },                       WIRE_MALFORMED },
        { "applied nested",           { { 66, v_nested } },                     WIRE_MALFORMED },
        { "with prev_index",          { { 32, v_one } },                        WIRE_MALFORMED },
        { "beacon with both",         { { 2, v_type_beacon }, { 34, v_nine }, { 66, v_eight } }, 0 },
        { "no_ack",                   { { 67, v_true } },                       0 },
        //  Sent only as true: a present false has no reading
        { "no_ack false",             { { 67, v_false } },                      WIRE_MALFORMED },
        { "no_ack uint",              { { 67, v_one } },                        WIRE_MALFORMED },
        { "no_ack with applied",      { { 66, v_eight }, { 67, v_true } },      0 },
    };
    s_run_cases ("heartbeat", base, S_COUNT (base), cases, S_COUNT (cases));
    s_builder_t b;
    s_change_t both [2] = { { 34, v_nine }, { 66, v_eight } };
    s_build (&b, base, S_COUNT (base), both, 2);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    assert_true (msg.heartbeat.has_commit);
    assert_int_equal (msg.heartbeat.commit, 9);
    assert_true (msg.heartbeat.has_applied);
    assert_int_equal (msg.heartbeat.applied, 8);
    assert_false (msg.heartbeat.no_ack);
    msgpack_sbuffer_destroy (&b.sb);
    s_change_t quiet [1] = { { 67, v_true } };
    s_build (&b, base, S_COUNT (base), quiet, 1);
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    assert_true (msg.heartbeat.no_ack);
    msgpack_sbuffer_destroy (&b.sb);
}

//  Client request values
static void v_key (msgpack_packer *pk) { s_str (pk, "capacity/st-marys/beds_available"); }
static void v_after (msgpack_packer *pk) { s_str (pk, "capacity/a"); }
static void v_key_space (msgpack_packer *pk) { s_str (pk, "capacity/st marys"); }
static void v_key_star (msgpack_packer *pk) { s_str (pk, "capacity/*"); }
static void v_key_colon (msgpack_packer *pk) { s_str (pk, "a:b"); }
static void v_key_utf8 (msgpack_packer *pk) { s_str (pk, "caf\xc3\xa9"); }
static void v_key_nul (msgpack_packer *pk) { msgpack_pack_str_with_body (pk, "ab\0", 3); }
static void v_key_bin (msgpack_packer *pk) { msgpack_pack_bin_with_body (pk, "ab", 2); }
static void
s_key_of (msgpack_packer *pk, size_t len)
{
    char key [WIRE_KV_KEY_CHARS_MAX + 2];
    memset (key, 'k', len);
    key [len] = '\0';
    if (len > 2)
        key [1] = '/';
    s_str (pk, key);
}
static void v_key128 (msgpack_packer *pk) { s_key_of (pk, WIRE_KV_KEY_CHARS_MAX); }
static void v_key129 (msgpack_packer *pk) { s_key_of (pk, WIRE_KV_KEY_CHARS_MAX + 1); }
static void v_op_cas (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OP_CAS); }
static void v_op_del (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OP_DEL); }
static void v_op_get (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OP_GET); }
static void v_op_list (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OP_LIST); }

static void
test_client_request_fields (void **state)
{
    (void) state;
    //  A put; the cases turn it into the other ops
    static const s_pair_t base [] = {
        S_HEADER (v_type_client_req),
        { 42, v_one }, { 43, v_key }, { 44, v_bin3 }, { 46, v_five }
    };
    static const s_body_case_t cases [] = {
        { "put",                      { { 0 } },                                0 },
        { "put, empty value",         { { 44, v_bin0 } },                       0 },
        { "put, value 256",           { { 44, v_bin256 } },                     0 },
        { "put, value 257",           { { 44, v_bin257 } },                     WIRE_MALFORMED },
        { "put, value as str",        { { 44, v_str1 } },                       WIRE_MALFORMED },
        { "put, value missing",       { { 44, NULL } },                         WIRE_MALFORMED },
        { "put with expected",        { { 45, v_one } },                        WIRE_MALFORMED },
        { "put with after",           { { 47, v_after } },                      WIRE_MALFORMED },
        { "put with limit",           { { 48, v_one } },                        WIRE_MALFORMED },
        { "op missing",               { { 42, NULL } },                         WIRE_MALFORMED },
        { "op 0",                     { { 42, v_zero } },                       WIRE_MALFORMED },
        { "op 6",                     { { 42, v_six } },                        WIRE_MALFORMED },
        { "op str",                   { { 42, v_str1 } },                       WIRE_MALFORMED },
        { "request_id missing",       { { 46, NULL } },                         WIRE_MALFORMED },
        { "request_id 0",             { { 46, v_zero } },                       WIRE_MALFORMED },
        { "request_id max",           { { 46, v_max } },                        0 },
        { "key missing",              { { 43, NULL } },                         WIRE_MALFORMED },
        { "key empty",                { { 43, v_empty } },                      WIRE_MALFORMED },
        { "key 128",                  { { 43, v_key128 } },                     0 },
        { "key 129",                  { { 43, v_key129 } },                     WIRE_MALFORMED },
        { "key with a space",         { { 43, v_key_space } },                  WIRE_MALFORMED },
        { "key with *",               { { 43, v_key_star } },                   WIRE_MALFORMED },
        { "key with :",               { { 43, v_key_colon } },                  WIRE_MALFORMED },
        { "key utf-8",                { { 43, v_key_utf8 } },                   WIRE_MALFORMED },
        { "key with NUL",             { { 43, v_key_nul } },                    WIRE_MALFORMED },
        { "key as bin",               { { 43, v_key_bin } },                    WIRE_MALFORMED },
        { "cas",                      { { 42, v_op_cas }, { 45, v_seven } },    0 },
        { "cas, expected 0 (absent)", { { 42, v_op_cas }, { 45, v_zero } },     0 },
        { "cas without expected",     { { 42, v_op_cas } },                     WIRE_MALFORMED },
        { "cas without value",        { { 42, v_op_cas }, { 45, v_one }, { 44, NULL } },
                                                                                WIRE_MALFORMED },
        { "cas, expected negative",   { { 42, v_op_cas }, { 45, v_minus } },    WIRE_MALFORMED },
        { "del",                      { { 42, v_op_del }, { 44, NULL } },       0 },
        { "del if version",           { { 42, v_op_del }, { 44, NULL }, { 45, v_nine } }, 0 },
        { "del with value",           { { 42, v_op_del } },                     WIRE_MALFORMED },
        { "del with limit",           { { 42, v_op_del }, { 44, NULL }, { 48, v_one } },
                                                                                WIRE_MALFORMED },
        { "del, key empty",           { { 42, v_op_del }, { 44, NULL }, { 43, v_empty } },
                                                                                WIRE_MALFORMED },
        { "get",                      { { 42, v_op_get }, { 44, NULL } },       0 },
        { "get with value",           { { 42, v_op_get } },                     WIRE_MALFORMED },
        { "get with empty value",     { { 42, v_op_get }, { 44, v_bin0 } },     WIRE_MALFORMED },
        { "get with expected",        { { 42, v_op_get }, { 44, NULL }, { 45, v_one } },
                                                                                WIRE_MALFORMED },
        { "get with after",           { { 42, v_op_get }, { 44, NULL }, { 47, v_after } },
                                                                                WIRE_MALFORMED },
        { "list",                     { { 42, v_op_list }, { 44, NULL } },      0 },
        { "list, empty prefix",       { { 42, v_op_list }, { 44, NULL }, { 43, v_empty } }, 0 },
        { "list, prefix 129",         { { 42, v_op_list }, { 44, NULL }, { 43, v_key129 } },
                                                                                WIRE_MALFORMED },
        { "list, prefix with space",  { { 42, v_op_list }, { 44, NULL }, { 43, v_key_space } },
                                                                                WIRE_MALFORMED },
        { "list after",               { { 42, v_op_list }, { 44, NULL }, { 47, v_after } }, 0 },
        { "list after empty",         { { 42, v_op_list }, { 44, NULL }, { 47, v_empty } },
                                                                                WIRE_MALFORMED },
        { "list after 129",           { { 42, v_op_list }, { 44, NULL }, { 47, v_key129 } },
                                                                                WIRE_MALFORMED },
        { "list after with *",        { { 42, v_op_list }, { 44, NULL }, { 47, v_key_star } },
                                                                                WIRE_MALFORMED },
        { "list limit 1",             { { 42, v_op_list }, { 44, NULL }, { 48, v_one } }, 0 },
        { "list limit 32",            { { 42, v_op_list }, { 44, NULL }, { 48, v_32 } }, 0 },
        { "list limit 0",             { { 42, v_op_list }, { 44, NULL }, { 48, v_zero } },
                                                                                WIRE_MALFORMED },
        { "list limit 33",            { { 42, v_op_list }, { 44, NULL }, { 48, v_33 } },
                                                                                WIRE_MALFORMED },
        { "list limit 2^40",          { { 42, v_op_list }, { 44, NULL }, { 48, v_big } },
                                                                                WIRE_MALFORMED },
        { "list with value",          { { 42, v_op_list } },                    WIRE_MALFORMED },
        { "list with expected",       { { 42, v_op_list }, { 44, NULL }, { 45, v_one } },
                                                                                WIRE_MALFORMED },
        { "with target",              { { 25, v_n2 } },                         WIRE_MALFORMED },
        { "with index (a reply's)",   { { 49, v_one } },                        WIRE_MALFORMED },
        { "with ancillary 127",       { { 127, v_nested } },                    0 },
    };
    s_run_cases ("client-request", base, S_COUNT (base), cases, S_COUNT (cases));
    //  The values land where they belong
    s_builder_t b;
    s_change_t list [4] = { { 42, v_op_list }, { 44, NULL }, { 47, v_after }, { 48, v_32 } };
    s_build (&b, base, S_COUNT (base), list, 4);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    msgpack_sbuffer_destroy (&b.sb);
    assert_int_equal (msg.client_req.op, WIRE_OP_LIST);
    assert_int_equal (msg.client_req.request_id, 5);
    assert_string_equal (msg.client_req.key, "capacity/st-marys/beds_available");
    assert_string_equal (msg.client_req.after, "capacity/a");
    assert_int_equal (msg.client_req.limit, 32);
    assert_int_equal (msg.client_req.value_size, 0);
    assert_false (msg.client_req.has_expected);
    s_change_t cas [2] = { { 42, v_op_cas }, { 45, v_zero } };
    s_build (&b, base, S_COUNT (base), cas, 2);
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    assert_int_equal (msg.client_req.op, WIRE_OP_CAS);
    assert_true (msg.client_req.has_expected);
    assert_int_equal (msg.client_req.expected, 0);
    assert_int_equal (msg.client_req.value_size, 3);
    assert_true (msg.client_req.value > (const uint8_t *) b.sb.data
              && msg.client_req.value + 3 <= (const uint8_t *) b.sb.data + b.sb.size);
    msgpack_sbuffer_destroy (&b.sb);
}

//  [key, version, bin of size]
static void
s_item (msgpack_packer *pk, const char *key, uint64_t version, size_t size)
{
    msgpack_pack_array (pk, 3);
    s_str (pk, key);
    msgpack_pack_uint64 (pk, version);
    s_bin (pk, size);
}
static void v_items (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    s_item (pk, "capacity/a", 3, 2);
    s_item (pk, "capacity/b", 9, 0);
}
static void
s_items_n (msgpack_packer *pk, int n)
{
    msgpack_pack_array (pk, (size_t) n);
    for (int i = 0; i < n; i++) {
        char key [16];
        snprintf (key, sizeof (key), "k/%03d", i);
        s_item (pk, key, (uint64_t) i + 1, WIRE_KV_VALUE_BYTES_MAX);
    }
}
static void v_items_32 (msgpack_packer *pk) { s_items_n (pk, WIRE_LIST_MAX); }
static void v_items_33 (msgpack_packer *pk) { s_items_n (pk, WIRE_LIST_MAX + 1); }
static void v_items_none (msgpack_packer *pk) { msgpack_pack_array (pk, 0); }
static void v_items_unordered (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    s_item (pk, "capacity/b", 3, 2);
    s_item (pk, "capacity/a", 9, 0);
}
static void v_items_twice (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 2);
    s_item (pk, "capacity/a", 3, 2);
    s_item (pk, "capacity/a", 9, 0);
}
static void v_items_prefix_first (msgpack_packer *pk)
{
    //  Bytewise order: a key before any longer key it is a prefix of
    msgpack_pack_array (pk, 3);
    s_item (pk, "capacity", 3, 2);
    s_item (pk, "capacity/a", 9, 0);
    s_item (pk, "capacityZ", 9, 0);
}
static void v_items_version0 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_item (pk, "capacity/a", 0, 2);
}
static void v_items_key_empty (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_item (pk, "", 1, 2);
}
static void v_items_key_space (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_item (pk, "a b", 1, 2);
}
static void v_items_value_257 (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    s_item (pk, "a", 1, WIRE_KV_VALUE_BYTES_MAX + 1);
}
static void v_items_value_str (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 3);
    s_str (pk, "a");
    msgpack_pack_uint8 (pk, 1);
    s_str (pk, "v");
}
static void v_items_pair (msgpack_packer *pk)
{
    msgpack_pack_array (pk, 1);
    msgpack_pack_array (pk, 2);
    s_str (pk, "a");
    msgpack_pack_uint8 (pk, 1);
}
static void v_outcome_invalid (msgpack_packer *pk) { msgpack_pack_uint8 (pk, WIRE_OUTCOME_INVALID); }

static void
test_client_reply_fields (void **state)
{
    (void) state;
    static const s_pair_t base [] = {
        S_HEADER (v_type_client_resp),
        { 17, v_n1 }, { 23, v_one }, { 24, v_big }, { 26, v_zero }
    };
    static const s_body_case_t cases [] = {
        { "as built",                 { { 0 } },                                0 },
        { "not-leader, no leader",    { { 26, v_one }, { 17, v_nil } },         0 },
        { "leader missing",           { { 17, NULL } },                         WIRE_MALFORMED },
        { "leader star",              { { 17, v_star } },                       WIRE_MALFORMED },
        { "reply_to missing",         { { 23, NULL } },                         WIRE_MALFORMED },
        { "reply_incarnation missing", { { 24, NULL } },                        WIRE_MALFORMED },
        { "reply_incarnation 0",      { { 24, v_zero } },                       WIRE_MALFORMED },
        { "outcome missing",          { { 26, NULL } },                         WIRE_MALFORMED },
        { "outcome 10 (invalid)",     { { 26, v_outcome_invalid } },            0 },
        { "outcome 11",               { { 26, v_eleven } },                     WIRE_MALFORMED },
        { "a write's index",          { { 49, v_4096 }, { 50, v_4096 } },       0 },
        { "index 0",                  { { 49, v_zero } },                       WIRE_MALFORMED },
        { "index str",                { { 49, v_str1 } },                       WIRE_MALFORMED },
        { "version 0",                { { 50, v_zero } },                       WIRE_MALFORMED },
        { "version max",              { { 50, v_max } },                        0 },
        { "a get's value",            { { 44, v_bin3 }, { 50, v_nine } },       0 },
        { "an empty value",           { { 44, v_bin0 } },                       0 },
        { "value 256",                { { 44, v_bin256 } },                     0 },
        { "value 257",                { { 44, v_bin257 } },                     WIRE_MALFORMED },
        { "value as str",             { { 44, v_str1 } },                       WIRE_MALFORMED },
        { "items and more",           { { 51, v_items }, { 52, v_true } },      0 },
        { "the last page",            { { 51, v_items }, { 52, v_false } },     0 },
        { "32 items of 256 bytes",    { { 51, v_items_32 }, { 52, v_true } },   0 },
        { "33 items",                 { { 51, v_items_33 }, { 52, v_true } },   WIRE_MALFORMED },
        { "items without more",       { { 51, v_items } },                      WIRE_MALFORMED },
        { "more without items",       { { 52, v_false } },                      WIRE_MALFORMED },
        { "no items as []",           { { 51, v_items_none }, { 52, v_false } }, WIRE_MALFORMED },
        { "items out of order",       { { 51, v_items_unordered }, { 52, v_true } }, WIRE_MALFORMED },
        { "an item twice",            { { 51, v_items_twice }, { 52, v_true } }, WIRE_MALFORMED },
        { "prefix before longer",     { { 51, v_items_prefix_first }, { 52, v_true } }, 0 },
        { "item version 0",           { { 51, v_items_version0 }, { 52, v_true } }, WIRE_MALFORMED },
        { "item key empty",           { { 51, v_items_key_empty }, { 52, v_true } }, WIRE_MALFORMED },
        { "item key with a space",    { { 51, v_items_key_space }, { 52, v_true } }, WIRE_MALFORMED },
        { "item value 257",           { { 51, v_items_value_257 }, { 52, v_true } }, WIRE_MALFORMED },
        { "item value as str",        { { 51, v_items_value_str }, { 52, v_true } }, WIRE_MALFORMED },
        { "item of 2",                { { 51, v_items_pair }, { 52, v_true } }, WIRE_MALFORMED },
        { "items a map",              { { 51, v_map }, { 52, v_true } },        WIRE_MALFORMED },
        { "more int",                 { { 51, v_items }, { 52, v_one } },       WIRE_MALFORMED },
        { "with op (a request's)",    { { 42, v_one } },                        WIRE_MALFORMED },
        { "with target",              { { 25, v_n2 } },                         WIRE_MALFORMED },
        { "with ancillary 65",        { { 65, v_nested } },                     0 },
    };
    s_run_cases ("client-reply", base, S_COUNT (base), cases, S_COUNT (cases));
    s_builder_t b;
    s_change_t list [3] = { { 49, v_4096 }, { 51, v_items }, { 52, v_true } };
    s_build (&b, base, S_COUNT (base), list, 3);
    wire_msg_t msg;
    assert_int_equal (wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, NULL), 0);
    msgpack_sbuffer_destroy (&b.sb);
    assert_int_equal (msg.client_resp.index, 4096);
    assert_int_equal (msg.client_resp.version, 0);
    assert_false (msg.client_resp.has_value);
    assert_int_equal (msg.client_resp.item_count, 2);
    assert_true (msg.client_resp.more);
    assert_string_equal (msg.client_resp.items [0].key, "capacity/a");
    assert_int_equal (msg.client_resp.items [0].version, 3);
    assert_int_equal (msg.client_resp.items [0].value_size, 2);
    assert_string_equal (msg.client_resp.items [1].key, "capacity/b");
    assert_int_equal (msg.client_resp.items [1].value_size, 0);
    assert_string_equal (msg.client_resp.leader, "n1");
}

//  An ancillary key 99 holding a bin of size bytes, after a body of type.
static int
s_decode_padded (s_value_fn *type_fn, const s_pair_t *fields, size_t count, size_t size,
                 size_t *body_size, const char **why)
{
    s_pair_t pairs [16] = { S_HEADER (type_fn) };
    for (size_t i = 0; i < count; i++)
        pairs [8 + i] = fields [i];
    s_builder_t b;
    s_build (&b, pairs, 8 + count, NULL, 0);
    msgpack_pack_uint8 (&b.pk, 99);
    s_bin (&b.pk, size);
    //  One more pair in the map header (a fixmap: fewer than 15 pairs)
    assert_true (((uint8_t) b.sb.data [0] & 0xf0) == 0x80 && ((uint8_t) b.sb.data [0] & 0x0f) < 15);
    b.sb.data [0]++;
    wire_msg_t msg;
    *body_size = b.sb.size;
    int rc = wire_msg_decode ((const uint8_t *) b.sb.data, b.sb.size, &msg, why);
    msgpack_sbuffer_destroy (&b.sb);
    return rc;
}

static void
test_body_caps (void **state)
{
    (void) state;
    const char *why;
    size_t size;
    //  A status request padded with an unknown ancillary field: accepted up
    //  to the small cap, refused beyond it
    size_t pad = WIRE_SMALL_BODY_BYTES_MAX - 100;
    assert_int_equal (s_decode_padded (v_type_status_req, NULL, 0, pad, &size, &why), 0);
    pad += WIRE_SMALL_BODY_BYTES_MAX - size;
    assert_int_equal (s_decode_padded (v_type_status_req, NULL, 0, pad, &size, &why), 0);
    assert_int_equal (size, WIRE_SMALL_BODY_BYTES_MAX);
    assert_int_equal (s_decode_padded (v_type_status_req, NULL, 0, pad + 1, &size, &why),
                      WIRE_MALFORMED);
    assert_string_equal (why, "body longer than its type's cap");
    //  The same padding on an append (a large type) is fine, up to the
    //  frame cap
    static const s_pair_t append [] = {
        { 32, v_ten }, { 33, v_five }, { 34, v_nine }, { 35, v_entries }
    };
    pad = WIRE_BODY_BYTES_MAX - 200;
    assert_int_equal (s_decode_padded (v_thirteen, append, 4, pad, &size, &why), 0);
    pad += WIRE_BODY_BYTES_MAX - size;
    assert_int_equal (s_decode_padded (v_thirteen, append, 4, pad, &size, &why), 0);
    assert_int_equal (size, WIRE_BODY_BYTES_MAX);
    assert_int_equal (s_decode_padded (v_thirteen, append, 4, pad + 1, &size, &why), WIRE_MALFORMED);
    assert_string_equal (why, "body longer than the frame cap");
    //  Every type: 2 KiB of padding is over the small cap, not the large
    static const s_pair_t snapshot [] = {
        { 32, v_4096 }, { 33, v_six }, { 34, v_4096 }, { 37, v_bin3 }, { 38, v_zero }, { 39, v_ten }
    };
    static const s_pair_t client_req [] = { { 42, v_op_get }, { 43, v_key }, { 46, v_five } };
    static const s_pair_t client_resp [] = { { 17, v_n1 }, { 23, v_one }, { 24, v_big }, { 26, v_zero } };
    static const s_pair_t append_resp [] = { { 21, v_true }, { 36, v_ten } };
    static const s_pair_t vote [] = { { 22, v_false }, { 40, v_ten }, { 41, v_six } };
    assert_int_equal (s_decode_padded (v_type_snapshot, snapshot, 6, 2048, &size, &why), 0);
    assert_int_equal (s_decode_padded (v_type_client_req, client_req, 3, 2048, &size, &why), 0);
    assert_int_equal (s_decode_padded (v_type_client_resp, client_resp, 4, 2048, &size, &why), 0);
    assert_int_equal (s_decode_padded (v_type_append_resp, append_resp, 2, 2048, &size, &why),
                      WIRE_MALFORMED);
    assert_string_equal (why, "body longer than its type's cap");
    assert_int_equal (s_decode_padded (v_type_vote, vote, 3, 2048, &size, &why), WIRE_MALFORMED);
    assert_string_equal (why, "body longer than its type's cap");
}

//  The largest message of each type: longest ids, largest integers, every
//  optional field, every array and bin full. It must encode within its
//  type's cap (so the encoder's cap never refuses a valid message), round
//  trip, and sign.
static void
test_largest_bodies (void **state)
{
    (void) state;
    static uint8_t payload [WIRE_CHUNK_BYTES_MAX];
    for (size_t i = 0; i < sizeof (payload); i++)
        payload [i] = (uint8_t) (i * 31 + 7);
    char cluster [WIRE_CLUSTER_CHARS_MAX + 1], id [WIRE_ID_CHARS_MAX + 1];
    memset (cluster, 'C', WIRE_CLUSTER_CHARS_MAX);
    cluster [WIRE_CLUSTER_CHARS_MAX] = '\0';
    memset (id, 'i', WIRE_ID_CHARS_MAX);
    id [WIRE_ID_CHARS_MAX] = '\0';
    uint8_t seed [32];
    fx_seed (seed, 0x40);
    keys_t *keys = keys_new_from_seed (seed);
    assert_non_null (keys);
    static wire_msg_t msg;
    static wire_sealed_t sealed;
    size_t largest [WIRE_TYPE_MAX + 1] = { 0 };
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        fx_msg (&msg, (wire_type_t) type, wire_type_broadcast ((wire_type_t) type) ? "*" : id,
                UINT64_MAX);
        fx_stamp (&msg, cluster, id, UINT64_MAX, UINT64_MAX);
        switch (type) {
            case WIRE_HEARTBEAT:
            case WIRE_BEACON:
                strcpy (msg.heartbeat.leader, id);
                msg.heartbeat.has_lease = msg.heartbeat.has_lease_expiry = true;
                msg.heartbeat.has_commit = msg.heartbeat.has_applied = true;
                msg.heartbeat.hb_ms = msg.heartbeat.lease_remaining_ms = UINT64_MAX;
                msg.heartbeat.lease_expiry_ms = msg.heartbeat.commit = UINT64_MAX;
                msg.heartbeat.applied = UINT64_MAX;
                memset (&msg.heartbeat.status, 0xff, sizeof (msg.heartbeat.status));
                break;
            case WIRE_STATUS_RESP:
                strcpy (msg.status_resp.leader, id);
                msg.status_resp.has_lease = true;
                msg.status_resp.lease_remaining_ms = msg.status_resp.reply_to = UINT64_MAX;
                memset (&msg.status_resp.status, 0xff, sizeof (msg.status_resp.status));
                break;
            case WIRE_TRANSFER_REQ:
                strcpy (msg.transfer_req.target, id);
                break;
            case WIRE_TRANSFER_RESP:
                strcpy (msg.transfer_resp.leader, id);
                msg.transfer_resp.reply_to = msg.transfer_resp.reply_incarnation = UINT64_MAX;
                break;
            case WIRE_PREVOTE_REQ:
                msg.prevote_req.round = msg.prevote_req.last_index = UINT64_MAX;
                msg.prevote_req.last_term = UINT64_MAX;
                break;
            case WIRE_VOTE_REQ:
                msg.vote_req.last_index = msg.vote_req.last_term = UINT64_MAX;
                break;
            case WIRE_HEARTBEAT_ACK:
                msg.heartbeat_ack.hb_ms = UINT64_MAX;
                break;
            case WIRE_PREVOTE_RESP:
                msg.prevote_resp.round = UINT64_MAX;
                break;
            case WIRE_APPEND:
                msg.append.prev_index = UINT64_MAX - WIRE_ENTRIES_MAX;
                msg.append.prev_term = msg.append.commit = UINT64_MAX;
                msg.append.entry_count = WIRE_ENTRIES_MAX;
                for (int k = 0; k < WIRE_ENTRIES_MAX; k++)
                    msg.append.entries [k] = (wire_entry_t) {
                        UINT64_MAX, 1, payload + k, WIRE_PAYLOAD_BYTES_MAX };
                break;
            case WIRE_APPEND_RESP:
                msg.append_resp.match_index = UINT64_MAX;
                break;
            case WIRE_SNAPSHOT:
                msg.snapshot = (wire_snapshot_t) {
                    .index = UINT64_MAX, .term = UINT64_MAX, .commit = UINT64_MAX,
                    .offset = UINT64_MAX - WIRE_CHUNK_BYTES_MAX, .total = UINT64_MAX,
                    .data = payload, .size = WIRE_CHUNK_BYTES_MAX };
                break;
            case WIRE_CLIENT_REQ:       //  A cas: the op with the most fields
                memset (msg.client_req.key, 'k', WIRE_KV_KEY_CHARS_MAX);
                msg.client_req.key [WIRE_KV_KEY_CHARS_MAX] = '\0';
                msg.client_req.value = payload;
                msg.client_req.value_size = WIRE_KV_VALUE_BYTES_MAX;
                msg.client_req.expected = msg.client_req.request_id = UINT64_MAX;
                break;
            case WIRE_CLIENT_RESP:
                strcpy (msg.client_resp.leader, id);
                msg.client_resp.reply_to = msg.client_resp.reply_incarnation = UINT64_MAX;
                msg.client_resp.outcome = WIRE_OUTCOME_MAX;
                msg.client_resp.index = msg.client_resp.version = UINT64_MAX;
                msg.client_resp.has_value = true;
                msg.client_resp.value = payload;
                msg.client_resp.value_size = WIRE_KV_VALUE_BYTES_MAX;
                msg.client_resp.item_count = WIRE_LIST_MAX;
                for (int i = 0; i < WIRE_LIST_MAX; i++) {
                    wire_item_t *item = &msg.client_resp.items [i];
                    memset (item->key, 'k', WIRE_KV_KEY_CHARS_MAX);
                    item->key [WIRE_KV_KEY_CHARS_MAX - 1] = "0123456789ABCDEFGHIJKLMNOPQRSTUV" [i];
                    item->key [WIRE_KV_KEY_CHARS_MAX] = '\0';
                    item->version = UINT64_MAX;
                    item->value = payload + i;
                    item->value_size = WIRE_KV_VALUE_BYTES_MAX;
                }
                break;
            default:
                break;
        }
        s_roundtrip (&msg);
        assert_int_equal (wire_seal (keys, &msg, &sealed), 0);
        largest [type] = sealed.body_size;
        assert_true (sealed.body_size <= wire_body_cap ((wire_type_t) type));
    }
    //  Where the caps come from: a full snapshot chunk nearly fills the
    //  large cap; every other type fits in far less
    if (getenv ("TEST_MSG_VERBOSE"))
        for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++)
            printf ("largest %s: %zu bytes\n", wire_type_name ((wire_type_t) type), largest [type]);
    assert_true (largest [WIRE_SNAPSHOT] > WIRE_CHUNK_BYTES_MAX);
    assert_true (largest [WIRE_SNAPSHOT] < WIRE_CHUNK_BYTES_MAX + 512);
    assert_true (largest [WIRE_APPEND] < WIRE_BODY_BYTES_MAX * 3 / 5);
    assert_true (largest [WIRE_CLIENT_RESP] < WIRE_BODY_BYTES_MAX / 4);
    assert_true (largest [WIRE_CLIENT_REQ] < WIRE_SMALL_BODY_BYTES_MAX);
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++)
        if (wire_body_cap ((wire_type_t) type) == WIRE_SMALL_BODY_BYTES_MAX)
            assert_true (largest [type] < WIRE_SMALL_BODY_BYTES_MAX / 2);
    keys_destroy (&keys);
}

//  wire_msg_check, and so the encoder, refuses what a decoder would.
static void
test_encode_refuses_invalid_new (void **state)
{
    (void) state;
    static uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    static wire_msg_t good, msg;
    static const uint8_t bytes [600] = { 0 };
    //  Vote and pre-vote requests: the log position
    wire_type_t votes [] = { WIRE_VOTE_REQ, WIRE_PREVOTE_REQ };
    for (int i = 0; i < 2; i++) {
        fx_msg (&good, votes [i], "n2", 7);
        fx_stamp (&good, FX_CLUSTER, "n1", 3, 1);
        assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
        uint64_t *index = votes [i] == WIRE_VOTE_REQ ? &msg.vote_req.last_index
                                                    : &msg.prevote_req.last_index;
        uint64_t *term = votes [i] == WIRE_VOTE_REQ ? &msg.vote_req.last_term
                                                   : &msg.prevote_req.last_term;
        msg = good; *term = 8;                  assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
        msg = good; *term = 0;                  assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
        msg = good; *index = 0;                 assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
        msg = good; *index = 0; *term = 0;      assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    }
    //  Append
    fx_msg (&good, WIRE_APPEND, "n2", 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 3, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.append.entry_count = WIRE_ENTRIES_MAX + 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.prev_term = 8;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.prev_index = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.prev_index = UINT64_MAX;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [1].term = 5;        //  Below the first, and prev_term
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [2].term = 8;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [0].term = 0; msg.append.prev_index = msg.append.prev_term = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [2].type = 2;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [1].payload = bytes; msg.append.entries [1].size = 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [2].payload = NULL;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.append.entries [2].payload = bytes;
    msg.append.entries [2].size = WIRE_PAYLOAD_BYTES_MAX + 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.append.entries [2].size = WIRE_PAYLOAD_BYTES_MAX;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    //  ... an entry beyond entry_count is not looked at
    msg = good; msg.append.entries [3].type = 9;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    //  Snapshot
    fx_msg (&good, WIRE_SNAPSHOT, "n2", 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 3, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.snapshot.index = 0;     assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.snapshot.term = 0;      assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.snapshot.term = 8;      assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.snapshot.size = 0;      assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.snapshot.data = NULL;   assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.snapshot.total = msg.snapshot.offset + msg.snapshot.size - 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.snapshot.total++;                   assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msg = good; msg.snapshot.size = WIRE_CHUNK_BYTES_MAX + 1; msg.snapshot.total = UINT64_MAX;
    msg.snapshot.data = body;               assert_int_equal (wire_msg_encode (&msg, body + 0, 0, &size), -1);
    //  A snapshot as wire_from_core leaves it, before the node attaches a chunk
    msg = good; msg.snapshot.data = NULL; msg.snapshot.size = 0; msg.snapshot.offset = 0;
    msg.snapshot.total = 0;                 assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    //  Client request (a cas)
    fx_msg (&good, WIRE_CLIENT_REQ, "n2", 7);
    fx_stamp (&good, FX_CLUSTER, FX_CLIENT, FX_CLIENT_INCARNATION, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.client_req.op = (wire_op_t) 0;  assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.op = (wire_op_t) 6;  assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.request_id = 0;      assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.client_req.key, "");    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.client_req.key, "a b"); assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; memset (msg.client_req.key, 'k', sizeof (msg.client_req.key));
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.has_expected = false;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.value_size = WIRE_KV_VALUE_BYTES_MAX + 1; msg.client_req.value = bytes;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.value = NULL;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.client_req.after, "a");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.limit = 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_req.op = WIRE_OP_PUT;            //  put: no expected
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.client_req.has_expected = false;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msg.client_req.op = WIRE_OP_GET;                        //  get: no value
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.client_req.value_size = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msg.client_req.op = WIRE_OP_DEL;                        //  del: expected optional
    msg.client_req.has_expected = true;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msg.client_req.op = WIRE_OP_LIST;                       //  list: no expected; "" and limits
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.client_req.has_expected = false;
    strcpy (msg.client_req.key, "");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msg.client_req.limit = WIRE_LIST_MAX + 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.client_req.limit = WIRE_LIST_MAX;
    strcpy (msg.client_req.after, "x y");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    strcpy (msg.client_req.after, "x/y");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    //  Client reply (a list page)
    fx_msg (&good, WIRE_CLIENT_RESP, FX_CLIENT, 7);
    fx_stamp (&good, FX_CLUSTER, "n1", 3, 1);
    assert_int_equal (wire_msg_encode (&good, body, sizeof (body), &size), 0);
    msg = good; msg.client_resp.outcome = (wire_outcome_t) (WIRE_OUTCOME_MAX + 1);
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_resp.reply_incarnation = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.client_resp.leader, "*");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_resp.item_count = WIRE_LIST_MAX + 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_resp.item_count = 0;             //  more needs items
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.client_resp.more = false;                           //  an empty page: no items
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    msg = good; strcpy (msg.client_resp.items [1].key, "capacity/a");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; strcpy (msg.client_resp.items [1].key, "");
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_resp.items [0].version = 0;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_resp.items [0].value_size = WIRE_KV_VALUE_BYTES_MAX + 1;
    msg.client_resp.items [0].value = bytes;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg = good; msg.client_resp.has_value = true; msg.client_resp.value = NULL;
    msg.client_resp.value_size = 1;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
    msg.client_resp.value_size = 0;                         //  An empty value: fine
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
}

//  The optional fields of the new types, in every combination.
static void
test_roundtrip_new_variants (void **state)
{
    (void) state;
    static wire_msg_t msg;
    static const uint8_t bytes [WIRE_PAYLOAD_BYTES_MAX] = { 1, 2, 3 };
    //  Appends: none, one of each kind, all 64, from the empty log
    for (uint32_t count = 0; count <= WIRE_ENTRIES_MAX; count += count < 3 ? 1 : 61) {
        for (int empty_log = 0; empty_log < 2; empty_log++) {
            fx_msg (&msg, WIRE_APPEND, "n2", 9);
            fx_stamp (&msg, FX_CLUSTER, "n1", 3, 1);
            msg.append.prev_index = empty_log ? 0 : 77;
            msg.append.prev_term = empty_log ? 0 : 2;
            msg.append.commit = count * 5;
            msg.append.entry_count = count;
            for (uint32_t k = 0; k < count; k++)
                msg.append.entries [k] = (wire_entry_t) {
                    .term = 3 + k * 6 / WIRE_ENTRIES_MAX, .type = k % 3 ? 1 : 0,
                    .payload = k % 3 ? bytes : NULL, .size = k % 3 ? k * 8 : 0 };
            s_roundtrip (&msg);
        }
    }
    //  Snapshots: the first, a middle and the last chunk
    for (int chunk = 0; chunk < 3; chunk++) {
        fx_msg (&msg, WIRE_SNAPSHOT, "n2", 9);
        fx_stamp (&msg, FX_CLUSTER, "n1", 3, 1);
        msg.snapshot.offset = (uint64_t) chunk * msg.snapshot.size;
        s_roundtrip (&msg);
    }
    //  Client requests: every op, with and without its optional fields
    for (int op = WIRE_OP_PUT; op <= WIRE_OP_MAX; op++) {
        for (int optional = 0; optional < 4; optional++) {
            fx_msg (&msg, WIRE_CLIENT_REQ, "n2", 9);
            fx_stamp (&msg, FX_CLUSTER, FX_CLIENT, FX_CLIENT_INCARNATION, 1);
            wire_client_req_t *cq = &msg.client_req;
            cq->op = (wire_op_t) op;
            cq->has_expected = op == WIRE_OP_CAS || (op == WIRE_OP_DEL && optional & 1);
            if (op != WIRE_OP_PUT && op != WIRE_OP_CAS)
                cq->value_size = 0;
            else
            if (optional & 1)
                cq->value_size = 0;                 //  An empty value
            if (op == WIRE_OP_LIST) {
                if (optional & 1)
                    strcpy (cq->key, "");           //  Everything
                if (optional & 2)
                    strcpy (cq->after, "capacity/st-marys/a");
                cq->limit = optional == 3 ? WIRE_LIST_MAX : optional;
            }
            s_roundtrip (&msg);
        }
    }
    //  Client replies: every outcome; index, version, value, items in
    //  combinations
    for (int outcome = 0; outcome <= WIRE_OUTCOME_MAX; outcome++) {
        for (int optional = 0; optional < 16; optional++) {
            fx_msg (&msg, WIRE_CLIENT_RESP, FX_CLIENT, 9);
            fx_stamp (&msg, FX_CLUSTER, "n1", 3, 1);
            wire_client_resp_t *cr = &msg.client_resp;
            cr->outcome = (wire_outcome_t) outcome;
            cr->has_leader = outcome != WIRE_OUTCOME_NOT_LEADER;
            cr->index = optional & 1 ? 1041 : 0;
            cr->version = optional & 2 ? UINT64_MAX : 0;
            cr->has_value = optional & 4;
            cr->value = bytes;
            cr->value_size = optional & 1 ? WIRE_KV_VALUE_BYTES_MAX : 0;
            if (!(optional & 8)) {
                cr->item_count = 0;
                cr->more = false;
            }
            s_roundtrip (&msg);
        }
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_roundtrip_every_type),
        cmocka_unit_test (test_roundtrip_variants),
        cmocka_unit_test (test_exact_bytes),
        cmocka_unit_test (test_interop_msgpack_c),
        cmocka_unit_test (test_header_values),
        cmocka_unit_test (test_missing_and_order),
        cmocka_unit_test (test_unknown_keys),
        cmocka_unit_test (test_heartbeat_fields),
        cmocka_unit_test (test_transfer_fields),
        cmocka_unit_test (test_bombs_and_depth),
        cmocka_unit_test (test_encode_refuses_invalid),
        cmocka_unit_test (test_names_and_ids),
        cmocka_unit_test (test_append_fields),
        cmocka_unit_test (test_append_reply_fields),
        cmocka_unit_test (test_snapshot_fields),
        cmocka_unit_test (test_vote_positions),
        cmocka_unit_test (test_heartbeat_indexes),
        cmocka_unit_test (test_client_request_fields),
        cmocka_unit_test (test_client_reply_fields),
        cmocka_unit_test (test_body_caps),
        cmocka_unit_test (test_largest_bodies),
        cmocka_unit_test (test_encode_refuses_invalid_new),
        cmocka_unit_test (test_roundtrip_new_variants),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
