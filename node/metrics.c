/*  metrics: Prometheus text over a ZeroMQ STREAM socket. See metrics.h.  */
#define _POSIX_C_SOURCE 200809L
#include "metrics.h"
#include "resolve.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>


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
    s_metric (&text, "peers_connected", "gauge", "Peers whose heartbeat stream we are connected to.",
              node, s->peers_connected);
    s_metric (&text, "storm_alarm", "gauge", "1 when leader changes in the last hour exceed the threshold.",
              node, s->storm_alarm);
    s_metric (&text, "incarnation", "gauge", "Boot counter of this node.", node, s->incarnation);
    s_metric (&text, "commit_index", "gauge", "Highest log index this node knows committed.",
              node, s->commit_index);
    s_metric (&text, "applied_index", "gauge", "Highest log index applied to the capacity map.",
              node, s->applied_index);
    s_metric (&text, "log_bytes", "gauge", "Size of the durable log in bytes.", node, s->log_bytes);
    s_metric (&text, "snapshot_index", "gauge", "Log index the latest snapshot covers.",
              node, s->snapshot_index);
    s_metric (&text, "client_requests_total", "counter", "Client requests answered (reads and "
              "writes, every outcome).", node, s->client_requests_total);
    return text.overflow ? 0 : text.used;
}

//  --------------------------------------------------------------------------
//  The server

typedef struct {
    bool used;
    uint8_t id [METRICS_ID_BYTES_MAX];      //  ZMQ_STREAM peer id
    size_t id_size;
    char request [METRICS_REQUEST_BYTES_MAX];
    size_t size;
    uint64_t active_ms;                     //  Last byte received
} s_client_t;

struct _metrics_t {
    zsock_t *stream;                        //  ZMQ_STREAM: raw TCP
    metrics_snapshot_t snapshot;            //  Latest from the node loop
    char node [64];                         //  Label value
    uint16_t port;
    uint64_t answered;
    s_client_t clients [METRICS_CONNECTIONS_MAX];
};

//  Send frames [id][data] without blocking; a peer that does not read
//  loses the answer, never stalls us.
static void
s_send_raw (metrics_t *self, const uint8_t *id, size_t id_size, const char *data, size_t size)
{
    void *socket = zsock_resolve (self->stream);
    if (zmq_send (socket, id, id_size, ZMQ_SNDMORE | ZMQ_DONTWAIT) == (int) id_size)
        zmq_send (socket, data, size, ZMQ_DONTWAIT);
}

//  Closing a STREAM connection is sending it an empty frame.
static void
s_close (metrics_t *self, s_client_t *client)
{
    s_send_raw (self, client->id, client->id_size, "", 0);
    client->used = false;
}

static s_client_t *
s_client (metrics_t *self, const uint8_t *id, size_t id_size)
{
    for (int i = 0; i < METRICS_CONNECTIONS_MAX; i++)
        if (self->clients [i].used && self->clients [i].id_size == id_size
        &&  memcmp (self->clients [i].id, id, id_size) == 0)
            return &self->clients [i];
    return NULL;
}

static void
s_answer (metrics_t *self, s_client_t *client)
{
    static char page [METRICS_TEXT_BYTES_MAX];
    static char reply [METRICS_TEXT_BYTES_MAX + 256];
    const char *status = "200 OK";
    size_t length = 0;
    char method [8] = "", path [64] = "", minor = 0;
    //  "GET /metrics HTTP/1.1": method, one space, path, one space, version
    if (sscanf (client->request, "%7[A-Z] %63[^ \r\n] HTTP/1.%c", method, path, &minor) != 3
    ||  (minor != '0' && minor != '1'))
        status = "400 Bad Request";
    else
    if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0)
        status = "405 Method Not Allowed";
    else
    if (strcmp (path, "/metrics") != 0)
        status = "404 Not Found";
    else {
        length = metrics_render (&self->snapshot, self->node, page, sizeof page);
        if (length == 0)
            status = "500 Internal Server Error";
    }
    if (strcmp (status, "200 OK") != 0)
        length = (size_t) snprintf (page, sizeof page, "%s; see GET /metrics\n", status);
    bool head = strcmp (method, "HEAD") == 0;
    int n = snprintf (reply, sizeof reply,
                      "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n%.*s",
                      status, length, head ? 0 : (int) length, page);
    s_send_raw (self, client->id, client->id_size, reply, (size_t) n);
    self->answered++;
    s_close (self, client);
}

