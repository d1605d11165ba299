/*  A negative control for check_core_purity.sh: a "step" that reads the
    clock and allocates. The check must reject this object.  */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

uint64_t purity_control_step (void);

uint64_t
purity_control_step (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    void *volatile scratch = calloc (1, 16);    //  Allowed symbol, wrong place
    free (scratch);
    return (uint64_t) ts.tv_sec;
}
