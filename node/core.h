/*  core: the consensus core, a pure and deterministic state machine.

    One entry point, core_step(), takes one event (a timer tick, a message
    from an already-authenticated peer, or a local command), each carrying
    the current monotonic time in milliseconds, and fills a core_update_t:
    what changed, the hard state that must be persisted (fsync) BEFORE any
    of the returned messages leaves, the messages, and the time by which
    core_step must be called again. There are no sockets, clock reads, disk
    or allocation on the step path; randomness comes from the seed given at
    creation. The same seed and events give the same decisions.

    Protocol: Raft leader election (Raft paper section 5.2; Ongaro's
    dissertation chapter 9) with
      - randomized election timeout in [T, 2T) plus a storm backoff;
      - PreVote (dissertation 9.6): a node that lost its leader first asks
        whether peers would vote for it at term + 1; nobody's state changes;
      - CheckQuorum: a leader that has not heard from a quorum within T
        steps down;
      - leader stickiness: a node that heard from a live leader within T
        refuses votes and pre-votes for others, except for a transfer;
      - ForgetLeader (etcd-io/raft PR 78): a follower whose leader announces
        it stepped down stops protecting it at once;
      - leader lease from the send time of the heartbeat round a quorum
        acknowledged (lease.h); a transfer revokes it before TimeoutNow;
      - weighted votes (quorum.h); weight-0 members never campaign;
      - fencing token: the term, reported with leadership;
      - leadership transfer (TimeoutNow) to a reachable voter;
      - the storm guard (storm.h);
      - log replication (Raft paper sections 5.3-5.4, 7), when the config
        enables it: a no-op entry at the start of each term, AppendEntries
        with the consistency check and conflict truncation, the up-to-date
        check in votes and pre-votes, commit by weighted quorum of entries of
        the leader's own term, snapshots for followers behind the leader's
        compacted log. The core keeps only each entry's term; payloads
        belong to the layers above, which store them, attach them to
        append messages and apply committed ones (see core_entry_t).

    Incident mapping: the 14 functions of the old consensus module and the
    function that replaces each (docs/INCIDENT.md has the bugs and tests):
      SelectLeader        claim_select_leader   highest term, not first listed
      RenewLease          lease_renew           expiry = now + duration
      IsLeaseExpired      lease_expired         only when now >= expiry
      ElapsedSinceLease   lease_elapsed         now - start
      CountVotes          quorum_count_granted  granted values, not entries
      QuorumReached       quorum_majority       3 of 5 yes; 2 of 5 is no
      AdvanceTerm         core_advance_term     +1, and asks to persist
      StepDown            core_step_down        clears leader, role, lease
      ResolveConflict     claim_resolve         higher term; same term = split brain
      GetNodeWeight       quorum_weight         the configured weight
      WeightedQuorum      quorum_weighted       granted > total / 2
      GrantVote           core_grant_vote       one per term, never a lower term
      BecomeLeader        core_become_leader    only with a quorum this term
      CurrentLeader       core_current_leader   with lease validity

    Members are numbered 0..count-1 here; names, keys and endpoints belong
    to the layers above.
*/
#ifndef MESH_CORE_H
#define MESH_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "quorum.h"
#include "lease.h"
#include "storm.h"

#define CORE_MEMBERS_MAX        QUORUM_MEMBERS_MAX
#define CORE_NOBODY             (-1)            //  No leader / no vote
#define CORE_TO_ALL             UINT32_MAX      //  Broadcast recipient
#define CORE_MSGS_MAX           (2 * CORE_MEMBERS_MAX + 4)
#define CORE_TIMEOUT_MS_MIN     10
#define CORE_TIMEOUT_MS_MAX     600000
#define CORE_RESIGN_REPEATS     2               //  Resignation repeated on the next heartbeats
#define CORE_APPEND_MAX         64              //  Entries per append message
#define CORE_LOG_WINDOW         16384           //  Entries kept past the snapshot (then: compact)

//  Defaults, suited to a LAN
#define CORE_HEARTBEAT_MS_DEFAULT       50
#define CORE_ELECTION_MS_DEFAULT        250
#define CORE_DRIFT_PPM_DEFAULT          10000   //  1 %

