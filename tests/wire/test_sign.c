/*  test_sign: domain-separated Ed25519. That it is RFC 8032 Ed25519 (the
    RFC's first test vector), that the signed input is exactly
    "incidentmesh/1" 0x00 body (checked with libsodium directly, as a
    monitor in another language would), and that anything else fails.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>
#include "fixture.h"
#include "sign.h"

static void
test_rfc8032_vector (void **state)
{
    (void) state;
    //  RFC 8032 section 7.1, TEST 1 (empty message)
    uint8_t seed [32], sig [64], expect_pk [32], expect_sig [64];
    fx_unhex ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", seed, 32);
    fx_unhex ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", expect_pk, 32);
    fx_unhex ("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
              expect_sig, 64);
    keys_t *keys = keys_new_from_seed (seed);
    assert_non_null (keys);
    assert_memory_equal (keys_public (keys), expect_pk, 32);
    crypto_sign_detached (sig, NULL, (const uint8_t *) "", 0, keys_secret (keys));
    assert_memory_equal (sig, expect_sig, 64);
    keys_destroy (&keys);
}

static void
test_domain_separation (void **state)
{
    (void) state;
    uint8_t seed [32];
    fx_seed (seed, 0);
    keys_t *keys = keys_new_from_seed (seed);
    const uint8_t body [] = { 0x81, 0x00, 0x01 };
    uint8_t sig [SIGN_BYTES], raw [SIGN_BYTES];
    assert_int_equal (sign_detached (keys, body, sizeof (body), sig), 0);
    assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body), sig), 0);
    //  The signed input, built by hand
    uint8_t input [SIGN_DOMAIN_BYTES + sizeof (body)];
    memcpy (input, "incidentmesh/1", 14);
    input [14] = 0x00;
    memcpy (input + 15, body, sizeof (body));
    assert_int_equal (crypto_sign_verify_detached (sig, input, sizeof (input), keys_public (keys)), 0);
    crypto_sign_detached (raw, NULL, input, sizeof (input), keys_secret (keys));
    assert_memory_equal (raw, sig, SIGN_BYTES);        //  Ed25519 is deterministic
    //  A signature over the bare body (no domain) is not ours
    crypto_sign_detached (raw, NULL, body, sizeof (body), keys_secret (keys));
    assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body), raw), -1);
    //  Nor one under another version's domain
    memcpy (input, "incidentmesh/2", 14);
    crypto_sign_detached (raw, NULL, input, sizeof (input), keys_secret (keys));
    assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body), raw), -1);
    keys_destroy (&keys);
}

static void
test_failures (void **state)
{
    (void) state;
    uint8_t seed [32];
    fx_seed (seed, 1);
    keys_t *keys = keys_new_from_seed (seed);
    fx_seed (seed, 2);
    keys_t *other = keys_new_from_seed (seed);
    uint8_t body [100];
    for (int i = 0; i < 100; i++)
        body [i] = (uint8_t) (i * 7);
    uint8_t sig [SIGN_BYTES];
    assert_int_equal (sign_detached (keys, body, sizeof (body), sig), 0);
    assert_int_equal (sign_verify (keys_public (other), body, sizeof (body), sig), -1);
    assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body) - 1, sig), -1);
    for (size_t i = 0; i < sizeof (body); i++) {
        body [i] ^= 0x40;
        assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body), sig), -1);
        body [i] ^= 0x40;
    }
    for (size_t i = 0; i < SIGN_BYTES; i++) {
        sig [i] ^= 0x02;
        assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body), sig), -1);
        sig [i] ^= 0x02;
    }
    assert_int_equal (sign_verify (keys_public (keys), body, sizeof (body), sig), 0);
    //  Empty bodies are signable; over-long ones are refused both ways
    assert_int_equal (sign_detached (keys, NULL, 0, sig), 0);
    assert_int_equal (sign_verify (keys_public (keys), NULL, 0, sig), 0);
    static uint8_t huge [SIGN_BODY_BYTES_MAX + 1];
    assert_int_equal (sign_detached (keys, huge, sizeof (huge), sig), -1);
    assert_int_equal (sign_verify (keys_public (keys), huge, sizeof (huge), sig), -1);
    //  An all-zero public key (small order) verifies nothing
    uint8_t zero [32] = { 0 };
    assert_int_equal (sign_verify (zero, body, sizeof (body), sig), -1);
    keys_destroy (&keys);
    keys_destroy (&other);
}

//  Bodies past the stack buffer take the heap path: the signed input must
//  be the same domain || body as for small ones, at every size up to the cap.
static void
test_large_bodies (void **state)
{
    (void) state;
    uint8_t seed [32];
    fx_seed (seed, 3);
    keys_t *keys = keys_new_from_seed (seed);
    static uint8_t body [SIGN_BODY_BYTES_MAX];
    static uint8_t input [SIGN_DOMAIN_BYTES + SIGN_BODY_BYTES_MAX];
    for (size_t i = 0; i < sizeof (body); i++)
        body [i] = (uint8_t) (i * 31 + 7);
    const size_t sizes [] = { 2047, 2048, 2049, 4096, 30000, SIGN_BODY_BYTES_MAX };
    for (size_t k = 0; k < sizeof (sizes) / sizeof (sizes [0]); k++) {
        size_t size = sizes [k];
        uint8_t sig [SIGN_BYTES], raw [SIGN_BYTES];
        assert_int_equal (sign_detached (keys, body, size, sig), 0);
        memcpy (input, SIGN_DOMAIN, SIGN_DOMAIN_BYTES);
        memcpy (input + SIGN_DOMAIN_BYTES, body, size);
        crypto_sign_detached (raw, NULL, input, SIGN_DOMAIN_BYTES + size, keys_secret (keys));
        assert_memory_equal (sig, raw, SIGN_BYTES);
        assert_int_equal (sign_verify (keys_public (keys), body, size, sig), 0);
        body [size - 1] ^= 1;
        assert_int_equal (sign_verify (keys_public (keys), body, size, sig), -1);
        body [size - 1] ^= 1;
    }
    keys_destroy (&keys);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rfc8032_vector),
        cmocka_unit_test (test_domain_separation),
        cmocka_unit_test (test_failures),
        cmocka_unit_test (test_large_bodies),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
