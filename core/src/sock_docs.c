/* sock_docs.c - socket result docs, shim-side NetCapsV1 / TlsClientCfgV1
 * parsing and the accessor primitives of std.net.{dns,tcp,udp,tls}
 * (spec §2.3-§2.5). */
#include <x7/net_codec.h>
#include <x7/net_err.h>

#include "sock_int.h"

#define CAPS_VER_OFF 0
#define TLS_HDR 12    /* ver, verify_peer, sni_len */
#define TLS_TRAILER 4 /* reserved word */

/* ---- NetCapsV1 (§2.3) ---- */

void x7__sock_caps_default(struct x7__sock_caps *out) {
  out->connect_timeout_ms = X7_NET_CAPS_DEFAULT_CONNECT_TIMEOUT_MS;
  out->io_timeout_ms = X7_NET_CAPS_DEFAULT_IO_TIMEOUT_MS;
  out->max_read_bytes = X7_NET_CAPS_DEFAULT_MAX_READ_BYTES;
  out->max_write_bytes = X7_NET_CAPS_DEFAULT_MAX_WRITE_BYTES;
}

/* A zero field means "use the default"; the hard maximum is applied after
 * that substitution, exactly as the shim does. */
static int caps_field(const uint8_t *p, uint32_t max, uint32_t *field) {
  uint32_t v = x7__rd32(p);
  if (v) *field = v;
  return *field <= max;
}

int32_t x7__sock_caps_parse(struct x7_view caps, struct x7__sock_caps *out) {
  struct x7__sock_caps c;
  x7__sock_caps_default(out);
  /* Short caps (an HttpCapsV1 of the wrong family, a truncated doc, no
   * caps at all) silently mean "defaults": the shim accepts them. */
  if (caps.len < X7_NET_CAPS_LEN) return 0;
  if (caps.len != X7_NET_CAPS_LEN || x7__rd32(caps.ptr + CAPS_VER_OFF) != 1)
    return X7_NET_ERR_INVALID_REQ;
  c = *out;
  if (!caps_field(caps.ptr + 4, X7__SOCK_TIMEOUT_MAX_MS,
                  &c.connect_timeout_ms) ||
      !caps_field(caps.ptr + 8, X7__SOCK_TIMEOUT_MAX_MS, &c.io_timeout_ms) ||
      !caps_field(caps.ptr + 12, X7__SOCK_BYTES_MAX, &c.max_read_bytes) ||
      !caps_field(caps.ptr + 16, X7__SOCK_BYTES_MAX, &c.max_write_bytes))
    return X7_NET_ERR_INVALID_REQ;
  *out = c;
  return 0;
}

int32_t x7__sock_caps_check_write(const struct x7__sock_caps *c, size_t len) {
  return len > c->max_write_bytes ? X7_NET_ERR_TOO_LARGE : 0;
}

/* ---- TlsClientCfgV1 (§2.5) ---- */

static int32_t tls_cfg_refuse(struct x7__sock_tls_cfg *out) {
  out->verify_peer = 1;
  out->sni = x7_view_of(NULL, 0);
  return X7_NET_ERR_INVALID_REQ;
}

int32_t x7__sock_tls_cfg_parse(struct x7_view cfg, struct x7_view fallback_sni,
                               struct x7__sock_tls_cfg *out) {
  uint32_t vp = 1, sni_len = 0;
  out->verify_peer = 1;
  out->sni = x7_view_of(NULL, 0);
  if (cfg.len) {
    if (cfg.len < TLS_HDR + TLS_TRAILER || x7__rd32(cfg.ptr) != 1)
      return tls_cfg_refuse(out);
    vp = x7__rd32(cfg.ptr + 4);
    sni_len = x7__rd32(cfg.ptr + 8);
    if (vp > 1 || sni_len > X7__SOCK_TLS_SNI_MAX ||
        cfg.len != TLS_HDR + (size_t)sni_len + TLS_TRAILER ||
        x7__rd32(cfg.ptr + TLS_HDR + sni_len) != 0 ||
        memchr(cfg.ptr + TLS_HDR, 0, sni_len))
      return tls_cfg_refuse(out);
  }
  out->verify_peer = (int)vp;
  out->sni = sni_len ? x7__sub(cfg, TLS_HDR, sni_len) : fallback_sni;
  /* Verifying a certificate needs a name (or IP text) to verify against;
   * the shim refuses before connecting rather than verify nothing. */
  if (out->verify_peer && out->sni.len == 0) return tls_cfg_refuse(out);
  return 0;
}

/* ---- packers (§2.4) ---- */

static int fits_i32(size_t v) { return v <= (size_t)INT32_MAX; }

static int ip_addr_ok(struct x7_view a) {
  int32_t tag;
  if (!x7__view_ok(a)) return 0;
  tag = x7__net_addr_tag(a);
  return tag == X7_NET_ADDR_IPV4 || tag == X7_NET_ADDR_IPV6;
}

static void ok_hdr(struct x7__buf *b) {
  static const uint8_t hdr[X7__SOCK_OK_HDR_LEN] = {1, 1, 0, 0};
  x7__buf_add(b, hdr, sizeof hdr);
}

/* Every 8-byte doc: header + one u32. */
static x7_result u32_doc(size_t v, struct x7_bytes *pout) {
  uint8_t doc[X7__SOCK_OK_HDR_LEN + 4] = {1, 1, 0, 0};
  X7__OUT_BYTES(pout);
  if (!fits_i32(v)) return X7_ERANGE;
  x7__wr32(doc + X7__SOCK_OK_HDR_LEN, (uint32_t)v);
  return x7__bytes_dup(doc, sizeof doc, pout);
}

