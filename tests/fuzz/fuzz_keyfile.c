/*  fuzz_keyfile: the key file text parser. Oracle: a parsed value written
    back as hex parses to the same value.
*/
#include <stdio.h>
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    uint8_t value [32], again [32];
    char err [KEYS_ERR_BYTES];
    int rc = keys_parse_text ((const char *) data, size, value, err, sizeof (err));
    FUZZ_ASSERT (rc == 0 || rc == KEYS_MALFORMED);
    if (rc != 0)
        return 0;
    char hex [KEYS_HEX_CHARS + 1];
    keys_hex_encode (value, hex);
    FUZZ_ASSERT (keys_parse_text (hex, KEYS_HEX_CHARS, again, err, sizeof (err)) == 0);
    FUZZ_ASSERT (memcmp (value, again, 32) == 0);
    return 0;
}
