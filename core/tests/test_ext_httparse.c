/* test_ext_httparse.c - ext.httparse twins: spec §2.12, §7.3, vectors
 * H1-H8, sweeps, properties, allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/ext_http_types.h>
#include <x7/ext_httparse.h>
#include <x7/x7_mem.h>

#include "x7_test.h"

#define V(s) x7_view_of((s), sizeof(s) - 1)

/* ---- test-local byte helpers ---- */

static uint32_t rd32_at(const uint8_t *p, size_t off) {
  return (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 |
         (uint32_t)p[off + 2] << 16 | (uint32_t)p[off + 3] << 24;
}

static void wr32_at(uint8_t *p, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static int is_alpha(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int casecmp_eq(const uint8_t *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != lower((uint8_t)b[i])) return 0;
  return 1;
}

/* A growable scratch buffer for building random inputs. */
struct tbuf {
  uint8_t *ptr;
  size_t len, cap;
};

static void tbuf_add(struct tbuf *t, const void *p, size_t n) {
  if (n > t->cap - t->len) {
    t->cap = (t->len + n) * 2 + 16;
    t->ptr = realloc(t->ptr, t->cap);
    assert_non_null(t->ptr);
  }
  if (n) memcpy(t->ptr + t->len, p, n);
  t->len += n;
}

static void tbuf_u8(struct tbuf *t, uint8_t c) { tbuf_add(t, &c, 1); }

static struct x7_view tbuf_view(const struct tbuf *t) {
  return x7_view_of(t->ptr, t->len);
}

static void tbuf_free(struct tbuf *t) {
  free(t->ptr);
  memset(t, 0, sizeof *t);
}

static const char h1_msg[] =
    "GET /path?x=1 HTTP/1.1\r\nHost: Example.COM\r\n"
    "Content-Type: text/plain\r\n\r\nhello";
static const char h1_hex[] =
    "010100000e00000008000000000000000300000004000000090000000000000000000000"
    "000000000200000018000000040000001e0000000b0000002b0000000c000000390000"
    "000a0000004700000005000000";
static const char h3_msg[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok";
static const char h3_hex[] =
    "01020000000000000800000000000000000000000000000000000000c80000000d"
    "0000000200000001000000110000000c0000001f0000000a0000002d00000002000000";

/* ---- small helpers ---- */

static struct x7_bytes parse_req(struct x7_view msg) {
  struct x7_bytes d = {0};
  assert_x7_ok(x7_ext_httparse_parse_request(msg, &d));
  return d;
}

static struct x7_bytes parse_resp(struct x7_view msg) {
  struct x7_bytes d = {0};
  assert_x7_ok(x7_ext_httparse_parse_response(msg, &d));
  return d;
}

static int32_t i32_of(x7_result (*fn)(struct x7_view, int32_t *),
                      struct x7_view doc) {
  int32_t v = 12345;
  assert_x7_ok(fn(doc, &v));
  return v;
}

static void assert_err_code(struct x7_bytes d, int32_t code) {
  char hex[19];
  snprintf(hex, sizeof hex, "00%02x00000000000000", (unsigned)code);
  assert_bytes_hex(d, hex);
  assert_int_equal(i32_of(x7_ext_httparse_is_err, x7_bytes_view(&d)), 1);
  assert_int_equal(i32_of(x7_ext_httparse_err_code, x7_bytes_view(&d)), code);
  assert_int_equal(i32_of(x7_ext_httparse_kind, x7_bytes_view(&d)), 0);
}

static void req_code(const char *msg, size_t n, int32_t code) {
  struct x7_bytes d = parse_req(x7_view_of(msg, n));
  assert_err_code(d, code);
  x7_bytes_free(&d);
}

static void resp_code(const char *msg, size_t n, int32_t code) {
  struct x7_bytes d = parse_resp(x7_view_of(msg, n));
  assert_err_code(d, code);
  x7_bytes_free(&d);
}
#define REQ_CODE(s, c) req_code((s), sizeof(s) - 1, (c))
#define RESP_CODE(s, c) resp_code((s), sizeof(s) - 1, (c))

typedef x7_result slice_fn(struct x7_view, struct x7_view, struct x7_bytes *);

static void assert_slice(slice_fn *fn, struct x7_view doc, struct x7_view msg,
                         const char *want) {
  struct x7_bytes b = {0};
  assert_x7_ok(fn(doc, msg, &b));
  assert_bytes_str(b, want);
  x7_bytes_free(&b);
}

static void assert_hname(struct x7_view doc, struct x7_view msg, int32_t i,
                         const char *want) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_httparse_header_name(doc, msg, i, &b));
  assert_bytes_str(b, want);
  x7_bytes_free(&b);
}

static void assert_hvalue(struct x7_view doc, struct x7_view msg, int32_t i,
                          const char *want) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_httparse_header_value(doc, msg, i, &b));
  assert_bytes_str(b, want);
  x7_bytes_free(&b);
}

static void assert_hget(struct x7_view doc, struct x7_view msg,
                        const char *name, const char *want) {
  struct x7_bytes b = {0};
  assert_x7_ok(x7_ext_httparse_header_get(doc, msg, x7_view_str(name), &b));
  assert_bytes_str(b, want);
  x7_bytes_free(&b);
}

/* ---- vectors ---- */

static void parse_request_should_match_h1(void **state) {
  struct x7_view msg = V(h1_msg);
  struct x7_bytes d = parse_req(msg);
  struct x7_view dv = x7_bytes_view(&d);
  (void)state;
  assert_bytes_hex(d, h1_hex);
  assert_int_equal(i32_of(x7_ext_httparse_is_err, dv), 0);
  assert_int_equal(i32_of(x7_ext_httparse_err_code, dv), 0);
  assert_int_equal(i32_of(x7_ext_httparse_kind, dv), 1);
  assert_int_equal(i32_of(x7_ext_httparse_status_code, dv), 0);
  assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), 2);
  assert_slice(x7_ext_httparse_version, dv, msg, "HTTP/1.1");
  assert_slice(x7_ext_httparse_method, dv, msg, "GET");
  assert_slice(x7_ext_httparse_target, dv, msg, "/path?x=1");
  assert_slice(x7_ext_httparse_reason, dv, msg, "");
  assert_slice(x7_ext_httparse_body, dv, msg, "hello");
  assert_hname(dv, msg, 0, "Host");
  assert_hvalue(dv, msg, 0, "Example.COM");
  assert_hname(dv, msg, 1, "Content-Type");
  assert_hvalue(dv, msg, 1, "text/plain");
  assert_hname(dv, msg, 2, "");
  assert_hname(dv, msg, -1, "");
  assert_hget(dv, msg, "host", "Example.COM");
  assert_hget(dv, msg, "CONTENT-TYPE", "text/plain");
  assert_hget(dv, msg, "content-typ", "");
  assert_hget(dv, msg, "content-type ", "");
  assert_hget(dv, msg, "", "");
  x7_bytes_free(&d);
}

static void parse_request_should_match_h2(void **state) {
  static const char m[] = "GET / HTTP/1.1\r\n\r\nhi";
  struct x7_bytes d = parse_req(V(m));
  struct x7_view dv = x7_bytes_view(&d);
  (void)state;
  assert_bytes_hex(d,
                   "01010000060000000800000000000000030000000400000001000"
                   "000000000000000000000000000000000001200000002000000");
  assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), 0);
  assert_slice(x7_ext_httparse_body, dv, V(m), "hi");
  assert_slice(x7_ext_httparse_target, dv, V(m), "/");
  x7_bytes_free(&d);
}

