/* net_codec.c - std.net.codec twins: NetAddrV1 and NetCapsV1 (spec §2.2,
 * §2.3, §3.2). */
#include <x7/net_codec.h>

#include "net_int.h"

#define ADDR_HDR 12 /* ver, tag, port */

static int port_ok(int32_t port) { return port >= 0 && port <= 65535; }

static x7_result addr_build(uint32_t tag, int32_t port, const uint8_t *body,
                            size_t n, int with_len, struct x7_bytes *pout) {
  struct x7__buf b;
  x7__buf_init(&b);
  x7__buf_u32(&b, 1);
  x7__buf_u32(&b, tag);
  x7__buf_u32(&b, (uint32_t)port);
  if (with_len) x7__buf_u32(&b, (uint32_t)n);
  x7__buf_add(&b, body, n);
  return x7__buf_finish(&b, pout);
}

x7_result x7_net_codec_addr_ipv4_v1(int32_t a, int32_t b, int32_t c,
                                    int32_t d, int32_t port,
                                    struct x7_bytes *pout) {
  const int32_t oct[4] = {a, b, c, d};
  uint8_t ip[4];
  X7__OUT_BYTES(pout);
  for (int i = 0; i < 4; i++) {
    if (oct[i] < 0 || oct[i] > 255) return X7_OK;
    ip[i] = (uint8_t)oct[i];
  }
  if (!port_ok(port)) return X7_OK;
  return addr_build(X7_NET_ADDR_IPV4, port, ip, 4, 0, pout);
}

x7_result x7_net_codec_addr_ipv6_v1(struct x7_view ip16, int32_t port,
                                    struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(ip16);
  if (ip16.len != 16 || !port_ok(port)) return X7_OK;
  return addr_build(X7_NET_ADDR_IPV6, port, ip16.ptr, 16, 0, pout);
}

x7_result x7_net_codec_addr_dns_v1(struct x7_view name, int32_t port,
                                   struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(name);
  if (name.len == 0 || name.len > X7_NET_ADDR_DNS_MAX || !port_ok(port) ||
      memchr(name.ptr, 0, name.len))
    return X7_OK;
  return addr_build(X7_NET_ADDR_DNS, port, name.ptr, name.len, 1, pout);
}

int32_t x7__net_addr_tag(struct x7_view a) {
  int32_t tag, port, n;
  if (a.len < ADDR_HDR || x7__rdi32(a.ptr) != 1) return 0;
  tag = x7__rdi32(a.ptr + 4);
  port = x7__rdi32(a.ptr + 8);
  if (!port_ok(port)) return 0;
  switch (tag) {
  case X7_NET_ADDR_IPV4:
    return a.len == ADDR_HDR + 4 ? tag : 0;
  case X7_NET_ADDR_IPV6:
    return a.len == ADDR_HDR + 16 ? tag : 0;
  case X7_NET_ADDR_DNS:
    if (a.len < ADDR_HDR + 4) return 0;
    n = x7__rdi32(a.ptr + ADDR_HDR);
    if (n < 1 || n > X7_NET_ADDR_DNS_MAX) return 0;
    return a.len == ADDR_HDR + 4 + (size_t)n ? tag : 0;
  default:
    return 0;
  }
}

x7_result x7_net_codec_addr_tag_v1(struct x7_view addr, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(addr);
  *pout = x7__net_addr_tag(addr);
  return X7_OK;
}

#define TAG_CONST(fn, value)    \
  x7_result fn(int32_t *pout) { \
    X7__OUT_I32(pout);          \
    *pout = (value);            \
    return X7_OK;               \
  }
TAG_CONST(x7_net_codec_addr_tag_ipv4_v1, X7_NET_ADDR_IPV4)
TAG_CONST(x7_net_codec_addr_tag_ipv6_v1, X7_NET_ADDR_IPV6)
TAG_CONST(x7_net_codec_addr_tag_dns_v1, X7_NET_ADDR_DNS)

x7_result x7_net_codec_addr_port_v1(struct x7_view addr, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(addr);
  if (x7__net_addr_tag(addr)) *pout = x7__rdi32(addr.ptr + 8);
  return X7_OK;
}

