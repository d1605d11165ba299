/*  sim_faults: the fault menu. See sim_faults.h.

    A fault that does not apply (restart with nobody down, anything aimed
    at a leader when there is none) is drawn again, a bounded number of
    times, so the counts report faults that really happened. Kinds can be
    disabled, to show which fault a negative control needs.
*/
#include "sim_faults.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef bool (fault_fn) (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size);

static uint32_t
s_nodes (const sim_cluster_t *c)
{
    return c->opts.nodes;
}

//  A random node that is alive (or, with alive false, crashed), or -1.
static int
s_pick (fixture_t *f, uint32_t nodes, rng_t *rng, bool alive)
{
    uint32_t candidates [FIXTURE_NODES_MAX];
    uint32_t count = 0;
    for (uint32_t i = 0; i < nodes; i++)
        if (fixture_alive (f, i) == alive)
            candidates [count++] = i;
    return count ? (int) candidates [rng_below (rng, count)] : -1;
}

int
sim_fault_leader (fixture_t *f, uint32_t nodes)
{
    int leader = -1;
    uint64_t term = 0;
    for (uint32_t i = 0; i < nodes; i++) {
        core_t *core = fixture_core (f, i);
        if (core && core_role (core) == CORE_LEADER && (leader < 0 || core_term (core) > term)) {
            leader = (int) i;
            term = core_term (core);
        }
    }
    return leader;
}

//  Pause lengths spread over three orders of magnitude: 5 ms to 5 s.
static uint64_t
s_pause_ms (rng_t *rng)
{
    uint64_t base = 10ULL << rng_below (rng, 10);
    return base / 2 + rng_below (rng, base / 2 + 1);
}

static void
s_shuffle (uint32_t *order, uint32_t n, rng_t *rng)
{
    for (uint32_t i = 0; i < n; i++)
        order [i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t) rng_below (rng, i);
        uint32_t swap = order [i - 1];
        order [i - 1] = order [j];
        order [j] = swap;
    }
}

//  --------------------------------------------------------------------------
//  Process faults

static bool
s_crash (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    int node = s_pick (f, s_nodes (c), rng, true);
    if (node < 0)
        return false;
    fixture_crash (f, (uint32_t) node);
    snprintf (note, size, "crash n%d", node);
    return true;
}

static bool
s_crash_leader (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    (void) rng;
    int leader = sim_fault_leader (f, s_nodes (c));
    if (leader < 0)
        return false;
    fixture_crash (f, (uint32_t) leader);
    snprintf (note, size, "crash the leader n%d", leader);
    return true;
}

static bool
s_restart (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    int node = s_pick (f, s_nodes (c), rng, false);
    if (node < 0)
        return false;
    fixture_restart (f, (uint32_t) node);
    snprintf (note, size, "restart n%d", node);
    return true;
}

static bool
s_crash_before_sync (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    int leader = sim_fault_leader (f, s_nodes (c));
    int node = leader >= 0 && rng_below (rng, 2) ? leader : s_pick (f, s_nodes (c), rng, true);
    if (node < 0)
        return false;
    fixture_crash_before_sync (f, (uint32_t) node);
    snprintf (note, size, "n%d will crash before its next fsync completes", node);
    return true;
}

static bool
s_pause (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    int node = s_pick (f, s_nodes (c), rng, true);
    if (node < 0)
        return false;
    uint64_t ms = s_pause_ms (rng);
    fixture_pause (f, (uint32_t) node, ms);
    snprintf (note, size, "pause n%d for %" PRIu64 " ms", node, ms);
    return true;
}

static bool
s_pause_leader (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    int leader = sim_fault_leader (f, s_nodes (c));
    if (leader < 0)
        return false;
    uint64_t ms = s_pause_ms (rng);
    fixture_pause (f, (uint32_t) leader, ms);
    snprintf (note, size, "pause the leader n%d for %" PRIu64 " ms", leader, ms);
    return true;
}

//  --------------------------------------------------------------------------
//  Partitions

