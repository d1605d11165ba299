/*  sim_stats: distributions. See sim_stats.h.  */
#include "sim_stats.h"
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void
sim_stats_init (sim_stats_t *self)
{
    memset (self, 0, sizeof (*self));
}

void
sim_stats_clear (sim_stats_t *self)
{
    free (self->values);
    sim_stats_init (self);
}

void
sim_stats_add (sim_stats_t *self, int64_t value)
{
    if (self->count == self->alloc) {
        self->alloc = self->alloc ? self->alloc * 2 : 1024;
        self->values = realloc (self->values, self->alloc * sizeof (int64_t));
        assert (self->values);
    }
    self->values [self->count++] = value;
    self->sorted = false;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

int64_t
sim_stats_percentile (sim_stats_t *self, uint32_t permille)
{
    if (self->count == 0)
        return 0;
    if (!self->sorted) {
        qsort (self->values, self->count, sizeof (int64_t), s_compare);
        self->sorted = true;
    }
    //  Nearest rank: the smallest value with at least permille of the
    //  samples at or below it.
    size_t rank = (self->count * permille + 999) / 1000;
    if (rank == 0)
        rank = 1;
    return self->values [rank - 1];
}

void
sim_stats_print (sim_stats_t *self, FILE *out, const char *label, const char *unit)
{
    fprintf (out, "%s: n=%zu", label, self->count);
    if (self->count)
        fprintf (out, " min=%" PRId64 " p50=%" PRId64 " p90=%" PRId64 " p99=%" PRId64
                 " max=%" PRId64 " %s",
                 sim_stats_percentile (self, 0), sim_stats_percentile (self, 500),
                 sim_stats_percentile (self, 900), sim_stats_percentile (self, 990),
                 sim_stats_percentile (self, 1000), unit);
    fprintf (out, "\n");
}

void
sim_stats_histogram (sim_stats_t *self, FILE *out, int64_t bucket)
{
    if (self->count == 0 || bucket <= 0)
        return;
    int64_t low = sim_stats_percentile (self, 0) / bucket;
    int64_t high = sim_stats_percentile (self, 1000) / bucket;
    size_t at = 0;
    for (int64_t b = low; b <= high; b++) {
        size_t n = 0;
        while (at < self->count && self->values [at] / bucket == b) {
            n++;
            at++;
        }
        //  A bar of up to 50 marks, scaled to the whole sample.
        size_t marks = (n * 200 + self->count - 1) / self->count;
        if (marks > 50)
            marks = 50;
        fprintf (out, "  %5" PRId64 "-%-5" PRId64 " %6zu ", b * bucket, (b + 1) * bucket - 1, n);
        for (size_t m = 0; m < marks; m++)
            fputc ('#', out);
        fputc ('\n', out);
    }
}
