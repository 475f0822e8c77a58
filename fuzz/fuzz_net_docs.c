/*
 * fuzz_net_docs.c - every accessor of std.net.{err,codec,dns,tcp,udp,tls}
 * and the shim-side NetCapsV1 / TlsClientCfgV1 parsers on arbitrary bytes
 * (spec §2.1-§2.5).
 *
 * Input: mode u8, arg i32, fallback SNI (u8 length + bytes), doc (rest).
 * The doc always goes through every accessor and both shim parsers; each
 * result is compared with an independent reading of the spec, and every
 * doc that an accessor accepts is re-packed with the matching builder and
 * must come back byte for byte.  mode % 4 also runs one builder family on
 * arguments taken from the doc: 1 NetAddrV1, 2 NetCapsV1, 3 TlsClientCfgV1.
 */
#include <x7/net_codec.h>
#include <x7/net_dns.h>
#include <x7/net_err.h>
#include <x7/net_tcp.h>
#include <x7/net_tls.h>
#include <x7/net_udp.h>

#include "fuzz_common.h"
#include "sock_int.h"

static const uint32_t caps_dflt[4] = {30000, 30000, 1048576, 1048576};
static const uint32_t caps_max[4] = {600000, 600000, 67108864, 67108864};

/* ---- std.net.err ---- */

static void check_err(struct x7_view d) {
  struct x7_bytes doc = {0};
  int32_t is_err, code, c2;
  FUZZ_OK(x7_net_err_is_err_doc_v1(d, &is_err));
  FUZZ_OK(x7_net_err_err_code_v1(d, &code));
  FUZZ_CHECK(is_err == (d.len >= 1 && d.ptr[0] == 0));
  FUZZ_CHECK(code == (d.len >= 5 && d.ptr[0] == 0 ? fuzz_rdi32(d.ptr + 1) : 0));
  FUZZ_OK(x7_net_err_make_doc_v1(code, &doc));
  FUZZ_CHECK(doc.len == 9 && doc.ptr[0] == 0 && fuzz_rd32(doc.ptr + 5) == 0);
  FUZZ_OK(x7_net_err_err_code_v1(x7_bytes_view(&doc), &c2));
  FUZZ_CHECK(c2 == code);
  if (d.len == 9 && is_err && fuzz_rd32(d.ptr + 5) == 0)
    FUZZ_CHECK(fuzz_beq(&doc, d));
  x7_bytes_free(&doc);
}

/* ---- NetAddrV1 ---- */

static int32_t ref_addr_tag(struct x7_view a) {
  int32_t tag, port, n;
  if (a.len < 12 || fuzz_rdi32(a.ptr) != 1) return 0;
  tag = fuzz_rdi32(a.ptr + 4);
  port = fuzz_rdi32(a.ptr + 8);
  if (port < 0 || port > 65535) return 0;
  if (tag == 1) return a.len == 16 ? 1 : 0;
  if (tag == 2) return a.len == 28 ? 2 : 0;
  if (tag != 3 || a.len < 16) return 0;
  n = fuzz_rdi32(a.ptr + 12);
  return n >= 1 && n <= 1024 && a.len == 16 + (size_t)n ? 3 : 0;
}

