/*
 * fuzz_curl_req.c - the CurlReq doc (spec §2.9, §4.2, §4.5):
 * x7__curl_req_decode, the "safe relative path" rule and the ext.curl.http
 * req_* builders.
 *
 * Input: mode u8, then by mode % 3:
 *   0: doc (rest).  The decoder must accept exactly what an independent
 *      reading of §4.2 accepts, with the same fields; an accepted ver 2/3
 *      request rebuilt with the matching builder decodes to the same
 *      fields, and to the same bytes when flags is 0/1 and timeout_s is
 *      not 0 (0 is read as 30).
 *   1: path (rest) through x7__curl_safe_rel_path and an independent
 *      segment-by-segment implementation of §4.5.
 *   2: builder arguments: flags u8 (bit 0 ver 3, bit 1 POST), five i32
 *      numbers, url, headers table, body (u16 length + bytes each), out
 *      path (rest).  Arguments the backend must accept decode to exactly
 *      those arguments.
 */
#include <x7/ext_curl_http.h>
#include <x7/net_err.h>

#include "fuzz_common.h"
#include "http_int.h"

/* ---- §4.5 safe relative path, written differently on purpose ---- */

static int ref_safe_path(struct x7_view p) {
  size_t start = 0;
  if (p.len == 0 || p.ptr[0] == '/' || fuzz_has_byte(p, 0) ||
      fuzz_has_byte(p, '\\'))
    return 0;
  for (;;) {
    const uint8_t *slash = memchr(p.ptr + start, '/', p.len - start);
    size_t end = slash ? (size_t)(slash - p.ptr) : p.len;
    struct x7_view seg = fuzz_sub(p, start, end - start);
    if (seg.len == 0) return 0;
    if (seg.len == 1 && seg.ptr[0] == '.') return 0;
    if (seg.len == 2 && seg.ptr[0] == '.' && seg.ptr[1] == '.') return 0;
    if (seg.len >= 5 && memcmp(seg.ptr, ".x07_", 5) == 0) return 0;
    if (!slash) return 1;
    start = end + 1;
  }
}

/* ---- §4.2 validation, read independently ---- */

static int u32_at(struct x7_view d, size_t *ppos, uint32_t *pv) {
  if (d.len < 4 || *ppos > d.len - 4) return -1;
  *pv = fuzz_rd32(d.ptr + *ppos);
  *ppos += 4;
  return 0;
}

/* Unsigned length, as the shim reads it. */
static int ufield(struct x7_view d, size_t *ppos, struct x7_view *pf) {
  uint32_t n;
  size_t pos = *ppos;
  if (u32_at(d, &pos, &n) || n > d.len - pos) return -1;
  *pf = fuzz_sub(d, pos, n);
  *ppos = pos + n;
  return 0;
}

/* Entries of a header block: non-empty names, no NUL; 0 when the count
 * entries end exactly at the end of the block. */
static int headers_ok(struct x7_view block, uint32_t count) {
  struct x7_view n, v;
  size_t pos = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (ufield(block, &pos, &n) || ufield(block, &pos, &v) || n.len == 0 ||
        fuzz_has_byte(n, 0) || fuzz_has_byte(v, 0))
      return -1;
  }
  return pos == block.len ? 0 : -1;
}

