/* test_net_codec.c - std.net.codec twins: NetAddrV1 and NetCapsV1
 * (spec §2.2, §2.3, §3.2, vectors V3-V9). */
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

#define V3 "010000003075000030750000000010000000100000000000"
#define V4 "0100000060ea000060ea0000000001000000010000000000"
#define V5 "010000000100000001000000000010000000100000000000"
#define V6 "0100000001000000307500007f000001"
#define V7 "0100000002000000bb01000000000000000000000000000000000001"
#define V8 "010000000300000050000000090000006c6f63616c686f7374"

static const uint8_t LOOP6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0, 0, 1};

static void caps_should_match_vectors(void **state) {
  struct x7_bytes c = {0}, p = {0};
  (void)state;
  assert_x7_ok(x7_net_codec_caps_default_v1(&c));
  assert_bytes_hex(c, V3);
  assert_x7_ok(x7_net_codec_caps_poll_from_v1(x7_bytes_view(&c), &p));
  assert_bytes_hex(p, V5);
  x7_bytes_free(&c);
  x7_bytes_free(&p);
  assert_x7_ok(x7_net_codec_caps_v1(60000, 60000, 65536, 65536, &c));
  assert_bytes_hex(c, V4);
  x7_bytes_free(&c);
  /* Negative arguments are clamped to 0. */
  assert_x7_ok(x7_net_codec_caps_v1(-1, 5, INT32_MIN, 7, &c));
  assert_bytes_hex(c, "010000000000000005000000000000000700000000000000");
  x7_bytes_free(&c);
}

static void addr_should_match_vectors(void **state) {
  struct x7_bytes a = {0};
  (void)state;
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 30000, &a));
  assert_bytes_hex(a, V6);
  x7_bytes_free(&a);
  assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(LOOP6, 16), 443, &a));
  assert_bytes_hex(a, V7);
  x7_bytes_free(&a);
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("localhost"), 80, &a));
  assert_bytes_hex(a, V8);
  x7_bytes_free(&a);
}

static void addr_should_be_empty_when_out_of_range(void **state) {
  struct x7_bytes a = {0};
  char big[X7_NET_ADDR_DNS_MAX + 1];
  (void)state;
  /* V9 */
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(256, 0, 0, 1, 80, &a));
  assert_null(a.ptr);
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str(""), 80, &a));
  assert_int_equal(a.len, 0);
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_of("a\0b", 3), 80, &a));
  assert_int_equal(a.len, 0);
  /* Other edges of the same rules. */
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(1, -1, 0, 1, 80, &a));
  assert_int_equal(a.len, 0);
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(1, 2, 3, 4, 65536, &a));
  assert_int_equal(a.len, 0);
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(1, 2, 3, 4, -1, &a));
  assert_int_equal(a.len, 0);
  assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(LOOP6, 15), 80, &a));
  assert_int_equal(a.len, 0);
  memset(big, 'a', sizeof big);
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_of(big, sizeof big), 1, &a));
  assert_int_equal(a.len, 0);
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_of(big, sizeof big - 1), 1, &a));
  assert_int_equal(a.len, 16 + X7_NET_ADDR_DNS_MAX);
  x7_bytes_free(&a);
}

/* Reads every accessor of an address into a flat record for comparison. */
struct addr_seen {
  int32_t tag, port;
  struct x7_bytes v4, v6, name;
};

static void addr_read(struct x7_view in, struct addr_seen *s) {
  assert_x7_ok(x7_net_codec_addr_tag_v1(in, &s->tag));
  assert_x7_ok(x7_net_codec_addr_port_v1(in, &s->port));
  assert_x7_ok(x7_net_codec_addr_ipv4_bytes_v1(in, &s->v4));
  assert_x7_ok(x7_net_codec_addr_ipv6_bytes_v1(in, &s->v6));
  assert_x7_ok(x7_net_codec_addr_dns_name_v1(in, &s->name));
}

static void addr_seen_free(struct addr_seen *s) {
  x7_bytes_free(&s->v4);
  x7_bytes_free(&s->v6);
  x7_bytes_free(&s->name);
}

static void addr_accessors_should_read_vectors(void **state) {
  static const char *const vec[] = {V6, V7, V8};
  (void)state;
  for (int i = 0; i < 3; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(vec[i], &n);
    struct addr_seen s = {0};
    addr_read(x7_view_of(d, n), &s);
    assert_int_equal(s.tag, i + 1);
    assert_int_equal(s.port, i == 0 ? 30000 : i == 1 ? 443 : 80);
    assert_int_equal(s.v4.len, i == 0 ? 4 : 0);
    assert_int_equal(s.v6.len, i == 1 ? 16 : 0);
    if (i == 0) assert_bytes_hex(s.v4, "7f000001");
    if (i == 1) assert_memory_equal(s.v6.ptr, LOOP6, 16);
    if (i == 2) assert_bytes_str(s.name, "localhost");
    else assert_int_equal(s.name.len, 0);
    addr_seen_free(&s);
    free(d);
  }
}

/* Any damaged address must read as "invalid": tag 0, port 0, no parts --
 * unless the change leaves a still-valid document, which the probe
 * recomputes from the layout rules. */
