/* test_handles.c - the shared socket handle table (spec §5.1): lowest free
 * slot first, close keeps the slot, drop frees it, 4096 slots, kinds,
 * pins that defer the release, thread safety. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include "handles_int.h"
#include "x7_test.h"

/* What the table did to the resources it was given. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int destroyed[X7__HANDLES_MAX * 4 + 16]; /* by fd */
static long destroy_calls, wake_calls;
static int last_wake_fd;

static void on_destroy(int fd, void *ctx) {
  pthread_mutex_lock(&log_lock);
  assert_true(fd >= 0 && (size_t)fd < sizeof destroyed / sizeof *destroyed);
  /* ctx is always &destroyed[fd] in these tests. */
  assert_ptr_equal(ctx, &destroyed[fd]);
  destroyed[fd]++;
  destroy_calls++;
  pthread_mutex_unlock(&log_lock);
}

static void on_wake(int fd, void *ctx) {
  (void)ctx;
  wake_calls++; /* called with the table lock held: no lock of ours */
  last_wake_fd = fd;
}

static const struct x7__handles_ops test_ops = {on_destroy, on_wake};
static struct x7__handles tab = X7__HANDLES_INIT(&test_ops);

static int setup(void **state) {
  (void)state;
  for (uint32_t h = 1; h <= X7__HANDLES_MAX; h++) {
    (void)x7__handles_drop(&tab, h, ~0u);
  }
  memset(destroyed, 0, sizeof destroyed);
  destroy_calls = wake_calls = 0;
  last_wake_fd = -1;
  return 0;
}

static uint32_t add(unsigned kind, int fd) {
  uint32_t h = 0;
  assert_int_equal(x7__handles_add(&tab, kind, fd, &destroyed[fd], &h), 0);
  return h;
}

static void add_should_take_lowest_free_slot(void **state) {
  (void)state;
  assert_int_equal(add(X7_SOCK_TCP, 10), 1);
  assert_int_equal(add(X7_SOCK_LISTENER, 11), 2);
  assert_int_equal(add(X7_SOCK_UDP, 12), 3);
  assert_int_equal(x7__handles_drop(&tab, 2, X7_SOCK_LISTENER), 1);
  assert_int_equal(destroyed[11], 1);
  assert_int_equal(add(X7_SOCK_TLS, 13), 2); /* the freed slot again */
  assert_int_equal(add(X7_SOCK_TCP, 14), 4);
  assert_int_equal(x7__handles_count(&tab), 4);
}

static void close_should_keep_the_slot(void **state) {
  struct x7__handle_ref ref;
  (void)state;
  assert_int_equal(add(X7_SOCK_TCP, 20), 1);
  assert_int_equal(x7__handles_close(&tab, 1, X7_SOCK_STREAM), 1);
  assert_int_equal(destroyed[20], 1);
  assert_int_equal(x7__handles_close(&tab, 1, X7_SOCK_STREAM), 0);
  assert_int_equal(x7__handles_kind(&tab, 1), 0);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_STREAM, &ref), -1);
  /* Closed but allocated: the next socket does not reuse 1. */
  assert_int_equal(add(X7_SOCK_TCP, 21), 2);
  assert_int_equal(x7__handles_drop(&tab, 1, X7_SOCK_STREAM), 1);
  assert_int_equal(destroyed[20], 1); /* not destroyed twice */
  assert_int_equal(x7__handles_drop(&tab, 1, X7_SOCK_STREAM), 0);
  assert_int_equal(add(X7_SOCK_UDP, 22), 1);
}

