/*  claim: deciding between nodes that say they lead. See claim.h.  */
#include "claim.h"

int
claim_resolve (const claim_t *a, const claim_t *b, claim_t *winner)
{
    if (a->term > b->term)
        *winner = *a;
    else
    if (b->term > a->term)
        *winner = *b;
    else
    if (a->member == b->member)
        *winner = *a;
    else
        return CLAIM_SPLIT_BRAIN;
    return 0;
}

int
claim_select_leader (const claim_t *claims, size_t count, claim_t *leader)
{
    if (count == 0)
        return CLAIM_NONE;
    claim_t best = claims [0];
    int split = 0;
    for (size_t i = 1; i < count; i++) {
        claim_t winner;
        if (claim_resolve (&best, &claims [i], &winner) == CLAIM_SPLIT_BRAIN)
            split = 1;          //  Same term as best, another member
        else {
            if (winner.term > best.term)
                split = 0;      //  A higher term supersedes an older split
            best = winner;
        }
    }
    *leader = best;
    return split ? CLAIM_SPLIT_BRAIN : 0;
}
