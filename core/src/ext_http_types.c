/* ext_http_types.c - ext.http_types twins (spec §7.4). */
#include <stdio.h>

#include <x7/ext_http_types.h>

#include "core_int.h"

static const uint8_t crlf[2] = {'\r', '\n'};
static const char http11[] = "HTTP/1.1";

x7_result x7_ext_http_types_header_line(struct x7_view name,
                                        struct x7_view value,
                                        struct x7_bytes *pout) {
  struct x7__buf b;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(name);
  X7__IN_VIEW(value);
  x7__buf_init(&b);
  x7__buf_add(&b, name.ptr, name.len);
  x7__buf_add(&b, ": ", 2);
  x7__buf_add(&b, value.ptr, value.len);
  x7__buf_add(&b, crlf, 2);
  return x7__buf_finish(&b, pout);
}

x7_result x7_ext_http_types_lowercase_ascii(struct x7_view b,
                                            struct x7_bytes *pout) {
  x7_result r;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(b);
  r = x7__bytes_dup(b.ptr, b.len, pout);
  if (r) return r;
  for (size_t i = 0; i < pout->len; i++)
    pout->ptr[i] = x7__lower(pout->ptr[i]);
  return X7_OK;
}

static int ends_with(struct x7_view v, const char *suffix, size_t n) {
  return v.len >= n && memcmp(v.ptr + v.len - n, suffix, n) == 0;
}

/* The header block, then just enough CRLFs to end it with a blank line. */
static void add_headers(struct x7__buf *b, struct x7_view headers) {
  x7__buf_add(b, headers.ptr, headers.len);
  if (headers.len == 0 || ends_with(headers, "\r\n", 2)) {
    if (!ends_with(headers, "\r\n\r\n", 4)) x7__buf_add(b, crlf, 2);
  } else {
    x7__buf_add(b, "\r\n\r\n", 4);
  }
}

x7_result x7_ext_http_types_build_request(struct x7_view method,
                                          struct x7_view target,
                                          struct x7_view headers,
                                          struct x7_view body,
                                          struct x7_bytes *pout) {
  struct x7__buf b;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(method);
  X7__IN_VIEW(target);
  X7__IN_VIEW(headers);
  X7__IN_VIEW(body);
  x7__buf_init(&b);
  x7__buf_add(&b, method.ptr, method.len);
  x7__buf_u8(&b, ' ');
  x7__buf_add(&b, target.ptr, target.len);
  x7__buf_u8(&b, ' ');
  x7__buf_add(&b, http11, sizeof http11 - 1);
  x7__buf_add(&b, crlf, 2);
  add_headers(&b, headers);
  x7__buf_add(&b, body.ptr, body.len);
  return x7__buf_finish(&b, pout);
}

x7_result x7_ext_http_types_build_response(int32_t status,
                                           struct x7_view reason,
                                           struct x7_view headers,
                                           struct x7_view body,
                                           struct x7_bytes *pout) {
  struct x7__buf b;
  char dec[16];
  int n;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(reason);
  X7__IN_VIEW(headers);
  X7__IN_VIEW(body);
  n = snprintf(dec, sizeof dec, "%lu", (unsigned long)(uint32_t)status);
  x7__buf_init(&b);
  x7__buf_add(&b, http11, sizeof http11 - 1);
  x7__buf_u8(&b, ' ');
  x7__buf_add(&b, dec, (size_t)n);
  x7__buf_u8(&b, ' ');
  x7__buf_add(&b, reason.ptr, reason.len);
  x7__buf_add(&b, crlf, 2);
  add_headers(&b, headers);
  x7__buf_add(&b, body.ptr, body.len);
  return x7__buf_finish(&b, pout);
}
