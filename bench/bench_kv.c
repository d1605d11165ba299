/*  bench_kv: committed writes per second and write latency of a running
    cluster, through the client library (the code a dispatch service links).

    bench_kv --cluster FILE --key-dir DIR --clients N --seconds S
             [--keys K] [--value-bytes B] [--timeout-ms MS] [--json]

    N threads, each with its own client object and client id (ops, ops2 ..
    opsN: the ids `meshctl cluster-init --clients N` writes, with their
    secret keys in DIR/<id>.secret), each doing sequential puts of a B-byte
    value (default 64) on K keys (default 100; bench/k0 .. bench/k<K-1>)
    for S seconds. A put's latency is CLOCK_MONOTONIC from the call to its
    return with outcome ok: the leader answers once the write's log entry
    is committed (on a majority's disk, fsynced) and applied.

    Before the clock starts, every thread creates its client and does one
    put that is not counted (connections made, the leader found); then all
    start together. Counted: acknowledged puts (outcome ok); unknown (sent,
    no answer in time); unavailable (no leader answered in time, or the
    leader had too many writes in flight); other failures (full,
    not-permitted, invalid). writes/s is acknowledged puts over the time
    from the common start until the last thread's last put returned.

    Prints one line:
      incidentmesh N nodes, C clients: W writes/s, p50 X ms, p99 Y ms,
      max Z ms (A acknowledged, U unknown, F failed)
    (F = unavailable + other), and with --json one JSON line more.

    Exit 0 after a run (whatever it measured), 1 if a client could not be
    created or its first put failed, 2 on bad arguments. A program that
    prints figures, not a test.
*/
#define _POSIX_C_SOURCE 200809L
#include "client.h"
#include "cluster.h"
#include <assert.h>
#include <czmq.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_CLIENTS_MAX       64          //  = cluster-init's --clients maximum
#define BENCH_KEYS_MAX          100000
#define BENCH_SECONDS_MAX       3600
#define BENCH_SAMPLES_MAX       (50u * 1000 * 1000)     //  Latencies kept per thread

//  What one thread does and measured
typedef struct {
    const cluster_t *cluster;           //  Shared, read only
    char client_id [CLIENT_ID_MAX + 1]; //  ops, ops2 ..
    char key_path [1024];               //  DIR/<id>.secret
    uint32_t number;                    //  0 .. N-1: where in the key space it starts
    uint32_t keys;                      //  K
    size_t value_bytes;                 //  B
    uint64_t timeout_ms;                //  Per put
    pthread_barrier_t *ready;           //  All clients made, first put done
    const double *start_ms;             //  Set by main between the two barriers
    const bool *abandon;                //  Set by main there if any thread broke
    pthread_barrier_t *go;
    double seconds;                     //  S
    //  Results
    bool broken;                        //  Could not create the client or warm it up
    char why [512];                     //  Why it broke
    double *latency_ms;                 //  Acknowledged puts' latencies
    size_t latency_count;
    size_t latency_room;
    uint64_t acknowledged;
    uint64_t unknown;
    uint64_t unavailable;
    uint64_t other;                     //  full, not-permitted, invalid, bad arguments
    double end_ms;                      //  When its last put returned
} worker_t;

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
    fprintf (stderr, "bench_kv: %s\nusage: bench_kv --cluster FILE --key-dir DIR --clients N "
             "--seconds S [--keys K] [--value-bytes B] [--timeout-ms MS] [--json]\n", why);
    return 2;
}

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y ? 1 : 0;
}

//  Nearest-rank percentile of sorted values (count > 0)
static double
s_percentile (const double *sorted, size_t count, double p)
{
    double rank = p / 100.0 * (double) count;
    size_t k = (size_t) rank;
    if ((double) k < rank)
        k++;                            //  ceil
    if (k < 1)
        k = 1;
    if (k > count)
        k = count;
    return sorted [k - 1];
}

static void
s_keep (worker_t *self, double latency)
{
    if (self->latency_count == self->latency_room) {
        if (self->latency_room >= BENCH_SAMPLES_MAX)
            return;                     //  Counted, not kept: a limit on everything
        size_t room = self->latency_room ? self->latency_room * 2 : 4096;
        double *grown = realloc (self->latency_ms, room * sizeof (double));
        if (!grown)
            return;
        self->latency_ms = grown;
        self->latency_room = room;
    }
    self->latency_ms [self->latency_count++] = latency;
}

