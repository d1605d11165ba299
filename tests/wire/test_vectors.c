/*  test_vectors: the published test vectors are what the code produces,
    they verify with plain libsodium the way a monitor in another language
    would check them, and docs/PROTOCOL.md quotes them exactly.

    MESH_VECTORS_FILE and MESH_PROTOCOL_DOC are set by CMake.
*/
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fixture.h"
#include "vectors.h"

static char *
s_slurp (const char *path, size_t *size)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        fail_msg ("cannot open %s", path);
    fseek (file, 0, SEEK_END);
    long len = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *text = malloc ((size_t) len + 1);
    assert_non_null (text);
    assert_int_equal (fread (text, 1, (size_t) len, file), (size_t) len);
    text [len] = 0;
    fclose (file);
    if (size)
        *size = (size_t) len;
    return text;
}

static void
test_file_matches_code (void **state)
{
    (void) state;
    char *generated = NULL;
    size_t generated_size = 0;
    FILE *mem = open_memstream (&generated, &generated_size);
    assert_non_null (mem);
    assert_int_equal (vectors_write (mem), 0);
    fclose (mem);
    size_t size;
    char *committed = s_slurp (MESH_VECTORS_FILE, &size);
    if (size != generated_size || memcmp (committed, generated, size) != 0)
        fail_msg ("%s differs from what the code generates; if the change is intended, "
                  "regenerate it with wire_vectors and update docs/PROTOCOL.md", MESH_VECTORS_FILE);
    free (committed);
    free (generated);
}

//  The value after "label: " on the line at *pos; advances *pos.
static char *
s_field (char **pos, const char *label)
{
    char *line = strstr (*pos, label);
    assert_non_null (line);
    line += strlen (label);
    char *end = strchr (line, '\n');
    assert_non_null (end);
    *end = 0;
    *pos = end + 1;
    return line;
}

