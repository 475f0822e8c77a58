/* backends_builtin.c - the backends compiled into this library, in the
 * order x7_backend_names() lists them.  CMake defines X7_HAVE_<NAME> for
 * each backend it builds. */
#include "backend_int.h"

#ifdef X7_HAVE_LIVE
extern const struct x7_backend_ops x7__backend_live;
#endif

const struct x7_backend_ops *const x7__builtin_backends[] = {
#ifdef X7_HAVE_LIVE
    &x7__backend_live,
#endif
    NULL};
