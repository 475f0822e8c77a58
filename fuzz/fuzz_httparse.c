/*
 * fuzz_httparse.c - ext.httparse (spec §2.12, §7.3) and the ext.http_types
 * builders (§7.4).
 *
 * Input: mode u8, idx i32, name (u8 length + bytes), then by mode % 4:
 *   0 / 1: msg (rest) through parse_request / parse_response and every
 *      accessor.  Invariants: every returned slice lies inside msg and is
 *      exactly msg[start, start + len) of the doc's own (start, len); an
 *      error doc is the 9-byte form with a code the parser can produce; an
 *      ok doc has the §2.12 shape (52 + 16 * count bytes, body_start +
 *      body_len == msg length, CRLFCRLF right before the body, names
 *      without ':' and values without surrounding OWS, lines in order);
 *      appending bytes to a parsed message changes only body_len; and the
 *      accessors stay inside a message cut short.
 *   2: doc (u16 length + bytes) and msg (rest): the accessors on a doc that
 *      does not come from the parser, same slice invariant.
 *   3: builders: method, target, value, reason (u8 length + bytes each),
 *      body (rest).  header_line / lowercase_ascii / build_request /
 *      build_response must give the §7.4 bytes, and parsing what they
 *      build must give the parts back when the parts are clean.
 */
#include <x7/ext_http_types.h>
#include <x7/ext_httparse.h>

#include "fuzz_common.h"

/* ---- reading a doc the way the accessors must ---- */

static int32_t field_or_0(struct x7_view doc, uint32_t off) {
  if (off > doc.len || doc.len - off < 4) return 0;
  return fuzz_rdi32(doc.ptr + off);
}

static int32_t kind_of(struct x7_view doc) {
  return doc.len >= 2 && doc.ptr[0] == 1 ? doc.ptr[1] : 0;
}

static int32_t count_of(struct x7_view doc) {
  return kind_of(doc) ? field_or_0(doc, 40) : 0;
}

static int in_msg(struct x7_view msg, int32_t start, int32_t len) {
  return start >= 0 && len >= 0 && (size_t)start <= msg.len &&
         (size_t)len <= msg.len - (size_t)start;
}

/* An accessor's result must be msg[start, start + len) when that lies in
 * msg and len > 0, else empty. */
static void check_slice(const struct x7_bytes *got, struct x7_view msg,
                        int32_t start, int32_t len) {
  if (len > 0 && in_msg(msg, start, len))
    FUZZ_CHECK(fuzz_beq(got, fuzz_sub(msg, (size_t)start, (size_t)len)));
  else
    FUZZ_CHECK(got->len == 0);
}

typedef x7_result pair_fn(struct x7_view, struct x7_view, struct x7_bytes *);

static void check_pair(struct x7_view doc, struct x7_view msg, pair_fn *fn,
                       int32_t want_kind, uint32_t off) {
  struct x7_bytes b = {0};
  int32_t kind = kind_of(doc);
  FUZZ_OK(fn(doc, msg, &b));
  if (kind == 0 || (want_kind && kind != want_kind))
    FUZZ_CHECK(b.len == 0);
  else
    check_slice(&b, msg, field_or_0(doc, off), field_or_0(doc, off + 4));
  x7_bytes_free(&b);
}

static void check_entry(struct x7_view doc, struct x7_view msg, int32_t idx) {
  struct x7_bytes n = {0}, v = {0};
  uint32_t base = 44u + (uint32_t)idx * 16u;
  FUZZ_OK(x7_ext_httparse_header_name(doc, msg, idx, &n));
  FUZZ_OK(x7_ext_httparse_header_value(doc, msg, idx, &v));
  if (kind_of(doc) == 0 || idx < 0 || idx >= count_of(doc)) {
    FUZZ_CHECK(n.len == 0 && v.len == 0);
  } else {
    check_slice(&n, msg, field_or_0(doc, base), field_or_0(doc, base + 4));
    check_slice(&v, msg, field_or_0(doc, base + 8), field_or_0(doc, base + 12));
  }
  x7_bytes_free(&n);
  x7_bytes_free(&v);
}

