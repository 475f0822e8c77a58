/* test_ext_curl_http.c - ext.curl.http CurlReq builders and the shim-side
 * validator: spec §2.9, §3.12, §4.2, §4.5, vectors V20-V21, E13. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "http_int.h"
#include "x7_test.h"

#define V20                                                              \
  "02020b00000068747470733a2f2f682f78010000000c000000636f6e74656e742d74" \
  "7970650a000000746578742f706c61696e020000006869000000001e00000000000" \
  "0000010000040000000"
#define V21                                                              \
  "030113000000687474703a2f2f6578616d706c652e636f6d2f0000000000000000" \
  "000000001e0000000000000000100000400000000b000000746d702f6f75742e62" \
  "696e"
#define CANON_CT                                                          \
  "010000000c000000636f6e74656e742d747970650a000000746578742f706c61696e"


static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static struct x7_view hx(uint8_t **pbuf, const char *hex) {
  size_t n;
  *pbuf = x7t_unhex(hex, &n);
  return x7_view_of(*pbuf, n);
}

static int32_t decode(struct x7_view d, struct x7__curl_req *q) {
  int32_t code = -1;
  assert_x7_ok(x7__curl_req_decode(d, q, &code));
  assert_true(code == 0 || code == X7_NET_ERR_INVALID_REQ);
  return code;
}

/* ---- builders ---- */

static void builders_should_match_v20_v21(void **state) {
  uint8_t *h;
  struct x7_view table = hx(&h, CANON_CT);
  struct x7_bytes r = {0};
  (void)state;
  assert_x7_ok(x7_ext_curl_http_req_post_v2(x7_view_str("https://h/x"),
                                            table, x7_view_str("hi"), 0, 30,
                                            0, 4096, 64, &r));
  assert_bytes_hex(r, V20);
  x7_bytes_free(&r);
  assert_x7_ok(x7_ext_curl_http_req_get_to_file_v3(
      x7_view_str("http://example.com/"), x7_view_of("\0\0\0\0", 4),
      x7_view_str("tmp/out.bin"), 0, 30, 0, 4096, 64, &r));
  assert_bytes_hex(r, V21);
  x7_bytes_free(&r);
  free(h);
}

static void builders_should_lay_out_every_variant(void **state) {
  struct x7_bytes r = {0};
  (void)state;
  assert_x7_ok(x7_ext_curl_http_req_get_v2(x7_view_str("u"),
                                           x7_view_of(NULL, 0), 1, 2, 3, 4,
                                           5, &r));
  assert_bytes_hex(r, "0201" "0100000075" "00000000" "00000000" "01000000"
                      "02000000" "03000000" "04000000" "05000000");
  x7_bytes_free(&r);
  assert_x7_ok(x7_ext_curl_http_req_post_to_file_v3(
      x7_view_str("u"), x7_view_of(NULL, 0), x7_view_str("b"),
      x7_view_str("p"), 0, 1, 2, 3, 4, &r));
  assert_bytes_hex(r, "0302" "0100000075" "00000000" "0100000062"
                      "00000000" "01000000" "02000000" "03000000"
                      "04000000" "0100000070");
  x7_bytes_free(&r);
}

static void builders_should_clamp_and_normalise_numbers(void **state) {
  struct x7_bytes r = {0};
  (void)state;
  /* Negative numbers become 0; any non-zero follow is flag 1. */
  assert_x7_ok(x7_ext_curl_http_req_get_v2(x7_view_str("u"),
                                           x7_view_of(NULL, 0), -1, -2, -3,
                                           -4, INT32_MIN, &r));
  assert_bytes_hex(r, "0201" "0100000075" "00000000" "00000000" "01000000"
                      "00000000" "00000000" "00000000" "00000000");
  x7_bytes_free(&r);
  assert_x7_ok(x7_ext_curl_http_req_post_v2(
      x7_view_of(NULL, 0), x7_view_of(NULL, 0), x7_view_of(NULL, 0), 7,
      INT32_MAX, 601, 0, 0, &r));
  /* Out-of-range values are stored; the validator rejects them later. */
  assert_bytes_hex(r, "0202" "00000000" "00000000" "00000000" "01000000"
                      "ffffff7f" "59020000" "00000000" "00000000");
  x7_bytes_free(&r);
}

