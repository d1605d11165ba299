/*  replay: per-sender anti-replay state, a sliding window over sequence
    numbers within the sender's current incarnation.

    A sender numbers its messages 1, 2, 3 ... within one incarnation (boot),
    across all its channels. PUB/SUB and DEALER/ROUTER deliver independently,
    so messages from one sender may arrive out of order; the window accepts
    each sequence number at most once as long as it is within
    REPLAY_WINDOW_SEQS of the highest one seen (RFC 4303 section 3.4.3 does
    the same for IPsec). The rules:
      incarnation  < current          stale incarnation
      incarnation  > current          accepted; the window restarts there
      seq          > highest          accepted; the window slides forward
      seq within the window, unseen   accepted
      seq seen (within the window)    duplicate: only a replay re-sends a
                                      message we took (each is sent once)
      seq below the window            too old: a replay, or a genuine
                                      message delivered after more than
                                      the window of newer ones (a TCP
                                      connection that came back later than
                                      the sender's other one, after a cut)

    Checking and recording are separate, so that a message changes the
    state only once every other check on it has passed. Pure; no allocation.
*/
#ifndef MESH_REPLAY_H
#define MESH_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#define REPLAY_WINDOW_SEQS      1024    //  Reordering tolerated, in messages

typedef enum {
    REPLAY_OK = 0,
    REPLAY_DUPLICATE,           //  Seen already (within the window)
    REPLAY_TOO_OLD,             //  Below the window: too old to tell
    REPLAY_STALE                //  From an older incarnation
} replay_result_t;

typedef struct {
    uint64_t incarnation;       //  Current incarnation; 0 = nothing seen yet
    uint64_t top;               //  Highest seq recorded in it (0: none)
    uint64_t seen [REPLAY_WINDOW_SEQS / 64];    //  Bit (seq % window) for seq in (top - window, top]
} replay_t;

//  Start with nothing seen.
void replay_init (replay_t *self);

//  Would (incarnation, seq) be accepted? Does not change anything.
replay_result_t replay_check (const replay_t *self, uint64_t incarnation, uint64_t seq);

//  Record (incarnation, seq), which replay_check accepted.
void replay_record (replay_t *self, uint64_t incarnation, uint64_t seq);

//  Treat everything up to (incarnation, seq) as seen: for restoring a
//  persisted high-water mark after our own restart.
void replay_restore (replay_t *self, uint64_t incarnation, uint64_t seq);

#endif
