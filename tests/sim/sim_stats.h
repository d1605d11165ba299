/*  sim_stats: a distribution of measured times (failover, recovery).

    Collects integer samples and prints count, min, percentiles (nearest
    rank) and max, and a coarse histogram. Integer arithmetic only, so the
    report is the same on every machine.
*/
#ifndef MESH_SIM_STATS_H
#define MESH_SIM_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    int64_t *values;            //  Samples, sorted on demand
    size_t count;
    size_t alloc;
    bool sorted;
} sim_stats_t;

//  Start empty.
void sim_stats_init (sim_stats_t *self);

//  Free the samples.
void sim_stats_clear (sim_stats_t *self);

void sim_stats_add (sim_stats_t *self, int64_t value);

//  The nearest-rank percentile (permille: 500 = median); 0 when empty.
int64_t sim_stats_percentile (sim_stats_t *self, uint32_t permille);

//  "n=.. min=.. p50=.. p90=.. p99=.. max=.. (unit)" on one line.
void sim_stats_print (sim_stats_t *self, FILE *out, const char *label, const char *unit);

//  One line per bucket of bucket wide, with a bar of #, skipping empty ends.
void sim_stats_histogram (sim_stats_t *self, FILE *out, int64_t bucket);

#endif