/* Accessors of one address; returns its tag. */
static int32_t check_addr(struct x7_view d) {
  struct x7_bytes v4 = {0}, v6 = {0}, name = {0}, re = {0};
  int32_t tag, port;
  FUZZ_OK(x7_net_codec_addr_tag_v1(d, &tag));
  FUZZ_OK(x7_net_codec_addr_port_v1(d, &port));
  FUZZ_OK(x7_net_codec_addr_ipv4_bytes_v1(d, &v4));
  FUZZ_OK(x7_net_codec_addr_ipv6_bytes_v1(d, &v6));
  FUZZ_OK(x7_net_codec_addr_dns_name_v1(d, &name));
  FUZZ_CHECK(tag == ref_addr_tag(d));
  FUZZ_CHECK(v4.len == (tag == 1 ? 4u : 0u));
  FUZZ_CHECK(v6.len == (tag == 2 ? 16u : 0u));
  FUZZ_CHECK((name.len != 0) == (tag == 3));
  if (tag == 0) {
    FUZZ_CHECK(port == 0);
    return 0;
  }
  FUZZ_CHECK(port >= 0 && port <= 65535 && port == fuzz_rdi32(d.ptr + 8));
  /* Re-packing the parts must reproduce the input exactly. */
  if (tag == 1)
    FUZZ_OK(x7_net_codec_addr_ipv4_v1(v4.ptr[0], v4.ptr[1], v4.ptr[2],
                                      v4.ptr[3], port, &re));
  else if (tag == 2)
    FUZZ_OK(x7_net_codec_addr_ipv6_v1(x7_bytes_view(&v6), port, &re));
  else
    FUZZ_OK(x7_net_codec_addr_dns_v1(x7_bytes_view(&name), port, &re));
  if (tag == 3 && fuzz_has_byte(x7_bytes_view(&name), 0))
    FUZZ_CHECK(re.len == 0); /* the tag check allows NUL, the builder not */
  else
    FUZZ_CHECK(fuzz_beq(&re, d));
  x7_bytes_free(&v4);
  x7_bytes_free(&v6);
  x7_bytes_free(&name);
  x7_bytes_free(&re);
  return tag;
}

static void check_addr_consts(void) {
  int32_t a, b, c;
  FUZZ_OK(x7_net_codec_addr_tag_ipv4_v1(&a));
  FUZZ_OK(x7_net_codec_addr_tag_ipv6_v1(&b));
  FUZZ_OK(x7_net_codec_addr_tag_dns_v1(&c));
  FUZZ_CHECK(a == 1 && b == 2 && c == 3);
}

/* ---- NetCapsV1: x07-side accessors and the shim's parser ---- */

static void caps_read(struct x7_view c, int32_t out[4]) {
  FUZZ_OK(x7_net_codec_caps_connect_timeout_ms_v1(c, &out[0]));
  FUZZ_OK(x7_net_codec_caps_io_timeout_ms_v1(c, &out[1]));
  FUZZ_OK(x7_net_codec_caps_max_read_bytes_v1(c, &out[2]));
  FUZZ_OK(x7_net_codec_caps_max_write_bytes_v1(c, &out[3]));
}

static void check_caps(struct x7_view d, int32_t arg) {
  struct x7_bytes poll = {0}, re = {0};
  struct x7__sock_caps sc;
  int32_t got[4], again[4], rc, ref_rc = 0;
  uint32_t ref_sc[4];
  const int valid = d.len >= 24 && fuzz_rdi32(d.ptr) == 1;
  int all_nonneg = 1;

  caps_read(d, got);
  for (int i = 0; i < 4; i++) {
    int32_t stored = valid ? fuzz_rdi32(d.ptr + 4 + 4 * i) : -1;
    FUZZ_CHECK(got[i] == (stored >= 0 ? stored : (int32_t)caps_dflt[i]));
    if (stored < 0) all_nonneg = 0;
  }

  FUZZ_OK(x7_net_codec_caps_poll_from_v1(d, &poll));
  FUZZ_CHECK(poll.len == 24 && fuzz_rd32(poll.ptr) == 1 &&
             fuzz_rd32(poll.ptr + 20) == 0);
  caps_read(x7_bytes_view(&poll), again);
  FUZZ_CHECK(again[0] == 1 && again[1] == 1 && again[2] == got[2] &&
             again[3] == got[3]);

  FUZZ_OK(x7_net_codec_caps_v1(got[0], got[1], got[2], got[3], &re));
  caps_read(x7_bytes_view(&re), again);
  FUZZ_CHECK(memcmp(again, got, sizeof got) == 0);
  if (valid && all_nonneg && d.len == 24 && fuzz_rd32(d.ptr + 20) == 0)
    FUZZ_CHECK(fuzz_beq(&re, d));
  x7_bytes_free(&poll);
  x7_bytes_free(&re);

  /* The shim: short = defaults; else exactly 24 bytes, ver 1, zero ->
   * default, nothing above the hard maximum (read unsigned). */
  memcpy(ref_sc, caps_dflt, sizeof ref_sc);
  if (d.len >= 24) {
    if (d.len != 24 || fuzz_rd32(d.ptr) != 1) ref_rc = 2;
    for (int i = 0; i < 4 && !ref_rc; i++) {
      uint32_t v = fuzz_rd32(d.ptr + 4 + 4 * i);
      if (v) ref_sc[i] = v;
      if (ref_sc[i] > caps_max[i]) ref_rc = 2;
    }
    if (ref_rc) memcpy(ref_sc, caps_dflt, sizeof ref_sc);
  }
  rc = x7__sock_caps_parse(d, &sc);
  FUZZ_CHECK(rc == ref_rc);
  FUZZ_CHECK(sc.connect_timeout_ms == ref_sc[0] &&
             sc.io_timeout_ms == ref_sc[1] && sc.max_read_bytes == ref_sc[2] &&
             sc.max_write_bytes == ref_sc[3]);
  {
    size_t len = arg < 0 ? d.len : (size_t)arg;
    FUZZ_CHECK(x7__sock_caps_check_write(&sc, len) ==
               (len > sc.max_write_bytes ? X7_NET_ERR_TOO_LARGE : 0));
  }
}

