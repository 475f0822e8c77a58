/* test_net_http.c - std.net.http response-doc accessors and the x7
 * packers: spec §2.10, §3.8, §9.8, §9.18, vectors V22-V23. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "x7_test.h"

#define V22                                                              \
  "0102c8000000010000000c000000436f6e74656e742d547970650a0000007465787" \
  "42f706c61696e020000006f6b"
#define V23 "0103c80000000000000005000000746d702f7805000000"


static int64_t sle32(const uint8_t *p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
  return v >= 0x80000000u ? (int64_t)v - 0x100000000LL : (int64_t)v;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int eq_nocase(const uint8_t *a, size_t an, const uint8_t *b,
                     size_t bn) {
  if (an != bn) return 0;
  for (size_t i = 0; i < an; i++)
    if (lower(a[i]) != lower(b[i])) return 0;
  return 1;
}

/* ---- reference model of the upstream accessors ---- */

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

static int ref_tail(struct x7_view d, int ver, int64_t *ppos) {
  int64_t count, off, len;
  if (d.len < 14 || d.ptr[0] != 1 || d.ptr[1] != ver) return -1;
  count = sle32(d.ptr + 6);
  if (count < 0) return -1;
  *ppos = 10;
  for (int64_t i = 0; i < count; i++)
    if (ref_field(d, ppos, &off, &len) || ref_field(d, ppos, &off, &len))
      return -1;
  return 0;
}

/* Offset/length of the wanted slice, or -1 for "empty". */
static int ref_body(struct x7_view d, int ver, int64_t *poff,
                    int64_t *plen) {
  int64_t pos;
  return ref_tail(d, ver, &pos) || ref_field(d, &pos, poff, plen) ? -1 : 0;
}

static int64_t ref_file_len(struct x7_view d) {
  int64_t pos, off, len;
  if (ref_tail(d, 3, &pos) || ref_field(d, &pos, &off, &len) ||
      pos + 4 > (int64_t)d.len)
    return 0;
  return sle32(d.ptr + pos);
}

static int ref_header_get(struct x7_view d, const char *name, int64_t *poff,
                          int64_t *plen) {
  int64_t count, pos = 10, noff, nlen;
  if (d.len < 10 || d.ptr[0] != 1 || (d.ptr[1] != 2 && d.ptr[1] != 3))
    return -1;
  count = sle32(d.ptr + 6);
  for (int64_t i = 0; i < count; i++) {
    if (ref_field(d, &pos, &noff, &nlen) || ref_field(d, &pos, poff, plen))
      return -1;
    if (eq_nocase(d.ptr + noff, (size_t)nlen, (const uint8_t *)name,
                  strlen(name)))
      return 0;
  }
  return -1;
}

/* ---- helpers ---- */

struct all {
  int32_t is_err, err_code, ver, status, count, file_len;
  struct x7_bytes hdr, body, path;
};

/* Every accessor of the module on doc; hdr looks up `name`. */
static void read_all(struct x7_view doc, const char *name, struct all *a) {
  memset(a, 0, sizeof *a);
  assert_x7_ok(x7_net_http_resp_is_err_v1(doc, &a->is_err));
  assert_x7_ok(x7_net_http_resp_err_code_v1(doc, &a->err_code));
  assert_x7_ok(x7_net_http_resp_ver_v1(doc, &a->ver));
  assert_x7_ok(x7_net_http_resp_status_v1(doc, &a->status));
  assert_x7_ok(x7_net_http_resp_header_count_v1(doc, &a->count));
  assert_x7_ok(x7_net_http_resp_file_len_v1(doc, &a->file_len));
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(doc, x7_view_str(name), &a->hdr));
  assert_x7_ok(x7_net_http_resp_body_v1(doc, &a->body));
  assert_x7_ok(x7_net_http_resp_file_path_v1(doc, &a->path));
}

static void free_all(struct all *a) {
  x7_bytes_free(&a->hdr);
  x7_bytes_free(&a->body);
  x7_bytes_free(&a->path);
}

