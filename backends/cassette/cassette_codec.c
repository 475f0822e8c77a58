/*
 * cassette_codec.c - the cassette file (cassettes/FORMAT.md): canonical
 * JSON, checksum line, strict validation with "offset: reason" errors.
 *
 * cJSON parses; the writer is ours, because the bytes must be canonical
 * (sorted keys, fixed layout and number format) so that recording the
 * same server twice gives the same file and diffs stay small.  The same
 * emitter maps a node of a parsed tree back to its byte offset, which is
 * how validation errors name a position without a position-tracking
 * parser: a verified file is canonical, so re-emitting it reproduces the
 * file byte for byte.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cassette_int.h"

/* "{\n  \"checksum\": \"sha256:" + 64 hex + ":" + 12 digits + "\",\n" */
static const char sum_prefix[] = "{\n  \"checksum\": \"sha256:";
#define SUM_PREFIX_LEN (sizeof sum_prefix - 1)
#define SUM_HEX_OFF SUM_PREFIX_LEN
#define SUM_SIZE_OFF (SUM_HEX_OFF + 64 + 1)
#define SUM_SIZE_DIGITS 12
#define SUM_LINE_END (SUM_SIZE_OFF + SUM_SIZE_DIGITS)
#define MAX_SAFE_INT 9007199254740992.0 /* 2^53 */

/* ---- UTF-8, base64, JSON strings ---- */

int x7__rr_utf8_ok(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = p[i];
    uint32_t cp;
    size_t k;
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) {
      k = 1;
      cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
      k = 2;
      cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
      k = 3;
      cp = c & 0x07u;
    } else {
      return 0;
    }
    if (n - i <= k) return 0;
    for (size_t j = 1; j <= k; j++) {
      if ((p[i + j] & 0xc0) != 0x80) return 0;
      cp = cp << 6 | (p[i + j] & 0x3fu);
    }
    /* overlong forms, surrogates and code points past U+10FFFF */
    if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
      return 0;
    i += k + 1;
  }
  return 1;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void x7__rr_b64_encode(struct x7__buf *b, const uint8_t *p, size_t n) {
  size_t out = (n + 2) / 3 * 4, i = 0;
  uint8_t *d;
  if (x7__buf_reserve(b, out)) return;
  d = b->ptr + b->len;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    *d++ = (uint8_t)b64_alphabet[v >> 18];
    *d++ = (uint8_t)b64_alphabet[(v >> 12) & 63];
    *d++ = (uint8_t)b64_alphabet[(v >> 6) & 63];
    *d++ = (uint8_t)b64_alphabet[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)p[i] << 16;
    *d++ = (uint8_t)b64_alphabet[v >> 18];
    *d++ = (uint8_t)b64_alphabet[(v >> 12) & 63];
    *d++ = '=';
    *d++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
    *d++ = (uint8_t)b64_alphabet[v >> 18];
    *d++ = (uint8_t)b64_alphabet[(v >> 12) & 63];
    *d++ = (uint8_t)b64_alphabet[(v >> 6) & 63];
    *d++ = '=';
  }
  b->len += out;
}

static int b64_val(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int x7__rr_b64_decode(const char *s, size_t n, struct x7__buf *out) {
  const uint8_t *p = (const uint8_t *)s;
  if (n % 4) return -1;
  if (x7__buf_reserve(out, n / 4 * 3)) return -1;
  for (size_t i = 0; i < n; i += 4) {
    int v[4], pad = 0;
    for (int j = 0; j < 4; j++) {
      if (p[i + j] == '=' && i + 4 == n && j >= 2) {
        v[j] = 0;
        pad++;
        continue;
      }
      if (pad) return -1; /* data after padding */
      v[j] = b64_val(p[i + j]);
      if (v[j] < 0) return -1;
    }
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
                 (uint32_t)v[2] << 6 | (uint32_t)v[3];
    /* Canonical: the bits the padding hides must be zero. */
    if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff))) return -1;
    out->ptr[out->len++] = (uint8_t)(w >> 16);
    if (pad < 2) out->ptr[out->len++] = (uint8_t)(w >> 8);
    if (pad < 1) out->ptr[out->len++] = (uint8_t)w;
  }
  return 0;
}

void x7__rr_json_string(struct x7__buf *b, const uint8_t *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t run = 0;
  x7__buf_u8(b, '"');
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    char esc[6];
    size_t el = 2;
    if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
    x7__buf_add(b, p + run, i - run);
    run = i + 1;
    esc[0] = '\\';
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\b': esc[1] = 'b'; break;
    case '\f': esc[1] = 'f'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      memcpy(esc + 1, "u00", 3);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      el = 6;
    }
    x7__buf_add(b, esc, el);
  }
  x7__buf_add(b, p + run, n - run);
  x7__buf_u8(b, '"');
}

/* ---- canonical emitter ---- */

struct emit {
  struct x7__buf *b;
  int pretty;
  const cJSON *target;
  size_t *ptarget_off;
  int bad;
};

static int is_container(const cJSON *n) {
  return cJSON_IsArray(n) || cJSON_IsObject(n);
}

static int cmp_member(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

static void emit_number(struct emit *e, double v) {
  char tmp[40];
  int k;
  if (v >= 0 && v <= MAX_SAFE_INT && (double)(uint64_t)v == v) {
    k = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)(uint64_t)v);
  } else if (e->pretty) {
    e->bad = 1;
    k = snprintf(tmp, sizeof tmp, "0");
  } else if (v < 0 && v >= -MAX_SAFE_INT && (double)(int64_t)v == v) {
    k = snprintf(tmp, sizeof tmp, "%lld", (long long)(int64_t)v);
  } else if (v == v && v - v == 0) { /* finite */
    k = snprintf(tmp, sizeof tmp, "%.17g", v);
  } else {
    k = snprintf(tmp, sizeof tmp, "null");
  }
  x7__buf_add(e->b, tmp, (size_t)k);
}

static void emit_indent(struct emit *e, int depth) {
  for (int i = 0; i < depth; i++) x7__buf_add(e->b, "  ", 2);
}

static void emit_value(struct emit *e, const cJSON *n, int depth);

static void emit_container(struct emit *e, const cJSON *n, int depth) {
  int obj = cJSON_IsObject(n), one_line = !e->pretty;
  const cJSON *stack[16], **kids = stack;
  size_t count = 0;
  for (const cJSON *c = n->child; c; c = c->next) count++;
  if (e->pretty) {
    one_line = 1;
    for (const cJSON *c = n->child; c; c = c->next)
      if (is_container(c)) one_line = 0;
  }
  x7__buf_u8(e->b, obj ? '{' : '[');
  if (count > sizeof stack / sizeof *stack) {
    kids = x7__malloc(count * sizeof *kids);
    if (!kids) {
      e->b->failed = 1;
      return;
    }
  }
  count = 0;
  for (const cJSON *c = n->child; c; c = c->next) kids[count++] = c;
  if (obj) qsort(kids, count, sizeof *kids, cmp_member);
  for (size_t i = 0; i < count; i++) {
    if (one_line) {
      if (i) x7__buf_add(e->b, e->pretty ? ", " : ",", e->pretty ? 2 : 1);
    } else {
      x7__buf_add(e->b, i ? ",\n" : "\n", i ? 2 : 1);
      emit_indent(e, depth + 1);
    }
    if (obj) {
      const char *k = kids[i]->string ? kids[i]->string : "";
      x7__rr_json_string(e->b, (const uint8_t *)k, strlen(k));
      x7__buf_add(e->b, e->pretty ? ": " : ":", e->pretty ? 2 : 1);
    }
    emit_value(e, kids[i], depth + 1);
  }
  if (!one_line && count) {
    x7__buf_u8(e->b, '\n');
    emit_indent(e, depth);
  }
  x7__buf_u8(e->b, obj ? '}' : ']');
  if (kids != stack) x7__free(kids);
}

