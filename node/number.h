/*  number: strict decimal numbers from command lines and files.

    Only digits: no sign, no space, no base prefix, nothing after; the
    value must be within [min, max]. strtoull alone takes " -5" as a huge
    number and "12x" as 12: a flag that was mistyped must be refused, not
    read as something else.
*/
#ifndef MESH_NUMBER_H
#define MESH_NUMBER_H

#include <stdint.h>

//  Parse text as a decimal in min..max into *value. Returns 0, or -1 (and
//  *value unchanged) if text is not one.
int number_parse_uint (const char *text, uint64_t min, uint64_t max, uint64_t *value);

#endif
