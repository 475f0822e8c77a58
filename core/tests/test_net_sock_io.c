/* test_net_sock_io.c - the I/O twins of std.net.dns/tcp/tls/udp without a
 * network: a recording mock backend shows what the core validates, in
 * which order (spec §5, vectors E1 and E5-E10), and what reaches the
 * backend. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "backend_int.h"
#include "core_int.h"
#include "x7_test.h"

/* ---- the mock backend ---- */

enum op_id {
  OP_NONE,
  OP_DNS,
  OP_CONNECT,
  OP_TLS,
  OP_LISTEN,
  OP_ACCEPT,
  OP_READ,
  OP_WRITE,
  OP_WAIT,
  OP_SHUTDOWN,
  OP_CLOSE,
  OP_DROP,
  OP_BIND,
  OP_SENDTO,
  OP_RECVFROM
};

static struct {
  int calls;
  enum op_id op;
  uint32_t handle, port, max_bytes, events, timeout_ms;
  int how;
  unsigned kinds;
  struct x7_sock_caps caps;
  uint8_t addr[2048];
  size_t addr_len;
  const uint8_t *data;
  size_t data_len;
  int verify_peer;
  uint8_t sni[2048];
  size_t sni_len;
  int kind_calls;
} last;

static unsigned kind_of[X7_SOCK_HANDLES_MAX + 1];
static x7_result next_result; /* what doc ops return */
static int next_empty;        /* X7_OK with no doc (a broken backend) */
static int32_t next_status;   /* what status ops return */

/* Every doc op answers this recognisable ok doc. */
static const uint8_t canned[] = {1, 1, 0, 0, 0xab, 0, 0, 0};
#define CANNED_HEX "01010000ab000000"

static x7_result answer(enum op_id op, struct x7_bytes *pdoc) {
  last.calls++;
  last.op = op;
  pdoc->ptr = NULL;
  pdoc->len = 0;
  if (next_result) return next_result;
  if (next_empty) return X7_OK;
  return x7__bytes_dup(canned, sizeof canned, pdoc);
}

static void keep_addr(struct x7_view a) {
  assert_true(a.len <= sizeof last.addr);
  memcpy(last.addr, a.ptr, a.len);
  last.addr_len = a.len;
}

static x7_result m_dns(struct x7_view name, uint32_t port,
                       const struct x7_sock_caps *caps,
                       struct x7_bytes *pdoc) {
  keep_addr(name);
  last.port = port;
  last.caps = *caps;
  return answer(OP_DNS, pdoc);
}

static x7_result m_connect(struct x7_view addr,
                           const struct x7_sock_caps *caps,
                           struct x7_bytes *pdoc) {
  keep_addr(addr);
  last.caps = *caps;
  return answer(OP_CONNECT, pdoc);
}

static x7_result m_tls(struct x7_view addr, const struct x7_tls_client *tls,
                       const struct x7_sock_caps *caps,
                       struct x7_bytes *pdoc) {
  keep_addr(addr);
  last.caps = *caps;
  last.verify_peer = tls->verify_peer;
  assert_true(tls->sni.len <= sizeof last.sni);
  if (tls->sni.len) memcpy(last.sni, tls->sni.ptr, tls->sni.len);
  last.sni_len = tls->sni.len;
  return answer(OP_TLS, pdoc);
}

static x7_result m_listen(struct x7_view addr,
                          const struct x7_sock_caps *caps,
                          struct x7_bytes *pdoc) {
  keep_addr(addr);
  last.caps = *caps;
  return answer(OP_LISTEN, pdoc);
}

static x7_result m_bind(struct x7_view addr, const struct x7_sock_caps *caps,
                        struct x7_bytes *pdoc) {
  keep_addr(addr);
  last.caps = *caps;
  return answer(OP_BIND, pdoc);
}

static x7_result m_accept(uint32_t h, const struct x7_sock_caps *caps,
                          struct x7_bytes *pdoc) {
  last.handle = h;
  last.caps = *caps;
  return answer(OP_ACCEPT, pdoc);
}

static x7_result m_read(uint32_t h, uint32_t max,
                        const struct x7_sock_caps *caps,
                        struct x7_bytes *pdoc) {
  last.handle = h;
  last.max_bytes = max;
  last.caps = *caps;
  return answer(OP_READ, pdoc);
}

static x7_result m_recvfrom(uint32_t h, uint32_t max,
                            const struct x7_sock_caps *caps,
                            struct x7_bytes *pdoc) {
  last.handle = h;
  last.max_bytes = max;
  last.caps = *caps;
  return answer(OP_RECVFROM, pdoc);
}

static x7_result m_write(uint32_t h, struct x7_view data,
                         const struct x7_sock_caps *caps,
                         struct x7_bytes *pdoc) {
  last.handle = h;
  last.data = data.ptr;
  last.data_len = data.len;
  last.caps = *caps;
  return answer(OP_WRITE, pdoc);
}

static x7_result m_wait(uint32_t h, uint32_t events, uint32_t timeout_ms,
                        struct x7_bytes *pdoc) {
  last.handle = h;
  last.events = events;
  last.timeout_ms = timeout_ms;
  return answer(OP_WAIT, pdoc);
}

static int32_t m_shutdown(uint32_t h, int how) {
  last.calls++;
  last.op = OP_SHUTDOWN;
  last.handle = h;
  last.how = how;
  return next_status;
}