static int addr_still_valid(struct x7_view a) {
  uint32_t tag, port, n;
  if (a.len < 12 || x7__rd32(a.ptr) != 1) return 0;
  tag = x7__rd32(a.ptr + 4);
  port = x7__rd32(a.ptr + 8);
  if (port > 65535) return 0;
  if (tag == 1) return a.len == 16;
  if (tag == 2) return a.len == 28;
  if (tag != 3 || a.len < 16) return 0;
  n = x7__rd32(a.ptr + 12);
  return n >= 1 && n <= 1024 && a.len == 16 + n;
}

static void probe_addr(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view in) {
  struct addr_seen s = {0};
  (void)ud;
  addr_read(in, &s);
  if (kind == X7T_TRUNC || !addr_still_valid(in)) {
    assert_int_equal(s.tag, 0);
    assert_int_equal(s.port, 0);
    assert_int_equal(s.v4.len + s.v6.len + s.name.len, 0);
  } else {
    assert_int_equal(s.tag, (int32_t)x7__rd32(in.ptr + 4));
    assert_int_equal(s.port, (int32_t)x7__rd32(in.ptr + 8));
    /* A changed body byte must come back changed: no caching, no copy
     * from the wrong offset. */
    if (pos >= 16 || (pos >= 12 && s.tag != 3)) {
      struct x7_bytes *part = s.tag == 1 ? &s.v4 : s.tag == 2 ? &s.v6 : &s.name;
      size_t body = s.tag == 3 ? 16 : 12;
      assert_int_equal(part->ptr[pos - body], in.ptr[pos]);
    }
  }
  addr_seen_free(&s);
}

static void addr_accessors_should_survive_sweeps(void **state) {
  static const char *const vec[] = {V6, V7, V8};
  (void)state;
  for (int i = 0; i < 3; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(vec[i], &n);
    x7t_sweep_truncations(d, n, probe_addr, NULL);
    x7t_sweep_corruptions(d, n, probe_addr, NULL);
    free(d);
  }
}

static void addr_should_reject_values_above_2_31(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V6, &n);
  int32_t v;
  (void)state;
  x7__wr32(d + 8, 0x80000050u); /* port that is negative as an i32 */
  assert_x7_ok(x7_net_codec_addr_tag_v1(x7_view_of(d, n), &v));
  assert_int_equal(v, 0);
  free(d);
  d = x7t_unhex(V8, &n);
  x7__wr32(d + 12, 0x80000009u); /* name_len negative as an i32 */
  assert_x7_ok(x7_net_codec_addr_tag_v1(x7_view_of(d, n), &v));
  assert_int_equal(v, 0);
  free(d);
}

static void addr_should_roundtrip_random_values(void **state) {
  (void)state;
  for (int i = 0; i < 6000; i++) {
    int32_t port = (int32_t)x7t_rand_below(65536);
    int kind = (int)x7t_rand_below(3);
    struct x7_bytes a = {0};
    struct addr_seen s = {0};
    uint8_t ip[16];
    uint8_t *name = NULL;
    size_t name_len = 0;
    for (int k = 0; k < 16; k++) ip[k] = (uint8_t)x7t_rand();
    if (kind == 0) {
      assert_x7_ok(x7_net_codec_addr_ipv4_v1(ip[0], ip[1], ip[2], ip[3], port, &a));
    } else if (kind == 1) {
      assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(ip, 16), port, &a));
    } else {
      name_len = 1 + (size_t)x7t_rand_below(X7_NET_ADDR_DNS_MAX);
      name = x7t_rand_bytes(name_len);
      for (size_t k = 0; k < name_len; k++)
        if (!name[k]) name[k] = 'x';
      assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_of(name, name_len), port, &a));
    }
    addr_read(x7_bytes_view(&a), &s);
    assert_int_equal(s.tag, kind + 1);
    assert_int_equal(s.port, port);
    if (kind == 0) assert_memory_equal(s.v4.ptr, ip, 4);
    if (kind == 1) assert_memory_equal(s.v6.ptr, ip, 16);
    if (kind == 2) {
      assert_int_equal(s.name.len, name_len);
      assert_memory_equal(s.name.ptr, name, name_len);
    }
    addr_seen_free(&s);
    x7_bytes_free(&a);
    free(name);
  }
}

typedef x7_result caps_get_fn(struct x7_view, int32_t *);
static caps_get_fn *const caps_getters[4] = {
    x7_net_codec_caps_connect_timeout_ms_v1, x7_net_codec_caps_io_timeout_ms_v1,
    x7_net_codec_caps_max_read_bytes_v1, x7_net_codec_caps_max_write_bytes_v1};
static const int32_t caps_defaults[4] = {30000, 30000, 1048576, 1048576};

