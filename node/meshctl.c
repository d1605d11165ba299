/*  meshctl: the operator's tool for an incidentmesh cluster.

    meshctl keygen PREFIX
    meshctl cluster-init DIR --nodes N [--base-port P] [--weights w1,w2,...] [--id CLUSTER]
                             [--clients N]
    meshctl watch --cluster FILE [--json]
    meshctl status --cluster FILE [--json] [--timeout-ms MS]
    meshctl leader --cluster FILE [--timeout-ms MS]
    meshctl transfer --cluster FILE --to ID --as CLIENT --key SECRET_FILE [--timeout-ms MS]
    meshctl put|get|cas|del|ls --cluster FILE --as CLIENT --key SECRET_FILE ...

    Exit codes: 0 success; 1 no leader, or not done in time (status,
    leader, transfer), or for the capacity map commands an answer "no"
    (cas-failed, not-found, full) or nothing certain (unavailable,
    unknown); 2 bad arguments or files, or the request refused (transfer;
    not-permitted, invalid); 3 split brain (status, leader, transfer).

    put, get, cas, del and ls are the capacity map's commands, built on
    the client library (client.h): the same signed client requests a
    dispatch service sends, with the library's rules for retries and for
    a write whose outcome is unknown.

    transfer is the one command that speaks: as a client of the cluster
    file (its clients section), with that client's key, it sends a signed
    transfer-request to the leader it sees in the heartbeat stream and then
    watches the stream until the target leads. It has no disk state, so its
    incarnation is the time of day in microseconds, which grows across
    invocations (docs/OPERATIONS.md: a clock stepped back is refused as
    stale until it passes the last value a node saw).
*/
#define _POSIX_C_SOURCE 200809L
#include "client.h"
#include "cluster.h"
#include "number.h"
#include "core.h"
#include "envelope.h"
#include "keys.h"
#include "kv.h"
#include "msg.h"
#include "peers.h"
#include "rx.h"
#include "state.h"
#include "tx.h"
#include "watch.h"
#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_NO_LEADER      1
#define EXIT_USAGE          2
#define EXIT_SPLIT_BRAIN    3
#define EXIT_NOT_DONE       1       //  Data commands: the answer was no, or nothing is certain
#define DATA_TIMEOUT_MS     5000
#define STATUS_TIMEOUT_MS   1000
#define TRANSFER_TIMEOUT_MS 3000
#define WATCH_REDRAW_MS     100
#define REPLY_POLL_MS       5       //  Heartbeats are read at least this often while we wait

static const char *usage_text =
    "usage: meshctl COMMAND [options]\n"
    "\n"
    "  keygen PREFIX                    write PREFIX.secret (0600) and PREFIX.public\n"
    "  cluster-init DIR --nodes N       a local cluster: DIR/cluster.cfg, DIR/nK.secret,\n"
    "      [--base-port P]              data directories DIR/nK/ (ids n1..nN); ports\n"
    "      [--weights w1,w2,...]        P.. (default 7100): heartbeat P+2(K-1), rpc\n"
    "      [--id CLUSTER]               P+2(K-1)+1, metrics P+2N+(K-1); --clients N\n"
    "      [--clients N]                (default 1): clients ops, ops2.. with\n"
    "                                   may_transfer, may_read, may_write = 1 and\n"
    "                                   keys DIR/ops.secret..\n"
    "  cluster-init DIR --hosts H1,H2,.. one member per host (host names or IPv4\n"
    "      [--base-port P] [--weights ..] addresses; ids are the host names if they\n"
    "      [--id CLUSTER] [--clients N]  are valid ids, else n1..nN); ports P, P+1,\n"
    "                                   P+2 on every host; a bundle per host DIR/ID/\n"
    "                                   (cluster.cfg, node.secret) and DIR/DEPLOY.txt\n"
    "  watch --cluster FILE [--json]    live view from the signed heartbeat stream;\n"
    "                                   --json: one object per verified heartbeat\n"
    "  status --cluster FILE [--json]   one snapshot and the verdict; exit 0 one leader\n"
    "      [--timeout-ms MS]            with a valid lease, 1 none, 3 split brain\n"
    "  leader --cluster FILE            the leader's id and fencing token (term);\n"
    "      [--timeout-ms MS]            exit 1 if none, 3 on a split brain\n"
    "  transfer --cluster FILE --to ID  ask the leader to hand over to member ID, as\n"
    "      --as CLIENT --key FILE       client CLIENT (its secret key FILE), and wait\n"
    "      [--timeout-ms MS]            until ID leads (default 3000 ms); prints the\n"
    "                                   new leader and term; exit 1 not done in time,\n"
    "                                   2 refused (the reason is printed)\n"
    "  state --cluster FILE --data DIR  a node's durable term, vote and incarnation\n"
    "                                   (read-only; safe while the node runs), JSON\n"
    "\n"
    "  The capacity map, as client CLIENT with its secret key FILE (may_read for\n"
    "  get and ls, may_write for put, cas and del). Common options: --cluster FILE\n"
    "  --as CLIENT --key FILE [--json] [--timeout-ms MS] (default 5000)\n"
    "  [--via MEMBER] (ask MEMBER first; default: the leader the heartbeat\n"
    "  stream names within three heartbeat intervals, else the first member).\n"
    "  put KEY VALUE                    write VALUE (0..256 bytes) under KEY; prints\n"
    "                                   its version and fencing token (term, index)\n"
    "  get KEY                          the value and version (from the leader)\n"
    "  cas KEY EXPECTED_VERSION VALUE   write if KEY's version is EXPECTED_VERSION\n"
    "                                   (0: if KEY does not exist)\n"
    "  del KEY [--expected VERSION]     delete (only at that version, if given)\n"
    "  put, cas, del --request-id ID    the write's id (1..2^64-1; default random):\n"
    "                                   the same ID again from the same client,\n"
    "                                   with no other write of its in between, is\n"
    "                                   carried out once (the first outcome is\n"
    "                                   answered): the safe retry of an unknown one\n"
    "  ls [PREFIX] [--limit N]          keys starting with PREFIX in key order, all\n"
    "                                   or the first N, one line each\n"
    "  KEY: 1..128 of [A-Za-z0-9._/-]; a VALUE that starts with '-' goes after --.\n"
    "  --json: one object (outcome, term, index, version, value or value_hex,\n"
    "  leader, request_id; ls: items). Exit 0 ok; 1 cas-failed, not-found, full,\n"
    "  unavailable (not done) or unknown (a write with no answer: it may or may\n"
    "  not have taken effect; run it again with --request-id ID); 2 bad\n"
    "  arguments or files, not-permitted, invalid.\n"
    "\n"
    "Exit codes: 0 ok, 1 no leader or not done in time (or, for the capacity map,\n"
    "the answer no, or an unknown outcome), 2 bad arguments or files or refused,\n"
    "3 split brain.\n";

static int
s_usage_error (const char *format, const char *arg)
{
    fprintf (stderr, "meshctl: ");
    fprintf (stderr, format, arg);
    fprintf (stderr, " (see meshctl --help)\n");
    return EXIT_USAGE;
}

static const char *role_names [] = { "follower", "precandidate", "candidate", "leader" };

//  --------------------------------------------------------------------------
//  keygen

static int
s_keygen (int argc, char *argv [])
{
    if (argc != 2)
        return s_usage_error ("keygen takes exactly one PREFIX%s", "");
    char secret [PATH_MAX], public [PATH_MAX], err [KEYS_ERR_BYTES];
    if (snprintf (secret, sizeof secret, "%s.secret", argv [1]) >= (int) sizeof secret
    ||  snprintf (public, sizeof public, "%s.public", argv [1]) >= (int) sizeof public)
        return s_usage_error ("prefix too long: %s", argv [1]);
    keys_t *keys = keys_new ();
    if (!keys) {
        fprintf (stderr, "meshctl: cannot generate a key\n");
        return EXIT_USAGE;
    }
    int rc = keys_save_secret (keys, secret, err, sizeof err);
    if (rc == 0 && keys_save_public (keys_public (keys), public, err, sizeof err) != 0) {
        unlink (secret);        //  Both or neither
        rc = -1;
    }
    if (rc == 0) {
        char hex [KEYS_HEX_CHARS + 1];
        keys_hex_encode (keys_public (keys), hex);
        printf ("%s\n%s\npublic_key = %s\n", secret, public, hex);
    }
    else
        fprintf (stderr, "meshctl: %s\n", err);
    keys_destroy (&keys);
    return rc == 0 ? 0 : EXIT_USAGE;
}

//  --------------------------------------------------------------------------
//  cluster-init

