/*
 * cassette_redact.c - secrets never reach disk.
 *
 * Three layers (cassettes/FORMAT.md §7):
 *   1. rules: values of secret headers (Authorization, Cookie, Set-Cookie,
 *      API-key style names), query parameters, form fields and JSON
 *      members are replaced by stable placeholders, on the live request
 *      as well as on what is stored, so replay still matches;
 *   2. every value removed by a rule (and every configured secret) joins
 *      a set of known secrets, scrubbed wherever else it shows up (a token
 *      echoed in an error page, a cookie in a Location);
 *   3. a scan of the exact bytes about to be written looks for known
 *      secrets in raw, percent-encoded, JSON-escaped and base64 forms and
 *      inside gzip/deflate bodies; a hit blocks the write.  Strict mode
 *      also blocks unknown high-entropy tokens.
 */
#define _POSIX_C_SOURCE 200809L
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "cassette_int.h"

static const char *const default_headers[] = {
    "authorization",  "proxy-authorization",
    "cookie",         "set-cookie",
    "x-api-key",      "api-key",
    "apikey",         "x-auth-token",
    "x-access-token", "x-amz-security-token",
    "x-goog-api-key", "x-csrf-token",
    "x-xsrf-token"};
/* Header names containing one of these are secret too ("API-key style"). */
static const char *const secret_fragments[] = {
    "api-key",  "api_key", "apikey",      "token",      "secret",
    "password", "passwd",  "private-key", "credential", "session"};
static const char *const default_query[] = {
    "access_token",     "api_key",
    "apikey",           "client_secret",
    "id_token",         "key",
    "password",         "refresh_token",
    "secret",           "sig",
    "signature",        "token",
    "x-amz-credential", "x-amz-security-token",
    "x-amz-signature"};
static const char *const default_fields[] = {
    "access_token",  "api_key", "apikey",   "client_secret",
    "id_token",      "passwd",  "password", "private_key",
    "refresh_token", "secret",  "token"};

static int add_list(struct x7__rr_strs *l, const char *const *v, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x7__rr_strs_add(l, v[i], strlen(v[i]), 1)) return -1;
  return 0;
}

int x7__rr_redactor_init(struct x7__rr_redactor *r,
                         const struct x7__rr_settings *s) {
  memset(r, 0, sizeof *r);
  if (pthread_mutex_init(&r->mu, NULL) != 0) return -1;
  if (add_list(&r->rules[X7__RR_RULE_HEADER], default_headers,
               sizeof default_headers / sizeof *default_headers) ||
      add_list(&r->rules[X7__RR_RULE_QUERY], default_query,
               sizeof default_query / sizeof *default_query) ||
      add_list(&r->rules[X7__RR_RULE_FORM], default_fields,
               sizeof default_fields / sizeof *default_fields) ||
      add_list(&r->rules[X7__RR_RULE_JSON], default_fields,
               sizeof default_fields / sizeof *default_fields))
    goto fail;
  for (int i = 0; s && i < X7__RR_RULES; i++)
    for (size_t k = 0; k < s->redact[i].n; k++)
      if (x7__rr_strs_add(&r->rules[i], s->redact[i].v[k],
                          strlen(s->redact[i].v[k]), 1))
        goto fail;
  return 0;
fail:
  x7__rr_redactor_cleanup(r);
  return -1;
}

void x7__rr_redactor_cleanup(struct x7__rr_redactor *r) {
  for (int i = 0; i < X7__RR_RULES; i++) x7__rr_strs_free(&r->rules[i]);
  x7__rr_strs_free(&r->secrets);
  x7__free(r->salt);
  pthread_mutex_destroy(&r->mu);
  memset(r, 0, sizeof *r);
}

static int contains_fold(const uint8_t *p, size_t n, const char *frag) {
  size_t fl = strlen(frag);
  for (size_t i = 0; i + fl <= n; i++)
    if (x7__ascii_casecmp_eq(p + i, (const uint8_t *)frag, fl)) return 1;
  return 0;
}

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *nd,
                           size_t nn);

int x7__rr_secret_header(const struct x7__rr_redactor *r, const uint8_t *name,
                         size_t n) {
  uint8_t low[128];
  if (x7__rr_strs_has(&r->rules[X7__RR_RULE_HEADER], name, n, 1)) return 1;
  /* Called for every header of every fetch: fold once, then plain
   * substring searches. */
  if (n > sizeof low) {
    for (size_t i = 0; i < sizeof secret_fragments / sizeof *secret_fragments;
         i++)
      if (contains_fold(name, n, secret_fragments[i])) return 1;
    return 0;
  }
  for (size_t i = 0; i < n; i++) low[i] = x7__lower(name[i]);
  for (size_t i = 0; i < sizeof secret_fragments / sizeof *secret_fragments;
       i++)
    if (find(low, n, (const uint8_t *)secret_fragments[i],
             strlen(secret_fragments[i])))
      return 1;
  return 0;
}

/* ---- placeholders and the secret set ---- */

void x7__rr_placeholder(const struct x7__rr_redactor *r, const char *name,
                        size_t nlen, const uint8_t *value, size_t vlen,
                        struct x7__buf *out) {
  x7__buf_add(out, "<redacted:", 10);
  for (size_t i = 0; i < nlen; i++) {
    uint8_t c = x7__lower((uint8_t)name[i]);
    /* The placeholder goes into URLs and forms too: keep it plain. */
    x7__buf_u8(out, (c >= 0x21 && c <= 0x7e && c != '<' && c != '>' &&
                     c != '&' && c != '=' && c != '"' && c != '\\')
                        ? c
                        : '_');
  }
  if (r->salt_len) {
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned ml = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (HMAC(EVP_sha256(), r->salt, (int)r->salt_len, value, vlen, mac, &ml)) {
      x7__rr_hex(mac, 6, hex);
      x7__buf_u8(out, ':');
      x7__buf_add(out, hex, 12);
    }
  }
  x7__buf_u8(out, '>');
}

