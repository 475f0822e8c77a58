/* test_net_tls.c - std.net.tls cfg helpers and connect-doc accessor (spec
 * §2.5, §3.5, vectors V24-V25, S4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "core_int.h"
#include "x7_test.h"

#define V24 "01000000000000000000000000000000"
#define V25 "01000000010000000b0000006578616d706c652e636f6d00000000"
#define S4 "0101000002000000"

static int32_t verify_of(struct x7_view cfg) {
  int32_t v = -99;
  assert_x7_ok(x7_net_tls_client_cfg_verify_peer_v1(cfg, &v));
  return v;
}

static int32_t handle_of(struct x7_view doc) {
  int32_t v = -99;
  assert_x7_ok(x7_net_tls_connect_stream_handle_v1(doc, &v));
  return v;
}

static void client_cfg_should_match_vectors(void **state) {
  struct x7_bytes c = {0};
  (void)state;
  assert_x7_ok(x7_net_tls_client_cfg_v1(0, x7_view_of(NULL, 0), &c));
  assert_bytes_hex(c, V24);
  x7_bytes_free(&c);
  assert_x7_ok(x7_net_tls_client_cfg_v1(1, x7_view_str("example.com"), &c));
  assert_bytes_hex(c, V25);
  x7_bytes_free(&c);
  /* verify_peer is normalised: any non-zero value is 1. */
  assert_x7_ok(x7_net_tls_client_cfg_v1(INT32_MIN, x7_view_str("h"), &c));
  assert_bytes_hex(c, "0100000001000000010000006800000000");
  x7_bytes_free(&c);
  assert_x7_ok(x7_net_tls_client_cfg_v1(7, x7_view_of(NULL, 0), &c));
  assert_bytes_hex(c, "01000000010000000000000000000000");
  x7_bytes_free(&c);
}

static void client_cfg_should_be_empty_for_a_bad_sni(void **state) {
  struct x7_bytes c = {0};
  uint8_t sni[1025];
  (void)state;
  memset(sni, 'a', sizeof sni);
  assert_x7_ok(x7_net_tls_client_cfg_v1(1, x7_view_of(sni, 1024), &c));
  assert_int_equal(c.len, 16 + 1024);
  x7_bytes_free(&c);
  /* Upstream returns EMPTY bytes, i.e. the defaults, not an error. */
  assert_x7_ok(x7_net_tls_client_cfg_v1(0, x7_view_of(sni, 1025), &c));
  assert_null(c.ptr);
  assert_int_equal(c.len, 0);
  assert_x7_ok(x7_net_tls_client_cfg_v1(0, x7_view_of("a\0b", 3), &c));
  assert_int_equal(c.len, 0);
  assert_x7_ok(x7_net_tls_client_cfg_v1(0, x7_view_of("\0", 1), &c));
  assert_int_equal(c.len, 0);
  /* A huge length is refused before the bytes are looked at. */
  assert_x7_ok(x7_net_tls_client_cfg_v1(0, x7_view_of(sni, SIZE_MAX), &c));
  assert_int_equal(c.len, 0);
}

static void accessors_should_read_vectors(void **state) {
  size_t n;
  uint8_t *d;
  struct x7_bytes s = {0};
  (void)state;
  d = x7t_unhex(V24, &n);
  assert_int_equal(verify_of(x7_view_of(d, n)), 0);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &s));
  assert_int_equal(s.len, 0);
  assert_int_equal(handle_of(x7_view_of(d, n)), 0);
  free(d);
  d = x7t_unhex(V25, &n);
  assert_int_equal(verify_of(x7_view_of(d, n)), 1);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &s));
  assert_bytes_str(s, "example.com");
  x7_bytes_free(&s);
  assert_int_equal(handle_of(x7_view_of(d, n)), 0);
  free(d);
  /* Empty cfg = defaults: verify on, no explicit SNI. */
  assert_int_equal(verify_of(x7_view_of(NULL, 0)), 1);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(NULL, 0), &s));
  assert_int_equal(s.len, 0);
  /* The connect accessor is the TCP one. */
  d = x7t_unhex(S4, &n);
  assert_int_equal(handle_of(x7_view_of(d, n)), 2);
  {
    int32_t tcp = -1;
    assert_x7_ok(x7_net_tcp_connect_stream_handle_v1(x7_view_of(d, n), &tcp));
    assert_int_equal(tcp, 2);
  }
  free(d);
}

/* The decision documented in net_tls.h: the accessors check structure
 * (ver, sni_len range, exact length) only, like upstream's x07 code. */
