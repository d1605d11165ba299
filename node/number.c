/*  number: strict decimal numbers. See number.h. */
#include "number.h"
#include <errno.h>
#include <stdlib.h>

int
number_parse_uint (const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    if (!text || *text < '0' || *text > '9')
        return -1;                  //  Empty, a sign or a space first
    char *end;
    errno = 0;
    unsigned long long n = strtoull (text, &end, 10);
    if (errno || *end || n < min || n > max)
        return -1;
    *value = n;
    return 0;
}
