/*  test_msg: the body codec. Round trips for every type, the exact bytes
    of a hand-assembled body, interoperability with msgpack-c's own
    unpacker, and a table of strictness cases built with msgpack-c's packer
    (so the malformed inputs are real msgpack, not just noise).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <msgpack.h>
#include <stdio.h>
#include <string.h>
#include "fixture.h"
#include "mpread.h"

//  --------------------------------------------------------------------------
//  Round trips

static void
s_roundtrip (const wire_msg_t *msg)
{
    uint8_t body [WIRE_BODY_BYTES_MAX], again [WIRE_BODY_BYTES_MAX];
    size_t size, size2;
    assert_int_equal (wire_msg_encode (msg, body, sizeof (body), &size), 0);
    wire_msg_t out;
    const char *why = NULL;
    int rc = wire_msg_decode (body, size, &out, &why);
    if (rc != 0)
        fail_msg ("%s: decode failed: %s", wire_type_name (msg->type), why);
    assert_true (wire_msg_equal (&out, msg));
    //  Canonical: decoding then encoding gives the same bytes
    assert_int_equal (wire_msg_encode (&out, again, sizeof (again), &size2), 0);
    assert_int_equal (size2, size);
    assert_memory_equal (again, body, size);
    //  Every shorter buffer is refused, never overrun
    for (size_t cap = 0; cap < size; cap++) {
        uint8_t small [WIRE_BODY_BYTES_MAX];
        size_t unused = 12345;
        assert_int_equal (wire_msg_encode (msg, small, cap, &unused), -1);
        assert_int_equal (unused, 12345);
    }
    //  Every proper prefix is malformed
    for (size_t cut = 0; cut < size; cut++)
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
    //  Replies with both answers, status reply with and without a lease
    wire_type_t replies [] = { WIRE_HEARTBEAT_ACK, WIRE_PREVOTE_RESP, WIRE_VOTE_RESP, WIRE_VOTE_REQ };
    for (size_t i = 0; i < 4; i++) {
        for (int value = 0; value < 2; value++) {
            fx_msg (&msg, replies [i], "n1", 0);
            fx_stamp (&msg, FX_CLUSTER, "n2", 5, 6);
            msg.heartbeat_ack.granted = value;
            msg.prevote_resp.granted = value;
            msg.vote_resp.granted = value;
            msg.vote_req.transfer = value;
            s_roundtrip (&msg);
        }
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

    //  The largest values and longest ids fit well under the frame cap
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
    s_roundtrip (&msg);
    uint8_t body [WIRE_BODY_BYTES_MAX];
    size_t size;
    assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), 0);
    assert_true (size < WIRE_BODY_BYTES_MAX / 2);
}

//  A body assembled by hand from docs/PROTOCOL.md: a pre-vote request.
static void
test_exact_bytes (void **state)
{
    (void) state;
    static const uint8_t expect [] = {
        0x89,                                   //  map, 9 pairs
        0x00, 0x01,                             //  0 version: 1
        0x01, 0xa4, 'p', 'r', 'o', 'd',         //  1 cluster: "prod"
        0x02, 0x03,                             //  2 type: prevote-request
        0x03, 0xa2, 'n', '1',                   //  3 from: "n1"
        0x04, 0xa2, 'n', '2',                   //  4 to: "n2"
        0x05, 0x08,                             //  5 term: 8
        0x06, 0xcd, 0x01, 0x2c,                 //  6 incarnation: 300 (uint16)
        0x07, 0x2a,                             //  7 seq: 42
        0x1b, 0xcd, 0x12, 0x34                  //  27 round: 0x1234 (uint16)
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
    uint64_t expect_keys [] = { 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 64, 65 };
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
            default:
                break;
        }
    }
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
        { "type 13 (replication)",   2, v_thirteen,  WIRE_MALFORMED },
        { "type 31 (replication)",   2, v_31,        WIRE_MALFORMED },
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
    //  10,000-deep nesting: longer than any body may be, refused unread
    static uint8_t deep [10000];
    memset (deep, 0x91, sizeof (deep));
    assert_int_equal (wire_msg_decode (deep, sizeof (deep), &msg, &why), WIRE_MALFORMED);
    assert_string_equal (why, "body longer than the frame cap");
    //  As deep as fits in a body, under an ancillary key: the depth limit
    //  stops it (test_mpread takes mpread_skip to 10,000 and beyond)
    s_builder_t b;
    s_header (&b, 1, -1, -1, NULL);
    msgpack_pack_uint8 (&b.pk, 99);
    while (b.sb.size + 2 <= WIRE_BODY_BYTES_MAX - 1) {
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
    msg = good; msg.type = (wire_type_t) 13;         assert_int_equal (wire_msg_encode (&msg, body, sizeof (body), &size), -1);
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
        "status-reply", "transfer-request", "transfer-reply", "beacon" };
    assert_int_equal (sizeof (names) / sizeof (names [0]), WIRE_TYPE_MAX + 1);
    for (int type = WIRE_TYPE_MIN; type <= WIRE_TYPE_MAX; type++) {
        assert_string_equal (wire_type_name ((wire_type_t) type), names [type]);
        assert_int_equal (wire_type_from_name (names [type], strlen (names [type])), type);
    }
    assert_null (wire_type_name ((wire_type_t) 0));
    assert_null (wire_type_name ((wire_type_t) 13));
    assert_null (wire_type_name ((wire_type_t) 31));
    assert_int_equal (wire_type_from_name ("transfer", 8), 0);
    const char *outcomes [] = { "accepted", "not-leader", "unknown-target",
        "unreachable-target", "not-permitted", "stale-term" };
    assert_int_equal (sizeof (outcomes) / sizeof (outcomes [0]), WIRE_OUTCOME_MAX + 1);
    for (int outcome = 0; outcome <= WIRE_OUTCOME_MAX; outcome++)
        assert_string_equal (wire_outcome_name ((wire_outcome_t) outcome), outcomes [outcome]);
    assert_null (wire_outcome_name ((wire_outcome_t) (WIRE_OUTCOME_MAX + 1)));
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
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
