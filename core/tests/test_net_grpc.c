/* test_net_grpc.c - std.net.grpc length-prefixed messages (spec §2.15,
 * §6.2, vectors V28-V30). */
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

#define V28 "000000000568656c6c6f"
#define V29 "0100000000"
#define V30 V28 "21" /* V28 plus one trailing byte */

struct grpc_seen {
  int32_t flag, len, err;
  struct x7_bytes msg;
};

static void grpc_read(struct x7_view f, struct grpc_seen *s) {
  s->flag = s->len = s->err = -99;
  assert_x7_ok(x7_net_grpc_msg_compressed_flag_v1(f, &s->flag));
  assert_x7_ok(x7_net_grpc_msg_len_v1(f, &s->len));
  assert_x7_ok(x7_net_grpc_msg_unprefix_v1(f, &s->msg, &s->err));
  if (s->err) {
    assert_null(s->msg.ptr);
    assert_int_equal(s->msg.len, 0);
  }
}

static void prefix_should_match_vectors(void **state) {
  struct x7_bytes f = {0};
  struct grpc_seen s;
  int32_t err = -1;
  (void)state;
  assert_x7_ok(x7_net_grpc_msg_prefix_v1(0, x7_view_str("hello"), &f, &err));
  assert_int_equal(err, 0);
  assert_bytes_hex(f, V28);
  grpc_read(x7_bytes_view(&f), &s);
  assert_int_equal(s.flag, 0);
  assert_int_equal(s.len, 5);
  assert_int_equal(s.err, 0);
  assert_bytes_str(s.msg, "hello");
  x7_bytes_free(&s.msg);
  x7_bytes_free(&f);

  err = -1;
  assert_x7_ok(x7_net_grpc_msg_prefix_v1(1, x7_view_of(NULL, 0), &f, &err));
  assert_int_equal(err, 0);
  assert_bytes_hex(f, V29);
  grpc_read(x7_bytes_view(&f), &s);
  assert_int_equal(s.flag, 1);
  assert_int_equal(s.len, 0);
  assert_int_equal(s.err, 0);
  assert_int_equal(s.msg.len, 0);
  x7_bytes_free(&f);
}

static void unprefix_should_refuse_trailing_data_v30(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V30, &n);
  struct grpc_seen s;
  (void)state;
  grpc_read(x7_view_of(d, n), &s);
  assert_int_equal(s.err, X7_NET_GRPC_ERR_UNPREFIX_SIZE); /* 8504 */
  /* The other accessors do not look at the total length. */
  assert_int_equal(s.flag, 0);
  assert_int_equal(s.len, 5);
  free(d);
}

static void unprefix_should_report_errors_in_order(void **state) {
  static const struct {
    const char *hex;
    int32_t flag, len, err;
  } cases[] = {
      {"", -1, -1, 8501},
      {"00", 0, -1, 8501},
      {"02000000", -1, -1, 8501}, /* short beats bad flag */
      {"0200000000", -1, 0, 8502},
      {"ff80000000", -1, INT32_MIN, 8502}, /* bad flag beats bad length */
      {"0080000000", 0, INT32_MIN, 8503},
      {"01ffffffff00", 1, -1, 8503},
      {"0000000001", 0, 1, 8504},
      {"000000000100aa", 0, 1, 8504},
      {"0100000001ab", 1, 1, 0},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(cases[i].hex, &n);
    struct grpc_seen s;
    grpc_read(x7_view_of(d, n), &s);
    assert_int_equal(s.flag, cases[i].flag);
    assert_int_equal(s.len, cases[i].len);
    assert_int_equal(s.err, cases[i].err);
    if (!cases[i].err) assert_bytes_hex(s.msg, "ab");
    x7_bytes_free(&s.msg);
    free(d);
  }
}

