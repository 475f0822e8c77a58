/* test_net_io.c - std.net.io.write_all_v1 (spec §3.7, S7, S8, §9.10) over a
 * scripted stream_write backend. */
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

#define MAX_CALLS 64

/* What each stream_write call saw and what it answers. */
static int calls, kind_calls;
static size_t seen_len[MAX_CALLS];
static const uint8_t *seen_ptr[MAX_CALLS];
static long accept_at_most; /* bytes per call; < 0: claim -accept_at_most */
static const char *script_hex[MAX_CALLS]; /* a fixed doc for call i */

static unsigned m_kind(uint32_t h) {
  kind_calls++;
  return h == 5 ? X7_SOCK_TCP : h == 6 ? X7_SOCK_TLS : 0;
}

static x7_result m_write(uint32_t h, struct x7_view data,
                         const struct x7_sock_caps *caps,
                         struct x7_bytes *pdoc) {
  uint8_t doc[8] = {1, 1, 0, 0};
  size_t n;
  (void)h, (void)caps;
  assert_true(calls < MAX_CALLS);
  seen_len[calls] = data.len;
  seen_ptr[calls] = data.ptr;
  if (script_hex[calls]) {
    size_t len;
    uint8_t *p = x7t_unhex(script_hex[calls++], &len);
    x7_result r = x7__bytes_dup(p, len, pdoc);
    free(p);
    return r;
  }
  calls++;
  if (accept_at_most < 0)
    n = (size_t)-accept_at_most;
  else
    n = data.len < (size_t)accept_at_most ? data.len : (size_t)accept_at_most;
  x7__wr32(doc + 4, (uint32_t)n);
  return x7__bytes_dup(doc, sizeof doc, pdoc);
}

static const struct x7_backend_ops mock = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock-io",
    .stream_write = m_write,
    .sock_kind = m_kind,
};

static int setup(void **state) {
  (void)state;
  x7__backend_reset_for_tests();
  assert_x7_ok(x7_backend_register(&mock));
  assert_x7_ok(x7_backend_select("mock-io"));
  calls = kind_calls = 0;
  accept_at_most = 1 << 30;
  memset(script_hex, 0, sizeof script_hex);
  memset(seen_len, 0, sizeof seen_len);
  return 0;
}

static const struct x7_view none = {NULL, 0};

static void empty_data_should_not_touch_the_handle(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  /* S8 */
  assert_x7_ok(x7_net_io_write_all_v1(999, none, none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_io_write_all_v1(-1, x7_view_of("x", 0), none, &d));
  assert_bytes_hex(d, "0101000000000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 0);
  assert_int_equal(kind_calls, 0);
}

static void one_full_write_should_be_s7(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  /* S7 */
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("ping"), none, &d));
  assert_bytes_hex(d, "0101000004000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 1);
  /* TLS streams too */
  assert_x7_ok(x7_net_io_write_all_v1(6, x7_view_str("ping"), none, &d));
  assert_bytes_hex(d, "0101000004000000");
  x7_bytes_free(&d);
}

static void partial_writes_should_get_the_whole_remainder(void **state) {
  const char *msg = "0123456789";
  struct x7_bytes d = {0};
  (void)state;
  accept_at_most = 3;
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str(msg), none, &d));
  assert_bytes_hex(d, "010100000a000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 4);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(seen_len[i], 10 - 3 * i);
    assert_ptr_equal(seen_ptr[i], (const uint8_t *)msg + 3 * i);
  }
}

static void long_data_should_be_too_large_not_chunked(void **state) {
  struct x7_bytes d = {0}, c = {0};
  (void)state;
  /* §9.10: the whole remainder goes to each stream_write, so anything over
   * max_write_bytes fails on the first call even though the backend would
   * take it piecewise. */
  accept_at_most = 2;
  assert_x7_ok(x7_net_codec_caps_v1(0, 0, 0, 4, &c));
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"),
                                      x7_bytes_view(&c), &d));
  assert_bytes_hex(d, "000400000000000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 0);
  /* at the limit it loops */
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hell"),
                                      x7_bytes_view(&c), &d));
  assert_bytes_hex(d, "0101000004000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 2);
  x7_bytes_free(&c);
}

