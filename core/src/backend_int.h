/* backend_int.h - what the core's twins and the built-in backends share. */
#ifndef X7_BACKEND_INT_H
#define X7_BACKEND_INT_H

#include <x7/x7_backend.h>

/* NULL-terminated list of compiled-in backends (backends_builtin.c). */
extern const struct x7_backend_ops *const x7__builtin_backends[];

/* The selected backend, freezing the choice and running its global_init
 * once.  X7_OK (*pops valid for the life of the process), X7_ENOTFOUND,
 * X7_ENOTBUILT, or the error of global_init.  Thread-safe. */
x7_result x7__backend_get(const struct x7_backend_ops **pops);

/* A registered backend by name (case-insensitive), without selecting
 * it.  X7_OK (*pops valid for the life of the process) or X7_ENOTFOUND. */
x7_result x7__backend_find(const char *name,
                           const struct x7_backend_ops **pops);

/* Record/replay hook of the freeze (backends/cassette/be_cassette.c):
 * when a cassette is installed or X07_NET_CASSETTE turns one on, *pwrap
 * gets the ops that replace `transport` (replay, or record wrapping
 * it); otherwise NULL.  On failure msg explains ("path:offset: reason")
 * and the freeze fails with that result. */
x7_result x7__rr_wrap(const struct x7_backend_ops *transport,
                      const struct x7_backend_ops **pwrap, char *msg,
                      size_t msglen);

/* Forget every registration and the frozen choice (tests only). */
void x7__backend_reset_for_tests(void);

#endif /* X7_BACKEND_INT_H */
