/*  cluster: the cluster file. See cluster.h for the format and the rules.  */
#define _POSIX_C_SOURCE 200809L
#include "errmsg.h"
#include "cluster.h"
#include "msg.h"
#include <czmq.h>
#include <sodium.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>

//  Strict unsigned integer: digits only, within [min, max].
static int
s_number (const char *value, uint64_t min, uint64_t max, uint64_t *out)
{
    if (!value || !*value || strlen (value) > 20)
        return -1;
    uint64_t n = 0;
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        uint64_t digit = (uint64_t) (*p - '0');
        if (n > (UINT64_MAX - digit) / 10)
            return -1;
        n = n * 10 + digit;
    }
    if (n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

//  tcp://host:port or ipc://path; host:port for metrics.
static bool
s_endpoint_valid (const char *value, bool zmq)
{
    size_t length = strlen (value);
    if (length == 0 || length > CLUSTER_ENDPOINT_MAX)
        return false;
    for (size_t i = 0; i < length; i++)
        if ((unsigned char) value [i] <= ' ' || value [i] == 127)
            return false;
    const char *hostport = value;
    if (zmq) {
        if (strncmp (value, "ipc://", 6) == 0)
            return length > 6;
        if (strncmp (value, "tcp://", 6) != 0)
            return false;
        hostport = value + 6;
    }
    const char *colon = strrchr (hostport, ':');
    if (!colon || colon == hostport)
        return false;
    uint64_t port;
    return s_number (colon + 1, 1, 65535, &port) == 0;
}

//  Exactly 64 hex digits: an Ed25519 public key.
static int
s_public_key (const char *value, uint8_t key [CLUSTER_KEY_BYTES])
{
    size_t length = 0;
    if (strlen (value) != 2 * CLUSTER_KEY_BYTES
    ||  sodium_hex2bin (key, CLUSTER_KEY_BYTES, value, strlen (value), NULL, &length, NULL) != 0
    ||  length != CLUSTER_KEY_BYTES)
        return -1;
    return 0;
}

//  The metrics endpoint listens on an IPv4 address (metrics.h), so the
//  host part of host:port must be one, or a host name (resolved when the
//  node starts, resolve.h); checked here to name the entry.
static bool
s_ipv4_host (const char *hostport)
{
    char host [64];
    const char *colon = strrchr (hostport, ':');
    if (!colon || colon == hostport || (size_t) (colon - hostport) >= sizeof host)
        return false;
    memcpy (host, hostport, (size_t) (colon - hostport));
    host [colon - hostport] = 0;
    struct in_addr address;
    if (inet_pton (AF_INET, host, &address) == 1)
        return true;
    //  A host name (RFC 1123 letters, digits, hyphens, dots), never an
    //  IPv6 literal or anything a shell or URL would read differently
    for (const char *c = host; *c; c++)
        if (!isalnum ((unsigned char) *c) && *c != '-' && *c != '.')
            return false;
    return isalpha ((unsigned char) host [0]) || isdigit ((unsigned char) host [0]);
}

static int
s_parse_cluster (cluster_t *self, zconfig_t *section, const char *source,
                 char *err, size_t err_size)
{
    struct { const char *name; uint64_t min, max; uint64_t *u64; uint32_t *u32; } numbers [] = {
        { "heartbeat_ms", 1, CORE_TIMEOUT_MS_MAX, &self->heartbeat_ms, NULL },
        { "election_timeout_ms", CORE_TIMEOUT_MS_MIN, CORE_TIMEOUT_MS_MAX, &self->election_timeout_ms, NULL },
        { "lease_ms", 0, CORE_TIMEOUT_MS_MAX, &self->lease_ms, NULL },
        { "max_drift_ppm", 0, LEASE_DRIFT_PPM_MAX, NULL, &self->max_drift_ppm },
        { "storm_threshold", 1, STORM_RING - 1, NULL, &self->storm_threshold },
        { "backoff_max_ms", 0, CORE_TIMEOUT_MS_MAX, &self->backoff_max_ms, NULL },
    };
    bool have_id = false;
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        const char *value = zconfig_value (item);
        if (zconfig_child (item))
            return errmsg_set (err, err_size, "%s: cluster/%s: unexpected section", source, name);
        if (streq (name, "id")) {
            if (have_id)
                return errmsg_set (err, err_size, "%s: cluster/id: given twice", source);
            if (!value || !wire_cluster_valid (value, strlen (value)))
                return errmsg_set (err, err_size,
                                "%s: cluster/id: must be 1..%d characters of A-Z a-z 0-9 . _ -",
                                source, CLUSTER_ID_MAX);
            snprintf (self->id, sizeof (self->id), "%s", value);
            have_id = true;
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof (numbers) / sizeof (numbers [0]); i++)
            if (streq (name, numbers [i].name))
                break;
        if (i == sizeof (numbers) / sizeof (numbers [0]))
            return errmsg_set (err, err_size, "%s: cluster/%s: unknown key", source, name);
        uint64_t n;
        if (s_number (value, numbers [i].min, numbers [i].max, &n))
            return errmsg_set (err, err_size, "%s: cluster/%s: '%s' is not a whole number in %" PRIu64
                            "..%" PRIu64, source, name, value ? value : "", numbers [i].min,
                            numbers [i].max);
        if (numbers [i].u64)
            *numbers [i].u64 = n;
        else
            *numbers [i].u32 = (uint32_t) n;
    }
    if (!have_id)
        return errmsg_set (err, err_size, "%s: cluster/id: missing", source);
    return 0;
}

