/*  client: the capacity map as a dispatch service sees it, a small
    client library for a cluster of meshnode processes.

    A client is one principal of the cluster file's clients section: it
    signs every request with that client's secret key, and the nodes carry
    out only what its may_read (get, list) and may_write (put, cas, del)
    keys permit. It keeps one DEALER per member, connected the first time
    that member is asked, and sends each request to the member it believes
    leads (at first the first member of the cluster file, or the one given
    to client_set_leader; then whichever member last answered as leader or
    was named leader in a "not-leader" answer).

    Every call takes a timeout and returns by then; nothing waits forever,
    nothing spins. Within the timeout a call:

      follows "not-leader" answers to the leader they name (or asks the
      next member when they name none), retries "unavailable" answers (a
      leader without a lease for a read, with too many writes in flight)
      after a short backoff, and moves on from a member it cannot connect
      to at all;

      retries a READ anywhere: a read changes nothing, so a member that
      stays silent is simply left for the next one;

      retries a WRITE as well: the map carries out a client's write once
      however often it arrives with the same request id (node/kv.h keeps
      each client's last write and its result), so a write that met
      silence for a second is sent again, same request id, to the member
      believed to lead. An answer from any attempt that says what
      happened ends the call; one that says only that this attempt was
      not taken ("not-leader", "unavailable") no longer rules out an
      earlier one. If the timeout passes after a request went out without
      such an answer, the outcome is CLIENT_UNKNOWN: the write may have
      taken effect or not, and may still (it may sit in a leader's log,
      or in a socket queue of a paused node). Call again with the same
      request id (result.request_id, client_set_request_id) and the map
      answers with the first outcome if it took effect, or carries it out
      now if it did not: exactly once, as long as this client has sent no
      other write in between.

    Each call carries one request id (random, 64 bits, or the one given
    to client_set_request_id) through all its attempts, in the log entry
    of a write with this client's id.

    A write that took effect comes back with its fencing token: the term
    and log index of its log entry (result.term, result.index); the key's
    version is that index. A read is answered only by a leader with a
    valid lease that has applied everything committed: it never returns a
    state older than an acknowledged write. A list returns one page (at
    most CLIENT_LIST_MAX keys in key order, and whether more follow);
    pages are separate reads, not one snapshot.

    Every reply is verified: signed by a member of the cluster file (the
    receive path of wire/rx.h, which takes client-replies from members
    only), addressed to this client, and answering the very request in
    flight (its seq and incarnation); anything else is dropped.

    Incarnation: the time of day in microseconds when the client was
    created (like meshctl transfer), seq counting up from 1. Nodes refuse a
    smaller incarnation than one they saw from the same client id, so run
    one client object per client id at a time, on a host whose clock is
    not stepped back.

    Not thread-safe: one client per thread.
*/
#ifndef MESH_CLIENT_H
#define MESH_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cluster.h"

#define CLIENT_KEY_MAX          128     //  = KV_KEY_MAX
#define CLIENT_VALUE_MAX        256     //  = KV_VALUE_MAX
#define CLIENT_LIST_MAX         32      //  Items in one list page (= WIRE_LIST_MAX)
#define CLIENT_ID_MAX           32      //  = CLUSTER_MEMBER_ID_MAX
#define CLIENT_DETAIL_MAX       320     //  Room for result.detail (an id and an endpoint)
#define CLIENT_TIMEOUT_MS_MAX   3600000 //  Longest timeout a call takes

//  Return codes besides 0 (the cluster answered; see result.outcome)
#define CLIENT_E_UNAVAILABLE    (-1)    //  Not done: no answer in time, nothing changed
#define CLIENT_E_UNKNOWN        (-2)    //  A write that may or may not have taken effect
#define CLIENT_E_ARGS           (-3)    //  Bad arguments: nothing was sent

typedef enum {
    CLIENT_OK = 0,              //  Done: written, deleted, or read
    CLIENT_CAS_FAILED = 1,      //  cas, del: the version did not match (version: the current)
    CLIENT_NOT_FOUND = 2,       //  get, del: no such key
    CLIENT_FULL = 3,            //  put, cas: the map holds its maximum of keys
    CLIENT_NOT_PERMITTED = 4,   //  The client's may_read / may_write does not allow it
    CLIENT_INVALID = 5,         //  A bad key, value or op (by the node, or CLIENT_E_ARGS)
    CLIENT_UNAVAILABLE = 6,     //  No leader answered in time; certainly not done
    CLIENT_UNKNOWN = 7          //  A write sent without an answer: may or may not be done
} client_outcome_t;

