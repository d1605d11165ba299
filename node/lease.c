/*  lease: leader-lease arithmetic. See lease.h for the contract and the
    safety argument.
*/
#include "lease.h"

void
lease_renew (lease_t *self, uint64_t now_ms, uint64_t duration_ms)
{
    uint64_t expiry = now_ms + duration_ms;
    //  Acknowledgements can arrive out of order; an older round must never
    //  pull the expiry back, nor may it move the start of a later one.
    if (self->held && expiry <= self->expiry_ms)
        return;
    self->held = true;
    self->start_ms = now_ms;
    self->expiry_ms = expiry;
}

void
lease_revoke (lease_t *self)
{
    self->held = false;
    self->start_ms = 0;
    self->expiry_ms = 0;
}

bool
lease_expired (const lease_t *self, uint64_t now_ms)
{
    return !self->held || now_ms >= self->expiry_ms;
}

uint64_t
lease_elapsed (const lease_t *self, uint64_t now_ms)
{
    if (!self->held || now_ms < self->start_ms)
        return 0;
    return now_ms - self->start_ms;
}

uint64_t
lease_remaining (const lease_t *self, uint64_t now_ms)
{
    if (lease_expired (self, now_ms))
        return 0;
    return self->expiry_ms - now_ms;
}

uint64_t
lease_max_ms (uint64_t election_timeout_ms, uint32_t max_drift_ppm)
{
    //  Integer arithmetic rounding down, so the bound is never exceeded.
    uint64_t usable = election_timeout_ms * (100 - LEASE_MARGIN_PERCENT);
    return usable * 10000 / (1000000 + (uint64_t) max_drift_ppm);
}

bool
lease_safe (uint64_t lease_ms, uint64_t election_timeout_ms, uint32_t max_drift_ppm)
{
    return max_drift_ppm <= LEASE_DRIFT_PPM_MAX
        && lease_ms > 0
        && lease_ms <= lease_max_ms (election_timeout_ms, max_drift_ppm);
}
