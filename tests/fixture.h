/*  fixture: a whole cluster of real consensus cores in one process.

    In the manner of canonical/raft's fixture: N cores over a simulated
    network and clock, all driven from one seed, so any run replays exactly.
    The network delivers each message after a latency drawn from a range
    (so messages reorder), may lose or duplicate them, may hold a few back
    for seconds (late delivery, as a reconnecting DEALER does), and honours
    cut links (partitions, one-way cuts) and queuing links. Each node has its
    own clock that runs at its own rate (drift) from its own offset.

    Processes, not just cores: a node can be paused (SIGSTOP, a GC or fsync
    stall: it takes no events, not even ticks, while its clock runs on and
    messages to it wait), and a step that asks to persist may stall in
    fsync before its messages leave. A crashed node keeps only the hard
    state whose fsync completed; a crash during the fsync loses that step's
    hard state and its messages together.

    After every event the fixture checks the safety invariants and records
    any violation, by property, with the true time and a description:
      - at most one leader per term (also: no core saw two);
      - no two valid leases at the same true time;
      - a node's term never decreases, across restarts too;
      - no node votes for two candidates in one term, across restarts too;
      - every leader holds a weighted quorum of votes in its term;
      - no running node stays leader longer than T after it last heard
        from a quorum (what CheckQuorum guarantees);
    and, with log replication (opts.replicate, the default):
      - log matching: two logs holding an entry of one term at one index
        hold the same entries up to it (a hash chain per entry);
      - leader completeness: a new leader's log holds every entry any node
        has applied;
      - state-machine safety: no two nodes apply different entries at one
        index (snapshots included);
      - no acknowledged write lost: every write whose proposer applied it
        (what the node would answer its client) stays at its index.
    Payloads are 64-bit ids (0: a leader's no-op); each node keeps a
    durable log and snapshot of ids, applies what commits, and compacts
    every FIXTURE_COMPACT_EVERY applied entries, so followers that fall
    far behind are sent snapshots.
    What a node has "externalised" (its term, its vote, its leadership) is
    recorded when its step's messages leave, after the fsync; what only
    ever lived in a crashed process's memory is nobody's business.

    Test code: it allocates freely and is not part of the node.
*/
#ifndef MESH_FIXTURE_H
#define MESH_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "core.h"

#define FIXTURE_NODES_MAX   16
#define FIXTURE_COMPACT_EVERY   64      //  Applied entries between snapshots

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
    uint32_t late_ppm;                          //  Chance it is held back late_min..late_max ms more
    uint64_t late_min_ms;
    uint64_t late_max_ms;
    uint64_t fsync_ms_max;                      //  A persisting step stalls 0..this ms
    bool replicate;                             //  Cores replicate a log (default on)
} fixture_options_t;

//  The properties the checker knows; each violation is filed under one.
//  The last three are judged by a driver (tests/sim) and filed here with
//  fixture_flag, so that every report has one shape.
typedef enum {
    FIXTURE_TWO_LEADERS = 0,    //  Two leaders in one term
    FIXTURE_TWO_LEASES,         //  Two valid leases at one true time
    FIXTURE_TERM_REGRESS,       //  A node's term went down
    FIXTURE_DOUBLE_VOTE,        //  A node voted for two candidates in one term
    FIXTURE_NO_QUORUM_LEADER,   //  A leader without a weighted quorum of votes
    FIXTURE_STALE_LEADER,       //  A leader T past its last quorum contact
    FIXTURE_LIVENESS,           //  No agreed leader with a lease in time
    FIXTURE_INSTABILITY,        //  A leader change on a healthy network
    FIXTURE_REJOIN,             //  A rejoining node raised a term or moved the leader
    FIXTURE_LOG_MATCHING,       //  Same index and term, different history
    FIXTURE_LEADER_COMPLETENESS,    //  A leader without an applied entry
    FIXTURE_SM_SAFETY,          //  Two nodes applied different entries at one index
    FIXTURE_ACKED_LOST,         //  An acknowledged write is no longer at its index
    FIXTURE_PROPERTIES
} fixture_property_t;

typedef struct _fixture_t fixture_t;

//  Defaults: nodes of weight 1, LAN timing (50/250 ms), 1-3 ms latency,
//  no loss, no late delivery, no fsync stall, no drift.
void fixture_options_defaults (fixture_options_t *opts, uint32_t nodes, uint64_t seed);

//  Create the cluster; every node starts at true time 0. NULL on a bad config.
fixture_t *fixture_new (const fixture_options_t *opts);

void fixture_destroy (fixture_t **self_p);

//  Print every event to trace (NULL: silent).
void fixture_set_trace (fixture_t *self, FILE *trace);

//  Print a line of the driver's own (a fault, a phase) into the trace, at now.
void fixture_trace_note (fixture_t *self, const char *text);

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