/* Listen and bind docs: handle, addr_len, NetAddrV1. */
static x7_result handle_addr_doc(uint32_t handle, struct x7_view addr,
                                 struct x7_bytes *pout) {
  struct x7__buf b;
  X7__OUT_BYTES(pout);
  if (!ip_addr_ok(addr)) return X7_EINVAL;
  if (!fits_i32(handle)) return X7_ERANGE;
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, X7__SOCK_OK_HDR_LEN + 8 + addr.len))
    return x7__buf_finish(&b, pout);
  ok_hdr(&b);
  x7__buf_u32(&b, handle);
  x7__buf_u32(&b, (uint32_t)addr.len);
  x7__buf_add(&b, addr.ptr, addr.len);
  return x7__buf_finish(&b, pout);
}

x7_result x7__sock_dns_doc(const struct x7_view *addrs, size_t n,
                           struct x7_bytes *pout) {
  struct x7__buf b;
  size_t total = X7__SOCK_OK_HDR_LEN + 4;
  X7__OUT_BYTES(pout);
  if (n && !addrs) return X7_EINVAL;
  for (size_t i = 0; i < n; i++) {
    if (!ip_addr_ok(addrs[i])) return X7_EINVAL;
    total += 4 + addrs[i].len; /* at most 32 bytes per entry */
  }
  if (!fits_i32(n) || !fits_i32(total)) return X7_ERANGE;
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, total)) return x7__buf_finish(&b, pout);
  ok_hdr(&b);
  x7__buf_u32(&b, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    x7__buf_u32(&b, (uint32_t)addrs[i].len);
    x7__buf_add(&b, addrs[i].ptr, addrs[i].len);
  }
  return x7__buf_finish(&b, pout);
}

x7_result x7__sock_tcp_connect_doc(uint32_t stream_handle,
                                   struct x7_bytes *pout) {
  return u32_doc(stream_handle, pout);
}

x7_result x7__sock_tcp_listen_doc(uint32_t listener_handle,
                                  struct x7_view bound_addr,
                                  struct x7_bytes *pout) {
  return handle_addr_doc(listener_handle, bound_addr, pout);
}

x7_result x7__sock_tcp_accept_doc(uint32_t stream_handle,
                                  struct x7_view peer_addr,
                                  struct x7_bytes *pout) {
  return handle_addr_doc(stream_handle, peer_addr, pout);
}

x7_result x7__sock_stream_read_doc(struct x7_view payload,
                                   struct x7_bytes *pout) {
  struct x7__buf b;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(payload);
  if (!fits_i32(payload.len) ||
      !fits_i32(payload.len + X7__SOCK_OK_HDR_LEN + 4))
    return X7_ERANGE;
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, X7__SOCK_OK_HDR_LEN + 4 + payload.len))
    return x7__buf_finish(&b, pout);
  ok_hdr(&b);
  x7__buf_u32(&b, (uint32_t)payload.len);
  x7__buf_add(&b, payload.ptr, payload.len);
  return x7__buf_finish(&b, pout);
}

x7_result x7__sock_stream_write_doc(size_t bytes_written,
                                    struct x7_bytes *pout) {
  return u32_doc(bytes_written, pout);
}

x7_result x7__sock_stream_wait_doc(uint32_t events, struct x7_bytes *pout) {
  return u32_doc(events, pout);
}

x7_result x7__sock_udp_bind_doc(uint32_t sock_handle,
                                struct x7_view bound_addr,
                                struct x7_bytes *pout) {
  return handle_addr_doc(sock_handle, bound_addr, pout);
}

x7_result x7__sock_udp_send_doc(size_t bytes_sent, struct x7_bytes *pout) {
  return u32_doc(bytes_sent, pout);
}

x7_result x7__sock_udp_recv_doc(struct x7_view from_addr,
                                struct x7_view payload,
                                struct x7_bytes *pout) {
  struct x7__buf b;
  size_t fixed = X7__SOCK_OK_HDR_LEN + 4 + from_addr.len + 4;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(payload);
  if (!ip_addr_ok(from_addr)) return X7_EINVAL;
  if (!fits_i32(payload.len) || !fits_i32(payload.len + fixed))
    return X7_ERANGE;
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, fixed + payload.len))
    return x7__buf_finish(&b, pout);
  ok_hdr(&b);
  x7__buf_u32(&b, (uint32_t)from_addr.len);
  x7__buf_add(&b, from_addr.ptr, from_addr.len);
  x7__buf_u32(&b, (uint32_t)payload.len);
  x7__buf_add(&b, payload.ptr, payload.len);
  return x7__buf_finish(&b, pout);
}

/* ---- accessor primitives ---- */

int32_t x7__sock_doc_i32(struct x7_view doc, size_t min_len) {
  if (doc.len < min_len || doc.len < 8 || !x7__sock_ok_hdr(doc)) return 0;
  return x7__rdi32(doc.ptr + 4);
}

x7_result x7__sock_doc_tail(struct x7_view doc, size_t len_off,
                            struct x7_bytes *pout) {
  int32_t n;
  x7__bytes_reset(pout);
  if (doc.len < len_off + 4 || !x7__sock_ok_hdr(doc)) return X7_OK;
  n = x7__rdi32(doc.ptr + len_off);
  if (n < 0 || doc.len - (len_off + 4) != (size_t)n) return X7_OK;
  return x7__bytes_dup(doc.ptr + len_off + 4, (size_t)n, pout);
}