static void
prefix_should_refuse_bad_arguments_with_upstream_codes(void **state) {
  const int32_t flags[] = {-1, 2, 255, INT32_MIN, INT32_MAX};
  struct x7_bytes f = {0};
  int32_t err;
  uint8_t one = 0;
  (void)state;
  for (size_t i = 0; i < 5; i++) {
    err = 0;
    assert_x7_ok(
        x7_net_grpc_msg_prefix_v1(flags[i], x7_view_str("m"), &f, &err));
    assert_int_equal(err, X7_NET_GRPC_ERR_PREFIX_FLAG); /* 8401 */
    assert_null(f.ptr);
    assert_int_equal(f.len, 0);
  }
  /* 8402: a message upstream would see as a negative length. */
  assert_x7_ok(x7_net_grpc_msg_prefix_v1(
      0, x7_view_of(&one, (size_t)INT32_MAX + 1), &f, &err));
  assert_int_equal(err, X7_NET_GRPC_ERR_PREFIX_LENGTH);
  assert_int_equal(f.len, 0);
  /* The flag is checked before the length. */
  assert_x7_ok(x7_net_grpc_msg_prefix_v1(
      3, x7_view_of(&one, (size_t)INT32_MAX + 1), &f, &err));
  assert_int_equal(err, X7_NET_GRPC_ERR_PREFIX_FLAG);
}

static void prefix_should_write_big_endian_lengths(void **state) {
  uint8_t *m = x7t_rand_bytes(0x10203);
  struct x7_bytes f = {0};
  int32_t err, len;
  (void)state;
  assert_x7_ok(x7_net_grpc_msg_prefix_v1(1, x7_view_of(m, 0x10203), &f, &err));
  assert_int_equal(err, 0);
  assert_int_equal(f.len, 5 + 0x10203);
  assert_memory_equal(f.ptr, "\x01\x00\x01\x02\x03", 5);
  assert_memory_equal(f.ptr + 5, m, 0x10203);
  assert_x7_ok(x7_net_grpc_msg_len_v1(x7_bytes_view(&f), &len));
  assert_int_equal(len, 0x10203);
  x7_bytes_free(&f);
  free(m);
}

struct sweep_ctx {
  struct x7_view orig;
  int32_t flag, len;
};

static void probe_grpc(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view in) {
  const struct sweep_ctx *c = ud;
  struct grpc_seen s;
  grpc_read(in, &s);
  if (kind == X7T_TRUNC) {
    assert_int_equal(s.flag, pos == 0 ? -1 : c->flag);
    assert_int_equal(s.len, pos < 5 ? -1 : c->len);
    if (pos < 5) {
      assert_int_equal(s.err, 8501);
    } else if (pos == 5 + (size_t)c->len) {
      /* Only when a trailing byte is cut (V30 -> V28). */
      assert_int_equal(s.err, 0);
      assert_int_equal(s.msg.len, c->len);
    } else {
      assert_int_equal(s.err, 8504);
    }
    x7_bytes_free(&s.msg);
    return;
  }
  if (pos == 0) {
    int32_t f = in.ptr[0] <= 1 ? in.ptr[0] : -1;
    assert_int_equal(s.flag, f);
    assert_int_equal(s.len, c->len);
    if (f < 0) {
      assert_int_equal(s.err, 8502);
    } else {
      assert_int_equal(in.len == 5 + (size_t)c->len ? 0 : 8504, s.err);
    }
  } else if (pos < 5) {
    int32_t l =
        x7__as_i32((uint32_t)in.ptr[1] << 24 | (uint32_t)in.ptr[2] << 16 |
                   (uint32_t)in.ptr[3] << 8 | in.ptr[4]);
    assert_int_equal(s.flag, c->flag);
    assert_int_equal(s.len, l);
    if (l < 0)
      assert_int_equal(s.err, 8503);
    else if ((size_t)l == in.len - 5)
      assert_int_equal(s.err, 0);
    else
      assert_int_equal(s.err, 8504);
    if (!s.err) assert_memory_equal(s.msg.ptr, in.ptr + 5, in.len - 5);
  } else {
    /* A message byte: returned as changed (if the frame fits). */
    assert_int_equal(s.flag, c->flag);
    assert_int_equal(s.len, c->len);
    if (in.len == 5 + (size_t)c->len) {
      assert_int_equal(s.err, 0);
      assert_int_equal(s.msg.ptr[pos - 5], in.ptr[pos]);
      assert_memory_equal(s.msg.ptr, in.ptr + 5, c->len);
    } else {
      assert_int_equal(s.err, 8504);
    }
  }
  x7_bytes_free(&s.msg);
}

static void accessors_should_survive_sweeps(void **state) {
  static const struct {
    const char *hex;
    int32_t flag, len;
  } vec[] = {{V28, 0, 5}, {V29, 1, 0}, {V30, 0, 5}};
  (void)state;
  for (size_t v = 0; v < 3; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vec[v].hex, &n);
    struct sweep_ctx c;
    c.orig = x7_view_of(d, n);
    c.flag = vec[v].flag;
    c.len = vec[v].len;
    x7t_sweep_truncations(d, n, probe_grpc, &c);
    x7t_sweep_corruptions(d, n, probe_grpc, &c);
    free(d);
  }
}