//  A new key pair: the secret key into path (0600), its public key into
//  public_key. Returns 0, or EXIT_USAGE after printing why.
static int
s_new_identity (const char *path, uint8_t public_key [CLUSTER_KEY_BYTES])
{
    char err [KEYS_ERR_BYTES];
    keys_t *keys = keys_new ();
    int rc = 0;
    if (!keys || keys_save_secret (keys, path, err, sizeof err)) {
        fprintf (stderr, "meshctl: %s\n", keys ? err : "cannot generate a key");
        rc = EXIT_USAGE;
    }
    else
        memcpy (public_key, keys_public (keys), CLUSTER_KEY_BYTES);
    keys_destroy (&keys);
    return rc;
}

#define S_HOST_MAX  63      //  A host name or IPv4 address in --hosts

//  Split --hosts into host; each a host name (letters, digits, '-', '.')
//  or an IPv4 address, at most 64, no repeats. Returns the count, or a
//  negative number after printing why.
static int
s_parse_hosts (const char *hosts, char host [CORE_MEMBERS_MAX][S_HOST_MAX + 1])
{
    int count = 0;
    const char *h = hosts;
    while (true) {
        size_t len = strcspn (h, ",");
        if (count == CORE_MEMBERS_MAX)
            return -s_usage_error ("--hosts: at most 64 hosts, not '%s'", hosts);
        if (len == 0 || len > S_HOST_MAX)
            return -s_usage_error ("--hosts '%s': an empty or over-long host", hosts);
        memcpy (host [count], h, len);
        host [count][len] = 0;
        if (strspn (host [count], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != len
        ||  !isalnum ((unsigned char) host [count][0]))
            return -s_usage_error ("--hosts: '%s' is not a host name or IPv4 address", host [count]);
        for (int i = 0; i < count; i++)
            if (strcmp (host [i], host [count]) == 0)
                return -s_usage_error ("--hosts: '%s' appears twice (one member per host)", host [count]);
        count++;
        h += len;
        if (!*h)
            return count;
        h++;
    }
}

//  DIR/DEPLOY.txt: how to put each bundle on its host and start it.
static int
s_write_deploy (const cluster_t *cluster, const char *dir, uint64_t base)
{
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/DEPLOY.txt", dir);
    FILE *out = fopen (path, "w");
    if (!out) {
        fprintf (stderr, "meshctl: %s: %s\n", path, strerror (errno));
        return EXIT_USAGE;
    }
    fprintf (out,
        "incidentmesh cluster '%s': %u hosts, one member each.\n"
        "\n"
        "Each host gets its bundle: %s/ID/cluster.cfg and %s/ID/node.secret\n"
        "(the cluster file is the same everywhere; the key is that host's only).\n"
        "Keep %s/ops.secret (the operators' client key) off the nodes.\n"
        "\n"
        "Before you start: every host name below must resolve, on every host, to\n"
        "that host's address (DNS or /etc/hosts; Debian maps a host's own name to\n"
        "127.0.1.1 in /etc/hosts, which would bind the node to loopback: meshnode\n"
        "warns if it does). Allow TCP %llu (heartbeat) and %llu (rpc) between the\n"
        "hosts, and %llu (metrics) from your Prometheus.\n"
        "\n",
        cluster->id, cluster->member_count, dir, dir, dir,
        (unsigned long long) base, (unsigned long long) base + 1, (unsigned long long) base + 2);
    for (uint32_t k = 0; k < cluster->member_count; k++) {
        const char *id = cluster->members [k].id;
        const char *host = cluster->members [k].heartbeat + 6;     //  after tcp://
        int host_len = (int) (strrchr (host, ':') - host);
        fprintf (out,
            "== %s (%.*s)\n"
            "  scp -r %s/%s root@%.*s:/root/incidentmesh-bundle\n"
            "  scp incidentmesh_*.deb root@%.*s:/root/\n"
            "  ssh root@%.*s\n"
            "  apt install /root/incidentmesh_*.deb    # creates the user incidentmesh and the unit\n"
            "  install -m 0640 -o root -g incidentmesh /root/incidentmesh-bundle/cluster.cfg /etc/incidentmesh/cluster.cfg\n"
            "  install -m 0600 -o root -g root /root/incidentmesh-bundle/node.secret /etc/incidentmesh/node.secret\n"
            "  rm -r /root/incidentmesh-bundle\n"
            "  systemctl enable --now meshnode\n"
            "\n",
            id, host_len, host, dir, id, host_len, host, host_len, host, host_len, host);
    }
    fprintf (out,
        "Then, from any host with the cluster file:\n"
        "  meshctl status --cluster /etc/incidentmesh/cluster.cfg\n"
        "  meshctl watch --cluster /etc/incidentmesh/cluster.cfg\n"
        "The node takes its member id from its key (no --id), its data lives in\n"
        "/var/lib/incidentmesh, and it reports ready to systemd once it has read its\n"
        "state and joined the heartbeat stream (docs/OPERATIONS.md).\n");
    int rc = fclose (out) == 0 ? 0 : EXIT_USAGE;
    if (rc == 0) {
        printf ("%s/cluster.cfg: cluster '%s' of %u hosts; bundles:", dir, cluster->id,
                cluster->member_count);
        for (uint32_t k = 0; k < cluster->member_count; k++)
            printf (" %s/%s/", dir, cluster->members [k].id);
        printf ("\nhow to deploy them: %s\n", path);
    }
    else
        fprintf (stderr, "meshctl: cannot write %s\n", path);
    return rc;
}

static int
s_cluster_init (int argc, char *argv [])
{
    static struct option longopts [] = {
        { "nodes", required_argument, NULL, 'n' },
        { "base-port", required_argument, NULL, 'p' },
        { "weights", required_argument, NULL, 'w' },
        { "id", required_argument, NULL, 'i' },
        { "clients", required_argument, NULL, 'C' },
        { "hosts", required_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 }
    };
    uint64_t nodes = 0, base = 7100, clients = 1;
    const char *weights = NULL, *cluster_id = "local", *hosts = NULL;
    char host [CORE_MEMBERS_MAX][S_HOST_MAX + 1];
    uint32_t host_count = 0;
    int option;
    optind = 1;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'n':
                if (number_parse_uint (optarg, 1, CORE_MEMBERS_MAX, &nodes))
                    return s_usage_error ("--nodes must be 1..64, not '%s'", optarg);
                break;
            case 'p':
                if (number_parse_uint (optarg, 1024, 60000, &base))
                    return s_usage_error ("--base-port must be 1024..60000, not '%s'", optarg);
                break;
            case 'w': weights = optarg; break;
            case 'i': cluster_id = optarg; break;
            case 'C':
                if (number_parse_uint (optarg, 0, CLUSTER_CLIENTS_MAX, &clients))
                    return s_usage_error ("--clients must be 0..64, not '%s'", optarg);
                break;
            case 'H': hosts = optarg; break;
            case ':': return s_usage_error ("%s needs a value", argv [optind - 1]);
            default:  return s_usage_error ("unknown option %s", argv [optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return s_usage_error ("cluster-init takes exactly one DIR%s", "");
    if (hosts) {
        int count = s_parse_hosts (hosts, host);
        if (count < 0)
            return EXIT_USAGE;
        if (nodes && nodes != (uint64_t) count)
            return s_usage_error ("--nodes disagrees with the %s hosts of --hosts", hosts);
        host_count = (uint32_t) count;
        nodes = host_count;
    }
    if (!nodes)
        return s_usage_error ("--nodes or --hosts is required%s", "");
    if (!wire_cluster_valid (cluster_id, strlen (cluster_id)))
        return s_usage_error ("--id '%s' must be 1..64 of A-Z a-z 0-9 . _ -", cluster_id);
    if (base + 3 * nodes > 65535)
        return s_usage_error ("--base-port leaves no room for the ports%s", "");
    const char *dir = argv [optind];

    cluster_t *cluster = (cluster_t *) zmalloc (sizeof (cluster_t));
    snprintf (cluster->id, sizeof cluster->id, "%s", cluster_id);
    cluster->heartbeat_ms = CORE_HEARTBEAT_MS_DEFAULT;
    cluster->election_timeout_ms = CORE_ELECTION_MS_DEFAULT;
    cluster->max_drift_ppm = CORE_DRIFT_PPM_DEFAULT;
    cluster->storm_threshold = STORM_THRESHOLD_DEFAULT;
    cluster->member_count = (uint32_t) nodes;
    const char *w = weights;
    //  Hosts are members' ids when every one of them can be (an operator
    //  then reads "leader host2"), else all are n1..nN.
    bool host_ids = host_count > 0;
    for (uint32_t k = 0; k < host_count; k++)
        if (strlen (host [k]) > CLUSTER_MEMBER_ID_MAX || !wire_id_valid (host [k], strlen (host [k])))
            host_ids = false;
    for (uint32_t k = 0; k < nodes; k++) {
        cluster_member_t *m = &cluster->members [k];
        if (host_ids)
            snprintf (m->id, sizeof m->id, "%.32s", host [k]);     //  Checked to fit above
        else
            snprintf (m->id, sizeof m->id, "n%u", k + 1);
        m->weight = 1;
        if (weights) {
            char item [16];
            size_t len = strcspn (w, ",");
            uint64_t value;
            if (len == 0 || len >= sizeof item) {
                cluster_destroy (&cluster);
                return s_usage_error ("--weights '%s' needs one whole number per node", weights);
            }
            memcpy (item, w, len);
            item [len] = 0;
            if (number_parse_uint (item, 0, QUORUM_WEIGHT_MAX, &value)) {
                cluster_destroy (&cluster);
                return s_usage_error ("--weights: '%s' is not a weight in 0..1000", item);
            }
            m->weight = (uint32_t) value;
            w += len;
            if (*w == ',' && k + 1 < nodes)
                w++;
            else
            if (k + 1 < nodes || *w) {
                cluster_destroy (&cluster);
                return s_usage_error ("--weights '%s' needs exactly one weight per node", weights);
            }
        }
        if (host_count) {
            //  One member per host: every host uses the same three ports
            snprintf (m->heartbeat, sizeof m->heartbeat, "tcp://%.63s:%llu", host [k],
                      (unsigned long long) base);
            snprintf (m->rpc, sizeof m->rpc, "tcp://%.63s:%llu", host [k], (unsigned long long) base + 1);
            snprintf (m->metrics, sizeof m->metrics, "%.63s:%llu", host [k], (unsigned long long) base + 2);
            continue;
        }
        uint64_t port = base + 2 * k;
        snprintf (m->heartbeat, sizeof m->heartbeat, "tcp://127.0.0.1:%llu", (unsigned long long) port);
        snprintf (m->rpc, sizeof m->rpc, "tcp://127.0.0.1:%llu", (unsigned long long) port + 1);
        snprintf (m->metrics, sizeof m->metrics, "127.0.0.1:%llu",
                  (unsigned long long) (base + 2 * nodes + k));
    }
    //  Operators' clients: ops, ops2, ... all allowed to ask for transfers,
    //  so that a fresh local cluster can be driven by meshctl transfer.
    cluster->client_count = (uint32_t) clients;
    for (uint32_t k = 0; k < clients; k++) {
        cluster_client_t *c = &cluster->clients [k];
        if (k == 0)
            snprintf (c->id, sizeof c->id, "ops");
        else
            snprintf (c->id, sizeof c->id, "ops%u", k + 1);
        c->may = CLUSTER_MAY_TRANSFER | CLUSTER_MAY_READ | CLUSTER_MAY_WRITE;
    }
    uint64_t total = 0;
    for (uint32_t k = 0; k < nodes; k++)
        total += cluster->members [k].weight;
    if (total == 0) {
        cluster_destroy (&cluster);
        return s_usage_error ("--weights: the total weight is 0%s", "");
    }
    if (mkdir (dir, 0755) != 0 && errno != EEXIST) {
        fprintf (stderr, "meshctl: %s: %s\n", dir, strerror (errno));
        cluster_destroy (&cluster);
        return EXIT_USAGE;
    }
    char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/cluster.cfg", dir);
    if (access (path, F_OK) == 0) {
        fprintf (stderr, "meshctl: %s exists; refusing to overwrite a cluster\n", path);
        cluster_destroy (&cluster);
        return EXIT_USAGE;
    }
    int rc = 0;
    //  Local: DIR/nK.secret and the data directory DIR/nK/. Hosts: a bundle
    //  directory DIR/ID/ per host (its key as node.secret; the cluster file
    //  is copied in below); data lives where the unit puts it.
    for (uint32_t k = 0; k < nodes && rc == 0; k++) {
        cluster_member_t *m = &cluster->members [k];
        char key_path [PATH_MAX];
        snprintf (path, sizeof path, "%s/%s", dir, m->id);
        if (mkdir (path, 0700) != 0 && errno != EEXIST) {
            fprintf (stderr, "meshctl: %s: %s\n", path, strerror (errno));
            rc = EXIT_USAGE;
            break;
        }
        if (host_count)
            snprintf (key_path, sizeof key_path, "%s/%s/node.secret", dir, m->id);
        else
            snprintf (key_path, sizeof key_path, "%s/%s.secret", dir, m->id);
        rc = s_new_identity (key_path, m->public_key);
    }
    for (uint32_t k = 0; k < clients && rc == 0; k++) {
        cluster_client_t *c = &cluster->clients [k];
        snprintf (path, sizeof path, "%s/%s.secret", dir, c->id);
        rc = s_new_identity (path, c->public_key);
    }
    snprintf (path, sizeof path, "%s/cluster.cfg", dir);
    if (rc == 0 && cluster_save (cluster, path) != 0) {
        fprintf (stderr, "meshctl: cannot write %s\n", path);
        rc = EXIT_USAGE;
    }
    for (uint32_t k = 0; k < host_count && rc == 0; k++) {
        snprintf (path, sizeof path, "%s/%s/cluster.cfg", dir, cluster->members [k].id);
        if (cluster_save (cluster, path) != 0) {
            fprintf (stderr, "meshctl: cannot write %s\n", path);
            rc = EXIT_USAGE;
        }
    }
    if (rc == 0 && host_count) {
        rc = s_write_deploy (cluster, dir, base);
        cluster_destroy (&cluster);
        return rc;
    }
    if (rc == 0) {
        printf ("%s: cluster '%s' of %llu nodes\n", path, cluster->id, (unsigned long long) nodes);
        for (uint32_t k = 0; k < nodes; k++)
            printf ("meshnode --cluster %s/cluster.cfg --id %s --key %s/%s.secret --data %s/%s\n",
                    dir, cluster->members [k].id, dir, cluster->members [k].id, dir,
                    cluster->members [k].id);
        if (clients)
            printf ("meshctl transfer --cluster %s/cluster.cfg --as %s --key %s/%s.secret --to ID\n",
                    dir, cluster->clients [0].id, dir, cluster->clients [0].id);
    }
    cluster_destroy (&cluster);
    return rc;
}

//  --------------------------------------------------------------------------
//  watch, status, leader

typedef struct {
    const char *cluster_path;
    bool json;
    uint64_t timeout_ms;
} s_watch_options_t;

static int
s_watch_options (int argc, char *argv [], bool allow_json, bool allow_timeout, s_watch_options_t *o)
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "json", no_argument, NULL, 'j' },
        { "timeout-ms", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 }
    };
    *o = (s_watch_options_t) { .timeout_ms = STATUS_TIMEOUT_MS };
    int option;
    optind = 1;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': o->cluster_path = optarg; break;
            case 'j':
                if (!allow_json)
                    return s_usage_error ("%s takes no --json", argv [0]);
                o->json = true;
                break;
            case 't':
                if (!allow_timeout)
                    return s_usage_error ("%s takes no --timeout-ms", argv [0]);
                if (number_parse_uint (optarg, 1, 3600000, &o->timeout_ms))
                    return s_usage_error ("--timeout-ms must be 1..3600000, not '%s'", optarg);
                break;
            case ':': return s_usage_error ("%s needs a value", argv [optind - 1]);
            default:  return s_usage_error ("unknown option %s", argv [optind - 1]);
        }
    }
    if (optind != argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    if (!o->cluster_path)
        return s_usage_error ("%s needs --cluster FILE", argv [0]);
    return 0;
}

