/*
 * fuzz_http_server.c - the pure parts of std.net.http.server (spec §2.11,
 * §7.1, §7.2): x7__http_server_frame, x7__http_server_req_doc, the
 * HttpServerReqDocV1 accessors and response_bytes_v1.
 *
 * Input: mode u8, n i32 (max_read_bytes or status), name (u8 length +
 * bytes), then by mode % 3:
 *   0: buf (rest).  frame(buf, n) must match an independent reading of
 *      §7.1; a request framed as DONE becomes a req doc whose accessors
 *      give the parser's method, target, headers and exactly the
 *      Content-Length body; and replaying buf through the read loop in
 *      the chunk sizes frame asks for reaches the same verdict, with
 *      `need` fixed once the headers are in.
 *   1: doc (rest): the four accessors on an arbitrary req doc equal the
 *      ext.httparse accessors on the doc's own split (§2.11).
 *   2: table (u16 length + bytes), body (rest): response_bytes_v1(n, ...)
 *      gives exactly the §7.2 bytes, and they parse back as a response
 *      with that status, content-length and body.
 */
#include <x7/ext_httparse.h>
#include <x7/net_err.h>
#include <x7/net_http_server.h>

#include "fuzz_common.h"
#include "http_server_int.h"

static const struct x7_view cl_name = {(const uint8_t *)"content-length", 14};

static struct x7_bytes parse_req(struct x7_view msg) {
  struct x7_bytes d = {0};
  FUZZ_OK(x7_ext_httparse_parse_request(msg, &d));
  return d;
}

static int is_err_doc(const struct x7_bytes *d) {
  return d->len < 1 || d->ptr[0] == 0;
}

/* ---- framing ---- */

static size_t header_end(struct x7_view b) {
  for (size_t i = 0; i + 4 <= b.len; i++)
    if (memcmp(b.ptr + i, "\r\n\r\n", 4) == 0) return i + 4;
  return 0;
}

/* §7.1, step by step. */
static void ref_frame(struct x7_view buf, int32_t max,
                      struct x7__http_frame *f) {
  const size_t max_total = max <= 0 ? 1048576 : (size_t)max;
  struct x7_bytes pd = {0}, cl = {0};
  size_t he = header_end(buf), need;
  int64_t len = 0;
  memset(f, 0, sizeof *f);
  if (!he) {
    if (buf.len >= max_total) {
      f->state = X7__HTTP_FRAME_ERR;
      f->err = X7_NET_ERR_TOO_LARGE;
    } else {
      f->state = X7__HTTP_FRAME_MORE;
      f->want = max_total - buf.len < 4096 ? max_total - buf.len : 4096;
    }
    return;
  }
  pd = parse_req(buf);
  if (is_err_doc(&pd)) {
    x7_bytes_free(&pd);
    f->state = X7__HTTP_FRAME_ERR;
    f->err = X7_NET_ERR_INVALID_REQ;
    return;
  }
  FUZZ_OK(x7_ext_httparse_header_get(x7_bytes_view(&pd), buf, cl_name, &cl));
  x7_bytes_free(&pd);
  for (size_t i = 0; i < cl.len && len >= 0; i++) {
    if (cl.ptr[i] < '0' || cl.ptr[i] > '9')
      len = -1;
    else
      len = len * 10 + (cl.ptr[i] - '0');
    if (len > INT32_MAX) len = -1;
  }
  x7_bytes_free(&cl);
  if (len < 0) {
    f->state = X7__HTTP_FRAME_ERR;
    f->err = X7_NET_ERR_INVALID_REQ;
    return;
  }
  need = he + (size_t)len;
  if (need > max_total) {
    f->state = X7__HTTP_FRAME_ERR;
    f->err = X7_NET_ERR_TOO_LARGE;
  } else if (buf.len >= need) {
    f->state = X7__HTTP_FRAME_DONE;
    f->need = need;
  } else {
    f->state = X7__HTTP_FRAME_MORE;
    f->need = need;
    f->want = need - buf.len < 4096 ? need - buf.len : 4096;
  }
}

static struct x7__http_frame frame(struct x7_view buf, int32_t max) {
  struct x7__http_frame f, ref;
  FUZZ_OK(x7__http_server_frame(buf, max, &f));
  ref_frame(buf, max, &ref);
  FUZZ_CHECK(f.state == ref.state);
  if (f.state == X7__HTTP_FRAME_ERR) FUZZ_CHECK(f.err == ref.err);
  if (f.state != X7__HTTP_FRAME_ERR) FUZZ_CHECK(f.need == ref.need);
  if (f.state == X7__HTTP_FRAME_MORE)
    FUZZ_CHECK(f.want == ref.want && f.want >= 1 && f.want <= 4096);
  return f;
}

/* ---- req docs ---- */

