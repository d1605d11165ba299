/*  Tests for cluster.h: a valid file, a round trip through cluster_save,
    and one bad file per rule, each naming the offending entry; the same
    for the clients section.
*/
#define _POSIX_C_SOURCE 200809L
#include "testing.h"
#include "cluster.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY1 "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
#define KEY2 "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"
#define KEY3 "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define KEYC1 "9b1c5e0a8f3d2c4b6a7e8d9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d"
#define KEYC2 "1f2e3d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"

static const char *good =
    "#   A test cluster\n"
    "cluster\n"
    "    id = dispatch-east\n"
    "    heartbeat_ms = 40\n"
    "    election_timeout_ms = 300\n"
    "members\n"
    "    n1\n"
    "        weight = 3\n"
    "        heartbeat = \"tcp://127.0.0.1:7101\"\n"
    "        rpc = \"tcp://127.0.0.1:7201\"\n"
    "        public_key = " KEY1 "\n"
    "        metrics = \"127.0.0.1:9101\"\n"
    "    n2\n"
    "        heartbeat = \"tcp://127.0.0.1:7102\"\n"
    "        rpc = \"tcp://127.0.0.1:7202\"\n"
    "        public_key = " KEY2 "\n"
    "    n3\n"
    "        weight = 0\n"
    "        heartbeat = \"ipc:///tmp/n3-hb\"\n"
    "        rpc = \"ipc:///tmp/n3-rpc\"\n"
    "        public_key = " KEY3 "\n";

//  The same with a clients section; ops may ask for transfers, audit may not.
static const char *with_clients =
    "cluster\n"
    "    id = dispatch-east\n"
    "members\n"
    "    n1\n"
    "        heartbeat = \"tcp://127.0.0.1:7101\"\n"
    "        rpc = \"tcp://127.0.0.1:7201\"\n"
    "        public_key = " KEY1 "\n"
    "    n2\n"
    "        heartbeat = \"tcp://127.0.0.1:7102\"\n"
    "        rpc = \"tcp://127.0.0.1:7202\"\n"
    "        public_key = " KEY2 "\n"
    "clients\n"
    "    ops\n"
    "        public_key = " KEYC1 "\n"
    "        may_transfer = 1        # hands leadership over\n"
    "    audit\n"
    "        public_key = " KEYC2 "\n";

static void
test_parse_good_file (void **state)
{
    (void) state;
    char err [CLUSTER_ERROR_MAX];
    cluster_t *c = cluster_parse (good, "good.cfg", err, sizeof err);
    if (!c)
        fail_msg ("%s", err);
    assert_string_equal (c->id, "dispatch-east");
    assert_int_equal (c->heartbeat_ms, 40);
    assert_int_equal (c->election_timeout_ms, 300);
    assert_int_equal (c->max_drift_ppm, 10000);         //  Default
    assert_int_equal (c->member_count, 3);
    assert_int_equal (c->members [0].weight, 3);
    assert_int_equal (c->members [1].weight, 1);        //  Default weight
    assert_int_equal (c->members [2].weight, 0);
    assert_string_equal (c->members [0].metrics, "127.0.0.1:9101");
    assert_string_equal (c->members [1].metrics, "");
    assert_int_equal (c->members [0].public_key [0], 0x3d);
    assert_int_equal (cluster_find (c, "n2"), 1);
    assert_int_equal (cluster_find (c, "n9"), -1);
    assert_int_equal (cluster_lease_ms (c), 282);       //  300 * 0.95 / 1.01
    core_config_t config;
    cluster_core_config (c, 1, 7, &config);
    assert_int_equal (config.self, 1);
    assert_int_equal (config.member_count, 3);
    assert_int_equal (config.weights [0], 3);
    assert_int_equal (config.weights [2], 0);
    assert_int_equal (config.heartbeat_ms, 40);
    assert_int_equal (core_config_check (&config, NULL, 0), 0);
    assert_int_equal (c->client_count, 0);              //  The section is optional
    assert_int_equal (cluster_find_client (c, "n1"), -1);
    cluster_destroy (&c);
    assert_null (c);
}

