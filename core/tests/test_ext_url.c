/* test_ext_url.c - ext.url.parse.url_parse and ext.url.encode twins: spec
 * §2.13, §7.5, §7.6, vectors V33-V41. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/ext_url.h>
#include <x7/x7_mem.h>

#include "x7_test.h"

#define V(s) x7_view_of((s), sizeof(s) - 1)

static uint32_t rd32_at(const uint8_t *p, size_t off) {
  return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
         (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static struct x7_bytes enc(struct x7_view v) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_url_encode_percent_encode(v, &b));
  return b;
}

static struct x7_bytes dec(struct x7_view v) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_url_encode_percent_decode(v, &b));
  return b;
}

static struct x7_bytes parse(struct x7_view v) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_url_parse_url_parse(v, &b));
  assert_int_equal(b.len, X7_EXT_URL_PARSED_LEN);
  return b;
}

static void assert_parse_hex(struct x7_view url, const char *hex) {
  struct x7_bytes b = parse(url);
  assert_bytes_hex(b, hex);
  x7_bytes_free(&b);
}

/* Component k (0 scheme .. 5 fragment) as text. */
static void assert_part(struct x7_bytes d, struct x7_view url, int k,
                        const char *want) {
  const uint32_t s = rd32_at(d.ptr, 8 * (size_t)k);
  const uint32_t l = rd32_at(d.ptr, 8 * (size_t)k + 4);
  assert_true((uint64_t)s + l <= url.len);
  x7t_assert_mem(url.ptr + s, l, want, strlen(want), __FILE__, __LINE__);
}

/* ---- percent encoding ---- */

static void percent_should_match_v33_to_v35(void **state) {
  struct x7_bytes b;
  (void)state;
  b = enc(V("hello world"));
  assert_bytes_str(b, "hello%20world"); /* V33 */
  {
    struct x7_bytes back = dec(x7_bytes_view(&b));
    assert_bytes_str(back, "hello world");
    x7_bytes_free(&back);
  }
  x7_bytes_free(&b);
  b = enc(V("a~b*c/\xff"));
  assert_bytes_str(b, "a~b%2Ac%2F%FF"); /* V34 */
  x7_bytes_free(&b);
  b = dec(V("%zz%4"));
  assert_bytes_str(b, "%zz%4"); /* V35 */
  x7_bytes_free(&b);
  b = dec(V("%4a%4A+"));
  assert_bytes_str(b, "JJ+");
  x7_bytes_free(&b);
}