static void caps_accessors_should_follow_the_x07_rules(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V4, &n);
  uint8_t longer[30] = {0};
  int32_t v;
  (void)state;
  for (int f = 0; f < 4; f++) {
    assert_x7_ok(caps_getters[f](x7_view_of(d, n), &v));
    assert_int_equal(v, f < 2 ? 60000 : 65536);
    /* Empty / short caps give the defaults. */
    assert_x7_ok(caps_getters[f](x7_view_of(NULL, 0), &v));
    assert_int_equal(v, caps_defaults[f]);
  }
  /* Zero stays zero (unlike the shim, which substitutes defaults). */
  x7__wr32(d + 4, 0);
  assert_x7_ok(x7_net_codec_caps_connect_timeout_ms_v1(x7_view_of(d, n), &v));
  assert_int_equal(v, 0);
  /* A negative field gives the default; longer docs are accepted. */
  x7__wr32(d + 12, 0xffffffffu);
  memcpy(longer, d, n);
  assert_x7_ok(x7_net_codec_caps_max_read_bytes_v1(x7_view_of(longer, 30), &v));
  assert_int_equal(v, 1048576);
  /* ver != 1 gives defaults everywhere. */
  longer[0] = 2;
  assert_x7_ok(x7_net_codec_caps_io_timeout_ms_v1(x7_view_of(longer, 30), &v));
  assert_int_equal(v, 30000);
  free(d);
}

static void probe_caps(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view in) {
  const uint8_t *orig = ud;
  (void)pos;
  for (int f = 0; f < 4; f++) {
    int32_t v, want;
    size_t off = 4 + 4 * (size_t)f;
    assert_x7_ok(caps_getters[f](in, &v));
    if (kind == X7T_TRUNC || x7__rd32(in.ptr) != 1)
      want = caps_defaults[f];
    else if (x7__rd32(in.ptr + off) >= 0x80000000u)
      want = caps_defaults[f];
    else
      want = (int32_t)x7__rd32(in.ptr + off);
    assert_int_equal(v, want);
  }
  if (kind == X7T_CORRUPT && pos >= 20) {
    /* Reserved bytes are not checked: the fields still read the same. */
    int32_t v;
    assert_x7_ok(x7_net_codec_caps_io_timeout_ms_v1(in, &v));
    assert_int_equal(v, (int32_t)x7__rd32(orig + 8));
  }
}

static void caps_accessors_should_survive_sweeps(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V4, &n);
  (void)state;
  x7t_sweep_truncations(d, n, probe_caps, d);
  x7t_sweep_corruptions(d, n, probe_caps, d);
  free(d);
}

static void caps_should_roundtrip_random_values(void **state) {
  (void)state;
  for (int i = 0; i < 6000; i++) {
    int32_t in[4], v;
    struct x7_bytes c = {0};
    for (int f = 0; f < 4; f++) in[f] = (int32_t)(x7t_rand() & 0x7fffffff);
    assert_x7_ok(x7_net_codec_caps_v1(in[0], in[1], in[2], in[3], &c));
    assert_int_equal(c.len, X7_NET_CAPS_LEN);
    for (int f = 0; f < 4; f++) {
      assert_x7_ok(caps_getters[f](x7_bytes_view(&c), &v));
      assert_int_equal(v, in[f]);
    }
    x7_bytes_free(&c);
  }
}

static void twins_should_report_bad_arguments_and_oom(void **state) {
  struct x7_bytes a = {0};
  int32_t v = 9;
  (void)state;
  assert_x7_result(X7_EINVAL, x7_net_codec_addr_ipv4_v1(1, 2, 3, 4, 5, NULL));
  assert_x7_result(X7_EINVAL, x7_net_codec_addr_tag_v1(x7_view_of(NULL, 1), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_codec_addr_dns_v1(x7_view_of(NULL, 2), 1, &a));
  assert_x7_result(X7_EINVAL, x7_net_codec_caps_default_v1(NULL));
  /* Each encoder makes exactly one allocation: failing it must give
   * X7_ENOMEM with empty output and nothing live; the next succeeds. */
  for (long k = 1; k <= 2; k++) {
    x7_result r;
    x7t_failalloc_install(k);
    r = x7_net_codec_addr_dns_v1(x7_view_str("example.com"), 1, &a);
    assert_x7_result(k == 1 ? X7_ENOMEM : X7_OK, r);
    assert_int_equal(a.len, k == 1 ? 0 : 27);
    x7_bytes_free(&a);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_install(k);
    r = x7_net_codec_caps_default_v1(&a);
    assert_x7_result(k == 1 ? X7_ENOMEM : X7_OK, r);
    x7_bytes_free(&a);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(caps_should_match_vectors),
      cmocka_unit_test(addr_should_match_vectors),
      cmocka_unit_test(addr_should_be_empty_when_out_of_range),
      cmocka_unit_test(addr_accessors_should_read_vectors),
      cmocka_unit_test(addr_accessors_should_survive_sweeps),
      cmocka_unit_test(addr_should_reject_values_above_2_31),
      cmocka_unit_test(addr_should_roundtrip_random_values),
      cmocka_unit_test(caps_accessors_should_follow_the_x07_rules),
      cmocka_unit_test(caps_accessors_should_survive_sweeps),
      cmocka_unit_test(caps_should_roundtrip_random_values),
      cmocka_unit_test(twins_should_report_bad_arguments_and_oom),
  };
  return cmocka_run_group_tests_name("net_codec", tests, NULL, NULL);
}
