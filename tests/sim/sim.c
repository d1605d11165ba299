/*  sim: running one schedule, and the stability hour. See sim.h.

    The schedule's own decisions come from an rng seeded from the seed and a
    constant, the fixture's network from the seed itself, each core's
    timeouts from the seed and its node and boot: one number replays all.
*/
#include "sim.h"
#include "sim_cluster.h"
#include "rng.h"
#include <inttypes.h>
#include <string.h>

#define SIM_RNG_SALT    0xD1B54A32D192ED03ULL
#define SIM_CLIENT_SALT 0x8CB92BA72F3D8DD7ULL

//  A client: writes to whichever node believes it leads (as a dispatch
//  service that found the leader would), one every gap_min..gap_max ms,
//  from its own rng so that the schedule's decisions do not depend on it.
typedef struct {
    rng_t rng;
    uint64_t next_id;
    uint64_t next_ms;
    uint64_t gap_min_ms;
    uint64_t gap_max_ms;
    uint64_t proposed;
} sim_client_t;

static void
s_client_init (sim_client_t *client, uint64_t seed, uint64_t gap_min_ms, uint64_t gap_max_ms)
{
    memset (client, 0, sizeof (*client));
    rng_seed (&client->rng, seed ^ SIM_CLIENT_SALT);
    client->gap_min_ms = gap_min_ms;
    client->gap_max_ms = gap_max_ms;
}

//  Run the fixture for ms with the client writing meanwhile.
static void
s_run (fixture_t *f, sim_client_t *client, uint32_t nodes, uint64_t ms)
{
    uint64_t until = fixture_now (f) + ms;
    while (fixture_now (f) < until) {
        uint64_t next = client->next_ms < until ? client->next_ms : until;
        if (next > fixture_now (f))
            fixture_run_until (f, next);
        if (fixture_now (f) < client->next_ms)
            continue;
        client->next_ms = fixture_now (f) + client->gap_min_ms
                        + rng_below (&client->rng, client->gap_max_ms - client->gap_min_ms + 1);
        for (uint32_t i = 0; i < nodes; i++) {
            core_t *core = fixture_core (f, i);
            if (core && core_role (core) == CORE_LEADER && !fixture_blocked (f, i)) {
                if (fixture_propose (f, i, ++client->next_id) == 0)
                    client->proposed++;
                break;
            }
        }
    }
}

//  Every acknowledged write is still where it was acknowledged, on every
//  live node that has applied that far.
static void
s_check_writes (fixture_t *f, uint32_t nodes)
{
    for (uint32_t i = 0; i < nodes; i++)
        if (fixture_alive (f, i))
            fixture_check_acked (f, i);
}

void
sim_config_defaults (sim_config_t *config, uint64_t seed)
{
    memset (config, 0, sizeof (*config));
    config->seed = seed;
    config->lease_pct = SIM_LONG_LEASE_PCT;
    config->k = SIM_K_DEFAULT;
}

static void
s_note (fixture_t *f, const char *format, uint64_t a, uint64_t b)
{
    char text [200];
    snprintf (text, sizeof (text), format, a, b);
    fixture_trace_note (f, text);
}

//  Faults stop: every link back, pauses over, armed crashes cancelled,
//  crashed nodes restarted, a network without loss, duplicates or late
//  delivery, and a disk without stalls. Messages already in flight still arrive as scheduled.
static void
s_stop_faults (fixture_t *f, const sim_cluster_t *cluster)
{
    fixture_trace_note (f, "PHASE liveness: faults stop");
    fixture_end_faults (f);
    for (uint32_t i = 0; i < cluster->opts.nodes; i++)
        if (!fixture_alive (f, i))
            fixture_restart (f, i);
    fixture_set_network (f, cluster->healthy_latency_min_ms, cluster->healthy_latency_max_ms, 0, 0, 0);
    fixture_set_fsync (f, cluster->healthy_fsync_ms_max);
}

