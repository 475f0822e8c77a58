/*
 * net_http_spec.h - std.net.http.spec: HttpHeadersTableV1 (spec §2.6),
 * HttpCapsV1 (§2.7) and the HttpReqV1 request doc (§2.8).
 *
 * Builders produce exactly upstream's bytes; accessors return 0, empty
 * bytes or the documented default for malformed docs and never read
 * outside the view.  Header tables given to the request builders are
 * canonicalised (lowercase names, stable sort, duplicates merged with
 * ", "); a malformed table silently becomes the empty table, as upstream.
 *
 * All functions return X7_OK on success; X7_EINVAL when an out-pointer is
 * NULL or a view has ptr NULL with len > 0; X7_ENOMEM when an output
 * buffer cannot be allocated.  Functions that write bytes may also return
 * X7_ERANGE when an input is longer than the u32 length fields can
 * describe (2^31 - 1 bytes).  On any failure a bytes output is left empty
 * and an i32 output is 0.  Bytes outputs are owned by the caller
 * (x7_bytes_free); inputs are borrowed for the call only.
 */
#ifndef X7_NET_HTTP_SPEC_H
#define X7_NET_HTTP_SPEC_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HttpReqV1 method codes.  1 and 2 are upstream's; 3..7 are x7
 * extensions (build them with x7_net_http_spec_req_v1).  req_get_v1 and
 * req_post_v1 only ever build 1 and 2.  The client accepts 1..7; GET and
 * HEAD must have an empty body, any other code is INVALID_REQ(2). */
enum x7_net_http_method {
  X7_NET_HTTP_METHOD_GET = 1,
  X7_NET_HTTP_METHOD_POST = 2,
  X7_NET_HTTP_METHOD_HEAD = 3,
  X7_NET_HTTP_METHOD_PUT = 4,
  X7_NET_HTTP_METHOD_DELETE = 5,
  X7_NET_HTTP_METHOD_PATCH = 6,
  X7_NET_HTTP_METHOD_OPTIONS = 7
};

#define X7_NET_HTTP_CAPS_LEN 28
#define X7_NET_HTTP_REQ_VER 1

/* HttpCapsV1 defaults of caps_default_v1. */
#define X7_NET_HTTP_CAPS_DEFAULT_FOLLOW_LOCATION 0
#define X7_NET_HTTP_CAPS_DEFAULT_TIMEOUT_S 30
#define X7_NET_HTTP_CAPS_DEFAULT_MAX_REDIRECTS 0
#define X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADER_BYTES 4096
#define X7_NET_HTTP_CAPS_DEFAULT_MAX_HEADERS 64
#define X7_NET_HTTP_CAPS_DEFAULT_MAX_BODY_BYTES 65536

/* ---- methods ---- */
X7_API x7_result x7_net_http_spec_method_get(int32_t *pout);  /* 1 */
X7_API x7_result x7_net_http_spec_method_post(int32_t *pout); /* 2 */

/* ---- HttpCapsV1 ---- */
/* follow_location is stored as 1 when non-zero (negative included), else
 * 0; every other negative argument is stored as 0.  28 bytes. */
X7_API x7_result x7_net_http_spec_caps_v1(int32_t follow_location,
                                          int32_t timeout_s,
                                          int32_t max_redirects,
                                          int32_t max_header_bytes,
                                          int32_t max_headers,
                                          int32_t max_body_bytes,
                                          struct x7_bytes *pout);
/* caps_v1(0, 30, 0, 4096, 64, 65536). */
X7_API x7_result x7_net_http_spec_caps_default_v1(struct x7_bytes *pout);
/* Field accessors: the default when caps is shorter than 28 bytes or its
 * ver is not 1; else the stored value as is (0 stays 0, follow_location is
 * not re-normalised); a stored value >= 2^31 gives the default.  Bytes
 * after offset 28 are ignored. */
X7_API x7_result x7_net_http_spec_caps_follow_location_v1(struct x7_view caps,
                                                          int32_t *pout);
X7_API x7_result x7_net_http_spec_caps_timeout_s_v1(struct x7_view caps,
                                                    int32_t *pout);
