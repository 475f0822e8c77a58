/* x7_test.c - shared cmocka helpers (see x7_test.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/x7_mem.h>

#include "x7_test.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

uint8_t *x7t_unhex(const char *hex, size_t *plen) {
  size_t n = strlen(hex);
  uint8_t *out;
  if (n % 2) fail_msg("odd-length hex string: %s", hex);
  out = malloc(n / 2 + 1);
  assert_non_null(out);
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) fail_msg("bad hex digit in: %s", hex);
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *plen = n / 2;
  return out;
}

static void print_hex(const char *label, const uint8_t *p, size_t n) {
  print_error("%s (%zu bytes): ", label, n);
  for (size_t i = 0; i < n; i++) print_error("%02x", p[i]);
  print_error("\n");
}

void x7t_assert_mem(const uint8_t *p, size_t n, const void *want,
                    size_t want_len, const char *file, int line) {
  if (n == want_len && (n == 0 || memcmp(p, want, n) == 0)) return;
  print_hex("expected", want, want_len);
  print_hex("actual  ", p, n);
  _fail(file, line);
}

void x7t_assert_hex(const uint8_t *p, size_t n, const char *hex,
                    const char *file, int line) {
  size_t wn;
  uint8_t *w = x7t_unhex(hex, &wn);
  int same = n == wn && (n == 0 || memcmp(p, w, n) == 0);
  if (!same) {
    print_hex("expected", w, wn);
    print_hex("actual  ", p, n);
  }
  free(w);
  if (!same) _fail(file, line);
}

void x7t_assert_result(x7_result want, x7_result got, const char *file,
                       int line) {
  if (want == got) return;
  print_error("expected %s (%d), got %s (%d)\n", x7_errname(want), (int)want,
              x7_errname(got), (int)got);
  _fail(file, line);
}

static void probe_copy(x7t_probe_fn *probe, void *ud, enum x7t_mutation kind,
                       size_t pos, const uint8_t *src, size_t n) {
  /* malloc(0) may return NULL; keep a real (ASan-tracked) block anyway so
   * reading even one byte of an empty input is caught. */
  uint8_t *copy = malloc(n ? n : 1);
  assert_non_null(copy);
  if (n) memcpy(copy, src, n);
  probe(ud, kind, pos, x7_view_of(copy, n));
  free(copy);
}

void x7t_sweep_truncations(const uint8_t *doc, size_t len,
                           x7t_probe_fn *probe, void *ud) {
  for (size_t n = 0; n < len; n++)
    probe_copy(probe, ud, X7T_TRUNC, n, doc, n);
}

void x7t_sweep_corruptions(const uint8_t *doc, size_t len,
                           x7t_probe_fn *probe, void *ud) {
  uint8_t *work = malloc(len ? len : 1);
  assert_non_null(work);
  for (size_t i = 0; i < len; i++) {
    /* Every other value of the byte, not a sample: length and count
     * fields have sharp edges (0x80 flips the sign of the top byte,
     * small values shorten a field by one) anywhere in 0..255. */
    for (unsigned v = 0; v < 256; v++) {
      if (v == doc[i]) continue;
      memcpy(work, doc, len);
      work[i] = (uint8_t)v;
      probe_copy(probe, ud, X7T_CORRUPT, i, work, len);
    }
  }
  free(work);
}

void x7t_buf_add(struct x7t_buf *b, const void *p, size_t n) {
  /* Test documents are small; the bound also tells the optimiser so. */
  if (n > ((size_t)1 << 30)) fail_msg("x7t_buf_add: %zu bytes is not a test size", n);
  if (b->len + n + 1 > b->cap) {
    b->cap = (b->len + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  if (n) memcpy(b->p + b->len, p, n);
  b->len += n;
}

void x7t_buf_u32(struct x7t_buf *b, uint32_t v) {
  const uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                        (uint8_t)(v >> 24)};
  x7t_buf_add(b, t, 4);
}

void x7t_buf_field(struct x7t_buf *b, const void *p, size_t n) {
  x7t_buf_u32(b, (uint32_t)n);
  x7t_buf_add(b, p, n);
}

struct x7_view x7t_buf_view(const struct x7t_buf *b) {
  return x7_view_of(b->p, b->len);
}

void x7t_buf_free(struct x7t_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static uint64_t rng_state;
static int rng_ready;

uint64_t x7t_rand(void) {
  uint64_t z;
  if (!rng_ready) {
    const char *s = getenv("X7_TEST_SEED");
    rng_state = s ? strtoull(s, NULL, 10) : 0x7e57c0dec0ffeeULL;
    rng_ready = 1;
    print_message("x7t: random seed %llu (set X7_TEST_SEED to replay)\n",
                  (unsigned long long)rng_state);
  }
  /* splitmix64: tiny, fast, and good enough to drive property tests. */
  z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t x7t_rand_below(uint64_t n) { return x7t_rand() % n; }

uint8_t *x7t_rand_bytes(size_t len) {
  uint8_t *p = malloc(len ? len : 1);
  assert_non_null(p);
  for (size_t i = 0; i < len; i++) p[i] = (uint8_t)x7t_rand();
  return p;
}

static long fa_fail_at, fa_calls, fa_live;

static void *fa_malloc(void *ud, size_t n) {
  void *p;
  (void)ud;
  if (++fa_calls == fa_fail_at) return NULL;
  p = malloc(n);
  if (p) fa_live++;
  return p;
}

static void *fa_realloc(void *ud, void *old, size_t n) {
  (void)ud;
  if (++fa_calls == fa_fail_at) return NULL;
  return realloc(old, n);
}

static void fa_free(void *ud, void *p) {
  (void)ud;
  fa_live--;
  free(p);
}

void x7t_failalloc_install(long fail_at) {
  static const struct x7_allocator fa = {
      .malloc_fn = fa_malloc, .realloc_fn = fa_realloc, .free_fn = fa_free};
  fa_fail_at = fail_at;
  fa_calls = 0;
  fa_live = 0;
  assert_int_equal(x7_set_allocator(&fa), X7_OK);
}

void x7t_failalloc_remove(void) { x7_set_allocator(NULL); }
long x7t_failalloc_calls(void) { return fa_calls; }
long x7t_failalloc_live(void) { return fa_live; }
