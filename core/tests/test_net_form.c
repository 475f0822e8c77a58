/* test_net_form.c - std.net.http.form_urlencoded.append_kv_v1 (spec
 * §3.11, vectors V31-V32). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "x7_test.h"

static struct x7_bytes append(struct x7_view out, const char *k,
                              const char *v) {
  struct x7_bytes r = {0};
  assert_x7_ok(x7_net_http_form_urlencoded_append_kv_v1(out, x7_view_str(k),
                                                        x7_view_str(v), &r));
  return r;
}

static void append_should_match_vectors(void **state) {
  struct x7_bytes a, b;
  (void)state;
  /* V31 */
  a = append(x7_view_of(NULL, 0), "a b", "c d");
  assert_bytes_str(a, "a+b=c+d");
  b = append(x7_bytes_view(&a), "a+b", "c&d");
  assert_bytes_str(b, "a+b=c+d&a%2Bb=c%26d");
  x7_bytes_free(&a);
  x7_bytes_free(&b);
  /* V32: '~' is encoded, '*' is not; UTF-8 byte by byte, uppercase. */
  {
    const uint8_t euro_slash[] = {0xe2, 0x82, 0xac, 0x2f};
    struct x7_bytes r = {0};
    assert_x7_ok(x7_net_http_form_urlencoded_append_kv_v1(
        x7_view_of(NULL, 0), x7_view_str("~!*'()"), x7_view_of(euro_slash, 4),
        &r));
    assert_bytes_str(r, "%7E%21*%27%28%29=%E2%82%AC%2F");
    x7_bytes_free(&r);
  }
}

static void append_should_join_pairs_with_ampersand(void **state) {
  struct x7_bytes r;
  (void)state;
  r = append(x7_view_of(NULL, 0), "", "");
  assert_bytes_str(r, "=");
  x7_bytes_free(&r);
  /* Whatever out holds is kept verbatim, and gets one '&'. */
  r = append(x7_view_str("x"), "", "");
  assert_bytes_str(r, "x&=");
  x7_bytes_free(&r);
  r = append(x7_view_str("&"), "k", "");
  assert_bytes_str(r, "&&k=");
  x7_bytes_free(&r);
  r = append(x7_view_of("a\0b", 3), "K", "V");
  assert_int_equal(r.len, 7);
  assert_memory_equal(r.ptr, "a\0b&K=V", 7);
  x7_bytes_free(&r);
}

static void append_should_encode_every_byte_by_the_rule(void **state) {
  static const char literal[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._";
  (void)state;
  for (int c = 0; c < 256; c++) {
    const uint8_t byte = (uint8_t)c;
    char want[8];
    struct x7_bytes r = {0};
    assert_x7_ok(x7_net_http_form_urlencoded_append_kv_v1(
        x7_view_of(NULL, 0), x7_view_of(&byte, 1), x7_view_of(&byte, 1), &r));
    if (c == ' ')
      snprintf(want, sizeof want, "+");
    else if (c && strchr(literal, c))
      snprintf(want, sizeof want, "%c", c);
    else
      snprintf(want, sizeof want, "%%%02X", c);
    assert_int_equal(r.len, 2 * strlen(want) + 1);
    assert_memory_equal(r.ptr, want, strlen(want));
    assert_int_equal(r.ptr[strlen(want)], '=');
    assert_memory_equal(r.ptr + strlen(want) + 1, want, strlen(want));
    x7_bytes_free(&r);
  }
}

/* ---- a decoder written here, to check the encoder against ---- */

static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1; /* the encoder writes uppercase only */
}

/* Decode s[0..n) into dst; returns the decoded length or -1 when s holds
 * something the encoder never writes (a raw '&', '=', '%', space ...). */
static long decode(const uint8_t *s, size_t n, uint8_t *dst) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '+') {
      dst[o++] = ' ';
    } else if (s[i] == '%') {
      int hi, lo;
      if (i + 2 >= n) return -1;
      hi = hexval(s[i + 1]);
      lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      dst[o++] = (uint8_t)(hi << 4 | lo);
      i += 2;
    } else if (s[i] == '&' || s[i] == '=' || s[i] < 0x21 || s[i] > 0x7e) {
      return -1;
    } else {
      dst[o++] = s[i];
    }
  }
  return (long)o;
}

