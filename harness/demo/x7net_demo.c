/*
 * x7net_demo.c - x7net-demo [URL [BODY]]
 *
 * Builds a POST HttpReqV1 (std.net.http.spec.req_post_v1) with one
 * Content-Type header and default HttpCapsV1, prints the doc as hex,
 * reads every field back through the accessors and prints it.  Uses only
 * the installed public API (<x7/net.h>).
 *
 * Exit status: 0 when every field round-trips, 1 when one does not,
 * 2 on a usage error, 3 when the library reports a failure (x7_result).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <x7/net.h>

#define DEMO_URL "https://h/x"
#define DEMO_BODY "hi"
#define DEMO_HDR_NAME "Content-Type"
#define DEMO_HDR_NAME_CANON "content-type"
#define DEMO_HDR_VALUE "text/plain"

static int demo_failed;

static void print_hex(const char *label, struct x7_view v) {
  size_t i;
  printf("%s: ", label);
  for(i = 0; i < v.len; i++)
    printf("%02x", v.ptr[i]);
  printf("\n");
}

/* Quoted, with C escapes, so binary or odd bytes stay visible. */
static void print_quoted(struct x7_view v) {
  size_t i;
  putchar('"');
  for(i = 0; i < v.len; i++) {
    uint8_t c = v.ptr[i];
    if(c == '"' || c == '\\')
      printf("\\%c", c);
    else if(c >= 0x20 && c < 0x7f)
      putchar(c);
    else
      printf("\\x%02x", c);
  }
  putchar('"');
}

static int view_eq(struct x7_view a, struct x7_view b) {
  return a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len));
}

