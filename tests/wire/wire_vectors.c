/*  wire_vectors: print the protocol test vectors (see vectors.h).
    Usage: wire_vectors > tests/vectors/wire-v1.txt
*/
#include "vectors.h"

int
main (void)
{
    return vectors_write (stdout) == 0 ? 0 : 1;
}