typedef enum {
    CORE_FOLLOWER = 0,
    CORE_PRECANDIDATE = 1,
    CORE_CANDIDATE = 2,
    CORE_LEADER = 3
} core_role_t;

typedef enum {
    CORE_MSG_HEARTBEAT = 1,     //  Every node, each interval, to all (the node
                                //  sends a non-leader's as a beacon, which
                                //  only monitors hear; see resign)
    CORE_MSG_HEARTBEAT_ACK,     //  Follower -> leader: echoes hb_ms
    CORE_MSG_PREVOTE_REQ,       //  term = proposed term (current + 1)
    CORE_MSG_PREVOTE_RESP,
    CORE_MSG_VOTE_REQ,
    CORE_MSG_VOTE_RESP,
    CORE_MSG_TIMEOUT_NOW,       //  Leader -> transfer target: campaign now
    CORE_MSG_APPEND,            //  Leader -> follower: entries after prev_index
    CORE_MSG_APPEND_RESP,       //  Follower -> leader: match_index, or a hint
    CORE_MSG_SNAPSHOT           //  Leader -> follower: install the snapshot
                                //  through prev_index (data: the layer above)
} core_msg_type_t;

#define CORE_MSG_TYPE_MAX       CORE_MSG_SNAPSHOT

typedef enum {
    CORE_ENTRY_NOOP = 0,        //  A leader's first entry of its term
    CORE_ENTRY_COMMAND = 1      //  A proposal: its payload means something above
} core_entry_type_t;

//  A log entry. The core reads index, term and type; data and size are the
//  payload, which the core never reads or copies: in an event they point
//  into the caller's buffers, in an update into the event's (NULL for a
//  no-op), valid until the step returns.
typedef struct {
    uint64_t index;
    uint64_t term;
    core_entry_type_t type;
    const uint8_t *data;
    uint32_t size;
} core_entry_t;

//  Why a role or leader changed; for logs, metrics and traces.
typedef enum {
    CORE_REASON_NONE = 0,
    CORE_REASON_ELECTION_TIMEOUT,   //  No leader heard within the timeout
    CORE_REASON_PREVOTE_WON,        //  Pre-vote quorum: real election starts
    CORE_REASON_PREVOTE_LOST,
    CORE_REASON_ELECTION_WON,
    CORE_REASON_ELECTION_LOST,
    CORE_REASON_HIGHER_TERM,        //  Saw a newer term
    CORE_REASON_LEADER_HEARD,       //  A leader's heartbeat
    CORE_REASON_CHECK_QUORUM,       //  Leader lost contact with its quorum
    CORE_REASON_LEADER_RESIGNED,    //  Our leader announced it stepped down
    CORE_REASON_TRANSFER,           //  TimeoutNow received, or transfer sent
    CORE_REASON_COMMAND             //  Local command
} core_reason_t;

//  One protocol message. Fields not used by a type are zero.
typedef struct {
    core_msg_type_t type;
    uint32_t from;              //  Sender member
    uint32_t to;                //  Recipient member, or CORE_TO_ALL
    uint64_t term;              //  Sender's term (PREVOTE_REQ: proposed term)
    core_role_t role;           //  HEARTBEAT: sender's role
    int32_t leader;             //  HEARTBEAT: whom the sender follows, or CORE_NOBODY
    uint64_t hb_ms;             //  HEARTBEAT: sender's send time; ACK: the echo
    uint64_t round;             //  PREVOTE_REQ: the pre-vote round's id; RESP: the echo
    bool granted;               //  *_RESP: the answer
    bool transfer;              //  VOTE_REQ: a leadership transfer (ignores stickiness)
    //  Log replication
    uint64_t last_index;        //  (PRE)VOTE_REQ: candidate's last log index
    uint64_t last_term;         //  (PRE)VOTE_REQ: and its term
    uint64_t prev_index;        //  APPEND: entry before the first sent;
                                //  SNAPSHOT: the snapshot's last index
    uint64_t prev_term;         //  APPEND, SNAPSHOT: its term
    uint32_t entry_count;       //  APPEND: entries prev_index + 1 .. + entry_count,
                                //  read from the log by the layer above
    uint64_t commit;            //  APPEND, HEARTBEAT: the leader's commit index
    bool no_ack;                //  HEARTBEAT (a leader's): this round needs no
                                //  HEARTBEAT_ACK; the leader has a quorum's ack
                                //  of its previous round (s_heartbeat)
    uint64_t match_index;       //  APPEND_RESP granted: last index known to match;
                                //  refused: a hint, our last index (or below)
    bool resign;                //  HEARTBEAT: the one a leader sends as it steps
                                //  down (role no longer leader) and the next
                                //  CORE_RESIGN_REPEATS, so that the node
                                //  publishes them to consensus, not as beacons;
                                //  never set on other heartbeats.
                                //  The core does not read it on receive: a
                                //  non-leader heartbeat from our leader is
                                //  the resignation (ForgetLeader)
} core_msg_t;

