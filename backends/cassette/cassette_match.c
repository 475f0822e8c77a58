/*
 * cassette_match.c - the canonical view of a request, the match key built
 * from it, and the field diffs the miss report shows.
 *
 * Canonical view (cassettes/FORMAT.md §5): method; scheme and host lower
 * case, default port dropped; path with unreserved percent-escapes
 * decoded, other escapes upper-cased and dot segments removed; query as a
 * sorted multiset of name=value; opted-in header values; a JSON body as
 * its canonical compact JSON, any other body as its sha256.  The key is
 * that view as text, so two requests match exactly when their keys are
 * equal bytes; a 64-bit hash of it indexes the per-key FIFO queues.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cassette_int.h"

/* ---- URLs ---- */

static int is_alpha(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static uint32_t default_port(struct x7_view scheme) {
  static const struct {
    const char *name;
    uint32_t port;
  } known[] = {
      {"http", 80}, {"https", 443}, {"ws", 80}, {"wss", 443}, {"ftp", 21}};
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (strlen(known[i].name) == scheme.len &&
        x7__ascii_casecmp_eq((const uint8_t *)known[i].name, scheme.ptr,
                             scheme.len))
      return known[i].port;
  return 0;
}

int x7__rr_url_split(struct x7_view url, struct x7__rr_url *pu) {
  const uint8_t *p = url.ptr;
  size_t n = url.len, i = 0, a0, a1, h0, h1, at;
  memset(pu, 0, sizeof *pu);
  while (i < n && (is_alpha(p[i]) || (i && (is_digit(p[i]) || p[i] == '+' ||
                                            p[i] == '-' || p[i] == '.'))))
    i++;
  if (i == 0 || n - i < 3 || memcmp(p + i, "://", 3) != 0) return -1;
  pu->scheme = x7_view_of(p, i);
  a0 = i + 3;
  a1 = a0;
  while (a1 < n && p[a1] != '/' && p[a1] != '?' && p[a1] != '#') a1++;
  at = a1;
  for (size_t k = a0; k < a1; k++)
    if (p[k] == '@') at = k;
  h0 = a0;
  if (at < a1) {
    pu->userinfo = x7_view_of(p + a0, at - a0);
    h0 = at + 1;
  }
  h1 = a1;
  if (h0 < a1 && p[h0] == '[') {
    const uint8_t *rb = memchr(p + h0, ']', a1 - h0);
    if (!rb) return -1;
    h1 = (size_t)(rb - p) + 1;
  } else {
    for (size_t k = h0; k < a1; k++)
      if (p[k] == ':') {
        h1 = k;
        break;
      }
  }
  pu->host = x7_view_of(p + h0, h1 - h0);
  if (h1 < a1) {
    uint32_t port = 0;
    if (p[h1] != ':' || h1 + 1 == a1) return -1;
    for (size_t k = h1 + 1; k < a1; k++) {
      if (!is_digit(p[k]) || port > 65535) return -1;
      port = port * 10 + (uint32_t)(p[k] - '0');
    }
    if (port > 65535) return -1;
    pu->port = port;
    pu->has_port = 1;
  } else {
    pu->port = default_port(pu->scheme);
  }
  i = a1;
  while (i < n && p[i] != '?' && p[i] != '#') i++;
  pu->path = x7_view_of(p + a1, i - a1);
  if (i < n && p[i] == '?') {
    size_t q0 = i + 1;
    while (i < n && p[i] != '#') i++;
    pu->query = x7_view_of(p + q0, i - q0);
  }
  return 0;
}

static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static int unreserved(uint8_t c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

/* Percent-escapes in canonical form: unreserved characters decoded, the
 * others with upper-case hex (RFC 3986 §6.2.2). */
static void pct_norm(struct x7__buf *b, const uint8_t *p, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    int h = -1, l = -1;
    if (p[i] == '%' && n - i >= 3) {
      h = hexval(p[i + 1]);
      l = hexval(p[i + 2]);
    }
    if (h >= 0 && l >= 0) {
      uint8_t c = (uint8_t)(h << 4 | l);
      if (unreserved(c)) {
        x7__buf_u8(b, c);
      } else {
        char e[3] = {'%', hex[c >> 4], hex[c & 15]};
        x7__buf_add(b, e, 3);
      }
      i += 2;
    } else {
      x7__buf_u8(b, p[i]);
    }
  }
}

/* RFC 3986 §5.2.4 on an absolute, percent-normalised path, in place.
 * Returns the new length. */
static size_t remove_dots(uint8_t *p, size_t n) {
  size_t in = 0, out = 0;
  if (n == 0 || p[0] != '/') return n;
  while (in < n) {
    size_t e = in + 1, len;
    while (e < n && p[e] != '/') e++;
    len = e - in - 1;
    if (len == 1 && p[in + 1] == '.') {
      if (e == n) p[out++] = '/';
    } else if (len == 2 && p[in + 1] == '.' && p[in + 2] == '.') {
      while (out > 0 && p[out - 1] != '/') out--;
      if (out > 0) out--;
      if (e == n) p[out++] = '/';
    } else {
      memmove(p + out, p + in, e - in);
      out += e - in;
    }
    in = e;
  }
  return out;
}

struct pair {
  const uint8_t *p;
  size_t n;
};

static int cmp_pair(const void *a, const void *b) {
  const struct pair *x = a, *y = b;
  size_t m = x->n < y->n ? x->n : y->n;
  int c = memcmp(x->p, y->p, m);
  if (c) return c;
  return x->n < y->n ? -1 : x->n > y->n;
}

/* Normalised "name=value" items of a query, sorted, into *pitems (storage
 * in *pstore; x7__free both).  Items whose name is ignored are left out.
 * Returns the count, or -1 on OOM. */
static long query_items(const struct x7__rr_settings *s, struct x7_view q,
                        struct pair **pitems, struct x7__buf *pstore) {
  struct pair *items = NULL;
  size_t count = 0, cap = 0, i = 0;
  size_t *offs = NULL;
  *pitems = NULL;
  while (i <= q.len && q.len) {
    size_t j = i, eq, start = pstore->len;
    while (j < q.len && q.ptr[j] != '&') j++;
    if (j > i) {
      eq = i;
      while (eq < j && q.ptr[eq] != '=') eq++;
      pct_norm(pstore, q.ptr + i, eq - i);
      if (s && x7__rr_strs_has(&s->ignore_query, pstore->ptr + start,
                               pstore->len - start, 0)) {
        pstore->len = start;
      } else {
        if (eq < j) {
          x7__buf_u8(pstore, '=');
          pct_norm(pstore, q.ptr + eq + 1, j - eq - 1);
        }
        if (count == cap) {
          size_t nc = cap ? cap * 2 : 8;
          size_t *no = x7__realloc(offs, nc * 2 * sizeof *no);
          if (!no) goto oom;
          offs = no;
          cap = nc;
        }
        offs[2 * count] = start;
        offs[2 * count + 1] = pstore->len - start;
        count++;
      }
    }
    i = j + 1;
  }
  if (pstore->failed) goto oom;
  if (count) {
    items = x7__malloc(count * sizeof *items);
    if (!items) goto oom;
    /* Views are taken only now: the store may have moved while growing. */
    for (size_t k = 0; k < count; k++) {
      items[k].p = pstore->ptr + offs[2 * k];
      items[k].n = offs[2 * k + 1];
    }
    qsort(items, count, sizeof *items, cmp_pair);
  }
  x7__free(offs);
  *pitems = items;
  return (long)count;
oom:
  x7__free(offs);
  return -1;
}

/* ---- bodies ---- */

int x7__rr_body_json(struct x7_view body, cJSON **ptree) {
  size_t i = 0;
  const char *end = NULL;
  cJSON *t;
  *ptree = NULL;
  while (i < body.len && (body.ptr[i] == ' ' || body.ptr[i] == '\t' ||
                          body.ptr[i] == '\r' || body.ptr[i] == '\n'))
    i++;
  if (i == body.len || (body.ptr[i] != '{' && body.ptr[i] != '[')) return 0;
  t = cJSON_ParseWithLengthOpts((const char *)body.ptr, body.len, &end, 0);
  if (!t) return 0;
  if (end) {
    size_t off = (size_t)(end - (const char *)body.ptr);
    while (off < body.len && (body.ptr[off] == ' ' || body.ptr[off] == '\t' ||
                              body.ptr[off] == '\r' || body.ptr[off] == '\n'))
      off++;
    if (off != body.len) {
      cJSON_Delete(t);
      return 0;
    }
  }
  *ptree = t;
  return 1;
}

static void body_key(const struct x7__rr_settings *s,
                     const struct x7__rr_reqview *r, struct x7__buf *out) {
  cJSON *t = NULL;
  uint8_t sum[32];
  char hex[65];
  if (r->body_len == 0) {
    x7__buf_u8(out, '-');
    return;
  }
  if (r->body_sha) {
    x7__buf_add(out, "sha256:", 7);
    x7__buf_add(out, r->body_sha, 64);
    return;
  }
  if (r->body_len <= s->inline_max && x7__rr_body_json(r->body, &t)) {
    x7__buf_add(out, "json:", 5);
    (void)x7__rr_json_emit(t, 0, out, NULL, NULL);
    cJSON_Delete(t);
    return;
  }
  if (x7__rr_sha256(r->body.ptr, r->body.len, sum)) {
    out->failed = 1;
    return;
  }
  x7__rr_hex(sum, 32, hex);
  x7__buf_add(out, "sha256:", 7);
  x7__buf_add(out, hex, 64);
}

/* ---- keys ---- */

static void url_key(const struct x7__rr_reqview *r, struct x7__buf *out,
                    int with_origin_path) {
  struct x7__rr_url u;
  if (x7__rr_url_split(r->url, &u)) {
    /* Not scheme://authority: compare the text as given. */
    x7__buf_add(out, "raw:", 4);
    x7__buf_add(out, r->url.ptr, r->url.len);
    return;
  }
  (void)with_origin_path;
  {
    size_t s0 = out->len;
    x7__buf_add(out, u.scheme.ptr, u.scheme.len);
    x7__buf_add(out, "://", 3);
    x7__buf_add(out, u.host.ptr, u.host.len);
    if (!out->failed)
      for (size_t i = s0; i < out->len; i++)
        out->ptr[i] = x7__lower(out->ptr[i]);
  }
  if (u.has_port && u.port != default_port(u.scheme)) {
    char tmp[8];
    int k = snprintf(tmp, sizeof tmp, ":%u", (unsigned)u.port);
    x7__buf_add(out, tmp, (size_t)k);
  }
  if (u.path.len == 0) {
    x7__buf_u8(out, '/');
  } else {
    size_t start = out->len;
    pct_norm(out, u.path.ptr, u.path.len);
    if (!out->failed)
      out->len = start + remove_dots(out->ptr + start, out->len - start);
    if (out->len == start) x7__buf_u8(out, '/');
  }
}

static void query_key(const struct x7__rr_settings *s,
                      const struct x7__rr_reqview *r, struct x7__buf *out) {
  struct x7__rr_url u;
  struct x7__buf store;
  struct pair *items = NULL;
  long count;
  if (x7__rr_url_split(r->url, &u) || u.query.len == 0) return;
  x7__buf_init(&store);
  count = query_items(s, u.query, &items, &store);
  if (count < 0) {
    out->failed = 1;
  } else {
    for (long i = 0; i < count; i++) {
      if (i) x7__buf_u8(out, '&');
      x7__buf_add(out, items[i].p, items[i].n);
    }
  }
  x7__free(items);
  x7__buf_cleanup(&store);
}

/* Values of header `name` (lower case) in table order, joined by ",". */
static void header_values(struct x7_view t, const char *name,
                          struct x7__buf *out) {
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4, nl = strlen(name);
  int first = 1;
  for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    const uint8_t *k;
    if (kl > t.len - pos - 4) return;
    k = t.ptr + pos + 4;
    pos += 4 + kl;
    if (pos + 4 > t.len) return;
    vl = x7__rd32(t.ptr + pos);
    if (vl > t.len - pos - 4) return;
    if (kl == nl && x7__ascii_casecmp_eq(k, (const uint8_t *)name, nl)) {
      if (!first) x7__buf_u8(out, ',');
      x7__buf_add(out, t.ptr + pos + 4, vl);
      first = 0;
    }
    pos += 4 + vl;
  }
}

