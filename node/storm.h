/*  storm: the election-storm guard.

    The incident saw 2,847 leader changes in one hour where fewer than 5 were
    expected. This module remembers when this node saw the leader change,
    raises an alarm when the changes within the last hour exceed a
    threshold, and computes the extra, jittered and bounded, delay that a
    node adds to its own campaign timeout after repeated failed elections,
    so that a cluster that cannot elect a leader stops hammering itself.

    Pure: times come in as arguments, randomness from the caller's rng.
*/
#ifndef MESH_STORM_H
#define MESH_STORM_H

#include <stdbool.h>
#include <stdint.h>
#include "rng.h"

#define STORM_WINDOW_MS         3600000ULL  //  Alarm window: one hour
#define STORM_RING              64          //  Leader changes remembered
#define STORM_THRESHOLD_DEFAULT 5           //  The incident's "expected: < 5"
#define STORM_BACKOFF_SHIFT_MAX 16          //  Caps the doubling before the ms cap

typedef struct {
    uint32_t threshold;                 //  Alarm when changes in window > this
    uint64_t changes [STORM_RING];      //  Times of recent leader changes (ring)
    uint32_t head;                      //  Next slot to write
    uint32_t stored;                    //  Valid entries, <= STORM_RING
    uint64_t leader_changes_total;      //  Since start
    uint32_t failed_elections;          //  Consecutive, reset on success
} storm_t;

//  Start with no history; threshold must be 1..STORM_RING-1.
void storm_init (storm_t *self, uint32_t threshold);

//  Record that the leader this node knows changed at now_ms.
void storm_note_leader_change (storm_t *self, uint64_t now_ms);

//  Leader changes in the window (now_ms - 1h, now_ms].
uint32_t storm_recent_changes (const storm_t *self, uint64_t now_ms);

//  True when recent changes exceed the threshold.
bool storm_alarm (const storm_t *self, uint64_t now_ms);

//  Record an election or pre-vote round that did not produce a leader.
void storm_note_failed_election (storm_t *self);

//  Record that a leader was found or won; the backoff resets.
void storm_note_leader_found (storm_t *self);

//  Extra campaign delay after k consecutive failures: 0 for k = 0, else a
//  value in [b/2, b) with b = min(base_ms * 2^(k-1), max_ms).
uint64_t storm_backoff_ms (const storm_t *self, uint64_t base_ms, uint64_t max_ms, rng_t *rng);

#endif
