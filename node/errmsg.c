/*  errmsg: see errmsg.h.  */
#include "errmsg.h"
#include <stdarg.h>
#include <stdio.h>

int
errmsg_set (char *err, size_t err_size, const char *format, ...)
{
    if (err && err_size) {
        va_list args;
        va_start (args, format);
        vsnprintf (err, err_size, format, args);
        va_end (args);
    }
    return -1;
}
