/*  fuzz_common: the fixed cluster the fuzz targets run against: "prod"
    with members n1, n2, n3 (keys from seeds 0x10.., 0x20.., 0x30..), and
    an outsider key (seed 0x70..). Built once per process.
*/
#ifndef MESH_FUZZ_COMMON_H
#define MESH_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "envelope.h"
#include "keys.h"
#include "msg.h"
#include "peers.h"
#include "rx.h"
#include "tx.h"

#define FUZZ_MEMBERS 3

typedef struct {
    keys_t *keys [FUZZ_MEMBERS + 1];    //  n1, n2, n3, outsider
    wire_peers_t *peers;
} fuzz_world_t;

static const char *fuzz_ids [FUZZ_MEMBERS + 1] = { "n1", "n2", "n3", "n9" };

//  The world, created on first use and kept for the process.
static inline fuzz_world_t *
fuzz_world (void)
{
    static fuzz_world_t world;
    static int ready = 0;
    if (!ready) {
        world.peers = wire_peers_new ();
        for (int i = 0; i <= FUZZ_MEMBERS; i++) {
            uint8_t seed [32];
            for (int b = 0; b < 32; b++)
                seed [b] = (uint8_t) (0x10 * (i < FUZZ_MEMBERS ? i + 1 : 7) + b);
            world.keys [i] = keys_new_from_seed (seed);
            if (!world.keys [i])
                abort ();
            if (i < FUZZ_MEMBERS && wire_peers_add (world.peers, fuzz_ids [i],
                                                    keys_public (world.keys [i])) != i)
                abort ();
        }
        ready = 1;
    }
    return &world;
}

//  Abort (a finding) unless cond holds.
#define FUZZ_ASSERT(cond) \
    do { if (!(cond)) { fprintf (stderr, "fuzz oracle failed: %s\n", #cond); abort (); } } while (0)

#endif
