/*  lease: leader-lease arithmetic on a monotonic millisecond clock.

    A leader's lease starts at the SEND time of a heartbeat round that a
    quorum acknowledged (not when the acknowledgements arrived: kubernetes
    #44887) and lasts duration_ms on the leader's clock. It is safe because
    every acknowledging follower refuses to vote for anyone else until a
    full minimum election timeout T has passed on its own clock, and the
    configuration enforces  lease_ms * (1 + max_drift) < T  with a margin
    (lease_max_ms), so no new leader can be elected while a lease is valid
    even if the two clocks run at different rates within max_drift.

    Incident mapping (see docs/INCIDENT.md):
      RenewLease         -> lease_renew    (expiry = now + duration, not now)
      IsLeaseExpired     -> lease_expired  (only when now >= expiry)
      ElapsedSinceLease  -> lease_elapsed  (now - start, never now + start)

    All functions are pure; no allocation, no clock reads: time comes in.
*/
#ifndef MESH_LEASE_H
#define MESH_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#define LEASE_MARGIN_PERCENT    5       //  Safety margin kept below T
#define LEASE_DRIFT_PPM_MAX     100000  //  10 %: beyond this, clocks are broken

typedef struct {
    bool held;                  //  A lease was granted and not revoked
    uint64_t start_ms;          //  Send time of the acknowledged round
    uint64_t expiry_ms;         //  start_ms + duration, leader's clock
} lease_t;

//  Grant or extend the lease: it now runs from now_ms for duration_ms.
//  A renewal never shortens an existing lease.
void lease_renew (lease_t *self, uint64_t now_ms, uint64_t duration_ms);

//  Drop the lease at once (step-down, leadership transfer).
void lease_revoke (lease_t *self);

//  True unless a lease is held and now_ms is before its expiry.
bool lease_expired (const lease_t *self, uint64_t now_ms);

//  Milliseconds since the lease's start; 0 if none is held or now < start.
uint64_t lease_elapsed (const lease_t *self, uint64_t now_ms);

//  Milliseconds left before expiry; 0 when expired.
uint64_t lease_remaining (const lease_t *self, uint64_t now_ms);

//  The longest lease that is safe for minimum election timeout T and the
//  given maximum relative clock drift (parts per million):
//  floor(T * (100 - LEASE_MARGIN_PERCENT) / 100 / (1 + drift)).
uint64_t lease_max_ms (uint64_t election_timeout_ms, uint32_t max_drift_ppm);

//  True when lease_ms is allowed under that bound.
bool lease_safe (uint64_t lease_ms, uint64_t election_timeout_ms, uint32_t max_drift_ppm);

#endif
