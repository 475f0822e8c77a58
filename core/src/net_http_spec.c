/* net_http_spec.c - std.net.http.spec twins: header tables, HttpCapsV1 and
 * HttpReqV1 (spec §2.6-§2.8, §3.9), and the request decoder the backends
 * use. */
#include <x7/net_err.h>
#include <x7/net_http_spec.h>

#include "http_int.h"

#define LEN_MAX ((size_t)INT32_MAX) /* longest field a u32 length can carry */
#define REQ_FIXED 24 /* ver, method and the four lengths */

/* ---- field walking shared by every HTTP doc ---- */

int x7__http_field(struct x7_view doc, size_t *ppos, struct x7_view *pfield) {
  size_t pos = *ppos;
  int32_t n;
  if (pos > doc.len || doc.len - pos < 4) return -1;
  n = x7__rdi32(doc.ptr + pos);
  if (n < 0 || (size_t)n > doc.len - pos - 4) return -1;
  *pfield = x7__sub(doc, pos + 4, (size_t)n);
  *ppos = pos + 4 + (size_t)n;
  return 0;
}

int x7__http_entry(struct x7_view doc, size_t *ppos, struct x7_view *pname,
                   struct x7_view *pvalue) {
  size_t pos = *ppos;
  if (x7__http_field(doc, &pos, pname) || x7__http_field(doc, &pos, pvalue))
    return -1;
  *ppos = pos;
  return 0;
}

int x7__http_skip_entries(struct x7_view doc, size_t *ppos, uint32_t count) {
  struct x7_view name = {NULL, 0}, value = {NULL, 0};
  for (uint32_t i = 0; i < count; i++)
    if (x7__http_entry(doc, ppos, &name, &value)) return -1;
  return 0;
}

/* The entry count of a table, or -1 when it is shorter than 4 bytes or
 * the count reads negative. */
static int64_t table_count(struct x7_view t) {
  int32_t c;
  if (t.len < 4) return -1;
  c = x7__rdi32(t.ptr);
  return c < 0 ? -1 : c;
}

static void buf_add_view(struct x7__buf *b, struct x7_view v) {
  x7__buf_add(b, v.ptr, v.len);
}

/* Append a u32 length and the bytes of v. */
static void buf_add_field(struct x7__buf *b, struct x7_view v) {
  x7__buf_u32(b, (uint32_t)v.len);
  buf_add_view(b, v);
}

/* Append a u32 length and the ASCII-lowercased bytes of v, in place in the
 * buffer so no lowercased copy is ever allocated. */
static void buf_add_field_lower(struct x7__buf *b, struct x7_view v) {
  x7__buf_u32(b, (uint32_t)v.len);
  if (v.len == 0 || x7__buf_reserve(b, v.len)) return;
  for (size_t i = 0; i < v.len; i++) b->ptr[b->len + i] = x7__lower(v.ptr[i]);
  b->len += v.len;
}

static int name_eq_ci(struct x7_view a, struct x7_view b) {
  return a.len == b.len && x7__ascii_casecmp_eq(a.ptr, b.ptr, a.len);
}

/* ---- canonicalisation (headers_canon_join_sorted_v1) ---- */

struct hdr {
  struct x7_view name; /* as stored: compared and written lowercased */
  struct x7_view value;
};

/* Unsigned bytewise order, a proper prefix first; fold applies the
 * lowercasing that upstream does on a copy of each name. */
static int bytes_cmp(struct x7_view a, struct x7_view b, int fold) {
  size_t n = a.len < b.len ? a.len : b.len;
  for (size_t i = 0; i < n; i++) {
    uint8_t x = fold ? x7__lower(a.ptr[i]) : a.ptr[i];
    uint8_t y = fold ? x7__lower(b.ptr[i]) : b.ptr[i];
    if (x != y) return x < y ? -1 : 1;
  }
  return a.len < b.len ? -1 : a.len > b.len;
}

static int hdr_cmp(const struct hdr *a, const struct hdr *b) {
  int c = bytes_cmp(a->name, b->name, 1);
  return c ? c : bytes_cmp(a->value, b->value, 0);
}

/* Bottom-up merge sort of the index array.  Upstream uses a selection
 * sort that picks the first minimum, i.e. a stable sort; taking from the
 * left run on ties keeps this one stable too, so the orders are equal. */
