/* test_net_udp.c - std.net.udp doc accessors (spec §2.4, §3.6, vector
 * S10). */
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

#define ADDR "0100000001000000317500007f000001" /* 127.0.0.1:30001 */
/* bind_v1(127.0.0.1:30001) as the first socket: handle 1. */
#define BIND "010100000100000010000000" ADDR
#define SEND "0101000009000000" /* 9 bytes sent */
#define S10 "0101000010000000" ADDR "0900000068656c6c6f2d756470"
#define HELLO "68656c6c6f2d756470"

static const struct {
  const char *hex;
  int32_t handle, sent;
  const char *bound, *payload, *from; /* NULL = empty */
} vectors[] = {
    {BIND, 1, 1, ADDR, NULL, NULL},
    {SEND, 0, 9, NULL, NULL, NULL},
    /* No accessor checks the kind of doc: a recv doc has a "handle". */
    {S10, 16, 16, NULL, HELLO, ADDR},
};
#define N_VEC (sizeof vectors / sizeof vectors[0])

struct udp_seen {
  int32_t handle, sent;
  struct x7_bytes bound, payload, from;
};

static void udp_read(struct x7_view in, struct udp_seen *s) {
  s->handle = s->sent = -99;
  assert_x7_ok(x7_net_udp_bind_sock_handle_v1(in, &s->handle));
  assert_x7_ok(x7_net_udp_send_bytes_sent_v1(in, &s->sent));
  assert_x7_ok(x7_net_udp_bind_bound_addr_v1(in, &s->bound));
  assert_x7_ok(x7_net_udp_recv_payload_v1(in, &s->payload));
  assert_x7_ok(x7_net_udp_recv_from_addr_v1(in, &s->from));
}

static void udp_seen_free(struct udp_seen *s) {
  x7_bytes_free(&s->bound);
  x7_bytes_free(&s->payload);
  x7_bytes_free(&s->from);
}

static void accessors_should_read_vectors(void **state) {
  (void)state;
  for (size_t v = 0; v < N_VEC; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vectors[v].hex, &n);
    struct udp_seen s;
    udp_read(x7_view_of(d, n), &s);
    assert_int_equal(s.handle, vectors[v].handle);
    assert_int_equal(s.sent, vectors[v].sent);
    assert_bytes_hex(s.bound, vectors[v].bound ? vectors[v].bound : "");
    assert_bytes_hex(s.payload, vectors[v].payload ? vectors[v].payload : "");
    assert_bytes_hex(s.from, vectors[v].from ? vectors[v].from : "");
    udp_seen_free(&s);
    free(d);
  }
}

/* §2.4 restated, for inputs that are not the accessor's own kind of doc. */
static int bind_rule(struct x7_view in, struct x7_view *addr) {
  uint32_t n;
  if (in.len < 12 || in.ptr[0] != 1 || in.ptr[1] != 1) return 0;
  n = x7__rd32(in.ptr + 8);
  if (n > INT32_MAX || in.len != 12 + (size_t)n) return 0;
  *addr = x7_view_of(in.ptr + 12, n);
  return 1;
}

static int recv_rule(struct x7_view in, struct x7_view *addr,
                     struct x7_view *payload) {
  uint32_t al, pl;
  if (in.len < 12 || in.ptr[0] != 1 || in.ptr[1] != 1) return 0;
  al = x7__rd32(in.ptr + 4);
  if (al > INT32_MAX || (size_t)al + 12 > in.len) return 0;
  pl = x7__rd32(in.ptr + 8 + al);
  if (pl > INT32_MAX || in.len != 12 + (size_t)al + pl) return 0;
  *addr = x7_view_of(in.ptr + 8, al);
  *payload = x7_view_of(in.ptr + 12 + al, pl);
  return 1;
}

struct sweep_ctx {
  struct x7_view orig;
  size_t v;
};

static int32_t i32_want(enum x7t_mutation kind, size_t pos, struct x7_view in,
                        size_t orig_len, size_t min_len, int32_t orig) {
  if (kind == X7T_TRUNC) return pos < min_len ? 0 : orig;
  if (orig_len < min_len) return 0;
  if (pos < 2) return 0;
  if (pos >= 4 && pos < 8) return x7__rdi32(in.ptr + 4);
  return orig;
}