static int
s_parse_member (cluster_t *self, zconfig_t *section, const char *source,
                char *err, size_t err_size)
{
    const char *id = zconfig_name (section);
    if (!wire_id_valid (id, strlen (id)))
        return errmsg_set (err, err_size,
                        "%s: members/%s: a member id must be 1..%d characters of A-Z a-z 0-9 . _ -",
                        source, id, CLUSTER_MEMBER_ID_MAX);
    if (zconfig_value (section) && *zconfig_value (section))
        return errmsg_set (err, err_size, "%s: members/%s: a member is a section, not a value", source, id);
    if (cluster_find (self, id) >= 0)
        return errmsg_set (err, err_size, "%s: members/%s: duplicate member id", source, id);
    if (self->member_count == CORE_MEMBERS_MAX)
        return errmsg_set (err, err_size, "%s: members/%s: more than %d members", source, id,
                        CORE_MEMBERS_MAX);
    cluster_member_t *member = &self->members [self->member_count];
    memset (member, 0, sizeof (*member));
    snprintf (member->id, sizeof (member->id), "%s", id);
    member->weight = 1;
    bool have_key = false, have_heartbeat = false, have_rpc = false;
    uint32_t seen = 0;          //  Bit per key, to refuse repeats
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        const char *value = zconfig_value (item) ? zconfig_value (item) : "";
        uint32_t bit;
        if (zconfig_child (item))
            return errmsg_set (err, err_size, "%s: members/%s/%s: unexpected section", source, id, name);
        if (streq (name, "weight")) {
            uint64_t weight;
            bit = 1;
            if (s_number (value, 0, QUORUM_WEIGHT_MAX, &weight))
                return errmsg_set (err, err_size, "%s: members/%s/weight: '%s' is not a whole number "
                                "in 0..%d", source, id, value, QUORUM_WEIGHT_MAX);
            member->weight = (uint32_t) weight;
        }
        else
        if (streq (name, "heartbeat") || streq (name, "rpc")) {
            bool heartbeat = streq (name, "heartbeat");
            bit = heartbeat ? 2 : 4;
            if (!s_endpoint_valid (value, true))
                return errmsg_set (err, err_size, "%s: members/%s/%s: '%s' is not a tcp://host:port "
                                "or ipc:// endpoint", source, id, name, value);
            snprintf (heartbeat ? member->heartbeat : member->rpc, CLUSTER_ENDPOINT_MAX + 1, "%s", value);
            *(heartbeat ? &have_heartbeat : &have_rpc) = true;
        }
        else
        if (streq (name, "metrics")) {
            bit = 8;
            if (!s_endpoint_valid (value, false) || !s_ipv4_host (value))
                return errmsg_set (err, err_size, "%s: members/%s/metrics: '%s' is not "
                                   "IPv4-address:port or host-name:port", source, id, value);
            snprintf (member->metrics, sizeof (member->metrics), "%s", value);
        }
        else
        if (streq (name, "public_key")) {
            bit = 16;
            if (s_public_key (value, member->public_key))
                return errmsg_set (err, err_size, "%s: members/%s/public_key: must be %d hex digits "
                                "(an Ed25519 public key)", source, id, 2 * CLUSTER_KEY_BYTES);
            have_key = true;
        }
        else
            return errmsg_set (err, err_size, "%s: members/%s/%s: unknown key", source, id, name);
        if (seen & bit)
            return errmsg_set (err, err_size, "%s: members/%s/%s: given twice", source, id, name);
        seen |= bit;
    }
    if (!have_heartbeat || !have_rpc || !have_key)
        return errmsg_set (err, err_size, "%s: members/%s: needs heartbeat, rpc and public_key",
                        source, id);
    self->member_count++;
    return 0;
}

