/*
 * cassette_model.c - the in-memory model of a cassette: string sets,
 * settings, interactions and the document that holds them.
 */
#include <string.h>

#include <x7/net_http_spec.h>

#include "cassette_int.h"

/* ---- sorted string sets ---- */

static int cmp_fold(const char *a, const uint8_t *b, size_t n, int fold) {
  size_t la = strlen(a);
  size_t m = la < n ? la : n;
  for (size_t i = 0; i < m; i++) {
    uint8_t x = (uint8_t)a[i], y = b[i];
    if (fold) {
      x = x7__lower(x);
      y = x7__lower(y);
    }
    if (x != y) return x < y ? -1 : 1;
  }
  return la == n ? 0 : (la < n ? -1 : 1);
}

/* Index of the first element >= s, and whether it is equal. */
static size_t find_pos(const struct x7__rr_strs *l, const uint8_t *s, size_t n,
                       int fold, int *peq) {
  size_t lo = 0, hi = l->n;
  *peq = 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = cmp_fold(l->v[mid], s, n, fold);
    if (c == 0) {
      *peq = 1;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

int x7__rr_strs_add(struct x7__rr_strs *l, const char *s, size_t n, int fold) {
  int eq;
  size_t pos;
  char *copy;
  pos = find_pos(l, (const uint8_t *)s, n, fold, &eq);
  if (eq) return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    char **v = x7__realloc(l->v, cap * sizeof *v);
    if (!v) return -1;
    l->v = v;
    l->cap = cap;
  }
  copy = x7__malloc(n + 1);
  if (!copy) return -1;
  for (size_t i = 0; i < n; i++)
    copy[i] = fold ? (char)x7__lower((uint8_t)s[i]) : s[i];
  copy[n] = '\0';
  memmove(l->v + pos + 1, l->v + pos, (l->n - pos) * sizeof *l->v);
  l->v[pos] = copy;
  l->n++;
  return 0;
}

int x7__rr_strs_has(const struct x7__rr_strs *l, const void *s, size_t n,
                    int fold) {
  int eq;
  (void)find_pos(l, s, n, fold, &eq);
  return eq;
}

int x7__rr_strs_union(struct x7__rr_strs *dst, const struct x7__rr_strs *src) {
  for (size_t i = 0; i < src->n; i++)
    if (x7__rr_strs_add(dst, src->v[i], strlen(src->v[i]), 0)) return -1;
  return 0;
}

void x7__rr_strs_free(struct x7__rr_strs *l) {
  for (size_t i = 0; i < l->n; i++) x7__free(l->v[i]);
  x7__free(l->v);
  l->v = NULL;
  l->n = l->cap = 0;
}

/* ---- settings ---- */

void x7__rr_settings_init(struct x7__rr_settings *s) {
  memset(s, 0, sizeof *s);
  s->match = X7_CASSETTE_MATCH_DEFAULT;
  s->exhaust = X7_CASSETTE_EXHAUST_ERROR;
  s->inline_max = X7__RR_INLINE_MAX_DEFAULT;
}

void x7__rr_settings_cleanup(struct x7__rr_settings *s) {
  x7__rr_strs_free(&s->match_headers);
  x7__rr_strs_free(&s->ignore_query);
  x7__rr_strs_free(&s->custom);
  for (int i = 0; i < X7__RR_RULES; i++) x7__rr_strs_free(&s->redact[i]);
}

int x7__rr_settings_copy(struct x7__rr_settings *dst,
                         const struct x7__rr_settings *src) {
  x7__rr_settings_init(dst);
  dst->match = src->match;
  dst->exhaust = src->exhaust;
  dst->inline_max = src->inline_max;
  dst->timings = src->timings;
  if (x7__rr_strs_union(&dst->match_headers, &src->match_headers) ||
      x7__rr_strs_union(&dst->ignore_query, &src->ignore_query) ||
      x7__rr_strs_union(&dst->custom, &src->custom))
    goto oom;
  for (int i = 0; i < X7__RR_RULES; i++)
    if (x7__rr_strs_union(&dst->redact[i], &src->redact[i])) goto oom;
  return 0;
oom:
  x7__rr_settings_cleanup(dst);
  return -1;
}

/* ---- interactions ---- */

static const char *const method_names[] = {NULL,  "GET",    "POST",  "HEAD",
                                           "PUT", "DELETE", "PATCH", "OPTIONS"};

const char *x7__rr_method_name(uint32_t method) {
  if (method == 0 || method >= sizeof method_names / sizeof *method_names)
    return NULL;
  return method_names[method];
}

uint32_t x7__rr_method_code(const char *name, size_t n) {
  for (uint32_t i = 1; i < sizeof method_names / sizeof *method_names; i++)
    if (strlen(method_names[i]) == n && memcmp(method_names[i], name, n) == 0)
      return i;
  return 0;
}

void x7__rr_ix_free(struct x7__rr_ix *ix) {
  if (!ix) return;
  x7__free(ix->url);
  x7__free(ix->req_headers);
  x7__free(ix->req_body.ptr);
  x7__free(ix->resp_headers);
  x7__free(ix->resp_body.ptr);
  x7__free(ix->key);
  x7__free(ix);
}

/* ---- the document ---- */

void x7__rr_doc_init(struct x7__rr_doc *d) {
  memset(d, 0, sizeof *d);
  x7__rr_settings_init(&d->settings);
}

void x7__rr_doc_cleanup(struct x7__rr_doc *d) {
  for (size_t i = 0; i < d->n; i++) x7__rr_ix_free(d->ix[i]);
  x7__free(d->ix);
  x7__free(d->x7net_version);
  x7__free(d->policy_hash);
  x7__free(d->transport);
  x7__rr_settings_cleanup(&d->settings);
  x7__rr_doc_init(d);
}

int x7__rr_doc_push(struct x7__rr_doc *d, struct x7__rr_ix *ix) {
  if (d->n == d->cap) {
    size_t cap = d->cap ? d->cap * 2 : 16;
    struct x7__rr_ix **v = x7__realloc(d->ix, cap * sizeof *v);
    if (!v) return -1;
    d->ix = v;
    d->cap = cap;
  }
  d->ix[d->n++] = ix;
  return 0;
}
