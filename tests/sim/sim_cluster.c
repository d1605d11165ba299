/*  sim_cluster: drawing a schedule's cluster. See sim_cluster.h.

    Every choice comes from the schedule's rng, in a fixed order, so a seed
    always gives the same cluster.
*/
#include "sim_cluster.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

//  Cluster sizes, weighted towards the odd sizes people deploy; every size
//  1..9 appears.
static const uint32_t s_size_odds [10] = { 0, 5, 5, 20, 10, 25, 5, 15, 5, 10 };

static uint32_t
s_pick_size (rng_t *rng)
{
    uint64_t roll = rng_below (rng, 100);
    for (uint32_t n = 1; n <= 9; n++) {
        if (roll < s_size_odds [n])
            return n;
        roll -= s_size_odds [n];
    }
    return 9;
}

static uint64_t
s_between (rng_t *rng, uint64_t low, uint64_t high)
{
    return low + rng_below (rng, high - low + 1);
}

//  Each node's real clock rate, so that no two differ by more than the
//  configured bound: anywhere in [-d/2, d/2], or only at its two ends,
//  which is where a lease is closest to overlapping.
static void
s_draw_clocks (fixture_options_t *opts, rng_t *rng)
{
    int32_t half = (int32_t) (opts->max_drift_ppm / 2);
    bool extremes = rng_below (rng, 100) < 40;
    for (uint32_t i = 0; i < opts->nodes; i++) {
        if (extremes)
            opts->clock_rate_ppm [i] = rng_below (rng, 2) ? half : -half;
        else
            opts->clock_rate_ppm [i] = (int32_t) rng_below (rng, (uint64_t) (2 * half + 1)) - half;
    }
}

void
sim_cluster_draw (sim_cluster_t *self, rng_t *rng, uint64_t seed,
                  uint32_t unsafe_controls, uint32_t lease_pct)
{
    memset (self, 0, sizeof (*self));
    fixture_options_t *opts = &self->opts;
    fixture_options_defaults (opts, s_pick_size (rng), seed);

    //  Weights: a third of multi-member clusters are weighted, with some
    //  weight-0 observers (ZOOKEEPER-498); at least one member votes.
    if (opts->nodes > 1 && rng_below (rng, 100) < 30) {
        opts->weighted = true;
        uint64_t total = 0;
        for (uint32_t i = 0; i < opts->nodes; i++) {
            opts->weights [i] = rng_below (rng, 100) < 15 ? 0 : (uint32_t) s_between (rng, 1, 4);
            total += opts->weights [i];
        }
        if (total == 0)
            opts->weights [rng_below (rng, opts->nodes)] = 1;
    }

    //  Timing: the defaults in three schedules of four.
    self->default_timing = rng_below (rng, 100) < 75;
    if (!self->default_timing) {
        opts->election_timeout_ms = s_between (rng, 50, 1000);
        opts->heartbeat_ms = s_between (rng, opts->election_timeout_ms / 10 + 1,
                                        opts->election_timeout_ms / 3);
        opts->max_drift_ppm = (uint32_t) rng_below (rng, 100001);
    }
    s_draw_clocks (opts, rng);
    if (unsafe_controls & CORE_UNSAFE_LONG_LEASE)
        opts->lease_ms = opts->election_timeout_ms * lease_pct / 100;
    opts->unsafe_controls = unsafe_controls;

    //  The network while faults run.
    opts->latency_min_ms = s_between (rng, 1, 5);
    opts->latency_max_ms = opts->latency_min_ms
                         + (rng_below (rng, 100) < 80 ? rng_below (rng, 60) : rng_below (rng, 250));
    opts->loss_ppm = rng_below (rng, 100) < 30 ? 0 : (uint32_t) rng_below (rng, 200001);
    opts->dup_ppm = rng_below (rng, 100) < 50 ? 0 : (uint32_t) rng_below (rng, 50001);
    if (rng_below (rng, 100) < 60) {
        //  Late delivery: a message now and then arrives seconds late.
        opts->late_ppm = (uint32_t) s_between (rng, 500, 20000);
        opts->late_min_ms = s_between (rng, 100, 1000);
        opts->late_max_ms = s_between (rng, opts->late_min_ms, 5000);
    }
    if (rng_below (rng, 100) < 50)
        opts->fsync_ms_max = rng_below (rng, 100) < 90 ? s_between (rng, 1, 30)
                                                       : s_between (rng, 100, 800);

    //  The healthy network: latency well inside a heartbeat interval.
    self->healthy_latency_min_ms = opts->latency_min_ms;
    uint64_t cap = opts->heartbeat_ms / 4 + 1;
    self->healthy_latency_max_ms = opts->latency_max_ms < cap ? opts->latency_max_ms : cap;
    if (self->healthy_latency_max_ms < self->healthy_latency_min_ms)
        self->healthy_latency_min_ms = self->healthy_latency_max_ms;
    self->healthy_fsync_ms_max = opts->fsync_ms_max < 10 ? opts->fsync_ms_max : 10;
    quorum_init (&self->quorum, opts->nodes, opts->weighted ? opts->weights : NULL);
}