static void parse_response_should_match_h3(void **state) {
  struct x7_view msg = V(h3_msg);
  struct x7_bytes d = parse_resp(msg);
  struct x7_view dv = x7_bytes_view(&d);
  (void)state;
  assert_bytes_hex(d, h3_hex);
  assert_int_equal(i32_of(x7_ext_httparse_kind, dv), 2);
  assert_int_equal(i32_of(x7_ext_httparse_status_code, dv), 200);
  assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), 1);
  assert_slice(x7_ext_httparse_version, dv, msg, "HTTP/1.1");
  assert_slice(x7_ext_httparse_reason, dv, msg, "OK");
  assert_slice(x7_ext_httparse_method, dv, msg, "");
  assert_slice(x7_ext_httparse_target, dv, msg, "");
  assert_slice(x7_ext_httparse_body, dv, msg, "ok");
  assert_hget(dv, msg, "content-type", "text/plain");
  x7_bytes_free(&d);
}

static void parse_should_give_error_docs_h4_to_h7(void **state) {
  (void)state;
  REQ_CODE("GET / HTTP/1.1\r\nHost: x\r\n", 1);       /* H4 */
  REQ_CODE("GET / HTTP/1.1\r\nBadHeader\r\n\r\n", 3); /* H5 */
  REQ_CODE("GET /\r\n\r\n", 2);                       /* H6 */
  RESP_CODE("HTTP/1.1 2x0 OK\r\n\r\n", 4);            /* H7 */
}

static void parse_response_should_match_h8(void **state) {
  static const char m[] = "HTTP/1.1 204\r\n\r\n";
  struct x7_bytes d = parse_resp(V(m));
  struct x7_view dv = x7_bytes_view(&d);
  (void)state;
  assert_bytes_hex(d,
                   "010200000000000008000000000000000000000000000000000000"
                   "00cc0000000c000000000000000000000010000000"
                   "00000000");
  assert_int_equal(i32_of(x7_ext_httparse_status_code, dv), 204);
  assert_slice(x7_ext_httparse_reason, dv, V(m), "");
  assert_slice(x7_ext_httparse_body, dv, V(m), "");
  x7_bytes_free(&d);
}

/* ---- §7.3 rules one by one ---- */

static void request_line_should_follow_spec_rules(void **state) {
  struct x7_bytes d;
  (void)state;
  REQ_CODE("", 1);
  REQ_CODE("GET / HTTP/1.1", 1);       /* no CRLF at all */
  REQ_CODE("GET / HTTP/1.1\n\n", 1);   /* bare LF is not a line end */
  REQ_CODE("GET / HTTP/1.1\r\n", 1);   /* no blank line */
  REQ_CODE("GET / HTTP/1.1\r\n\r", 1); /* half a blank line */
  REQ_CODE(" / HTTP/1.1\r\n\r\n", 2);  /* empty method */
  REQ_CODE("GET\r\n\r\n", 2);          /* no SP */
  REQ_CODE("GET  \t \r\n\r\n", 2);     /* empty target */
  REQ_CODE("GET /x\r\n\r\n", 2);       /* target not ended by SP */
  REQ_CODE("GET /x \r\n\r\n", 2);      /* empty version */
  REQ_CODE("GET /x  \t\r\n\r\n", 2);   /* version only OWS */
  /* The start line is checked before the headers. */
  REQ_CODE("GET /\r\nBad\r\n\r\n", 2);

  /* Target after SP plus any SP/HT; version trimmed, inner SP kept. */
  {
    static const char m[] = "M \t /a\tb  HTTP/9 x \t\r\n\r\n";
    d = parse_req(V(m));
    assert_slice(x7_ext_httparse_method, x7_bytes_view(&d), V(m), "M");
    assert_slice(x7_ext_httparse_target, x7_bytes_view(&d), V(m), "/a\tb");
    assert_slice(x7_ext_httparse_version, x7_bytes_view(&d), V(m), "HTTP/9 x");
    x7_bytes_free(&d);
  }
  /* No token or charset validation at all. */
  {
    static const char m[] = "\x01\xff :// \x80\r\n\r\n";
    d = parse_req(V(m));
    assert_slice(x7_ext_httparse_method, x7_bytes_view(&d), V(m), "\x01\xff");
    assert_slice(x7_ext_httparse_target, x7_bytes_view(&d), V(m), "://");
    assert_slice(x7_ext_httparse_version, x7_bytes_view(&d), V(m), "\x80");
    x7_bytes_free(&d);
  }
}

static void status_line_should_follow_spec_rules(void **state) {
  struct x7_bytes d;
  (void)state;
  RESP_CODE("HTTP/1.1 200 OK", 1);
  RESP_CODE("HTTP/1.1 200 OK\r\n", 1);
  RESP_CODE("HTTP/1.1\r\n\r\n", 2);     /* no SP */
  RESP_CODE(" 200 OK\r\n\r\n", 2);      /* empty version */
  RESP_CODE("HTTP/1.1 \t \r\n\r\n", 2); /* no status at all */
  RESP_CODE("HTTP/1.1 +200 OK\r\n\r\n", 4);
  RESP_CODE("HTTP/1.1 200\t\r\n\r\n", 4); /* only SP ends the status */
  RESP_CODE("HTTP/1.1 20O OK\r\n\r\n", 4);
  {
    static const char m[] = "HTTP/1.1 \t 404  \t Not  Found \t\r\nA:b\r\n\r\n";
    d = parse_resp(V(m));
    assert_int_equal(i32_of(x7_ext_httparse_status_code, x7_bytes_view(&d)),
                     404);
    assert_slice(x7_ext_httparse_reason, x7_bytes_view(&d), V(m),
                 "Not  Found");
    assert_hget(x7_bytes_view(&d), V(m), "a", "b");
    x7_bytes_free(&d);
  }
  {
    /* Reason absent but a SP after the status: starts at line end. */
    static const char m[] = "HTTP/1.1 200 \r\n\r\n";
    d = parse_resp(V(m));
    assert_slice(x7_ext_httparse_reason, x7_bytes_view(&d), V(m), "");
    assert_bytes_hex(x7_view_of(d.ptr + 32, 8), "0d00000000000000");
    x7_bytes_free(&d);
  }
}

static void status_code_should_wrap_like_x07_i32(void **state) {
  static const struct {
    const char *digits;
    int32_t want;
  } cases[] = {
      {"0", 0},
      {"007", 7},
      {"2147483647", INT32_MAX},
      {"2147483648", INT32_MIN},
      {"4294967295", -1},
      {"4294967296", 0},
      {"99999999999", 1215752191}, /* 99999999999 mod 2^32 */
      {"18446744073709551617", 1}, /* 2^64 + 1 */
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char m[64];
    int n = snprintf(m, sizeof m, "HTTP/1.1 %s X\r\n\r\n", cases[i].digits);
    struct x7_bytes d = parse_resp(x7_view_of(m, (size_t)n));
    assert_int_equal(i32_of(x7_ext_httparse_status_code, x7_bytes_view(&d)),
                     cases[i].want);
    x7_bytes_free(&d);
  }
}

