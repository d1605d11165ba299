/*  meshsim: the deterministic simulator's command line.

    meshsim [--seed N]                 one schedule (also SEED=N in the environment)
    meshsim --schedules N [--seed S]   sweep seeds S..S+N-1 (S defaults to 1)
    meshsim --stability-hour           one simulated hour per cluster shape
    meshsim --determinism N [--seed S] run seeds twice in this process, compare
    meshsim --scenario stale-prevote   a directed scenario (docs/SIMULATION.md,
    meshsim --scenario figure8         (Raft figure 8; with --expect under a control)
                                       "Findings"); exits 1 if it reproduces

    Options:
      --trace               print every event of a single schedule
      --control NAME[,NAME] switch protections off (meshsim_unsafe only):
                            no-prevote no-check-quorum long-lease quorum-third
                            no-persist count-entries lower-term-wins
                            commit-no-quorum no-up-to-date commit-old-term
      --expect PROPERTY     sweep until a schedule violates PROPERTY; succeed
                            then, fail if none does (negative controls)
      --k K                 liveness bound in election timeouts (default 20)
      --lease-pct P         the long-lease control's lease, in % of T (150)
      --without KIND[,KIND] never inject these fault kinds (names as in the
                            report's "faults:" line), or "late" for no late
                            delivery: shows which fault a control needs
      --shape N             with --stability-hour: only cluster shape N (0-11)
      --samples FILE        append each failover time (default timing) to FILE
      --progress            a line on stderr every 1,000 schedules

    Exit status: 0 when the outcome is the expected one (no violation, or
    the expected one found), 1 otherwise, 2 on bad usage. Output is a
    function of the arguments only: no wall clock, no addresses.
*/
#include "sim.h"
#include "sim_stats.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    uint32_t flag;
} control_t;

static const control_t s_controls [] = {
    { "no-prevote",       CORE_UNSAFE_NO_PREVOTE },
    { "no-check-quorum",  CORE_UNSAFE_NO_CHECK_QUORUM },
    { "long-lease",       CORE_UNSAFE_LONG_LEASE },
    { "quorum-third",     CORE_UNSAFE_QUORUM_THIRD },
    { "no-persist",       CORE_UNSAFE_NO_PERSIST },
    { "count-entries",    CORE_UNSAFE_COUNT_ENTRIES },
    { "lower-term-wins",  CORE_UNSAFE_LOWER_TERM_WINS },
    { "commit-no-quorum", CORE_UNSAFE_COMMIT_NO_QUORUM },
    { "no-up-to-date",    CORE_UNSAFE_NO_UP_TO_DATE },
    { "commit-old-term",  CORE_UNSAFE_COMMIT_OLD_TERM },
};
#define CONTROLS (sizeof (s_controls) / sizeof (s_controls [0]))

typedef struct {
    const char *program;        //  argv[0], for replay lines
    uint64_t seed;              //  --seed, else SEED, else 1
    uint64_t schedules;         //  0: a single schedule
    bool trace;
    bool stability_hour;
    uint64_t determinism;
    const char *controls;       //  As given, for replay lines
    uint32_t unsafe_controls;
    int expect;                 //  fixture_property_t, or -1
    uint32_t k;
    uint32_t lease_pct;
    const char *samples;
    bool progress;
    const char *without_list;   //  As given, for replay lines
    uint32_t without;
    bool without_late;
    int shape;                  //  -1: every shape
    const char *scenario;       //  A directed scenario, or NULL
} args_t;

//  Totals over a sweep.
typedef struct {
    uint64_t schedules;
    uint64_t events;
    uint64_t sim_ms;
    uint64_t failed;            //  Schedules with a violation
    uint64_t writes_proposed;   //  Client writes a leader appended
    uint64_t writes_acked;      //  ... and acknowledged
    uint64_t by_property [FIXTURE_PROPERTIES];
    uint64_t faults [SIM_FAULTS];
    uint64_t by_size [10];
    uint64_t weighted;
    uint64_t default_timing;
    uint64_t hash;              //  Of every schedule's hash, in order
    sim_stats_t recovery;
    sim_stats_t recovery_t;     //  In hundredths of the cluster's T
    sim_stats_t failover;
    sim_stats_t failover_by_size [10];
} totals_t;

static int
s_usage (const char *why)
{
    fprintf (stderr, "meshsim: %s (see the comment at the top of tests/sim/meshsim.c)\n", why);
    return 2;
}

