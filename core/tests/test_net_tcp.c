/* test_net_tcp.c - std.net.tcp doc accessors and constants (spec §2.4,
 * §3.4, vectors S3-S9). */
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

#define S3 "0101000001000000100000000100000001000000307500007f000001"
/* S4's accept_v1: handle 3, peer 127.0.0.1:45678. */
#define ACCEPT "01010000030000001000000001000000010000006eb200007f000001"
#define S4 "0101000002000000"
#define S5 "010100000400000070696e67"
#define S6 "0101000000000000"
#define S7 "0101000004000000"
#define S8 "0101000000000000"
#define S9 "0101000002000000"
#define ADDR_S3 "0100000001000000307500007f000001"
#define ADDR_ACCEPT "01000000010000006eb200007f000001"

typedef x7_result i32_fn(struct x7_view, int32_t *);
typedef x7_result bytes_fn(struct x7_view, struct x7_bytes *);

/* The i32 accessors and the minimum length each needs (§2.4). */
static const struct {
  i32_fn *fn;
  size_t min_len;
} i32_acc[] = {
    {x7_net_tcp_connect_stream_handle_v1, 8},
    {x7_net_tcp_listen_listener_handle_v1, 12},
    {x7_net_tcp_accept_stream_handle_v1, 12},
    {x7_net_tcp_stream_write_bytes_written_v1, 8},
    {x7_net_tcp_stream_wait_events_v1, 8},
};
#define N_I32 (sizeof i32_acc / sizeof i32_acc[0])

/* The bytes accessors and the offset of the length they trust. */
static const struct {
  bytes_fn *fn;
  size_t len_off;
} tail_acc[] = {
    {x7_net_tcp_listen_bound_addr_v1, 8},
    {x7_net_tcp_accept_peer_addr_v1, 8},
    {x7_net_tcp_stream_read_payload_v1, 4},
};
#define N_TAIL (sizeof tail_acc / sizeof tail_acc[0])

/* Expected results on the intact vectors: i32 accessors in i32_acc order,
 * bytes accessors in tail_acc order (NULL = empty).  No accessor checks
 * which doc it reads, so a listen doc has a "stream handle" too. */
static const struct {
  const char *hex;
  int32_t i32[N_I32];
  const char *tail[N_TAIL];
} vectors[] = {
    {S3, {1, 1, 1, 1, 1}, {ADDR_S3, ADDR_S3, NULL}},
    {ACCEPT, {3, 3, 3, 3, 3}, {ADDR_ACCEPT, ADDR_ACCEPT, NULL}},
    {S4, {2, 0, 0, 2, 2}, {NULL, NULL, NULL}},
    {S5, {4, 4, 4, 4, 4}, {NULL, NULL, "70696e67"}},
    {S6, {0, 0, 0, 0, 0}, {NULL, NULL, ""}},
    {S7, {4, 0, 0, 4, 4}, {NULL, NULL, NULL}},
    {S8, {0, 0, 0, 0, 0}, {NULL, NULL, ""}},
    {S9, {2, 0, 0, 2, 2}, {NULL, NULL, NULL}},
};
#define N_VEC (sizeof vectors / sizeof vectors[0])

static void constants_should_match_spec(void **state) {
  x7_result (*const fns[])(int32_t *) = {
      x7_net_tcp_wait_readable_v1,  x7_net_tcp_wait_writable_v1,
      x7_net_tcp_wait_hangup_v1,    x7_net_tcp_shutdown_read_v1,
      x7_net_tcp_shutdown_write_v1, x7_net_tcp_shutdown_both_v1};
  const int32_t want[] = {1, 2, 4, 0, 1, 2};
  (void)state;
  for (size_t i = 0; i < 6; i++) {
    int32_t v = -7;
    assert_x7_ok(fns[i](&v));
    assert_int_equal(v, want[i]);
    assert_x7_result(X7_EINVAL, fns[i](NULL));
  }
}

static void accessors_should_read_vectors(void **state) {
  (void)state;
  for (size_t v = 0; v < N_VEC; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vectors[v].hex, &n);
    for (size_t a = 0; a < N_I32; a++) {
      int32_t got = -99;
      assert_x7_ok(i32_acc[a].fn(x7_view_of(d, n), &got));
      assert_int_equal(got, vectors[v].i32[a]);
    }
    for (size_t a = 0; a < N_TAIL; a++) {
      struct x7_bytes b = {0};
      assert_x7_ok(tail_acc[a].fn(x7_view_of(d, n), &b));
      assert_bytes_hex(b, vectors[v].tail[a] ? vectors[v].tail[a] : "");
      x7_bytes_free(&b);
    }
    free(d);
  }
}

