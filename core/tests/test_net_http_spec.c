/* test_net_http_spec.c - std.net.http.spec twins and the HttpReqV1 decoder:
 * spec §2.6-§2.8, §3.9, §4.1, vectors V10-V19, E4. */
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

#define V10 "01000000000000001e00000000000000001000004000000000000100"
#define V11                                                               \
  "0200000006000000582d54657374010000006206000000782d74657374010000006" \
  "1"
#define V12 "0100000006000000782d7465737404000000612c2062"
#define V13 "0100000006000000782d746573740100000063"
#define V14                                                               \
  "03000000010000004101000000310100000042010000003201000000610100000033"
#define V15 "020000000100000061010000003901000000620100000032"
#define V16 "02000000010000006104000000312c203301000000620100000032"
#define V17                                                               \
  "02000000010000006107000000792c20792c207a01000000620100000032"
#define V18                                                               \
  "010000000100000013000000687474703a2f2f6578616d706c652e636f6d2f04000" \
  "00000000000000000001c00000001000000000000001e0000000000000000100000" \
  "4000000000000100"
#define V19                                                               \
  "01000000020000000b00000068747470733a2f2f682f782200000001000000" \
  "0c000000636f6e74656e742d747970650a000000746578742f706c61696e0200" \
  "000068691c00000001000000000000001e000000000000000010000040000000" \
  "00000100"

/* ---- test-side byte builder (independent of the library's x7__buf) ---- */


static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static int64_t sle32(const uint8_t *p) {
  uint32_t v = le32(p);
  return v >= 0x80000000u ? (int64_t)v - 0x100000000LL : (int64_t)v;
}

/* A table from NULL-terminated name/value string pairs. */
static void tb_table(struct x7t_buf *b, const char *const *kv) {
  size_t n = 0;
  while (kv[2 * n]) n++;
  x7t_buf_u32(b, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    x7t_buf_field(b, kv[2 * i], strlen(kv[2 * i]));
    x7t_buf_field(b, kv[2 * i + 1], strlen(kv[2 * i + 1]));
  }
}

/* ---- reference model: upstream's algorithms, written the naive way ---- */

struct rent {
  uint8_t name[64]; /* lowercased copy */
  size_t nlen;
  const uint8_t *val;
  size_t vlen;
};

static int ref_field(struct x7_view d, int64_t *ppos, int64_t *poff,
                     int64_t *plen) {
  int64_t pos = *ppos, n = (int64_t)d.len, l;
  if (pos + 4 > n) return -1;
  l = sle32(d.ptr + pos);
  if (l < 0 || pos + 4 + l > n) return -1;
  *poff = pos + 4;
  *plen = l;
  *ppos = pos + 4 + l;
  return 0;
}

/* Parse a table (names up to 64 bytes, enough for the generated ones). */
static int ref_parse(struct x7_view t, struct rent **pe, size_t *pn) {
  int64_t count, pos = 4, off, len;
  struct rent *e;
  *pe = NULL;
  *pn = 0;
  if (t.len < 4) return -1;
  count = sle32(t.ptr);
  if (count < 0) return -1;
  e = calloc((size_t)count + 1, sizeof *e);
  assert_non_null(e);
  for (int64_t i = 0; i < count; i++) {
    if (ref_field(t, &pos, &off, &len) || len > 64) {
      free(e);
      return -1;
    }
    for (int64_t j = 0; j < len; j++) {
      uint8_t c = t.ptr[off + j];
      e[i].name[j] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
    }
    e[i].nlen = (size_t)len;
    if (ref_field(t, &pos, &off, &len)) {
      free(e);
      return -1;
    }
    e[i].val = t.ptr + off;
    e[i].vlen = (size_t)len;
  }
  *pe = e;
  *pn = (size_t)count;
  return 0;
}

static int ref_cmp_range(const uint8_t *a, size_t an, const uint8_t *b,
                         size_t bn) {
  for (size_t i = 0; i < an && i < bn; i++)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return an == bn ? 0 : an < bn ? -1 : 1;
}

static int ref_cmp(const struct rent *a, const struct rent *b) {
  int c = ref_cmp_range(a->name, a->nlen, b->name, b->nlen);
  return c ? c : ref_cmp_range(a->val, a->vlen, b->val, b->vlen);
}

/* headers_canon_join_sorted_v1 exactly as upstream writes it: selection
 * sort with strict <, then merge runs of equal names. */
static void ref_canon(struct x7_view t, struct x7t_buf *out) {
  struct rent *e;
  size_t n, *order, groups = 0, count_at;
  char *used;
  if (ref_parse(t, &e, &n)) {
    x7t_buf_u32(out, 0);
    return;
  }
  order = calloc(n + 1, sizeof *order);
  used = calloc(n + 1, 1);
  for (size_t r = 0; r < n; r++) {
    size_t best = (size_t)-1;
    for (size_t j = 0; j < n; j++)
      if (!used[j] && (best == (size_t)-1 || ref_cmp(&e[j], &e[best]) < 0))
        best = j;
    used[best] = 1;
    order[r] = best;
  }
  count_at = out->len;
  x7t_buf_u32(out, 0);
  for (size_t i = 0; i < n;) {
    struct rent *g = &e[order[i]];
    size_t j = i + 1, vlen = g->vlen;
    while (j < n && e[order[j]].nlen == g->nlen &&
           memcmp(e[order[j]].name, g->name, g->nlen) == 0)
      vlen += 2 + e[order[j++]].vlen;
    x7t_buf_field(out, g->name, g->nlen);
    x7t_buf_u32(out, (uint32_t)vlen);
    for (size_t k = i; k < j; k++) {
      if (k > i) x7t_buf_add(out, ", ", 2);
      x7t_buf_add(out, e[order[k]].val, e[order[k]].vlen);
    }
    groups++;
    i = j;
  }
  for (int i = 0; i < 4; i++)
    out->p[count_at + (size_t)i] = (uint8_t)(groups >> (8 * i));
  free(order);
  free(used);
  free(e);
}

/* Field k (0 url .. 3 caps) of an HttpReqV1 by upstream's accessor rules. */
static int ref_req(struct x7_view d, int k, int64_t *poff, int64_t *plen) {
  int64_t pos = 8;
  if (d.len < 8 || sle32(d.ptr) != 1) return -1;
  for (int i = 0; i <= k; i++)
    if (ref_field(d, &pos, poff, plen)) return -1;
  return 0;
}