static int
s_parse_controls (args_t *args, const char *list)
{
    char copy [256];
    snprintf (copy, sizeof (copy), "%s", list);
    for (char *name = strtok (copy, ","); name; name = strtok (NULL, ",")) {
        size_t c = 0;
        while (c < CONTROLS && strcmp (s_controls [c].name, name))
            c++;
        if (c == CONTROLS)
            return -1;
        args->unsafe_controls |= s_controls [c].flag;
    }
    args->controls = list;
    return 0;
}

static int
s_parse_without (args_t *args, const char *list)
{
    char copy [256];
    snprintf (copy, sizeof (copy), "%s", list);
    for (char *name = strtok (copy, ","); name; name = strtok (NULL, ",")) {
        int kind = sim_fault_lookup (name);
        if (!strcmp (name, "late"))
            args->without_late = true;
        else
        if (kind < 0)
            return -1;
        else
            args->without |= 1u << kind;
    }
    args->without_list = list;
    return 0;
}

static int
s_parse (args_t *args, int argc, char **argv)
{
    memset (args, 0, sizeof (*args));
    args->program = argv [0];
    args->expect = -1;
    args->shape = -1;
    args->k = SIM_K_DEFAULT;
    args->lease_pct = SIM_LONG_LEASE_PCT;
    args->seed = 1;
    const char *env = getenv ("SEED");
    if (env && *env)
        args->seed = strtoull (env, NULL, 10);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        const char *value = i + 1 < argc ? argv [i + 1] : NULL;
        if (!strcmp (arg, "--trace")) {
            args->trace = true;
            continue;
        }
        if (!strcmp (arg, "--stability-hour")) {
            args->stability_hour = true;
            continue;
        }
        if (!strcmp (arg, "--progress")) {
            args->progress = true;
            continue;
        }
        //  Every other option takes a value.
        if (!value)
            return s_usage ("missing value");
        if (!strcmp (arg, "--seed"))
            args->seed = strtoull (value, NULL, 10);
        else
        if (!strcmp (arg, "--schedules"))
            args->schedules = strtoull (value, NULL, 10);
        else
        if (!strcmp (arg, "--determinism"))
            args->determinism = strtoull (value, NULL, 10);
        else
        if (!strcmp (arg, "--control")) {
            if (s_parse_controls (args, value))
                return s_usage ("unknown control");
        }
        else
        if (!strcmp (arg, "--expect")) {
            args->expect = fixture_property_lookup (value);
            if (args->expect < 0)
                return s_usage ("unknown property");
        }
        else
        if (!strcmp (arg, "--k"))
            args->k = (uint32_t) strtoul (value, NULL, 10);
        else
        if (!strcmp (arg, "--lease-pct"))
            args->lease_pct = (uint32_t) strtoul (value, NULL, 10);
        else
        if (!strcmp (arg, "--samples"))
            args->samples = value;
        else
        if (!strcmp (arg, "--without")) {
            if (s_parse_without (args, value))
                return s_usage ("unknown fault kind");
        }
        else
        if (!strcmp (arg, "--shape"))
            args->shape = atoi (value);
        else
        if (!strcmp (arg, "--scenario"))
            args->scenario = value;
        else
            return s_usage ("unknown option");
        i++;
    }
    if (args->k == 0)
        return s_usage ("--k must be at least 1");
    return 0;
}

static void
s_config (const args_t *args, uint64_t seed, sim_config_t *config)
{
    sim_config_defaults (config, seed);
    config->unsafe_controls = args->unsafe_controls;
    config->lease_pct = args->lease_pct;
    config->k = args->k;
    config->without = args->without;
    config->without_late = args->without_late;
}

//  The command that replays this seed with every event printed (shape >= 0:
//  one shape of the stability hour).
static void
s_print_replay (const args_t *args, uint64_t seed, int shape)
{
    printf ("  replay: SEED=%" PRIu64 " %s", seed, args->program);
    if (shape >= 0)
        printf (" --stability-hour --shape %d", shape);
    if (args->without_list)
        printf (" --without %s", args->without_list);
    if (args->controls)
        printf (" --control %s", args->controls);
    if (args->k != SIM_K_DEFAULT)
        printf (" --k %u", args->k);
    if (args->lease_pct != SIM_LONG_LEASE_PCT)
        printf (" --lease-pct %u", args->lease_pct);
    printf (" --trace\n");
}

static void
s_print_properties (uint32_t violated)
{
    for (int p = 0; p < FIXTURE_PROPERTIES; p++)
        if (violated & (1u << p))
            printf (" %s", fixture_property_name ((fixture_property_t) p));
}