static void append_should_be_decodable_for_random_pairs(void **state) {
  (void)state;
  for (int iter = 0; iter < 2000; iter++) {
    enum { MAXPAIRS = 6 };
    size_t npairs = 1 + (size_t)x7t_rand_below(MAXPAIRS);
    uint8_t *k[MAXPAIRS], *v[MAXPAIRS];
    size_t kn[MAXPAIRS], vn[MAXPAIRS];
    struct x7_bytes form = {0};
    size_t pos = 0;
    for (size_t p = 0; p < npairs; p++) {
      struct x7_bytes next = {0};
      kn[p] = (size_t)x7t_rand_below(40);
      vn[p] = (size_t)x7t_rand_below(120);
      k[p] = x7t_rand_bytes(kn[p]);
      v[p] = x7t_rand_bytes(vn[p]);
      /* Bias towards the interesting bytes. */
      for (size_t i = 0; i < vn[p]; i++)
        if (x7t_rand_below(4) == 0) v[p][i] = (uint8_t) " &=+%~*"[i % 7];
      assert_x7_ok(x7_net_http_form_urlencoded_append_kv_v1(
          x7_bytes_view(&form), x7_view_of(k[p], kn[p]),
          x7_view_of(v[p], vn[p]), &next));
      x7_bytes_free(&form);
      form = next;
    }
    /* Split on '&' and '=' and decode each part back. */
    for (size_t p = 0; p < npairs; p++) {
      uint8_t kd[40], vd[120];
      size_t eq, amp;
      long n;
      for (eq = pos; eq < form.len && form.ptr[eq] != '='; eq++) continue;
      assert_true(eq < form.len);
      for (amp = eq + 1; amp < form.len && form.ptr[amp] != '&'; amp++)
        continue;
      n = decode(form.ptr + pos, eq - pos, kd);
      assert_int_equal(n, kn[p]);
      if (n) assert_memory_equal(kd, k[p], kn[p]);
      n = decode(form.ptr + eq + 1, amp - eq - 1, vd);
      assert_int_equal(n, vn[p]);
      if (n) assert_memory_equal(vd, v[p], vn[p]);
      assert_true(p + 1 < npairs ? amp < form.len : amp == form.len);
      pos = amp + 1;
      free(k[p]);
      free(v[p]);
    }
    x7_bytes_free(&form);
  }
}

static void append_should_reject_bad_arguments(void **state) {
  struct x7_bytes r = {(uint8_t *)"z", 1};
  const struct x7_view ok = x7_view_str("a"), bad = x7_view_of(NULL, 1);
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_net_http_form_urlencoded_append_kv_v1(ok, ok, ok, NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_form_urlencoded_append_kv_v1(bad, ok, ok, &r));
  assert_null(r.ptr);
  assert_int_equal(r.len, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_http_form_urlencoded_append_kv_v1(ok, bad, ok, &r));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_form_urlencoded_append_kv_v1(ok, ok, bad, &r));
  assert_int_equal(r.len, 0);
}

static void append_should_fail_cleanly_without_memory(void **state) {
  struct x7_bytes r = {0};
  (void)state;
  x7t_failalloc_install(1);
  assert_x7_result(X7_ENOMEM, x7_net_http_form_urlencoded_append_kv_v1(
                                  x7_view_str("a=1"), x7_view_str("k k"),
                                  x7_view_str("v&"), &r));
  assert_null(r.ptr);
  assert_int_equal(r.len, 0);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  x7t_failalloc_install(2);
  assert_x7_ok(x7_net_http_form_urlencoded_append_kv_v1(
      x7_view_str("a=1"), x7_view_str("k k"), x7_view_str("v&"), &r));
  assert_int_equal(x7t_failalloc_calls(), 1);
  assert_bytes_str(r, "a=1&k+k=v%26");
  x7_bytes_free(&r);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(append_should_match_vectors),
      cmocka_unit_test(append_should_join_pairs_with_ampersand),
      cmocka_unit_test(append_should_encode_every_byte_by_the_rule),
      cmocka_unit_test(append_should_be_decodable_for_random_pairs),
      cmocka_unit_test(append_should_reject_bad_arguments),
      cmocka_unit_test(append_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("net_form", tests, NULL, NULL);
}