typedef enum {
    CORE_EV_TICK = 1,           //  Time passed (a deadline may have fired)
    CORE_EV_RECV,               //  msg arrived from an authenticated peer
    CORE_EV_TRANSFER,           //  Local command: hand leadership to target
    CORE_EV_CAMPAIGN,           //  Local command: start a pre-vote now, unless a
                                //  leader was heard within T (then -1)
    CORE_EV_PROPOSE             //  Local command: append entries [0] (a command)
                                //  as leader; -1 if not leader or the log is full
} core_event_type_t;

typedef struct {
    core_event_type_t type;
    uint64_t now_ms;            //  Monotonic time of this event
    core_msg_t msg;             //  CORE_EV_RECV
    uint32_t target;            //  CORE_EV_TRANSFER
    //  RECV of an APPEND: its msg.entry_count entries; PROPOSE: one entry,
    //  whose type and payload count (index and term are the core's)
    const core_entry_t *entries;
} core_event_t;

//  What one step produced.
typedef struct {
    //  What changed (for logs and metrics)
    bool term_changed;
    bool vote_changed;
    bool role_changed;
    bool leader_changed;
    bool lease_changed;
    core_reason_t reason;       //  Why the role or leader last changed
    //  Hard state to persist with fsync before any message below is sent
    bool persist;
    uint64_t term;
    int32_t voted_for;
    //  Log changes, persisted with the hard state and before any message:
    //  first every entry after log_truncate_after goes (if log_truncate),
    //  then appends [0 .. append_count) (consecutive) are written.
    bool log_truncate;
    uint64_t log_truncate_after;
    size_t append_count;
    core_entry_t appends [CORE_APPEND_MAX + 2];
    //  A snapshot to install (received from the leader): the layer above
    //  replaces its state machine and log with the snapshot's data (it came
    //  with the SNAPSHOT message) and persists it before anything else.
    bool install_snapshot;
    uint64_t snapshot_index;
    uint64_t snapshot_term;
    //  Entries through commit_index are committed: apply those not yet
    //  applied, in order, after persisting (commit_index never goes back)
    uint64_t commit_index;
    bool commit_changed;
    //  CORE_EV_PROPOSE: the proposal's index and term (0 when refused)
    uint64_t proposed_index;
    uint64_t proposed_term;
    //  Messages to send, in order, after persisting
    size_t msg_count;
    core_msg_t msgs [CORE_MSGS_MAX];
    //  Call core_step with CORE_EV_TICK at this time at the latest
    uint64_t next_deadline_ms;
    //  Another member claimed leadership in a term where we know a different
    //  leader: a safety violation, reported and never silently settled
    bool violation;
    uint32_t violation_member;
    uint64_t violation_term;
} core_update_t;

