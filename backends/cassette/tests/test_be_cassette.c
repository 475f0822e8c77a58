/* test_be_cassette.c - replay and the record wrapper against a scripted
 * in-process transport ("mock", registered with the registry), so every
 * case is hermetic and exact: FIFO sequences and exhaustion policies,
 * canonical matching, miss reports (states, ranked candidates, diffs,
 * masking), custom matchers, caps, to-file and sidecar bodies, secrets,
 * strict mode, atomic saves killed at every step, two writer processes,
 * 16 replay threads, virtual time. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include <x7/net.h>
#include <x7/x7_cassette.h>

#include "backend_int.h"
#include "cassette_int.h"
#include "peer.h"
#include "x7_test.h"

/* Test paths are short; the checks gcc cannot prove are not worth the
 * noise of sizing every buffer for a worst case. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* ------------------------------------------------------------------ */
/* the scripted transport                                              */

static atomic_int mock_calls;
static atomic_int mock_sleep_ms;
static pthread_mutex_t mock_mu = PTHREAD_MUTEX_INITIALIZER;
static int job_polls; /* GET /job/1: 202, 202, 200 ... */

static void push(struct x7__buf *t, const char *n, const char *v) {
  x7__buf_u32(t, (uint32_t)strlen(n));
  x7__buf_add(t, n, strlen(n));
  x7__buf_u32(t, (uint32_t)strlen(v));
  x7__buf_add(t, v, strlen(v));
}

/* A header value of the request, NUL-terminated into buf ("" if none). */
static void req_header(const struct x7_http_fetch *req, const char *name,
                       char *buf, size_t n) {
  uint32_t count = x7__rd32(req->headers.ptr);
  size_t pos = 4;
  buf[0] = 0;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t kl = x7__rd32(req->headers.ptr + pos), vl;
    const uint8_t *k = req->headers.ptr + pos + 4;
    pos += 4 + kl;
    vl = x7__rd32(req->headers.ptr + pos);
    if (kl == strlen(name) && memcmp(k, name, kl) == 0)
      snprintf(buf, n, "%.*s", (int)vl,
               (const char *)req->headers.ptr + pos + 4);
    pos += 4 + vl;
  }
}

static void gzip_into(struct x7__buf *out, const char *s) {
  z_stream z;
  uint8_t tmp[1024];
  memset(&z, 0, sizeof z);
  assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY),
                   Z_OK);
  z.next_in = (Bytef *)(uintptr_t)s;
  z.avail_in = (uInt)strlen(s);
  z.next_out = tmp;
  z.avail_out = sizeof tmp;
  assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
  x7__buf_add(out, tmp, sizeof tmp - z.avail_out);
  deflateEnd(&z);
}

/* Paths: /job/1 (202, 202, 200...), /status/<n>, /big/<n> (n pattern
 * bytes), /secret (echoes secrets back in many places), /dns (error 5),
 * /bin (binary body), anything else: 200 "echo <METHOD> <url> <body>". */
static x7_result mock_fetch(const struct x7_http_fetch *req,
                            struct x7_bytes *presp) {
  struct x7__buf t, body;
  char url[512], auth[256];
  int status = 200, ms;
  const char *path;
  x7_result r;
  atomic_fetch_add(&mock_calls, 1);
  ms = atomic_load(&mock_sleep_ms);
  if (ms) {
    struct timespec ts = {0, (long)ms * 1000000L};
    nanosleep(&ts, NULL);
  }
  snprintf(url, sizeof url, "%.*s", (int)req->url.len,
           (const char *)req->url.ptr);
  path = strstr(url, "://");
  path = path ? strchr(path + 3, '/') : NULL;
  path = path ? path : "/";
  x7__buf_init(&t);
  x7__buf_init(&body);
  x7__buf_u32(&t, 0);
  push(&t, "Content-Type", "text/plain");
  if (strncmp(path, "/dns", 4) == 0) {
    x7__buf_cleanup(&t);
    return x7_net_err_make_doc_v1(X7_NET_ERR_DNS, presp);
  }
  if (strncmp(path, "/job/1", 6) == 0 && req->method == 1) {
    pthread_mutex_lock(&mock_mu);
    status = ++job_polls >= 3 ? 200 : 202;
    pthread_mutex_unlock(&mock_mu);
    x7__buf_add(&body, status == 200 ? "done" : "pending",
                status == 200 ? 4 : 7);
  } else if (strncmp(path, "/status/", 8) == 0) {
    status = atoi(path + 8);
    x7__buf_add(&body, path, strlen(path));
  } else if (strncmp(path, "/big/", 5) == 0) {
    size_t n = (size_t)atol(path + 5);
    x7__buf_reserve(&body, n);
    x7t_pattern_fill(body.ptr, n, 0);
    body.len = n;
  } else if (strncmp(path, "/bin", 4) == 0) {
    static const uint8_t bin[] = {0, 1, 2, 0xff, 0xfe, 0x80, 0, 'x'};
    x7__buf_add(&body, bin, sizeof bin);
  } else if (strncmp(path, "/secret", 7) == 0) {
    req_header(req, "authorization", auth, sizeof auth);
    push(&t, "Set-Cookie", "session=CANARYCOOKIE1234567; Path=/");
    push(&t, "Location", "/next?token=CANARYTOKEN7654321");
    push(&t, "X-Echo-Auth", auth);
    if (strstr(path, "gzip")) {
      push(&t, "Content-Encoding", "gzip");
      gzip_into(&body, "{\"jwt\":\"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ."
                       "c2lnbmF0dXJlX0NBTkFSWV9KV1Q\",\"password\":\"CANARYPW"
                       "GZ123456\"}");
    } else {
      /* a 4xx page that echoes the request */
      status = 401;
      x7__buf_add(&body, "denied for ", 11);
      x7__buf_add(&body, auth, strlen(auth));
      x7__buf_add(&body, " body=", 6);
      x7__buf_add(&body, req->body.ptr, req->body.len);
    }
  } else {
    const char *m = x7__rr_method_name(req->method);
    x7__buf_add(&body, "echo ", 5);
    x7__buf_add(&body, m, strlen(m));
    x7__buf_u8(&body, ' ');
    x7__buf_add(&body, url, strlen(url));
    x7__buf_u8(&body, ' ');
    x7__buf_add(&body, req->body.ptr, req->body.len);
  }
  x7__buf_put32_at(&t, 0, (x7__rd32(t.ptr) + 1) / 1);
  {
    /* count entries */
    uint32_t count = 0;
    size_t pos = 4;
    while (pos < t.len) {
      pos += 4 + x7__rd32(t.ptr + pos);
      pos += 4 + x7__rd32(t.ptr + pos);
      count++;
    }
    x7__buf_put32_at(&t, 0, count);
  }
  assert_false(t.failed || body.failed);
  if (body.len > req->max_body_bytes) {
    r = x7_net_err_make_doc_v1(X7_NET_ERR_TOO_LARGE, presp);
  } else if (req->out_path.len) {
    char p[256];
    FILE *f;
    snprintf(p, sizeof p, "%.*s", (int)req->out_path.len,
             (const char *)req->out_path.ptr);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(
        fwrite(body.ptr ? body.ptr : (uint8_t *)"", 1, body.len, f), body.len);
    fclose(f);
    r = x7_net_http_resp_pack_v3(status, x7_view_of(t.ptr, t.len),
                                 req->out_path, (int32_t)body.len, presp);
  } else {
    r = x7_net_http_resp_pack_v2(status, x7_view_of(t.ptr, t.len),
                                 x7_view_of(body.ptr, body.len), presp);
  }
  if (req->max_headers == 0 || req->max_header_bytes == 0) {
    /* what a real transport does without capture: no headers */
    struct x7_bytes stripped = {0};
    static const uint8_t none[4] = {0};
    if (presp->len && presp->ptr[0] == 1 && presp->ptr[1] == 2) {
      assert_x7_ok(x7_net_http_resp_pack_v2(status, x7_view_of(none, 4),
                                            x7_view_of(body.ptr, body.len),
                                            &stripped));
      x7_bytes_free(presp);
      *presp = stripped;
    }
  }
  x7__buf_cleanup(&t);
  x7__buf_cleanup(&body);
  return r;
}

