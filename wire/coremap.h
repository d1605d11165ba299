/*  coremap: between decoded wire messages and the core's core_msg_t.

    The core numbers members 0..n-1; the wire names them. The principal
    table (peers.h) is the mapping: member index = core member number.
    "*" is CORE_TO_ALL and a nil leader is CORE_NOBODY. Clients follow the
    members in the table and are never core members: a message from, to
    or naming a client as leader does not map.

    Only the fields a type carries cross over. wire_to_core leaves the
    other fields of core_msg_t zero, except leader, which is CORE_NOBODY
    (zero would name member 0). wire_from_core fills type, to, term and the
    type's fields; the sender (wire_tx) stamps the rest of the header, and
    the node adds what the core does not know (lease, storm, counters, the
    applied index). Status, transfer and client requests and replies are
    for clients and monitors, not the core.

    The commit index travels in a leader's heartbeats: wire_from_core sets
    has_commit on a heartbeat whose role is leader (the core states commit
    in those only), and wire_to_core gives a heartbeat without one commit
    0. A snapshot's index and term are the core's prev_index and prev_term;
    wire_to_core maps any chunk of one, and the node should step the core
    with a snapshot only once it holds all of its chunks (the core installs
    on the message).

    Heartbeats and beacons: every CORE_MSG_HEARTBEAT maps to a wire
    heartbeat; the node then sends it as a beacon (same fields, another
    topic) unless its role is leader or it is the resignation (resign).
    A beacon is no core message: wire_to_core refuses it, so one that
    reaches a node (which does not subscribe to beacons) steps nothing.
    Back from the wire, resign is set on a heartbeat whose role is not
    leader: the heartbeat stream carries no other kind.
*/
#ifndef MESH_WIRE_COREMAP_H
#define MESH_WIRE_COREMAP_H

#include "core.h"
#include "msg.h"
#include "peers.h"

//  Map an accepted wire message to the core's form. Returns 0, or -1 if
//  its type is not a core message or an id is not a member in peers.
int wire_to_core (const wire_peers_t *peers, const wire_msg_t *msg, core_msg_t *core);

//  Map a message the core wants sent to wire form (msg is initialised
//  here). Returns 0, or -1 on an unknown type or member number (a client's
//  index is not a member number).
int wire_from_core (const wire_peers_t *peers, const core_msg_t *core, wire_msg_t *msg);

//  Log replication: wire_to_core and wire_from_core carry an append's and a
//  snapshot's positions (prev_index, prev_term, commit, entry_count) but not
//  their contents, which live in the node's log and snapshot store: the
//  node attaches the entries (or the snapshot chunk) to the wire message
//  itself (wire_from_core leaves append.entry_count 0, and the snapshot
//  without a chunk), and turns a received append's entries into the core's
//  with wire_entries_to_core (entries [k] gets index prev_index + 1 + k; the
//  payloads still point into the message, a no-op's data is NULL; entries
//  has room for CORE_APPEND_MAX). Returns 0, or -1 if msg is not an append,
//  or its count, position or an entry type is out of range.
int wire_entries_to_core (const wire_msg_t *msg, core_entry_t *entries);

#endif
