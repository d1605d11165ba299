/*  sim_faults: the fault menu of the safety phase.

    One call injects one fault, chosen by weight from the menu below, into a
    running fixture: process faults (crash, restart, crash before fsync,
    pause), partitions (isolate a node or the leader, halves, a random
    split, a bridge, a majorities ring, one-way cuts), late delivery (a link
    that queues for seconds, then delivers, as a reconnecting DEALER does),
    leadership transfers and campaign commands, and changes to loss,
    duplication and latency. "The leader" is the live node in the leader
    role with the highest term, if any. Each fault is written to the
    fixture's trace.
*/
#ifndef MESH_SIM_FAULTS_H
#define MESH_SIM_FAULTS_H

#include <stdint.h>
#include "fixture.h"
#include "rng.h"
#include "sim_cluster.h"

typedef enum {
    SIM_FAULT_CRASH = 0,        //  A random live node
    SIM_FAULT_CRASH_LEADER,
    SIM_FAULT_RESTART,          //  A crashed node, from its persisted state
    SIM_FAULT_CRASH_BEFORE_SYNC,//  At its next persisting step, before the fsync completes
    SIM_FAULT_PAUSE,            //  SIGSTOP-like: 5 ms to 5 s
    SIM_FAULT_PAUSE_LEADER,
    SIM_FAULT_ISOLATE,
    SIM_FAULT_ISOLATE_LEADER,
    SIM_FAULT_HALVES,           //  Two sides of (nearly) equal size
    SIM_FAULT_SPLIT,            //  Two random sides
    SIM_FAULT_BRIDGE,           //  Two sides that only one node links
    SIM_FAULT_RING,             //  Each node sees a majority, no two the same
    SIM_FAULT_ONE_WAY,          //  Random links cut in one direction
    SIM_FAULT_LEADER_DEAF,      //  The leader sends but hears nothing
    SIM_FAULT_LEADER_MUTE,      //  The leader hears but its messages are lost
    SIM_FAULT_QUEUE,            //  A node's links queue for 0.2-5 s, then deliver
    SIM_FAULT_HEAL,
    SIM_FAULT_TRANSFER,         //  The leader hands over to a random member
    SIM_FAULT_CAMPAIGN,         //  A random member is told to campaign
    SIM_FAULT_NETWORK,          //  New loss, duplication and latency
    SIM_FAULTS
} sim_fault_t;

//  Inject one fault chosen from rng, never one whose bit is set in
//  disabled; returns which.
sim_fault_t sim_fault_inject (fixture_t *fixture, const sim_cluster_t *cluster, rng_t *rng,
                              uint32_t disabled);

//  The leader as defined above, or -1.
int sim_fault_leader (fixture_t *fixture, uint32_t nodes);

//  Short name of a fault kind, and back (-1 if unknown).
const char *sim_fault_name (sim_fault_t fault);
int sim_fault_lookup (const char *name);

#endif