//  The may_* keys of a client entry: adding a kind of request is one line.
static const struct {
    const char *name;
    uint32_t bit;
} s_permissions [] = {
    { "may_transfer", CLUSTER_MAY_TRANSFER },
    { "may_read", CLUSTER_MAY_READ },
    { "may_write", CLUSTER_MAY_WRITE },
};
#define S_PERMISSIONS   (sizeof (s_permissions) / sizeof (s_permissions [0]))

static int
s_parse_client (cluster_t *self, zconfig_t *section, const char *source,
                char *err, size_t err_size)
{
    const char *id = zconfig_name (section);
    if (!wire_id_valid (id, strlen (id)))
        return errmsg_set (err, err_size,
                        "%s: clients/%s: a client id must be 1..%d characters of A-Z a-z 0-9 . _ -",
                        source, id, CLUSTER_MEMBER_ID_MAX);
    if (zconfig_value (section) && *zconfig_value (section))
        return errmsg_set (err, err_size, "%s: clients/%s: a client is a section, not a value", source, id);
    if (cluster_find_client (self, id) >= 0)
        return errmsg_set (err, err_size, "%s: clients/%s: duplicate client id", source, id);
    if (self->client_count == CLUSTER_CLIENTS_MAX)
        return errmsg_set (err, err_size, "%s: clients/%s: more than %d clients", source, id,
                        CLUSTER_CLIENTS_MAX);
    cluster_client_t *client = &self->clients [self->client_count];
    memset (client, 0, sizeof (*client));
    snprintf (client->id, sizeof (client->id), "%s", id);
    bool have_key = false;
    uint32_t seen = 0;          //  Bit per key (the permission bits, and the key), to refuse repeats
    const uint32_t key_bit = 1u << 31;
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *name = zconfig_name (item);
        const char *value = zconfig_value (item) ? zconfig_value (item) : "";
        uint32_t bit = 0;
        if (zconfig_child (item))
            return errmsg_set (err, err_size, "%s: clients/%s/%s: unexpected section", source, id, name);
        if (streq (name, "public_key")) {
            bit = key_bit;
            if (s_public_key (value, client->public_key))
                return errmsg_set (err, err_size, "%s: clients/%s/public_key: must be %d hex digits "
                                "(an Ed25519 public key)", source, id, 2 * CLUSTER_KEY_BYTES);
            have_key = true;
        }
        else {
            for (size_t i = 0; i < S_PERMISSIONS && !bit; i++)
                if (streq (name, s_permissions [i].name))
                    bit = s_permissions [i].bit;
            if (!bit)
                return errmsg_set (err, err_size, "%s: clients/%s/%s: unknown key", source, id, name);
            //  Exactly 0 or 1: "yes" or "true" would be a guess at intent.
            if (!streq (value, "0") && !streq (value, "1"))
                return errmsg_set (err, err_size, "%s: clients/%s/%s: '%s' is not 0 or 1",
                                source, id, name, value);
            if (streq (value, "1"))
                client->may |= bit;
        }
        if (seen & bit)
            return errmsg_set (err, err_size, "%s: clients/%s/%s: given twice", source, id, name);
        seen |= bit;
    }
    if (!have_key)
        return errmsg_set (err, err_size, "%s: clients/%s: needs public_key", source, id);
    self->client_count++;
    return 0;
}

