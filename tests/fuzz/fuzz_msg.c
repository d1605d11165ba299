/*  fuzz_msg: the body decoder (every type's decoder is reached through it)
    and the bounded reader under it.

    Oracles: no crash, no sanitizer report, no allocation; a body that
    decodes passes wire_msg_check, re-encodes, and the re-encoding decodes
    to an equal message and re-encodes to the same bytes (canonical form).
*/
#include <stdio.h>
#include "fuzz_common.h"
#include "mpread.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    mpread_t r;
    mpread_init (&r, data, size);
    mpread_skip (&r, WIRE_DEPTH_MAX);

    wire_msg_t msg, again;
    const char *why = NULL;
    int rc = wire_msg_decode (data, size, &msg, &why);
    FUZZ_ASSERT (rc == 0 || rc == WIRE_MALFORMED || rc == WIRE_UNSUPPORTED);
    if (rc != 0) {
        FUZZ_ASSERT (why != NULL);
        return 0;
    }
    FUZZ_ASSERT (wire_msg_check (&msg, NULL) == 0);
    uint8_t body [WIRE_BODY_BYTES_MAX], body2 [WIRE_BODY_BYTES_MAX];
    size_t n, n2;
    FUZZ_ASSERT (wire_msg_encode (&msg, body, sizeof (body), &n) == 0);
    FUZZ_ASSERT (n <= size);        //  Shortest form, and unknown fields dropped
    FUZZ_ASSERT (wire_msg_decode (body, n, &again, NULL) == 0);
    FUZZ_ASSERT (wire_msg_equal (&msg, &again));
    FUZZ_ASSERT (wire_msg_encode (&again, body2, sizeof (body2), &n2) == 0);
    FUZZ_ASSERT (n2 == n && memcmp (body, body2, n) == 0);
    return 0;
}