static int is_placeholder(const uint8_t *p, size_t n) {
  return n >= 11 && memcmp(p, "<redacted:", 10) == 0 && p[n - 1] == '>';
}

/* Remember a removed value (and its useful parts) as a known secret. */
static int learn(struct x7__rr_redactor *r, const uint8_t *v, size_t n) {
  int rc = 0;
  while (n && (*v == ' ' || *v == '\t')) v++, n--;
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  if (n < X7__RR_SECRET_MIN || memchr(v, 0, n) || is_placeholder(v, n))
    return 0;
  pthread_mutex_lock(&r->mu);
  rc = x7__rr_strs_add(&r->secrets, (const char *)v, n, 0);
  pthread_mutex_unlock(&r->mu);
  return rc;
}

/* Authorization schemes: the token alone, and for Basic the decoded
 * "user:password" and the password. */
static int learn_auth(struct x7__rr_redactor *r, const uint8_t *v, size_t n) {
  const uint8_t *sp = memchr(v, ' ', n);
  if (learn(r, v, n)) return -1;
  if (!sp) return 0;
  if (learn(r, sp + 1, n - (size_t)(sp + 1 - v))) return -1;
  if (sp - v == 5 && x7__ascii_casecmp_eq(v, (const uint8_t *)"basic", 5)) {
    struct x7__buf d;
    size_t tl = n - 6;
    int rc = 0;
    x7__buf_init(&d);
    if (!x7__rr_b64_decode((const char *)sp + 1, tl, &d)) {
      const uint8_t *colon = memchr(d.ptr, ':', d.len);
      rc = learn(r, d.ptr, d.len);
      if (!rc && colon)
        rc = learn(r, colon + 1, d.len - (size_t)(colon + 1 - d.ptr));
    }
    x7__buf_cleanup(&d);
    return rc;
  }
  return 0;
}

/* Cookie / Set-Cookie: each cookie value. */
static int learn_cookies(struct x7__rr_redactor *r, const uint8_t *v,
                         size_t n) {
  size_t i = 0;
  if (learn(r, v, n)) return -1;
  while (i < n) {
    size_t e = i, eq;
    while (e < n && v[e] != ';' && v[e] != ',') e++;
    eq = i;
    while (eq < e && v[eq] != '=') eq++;
    if (eq < e && learn(r, v + eq + 1, e - eq - 1)) return -1;
    i = e + 1;
  }
  return 0;
}

/* ---- scrubbing known secrets out of text ---- */

static void percent_encode(const uint8_t *p, size_t n, int upper,
                           struct x7__buf *out) {
  const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    uint8_t c = p[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      x7__buf_u8(out, c);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      x7__buf_add(out, e, 3);
    }
  }
}

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *nd,
                           size_t nn) {
  if (nn == 0 || hn < nn) return NULL;
  for (const uint8_t *p = h; (size_t)(h + hn - p) >= nn;) {
    const uint8_t *q = memchr(p, nd[0], (size_t)(h + hn - p) - nn + 1);
    if (!q) return NULL;
    if (memcmp(q, nd, nn) == 0) return q;
    p = q + 1;
  }
  return NULL;
}

/* Replace every occurrence of needle in *text by the placeholder. */
static int replace_all(struct x7__buf *text, const uint8_t *nd, size_t nn,
                       const uint8_t *ph, size_t pl) {
  struct x7__buf out;
  const uint8_t *p, *hit;
  size_t left;
  if (!text->len || !find(text->ptr, text->len, nd, nn)) return 0;
  x7__buf_init(&out);
  p = text->ptr;
  left = text->len;
  for (hit = find(p, left, nd, nn); hit; hit = find(p, left, nd, nn)) {
    x7__buf_add(&out, p, (size_t)(hit - p));
    x7__buf_add(&out, ph, pl);
    left -= (size_t)(hit - p) + nn;
    p = hit + nn;
  }
  x7__buf_add(&out, p, left);
  if (out.failed) return -1;
  x7__buf_cleanup(text);
  *text = out;
  return 1;
}

/* Scrub every known secret (raw and percent-encoded) from text. */
static int scrub(struct x7__rr_redactor *r, struct x7__buf *text) {
  int rc = 0;
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < r->secrets.n && rc >= 0; i++) {
    const uint8_t *s = (const uint8_t *)r->secrets.v[i];
    size_t n = strlen(r->secrets.v[i]);
    struct x7__buf ph, enc;
    x7__buf_init(&ph);
    x7__buf_init(&enc);
    x7__rr_placeholder(r, "secret", 6, s, n, &ph);
    if (replace_all(text, s, n, ph.ptr, ph.len) < 0) rc = -1;
    for (int upper = 0; upper < 2 && rc >= 0; upper++) {
      enc.len = 0;
      percent_encode(s, n, upper, &enc);
      if (!enc.failed && (enc.len != n) &&
          replace_all(text, enc.ptr, enc.len, ph.ptr, ph.len) < 0)
        rc = -1;
    }
    if (ph.failed || enc.failed) rc = -1;
    x7__buf_cleanup(&ph);
    x7__buf_cleanup(&enc);
  }
  pthread_mutex_unlock(&r->mu);
  return rc;
}

void x7__rr_mask(struct x7__rr_redactor *r, struct x7__buf *text) {
  if (scrub(r, text) < 0) text->failed = 1;
}

/* ---- JSON member redaction in place ---- */

struct jspan {
  size_t a, b;   /* value bytes [a, b) */
  size_t ka, kb; /* key bytes without the quotes */
};