static void builders_should_copy_tables_raw(void **state) {
  static const char *const tables[][2] = {
      {"", "00000000"},
      {"01", "00000000"},
      {"010203", "00000000"},
      {"05000000", "05000000"},           /* count not checked */
      {"ffffffff" "aabb", "ffffffff" "aabb"}, /* negative count kept */
      {"01000000" "0000000000000000", "01000000" "0000000000000000"}};
  (void)state;
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
    uint8_t *t, *want;
    struct x7_view tv = hx(&t, tables[i][0]);
    struct x7_view w = hx(&want, tables[i][1]);
    struct x7_bytes r = {0};
    assert_x7_ok(x7_ext_curl_http_req_get_v2(x7_view_of(NULL, 0), tv, 0, 0,
                                             0, 0, 0, &r));
    /* ver, method, url_len 0, then the table bytes. */
    assert_int_equal(r.len, 2 + 4 + w.len + 4 + 20);
    assert_memory_equal(r.ptr + 6, w.ptr, w.len);
    x7_bytes_free(&r);
    free(t);
    free(want);
  }
}

/* ---- validator ---- */

static void validator_should_accept_v20_v21(void **state) {
  uint8_t *b20, *b21;
  struct x7_view d20 = hx(&b20, V20), d21 = hx(&b21, V21);
  struct x7__curl_req q;
  (void)state;
  assert_int_equal(decode(d20, &q), 0);
  assert_int_equal(q.ver, 2);
  assert_int_equal(q.method, 2);
  assert_bytes_str(q.url, "https://h/x");
  assert_int_equal(q.header_count, 1);
  assert_bytes_hex(q.headers, &CANON_CT[8]);
  assert_bytes_str(q.body, "hi");
  assert_int_equal(q.flags, 0);
  assert_int_equal(q.timeout_s, 30);
  assert_int_equal(q.max_redirects, 0);
  assert_int_equal(q.max_header_bytes, 4096);
  assert_int_equal(q.max_headers, 64);
  assert_int_equal(q.out_path.len, 0);
  assert_ptr_equal(q.url.ptr, b20 + 6); /* zero-copy */
  assert_int_equal(decode(d21, &q), 0);
  assert_int_equal(q.ver, 3);
  assert_int_equal(q.method, 1);
  assert_int_equal(q.header_count, 0);
  assert_int_equal(q.headers.len, 0);
  assert_bytes_str(q.out_path, "tmp/out.bin");
  free(b20);
  free(b21);
}

/* A ver-2 or ver-3 CurlReq with the given fields, built by hand. */
static void make_req(struct x7t_buf *b, int ver, int method, const char *url,
                     size_t url_len, const struct x7t_buf *entries,
                     uint32_t count, const char *body, uint32_t timeout,
                     uint32_t mr, uint32_t mhb, uint32_t mh,
                     const char *path, size_t path_len) {
  uint8_t vm[2] = {(uint8_t)ver, (uint8_t)method};
  x7t_buf_add(b, vm, 2);
  x7t_buf_field(b, url, url_len);
  x7t_buf_u32(b, count);
  if (entries) x7t_buf_add(b, entries->p, entries->len);
  x7t_buf_field(b, body, strlen(body));
  if (ver >= 2) {
    x7t_buf_u32(b, 1);
    x7t_buf_u32(b, timeout);
    x7t_buf_u32(b, mr);
    x7t_buf_u32(b, mhb);
    x7t_buf_u32(b, mh);
  }
  if (ver == 3) x7t_buf_field(b, path, path_len);
}

static int32_t check_simple(int ver, int method, const char *body,
                            uint32_t timeout, uint32_t mr, uint32_t mhb,
                            uint32_t mh, const char *path) {
  struct x7t_buf b = {0};
  struct x7__curl_req q;
  int32_t code;
  make_req(&b, ver, method, "http://x/", 9, NULL, 0, body, timeout, mr, mhb,
           mh, path, path ? strlen(path) : 0);
  code = decode(x7t_buf_view(&b), &q);
  x7t_buf_free(&b);
  return code;
}

