/*
 * bench/codec.c - throughput of the v1 document codecs.
 *
 * Large: pack (req_post_v1) and unpack (req_body_v1) an HttpReqV1 with a
 * 1 MiB body, each compared with memcpy of the same number of bytes in the
 * same run.  Small: NetAddrV1 pack+unpack and 9-byte error docs, in ops/s.
 *
 * Output: one JSON object on stdout.  Timings are medians over repeated
 * rounds because these machines are noisy; ratios are what to compare
 * across machines, not absolute numbers.
 *
 * Usage: bench_codec [rounds]   (default 101)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <x7/net.h>

#define BODY_LEN (1u << 20)
#define SMALL_OPS 200000

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

static void die(const char *what, x7_result r) {
  fprintf(stderr, "bench_codec: %s failed: %s\n", what, x7_errname(r));
  exit(1);
}

/* Keeps the compiler from discarding work whose result is otherwise
 * unused. */
static volatile uint64_t sink;

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 101;
  double *t_memcpy, *t_pack, *t_unpack, *t_addr, *t_err;
  uint8_t *body, *dst;
  struct x7_bytes headers = {0}, hdr1 = {0}, caps = {0}, doc = {0};
  struct x7_view url = x7_view_str("https://example.com/upload");
  x7_result r;

  if (rounds < 3) rounds = 3;
  t_memcpy = calloc((size_t)rounds, sizeof(double));
  t_pack = calloc((size_t)rounds, sizeof(double));
  t_unpack = calloc((size_t)rounds, sizeof(double));
  t_addr = calloc((size_t)rounds, sizeof(double));
  t_err = calloc((size_t)rounds, sizeof(double));
  body = malloc(BODY_LEN);
  dst = malloc(BODY_LEN);
  if (!t_memcpy || !t_pack || !t_unpack || !t_addr || !t_err || !body || !dst)
    return 1;
  for (size_t i = 0; i < BODY_LEN; i++) body[i] = (uint8_t)(i * 131u + 7u);

  r = x7_net_http_spec_headers_empty_v1(&headers);
  if (r) die("headers_empty", r);
  r = x7_net_http_spec_headers_push_v1(x7_bytes_view(&headers),
                                       x7_view_str("Content-Type"),
                                       x7_view_str("application/octet-stream"),
                                       &hdr1);
  if (r) die("headers_push", r);
  r = x7_net_http_spec_caps_default_v1(&caps);
  if (r) die("caps_default", r);

  /* Touch the reference buffer once so no round pays its page faults. */
  memcpy(dst, body, BODY_LEN);

  for (int k = 0; k < rounds; k++) {
    struct x7_bytes out = {0};
    double t0;

    /* Reference: one plain copy of the body into a warm buffer.  Odd
     * rounds copy after the codec instead of before it, so neither side
     * always finds the source colder in cache. */
    if (k % 2 == 0) {
      t0 = now_ns();
      memcpy(dst, body, BODY_LEN);
      t_memcpy[k] = now_ns() - t0;
      sink += dst[k % BODY_LEN];
    }

    t0 = now_ns();
    r = x7_net_http_spec_req_post_v1(url, x7_bytes_view(&hdr1),
                                     x7_view_of(body, BODY_LEN),
                                     x7_bytes_view(&caps), &doc);
    t_pack[k] = now_ns() - t0;
    if (r) die("req_post_v1", r);

    t0 = now_ns();
    r = x7_net_http_spec_req_body_v1(x7_bytes_view(&doc), &out);
    t_unpack[k] = now_ns() - t0;
    if (r) die("req_body_v1", r);
    if (out.len != BODY_LEN || memcmp(out.ptr, body, BODY_LEN) != 0) {
      fprintf(stderr, "bench_codec: body did not round-trip\n");
      return 1;
    }
    x7_bytes_free(&out);
    x7_bytes_free(&doc);

    if (k % 2 == 1) {
      t0 = now_ns();
      memcpy(dst, body, BODY_LEN);
      t_memcpy[k] = now_ns() - t0;
      sink += dst[k % BODY_LEN];
    }

    /* Small docs: pack + read back, SMALL_OPS times per round. */
    t0 = now_ns();
    for (int i = 0; i < SMALL_OPS; i++) {
      struct x7_bytes a = {0};
      int32_t port = 0;
      r = x7_net_codec_addr_ipv4_v1(10, 0, i & 0xff, 1, i & 0xffff, &a);
      if (r) die("addr_ipv4_v1", r);
      x7_net_codec_addr_port_v1(x7_bytes_view(&a), &port);
      sink += (uint64_t)port;
      x7_bytes_free(&a);
    }
    t_addr[k] = (now_ns() - t0) / SMALL_OPS;

    t0 = now_ns();
    for (int i = 0; i < SMALL_OPS; i++) {
      struct x7_bytes e = {0};
      int32_t code = 0;
      r = x7_net_err_make_doc_v1(1 + (i & 7), &e);
      if (r) die("make_doc_v1", r);
      x7_net_err_err_code_v1(x7_bytes_view(&e), &code);
      sink += (uint64_t)code;
      x7_bytes_free(&e);
    }
    t_err[k] = (now_ns() - t0) / SMALL_OPS;
  }

  {
    double mc = median(t_memcpy, rounds), pk = median(t_pack, rounds);
    double up = median(t_unpack, rounds), ad = median(t_addr, rounds);
    double er = median(t_err, rounds);
    double mib = (double)BODY_LEN / (1024.0 * 1024.0);
    printf("{\"bench\":\"codec\",\"version\":\"%s\",\"rounds\":%d,"
           "\"large\":{\"body_bytes\":%u,"
           "\"memcpy_median_ns\":%.0f,\"memcpy_mib_s\":%.1f,"
           "\"pack_median_ns\":%.0f,\"pack_mib_s\":%.1f,"
           "\"pack_ratio_vs_memcpy\":%.3f,"
           "\"unpack_median_ns\":%.0f,\"unpack_mib_s\":%.1f,"
           "\"unpack_ratio_vs_memcpy\":%.3f,\"goal_ratio\":0.5},"
           "\"small\":{\"addr_ipv4_pack_unpack_median_ns\":%.1f,"
           "\"addr_ipv4_mops_s\":%.2f,"
           "\"err_doc_pack_unpack_median_ns\":%.1f,\"err_doc_mops_s\":%.2f,"
           "\"goal_mops_s\":5}}\n",
           x7_version_str(), rounds, BODY_LEN, mc, mib / (mc / 1e9), pk,
           mib / (pk / 1e9), mc / pk, up, mib / (up / 1e9), mc / up, ad,
           1e3 / ad, er, 1e3 / er);
  }
  x7_bytes_free(&headers);
  x7_bytes_free(&hdr1);
  x7_bytes_free(&caps);
  free(body);
  free(dst);
  free(t_memcpy);
  free(t_pack);
  free(t_unpack);
  free(t_addr);
  free(t_err);
  return sink == 42 ? 2 : 0;
}