//  Liveness: an agreed leader with a valid lease within K T. Returns it, or -1.
static int
s_liveness (fixture_t *f, const sim_cluster_t *cluster, uint32_t k, int64_t *took_ms)
{
    uint64_t start = fixture_now (f);
    uint64_t bound = k * cluster->opts.election_timeout_ms;
    int leader = fixture_run_until_leader (f, bound);
    if (leader < 0) {
        char text [160];
        snprintf (text, sizeof (text), "no agreed leader with a valid lease within %u election "
                  "timeouts (%" PRIu64 " ms) after faults stopped", k, bound);
        fixture_flag (f, FIXTURE_LIVENESS, text);
        *took_ms = -1;
        return -1;
    }
    //  Its election may still wait for an fsync; what it has not yet told
    //  anyone does not count.
    while (fixture_blocked (f, (uint32_t) leader) && fixture_now (f) - start < bound)
        fixture_run_for (f, 1);
    *took_ms = (int64_t) (fixture_now (f) - start);
    s_note (f, "PHASE liveness: n%" PRIu64 " leads with a valid lease after %" PRIu64 " ms",
            (uint64_t) leader, (uint64_t) *took_ms);
    return leader;
}

//  Let the fault phase's after-effects pass before judging stability:
//  every message still in flight (some seconds late) has arrived, and two
//  election timeouts have gone by, so that no CheckQuorum window or
//  stickiness still reflects a fault. Then an agreed leader is required
//  again (liveness, same bound). Returns it, or -1.
static int
s_settle (fixture_t *f, const sim_cluster_t *cluster, uint32_t k)
{
    uint64_t t = cluster->opts.election_timeout_ms;
    fixture_run_until (f, fixture_quiet_at (f) + 2 * t);
    int64_t took;
    int leader = s_liveness (f, cluster, k, &took);
    fixture_trace_note (f, "PHASE stability: settled");
    return leader;
}

//  Same leader, same term, nobody newly elected since the reference point?
//  Files a violation of property otherwise.
static bool
s_unchanged (fixture_t *f, int leader, uint64_t term, uint32_t elected,
             fixture_property_t property, const char *when)
{
    int now_leader = fixture_agreed_leader (f);
    uint64_t now_term = fixture_max_term (f);
    uint32_t now_elected = fixture_leaders_elected (f);
    if (now_leader == leader && now_term == term && now_elected == elected)
        return true;
    char text [256];
    snprintf (text, sizeof (text), "%s: leader n%d -> %d, term %" PRIu64 " -> %" PRIu64
              ", %u new leader(s)", when, leader, now_leader, term, now_term, now_elected - elected);
    fixture_flag (f, property, text);
    return false;
}

//  A random set of followers whose absence leaves a weighted quorum with
//  the leader; 0 if there is none.
static uint64_t
s_minority (const sim_cluster_t *cluster, int leader, rng_t *rng)
{
    uint32_t n = cluster->opts.nodes;
    uint64_t all = (1ULL << n) - 1;
    uint64_t minority = 0;
    uint32_t start = (uint32_t) rng_below (rng, n);
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = (start + k) % n;
        uint64_t bit = 1ULL << i;
        if ((int) i == leader || (minority && rng_below (rng, 2)))
            continue;
        if (sim_cluster_is_quorum (cluster, all & ~(minority | bit)))
            minority |= bit;
    }
    return minority;
}

//  Cut a minority of followers off for cut_ms, heal, let them rejoin for
//  settle_ms; PreVote must keep their terms down and the leader in place.
static void
s_rejoin (fixture_t *f, const sim_cluster_t *cluster, int leader, rng_t *rng,
          uint64_t cut_ms, uint64_t settle_ms)
{
    uint64_t minority = s_minority (cluster, leader, rng);
    uint64_t term = fixture_max_term (f);
    uint32_t elected = fixture_leaders_elected (f);
    if (!minority) {
        //  One or two members, or one heavy one: nobody can be cut off
        //  without the leader losing its quorum. Time passes all the same.
        fixture_trace_note (f, "PHASE rejoin: no minority can be cut off");
        fixture_run_for (f, cut_ms + settle_ms);
        s_unchanged (f, leader, term, elected, FIXTURE_INSTABILITY, "a healthy network");
        return;
    }
    char text [160];
    int at = snprintf (text, sizeof (text), "PHASE rejoin: cut off");
    for (uint32_t i = 0; i < cluster->opts.nodes; i++)
        if (minority & (1ULL << i))
            at += snprintf (text + at, sizeof (text) - (size_t) at, " n%u", i);
    snprintf (text + at, sizeof (text) - (size_t) at, " for %" PRIu64 " ms", cut_ms);
    fixture_trace_note (f, text);
    fixture_partition (f, minority);
    fixture_run_for (f, cut_ms);
    fixture_heal (f);
    fixture_trace_note (f, "PHASE rejoin: healed");
    fixture_run_for (f, settle_ms);
    s_unchanged (f, leader, term, elected, FIXTURE_REJOIN, "a minority rejoined after a partition");
}