static void kinds_should_be_checked(void **state) {
  struct x7__handle_ref ref;
  (void)state;
  assert_int_equal(add(X7_SOCK_TLS, 30), 1);
  assert_int_equal(add(X7_SOCK_LISTENER, 31), 2);
  assert_int_equal(x7__handles_kind(&tab, 1), X7_SOCK_TLS);
  assert_int_equal(x7__handles_kind(&tab, 2), X7_SOCK_LISTENER);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_TCP, &ref), -1);
  assert_int_equal(x7__handles_acquire(&tab, 2, X7_SOCK_STREAM, &ref), -1);
  assert_int_equal(x7__handles_close(&tab, 2, X7_SOCK_STREAM), 0);
  assert_int_equal(x7__handles_drop(&tab, 1, X7_SOCK_UDP), 0);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_STREAM, &ref), 0);
  assert_int_equal(ref.handle, 1);
  assert_int_equal(ref.kind, X7_SOCK_TLS);
  assert_int_equal(ref.fd, 30);
  assert_ptr_equal(ref.ctx, &destroyed[30]);
  x7__handles_release(&tab, &ref);
  assert_int_equal(destroy_calls, 0);
}

static void out_of_range_handles_should_be_refused(void **state) {
  struct x7__handle_ref ref;
  const uint32_t bad[] = {0, X7__HANDLES_MAX + 1, 0x80000000u, UINT32_MAX};
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(x7__handles_acquire(&tab, bad[i], ~0u, &ref), -1);
    assert_int_equal(x7__handles_kind(&tab, bad[i]), 0);
    assert_int_equal(x7__handles_close(&tab, bad[i], ~0u), 0);
    assert_int_equal(x7__handles_drop(&tab, bad[i], ~0u), 0);
  }
  /* Free slots in range behave the same. */
  assert_int_equal(x7__handles_acquire(&tab, 7, ~0u, &ref), -1);
  assert_int_equal(x7__handles_close(&tab, 7, ~0u), 0);
  assert_int_equal(x7__handles_drop(&tab, 7, ~0u), 0);
}

static void table_should_hold_exactly_4096(void **state) {
  uint32_t h = 0;
  (void)state;
  for (uint32_t i = 1; i <= X7__HANDLES_MAX; i++)
    assert_int_equal(add(X7_SOCK_UDP, (int)i), i);
  assert_int_equal(x7__handles_count(&tab), X7__HANDLES_MAX);
  assert_int_equal(x7__handles_add(&tab, X7_SOCK_UDP, 5000, NULL, &h), -1);
  assert_int_equal(h, 0);
  assert_int_equal(destroy_calls, 0); /* the caller keeps a refused fd */
  /* Closing does not make room; dropping does, at that very slot. */
  assert_int_equal(x7__handles_close(&tab, 1234, X7_SOCK_UDP), 1);
  assert_int_equal(x7__handles_add(&tab, X7_SOCK_UDP, 5000, NULL, &h), -1);
  assert_int_equal(x7__handles_drop(&tab, 1234, X7_SOCK_UDP), 1);
  assert_int_equal(add(X7_SOCK_TCP, 4097), 1234);
  assert_int_equal(x7__handles_drop(&tab, X7__HANDLES_MAX, X7_SOCK_UDP), 1);
  assert_int_equal(add(X7_SOCK_TCP, 4098), X7__HANDLES_MAX);
}

static void close_while_pinned_should_wake_and_defer(void **state) {
  struct x7__handle_ref a, b;
  (void)state;
  assert_int_equal(add(X7_SOCK_TCP, 40), 1);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_STREAM, &a), 0);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_STREAM, &b), 0);
  assert_int_equal(x7__handles_close(&tab, 1, X7_SOCK_STREAM), 1);
  assert_int_equal(wake_calls, 1);
  assert_int_equal(last_wake_fd, 40);
  assert_int_equal(destroy_calls, 0); /* still in use */
  assert_int_equal(x7__handles_kind(&tab, 1), 0);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_STREAM, &a), -1);
  x7__handles_release(&tab, &a);
  assert_int_equal(destroy_calls, 0);
  x7__handles_release(&tab, &b);
  assert_int_equal(destroyed[40], 1);
  /* closed, not dropped: the slot is still taken */
  assert_int_equal(add(X7_SOCK_TCP, 41), 2);
}