/* The model's verdict for every accessor. */
static void check_model(struct x7_view d, const char *name,
                        const struct all *a) {
  int64_t off = 0, len = 0;
  assert_int_equal(a->is_err, d.len < 1 || d.ptr[0] == 0);
  assert_int_equal(a->err_code,
                   d.len >= 5 && d.ptr[0] == 0 ? sle32(d.ptr + 1) : 0);
  assert_int_equal(a->ver, d.len >= 2 && d.ptr[0] == 1 ? d.ptr[1] : 0);
  assert_int_equal(a->status,
                   d.len >= 6 && d.ptr[0] == 1 ? sle32(d.ptr + 2) : 0);
  assert_int_equal(a->count,
                   d.len >= 10 && d.ptr[0] == 1 ? sle32(d.ptr + 6) : 0);
  assert_int_equal(a->file_len, ref_file_len(d));
  if (ref_header_get(d, name, &off, &len))
    assert_int_equal(a->hdr.len, 0);
  else
    assert_bytes_eq(a->hdr, x7_view_of(d.ptr + off, (size_t)len));
  if (ref_body(d, 2, &off, &len))
    assert_int_equal(a->body.len, 0);
  else
    assert_bytes_eq(a->body, x7_view_of(d.ptr + off, (size_t)len));
  if (ref_body(d, 3, &off, &len))
    assert_int_equal(a->path.len, 0);
  else
    assert_bytes_eq(a->path, x7_view_of(d.ptr + off, (size_t)len));
}

static struct x7_view hx(uint8_t **pbuf, const char *hex) {
  size_t n;
  *pbuf = x7t_unhex(hex, &n);
  return x7_view_of(*pbuf, n);
}

/* ---- vectors ---- */

static void accessors_should_read_v22(void **state) {
  uint8_t *buf;
  struct x7_view d = hx(&buf, V22);
  struct all a;
  struct x7_bytes b = {0};
  (void)state;
  read_all(d, "content-type", &a);
  assert_int_equal(a.is_err, 0);
  assert_int_equal(a.err_code, 0);
  assert_int_equal(a.ver, 2);
  assert_int_equal(a.status, 200);
  assert_int_equal(a.count, 1);
  assert_bytes_str(a.hdr, "text/plain");
  assert_bytes_str(a.body, "ok");
  assert_int_equal(a.path.len, 0);
  assert_int_equal(a.file_len, 0);
  free_all(&a);
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(d, x7_view_str("CONTENT-TYPE"), &b));
  assert_bytes_str(b, "text/plain");
  x7_bytes_free(&b);
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(d, x7_view_str("content-typ"), &b));
  assert_int_equal(b.len, 0);
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(d, x7_view_str("content-types"), &b));
  assert_int_equal(b.len, 0);
  free(buf);
}

static void accessors_should_read_v23(void **state) {
  uint8_t *buf;
  struct x7_view d = hx(&buf, V23);
  struct all a;
  (void)state;
  read_all(d, "content-type", &a);
  assert_int_equal(a.is_err, 0);
  assert_int_equal(a.ver, 3);
  assert_int_equal(a.status, 200);
  assert_int_equal(a.count, 0);
  assert_int_equal(a.hdr.len, 0);
  assert_int_equal(a.body.len, 0); /* resp_body is ver 2 only */
  assert_bytes_str(a.path, "tmp/x");
  assert_int_equal(a.file_len, 5);
  free_all(&a);
  free(buf);
}

static void pack_should_rebuild_v22_and_v23(void **state) {
  struct x7t_buf t = {0};
  struct x7_bytes d = {0};
  (void)state;
  x7t_buf_u32(&t, 1);
  x7t_buf_field(&t, "Content-Type", 12);
  x7t_buf_field(&t, "text/plain", 10);
  assert_x7_ok(
      x7_net_http_resp_pack_v2(200, x7t_buf_view(&t), x7_view_str("ok"), &d));
  assert_bytes_hex(d, V22);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_http_resp_pack_v3(200, x7_view_of(NULL, 0),
                                        x7_view_str("tmp/x"), 5, &d));
  assert_bytes_hex(d, V23);
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_http_resp_pack_v3(200, x7_view_of("\0\0\0\0", 4),
                                        x7_view_str("tmp/x"), 5, &d));
  assert_bytes_hex(d, V23);
  x7_bytes_free(&d);
  /* Empty body, status 0 (file://), negative file_len as bit pattern. */
  assert_x7_ok(x7_net_http_resp_pack_v2(0, x7_view_of(NULL, 0),
                                        x7_view_of(NULL, 0), &d));
  assert_bytes_hex(d, "01020000000000000000" "00000000");
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_http_resp_pack_v3(-1, x7_view_of(NULL, 0),
                                        x7_view_of(NULL, 0), -2, &d));
  assert_bytes_hex(d, "0103ffffffff00000000" "00000000" "feffffff");
  x7_bytes_free(&d);
  x7t_buf_free(&t);
}