/* The (parse doc, msg) split of §2.11; empty parts when malformed. */
static void ref_split(struct x7_view d, struct x7_view *ppd,
                      struct x7_view *pmsg) {
  int32_t pd_len, msg_len;
  size_t off;
  *ppd = x7_view_of(NULL, 0);
  *pmsg = x7_view_of(NULL, 0);
  if (d.len < 12 || d.ptr[0] != 1 || d.ptr[1] != 1) return;
  pd_len = fuzz_rdi32(d.ptr + 4);
  if (pd_len < 0 || (size_t)pd_len > d.len - 8) return;
  *ppd = fuzz_sub(d, 8, (size_t)pd_len);
  off = 8 + (size_t)pd_len;
  if (d.len - off < 4) return;
  msg_len = fuzz_rdi32(d.ptr + off);
  if (msg_len < 0 || (size_t)msg_len != d.len - off - 4) return;
  *pmsg = fuzz_sub(d, off + 4, (size_t)msg_len);
}

typedef x7_result pair_fn(struct x7_view, struct x7_view, struct x7_bytes *);
typedef x7_result req_fn(struct x7_view, struct x7_bytes *);

static void check_part(struct x7_view d, struct x7_view pd,
                       struct x7_view msg, req_fn *fn, pair_fn *ref) {
  struct x7_bytes got = {0}, want = {0};
  FUZZ_OK(fn(d, &got));
  if (pd.len >= 1 && pd.ptr[0] != 0) FUZZ_OK(ref(pd, msg, &want));
  FUZZ_CHECK(fuzz_beq(&got, x7_bytes_view(&want)));
  x7_bytes_free(&got);
  x7_bytes_free(&want);
}

static void check_req_doc(struct x7_view d, struct x7_view name) {
  struct x7_bytes got = {0}, want = {0};
  struct x7_view pd, msg;
  ref_split(d, &pd, &msg);
  check_part(d, pd, msg, x7_net_http_server_req_method_v1,
             x7_ext_httparse_method);
  check_part(d, pd, msg, x7_net_http_server_req_target_v1,
             x7_ext_httparse_target);
  check_part(d, pd, msg, x7_net_http_server_req_body_v1,
             x7_ext_httparse_body);
  FUZZ_OK(x7_net_http_server_req_header_get_v1(d, name, &got));
  if (pd.len >= 1 && pd.ptr[0] != 0)
    FUZZ_OK(x7_ext_httparse_header_get(pd, msg, name, &want));
  FUZZ_CHECK(fuzz_beq(&got, x7_bytes_view(&want)));
  x7_bytes_free(&got);
  x7_bytes_free(&want);
}

/* req_doc(msg): NetErrDocV1(2) for what does not parse, else exactly
 * 01 01 00 00, pd_len, parse doc, msg_len, msg. */
static struct x7_bytes req_doc(struct x7_view msg) {
  static const uint8_t err2[9] = {0, 2, 0, 0, 0, 0, 0, 0, 0};
  struct x7_bytes d = {0}, pd = parse_req(msg);
  FUZZ_OK(x7__http_server_req_doc(msg, &d));
  if (is_err_doc(&pd)) {
    FUZZ_CHECK(fuzz_beq(&d, x7_view_of(err2, 9)));
  } else {
    FUZZ_CHECK(d.len == 12 + pd.len + msg.len);
    FUZZ_CHECK(memcmp(d.ptr, "\1\1\0\0", 4) == 0 &&
               fuzz_rd32(d.ptr + 4) == pd.len &&
               memcmp(d.ptr + 8, pd.ptr, pd.len) == 0 &&
               fuzz_rd32(d.ptr + 8 + pd.len) == msg.len);
    FUZZ_CHECK(fuzz_eq(fuzz_sub(x7_bytes_view(&d), 12 + pd.len, msg.len),
                       msg));
  }
  x7_bytes_free(&pd);
  return d;
}

