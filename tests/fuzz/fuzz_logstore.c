/*  fuzz_logstore: the Raft log file decoder (logstore_decode).
    Each input is decoded as it is, and again with every checksum repaired
    (so that mutations of indexes, terms and sizes reach the checks behind
    the checksums). Oracle: an accepted image has a valid header, entries
    that continue from the base without gaps and with terms that never go
    back, each re-encoding to exactly its bytes, ending at valid_bytes; a
    torn tail holds no complete valid record; and the valid prefix decodes
    again to the same log with nothing torn.
*/
#include <stdio.h>
#include "logstore.h"
#include "fuzz_common.h"

typedef struct {
    const uint8_t *image;
    uint64_t expected;              //  Next index
    uint64_t term;                  //  Term before it
    uint64_t at;                    //  Where the next record must start
    uint64_t count;
} s_walk_t;

static uint32_t
s_get32 (const uint8_t *at)
{
    return (uint32_t) at [0] | (uint32_t) at [1] << 8 | (uint32_t) at [2] << 16
         | (uint32_t) at [3] << 24;
}

static void
s_put32 (uint8_t *at, uint32_t value)
{
    for (int i = 0; i < 4; i++)
        at [i] = (uint8_t) (value >> (8 * i));
}

static int
s_check (const logstore_entry_t *entry, uint64_t offset, void *arg)
{
    s_walk_t *walk = (s_walk_t *) arg;
    FUZZ_ASSERT (offset == walk->at);
    FUZZ_ASSERT (entry->index == walk->expected);
    FUZZ_ASSERT (entry->term >= 1 && entry->term >= walk->term);
    FUZZ_ASSERT (entry->size <= LOGSTORE_PAYLOAD_MAX);
    FUZZ_ASSERT (entry->data == walk->image + offset + LOGSTORE_RECORD_BYTES);
    static uint8_t record [LOGSTORE_RECORD_BYTES + LOGSTORE_PAYLOAD_MAX];
    size_t length = logstore_encode_record (entry, record);
    FUZZ_ASSERT (memcmp (record, walk->image + offset, length) == 0);
    walk->expected++;
    walk->term = entry->term;
    walk->at += length;
    walk->count++;
    return 0;
}

//  Independent of the decoder: a complete record at at, with valid
//  checksums, a size within the limit, and index and term at least 1?
static int
s_valid_record (const uint8_t *data, size_t size, size_t at)
{
    if (size - at < LOGSTORE_RECORD_BYTES)
        return 0;
    uint32_t payload = s_get32 (data + at);
    uint64_t index, term;
    memcpy (&index, data + at + 8, 8);
    memcpy (&term, data + at + 16, 8);
    if (payload > LOGSTORE_PAYLOAD_MAX || size - at - LOGSTORE_RECORD_BYTES < payload
    ||  index == 0 || term == 0 || logstore_crc32c (0, data + at, 28) != s_get32 (data + at + 28))
        return 0;
    uint32_t crc = logstore_crc32c (0, data + at, 24);
    crc = logstore_crc32c (crc, data + at + LOGSTORE_RECORD_BYTES, payload);
    return crc == s_get32 (data + at + 24);
}

static void
s_decode (const uint8_t *data, size_t size)
{
    logstore_report_t report;
    char err [512] = "";
    s_walk_t walk = { .image = data };
    if (size >= LOGSTORE_HEADER_BYTES) {
        memcpy (&walk.expected, data + 16, 8);      //  The tests run little-endian
        memcpy (&walk.term, data + 24, 8);
        walk.expected++;
        walk.at = LOGSTORE_HEADER_BYTES;
    }
    int rc = logstore_decode (data, size, "fuzz", &report, s_check, &walk, err, sizeof err);
    if (rc != 0) {
        FUZZ_ASSERT (strncmp (err, "fuzz: ", 6) == 0);
        return;
    }
    FUZZ_ASSERT (size >= LOGSTORE_HEADER_BYTES);
    FUZZ_ASSERT (logstore_crc32c (0, data, 36) == s_get32 (data + 36));
    FUZZ_ASSERT (report.entries == walk.count);
    FUZZ_ASSERT (report.valid_bytes == walk.at);
    FUZZ_ASSERT (report.last_index == report.base_index + report.entries);
    FUZZ_ASSERT (report.last_term >= report.base_term);
    FUZZ_ASSERT (report.valid_bytes + report.dropped_bytes == size);
    FUZZ_ASSERT (report.torn == (report.dropped_bytes > 0));
    if (report.torn) {
        FUZZ_ASSERT (report.tail_offset == report.valid_bytes && report.tail_reason);
        //  A record that fails its checksum is torn only if no valid one
        //  follows. (An incomplete one runs to the end of the file: what
        //  lies inside it is its payload.)
        if (strstr (report.tail_reason, "checksum"))
            for (size_t at = (size_t) report.valid_bytes + 1; at < size; at++)
                FUZZ_ASSERT (!s_valid_record (data, size, at));
    }
    //  The prefix the node would keep is a clean log of the same entries.
    logstore_report_t again;
    FUZZ_ASSERT (logstore_decode (data, (size_t) report.valid_bytes, "fuzz", &again, NULL, NULL,
                                  err, sizeof err) == 0);
    FUZZ_ASSERT (!again.torn && again.entries == report.entries
                 && again.last_index == report.last_index && again.last_term == report.last_term);
}

//  Repair the header's and every record's checksums, walking the records
//  by their declared sizes while they fit.
static void
s_repair (uint8_t *data, size_t size)
{
    if (size < LOGSTORE_HEADER_BYTES)
        return;
    s_put32 (data + 36, logstore_crc32c (0, data, 36));
    size_t at = LOGSTORE_HEADER_BYTES;
    while (size - at >= LOGSTORE_RECORD_BYTES) {
        uint8_t *record = data + at;
        uint32_t payload = s_get32 (record);
        int fits = payload <= LOGSTORE_PAYLOAD_MAX && size - at - LOGSTORE_RECORD_BYTES >= payload;
        if (fits) {
            uint32_t crc = logstore_crc32c (0, record, 24);
            s_put32 (record + 24, logstore_crc32c (crc, record + LOGSTORE_RECORD_BYTES, payload));
        }
        s_put32 (record + 28, logstore_crc32c (0, record, 28));
        if (!fits)
            break;
        at += LOGSTORE_RECORD_BYTES + payload;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_decode (data, size);
    uint8_t *copy = (uint8_t *) malloc (size + 1);
    memcpy (copy, data, size);
    s_repair (copy, size);
    s_decode (copy, size);
    free (copy);
    return 0;
}