//  Crash the leader; the time until another node holds a valid lease.
static int64_t
s_failover (fixture_t *f, const sim_cluster_t *cluster, int leader, rng_t *rng, uint32_t k)
{
    uint32_t n = cluster->opts.nodes;
    uint64_t others = ((1ULL << n) - 1) & ~(1ULL << leader);
    if (n < 2 || !sim_cluster_is_quorum (cluster, others))
        return -1;
    fixture_run_for (f, rng_below (rng, 2 * cluster->opts.heartbeat_ms));
    fixture_trace_note (f, "PHASE failover: crash the leader");
    fixture_crash (f, (uint32_t) leader);
    uint64_t start = fixture_now (f);
    uint64_t bound = k * cluster->opts.election_timeout_ms;
    while (fixture_now (f) - start < bound) {
        fixture_run_for (f, 1);
        if (fixture_leader (f) >= 0) {
            s_note (f, "PHASE failover: n%" PRIu64 " holds a lease after %" PRIu64 " ms",
                    (uint64_t) fixture_leader (f), fixture_now (f) - start);
            return (int64_t) (fixture_now (f) - start);
        }
    }
    char text [160];
    snprintf (text, sizeof (text), "no new leader with a valid lease within %u election timeouts "
              "of the leader's crash", k);
    fixture_flag (f, FIXTURE_LIVENESS, text);
    return -1;
}

static void
s_finish (fixture_t *f, const sim_cluster_t *cluster, sim_result_t *result)
{
    result->nodes = cluster->opts.nodes;
    result->weighted = cluster->opts.weighted;
    result->default_timing = cluster->default_timing;
    result->events = fixture_events (f);
    result->sim_ms = fixture_now (f);
    result->violated = fixture_violated (f);
    result->first = fixture_first_violation (f);
    snprintf (result->text, sizeof (result->text), "%s", fixture_violation_text (f));
    for (int p = 0; p < FIXTURE_PROPERTIES; p++)
        snprintf (result->property_text [p], sizeof (result->property_text [p]), "%s",
                  fixture_property_text (f, (fixture_property_t) p));
    result->election_timeout_ms = cluster->opts.election_timeout_ms;
    result->hash = fixture_hash (f);
}

static void
s_header (const sim_config_t *config, const sim_cluster_t *cluster, const char *what)
{
    if (!config->trace)
        return;
    char text [600];
    sim_cluster_describe (cluster, text, sizeof (text));
    fprintf (config->trace, "%s seed=%" PRIu64 " controls=0x%x: %s\n", what, config->seed,
             config->unsafe_controls, text);
}

