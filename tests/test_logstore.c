/*  Tests for logstore.h: round trips through reopen, Raft conflicts,
    compaction, a torn tail cut at every byte, and refusal of corruption
    (a damaged record before valid ones, gaps, terms going back, bad
    headers, oversized payload claims).
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "logstore.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir [64];
static char path [128];
static char temp [128];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (dir, sizeof dir, "/tmp/meshlog-XXXXXX");
    assert_non_null (mkdtemp (dir));
    snprintf (path, sizeof path, "%s/" LOGSTORE_FILE, dir);
    snprintf (temp, sizeof temp, "%s/" LOGSTORE_TEMP_FILE, dir);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    unlink (path);
    unlink (temp);
    rmdir (dir);
    return 0;
}

//  A payload that depends on index and size, to check it round-trips.
static uint8_t s_payload [LOGSTORE_PAYLOAD_MAX];

static logstore_entry_t
s_entry (uint64_t index, uint64_t term, uint32_t size)
{
    for (uint32_t i = 0; i < size; i++)
        s_payload [i] = (uint8_t) (index * 31 + i);
    logstore_entry_t entry = {
        .index = index, .term = term, .type = (uint32_t) (index % 3), .size = size,
        .data = size ? s_payload : NULL
    };
    return entry;
}

//  Payload size for index: some empty, some at the limit, most small.
static uint32_t
s_size_for (uint64_t index)
{
    if (index % 7 == 0)
        return 0;
    return index % 11 == 0 ? LOGSTORE_PAYLOAD_MAX : (uint32_t) (index * 13 % 300);
}

static void
s_append (logstore_t *log, uint64_t index, uint64_t term)
{
    char err [512];
    logstore_entry_t entry = s_entry (index, term, s_size_for (index));
    int rc = logstore_append (log, &entry, 1, err, sizeof err);
    if (rc)
        fail_msg ("append %lu: %s", (unsigned long) index, err);
}

static void
s_check_entry (logstore_t *log, uint64_t index, uint64_t term)
{
    const logstore_entry_t *entry = logstore_entry (log, index);
    assert_non_null (entry);
    assert_int_equal (entry->index, index);
    assert_int_equal (entry->term, term);
    assert_int_equal (entry->type, index % 3);
    assert_int_equal (entry->size, s_size_for (index));
    for (uint32_t i = 0; i < entry->size; i++)
        assert_int_equal (entry->data [i], (uint8_t) (index * 31 + i));
}

static logstore_t *
s_open (logstore_report_t *report)
{
    char err [512];
    logstore_t *log = logstore_open (dir, report, err, sizeof err);
    if (!log)
        fail_msg ("open: %s", err);
    return log;
}

static off_t
s_file_size (void)
{
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    return info.st_size;
}

static uint8_t *
s_read_file (size_t *size)
{
    *size = (size_t) s_file_size ();
    uint8_t *image = malloc (*size + 1);
    int fd = open (path, O_RDONLY);
    assert_true (fd >= 0);
    assert_int_equal (read (fd, image, *size), (ssize_t) *size);
    close (fd);
    return image;
}

static void
s_write_file (const uint8_t *image, size_t size)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, image, size), (ssize_t) size);
    close (fd);
}

//  Open must fail, with an error that names the file and contains want.
static void
s_open_fails (const char *want)
{
    char err [512];
    logstore_report_t report;
    logstore_t *log = logstore_open (dir, &report, err, sizeof err);
    if (log) {
        logstore_destroy (&log);
        fail_msg ("open accepted a log that should fail with '%s'", want);
    }
    if (!strstr (err, path) || !strstr (err, want))
        fail_msg ("error '%s' does not name %s and '%s'", err, path, want);
}

static void
test_crc32c_known_answer (void **state)
{
    (void) state;
    //  RFC 3720 B.4 check value, and continuation across a split.
    assert_int_equal (logstore_crc32c (0, "123456789", 9), 0xE3069283);
    assert_int_equal (logstore_crc32c (logstore_crc32c (0, "1234", 4), "56789", 5), 0xE3069283);
    uint8_t zeros [32] = { 0 };
    assert_int_equal (logstore_crc32c (0, zeros, 32), 0x8A9136AA);
}

static void
test_fresh_append_sync_reopen (void **state)
{
    (void) state;
    char err [512];
    logstore_report_t report;
    logstore_t *log = s_open (&report);
    assert_true (report.created);
    assert_false (report.torn);
    assert_int_equal (logstore_first_index (log), 1);
    assert_int_equal (logstore_last_index (log), 0);
    assert_int_equal (logstore_last_term (log), 0);
    assert_int_equal (logstore_bytes (log), LOGSTORE_HEADER_BYTES);
    struct stat info;
    assert_int_equal (stat (path, &info), 0);
    assert_int_equal (info.st_mode & 0777, 0600);
    assert_int_equal (info.st_size, LOGSTORE_HEADER_BYTES);

    //  One batch of 20, then singles: terms 1, 1, .. rising every 8 entries.
    logstore_entry_t batch [20];
    uint8_t payloads [20][LOGSTORE_PAYLOAD_MAX];
    for (uint64_t i = 0; i < 20; i++) {
        batch [i] = s_entry (i + 1, 1 + i / 8, s_size_for (i + 1));
        memcpy (payloads [i], s_payload, batch [i].size);
        batch [i].data = batch [i].size ? payloads [i] : NULL;
    }
    assert_int_equal (logstore_append (log, batch, 20, err, sizeof err), 0);
    for (uint64_t index = 21; index <= 40; index++)
        s_append (log, index, 1 + (index - 1) / 8);
    assert_int_equal (logstore_sync (log, err, sizeof err), 0);
    assert_int_equal (logstore_last_index (log), 40);
    assert_int_equal (logstore_last_term (log), 5);
    uint64_t bytes = logstore_bytes (log);
    assert_int_equal (bytes, (uint64_t) s_file_size ());
    logstore_destroy (&log);
    assert_null (log);

    log = s_open (&report);
    assert_false (report.created);
    assert_false (report.torn);
    assert_int_equal (report.entries, 40);
    assert_int_equal (report.last_index, 40);
    assert_int_equal (logstore_first_index (log), 1);
    assert_int_equal (logstore_last_index (log), 40);
    assert_int_equal (logstore_last_term (log), 5);
    assert_int_equal (logstore_bytes (log), bytes);
    for (uint64_t index = 1; index <= 40; index++)
        s_check_entry (log, index, 1 + (index - 1) / 8);
    logstore_destroy (&log);
}

static void
test_append_rejects_what_does_not_continue (void **state)
{
    (void) state;
    char err [512];
    logstore_t *log = s_open (NULL);
    s_append (log, 1, 2);
    s_append (log, 2, 3);
    uint64_t bytes = logstore_bytes (log);
    logstore_entry_t entry = s_entry (4, 3, 10);          //  Gap
    assert_int_equal (logstore_append (log, &entry, 1, err, sizeof err), -1);
    assert_non_null (strstr (err, "expected 3"));
    entry = s_entry (2, 3, 10);                            //  Repeat
    assert_int_equal (logstore_append (log, &entry, 1, err, sizeof err), -1);
    entry = s_entry (3, 2, 10);                            //  Term going back
    assert_int_equal (logstore_append (log, &entry, 1, err, sizeof err), -1);
    assert_non_null (strstr (err, "term 2"));
    entry = s_entry (3, 0, 10);                            //  Term 0
    assert_int_equal (logstore_append (log, &entry, 1, err, sizeof err), -1);
    entry = s_entry (3, 3, 10);                            //  Too big
    entry.size = LOGSTORE_PAYLOAD_MAX + 1;
    assert_int_equal (logstore_append (log, &entry, 1, err, sizeof err), -1);
    //  A bad entry late in a batch: nothing of the batch is appended.
    logstore_entry_t batch [3] = { s_entry (3, 3, 0), s_entry (4, 3, 0), s_entry (6, 3, 0) };
    assert_int_equal (logstore_append (log, batch, 3, err, sizeof err), -1);
    assert_int_equal (logstore_append (log, batch, 0, err, sizeof err), 0);
    assert_int_equal (logstore_last_index (log), 2);
    assert_int_equal (logstore_bytes (log), bytes);
    assert_int_equal ((uint64_t) s_file_size (), bytes);
    logstore_destroy (&log);
}

//  A leader's entries conflict with ours from index 4: truncate, append
//  the leader's (Raft paper, §5.3), and both survive a reopen.
static void
test_truncate_then_conflicting_terms (void **state)
{
    (void) state;
    char err [512];
    logstore_t *log = s_open (NULL);
    const uint64_t old_terms [] = { 0, 1, 1, 2, 2, 2, 2 };   //  Indexes 1..6
    for (uint64_t index = 1; index <= 6; index++)
        s_append (log, index, old_terms [index]);
    assert_int_equal (logstore_sync (log, err, sizeof err), 0);
    assert_int_equal (logstore_truncate_after (log, 3, err, sizeof err), 0);
    assert_int_equal (logstore_last_index (log), 3);
    assert_int_equal (logstore_last_term (log), 2);
    assert_null (logstore_entry (log, 4));
    assert_false (logstore_term_at (log, 4, NULL));
    assert_int_equal (logstore_bytes (log), (uint64_t) s_file_size ());
    for (uint64_t index = 4; index <= 8; index++)
        s_append (log, index, 3);
    assert_int_equal (logstore_sync (log, err, sizeof err), 0);
    //  Truncating at or past the end is a no-op.
    assert_int_equal (logstore_truncate_after (log, 8, err, sizeof err), 0);
    assert_int_equal (logstore_truncate_after (log, 100, err, sizeof err), 0);
    assert_int_equal (logstore_last_index (log), 8);
    logstore_destroy (&log);

    log = s_open (NULL);
    assert_int_equal (logstore_last_index (log), 8);
    assert_int_equal (logstore_last_term (log), 3);
    for (uint64_t index = 1; index <= 3; index++)
        s_check_entry (log, index, old_terms [index]);
    for (uint64_t index = 4; index <= 8; index++)
        s_check_entry (log, index, 3);
    //  Truncating everything (after the base, 0) empties the log.
    assert_int_equal (logstore_truncate_after (log, 0, err, sizeof err), 0);
    assert_int_equal (logstore_last_index (log), 0);
    assert_int_equal (logstore_last_term (log), 0);
    assert_int_equal (s_file_size (), LOGSTORE_HEADER_BYTES);
    s_append (log, 1, 4);
    logstore_destroy (&log);
    log = s_open (NULL);
    assert_int_equal (logstore_last_index (log), 1);
    s_check_entry (log, 1, 4);
    logstore_destroy (&log);
}

static void
test_compact_reopen_append (void **state)
{
    (void) state;
    char err [512];
    logstore_t *log = s_open (NULL);
    for (uint64_t index = 1; index <= 10; index++)
        s_append (log, index, 1 + index / 4);       //  Terms 1 1 1 2 2 2 2 3 3 3
    assert_int_equal (logstore_compact (log, 6, 2, err, sizeof err), 0);
    assert_int_equal (logstore_first_index (log), 7);
    assert_int_equal (logstore_last_index (log), 10);
    uint64_t term = 0;
    assert_true (logstore_term_at (log, 6, &term));
    assert_int_equal (term, 2);
    assert_false (logstore_term_at (log, 5, &term));
    assert_null (logstore_entry (log, 6));
    s_check_entry (log, 7, 2);
    assert_int_equal (logstore_bytes (log), (uint64_t) s_file_size ());
    assert_int_equal (access (temp, F_OK), -1);
    //  Truncating into the compacted prefix is refused; right after it is fine.
    assert_int_equal (logstore_truncate_after (log, 5, err, sizeof err), -1);
    assert_non_null (strstr (err, "compacted"));
    logstore_destroy (&log);

    logstore_report_t report;
    log = s_open (&report);
    assert_int_equal (report.base_index, 6);
    assert_int_equal (report.base_term, 2);
    assert_int_equal (logstore_first_index (log), 7);
    assert_int_equal (logstore_last_index (log), 10);
    assert_true (logstore_term_at (log, 6, &term));
    assert_int_equal (term, 2);
    for (uint64_t index = 7; index <= 10; index++)
        s_check_entry (log, index, 1 + index / 4);
    s_append (log, 11, 4);
    assert_int_equal (logstore_sync (log, err, sizeof err), 0);
    //  Compacting to the same base is a no-op; to an older one, an error;
    //  to the same index at another term, an error.
    assert_int_equal (logstore_compact (log, 6, 2, err, sizeof err), 0);
    assert_int_equal (logstore_compact (log, 5, 1, err, sizeof err), -1);
    assert_int_equal (logstore_compact (log, 6, 3, err, sizeof err), -1);
    assert_int_equal (logstore_compact (log, 8, 0, err, sizeof err), -1);
    //  Compact the whole log: empty, but the base still answers.
    assert_int_equal (logstore_compact (log, 11, 4, err, sizeof err), 0);
    assert_int_equal (logstore_first_index (log), 12);
    assert_int_equal (logstore_last_index (log), 11);
    assert_int_equal (logstore_last_term (log), 4);
    assert_int_equal (logstore_truncate_after (log, 11, err, sizeof err), 0);
    s_append (log, 12, 4);
    logstore_destroy (&log);
    log = s_open (NULL);
    assert_int_equal (logstore_first_index (log), 12);
    assert_int_equal (logstore_last_index (log), 12);
    s_check_entry (log, 12, 4);
    logstore_destroy (&log);
}

//  A snapshot from a leader that our log does not match, or that reaches
//  past its end, replaces the whole log (Raft paper, §7).
static void
test_compact_to_foreign_snapshot (void **state)
{
    (void) state;
    char err [512];
    logstore_t *log = s_open (NULL);
    for (uint64_t index = 1; index <= 5; index++)
        s_append (log, index, 1);
    //  Index 3 is in our log at term 1, the snapshot says term 2.
    assert_int_equal (logstore_compact (log, 3, 2, err, sizeof err), 0);
    assert_int_equal (logstore_first_index (log), 4);
    assert_int_equal (logstore_last_index (log), 3);
    assert_int_equal (logstore_last_term (log), 2);
    assert_null (logstore_entry (log, 4));
    //  Past the end.
    assert_int_equal (logstore_compact (log, 50, 7, err, sizeof err), 0);
    assert_int_equal (logstore_last_index (log), 50);
    assert_int_equal (logstore_last_term (log), 7);
    s_append (log, 51, 7);
    logstore_destroy (&log);
    log = s_open (NULL);
    assert_int_equal (logstore_first_index (log), 51);
    assert_int_equal (logstore_last_index (log), 51);
    uint64_t term;
    assert_true (logstore_term_at (log, 50, &term));
    assert_int_equal (term, 7);
    logstore_destroy (&log);
}

static void
test_term_at_edges (void **state)
{
    (void) state;
    logstore_t *log = s_open (NULL);
    uint64_t term = 99;
    //  Empty: index 0 has term 0 (the Raft consistency check's start).
    assert_true (logstore_term_at (log, 0, &term));
    assert_int_equal (term, 0);
    assert_false (logstore_term_at (log, 1, &term));
    assert_null (logstore_entry (log, 0));
    assert_null (logstore_entry (log, 1));
    s_append (log, 1, 1);
    s_append (log, 2, 3);
    assert_true (logstore_term_at (log, 1, &term));
    assert_int_equal (term, 1);
    assert_true (logstore_term_at (log, 2, &term));
    assert_int_equal (term, 3);
    assert_false (logstore_term_at (log, 3, &term));
    assert_false (logstore_term_at (log, UINT64_MAX, &term));
    assert_null (logstore_entry (log, 3));
    assert_null (logstore_entry (log, UINT64_MAX));
    char err [512];
    assert_int_equal (logstore_compact (log, 1, 1, err, sizeof err), 0);
    assert_false (logstore_term_at (log, 0, &term));
    assert_true (logstore_term_at (log, 1, &term));
    assert_int_equal (term, 1);
    assert_null (logstore_entry (log, 1));
    assert_non_null (logstore_entry (log, 2));
    logstore_destroy (&log);
}

//  Write entries 1..n (term rising), synced, and return the byte offset
//  where each record starts (ends [n] is the end of the file).
static void
s_write_log (uint64_t n, uint64_t *ends)
{
    char err [512];
    logstore_t *log = s_open (NULL);
    ends [0] = logstore_bytes (log);
    for (uint64_t index = 1; index <= n; index++) {
        s_append (log, index, 1 + index / 3);
        ends [index] = logstore_bytes (log);
    }
    assert_int_equal (logstore_sync (log, err, sizeof err), 0);
    logstore_destroy (&log);
}

//  The crash during append: the file ends anywhere inside record N.
static void
test_torn_tail_at_every_length (void **state)
{
    (void) state;
    char err [512];
    const uint64_t n = 11;          //  Record 11 has the largest payload
    uint64_t ends [16];
    s_write_log (n, ends);
    size_t size;
    uint8_t *image = s_read_file (&size);
    assert_int_equal (size, ends [n]);
    assert_true (ends [n] - ends [n - 1] == LOGSTORE_RECORD_BYTES + LOGSTORE_PAYLOAD_MAX);

    //  Ending exactly after record N-1 is a clean log of N-1 entries.
    s_write_file (image, ends [n - 1]);
    logstore_report_t report;
    logstore_t *log = s_open (&report);
    assert_false (report.torn);
    assert_int_equal (logstore_last_index (log), n - 1);
    logstore_destroy (&log);

    for (uint64_t length = ends [n - 1] + 1; length < ends [n]; length++) {
        s_write_file (image, length);
        log = s_open (&report);
        assert_true (report.torn);
        assert_non_null (report.tail_reason);
        assert_int_equal (report.dropped_bytes, length - ends [n - 1]);
        assert_int_equal (report.tail_offset, ends [n - 1]);
        assert_int_equal (report.last_index, n - 1);
        assert_int_equal (logstore_last_index (log), n - 1);
        assert_int_equal ((uint64_t) s_file_size (), ends [n - 1]);
        assert_int_equal (logstore_bytes (log), ends [n - 1]);
        //  Every few lengths, append after the cut and reopen.
        if (length % 97 == 0 || length == ends [n] - 1) {
            s_append (log, n, 9);
            assert_int_equal (logstore_sync (log, err, sizeof err), 0);
            logstore_destroy (&log);
            log = s_open (&report);
            assert_false (report.torn);
            assert_int_equal (logstore_last_index (log), n);
            s_check_entry (log, n, 9);
            s_check_entry (log, n - 1, 1 + (n - 1) / 3);
        }
        logstore_destroy (&log);
    }
    free (image);
}

//  The crash during append where the file grew but the data never
//  reached it (zeros), or the last record's bytes are damaged: torn.
static void
test_torn_tail_damaged_or_zeros (void **state)
{
    (void) state;
    const uint64_t n = 6;
    uint64_t ends [16];
    s_write_log (n, ends);
    size_t size;
    uint8_t *image = s_read_file (&size);
    logstore_report_t report;
    for (uint64_t at = ends [n - 1]; at < ends [n]; at++) {
        uint8_t *bad = malloc (size);
        memcpy (bad, image, size);
        bad [at] ^= 0x01;
        s_write_file (bad, size);
        free (bad);
        logstore_t *log = s_open (&report);
        assert_true (report.torn);
        assert_int_equal (report.dropped_bytes, ends [n] - ends [n - 1]);
        assert_int_equal (logstore_last_index (log), n - 1);
        logstore_destroy (&log);
    }
    //  Zeros after the last record: 1 byte, a record's worth, several pages.
    const size_t zeros [] = { 1, LOGSTORE_RECORD_BYTES, LOGSTORE_RECORD_BYTES + 100, 3 * 4096 };
    for (size_t i = 0; i < ARRAY_SIZE (zeros); i++) {
        uint8_t *padded = calloc (1, size + zeros [i]);
        memcpy (padded, image, size);
        s_write_file (padded, size + zeros [i]);
        free (padded);
        logstore_t *log = s_open (&report);
        assert_true (report.torn);
        assert_int_equal (report.dropped_bytes, zeros [i]);
        assert_int_equal (logstore_last_index (log), n);
        logstore_destroy (&log);
    }
    free (image);
}

//  A damaged record with valid records after it is corruption, whichever
//  byte is damaged, and the error names its offset.
static void
test_damaged_early_record_is_an_error (void **state)
{
    (void) state;
    const uint64_t n = 5;
    uint64_t ends [16];
    s_write_log (n, ends);
    size_t size;
    uint8_t *image = s_read_file (&size);
    char where [64];
    snprintf (where, sizeof where, "offset %lu:", (unsigned long) ends [1]);
    for (uint64_t at = ends [1]; at < ends [2]; at++) {
        uint8_t *bad = malloc (size);
        memcpy (bad, image, size);
        bad [at] ^= 0x20;
        s_write_file (bad, size);
        free (bad);
        s_open_fails (where);
    }
    //  The error says what, and the file is left as it was (no reset).
    uint8_t *bad = malloc (size);
    memcpy (bad, image, size);
    bad [ends [1] + LOGSTORE_RECORD_BYTES] ^= 0x20;      //  Payload byte of record 2
    s_write_file (bad, size);
    s_open_fails ("checksum mismatch");
    s_open_fails ("not torn");
    assert_int_equal ((size_t) s_file_size (), size);
    free (bad);
    free (image);
}

//  Build a log image from a header and records.
static size_t
s_image (uint8_t *image, uint64_t base_index, uint64_t base_term,
         const logstore_entry_t *entries, size_t count, size_t *offsets)
{
    logstore_encode_header (base_index, base_term, image);
    size_t used = LOGSTORE_HEADER_BYTES;
    for (size_t i = 0; i < count; i++) {
        if (offsets)
            offsets [i] = used;
        used += logstore_encode_record (&entries [i], image + used);
    }
    return used;
}

static void
test_gap_and_term_going_back (void **state)
{
    (void) state;
    static uint8_t image [8 * (LOGSTORE_RECORD_BYTES + 16) + LOGSTORE_HEADER_BYTES];
    size_t offsets [4];
    char where [64];

    //  Index 3 missing.
    logstore_entry_t gap [4] = { s_entry (1, 1, 16), s_entry (2, 1, 16), s_entry (4, 1, 16),
                                 s_entry (5, 1, 16) };
    s_write_file (image, s_image (image, 0, 0, gap, 4, offsets));
    snprintf (where, sizeof where, "offset %zu: record has index 4, expected 3", offsets [2]);
    s_open_fails (where);
    //  ...also as the very last record (a gap is never a torn tail).
    s_write_file (image, s_image (image, 0, 0, gap, 3, offsets));
    s_open_fails (where);
    //  A repeat.
    logstore_entry_t repeat [3] = { s_entry (1, 1, 0), s_entry (2, 1, 0), s_entry (2, 1, 0) };
    s_write_file (image, s_image (image, 0, 0, repeat, 3, offsets));
    s_open_fails ("expected 3");
    //  Term going down.
    logstore_entry_t down [4] = { s_entry (1, 1, 8), s_entry (2, 3, 8), s_entry (3, 2, 8),
                                  s_entry (4, 3, 8) };
    s_write_file (image, s_image (image, 0, 0, down, 4, offsets));
    snprintf (where, sizeof where, "offset %zu: record 3 has term 2, after term 3", offsets [2]);
    s_open_fails (where);
    //  Term 0, and a first entry below the base term.
    logstore_entry_t zero [1] = { s_entry (1, 0, 8) };
    s_write_file (image, s_image (image, 0, 0, zero, 1, offsets));
    s_open_fails ("term 0");
    logstore_entry_t below [1] = { s_entry (11, 2, 8) };
    s_write_file (image, s_image (image, 10, 3, below, 1, offsets));
    s_open_fails ("after term 3");
    //  The first entry after a base must be base + 1.
    logstore_entry_t after [1] = { s_entry (1, 5, 8) };
    s_write_file (image, s_image (image, 10, 3, after, 1, offsets));
    s_open_fails ("expected 11");
}

static void
test_bad_headers (void **state)
{
    (void) state;
    uint8_t image [LOGSTORE_HEADER_BYTES + 64];
    logstore_entry_t one [1] = { s_entry (1, 1, 4) };
    size_t size = s_image (image, 0, 0, one, 1, NULL);

    //  Every truncation of the header: an error, not a fresh log.
    for (size_t length = 0; length < LOGSTORE_HEADER_BYTES; length++) {
        s_write_file (image, length);
        s_open_fails ("shorter than the 40-byte header: truncated");
    }
    //  Every flipped header byte.
    for (size_t at = 0; at < LOGSTORE_HEADER_BYTES; at++) {
        uint8_t bad [sizeof image];
        memcpy (bad, image, size);
        bad [at] ^= 0x04;
        s_write_file (bad, size);
        s_open_fails (at < 8 ? "bad magic" : "offset 0: header checksum");
    }
    //  Another version, with a valid checksum.
    uint8_t bad [sizeof image];
    memcpy (bad, image, size);
    bad [8] = 2;
    uint32_t crc = logstore_crc32c (0, bad, 36);
    for (int i = 0; i < 4; i++)
        bad [36 + i] = (uint8_t) (crc >> (8 * i));
    s_write_file (bad, size);
    s_open_fails ("unsupported log version 2");
    //  A base index without a base term.
    logstore_encode_header (5, 0, bad);
    s_write_file (bad, LOGSTORE_HEADER_BYTES);
    s_open_fails ("malformed header");
    //  An empty file (as a crash inside a create that did not use rename
    //  would leave): an error, never silently a fresh log.
    s_write_file (bad, 0);
    s_open_fails ("truncated");
}

//  A record header (with a valid checksum) claiming a payload over the
//  limit is an error wherever it is, before any payload is read.
static void
test_oversized_payload_claim (void **state)
{
    (void) state;
    uint8_t image [LOGSTORE_HEADER_BYTES + 3 * (LOGSTORE_RECORD_BYTES + 8)];
    logstore_entry_t entries [3] = { s_entry (1, 1, 8), s_entry (2, 1, 8), s_entry (3, 1, 8) };
    size_t offsets [3];
    size_t size = s_image (image, 0, 0, entries, 3, offsets);
    const uint32_t claims [] = { LOGSTORE_PAYLOAD_MAX + 1, 0x7fffffff, 0xffffffff };
    for (size_t record = 0; record < 3; record++)
        for (size_t c = 0; c < ARRAY_SIZE (claims); c++) {
            uint8_t bad [sizeof image];
            memcpy (bad, image, size);
            uint8_t *header = bad + offsets [record];
            for (int i = 0; i < 4; i++)
                header [i] = (uint8_t) (claims [c] >> (8 * i));
            uint32_t crc = logstore_crc32c (0, header, 28);
            for (int i = 0; i < 4; i++)
                header [28 + i] = (uint8_t) (crc >> (8 * i));
            s_write_file (bad, size);
            char where [128];
            snprintf (where, sizeof where, "offset %zu: record claims a %u-byte payload",
                      offsets [record], claims [c]);
            s_open_fails (where);
            //  The pure decoder says the same on the image alone.
            logstore_report_t report;
            char err [512];
            assert_int_equal (logstore_decode (bad, size, "image", &report, NULL, NULL,
                                               err, sizeof err), -1);
            assert_non_null (strstr (err, "more than 4096"));
        }
}

//  An interrupted create or compact leaves log.tmp: open removes it, and
//  without a log it starts a fresh one.
static void
test_leftover_temp_file (void **state)
{
    (void) state;
    int fd = open (temp, O_WRONLY | O_CREAT, 0600);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, "partial", 7), 7);
    close (fd);
    logstore_report_t report;
    logstore_t *log = s_open (&report);
    assert_true (report.created);
    assert_int_equal (access (temp, F_OK), -1);
    s_append (log, 1, 1);
    logstore_destroy (&log);
    fd = open (temp, O_WRONLY | O_CREAT, 0600);
    close (fd);
    log = s_open (&report);
    assert_false (report.created);
    assert_int_equal (logstore_last_index (log), 1);
    assert_int_equal (access (temp, F_OK), -1);
    logstore_destroy (&log);
}

static int
s_count (const logstore_entry_t *entry, uint64_t offset, void *arg)
{
    (void) entry;
    (void) offset;
    (*(int *) arg)++;
    return 0;
}

static int
s_refuse (const logstore_entry_t *entry, uint64_t offset, void *arg)
{
    (void) entry;
    (void) offset;
    (void) arg;
    return -1;
}

//  The decoder on images alone: the callback sees every valid entry, and
//  can stop the decode.
static void
test_decode_image (void **state)
{
    (void) state;
    uint8_t image [LOGSTORE_HEADER_BYTES + 4 * (LOGSTORE_RECORD_BYTES + 40)];
    logstore_entry_t entries [4] = { s_entry (8, 2, 40), s_entry (9, 2, 0), s_entry (10, 4, 39),
                                     s_entry (11, 4, 1) };
    size_t size = s_image (image, 7, 2, entries, 4, NULL);
    logstore_report_t report;
    char err [512];
    int seen = 0;
    assert_int_equal (logstore_decode (image, size, "image", &report, s_count, &seen,
                                       err, sizeof err), 0);
    assert_int_equal (seen, 4);
    assert_int_equal (report.base_index, 7);
    assert_int_equal (report.base_term, 2);
    assert_int_equal (report.last_index, 11);
    assert_int_equal (report.last_term, 4);
    assert_int_equal (report.valid_bytes, size);
    assert_false (report.torn);
    assert_int_equal (logstore_decode (image, size, "image", &report, s_refuse, NULL,
                                       err, sizeof err), -1);
    assert_non_null (strstr (err, "out of memory"));
}

static void
test_open_errors (void **state)
{
    (void) state;
    char err [512];
    //  The log is a directory: unreadable.
    assert_int_equal (mkdir (path, 0700), 0);
    assert_null (logstore_open (dir, NULL, err, sizeof err));
    assert_non_null (strstr (err, path));
    rmdir (path);
    //  The data directory cannot be created.
    char under [160];
    snprintf (under, sizeof under, "%s/no/such", dir);
    assert_null (logstore_open (under, NULL, err, sizeof err));
    assert_non_null (strstr (err, "cannot create"));
    logstore_destroy (NULL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_crc32c_known_answer),
        cmocka_unit_test_setup_teardown (test_fresh_append_sync_reopen, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_append_rejects_what_does_not_continue, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_truncate_then_conflicting_terms, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_compact_reopen_append, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_compact_to_foreign_snapshot, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_term_at_edges, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_torn_tail_at_every_length, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_torn_tail_damaged_or_zeros, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_damaged_early_record_is_an_error, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_gap_and_term_going_back, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_bad_headers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_oversized_payload_claim, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_leftover_temp_file, s_setup, s_teardown),
        cmocka_unit_test (test_decode_image),
        cmocka_unit_test_setup_teardown (test_open_errors, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