static void emit_value(struct emit *e, const cJSON *n, int depth) {
  if (n == e->target && e->ptarget_off) *e->ptarget_off = e->b->len;
  if (cJSON_IsFalse(n)) {
    x7__buf_add(e->b, "false", 5);
  } else if (cJSON_IsTrue(n)) {
    x7__buf_add(e->b, "true", 4);
  } else if (cJSON_IsNull(n)) {
    x7__buf_add(e->b, "null", 4);
  } else if (cJSON_IsNumber(n)) {
    emit_number(e, n->valuedouble);
  } else if (cJSON_IsString(n)) {
    const char *s = n->valuestring ? n->valuestring : "";
    x7__rr_json_string(e->b, (const uint8_t *)s, strlen(s));
  } else if (is_container(n)) {
    emit_container(e, n, depth);
  } else {
    e->bad = 1;
    x7__buf_add(e->b, "null", 4);
  }
}

x7_result x7__rr_json_emit(const cJSON *root, int pretty, struct x7__buf *out,
                           const cJSON *target, size_t *ptarget_off) {
  struct emit e = {out, pretty, target, ptarget_off, 0};
  emit_value(&e, root, 0);
  if (out->failed) return X7_ENOMEM;
  return e.bad ? X7_EINVAL : X7_OK;
}

/* ---- encode ---- */

/* A string node from bytes that may lack a NUL terminator. */
static cJSON *str_node(const void *p, size_t n) {
  char stack[256], *s = stack;
  cJSON *node;
  if (n >= sizeof stack) {
    s = x7__malloc(n + 1);
    if (!s) return NULL;
  }
  if (n) memcpy(s, p, n);
  s[n] = '\0';
  node = cJSON_CreateString(s);
  if (s != stack) x7__free(s);
  return node;
}

static int add(cJSON *obj, const char *key, cJSON *item) {
  if (!item) return -1;
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return -1;
  }
  return 0;
}

static int add_num(cJSON *obj, const char *key, uint64_t v) {
  return add(obj, key, cJSON_CreateNumber((double)v));
}

static int body_is_text(const uint8_t *p, size_t n) {
  return memchr(p, 0, n) == NULL && x7__rr_utf8_ok(p, n);
}

/* {"text": ..} | {"base64": ..} | {"blob": "sha256:..", "size": n} */
static cJSON *body_node(const struct x7__rr_body *b) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  if (b->blob) {
    char ref[7 + 65];
    memcpy(ref, "sha256:", 7);
    memcpy(ref + 7, b->sha, 65);
    if (add(o, "blob", cJSON_CreateString(ref)) || add_num(o, "size", b->len))
      goto fail;
  } else if (body_is_text(b->ptr, (size_t)b->len)) {
    if (add(o, "text", str_node(b->ptr, (size_t)b->len))) goto fail;
  } else {
    struct x7__buf t;
    cJSON *s;
    x7__buf_init(&t);
    x7__rr_b64_encode(&t, b->ptr, (size_t)b->len);
    x7__buf_u8(&t, 0);
    s = t.failed ? NULL : cJSON_CreateString((const char *)t.ptr);
    x7__buf_cleanup(&t);
    if (add(o, "base64", s)) goto fail;
  }
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

/* [["name", "value"], ...]; values that are not UTF-8 become
 * {"base64": ..} (names are tokens, always ASCII). */
static cJSON *headers_node(const uint8_t *t, size_t n) {
  cJSON *arr = cJSON_CreateArray();
  uint32_t count;
  size_t pos = 4;
  if (!arr) return NULL;
  count = n >= 4 ? x7__rd32(t) : 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t nl = x7__rd32(t + pos), vl;
    const uint8_t *name = t + pos + 4, *val;
    cJSON *pair, *v;
    pos += 4 + nl;
    vl = x7__rd32(t + pos);
    val = t + pos + 4;
    pos += 4 + vl;
    pair = cJSON_CreateArray();
    if (!pair || !cJSON_AddItemToArray(arr, pair)) {
      cJSON_Delete(pair);
      goto fail;
    }
    v = str_node(name, nl);
    if (!v || !cJSON_AddItemToArray(pair, v)) {
      cJSON_Delete(v);
      goto fail;
    }
    if (body_is_text(val, vl)) {
      v = str_node(val, vl);
    } else {
      struct x7__rr_body b = {(uint8_t *)val, vl, 0, {0}};
      v = body_node(&b);
    }
    if (!v || !cJSON_AddItemToArray(pair, v)) {
      cJSON_Delete(v);
      goto fail;
    }
  }
  return arr;
fail:
  cJSON_Delete(arr);
  return NULL;
}