static const struct x7_backend_ops mock_ops = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock",
    .caps = X7_BACKEND_CAP_HTTP,
    .http_fetch = mock_fetch,
};

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static char dir[X7T_PATH_MAX];

static void path_in(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/%s", dir, name);
}

static struct x7_bytes caps_of(int32_t max_body, int32_t max_headers) {
  struct x7_bytes c = {0};
  assert_x7_ok(
      x7_net_http_spec_caps_v1(0, 30, 0, 65536, max_headers, max_body, &c));
  return c;
}

/* A request doc; headers "k1", "v1", "k2", "v2", ..., NULL. */
static struct x7_bytes req_doc(int32_t method, const char *url,
                               const char *body, int32_t max_body, ...) {
  struct x7_bytes h = {0}, caps = caps_of(max_body, 64), doc = {0};
  va_list ap;
  const char *k;
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h));
  va_start(ap, max_body);
  for (k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
    const char *v = va_arg(ap, const char *);
    struct x7_bytes n = {0};
    assert_x7_ok(x7_net_http_spec_headers_push_v1(
        x7_bytes_view(&h), x7_view_str(k), x7_view_str(v), &n));
    x7_bytes_free(&h);
    h = n;
  }
  va_end(ap);
  assert_x7_ok(
      x7_net_http_spec_req_v1(method, x7_view_str(url), x7_bytes_view(&h),
                              body ? x7_view_str(body) : x7_view_of(NULL, 0),
                              x7_bytes_view(&caps), &doc));
  x7_bytes_free(&h);
  x7_bytes_free(&caps);
  return doc;
}

static struct x7_cassette *open_c(const char *name, enum x7_rr_mode mode,
                                  struct x7_cassette_config *cfg) {
  char p[X7T_PATH_MAX];
  struct x7_cassette *c = NULL;
  struct x7_cassette_config *own = NULL;
  x7_result r;
  path_in(p, sizeof p, name);
  if (!cfg) {
    assert_x7_ok(x7_cassette_config_new(&own));
    cfg = own;
  }
  assert_x7_ok(x7_cassette_config_set_mode(cfg, mode));
  assert_x7_ok(x7_cassette_config_set_transport(cfg, "mock"));
  assert_x7_ok(x7_cassette_config_set_fsync(cfg, 0));
  r = x7_cassette_open(p, cfg, &c);
  if (r)
    fail_msg("open %s: %s: %s", p, x7_errname(r), x7_cassette_errmsg(NULL));
  x7_cassette_config_free(own);
  return c;
}

/* Fetch; returns the doc (caller frees). */
static struct x7_bytes fetch(struct x7_cassette *c, int32_t method,
                             const char *url, const char *body) {
  struct x7_bytes d = req_doc(method, url, body, 1 << 20, NULL), out = {0};
  x7_result r = x7_cassette_fetch_v1(c, x7_bytes_view(&d), &out);
  if (r)
    fail_msg("fetch %s: %s: %s", url, x7_errname(r), x7_cassette_errmsg(c));
  x7_bytes_free(&d);
  return out;
}

static int32_t status_of(struct x7_bytes d) {
  int32_t s = 0;
  assert_x7_ok(x7_net_http_resp_status_v1(x7_bytes_view(&d), &s));
  return s;
}

static int32_t err_of(struct x7_bytes d) {
  int32_t e = 0;
  assert_x7_ok(x7_net_err_err_code_v1(x7_bytes_view(&d), &e));
  return e;
}

static char *report(struct x7_cassette *c, int json) {
  struct x7_bytes b = {0};
  char *s;
  assert_x7_ok(x7_cassette_miss_report(
      c, json ? X7_CASSETTE_REPORT_JSON : X7_CASSETTE_REPORT_TEXT, &b));
  s = malloc(b.len + 1);
  memcpy(s, b.ptr, b.len);
  s[b.len] = 0;
  x7_bytes_free(&b);
  return s;
}

