/*  fuzz_kv_snapshot: the kv snapshot reader (node/kv.h). Oracle: the
    format is canonical, so a snapshot that reads re-writes to exactly the
    input bytes; the map it builds lists its keys strictly ascending, with
    versions 1..applied, and its running totals match the listing.
*/
#include "kv.h"
#include "fuzz_common.h"

typedef struct {
    char last [KV_KEY_MAX + 1];     //  Previous key listed
    size_t count;
    size_t bytes;
    uint64_t applied;
} s_walk_t;

static int
s_visit (const char *key, const uint8_t *value, size_t value_size, uint64_t version, void *arg)
{
    (void) value;
    s_walk_t *walk = (s_walk_t *) arg;
    size_t key_size = strlen (key);
    FUZZ_ASSERT (kv_key_valid (key, key_size));
    FUZZ_ASSERT (walk->count == 0 || strcmp (walk->last, key) < 0);
    FUZZ_ASSERT (version >= 1 && version <= walk->applied);
    FUZZ_ASSERT (value_size <= KV_VALUE_MAX);
    memcpy (walk->last, key, key_size + 1);
    walk->count++;
    walk->bytes += key_size + value_size;
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char err [256] = "";
    kv_t *kv = kv_snapshot_read (data, size, err, sizeof err);
    if (!kv) {
        FUZZ_ASSERT (err [0] != '\0');
        return 0;
    }
    FUZZ_ASSERT (kv_snapshot_size (kv) == size);
    uint8_t *again = (uint8_t *) malloc (size);
    FUZZ_ASSERT (again);
    FUZZ_ASSERT (kv_snapshot_write (kv, again, size) == 0);
    FUZZ_ASSERT (memcmp (again, data, size) == 0);
    free (again);
    s_walk_t walk = { .applied = kv_applied_index (kv) };
    kv_list (kv, "", NULL, SIZE_MAX, s_visit, &walk, NULL);
    FUZZ_ASSERT (walk.count == kv_count (kv) && walk.bytes == kv_bytes (kv));
    kv_destroy (&kv);
    return 0;
}
