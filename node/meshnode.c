/*  meshnode: one member of an incidentmesh cluster.

    meshnode --cluster FILE --key SECRET_KEY_FILE --data DIR [--id ID]
             [--metrics HOST:PORT] [--verbose]

    Exit codes: 0 after a clean stop (SIGTERM/SIGINT), 1 on a runtime
    failure (state could not be persisted), 2 on bad flags or files, with
    nothing started.
*/
#define _POSIX_C_SOURCE 200809L
#include "node.h"
#include "core.h"
#include "number.h"
#include <stdlib.h>
#include <czmq.h>
#include <getopt.h>
#include <stdio.h>

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: meshnode --cluster FILE --key SECRET_KEY_FILE --data DIR [options]\n"
        "\n"
        "Runs one member of an incidentmesh cluster: elects and follows one leader,\n"
        "publishes a signed heartbeat every interval, serves metrics.\n"
        "\n"
        "  --cluster FILE     the cluster file (ZPL), the same on every host\n"
        "  --key FILE         this member's secret key (mode 0600; meshctl keygen)\n"
        "  --id ID            this member's id in the cluster file (default: the\n"
        "                     member whose public_key matches --key)\n"
        "  --data DIR         durable state: term, vote, incarnation (created 0700)\n"
        "  --metrics H:P      serve Prometheus metrics on H:P (overrides the cluster\n"
        "                     file's members/ID/metrics; \"\" turns them off)\n"
        "  --compact-every N  applied entries between snapshots of the capacity map\n"
        "                     (default 10000; smaller keeps the log short and sends\n"
        "                     lagging members snapshots sooner)\n"
        "  --verbose          log every message sent\n"
        "  --help             this text\n"
        "\n"
        "SIGTERM or SIGINT: a leader hands over to an up-to-date peer, then exits 0.\n"
        "Exit codes: 0 clean stop, 1 runtime failure, 2 bad flags or files.\n");
}

int
main (int argc, char *argv [])
{
    node_options_t options = { 0 };
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "id",      required_argument, NULL, 'i' },
        { "key",     required_argument, NULL, 'k' },
        { "data",    required_argument, NULL, 'd' },
        { "metrics", required_argument, NULL, 'm' },
        { "compact-every", required_argument, NULL, 'C' },
        { "verbose", no_argument,       NULL, 'v' },
        { "help",    no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': options.cluster_path = optarg; break;
            case 'i': options.id = optarg; break;
            case 'k': options.key_path = optarg; break;
            case 'd': options.data_dir = optarg; break;
            case 'm': options.metrics = optarg; break;
            case 'C': {
                uint64_t n;
                if (number_parse_uint (optarg, 10, CORE_LOG_WINDOW - 4096, &n)) {
                    fprintf (stderr, "meshnode: --compact-every must be 10..%d, not '%s'\n",
                             CORE_LOG_WINDOW - 4096, optarg);
                    return 2;
                }
                options.compact_every = n;
                break;
            }
            case 'v': options.verbose = true; break;
            case 'h': s_usage (stdout); return 0;
            case ':':
                fprintf (stderr, "meshnode: %s needs a value\n", argv [optind - 1]);
                return 2;
            default:
                fprintf (stderr, "meshnode: unknown option %s (see --help)\n", argv [optind - 1]);
                return 2;
        }
    }
    if (optind < argc) {
        fprintf (stderr, "meshnode: unexpected argument '%s' (see --help)\n", argv [optind]);
        return 2;
    }
    const char *missing = !options.cluster_path ? "--cluster"
                        : !options.key_path ? "--key" : !options.data_dir ? "--data" : NULL;
    if (missing) {
        fprintf (stderr, "meshnode: %s is required (see --help)\n", missing);
        return 2;
    }
    //  We install our own SIGINT/SIGTERM handling in node_run.
    zsys_handler_set (NULL);
    zsys_set_logident ("meshnode");
    char err [NODE_ERROR_MAX];
    node_t *node = node_new (&options, err, sizeof err);
    if (!node) {
        fprintf (stderr, "meshnode: %s\n", err);
        return 2;
    }
    int rc = node_run (node);
    node_destroy (&node);
    return rc;
}