/* header_get: the value of the first entry whose name slice matches. */
static void check_header_get(struct x7_view doc, struct x7_view msg,
                             struct x7_view name) {
  struct x7_bytes b = {0};
  int32_t count = count_of(doc), i;
  FUZZ_OK(x7_ext_httparse_header_get(doc, msg, name, &b));
  for (i = 0; kind_of(doc) && i < count && 44u + (uint32_t)i * 16u < doc.len;
       i++) {
    uint32_t base = 44u + (uint32_t)i * 16u;
    int32_t ns = field_or_0(doc, base), nl = field_or_0(doc, base + 4);
    if (nl < 0 || (size_t)nl != name.len || !in_msg(msg, ns, nl)) continue;
    if (!fuzz_eq_ci(fuzz_sub(msg, (size_t)ns, (size_t)nl), name)) continue;
    check_slice(&b, msg, field_or_0(doc, base + 8), field_or_0(doc, base + 12));
    x7_bytes_free(&b);
    return;
  }
  FUZZ_CHECK(b.len == 0);
  x7_bytes_free(&b);
}

/* Every accessor on (doc, msg), whatever they are. */
static void check_accessors(struct x7_view doc, struct x7_view msg,
                            struct x7_view name, int32_t idx) {
  int32_t v, kind = kind_of(doc), count = count_of(doc);
  FUZZ_OK(x7_ext_httparse_is_err(doc, &v));
  FUZZ_CHECK(v == (doc.len < 1 || doc.ptr[0] == 0));
  FUZZ_OK(x7_ext_httparse_err_code(doc, &v));
  FUZZ_CHECK(v == (doc.len >= 5 && doc.ptr[0] == 0 ? fuzz_rdi32(doc.ptr + 1)
                                                   : 0));
  FUZZ_OK(x7_ext_httparse_kind(doc, &v));
  FUZZ_CHECK(v == kind);
  FUZZ_OK(x7_ext_httparse_status_code(doc, &v));
  FUZZ_CHECK(v == (kind == 2 ? field_or_0(doc, 28) : 0));
  FUZZ_OK(x7_ext_httparse_header_count(doc, &v));
  FUZZ_CHECK(v == count);

  check_pair(doc, msg, x7_ext_httparse_version, 0, 4);
  check_pair(doc, msg, x7_ext_httparse_method, 1, 12);
  check_pair(doc, msg, x7_ext_httparse_target, 1, 20);
  check_pair(doc, msg, x7_ext_httparse_reason, 2, 32);
  check_pair(doc, msg, x7_ext_httparse_body, 0, 44u + (uint32_t)count * 16u);
  check_entry(doc, msg, idx);
  check_entry(doc, msg, -1);
  for (int32_t i = 0; i < count && i < 8; i++) check_entry(doc, msg, i);
  check_header_get(doc, msg, name);
}

/* ---- the parser's own docs ---- */

static int is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

static size_t first_crlf(struct x7_view m) {
  for (size_t i = 0; i + 1 < m.len; i++)
    if (m.ptr[i] == '\r' && m.ptr[i + 1] == '\n') return i;
  return m.len;
}

static struct x7_bytes parse(int kind, struct x7_view msg) {
  struct x7_bytes d = {0};
  if (kind == 1)
    FUZZ_OK(x7_ext_httparse_parse_request(msg, &d));
  else
    FUZZ_OK(x7_ext_httparse_parse_response(msg, &d));
  return d;
}

