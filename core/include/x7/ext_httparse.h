/*
 * ext_httparse.h - ext.httparse: the HTTP/1.x message parser of
 * ext-url-rs (spec §2.12, §7.3), byte for byte.
 *
 * parse_request / parse_response return an HttpParseDocV1: either the
 * 9-byte error form (00, code u32, 0 u32; codes 1 incomplete, 2 bad
 * request/status line, 3 bad header line, 4 bad status code) or the ok
 * form of 52 + 16 * header_count bytes whose fields are offsets INTO THE
 * MESSAGE that was parsed.  No token or charset validation is done; the
 * quirks of upstream are kept (request-line version may contain spaces,
 * obs-fold lines are errors, the body is everything after the blank line).
 *
 * The accessors take the doc and, where they return bytes, the message
 * the doc was made from.  They never read outside either view: every
 * offset and length read from the doc is checked against the message, and
 * a doc paired with the wrong or a short message gives empty bytes rather
 * than a slice past its end.  Stored values >= 2^31 read as negative i32,
 * as upstream's codec.read_u32_le does.
 *
 * Status code: upstream parses the digits with x07 i32 arithmetic and no
 * overflow check.  x7 does the same computation modulo 2^32 (defined
 * unsigned arithmetic) and stores the resulting bit pattern, so
 * status_code returns exactly the wrapped i32 upstream computes: "200"
 * gives 200, "4294967295" gives -1, "4294967296" gives 0.
 *
 * All functions: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated; parse_* also X7_ERANGE for a message longer than
 * INT32_MAX bytes (upstream offsets are i32).  On any failure a bytes
 * output is left empty and an i32 output is 0.  Bytes outputs are owned
 * by the caller (x7_bytes_free).
 */
#ifndef X7_EXT_HTTPARSE_H
#define X7_EXT_HTTPARSE_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* HttpParseDocV1 error codes. */
enum x7_ext_httparse_err {
  X7_EXT_HTTPARSE_ERR_INCOMPLETE = 1, /* no CRLF / no blank line */
  X7_EXT_HTTPARSE_ERR_START_LINE = 2, /* bad request or status line */
  X7_EXT_HTTPARSE_ERR_HEADER = 3,     /* header line without a colon */
  X7_EXT_HTTPARSE_ERR_STATUS = 4      /* status code empty or non-digit */
};

/* HttpParseDocV1 kinds. */
enum x7_ext_httparse_kind {
  X7_EXT_HTTPARSE_KIND_REQUEST = 1,
  X7_EXT_HTTPARSE_KIND_RESPONSE = 2
};

#define X7_EXT_HTTPARSE_ERR_DOC_LEN 9
#define X7_EXT_HTTPARSE_DOC_FIXED_LEN 52 /* + 16 per header */

/* ---- parsers ---- */
X7_API x7_result x7_ext_httparse_parse_request(struct x7_view msg,
                                               struct x7_bytes *pout);
X7_API x7_result x7_ext_httparse_parse_response(struct x7_view msg,
                                                struct x7_bytes *pout);

/* ---- i32 accessors (doc only) ---- */
/* 1 for an empty doc or byte 0 == 0, else 0. */
X7_API x7_result x7_ext_httparse_is_err(struct x7_view doc, int32_t *pout);
/* The code of an error doc (len >= 5, byte 0 == 0), else 0. */
X7_API x7_result x7_ext_httparse_err_code(struct x7_view doc, int32_t *pout);
/* Byte 1 when byte 0 == 1 and len >= 2 (any value, unvalidated), else 0. */
X7_API x7_result x7_ext_httparse_kind(struct x7_view doc, int32_t *pout);
/* u32@28 of a kind-2 doc (signed reading), else 0. */
X7_API x7_result x7_ext_httparse_status_code(struct x7_view doc,
                                             int32_t *pout);
/* u32@40 of a doc of non-zero kind (signed reading: a corrupted count
 * >= 2^31 comes back negative, as upstream), 0 when absent. */
X7_API x7_result x7_ext_httparse_header_count(struct x7_view doc,
                                              int32_t *pout);

/* ---- slices of the message ----
 * Empty bytes whenever the doc does not qualify (kind 0; method/target
 * need kind 1; reason needs kind 2), a field lies beyond the doc (it then
 * reads as 0), or (start, len) does not lie inside msg. */
X7_API x7_result x7_ext_httparse_version(struct x7_view doc,
                                         struct x7_view msg,
                                         struct x7_bytes *pout);
X7_API x7_result x7_ext_httparse_method(struct x7_view doc, struct x7_view msg,
                                        struct x7_bytes *pout);
X7_API x7_result x7_ext_httparse_target(struct x7_view doc, struct x7_view msg,
                                        struct x7_bytes *pout);
X7_API x7_result x7_ext_httparse_reason(struct x7_view doc, struct x7_view msg,
                                        struct x7_bytes *pout);
/* Name / value of header idx; empty unless 0 <= idx < header_count. */
X7_API x7_result x7_ext_httparse_header_name(struct x7_view doc,
                                             struct x7_view msg, int32_t idx,
                                             struct x7_bytes *pout);
X7_API x7_result x7_ext_httparse_header_value(struct x7_view doc,
                                              struct x7_view msg, int32_t idx,
                                              struct x7_bytes *pout);
/* Value of the first header whose name equals `name` (ASCII
 * case-insensitive, same length), else empty.  A header whose name does
 * not lie inside msg never matches. */
X7_API x7_result x7_ext_httparse_header_get(struct x7_view doc,
                                            struct x7_view msg,
                                            struct x7_view name,
                                            struct x7_bytes *pout);
/* Everything after the blank line (body_start, body_len after the
 * entries). */
X7_API x7_result x7_ext_httparse_body(struct x7_view doc, struct x7_view msg,
                                      struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_EXT_HTTPARSE_H */