static uint8_t *slurp(const char *p, size_t *pn) {
  FILE *f = fopen(p, "rb");
  uint8_t *b;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc((size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  b[n] = 0;
  fclose(f);
  *pn = (size_t)n;
  return b;
}

static int group_setup(void **state) {
  (void)state;
  if (x7_backend_register(&mock_ops) != X7_OK) return -1;
  if (x7t_tmpdir_new("cassette", dir, sizeof dir) != X7T_PEER_OK) return -1;
  if (chdir(dir) != 0) return -1;
  return 0;
}

static int setup(void **state) {
  (void)state;
  job_polls = 0;
  atomic_store(&mock_calls, 0);
  atomic_store(&mock_sleep_ms, 0);
  return 0;
}

/* ------------------------------------------------------------------ */
/* sequences                                                           */

static void record_jobs(const char *name) {
  struct x7_cassette *c = open_c(name, X7_RR_REWRITE, NULL);
  for (int i = 0; i < 3; i++) {
    struct x7_bytes d = fetch(c, 1, "http://api.test/job/1", NULL);
    assert_int_equal(status_of(d), i < 2 ? 202 : 200);
    x7_bytes_free(&d);
    if (i == 1) {
      d = fetch(c, 2, "http://api.test/job/1/cancel", "{}");
      x7_bytes_free(&d);
    }
  }
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
}

static void replay_should_answer_identical_requests_in_order(void **state) {
  struct x7_cassette *c;
  struct x7_bytes d;
  char *txt, *js;
  int calls;
  (void)state;
  record_jobs("jobs.json");
  calls = atomic_load(&mock_calls);
  c = open_c("jobs.json", X7_RR_REPLAY, NULL);
  for (int i = 0; i < 3; i++) {
    d = fetch(c, 1, "http://api.test/job/1", NULL);
    assert_int_equal(status_of(d), i < 2 ? 202 : 200);
    x7_bytes_free(&d);
  }
  d = fetch(c, 2, "http://api.test/job/1/cancel", "{}");
  assert_int_equal(status_of(d), 200);
  x7_bytes_free(&d);
  /* the fourth GET: sequence exhausted, never a plausible answer */
  d = fetch(c, 1, "http://api.test/job/1", NULL);
  assert_int_equal(err_of(d), X7_NET_ERR_NO_RECORDING);
  assert_int_equal(d.len, 9);
  x7_bytes_free(&d);
  txt = report(c, 0);
  js = report(c, 1);
  assert_non_null(
      strstr(txt, "sequence exhausted for this key (3/3 consumed)"));
  assert_non_null(strstr(js, "\"state\":\"exhausted\""));
  assert_non_null(strstr(js, "\"consumed\":3"));
  assert_non_null(strstr(js, "\"code\":\"X7_ECASSETTE_EXHAUSTED\""));
  assert_non_null(strstr(js, "already replayed (consumed 3/3)"));
  assert_int_equal(atomic_load(&mock_calls), calls); /* hermetic */
  free(txt);
  free(js);
  /* a second test using the cassette starts from zero */
  assert_x7_ok(x7_cassette_rewind(c));
  d = fetch(c, 1, "http://api.test/job/1", NULL);
  assert_int_equal(status_of(d), 202);
  x7_bytes_free(&d);
  x7_cassette_free(c);
  c = open_c("jobs.json", X7_RR_REPLAY, NULL);
  d = fetch(c, 1, "http://api.test/job/1", NULL);
  assert_int_equal(status_of(d), 202);
  x7_bytes_free(&d);
  x7_cassette_free(c);
}

static void replay_should_apply_exhaustion_policies(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_bytes d;
  static const int want_repeat[] = {202, 202, 200, 200, 200};
  static const int want_cycle[] = {202, 202, 200, 202, 202, 200};
  (void)state;
  record_jobs("jobs2.json");
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(
      x7_cassette_config_set_exhaustion(cfg, X7_CASSETTE_EXHAUST_REPEAT_LAST));
  c = open_c("jobs2.json", X7_RR_REPLAY, cfg);
  for (int i = 0; i < 5; i++) {
    d = fetch(c, 1, "http://api.test/job/1", NULL);
    assert_int_equal(status_of(d), want_repeat[i]);
    x7_bytes_free(&d);
  }
  x7_cassette_free(c);
  assert_x7_ok(
      x7_cassette_config_set_exhaustion(cfg, X7_CASSETTE_EXHAUST_CYCLE));
  c = open_c("jobs2.json", X7_RR_REPLAY, cfg);
  for (int i = 0; i < 6; i++) {
    d = fetch(c, 1, "http://api.test/job/1", NULL);
    assert_int_equal(status_of(d), want_cycle[i]);
    x7_bytes_free(&d);
  }
  x7_cassette_free(c);
  x7_cassette_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* matching and miss reports                                           */

static void replay_should_match_canonical_requests(void **state) {
  struct x7_cassette *c = open_c("canon.json", X7_RR_REWRITE, NULL);
  struct x7_bytes d, r1, r2;
  (void)state;
  r1 = fetch(c, 2, "http://API.test:80/a/./b/../c?x=1&y=2&y=1",
             "{\"b\": [1, 2], \"a\": {\"k\": true}}");
  r2 = fetch(c, 1, "https://api.test:443/%7Euser/%2f", NULL);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  c = open_c("canon.json", X7_RR_REPLAY, NULL);
  /* host case, default port, dot segments, query order, JSON key order
   * and spacing: all the same request */
  d = fetch(c, 2, "http://api.test/a/c?y=1&x=1&y=2",
            "{\"a\":{\"k\":true},\"b\":[1,2]}");
  assert_int_equal(d.len, r1.len);
  assert_memory_equal(d.ptr, r1.ptr, d.len);
  x7_bytes_free(&d);
  d = fetch(c, 1, "https://API.TEST/~user/%2F", NULL);
  assert_int_equal(d.len, r2.len);
  assert_memory_equal(d.ptr, r2.ptr, d.len);
  x7_bytes_free(&d);
  x7_bytes_free(&r1);
  x7_bytes_free(&r2);
  x7_cassette_free(c);
}

static void miss_report_should_rank_candidates_with_diffs(void **state) {
  struct x7_cassette *c = open_c("diff.json", X7_RR_REWRITE, NULL);
  struct x7_bytes d;
  char *txt, *js;
  (void)state;
  d = fetch(c, 2, "http://api.test/items?page=1&sort=asc",
            "{\"a\":{\"b\":[1,2,3]},\"n\":\"x\"}");
  x7_bytes_free(&d);
  d = fetch(c, 1, "http://api.test/items?page=2", NULL);
  x7_bytes_free(&d);
  d = fetch(c, 1, "http://other.test/zzz", NULL);
  x7_bytes_free(&d);
  d = fetch(c, 3, "http://api.test/health", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);

  c = open_c("diff.json", X7_RR_REPLAY, NULL);
  /* (a) one nested JSON field differs */
  d = fetch(c, 2, "http://api.test/items?sort=asc&page=1",
            "{\"n\":\"x\",\"a\":{\"b\":[1,2,4]}}");
  assert_int_equal(err_of(d), X7_NET_ERR_NO_RECORDING);
  x7_bytes_free(&d);
  txt = report(c, 0);
  js = report(c, 1);
  assert_non_null(strstr(js, "\"state\":\"never_recorded\""));
  assert_non_null(strstr(js, "\"code\":\"X7_ECASSETTE_MISS\""));
  assert_non_null(strstr(js, "\"field\":\"body/a/b/2\""));
  assert_non_null(strstr(js, "\"expected\":\"3\""));
  assert_non_null(strstr(js, "\"actual\":\"4\""));
  assert_non_null(strstr(js, "would match with the body matcher off"));
  assert_non_null(strstr(js, "\"cassette\":\""));
  assert_non_null(strstr(txt, "1. interaction 0 [unused]: POST "));
  assert_non_null(strstr(txt, "body/a/b/2: recorded \"3\", requested \"4\""));
  /* the JSON report is one line of valid JSON */
  assert_null(strchr(js, '\n'));
  {
    cJSON *t = cJSON_Parse(js);
    assert_non_null(t);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "candidates")),
                     3);
    cJSON_Delete(t);
  }
  free(txt);
  free(js);
  /* query value differs: multiset diff and the query hint */
  d = fetch(c, 1, "http://api.test/items?page=3", NULL);
  x7_bytes_free(&d);
  js = report(c, 1);
  assert_non_null(strstr(js, "{\"actual\":\"page=3\",\"expected\":\"page=2\","
                             "\"field\":\"query\"}"));
  assert_non_null(strstr(js, "with the query matcher off"));
  free(js);
  x7_cassette_free(c);

  /* (e) no cassette at all */
  c = open_c("does-not-exist.json", X7_RR_REPLAY, NULL);
  d = fetch(c, 1, "http://api.test/x", NULL);
  assert_int_equal(err_of(d), X7_NET_ERR_NO_RECORDING);
  x7_bytes_free(&d);
  js = report(c, 1);
  txt = report(c, 0);
  assert_non_null(strstr(js, "\"state\":\"no_cassette\""));
  assert_non_null(strstr(js, "\"code\":\"X7_ECASSETTE_NOFILE\""));
  assert_non_null(strstr(txt, "no cassette: the file does not exist"));
  free(js);
  free(txt);
  x7_cassette_free(c);
}