static void headers_should_follow_spec_rules(void **state) {
  struct x7_bytes d;
  struct x7_view dv;
  (void)state;
  REQ_CODE("GET / HTTP/1.1\r\n: v\r\n\r\n", 3); /* colon at column 0 */
  REQ_CODE("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 3); /* obs-fold */
  REQ_CODE("GET / HTTP/1.1\r\nA: b", 1);                    /* no CRLF */
  REQ_CODE("GET / HTTP/1.1\r\nNoColon", 1);  /* CRLF checked first */
  REQ_CODE("GET / HTTP/1.1\r\nA: b\r\n", 1); /* no blank line */
  RESP_CODE("HTTP/1.1 200 OK\r\nBad\r\n\r\n", 3);
  {
    /* Name raw and untrimmed; value OWS-trimmed; later colons in the
     * value; empty values; a body that itself holds CRLFCRLF. */
    static const char m[] =
        "GET / HTTP/1.1\r\n"
        " Na Me :\t v:1 \t \r\n"
        "X:\r\n"
        "y:  \t \r\n"
        "x: second\r\n"
        "\r\n"
        "a\r\n\r\nb";
    d = parse_req(V(m));
    dv = x7_bytes_view(&d);
    assert_int_equal(d.len, 52 + 4 * 16);
    assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), 4);
    assert_hname(dv, V(m), 0, " Na Me ");
    assert_hvalue(dv, V(m), 0, "v:1");
    assert_hname(dv, V(m), 1, "X");
    assert_hvalue(dv, V(m), 1, "");
    assert_hvalue(dv, V(m), 2, "");
    assert_hget(dv, V(m), " na me ", "v:1");
    assert_hget(dv, V(m), "na me", "");
    assert_hget(dv, V(m), "x", ""); /* first match wins, even empty */
    assert_hget(dv, V(m), "Y", "");
    assert_slice(x7_ext_httparse_body, dv, V(m), "a\r\n\r\nb");
    /* An empty value starts where trimming stopped: at the line end. */
    assert_int_equal(rd32_at(d.ptr, 44 + 16 + 8), 36);
    x7_bytes_free(&d);
  }
}

static void accessors_should_respect_kind_and_tag(void **state) {
  struct x7_bytes req = parse_req(V(h1_msg));
  struct x7_bytes resp = parse_resp(V(h3_msg));
  const uint8_t odd_kind[] = {1, 7};
  (void)state;
  /* kind-1 only fields on a response and vice versa */
  assert_slice(x7_ext_httparse_method, x7_bytes_view(&resp), V(h3_msg), "");
  assert_slice(x7_ext_httparse_reason, x7_bytes_view(&req), V(h1_msg), "");
  assert_int_equal(i32_of(x7_ext_httparse_status_code, x7_bytes_view(&req)),
                   0);
  /* is_err: empty -> 1 (§7.3); any ok doc -> 0 */
  assert_int_equal(i32_of(x7_ext_httparse_is_err, x7_view_of(NULL, 0)), 1);
  assert_int_equal(i32_of(x7_ext_httparse_err_code, x7_view_of(NULL, 0)), 0);
  assert_int_equal(i32_of(x7_ext_httparse_kind, x7_view_of(odd_kind, 1)), 0);
  /* kind is byte 1 of any tag-1 doc, unvalidated */
  assert_int_equal(i32_of(x7_ext_httparse_kind, x7_view_of(odd_kind, 2)), 7);
  assert_int_equal(
      i32_of(x7_ext_httparse_header_count, x7_view_of(odd_kind, 2)), 0);
  x7_bytes_free(&req);
  x7_bytes_free(&resp);
}

/* A doc paired with a message it was not made from. */
static void accessors_should_never_slice_outside_msg(void **state) {
  struct x7_bytes d = parse_req(V(h1_msg));
  struct x7_view dv = x7_bytes_view(&d);
  struct x7_view short_msg = x7_view_of(h1_msg, 20);
  uint8_t *doc = malloc(d.len);
  (void)state;
  assert_slice(x7_ext_httparse_method, dv, short_msg, "GET");
  assert_slice(x7_ext_httparse_target, dv, short_msg, "/path?x=1");
  assert_slice(x7_ext_httparse_version, dv, short_msg, "");
  assert_slice(x7_ext_httparse_body, dv, short_msg, "");
  assert_hget(dv, short_msg, "host", "");
  assert_hname(dv, short_msg, 0, "");
  assert_slice(x7_ext_httparse_method, dv, x7_view_of(NULL, 0), "");
  assert_hget(dv, x7_view_of(NULL, 0), "", "");

  /* Offsets >= 2^31 read as negative and every sum that would pass the
   * end is refused. */
  memcpy(doc, d.ptr, d.len);
  wr32_at(doc, 12, 0xffffffffu); /* method_start = -1 */
  assert_slice(x7_ext_httparse_method, x7_view_of(doc, d.len), V(h1_msg), "");
  wr32_at(doc, 12, 0);
  wr32_at(doc, 16, 0x80000000u); /* method_len negative */
  assert_slice(x7_ext_httparse_method, x7_view_of(doc, d.len), V(h1_msg), "");
  wr32_at(doc, 16, 76); /* exactly the whole message */
  assert_slice(x7_ext_httparse_method, x7_view_of(doc, d.len), V(h1_msg),
               h1_msg);
  wr32_at(doc, 16, 77); /* one past */
  assert_slice(x7_ext_httparse_method, x7_view_of(doc, d.len), V(h1_msg), "");
  wr32_at(doc, 12, 0x7fffffffu);
  wr32_at(doc, 16, 0x7fffffffu);
  assert_slice(x7_ext_httparse_method, x7_view_of(doc, d.len), V(h1_msg), "");
  free(doc);
  x7_bytes_free(&d);
}

/* Upstream computes entry offsets as 44 + idx * 16 in i32.  The twin does
 * the same modulo 2^32, so a corrupted count lands where upstream's would
 * instead of reading out of bounds. */
static void corrupted_count_should_wrap_like_upstream(void **state) {
  struct x7_bytes d = parse_req(V(h1_msg));
  uint8_t *doc = malloc(d.len);
  struct x7_view dv = x7_view_of(doc, d.len);
  (void)state;
  memcpy(doc, d.ptr, d.len);
  wr32_at(doc, 40, 0x10000000u); /* base 44: entry 0's name pair */
  assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), 0x10000000);
  assert_slice(x7_ext_httparse_body, dv, V(h1_msg), "Host");
  assert_hget(dv, V(h1_msg), "content-type", "text/plain");
  assert_hget(dv, V(h1_msg), "missing", "");
  wr32_at(doc, 40, 0x10000002u); /* base 76: the real body pair */
  assert_slice(x7_ext_httparse_body, dv, V(h1_msg), "hello");
  wr32_at(doc, 40, 0xffffffffu); /* -1: no entries; base 28 */
  assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), -1);
  assert_hget(dv, V(h1_msg), "host", "");
  assert_hname(dv, V(h1_msg), 0, "");
  /* base 28 reads (status 0, reason_start 0): empty */
  assert_slice(x7_ext_httparse_body, dv, V(h1_msg), "");
  wr32_at(doc, 40, 0x7fffffffu); /* base 44 - 16 = 28 again */
  assert_slice(x7_ext_httparse_body, dv, V(h1_msg), "");
  assert_hget(dv, V(h1_msg), "host", "Example.COM");
  assert_hname(dv, V(h1_msg), 5, "");
  free(doc);
  x7_bytes_free(&d);
}

