/*
 * x7_result.h - library-level status codes.
 *
 * Every x7_* function returns an x7_result.  X7_OK means the call did its
 * job; the *network-level* outcome of a std.net twin (an error doc, empty
 * bytes, 0 or -1) is data in the out-parameter, not a result code.
 *
 * Values are explicit, grouped by range and never renumbered or reused.
 * The names, numbers and messages come from one list (X7_RESULT_MAP) so
 * the enum, x7_strerror() and x7_errname() cannot drift apart.
 */
#ifndef X7_RESULT_H
#define X7_RESULT_H

#include <x7/x7_export.h>

#ifdef __cplusplus
extern "C" {
#endif

/* XX(name, value, message) */
#define X7_RESULT_MAP(XX)                                                   \
  XX(X7_OK, 0, "success")                                                   \
  /* 1-49: usage and configuration */                                       \
  XX(X7_EINVAL, 1, "invalid argument")                                      \
  XX(X7_ENOTBUILT, 2, "feature not built into this library")               \
  XX(X7_ETOOLATE, 3, "setting can no longer be changed")                    \
  XX(X7_ENOTSUPPORTED, 4, "operation not supported")                        \
  XX(X7_ERANGE, 5, "size or value out of range")                            \
  XX(X7_ENOTFOUND, 6, "no such entry")                                      \
  XX(X7_EEXIST, 7, "entry already exists")                                  \
  /* 100-149: cassettes (record/replay, <x7/x7_cassette.h>) */              \
  XX(X7_ECASSETTE_MISS, 100, "no recorded interaction matches the request") \
  XX(X7_ECASSETTE_FORMAT, 101, "cassette is corrupt, truncated or edited")  \
  XX(X7_ECASSETTE_VERSION, 102, "cassette format version not supported")    \
  XX(X7_ECASSETTE_EXHAUSTED, 103,                                           \
     "every matching recorded interaction was already replayed")            \
  XX(X7_ECASSETTE_NOFILE, 104, "cassette file does not exist")              \
  XX(X7_ECASSETTE_IO, 105, "cassette could not be read or written")         \
  XX(X7_ECASSETTE_SECRET, 106, "a secret would have been written to disk")  \
  XX(X7_ECASSETTE_CONFLICT, 107, "cassette was changed by another writer")  \
  XX(X7_ECASSETTE_BLOB, 108,                                                \
     "a sidecar body is missing or does not match its hash")                \
  /* 200+: fatal */                                                         \
  XX(X7_ENOMEM, 200, "out of memory")                                       \
  XX(X7_EINTERNAL, 201, "internal error")

typedef enum x7_result {
#define X7__RESULT_ENUM(name, value, msg) name = value,
  X7_RESULT_MAP(X7__RESULT_ENUM)
#undef X7__RESULT_ENUM
  X7_RESULT_LAST /* never use */
} x7_result;

/* Static English text for r; "unknown result" for values not in the map.
 * Never NULL, never needs freeing. */
X7_API const char *x7_strerror(x7_result r);

/* The symbol name of r ("X7_ENOMEM"); "X7_UNKNOWN" for values not in the
 * map.  Never NULL, never needs freeing. */
X7_API const char *x7_errname(x7_result r);

/* 1 when r leaves the object it came from usable only for freeing
 * (r >= 200), else 0. */
X7_API int x7_result_is_fatal(x7_result r);

#ifdef __cplusplus
}
#endif
#endif /* X7_RESULT_H */
