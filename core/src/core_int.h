/*
 * core_int.h - library-internal helpers shared by the core modules.
 * Never installed; never included from C++.
 */
#ifndef X7_CORE_INT_H
#define X7_CORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <x7/x7_bytes.h>
#include <x7/x7_mem.h>
#include <x7/x7_result.h>

/* ---- allocation (mem.c): the only path to the allocator hook ---- */
void *x7__malloc(size_t size);
void *x7__realloc(void *ptr, size_t size);
void x7__free(void *ptr);

/* ---- little-endian u32 access ---- */
static inline uint32_t x7__rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static inline void x7__wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* Upstream reads every u32 as a signed i32, so stored values >= 2^31 come
 * out negative and every accessor treats them as invalid.  This makes the
 * same conversion without relying on implementation-defined casts. */
static inline int32_t x7__as_i32(uint32_t v) {
  return v <= INT32_MAX ? (int32_t)v : (int32_t)(v - 0x80000000u) + INT32_MIN;
}

static inline int32_t x7__rdi32(const uint8_t *p) {
  return x7__as_i32(x7__rd32(p));
}

/* Negative i32 arguments are clamped to 0 before they are stored. */
static inline uint32_t x7__clamp0(int32_t v) {
  return v < 0 ? 0u : (uint32_t)v;
}

/* ---- argument checks shared by every twin ---- */
static inline int x7__view_ok(struct x7_view v) {
  return v.ptr != NULL || v.len == 0;
}

static inline struct x7_view x7__sub(struct x7_view v, size_t off, size_t n) {
  return x7_view_of(v.ptr + off, n);
}

/* ---- growable output buffer ----
 * Appends never fail visibly: an allocation failure makes the buffer sticky
 * "failed", later appends do nothing, and x7__buf_finish reports X7_ENOMEM.
 * That keeps encoders a straight sequence of appends. */
struct x7__buf {
  uint8_t *ptr;
  size_t len;
  size_t cap;
  int failed;
};

void x7__buf_init(struct x7__buf *b);
void x7__buf_cleanup(struct x7__buf *b);
/* Make room for n more bytes; returns 0 on success, -1 (and fails b). */
int x7__buf_reserve(struct x7__buf *b, size_t n);
void x7__buf_add(struct x7__buf *b, const void *p, size_t n);
void x7__buf_u8(struct x7__buf *b, uint8_t v);
void x7__buf_u32(struct x7__buf *b, uint32_t v);
/* Overwrite 4 bytes already written at off (used to patch counts). */
void x7__buf_put32_at(struct x7__buf *b, size_t off, uint32_t v);
/* Hand the bytes to *pout (X7_OK) or free them (X7_ENOMEM, *pout empty).
 * b is reset either way. */
x7_result x7__buf_finish(struct x7__buf *b, struct x7_bytes *pout);

/* ---- owned-bytes helpers ---- */
static inline void x7__bytes_reset(struct x7_bytes *b) {
  b->ptr = NULL;
  b->len = 0;
}
/* *pout = copy of p[0..n); n == 0 gives empty bytes.  X7_OK / X7_ENOMEM. */
x7_result x7__bytes_dup(const void *p, size_t n, struct x7_bytes *pout);

/* Common prologues of the twins: check the out-parameter and the views,
 * reset the output so every failure leaves it empty. */
#define X7__OUT_BYTES(pout)                                                 \
  do {                                                                      \
    if (!(pout)) return X7_EINVAL;                                          \
    x7__bytes_reset(pout);                                                  \
  } while (0)

#define X7__OUT_I32(pout)                                                   \
  do {                                                                      \
    if (!(pout)) return X7_EINVAL;                                          \
    *(pout) = 0;                                                            \
  } while (0)

#define X7__IN_VIEW(v)                                                      \
  do {                                                                      \
    if (!x7__view_ok(v)) return X7_EINVAL;                                  \
  } while (0)

/* ASCII case folding, locale independent. */
static inline uint8_t x7__lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}
int x7__ascii_casecmp_eq(const uint8_t *a, const uint8_t *b, size_t n);

#endif /* X7_CORE_INT_H */
