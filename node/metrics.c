/*  metrics: Prometheus text over libmicrohttpd. See metrics.h.  */
#define _POSIX_C_SOURCE 200809L
#include "metrics.h"
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct _metrics_t {
    struct MHD_Daemon *daemon;          //  Serves from its own thread
    pthread_mutex_t lock;               //  Guards snapshot
    metrics_snapshot_t snapshot;        //  Latest from the node thread
    char node [64];                     //  Label value
    uint16_t port;
};

//  Appends to a bounded buffer; remembers overflow instead of truncating
//  silently.
typedef struct {
    char *data;
    size_t size;
    size_t used;
    bool overflow;
} s_text_t;

static void
s_add (s_text_t *text, const char *format, ...)
{
    if (text->overflow)
        return;
    va_list args;
    va_start (args, format);
    int n = vsnprintf (text->data + text->used, text->size - text->used, format, args);
    va_end (args);
    if (n < 0 || (size_t) n >= text->size - text->used)
        text->overflow = true;
    else
        text->used += (size_t) n;
}

static void
s_metric (s_text_t *text, const char *name, const char *type, const char *help,
          const char *node, uint64_t value)
{
    s_add (text, "# HELP meshnode_%s %s\n# TYPE meshnode_%s %s\nmeshnode_%s{node=\"%s\"} %llu\n",
           name, help, name, type, name, node, (unsigned long long) value);
}

size_t
metrics_render (const metrics_snapshot_t *s, const char *node, char *buffer, size_t size)
{
    s_text_t text = { .data = buffer, .size = size };
    if (size == 0)
        return 0;
    buffer [0] = 0;
    s_metric (&text, "term", "gauge", "Current Raft term.", node, s->term);
    s_metric (&text, "is_leader", "gauge", "1 if this node leads with a valid lease.", node, s->is_leader);
    s_metric (&text, "has_leader", "gauge", "1 if this node knows a leader.", node, s->has_leader);
    s_add (&text, "# HELP meshnode_lease_remaining_seconds Lease left on this leader.\n"
           "# TYPE meshnode_lease_remaining_seconds gauge\n"
           "meshnode_lease_remaining_seconds{node=\"%s\"} %llu.%03llu\n", node,
           (unsigned long long) (s->lease_remaining_ms / 1000),
           (unsigned long long) (s->lease_remaining_ms % 1000));
    s_metric (&text, "leader_changes_total", "counter", "Changes of the known (term, leader).",
              node, s->leader_changes_total);
    s_metric (&text, "elections_total", "counter", "Elections this node started as candidate.",
              node, s->elections_total);
    s_metric (&text, "prevotes_total", "counter", "Pre-vote rounds this node started.",
              node, s->prevotes_total);
    s_metric (&text, "check_quorum_stepdowns_total", "counter",
              "Times this leader stepped down for lack of a quorum.", node,
              s->check_quorum_stepdowns_total);
    s_metric (&text, "heartbeats_sent_total", "counter",
              "Heartbeats published as leader, and resignations.", node, s->heartbeats_sent_total);
    s_metric (&text, "beacons_sent_total", "counter",
              "Beacons (heartbeats as a non-leader, for monitors) published.",
              node, s->beacons_sent_total);
    s_metric (&text, "heartbeats_received_total", "counter",
              "Verified leader heartbeats received.",
              node, s->heartbeats_received_total);
    s_metric (&text, "messages_accepted_total", "counter", "Messages that passed the receive path.",
              node, s->messages_accepted_total);
    s_add (&text, "# HELP meshnode_messages_rejected_total Messages dropped by the receive path.\n"
           "# TYPE meshnode_messages_rejected_total counter\n");
    for (uint32_t i = 0; i < s->reason_count && i < METRICS_REASONS_MAX; i++)
        s_add (&text, "meshnode_messages_rejected_total{node=\"%s\",reason=\"%s\"} %llu\n", node,
               s->reason_name [i], (unsigned long long) s->rejected_total [i]);
    s_metric (&text, "send_dropped_total", "counter",
              "Messages not sent: peer unreachable or its queue full.", node, s->send_dropped_total);
    s_metric (&text, "peers_connected", "gauge", "Peers whose rpc connection is up.",
              node, s->peers_connected);
    s_metric (&text, "storm_alarm", "gauge", "1 when leader changes in the last hour exceed the threshold.",
              node, s->storm_alarm);
    s_metric (&text, "incarnation", "gauge", "Boot counter of this node.", node, s->incarnation);
    return text.overflow ? 0 : text.used;
}

