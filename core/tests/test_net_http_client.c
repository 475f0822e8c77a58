/* test_net_http_client.c - the fetch twins in front of the backend:
 * request validation (spec §2.8, §4.2, E4), caps defaults and ranges,
 * header canonicalisation, and dispatch through the vtable. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>
#include <x7/x7_backend.h>

#include "backend_int.h"
#include "core_int.h"
#include "x7_test.h"

#define ERR2 "000200000000000000"

static int calls;
static struct x7_http_fetch seen;
static uint8_t seen_headers[256];
static uint8_t seen_path[64];

static x7_result mock_fetch(const struct x7_http_fetch *req,
                            struct x7_bytes *presp) {
  calls++;
  seen = *req;
  /* Keep copies: the views die with the call. */
  assert_true(req->headers.len <= sizeof seen_headers);
  memcpy(seen_headers, req->headers.ptr, req->headers.len);
  seen.headers = x7_view_of(seen_headers, req->headers.len);
  assert_true(req->out_path.len <= sizeof seen_path);
  if (req->out_path.len) memcpy(seen_path, req->out_path.ptr, req->out_path.len);
  seen.out_path = x7_view_of(seen_path, req->out_path.len);
  seen.url = x7_view_of(NULL, req->url.len);
  seen.body = x7_view_of(NULL, req->body.len);
  return x7_net_http_resp_pack_v2(200, x7_view_of(NULL, 0),
                                  x7_view_str("ok"), presp);
}

static const struct x7_backend_ops mock = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock",
    .caps = X7_BACKEND_CAP_HTTP | X7_BACKEND_CAP_HERMETIC,
    .http_fetch = mock_fetch,
};

static int setup(void **state) {
  (void)state;
  x7__backend_reset_for_tests();
  assert_x7_ok(x7_backend_register(&mock));
  assert_x7_ok(x7_backend_select("mock"));
  calls = 0;
  memset(&seen, 0, sizeof seen);
  return 0;
}

static struct x7_bytes caps6(int32_t f, int32_t t, int32_t mr, int32_t mhb,
                             int32_t mh, int32_t mb) {
  struct x7_bytes c = {0};
  assert_x7_ok(x7_net_http_spec_caps_v1(f, t, mr, mhb, mh, mb, &c));
  return c;
}

static void fetch_should_reject_malformed_docs_without_calling_backend(
    void **state) {
  struct x7_bytes req = {0}, resp = {0}, caps = {0};
  const uint8_t junk[4] = {1, 2, 3, 4};
  uint8_t *d;
  (void)state;
  /* E4: 4 arbitrary bytes */
  assert_x7_ok(x7_net_http_fetch_v1(x7_view_of(junk, 4), &resp));
  assert_bytes_hex(resp, ERR2);
  x7_bytes_free(&resp);
  assert_x7_ok(x7_net_http_spec_caps_default_v1(&caps));
  assert_x7_ok(x7_net_http_spec_req_get_v1(x7_view_str("http://h/"),
                                           x7_view_of(NULL, 0),
                                           x7_bytes_view(&caps), &req));
  d = malloc(req.len + 1);
  memcpy(d, req.ptr, req.len);
  /* E4: ver != 1 */
  d[0] = 2;
  assert_x7_ok(x7_net_http_fetch_v1(x7_view_of(d, req.len), &resp));
  assert_bytes_hex(resp, ERR2);
  x7_bytes_free(&resp);
  d[0] = 1;
  /* E4: trailing byte */
  d[req.len] = 0;
  assert_x7_ok(x7_net_http_fetch_v1(x7_view_of(d, req.len + 1), &resp));
  assert_bytes_hex(resp, ERR2);
  x7_bytes_free(&resp);
  /* E4: GET with a body: rebuild as POST then flip the method to GET. */
  x7_bytes_free(&req);
  assert_x7_ok(x7_net_http_spec_req_post_v1(x7_view_str("http://h/"),
                                            x7_view_of(NULL, 0),
                                            x7_view_str("b"),
                                            x7_bytes_view(&caps), &req));
  req.ptr[4] = 1;
  assert_x7_ok(x7_net_http_fetch_v1(x7_bytes_view(&req), &resp));
  assert_bytes_hex(resp, ERR2);
  x7_bytes_free(&resp);
  assert_int_equal(calls, 0);
  free(d);
  x7_bytes_free(&req);
  x7_bytes_free(&caps);
}