/* ---- TlsClientCfgV1 ---- */

static void check_tls(struct x7_view d, struct x7_view fallback) {
  struct x7_bytes sni = {0}, re = {0};
  struct x7__sock_tls_cfg t;
  int32_t vp, rc, n;
  const int head = d.len >= 16 && fuzz_rdi32(d.ptr) == 1;
  int ref_ok = 1;
  uint32_t ref_vp = 1, ref_n = 0;
  struct x7_view ref_sni;

  FUZZ_OK(x7_net_tls_client_cfg_verify_peer_v1(d, &vp));
  FUZZ_OK(x7_net_tls_client_cfg_sni_v1(d, &sni));
  FUZZ_CHECK(vp == (!head || fuzz_rd32(d.ptr + 4) != 0));
  n = head ? fuzz_rdi32(d.ptr + 8) : -1;
  if (head && n >= 0 && n <= 1024 && d.len == 16 + (size_t)n)
    FUZZ_CHECK(fuzz_beq(&sni, fuzz_sub(d, 12, (size_t)n)));
  else
    FUZZ_CHECK(sni.len == 0);

  /* The shim's stricter reading. */
  if (d.len) {
    if (d.len < 16 || fuzz_rd32(d.ptr) != 1) {
      ref_ok = 0;
    } else {
      ref_vp = fuzz_rd32(d.ptr + 4);
      ref_n = fuzz_rd32(d.ptr + 8);
      if (ref_vp > 1 || ref_n > 1024 || d.len != 16 + (size_t)ref_n ||
          fuzz_rd32(d.ptr + 12 + ref_n) != 0 ||
          fuzz_has_byte(fuzz_sub(d, 12, ref_n), 0))
        ref_ok = 0;
    }
  }
  ref_sni = ref_n ? fuzz_sub(d, 12, ref_n) : fallback;
  if (ref_ok && ref_vp && ref_sni.len == 0) ref_ok = 0;
  rc = x7__sock_tls_cfg_parse(d, fallback, &t);
  if (!ref_ok) {
    FUZZ_CHECK(rc == X7_NET_ERR_INVALID_REQ && t.verify_peer == 1 &&
               t.sni.len == 0);
  } else {
    FUZZ_CHECK(rc == 0 && t.verify_peer == (int)ref_vp);
    FUZZ_CHECK(t.sni.ptr == ref_sni.ptr && t.sni.len == ref_sni.len);
  }

  /* A cfg the shim accepts reads the same through the x07 accessors and
   * is exactly what client_cfg_v1 builds from those values. */
  if (rc == 0 && d.len) {
    FUZZ_CHECK(vp == t.verify_peer);
    FUZZ_CHECK(sni.len == ref_n);
    FUZZ_OK(x7_net_tls_client_cfg_v1(vp, x7_bytes_view(&sni), &re));
    FUZZ_CHECK(fuzz_beq(&re, d));
  }
  x7_bytes_free(&sni);
  x7_bytes_free(&re);
}

