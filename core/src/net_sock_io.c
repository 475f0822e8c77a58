/*
 * net_sock_io.c - the I/O twins of std.net.dns, std.net.tcp, std.net.tls
 * and std.net.udp (spec §3.3-§3.6, §5): validate in the core, then call
 * the selected backend's socket op.
 *
 * Every check the upstream sockets shim made before touching the network
 * is made here, in the shim's order, so error docs never depend on the
 * backend: caps (x7__sock_caps_parse), payload sizes, handles (range,
 * then the backend's sock_kind), addresses and the TLS config
 * (x7__sock_tls_cfg_parse).  The order matters where the codes differ:
 * stream_write checks the handle before the size (bad handle + huge data
 * -> 2), udp sendto the size before the handle (E8: -> 4).
 */
#include <x7/net_codec.h>
#include <x7/net_dns.h>
#include <x7/net_err.h>
#include <x7/net_tcp.h>
#include <x7/net_tls.h>
#include <x7/net_udp.h>

#include "backend_int.h"
#include "policy_int.h"
#include "sock_int.h"

#define ADDR_HDR 12
#define DNS_NAME_OFF 16

/* ---- the sandbox policy hook ----
 * Operations that name a destination (lookup, connect, listen, bind,
 * sendto) pass through policy_gate() after their arguments are valid and
 * before the backend is called, which is where the upstream shim ran its
 * X07_OS_SANDBOXED checks (§5.2).  It is the name stage of policy.c (no
 * DNS): 0, or X7_NET_ERR_POLICY_DENIED.  Resolved addresses of DNS names
 * are checked by the backends through x7__policy_getaddrinfo. */
enum gate_op {
  GATE_DNS_LOOKUP, /* dest = host name */
  GATE_TCP_CONNECT, /* dest = NetAddrV1, any tag */
  GATE_TLS_CONNECT, /* dest = NetAddrV1, any tag */
  GATE_TCP_LISTEN,  /* dest = NetAddrV1, tag 1 or 2 */
  GATE_UDP_BIND,    /* dest = NetAddrV1, tag 1 or 2 */
  GATE_UDP_SENDTO   /* dest = NetAddrV1, any tag */
};

static inline int32_t policy_gate(enum gate_op op, struct x7_view dest,
                                  uint32_t port) {
  static const enum x7_policy_op map[] = {
      [GATE_DNS_LOOKUP] = X7_POLICY_DNS_LOOKUP,
      [GATE_TCP_CONNECT] = X7_POLICY_TCP_CONNECT,
      [GATE_TLS_CONNECT] = X7_POLICY_TLS_CONNECT,
      [GATE_TCP_LISTEN] = X7_POLICY_TCP_LISTEN,
      [GATE_UDP_BIND] = X7_POLICY_UDP_BIND,
      [GATE_UDP_SENDTO] = X7_POLICY_UDP_SENDTO};
  return x7__policy_sock_gate(map[op], dest, port);
}

/* ---- argument checks (each returns 0 or a NetErrDocV1 code) ---- */

static void caps_export(const struct x7__sock_caps *c,
                        struct x7_sock_caps *out) {
  out->connect_timeout_ms = c->connect_timeout_ms;
  out->io_timeout_ms = c->io_timeout_ms;
  out->max_read_bytes = c->max_read_bytes;
  out->max_write_bytes = c->max_write_bytes;
}

static int32_t parse_caps(struct x7_view caps, struct x7_sock_caps *out) {
  struct x7__sock_caps c;
  int32_t code = x7__sock_caps_parse(caps, &c);
  caps_export(&c, out);
  return code;
}

/* Caps of a write, then its size (max_write_bytes is a limit, never a
 * clamp: TOO_LARGE). */
static int32_t parse_caps_write(struct x7_view caps, size_t len,
                                struct x7_sock_caps *out) {
  struct x7__sock_caps c;
  int32_t code = x7__sock_caps_parse(caps, &c);
  if (!code) code = x7__sock_caps_check_write(&c, len);
  caps_export(&c, out);
  return code;
}

static int handle_in_range(int32_t h) {
  return h >= 1 && h <= X7_SOCK_HANDLES_MAX;
}

