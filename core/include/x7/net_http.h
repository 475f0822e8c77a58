/*
 * net_http.h - std.net.http: accessors of the response docs (spec §2.10,
 * §3.8) and, as x7 extensions, the packers the backends use to build them.
 *
 * A response doc is either a NetErrDocV1 (byte 0 = 0) or an ok doc
 * (byte 0 = 1, byte 1 = ver):
 *   ver 2 (HttpRespV2):       status u32, header_count u32, headers,
 *                             body_len u32, body
 *   ver 3 (HttpRespToFileV1): status u32, header_count u32, headers,
 *                             path_len u32, path, file_len u32
 * where each header is (name_len u32, name, value_len u32, value), names
 * as received.  (ver 1 is a legacy layout std.net never produces.)
 *
 * Accessors return 0 or empty bytes for malformed docs and never read
 * outside the view; every header walk is bounds-checked, and a malformed
 * header region makes the fields behind it unreachable (empty / 0).
 * std.net.http.resp_file_reader_v1 returns an iface reader and has no
 * twin: open resp_file_path_v1's path yourself.
 *
 * All functions return X7_OK on success; X7_EINVAL when an out-pointer is
 * NULL or a view has ptr NULL with len > 0; X7_ENOMEM when an output
 * buffer cannot be allocated.  On any failure a bytes output is left empty
 * and an i32 output is 0.  Bytes outputs are owned by the caller
 * (x7_bytes_free); inputs are borrowed for the call only.
 */
#ifndef X7_NET_HTTP_H
#define X7_NET_HTTP_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_NET_HTTP_RESP_V2 2
#define X7_NET_HTTP_RESP_TO_FILE_V3 3

/* 1 when doc is empty (unlike std.net.err.is_err_doc_v1) or byte 0 is 0,
 * else 0. */
X7_API x7_result x7_net_http_resp_is_err_v1(struct x7_view doc,
                                            int32_t *pout);
/* The code of an error doc (len >= 5, byte 0 == 0), else 0. */
X7_API x7_result x7_net_http_resp_err_code_v1(struct x7_view doc,
                                              int32_t *pout);
/* Byte 1 of an ok doc (len >= 2), else 0. */
X7_API x7_result x7_net_http_resp_ver_v1(struct x7_view doc, int32_t *pout);
/* The stored status (signed i32) of an ok doc of any ver (len >= 6),
 * else 0. */
X7_API x7_result x7_net_http_resp_status_v1(struct x7_view doc,
                                            int32_t *pout);
/* The stored header count (signed i32) of an ok doc of any ver
 * (len >= 10), else 0.  Not checked against the entries. */
X7_API x7_result x7_net_http_resp_header_count_v1(struct x7_view doc,
                                                  int32_t *pout);
/* The value of the first header whose name equals `name` ASCII
 * case-insensitively, for ver 2 and 3 docs; empty when there is none, or
 * when an entry before it (or its own value) is malformed. */
X7_API x7_result x7_net_http_resp_header_get_v1(struct x7_view doc,
                                                struct x7_view name,
                                                struct x7_bytes *pout);
/* The body of a well-formed ver 2 doc (len >= 14), else empty.  Bytes
 * after the body are ignored. */
X7_API x7_result x7_net_http_resp_body_v1(struct x7_view doc,
                                          struct x7_bytes *pout);
/* The path of a ver 3 doc (len >= 14), else empty. */
X7_API x7_result x7_net_http_resp_file_path_v1(struct x7_view doc,
                                               struct x7_bytes *pout);
/* The stored file length (signed i32) of a ver 3 doc (len >= 14), else
 * 0. */
X7_API x7_result x7_net_http_resp_file_len_v1(struct x7_view doc,
                                              int32_t *pout);

/* ---- x7 extensions: packers for backends ----
 * headers_table is an HttpHeadersTableV1 (count u32 + entries) that must
 * be well-formed and end exactly after its last entry; an empty view means
 * no headers.  status and file_len are stored as their u32 bit pattern.
 * Returns X7_OK, X7_EINVAL (also for a malformed headers_table),
 * X7_ERANGE (body or path longer than 2^31 - 1 bytes) or X7_ENOMEM. */
X7_API x7_result x7_net_http_resp_pack_v2(int32_t status,
                                          struct x7_view headers_table,
                                          struct x7_view body,
                                          struct x7_bytes *pout);
X7_API x7_result x7_net_http_resp_pack_v3(int32_t status,
                                          struct x7_view headers_table,
                                          struct x7_view path,
                                          int32_t file_len,
                                          struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_HTTP_H */
