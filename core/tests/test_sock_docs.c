/* test_sock_docs.c - internal socket-doc packers, shim-side NetCapsV1 and
 * TlsClientCfgV1 parsing (spec §2.3-§2.5, vectors S1-S10, E1, E5, E8),
 * read back through the public std.net.{dns,tcp,udp,tls} accessors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "sock_int.h"
#include "x7_test.h"

#define S1 "0101000001000000100000000100000001000000500000007f000001"
#define S2                                                           \
  "01010000020000001c0000000100000002000000500000000000000000000000" \
  "0000000000000001100000000100000001000000500000007f000001"
#define S3 "0101000001000000100000000100000001000000307500007f000001"
#define S4 "0101000002000000"
#define S5 "010100000400000070696e67"
#define S6 "0101000000000000"
#define S7 "0101000004000000"
#define S8 "0101000000000000"
#define S9 "0101000002000000"
#define S10                                                          \
  "01010000100000000100000001000000317500007f0000010900000068656c6c" \
  "6f2d756470"
#define V3 "010000003075000030750000000010000000100000000000"
#define V4 "0100000060ea000060ea0000000001000000010000000000"
#define V24 "01000000000000000000000000000000"
#define V25 "01000000010000000b0000006578616d706c652e636f6d00000000"
#define E_INVALID_REQ "000200000000000000"
#define E_TOO_LARGE "000400000000000000"

static const uint8_t LOOP6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 1};

static struct x7_bytes ipv4(int a, int b, int c, int d, int port) {
  struct x7_bytes r = {0};
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(a, b, c, d, port, &r));
  assert_int_equal(r.len, 16);
  return r;
}

static struct x7_bytes ipv6(const uint8_t ip[16], int port) {
  struct x7_bytes r = {0};
  assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(ip, 16), port, &r));
  assert_int_equal(r.len, 28);
  return r;
}

static struct x7_view sv(const struct x7_bytes *b) { return x7_bytes_view(b); }

/* ---- S1-S10 from the packers, hex-exact, and read back ---- */

