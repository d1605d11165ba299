/*  kvclient: one client of the nemesis's workload. It runs put, get, cas
    and del on a few keys for a while, through the client library (the
    same code a dispatch service links), and writes the history the
    linearizability checker reads (tests/cluster/linearizability.py): one
    JSON line per operation with its invocation and completion times on
    CLOCK_MONOTONIC (shared by every process of the host) and its outcome.

    kvclient --cluster FILE --as CLIENT --key SECRET --number N
             [--keys K] [--duration-ms MS] [--seed S] [--timeout-ms MS]
             [--pace-ms MS]

    --pace-ms: a pause of 0..2 MS (uniform) between operations, so that a
    few clients keep a steady load rather than saturating the host.

    Outcomes as the checker reads them: "ok" (done, with the version the
    node gave), "fail" (certainly not done: a cas whose version did not
    match, with the current version; or no leader answered and nothing was
    sent where it could take effect), "unknown" (a write sent without an
    answer in time: it may take effect later; complete_ms is null). Values
    are unique per client and operation ("c<N>-<count>"), so a read names
    the write it saw.

    Exit 0 after the duration or on SIGTERM/SIGINT (the operation under
    way is finished and recorded first); 2 on bad arguments or files.
*/
#define _POSIX_C_SOURCE 200809L
#include "client.h"
#include "cluster.h"
#include "rng.h"
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

static int
s_usage (const char *why)
{
    fprintf (stderr, "kvclient: %s\nusage: kvclient --cluster FILE --as CLIENT --key SECRET "
             "--number N [--keys K] [--duration-ms MS] [--seed S] [--timeout-ms MS] [--pace-ms MS]\n", why);
    return 2;
}

//  The value, printable: values here are always our own ASCII strings.
static void
s_value (FILE *out, const uint8_t *value, size_t size)
{
    fputc ('"', out);
    for (size_t i = 0; i < size; i++)
        fputc (value [i] >= 32 && value [i] < 127 && value [i] != '"' && value [i] != '\\'
               ? value [i] : '?', out);
    fputc ('"', out);
}