static void fetch_should_pass_decoded_request_to_backend(void **state) {
  struct x7_bytes h0 = {0}, h1 = {0}, h2 = {0}, req = {0}, resp = {0};
  struct x7_bytes body = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h0));
  assert_x7_ok(x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&h0), x7_view_str("X-B"), x7_view_str("2"), &h1));
  assert_x7_ok(x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&h1), x7_view_str("x-a"), x7_view_str("1"), &h2));
  assert_x7_ok(x7_net_http_spec_req_post_v1(
      x7_view_str("https://example.test/p"), x7_bytes_view(&h2),
      x7_view_str("hello"), x7_view_of(NULL, 0), &req));
  assert_x7_ok(x7_net_http_fetch_v1(x7_bytes_view(&req), &resp));
  assert_int_equal(calls, 1);
  assert_x7_ok(x7_net_http_resp_body_v1(x7_bytes_view(&resp), &body));
  assert_bytes_str(body, "ok");
  assert_int_equal(seen.method, X7_NET_HTTP_METHOD_POST);
  assert_int_equal(seen.url.len, strlen("https://example.test/p"));
  assert_int_equal(seen.body.len, 5);
  /* Sorted, lowercased: x-a then x-b. */
  assert_bytes_hex(seen.headers, "0200000003000000782d61010000003103000000"
                                 "782d620100000032");
  assert_int_equal(seen.follow_location, 0);
  assert_int_equal(seen.timeout_s, 30);
  assert_int_equal(seen.max_redirects, 0);
  assert_int_equal(seen.max_header_bytes, 4096);
  assert_int_equal(seen.max_headers, 64);
  assert_int_equal(seen.max_body_bytes, 65536);
  assert_int_equal(seen.out_path.len, 0);
  x7_bytes_free(&h0);
  x7_bytes_free(&h1);
  x7_bytes_free(&h2);
  x7_bytes_free(&req);
  x7_bytes_free(&resp);
  x7_bytes_free(&body);
}

static void fetch_should_check_caps_ranges(void **state) {
  struct {
    int32_t f, t, mr, mhb, mh, mb;
    int ok;
    uint32_t want_t, want_mr;
  } cases[] = {
      {0, 600, 0, 0, 0, 0, 1, 600, 0},
      {0, 601, 0, 0, 0, 0, 0, 0, 0},          /* E13-like: timeout > 600 */
      {0, 0, 0, 0, 0, 0, 1, 30, 0},           /* timeout 0 -> 30 */
      {1, 5, 0, 0, 0, 0, 1, 5, 5},            /* following, 0 -> 5 hops */
      {1, 5, 100, 0, 0, 0, 1, 5, 100},
      {1, 5, 101, 0, 0, 0, 0, 0, 0},
      {0, 5, 101, 0, 0, 0, 0, 0, 0},          /* checked even if not following */
      {0, 5, 0, 16777216, 65535, 0, 1, 5, 0},
      {0, 5, 0, 16777217, 0, 0, 0, 0, 0},
      {0, 5, 0, 0, 65536, 0, 0, 0, 0},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct x7_bytes caps = caps6(cases[i].f, cases[i].t, cases[i].mr,
                                 cases[i].mhb, cases[i].mh, cases[i].mb);
    struct x7_bytes resp = {0};
    calls = 0;
    assert_x7_ok(x7_net_http_get_v1(x7_view_str("http://h/"),
                                    x7_bytes_view(&caps), &resp));
    if (cases[i].ok) {
      assert_int_equal(calls, 1);
      assert_int_equal(seen.timeout_s, cases[i].want_t);
      assert_int_equal(seen.max_redirects, cases[i].want_mr);
      assert_int_equal(seen.method, X7_NET_HTTP_METHOD_GET);
    } else {
      assert_int_equal(calls, 0);
      assert_bytes_hex(resp, ERR2);
    }
    x7_bytes_free(&caps);
    x7_bytes_free(&resp);
  }
}

/* Framing and connection headers belong to the transport: a caller's
 * content-length in front of a body that is itself a request would
 * desynchronise a kept-alive connection for the next fetch. */
