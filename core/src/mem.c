/* mem.c - the allocator hook and the growable output buffer. */
#include <stdlib.h>

#include "core_int.h"

static void *std_malloc(void *ud, size_t n) {
  (void)ud;
  return malloc(n);
}
static void *std_realloc(void *ud, void *p, size_t n) {
  (void)ud;
  return realloc(p, n);
}
static void std_free(void *ud, void *p) {
  (void)ud;
  free(p);
}

static struct x7_allocator current = {
    .user_data = NULL,
    .malloc_fn = std_malloc,
    .realloc_fn = std_realloc,
    .free_fn = std_free,
};

x7_result x7_set_allocator(const struct x7_allocator *a) {
  static const struct x7_allocator std = {
      .malloc_fn = std_malloc, .realloc_fn = std_realloc, .free_fn = std_free};
  if (!a) {
    current = std;
    return X7_OK;
  }
  if (!a->malloc_fn || !a->realloc_fn || !a->free_fn) return X7_EINVAL;
  current = *a;
  return X7_OK;
}

void *x7__malloc(size_t size) {
  return current.malloc_fn(current.user_data, size ? size : 1);
}

void *x7__realloc(void *ptr, size_t size) {
  if (!ptr) return x7__malloc(size);
  return current.realloc_fn(current.user_data, ptr, size ? size : 1);
}

void x7__free(void *ptr) {
  if (ptr) current.free_fn(current.user_data, ptr);
}

void x7_free(void *ptr) { x7__free(ptr); }

void x7_bytes_free(struct x7_bytes *b) {
  if (!b) return;
  x7__free(b->ptr);
  x7__bytes_reset(b);
}

struct x7_view x7_view_str(const char *s) {
  return x7_view_of(s, s ? strlen(s) : 0);
}

x7_result x7__bytes_dup(const void *p, size_t n, struct x7_bytes *pout) {
  x7__bytes_reset(pout);
  if (n == 0) return X7_OK;
  pout->ptr = x7__malloc(n);
  if (!pout->ptr) return X7_ENOMEM;
  memcpy(pout->ptr, p, n);
  pout->len = n;
  return X7_OK;
}

void x7__buf_init(struct x7__buf *b) {
  b->ptr = NULL;
  b->len = 0;
  b->cap = 0;
  b->failed = 0;
}

void x7__buf_cleanup(struct x7__buf *b) {
  x7__free(b->ptr);
  x7__buf_init(b);
}

int x7__buf_reserve(struct x7__buf *b, size_t n) {
  size_t want, cap;
  uint8_t *p;
  if (b->failed) return -1;
  if (n <= b->cap - b->len) return 0;
  if (n > SIZE_MAX - b->len) goto fail;
  want = b->len + n;
  /* Grow geometrically so a long run of small appends stays linear. */
  cap = b->cap ? b->cap : 64;
  while (cap < want) cap = cap > SIZE_MAX / 2 ? want : cap * 2;
  p = x7__realloc(b->ptr, cap);
  if (!p) goto fail;
  b->ptr = p;
  b->cap = cap;
  return 0;
fail:
  x7__buf_cleanup(b);
  b->failed = 1;
  return -1;
}

void x7__buf_add(struct x7__buf *b, const void *p, size_t n) {
  if (n == 0 || x7__buf_reserve(b, n)) return;
  memcpy(b->ptr + b->len, p, n);
  b->len += n;
}

void x7__buf_u8(struct x7__buf *b, uint8_t v) { x7__buf_add(b, &v, 1); }

void x7__buf_u32(struct x7__buf *b, uint32_t v) {
  uint8_t t[4];
  x7__wr32(t, v);
  x7__buf_add(b, t, 4);
}

void x7__buf_put32_at(struct x7__buf *b, size_t off, uint32_t v) {
  if (!b->failed && off + 4 <= b->len) x7__wr32(b->ptr + off, v);
}

x7_result x7__buf_finish(struct x7__buf *b, struct x7_bytes *pout) {
  if (b->failed) {
    x7__bytes_reset(pout);
    x7__buf_init(b);
    return X7_ENOMEM;
  }
  pout->ptr = b->ptr;
  pout->len = b->len;
  if (!b->len) {
    x7__free(b->ptr);
    x7__bytes_reset(pout);
  }
  x7__buf_init(b);
  return X7_OK;
}

int x7__ascii_casecmp_eq(const uint8_t *a, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (x7__lower(a[i]) != x7__lower(b[i])) return 0;
  return 1;
}
