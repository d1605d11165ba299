/*  sim: one seeded fault schedule against a cluster of real cores, and the
    stability hour.

    A schedule is drawn entirely from its seed (cluster, clocks, network,
    faults, their times) and runs four phases:
      1. safety: 5-40 faults (sim_faults.h) at random gaps over a network
         that loses, duplicates, reorders and sometimes holds messages back
         for seconds, with fsync stalls; the fixture checks its invariants
         after every event (fixture.h);
      2. liveness: faults stop (links healed, pauses ended, crashed nodes
         restarted, the network healthy); within K election timeouts every
         live node must follow one leader holding a valid lease;
      3. stability: on the healthy network no new leader and no term
         increase for SIM_STABLE_MS; then a minority of followers is cut
         off for 4-12 T and rejoins: still the same leader and term;
      4. failover: the leader crashes (where the others are a quorum); the
         time until another node holds a valid lease is measured, and must
         also come within K election timeouts.
    Any failure is filed with the fixture (fixture_property_t), so a
    schedule reports its first violation and the set of properties broken.
*/
#ifndef MESH_SIM_H
#define MESH_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "fixture.h"
#include "sim_faults.h"

//  Liveness bound, in election timeouts (see docs/SIMULATION.md for why 20).
#define SIM_K_DEFAULT           20
//  The LONG_LEASE control's lease, as a percentage of T: etcd-io/raft #166
//  found leases lasting about 1.5 election timeouts in effect.
#define SIM_LONG_LEASE_PCT      150
//  Healthy period of the stability phase, per schedule.
#define SIM_STABLE_MS           15000

typedef struct {
    uint64_t seed;
    uint32_t unsafe_controls;   //  CORE_UNSAFE_* (the negative-controls build only)
    uint32_t lease_pct;         //  LONG_LEASE's lease, in % of T
    uint32_t k;                 //  Liveness bound in election timeouts
    uint32_t without;           //  Fault kinds never injected (bit per sim_fault_t)
    bool without_late;          //  No late delivery (the network's, not a fault kind)
    FILE *trace;                //  Every event, or NULL
} sim_config_t;

typedef struct {
    uint32_t nodes;
    bool weighted;
    bool default_timing;
    uint64_t events;            //  Core steps
    uint64_t sim_ms;            //  Simulated time
    uint32_t faults;
    uint32_t fault_counts [SIM_FAULTS];
    uint32_t violated;          //  Bit per fixture_property_t
    fixture_property_t first;   //  FIXTURE_PROPERTIES if none
    char text [512];            //  The first violation
    char property_text [FIXTURE_PROPERTIES][256];   //  The first of each property
    uint64_t hash;              //  Of every event: equal runs, equal hashes
    uint64_t election_timeout_ms;   //  T of this cluster
    int64_t recovery_ms;        //  Faults stop -> agreed leader with lease; -1: never
    int64_t failover_ms;        //  Leader crash -> new valid lease; -1: not measured
    uint64_t writes_proposed;   //  The client's writes a leader appended
    uint64_t writes_acked;      //  ... and acknowledged (applied by that leader)
} sim_result_t;

//  Defaults for seed: safe core, K = SIM_K_DEFAULT, no trace.
void sim_config_defaults (sim_config_t *config, uint64_t seed);

//  Run the schedule of config->seed. Returns 0, or -1 if the cluster could
//  not be built (a control the core was built without).
int sim_run (const sim_config_t *config, sim_result_t *result);

//  One simulated hour of a healthy cluster of nodes members (weights NULL:
//  all 1) with a minority cut off and rejoining every ten minutes: no
//  leader change and no term increase after the first election.
int sim_stability_hour (const sim_config_t *config, uint32_t nodes, const uint32_t *weights,
                        sim_result_t *result);

//  Directed scenario "stale-prevote" (sim_scenario.c): pre-vote grants
//  held back by queuing links count in a later round. Files the rejoin
//  property when the cut-off node's term rises or the leader changes.
int sim_scenario_stale_prevote (const sim_config_t *config, sim_result_t *result);

//  Directed scenario "figure8" (sim_scenario.c): Raft figure 8 staged with
//  cut links; files sm-safety if two writes are applied at one index.
//  property_text [0] says how far the staging got.
int sim_scenario_figure8 (const sim_config_t *config, sim_result_t *result);

#endif