static void error_docs_should_come_back_unchanged(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  script_hex[0] = "0101000002000000";
  script_hex[1] = "000300000000000000"; /* TIMEOUT after some progress */
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "000300000000000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 2);
  /* an unusual code and trailing bytes are kept as they are */
  calls = 0;
  script_hex[0] = "00630000000000000077";
  script_hex[1] = NULL;
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "00630000000000000077");
  x7_bytes_free(&d);
  /* a bad handle is stream_write's INVALID_REQ */
  assert_x7_ok(x7_net_io_write_all_v1(7, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "000200000000000000");
  x7_bytes_free(&d);
}

static void zero_progress_should_be_connect_error(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  script_hex[0] = "0101000001000000";
  script_hex[1] = "0101000000000000";
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "000600000000000000");
  x7_bytes_free(&d);
  assert_int_equal(calls, 2);
  /* a negative count (>= 2^31) and a doc too short to hold one are no
   * progress either */
  calls = 0;
  script_hex[0] = "01010000ffffffff";
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "000600000000000000");
  x7_bytes_free(&d);
  calls = 0;
  script_hex[0] = "010100";
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "000600000000000000");
  x7_bytes_free(&d);
}

static void overclaiming_backend_should_be_internal(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  accept_at_most = -6; /* claims 6 of 5 bytes */
  assert_x7_ok(x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d));
  assert_bytes_hex(d, "000800000000000000");
  x7_bytes_free(&d);
}

static void bad_arguments_should_be_einval(void **state) {
  struct x7_bytes d = {0};
  const struct x7_view bad = {NULL, 1};
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_net_io_write_all_v1(5, x7_view_str("x"), none, NULL));
  assert_x7_result(X7_EINVAL, x7_net_io_write_all_v1(5, bad, none, &d));
  assert_x7_result(X7_EINVAL,
                   x7_net_io_write_all_v1(5, x7_view_str("x"), bad, &d));
  assert_null(d.ptr);
  assert_int_equal(calls, 0);
}

static void allocation_failures_should_be_enomem(void **state) {
  (void)state;
  accept_at_most = 2;
  for (long i = 1; i < 20; i++) {
    struct x7_bytes d = {0};
    x7_result r;
    calls = 0;
    x7t_failalloc_install(i);
    r = x7_net_io_write_all_v1(5, x7_view_str("hello"), none, &d);
    x7t_failalloc_remove();
    if (r == X7_OK) {
      assert_bytes_hex(d, "0101000005000000");
      x7_bytes_free(&d);
      assert_true(i > 3); /* three write docs and the result */
      return;
    }
    assert_x7_result(X7_ENOMEM, r);
    assert_null(d.ptr);
    assert_int_equal(x7t_failalloc_live(), 0);
  }
  fail_msg("write_all never succeeded under failalloc");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(empty_data_should_not_touch_the_handle, setup),
      cmocka_unit_test_setup(one_full_write_should_be_s7, setup),
      cmocka_unit_test_setup(partial_writes_should_get_the_whole_remainder,
                             setup),
      cmocka_unit_test_setup(long_data_should_be_too_large_not_chunked,
                             setup),
      cmocka_unit_test_setup(error_docs_should_come_back_unchanged, setup),
      cmocka_unit_test_setup(zero_progress_should_be_connect_error, setup),
      cmocka_unit_test_setup(overclaiming_backend_should_be_internal, setup),
      cmocka_unit_test_setup(bad_arguments_should_be_einval, setup),
      cmocka_unit_test_setup(allocation_failures_should_be_enomem, setup),
  };
  return cmocka_run_group_tests_name("net_io", tests, NULL, NULL);
}