static void drop_while_pinned_should_reserve_the_slot(void **state) {
  struct x7__handle_ref a;
  (void)state;
  assert_int_equal(add(X7_SOCK_UDP, 50), 1);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_UDP, &a), 0);
  assert_int_equal(x7__handles_drop(&tab, 1, X7_SOCK_UDP), 1);
  assert_int_equal(x7__handles_drop(&tab, 1, X7_SOCK_UDP), 0);
  assert_int_equal(wake_calls, 1);
  /* The pinned slot is not handed out again under the operation. */
  assert_int_equal(add(X7_SOCK_UDP, 51), 2);
  assert_int_equal(x7__handles_count(&tab), 2);
  x7__handles_release(&tab, &a);
  assert_int_equal(destroyed[50], 1);
  assert_int_equal(x7__handles_count(&tab), 1);
  assert_int_equal(add(X7_SOCK_UDP, 52), 1);
}

static void drop_of_closed_pinned_slot_should_not_wake(void **state) {
  struct x7__handle_ref a;
  (void)state;
  assert_int_equal(add(X7_SOCK_TCP, 60), 1);
  assert_int_equal(x7__handles_acquire(&tab, 1, X7_SOCK_TCP, &a), 0);
  assert_int_equal(x7__handles_close(&tab, 1, X7_SOCK_TCP), 1);
  x7__handles_release(&tab, &a); /* destroys */
  assert_int_equal(destroyed[60], 1);
  assert_int_equal(wake_calls, 1);
  assert_int_equal(x7__handles_drop(&tab, 1, X7_SOCK_TCP), 1);
  assert_int_equal(wake_calls, 1); /* nothing left to wake */
  assert_int_equal(destroyed[60], 1);
}

/* ---- threads ---- */

#define THREADS 8
#define ROUNDS 3000

static long adds_done[THREADS];

static void *churn(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned seed = (unsigned)id * 2654435761u + 1;
  for (int i = 0; i < ROUNDS; i++) {
    struct x7__handle_ref ref;
    uint32_t h;
    int fd = 100 + id * 8 + (i % 8); /* each thread owns 8 fd numbers */
    seed = seed * 1103515245u + 12345u;
    if (x7__handles_add(&tab, X7_SOCK_TCP, fd, &destroyed[fd], &h)) continue;
    adds_done[id]++;
    if (x7__handles_acquire(&tab, h, X7_SOCK_STREAM, &ref) == 0) {
      if (seed & 1) (void)x7__handles_close(&tab, h, X7_SOCK_STREAM);
      x7__handles_release(&tab, &ref);
    }
    (void)x7__handles_drop(&tab, h, X7_SOCK_STREAM);
  }
  return NULL;
}

static void table_should_survive_concurrent_use(void **state) {
  pthread_t t[THREADS];
  long adds = 0;
  (void)state;
  memset(adds_done, 0, sizeof adds_done);
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(
        pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i), 0);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < THREADS; i++) adds += adds_done[i];
  /* Every resource handed to the table was destroyed exactly once. */
  assert_int_equal(adds, (long)THREADS * ROUNDS);
  assert_int_equal(destroy_calls, adds);
  assert_int_equal(x7__handles_count(&tab), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(add_should_take_lowest_free_slot, setup),
      cmocka_unit_test_setup(close_should_keep_the_slot, setup),
      cmocka_unit_test_setup(kinds_should_be_checked, setup),
      cmocka_unit_test_setup(out_of_range_handles_should_be_refused, setup),
      cmocka_unit_test_setup(table_should_hold_exactly_4096, setup),
      cmocka_unit_test_setup(close_while_pinned_should_wake_and_defer, setup),
      cmocka_unit_test_setup(drop_while_pinned_should_reserve_the_slot,
                             setup),
      cmocka_unit_test_setup(drop_of_closed_pinned_slot_should_not_wake,
                             setup),
      cmocka_unit_test_setup(table_should_survive_concurrent_use, setup),
  };
  return cmocka_run_group_tests_name("handles", tests, NULL, NULL);
}
