/*  fuzz_common: the fixed cluster the fuzz targets run against: "prod"
    with members n1, n2, n3 (keys from seeds 0x10.., 0x20.., 0x30..), an
    outsider key (seed 0x70..) and the client "ops" (seed 0x50..). The
    principal table is a node's: members may send consensus messages only,
    the client its requests only. Built once per process.
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
#define FUZZ_OUTSIDER FUZZ_MEMBERS      //  keys index of the outsider "n9"
#define FUZZ_CLIENT (FUZZ_MEMBERS + 1)  //  keys index of the client "ops" (table index 3)
#define FUZZ_SIGNERS (FUZZ_MEMBERS + 2)

typedef struct {
    keys_t *keys [FUZZ_SIGNERS];        //  n1, n2, n3, outsider, client
    wire_peers_t *peers;                //  n1, n2, n3, then ops
} fuzz_world_t;

static const char *fuzz_ids [FUZZ_SIGNERS] = { "n1", "n2", "n3", "n9", "ops" };

//  The world, created on first use and kept for the process.
static inline fuzz_world_t *
fuzz_world (void)
{
    static fuzz_world_t world;
    static int ready = 0;
    if (!ready) {
        world.peers = wire_peers_new ();
        for (int i = 0; i < FUZZ_SIGNERS; i++) {
            uint8_t seed [32];
            int first = i < FUZZ_MEMBERS ? 0x10 * (i + 1) : i == FUZZ_OUTSIDER ? 0x70 : 0x50;
            for (int b = 0; b < 32; b++)
                seed [b] = (uint8_t) (first + b);
            world.keys [i] = keys_new_from_seed (seed);
            if (!world.keys [i])
                abort ();
            if (i < FUZZ_MEMBERS
            && (wire_peers_add (world.peers, fuzz_ids [i], keys_public (world.keys [i])) != i
                || wire_peers_set_types (world.peers, (uint32_t) i, WIRE_TYPES_PEER) != 0))
                abort ();
        }
        if (wire_peers_add_client (world.peers, fuzz_ids [FUZZ_CLIENT],
                                   keys_public (world.keys [FUZZ_CLIENT]), WIRE_TYPES_CLIENT)
            != FUZZ_MEMBERS)
            abort ();
        ready = 1;
    }
    return &world;
}

//  Abort (a finding) unless cond holds.
#define FUZZ_ASSERT(cond) \
    do { if (!(cond)) { fprintf (stderr, "fuzz oracle failed: %s\n", #cond); abort (); } } while (0)

#endif
