/*  mpread: a bounded msgpack reader over raw bytes, for untrusted input.

    Why not msgpack-c's unpacker: given a 5-byte array32/map32/str32/bin32/
    ext32 header that declares ~4 GiB, it allocates by the declared count
    before looking at what is present (msgpack-c #985, #1013), and it nests
    as deep as its fixed stack allows. This reader allocates nothing. Every
    header is checked against the bytes that remain BEFORE its count or
    length is used: a str/bin/ext payload must be fully present, an array
    of n elements needs at least n bytes left, a map of n pairs at least
    2n. Nesting is bounded by the caller's depth in mpread_skip.

    Integers: msgpack has one integer type with many encodings; all of
    positive fixint, uint8..64, negative fixint and int8..64 are read, and
    reported by value as MPREAD_UINT (value >= 0) or MPREAD_NEGATIVE.
    Byte 0xc1 (never used) is an error. Pure functions; no allocation.
*/
#ifndef MESH_MPREAD_H
#define MESH_MPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    MPREAD_NIL = 0,
    MPREAD_BOOL,
    MPREAD_UINT,        //  Any integer encoding holding a value >= 0: .uint
    MPREAD_NEGATIVE,    //  Any integer encoding holding a value < 0: .sint
    MPREAD_FLOAT,       //  float32/float64: payload skipped, value not read
    MPREAD_STR,         //  .data, .size (payload, already bounds-checked)
    MPREAD_BIN,         //  .data, .size
    MPREAD_EXT,         //  .data, .size, .ext_type (fixext and ext8..32)
    MPREAD_ARRAY,       //  .count elements follow
    MPREAD_MAP          //  .count key/value pairs follow
} mpread_kind_t;

typedef struct {
    mpread_kind_t kind;
    bool boolean;               //  MPREAD_BOOL
    uint64_t uint;              //  MPREAD_UINT
    int64_t sint;               //  MPREAD_NEGATIVE
    const uint8_t *data;        //  STR / BIN / EXT payload
    uint32_t size;              //  Its length in bytes
    int8_t ext_type;            //  MPREAD_EXT
    uint32_t count;             //  ARRAY elements or MAP pairs
} mpread_item_t;

typedef struct {
    const uint8_t *pos;         //  Next unread byte
    size_t left;                //  Bytes from pos to the end
} mpread_t;

//  Start reading size bytes at data.
void mpread_init (mpread_t *self, const uint8_t *data, size_t size);

//  Read one header (and a str/bin/ext payload) into item. Returns 0, or -1
//  if the input is truncated, uses byte 0xc1, or declares more elements or
//  bytes than remain. On -1 the reader has not moved.
int mpread_next (mpread_t *self, mpread_item_t *item);

//  Skip one complete value, including everything nested in it. A container
//  needs depth_max >= 1 and its children get depth_max - 1. Returns 0, or
//  -1 if malformed or nested deeper than depth_max (reader position is then
//  unspecified).
int mpread_skip (mpread_t *self, unsigned depth_max);

//  Bytes not yet read.
size_t mpread_left (const mpread_t *self);

//  Typed reads, for the strict decoders (wire/msg.c, node/kv.c): each
//  reads one value of exactly the kind it names and returns 0, or -1 if
//  the next value is malformed or of another kind (the reader has then not
//  moved).

#define MPREAD_FIXINT_MAX       0x7f    //  Largest positive fixint

//  A map key that is a positive fixint (one byte) of at most max.
int mpread_key (mpread_t *self, uint64_t max, uint64_t *key);

//  An integer, in any encoding, of a value >= 0.
int mpread_uint (mpread_t *self, uint64_t *value);

//  A boolean.
int mpread_bool (mpread_t *self, bool *value);

//  A bin of at most max bytes; *data points into the input.
int mpread_bin (mpread_t *self, uint32_t max, const uint8_t **data, uint32_t *size);

#endif