static void *
s_worker (void *arg)
{
    worker_t *self = (worker_t *) arg;
    uint8_t value [CLIENT_VALUE_MAX];
    for (size_t i = 0; i < self->value_bytes; i++)
        value [i] = (uint8_t) ('a' + (self->number + i) % 26);
    char err [512] = "";
    client_result_t result;
    //  Made in its own thread: a client is not thread-safe, and its sockets
    //  belong to the thread that uses them.
    client_t *client = client_new (self->cluster, self->client_id, self->key_path,
                                   err, sizeof err);
    if (!client) {
        self->broken = true;
        snprintf (self->why, sizeof self->why, "%.32s: %.400s", self->client_id, err);
    }
    else {
        int rc = client_put (client, "bench/warmup", value, self->value_bytes,
                             self->timeout_ms, &result);
        if (rc != 0 || result.outcome != CLIENT_OK) {
            self->broken = true;
            snprintf (self->why, sizeof self->why, "%s: first put: %s %s", self->client_id,
                      client_outcome_name (result.outcome), result.detail);
        }
    }
    pthread_barrier_wait (self->ready);
    pthread_barrier_wait (self->go);    //  main has set *start_ms, or gives up
    if (!self->broken && !*self->abandon && !zsys_interrupted) {
        double until = *self->start_ms + self->seconds * 1000.0;
        uint64_t count = 0;
        while (!zsys_interrupted) {
            double invoke = s_mono_ms ();
            if (invoke >= until)
                break;
            char key [32];
            snprintf (key, sizeof key, "bench/k%" PRIu64,
                      (self->number + count++) % self->keys);
            //  Different bytes each time, so no layer could skip a no-op
            memcpy (value, &count, self->value_bytes < sizeof count ? self->value_bytes
                                                                    : sizeof count);
            int rc = client_put (client, key, value, self->value_bytes, self->timeout_ms,
                                 &result);
            double complete = s_mono_ms ();
            if (rc == 0 && result.outcome == CLIENT_OK) {
                self->acknowledged++;
                s_keep (self, complete - invoke);
            }
            else
            if (rc == CLIENT_E_UNKNOWN)
                self->unknown++;
            else
            if (rc == CLIENT_E_UNAVAILABLE)
                self->unavailable++;
            else
                self->other++;
        }
        self->end_ms = s_mono_ms ();
    }
    client_destroy (&client);
    return NULL;
}

