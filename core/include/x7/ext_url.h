/*
 * ext_url.h - ext.url.parse.url_parse and ext.url.encode (ext-url-rs;
 * spec §2.13, §7.5, §7.6), byte for byte, quirks included.
 *
 * url_parse returns UrlParsedV1: 48 bytes, six (start u32, len u32) pairs
 * into the URL - scheme @0, host @8, port @16, path @24, query @32,
 * fragment @40.  The parser is deliberately naive (it is upstream's): the
 * host ends at the FIRST colon of the authority (so "user:pw@host" gives
 * host "user", port "pw@host", and "[::1]:8080" gives host "["), there is
 * no userinfo or IPv6 handling, a trailing "?" stays in the path (and a
 * trailing "#" in the query or path: "http://h?q#" has query "q#"), and
 * an absent component has len 0 with a start on some boundary.  Every pair
 * satisfies start + len <= url length.  Not used by the HTTP client.
 *
 * percent_encode keeps A-Z a-z 0-9 - . _ ~ and writes every other byte as
 * %XX with uppercase hex (space -> %20, '*' -> %2A).  percent_decode turns
 * '%' + two hex digits (either case) into the byte and copies every other
 * byte, including a '%' without two hex digits after it, unchanged; '+'
 * is not decoded.  decode(encode(x)) == x for every x.
 *
 * All functions: X7_OK on success; X7_EINVAL when the out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when the output cannot be
 * allocated; url_parse also X7_ERANGE for a URL longer than INT32_MAX
 * bytes (upstream offsets are i32).  On failure the output is left empty.
 * Outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_EXT_URL_H
#define X7_EXT_URL_H

#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_EXT_URL_PARSED_LEN 48

X7_API x7_result x7_ext_url_parse_url_parse(struct x7_view url,
                                            struct x7_bytes *pout);
X7_API x7_result x7_ext_url_encode_percent_encode(struct x7_view b,
                                                  struct x7_bytes *pout);
X7_API x7_result x7_ext_url_encode_percent_decode(struct x7_view b,
                                                  struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_EXT_URL_H */