static void dns_doc_should_match_s1_s2(void **state) {
  struct x7_bytes a4 = ipv4(127, 0, 0, 1, 80), a6 = ipv6(LOOP6, 80);
  struct x7_bytes d = {0}, e = {0};
  struct x7_view list[2];
  int32_t n;
  (void)state;
  list[0] = sv(&a4);
  assert_x7_ok(x7__sock_dns_doc(list, 1, &d));
  assert_bytes_hex(d, S1);
  assert_x7_ok(x7_net_dns_count_v1(sv(&d), &n));
  assert_int_equal(n, 1);
  assert_x7_ok(x7_net_dns_addr_at_v1(sv(&d), 0, &e));
  assert_bytes_eq(e, a4);
  x7_bytes_free(&e);
  x7_bytes_free(&d);

  list[0] = sv(&a6);
  list[1] = sv(&a4);
  assert_x7_ok(x7__sock_dns_doc(list, 2, &d));
  assert_bytes_hex(d, S2);
  assert_x7_ok(x7_net_dns_count_v1(sv(&d), &n));
  assert_int_equal(n, 2);
  for (int i = 0; i < 2; i++) {
    assert_x7_ok(x7_net_dns_addr_at_v1(sv(&d), i, &e));
    assert_bytes_eq(e, list[i]);
    x7_bytes_free(&e);
  }
  x7_bytes_free(&d);

  /* No results (count 0) is a valid ok doc (§5.3). */
  assert_x7_ok(x7__sock_dns_doc(NULL, 0, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  x7_bytes_free(&a4);
  x7_bytes_free(&a6);
}

static void tcp_docs_should_match_s3_s4(void **state) {
  struct x7_bytes bound = ipv4(127, 0, 0, 1, 30000);
  struct x7_bytes peer = ipv4(127, 0, 0, 1, 45678);
  struct x7_bytes d = {0}, a = {0};
  int32_t v;
  (void)state;
  assert_x7_ok(x7__sock_tcp_listen_doc(1, sv(&bound), &d));
  assert_bytes_hex(d, S3);
  assert_x7_ok(x7_net_tcp_listen_listener_handle_v1(sv(&d), &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_listen_bound_addr_v1(sv(&d), &a));
  assert_bytes_eq(a, bound);
  x7_bytes_free(&a);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_tcp_connect_doc(2, &d));
  assert_bytes_hex(d, S4);
  assert_x7_ok(x7_net_tcp_connect_stream_handle_v1(sv(&d), &v));
  assert_int_equal(v, 2);
  assert_x7_ok(x7_net_tls_connect_stream_handle_v1(sv(&d), &v));
  assert_int_equal(v, 2);
  x7_bytes_free(&d);

  /* accept_v1 in S4's scenario: handle 3 and the client's address. */
  assert_x7_ok(x7__sock_tcp_accept_doc(3, sv(&peer), &d));
  assert_bytes_hex(d, "0101000003000000100000000100000001000000"
                      "6eb200007f000001");
  assert_x7_ok(x7_net_tcp_accept_stream_handle_v1(sv(&d), &v));
  assert_int_equal(v, 3);
  assert_x7_ok(x7_net_tcp_accept_peer_addr_v1(sv(&d), &a));
  assert_bytes_eq(a, peer);
  x7_bytes_free(&a);
  x7_bytes_free(&d);
  x7_bytes_free(&bound);
  x7_bytes_free(&peer);
}

static void stream_docs_should_match_s5_to_s9(void **state) {
  struct x7_bytes d = {0}, p = {0};
  int32_t v;
  (void)state;
  assert_x7_ok(x7__sock_stream_read_doc(x7_view_str("ping"), &d));
  assert_bytes_hex(d, S5);
  assert_x7_ok(x7_net_tcp_stream_read_payload_v1(sv(&d), &p));
  assert_bytes_str(p, "ping");
  x7_bytes_free(&p);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_stream_read_doc(x7_view_of(NULL, 0), &d));
  assert_bytes_hex(d, S6);
  assert_x7_ok(x7_net_tcp_stream_read_payload_v1(sv(&d), &p));
  assert_null(p.ptr);
  assert_int_equal(p.len, 0);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_stream_write_doc(4, &d));
  assert_bytes_hex(d, S7);
  assert_x7_ok(x7_net_tcp_stream_write_bytes_written_v1(sv(&d), &v));
  assert_int_equal(v, 4);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_stream_write_doc(0, &d));
  assert_bytes_hex(d, S8);
  assert_x7_ok(x7_net_tcp_stream_write_bytes_written_v1(sv(&d), &v));
  assert_int_equal(v, 0);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_stream_wait_doc(X7_NET_TCP_WAIT_WRITABLE, &d));
  assert_bytes_hex(d, S9);
  assert_x7_ok(x7_net_tcp_stream_wait_events_v1(sv(&d), &v));
  assert_int_equal(v, 2);
  x7_bytes_free(&d);
  assert_x7_ok(x7__sock_stream_wait_doc(7, &d));
  assert_bytes_hex(d, "0101000007000000");
  x7_bytes_free(&d);
}

static void udp_docs_should_match_s10(void **state) {
  struct x7_bytes from = ipv4(127, 0, 0, 1, 30001);
  struct x7_bytes d = {0}, p = {0};
  int32_t v;
  (void)state;
  assert_x7_ok(x7__sock_udp_recv_doc(sv(&from), x7_view_str("hello-udp"), &d));
  assert_bytes_hex(d, S10);
  assert_x7_ok(x7_net_udp_recv_payload_v1(sv(&d), &p));
  assert_bytes_str(p, "hello-udp");
  x7_bytes_free(&p);
  assert_x7_ok(x7_net_udp_recv_from_addr_v1(sv(&d), &p));
  assert_bytes_eq(p, from);
  x7_bytes_free(&p);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_udp_bind_doc(1, sv(&from), &d));
  assert_bytes_hex(d, "0101000001000000100000000100000001000000"
                      "317500007f000001");
  assert_x7_ok(x7_net_udp_bind_sock_handle_v1(sv(&d), &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_udp_bind_bound_addr_v1(sv(&d), &p));
  assert_bytes_eq(p, from);
  x7_bytes_free(&p);
  x7_bytes_free(&d);

  assert_x7_ok(x7__sock_udp_send_doc(9, &d));
  assert_bytes_hex(d, "0101000009000000");
  assert_x7_ok(x7_net_udp_send_bytes_sent_v1(sv(&d), &v));
  assert_int_equal(v, 9);
  x7_bytes_free(&d);

  /* An empty datagram from an IPv6 sender. */
  x7_bytes_free(&from);
  from = ipv6(LOOP6, 5353);
  assert_x7_ok(x7__sock_udp_recv_doc(sv(&from), x7_view_of(NULL, 0), &d));
  assert_int_equal(d.len, 4 + 4 + 28 + 4);
  assert_x7_ok(x7_net_udp_recv_from_addr_v1(sv(&d), &p));
  assert_bytes_eq(p, from);
  x7_bytes_free(&p);
  assert_x7_ok(x7_net_udp_recv_payload_v1(sv(&d), &p));
  assert_int_equal(p.len, 0);
  x7_bytes_free(&d);
  x7_bytes_free(&from);
}