static void accessors_should_check_structure_only(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V25, &n), *t;
  struct x7_bytes s = {0};
  (void)state;
  /* Non-zero reserved word: SNI still readable. */
  x7__wr32(d + 23, 0xffffffffu);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &s));
  assert_bytes_str(s, "example.com");
  x7_bytes_free(&s);
  x7__wr32(d + 23, 0);
  /* verify_peer 2 (the backend refuses it): read as 1, SNI readable. */
  x7__wr32(d + 4, 2);
  assert_int_equal(verify_of(x7_view_of(d, n)), 1);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &s));
  assert_bytes_str(s, "example.com");
  x7_bytes_free(&s);
  x7__wr32(d + 4, 0x80000000u);
  assert_int_equal(verify_of(x7_view_of(d, n)), 1);
  x7__wr32(d + 4, 0);
  /* A NUL inside the SNI is returned as stored. */
  d[12 + 7] = 0;
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &s));
  assert_int_equal(s.len, 11);
  assert_memory_equal(s.ptr, "example\0com", 11);
  x7_bytes_free(&s);
  /* A trailing byte breaks the exact length (SNI empty) but not
   * verify_peer, which does not check the length. */
  t = malloc(n + 1);
  memcpy(t, d, n);
  t[n] = 0;
  assert_int_equal(verify_of(x7_view_of(t, n + 1)), 0);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(t, n + 1), &s));
  assert_int_equal(s.len, 0);
  free(t);
  /* ver 2: defaults. */
  x7__wr32(d, 2);
  assert_int_equal(verify_of(x7_view_of(d, n)), 1);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &s));
  assert_int_equal(s.len, 0);
  free(d);
  /* sni_len above 1024 (with a matching length) or >= 2^31: empty. */
  {
    uint8_t raw[16 + 1025] = {0};
    x7__wr32(raw, 1);
    x7__wr32(raw + 8, 1025);
    memset(raw + 12, 'a', 1025);
    assert_x7_ok(
        x7_net_tls_client_cfg_sni_v1(x7_view_of(raw, sizeof raw), &s));
    assert_int_equal(s.len, 0);
    x7__wr32(raw + 8, 0xfffffff0u); /* 16 + this wraps to 0 */
    assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(raw, 16), &s));
    assert_int_equal(s.len, 0);
    assert_int_equal(verify_of(x7_view_of(raw, 15)), 1);
  }
}

struct sweep_ctx {
  struct x7_view orig;
  int32_t verify;
  size_t sni_len;
};

static void probe_cfg(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  const struct sweep_ctx *c = ud;
  const size_t sni_end = 12 + c->sni_len;
  int32_t want_verify = c->verify;
  struct x7_bytes s = {0};

  if (kind == X7T_TRUNC && pos < 16) want_verify = 1;
  if (kind == X7T_CORRUPT && pos < 4) want_verify = 1;
  if (kind == X7T_CORRUPT && pos >= 4 && pos < 8)
    want_verify = x7__rd32(in.ptr + 4) != 0;
  assert_int_equal(verify_of(in), want_verify);

  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(in, &s));
  if (kind == X7T_TRUNC || pos < 4 || (pos >= 8 && pos < 12)) {
    assert_int_equal(s.len, 0);
  } else if (pos >= 12 && pos < sni_end) {
    assert_int_equal(s.len, c->sni_len);
    assert_memory_equal(s.ptr, in.ptr + 12, c->sni_len);
  } else {
    /* verify_peer and the reserved word are not checked. */
    assert_int_equal(s.len, c->sni_len);
    if (c->sni_len) assert_memory_equal(s.ptr, c->orig.ptr + 12, c->sni_len);
  }
  x7_bytes_free(&s);

  /* A cfg is not a connect doc (byte 1 is 0) unless byte 1 becomes 1. */
  if (kind == X7T_CORRUPT && pos == 1 && in.ptr[1] == 1)
    assert_int_equal(handle_of(in), x7__rdi32(in.ptr + 4));
  else
    assert_int_equal(handle_of(in), 0);
}

static void probe_connect(void *ud, enum x7t_mutation kind, size_t pos,
                          struct x7_view in) {
  int32_t want = 2;
  (void)ud;
  if (kind == X7T_TRUNC && pos < 8) want = 0;
  if (kind == X7T_CORRUPT && pos < 2) want = 0;
  if (kind == X7T_CORRUPT && pos >= 4) want = x7__rdi32(in.ptr + 4);
  assert_int_equal(handle_of(in), want);
}

