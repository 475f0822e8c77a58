/* net_sockaddr.c - NetAddrV1 <-> struct sockaddr (see net_sockaddr_int.h). */
#define _POSIX_C_SOURCE 200809L
#include <netinet/in.h>
#include <string.h>

#include <x7/net_codec.h>

#include "net_sockaddr_int.h"

#define ADDR_HDR 12

socklen_t x7__sockaddr_from_netaddr(struct x7_view addr,
                                    struct sockaddr_storage *ss) {
  int32_t tag = x7__net_addr_tag(addr);
  uint16_t port;
  memset(ss, 0, sizeof *ss);
  if (tag != X7_NET_ADDR_IPV4 && tag != X7_NET_ADDR_IPV6) return 0;
  port = (uint16_t)x7__rd32(addr.ptr + 8);
  if (tag == X7_NET_ADDR_IPV4) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    memcpy(&in->sin_addr, addr.ptr + ADDR_HDR, 4);
    return (socklen_t)sizeof *in;
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    memcpy(&in6->sin6_addr, addr.ptr + ADDR_HDR, 16);
    return (socklen_t)sizeof *in6;
  }
}

size_t x7__sockaddr_to_netaddr(const struct sockaddr *sa, socklen_t salen,
                               int32_t port, uint8_t out[X7__NETADDR_IP_MAX]) {
  /* Copies, not casts: sa may be any sockaddr buffer, aligned or not. */
  if (sa->sa_family == AF_INET &&
      salen >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in in;
    memcpy(&in, sa, sizeof in);
    x7__wr32(out, 1);
    x7__wr32(out + 4, X7_NET_ADDR_IPV4);
    x7__wr32(out + 8, port < 0 ? ntohs(in.sin_port) : (uint32_t)port);
    memcpy(out + ADDR_HDR, &in.sin_addr, 4);
    return ADDR_HDR + 4;
  }
  if (sa->sa_family == AF_INET6 &&
      salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 in6;
    memcpy(&in6, sa, sizeof in6);
    x7__wr32(out, 1);
    x7__wr32(out + 4, X7_NET_ADDR_IPV6);
    x7__wr32(out + 8, port < 0 ? ntohs(in6.sin6_port) : (uint32_t)port);
    memcpy(out + ADDR_HDR, &in6.sin6_addr, 16);
    return ADDR_HDR + 16;
  }
  return 0;
}

int x7__netaddr_dns_name(struct x7_view addr, char *buf, size_t buflen,
                         uint32_t *pport) {
  uint32_t n;
  if (x7__net_addr_tag(addr) != X7_NET_ADDR_DNS) return -1;
  n = x7__rd32(addr.ptr + ADDR_HDR);
  if (n >= buflen || memchr(addr.ptr + ADDR_HDR + 4, 0, n)) return -1;
  memcpy(buf, addr.ptr + ADDR_HDR + 4, n);
  buf[n] = '\0';
  *pport = x7__rd32(addr.ptr + 8);
  return 0;
}