/* ---- error docs and odd layouts ---- */

static void is_err_should_treat_empty_as_error(void **state) {
  uint8_t *buf;
  struct all a;
  (void)state;
  /* §9.18: unlike std.net.err.is_err_doc_v1, empty is an error here. */
  read_all(x7_view_of(NULL, 0), "x", &a);
  assert_int_equal(a.is_err, 1);
  assert_int_equal(a.err_code, 0);
  free_all(&a);
  read_all(hx(&buf, "000300000000000000"), "x", &a);
  assert_int_equal(a.is_err, 1);
  assert_int_equal(a.err_code, 3);
  assert_int_equal(a.ver, 0);
  assert_int_equal(a.status, 0);
  assert_int_equal(a.count, 0);
  assert_int_equal(a.body.len, 0);
  free_all(&a);
  free(buf);
  read_all(hx(&buf, "00"), "x", &a);
  assert_int_equal(a.is_err, 1);
  assert_int_equal(a.err_code, 0);
  free_all(&a);
  free(buf);
  read_all(hx(&buf, "02"), "x", &a);
  assert_int_equal(a.is_err, 0);
  assert_int_equal(a.ver, 0);
  free_all(&a);
  free(buf);
}

static void body_should_reject_ver1_and_short_docs(void **state) {
  uint8_t *buf;
  struct all a;
  (void)state;
  /* Legacy HttpRespV1 (ver 1): the offset helper rejects it. */
  read_all(hx(&buf, "0101c800000000000000020000006f6b"), "x", &a);
  assert_int_equal(a.ver, 1);
  assert_int_equal(a.status, 200);
  assert_int_equal(a.body.len, 0);
  free_all(&a);
  free(buf);
  /* ver 2 with an empty body is 14 bytes; 13 is too short for anything
   * behind the header. */
  read_all(hx(&buf, "0102c80000000000000000000000"), "x", &a);
  assert_int_equal(a.body.len, 0);
  assert_int_equal(a.count, 0);
  free_all(&a);
  free(buf);
  /* Bytes after the body are ignored. */
  read_all(hx(&buf, "0102c800000000000000020000006f6bffff"), "x", &a);
  assert_bytes_str(a.body, "ok");
  free_all(&a);
  free(buf);
  /* A negative header count hides the body. */
  read_all(hx(&buf, "0102c8000000ffffffff020000006f6b"), "x", &a);
  assert_int_equal(a.count, -1);
  assert_int_equal(a.body.len, 0);
  free_all(&a);
  free(buf);
}

static void header_get_should_walk_with_bounds_checks(void **state) {
  struct x7t_buf d = {0};
  struct x7_bytes b = {0};
  (void)state;
  /* ver 2, claims 3 headers, has 2 valid ones, then nothing. */
  x7t_buf_add(&d, "\x01\x02\xc8\0\0\0", 6);
  x7t_buf_u32(&d, 3);
  x7t_buf_field(&d, "X-A", 3);
  x7t_buf_field(&d, "first", 5);
  x7t_buf_field(&d, "x-a", 3);
  x7t_buf_field(&d, "second", 6);
  /* First match wins, case-insensitively, even with a bad region after. */
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(x7t_buf_view(&d), x7_view_str("x-A"), &b));
  assert_bytes_str(b, "first");
  x7_bytes_free(&b);
  /* A name not found before the bad entry: empty. */
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(x7t_buf_view(&d), x7_view_str("nope"), &b));
  assert_int_equal(b.len, 0);
  /* The malformed header region hides the body. */
  assert_x7_ok(x7_net_http_resp_body_v1(x7t_buf_view(&d), &b));
  assert_int_equal(b.len, 0);
  /* A matching entry whose value runs off the end is not returned. */
  x7t_buf_free(&d);
  x7t_buf_add(&d, "\x01\x03\xc8\0\0\0", 6);
  x7t_buf_u32(&d, 1);
  x7t_buf_field(&d, "k", 1);
  x7t_buf_u32(&d, 9);
  x7t_buf_add(&d, "short", 5);
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(x7t_buf_view(&d), x7_view_str("K"), &b));
  assert_int_equal(b.len, 0);
  /* ver 1 docs have no readable headers. */
  d.p[1] = 1;
  d.p[15] = 5; /* value fits now */
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(x7t_buf_view(&d), x7_view_str("k"), &b));
  assert_int_equal(b.len, 0);
  d.p[1] = 3;
  assert_x7_ok(
      x7_net_http_resp_header_get_v1(x7t_buf_view(&d), x7_view_str("k"), &b));
  assert_bytes_str(b, "short");
  x7_bytes_free(&b);
  x7t_buf_free(&d);
}