typedef struct {
    char key [CLIENT_KEY_MAX + 1];
    uint64_t version;                   //  Log index of the write that set it
    uint8_t value [CLIENT_VALUE_MAX];
    size_t value_size;
} client_item_t;

typedef struct {
    client_outcome_t outcome;
    uint64_t term;                      //  A write done: its entry's term (fencing token,
                                        //  with index); else the answering node's term
    uint64_t index;                     //  A write done: its log index; a read: the
                                        //  index the map it read had applied; 0 if none
    uint64_t version;                   //  The key's version: new (write), read (get),
                                        //  current (cas-failed); 0 = absent
    bool has_value;                     //  get: the value below is the key's
    uint8_t value [CLIENT_VALUE_MAX];
    size_t value_size;
    size_t item_count;                  //  list: the page
    client_item_t items [CLIENT_LIST_MAX];
    bool more;                          //  list: more keys after the page's last
    char leader [CLIENT_ID_MAX + 1];    //  Leader as the last answer named it ("" none)
    char answered_by [CLIENT_ID_MAX + 1];   //  Member whose answer this is ("" none)
    uint32_t attempts;                  //  Requests sent for this call
    uint64_t request_id;                //  The call's request id (for a retry)
    char detail [CLIENT_DETAIL_MAX];    //  Why it is not done, for people ("" if done)
} client_result_t;

typedef struct _client_t client_t;

//  Create client client_id of cluster (copied), signing with the secret key
//  in key_path. Returns NULL with a message in err if client_id is not in
//  the clients section, the key cannot be read, or its public key is not
//  that client's public_key.
client_t *client_new (const cluster_t *cluster, const char *client_id, const char *key_path,
                      char *err, size_t err_size);

//  Destroy; safe on NULL, sets *self_p to NULL.
void client_destroy (client_t **self_p);

//  Write value (size bytes, 0..CLIENT_VALUE_MAX) under key, whatever is
//  there. Returns 0 (outcome ok, full or not-permitted), CLIENT_E_UNAVAILABLE,
//  CLIENT_E_UNKNOWN or CLIENT_E_ARGS; result always says which.
int client_put (client_t *self, const char *key, const void *value, size_t size,
                uint64_t timeout_ms, client_result_t *result);

//  Write value under key if its version is expected (0: if it does not
//  exist). As client_put; cas-failed gives the current version.
int client_cas (client_t *self, const char *key, uint64_t expected, const void *value,
                size_t size, uint64_t timeout_ms, client_result_t *result);

//  Delete key; if expected is not 0, only if its version is expected. As
//  client_put; not-found if there is no such key.
int client_del (client_t *self, const char *key, uint64_t expected, uint64_t timeout_ms,
                client_result_t *result);

//  Read key: value and version, or not-found. Returns 0,
//  CLIENT_E_UNAVAILABLE or CLIENT_E_ARGS.
int client_get (client_t *self, const char *key, uint64_t timeout_ms, client_result_t *result);

//  One page of the keys that start with prefix ("" for all) and sort after
//  after ("" from the start; the last key of a page for the next), at most
//  limit of them (1..CLIENT_LIST_MAX; 0 for CLIENT_LIST_MAX), in key order.
//  As client_get.
int client_list (client_t *self, const char *prefix, const char *after, uint32_t limit,
                 uint64_t timeout_ms, client_result_t *result);

//  The next write call (put, cas, del) uses request_id (>= 1) instead of
//  a random one: to retry a write whose outcome was unknown (from this
//  client id, with no other write since), pass its result.request_id.
//  Returns 0, or -1 if request_id is 0.
int client_set_request_id (client_t *self, uint64_t request_id);

//  Ask member_id first from now on (until an answer names another leader).
//  Returns 0, or -1 if it is not a member.
int client_set_leader (client_t *self, const char *member_id);

//  The member the client believes leads, or NULL if it has no idea yet.
const char *client_leader (const client_t *self);

//  "ok", "cas-failed", "not-found", "full", "not-permitted", "invalid",
//  "unavailable", "unknown"; NULL for another value.
const char *client_outcome_name (client_outcome_t outcome);

#endif
