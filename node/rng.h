/*  rng: a small seeded pseudo-random source for the consensus core.

    The core must be deterministic: the same seed and the same events give
    the same decisions, so a failing simulation replays exactly. This is
    xoshiro256** seeded through splitmix64 (public-domain algorithms by
    Blackman and Vigna). Not for cryptography: keys use libsodium.
*/
#ifndef MESH_RNG_H
#define MESH_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s [4];             //  Generator state, never all zero
} rng_t;

//  Seed the generator; any seed, including 0, gives a valid state.
void rng_seed (rng_t *self, uint64_t seed);

//  Next 64 random bits.
uint64_t rng_next (rng_t *self);

//  Uniform integer in [0, bound); returns 0 when bound is 0.
uint64_t rng_below (rng_t *self, uint64_t bound);

#endif