int
main (int argc, char *argv [])
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "as", required_argument, NULL, 'a' },
        { "key", required_argument, NULL, 'k' },
        { "number", required_argument, NULL, 'n' },
        { "keys", required_argument, NULL, 'K' },
        { "duration-ms", required_argument, NULL, 'd' },
        { "seed", required_argument, NULL, 's' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "pace-ms", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 }
    };
    const char *cluster_path = NULL, *as = NULL, *key_path = NULL;
    long number = -1, keys = 3, duration = 10000, seed = 1, timeout = 1500, pace = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (option) {
            case 'c': cluster_path = optarg; break;
            case 'a': as = optarg; break;
            case 'k': key_path = optarg; break;
            case 'n': number = strtol (optarg, &end, 10); break;
            case 'K': keys = strtol (optarg, &end, 10); break;
            case 'd': duration = strtol (optarg, &end, 10); break;
            case 's': seed = strtol (optarg, &end, 10); break;
            case 't': timeout = strtol (optarg, &end, 10); break;
            case 'p': pace = strtol (optarg, &end, 10); break;
            default:  return s_usage ("unknown option or missing value");
        }
        if (end && *end)
            return s_usage ("a number is expected");
    }
    if (!cluster_path || !as || !key_path || number < 0 || keys < 1 || keys > 100
    ||  duration < 1 || timeout < 1 || pace < 0 || pace > 60000 || optind != argc)
        return s_usage ("missing or bad arguments");
    zsys_init ();
    zsys_set_logident ("kvclient");
    char err [512];
    cluster_t *cluster = cluster_load (cluster_path, err, sizeof err);
    if (!cluster)
        return s_usage (err);
    client_t *client = client_new (cluster, as, key_path, err, sizeof err);
    if (!client) {
        cluster_destroy (&cluster);
        return s_usage (err);
    }
    rng_t rng;
    rng_seed (&rng, (uint64_t) seed * 7919 + (uint64_t) number);
    uint64_t seen [100] = { 0 };        //  Version each key last had, as we saw it
    double until = s_mono_ms () + (double) duration;
    uint64_t count = 0;
    client_result_t result;
    //  Until the duration is over or we are told to stop (SIGTERM/SIGINT:
    //  czmq's handler sets zsys_interrupted; the call under way returns)
    while (s_mono_ms () < until && !zsys_interrupted) {
        char key [64], value [64];
        uint32_t k = (uint32_t) rng_below (&rng, (uint64_t) keys);
        snprintf (key, sizeof key, "nemesis/k%u", k);
        snprintf (value, sizeof value, "c%ld-%" PRIu64, number, ++count);
        uint64_t roll = rng_below (&rng, 100);
        const char *op = roll < 35 ? "put" : roll < 75 ? "get" : roll < 95 ? "cas" : "del";
        uint64_t expected = seen [k];
        double invoke = s_mono_ms ();
        int rc;
        if (!strcmp (op, "put"))
            rc = client_put (client, key, value, strlen (value), (uint64_t) timeout, &result);
        else
        if (!strcmp (op, "get"))
            rc = client_get (client, key, (uint64_t) timeout, &result);
        else
        if (!strcmp (op, "cas"))
            rc = client_cas (client, key, expected, value, strlen (value), (uint64_t) timeout, &result);
        else
            rc = client_del (client, key, 0, (uint64_t) timeout, &result);
        double complete = s_mono_ms ();
        bool write = strcmp (op, "get") != 0;
        const char *outcome = "fail";
        if (rc == CLIENT_E_UNKNOWN)
            outcome = "unknown";
        else
        if (rc == 0 && (result.outcome == CLIENT_OK
                        || (!strcmp (op, "get") && result.outcome == CLIENT_NOT_FOUND)
                        || (!strcmp (op, "del") && result.outcome == CLIENT_NOT_FOUND)))
            outcome = "ok";
        printf ("{\"client\":%ld,\"op\":\"%s\",\"key\":\"%s\"", number, op, key);
        if (!strcmp (op, "put") || !strcmp (op, "cas")) {
            printf (",\"value\":");
            s_value (stdout, (const uint8_t *) value, strlen (value));
        }
        if (!strcmp (op, "cas"))
            printf (",\"expected_version\":%" PRIu64, expected);
        printf (",\"invoke_ms\":%.3f,\"complete_ms\":", invoke);
        if (!strcmp (outcome, "unknown"))
            printf ("null");
        else
            printf ("%.3f", complete);
        printf (",\"outcome\":\"%s\",\"result\":{", outcome);
        if (!strcmp (outcome, "ok")) {
            if (!strcmp (op, "get")) {
                printf ("\"value\":");
                if (result.has_value && result.outcome == CLIENT_OK)
                    s_value (stdout, result.value, result.value_size);
                else
                    printf ("null");
                printf (",\"version\":%" PRIu64, result.outcome == CLIENT_OK ? result.version : 0);
            }
            else
            if (!strcmp (op, "del"))
                printf ("\"existed\":%s", result.outcome == CLIENT_OK ? "true" : "false");
            else
                printf ("\"version\":%" PRIu64, result.version);
        }
        else
        if (!strcmp (op, "cas") && rc == 0 && result.outcome == CLIENT_CAS_FAILED)
            printf ("\"current_version\":%" PRIu64, result.version);
        printf ("},\"term\":%" PRIu64 ",\"index\":%" PRIu64 ",\"detail\":\"%s\"}\n",
                result.term, result.index, rc == 0 ? client_outcome_name (result.outcome) : "");
        fflush (stdout);
        //  What we learnt of the key's version, for the next cas
        if (rc == 0 && (result.outcome == CLIENT_OK || result.outcome == CLIENT_CAS_FAILED))
            seen [k] = !strcmp (op, "del") ? 0 : result.version;
        else
        if (rc == 0 && result.outcome == CLIENT_NOT_FOUND)
            seen [k] = 0;
        (void) write;
        if (pace)
            zclock_sleep ((int) rng_below (&rng, (uint64_t) (2 * pace + 1)));
    }
    client_destroy (&client);
    cluster_destroy (&cluster);
    return 0;
}
