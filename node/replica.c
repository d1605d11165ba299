/*  replica: the replicated state around the core. See replica.h. */
#define _POSIX_C_SOURCE 200809L
#include "replica.h"
#include "errmsg.h"
#include "logstore.h"
#include "snapshot.h"
#include <stdlib.h>
#include <string.h>

struct _replica_t {
    char *dir;
    logstore_t *log;
    kv_t *kv;                       //  Applied state
    uint64_t applied;               //  = kv_applied_index (kv), kept here for speed
    uint64_t snap_index;            //  The snapshot file's
    uint64_t snap_term;
    uint8_t *snap_data;             //  Its state bytes (to send to followers)
    size_t snap_size;
    uint64_t *terms;                //  For core_new_with_log
    size_t term_count;
    bool unsynced;                  //  Written since the last sync

    //  A snapshot arriving in chunks
    uint64_t in_index;
    uint64_t in_term;
    uint64_t in_total;
    uint64_t in_received;
    uint8_t *in_data;
    kv_t *in_kv;                    //  Parsed once complete
};

static void
s_drop_incoming (replica_t *self)
{
    free (self->in_data);
    self->in_data = NULL;
    kv_destroy (&self->in_kv);
    self->in_index = self->in_term = self->in_total = self->in_received = 0;
}

//  The terms of the log's entries, for the core.
static int
s_collect_terms (replica_t *self, char *err, size_t err_size)
{
    uint64_t first = logstore_first_index (self->log);
    uint64_t last = logstore_last_index (self->log);
    size_t count = last >= first ? (size_t) (last - first + 1) : 0;
    if (count > CORE_LOG_WINDOW)
        return errmsg_set (err, err_size, "%s/log: %zu entries after the snapshot, more than the "
                           "core keeps (%d): compact it", self->dir, count, CORE_LOG_WINDOW);
    free (self->terms);
    self->terms = count ? (uint64_t *) malloc (count * sizeof (uint64_t)) : NULL;
    if (count && !self->terms)
        return errmsg_set (err, err_size, "out of memory");
    for (size_t k = 0; k < count; k++)
        logstore_term_at (self->log, first + k, &self->terms [k]);
    self->term_count = count;
    return 0;
}

replica_t *
replica_open (const char *dir, replica_report_t *report, char *err, size_t err_size)
{
    memset (report, 0, sizeof (*report));
    replica_t *self = (replica_t *) calloc (1, sizeof (replica_t));
    if (!self || !(self->dir = strdup (dir))) {
        free (self);
        errmsg_set (err, err_size, "out of memory");
        return NULL;
    }
    //  The snapshot first: it is the base everything else builds on.
    if (snapshot_load (dir, &self->snap_index, &self->snap_term, &self->snap_data, &self->snap_size,
                       err, err_size))
        goto failed;
    if (self->snap_index) {
        char why [256];
        self->kv = kv_snapshot_read (self->snap_data, self->snap_size, why, sizeof why);
        if (!self->kv) {
            errmsg_set (err, err_size, "%s/%s: its state is not a kv snapshot: %s", dir,
                        SNAPSHOT_FILE, why);
            goto failed;
        }
        if (kv_applied_index (self->kv) != self->snap_index) {
            errmsg_set (err, err_size, "%s/%s: covers index %llu but its state was applied "
                        "through %llu", dir, SNAPSHOT_FILE, (unsigned long long) self->snap_index,
                        (unsigned long long) kv_applied_index (self->kv));
            goto failed;
        }
    }
    else
        self->kv = kv_new ();
    if (!self->kv) {
        errmsg_set (err, err_size, "out of memory");
        goto failed;
    }
    self->applied = self->snap_index;

    logstore_report_t log_report;
    self->log = logstore_open (dir, &log_report, err, err_size);
    if (!self->log)
        goto failed;
    report->log_created = log_report.created;
    report->log_torn = log_report.torn;
    report->torn_bytes = log_report.dropped_bytes;
    uint64_t base = logstore_first_index (self->log) - 1;
    if (base > self->snap_index) {
        errmsg_set (err, err_size, "%s/log begins after index %llu but the snapshot covers only "
                    "through %llu: entries in between are lost; restore the snapshot file",
                    dir, (unsigned long long) base, (unsigned long long) self->snap_index);
        goto failed;
    }
    uint64_t term;
    if (base == self->snap_index && self->snap_index
    &&  (!logstore_term_at (self->log, base, &term) || term != self->snap_term)) {
        errmsg_set (err, err_size, "%s/log's base term does not match the snapshot's (%llu)",
                    dir, (unsigned long long) self->snap_term);
        goto failed;
    }
    if (base < self->snap_index) {
        //  A crash between saving the snapshot and compacting the log.
        if (logstore_compact (self->log, self->snap_index, self->snap_term, err, err_size))
            goto failed;
        report->compacted_at_open = true;
    }
    if (s_collect_terms (self, err, err_size))
        goto failed;
    report->snapshot_index = self->snap_index;
    report->snapshot_term = self->snap_term;
    report->first_index = logstore_first_index (self->log);
    report->last_index = logstore_last_index (self->log);
    return self;

failed:
    replica_destroy (&self);
    return NULL;
}