/* ---- sweeps ---- */

struct sweep {
  const char *name;   /* header looked up */
  int vec;            /* 22 or 23 */
  struct x7_view orig;
};

static void probe_resp(void *ud, enum x7t_mutation kind, size_t pos,
                       struct x7_view in) {
  const struct sweep *s = ud;
  struct all a;
  read_all(in, s->name, &a);
  check_model(in, s->name, &a);
  /* Pins that do not depend on the model. */
  if (kind == X7T_TRUNC) {
    assert_int_equal(a.is_err, pos == 0);
    assert_int_equal(a.ver, pos >= 2 ? s->orig.ptr[1] : 0);
    assert_int_equal(a.status, pos >= 6 ? 200 : 0);
    assert_int_equal(a.body.len, 0); /* the body always ends the doc */
    assert_int_equal(a.file_len, 0);
    if (s->vec == 22) {
      assert_int_equal(a.count, pos >= 10 ? 1 : 0);
      if (pos >= 40) assert_bytes_str(a.hdr, "text/plain");
      else assert_int_equal(a.hdr.len, 0);
    } else {
      if (pos >= 19) assert_bytes_str(a.path, "tmp/x");
      else assert_int_equal(a.path.len, 0);
    }
  } else if (pos == 0) {
    assert_int_equal(a.is_err, in.ptr[0] == 0);
    assert_int_equal(a.ver, 0);
    assert_int_equal(a.status, 0);
    assert_int_equal(a.hdr.len + a.body.len + a.path.len, 0);
  } else if (pos == 1) {
    assert_int_equal(a.ver, in.ptr[1]);
    /* Changing the ver swaps the tail's meaning: a ver-3 view of V22 reads
     * its body as the path, a ver-2 view of V23 reads the path as body. */
    if (s->vec == 22) {
      assert_int_equal(a.body.len, 0);
      if (in.ptr[1] == 3) {
        assert_bytes_str(a.hdr, "text/plain");
        assert_bytes_str(a.path, "ok");
      } else {
        assert_int_equal(a.hdr.len + a.path.len, 0);
      }
    } else {
      assert_int_equal(a.path.len, 0);
      if (in.ptr[1] == 2) assert_bytes_str(a.body, "tmp/x");
      else assert_int_equal(a.body.len, 0);
    }
  } else if (pos < 6) {
    assert_int_equal(a.status, sle32(in.ptr + 2));
    if (s->vec == 22) assert_bytes_str(a.body, "ok");
    else assert_bytes_str(a.path, "tmp/x");
  } else if (s->vec == 22 && pos >= 14 && pos < 26) {
    /* A byte of the header name: the lookup folds ASCII case only, so the
     * other case of the same letter still matches and every other value
     * (non-ASCII bytes, anything in place of the '-') misses. */
    const uint8_t o = s->orig.ptr[pos], v = in.ptr[pos];
    const int is_alpha = (o | 0x20) >= 'a' && (o | 0x20) <= 'z';
    if (is_alpha && v == (o ^ 0x20))
      assert_bytes_str(a.hdr, "text/plain");
    else
      assert_int_equal(a.hdr.len, 0);
    assert_bytes_str(a.body, "ok");
  } else if (s->vec == 22 && pos >= 30 && pos < 40) {
    assert_bytes_eq(a.hdr, x7_view_of(in.ptr + 30, 10));
    assert_bytes_str(a.body, "ok");
  } else if (s->vec == 22 && pos >= 44) {
    assert_bytes_eq(a.body, x7_view_of(in.ptr + 44, 2));
    assert_bytes_str(a.hdr, "text/plain");
  } else if (s->vec == 23 && pos >= 14 && pos < 19) {
    assert_bytes_eq(a.path, x7_view_of(in.ptr + 14, 5));
    assert_int_equal(a.file_len, 5);
  } else if (s->vec == 23 && pos >= 19) {
    assert_bytes_str(a.path, "tmp/x");
    assert_int_equal(a.file_len, sle32(in.ptr + 19));
  }
  free_all(&a);
}

