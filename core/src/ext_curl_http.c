/* ext_curl_http.c - ext.curl.http CurlReq builders (spec §2.9, §3.12) and
 * the validator that mirrors curl_shim.c's request checks (§4.2, §4.5). */
#include <x7/ext_curl_http.h>
#include <x7/net_err.h>

#include "http_int.h"

#define LEN_MAX ((size_t)INT32_MAX)
#define REQ_FIXED 34 /* ver, method, 3 lengths, header count, 5 numbers */

struct curl_args {
  int ver, method;
  struct x7_view url, headers, body, out_path;
  int32_t follow, timeout_s, max_redirects, max_header_bytes, max_headers;
};

static x7_result build(const struct curl_args *a, struct x7_bytes *pout) {
  struct x7__buf b;
  size_t hbytes = a->headers.len < 4 ? 0 : a->headers.len - 4;
  uint32_t hcount = a->headers.len < 4 ? 0 : x7__rd32(a->headers.ptr);
  size_t fixed = REQ_FIXED + (a->ver == 3 ? 4 : 0);
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(a->url);
  X7__IN_VIEW(a->headers);
  X7__IN_VIEW(a->body);
  X7__IN_VIEW(a->out_path);
  if (a->url.len > LEN_MAX || a->body.len > LEN_MAX ||
      a->out_path.len > LEN_MAX)
    return X7_ERANGE;
  x7__buf_init(&b);
  x7__buf_reserve(&b, x7__size_add(x7__size_add(fixed + a->url.len, hbytes),
                                   x7__size_add(a->body.len,
                                                a->out_path.len)));
  x7__buf_u8(&b, (uint8_t)a->ver);
  x7__buf_u8(&b, (uint8_t)a->method);
  x7__buf_u32(&b, (uint32_t)a->url.len);
  x7__buf_add(&b, a->url.ptr, a->url.len);
  /* The count is copied as stored, even when it reads negative. */
  x7__buf_u32(&b, hcount);
  if (hbytes) x7__buf_add(&b, a->headers.ptr + 4, hbytes);
  x7__buf_u32(&b, (uint32_t)a->body.len);
  x7__buf_add(&b, a->body.ptr, a->body.len);
  x7__buf_u32(&b, a->follow != 0 ? X7_EXT_CURL_REQ_FLAG_FOLLOWLOCATION : 0);
  x7__buf_u32(&b, x7__clamp0(a->timeout_s));
  x7__buf_u32(&b, x7__clamp0(a->max_redirects));
  x7__buf_u32(&b, x7__clamp0(a->max_header_bytes));
  x7__buf_u32(&b, x7__clamp0(a->max_headers));
  if (a->ver == 3) {
    x7__buf_u32(&b, (uint32_t)a->out_path.len);
    x7__buf_add(&b, a->out_path.ptr, a->out_path.len);
  }
  return x7__buf_finish(&b, pout);
}

x7_result x7_ext_curl_http_req_get_v2(struct x7_view url,
                                      struct x7_view headers,
                                      int32_t follow_location,
                                      int32_t timeout_s, int32_t max_redirects,
                                      int32_t max_header_bytes,
                                      int32_t max_headers,
                                      struct x7_bytes *pout) {
  const struct curl_args a = {
      .ver = 2, .method = 1, .url = url, .headers = headers,
      .follow = follow_location, .timeout_s = timeout_s,
      .max_redirects = max_redirects, .max_header_bytes = max_header_bytes,
      .max_headers = max_headers};
  return build(&a, pout);
}

x7_result x7_ext_curl_http_req_post_v2(struct x7_view url,
                                       struct x7_view headers,
                                       struct x7_view body,
                                       int32_t follow_location,
                                       int32_t timeout_s,
                                       int32_t max_redirects,
                                       int32_t max_header_bytes,
                                       int32_t max_headers,
                                       struct x7_bytes *pout) {
  const struct curl_args a = {
      .ver = 2, .method = 2, .url = url, .headers = headers, .body = body,
      .follow = follow_location, .timeout_s = timeout_s,
      .max_redirects = max_redirects, .max_header_bytes = max_header_bytes,
      .max_headers = max_headers};
  return build(&a, pout);
}

x7_result x7_ext_curl_http_req_get_to_file_v3(
    struct x7_view url, struct x7_view headers, struct x7_view out_path,
    int32_t follow_location, int32_t timeout_s, int32_t max_redirects,
    int32_t max_header_bytes, int32_t max_headers, struct x7_bytes *pout) {
  const struct curl_args a = {
      .ver = 3, .method = 1, .url = url, .headers = headers,
      .out_path = out_path, .follow = follow_location,
      .timeout_s = timeout_s, .max_redirects = max_redirects,
      .max_header_bytes = max_header_bytes, .max_headers = max_headers};
  return build(&a, pout);
}