static int32_t m_close(uint32_t h, unsigned kinds) {
  last.calls++;
  last.op = OP_CLOSE;
  last.handle = h;
  last.kinds = kinds;
  return next_status;
}

static int32_t m_drop(uint32_t h, unsigned kinds) {
  last.calls++;
  last.op = OP_DROP;
  last.handle = h;
  last.kinds = kinds;
  return next_status;
}

static unsigned m_kind(uint32_t h) {
  last.kind_calls++;
  assert_true(h >= 1 && h <= X7_SOCK_HANDLES_MAX); /* the core range-checks */
  return kind_of[h];
}

static x7_result m_sendto(uint32_t h, struct x7_view addr,
                          struct x7_view payload,
                          const struct x7_sock_caps *caps,
                          struct x7_bytes *pdoc) {
  last.handle = h;
  keep_addr(addr);
  last.data = payload.ptr;
  last.data_len = payload.len;
  last.caps = *caps;
  return answer(OP_SENDTO, pdoc);
}

static const struct x7_backend_ops mock = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock-sock",
    .caps = X7_BACKEND_CAP_SOCKETS | X7_BACKEND_CAP_TLS_STREAMS |
            X7_BACKEND_CAP_HERMETIC,
    .dns_lookup = m_dns,
    .tcp_connect = m_connect,
    .tls_connect = m_tls,
    .tcp_listen = m_listen,
    .tcp_accept = m_accept,
    .stream_read = m_read,
    .stream_write = m_write,
    .stream_wait = m_wait,
    .stream_shutdown = m_shutdown,
    .sock_close = m_close,
    .sock_drop = m_drop,
    .sock_kind = m_kind,
    .udp_bind = m_bind,
    .udp_sendto = m_sendto,
    .udp_recvfrom = m_recvfrom,
};

/* No socket ops at all: the registry fills the defaults. */
static const struct x7_backend_ops nosock = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock-nosock",
    .caps = X7_BACKEND_CAP_HERMETIC,
};

static int setup(void **state) {
  (void)state;
  x7__backend_reset_for_tests();
  assert_x7_ok(x7_backend_register(&mock));
  assert_x7_ok(x7_backend_register(&nosock));
  assert_x7_ok(x7_backend_select("mock-sock"));
  memset(&last, 0, sizeof last);
  memset(kind_of, 0, sizeof kind_of);
  next_result = X7_OK;
  next_empty = 0;
  next_status = 1;
  return 0;
}

/* ---- fixtures ---- */

#define ERR2 "000200000000000000"
#define ERR4 "000400000000000000"
#define ERR8 "000800000000000000"

static const struct x7_view none = {NULL, 0};

static struct x7_bytes ipv4(int port) {
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, port, &a));
  return a;
}

static struct x7_bytes ipv6(int port) {
  static const uint8_t lo[16] = {[15] = 1};
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(lo, 16), port, &a));
  return a;
}

static struct x7_bytes dns(const char *name, int port) {
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str(name), port, &a));
  return a;
}

static struct x7_bytes caps4(int32_t ct, int32_t io, int32_t rd, int32_t wr) {
  struct x7_bytes c = {0};
  assert_x7_ok(x7_net_codec_caps_v1(ct, io, rd, wr, &c));
  return c;
}

/* A caps doc with raw u32 fields (values the codec would clamp). */
static void raw_caps(uint8_t c[24], uint32_t ver, uint32_t ct, uint32_t io,
                     uint32_t rd, uint32_t wr) {
  x7__wr32(c, ver);
  x7__wr32(c + 4, ct);
  x7__wr32(c + 8, io);
  x7__wr32(c + 12, rd);
  x7__wr32(c + 16, wr);
  x7__wr32(c + 20, 0);
}

static void assert_caps(uint32_t ct, uint32_t io, uint32_t rd, uint32_t wr) {
  assert_int_equal(last.caps.connect_timeout_ms, ct);
  assert_int_equal(last.caps.io_timeout_ms, io);
  assert_int_equal(last.caps.max_read_bytes, rd);
  assert_int_equal(last.caps.max_write_bytes, wr);
}

static void assert_defaults(void) {
  assert_caps(30000, 30000, 1048576, 1048576);
}

/* ---- caps (§2.3 shim rules, E5) ---- */

