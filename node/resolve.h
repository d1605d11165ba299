/*  resolve: the IPv4 addresses a host name has on this host, for binding.

    A cluster file for several hosts names them (tcp://host1:7100,
    host1:7102) so that every peer connects by name, but libzmq binds only
    to addresses and interface names. The node binds its own endpoints to
    the addresses its own name resolves to; this module does the lookup
    (getaddrinfo, IPv4, like every other address in the cluster file) and
    nothing else. It blocks on the resolver, so it is for start-up only.
*/
#ifndef MESH_RESOLVE_H
#define MESH_RESOLVE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#define RESOLVE_ADDRESSES_MAX   8

//  Fill addresses with up to max dotted-quad addresses of host (a literal
//  address resolves to itself). Returns how many (>= 1), or -1 with a
//  message in err.
int resolve_ipv4 (const char *host, char addresses [][INET_ADDRSTRLEN], int max,
                  char *err, size_t err_size);

//  True if address (dotted quad) is in 127.0.0.0/8.
bool resolve_is_loopback (const char *address);

#endif