static void miss_report_should_mask_secrets(void **state) {
  struct x7_cassette *c = open_c("mask.json", X7_RR_REWRITE, NULL);
  struct x7_bytes q, d;
  char *txt, *js;
  (void)state;
  d = fetch(c, 1, "http://api.test/me", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  c = open_c("mask.json", X7_RR_REPLAY, NULL);
  q = req_doc(1, "http://api.test/me?token=SEKRETQUERY99&v=1", NULL, 65536,
              "Authorization", "Bearer SEKRETBEARER42", "X-Api-Key",
              "SEKRETKEY777", NULL);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
  assert_int_equal(err_of(d), X7_NET_ERR_NO_RECORDING);
  txt = report(c, 0);
  js = report(c, 1);
  assert_null(strstr(txt, "SEKRET"));
  assert_null(strstr(js, "SEKRET"));
  assert_non_null(strstr(js, "<redacted:token>"));
  assert_non_null(
      strstr(js, "\"header_names\":[\"authorization\",\"x-api-key\"]"));
  free(txt);
  free(js);
  x7_bytes_free(&q);
  x7_bytes_free(&d);
  x7_cassette_free(c);
}

/* A custom matcher: x-tenant must be equal (read from the tables). */
static int tenant_matcher(const struct x7_cassette_request *live,
                          const struct x7_cassette_request *rec, void *ud) {
  char a[64] = "", b[64] = "";
  const struct x7_cassette_request *r[2] = {live, rec};
  char *out[2] = {a, b};
  (*(int *)ud)++;
  for (int k = 0; k < 2; k++) {
    struct x7_view t = r[k]->headers;
    uint32_t count = x7__rd32(t.ptr);
    size_t pos = 4;
    for (uint32_t i = 0; i < count; i++) {
      uint32_t kl = x7__rd32(t.ptr + pos), vl;
      const uint8_t *key = t.ptr + pos + 4;
      pos += 4 + kl;
      vl = x7__rd32(t.ptr + pos);
      if (kl == 8 && memcmp(key, "x-tenant", 8) == 0)
        snprintf(out[k], 64, "%.*s", (int)vl, (const char *)t.ptr + pos + 4);
      pos += 4 + vl;
    }
  }
  return strcmp(a, b) == 0;
}

static void replay_should_use_custom_matchers(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_bytes q, d;
  int calls = 0;
  char p[X7T_PATH_MAX];
  (void)state;
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(
      x7_cassette_config_add_matcher(cfg, "tenant", tenant_matcher, &calls));
  c = open_c("tenant.json", X7_RR_REWRITE, cfg);
  for (int k = 0; k < 2; k++) {
    q = req_doc(1, k ? "http://api.test/t?who=b" : "http://api.test/t?who=a",
                NULL, 65536, "X-Tenant", k ? "b" : "a", NULL);
    assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
    x7_bytes_free(&q);
    x7_bytes_free(&d);
  }
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  /* Key without the query: both interactions share one queue; only the
   * matcher tells them apart, and it picks b although a comes first. */
  assert_x7_ok(x7_cassette_config_set_match(cfg, X7_CASSETTE_MATCH_METHOD |
                                                     X7_CASSETTE_MATCH_URL));
  c = open_c("tenant.json", X7_RR_REPLAY, cfg);
  q = req_doc(1, "http://api.test/t?who=zzz", NULL, 65536, "X-Tenant", "b",
              NULL);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
  assert_int_equal(status_of(d), 200);
  assert_non_null(memmem(d.ptr, d.len, "who=b", 5));
  assert_true(calls > 0);
  x7_bytes_free(&d);
  x7_bytes_free(&q);
  x7_cassette_free(c);
  x7_cassette_config_free(cfg);
  /* Without the matcher the cassette is refused, not matched loosely. */
  path_in(p, sizeof p, "tenant.json");
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_int_equal(x7_cassette_open(p, cfg, &c), X7_EINVAL);
  assert_null(c);
  assert_non_null(
      strstr(x7_cassette_errmsg(NULL), "custom matcher \"tenant\""));
  x7_cassette_config_free(cfg);
}

static void replay_should_apply_the_request_caps(void **state) {
  struct x7_cassette *c = open_c("caps.json", X7_RR_REWRITE, NULL);
  struct x7_bytes d, q, rec;
  int32_t n = -1;
  (void)state;
  rec = fetch(c, 1, "http://api.test/big/5000", NULL);
  assert_int_equal(status_of(rec), 200);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  c = open_c("caps.json", X7_RR_REPLAY, NULL);
  q = req_doc(1, "http://api.test/big/5000", NULL, 4999, NULL);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
  assert_int_equal(err_of(d), X7_NET_ERR_TOO_LARGE);
  x7_bytes_free(&d);
  x7_bytes_free(&q);
  /* header capture off: the recorded headers are not handed out */
  {
    struct x7_bytes h = {0}, caps = caps_of(65536, 0);
    assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h));
    assert_x7_ok(x7_net_http_spec_req_v1(
        1, x7_view_str("http://api.test/big/5000"), x7_bytes_view(&h),
        x7_view_of(NULL, 0), x7_bytes_view(&caps), &q));
    assert_x7_ok(x7_cassette_rewind(c));
    assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
    assert_x7_ok(x7_net_http_resp_header_count_v1(x7_bytes_view(&d), &n));
    assert_int_equal(n, 0);
    assert_int_equal(status_of(d), 200);
    x7_bytes_free(&h);
    x7_bytes_free(&caps);
    x7_bytes_free(&q);
    x7_bytes_free(&d);
  }
  x7_bytes_free(&rec);
  x7_cassette_free(c);
}

/* ------------------------------------------------------------------ */
/* bodies                                                              */