//  Settings; all times in ms on the node's monotonic clock.
typedef struct {
    uint32_t self;                          //  This node's member number
    uint32_t member_count;                  //  1..CORE_MEMBERS_MAX
    uint32_t weights [CORE_MEMBERS_MAX];    //  Per member, 0..QUORUM_WEIGHT_MAX
    uint64_t heartbeat_ms;                  //  Heartbeat interval
    uint64_t election_timeout_ms;           //  T: timeouts drawn from [T, 2T)
    uint64_t lease_ms;                      //  0: the longest the drift bound allows
    uint32_t max_drift_ppm;                 //  Max relative clock-rate difference
    uint32_t storm_threshold;               //  Leader changes per hour before alarm
    uint64_t backoff_max_ms;                //  Cap on the storm backoff (0: 4 T)
    uint64_t seed;                          //  Randomness for timeouts
    uint32_t unsafe_controls;               //  Test builds only: CORE_UNSAFE_* (must be 0)
    bool replicate;                         //  Log replication on (no-ops, appends,
                                            //  commits); off: election only, empty log
} core_config_t;

//  Negative controls: each switches one protection off, so the simulator
//  can show that it finds the violation that protection guards against.
//  Honoured only in builds with MESH_NEGATIVE_CONTROLS; elsewhere
//  core_config_check rejects any of them.
#define CORE_UNSAFE_NO_PREVOTE          (1u << 0)   //  Campaign without PreVote
#define CORE_UNSAFE_NO_CHECK_QUORUM     (1u << 1)   //  Leader never steps down on its own
#define CORE_UNSAFE_LONG_LEASE          (1u << 2)   //  Accept a lease beyond the drift bound
#define CORE_UNSAFE_QUORUM_THIRD        (1u << 3)   //  Win with granted > total / 3
#define CORE_UNSAFE_NO_PERSIST          (1u << 4)   //  Never ask to persist term and vote
#define CORE_UNSAFE_COUNT_ENTRIES       (1u << 5)   //  Count answers, not granted votes
#define CORE_UNSAFE_LOWER_TERM_WINS     (1u << 6)   //  Follow a leader of a lower term
#define CORE_UNSAFE_COMMIT_NO_QUORUM    (1u << 7)   //  Commit what one follower matches
#define CORE_UNSAFE_NO_UP_TO_DATE       (1u << 8)   //  Vote without the log up-to-date check
#define CORE_UNSAFE_COMMIT_OLD_TERM     (1u << 9)   //  Commit by counting replicas of an
                                                    //  earlier term's entry, and no no-op
                                                    //  at the start of a term (Raft fig. 8;
                                                    //  the no-op alone nearly hides it)
#define CORE_UNSAFE_ALL                 0x3FFu

//  Hard state: what must survive a crash, written as one atomic record.
typedef struct {
    uint64_t term;
    int32_t voted_for;          //  Member voted for in term, or CORE_NOBODY
} core_hard_state_t;

//  The durable log a restarted core resumes: the snapshot's last index and
//  term, and the terms of the entries after it, oldest first.
typedef struct {
    uint64_t snapshot_index;
    uint64_t snapshot_term;
    const uint64_t *terms;      //  terms [k] is entry snapshot_index + 1 + k
    size_t count;
} core_log_t;

//  Leadership as seen by this node right now.
typedef struct {
    int32_t leader;             //  Known leader, or CORE_NOBODY
    uint64_t term;              //  Fencing token: the term of that leadership
    bool is_self;               //  We are the leader
    bool lease_valid;           //  is_self and the lease holds at now
    uint64_t lease_remaining_ms;
} core_leadership_t;

//  Counters for metrics.
typedef struct {
    uint64_t elections;         //  Times this node became candidate
    uint64_t prevotes;          //  Pre-vote rounds started
    uint64_t leader_changes;    //  Changes of the known (term, leader)
    uint64_t check_quorum_stepdowns;
    uint64_t messages_ignored;  //  Well-formed but irrelevant or stale
    uint32_t failed_elections;  //  Current consecutive failures (backoff)
    bool storm_alarm;           //  Leader changes in the last hour > threshold
} core_stats_t;

typedef struct _core_t core_t;

//  Fill config with defaults for a cluster of member_count, all weight 1.
void core_config_defaults (core_config_t *config, uint32_t self, uint32_t member_count);