static void percent_encode_should_escape_all_but_unreserved(void **state) {
  static const char unreserved[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
  (void)state;
  for (int c = 0; c < 256; c++) {
    const uint8_t byte = (uint8_t)c;
    struct x7_bytes b = enc(x7_view_of(&byte, 1));
    if (c && strchr(unreserved, c)) {
      assert_int_equal(b.len, 1);
      assert_int_equal(b.ptr[0], c);
    } else {
      char want[4];
      snprintf(want, sizeof want, "%%%02X", (unsigned)c);
      assert_bytes_str(b, want);
    }
    x7_bytes_free(&b);
  }
  {
    struct x7_bytes b = enc(x7_view_of(NULL, 0));
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
  }
}

static void percent_decode_should_follow_spec_rules(void **state) {
  static const struct {
    const char *in;
    size_t in_len;
    const char *out;
    size_t out_len;
  } cases[] = {
#define C(a, b) {a, sizeof(a) - 1, b, sizeof(b) - 1}
      C("", ""),           C("%", "%"),
      C("%4", "%4"),       C("%41", "A"),
      C("x%41", "xA"),     C("%%41", "%A"),
      C("%4g%41", "%4gA"), C("%g4", "%g4"),
      C("%00", "\0"),      C("%fF%Ff", "\xff\xff"),
      C("a+b%2B", "a+b+"), C("%2541", "%41"), /* decoded once only */
      C("%41%", "A%"),     C("%41%4", "A%4"),
#undef C
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct x7_bytes b = dec(x7_view_of(cases[i].in, cases[i].in_len));
    x7t_assert_mem(b.ptr, b.len, cases[i].out, cases[i].out_len, __FILE__,
                   __LINE__);
    x7_bytes_free(&b);
  }
}

static void percent_roundtrip_should_hold_for_random_bytes(void **state) {
  (void)state;
  for (int i = 0; i < 5000; i++) {
    const size_t n = (size_t)x7t_rand_below(64);
    uint8_t *p = x7t_rand_bytes(n);
    struct x7_bytes e, d;
    size_t escaped = 0;
    for (size_t k = 0; k < n; k++) {
      /* Bias towards '%' and hex digits so decode's edge cases occur. */
      if (x7t_rand_below(4) == 0) p[k] = (uint8_t) "%4aF"[x7t_rand_below(4)];
    }
    e = enc(x7_view_of(p, n));
    for (size_t k = 0; k < e.len; k++) {
      const uint8_t c = e.ptr[k];
      if (c == '%') {
        escaped++;
        assert_true(k + 2 < e.len);
        assert_non_null(strchr("0123456789ABCDEF", e.ptr[k + 1]));
        assert_non_null(strchr("0123456789ABCDEF", e.ptr[k + 2]));
        k += 2;
      }
    }
    assert_int_equal(e.len, n + 2 * escaped);
    d = dec(x7_bytes_view(&e));
    x7t_assert_mem(d.ptr, d.len, p, n, __FILE__, __LINE__);
    x7_bytes_free(&d);
    /* Decoding raw input never grows it. */
    d = dec(x7_view_of(p, n));
    assert_true(d.len <= n);
    x7_bytes_free(&d);
    x7_bytes_free(&e);
    free(p);
  }
}

/* ---- url_parse ---- */

static void url_parse_should_match_v36_to_v41(void **state) {
  struct x7_bytes d;
  (void)state;
  assert_parse_hex(V("https://example.com:8080/path?query=1#frag"),
                   "0000000005000000080000000b0000001400000004000000180000"
                   "00050000001e000000070000002600000004000000"); /* V36 */
  d = parse(V("https://example.com:8080/path?query=1#frag"));
  assert_part(d, V("https://example.com:8080/path?query=1#frag"), 0, "https");
  assert_part(d, V("https://example.com:8080/path?query=1#frag"), 1,
              "example.com");
  assert_part(d, V("https://example.com:8080/path?query=1#frag"), 2, "8080");
  assert_part(d, V("https://example.com:8080/path?query=1#frag"), 3, "/path");
  assert_part(d, V("https://example.com:8080/path?query=1#frag"), 4,
              "query=1");
  assert_part(d, V("https://example.com:8080/path?query=1#frag"), 5, "frag");
  x7_bytes_free(&d);
  assert_parse_hex(V("http://user:pw@host/x"),
                   "000000000400000007000000040000000c000000070000001300"
                   "00000200000015000000000000001500000000000000"); /* V37 */
  /* V38: host "[", port ":1]:8080", path "/" */
  assert_parse_hex(V("http://[::1]:8080/"),
                   "000000000400000007000000010000000900000008000000"
                   "110000000100000012000000000000001200000000000000");
  /* V39: no scheme/authority; path, query "q", fragment "f" */
  assert_parse_hex(V("/just/path?q#f"),
                   "000000000000000000000000000000000000000000000000"
                   "000000000a0000000b000000010000000d00000001000000");
  /* V40: a trailing '?' stays in the path; query empty at 9 */
  assert_parse_hex(V("http://h?"),
                   "000000000400000007000000010000000800000000000000"
                   "080000000100000009000000000000000900000000000000");
  /* V41: '#' before '?': no path, no query, fragment "f?x" */
  assert_parse_hex(V("http://h#f?x"),
                   "000000000400000007000000010000000800000000000000"
                   "08000000000000000c000000000000000900000003000000");
}

static void url_parse_should_keep_upstream_quirks(void **state) {
  struct x7_bytes d;
  (void)state;
  /* Empty input: every pair (0, 0). */
  assert_parse_hex(x7_view_of(NULL, 0),
                   "000000000000000000000000000000000000000000000000"
                   "000000000000000000000000000000000000000000000000");
  /* A ':' first is an empty scheme that still moves off past it. */
  d = parse(V(":foo"));
  assert_bytes_hex(d,
                   "000000000000000001000000000000000100000000000000"
                   "010000000300000004000000000000000400000000000000");
  x7_bytes_free(&d);
  /* Scheme must start with ALPHA; a digit first means no scheme. */
  d = parse(V("1http://x"));
  assert_part(d, V("1http://x"), 0, "");
  assert_part(d, V("1http://x"), 3, "1http://x");
  x7_bytes_free(&d);
  /* Scheme chars after the first: ALPHA DIGIT + - . */
  d = parse(V("a1+-.:rest"));
  assert_part(d, V("a1+-.:rest"), 0, "a1+-.");
  assert_part(d, V("a1+-.:rest"), 3, "rest");
  x7_bytes_free(&d);
  d = parse(V("a_b:rest"));
  assert_part(d, V("a_b:rest"), 0, "");
  assert_part(d, V("a_b:rest"), 3, "a_b:rest");
  x7_bytes_free(&d);
  /* Authority without a scheme; first colon splits host and port. */
  assert_parse_hex(V("//a:1/b"),
                   "000000000000000002000000010000000400000001000000"
                   "050000000200000007000000000000000700000000000000");
  /* "mailto:" style: no authority, host/port empty at off. */
  d = parse(V("mailto:x@y"));
  assert_bytes_hex(d,
                   "000000000600000007000000000000000700000000000000"
                   "07000000030000000a000000000000000a00000000000000");
  x7_bytes_free(&d);
  /* A lone '#' after the authority ends up as the path. */
  d = parse(V("http://h#"));
  assert_part(d, V("http://h#"), 3, "#");
  assert_part(d, V("http://h#"), 5, "");
  x7_bytes_free(&d);
  /* "?#": the query is "#" and the fragment is empty. */
  d = parse(V("http://h?#"));
  assert_part(d, V("http://h?#"), 3, "");
  assert_part(d, V("http://h?#"), 4, "#");
  assert_part(d, V("http://h?#"), 5, "");
  x7_bytes_free(&d);
  /* A trailing '#' is no fragment: it stays in the query (or path). */
  d = parse(V("http://h?q#"));
  assert_part(d, V("http://h?q#"), 4, "q#");
  assert_part(d, V("http://h?q#"), 5, "");
  assert_int_equal(rd32_at(d.ptr, 40), 11);
  x7_bytes_free(&d);
  /* Only "scheme:" */
  assert_parse_hex(V("http:"),
                   "000000000400000005000000000000000500000000000000"
                   "050000000000000005000000000000000500000000000000");
  /* Empty port after the colon. */
  d = parse(V("http://h:/p"));
  assert_part(d, V("http://h:/p"), 1, "h");
  assert_part(d, V("http://h:/p"), 2, "");
  assert_int_equal(rd32_at(d.ptr, 16), 9);
  x7_bytes_free(&d);
}

/* Spec-derived invariants that hold for every input (§2.13, §7.6). */
static void assert_url_invariants(struct x7_view u, struct x7_bytes d) {
  uint32_t s[6], l[6];
  const size_t n = u.len;
  assert_int_equal(d.len, 48);
  for (int k = 0; k < 6; k++) {
    s[k] = rd32_at(d.ptr, 8 * (size_t)k);
    l[k] = rd32_at(d.ptr, 8 * (size_t)k + 4);
    assert_true(s[k] <= n);
    assert_true((uint64_t)s[k] + l[k] <= n);
  }
  assert_int_equal(s[0], 0);
  if (l[0]) assert_int_equal(u.ptr[l[0]], ':');
  /* host, then port (after a ':'), then the path */
  assert_true(s[1] + l[1] <= s[3]);
  if (l[2]) {
    assert_int_equal(u.ptr[s[2] - 1], ':');
    assert_int_equal(s[2] + l[2], s[3]);
    assert_int_equal(s[2] - 1, s[1] + l[1]);
  }
  assert_null(memchr(u.ptr + s[1], ':', l[1]));
  /* fragment: after '#', to the end; absent = (n, 0) */
  if (s[5] < n) {
    assert_int_equal(u.ptr[s[5] - 1], '#');
    assert_int_equal(s[5] + l[5], n);
  } else {
    assert_int_equal(s[5], n);
    assert_int_equal(l[5], 0);
  }
  /* query: after '?', up to the fragment's '#'; absent = (n, 0) */
  if (s[4] < n) {
    assert_int_equal(u.ptr[s[4] - 1], '?');
    assert_int_equal(s[4] + l[4], s[5] < n ? s[5] - 1 : n);
    assert_int_equal(s[3] + l[3], s[4] - 1);
  } else {
    assert_int_equal(s[4], n);
    assert_int_equal(l[4], 0);
    assert_int_equal(s[3] + l[3], s[5] < n ? s[5] - 1 : n);
  }
}

static void probe_url(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  struct x7_bytes d = parse(in);
  (void)ud;
  assert_url_invariants(in, d);
  if (kind == X7T_TRUNC) {
    /* "https://example.com:8080/path?query=1#frag" cut at pos */
    if (pos == 38) {
      /* A '#' as the last byte is "no fragment" (frag_start == n), and
       * the query then runs to the end: it swallows the '#'. */
      assert_part(d, in, 4, "query=1#");
      assert_int_equal(rd32_at(d.ptr, 40), 38);
      assert_int_equal(rd32_at(d.ptr, 44), 0);
    } else if (pos > 38) {
      assert_part(d, in, 3, "/path");
      assert_part(d, in, 4, "query=1");
      assert_int_equal(rd32_at(d.ptr, 44), pos - 38);
    } else if (pos > 30) {
      assert_part(d, in, 3, "/path");
      assert_int_equal(rd32_at(d.ptr, 36), pos - 30);
      assert_int_equal(rd32_at(d.ptr, 40), pos);
    } else if (pos == 30) {
      assert_part(d, in, 3, "/path?"); /* trailing '?' kept in the path */
      assert_int_equal(rd32_at(d.ptr, 32), 30);
    }
    if (pos >= 24) {
      assert_part(d, in, 0, "https");
      assert_part(d, in, 1, "example.com");
      assert_part(d, in, 2, "8080");
    }
  }
  x7_bytes_free(&d);
}

static void url_parse_sweeps_should_keep_invariants(void **state) {
  static const char u[] = "https://example.com:8080/path?query=1#frag";
  (void)state;
  x7t_sweep_truncations((const uint8_t *)u, sizeof u - 1, probe_url, NULL);
  x7t_sweep_corruptions((const uint8_t *)u, sizeof u - 1, probe_url, NULL);
}

static void url_parse_should_stay_in_bounds_for_random_input(void **state) {
  static const char alpha[] = "http:/?#:@[]a1+-.";
  (void)state;
  for (int i = 0; i < 20000; i++) {
    const size_t n = (size_t)x7t_rand_below(40);
    uint8_t *p = x7t_rand_bytes(n);
    struct x7_bytes d;
    for (size_t k = 0; k < n; k++)
      if (x7t_rand_below(4)) p[k] = (uint8_t)alpha[x7t_rand_below(17)];
    d = parse(x7_view_of(p, n));
    assert_url_invariants(x7_view_of(p, n), d);
    x7_bytes_free(&d);
    free(p);
  }
}

/* ---- argument and allocation failures ---- */

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes b = {0};
  (void)state;
  assert_x7_result(X7_EINVAL, x7_ext_url_parse_url_parse(V("x"), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_ext_url_parse_url_parse(x7_view_of(NULL, 1), &b));
  assert_x7_result(X7_EINVAL, x7_ext_url_encode_percent_encode(V("x"), NULL));
  assert_x7_result(X7_EINVAL,
                   x7_ext_url_encode_percent_decode(x7_view_of(NULL, 2), &b));
  assert_null(b.ptr);
}

static void url_parse_should_refuse_urls_over_int32_max(void **state) {
  struct x7_bytes b = {0};
  (void)state;
  /* Checked before any byte is read, so the fake length is safe. */
  assert_x7_result(X7_ERANGE,
                   x7_ext_url_parse_url_parse(
                       x7_view_of("http://h/", (size_t)INT32_MAX + 1), &b));
  assert_null(b.ptr);
}

typedef x7_result call_fn(struct x7_view in, struct x7_bytes *pout);

static void failalloc_sweep(call_fn *fn, struct x7_view in) {
  long k;
  for (k = 1;; k++) {
    struct x7_bytes b = {0};
    x7_result r;
    x7t_failalloc_install(k);
    r = fn(in, &b);
    if (r == X7_OK) {
      x7_bytes_free(&b);
      assert_int_equal(x7t_failalloc_live(), 0);
      x7t_failalloc_remove();
      break;
    }
    assert_x7_result(X7_ENOMEM, r);
    assert_null(b.ptr);
    assert_int_equal(b.len, 0);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
  }
  assert_true(k > 1);
}

static void twins_should_report_enomem_without_leaks(void **state) {
  static uint8_t big[300];
  (void)state;
  memset(big, '/', sizeof big); /* encodes to 900 bytes: several grows */
  failalloc_sweep(x7_ext_url_parse_url_parse, V("http://h/p"));
  failalloc_sweep(x7_ext_url_encode_percent_encode,
                  x7_view_of(big, sizeof big));
  failalloc_sweep(x7_ext_url_encode_percent_decode, V("a%41b"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(percent_should_match_v33_to_v35),
      cmocka_unit_test(percent_encode_should_escape_all_but_unreserved),
      cmocka_unit_test(percent_decode_should_follow_spec_rules),
      cmocka_unit_test(percent_roundtrip_should_hold_for_random_bytes),
      cmocka_unit_test(url_parse_should_match_v36_to_v41),
      cmocka_unit_test(url_parse_should_keep_upstream_quirks),
      cmocka_unit_test(url_parse_sweeps_should_keep_invariants),
      cmocka_unit_test(url_parse_should_stay_in_bounds_for_random_input),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(url_parse_should_refuse_urls_over_int32_max),
      cmocka_unit_test(twins_should_report_enomem_without_leaks),
  };
  return cmocka_run_group_tests_name("ext_url", tests, NULL, NULL);
}
