/*  mpread: bounded msgpack reader. See mpread.h for the contract.

    Format reference: the msgpack specification, "Formats" section. Each
    case below first makes sure the fixed-size part of the header is
    present, then that any declared payload or element count fits in what
    remains, and only then moves the reader.
*/
#include "mpread.h"
#include <string.h>

void
mpread_init (mpread_t *self, const uint8_t *data, size_t size)
{
    self->pos = data;
    self->left = data ? size : 0;
}

size_t
mpread_left (const mpread_t *self)
{
    return self->left;
}

//  Big-endian unsigned of n bytes at p (n is 1, 2, 4 or 8).
static uint64_t
s_be (const uint8_t *p, size_t n)
{
    uint64_t value = 0;
    for (size_t i = 0; i < n; i++)
        value = (value << 8) | p [i];
    return value;
}

//  Signed big-endian of n bytes, two's complement.
static int64_t
s_be_signed (const uint8_t *p, size_t n)
{
    uint64_t raw = s_be (p, n);
    if (n < 8 && (raw & (1ULL << (8 * n - 1))))
        raw |= ~0ULL << (8 * n);            //  Sign-extend
    int64_t value;
    memcpy (&value, &raw, sizeof (value));  //  Defined conversion, no UB
    return value;
}

static void
s_set_int (mpread_item_t *item, int64_t value)
{
    if (value >= 0) {
        item->kind = MPREAD_UINT;
        item->uint = (uint64_t) value;
    }
    else {
        item->kind = MPREAD_NEGATIVE;
        item->sint = value;
    }
}

int
mpread_next (mpread_t *self, mpread_item_t *item)
{
    memset (item, 0, sizeof (*item));
    if (self->left < 1)
        return -1;
    const uint8_t *p = self->pos;
    size_t left = self->left;
    uint8_t b = p [0];
    size_t head = 1;            //  Header bytes, including b
    size_t len_bytes = 0;       //  Width of a length/count field after b
    uint64_t payload = 0;       //  Bytes of payload after the header

    if (b <= 0x7f) {                            //  positive fixint
        item->kind = MPREAD_UINT;
        item->uint = b;
    }
    else
    if (b >= 0xe0) {                            //  negative fixint
        item->kind = MPREAD_NEGATIVE;
        item->sint = (int64_t) b - 256;
    }
    else
    if (b >= 0x80 && b <= 0x8f) {               //  fixmap
        item->kind = MPREAD_MAP;
        item->count = b & 0x0f;
    }
    else
    if (b >= 0x90 && b <= 0x9f) {               //  fixarray
        item->kind = MPREAD_ARRAY;
        item->count = b & 0x0f;
    }
    else
    if (b >= 0xa0 && b <= 0xbf) {               //  fixstr
        item->kind = MPREAD_STR;
        payload = b & 0x1f;
    }
    else
    switch (b) {
        case 0xc0: item->kind = MPREAD_NIL; break;
        case 0xc2: item->kind = MPREAD_BOOL; item->boolean = false; break;
        case 0xc3: item->kind = MPREAD_BOOL; item->boolean = true; break;
        case 0xc4: item->kind = MPREAD_BIN; len_bytes = 1; break;
        case 0xc5: item->kind = MPREAD_BIN; len_bytes = 2; break;
        case 0xc6: item->kind = MPREAD_BIN; len_bytes = 4; break;
        case 0xc7: item->kind = MPREAD_EXT; len_bytes = 1; break;
        case 0xc8: item->kind = MPREAD_EXT; len_bytes = 2; break;
        case 0xc9: item->kind = MPREAD_EXT; len_bytes = 4; break;
        case 0xca: item->kind = MPREAD_FLOAT; payload = 4; break;
        case 0xcb: item->kind = MPREAD_FLOAT; payload = 8; break;
        case 0xcc: case 0xcd: case 0xce: case 0xcf: {
            size_t n = (size_t) 1 << (b - 0xcc);
            if (left < 1 + n)
                return -1;
            item->kind = MPREAD_UINT;
            item->uint = s_be (p + 1, n);
            head = 1 + n;
            break;
        }
        case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
            size_t n = (size_t) 1 << (b - 0xd0);
            if (left < 1 + n)
                return -1;
            s_set_int (item, s_be_signed (p + 1, n));
            head = 1 + n;
            break;
        }
        case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
            item->kind = MPREAD_EXT;            //  fixext 1, 2, 4, 8, 16
            payload = (uint64_t) 1 << (b - 0xd4);
            break;
        case 0xd9: item->kind = MPREAD_STR; len_bytes = 1; break;
        case 0xda: item->kind = MPREAD_STR; len_bytes = 2; break;
        case 0xdb: item->kind = MPREAD_STR; len_bytes = 4; break;
        case 0xdc: item->kind = MPREAD_ARRAY; len_bytes = 2; break;
        case 0xdd: item->kind = MPREAD_ARRAY; len_bytes = 4; break;
        case 0xde: item->kind = MPREAD_MAP; len_bytes = 2; break;
        case 0xdf: item->kind = MPREAD_MAP; len_bytes = 4; break;
        default:
            return -1;                          //  0xc1: never used
    }
    if (len_bytes) {
        if (left < 1 + len_bytes)
            return -1;
        uint64_t n = s_be (p + 1, len_bytes);
        head = 1 + len_bytes;
        if (item->kind == MPREAD_ARRAY || item->kind == MPREAD_MAP)
            item->count = (uint32_t) n;
        else
            payload = n;
    }
    if (item->kind == MPREAD_EXT) {
        //  The type byte follows the length (or the fixext marker).
        if (left < head + 1)
            return -1;
        item->ext_type = (int8_t) s_be_signed (p + head, 1);
        head += 1;
    }
    //  The checks that stop allocation bombs: nothing declared may exceed
    //  what is actually left. Each element takes at least one byte.
    size_t rest = left - head;
    if (item->kind == MPREAD_ARRAY && item->count > rest)
        return -1;
    if (item->kind == MPREAD_MAP && (uint64_t) item->count * 2 > rest)
        return -1;
    if (payload > rest)
        return -1;
    if (item->kind == MPREAD_STR || item->kind == MPREAD_BIN || item->kind == MPREAD_EXT) {
        item->data = p + head;
        item->size = (uint32_t) payload;
    }
    self->pos = p + head + payload;
    self->left = rest - (size_t) payload;
    return 0;
}