//  Load the cluster file; NULL after printing why.
static cluster_t *
s_load_cluster (const char *path)
{
    char err [CLUSTER_ERROR_MAX];
    cluster_t *cluster = cluster_load (path, err, sizeof err);
    if (!cluster)
        fprintf (stderr, "meshctl: --cluster: %s\n", err);
    return cluster;
}

//  Load the cluster file and subscribe to its heartbeat stream. Returns 0,
//  or -1 after printing why (nothing is left open then).
static int
s_open_watch (const char *path, cluster_t **cluster_p, watch_t **watch_p)
{
    char err [CLUSTER_ERROR_MAX];
    *watch_p = NULL;
    *cluster_p = s_load_cluster (path);
    if (!*cluster_p)
        return -1;
    *watch_p = watch_new (*cluster_p, err, sizeof err);
    if (!*watch_p) {
        fprintf (stderr, "meshctl: %s\n", err);
        cluster_destroy (cluster_p);
        return -1;
    }
    return 0;
}

static uint64_t
s_lease_left (const watch_view_t *view, uint64_t now)
{
    uint64_t age = now - view->recv_ms;
    return view->has_lease && view->lease_ms > age ? view->lease_ms - age : 0;
}

static void
s_print_view_json (const cluster_t *cluster, uint32_t member, const watch_view_t *v, uint64_t now,
                   FILE *out)
{
    fprintf (out, "{\"node\":\"%s\",\"term\":%llu,\"role\":\"%s\",", cluster->members [member].id,
             (unsigned long long) v->term, role_names [v->role & 3]);
    if (*v->leader)
        fprintf (out, "\"leader\":\"%s\",", v->leader);
    else
        fprintf (out, "\"leader\":null,");
    if (v->has_lease)
        fprintf (out, "\"lease_ms\":%llu,", (unsigned long long) s_lease_left (v, now));
    else
        fprintf (out, "\"lease_ms\":null,");
    if (v->has_lease_expiry)
        fprintf (out, "\"lease_expiry_mono_ms\":%llu,", (unsigned long long) v->lease_expiry_ms);
    if (v->has_commit)
        fprintf (out, "\"commit_index\":%llu,", (unsigned long long) v->commit);
    if (v->has_applied)
        fprintf (out, "\"applied_index\":%llu,", (unsigned long long) v->applied);
    fprintf (out, "\"storm\":%s,\"incarnation\":%llu,\"seq\":%llu,\"sent_mono_ms\":%llu,"
             "\"recv_mono_ms\":%llu}",
             v->storm ? "true" : "false", (unsigned long long) v->incarnation,
             (unsigned long long) v->seq, (unsigned long long) v->sent_ms,
             (unsigned long long) v->recv_ms);
}

