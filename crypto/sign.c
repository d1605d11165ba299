/*  sign: domain-separated detached Ed25519. See sign.h for the contract.

    libsodium signs one contiguous buffer, so the domain prefix and the
    body are joined in a stack buffer. The copy costs far less than the
    signature arithmetic, and it keeps the signed input exactly what the
    documentation says, with no prehash variant (Ed25519ph) involved.
*/
#include "sign.h"
#include <sodium.h>
#include <string.h>

//  Bodies are small (wire caps them far lower); the cap keeps the stack
//  buffer bounded whatever a caller passes.
#define S_INPUT_BYTES_MAX   (SIGN_DOMAIN_BYTES + SIGN_BODY_BYTES_MAX)

_Static_assert (sizeof (SIGN_DOMAIN) == SIGN_DOMAIN_BYTES, "domain includes its NUL");
_Static_assert (SIGN_BYTES == crypto_sign_BYTES, "Ed25519 signature size");
_Static_assert (KEYS_PUBLIC_BYTES == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");
_Static_assert (KEYS_SECRET_BYTES == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key size");
_Static_assert (KEYS_SEED_BYTES == crypto_sign_SEEDBYTES, "Ed25519 seed size");

int
sign_init (void)
{
    return sodium_init () < 0 ? -1 : 0;
}

//  Build the signing input; returns its length.
static size_t
s_input (uint8_t *input, const uint8_t *body, size_t body_size)
{
    //  sizeof includes the terminating NUL, which is part of the prefix.
    memcpy (input, SIGN_DOMAIN, SIGN_DOMAIN_BYTES);
    if (body_size)
        memcpy (input + SIGN_DOMAIN_BYTES, body, body_size);
    return SIGN_DOMAIN_BYTES + body_size;
}

int
sign_detached (const keys_t *keys, const uint8_t *body, size_t body_size,
               uint8_t sig [SIGN_BYTES])
{
    if (body_size > SIGN_BODY_BYTES_MAX)
        return -1;
    static _Thread_local uint8_t input [S_INPUT_BYTES_MAX];
    size_t input_size = s_input (input, body, body_size);
    crypto_sign_detached (sig, NULL, input, input_size, keys_secret (keys));
    return 0;
}

int
sign_verify (const uint8_t public_key [KEYS_PUBLIC_BYTES], const uint8_t *body,
             size_t body_size, const uint8_t sig [SIGN_BYTES])
{
    if (body_size > SIGN_BODY_BYTES_MAX)
        return -1;
    static _Thread_local uint8_t input [S_INPUT_BYTES_MAX];
    size_t input_size = s_input (input, body, body_size);
    return crypto_sign_verify_detached (sig, input, input_size, public_key) == 0 ? 0 : -1;
}