static void sidecar_should_hold_large_bodies(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_bytes d, rec, q, body = {0};
  char p[X7T_PATH_MAX], blobs[X7T_PATH_MAX + 8];
  uint8_t *file;
  size_t n;
  DIR *dd;
  struct dirent *e;
  int nblobs = 0;
  (void)state;
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(x7_cassette_config_set_inline_max(cfg, 1000));
  c = open_c("side.json", X7_RR_REWRITE, cfg);
  rec = fetch(c, 1, "http://api.test/big/300000", NULL);
  q = req_doc(1, "http://api.test/big/300000", NULL, 1 << 20, NULL);
  assert_x7_ok(x7_cassette_fetch_to_file_v1(c, x7_bytes_view(&q),
                                            x7_view_str("out1.bin"), &d));
  assert_int_equal(d.ptr[1], 3);
  x7_bytes_free(&d);
  d = fetch(c, 1, "http://api.test/bin", NULL); /* small binary: inline */
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  path_in(p, sizeof p, "side.json");
  file = slurp(p, &n);
  assert_true(n < 6000); /* the 300 KB body is not in the file */
  assert_non_null(strstr((char *)file, "\"blob\": \"sha256:"));
  assert_non_null(strstr((char *)file, "{\"base64\": \"AAEC//6AAHg=\"}"));
  free(file);
  snprintf(blobs, sizeof blobs, "%s.blobs", p);
  dd = opendir(blobs);
  assert_non_null(dd);
  for (e = readdir(dd); e; e = readdir(dd))
    if (e->d_name[0] != '.') nblobs++;
  closedir(dd);
  assert_int_equal(nblobs, 1); /* one body, stored once (same content) */

  c = open_c("side.json", X7_RR_REPLAY, cfg);
  d = fetch(c, 1, "http://api.test/big/300000", NULL);
  assert_int_equal(d.len, rec.len);
  assert_memory_equal(d.ptr, rec.ptr, d.len);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_fetch_to_file_v1(c, x7_bytes_view(&q),
                                            x7_view_str("out2.bin"), &d));
  assert_x7_ok(x7_net_http_resp_body_v1(x7_bytes_view(&rec), &body));
  file = slurp("out2.bin", &n);
  assert_int_equal(n, body.len);
  assert_memory_equal(file, body.ptr, n);
  free(file);
  x7_bytes_free(&d);
  x7_cassette_free(c);

  /* A missing blob is an open error naming the hash and the interaction. */
  dd = opendir(blobs);
  for (e = readdir(dd); e; e = readdir(dd))
    if (e->d_name[0] != '.') {
      char bp[2 * X7T_PATH_MAX];
      snprintf(bp, sizeof bp, "%s/%s", blobs, e->d_name);
      assert_int_equal(unlink(bp), 0);
    }
  closedir(dd);
  assert_int_equal(x7_cassette_open(p, cfg, &c), X7_ECASSETTE_BLOB);
  assert_non_null(
      strstr(x7_cassette_errmsg(NULL),
             "interactions[0].response.body: sidecar body sha256:"));
  x7_cassette_config_free(cfg);
  x7_bytes_free(&rec);
  x7_bytes_free(&q);
  x7_bytes_free(&body);
}

static void open_should_refuse_damaged_cassettes(void **state) {
  struct x7_cassette *c = open_c("dmg.json", X7_RR_REWRITE, NULL), *c2 = NULL;
  struct x7_bytes d = fetch(c, 1, "http://api.test/x", NULL);
  char p[X7T_PATH_MAX];
  uint8_t *file;
  size_t n;
  (void)state;
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  path_in(p, sizeof p, "dmg.json");
  file = slurp(p, &n);
  /* truncated */
  assert_int_equal(x7t_write_file(p, file, n - 10), X7T_PEER_OK);
  for (int mode = X7_RR_RECORD; mode <= X7_RR_RECORD_MISSING; mode++) {
    struct x7_cassette_config *cfg;
    assert_x7_ok(x7_cassette_config_new(&cfg));
    assert_x7_ok(x7_cassette_config_set_mode(cfg, (enum x7_rr_mode)mode));
    /* never treated as empty, in any mode that reads it */
    assert_int_equal(x7_cassette_open(p, cfg, &c2), X7_ECASSETTE_FORMAT);
    assert_null(c2);
    x7_cassette_config_free(cfg);
  }
  {
    char want[X7T_PATH_MAX + 64];
    snprintf(want, sizeof want, "%s:%zu: truncated", p, n - 10);
    assert_non_null(strstr(x7_cassette_errmsg(NULL), want));
  }
  /* empty */
  assert_int_equal(x7t_write_file(p, "", 0), X7T_PEER_OK);
  assert_int_equal(x7_cassette_open(p, NULL, &c2), X7_ECASSETTE_FORMAT);
  assert_non_null(strstr(x7_cassette_errmsg(NULL), ":0: empty file"));
  free(file);
}

/* ------------------------------------------------------------------ */
/* secrets                                                             */

static int file_has(const char *path, const char *needle) {
  size_t n;
  uint8_t *b = slurp(path, &n);
  int hit;
  if (!b) return 0;
  hit = memmem(b, n, needle, strlen(needle)) != NULL;
  free(b);
  return hit;
}

/* Every file under dir (recursively) checked for every form of s. */
static int tree_has(const char *d, const char *s) {
  DIR *dd = opendir(d);
  struct dirent *e;
  int hit = 0;
  char forms[4][256];
  struct x7__buf b64;
  x7__buf_init(&b64);
  x7__rr_b64_encode(&b64, (const uint8_t *)s, strlen(s));
  snprintf(forms[0], 256, "%s", s);
  snprintf(forms[1], 256, "%.*s", (int)b64.len - 4, (const char *)b64.ptr);
  x7__buf_cleanup(&b64);
  snprintf(forms[2], 256, "%.8s", s);
  forms[3][0] = 0;
  if (!dd) return 0;
  while (!hit && (e = readdir(dd))) {
    char p[2 * X7T_PATH_MAX];
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(p, sizeof p, "%s/%s", d, e->d_name);
    if (stat(p, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      hit = tree_has(p, s);
      continue;
    }
    for (int k = 0; k < 3 && !hit; k++)
      if (forms[k][0] && file_has(p, forms[k])) {
        print_error("found '%s' (form %d of %s) in %s\n", forms[k], k, s, p);
        hit = 1;
      }
  }
  closedir(dd);
  return hit;
}

static void secrets_should_never_reach_disk(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_bytes q1, q2, r1, r2, d;
  char sub[X7T_PATH_MAX], p[X7T_PATH_MAX + 16];
  static const char *const canaries[] = {
      "CANARYBEARER0042", "CANARYCOOKIE1234567", "CANARYTOKEN7654321",
      "CANARYQUERY5555",  "CANARYFORMPW99",      "CANARYJSONPW88",
      "CANARYPWGZ123456", "CANARYSECRET31337"};
  (void)state;
  snprintf(sub, sizeof sub, "%s/sec", dir);
  assert_int_equal(mkdir(sub, 0700), 0);
  snprintf(p, sizeof p, "%s/c.json", sub);
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(x7_cassette_config_set_mode(cfg, X7_RR_REWRITE));
  assert_x7_ok(x7_cassette_config_set_transport(cfg, "mock"));
  assert_x7_ok(
      x7_cassette_config_add_secret(cfg, x7_view_str("CANARYSECRET31337")));
  assert_x7_ok(x7_cassette_config_redact(cfg, X7_CASSETTE_REDACT_FORM, "pw"));
  assert_x7_ok(x7_cassette_open(p, cfg, &c));
  q1 = req_doc(2, "http://api.test/secret?token=CANARYQUERY5555&page=1",
               "user=a&pw=CANARYFORMPW99&note=CANARYSECRET31337", 65536,
               "Authorization", "Bearer CANARYBEARER0042", "Cookie",
               "sid=CANARYCOOKIE1234567", "Content-Type",
               "application/x-www-form-urlencoded", NULL);
  q2 = req_doc(2, "http://api.test/secret/gzip",
               "{\"user\":\"a\",\"password\":\"CANARYJSONPW88\"}", 65536,
               "Authorization", "Bearer CANARYBEARER0042", NULL);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q1), &r1));
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q2), &r2));
  /* the caller got the live bytes */
  assert_non_null(memmem(r1.ptr, r1.len, "CANARYCOOKIE1234567", 19));
  assert_int_equal(status_of(r1), 401);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  for (size_t i = 0; i < sizeof canaries / sizeof *canaries; i++)
    if (tree_has(sub, canaries[i])) fail_msg("%s reached disk", canaries[i]);
  /* percent-encoded forms too (the form body carries none here, but the
   * Location's token would be "CANARYTOKEN7654321" either way) */
  assert_true(file_has(p, "<redacted:authorization>"));
  assert_true(file_has(p, "<redacted:set-cookie>"));
  assert_true(file_has(p, "pw=<redacted:pw>"));
  assert_true(file_has(p, "\\\"password\\\":\\\"<redacted:password>\\\""));

  /* replay still matches with the live secrets (same placeholders) */
  assert_x7_ok(x7_cassette_config_set_mode(cfg, X7_RR_REPLAY));
  assert_x7_ok(x7_cassette_open(p, cfg, &c));
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q1), &d));
  assert_int_equal(status_of(d), 401);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q2), &d));
  assert_int_equal(status_of(d), 200);
  {
    /* the gzip body was redacted inside and is still valid gzip */
    struct x7_bytes body = {0};
    uint8_t out[512];
    uLongf ol = sizeof out;
    z_stream z;
    assert_x7_ok(x7_net_http_resp_body_v1(x7_bytes_view(&d), &body));
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 31), Z_OK);
    z.next_in = body.ptr;
    z.avail_in = (uInt)body.len;
    z.next_out = out;
    z.avail_out = (uInt)ol;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    out[sizeof out - z.avail_out] = 0;
    inflateEnd(&z);
    assert_non_null(
        strstr((char *)out, "\"password\":\"<redacted:password>\""));
    assert_null(strstr((char *)out, "CANARY"));
    x7_bytes_free(&body);
  }
  x7_bytes_free(&d);
  x7_cassette_free(c);
  x7_cassette_config_free(cfg);
  x7_bytes_free(&q1);
  x7_bytes_free(&q2);
  x7_bytes_free(&r1);
  x7_bytes_free(&r2);
}

