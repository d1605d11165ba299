/*  claim: deciding between nodes that say they lead.

    A claim is "member M leads in term T". Terms are Raft's logical clock:
    a higher term always supersedes a lower one, whatever order the claims
    were listed or heard in. Two different members claiming the same term
    is a safety violation (split brain) and is reported as such, never
    settled by picking one.

    Incident mapping (see docs/INCIDENT.md):
      SelectLeader     -> claim_select_leader  (highest term, not first listed)
      ResolveConflict  -> claim_resolve        (higher term wins, not lower)

    Pure; no allocation.
*/
#ifndef MESH_CLAIM_H
#define MESH_CLAIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t member;            //  Who claims leadership
    uint64_t term;              //  In which term
} claim_t;

//  Return codes: 0 = decided, CLAIM_NONE = nothing to decide,
//  CLAIM_SPLIT_BRAIN = two members claim the same, highest, term.
#define CLAIM_NONE          -1
#define CLAIM_SPLIT_BRAIN   -2

//  Of two claims, put the one with the higher term in *winner and return 0.
//  Equal terms by the same member: that claim. Equal terms by different
//  members: CLAIM_SPLIT_BRAIN, and *winner is left unchanged.
int claim_resolve (const claim_t *a, const claim_t *b, claim_t *winner);

//  Of count claims, put the one with the highest term in *leader and return
//  0; CLAIM_NONE if count is 0; CLAIM_SPLIT_BRAIN if two members share the
//  highest term (*leader then holds one of them, for the report).
int claim_select_leader (const claim_t *claims, size_t count, claim_t *leader);

#endif