//  Every endpoint and key must be unique across the cluster, and a client
//  may not share an id or a key with anyone: a request must name one
//  principal, and a client's key must never pass for a member's.
static int
s_check_unique (const cluster_t *self, const char *source, char *err, size_t err_size)
{
    for (uint32_t i = 0; i < self->client_count; i++) {
        const cluster_client_t *a = &self->clients [i];
        if (cluster_find (self, a->id) >= 0)
            return errmsg_set (err, err_size, "%s: clients/%s: id already used by members/%s",
                            source, a->id, a->id);
        for (uint32_t m = 0; m < self->member_count; m++)
            if (memcmp (a->public_key, self->members [m].public_key, CLUSTER_KEY_BYTES) == 0)
                return errmsg_set (err, err_size, "%s: clients/%s: same public_key as members/%s",
                                source, a->id, self->members [m].id);
        for (uint32_t j = i + 1; j < self->client_count; j++)
            if (memcmp (a->public_key, self->clients [j].public_key, CLUSTER_KEY_BYTES) == 0)
                return errmsg_set (err, err_size, "%s: clients/%s: same public_key as clients/%s",
                                source, self->clients [j].id, a->id);
    }
    for (uint32_t i = 0; i < self->member_count; i++) {
        const cluster_member_t *a = &self->members [i];
        if (streq (a->heartbeat, a->rpc))
            return errmsg_set (err, err_size, "%s: members/%s: heartbeat and rpc are the same endpoint",
                            source, a->id);
        for (uint32_t j = i + 1; j < self->member_count; j++) {
            const cluster_member_t *b = &self->members [j];
            const char *ends_a [3] = { a->heartbeat, a->rpc, a->metrics };
            const char *ends_b [3] = { b->heartbeat, b->rpc, b->metrics };
            for (int x = 0; x < 3; x++)
                for (int y = 0; y < 3; y++)
                    if (*ends_a [x] && streq (ends_a [x], ends_b [y]))
                        return errmsg_set (err, err_size, "%s: members/%s: endpoint %s is also used by "
                                        "members/%s", source, b->id, ends_a [x], a->id);
            if (memcmp (a->public_key, b->public_key, CLUSTER_KEY_BYTES) == 0)
                return errmsg_set (err, err_size, "%s: members/%s: same public_key as members/%s",
                                source, b->id, a->id);
        }
    }
    return 0;
}