/* The body of an address of the wanted tag, or an empty result. */
static x7_result addr_part(struct x7_view addr, int32_t want,
                           struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(addr);
  if (x7__net_addr_tag(addr) != want) return X7_OK;
  if (want == X7_NET_ADDR_DNS)
    return x7__bytes_dup(addr.ptr + ADDR_HDR + 4, addr.len - ADDR_HDR - 4,
                         pout);
  return x7__bytes_dup(addr.ptr + ADDR_HDR, addr.len - ADDR_HDR, pout);
}

x7_result x7_net_codec_addr_ipv4_bytes_v1(struct x7_view addr,
                                          struct x7_bytes *pout) {
  return addr_part(addr, X7_NET_ADDR_IPV4, pout);
}
x7_result x7_net_codec_addr_ipv6_bytes_v1(struct x7_view addr,
                                          struct x7_bytes *pout) {
  return addr_part(addr, X7_NET_ADDR_IPV6, pout);
}
x7_result x7_net_codec_addr_dns_name_v1(struct x7_view addr,
                                        struct x7_bytes *pout) {
  return addr_part(addr, X7_NET_ADDR_DNS, pout);
}

/* ---- NetCapsV1 ---- */

x7_result x7_net_codec_caps_v1(int32_t connect_timeout_ms,
                               int32_t io_timeout_ms, int32_t max_read_bytes,
                               int32_t max_write_bytes,
                               struct x7_bytes *pout) {
  uint8_t caps[X7_NET_CAPS_LEN] = {0};
  X7__OUT_BYTES(pout);
  x7__wr32(caps, 1);
  x7__wr32(caps + 4, x7__clamp0(connect_timeout_ms));
  x7__wr32(caps + 8, x7__clamp0(io_timeout_ms));
  x7__wr32(caps + 12, x7__clamp0(max_read_bytes));
  x7__wr32(caps + 16, x7__clamp0(max_write_bytes));
  return x7__bytes_dup(caps, sizeof caps, pout);
}

x7_result x7_net_codec_caps_default_v1(struct x7_bytes *pout) {
  return x7_net_codec_caps_v1(X7_NET_CAPS_DEFAULT_CONNECT_TIMEOUT_MS,
                              X7_NET_CAPS_DEFAULT_IO_TIMEOUT_MS,
                              X7_NET_CAPS_DEFAULT_MAX_READ_BYTES,
                              X7_NET_CAPS_DEFAULT_MAX_WRITE_BYTES, pout);
}

static int32_t caps_field(struct x7_view caps, size_t off, int32_t dflt) {
  int32_t v;
  if (caps.len < X7_NET_CAPS_LEN || x7__rdi32(caps.ptr) != 1) return dflt;
  v = x7__rdi32(caps.ptr + off);
  return v < 0 ? dflt : v;
}

#define CAPS_GETTER(fn, off, dflt)                          \
  x7_result fn(struct x7_view caps, int32_t *pout) {        \
    X7__OUT_I32(pout);                                      \
    X7__IN_VIEW(caps);                                      \
    *pout = caps_field(caps, (off), (dflt));                \
    return X7_OK;                                           \
  }
CAPS_GETTER(x7_net_codec_caps_connect_timeout_ms_v1, 4,
            X7_NET_CAPS_DEFAULT_CONNECT_TIMEOUT_MS)
CAPS_GETTER(x7_net_codec_caps_io_timeout_ms_v1, 8,
            X7_NET_CAPS_DEFAULT_IO_TIMEOUT_MS)
CAPS_GETTER(x7_net_codec_caps_max_read_bytes_v1, 12,
            X7_NET_CAPS_DEFAULT_MAX_READ_BYTES)
CAPS_GETTER(x7_net_codec_caps_max_write_bytes_v1, 16,
            X7_NET_CAPS_DEFAULT_MAX_WRITE_BYTES)

x7_result x7_net_codec_caps_poll_from_v1(struct x7_view caps,
                                         struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(caps);
  return x7_net_codec_caps_v1(
      1, 1, caps_field(caps, 12, X7_NET_CAPS_DEFAULT_MAX_READ_BYTES),
      caps_field(caps, 16, X7_NET_CAPS_DEFAULT_MAX_WRITE_BYTES), pout);
}