/* An open handle of one of `kinds` in the backend's table. */
static int32_t check_handle(const struct x7_backend_ops *ops, int32_t h,
                            unsigned kinds) {
  if (!handle_in_range(h) || !(ops->sock_kind((uint32_t)h) & kinds))
    return X7_NET_ERR_INVALID_REQ;
  return 0;
}

static uint32_t addr_port(struct x7_view addr) {
  return x7__rd32(addr.ptr + 8);
}

/* A destination of connect / sendto: any well-formed NetAddrV1; a name
 * must also be free of NUL bytes (the shim hands it to getaddrinfo). */
static int32_t check_dest(struct x7_view addr, int32_t *ptag) {
  *ptag = x7__net_addr_tag(addr);
  if (!*ptag) return X7_NET_ERR_INVALID_REQ;
  if (*ptag == X7_NET_ADDR_DNS &&
      memchr(addr.ptr + DNS_NAME_OFF, 0, addr.len - DNS_NAME_OFF))
    return X7_NET_ERR_INVALID_REQ;
  return 0;
}

/* Local addresses of listen / bind: IP tags only (E9). */
static int32_t check_local(struct x7_view addr) {
  int32_t tag = x7__net_addr_tag(addr);
  return tag == X7_NET_ADDR_IPV4 || tag == X7_NET_ADDR_IPV6
             ? 0
             : X7_NET_ERR_INVALID_REQ;
}

/* The shim took max_bytes as a u32, so a negative i32 is huge and ends up
 * clamped to max_read_bytes like any other large request. */
static uint32_t clamp_read(int32_t max_bytes, const struct x7_sock_caps *c) {
  uint32_t m = (uint32_t)max_bytes;
  return m < c->max_read_bytes ? m : c->max_read_bytes;
}

/* ---- calling the backend ---- */

/* The result of a doc op.  A backend that says X7_OK but hands back no
 * doc broke its contract; callers get INTERNAL(8), which is what the
 * upstream x07 wrappers made of a shim that produced no buffer. */
static x7_result op_done(x7_result r, struct x7_bytes *pout) {
  if (r) {
    x7_bytes_free(pout);
    return r;
  }
  if (pout->len == 0) return x7__net_err_doc(X7_NET_ERR_INTERNAL, pout);
  return X7_OK;
}

static x7_result get_ops(const struct x7_backend_ops **pops) {
  return x7__backend_get(pops);
}

/* ---- std.net.dns ---- */

x7_result x7_net_dns_lookup_v1(struct x7_view name, int32_t port,
                               struct x7_view caps, struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(name);
  X7__IN_VIEW(caps);
  code = parse_caps(caps, &c);
  if (!code && (name.len < 1 || name.len > X7_NET_ADDR_DNS_MAX ||
                memchr(name.ptr, 0, name.len)))
    code = X7_NET_ERR_INVALID_REQ;
  if (!code && (port < 1 || port > 65535)) code = X7_NET_ERR_INVALID_REQ;
  if (!code) code = policy_gate(GATE_DNS_LOOKUP, name, (uint32_t)port);
  if (code) return x7__net_err_doc(code, pout);
  r = get_ops(&ops);
  if (r) return r;
  return op_done(ops->dns_lookup(name, (uint32_t)port, &c, pout), pout);
}

/* ---- std.net.tcp ---- */

x7_result x7_net_tcp_connect_v1(struct x7_view addr, struct x7_view caps,
                                struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code, tag = 0;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(addr);
  X7__IN_VIEW(caps);
  code = parse_caps(caps, &c);
  if (!code) code = check_dest(addr, &tag);
  if (!code) code = policy_gate(GATE_TCP_CONNECT, addr, addr_port(addr));
  if (code) return x7__net_err_doc(code, pout);
  r = get_ops(&ops);
  if (r) return r;
  return op_done(ops->tcp_connect(addr, &c, pout), pout);
}

/* tcp.listen_v1 and udp.bind_v1 take a local IP address through the same
 * checks (caps, address form, policy) before the backend binds it. */
static x7_result bind_local(struct x7_view addr, struct x7_view caps,
                            enum gate_op gate, struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(addr);
  X7__IN_VIEW(caps);
  code = parse_caps(caps, &c);
  if (!code) code = check_local(addr);
  if (!code) code = policy_gate(gate, addr, addr_port(addr));
  if (code) return x7__net_err_doc(code, pout);
  r = get_ops(&ops);
  if (r) return r;
  return op_done((gate == GATE_UDP_BIND ? ops->udp_bind : ops->tcp_listen)(
                     addr, &c, pout),
                 pout);
}

