/*
 * net_http_server.h - std.net.http.server: the HttpServerReqDocV1
 * accessors (spec §2.11, §3.10) and the response serialiser of
 * write_response_v1 (§7.2).
 *
 * HttpServerReqDocV1 = 01 01 00 00, pd_len u32, HttpParseDocV1 (pd_len
 * bytes), msg_len u32, msg (the raw request: headers plus Content-Length
 * body).  The accessors split the doc exactly like upstream - the parse doc
 * must fit in the doc, and msg must end exactly at the end of the doc - and
 * then apply the ext.httparse accessor to (parse doc, msg).  Anything
 * malformed, an error doc included, gives empty bytes.
 *
 * All functions: X7_OK on success; X7_EINVAL when the out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when the output cannot be
 * allocated (it is then left empty).  Outputs are owned by the caller
 * (x7_bytes_free).
 */
#ifndef X7_NET_HTTP_SERVER_H
#define X7_NET_HTTP_SERVER_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Request method / target / body of an HttpServerReqDocV1, or empty. */
X7_API x7_result x7_net_http_server_req_method_v1(struct x7_view req,
                                                  struct x7_bytes *pout);
X7_API x7_result x7_net_http_server_req_target_v1(struct x7_view req,
                                                  struct x7_bytes *pout);
X7_API x7_result x7_net_http_server_req_body_v1(struct x7_view req,
                                                struct x7_bytes *pout);
/* Value of the first request header named `name` (ASCII
 * case-insensitive), or empty. */
X7_API x7_result x7_net_http_server_req_header_get_v1(struct x7_view req,
                                                      struct x7_view name,
                                                      struct x7_bytes *pout);

/*
 * x7 extension: the exact bytes write_response_v1(stream, status,
 * headers_table, body, caps) sends, without sending them:
 *
 *   "HTTP/1.1 " status " OK\r\n"          reason is ALWAYS "OK"; status < 0
 *                                          is sent as 200
 *   "content-length: " len(body) "\r\n"
 *   "connection: close\r\n"
 *   name ": " value "\r\n"                 per HttpHeadersTableV1 entry, in
 *                                          table order
 *   "\r\n" body
 *
 * An entry is skipped when its name is empty, is exactly (case-sensitive)
 * "content-length" or "connection", or when its name or value contains
 * NUL, CR or LF.  A malformed table (shorter than 4 bytes, count >= 2^31,
 * or an entry running past the end) stops the header loop; entries before
 * it are kept.  Bytes after the last counted entry are ignored.
 */
X7_API x7_result x7_net_http_server_response_bytes_v1(
    int32_t status, struct x7_view headers_table, struct x7_view body,
    struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_HTTP_SERVER_H */
