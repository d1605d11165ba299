/*  sign: detached Ed25519 signatures over the exact encoded bytes, with
    domain separation.

    The signed input is never the message alone but

        SIGN_DOMAIN  0x00  body

    where SIGN_DOMAIN is the protocol name and version ("incidentmesh/1")
    and 0x00 ends it. A signature made for this protocol version can thus
    never verify as one for another protocol or version that uses the same
    keys, and the NUL stops "incidentmesh/1" + body from colliding with
    "incidentmesh/12" + a shorter body. The body is the msgpack encoding as
    it travels (wire/msg.h); nothing is re-encoded before verifying.

    Ed25519 is RFC 8032 "pure" Ed25519 as in libsodium's
    crypto_sign_detached / crypto_sign_verify_detached. Verification uses
    libsodium 1.0.18's strict rules (canonical S, no small-order keys or R).

    Call sign_init() (or create any keys_t) before the first verify.
*/
#ifndef MESH_SIGN_H
#define MESH_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "keys.h"

#define SIGN_DOMAIN             "incidentmesh/1"
#define SIGN_DOMAIN_BYTES       15      //  strlen (SIGN_DOMAIN) + the NUL
#define SIGN_BYTES              64      //  crypto_sign_BYTES
#define SIGN_BODY_BYTES_MAX     65536   //  Longest body sign/verify accept

//  Start libsodium (idempotent). Returns 0, or -1 if it cannot run.
int sign_init (void);

//  Sign SIGN_DOMAIN || 0x00 || body with keys into sig. Returns 0, or -1 if
//  body is longer than SIGN_BODY_BYTES_MAX (or, above 2 KiB, memory runs out).
int sign_detached (const keys_t *keys, const uint8_t *body, size_t body_size,
                   uint8_t sig [SIGN_BYTES]);

//  Verify sig over SIGN_DOMAIN || 0x00 || body with public_key. Returns 0
//  if it is valid, -1 otherwise (including an over-long body).
int sign_verify (const uint8_t public_key [KEYS_PUBLIC_BYTES], const uint8_t *body,
                 size_t body_size, const uint8_t sig [SIGN_BYTES]);

#endif
