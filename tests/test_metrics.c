/*  Tests for metrics.h: the rendered page, and the HTTP server answering
    GET /metrics and refusing everything else.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "metrics.h"
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

//  One HTTP/1.0 request; returns the status code, copies the body.
static int
s_http (uint16_t port, const char *request, char *body, size_t body_size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (write (fd, request, strlen (request)), (ssize_t) strlen (request));
    char reply [16384];
    size_t used = 0;
    ssize_t n;
    while ((n = read (fd, reply + used, sizeof reply - 1 - used)) > 0)
        used += (size_t) n;
    close (fd);
    reply [used] = 0;
    int status = 0;
    sscanf (reply, "HTTP/1.%*d %d", &status);
    const char *start = strstr (reply, "\r\n\r\n");
    snprintf (body, body_size, "%s", start ? start + 4 : "");
    return status;
}

static void
test_http_server (void **state)
{
    (void) state;
    char err [256];
    metrics_t *m = metrics_new ("127.0.0.1:0", "n2", err, sizeof err);
    if (!m)
        fail_msg ("%s", err);
    uint16_t port = metrics_port (m);
    assert_true (port > 0);
    metrics_snapshot_t s = s_sample ();
    metrics_update (m, &s);
    char body [16384];
    assert_int_equal (s_http (port, "GET /metrics HTTP/1.0\r\n\r\n", body, sizeof body), 200);
    assert_non_null (strstr (body, "meshnode_term{node=\"n2\"} 12\n"));
    s.term = 13;
    metrics_update (m, &s);
    assert_int_equal (s_http (port, "GET /metrics HTTP/1.0\r\n\r\n", body, sizeof body), 200);
    assert_non_null (strstr (body, "meshnode_term{node=\"n2\"} 13\n"));
    assert_int_equal (s_http (port, "GET / HTTP/1.0\r\n\r\n", body, sizeof body), 404);
    assert_int_equal (s_http (port, "DELETE /metrics HTTP/1.0\r\n\r\n", body, sizeof body), 405);
    //  Not HTTP: refused or closed, never a page.
    assert_int_not_equal (s_http (port, "garbage\r\n\r\n", body, sizeof body), 200);
    metrics_destroy (&m);
    assert_null (m);

    assert_null (metrics_new ("no-port", "n2", err, sizeof err));
    assert_non_null (strstr (err, "host:port"));
    assert_null (metrics_new ("256.1.1.1:9100", "n2", err, sizeof err));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_render_page),
        cmocka_unit_test (test_http_server),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
