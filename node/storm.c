/*  storm: the election-storm guard. See storm.h.  */
#include "storm.h"

void
storm_init (storm_t *self, uint32_t threshold)
{
    *self = (storm_t) { .threshold = threshold };
}

void
storm_note_leader_change (storm_t *self, uint64_t now_ms)
{
    self->changes [self->head] = now_ms;
    self->head = (self->head + 1) % STORM_RING;
    if (self->stored < STORM_RING)
        self->stored++;
    self->leader_changes_total++;
}

uint32_t
storm_recent_changes (const storm_t *self, uint64_t now_ms)
{
    uint32_t recent = 0;
    for (uint32_t i = 0; i < self->stored; i++) {
        uint64_t at = self->changes [i];
        //  Elapsed is now - at; a change "in the future" cannot happen on a
        //  monotonic clock but is counted rather than underflowing.
        if (at >= now_ms || now_ms - at < STORM_WINDOW_MS)
            recent++;
    }
    return recent;
}

bool
storm_alarm (const storm_t *self, uint64_t now_ms)
{
    return storm_recent_changes (self, now_ms) > self->threshold;
}

void
storm_note_failed_election (storm_t *self)
{
    if (self->failed_elections < UINT32_MAX)
        self->failed_elections++;
}

void
storm_note_leader_found (storm_t *self)
{
    self->failed_elections = 0;
}

uint64_t
storm_backoff_ms (const storm_t *self, uint64_t base_ms, uint64_t max_ms, rng_t *rng)
{
    uint32_t k = self->failed_elections;
    if (k == 0 || base_ms == 0 || max_ms == 0)
        return 0;
    uint32_t shift = k - 1 < STORM_BACKOFF_SHIFT_MAX ? k - 1 : STORM_BACKOFF_SHIFT_MAX;
    uint64_t bound = base_ms << shift;
    if (bound > max_ms)
        bound = max_ms;
    //  Jitter over the upper half keeps colliding candidates apart while
    //  still growing the delay with every failure.
    uint64_t half = bound / 2;
    return half + rng_below (rng, bound - half);
}