static size_t skip_ws(const uint8_t *p, size_t n, size_t i) {
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
    i++;
  return i;
}

/* End of the string starting at p[i] == '"', or 0 if unterminated. */
static size_t skip_string(const uint8_t *p, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (p[i] == '\\')
      i++;
    else if (p[i] == '"')
      return i + 1;
  }
  return 0;
}

struct jwalk {
  const struct x7__rr_strs *names;
  struct jspan *spans;
  size_t n, cap;
  int oom;
};

static size_t walk_value(struct jwalk *w, const uint8_t *p, size_t n, size_t i,
                         int depth);

static size_t walk_object(struct jwalk *w, const uint8_t *p, size_t n, size_t i,
                          int depth) {
  i = skip_ws(p, n, i + 1);
  if (i < n && p[i] == '}') return i + 1;
  while (i < n) {
    size_t ka, kb, v0, v1;
    if (p[i] != '"') return 0;
    ka = i + 1;
    i = skip_string(p, n, i);
    if (!i) return 0;
    kb = i - 1;
    i = skip_ws(p, n, i);
    if (i >= n || p[i] != ':') return 0;
    v0 = skip_ws(p, n, i + 1);
    v1 = walk_value(w, p, n, v0, depth + 1);
    if (!v1) return 0;
    if (x7__rr_strs_has(w->names, p + ka, kb - ka, 1)) {
      if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        struct jspan *s = x7__realloc(w->spans, cap * sizeof *s);
        if (!s) {
          w->oom = 1;
          return 0;
        }
        w->spans = s;
        w->cap = cap;
      }
      /* A secret object nested in a secret object is covered by the
       * outer span: drop inner spans it contains. */
      while (w->n && w->spans[w->n - 1].a >= v0) w->n--;
      w->spans[w->n++] = (struct jspan){v0, v1, ka, kb};
    }
    i = skip_ws(p, n, v1);
    if (i < n && p[i] == ',') {
      i = skip_ws(p, n, i + 1);
      continue;
    }
    if (i < n && p[i] == '}') return i + 1;
    return 0;
  }
  return 0;
}

static size_t walk_value(struct jwalk *w, const uint8_t *p, size_t n, size_t i,
                         int depth) {
  if (i >= n || depth > 200) return 0;
  if (p[i] == '{') return walk_object(w, p, n, i, depth);
  if (p[i] == '[') {
    i = skip_ws(p, n, i + 1);
    if (i < n && p[i] == ']') return i + 1;
    while (i < n) {
      i = walk_value(w, p, n, i, depth + 1);
      if (!i) return 0;
      i = skip_ws(p, n, i);
      if (i < n && p[i] == ',') {
        i = skip_ws(p, n, i + 1);
        continue;
      }
      if (i < n && p[i] == ']') return i + 1;
      return 0;
    }
    return 0;
  }
  if (p[i] == '"') return skip_string(p, n, i);
  /* number, true, false, null */
  while (i < n && p[i] != ',' && p[i] != '}' && p[i] != ']' && p[i] != ' ' &&
         p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
    i++;
  return i;
}

/* Replace secret JSON members of body (JSON text) with placeholders;
 * *out gets the new body (untouched when nothing matched).  1 changed, 0
 * not JSON or nothing to do, -1 OOM. */
static int redact_json(struct x7__rr_redactor *r, const uint8_t *p, size_t n,
                       struct x7__buf *out) {
  struct jwalk w = {&r->rules[X7__RR_RULE_JSON], NULL, 0, 0, 0};
  size_t i = skip_ws(p, n, 0), prev = 0, end;
  int rc = 0;
  if (i >= n || (p[i] != '{' && p[i] != '[')) return 0;
  end = walk_value(&w, p, n, i, 0);
  if (w.oom) rc = -1;
  if (!end || skip_ws(p, n, end) != n || !w.n || rc) goto out;
  for (size_t k = 0; k < w.n; k++) {
    struct jspan s = w.spans[k];
    if (is_placeholder(p + s.a + 1, s.b - s.a >= 2 ? s.b - s.a - 2 : 0))
      continue;
    if (p[s.a] == '"' && s.b - s.a >= 2 &&
        learn(r, p + s.a + 1, s.b - s.a - 2)) {
      rc = -1;
      goto out;
    }
    x7__buf_add(out, p + prev, s.a - prev);
    x7__buf_u8(out, '"');
    x7__rr_placeholder(r, (const char *)p + s.ka, s.kb - s.ka, p + s.a,
                       s.b - s.a, out);
    x7__buf_u8(out, '"');
    prev = s.b;
  }
  x7__buf_add(out, p + prev, n - prev);
  rc = out->failed ? -1 : 1;
out:
  x7__free(w.spans);
  return rc;
}

/* ---- query strings and forms ---- */

static int pct_decode_eq(const uint8_t *p, size_t n, const char *name) {
  size_t nl = strlen(name), k = 0;
  for (size_t i = 0; i < n; i++, k++) {
    uint8_t c = p[i];
    if (c == '%' && n - i >= 3) {
      char h[3] = {(char)p[i + 1], (char)p[i + 2], 0};
      char *e;
      long v = strtol(h, &e, 16);
      if (*e == 0) {
        c = (uint8_t)v;
        i += 2;
      }
    } else if (c == '+') {
      c = ' ';
    }
    if (k >= nl || x7__lower(c) != (uint8_t)name[k]) return 0;
  }
  return k == nl;
}

/* Rewrite "a=1&token=x" with secret values replaced.  Values removed are
 * learnt (raw and percent-decoded). */
static int redact_pairs(struct x7__rr_redactor *r,
                        const struct x7__rr_strs *rule, const uint8_t *p,
                        size_t n, struct x7__buf *out) {
  size_t i = 0;
  int changed = 0;
  while (i <= n) {
    size_t j = i, eq;
    const char *hit = NULL;
    while (j < n && p[j] != '&') j++;
    eq = i;
    while (eq < j && p[eq] != '=') eq++;
    if (eq < j)
      for (size_t k = 0; k < rule->n && !hit; k++)
        if (pct_decode_eq(p + i, eq - i, rule->v[k])) hit = rule->v[k];
    if (hit && !is_placeholder(p + eq + 1, j - eq - 1)) {
      struct x7__buf dec;
      x7__buf_init(&dec);
      for (size_t k = eq + 1; k < j; k++) {
        if (p[k] == '%' && j - k >= 3) {
          char h[3] = {(char)p[k + 1], (char)p[k + 2], 0};
          char *e;
          long v = strtol(h, &e, 16);
          if (*e == 0) {
            x7__buf_u8(&dec, (uint8_t)v);
            k += 2;
            continue;
          }
        }
        x7__buf_u8(&dec, p[k] == '+' ? ' ' : p[k]);
      }
      if (learn(r, p + eq + 1, j - eq - 1) ||
          (!dec.failed && learn(r, dec.ptr, dec.len))) {
        x7__buf_cleanup(&dec);
        return -1;
      }
      x7__buf_cleanup(&dec);
      x7__buf_add(out, p + i, eq + 1 - i);
      x7__rr_placeholder(r, hit, strlen(hit), p + eq + 1, j - eq - 1, out);
      changed = 1;
    } else {
      x7__buf_add(out, p + i, j - i);
    }
    if (j < n) x7__buf_u8(out, '&');
    i = j + 1;
  }
  return out->failed ? -1 : changed;
}

static int header_is(struct x7_view name, const char *want) {
  return name.len == strlen(want) &&
         x7__ascii_casecmp_eq(name.ptr, (const uint8_t *)want, name.len);
}

/* The value of the first header `want` in a table, or an empty view. */
static struct x7_view header_get(struct x7_view t, const char *want) {
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4;
  for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    struct x7_view k;
    if (kl > t.len - pos - 4) break;
    k = x7_view_of(t.ptr + pos + 4, kl);
    pos += 4 + kl;
    if (pos + 4 > t.len) break;
    vl = x7__rd32(t.ptr + pos);
    if (vl > t.len - pos - 4) break;
    if (header_is(k, want)) return x7_view_of(t.ptr + pos + 4, vl);
    pos += 4 + vl;
  }
  return x7_view_of(NULL, 0);
}

