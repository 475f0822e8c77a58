/* test_peers.c - self-test of the loopback peers (peer.h) with libcurl:
 * PKI, nginx over http/https/h2, certificate failures, every raw
 * behaviour, and that no peer process outlives its owner. */
#define _GNU_SOURCE

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cmocka.h>
#include <curl/curl.h>

#include "peer.h"
#include "x7_test.h"

struct peers {
  struct x7t_pki *pki;
  struct x7t_nginx *ng;
  int pki_rc, ng_rc;
  char pki_err[1024], ng_err[1024];
};

/* ------------------------------------------------------------------ */
/* libcurl helper                                                      */

struct resp {
  CURLcode rc;
  long status;
  long http_version;
  long redirects;
  long new_conns;
  char *body;
  size_t body_len;
  char *hdr;
  size_t hdr_len;
  char err[CURL_ERROR_SIZE];
};

struct req {
  const char *ca;  /* NULL: no TLS trust configured */
  long version;    /* CURL_HTTP_VERSION_*; 0: libcurl default */
  long timeout_ms; /* 0: 5000 */
  int follow;
  long max_redirs;
  int insecure;
  const char *post; /* body to POST */
  size_t post_len;
  int nobody; /* HEAD */
};

static void append(char **p, size_t *len, const char *data, size_t n) {
  char *np = realloc(*p, *len + n + 1);
  assert_non_null(np);
  memcpy(np + *len, data, n);
  *len += n;
  np[*len] = '\0';
  *p = np;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud) {
  struct resp *r = ud;
  append(&r->body, &r->body_len, data, size * n);
  return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud) {
  struct resp *r = ud;
  append(&r->hdr, &r->hdr_len, data, size * n);
  return size * n;
}

static void resp_free(struct resp *r) {
  free(r->body);
  free(r->hdr);
  memset(r, 0, sizeof *r);
}

static void fetch_on(CURL *h, const char *url, const struct req *q,
                     struct resp *r) {
  memset(r, 0, sizeof *r);
  curl_easy_setopt(h, CURLOPT_URL, url);
  /* An http_proxy in the environment must not divert loopback tests. */
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   q->timeout_ms ? q->timeout_ms : 5000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->err);
  /* Trust exactly the test CA, not the system store. */
  curl_easy_setopt(h, CURLOPT_CAINFO, q->ca);
  curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, q->insecure ? 0L : 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, q->insecure ? 0L : 2L);
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                   q->version ? q->version : (long)CURL_HTTP_VERSION_NONE);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, (long)q->follow);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, q->max_redirs ? q->max_redirs : 10L);
  curl_easy_setopt(h, CURLOPT_NOBODY, (long)q->nobody);
  if (q->post) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->post);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)q->post_len);
  } else if (!q->nobody) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  r->rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &r->http_version);
  curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &r->redirects);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->new_conns);
  if (!r->body) append(&r->body, &r->body_len, "", 0);
  if (!r->hdr) append(&r->hdr, &r->hdr_len, "", 0);
}

static void fetch(const char *url, const struct req *q, struct resp *r) {
  CURL *h = curl_easy_init();
  assert_non_null(h);
  fetch_on(h, url, q, r);
  curl_easy_cleanup(h);
}

/* Value of the n-th (from 0) header called name (with colon, lower
 * case), or NULL.  Copies at most outlen-1 bytes. */
static const char *header_nth(const struct resp *r, const char *name, int nth,
                              char *out, size_t outlen) {
  size_t nl = strlen(name);
  const char *p = r->hdr, *end = r->hdr + r->hdr_len;
  while (p < end) {
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    size_t len = (size_t)((eol ? eol : end) - p);
    if (len >= nl && strncasecmp(p, name, nl) == 0 && nth-- == 0) {
      const char *v = p + nl;
      while (v < p + len && *v == ' ') v++;
      size_t vl = (size_t)(p + len - v);
      if (vl && v[vl - 1] == '\r') vl--;
      if (vl >= outlen) vl = outlen - 1;
      memcpy(out, v, vl);
      out[vl] = '\0';
      return out;
    }
    if (!eol) break;
    p = eol + 1;
  }
  return NULL;
}

static int header_count(const struct resp *r, const char *name) {
  char tmp[8];
  int n = 0;
  while (header_nth(r, name, n, tmp, sizeof tmp)) n++;
  return n;
}