/* ---- socket result docs ---- */

static int hdr_ok(struct x7_view d) {
  return d.len >= 2 && d.ptr[0] == 1 && d.ptr[1] == 1;
}

static int32_t ref_i32(struct x7_view d, size_t min_len) {
  return d.len >= min_len && d.len >= 8 && hdr_ok(d) ? fuzz_rdi32(d.ptr + 4)
                                                      : 0;
}

/* The length-prefixed tail at off, or -1 when the doc is not exact. */
static int ref_tail(struct x7_view d, size_t off, struct x7_view *pt) {
  int32_t n;
  if (d.len < off + 4 || !hdr_ok(d)) return -1;
  n = fuzz_rdi32(d.ptr + off);
  if (n < 0 || d.len - off - 4 != (size_t)n) return -1;
  *pt = fuzz_sub(d, off + 4, (size_t)n);
  return 0;
}

static int is_ip_addr(struct x7_view a) {
  int32_t tag = ref_addr_tag(a);
  return tag == 1 || tag == 2;
}

typedef x7_result i32_acc(struct x7_view, int32_t *);
typedef x7_result bytes_acc(struct x7_view, struct x7_bytes *);
typedef x7_result handle_addr_pack(uint32_t, struct x7_view, struct x7_bytes *);
typedef x7_result size_pack(size_t, struct x7_bytes *);

static void check_i32_acc(struct x7_view d, i32_acc *fn, size_t min_len) {
  int32_t v;
  FUZZ_OK(fn(d, &v));
  FUZZ_CHECK(v == ref_i32(d, min_len));
}

static void check_tail_acc(struct x7_view d, bytes_acc *fn, size_t off) {
  struct x7_bytes b = {0};
  struct x7_view t;
  FUZZ_OK(fn(d, &b));
  if (ref_tail(d, off, &t) == 0)
    FUZZ_CHECK(fuzz_beq(&b, t));
  else
    FUZZ_CHECK(b.len == 0);
  x7_bytes_free(&b);
}

/* Repack a handle + address doc when it is exactly what a shim writes. */
static void check_handle_addr_pack(struct x7_view d, handle_addr_pack *fn) {
  struct x7_bytes re = {0};
  struct x7_view addr;
  int32_t h;
  if (ref_tail(d, 8, &addr) || d.ptr[2] || d.ptr[3] || !is_ip_addr(addr))
    return;
  h = fuzz_rdi32(d.ptr + 4);
  if (h < 0) return;
  FUZZ_OK(fn((uint32_t)h, addr, &re));
  FUZZ_CHECK(fuzz_beq(&re, d));
  x7_bytes_free(&re);
}

static void check_size_pack(struct x7_view d, size_pack *fn) {
  struct x7_bytes re = {0};
  int32_t v;
  if (d.len != 8 || !hdr_ok(d) || d.ptr[2] || d.ptr[3]) return;
  v = fuzz_rdi32(d.ptr + 4);
  if (v < 0) return;
  FUZZ_OK(fn((size_t)v, &re));
  FUZZ_CHECK(fuzz_beq(&re, d));
  x7_bytes_free(&re);
}