static void validator_should_apply_shim_limits(void **state) {
  struct x7t_buf b = {0};
  struct x7__curl_req q;
  (void)state;
  assert_int_equal(check_simple(2, 1, "", 30, 0, 0, 0, NULL), 0);
  assert_int_equal(check_simple(2, 1, "x", 30, 0, 0, 0, NULL), 2);
  assert_int_equal(check_simple(2, 2, "x", 30, 0, 0, 0, NULL), 0);
  assert_int_equal(check_simple(2, 3, "", 30, 0, 0, 0, NULL), 2);
  assert_int_equal(check_simple(2, 0, "", 30, 0, 0, 0, NULL), 2);
  assert_int_equal(check_simple(0, 1, "", 30, 0, 0, 0, NULL), 2);
  assert_int_equal(check_simple(4, 1, "", 30, 0, 0, 0, NULL), 2);
  /* E13 and the other limits, each at and just past its bound. */
  assert_int_equal(check_simple(2, 1, "", 600, 0, 0, 0, NULL), 0);
  assert_int_equal(check_simple(2, 1, "", 601, 0, 0, 0, NULL), 2);
  assert_int_equal(check_simple(2, 1, "", 0xffffffffu, 0, 0, 0, NULL), 2);
  assert_int_equal(check_simple(2, 1, "", 30, 100, 0, 0, NULL), 0);
  assert_int_equal(check_simple(2, 1, "", 30, 101, 0, 0, NULL), 2);
  assert_int_equal(check_simple(2, 1, "", 30, 0, 16777216, 0, NULL), 0);
  assert_int_equal(check_simple(2, 1, "", 30, 0, 16777217, 0, NULL), 2);
  assert_int_equal(check_simple(2, 1, "", 30, 0, 0, 65535, NULL), 0);
  assert_int_equal(check_simple(2, 1, "", 30, 0, 0, 65536, NULL), 2);
  /* timeout 0 means 30. */
  make_req(&b, 2, 1, "u", 1, NULL, 0, "", 0, 0, 0, 0, NULL, 0);
  assert_int_equal(decode(x7t_buf_view(&b), &q), 0);
  assert_int_equal(q.timeout_s, 30);
  assert_int_equal(q.flags, 1);
  /* One trailing byte. */
  x7t_buf_add(&b, "", 1);
  assert_int_equal(decode(x7t_buf_view(&b), &q), 2);
  x7t_buf_free(&b);
}

static void validator_should_read_ver1_with_defaults(void **state) {
  struct x7t_buf b = {0};
  struct x7__curl_req q;
  (void)state;
  make_req(&b, 1, 2, "u", 1, NULL, 0, "body", 0, 0, 0, 0, NULL, 0);
  assert_int_equal(decode(x7t_buf_view(&b), &q), 0);
  assert_int_equal(q.ver, 1);
  assert_bytes_str(q.body, "body");
  assert_int_equal(q.flags, 0);
  assert_int_equal(q.timeout_s, 30);
  assert_int_equal(q.max_header_bytes, 0);
  assert_int_equal(q.max_headers, 0);
  /* ver 1 ends after the body: the ver-2 numbers are trailing bytes. */
  x7t_buf_u32(&b, 0);
  assert_int_equal(decode(x7t_buf_view(&b), &q), 2);
  x7t_buf_free(&b);
}