static void assert_curl(CURLcode want, const struct resp *r) {
  if (r->rc != want)
    fail_msg("curl: want %d (%s), got %d (%s: %s)", (int)want,
             curl_easy_strerror(want), (int)r->rc, curl_easy_strerror(r->rc),
             r->err);
}

/* ------------------------------------------------------------------ */
/* fixtures                                                            */

static int group_setup(void **state) {
  static struct peers st;
  struct x7t_nginx_opts o;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  memset(&st, 0, sizeof st);
  st.ng_rc = X7T_PEER_ERR;
  st.pki_rc = x7t_pki_new(&st.pki);
  snprintf(st.pki_err, sizeof st.pki_err, "%s", x7t_peer_error());
  if (st.pki_rc == X7T_PEER_OK) {
    memset(&o, 0, sizeof o);
    o.pki = st.pki;
    o.with_wrong = 1;
    o.with_untrusted = 1;
    st.ng_rc = x7t_nginx_start(&o, &st.ng);
    snprintf(st.ng_err, sizeof st.ng_err, "%s", x7t_peer_error());
  }
  *state = &st;
  return 0;
}

static int group_teardown(void **state) {
  struct peers *st = *state;
  x7t_nginx_stop(st->ng);
  x7t_pki_free(st->pki);
  curl_global_cleanup();
  return 0;
}

/* Skip when nginx/openssl are not installed; fail on any other error. */
static struct peers *need_pki(void **state) {
  struct peers *st = *state;
  if (st->pki_rc == X7T_PEER_MISSING) skip();
  if (st->pki_rc != X7T_PEER_OK) fail_msg("pki: %s", st->pki_err);
  return st;
}

static struct peers *need_nginx(void **state) {
  struct peers *st = need_pki(state);
  if (st->ng_rc == X7T_PEER_MISSING) skip();
  if (st->ng_rc != X7T_PEER_OK) fail_msg("nginx: %s", st->ng_err);
  return st;
}

static void url_of(struct peers *st, const char *kind, const char *path,
                   char *buf) {
  assert_int_equal(x7t_nginx_url(st->ng, kind, path, buf, 256), X7T_PEER_OK);
}

static void assert_pattern(const struct resp *r, size_t len) {
  assert_int_equal(r->body_len, len);
  assert_int_equal(x7t_pattern_mismatch(r->body, r->body_len, 0), -1);
}

static long pid_gone_within(pid_t pid, int ms) {
  for (int waited = 0; waited < ms; waited += 5) {
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) return 1;
    if (w < 0 && errno == ECHILD && kill(pid, 0) != 0 && errno == ESRCH)
      return 1;
    usleep(5000);
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* utilities and PKI                                                   */

static void pattern_should_detect_shifts(void **state) {
  char a[300], b[300];
  (void)state;
  x7t_pattern_fill(a, sizeof a, 0);
  x7t_pattern_fill(b, sizeof b, 62);
  assert_int_equal(x7t_pattern_mismatch(a, sizeof a, 0), -1);
  assert_int_not_equal(x7t_pattern_mismatch(b, sizeof b, 0), -1);
  assert_int_equal(x7t_pattern_mismatch(b, sizeof b, 62), -1);
  a[200] ^= 1;
  assert_int_equal(x7t_pattern_mismatch(a, sizeof a, 0), 200);
}

static void run_should_report_status_and_timeout(void **state) {
  const char *ok[] = {"true", NULL};
  const char *bad[] = {"false", NULL};
  const char *slow[] = {"sleep", "5", NULL};
  const char *none[] = {"x7t-no-such-program", NULL};
  struct timespec t0, t1;
  struct x7t_proc *p = NULL;
  (void)state;
  assert_int_equal(x7t_run(ok, NULL, NULL, 5000), X7T_PEER_OK);
  assert_int_equal(x7t_run(bad, NULL, NULL, 5000), X7T_PEER_ERR);
  assert_non_null(strstr(x7t_peer_error(), "exited with 1"));
  clock_gettime(CLOCK_MONOTONIC, &t0);
  assert_int_equal(x7t_run(slow, NULL, NULL, 100), X7T_PEER_ERR);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  assert_non_null(strstr(x7t_peer_error(), "timed out"));
  assert_true(t1.tv_sec - t0.tv_sec < 3);
  assert_int_equal(x7t_proc_spawn(none, NULL, NULL, &p), X7T_PEER_MISSING);
  assert_null(p);
  x7t_proc_stop(NULL, SIGTERM, 0); /* NULL-safe */
}

static void pki_should_create_every_file(void **state) {
  struct peers *st = need_pki(state);
  const char *files[] = {st->pki->ca_cert,           st->pki->ca_key,
                         st->pki->server_cert,       st->pki->server_key,
                         st->pki->wrong_cert,        st->pki->wrong_key,
                         st->pki->untrusted_ca_cert, st->pki->untrusted_ca_key,
                         st->pki->untrusted_cert,    st->pki->untrusted_key};
  char cert[X7T_PATH_MAX], key[X7T_PATH_MAX];
  struct stat sb;
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    assert_int_equal(stat(files[i], &sb), 0);
    assert_true(sb.st_size > 100);
  }
  assert_int_equal(
      x7t_pki_issue(st->pki, "extra", "allowed.test",
                    "DNS:allowed.test,DNS:*.wild.test,IP:127.0.0.1", 0, cert,
                    key),
      X7T_PEER_OK);
  assert_int_equal(stat(cert, &sb), 0);
  assert_int_equal(stat(key, &sb), 0);
  /* A '/' would restructure the -subj argument. */
  assert_int_equal(
      x7t_pki_issue(st->pki, "x", "a/CN=b", "DNS:a", 0, NULL, NULL),
      X7T_PEER_ERR);
}

