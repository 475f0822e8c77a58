/*
 * net_sockaddr_int.h - NetAddrV1 <-> POSIX socket addresses, for every
 * backend that talks to the kernel's socket API.
 *
 * Addresses the kernel hands back (bound, peer, sender, resolver results)
 * always become tag 1 (16 bytes) or tag 2 (28 bytes); an IPv4-mapped IPv6
 * address stays tag 2, as the upstream shim leaves it.  The IPv6 scope id
 * has no place in NetAddrV1 and is lost.
 */
#ifndef X7_NET_SOCKADDR_INT_H
#define X7_NET_SOCKADDR_INT_H

#include <sys/socket.h>

#include "net_int.h"

/* Longest IP NetAddrV1 (tag 2). */
#define X7__NETADDR_IP_MAX 28

/* An IP NetAddrV1 (tag 1 or 2, already validated) as a sockaddr.  Returns
 * the sockaddr length, or 0 for any other view. */
socklen_t x7__sockaddr_from_netaddr(struct x7_view addr,
                                    struct sockaddr_storage *ss);

/* The NetAddrV1 of an AF_INET / AF_INET6 sockaddr, written to out.  port
 * is the port to store, or -1 for the sockaddr's own port (DNS results
 * carry the requested port instead).  Returns the NetAddrV1 length (16 or
 * 28), or 0 for another family or a short salen. */
size_t x7__sockaddr_to_netaddr(const struct sockaddr *sa, socklen_t salen,
                               int32_t port, uint8_t out[X7__NETADDR_IP_MAX]);

/* The name of a tag-3 NetAddrV1 (validated, at most 1024 bytes, no NUL)
 * as a C string in buf; the port goes to *pport.  Returns 0, or -1 when
 * addr is not a DNS address that fits. */
int x7__netaddr_dns_name(struct x7_view addr, char *buf, size_t buflen,
                         uint32_t *pport);

#endif /* X7_NET_SOCKADDR_INT_H */