X7_API x7_result x7_net_http_spec_caps_max_redirects_v1(struct x7_view caps,
                                                        int32_t *pout);
X7_API x7_result x7_net_http_spec_caps_max_header_bytes_v1(
    struct x7_view caps, int32_t *pout);
X7_API x7_result x7_net_http_spec_caps_max_headers_v1(struct x7_view caps,
                                                      int32_t *pout);
X7_API x7_result x7_net_http_spec_caps_max_body_bytes_v1(struct x7_view caps,
                                                         int32_t *pout);

/* ---- HttpHeadersTableV1 ---- */
/* 00 00 00 00. */
X7_API x7_result x7_net_http_spec_headers_empty_v1(struct x7_bytes *pout);
/* table with (k, v) appended and the count rewritten in place.  A table
 * shorter than 4 bytes is replaced by the empty table, a stored count
 * >= 2^31 counts as 0, and existing entries are copied without being
 * validated (bytes after them are kept). */
X7_API x7_result x7_net_http_spec_headers_push_v1(struct x7_view table,
                                                  struct x7_view k,
                                                  struct x7_view v,
                                                  struct x7_bytes *pout);
/* A fresh table with every name lowercased and the first entry named k
 * (case-insensitively) replaced in place by (lowercase(k), v); later
 * entries with that name are dropped; (lowercase(k), v) is appended when
 * none matched.  A malformed table gives the 1-entry table
 * (lowercase(k), v).  Not sorted. */
X7_API x7_result x7_net_http_spec_headers_set_v1(struct x7_view table,
                                                 struct x7_view k,
                                                 struct x7_view v,
                                                 struct x7_bytes *pout);
/* The canonical table: names lowercased, entries stably sorted by
 * (name, value) bytewise, runs of equal names merged into one entry whose
 * value is the sorted values joined with ", ".  A malformed table gives
 * the empty table; bytes after the last entry are ignored. */
X7_API x7_result x7_net_http_spec_headers_canon_join_sorted_v1(
    struct x7_view table, struct x7_bytes *pout);

/* ---- HttpReqV1 builders ---- */
/* ver 1, method 1, url, canonical headers, empty body, caps.  caps shorter
 * than 28 bytes or with ver != 1 is replaced by caps_default_v1(); valid
 * caps are copied as given, bytes after offset 28 included. */
X7_API x7_result x7_net_http_spec_req_get_v1(struct x7_view url,
                                             struct x7_view headers,
                                             struct x7_view caps,
                                             struct x7_bytes *pout);
/* As req_get_v1 with method 2 and body. */
X7_API x7_result x7_net_http_spec_req_post_v1(struct x7_view url,
                                              struct x7_view headers,
                                              struct x7_view body,
                                              struct x7_view caps,
                                              struct x7_bytes *pout);
/* x7 extension: upstream's private req_v1, the builder behind the two
 * above.  method is stored as given (any i32); the client accepts the
 * codes of enum x7_net_http_method. */
X7_API x7_result x7_net_http_spec_req_v1(int32_t method, struct x7_view url,
                                         struct x7_view headers,
                                         struct x7_view body,
                                         struct x7_view caps,
                                         struct x7_bytes *pout);

/* ---- HttpReqV1 accessors (fields up to the wanted one must be in
 * bounds; bytes after it are not checked) ---- */
/* The stored method (as a signed i32) when req is >= 8 bytes with ver 1,
 * else 0. */
X7_API x7_result x7_net_http_spec_req_method_v1(struct x7_view req,
                                                int32_t *pout);
/* url / headers table / body / caps bytes, or empty when malformed. */
X7_API x7_result x7_net_http_spec_req_url_v1(struct x7_view req,
                                             struct x7_bytes *pout);
X7_API x7_result x7_net_http_spec_req_headers_v1(struct x7_view req,
                                                 struct x7_bytes *pout);
X7_API x7_result x7_net_http_spec_req_body_v1(struct x7_view req,
                                              struct x7_bytes *pout);
X7_API x7_result x7_net_http_spec_req_caps_v1(struct x7_view req,
                                              struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_HTTP_SPEC_H */
