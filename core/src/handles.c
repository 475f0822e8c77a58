/* handles.c - the shared socket handle table (spec §5.1); see
 * handles_int.h for the contract. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "handles_int.h"

static struct x7__handle_slot *slot_of(struct x7__handles *t, uint32_t h) {
  if (h < 1 || h > X7__HANDLES_MAX) return NULL;
  return &t->slot[h - 1];
}

/* Detach the resource of s so it can be destroyed after unlocking:
 * returns 1 (and fills fd/ctx) if there was one to destroy. */
static int take_res(struct x7__handle_slot *s, int *fd, void **ctx) {
  if (!s->has_res) return 0;
  *fd = s->fd;
  *ctx = s->ctx;
  s->has_res = 0;
  s->fd = -1;
  s->ctx = NULL;
  return 1;
}

static void destroy(struct x7__handles *t, int fd, void *ctx) {
  if (t->ops && t->ops->destroy) t->ops->destroy(fd, ctx);
}

static void wake(struct x7__handles *t, struct x7__handle_slot *s) {
  if (s->has_res && t->ops && t->ops->wake) t->ops->wake(s->fd, s->ctx);
}

int x7__handles_add(struct x7__handles *t, unsigned kind, int fd, void *ctx,
                    uint32_t *phandle) {
  int rc = -1;
  pthread_mutex_lock(&t->lock);
  /* A linear scan keeps "lowest free slot first" obviously true; 4096
   * slots are cheap next to the socket calls around every add. */
  for (uint32_t i = 0; i < X7__HANDLES_MAX; i++) {
    struct x7__handle_slot *s = &t->slot[i];
    if (s->kind) continue;
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->has_res = 1;
    s->fd = fd;
    s->ctx = ctx;
    *phandle = i + 1;
    rc = 0;
    break;
  }
  pthread_mutex_unlock(&t->lock);
  return rc;
}

int x7__handles_acquire(struct x7__handles *t, uint32_t handle,
                        unsigned kinds, struct x7__handle_ref *ref) {
  struct x7__handle_slot *s = slot_of(t, handle);
  int rc = -1;
  if (!s) return -1;
  pthread_mutex_lock(&t->lock);
  if ((s->kind & kinds) && !s->closed) {
    s->pins++;
    ref->handle = handle;
    ref->kind = s->kind;
    ref->fd = s->fd;
    ref->ctx = s->ctx;
    rc = 0;
  }
  pthread_mutex_unlock(&t->lock);
  return rc;
}

void x7__handles_release(struct x7__handles *t,
                         const struct x7__handle_ref *ref) {
  struct x7__handle_slot *s = slot_of(t, ref->handle);
  int fd = -1, doomed = 0;
  void *ctx = NULL;
  if (!s) return;
  pthread_mutex_lock(&t->lock);
  if (s->pins) s->pins--;
  /* The last pin of a slot closed meanwhile finishes what close or drop
   * could not do while the resource was in use. */
  if (s->pins == 0 && s->closed) {
    doomed = take_res(s, &fd, &ctx);
    if (s->dropped) memset(s, 0, sizeof *s);
  }
  pthread_mutex_unlock(&t->lock);
  if (doomed) destroy(t, fd, ctx);
}

unsigned x7__handles_kind(struct x7__handles *t, uint32_t handle) {
  struct x7__handle_slot *s = slot_of(t, handle);
  unsigned kind = 0;
  if (!s) return 0;
  pthread_mutex_lock(&t->lock);
  if (!s->closed) kind = s->kind;
  pthread_mutex_unlock(&t->lock);
  return kind;
}

int32_t x7__handles_close(struct x7__handles *t, uint32_t handle,
                          unsigned kinds) {
  struct x7__handle_slot *s = slot_of(t, handle);
  int fd = -1, doomed = 0;
  void *ctx = NULL;
  if (!s) return 0;
  pthread_mutex_lock(&t->lock);
  if (!(s->kind & kinds) || s->closed) {
    pthread_mutex_unlock(&t->lock);
    return 0;
  }
  s->closed = 1;
  if (s->pins)
    wake(t, s);
  else
    doomed = take_res(s, &fd, &ctx);
  pthread_mutex_unlock(&t->lock);
  if (doomed) destroy(t, fd, ctx);
  return 1;
}

int32_t x7__handles_drop(struct x7__handles *t, uint32_t handle,
                         unsigned kinds) {
  struct x7__handle_slot *s = slot_of(t, handle);
  int fd = -1, doomed = 0;
  void *ctx = NULL;
  if (!s) return 0;
  pthread_mutex_lock(&t->lock);
  if (!(s->kind & kinds) || s->dropped) {
    pthread_mutex_unlock(&t->lock);
    return 0;
  }
  s->closed = 1;
  if (s->pins) {
    s->dropped = 1;
    wake(t, s);
  } else {
    doomed = take_res(s, &fd, &ctx);
    memset(s, 0, sizeof *s);
  }
  pthread_mutex_unlock(&t->lock);
  if (doomed) destroy(t, fd, ctx);
  return 1;
}

uint32_t x7__handles_count(struct x7__handles *t) {
  uint32_t n = 0;
  pthread_mutex_lock(&t->lock);
  for (uint32_t i = 0; i < X7__HANDLES_MAX; i++)
    if (t->slot[i].kind) n++;
  pthread_mutex_unlock(&t->lock);
  return n;
}