x7_result x7_net_tcp_listen_v1(struct x7_view addr, struct x7_view caps,
                               struct x7_bytes *pout) {
  return bind_local(addr, caps, GATE_TCP_LISTEN, pout);
}

x7_result x7_net_tcp_accept_v1(int32_t listener, struct x7_view caps,
                               struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(caps);
  r = get_ops(&ops);
  if (r) return r;
  code = check_handle(ops, listener, X7_SOCK_LISTENER);
  if (!code) code = parse_caps(caps, &c);
  if (code) return x7__net_err_doc(code, pout);
  return op_done(ops->tcp_accept((uint32_t)listener, &c, pout), pout);
}

x7_result x7_net_tcp_stream_read_v1(int32_t handle, int32_t max_bytes,
                                    struct x7_view caps,
                                    struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(caps);
  r = get_ops(&ops);
  if (r) return r;
  code = check_handle(ops, handle, X7_SOCK_STREAM);
  if (!code) code = parse_caps(caps, &c);
  if (code) return x7__net_err_doc(code, pout);
  return op_done(ops->stream_read((uint32_t)handle, clamp_read(max_bytes, &c),
                                  &c, pout),
                 pout);
}

x7_result x7_net_tcp_stream_write_v1(int32_t handle, struct x7_view data,
                                     struct x7_view caps,
                                     struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(data);
  X7__IN_VIEW(caps);
  r = get_ops(&ops);
  if (r) return r;
  code = check_handle(ops, handle, X7_SOCK_STREAM);
  if (!code) code = parse_caps_write(caps, data.len, &c);
  if (code) return x7__net_err_doc(code, pout);
  return op_done(ops->stream_write((uint32_t)handle, data, &c, pout), pout);
}

x7_result x7_net_tcp_stream_wait_v1(int32_t handle, int32_t events,
                                    int32_t timeout_ms,
                                    struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  int32_t code = 0;
  x7_result r;
  X7__OUT_BYTES(pout);
  if (timeout_ms < 0) return x7__net_err_doc(X7_NET_ERR_INVALID_REQ, pout);
  r = get_ops(&ops);
  if (r) return r;
  code = check_handle(ops, handle, X7_SOCK_STREAM);
  if (code) return x7__net_err_doc(code, pout);
  /* Only the readable and writable bits ask for anything; hangup is
   * always reported, as poll() does. */
  return op_done(ops->stream_wait((uint32_t)handle,
                                  (uint32_t)events &
                                      (X7_NET_TCP_WAIT_READABLE |
                                       X7_NET_TCP_WAIT_WRITABLE),
                                  (uint32_t)timeout_ms, pout),
                 pout);
}

x7_result x7_net_tcp_stream_shutdown_v1(int32_t handle, int32_t how,
                                        int32_t *pout) {
  const struct x7_backend_ops *ops;
  x7_result r;
  X7__OUT_I32(pout);
  if (!handle_in_range(handle) || how < X7_NET_TCP_SHUTDOWN_READ ||
      how > X7_NET_TCP_SHUTDOWN_BOTH)
    return X7_OK;
  r = get_ops(&ops);
  if (r) return r;
  /* TCP only: a TLS stream cannot be half-closed under the record layer
   * (upstream answers 0 too). */
  if (!(ops->sock_kind((uint32_t)handle) & X7_SOCK_TCP)) return X7_OK;
  *pout = ops->stream_shutdown((uint32_t)handle, (int)how) == 1;
  return X7_OK;
}

/* close / drop of every kind: 0 for handles that cannot exist. */
static x7_result release(int32_t handle, unsigned kinds, int drop,
                         int32_t *pout) {
  const struct x7_backend_ops *ops;
  x7_result r;
  X7__OUT_I32(pout);
  if (!handle_in_range(handle)) return X7_OK;
  r = get_ops(&ops);
  if (r) return r;
  *pout = (drop ? ops->sock_drop : ops->sock_close)((uint32_t)handle,
                                                   kinds) == 1;
  return X7_OK;
}

