/*  metrics: the node's numbers in Prometheus text format over HTTP.

    The server is a ZeroMQ STREAM socket (raw TCP) that the node's own loop
    polls: no thread, no lock, and no HTTP library (libmicrohttpd brought
    gnutls and 2.5 MiB of resident pages with it). It speaks just enough
    HTTP/1.x for a scraper: it reads a request up to its blank line (at
    most METRICS_REQUEST_BYTES_MAX), answers GET /metrics with the latest
    snapshot, anything else with 404, 405 or 400, and closes the
    connection. Slots are limited and idle connections time out, so a slow
    or hostile client costs a bounded amount and never blocks consensus:
    every send is non-blocking.

    All names carry the prefix meshnode_ and the label node="<id>".
*/
#ifndef MESH_METRICS_H
#define MESH_METRICS_H

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_REASONS_MAX     16      //  Rejection reasons with a counter
#define METRICS_TEXT_BYTES_MAX  16384   //  Rendered page limit
#define METRICS_CONNECTIONS_MAX 16
#define METRICS_TIMEOUT_MS      5000    //  Idle connections are closed after this
#define METRICS_REQUEST_BYTES_MAX 2048  //  Longest request head we read
#define METRICS_ID_BYTES_MAX    16      //  ZMQ_STREAM peer ids are 5 bytes

typedef struct {
    uint64_t term;
    bool is_leader;                 //  Leader with a valid lease
    bool has_leader;                //  Knows a leader
    uint64_t lease_remaining_ms;
    uint64_t leader_changes_total;
    uint64_t elections_total;
    uint64_t prevotes_total;
    uint64_t check_quorum_stepdowns_total;
    uint64_t heartbeats_sent_total;     //  Leader heartbeats and resignations published
    uint64_t beacons_sent_total;        //  Non-leader heartbeats (beacons) published
    uint64_t heartbeats_received_total; //  Verified heartbeats (leader stream) received
    uint64_t messages_accepted_total;
    uint32_t reason_count;
    const char *reason_name [METRICS_REASONS_MAX];      //  Static strings
    uint64_t rejected_total [METRICS_REASONS_MAX];
    uint64_t send_dropped_total;    //  Messages a full or unconnected socket refused
    uint32_t peers_connected;       //  Peers whose heartbeat stream our SUB is connected to
    bool storm_alarm;
    uint64_t incarnation;
    uint64_t commit_index;          //  Highest log index known committed
    uint64_t applied_index;         //  Highest index applied to the kv map
    uint64_t log_bytes;             //  Size of the durable log file
    uint64_t snapshot_index;        //  Index the snapshot covers
    uint64_t client_requests_total; //  Client requests answered
} metrics_snapshot_t;

typedef struct _metrics_t metrics_t;

//  Render a snapshot for node as Prometheus text into buffer. Returns the
//  length, or 0 if it did not fit.
size_t metrics_render (const metrics_snapshot_t *snapshot, const char *node,
                       char *buffer, size_t size);

//  Listen on address (host:port, an IP address; port 0 picks one). NULL
//  with a message in err.
metrics_t *metrics_new (const char *address, const char *node, char *err, size_t err_size);

//  Stop serving; safe on NULL, sets *self_p to NULL.
void metrics_destroy (metrics_t **self_p);

//  Publish a new snapshot (copied).
void metrics_update (metrics_t *self, const metrics_snapshot_t *snapshot);

//  The socket to poll; call metrics_handle when it is readable.
zsock_t *metrics_socket (metrics_t *self);

//  Read what clients sent and answer complete requests; close connections
//  idle for METRICS_TIMEOUT_MS at now_ms. Never blocks.
void metrics_handle (metrics_t *self, uint64_t now_ms);

//  The port actually bound (useful with port 0 in tests).
uint16_t metrics_port (const metrics_t *self);

//  Requests answered so far (any status).
uint64_t metrics_answered (const metrics_t *self);

#endif