/* A new header table with secret values replaced (and learnt), and every
 * known secret scrubbed from the other values. */
static int redact_headers(struct x7__rr_redactor *r, struct x7_view t,
                          struct x7__buf *out) {
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4;
  struct x7__buf v;
  x7__buf_init(&v);
  x7__buf_u32(out, count);
  /* Learn every secret first so that a value repeated in another header
   * is scrubbed there too. */
  for (int pass = 0; pass < 2; pass++) {
    pos = 4;
    for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
      uint32_t kl = x7__rd32(t.ptr + pos), vl;
      struct x7_view k, val;
      if (kl > t.len - pos - 4) break;
      k = x7_view_of(t.ptr + pos + 4, kl);
      pos += 4 + kl;
      if (pos + 4 > t.len) break;
      vl = x7__rd32(t.ptr + pos);
      if (vl > t.len - pos - 4) break;
      val = x7_view_of(t.ptr + pos + 4, vl);
      pos += 4 + vl;
      if (pass == 0) {
        int rc = 0;
        if (!x7__rr_secret_header(r, k.ptr, k.len)) continue;
        if (header_is(k, "cookie") || header_is(k, "set-cookie"))
          rc = learn_cookies(r, val.ptr, val.len);
        else
          rc = learn_auth(r, val.ptr, val.len);
        if (rc) goto oom;
        continue;
      }
      x7__buf_u32(out, (uint32_t)k.len);
      x7__buf_add(out, k.ptr, k.len);
      v.len = 0;
      if (x7__rr_secret_header(r, k.ptr, k.len) &&
          !is_placeholder(val.ptr, val.len)) {
        x7__rr_placeholder(r, (const char *)k.ptr, k.len, val.ptr, val.len, &v);
      } else if (header_is(k, "location") || header_is(k, "content-location")) {
        /* A redirect target is a URL: its secret query values go too. */
        const uint8_t *q = memchr(val.ptr, '?', val.len);
        size_t qs = q ? (size_t)(q - val.ptr) + 1 : val.len;
        x7__buf_add(&v, val.ptr, qs);
        if (q && redact_pairs(r, &r->rules[X7__RR_RULE_QUERY], val.ptr + qs,
                              val.len - qs, &v) < 0)
          goto oom;
        if (scrub(r, &v) < 0) goto oom;
      } else {
        x7__buf_add(&v, val.ptr, val.len);
        if (scrub(r, &v) < 0) goto oom;
      }
      if (v.failed) goto oom;
      x7__buf_u32(out, (uint32_t)v.len);
      x7__buf_add(out, v.ptr, v.len);
    }
  }
  x7__buf_cleanup(&v);
  return out->failed ? -1 : 0;
oom:
  x7__buf_cleanup(&v);
  return -1;
}

static int is_form(struct x7_view headers) {
  struct x7_view ct = header_get(headers, "content-type");
  const char *f = "application/x-www-form-urlencoded";
  return ct.len >= strlen(f) &&
         x7__ascii_casecmp_eq(ct.ptr, (const uint8_t *)f, strlen(f));
}

/* Copy src into the arena and return a view of the copy; views handed out
 * earlier stay valid because the arena is a list of separate blocks. */