static void caps_should_follow_shim_rules(void **state) {
  struct x7_bytes a = ipv4(30000), d = {0}, c = {0};
  uint8_t raw[25];
  (void)state;
  /* E5: 25 bytes, ver 2, connect timeout 600001 */
  raw_caps(raw, 1, 0, 0, 0, 0);
  raw[24] = 0;
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), x7_view_of(raw, 25),
                                     &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  raw_caps(raw, 2, 0, 0, 0, 0);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), x7_view_of(raw, 24),
                                     &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  c = caps4(600001, 0, 0, 0);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), x7_bytes_view(&c),
                                     &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&c);
  assert_int_equal(last.calls, 0);

  /* A 28-byte HttpCapsV1 in the wrong place is refused (not 24). */
  {
    uint8_t http_caps[28] = {1};
    assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a),
                                       x7_view_of(http_caps, 28), &d));
    assert_bytes_hex(d, ERR2);
    x7_bytes_free(&d);
  }
  assert_int_equal(last.calls, 0);
  /* Shorter than 24 bytes (empty too) means all defaults. */
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), x7_view_of(raw, 23),
                                     &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_defaults();
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_defaults();
  x7_bytes_free(&d);

  /* Zero fields default; maxima are inclusive; the reserved word is not
   * checked. */
  raw_caps(raw, 1, 600000, 0, 67108864, 7);
  x7__wr32(raw + 20, 0xffffffffu);
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), x7_view_of(raw, 24),
                                     &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_caps(600000, 30000, 67108864, 7);
  x7_bytes_free(&d);
  for (int f = 0; f < 4; f++) {
    uint32_t v[4] = {0, 0, 0, 0};
    v[f] = f < 2 ? 600001u : 67108865u;
    raw_caps(raw, 1, v[0], v[1], v[2], v[3]);
    assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a),
                                       x7_view_of(raw, 24), &d));
    assert_bytes_hex(d, ERR2);
    x7_bytes_free(&d);
    v[f] = 0x80000000u; /* negative as an i32: still above the max */
    raw_caps(raw, 1, v[0], v[1], v[2], v[3]);
    assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a),
                                       x7_view_of(raw, 24), &d));
    assert_bytes_hex(d, ERR2);
    x7_bytes_free(&d);
  }
  x7_bytes_free(&a);
}

/* An independent model of the shim's caps parsing, for the sweeps. */
static int32_t model_caps(struct x7_view c, struct x7_sock_caps *out) {
  const uint32_t def[4] = {30000, 30000, 1048576, 1048576};
  const uint32_t max[4] = {600000, 600000, 67108864, 67108864};
  uint32_t v[4];
  for (int i = 0; i < 4; i++) v[i] = def[i];
  if (c.len >= 24) {
    if (c.len != 24 || x7__rd32(c.ptr) != 1) return 2;
    for (int i = 0; i < 4; i++) {
      uint32_t x = x7__rd32(c.ptr + 4 + 4 * i);
      if (x) v[i] = x;
      if (v[i] > max[i]) return 2;
    }
  }
  out->connect_timeout_ms = v[0];
  out->io_timeout_ms = v[1];
  out->max_read_bytes = v[2];
  out->max_write_bytes = v[3];
  return 0;
}

static void check_caps_case(struct x7_view caps) {
  struct x7_bytes a = ipv4(1), d = {0};
  struct x7_sock_caps want;
  int32_t code = model_caps(caps, &want);
  int calls = last.calls;
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), caps, &d));
  if (code) {
    assert_bytes_hex(d, ERR2);
    assert_int_equal(last.calls, calls);
  } else {
    assert_bytes_hex(d, CANNED_HEX);
    assert_int_equal(last.calls, calls + 1);
    assert_caps(want.connect_timeout_ms, want.io_timeout_ms,
                want.max_read_bytes, want.max_write_bytes);
  }
  x7_bytes_free(&d);
  x7_bytes_free(&a);
}

static void caps_probe(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view input) {
  (void)ud, (void)kind, (void)pos;
  check_caps_case(input);
}

static void caps_should_survive_sweeps(void **state) {
  struct x7_bytes c = caps4(1000, 2000, 3000, 4000);
  (void)state;
  x7t_sweep_truncations(c.ptr, c.len, caps_probe, NULL);
  x7t_sweep_corruptions(c.ptr, c.len, caps_probe, NULL);
  x7_bytes_free(&c);
}

static uint32_t interesting(void) {
  static const uint32_t v[] = {0,        1,         30000,     600000,
                               600001,   1048576,   67108864,  67108865,
                               0x7fffffffu, 0x80000000u, 0xffffffffu};
  if (x7t_rand_below(3) == 0) return (uint32_t)x7t_rand();
  return v[x7t_rand_below(sizeof v / sizeof *v)];
}

static void caps_should_match_model_on_random_docs(void **state) {
  uint8_t raw[24];
  (void)state;
  for (int i = 0; i < 5000; i++) {
    raw_caps(raw, x7t_rand_below(8) ? 1 : interesting(), interesting(),
             interesting(), interesting(), interesting());
    check_caps_case(x7_view_of(raw, 24));
  }
}

/* ---- addresses ---- */

/* Model: connect destinations are any valid NetAddrV1, names NUL-free. */
static int dest_ok(struct x7_view a) {
  int32_t tag = 0;
  assert_x7_ok(x7_net_codec_addr_tag_v1(a, &tag));
  if (tag == 3 && memchr(a.ptr + 16, 0, a.len - 16)) return 0;
  return tag != 0;
}

static int local_ok(struct x7_view a) {
  int32_t tag = 0;
  assert_x7_ok(x7_net_codec_addr_tag_v1(a, &tag));
  return tag == 1 || tag == 2;
}

static void addr_probe(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view input) {
  struct x7_bytes d = {0};
  int calls = last.calls;
  (void)ud, (void)kind, (void)pos;
  /* connect */
  assert_x7_ok(x7_net_tcp_connect_v1(input, none, &d));
  if (dest_ok(input)) {
    assert_bytes_hex(d, CANNED_HEX);
    assert_int_equal(last.op, OP_CONNECT);
    assert_int_equal(last.addr_len, input.len);
    assert_memory_equal(last.addr, input.ptr, input.len);
    calls++;
  } else {
    assert_bytes_hex(d, ERR2);
  }
  x7_bytes_free(&d);
  /* listen and bind want an IP */
  assert_x7_ok(x7_net_tcp_listen_v1(input, none, &d));
  assert_bytes_hex(d, local_ok(input) ? CANNED_HEX : ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_bind_v1(input, none, &d));
  assert_bytes_hex(d, local_ok(input) ? CANNED_HEX : ERR2);
  x7_bytes_free(&d);
  calls += 2 * local_ok(input);
  assert_int_equal(last.calls, calls);
}