//  --------------------------------------------------------------------------
//  One schedule

static int
s_single (const args_t *args)
{
    sim_config_t config;
    s_config (args, args->seed, &config);
    config.trace = args->trace ? stdout : NULL;
    sim_result_t result;
    if (sim_run (&config, &result))
        return s_usage ("cannot build that cluster (a control in the safe build?)");
    printf ("seed %" PRIu64 ": %u nodes%s, %u faults, %" PRIu64 " events, %" PRIu64
            " ms simulated, recovery %" PRId64 " ms, failover %" PRId64 " ms, hash %016" PRIx64 "\n",
            args->seed, result.nodes, result.weighted ? " weighted" : "", result.faults,
            result.events, result.sim_ms, result.recovery_ms, result.failover_ms, result.hash);
    if (!result.violated) {
        printf ("seed %" PRIu64 ": no violation\n", args->seed);
        return args->expect >= 0 ? 1 : 0;
    }
    printf ("seed %" PRIu64 ": VIOLATION %s\n  violated:", args->seed, result.text);
    s_print_properties (result.violated);
    printf ("\n");
    if (!args->trace)
        s_print_replay (args, args->seed, -1);
    if (args->expect >= 0)
        return (result.violated & (1u << args->expect)) ? 0 : 1;
    return 1;
}

//  --------------------------------------------------------------------------
//  The sweep

static void
s_totals_init (totals_t *t)
{
    memset (t, 0, sizeof (*t));
    sim_stats_init (&t->recovery);
    sim_stats_init (&t->recovery_t);
    sim_stats_init (&t->failover);
    for (int n = 0; n < 10; n++)
        sim_stats_init (&t->failover_by_size [n]);
}

static void
s_totals_clear (totals_t *t)
{
    sim_stats_clear (&t->recovery);
    sim_stats_clear (&t->recovery_t);
    sim_stats_clear (&t->failover);
    for (int n = 0; n < 10; n++)
        sim_stats_clear (&t->failover_by_size [n]);
}

static void
s_totals_add (totals_t *t, const sim_result_t *r, FILE *samples)
{
    t->schedules++;
    t->events += r->events;
    t->sim_ms += r->sim_ms;
    t->failed += r->violated != 0;
    t->writes_proposed += r->writes_proposed;
    t->writes_acked += r->writes_acked;
    for (int p = 0; p < FIXTURE_PROPERTIES; p++)
        t->by_property [p] += (r->violated >> p) & 1;
    for (int k = 0; k < SIM_FAULTS; k++)
        t->faults [k] += r->fault_counts [k];
    t->by_size [r->nodes]++;
    t->weighted += r->weighted;
    t->default_timing += r->default_timing;
    t->hash = (t->hash ^ r->hash) * 0x100000001B3ULL;
    if (r->recovery_ms >= 0) {
        sim_stats_add (&t->recovery, r->recovery_ms);
        sim_stats_add (&t->recovery_t, r->recovery_ms * 100 / (int64_t) r->election_timeout_ms);
    }
    if (r->failover_ms >= 0 && r->default_timing) {
        sim_stats_add (&t->failover, r->failover_ms);
        sim_stats_add (&t->failover_by_size [r->nodes], r->failover_ms);
        if (samples)
            fprintf (samples, "%u %" PRId64 "\n", r->nodes, r->failover_ms);
    }
}

static void
s_totals_print (totals_t *t, const args_t *args, uint64_t first)
{
    printf ("meshsim: schedules %" PRIu64 " (seeds %" PRIu64 "..%" PRIu64 ") events %" PRIu64
            " simulated-hours %.2f violations %" PRIu64 "\n",
            t->schedules, first, first + t->schedules - 1, t->events,
            (double) t->sim_ms / 3600000.0, t->failed);
    printf ("writes: proposed %" PRIu64 ", acknowledged %" PRIu64 " (each checked still at its "
            "index on every node that applied that far)\n", t->writes_proposed, t->writes_acked);
    printf ("clusters: size");
    for (int n = 1; n <= 9; n++)
        printf (" %d:%" PRIu64, n, t->by_size [n]);
    printf (", weighted %" PRIu64 ", default timing %" PRIu64 "\n", t->weighted, t->default_timing);
    printf ("faults:");
    for (int k = 0; k < SIM_FAULTS; k++)
        printf (" %s %" PRIu64, sim_fault_name ((sim_fault_t) k), t->faults [k]);
    printf ("\n");
    if (t->failed) {
        printf ("violations by property:");
        for (int p = 0; p < FIXTURE_PROPERTIES; p++)
            if (t->by_property [p])
                printf (" %s %" PRIu64, fixture_property_name ((fixture_property_t) p), t->by_property [p]);
        printf ("\n");
    }
    char label [160];
    snprintf (label, sizeof (label), "recovery (faults stop -> agreed leader with lease; bound K=%u T)",
              args->k);
    sim_stats_print (&t->recovery, stdout, label, "ms");
    sim_stats_print (&t->recovery_t, stdout, "recovery in hundredths of the cluster's T", "/100 T");
    sim_stats_print (&t->failover, stdout,
                     "failover (leader crash -> new leader with valid lease; default timing)", "ms");
    for (int n = 2; n <= 9; n++)
        if (t->failover_by_size [n].count) {
            snprintf (label, sizeof (label), "  %d nodes", n);
            sim_stats_print (&t->failover_by_size [n], stdout, label, "ms");
        }
    sim_stats_histogram (&t->failover, stdout, 50);
    printf ("sweep hash %016" PRIx64 "\n", t->hash);
}

