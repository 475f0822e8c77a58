/*
 * bench/http_live.c - keep-alive GET throughput of the live backend
 * against a plain libcurl loop, on a loopback nginx, in the same run.
 *
 * Both sides fetch /1k (1024 bytes) from the same nginx, over HTTP and over
 * HTTPS (ALPN, so h2), reusing their connection.  The reference is what a
 * careful C programmer writes by hand: one easy handle, reused, writing into
 * a buffer.  x7net goes through the whole stack: HttpReqV1 validation,
 * header canonicalisation, the vtable, header capture and the response doc.
 *
 * Rounds alternate reference and x7net so drift on a noisy machine hits
 * both; the JSON reports per-side medians of requests/s, their ratio, and
 * how many connections each side opened (1 means full reuse).
 *
 * Usage: bench_http_live [total_requests_per_side] [rounds]
 *        (defaults 20000 and 10).  Needs nginx-light and openssl.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include <x7/net.h>

#include "../backends/live/be_live_int.h"
#include "peer.h"

struct sink {
  size_t len;
  uint8_t buf[4096];
};

static size_t ref_write(char *p, size_t size, size_t n, void *ud) {
  struct sink *s = ud;
  size_t len = size * n;
  if (len > sizeof s->buf - s->len) return 0;
  memcpy(s->buf + s->len, p, len);
  s->len += len;
  return len;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what) {
  fprintf(stderr, "bench_http_live: %s\n", what);
  exit(1);
}

/* The hand-written reference: one handle, reused for every request. */
static double run_ref(CURL *h, struct sink *s, int n, long *pconnects) {
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    long code = 0, conns = 0;
    s->len = 0;
    if (curl_easy_perform(h) != CURLE_OK) die("reference fetch failed");
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &conns);
    if (code != 200 || s->len != 1024) die("reference got a wrong response");
    *pconnects += conns;
  }
  return n / (now_s() - t0);
}

static double run_x7(struct x7_view req, int n, long *pconnects) {
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    struct x7_bytes resp = {0};
    struct x7__live_diag d;
    int32_t status = 0;
    if (x7_net_http_fetch_v1(req, &resp) != X7_OK) die("x7net fetch failed");
    x7_net_http_resp_status_v1(x7_bytes_view(&resp), &status);
    /* ok doc header (10) + headers + body_len (4) + 1024 body bytes */
    if (status != 200 || resp.len < 10 + 4 + 1024)
      die("x7net got a wrong response");
    x7_bytes_free(&resp);
    x7__live_last_diag(&d);
    *pconnects += d.num_connects;
  }
  return n / (now_s() - t0);
}

int main(int argc, char **argv) {
  int total = argc > 1 ? atoi(argv[1]) : 20000;
  int rounds = argc > 2 ? atoi(argv[2]) : 10;
  static const char *const kinds[2] = {"http", "https"};
  struct x7t_pki *pki = NULL;
  struct x7t_nginx *ng = NULL;
  struct x7t_nginx_opts opts = {0};
  double *rate_ref, *rate_x7;
  int per_round;

  if (rounds < 1) rounds = 1;
  if (total < rounds) total = rounds;
  per_round = total / rounds;
  rate_ref = calloc((size_t)rounds, sizeof *rate_ref);
  rate_x7 = calloc((size_t)rounds, sizeof *rate_x7);
  if (!rate_ref || !rate_x7) die("out of memory");

  /* Loopback only: a proxy from the environment must not see (or break)
   * the traffic of either side. */
  static const char *const proxy_vars[] = {
      "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
      "all_proxy",  "ALL_PROXY",   "no_proxy",   "NO_PROXY"};
  for (size_t i = 0; i < sizeof proxy_vars / sizeof proxy_vars[0]; i++)
    unsetenv(proxy_vars[i]);
  if (x7t_pki_new(&pki) != X7T_PEER_OK) die(x7t_peer_error());
  opts.pki = pki;
  opts.extra_http_conf = "access_log off;";
  if (x7t_nginx_start(&opts, &ng) != X7T_PEER_OK) die(x7t_peer_error());
  setenv("X07_NET_CA_FILE", pki->ca_cert, 1);
  if (x7_backend_select("live") != X7_OK) die("no live backend");

  printf("{\"bench\":\"http_live\",\"version\":\"%s\",\"body_bytes\":1024,"
         "\"requests_per_side\":%d,\"rounds\":%d,\"results\":[",
         x7_version_str(), per_round * rounds, rounds);
  for (int k = 0; k < 2; k++) {
    char url[256];
    struct x7_bytes caps = {0}, req = {0};
    long conn_ref = 0, conn_x7 = 0;
    CURL *h = curl_easy_init();
    struct sink s;
    if (!h) die("curl_easy_init failed");
    if (x7t_nginx_url(ng, kinds[k], "/1k", url, sizeof url) != X7T_PEER_OK)
      die(x7t_peer_error());
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ref_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_CAINFO, pki->ca_cert);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);

    if (x7_net_http_spec_caps_default_v1(&caps) ||
        x7_net_http_spec_req_get_v1(x7_view_str(url), x7_view_of(NULL, 0),
                                    x7_bytes_view(&caps), &req))
      die("cannot build the request");
    for (int r = 0; r < rounds; r++) {
      rate_ref[r] = run_ref(h, &s, per_round, &conn_ref);
      rate_x7[r] = run_x7(x7_bytes_view(&req), per_round, &conn_x7);
    }
    {
      double mr = median(rate_ref, rounds), mx = median(rate_x7, rounds);
      printf("%s{\"transport\":\"%s\",\"libcurl_req_s_median\":%.0f,"
             "\"x7net_req_s_median\":%.0f,\"ratio_x7net_vs_libcurl\":%.3f,"
             "\"goal_ratio\":0.9,\"libcurl_connections\":%ld,"
             "\"x7net_connections\":%ld}",
             k ? "," : "", kinds[k], mr, mx, mx / mr, conn_ref, conn_x7);
    }
    curl_easy_cleanup(h);
    x7_bytes_free(&caps);
    x7_bytes_free(&req);
  }
  printf("]}\n");
  x7t_nginx_stop(ng);
  x7t_pki_free(pki);
  free(rate_ref);
  free(rate_x7);
  return 0;
}
