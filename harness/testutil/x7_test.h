/*
 * x7_test.h - helpers shared by every x7net cmocka suite (never installed).
 *
 * Include after <stdarg.h> <stddef.h> <stdint.h> <setjmp.h> <cmocka.h>.
 */
#ifndef X7_TEST_H
#define X7_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_result.h>

/* Decode a hex string (no separators) into a malloc'd buffer; aborts the
 * test on malformed hex.  *plen gets the length.  Free with free(). */
uint8_t *x7t_unhex(const char *hex, size_t *plen);

/* Compare bytes with an expected hex string; on mismatch print both as
 * hex and fail the test at the caller's line. */
void x7t_assert_hex(const uint8_t *p, size_t n, const char *hex,
                    const char *file, int line);
#define assert_bytes_hex(b, hex) \
  x7t_assert_hex((b).ptr, (b).len, (hex), __FILE__, __LINE__)

/* Compare bytes with expected bytes (e.g. ASCII text). */
void x7t_assert_mem(const uint8_t *p, size_t n, const void *want,
                    size_t want_len, const char *file, int line);
#define assert_bytes_str(b, s) \
  x7t_assert_mem((b).ptr, (b).len, (s), strlen(s), __FILE__, __LINE__)
#define assert_bytes_eq(b, want)                                       \
  x7t_assert_mem((b).ptr, (b).len, (want).ptr, (want).len, __FILE__, \
                 __LINE__)

void x7t_assert_result(x7_result want, x7_result got, const char *file,
                       int line);
#define assert_x7_ok(r) x7t_assert_result(X7_OK, (r), __FILE__, __LINE__)
#define assert_x7_result(want, r) \
  x7t_assert_result((want), (r), __FILE__, __LINE__)

/* ---- truncation / corruption sweeps ----
 * The probe gets a heap copy of exactly n bytes, so any read past the
 * end is an ASan error.  kind says how the input was derived from the
 * valid doc; pos is the prefix length (TRUNC) or the changed byte
 * (CORRUPT). */
enum x7t_mutation { X7T_TRUNC, X7T_CORRUPT };
typedef void x7t_probe_fn(void *ud, enum x7t_mutation kind, size_t pos,
                          struct x7_view input);
/* Calls probe for every proper prefix (lengths 0..len-1). */
void x7t_sweep_truncations(const uint8_t *doc, size_t len,
                           x7t_probe_fn *probe, void *ud);
/* Calls probe for every position with every one of the 255 other byte
 * values. */
void x7t_sweep_corruptions(const uint8_t *doc, size_t len,
                           x7t_probe_fn *probe, void *ud);

/* ---- test-side byte builder ----
 * For hand-building (often deliberately malformed) documents in tests.
 * Appends never fail (the test aborts on OOM); free with x7t_buf_free. */
struct x7t_buf {
  uint8_t *p;
  size_t len, cap;
};
void x7t_buf_add(struct x7t_buf *b, const void *p, size_t n);
void x7t_buf_u32(struct x7t_buf *b, uint32_t v); /* little-endian */
/* A u32 length followed by the bytes: the layout of every v1 field. */
void x7t_buf_field(struct x7t_buf *b, const void *p, size_t n);
struct x7_view x7t_buf_view(const struct x7t_buf *b);
void x7t_buf_free(struct x7t_buf *b);

/* ---- seeded randomness for property tests ----
 * The seed comes from X7_TEST_SEED (decimal) or a fixed default and is
 * printed once so a failure can be replayed. */
uint64_t x7t_rand(void);
/* Uniform in [0, n); n > 0. */
uint64_t x7t_rand_below(uint64_t n);
/* Random bytes into a malloc'd buffer of len bytes (free with free()). */
uint8_t *x7t_rand_bytes(size_t len);

/* ---- failing allocator ----
 * Installs an x7 allocator that fails allocation number fail_at (1-based;
 * 0 = never fail) and counts live blocks. */
void x7t_failalloc_install(long fail_at);
void x7t_failalloc_remove(void);
long x7t_failalloc_calls(void); /* allocations attempted so far */
long x7t_failalloc_live(void);  /* blocks not yet freed */

#endif /* X7_TEST_H */
