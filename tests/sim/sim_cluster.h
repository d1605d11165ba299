/*  sim_cluster: one schedule's cluster, clocks and network, drawn from its
    seed.

    Members 1 to 9, weighted or not (weight-0 observers included), the core
    timing (the defaults in most schedules, so failover times can be
    compared), clock rates within the configured drift bound (sometimes
    all at its two extremes), and the network of the fault phase: latency
    range, loss, duplication, late delivery and fsync stalls. It also
    knows the "healthy" network that the liveness, stability and failover
    phases run on: no loss, no duplication, no late delivery, latency far
    below the heartbeat interval, and fsyncs of a few milliseconds.
*/
#ifndef MESH_SIM_CLUSTER_H
#define MESH_SIM_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>
#include "fixture.h"
#include "quorum.h"
#include "rng.h"

typedef struct {
    fixture_options_t opts;         //  What the fixture is built from
    quorum_t quorum;                //  The members' weights
    bool default_timing;            //  Core defaults: 50 / 250 ms, 1 % drift
    uint64_t healthy_latency_min_ms;
    uint64_t healthy_latency_max_ms;
    uint64_t healthy_fsync_ms_max;  //  A disk that is not stalling
} sim_cluster_t;

//  Draw a cluster for seed from rng; unsafe_controls and lease_pct are
//  applied as given (lease_pct: the lease as a percentage of T when the
//  LONG_LEASE control is on).
void sim_cluster_draw (sim_cluster_t *self, rng_t *rng, uint64_t seed,
                       uint32_t unsafe_controls, uint32_t lease_pct);

//  A cluster for the stability hour: default timing, a healthy network,
//  clocks within the bound.
void sim_cluster_healthy (sim_cluster_t *self, rng_t *rng, uint64_t seed, uint32_t nodes,
                          const uint32_t *weights);

//  True when the members in the bitmask form a weighted quorum.
bool sim_cluster_is_quorum (const sim_cluster_t *self, uint64_t members);

//  One line describing the cluster and its network, into text.
void sim_cluster_describe (const sim_cluster_t *self, char *text, size_t size);

#endif