static bool
s_isolate (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t node = (uint32_t) rng_below (rng, s_nodes (c));
    fixture_isolate (f, node);
    snprintf (note, size, "isolate n%u", node);
    return true;
}

static bool
s_isolate_leader (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    (void) rng;
    int leader = sim_fault_leader (f, s_nodes (c));
    if (leader < 0 || s_nodes (c) < 2)
        return false;
    fixture_isolate (f, (uint32_t) leader);
    snprintf (note, size, "isolate the leader n%d", leader);
    return true;
}

static int
s_mask_text (char *note, size_t size, uint64_t mask, uint32_t nodes)
{
    int at = 0;
    for (uint32_t i = 0; i < nodes && (size_t) at < size; i++)
        if (mask & (1ULL << i))
            at += snprintf (note + at, size - (size_t) at, " n%u", i);
    return at;
}

static bool
s_two_sides (fixture_t *f, uint64_t side_a, uint32_t nodes, const char *what, char *note, size_t size)
{
    fixture_partition (f, side_a);
    int at = snprintf (note, size, "%s: side", what);
    at += s_mask_text (note + at, size - (size_t) at, side_a, nodes);
    if ((size_t) at < size)
        snprintf (note + at, size - (size_t) at, " | the rest");
    return true;
}

static bool
s_halves (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c), order [FIXTURE_NODES_MAX];
    if (n < 2)
        return false;
    s_shuffle (order, n, rng);
    uint64_t side = 0;
    for (uint32_t i = 0; i < n / 2; i++)
        side |= 1ULL << order [i];
    return s_two_sides (f, side, n, "partition in halves", note, size);
}

static bool
s_split (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c);
    if (n < 2)
        return false;
    uint64_t all = (1ULL << n) - 1;
    uint64_t side = 1 + rng_below (rng, all - 1);      //  Neither empty nor everyone
    return s_two_sides (f, side, n, "partition", note, size);
}

//  Sides A and B cannot reach each other; the bridge node reaches both,
//  as in a half-broken switch (Cloudflare 2020-11-02).
static bool
s_bridge (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c);
    if (n < 3)
        return false;
    uint32_t bridge = (uint32_t) rng_below (rng, n);
    uint64_t side = 0;
    uint32_t in_a = 0;
    for (uint32_t i = 0; i < n; i++)
        if (i != bridge && rng_below (rng, 2)) {
            side |= 1ULL << i;
            in_a++;
        }
    if (in_a == 0 || in_a == n - 1) {
        //  Both sides need a member: move one across.
        uint32_t mover = (bridge + 1) % n;
        side ^= 1ULL << mover;
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            bool same = ((side >> i) & 1) == ((side >> j) & 1);
            fixture_set_link (f, i, j, same || i == bridge || j == bridge);
        }
    int at = snprintf (note, size, "bridge n%u between", bridge);
    at += s_mask_text (note + at, size - (size_t) at, side & ~(1ULL << bridge), n);
    if ((size_t) at < size)
        snprintf (note + at, size - (size_t) at, " and the rest");
    return true;
}

//  Jepsen's majorities ring: nodes on a shuffled ring each see their
//  neighbours within k places, so each sees a majority (counting itself)
//  but no two see the same one.
static bool
s_ring (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c), order [FIXTURE_NODES_MAX], place [FIXTURE_NODES_MAX];
    if (n < 4)
        return false;
    s_shuffle (order, n, rng);
    for (uint32_t p = 0; p < n; p++)
        place [order [p]] = p;
    uint32_t majority = n / 2 + 1;
    uint32_t k = majority / 2;              //  ceil ((majority - 1) / 2)
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) {
            uint32_t d = place [i] > place [j] ? place [i] - place [j] : place [j] - place [i];
            if (n - d < d)
                d = n - d;
            fixture_set_link (f, i, j, d <= k);
        }
    int at = snprintf (note, size, "majorities ring (each sees %u places either side):", k);
    for (uint32_t p = 0; p < n && (size_t) at < size; p++)
        at += snprintf (note + at, size - (size_t) at, " n%u", order [p]);
    return true;
}