static void
test_parse_clients (void **state)
{
    (void) state;
    char err [CLUSTER_ERROR_MAX];
    cluster_t *c = cluster_parse (with_clients, "clients.cfg", err, sizeof err);
    if (!c)
        fail_msg ("%s", err);
    assert_int_equal (c->member_count, 2);
    assert_int_equal (c->client_count, 2);
    assert_string_equal (c->clients [0].id, "ops");
    assert_int_equal (c->clients [0].may, CLUSTER_MAY_TRANSFER);
    assert_int_equal (c->clients [0].public_key [0], 0x9b);
    assert_string_equal (c->clients [1].id, "audit");
    assert_int_equal (c->clients [1].may, 0);            //  Default: may nothing
    assert_int_equal (cluster_find_client (c, "audit"), 1);
    assert_int_equal (cluster_find_client (c, "n1"), -1);    //  Members are not clients
    assert_int_equal (cluster_find (c, "ops"), -1);          //  ... nor clients members
    cluster_destroy (&c);

    //  Clients may come first, and may_transfer = 0 is an explicit "no"
    const char *first = strstr (with_clients, "clients\n");
    char text [4096];
    snprintf (text, sizeof text, "%s%.*s", first, (int) (first - with_clients), with_clients);
    char *zero = strstr (text, "may_transfer = 1");
    assert_non_null (zero);
    zero [15] = '0';
    c = cluster_parse (text, "first.cfg", err, sizeof err);
    if (!c)
        fail_msg ("%s", err);
    assert_int_equal (c->member_count, 2);
    assert_int_equal (c->client_count, 2);
    assert_int_equal (c->clients [0].may, 0);
    cluster_destroy (&c);
}

static void
test_save_and_load_round_trip (void **state)
{
    (void) state;
    char err [CLUSTER_ERROR_MAX];
    cluster_t *c = cluster_parse (good, "good.cfg", err, sizeof err);
    assert_non_null (c);
    char dir [] = "/tmp/meshtest-XXXXXX";
    assert_non_null (mkdtemp (dir));
    char path [64];
    snprintf (path, sizeof path, "%s/cluster.cfg", dir);
    assert_int_equal (cluster_save (c, path), 0);
    cluster_t *back = cluster_load (path, err, sizeof err);
    if (!back)
        fail_msg ("%s", err);
    assert_memory_equal (c, back, sizeof (cluster_t));
    cluster_destroy (&back);
    cluster_destroy (&c);
    //  With clients: written back, permissions and all
    c = cluster_parse (with_clients, "clients.cfg", err, sizeof err);
    assert_non_null (c);
    assert_int_equal (cluster_save (c, path), 0);
    back = cluster_load (path, err, sizeof err);
    if (!back)
        fail_msg ("%s", err);
    assert_int_equal (back->client_count, 2);
    assert_memory_equal (c, back, sizeof (cluster_t));
    cluster_destroy (&back);
    cluster_destroy (&c);
    unlink (path);
    rmdir (dir);
    assert_null (cluster_load ("/nonexistent/cluster.cfg", err, sizeof err));
    assert_non_null (strstr (err, "No such file"));
}

//  Replace the first occurrence of from with to in base, parse, and expect
//  failure with an error containing expect.
static void
s_expect_error_in (const char *base, const char *from, const char *to, const char *expect)
{
    char text [4096];
    const char *at = strstr (base, from);
    assert_non_null (at);
    snprintf (text, sizeof text, "%.*s%s%s", (int) (at - base), base, to, at + strlen (from));
    char err [CLUSTER_ERROR_MAX] = "";
    cluster_t *c = cluster_parse (text, "bad.cfg", err, sizeof err);
    if (c)
        fail_msg ("accepted a file with '%s' replaced by '%s'", from, to);
    if (!strstr (err, expect))
        fail_msg ("error '%s' does not mention '%s'", err, expect);
}

static void
s_expect_error (const char *from, const char *to, const char *expect)
{
    s_expect_error_in (good, from, to, expect);
}

