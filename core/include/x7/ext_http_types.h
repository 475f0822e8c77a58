/*
 * ext_http_types.h - ext.http_types: HTTP/1.1 message builders of
 * ext-url-rs (spec §7.4), byte for byte.
 *
 * Nothing is validated: bytes are copied as given, so CR/LF in a name,
 * value, method or target go onto the wire unchanged.  `headers` is raw
 * header-line bytes (e.g. concatenated header_line results), not an
 * HttpHeadersTableV1.  The header block is terminated like upstream:
 * empty headers -> CRLF; already ending in CRLFCRLF -> nothing; ending in
 * CRLF -> CRLF; otherwise CRLFCRLF.
 *
 * All functions: X7_OK on success; X7_EINVAL when the out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when the output cannot be
 * allocated (it is then left empty).  Outputs are owned by the caller
 * (x7_bytes_free).
 */
#ifndef X7_EXT_HTTP_TYPES_H
#define X7_EXT_HTTP_TYPES_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* name ": " value CRLF */
X7_API x7_result x7_ext_http_types_header_line(struct x7_view name,
                                               struct x7_view value,
                                               struct x7_bytes *pout);

/* b with ASCII A-Z mapped to a-z (locale independent). */
X7_API x7_result x7_ext_http_types_lowercase_ascii(struct x7_view b,
                                                   struct x7_bytes *pout);

/* method SP target SP "HTTP/1.1" CRLF headers terminator body */
X7_API x7_result x7_ext_http_types_build_request(struct x7_view method,
                                                 struct x7_view target,
                                                 struct x7_view headers,
                                                 struct x7_view body,
                                                 struct x7_bytes *pout);

/* "HTTP/1.1" SP status SP reason CRLF headers terminator body.  status is
 * written as the UNSIGNED decimal of its 32-bit pattern, as upstream's
 * fmt.u32_to_dec does: -1 becomes "4294967295". */
X7_API x7_result x7_ext_http_types_build_response(int32_t status,
                                                  struct x7_view reason,
                                                  struct x7_view headers,
                                                  struct x7_view body,
                                                  struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_EXT_HTTP_TYPES_H */