static const char *
s_state_name (watch_state_t state)
{
    return state == WATCH_LEADER ? "leader" : state == WATCH_SPLIT_BRAIN ? "split-brain" : "none";
}

//  The cluster's commit index as its leader last said it (0 if unknown):
//  apply lag is measured against it.
static uint64_t
s_cluster_commit (const cluster_t *cluster, watch_t *watch)
{
    uint64_t commit = 0;
    for (uint32_t i = 0; i < cluster->member_count; i++) {
        const watch_view_t *v = watch_view (watch, i);
        if (v->seen && v->has_commit && v->commit > commit)
            commit = v->commit;
    }
    return commit;
}

static void
s_draw_table (const cluster_t *cluster, watch_t *watch, uint64_t now)
{
    watch_verdict_t verdict;
    watch_verdict (watch, now, 2 * cluster->election_timeout_ms, &verdict);
    uint64_t commit = s_cluster_commit (cluster, watch);
    printf ("\033[H\033[2J");
    printf ("incidentmesh cluster '%s'   (meshctl watch; Ctrl-C to quit)\n\n", cluster->id);
    printf ("%-10s %-13s %8s %-10s %9s %10s %9s %6s %-5s\n", "NODE", "ROLE", "TERM", "LEADER",
            "LEASE ms", "SEEN ms", "APPLIED", "LAG", "STORM");
    for (uint32_t i = 0; i < cluster->member_count; i++) {
        const watch_view_t *v = watch_view (watch, i);
        if (!v->seen) {
            printf ("%-10s %-13s\n", cluster->members [i].id, "(not heard)");
            continue;
        }
        char lease [24] = "-";
        if (v->has_lease)
            snprintf (lease, sizeof lease, "%llu", (unsigned long long) s_lease_left (v, now));
        char applied [24] = "-", lag [24] = "-";
        if (v->has_applied) {
            snprintf (applied, sizeof applied, "%llu", (unsigned long long) v->applied);
            snprintf (lag, sizeof lag, "%llu",
                      (unsigned long long) (commit > v->applied ? commit - v->applied : 0));
        }
        printf ("%-10s %-13s %8llu %-10s %9s %10llu %9s %6s %-5s\n", cluster->members [i].id,
                role_names [v->role & 3], (unsigned long long) v->term,
                *v->leader ? v->leader : "-", lease, (unsigned long long) (now - v->recv_ms),
                applied, lag, v->storm ? "STORM" : "-");
    }
    printf ("\n");
    if (verdict.state == WATCH_LEADER)
        printf ("leader %s, term %llu (fencing token), lease %llu ms left\n",
                cluster->members [verdict.leader].id, (unsigned long long) verdict.term,
                (unsigned long long) verdict.lease_ms);
    else
    if (verdict.state == WATCH_SPLIT_BRAIN)
        printf ("\033[1;41;37m  SPLIT BRAIN: %s  \033[0m\n", verdict.why);
    else
        printf ("\033[1;33mno leader with a valid lease\033[0m\n");
    printf ("messages rejected by the receive path: %llu\n", (unsigned long long) watch_rejected (watch));
    fflush (stdout);
}

static int
s_watch (int argc, char *argv [])
{
    s_watch_options_t o;
    int rc = s_watch_options (argc, argv, true, false, &o);
    if (rc)
        return rc;
    cluster_t *cluster;
    watch_t *watch;
    if (s_open_watch (o.cluster_path, &cluster, &watch))
        return EXIT_USAGE;
    uint64_t drawn = 0;
    while (!zsys_interrupted) {
        int member = watch_next (watch, WATCH_REDRAW_MS);
        if (member == -2)
            break;
        uint64_t now = (uint64_t) zclock_mono ();
        if (o.json && member >= 0) {
            s_print_view_json (cluster, (uint32_t) member, watch_view (watch, (uint32_t) member), now, stdout);
            printf ("\n");
            fflush (stdout);
        }
        if (!o.json && now - drawn >= WATCH_REDRAW_MS) {
            s_draw_table (cluster, watch, now);
            drawn = now;
        }
    }
    watch_destroy (&watch);
    cluster_destroy (&cluster);
    return 0;
}

//  Listen until until_ms, or until every member was heard and one more
//  heartbeat interval passed, whichever comes first.
static void
s_listen (watch_t *watch, const cluster_t *cluster, uint64_t until_ms)
{
    uint64_t all_seen = 0;
    while (!zsys_interrupted) {
        uint64_t now = (uint64_t) zclock_mono ();
        if (now >= until_ms || (all_seen && now >= all_seen + cluster->heartbeat_ms))
            break;
        uint64_t left = until_ms - now;
        watch_next (watch, (int) (left < cluster->heartbeat_ms ? left : cluster->heartbeat_ms));
        if (!all_seen) {
            uint32_t seen = 0;
            for (uint32_t i = 0; i < cluster->member_count; i++)
                seen += watch_view (watch, i)->seen;
            if (seen == cluster->member_count)
                all_seen = (uint64_t) zclock_mono ();
        }
    }
}

//  Listen for timeout_ms (or until every member was heard and one more
//  heartbeat interval passed), then judge.
static int
s_snapshot (int argc, char *argv [], bool leader_only)
{
    s_watch_options_t o;
    int rc = s_watch_options (argc, argv, !leader_only, true, &o);
    if (rc)
        return rc;
    cluster_t *cluster;
    watch_t *watch;
    if (s_open_watch (o.cluster_path, &cluster, &watch))
        return EXIT_USAGE;
    s_listen (watch, cluster, (uint64_t) zclock_mono () + o.timeout_ms);
    uint64_t now = (uint64_t) zclock_mono ();
    watch_verdict_t verdict;
    watch_verdict (watch, now, 2 * cluster->election_timeout_ms, &verdict);
    const char *leader_id = verdict.leader >= 0 ? cluster->members [verdict.leader].id : NULL;
    if (leader_only) {
        if (verdict.state == WATCH_LEADER)
            printf ("%s %llu\n", leader_id, (unsigned long long) verdict.term);
        else
        if (verdict.state == WATCH_SPLIT_BRAIN)
            fprintf (stderr, "meshctl: SPLIT BRAIN: %s\n", verdict.why);
        else
            fprintf (stderr, "meshctl: no leader with a valid lease\n");
    }
    else
    if (o.json) {
        printf ("{\"verdict\":\"%s\",", s_state_name (verdict.state));
        if (leader_id)
            printf ("\"leader\":\"%s\",\"term\":%llu,\"lease_ms\":%llu,", leader_id,
                    (unsigned long long) verdict.term, (unsigned long long) verdict.lease_ms);
        else
            printf ("\"leader\":null,\"term\":null,\"lease_ms\":null,");
        if (verdict.state == WATCH_SPLIT_BRAIN)
            printf ("\"split_brain\":\"%s\",", verdict.why);
        printf ("\"commit_index\":%llu,", (unsigned long long) s_cluster_commit (cluster, watch));
        printf ("\"nodes\":[");
        bool first = true;
        for (uint32_t i = 0; i < cluster->member_count; i++) {
            const watch_view_t *v = watch_view (watch, i);
            if (!v->seen)
                continue;
            printf ("%s", first ? "" : ",");
            s_print_view_json (cluster, i, v, now, stdout);
            first = false;
        }
        printf ("],\"missing\":[");
        first = true;
        for (uint32_t i = 0; i < cluster->member_count; i++)
            if (!watch_view (watch, i)->seen) {
                printf ("%s\"%s\"", first ? "" : ",", cluster->members [i].id);
                first = false;
            }
        printf ("]}\n");
    }
    else {
        for (uint32_t i = 0; i < cluster->member_count; i++) {
            const watch_view_t *v = watch_view (watch, i);
            if (!v->seen)
                printf ("%-10s not heard\n", cluster->members [i].id);
            else
                printf ("%-10s %-12s term %-6llu leader %-10s applied %llu\n", cluster->members [i].id,
                        role_names [v->role & 3], (unsigned long long) v->term,
                        *v->leader ? v->leader : "-", (unsigned long long) v->applied);
        }
        if (verdict.state == WATCH_LEADER)
            printf ("leader %s term %llu lease %llu ms\n", leader_id,
                    (unsigned long long) verdict.term, (unsigned long long) verdict.lease_ms);
        else
        if (verdict.state == WATCH_SPLIT_BRAIN)
            printf ("SPLIT BRAIN: %s\n", verdict.why);
        else
            printf ("no leader with a valid lease\n");
    }
    watch_destroy (&watch);
    cluster_destroy (&cluster);
    return verdict.state == WATCH_LEADER ? 0
         : verdict.state == WATCH_SPLIT_BRAIN ? EXIT_SPLIT_BRAIN : EXIT_NO_LEADER;
}