static void validator_should_check_url_and_headers(void **state) {
  struct {
    const char *name;
    size_t nlen;
    const char *value;
    size_t vlen;
    int32_t want;
  } const cases[] = {
      {"a", 1, "v", 1, 0},
      {"a", 1, "", 0, 0},          /* empty value: curl drops the header */
      {"", 0, "v", 1, 2},          /* empty name */
      {"a\0b", 3, "v", 1, 2},      /* NUL in name */
      {"a", 1, "v\0", 2, 2},       /* NUL in value */
      {"a", 1, "x\r\nEvil: 1", 10, 0}, /* CR/LF is not checked (§9.6) */
  };
  struct x7__curl_req q;
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct x7t_buf e = {0}, b = {0};
    x7t_buf_field(&e, cases[i].name, cases[i].nlen);
    x7t_buf_field(&e, cases[i].value, cases[i].vlen);
    make_req(&b, 2, 1, "u", 1, &e, 1, "", 30, 0, 0, 0, NULL, 0);
    assert_int_equal(decode(x7t_buf_view(&b), &q), cases[i].want);
    x7t_buf_free(&b);
    /* Claiming one entry more than present is a truncation. */
    make_req(&b, 2, 1, "u", 1, &e, 2, "", 30, 0, 0, 0, NULL, 0);
    assert_int_equal(decode(x7t_buf_view(&b), &q), 2);
    x7t_buf_free(&b);
    x7t_buf_free(&e);
  }
  {
    struct x7t_buf b = {0};
    make_req(&b, 2, 1, "http://a\0b/", 11, NULL, 0, "", 30, 0, 0, 0, NULL, 0);
    assert_int_equal(decode(x7t_buf_view(&b), &q), 2);
    x7t_buf_free(&b);
  }
}

static void safe_rel_path_should_follow_shim_rule(void **state) {
  struct {
    const char *p;
    size_t n;
    int ok;
  } const cases[] = {
      {"a", 1, 1},           {"tmp/x", 5, 1},      {"a/b/c.txt", 9, 1},
      {".hidden", 7, 1},     {"a/.x07", 6, 1},     {"...", 3, 1},
      {"a/..b", 5, 1},       {"x07_a", 5, 1},      {"", 0, 0},
      {"/a", 2, 0},          {"a//b", 4, 0},       {"a/", 2, 0},
      {"./a", 3, 0},         {"a/.", 3, 0},        {"a/../b", 6, 0},
      {"..", 2, 0},          {".x07_a", 6, 0},     {"a/.x07_b/c", 10, 0},
      {"a\\b", 3, 0},        {"a\0b", 3, 0},       {"/", 1, 0},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct x7t_buf b = {0};
    struct x7__curl_req q;
    assert_int_equal(
        x7__curl_safe_rel_path(x7_view_of(cases[i].p, cases[i].n)),
        cases[i].ok);
    make_req(&b, 3, 1, "u", 1, NULL, 0, "", 30, 0, 0, 0, cases[i].p,
             cases[i].n);
    assert_int_equal(decode(x7t_buf_view(&b), &q), cases[i].ok ? 0 : 2);
    if (cases[i].ok) assert_int_equal(q.out_path.len, cases[i].n);
    x7t_buf_free(&b);
  }
}

/* ---- sweeps ---- */

/* Serialise decoded fields back: a successful decode must describe the
 * input exactly (every byte accounted for). */
static void assert_describes(struct x7_view in, const struct x7__curl_req *q) {
  struct x7t_buf b = {0};
  uint8_t vm[2] = {(uint8_t)q->ver, (uint8_t)q->method};
  size_t t_at = 0;
  x7t_buf_add(&b, vm, 2);
  x7t_buf_field(&b, q->url.ptr, q->url.len);
  x7t_buf_u32(&b, q->header_count);
  x7t_buf_add(&b, q->headers.ptr, q->headers.len);
  x7t_buf_field(&b, q->body.ptr, q->body.len);
  if (q->ver >= 2) {
    x7t_buf_u32(&b, q->flags);
    t_at = b.len;
    x7t_buf_u32(&b, q->timeout_s);
    x7t_buf_u32(&b, q->max_redirects);
    x7t_buf_u32(&b, q->max_header_bytes);
    x7t_buf_u32(&b, q->max_headers);
  }
  if (q->ver == 3) x7t_buf_field(&b, q->out_path.ptr, q->out_path.len);
  /* The one field the decoder rewrites: timeout 0 reads as 30. */
  if (t_at && t_at + 4 <= in.len && le32(in.ptr + t_at) == 0 &&
      q->timeout_s == 30)
    put32(b.p + t_at, 0);
  assert_bytes_eq(x7t_buf_view(&b), in);
  x7t_buf_free(&b);
}

struct region {
  size_t lo, hi; /* [lo, hi) */
  int kind;
};
enum { R_ALWAYS_BAD, R_TEXT, R_PATH, R_FREE, R_LIMIT, R_METHOD, R_LEN };