/* §2.4 for the bytes accessors, used where a vector is not the accessor's
 * own kind of doc (a truncation can turn a listen doc into a valid read
 * doc, and that must be read exactly as upstream would). */
static int tail_rule(struct x7_view in, size_t len_off, struct x7_view *out) {
  uint32_t n;
  if (in.len < len_off + 4 || in.ptr[0] != 1 || in.ptr[1] != 1) return 0;
  n = x7__rd32(in.ptr + len_off);
  if (n > INT32_MAX || in.len != len_off + 4 + n) return 0;
  *out = x7_view_of(in.ptr + len_off + 4, n);
  return 1;
}

struct sweep_ctx {
  const uint8_t *orig;
  size_t orig_len;
  size_t v;
};

static void probe_tcp(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  const struct sweep_ctx *c = ud;
  const struct x7_view orig = x7_view_of(c->orig, c->orig_len);

  for (size_t a = 0; a < N_I32; a++) {
    int32_t got = -99, want = vectors[c->v].i32[a];
    const size_t m = i32_acc[a].min_len;
    assert_x7_ok(i32_acc[a].fn(in, &got));
    if (kind == X7T_TRUNC) {
      if (pos < m) want = 0;
    } else if (c->orig_len >= m) {
      if (pos < 2)
        want = 0; /* tag or ver byte no longer 1 */
      else if (pos >= 4 && pos < 8)
        want = x7__rdi32(in.ptr + 4);
    }
    assert_int_equal(got, want);
  }

  for (size_t a = 0; a < N_TAIL; a++) {
    const size_t lo = tail_acc[a].len_off;
    struct x7_bytes got = {0};
    struct x7_view own, want = x7_view_of(NULL, 0);
    assert_x7_ok(tail_acc[a].fn(in, &got));
    if (tail_rule(orig, lo, &own)) {
      /* The vector is this accessor's kind of doc: pin by position. */
      if (kind == X7T_TRUNC || pos < 2 || (pos >= lo && pos < lo + 4)) {
        assert_int_equal(got.len, 0);
      } else if (pos >= lo + 4) {
        assert_int_equal(got.len, own.len);
        assert_memory_equal(got.ptr, in.ptr + lo + 4, own.len);
        assert_int_equal(got.ptr[pos - lo - 4], in.ptr[pos]);
      } else {
        assert_bytes_eq(got, own);
      }
    } else {
      if (tail_rule(in, lo, &want))
        assert_bytes_eq(got, want);
      else
        assert_int_equal(got.len, 0);
    }
    x7_bytes_free(&got);
  }
}

static void accessors_should_survive_sweeps(void **state) {
  (void)state;
  for (size_t v = 0; v < N_VEC; v++) {
    struct sweep_ctx c;
    uint8_t *d = x7t_unhex(vectors[v].hex, &c.orig_len);
    c.orig = d;
    c.v = v;
    x7t_sweep_truncations(d, c.orig_len, probe_tcp, &c);
    x7t_sweep_corruptions(d, c.orig_len, probe_tcp, &c);
    free(d);
  }
}

static void
accessors_should_treat_values_above_2_31_as_upstream(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S3, &n);
  struct x7_bytes b = {0};
  int32_t v;
  (void)state;
  /* A handle >= 2^31 is passed through as upstream's negative i32. */
  x7__wr32(d + 4, 0xfffffffeu);
  assert_x7_ok(x7_net_tcp_listen_listener_handle_v1(x7_view_of(d, n), &v));
  assert_int_equal(v, -2);
  assert_x7_ok(x7_net_tcp_connect_stream_handle_v1(x7_view_of(d, 8), &v));
  assert_int_equal(v, -2);
  /* A length >= 2^31 never matches the total length. */
  x7__wr32(d + 8, 0x80000010u);
  assert_x7_ok(x7_net_tcp_listen_bound_addr_v1(x7_view_of(d, n), &b));
  assert_int_equal(b.len, 0);
  x7__wr32(d + 8, 0xfffffff4u); /* 12 + this wraps to 0 in 32 bits */
  assert_x7_ok(x7_net_tcp_accept_peer_addr_v1(x7_view_of(d, n), &b));
  assert_int_equal(b.len, 0);
  assert_x7_ok(x7_net_tcp_accept_peer_addr_v1(x7_view_of(d, 12), &b));
  assert_int_equal(b.len, 0);
  free(d);
  d = x7t_unhex(S5, &n);
  x7__wr32(d + 4, 0xfffffffcu); /* 8 + this wraps to 4 */
  assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_view_of(d, n), &b));
  assert_int_equal(b.len, 0);
  assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_view_of(d, 4), &b));
  assert_int_equal(b.len, 0);
  free(d);
}