int
main (int argc, char *argv [])
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "key-dir", required_argument, NULL, 'd' },
        { "clients", required_argument, NULL, 'n' },
        { "seconds", required_argument, NULL, 's' },
        { "keys", required_argument, NULL, 'k' },
        { "value-bytes", required_argument, NULL, 'b' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 }
    };
    const char *cluster_path = NULL, *key_dir = NULL;
    long clients = -1, keys = 100, value_bytes = 64, timeout = 5000;
    double seconds = -1;
    bool json = false;
    int option;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (option) {
            case 'c': cluster_path = optarg; break;
            case 'd': key_dir = optarg; break;
            case 'n': clients = strtol (optarg, &end, 10); break;
            case 's': seconds = strtod (optarg, &end); break;
            case 'k': keys = strtol (optarg, &end, 10); break;
            case 'b': value_bytes = strtol (optarg, &end, 10); break;
            case 't': timeout = strtol (optarg, &end, 10); break;
            case 'j': json = true; break;
            default:  return s_usage ("unknown option or missing value");
        }
        if (end && (*end || end == optarg))
            return s_usage ("a number is expected");
    }
    if (!cluster_path || !key_dir || optind != argc)
        return s_usage ("--cluster and --key-dir are required");
    if (clients < 1 || clients > BENCH_CLIENTS_MAX)
        return s_usage ("--clients must be 1..64");
    if (!(seconds > 0 && seconds <= BENCH_SECONDS_MAX))
        return s_usage ("--seconds must be more than 0, at most 3600");
    if (keys < 1 || keys > BENCH_KEYS_MAX)
        return s_usage ("--keys must be 1..100000");
    if (value_bytes < 0 || value_bytes > CLIENT_VALUE_MAX)
        return s_usage ("--value-bytes must be 0..256");
    if (timeout < 1 || timeout > CLIENT_TIMEOUT_MS_MAX)
        return s_usage ("--timeout-ms must be 1..3600000");

    zsys_init ();                       //  Once, before any thread makes sockets
    zsys_set_logident ("bench_kv");
    char err [512];
    cluster_t *cluster = cluster_load (cluster_path, err, sizeof err);
    if (!cluster)
        return s_usage (err);

    uint32_t n = (uint32_t) clients;
    worker_t *workers = calloc (n, sizeof (worker_t));
    pthread_t *threads = calloc (n, sizeof (pthread_t));
    assert (workers && threads);
    pthread_barrier_t ready, go;
    pthread_barrier_init (&ready, NULL, n + 1);
    pthread_barrier_init (&go, NULL, n + 1);
    double start_ms = 0;
    bool abandon = false;
    for (uint32_t k = 0; k < n; k++) {
        worker_t *w = &workers [k];
        w->cluster = cluster;
        if (k == 0)
            snprintf (w->client_id, sizeof w->client_id, "ops");
        else
            snprintf (w->client_id, sizeof w->client_id, "ops%u", k + 1);
        snprintf (w->key_path, sizeof w->key_path, "%s/%s.secret", key_dir, w->client_id);
        w->number = k;
        w->keys = (uint32_t) keys;
        w->value_bytes = (size_t) value_bytes;
        w->timeout_ms = (uint64_t) timeout;
        w->ready = &ready;
        w->go = &go;
        w->start_ms = &start_ms;
        w->abandon = &abandon;
        w->seconds = seconds;
        int rc = pthread_create (&threads [k], NULL, s_worker, w);
        assert (rc == 0);
        (void) rc;
    }
    pthread_barrier_wait (&ready);      //  Every client made and warmed up (or broken)
    for (uint32_t k = 0; k < n; k++)
        abandon = abandon || workers [k].broken;
    start_ms = s_mono_ms ();
    pthread_barrier_wait (&go);
    for (uint32_t k = 0; k < n; k++)
        pthread_join (threads [k], NULL);
    pthread_barrier_destroy (&ready);
    pthread_barrier_destroy (&go);

    int code = 0;
    uint64_t acknowledged = 0, unknown = 0, unavailable = 0, other = 0;
    size_t samples = 0;
    double end_ms = start_ms;
    for (uint32_t k = 0; k < n; k++) {
        worker_t *w = &workers [k];
        if (w->broken) {
            fprintf (stderr, "bench_kv: %s\n", w->why);
            code = 1;
        }
        acknowledged += w->acknowledged;
        unknown += w->unknown;
        unavailable += w->unavailable;
        other += w->other;
        samples += w->latency_count;
        if (w->end_ms > end_ms)
            end_ms = w->end_ms;
    }
    if (code == 0) {
        double *all = malloc ((samples ? samples : 1) * sizeof (double));
        assert (all);
        size_t at = 0;
        for (uint32_t k = 0; k < n; k++) {
            memcpy (all + at, workers [k].latency_ms, workers [k].latency_count * sizeof (double));
            at += workers [k].latency_count;
        }
        qsort (all, samples, sizeof (double), s_compare);
        double wall_s = (end_ms - start_ms) / 1000.0;
        double rate = wall_s > 0 ? (double) acknowledged / wall_s : 0;
        double p50 = samples ? s_percentile (all, samples, 50) : 0;
        double p99 = samples ? s_percentile (all, samples, 99) : 0;
        double max = samples ? all [samples - 1] : 0;
        double mean = 0;
        for (size_t i = 0; i < samples; i++)
            mean += all [i] / (double) samples;
        printf ("incidentmesh %u nodes, %u clients: %.0f writes/s, p50 %.2f ms, p99 %.2f ms, "
                "max %.2f ms (%" PRIu64 " acknowledged, %" PRIu64 " unknown, %" PRIu64 " failed)\n",
                cluster->member_count, n, rate, p50, p99, max, acknowledged, unknown,
                unavailable + other);
        if (json)
            printf ("{\"system\":\"incidentmesh\",\"nodes\":%u,\"clients\":%u,\"seconds\":%.3f,"
                    "\"keys\":%ld,\"value_bytes\":%ld,\"writes_per_s\":%.1f,\"p50_ms\":%.6f,"
                    "\"p99_ms\":%.6f,\"max_ms\":%.6f,\"mean_ms\":%.6f,\"acknowledged\":%" PRIu64
                    ",\"unknown\":%" PRIu64 ",\"unavailable\":%" PRIu64 ",\"other_failed\":%" PRIu64
                    ",\"latency_samples\":%zu}\n",
                    cluster->member_count, n, wall_s, keys, value_bytes, rate, p50, p99, max, mean,
                    acknowledged, unknown, unavailable, other, samples);
        fflush (stdout);
        free (all);
    }
    for (uint32_t k = 0; k < n; k++)
        free (workers [k].latency_ms);
    free (workers);
    free (threads);
    cluster_destroy (&cluster);
    return code;
}