struct sweep {
  const struct region *r;
  size_t nr;
  uint32_t limit[77]; /* per byte: the limit of the u32 it belongs to */
  size_t limit_at[77];
};

static void probe_curl(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view in) {
  const struct sweep *s = ud;
  struct x7__curl_req q;
  int32_t code = decode(in, &q);
  if (code == 0) assert_describes(in, &q);
  if (kind == X7T_TRUNC) {
    assert_int_equal(code, 2);
    return;
  }
  for (size_t i = 0; i < s->nr; i++) {
    if (pos < s->r[i].lo || pos >= s->r[i].hi) continue;
    switch (s->r[i].kind) {
    case R_ALWAYS_BAD:
      assert_int_equal(code, 2);
      break;
    case R_TEXT: /* url or header bytes: only NUL is refused */
      assert_int_equal(code, in.ptr[pos] == 0 ? 2 : 0);
      break;
    case R_PATH: {
      /* §4.5: NUL and '\\' are refused anywhere; '/' only where it makes
       * the path absolute or a segment empty (leading, trailing, next to
       * another '/').  The vector's segments are 3+ bytes, so no single
       * byte can form a "." / ".." segment or a ".x07_" prefix. */
      const uint8_t v = in.ptr[pos];
      const int bad =
          v == 0 || v == '\\' ||
          (v == '/' && (pos == s->r[i].lo || pos + 1 == s->r[i].hi ||
                        in.ptr[pos - 1] == '/' || in.ptr[pos + 1] == '/'));
      assert_int_equal(code, bad ? 2 : 0);
      break;
    }
    case R_FREE: /* body bytes and flags: never validated */
      assert_int_equal(code, 0);
      break;
    case R_LIMIT: {
      uint32_t v = le32(in.ptr + s->limit_at[pos]);
      assert_int_equal(code, v <= s->limit[pos] ? 0 : 2);
      break;
    }
    case R_METHOD: /* V21 is a bodyless GET: POST is fine too */
      assert_int_equal(code, in.ptr[pos] == 2 ? 0 : 2);
      break;
    default: /* R_LEN */
      /* A changed length shifts every later field; for these vectors no
       * such shift lands on a doc the shim accepts, whatever the value. */
      assert_int_equal(code, 2);
      break;
    }
  }
}

static void set_limit(struct sweep *s, size_t at, uint32_t limit) {
  for (size_t i = at; i < at + 4; i++) {
    s->limit[i] = limit;
    s->limit_at[i] = at;
  }
}

static void validator_should_hold_under_sweeps(void **state) {
  static const struct region r20[] = {
      {0, 2, R_ALWAYS_BAD}, {2, 6, R_LEN},    {6, 17, R_TEXT},
      {17, 25, R_LEN},      {25, 37, R_TEXT}, {37, 41, R_LEN},
      {41, 51, R_TEXT},     {51, 55, R_LEN},  {55, 57, R_FREE},
      {57, 61, R_FREE},     {61, 77, R_LIMIT}};
  static const struct region r21[] = {
      {0, 1, R_ALWAYS_BAD}, {1, 2, R_METHOD}, {2, 6, R_LEN},
      {6, 25, R_TEXT},      {25, 33, R_LEN},  {33, 37, R_FREE},
      {37, 53, R_LIMIT},    {53, 57, R_LEN},  {57, 68, R_PATH}};
  struct sweep s;
  uint8_t *buf;
  struct x7_view d;
  (void)state;
  memset(&s, 0, sizeof s);
  s.r = r20;
  s.nr = sizeof r20 / sizeof *r20;
  set_limit(&s, 61, 600);
  set_limit(&s, 65, 100);
  set_limit(&s, 69, 16777216);
  set_limit(&s, 73, 65535);
  d = hx(&buf, V20);
  assert_int_equal(d.len, 77);
  x7t_sweep_truncations(buf, d.len, probe_curl, &s);
  x7t_sweep_corruptions(buf, d.len, probe_curl, &s);
  free(buf);
  memset(&s, 0, sizeof s);
  s.r = r21;
  s.nr = sizeof r21 / sizeof *r21;
  set_limit(&s, 37, 600);
  set_limit(&s, 41, 100);
  set_limit(&s, 45, 16777216);
  set_limit(&s, 49, 65535);
  d = hx(&buf, V21);
  assert_int_equal(d.len, 68);
  x7t_sweep_truncations(buf, d.len, probe_curl, &s);
  x7t_sweep_corruptions(buf, d.len, probe_curl, &s);
  free(buf);
}