static void accessors_should_survive_sweeps(void **state) {
  static const struct {
    const char *hex;
    int32_t verify;
    size_t sni_len;
  } vec[] = {{V24, 0, 0}, {V25, 1, 11}};
  size_t n;
  uint8_t *d;
  (void)state;
  for (size_t v = 0; v < 2; v++) {
    struct sweep_ctx c;
    d = x7t_unhex(vec[v].hex, &n);
    c.orig = x7_view_of(d, n);
    c.verify = vec[v].verify;
    c.sni_len = vec[v].sni_len;
    x7t_sweep_truncations(d, n, probe_cfg, &c);
    x7t_sweep_corruptions(d, n, probe_cfg, &c);
    free(d);
  }
  d = x7t_unhex(S4, &n);
  x7t_sweep_truncations(d, n, probe_connect, NULL);
  x7t_sweep_corruptions(d, n, probe_connect, NULL);
  free(d);
}

static void client_cfg_should_roundtrip_random_values(void **state) {
  (void)state;
  for (int iter = 0; iter < 5000; iter++) {
    const int32_t vp = (int32_t)(uint32_t)x7t_rand();
    const int mode = (int)x7t_rand_below(8);
    size_t n = (size_t)x7t_rand_below(X7_NET_TLS_SNI_MAX + 1);
    uint8_t *sni;
    struct x7_bytes c = {0}, s = {0};
    if (mode == 0) n = X7_NET_TLS_SNI_MAX + 1 + (size_t)x7t_rand_below(100);
    sni = x7t_rand_bytes(n);
    for (size_t i = 0; i < n; i++)
      if (!sni[i]) sni[i] = 0x2e;
    if (mode == 1 && n) sni[x7t_rand_below(n)] = 0;
    assert_x7_ok(x7_net_tls_client_cfg_v1(vp, x7_view_of(sni, n), &c));
    if (mode <= 1 && (mode == 0 || n)) {
      assert_int_equal(c.len, 0);
    } else {
      assert_int_equal(c.len, 16 + n);
      assert_int_equal(verify_of(x7_bytes_view(&c)), vp != 0);
      assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_bytes_view(&c), &s));
      assert_int_equal(s.len, n);
      if (n) assert_memory_equal(s.ptr, sni, n);
      x7_bytes_free(&s);
    }
    x7_bytes_free(&c);
    free(sni);
  }
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes b = {(uint8_t *)"x", 1};
  int32_t v = 4;
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_net_tls_client_cfg_v1(1, x7_view_str("a"), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_tls_client_cfg_v1(1, x7_view_of(NULL, 2), &b));
  assert_null(b.ptr);
  assert_int_equal(b.len, 0);
  assert_x7_result(X7_EINVAL, x7_net_tls_client_cfg_verify_peer_v1(
                                  x7_view_of(NULL, 16), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_tls_client_cfg_verify_peer_v1(
                                  x7_view_of(NULL, 0), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_tls_client_cfg_sni_v1(x7_view_of(NULL, 16), &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_tls_client_cfg_sni_v1(x7_view_of(NULL, 0), NULL));
  v = 4;
  assert_x7_result(
      X7_EINVAL, x7_net_tls_connect_stream_handle_v1(x7_view_of(NULL, 8), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_tls_connect_stream_handle_v1(
                                  x7_view_of(NULL, 0), NULL));
}

static void twins_should_fail_cleanly_without_memory(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V25, &n);
  struct x7_bytes b = {0};
  (void)state;
  x7t_failalloc_install(1);
  assert_x7_result(
      X7_ENOMEM, x7_net_tls_client_cfg_v1(1, x7_view_str("example.com"), &b));
  assert_null(b.ptr);
  assert_int_equal(b.len, 0);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  x7t_failalloc_install(1);
  assert_x7_result(X7_ENOMEM,
                   x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &b));
  assert_null(b.ptr);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  /* One buffer per result: a second allocation is never attempted. */
  x7t_failalloc_install(2);
  assert_x7_ok(x7_net_tls_client_cfg_v1(1, x7_view_str("example.com"), &b));
  assert_int_equal(x7t_failalloc_calls(), 1);
  assert_bytes_hex(b, V25);
  x7_bytes_free(&b);
  x7t_failalloc_remove();
  x7t_failalloc_install(2);
  assert_x7_ok(x7_net_tls_client_cfg_sni_v1(x7_view_of(d, n), &b));
  assert_int_equal(x7t_failalloc_calls(), 1);
  assert_bytes_str(b, "example.com");
  x7_bytes_free(&b);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(client_cfg_should_match_vectors),
      cmocka_unit_test(client_cfg_should_be_empty_for_a_bad_sni),
      cmocka_unit_test(accessors_should_read_vectors),
      cmocka_unit_test(accessors_should_check_structure_only),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(client_cfg_should_roundtrip_random_values),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(twins_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("net_tls", tests, NULL, NULL);
}