/* ---- accessor snapshot, reference model, and the sweeps ---- */

enum acc {
  A_IS_ERR,
  A_ERR_CODE,
  A_KIND,
  A_STATUS,
  A_COUNT,
  A_VERSION,
  A_METHOD,
  A_TARGET,
  A_REASON,
  A_BODY,
  A_HNAME0,
  A_HNAME1,
  A_HNAME2,
  A_HVAL0,
  A_HVAL1,
  A_HVAL2,
  A_GET0,
  A_GET1,
  A_GET2,
  A_GET3,
  A_COUNT_ALL
};
#define FIRST_BYTES A_VERSION
static const char *const get_names[4] = {"host", "CONTENT-TYPE", "x-missing",
                                         ""};

struct snap {
  int32_t i[FIRST_BYTES];
  struct x7_bytes b[A_COUNT_ALL];
};

static void snap_take(struct snap *s, struct x7_view doc, struct x7_view msg) {
  static x7_result (*const ifn[FIRST_BYTES])(struct x7_view, int32_t *) = {
      x7_ext_httparse_is_err, x7_ext_httparse_err_code, x7_ext_httparse_kind,
      x7_ext_httparse_status_code, x7_ext_httparse_header_count};
  static slice_fn *const bfn[5] = {
      x7_ext_httparse_version, x7_ext_httparse_method, x7_ext_httparse_target,
      x7_ext_httparse_reason, x7_ext_httparse_body};
  memset(s, 0, sizeof *s);
  for (int a = 0; a < FIRST_BYTES; a++) assert_x7_ok(ifn[a](doc, &s->i[a]));
  for (int a = 0; a < 5; a++)
    assert_x7_ok(bfn[a](doc, msg, &s->b[A_VERSION + a]));
  for (int k = 0; k < 3; k++) {
    assert_x7_ok(
        x7_ext_httparse_header_name(doc, msg, k, &s->b[A_HNAME0 + k]));
    assert_x7_ok(
        x7_ext_httparse_header_value(doc, msg, k, &s->b[A_HVAL0 + k]));
  }
  for (int k = 0; k < 4; k++)
    assert_x7_ok(x7_ext_httparse_header_get(
        doc, msg, x7_view_str(get_names[k]), &s->b[A_GET0 + k]));
}

static void snap_free(struct snap *s) {
  for (int a = 0; a < A_COUNT_ALL; a++) x7_bytes_free(&s->b[a]);
}

/* An independent, deliberately plain reading of §2.12/§7.3 with 64-bit
 * arithmetic: fields outside the doc read 0, values are signed, offsets
 * wrap modulo 2^32 like upstream's i32, and a slice must lie in msg. */
struct model {
  int32_t i[FIRST_BYTES];
  struct x7_view b[A_COUNT_ALL];
};

static int32_t s32(uint32_t v) {
  if (v < 0x80000000u) return (int32_t)v;
  return (int32_t)(v - 0x80000000u) - INT32_MAX - 1;
}

static int32_t m_field(struct x7_view doc, uint32_t off) {
  if ((uint64_t)off + 4 > doc.len) return 0;
  return s32(rd32_at(doc.ptr, off));
}

static struct x7_view m_slice(struct x7_view msg, int32_t s, int32_t l) {
  if (s < 0 || l < 0 || (int64_t)s + l > (int64_t)msg.len || l == 0)
    return x7_view_of(NULL, 0);
  return x7_view_of(msg.ptr + s, (size_t)l);
}

static void model_take(struct model *m, struct x7_view doc,
                       struct x7_view msg) {
  const int32_t kind = doc.len >= 2 && doc.ptr[0] == 1 ? doc.ptr[1] : 0;
  const int32_t count = kind ? m_field(doc, 40) : 0;
  uint32_t base;
  memset(m, 0, sizeof *m);
  m->i[A_IS_ERR] = doc.len == 0 || doc.ptr[0] == 0;
  m->i[A_ERR_CODE] =
      doc.len >= 5 && doc.ptr[0] == 0 ? s32(rd32_at(doc.ptr, 1)) : 0;
  m->i[A_KIND] = kind;
  m->i[A_STATUS] = kind == 2 ? m_field(doc, 28) : 0;
  m->i[A_COUNT] = count;
  if (!kind) return;
  m->b[A_VERSION] = m_slice(msg, m_field(doc, 4), m_field(doc, 8));
  if (kind == 1) {
    m->b[A_METHOD] = m_slice(msg, m_field(doc, 12), m_field(doc, 16));
    m->b[A_TARGET] = m_slice(msg, m_field(doc, 20), m_field(doc, 24));
  }
  if (kind == 2)
    m->b[A_REASON] = m_slice(msg, m_field(doc, 32), m_field(doc, 36));
  base = 44u + (uint32_t)count * 16u;
  m->b[A_BODY] = m_slice(msg, m_field(doc, base), m_field(doc, base + 4));
  for (int k = 0; k < 3; k++) {
    if (k >= count) continue;
    m->b[A_HNAME0 + k] =
        m_slice(msg, m_field(doc, 44 + 16 * k), m_field(doc, 48 + 16 * k));
    m->b[A_HVAL0 + k] =
        m_slice(msg, m_field(doc, 52 + 16 * k), m_field(doc, 56 + 16 * k));
  }
  for (int k = 0; k < 4; k++) {
    const size_t nl = strlen(get_names[k]);
    for (int64_t e = 0; e < count && e < (1 << 28); e++) {
      const uint32_t off = (uint32_t)(44 + 16 * e);
      int32_t ns = m_field(doc, off), n = m_field(doc, off + 4);
      int match = n >= 0 && (size_t)n == nl && (int64_t)ns >= 0 &&
                  (int64_t)ns + n <= (int64_t)msg.len;
      for (int32_t j = 0; match && j < n; j++) {
        uint8_t a = msg.ptr[ns + j], c = (uint8_t)get_names[k][j];
        if (a >= 'A' && a <= 'Z') a = (uint8_t)(a + 32);
        if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
        match = a == c;
      }
      if (match) {
        m->b[A_GET0 + k] =
            m_slice(msg, m_field(doc, off + 8), m_field(doc, off + 12));
        break;
      }
      if (off >= doc.len) break; /* later entries are all zero */
    }
  }
}

static void assert_snap_model(const struct snap *s, const struct model *m) {
  for (int a = 0; a < FIRST_BYTES; a++) {
    if (s->i[a] != m->i[a])
      fail_msg("accessor %d: got %d, model %d", a, s->i[a], m->i[a]);
  }
  for (int a = FIRST_BYTES; a < A_COUNT_ALL; a++) {
    if (s->b[a].len != m->b[a].len ||
        (m->b[a].len && memcmp(s->b[a].ptr, m->b[a].ptr, m->b[a].len)))
      fail_msg("accessor %d differs from the model", a);
  }
}

static int same_result(const struct snap *x, const struct snap *y, int a) {
  if (a < FIRST_BYTES) return x->i[a] == y->i[a];
  return x->b[a].len == y->b[a].len &&
         (x->b[a].len == 0 || !memcmp(x->b[a].ptr, y->b[a].ptr, x->b[a].len));
}

static int is_zero_result(const struct snap *s, int a) {
  return a < FIRST_BYTES ? s->i[a] == 0 : s->b[a].len == 0;
}

/* The doc bytes each accessor reads, for a valid doc with `count` entries
 * ([lo, hi) ranges; byte 0..1 are read by all but is_err/err_code). */