void
replica_destroy (replica_t **self_p)
{
    if (self_p && *self_p) {
        replica_t *self = *self_p;
        logstore_destroy (&self->log);
        kv_destroy (&self->kv);
        s_drop_incoming (self);
        free (self->snap_data);
        free (self->terms);
        free (self->dir);
        free (self);
        *self_p = NULL;
    }
}

core_log_t
replica_core_log (replica_t *self)
{
    return (core_log_t) {
        .snapshot_index = self->snap_index, .snapshot_term = self->snap_term,
        .terms = self->terms, .count = self->term_count
    };
}

//  The snapshot the core told us to install: the one assembled from chunks.
static int
s_install (replica_t *self, uint64_t index, uint64_t term, char *err, size_t err_size)
{
    if (!self->in_kv || self->in_index != index || self->in_term != term)
        return errmsg_set (err, err_size, "the core installs snapshot %llu/%llu but none was "
                           "received", (unsigned long long) index, (unsigned long long) term);
    //  The snapshot first, then the log under it (replica.h)
    if (snapshot_save (self->dir, index, term, self->in_data, (size_t) self->in_total, err, err_size)
    ||  logstore_compact (self->log, index, term, err, err_size))
        return -1;
    kv_destroy (&self->kv);
    self->kv = self->in_kv;
    self->in_kv = NULL;
    free (self->snap_data);
    self->snap_data = self->in_data;
    self->snap_size = (size_t) self->in_total;
    self->in_data = NULL;
    self->snap_index = index;
    self->snap_term = term;
    self->applied = index;
    s_drop_incoming (self);
    return 0;
}

int
replica_persist (replica_t *self, const core_update_t *update, char *err, size_t err_size)
{
    if (replica_write (self, update, err, err_size))
        return -1;
    return replica_sync (self, err, err_size);
}

int
replica_sync (replica_t *self, char *err, size_t err_size)
{
    if (!self->unsynced)
        return 0;
    self->unsynced = false;
    return logstore_sync (self->log, err, err_size);
}

int
replica_write (replica_t *self, const core_update_t *update, char *err, size_t err_size)
{
    bool changed = false;
    if (update->install_snapshot) {
        if (s_install (self, update->snapshot_index, update->snapshot_term, err, err_size))
            return -1;
        changed = true;
    }
    if (update->log_truncate && update->log_truncate_after < logstore_last_index (self->log)) {
        if (logstore_truncate_after (self->log, update->log_truncate_after, err, err_size))
            return -1;
        changed = true;
    }
    if (update->append_count) {
        logstore_entry_t entries [CORE_APPEND_MAX + 2];
        for (size_t a = 0; a < update->append_count; a++) {
            const core_entry_t *e = &update->appends [a];
            entries [a] = (logstore_entry_t) {
                .index = e->index, .term = e->term, .type = (uint32_t) e->type,
                .size = e->size, .data = e->data
            };
        }
        if (logstore_append (self->log, entries, update->append_count, err, err_size))
            return -1;
        changed = true;
    }
    if (changed)
        self->unsynced = true;
    return 0;
}

int
replica_apply (replica_t *self, uint64_t commit, replica_applied_fn *applied, void *arg,
               char *err, size_t err_size)
{
    uint64_t last = logstore_last_index (self->log);
    uint64_t upto = commit < last ? commit : last;
    while (self->applied < upto) {
        uint64_t index = self->applied + 1;
        const logstore_entry_t *entry = logstore_entry (self->log, index);
        if (!entry)
            return errmsg_set (err, err_size, "%s/log: no entry %llu to apply", self->dir,
                               (unsigned long long) index);
        replica_applied_t done = { .index = index, .term = entry->term };
        int rc;
        const char *why;
        if (entry->type == CORE_ENTRY_COMMAND) {
            //  A command we cannot read was written by a build that knows
            //  more (a leader encodes every command it appends): skipping
            //  it would leave our map different from the others', so stop
            //  and say so rather than serve a wrong map.
            if (kv_command_decode (entry->data, entry->size, &done.command, &why) != 0)
                return errmsg_set (err, err_size, "committed entry %llu is a command this build "
                                   "cannot read (%s): written by a newer build? upgrade this "
                                   "member (docs/OPERATIONS.md, upgrades)",
                                   (unsigned long long) index, why);
            done.is_command = true;
            rc = kv_apply (self->kv, index, entry->term, &done.command, &done.result);
        }
        else
            rc = kv_advance (self->kv, index);      //  A no-op
        if (rc)
            return errmsg_set (err, err_size, "cannot apply entry %llu (out of memory?)",
                               (unsigned long long) index);
        self->applied = index;
        if (applied)
            applied (arg, &done);
    }
    return 0;
}