static void check(int ok, const char *what) {
  if(!ok) {
    fprintf(stderr, "x7net-demo: %s did not round-trip\n", what);
    demo_failed = 1;
  }
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

/* Reads one length-prefixed field of an HttpHeadersTableV1 at *pos;
 * 0 when it would run past the end. */
static int next_field(struct x7_view t, size_t *pos, struct x7_view *pfield) {
  uint32_t n;
  if(t.len - *pos < 4)
    return 0;
  n = rd32(t.ptr + *pos);
  *pos += 4;
  if(n > t.len - *pos)
    return 0;
  *pfield = x7_view_of(t.ptr + *pos, n);
  *pos += n;
  return 1;
}

/* Prints the table and checks it is exactly the one header we pushed,
 * with the name lowercased by the builder's canonicalisation. */
static void show_headers(struct x7_view t) {
  size_t pos = 4;
  uint32_t count, i;
  int seen_ours = 0;
  if(t.len < 4) {
    printf("headers: (malformed table)\n");
    check(0, "headers");
    return;
  }
  count = rd32(t.ptr);
  printf("headers: %lu\n", (unsigned long)count);
  for(i = 0; i < count; i++) {
    struct x7_view name, value;
    if(!next_field(t, &pos, &name) || !next_field(t, &pos, &value)) {
      printf("  (truncated entry %lu)\n", (unsigned long)i);
      check(0, "headers");
      return;
    }
    printf("  ");
    print_quoted(name);
    printf(": ");
    print_quoted(value);
    printf("\n");
    if(view_eq(name, x7_view_str(DEMO_HDR_NAME_CANON)) &&
       view_eq(value, x7_view_str(DEMO_HDR_VALUE)))
      seen_ours = 1;
  }
  check(count == 1 && seen_ours && pos == t.len, "headers");
}

static x7_result show_caps(struct x7_view caps) {
  x7_result result;
  int32_t follow = 0, timeout = 0, redirects = 0, hdr_bytes = 0, hdrs = 0;
  int32_t body = 0;

  result = x7_net_http_spec_caps_follow_location_v1(caps, &follow);
  if(!result)
    result = x7_net_http_spec_caps_timeout_s_v1(caps, &timeout);
  if(!result)
    result = x7_net_http_spec_caps_max_redirects_v1(caps, &redirects);
  if(!result)
    result = x7_net_http_spec_caps_max_header_bytes_v1(caps, &hdr_bytes);
  if(!result)
    result = x7_net_http_spec_caps_max_headers_v1(caps, &hdrs);
  if(!result)
    result = x7_net_http_spec_caps_max_body_bytes_v1(caps, &body);
  if(result)
    return result;
  printf("caps: follow_location=%ld timeout_s=%ld max_redirects=%ld "
         "max_header_bytes=%ld max_headers=%ld max_body_bytes=%ld\n",
         (long)follow, (long)timeout, (long)redirects, (long)hdr_bytes,
         (long)hdrs, (long)body);
  return X7_OK;
}

int main(int argc, char **argv) {
  x7_result result;
  struct x7_view url, body;
  struct x7_bytes empty = {NULL, 0}, headers = {NULL, 0};
  struct x7_bytes caps = {NULL, 0}, doc = {NULL, 0};
  struct x7_bytes got_url = {NULL, 0}, got_headers = {NULL, 0};
  struct x7_bytes got_body = {NULL, 0}, got_caps = {NULL, 0};
  int32_t method = 0;

  if(argc > 3) {
    fprintf(stderr, "usage: %s [URL [BODY]]\n", argv[0]);
    return 2;
  }
  url = x7_view_str(argc > 1 ? argv[1] : DEMO_URL);
  body = x7_view_str(argc > 2 ? argv[2] : DEMO_BODY);

  result = x7_net_http_spec_headers_empty_v1(&empty);
  if(result)
    goto out;
  result = x7_net_http_spec_headers_push_v1(
      x7_bytes_view(&empty), x7_view_str(DEMO_HDR_NAME),
      x7_view_str(DEMO_HDR_VALUE), &headers);
  if(result)
    goto out;
  result = x7_net_http_spec_caps_default_v1(&caps);
  if(result)
    goto out;
  result = x7_net_http_spec_req_post_v1(url, x7_bytes_view(&headers), body,
                                        x7_bytes_view(&caps), &doc);
  if(result)
    goto out;

  printf("x7net-demo %s: HttpReqV1 round trip\n", x7_version_str());
  print_hex("doc", x7_bytes_view(&doc));

  result = x7_net_http_spec_req_method_v1(x7_bytes_view(&doc), &method);
  if(result)
    goto out;
  printf("method: %ld (%s)\n", (long)method,
         method == 1 ? "GET" : method == 2 ? "POST" : "?");
  check(method == 2, "method");

  result = x7_net_http_spec_req_url_v1(x7_bytes_view(&doc), &got_url);
  if(result)
    goto out;
  printf("url: ");
  print_quoted(x7_bytes_view(&got_url));
  printf("\n");
  check(view_eq(x7_bytes_view(&got_url), url), "url");

  result = x7_net_http_spec_req_headers_v1(x7_bytes_view(&doc), &got_headers);
  if(result)
    goto out;
  show_headers(x7_bytes_view(&got_headers));

  result = x7_net_http_spec_req_body_v1(x7_bytes_view(&doc), &got_body);
  if(result)
    goto out;
  printf("body: ");
  print_quoted(x7_bytes_view(&got_body));
  printf("\n");
  check(view_eq(x7_bytes_view(&got_body), body), "body");

  result = x7_net_http_spec_req_caps_v1(x7_bytes_view(&doc), &got_caps);
  if(result)
    goto out;
  result = show_caps(x7_bytes_view(&got_caps));
  if(result)
    goto out;
  check(view_eq(x7_bytes_view(&got_caps), x7_bytes_view(&caps)), "caps");

  printf("round trip: %s\n", demo_failed ? "FAILED" : "ok");

out:
  x7_bytes_free(&empty);
  x7_bytes_free(&headers);
  x7_bytes_free(&caps);
  x7_bytes_free(&doc);
  x7_bytes_free(&got_url);
  x7_bytes_free(&got_headers);
  x7_bytes_free(&got_body);
  x7_bytes_free(&got_caps);
  if(result) {
    fprintf(stderr, "x7net-demo: %s (%s)\n", x7_strerror(result),
            x7_errname(result));
    return 3;
  }
  return demo_failed ? 1 : 0;
}