/* ---- packer argument checks ---- */

static void packers_should_reject_bad_arguments(void **state) {
  struct x7_bytes good = ipv4(10, 0, 0, 1, 80), d = {0};
  struct x7_bytes dnsname = {0};
  struct x7_view list[2];
  uint8_t tiny[1] = {0};
  /* A view whose length the packer must reject before reading it. */
  const struct x7_view huge = x7_view_of(tiny, (size_t)INT32_MAX + 1);
  (void)state;
  assert_x7_ok(
      x7_net_codec_addr_dns_v1(x7_view_str("localhost"), 80, &dnsname));
  list[0] = sv(&good);
  list[1] = sv(&dnsname);

  assert_x7_result(X7_EINVAL, x7__sock_tcp_connect_doc(1, NULL));
  assert_x7_result(X7_EINVAL, x7__sock_dns_doc(list, 1, NULL));
  assert_x7_result(X7_EINVAL, x7__sock_dns_doc(NULL, 1, &d));
  /* Backends only ever report IP addresses (§2.2). */
  assert_x7_result(X7_EINVAL, x7__sock_dns_doc(list, 2, &d));
  assert_null(d.ptr);
  assert_x7_result(X7_EINVAL, x7__sock_tcp_listen_doc(1, sv(&dnsname), &d));
  assert_x7_result(X7_EINVAL,
                   x7__sock_tcp_accept_doc(1, x7_view_of(good.ptr, 15), &d));
  assert_x7_result(X7_EINVAL,
                   x7__sock_udp_bind_doc(1, x7_view_of(NULL, 16), &d));
  assert_x7_result(X7_EINVAL, x7__sock_udp_recv_doc(x7_view_of(NULL, 0),
                                                    x7_view_str("x"), &d));
  assert_x7_result(X7_EINVAL,
                   x7__sock_udp_recv_doc(sv(&good), x7_view_of(NULL, 2), &d));
  assert_x7_result(X7_EINVAL,
                   x7__sock_stream_read_doc(x7_view_of(NULL, 1), &d));
  assert_int_equal(d.len, 0);

  /* Values upstream would read back as negative are refused. */
  assert_x7_result(X7_ERANGE, x7__sock_tcp_connect_doc(0x80000000u, &d));
  assert_x7_result(X7_ERANGE, x7__sock_stream_wait_doc(UINT32_MAX, &d));
  assert_x7_result(X7_ERANGE,
                   x7__sock_stream_write_doc((size_t)INT32_MAX + 1, &d));
  assert_x7_result(X7_ERANGE,
                   x7__sock_udp_send_doc((size_t)INT32_MAX + 1, &d));
  assert_x7_result(X7_ERANGE,
                   x7__sock_tcp_listen_doc(0x80000001u, sv(&good), &d));
  assert_x7_result(X7_ERANGE, x7__sock_stream_read_doc(huge, &d));
  assert_x7_result(X7_ERANGE, x7__sock_udp_recv_doc(sv(&good), huge, &d));
  /* The whole doc, not only the payload, must stay below 2^31 bytes. */
  assert_x7_result(
      X7_ERANGE,
      x7__sock_stream_read_doc(x7_view_of(tiny, (size_t)INT32_MAX - 7), &d));
  assert_null(d.ptr);
  assert_int_equal(d.len, 0);
  assert_x7_ok(x7__sock_stream_write_doc((size_t)INT32_MAX, &d));
  assert_bytes_hex(d, "01010000ffffff7f");
  x7_bytes_free(&d);
  x7_bytes_free(&good);
  x7_bytes_free(&dnsname);
}

/* ---- failing allocations ---- */

struct pack_case {
  int which;
  struct x7_view addr, payload;
};

static x7_result pack_call(const struct pack_case *c, struct x7_bytes *out) {
  switch (c->which) {
  case 0: return x7__sock_dns_doc(&c->addr, 1, out);
  case 1: return x7__sock_tcp_connect_doc(5, out);
  case 2: return x7__sock_tcp_listen_doc(5, c->addr, out);
  case 3: return x7__sock_tcp_accept_doc(5, c->addr, out);
  case 4: return x7__sock_stream_read_doc(c->payload, out);
  case 5: return x7__sock_stream_write_doc(5, out);
  case 6: return x7__sock_stream_wait_doc(5, out);
  case 7: return x7__sock_udp_bind_doc(5, c->addr, out);
  case 8: return x7__sock_udp_send_doc(5, out);
  default: return x7__sock_udp_recv_doc(c->addr, c->payload, out);
  }
}