static void fetch_should_refuse_header_injection(void **state) {
  static const char *const bad[][2] = {
      {"x-a", "a\0b"},         {"x-a", "1\r\nHost: evil"},
      {"x-a", "a\nb"},         {"x\r", "1"},
      {"", "v"},               {"x a", "1"},
      {"x:a", "1"},            {"Content-Length", "0"},
      {"transfer-encoding", "chunked"}, {"Connection", "close"},
      {"upgrade", "h2c"},      {"te", "trailers"},
      {"keep-alive", "1"},     {"proxy-connection", "x"},
      {"trailer", "x"}};
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct x7_bytes h0 = {0}, h1 = {0}, req = {0}, resp = {0};
    size_t vlen = i == 0 ? 3 : strlen(bad[i][1]);
    assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h0));
    assert_x7_ok(x7_net_http_spec_headers_push_v1(
        x7_bytes_view(&h0), x7_view_str(bad[i][0]),
        x7_view_of(bad[i][1], vlen), &h1));
    assert_x7_ok(x7_net_http_spec_req_get_v1(x7_view_str("http://h/"),
                                             x7_bytes_view(&h1),
                                             x7_view_of(NULL, 0), &req));
    calls = 0;
    assert_x7_ok(x7_net_http_fetch_v1(x7_bytes_view(&req), &resp));
    assert_bytes_hex(resp, ERR2);
    assert_int_equal(calls, 0);
    x7_bytes_free(&h0);
    x7_bytes_free(&h1);
    x7_bytes_free(&req);
    x7_bytes_free(&resp);
  }
}

static void fetch_should_accept_token_names_and_empty_values(void **state) {
  struct x7_bytes h0 = {0}, h1 = {0}, h2 = {0}, req = {0}, resp = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h0));
  assert_x7_ok(x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&h0), x7_view_str("X-A!#$%&'*+.^_`|~9"), x7_view_str(""),
      &h1));
  assert_x7_ok(x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&h1), x7_view_str("content-type"), x7_view_str("a b"),
      &h2));
  assert_x7_ok(x7_net_http_spec_req_get_v1(x7_view_str("http://h/"),
                                           x7_bytes_view(&h2),
                                           x7_view_of(NULL, 0), &req));
  assert_x7_ok(x7_net_http_fetch_v1(x7_bytes_view(&req), &resp));
  assert_int_equal(calls, 1);
  assert_int_equal(resp.ptr[0], 1);
  x7_bytes_free(&h0);
  x7_bytes_free(&h1);
  x7_bytes_free(&h2);
  x7_bytes_free(&req);
  x7_bytes_free(&resp);
}

static void to_file_should_require_a_safe_relative_path(void **state) {
  static const char *const bad[] = {"",     "/abs", "a//b",   "a/",
                                    "../x", "./x",  ".x07_a", "a\\b"};
  struct x7_bytes resp = {0};
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    calls = 0;
    assert_x7_ok(x7_net_http_get_to_file_v1(x7_view_str("http://h/"),
                                            x7_view_str(bad[i]),
                                            x7_view_of(NULL, 0), &resp));
    assert_bytes_hex(resp, ERR2);
    assert_int_equal(calls, 0);
    x7_bytes_free(&resp);
  }
  assert_x7_ok(x7_net_http_post_to_file_v1(
      x7_view_str("http://h/"), x7_view_str("b"), x7_view_str("tmp/out.bin"),
      x7_view_of(NULL, 0), &resp));
  assert_int_equal(calls, 1);
  assert_bytes_str(seen.out_path, "tmp/out.bin");
  assert_int_equal(seen.method, X7_NET_HTTP_METHOD_POST);
  x7_bytes_free(&resp);
}

static void net_caps_should_be_replaced_by_http_defaults(void **state) {
  struct x7_bytes ncaps = {0}, resp = {0};
  (void)state;
  /* A 24-byte NetCapsV1 is not an HttpCapsV1 (spec §3.8 note). */
  assert_x7_ok(x7_net_codec_caps_v1(1, 2, 3, 4, &ncaps));
  assert_x7_ok(x7_net_http_client_get_v1(x7_view_str("http://h/"),
                                         x7_bytes_view(&ncaps), &resp));
  assert_int_equal(calls, 1);
  assert_int_equal(seen.timeout_s, 30);
  assert_int_equal(seen.max_body_bytes, 65536);
  x7_bytes_free(&ncaps);
  x7_bytes_free(&resp);
}

