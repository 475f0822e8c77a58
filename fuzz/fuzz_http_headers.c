/*
 * fuzz_http_headers.c - HttpHeadersTableV1 (spec §2.6): headers_push_v1,
 * headers_set_v1 and headers_canon_join_sorted_v1 on arbitrary tables.
 *
 * Input: mode u8, k (u8 length + bytes), v (u8 length + bytes), table
 * (rest).  mode bit 0 runs headers_push_v1(table, k, v) first and uses
 * its result as the table, so set and canon also meet k as a duplicate.
 *
 * Invariants: canon output is itself canonical (well-formed, ends exactly
 * after its entries, names lowercase and strictly increasing) and a fixed
 * point (canon(canon(x)) == canon(x)); a malformed table canonicalises to
 * the empty table; merging keeps every value byte; push and set give
 * exactly the bytes an independent implementation of §2.6 gives; and
 * canon(set(t, k, v)) == canon(set(canon(t), k, v)).
 */
#include <x7/net_http_spec.h>

#include "fuzz_common.h"

/* A growable byte string for the reference results. */
struct ref {
  uint8_t *p;
  size_t len, cap;
};

static void ref_add(struct ref *r, const void *p, size_t n) {
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap : 64;
    while (cap < r->len + n) cap *= 2;
    r->p = realloc(r->p, cap);
    FUZZ_CHECK(r->p != NULL);
    r->cap = cap;
  }
  if (n) memcpy(r->p + r->len, p, n);
  r->len += n;
}

static void ref_u32(struct ref *r, uint32_t v) {
  uint8_t b[4];
  fuzz_wr32(b, v);
  ref_add(r, b, 4);
}

static void ref_field(struct ref *r, struct x7_view v, int lower) {
  ref_u32(r, (uint32_t)v.len);
  for (size_t i = 0; i < v.len; i++) {
    uint8_t c = lower ? fuzz_lower(v.ptr[i]) : v.ptr[i];
    ref_add(r, &c, 1);
  }
}

static struct x7_view ref_view(const struct ref *r) {
  return x7_view_of(r->p, r->len);
}

/* Unsigned bytewise order, a proper prefix first. */
static int bytes_cmp(struct x7_view a, struct x7_view b) {
  size_t n = a.len < b.len ? a.len : b.len;
  int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
  if (c) return c;
  return a.len < b.len ? -1 : a.len > b.len;
}

/* Walk count entries from offset 4; -1 when one runs past the end. */
static int walk(struct x7_view t, uint32_t count, size_t *pend,
                int64_t *pvalue_sum) {
  struct x7_view name, value;
  size_t pos = 4;
  int64_t sum = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (fuzz_field(t, &pos, &name) || fuzz_field(t, &pos, &value)) return -1;
    sum += (int64_t)value.len;
  }
  *pend = pos;
  if (pvalue_sum) *pvalue_sum = sum;
  return 0;
}

/* The table's count, or -1 when it is shorter than 4 bytes or negative. */
static int32_t count_of(struct x7_view t) {
  return t.len < 4 ? -1 : (fuzz_rdi32(t.ptr) < 0 ? -1 : fuzz_rdi32(t.ptr));
}

/* Canonical form: well-formed, exact, lowercase, strictly increasing. */
static void check_canonical(struct x7_view c, int64_t *pvalue_sum) {
  struct x7_view name, prev = {0}, value;
  size_t pos = 4;
  int32_t n = count_of(c);
  int64_t sum = 0;
  FUZZ_CHECK(n >= 0);
  for (int32_t i = 0; i < n; i++) {
    FUZZ_CHECK(fuzz_field(c, &pos, &name) == 0);
    FUZZ_CHECK(fuzz_field(c, &pos, &value) == 0);
    for (size_t j = 0; j < name.len; j++)
      FUZZ_CHECK(!(name.ptr[j] >= 'A' && name.ptr[j] <= 'Z'));
    if (i > 0) FUZZ_CHECK(bytes_cmp(prev, name) < 0);
    prev = name;
    sum += (int64_t)value.len;
  }
  FUZZ_CHECK(pos == c.len);
  *pvalue_sum = sum;
}

/* canon(t), checked; the caller frees it. */
static struct x7_bytes canon(struct x7_view t) {
  struct x7_bytes c = {0}, c2 = {0};
  int64_t in_sum = 0, out_sum;
  size_t end;
  int32_t n = count_of(t), groups;

  FUZZ_OK(x7_net_http_spec_headers_canon_join_sorted_v1(t, &c));
  check_canonical(x7_bytes_view(&c), &out_sum);
  groups = count_of(x7_bytes_view(&c));
  if (n <= 0 || walk(t, (uint32_t)n, &end, &in_sum)) {
    static const uint8_t empty[4] = {0};
    FUZZ_CHECK(fuzz_beq(&c, x7_view_of(empty, 4)));
  } else {
    /* Merging drops no value byte and adds ", " per merged entry. */
    FUZZ_CHECK(groups >= 1 && groups <= n);
    FUZZ_CHECK(out_sum == in_sum + 2 * (int64_t)(n - groups));
  }
  FUZZ_OK(x7_net_http_spec_headers_canon_join_sorted_v1(x7_bytes_view(&c),
                                                        &c2));
  FUZZ_CHECK(fuzz_beq(&c2, x7_bytes_view(&c)));
  x7_bytes_free(&c2);
  return c;
}