static enum MHD_Result
s_answer (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **state)
{
    (void) version; (void) upload_data; (void) state;
    metrics_t *self = (metrics_t *) cls;
    if (*upload_data_size)
        return MHD_NO;          //  No request bodies here
    unsigned int status = MHD_HTTP_OK;
    char *page = (char *) malloc (METRICS_TEXT_BYTES_MAX);
    if (!page)
        return MHD_NO;
    size_t length;
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
        length = (size_t) snprintf (page, METRICS_TEXT_BYTES_MAX, "only GET\n");
    }
    else
    if (strcmp (url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
        length = (size_t) snprintf (page, METRICS_TEXT_BYTES_MAX, "see /metrics\n");
    }
    else {
        pthread_mutex_lock (&self->lock);
        length = metrics_render (&self->snapshot, self->node, page, METRICS_TEXT_BYTES_MAX);
        pthread_mutex_unlock (&self->lock);
        if (length == 0) {
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            length = (size_t) snprintf (page, METRICS_TEXT_BYTES_MAX, "metrics page too large\n");
        }
    }
    struct MHD_Response *response =
        MHD_create_response_from_buffer (length, page, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (page);
        return MHD_NO;
    }
    MHD_add_response_header (response, "Content-Type", "text/plain; version=0.0.4");
    enum MHD_Result rc = MHD_queue_response (connection, status, response);
    MHD_destroy_response (response);
    return rc;
}

metrics_t *
metrics_new (const char *address, const char *node, char *err, size_t err_size)
{
    char host [256];
    const char *colon = strrchr (address, ':');
    if (!colon || (size_t) (colon - address) >= sizeof host || colon == address) {
        snprintf (err, err_size, "metrics address '%s' is not host:port", address);
        return NULL;
    }
    memcpy (host, address, (size_t) (colon - address));
    host [colon - address] = 0;
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
    struct addrinfo *info = NULL;
    int rc = getaddrinfo (host, colon + 1, &hints, &info);
    if (rc != 0 || !info) {
        snprintf (err, err_size, "metrics address '%s': %s", address, gai_strerror (rc));
        return NULL;
    }
    struct sockaddr_in addr;
    memcpy (&addr, info->ai_addr, sizeof addr);
    freeaddrinfo (info);

    metrics_t *self = (metrics_t *) calloc (1, sizeof (metrics_t));
    if (!self)
        return NULL;
    pthread_mutex_init (&self->lock, NULL);
    snprintf (self->node, sizeof self->node, "%s", node);
    self->daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, ntohs (addr.sin_port), NULL, NULL,
        s_answer, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) METRICS_CONNECTIONS_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) METRICS_TIMEOUT_S,
        MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, err_size, "metrics: cannot listen on %s (in use, or not a local address)",
                  address);
        metrics_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *bound = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = bound ? bound->port : ntohs (addr.sin_port);
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    if (self_p && *self_p) {
        metrics_t *self = *self_p;
        if (self->daemon)
            MHD_stop_daemon (self->daemon);
        pthread_mutex_destroy (&self->lock);
        free (self);
        *self_p = NULL;
    }
}

void
metrics_update (metrics_t *self, const metrics_snapshot_t *snapshot)
{
    pthread_mutex_lock (&self->lock);
    self->snapshot = *snapshot;
    pthread_mutex_unlock (&self->lock);
}

uint16_t
metrics_port (const metrics_t *self)
{
    return self->port;
}
