/* test_net_ws.c - std.net.ws X7WS frame documents (spec §2.14, §6.1,
 * vectors V26-V27). */
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

#define V26 "583757530100000001000000010000000500000068656c6c6f"
#define V27 "5837575301000000080000000000000000000000"

struct ws_seen {
  int32_t valid, opcode, fin;
  struct x7_bytes payload;
};

static void ws_read(struct x7_view f, struct ws_seen *s) {
  s->valid = s->opcode = s->fin = -99;
  assert_x7_ok(x7_net_ws_frame_is_valid_v1(f, &s->valid));
  assert_x7_ok(x7_net_ws_frame_opcode_v1(f, &s->opcode));
  assert_x7_ok(x7_net_ws_frame_fin_v1(f, &s->fin));
  assert_x7_ok(x7_net_ws_frame_payload_v1(f, &s->payload));
}

static void assert_invalid(const struct ws_seen *s) {
  assert_int_equal(s->valid, 0);
  assert_int_equal(s->opcode, -1);
  assert_int_equal(s->fin, -1);
  assert_null(s->payload.ptr);
  assert_int_equal(s->payload.len, 0);
}

static void frame_should_match_vectors(void **state) {
  struct x7_bytes f = {0};
  struct ws_seen s;
  int32_t err = -1;
  (void)state;
  assert_x7_ok(x7_net_ws_frame_v1(1, 1, x7_view_str("hello"), &f, &err));
  assert_int_equal(err, 0);
  assert_bytes_hex(f, V26);
  ws_read(x7_bytes_view(&f), &s);
  assert_int_equal(s.valid, 1);
  assert_int_equal(s.opcode, 1);
  assert_int_equal(s.fin, 1);
  assert_bytes_str(s.payload, "hello");
  x7_bytes_free(&s.payload);
  x7_bytes_free(&f);

  err = -1;
  assert_x7_ok(x7_net_ws_frame_v1(8, 0, x7_view_of(NULL, 0), &f, &err));
  assert_int_equal(err, 0);
  assert_bytes_hex(f, V27);
  ws_read(x7_bytes_view(&f), &s);
  assert_int_equal(s.valid, 1);
  assert_int_equal(s.opcode, 8);
  assert_int_equal(s.fin, 0);
  assert_int_equal(s.payload.len, 0);
  x7_bytes_free(&f);
}

static void
frame_should_refuse_bad_arguments_with_upstream_codes(void **state) {
  struct x7_bytes f = {0};
  int32_t err;
  uint8_t one = 0;
  (void)state;
  static const struct {
    int32_t opcode, fin;
    int32_t want;
  } cases[] = {
      {-1, 0, 8201},        {16, 1, 8201},  {INT32_MIN, 0, 8201},
      {INT32_MAX, 1, 8201}, {16, 5, 8201}, /* opcode is checked first */
      {0, 2, 8202},         {15, -1, 8202}, {3, INT32_MAX, 8202},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    err = 0;
    assert_x7_ok(x7_net_ws_frame_v1(cases[i].opcode, cases[i].fin,
                                    x7_view_str("x"), &f, &err));
    assert_int_equal(err, cases[i].want);
    assert_null(f.ptr);
    assert_int_equal(f.len, 0);
  }
  /* 8203: a payload upstream would see as a negative length; refused
   * before any byte is read. */
  assert_x7_ok(x7_net_ws_frame_v1(
      0, 0, x7_view_of(&one, (size_t)INT32_MAX + 1), &f, &err));
  assert_int_equal(err, X7_NET_WS_ERR_LENGTH);
  assert_int_equal(f.len, 0);
  /* Every opcode 0..15 with both fin values is accepted. */
  for (int32_t op = 0; op <= 15; op++) {
    for (int32_t fin = 0; fin <= 1; fin++) {
      struct ws_seen s;
      assert_x7_ok(x7_net_ws_frame_v1(op, fin, x7_view_of(NULL, 0), &f, &err));
      assert_int_equal(err, 0);
      ws_read(x7_bytes_view(&f), &s);
      assert_int_equal(s.opcode, op);
      assert_int_equal(s.fin, fin);
      x7_bytes_free(&f);
    }
  }
}

static void accessors_should_not_validate_opcode_or_flags(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V26, &n);
  struct ws_seen s;
  (void)state;
  x7__wr32(d + 8, 99);
  x7__wr32(d + 12, 0xfffffffeu);
  ws_read(x7_view_of(d, n), &s);
  assert_int_equal(s.valid, 1);
  assert_int_equal(s.opcode, 99);
  assert_int_equal(s.fin, 0);
  assert_bytes_str(s.payload, "hello");
  x7_bytes_free(&s.payload);
  /* An opcode >= 2^31 comes back negative, as upstream (-1 included). */
  x7__wr32(d + 8, 0xffffffffu);
  x7__wr32(d + 12, 3);
  ws_read(x7_view_of(d, n), &s);
  assert_int_equal(s.valid, 1);
  assert_int_equal(s.opcode, -1);
  assert_int_equal(s.fin, 1);
  x7_bytes_free(&s.payload);
  free(d);
}

static void accessors_should_refuse_malformed_frames(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V26, &n), *t;
  struct ws_seen s;
  (void)state;
  t = malloc(n + 1);
  memcpy(t, d, n);
  t[n] = 'x';
  ws_read(x7_view_of(t, n + 1), &s); /* trailing byte */
  assert_invalid(&s);
  free(t);
  x7__wr32(d + 16, 0x80000005u); /* negative length */
  ws_read(x7_view_of(d, n), &s);
  assert_invalid(&s);
  x7__wr32(d + 16, 0xffffffffu);
  ws_read(x7_view_of(d, 19), &s);
  assert_invalid(&s);
  x7__wr32(d + 16, 5);
  d[0] = 'x'; /* magic is case-sensitive */
  ws_read(x7_view_of(d, n), &s);
  assert_invalid(&s);
  d[0] = 'X';
  x7__wr32(d + 4, 2);
  ws_read(x7_view_of(d, n), &s);
  assert_invalid(&s);
  ws_read(x7_view_of(NULL, 0), &s);
  assert_invalid(&s);
  free(d);
}