static void
test_vectors_verify_independently (void **state)
{
    (void) state;
    char *text = s_slurp (MESH_VECTORS_FILE, NULL);
    char *pos = text;
    uint8_t seed [32], public [32], pk [32], sk [64];
    assert_int_equal (fx_unhex (s_field (&pos, "seed: "), seed, 32), 32);
    assert_int_equal (fx_unhex (s_field (&pos, "public: "), public, 32), 32);
    assert_int_equal (sodium_init () >= 0, 1);
    crypto_sign_seed_keypair (pk, sk, seed);
    assert_memory_equal (pk, public, 32);

    //  The signer as a member, and as a client (a receiver's tables)
    wire_peers_t *members = wire_peers_new ();
    assert_int_equal (wire_peers_add (members, "n1", public), 0);
    wire_peers_t *clients = wire_peers_new ();
    assert_int_equal (wire_peers_add_client (clients, "ops", public, WIRE_TYPES_CLIENT), 0);
    int vectors = 0;
    while (strstr (pos, "vector: ")) {
        char *name = s_field (&pos, "vector: ");
        char *head = s_field (&pos, "head: ");
        uint8_t body [WIRE_BODY_BYTES_MAX], sig [64];
        int body_size = fx_unhex (s_field (&pos, "body: "), body, sizeof (body));
        assert_true (body_size > 0);
        if (vectors == 0) {
            //  The signing input as documented
            uint8_t input [15 + WIRE_BODY_BYTES_MAX];
            int input_size = fx_unhex (s_field (&pos, "input: "), input, sizeof (input));
            assert_int_equal (input_size, 15 + body_size);
            assert_memory_equal (input, "incidentmesh/1\0", 15);
            assert_memory_equal (input + 15, body, (size_t) body_size);
        }
        assert_int_equal (fx_unhex (s_field (&pos, "sig: "), sig, 64), 64);

        //  Plain libsodium, no code of ours
        uint8_t input [15 + WIRE_BODY_BYTES_MAX];
        memcpy (input, "incidentmesh/1\0", 15);
        memcpy (input + 15, body, (size_t) body_size);
        if (crypto_sign_verify_detached (sig, input, 15 + (size_t) body_size, public) != 0)
            fail_msg ("vector %s: signature does not verify", name);

        //  And the whole receive path, as the addressee
        wire_msg_t msg;
        assert_int_equal (wire_msg_decode (body, (size_t) body_size, &msg, NULL), 0);
        const char *self = strcmp (msg.to, "*") == 0 ? "monitor" : msg.to;
        wire_rx_t *rx = wire_rx_new ("prod", self, strcmp (msg.from, "ops") == 0 ? clients : members);
        wire_rx_set_logger (rx, NULL, NULL);
        wire_bytes_t frames [3] = {
            { (const uint8_t *) head, strlen (head) }, { body, (size_t) body_size }, { sig, 64 }
        };
        wire_msg_t out;
        wire_reject_t reason;
        if (wire_rx_accept_frames (rx, frames, 3, 0, &out, &reason) != 0)
            fail_msg ("vector %s: rejected: %s", name, wire_reject_name (reason));
        assert_true (wire_msg_equal (&out, &msg));
        wire_rx_destroy (&rx);
        if (vectors == 0) {
            assert_string_equal (name, "heartbeat-leader");
            assert_int_equal (out.type, WIRE_HEARTBEAT);
            assert_int_equal (out.term, 7);
            assert_int_equal (out.incarnation, 5);
            assert_int_equal (out.seq, 1);
            assert_int_equal (out.heartbeat.hb_ms, 1000000);
            assert_int_equal (out.heartbeat.lease_remaining_ms, 180);
            assert_int_equal (out.heartbeat.status.wire_accepted, 250);
        }
        if (strcmp (name, "beacon-follower") == 0) {
            assert_int_equal (out.type, WIRE_BEACON);
            assert_string_equal (out.to, "*");
            assert_int_equal (out.heartbeat.role, WIRE_FOLLOWER);
            assert_string_equal (out.heartbeat.leader, "n2");
            assert_false (out.heartbeat.has_lease);
        }
        if (strcmp (name, "transfer-request") == 0) {
            assert_int_equal (out.type, WIRE_TRANSFER_REQ);
            assert_string_equal (out.from, "ops");
            assert_string_equal (out.transfer_req.target, "n3");
            assert_int_equal (out.seq, 1);
        }
        if (strcmp (name, "append") == 0) {
            assert_int_equal (out.type, WIRE_APPEND);
            assert_int_equal (out.append.prev_index, 41);
            assert_int_equal (out.append.entry_count, 2);
            assert_int_equal (out.append.entries [0].type, 0);     //  The no-op
            assert_int_equal (out.append.entries [0].size, 0);
            assert_int_equal (out.append.entries [1].type, 1);
            assert_int_equal (out.append.entries [1].payload [0], 0x84);   //  A kv command map
        }
        if (strcmp (name, "snapshot") == 0) {
            assert_int_equal (out.type, WIRE_SNAPSHOT);
            assert_int_equal (out.snapshot.offset + out.snapshot.size, out.snapshot.total);
        }
        if (strcmp (name, "client-request") == 0) {
            assert_int_equal (out.type, WIRE_CLIENT_REQ);
            assert_string_equal (out.from, "ops");
            assert_int_equal (out.client_req.op, WIRE_OP_PUT);
            assert_string_equal (out.client_req.key, "capacity/st-marys/beds");
            assert_int_equal (out.seq, 2);
        }
        if (strcmp (name, "client-reply") == 0) {
            assert_int_equal (out.type, WIRE_CLIENT_RESP);
            assert_int_equal (out.client_resp.item_count, 2);
            assert_string_equal (out.client_resp.items [1].key, "capacity/st-marys/icu");
            assert_false (out.client_resp.more);
        }
        if (strcmp (name, "heartbeat-no-ack") == 0) {
            assert_int_equal (out.type, WIRE_HEARTBEAT);
            assert_int_equal (out.heartbeat.role, WIRE_LEADER);
            assert_true (out.heartbeat.no_ack);
        }
        vectors++;
    }
    assert_int_equal (vectors, 17);
    wire_peers_destroy (&members);
    wire_peers_destroy (&clients);
    free (text);
}

static void
test_document_quotes_vectors (void **state)
{
    (void) state;
    char *vectors = s_slurp (MESH_VECTORS_FILE, NULL);
    char *doc = s_slurp (MESH_PROTOCOL_DOC, NULL);
    int checked = 0;
    for (char *line = strtok (vectors, "\n"); line; line = strtok (NULL, "\n")) {
        if (line [0] == '#' || line [0] == 0)
            continue;
        //  Each value line must appear as a whole line of the document
        char want [4096];
        snprintf (want, sizeof (want), "\n%s\n", line);
        if (!strstr (doc, want))
            fail_msg ("docs/PROTOCOL.md lacks the vector line '%s'", line);
        checked++;
    }
    assert_true (checked >= 2 + 16 * 4);
    free (doc);
    free (vectors);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_file_matches_code),
        cmocka_unit_test (test_vectors_verify_independently),
        cmocka_unit_test (test_document_quotes_vectors),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
