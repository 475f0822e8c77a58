/* test_ext_http_types.c - ext.http_types twins: spec §7.4, vectors H9,
 * H10. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/ext_http_types.h>
#include <x7/x7_mem.h>

#include "x7_test.h"

#define V(s) x7_view_of((s), sizeof(s) - 1)

static void header_line_should_match_h9(void **state) {
  struct x7_bytes b = {0};
  (void)state;
  assert_x7_ok(x7_ext_http_types_header_line(V("X"), V("y"), &b));
  assert_bytes_hex(b, "583a20790d0a");
  x7_bytes_free(&b);
  /* Nothing is validated or trimmed: bytes go through as given. */
  assert_x7_ok(x7_ext_http_types_header_line(V("a\r\nb"), V(" v\0 "), &b));
  x7t_assert_mem(b.ptr, b.len, "a\r\nb:  v\0 \r\n", 12, __FILE__, __LINE__);
  x7_bytes_free(&b);
  assert_x7_ok(x7_ext_http_types_header_line(x7_view_of(NULL, 0),
                                             x7_view_of(NULL, 0), &b));
  assert_bytes_str(b, ": \r\n");
  x7_bytes_free(&b);
}

static void build_request_should_match_h10(void **state) {
  struct x7_bytes b = {0};
  (void)state;
  assert_x7_ok(x7_ext_http_types_build_request(V("POST"), V("/x"), V("A: 1"),
                                               V("body"), &b));
  assert_bytes_str(b, "POST /x HTTP/1.1\r\nA: 1\r\n\r\nbody");
  x7_bytes_free(&b);
}

static void req(const char *headers, size_t n, const char *want) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_http_types_build_request(
      V("M"), V("T"), x7_view_of(headers, n), V("B"), &b));
  assert_bytes_str(b, want);
  x7_bytes_free(&b);
}
#define REQ(h, want) req((h), sizeof(h) - 1, (want))

static void builders_should_terminate_headers_by_spec_rule(void **state) {
  (void)state;
  REQ("", "M T HTTP/1.1\r\n\r\nB");                     /* empty -> CRLF */
  REQ("A: 1\r\n", "M T HTTP/1.1\r\nA: 1\r\n\r\nB");     /* CRLF -> CRLF */
  REQ("A: 1\r\n\r\n", "M T HTTP/1.1\r\nA: 1\r\n\r\nB"); /* CRLFCRLF -> - */
  REQ("A: 1", "M T HTTP/1.1\r\nA: 1\r\n\r\nB");         /* else CRLFCRLF */
  REQ("\r\n", "M T HTTP/1.1\r\n\r\n\r\nB");             /* 2 bytes, CRLF */
  REQ("\n", "M T HTTP/1.1\r\n\n\r\n\r\nB");
  REQ("A\r", "M T HTTP/1.1\r\nA\r\r\n\r\nB");
  REQ("\r\n\r\n", "M T HTTP/1.1\r\n\r\n\r\nB");
  REQ("x\n\r\n", "M T HTTP/1.1\r\nx\n\r\n\r\nB");
}

static void resp(int32_t status, const char *reason, const char *headers,
                 const char *want) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_http_types_build_response(
      status, x7_view_str(reason), x7_view_str(headers), V("b"), &b));
  assert_bytes_str(b, want);
  x7_bytes_free(&b);
}

static void build_response_should_write_u32_status(void **state) {
  (void)state;
  resp(200, "OK", "", "HTTP/1.1 200 OK\r\n\r\nb");
  resp(0, "", "X: y\r\n", "HTTP/1.1 0 \r\nX: y\r\n\r\nb");
  resp(404, "Not Found", "X: y", "HTTP/1.1 404 Not Found\r\nX: y\r\n\r\nb");
  /* fmt.u32_to_dec of the bit pattern */
  resp(-1, "R", "", "HTTP/1.1 4294967295 R\r\n\r\nb");
  resp(INT32_MIN, "R", "", "HTTP/1.1 2147483648 R\r\n\r\nb");
  resp(INT32_MAX, "R", "", "HTTP/1.1 2147483647 R\r\n\r\nb");
}

static void lowercase_should_touch_only_ascii_upper(void **state) {
  uint8_t all[256];
  struct x7_bytes b = {0};
  (void)state;
  for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
  assert_x7_ok(x7_ext_http_types_lowercase_ascii(x7_view_of(all, 256), &b));
  assert_int_equal(b.len, 256);
  for (int i = 0; i < 256; i++)
    assert_int_equal(b.ptr[i], i >= 'A' && i <= 'Z' ? i + 32 : i);
  x7_bytes_free(&b);
  assert_x7_ok(x7_ext_http_types_lowercase_ascii(x7_view_of(NULL, 0), &b));
  assert_null(b.ptr);
}

