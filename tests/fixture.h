/*  fixture: a whole cluster of real consensus cores in one process.

    In the manner of canonical/raft's fixture: N cores over a simulated
    network and clock, all driven from one seed, so any run replays exactly.
    The network delivers each message after a latency drawn from a range
    (so messages reorder), may lose or duplicate them, and honours cut
    links (partitions, one-way cuts). Each node has its own clock that runs
    at its own rate (drift) from its own offset. A crashed node keeps only
    the hard state its core asked to persist.

    After every event the fixture checks the safety invariants and records
    any violation with the true time and a description:
      - at most one leader per term;
      - no two valid leases at the same true time;
      - a node's term never decreases, across restarts too;
      - no node votes for two candidates in one term, across restarts too;
      - every leader holds a weighted quorum of votes in its term;
      - no core reported two leaders in one term (update.violation).

    Test code: it allocates freely and is not part of the node.
*/
#ifndef MESH_FIXTURE_H
#define MESH_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core.h"

#define FIXTURE_NODES_MAX   16

typedef struct {
    uint32_t nodes;                             //  1..FIXTURE_NODES_MAX
    uint32_t weights [FIXTURE_NODES_MAX];       //  Used when weighted is set
    bool weighted;                              //  Else every weight is 1
    uint64_t seed;                              //  Drives network and cores
    uint64_t heartbeat_ms;                      //  Core timing
    uint64_t election_timeout_ms;
    uint64_t lease_ms;                          //  0: the bound
    uint32_t max_drift_ppm;                     //  Configured bound
    uint32_t unsafe_controls;                   //  Needs meshcore_unsafe
    int32_t clock_rate_ppm [FIXTURE_NODES_MAX]; //  Actual rate offset per node
    uint64_t latency_min_ms;                    //  Network delay range
    uint64_t latency_max_ms;
    uint32_t loss_ppm;                          //  Chance a message is lost
    uint32_t dup_ppm;                           //  Chance it is delivered twice
} fixture_options_t;

typedef struct _fixture_t fixture_t;

//  Defaults: nodes of weight 1, LAN timing (50/250 ms), 1-3 ms latency,
//  no loss, no drift.
void fixture_options_defaults (fixture_options_t *opts, uint32_t nodes, uint64_t seed);

//  Create the cluster; every node starts at true time 0. NULL on a bad config.
fixture_t *fixture_new (const fixture_options_t *opts);

void fixture_destroy (fixture_t **self_p);

//  Print every event to trace (NULL: silent).
void fixture_set_trace (fixture_t *self, FILE *trace);

//  Process events until true time reaches until_ms.
void fixture_run_until (fixture_t *self, uint64_t until_ms);

//  Process events for the next ms milliseconds of true time.
void fixture_run_for (fixture_t *self, uint64_t ms);

//  Run until every live node follows one leader whose lease is valid, or
//  max_ms passes; returns the leader or -1.
int fixture_run_until_leader (fixture_t *self, uint64_t max_ms);

//  The node that is leader with a valid lease now, or -1.
int fixture_leader (fixture_t *self);

//  The leader every live node follows, if it holds a valid lease; else -1.
int fixture_agreed_leader (fixture_t *self);

//  Crash a node: its core is gone, messages to it are lost.
void fixture_crash (fixture_t *self, uint32_t node);

//  Restart a crashed node from its persisted hard state.
void fixture_restart (fixture_t *self, uint32_t node);

bool fixture_alive (fixture_t *self, uint32_t node);

//  Cut or restore the link from -> to (one way).
void fixture_set_link (fixture_t *self, uint32_t from, uint32_t to, bool up);

//  Cut both directions between node and everyone else.
void fixture_isolate (fixture_t *self, uint32_t node);

//  Split into two sides: nodes whose bit is set in side_a, and the rest.
void fixture_partition (fixture_t *self, uint64_t side_a);

//  Restore every link.
void fixture_heal (fixture_t *self);

//  Deliver a local command (CORE_EV_TRANSFER, CORE_EV_CAMPAIGN) to node now;
//  returns core_step's result.
int fixture_command (fixture_t *self, uint32_t node, core_event_type_t type, uint32_t target);

//  The core of a live node (NULL when crashed).
core_t *fixture_core (fixture_t *self, uint32_t node);

//  True time now, and a node's own clock now.
uint64_t fixture_now (fixture_t *self);
uint64_t fixture_local_now (fixture_t *self, uint32_t node);

//  Highest term any node has reached.
uint64_t fixture_max_term (fixture_t *self);

//  Number of terms in which some node became leader.
uint32_t fixture_leaders_elected (fixture_t *self);

//  Events processed so far.
uint64_t fixture_events (fixture_t *self);

//  Safety violations seen, and the first one's description ("" if none).
uint32_t fixture_violations (fixture_t *self);
const char *fixture_violation_text (fixture_t *self);

#endif
