/*
 * net_http_client.h - std.net.http / std.net.http.client fetch twins
 * (spec §3.8, §4).  Each call validates the HttpReqV1 in the core and then
 * goes through the selected backend (x7_backend.h).
 *
 * *pout receives, byte for byte as upstream: an HttpResp v2 doc (in
 * memory), an HttpResp v3 doc (to file), or a 9-byte NetErrDocV1:
 *   2 INVALID_REQ  malformed doc, GET or HEAD with a body, a method
 *                  code outside 1..7, NUL in the URL, a header name that
 *                  is empty or not an RFC 9110 token, NUL/CR/LF in a
 *                  header value, a framing header (content-length,
 *                  transfer-encoding, connection, keep-alive,
 *                  proxy-connection, upgrade, te, trailer: the transport
 *                  owns those), limits out of range, unsafe output path
 *   3 TIMEOUT  4 TOO_LARGE  5 DNS  6 CONNECT  7 TLS  8 INTERNAL
 *                  (from the backend; spec §4.8)
 * HTTP error statuses (4xx/5xx) are ordinary ok docs.
 *
 * Results: X7_OK (the outcome is in *pout); X7_EINVAL (NULL out-pointer or
 * invalid view); X7_ENOMEM; X7_ENOTFOUND / X7_ENOTBUILT (no usable backend:
 * x7_backend_errmsg() says why); X7_ENOTSUPPORTED (the backend cannot do
 * HTTP); any other library failure of the backend.  On a result other
 * than X7_OK, *pout is empty.  *pout is owned by the caller.
 *
 * caps arguments are HttpCapsV1 (28 bytes); anything shorter or of
 * another version is replaced by HTTP defaults, as upstream does.
 */
#ifndef X7_NET_HTTP_CLIENT_H
#define X7_NET_HTTP_CLIENT_H

#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- std.net.http (facade) ---- */
X7_API x7_result x7_net_http_fetch_v1(struct x7_view req,
                                      struct x7_bytes *pout);
/* out_rel_path: a safe relative path (spec §4.5), written relative to the
 * current directory; the file is removed again on any error. */
X7_API x7_result x7_net_http_fetch_to_file_v1(struct x7_view req,
                                              struct x7_view out_rel_path,
                                              struct x7_bytes *pout);
X7_API x7_result x7_net_http_get_v1(struct x7_view url, struct x7_view caps,
                                    struct x7_bytes *pout);
X7_API x7_result x7_net_http_post_v1(struct x7_view url, struct x7_view body,
                                     struct x7_view caps,
                                     struct x7_bytes *pout);
X7_API x7_result x7_net_http_get_to_file_v1(struct x7_view url,
                                            struct x7_view out_rel_path,
                                            struct x7_view caps,
                                            struct x7_bytes *pout);
X7_API x7_result x7_net_http_post_to_file_v1(struct x7_view url,
                                             struct x7_view body,
                                             struct x7_view out_rel_path,
                                             struct x7_view caps,
                                             struct x7_bytes *pout);

/* ---- std.net.http.client: the same functions under the module name ---- */
X7_API x7_result x7_net_http_client_fetch_v1(struct x7_view req,
                                             struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_fetch_to_file_v1(
    struct x7_view req, struct x7_view out_rel_path, struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_get_v1(struct x7_view url,
                                           struct x7_view caps,
                                           struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_post_v1(struct x7_view url,
                                            struct x7_view body,
                                            struct x7_view caps,
                                            struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_get_to_file_v1(
    struct x7_view url, struct x7_view out_rel_path, struct x7_view caps,
    struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_post_to_file_v1(
    struct x7_view url, struct x7_view body, struct x7_view out_rel_path,
    struct x7_view caps, struct x7_bytes *pout);

/* std.net.http.client also exports the resp_* accessors; these are the
 * same functions as x7_net_http_resp_*_v1 (net_http.h), same results. */
X7_API x7_result x7_net_http_client_resp_is_err_v1(struct x7_view doc,
                                                   int32_t *pout);
X7_API x7_result x7_net_http_client_resp_err_code_v1(struct x7_view doc,
                                                     int32_t *pout);
X7_API x7_result x7_net_http_client_resp_ver_v1(struct x7_view doc,
                                                int32_t *pout);
X7_API x7_result x7_net_http_client_resp_status_v1(struct x7_view doc,
                                                   int32_t *pout);
X7_API x7_result x7_net_http_client_resp_header_count_v1(struct x7_view doc,
                                                         int32_t *pout);
X7_API x7_result x7_net_http_client_resp_header_get_v1(struct x7_view doc,
                                                       struct x7_view name,
                                                       struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_resp_body_v1(struct x7_view doc,
                                                 struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_resp_file_path_v1(struct x7_view doc,
                                                      struct x7_bytes *pout);
X7_API x7_result x7_net_http_client_resp_file_len_v1(struct x7_view doc,
                                                     int32_t *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_HTTP_CLIENT_H */