static void check_parsed(int kind, struct x7_view doc, struct x7_view msg) {
  uint32_t count, body_start, body_len, prev_end;
  size_t le = first_crlf(msg);
  if (doc.len == 9 && doc.ptr[0] == 0) {
    uint32_t code = fuzz_rd32(doc.ptr + 1);
    FUZZ_CHECK(fuzz_rd32(doc.ptr + 5) == 0);
    FUZZ_CHECK(code >= 1 && code <= (kind == 1 ? 3u : 4u));
    if (le == msg.len) FUZZ_CHECK(code == 1);
    return;
  }
  FUZZ_CHECK(doc.len >= 52 && doc.ptr[0] == 1 && doc.ptr[1] == kind &&
             doc.ptr[2] == 0 && doc.ptr[3] == 0);
  count = fuzz_rd32(doc.ptr + 40);
  FUZZ_CHECK(doc.len == 52 + 16 * (size_t)count);
  body_start = fuzz_rd32(doc.ptr + 44 + 16 * (size_t)count);
  body_len = fuzz_rd32(doc.ptr + 48 + 16 * (size_t)count);
  FUZZ_CHECK(body_start >= 4 && body_start <= msg.len &&
             body_len == msg.len - body_start);
  FUZZ_CHECK(memcmp(msg.ptr + body_start - 4, "\r\n\r\n", 4) == 0);
  FUZZ_CHECK(le < msg.len);

  /* Start line: every field inside it, no SP where none can be. */
  {
    uint32_t vs = fuzz_rd32(doc.ptr + 4), vl = fuzz_rd32(doc.ptr + 8);
    FUZZ_CHECK(vl >= 1 && vs + (size_t)vl <= le);
    if (kind == 1) {
      /* A request's version is OWS-trimmed; a response's is raw. */
      FUZZ_CHECK(!is_ows(msg.ptr[vs]) && !is_ows(msg.ptr[vs + vl - 1]));
      uint32_t ml = fuzz_rd32(doc.ptr + 16);
      uint32_t ts = fuzz_rd32(doc.ptr + 20), tl = fuzz_rd32(doc.ptr + 24);
      FUZZ_CHECK(fuzz_rd32(doc.ptr + 12) == 0 && ml >= 1 && msg.ptr[ml] == ' ');
      FUZZ_CHECK(!fuzz_has_byte(fuzz_sub(msg, 0, ml), ' '));
      FUZZ_CHECK(tl >= 1 && ts > ml && ts + (size_t)tl < vs);
      FUZZ_CHECK(!fuzz_has_byte(fuzz_sub(msg, ts, tl), ' '));
      FUZZ_CHECK(fuzz_rd32(doc.ptr + 28) == 0 && fuzz_rd32(doc.ptr + 36) == 0);
    } else {
      uint32_t status = 0, rs = fuzz_rd32(doc.ptr + 32);
      uint32_t rl = fuzz_rd32(doc.ptr + 36);
      size_t i = vl + 1;
      FUZZ_CHECK(vs == 0 && msg.ptr[vl] == ' ');
      FUZZ_CHECK(!fuzz_has_byte(fuzz_sub(msg, 0, vl), ' '));
      while (i < le && is_ows(msg.ptr[i])) i++;
      FUZZ_CHECK(i < le && msg.ptr[i] >= '0' && msg.ptr[i] <= '9');
      for (; i < le && msg.ptr[i] != ' '; i++) {
        FUZZ_CHECK(msg.ptr[i] >= '0' && msg.ptr[i] <= '9');
        status = status * 10u + (uint32_t)(msg.ptr[i] - '0');
      }
      FUZZ_CHECK(fuzz_rd32(doc.ptr + 28) == status);
      FUZZ_CHECK(rs >= i && rs + (size_t)rl <= le);
      if (rl) FUZZ_CHECK(!is_ows(msg.ptr[rs]) && !is_ows(msg.ptr[rs + rl - 1]));
      FUZZ_CHECK(fuzz_rd32(doc.ptr + 16) == 0 && fuzz_rd32(doc.ptr + 24) == 0);
    }
  }

  /* Header lines in order, each "name:value" inside one line. */
  prev_end = (uint32_t)le + 2;
  for (uint32_t i = 0; i < count; i++) {
    const uint8_t *e = doc.ptr + 44 + 16 * (size_t)i;
    uint32_t ns = fuzz_rd32(e), nl = fuzz_rd32(e + 4);
    uint32_t vs = fuzz_rd32(e + 8), vl = fuzz_rd32(e + 12);
    size_t line_end;
    FUZZ_CHECK(ns == prev_end && nl >= 1 && msg.ptr[ns + nl] == ':');
    FUZZ_CHECK(!fuzz_has_byte(fuzz_sub(msg, ns, nl), ':'));
    FUZZ_CHECK(vs > ns + nl);
    line_end = vs + (size_t)vl;
    while (line_end < msg.len && is_ows(msg.ptr[line_end])) line_end++;
    FUZZ_CHECK(line_end + 2 <= msg.len && msg.ptr[line_end] == '\r' &&
               msg.ptr[line_end + 1] == '\n');
    FUZZ_CHECK(first_crlf(fuzz_sub(msg, ns, line_end - ns)) == line_end - ns);
    if (vl) FUZZ_CHECK(!is_ows(msg.ptr[vs]) && !is_ows(msg.ptr[vs + vl - 1]));
    prev_end = (uint32_t)line_end + 2;
  }
  FUZZ_CHECK(body_start == prev_end + 2);
}