static void packers_should_fail_cleanly_without_memory(void **state) {
  struct x7_bytes a = ipv6(LOOP6, 443);
  uint8_t *big = x7t_rand_bytes(5000);
  struct pack_case c;
  (void)state;
  c.addr = sv(&a);
  c.payload = x7_view_of(big, 5000);
  for (c.which = 0; c.which <= 9; c.which++) {
    long k;
    for (k = 1;; k++) {
      struct x7_bytes d = {0};
      x7_result r;
      x7t_failalloc_install(k);
      r = pack_call(&c, &d);
      if (r == X7_OK) {
        assert_non_null(d.ptr);
        x7_bytes_free(&d);
        assert_int_equal(x7t_failalloc_live(), 0);
        x7t_failalloc_remove();
        break;
      }
      assert_x7_result(X7_ENOMEM, r);
      assert_null(d.ptr);
      assert_int_equal(d.len, 0);
      assert_int_equal(x7t_failalloc_live(), 0);
      x7t_failalloc_remove();
    }
    /* Every packer allocates, so at least one failure was exercised. */
    assert_true(k >= 2);
  }
  free(big);
  x7_bytes_free(&a);
}

/* ---- property: accessors give back what the packers stored ---- */

static struct x7_bytes random_ip_addr(void) {
  uint8_t ip[16];
  int port = (int)x7t_rand_below(65536);
  for (int i = 0; i < 16; i++) ip[i] = (uint8_t)x7t_rand();
  if (x7t_rand_below(2)) return ipv4(ip[0], ip[1], ip[2], ip[3], port);
  return ipv6(ip, port);
}

static uint32_t random_handle(void) {
  return (uint32_t)x7t_rand_below((uint64_t)INT32_MAX + 1);
}

static void dns_docs_should_roundtrip_random_lists(void **state) {
  (void)state;
  for (int iter = 0; iter < 3000; iter++) {
    size_t n = (size_t)x7t_rand_below(X7__SOCK_DNS_MAX_ADDRS + 1);
    struct x7_bytes addrs[X7__SOCK_DNS_MAX_ADDRS];
    struct x7_view views[X7__SOCK_DNS_MAX_ADDRS];
    struct x7_bytes d = {0}, e = {0};
    int32_t count;
    for (size_t i = 0; i < n; i++) {
      addrs[i] = random_ip_addr();
      views[i] = sv(&addrs[i]);
    }
    assert_x7_ok(x7__sock_dns_doc(views, n, &d));
    assert_x7_ok(x7_net_dns_count_v1(sv(&d), &count));
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
      assert_x7_ok(x7_net_dns_addr_at_v1(sv(&d), (int32_t)i, &e));
      assert_bytes_eq(e, views[i]);
      x7_bytes_free(&e);
    }
    assert_x7_ok(x7_net_dns_addr_at_v1(sv(&d), (int32_t)n, &e));
    assert_int_equal(e.len, 0);
    x7_bytes_free(&d);
    for (size_t i = 0; i < n; i++) x7_bytes_free(&addrs[i]);
  }
}