//  --------------------------------------------------------------------------
//  transfer

typedef struct {
    const char *cluster_path;
    const char *to;                     //  Member to hand leadership to
    const char *as;                     //  Our client id
    const char *key_path;               //  Its secret key file
    uint64_t timeout_ms;
} s_transfer_options_t;

static int
s_transfer_options (int argc, char *argv [], s_transfer_options_t *o)
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "to", required_argument, NULL, 'T' },
        { "as", required_argument, NULL, 'a' },
        { "key", required_argument, NULL, 'k' },
        { "timeout-ms", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 }
    };
    *o = (s_transfer_options_t) { .timeout_ms = TRANSFER_TIMEOUT_MS };
    int option;
    optind = 1;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': o->cluster_path = optarg; break;
            case 'T': o->to = optarg; break;
            case 'a': o->as = optarg; break;
            case 'k': o->key_path = optarg; break;
            case 't':
                if (number_parse_uint (optarg, 1, 3600000, &o->timeout_ms))
                    return s_usage_error ("--timeout-ms must be 1..3600000, not '%s'", optarg);
                break;
            case ':': return s_usage_error ("%s needs a value", argv [optind - 1]);
            default:  return s_usage_error ("unknown option %s", argv [optind - 1]);
        }
    }
    if (optind != argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    const char *missing = !o->cluster_path ? "--cluster FILE" : !o->to ? "--to ID"
                        : !o->as ? "--as CLIENT" : !o->key_path ? "--key FILE" : NULL;
    if (missing)
        return s_usage_error ("transfer needs %s", missing);
    //  Whether ID is a voter is the leader's to say (its cluster file is
    //  the one that counts); only the form is ours to check.
    if (!wire_id_valid (o->to, strlen (o->to)))
        return s_usage_error ("--to '%s' is not a member id", o->to);
    return 0;
}

//  Our incarnation: CLOCK_REALTIME in microseconds. meshctl keeps nothing
//  on disk, and a node's replay window accepts a larger incarnation and
//  refuses a smaller one; the time of day grows across invocations (and a
//  node that saw a later value refuses us as stale until the clock passes
//  it again, e.g. after the clock was stepped back).
static uint64_t
s_client_incarnation (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    uint64_t us = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
    return us ? us : 1;
}

//  Read the heartbeats that have arrived, without waiting, so that the
//  views stay fresh while we wait for something else.
static void
s_pump (watch_t *watch)
{
    while (watch_next (watch, 0) >= 0)
        ;
}

typedef struct {
    const cluster_t *cluster;
    const char *to;                     //  Target member id
    wire_tx_t *tx;                      //  Our signed requests
    wire_rx_t *rx;                      //  Answers from members
    watch_t *watch;                     //  The heartbeat stream
    uint64_t deadline_ms;               //  Everything ends by then (CLOCK_MONOTONIC)
} s_transfer_t;