static bool
s_one_way (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c);
    if (n < 2)
        return false;
    uint32_t cuts = 1 + (uint32_t) rng_below (rng, n);
    int at = snprintf (note, size, "one-way cuts:");
    for (uint32_t k = 0; k < cuts; k++) {
        uint32_t from = (uint32_t) rng_below (rng, n);
        uint32_t to = (from + 1 + (uint32_t) rng_below (rng, n - 1)) % n;
        fixture_set_link (f, from, to, false);
        if ((size_t) at < size)
            at += snprintf (note + at, size - (size_t) at, " n%u->n%u", from, to);
    }
    return true;
}

static bool
s_leader_links (fixture_t *f, const sim_cluster_t *c, bool inbound, char *note, size_t size)
{
    int leader = sim_fault_leader (f, s_nodes (c));
    if (leader < 0 || s_nodes (c) < 2)
        return false;
    for (uint32_t j = 0; j < s_nodes (c); j++)
        if (j != (uint32_t) leader) {
            if (inbound)
                fixture_set_link (f, j, (uint32_t) leader, false);
            else
                fixture_set_link (f, (uint32_t) leader, j, false);
        }
    snprintf (note, size, inbound ? "the leader n%d hears nobody (inbound cut)"
                                  : "nobody hears the leader n%d (outbound cut)", leader);
    return true;
}

static bool
s_leader_deaf (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    (void) rng;
    return s_leader_links (f, c, true, note, size);
}

static bool
s_leader_mute (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    (void) rng;
    return s_leader_links (f, c, false, note, size);
}

//  PITFALLS "late delivery": a DEALER queues what it is given while its
//  connection is down and delivers all of it after reconnecting.
static bool
s_queue (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c);
    if (n < 2)
        return false;
    int leader = sim_fault_leader (f, n);
    uint32_t node = leader >= 0 && rng_below (rng, 2) ? (uint32_t) leader
                                                       : (uint32_t) rng_below (rng, n);
    uint32_t direction = (uint32_t) rng_below (rng, 3);     //  0 out, 1 in, 2 both
    uint64_t ms = 200 + rng_below (rng, 4801);
    for (uint32_t j = 0; j < n; j++)
        if (j != node) {
            if (direction != 1)
                fixture_queue_link (f, node, j, ms);
            if (direction != 0)
                fixture_queue_link (f, j, node, ms);
        }
    static const char *ways [3] = { "from", "to", "from and to" };
    snprintf (note, size, "links %s n%u queue for %" PRIu64 " ms, then deliver", ways [direction],
              node, ms);
    return true;
}

static bool
s_heal (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    (void) c;
    (void) rng;
    fixture_heal (f);
    snprintf (note, size, "heal every link");
    return true;
}

//  --------------------------------------------------------------------------
//  Commands and the network

static bool
s_transfer (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint32_t n = s_nodes (c);
    int leader = sim_fault_leader (f, n);
    if (leader < 0 || n < 2)
        return false;
    uint32_t target = ((uint32_t) leader + 1 + (uint32_t) rng_below (rng, n - 1)) % n;
    int rc = fixture_command (f, (uint32_t) leader, CORE_EV_TRANSFER, target);
    snprintf (note, size, "leader n%d transfers to n%u: %s", leader, target, rc ? "refused" : "started");
    return true;
}

static bool
s_campaign (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    int node = s_pick (f, s_nodes (c), rng, true);
    if (node < 0)
        return false;
    int rc = fixture_command (f, (uint32_t) node, CORE_EV_CAMPAIGN, 0);
    snprintf (note, size, "n%d told to campaign: %s", node, rc ? "refused" : "started");
    return true;
}

static bool
s_network (fixture_t *f, const sim_cluster_t *c, rng_t *rng, char *note, size_t size)
{
    uint64_t low = 1 + rng_below (rng, 5);
    uint64_t high = low + rng_below (rng, 100);
    uint32_t loss = (uint32_t) rng_below (rng, 200001);
    uint32_t dup = (uint32_t) rng_below (rng, 50001);
    fixture_set_network (f, low, high, loss, dup, c->opts.late_ppm);
    snprintf (note, size, "network: latency %" PRIu64 "-%" PRIu64 " ms, loss %u ppm, dup %u ppm",
              low, high, loss, dup);
    return true;
}

