/*  testing: the includes cmocka needs, in the order it needs them.  */
#ifndef MESH_TESTING_H
#define MESH_TESTING_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a) [0]))

#endif