static void check_tcp_udp(struct x7_view d) {
  struct x7_bytes a = {0}, b = {0}, re = {0};
  struct x7_view from = {0}, payload = {0}, t;
  int split = 0;
  int32_t alen, plen, tls_h, tcp_h;

  check_i32_acc(d, x7_net_tcp_connect_stream_handle_v1, 8);
  check_i32_acc(d, x7_net_tcp_listen_listener_handle_v1, 12);
  check_i32_acc(d, x7_net_tcp_accept_stream_handle_v1, 12);
  check_i32_acc(d, x7_net_tcp_stream_write_bytes_written_v1, 8);
  check_i32_acc(d, x7_net_tcp_stream_wait_events_v1, 8);
  check_i32_acc(d, x7_net_udp_bind_sock_handle_v1, 12);
  check_i32_acc(d, x7_net_udp_send_bytes_sent_v1, 8);
  check_i32_acc(d, x7_net_tls_connect_stream_handle_v1, 8);
  FUZZ_OK(x7_net_tls_connect_stream_handle_v1(d, &tls_h));
  FUZZ_OK(x7_net_tcp_connect_stream_handle_v1(d, &tcp_h));
  FUZZ_CHECK(tls_h == tcp_h);

  check_tail_acc(d, x7_net_tcp_listen_bound_addr_v1, 8);
  check_tail_acc(d, x7_net_tcp_accept_peer_addr_v1, 8);
  check_tail_acc(d, x7_net_udp_bind_bound_addr_v1, 8);
  check_tail_acc(d, x7_net_tcp_stream_read_payload_v1, 4);

  check_handle_addr_pack(d, x7__sock_tcp_listen_doc);
  check_handle_addr_pack(d, x7__sock_tcp_accept_doc);
  check_handle_addr_pack(d, x7__sock_udp_bind_doc);
  check_size_pack(d, x7__sock_stream_write_doc);
  check_size_pack(d, x7__sock_udp_send_doc);
  if (d.len == 8 && hdr_ok(d) && !d.ptr[2] && !d.ptr[3] &&
      fuzz_rdi32(d.ptr + 4) >= 0) {
    FUZZ_OK(x7__sock_tcp_connect_doc(fuzz_rd32(d.ptr + 4), &re));
    FUZZ_CHECK(fuzz_beq(&re, d));
    x7_bytes_free(&re);
    FUZZ_OK(x7__sock_stream_wait_doc(fuzz_rd32(d.ptr + 4), &re));
    FUZZ_CHECK(fuzz_beq(&re, d));
    x7_bytes_free(&re);
  }
  if (ref_tail(d, 4, &t) == 0 && !d.ptr[2] && !d.ptr[3]) {
    FUZZ_OK(x7__sock_stream_read_doc(t, &re));
    FUZZ_CHECK(fuzz_beq(&re, d));
    x7_bytes_free(&re);
  }

  /* UdpRecvDocV1: both parts, or neither. */
  if (d.len >= 12 && hdr_ok(d)) {
    alen = fuzz_rdi32(d.ptr + 4);
    if (alen >= 0 && d.len - 8 >= (size_t)alen + 4) {
      plen = fuzz_rdi32(d.ptr + 8 + alen);
      if (plen >= 0 && d.len - 12 - (size_t)alen == (size_t)plen) {
        split = 1;
        from = fuzz_sub(d, 8, (size_t)alen);
        payload = fuzz_sub(d, 12 + (size_t)alen, (size_t)plen);
      }
    }
  }
  FUZZ_OK(x7_net_udp_recv_from_addr_v1(d, &a));
  FUZZ_OK(x7_net_udp_recv_payload_v1(d, &b));
  FUZZ_CHECK(split ? fuzz_beq(&a, from) : a.len == 0);
  FUZZ_CHECK(split ? fuzz_beq(&b, payload) : b.len == 0);
  if (split && !d.ptr[2] && !d.ptr[3] && is_ip_addr(from)) {
    FUZZ_OK(x7__sock_udp_recv_doc(from, payload, &re));
    FUZZ_CHECK(fuzz_beq(&re, d));
    x7_bytes_free(&re);
  }
  x7_bytes_free(&a);
  x7_bytes_free(&b);
}

