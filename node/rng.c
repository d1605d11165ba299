/*  rng: xoshiro256** with splitmix64 seeding. See rng.h.  */
#include "rng.h"

static uint64_t
s_splitmix64 (uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
rng_seed (rng_t *self, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        self->s [i] = s_splitmix64 (&x);
}

uint64_t
rng_next (rng_t *self)
{
    uint64_t *s = self->s;
    uint64_t result = s_rotl (s [1] * 5, 7) * 9;
    uint64_t t = s [1] << 17;
    s [2] ^= s [0];
    s [3] ^= s [1];
    s [1] ^= s [2];
    s [0] ^= s [3];
    s [2] ^= t;
    s [3] = s_rotl (s [3], 45);
    return result;
}

uint64_t
rng_below (rng_t *self, uint64_t bound)
{
    if (bound == 0)
        return 0;
    //  Rejection sampling removes the modulo bias, so timeouts are truly
    //  uniform over [T, 2T) as the protocol analysis assumes.
    uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
    uint64_t r;
    do
        r = rng_next (self);
    while (r >= limit);
    return r % bound;
}
