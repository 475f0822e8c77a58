/* ext_url.c - ext.url.parse.url_parse and ext.url.encode twins (spec
 * §2.13, §7.5, §7.6). */
#include <x7/ext_url.h>

#include "core_int.h"

static int is_alpha(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int is_scheme_char(uint8_t c, int first) {
  if (is_alpha(c)) return 1;
  if (first) return 0;
  return is_digit(c) || c == '+' || c == '-' || c == '.';
}

/* Index of the first byte that is ':' or cannot continue a scheme. */
static size_t scheme_stop(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] == ':' || !is_scheme_char(p[i], i == 0)) break;
  return i;
}

/* First index in [start, end) holding a byte of set, else end. */
static size_t find_any(const uint8_t *p, size_t start, size_t end,
                       const char *set) {
  for (size_t i = start; i < end; i++)
    if (p[i] && strchr(set, p[i])) return i;
  return end;
}

/*
 * Follows §7.6 step by step.  "Absent" positions are n (the URL length),
 * and the start of a query or fragment is the index AFTER its '?' / '#',
 * which is why a lone trailing '?' (query_start == n) counts as no query
 * and stays in the path.
 */
x7_result x7_ext_url_parse_url_parse(struct x7_view url,
                                     struct x7_bytes *pout) {
  const uint8_t *p = url.ptr;
  const size_t n = url.len;
  size_t stop, off = 0, path_start, host_end, port_start, port_len;
  size_t query_start, frag_start, path_end, query_end, q;
  int has_scheme, has_auth, has_port;
  uint8_t doc[X7_EXT_URL_PARSED_LEN];

  X7__OUT_BYTES(pout);
  X7__IN_VIEW(url);
  if (n > INT32_MAX) return X7_ERANGE;

  stop = scheme_stop(p, n);
  has_scheme = stop < n && p[stop] == ':';
  if (has_scheme) off = stop + 1;
  has_auth = off + 1 < n && p[off] == '/' && p[off + 1] == '/';
  if (has_auth) off += 2;

  path_start = has_auth ? find_any(p, off, n, "/?#") : off;
  host_end = has_auth ? find_any(p, off, path_start, ":") : off;
  has_port = has_auth && host_end < path_start;
  port_start = has_port ? host_end + 1 : path_start;
  port_len = has_port ? path_start - port_start : 0;

  query_start = n;
  for (q = path_start; q < n; q++) {
    if (p[q] == '?') {
      query_start = q + 1;
      break;
    }
    if (p[q] == '#') break;
  }
  frag_start = find_any(p, query_start < n ? query_start : path_start, n, "#");
  if (frag_start < n) frag_start++;
  path_end = query_start < n  ? query_start - 1
             : frag_start < n ? frag_start - 1
                              : n;
  query_end = frag_start < n ? frag_start - 1 : n;

  x7__wr32(doc + 0, 0);
  x7__wr32(doc + 4, has_scheme ? (uint32_t)stop : 0);
  x7__wr32(doc + 8, (uint32_t)off);
  x7__wr32(doc + 12, (uint32_t)(host_end - off));
  x7__wr32(doc + 16, (uint32_t)port_start);
  x7__wr32(doc + 20, (uint32_t)port_len);
  x7__wr32(doc + 24, (uint32_t)path_start);
  x7__wr32(doc + 28, (uint32_t)(path_end - path_start));
  x7__wr32(doc + 32, (uint32_t)query_start);
  x7__wr32(doc + 36,
           query_start < n ? (uint32_t)(query_end - query_start) : 0);
  x7__wr32(doc + 40, (uint32_t)frag_start);
  x7__wr32(doc + 44, frag_start < n ? (uint32_t)(n - frag_start) : 0);
  return x7__bytes_dup(doc, sizeof doc, pout);
}

static int is_unreserved(uint8_t c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

static int hex_val(uint8_t c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

x7_result x7_ext_url_encode_percent_encode(struct x7_view b,
                                           struct x7_bytes *pout) {
  static const char hex[] = "0123456789ABCDEF";
  struct x7__buf out;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(b);
  x7__buf_init(&out);
  for (size_t i = 0; i < b.len; i++) {
    const uint8_t c = b.ptr[i];
    if (is_unreserved(c)) {
      x7__buf_u8(&out, c);
    } else {
      const uint8_t esc[3] = {'%', (uint8_t)hex[c >> 4], (uint8_t)hex[c & 15]};
      x7__buf_add(&out, esc, sizeof esc);
    }
  }
  return x7__buf_finish(&out, pout);
}

x7_result x7_ext_url_encode_percent_decode(struct x7_view b,
                                           struct x7_bytes *pout) {
  struct x7__buf out;
  size_t i = 0;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(b);
  x7__buf_init(&out);
  /* The output is never longer than the input: reserve once. */
  if (b.len) x7__buf_reserve(&out, b.len);
  while (i < b.len) {
    const uint8_t c = b.ptr[i];
    if (c == '%' && b.len - i > 2) {
      const int hi = hex_val(b.ptr[i + 1]), lo = hex_val(b.ptr[i + 2]);
      if (hi >= 0 && lo >= 0) {
        x7__buf_u8(&out, (uint8_t)(hi << 4 | lo));
        i += 3;
        continue;
      }
    }
    x7__buf_u8(&out, c);
    i++;
  }
  return x7__buf_finish(&out, pout);
}
