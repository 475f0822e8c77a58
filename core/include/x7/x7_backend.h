/*
 * x7_backend.h - the one backend vtable every std.net call goes through.
 *
 * A backend is a `static const struct x7_backend_ops` with designated
 * initialisers.  `version` comes first and the struct only ever grows at
 * the end: a backend built against version N leaves later slots absent,
 * and the core checks `version` before touching any slot newer than 1.
 * Optional slots left NULL get core defaults at registration, so dispatch
 * never tests for NULL.
 *
 * Selection (frozen on first use, process-wide):
 *   x7_backend_select() > X07_NET_BACKEND environment variable > "live".
 *
 * Ownership: ops structs and their strings are borrowed for the life of
 * the process (they are normally static const).  Request views passed to
 * a backend are borrowed for the duration of the call only.
 */
#ifndef X7_BACKEND_H
#define X7_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_BACKEND_OPS_V1 1
#define X7_BACKEND_OPS_MAX X7_BACKEND_OPS_V1
#define X7_BACKEND_NAME_MAX 32

/* Capability bits: what a backend can do, so tests can skip() cleanly. */
enum x7_backend_cap {
  X7_BACKEND_CAP_HTTP = 1u << 0,     /* http_fetch over http:// */
  X7_BACKEND_CAP_TLS = 1u << 1,      /* https:// with verification */
  X7_BACKEND_CAP_HTTP2 = 1u << 2,    /* can negotiate HTTP/2 */
  X7_BACKEND_CAP_HERMETIC = 1u << 3, /* never touches the network */
  X7_BACKEND_CAP_RECORDS = 1u << 4,  /* writes a cassette */
  X7_BACKEND_CAP_FILE = 1u << 5      /* file:// URLs */
};

/* One HTTP request, decoded and validated by the core from an HttpReqV1
 * (spec §2.8) before any backend sees it.  All views borrow the caller's
 * document.  Limits are already range-checked and defaulted:
 * timeout_s 1..600, max_redirects 1..100 when follow_location is set. */
struct x7_http_fetch {
  uint32_t method;          /* X7_NET_HTTP_METHOD_* (net_http_spec.h) */
  struct x7_view url;       /* no NUL bytes */
  struct x7_view headers;   /* canonical HttpHeadersTableV1 */
  struct x7_view body;      /* empty for GET/HEAD */
  uint32_t follow_location; /* 0 or 1 */
  uint32_t timeout_s;
  uint32_t max_redirects;
  uint32_t max_header_bytes; /* 0 disables header capture */
  uint32_t max_headers;      /* 0 disables header capture */
  uint32_t max_body_bytes;   /* 0: any non-empty body is TOO_LARGE */
  struct x7_view out_path;   /* empty: body in memory (resp v2); else the
                                safe relative path of a to-file fetch (v3) */
};

/* Perform one fetch.  On X7_OK *presp holds the whole response doc: an
 * HttpResp v2/v3 ok doc or a 9-byte NetErrDocV1 (codes 2..8).  Any other
 * result is a library failure (X7_ENOMEM ...) and *presp stays empty. */
typedef x7_result x7_backend_http_fetch_fn(const struct x7_http_fetch *req,
                                           struct x7_bytes *presp);
/* Called once per process before the first op of this backend. */
typedef x7_result x7_backend_global_init_fn(void);

struct x7_backend_ops {
  int version;      /* X7_BACKEND_OPS_V1 */
  const char *name; /* unique, lower case, 1..X7_BACKEND_NAME_MAX bytes */
  unsigned caps;    /* enum x7_backend_cap bits */
  x7_backend_global_init_fn *global_init; /* optional */
  x7_backend_http_fetch_fn *http_fetch;   /* required with CAP_HTTP */
  /* fields above: version 1 */
};

/* Add a backend to the registry.
 * X7_OK; X7_EINVAL (NULL, bad name, version 0, missing required slot);
 * X7_ENOTSUPPORTED (version newer than X7_BACKEND_OPS_MAX);
 * X7_EEXIST (a backend of that name, case-insensitive, exists);
 * X7_ETOOLATE (the selection is frozen: some op already ran);
 * X7_ERANGE (registry full). */
X7_API x7_result x7_backend_register(const struct x7_backend_ops *ops);

/* Choose the backend by name, overriding X07_NET_BACKEND.
 * X7_OK; X7_EINVAL (NULL); X7_ENOTFOUND (no such backend);
 * X7_ETOOLATE (already frozen on another backend; selecting the frozen
 * one again is X7_OK). */
X7_API x7_result x7_backend_select(const char *name);

/* The backend in use, freezing the choice if it was not yet frozen.
 * *pname is a static string.  X7_OK; X7_EINVAL (NULL pname);
 * X7_ENOTFOUND (X07_NET_BACKEND names no registered backend: the message
 * from x7_backend_errmsg() says which names exist); X7_ENOTBUILT (the
 * default backend is not compiled in). */
X7_API x7_result x7_backend_current(const char **pname);

/* Capability bits of a registered backend.  X7_OK, X7_EINVAL,
 * X7_ENOTFOUND. */
X7_API x7_result x7_backend_caps(const char *name, unsigned *pcaps);

/* Names of all registered backends, comma separated, in registration
 * order (static storage, valid until the next registration). */
X7_API const char *x7_backend_names(void);

/* A human explanation of the last selection failure, or "" (static). */
X7_API const char *x7_backend_errmsg(void);

#ifdef __cplusplus
}
#endif
#endif /* X7_BACKEND_H */