//  Send a transfer-request to member leader, which leads term as far as we
//  know, and wait for its answer. Returns 0 with it in *answer, or -1 if
//  none came by the deadline. Only a verified transfer-reply from that
//  member to this very request (its incarnation and seq) counts.
static int
s_ask (s_transfer_t *t, uint32_t leader, uint64_t term, wire_msg_t *answer)
{
    const cluster_member_t *member = &t->cluster->members [leader];
    uint64_t now = (uint64_t) zclock_mono ();
    if (now >= t->deadline_ms)
        return -1;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return -1;
    wire_socket_harden (dealer, WIRE_FRAME_BYTES_MAX);
    //  ZMQ_IMMEDIATE: the send waits for the connection, up to the deadline.
    zsock_set_sndtimeo (dealer, (int) (t->deadline_ms - now));
    wire_msg_t request;
    wire_msg_init (&request, WIRE_TRANSFER_REQ);
    snprintf (request.to, sizeof request.to, "%s", member->id);
    snprintf (request.transfer_req.target, sizeof request.transfer_req.target, "%s", t->to);
    request.term = term;
    zmsg_t *out = wire_tx_zmsg (t->tx, &request);       //  Stamps incarnation and seq
    if (zsock_connect (dealer, "%s", member->rpc) == -1 || !out || zmsg_send (&out, dealer) != 0) {
        zmsg_destroy (&out);
        zsock_destroy (&dealer);
        return -1;
    }
    zpoller_t *poller = zpoller_new (dealer, NULL);
    int rc = -1;
    while (rc != 0 && poller && !zsys_interrupted
       && (now = (uint64_t) zclock_mono ()) < t->deadline_ms) {
        s_pump (t->watch);
        uint64_t left = t->deadline_ms - now;
        if (!zpoller_wait (poller, (int) (left < REPLY_POLL_MS ? left : REPLY_POLL_MS)))
            continue;
        zmsg_t *msg = wire_recv (dealer, WIRE_FRAMES);
        if (!msg)
            continue;
        wire_msg_t reply;
        if (wire_rx_accept (t->rx, msg, false, now, &reply, NULL) == 0
        &&  reply.type == WIRE_TRANSFER_RESP && streq (reply.from, member->id)
        &&  reply.transfer_resp.reply_to == request.seq
        &&  reply.transfer_resp.reply_incarnation == request.incarnation) {
            *answer = reply;
            rc = 0;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    return rc;
}

//  After an accepted request: wait until the stream shows the target
//  leading with a valid lease. Returns the exit code.
static int
s_await_leader (s_transfer_t *t, const char *asked)
{
    const cluster_t *cluster = t->cluster;
    int target = cluster_find (cluster, t->to);
    if (target < 0) {
        fprintf (stderr, "meshctl: %s accepted the transfer, but %s is not a member in this "
                 "cluster file: cannot see it take over\n", asked, t->to);
        return EXIT_USAGE;
    }
    watch_verdict_t verdict;
    uint64_t now;
    while (!zsys_interrupted && (now = (uint64_t) zclock_mono ()) < t->deadline_ms) {
        watch_verdict (t->watch, now, 2 * cluster->election_timeout_ms, &verdict);
        if (verdict.state == WATCH_LEADER && verdict.leader == target) {
            printf ("%s %llu\n", t->to, (unsigned long long) verdict.term);
            return 0;
        }
        if (verdict.state == WATCH_SPLIT_BRAIN) {
            fprintf (stderr, "meshctl: SPLIT BRAIN: %s\n", verdict.why);
            return EXIT_SPLIT_BRAIN;
        }
        uint64_t left = t->deadline_ms - now;
        watch_next (t->watch, (int) (left < cluster->heartbeat_ms ? left : cluster->heartbeat_ms));
    }
    fprintf (stderr, "meshctl: %s accepted the transfer, but %s did not lead with a valid lease "
             "in time\n", asked, t->to);
    return EXIT_NO_LEADER;
}

//  What a refusal means, for the operator.
static void
s_print_refusal (const char *asked, const s_transfer_options_t *o, wire_outcome_t outcome)
{
    const char *what = outcome == WIRE_OUTCOME_UNKNOWN_TARGET
                     ? "is not a voting member of its cluster file"
                     : outcome == WIRE_OUTCOME_UNREACHABLE_TARGET
                     ? "has not acknowledged the leader within the election timeout, or a "
                       "transfer is already under way"
                     : NULL;
    if (what)
        fprintf (stderr, "meshctl: refused by %s: %s %s (%s)\n", asked, o->to, what,
                 wire_outcome_name (outcome));
    else
        fprintf (stderr, "meshctl: refused by %s: client %s may not ask for a transfer "
                 "(its may_transfer is not 1) (%s)\n", asked, o->as, wire_outcome_name (outcome));
}

static int
s_transfer (int argc, char *argv [])
{
    s_transfer_options_t o;
    int rc = s_transfer_options (argc, argv, &o);
    if (rc)
        return rc;
    uint64_t start = (uint64_t) zclock_mono ();
    char err [CLUSTER_ERROR_MAX];
    cluster_t *cluster = s_load_cluster (o.cluster_path);
    if (!cluster)
        return EXIT_USAGE;
    keys_t *keys = NULL;
    wire_peers_t *members = NULL;
    s_transfer_t t = { .cluster = cluster, .to = o.to, .deadline_ms = start + o.timeout_ms };
    rc = EXIT_USAGE;
    int client = cluster_find_client (cluster, o.as);
    if (client < 0) {
        fprintf (stderr, "meshctl: --as %s: not a client in %s (its clients section)\n", o.as,
                 o.cluster_path);
        goto done;
    }
    keys = keys_load_secret (o.key_path, err, sizeof err);
    if (!keys) {
        fprintf (stderr, "meshctl: --key: %s\n", err);
        goto done;
    }
    if (memcmp (keys_public (keys), cluster->clients [client].public_key, CLUSTER_KEY_BYTES) != 0) {
        fprintf (stderr, "meshctl: --key %s: its public key is not clients/%s/public_key in %s\n",
                 o.key_path, o.as, o.cluster_path);
        goto done;
    }
    //  We hear only from members, and only what members send.
    members = wire_peers_new ();
    for (uint32_t i = 0; members && i < cluster->member_count; i++)
        wire_peers_add (members, cluster->members [i].id, cluster->members [i].public_key);
    t.rx = members ? wire_rx_new (cluster->id, o.as, members) : NULL;
    t.tx = wire_tx_new (cluster->id, o.as, keys, s_client_incarnation ());
    t.watch = watch_new (cluster, err, sizeof err);
    if (!t.rx || !t.tx || !t.watch) {
        fprintf (stderr, "meshctl: %s\n", t.watch ? "cannot start the wire layer" : err);
        goto done;
    }
    wire_rx_set_logger (t.rx, NULL, NULL);

    //  Find the leader and ask it; a leadership that changed under us (not
    //  leader, stale term) is looked up again while time remains.
    char problem [256] = "no leader with a valid lease";
    rc = EXIT_NO_LEADER;
    while (!zsys_interrupted && (uint64_t) zclock_mono () < t.deadline_ms) {
        uint64_t until = (uint64_t) zclock_mono () + 2 * cluster->election_timeout_ms;
        s_listen (t.watch, cluster, until < t.deadline_ms ? until : t.deadline_ms);
        watch_verdict_t verdict;
        watch_verdict (t.watch, (uint64_t) zclock_mono (), 2 * cluster->election_timeout_ms, &verdict);
        if (verdict.state == WATCH_SPLIT_BRAIN) {
            fprintf (stderr, "meshctl: SPLIT BRAIN: %s\n", verdict.why);
            rc = EXIT_SPLIT_BRAIN;
            goto done;
        }
        if (verdict.state != WATCH_LEADER)
            continue;
        const char *asked = cluster->members [verdict.leader].id;
        wire_msg_t answer;
        if (s_ask (&t, (uint32_t) verdict.leader, verdict.term, &answer) != 0) {
            snprintf (problem, sizeof problem, "no answer from %s (is %s a client in its cluster "
                      "file, with this key? is this host's clock behind an earlier request's?)",
                      asked, o.as);
            break;
        }
        wire_outcome_t outcome = answer.transfer_resp.outcome;
        if (outcome == WIRE_OUTCOME_ACCEPTED) {
            rc = s_await_leader (&t, asked);
            goto done;
        }
        if (outcome == WIRE_OUTCOME_NOT_LEADER || outcome == WIRE_OUTCOME_STALE_TERM) {
            //  The stream was behind the cluster; listening again (at
            //  least one interval) catches up, then we ask whoever leads.
            snprintf (problem, sizeof problem, "%s answered %s (its term %llu, its leader %s)",
                      asked, wire_outcome_name (outcome), (unsigned long long) answer.term,
                      answer.transfer_resp.has_leader ? answer.transfer_resp.leader : "none");
            continue;
        }
        s_print_refusal (asked, &o, outcome);
        rc = EXIT_USAGE;
        goto done;
    }
    fprintf (stderr, "meshctl: no transfer within %llu ms: %s\n",
             (unsigned long long) o.timeout_ms, problem);
done:
    watch_destroy (&t.watch);
    wire_tx_destroy (&t.tx);
    wire_rx_destroy (&t.rx);
    wire_peers_destroy (&members);
    keys_destroy (&keys);
    cluster_destroy (&cluster);
    return rc;
}

//  --------------------------------------------------------------------------
//  state: what a node has promised on disk, for operators and auditors

static int
s_state (int argc, char *argv [])
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "data", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 }
    };
    const char *cluster_path = NULL, *data = NULL;
    int option;
    optind = 1;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': cluster_path = optarg; break;
            case 'd': data = optarg; break;
            case ':': return s_usage_error ("%s needs a value", argv [optind - 1]);
            default:  return s_usage_error ("unknown option %s", argv [optind - 1]);
        }
    }
    if (optind != argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    if (!cluster_path || !data)
        return s_usage_error ("state needs --cluster FILE and --data DIR%s", "");
    cluster_t *cluster = s_load_cluster (cluster_path);
    if (!cluster)
        return EXIT_USAGE;
    //  Read the record directly rather than through state_open: that would
    //  take the node's lock and could create files in its directory.
    char path [4200];
    snprintf (path, sizeof path, "%s/%s", data, STATE_FILE);
    int rc = EXIT_USAGE;
    uint8_t record [STATE_RECORD_BYTES + 1];
    FILE *file = fopen (path, "rb");
    if (!file && errno == ENOENT) {
        //  A node that never started has promised nothing.
        printf ("{\"term\":0,\"vote\":null,\"incarnation\":0,\"exists\":false}\n");
        rc = 0;
    }
    else
    if (!file)
        fprintf (stderr, "meshctl: %s: %s\n", path, strerror (errno));
    else {
        size_t size = fread (record, 1, sizeof record, file);
        fclose (file);
        uint64_t term = 0, incarnation = 0;
        char vote [STATE_ID_MAX + 1] = "";
        char err [CLUSTER_ERROR_MAX];
        if (state_decode (record, size, cluster->id, &term, vote, &incarnation, path, err, sizeof err))
            fprintf (stderr, "meshctl: %s\n", err);
        else {
            printf ("{\"term\":%llu,\"vote\":", (unsigned long long) term);
            if (*vote)
                printf ("\"%s\"", vote);         //  Ids are [A-Za-z0-9._-]: no escaping
            else
                printf ("null");
            printf (",\"incarnation\":%llu,\"exists\":true}\n", (unsigned long long) incarnation);
            rc = 0;
        }
    }
    cluster_destroy (&cluster);
    return rc;
}

//  --------------------------------------------------------------------------
//  put, get, cas, del, ls: the capacity map, through the client library
//  (client.h), as a client of the cluster file with that client's key.
//  Exit 0 ok; 1 the answer was no (cas-failed, not-found, full) or nothing
//  is certain (unavailable: not done; unknown: a write that may or may not
//  have taken effect); 2 bad arguments or files, or refused (not-permitted,
//  invalid). Split brain (3) does not apply: only a leader answers.

typedef struct {
    const char *command;                //  "put", "get", "cas", "del", "ls"
    const char *cluster_path;
    const char *as;                     //  Our client id
    const char *key_path;               //  Its secret key file
    const char *via;                    //  Member to ask first, or NULL
    bool json;
    uint64_t timeout_ms;
    bool has_expected;                  //  del --expected
    uint64_t expected;
    uint64_t limit;                     //  ls --limit
    uint64_t request_id;                //  put, cas, del --request-id (0: random)
    int argc;                           //  The positional arguments
    char **argv;
} s_data_options_t;

static int
s_data_options (int argc, char *argv [], s_data_options_t *o)
{
    static struct option longopts [] = {
        { "cluster", required_argument, NULL, 'c' },
        { "as", required_argument, NULL, 'a' },
        { "key", required_argument, NULL, 'k' },
        { "via", required_argument, NULL, 'v' },
        { "json", no_argument, NULL, 'j' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "expected", required_argument, NULL, 'e' },
        { "limit", required_argument, NULL, 'l' },
        { "request-id", required_argument, NULL, 'r' },
        { NULL, 0, NULL, 0 }
    };
    *o = (s_data_options_t) { .command = argv [0], .timeout_ms = DATA_TIMEOUT_MS,
                              .limit = KV_KEYS_MAX };
    bool is_del = streq (o->command, "del"), is_ls = streq (o->command, "ls");
    int option;
    optind = 1;
    while ((option = getopt_long (argc, argv, ":", longopts, NULL)) != -1) {
        switch (option) {
            case 'c': o->cluster_path = optarg; break;
            case 'a': o->as = optarg; break;
            case 'k': o->key_path = optarg; break;
            case 'v': o->via = optarg; break;
            case 'j': o->json = true; break;
            case 't':
                if (number_parse_uint (optarg, 1, CLIENT_TIMEOUT_MS_MAX, &o->timeout_ms))
                    return s_usage_error ("--timeout-ms must be 1..3600000, not '%s'", optarg);
                break;
            case 'e':
                if (!is_del)
                    return s_usage_error ("%s takes no --expected", o->command);
                if (number_parse_uint (optarg, 1, UINT64_MAX, &o->expected))
                    return s_usage_error ("--expected must be a version >= 1, not '%s'", optarg);
                o->has_expected = true;
                break;
            case 'r':
                if (is_ls || streq (o->command, "get"))
                    return s_usage_error ("%s takes no --request-id (only writes do)", o->command);
                if (number_parse_uint (optarg, 1, UINT64_MAX, &o->request_id))
                    return s_usage_error ("--request-id must be 1..18446744073709551615, not '%s'",
                                          optarg);
                break;
            case 'l':
                if (!is_ls)
                    return s_usage_error ("%s takes no --limit", o->command);
                if (number_parse_uint (optarg, 1, KV_KEYS_MAX, &o->limit))
                    return s_usage_error ("--limit must be 1..100000, not '%s'", optarg);
                break;
            case ':': return s_usage_error ("%s needs a value", argv [optind - 1]);
            default:  return s_usage_error ("unknown option %s (a VALUE that starts with '-' "
                                            "goes after --)", argv [optind - 1]);
        }
    }
    o->argc = argc - optind;
    o->argv = argv + optind;
    const char *missing = !o->cluster_path ? "--cluster FILE" : !o->as ? "--as CLIENT"
                        : !o->key_path ? "--key FILE" : NULL;
    if (missing) {
        fprintf (stderr, "meshctl: %s needs %s (see meshctl --help)\n", o->command, missing);
        return EXIT_USAGE;
    }
    return 0;
}