static void probe_udp(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  const struct sweep_ctx *c = ud;
  struct udp_seen s;
  struct x7_view oa, op, wa, wp;
  udp_read(in, &s);

  assert_int_equal(s.handle, i32_want(kind, pos, in, c->orig.len, 12,
                                      vectors[c->v].handle));
  assert_int_equal(
      s.sent, i32_want(kind, pos, in, c->orig.len, 8, vectors[c->v].sent));

  if (bind_rule(c->orig, &oa)) {
    /* A bind doc: only the address bytes may change the result. */
    if (kind == X7T_TRUNC || pos < 2 || (pos >= 8 && pos < 12)) {
      assert_int_equal(s.bound.len, 0);
    } else if (pos >= 12) {
      assert_int_equal(s.bound.len, oa.len);
      assert_memory_equal(s.bound.ptr, in.ptr + 12, oa.len);
    } else {
      assert_bytes_eq(s.bound, oa);
    }
  } else if (bind_rule(in, &wa)) {
    assert_bytes_eq(s.bound, wa);
  } else {
    assert_int_equal(s.bound.len, 0);
  }

  if (recv_rule(c->orig, &oa, &op)) {
    /* A recv doc: both length fields must stay intact, and each part
     * follows its own bytes. */
    const size_t pl_off = 8 + oa.len;
    if (kind == X7T_TRUNC || pos < 2 || (pos >= 4 && pos < 8) ||
        (pos >= pl_off && pos < pl_off + 4)) {
      assert_int_equal(s.payload.len + s.from.len, 0);
    } else if (pos >= 8 && pos < pl_off) {
      assert_bytes_eq(s.payload, op);
      assert_int_equal(s.from.len, oa.len);
      assert_memory_equal(s.from.ptr, in.ptr + 8, oa.len);
    } else if (pos >= pl_off + 4) {
      assert_bytes_eq(s.from, oa);
      assert_int_equal(s.payload.len, op.len);
      assert_memory_equal(s.payload.ptr, in.ptr + pl_off + 4, op.len);
    } else {
      assert_bytes_eq(s.payload, op);
      assert_bytes_eq(s.from, oa);
    }
  } else if (recv_rule(in, &wa, &wp)) {
    assert_bytes_eq(s.from, wa);
    assert_bytes_eq(s.payload, wp);
  } else {
    assert_int_equal(s.payload.len + s.from.len, 0);
  }
  udp_seen_free(&s);
}

static void accessors_should_survive_sweeps(void **state) {
  (void)state;
  for (size_t v = 0; v < N_VEC; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vectors[v].hex, &n);
    struct sweep_ctx c;
    c.orig = x7_view_of(d, n);
    c.v = v;
    x7t_sweep_truncations(d, n, probe_udp, &c);
    x7t_sweep_corruptions(d, n, probe_udp, &c);
    free(d);
  }
}

static void recv_should_refuse_inconsistent_lengths(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S10, &n);
  struct udp_seen s;
  (void)state;
  /* Trailing byte: both parts refused, even the address. */
  {
    uint8_t *t = malloc(n + 1);
    memcpy(t, d, n);
    t[n] = 0;
    udp_read(x7_view_of(t, n + 1), &s);
    assert_int_equal(s.payload.len + s.from.len, 0);
    udp_seen_free(&s);
    free(t);
  }
  /* Lengths >= 2^31 are negative for upstream. */
  x7__wr32(d + 4, 0x80000010u);
  udp_read(x7_view_of(d, n), &s);
  assert_int_equal(s.payload.len + s.from.len, 0);
  udp_seen_free(&s);
  x7__wr32(d + 4, 16);
  x7__wr32(d + 24, 0xfffffff7u);
  udp_read(x7_view_of(d, n), &s);
  assert_int_equal(s.payload.len + s.from.len, 0);
  udp_seen_free(&s);
  /* addr_len pointing the payload length past the end. */
  x7__wr32(d + 4, (uint32_t)n - 8 - 3);
  udp_read(x7_view_of(d, n), &s);
  assert_int_equal(s.payload.len + s.from.len, 0);
  udp_seen_free(&s);
  /* Handles >= 2^31 come back negative, as upstream. */
  x7__wr32(d + 4, 0x80000000u);
  udp_read(x7_view_of(d, n), &s);
  assert_int_equal(s.handle, INT32_MIN);
  assert_int_equal(s.sent, INT32_MIN);
  udp_seen_free(&s);
  free(d);
  /* A minimal recv doc: empty address, empty payload (12 bytes). */
  d = x7t_unhex("010100000000000000000000", &n);
  udp_read(x7_view_of(d, n), &s);
  assert_int_equal(s.payload.len + s.from.len, 0);
  assert_int_equal(s.handle, 0);
  udp_seen_free(&s);
  free(d);
}