static void addresses_should_be_validated(void **state) {
  struct x7_bytes a[3] = {ipv4(30000), ipv6(65535), dns("localhost", 80)};
  (void)state;
  for (int i = 0; i < 3; i++) {
    addr_probe(NULL, X7T_TRUNC, 0, x7_bytes_view(&a[i]));
    x7t_sweep_truncations(a[i].ptr, a[i].len, addr_probe, NULL);
    x7t_sweep_corruptions(a[i].ptr, a[i].len, addr_probe, NULL);
    x7_bytes_free(&a[i]);
  }
}

static void listen_should_refuse_names(void **state) {
  struct x7_bytes a = dns("localhost", 80), d = {0};
  (void)state;
  /* E9 */
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_int_equal(last.calls, 0);
  x7_bytes_free(&a);
}

/* ---- DNS (E6) ---- */

static void dns_lookup_should_check_name_and_port(void **state) {
  struct x7_bytes d = {0}, c = caps4(5, 6, 7, 8);
  char big[1026];
  const uint8_t nul[] = {'a', 0, 'b'};
  (void)state;
  /* E6 and the other port bounds */
  const int32_t bad_ports[] = {0, -1, 65536, INT32_MIN};
  for (size_t i = 0; i < sizeof bad_ports / sizeof *bad_ports; i++) {
    assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("localhost"), bad_ports[i],
                                      x7_bytes_view(&c), &d));
    assert_bytes_hex(d, ERR2);
    x7_bytes_free(&d);
  }
  memset(big, 'a', sizeof big);
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_of(big, 1025), 80, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_of(big, 0), 80, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_of(nul, 3), 80, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_int_equal(last.calls, 0);
  /* caps come first: bad caps with a bad port is still 2, good ones go
   * through with their values */
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_of(big, 1024), 65535,
                                    x7_bytes_view(&c), &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_DNS);
  assert_int_equal(last.port, 65535);
  assert_int_equal(last.addr_len, 1024);
  assert_caps(5, 6, 7, 8);
  x7_bytes_free(&d);
  x7_bytes_free(&c);
}

/* ---- TLS config (E1, §2.5) ---- */

static struct x7_bytes tls_cfg(uint32_t vp, const char *sni, uint32_t rsv) {
  struct x7__buf b;
  struct x7_bytes out = {0};
  x7__buf_init(&b);
  x7__buf_u32(&b, 1);
  x7__buf_u32(&b, vp);
  x7__buf_u32(&b, (uint32_t)strlen(sni));
  x7__buf_add(&b, sni, strlen(sni));
  x7__buf_u32(&b, rsv);
  assert_x7_ok(x7__buf_finish(&b, &out));
  return out;
}

static void tls_connect_should_apply_cfg_rules(void **state) {
  struct x7_bytes ip = ipv4(30030), name = dns("example.com", 443), d = {0};
  struct x7_bytes cfg;
  (void)state;
  /* E1: an IP address and the default (verifying) cfg */
  assert_x7_ok(
      x7_net_tls_connect_v1(x7_bytes_view(&ip), none, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  /* an explicit cfg with verify on and no SNI is the same */
  cfg = tls_cfg(1, "", 0);
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&ip), x7_bytes_view(&cfg),
                                     none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&cfg);
  assert_int_equal(last.calls, 0);

  /* verify off on an IP: no SNI, no verification */
  cfg = tls_cfg(0, "", 0);
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&ip), x7_bytes_view(&cfg),
                                     none, &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.verify_peer, 0);
  assert_int_equal(last.sni_len, 0);
  x7_bytes_free(&d);
  x7_bytes_free(&cfg);

  /* explicit SNI on an IP */
  cfg = tls_cfg(1, "localhost", 0);
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&ip), x7_bytes_view(&cfg),
                                     none, &d));
  assert_int_equal(last.verify_peer, 1);
  assert_int_equal(last.sni_len, 9);
  assert_memory_equal(last.sni, "localhost", 9);
  x7_bytes_free(&d);
  x7_bytes_free(&cfg);

  /* a DNS address lends its name */
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&name), none, none, &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.verify_peer, 1);
  assert_int_equal(last.sni_len, 11);
  assert_memory_equal(last.sni, "example.com", 11);
  assert_int_equal(last.addr_len, name.len);
  x7_bytes_free(&d);

  /* malformed cfgs */
  cfg = tls_cfg(2, "x", 0);
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&name),
                                     x7_bytes_view(&cfg), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&cfg);
  cfg = tls_cfg(1, "x", 1);
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&name),
                                     x7_bytes_view(&cfg), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&cfg);
  x7_bytes_free(&ip);
  x7_bytes_free(&name);
}