//  KEY (or an ls PREFIX, which may be empty): the alphabet of node/kv.h.
static int
s_check_key (const char *key, bool prefix)
{
    size_t size = strlen (key);
    if ((prefix && size == 0) || kv_key_valid (key, size))
        return 0;
    fprintf (stderr, "meshctl: %s '%s' is not 1..%d characters of [A-Za-z0-9._/-] (see meshctl "
             "--help)\n", prefix ? "PREFIX" : "KEY", key, KV_KEY_MAX);
    return EXIT_USAGE;
}

//  The cluster file and a client of it, as o says; NULL after printing
//  why (nothing is left open then).
//  Point the client at the leader the heartbeat stream names, if one
//  speaks within three heartbeat intervals: otherwise the client starts
//  at the first member, and a first member that is down costs its
//  connect timeout before the redirect.
static void
s_guess_leader (const cluster_t *cluster, client_t *client)
{
    char err [CLUSTER_ERROR_MAX];
    watch_t *watch = watch_new (cluster, err, sizeof err);
    if (!watch)
        return;
    uint64_t until = (uint64_t) zclock_mono () + 3 * cluster->heartbeat_ms + 50;
    while ((uint64_t) zclock_mono () < until) {
        int member = watch_next (watch, (int) (until - (uint64_t) zclock_mono ()));
        if (member < 0)
            break;
        const watch_view_t *view = watch_view (watch, (uint32_t) member);
        if (view && view->role == WIRE_LEADER) {
            client_set_leader (client, cluster->members [member].id);
            break;
        }
    }
    watch_destroy (&watch);
}

static client_t *
s_open_client (const s_data_options_t *o, cluster_t **cluster_p)
{
    *cluster_p = s_load_cluster (o->cluster_path);
    if (!*cluster_p)
        return NULL;
    char err [CLUSTER_ERROR_MAX];
    client_t *client = NULL;
    if (cluster_find_client (*cluster_p, o->as) < 0)
        fprintf (stderr, "meshctl: --as %s: not a client in %s (its clients section)\n", o->as,
                 o->cluster_path);
    else
    if (o->via && cluster_find (*cluster_p, o->via) < 0)
        fprintf (stderr, "meshctl: --via %s: not a member in %s\n", o->via, o->cluster_path);
    else
    if (!(client = client_new (*cluster_p, o->as, o->key_path, err, sizeof err)))
        fprintf (stderr, "meshctl: --key: %s\n", err);
    else
    if (o->via)
        client_set_leader (client, o->via);
    else
        s_guess_leader (*cluster_p, client);
    if (!client)
        cluster_destroy (cluster_p);
    return client;
}

//  True if the size bytes at data are valid UTF-8 (shortest forms, no
//  surrogates) without control characters: printable as they are.
static bool
s_printable (const uint8_t *data, size_t size)
{
    static const uint32_t least [] = { 0, 0x80, 0x800, 0x10000 };
    size_t i = 0;
    while (i < size) {
        uint32_t c = data [i];
        size_t extra = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2
                     : (c & 0xf8) == 0xf0 ? 3 : 4;
        if (extra == 4 || extra >= size - i)
            return false;
        if (extra)
            c &= 0x3fu >> extra;
        for (size_t k = 1; k <= extra; k++) {
            if ((data [i + k] & 0xc0) != 0x80)
                return false;
            c = (c << 6) | (data [i + k] & 0x3fu);
        }
        if (c < least [extra] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)
        ||  c < 0x20 || (c >= 0x7f && c <= 0x9f))
            return false;
        i += extra + 1;
    }
    return true;
}

//  A value for people: as it is if printable, else 0x and its hex; "" if empty.
static void
s_print_value (FILE *out, const uint8_t *value, size_t size)
{
    if (size == 0)
        fprintf (out, "\"\"");
    else
    if (s_printable (value, size))
        fwrite (value, 1, size, out);
    else {
        fprintf (out, "0x");
        for (size_t i = 0; i < size; i++)
            fprintf (out, "%02x", value [i]);
    }
}

//  A JSON string: printable text escaped where JSON needs it.
static void
s_print_json_text (const char *text, size_t size)
{
    putchar ('"');
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c == '"' || c == '\\')
            printf ("\\%c", c);
        else
        if (c < 0x20)
            printf ("\\u%04x", c);
        else
            putchar (c);
    }
    putchar ('"');
}

//  A value as a JSON member: "value":"..." if printable, else
//  "value_hex":"..." (lower-case hex of its bytes).
static void
s_print_value_json (const uint8_t *value, size_t size)
{
    if (s_printable (value, size)) {
        printf ("\"value\":");
        s_print_json_text ((const char *) value, size);
    }
    else {
        printf ("\"value_hex\":\"");
        for (size_t i = 0; i < size; i++)
            printf ("%02x", value [i]);
        printf ("\"");
    }
}

//  The members every data command's JSON object ends with (and its '}').
static void
s_print_result_json (const client_result_t *r)
{
    printf ("\"outcome\":\"%s\",\"term\":%llu,\"index\":%llu,\"version\":%llu,\"leader\":",
            client_outcome_name (r->outcome), (unsigned long long) r->term,
            (unsigned long long) r->index, (unsigned long long) r->version);
    if (*r->leader)
        printf ("\"%s\"", r->leader);           //  Ids are [A-Za-z0-9._-]: no escaping
    else
        printf ("null");
    printf (",\"answered_by\":");
    if (*r->answered_by)
        printf ("\"%s\"", r->answered_by);
    else
        printf ("null");
    printf (",\"attempts\":%u", r->attempts);
    if (r->request_id)
        printf (",\"request_id\":%llu", (unsigned long long) r->request_id);
    if (*r->detail) {
        printf (",\"detail\":");
        s_print_json_text (r->detail, strlen (r->detail));
    }
    printf ("}\n");
}

//  What an outcome means for the exit code.
static int
s_data_exit (client_outcome_t outcome)
{
    return outcome == CLIENT_OK ? 0
         : outcome == CLIENT_NOT_PERMITTED || outcome == CLIENT_INVALID ? EXIT_USAGE
         : EXIT_NOT_DONE;
}

//  After the outcome in a line for people: what it means.
static void
s_print_meaning (FILE *out, const s_data_options_t *o, const client_result_t *r, bool write)
{
    switch (r->outcome) {
        case CLIENT_OK:
            if (!write || r->version)           //  A del leaves no version
                fprintf (out, ", version %llu", (unsigned long long) r->version);
            if (write)
                fprintf (out, ", fencing token term %llu index %llu", (unsigned long long) r->term,
                         (unsigned long long) r->index);
            break;
        case CLIENT_CAS_FAILED:
            fprintf (out, ", current version %llu%s", (unsigned long long) r->version,
                     r->version ? "" : " (absent)");
            break;
        case CLIENT_FULL:
            fprintf (out, " (the map holds its maximum of %d keys)", KV_KEYS_MAX);
            break;
        case CLIENT_NOT_PERMITTED:
            fprintf (out, ": client %s may not %s (its %s is not 1 in the cluster file)", o->as,
                     write ? "write" : "read", write ? "may_write" : "may_read");
            break;
        case CLIENT_INVALID:
            fprintf (out, ": %s", *r->detail ? r->detail : "the node refused the key, value or op");
            break;
        case CLIENT_UNAVAILABLE:
            fprintf (out, ": no leader answered within %llu ms%s (%s)",
                     (unsigned long long) o->timeout_ms, write ? "; not applied" : "", r->detail);
            break;
        case CLIENT_UNKNOWN:
            fprintf (out, ": no answer within %llu ms after the request went out (%s); the write "
                     "may or may not have taken effect, and may still: run the same command "
                     "again with --request-id %llu (carried out once, as client %s, if it sends "
                     "no other write first), or read the key back",
                     (unsigned long long) o->timeout_ms, r->detail,
                     (unsigned long long) r->request_id, o->as);
            break;
        default:
            break;
    }
}