static struct x7_view keep(struct x7__buf *arena, struct x7__buf *src) {
  /* The arena holds pointers to blocks; each block is a finished buffer. */
  uint8_t *block = src->ptr;
  size_t len = src->len;
  x7__buf_add(arena, &block, sizeof block);
  if (arena->failed) {
    x7__buf_cleanup(src);
    return x7_view_of(NULL, 0);
  }
  x7__buf_init(src);
  return x7_view_of(block, len);
}

void x7__rr_arena_free(struct x7__buf *arena) {
  for (size_t off = 0; off + sizeof(uint8_t *) <= arena->len;
       off += sizeof(uint8_t *)) {
    uint8_t *block;
    memcpy(&block, arena->ptr + off, sizeof block);
    x7__free(block);
  }
  x7__buf_cleanup(arena);
}

/* Fast paths: most requests and responses hold nothing to redact, and
 * the record path should cost little next to the transport.  These say
 * whether the slow path could change anything. */
static int have_secrets(struct x7__rr_redactor *r) {
  size_t n;
  pthread_mutex_lock(&r->mu);
  n = r->secrets.n;
  pthread_mutex_unlock(&r->mu);
  return n != 0;
}

static int headers_need(const struct x7__rr_redactor *r, struct x7_view t) {
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4;
  for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    struct x7_view k;
    if (kl > t.len - pos - 4) return 1;
    k = x7_view_of(t.ptr + pos + 4, kl);
    pos += 4 + kl;
    if (pos + 4 > t.len) return 1;
    vl = x7__rd32(t.ptr + pos);
    if (vl > t.len - pos - 4) return 1;
    if (x7__rr_secret_header(r, k.ptr, k.len)) return 1;
    if ((header_is(k, "location") || header_is(k, "content-location")) &&
        memchr(t.ptr + pos + 4, '?', vl))
      return 1;
    pos += 4 + vl;
  }
  return 0;
}

/* JSON-looking, form or compressed content may hold rule-named fields. */
static int body_need(struct x7_view headers, struct x7_view b) {
  size_t i = 0;
  struct x7_view ce = header_get(headers, "content-encoding");
  if (!b.len) return 0;
  if (ce.len || is_form(headers)) return 1;
  if (b.len >= 2 && b.ptr[0] == 0x1f && b.ptr[1] == 0x8b) return 1;
  while (i < b.len && (b.ptr[i] == ' ' || b.ptr[i] == '\t' ||
                       b.ptr[i] == '\r' || b.ptr[i] == '\n'))
    i++;
  return i < b.len && (b.ptr[i] == '{' || b.ptr[i] == '[');
}

static int url_need(const struct x7__rr_redactor *r, struct x7_view url) {
  struct x7__rr_url u;
  size_t i = 0;
  if (x7__rr_url_split(url, &u)) return 0;
  if (u.userinfo.len) return 1;
  while (i < u.query.len) {
    size_t j = i, eq;
    while (j < u.query.len && u.query.ptr[j] != '&') j++;
    eq = i;
    while (eq < j && u.query.ptr[eq] != '=') eq++;
    for (size_t k = 0; k < r->rules[X7__RR_RULE_QUERY].n; k++)
      if (pct_decode_eq(u.query.ptr + i, eq - i,
                        r->rules[X7__RR_RULE_QUERY].v[k]))
        return 1;
    i = j + 1;
  }
  return 0;
}

/* The URL with userinfo and secret query values replaced, then every
 * known secret scrubbed, appended to t.  0 or -1 (OOM). */
static int redact_url(struct x7__rr_redactor *r, const struct x7_view *url,
                      struct x7__buf *t) {
  struct x7__rr_url u;
  if (!x7__rr_url_split(*url, &u)) {
    size_t q0 = u.query.len ? (size_t)(u.query.ptr - url->ptr) : url->len;
    size_t prefix_end = u.userinfo.len ? (size_t)(u.userinfo.ptr - url->ptr)
                                       : (size_t)(u.host.ptr - url->ptr);
    if (u.userinfo.len && learn(r, u.userinfo.ptr, u.userinfo.len)) return -1;
    {
      const uint8_t *colon =
          memchr(u.userinfo.ptr ? u.userinfo.ptr : (const uint8_t *)"", ':',
                 u.userinfo.len);
      if (colon && learn(r, colon + 1,
                         u.userinfo.len - (size_t)(colon + 1 - u.userinfo.ptr)))
        return -1;
    }
    x7__buf_add(t, url->ptr, prefix_end);
    if (u.userinfo.len) {
      x7__rr_placeholder(r, "userinfo", 8, u.userinfo.ptr, u.userinfo.len, t);
      x7__buf_u8(t, '@');
    }
    {
      size_t hs = (size_t)(u.host.ptr - url->ptr);
      x7__buf_add(t, url->ptr + hs, q0 - hs);
    }
    if (u.query.len) {
      size_t qend = q0 + u.query.len;
      if (redact_pairs(r, &r->rules[X7__RR_RULE_QUERY], u.query.ptr,
                       u.query.len, t) < 0)
        return -1;
      x7__buf_add(t, url->ptr + qend, url->len - qend);
    }
  } else {
    x7__buf_add(t, url->ptr, url->len);
  }
  return t->failed || scrub(r, t) < 0 ? -1 : 0;
}