/* The client's validation (§2.8) plus the NUL-in-url check. */
static int32_t ref_decode_code(struct x7_view d) {
  int64_t pos = 8, off[4], len[4], method;
  if (d.len < 8 || sle32(d.ptr) != 1) return 2;
  method = sle32(d.ptr + 4);
  for (int i = 0; i < 4; i++)
    if (ref_field(d, &pos, &off[i], &len[i])) return 2;
  if (pos != (int64_t)d.len) return 2;
  if (method < 1 || method > 7) return 2; /* 3..7: x7 methods */
  if ((method == 1 || method == 3) && len[2] != 0) return 2;
  if (len[0] && memchr(d.ptr + off[0], 0, (size_t)len[0])) return 2;
  return 0;
}

/* ---- helpers ---- */

struct hexbuf {
  uint8_t *p;
  size_t n;
};

static struct x7_view hx(struct hexbuf *h, const char *hex) {
  h->p = x7t_unhex(hex, &h->n);
  return x7_view_of(h->p, h->n);
}

static void assert_i32_fn(x7_result (*fn)(struct x7_view, int32_t *),
                          struct x7_view in, int32_t want) {
  int32_t v = -7;
  assert_x7_ok(fn(in, &v));
  assert_int_equal(v, want);
}

/* ---- methods and caps ---- */

static void methods_should_be_get_1_post_2(void **state) {
  int32_t v = 0;
  (void)state;
  assert_x7_ok(x7_net_http_spec_method_get(&v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_http_spec_method_post(&v));
  assert_int_equal(v, 2);
  assert_int_equal(X7_NET_HTTP_METHOD_HEAD, 3);
  assert_int_equal(X7_NET_HTTP_METHOD_OPTIONS, 7);
}

static void caps_default_should_match_v10(void **state) {
  struct x7_bytes c = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_caps_default_v1(&c));
  assert_bytes_hex(c, V10);
  x7_bytes_free(&c);
  assert_x7_ok(x7_net_http_spec_caps_v1(0, 30, 0, 4096, 64, 65536, &c));
  assert_bytes_hex(c, V10);
  x7_bytes_free(&c);
}

static void caps_v1_should_normalise_follow_and_clamp(void **state) {
  struct x7_bytes c = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_caps_v1(5, -1, -2, 7, -3, 9, &c));
  assert_bytes_hex(c, "0100000001000000000000000000000007000000000000000900"
                      "0000");
  x7_bytes_free(&c);
  /* Upstream tests follow != 0, so a negative follow means "follow". */
  assert_x7_ok(x7_net_http_spec_caps_v1(-1, 1, 2, 3, 4, INT32_MAX, &c));
  assert_bytes_hex(c, "0100000001000000010000000200000003000000040000"
                      "00ffffff7f");
  x7_bytes_free(&c);
}

static void caps_accessors_should_default_when_invalid(void **state) {
  x7_result (*const fns[6])(struct x7_view, int32_t *) = {
      x7_net_http_spec_caps_follow_location_v1,
      x7_net_http_spec_caps_timeout_s_v1,
      x7_net_http_spec_caps_max_redirects_v1,
      x7_net_http_spec_caps_max_header_bytes_v1,
      x7_net_http_spec_caps_max_headers_v1,
      x7_net_http_spec_caps_max_body_bytes_v1};
  const int32_t dflt[6] = {0, 30, 0, 4096, 64, 65536};
  uint8_t caps[32];
  (void)state;
  /* Stored values 5, 0, 7, 0, 9, 11 and 4 bytes after offset 28. */
  memset(caps, 0xee, sizeof caps);
  x7__wr32(caps, 1);
  x7__wr32(caps + 4, 5);
  x7__wr32(caps + 8, 0);
  x7__wr32(caps + 12, 7);
  x7__wr32(caps + 16, 0);
  x7__wr32(caps + 20, 9);
  x7__wr32(caps + 24, 11);
  {
    const int32_t want[6] = {5, 0, 7, 0, 9, 11};
    for (int i = 0; i < 6; i++) {
      assert_i32_fn(fns[i], x7_view_of(caps, 32), want[i]);
      assert_i32_fn(fns[i], x7_view_of(caps, 28), want[i]);
      assert_i32_fn(fns[i], x7_view_of(caps, 27), dflt[i]);
      assert_i32_fn(fns[i], x7_view_of(NULL, 0), dflt[i]);
    }
  }
  x7__wr32(caps, 2);
  for (int i = 0; i < 6; i++)
    assert_i32_fn(fns[i], x7_view_of(caps, 28), dflt[i]);
  x7__wr32(caps, 1);
  for (int i = 0; i < 6; i++) x7__wr32(caps + 4 + 4 * i, 0x80000000u);
  for (int i = 0; i < 6; i++)
    assert_i32_fn(fns[i], x7_view_of(caps, 28), dflt[i]);
  {
    struct x7__http_caps hc;
    x7__http_caps_read(x7_view_of(caps, 28), &hc);
    assert_int_equal(hc.timeout_s, 30);
    assert_int_equal(hc.max_body_bytes, 65536);
  }
}

/* ---- header tables ---- */

static void headers_empty_should_be_four_zero_bytes(void **state) {
  struct x7_bytes t = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&t));
  assert_bytes_hex(t, "00000000");
  x7_bytes_free(&t);
}

static void headers_push_should_build_v11(void **state) {
  struct x7_bytes t0 = {0}, t1 = {0}, t2 = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&t0));
  assert_x7_ok(x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&t0), x7_view_str("X-Test"), x7_view_str("b"), &t1));
  assert_x7_ok(x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&t1), x7_view_str("x-test"), x7_view_str("a"), &t2));
  assert_bytes_hex(t2, V11);
  x7_bytes_free(&t0);
  x7_bytes_free(&t1);
  x7_bytes_free(&t2);
}

static void push(const char *table_hex, const char *k, const char *v,
                 const char *want_hex) {
  struct hexbuf h;
  struct x7_bytes out = {0};
  assert_x7_ok(x7_net_http_spec_headers_push_v1(hx(&h, table_hex),
                                                x7_view_str(k), x7_view_str(v),
                                                &out));
  assert_bytes_hex(out, want_hex);
  x7_bytes_free(&out);
  free(h.p);
}

static void headers_push_should_handle_odd_tables(void **state) {
  (void)state;
  /* Shorter than 4 bytes: replaced by the empty table. */
  push("", "a", "b", "01000000010000006101000000" "62");
  push("05", "a", "b", "01000000010000006101000000" "62");
  push("ffffff", "a", "", "010000000100000061" "00000000");
  /* A negative count counts as 0; the bytes after it are kept as is. */
  push("ffffffff" "aabb", "a", "b", "01000000aabb01000000610100000062");
  /* Existing entries are not validated. */
  push("02000000", "", "", "03000000" "00000000" "00000000");
  /* count + 1 wraps like upstream's i32. */
  push("ffffff7f", "k", "v", "00000080" "010000006b0100000076");
}