int
replica_maybe_compact (replica_t *self, core_t *core, uint64_t every, char *err, size_t err_size)
{
    if (self->applied < self->snap_index + every)
        return 0;
    uint64_t index = self->applied, term;
    if (!logstore_term_at (self->log, index, &term))
        return errmsg_set (err, err_size, "%s/log: no term for applied index %llu", self->dir,
                           (unsigned long long) index);
    size_t size = kv_snapshot_size (self->kv);
    uint8_t *data = (uint8_t *) malloc (size);
    if (!data)
        return errmsg_set (err, err_size, "out of memory for a %zu-byte snapshot", size);
    if (kv_snapshot_write (self->kv, data, size)
    ||  snapshot_save (self->dir, index, term, data, size, err, err_size)
    ||  logstore_compact (self->log, index, term, err, err_size)) {
        free (data);
        if (err && !*err)
            errmsg_set (err, err_size, "cannot write the snapshot");
        return -1;
    }
    if (core && core_compact (core, index))
        return errmsg_set (err, err_size, "the core refused to compact through %llu",
                           (unsigned long long) index);
    free (self->snap_data);
    self->snap_data = data;
    self->snap_size = size;
    self->snap_index = index;
    self->snap_term = term;
    return 1;
}

int
replica_entries (const replica_t *self, uint64_t prev_index, uint32_t count, wire_entry_t *entries)
{
    for (uint32_t k = 0; k < count; k++) {
        const logstore_entry_t *e = logstore_entry (self->log, prev_index + 1 + k);
        if (!e)
            return -1;
        entries [k] = (wire_entry_t) {
            .term = e->term, .type = e->type, .payload = e->data, .size = e->size
        };
    }
    return 0;
}

const uint8_t *
replica_snapshot (const replica_t *self, size_t *size, uint64_t *index, uint64_t *term)
{
    *size = self->snap_size;
    *index = self->snap_index;
    *term = self->snap_term;
    return self->snap_index ? self->snap_data : NULL;
}

int
replica_chunk (replica_t *self, const wire_snapshot_t *chunk, char *err, size_t err_size)
{
    if (chunk->offset == 0) {
        s_drop_incoming (self);
        if (chunk->total == 0 || chunk->total > SNAPSHOT_BYTES_MAX || chunk->total > KV_SNAPSHOT_BYTES_MAX)
            return errmsg_set (err, err_size, "snapshot of %llu bytes refused",
                               (unsigned long long) chunk->total);
        self->in_data = (uint8_t *) malloc ((size_t) chunk->total);
        if (!self->in_data)
            return errmsg_set (err, err_size, "out of memory for a snapshot");
        self->in_index = chunk->index;
        self->in_term = chunk->term;
        self->in_total = chunk->total;
    }
    else
    if (!self->in_data || chunk->index != self->in_index || chunk->term != self->in_term
    ||  chunk->total != self->in_total || chunk->offset != self->in_received)
        return -1;          //  Out of order (a lost chunk): the leader resends
    if (chunk->offset + chunk->size > self->in_total)
        return -1;
    memcpy (self->in_data + chunk->offset, chunk->data, chunk->size);
    self->in_received = chunk->offset + chunk->size;
    if (self->in_received < self->in_total)
        return 0;
    char why [256];
    kv_destroy (&self->in_kv);
    self->in_kv = kv_snapshot_read (self->in_data, (size_t) self->in_total, why, sizeof why);
    if (!self->in_kv || kv_applied_index (self->in_kv) != self->in_index) {
        errmsg_set (err, err_size, "snapshot %llu from the leader is not a valid kv snapshot: %s",
                    (unsigned long long) self->in_index, self->in_kv ? "wrong index" : why);
        s_drop_incoming (self);
        return -1;
    }
    return 1;
}

uint64_t
replica_chunk_offset (const replica_t *self)
{
    return self->in_received;
}

const kv_t *
replica_kv (const replica_t *self)
{
    return self->kv;
}

uint64_t
replica_applied (const replica_t *self)
{
    return self->applied;
}

uint64_t
replica_snapshot_index (const replica_t *self)
{
    return self->snap_index;
}

uint64_t
replica_log_bytes (const replica_t *self)
{
    return logstore_bytes (self->log);
}