/* DnsLookupDocV1: the accessors agree with an independent entry walk, and
 * a doc of IP entries that ends exactly after them re-packs to itself. */
static void check_dns(struct x7_view d, int32_t arg) {
  struct x7_bytes b = {0};
  struct x7_view *entries;
  int32_t count, ref_count = 0;
  size_t walked = 0, pos = 8, cap;
  int all_ip = 1;

  if (d.len >= 8 && hdr_ok(d)) {
    ref_count = fuzz_rdi32(d.ptr + 4);
    if (ref_count < 0) ref_count = 0;
  }
  FUZZ_OK(x7_net_dns_count_v1(d, &count));
  FUZZ_CHECK(count == ref_count);

  /* Every walkable entry takes at least 4 bytes. */
  cap = d.len / 4 + 1;
  entries = malloc(cap * sizeof *entries);
  FUZZ_CHECK(entries != NULL);
  while (walked < (size_t)count) {
    int32_t n;
    if (d.len - pos < 4) break;
    n = fuzz_rdi32(d.ptr + pos);
    if (n < 0 || d.len - pos - 4 < (size_t)n) break;
    FUZZ_CHECK(walked < cap);
    entries[walked] = fuzz_sub(d, pos + 4, (size_t)n);
    if (!is_ip_addr(entries[walked])) all_ip = 0;
    walked++;
    pos += 4 + (size_t)n;
  }

  for (int32_t i = -1; i <= count && i < 70; i++) {
    FUZZ_OK(x7_net_dns_addr_at_v1(d, i, &b));
    if (i >= 0 && (size_t)i < walked)
      FUZZ_CHECK(fuzz_beq(&b, entries[i]));
    else
      FUZZ_CHECK(b.len == 0);
    x7_bytes_free(&b);
  }
  FUZZ_OK(x7_net_dns_addr_at_v1(d, arg, &b));
  if (arg >= 0 && (size_t)arg < walked)
    FUZZ_CHECK(fuzz_beq(&b, entries[arg]));
  else
    FUZZ_CHECK(b.len == 0);
  x7_bytes_free(&b);

  if (d.len >= 8 && hdr_ok(d) && !d.ptr[2] && !d.ptr[3] && all_ip &&
      fuzz_rdi32(d.ptr + 4) == count && walked == (size_t)count &&
      pos == d.len) {
    FUZZ_OK(x7__sock_dns_doc(entries, walked, &b));
    FUZZ_CHECK(fuzz_beq(&b, d));
    x7_bytes_free(&b);
  }
  free(entries);
}

/* ---- builders on fuzzed arguments ---- */

static void build_addr(struct fuzz_input *in, int32_t port, int raw) {
  struct x7_bytes a = {0};
  struct x7_view ip16, name;
  int32_t oct[4], tag;
  int ok = port >= 0 && port <= 65535, oct_ok = 1;
  for (int i = 0; i < 4; i++) {
    oct[i] = raw ? fuzz_i32(in) : fuzz_u8(in);
    if (oct[i] < 0 || oct[i] > 255) oct_ok = 0;
  }
  FUZZ_OK(x7_net_codec_addr_ipv4_v1(oct[0], oct[1], oct[2], oct[3], port, &a));
  FUZZ_CHECK((a.len != 0) == (ok && oct_ok));
  if (a.len) {
    FUZZ_CHECK(a.len == 16 && fuzz_rd32(a.ptr + 4) == 1 &&
               fuzz_rdi32(a.ptr + 8) == port);
    for (int i = 0; i < 4; i++) FUZZ_CHECK(a.ptr[12 + i] == oct[i]);
    FUZZ_CHECK(check_addr(x7_bytes_view(&a)) == 1);
  }
  x7_bytes_free(&a);

  ip16 = fuzz_chunk8(in);
  FUZZ_OK(x7_net_codec_addr_ipv6_v1(ip16, port, &a));
  FUZZ_CHECK((a.len != 0) == (ok && ip16.len == 16));
  if (a.len) {
    FUZZ_CHECK(a.len == 28 && memcmp(a.ptr + 12, ip16.ptr, 16) == 0);
    FUZZ_CHECK(check_addr(x7_bytes_view(&a)) == 2);
  }
  x7_bytes_free(&a);

  name = fuzz_rest(in);
  FUZZ_OK(x7_net_codec_addr_dns_v1(name, port, &a));
  FUZZ_CHECK((a.len != 0) == (ok && name.len >= 1 && name.len <= 1024 &&
                              !fuzz_has_byte(name, 0)));
  if (a.len) {
    FUZZ_OK(x7_net_codec_addr_tag_v1(x7_bytes_view(&a), &tag));
    FUZZ_CHECK(tag == 3 && a.len == 16 + name.len);
    FUZZ_CHECK(check_addr(x7_bytes_view(&a)) == 3);
  }
  x7_bytes_free(&a);
}