static void canon(const char *table_hex, const char *want_hex) {
  struct hexbuf h;
  struct x7_bytes out = {0};
  assert_x7_ok(x7_net_http_spec_headers_canon_join_sorted_v1(
      hx(&h, table_hex), &out));
  assert_bytes_hex(out, want_hex);
  x7_bytes_free(&out);
  free(h.p);
}

static void headers_canon_should_match_vectors(void **state) {
  struct x7t_buf t = {0};
  struct x7_bytes out = {0};
  static const char *const v17_in[] = {"B", "2", "a", "z", "A", "y",
                                       "a", "y", NULL};
  (void)state;
  canon(V11, V12);
  canon(V14, V16);
  tb_table(&t, v17_in);
  assert_x7_ok(
      x7_net_http_spec_headers_canon_join_sorted_v1(x7t_buf_view(&t), &out));
  assert_bytes_hex(out, V17);
  x7_bytes_free(&out);
  x7t_buf_free(&t);
}

static void headers_canon_should_order_prefix_first_and_bytes_unsigned(
    void **state) {
  static const char *const in[] = {"ab", "1", "a", "2", "\xc3", "3",
                                   "A",  "1", "b", "", NULL};
  struct x7t_buf t = {0}, want = {0};
  struct x7_bytes out = {0};
  (void)state;
  tb_table(&t, in);
  /* a:"1, 2" < ab:1 < b:"" < 0xc3:3 (0xc3 sorts after ASCII). */
  x7t_buf_u32(&want, 4);
  x7t_buf_field(&want, "a", 1);
  x7t_buf_field(&want, "1, 2", 4);
  x7t_buf_field(&want, "ab", 2);
  x7t_buf_field(&want, "1", 1);
  x7t_buf_field(&want, "b", 1);
  x7t_buf_field(&want, "", 0);
  x7t_buf_field(&want, "\xc3", 1);
  x7t_buf_field(&want, "3", 1);
  assert_x7_ok(
      x7_net_http_spec_headers_canon_join_sorted_v1(x7t_buf_view(&t), &out));
  assert_bytes_eq(out, x7t_buf_view(&want));
  x7_bytes_free(&out);
  x7t_buf_free(&t);
  x7t_buf_free(&want);
}

static void headers_canon_should_give_empty_table_when_malformed(
    void **state) {
  (void)state;
  canon("", "00000000");
  canon("010000", "00000000");
  canon("00000000", "00000000");
  canon("ffffffff", "00000000");
  canon("01000000", "00000000");                 /* entry missing */
  canon("0100000001000000", "00000000");         /* name cut */
  canon("010000000100000061", "00000000");       /* value length cut */
  canon("01000000010000006101000000", "00000000"); /* value cut */
  canon("0100000000000080", "00000000");         /* name_len >= 2^31 */
  canon("020000000100000061" "00000000", "00000000"); /* 2nd entry missing */
  /* Bytes after the last entry are ignored. */
  canon("01000000010000004101000000" "62" "ffff",
        "010000000100000061010000" "0062");
  canon("00000000" "1234", "00000000");
}

static void set(const char *table_hex, const char *k, const char *v,
                const char *want_hex) {
  struct hexbuf h;
  struct x7_bytes out = {0};
  assert_x7_ok(x7_net_http_spec_headers_set_v1(
      hx(&h, table_hex), x7_view_str(k), x7_view_str(v), &out));
  assert_bytes_hex(out, want_hex);
  x7_bytes_free(&out);
  free(h.p);
}

static void headers_set_should_match_vectors(void **state) {
  (void)state;
  set(V11, "X-Test", "c", V13);
  set(V14, "A", "9", V15);
}

static void headers_set_should_append_and_lowercase(void **state) {
  (void)state;
  /* No match: names lowercased, (k, v) appended, no sorting. */
  set("02000000" "0100000042" "0100000031" "0100000041" "0100000032", "Z",
      "v",
      "03000000" "0100000062" "0100000031" "0100000061" "0100000032"
      "010000007a" "0100000076");
  /* Short table or negative count: no entries. */
  set("", "K", "v", "01000000" "010000006b" "0100000076");
  set("ab", "K", "v", "01000000" "010000006b" "0100000076");
  set("ffffffff" "00", "K", "v", "01000000" "010000006b" "0100000076");
  /* Trailing bytes after the entries are dropped. */
  set("01000000" "0100000061" "0100000031" "eeee", "b", "2",
      "02000000" "0100000061" "0100000031" "0100000062" "0100000032");
}

static void headers_set_should_give_one_entry_when_malformed(void **state) {
  (void)state;
  set("02000000" "0100000061" "0100000031", "Hdr", "x",
      "01000000" "03000000686472" "0100000078");
  set("01000000" "ffffffff", "Hdr", "", "01000000" "03000000686472"
                                        "00000000");
}

/* ---- HttpReqV1 builders ---- */

static void req_get_should_match_v18(void **state) {
  struct x7_bytes h = {0}, c = {0}, r = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h));
  assert_x7_ok(x7_net_http_spec_caps_default_v1(&c));
  assert_x7_ok(x7_net_http_spec_req_get_v1(x7_view_str("http://example.com/"),
                                           x7_bytes_view(&h),
                                           x7_bytes_view(&c), &r));
  assert_bytes_hex(r, V18);
  x7_bytes_free(&r);
  /* An empty headers view canonicalises to the empty table too. */
  assert_x7_ok(x7_net_http_spec_req_get_v1(x7_view_str("http://example.com/"),
                                           x7_view_of(NULL, 0),
                                           x7_view_of(NULL, 0), &r));
  assert_bytes_hex(r, V18);
  x7_bytes_free(&r);
  x7_bytes_free(&h);
  x7_bytes_free(&c);
}

static void req_post_should_match_v19(void **state) {
  static const char *const hdr[] = {"Content-Type", "text/plain", NULL};
  struct x7t_buf t = {0};
  struct x7_bytes r = {0};
  (void)state;
  tb_table(&t, hdr);
  assert_x7_ok(x7_net_http_spec_req_post_v1(
      x7_view_str("https://h/x"), x7t_buf_view(&t), x7_view_str("hi"),
      x7_view_of(NULL, 0), &r));
  assert_bytes_hex(r, V19);
  x7_bytes_free(&r);
  x7t_buf_free(&t);
}