static void accessors_should_reject_bad_arguments(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S10, &n);
  struct x7_bytes b = {(uint8_t *)d, 2};
  int32_t v = 3;
  const struct x7_view bad = x7_view_of(NULL, 12);
  (void)state;
  assert_x7_result(X7_EINVAL, x7_net_udp_bind_sock_handle_v1(bad, &v));
  assert_int_equal(v, 0);
  v = 3;
  assert_x7_result(X7_EINVAL, x7_net_udp_send_bytes_sent_v1(bad, &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_udp_bind_bound_addr_v1(bad, &b));
  assert_null(b.ptr);
  b.len = 4;
  assert_x7_result(X7_EINVAL, x7_net_udp_recv_payload_v1(bad, &b));
  assert_int_equal(b.len, 0);
  assert_x7_result(X7_EINVAL, x7_net_udp_recv_from_addr_v1(bad, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_udp_bind_sock_handle_v1(x7_view_of(d, n), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_udp_send_bytes_sent_v1(x7_view_of(d, n), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_udp_bind_bound_addr_v1(x7_view_of(d, n), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_udp_recv_payload_v1(x7_view_of(d, n), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_udp_recv_from_addr_v1(x7_view_of(d, n), NULL));
  free(d);
}

static void accessors_should_fail_cleanly_without_memory(void **state) {
  x7_result (*const fns[])(struct x7_view, struct x7_bytes *) = {
      x7_net_udp_bind_bound_addr_v1, x7_net_udp_recv_payload_v1,
      x7_net_udp_recv_from_addr_v1};
  const char *const docs[] = {BIND, S10, S10};
  (void)state;
  for (size_t i = 0; i < 3; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(docs[i], &n);
    struct x7_bytes b = {0};
    x7t_failalloc_install(1);
    assert_x7_result(X7_ENOMEM, fns[i](x7_view_of(d, n), &b));
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    x7t_failalloc_install(2);
    assert_x7_ok(fns[i](x7_view_of(d, n), &b));
    assert_true(b.len > 0);
    x7_bytes_free(&b);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    free(d);
  }
}

/* Random recv-shaped docs must read exactly as the layout rules say. */
static void recv_should_follow_rules_on_random_docs(void **state) {
  (void)state;
  for (int iter = 0; iter < 20000; iter++) {
    size_t n = (size_t)x7t_rand_below(64);
    uint8_t *d = x7t_rand_bytes(n);
    struct x7_view in = x7_view_of(d, n), wa, wp;
    struct udp_seen s;
    if (n >= 2) d[0] = d[1] = 1;
    if (n >= 12 && x7t_rand_below(4)) {
      size_t al = (size_t)x7t_rand_below(n - 11);
      x7__wr32(d + 4, (uint32_t)al);
      if (x7t_rand_below(4)) x7__wr32(d + 8 + al, (uint32_t)(n - 12 - al));
    }
    udp_read(in, &s);
    if (recv_rule(in, &wa, &wp)) {
      assert_bytes_eq(s.from, wa);
      assert_bytes_eq(s.payload, wp);
    } else {
      assert_int_equal(s.payload.len + s.from.len, 0);
    }
    if (bind_rule(in, &wa))
      assert_bytes_eq(s.bound, wa);
    else
      assert_int_equal(s.bound.len, 0);
    udp_seen_free(&s);
    free(d);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accessors_should_read_vectors),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(recv_should_refuse_inconsistent_lengths),
      cmocka_unit_test(accessors_should_reject_bad_arguments),
      cmocka_unit_test(accessors_should_fail_cleanly_without_memory),
      cmocka_unit_test(recv_should_follow_rules_on_random_docs),
  };
  return cmocka_run_group_tests_name("net_udp", tests, NULL, NULL);
}