static void accessors_should_ignore_error_docs(void **state) {
  static const char *const docs[] = {"000200000000000000", "00", "",
                                     "0001000000", "02010000ffffffff"};
  (void)state;
  for (size_t i = 0; i < 5; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(docs[i], &n);
    for (size_t a = 0; a < N_I32; a++) {
      int32_t got = -99;
      assert_x7_ok(i32_acc[a].fn(x7_view_of(d, n), &got));
      assert_int_equal(got, 0);
    }
    for (size_t a = 0; a < N_TAIL; a++) {
      struct x7_bytes b = {0};
      assert_x7_ok(tail_acc[a].fn(x7_view_of(d, n), &b));
      assert_null(b.ptr);
      assert_int_equal(b.len, 0);
    }
    free(d);
  }
}

static void accessors_should_reject_bad_arguments(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S5, &n);
  (void)state;
  for (size_t a = 0; a < N_I32; a++) {
    int32_t v = 5;
    assert_x7_result(X7_EINVAL, i32_acc[a].fn(x7_view_of(d, n), NULL));
    assert_x7_result(X7_EINVAL, i32_acc[a].fn(x7_view_of(NULL, 8), &v));
    assert_int_equal(v, 0);
  }
  for (size_t a = 0; a < N_TAIL; a++) {
    struct x7_bytes b = {(uint8_t *)d, 3}; /* stale value, must be reset */
    assert_x7_result(X7_EINVAL, tail_acc[a].fn(x7_view_of(d, n), NULL));
    assert_x7_result(X7_EINVAL, tail_acc[a].fn(x7_view_of(NULL, 12), &b));
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
  }
  free(d);
}

static void accessors_should_fail_cleanly_without_memory(void **state) {
  static const struct {
    const char *hex;
    size_t acc;
  } cases[] = {{S3, 0}, {ACCEPT, 1}, {S5, 2}};
  (void)state;
  for (size_t i = 0; i < 3; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(cases[i].hex, &n);
    struct x7_bytes b = {0};
    x7t_failalloc_install(1);
    assert_x7_result(X7_ENOMEM,
                     tail_acc[cases[i].acc].fn(x7_view_of(d, n), &b));
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    x7t_failalloc_install(2);
    assert_x7_ok(tail_acc[cases[i].acc].fn(x7_view_of(d, n), &b));
    assert_int_equal(x7t_failalloc_calls(), 1);
    x7_bytes_free(&b);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    free(d);
  }
  /* An empty payload allocates nothing, so it cannot fail. */
  {
    size_t n;
    uint8_t *d = x7t_unhex(S6, &n);
    struct x7_bytes b = {0};
    x7t_failalloc_install(1);
    assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_view_of(d, n), &b));
    assert_int_equal(b.len, 0);
    assert_int_equal(x7t_failalloc_calls(), 0);
    x7t_failalloc_remove();
    free(d);
  }
}

/* Random byte strings (mostly with an ok header) must read exactly as the
 * §2.4 rules say, whatever their shape. */
static void accessors_should_follow_rules_on_random_docs(void **state) {
  (void)state;
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = (size_t)x7t_rand_below(48);
    uint8_t *d = x7t_rand_bytes(n);
    struct x7_view in = x7_view_of(d, n);
    if (n >= 2 && x7t_rand_below(8)) d[0] = d[1] = 1;
    if (n >= 12 && x7t_rand_below(2)) {
      /* Make one of the length fields line up with the total length. */
      size_t lo = x7t_rand_below(2) ? 4 : 8;
      x7__wr32(d + lo, (uint32_t)(n - lo - 4));
    }
    for (size_t a = 0; a < N_I32; a++) {
      int32_t got = -99, want = 0;
      assert_x7_ok(i32_acc[a].fn(in, &got));
      if (n >= i32_acc[a].min_len && d[0] == 1 && d[1] == 1)
        want = x7__rdi32(d + 4);
      assert_int_equal(got, want);
    }
    for (size_t a = 0; a < N_TAIL; a++) {
      struct x7_bytes got = {0};
      struct x7_view want;
      assert_x7_ok(tail_acc[a].fn(in, &got));
      if (tail_rule(in, tail_acc[a].len_off, &want))
        assert_bytes_eq(got, want);
      else
        assert_int_equal(got.len, 0);
      x7_bytes_free(&got);
    }
    free(d);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(constants_should_match_spec),
      cmocka_unit_test(accessors_should_read_vectors),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(accessors_should_treat_values_above_2_31_as_upstream),
      cmocka_unit_test(accessors_should_ignore_error_docs),
      cmocka_unit_test(accessors_should_reject_bad_arguments),
      cmocka_unit_test(accessors_should_fail_cleanly_without_memory),
      cmocka_unit_test(accessors_should_follow_rules_on_random_docs),
  };
  return cmocka_run_group_tests_name("net_tcp", tests, NULL, NULL);
}