int x7__rr_redact_request(struct x7__rr_redactor *r, struct x7_view *url,
                          struct x7_view *headers, struct x7_view *body,
                          struct x7__buf *arena) {
  struct x7__buf t;
  int secrets;
  x7__buf_init(&t);

  /* Headers first: they teach the secrets the URL and body are scrubbed
   * of. */
  if (headers_need(r, *headers)) {
    if (redact_headers(r, *headers, &t)) goto oom;
    *headers = keep(arena, &t);
    if (arena->failed) return -1;
  }
  secrets = have_secrets(r);
  if (secrets || url_need(r, *url)) {
    if (redact_url(r, url, &t)) goto oom;
    *url = keep(arena, &t);
    if (arena->failed) return -1;
  }

  if (secrets || body_need(*headers, *body)) {
    int rc;
    if (is_form(*headers))
      rc = redact_pairs(r, &r->rules[X7__RR_RULE_FORM], body->ptr, body->len,
                        &t);
    else
      rc = redact_json(r, body->ptr, body->len, &t);
    if (rc < 0) goto oom;
    if (rc == 0) {
      t.len = 0;
      x7__buf_add(&t, body->ptr, body->len);
    }
    if (t.failed || scrub(r, &t) < 0) goto oom;
    *body = keep(arena, &t);
    if (arena->failed) return -1;
  }
  return 0;
oom:
  x7__buf_cleanup(&t);
  return -1;
}

/* ---- compressed bodies ---- */

#define INFLATE_MAX (64u << 20)

/* Inflate gzip, zlib or raw deflate (windowBits picks).  0 ok, -1 not
 * that format or over the cap. */
static int inflate_all(const uint8_t *p, size_t n, int window,
                       struct x7__buf *out) {
  z_stream z;
  int rc;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, window) != Z_OK) return -1;
  z.next_in = (Bytef *)(uintptr_t)p;
  z.avail_in = (uInt)n;
  do {
    if (x7__buf_reserve(out, 65536)) {
      inflateEnd(&z);
      return -1;
    }
    z.next_out = out->ptr + out->len;
    z.avail_out = 65536;
    rc = inflate(&z, Z_NO_FLUSH);
    out->len += 65536 - z.avail_out;
    /* gzip files may hold several members: keep going. */
    if (rc == Z_STREAM_END && z.avail_in && window > 15) {
      if (inflateReset(&z) != Z_OK) break;
      rc = Z_OK;
    }
  } while (rc == Z_OK && out->len < INFLATE_MAX);
  inflateEnd(&z);
  return rc == Z_STREAM_END ? 0 : -1;
}

static int decode_content(const struct x7__rr_ix *ix, const uint8_t *p,
                          size_t n, struct x7__buf *out) {
  struct x7_view ce = header_get(
      x7_view_of(ix ? ix->resp_headers : NULL, ix ? ix->resp_headers_len : 0),
      "content-encoding");
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
    return inflate_all(p, n, 16 + 15, out);
  if (contains_fold(ce.ptr, ce.len, "deflate")) {
    if (!inflate_all(p, n, 15, out)) return 0;
    out->len = 0;
    out->failed = 0;
    return inflate_all(p, n, -15, out);
  }
  return -1;
}

/* gzip again after redaction (level 6: deterministic for a given zlib). */
static int gzip_all(const uint8_t *p, size_t n, struct x7__buf *out) {
  z_stream z;
  int rc;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return -1;
  z.next_in = (Bytef *)(uintptr_t)p;
  z.avail_in = (uInt)n;
  do {
    if (x7__buf_reserve(out, 65536)) {
      deflateEnd(&z);
      return -1;
    }
    z.next_out = out->ptr + out->len;
    z.avail_out = 65536;
    rc = deflate(&z, Z_FINISH);
    out->len += 65536 - z.avail_out;
  } while (rc == Z_OK);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? 0 : -1;
}

/* Replace the value of header `name` in a table (first occurrence). */
static void set_header_value(uint8_t **pt, size_t *plen, const char *name,
                             const char *value) {
  struct x7_view t = x7_view_of(*pt, *plen);
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  struct x7__buf out;
  size_t pos = 4;
  int done = 0;
  x7__buf_init(&out);
  x7__buf_u32(&out, count);
  for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    struct x7_view k;
    k = x7_view_of(t.ptr + pos + 4, kl);
    pos += 4 + kl;
    vl = x7__rd32(t.ptr + pos);
    x7__buf_u32(&out, kl);
    x7__buf_add(&out, k.ptr, k.len);
    if (!done && header_is(k, name)) {
      x7__buf_u32(&out, (uint32_t)strlen(value));
      x7__buf_add(&out, value, strlen(value));
      done = 1;
    } else {
      x7__buf_u32(&out, vl);
      x7__buf_add(&out, t.ptr + pos + 4, vl);
    }
    pos += 4 + vl;
  }
  if (out.failed) return;
  x7__free(*pt);
  *pt = out.ptr;
  *plen = out.len;
}