static void strict_mode_should_block_unknown_tokens(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_bytes d;
  char p[X7T_PATH_MAX];
  x7_result r;
  (void)state;
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(x7_cassette_config_set_strict(cfg, 1));
  c = open_c("strict.json", X7_RR_REWRITE, cfg);
  /* the JWT in the gzip body is not covered by any rule */
  d = fetch(c, 2, "http://api.test/secret/gzip", "x");
  x7_bytes_free(&d);
  r = x7_cassette_save(c);
  assert_int_equal(r, X7_ECASSETTE_SECRET);
  assert_non_null(strstr(x7_cassette_errmsg(c), "strict mode"));
  x7_cassette_free(c);
  path_in(p, sizeof p, "strict.json");
  assert_int_not_equal(access(p, F_OK), 0); /* nothing written */
  x7_cassette_config_free(cfg);
}

/* A to-file body goes to the sidecar store as is; one that echoes a
 * known secret stops the save instead of reaching disk. */
static void sidecar_bodies_should_be_scanned(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_bytes q, d;
  char p[X7T_PATH_MAX];
  (void)state;
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(x7_cassette_config_set_inline_max(cfg, 16));
  c = open_c("scanblob.json", X7_RR_REWRITE, cfg);
  q = req_doc(2, "http://api.test/secret", "x", 65536, "Authorization",
              "Bearer CANARYBLOB424242", NULL);
  assert_x7_ok(x7_cassette_fetch_to_file_v1(c, x7_bytes_view(&q),
                                            x7_view_str("echo.out"), &d));
  assert_int_equal(status_of(d), 401);
  assert_int_equal(x7_cassette_save(c), X7_ECASSETTE_SECRET);
  assert_non_null(strstr(x7_cassette_errmsg(c), "interactions[0].response.body "
                                                "(sidecar sha256:"));
  assert_null(strstr(x7_cassette_errmsg(c), "CANARY"));
  path_in(p, sizeof p, "scanblob.json");
  assert_int_not_equal(access(p, F_OK), 0);
  x7_bytes_free(&q);
  x7_bytes_free(&d);
  x7_cassette_free(c);
  x7_cassette_config_free(cfg);
}

/* ------------------------------------------------------------------ */
/* persistence                                                         */