static void req_builder_should_substitute_invalid_caps(void **state) {
  uint8_t caps[32];
  struct x7_bytes r = {0}, got = {0};
  (void)state;
  memset(caps, 0x11, sizeof caps);
  x7__wr32(caps, 1);
  /* Valid caps are kept byte for byte, extra bytes included. */
  assert_x7_ok(x7_net_http_spec_req_get_v1(
      x7_view_str("u"), x7_view_of(NULL, 0), x7_view_of(caps, 32), &r));
  assert_x7_ok(x7_net_http_spec_req_caps_v1(x7_bytes_view(&r), &got));
  assert_bytes_eq(got, x7_view_of(caps, 32));
  x7_bytes_free(&got);
  x7_bytes_free(&r);
  /* 27 bytes, or ver 2: the defaults. */
  assert_x7_ok(x7_net_http_spec_req_get_v1(
      x7_view_str("u"), x7_view_of(NULL, 0), x7_view_of(caps, 27), &r));
  assert_x7_ok(x7_net_http_spec_req_caps_v1(x7_bytes_view(&r), &got));
  assert_bytes_hex(got, V10);
  x7_bytes_free(&got);
  x7_bytes_free(&r);
  x7__wr32(caps, 2);
  assert_x7_ok(x7_net_http_spec_req_get_v1(
      x7_view_str("u"), x7_view_of(NULL, 0), x7_view_of(caps, 28), &r));
  assert_x7_ok(x7_net_http_spec_req_caps_v1(x7_bytes_view(&r), &got));
  assert_bytes_hex(got, V10);
  x7_bytes_free(&got);
  x7_bytes_free(&r);
  /* A 24-byte NetCapsV1 is silently replaced too (§3.8). */
  assert_x7_ok(x7_net_codec_caps_default_v1(&got));
  assert_x7_ok(x7_net_http_spec_req_get_v1(
      x7_view_str("u"), x7_view_of(NULL, 0), x7_bytes_view(&got), &r));
  x7_bytes_free(&got);
  assert_x7_ok(x7_net_http_spec_req_caps_v1(x7_bytes_view(&r), &got));
  assert_bytes_hex(got, V10);
  x7_bytes_free(&got);
  x7_bytes_free(&r);
}

static void req_v1_should_store_any_method(void **state) {
  struct x7_bytes r = {0};
  int32_t m = 0;
  (void)state;
  assert_x7_ok(x7_net_http_spec_req_v1(X7_NET_HTTP_METHOD_PATCH,
                                       x7_view_str("u"), x7_view_of(NULL, 0),
                                       x7_view_str("b"), x7_view_of(NULL, 0),
                                       &r));
  assert_x7_ok(x7_net_http_spec_req_method_v1(x7_bytes_view(&r), &m));
  assert_int_equal(m, 6);
  x7_bytes_free(&r);
  assert_x7_ok(x7_net_http_spec_req_v1(-5, x7_view_of(NULL, 0),
                                       x7_view_of(NULL, 0),
                                       x7_view_of(NULL, 0),
                                       x7_view_of(NULL, 0), &r));
  assert_x7_ok(x7_net_http_spec_req_method_v1(x7_bytes_view(&r), &m));
  assert_int_equal(m, -5);
  assert_int_equal(r.len, 24 + 4 + 28);
  x7_bytes_free(&r);
}

/* ---- HttpReqV1 accessors ---- */

static void req_accessors_should_read_v18_and_v19(void **state) {
  struct hexbuf h18, h19;
  struct x7_view d18 = hx(&h18, V18), d19 = hx(&h19, V19);
  struct x7_bytes b = {0};
  int32_t m;
  (void)state;
  assert_x7_ok(x7_net_http_spec_req_method_v1(d18, &m));
  assert_int_equal(m, 1);
  assert_x7_ok(x7_net_http_spec_req_method_v1(d19, &m));
  assert_int_equal(m, 2);
  assert_x7_ok(x7_net_http_spec_req_url_v1(d18, &b));
  assert_bytes_str(b, "http://example.com/");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_url_v1(d19, &b));
  assert_bytes_str(b, "https://h/x");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_headers_v1(d18, &b));
  assert_bytes_hex(b, "00000000");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_headers_v1(d19, &b));
  assert_bytes_hex(b, "010000000c000000636f6e74656e742d747970650a000000746578"
                      "742f706c61696e");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_body_v1(d18, &b));
  assert_int_equal(b.len, 0);
  assert_x7_ok(x7_net_http_spec_req_body_v1(d19, &b));
  assert_bytes_str(b, "hi");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_caps_v1(d18, &b));
  assert_bytes_hex(b, V10);
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_caps_v1(d19, &b));
  assert_bytes_hex(b, V10);
  x7_bytes_free(&b);
  free(h18.p);
  free(h19.p);
}

static void req_accessors_should_ignore_bytes_after_their_field(
    void **state) {
  /* ver 1, method 2, url "u", then garbage: url still readable. */
  struct hexbuf h;
  struct x7_view d = hx(&h, "0100000002000000010000007500ffffff");
  struct x7_bytes b = {0};
  (void)state;
  assert_x7_ok(x7_net_http_spec_req_url_v1(d, &b));
  assert_bytes_str(b, "u");
  x7_bytes_free(&b);
  assert_x7_ok(x7_net_http_spec_req_headers_v1(d, &b));
  assert_int_equal(b.len, 0);
  free(h.p);
}

struct req_sweep {
  struct x7_view orig;
  int64_t end[4];   /* end offset of each field in orig */
  int64_t start[4]; /* start of each field's bytes (after its length) */
};

static void probe_req(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  const struct req_sweep *s = ud;
  x7_result (*const get[4])(struct x7_view, struct x7_bytes *) = {
      x7_net_http_spec_req_url_v1, x7_net_http_spec_req_headers_v1,
      x7_net_http_spec_req_body_v1, x7_net_http_spec_req_caps_v1};
  struct x7__http_req q;
  int32_t m, code;
  assert_x7_ok(x7_net_http_spec_req_method_v1(in, &m));
  assert_int_equal(m, in.len >= 8 && sle32(in.ptr) == 1 ? sle32(in.ptr + 4)
                                                        : 0);
  for (int k = 0; k < 4; k++) {
    struct x7_bytes b = {0};
    int64_t off, len;
    assert_x7_ok(get[k](in, &b));
    if (ref_req(in, k, &off, &len))
      assert_int_equal(b.len, 0);
    else
      assert_bytes_eq(b, x7_view_of(in.ptr + off, (size_t)len));
    /* Pins that do not depend on the model. */
    if (kind == X7T_TRUNC)
      assert_int_equal(b.len == 0,
                       (int64_t)pos < s->end[k] ||
                           s->end[k] == s->start[k]);
    if (kind == X7T_CORRUPT && pos < 4) assert_int_equal(b.len, 0);
    if (kind == X7T_CORRUPT && pos >= 4) {
      int in_len_field = 0;
      for (int j = 0; j < 4; j++)
        if ((int64_t)pos >= s->start[j] - 4 && (int64_t)pos < s->start[j])
          in_len_field = 1;
      /* Corrupting a content byte leaves every field's extent alone. */
      if (!in_len_field)
        assert_int_equal(b.len, (size_t)(s->end[k] - s->start[k]));
    }
    x7_bytes_free(&b);
  }
  assert_x7_ok(x7__http_req_decode(in, &q, &code));
  assert_int_equal(code, ref_decode_code(in));
  if (kind == X7T_TRUNC || (kind == X7T_CORRUPT && pos < 4))
    assert_int_equal(code, X7_NET_ERR_INVALID_REQ);
}