/* Output is exactly the parts in order plus the fixed bytes. */
static void build_request_should_concatenate_random_parts(void **state) {
  (void)state;
  for (int i = 0; i < 3000; i++) {
    size_t ln[4];
    uint8_t *part[4];
    struct x7_bytes b = {0};
    size_t pos = 0, term;
    for (int k = 0; k < 4; k++) {
      ln[k] = (size_t)x7t_rand_below(20);
      part[k] = x7t_rand_bytes(ln[k]);
      for (size_t j = 0; j < ln[k]; j++)
        if (x7t_rand_below(3) == 0) part[k][j] = x7t_rand_below(2) ? 13 : 10;
    }
    assert_x7_ok(x7_ext_http_types_build_request(
        x7_view_of(part[0], ln[0]), x7_view_of(part[1], ln[1]),
        x7_view_of(part[2], ln[2]), x7_view_of(part[3], ln[3]), &b));
    {
      const uint8_t *h = part[2];
      const size_t n = ln[2];
      if (n == 0)
        term = 2;
      else if (n >= 4 && !memcmp(h + n - 4, "\r\n\r\n", 4))
        term = 0;
      else if (n >= 2 && !memcmp(h + n - 2, "\r\n", 2))
        term = 2;
      else
        term = 4;
    }
    assert_int_equal(b.len, ln[0] + ln[1] + ln[2] + ln[3] + 12 + term);
    assert_memory_equal(b.ptr, part[0], ln[0]);
    pos = ln[0];
    assert_int_equal(b.ptr[pos++], ' ');
    assert_memory_equal(b.ptr + pos, part[1], ln[1]);
    pos += ln[1];
    assert_memory_equal(b.ptr + pos, " HTTP/1.1\r\n", 11);
    pos += 11;
    assert_memory_equal(b.ptr + pos, part[2], ln[2]);
    pos += ln[2];
    assert_memory_equal(b.ptr + pos, "\r\n\r\n", term);
    pos += term;
    assert_memory_equal(b.ptr + pos, part[3], ln[3]);
    for (int k = 0; k < 4; k++) free(part[k]);
    x7_bytes_free(&b);
  }
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes b = {0};
  const struct x7_view bad = x7_view_of(NULL, 1);
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_ext_http_types_header_line(V("a"), V("b"), NULL));
  assert_x7_result(X7_EINVAL, x7_ext_http_types_header_line(bad, V("b"), &b));
  assert_x7_result(X7_EINVAL, x7_ext_http_types_lowercase_ascii(bad, &b));
  assert_x7_result(X7_EINVAL, x7_ext_http_types_build_request(
                                  V("a"), V("b"), V("c"), bad, &b));
  assert_x7_result(
      X7_EINVAL, x7_ext_http_types_build_response(1, bad, V("c"), V("d"), &b));
  assert_null(b.ptr);
}

static uint8_t big[500];

static x7_result call_line(struct x7_bytes *p) {
  return x7_ext_http_types_header_line(x7_view_of(big, 100), V("v"), p);
}
static x7_result call_lower(struct x7_bytes *p) {
  return x7_ext_http_types_lowercase_ascii(V("ABC"), p);
}
static x7_result call_req(struct x7_bytes *p) {
  return x7_ext_http_types_build_request(
      V("GET"), V("/"), x7_view_of(big, sizeof big), V("body"), p);
}
static x7_result call_resp(struct x7_bytes *p) {
  return x7_ext_http_types_build_response(200, V("OK"), V(""),
                                          x7_view_of(big, sizeof big), p);
}

static void failalloc_sweep(x7_result (*fn)(struct x7_bytes *)) {
  long k;
  for (k = 1;; k++) {
    struct x7_bytes b = {0};
    x7_result r;
    x7t_failalloc_install(k);
    r = fn(&b);
    if (r == X7_OK) {
      x7_bytes_free(&b);
      assert_int_equal(x7t_failalloc_live(), 0);
      x7t_failalloc_remove();
      break;
    }
    assert_x7_result(X7_ENOMEM, r);
    assert_null(b.ptr);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
  }
  assert_true(k > 1);
}

static void twins_should_report_enomem_without_leaks(void **state) {
  (void)state;
  memset(big, 'h', sizeof big);
  failalloc_sweep(call_line);
  failalloc_sweep(call_lower);
  failalloc_sweep(call_req);
  failalloc_sweep(call_resp);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(header_line_should_match_h9),
      cmocka_unit_test(build_request_should_match_h10),
      cmocka_unit_test(builders_should_terminate_headers_by_spec_rule),
      cmocka_unit_test(build_response_should_write_u32_status),
      cmocka_unit_test(lowercase_should_touch_only_ascii_upper),
      cmocka_unit_test(build_request_should_concatenate_random_parts),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(twins_should_report_enomem_without_leaks),
  };
  return cmocka_run_group_tests_name("ext_http_types", tests, NULL, NULL);
}