static int ref_decode(struct x7_view d, struct x7__curl_req *q) {
  struct x7_view n, v;
  size_t pos = 2, hstart;
  memset(q, 0, sizeof *q);
  if (d.len < 2 || d.ptr[0] < 1 || d.ptr[0] > 3) return -1;
  q->ver = d.ptr[0];
  q->method = d.ptr[1];
  if (ufield(d, &pos, &q->url) || fuzz_has_byte(q->url, 0)) return -1;
  if (u32_at(d, &pos, &q->header_count)) return -1;
  hstart = pos;
  for (uint32_t i = 0; i < q->header_count; i++)
    if (ufield(d, &pos, &n) || ufield(d, &pos, &v) || n.len == 0 ||
        fuzz_has_byte(n, 0) || fuzz_has_byte(v, 0))
      return -1;
  q->headers = fuzz_sub(d, hstart, pos - hstart);
  if (ufield(d, &pos, &q->body)) return -1;
  if (q->method != 1 && q->method != 2) return -1;
  if (q->method == 1 && q->body.len) return -1;
  q->timeout_s = 30;
  if (q->ver >= 2) {
    if (u32_at(d, &pos, &q->flags) || u32_at(d, &pos, &q->timeout_s) ||
        u32_at(d, &pos, &q->max_redirects) ||
        u32_at(d, &pos, &q->max_header_bytes) ||
        u32_at(d, &pos, &q->max_headers))
      return -1;
    if (q->ver == 3 && ufield(d, &pos, &q->out_path)) return -1;
  }
  if (pos != d.len) return -1;
  if (q->ver == 1) return 0;
  if (q->timeout_s == 0) q->timeout_s = 30;
  if (q->timeout_s > 600 || q->max_redirects > 100 ||
      q->max_header_bytes > 16777216 || q->max_headers > 65535)
    return -1;
  if (q->ver == 3 && !ref_safe_path(q->out_path)) return -1;
  return 0;
}

static int same_view(struct x7_view a, struct x7_view b) {
  return a.len == b.len && (a.len == 0 || a.ptr == b.ptr);
}

static void check_same(const struct x7__curl_req *a,
                       const struct x7__curl_req *b, int views_identical) {
  FUZZ_CHECK(a->ver == b->ver && a->method == b->method);
  FUZZ_CHECK(a->header_count == b->header_count);
  FUZZ_CHECK(a->timeout_s == b->timeout_s &&
             a->max_redirects == b->max_redirects &&
             a->max_header_bytes == b->max_header_bytes &&
             a->max_headers == b->max_headers);
  if (views_identical) {
    FUZZ_CHECK(a->flags == b->flags);
    FUZZ_CHECK(same_view(a->url, b->url) && same_view(a->headers, b->headers) &&
               same_view(a->body, b->body) &&
               same_view(a->out_path, b->out_path));
  } else {
    FUZZ_CHECK((a->flags & 1) == (b->flags & 1));
    FUZZ_CHECK(fuzz_eq(a->url, b->url) && fuzz_eq(a->headers, b->headers) &&
               fuzz_eq(a->body, b->body) && fuzz_eq(a->out_path, b->out_path));
  }
}

/* Build a request of q's shape; the table is count + entry bytes. */
static struct x7_bytes build(int ver, int method, struct x7_view url,
                             struct x7_view table, struct x7_view body,
                             struct x7_view path, const int32_t num[5]) {
  struct x7_bytes r = {0};
  if (ver == 2 && method == 1)
    FUZZ_OK(x7_ext_curl_http_req_get_v2(url, table, num[0], num[1], num[2],
                                        num[3], num[4], &r));
  else if (ver == 2)
    FUZZ_OK(x7_ext_curl_http_req_post_v2(url, table, body, num[0], num[1],
                                         num[2], num[3], num[4], &r));
  else if (method == 1)
    FUZZ_OK(x7_ext_curl_http_req_get_to_file_v3(url, table, path, num[0],
                                                num[1], num[2], num[3],
                                                num[4], &r));
  else
    FUZZ_OK(x7_ext_curl_http_req_post_to_file_v3(url, table, body, path,
                                                 num[0], num[1], num[2],
                                                 num[3], num[4], &r));
  return r;
}

static void decode_checked(struct x7_view d, struct x7__curl_req *q,
                           int32_t *pcode) {
  struct x7__curl_req ref;
  int ref_rc = ref_decode(d, &ref);
  FUZZ_OK(x7__curl_req_decode(d, q, pcode));
  FUZZ_CHECK(*pcode == (ref_rc ? X7_NET_ERR_INVALID_REQ : 0));
  if (*pcode) return;
  check_same(q, &ref, 1);
  FUZZ_CHECK(headers_ok(q->headers, q->header_count) == 0);
  if (q->ver == 3) FUZZ_CHECK(x7__curl_safe_rel_path(q->out_path) == 1);
}