static void req_sweep_init(struct req_sweep *s, struct x7_view d) {
  int64_t pos = 8;
  s->orig = d;
  for (int k = 0; k < 4; k++) {
    int64_t off = 0, len = 0;
    assert_int_equal(ref_field(d, &pos, &off, &len), 0);
    s->start[k] = off;
    s->end[k] = off + len;
  }
}

static void req_accessors_should_follow_model_under_sweeps(void **state) {
  const char *const vecs[] = {V18, V19};
  (void)state;
  for (int i = 0; i < 2; i++) {
    struct hexbuf h;
    struct req_sweep s;
    req_sweep_init(&s, hx(&h, vecs[i]));
    x7t_sweep_truncations(h.p, h.n, probe_req, &s);
    x7t_sweep_corruptions(h.p, h.n, probe_req, &s);
    free(h.p);
  }
}

/* ---- decoder ---- */

static void decode_code(struct x7_view d, int32_t want) {
  struct x7__http_req q;
  int32_t code = -1;
  assert_x7_ok(x7__http_req_decode(d, &q, &code));
  assert_int_equal(code, want);
}

static void req_decode_should_accept_v18_v19(void **state) {
  struct hexbuf h18, h19;
  struct x7__http_req q;
  int32_t code = -1;
  (void)state;
  assert_x7_ok(x7__http_req_decode(hx(&h18, V18), &q, &code));
  assert_int_equal(code, 0);
  assert_int_equal(q.method, 1);
  assert_bytes_str(q.url, "http://example.com/");
  assert_bytes_hex(q.headers, "00000000");
  assert_int_equal(q.body.len, 0);
  assert_bytes_hex(q.caps, V10);
  assert_int_equal(q.caps_val.timeout_s, 30);
  assert_int_equal(q.caps_val.max_headers, 64);
  /* Views point into the doc: no copies. */
  assert_ptr_equal(q.url.ptr, h18.p + 12);
  assert_x7_ok(x7__http_req_decode(hx(&h19, V19), &q, &code));
  assert_int_equal(code, 0);
  assert_int_equal(q.method, 2);
  assert_bytes_str(q.body, "hi");
  assert_int_equal(q.caps_val.max_body_bytes, 65536);
  free(h18.p);
  free(h19.p);
}

static void req_decode_should_reject_e4_cases(void **state) {
  struct hexbuf h;
  struct x7_bytes r = {0};
  struct x7t_buf t = {0};
  const uint8_t four[4] = {1, 2, 3, 4};
  (void)state;
  decode_code(x7_view_of(four, 4), 2);
  decode_code(x7_view_of(NULL, 0), 2);
  hx(&h, V18);
  h.p[0] = 2; /* ver != 1 */
  decode_code(x7_view_of(h.p, h.n), 2);
  free(h.p);
  /* One trailing byte. */
  {
    size_t n;
    uint8_t *v = x7t_unhex(V18, &n);
    x7t_buf_add(&t, v, n);
    x7t_buf_add(&t, "\0", 1);
    free(v);
  }
  decode_code(x7t_buf_view(&t), 2);
  decode_code(x7_view_of(t.p, t.len - 1), 0);
  x7t_buf_free(&t);
  /* GET with a body. */
  assert_x7_ok(x7_net_http_spec_req_v1(1, x7_view_str("http://x/"),
                                       x7_view_of(NULL, 0), x7_view_str("b"),
                                       x7_view_of(NULL, 0), &r));
  decode_code(x7_bytes_view(&r), 2);
  x7_bytes_free(&r);
  /* Methods 1..7 (GET POST HEAD PUT DELETE PATCH OPTIONS) are accepted,
   * every other code is not; only GET and HEAD refuse a body. */
  for (int32_t m = -1; m <= 9; m++) {
    for (int with_body = 0; with_body < 2; with_body++) {
      int32_t want = m >= 1 && m <= 7 ? 0 : 2;
      if (with_body && (m == 1 || m == 3)) want = 2;
      assert_x7_ok(x7_net_http_spec_req_v1(
          m, x7_view_str("http://x/"), x7_view_of(NULL, 0),
          with_body ? x7_view_str("b") : x7_view_of(NULL, 0),
          x7_view_of(NULL, 0), &r));
      decode_code(x7_bytes_view(&r), want);
      if (want == 0) {
        struct x7__http_req q;
        int32_t code = -1;
        assert_x7_ok(x7__http_req_decode(x7_bytes_view(&r), &q, &code));
        assert_int_equal(q.method, m);
        assert_int_equal(q.body.len, with_body ? 1 : 0);
      }
      x7_bytes_free(&r);
    }
  }
  {
    /* A stored method >= 2^31 reads as negative: rejected. */
    assert_x7_ok(x7_net_http_spec_req_v1(3, x7_view_str("http://x/"),
                                         x7_view_of(NULL, 0),
                                         x7_view_of(NULL, 0),
                                         x7_view_of(NULL, 0), &r));
    x7__wr32(r.ptr + 4, 0x80000003u);
    decode_code(x7_bytes_view(&r), 2);
    x7_bytes_free(&r);
  }
  /* NUL inside the url. */
  assert_x7_ok(x7_net_http_spec_req_get_v1(x7_view_of("http://a\0b", 10),
                                           x7_view_of(NULL, 0),
                                           x7_view_of(NULL, 0), &r));
  decode_code(x7_bytes_view(&r), 2);
  x7_bytes_free(&r);
  /* Short or invalid caps are fine: they read as defaults. */
  {
    struct x7__http_req q;
    int32_t code;
    assert_x7_ok(x7_net_http_spec_req_v1(2, x7_view_str("http://x/"),
                                         x7_view_of(NULL, 0),
                                         x7_view_of(NULL, 0),
                                         x7_view_of(NULL, 0), &r));
    /* Rewrite caps_len to 0 and cut the caps off. */
    x7__wr32(r.ptr + r.len - 32, 0);
    assert_x7_ok(x7__http_req_decode(x7_view_of(r.ptr, r.len - 28), &q,
                                     &code));
    assert_int_equal(code, 0);
    assert_int_equal(q.caps.len, 0);
    assert_int_equal(q.caps_val.timeout_s, 30);
    x7_bytes_free(&r);
  }
  /* A length >= 2^31 is invalid, not huge. */
  hx(&h, V18);
  x7__wr32(h.p + 8, 0x80000013u);
  decode_code(x7_view_of(h.p, h.n), 2);
  free(h.p);
}