void x7__rr_key(const struct x7__rr_settings *s, const struct x7__rr_reqview *r,
                struct x7__buf *out) {
  if (s->match & X7_CASSETTE_MATCH_METHOD) {
    const char *m = x7__rr_method_name(r->method);
    x7__buf_add(out, "M ", 2);
    if (m) x7__buf_add(out, m, strlen(m));
    x7__buf_u8(out, '\n');
  }
  if (s->match & X7_CASSETTE_MATCH_URL) {
    x7__buf_add(out, "U ", 2);
    url_key(r, out, 1);
    x7__buf_u8(out, '\n');
  }
  if (s->match & X7_CASSETTE_MATCH_QUERY) {
    x7__buf_add(out, "Q ", 2);
    query_key(s, r, out);
    x7__buf_u8(out, '\n');
  }
  if (s->match & X7_CASSETTE_MATCH_HEADERS) {
    for (size_t i = 0; i < s->match_headers.n; i++) {
      x7__buf_add(out, "H ", 2);
      x7__buf_add(out, s->match_headers.v[i], strlen(s->match_headers.v[i]));
      x7__buf_u8(out, '=');
      header_values(r->headers, s->match_headers.v[i], out);
      x7__buf_u8(out, '\n');
    }
  }
  if (s->match & X7_CASSETTE_MATCH_BODY) {
    x7__buf_add(out, "B ", 2);
    body_key(s, r, out);
    x7__buf_u8(out, '\n');
  }
}

