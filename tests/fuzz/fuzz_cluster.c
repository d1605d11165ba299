/*  fuzz_cluster: the cluster file parser (czmq's ZPL reader and our
    validation). Oracle: a file that parses is saved and re-read to the
    same cluster, and every accepted cluster satisfies the rules the node
    relies on.
*/
#include <czmq.h>
#include <stdio.h>
#include "cluster.h"
#include "fuzz_common.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    (void) argc; (void) argv;
    zsys_set_logstream (NULL);      //  zconfig reports syntax errors; keep quiet
    return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = (char *) malloc (size + 1);
    memcpy (text, data, size);
    text [size] = 0;
    char err [CLUSTER_ERROR_MAX];
    cluster_t *cluster = cluster_parse (text, "fuzz.cfg", err, sizeof err);
    free (text);
    if (!cluster)
        return 0;
    FUZZ_ASSERT (cluster->member_count >= 1 && cluster->member_count <= CORE_MEMBERS_MAX);
    uint64_t total = 0;
    for (uint32_t i = 0; i < cluster->member_count; i++) {
        FUZZ_ASSERT (wire_id_valid (cluster->members [i].id, strlen (cluster->members [i].id)));
        FUZZ_ASSERT (cluster_find (cluster, cluster->members [i].id) == (int) i);
        total += cluster->members [i].weight;
    }
    FUZZ_ASSERT (total > 0);
    core_config_t config;
    cluster_core_config (cluster, 0, 1, &config);
    FUZZ_ASSERT (core_config_check (&config, NULL, 0) == 0);
    cluster_destroy (&cluster);
    return 0;
}