static void builders_and_validator_should_roundtrip(void **state) {
  (void)state;
  for (int i = 0; i < 3000; i++) {
    size_t ul = 1 + (size_t)x7t_rand_below(40);
    size_t bl = (size_t)x7t_rand_below(80);
    uint8_t *url = x7t_rand_bytes(ul), *body = x7t_rand_bytes(bl);
    struct x7t_buf t = {0};
    uint32_t n = (uint32_t)x7t_rand_below(5);
    int v3 = (int)x7t_rand_below(2), post = (int)x7t_rand_below(2);
    int32_t follow = (int32_t)x7t_rand_below(3) - 1,
            timeout = (int32_t)x7t_rand_below(700),
            mr = (int32_t)x7t_rand_below(120),
            mhb = (int32_t)x7t_rand_below(17000000),
            mh = (int32_t)x7t_rand_below(70000);
    struct x7_bytes r = {0};
    struct x7__curl_req q;
    const struct x7_view path = x7_view_str("out/file.bin");
    int want_ok;
    for (size_t j = 0; j < ul; j++)
      if (!url[j]) url[j] = 'x';
    x7t_buf_u32(&t, n);
    for (uint32_t j = 0; j < n; j++) {
      x7t_buf_field(&t, "Name", 1 + x7t_rand_below(4));
      x7t_buf_field(&t, "value", x7t_rand_below(6));
    }
    if (!post) bl = 0;
    if (v3 && post)
      assert_x7_ok(x7_ext_curl_http_req_post_to_file_v3(
          x7_view_of(url, ul), x7t_buf_view(&t), x7_view_of(body, bl), path,
          follow, timeout, mr, mhb, mh, &r));
    else if (v3)
      assert_x7_ok(x7_ext_curl_http_req_get_to_file_v3(
          x7_view_of(url, ul), x7t_buf_view(&t), path, follow, timeout, mr, mhb,
          mh, &r));
    else if (post)
      assert_x7_ok(x7_ext_curl_http_req_post_v2(
          x7_view_of(url, ul), x7t_buf_view(&t), x7_view_of(body, bl), follow,
          timeout, mr, mhb, mh, &r));
    else
      assert_x7_ok(x7_ext_curl_http_req_get_v2(x7_view_of(url, ul),
                                               x7t_buf_view(&t), follow, timeout,
                                               mr, mhb, mh, &r));
    want_ok = timeout <= 600 && mr <= 100 && mhb <= 16777216 && mh <= 65535;
    assert_int_equal(decode(x7_bytes_view(&r), &q), want_ok ? 0 : 2);
    if (want_ok) {
      assert_int_equal(q.ver, v3 ? 3 : 2);
      assert_int_equal(q.method, post ? 2 : 1);
      assert_bytes_eq(q.url, x7_view_of(url, ul));
      assert_int_equal(q.header_count, n);
      assert_bytes_eq(q.headers, x7_view_of(t.p + 4, t.len - 4));
      assert_bytes_eq(q.body, x7_view_of(body, bl));
      assert_int_equal(q.flags, follow != 0);
      assert_int_equal(q.timeout_s, timeout ? (uint32_t)timeout : 30u);
      assert_int_equal(q.max_redirects, mr);
      assert_int_equal(q.max_header_bytes, mhb);
      assert_int_equal(q.max_headers, mh);
      if (v3) assert_bytes_eq(q.out_path, path);
      else assert_int_equal(q.out_path.len, 0);
    }
    x7_bytes_free(&r);
    x7t_buf_free(&t);
    free(url);
    free(body);
  }
}

