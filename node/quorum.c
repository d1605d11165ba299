/*  quorum: weighted vote arithmetic. See quorum.h for the contract.

    Every comparison is written as "2 * part > total" on 64-bit integers, so
    that odd totals need no rounding and no threshold is ever computed by
    division (the incident's weighted check used total/3).
*/
#include "quorum.h"

int
quorum_init (quorum_t *self, uint32_t count, const uint32_t *weights)
{
    if (count == 0 || count > QUORUM_MEMBERS_MAX)
        return -1;
    uint64_t total = 0;
    for (uint32_t i = 0; i < QUORUM_MEMBERS_MAX; i++) {
        uint32_t w = 0;
        if (i < count)
            w = weights ? weights [i] : 1;
        if (w > QUORUM_WEIGHT_MAX)
            return -1;
        self->weight [i] = w;
        total += w;
    }
    if (total == 0)
        return -1;
    self->count = count;
    return 0;
}

uint32_t
quorum_weight (const quorum_t *self, uint32_t id)
{
    return id < self->count ? self->weight [id] : 0;
}

uint64_t
quorum_total (const quorum_t *self)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < self->count; i++)
        total += self->weight [i];
    return total;
}

uint32_t
quorum_count_granted (const vote_t *votes, uint32_t count)
{
    uint32_t yes = 0;
    for (uint32_t i = 0; i < count; i++)
        if (votes [i] == VOTE_GRANTED)
            yes++;
    return yes;
}

bool
quorum_majority (uint32_t yes, uint32_t count)
{
    return (uint64_t) yes * 2 > (uint64_t) count;
}

bool
quorum_weighted (uint64_t granted_weight, uint64_t total_weight)
{
    return total_weight > 0 && granted_weight * 2 > total_weight;
}

uint64_t
quorum_granted_weight (const quorum_t *self, const vote_t *votes)
{
    uint64_t granted = 0;
    for (uint32_t i = 0; i < self->count; i++)
        if (votes [i] == VOTE_GRANTED)
            granted += self->weight [i];
    return granted;
}

quorum_result_t
quorum_result (const quorum_t *self, const vote_t *votes)
{
    uint64_t total = quorum_total (self);
    uint64_t granted = 0, open = 0;
    for (uint32_t i = 0; i < self->count; i++) {
        if (votes [i] == VOTE_GRANTED)
            granted += self->weight [i];
        else
        if (votes [i] == VOTE_NONE)
            open += self->weight [i];
    }
    if (quorum_weighted (granted, total))
        return QUORUM_WON;
    if (quorum_weighted (granted + open, total))
        return QUORUM_PENDING;
    return QUORUM_LOST;
}

bool
quorum_is_quorum (const quorum_t *self, uint64_t members)
{
    uint64_t weight = 0;
    for (uint32_t i = 0; i < self->count; i++)
        if (members & (1ULL << i))
            weight += self->weight [i];
    return quorum_weighted (weight, quorum_total (self));
}

bool
quorum_time (const quorum_t *self, const uint64_t *times, uint64_t present,
             uint64_t *time_ms)
{
    //  Take members in decreasing order of time until their weight is a
    //  quorum; the time of the last one taken is the answer. Selection by
    //  repeated scan keeps this allocation-free; count is at most 64.
    uint64_t total = quorum_total (self);
    uint64_t taken = 0;
    uint64_t used = 0;              //  Bitmask of members already taken
    while (true) {
        int best = -1;
        for (uint32_t i = 0; i < self->count; i++) {
            uint64_t bit = 1ULL << i;
            if ((used & bit) || !(present & bit) || self->weight [i] == 0)
                continue;
            if (best < 0 || times [i] > times [best])
                best = (int) i;
        }
        if (best < 0)
            return false;
        used |= 1ULL << best;
        taken += self->weight [best];
        if (quorum_weighted (taken, total)) {
            *time_ms = times [best];
            return true;
        }
    }
}