static void handle_docs_should_roundtrip_random_values(void **state) {
  (void)state;
  for (int iter = 0; iter < 4000; iter++) {
    uint32_t h = random_handle();
    struct x7_bytes addr = random_ip_addr(), d = {0}, a = {0};
    int32_t v;
    assert_x7_ok(x7__sock_tcp_connect_doc(h, &d));
    assert_x7_ok(x7_net_tcp_connect_stream_handle_v1(sv(&d), &v));
    assert_int_equal(v, h);
    assert_x7_ok(x7_net_tls_connect_stream_handle_v1(sv(&d), &v));
    assert_int_equal(v, h);
    x7_bytes_free(&d);

    assert_x7_ok(x7__sock_tcp_listen_doc(h, sv(&addr), &d));
    assert_x7_ok(x7_net_tcp_listen_listener_handle_v1(sv(&d), &v));
    assert_int_equal(v, h);
    assert_x7_ok(x7_net_tcp_listen_bound_addr_v1(sv(&d), &a));
    assert_bytes_eq(a, addr);
    x7_bytes_free(&a);
    x7_bytes_free(&d);

    assert_x7_ok(x7__sock_tcp_accept_doc(h, sv(&addr), &d));
    assert_x7_ok(x7_net_tcp_accept_stream_handle_v1(sv(&d), &v));
    assert_int_equal(v, h);
    assert_x7_ok(x7_net_tcp_accept_peer_addr_v1(sv(&d), &a));
    assert_bytes_eq(a, addr);
    x7_bytes_free(&a);
    x7_bytes_free(&d);

    assert_x7_ok(x7__sock_udp_bind_doc(h, sv(&addr), &d));
    assert_x7_ok(x7_net_udp_bind_sock_handle_v1(sv(&d), &v));
    assert_int_equal(v, h);
    assert_x7_ok(x7_net_udp_bind_bound_addr_v1(sv(&d), &a));
    assert_bytes_eq(a, addr);
    x7_bytes_free(&a);
    x7_bytes_free(&d);

    assert_x7_ok(x7__sock_stream_write_doc(h, &d));
    assert_x7_ok(x7_net_tcp_stream_write_bytes_written_v1(sv(&d), &v));
    assert_int_equal(v, h);
    x7_bytes_free(&d);
    assert_x7_ok(x7__sock_stream_wait_doc(h, &d));
    assert_x7_ok(x7_net_tcp_stream_wait_events_v1(sv(&d), &v));
    assert_int_equal(v, h);
    x7_bytes_free(&d);
    assert_x7_ok(x7__sock_udp_send_doc(h, &d));
    assert_x7_ok(x7_net_udp_send_bytes_sent_v1(sv(&d), &v));
    assert_int_equal(v, h);
    x7_bytes_free(&d);
    x7_bytes_free(&addr);
  }
}

static void payload_docs_should_roundtrip_random_payloads(void **state) {
  (void)state;
  for (int iter = 0; iter < 4000; iter++) {
    size_t n = (size_t)x7t_rand_below(iter % 50 == 0 ? 70000 : 300);
    uint8_t *pay = x7t_rand_bytes(n);
    struct x7_bytes from = random_ip_addr(), d = {0}, p = {0};
    assert_x7_ok(x7__sock_stream_read_doc(x7_view_of(pay, n), &d));
    assert_int_equal(d.len, 8 + n);
    assert_x7_ok(x7_net_tcp_stream_read_payload_v1(sv(&d), &p));
    assert_int_equal(p.len, n);
    if (n) assert_memory_equal(p.ptr, pay, n);
    x7_bytes_free(&p);
    x7_bytes_free(&d);

    assert_x7_ok(x7__sock_udp_recv_doc(sv(&from), x7_view_of(pay, n), &d));
    assert_int_equal(d.len, 12 + from.len + n);
    assert_x7_ok(x7_net_udp_recv_payload_v1(sv(&d), &p));
    assert_int_equal(p.len, n);
    if (n) assert_memory_equal(p.ptr, pay, n);
    x7_bytes_free(&p);
    assert_x7_ok(x7_net_udp_recv_from_addr_v1(sv(&d), &p));
    assert_bytes_eq(p, from);
    x7_bytes_free(&p);
    x7_bytes_free(&d);
    x7_bytes_free(&from);
    free(pay);
  }
}

/* ---- NetCapsV1, shim rules (§2.3, E5) ---- */

static void assert_caps(const struct x7__sock_caps *c, uint32_t ct,
                        uint32_t io, uint32_t mr, uint32_t mw) {
  assert_int_equal(c->connect_timeout_ms, ct);
  assert_int_equal(c->io_timeout_ms, io);
  assert_int_equal(c->max_read_bytes, mr);
  assert_int_equal(c->max_write_bytes, mw);
}

#define DEFAULTS 30000, 30000, 1048576, 1048576

static int32_t parse_hex_caps(const char *hex, struct x7__sock_caps *c) {
  size_t n;
  uint8_t *d = x7t_unhex(hex, &n);
  int32_t code = x7__sock_caps_parse(x7_view_of(d, n), c);
  free(d);
  return code;
}

