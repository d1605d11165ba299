/*  fuzz_head: the head-frame parser, the only parser that sees
    unauthenticated bytes. Oracle: whatever parses is canonical, so
    formatting the parsed head gives back exactly the input.
*/
#include <stdio.h>
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wire_head_t head;
    int rc = wire_head_parse (data, size, &head);
    FUZZ_ASSERT (rc == 0 || rc == WIRE_MALFORMED || rc == WIRE_UNSUPPORTED);
    if (rc != 0)
        return 0;
    char buf [WIRE_HEAD_BYTES_MAX];
    int len = wire_head_format (buf, sizeof (buf), head.cluster, head.type, head.from);
    FUZZ_ASSERT (len >= 0 && (size_t) len == size && memcmp (buf, data, size) == 0);
    return 0;
}
