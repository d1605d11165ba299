/*  fuzz_state: the durable state record and replay marks decoders.
    Oracle: nothing but input of exactly the right size with a valid
    checksum is accepted.
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
    state_mark_t marks [STATE_MARKS_MAX];
    int count = state_marks_decode (data, size, marks, STATE_MARKS_MAX, "fuzz", err, sizeof err);
    if (count >= 0) {
        FUZZ_ASSERT (count <= STATE_MARKS_MAX && size >= 32);
        uint8_t sum [16];
        crypto_generichash (sum, 16, data, size - 16, NULL, 0);
        FUZZ_ASSERT (memcmp (sum, data + size - 16, 16) == 0);
        for (int i = 0; i < count; i++)
            FUZZ_ASSERT (strlen (marks [i].id) <= STATE_ID_MAX);
    }
    return 0;
}
