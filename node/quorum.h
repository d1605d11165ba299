/*  quorum: who must agree, as weighted vote arithmetic.

    A quorum is any set of members whose weight is MORE than half of the
    total weight. Plain majority is the case where every weight is 1.
    Weight-0 members are observers: they never count towards a quorum and
    never campaign (ZooKeeper's ZOOKEEPER-498: zero-weight voters caused
    endless elections). Any two quorums share at least one member of
    positive weight, which is what makes "one leader per term" hold.

    Incident mapping (see docs/INCIDENT.md):
      CountVotes      -> quorum_count_granted   (counts values, not entries)
      QuorumReached   -> quorum_majority        (3 of 5 yes, not 4 of 5)
      GetNodeWeight   -> quorum_weight          (the configured weight, not 0)
      weighted check  -> quorum_weighted        (granted > total/2, not total/3)

    All functions are pure; no allocation.
*/
#ifndef MESH_QUORUM_H
#define MESH_QUORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUORUM_MEMBERS_MAX  64      //  Hard limit on members in one cluster
#define QUORUM_WEIGHT_MAX   1000    //  Per-member weight limit; keeps sums far from overflow

//  A vote as it is recorded: absent (no answer yet), granted or denied.
//  Counting must look at the value: an entry that says "denied" is not a yes.
typedef enum {
    VOTE_NONE = 0,
    VOTE_GRANTED = 1,
    VOTE_DENIED = 2
} vote_t;

//  Outcome of a vote round, as in etcd-io/raft's quorum package.
typedef enum {
    QUORUM_PENDING = 0,     //  Neither won nor lost yet
    QUORUM_WON = 1,         //  Granted weight is a quorum
    QUORUM_LOST = 2         //  Even if every silent voter says yes, no quorum
} quorum_result_t;

typedef struct {
    uint32_t count;                             //  Members, 1..QUORUM_MEMBERS_MAX
    uint32_t weight [QUORUM_MEMBERS_MAX];       //  Weight of member i, 0..QUORUM_WEIGHT_MAX
} quorum_t;

//  Set up a quorum over count members with the given weights (NULL: all 1).
//  Returns 0, or -1 if count or a weight is out of range or the total is 0.
int quorum_init (quorum_t *self, uint32_t count, const uint32_t *weights);

//  The configured weight of member id; 0 for an id outside the cluster.
uint32_t quorum_weight (const quorum_t *self, uint32_t id);

//  Sum of all members' weights.
uint64_t quorum_total (const quorum_t *self);

//  Number of entries in votes[0..count) whose value is VOTE_GRANTED.
uint32_t quorum_count_granted (const vote_t *votes, uint32_t count);

//  Plain majority: true when yes votes are more than half of count voters.
bool quorum_majority (uint32_t yes, uint32_t count);

//  Weighted majority: true when granted weight is more than half of total.
bool quorum_weighted (uint64_t granted_weight, uint64_t total_weight);

//  Total weight of the members whose vote is VOTE_GRANTED.
uint64_t quorum_granted_weight (const quorum_t *self, const vote_t *votes);

//  Won, lost or pending for a round where votes[i] is member i's answer.
quorum_result_t quorum_result (const quorum_t *self, const vote_t *votes);

//  True when the member set given as a bitmask (bit i = member i) is a quorum.
bool quorum_is_quorum (const quorum_t *self, uint64_t members);

//  The latest time t such that a quorum of members i, counting only those
//  whose bit is set in present, has times[i] >= t. Used for leases and
//  CheckQuorum: times[i] is the send time of the latest round member i
//  acknowledged. Returns true and sets *time_ms, or false if the present
//  members do not form a quorum.
bool quorum_time (const quorum_t *self, const uint64_t *times, uint64_t present,
                  uint64_t *time_ms);

#endif