static void sort_idx(const struct hdr *e, size_t *idx, size_t *tmp, size_t n) {
  size_t *src = idx, *dst = tmp;
  for (size_t w = 1; w < n; w *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * w) {
      size_t mid = lo + w < n ? lo + w : n;
      size_t hi = mid + w < n ? mid + w : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        dst[k++] = hdr_cmp(&e[src[j]], &e[src[i]]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    size_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != idx) memcpy(idx, src, n * sizeof *idx);
}

/* Append the canonical form of table to b: the empty table when table is
 * malformed.  X7_OK, X7_ENOMEM (b may be failed) or X7_ERANGE. */
static x7_result canon_append(struct x7_view table, struct x7__buf *b) {
  const size_t per = sizeof(struct hdr) + 2 * sizeof(size_t);
  int64_t count = table_count(table);
  size_t pos = 4, n, groups = 0, count_at;
  struct hdr *e;
  size_t *idx;
  void *mem;

  /* Validate before allocating, so a lying count costs nothing. */
  if (count <= 0 || x7__http_skip_entries(table, &pos, (uint32_t)count)) {
    x7__buf_u32(b, 0);
    return X7_OK;
  }
  n = (size_t)count;
  if (n > SIZE_MAX / per) return X7_ENOMEM;
  mem = x7__malloc(n * per);
  if (!mem) return X7_ENOMEM;
  e = mem;
  idx = (size_t *)(e + n);
  pos = 4;
  for (size_t i = 0; i < n; i++) {
    x7__http_entry(table, &pos, &e[i].name, &e[i].value);
    idx[i] = i;
  }
  sort_idx(e, idx, idx + n, n);

  count_at = b->len;
  x7__buf_u32(b, 0);
  for (size_t i = 0, j; i < n; i = j) {
    size_t vlen = e[idx[i]].value.len;
    for (j = i + 1; j < n && name_eq_ci(e[idx[i]].name, e[idx[j]].name); j++)
      vlen += 2 + e[idx[j]].value.len; /* cannot wrap: all lie in table */
    if (vlen > LEN_MAX) {
      x7__free(mem);
      return X7_ERANGE;
    }
    buf_add_field_lower(b, e[idx[i]].name);
    x7__buf_u32(b, (uint32_t)vlen);
    for (size_t k = i; k < j; k++) {
      if (k > i) x7__buf_add(b, ", ", 2);
      buf_add_view(b, e[idx[k]].value);
    }
    groups++;
  }
  x7__buf_put32_at(b, count_at, (uint32_t)groups);
  x7__free(mem);
  return b->failed ? X7_ENOMEM : X7_OK;
}

/* ---- methods ---- */

x7_result x7_net_http_spec_method_get(int32_t *pout) {
  X7__OUT_I32(pout);
  *pout = X7_NET_HTTP_METHOD_GET;
  return X7_OK;
}

x7_result x7_net_http_spec_method_post(int32_t *pout) {
  X7__OUT_I32(pout);
  *pout = X7_NET_HTTP_METHOD_POST;
  return X7_OK;
}

/* ---- HttpCapsV1 ---- */

static void caps_fill(uint8_t out[X7_NET_HTTP_CAPS_LEN], int32_t follow,
                      int32_t timeout_s, int32_t max_redirects,
                      int32_t max_header_bytes, int32_t max_headers,
                      int32_t max_body_bytes) {
  x7__wr32(out, 1);
  x7__wr32(out + 4, follow != 0);
  x7__wr32(out + 8, x7__clamp0(timeout_s));
  x7__wr32(out + 12, x7__clamp0(max_redirects));
  x7__wr32(out + 16, x7__clamp0(max_header_bytes));
  x7__wr32(out + 20, x7__clamp0(max_headers));
  x7__wr32(out + 24, x7__clamp0(max_body_bytes));
}

static void caps_fill_default(uint8_t out[X7_NET_HTTP_CAPS_LEN]) {
  caps_fill(out, X7_NET_HTTP_CAPS_DEFAULT_FOLLOW_LOCATION,
            X7_NET_HTTP_CAPS_DEFAULT_TIMEOUT_S,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_REDIRECTS,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADER_BYTES,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADERS,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_BODY_BYTES);
}

x7_result x7_net_http_spec_caps_v1(int32_t follow_location, int32_t timeout_s,
                                   int32_t max_redirects,
                                   int32_t max_header_bytes,
                                   int32_t max_headers, int32_t max_body_bytes,
                                   struct x7_bytes *pout) {
  uint8_t caps[X7_NET_HTTP_CAPS_LEN];
  X7__OUT_BYTES(pout);
  caps_fill(caps, follow_location, timeout_s, max_redirects, max_header_bytes,
            max_headers, max_body_bytes);
  return x7__bytes_dup(caps, sizeof caps, pout);
}

x7_result x7_net_http_spec_caps_default_v1(struct x7_bytes *pout) {
  uint8_t caps[X7_NET_HTTP_CAPS_LEN];
  X7__OUT_BYTES(pout);
  caps_fill_default(caps);
  return x7__bytes_dup(caps, sizeof caps, pout);
}

static int caps_valid(struct x7_view caps) {
  return caps.len >= X7_NET_HTTP_CAPS_LEN && x7__rdi32(caps.ptr) == 1;
}

static int32_t caps_field(struct x7_view caps, size_t off, int32_t dflt) {
  int32_t v;
  if (!caps_valid(caps)) return dflt;
  v = x7__rdi32(caps.ptr + off);
  return v < 0 ? dflt : v;
}

void x7__http_caps_read(struct x7_view caps, struct x7__http_caps *pcaps) {
  pcaps->follow_location =
      caps_field(caps, 4, X7_NET_HTTP_CAPS_DEFAULT_FOLLOW_LOCATION);
  pcaps->timeout_s = caps_field(caps, 8, X7_NET_HTTP_CAPS_DEFAULT_TIMEOUT_S);
  pcaps->max_redirects =
      caps_field(caps, 12, X7_NET_HTTP_CAPS_DEFAULT_MAX_REDIRECTS);
  pcaps->max_header_bytes =
      caps_field(caps, 16, X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADER_BYTES);
  pcaps->max_headers =
      caps_field(caps, 20, X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADERS);
  pcaps->max_body_bytes =
      caps_field(caps, 24, X7_NET_HTTP_CAPS_DEFAULT_MAX_BODY_BYTES);
}

#define CAPS_GETTER(fn, off, dflt)                   \
  x7_result fn(struct x7_view caps, int32_t *pout) { \
    X7__OUT_I32(pout);                               \
    X7__IN_VIEW(caps);                               \
    *pout = caps_field(caps, (off), (dflt));         \
    return X7_OK;                                    \
  }
CAPS_GETTER(x7_net_http_spec_caps_follow_location_v1, 4,
            X7_NET_HTTP_CAPS_DEFAULT_FOLLOW_LOCATION)
CAPS_GETTER(x7_net_http_spec_caps_timeout_s_v1, 8,
            X7_NET_HTTP_CAPS_DEFAULT_TIMEOUT_S)
CAPS_GETTER(x7_net_http_spec_caps_max_redirects_v1, 12,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_REDIRECTS)
CAPS_GETTER(x7_net_http_spec_caps_max_header_bytes_v1, 16,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADER_BYTES)
CAPS_GETTER(x7_net_http_spec_caps_max_headers_v1, 20,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADERS)
CAPS_GETTER(x7_net_http_spec_caps_max_body_bytes_v1, 24,
            X7_NET_HTTP_CAPS_DEFAULT_MAX_BODY_BYTES)

/* ---- HttpHeadersTableV1 ---- */

x7_result x7_net_http_spec_headers_empty_v1(struct x7_bytes *pout) {
  static const uint8_t empty[4] = {0};
  X7__OUT_BYTES(pout);
  return x7__bytes_dup(empty, sizeof empty, pout);
}

x7_result x7_net_http_spec_headers_push_v1(struct x7_view table,
                                           struct x7_view k, struct x7_view v,
                                           struct x7_bytes *pout) {
  static const uint8_t empty[4] = {0};
  struct x7__buf b;
  struct x7_view h;
  int32_t count;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(table);
  X7__IN_VIEW(k);
  X7__IN_VIEW(v);
  if (k.len > LEN_MAX || v.len > LEN_MAX) return X7_ERANGE;
  h = table.len < 4 ? x7_view_of(empty, 4) : table;
  count = x7__rdi32(h.ptr);
  if (count < 0) count = 0;
  x7__buf_init(&b);
  x7__buf_reserve(&b, x7__size_add(x7__size_add(h.len, 8),
                                   x7__size_add(k.len, v.len)));
  buf_add_view(&b, h);
  buf_add_field(&b, k);
  buf_add_field(&b, v);
  /* count + 1 in u32 gives upstream's i32 wrap for count = 2^31 - 1. */
  x7__buf_put32_at(&b, 0, (uint32_t)count + 1u);
  return x7__buf_finish(&b, pout);
}

x7_result x7_net_http_spec_headers_set_v1(struct x7_view table,
                                          struct x7_view k, struct x7_view v,
                                          struct x7_bytes *pout) {
  struct x7__buf b;
  struct x7_view name = {NULL, 0}, value = {NULL, 0};
  int64_t count;
  size_t pos = 4;
  uint32_t out_count = 0;
  int inserted = 0;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(table);
  X7__IN_VIEW(k);
  X7__IN_VIEW(v);
  if (k.len > LEN_MAX || v.len > LEN_MAX) return X7_ERANGE;
  /* Unlike the canonicaliser, a short table or negative count is simply
   * "no entries" here. */
  count = table_count(table);
  if (count < 0) count = 0;
  x7__buf_init(&b);
  if (x7__http_skip_entries(table, &pos, (uint32_t)count)) {
    /* Malformed: upstream starts over with just (k, v). */
    x7__buf_reserve(&b, x7__size_add(12 + k.len, v.len));
    x7__buf_u32(&b, 1);
    buf_add_field_lower(&b, k);
    buf_add_field(&b, v);
    return x7__buf_finish(&b, pout);
  }
  x7__buf_reserve(&b, x7__size_add(x7__size_add(pos, 8),
                                   x7__size_add(k.len, v.len)));
  x7__buf_u32(&b, 0);
  pos = 4;
  for (int64_t i = 0; i < count; i++) {
    x7__http_entry(table, &pos, &name, &value);
    if (!name_eq_ci(name, k)) {
      buf_add_field_lower(&b, name);
      buf_add_field(&b, value);
    } else if (!inserted) {
      buf_add_field_lower(&b, k);
      buf_add_field(&b, v);
      inserted = 1;
    } else {
      continue;
    }
    out_count++;
  }
  if (!inserted) {
    buf_add_field_lower(&b, k);
    buf_add_field(&b, v);
    out_count++;
  }
  x7__buf_put32_at(&b, 0, out_count);
  return x7__buf_finish(&b, pout);
}

x7_result x7_net_http_spec_headers_canon_join_sorted_v1(
    struct x7_view table, struct x7_bytes *pout) {
  struct x7__buf b;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(table);
  x7__buf_init(&b);
  r = canon_append(table, &b);
  if (r != X7_OK) {
    x7__buf_cleanup(&b);
    return r;
  }
  return x7__buf_finish(&b, pout);
}

/* ---- HttpReqV1 ---- */

x7_result x7_net_http_spec_req_v1(int32_t method, struct x7_view url,
                                  struct x7_view headers, struct x7_view body,
                                  struct x7_view caps, struct x7_bytes *pout) {
  uint8_t dflt[X7_NET_HTTP_CAPS_LEN];
  struct x7__buf b;
  struct x7_view cv;
  size_t h_at, h_len, h_est;
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(url);
  X7__IN_VIEW(headers);
  X7__IN_VIEW(body);
  X7__IN_VIEW(caps);
  caps_fill_default(dflt);
  cv = caps_valid(caps) ? caps : x7_view_of(dflt, sizeof dflt);
  if (url.len > LEN_MAX || body.len > LEN_MAX || cv.len > LEN_MAX)
    return X7_ERANGE;
  /* The canonical table is never longer than the table it came from (or 4
   * bytes), so one reservation holds the whole doc and a large body is
   * copied exactly once. */
  h_est = headers.len < 4 ? 4 : headers.len > LEN_MAX ? LEN_MAX : headers.len;
  x7__buf_init(&b);
  x7__buf_reserve(&b, x7__size_add(x7__size_add(REQ_FIXED + url.len, h_est),
                                   x7__size_add(body.len, cv.len)));
  x7__buf_u32(&b, X7_NET_HTTP_REQ_VER);
  x7__buf_u32(&b, (uint32_t)method);
  buf_add_field(&b, url);
  h_at = b.len;
  x7__buf_u32(&b, 0);
  r = canon_append(headers, &b);
  h_len = b.len - h_at - 4;
  if (r == X7_OK && !b.failed && h_len > LEN_MAX) r = X7_ERANGE;
  if (r != X7_OK) {
    x7__buf_cleanup(&b);
    return r;
  }
  x7__buf_put32_at(&b, h_at, (uint32_t)h_len);
  buf_add_field(&b, body);
  buf_add_field(&b, cv);
  return x7__buf_finish(&b, pout);
}

x7_result x7_net_http_spec_req_get_v1(struct x7_view url,
                                      struct x7_view headers,
                                      struct x7_view caps,
                                      struct x7_bytes *pout) {
  return x7_net_http_spec_req_v1(X7_NET_HTTP_METHOD_GET, url, headers,
                                 x7_view_of(NULL, 0), caps, pout);
}

x7_result x7_net_http_spec_req_post_v1(struct x7_view url,
                                       struct x7_view headers,
                                       struct x7_view body,
                                       struct x7_view caps,
                                       struct x7_bytes *pout) {
  return x7_net_http_spec_req_v1(X7_NET_HTTP_METHOD_POST, url, headers, body,
                                 caps, pout);
}

enum req_part { REQ_URL, REQ_HEADERS, REQ_BODY, REQ_CAPS };

/* Walk a ver-1 HttpReqV1 up to the wanted field; later fields are not
 * looked at, exactly like the upstream accessors. */
static int req_part(struct x7_view req, enum req_part want,
                    struct x7_view *pfield) {
  size_t pos = 8;
  if (req.len < 8 || x7__rdi32(req.ptr) != 1) return -1;
  for (int i = 0; i <= (int)want; i++)
    if (x7__http_field(req, &pos, pfield)) return -1;
  return 0;
}

x7_result x7_net_http_spec_req_method_v1(struct x7_view req, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(req);
  if (req.len >= 8 && x7__rdi32(req.ptr) == 1) *pout = x7__rdi32(req.ptr + 4);
  return X7_OK;
}

static x7_result req_part_copy(struct x7_view req, enum req_part want,
                               struct x7_bytes *pout) {
  struct x7_view f;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(req);
  if (req_part(req, want, &f)) return X7_OK;
  return x7__bytes_dup(f.ptr, f.len, pout);
}

x7_result x7_net_http_spec_req_url_v1(struct x7_view req,
                                      struct x7_bytes *pout) {
  return req_part_copy(req, REQ_URL, pout);
}
x7_result x7_net_http_spec_req_headers_v1(struct x7_view req,
                                          struct x7_bytes *pout) {
  return req_part_copy(req, REQ_HEADERS, pout);
}
x7_result x7_net_http_spec_req_body_v1(struct x7_view req,
                                       struct x7_bytes *pout) {
  return req_part_copy(req, REQ_BODY, pout);
}
x7_result x7_net_http_spec_req_caps_v1(struct x7_view req,
                                       struct x7_bytes *pout) {
  return req_part_copy(req, REQ_CAPS, pout);
}

/* ---- decoder for the backends ---- */

x7_result x7__http_req_decode(struct x7_view doc, struct x7__http_req *preq,
                              int32_t *pcode) {
  struct x7__http_req q;
  size_t pos = 8;
  if (!preq || !pcode) return X7_EINVAL;
  *pcode = X7_NET_ERR_INVALID_REQ;
  memset(preq, 0, sizeof *preq);
  X7__IN_VIEW(doc);
  if (doc.len < 8 || x7__rdi32(doc.ptr) != 1) return X7_OK;
  q.method = x7__rdi32(doc.ptr + 4);
  if (x7__http_field(doc, &pos, &q.url) ||
      x7__http_field(doc, &pos, &q.headers) ||
      x7__http_field(doc, &pos, &q.body) ||
      x7__http_field(doc, &pos, &q.caps) || pos != doc.len)
    return X7_OK;
  /* 1 and 2 are upstream's; 3..7 are the x7 extensions (net_http_spec.h).
   * GET and HEAD carry no request body. */
  if (q.method < X7_NET_HTTP_METHOD_GET ||
      q.method > X7_NET_HTTP_METHOD_OPTIONS)
    return X7_OK;
  if ((q.method == X7_NET_HTTP_METHOD_GET ||
       q.method == X7_NET_HTTP_METHOD_HEAD) &&
      q.body.len != 0)
    return X7_OK;
  /* The shim rejects this one; checking it here keeps every backend from
   * handing a silently truncated C string to its transport. */
  if (q.url.len && memchr(q.url.ptr, 0, q.url.len)) return X7_OK;
  x7__http_caps_read(q.caps, &q.caps_val);
  *preq = q;
  *pcode = 0;
  return X7_OK;
}
