/* net_http_server.c - the pure parts of std.net.http.server (spec §2.11,
 * §3.10, §7.1, §7.2). */
#include <stdio.h>

#include <x7/ext_httparse.h>
#include <x7/net_err.h>
#include <x7/net_http_server.h>

#include "http_server_int.h"

#define REQ_HDR 8 /* 01 01 00 00 pd_len */

/* ---- HttpServerReqDocV1 ---- */

/*
 * Split a request doc into its parse doc and message the way upstream's
 * _req_parse_doc_v1 / _req_msg_v1 do: each part is checked on its own, so
 * a doc with trailing bytes keeps its parse doc but loses its message.
 * Parts that fail their check come back empty.
 */
static void req_split(struct x7_view req, struct x7_view *ppd,
                      struct x7_view *pmsg) {
  int32_t pd_len, msg_len;
  size_t msg_off;
  *ppd = x7_view_of(NULL, 0);
  *pmsg = x7_view_of(NULL, 0);
  if (req.len < 12 || req.ptr[0] != 1 || req.ptr[1] != 1) return;
  pd_len = x7__rdi32(req.ptr + 4);
  if (pd_len < 0 || (size_t)pd_len > req.len - REQ_HDR) return;
  *ppd = x7__sub(req, REQ_HDR, (size_t)pd_len);
  msg_off = REQ_HDR + (size_t)pd_len;
  if (req.len - msg_off < 4) return;
  msg_len = x7__rdi32(req.ptr + msg_off);
  msg_off += 4;
  if (msg_len < 0 || (size_t)msg_len != req.len - msg_off) return;
  *pmsg = x7__sub(req, msg_off, (size_t)msg_len);
}

typedef x7_result doc_msg_fn(struct x7_view doc, struct x7_view msg,
                             struct x7_bytes *pout);

static x7_result req_part(struct x7_view req, doc_msg_fn *fn,
                          struct x7_bytes *pout) {
  struct x7_view pd, msg;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(req);
  req_split(req, &pd, &msg);
  if (pd.len < 1 || pd.ptr[0] == 0) return X7_OK;
  return fn(pd, msg, pout);
}

x7_result x7_net_http_server_req_method_v1(struct x7_view req,
                                           struct x7_bytes *pout) {
  return req_part(req, x7_ext_httparse_method, pout);
}

x7_result x7_net_http_server_req_target_v1(struct x7_view req,
                                           struct x7_bytes *pout) {
  return req_part(req, x7_ext_httparse_target, pout);
}

x7_result x7_net_http_server_req_body_v1(struct x7_view req,
                                         struct x7_bytes *pout) {
  return req_part(req, x7_ext_httparse_body, pout);
}

x7_result x7_net_http_server_req_header_get_v1(struct x7_view req,
                                               struct x7_view name,
                                               struct x7_bytes *pout) {
  struct x7_view pd, msg;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(req);
  X7__IN_VIEW(name);
  req_split(req, &pd, &msg);
  if (pd.len < 1 || pd.ptr[0] == 0) return X7_OK;
  return x7_ext_httparse_header_get(pd, msg, name, pout);
}

x7_result x7__http_server_req_doc(struct x7_view msg, struct x7_bytes *pout) {
  struct x7_bytes pd = {0};
  struct x7__buf b;
  int32_t is_err = 1;
  x7_result r;

  X7__OUT_BYTES(pout);
  X7__IN_VIEW(msg);
  r = x7_ext_httparse_parse_request(msg, &pd);
  if (r) return r;
  x7_ext_httparse_is_err(x7_bytes_view(&pd), &is_err);
  if (is_err) {
    x7_bytes_free(&pd);
    return x7__net_err_doc(X7_NET_ERR_INVALID_REQ, pout);
  }
  x7__buf_init(&b);
  x7__buf_add(&b, "\1\1\0\0", 4);
  x7__buf_u32(&b, (uint32_t)pd.len);
  x7__buf_add(&b, pd.ptr, pd.len);
  x7__buf_u32(&b, (uint32_t)msg.len);
  x7__buf_add(&b, msg.ptr, msg.len);
  x7_bytes_free(&pd);
  return x7__buf_finish(&b, pout);
}

/* ---- request framing (§7.1) ---- */

/* Index just after the first CRLFCRLF, or 0 when there is none. */
static size_t header_end(struct x7_view buf) {
  for (size_t i = 0; i + 4 <= buf.len; i++)
    if (memcmp(buf.ptr + i, "\r\n\r\n", 4) == 0) return i + 4;
  return 0;
}

/* Upstream's _parse_u32_dec_or_0_v1: empty -> 0, else ASCII digits only
 * and at most INT32_MAX, or -1. */
static int32_t content_length(struct x7_view v) {
  int32_t x = 0;
  for (size_t i = 0; i < v.len; i++) {
    const int d = v.ptr[i] - '0';
    if (d < 0 || d > 9 || x > (INT32_MAX - d) / 10) return -1;
    x = x * 10 + d;
  }
  return x;
}

static void frame_more(struct x7__http_frame *pf, size_t need, size_t room) {
  pf->state = X7__HTTP_FRAME_MORE;
  pf->need = need;
  pf->want =
      room < X7__HTTP_SERVER_READ_CHUNK ? room : X7__HTTP_SERVER_READ_CHUNK;
}

