/*  logstore: the durable Raft log. See logstore.h for the file format and
    the crash-safety reasoning.

    In memory the log is an array of slots, one per entry held, each with
    its own copy of the payload and the byte offset of its record (which
    truncate_after cuts at). Slot i holds index base_index + 1 + i.
*/
#define _POSIX_C_SOURCE 200809L
#include "errmsg.h"
#include "logstore.h"
#include "diskio.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MAGIC       "IMSHLOG1"
#define LOG_PATH_MAX    4096
#define LOG_DIR_MAX     (LOG_PATH_MAX - 32)     //  Leaves room for "/log.tmp"
#define LOG_REMEDY      "restore the log rather than delete it (entries this node acknowledged " \
                        "may be part of a committed majority)"

typedef struct {
    logstore_entry_t entry;             //  data is our own copy (NULL when size is 0)
    uint64_t offset;                    //  Byte offset of its record in the file
} s_slot_t;

struct _logstore_t {
    char dir [LOG_DIR_MAX];             //  Data directory
    char path [LOG_PATH_MAX];           //  dir/log
    int fd;                             //  The log file, read-write
    uint64_t base_index;                //  Entries <= base_index are compacted away
    uint64_t base_term;                 //  Term of the entry at base_index
    s_slot_t *slots;                    //  Entries held, in index order
    size_t count;                       //  Slots in use
    size_t capacity;                    //  Slots allocated
    uint64_t end;                       //  File size: where the next record goes
    bool broken;                        //  An I/O failure left the disk state unknown
};

//  --------------------------------------------------------------------------
//  Encoding

//  CRC32C, reflected polynomial 0x82F63B78, four bits at a time.
uint32_t
logstore_crc32c (uint32_t crc, const void *data, size_t size)
{
    static const uint32_t table [16] = {
        0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1, 0x417b1dbc, 0x5125dad3, 0x61c69362,
        0x7198540d, 0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9, 0xc38d26c4, 0xd3d3e1ab,
        0xe330a81a, 0xf36e6f75
    };
    const uint8_t *byte = (const uint8_t *) data;
    crc = ~crc;
    for (size_t i = 0; i < size; i++) {
        crc ^= byte [i];
        crc = (crc >> 4) ^ table [crc & 15];
        crc = (crc >> 4) ^ table [crc & 15];
    }
    return ~crc;
}

void
logstore_encode_header (uint64_t base_index, uint64_t base_term, uint8_t *out)
{
    memset (out, 0, LOGSTORE_HEADER_BYTES);
    memcpy (out, LOG_MAGIC, 8);
    diskio_put32 (out + 8, LOGSTORE_VERSION);
    diskio_put64 (out + 16, base_index);
    diskio_put64 (out + 24, base_term);
    diskio_put32 (out + 36, logstore_crc32c (0, out, 36));
}

size_t
logstore_encode_record (const logstore_entry_t *entry, uint8_t *out)
{
    diskio_put32 (out, entry->size);
    diskio_put32 (out + 4, entry->type);
    diskio_put64 (out + 8, entry->index);
    diskio_put64 (out + 16, entry->term);
    if (entry->size)
        memcpy (out + LOGSTORE_RECORD_BYTES, entry->data, entry->size);
    uint32_t crc = logstore_crc32c (0, out, 24);
    crc = logstore_crc32c (crc, out + LOGSTORE_RECORD_BYTES, entry->size);
    diskio_put32 (out + 24, crc);
    diskio_put32 (out + 28, logstore_crc32c (0, out, 28));
    return LOGSTORE_RECORD_BYTES + entry->size;
}

//  --------------------------------------------------------------------------
//  Decoding

//  Is there a complete record with valid checksums at offset at? Fields
//  no record can have (a size over the limit, index or term 0) are ruled
//  out first, which makes a zero-filled tail cheap to scan; then the
//  header checksum, 28 bytes of CRC, before the payload's.
static bool
s_record_valid (const uint8_t *data, size_t size, size_t at)
{
    if (size - at < LOGSTORE_RECORD_BYTES)
        return false;
    const uint8_t *record = data + at;
    uint32_t payload = diskio_get32 (record);
    if (payload > LOGSTORE_PAYLOAD_MAX || size - at - LOGSTORE_RECORD_BYTES < payload
    ||  diskio_get64 (record + 8) == 0 || diskio_get64 (record + 16) == 0)
        return false;
    if (logstore_crc32c (0, record, 28) != diskio_get32 (record + 28))
        return false;
    uint32_t crc = logstore_crc32c (0, record, 24);
    crc = logstore_crc32c (crc, record + LOGSTORE_RECORD_BYTES, payload);
    return crc == diskio_get32 (record + 24);
}