static void prefix_should_roundtrip_random_messages(void **state) {
  (void)state;
  for (int iter = 0; iter < 5000; iter++) {
    int32_t flag = (int32_t)x7t_rand_below(2);
    size_t n = (size_t)x7t_rand_below(iter % 100 == 0 ? 300000 : 700);
    uint8_t *m = x7t_rand_bytes(n);
    struct x7_bytes f = {0};
    struct grpc_seen s;
    int32_t err = -1;
    assert_x7_ok(x7_net_grpc_msg_prefix_v1(flag, x7_view_of(m, n), &f, &err));
    assert_int_equal(err, 0);
    assert_int_equal(f.len, 5 + n);
    grpc_read(x7_bytes_view(&f), &s);
    assert_int_equal(s.flag, flag);
    assert_int_equal(s.len, n);
    assert_int_equal(s.err, 0);
    assert_int_equal(s.msg.len, n);
    if (n) assert_memory_equal(s.msg.ptr, m, n);
    x7_bytes_free(&s.msg);
    x7_bytes_free(&f);
    free(m);
  }
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes f = {(uint8_t *)"q", 1};
  int32_t err = 9, v = 9;
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_net_grpc_msg_prefix_v1(0, x7_view_str("a"), NULL, &err));
  assert_int_equal(err, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_grpc_msg_prefix_v1(0, x7_view_str("a"), &f, NULL));
  assert_null(f.ptr);
  err = 9;
  f.len = 2;
  assert_x7_result(
      X7_EINVAL, x7_net_grpc_msg_prefix_v1(0, x7_view_of(NULL, 1), &f, &err));
  assert_int_equal(err, 0);
  assert_int_equal(f.len, 0);
  err = 9;
  assert_x7_result(X7_EINVAL,
                   x7_net_grpc_msg_unprefix_v1(x7_view_of(NULL, 5), &f, &err));
  assert_int_equal(err, 0);
  assert_x7_result(
      X7_EINVAL, x7_net_grpc_msg_unprefix_v1(x7_view_of(NULL, 0), NULL, &err));
  assert_x7_result(X7_EINVAL,
                   x7_net_grpc_msg_unprefix_v1(x7_view_of(NULL, 0), &f, NULL));
  assert_x7_result(
      X7_EINVAL, x7_net_grpc_msg_compressed_flag_v1(x7_view_of(NULL, 1), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_grpc_msg_compressed_flag_v1(
                                  x7_view_of(NULL, 0), NULL));
  v = 9;
  assert_x7_result(X7_EINVAL, x7_net_grpc_msg_len_v1(x7_view_of(NULL, 5), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_grpc_msg_len_v1(x7_view_of(NULL, 0), NULL));
}

static void twins_should_fail_cleanly_without_memory(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(V28, &n);
  struct x7_bytes f = {0};
  int32_t err = -1;
  (void)state;
  x7t_failalloc_install(1);
  assert_x7_result(
      X7_ENOMEM, x7_net_grpc_msg_prefix_v1(0, x7_view_str("hello"), &f, &err));
  assert_int_equal(err, 0);
  assert_null(f.ptr);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  err = -1;
  x7t_failalloc_install(1);
  assert_x7_result(X7_ENOMEM,
                   x7_net_grpc_msg_unprefix_v1(x7_view_of(d, n), &f, &err));
  assert_int_equal(err, 0);
  assert_null(f.ptr);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  x7t_failalloc_install(2);
  assert_x7_ok(x7_net_grpc_msg_unprefix_v1(x7_view_of(d, n), &f, &err));
  assert_int_equal(x7t_failalloc_calls(), 1);
  assert_bytes_str(f, "hello");
  x7_bytes_free(&f);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prefix_should_match_vectors),
      cmocka_unit_test(unprefix_should_refuse_trailing_data_v30),
      cmocka_unit_test(unprefix_should_report_errors_in_order),
      cmocka_unit_test(prefix_should_refuse_bad_arguments_with_upstream_codes),
      cmocka_unit_test(prefix_should_write_big_endian_lengths),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(prefix_should_roundtrip_random_messages),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(twins_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("net_grpc", tests, NULL, NULL);
}