static void caps_parse_should_follow_shim_rules(void **state) {
  struct x7__sock_caps c;
  struct x7_bytes err = {0};
  uint8_t buf[25];
  size_t n;
  uint8_t *v3 = x7t_unhex(V3, &n);
  (void)state;
  assert_int_equal(x7__sock_caps_parse(x7_view_of(NULL, 0), &c), 0);
  assert_caps(&c, DEFAULTS);
  assert_int_equal(parse_hex_caps(V3, &c), 0);
  assert_caps(&c, DEFAULTS);
  assert_int_equal(parse_hex_caps(V4, &c), 0);
  assert_caps(&c, 60000, 60000, 65536, 65536);
  /* Shorter than 24 bytes: defaults, accepted -- whatever the bytes. */
  memset(buf, 0xff, sizeof buf);
  assert_int_equal(x7__sock_caps_parse(x7_view_of(buf, 23), &c), 0);
  assert_caps(&c, DEFAULTS);

  /* E5: 25-byte caps, ver 2, connect_timeout_ms = 600001 -> 2. */
  memcpy(buf, v3, 24);
  buf[24] = 0;
  assert_int_equal(x7__sock_caps_parse(x7_view_of(buf, 25), &c),
                   X7_NET_ERR_INVALID_REQ);
  assert_caps(&c, DEFAULTS);
  memcpy(buf, v3, 24);
  x7__wr32(buf, 2);
  assert_int_equal(x7__sock_caps_parse(x7_view_of(buf, 24), &c),
                   X7_NET_ERR_INVALID_REQ);
  memcpy(buf, v3, 24);
  x7__wr32(buf + 4, 600001);
  assert_int_equal(x7__sock_caps_parse(x7_view_of(buf, 24), &c),
                   X7_NET_ERR_INVALID_REQ);
  assert_caps(&c, DEFAULTS);
  assert_x7_ok(x7__net_err_doc(X7_NET_ERR_INVALID_REQ, &err));
  assert_bytes_hex(err, E_INVALID_REQ);
  x7_bytes_free(&err);

  /* Limits are inclusive; one above any of them is refused. */
  x7__wr32(buf + 4, 600000);
  x7__wr32(buf + 8, 600000);
  x7__wr32(buf + 12, 67108864);
  x7__wr32(buf + 16, 67108864);
  assert_int_equal(x7__sock_caps_parse(x7_view_of(buf, 24), &c), 0);
  assert_caps(&c, 600000, 600000, 67108864, 67108864);
  for (int f = 0; f < 4; f++) {
    uint8_t t[24];
    memcpy(t, buf, 24);
    x7__wr32(t + 4 + 4 * f, x7__rd32(t + 4 + 4 * f) + 1);
    assert_int_equal(x7__sock_caps_parse(x7_view_of(t, 24), &c),
                     X7_NET_ERR_INVALID_REQ);
    /* Values >= 2^31 (negative for x07) are above every maximum. */
    x7__wr32(t + 4 + 4 * f, 0x80000000u);
    assert_int_equal(x7__sock_caps_parse(x7_view_of(t, 24), &c),
                     X7_NET_ERR_INVALID_REQ);
  }
  /* Zero fields take the defaults; the reserved word is ignored. */
  memset(buf, 0, 24);
  buf[0] = 1;
  x7__wr32(buf + 8, 5);
  x7__wr32(buf + 20, 0xdeadbeefu);
  assert_int_equal(x7__sock_caps_parse(x7_view_of(buf, 24), &c), 0);
  assert_caps(&c, 30000, 5, 1048576, 1048576);
  free(v3);
}

/* Sweep V4 through the shim parser: truncations are "short caps", each
 * corrupted field is taken (0 -> default) unless above its maximum. */
static void probe_caps(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view in) {
  static const uint32_t max[4] = {600000, 600000, 67108864, 67108864};
  static const uint32_t dflt[4] = {30000, 30000, 1048576, 1048576};
  uint32_t want[4] = {60000, 60000, 65536, 65536};
  struct x7__sock_caps c;
  int32_t code = x7__sock_caps_parse(in, &c);
  (void)ud;
  if (kind == X7T_TRUNC) {
    assert_int_equal(code, 0);
    assert_caps(&c, DEFAULTS);
    return;
  }
  if (pos < 4) {
    assert_int_equal(code, X7_NET_ERR_INVALID_REQ);
    return;
  }
  if (pos < 20) {
    size_t f = (pos - 4) / 4;
    uint32_t v = x7__rd32(in.ptr + 4 + 4 * f);
    want[f] = v ? v : dflt[f];
    if (want[f] > max[f]) {
      assert_int_equal(code, X7_NET_ERR_INVALID_REQ);
      assert_caps(&c, DEFAULTS);
      return;
    }
  }
  assert_int_equal(code, 0);
  assert_caps(&c, want[0], want[1], want[2], want[3]);
}

static void caps_parse_should_survive_sweeps(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V4, &n);
  (void)state;
  x7t_sweep_truncations(d, n, probe_caps, NULL);
  x7t_sweep_corruptions(d, n, probe_caps, NULL);
  free(d);
}