//  Check a configuration. Returns 0, or -1 with a reason in err that names
//  the offending setting.
int core_config_check (const core_config_t *config, char *err, size_t err_size);

//  The lease the core will use for config (lease_ms, or the bound if 0).
uint64_t core_config_lease_ms (const core_config_t *config);

//  Create a core from a checked config, the persisted hard state and log
//  (NULL: a fresh node), starting at now_ms. Returns NULL on a bad config,
//  hard state or log (terms going down, more than CORE_LOG_WINDOW entries,
//  a term above the hard state's). A restarted node refuses votes for T
//  after now_ms, because it may have acknowledged a leader just before it
//  crashed. Its commit index starts at the snapshot's.
core_t *core_new (const core_config_t *config, const core_hard_state_t *hard, uint64_t now_ms);
core_t *core_new_with_log (const core_config_t *config, const core_hard_state_t *hard,
                           const core_log_t *log, uint64_t now_ms);

//  Destroy a core; safe on NULL, sets *self_p to NULL.
void core_destroy (core_t **self_p);

//  Process one event. Returns 0, or -1 if the event is malformed (unknown
//  member, bad type); then nothing changed and update says so.
int core_step (core_t *self, const core_event_t *event, core_update_t *update);

//  --- The incident functions and state queries ---------------------------

//  Advance the term by exactly one, forget the vote, and ask for both to
//  be persisted through update (may be NULL only in tests).
void core_advance_term (core_t *self, core_update_t *update);

//  Become a follower in the current term: clears the leader flag, the
//  role, the known leader and the lease.
void core_step_down (core_t *self, core_reason_t reason, uint64_t now_ms, core_update_t *update);

//  Decide a vote request from candidate for term at now_ms, whose log ends
//  at last_index with last_term. Grants at most one candidate per term and
//  never for a term below ours; refuses while a live leader was heard
//  within T unless transfer is set, and a candidate whose log is less up to
//  date than ours (it may lack a committed entry). A newer term is adopted
//  even when the vote is refused for the log. A grant moves to term,
//  records the vote and asks for persistence. Returns true if granted.
bool core_grant_vote (core_t *self, uint32_t candidate, uint64_t term, uint64_t last_index,
                      uint64_t last_term, bool transfer, uint64_t now_ms, core_update_t *update);

//  Become leader; only a candidate whose granted votes in the current term
//  form a weighted quorum may. Returns 0, or -1 (nothing changes).
int core_become_leader (core_t *self, uint64_t now_ms, core_update_t *update);

//  Who leads, in which term, and whether our own lease holds at now_ms.
core_leadership_t core_current_leader (const core_t *self, uint64_t now_ms);

core_role_t core_role (const core_t *self);
uint64_t core_term (const core_t *self);
int32_t core_voted_for (const core_t *self);
core_hard_state_t core_hard_state (const core_t *self);
core_stats_t core_stats (const core_t *self, uint64_t now_ms);

//  The best target for a leadership transfer at now_ms: the voter that
//  acknowledged our latest round (reachable and up to date), or -1 if we
//  do not lead or no voter answered within T.
int32_t core_transfer_candidate (const core_t *self, uint64_t now_ms);

//  Lease expiry on our own clock, 0 if we hold no lease (for checkers).
uint64_t core_lease_expiry_ms (const core_t *self);

//  The log as the core sees it.
uint64_t core_last_index (const core_t *self);
uint64_t core_commit_index (const core_t *self);
uint64_t core_snapshot_index (const core_t *self);
//  Term of entry index, if the core knows it (snapshot_index .. last_index;
//  index 0 has term 0); returns false otherwise.
bool core_term_at (const core_t *self, uint64_t index, uint64_t *term);

//  Forget the terms of entries through index: a snapshot of the applied
//  state through index now stands for them (index <= commit index, and
//  above the current snapshot). Not a step: nothing is sent. Returns 0 or -1.
int core_compact (core_t *self, uint64_t index);

//  Printable names.
const char *core_role_name (core_role_t role);
const char *core_msg_type_name (core_msg_type_t type);
const char *core_reason_name (core_reason_t reason);

#endif