static void fuzz_parse(struct fuzz_input *in, int kind, struct x7_view name,
                       int32_t idx, uint8_t mode) {
  struct x7_view msg = fuzz_rest(in), more, cut;
  struct x7_bytes doc = {0}, doc2 = {0};
  uint8_t *buf;
  size_t extra = 1 + (mode >> 4);

  doc = parse(kind, msg);
  check_parsed(kind, x7_bytes_view(&doc), msg);
  check_accessors(x7_bytes_view(&doc), msg, name, idx);
  cut = fuzz_sub(msg, 0, msg.len / 2);
  cut = fuzz_own(in, cut.ptr, cut.len);
  check_accessors(x7_bytes_view(&doc), cut, name, idx);

  /* Own-name lookups find the first header of that name. */
  for (int32_t i = 0; i < count_of(x7_bytes_view(&doc)) && i < 8; i++) {
    const uint8_t *e = doc.ptr + 44 + 16 * (size_t)i;
    check_header_get(x7_bytes_view(&doc), msg,
                     fuzz_sub(msg, fuzz_rd32(e), fuzz_rd32(e + 4)));
  }

  /* More bytes after a complete message only lengthen the body. */
  if (doc.ptr[0] == 1) {
    buf = malloc(msg.len + extra);
    FUZZ_CHECK(buf != NULL);
    if (msg.len) memcpy(buf, msg.ptr, msg.len);
    memset(buf + msg.len, 'x', extra);
    more = fuzz_own(in, buf, msg.len + extra);
    free(buf);
    doc2 = parse(kind, more);
    FUZZ_CHECK(doc2.len == doc.len &&
               memcmp(doc2.ptr, doc.ptr, doc.len - 4) == 0 &&
               fuzz_rd32(doc2.ptr + doc.len - 4) ==
                   fuzz_rd32(doc.ptr + doc.len - 4) + extra);
    x7_bytes_free(&doc2);
  }
  x7_bytes_free(&doc);
}

/* ---- builders ---- */

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

static void ref_str(struct ref *r, const char *s) { ref_add(r, s, strlen(s)); }

static int ends_with(struct x7_view v, const char *s) {
  size_t n = strlen(s);
  return v.len >= n && memcmp(v.ptr + v.len - n, s, n) == 0;
}

/* headers + the §7.4 terminator. */
static void ref_headers(struct ref *r, struct x7_view h) {
  ref_add(r, h.ptr, h.len);
  if (h.len == 0)
    ref_str(r, "\r\n");
  else if (ends_with(h, "\r\n\r\n"))
    ;
  else if (ends_with(h, "\r\n"))
    ref_str(r, "\r\n");
  else
    ref_str(r, "\r\n\r\n");
}

static int clean(struct x7_view v) {
  return !fuzz_has_byte(v, '\r') && !fuzz_has_byte(v, '\n');
}

static struct x7_view trim_ows(struct x7_view v) {
  while (v.len && is_ows(v.ptr[0])) v = fuzz_sub(v, 1, v.len - 1);
  while (v.len && is_ows(v.ptr[v.len - 1])) v.len--;
  return v;
}