//  Crash a node: its core is gone, messages to it are lost, and so is a
//  step still waiting for its fsync.
void fixture_crash (fixture_t *self, uint32_t node);

//  Crash a node at its next step that asks to persist, after the step and
//  before its fsync completes (so before any of its messages leave).
void fixture_crash_before_sync (fixture_t *self, uint32_t node);

//  Restart a crashed node from its persisted hard state.
void fixture_restart (fixture_t *self, uint32_t node);

bool fixture_alive (fixture_t *self, uint32_t node);

//  Stop a live node's process for ms of true time (extends a pause under
//  way): no ticks, no deliveries; its clock runs on; messages to it wait.
void fixture_pause (fixture_t *self, uint32_t node, uint64_t ms);

//  Stop injecting faults: restore every link, end every queuing window and
//  every pause, and cancel every pending crash-before-fsync. Crashed nodes
//  stay down, the network keeps its settings, messages in flight keep
//  their fate.
void fixture_end_faults (fixture_t *self);

//  True while a node is paused or waiting for an fsync.
bool fixture_blocked (fixture_t *self, uint32_t node);

//  Cut or restore the link from -> to (one way).
void fixture_set_link (fixture_t *self, uint32_t from, uint32_t to, bool up);

//  For the next ms, messages on from -> to are queued, then delivered
//  (a DEALER that lost its connection and reconnected).
void fixture_queue_link (fixture_t *self, uint32_t from, uint32_t to, uint64_t ms);

//  Cut both directions between node and everyone else.
void fixture_isolate (fixture_t *self, uint32_t node);

//  Split into two sides: nodes whose bit is set in side_a, and the rest.
void fixture_partition (fixture_t *self, uint64_t side_a);

//  Restore every link and end every queuing window.
void fixture_heal (fixture_t *self);

//  Change the network's behaviour from now on (messages in flight keep
//  their fate).
void fixture_set_network (fixture_t *self, uint64_t latency_min_ms, uint64_t latency_max_ms,
                          uint32_t loss_ppm, uint32_t dup_ppm, uint32_t late_ppm);

//  From now on a persisting step stalls 0..max_ms before its messages leave.
void fixture_set_fsync (fixture_t *self, uint64_t max_ms);

//  True time by which every message now in flight will have arrived (now
//  if none is).
uint64_t fixture_quiet_at (fixture_t *self);

//  Deliver a local command (CORE_EV_TRANSFER, CORE_EV_CAMPAIGN) to node now;
//  returns core_step's result, or -1 without a step if the node is blocked.
int fixture_command (fixture_t *self, uint32_t node, core_event_type_t type, uint32_t target);

//  Propose write id (> 0) at node now, as a client would ask it; returns
//  0 if its core appended it (it leads), -1 otherwise.
int fixture_propose (fixture_t *self, uint32_t node, uint64_t id);

//  Writes acknowledged so far (applied by the node they were proposed to).
uint64_t fixture_acked_writes (fixture_t *self);

//  Highest index any node has applied.
uint64_t fixture_applied_max (fixture_t *self);

//  Check that every acknowledged write is still at its index in node's
//  log or snapshot, if node has applied that far (files FIXTURE_ACKED_LOST
//  otherwise); returns how many acknowledged writes it has applied.
uint64_t fixture_check_acked (fixture_t *self, uint32_t node);

//  The core of a live node (NULL when crashed).
core_t *fixture_core (fixture_t *self, uint32_t node);

//  True time now, and a node's own clock now.
uint64_t fixture_now (fixture_t *self);
uint64_t fixture_local_now (fixture_t *self, uint32_t node);

//  Highest term any node has externalised.
uint64_t fixture_max_term (fixture_t *self);

//  Number of terms in which some node became leader.
uint32_t fixture_leaders_elected (fixture_t *self);

//  Events processed so far.
uint64_t fixture_events (fixture_t *self);

//  A hash of every event and its outcome so far: equal runs, equal hashes.
uint64_t fixture_hash (fixture_t *self);

//  Safety violations seen, and the first one's description ("" if none).
uint32_t fixture_violations (fixture_t *self);
const char *fixture_violation_text (fixture_t *self);

//  Bit p set: property p was violated at least once.
uint32_t fixture_violated (fixture_t *self);

//  The first violation's property (FIXTURE_PROPERTIES if none).
fixture_property_t fixture_first_violation (fixture_t *self);

//  The first violation of one property, described ("" if none).
const char *fixture_property_text (fixture_t *self, fixture_property_t property);

//  File a violation judged by the driver.
void fixture_flag (fixture_t *self, fixture_property_t property, const char *text);

//  Short name of a property ("two-leases"), and back (-1 if unknown).
const char *fixture_property_name (fixture_property_t property);
int fixture_property_lookup (const char *name);

#endif
