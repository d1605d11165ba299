/*  keys: Ed25519 identities (libsodium crypto_sign_*) and their key files.

    A node's identity is a 32-byte seed; crypto_sign_seed_keypair derives
    the 64-byte secret key and the 32-byte public key from it. Only the
    seed is ever written down, so the secret key file and the public key
    file hold one 32-byte value each, as 64 lowercase hex digits.

    Key file format (the same for both kinds, see docs/PROTOCOL.md):
      - text, at most KEYS_FILE_BYTES_MAX bytes, lines ended by '\n';
      - lines starting with '#' are comments, empty lines are ignored;
      - exactly one other line: 64 characters [0-9a-f], optionally followed
        by spaces, tabs or a '\r' (tolerated so an edited file still loads).

    Secret files are created with mode 0600, complete or not at all (a
    temporary file in the same directory, fsync, then link(2) to the final
    name, which also refuses to replace an existing key). Loading a secret
    file whose mode gives any access to group or others is refused, as
    OpenSSH refuses such private keys; so is anything but a regular file.

    A keys_t holds secret material in sodium_malloc'd memory (guard pages,
    locked against swapping where allowed) and wipes it with sodium_memzero
    when destroyed. Constructors call sodium_init().
*/
#ifndef MESH_KEYS_H
#define MESH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYS_SEED_BYTES         32      //  crypto_sign_SEEDBYTES
#define KEYS_PUBLIC_BYTES       32      //  crypto_sign_PUBLICKEYBYTES
#define KEYS_SECRET_BYTES       64      //  crypto_sign_SECRETKEYBYTES
#define KEYS_HEX_CHARS          64      //  One 32-byte value as hex
#define KEYS_FILE_BYTES_MAX     4096    //  Larger key files are refused unread
#define KEYS_ERR_BYTES          256     //  Enough for any error message here

//  Returned by keys_parse_text and the loaders for a file whose content is
//  not a key; -1 means the file could not be read or was refused.
#define KEYS_MALFORMED          (-2)

typedef struct _keys_t keys_t;

//  Create a new random identity. Returns NULL if libsodium cannot start.
keys_t *keys_new (void);

//  Create the identity derived from a 32-byte seed (deterministic).
keys_t *keys_new_from_seed (const uint8_t seed [KEYS_SEED_BYTES]);

//  Wipe and free; safe on NULL, sets *self_p to NULL.
void keys_destroy (keys_t **self_p);

//  The 32-byte public key.
const uint8_t *keys_public (const keys_t *self);

//  The 64-byte libsodium secret key (seed followed by public key), for
//  sign.h only; never log or copy it.
const uint8_t *keys_secret (const keys_t *self);

//  Write the seed to a new secret key file at path, mode 0600. Refuses to
//  replace an existing file. Returns 0, or -1 with a message in err.
int keys_save_secret (const keys_t *self, const char *path, char *err, size_t err_size);

//  Write a public key to a new file at path, mode 0644. Refuses to replace
//  an existing file. Returns 0, or -1 with a message in err.
int keys_save_public (const uint8_t public_key [KEYS_PUBLIC_BYTES], const char *path,
                      char *err, size_t err_size);

//  Load an identity from a secret key file. Refuses a file that group or
//  others may access. Returns NULL with a message in err.
keys_t *keys_load_secret (const char *path, char *err, size_t err_size);

//  Load a public key file into public_key. Returns 0, -1 if the file cannot
//  be read, or KEYS_MALFORMED; with a message in err.
int keys_load_public (const char *path, uint8_t public_key [KEYS_PUBLIC_BYTES],
                      char *err, size_t err_size);

//  Parse key file text (size bytes, need not be NUL-terminated) into the
//  32-byte value. Returns 0, or KEYS_MALFORMED with a message in err.
int keys_parse_text (const char *text, size_t size, uint8_t value [32],
                     char *err, size_t err_size);

//  Decode exactly 64 lowercase hex digits (hex need not be NUL-terminated)
//  into 32 bytes. Returns 0, or -1 on any other input.
int keys_hex_decode (const char *hex, size_t hex_len, uint8_t value [32]);

//  Encode 32 bytes as 64 lowercase hex digits plus a NUL.
void keys_hex_encode (const uint8_t value [32], char hex [KEYS_HEX_CHARS + 1]);

#endif