static void frame_err(struct x7__http_frame *pf, int32_t code) {
  pf->state = X7__HTTP_FRAME_ERR;
  pf->err = code;
}

x7_result x7__http_server_frame(struct x7_view buf, int32_t max_read_bytes,
                                struct x7__http_frame *pf) {
  static const char cl_name[] = "content-length";
  const size_t max_total = max_read_bytes <= 0 ? X7__HTTP_SERVER_DEFAULT_MAX
                                               : (size_t)max_read_bytes;
  struct x7_bytes pd = {0}, cl = {0};
  size_t he, need;
  int32_t is_err = 1, cl_val;
  x7_result r;

  if (!pf) return X7_EINVAL;
  memset(pf, 0, sizeof *pf);
  X7__IN_VIEW(buf);

  he = header_end(buf);
  if (!he) {
    if (buf.len >= max_total)
      frame_err(pf, X7_NET_ERR_TOO_LARGE);
    else
      frame_more(pf, 0, max_total - buf.len);
    return X7_OK;
  }

  r = x7_ext_httparse_parse_request(buf, &pd);
  if (r == X7_ERANGE) {
    /* Longer than any max_total: it could never have been read. */
    frame_err(pf, X7_NET_ERR_TOO_LARGE);
    return X7_OK;
  }
  if (r) return r;
  x7_ext_httparse_is_err(x7_bytes_view(&pd), &is_err);
  if (is_err) {
    x7_bytes_free(&pd);
    frame_err(pf, X7_NET_ERR_INVALID_REQ);
    return X7_OK;
  }
  r = x7_ext_httparse_header_get(x7_bytes_view(&pd), buf,
                                 x7_view_of(cl_name, sizeof cl_name - 1), &cl);
  x7_bytes_free(&pd);
  if (r) return r;
  cl_val = content_length(x7_bytes_view(&cl));
  x7_bytes_free(&cl);
  if (cl_val < 0) {
    frame_err(pf, X7_NET_ERR_INVALID_REQ);
    return X7_OK;
  }
  /* Upstream adds in i32 and can wrap; the sum here is exact, and anything
   * over max_total (<= INT32_MAX) is TOO_LARGE as the spec reads. */
  need = he + (size_t)cl_val;
  if (need > max_total) {
    frame_err(pf, X7_NET_ERR_TOO_LARGE);
  } else if (buf.len >= need) {
    pf->state = X7__HTTP_FRAME_DONE;
    pf->need = need;
  } else {
    frame_more(pf, need, need - buf.len);
  }
  return X7_OK;
}

/* ---- response serialiser (§7.2) ---- */

static int bad_header_bytes(struct x7_view v) {
  for (size_t i = 0; i < v.len; i++)
    if (v.ptr[i] == 0 || v.ptr[i] == '\r' || v.ptr[i] == '\n') return 1;
  return 0;
}

static int name_is(struct x7_view v, const char *s) {
  const size_t n = strlen(s);
  return v.len == n && memcmp(v.ptr, s, n) == 0;
}

/* Upstream's _append_headers_table_v1: a malformed entry ends the walk but
 * keeps what was already written. */
static void append_table(struct x7__buf *b, struct x7_view t) {
  size_t pos = 4;
  int32_t count;
  if (t.len < 4) return;
  count = x7__rdi32(t.ptr);
  for (int32_t i = 0; i < count; i++) {
    struct x7_view k, v;
    int32_t klen, vlen;
    if (t.len - pos < 4) return;
    klen = x7__rdi32(t.ptr + pos);
    pos += 4;
    if (klen < 0 || (size_t)klen > t.len - pos) return;
    k = x7__sub(t, pos, (size_t)klen);
    pos += (size_t)klen;
    if (t.len - pos < 4) return;
    vlen = x7__rdi32(t.ptr + pos);
    pos += 4;
    if (vlen < 0 || (size_t)vlen > t.len - pos) return;
    v = x7__sub(t, pos, (size_t)vlen);
    pos += (size_t)vlen;
    if (klen == 0 || name_is(k, "content-length") ||
        name_is(k, "connection") || bad_header_bytes(k) || bad_header_bytes(v))
      continue;
    x7__buf_add(b, k.ptr, k.len);
    x7__buf_add(b, ": ", 2);
    x7__buf_add(b, v.ptr, v.len);
    x7__buf_add(b, "\r\n", 2);
  }
}

x7_result x7_net_http_server_response_bytes_v1(int32_t status,
                                               struct x7_view headers_table,
                                               struct x7_view body,
                                               struct x7_bytes *pout) {
  struct x7__buf b;
  char line[64];
  int n;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(headers_table);
  X7__IN_VIEW(body);
  n = snprintf(
      line, sizeof line, "HTTP/1.1 %ld OK\r\ncontent-length: %llu\r\n",
      (long)(status < 0 ? 200 : status), (unsigned long long)body.len);
  x7__buf_init(&b);
  x7__buf_add(&b, line, (size_t)n);
  x7__buf_add(&b, "connection: close\r\n", 19);
  append_table(&b, headers_table);
  x7__buf_add(&b, "\r\n", 2);
  x7__buf_add(&b, body.ptr, body.len);
  return x7__buf_finish(&b, pout);
}