struct sweep_ctx {
  struct x7_view orig;
  int32_t opcode, fin;
};

static void probe_ws(void *ud, enum x7t_mutation kind, size_t pos,
                     struct x7_view in) {
  const struct sweep_ctx *c = ud;
  const size_t plen = c->orig.len - 20;
  struct ws_seen s;
  ws_read(in, &s);
  if (kind == X7T_TRUNC || pos < 8 || (pos >= 16 && pos < 20)) {
    /* magic, ver or payload_len damaged, or the doc shortened */
    assert_invalid(&s);
    return;
  }
  assert_int_equal(s.valid, 1);
  assert_int_equal(s.opcode, pos < 12 ? x7__rdi32(in.ptr + 8) : c->opcode);
  assert_int_equal(s.fin, pos >= 12 && pos < 16
                              ? (int32_t)(x7__rd32(in.ptr + 12) & 1)
                              : c->fin);
  assert_int_equal(s.payload.len, plen);
  if (plen) assert_memory_equal(s.payload.ptr, in.ptr + 20, plen);
  if (pos >= 20) assert_int_equal(s.payload.ptr[pos - 20], in.ptr[pos]);
  x7_bytes_free(&s.payload);
}

static void accessors_should_survive_sweeps(void **state) {
  static const struct {
    const char *hex;
    int32_t opcode, fin;
  } vec[] = {{V26, 1, 1}, {V27, 8, 0}};
  (void)state;
  for (size_t v = 0; v < 2; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vec[v].hex, &n);
    struct sweep_ctx c;
    c.orig = x7_view_of(d, n);
    c.opcode = vec[v].opcode;
    c.fin = vec[v].fin;
    x7t_sweep_truncations(d, n, probe_ws, &c);
    x7t_sweep_corruptions(d, n, probe_ws, &c);
    free(d);
  }
}

static void frame_should_roundtrip_random_values(void **state) {
  (void)state;
  for (int iter = 0; iter < 5000; iter++) {
    int32_t op = (int32_t)x7t_rand_below(16), fin = (int32_t)x7t_rand_below(2);
    size_t n = (size_t)x7t_rand_below(iter % 100 == 0 ? 100000 : 600);
    uint8_t *p = x7t_rand_bytes(n);
    struct x7_bytes f = {0};
    struct ws_seen s;
    int32_t err = -1;
    assert_x7_ok(x7_net_ws_frame_v1(op, fin, x7_view_of(p, n), &f, &err));
    assert_int_equal(err, 0);
    assert_int_equal(f.len, 20 + n);
    ws_read(x7_bytes_view(&f), &s);
    assert_int_equal(s.valid, 1);
    assert_int_equal(s.opcode, op);
    assert_int_equal(s.fin, fin);
    assert_int_equal(s.payload.len, n);
    if (n) assert_memory_equal(s.payload.ptr, p, n);
    x7_bytes_free(&s.payload);
    x7_bytes_free(&f);
    free(p);
  }
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes f = {(uint8_t *)"z", 1};
  int32_t err = 77, v = 5;
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_v1(1, 1, x7_view_str("a"), NULL, &err));
  assert_int_equal(err, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_v1(1, 1, x7_view_str("a"), &f, NULL));
  assert_null(f.ptr);
  f.len = 3;
  err = 77;
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_v1(1, 1, x7_view_of(NULL, 1), &f, &err));
  assert_int_equal(f.len, 0);
  assert_int_equal(err, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_is_valid_v1(x7_view_of(NULL, 20), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_is_valid_v1(x7_view_of(NULL, 0), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_opcode_v1(x7_view_of(NULL, 20), &v));
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_opcode_v1(x7_view_of(NULL, 0), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_fin_v1(x7_view_of(NULL, 20), &v));
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_fin_v1(x7_view_of(NULL, 0), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_payload_v1(x7_view_of(NULL, 20), &f));
  assert_x7_result(X7_EINVAL,
                   x7_net_ws_frame_payload_v1(x7_view_of(NULL, 0), NULL));
}

static void twins_should_fail_cleanly_without_memory(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V26, &n);
  struct x7_bytes f = {0};
  int32_t err = -1;
  (void)state;
  x7t_failalloc_install(1);
  assert_x7_result(X7_ENOMEM,
                   x7_net_ws_frame_v1(1, 1, x7_view_str("hello"), &f, &err));
  assert_int_equal(err, 0);
  assert_null(f.ptr);
  assert_int_equal(f.len, 0);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  x7t_failalloc_install(1);
  assert_x7_result(X7_ENOMEM,
                   x7_net_ws_frame_payload_v1(x7_view_of(d, n), &f));
  assert_null(f.ptr);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  x7t_failalloc_install(2);
  assert_x7_ok(x7_net_ws_frame_v1(1, 1, x7_view_str("hello"), &f, &err));
  assert_int_equal(x7t_failalloc_calls(), 1);
  assert_bytes_hex(f, V26);
  x7_bytes_free(&f);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(frame_should_match_vectors),
      cmocka_unit_test(frame_should_refuse_bad_arguments_with_upstream_codes),
      cmocka_unit_test(accessors_should_not_validate_opcode_or_flags),
      cmocka_unit_test(accessors_should_refuse_malformed_frames),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(frame_should_roundtrip_random_values),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(twins_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("net_ws", tests, NULL, NULL);
}
