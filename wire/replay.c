/*  replay: sliding-window anti-replay. See replay.h for the contract.

    The window is a ring of bits indexed by seq modulo its size; bit i of
    the ring stands for the one seq in (top - window, top] congruent to i.
    Sliding forward clears the bits of the sequence numbers skipped over,
    so a bit is never mistaken for the seq a full window earlier.
*/
#include "replay.h"
#include <string.h>

#define S_WORDS     (REPLAY_WINDOW_SEQS / 64)

_Static_assert (REPLAY_WINDOW_SEQS % 64 == 0, "window is whole 64-bit words");

static bool
s_bit (const replay_t *self, uint64_t seq)
{
    uint64_t i = seq % REPLAY_WINDOW_SEQS;
    return (self->seen [i / 64] >> (i % 64)) & 1;
}

static void
s_set (replay_t *self, uint64_t seq, bool value)
{
    uint64_t i = seq % REPLAY_WINDOW_SEQS;
    if (value)
        self->seen [i / 64] |= 1ULL << (i % 64);
    else
        self->seen [i / 64] &= ~(1ULL << (i % 64));
}

void
replay_init (replay_t *self)
{
    memset (self, 0, sizeof (*self));
}

replay_result_t
replay_check (const replay_t *self, uint64_t incarnation, uint64_t seq)
{
    if (incarnation < self->incarnation)
        return REPLAY_STALE;
    if (incarnation > self->incarnation || seq > self->top)
        return REPLAY_OK;
    if (self->top - seq >= REPLAY_WINDOW_SEQS)
        return REPLAY_TOO_OLD;              //  Too old to tell: refuse
    return s_bit (self, seq) ? REPLAY_DUPLICATE : REPLAY_OK;
}

void
replay_record (replay_t *self, uint64_t incarnation, uint64_t seq)
{
    if (incarnation > self->incarnation) {
        self->incarnation = incarnation;
        self->top = 0;
        memset (self->seen, 0, sizeof (self->seen));
    }
    if (seq > self->top) {
        if (seq - self->top >= REPLAY_WINDOW_SEQS)
            memset (self->seen, 0, sizeof (self->seen));
        else
            for (uint64_t s = self->top + 1; s < seq; s++)
                s_set (self, s, false);
        self->top = seq;
    }
    s_set (self, seq, true);
}

void
replay_restore (replay_t *self, uint64_t incarnation, uint64_t seq)
{
    self->incarnation = incarnation;
    self->top = seq;
    //  Every bit set: each seq in the window counts as seen, and anything
    //  below it is refused anyway.
    memset (self->seen, 0xff, sizeof (self->seen));
}