static void caps_check_write_should_match_e8(void **state) {
  struct x7__sock_caps c;
  struct x7_bytes err = {0};
  (void)state;
  x7__sock_caps_default(&c);
  assert_int_equal(x7__sock_caps_check_write(&c, 1048576), 0);
  assert_int_equal(x7__sock_caps_check_write(&c, 0), 0);
  /* E8: a 1048577-byte payload under caps_default -> TOO_LARGE. */
  assert_int_equal(x7__sock_caps_check_write(&c, 1048577),
                   X7_NET_ERR_TOO_LARGE);
  assert_x7_ok(x7__net_err_doc(x7__sock_caps_check_write(&c, 1048577), &err));
  assert_bytes_hex(err, E_TOO_LARGE);
  x7_bytes_free(&err);
}

/* ---- TlsClientCfgV1, shim rules (§2.5, E1) ---- */

static int32_t parse_cfg(const char *hex, const char *fallback,
                         struct x7__sock_tls_cfg *out, uint8_t **keep) {
  size_t n;
  *keep = x7t_unhex(hex, &n);
  return x7__sock_tls_cfg_parse(x7_view_of(*keep, n), x7_view_str(fallback),
                                out);
}

static void tls_cfg_parse_should_follow_shim_rules(void **state) {
  struct x7__sock_tls_cfg t;
  struct x7_bytes cfg = {0};
  uint8_t *keep;
  (void)state;
  /* Empty cfg: verify, SNI from the DNS name... */
  assert_int_equal(x7__sock_tls_cfg_parse(x7_view_of(NULL, 0),
                                          x7_view_str("example.com"), &t),
                   0);
  assert_int_equal(t.verify_peer, 1);
  assert_int_equal(t.sni.len, 11);
  assert_memory_equal(t.sni.ptr, "example.com", 11);
  /* ...and E1: an IP destination has no name to verify -> 2. */
  assert_int_equal(
      x7__sock_tls_cfg_parse(x7_view_of(NULL, 0), x7_view_of(NULL, 0), &t),
      X7_NET_ERR_INVALID_REQ);
  assert_int_equal(t.verify_peer, 1);
  assert_int_equal(t.sni.len, 0);

  /* V24: no verification, no SNI: fine for an IP address. */
  assert_int_equal(parse_cfg(V24, "", &t, &keep), 0);
  assert_int_equal(t.verify_peer, 0);
  assert_int_equal(t.sni.len, 0);
  free(keep);
  assert_int_equal(parse_cfg(V24, "h.example", &t, &keep), 0);
  assert_int_equal(t.verify_peer, 0);
  assert_memory_equal(t.sni.ptr, "h.example", 9);
  free(keep);
  /* V25: the explicit SNI wins over the address name. */
  assert_int_equal(parse_cfg(V25, "other", &t, &keep), 0);
  assert_int_equal(t.verify_peer, 1);
  assert_int_equal(t.sni.len, 11);
  assert_ptr_equal(t.sni.ptr, keep + 12);
  free(keep);
  /* Explicit verify with sni_len 0 and an IP address -> 2. */
  assert_x7_ok(x7_net_tls_client_cfg_v1(1, x7_view_of(NULL, 0), &cfg));
  assert_int_equal(x7__sock_tls_cfg_parse(sv(&cfg), x7_view_of(NULL, 0), &t),
                   X7_NET_ERR_INVALID_REQ);
  x7_bytes_free(&cfg);

  /* Each rule on its own. */
  {
    static const char *const bad[] = {
        "02000000000000000000000000000000",         /* ver 2 */
        "01000000020000000000000000000000",         /* verify 2 */
        "010000000000000000000000000000",           /* 15 bytes */
        "0100000000000000000000000000000000",       /* trailing byte */
        "01000000000000000000000001000000",         /* reserved 1 */
        "010000000000000001000000410000000000",     /* sni_len 1, 18 B */
        "0100000000000000030000006100620000000000", /* NUL in SNI */
        "01000000000000000000008000000000",         /* sni_len 2^31 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      assert_int_equal(parse_cfg(bad[i], "x", &t, &keep),
                       X7_NET_ERR_INVALID_REQ);
      assert_int_equal(t.verify_peer, 1);
      assert_int_equal(t.sni.len, 0);
      free(keep);
    }
  }
  /* The longest SNI is accepted; one byte more is refused. */
  {
    uint8_t raw[16 + 1025];
    memset(raw, 's', sizeof raw);
    x7__wr32(raw, 1);
    x7__wr32(raw + 4, 1);
    x7__wr32(raw + 8, 1024);
    x7__wr32(raw + 12 + 1024, 0);
    assert_int_equal(x7__sock_tls_cfg_parse(x7_view_of(raw, 16 + 1024),
                                            x7_view_of(NULL, 0), &t),
                     0);
    assert_int_equal(t.sni.len, 1024);
    x7__wr32(raw + 8, 1025);
    x7__wr32(raw + 12 + 1025, 0);
    assert_int_equal(x7__sock_tls_cfg_parse(x7_view_of(raw, sizeof raw),
                                            x7_view_of(NULL, 0), &t),
                     X7_NET_ERR_INVALID_REQ);
  }
}

/* V25 through the shim parser with no fallback name. */
static void probe_tls_cfg(void *ud, enum x7t_mutation kind, size_t pos,
                          struct x7_view in) {
  struct x7__sock_tls_cfg t;
  int32_t code = x7__sock_tls_cfg_parse(in, x7_view_of(NULL, 0), &t);
  (void)ud;
  if (kind == X7T_TRUNC) {
    /* Prefix 0 is the empty cfg = defaults, which need a name too. */
    assert_int_equal(code, X7_NET_ERR_INVALID_REQ);
    return;
  }
  if (pos >= 4 && pos < 8 && x7__rd32(in.ptr + 4) == 0) {
    /* verify_peer 1 -> 0 is a different but valid cfg. */
    assert_int_equal(code, 0);
    assert_int_equal(t.verify_peer, 0);
    assert_int_equal(t.sni.len, 11);
  } else if (pos >= 12 && pos < 23 && in.ptr[pos] != 0) {
    assert_int_equal(code, 0);
    assert_int_equal(t.verify_peer, 1);
    assert_ptr_equal(t.sni.ptr, in.ptr + 12);
    assert_int_equal(t.sni.len, 11);
  } else {
    /* ver, verify, sni_len, NUL in the SNI, reserved. */
    assert_int_equal(code, X7_NET_ERR_INVALID_REQ);
  }
}

static void tls_cfg_parse_should_survive_sweeps(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V25, &n);
  (void)state;
  x7t_sweep_truncations(d, n, probe_tls_cfg, NULL);
  x7t_sweep_corruptions(d, n, probe_tls_cfg, NULL);
  free(d);
}

static void tls_cfg_parse_should_accept_random_valid_cfgs(void **state) {
  (void)state;
  for (int iter = 0; iter < 3000; iter++) {
    size_t n = (size_t)x7t_rand_below(X7_NET_TLS_SNI_MAX + 1);
    uint8_t *sni = x7t_rand_bytes(n);
    int32_t vp = (int32_t)x7t_rand_below(3) - 1; /* -1, 0, 1 */
    struct x7_bytes cfg = {0};
    struct x7__sock_tls_cfg t;
    for (size_t i = 0; i < n; i++)
      if (!sni[i]) sni[i] = 1;
    assert_x7_ok(x7_net_tls_client_cfg_v1(vp, x7_view_of(sni, n), &cfg));
    assert_int_equal(x7__sock_tls_cfg_parse(sv(&cfg), x7_view_str("fb"), &t),
                     0);
    assert_int_equal(t.verify_peer, vp != 0);
    if (n) {
      assert_int_equal(t.sni.len, n);
      assert_memory_equal(t.sni.ptr, sni, n);
    } else {
      assert_memory_equal(t.sni.ptr, "fb", 2);
    }
    x7_bytes_free(&cfg);
    free(sni);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dns_doc_should_match_s1_s2),
      cmocka_unit_test(tcp_docs_should_match_s3_s4),
      cmocka_unit_test(stream_docs_should_match_s5_to_s9),
      cmocka_unit_test(udp_docs_should_match_s10),
      cmocka_unit_test(packers_should_reject_bad_arguments),
      cmocka_unit_test(packers_should_fail_cleanly_without_memory),
      cmocka_unit_test(dns_docs_should_roundtrip_random_lists),
      cmocka_unit_test(handle_docs_should_roundtrip_random_values),
      cmocka_unit_test(payload_docs_should_roundtrip_random_payloads),
      cmocka_unit_test(caps_parse_should_follow_shim_rules),
      cmocka_unit_test(caps_parse_should_survive_sweeps),
      cmocka_unit_test(caps_check_write_should_match_e8),
      cmocka_unit_test(tls_cfg_parse_should_follow_shim_rules),
      cmocka_unit_test(tls_cfg_parse_should_survive_sweeps),
      cmocka_unit_test(tls_cfg_parse_should_accept_random_valid_cfgs),
  };
  return cmocka_run_group_tests_name("sock_docs", tests, NULL, NULL);
}
