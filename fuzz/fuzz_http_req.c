/*
 * fuzz_http_req.c - HttpReqV1 (spec §2.7, §2.8): x7__http_req_decode (the
 * backends' validator) and the req_* / caps_* accessors on arbitrary docs,
 * plus the request builders.
 *
 * Input: mode u8, then
 *   mode even: doc (rest).  The accessors must agree with an independent
 *     walk of the layout, the decoder must accept exactly the docs the
 *     client accepts (§2.8), and an accepted doc must round-trip: rebuilt
 *     with req_v1(method, url, headers, body, caps) it decodes again to
 *     the same fields (headers canonicalised, short or wrong-version caps
 *     replaced by the defaults), and rebuilding that gives the same bytes.
 *   mode odd: method (u8: bit 7 set -> an i32 follows, else the low 3
 *     bits), url, headers, body (u16 length + bytes each), caps (rest)
 *     through req_v1 / req_get_v1 / req_post_v1, then decoded.
 */
#include <x7/net_http_spec.h>

#include "fuzz_common.h"
#include "http_int.h"

static void caps_vals(struct x7_view caps, int32_t out[6]) {
  FUZZ_OK(x7_net_http_spec_caps_follow_location_v1(caps, &out[0]));
  FUZZ_OK(x7_net_http_spec_caps_timeout_s_v1(caps, &out[1]));
  FUZZ_OK(x7_net_http_spec_caps_max_redirects_v1(caps, &out[2]));
  FUZZ_OK(x7_net_http_spec_caps_max_header_bytes_v1(caps, &out[3]));
  FUZZ_OK(x7_net_http_spec_caps_max_headers_v1(caps, &out[4]));
  FUZZ_OK(x7_net_http_spec_caps_max_body_bytes_v1(caps, &out[5]));
}

static int caps_valid(struct x7_view caps) {
  return caps.len >= 28 && fuzz_rdi32(caps.ptr) == 1;
}

/* The HttpCapsV1 accessors against §2.7, and the decoder's copy. */
static void check_caps(struct x7_view caps, const struct x7__http_caps *pc) {
  static const int32_t dflt[6] = {0, 30, 0, 4096, 64, 65536};
  int32_t v[6];
  caps_vals(caps, v);
  for (int i = 0; i < 6; i++) {
    int32_t stored = caps_valid(caps) ? fuzz_rdi32(caps.ptr + 4 + 4 * i) : -1;
    FUZZ_CHECK(v[i] == (stored >= 0 ? stored : dflt[i]));
  }
  if (pc)
    FUZZ_CHECK(pc->follow_location == v[0] && pc->timeout_s == v[1] &&
               pc->max_redirects == v[2] && pc->max_header_bytes == v[3] &&
               pc->max_headers == v[4] && pc->max_body_bytes == v[5]);
}

/* The accessors against a walk of the doc. */
static void check_accessors(struct x7_view d) {
  typedef x7_result part_fn(struct x7_view, struct x7_bytes *);
  static part_fn *const parts[4] = {
      x7_net_http_spec_req_url_v1, x7_net_http_spec_req_headers_v1,
      x7_net_http_spec_req_body_v1, x7_net_http_spec_req_caps_v1};
  const int head = d.len >= 8 && fuzz_rdi32(d.ptr) == 1;
  struct x7_bytes b = {0};
  struct x7_view f;
  size_t pos = 8;
  int ok = head;
  int32_t m;
  FUZZ_OK(x7_net_http_spec_req_method_v1(d, &m));
  FUZZ_CHECK(m == (head ? fuzz_rdi32(d.ptr + 4) : 0));
  for (int i = 0; i < 4; i++) {
    if (ok && fuzz_field(d, &pos, &f)) ok = 0;
    FUZZ_OK(parts[i](d, &b));
    FUZZ_CHECK(ok ? fuzz_beq(&b, f) : b.len == 0);
    x7_bytes_free(&b);
  }
}

/* Methods 1 (GET) and 2 (POST) are upstream's; 3..7 (HEAD, PUT, DELETE,
 * PATCH, OPTIONS) are x7 extensions the decoder accepts too.  GET and
 * HEAD carry no body. */
static int method_ok(int32_t m, size_t body_len) {
  if (m < 1 || m > 7) return 0;
  return !((m == 1 || m == 3) && body_len);
}

/* 1 when the client would send d (§2.8 plus the shim's NUL check). */
static int ref_acceptable(struct x7_view d) {
  struct x7_view url, headers, body, caps;
  size_t pos = 8;
  int32_t m;
  if (d.len < 8 || fuzz_rdi32(d.ptr) != 1) return 0;
  m = fuzz_rdi32(d.ptr + 4);
  if (fuzz_field(d, &pos, &url) || fuzz_field(d, &pos, &headers) ||
      fuzz_field(d, &pos, &body) || fuzz_field(d, &pos, &caps) ||
      pos != d.len)
    return 0;
  return method_ok(m, body.len) && !fuzz_has_byte(url, 0);
}

