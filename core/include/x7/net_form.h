/*
 * net_form.h - std.net.http.form_urlencoded (spec §3.11): building an
 * application/x-www-form-urlencoded body one key/value pair at a time.
 *
 * Encoding of k and v: space -> '+'; A-Z a-z 0-9 and * - . _ literal;
 * every other byte -> %XX with UPPERCASE hex.  Note that '~' is encoded
 * and '*' is not (the percent_encode of ext.url does the opposite).
 *
 * Ownership: out, k and v are borrowed; *pout is a new buffer owned by the
 * caller (x7_bytes_free).  out may be a view of the previous result.
 *
 * Results: X7_OK; X7_EINVAL when pout is NULL or a view has ptr NULL with
 * len > 0; X7_ENOMEM when the result cannot be allocated (*pout empty).
 */
#ifndef X7_NET_FORM_H
#define X7_NET_FORM_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* *pout = out, then '&' if out is not empty, then encode(k) '=' encode(v).
 * Never empty.  Upstream's vec_u8 result is returned as fresh bytes. */
X7_API x7_result x7_net_http_form_urlencoded_append_kv_v1(
    struct x7_view out, struct x7_view k, struct x7_view v,
    struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_FORM_H */
