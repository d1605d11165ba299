/*  fuzz_msg: the body decoder (every type's decoder is reached through it)
    and the bounded reader under it.

    Oracles: no crash, no sanitizer report, no allocation; a body that
    decodes is within its type's cap, passes wire_msg_check, re-encodes,
    and the re-encoding decodes to an equal message and re-encodes to the
    same bytes (canonical form); its payloads (entries, chunk, values)
    point into the input.
*/
#include <stdio.h>
#include "fuzz_common.h"
#include "mpread.h"

//  A decoded byte string lies within the input (no copy was made).
static void
s_within (const uint8_t *p, uint32_t n, const uint8_t *data, size_t size)
{
    FUZZ_ASSERT (n == 0 || (p >= data && p + n <= data + size));
}

static void
s_check_pointers (const wire_msg_t *msg, const uint8_t *data, size_t size)
{
    switch (msg->type) {
        case WIRE_APPEND:
            for (uint32_t k = 0; k < msg->append.entry_count; k++)
                s_within (msg->append.entries [k].payload, msg->append.entries [k].size, data, size);
            break;
        case WIRE_SNAPSHOT:
            s_within (msg->snapshot.data, msg->snapshot.size, data, size);
            break;
        case WIRE_CLIENT_REQ:
            s_within (msg->client_req.value, msg->client_req.value_size, data, size);
            break;
        case WIRE_CLIENT_RESP:
            if (msg->client_resp.has_value)
                s_within (msg->client_resp.value, msg->client_resp.value_size, data, size);
            for (uint32_t i = 0; i < msg->client_resp.item_count; i++)
                s_within (msg->client_resp.items [i].value, msg->client_resp.items [i].value_size,
                          data, size);
            break;
        default:
            break;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    mpread_t r;
    mpread_init (&r, data, size);
    mpread_skip (&r, WIRE_DEPTH_MAX);

    static wire_msg_t msg, again;
    const char *why = NULL;
    int rc = wire_msg_decode (data, size, &msg, &why);
    FUZZ_ASSERT (rc == 0 || rc == WIRE_MALFORMED || rc == WIRE_UNSUPPORTED);
    if (rc != 0) {
        FUZZ_ASSERT (why != NULL);
        return 0;
    }
    FUZZ_ASSERT (size <= wire_body_cap (msg.type));
    FUZZ_ASSERT (wire_msg_check (&msg, NULL) == 0);
    s_check_pointers (&msg, data, size);
    //  Static: 64 KiB each, and a fuzzer's stack is better left small
    static uint8_t body [WIRE_BODY_BYTES_MAX], body2 [WIRE_BODY_BYTES_MAX];
    size_t n, n2;
    FUZZ_ASSERT (wire_msg_encode (&msg, body, sizeof (body), &n) == 0);
    FUZZ_ASSERT (n <= size);        //  Shortest form, and unknown fields dropped
    FUZZ_ASSERT (wire_msg_decode (body, n, &again, NULL) == 0);
    FUZZ_ASSERT (wire_msg_equal (&msg, &again));
    FUZZ_ASSERT (wire_msg_encode (&again, body2, sizeof (body2), &n2) == 0);
    FUZZ_ASSERT (n2 == n && memcmp (body, body2, n) == 0);
    return 0;
}
