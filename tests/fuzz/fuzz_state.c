/*  fuzz_state: the durable state record decoder. Oracle: nothing but a
    record of exactly the right size with a valid checksum is accepted.
*/
#include <sodium.h>
#include "state.h"
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    uint64_t term, incarnation;
    char vote [STATE_ID_MAX + 1];
    char err [256];
    int rc = state_decode (data, size, "prod", &term, vote, &incarnation, "fuzz", err, sizeof err);
    if (rc == 0) {
        FUZZ_ASSERT (size == STATE_RECORD_BYTES);
        uint8_t sum [16];
        crypto_generichash (sum, 16, data, STATE_RECORD_BYTES - 16, NULL, 0);
        FUZZ_ASSERT (memcmp (sum, data + STATE_RECORD_BYTES - 16, 16) == 0);
        FUZZ_ASSERT (strlen (vote) <= STATE_ID_MAX);
    }
    return 0;
}