static int
s_sweep (const args_t *args)
{
    totals_t totals;
    s_totals_init (&totals);
    FILE *samples = args->samples ? fopen (args->samples, "a") : NULL;
    if (args->samples && !samples)
        return s_usage ("cannot open the samples file");
    uint64_t first = args->seed;
    int64_t caught = -1;
    for (uint64_t s = 0; s < args->schedules; s++) {
        uint64_t seed = first + s;
        sim_config_t config;
        s_config (args, seed, &config);
        sim_result_t result;
        if (sim_run (&config, &result)) {
            s_totals_clear (&totals);
            return s_usage ("cannot build that cluster (a control in the safe build?)");
        }
        s_totals_add (&totals, &result, samples);
        if (result.violated && args->expect < 0) {
            printf ("FAIL seed %" PRIu64 " (%u nodes%s): %s\n", seed, result.nodes,
                    result.weighted ? " weighted" : "", result.text);
            s_print_replay (args, seed, -1);
        }
        if (args->expect >= 0 && (result.violated & (1u << args->expect))) {
            caught = (int64_t) seed;
            printf ("caught %s at seed %" PRIu64 " after %" PRIu64 " schedule(s): %s\n  violated:",
                    fixture_property_name ((fixture_property_t) args->expect), seed, s + 1,
                    result.property_text [args->expect]);
            s_print_properties (result.violated);
            printf ("\n");
            s_print_replay (args, seed, -1);
            break;
        }
        if (args->progress && (s + 1) % 1000 == 0)
            fprintf (stderr, "meshsim: %" PRIu64 " schedules, %" PRIu64 " events, %" PRIu64
                     " failed\n", s + 1, totals.events, totals.failed);
    }
    s_totals_print (&totals, args, first);
    if (samples)
        fclose (samples);
    s_totals_clear (&totals);
    if (args->expect >= 0) {
        if (caught < 0)
            printf ("NOT CAUGHT: no schedule violated %s\n",
                    fixture_property_name ((fixture_property_t) args->expect));
        return caught < 0 ? 1 : 0;
    }
    return totals.failed ? 1 : 0;
}

//  --------------------------------------------------------------------------
//  The stability hour

static int
s_stability_hour (const args_t *args)
{
    static const uint32_t weighted [3][9] = {
        { 3, 1, 1, 1, 1 },
        { 2, 2, 1, 1, 0, 0, 1 },
        { 4, 1, 1, 1, 1, 1, 1, 1, 1 },
    };
    static const uint32_t weighted_size [3] = { 5, 7, 9 };
    int status = 0;
    uint32_t caught = 0, runs = 0;
    uint64_t events = 0, sim_ms = 0;
    for (uint32_t shape = 0; shape < 12; shape++) {
        if (args->shape >= 0 && shape != (uint32_t) args->shape)
            continue;
        uint32_t nodes = shape < 9 ? shape + 1 : weighted_size [shape - 9];
        const uint32_t *weights = shape < 9 ? NULL : weighted [shape - 9];
        sim_config_t config;
        s_config (args, args->seed + shape, &config);
        config.trace = args->trace ? stdout : NULL;
        sim_result_t result;
        if (sim_stability_hour (&config, nodes, weights, &result))
            return s_usage ("cannot build that cluster (a control in the safe build?)");
        runs++;
        events += result.events;
        sim_ms += result.sim_ms;
        printf ("stability hour, shape %u: %u nodes%s (seed %" PRIu64 "): %" PRIu64 " events, %" PRIu64
                " ms, leader after %" PRId64 " ms: %s\n", shape, nodes, weights ? " weighted" : "",
                config.seed, result.events, result.sim_ms, result.recovery_ms,
                result.violated ? result.text : "no leader change, no term increase");
        if (result.violated) {
            status = 1;
            if (!args->trace)
                s_print_replay (args, args->seed, (int) shape);
        }
        if (args->expect >= 0 && (result.violated & (1u << args->expect)))
            caught++;
    }
    printf ("meshsim: stability hours %u, events %" PRIu64 ", simulated-hours %.2f, %s\n", runs,
            events, (double) sim_ms / 3600000.0, status ? "VIOLATIONS" : "no violations");
    if (args->expect >= 0) {
        printf ("%s %s in %u of %u shapes\n", caught ? "caught" : "NOT CAUGHT:",
                fixture_property_name ((fixture_property_t) args->expect), caught, runs);
        return caught ? 0 : 1;
    }
    return status;
}