static struct x7_bytes build(const struct x7__http_req *q) {
  struct x7_bytes r = {0};
  FUZZ_OK(x7_net_http_spec_req_v1(q->method, q->url, q->headers, q->body,
                                  q->caps, &r));
  return r;
}

/* Decode d, which must be acceptable, and return its fields. */
static struct x7__http_req decode_ok(struct x7_view d) {
  struct x7__http_req q;
  int32_t code;
  FUZZ_OK(x7__http_req_decode(d, &q, &code));
  FUZZ_CHECK(code == 0);
  return q;
}

/* The round trip of an accepted request q. */
static void round_trip(const struct x7__http_req *q) {
  struct x7_bytes r = {0}, r2 = {0}, canon = {0}, dflt = {0}, alt = {0};
  struct x7__http_req q2, q3;

  r = build(q);
  check_accessors(x7_bytes_view(&r));
  q2 = decode_ok(x7_bytes_view(&r));
  FUZZ_CHECK(q2.method == q->method);
  FUZZ_CHECK(fuzz_eq(q2.url, q->url) && fuzz_eq(q2.body, q->body));
  FUZZ_OK(x7_net_http_spec_headers_canon_join_sorted_v1(q->headers, &canon));
  FUZZ_CHECK(fuzz_beq(&canon, q2.headers));
  if (caps_valid(q->caps)) {
    FUZZ_CHECK(fuzz_eq(q2.caps, q->caps));
  } else {
    FUZZ_OK(x7_net_http_spec_caps_default_v1(&dflt));
    FUZZ_CHECK(fuzz_beq(&dflt, q2.caps));
  }
  FUZZ_CHECK(memcmp(&q2.caps_val, &q->caps_val, sizeof q2.caps_val) == 0);

  /* A decoded-and-rebuilt request is a fixed point. */
  r2 = build(&q2);
  FUZZ_CHECK(fuzz_beq(&r2, x7_bytes_view(&r)));
  q3 = decode_ok(x7_bytes_view(&r2));
  FUZZ_CHECK(fuzz_eq(q3.headers, q2.headers));

  /* The public builders are req_v1 with a fixed method. */
  if (q->method == 1 || q->method == 2) {
    if (q->method == 1)
      FUZZ_OK(x7_net_http_spec_req_get_v1(q->url, q->headers, q->caps, &alt));
    else
      FUZZ_OK(x7_net_http_spec_req_post_v1(q->url, q->headers, q->body,
                                           q->caps, &alt));
    FUZZ_CHECK(fuzz_beq(&alt, x7_bytes_view(&r)));
  }

  x7_bytes_free(&r);
  x7_bytes_free(&r2);
  x7_bytes_free(&canon);
  x7_bytes_free(&dflt);
  x7_bytes_free(&alt);
}

static void fuzz_doc(struct x7_view d) {
  struct x7__http_req q;
  int32_t code;
  check_accessors(d);
  FUZZ_OK(x7__http_req_decode(d, &q, &code));
  FUZZ_CHECK(code == 0 || code == 2);
  FUZZ_CHECK((code == 0) == ref_acceptable(d));
  if (code) return;
  /* Views borrow from the doc, in layout order. */
  FUZZ_CHECK(q.url.ptr == d.ptr + 12);
  FUZZ_CHECK(q.caps.ptr + q.caps.len == d.ptr + d.len);
  check_caps(q.caps, &q.caps_val);
  round_trip(&q);
}

static void fuzz_build(struct fuzz_input *in) {
  struct x7__http_req q;
  struct x7_bytes r = {0};
  int32_t code;
  uint8_t m;
  memset(&q, 0, sizeof q);
  /* Mostly 0..7; bit 7 of the selector takes an arbitrary i32. */
  m = fuzz_u8(in);
  q.method = m & 0x80 ? fuzz_i32(in) : (int32_t)(m & 7);
  q.url = fuzz_chunk16(in);
  q.headers = fuzz_chunk16(in);
  q.body = fuzz_chunk16(in);
  q.caps = fuzz_rest(in);
  check_caps(q.caps, NULL);
  r = build(&q);
  check_accessors(x7_bytes_view(&r));
  FUZZ_OK(x7__http_req_decode(x7_bytes_view(&r), &q, &code));
  FUZZ_CHECK((code == 0) == ref_acceptable(x7_bytes_view(&r)));
  if (code == 0) {
    FUZZ_CHECK(method_ok(q.method, q.body.len));
    round_trip(&q);
  }
  x7_bytes_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  uint8_t mode;
  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  if (mode & 1)
    fuzz_build(&in);
  else
    fuzz_doc(fuzz_rest(&in));
  fuzz_done(&in);
  return 0;
}