static int depends_on(int a, size_t pos, int32_t count) {
  const size_t c = (size_t)count;
  const int tag = pos < 2;
  switch (a) {
  case A_IS_ERR:
    return pos == 0;
  case A_ERR_CODE:
    return pos < 5;
  case A_KIND:
    return tag;
  case A_STATUS:
    return tag || (pos >= 28 && pos < 32);
  case A_COUNT:
    return tag || (pos >= 40 && pos < 44);
  case A_VERSION:
    return tag || (pos >= 4 && pos < 12);
  case A_METHOD:
    return tag || (pos >= 12 && pos < 20);
  case A_TARGET:
    return tag || (pos >= 20 && pos < 28);
  case A_REASON:
    return tag || (pos >= 32 && pos < 40);
  case A_BODY:
    return tag || (pos >= 40 && pos < 44) ||
           (pos >= 44 + 16 * c && pos < 52 + 16 * c);
  default:
    break;
  }
  if (tag || (pos >= 40 && pos < 44)) return 1;
  if (a >= A_HNAME0 && a <= A_HNAME2) {
    size_t k = (size_t)(a - A_HNAME0);
    return k < c && pos >= 44 + 16 * k && pos < 52 + 16 * k;
  }
  if (a >= A_HVAL0 && a <= A_HVAL2) {
    size_t k = (size_t)(a - A_HVAL0);
    return k < c && pos >= 52 + 16 * k && pos < 60 + 16 * k;
  }
  return pos >= 44 && pos < 44 + 16 * c; /* header_get: every entry */
}

/* Last doc byte + 1 an accessor needs to reproduce its original result. */
static size_t needs_up_to(int a, int32_t count, const int *get_match) {
  const size_t c = (size_t)count;
  switch (a) {
  case A_IS_ERR:
    return 1;
  case A_ERR_CODE:
    return 5;
  case A_KIND:
    return 2;
  case A_STATUS:
    return 32;
  case A_COUNT:
    return 44;
  case A_VERSION:
    return 12;
  case A_METHOD:
    return 20;
  case A_TARGET:
    return 28;
  case A_REASON:
    return 40;
  case A_BODY:
    return 52 + 16 * c;
  default:
    break;
  }
  if (a >= A_HNAME0 && a <= A_HNAME2) return 52 + 16 * (size_t)(a - A_HNAME0);
  if (a >= A_HVAL0 && a <= A_HVAL2) return 60 + 16 * (size_t)(a - A_HVAL0);
  return 60 + 16 * (size_t)get_match[a - A_GET0];
}

struct doc_sweep {
  struct x7_view doc, msg;
  struct snap orig;
  int32_t count;
  int get_match[4]; /* index of the first matching entry, or -1 */
};

static void doc_sweep_init(struct doc_sweep *ds, struct x7_view doc,
                           struct x7_view msg) {
  ds->doc = doc;
  ds->msg = msg;
  snap_take(&ds->orig, doc, msg);
  ds->count = ds->orig.i[A_COUNT];
  for (int k = 0; k < 4; k++) {
    ds->get_match[k] = -1;
    for (int32_t e = 0; e < ds->count && ds->get_match[k] < 0; e++) {
      struct x7_bytes n = {0};
      assert_x7_ok(x7_ext_httparse_header_name(doc, msg, e, &n));
      if (n.len == strlen(get_names[k]) && n.len &&
          casecmp_eq(n.ptr, get_names[k], n.len))
        ds->get_match[k] = e;
      x7_bytes_free(&n);
    }
  }
}

static void probe_doc(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  struct doc_sweep *ds = ud;
  struct snap s;
  struct model m;
  snap_take(&s, in, ds->msg);
  model_take(&m, in, ds->msg);
  assert_snap_model(&s, &m);
  for (int a = 0; a < A_COUNT_ALL; a++) {
    if (kind == X7T_TRUNC) {
      int keeps;
      if (a == A_IS_ERR) {
        assert_int_equal(s.i[a], pos == 0);
        continue;
      }
      if (a >= A_GET0 && ds->get_match[a - A_GET0] < 0) {
        assert_true(is_zero_result(&s, a));
        continue;
      }
      keeps = pos >= needs_up_to(a, ds->count, ds->get_match);
      if (keeps ? !same_result(&s, &ds->orig, a) : !is_zero_result(&s, a))
        fail_msg("truncation to %zu: accessor %d", pos, a);
    } else if (!depends_on(a, pos, ds->count) &&
               !same_result(&s, &ds->orig, a)) {
      fail_msg("corrupting byte %zu changed accessor %d", pos, a);
    }
  }
  /* Corrupting a tag byte is pinned exactly by the spec. */
  if (kind == X7T_CORRUPT && pos == 0) {
    assert_int_equal(s.i[A_IS_ERR], in.ptr[0] == 0);
    assert_int_equal(s.i[A_KIND], 0);
    assert_int_equal(s.i[A_COUNT], 0);
  }
  if (kind == X7T_CORRUPT && pos == 1)
    assert_int_equal(s.i[A_KIND], in.ptr[1]);
  snap_free(&s);
}

static void sweep_doc(const char *msg, size_t msg_len, int is_req) {
  struct x7_view mv = x7_view_of(msg, msg_len);
  struct x7_bytes d = is_req ? parse_req(mv) : parse_resp(mv);
  struct doc_sweep ds;
  doc_sweep_init(&ds, x7_bytes_view(&d), mv);
  x7t_sweep_truncations(d.ptr, d.len, probe_doc, &ds);
  x7t_sweep_corruptions(d.ptr, d.len, probe_doc, &ds);
  snap_free(&ds.orig);
  x7_bytes_free(&d);
}

static void doc_sweeps_should_match_spec_h1_h3(void **state) {
  (void)state;
  sweep_doc(h1_msg, sizeof h1_msg - 1, 1);
  sweep_doc(h3_msg, sizeof h3_msg - 1, 0);
}

/* Shape of any ok doc parse_* returns for msg (spec §2.12). */
static void assert_ok_doc_shape(struct x7_view d, struct x7_view msg,
                                int kind) {
  const uint32_t c = rd32_at(d.ptr, 40);
  uint32_t body_start;
  assert_int_equal(d.len, 52 + 16 * (size_t)c);
  assert_int_equal(d.ptr[0], 1);
  assert_int_equal(d.ptr[1], kind);
  assert_int_equal(d.ptr[2] | d.ptr[3], 0);
  /* every (start, len) pair lies inside the message */
  for (size_t k = 0; k < 4 + 2 * (size_t)c + 1; k++) {
    static const size_t fixed[4] = {4, 12, 20, 32};
    const size_t off = k < 4 ? fixed[k] : 44 + 8 * (k - 4);
    assert_true((uint64_t)rd32_at(d.ptr, off) + rd32_at(d.ptr, off + 4) <=
                msg.len);
  }
  if (kind == 1) assert_int_equal(rd32_at(d.ptr, 12), 0);
  for (uint32_t e = 0; e < c; e++) {
    const uint32_t ns = rd32_at(d.ptr, 44 + 16 * e);
    const uint32_t nl = rd32_at(d.ptr, 48 + 16 * e);
    const uint32_t vs = rd32_at(d.ptr, 52 + 16 * e);
    const uint32_t vl = rd32_at(d.ptr, 56 + 16 * e);
    assert_true(nl >= 1 && ns + nl < msg.len);
    assert_int_equal(msg.ptr[ns + nl], ':');
    assert_null(memchr(msg.ptr + ns, ':', nl));
    assert_true(vs + vl + 2 <= msg.len);
    if (vl) {
      assert_true(msg.ptr[vs] != ' ' && msg.ptr[vs] != '\t');
      assert_true(msg.ptr[vs + vl - 1] != ' ' && msg.ptr[vs + vl - 1] != '\t');
    }
  }
  body_start = rd32_at(d.ptr, 44 + 16 * c);
  assert_true(body_start >= 4 && body_start <= msg.len);
  assert_int_equal(rd32_at(d.ptr, 48 + 16 * c), msg.len - body_start);
  assert_memory_equal(msg.ptr + body_start - 4, "\r\n\r\n", 4);
}