static void
test_bad_files_name_the_entry (void **state)
{
    (void) state;
    struct { const char *from, *to, *expect; } table [] = {
        { "    heartbeat_ms = 40\n", "    heartbeat_ms = 4x0\n", "cluster/heartbeat_ms" },
        { "    heartbeat_ms = 40\n", "    heartbeat_ms = -40\n", "cluster/heartbeat_ms" },
        { "    heartbeat_ms = 40\n", "    heartbeat_ms = 99999999999999999999999\n", "cluster/heartbeat_ms" },
        { "    heartbeat_ms = 40\n", "    heartbeat = 40\n", "cluster/heartbeat: unknown key" },
        { "    heartbeat_ms = 40\n", "    heartbeat_ms = 200\n", "heartbeat" },
        { "    heartbeat_ms = 40\n", "    lease_ms = 290\n", "lease" },
        { "    heartbeat_ms = 40\n", "    max_drift_ppm = 500000\n", "cluster/max_drift_ppm" },
        { "    heartbeat_ms = 40\n", "    storm_threshold = 0\n", "cluster/storm_threshold" },
        { "    id = dispatch-east\n", "    id = dispatch east\n", "cluster/id" },
        { "    id = dispatch-east\n", "", "cluster/id: missing" },
        { "    id = dispatch-east\n", "    id = a\n    id = b\n", "cluster/id: given twice" },
        { "members\n", "member\n", "member: unknown section" },
        { "\ncluster\n", "\ncluster\n    timing\n        x = 1\n", "cluster/timing: unexpected section" },
        { "        weight = 3\n", "        weight = 1001\n", "members/n1/weight" },
        { "        weight = 3\n", "        weight = heavy\n", "members/n1/weight" },
        { "        weight = 3\n", "        wieght = 3\n", "members/n1/wieght: unknown key" },
        { "        weight = 3\n", "        weight = 3\n        weight = 2\n", "members/n1/weight: given twice" },
        { "    n2\n", "    n1\n", "members/n1: duplicate member id" },
        { "    n2\n", "    n 2\n", "bad.cfg" },
        { "    n2\n", "    bad/id\n", "members/bad/id" },
        { "tcp://127.0.0.1:7202", "tcp://127.0.0.1:7101", "endpoint tcp://127.0.0.1:7101" },
        { "tcp://127.0.0.1:7202", "tcp://127.0.0.1:7102", "heartbeat and rpc are the same" },
        { "tcp://127.0.0.1:7202", "http://127.0.0.1:7202", "members/n2/rpc" },
        { "tcp://127.0.0.1:7202", "tcp://127.0.0.1:99999", "members/n2/rpc" },
        { "tcp://127.0.0.1:7202", "tcp://127.0.0.1", "members/n2/rpc" },
        { "\"127.0.0.1:9101\"", "\"127.0.0.1\"", "members/n1/metrics" },
        { "\"127.0.0.1:9101\"", "\"[::1]:9101\"", "members/n1/metrics: '[::1]:9101' is not IPv4" },
        { "\"127.0.0.1:9101\"", "\"host_1:9101\"", "members/n1/metrics: 'host_1:9101' is not IPv4" },
        { "\"127.0.0.1:9101\"", "\":9101\"", "members/n1/metrics" },
        { KEY2, KEY1, "members/n2: same public_key as members/n1" },
        { KEY2, "fc51cd8e", "members/n2/public_key" },
        { KEY2, "zz51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "members/n2/public_key" },
        { "        public_key = " KEY3 "\n", "", "members/n3: needs heartbeat, rpc and public_key" },
    };
    for (size_t i = 0; i < ARRAY_SIZE (table); i++)
        s_expect_error (table [i].from, table [i].to, table [i].expect);
}

static void
test_bad_clients_name_the_entry (void **state)
{
    (void) state;
    struct { const char *from, *to, *expect; } table [] = {
        { "    ops\n", "    n1\n", "clients/n1: id already used by members/n1" },
        { "    ops\n", "    audit\n", "clients/audit: duplicate client id" },
        { "    ops\n", "    o ps\n", "bad.cfg" },
        { "    ops\n", "    ops/x\n", "clients/ops/x: a client id" },
        { "    ops\n", "    abcdefghijklmnopqrstuvwxyz0123456\n", "a client id must be 1..32" },
        { "    ops\n", "    ops = 1\n", "clients/ops: a client is a section, not a value" },
        { KEYC1, KEY2, "clients/ops: same public_key as members/n2" },
        { KEYC2, KEYC1, "clients/audit: same public_key as clients/ops" },
        { KEYC1, "9b1c5e0a", "clients/ops/public_key: must be 64 hex digits" },
        { KEYC1, "zz1c5e0a8f3d2c4b6a7e8d9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d",
          "clients/ops/public_key" },
        { "        public_key = " KEYC2 "\n", "", "clients/audit: needs public_key" },
        { "        public_key = " KEYC2 "\n",
          "        public_key = " KEYC2 "\n        public_key = " KEYC2 "\n",
          "clients/audit/public_key: given twice" },
        { "may_transfer = 1", "may_transfer = yes", "clients/ops/may_transfer: 'yes' is not 0 or 1" },
        { "may_transfer = 1", "may_transfer = 2", "clients/ops/may_transfer: '2' is not 0 or 1" },
        { "may_transfer = 1", "may_transfer = 01", "clients/ops/may_transfer: '01' is not 0 or 1" },
        { "may_transfer = 1", "may_transfer = \"\"", "clients/ops/may_transfer: '' is not 0 or 1" },
        { "        may_transfer = 1", "        may_transfer = 1\n        may_transfer = 0",
          "clients/ops/may_transfer: given twice" },
        { "may_transfer = 1", "may_transfr = 1", "clients/ops/may_transfr: unknown key" },
        { "may_transfer = 1", "weight = 1", "clients/ops/weight: unknown key" },
        { "        may_transfer = 1", "        may_transfer = 1\n        limits\n            x = 1",
          "clients/ops/limits: unexpected section" },
        { "clients\n", "clients = all\n", "clients: a section, not a value" },
        { "clients\n", "client\n", "client: unknown section (expected cluster, members, clients)" },
    };
    for (size_t i = 0; i < ARRAY_SIZE (table); i++)
        s_expect_error_in (with_clients, table [i].from, table [i].to, table [i].expect);
    //  The section twice
    char text [4096];
    snprintf (text, sizeof text, "%sclients\n    late\n        public_key = " KEY3 "\n",
              with_clients);
    char err [CLUSTER_ERROR_MAX] = "";
    assert_null (cluster_parse (text, "twice.cfg", err, sizeof err));
    assert_non_null (strstr (err, "clients: section given twice"));
    //  More than CLUSTER_CLIENTS_MAX clients
    static char many [CLUSTER_CLIENTS_MAX * 128 + 1024];
    size_t n = (size_t) snprintf (many, sizeof many, "%s", good);
    n += (size_t) snprintf (many + n, sizeof many - n, "clients\n");
    for (int i = 0; i <= CLUSTER_CLIENTS_MAX; i++)
        n += (size_t) snprintf (many + n, sizeof many - n,
                                "    c%d\n        public_key = %064x\n", i, i + 1);
    assert_null (cluster_parse (many, "many.cfg", err, sizeof err));
    if (!strstr (err, "clients/c64: more than 64 clients"))
        fail_msg ("%s", err);
    //  ... while exactly that many load
    char *last = strstr (many, "    c64\n");
    assert_non_null (last);
    *last = 0;
    cluster_t *c = cluster_parse (many, "many.cfg", err, sizeof err);
    if (!c)
        fail_msg ("%s", err);
    assert_int_equal (c->client_count, CLUSTER_CLIENTS_MAX);
    cluster_destroy (&c);
}

static void
test_zero_total_weight_and_empty_files (void **state)
{
    (void) state;
    char err [CLUSTER_ERROR_MAX];
    const char *zero =
        "cluster\n    id = c\nmembers\n    n1\n        weight = 0\n"
        "        heartbeat = \"tcp://a:1\"\n        rpc = \"tcp://a:2\"\n"
        "        public_key = " KEY1 "\n";
    assert_null (cluster_parse (zero, "zero.cfg", err, sizeof err));
    assert_non_null (strstr (err, "total weight is 0"));
    assert_null (cluster_parse ("", "empty.cfg", err, sizeof err));
    assert_non_null (strstr (err, "cluster"));
    assert_null (cluster_parse ("cluster\n    id = c\n", "nomembers.cfg", err, sizeof err));
    assert_non_null (strstr (err, "no member"));
    assert_null (cluster_parse ("cluster\n  id = c\n\tbroken", "syntax.cfg", err, sizeof err));
    assert_non_null (strstr (err, "syntax.cfg"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse_good_file),
        cmocka_unit_test (test_parse_clients),
        cmocka_unit_test (test_bad_clients_name_the_entry),
        cmocka_unit_test (test_save_and_load_round_trip),
        cmocka_unit_test (test_bad_files_name_the_entry),
        cmocka_unit_test (test_zero_total_weight_and_empty_files),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