static void fuzz_doc(struct fuzz_input *in, struct x7_view d) {
  struct x7__curl_req q, q2;
  struct x7_bytes re = {0};
  struct x7_view table;
  uint8_t *t;
  size_t nums;
  int32_t code, num[5];

  decode_checked(d, &q, &code);
  if (code || q.ver == 1) return;

  t = malloc(4 + q.headers.len);
  FUZZ_CHECK(t != NULL);
  fuzz_wr32(t, q.header_count);
  if (q.headers.len) memcpy(t + 4, q.headers.ptr, q.headers.len);
  table = fuzz_own(in, t, 4 + q.headers.len);
  free(t);
  num[0] = (int32_t)(q.flags & 1);
  num[1] = (int32_t)q.timeout_s;
  num[2] = (int32_t)q.max_redirects;
  num[3] = (int32_t)q.max_header_bytes;
  num[4] = (int32_t)q.max_headers;
  re = build(q.ver, q.method, q.url, table, q.body, q.out_path, num);
  decode_checked(x7_bytes_view(&re), &q2, &code);
  FUZZ_CHECK(code == 0);
  check_same(&q2, &q, 0);

  nums = q.ver == 2 ? d.len - 20
                    : (size_t)(q.out_path.ptr - d.ptr) - 4 - 20;
  if (q.flags <= 1 && fuzz_rd32(d.ptr + nums + 4) != 0)
    FUZZ_CHECK(fuzz_beq(&re, d));
  x7_bytes_free(&re);
}

static void fuzz_build(struct fuzz_input *in) {
  struct x7__curl_req q;
  struct x7_bytes r = {0};
  struct x7_view url, table, body, path, block;
  uint8_t flags = fuzz_u8(in);
  int ver = flags & 1 ? 3 : 2, method = flags & 2 ? 2 : 1;
  int32_t num[5], code;
  uint32_t count, timeout;
  int expect_ok;

  for (int i = 0; i < 5; i++) num[i] = fuzz_i32(in);
  url = fuzz_chunk16(in);
  table = fuzz_chunk16(in);
  body = fuzz_chunk16(in);
  path = fuzz_rest(in);

  r = build(ver, method, url, table, body, path, num);
  decode_checked(x7_bytes_view(&r), &q, &code);

  count = table.len < 4 ? 0 : fuzz_rd32(table.ptr);
  block = table.len < 4 ? x7_view_of(NULL, 0) : fuzz_sub(table, 4, table.len - 4);
  timeout = num[1] <= 0 ? 30 : (uint32_t)num[1];
  expect_ok = !fuzz_has_byte(url, 0) && headers_ok(block, count) == 0 &&
              timeout <= 600 && num[2] <= 100 && num[3] <= 16777216 &&
              num[4] <= 65535 && (ver == 2 || ref_safe_path(path));
  if (expect_ok) {
    FUZZ_CHECK(code == 0);
    FUZZ_CHECK(q.ver == ver && q.method == method);
    FUZZ_CHECK(fuzz_eq(q.url, url) && fuzz_eq(q.headers, block) &&
               q.header_count == count);
    FUZZ_CHECK(fuzz_eq(q.body, method == 2 ? body : x7_view_of(NULL, 0)));
    FUZZ_CHECK(q.flags == (uint32_t)(num[0] != 0) && q.timeout_s == timeout);
    FUZZ_CHECK(q.max_redirects == (num[2] < 0 ? 0u : (uint32_t)num[2]));
    FUZZ_CHECK(q.max_header_bytes == (num[3] < 0 ? 0u : (uint32_t)num[3]));
    FUZZ_CHECK(q.max_headers == (num[4] < 0 ? 0u : (uint32_t)num[4]));
    FUZZ_CHECK(fuzz_eq(q.out_path, ver == 3 ? path : x7_view_of(NULL, 0)));
  }
  x7_bytes_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct x7_view p;
  uint8_t mode;
  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  switch (mode % 3) {
  case 0:
    fuzz_doc(&in, fuzz_rest(&in));
    break;
  case 1:
    p = fuzz_rest(&in);
    FUZZ_CHECK(x7__curl_safe_rel_path(p) == ref_safe_path(p));
    break;
  default:
    fuzz_build(&in);
    break;
  }
  fuzz_done(&in);
  return 0;
}
