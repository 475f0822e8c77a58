/*
 * handles_int.h - the socket handle table of spec §5.1, for any backend.
 *
 * 4096 slots, handles 1..4096, one table for every kind of socket; a new
 * handle takes the lowest free slot, so numbering is deterministic (the
 * first socket of a process is 1).  close releases the resource but keeps
 * the slot allocated (the handle is never reused while it is closed);
 * drop frees the slot for reuse.
 *
 * A slot holds a descriptor and an opaque backend pointer.  The table
 * releases them through the backend's destroy callback, exactly once.
 *
 * Threads: every function is thread-safe.  An operation "pins" a slot
 * with x7__handles_acquire for as long as it uses the descriptor, so a
 * close or drop from another thread never pulls the descriptor away
 * underneath it: the table marks the slot closed at once (new acquires
 * fail), calls the wake callback so a pinned operation blocked in poll()
 * returns soon, and destroys the resource when the last pin goes away.
 * A dropped slot stays reserved until then, so a pin always refers to the
 * slot it pinned.
 *
 * Each backend owns one table, usually a static initialised with
 * X7__HANDLES_INIT.
 */
#ifndef X7_HANDLES_INT_H
#define X7_HANDLES_INT_H

#include <pthread.h>
#include <stdint.h>

#include <x7/x7_backend.h>

#define X7__HANDLES_MAX X7_SOCK_HANDLES_MAX

/* What the table calls back into the backend.  Both may be NULL. */
struct x7__handles_ops {
  /* Release fd and ctx for good (close(2), free TLS state ...).  Called
   * without the table lock held, exactly once per added resource. */
  void (*destroy)(int fd, void *ctx);
  /* Make operations blocked on fd return (shutdown(2) ...) without
   * releasing anything.  Called with the table lock held: it must not
   * call back into the table. */
  void (*wake)(int fd, void *ctx);
};

struct x7__handle_slot {
  unsigned kind;  /* enum x7_sock_kind bit; 0 = free */
  unsigned pins;  /* operations using fd/ctx right now */
  char closed;    /* no new operation may start */
  char has_res;   /* fd/ctx not destroyed yet */
  char dropped;   /* freed as soon as pins reaches 0 */
  int fd;
  void *ctx;
};

struct x7__handles {
  pthread_mutex_t lock;
  const struct x7__handles_ops *ops;
  struct x7__handle_slot slot[X7__HANDLES_MAX]; /* slot[h - 1] */
};

#define X7__HANDLES_INIT(ops_ptr) {PTHREAD_MUTEX_INITIALIZER, (ops_ptr), {{0}}}

/* An operation's view of a pinned slot. */
struct x7__handle_ref {
  uint32_t handle;
  unsigned kind;
  int fd;
  void *ctx;
};

/* Put fd/ctx in the lowest free slot as an open handle of `kind` (one
 * enum x7_sock_kind bit).  Returns 0 with *phandle set, or -1 when all
 * 4096 slots are in use: the caller still owns fd/ctx then. */
int x7__handles_add(struct x7__handles *t, unsigned kind, int fd, void *ctx,
                    uint32_t *phandle);

/* Pin an open handle whose kind is in the mask `kinds`.  Returns 0 and
 * fills *ref, or -1 (out of range, free, closed or of another kind).
 * Every successful acquire needs exactly one release. */
int x7__handles_acquire(struct x7__handles *t, uint32_t handle,
                        unsigned kinds, struct x7__handle_ref *ref);
void x7__handles_release(struct x7__handles *t,
                         const struct x7__handle_ref *ref);

/* Kind of an open handle, 0 if it is out of range, free or closed. */
unsigned x7__handles_kind(struct x7__handles *t, uint32_t handle);

/* close: 1 when an open handle of a kind in `kinds` became closed, else 0
 * (free, closed already, other kind).  The slot stays allocated. */
int32_t x7__handles_close(struct x7__handles *t, uint32_t handle,
                          unsigned kinds);

/* drop: 1 when an allocated handle (open or closed) of a kind in `kinds`
 * was freed, else 0.  Closes it first if needed. */
int32_t x7__handles_drop(struct x7__handles *t, uint32_t handle,
                         unsigned kinds);

/* Number of allocated slots (open, closed or dropped-but-pinned); for
 * tests and diagnostics. */
uint32_t x7__handles_count(struct x7__handles *t);

#endif /* X7_HANDLES_INT_H */
