/* rr_prog.c - a plain std.net.http program for the environment tests: it
 * knows nothing about cassettes, so whatever it prints under
 * X07_NET_CASSETTE / X07_NET_RR_MODE is what a real program would see.
 *
 *   rr_prog [-H name:value] [-d body] [-o out_file] [-f] URL...
 *
 * For every URL it prints one line: "<backend> <doc-hex-prefix...>"
 * where the doc is printed in full as hex (docs are small in tests).
 * Exit status: 0 when every fetch returned X7_OK, 3 otherwise (the
 * result name and x7_backend_errmsg() go to stderr). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x7/net.h>
#include <x7/x7_backend.h>
#include <x7/x7_cassette.h>

int main(int argc, char **argv) {
  struct x7_bytes headers = {0}, caps = {0};
  const char *body = NULL, *out = NULL;
  int follow = 0, status = 0;

  if (x7_net_http_spec_headers_empty_v1(&headers)) return 2;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-H") == 0 && i + 1 < argc) {
      const char *h = argv[++i], *colon = strchr(h, ':');
      struct x7_bytes next = {0};
      if (!colon) return 2;
      if (x7_net_http_spec_headers_push_v1(x7_bytes_view(&headers),
                                           x7_view_of(h, (size_t)(colon - h)),
                                           x7_view_str(colon + 1), &next))
        return 2;
      x7_bytes_free(&headers);
      headers = next;
      continue;
    }
    if (strcmp(argv[i], "-d") == 0 && i + 1 < argc) {
      body = argv[++i];
      continue;
    }
    if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      out = argv[++i];
      continue;
    }
    if (strcmp(argv[i], "-f") == 0) {
      follow = 1;
      continue;
    }
    {
      struct x7_bytes req = {0}, resp = {0};
      const char *name = "?";
      x7_result r;
      x7_bytes_free(&caps);
      if (x7_net_http_spec_caps_v1(follow, 10, 10, 65536, 64, 1 << 20, &caps))
        return 2;
      r = x7_net_http_spec_req_v1(
          body ? 2 : 1, x7_view_str(argv[i]), x7_bytes_view(&headers),
          body ? x7_view_str(body) : x7_view_of(NULL, 0), x7_bytes_view(&caps),
          &req);
      if (r) return 2;
      if (out)
        r = x7_net_http_fetch_to_file_v1(x7_bytes_view(&req), x7_view_str(out),
                                         &resp);
      else
        r = x7_net_http_fetch_v1(x7_bytes_view(&req), &resp);
      (void)x7_backend_current(&name);
      if (r) {
        fprintf(stderr, "fetch %s: %s: %s\n", argv[i], x7_errname(r),
                x7_backend_errmsg());
        status = 3;
      } else {
        printf("%s ", name ? name : "?");
        for (size_t k = 0; k < resp.len; k++) printf("%02x", resp.ptr[k]);
        printf("\n");
      }
      x7_bytes_free(&req);
      x7_bytes_free(&resp);
    }
  }
  x7_bytes_free(&headers);
  x7_bytes_free(&caps);
  fflush(stdout);
  return status;
}
