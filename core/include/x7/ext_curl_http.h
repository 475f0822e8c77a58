/*
 * ext_curl_http.h - ext.curl.http: builders of the CurlReq doc that
 * std.net.http.client hands to the HTTP backend (spec §2.9, §3.12).
 *
 * CurlReq = ver u8, method u8, url_len u32, url, header_count u32,
 * header entries, body_len u32, body, then for ver >= 2 flags u32,
 * timeout_s u32, max_redirects u32, max_header_bytes u32, max_headers u32,
 * then for ver 3 out_path_len u32, out_path.  ver 2 answers in memory
 * (HttpRespV2), ver 3 writes the body to out_path (HttpRespToFileV1).
 *
 * The builders copy the headers table's count and raw entry bytes without
 * validating them (a table shorter than 4 bytes gives count 0 and no
 * entries); flags is 1 when follow_location is non-zero (negative
 * included), else 0; other negative numbers are stored as 0.  Values are
 * not range-checked here: the backend rejects out-of-range requests with
 * NetErrDocV1 INVALID_REQ.  Argument order is upstream's.
 *
 * All functions return X7_OK on success; X7_EINVAL when an out-pointer is
 * NULL or a view has ptr NULL with len > 0; X7_ERANGE when url, body or
 * out_path is longer than 2^31 - 1 bytes; X7_ENOMEM when the output cannot
 * be allocated (left empty).  Outputs are owned by the caller
 * (x7_bytes_free); inputs are borrowed for the call only.
 */
#ifndef X7_EXT_CURL_HTTP_H
#define X7_EXT_CURL_HTTP_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_EXT_CURL_REQ_FLAG_FOLLOWLOCATION 1

/* Validation limits the backend applies to CurlReq ver >= 2. */
#define X7_EXT_CURL_MAX_TIMEOUT_S 600
#define X7_EXT_CURL_MAX_REDIRECTS 100
#define X7_EXT_CURL_MAX_HEADER_BYTES (16 * 1024 * 1024)
#define X7_EXT_CURL_MAX_HEADERS 65535

/* ver 2, GET (method 1), empty body. */
X7_API x7_result x7_ext_curl_http_req_get_v2(
    struct x7_view url, struct x7_view headers, int32_t follow_location,
    int32_t timeout_s, int32_t max_redirects, int32_t max_header_bytes,
    int32_t max_headers, struct x7_bytes *pout);
/* ver 2, POST (method 2). */
X7_API x7_result x7_ext_curl_http_req_post_v2(
    struct x7_view url, struct x7_view headers, struct x7_view body,
    int32_t follow_location, int32_t timeout_s, int32_t max_redirects,
    int32_t max_header_bytes, int32_t max_headers, struct x7_bytes *pout);
/* ver 3, GET, empty body, response body written to out_path. */
X7_API x7_result x7_ext_curl_http_req_get_to_file_v3(
    struct x7_view url, struct x7_view headers, struct x7_view out_path,
    int32_t follow_location, int32_t timeout_s, int32_t max_redirects,
    int32_t max_header_bytes, int32_t max_headers, struct x7_bytes *pout);
/* ver 3, POST, response body written to out_path. */
X7_API x7_result x7_ext_curl_http_req_post_to_file_v3(
    struct x7_view url, struct x7_view headers, struct x7_view body,
    struct x7_view out_path, int32_t follow_location, int32_t timeout_s,
    int32_t max_redirects, int32_t max_header_bytes, int32_t max_headers,
    struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_EXT_CURL_HTTP_H */