static void fetch_should_fail_cleanly_without_a_backend(void **state) {
  struct x7_bytes resp = {(uint8_t *)1, 3};
  x7_result r;
  (void)state;
  x7__backend_reset_for_tests();
  assert_x7_ok(x7_backend_register(&mock));
  assert_x7_ok(x7_backend_select("mock"));
  x7__backend_reset_for_tests(); /* forget mock: only built-ins remain */
  setenv("X07_NET_BACKEND", "no-such-backend", 1);
  r = x7_net_http_get_v1(x7_view_str("http://h/"), x7_view_of(NULL, 0), &resp);
  unsetenv("X07_NET_BACKEND");
  assert_x7_result(X7_ENOTFOUND, r);
  assert_null(resp.ptr);
  assert_int_equal(resp.len, 0);
  assert_non_null(strstr(x7_backend_errmsg(), "no-such-backend"));
}

static void fetch_should_not_leak_on_allocation_failure(void **state) {
  (void)state;
  for (long k = 1; k < 40; k++) {
    struct x7_bytes resp = {0};
    x7_result r;
    x7t_failalloc_install(k);
    r = x7_net_http_post_v1(x7_view_str("http://h/"), x7_view_str("x"),
                            x7_view_of(NULL, 0), &resp);
    if (r == X7_OK) {
      assert_non_null(resp.ptr);
    } else {
      assert_x7_result(X7_ENOMEM, r);
      assert_null(resp.ptr);
    }
    x7_bytes_free(&resp);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    if (r == X7_OK && k > x7t_failalloc_calls()) break;
  }
}

static void client_resp_aliases_should_match_the_facade(void **state) {
  /* V22 */
  static const char *v22 =
      "0102c8000000010000000c000000436f6e74656e742d547970650a000000746578742f"
      "706c61696e020000006f6b";
  size_t n;
  uint8_t *d = x7t_unhex(v22, &n);
  struct x7_view doc = x7_view_of(d, n);
  struct x7_bytes b = {0};
  int32_t v = 0;
  (void)state;
  assert_x7_ok(x7_net_http_client_resp_is_err_v1(doc, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_http_client_resp_err_code_v1(doc, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_http_client_resp_ver_v1(doc, &v));
  assert_int_equal(v, 2);
  assert_x7_ok(x7_net_http_client_resp_status_v1(doc, &v));
  assert_int_equal(v, 200);
  assert_x7_ok(x7_net_http_client_resp_header_count_v1(doc, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_http_client_resp_header_get_v1(
      doc, x7_view_str("content-type"), &b));
  assert_bytes_str(b, "text/plain");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_client_resp_body_v1(doc, &b));
  assert_bytes_str(b, "ok");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_client_resp_file_path_v1(doc, &b));
  assert_int_equal(b.len, 0);
  assert_x7_ok(x7_net_http_client_resp_file_len_v1(doc, &v));
  assert_int_equal(v, 0);
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(
          fetch_should_reject_malformed_docs_without_calling_backend, setup),
      cmocka_unit_test_setup(fetch_should_pass_decoded_request_to_backend,
                             setup),
      cmocka_unit_test_setup(fetch_should_check_caps_ranges, setup),
      cmocka_unit_test_setup(fetch_should_refuse_header_injection, setup),
      cmocka_unit_test_setup(fetch_should_accept_token_names_and_empty_values,
                             setup),
      cmocka_unit_test_setup(to_file_should_require_a_safe_relative_path,
                             setup),
      cmocka_unit_test_setup(net_caps_should_be_replaced_by_http_defaults,
                             setup),
      cmocka_unit_test_setup(fetch_should_fail_cleanly_without_a_backend,
                             setup),
      cmocka_unit_test_setup(fetch_should_not_leak_on_allocation_failure,
                             setup),
      cmocka_unit_test(client_resp_aliases_should_match_the_facade),
  };
  return cmocka_run_group_tests_name("net_http_client", tests, NULL, NULL);
}
