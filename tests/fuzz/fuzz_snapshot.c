/*  fuzz_snapshot: the snapshot file decoder (snapshot_decode).
    Each input is decoded as it is and again with its checksum repaired
    (so that the header checks behind it are reached). Oracle: an accepted
    image is exactly header + state + checksum, within the limit, with a
    valid BLAKE2b-128, index and term at least 1, and the state pointing
    inside the image.
*/
#include <sodium.h>
#include "snapshot.h"
#include "fuzz_common.h"

static void
s_decode (const uint8_t *data, size_t size)
{
    uint64_t index = 0, term = 0;
    const uint8_t *state = NULL;
    size_t state_size = 0;
    char err [512] = "";
    int rc = snapshot_decode (data, size, "fuzz", &index, &term, &state, &state_size,
                              err, sizeof err);
    if (rc != 0) {
        FUZZ_ASSERT (strncmp (err, "fuzz: ", 6) == 0);
        return;
    }
    FUZZ_ASSERT (state_size <= SNAPSHOT_BYTES_MAX);
    FUZZ_ASSERT (size == SNAPSHOT_HEADER_BYTES + state_size + SNAPSHOT_SUM_BYTES);
    FUZZ_ASSERT (state == data + SNAPSHOT_HEADER_BYTES);
    FUZZ_ASSERT (index >= 1 && term >= 1);
    FUZZ_ASSERT (memcmp (data, "IMSHSNAP", 8) == 0);
    uint8_t sum [SNAPSHOT_SUM_BYTES];
    crypto_generichash (sum, sizeof sum, data, size - SNAPSHOT_SUM_BYTES, NULL, 0);
    FUZZ_ASSERT (memcmp (sum, data + size - SNAPSHOT_SUM_BYTES, SNAPSHOT_SUM_BYTES) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_decode (data, size);
    if (size >= SNAPSHOT_SUM_BYTES) {
        uint8_t *copy = (uint8_t *) malloc (size);
        memcpy (copy, data, size);
        crypto_generichash (copy + size - SNAPSHOT_SUM_BYTES, SNAPSHOT_SUM_BYTES, copy,
                            size - SNAPSHOT_SUM_BYTES, NULL, 0);
        s_decode (copy, size);
        free (copy);
    }
    return 0;
}