int
mpread_skip (mpread_t *self, unsigned depth_max)
{
    mpread_item_t item;
    if (mpread_next (self, &item) != 0)
        return -1;
    if (item.kind != MPREAD_ARRAY && item.kind != MPREAD_MAP)
        return 0;
    if (depth_max == 0)
        return -1;                              //  Nested too deep
    uint64_t values = item.kind == MPREAD_MAP ? 2 * (uint64_t) item.count : item.count;
    //  Recursion depth is bounded by depth_max, the loop by the input size
    //  (each value consumes at least one byte).
    for (uint64_t i = 0; i < values; i++)
        if (mpread_skip (self, depth_max - 1) != 0)
            return -1;
    return 0;
}

int
mpread_key (mpread_t *self, uint64_t max, uint64_t *key)
{
    //  Positive fixints only: one byte, 0x00..0x7f
    if (self->left < 1 || self->pos [0] > MPREAD_FIXINT_MAX || self->pos [0] > max)
        return -1;
    *key = self->pos [0];
    self->pos++;
    self->left--;
    return 0;
}

//  The next value, if it is of kind; else -1 with the reader unmoved.
static int
s_next_of (mpread_t *self, mpread_kind_t kind, mpread_item_t *item)
{
    mpread_t start = *self;
    if (mpread_next (self, item) != 0)
        return -1;
    if (item->kind != kind) {
        *self = start;
        return -1;
    }
    return 0;
}

int
mpread_uint (mpread_t *self, uint64_t *value)
{
    mpread_item_t item;
    if (s_next_of (self, MPREAD_UINT, &item) != 0)
        return -1;
    *value = item.uint;
    return 0;
}

int
mpread_bool (mpread_t *self, bool *value)
{
    mpread_item_t item;
    if (s_next_of (self, MPREAD_BOOL, &item) != 0)
        return -1;
    *value = item.boolean;
    return 0;
}

int
mpread_bin (mpread_t *self, uint32_t max, const uint8_t **data, uint32_t *size)
{
    mpread_t start = *self;
    mpread_item_t item;
    if (s_next_of (self, MPREAD_BIN, &item) != 0)
        return -1;
    if (item.size > max) {
        *self = start;
        return -1;
    }
    *data = item.data;
    *size = item.size;
    return 0;
}