x7_result x7_ext_curl_http_req_post_to_file_v3(
    struct x7_view url, struct x7_view headers, struct x7_view body,
    struct x7_view out_path, int32_t follow_location, int32_t timeout_s,
    int32_t max_redirects, int32_t max_header_bytes, int32_t max_headers,
    struct x7_bytes *pout) {
  const struct curl_args a = {
      .ver = 3, .method = 2, .url = url, .headers = headers, .body = body,
      .out_path = out_path, .follow = follow_location,
      .timeout_s = timeout_s, .max_redirects = max_redirects,
      .max_header_bytes = max_header_bytes, .max_headers = max_headers};
  return build(&a, pout);
}

/* ---- validation (the shim's view of the doc: unsigned lengths) ---- */

static int rd_u32(struct x7_view d, size_t *ppos, uint32_t *pv) {
  if (*ppos > d.len || d.len - *ppos < 4) return -1;
  *pv = x7__rd32(d.ptr + *ppos);
  *ppos += 4;
  return 0;
}

static int rd_field(struct x7_view d, size_t *ppos, struct x7_view *pf) {
  size_t pos = *ppos;
  uint32_t n;
  if (rd_u32(d, &pos, &n) || n > d.len - pos) return -1;
  *pf = x7__sub(d, pos, n);
  *ppos = pos + n;
  return 0;
}

static int has_nul(struct x7_view v) {
  return v.len && memchr(v.ptr, 0, v.len) != NULL;
}

int x7__curl_safe_rel_path(struct x7_view p) {
  size_t seg = 0;
  if (p.len == 0 || p.ptr[0] == '/') return 0;
  for (size_t i = 0; i <= p.len; i++) {
    const uint8_t *s = p.ptr + seg;
    size_t n = i - seg;
    if (i < p.len && p.ptr[i] != '/') {
      if (p.ptr[i] == 0 || p.ptr[i] == '\\') return 0;
      continue;
    }
    if (n == 0 || (n == 1 && s[0] == '.') ||
        (n == 2 && s[0] == '.' && s[1] == '.') ||
        (n >= 5 && memcmp(s, ".x07_", 5) == 0))
      return 0;
    seg = i + 1;
  }
  return 1;
}

/* 0 when req is a CurlReq the shim would accept, else -1.  Checks are in
 * the shim's order; all failures map to the same code. */
static int curl_req_check(struct x7_view req, struct x7__curl_req *q) {
  struct x7_view name, value;
  size_t pos = 2, hstart;
  if (req.len < 2) return -1;
  q->ver = req.ptr[0];
  q->method = req.ptr[1];
  if (q->ver < 1 || q->ver > 3) return -1;
  if (rd_field(req, &pos, &q->url) || has_nul(q->url)) return -1;
  if (rd_u32(req, &pos, &q->header_count)) return -1;
  hstart = pos;
  for (uint32_t i = 0; i < q->header_count; i++) {
    if (rd_field(req, &pos, &name) || rd_field(req, &pos, &value) ||
        has_nul(name) || has_nul(value) || name.len == 0)
      return -1;
  }
  q->headers = x7__sub(req, hstart, pos - hstart);
  if (rd_field(req, &pos, &q->body)) return -1;
  if (q->method == 1 ? q->body.len != 0 : q->method != 2) return -1;
  /* ver 1 requests carry no numbers: 30 s, no redirects, no capture. */
  q->flags = 0;
  q->timeout_s = 30;
  q->max_redirects = q->max_header_bytes = q->max_headers = 0;
  q->out_path = x7_view_of(NULL, 0);
  if (q->ver >= 2) {
    if (rd_u32(req, &pos, &q->flags) || rd_u32(req, &pos, &q->timeout_s) ||
        rd_u32(req, &pos, &q->max_redirects) ||
        rd_u32(req, &pos, &q->max_header_bytes) ||
        rd_u32(req, &pos, &q->max_headers))
      return -1;
    if (q->ver == 3 && rd_field(req, &pos, &q->out_path)) return -1;
  }
  if (pos != req.len) return -1;
  if (q->ver == 1) return 0;
  if (q->timeout_s == 0) q->timeout_s = 30;
  if (q->timeout_s > X7_EXT_CURL_MAX_TIMEOUT_S ||
      q->max_redirects > X7_EXT_CURL_MAX_REDIRECTS ||
      q->max_header_bytes > X7_EXT_CURL_MAX_HEADER_BYTES ||
      q->max_headers > X7_EXT_CURL_MAX_HEADERS)
    return -1;
  if (q->ver == 3 && !x7__curl_safe_rel_path(q->out_path)) return -1;
  return 0;
}

x7_result x7__curl_req_decode(struct x7_view req, struct x7__curl_req *preq,
                              int32_t *pcode) {
  struct x7__curl_req q;
  if (!preq || !pcode) return X7_EINVAL;
  *pcode = X7_NET_ERR_INVALID_REQ;
  memset(preq, 0, sizeof *preq);
  X7__IN_VIEW(req);
  memset(&q, 0, sizeof q);
  if (curl_req_check(req, &q)) return X7_OK;
  *preq = q;
  *pcode = 0;
  return X7_OK;
}
