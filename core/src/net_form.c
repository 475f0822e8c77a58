/* net_form.c - std.net.http.form_urlencoded.append_kv_v1 (spec §3.11). */
#include <x7/net_form.h>

#include "net_int.h"

static int form_literal(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' ||
         c == '_';
}

/* Encoded size of s, or SIZE_MAX if it does not fit a size_t. */
static size_t encoded_len(struct x7_view s) {
  size_t n = 0;
  for (size_t i = 0; i < s.len; i++) {
    size_t w = (s.ptr[i] == ' ' || form_literal(s.ptr[i])) ? 1 : 3;
    if (n > SIZE_MAX - w) return SIZE_MAX;
    n += w;
  }
  return n;
}

static uint8_t *encode(uint8_t *dst, struct x7_view s) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < s.len; i++) {
    uint8_t c = s.ptr[i];
    if (c == ' ') {
      *dst++ = '+';
    } else if (form_literal(c)) {
      *dst++ = c;
    } else {
      *dst++ = '%';
      *dst++ = (uint8_t)hex[c >> 4];
      *dst++ = (uint8_t)hex[c & 15];
    }
  }
  return dst;
}

x7_result x7_net_http_form_urlencoded_append_kv_v1(struct x7_view out,
                                                   struct x7_view k,
                                                   struct x7_view v,
                                                   struct x7_bytes *pout) {
  size_t ek, ev, total;
  uint8_t *buf, *p;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(out);
  X7__IN_VIEW(k);
  X7__IN_VIEW(v);
  /* Size everything first: one exact allocation, and `out` may alias a
   * buffer the caller frees only after this returns. */
  ek = encoded_len(k);
  ev = encoded_len(v);
  if (out.len == SIZE_MAX) return X7_ENOMEM;
  total = out.len + (out.len > 0);
  if (ek > SIZE_MAX - total) return X7_ENOMEM;
  total += ek;
  if (total == SIZE_MAX || ev > SIZE_MAX - total - 1) return X7_ENOMEM;
  total += ev + 1;
  buf = x7__malloc(total);
  if (!buf) return X7_ENOMEM;
  p = buf;
  if (out.len) {
    memcpy(p, out.ptr, out.len);
    p += out.len;
    *p++ = '&';
  }
  p = encode(p, k);
  *p++ = '=';
  encode(p, v);
  pout->ptr = buf;
  pout->len = total;
  return X7_OK;
}