struct msg_sweep {
  struct x7_view msg;
  struct x7_bytes doc; /* parse of the intact message */
  struct snap orig;
  int is_req;
  size_t body_start;
  const size_t *code2, *code3, *code4; /* positions pinned to a code */
};

static int in_list(const size_t *list, size_t pos) {
  for (; list && *list != SIZE_MAX; list++)
    if (*list == pos) return 1;
  return 0;
}

static int is_delim(uint8_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':';
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/*
 * H3's status line is "HTTP/1.1 200 OK": SP at 8, digits at 9..11, SP at
 * 12.  Replacing byte pos (was -> now) there gives error 4 (§7.3: the
 * status token is not all digits), or 0 with the intact doc except for
 * the status and reason written to *pst, *prs, *prl.
 */
static int32_t h3_status_outcome(size_t pos, uint8_t was, uint8_t now,
                                 uint32_t *pst, uint32_t *prs,
                                 uint32_t *prl) {
  *prs = 13;
  *prl = 2;
  if (pos >= 9 && pos <= 11 && is_digit(now)) {
    *pst = (uint32_t)(200 + (now - was) * (pos == 9    ? 100
                                           : pos == 10 ? 10
                                                       : 1));
    return 0;
  }
  /* OWS before the status is skipped: the status is "00". */
  if (pos == 9 && (now == ' ' || now == '\t')) {
    *pst = 0;
    return 0;
  }
  /* A SP among the digits ends the status; the reason starts after it
   * and any further OWS ("0 OK" and "OK"). */
  if (pos == 10 && now == ' ') {
    *pst = 2;
    *prs = 11;
    *prl = 4;
    return 0;
  }
  if (pos == 11 && now == ' ') {
    *pst = 20;
    return 0;
  }
  /* Anything else: an HT or other non-digit inside the token, or a
   * non-SP at 8 or 12 that glues the token to "HTTP/1.1" or "OK". */
  return 4;
}

static void probe_msg(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  struct msg_sweep *ms = ud;
  struct x7_bytes d = ms->is_req ? parse_req(in) : parse_resp(in);
  struct x7_view dv = x7_bytes_view(&d);
  int32_t err = i32_of(x7_ext_httparse_err_code, dv);
  struct snap s;
  struct model m;

  /* The intact doc with the mutated message: every accessor either gives
   * the same slice (same bytes where it reads) or nothing. */
  snap_take(&s, x7_bytes_view(&ms->doc), in);
  model_take(&m, x7_bytes_view(&ms->doc), in);
  assert_snap_model(&s, &m);
  snap_free(&s);

  if (err == 0)
    assert_ok_doc_shape(dv, in, ms->is_req ? 1 : 2);
  else
    assert_int_equal(d.len, 9);
  assert_true(err >= 0 && err <= 4);

  if (kind == X7T_TRUNC) {
    if (pos < ms->body_start) {
      /* Ending before the blank line -> 1 (§7.3). */
      assert_int_equal(err, 1);
    } else {
      /* Same doc; only the body shrinks. */
      assert_int_equal(err, 0);
      assert_int_equal(d.len, ms->doc.len);
      assert_memory_equal(d.ptr, ms->doc.ptr, ms->doc.len - 4);
      assert_int_equal(rd32_at(d.ptr, d.len - 4), pos - ms->body_start);
    }
    x7_bytes_free(&d);
    return;
  }

  {
    const uint8_t was = ms->msg.ptr[pos], now = in.ptr[pos];
    if (pos >= ms->body_start) {
      assert_int_equal(err, 0);
      assert_memory_equal(d.ptr, ms->doc.ptr, ms->doc.len);
      snap_take(&s, dv, in);
      assert_int_equal(s.b[A_BODY].ptr[pos - ms->body_start], now);
      snap_free(&s);
    } else if (pos + 2 >= ms->body_start) {
      assert_int_equal(err, 1); /* the blank line's CR or LF */
    } else if (in_list(ms->code2, pos)) {
      assert_int_equal(err, 2);
    } else if (in_list(ms->code3, pos)) {
      assert_int_equal(err, 3);
    } else if (in_list(ms->code4, pos)) {
      uint32_t st, rs, rl;
      if (h3_status_outcome(pos, was, now, &st, &rs, &rl)) {
        assert_int_equal(err, 4);
      } else {
        uint8_t want[52 + 16];
        assert_int_equal(err, 0);
        assert_int_equal(d.len, sizeof want);
        assert_int_equal(ms->doc.len, sizeof want);
        memcpy(want, ms->doc.ptr, sizeof want);
        wr32_at(want, 28, st);
        wr32_at(want, 32, rs);
        wr32_at(want, 36, rl);
        assert_memory_equal(d.ptr, want, sizeof want);
        assert_int_equal(i32_of(x7_ext_httparse_status_code, dv), st);
      }
    } else if (!is_delim(was) && !is_delim(now)) {
      /* Offsets depend only on delimiters: the same doc. */
      assert_int_equal(err, 0);
      assert_memory_equal(d.ptr, ms->doc.ptr, ms->doc.len);
    }
  }
  x7_bytes_free(&d);
}

static void msg_sweeps_should_match_spec_h1_h3(void **state) {
  static const size_t h1_code2[] = {3, 13, SIZE_MAX};  /* the two SPs */
  static const size_t h1_code3[] = {28, 55, SIZE_MAX}; /* the colons */
  static const size_t h3_code3[] = {29, SIZE_MAX};
  static const size_t h3_code4[] = {8, 9, 10, 11, 12, SIZE_MAX};
  struct msg_sweep ms;
  (void)state;

  memset(&ms, 0, sizeof ms);
  ms.msg = V(h1_msg);
  ms.is_req = 1;
  ms.doc = parse_req(ms.msg);
  ms.body_start = 71;
  ms.code2 = h1_code2;
  ms.code3 = h1_code3;
  snap_take(&ms.orig, x7_bytes_view(&ms.doc), ms.msg);
  x7t_sweep_truncations(ms.msg.ptr, ms.msg.len, probe_msg, &ms);
  x7t_sweep_corruptions(ms.msg.ptr, ms.msg.len, probe_msg, &ms);
  snap_free(&ms.orig);
  x7_bytes_free(&ms.doc);

  memset(&ms, 0, sizeof ms);
  ms.msg = V(h3_msg);
  ms.is_req = 0;
  ms.doc = parse_resp(ms.msg);
  ms.body_start = 45;
  ms.code3 = h3_code3;
  ms.code4 = h3_code4; /* the status and the SPs around it */
  snap_take(&ms.orig, x7_bytes_view(&ms.doc), ms.msg);
  x7t_sweep_truncations(ms.msg.ptr, ms.msg.len, probe_msg, &ms);
  x7t_sweep_corruptions(ms.msg.ptr, ms.msg.len, probe_msg, &ms);
  snap_free(&ms.orig);
  x7_bytes_free(&ms.doc);

  /* The SPs around the status: the status then holds a non-digit. */
  {
    char m[sizeof h3_msg];
    memcpy(m, h3_msg, sizeof h3_msg);
    m[8] = '!';
    resp_code(m, sizeof h3_msg - 1, 4);
    memcpy(m, h3_msg, sizeof h3_msg);
    m[12] = '!';
    resp_code(m, sizeof h3_msg - 1, 4);
  }
}

/* ---- properties ---- */

static void rand_token(struct tbuf *t, const char *alphabet, size_t min,
                       size_t max) {
  const size_t n = min + (size_t)x7t_rand_below(max - min + 1);
  const size_t an = strlen(alphabet);
  for (size_t i = 0; i < n; i++)
    tbuf_u8(t, (uint8_t)alphabet[x7t_rand_below(an)]);
}

#define TOKEN \
  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
#define VCHAR TOKEN "/?=&%.;,\"'()[]{}<>@:!*~\x80\xfe"

struct gen_header {
  struct tbuf name, core;
};

static void roundtrip_request_once(void) {
  struct tbuf method = {0}, target = {0}, headers = {0}, body = {0};
  struct gen_header h[6];
  const size_t nh = (size_t)x7t_rand_below(6);
  struct x7_bytes msg = {0}, d = {0}, got = {0};
  struct x7_view dv, mv;

  rand_token(&method, TOKEN, 1, 8);
  rand_token(&target, VCHAR "\t", 1, 30);
  if (target.ptr[0] == '\t') target.ptr[0] = '/';
  for (size_t i = 0; i < nh; i++) {
    struct tbuf pad = {0}, val = {0};
    struct x7_bytes line = {0};
    memset(&h[i], 0, sizeof h[i]);
    /* Names sometimes repeat case-insensitively to exercise first-match. */
    if (i && x7t_rand_below(4) == 0) {
      tbuf_add(&h[i].name, h[0].name.ptr, h[0].name.len);
      h[i].name.ptr[0] ^= (uint8_t)(is_alpha(h[i].name.ptr[0]) ? 32 : 0);
    } else {
      rand_token(&h[i].name, TOKEN, 1, 12);
    }
    rand_token(&h[i].core, VCHAR, 0, 20);
    if (h[i].core.len >= 3) { /* inner OWS survives, outer is trimmed */
      size_t mid = 1 + (size_t)x7t_rand_below(h[i].core.len - 2);
      h[i].core.ptr[mid] = x7t_rand_below(2) ? ' ' : '\t';
    }
    rand_token(&pad, " \t", 0, 2);
    tbuf_add(&val, pad.ptr, pad.len);
    tbuf_add(&val, h[i].core.ptr, h[i].core.len);
    tbuf_add(&val, pad.ptr, pad.len);
    assert_x7_ok(x7_ext_http_types_header_line(tbuf_view(&h[i].name),
                                               tbuf_view(&val), &line));
    tbuf_add(&headers, line.ptr, line.len);
    x7_bytes_free(&line);
    tbuf_free(&pad);
    tbuf_free(&val);
  }
  {
    size_t bl = (size_t)x7t_rand_below(40);
    uint8_t *bb = x7t_rand_bytes(bl);
    tbuf_add(&body, bb, bl);
    free(bb);
  }
  assert_x7_ok(x7_ext_http_types_build_request(
      tbuf_view(&method), tbuf_view(&target), tbuf_view(&headers),
      tbuf_view(&body), &msg));
  mv = x7_bytes_view(&msg);
  d = parse_req(mv);
  dv = x7_bytes_view(&d);
  assert_int_equal(i32_of(x7_ext_httparse_is_err, dv), 0);
  assert_ok_doc_shape(dv, mv, 1);
  assert_x7_ok(x7_ext_httparse_method(dv, mv, &got));
  assert_bytes_eq(got, tbuf_view(&method));
  x7_bytes_free(&got);
  assert_x7_ok(x7_ext_httparse_target(dv, mv, &got));
  assert_bytes_eq(got, tbuf_view(&target));
  x7_bytes_free(&got);
  assert_slice(x7_ext_httparse_version, dv, mv, "HTTP/1.1");
  assert_x7_ok(x7_ext_httparse_body(dv, mv, &got));
  assert_bytes_eq(got, tbuf_view(&body));
  x7_bytes_free(&got);
  assert_int_equal(i32_of(x7_ext_httparse_header_count, dv), nh);
  for (size_t i = 0; i < nh; i++) {
    size_t first = i;
    assert_x7_ok(x7_ext_httparse_header_name(dv, mv, (int32_t)i, &got));
    assert_bytes_eq(got, tbuf_view(&h[i].name));
    x7_bytes_free(&got);
    assert_x7_ok(x7_ext_httparse_header_value(dv, mv, (int32_t)i, &got));
    assert_bytes_eq(got, tbuf_view(&h[i].core));
    x7_bytes_free(&got);
    for (size_t j = 0; j < i; j++)
      if (h[j].name.len == h[i].name.len &&
          casecmp_eq(h[j].name.ptr, (const char *)h[i].name.ptr,
                     h[i].name.len)) {
        first = j;
        break;
      }
    assert_x7_ok(
        x7_ext_httparse_header_get(dv, mv, tbuf_view(&h[i].name), &got));
    assert_bytes_eq(got, tbuf_view(&h[first].core));
    x7_bytes_free(&got);
  }
  for (size_t i = 0; i < nh; i++) {
    tbuf_free(&h[i].name);
    tbuf_free(&h[i].core);
  }
  tbuf_free(&method);
  tbuf_free(&target);
  tbuf_free(&headers);
  tbuf_free(&body);
  x7_bytes_free(&msg);
  x7_bytes_free(&d);
}

static void request_roundtrip_should_hold_for_random_parts(void **state) {
  (void)state;
  for (int i = 0; i < 4000; i++) roundtrip_request_once();
}

static void response_roundtrip_should_hold_for_random_parts(void **state) {
  (void)state;
  for (int i = 0; i < 4000; i++) {
    struct tbuf reason = {0}, body = {0};
    const int32_t status = (int32_t)(uint32_t)x7t_rand();
    struct x7_bytes msg = {0}, d = {0}, got = {0};
    rand_token(&reason, VCHAR " \t", 0, 20);
    /* Leading/trailing OWS of the reason is trimmed, so avoid it here. */
    while (reason.len && (reason.ptr[reason.len - 1] == ' ' ||
                          reason.ptr[reason.len - 1] == '\t'))
      reason.len--;
    if (reason.len && (reason.ptr[0] == ' ' || reason.ptr[0] == '\t'))
      reason.ptr[0] = 'R';
    rand_token(&body, VCHAR "\r\n", 0, 30);
    assert_x7_ok(x7_ext_http_types_build_response(
        status, tbuf_view(&reason), V("A: b\r\n"), tbuf_view(&body), &msg));
    d = parse_resp(x7_bytes_view(&msg));
    assert_ok_doc_shape(x7_bytes_view(&d), x7_bytes_view(&msg), 2);
    /* u32 decimal out, i32-wrapping parse in: every i32 comes back. */
    assert_int_equal(i32_of(x7_ext_httparse_status_code, x7_bytes_view(&d)),
                     status);
    assert_x7_ok(
        x7_ext_httparse_reason(x7_bytes_view(&d), x7_bytes_view(&msg), &got));
    assert_bytes_eq(got, tbuf_view(&reason));
    x7_bytes_free(&got);
    assert_x7_ok(
        x7_ext_httparse_body(x7_bytes_view(&d), x7_bytes_view(&msg), &got));
    assert_bytes_eq(got, tbuf_view(&body));
    x7_bytes_free(&got);
    tbuf_free(&reason);
    tbuf_free(&body);
    x7_bytes_free(&msg);
    x7_bytes_free(&d);
  }
}

/* Random messages over a small alphabet reach every branch; every result
 * is a well-formed doc, and the accessors agree with the model even when
 * the doc is then randomly damaged. */
static void parse_should_give_wellformed_docs_for_random_input(void **state) {
  static const char alpha[] = "GET /:\t\r\n\r\nHTTP/1.1 200 Ok:x\r\n";
  (void)state;
  for (int i = 0; i < 20000; i++) {
    const size_t n = (size_t)x7t_rand_below(48);
    uint8_t *m = malloc(n ? n : 1);
    const int req = (int)x7t_rand_below(2);
    struct x7_bytes d;
    int32_t err;
    for (size_t k = 0; k < n; k++)
      m[k] = x7t_rand_below(8)
                 ? (uint8_t)alpha[x7t_rand_below(sizeof alpha - 1)]
                 : (uint8_t)x7t_rand();
    d = req ? parse_req(x7_view_of(m, n)) : parse_resp(x7_view_of(m, n));
    err = i32_of(x7_ext_httparse_err_code, x7_bytes_view(&d));
    if (err) {
      assert_int_equal(d.len, 9);
      assert_true(err >= 1 && err <= 4);
      assert_true(req ? err != 4 : 1);
    } else {
      assert_ok_doc_shape(x7_bytes_view(&d), x7_view_of(m, n), req ? 1 : 2);
      for (int k = 0; k < 3 && d.len; k++)
        d.ptr[x7t_rand_below(d.len)] = (uint8_t)x7t_rand();
      {
        struct snap s;
        struct model mo;
        snap_take(&s, x7_bytes_view(&d), x7_view_of(m, n));
        model_take(&mo, x7_bytes_view(&d), x7_view_of(m, n));
        assert_snap_model(&s, &mo);
        snap_free(&s);
      }
    }
    x7_bytes_free(&d);
    free(m);
  }
}

/* ---- argument and allocation failures ---- */

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes b = {0};
  int32_t v = 9;
  const struct x7_view bad = x7_view_of(NULL, 1);
  (void)state;
  assert_x7_result(X7_EINVAL, x7_ext_httparse_parse_request(V("x"), NULL));
  assert_x7_result(X7_EINVAL, x7_ext_httparse_parse_request(bad, &b));
  assert_x7_result(X7_EINVAL, x7_ext_httparse_parse_response(bad, &b));
  assert_x7_result(X7_EINVAL, x7_ext_httparse_is_err(bad, &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_ext_httparse_kind(V("x"), NULL));
  assert_x7_result(X7_EINVAL, x7_ext_httparse_method(V("x"), bad, &b));
  assert_x7_result(X7_EINVAL, x7_ext_httparse_body(bad, V("x"), &b));
  assert_x7_result(X7_EINVAL,
                   x7_ext_httparse_header_get(V("x"), V("x"), bad, &b));
  assert_x7_result(X7_EINVAL, x7_ext_httparse_header_name(V("x"), bad, 0, &b));
  assert_null(b.ptr);
}

/* Offsets are i32 upstream: a longer message is refused before any byte
 * of it is read (so a fake length over a tiny buffer is safe here). */
static void parse_should_refuse_messages_over_int32_max(void **state) {
  static const char m[] = "GET / HTTP/1.1\r\n\r\n";
  const struct x7_view huge = x7_view_of(m, (size_t)INT32_MAX + 1);
  struct x7_bytes b = {0};
  (void)state;
  assert_x7_result(X7_ERANGE, x7_ext_httparse_parse_request(huge, &b));
  assert_null(b.ptr);
  assert_x7_result(X7_ERANGE, x7_ext_httparse_parse_response(huge, &b));
  assert_null(b.ptr);
}

typedef x7_result call_fn(struct x7_bytes *pout);

static x7_result call_parse_h1(struct x7_bytes *p) {
  return x7_ext_httparse_parse_request(V(h1_msg), p);
}
static x7_result call_parse_h3(struct x7_bytes *p) {
  return x7_ext_httparse_parse_response(V(h3_msg), p);
}
static x7_result call_parse_err(struct x7_bytes *p) {
  return x7_ext_httparse_parse_request(V("GET /\r\n\r\n"), p);
}
static struct x7_bytes fa_doc;
static x7_result call_get(struct x7_bytes *p) {
  return x7_ext_httparse_header_get(x7_bytes_view(&fa_doc), V(h1_msg),
                                    V("host"), p);
}
static x7_result call_body(struct x7_bytes *p) {
  return x7_ext_httparse_body(x7_bytes_view(&fa_doc), V(h1_msg), p);
}

static void failalloc_sweep(call_fn *fn) {
  long k;
  for (k = 1;; k++) {
    struct x7_bytes b = {0};
    x7_result r;
    x7t_failalloc_install(k);
    r = fn(&b);
    if (r == X7_OK) {
      assert_non_null(b.ptr);
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
  (void)state;
  failalloc_sweep(call_parse_h1);
  failalloc_sweep(call_parse_h3);
  failalloc_sweep(call_parse_err);
  fa_doc = parse_req(V(h1_msg));
  failalloc_sweep(call_get);
  failalloc_sweep(call_body);
  x7_bytes_free(&fa_doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parse_request_should_match_h1),
      cmocka_unit_test(parse_request_should_match_h2),
      cmocka_unit_test(parse_response_should_match_h3),
      cmocka_unit_test(parse_should_give_error_docs_h4_to_h7),
      cmocka_unit_test(parse_response_should_match_h8),
      cmocka_unit_test(request_line_should_follow_spec_rules),
      cmocka_unit_test(status_line_should_follow_spec_rules),
      cmocka_unit_test(status_code_should_wrap_like_x07_i32),
      cmocka_unit_test(headers_should_follow_spec_rules),
      cmocka_unit_test(accessors_should_respect_kind_and_tag),
      cmocka_unit_test(accessors_should_never_slice_outside_msg),
      cmocka_unit_test(corrupted_count_should_wrap_like_upstream),
      cmocka_unit_test(doc_sweeps_should_match_spec_h1_h3),
      cmocka_unit_test(msg_sweeps_should_match_spec_h1_h3),
      cmocka_unit_test(request_roundtrip_should_hold_for_random_parts),
      cmocka_unit_test(response_roundtrip_should_hold_for_random_parts),
      cmocka_unit_test(parse_should_give_wellformed_docs_for_random_input),
      cmocka_unit_test(twins_should_reject_bad_arguments),
      cmocka_unit_test(parse_should_refuse_messages_over_int32_max),
      cmocka_unit_test(twins_should_report_enomem_without_leaks),
  };
  return cmocka_run_group_tests_name("ext_httparse", tests, NULL, NULL);
}