static void req_decode_should_reject_bad_arguments(void **state) {
  struct x7__http_req q;
  int32_t code = 0;
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7__http_req_decode(x7_view_of(NULL, 0), NULL, &code));
  assert_x7_result(X7_EINVAL,
                   x7__http_req_decode(x7_view_of(NULL, 0), &q, NULL));
  assert_x7_result(X7_EINVAL,
                   x7__http_req_decode(x7_view_of(NULL, 9), &q, &code));
  assert_int_equal(code, X7_NET_ERR_INVALID_REQ);
}

/* ---- properties ---- */

static const char *const pnames[] = {"a", "A", "b", "B", "ab", "aB", "",
                                     "x-test", "X-Test", "\xc3\xa9", "a\x7f"};
static const char *const pvals[] = {"", "1", "2", "10", "a", "a, b",
                                    "\xff", "\x80z"};

/* A random well-formed table with many duplicate names and values. */
static void rand_table(struct x7t_buf *t, size_t max_n) {
  size_t n = (size_t)x7t_rand_below(max_n + 1);
  x7t_buf_u32(t, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    const char *k = pnames[x7t_rand_below(sizeof pnames / sizeof *pnames)];
    const char *v = pvals[x7t_rand_below(sizeof pvals / sizeof *pvals)];
    x7t_buf_field(t, k, strlen(k));
    x7t_buf_field(t, v, strlen(v));
  }
  if (x7t_rand_below(8) == 0) x7t_buf_add(t, "trail", 5);
}

static void canon_should_equal_upstream_selection_sort(void **state) {
  (void)state;
  for (int i = 0; i < 3000; i++) {
    struct x7t_buf t = {0}, want = {0};
    struct x7_bytes out = {0};
    rand_table(&t, 14);
    if (x7t_rand_below(10) == 0 && t.len > 0) {
      /* Sometimes damage it: chop or lie about the count. */
      if (x7t_rand_below(2)) t.len = (size_t)x7t_rand_below(t.len);
      else t.p[0] = (uint8_t)(t.p[0] + 1 + x7t_rand_below(3));
    }
    ref_canon(x7t_buf_view(&t), &want);
    assert_x7_ok(
        x7_net_http_spec_headers_canon_join_sorted_v1(x7t_buf_view(&t), &out));
    assert_bytes_eq(out, x7t_buf_view(&want));
    /* Canonical tables are fixed points. */
    {
      struct x7_bytes again = {0};
      assert_x7_ok(x7_net_http_spec_headers_canon_join_sorted_v1(
          x7_bytes_view(&out), &again));
      if (out.len) assert_bytes_eq(again, x7_bytes_view(&out));
      x7_bytes_free(&again);
    }
    x7_bytes_free(&out);
    x7t_buf_free(&t);
    x7t_buf_free(&want);
  }
}

static void canon_should_stay_fast_on_large_tables(void **state) {
  const size_t n = 100000;
  struct x7t_buf t = {0};
  struct x7_bytes out = {0};
  struct x7_view o;
  size_t pos = 4, groups;
  struct x7_view prev = {0}, name, value;
  (void)state;
  x7t_buf_u32(&t, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    char k[16], v[16];
    size_t kl = (size_t)x7t_rand_below(6) + 1, vl = (size_t)x7t_rand_below(4);
    for (size_t j = 0; j < kl; j++) k[j] = (char)("abcAB-"[x7t_rand_below(6)]);
    for (size_t j = 0; j < vl; j++) v[j] = (char)('0' + x7t_rand_below(10));
    x7t_buf_field(&t, k, kl);
    x7t_buf_field(&t, v, vl);
  }
  /* Selection sort would need ~5e9 comparisons here. */
  assert_x7_ok(
      x7_net_http_spec_headers_canon_join_sorted_v1(x7t_buf_view(&t), &out));
  o = x7_bytes_view(&out);
  groups = le32(o.ptr);
  assert_true(groups > 0 && groups <= n);
  for (size_t i = 0; i < groups; i++) {
    assert_int_equal(x7__http_entry(o, &pos, &name, &value), 0);
    for (size_t j = 0; j < name.len; j++)
      assert_false(name.ptr[j] >= 'A' && name.ptr[j] <= 'Z');
    /* Strictly increasing names: sorted and merged. */
    if (i) assert_true(ref_cmp_range(prev.ptr, prev.len, name.ptr, name.len) <
                       0);
    prev = name;
  }
  assert_int_equal(pos, o.len);
  x7_bytes_free(&out);
  x7t_buf_free(&t);
}