static void build_caps(struct fuzz_input *in) {
  struct x7_bytes c = {0};
  int32_t args[4], got[4];
  for (int i = 0; i < 4; i++) args[i] = fuzz_i32(in);
  FUZZ_OK(x7_net_codec_caps_v1(args[0], args[1], args[2], args[3], &c));
  FUZZ_CHECK(c.len == 24);
  caps_read(x7_bytes_view(&c), got);
  for (int i = 0; i < 4; i++) FUZZ_CHECK(got[i] == (args[i] < 0 ? 0 : args[i]));
  check_caps(x7_bytes_view(&c), -1);
  x7_bytes_free(&c);
  FUZZ_OK(x7_net_codec_caps_default_v1(&c));
  caps_read(x7_bytes_view(&c), got);
  for (int i = 0; i < 4; i++) FUZZ_CHECK(got[i] == (int32_t)caps_dflt[i]);
  x7_bytes_free(&c);
}

static void build_tls(struct fuzz_input *in, int32_t vp,
                      struct x7_view fallback) {
  struct x7_bytes c = {0}, sni = {0};
  struct x7__sock_tls_cfg t;
  struct x7_view want = fuzz_rest(in);
  int32_t got_vp;
  FUZZ_OK(x7_net_tls_client_cfg_v1(vp, want, &c));
  FUZZ_CHECK((c.len != 0) == (want.len <= 1024 && !fuzz_has_byte(want, 0)));
  if (c.len) {
    FUZZ_CHECK(c.len == 16 + want.len);
    FUZZ_OK(x7_net_tls_client_cfg_verify_peer_v1(x7_bytes_view(&c), &got_vp));
    FUZZ_OK(x7_net_tls_client_cfg_sni_v1(x7_bytes_view(&c), &sni));
    FUZZ_CHECK(got_vp == (vp != 0) && fuzz_beq(&sni, want));
    FUZZ_CHECK(x7__sock_tls_cfg_parse(x7_bytes_view(&c), fallback, &t) ==
               (vp && !want.len && !fallback.len ? X7_NET_ERR_INVALID_REQ
                                                 : 0));
    check_tls(x7_bytes_view(&c), fallback);
  }
  x7_bytes_free(&c);
  x7_bytes_free(&sni);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in, args;
  uint8_t mode;
  int32_t arg;
  struct x7_view fallback, doc;

  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  arg = fuzz_i32(&in);
  fallback = fuzz_chunk8(&in);
  doc = fuzz_rest(&in);

  check_err(doc);
  check_addr(doc);
  check_addr_consts();
  check_caps(doc, arg);
  check_tls(doc, fallback);
  check_tcp_udp(doc);
  check_dns(doc, arg);

  fuzz_init(&args, doc.ptr, doc.len);
  switch (mode % 4) {
  case 1:
    build_addr(&args, arg, mode & 4);
    break;
  case 2:
    build_caps(&args);
    break;
  case 3:
    build_tls(&args, arg, fallback);
    break;
  default:
    break;
  }
  fuzz_done(&args);
  fuzz_done(&in);
  return 0;
}
