/*
 * fuzz_common.h - helpers shared by the fuzz targets: carving arguments out
 * of the input, exact-size copies of every view, and invariant checks.
 *
 * Header-only (static functions) so that each target stays a single
 * translation unit whose only external symbol is LLVMFuzzerTestOneInput.
 *
 * Every view handed to the library is its own exact-size heap copy, so an
 * over-read by even one byte lands in an ASan redzone instead of in the
 * next argument.  Invariant violations print what failed and abort(),
 * which libFuzzer reports as a crash and the standalone replay as a
 * failed test.
 */
#ifndef X7_FUZZ_COMMON_H
#define X7_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x7/x7_bytes.h>
#include <x7/x7_result.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_OWNED 32

struct fuzz_input {
  const uint8_t *p; /* bytes not consumed yet */
  size_t n;
  void *owned[FUZZ_MAX_OWNED]; /* copies to free in fuzz_done */
  size_t n_owned;
};

static inline _Noreturn void fuzz_fail(const char *what, const char *file,
                                       int line) {
  fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
  fflush(stderr);
  abort();
}

#define FUZZ_CHECK(cond)                                 \
  do {                                                   \
    if (!(cond)) fuzz_fail(#cond, __FILE__, __LINE__);   \
  } while (0)

/* Every call made by a target must succeed: sizes are far below the
 * X7_ERANGE limits and nothing fails allocations. */
#define FUZZ_OK(call) FUZZ_CHECK((call) == X7_OK)

static inline void fuzz_init(struct fuzz_input *in, const uint8_t *data,
                             size_t size) {
  in->p = data;
  in->n = size;
  in->n_owned = 0;
}

static inline void fuzz_done(struct fuzz_input *in) {
  for (size_t i = 0; i < in->n_owned; i++) free(in->owned[i]);
  in->n_owned = 0;
}

/* An exact-size copy of p[0, n) owned by in.  A zero-length view still
 * gets a real (one-byte) allocation: ptr != NULL with len 0 is valid input
 * and must not be read. */
static inline struct x7_view fuzz_own(struct fuzz_input *in, const void *p,
                                      size_t n) {
  uint8_t *copy;
  FUZZ_CHECK(in->n_owned < FUZZ_MAX_OWNED);
  copy = malloc(n ? n : 1);
  FUZZ_CHECK(copy != NULL);
  if (n) memcpy(copy, p, n);
  in->owned[in->n_owned++] = copy;
  return x7_view_of(copy, n);
}

static inline uint8_t fuzz_u8(struct fuzz_input *in) {
  uint8_t v;
  if (!in->n) return 0;
  v = in->p[0];
  in->p++;
  in->n--;
  return v;
}

/* Little-endian; missing bytes read as 0. */
static inline uint32_t fuzz_u32(struct fuzz_input *in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)fuzz_u8(in) << (8 * i);
  return v;
}

static inline int32_t fuzz_as_i32(uint32_t v) {
  return v <= INT32_MAX ? (int32_t)v : (int32_t)(v - 0x80000000u) + INT32_MIN;
}

static inline int32_t fuzz_i32(struct fuzz_input *in) {
  return fuzz_as_i32(fuzz_u32(in));
}

/* Up to n bytes (fewer when the input runs out), as an owned copy. */
static inline struct x7_view fuzz_take(struct fuzz_input *in, size_t n) {
  struct x7_view v;
  if (n > in->n) n = in->n;
  v = fuzz_own(in, in->p, n);
  in->p += n;
  in->n -= n;
  return v;
}

/* A u8 length, then that many bytes. */
static inline struct x7_view fuzz_chunk8(struct fuzz_input *in) {
  size_t n = fuzz_u8(in);
  return fuzz_take(in, n);
}

/* A u16 (LE) length, then that many bytes. */
static inline struct x7_view fuzz_chunk16(struct fuzz_input *in) {
  size_t n = fuzz_u8(in);
  n |= (size_t)fuzz_u8(in) << 8;
  return fuzz_take(in, n);
}

/* Everything that is left. */
static inline struct x7_view fuzz_rest(struct fuzz_input *in) {
  return fuzz_take(in, in->n);
}

/* ---- independent readers (the oracle does not borrow core helpers) ---- */

static inline uint32_t fuzz_rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static inline int32_t fuzz_rdi32(const uint8_t *p) {
  return fuzz_as_i32(fuzz_rd32(p));
}

static inline void fuzz_wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline struct x7_view fuzz_sub(struct x7_view v, size_t off,
                                      size_t n) {
  return x7_view_of(v.ptr + off, n);
}

static inline int fuzz_eq(struct x7_view a, struct x7_view b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Owned bytes equal to a view. */
static inline int fuzz_beq(const struct x7_bytes *a, struct x7_view b) {
  return fuzz_eq(x7_bytes_view(a), b);
}

static inline int fuzz_has_byte(struct x7_view v, uint8_t c) {
  return v.len && memchr(v.ptr, c, v.len) != NULL;
}

static inline uint8_t fuzz_lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline int fuzz_eq_ci(struct x7_view a, struct x7_view b) {
  if (a.len != b.len) return 0;
  for (size_t i = 0; i < a.len; i++)
    if (fuzz_lower(a.ptr[i]) != fuzz_lower(b.ptr[i])) return 0;
  return 1;
}

/* Length-prefixed field at *ppos with upstream's signed reading; 0 and
 * *ppos advanced, or -1. */
static inline int fuzz_field(struct x7_view d, size_t *ppos,
                             struct x7_view *pf) {
  int32_t n;
  if (*ppos > d.len || d.len - *ppos < 4) return -1;
  n = fuzz_rdi32(d.ptr + *ppos);
  if (n < 0 || (size_t)n > d.len - *ppos - 4) return -1;
  *pf = fuzz_sub(d, *ppos + 4, (size_t)n);
  *ppos += 4 + (size_t)n;
  return 0;
}

#endif /* X7_FUZZ_COMMON_H */