static void req_roundtrip_should_hold_for_random_requests(void **state) {
  (void)state;
  for (int i = 0; i < 3000; i++) {
    size_t url_len = (size_t)x7t_rand_below(48),
           body_len = (size_t)x7t_rand_below(300);
    uint8_t *url = x7t_rand_bytes(url_len), *body = x7t_rand_bytes(body_len);
    struct x7t_buf t = {0}, want_h = {0};
    struct x7_bytes caps = {0}, r = {0}, got = {0};
    struct x7_view cv;
    int caps_ok = 0;
    int32_t m, code;
    struct x7__http_req q;
    rand_table(&t, 6);
    switch (x7t_rand_below(4)) {
    case 0: /* valid caps, maybe with extra bytes */
      assert_x7_ok(x7_net_http_spec_caps_v1(
          (int32_t)x7t_rand_below(3), (int32_t)x7t_rand_below(700),
          (int32_t)x7t_rand_below(200), (int32_t)x7t_rand(),
          (int32_t)x7t_rand(), (int32_t)x7t_rand(), &caps));
      cv = x7_bytes_view(&caps);
      caps_ok = 1;
      break;
    case 1: /* short */
      cv = x7_view_of(body, body_len < 27 ? body_len : 27);
      break;
    case 2: /* NetCapsV1 */
      assert_x7_ok(x7_net_codec_caps_default_v1(&caps));
      cv = x7_bytes_view(&caps);
      break;
    default: /* random bytes: valid only if they happen to start 01000000 */
      cv = x7_view_of(body, body_len);
      caps_ok = body_len >= 28 && le32(body) == 1;
      break;
    }
    ref_canon(x7t_buf_view(&t), &want_h);
    assert_x7_ok(x7_net_http_spec_req_post_v1(x7_view_of(url, url_len),
                                              x7t_buf_view(&t),
                                              x7_view_of(body, body_len), cv,
                                              &r));
    assert_int_equal(r.len, 24 + url_len + want_h.len + body_len +
                                (caps_ok ? cv.len : 28));
    assert_x7_ok(x7_net_http_spec_req_method_v1(x7_bytes_view(&r), &m));
    assert_int_equal(m, 2);
    assert_x7_ok(x7_net_http_spec_req_url_v1(x7_bytes_view(&r), &got));
    assert_bytes_eq(got, x7_view_of(url, url_len));
    x7_bytes_free(&got);
    assert_x7_ok(x7_net_http_spec_req_headers_v1(x7_bytes_view(&r), &got));
    assert_bytes_eq(got, x7t_buf_view(&want_h));
    x7_bytes_free(&got);
    assert_x7_ok(x7_net_http_spec_req_body_v1(x7_bytes_view(&r), &got));
    assert_bytes_eq(got, x7_view_of(body, body_len));
    x7_bytes_free(&got);
    assert_x7_ok(x7_net_http_spec_req_caps_v1(x7_bytes_view(&r), &got));
    if (caps_ok)
      assert_bytes_eq(got, cv);
    else
      assert_bytes_hex(got, V10);
    x7_bytes_free(&got);
    assert_x7_ok(x7__http_req_decode(x7_bytes_view(&r), &q, &code));
    assert_int_equal(code, url_len && memchr(url, 0, url_len) ? 2 : 0);
    x7_bytes_free(&r);
    x7_bytes_free(&caps);
    x7t_buf_free(&t);
    x7t_buf_free(&want_h);
    free(url);
    free(body);
  }
}

static void headers_set_should_keep_one_entry_per_name(void **state) {
  (void)state;
  for (int i = 0; i < 2000; i++) {
    struct x7t_buf t = {0};
    struct x7_bytes out = {0};
    const char *k = pnames[x7t_rand_below(sizeof pnames / sizeof *pnames)];
    struct x7_view o, name, value;
    size_t pos = 4, hits = 0, n_in;
    rand_table(&t, 8);
    n_in = le32(t.p);
    assert_x7_ok(x7_net_http_spec_headers_set_v1(
        x7t_buf_view(&t), x7_view_str(k), x7_view_str("NEW"), &out));
    o = x7_bytes_view(&out);
    assert_true(le32(o.ptr) >= 1 && le32(o.ptr) <= n_in + 1);
    for (uint32_t e = 0; e < le32(o.ptr); e++) {
      assert_int_equal(x7__http_entry(o, &pos, &name, &value), 0);
      if (name.len == strlen(k) &&
          x7__ascii_casecmp_eq(name.ptr, (const uint8_t *)k, name.len)) {
        hits++;
        assert_bytes_str(value, "NEW");
      }
      for (size_t j = 0; j < name.len; j++)
        assert_false(name.ptr[j] >= 'A' && name.ptr[j] <= 'Z');
    }
    assert_int_equal(hits, 1);
    assert_int_equal(pos, o.len);
    x7_bytes_free(&out);
    x7t_buf_free(&t);
  }
}

/* ---- cost, arguments and allocation failure ---- */

