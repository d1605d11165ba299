/*  Tests for replica.h: the core's log decisions carried out on disk,
    committed entries applied to the kv map, compaction under a snapshot,
    reopening, the reconciliation of log and snapshot at open, and a
    snapshot received in chunks and installed.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "replica.h"
#include "logstore.h"
#include "snapshot.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir [64];
static char dir2 [64];

static void
s_rmdir (const char *d)
{
    char name [160];
    const char *files [] = { "log", "log.tmp", "snapshot", "snapshot.tmp" };
    for (size_t i = 0; i < ARRAY_SIZE (files); i++) {
        snprintf (name, sizeof name, "%s/%s", d, files [i]);
        unlink (name);
    }
    rmdir (d);
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (dir, sizeof dir, "/tmp/meshreplica-XXXXXX");
    snprintf (dir2, sizeof dir2, "/tmp/meshreplica-XXXXXX");
    assert_non_null (mkdtemp (dir));
    assert_non_null (mkdtemp (dir2));
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    s_rmdir (dir);
    s_rmdir (dir2);
    return 0;
}

//  A kv put of key = value, encoded as the node proposes it.
static size_t
s_put (uint8_t *out, const char *key, const char *value)
{
    kv_command_t command = { .op = KV_PUT, .request_id = 1 };
    snprintf (command.key, sizeof command.key, "%s", key);
    command.value_size = strlen (value);
    memcpy (command.value, value, command.value_size);
    int size = kv_command_encode (&command, out, KV_COMMAND_BYTES_MAX);
    assert_true (size > 0);
    return (size_t) size;
}

//  An update appending entries first..first+count-1 of term (puts of
//  key<i> = v<i>, or a no-op at index 1), committing through commit.
static uint8_t payloads [64][KV_COMMAND_BYTES_MAX];

static void
s_update (core_update_t *update, uint64_t first, size_t count, uint64_t term, uint64_t commit)
{
    memset (update, 0, sizeof (*update));
    for (size_t k = 0; k < count; k++) {
        uint64_t index = first + k;
        core_entry_t *e = &update->appends [k];
        e->index = index;
        e->term = term;
        if (index == 1)
            e->type = CORE_ENTRY_NOOP;
        else {
            char key [32], value [32];
            snprintf (key, sizeof key, "key%llu", (unsigned long long) index);
            snprintf (value, sizeof value, "v%llu", (unsigned long long) index);
            e->type = CORE_ENTRY_COMMAND;
            e->size = (uint32_t) s_put (payloads [k], key, value);
            e->data = payloads [k];
        }
    }
    update->append_count = count;
    update->commit_index = commit;
}

static uint64_t applied_count;
static uint64_t applied_last;

static void
s_count (void *arg, const replica_applied_t *applied)
{
    (void) arg;
    applied_count++;
    assert_true (applied->index == applied_last + 1);
    applied_last = applied->index;
}

static void
s_expect_value (const replica_t *r, uint64_t index)
{
    char key [32], value [32];
    snprintf (key, sizeof key, "key%llu", (unsigned long long) index);
    snprintf (value, sizeof value, "v%llu", (unsigned long long) index);
    const uint8_t *got;
    size_t size;
    uint64_t version;
    assert_int_equal (kv_get (replica_kv (r), key, &got, &size, &version), 0);
    assert_int_equal (size, strlen (value));
    assert_memory_equal (got, value, size);
    assert_int_equal (version, index);
}

static void
test_persist_apply_reopen (void **state)
{
    (void) state;
    char err [256];
    replica_report_t report;
    replica_t *r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    assert_true (report.log_created);
    core_log_t log = replica_core_log (r);
    assert_int_equal (log.count, 0);
    core_update_t update;
    s_update (&update, 1, 10, 1, 6);
    assert_int_equal (replica_persist (r, &update, err, sizeof err), 0);
    applied_count = applied_last = 0;
    assert_int_equal (replica_apply (r, 6, s_count, NULL, err, sizeof err), 0);
    assert_int_equal (applied_count, 6);
    assert_int_equal (replica_applied (r), 6);
    s_expect_value (r, 6);
    //  A conflict: entries after 8 go, two of term 2 come
    s_update (&update, 9, 2, 2, 6);
    update.log_truncate = true;
    update.log_truncate_after = 8;
    assert_int_equal (replica_persist (r, &update, err, sizeof err), 0);
    replica_destroy (&r);
    assert_null (r);

    //  Reopen: the log is back, the map starts empty (no snapshot) and is
    //  rebuilt as the commit index is learned again
    r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    assert_false (report.log_created);
    log = replica_core_log (r);
    assert_int_equal (log.snapshot_index, 0);
    assert_int_equal (log.count, 10);
    assert_int_equal (log.terms [7], 1);
    assert_int_equal (log.terms [8], 2);
    assert_int_equal (replica_applied (r), 0);
    applied_count = applied_last = 0;
    assert_int_equal (replica_apply (r, 100, s_count, NULL, err, sizeof err), 0);
    assert_int_equal (applied_count, 10);       //  Bounded by what the log holds
    s_expect_value (r, 10);
    wire_entry_t entries [3];
    assert_int_equal (replica_entries (r, 7, 3, entries), 0);
    assert_int_equal (entries [0].term, 1);
    assert_int_equal (entries [2].term, 2);
    assert_int_equal (replica_entries (r, 9, 3, entries), -1);     //  Past the end
    replica_destroy (&r);
}

//  A committed command this build cannot read (a newer build's, here an
//  unknown field) stops the replica with a message: skipping it would let
//  this member's map differ from the others'.
static void
test_unreadable_command_stops (void **state)
{
    (void) state;
    char err [256];
    replica_report_t report;
    replica_t *r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    core_update_t update;
    s_update (&update, 1, 4, 1, 4);
    //  Entry 3: a put with a field 9 no build knows yet
    static const uint8_t future [] = { 0x85, 0x00, 0x01, 0x01, 0x07, 0x02, 0xa1, 'k',
                                       0x04, 0xc4, 0x01, 'v', 0x09, 0x01 };
    update.appends [2].data = future;
    update.appends [2].size = sizeof future;
    assert_int_equal (replica_persist (r, &update, err, sizeof err), 0);
    applied_count = applied_last = 0;
    err [0] = 0;
    assert_int_equal (replica_apply (r, 4, s_count, NULL, err, sizeof err), -1);
    assert_int_equal (applied_count, 2);
    assert_int_equal (replica_applied (r), 2);
    assert_non_null (strstr (err, "entry 3"));
    assert_non_null (strstr (err, "cannot read"));
    replica_destroy (&r);
}

static void
test_compact_and_reopen (void **state)
{
    (void) state;
    char err [256];
    replica_report_t report;
    replica_t *r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    core_update_t update;
    s_update (&update, 1, 20, 3, 20);
    assert_int_equal (replica_persist (r, &update, err, sizeof err), 0);
    assert_int_equal (replica_apply (r, 15, NULL, NULL, err, sizeof err), 0);
    assert_int_equal (replica_maybe_compact (r, NULL, 16, err, sizeof err), 0);    //  Not due
    assert_int_equal (replica_maybe_compact (r, NULL, 15, err, sizeof err), 1);
    assert_int_equal (replica_snapshot_index (r), 15);
    size_t size;
    uint64_t index, term;
    assert_non_null (replica_snapshot (r, &size, &index, &term));
    assert_int_equal (index, 15);
    assert_int_equal (term, 3);
    wire_entry_t entries [2];
    assert_int_equal (replica_entries (r, 13, 2, entries), -1);   //  Compacted away
    assert_int_equal (replica_entries (r, 15, 2, entries), 0);
    replica_destroy (&r);

    r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    assert_int_equal (report.snapshot_index, 15);
    assert_int_equal (report.first_index, 16);
    core_log_t log = replica_core_log (r);
    assert_int_equal (log.snapshot_index, 15);
    assert_int_equal (log.snapshot_term, 3);
    assert_int_equal (log.count, 5);
    assert_int_equal (replica_applied (r), 15);
    s_expect_value (r, 15);                     //  From the snapshot
    assert_int_equal (replica_apply (r, 20, NULL, NULL, err, sizeof err), 0);
    s_expect_value (r, 20);
    replica_destroy (&r);
}

//  A crash between saving a snapshot and compacting the log: open compacts.
//  A log compacted past every snapshot lost entries: open refuses.
static void
test_reconcile_at_open (void **state)
{
    (void) state;
    char err [256];
    replica_report_t report;
    replica_t *r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    core_update_t update;
    s_update (&update, 1, 12, 1, 12);
    assert_int_equal (replica_persist (r, &update, err, sizeof err), 0);
    assert_int_equal (replica_apply (r, 10, NULL, NULL, err, sizeof err), 0);
    size_t size = kv_snapshot_size (replica_kv (r));
    uint8_t *data = malloc (size);
    assert_int_equal (kv_snapshot_write (replica_kv (r), data, size), 0);
    replica_destroy (&r);
    //  The snapshot is saved, the log not yet compacted ...
    assert_int_equal (snapshot_save (dir, 10, 1, data, size, err, sizeof err), 0);
    r = replica_open (dir, &report, err, sizeof err);
    assert_non_null (r);
    assert_true (report.compacted_at_open);
    assert_int_equal (report.first_index, 11);
    assert_int_equal (replica_core_log (r).count, 2);
    replica_destroy (&r);

    //  ... and a log compacted further than the snapshot in a fresh dir
    logstore_report_t log_report;
    logstore_t *log = logstore_open (dir2, &log_report, err, sizeof err);
    assert_non_null (log);
    logstore_entry_t entries [5];
    for (int k = 0; k < 5; k++)
        entries [k] = (logstore_entry_t) { .index = (uint64_t) k + 1, .term = 1,
                                           .type = CORE_ENTRY_NOOP };
    assert_int_equal (logstore_append (log, entries, 5, err, sizeof err), 0);
    assert_int_equal (logstore_sync (log, err, sizeof err), 0);
    assert_int_equal (logstore_compact (log, 4, 1, err, sizeof err), 0);
    logstore_destroy (&log);
    err [0] = 0;
    assert_null (replica_open (dir2, &report, err, sizeof err));
    assert_non_null (strstr (err, "entries in between are lost"));
    free (data);
}

//  A leader's snapshot in chunks: assembled, validated, installed when the
//  core says so; out-of-order chunks are ignored; bad bytes are refused.
static void
test_snapshot_in_chunks (void **state)
{
    (void) state;
    char err [256];
    replica_report_t report;
    //  The leader's side: a map through index 30, snapshotted
    replica_t *leader = replica_open (dir, &report, err, sizeof err);
    assert_non_null (leader);
    core_update_t update;
    s_update (&update, 1, 30, 2, 30);
    assert_int_equal (replica_persist (leader, &update, err, sizeof err), 0);
    assert_int_equal (replica_apply (leader, 30, NULL, NULL, err, sizeof err), 0);
    assert_int_equal (replica_maybe_compact (leader, NULL, 1, err, sizeof err), 1);
    size_t size;
    uint64_t index, term;
    const uint8_t *data = replica_snapshot (leader, &size, &index, &term);
    assert_non_null (data);
    assert_true (size > 100);

    //  The follower: three entries of a stale term it will lose
    replica_t *follower = replica_open (dir2, &report, err, sizeof err);
    assert_non_null (follower);
    s_update (&update, 1, 3, 1, 0);
    assert_int_equal (replica_persist (follower, &update, err, sizeof err), 0);
    size_t third = size / 3;
    wire_snapshot_t chunk = { .index = index, .term = term, .commit = 30, .offset = 0,
                              .total = size, .data = data, .size = (uint32_t) third };
    assert_int_equal (replica_chunk (follower, &chunk, err, sizeof err), 0);
    assert_int_equal (replica_chunk_offset (follower), third);
    wire_snapshot_t skip = chunk;
    skip.offset = 2 * third;
    skip.data = data + 2 * third;
    skip.size = (uint32_t) (size - 2 * third);
    assert_int_equal (replica_chunk (follower, &skip, err, sizeof err), -1);   //  A gap
    chunk.offset = third;
    chunk.data = data + third;
    assert_int_equal (replica_chunk (follower, &chunk, err, sizeof err), 0);
    assert_int_equal (replica_chunk (follower, &skip, err, sizeof err), 1);    //  Complete
    memset (&update, 0, sizeof update);
    update.install_snapshot = true;
    update.snapshot_index = index;
    update.snapshot_term = term;
    update.commit_index = index;
    assert_int_equal (replica_persist (follower, &update, err, sizeof err), 0);
    assert_int_equal (replica_applied (follower), 30);
    assert_int_equal (replica_snapshot_index (follower), 30);
    s_expect_value (follower, 30);
    s_expect_value (follower, 2);
    replica_destroy (&follower);
    //  Reopened, it is the snapshot with an empty log above it
    follower = replica_open (dir2, &report, err, sizeof err);
    assert_non_null (follower);
    assert_int_equal (report.snapshot_index, 30);
    assert_int_equal (replica_core_log (follower).count, 0);
    s_expect_value (follower, 17);

    //  Bytes that are no kv snapshot are refused when complete
    uint8_t junk [64];
    memset (junk, 0xC1, sizeof junk);
    wire_snapshot_t bad = { .index = 40, .term = 3, .offset = 0, .total = sizeof junk,
                            .data = junk, .size = sizeof junk };
    assert_int_equal (replica_chunk (follower, &bad, err, sizeof err), -1);
    //  And an install with nothing assembled is an error, not a reset
    memset (&update, 0, sizeof update);
    update.install_snapshot = true;
    update.snapshot_index = 40;
    update.snapshot_term = 3;
    assert_int_equal (replica_persist (follower, &update, err, sizeof err), -1);
    s_expect_value (follower, 17);
    replica_destroy (&follower);
    replica_destroy (&leader);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_persist_apply_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_unreadable_command_stops, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_compact_and_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_reconcile_at_open, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_snapshot_in_chunks, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