int x7__rr_redact_ix(struct x7__rr_redactor *r, struct x7__rr_ix *ix) {
  struct x7__buf t;
  struct x7_view h;
  int secrets;
  x7__buf_init(&t);
  if (ix->error) return 0;
  h = x7_view_of(ix->resp_headers, ix->resp_headers_len);
  secrets = have_secrets(r);
  if (secrets || headers_need(r, h)) {
    if (redact_headers(r, h, &t)) goto oom;
    x7__free(ix->resp_headers);
    ix->resp_headers = t.ptr;
    ix->resp_headers_len = t.len;
    x7__buf_init(&t);
    secrets = have_secrets(r); /* Set-Cookie values were just learnt */
  }
  h = x7_view_of(ix->resp_headers, ix->resp_headers_len);
  if (ix->resp_body.len && !ix->resp_body.blob &&
      (secrets || body_need(h, x7_view_of(ix->resp_body.ptr,
                                          (size_t)ix->resp_body.len)))) {
    struct x7__buf dec;
    int rc = redact_json(r, ix->resp_body.ptr, (size_t)ix->resp_body.len, &t);
    if (rc < 0) goto oom;
    if (rc == 0) x7__buf_add(&t, ix->resp_body.ptr, (size_t)ix->resp_body.len);
    if (t.failed || scrub(r, &t) < 0) goto oom;
    /* Compressed bodies: redact inside and compress again. */
    x7__buf_init(&dec);
    if (!decode_content(ix, t.ptr, t.len, &dec)) {
      struct x7__buf red, gz;
      x7__buf_init(&red);
      x7__buf_init(&gz);
      rc = redact_json(r, dec.ptr, dec.len, &red);
      if (rc == 0) x7__buf_add(&red, dec.ptr, dec.len);
      if (rc >= 0 && !red.failed && scrub(r, &red) >= 0 &&
          (red.len != dec.len || memcmp(red.ptr, dec.ptr, dec.len) != 0) &&
          !gzip_all(red.ptr, red.len, &gz)) {
        char cl[24];
        x7__buf_cleanup(&t);
        t = gz;
        x7__buf_init(&gz);
        snprintf(cl, sizeof cl, "%zu", t.len);
        set_header_value(&ix->resp_headers, &ix->resp_headers_len,
                         "content-length", cl);
        set_header_value(&ix->resp_headers, &ix->resp_headers_len,
                         "content-encoding", "gzip");
      }
      x7__buf_cleanup(&red);
      x7__buf_cleanup(&gz);
    }
    x7__buf_cleanup(&dec);
    x7__buf_u8(&t, 0);
    if (t.failed) goto oom;
    x7__free(ix->resp_body.ptr);
    ix->resp_body.ptr = t.ptr;
    ix->resp_body.len = t.len - 1;
  }
  return 0;
oom:
  x7__buf_cleanup(&t);
  return -1;
}

/* ---- the write-path scan ---- */

/* Base64 text that any encoding of s contains, whatever the alignment:
 * encode s behind 0, 1 or 2 filler bytes and keep the characters that
 * depend on s alone. */
static void b64_cores(const uint8_t *s, size_t n, int url,
                      struct x7__buf cores[3]) {
  for (int shift = 0; shift < 3; shift++) {
    struct x7__buf tmp, in;
    size_t skip = shift ? (size_t)(shift == 1 ? 2 : 3) : 0;
    size_t full = (shift + n) / 3 * 4;
    x7__buf_init(&tmp);
    x7__buf_init(&in);
    for (int k = 0; k < shift; k++) x7__buf_u8(&in, 0);
    x7__buf_add(&in, s, n);
    x7__rr_b64_encode(&tmp, in.ptr, in.len);
    x7__buf_init(&cores[shift]);
    if (!tmp.failed && full > skip + 1)
      x7__buf_add(&cores[shift], tmp.ptr + skip, full - skip);
    if (url)
      for (size_t k = 0; k < cores[shift].len; k++) {
        if (cores[shift].ptr[k] == '+') cores[shift].ptr[k] = '-';
        if (cores[shift].ptr[k] == '/') cores[shift].ptr[k] = '_';
      }
    x7__buf_cleanup(&tmp);
    x7__buf_cleanup(&in);
  }
}

static int scan_one(const uint8_t *p, size_t n, const uint8_t *s, size_t sl,
                    const char **pform) {
  struct x7__buf enc, cores[3];
  int hit = 0;
  if (find(p, n, s, sl)) {
    *pform = "raw";
    return 1;
  }
  x7__buf_init(&enc);
  for (int upper = 0; upper < 2 && !hit; upper++) {
    enc.len = 0;
    percent_encode(s, sl, upper, &enc);
    if (!enc.failed && enc.len != sl && find(p, n, enc.ptr, enc.len)) {
      *pform = "percent-encoded";
      hit = 1;
    }
  }
  if (!hit) {
    enc.len = 0;
    x7__rr_json_string(&enc, s, sl);
    if (!enc.failed && enc.len > sl + 2 &&
        find(p, n, enc.ptr + 1, enc.len - 2)) {
      *pform = "JSON-escaped";
      hit = 1;
    }
  }
  x7__buf_cleanup(&enc);
  for (int url = 0; url < 2 && !hit; url++) {
    b64_cores(s, sl, url, cores);
    for (int k = 0; k < 3 && !hit; k++)
      if (cores[k].len >= 8 && find(p, n, cores[k].ptr, cores[k].len)) {
        *pform = url ? "base64url" : "base64";
        hit = 1;
      }
    for (int k = 0; k < 3; k++) x7__buf_cleanup(&cores[k]);
  }
  return hit;
}

int x7__rr_scan(struct x7__rr_redactor *r, const uint8_t *p, size_t n,
                int decode_gzip, char *where, size_t wlen) {
  int hit = 0;
  struct x7__buf dec;
  x7__buf_init(&dec);
  if (decode_gzip && decode_content(NULL, p, n, &dec) == 0) {
    hit = x7__rr_scan(r, dec.ptr, dec.len, 0, where, wlen);
    x7__buf_cleanup(&dec);
    if (hit) {
      size_t l = strlen(where);
      snprintf(where + l, wlen - l, " (inside gzip content)");
      return hit;
    }
  }
  x7__buf_cleanup(&dec);
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < r->secrets.n && !hit; i++) {
    const char *form = NULL;
    size_t sl = strlen(r->secrets.v[i]);
    if (scan_one(p, n, (const uint8_t *)r->secrets.v[i], sl, &form)) {
      /* Name the secret by its length only: the message may be logged. */
      snprintf(where, wlen, "a known secret (%zu bytes, %s form)", sl, form);
      hit = 1;
    }
  }
  pthread_mutex_unlock(&r->mu);
  return hit;
}

