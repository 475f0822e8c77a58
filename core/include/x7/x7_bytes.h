/*
 * x7_bytes.h - the two byte-buffer types of the C twin convention.
 *
 * struct x7_view is borrowed input: the library reads ptr[0..len) during
 * the call and keeps no reference.  ptr may be NULL only when len is 0.
 *
 * struct x7_bytes is owned output: the library allocates it (through the
 * x7_mem.h allocator) and the caller releases it with x7_bytes_free().
 * Empty output is {NULL, 0}.  Functions that write a struct x7_bytes
 * overwrite it without freeing what it held: free or reset it first.
 */
#ifndef X7_BYTES_H
#define X7_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <x7/x7_export.h>

#ifdef __cplusplus
extern "C" {
#endif

struct x7_view {
  const uint8_t *ptr;
  size_t len;
};

struct x7_bytes {
  uint8_t *ptr;
  size_t len;
};

/* Release b's memory and reset it to {NULL, 0}.  NULL-safe. */
X7_API void x7_bytes_free(struct x7_bytes *b);

/* A view of len bytes at ptr (borrowed). */
static inline struct x7_view x7_view_of(const void *ptr, size_t len) {
  struct x7_view v;
  v.ptr = (const uint8_t *)ptr;
  v.len = len;
  return v;
}

/* A view of a NUL-terminated string, without the NUL (borrowed). */
X7_API struct x7_view x7_view_str(const char *s);

/* A view of owned bytes (borrowed from b; valid until b is freed). */
static inline struct x7_view x7_bytes_view(const struct x7_bytes *b) {
  return x7_view_of(b->ptr, b->len);
}

#ifdef __cplusplus
}
#endif
#endif /* X7_BYTES_H */