static cJSON *strs_node(const struct x7__rr_strs *l) {
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (size_t i = 0; i < l->n; i++) {
    cJSON *s = cJSON_CreateString(l->v[i]);
    if (!s || !cJSON_AddItemToArray(arr, s)) {
      cJSON_Delete(s);
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

static const char *const exhaust_names[] = {"error", "repeat_last", "cycle"};
static const char *const rule_names[X7__RR_RULES] = {"header", "query", "form",
                                                     "json"};

static cJSON *settings_node(const struct x7__rr_settings *s) {
  static const struct x7__rr_strs none = {0};
  cJSON *o = cJSON_CreateObject(), *m = NULL, *r = NULL;
  if (!o) return NULL;
  if (add(o, "exhaustion", cJSON_CreateString(exhaust_names[s->exhaust])) ||
      add_num(o, "inline_max", s->inline_max) ||
      add(o, "timings", cJSON_CreateBool(s->timings)))
    goto fail;
  m = cJSON_CreateObject();
  if (add(o, "match", m)) goto fail;
  if (add(m, "body", cJSON_CreateBool(s->match & X7_CASSETTE_MATCH_BODY)) ||
      add(m, "custom", strs_node(&s->custom)) ||
      add(m, "headers",
          strs_node(s->match & X7_CASSETTE_MATCH_HEADERS ? &s->match_headers
                                                         : &none)) ||
      add(m, "ignore_query", strs_node(&s->ignore_query)) ||
      add(m, "method", cJSON_CreateBool(s->match & X7_CASSETTE_MATCH_METHOD)) ||
      add(m, "query", cJSON_CreateBool(s->match & X7_CASSETTE_MATCH_QUERY)) ||
      add(m, "url", cJSON_CreateBool(s->match & X7_CASSETTE_MATCH_URL)))
    goto fail;
  r = cJSON_CreateObject();
  if (add(o, "redact", r)) goto fail;
  for (int i = 0; i < X7__RR_RULES; i++)
    if (add(r, rule_names[i], strs_node(&s->redact[i]))) goto fail;
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

static cJSON *ix_node(const struct x7__rr_ix *ix) {
  cJSON *o = cJSON_CreateObject(), *rq, *caps, *rs;
  if (!o) return NULL;
  if ((ix->has_duration && add_num(o, "duration_us", ix->duration_us)) ||
      add_num(o, "hop", ix->hop) || add_num(o, "redirects", ix->redirects))
    goto fail;
  rq = cJSON_CreateObject();
  if (add(o, "request", rq)) goto fail;
  if (ix->req_body.len && add(rq, "body", body_node(&ix->req_body))) goto fail;
  caps = cJSON_CreateObject();
  if (add(rq, "caps", caps) ||
      add_num(caps, "follow_location", ix->follow_location) ||
      add_num(caps, "max_body_bytes", ix->max_body_bytes) ||
      add_num(caps, "max_header_bytes", ix->max_header_bytes) ||
      add_num(caps, "max_headers", ix->max_headers) ||
      add_num(caps, "max_redirects", ix->max_redirects) ||
      add_num(caps, "timeout_s", ix->timeout_s))
    goto fail;
  if (add(rq, "headers", headers_node(ix->req_headers, ix->req_headers_len)) ||
      add(rq, "method", cJSON_CreateString(x7__rr_method_name(ix->method))) ||
      add(rq, "to_file", cJSON_CreateBool(ix->to_file)) ||
      add(rq, "url", str_node(ix->url, ix->url_len)))
    goto fail;
  rs = cJSON_CreateObject();
  if (add(o, "response", rs)) goto fail;
  if (ix->error) {
    if (add_num(rs, "error", (uint32_t)ix->error)) goto fail;
    return o;
  }
  if ((ix->resp_body.len && add(rs, "body", body_node(&ix->resp_body))) ||
      add(rs, "headers",
          headers_node(ix->resp_headers, ix->resp_headers_len)) ||
      add(rs, "http_version", cJSON_CreateString(ix->http_version)) ||
      add_num(rs, "status", ix->status))
    goto fail;
  return o;
fail:
  cJSON_Delete(o);
  return NULL;
}

static const char *or_none(const char *s) { return s && s[0] ? s : "none"; }

static cJSON *doc_node(const struct x7__rr_doc *d) {
  char zero_sum[7 + 64 + 1 + SUM_SIZE_DIGITS + 1];
  cJSON *root = cJSON_CreateObject(), *arr, *prov;
  if (!root) return NULL;
  memcpy(zero_sum, "sha256:", 7);
  memset(zero_sum + 7, '0', 64);
  zero_sum[7 + 64] = ':';
  memset(zero_sum + 7 + 64 + 1, '0', SUM_SIZE_DIGITS);
  zero_sum[sizeof zero_sum - 1] = '\0';
  if (add(root, "checksum", cJSON_CreateString(zero_sum)) ||
      add(root, "format", cJSON_CreateString(X7__RR_FORMAT_NAME)) ||
      add_num(root, "version", X7__RR_FORMAT_VERSION))
    goto fail;
  prov = cJSON_CreateObject();
  if (add(root, "provenance", prov) ||
      add(prov, "policy_hash", cJSON_CreateString(or_none(d->policy_hash))) ||
      add(prov, "transport", cJSON_CreateString(or_none(d->transport))) ||
      add(prov, "x7net_version", cJSON_CreateString(or_none(d->x7net_version))))
    goto fail;
  if (add(root, "settings", settings_node(&d->settings))) goto fail;
  arr = cJSON_CreateArray();
  if (add(root, "interactions", arr)) goto fail;
  for (size_t i = 0; i < d->n; i++) {
    cJSON *ix = ix_node(d->ix[i]);
    if (!ix || !cJSON_AddItemToArray(arr, ix)) {
      cJSON_Delete(ix);
      goto fail;
    }
  }
  return root;
fail:
  cJSON_Delete(root);
  return NULL;
}

/* Fill in the size digits and the checksum of a canonical file. */
static int seal(uint8_t *p, size_t n) {
  uint8_t sum[32];
  size_t v = n;
  /* Fixed width so the size never changes the size (files < 1 TB). */
  for (int i = SUM_SIZE_DIGITS - 1; i >= 0; i--) {
    p[SUM_SIZE_OFF + (size_t)i] = (uint8_t)('0' + v % 10);
    v /= 10;
  }
  memset(p + SUM_HEX_OFF, '0', 64);
  if (x7__rr_sha256(p, n, sum)) return -1;
  {
    char hex[65];
    x7__rr_hex(sum, 32, hex);
    memcpy(p + SUM_HEX_OFF, hex, 64);
  }
  return 0;
}

x7_result x7__rr_encode(const struct x7__rr_doc *doc, struct x7__buf *out) {
  cJSON *root = doc_node(doc);
  size_t start = out->len;
  x7_result r;
  if (!root) return X7_ENOMEM;
  r = x7__rr_json_emit(root, 1, out, NULL, NULL);
  cJSON_Delete(root);
  if (r == X7_EINVAL) r = X7_EINTERNAL; /* our own numbers are integers */
  if (r) return r;
  x7__buf_u8(out, '\n');
  if (out->failed) return X7_ENOMEM;
  if (out->len - start < SUM_LINE_END + 3 ||
      memcmp(out->ptr + start, sum_prefix, SUM_PREFIX_LEN) != 0)
    return X7_EINTERNAL;
  if (seal(out->ptr + start, out->len - start)) return X7_ENOMEM;
  return X7_OK;
}

/* ---- decode ----
 *
 * A strict reader of its own rather than cJSON: a 10 000-interaction
 * cassette must load in well under 50 ms, and a cJSON tree costs a heap
 * node per value (measured: ~3x over budget, most of it malloc/free).
 * Reading straight into the model also gives every error its exact byte
 * offset.  Any JSON whitespace and member order is accepted (a cassette
 * may be hand-edited and resealed); the grammar is RFC 8259 restricted
 * to what the format allows (integers only, no U+0000).
 */

struct rd {
  const uint8_t *p;
  size_t n, i;
  const char *blob_dir;
  char *msg;
  size_t msglen;
  x7_result r;
  struct x7__buf tmp; /* decoded strings that had escapes */
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static int
rfail(struct rd *r, size_t off, const char *path, const char *fmt, ...) {
  char why[320];
  va_list ap;
  if (r->r) return -1; /* the first error is the one to report */
  r->r = X7_ECASSETTE_FORMAT;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  snprintf(r->msg, r->msglen, "%zu: %s: %s", off, path, why);
  return -1;
}

static int room(struct rd *r) {
  if (!r->r) {
    r->r = X7_ENOMEM;
    snprintf(r->msg, r->msglen, "0: out of memory");
  }
  return -1;
}

static void ws(struct rd *r) {
  while (r->i < r->n && (r->p[r->i] == ' ' || r->p[r->i] == '\n' ||
                         r->p[r->i] == '\t' || r->p[r->i] == '\r'))
    r->i++;
}

static int expect(struct rd *r, uint8_t c, const char *path, const char *what) {
  ws(r);
  if (r->i < r->n && r->p[r->i] == c) {
    r->i++;
    return 0;
  }
  return rfail(r, r->i, path, "invalid JSON: expected %s", what);
}

/* Length of the UTF-8 sequence at p (n bytes left), or 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t n) {
  uint32_t cp;
  size_t k;
  uint8_t c = p[0];
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    k = 1;
    cp = c & 0x1fu;
  } else if (c >= 0xe0 && c <= 0xef) {
    k = 2;
    cp = c & 0x0fu;
  } else if (c >= 0xf0 && c <= 0xf4) {
    k = 3;
    cp = c & 0x07u;
  } else {
    return 0;
  }
  if (n <= k) return 0;
  for (size_t j = 1; j <= k; j++) {
    if ((p[j] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (p[j] & 0x3fu);
  }
  if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return k + 1;
}

static int hex4(const uint8_t *p, uint32_t *pv) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) {
    uint8_t c = p[k];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return -1;
  }
  *pv = v;
  return 0;
}

static void put_utf8(struct x7__buf *b, uint32_t cp) {
  uint8_t o[4];
  size_t k;
  if (cp < 0x80) {
    o[0] = (uint8_t)cp;
    k = 1;
  } else if (cp < 0x800) {
    o[0] = (uint8_t)(0xc0 | cp >> 6);
    o[1] = (uint8_t)(0x80 | (cp & 0x3f));
    k = 2;
  } else if (cp < 0x10000) {
    o[0] = (uint8_t)(0xe0 | cp >> 12);
    o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (uint8_t)(0x80 | (cp & 0x3f));
    k = 3;
  } else {
    o[0] = (uint8_t)(0xf0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (uint8_t)(0x80 | (cp & 0x3f));
    k = 4;
  }
  x7__buf_add(b, o, k);
}

/* A string value.  *out views the input when it has no escapes, else
 * r->tmp (valid until the next string).  Valid UTF-8, no U+0000. */
/* The byte a one-character JSON escape stands for, or -1 (\\u is handled
 * by the caller). */
static int simple_escape(uint8_t c) {
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case '/': return '/';
  case 'b': return '\b';
  case 'f': return '\f';
  case 'n': return '\n';
  case 'r': return '\r';
  case 't': return '\t';
  default: return -1;
  }
}

static int str(struct rd *r, const char *path, struct x7_view *out) {
  const uint8_t *p = r->p;
  size_t i, start;
  int esc = 0;
  ws(r);
  if (r->i >= r->n || p[r->i] != '"')
    return rfail(r, r->i, path, "expected a string");
  start = ++r->i;
  /* Fast scan: plain ASCII runs, then UTF-8 sequences. */
  for (i = start;;) {
    uint8_t c;
    /* Eight plain ASCII bytes at a time: no quote, backslash, control
     * or non-ASCII byte among them. */
    while (r->n - i >= 8) {
      uint64_t w, lo = 0x0101010101010101ull, hi = 0x8080808080808080ull;
      uint64_t q, b;
      memcpy(&w, p + i, 8);
      q = w ^ (lo * '"');
      b = w ^ (lo * '\\');
      if (((w | ((w - lo * 0x20) & ~w) | ((q - lo) & ~q) | ((b - lo) & ~b)) &
           hi) != 0)
        break;
      i += 8;
    }
    if (i >= r->n) return rfail(r, i, path, "unterminated string");
    c = p[i];
    if (c == '"') break;
    if (c == '\\') {
      esc = 1;
      if (i + 1 >= r->n) return rfail(r, i, path, "unterminated string");
      i += 2;
      continue;
    }
    if (c < 0x20) return rfail(r, i, path, "control character in a string");
    if (c < 0x80) {
      i++;
      continue;
    }
    {
      size_t k = utf8_seq(p + i, r->n - i);
      if (!k) return rfail(r, i, path, "invalid UTF-8");
      i += k;
    }
  }
  r->i = i + 1;
  if (!esc) {
    *out = x7_view_of(p + start, i - start);
    return 0;
  }
  r->tmp.len = 0;
  if (x7__buf_reserve(&r->tmp, i - start + 1)) return room(r);
  for (size_t k = start; k < i;) {
    uint32_t cp, lo;
    size_t run = k;
    while (run < i && p[run] != '\\') run++;
    x7__buf_add(&r->tmp, p + k, run - k);
    if (run == i) break;
    k = run + 1;
    if (p[k] != 'u') {
      int c = simple_escape(p[k]);
      if (c < 0) return rfail(r, k - 1, path, "invalid escape in a string");
      x7__buf_u8(&r->tmp, (uint8_t)c);
      k++;
      continue;
    }
    if (i - k < 5 || hex4(p + k + 1, &cp))
      return rfail(r, k - 1, path, "invalid \\u escape");
    k += 5;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      if (i - k < 6 || p[k] != '\\' || p[k + 1] != 'u' ||
          hex4(p + k + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
        return rfail(r, k - 6, path, "unpaired surrogate escape");
      cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      k += 6;
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
      return rfail(r, k - 6, path, "unpaired surrogate escape");
    }
    if (cp == 0) return rfail(r, k - 6, path, "U+0000 is not allowed");
    put_utf8(&r->tmp, cp);
  }
  if (r->tmp.failed) return room(r);
  *out = x7_view_of(r->tmp.ptr, r->tmp.len);
  return 0;
}

static int uint_val(struct rd *r, const char *path, const char *key,
                    uint64_t max, uint64_t *pv) {
  size_t s;
  uint64_t v = 0;
  ws(r);
  s = r->i;
  while (r->i < r->n && r->p[r->i] >= '0' && r->p[r->i] <= '9') {
    if (v > (UINT64_MAX - 9) / 10) break;
    v = v * 10 + (uint64_t)(r->p[r->i] - '0');
    r->i++;
  }
  if (r->i == s || (r->p[s] == '0' && r->i - s > 1) ||
      (r->i < r->n &&
       (r->p[r->i] == '.' || r->p[r->i] == 'e' || r->p[r->i] == 'E' ||
        (r->p[r->i] >= '0' && r->p[r->i] <= '9'))) ||
      v > max)
    return rfail(r, s, path, "\"%s\" must be an integer 0..%llu", key,
                 (unsigned long long)max);
  *pv = v;
  return 0;
}

static int u32_val(struct rd *r, const char *path, const char *key,
                   uint32_t max, uint32_t *pv) {
  uint64_t v = 0;
  if (uint_val(r, path, key, max, &v)) return -1;
  *pv = (uint32_t)v;
  return 0;
}

static int bool_val(struct rd *r, const char *path, const char *key, int *pv) {
  ws(r);
  if (r->n - r->i >= 4 && memcmp(r->p + r->i, "true", 4) == 0) {
    r->i += 4;
    *pv = 1;
    return 0;
  }
  if (r->n - r->i >= 5 && memcmp(r->p + r->i, "false", 5) == 0) {
    r->i += 5;
    *pv = 0;
    return 0;
  }
  return rfail(r, r->i, path, "\"%s\" must be true or false", key);
}

/* Object members: call obj_next until it returns 0 (end) or -1.  On 1,
 * *pk is the member's key index in keys[] and the reader is at its
 * value; unknown and duplicate keys are errors. */
struct obj {
  int first;
  unsigned seen;
  size_t at; /* offset of the opening brace */
};

static int obj_begin(struct rd *r, const char *path, struct obj *o) {
  ws(r);
  o->first = 1;
  o->seen = 0;
  o->at = r->i;
  if (r->i >= r->n || r->p[r->i] != '{')
    return rfail(r, r->i, path, "expected an object");
  r->i++;
  return 0;
}

static int obj_next(struct rd *r, const char *path, struct obj *o,
                    const char *const *keys, size_t nkeys, int *pk) {
  struct x7_view k;
  size_t koff;
  ws(r);
  if (r->i < r->n && r->p[r->i] == '}') {
    r->i++;
    return 0;
  }
  if (!o->first && expect(r, ',', path, "',' or '}'")) return -1;
  o->first = 0;
  ws(r);
  koff = r->i;
  if (str(r, path, &k)) return -1;
  if (expect(r, ':', path, "':'")) return -1;
  for (size_t i = 0; i < nkeys; i++)
    if (strlen(keys[i]) == k.len && memcmp(keys[i], k.ptr, k.len) == 0) {
      if (o->seen & (1u << i))
        return rfail(r, koff, path, "duplicate member \"%s\"", keys[i]);
      o->seen |= 1u << i;
      *pk = (int)i;
      return 1;
    }
  return rfail(r, koff, path, "unknown member \"%.*s\"",
               (int)(k.len > 40 ? 40 : k.len), (const char *)k.ptr);
}

/* Every key whose bit is in `required` was seen. */
static int obj_required(struct rd *r, const char *path, struct obj *o,
                        const char *const *keys, unsigned required) {
  for (unsigned i = 0; required >> i; i++)
    if ((required >> i & 1u) && !(o->seen & (1u << i)))
      return rfail(r, o->at, path, "missing member \"%s\"", keys[i]);
  return 0;
}

struct arr {
  int first;
};

static int arr_begin(struct rd *r, const char *path, const char *what,
                     struct arr *a) {
  ws(r);
  a->first = 1;
  if (r->i >= r->n || r->p[r->i] != '[')
    return rfail(r, r->i, path, "expected %s", what);
  r->i++;
  return 0;
}

/* 1: an element follows; 0: end; -1: error. */
static int arr_next(struct rd *r, const char *path, struct arr *a) {
  ws(r);
  if (r->i < r->n && r->p[r->i] == ']') {
    r->i++;
    return 0;
  }
  if (!a->first && expect(r, ',', path, "',' or ']'")) return -1;
  a->first = 0;
  return 1;
}

static char *dup_view_str(struct x7_view v) {
  char *p = x7__malloc(v.len + 1);
  if (!p) return NULL;
  if (v.len) memcpy(p, v.ptr, v.len);
  p[v.len] = '\0';
  return p;
}

/* A copy with a NUL after it (callers treat it as bytes). */
static uint8_t *dup_bytes(const void *s, size_t n) {
  uint8_t *p = x7__malloc(n + 1);
  if (!p) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = 0;
  return p;
}

static int is_tchar(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_hex_lower(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

/* ["name", ...] sorted, unique; tokens (lower case) or printable names. */
static int strs_val(struct rd *r, const char *path, const char *key, int tokens,
                    struct x7__rr_strs *out) {
  struct arr a;
  int more;
  char prev[256] = "";
  int have_prev = 0;
  if (arr_begin(r, path, "an array of strings", &a)) return -1;
  for (more = arr_next(r, path, &a); more == 1; more = arr_next(r, path, &a)) {
    struct x7_view v;
    size_t at;
    ws(r);
    at = r->i;
    if (str(r, path, &v)) return -1;
    if (!v.len)
      return rfail(r, at, path, "\"%s\" must hold non-empty strings", key);
    for (size_t i = 0; i < v.len; i++) {
      uint8_t ch = v.ptr[i];
      if (tokens ? !is_tchar(ch) || (ch >= 'A' && ch <= 'Z')
                 : ch < 0x21 || ch > 0x7e)
        return rfail(r, at, path, "\"%s\": \"%.*s\" is not a %s name", key,
                     (int)(v.len > 40 ? 40 : v.len), (const char *)v.ptr,
                     tokens ? "lower-case token" : "printable");
    }
    if (have_prev && (v.len < sizeof prev) &&
        strncmp(prev, (const char *)v.ptr, v.len + 1) >= 0 &&
        !(strlen(prev) < v.len && memcmp(prev, v.ptr, strlen(prev)) == 0))
      return rfail(r, at, path,
                   "\"%s\" must be sorted and without "
                   "duplicates",
                   key);
    snprintf(prev, sizeof prev, "%.*s", (int)v.len, (const char *)v.ptr);
    have_prev = 1;
    if (x7__rr_strs_add(out, (const char *)v.ptr, v.len, 0)) return room(r);
  }
  return more;
}

static int body_val_in(struct rd *r, const char *path, struct x7__rr_body *b);

/* On failure the body is left empty, whatever was read before. */
static int body_val(struct rd *r, const char *path, struct x7__rr_body *b) {
  if (!body_val_in(r, path, b)) return 0;
  x7__free(b->ptr);
  memset(b, 0, sizeof *b);
  return -1;
}

static int body_val_in(struct rd *r, const char *path, struct x7__rr_body *b) {
  static const char *const keys[] = {"base64", "blob", "size", "text"};
  struct obj o;
  struct x7_view v;
  int k = 0, more;
  size_t vat = 0;
  uint64_t size = 0;
  char sha[65] = "";
  if (obj_begin(r, path, &o)) return -1;
  for (more = obj_next(r, path, &o, keys, 4, &k); more == 1;
       more = obj_next(r, path, &o, keys, 4, &k)) {
    ws(r);
    vat = r->i;
    if (k == 2) {
      if (uint_val(r, path, "size", (uint64_t)MAX_SAFE_INT, &size)) return -1;
      continue;
    }
    if (str(r, path, &v)) return -1;
    x7__free(b->ptr); /* {"text", "base64"} is refused below */
    b->ptr = NULL;
    if (k == 3) { /* text */
      if (!v.len)
        return rfail(r, vat, path, "an empty body is written as no body");
      b->ptr = dup_bytes(v.ptr, v.len);
      if (!b->ptr) return room(r);
      b->len = v.len;
    } else if (k == 0) { /* base64 */
      struct x7__buf t;
      x7__buf_init(&t);
      if (x7__rr_b64_decode((const char *)v.ptr, v.len, &t) || t.len == 0) {
        int was_oom = t.failed;
        x7__buf_cleanup(&t);
        return was_oom ? room(r)
                       : rfail(r, vat, path,
                               "\"base64\" is not canonical "
                               "base64 of a non-empty body");
      }
      x7__buf_u8(&t, 0);
      if (t.failed) return room(r);
      b->ptr = t.ptr;
      b->len = t.len - 1;
    } else { /* blob */
      if (v.len != 71 || memcmp(v.ptr, "sha256:", 7) != 0 ||
          !is_hex_lower((const char *)v.ptr + 7, 64))
        return rfail(r, vat, path,
                     "\"blob\" must be \"sha256:\" + 64 "
                     "lower-case hex digits");
      memcpy(sha, v.ptr + 7, 64);
      sha[64] = 0;
    }
  }
  if (more < 0) return -1;
  if (o.seen == 1u << 3 || o.seen == 1u << 0) return 0;
  if (o.seen == ((1u << 1) | (1u << 2))) {
    b->blob = 1;
    b->len = size;
    memcpy(b->sha, sha, 65);
    if (r->blob_dir && !x7__rr_blob_exists(r->blob_dir, b->sha, size)) {
      rfail(r, o.at, path,
            "sidecar body sha256:%s (%llu bytes) is missing from %s", b->sha,
            (unsigned long long)size, r->blob_dir);
      r->r = X7_ECASSETTE_BLOB;
      return -1;
    }
    return 0;
  }
  return rfail(r, o.at, path,
               "a body is {\"text\"}, {\"base64\"} or "
               "{\"blob\", \"size\"}");
}

/* [["name", "value" | {"base64"}], ...] -> HttpHeadersTableV1 */
static int headers_val(struct rd *r, const char *path, uint8_t **pt,
                       size_t *plen) {
  struct x7__buf t;
  struct arr a;
  uint32_t count = 0;
  int more;
  if (arr_begin(r, path, "\"headers\" as an array of pairs", &a)) return -1;
  x7__buf_init(&t);
  x7__buf_u32(&t, 0);
  for (more = arr_next(r, path, &a); more == 1; more = arr_next(r, path, &a)) {
    struct arr pa;
    struct x7_view v;
    size_t at;
    ws(r);
    at = r->i;
    if (arr_begin(r, path, "a header pair", &pa)) goto bad;
    more = arr_next(r, path, &pa);
    if (more < 0) goto bad;
    if (more == 0) goto bad_pair;
    if (str(r, path, &v)) goto bad;
    if (!v.len) goto bad_pair;
    for (size_t i = 0; i < v.len; i++)
      if (!is_tchar(v.ptr[i])) goto bad_pair;
    x7__buf_u32(&t, (uint32_t)v.len);
    x7__buf_add(&t, v.ptr, v.len);
    more = arr_next(r, path, &pa);
    if (more < 0) goto bad;
    if (more == 0) goto bad_pair;
    ws(r);
    if (r->i < r->n && r->p[r->i] == '"') {
      if (str(r, path, &v)) goto bad;
      if (memchr(v.ptr, '\r', v.len) || memchr(v.ptr, '\n', v.len))
        goto bad_pair;
      x7__buf_u32(&t, (uint32_t)v.len);
      x7__buf_add(&t, v.ptr, v.len);
    } else {
      struct x7__rr_body b = {0};
      if (body_val(r, path, &b)) goto bad;
      if (b.blob || memchr(b.ptr, '\r', (size_t)b.len) ||
          memchr(b.ptr, '\n', (size_t)b.len) ||
          memchr(b.ptr, 0, (size_t)b.len)) {
        x7__free(b.ptr);
        goto bad_pair;
      }
      x7__buf_u32(&t, (uint32_t)b.len);
      x7__buf_add(&t, b.ptr, (size_t)b.len);
      x7__free(b.ptr);
    }
    more = arr_next(r, path, &pa);
    if (more < 0) goto bad;
    if (more == 1) goto bad_pair;
    count++;
    continue;
  bad_pair:
    rfail(r, at, path,
          "a header is [\"token\", \"value\" or {\"base64\"}] "
          "without CR, LF or NUL");
  bad:
    x7__buf_cleanup(&t);
    return -1;
  }
  if (more < 0) {
    x7__buf_cleanup(&t);
    return -1;
  }
  x7__buf_put32_at(&t, 0, count);
  if (t.failed) return room(r);
  *pt = t.ptr;
  *plen = t.len;
  return 0;
}

static int caps_val(struct rd *r, const char *path, struct x7__rr_ix *ix) {
  static const char *const keys[] = {"follow_location",  "max_body_bytes",
                                     "max_header_bytes", "max_headers",
                                     "max_redirects",    "timeout_s"};
  uint32_t *dst[] = {&ix->follow_location,  &ix->max_body_bytes,
                     &ix->max_header_bytes, &ix->max_headers,
                     &ix->max_redirects,    &ix->timeout_s};
  struct obj o;
  int k = 0, more;
  if (obj_begin(r, path, &o)) return -1;
  for (more = obj_next(r, path, &o, keys, 6, &k); more == 1;
       more = obj_next(r, path, &o, keys, 6, &k))
    if (u32_val(r, path, keys[k], k == 0 ? 1 : INT32_MAX, dst[k])) return -1;
  if (more < 0) return -1;
  return obj_required(r, path, &o, keys, 0x3fu);
}

static int request_val(struct rd *r, const char *path, struct x7__rr_ix *ix) {
  static const char *const keys[] = {"body",   "caps",    "headers",
                                     "method", "to_file", "url"};
  char sub[160];
  struct obj o;
  struct x7_view v;
  int k = 0, more;
  size_t at;
  if (obj_begin(r, path, &o)) return -1;
  for (more = obj_next(r, path, &o, keys, 6, &k); more == 1;
       more = obj_next(r, path, &o, keys, 6, &k)) {
    ws(r);
    at = r->i;
    switch (k) {
    case 0:
      snprintf(sub, sizeof sub, "%s.body", path);
      if (body_val(r, sub, &ix->req_body)) return -1;
      break;
    case 1:
      snprintf(sub, sizeof sub, "%s.caps", path);
      if (caps_val(r, sub, ix)) return -1;
      break;
    case 2:
      if (headers_val(r, path, &ix->req_headers, &ix->req_headers_len))
        return -1;
      break;
    case 3:
      if (str(r, path, &v)) return -1;
      ix->method = x7__rr_method_code((const char *)v.ptr, v.len);
      if (!ix->method)
        return rfail(r, at, path, "unknown method \"%.*s\"",
                     (int)(v.len > 20 ? 20 : v.len), (const char *)v.ptr);
      break;
    case 4:
      if (bool_val(r, path, "to_file", &ix->to_file)) return -1;
      break;
    default:
      if (str(r, path, &v)) return -1;
      if (!v.len) return rfail(r, at, path, "\"url\" must not be empty");
      ix->url = dup_bytes(v.ptr, v.len);
      if (!ix->url) return room(r);
      ix->url_len = v.len;
    }
  }
  if (more < 0) return -1;
  return obj_required(r, path, &o, keys, 0x3eu);
}

static int response_val(struct rd *r, const char *path, struct x7__rr_ix *ix) {
  static const char *const keys[] = {"body", "error", "headers", "http_version",
                                     "status"};
  static const char *const versions[] = {"1.0", "1.1", "2", "3", "unknown"};
  char sub[160];
  struct obj o;
  struct x7_view v;
  uint32_t code = 0;
  int k = 0, more;
  size_t at, i;
  if (obj_begin(r, path, &o)) return -1;
  for (more = obj_next(r, path, &o, keys, 5, &k); more == 1;
       more = obj_next(r, path, &o, keys, 5, &k)) {
    ws(r);
    at = r->i;
    switch (k) {
    case 0:
      snprintf(sub, sizeof sub, "%s.body", path);
      if (body_val(r, sub, &ix->resp_body)) return -1;
      break;
    case 1:
      if (u32_val(r, path, "error", INT32_MAX, &code)) return -1;
      if (!code)
        return rfail(r, at, path,
                     "\"error\" must be a NetErrDocV1 code, "
                     "not 0");
      ix->error = (int32_t)code;
      break;
    case 2:
      if (headers_val(r, path, &ix->resp_headers, &ix->resp_headers_len))
        return -1;
      break;
    case 3:
      if (str(r, path, &v)) return -1;
      for (i = 0; i < sizeof versions / sizeof *versions; i++)
        if (strlen(versions[i]) == v.len &&
            memcmp(versions[i], v.ptr, v.len) == 0)
          break;
      if (i == sizeof versions / sizeof *versions)
        return rfail(r, at, path,
                     "\"http_version\" must be 1.0, 1.1, 2, 3 "
                     "or unknown");
      snprintf(ix->http_version, sizeof ix->http_version, "%s", versions[i]);
      break;
    default:
      if (u32_val(r, path, "status", INT32_MAX, &ix->status)) return -1;
    }
  }
  if (more < 0) return -1;
  if (o.seen & 2u) {
    if (o.seen != 2u)
      return rfail(r, o.at, path, "an error response holds only \"error\"");
    return 0;
  }
  return obj_required(r, path, &o, keys, 0x1cu);
}

static int ix_val(struct rd *r, size_t index, struct x7__rr_doc *doc) {
  static const char *const keys[] = {"duration_us", "hop", "redirects",
                                     "request", "response"};
  char path[64], sub[96];
  struct x7__rr_ix *ix;
  struct obj o;
  int k = 0, more;
  snprintf(path, sizeof path, "interactions[%zu]", index);
  ix = x7__malloc(sizeof *ix);
  if (!ix) return room(r);
  memset(ix, 0, sizeof *ix);
  if (x7__rr_doc_push(doc, ix)) {
    x7__rr_ix_free(ix);
    return room(r);
  }
  if (obj_begin(r, path, &o)) return -1;
  for (more = obj_next(r, path, &o, keys, 5, &k); more == 1;
       more = obj_next(r, path, &o, keys, 5, &k)) {
    switch (k) {
    case 0:
      ix->has_duration = 1;
      if (uint_val(r, path, "duration_us", (uint64_t)MAX_SAFE_INT,
                   &ix->duration_us))
        return -1;
      break;
    case 1:
      if (u32_val(r, path, "hop", INT32_MAX, &ix->hop)) return -1;
      break;
    case 2:
      if (u32_val(r, path, "redirects", INT32_MAX, &ix->redirects)) return -1;
      break;
    case 3:
      snprintf(sub, sizeof sub, "%s.request", path);
      if (request_val(r, sub, ix)) return -1;
      break;
    default:
      snprintf(sub, sizeof sub, "%s.response", path);
      if (response_val(r, sub, ix)) return -1;
    }
  }
  if (more < 0) return -1;
  return obj_required(r, path, &o, keys, 0x1eu);
}

static int settings_val(struct rd *r, struct x7__rr_settings *out) {
  static const char *const keys[] = {"exhaustion", "inline_max", "match",
                                     "redact", "timings"};
  static const char *const mkeys[] = {
      "body", "custom", "headers", "ignore_query", "method", "query", "url"};
  static const unsigned mbits[] = {X7_CASSETTE_MATCH_BODY,
                                   0,
                                   0,
                                   0,
                                   X7_CASSETTE_MATCH_METHOD,
                                   X7_CASSETTE_MATCH_QUERY,
                                   X7_CASSETTE_MATCH_URL};
  struct obj o, m;
  struct x7_view v;
  int k = 0, more, b = 0;
  size_t at, i;
  if (obj_begin(r, "settings", &o)) return -1;
  for (more = obj_next(r, "settings", &o, keys, 5, &k); more == 1;
       more = obj_next(r, "settings", &o, keys, 5, &k)) {
    ws(r);
    at = r->i;
    switch (k) {
    case 0:
      if (str(r, "settings", &v)) return -1;
      for (i = 0; i < 3; i++)
        if (strlen(exhaust_names[i]) == v.len &&
            memcmp(exhaust_names[i], v.ptr, v.len) == 0)
          break;
      if (i == 3)
        return rfail(r, at, "settings",
                     "\"exhaustion\" must be error, "
                     "repeat_last or cycle");
      out->exhaust = (int)i;
      break;
    case 1:
      if (uint_val(r, "settings", "inline_max", (uint64_t)MAX_SAFE_INT,
                   &out->inline_max))
        return -1;
      break;
    case 2:
      out->match = X7_CASSETTE_MATCH_HEADERS;
      if (obj_begin(r, "settings.match", &m)) return -1;
      for (more = obj_next(r, "settings.match", &m, mkeys, 7, &k); more == 1;
           more = obj_next(r, "settings.match", &m, mkeys, 7, &k)) {
        if (k == 1) {
          if (strs_val(r, "settings.match", "custom", 0, &out->custom))
            return -1;
        } else if (k == 2) {
          if (strs_val(r, "settings.match", "headers", 1, &out->match_headers))
            return -1;
        } else if (k == 3) {
          if (strs_val(r, "settings.match", "ignore_query", 0,
                       &out->ignore_query))
            return -1;
        } else {
          if (bool_val(r, "settings.match", mkeys[k], &b)) return -1;
          if (b) out->match |= mbits[k];
        }
      }
      if (more < 0 || obj_required(r, "settings.match", &m, mkeys, 0x7fu))
        return -1;
      break;
    case 3:
      if (obj_begin(r, "settings.redact", &m)) return -1;
      for (more =
               obj_next(r, "settings.redact", &m, rule_names, X7__RR_RULES, &k);
           more == 1; more = obj_next(r, "settings.redact", &m, rule_names,
                                      X7__RR_RULES, &k))
        if (strs_val(r, "settings.redact", rule_names[k],
                     k == X7__RR_RULE_HEADER, &out->redact[k]))
          return -1;
      if (more < 0 || obj_required(r, "settings.redact", &m, rule_names, 0xfu))
        return -1;
      break;
    default:
      if (bool_val(r, "settings", "timings", &out->timings)) return -1;
    }
  }
  if (more < 0) return -1;
  return obj_required(r, "settings", &o, keys, 0x1fu);
}

static int provenance_val(struct rd *r, struct x7__rr_doc *doc) {
  static const char *const keys[] = {"policy_hash", "transport",
                                     "x7net_version"};
  char **dst[] = {&doc->policy_hash, &doc->transport, &doc->x7net_version};
  struct obj o;
  struct x7_view v;
  int k = 0, more;
  if (obj_begin(r, "provenance", &o)) return -1;
  for (more = obj_next(r, "provenance", &o, keys, 3, &k); more == 1;
       more = obj_next(r, "provenance", &o, keys, 3, &k)) {
    if (str(r, "provenance", &v)) return -1;
    *dst[k] = dup_view_str(v);
    if (!*dst[k]) return room(r);
  }
  if (more < 0) return -1;
  return obj_required(r, "provenance", &o, keys, 7u);
}

/* Format and version are read before anything else so that a newer file
 * is reported as newer, not as a list of members this reader lacks. */
static int version_check(struct rd *r, uint64_t version, size_t at_v) {
  if (version == X7__RR_FORMAT_VERSION) return 0;
  rfail(r, at_v, "(root)",
        "format version %llu is not supported (this x7net reads version %d)",
        (unsigned long long)version, X7__RR_FORMAT_VERSION);
  if (version > X7__RR_FORMAT_VERSION) r->r = X7_ECASSETTE_VERSION;
  return -1;
}

static int header_val(struct rd *r) {
  size_t save = r->i, at_f = 0, at_v = 0;
  int depth = 0, have_f = 0, have_v = 0;
  uint64_t version = 0;
  struct x7_view v;
  static const char vkey[] = "\"version\"";
  ws(r);
  if (r->i >= r->n || r->p[r->i] != '{')
    return rfail(r, r->i, "(root)", "a cassette is a JSON object");
  {
    /* Canonical files end with `"version": N\n}\n`: read it from the
     * tail instead of scanning the whole file. */
    size_t e = r->n, d;
    while (e > 0 && (r->p[e - 1] == '\n' || r->p[e - 1] == ' ')) e--;
    if (e > 0 && r->p[e - 1] == '}') {
      e--;
      while (e > 0 && (r->p[e - 1] == '\n' || r->p[e - 1] == ' ')) e--;
      d = e;
      while (d > 0 && r->p[d - 1] >= '0' && r->p[d - 1] <= '9') d--;
      if (d < e && d >= sizeof vkey + 1 && r->p[d - 1] == ' ' &&
          r->p[d - 2] == ':' &&
          memcmp(r->p + d - 2 - (sizeof vkey - 1), vkey, sizeof vkey - 1) ==
              0) {
        size_t keep = r->i;
        r->i = d;
        if (uint_val(r, "(root)", "version", (uint64_t)MAX_SAFE_INT, &version))
          return -1;
        r->i = keep;
        return version_check(r, version, d);
      }
    }
  }
  /* Not canonical: scan the top-level object for "format" and
   * "version". */
  for (size_t i = r->i; i < r->n; i++) {
    uint8_t c = r->p[i];
    if (c == '"') {
      size_t s = i;
      i++;
      while (i < r->n && r->p[i] != '"') i += r->p[i] == '\\' ? 2 : 1;
      if (depth != 1) continue;
      r->i = i + 1;
      ws(r);
      if (r->i >= r->n || r->p[r->i] != ':') continue;
      if (i - s - 1 == 6 && memcmp(r->p + s + 1, "format", 6) == 0) {
        r->i++;
        ws(r);
        at_f = r->i;
        if (str(r, "(root)", &v)) return -1;
        if (v.len != strlen(X7__RR_FORMAT_NAME) ||
            memcmp(v.ptr, X7__RR_FORMAT_NAME, v.len) != 0)
          return rfail(r, at_f, "(root)",
                       "\"format\" is \"%.*s\", not \"" X7__RR_FORMAT_NAME "\"",
                       (int)(v.len > 40 ? 40 : v.len), (const char *)v.ptr);
        have_f = 1;
        i = r->i - 1;
      } else if (i - s - 1 == 7 && memcmp(r->p + s + 1, "version", 7) == 0) {
        r->i++;
        ws(r);
        at_v = r->i;
        if (uint_val(r, "(root)", "version", (uint64_t)MAX_SAFE_INT, &version))
          return -1;
        have_v = 1;
        i = r->i - 1;
      }
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  if (!have_f) return rfail(r, save, "(root)", "missing member \"format\"");
  if (!have_v) return rfail(r, save, "(root)", "missing member \"version\"");
  (void)at_f;
  r->i = save;
  return version_check(r, version, at_v);
}

static int doc_val(struct rd *r, struct x7__rr_doc *doc) {
  static const char *const keys[] = {"checksum",   "format",   "interactions",
                                     "provenance", "settings", "version"};
  struct obj o;
  struct arr a;
  struct x7_view v;
  uint64_t ver;
  int k = 0, more;
  size_t index = 0, at;
  if (header_val(r)) return -1;
  if (obj_begin(r, "(root)", &o)) return -1;
  for (more = obj_next(r, "(root)", &o, keys, 6, &k); more == 1;
       more = obj_next(r, "(root)", &o, keys, 6, &k)) {
    switch (k) {
    case 0:
      if (str(r, "(root)", &v)) return -1;
      break;
    case 1:
      ws(r);
      at = r->i;
      if (str(r, "(root)", &v)) return -1;
      if (v.len != strlen(X7__RR_FORMAT_NAME) ||
          memcmp(v.ptr, X7__RR_FORMAT_NAME, v.len) != 0)
        return rfail(r, at, "(root)",
                     "\"format\" is \"%.*s\", not \"" X7__RR_FORMAT_NAME "\"",
                     (int)(v.len > 40 ? 40 : v.len), (const char *)v.ptr);
      break;
    case 2:
      if (arr_begin(r, "(root)", "\"interactions\" as an array", &a)) return -1;
      for (more = arr_next(r, "(root)", &a); more == 1;
           more = arr_next(r, "(root)", &a))
        if (ix_val(r, index++, doc)) return -1;
      if (more < 0) return -1;
      break;
    case 3:
      if (provenance_val(r, doc)) return -1;
      break;
    case 4:
      if (settings_val(r, &doc->settings)) return -1;
      break;
    default:
      if (uint_val(r, "(root)", "version", (uint64_t)MAX_SAFE_INT, &ver))
        return -1;
    }
  }
  if (more < 0) return -1;
  if (obj_required(r, "(root)", &o, keys, 0x3fu)) return -1;
  ws(r);
  if (r->i != r->n)
    return rfail(r, r->i, "(root)", "unexpected data after the JSON document");
  return 0;
}

static x7_result parse_doc(const uint8_t *p, size_t n, const char *blob_dir,
                           struct x7__rr_doc *doc, char *msg, size_t msglen) {
  struct rd r;
  memset(&r, 0, sizeof r);
  r.p = p;
  r.n = n;
  r.blob_dir = blob_dir;
  r.msg = msg;
  r.msglen = msglen;
  x7__buf_init(&r.tmp);
  x7__rr_doc_init(doc);
  if (doc_val(&r, doc) && !r.r) /* every failure path names itself */
    rfail(&r, r.i, "(root)", "invalid cassette");
  x7__buf_cleanup(&r.tmp);
  if (r.r) x7__rr_doc_cleanup(doc);
  return r.r;
}

/* Where a file that fails its checksum differs from its canonical
 * re-encoding: the best pointer to an edit or a flipped bit. */
static void locate_damage(const uint8_t *p, size_t n, char *msg,
                          size_t msglen) {
  struct x7__rr_doc doc;
  struct x7__buf canon;
  char why[400];
  size_t i = 0, m, canon_len;
  x7_result r = parse_doc(p, n, NULL, &doc, why, sizeof why);
  if (r) {
    snprintf(msg, msglen, "%s (and the checksum does not match)", why);
    return;
  }
  x7__buf_init(&canon);
  r = x7__rr_encode(&doc, &canon);
  x7__rr_doc_cleanup(&doc);
  if (r) {
    snprintf(msg, msglen, "%zu: checksum mismatch", (size_t)SUM_HEX_OFF);
    x7__buf_cleanup(&canon);
    return;
  }
  m = canon.len < n ? canon.len : n;
  while (i < m &&
         (canon.ptr[i] == p[i] || (i >= SUM_HEX_OFF && i < SUM_LINE_END)))
    i++;
  canon_len = canon.len;
  x7__buf_cleanup(&canon);
  if (i < m || canon_len != n)
    snprintf(msg, msglen,
             "%zu: checksum mismatch: the content differs from its canonical "
             "form here (edited or corrupt)",
             i);
  else
    snprintf(msg, msglen,
             "%zu: checksum mismatch: the content was changed after it was "
             "sealed (x7_cassette_file_reseal accepts a deliberate edit)",
             (size_t)SUM_HEX_OFF);
}

static x7_result verify(const uint8_t *p, size_t n, char *msg, size_t msglen) {
  uint64_t size = 0;
  uint8_t sum[32];
  char hex[65];
  struct x7__rr_sha_ctx *h;
  static const char zeros[64] = {
      '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
      '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
      '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
      '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
      '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0'};
  if (n == 0) {
    snprintf(msg, msglen,
             "0: empty file (a cassette is never empty; delete "
             "the file to record afresh)");
    return X7_ECASSETTE_FORMAT;
  }
  for (size_t i = 0; i < SUM_PREFIX_LEN; i++) {
    if (i == n) {
      snprintf(msg, msglen, "%zu: truncated inside the checksum line", n);
      return X7_ECASSETTE_FORMAT;
    }
    if (p[i] != (uint8_t)sum_prefix[i]) {
      snprintf(msg, msglen,
               "%zu: not an x7net cassette (the file must start "
               "with the checksum line)",
               i);
      return X7_ECASSETTE_FORMAT;
    }
  }
  if (n < SUM_LINE_END + 3) {
    snprintf(msg, msglen, "%zu: truncated inside the checksum line", n);
    return X7_ECASSETTE_FORMAT;
  }
  if (!is_hex_lower((const char *)p + SUM_HEX_OFF, 64) ||
      p[SUM_SIZE_OFF - 1] != ':' || memcmp(p + SUM_LINE_END, "\",\n", 3) != 0) {
    snprintf(msg, msglen, "%zu: malformed checksum line", (size_t)SUM_HEX_OFF);
    return X7_ECASSETTE_FORMAT;
  }
  for (size_t i = 0; i < SUM_SIZE_DIGITS; i++) {
    uint8_t c = p[SUM_SIZE_OFF + i];
    if (c < '0' || c > '9') {
      snprintf(msg, msglen, "%zu: malformed size in the checksum line",
               SUM_SIZE_OFF + i);
      return X7_ECASSETTE_FORMAT;
    }
    size = size * 10 + (uint64_t)(c - '0');
  }
  if (n < size) {
    snprintf(msg, msglen, "%zu: truncated: the checksum line says %llu bytes",
             n, (unsigned long long)size);
    return X7_ECASSETTE_FORMAT;
  }
  if (n > size) {
    snprintf(msg, msglen,
             "%llu: %llu unexpected bytes after the end of the "
             "cassette",
             (unsigned long long)size, (unsigned long long)(n - size));
    return X7_ECASSETTE_FORMAT;
  }
  h = x7__rr_sha_new();
  if (!h || x7__rr_sha_update(h, p, SUM_HEX_OFF) ||
      x7__rr_sha_update(h, zeros, 64) ||
      x7__rr_sha_update(h, p + SUM_HEX_OFF + 64, n - SUM_HEX_OFF - 64) ||
      x7__rr_sha_final(h, sum)) {
    x7__rr_sha_free(h);
    snprintf(msg, msglen, "0: out of memory");
    return X7_ENOMEM;
  }
  x7__rr_hex(sum, 32, hex);
  if (memcmp(hex, p + SUM_HEX_OFF, 64) != 0) {
    locate_damage(p, n, msg, msglen);
    return X7_ECASSETTE_FORMAT;
  }
  return X7_OK;
}

x7_result x7__rr_decode(const uint8_t *p, size_t n, int do_verify,
                        const char *blob_dir, struct x7__rr_doc *doc, char *msg,
                        size_t msglen) {
  x7_result r;
  x7__rr_doc_init(doc);
  if (do_verify) {
    r = verify(p, n, msg, msglen);
    if (r) return r;
  } else if (n == 0) {
    snprintf(msg, msglen, "0: empty file");
    return X7_ECASSETTE_FORMAT;
  }
  return parse_doc(p, n, blob_dir, doc, msg, msglen);
}