size_t x7__rr_scan_overlap(struct x7__rr_redactor *r) {
  size_t max = 0;
  pthread_mutex_lock(&r->mu);
  for (size_t i = 0; i < r->secrets.n; i++)
    if (strlen(r->secrets.v[i]) > max) max = strlen(r->secrets.v[i]);
  pthread_mutex_unlock(&r->mu);
  /* the longest form searched is percent-encoding: 3 bytes per byte */
  return max ? 3 * max + 16 : 0;
}

/* ---- strict mode: unknown tokens ---- */

static int tok_char(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
         c == '_' || c == '-' || c == '.' || c == '~';
}

/* log2 without libm (static consumers would need -lm for one call):
 * scale into [1, 2), then ln(x) = 2 atanh((x - 1) / (x + 1)). */
static double log2_of(double x) {
  double y, y2, term, sum = 0;
  int e = 0;
  while (x >= 2) {
    x /= 2;
    e++;
  }
  while (x < 1) {
    x *= 2;
    e--;
  }
  y = (x - 1) / (x + 1);
  y2 = y * y;
  term = y;
  for (int k = 1; k < 40; k += 2) {
    sum += term / k;
    term *= y2;
  }
  return e + 2 * sum / 0.69314718055994530942;
}

static double entropy(const uint8_t *p, size_t n) {
  unsigned counts[256] = {0};
  double h = 0;
  for (size_t i = 0; i < n; i++) counts[p[i]]++;
  for (int i = 0; i < 256; i++)
    if (counts[i]) {
      double f = (double)counts[i] / (double)n;
      h -= f * log2_of(f);
    }
  return h;
}

/* 1 when text holds something that looks like a credential: a JWT, an
 * AWS access key id, or a long mixed token of high entropy. */
static int suspicious(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    int digit = 0, alpha = 0, dots = 0;
    while (j < n && tok_char(p[j])) {
      digit |= p[j] >= '0' && p[j] <= '9';
      alpha |= (p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z');
      dots += p[j] == '.';
      j++;
    }
    if (j - i >= 20 &&
        !(i >= 10 && memcmp(p + i - 10, "<redacted:", 10) == 0)) {
      if (j - i >= 30 && memcmp(p + i, "eyJ", 3) == 0 && dots == 2) return 1;
      if (j - i == 20 && memcmp(p + i, "AKIA", 4) == 0) return 1;
      if (j - i >= 24 && digit && alpha && entropy(p + i, j - i) >= 4.2)
        return 1;
    }
    i = j + 1;
  }
  return 0;
}

static int scan_table(struct x7_view t, const char *side, char *where,
                      size_t wlen) {
  uint32_t count = t.len >= 4 ? x7__rd32(t.ptr) : 0;
  size_t pos = 4;
  for (uint32_t i = 0; i < count && pos + 4 <= t.len; i++) {
    uint32_t kl = x7__rd32(t.ptr + pos), vl;
    const uint8_t *k = t.ptr + pos + 4;
    pos += 4 + kl;
    vl = x7__rd32(t.ptr + pos);
    if (suspicious(t.ptr + pos + 4, vl)) {
      snprintf(where, wlen, "%s header %.*s", side, (int)(kl > 60 ? 60 : kl),
               (const char *)k);
      return 1;
    }
    pos += 4 + vl;
  }
  return 0;
}

static int scan_body(const struct x7__rr_ix *ix, const struct x7__rr_body *b,
                     const char *side, char *where, size_t wlen) {
  cJSON *t = NULL;
  int hit = 0;
  struct x7__buf dec;
  struct x7_view v;
  if (b->blob || !b->len) return 0;
  v = x7_view_of(b->ptr, (size_t)b->len);
  x7__buf_init(&dec);
  /* Look inside compressed bodies: a JWT in gzipped JSON is still one. */
  if (decode_content(b == &ix->resp_body ? ix : NULL, v.ptr, v.len, &dec) == 0)
    v = x7_view_of(dec.ptr, dec.len);
  if (x7__rr_body_json(v, &t)) {
    /* Only string values: numbers and keys are not credentials. */
    const cJSON *stack[64];
    int sp = 0;
    stack[sp++] = t;
    while (sp && !hit) {
      const cJSON *n = stack[--sp];
      for (const cJSON *c = n->child; c && !hit; c = c->next) {
        if (cJSON_IsString(c) && c->valuestring &&
            suspicious((const uint8_t *)c->valuestring,
                       strlen(c->valuestring))) {
          snprintf(where, wlen, "%s JSON body member %.60s", side,
                   c->string ? c->string : "(array item)");
          hit = 1;
        } else if (c->child && sp < 64) {
          stack[sp++] = c;
        }
      }
    }
    cJSON_Delete(t);
  } else if (suspicious(v.ptr, v.len < 4096 ? v.len : 4096) &&
             x7__rr_utf8_ok(v.ptr, v.len)) {
    snprintf(where, wlen, "%s text body", side);
    hit = 1;
  }
  x7__buf_cleanup(&dec);
  return hit;
}

int x7__rr_scan_entropy(const struct x7__rr_ix *ix, char *where, size_t wlen) {
  struct x7__rr_url u;
  if (scan_table(x7_view_of(ix->req_headers, ix->req_headers_len), "request",
                 where, wlen) ||
      scan_table(x7_view_of(ix->resp_headers, ix->resp_headers_len), "response",
                 where, wlen))
    return 1;
  if (!x7__rr_url_split(x7_view_of(ix->url, ix->url_len), &u) &&
      suspicious(u.query.ptr, u.query.len)) {
    snprintf(where, wlen, "request URL query");
    return 1;
  }
  return scan_body(ix, &ix->req_body, "request", where, wlen) ||
         scan_body(ix, &ix->resp_body, "response", where, wlen);
}
