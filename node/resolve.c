/*  resolve: the IPv4 addresses a host name has here. See resolve.h. */
#define _POSIX_C_SOURCE 200809L
#include "resolve.h"
#include "errmsg.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

int
resolve_ipv4 (const char *host, char addresses [][INET_ADDRSTRLEN], int max,
              char *err, size_t err_size)
{
    //  Digits and dots are an address or a mistake, never a name to ask
    //  DNS about (glibc would, for 256.1.1.1).
    if (strspn (host, "0123456789.") == strlen (host)) {
        struct in_addr in;
        if (!*host || max < 1 || inet_pton (AF_INET, host, &in) != 1)
            return errmsg_set (err, err_size, "%s is not an IPv4 address", host);
        inet_ntop (AF_INET, &in, addresses [0], INET_ADDRSTRLEN);
        return 1;
    }
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
    struct addrinfo *found = NULL;
    int rc = getaddrinfo (host, NULL, &hints, &found);
    if (rc != 0)
        return errmsg_set (err, err_size, "%s does not resolve: %s", host, gai_strerror (rc));
    int count = 0;
    for (struct addrinfo *a = found; a && count < max; a = a->ai_next) {
        char address [INET_ADDRSTRLEN];
        const struct sockaddr_in *in = (const struct sockaddr_in *) a->ai_addr;
        if (!inet_ntop (AF_INET, &in->sin_addr, address, sizeof address))
            continue;
        //  getaddrinfo repeats an address once per socket type it knows
        bool seen = false;
        for (int i = 0; i < count && !seen; i++)
            seen = strcmp (addresses [i], address) == 0;
        if (!seen)
            memcpy (addresses [count++], address, sizeof address);
    }
    freeaddrinfo (found);
    if (count == 0)
        return errmsg_set (err, err_size, "%s has no IPv4 address", host);
    return count;
}

bool
resolve_is_loopback (const char *address)
{
    struct in_addr in;
    return inet_pton (AF_INET, address, &in) == 1 && (ntohl (in.s_addr) >> 24) == 127;
}