/* FNV-1a: the key is already canonical text; the hash only spreads it. */
uint64_t x7__rr_hash(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void x7__rr_ix_view(const struct x7__rr_ix *ix, struct x7__rr_reqview *v) {
  v->method = ix->method;
  v->url = x7_view_of(ix->url, ix->url_len);
  v->headers = x7_view_of(ix->req_headers, ix->req_headers_len);
  v->body_len = ix->req_body.len;
  if (ix->req_body.blob) {
    v->body = x7_view_of(NULL, 0);
    v->body_sha = ix->req_body.sha;
  } else {
    v->body = x7_view_of(ix->req_body.ptr, (size_t)ix->req_body.len);
    v->body_sha = NULL;
  }
}

/* ---- diffs for the miss report ---- */

static int add_diff(cJSON *arr, const char *field, const void *exp, size_t el,
                    const void *act, size_t al) {
  char e[96], a[96];
  cJSON *o;
  /* Long values are cut: the report is for people, not a dump. */
  snprintf(e, sizeof e, "%.*s%s", (int)(el > 80 ? 80 : el), (const char *)exp,
           el > 80 ? "..." : "");
  snprintf(a, sizeof a, "%.*s%s", (int)(al > 80 ? 80 : al), (const char *)act,
           al > 80 ? "..." : "");
  if (!arr) return 0;
  o = cJSON_CreateObject();
  if (!o || !cJSON_AddItemToArray(arr, o)) {
    cJSON_Delete(o);
    return -1;
  }
  if (!cJSON_AddStringToObject(o, "field", field) ||
      !cJSON_AddStringToObject(o, "expected", e) ||
      !cJSON_AddStringToObject(o, "actual", a))
    return -1;
  return 0;
}

static void compact(const cJSON *n, struct x7__buf *b) {
  if (!n) {
    x7__buf_add(b, "(absent)", 8);
    return;
  }
  (void)x7__rr_json_emit(n, 0, b, NULL, NULL);
}

static void pointer_append(struct x7__buf *b, const char *key) {
  x7__buf_u8(b, '/');
  for (const char *k = key; *k; k++) {
    if (*k == '~')
      x7__buf_add(b, "~0", 2);
    else if (*k == '/')
      x7__buf_add(b, "~1", 2);
    else
      x7__buf_u8(b, (uint8_t)*k);
  }
}

static int same_scalar(const cJSON *a, const cJSON *b) {
  if ((a->type & 0xff) != (b->type & 0xff)) return 0;
  if (cJSON_IsNumber(a)) return a->valuedouble == b->valuedouble;
  if (cJSON_IsString(a))
    return strcmp(a->valuestring ? a->valuestring : "",
                  b->valuestring ? b->valuestring : "") == 0;
  return 1;
}

/* JSON-pointer diff of two trees, at most `left` entries. */
static void json_diff(const cJSON *rec, const cJSON *live, struct x7__buf *path,
                      cJSON *arr, unsigned *left) {
  size_t keep = path->len;
  if (!*left) return;
  if (rec && live && cJSON_IsObject(rec) && cJSON_IsObject(live)) {
    for (const cJSON *c = rec->child; c && *left; c = c->next) {
      pointer_append(path, c->string);
      json_diff(c, cJSON_GetObjectItemCaseSensitive(live, c->string), path, arr,
                left);
      path->len = keep;
    }
    for (const cJSON *c = live->child; c && *left; c = c->next) {
      if (cJSON_GetObjectItemCaseSensitive(rec, c->string)) continue;
      pointer_append(path, c->string);
      json_diff(NULL, c, path, arr, left);
      path->len = keep;
    }
    return;
  }
  if (rec && live && cJSON_IsArray(rec) && cJSON_IsArray(live)) {
    const cJSON *a = rec->child, *b = live->child;
    for (unsigned i = 0; (a || b) && *left; i++) {
      char idx[16];
      snprintf(idx, sizeof idx, "%u", i);
      pointer_append(path, idx);
      json_diff(a, b, path, arr, left);
      path->len = keep;
      if (a) a = a->next;
      if (b) b = b->next;
    }
    return;
  }
  if (rec && live && !cJSON_IsArray(rec) && !cJSON_IsObject(rec) &&
      same_scalar(rec, live))
    return;
  {
    struct x7__buf e, a, f;
    x7__buf_init(&e);
    x7__buf_init(&a);
    x7__buf_init(&f);
    compact(rec, &e);
    compact(live, &a);
    x7__buf_add(&f, "body", 4);
    x7__buf_add(&f, path->ptr, path->len);
    x7__buf_u8(&f, 0);
    if (!e.failed && !a.failed && !f.failed)
      (void)add_diff(arr, (const char *)f.ptr, e.ptr, e.len, a.ptr, a.len);
    x7__buf_cleanup(&e);
    x7__buf_cleanup(&a);
    x7__buf_cleanup(&f);
    (*left)--;
  }
}

/* Items in x but not in y (both sorted), joined by " ". */
static unsigned multiset_minus(const struct pair *x, long nx,
                               const struct pair *y, long ny,
                               struct x7__buf *out) {
  long i = 0, j = 0;
  unsigned count = 0;
  while (i < nx) {
    int c = j < ny ? cmp_pair(&x[i], &y[j]) : -1;
    if (c == 0) {
      i++;
      j++;
    } else if (c < 0) {
      if (out->len) x7__buf_u8(out, ' ');
      x7__buf_add(out, x[i].p, x[i].n);
      count++;
      i++;
    } else {
      j++;
    }
  }
  return count;
}

/* Header names of a table, lower case, sorted and unique. */
static void header_names(struct x7_view t, struct x7__rr_strs *out) {
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4;
  for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    if (kl > t.len - pos - 4) return;
    if (x7__rr_strs_add(out, (const char *)t.ptr + pos + 4, kl, 1)) return;
    pos += 4 + kl;
    if (pos + 4 > t.len) return;
    vl = x7__rd32(t.ptr + pos);
    if (vl > t.len - pos - 4) return;
    pos += 4 + vl;
  }
}