int
sim_run (const sim_config_t *config, sim_result_t *result)
{
    memset (result, 0, sizeof (*result));
    result->recovery_ms = result->failover_ms = -1;
    result->first = FIXTURE_PROPERTIES;
    rng_t rng;
    rng_seed (&rng, config->seed ^ SIM_RNG_SALT);
    sim_cluster_t cluster;
    sim_cluster_draw (&cluster, &rng, config->seed, config->unsafe_controls, config->lease_pct);
    if (config->without_late)
        cluster.opts.late_ppm = 0;
    fixture_t *f = fixture_new (&cluster.opts);
    if (!f)
        return -1;
    fixture_set_trace (f, config->trace);
    s_header (config, &cluster, "schedule");
    uint32_t n = cluster.opts.nodes;
    sim_client_t client;
    s_client_init (&client, config->seed, 5, 60);

    //  1. Safety: faults at random gaps, mostly under 1.5 s, some bursts,
    //  while a client writes.
    fixture_trace_note (f, "PHASE safety");
    s_run (f, &client, n, rng_below (&rng, 2000));
    result->faults = 5 + (uint32_t) rng_below (&rng, 36);
    for (uint32_t k = 0; k < result->faults; k++) {
        sim_fault_t fault = sim_fault_inject (f, &cluster, &rng, config->without);
        if (fault < SIM_FAULTS)
            result->fault_counts [fault]++;
        uint64_t roll = rng_below (&rng, 100);
        uint64_t gap = roll < 30 ? rng_below (&rng, 100)
                     : roll < 90 ? 100 + rng_below (&rng, 1400)
                     : 1500 + rng_below (&rng, 3500);
        s_run (f, &client, n, gap);
    }
    s_check_writes (f, n);

    //  2. Liveness.
    s_stop_faults (f, &cluster);
    int leader = s_liveness (f, &cluster, config->k, &result->recovery_ms);

    //  3. Stability, then a minority rejoins.
    if (leader >= 0)
        leader = s_settle (f, &cluster, config->k);
    if (leader >= 0) {
        uint64_t term = fixture_max_term (f);
        uint32_t elected = fixture_leaders_elected (f);
        uint64_t acked = fixture_acked_writes (f);
        s_run (f, &client, n, SIM_STABLE_MS);
        s_check_writes (f, n);
        if (cluster.opts.replicate && fixture_acked_writes (f) == acked)
            fixture_flag (f, FIXTURE_LIVENESS, "no write was acknowledged in the stability phase");
        if (s_unchanged (f, leader, term, elected, FIXTURE_INSTABILITY,
                         "a healthy network for the stability phase")) {
            uint64_t t = cluster.opts.election_timeout_ms;
            s_rejoin (f, &cluster, leader, &rng, (4 + rng_below (&rng, 9)) * t, 10 * t + 2000);
        }
    }

    //  4. Failover.
    leader = fixture_agreed_leader (f);
    if (leader >= 0)
        result->failover_ms = s_failover (f, &cluster, leader, &rng, config->k);
    //  After the failover: every write acknowledged before it survives.
    s_run (f, &client, n, 10 * cluster.opts.election_timeout_ms);
    s_check_writes (f, n);
    result->writes_acked = fixture_acked_writes (f);
    result->writes_proposed = client.proposed;
    s_finish (f, &cluster, result);
    fixture_destroy (&f);
    return 0;
}

int
sim_stability_hour (const sim_config_t *config, uint32_t nodes, const uint32_t *weights,
                    sim_result_t *result)
{
    memset (result, 0, sizeof (*result));
    result->recovery_ms = result->failover_ms = -1;
    result->first = FIXTURE_PROPERTIES;
    rng_t rng;
    rng_seed (&rng, config->seed ^ SIM_RNG_SALT);
    sim_cluster_t cluster;
    sim_cluster_healthy (&cluster, &rng, config->seed, nodes, weights);
    cluster.opts.unsafe_controls = config->unsafe_controls;
    if (config->unsafe_controls & CORE_UNSAFE_LONG_LEASE)
        cluster.opts.lease_ms = cluster.opts.election_timeout_ms * config->lease_pct / 100;
    fixture_t *f = fixture_new (&cluster.opts);
    if (!f)
        return -1;
    fixture_set_trace (f, config->trace);
    s_header (config, &cluster, "stability hour");
    int leader = s_liveness (f, &cluster, config->k, &result->recovery_ms);
    //  Six blocks of ten minutes: nine of quiet, then a minority cut off
    //  for ten seconds and fifty more to rejoin.
    for (int block = 0; block < 6 && leader >= 0; block++) {
        uint64_t term = fixture_max_term (f);
        uint32_t elected = fixture_leaders_elected (f);
        fixture_run_for (f, 540000);
        if (!s_unchanged (f, leader, term, elected, FIXTURE_INSTABILITY, "nine quiet minutes"))
            break;
        s_rejoin (f, &cluster, leader, &rng, 10000, 50000);
        if (fixture_violations (f))
            break;
    }
    s_finish (f, &cluster, result);
    fixture_destroy (&f);
    return 0;
}