static void check_push(struct x7_view t, struct x7_view k, struct x7_view v,
                       struct x7_bytes *pout) {
  static const uint8_t empty[4] = {0};
  struct ref r = {0};
  struct x7_view h = t.len < 4 ? x7_view_of(empty, 4) : t;
  int32_t count = fuzz_rdi32(h.ptr);
  uint8_t cnt[4];
  if (count < 0) count = 0;
  fuzz_wr32(cnt, (uint32_t)count + 1u);
  ref_add(&r, cnt, 4);
  ref_add(&r, h.ptr + 4, h.len - 4);
  ref_field(&r, k, 0);
  ref_field(&r, v, 0);
  FUZZ_OK(x7_net_http_spec_headers_push_v1(t, k, v, pout));
  FUZZ_CHECK(fuzz_beq(pout, ref_view(&r)));
  free(r.p);
}

static void check_set(struct x7_view t, struct x7_view k, struct x7_view v,
                      struct x7_bytes *pout) {
  struct ref r = {0};
  struct x7_view name = {0}, value = {0};
  size_t pos = 4, end;
  int32_t count = count_of(t);
  uint32_t out = 0;
  int inserted = 0;
  if (count < 0) count = 0;
  ref_u32(&r, 0);
  if (walk(t, (uint32_t)count, &end, NULL)) {
    ref_field(&r, k, 1);
    ref_field(&r, v, 0);
    out = 1;
  } else {
    for (int32_t i = 0; i < count; i++) {
      /* walk() succeeded: every entry is there. */
      FUZZ_CHECK(fuzz_field(t, &pos, &name) == 0);
      FUZZ_CHECK(fuzz_field(t, &pos, &value) == 0);
      if (!fuzz_eq_ci(name, k)) {
        ref_field(&r, name, 1);
        ref_field(&r, value, 0);
      } else if (!inserted) {
        ref_field(&r, k, 1);
        ref_field(&r, v, 0);
        inserted = 1;
      } else {
        continue;
      }
      out++;
    }
    if (!inserted) {
      ref_field(&r, k, 1);
      ref_field(&r, v, 0);
      out++;
    }
  }
  fuzz_wr32(r.p, out);
  FUZZ_OK(x7_net_http_spec_headers_set_v1(t, k, v, pout));
  FUZZ_CHECK(fuzz_beq(pout, ref_view(&r)));
  free(r.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct x7_bytes pushed = {0}, set = {0}, c = {0}, set_c = {0}, e = {0};
  struct x7_bytes cs = {0}, ccs = {0}, cp = {0};
  struct x7_view k, v, t;
  uint8_t mode;

  fuzz_init(&in, data, size);
  mode = fuzz_u8(&in);
  k = fuzz_chunk8(&in);
  v = fuzz_chunk8(&in);
  t = fuzz_rest(&in);

  FUZZ_OK(x7_net_http_spec_headers_empty_v1(&e));
  FUZZ_CHECK(e.len == 4 && fuzz_rd32(e.ptr) == 0);
  if (mode & 1) {
    /* One more (k, v) entry first: set and canon then meet k twice. */
    check_push(t, k, v, &pushed);
    t = fuzz_own(&in, pushed.ptr, pushed.len);
    x7_bytes_free(&pushed);
  }

  c = canon(t);
  check_push(t, k, v, &pushed);
  cp = canon(x7_bytes_view(&pushed));
  check_set(t, k, v, &set);
  cs = canon(x7_bytes_view(&set));
  check_set(x7_bytes_view(&c), k, v, &set_c);
  ccs = canon(x7_bytes_view(&set_c));
  FUZZ_CHECK(fuzz_beq(&cs, x7_bytes_view(&ccs)));

  /* The set entry survives canonicalisation with exactly v. */
  {
    struct x7_view cv = x7_bytes_view(&cs), name = {0}, value = {0};
    size_t pos = 4;
    int found = 0;
    for (int32_t i = 0; i < count_of(cv); i++) {
      FUZZ_CHECK(fuzz_field(cv, &pos, &name) == 0);
      FUZZ_CHECK(fuzz_field(cv, &pos, &value) == 0);
      if (fuzz_eq_ci(name, k)) {
        FUZZ_CHECK(!found && fuzz_eq(value, v));
        found = 1;
      }
    }
    FUZZ_CHECK(found);
  }

  x7_bytes_free(&e);
  x7_bytes_free(&pushed);
  x7_bytes_free(&set);
  x7_bytes_free(&c);
  x7_bytes_free(&set_c);
  x7_bytes_free(&cs);
  x7_bytes_free(&ccs);
  x7_bytes_free(&cp);
  fuzz_done(&in);
  return 0;
}