static void fuzz_build(struct fuzz_input *in, struct x7_view hname,
                       int32_t status, uint8_t mode) {
  struct x7_view method = fuzz_chunk8(in), target = fuzz_chunk8(in);
  struct x7_view hvalue = fuzz_chunk8(in), reason = fuzz_chunk8(in);
  struct x7_view body = fuzz_rest(in), headers;
  struct x7_bytes line = {0}, low = {0}, req = {0}, resp = {0}, doc = {0};
  struct x7_bytes got = {0};
  struct ref r = {0};
  char num[16];
  int32_t v;
  int raw_headers = mode & 0x10;

  FUZZ_OK(x7_ext_http_types_header_line(hname, hvalue, &line));
  ref_add(&r, hname.ptr, hname.len);
  ref_str(&r, ": ");
  ref_add(&r, hvalue.ptr, hvalue.len);
  ref_str(&r, "\r\n");
  FUZZ_CHECK(fuzz_beq(&line, x7_view_of(r.p, r.len)));
  r.len = 0;

  FUZZ_OK(x7_ext_http_types_lowercase_ascii(body, &low));
  FUZZ_CHECK(low.len == body.len);
  for (size_t i = 0; i < body.len; i++)
    FUZZ_CHECK(low.ptr[i] == fuzz_lower(body.ptr[i]));

  /* Raw header bytes exercise every terminator case. */
  headers = raw_headers ? hvalue : x7_bytes_view(&line);

  FUZZ_OK(x7_ext_http_types_build_request(method, target, headers, body, &req));
  ref_add(&r, method.ptr, method.len);
  ref_str(&r, " ");
  ref_add(&r, target.ptr, target.len);
  ref_str(&r, " HTTP/1.1\r\n");
  ref_headers(&r, headers);
  ref_add(&r, body.ptr, body.len);
  FUZZ_CHECK(fuzz_beq(&req, x7_view_of(r.p, r.len)));
  r.len = 0;

  FUZZ_OK(x7_ext_http_types_build_response(status, reason, headers, body,
                                           &resp));
  snprintf(num, sizeof num, "%lu", (unsigned long)(uint32_t)status);
  ref_str(&r, "HTTP/1.1 ");
  ref_str(&r, num);
  ref_str(&r, " ");
  ref_add(&r, reason.ptr, reason.len);
  ref_str(&r, "\r\n");
  ref_headers(&r, headers);
  ref_add(&r, body.ptr, body.len);
  FUZZ_CHECK(fuzz_beq(&resp, x7_view_of(r.p, r.len)));

  doc = parse(1, x7_bytes_view(&req));
  check_parsed(1, x7_bytes_view(&doc), x7_bytes_view(&req));
  if (!raw_headers && method.len && !fuzz_has_byte(method, ' ') &&
      clean(method) && target.len && !fuzz_has_byte(target, ' ') &&
      !is_ows(target.ptr[0]) && clean(target) && hname.len &&
      !fuzz_has_byte(hname, ':') && clean(hname) && clean(hvalue)) {
    struct x7_view d = x7_bytes_view(&doc), m = x7_bytes_view(&req);
    FUZZ_CHECK(kind_of(d) == 1 && count_of(d) == 1);
    FUZZ_OK(x7_ext_httparse_method(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, method));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_target(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, target));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_version(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, x7_view_of("HTTP/1.1", 8)));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_header_name(d, m, 0, &got));
    FUZZ_CHECK(fuzz_beq(&got, hname));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_header_get(d, m, hname, &got));
    FUZZ_CHECK(fuzz_beq(&got, trim_ows(hvalue)));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_body(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, body));
    x7_bytes_free(&got);
  }
  x7_bytes_free(&doc);

  doc = parse(2, x7_bytes_view(&resp));
  check_parsed(2, x7_bytes_view(&doc), x7_bytes_view(&resp));
  if (!raw_headers && clean(reason) && hname.len &&
      !fuzz_has_byte(hname, ':') && clean(hname) && clean(hvalue)) {
    struct x7_view d = x7_bytes_view(&doc), m = x7_bytes_view(&resp);
    FUZZ_CHECK(kind_of(d) == 2 && count_of(d) == 1);
    FUZZ_OK(x7_ext_httparse_status_code(d, &v));
    FUZZ_CHECK(v == status);
    FUZZ_OK(x7_ext_httparse_reason(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, trim_ows(reason)));
    x7_bytes_free(&got);
    FUZZ_OK(x7_ext_httparse_body(d, m, &got));
    FUZZ_CHECK(fuzz_beq(&got, body));
    x7_bytes_free(&got);
  }

  free(r.p);
  x7_bytes_free(&doc);
  x7_bytes_free(&line);
  x7_bytes_free(&low);
  x7_bytes_free(&req);
  x7_bytes_free(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct x7_view name, doc, msg;
  uint8_t mode;
  int32_t idx;

  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  idx = fuzz_i32(&in);
  name = fuzz_chunk8(&in);
  switch (mode % 4) {
  case 0:
  case 1:
    fuzz_parse(&in, mode % 4 + 1, name, idx, mode);
    break;
  case 2:
    doc = fuzz_chunk16(&in);
    msg = fuzz_rest(&in);
    check_accessors(doc, msg, name, idx);
    break;
  default:
    fuzz_build(&in, name, idx, mode);
    break;
  }
  fuzz_done(&in);
  return 0;
}