static void accessors_should_follow_model_under_sweeps(void **state) {
  struct {
    const char *hex;
    int vec;
  } const vecs[] = {{V22, 22}, {V23, 23}};
  (void)state;
  for (int i = 0; i < 2; i++) {
    uint8_t *buf;
    struct sweep s;
    s.orig = hx(&buf, vecs[i].hex);
    s.vec = vecs[i].vec;
    s.name = "content-type";
    x7t_sweep_truncations(buf, s.orig.len, probe_resp, &s);
    x7t_sweep_corruptions(buf, s.orig.len, probe_resp, &s);
    free(buf);
  }
}

/* ---- properties ---- */

static const char *const names[] = {"Content-Type", "content-type", "X-A",
                                    "x-a",          "Set-Cookie",   "",
                                    "\xc3\xa9",     "ETag"};

static void rand_table(struct x7t_buf *t, size_t *pcount) {
  size_t n = (size_t)x7t_rand_below(7);
  x7t_buf_u32(t, (uint32_t)n);
  for (size_t i = 0; i < n; i++) {
    const char *k = names[x7t_rand_below(sizeof names / sizeof *names)];
    size_t vl = (size_t)x7t_rand_below(20);
    uint8_t *v = x7t_rand_bytes(vl);
    x7t_buf_field(t, k, strlen(k));
    x7t_buf_field(t, v, vl);
    free(v);
  }
  *pcount = n;
}

/* The first entry of the table whose name matches, by a plain walk. */
static int table_find(struct x7_view t, const char *name,
                      struct x7_view *pv) {
  int64_t pos = 4, off = 0, len = 0, voff = 0, vlen = 0;
  for (int64_t i = 0; i < sle32(t.ptr); i++) {
    assert_int_equal(ref_field(t, &pos, &off, &len), 0);
    assert_int_equal(ref_field(t, &pos, &voff, &vlen), 0);
    if (eq_nocase(t.ptr + off, (size_t)len, (const uint8_t *)name,
                  strlen(name))) {
      *pv = x7_view_of(t.ptr + voff, (size_t)vlen);
      return 0;
    }
  }
  return -1;
}

static void pack_roundtrip_should_hold(void **state) {
  (void)state;
  for (int i = 0; i < 4000; i++) {
    struct x7t_buf t = {0};
    size_t count, bl = (size_t)x7t_rand_below(200);
    uint8_t *bytes = x7t_rand_bytes(bl);
    int32_t status = (int32_t)(uint32_t)x7t_rand();
    int32_t flen = (int32_t)(uint32_t)x7t_rand();
    int v3 = (int)x7t_rand_below(2);
    const char *q = names[x7t_rand_below(sizeof names / sizeof *names)];
    struct x7_bytes d = {0};
    struct x7_view want;
    struct all a;
    rand_table(&t, &count);
    if (v3)
      assert_x7_ok(x7_net_http_resp_pack_v3(status, x7t_buf_view(&t),
                                            x7_view_of(bytes, bl), flen, &d));
    else
      assert_x7_ok(x7_net_http_resp_pack_v2(status, x7t_buf_view(&t),
                                            x7_view_of(bytes, bl), &d));
    read_all(x7_bytes_view(&d), q, &a);
    check_model(x7_bytes_view(&d), q, &a);
    assert_int_equal(a.is_err, 0);
    assert_int_equal(a.ver, v3 ? 3 : 2);
    assert_int_equal(a.status, status);
    assert_int_equal(a.count, count);
    if (table_find(x7t_buf_view(&t), q, &want) == 0)
      assert_bytes_eq(a.hdr, want);
    else
      assert_int_equal(a.hdr.len, 0);
    assert_bytes_eq(v3 ? a.path : a.body, x7_view_of(bytes, bl));
    assert_int_equal((v3 ? a.body : a.path).len, 0);
    assert_int_equal(a.file_len, v3 ? flen : 0);
    free_all(&a);
    x7_bytes_free(&d);
    x7t_buf_free(&t);
    free(bytes);
  }
}

/* ---- arguments and allocation failure ---- */