cluster_t *
cluster_parse (const char *text, const char *source, char *err, size_t err_size)
{
    if (strlen (text) > CLUSTER_FILE_BYTES_MAX) {
        errmsg_set (err, err_size, "%s: larger than %d bytes", source, CLUSTER_FILE_BYTES_MAX);
        return NULL;
    }
    zconfig_t *root = zconfig_str_load (text);
    if (!root) {
        errmsg_set (err, err_size, "%s: not valid ZPL (zconfig logged the line; indent by 4 spaces, name = value)", source);
        return NULL;
    }
    cluster_t *self = (cluster_t *) zmalloc (sizeof (cluster_t));
    self->heartbeat_ms = CORE_HEARTBEAT_MS_DEFAULT;
    self->election_timeout_ms = CORE_ELECTION_MS_DEFAULT;
    self->max_drift_ppm = CORE_DRIFT_PPM_DEFAULT;
    self->storm_threshold = STORM_THRESHOLD_DEFAULT;
    int rc = 0;
    bool have_cluster = false, have_members = false, have_clients = false;
    for (zconfig_t *section = zconfig_child (root); section && rc == 0; section = zconfig_next (section)) {
        const char *name = zconfig_name (section);
        if (streq (name, "cluster") && !have_cluster) {
            have_cluster = true;
            rc = s_parse_cluster (self, section, source, err, err_size);
        }
        else
        if (streq (name, "members") && !have_members) {
            have_members = true;
            for (zconfig_t *m = zconfig_child (section); m && rc == 0; m = zconfig_next (m))
                rc = s_parse_member (self, m, source, err, err_size);
        }
        else
        if (streq (name, "clients") && !have_clients) {
            have_clients = true;
            if (zconfig_value (section) && *zconfig_value (section))
                rc = errmsg_set (err, err_size, "%s: clients: a section, not a value", source);
            for (zconfig_t *c = zconfig_child (section); c && rc == 0; c = zconfig_next (c))
                rc = s_parse_client (self, c, source, err, err_size);
        }
        else
        if (streq (name, "cluster") || streq (name, "members") || streq (name, "clients"))
            rc = errmsg_set (err, err_size, "%s: %s: section given twice", source, name);
        else
            rc = errmsg_set (err, err_size, "%s: %s: unknown section (expected cluster, members, "
                          "clients)", source, name);
    }
    zconfig_destroy (&root);
    if (rc == 0 && !have_cluster)
        rc = errmsg_set (err, err_size, "%s: cluster: section missing", source);
    if (rc == 0 && self->member_count == 0)
        rc = errmsg_set (err, err_size, "%s: members: no member defined", source);
    if (rc == 0)
        rc = s_check_unique (self, source, err, err_size);
    if (rc == 0) {
        uint64_t total = 0;
        for (uint32_t i = 0; i < self->member_count; i++)
            total += self->members [i].weight;
        if (total == 0)
            rc = errmsg_set (err, err_size, "%s: members: total weight is 0, nobody could be elected",
                          source);
    }
    if (rc == 0) {
        core_config_t config;
        char why [256];
        cluster_core_config (self, 0, 1, &config);
        if (core_config_check (&config, why, sizeof why))
            rc = errmsg_set (err, err_size, "%s: cluster: %s", source, why);
    }
    if (rc)
        cluster_destroy (&self);
    return self;
}

cluster_t *
cluster_load (const char *path, char *err, size_t err_size)
{
    FILE *file = fopen (path, "r");
    if (!file) {
        errmsg_set (err, err_size, "%s: %s", path, strerror (errno));
        return NULL;
    }
    char *text = (char *) zmalloc (CLUSTER_FILE_BYTES_MAX + 2);
    size_t size = fread (text, 1, CLUSTER_FILE_BYTES_MAX + 1, file);
    bool failed = ferror (file);
    fclose (file);
    cluster_t *self = NULL;
    if (failed)
        errmsg_set (err, err_size, "%s: read error", path);
    else
    if (size > CLUSTER_FILE_BYTES_MAX)
        errmsg_set (err, err_size, "%s: larger than %d bytes", path, CLUSTER_FILE_BYTES_MAX);
    else
    if (memchr (text, 0, size))
        errmsg_set (err, err_size, "%s: contains a NUL byte: not a text file", path);
    else {
        text [size] = 0;
        self = cluster_parse (text, path, err, err_size);
    }
    free (text);
    return self;
}

