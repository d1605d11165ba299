/*  errmsg: how the node's modules report a failure to their caller.

    Constructors and loaders return NULL or -1 and write one line into a
    caller's buffer that names the file, flag or entry at fault; the caller
    decides whether it becomes a log line or a CLI error (exit 2).
*/
#ifndef MESH_ERRMSG_H
#define MESH_ERRMSG_H

#include <stddef.h>

//  Format a message into err (if err and err_size are set); returns -1 so
//  that "return errmsg_set (...)" reports the failure in one statement.
int errmsg_set (char *err, size_t err_size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

#endif