//  Report a put, cas, del or get: one JSON object, or one line (stdout for
//  the cluster's answers, stderr with "meshctl: " for the rest). value is
//  what a put or cas wrote (NULL otherwise). Returns the exit code.
static int
s_report (const s_data_options_t *o, const client_result_t *r, const char *key,
          const char *value, bool has_expected, uint64_t expected)
{
    bool write = !streq (o->command, "get");
    const uint8_t *shown = (const uint8_t *) value;
    size_t shown_size = value ? strlen (value) : 0;
    if (!write && r->has_value) {
        shown = r->value;
        shown_size = r->value_size;
    }
    if (o->json) {
        printf ("{\"op\":\"%s\",\"key\":\"%s\",", o->command, key);   //  Keys need no escaping
        if (has_expected)
            printf ("\"expected\":%llu,", (unsigned long long) expected);
        if (shown)
            s_print_value_json (shown, shown_size);
        else
            printf ("\"value\":null");
        printf (",");
        s_print_result_json (r);
    }
    else {
        bool answered = r->outcome == CLIENT_OK || r->outcome == CLIENT_CAS_FAILED
                     || r->outcome == CLIENT_NOT_FOUND || r->outcome == CLIENT_FULL;
        FILE *out = answered ? stdout : stderr;
        fprintf (out, "%s%s %s", answered ? "" : "meshctl: ", o->command, key);
        if (shown) {
            fprintf (out, " = ");
            s_print_value (out, shown, shown_size);
        }
        if (has_expected)
            fprintf (out, " (expected version %llu)", (unsigned long long) expected);
        fprintf (out, ": %s", client_outcome_name (r->outcome));
        s_print_meaning (out, o, r, write);
        fprintf (out, "\n");
    }
    return s_data_exit (r->outcome);
}

//  put KEY VALUE, get KEY, cas KEY EXPECTED_VERSION VALUE, del KEY
static int
s_data (int argc, char *argv [])
{
    s_data_options_t o;
    int rc = s_data_options (argc, argv, &o);
    if (rc)
        return rc;
    bool is_put = streq (o.command, "put"), is_cas = streq (o.command, "cas");
    bool is_del = streq (o.command, "del");
    const char *form = is_put ? "KEY VALUE" : is_cas ? "KEY EXPECTED_VERSION VALUE" : "KEY";
    if (o.argc != (is_put ? 2 : is_cas ? 3 : 1)) {
        fprintf (stderr, "meshctl: %s takes %s (see meshctl --help)\n", o.command, form);
        return EXIT_USAGE;
    }
    const char *key = o.argv [0];
    const char *value = is_put ? o.argv [1] : is_cas ? o.argv [2] : NULL;
    uint64_t expected = o.expected;
    bool has_expected = is_cas || (is_del && o.has_expected);
    if (s_check_key (key, false))
        return EXIT_USAGE;
    if (is_cas && number_parse_uint (o.argv [1], 0, UINT64_MAX, &expected))
        return s_usage_error ("EXPECTED_VERSION must be a version (0: the key must not exist), "
                              "not '%s'", o.argv [1]);
    if (value && strlen (value) > CLIENT_VALUE_MAX) {
        fprintf (stderr, "meshctl: VALUE is %zu bytes, longer than %d\n", strlen (value),
                 CLIENT_VALUE_MAX);
        return EXIT_USAGE;
    }
    cluster_t *cluster;
    client_t *client = s_open_client (&o, &cluster);
    if (!client)
        return EXIT_USAGE;
    client_result_t result;
    if (o.request_id)
        client_set_request_id (client, o.request_id);
    if (is_put)
        client_put (client, key, value, strlen (value), o.timeout_ms, &result);
    else
    if (is_cas)
        client_cas (client, key, expected, value, strlen (value), o.timeout_ms, &result);
    else
    if (is_del)
        client_del (client, key, has_expected ? expected : 0, o.timeout_ms, &result);
    else
        client_get (client, key, o.timeout_ms, &result);
    rc = s_report (&o, &result, key, value, has_expected, expected);
    client_destroy (&client);
    cluster_destroy (&cluster);
    return rc;
}

//  ls [PREFIX]: pages of client_list until the last page or --limit keys,
//  printed as they come (a listing is not one snapshot: each page is its
//  own read).
static int
s_ls (int argc, char *argv [])
{
    s_data_options_t o;
    int rc = s_data_options (argc, argv, &o);
    if (rc)
        return rc;
    if (o.argc > 1) {
        fprintf (stderr, "meshctl: ls takes at most one PREFIX (see meshctl --help)\n");
        return EXIT_USAGE;
    }
    const char *prefix = o.argc ? o.argv [0] : "";
    if (s_check_key (prefix, true))
        return EXIT_USAGE;
    cluster_t *cluster;
    client_t *client = s_open_client (&o, &cluster);
    if (!client)
        return EXIT_USAGE;
    client_result_t *r = (client_result_t *) zmalloc (sizeof (client_result_t));
    assert (r);
    uint64_t deadline = (uint64_t) zclock_mono () + o.timeout_ms;
    char after [KV_KEY_MAX + 1] = "";
    uint64_t count = 0;
    bool more = true;
    if (o.json)
        printf ("{\"op\":\"ls\",\"prefix\":\"%s\",\"items\":[", prefix);
    while (more && count < o.limit) {
        uint64_t now = (uint64_t) zclock_mono ();
        if (now >= deadline) {
            r->outcome = CLIENT_UNAVAILABLE;
            snprintf (r->detail, sizeof r->detail, "the listing did not end in time");
            break;
        }
        uint64_t page = o.limit - count < CLIENT_LIST_MAX ? o.limit - count : CLIENT_LIST_MAX;
        client_list (client, prefix, after, (uint32_t) page, deadline - now, r);
        if (r->outcome != CLIENT_OK)
            break;
        for (size_t i = 0; i < r->item_count; i++) {
            const client_item_t *item = &r->items [i];
            if (o.json) {
                printf ("%s{\"key\":\"%s\",\"version\":%llu,", count ? "," : "", item->key,
                        (unsigned long long) item->version);
                s_print_value_json (item->value, item->value_size);
                printf ("}");
            }
            else {
                printf ("%s = ", item->key);
                s_print_value (stdout, item->value, item->value_size);
                printf (" (version %llu)\n", (unsigned long long) item->version);
            }
            count++;
        }
        //  An empty page that claims more would make no progress: stop.
        more = r->more && r->item_count > 0;
        if (r->item_count)
            snprintf (after, sizeof after, "%s", r->items [r->item_count - 1].key);
    }
    bool done = r->outcome == CLIENT_OK;
    if (o.json) {
        printf ("],\"count\":%llu,\"more\":%s,", (unsigned long long) count,
                done && more ? "true" : "false");
        s_print_result_json (r);
    }
    else
    if (done)
        printf ("ls %s: ok, %llu keys%s\n", *prefix ? prefix : "\"\"", (unsigned long long) count,
                more ? ", more after --limit" : "");
    else {
        fprintf (stderr, "meshctl: ls %s: %s", *prefix ? prefix : "\"\"",
                 client_outcome_name (r->outcome));
        s_print_meaning (stderr, &o, r, false);
        fprintf (stderr, "%s\n", count ? " (the keys above were listed before)" : "");
    }
    rc = s_data_exit (r->outcome);
    free (r);
    client_destroy (&client);
    cluster_destroy (&cluster);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc < 2)
        return s_usage_error ("a command is needed%s", "");
    const char *command = argv [1];
    if (streq (command, "--help") || streq (command, "-h") || streq (command, "help")) {
        printf ("%s", usage_text);
        return 0;
    }
    zsys_set_logident ("meshctl");
    argc--, argv++;
    if (streq (command, "keygen"))
        return s_keygen (argc, argv);
    if (streq (command, "cluster-init"))
        return s_cluster_init (argc, argv);
    if (streq (command, "watch"))
        return s_watch (argc, argv);
    if (streq (command, "status"))
        return s_snapshot (argc, argv, false);
    if (streq (command, "leader"))
        return s_snapshot (argc, argv, true);
    if (streq (command, "transfer"))
        return s_transfer (argc, argv);
    if (streq (command, "state"))
        return s_state (argc, argv);
    if (streq (command, "put") || streq (command, "get") || streq (command, "cas")
    ||  streq (command, "del"))
        return s_data (argc, argv);
    if (streq (command, "ls"))
        return s_ls (argc, argv);
    return s_usage_error ("unknown command '%s'", command);
}