int
cluster_save (const cluster_t *self, const char *path)
{
    zconfig_t *root = zconfig_new ("root", NULL);
    zconfig_set_comment (root, " incidentmesh cluster file (ZPL); the same on every host");
    zconfig_t *cluster = zconfig_new ("cluster", root);
    zconfig_put (cluster, "id", self->id);
    zconfig_putf (cluster, "heartbeat_ms", "%" PRIu64, self->heartbeat_ms);
    zconfig_putf (cluster, "election_timeout_ms", "%" PRIu64, self->election_timeout_ms);
    zconfig_putf (cluster, "lease_ms", "%" PRIu64, self->lease_ms);
    zconfig_putf (cluster, "max_drift_ppm", "%" PRIu32, self->max_drift_ppm);
    zconfig_putf (cluster, "storm_threshold", "%" PRIu32, self->storm_threshold);
    zconfig_putf (cluster, "backoff_max_ms", "%" PRIu64, self->backoff_max_ms);
    zconfig_t *members = zconfig_new ("members", root);
    for (uint32_t i = 0; i < self->member_count; i++) {
        const cluster_member_t *m = &self->members [i];
        zconfig_t *member = zconfig_new (m->id, members);
        char hex [2 * CLUSTER_KEY_BYTES + 1];
        sodium_bin2hex (hex, sizeof hex, m->public_key, CLUSTER_KEY_BYTES);
        zconfig_putf (member, "weight", "%" PRIu32, m->weight);
        zconfig_put (member, "heartbeat", m->heartbeat);
        zconfig_put (member, "rpc", m->rpc);
        zconfig_put (member, "public_key", hex);
        if (*m->metrics)
            zconfig_put (member, "metrics", m->metrics);
    }
    zconfig_t *clients = self->client_count ? zconfig_new ("clients", root) : NULL;
    for (uint32_t i = 0; i < self->client_count; i++) {
        const cluster_client_t *c = &self->clients [i];
        zconfig_t *client = zconfig_new (c->id, clients);
        char hex [2 * CLUSTER_KEY_BYTES + 1];
        sodium_bin2hex (hex, sizeof hex, c->public_key, CLUSTER_KEY_BYTES);
        zconfig_put (client, "public_key", hex);
        for (size_t p = 0; p < S_PERMISSIONS; p++)
            zconfig_put (client, s_permissions [p].name, (c->may & s_permissions [p].bit) ? "1" : "0");
    }
    char temp [PATH_MAX];
    int rc = -1;
    if (snprintf (temp, sizeof temp, "%s.tmp", path) < (int) sizeof temp
    && zconfig_save (root, temp) == 0)
        rc = rename (temp, path);
    zconfig_destroy (&root);
    return rc;
}

void
cluster_destroy (cluster_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

int
cluster_find (const cluster_t *self, const char *id)
{
    for (uint32_t i = 0; i < self->member_count; i++)
        if (streq (self->members [i].id, id))
            return (int) i;
    return -1;
}

int
cluster_find_client (const cluster_t *self, const char *id)
{
    for (uint32_t i = 0; i < self->client_count; i++)
        if (streq (self->clients [i].id, id))
            return (int) i;
    return -1;
}

void
cluster_core_config (const cluster_t *self, uint32_t member, uint64_t seed, core_config_t *config)
{
    core_config_defaults (config, member, self->member_count);
    for (uint32_t i = 0; i < self->member_count; i++)
        config->weights [i] = self->members [i].weight;
    config->heartbeat_ms = self->heartbeat_ms;
    config->election_timeout_ms = self->election_timeout_ms;
    config->lease_ms = self->lease_ms;
    config->max_drift_ppm = self->max_drift_ppm;
    config->storm_threshold = self->storm_threshold;
    config->backoff_max_ms = self->backoff_max_ms;
    config->seed = seed;
}

uint64_t
cluster_lease_ms (const cluster_t *self)
{
    core_config_t config;
    cluster_core_config (self, 0, 1, &config);
    return core_config_lease_ms (&config);
}