/* Model of the shim's cfg rules for an IP destination (no fallback). */
static int model_cfg_ip(struct x7_view c, int *vp, struct x7_view *sni) {
  uint32_t n;
  *vp = 1;
  *sni = x7_view_of(NULL, 0);
  if (c.len == 0) return 2; /* verify on, nothing to verify against */
  if (c.len < 16 || x7__rd32(c.ptr) != 1) return 2;
  n = x7__rd32(c.ptr + 8);
  if (x7__rd32(c.ptr + 4) > 1 || n > 1024 || c.len != 16 + (size_t)n ||
      x7__rd32(c.ptr + 12 + n) != 0 || memchr(c.ptr + 12, 0, n))
    return 2;
  *vp = (int)x7__rd32(c.ptr + 4);
  *sni = x7_view_of(c.ptr + 12, n);
  return *vp && n == 0 ? 2 : 0;
}

static void cfg_probe(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view input) {
  struct x7_bytes ip = ipv4(443), d = {0};
  struct x7_view sni;
  int vp, calls = last.calls;
  int code = model_cfg_ip(input, &vp, &sni);
  (void)ud, (void)kind, (void)pos;
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&ip), input, none, &d));
  if (code) {
    assert_bytes_hex(d, ERR2);
    assert_int_equal(last.calls, calls);
  } else {
    assert_bytes_hex(d, CANNED_HEX);
    assert_int_equal(last.verify_peer, vp);
    assert_int_equal(last.sni_len, sni.len);
    if (sni.len) assert_memory_equal(last.sni, sni.ptr, sni.len);
  }
  x7_bytes_free(&d);
  x7_bytes_free(&ip);
}

static void tls_cfg_should_survive_sweeps(void **state) {
  struct x7_bytes cfgs[3] = {tls_cfg(1, "example.com", 0), tls_cfg(0, "", 0),
                             tls_cfg(0, "a", 0)};
  (void)state;
  for (int i = 0; i < 3; i++) {
    cfg_probe(NULL, X7T_TRUNC, 0, x7_bytes_view(&cfgs[i]));
    x7t_sweep_truncations(cfgs[i].ptr, cfgs[i].len, cfg_probe, NULL);
    x7t_sweep_corruptions(cfgs[i].ptr, cfgs[i].len, cfg_probe, NULL);
    x7_bytes_free(&cfgs[i]);
  }
}

/* ---- handles (E7, E8, E10) ---- */

