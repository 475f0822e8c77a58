/*
 * x7_mem.h - the one allocator hook.
 *
 * Every allocation the library makes (including every struct x7_bytes it
 * hands out) goes through the process-wide allocator set here, so tests can
 * fail the Nth allocation and embedders can account for memory.
 *
 * Ownership: the allocator struct is copied; the caller keeps its own.
 */
#ifndef X7_MEM_H
#define X7_MEM_H

#include <stddef.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void *x7_malloc_fn(void *user_data, size_t size);
typedef void *x7_realloc_fn(void *user_data, void *ptr, size_t size);
typedef void x7_free_fn(void *user_data, void *ptr);

struct x7_allocator {
  void *user_data;
  x7_malloc_fn *malloc_fn;   /* never called with size 0 */
  x7_realloc_fn *realloc_fn; /* never called with size 0 */
  x7_free_fn *free_fn;       /* never called with NULL */
};

/* Install `a` for all later allocations; NULL restores the C library's
 * malloc/realloc/free.  Install it before the first allocation: memory is
 * always released through the allocator that is current at that time, so
 * switching while x7 memory is alive is a bug in the caller.
 * Returns X7_OK, or X7_EINVAL when `a` lacks one of the three functions. */
X7_API x7_result x7_set_allocator(const struct x7_allocator *a);

/* Release memory the library handed out as a raw pointer.  NULL-safe. */
X7_API void x7_free(void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* X7_MEM_H */