x7_result x7_net_tcp_stream_close_v1(int32_t handle, int32_t *pout) {
  return release(handle, X7_SOCK_STREAM, 0, pout);
}

x7_result x7_net_tcp_stream_drop_v1(int32_t handle, int32_t *pout) {
  return release(handle, X7_SOCK_STREAM, 1, pout);
}

x7_result x7_net_tcp_listener_close_v1(int32_t handle, int32_t *pout) {
  return release(handle, X7_SOCK_LISTENER, 0, pout);
}

x7_result x7_net_tcp_listener_drop_v1(int32_t handle, int32_t *pout) {
  return release(handle, X7_SOCK_LISTENER, 1, pout);
}

/* ---- std.net.tls ---- */

x7_result x7_net_tls_connect_v1(struct x7_view addr, struct x7_view tls_cfg,
                                struct x7_view caps, struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  struct x7__sock_tls_cfg tc;
  struct x7_tls_client tls;
  struct x7_view host = x7_view_of(NULL, 0);
  int32_t code, tag = 0;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(addr);
  X7__IN_VIEW(tls_cfg);
  X7__IN_VIEW(caps);
  code = parse_caps(caps, &c);
  if (!code) code = check_dest(addr, &tag);
  if (!code) {
    /* Only a DNS-name destination supplies a default SNI; an IP address
     * with verification on and no explicit SNI is refused (E1). */
    if (tag == X7_NET_ADDR_DNS)
      host = x7__sub(addr, DNS_NAME_OFF, addr.len - DNS_NAME_OFF);
    code = x7__sock_tls_cfg_parse(tls_cfg, host, &tc);
  }
  if (!code) code = policy_gate(GATE_TLS_CONNECT, addr, addr_port(addr));
  if (code) return x7__net_err_doc(code, pout);
  r = get_ops(&ops);
  if (r) return r;
  tls.verify_peer = tc.verify_peer;
  tls.sni = tc.sni;
  return op_done(ops->tls_connect(addr, &tls, &c, pout), pout);
}

/* ---- std.net.udp ---- */

x7_result x7_net_udp_bind_v1(struct x7_view addr, struct x7_view caps,
                             struct x7_bytes *pout) {
  return bind_local(addr, caps, GATE_UDP_BIND, pout);
}

x7_result x7_net_udp_sendto_v1(int32_t handle, struct x7_view addr,
                               struct x7_view payload, struct x7_view caps,
                               struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code, tag = 0;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(addr);
  X7__IN_VIEW(payload);
  X7__IN_VIEW(caps);
  /* The shim sized the payload before it looked at the handle (E8). */
  code = parse_caps_write(caps, payload.len, &c);
  if (code) return x7__net_err_doc(code, pout);
  r = get_ops(&ops);
  if (r) return r;
  code = check_handle(ops, handle, X7_SOCK_UDP);
  if (!code) code = check_dest(addr, &tag);
  if (!code) code = policy_gate(GATE_UDP_SENDTO, addr, addr_port(addr));
  if (code) return x7__net_err_doc(code, pout);
  return op_done(ops->udp_sendto((uint32_t)handle, addr, payload, &c, pout),
                 pout);
}

x7_result x7_net_udp_recvfrom_v1(int32_t handle, int32_t max_bytes,
                                 struct x7_view caps, struct x7_bytes *pout) {
  const struct x7_backend_ops *ops;
  struct x7_sock_caps c;
  int32_t code;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(caps);
  code = parse_caps(caps, &c);
  if (code) return x7__net_err_doc(code, pout);
  r = get_ops(&ops);
  if (r) return r;
  code = check_handle(ops, handle, X7_SOCK_UDP);
  if (code) return x7__net_err_doc(code, pout);
  return op_done(ops->udp_recvfrom((uint32_t)handle,
                                   clamp_read(max_bytes, &c), &c, pout),
                 pout);
}

x7_result x7_net_udp_close_v1(int32_t handle, int32_t *pout) {
  return release(handle, X7_SOCK_UDP, 0, pout);
}

x7_result x7_net_udp_drop_v1(int32_t handle, int32_t *pout) {
  return release(handle, X7_SOCK_UDP, 1, pout);
}