static void req_post_should_copy_a_large_body_once(void **state) {
  const size_t n = 1u << 20;
  uint8_t *body = x7t_rand_bytes(n);
  static const char *const hdr[] = {"B", "1", "a", "2", NULL};
  struct x7t_buf t = {0};
  struct x7_bytes r = {0}, r2 = {0}, got = {0};
  long before;
  (void)state;
  tb_table(&t, hdr);
  x7t_failalloc_install(0);
  assert_x7_ok(x7_net_http_spec_req_post_v1(
      x7_view_str("http://x/"), x7_view_of(NULL, 0), x7_view_of(body, n),
      x7_view_of(NULL, 0), &r));
  /* One exact-size allocation: no regrowth, no temporary copies. */
  assert_int_equal(x7t_failalloc_calls(), 1);
  assert_int_equal(r.len, 24 + 9 + 4 + n + 28);
  before = x7t_failalloc_calls();
  assert_x7_ok(x7_net_http_spec_req_post_v1(x7_view_str("http://x/"),
                                            x7t_buf_view(&t), x7_view_of(body, n),
                                            x7_view_of(NULL, 0), &r2));
  /* Plus one scratch block for sorting the headers. */
  assert_int_equal(x7t_failalloc_calls() - before, 2);
  before = x7t_failalloc_calls();
  assert_x7_ok(x7_net_http_spec_req_body_v1(x7_bytes_view(&r2), &got));
  assert_int_equal(x7t_failalloc_calls() - before, 1);
  assert_int_equal(got.len, n);
  assert_memory_equal(got.ptr, body, n);
  x7_bytes_free(&got);
  x7_bytes_free(&r);
  x7_bytes_free(&r2);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
  x7t_buf_free(&t);
  free(body);
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes b = {0};
  int32_t v = 5;
  const struct x7_view bad = x7_view_of(NULL, 1), ok = x7_view_str("x");
  const struct x7_view huge = x7_view_of("x", (size_t)INT32_MAX + 1);
  (void)state;
  assert_x7_result(X7_EINVAL, x7_net_http_spec_method_get(NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_spec_caps_default_v1(NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_spec_caps_v1(0, 0, 0, 0, 0, 0,
                                                       NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_spec_caps_timeout_s_v1(bad, &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_http_spec_headers_empty_v1(NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_headers_push_v1(bad, ok, ok, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_headers_push_v1(ok, bad, ok, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_headers_set_v1(ok, ok, bad, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_headers_set_v1(bad, ok, ok, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_headers_canon_join_sorted_v1(bad, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_req_get_v1(ok, ok, bad, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_req_post_v1(ok, ok, bad, ok, &b));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_spec_req_v1(1, bad, ok, ok, ok, &b));
  assert_x7_result(X7_EINVAL, x7_net_http_spec_req_url_v1(bad, &b));
  assert_x7_result(X7_EINVAL, x7_net_http_spec_req_caps_v1(ok, NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_spec_req_method_v1(bad, &v));
  assert_null(b.ptr);
  /* Lengths a u32 field cannot carry (the data is never read). */
  assert_x7_result(X7_ERANGE,
                   x7_net_http_spec_headers_push_v1(ok, huge, ok, &b));
  assert_x7_result(X7_ERANGE,
                   x7_net_http_spec_headers_set_v1(ok, ok, huge, &b));
  assert_x7_result(X7_ERANGE, x7_net_http_spec_req_post_v1(
                                  huge, ok, ok, x7_view_of(NULL, 0), &b));
  assert_x7_result(X7_ERANGE, x7_net_http_spec_req_post_v1(
                                  ok, ok, huge, x7_view_of(NULL, 0), &b));
  assert_null(b.ptr);
}

typedef x7_result bytes_call(const void *ud, struct x7_bytes *out);

/* Fail every allocation of call in turn: X7_ENOMEM, empty output, no
 * leak; then the unfailed call must still give the reference bytes. */
static void failalloc_sweep(bytes_call *call, const void *ud) {
  struct x7_bytes ref = {0}, out = {0};
  long calls;
  x7t_failalloc_install(0);
  assert_x7_ok(call(ud, &ref));
  calls = x7t_failalloc_calls();
  x7t_failalloc_remove();
  assert_true(calls >= 1);
  for (long i = 1; i <= calls; i++) {
    x7t_failalloc_install(i);
    assert_x7_result(X7_ENOMEM, call(ud, &out));
    assert_null(out.ptr);
    assert_int_equal(out.len, 0);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
  }
  assert_x7_ok(call(ud, &out));
  assert_bytes_eq(out, x7_bytes_view(&ref));
  x7_bytes_free(&out);
  x7_bytes_free(&ref);
}

static struct x7_view fa_table(void) {
  static const uint8_t t[] = {2, 0, 0, 0, 1, 0, 0, 0, 'B', 1, 0, 0, 0, '1',
                              1, 0, 0, 0, 'a', 1, 0, 0, 0, '2'};
  return x7_view_of(t, sizeof t);
}

static x7_result fa_canon(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_headers_canon_join_sorted_v1(fa_table(), out);
}
static x7_result fa_set(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_headers_set_v1(fa_table(), x7_view_str("A"),
                                         x7_view_str("z"), out);
}
static x7_result fa_set_bad(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_headers_set_v1(x7_view_of("\1\0\0\0", 4),
                                         x7_view_str("A"), x7_view_str("z"),
                                         out);
}
static x7_result fa_push(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_headers_push_v1(fa_table(), x7_view_str("A"),
                                          x7_view_str("z"), out);
}
static x7_result fa_post(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_req_post_v1(x7_view_str("http://h/"), fa_table(),
                                      x7_view_str("body"),
                                      x7_view_of(NULL, 0), out);
}
static x7_result fa_get(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_req_get_v1(x7_view_str("http://h/"),
                                     x7_view_of(NULL, 0),
                                     x7_view_of(NULL, 0), out);
}
static x7_result fa_caps(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_caps_v1(1, 2, 3, 4, 5, 6, out);
}
static x7_result fa_caps_default(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_caps_default_v1(out);
}
static x7_result fa_empty(const void *ud, struct x7_bytes *out) {
  (void)ud;
  return x7_net_http_spec_headers_empty_v1(out);
}
static x7_result fa_accessor(const void *ud, struct x7_bytes *out) {
  x7_result (*const *fn)(struct x7_view, struct x7_bytes *) = ud;
  uint8_t *v;
  size_t n;
  x7_result r;
  v = x7t_unhex(V19, &n);
  r = (*fn)(x7_view_of(v, n), out);
  free(v);
  return r;
}

static void twins_should_fail_cleanly_on_every_allocation(void **state) {
  bytes_call *const calls[] = {fa_canon, fa_set,   fa_set_bad,
                               fa_push,  fa_post,  fa_get,
                               fa_caps,  fa_empty, fa_caps_default};
  x7_result (*const acc[4])(struct x7_view, struct x7_bytes *) = {
      x7_net_http_spec_req_url_v1, x7_net_http_spec_req_headers_v1,
      x7_net_http_spec_req_body_v1, x7_net_http_spec_req_caps_v1};
  (void)state;
  for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
    failalloc_sweep(calls[i], NULL);
  for (int i = 0; i < 4; i++) failalloc_sweep(fa_accessor, &acc[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(methods_should_be_get_1_post_2),
      cmocka_unit_test(caps_default_should_match_v10),
      cmocka_unit_test(caps_v1_should_normalise_follow_and_clamp),
      cmocka_unit_test(caps_accessors_should_default_when_invalid),
      cmocka_unit_test(headers_empty_should_be_four_zero_bytes),
      cmocka_unit_test(headers_push_should_build_v11),
      cmocka_unit_test(headers_push_should_handle_odd_tables),
      cmocka_unit_test(headers_canon_should_match_vectors),
      cmocka_unit_test(
          headers_canon_should_order_prefix_first_and_bytes_unsigned),
      cmocka_unit_test(headers_canon_should_give_empty_table_when_malformed),
      cmocka_unit_test(headers_set_should_match_vectors),
      cmocka_unit_test(headers_set_should_append_and_lowercase),
      cmocka_unit_test(headers_set_should_give_one_entry_when_malformed),
      cmocka_unit_test(req_get_should_match_v18),
      cmocka_unit_test(req_post_should_match_v19),
      cmocka_unit_test(req_builder_should_substitute_invalid_caps),
      cmocka_unit_test(req_v1_should_store_any_method),
      cmocka_unit_test(req_accessors_should_read_v18_and_v19),
      cmocka_unit_test(req_accessors_should_ignore_bytes_after_their_field),
      cmocka_unit_test(req_accessors_should_follow_model_under_sweeps),
      cmocka_unit_test(req_decode_should_accept_v18_v19),
      cmocka_unit_test(req_decode_should_reject_e4_cases),
      cmocka_unit_test(req_decode_should_reject_bad_arguments),
      cmocka_unit_test(canon_should_equal_upstream_selection_sort),
      cmocka_unit_test(canon_should_stay_fast_on_large_tables),
      cmocka_unit_test(req_roundtrip_should_hold_for_random_requests),
      cmocka_unit_test(headers_set_should_keep_one_entry_per_name),
      cmocka_unit_test(req_post_should_copy_a_large_body_once),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(twins_should_fail_cleanly_on_every_allocation),
  };
  return cmocka_run_group_tests_name("net_http_spec", tests, NULL, NULL);
}
