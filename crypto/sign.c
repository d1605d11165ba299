/*  sign: domain-separated detached Ed25519. See sign.h for the contract.

    libsodium signs one contiguous buffer, so the domain prefix and the
    body are joined in one buffer. The copy costs far less than the
    signature arithmetic, and it keeps the signed input exactly what the
    documentation says, with no prehash variant (Ed25519ph) involved.

    The buffer is on the stack for the bodies the wire sends today and on
    the heap above that. It is deliberately not a static _Thread_local
    array: static TLS is copied into every thread of the process, and
    libzmq starts two, so a 64 KiB pair of them cost 384 KiB of resident
    memory per node for buffers only the main thread ever used.
*/
#include "sign.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

//  Bodies up to this size are joined on the stack (wire caps them lower).
#define S_STACK_INPUT_BYTES (SIGN_DOMAIN_BYTES + 2048)

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

//  Build the signing input in local if it fits, else on the heap; returns
//  the buffer (local, or one the caller frees), or NULL if out of memory.
static uint8_t *
s_input (uint8_t local [S_STACK_INPUT_BYTES], const uint8_t *body, size_t body_size)
{
    size_t input_size = SIGN_DOMAIN_BYTES + body_size;
    uint8_t *input = input_size <= S_STACK_INPUT_BYTES ? local : malloc (input_size);
    if (!input)
        return NULL;
    //  The terminating NUL is part of the prefix.
    memcpy (input, SIGN_DOMAIN, SIGN_DOMAIN_BYTES);
    if (body_size)
        memcpy (input + SIGN_DOMAIN_BYTES, body, body_size);
    return input;
}

int
sign_detached (const keys_t *keys, const uint8_t *body, size_t body_size,
               uint8_t sig [SIGN_BYTES])
{
    if (body_size > SIGN_BODY_BYTES_MAX)
        return -1;
    uint8_t local [S_STACK_INPUT_BYTES];
    uint8_t *input = s_input (local, body, body_size);
    if (!input)
        return -1;
    crypto_sign_detached (sig, NULL, input, SIGN_DOMAIN_BYTES + body_size,
                          keys_secret (keys));
    if (input != local)
        free (input);
    return 0;
}

int
sign_verify (const uint8_t public_key [KEYS_PUBLIC_BYTES], const uint8_t *body,
             size_t body_size, const uint8_t sig [SIGN_BYTES])
{
    if (body_size > SIGN_BODY_BYTES_MAX)
        return -1;
    uint8_t local [S_STACK_INPUT_BYTES];
    uint8_t *input = s_input (local, body, body_size);
    if (!input)
        return -1;
    int rc = crypto_sign_verify_detached (sig, input, SIGN_DOMAIN_BYTES + body_size,
                                          public_key);
    if (input != local)
        free (input);
    return rc == 0 ? 0 : -1;
}