void
metrics_handle (metrics_t *self, uint64_t now_ms)
{
    void *socket = zsock_resolve (self->stream);
    for (int turn = 0; turn < 4 * METRICS_CONNECTIONS_MAX; turn++) {
        uint8_t id [METRICS_ID_BYTES_MAX];
        int id_size = zmq_recv (socket, id, sizeof id, ZMQ_DONTWAIT);
        if (id_size < 0)
            break;
        char data [METRICS_REQUEST_BYTES_MAX];
        int size = zmq_recv (socket, data, sizeof data, ZMQ_DONTWAIT);
        if (id_size > (int) sizeof id || size < 0)
            continue;                   //  Not a STREAM message we know
        s_client_t *client = s_client (self, id, (size_t) id_size);
        if (size == 0) {                //  Connected, or gone
            if (client)
                client->used = false;
            else {
                for (int i = 0; i < METRICS_CONNECTIONS_MAX && !client; i++)
                    if (!self->clients [i].used)
                        client = &self->clients [i];
                if (!client) {          //  Full: refuse this one
                    s_send_raw (self, id, (size_t) id_size, "", 0);
                    continue;
                }
                *client = (s_client_t) { .used = true, .id_size = (size_t) id_size,
                                         .active_ms = now_ms };
                memcpy (client->id, id, (size_t) id_size);
            }
            continue;
        }
        if (!client)
            continue;
        client->active_ms = now_ms;
        if ((size_t) size > sizeof data || client->size + (size_t) size >= sizeof client->request) {
            s_close (self, client);     //  Too long a request: drop it
            continue;
        }
        memcpy (client->request + client->size, data, (size_t) size);
        client->size += (size_t) size;
        client->request [client->size] = 0;
        if (strstr (client->request, "\r\n\r\n") || strstr (client->request, "\n\n"))
            s_answer (self, client);
    }
    for (int i = 0; i < METRICS_CONNECTIONS_MAX; i++)
        if (self->clients [i].used && now_ms - self->clients [i].active_ms > METRICS_TIMEOUT_MS)
            s_close (self, &self->clients [i]);
}

metrics_t *
metrics_new (const char *address, const char *node, char *err, size_t err_size)
{
    char host [64];
    const char *colon = strrchr (address, ':');
    if (!colon || colon == address || (size_t) (colon - address) >= sizeof host) {
        snprintf (err, err_size, "metrics address '%s' is not host:port", address);
        return NULL;
    }
    memcpy (host, address, (size_t) (colon - address));
    host [colon - address] = 0;
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535 || end == colon + 1) {
        snprintf (err, err_size, "metrics address '%s' is not host:port", address);
        return NULL;
    }
    //  A host name binds to the first of its IPv4 addresses here, as the
    //  node's other endpoints do (resolve.h).
    char addresses [RESOLVE_ADDRESSES_MAX][INET_ADDRSTRLEN], why [256];
    if (resolve_ipv4 (host, addresses, 1, why, sizeof why) < 0) {
        snprintf (err, err_size, "metrics address '%s': %s", address, why);
        return NULL;
    }
    metrics_t *self = (metrics_t *) calloc (1, sizeof (metrics_t));
    if (!self)
        return NULL;
    snprintf (self->node, sizeof self->node, "%s", node);
    self->stream = zsock_new (ZMQ_STREAM);
    if (self->stream) {
        zsock_set_linger (self->stream, 0);
        zsock_set_sndhwm (self->stream, 4 * METRICS_CONNECTIONS_MAX);
    }
    int bound = self->stream ? (port ? zsock_bind (self->stream, "tcp://%s:%ld", addresses [0], port)
                                     : zsock_bind (self->stream, "tcp://%s:*", addresses [0]))
                             : -1;
    if (bound == -1) {
        snprintf (err, err_size, "metrics: cannot listen on %s: %s", address,
                  zmq_strerror (zmq_errno ()));
        metrics_destroy (&self);
        return NULL;
    }
    self->port = (uint16_t) bound;
    return self;
}

void
metrics_destroy (metrics_t **self_p)
{
    if (self_p && *self_p) {
        zsock_destroy (&(*self_p)->stream);
        free (*self_p);
        *self_p = NULL;
    }
}

void
metrics_update (metrics_t *self, const metrics_snapshot_t *snapshot)
{
    self->snapshot = *snapshot;
}

zsock_t *
metrics_socket (metrics_t *self)
{
    return self->stream;
}

uint16_t
metrics_port (const metrics_t *self)
{
    return self->port;
}

uint64_t
metrics_answered (const metrics_t *self)
{
    return self->answered;
}
