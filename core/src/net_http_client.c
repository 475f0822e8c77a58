/*
 * net_http_client.c - the fetch twins of std.net.http(.client): validate
 * the request doc in the core, then hand a decoded view to the backend.
 *
 * Validation mirrors _fetch_common_v1 plus the checks curl_shim.c made
 * before touching libcurl (spec §2.8, §4.2), so every backend sees the
 * same, already-sane request and error docs do not depend on the backend.
 */
#include <string.h>

#include <x7/net_err.h>
#include <x7/net_http.h>
#include <x7/net_http_client.h>
#include <x7/net_http_spec.h>

#include "backend_int.h"
#include "http_int.h"
#include "policy_int.h"

#define MAX_TIMEOUT_S 600
#define MAX_REDIRECTS 100
#define MAX_HEADER_BYTES (16u * 1024u * 1024u)
#define MAX_HEADERS 65535
#define DEFAULT_REDIRECTS 5

/* RFC 9110 tchar: anything else in a name (":" or a space, say) would
 * change which header the transport actually sends. */
static int is_tchar(uint8_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Headers that decide how messages are framed or how the connection is
 * used belong to the transport.  With connections kept alive, a caller's
 * "content-length: 0" in front of a body that is itself a request would
 * make the next, unrelated fetch on that connection read the wrong
 * response, so they are refused instead of forwarded.  Names arrive
 * lowercased by canonicalisation. */
static int framing_header(struct x7_view name) {
  static const char *const names[] = {
      "content-length", "transfer-encoding", "connection", "keep-alive",
      "proxy-connection", "upgrade", "te", "trailer"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (name.len == strlen(names[i]) &&
        memcmp(name.ptr, names[i], name.len) == 0)
      return 1;
  return 0;
}

/* Every entry must be sendable as a "name: value" line: a token name that
 * is not a framing header, and a value without NUL, CR or LF (upstream let
 * CR/LF through into libcurl: header injection, spec §9.6). */
static int headers_ok(struct x7_view table) {
  size_t pos = 4;
  uint32_t count;
  if (table.len < 4) return 0;
  count = x7__rd32(table.ptr);
  for (uint32_t i = 0; i < count; i++) {
    struct x7_view name, value;
    if (x7__http_entry(table, &pos, &name, &value)) return 0;
    if (name.len == 0 || framing_header(name)) return 0;
    for (size_t k = 0; k < name.len; k++)
      if (!is_tchar(name.ptr[k])) return 0;
    for (size_t k = 0; k < value.len; k++)
      if (value.ptr[k] == 0 || value.ptr[k] == '\r' || value.ptr[k] == '\n')
        return 0;
  }
  return pos == table.len;
}

/* Range checks of the shim (timeout 0 means 30; redirects 0 means 5 when
 * following).  Returns 0 or X7_NET_ERR_INVALID_REQ. */
static int32_t caps_to_fetch(const struct x7__http_caps *c,
                             struct x7_http_fetch *f) {
  if (c->timeout_s > MAX_TIMEOUT_S || c->max_redirects > MAX_REDIRECTS ||
      (uint32_t)c->max_header_bytes > MAX_HEADER_BYTES ||
      c->max_headers > MAX_HEADERS)
    return X7_NET_ERR_INVALID_REQ;
  f->follow_location = c->follow_location != 0;
  f->timeout_s = c->timeout_s ? (uint32_t)c->timeout_s : 30;
  f->max_redirects = 0;
  if (f->follow_location)
    f->max_redirects =
        c->max_redirects ? (uint32_t)c->max_redirects : DEFAULT_REDIRECTS;
  f->max_header_bytes = (uint32_t)c->max_header_bytes;
  f->max_headers = (uint32_t)c->max_headers;
  f->max_body_bytes = (uint32_t)c->max_body_bytes;
  return 0;
}

static x7_result fetch_common(struct x7_view doc, struct x7_view out_path,
                              int to_file, struct x7_bytes *pout) {
  struct x7__http_req req;
  struct x7_http_fetch f = {0};
  struct x7_bytes canon = {0};
  const struct x7_backend_ops *ops;
  int32_t code;
  x7_result r;

  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  X7__IN_VIEW(out_path);
  r = x7__http_req_decode(doc, &req, &code);
  if (r) return r;
  if (!code && to_file && !x7__curl_safe_rel_path(out_path))
    code = X7_NET_ERR_INVALID_REQ;
  if (!code) code = caps_to_fetch(&req.caps_val, &f);
  if (code) return x7__net_err_doc(code, pout);

  /* The client canonicalises again before sending, as upstream does, so
   * a hand-built doc gets the same wire headers as a builder-made one. */
  r = x7_net_http_spec_headers_canon_join_sorted_v1(req.headers, &canon);
  if (r) return r;
  if (!headers_ok(x7_bytes_view(&canon))) {
    r = x7__net_err_doc(X7_NET_ERR_INVALID_REQ, pout);
    goto out;
  }
  r = x7__backend_get(&ops);
  if (r) goto out;
  f.method = (uint32_t)req.method;
  f.url = req.url;
  f.headers = x7_bytes_view(&canon);
  f.body = req.body;
  f.out_path = to_file ? out_path : x7_view_of(NULL, 0);
  /* The sandbox decides the first hop before any backend runs: a denial
   * sends no DNS query and opens no socket (policy.c). */
  code = x7__policy_http_gate(x7__policy_current(), &f);
  if (code) {
    r = x7__net_err_doc(code, pout);
    goto out;
  }
  r = ops->http_fetch(&f, pout);
  if (r) x7_bytes_free(pout);
out:
  x7_bytes_free(&canon);
  return r;
}

x7_result x7_net_http_fetch_v1(struct x7_view req, struct x7_bytes *pout) {
  return fetch_common(req, x7_view_of(NULL, 0), 0, pout);
}

x7_result x7_net_http_fetch_to_file_v1(struct x7_view req,
                                       struct x7_view out_rel_path,
                                       struct x7_bytes *pout) {
  return fetch_common(req, out_rel_path, 1, pout);
}

/* Build the request the convenience functions describe (no headers), then
 * fetch it. */
static x7_result build_and_fetch(int post, struct x7_view url,
                                 struct x7_view body, struct x7_view caps,
                                 struct x7_view out_path, int to_file,
                                 struct x7_bytes *pout) {
  static const uint8_t no_headers[4] = {0};
  struct x7_bytes doc = {0};
  x7_result r;
  X7__OUT_BYTES(pout);
  if (post)
    r = x7_net_http_spec_req_post_v1(url, x7_view_of(no_headers, 4), body,
                                     caps, &doc);
  else
    r = x7_net_http_spec_req_get_v1(url, x7_view_of(no_headers, 4), caps,
                                    &doc);
  if (!r) r = fetch_common(x7_bytes_view(&doc), out_path, to_file, pout);
  x7_bytes_free(&doc);
  return r;
}

x7_result x7_net_http_get_v1(struct x7_view url, struct x7_view caps,
                             struct x7_bytes *pout) {
  return build_and_fetch(0, url, x7_view_of(NULL, 0), caps,
                         x7_view_of(NULL, 0), 0, pout);
}

x7_result x7_net_http_post_v1(struct x7_view url, struct x7_view body,
                              struct x7_view caps, struct x7_bytes *pout) {
  return build_and_fetch(1, url, body, caps, x7_view_of(NULL, 0), 0, pout);
}

x7_result x7_net_http_get_to_file_v1(struct x7_view url,
                                     struct x7_view out_rel_path,
                                     struct x7_view caps,
                                     struct x7_bytes *pout) {
  return build_and_fetch(0, url, x7_view_of(NULL, 0), caps, out_rel_path, 1,
                         pout);
}

x7_result x7_net_http_post_to_file_v1(struct x7_view url, struct x7_view body,
                                      struct x7_view out_rel_path,
                                      struct x7_view caps,
                                      struct x7_bytes *pout) {
  return build_and_fetch(1, url, body, caps, out_rel_path, 1, pout);
}

/* std.net.http.client exports the same functions; the facade forwards. */
x7_result x7_net_http_client_fetch_v1(struct x7_view req,
                                      struct x7_bytes *pout) {
  return x7_net_http_fetch_v1(req, pout);
}
x7_result x7_net_http_client_fetch_to_file_v1(struct x7_view req,
                                              struct x7_view out_rel_path,
                                              struct x7_bytes *pout) {
  return x7_net_http_fetch_to_file_v1(req, out_rel_path, pout);
}
x7_result x7_net_http_client_get_v1(struct x7_view url, struct x7_view caps,
                                    struct x7_bytes *pout) {
  return x7_net_http_get_v1(url, caps, pout);
}
x7_result x7_net_http_client_post_v1(struct x7_view url, struct x7_view body,
                                     struct x7_view caps,
                                     struct x7_bytes *pout) {
  return x7_net_http_post_v1(url, body, caps, pout);
}
x7_result x7_net_http_client_get_to_file_v1(struct x7_view url,
                                            struct x7_view out_rel_path,
                                            struct x7_view caps,
                                            struct x7_bytes *pout) {
  return x7_net_http_get_to_file_v1(url, out_rel_path, caps, pout);
}
x7_result x7_net_http_client_post_to_file_v1(struct x7_view url,
                                             struct x7_view body,
                                             struct x7_view out_rel_path,
                                             struct x7_view caps,
                                             struct x7_bytes *pout) {
  return x7_net_http_post_to_file_v1(url, body, out_rel_path, caps, pout);
}

#define RESP_I32_ALIAS(fn)                                                 \
  x7_result x7_net_http_client_##fn(struct x7_view doc, int32_t *pout) {   \
    return x7_net_http_##fn(doc, pout);                                    \
  }
#define RESP_BYTES_ALIAS(fn)                                               \
  x7_result x7_net_http_client_##fn(struct x7_view doc,                    \
                                    struct x7_bytes *pout) {               \
    return x7_net_http_##fn(doc, pout);                                    \
  }
RESP_I32_ALIAS(resp_is_err_v1)
RESP_I32_ALIAS(resp_err_code_v1)
RESP_I32_ALIAS(resp_ver_v1)
RESP_I32_ALIAS(resp_status_v1)
RESP_I32_ALIAS(resp_header_count_v1)
RESP_I32_ALIAS(resp_file_len_v1)
RESP_BYTES_ALIAS(resp_body_v1)
RESP_BYTES_ALIAS(resp_file_path_v1)

x7_result x7_net_http_client_resp_header_get_v1(struct x7_view doc,
                                                struct x7_view name,
                                                struct x7_bytes *pout) {
  return x7_net_http_resp_header_get_v1(doc, name, pout);
}