int
logstore_decode (const uint8_t *data, size_t size, const char *path, logstore_report_t *report,
                 logstore_entry_fn *each, void *arg, char *err, size_t err_size)
{
    memset (report, 0, sizeof *report);
    if (size < LOGSTORE_HEADER_BYTES)
        return errmsg_set (err, err_size, "%s: %zu bytes, shorter than the %d-byte header: "
                           "truncated or not a log file; " LOG_REMEDY,
                           path, size, LOGSTORE_HEADER_BYTES);
    if (memcmp (data, LOG_MAGIC, 8) != 0)
        return errmsg_set (err, err_size, "%s: offset 0: bad magic: not an incidentmesh log file",
                           path);
    if (logstore_crc32c (0, data, 36) != diskio_get32 (data + 36))
        return errmsg_set (err, err_size, "%s: offset 0: header checksum mismatch: the log is "
                           "corrupt; " LOG_REMEDY, path);
    if (diskio_get32 (data + 8) != LOGSTORE_VERSION)
        return errmsg_set (err, err_size, "%s: offset 8: unsupported log version %" PRIu32,
                           path, diskio_get32 (data + 8));
    uint64_t base_index = diskio_get64 (data + 16);
    uint64_t base_term = diskio_get64 (data + 24);
    if (diskio_get32 (data + 12) || diskio_get32 (data + 32) || (base_index == 0) != (base_term == 0))
        return errmsg_set (err, err_size, "%s: offset 0: malformed header (base index %" PRIu64
                           ", base term %" PRIu64 ")", path, base_index, base_term);
    report->base_index = base_index;
    report->base_term = base_term;

    uint64_t last_index = base_index;
    uint64_t last_term = base_term;
    uint64_t entries = 0;
    size_t at = LOGSTORE_HEADER_BYTES;
    const char *bad = NULL;             //  Why the record at 'at' failed, if it did
    const char *torn = NULL;            //  Why the tail is torn, if it is
    while (at < size && !bad && !torn) {
        const uint8_t *record = data + at;
        size_t rest = size - at;
        if (rest < LOGSTORE_RECORD_BYTES) {
            torn = "incomplete record header";
            break;
        }
        if (logstore_crc32c (0, record, 28) != diskio_get32 (record + 28)) {
            bad = "record header checksum mismatch";
            break;
        }
        //  The header is as written: its fields must hold.
        uint32_t payload = diskio_get32 (record);
        uint64_t index = diskio_get64 (record + 8);
        uint64_t term = diskio_get64 (record + 16);
        if (payload > LOGSTORE_PAYLOAD_MAX)
            return errmsg_set (err, err_size, "%s: offset %zu: record claims a %" PRIu32 "-byte "
                               "payload, more than %d: the log is corrupt; " LOG_REMEDY,
                               path, at, payload, LOGSTORE_PAYLOAD_MAX);
        if (index != last_index + 1 || index == 0)
            return errmsg_set (err, err_size, "%s: offset %zu: record has index %" PRIu64
                               ", expected %" PRIu64 " (a gap or a repeat): the log is corrupt; "
                               LOG_REMEDY, path, at, index, last_index + 1);
        if (term == 0 || term < last_term)
            return errmsg_set (err, err_size, "%s: offset %zu: record %" PRIu64 " has term %"
                               PRIu64 ", after term %" PRIu64 " (terms never go back): the log "
                               "is corrupt; " LOG_REMEDY, path, at, index, term, last_term);
        if (rest - LOGSTORE_RECORD_BYTES < payload) {
            torn = "incomplete payload";
            break;
        }
        uint32_t crc = logstore_crc32c (0, record, 24);
        crc = logstore_crc32c (crc, record + LOGSTORE_RECORD_BYTES, payload);
        if (crc != diskio_get32 (record + 24)) {
            bad = "record checksum mismatch";
            break;
        }
        logstore_entry_t entry = {
            .index = index, .term = term, .type = diskio_get32 (record + 4), .size = payload,
            .data = record + LOGSTORE_RECORD_BYTES
        };
        if (each && each (&entry, at, arg) != 0)
            return errmsg_set (err, err_size, "%s: offset %zu: cannot keep entry %" PRIu64
                               " (out of memory)", path, at, index);
        last_index = index;
        last_term = term;
        entries++;
        at += LOGSTORE_RECORD_BYTES + payload;
    }
    if (bad) {
        //  Torn only if nothing valid follows: a crash during an append
        //  leaves a damaged last record, never valid data after one.
        for (size_t next = at + 1; next + LOGSTORE_RECORD_BYTES <= size; next++)
            if (s_record_valid (data, size, next))
                return errmsg_set (err, err_size, "%s: offset %zu: %s (expected index %" PRIu64
                                   "), but a valid record (index %" PRIu64 ") follows at offset "
                                   "%zu: the log is corrupt, not torn; " LOG_REMEDY, path, at,
                                   bad, last_index + 1, diskio_get64 (data + next + 8), next);
        torn = bad;
    }
    report->entries = entries;
    report->last_index = last_index;
    report->last_term = last_term;
    report->valid_bytes = at;
    if (torn) {
        report->torn = true;
        report->tail_reason = torn;
        report->tail_offset = at;
        report->dropped_bytes = size - at;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Files

//  Write image to dir/log.tmp, fsync it and rename it over dir/log. Returns
//  the open file (now dir/log) or -1 with err; the old log is then intact.
//  The caller fsyncs the directory.
static int
s_replace (logstore_t *self, const uint8_t *image, size_t size, char *err, size_t err_size)
{
    diskio_piece_t piece = { image, size };
    return diskio_replace (self->dir, LOGSTORE_TEMP_FILE, LOGSTORE_FILE, &piece, 1, true,
                           err, err_size);
}

static int
s_reserve (logstore_t *self, size_t needed)
{
    if (needed <= self->capacity)
        return 0;
    size_t capacity = self->capacity ? self->capacity : 64;
    while (capacity < needed)
        capacity *= 2;
    s_slot_t *slots = (s_slot_t *) realloc (self->slots, capacity * sizeof (s_slot_t));
    if (!slots)
        return -1;
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

//  Copy entry into slot (not yet counted). Returns 0 or -1 (no memory).
static int
s_fill (s_slot_t *slot, const logstore_entry_t *entry, uint64_t offset)
{
    slot->entry = *entry;
    slot->entry.data = NULL;
    slot->offset = offset;
    if (entry->size) {
        uint8_t *copy = (uint8_t *) malloc (entry->size);
        if (!copy)
            return -1;
        memcpy (copy, entry->data, entry->size);
        slot->entry.data = copy;
    }
    return 0;
}

static void
s_free_slots (logstore_t *self, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        free ((void *) self->slots [i].entry.data);
        self->slots [i].entry.data = NULL;
    }
}

//  logstore_decode's callback for open: keep a copy of each entry.
static int
s_keep (const logstore_entry_t *entry, uint64_t offset, void *arg)
{
    logstore_t *self = (logstore_t *) arg;
    if (s_reserve (self, self->count + 1) || s_fill (&self->slots [self->count], entry, offset))
        return -1;
    self->count++;
    return 0;
}

//  Read the whole file (at most LOGSTORE_BYTES_MAX) into a new buffer.
static uint8_t *
s_read_file (logstore_t *self, size_t *size, char *err, size_t err_size)
{
    struct stat info;
    if (fstat (self->fd, &info) != 0) {
        errmsg_set (err, err_size, "%s: %s", self->path, strerror (errno));
        return NULL;
    }
    if (info.st_size < 0 || (uint64_t) info.st_size > LOGSTORE_BYTES_MAX) {
        errmsg_set (err, err_size, "%s: %jd bytes, more than the %u-byte limit: not a log this "
                    "node wrote; " LOG_REMEDY, self->path, (intmax_t) info.st_size,
                    LOGSTORE_BYTES_MAX);
        return NULL;
    }
    *size = (size_t) info.st_size;
    uint8_t *image = (uint8_t *) malloc (*size + 1);
    if (!image) {
        errmsg_set (err, err_size, "%s: out of memory reading %zu bytes", self->path, *size);
        return NULL;
    }
    size_t done = 0;
    while (done < *size) {
        ssize_t got = pread (self->fd, image + done, *size - done, (off_t) done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            errmsg_set (err, err_size, "%s: read failed at offset %zu: %s", self->path, done,
                        got < 0 ? strerror (errno) : "file shrank while reading");
            free (image);
            return NULL;
        }
        done += (size_t) got;
    }
    return image;
}

//  Write a fresh log (header only) atomically.
static int
s_create (logstore_t *self, char *err, size_t err_size)
{
    uint8_t header [LOGSTORE_HEADER_BYTES];
    logstore_encode_header (0, 0, header);
    int fd = s_replace (self, header, sizeof header, err, err_size);
    if (fd < 0)
        return -1;
    close (fd);
    return diskio_sync_dir (self->dir, err, err_size);
}

logstore_t *
logstore_open (const char *dir, logstore_report_t *report, char *err, size_t err_size)
{
    logstore_report_t scratch;
    if (!report)
        report = &scratch;
    memset (report, 0, sizeof *report);
    if (strlen (dir) >= LOG_DIR_MAX) {
        errmsg_set (err, err_size, "%s: path too long", dir);
        return NULL;
    }
    if (mkdir (dir, 0700) != 0 && errno != EEXIST) {
        errmsg_set (err, err_size, "%s: cannot create data directory: %s", dir, strerror (errno));
        return NULL;
    }
    logstore_t *self = (logstore_t *) calloc (1, sizeof (logstore_t));
    if (!self) {
        errmsg_set (err, err_size, "%s: out of memory", dir);
        return NULL;
    }
    self->fd = -1;
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    snprintf (self->path, sizeof self->path, "%s/" LOGSTORE_FILE, dir);

    //  A log.tmp is what an interrupted create or compact left: the log
    //  itself is then still the old one, complete.
    char temp [LOG_PATH_MAX];
    snprintf (temp, sizeof temp, "%s/" LOGSTORE_TEMP_FILE, dir);
    if (unlink (temp) != 0 && errno != ENOENT) {
        errmsg_set (err, err_size, "%s: cannot remove: %s", temp, strerror (errno));
        logstore_destroy (&self);
        return NULL;
    }
    bool created = false;
    self->fd = open (self->path, O_RDWR | O_CLOEXEC);
    if (self->fd < 0 && errno == ENOENT) {
        if (s_create (self, err, err_size) != 0) {
            logstore_destroy (&self);
            return NULL;
        }
        created = true;
        self->fd = open (self->path, O_RDWR | O_CLOEXEC);
    }
    if (self->fd < 0) {
        errmsg_set (err, err_size, "%s: %s", self->path, strerror (errno));
        logstore_destroy (&self);
        return NULL;
    }
    size_t size = 0;
    uint8_t *image = s_read_file (self, &size, err, err_size);
    int rc = image ? logstore_decode (image, size, self->path, report, s_keep, self, err, err_size)
                   : -1;
    free (image);
    if (rc != 0) {
        logstore_destroy (&self);
        return NULL;
    }
    report->created = created;
    self->base_index = report->base_index;
    self->base_term = report->base_term;
    self->end = report->valid_bytes;
    if (report->torn && ftruncate (self->fd, (off_t) self->end) != 0) {
        errmsg_set (err, err_size, "%s: cannot cut the torn tail at offset %" PRIu64 ": %s",
                    self->path, self->end, strerror (errno));
        logstore_destroy (&self);
        return NULL;
    }
    //  Make what we read durable before the node acts on it: a process that
    //  crashed (the machine did not) may have left unsynced appends.
    if (fsync (self->fd) != 0) {
        errmsg_set (err, err_size, "%s: fsync failed: %s", self->path, strerror (errno));
        logstore_destroy (&self);
        return NULL;
    }
    if (diskio_sync_dir (self->dir, err, err_size) != 0) {
        logstore_destroy (&self);
        return NULL;
    }
    return self;
}

void
logstore_destroy (logstore_t **self_p)
{
    if (self_p && *self_p) {
        logstore_t *self = *self_p;
        if (self->slots)
            s_free_slots (self, 0, self->count);
        free (self->slots);
        if (self->fd >= 0)
            close (self->fd);
        free (self);
        *self_p = NULL;
    }
}

static int
s_refuse_if_broken (const logstore_t *self, char *err, size_t err_size)
{
    if (self->broken)
        return errmsg_set (err, err_size, "%s: an earlier write or fsync failed, so what is on "
                           "disk is unknown: restart the node", self->path);
    return 0;
}

int
logstore_append (logstore_t *self, const logstore_entry_t *entries, size_t count,
                 char *err, size_t err_size)
{
    if (s_refuse_if_broken (self, err, err_size))
        return -1;
    if (count == 0)
        return 0;
    uint64_t expected = logstore_last_index (self) + 1;
    uint64_t term = logstore_last_term (self);
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++, expected++) {
        const logstore_entry_t *entry = &entries [i];
        if (entry->index != expected || expected == 0)
            return errmsg_set (err, err_size, "%s: append: entry %zu has index %" PRIu64
                               ", expected %" PRIu64, self->path, i, entry->index, expected);
        if (entry->term == 0 || entry->term < term)
            return errmsg_set (err, err_size, "%s: append: entry %" PRIu64 " has term %" PRIu64
                               ", after term %" PRIu64, self->path, entry->index, entry->term,
                               term);
        if (entry->size > LOGSTORE_PAYLOAD_MAX || (entry->size && !entry->data))
            return errmsg_set (err, err_size, "%s: append: entry %" PRIu64 " has a %" PRIu32
                               "-byte payload, limit %d", self->path, entry->index, entry->size,
                               LOGSTORE_PAYLOAD_MAX);
        term = entry->term;
        total += LOGSTORE_RECORD_BYTES + entry->size;
        if (self->end + total > LOGSTORE_BYTES_MAX)
            return errmsg_set (err, err_size, "%s: append: the log would pass %u bytes: compact "
                               "it (snapshot) first", self->path, LOGSTORE_BYTES_MAX);
    }
    //  Everything that can fail without I/O happens before the write, so
    //  that memory and disk change together.
    if (count > SIZE_MAX / sizeof (s_slot_t) - self->count || s_reserve (self, self->count + count))
        return errmsg_set (err, err_size, "%s: append: out of memory", self->path);
    uint8_t *buffer = (uint8_t *) malloc ((size_t) total);
    if (!buffer)
        return errmsg_set (err, err_size, "%s: append: out of memory", self->path);
    size_t used = 0;
    size_t filled = 0;
    for (; filled < count; filled++) {
        s_slot_t *slot = &self->slots [self->count + filled];
        if (s_fill (slot, &entries [filled], self->end + used) != 0)
            break;
        used += logstore_encode_record (&entries [filled], buffer + used);
    }
    if (filled < count) {
        s_free_slots (self, self->count, self->count + filled);
        free (buffer);
        return errmsg_set (err, err_size, "%s: append: out of memory", self->path);
    }
    int rc = diskio_write_all (self->fd, buffer, used, self->end);
    int saved = errno;
    free (buffer);
    if (rc != 0) {
        s_free_slots (self, self->count, self->count + count);
        //  Cut what part of it did reach the file; if even that fails, the
        //  file no longer matches memory.
        if (ftruncate (self->fd, (off_t) self->end) != 0)
            self->broken = true;
        return errmsg_set (err, err_size, "%s: append: write failed at offset %" PRIu64 ": %s",
                           self->path, self->end, strerror (saved));
    }
    self->count += count;
    self->end += used;
    return 0;
}

int
logstore_truncate_after (logstore_t *self, uint64_t index, char *err, size_t err_size)
{
    if (s_refuse_if_broken (self, err, err_size))
        return -1;
    if (index < self->base_index)
        return errmsg_set (err, err_size, "%s: cannot truncate after %" PRIu64 ": entries "
                           "through %" PRIu64 " are compacted", self->path, index,
                           self->base_index);
    if (index >= logstore_last_index (self))
        return 0;
    size_t keep = (size_t) (index - self->base_index);
    uint64_t offset = self->slots [keep].offset;
    if (ftruncate (self->fd, (off_t) offset) != 0)
        return errmsg_set (err, err_size, "%s: truncate at offset %" PRIu64 " failed: %s",
                           self->path, offset, strerror (errno));
    //  The file is cut (in the page cache at least): memory follows it.
    s_free_slots (self, keep, self->count);
    self->count = keep;
    self->end = offset;
    //  Durable now, before any new record is written over the range.
    if (fsync (self->fd) != 0) {
        self->broken = true;
        return errmsg_set (err, err_size, "%s: fsync after truncate failed: %s", self->path,
                           strerror (errno));
    }
    return 0;
}

int
logstore_sync (logstore_t *self, char *err, size_t err_size)
{
    if (s_refuse_if_broken (self, err, err_size))
        return -1;
    if (fdatasync (self->fd) != 0) {
        self->broken = true;
        return errmsg_set (err, err_size, "%s: fdatasync failed: %s", self->path, strerror (errno));
    }
    return 0;
}

int
logstore_compact (logstore_t *self, uint64_t through_index, uint64_t through_term,
                  char *err, size_t err_size)
{
    if (s_refuse_if_broken (self, err, err_size))
        return -1;
    if (through_index < self->base_index)
        return errmsg_set (err, err_size, "%s: cannot compact through %" PRIu64 ": already "
                           "compacted through %" PRIu64, self->path, through_index,
                           self->base_index);
    if (through_index == self->base_index) {
        if (through_term == self->base_term)
            return 0;
        return errmsg_set (err, err_size, "%s: cannot compact through %" PRIu64 " at term %"
                           PRIu64 ": the base there has term %" PRIu64, self->path,
                           through_index, through_term, self->base_term);
    }
    if (through_term == 0)
        return errmsg_set (err, err_size, "%s: cannot compact through %" PRIu64 " at term 0",
                           self->path, through_index);
    //  Keep the suffix only if the log agrees with the snapshot's last entry.
    uint64_t term;
    size_t drop = self->count;
    if (logstore_term_at (self, through_index, &term) && term == through_term)
        drop = (size_t) (through_index - self->base_index);

    size_t size = LOGSTORE_HEADER_BYTES;
    for (size_t i = drop; i < self->count; i++)
        size += LOGSTORE_RECORD_BYTES + self->slots [i].entry.size;
    uint8_t *image = (uint8_t *) malloc (size);
    if (!image)
        return errmsg_set (err, err_size, "%s: compact: out of memory", self->path);
    logstore_encode_header (through_index, through_term, image);
    size_t used = LOGSTORE_HEADER_BYTES;
    for (size_t i = drop; i < self->count; i++)
        used += logstore_encode_record (&self->slots [i].entry, image + used);
    int fd = s_replace (self, image, used, err, err_size);
    free (image);
    if (fd < 0)
        return -1;

    //  The rename happened: the new file is the log, whatever follows.
    close (self->fd);
    self->fd = fd;
    s_free_slots (self, 0, drop);
    memmove (self->slots, self->slots + drop, (self->count - drop) * sizeof (s_slot_t));
    self->count -= drop;
    self->base_index = through_index;
    self->base_term = through_term;
    uint64_t offset = LOGSTORE_HEADER_BYTES;
    for (size_t i = 0; i < self->count; i++) {
        self->slots [i].offset = offset;
        offset += LOGSTORE_RECORD_BYTES + self->slots [i].entry.size;
    }
    self->end = offset;
    if (diskio_sync_dir (self->dir, err, err_size) != 0) {
        self->broken = true;
        return -1;
    }
    return 0;
}

uint64_t
logstore_first_index (const logstore_t *self)
{
    return self->base_index + 1;
}

uint64_t
logstore_last_index (const logstore_t *self)
{
    return self->base_index + self->count;
}

uint64_t
logstore_last_term (const logstore_t *self)
{
    return self->count ? self->slots [self->count - 1].entry.term : self->base_term;
}

bool
logstore_term_at (const logstore_t *self, uint64_t index, uint64_t *term)
{
    uint64_t found;
    if (index == self->base_index)
        found = self->base_term;
    else
    if (index > self->base_index && index - self->base_index <= self->count)
        found = self->slots [index - self->base_index - 1].entry.term;
    else
        return false;
    if (term)
        *term = found;
    return true;
}

const logstore_entry_t *
logstore_entry (const logstore_t *self, uint64_t index)
{
    if (index <= self->base_index || index - self->base_index > self->count)
        return NULL;
    return &self->slots [index - self->base_index - 1].entry;
}

uint64_t
logstore_bytes (const logstore_t *self)
{
    return self->end;
}