static void fuzz_frame(struct fuzz_input *in, int32_t max,
                       struct x7_view name) {
  struct x7_view buf = fuzz_rest(in), part;
  struct x7__http_frame f = frame(buf, max), g;
  struct x7_bytes d = {0}, body = {0};
  size_t have = 0, need_seen = 0;

  d = req_doc(buf);
  check_req_doc(x7_bytes_view(&d), name);
  x7_bytes_free(&d);

  if (f.state == X7__HTTP_FRAME_DONE) {
    size_t he = header_end(buf);
    part = fuzz_own(in, buf.ptr, f.need);
    g = frame(part, max);
    FUZZ_CHECK(g.state == X7__HTTP_FRAME_DONE && g.need == f.need);
    d = req_doc(part);
    FUZZ_CHECK(d.len && d.ptr[0] == 1);
    FUZZ_OK(x7_net_http_server_req_body_v1(x7_bytes_view(&d), &body));
    FUZZ_CHECK(fuzz_beq(&body, fuzz_sub(buf, he, f.need - he)));
    x7_bytes_free(&body);
    check_req_doc(x7_bytes_view(&d), name);
    x7_bytes_free(&d);
  }

  /* The read loop: read what frame asks for, until it decides.  A verdict
   * on a prefix is the verdict on the whole buffer (the bytes after a
   * complete request are never looked at). */
  for (int i = 0; i < 64; i++) {
    g = frame(fuzz_sub(buf, 0, have), max);
    if (g.state != X7__HTTP_FRAME_MORE) {
      FUZZ_CHECK(g.state == f.state);
      break;
    }
    if (g.need) {
      FUZZ_CHECK(!need_seen || g.need == need_seen);
      need_seen = g.need;
    }
    if (have == buf.len) {
      FUZZ_CHECK(f.state == X7__HTTP_FRAME_MORE && f.need == g.need);
      break;
    }
    have += g.want < buf.len - have ? g.want : buf.len - have;
  }
}

/* ---- response serialiser ---- */

struct ref {
  uint8_t *p;
  size_t len, cap;
};

static void ref_add(struct ref *r, const void *p, size_t n) {
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap : 128;
    while (cap < r->len + n) cap *= 2;
    r->p = realloc(r->p, cap);
    FUZZ_CHECK(r->p != NULL);
    r->cap = cap;
  }
  if (n) memcpy(r->p + r->len, p, n);
  r->len += n;
}

static int has_ctl(struct x7_view v) {
  return fuzz_has_byte(v, 0) || fuzz_has_byte(v, '\r') ||
         fuzz_has_byte(v, '\n');
}

static int is_str(struct x7_view v, const char *s) {
  return fuzz_eq(v, x7_view_of(s, strlen(s)));
}

static void fuzz_response(struct fuzz_input *in, int32_t status) {
  struct x7_view table = fuzz_chunk16(in), body = fuzz_rest(in), k, v;
  struct x7_bytes out = {0}, pd = {0}, got = {0};
  struct ref r = {0};
  char line[96];
  size_t pos = 4;
  int32_t count, emitted = 0, colon_first = 0, st;
  const int32_t want_status = status < 0 ? 200 : status;

  snprintf(line, sizeof line,
           "HTTP/1.1 %ld OK\r\ncontent-length: %lu\r\nconnection: close\r\n",
           (long)want_status, (unsigned long)body.len);
  ref_add(&r, line, strlen(line));
  count = table.len >= 4 ? fuzz_rdi32(table.ptr) : 0;
  for (int32_t i = 0; i < count; i++) {
    if (fuzz_field(table, &pos, &k) || fuzz_field(table, &pos, &v)) break;
    if (k.len == 0 || is_str(k, "content-length") || is_str(k, "connection") ||
        has_ctl(k) || has_ctl(v))
      continue;
    ref_add(&r, k.ptr, k.len);
    ref_add(&r, ": ", 2);
    ref_add(&r, v.ptr, v.len);
    ref_add(&r, "\r\n", 2);
    emitted++;
    if (k.ptr[0] == ':') colon_first = 1;
  }
  ref_add(&r, "\r\n", 2);
  ref_add(&r, body.ptr, body.len);

  FUZZ_OK(x7_net_http_server_response_bytes_v1(status, table, body, &out));
  FUZZ_CHECK(fuzz_beq(&out, x7_view_of(r.p, r.len)));
  free(r.p);

  /* What a client parses back. */
  FUZZ_OK(x7_ext_httparse_parse_response(x7_bytes_view(&out), &pd));
  FUZZ_CHECK(is_err_doc(&pd) == colon_first);
  if (!colon_first) {
    struct x7_view d = x7_bytes_view(&pd), m = x7_bytes_view(&out);
    FUZZ_OK(x7_ext_httparse_status_code(d, &st));
    FUZZ_CHECK(st == want_status);
    FUZZ_OK(x7_ext_httparse_header_count(d, &st));
    FUZZ_CHECK(st == 2 + emitted);
    FUZZ_OK(x7_ext_httparse_header_name(d, m, 0, &got));
    FUZZ_CHECK(is_str(x7_bytes_view(&got), "content-length"));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_body(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, body));
    x7_bytes_free(&got);
  }
  x7_bytes_free(&pd);
  x7_bytes_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct x7_view name;
  uint8_t mode;
  int32_t n;

  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  n = fuzz_i32(&in);
  name = fuzz_chunk8(&in);
  switch (mode % 3) {
  case 0:
    fuzz_frame(&in, n, name);
    break;
  case 1:
    check_req_doc(fuzz_rest(&in), name);
    break;
  default:
    fuzz_response(&in, n);
    break;
  }
  fuzz_done(&in);
  return 0;
}