static void pack_should_reject_malformed_tables(void **state) {
  static const char *const bad[] = {
      "01", "000000", "ffffffff", "01000000", "0100000001000000",
      "01000000010000006101000000", "0000000000",
      "01000000010000006100000000ff", "0100000000000080"};
  struct x7_bytes d = {0};
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    uint8_t *buf;
    struct x7_view t = hx(&buf, bad[i]);
    assert_x7_result(X7_EINVAL, x7_net_http_resp_pack_v2(
                                    200, t, x7_view_str("ok"), &d));
    assert_null(d.ptr);
    assert_x7_result(X7_EINVAL, x7_net_http_resp_pack_v3(
                                    200, t, x7_view_str("p"), 1, &d));
    assert_null(d.ptr);
    free(buf);
  }
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes d = {0};
  int32_t v = 9;
  const struct x7_view bad = x7_view_of(NULL, 2), ok = x7_view_str("ok");
  const struct x7_view huge = x7_view_of("x", (size_t)INT32_MAX + 1);
  (void)state;
  assert_x7_result(X7_EINVAL, x7_net_http_resp_is_err_v1(ok, NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_is_err_v1(bad, &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_http_resp_err_code_v1(bad, &v));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_ver_v1(bad, &v));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_status_v1(bad, &v));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_header_count_v1(bad, &v));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_file_len_v1(bad, &v));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_header_get_v1(ok, bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_header_get_v1(bad, ok, &d));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_header_get_v1(ok, ok, NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_body_v1(bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_file_path_v1(bad, &d));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_pack_v2(1, bad, ok, &d));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_pack_v2(1, ok, bad, &d));
  assert_x7_result(X7_EINVAL,
                   x7_net_http_resp_pack_v2(1, x7_view_of(NULL, 0), ok,
                                            NULL));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_pack_v3(1, bad, ok, 0, &d));
  assert_x7_result(X7_EINVAL, x7_net_http_resp_pack_v3(1, ok, bad, 0, &d));
  assert_x7_result(X7_ERANGE, x7_net_http_resp_pack_v2(
                                  1, x7_view_of(NULL, 0), huge, &d));
  assert_x7_result(X7_ERANGE, x7_net_http_resp_pack_v3(
                                  1, x7_view_of(NULL, 0), huge, 0, &d));
  assert_null(d.ptr);
}

typedef x7_result bytes_call(struct x7_view doc, struct x7_bytes *out);

static x7_result call_hdr(struct x7_view doc, struct x7_bytes *out) {
  return x7_net_http_resp_header_get_v1(doc, x7_view_str("content-type"),
                                        out);
}
static x7_result call_pack2(struct x7_view doc, struct x7_bytes *out) {
  (void)doc;
  return x7_net_http_resp_pack_v2(
      200, x7_view_of("\1\0\0\0\1\0\0\0a\1\0\0\0b", 14), x7_view_str("ok"),
      out);
}
static x7_result call_pack3(struct x7_view doc, struct x7_bytes *out) {
  (void)doc;
  return x7_net_http_resp_pack_v3(200, x7_view_of(NULL, 0),
                                  x7_view_str("tmp/x"), 5, out);
}

static void twins_should_fail_cleanly_on_every_allocation(void **state) {
  struct {
    bytes_call *fn;
    const char *hex;
  } const calls[] = {{call_hdr, V22},
                     {x7_net_http_resp_body_v1, V22},
                     {x7_net_http_resp_file_path_v1, V23},
                     {call_pack2, ""},
                     {call_pack3, ""}};
  (void)state;
  for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
    uint8_t *buf;
    struct x7_view d = hx(&buf, calls[i].hex);
    struct x7_bytes ref = {0}, out = {0};
    long n;
    x7t_failalloc_install(0);
    assert_x7_ok(calls[i].fn(d, &ref));
    n = x7t_failalloc_calls();
    x7t_failalloc_remove();
    assert_int_equal(n, 1); /* each result is one exact allocation */
    for (long k = 1; k <= n; k++) {
      x7t_failalloc_install(k);
      assert_x7_result(X7_ENOMEM, calls[i].fn(d, &out));
      assert_null(out.ptr);
      assert_int_equal(out.len, 0);
      assert_int_equal(x7t_failalloc_live(), 0);
      x7t_failalloc_remove();
    }
    x7_bytes_free(&ref);
    free(buf);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accessors_should_read_v22),
      cmocka_unit_test(accessors_should_read_v23),
      cmocka_unit_test(pack_should_rebuild_v22_and_v23),
      cmocka_unit_test(is_err_should_treat_empty_as_error),
      cmocka_unit_test(body_should_reject_ver1_and_short_docs),
      cmocka_unit_test(header_get_should_walk_with_bounds_checks),
      cmocka_unit_test(accessors_should_follow_model_under_sweeps),
      cmocka_unit_test(pack_roundtrip_should_hold),
      cmocka_unit_test(pack_should_reject_malformed_tables),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(twins_should_fail_cleanly_on_every_allocation),
  };
  return cmocka_run_group_tests_name("net_http", tests, NULL, NULL);
}