//  --------------------------------------------------------------------------

typedef struct {
    const char *name;
    uint32_t weight;            //  Relative odds of being drawn
    fault_fn *fn;
} fault_entry_t;

static const fault_entry_t s_menu [SIM_FAULTS] = {
    [SIM_FAULT_CRASH]             = { "crash", 6, s_crash },
    [SIM_FAULT_CRASH_LEADER]      = { "crash-leader", 6, s_crash_leader },
    [SIM_FAULT_RESTART]           = { "restart", 14, s_restart },
    [SIM_FAULT_CRASH_BEFORE_SYNC] = { "crash-before-fsync", 4, s_crash_before_sync },
    [SIM_FAULT_PAUSE]             = { "pause", 5, s_pause },
    [SIM_FAULT_PAUSE_LEADER]      = { "pause-leader", 6, s_pause_leader },
    [SIM_FAULT_ISOLATE]           = { "isolate", 4, s_isolate },
    [SIM_FAULT_ISOLATE_LEADER]    = { "isolate-leader", 5, s_isolate_leader },
    [SIM_FAULT_HALVES]            = { "halves", 3, s_halves },
    [SIM_FAULT_SPLIT]             = { "split", 3, s_split },
    [SIM_FAULT_BRIDGE]            = { "bridge", 3, s_bridge },
    [SIM_FAULT_RING]              = { "majorities-ring", 2, s_ring },
    [SIM_FAULT_ONE_WAY]           = { "one-way", 3, s_one_way },
    [SIM_FAULT_LEADER_DEAF]       = { "leader-deaf", 3, s_leader_deaf },
    [SIM_FAULT_LEADER_MUTE]       = { "leader-mute", 2, s_leader_mute },
    [SIM_FAULT_QUEUE]             = { "queue-links", 5, s_queue },
    [SIM_FAULT_HEAL]              = { "heal", 12, s_heal },
    [SIM_FAULT_TRANSFER]          = { "transfer", 5, s_transfer },
    [SIM_FAULT_CAMPAIGN]          = { "campaign", 2, s_campaign },
    [SIM_FAULT_NETWORK]           = { "network", 2, s_network },
};

static sim_fault_t
s_draw (rng_t *rng, uint32_t disabled)
{
    uint64_t total = 0;
    for (int k = 0; k < SIM_FAULTS; k++)
        if (!(disabled & (1u << k)))
            total += s_menu [k].weight;
    if (total == 0)
        return SIM_FAULTS;
    uint64_t roll = rng_below (rng, total);
    for (int k = 0; k < SIM_FAULTS; k++) {
        if (disabled & (1u << k))
            continue;
        if (roll < s_menu [k].weight)
            return (sim_fault_t) k;
        roll -= s_menu [k].weight;
    }
    return SIM_FAULTS;
}

sim_fault_t
sim_fault_inject (fixture_t *fixture, const sim_cluster_t *cluster, rng_t *rng, uint32_t disabled)
{
    char note [256];
    for (int attempt = 0; attempt < 8; attempt++) {
        sim_fault_t fault = s_draw (rng, disabled);
        if (fault == SIM_FAULTS)
            break;
        if (s_menu [fault].fn (fixture, cluster, rng, note, sizeof (note))) {
            char line [300];
            snprintf (line, sizeof (line), "FAULT %s", note);
            fixture_trace_note (fixture, line);
            return fault;
        }
    }
    //  Nothing applied: time passes without a fault.
    fixture_trace_note (fixture, "FAULT none applies");
    return SIM_FAULTS;
}

const char *
sim_fault_name (sim_fault_t fault)
{
    return fault < SIM_FAULTS ? s_menu [fault].name : "none";
}

int
sim_fault_lookup (const char *name)
{
    for (int k = 0; k < SIM_FAULTS; k++)
        if (strcmp (name, s_menu [k].name) == 0)
            return k;
    return -1;
}