void
sim_cluster_healthy (sim_cluster_t *self, rng_t *rng, uint64_t seed, uint32_t nodes,
                     const uint32_t *weights)
{
    memset (self, 0, sizeof (*self));
    fixture_options_t *opts = &self->opts;
    fixture_options_defaults (opts, nodes, seed);
    if (weights) {
        opts->weighted = true;
        memcpy (opts->weights, weights, nodes * sizeof (uint32_t));
    }
    self->default_timing = true;
    s_draw_clocks (opts, rng);
    opts->latency_min_ms = 1;
    opts->latency_max_ms = 10;
    opts->loss_ppm = 1000;          //  0.1 %: a healthy LAN still drops the odd packet
    opts->dup_ppm = 1000;
    opts->fsync_ms_max = 5;
    self->healthy_latency_min_ms = 1;
    self->healthy_latency_max_ms = 10;
    self->healthy_fsync_ms_max = 5;
    quorum_init (&self->quorum, nodes, weights);
}

bool
sim_cluster_is_quorum (const sim_cluster_t *self, uint64_t members)
{
    return quorum_is_quorum (&self->quorum, members);
}

void
sim_cluster_describe (const sim_cluster_t *self, char *text, size_t size)
{
    const fixture_options_t *o = &self->opts;
    int at = snprintf (text, size, "%u nodes", o->nodes);
    if (o->weighted) {
        at += snprintf (text + at, size - (size_t) at, " weights");
        for (uint32_t i = 0; i < o->nodes && (size_t) at < size; i++)
            at += snprintf (text + at, size - (size_t) at, "%s%u", i ? "," : " ", o->weights [i]);
    }
    at += snprintf (text + at, size - (size_t) at,
                    ", T=%" PRIu64 " hb=%" PRIu64 " lease=%" PRIu64 " drift<=%u ppm, rates",
                    o->election_timeout_ms, o->heartbeat_ms,
                    o->lease_ms ? o->lease_ms : lease_max_ms (o->election_timeout_ms, o->max_drift_ppm),
                    o->max_drift_ppm);
    for (uint32_t i = 0; i < o->nodes && (size_t) at < size; i++)
        at += snprintf (text + at, size - (size_t) at, "%s%+d", i ? "," : " ", o->clock_rate_ppm [i]);
    if ((size_t) at < size)
        snprintf (text + at, size - (size_t) at,
                  "; latency %" PRIu64 "-%" PRIu64 " ms, loss %u ppm, dup %u ppm, late %u ppm "
                  "(+%" PRIu64 "-%" PRIu64 " ms), fsync <= %" PRIu64 " ms",
                  o->latency_min_ms, o->latency_max_ms, o->loss_ppm, o->dup_ppm, o->late_ppm,
                  o->late_min_ms, o->late_max_ms, o->fsync_ms_max);
}