static void read_should_check_handle_then_clamp(void **state) {
  struct x7_bytes d = {0}, c = caps4(0, 0, 100, 0);
  uint8_t bad[24];
  (void)state;
  /* E10 */
  assert_x7_ok(x7_net_tcp_stream_read_v1(0, 10, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_int_equal(last.kind_calls, 0); /* out of range: never asked */
  assert_x7_ok(x7_net_tcp_stream_read_v1(4097, 10, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_read_v1(-5, 10, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  /* free slot, listener, UDP: not streams */
  kind_of[2] = X7_SOCK_LISTENER;
  kind_of[3] = X7_SOCK_UDP;
  for (int32_t h = 1; h <= 3; h++) {
    assert_x7_ok(x7_net_tcp_stream_read_v1(h, 10, none, &d));
    assert_bytes_hex(d, ERR2);
    x7_bytes_free(&d);
  }
  assert_int_equal(last.calls, 0);
  /* TCP and TLS streams go through, max_bytes clamped */
  kind_of[4] = X7_SOCK_TCP;
  kind_of[4096] = X7_SOCK_TLS;
  assert_x7_ok(x7_net_tcp_stream_read_v1(4, 10, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_READ);
  assert_int_equal(last.handle, 4);
  assert_int_equal(last.max_bytes, 10);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_read_v1(4096, 1000, x7_bytes_view(&c), &d));
  assert_int_equal(last.handle, 4096);
  assert_int_equal(last.max_bytes, 100);
  x7_bytes_free(&d);
  /* a negative max_bytes was a huge u32 in the shim: clamped too */
  assert_x7_ok(x7_net_tcp_stream_read_v1(4, -1, x7_bytes_view(&c), &d));
  assert_int_equal(last.max_bytes, 100);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_read_v1(4, 0, none, &d));
  assert_int_equal(last.max_bytes, 0);
  assert_defaults();
  x7_bytes_free(&d);
  /* a valid handle with bad caps */
  raw_caps(bad, 3, 0, 0, 0, 0);
  assert_x7_ok(x7_net_tcp_stream_read_v1(4, 10, x7_view_of(bad, 24), &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  x7_bytes_free(&c);
}

static void write_should_check_handle_before_size(void **state) {
  struct x7_bytes d = {0}, c = caps4(0, 0, 0, 4);
  const uint8_t data[5] = "hello";
  (void)state;
  /* bad handle and too much data: the handle wins (2) */
  assert_x7_ok(x7_net_tcp_stream_write_v1(7, x7_view_of(data, 5),
                                          x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  kind_of[7] = X7_SOCK_TCP;
  assert_x7_ok(x7_net_tcp_stream_write_v1(7, x7_view_of(data, 5),
                                          x7_bytes_view(&c), &d));
  assert_bytes_hex(d, ERR4);
  x7_bytes_free(&d);
  assert_int_equal(last.calls, 0);
  /* exactly max_write_bytes goes through, whole */
  assert_x7_ok(x7_net_tcp_stream_write_v1(7, x7_view_of(data, 4),
                                          x7_bytes_view(&c), &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_WRITE);
  assert_ptr_equal(last.data, data);
  assert_int_equal(last.data_len, 4);
  x7_bytes_free(&d);
  /* default limit is 1 MiB */
  {
    uint8_t *big = calloc(1048577, 1);
    assert_non_null(big);
    assert_x7_ok(x7_net_tcp_stream_write_v1(7, x7_view_of(big, 1048577),
                                            none, &d));
    assert_bytes_hex(d, ERR4);
    x7_bytes_free(&d);
    assert_x7_ok(x7_net_tcp_stream_write_v1(7, x7_view_of(big, 1048576),
                                            none, &d));
    assert_bytes_hex(d, CANNED_HEX);
    x7_bytes_free(&d);
    free(big);
  }
  /* empty data reaches the backend (it still waits, as the shim did) */
  assert_x7_ok(x7_net_tcp_stream_write_v1(7, none, none, &d));
  assert_int_equal(last.data_len, 0);
  x7_bytes_free(&d);
  x7_bytes_free(&c);
}

static void sendto_should_check_size_before_handle(void **state) {
  struct x7_bytes d = {0}, a = ipv4(30001), n = dns("localhost", 53);
  uint8_t *big = calloc(1048577, 1);
  uint8_t bad[24];
  (void)state;
  assert_non_null(big);
  /* E8 */
  assert_x7_ok(x7_net_udp_sendto_v1(0, x7_bytes_view(&a),
                                    x7_view_of(big, 1048577), none, &d));
  assert_bytes_hex(d, ERR4);
  x7_bytes_free(&d);
  /* caps come before the size */
  raw_caps(bad, 1, 0, 0, 0, 0x90000000u);
  assert_x7_ok(x7_net_udp_sendto_v1(0, x7_bytes_view(&a),
                                    x7_view_of(big, 1048577),
                                    x7_view_of(bad, 24), &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  /* then the handle (UDP only), then the address */
  assert_x7_ok(x7_net_udp_sendto_v1(0, x7_bytes_view(&a), x7_view_of(big, 9),
                                    none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  kind_of[1] = X7_SOCK_TCP;
  assert_x7_ok(x7_net_udp_sendto_v1(1, x7_bytes_view(&a), x7_view_of(big, 9),
                                    none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  kind_of[2] = X7_SOCK_UDP;
  assert_x7_ok(x7_net_udp_sendto_v1(2, x7_view_of(a.ptr, 15),
                                    x7_view_of(big, 9), none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_int_equal(last.calls, 0);
  assert_x7_ok(x7_net_udp_sendto_v1(2, x7_bytes_view(&n), x7_view_of(big, 9),
                                    none, &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_SENDTO);
  assert_int_equal(last.handle, 2);
  assert_int_equal(last.data_len, 9);
  assert_int_equal(last.addr_len, n.len);
  x7_bytes_free(&d);
  free(big);
  x7_bytes_free(&a);
  x7_bytes_free(&n);
}

static void recvfrom_should_clamp_to_max_read(void **state) {
  struct x7_bytes d = {0}, c = caps4(0, 0, 64, 0);
  (void)state;
  assert_x7_ok(x7_net_udp_recvfrom_v1(1, 10, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  kind_of[1] = X7_SOCK_UDP;
  kind_of[2] = X7_SOCK_TCP;
  assert_x7_ok(x7_net_udp_recvfrom_v1(2, 10, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(1, 65536, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_RECVFROM);
  assert_int_equal(last.max_bytes, 64);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(1, INT32_MIN, x7_bytes_view(&c), &d));
  assert_int_equal(last.max_bytes, 64);
  x7_bytes_free(&d);
  x7_bytes_free(&c);
}

static void accept_should_need_a_listener(void **state) {
  struct x7_bytes d = {0}, c = caps4(0, 77, 0, 0);
  (void)state;
  kind_of[1] = X7_SOCK_TCP;
  kind_of[2] = X7_SOCK_LISTENER;
  assert_x7_ok(x7_net_tcp_accept_v1(1, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_accept_v1(0, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_accept_v1(2, x7_bytes_view(&c), &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_ACCEPT);
  assert_int_equal(last.handle, 2);
  assert_caps(30000, 77, 1048576, 1048576);
  x7_bytes_free(&d);
  x7_bytes_free(&c);
}

static void wait_should_check_timeout_first(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  kind_of[3] = X7_SOCK_TLS;
  /* E7, even on a good handle, and before the handle is looked at */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(3, 1, -1, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(0, 1, INT32_MIN, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_int_equal(last.kind_calls, 0);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(9, 1, 0, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  /* only bits 1 and 2 are passed on */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(3, -1, INT32_MAX, &d));
  assert_bytes_hex(d, CANNED_HEX);
  assert_int_equal(last.op, OP_WAIT);
  assert_int_equal(last.events, 3);
  assert_int_equal(last.timeout_ms, INT32_MAX);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(3, 4, 0, &d));
  assert_int_equal(last.events, 0);
  x7_bytes_free(&d);
}

static void status_functions_should_route_by_kind(void **state) {
  int32_t v = -1;
  (void)state;
  kind_of[1] = X7_SOCK_TCP;
  kind_of[2] = X7_SOCK_TLS;
  /* shutdown: TCP only, how 0..2 */
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(1, 2, &v));
  assert_int_equal(v, 1);
  assert_int_equal(last.op, OP_SHUTDOWN);
  assert_int_equal(last.how, 2);
  last.calls = 0;
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(2, 1, &v));
  assert_int_equal(v, 0); /* TLS */
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(1, 3, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(1, -1, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(0, 0, &v));
  assert_int_equal(v, 0);
  assert_int_equal(last.calls, 0);
  next_status = 0;
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(1, 0, &v));
  assert_int_equal(v, 0);
  next_status = 1;

  /* close / drop: the kind mask of each family */
  struct {
    x7_result (*fn)(int32_t, int32_t *);
    enum op_id op;
    unsigned kinds;
  } cases[] = {
      {x7_net_tcp_stream_close_v1, OP_CLOSE, X7_SOCK_STREAM},
      {x7_net_tcp_stream_drop_v1, OP_DROP, X7_SOCK_STREAM},
      {x7_net_tcp_listener_close_v1, OP_CLOSE, X7_SOCK_LISTENER},
      {x7_net_tcp_listener_drop_v1, OP_DROP, X7_SOCK_LISTENER},
      {x7_net_udp_close_v1, OP_CLOSE, X7_SOCK_UDP},
      {x7_net_udp_drop_v1, OP_DROP, X7_SOCK_UDP},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    last.calls = 0;
    v = -1;
    assert_x7_ok(cases[i].fn(0, &v));
    assert_int_equal(v, 0);
    assert_x7_ok(cases[i].fn(4097, &v));
    assert_int_equal(v, 0);
    assert_int_equal(last.calls, 0);
    assert_x7_ok(cases[i].fn(4096, &v));
    assert_int_equal(v, 1);
    assert_int_equal(last.op, cases[i].op);
    assert_int_equal(last.handle, 4096);
    assert_int_equal(last.kinds, cases[i].kinds);
    next_status = 0;
    assert_x7_ok(cases[i].fn(5, &v));
    assert_int_equal(v, 0);
    next_status = 1;
    assert_x7_result(X7_EINVAL, cases[i].fn(1, NULL));
  }
}

/* ---- what comes back from the backend ---- */

static void backend_failures_should_pass_through(void **state) {
  struct x7_bytes a = ipv4(1), d = {0};
  (void)state;
  next_result = X7_ENOMEM;
  d.ptr = (uint8_t *)1;
  assert_x7_result(X7_ENOMEM,
                   x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_null(d.ptr);
  assert_int_equal(d.len, 0);
  next_result = X7_OK;
  /* X7_OK with no doc is a broken backend: INTERNAL(8), as the x07
   * wrappers answered a shim that produced no buffer. */
  next_empty = 1;
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_bytes_hex(d, ERR8);
  x7_bytes_free(&d);
  x7_bytes_free(&a);
}

static void backend_without_sockets_should_not_pretend(void **state) {
  struct x7_bytes a = ipv4(1), d = {0};
  int32_t v = -1;
  (void)state;
  x7__backend_reset_for_tests();
  assert_x7_ok(x7_backend_register(&nosock));
  assert_x7_ok(x7_backend_select("mock-nosock"));
  assert_x7_result(X7_ENOTSUPPORTED,
                   x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_null(d.ptr);
  assert_x7_result(X7_ENOTSUPPORTED,
                   x7_net_dns_lookup_v1(x7_view_str("x"), 1, none, &d));
  assert_x7_result(X7_ENOTSUPPORTED,
                   x7_net_udp_bind_v1(x7_bytes_view(&a), none, &d));
  assert_x7_result(X7_ENOTSUPPORTED,
                   x7_net_tcp_listen_v1(x7_bytes_view(&a), none, &d));
  {
    struct x7_bytes cfg = tls_cfg(0, "", 0);
    assert_x7_result(X7_ENOTSUPPORTED,
                     x7_net_tls_connect_v1(x7_bytes_view(&a),
                                           x7_bytes_view(&cfg), none, &d));
    x7_bytes_free(&cfg);
  }
  /* Validation still answers first. */
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("x"), 0, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  /* No handle can exist. */
  assert_x7_ok(x7_net_tcp_stream_read_v1(1, 1, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_udp_recvfrom_v1(1, 1, none, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_tcp_stream_close_v1(1, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(1, 0, &v));
  assert_int_equal(v, 0);
  x7_bytes_free(&a);
}

static void missing_backend_should_be_a_library_failure(void **state) {
  struct x7_bytes a = ipv4(1), d = {0};
  int32_t v = -1;
  (void)state;
  x7__backend_reset_for_tests();
  assert_x7_ok(x7_backend_register(&mock));
  setenv("X07_NET_BACKEND", "no-such-backend", 1);
  assert_x7_result(X7_ENOTFOUND,
                   x7_net_tcp_connect_v1(x7_bytes_view(&a), none, &d));
  assert_null(d.ptr);
  assert_x7_result(X7_ENOTFOUND, x7_net_tcp_stream_close_v1(1, &v));
  assert_int_equal(v, 0);
  /* Invalid arguments are still answered without a backend. */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(1, 1, -1, &d));
  assert_bytes_hex(d, ERR2);
  x7_bytes_free(&d);
  unsetenv("X07_NET_BACKEND");
  x7_bytes_free(&a);
}

/* ---- library-level argument checks ---- */

static void null_outputs_should_be_einval(void **state) {
  struct x7_bytes a = ipv4(1);
  struct x7_view av = x7_bytes_view(&a), bad = {NULL, 3};
  struct x7_bytes d = {0};
  int32_t v;
  (void)state;
  kind_of[1] = X7_SOCK_TCP;
  kind_of[2] = X7_SOCK_UDP;
  assert_x7_result(X7_EINVAL, x7_net_dns_lookup_v1(av, 1, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tcp_connect_v1(av, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tcp_listen_v1(av, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tcp_accept_v1(1, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tcp_stream_read_v1(1, 1, none, NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_tcp_stream_write_v1(1, none, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tcp_stream_wait_v1(1, 1, 0, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tcp_stream_shutdown_v1(1, 0, NULL));
  assert_x7_result(X7_EINVAL, x7_net_tls_connect_v1(av, none, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_udp_bind_v1(av, none, NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_udp_sendto_v1(2, av, none, none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_udp_recvfrom_v1(2, 1, none, NULL));
  /* a view with ptr NULL and len > 0, in every position */
  assert_x7_result(X7_EINVAL, x7_net_dns_lookup_v1(bad, 1, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_dns_lookup_v1(av, 1, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_connect_v1(bad, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_connect_v1(av, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_listen_v1(bad, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_listen_v1(av, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_accept_v1(1, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_stream_read_v1(1, 1, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_stream_write_v1(1, bad, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_tcp_stream_write_v1(1, none, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_tls_connect_v1(bad, none, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_tls_connect_v1(av, bad, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_tls_connect_v1(av, none, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_udp_bind_v1(bad, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_udp_bind_v1(av, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_udp_sendto_v1(2, bad, none, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_udp_sendto_v1(2, av, bad, none, &d));
  assert_x7_result(X7_EINVAL, x7_net_udp_sendto_v1(2, av, none, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_udp_recvfrom_v1(2, 1, bad, &d));
  assert_null(d.ptr);
  assert_int_equal(last.calls, 0);
  (void)v;
  x7_bytes_free(&a);
}

/* Every allocation of a twin call fails in turn: the result is X7_ENOMEM
 * with nothing leaked, or (allocation not on the path) the normal doc. */
static void run_failalloc(x7_result (*call)(struct x7_bytes *),
                          const char *want_hex) {
  for (long i = 1;; i++) {
    struct x7_bytes d = {0};
    x7_result r;
    x7t_failalloc_install(i);
    r = call(&d);
    x7t_failalloc_remove();
    if (r == X7_OK) {
      assert_bytes_hex(d, want_hex);
      x7_bytes_free(&d);
      if (i > 1) break; /* the first index past the last allocation */
      continue;
    }
    assert_x7_result(X7_ENOMEM, r);
    assert_null(d.ptr);
    assert_int_equal(x7t_failalloc_live(), 0);
    assert_true(i < 10);
  }
}

static x7_result call_bad_port(struct x7_bytes *d) {
  return x7_net_dns_lookup_v1(x7_view_str("localhost"), 0, none, d);
}

static x7_result call_connect(struct x7_bytes *d) {
  static const uint8_t a[16] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 127, 0,
                                0, 1};
  return x7_net_tcp_connect_v1(x7_view_of(a, 16), none, d);
}

static x7_result call_read_bad_handle(struct x7_bytes *d) {
  return x7_net_tcp_stream_read_v1(0, 1, none, d);
}

static void allocation_failures_should_be_enomem(void **state) {
  (void)state;
  run_failalloc(call_bad_port, ERR2);
  run_failalloc(call_connect, CANNED_HEX);
  run_failalloc(call_read_bad_handle, ERR2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(caps_should_follow_shim_rules, setup),
      cmocka_unit_test_setup(caps_should_survive_sweeps, setup),
      cmocka_unit_test_setup(caps_should_match_model_on_random_docs, setup),
      cmocka_unit_test_setup(addresses_should_be_validated, setup),
      cmocka_unit_test_setup(listen_should_refuse_names, setup),
      cmocka_unit_test_setup(dns_lookup_should_check_name_and_port, setup),
      cmocka_unit_test_setup(tls_connect_should_apply_cfg_rules, setup),
      cmocka_unit_test_setup(tls_cfg_should_survive_sweeps, setup),
      cmocka_unit_test_setup(read_should_check_handle_then_clamp, setup),
      cmocka_unit_test_setup(write_should_check_handle_before_size, setup),
      cmocka_unit_test_setup(sendto_should_check_size_before_handle, setup),
      cmocka_unit_test_setup(recvfrom_should_clamp_to_max_read, setup),
      cmocka_unit_test_setup(accept_should_need_a_listener, setup),
      cmocka_unit_test_setup(wait_should_check_timeout_first, setup),
      cmocka_unit_test_setup(status_functions_should_route_by_kind, setup),
      cmocka_unit_test_setup(backend_failures_should_pass_through, setup),
      cmocka_unit_test_setup(backend_without_sockets_should_not_pretend,
                             setup),
      cmocka_unit_test_setup(missing_backend_should_be_a_library_failure,
                             setup),
      cmocka_unit_test_setup(null_outputs_should_be_einval, setup),
      cmocka_unit_test_setup(allocation_failures_should_be_enomem, setup),
  };
  return cmocka_run_group_tests_name("net_sock_io", tests, NULL, NULL);
}