unsigned x7__rr_diff(const struct x7__rr_settings *s,
                     const struct x7__rr_reqview *live,
                     const struct x7__rr_reqview *rec, cJSON *arr,
                     unsigned *pfields) {
  unsigned dist = 0, fields = 0;
  struct x7__buf a, b;
  x7__buf_init(&a);
  x7__buf_init(&b);
  *pfields = 0;

  if (live->method != rec->method) {
    const char *e = x7__rr_method_name(rec->method),
               *g = x7__rr_method_name(live->method);
    e = e ? e : "?";
    g = g ? g : "?";
    add_diff(arr, "method", e, strlen(e), g, strlen(g));
    dist += 8;
    fields |= X7_CASSETTE_MATCH_METHOD;
  }
  url_key(rec, &a, 1);
  url_key(live, &b, 1);
  if (a.len != b.len || (a.len && memcmp(a.ptr, b.ptr, a.len) != 0)) {
    struct x7__rr_url ua, ub;
    int origin_differs = 1;
    if (!x7__rr_url_split(rec->url, &ua) && !x7__rr_url_split(live->url, &ub))
      origin_differs =
          !(ua.scheme.len == ub.scheme.len &&
            x7__ascii_casecmp_eq(ua.scheme.ptr, ub.scheme.ptr, ua.scheme.len) &&
            ua.host.len == ub.host.len &&
            x7__ascii_casecmp_eq(ua.host.ptr, ub.host.ptr, ua.host.len) &&
            ua.port == ub.port);
    add_diff(arr, origin_differs ? "url" : "path", a.ptr, a.len, b.ptr, b.len);
    dist += origin_differs ? 8 : 4;
    fields |= X7_CASSETTE_MATCH_URL;
  }
  a.len = b.len = 0;
  {
    struct x7__rr_url ua, ub;
    struct x7__buf sa, sb;
    struct pair *ia = NULL, *ib = NULL;
    long na = 0, nb = 0;
    x7__buf_init(&sa);
    x7__buf_init(&sb);
    if (!x7__rr_url_split(rec->url, &ua))
      na = query_items(s, ua.query, &ia, &sa);
    if (!x7__rr_url_split(live->url, &ub))
      nb = query_items(s, ub.query, &ib, &sb);
    if (na >= 0 && nb >= 0) {
      unsigned d = multiset_minus(ia, na, ib, nb, &a);
      d += multiset_minus(ib, nb, ia, na, &b);
      if (d) {
        add_diff(arr, "query", a.ptr ? (const char *)a.ptr : "", a.len,
                 b.ptr ? (const char *)b.ptr : "", b.len);
        dist += d;
        fields |= X7_CASSETTE_MATCH_QUERY;
      }
    }
    x7__free(ia);
    x7__free(ib);
    x7__buf_cleanup(&sa);
    x7__buf_cleanup(&sb);
  }
  a.len = b.len = 0;
  for (size_t i = 0; i < s->match_headers.n; i++) {
    char field[96];
    a.len = b.len = 0;
    header_values(rec->headers, s->match_headers.v[i], &a);
    header_values(live->headers, s->match_headers.v[i], &b);
    if (a.len == b.len && (!a.len || memcmp(a.ptr, b.ptr, a.len) == 0))
      continue;
    snprintf(field, sizeof field, "header:%.80s", s->match_headers.v[i]);
    add_diff(arr, field, a.ptr ? (const char *)a.ptr : "", a.len,
             b.ptr ? (const char *)b.ptr : "", b.len);
    dist += 2;
    fields |= X7_CASSETTE_MATCH_HEADERS;
  }
  {
    /* The header *set* as names only: values may be secrets. */
    struct x7__rr_strs na = {0}, nb = {0};
    header_names(rec->headers, &na);
    header_names(live->headers, &nb);
    a.len = b.len = 0;
    for (size_t i = 0; i < na.n; i++)
      if (!x7__rr_strs_has(&nb, na.v[i], strlen(na.v[i]), 1)) {
        if (a.len) x7__buf_u8(&a, ' ');
        x7__buf_add(&a, na.v[i], strlen(na.v[i]));
      }
    for (size_t i = 0; i < nb.n; i++)
      if (!x7__rr_strs_has(&na, nb.v[i], strlen(nb.v[i]), 1)) {
        if (b.len) x7__buf_u8(&b, ' ');
        x7__buf_add(&b, nb.v[i], strlen(nb.v[i]));
      }
    if (a.len || b.len)
      add_diff(arr, "header names (not matched)",
               a.ptr ? (const char *)a.ptr : "", a.len,
               b.ptr ? (const char *)b.ptr : "", b.len);
    x7__rr_strs_free(&na);
    x7__rr_strs_free(&nb);
  }
  a.len = b.len = 0;
  body_key(s, rec, &a);
  body_key(s, live, &b);
  if (a.len != b.len || (a.len && memcmp(a.ptr, b.ptr, a.len) != 0)) {
    cJSON *ta = NULL, *tb = NULL;
    if (!rec->body_sha && rec->body_len && live->body_len &&
        x7__rr_body_json(rec->body, &ta) && x7__rr_body_json(live->body, &tb)) {
      struct x7__buf path;
      unsigned left = 5;
      x7__buf_init(&path);
      json_diff(ta, tb, &path, arr, &left);
      x7__buf_cleanup(&path);
    } else {
      char e[128], g[128];
      snprintf(e, sizeof e, "%llu bytes %.*s",
               (unsigned long long)rec->body_len,
               (int)(a.len > 24 ? 24 : a.len), a.ptr ? (char *)a.ptr : "");
      snprintf(g, sizeof g, "%llu bytes %.*s",
               (unsigned long long)live->body_len,
               (int)(b.len > 24 ? 24 : b.len), b.ptr ? (char *)b.ptr : "");
      add_diff(arr, "body", e, strlen(e), g, strlen(g));
    }
    cJSON_Delete(ta);
    cJSON_Delete(tb);
    dist += 3;
    fields |= X7_CASSETTE_MATCH_BODY;
  }
  x7__buf_cleanup(&a);
  x7__buf_cleanup(&b);
  *pfields = fields;
  return dist;
}