static void save_should_be_deterministic(void **state) {
  char p1[X7T_PATH_MAX], p2[X7T_PATH_MAX];
  uint8_t *a, *b;
  size_t na, nb;
  (void)state;
  for (int k = 0; k < 2; k++) {
    struct x7_cassette *c =
        open_c(k ? "det2.json" : "det1.json", X7_RR_REWRITE, NULL);
    struct x7_bytes d;
    job_polls = 0;
    d = fetch(c, 1, "http://api.test/job/1", NULL);
    x7_bytes_free(&d);
    d = fetch(c, 2, "http://api.test/echo", "{\"z\":1,\"a\":2}");
    x7_bytes_free(&d);
    d = fetch(c, 1, "http://api.test/bin", NULL);
    x7_bytes_free(&d);
    d = fetch(c, 1, "http://api.test/dns", NULL);
    x7_bytes_free(&d);
    assert_x7_ok(x7_cassette_save(c));
    x7_cassette_free(c);
  }
  path_in(p1, sizeof p1, "det1.json");
  path_in(p2, sizeof p2, "det2.json");
  a = slurp(p1, &na);
  b = slurp(p2, &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
  assert_non_null(strstr((char *)a, "\"response\": {\"error\": 5}"));
  free(a);
  free(b);
}

static void record_missing_should_append_misses_only(void **state) {
  struct x7_cassette *c;
  struct x7_bytes d;
  struct x7_cassette_stats st;
  int calls;
  (void)state;
  c = open_c("rm.json", X7_RR_REWRITE, NULL);
  d = fetch(c, 1, "http://api.test/one", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  calls = atomic_load(&mock_calls);
  c = open_c("rm.json", X7_RR_RECORD_MISSING, NULL);
  d = fetch(c, 1, "http://api.test/one", NULL); /* replayed */
  x7_bytes_free(&d);
  assert_int_equal(atomic_load(&mock_calls), calls);
  d = fetch(c, 1, "http://api.test/two", NULL); /* recorded */
  x7_bytes_free(&d);
  d = fetch(c, 1, "http://api.test/one", NULL); /* exhausted: recorded */
  x7_bytes_free(&d);
  assert_int_equal(atomic_load(&mock_calls), calls + 2);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  c = open_c("rm.json", X7_RR_REPLAY, NULL);
  assert_x7_ok(x7_cassette_stats(c, &st));
  assert_int_equal(st.interactions, 3);
  for (int k = 0; k < 2; k++) {
    d = fetch(c, 1, "http://api.test/one", NULL);
    assert_int_equal(status_of(d), 200);
    x7_bytes_free(&d);
  }
  {
    struct x7_bytes u = {0};
    assert_x7_ok(x7_cassette_unused_report(c, X7_CASSETTE_REPORT_JSON, &u));
    assert_non_null(memmem(u.ptr, u.len, "\"count\":1", 9));
    assert_non_null(memmem(u.ptr, u.len, "GET http://api.test/two", 23));
    x7_bytes_free(&u);
  }
  x7_cassette_free(c);
}

static void rewrite_should_detect_a_concurrent_writer(void **state) {
  struct x7_cassette *a = open_c("conf.json", X7_RR_REWRITE, NULL);
  struct x7_cassette *b = open_c("conf.json", X7_RR_REWRITE, NULL);
  struct x7_bytes d;
  (void)state;
  d = fetch(a, 1, "http://api.test/a", NULL);
  x7_bytes_free(&d);
  d = fetch(b, 1, "http://api.test/b", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(a));
  assert_int_equal(x7_cassette_save(b), X7_ECASSETTE_CONFLICT);
  assert_non_null(strstr(x7_cassette_errmsg(b), "another writer"));
  /* a's later saves still work (its own write is not a conflict) */
  d = fetch(a, 1, "http://api.test/a2", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(a));
  x7_cassette_free(a);
  x7_cassette_free(b);
}

static int crash_step;
static void crash_hook(int step) {
  if (step == crash_step) raise(SIGKILL);
}

/* The writer is SIGKILLed at each step of the atomic save: the cassette
 * is then exactly the old or exactly the new file, and verifies. */
static void save_should_survive_a_kill_at_every_step(void **state) {
  char p[X7T_PATH_MAX];
  uint8_t *old, *now;
  size_t nold, nnow;
  struct x7_cassette *c;
  struct x7_bytes d;
  (void)state;
  c = open_c("crash.json", X7_RR_REWRITE, NULL);
  d = fetch(c, 1, "http://api.test/v1", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  path_in(p, sizeof p, "crash.json");
  old = slurp(p, &nold);
  for (int stepn = 1; stepn <= 6; stepn++) {
    int st;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      struct x7_cassette_config *cfg;
      x7_cassette_config_new(&cfg);
      x7_cassette_config_set_mode(cfg, X7_RR_RECORD);
      x7_cassette_config_set_transport(cfg, "mock");
      if (x7_cassette_open(p, cfg, &c)) _exit(3);
      {
        struct x7_bytes req =
            req_doc(1, "http://api.test/v2", NULL, 65536, NULL);
        if (x7_cassette_fetch_v1(c, x7_bytes_view(&req), &d)) _exit(4);
      }
      crash_step = stepn;
      x7__rr_save_hook = crash_hook;
      _exit(x7_cassette_save(c) == X7_OK ? 0 : 5);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (stepn <= 5) {
      assert_true(WIFSIGNALED(st));
    } else {
      assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    now = slurp(p, &nnow);
    if (stepn < 4) {
      /* killed before the rename: exactly the old file */
      assert_int_equal(nnow, nold);
      assert_memory_equal(now, old, nold);
    } else {
      assert_true(nnow > nold);
    }
    free(now);
    /* and whatever is there verifies */
    c = open_c("crash.json", X7_RR_REPLAY, NULL);
    x7_cassette_free(c);
    if (stepn >= 4) {
      /* restore the old version for the next round */
      assert_int_equal(x7t_write_file(p, old, nold), X7T_PEER_OK);
    }
  }
  free(old);
  /* the temp files of the killed writers are swept by the next save */
  c = open_c("crash.json", X7_RR_RECORD, NULL);
  d = fetch(c, 1, "http://api.test/v3", NULL);
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  {
    DIR *dd = opendir(dir);
    struct dirent *e;
    for (e = readdir(dd); e; e = readdir(dd))
      assert_null(strstr(e->d_name, ".crash.json.tmp-"));
    closedir(dd);
  }
}

/* Two processes record into one cassette at once: nothing is lost. */
static void two_writers_should_serialise(void **state) {
  pid_t pids[2];
  struct x7_cassette *c;
  struct x7_cassette_stats st;
  char p[X7T_PATH_MAX];
  (void)state;
  path_in(p, sizeof p, "multi.json");
  for (int w = 0; w < 2; w++) {
    pids[w] = fork();
    assert_true(pids[w] >= 0);
    if (pids[w] == 0) {
      struct x7_cassette_config *cfg;
      x7_cassette_config_new(&cfg);
      x7_cassette_config_set_mode(cfg, X7_RR_RECORD);
      x7_cassette_config_set_transport(cfg, "mock");
      x7_cassette_config_set_fsync(cfg, 0);
      if (x7_cassette_open(p, cfg, &c)) _exit(3);
      for (int i = 0; i < 40; i++) {
        char url[64];
        struct x7_bytes req, d;
        snprintf(url, sizeof url, "http://api.test/w%d/%d", w, i);
        req = req_doc(1, url, NULL, 65536, NULL);
        if (x7_cassette_fetch_v1(c, x7_bytes_view(&req), &d)) _exit(4);
        x7_bytes_free(&req);
        x7_bytes_free(&d);
        if (i % 8 == 7 && x7_cassette_save(c)) _exit(5);
      }
      _exit(0);
    }
  }
  for (int w = 0; w < 2; w++) {
    int s;
    assert_int_equal(waitpid(pids[w], &s, 0), pids[w]);
    assert_true(WIFEXITED(s) && WEXITSTATUS(s) == 0);
  }
  c = open_c("multi.json", X7_RR_REPLAY, NULL);
  assert_x7_ok(x7_cassette_stats(c, &st));
  assert_int_equal(st.interactions, 80);
  for (int w = 0; w < 2; w++)
    for (int i = 0; i < 40; i++) {
      char url[64];
      struct x7_bytes d;
      snprintf(url, sizeof url, "http://api.test/w%d/%d", w, i);
      d = fetch(c, 1, url, NULL);
      assert_int_equal(status_of(d), 200);
      x7_bytes_free(&d);
    }
  x7_cassette_free(c);
}

/* ------------------------------------------------------------------ */
/* concurrency and time                                                */

#define THREADS 16
#define PER_THREAD 64

struct worker {
  struct x7_cassette *c;
  int id;
  int bad;
};

/* How often each recorded answer of the shared key was handed out. */
static atomic_int seq_seen[THREADS * PER_THREAD / 4];

static void *replay_worker(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < PER_THREAD; i++) {
    char url[64];
    struct x7_bytes req, d = {0};
    int shared = i % 4 == 0;
    snprintf(url, sizeof url,
             shared ? "http://api.test/seq" : "http://api.test/t%d/%d", w->id,
             i);
    req = req_doc(1, url, NULL, 65536, NULL);
    if (x7_cassette_fetch_v1(w->c, x7_bytes_view(&req), &d) != X7_OK) {
      w->bad++;
    } else if (shared) {
      /* one of the recorded "echo GET http://api.test/seq#<k>" answers */
      const uint8_t *m = memmem(d.ptr, d.len, "#", 1);
      int k = m ? atoi((const char *)m + 1) : -1;
      if (k < 0 || k >= THREADS * PER_THREAD / 4)
        w->bad++;
      else
        atomic_fetch_add(&seq_seen[k], 1);
    } else if (!memmem(d.ptr, d.len, url, strlen(url))) {
      w->bad++; /* answered with another request's response */
    }
    x7_bytes_free(&req);
    x7_bytes_free(&d);
  }
  return NULL;
}

static void replay_should_be_thread_safe(void **state) {
  struct x7_cassette *c = open_c("threads.json", X7_RR_REWRITE, NULL);
  pthread_t t[THREADS];
  struct worker w[THREADS];
  struct x7_cassette_stats st;
  int shared_total = 0;
  (void)state;
  for (int id = 0; id < THREADS; id++)
    for (int i = 1; i < PER_THREAD; i++) {
      char url[64];
      struct x7_bytes d;
      if (i % 4 == 0) continue;
      snprintf(url, sizeof url, "http://api.test/t%d/%d", id, i);
      d = fetch(c, 1, url, NULL);
      x7_bytes_free(&d);
    }
  /* The shared key: GET /seq recorded THREADS * PER_THREAD / 4 times with
   * a distinct body each (the fragment is never part of the key). */
  for (int k = 0; k < THREADS * PER_THREAD / 4; k++) {
    char url[64];
    struct x7_bytes d;
    snprintf(url, sizeof url, "http://api.test/seq#%d", k);
    d = fetch(c, 1, url, NULL);
    x7_bytes_free(&d);
  }
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  {
    /* fragments are not sent: all of them share the key of /seq */
    struct x7_cassette_config *cfg;
    assert_x7_ok(x7_cassette_config_new(&cfg));
    c = open_c("threads.json", X7_RR_REPLAY, cfg);
    x7_cassette_config_free(cfg);
  }
  for (int id = 0; id < THREADS; id++) {
    memset(&w[id], 0, sizeof w[id]);
    w[id].c = c;
    w[id].id = id;
    assert_int_equal(pthread_create(&t[id], NULL, replay_worker, &w[id]), 0);
  }
  for (int id = 0; id < THREADS; id++) {
    pthread_join(t[id], NULL);
    assert_int_equal(w[id].bad, 0);
  }
  (void)shared_total;
  /* every recorded answer of the shared key went out exactly once */
  for (int k = 0; k < THREADS * PER_THREAD / 4; k++)
    assert_int_equal(atomic_load(&seq_seen[k]), 1);
  assert_x7_ok(x7_cassette_stats(c, &st));
  assert_int_equal(st.misses, 0);
  assert_int_equal(st.replayed, THREADS * PER_THREAD);
  x7_cassette_free(c);
}

static void replay_should_run_in_virtual_time(void **state) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c;
  struct x7_cassette_stats st;
  struct timespec a, b;
  double ms;
  (void)state;
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(x7_cassette_config_set_timings(cfg, 1));
  atomic_store(&mock_sleep_ms, 30);
  c = open_c("time.json", X7_RR_REWRITE, cfg);
  for (int i = 0; i < 4; i++) {
    struct x7_bytes d = fetch(c, 1, "http://api.test/status/503", NULL);
    x7_bytes_free(&d);
  }
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  atomic_store(&mock_sleep_ms, 0);
  c = open_c("time.json", X7_RR_REPLAY, cfg);
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < 4; i++) {
    struct x7_bytes d = fetch(c, 1, "http://api.test/status/503", NULL);
    assert_int_equal(status_of(d), 503);
    x7_bytes_free(&d);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
       (double)(b.tv_nsec - a.tv_nsec) / 1e6;
  assert_true(ms < 60); /* 120 ms recorded, replayed without sleeping */
  assert_x7_ok(x7_cassette_stats(c, &st));
  assert_true(st.virtual_us >= 4 * 30000);
  x7_cassette_free(c);
  x7_cassette_config_free(cfg);
}

/* x7_cassette_install: the std.net twins (policy gate included) go
 * through the cassette.  In a child: the registry freezes for good. */
static void install_should_route_the_twins_through_the_cassette(void **state) {
  struct x7_cassette *c = open_c("inst.json", X7_RR_REWRITE, NULL);
  struct x7_bytes d = fetch(c, 1, "http://api.test/installed", NULL);
  pid_t pid;
  int st;
  (void)state;
  x7_bytes_free(&d);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct x7_cassette *cur = NULL;
    struct x7_bytes q = req_doc(1, "http://api.test/installed", NULL, 65536,
                                NULL),
                    q2 = req_doc(1, "http://api.test/other", NULL, 65536, NULL);
    const char *name = NULL;
    int calls = atomic_load(&mock_calls), ok = 1;
    c = open_c("inst.json", X7_RR_REPLAY, NULL);
    ok &= x7_cassette_install(c) == X7_OK;
    ok &= x7_cassette_install(c) == X7_ETOOLATE;
    ok &= x7_backend_current(&name) == X7_OK && strcmp(name, "cassette") == 0;
    ok &= x7_cassette_current(&cur) == X7_OK && cur == c;
    ok &= x7_net_http_fetch_v1(x7_bytes_view(&q), &d) == X7_OK &&
          status_of(d) == 200;
    x7_bytes_free(&d);
    ok &= x7_net_http_fetch_v1(x7_bytes_view(&q2), &d) == X7_OK &&
          err_of(d) == X7_NET_ERR_NO_RECORDING;
    x7_bytes_free(&d);
    ok &= atomic_load(&mock_calls) == calls; /* never the transport */
    x7_cassette_free(c);                     /* stays alive: installed */
    ok &= x7_net_http_fetch_v1(x7_bytes_view(&q), &d) == X7_OK &&
          err_of(d) == X7_NET_ERR_NO_RECORDING; /* sequence used up */
    x7_bytes_free(&d);
    _exit(ok ? 0 : 7);
  }
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(replay_should_answer_identical_requests_in_order,
                             setup),
      cmocka_unit_test_setup(replay_should_apply_exhaustion_policies, setup),
      cmocka_unit_test_setup(replay_should_match_canonical_requests, setup),
      cmocka_unit_test_setup(miss_report_should_rank_candidates_with_diffs,
                             setup),
      cmocka_unit_test_setup(miss_report_should_mask_secrets, setup),
      cmocka_unit_test_setup(replay_should_use_custom_matchers, setup),
      cmocka_unit_test_setup(replay_should_apply_the_request_caps, setup),
      cmocka_unit_test_setup(sidecar_should_hold_large_bodies, setup),
      cmocka_unit_test_setup(open_should_refuse_damaged_cassettes, setup),
      cmocka_unit_test_setup(secrets_should_never_reach_disk, setup),
      cmocka_unit_test_setup(strict_mode_should_block_unknown_tokens, setup),
      cmocka_unit_test_setup(sidecar_bodies_should_be_scanned, setup),
      cmocka_unit_test_setup(save_should_be_deterministic, setup),
      cmocka_unit_test_setup(record_missing_should_append_misses_only, setup),
      cmocka_unit_test_setup(rewrite_should_detect_a_concurrent_writer, setup),
      cmocka_unit_test_setup(save_should_survive_a_kill_at_every_step, setup),
      cmocka_unit_test_setup(two_writers_should_serialise, setup),
      cmocka_unit_test_setup(replay_should_be_thread_safe, setup),
      cmocka_unit_test_setup(replay_should_run_in_virtual_time, setup),
      cmocka_unit_test_setup(
          install_should_route_the_twins_through_the_cassette, setup),
  };
  return cmocka_run_group_tests_name("be_cassette", tests, group_setup, NULL);
}
