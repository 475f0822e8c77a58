/*
 * http_int.h - internal helpers of the HTTP codecs (net_http_spec.c,
 * net_http.c, ext_curl_http.c) and the zero-copy request decoders the
 * backends use.  Never installed.
 */
#ifndef X7_HTTP_INT_H
#define X7_HTTP_INT_H

#include "net_int.h"

/* a + b, or SIZE_MAX (which no reservation can satisfy) on overflow, so
 * size sums of untrusted lengths can go straight to x7__buf_reserve. */
static inline size_t x7__size_add(size_t a, size_t b) {
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* ---- length-prefixed fields (net_http_spec.c) ----
 * Every upstream accessor walks docs the same way: a u32 length read as a
 * signed i32 (>= 2^31 is malformed), then that many bytes, all inside the
 * doc.  On success *pfield views the bytes, *ppos moves past them and 0 is
 * returned; otherwise -1 and *ppos is unchanged. */
int x7__http_field(struct x7_view doc, size_t *ppos, struct x7_view *pfield);

/* One header entry (name field, value field) at *ppos; 0 or -1 as above. */
int x7__http_entry(struct x7_view doc, size_t *ppos, struct x7_view *pname,
                   struct x7_view *pvalue);

/* Skip `count` header entries from *ppos.  0, or -1 when one is malformed
 * (*ppos is then unspecified). */
int x7__http_skip_entries(struct x7_view doc, size_t *ppos, uint32_t count);

/* ---- HttpCapsV1 (net_http_spec.c) ---- */
struct x7__http_caps {
  int32_t follow_location;  /* stored value, 0 by default */
  int32_t timeout_s;        /* 30 */
  int32_t max_redirects;    /* 0 */
  int32_t max_header_bytes; /* 4096 */
  int32_t max_headers;      /* 64 */
  int32_t max_body_bytes;   /* 65536 */
};

/* Every field through the caps_*_v1 accessor rules (defaults for short,
 * wrong-version or negative values). */
void x7__http_caps_read(struct x7_view caps, struct x7__http_caps *pcaps);

/* ---- HttpReqV1 decoder for the backends (net_http_spec.c) ----
 * All views borrow from the decoded doc. */
struct x7__http_req {
  int32_t method;                /* enum x7_net_http_method, 1..7 */
  struct x7_view url;            /* no NUL inside */
  struct x7_view headers;        /* raw HttpHeadersTableV1 bytes */
  struct x7_view body;           /* empty for GET */
  struct x7_view caps;           /* raw caps bytes, any length */
  struct x7__http_caps caps_val; /* caps through the accessors */
};

/* Decode and validate an HttpReqV1 the way std.net.http.client does before
 * it calls a backend (spec §2.8) plus the shim's NUL-in-url check (§4.2).
 * *pcode gets 0 when the doc is usable, else the NetErrDocV1 code the
 * fetch must return (always X7_NET_ERR_INVALID_REQ today); *preq is only
 * meaningful when *pcode is 0.  Never allocates.
 * Returns X7_OK, or X7_EINVAL for NULL out-pointers or an invalid view. */
x7_result x7__http_req_decode(struct x7_view doc, struct x7__http_req *preq,
                              int32_t *pcode);

/* ---- CurlReq validator (ext_curl_http.c) ---- */
struct x7__curl_req {
  int ver;                   /* 1, 2 or 3 */
  int method;                /* 1 GET or 2 POST */
  struct x7_view url;        /* no NUL */
  uint32_t header_count;     /* entries in headers */
  struct x7_view headers;    /* raw entry bytes, already validated */
  struct x7_view body;       /* empty for GET */
  uint32_t flags;            /* bit0 follow location; 0 for ver 1 */
  uint32_t timeout_s;        /* 1..600 (0 became 30; ver 1: 30) */
  uint32_t max_redirects;    /* 0..100 (ver 1: 0) */
  uint32_t max_header_bytes; /* 0..16 MiB (ver 1: 0, no capture) */
  uint32_t max_headers;      /* 0..65535 (ver 1: 0, no capture) */
  struct x7_view out_path;   /* ver 3: safe relative path; else empty */
};

/* Validate a CurlReq like curl_shim.c does before it touches libcurl
 * (spec §2.9, §4.2).  *pcode gets 0 or X7_NET_ERR_INVALID_REQ; *preq is
 * only meaningful when *pcode is 0.  Never allocates.
 * Returns X7_OK, or X7_EINVAL for NULL out-pointers or an invalid view. */
x7_result x7__curl_req_decode(struct x7_view req, struct x7__curl_req *preq,
                              int32_t *pcode);

/* The shim's "safe relative path" rule for output files (spec §4.5):
 * non-empty, not absolute, no NUL or backslash, no empty, "." or ".."
 * segment, no segment starting with ".x07_".  1 if safe, else 0. */
int x7__curl_safe_rel_path(struct x7_view path);

#endif /* X7_HTTP_INT_H */
