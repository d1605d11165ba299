/*  fuzz_kv_command: the kv command decoder (node/kv.h), and applying what
    it accepts. Oracle: an accepted command passes kv_command_check,
    re-encodes (in its shortest form, so no longer than the input) to bytes
    that decode to the same command, and applies to a small map with the
    result the rules promise: the result's version is the key's version
    afterwards; applied again, it is a retry (the first result, nothing
    written) exactly when it names a client and a request id; and the
    map's snapshot reads back to the same bytes.
*/
#include "kv.h"
#include "fuzz_common.h"

static bool
s_same (const kv_command_t *a, const kv_command_t *b)
{
    return a->op == b->op && a->request_id == b->request_id && strcmp (a->key, b->key) == 0
        && a->expected_version == b->expected_version && a->value_size == b->value_size
        && memcmp (a->value, b->value, a->value_size) == 0 && strcmp (a->client, b->client) == 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    kv_command_t cmd;
    const char *why = NULL;
    if (kv_command_decode (data, size, &cmd, &why) != 0) {
        FUZZ_ASSERT (why != NULL);
        return 0;
    }
    FUZZ_ASSERT (why == NULL);
    FUZZ_ASSERT (kv_command_check (&cmd, NULL) == 0);
    uint8_t bytes [KV_COMMAND_BYTES_MAX];
    int encoded = kv_command_encode (&cmd, bytes, sizeof bytes);
    FUZZ_ASSERT (encoded > 0 && (size_t) encoded <= size);
    kv_command_t again;
    FUZZ_ASSERT (kv_command_decode (bytes, (size_t) encoded, &again, NULL) == 0);
    FUZZ_ASSERT (s_same (&cmd, &again));

    //  A full map of three keys ("a" at version 1, "beds" 2, "capacity/x" 3).
    kv_t *kv = kv_new_limited (3);
    FUZZ_ASSERT (kv);
    const char *keys [] = { "a", "beds", "capacity/x" };
    for (int i = 0; i < 3; i++) {
        kv_command_t put = { .op = KV_PUT, .value_size = 1 };
        strcpy (put.key, keys [i]);
        kv_result_t result;
        FUZZ_ASSERT (kv_apply (kv, (uint64_t) i + 1, 1, &put, &result) == 0 && result.status == KV_OK);
    }
    uint64_t before = 0;
    bool existed = kv_get (kv, cmd.key, NULL, NULL, &before) == 0;
    kv_result_t result;
    FUZZ_ASSERT (kv_apply (kv, 10, 1, &cmd, &result) == 0);
    FUZZ_ASSERT (kv_applied_index (kv) == 10);
    uint64_t after = 0;
    kv_get (kv, cmd.key, NULL, NULL, &after);
    FUZZ_ASSERT (result.version == after);
    switch (result.status) {
        case KV_OK:
            FUZZ_ASSERT (after == (cmd.op == KV_PUT || cmd.op == KV_CAS ? 10 : 0));
            break;
        case KV_CAS_FAILED:
            FUZZ_ASSERT ((cmd.op == KV_CAS || cmd.op == KV_DEL_IF)
                         && before != cmd.expected_version && after == before);
            break;
        case KV_NOT_FOUND:
            FUZZ_ASSERT ((cmd.op == KV_DEL || cmd.op == KV_DEL_IF) && !existed);
            break;
        case KV_FULL:
            FUZZ_ASSERT (!existed && kv_count (kv) == 3);
            break;
        default:
            FUZZ_ASSERT (!"unknown status");
    }
    FUZZ_ASSERT (kv_count (kv) <= 3);
    //  The same command again: a retry if it names a client and an id (the
    //  first result, the key untouched), else carried out again.
    kv_result_t again_result;
    FUZZ_ASSERT (kv_apply (kv, 11, 2, &cmd, &again_result) == 0);
    uint64_t later = 0;
    kv_get (kv, cmd.key, NULL, NULL, &later);
    if (cmd.client [0] && cmd.request_id) {
        FUZZ_ASSERT (again_result.retry && again_result.index == 10 && again_result.term == 1
                     && again_result.status == result.status
                     && again_result.version == result.version && later == after);
        FUZZ_ASSERT (kv_sessions (kv) == 1);
    }
    else
        FUZZ_ASSERT (!again_result.retry && again_result.index == 11 && kv_sessions (kv) == 0);
    uint8_t snapshot [2048];
    size_t snapshot_size = kv_snapshot_size (kv);
    FUZZ_ASSERT (kv_snapshot_write (kv, snapshot, sizeof snapshot) == 0);
    char err [256];
    kv_t *copy = kv_snapshot_read (snapshot, snapshot_size, err, sizeof err);
    FUZZ_ASSERT (copy);
    uint8_t snapshot_again [2048];
    FUZZ_ASSERT (kv_snapshot_size (copy) == snapshot_size);
    FUZZ_ASSERT (kv_snapshot_write (copy, snapshot_again, sizeof snapshot_again) == 0);
    FUZZ_ASSERT (memcmp (snapshot, snapshot_again, snapshot_size) == 0);
    kv_destroy (&copy);
    kv_destroy (&kv);
    return 0;
}
