/*  Tests for metrics.h: the rendered page, and the HTTP server answering
    GET /metrics and refusing everything else.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "metrics.h"
#include <czmq.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static metrics_snapshot_t
s_sample (void)
{
    metrics_snapshot_t s = {
        .term = 12, .is_leader = true, .has_leader = true, .lease_remaining_ms = 1234,
        .leader_changes_total = 3, .elections_total = 2, .prevotes_total = 4,
        .heartbeats_sent_total = 1000, .beacons_sent_total = 17, .heartbeats_received_total = 3999,
        .reason_count = 2, .reason_name = { "bad-signature", "replay" },
        .rejected_total = { 7, 0 }, .peers_connected = 4, .storm_alarm = false,
    };
    return s;
}

static void
test_render_page (void **state)
{
    (void) state;
    metrics_snapshot_t s = s_sample ();
    char page [METRICS_TEXT_BYTES_MAX];
    size_t length = metrics_render (&s, "n1", page, sizeof page);
    assert_true (length > 0 && length == strlen (page));
    const char *expect [] = {
        "meshnode_term{node=\"n1\"} 12\n",
        "meshnode_is_leader{node=\"n1\"} 1\n",
        "meshnode_has_leader{node=\"n1\"} 1\n",
        "meshnode_lease_remaining_seconds{node=\"n1\"} 1.234\n",
        "meshnode_leader_changes_total{node=\"n1\"} 3\n",
        "meshnode_elections_total{node=\"n1\"} 2\n",
        "meshnode_prevotes_total{node=\"n1\"} 4\n",
        "meshnode_messages_rejected_total{node=\"n1\",reason=\"bad-signature\"} 7\n",
        "meshnode_messages_rejected_total{node=\"n1\",reason=\"replay\"} 0\n",
        "meshnode_heartbeats_sent_total{node=\"n1\"} 1000\n",
        "meshnode_beacons_sent_total{node=\"n1\"} 17\n",
        "# TYPE meshnode_beacons_sent_total counter\n",
        "meshnode_heartbeats_received_total{node=\"n1\"} 3999\n",
        "meshnode_peers_connected{node=\"n1\"} 4\n",
        "meshnode_storm_alarm{node=\"n1\"} 0\n",
        "# TYPE meshnode_elections_total counter\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE (expect); i++)
        if (!strstr (page, expect [i]))
            fail_msg ("missing: %s", expect [i]);
    //  Too small a buffer is an error, not a truncated page.
    assert_int_equal (metrics_render (&s, "n1", page, 100), 0);
}

//  One raw request to port from a thread of its own, while the test's
//  thread plays the node loop and pumps the server.
typedef struct {
    uint16_t port;
    const char *request;
    size_t request_size;
    int status;                     //  HTTP status, 0 if none
    char body [16384];
    volatile bool done;
} s_call_t;

static void *
s_client (void *arg)
{
    s_call_t *call = (s_call_t *) arg;
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (call->port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    char reply [20000];
    size_t used = 0;
    if (fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0
    &&  write (fd, call->request, call->request_size) == (ssize_t) call->request_size) {
        ssize_t n;
        while ((n = read (fd, reply + used, sizeof reply - 1 - used)) > 0)
            used += (size_t) n;
    }
    if (fd >= 0)
        close (fd);
    reply [used] = 0;
    sscanf (reply, "HTTP/1.%*d %d", &call->status);
    const char *start = strstr (reply, "\r\n\r\n");
    snprintf (call->body, sizeof call->body, "%s", start ? start + 4 : "");
    call->done = true;
    return NULL;
}

static int
s_http (metrics_t *m, const char *request, size_t size, char *body, size_t body_size)
{
    s_call_t call = { .port = metrics_port (m), .request = request, .request_size = size };
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_client, &call), 0);
    zpoller_t *poller = zpoller_new (metrics_socket (m), NULL);
    int64_t until = zclock_mono () + 10000;
    while (!call.done && zclock_mono () < until) {
        zpoller_wait (poller, 20);
        metrics_handle (m, (uint64_t) zclock_mono ());
    }
    zpoller_destroy (&poller);
    pthread_join (thread, NULL);
    snprintf (body, body_size, "%s", call.body);
    return call.status;
}

#define S_REQUEST(text) text, strlen (text)

static void
test_http_server (void **state)
{
    (void) state;
    char err [256];
    metrics_t *m = metrics_new ("127.0.0.1:0", "n2", err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    assert_true (metrics_port (m) > 0);
    metrics_snapshot_t s = s_sample ();
    metrics_update (m, &s);
    char body [16384];
    assert_int_equal (s_http (m, S_REQUEST ("GET /metrics HTTP/1.0\r\n\r\n"), body, sizeof body), 200);
    assert_non_null (strstr (body, "meshnode_term{node=\"n2\"} 12\n"));
    s.term = 13;
    metrics_update (m, &s);
    assert_int_equal (s_http (m, S_REQUEST ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), body, sizeof body), 200);
    assert_non_null (strstr (body, "meshnode_term{node=\"n2\"} 13\n"));
    assert_int_equal (s_http (m, S_REQUEST ("GET / HTTP/1.0\r\n\r\n"), body, sizeof body), 404);
    assert_int_equal (s_http (m, S_REQUEST ("DELETE /metrics HTTP/1.0\r\n\r\n"), body, sizeof body), 405);
    assert_int_equal (s_http (m, S_REQUEST ("garbage\r\n\r\n"), body, sizeof body), 400);
    assert_int_equal (s_http (m, S_REQUEST ("GET /metrics HTTP/2.0\r\n\r\n"), body, sizeof body), 400);
    //  A request longer than the cap is dropped, not answered.
    static char huge [METRICS_REQUEST_BYTES_MAX * 3];
    memset (huge, 'A', sizeof huge);
    memcpy (huge, "GET /", 5);
    assert_int_equal (s_http (m, huge, sizeof huge, body, sizeof body), 0);
    //  And the server still answers afterwards.
    assert_int_equal (s_http (m, S_REQUEST ("GET /metrics HTTP/1.0\r\n\r\n"), body, sizeof body), 200);
    assert_int_equal (metrics_answered (m), 7);
    metrics_destroy (&m);
    assert_null (m);

    assert_null (metrics_new ("no-port", "n2", err, sizeof err));
    assert_non_null (strstr (err, "host:port"));
    assert_null (metrics_new ("256.1.1.1:9100", "n2", err, sizeof err));
    assert_non_null (strstr (err, "not an IPv4 address"));
    assert_null (metrics_new ("127.0.0.1:70000", "n2", err, sizeof err));
    //  A host name binds to its address here (/etc/hosts: no DNS needed)
    m = metrics_new ("localhost:0", "n2", err, sizeof err);
    assert_non_null (m);
    assert_true (metrics_port (m) > 0);
    metrics_destroy (&m);
}

//  A client that connects and says nothing is closed after the timeout,
//  and connections beyond the slot limit are refused, not queued.
static void
test_idle_and_excess_connections (void **state)
{
    (void) state;
    char err [256];
    metrics_t *m = metrics_new ("127.0.0.1:0", "n3", err, sizeof err);
    assert_non_null (m);
    int fds [METRICS_CONNECTIONS_MAX + 4];
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (metrics_port (m)) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    for (size_t i = 0; i < ARRAY_SIZE (fds); i++) {
        fds [i] = socket (AF_INET, SOCK_STREAM, 0);
        assert_int_equal (connect (fds [i], (struct sockaddr *) &addr, sizeof addr), 0);
    }
    zpoller_t *poller = zpoller_new (metrics_socket (m), NULL);
    uint64_t now = 1000000;
    for (int i = 0; i < 50; i++) {
        zpoller_wait (poller, 10);
        metrics_handle (m, now);
    }
    //  The extra ones were closed by the server: reading gives EOF.
    int closed = 0;
    for (size_t i = 0; i < ARRAY_SIZE (fds); i++) {
        char byte;
        struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
        setsockopt (fds [i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (read (fds [i], &byte, 1) == 0)
            closed++;
    }
    assert_int_equal (closed, 4);
    //  Time passes: every idle connection is closed.
    metrics_handle (m, now + METRICS_TIMEOUT_MS + 1);
    for (int i = 0; i < 20; i++) {
        zpoller_wait (poller, 10);
        metrics_handle (m, now + METRICS_TIMEOUT_MS + 1);
    }
    closed = 0;
    for (size_t i = 0; i < ARRAY_SIZE (fds); i++) {
        char byte;
        if (read (fds [i], &byte, 1) == 0)
            closed++;
        close (fds [i]);
    }
    assert_int_equal (closed, (int) ARRAY_SIZE (fds));
    zpoller_destroy (&poller);
    metrics_destroy (&m);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_render_page),
        cmocka_unit_test (test_http_server),
        cmocka_unit_test (test_idle_and_excess_connections),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