/* ------------------------------------------------------------------ */
/* nginx                                                               */

static void nginx_should_serve_files_over_http(void **state) {
  struct peers *st = need_nginx(state);
  struct req q = {0};
  struct resp r;
  char url[256], v[64];
  url_of(st, "http", "/hello.txt", url);
  assert_int_equal(strncmp(url, "http://127.0.0.1:", 17), 0);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "hello\n");
  assert_int_equal(r.http_version, CURL_HTTP_VERSION_1_1);
  resp_free(&r);
  url_of(st, "http", "/1k", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_pattern(&r, 1024);
  resp_free(&r);
  url_of(st, "http", "/big", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_pattern(&r, 1 << 20);
  assert_string_equal(header_nth(&r, "content-length:", 0, v, sizeof v),
                      "1048576");
  resp_free(&r);
  url_of(st, "http", "/empty", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  resp_free(&r);
}

static void nginx_should_serve_https_with_http2(void **state) {
  struct peers *st = need_nginx(state);
  struct req q = {0};
  struct resp r;
  char url[256];
  q.ca = x7t_nginx_ca(st->ng);
  q.version = CURL_HTTP_VERSION_2TLS;
  assert_string_equal(q.ca, st->pki->ca_cert);
  url_of(st, "https", "/hello.txt", url);
  assert_int_equal(strncmp(url, "https://127.0.0.1:", 18), 0);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_string_equal(r.body, "hello\n");
  if (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2)
    assert_int_equal(r.http_version, CURL_HTTP_VERSION_2_0);
  resp_free(&r);
  url_of(st, "https", "/1k", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_pattern(&r, 1024);
  resp_free(&r);
  /* The same port speaks HTTP/1.1 to clients that only offer that. */
  q.version = CURL_HTTP_VERSION_1_1;
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.http_version, CURL_HTTP_VERSION_1_1);
  assert_pattern(&r, 1024);
  resp_free(&r);
}

static void nginx_should_fail_verification_for_bad_certs(void **state) {
  struct peers *st = need_nginx(state);
  const char *kinds[] = {"https-wrong", "https-untrusted"};
  struct req q = {0};
  struct resp r;
  char url[256];
  q.ca = x7t_nginx_ca(st->ng);
  for (int i = 0; i < 2; i++) {
    url_of(st, kinds[i], "/hello.txt", url);
    q.insecure = 0;
    fetch(url, &q, &r);
    assert_curl(CURLE_PEER_FAILED_VERIFICATION, &r);
    resp_free(&r);
    /* The port itself works: only verification tells them apart. */
    q.insecure = 1;
    fetch(url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_string_equal(r.body, "hello\n");
    resp_free(&r);
  }
  assert_int_equal(x7t_nginx_port(st->ng, "nope"), 0);
  assert_int_not_equal(x7t_nginx_port(st->ng, "https-wrong"),
                       x7t_nginx_port(st->ng, "https-untrusted"));
}

static void nginx_should_return_each_status(void **state) {
  struct peers *st = need_nginx(state);
  const int codes[] = {200, 201, 202, 204, 304, 400, 401,
                       403, 404, 429, 500, 502, 503};
  struct req q = {0};
  struct resp r;
  char url[256], path[32], want[32];
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    snprintf(path, sizeof path, "/status/%d", codes[i]);
    url_of(st, "http", path, url);
    fetch(url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_int_equal(r.status, codes[i]);
    if (codes[i] == 204 || codes[i] == 304) {
      assert_int_equal(r.body_len, 0);
    } else {
      snprintf(want, sizeof want, "status %d\n", codes[i]);
      assert_string_equal(r.body, want);
    }
    resp_free(&r);
  }
  /* POST works on return locations (static files would say 405). */
  q.post = "abc";
  q.post_len = 3;
  url_of(st, "http", "/status/201", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.status, 201);
  resp_free(&r);
}

static void nginx_should_chain_redirects(void **state) {
  struct peers *st = need_nginx(state);
  struct req q = {0};
  struct resp r;
  char url[256], v[64];
  url_of(st, "http", "/redirect/3", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.status, 302);
  assert_string_equal(header_nth(&r, "location:", 0, v, sizeof v),
                      "/redirect/2");
  resp_free(&r);
  q.follow = 1;
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.redirects, 3);
  assert_string_equal(r.body, "done\n");
  resp_free(&r);
  snprintf(v, sizeof v, "/redirect/%d", X7T_NGINX_MAX_REDIRECT);
  url_of(st, "https", v, url);
  q.ca = x7t_nginx_ca(st->ng);
  q.max_redirs = 100;
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.redirects, X7T_NGINX_MAX_REDIRECT);
  resp_free(&r);
  q.max_redirs = 5;
  url_of(st, "http", "/loop", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_TOO_MANY_REDIRECTS, &r);
  assert_int_equal(r.redirects, 5);
  resp_free(&r);
}

static void nginx_should_send_duplicate_and_big_headers(void **state) {
  struct peers *st = need_nginx(state);
  const long versions[] = {CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2TLS};
  struct req q = {0};
  struct resp r;
  char url[256], v[X7T_NGINX_BIG_HEADER_LEN + 16];
  q.ca = x7t_nginx_ca(st->ng);
  for (int i = 0; i < 2; i++) {
    q.version = versions[i];
    url_of(st, "https", "/dup-headers", url);
    fetch(url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_int_equal(header_count(&r, "x-dup:"), 2);
    assert_string_equal(header_nth(&r, "x-dup:", 0, v, sizeof v), "a");
    assert_string_equal(header_nth(&r, "x-dup:", 1, v, sizeof v), "b");
    assert_int_equal(header_count(&r, "set-cookie:"), 2);
    assert_string_equal(header_nth(&r, "set-cookie:", 1, v, sizeof v), "b=2");
    resp_free(&r);
    url_of(st, "https", "/big-headers", url);
    fetch(url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_string_equal(r.body, "big\n");
    assert_non_null(header_nth(&r, "x-big:", 0, v, sizeof v));
    assert_int_equal(strlen(v), X7T_NGINX_BIG_HEADER_LEN);
    /* Four copies of the 2 KiB quarter. */
    for (int k = 0; k < 4; k++)
      assert_int_equal(
          x7t_pattern_mismatch(v + k * (X7T_NGINX_BIG_HEADER_LEN / 4),
                               X7T_NGINX_BIG_HEADER_LEN / 4, 0),
          -1);
    resp_free(&r);
  }
}

static void nginx_should_send_chunked(void **state) {
  struct peers *st = need_nginx(state);
  struct req q = {0};
  struct resp r;
  char url[256], v[64];
  q.version = CURL_HTTP_VERSION_1_1;
  url_of(st, "http", "/chunked", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(header_nth(&r, "transfer-encoding:", 0, v, sizeof v),
                      "chunked");
  assert_null(header_nth(&r, "content-length:", 0, v, sizeof v));
  assert_string_equal(r.body, "chunk-a\nhello\nchunk-b\n");
  resp_free(&r);
}

static void nginx_should_keep_connections_alive(void **state) {
  struct peers *st = need_nginx(state);
  const char *kinds[] = {"http", "https"};
  struct req q = {0};
  struct resp r;
  char url[256];
  CURL *h = curl_easy_init();
  assert_non_null(h);
  q.ca = x7t_nginx_ca(st->ng);
  for (int k = 0; k < 2; k++) {
    url_of(st, kinds[k], "/1k", url);
    for (int i = 0; i < 5; i++) {
      fetch_on(h, url, &q, &r);
      assert_curl(CURLE_OK, &r);
      assert_int_equal(r.new_conns, i == 0 ? 1 : 0);
      resp_free(&r);
    }
  }
  curl_easy_cleanup(h);
}

static void nginx_should_serve_slowly(void **state) {
  struct peers *st = need_nginx(state);
  struct req q = {0};
  struct resp r;
  char url[256];
  q.timeout_ms = 300;
  url_of(st, "http", "/slow", url);
  fetch(url, &q, &r);
  assert_curl(CURLE_OPERATION_TIMEDOUT, &r);
  assert_true(r.body_len < (1 << 20));
  assert_int_equal(x7t_pattern_mismatch(r.body, r.body_len, 0), -1);
  resp_free(&r);
}

static void nginx_should_be_gone_after_stop(void **state) {
  struct x7t_nginx_opts o;
  struct x7t_nginx *n = NULL;
  struct sockaddr_in sa;
  struct stat sb;
  char dir[X7T_PATH_MAX], url[256];
  struct req q = {0};
  struct resp r;
  pid_t pid;
  uint16_t port;
  int rc, fd;
  (void)state;
  memset(&o, 0, sizeof o);
  rc = x7t_nginx_start(&o, &n);
  if (rc == X7T_PEER_MISSING) skip();
  assert_int_equal(rc, X7T_PEER_OK);
  pid = x7t_nginx_pid(n);
  port = x7t_nginx_port(n, "http");
  assert_true(pid > 0);
  assert_int_equal(x7t_nginx_port(n, "https"), 0); /* no PKI, no TLS */
  assert_int_equal(x7t_nginx_url(n, "https", "/", url, sizeof url),
                   X7T_PEER_ERR);
  assert_int_equal(x7t_nginx_url(n, "http", "/hello.txt", url, sizeof url),
                   X7T_PEER_OK);
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  resp_free(&r);
  /* For checking by hand that a failing test leaves no nginx behind:
   * X7T_PEERS_FORCE_FAIL=1 ./test_peers; pgrep nginx */
  if (getenv("X7T_PEERS_FORCE_FAIL")) fail_msg("forced failure, nginx %d", pid);
  snprintf(dir, sizeof dir, "%s", x7t_nginx_docroot(n));
  x7t_nginx_stop(n);
  x7t_nginx_stop(NULL);
  assert_int_equal(kill(pid, 0), -1);
  assert_int_equal(errno, ESRCH);
  assert_int_equal(stat(dir, &sb), -1);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), -1);
  assert_int_equal(errno, ECONNREFUSED);
  close(fd);
}

/* Where a dying test leaves its nginx: written by the child. */
struct orphan_msg {
  pid_t pid;
  char dir[X7T_PATH_MAX];
};
static struct x7t_nginx *orphan_nginx; /* a root for LeakSanitizer */

static void orphan_case(int hard) {
  struct orphan_msg m;
  struct pollfd pfd;
  struct stat sb;
  int fds[2], status;
  ssize_t got;
  pid_t child;
  assert_int_equal(pipe(fds), 0);
  fflush(NULL);
  child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    struct x7t_nginx_opts o;
    memset(&o, 0, sizeof o);
    close(fds[0]);
    memset(&m, 0, sizeof m);
    if (x7t_nginx_start(&o, &orphan_nginx) != X7T_PEER_OK) _exit(3);
    m.pid = x7t_nginx_pid(orphan_nginx);
    snprintf(m.dir, sizeof m.dir, "%s", x7t_nginx_docroot(orphan_nginx));
    if (write(fds[1], &m, sizeof m) != (ssize_t)sizeof m) _exit(4);
    if (hard) raise(SIGKILL); /* no atexit: only PDEATHSIG is left */
    exit(0);                  /* what main does after failed tests */
  }
  close(fds[1]);
  pfd = (struct pollfd){fds[0], POLLIN, 0};
  assert_int_equal(poll(&pfd, 1, 15000), 1);
  got = read(fds[0], &m, sizeof m);
  close(fds[0]);
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_int_equal(got, sizeof m);
  assert_true(m.pid > 0);
  if (!pid_gone_within(m.pid, 5000)) {
    kill(m.pid, SIGKILL);
    fail_msg("nginx %d outlived its test process (hard=%d)", m.pid, hard);
  }
  if (hard) {
    /* Only the directory is left behind by a SIGKILLed test. */
    *strrchr(m.dir, '/') = '\0';
    assert_int_equal(x7t_tmpdir_remove(m.dir), X7T_PEER_OK);
  } else {
    assert_int_equal(stat(m.dir, &sb), -1); /* atexit removed it */
  }
}

static void nginx_should_not_outlive_a_dying_test(void **state) {
  const char *nginx = getenv("X7T_NGINX") ? getenv("X7T_NGINX") : "nginx";
  char exe[X7T_PATH_MAX];
  (void)state;
  if (x7t_find_exe(nginx, exe, sizeof exe) == X7T_PEER_MISSING) skip();
#ifdef __linux__
  /* Orphaned grandchildren come to us, so we can reap and see them go. */
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
#endif
  orphan_case(0);
  orphan_case(1);
#ifdef __linux__
  prctl(PR_SET_CHILD_SUBREAPER, 0);
#endif
}

/* ------------------------------------------------------------------ */
/* raw servers                                                         */

static const char scripted_reply[] =
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi";

static void raw_scripted_should_reply_verbatim(void **state) {
  struct x7t_raw *s;
  struct req q = {0};
  struct resp r;
  char url[256];
  (void)state;
  assert_int_equal(x7t_raw_server_start(X7T_RAW_SCRIPTED, scripted_reply,
                                        sizeof scripted_reply - 1, &s),
                   X7T_PEER_OK);
  assert_int_equal(x7t_raw_url(s, "/x", url, sizeof url), X7T_PEER_OK);
  for (int i = 0; i < 2; i++) {
    fetch(url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hi");
    resp_free(&r);
  }
  assert_int_equal(x7t_raw_connections(s), 2);
  assert_int_equal(x7t_raw_requests(s), 2);
  x7t_raw_stop(s);
  x7t_raw_stop(NULL);
}

static void raw_stall_should_time_out_and_stop_promptly(void **state) {
  struct x7t_raw *s;
  struct req q = {0};
  struct resp r;
  struct sockaddr_in sa;
  char url[256], c;
  int fd;
  (void)state;
  assert_int_equal(x7t_raw_server_start(X7T_RAW_STALL, NULL, 0, &s),
                   X7T_PEER_OK);
  x7t_raw_url(s, "/", url, sizeof url);
  q.timeout_ms = 300;
  fetch(url, &q, &r);
  assert_curl(CURLE_OPERATION_TIMEDOUT, &r);
  assert_int_equal(r.body_len, 0);
  resp_free(&r);
  assert_int_equal(x7t_raw_connections(s), 1);
  assert_int_equal(x7t_raw_requests(s), 1);
  /* A client still connected must not keep stop from returning. */
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons(x7t_raw_port(s));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  assert_int_equal(x7t_raw_wait_connections(s, 2, 2000), X7T_PEER_OK);
  x7t_raw_stop(s);
  assert_int_equal(recv(fd, &c, 1, 0), 0); /* closed by stop */
  close(fd);
}

static void raw_reset_should_send_rst(void **state) {
  const enum x7t_raw_behaviour bs[] = {X7T_RAW_RESET, X7T_RAW_RESET_AFTER_HEAD};
  (void)state;
  for (int i = 0; i < 2; i++) {
    struct x7t_raw *s;
    struct req q = {0};
    struct resp r;
    struct sockaddr_in sa;
    struct pollfd pfd;
    char url[256], c;
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    int fd;
    assert_int_equal(x7t_raw_server_start(bs[i], NULL, 0, &s), X7T_PEER_OK);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(x7t_raw_port(s));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    if (bs[i] == X7T_RAW_RESET_AFTER_HEAD)
      assert_int_equal(send(fd, head, sizeof head - 1, MSG_NOSIGNAL),
                       (ssize_t)sizeof head - 1);
    pfd = (struct pollfd){fd, POLLIN, 0};
    assert_int_equal(poll(&pfd, 1, 2000), 1);
    assert_int_equal(recv(fd, &c, 1, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    close(fd);
    x7t_raw_url(s, "/", url, sizeof url);
    fetch(url, &q, &r);
    /* Where the RST lands decides the code: while libcurl still checks
     * the new socket (7), while sending (55), or while reading (56, 52). */
    if (r.rc != CURLE_COULDNT_CONNECT && r.rc != CURLE_RECV_ERROR &&
        r.rc != CURLE_SEND_ERROR && r.rc != CURLE_GOT_NOTHING)
      fail_msg("reset: unexpected curl result %d (%s)", (int)r.rc, r.err);
    resp_free(&r);
    assert_int_equal(x7t_raw_connections(s), 2);
    x7t_raw_stop(s);
  }
}

static void raw_endless_headers_should_never_end(void **state) {
  struct x7t_raw *s;
  struct req q = {0};
  struct resp r;
  char url[256];
  (void)state;
  assert_int_equal(x7t_raw_server_start(X7T_RAW_ENDLESS_HEADERS, NULL, 0, &s),
                   X7T_PEER_OK);
  x7t_raw_url(s, "/", url, sizeof url);
  q.timeout_ms = 5000;
  fetch(url, &q, &r);
  /* libcurl gives up on the header size long before the timeout. */
  /* libcurl 7.88 says 56 "Too large response headers: 307262 > 307200";
   * 8.6 and later say CURLE_TOO_LARGE. */
  assert_int_not_equal(r.rc, CURLE_OK);
  assert_int_not_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
  assert_true(r.hdr_len > 64 * 1024);
  assert_int_equal(strncmp(r.hdr, "HTTP/1.1 200 OK\r\nX-Endless-1: ", 30), 0);
  resp_free(&r);
  x7t_raw_stop(s);
}

static void raw_slow_body_should_trickle(void **state) {
  struct x7t_raw *s;
  struct x7t_raw_slow slow = {1000, 10, 20};
  struct req q = {0};
  struct resp r;
  char url[256], v[32];
  (void)state;
  assert_int_equal(
      x7t_raw_server_start(X7T_RAW_SLOW_BODY, &slow, sizeof slow, &s),
      X7T_PEER_OK);
  x7t_raw_url(s, "/", url, sizeof url);
  q.timeout_ms = 300;
  fetch(url, &q, &r);
  assert_curl(CURLE_OPERATION_TIMEDOUT, &r);
  assert_string_equal(header_nth(&r, "content-length:", 0, v, sizeof v),
                      "1000");
  /* ~15 ticks of 10 bytes in 300 ms; generous bounds for a loaded box. */
  assert_true(r.body_len >= 10 && r.body_len < 1000);
  assert_int_equal(x7t_pattern_mismatch(r.body, r.body_len, 0), -1);
  resp_free(&r);
  x7t_raw_stop(s);
  /* A short one runs to completion. */
  slow = (struct x7t_raw_slow){100, 25, 10};
  assert_int_equal(
      x7t_raw_server_start(X7T_RAW_SLOW_BODY, &slow, sizeof slow, &s),
      X7T_PEER_OK);
  x7t_raw_url(s, "/", url, sizeof url);
  q.timeout_ms = 3000;
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_pattern(&r, 100);
  resp_free(&r);
  x7t_raw_stop(s);
  assert_int_equal(x7t_raw_server_start(X7T_RAW_SLOW_BODY, &slow, 3, &s),
                   X7T_PEER_ERR);
}

static long header_long(const struct resp *r, const char *name) {
  char v[32];
  if (!header_nth(r, name, 0, v, sizeof v)) return -1;
  return strtol(v, NULL, 10);
}

static void raw_keepalive_should_reuse_connections(void **state) {
  struct x7t_raw *s;
  struct req q = {0};
  struct resp r;
  char url[256], post[3000];
  CURL *h = curl_easy_init();
  (void)state;
  assert_non_null(h);
  assert_int_equal(x7t_raw_server_start(X7T_RAW_KEEPALIVE, "pong", 4, &s),
                   X7T_PEER_OK);
  x7t_raw_url(s, "/k", url, sizeof url);
  for (long i = 1; i <= 3; i++) {
    fetch_on(h, url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_string_equal(r.body, "pong");
    assert_int_equal(header_long(&r, "x-conn:"), 1);
    assert_int_equal(header_long(&r, "x-req:"), i);
    resp_free(&r);
  }
  /* A body big enough for Expect: 100-continue stays framed. */
  memset(post, 'p', sizeof post);
  q.post = post;
  q.post_len = sizeof post;
  fetch_on(h, url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(header_long(&r, "x-req:"), 4);
  resp_free(&r);
  q.post = NULL;
  q.nobody = 1;
  fetch_on(h, url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(r.body_len, 0);
  assert_int_equal(header_long(&r, "x-req:"), 5);
  resp_free(&r);
  q.nobody = 0;
  fetch_on(h, url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(header_long(&r, "x-req:"), 6);
  assert_int_equal(r.new_conns, 0);
  resp_free(&r);
  assert_int_equal(x7t_raw_connections(s), 1);
  assert_int_equal(x7t_raw_requests(s), 6);
  /* A second handle means a second connection. */
  fetch(url, &q, &r);
  assert_curl(CURLE_OK, &r);
  assert_int_equal(header_long(&r, "x-conn:"), 2);
  assert_int_equal(header_long(&r, "x-req:"), 1);
  resp_free(&r);
  assert_int_equal(x7t_raw_connections(s), 2);
  curl_easy_cleanup(h);
  x7t_raw_stop(s);
}

static void raw_should_listen_on_other_loopback_addresses(void **state) {
  const char *ips[] = {"127.0.0.2", "::1"};
  (void)state;
  for (int i = 0; i < 2; i++) {
    struct x7t_raw *s;
    struct req q = {0};
    struct resp r;
    char url[256];
    if (x7t_raw_server_start_on(ips[i], X7T_RAW_SCRIPTED, scripted_reply,
                                sizeof scripted_reply - 1, &s) != X7T_PEER_OK) {
      /* Containers without IPv6 have no ::1. */
      print_message("note: no listener on %s: %s\n", ips[i], x7t_peer_error());
      assert_int_equal(i, 1);
      continue;
    }
    x7t_raw_url(s, "/", url, sizeof url);
    assert_non_null(strstr(url, i ? "http://[::1]:" : "http://127.0.0.2:"));
    fetch(url, &q, &r);
    assert_curl(CURLE_OK, &r);
    assert_string_equal(r.body, "hi");
    resp_free(&r);
    x7t_raw_stop(s);
  }
  assert_int_equal(x7t_raw_server_start_on("localhost", X7T_RAW_STALL, NULL, 0,
                                           &(struct x7t_raw *){NULL}),
                   X7T_PEER_ERR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pattern_should_detect_shifts),
      cmocka_unit_test(run_should_report_status_and_timeout),
      cmocka_unit_test(pki_should_create_every_file),
      cmocka_unit_test(nginx_should_serve_files_over_http),
      cmocka_unit_test(nginx_should_serve_https_with_http2),
      cmocka_unit_test(nginx_should_fail_verification_for_bad_certs),
      cmocka_unit_test(nginx_should_return_each_status),
      cmocka_unit_test(nginx_should_chain_redirects),
      cmocka_unit_test(nginx_should_send_duplicate_and_big_headers),
      cmocka_unit_test(nginx_should_send_chunked),
      cmocka_unit_test(nginx_should_keep_connections_alive),
      cmocka_unit_test(nginx_should_serve_slowly),
      cmocka_unit_test(nginx_should_be_gone_after_stop),
      cmocka_unit_test(nginx_should_not_outlive_a_dying_test),
      cmocka_unit_test(raw_scripted_should_reply_verbatim),
      cmocka_unit_test(raw_stall_should_time_out_and_stop_promptly),
      cmocka_unit_test(raw_reset_should_send_rst),
      cmocka_unit_test(raw_endless_headers_should_never_end),
      cmocka_unit_test(raw_slow_body_should_trickle),
      cmocka_unit_test(raw_keepalive_should_reuse_connections),
      cmocka_unit_test(raw_should_listen_on_other_loopback_addresses),
  };
  return cmocka_run_group_tests_name("peers", tests, group_setup,
                                     group_teardown);
}
