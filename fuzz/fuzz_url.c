/*
 * fuzz_url.c - ext.url.parse.url_parse and ext.url.encode (spec §2.13,
 * §7.5, §7.6).
 *
 * Input: mode u8 (unused today, kept so seeds stay valid when one is
 * needed), then the bytes (rest), used both as a URL and as data.
 *
 * Invariants: url_parse gives 48 bytes whose six (start, len) pairs all
 * lie inside the URL, in order and without overlap, with the delimiters
 * §7.6 puts around them (':' after the scheme and before the port, '?'
 * before the query, '#' before the fragment) and none of the delimiters
 * that end them inside (trailing '?' / '#' quirks allowed);
 * percent_encode uses only unreserved bytes and %XX with uppercase hex,
 * and percent_decode(percent_encode(x)) == x; percent_decode matches an
 * independent decoder.
 */
#include <x7/ext_url.h>

#include "fuzz_common.h"

static int is_alpha(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int is_unreserved(uint8_t c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

static int hex_val(uint8_t c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* The only '?' / '#' a component may hold is the URL's last byte. */
static int only_last(struct x7_view url, size_t start, size_t len,
                     uint8_t c) {
  for (size_t i = start; i < start + len; i++)
    if (url.ptr[i] == c && i != url.len - 1) return 0;
  return 1;
}

static void check_parse(struct x7_view url) {
  struct x7_bytes d = {0};
  uint32_t s[6], l[6];
  size_t prev_end = 0;
  FUZZ_OK(x7_ext_url_parse_url_parse(url, &d));
  FUZZ_CHECK(d.len == 48);
  for (int i = 0; i < 6; i++) {
    s[i] = fuzz_rd32(d.ptr + 8 * i);
    l[i] = fuzz_rd32(d.ptr + 8 * i + 4);
    FUZZ_CHECK(s[i] <= url.len && l[i] <= url.len - s[i]);
    if (l[i]) {
      FUZZ_CHECK(s[i] >= prev_end);
      prev_end = s[i] + (size_t)l[i];
    }
  }
  x7_bytes_free(&d);

  /* scheme = [0, stop) with stop the ':' */
  FUZZ_CHECK(s[0] == 0);
  if (l[0]) {
    FUZZ_CHECK(url.ptr[l[0]] == ':' && is_alpha(url.ptr[0]));
    for (size_t i = 1; i < l[0]; i++) {
      uint8_t c = url.ptr[i];
      FUZZ_CHECK(is_alpha(c) || is_digit(c) || c == '+' || c == '-' ||
                 c == '.');
    }
  }
  /* host and port end at the first ':' and at '/', '?' or '#' */
  for (size_t i = s[1]; i < s[1] + (size_t)l[1]; i++)
    FUZZ_CHECK(url.ptr[i] != ':' && url.ptr[i] != '/' && url.ptr[i] != '?' &&
               url.ptr[i] != '#');
  for (size_t i = s[2]; i < s[2] + (size_t)l[2]; i++)
    FUZZ_CHECK(url.ptr[i] != '/' && url.ptr[i] != '?' && url.ptr[i] != '#');
  if (l[2]) FUZZ_CHECK(s[2] == s[1] + l[1] + 1 && url.ptr[s[2] - 1] == ':');
  if (l[1] || l[2]) FUZZ_CHECK(s[1] >= 2 && url.ptr[s[1] - 1] == '/' &&
                               url.ptr[s[1] - 2] == '/');
  /* path: at most a trailing '?' or '#' */
  FUZZ_CHECK(only_last(url, s[3], l[3], '?') &&
             only_last(url, s[3], l[3], '#'));
  if (l[4]) {
    FUZZ_CHECK(url.ptr[s[4] - 1] == '?');
    FUZZ_CHECK(only_last(url, s[4], l[4], '#'));
  }
  if (l[5]) FUZZ_CHECK(url.ptr[s[5] - 1] == '#');
}

static void check_encode(struct x7_view x) {
  struct x7_bytes e = {0}, back = {0};
  size_t want = 0;
  FUZZ_OK(x7_ext_url_encode_percent_encode(x, &e));
  for (size_t i = 0; i < x.len; i++) want += is_unreserved(x.ptr[i]) ? 1 : 3;
  FUZZ_CHECK(e.len == want);
  for (size_t i = 0; i < e.len; i++) {
    if (is_unreserved(e.ptr[i])) continue;
    FUZZ_CHECK(e.ptr[i] == '%' && i + 2 < e.len);
    for (int k = 1; k <= 2; k++)
      FUZZ_CHECK(is_digit(e.ptr[i + k]) ||
                 (e.ptr[i + k] >= 'A' && e.ptr[i + k] <= 'F'));
    i += 2;
  }
  FUZZ_OK(x7_ext_url_encode_percent_decode(x7_bytes_view(&e), &back));
  FUZZ_CHECK(fuzz_beq(&back, x));
  x7_bytes_free(&e);
  x7_bytes_free(&back);
}

static void check_decode(struct x7_view x) {
  struct x7_bytes d = {0};
  uint8_t *want = malloc(x.len ? x.len : 1);
  size_t n = 0;
  FUZZ_CHECK(want != NULL);
  for (size_t i = 0; i < x.len; i++) {
    if (x.ptr[i] == '%' && i + 2 < x.len && hex_val(x.ptr[i + 1]) >= 0 &&
        hex_val(x.ptr[i + 2]) >= 0) {
      want[n++] = (uint8_t)(hex_val(x.ptr[i + 1]) * 16 + hex_val(x.ptr[i + 2]));
      i += 2;
    } else {
      want[n++] = x.ptr[i];
    }
  }
  FUZZ_OK(x7_ext_url_encode_percent_decode(x, &d));
  FUZZ_CHECK(fuzz_beq(&d, x7_view_of(want, n)));
  x7_bytes_free(&d);
  free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fuzz_input in;
  struct x7_view x;
  fuzz_init(&in, data, size);
  (void)fuzz_u8(&in);
  x = fuzz_rest(&in);
  check_parse(x);
  check_encode(x);
  check_decode(x);
  fuzz_done(&in);
  return 0;
}