/* ---- arguments and allocation failure ---- */

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes r = {0};
  struct x7__curl_req q;
  int32_t code = 0;
  const struct x7_view bad = x7_view_of(NULL, 1), ok = x7_view_str("u");
  const struct x7_view huge = x7_view_of("x", (size_t)INT32_MAX + 1);
  (void)state;
  assert_x7_result(X7_EINVAL, x7_ext_curl_http_req_get_v2(ok, ok, 0, 0, 0,
                                                          0, 0, NULL));
  assert_x7_result(X7_EINVAL, x7_ext_curl_http_req_get_v2(bad, ok, 0, 0, 0,
                                                          0, 0, &r));
  assert_x7_result(X7_EINVAL, x7_ext_curl_http_req_post_v2(
                                  ok, bad, ok, 0, 0, 0, 0, 0, &r));
  assert_x7_result(X7_EINVAL, x7_ext_curl_http_req_post_v2(
                                  ok, ok, bad, 0, 0, 0, 0, 0, &r));
  assert_x7_result(X7_EINVAL, x7_ext_curl_http_req_get_to_file_v3(
                                  ok, ok, bad, 0, 0, 0, 0, 0, &r));
  assert_x7_result(X7_EINVAL, x7_ext_curl_http_req_post_to_file_v3(
                                  ok, ok, ok, bad, 0, 0, 0, 0, 0, &r));
  assert_x7_result(X7_ERANGE, x7_ext_curl_http_req_post_v2(
                                  ok, ok, huge, 0, 0, 0, 0, 0, &r));
  assert_x7_result(X7_ERANGE, x7_ext_curl_http_req_get_to_file_v3(
                                  huge, ok, ok, 0, 0, 0, 0, 0, &r));
  assert_null(r.ptr);
  assert_x7_result(X7_EINVAL, x7__curl_req_decode(ok, NULL, &code));
  assert_x7_result(X7_EINVAL, x7__curl_req_decode(ok, &q, NULL));
  assert_x7_result(X7_EINVAL, x7__curl_req_decode(bad, &q, &code));
  assert_int_equal(decode(x7_view_of(NULL, 0), &q), 2);
  assert_int_equal(decode(x7_view_of("\2", 1), &q), 2);
}

static void builders_should_fail_cleanly_on_allocation(void **state) {
  struct x7_bytes r = {0};
  (void)state;
  for (int v = 0; v < 4; v++) {
    x7_result res;
    x7t_failalloc_install(1);
    switch (v) {
    case 0:
      res = x7_ext_curl_http_req_get_v2(x7_view_str("u"), x7_view_of(NULL, 0),
                                        0, 0, 0, 0, 0, &r);
      break;
    case 1:
      res = x7_ext_curl_http_req_post_v2(x7_view_str("u"),
                                         x7_view_of(NULL, 0),
                                         x7_view_str("b"), 0, 0, 0, 0, 0, &r);
      break;
    case 2:
      res = x7_ext_curl_http_req_get_to_file_v3(
          x7_view_str("u"), x7_view_of(NULL, 0), x7_view_str("p"), 0, 0, 0,
          0, 0, &r);
      break;
    default:
      res = x7_ext_curl_http_req_post_to_file_v3(
          x7_view_str("u"), x7_view_of(NULL, 0), x7_view_str("b"),
          x7_view_str("p"), 0, 0, 0, 0, 0, &r);
      break;
    }
    assert_x7_result(X7_ENOMEM, res);
    /* The doc is sized up front: one allocation, never a regrowth. */
    assert_int_equal(x7t_failalloc_calls(), 1);
    assert_null(r.ptr);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(builders_should_match_v20_v21),
      cmocka_unit_test(builders_should_lay_out_every_variant),
      cmocka_unit_test(builders_should_clamp_and_normalise_numbers),
      cmocka_unit_test(builders_should_copy_tables_raw),
      cmocka_unit_test(validator_should_accept_v20_v21),
      cmocka_unit_test(validator_should_apply_shim_limits),
      cmocka_unit_test(validator_should_read_ver1_with_defaults),
      cmocka_unit_test(validator_should_check_url_and_headers),
      cmocka_unit_test(safe_rel_path_should_follow_shim_rule),
      cmocka_unit_test(validator_should_hold_under_sweeps),
      cmocka_unit_test(builders_and_validator_should_roundtrip),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(builders_should_fail_cleanly_on_allocation),
  };
  return cmocka_run_group_tests_name("ext_curl_http", tests, NULL, NULL);
}