//  --------------------------------------------------------------------------
//  Determinism: the same seed twice in one process gives the same trace,
//  byte for byte, and the same hash.

static long
s_traced_run (const args_t *args, uint64_t seed, FILE *trace, sim_result_t *result)
{
    sim_config_t config;
    s_config (args, seed, &config);
    config.trace = trace;
    if (sim_run (&config, result))
        return -1;
    fflush (trace);
    return ftell (trace);
}

static bool
s_same_file (FILE *a, FILE *b)
{
    rewind (a);
    rewind (b);
    int x, y;
    do {
        x = fgetc (a);
        y = fgetc (b);
    } while (x == y && x != EOF);
    return x == y;
}

static int
s_determinism (const args_t *args)
{
    int status = 0;
    for (uint64_t s = 0; s < args->determinism; s++) {
        uint64_t seed = args->seed + s;
        FILE *one = tmpfile ();
        FILE *two = tmpfile ();
        if (!one || !two)
            return s_usage ("cannot create temporary files");
        sim_result_t first, second;
        long size_one = s_traced_run (args, seed, one, &first);
        long size_two = s_traced_run (args, seed, two, &second);
        bool same = size_one > 0 && size_one == size_two && first.hash == second.hash
                 && first.events == second.events && s_same_file (one, two);
        printf ("seed %" PRIu64 ": trace %ld bytes, %" PRIu64 " events, hash %016" PRIx64 ": %s\n",
                seed, size_one, first.events, first.hash, same ? "replays identically" : "DIFFERS");
        if (!same)
            status = 1;
        fclose (one);
        fclose (two);
    }
    return status;
}

static int
s_scenario (const args_t *args)
{
    bool figure8 = !strcmp (args->scenario, "figure8");
    if (strcmp (args->scenario, "stale-prevote") && !figure8)
        return s_usage ("unknown scenario");
    sim_config_t config;
    s_config (args, args->seed, &config);
    config.trace = args->trace ? stdout : NULL;
    sim_result_t result;
    if (figure8) {
        if (sim_scenario_figure8 (&config, &result))
            return s_usage ("cannot build that cluster");
        printf ("scenario figure8, seed %" PRIu64 ": %" PRIu64 " events, staging: %s; %s\n",
                args->seed, result.events, result.property_text [0],
                result.violated ? result.text : "no violation");
        if (args->expect >= 0)
            return (result.violated & (1u << args->expect)) ? 0 : 1;
        return result.violated ? 1 : 0;
    }
    if (sim_scenario_stale_prevote (&config, &result))
        return s_usage ("cannot build that cluster");
    printf ("scenario stale-prevote, seed %" PRIu64 ": %" PRIu64 " events, hash %016" PRIx64 ": %s\n",
            args->seed, result.events, result.hash,
            result.violated ? result.text : "no term increase, no leader change");
    if (result.violated && !args->trace)
        printf ("  replay: SEED=%" PRIu64 " %s --scenario stale-prevote --trace\n", args->seed,
                args->program);
    return result.violated ? 1 : 0;
}

int
main (int argc, char **argv)
{
    args_t args;
    int rc = s_parse (&args, argc, argv);
    if (rc)
        return rc;
    if (args.scenario)
        return s_scenario (&args);
    if (args.determinism)
        return s_determinism (&args);
    if (args.stability_hour)
        return s_stability_hour (&args);
    if (args.schedules)
        return s_sweep (&args);
    return s_single (&args);
}
