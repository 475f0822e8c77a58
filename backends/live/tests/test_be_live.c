/* test_be_live.c - the live (libcurl) backend against real loopback peers
 * the test starts itself: nginx over HTTP/1.1, HTTPS and HTTP/2 with a
 * throw-away CA, raw in-test servers for misbehaviour (stall, reset,
 * endless headers, keep-alive counting) and a small echo server that
 * returns the request bytes it received.  Cases needing nginx (or the
 * openssl CLI for the CA) skip when it is not installed. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include <x7/net.h>

#include "backend_int.h"
#include "be_live_int.h"
#include "core_int.h"
#include "peer.h"
#include "x7_test.h"

#if defined(__SANITIZE_ADDRESS__)
/* From the ASan runtime (sanitizer/allocator_interface.h, which gcc does
 * not install). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define HAVE_ASAN_STATS 1
#endif

/* ------------------------------------------------------------------ */
/* fixture                                                             */

struct env {
  struct x7t_pki *pki;
  struct x7t_nginx *ng;
  int pki_rc, ng_rc;
  char pki_err[1024], ng_err[1024];
  char old_cwd[X7T_PATH_MAX];
  char tmp[X7T_PATH_MAX];
};

static struct env env;

static const char *const proxy_vars[] = {
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
    "ALL_PROXY",  "no_proxy",    "NO_PROXY",   NULL};

static int group_setup(void **state) {
  struct x7t_nginx_opts o;
  (void)state;
  /* The backend leaves proxies to libcurl's environment handling; the
   * loopback peers must not be reached through one. */
  for (const char *const *v = proxy_vars; *v; v++) unsetenv(*v);
  unsetenv("SSL_CERT_FILE");
  unsetenv("SSL_CERT_DIR");
  unsetenv("X07_NET_CA_FILE");
  if (x7_backend_select("live") != X7_OK) return -1;
  env.ng_rc = X7T_PEER_ERR;
  env.pki_rc = x7t_pki_new(&env.pki);
  snprintf(env.pki_err, sizeof env.pki_err, "%s", x7t_peer_error());
  if (env.pki_rc == X7T_PEER_OK) {
    setenv("X07_NET_CA_FILE", env.pki->ca_cert, 1);
    memset(&o, 0, sizeof o);
    o.pki = env.pki;
    o.with_wrong = 1;
    o.with_untrusted = 1;
    env.ng_rc = x7t_nginx_start(&o, &env.ng);
    snprintf(env.ng_err, sizeof env.ng_err, "%s", x7t_peer_error());
  }
  /* Output files are relative to the working directory. */
  if (!getcwd(env.old_cwd, sizeof env.old_cwd)) return -1;
  if (x7t_tmpdir_new("live", env.tmp, sizeof env.tmp) != X7T_PEER_OK)
    return -1;
  if (chdir(env.tmp) != 0) return -1;
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  if (chdir(env.old_cwd) != 0) return -1;
  x7t_tmpdir_remove(env.tmp);
  x7t_nginx_stop(env.ng);
  x7t_pki_free(env.pki);
  return 0;
}

static void need_pki(void) {
  if (env.pki_rc == X7T_PEER_MISSING) skip();
  if (env.pki_rc != X7T_PEER_OK) fail_msg("pki: %s", env.pki_err);
}

static void need_nginx(void) {
  need_pki();
  if (env.ng_rc == X7T_PEER_MISSING) skip();
  if (env.ng_rc != X7T_PEER_OK) fail_msg("nginx: %s", env.ng_err);
}

static void ng_url(const char *kind, const char *path, char *buf) {
  assert_int_equal(x7t_nginx_url(env.ng, kind, path, buf, 256), X7T_PEER_OK);
}

static struct x7t_raw *raw_start(enum x7t_raw_behaviour b, const char *arg) {
  struct x7t_raw *r = NULL;
  int rc = x7t_raw_server_start(b, arg, arg ? strlen(arg) : 0, &r);
  if (rc != X7T_PEER_OK) fail_msg("raw server: %s", x7t_peer_error());
  return r;
}

static void raw_url(struct x7t_raw *r, const char *path, char *buf) {
  assert_int_equal(x7t_raw_url(r, path, buf, 256), X7T_PEER_OK);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

struct caps {
  uint8_t b[28];
};

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static struct caps mkcaps(uint32_t follow, uint32_t timeout_s,
                          uint32_t max_redirects, uint32_t max_header_bytes,
                          uint32_t max_headers, uint32_t max_body_bytes) {
  struct caps c;
  const uint32_t f[7] = {1,           follow,           timeout_s,
                         max_redirects, max_header_bytes, max_headers,
                         max_body_bytes};
  for (int i = 0; i < 7; i++) put32(c.b + 4 * i, f[i]);
  return c;
}

/* Defaults except the body cap, with a short timeout for the tests. */
static struct caps body_caps(uint32_t max_body) {
  return mkcaps(0, 10, 0, 4096, 64, max_body);
}

static const struct caps *std_caps(void) {
  static struct caps c;
  c = mkcaps(0, 10, 0, 65536, 256, 4u << 20);
  return &c;
}

struct freq {
  int32_t method;            /* 0: GET */
  const char *url;
  const char *const *hdrs;   /* name, value, ..., NULL */
  struct x7_view body;
  const struct caps *caps;   /* NULL: std_caps() */
  const char *out;           /* to-file when not NULL */
};

/* The fetch result; never fails at the library level. */
static x7_result fetch_r(const struct freq *q, struct x7_bytes *pout) {
  struct x7_bytes table = {0}, req = {0};
  x7_result r;
  struct caps c = q->caps ? *q->caps : *std_caps();
  r = x7_net_http_spec_headers_empty_v1(&table);
  for (const char *const *h = q->hdrs; !r && h && h[0]; h += 2) {
    struct x7_bytes t2 = {0};
    r = x7_net_http_spec_headers_push_v1(x7_bytes_view(&table),
                                         x7_view_str(h[0]), x7_view_str(h[1]),
                                         &t2);
    x7_bytes_free(&table);
    table = t2;
  }
  if (!r)
    r = x7_net_http_spec_req_v1(q->method ? q->method : 1,
                                x7_view_str(q->url), x7_bytes_view(&table),
                                q->body, x7_view_of(c.b, sizeof c.b), &req);
  x7_bytes_free(&table);
  if (r) return r;
  if (q->out)
    r = x7_net_http_fetch_to_file_v1(x7_bytes_view(&req),
                                     x7_view_str(q->out), pout);
  else
    r = x7_net_http_fetch_v1(x7_bytes_view(&req), pout);
  x7_bytes_free(&req);
  return r;
}

static struct x7_bytes fetch(const struct freq *q) {
  struct x7_bytes d = {0};
  assert_x7_ok(fetch_r(q, &d));
  return d;
}

static struct x7_bytes get(const char *url, const struct caps *c) {
  struct freq q = {.url = url, .caps = c};
  return fetch(&q);
}

static struct x7__live_diag last_diag(void) {
  struct x7__live_diag d;
  x7__live_last_diag(&d);
  return d;
}

/* ------------------------------------------------------------------ */
/* response docs                                                       */

struct hdr {
  struct x7_view name, value;
};

struct rdoc {
  int ver;
  uint32_t status, count;
  struct hdr h[512];
  struct x7_view body;     /* ver 2 */
  struct x7_view path;     /* ver 3 */
  uint32_t file_len;       /* ver 3 */
};

/* Strict walk of an ok doc: every length in bounds and nothing after the
 * last field.  Returns 0, or -1 with a reason in why. */
static int parse_doc(struct x7_view d, struct rdoc *p, const char **why) {
  size_t pos = 10;
  memset(p, 0, sizeof *p);
  *why = "short";
  if (d.len < 10 || d.ptr[0] != 1) {
    *why = "not an ok doc";
    return -1;
  }
  p->ver = d.ptr[1];
  p->status = get32(d.ptr + 2);
  p->count = get32(d.ptr + 6);
  if (p->count > 512) return -1;
  for (uint32_t i = 0; i < p->count; i++) {
    uint32_t n;
    for (int k = 0; k < 2; k++) {
      if (d.len - pos < 4) return -1;
      n = get32(d.ptr + pos);
      pos += 4;
      if (d.len - pos < n) return -1;
      if (k == 0)
        p->h[i].name = x7_view_of(d.ptr + pos, n);
      else
        p->h[i].value = x7_view_of(d.ptr + pos, n);
      pos += n;
    }
  }
  if (d.len - pos < 4) return -1;
  {
    uint32_t n = get32(d.ptr + pos);
    pos += 4;
    if (d.len - pos < n) return -1;
    if (p->ver == 2) p->body = x7_view_of(d.ptr + pos, n);
    if (p->ver == 3) p->path = x7_view_of(d.ptr + pos, n);
    pos += n;
  }
  if (p->ver == 3) {
    if (d.len - pos < 4) return -1;
    p->file_len = get32(d.ptr + pos);
    pos += 4;
  }
  if (p->ver != 2 && p->ver != 3) {
    *why = "bad ver";
    return -1;
  }
  if (pos != d.len) {
    *why = "trailing bytes";
    return -1;
  }
  return 0;
}

static void hexdump_fail(struct x7_bytes d, const char *what) {
  char buf[64];
  size_t n = d.len < 24 ? d.len : 24;
  for (size_t i = 0; i < n; i++) snprintf(buf + 2 * i, 3, "%02x", d.ptr[i]);
  buf[2 * n] = '\0';
  fail_msg("%s: doc (%zu bytes) %s... diag curlcode=%d '%s'", what, d.len, buf,
           last_diag().curlcode, last_diag().errbuf);
}

static void parse_ok(struct x7_bytes d, struct rdoc *p) {
  const char *why;
  if (parse_doc(x7_bytes_view(&d), p, &why)) hexdump_fail(d, why);
}

static int name_is(struct x7_view v, const char *name) {
  size_t n = strlen(name);
  if (v.len != n) return 0;
  for (size_t i = 0; i < n; i++)
    if (x7__lower(v.ptr[i]) != x7__lower((uint8_t)name[i])) return 0;
  return 1;
}

static int hcount(const struct rdoc *p, const char *name) {
  int n = 0;
  for (uint32_t i = 0; i < p->count; i++) n += name_is(p->h[i].name, name);
  return n;
}

/* The idx-th value of header `name` (case-insensitive); fails if absent. */
static struct x7_view hval(const struct rdoc *p, const char *name, int idx) {
  for (uint32_t i = 0; i < p->count; i++)
    if (name_is(p->h[i].name, name) && idx-- == 0) return p->h[i].value;
  fail_msg("no header %s", name);
  return x7_view_of(NULL, 0);
}

/* Bytes the captured headers charge against max_header_bytes. */
static uint32_t header_bytes(const struct rdoc *p) {
  uint32_t t = 0;
  for (uint32_t i = 0; i < p->count; i++)
    t += 8 + (uint32_t)p->h[i].name.len + (uint32_t)p->h[i].value.len;
  return t;
}

static void assert_err(struct x7_bytes d, int code) {
  char want[19];
  snprintf(want, sizeof want, "00%02x00000000000000", code);
  if (d.len != 9 || memcmp(d.ptr, "\0", 1) != 0 || d.ptr[1] != code)
    hexdump_fail(d, want);
  assert_bytes_hex(d, want);
}

static int view_eq(struct x7_view v, const char *s) {
  return v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

static int contains(struct x7_view v, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; n <= v.len && i + n <= v.len; i++)
    if (memcmp(v.ptr + i, needle, n) == 0) return 1;
  return 0;
}

/* Expected-doc builder for exact comparisons. */
struct tb {
  uint8_t p[4096];
  size_t len;
};

static void tb_add(struct tb *t, const void *p, size_t n) {
  assert_true(t->len + n <= sizeof t->p);
  memcpy(t->p + t->len, p, n);
  t->len += n;
}

static void tb_u32(struct tb *t, uint32_t v) {
  uint8_t b[4];
  put32(b, v);
  tb_add(t, b, 4);
}

static void tb_str(struct tb *t, const char *s) {
  tb_u32(t, (uint32_t)strlen(s));
  tb_add(t, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* echo server: answers each request with its own bytes                */

struct echo {
  int lfd;
  uint16_t port;
  pthread_t th;
  atomic_int stop;
};

static int icase_prefix(const char *s, size_t n, const char *p) {
  size_t k = strlen(p);
  if (n < k) return 0;
  for (size_t i = 0; i < k; i++)
    if (x7__lower((uint8_t)s[i]) != (uint8_t)p[i]) return 0;
  return 1;
}

static int read_some(int fd, char *dst, size_t room) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 5000) <= 0) return -1;
  return (int)recv(fd, dst, room, 0);
}

static void echo_serve(int fd) {
  size_t cap = 1 << 16, len = 0, head = 0, clen = 0, line_end;
  char *buf = malloc(cap), *resp;
  char *hdr_end;
  int n;
  if (!buf) return;
  while (!head) {
    if (len == cap) break;
    n = read_some(fd, buf + len, cap - len);
    if (n <= 0) goto out;
    len += (size_t)n;
    for (size_t i = 0; i + 4 <= len; i++)
      if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
        head = i + 4;
        break;
      }
  }
  if (!head) goto out;
  for (size_t i = 0; i < head;) {
    char *eol = memchr(buf + i, '\n', head - i);
    size_t ln = eol ? (size_t)(eol - (buf + i)) : head - i;
    if (icase_prefix(buf + i, ln, "content-length:"))
      clen = strtoul(buf + i + 15, NULL, 10);
    i += ln + 1;
  }
  if (head + clen > cap) {
    char *nb = realloc(buf, head + clen);
    if (!nb) goto out;
    buf = nb;
    cap = head + clen;
  }
  while (len < head + clen) {
    n = read_some(fd, buf + len, head + clen - len);
    if (n <= 0) goto out;
    len += (size_t)n;
  }
  hdr_end = memchr(buf, '\r', head);
  line_end = hdr_end ? (size_t)(hdr_end - buf) : 0;
  resp = malloc(len + 512);
  if (resp) {
    int h = snprintf(resp, 512,
                     "HTTP/1.1 200 OK\r\nX-Request-Line: %.*s\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     (int)line_end, buf, len);
    memcpy(resp + h, buf, len);
    for (size_t off = 0; off < (size_t)h + len;) {
      ssize_t w = send(fd, resp + off, (size_t)h + len - off, MSG_NOSIGNAL);
      if (w <= 0) break;
      off += (size_t)w;
    }
    free(resp);
  }
out:
  free(buf);
}

static void *echo_main(void *arg) {
  struct echo *e = arg;
  while (!atomic_load(&e->stop)) {
    struct pollfd p = {e->lfd, POLLIN, 0};
    int fd;
    if (poll(&p, 1, 50) <= 0) continue;
    fd = accept(e->lfd, NULL, NULL);
    if (fd < 0) continue;
    echo_serve(fd);
    close(fd);
  }
  return NULL;
}

static struct echo *echo_start(void) {
  struct echo *e = calloc(1, sizeof *e);
  struct sockaddr_in a = {0};
  socklen_t al = sizeof a;
  assert_non_null(e);
  e->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(e->lfd >= 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(e->lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(e->lfd, 16), 0);
  assert_int_equal(getsockname(e->lfd, (struct sockaddr *)&a, &al), 0);
  e->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&e->th, NULL, echo_main, e), 0);
  return e;
}

static void echo_stop(struct echo *e) {
  atomic_store(&e->stop, 1);
  pthread_join(e->th, NULL);
  close(e->lfd);
  free(e);
}

/* The request as the echo server received it (body of the response). */
static struct x7_bytes echo_fetch(struct echo *e, const struct freq *q0,
                                  struct rdoc *p) {
  char url[64];
  struct freq q = *q0;
  struct x7_bytes d;
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)e->port);
  q.url = url;
  d = fetch(&q);
  parse_ok(d, p);
  assert_int_equal(p->status, 200);
  return d;
}

/* ------------------------------------------------------------------ */
/* registration                                                        */

static void live_should_be_registered_with_its_caps(void **state) {
  const char *name = NULL;
  unsigned caps = 0;
  struct x7_bytes d = {0};
  (void)state;
  assert_x7_ok(x7_backend_current(&name));
  assert_string_equal(name, "live");
  assert_x7_ok(x7_backend_caps("live", &caps));
  assert_int_equal(caps, X7_BACKEND_CAP_HTTP | X7_BACKEND_CAP_TLS |
                             X7_BACKEND_CAP_HTTP2 | X7_BACKEND_CAP_FILE |
                             X7_BACKEND_CAP_SOCKETS |
                             X7_BACKEND_CAP_TLS_STREAMS);
  assert_int_equal(x7__backend_live.version, X7_BACKEND_OPS_V1);
  /* global_init is idempotent; the registry already ran it once. */
  assert_x7_ok(x7__backend_live.global_init());
  assert_x7_ok(x7__backend_live.global_init());
  assert_x7_result(X7_EINVAL, x7__backend_live.http_fetch(NULL, &d));
  assert_null(d.ptr);
}

/* ------------------------------------------------------------------ */
/* exact docs from scripted peers                                      */

static const char scripted_resp[] =
    "HTTP/1.1 200 OK\r\n"
    "X-A:   spaced \t \r\n"
    "x-b:1\r\n"
    "X-Dup: one\r\n"
    "X-Dup: two\r\n"
    "Empty:\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

/* The doc scripted_resp must produce, byte for byte. */
static void scripted_expected(struct tb *t) {
  static const char *const h[] = {"X-A",   "spaced", "x-b",   "1",
                                  "X-Dup", "one",    "X-Dup", "two",
                                  "Empty", "",       "Content-Length", "5"};
  t->len = 0;
  tb_add(t, "\x01\x02", 2);
  tb_u32(t, 200);
  tb_u32(t, 6);
  for (int i = 0; i < 12; i++) tb_str(t, h[i]);
  tb_str(t, "hello");
}

/* 8 + name + value over the six headers above. */
#define SCRIPTED_HEADER_BYTES                                               \
  ((8 + 3 + 6) + (8 + 3 + 1) + (8 + 5 + 3) * 2 + (8 + 5) + (8 + 14 + 1))

static void get_should_return_the_exact_doc(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, scripted_resp);
  struct x7_bytes d;
  struct tb want;
  char url[256];
  (void)state;
  raw_url(s, "/x", url);
  scripted_expected(&want);
  d = get(url, NULL);
  assert_bytes_eq(d, x7_view_of(want.p, want.len));
  x7_bytes_free(&d);
  x7t_raw_stop(s);
}

static void header_caps_should_allow_exactly_the_limit(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, scripted_resp);
  struct x7_bytes d;
  struct caps c;
  struct tb want;
  char url[256];
  (void)state;
  raw_url(s, "/", url);
  scripted_expected(&want);
  /* Bytes: exactly the total passes, one less is TOO_LARGE. */
  c = mkcaps(0, 10, 0, SCRIPTED_HEADER_BYTES, 64, 100);
  d = get(url, &c);
  assert_bytes_eq(d, x7_view_of(want.p, want.len));
  x7_bytes_free(&d);
  c = mkcaps(0, 10, 0, SCRIPTED_HEADER_BYTES - 1, 64, 100);
  d = get(url, &c);
  assert_err(d, 4);
  x7_bytes_free(&d);
  /* Count: 6 headers fit in 6, not in 5. */
  c = mkcaps(0, 10, 0, 4096, 6, 100);
  d = get(url, &c);
  assert_bytes_eq(d, x7_view_of(want.p, want.len));
  x7_bytes_free(&d);
  c = mkcaps(0, 10, 0, 4096, 5, 100);
  d = get(url, &c);
  assert_err(d, 4);
  x7_bytes_free(&d);
  /* Either limit 0 disables capture: no headers, no error. */
  for (int k = 0; k < 2; k++) {
    struct tb t = {.len = 0};
    c = mkcaps(0, 10, 0, k ? 0 : 4096, k ? 64 : 0, 100);
    d = get(url, &c);
    tb_add(&t, "\x01\x02", 2);
    tb_u32(&t, 200);
    tb_u32(&t, 0);
    tb_str(&t, "hello");
    assert_bytes_eq(d, x7_view_of(t.p, t.len));
    x7_bytes_free(&d);
  }
  x7t_raw_stop(s);
}

static void body_caps_should_allow_exactly_the_limit(void **state) {
  /* Content-Length framed, chunked (no length known up front) and
   * close-delimited bodies. */
  static const struct {
    const char *resp;
    const char *body;
  } cases[] = {
      {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
       "abcdefg"},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabcdef", "abcdef"},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, cases[i].resp);
    uint32_t n = (uint32_t)strlen(cases[i].body);
    struct caps c = body_caps(n);
    struct x7_bytes d;
    struct rdoc p;
    char url[256];
    raw_url(s, "/", url);
    d = get(url, &c);
    parse_ok(d, &p);
    assert_true(view_eq(p.body, cases[i].body));
    x7_bytes_free(&d);
    c = body_caps(n - 1);
    d = get(url, &c);
    assert_err(d, 4);
    x7_bytes_free(&d);
    c = body_caps(0);
    d = get(url, &c);
    assert_err(d, 4);
    x7_bytes_free(&d);
    x7t_raw_stop(s);
  }
}

/* ------------------------------------------------------------------ */
/* nginx: status codes, headers, bodies                                */

static void get_should_return_every_status_with_its_body(void **state) {
  static const int codes[] = {200, 201, 202, 204, 304, 400, 401,
                              403, 404, 429, 500, 502, 503};
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
      char path[32], url[256], want[32];
      struct x7_bytes d;
      struct rdoc p;
      snprintf(path, sizeof path, "/status/%d", codes[i]);
      ng_url(tls ? "https" : "http", path, url);
      d = get(url, NULL);
      parse_ok(d, &p);
      assert_int_equal(p.ver, 2);
      assert_int_equal(p.status, codes[i]);
      if (codes[i] == 204 || codes[i] == 304) {
        assert_int_equal(p.body.len, 0);
      } else {
        snprintf(want, sizeof want, "status %d\n", codes[i]);
        assert_true(view_eq(p.body, want));
      }
      assert_int_equal(last_diag().http_version,
                       tls ? CURL_HTTP_VERSION_2_0 : CURL_HTTP_VERSION_1_1);
      x7_bytes_free(&d);
    }
  }
}

static void head_should_return_headers_without_a_body(void **state) {
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    struct freq q = {.method = X7_NET_HTTP_METHOD_HEAD};
    char url[256];
    struct x7_bytes d;
    struct rdoc p;
    ng_url(tls ? "https" : "http", "/1k", url);
    q.url = url;
    d = fetch(&q);
    parse_ok(d, &p);
    assert_int_equal(p.status, 200);
    assert_int_equal(p.body.len, 0);
    assert_true(view_eq(hval(&p, "content-length", 0), "1024"));
    x7_bytes_free(&d);
    /* A HEAD of something larger than the body cap is fine: no body. */
    ng_url(tls ? "https" : "http", "/big", url);
    {
      struct caps c = body_caps(0);
      q.caps = &c;
      d = fetch(&q);
      parse_ok(d, &p);
      assert_int_equal(p.status, 200);
      assert_int_equal(p.body.len, 0);
      x7_bytes_free(&d);
      q.caps = NULL;
    }
  }
}

static void get_should_capture_duplicate_headers_in_order(void **state) {
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    char url[256];
    struct x7_bytes d, v = {0};
    struct rdoc p;
    ng_url(tls ? "https" : "http", "/dup-headers", url);
    d = get(url, NULL);
    parse_ok(d, &p);
    assert_int_equal(p.status, 200);
    assert_true(view_eq(p.body, "dup\n"));
    assert_int_equal(hcount(&p, "x-dup"), 2);
    assert_true(view_eq(hval(&p, "x-dup", 0), "a"));
    assert_true(view_eq(hval(&p, "x-dup", 1), "b"));
    assert_int_equal(hcount(&p, "set-cookie"), 2);
    assert_true(view_eq(hval(&p, "set-cookie", 0), "a=1"));
    assert_true(view_eq(hval(&p, "set-cookie", 1), "b=2"));
    /* Names as received: HTTP/1.1 nginx capitalises, HTTP/2 is lower. */
    for (uint32_t i = 0; i < p.count; i++)
      if (name_is(p.h[i].name, "x-dup"))
        assert_true(view_eq(p.h[i].name, tls ? "x-dup" : "X-Dup"));
    assert_x7_ok(
        x7_net_http_resp_header_get_v1(x7_bytes_view(&d), x7_view_str("X-DUP"),
                                       &v));
    assert_bytes_str(v, "a");
    x7_bytes_free(&v);
    x7_bytes_free(&d);
  }
}

static void large_headers_should_hit_the_caps_exactly(void **state) {
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    char url[256];
    struct x7_bytes d;
    struct rdoc p;
    struct caps c;
    uint32_t total, count;
    ng_url(tls ? "https" : "http", "/big-headers", url);
    /* The default 4096 bytes cannot hold an 8 KiB header. */
    c = mkcaps(0, 10, 0, 4096, 64, 65536);
    d = get(url, &c);
    assert_err(d, 4);
    x7_bytes_free(&d);
    d = get(url, NULL);
    parse_ok(d, &p);
    assert_int_equal(p.status, 200);
    assert_int_equal(hval(&p, "x-big", 0).len, X7T_NGINX_BIG_HEADER_LEN);
    /* Four copies of a 2 KiB pattern run. */
    for (int k = 0; k < 4; k++)
      assert_int_equal(
          x7t_pattern_mismatch(hval(&p, "x-big", 0).ptr +
                                   k * (X7T_NGINX_BIG_HEADER_LEN / 4),
                               X7T_NGINX_BIG_HEADER_LEN / 4, 0),
          -1);
    total = header_bytes(&p);
    count = p.count;
    x7_bytes_free(&d);
    c = mkcaps(0, 10, 0, total, count, 65536);
    d = get(url, &c);
    parse_ok(d, &p);
    assert_int_equal(p.count, count);
    x7_bytes_free(&d);
    c = mkcaps(0, 10, 0, total - 1, count, 65536);
    d = get(url, &c);
    assert_err(d, 4);
    x7_bytes_free(&d);
    c = mkcaps(0, 10, 0, total, count - 1, 65536);
    d = get(url, &c);
    assert_err(d, 4);
    x7_bytes_free(&d);
  }
}

static void chunked_bodies_should_be_reassembled(void **state) {
  static const char body[] = "chunk-a\nhello\nchunk-b\n";
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    char url[256];
    struct x7_bytes d;
    struct rdoc p;
    struct caps c = body_caps(sizeof body - 1);
    ng_url(tls ? "https" : "http", "/chunked", url);
    d = get(url, &c);
    parse_ok(d, &p);
    assert_true(view_eq(p.body, body));
    if (!tls)
      assert_true(view_eq(hval(&p, "transfer-encoding", 0), "chunked"));
    x7_bytes_free(&d);
    c = body_caps(sizeof body - 2);
    d = get(url, &c);
    assert_err(d, 4);
    x7_bytes_free(&d);
  }
}

static void bodies_should_pass_at_the_cap_and_fail_one_over(void **state) {
  static const struct {
    const char *path;
    uint32_t len;
  } cases[] = {{"/1k", 1024}, {"/big", 1048576}, {"/empty", 0}};
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      char url[256];
      struct x7_bytes d;
      struct rdoc p;
      struct caps c = body_caps(cases[i].len);
      ng_url(tls ? "https" : "http", cases[i].path, url);
      d = get(url, &c);
      parse_ok(d, &p);
      assert_int_equal(p.body.len, cases[i].len);
      assert_int_equal(x7t_pattern_mismatch(p.body.ptr, p.body.len, 0), -1);
      x7_bytes_free(&d);
      if (cases[i].len == 0) continue;
      c = body_caps(cases[i].len - 1);
      d = get(url, &c);
      assert_err(d, 4);
      x7_bytes_free(&d);
      c = body_caps(0);
      d = get(url, &c);
      assert_err(d, 4);
      x7_bytes_free(&d);
    }
  }
}

static void body_cap_should_abort_without_waiting_for_the_body(void **state) {
  char url[256];
  struct x7_bytes d;
  struct caps c;
  double t0;
  (void)state;
  need_nginx();
  /* /slow trickles 1 MiB at 16 KiB/s: a whole read would take a minute. */
  ng_url("http", "/slow", url);
  c = mkcaps(0, 30, 0, 4096, 64, 1000);
  t0 = now_s();
  d = get(url, &c);
  assert_err(d, 4);
  assert_true(now_s() - t0 < 2.0);
  x7_bytes_free(&d);
  /* ...and the whole-transfer timeout cuts a slow body short. */
  c = mkcaps(0, 1, 0, 4096, 64, 2u << 20);
  t0 = now_s();
  d = get(url, &c);
  assert_err(d, 3);
  assert_true(now_s() - t0 < 3.0);
  assert_int_equal(last_diag().curlcode, CURLE_OPERATION_TIMEDOUT);
  x7_bytes_free(&d);
}

/* ------------------------------------------------------------------ */
/* redirects                                                           */

static void redirects_should_be_followed_only_when_asked(void **state) {
  char url[256];
  struct x7_bytes d;
  struct rdoc p;
  struct caps c;
  (void)state;
  need_nginx();
  ng_url("http", "/redirect/3", url);
  d = get(url, NULL);
  parse_ok(d, &p);
  assert_int_equal(p.status, 302);
  assert_true(view_eq(hval(&p, "location", 0), "/redirect/2"));
  assert_int_equal(last_diag().redirect_count, 0);
  x7_bytes_free(&d);
  /* Exactly max_redirects hops are allowed; headers of every hop
   * accumulate in order. */
  for (int tls = 0; tls < 2; tls++) {
    ng_url(tls ? "https" : "http", "/redirect/3", url);
    c = mkcaps(1, 10, 3, 65536, 256, 65536);
    d = get(url, &c);
    parse_ok(d, &p);
    assert_int_equal(p.status, 200);
    assert_true(view_eq(p.body, "done\n"));
    assert_int_equal(hcount(&p, "location"), 3);
    assert_true(view_eq(hval(&p, "location", 0), "/redirect/2"));
    assert_true(view_eq(hval(&p, "location", 2), "/redirect/0"));
    assert_int_equal(last_diag().redirect_count, 3);
    x7_bytes_free(&d);
    c = mkcaps(1, 10, 2, 65536, 256, 65536);
    d = get(url, &c);
    assert_err(d, 8);
    assert_int_equal(last_diag().curlcode, CURLE_TOO_MANY_REDIRECTS);
    x7_bytes_free(&d);
  }
  /* max_redirects 0 means 5 when following. */
  c = mkcaps(1, 10, 0, 65536, 256, 65536);
  ng_url("http", "/redirect/5", url);
  d = get(url, &c);
  parse_ok(d, &p);
  assert_int_equal(p.status, 200);
  x7_bytes_free(&d);
  ng_url("http", "/redirect/6", url);
  d = get(url, &c);
  assert_err(d, 8);
  x7_bytes_free(&d);
  /* A loop ends at the cap too; more than 100 is an invalid request. */
  ng_url("http", "/loop", url);
  c = mkcaps(1, 10, 20, 65536, 256, 65536);
  d = get(url, &c);
  assert_err(d, 8);
  assert_int_equal(last_diag().redirect_count, 20);
  x7_bytes_free(&d);
  c = mkcaps(1, 10, 101, 65536, 256, 65536);
  d = get(url, &c);
  assert_err(d, 2);
  x7_bytes_free(&d);
}

static void redirects_should_never_leave_http(void **state) {
  static const char *const targets[] = {"file:///etc/passwd",
                                        "ftp://127.0.0.1/x",
                                        "dict://127.0.0.1/x"};
  (void)state;
  for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    char resp[256], url[256];
    struct x7t_raw *s;
    struct x7_bytes d;
    struct rdoc p;
    struct caps c = mkcaps(1, 10, 5, 4096, 64, 65536);
    snprintf(resp, sizeof resp,
             "HTTP/1.1 302 Found\r\nLocation: %s\r\n"
             "Content-Length: 0\r\n\r\n",
             targets[i]);
    s = raw_start(X7T_RAW_SCRIPTED, resp);
    raw_url(s, "/", url);
    d = get(url, &c);
    assert_err(d, 8);
    assert_int_equal(last_diag().curlcode, CURLE_UNSUPPORTED_PROTOCOL);
    x7_bytes_free(&d);
    /* Not following: the 302 itself is the answer. */
    d = get(url, NULL);
    parse_ok(d, &p);
    assert_int_equal(p.status, 302);
    assert_true(view_eq(hval(&p, "location", 0), targets[i]));
    x7_bytes_free(&d);
    x7t_raw_stop(s);
  }
}

/* ------------------------------------------------------------------ */
/* error mapping                                                       */

static void stalled_peers_should_time_out(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_STALL, NULL);
  char url[256];
  struct caps c = mkcaps(0, 1, 0, 4096, 64, 65536);
  struct x7_bytes d;
  double t0, dt;
  (void)state;
  raw_url(s, "/", url);
  t0 = now_s();
  d = get(url, &c);
  dt = now_s() - t0;
  assert_bytes_hex(d, "000300000000000000");
  assert_int_equal(last_diag().curlcode, CURLE_OPERATION_TIMEDOUT);
  assert_true(dt >= 0.9 && dt < 3.0);
  x7_bytes_free(&d);
  x7t_raw_stop(s);
}

static void refused_connections_should_give_connect(void **state) {
  struct sockaddr_in a = {0};
  socklen_t al = sizeof a;
  char url[64];
  struct x7_bytes d;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  (void)state;
  assert_true(fd >= 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
  close(fd); /* bound, never listened: nothing accepts on that port */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)ntohs(a.sin_port));
  d = get(url, NULL);
  assert_bytes_hex(d, "000600000000000000");
  assert_int_equal(last_diag().curlcode, CURLE_COULDNT_CONNECT);
  x7_bytes_free(&d);
}

static void unresolvable_names_should_give_dns(void **state) {
  struct caps c = mkcaps(0, 10, 0, 4096, 64, 65536);
  struct x7_bytes d;
  (void)state;
  /* A 64-octet label cannot be put into a DNS query, so the resolver
   * fails at once without sending anything: the test stays on this
   * machine (plain "nothing.invalid" would ask the configured name
   * server, and a CI machine without one would time out instead). */
  d = get("http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
          ".invalid/",
          &c);
  assert_bytes_hex(d, "000500000000000000");
  assert_int_equal(last_diag().curlcode, CURLE_COULDNT_RESOLVE_HOST);
  x7_bytes_free(&d);
}

static void bad_certificates_should_give_tls(void **state) {
  static const char *const kinds[] = {"https-wrong", "https-untrusted"};
  char url[256];
  struct x7_bytes d;
  struct rdoc p;
  (void)state;
  need_nginx();
  for (int i = 0; i < 2; i++) {
    ng_url(kinds[i], "/hello.txt", url);
    d = get(url, NULL);
    assert_bytes_hex(d, "000700000000000000");
    assert_int_equal(last_diag().curlcode, CURLE_PEER_FAILED_VERIFICATION);
    x7_bytes_free(&d);
  }
  /* The good server after a successful fetch, then with the test CA no
   * longer trusted: the cached verified connection must not be reused
   * under the new trust settings. */
  ng_url("https", "/hello.txt", url);
  d = get(url, NULL);
  parse_ok(d, &p);
  assert_true(view_eq(p.body, "hello\n"));
  x7_bytes_free(&d);
  unsetenv("X07_NET_CA_FILE");
  d = get(url, NULL);
  assert_err(d, 7);
  x7_bytes_free(&d);
  /* SSL_CERT_FILE is honoured when X07_NET_CA_FILE is not set. */
  setenv("SSL_CERT_FILE", env.pki->ca_cert, 1);
  d = get(url, NULL);
  parse_ok(d, &p);
  assert_true(view_eq(p.body, "hello\n"));
  x7_bytes_free(&d);
  /* X07_NET_CA_FILE wins over SSL_CERT_FILE. */
  setenv("X07_NET_CA_FILE", env.pki->untrusted_ca_cert, 1);
  d = get(url, NULL);
  assert_err(d, 7);
  x7_bytes_free(&d);
  unsetenv("SSL_CERT_FILE");
  setenv("X07_NET_CA_FILE", env.pki->ca_cert, 1);
  /* A CA file that does not exist is a TLS failure, not a crash. */
  setenv("X07_NET_CA_FILE", "no-such-ca.pem", 1);
  d = get(url, NULL);
  assert_err(d, 7);
  x7_bytes_free(&d);
  setenv("X07_NET_CA_FILE", env.pki->ca_cert, 1);
}

static void endless_headers_should_be_too_large(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_ENDLESS_HEADERS, NULL);
  char url[256];
  struct caps c = mkcaps(0, 10, 0, 4096, 64, 65536);
  struct x7_bytes d;
  double t0 = now_s();
  (void)state;
  raw_url(s, "/", url);
  d = get(url, &c);
  assert_bytes_hex(d, "000400000000000000");
  assert_int_equal(last_diag().curlcode, CURLE_WRITE_ERROR);
  x7_bytes_free(&d);
  /* The byte cap alone stops it too. */
  c = mkcaps(0, 10, 0, 100000, 65535, 65536);
  d = get(url, &c);
  assert_err(d, 4);
  x7_bytes_free(&d);
  /* With capture off only libcurl's own total cap (300 KiB on 7.88)
   * stops it, as upstream: a recv error, INTERNAL(8). */
  c = mkcaps(0, 10, 0, 0, 0, 65536);
  d = get(url, &c);
#if LIBCURL_VERSION_NUM < 0x080600
  assert_err(d, 8);
  assert_int_equal(last_diag().curlcode, CURLE_RECV_ERROR);
#else
  assert_int_equal(d.ptr[0], 0);
#endif
  x7_bytes_free(&d);
  assert_true(now_s() - t0 < 5.0);
  x7t_raw_stop(s);
}

static void resets_should_give_internal_and_never_sigpipe(void **state) {
  static const enum x7t_raw_behaviour kinds[] = {X7T_RAW_RESET,
                                                 X7T_RAW_RESET_AFTER_HEAD};
  (void)state;
  for (int i = 0; i < 2; i++) {
    struct x7t_raw *s = raw_start(kinds[i], NULL);
    char url[256];
    struct x7_bytes d;
    /* A big POST body is still being sent when the RST arrives: the
     * write must fail with EPIPE/ECONNRESET, not kill the process. */
    size_t n = 8u << 20;
    uint8_t *body = malloc(n);
    struct freq q = {.method = X7_NET_HTTP_METHOD_POST};
    int rc;
    assert_non_null(body);
    memset(body, 'x', n);
    raw_url(s, "/", url);
    q.url = url;
    q.body = x7_view_of(body, n);
    /* An RST right after accept() may land while libcurl is still
     * checking the connect: CONNECT(6).  Once the request went out, the
     * failure is a send/recv error: INTERNAL(8) as upstream. */
    for (int k = 0; k < 2; k++) {
      if (k == 0) d = fetch(&q);
      else d = get(url, NULL);
      rc = last_diag().curlcode;
      if (kinds[i] == X7T_RAW_RESET && rc == CURLE_COULDNT_CONNECT) {
        assert_err(d, 6);
      } else {
        assert_err(d, 8);
        assert_true(rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
                    rc == CURLE_GOT_NOTHING);
      }
      x7_bytes_free(&d);
    }
    free(body);
    x7t_raw_stop(s);
  }
}

static void unsupported_schemes_should_be_internal(void **state) {
  struct x7_bytes d;
  (void)state;
  d = get("gopher://127.0.0.1:1/", NULL);
  assert_err(d, 8);
  assert_int_equal(last_diag().curlcode, CURLE_UNSUPPORTED_PROTOCOL);
  x7_bytes_free(&d);
  d = get("not a url", NULL);
  assert_err(d, 8);
  x7_bytes_free(&d);
}

static void file_urls_should_have_status_zero(void **state) {
  char url[X7T_PATH_MAX + 16];
  struct x7_bytes d;
  struct rdoc p;
  struct caps c;
  (void)state;
  assert_int_equal(x7t_write_file("in.txt", "filedata", 8), X7T_PEER_OK);
  snprintf(url, sizeof url, "file://%s/in.txt", env.tmp);
  d = get(url, NULL);
  parse_ok(d, &p);
  assert_int_equal(p.status, 0);
  assert_true(view_eq(p.body, "filedata"));
  x7_bytes_free(&d);
  c = body_caps(7);
  d = get(url, &c);
  assert_err(d, 4);
  x7_bytes_free(&d);
  unlink("in.txt");
}

/* ------------------------------------------------------------------ */
/* request shape (echo server)                                         */

static void methods_should_send_the_right_request(void **state) {
  static const struct {
    int32_t method;
    const char *body;
    const char *line;
    const char *clen; /* expected Content-Length header or NULL */
  } cases[] = {
      {X7_NET_HTTP_METHOD_GET, NULL, "GET / HTTP/1.1", NULL},
      {X7_NET_HTTP_METHOD_POST, "hello", "POST / HTTP/1.1",
       "\r\nContent-Length: 5\r\n"},
      {X7_NET_HTTP_METHOD_POST, NULL, "POST / HTTP/1.1",
       "\r\nContent-Length: 0\r\n"},
      {X7_NET_HTTP_METHOD_HEAD, NULL, "HEAD / HTTP/1.1", NULL},
      {X7_NET_HTTP_METHOD_PUT, "abc", "PUT / HTTP/1.1",
       "\r\nContent-Length: 3\r\n"},
      {X7_NET_HTTP_METHOD_PUT, NULL, "PUT / HTTP/1.1",
       "\r\nContent-Length: 0\r\n"},
      {X7_NET_HTTP_METHOD_DELETE, NULL, "DELETE / HTTP/1.1", NULL},
      {X7_NET_HTTP_METHOD_DELETE, "why", "DELETE / HTTP/1.1",
       "\r\nContent-Length: 3\r\n"},
      {X7_NET_HTTP_METHOD_PATCH, "{}", "PATCH / HTTP/1.1",
       "\r\nContent-Length: 2\r\n"},
      {X7_NET_HTTP_METHOD_OPTIONS, NULL, "OPTIONS / HTTP/1.1", NULL},
  };
  struct echo *e = echo_start();
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct freq q = {.method = cases[i].method};
    struct x7_bytes d;
    struct rdoc p;
    struct x7_view req;
    if (cases[i].body) q.body = x7_view_str(cases[i].body);
    d = echo_fetch(e, &q, &p);
    assert_true(view_eq(hval(&p, "x-request-line", 0), cases[i].line));
    req = p.body;
    if (cases[i].method == X7_NET_HTTP_METHOD_HEAD) {
      assert_int_equal(req.len, 0);
    } else {
      char start[32];
      snprintf(start, sizeof start, "%s\r\n", cases[i].line);
      assert_true(req.len > strlen(start));
      assert_memory_equal(req.ptr, start, strlen(start));
      if (cases[i].clen)
        assert_true(contains(req, cases[i].clen));
      else
        assert_false(contains(req, "Content-Length"));
      if (cases[i].body) {
        size_t n = strlen(cases[i].body);
        assert_memory_equal(req.ptr + req.len - n - 4, "\r\n\r\n", 4);
        assert_memory_equal(req.ptr + req.len - n, cases[i].body, n);
      } else {
        assert_memory_equal(req.ptr + req.len - 4, "\r\n\r\n", 4);
      }
      /* No Expect handshake, no compression negotiation. */
      assert_false(contains(req, "Expect"));
      assert_false(contains(req, "Accept-Encoding"));
    }
    x7_bytes_free(&d);
  }
  echo_stop(e);
}

static void headers_should_be_sent_canonical_and_empty_values_kept(
    void **state) {
  static const char *const hdrs[] = {"X-Empty", "",    "Foo", "b",
                                     "foo",     "a",   "X-Sp", " v ",
                                     NULL};
  struct echo *e = echo_start();
  struct freq q = {.method = X7_NET_HTTP_METHOD_POST, .hdrs = hdrs};
  struct x7_bytes d;
  struct rdoc p;
  size_t n = 200000;
  uint8_t *big = malloc(n);
  (void)state;
  assert_non_null(big);
  memset(big, 'z', n);
  q.body = x7_view_of(big, n);
  d = echo_fetch(e, &q, &p);
  /* Lowercased, sorted, merged with ", "; the empty header is sent. */
  assert_true(contains(p.body, "\r\nfoo: a, b\r\n"));
  assert_true(contains(p.body, "\r\nx-empty:\r\n"));
  assert_true(contains(p.body, "\r\nx-sp:  v \r\n"));
  /* libcurl's default POST content type is kept, as upstream; a large
   * body still gets no Expect: 100-continue. */
  assert_true(contains(p.body, "\r\nContent-Type: "
                               "application/x-www-form-urlencoded\r\n"));
  assert_false(contains(p.body, "Expect"));
  assert_int_equal(p.body.len > n, 1);
  assert_memory_equal(p.body.ptr + p.body.len - n, big, n);
  x7_bytes_free(&d);
  free(big);
  echo_stop(e);
}

static void caller_expect_header_should_be_kept(void **state) {
  static const char *const hdrs[] = {"Expect", "100-continue", NULL};
  struct echo *e = echo_start();
  struct freq q = {.method = X7_NET_HTTP_METHOD_POST, .hdrs = hdrs};
  struct x7_bytes d;
  struct rdoc p;
  (void)state;
  q.body = x7_view_str("payload");
  /* The echo server never sends 100 Continue: libcurl sends the body
   * after its one-second wait. */
  d = echo_fetch(e, &q, &p);
  assert_true(contains(p.body, "\r\nexpect: 100-continue\r\n"));
  assert_false(contains(p.body, "Expect:"));
  assert_true(contains(p.body, "\r\n\r\npayload"));
  x7_bytes_free(&d);
  echo_stop(e);
}

static void non_token_header_names_should_be_invalid(void **state) {
  static const char *const bad[][3] = {
      {"a:b", "c", NULL}, {"a b", "c", NULL}, {"a;", "", NULL},
      {"\x7f", "x", NULL}, {"caf\xc3\xa9", "x", NULL}};
  struct echo *e = echo_start();
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char url[64];
    struct freq q = {.hdrs = bad[i]};
    struct x7_bytes d;
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)e->port);
    q.url = url;
    /* The core refuses these before any backend runs (so the live
     * backend's own token check is only a backstop for direct calls,
     * tested below). */
    d = fetch(&q);
    assert_err(d, 2);
    x7_bytes_free(&d);
  }
  echo_stop(e);
}

/* The vtable called directly (as a wrapping backend would) with header
 * tables the core would never pass: bounds-checked, rejected as 2. */
/* A wrapping backend may call the vtable with requests the core never
 * builds: an unknown method must not silently become a GET. */
static void direct_calls_should_check_the_method(void **state) {
  static const struct {
    uint32_t method;
    const char *body;
  } bad[] = {{0, ""}, {8, ""}, {0xffffffffu, ""}, {1, "b"}, {3, "b"}};
  struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, scripted_resp);
  struct x7_http_fetch f = {0};
  struct x7_bytes d = {0};
  char url[256];
  (void)state;
  raw_url(s, "/", url);
  f.url = x7_view_str(url);
  f.headers = x7_view_of("\0\0\0\0", 4);
  f.timeout_s = 10;
  f.max_body_bytes = 100;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    f.method = bad[i].method;
    f.body = x7_view_str(bad[i].body);
    assert_x7_ok(x7__backend_live.http_fetch(&f, &d));
    assert_err(d, 2);
    x7_bytes_free(&d);
  }
  assert_int_equal(x7t_raw_connections(s), 0);
  x7t_raw_stop(s);
}

static void direct_calls_should_check_the_header_table(void **state) {
  static const uint8_t truncated[] = {1, 0, 0, 0, 3, 0, 0, 0, 'a'};
  static const uint8_t crlf[] = {1, 0, 0, 0, 1, 0, 0, 0, 'a',
                                 3, 0, 0, 0, 'x', '\r', 'y'};
  static const uint8_t no_name[] = {1, 0, 0, 0, 0, 0, 0, 0,
                                    1, 0, 0, 0, 'v'};
  const struct x7_view tables[] = {x7_view_of(truncated, sizeof truncated),
                                   x7_view_of(crlf, sizeof crlf),
                                   x7_view_of(no_name, sizeof no_name)};
  struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, scripted_resp);
  struct x7_http_fetch f = {0};
  struct x7_bytes d = {0};
  struct tb want;
  char url[256];
  (void)state;
  raw_url(s, "/", url);
  f.method = X7_NET_HTTP_METHOD_GET;
  f.url = x7_view_str(url);
  f.timeout_s = 10;
  f.max_header_bytes = 4096;
  f.max_headers = 64;
  f.max_body_bytes = 100;
  for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
    uint8_t *copy = malloc(tables[i].len);
    assert_non_null(copy);
    memcpy(copy, tables[i].ptr, tables[i].len);
    f.headers = x7_view_of(copy, tables[i].len); /* exact size for ASan */
    assert_x7_ok(x7__backend_live.http_fetch(&f, &d));
    assert_err(d, 2);
    x7_bytes_free(&d);
    free(copy);
  }
  /* An empty view means no headers. */
  f.headers = x7_view_of(NULL, 0);
  assert_x7_ok(x7__backend_live.http_fetch(&f, &d));
  scripted_expected(&want);
  assert_bytes_eq(d, x7_view_of(want.p, want.len));
  x7_bytes_free(&d);
  x7t_raw_stop(s);
}

/* ------------------------------------------------------------------ */
/* fetch to file                                                       */

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void to_file_should_write_exact_bytes(void **state) {
  (void)state;
  need_nginx();
  for (int tls = 0; tls < 2; tls++) {
    char url[256];
    struct freq q = {0};
    struct x7_bytes d, path = {0};
    struct rdoc p;
    struct caps c = body_caps(1048576);
    FILE *f;
    uint8_t *buf = malloc(1048576 + 1);
    size_t got;
    int32_t flen = 0;
    assert_non_null(buf);
    ng_url(tls ? "https" : "http", "/big", url);
    /* An existing file is truncated. */
    assert_int_equal(x7t_write_file("big.bin", "stale-and-longer", 16),
                     X7T_PEER_OK);
    q.url = url;
    q.caps = &c;
    q.out = "big.bin";
    d = fetch(&q);
    parse_ok(d, &p);
    assert_int_equal(p.ver, 3);
    assert_int_equal(p.status, 200);
    assert_true(view_eq(p.path, "big.bin"));
    assert_int_equal(p.file_len, 1048576);
    assert_true(view_eq(hval(&p, "content-length", 0), "1048576"));
    assert_x7_ok(x7_net_http_resp_file_path_v1(x7_bytes_view(&d), &path));
    assert_bytes_str(path, "big.bin");
    assert_x7_ok(x7_net_http_resp_file_len_v1(x7_bytes_view(&d), &flen));
    assert_int_equal(flen, 1048576);
    f = fopen("big.bin", "rb");
    assert_non_null(f);
    got = fread(buf, 1, 1048576 + 1, f);
    fclose(f);
    assert_int_equal(got, 1048576);
    assert_int_equal(x7t_pattern_mismatch(buf, got, 0), -1);
    x7_bytes_free(&path);
    x7_bytes_free(&d);
    /* One byte over: TOO_LARGE and the partial file is gone. */
    c = body_caps(1048575);
    d = fetch(&q);
    assert_err(d, 4);
    assert_int_equal(file_size("big.bin"), -1);
    x7_bytes_free(&d);
    /* Empty body to file. */
    ng_url(tls ? "https" : "http", "/empty", url);
    c = body_caps(0);
    q.out = "empty.bin";
    d = fetch(&q);
    parse_ok(d, &p);
    assert_int_equal(p.file_len, 0);
    assert_int_equal(file_size("empty.bin"), 0);
    x7_bytes_free(&d);
    unlink("empty.bin");
    unlink("big.bin");
    free(buf);
  }
}

static void to_file_should_fail_cleanly(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, scripted_resp);
  char url[256];
  struct freq q = {0};
  struct x7_bytes d;
  struct tb want = {.len = 0};
  (void)state;
  raw_url(s, "/", url);
  q.url = url;
  /* The exact v3 doc. */
  q.out = "sub.txt";
  d = fetch(&q);
  tb_add(&want, "\x01\x03", 2);
  tb_u32(&want, 200);
  {
    struct tb h;
    scripted_expected(&h);
    /* headers of the v2 doc: after 01 02 status count, before the body. */
    tb_u32(&want, 6);
    tb_add(&want, h.p + 10, h.len - 10 - 4 - 5);
  }
  tb_str(&want, "sub.txt");
  tb_u32(&want, 5);
  assert_bytes_eq(d, x7_view_of(want.p, want.len));
  x7_bytes_free(&d);
  assert_int_equal(file_size("sub.txt"), 5);
  unlink("sub.txt");
  /* A directory that does not exist: INTERNAL, nothing created. */
  q.out = "no-such-dir/x.bin";
  d = fetch(&q);
  assert_err(d, 8);
  assert_int_equal(last_diag().curlcode, -1);
  x7_bytes_free(&d);
  /* Not a safe relative path: rejected by the core. */
  q.out = "../x.bin";
  d = fetch(&q);
  assert_err(d, 2);
  x7_bytes_free(&d);
  /* A file the process may not write is left alone. */
  if (geteuid() != 0) {
    assert_int_equal(x7t_write_file("ro.bin", "keep", 4), X7T_PEER_OK);
    assert_int_equal(chmod("ro.bin", 0444), 0);
    q.out = "ro.bin";
    d = fetch(&q);
    assert_err(d, 8);
    assert_int_equal(file_size("ro.bin"), 4);
    x7_bytes_free(&d);
    unlink("ro.bin");
  }
  /* Errors after the file was opened remove it. */
  {
    struct caps c = mkcaps(0, 10, 0, 4096, 2, 100);
    q.out = "hdr.bin";
    q.caps = &c;
    d = fetch(&q);
    assert_err(d, 4);
    assert_int_equal(file_size("hdr.bin"), -1);
    x7_bytes_free(&d);
  }
  x7t_raw_stop(s);
  {
    struct x7t_raw *st = raw_start(X7T_RAW_STALL, NULL);
    struct caps c = mkcaps(0, 1, 0, 4096, 64, 100);
    raw_url(st, "/", url);
    q.url = url;
    q.caps = &c;
    q.out = "stall.bin";
    d = fetch(&q);
    assert_err(d, 3);
    assert_int_equal(file_size("stall.bin"), -1);
    x7_bytes_free(&d);
    x7t_raw_stop(st);
  }
}

/* ------------------------------------------------------------------ */
/* connection reuse                                                    */

/* After fork() the child must not use (or close) the parent's pooled
 * connection: both processes fetch over the same origin at once and both
 * get their own, correct responses. */
static void fork_should_not_share_the_pooled_connection(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_KEEPALIVE, "ka");
  char url[256];
  struct freq q = {0};
  struct x7_bytes d;
  struct rdoc p;
  pid_t pid;
  int status = 0;
  (void)state;
  x7__live_thread_release();
  raw_url(s, "/", url);
  q.url = url;
  d = fetch(&q); /* the parent now holds a kept-alive connection */
  parse_ok(d, &p);
  x7_bytes_free(&d);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int ok = 1;
    for (int i = 0; i < 20 && ok; i++) {
      struct x7_bytes c = fetch(&q);
      ok = c.len > 10 && c.ptr[0] == 1 && c.ptr[1] == 2;
      x7_bytes_free(&c);
    }
    _exit(ok ? 0 : 1);
  }
  for (int i = 0; i < 20; i++) {
    d = fetch(&q);
    parse_ok(d, &p);
    assert_true(view_eq(p.body, "ka"));
    /* Still the parent's first connection: the child never touched it. */
    assert_true(view_eq(hval(&p, "x-conn", 0), "1"));
    x7_bytes_free(&d);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_true(x7t_raw_connections(s) >= 2); /* the child opened its own */
  x7__live_thread_release();
  x7t_raw_stop(s);
}

static void sequential_fetches_should_reuse_one_connection(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_KEEPALIVE, "ka");
  char url[256];
  (void)state;
  x7__live_thread_release();
  raw_url(s, "/", url);
  for (int i = 0; i < 20; i++) {
    /* Options change between requests (timeout, caps, method): the
     * connection is reused all the same. */
    struct caps c = mkcaps(0, (uint32_t)(5 + i % 3), 0, 4096, 64, 100);
    struct freq q = {.url = url, .caps = &c};
    struct x7_bytes d;
    struct rdoc p;
    char want[16];
    if (i % 4 == 3) {
      q.method = X7_NET_HTTP_METHOD_POST;
      q.body = x7_view_str("body");
    }
    d = fetch(&q);
    parse_ok(d, &p);
    assert_true(view_eq(p.body, "ka"));
    assert_true(view_eq(hval(&p, "x-conn", 0), "1"));
    snprintf(want, sizeof want, "%d", i + 1);
    assert_true(view_eq(hval(&p, "x-req", 0), want));
    assert_int_equal(last_diag().num_connects, i == 0 ? 1 : 0);
    x7_bytes_free(&d);
  }
  assert_int_equal(x7t_raw_connections(s), 1);
  assert_int_equal(x7t_raw_requests(s), 20);
  /* Dropping the thread's handle closes the connection. */
  x7__live_thread_release();
  {
    struct x7_bytes d = get(url, NULL);
    struct rdoc p;
    parse_ok(d, &p);
    assert_true(view_eq(hval(&p, "x-conn", 0), "2"));
    x7_bytes_free(&d);
  }
  assert_int_equal(x7t_raw_connections(s), 2);
  x7t_raw_stop(s);
}

static void https_fetches_should_reuse_the_tls_connection(void **state) {
  char url[256];
  (void)state;
  need_nginx();
  x7__live_thread_release();
  ng_url("https", "/hello.txt", url);
  for (int i = 0; i < 10; i++) {
    struct x7_bytes d = get(url, NULL);
    struct rdoc p;
    parse_ok(d, &p);
    assert_true(view_eq(p.body, "hello\n"));
    assert_int_equal(last_diag().num_connects, i == 0 ? 1 : 0);
    assert_int_equal(last_diag().http_version, CURL_HTTP_VERSION_2_0);
    x7_bytes_free(&d);
  }
}

/* ------------------------------------------------------------------ */
/* threads                                                             */

#define THREADS 8
#define PER_THREAD 50

struct worker {
  const char *urls[3];
  int kinds[3]; /* 0 nginx http /1k, 1 nginx https /hello.txt, 2 raw "ka" */
  int n_urls;
  int failures;
  char why[640];
  long connects;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  for (int i = 0; i < PER_THREAD && !w->failures; i++) {
    int u = i % w->n_urls, k = w->kinds[u];
    struct freq q = {.url = w->urls[u]};
    struct x7_bytes d = {0};
    struct rdoc p;
    const char *why = NULL, *perr;
    struct x7__live_diag dg;
    if (fetch_r(&q, &d) != X7_OK) {
      why = "library error";
    } else if (parse_doc(x7_bytes_view(&d), &p, &perr)) {
      why = perr;
    } else if (p.status != 200) {
      why = "status";
    } else if (k == 0 && (p.body.len != 1024 ||
                          x7t_pattern_mismatch(p.body.ptr, 1024, 0) != -1)) {
      why = "1k body";
    } else if (k == 1 && !view_eq(p.body, "hello\n")) {
      why = "hello body";
    } else if (k == 2 && !view_eq(p.body, "ka")) {
      why = "ka body";
    }
    x7__live_last_diag(&dg);
    w->connects += dg.num_connects;
    if (why) {
      w->failures++;
      snprintf(w->why, sizeof w->why, "request %d to %.200s: %.60s (curl %d %.200s)", i,
               w->urls[u], why, dg.curlcode, dg.errbuf);
    }
    x7_bytes_free(&d);
  }
  return NULL;
}

static void eight_threads_should_fetch_concurrently(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_KEEPALIVE, "ka");
  char u_http[256], u_https[256], u_raw[256];
  struct worker w[THREADS];
  pthread_t th[THREADS];
  long connects = 0;
  int have_nginx = env.ng_rc == X7T_PEER_OK;
  double t0 = now_s();
  (void)state;
  raw_url(s, "/", u_raw);
  if (have_nginx) {
    ng_url("http", "/1k", u_http);
    ng_url("https", "/hello.txt", u_https);
  }
  for (int i = 0; i < THREADS; i++) {
    memset(&w[i], 0, sizeof w[i]);
    if (have_nginx) {
      w[i].urls[0] = u_http;
      w[i].urls[1] = u_https;
      w[i].urls[2] = u_raw;
      w[i].kinds[0] = 0;
      w[i].kinds[1] = 1;
      w[i].kinds[2] = 2;
      w[i].n_urls = 3;
    } else {
      w[i].urls[0] = u_raw;
      w[i].kinds[0] = 2;
      w[i].n_urls = 1;
    }
    assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    if (w[i].failures) fail_msg("thread %d: %s", i, w[i].why);
    connects += w[i].connects;
  }
  /* Each thread opened each origin once and reused it afterwards. */
  if (have_nginx) assert_int_equal(connects, THREADS * 3);
  else assert_int_equal(connects, THREADS);
  assert_int_equal(x7t_raw_connections(s), THREADS);
  print_message("%d threads x %d fetches: %.2f s\n", THREADS, PER_THREAD,
                now_s() - t0);
  x7t_raw_stop(s);
}

/* ------------------------------------------------------------------ */
/* memory                                                              */

static size_t heap_in_use(void) {
#ifdef HAVE_ASAN_STATS
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks;
#endif
}

static void many_fetches_should_not_grow_memory(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_KEEPALIVE, "ka");
  char url[256];
  size_t before = 0, after;
  (void)state;
  raw_url(s, "/", url);
  for (int round = 0; round < 2; round++) {
    if (round == 1) before = heap_in_use();
    for (int i = 0; i < 300; i++) {
      struct x7_bytes d = get(url, NULL);
      assert_int_equal(d.ptr[0], 1);
      x7_bytes_free(&d);
    }
  }
  after = heap_in_use();
  print_message("heap in use: %zu -> %zu after 300 more fetches\n", before,
                after);
  assert_true(after < before + 32768);
  x7t_raw_stop(s);
}

static void allocation_failures_should_give_enomem(void **state) {
  struct x7t_raw *s = raw_start(X7T_RAW_SCRIPTED, scripted_resp);
  char url[256];
  struct tb want;
  struct x7_bytes req = {0};
  struct caps c = mkcaps(0, 10, 0, 4096, 64, 100);
  int injected = 1;
  (void)state;
  raw_url(s, "/", url);
  scripted_expected(&want);
  assert_x7_ok(x7_net_http_spec_req_get_v1(
      x7_view_str(url), x7_view_of("\0\0\0\0", 4),
      x7_view_of(c.b, sizeof c.b), &req));
  for (long k = 1; injected; k++) {
    for (int to_file = 0; to_file < 2; to_file++) {
      struct x7_bytes d = {0};
      x7_result r;
      x7t_failalloc_install(k);
      if (to_file)
        r = x7_net_http_fetch_to_file_v1(x7_bytes_view(&req),
                                         x7_view_str("fa.bin"), &d);
      else
        r = x7_net_http_fetch_v1(x7_bytes_view(&req), &d);
      injected = x7t_failalloc_calls() >= k;
      if (r == X7_OK) {
        if (!to_file) assert_bytes_eq(d, x7_view_of(want.p, want.len));
        else assert_int_equal(file_size("fa.bin"), 5);
      } else {
        assert_x7_result(X7_ENOMEM, r);
        assert_null(d.ptr);
        assert_int_equal(d.len, 0);
        assert_int_equal(file_size("fa.bin"), -1);
      }
      x7_bytes_free(&d);
      assert_int_equal(x7t_failalloc_live(), 0);
      x7t_failalloc_remove();
      unlink("fa.bin");
    }
  }
  x7_bytes_free(&req);
  x7t_raw_stop(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(live_should_be_registered_with_its_caps),
      cmocka_unit_test(get_should_return_the_exact_doc),
      cmocka_unit_test(header_caps_should_allow_exactly_the_limit),
      cmocka_unit_test(body_caps_should_allow_exactly_the_limit),
      cmocka_unit_test(get_should_return_every_status_with_its_body),
      cmocka_unit_test(head_should_return_headers_without_a_body),
      cmocka_unit_test(get_should_capture_duplicate_headers_in_order),
      cmocka_unit_test(large_headers_should_hit_the_caps_exactly),
      cmocka_unit_test(chunked_bodies_should_be_reassembled),
      cmocka_unit_test(bodies_should_pass_at_the_cap_and_fail_one_over),
      cmocka_unit_test(body_cap_should_abort_without_waiting_for_the_body),
      cmocka_unit_test(redirects_should_be_followed_only_when_asked),
      cmocka_unit_test(redirects_should_never_leave_http),
      cmocka_unit_test(stalled_peers_should_time_out),
      cmocka_unit_test(refused_connections_should_give_connect),
      cmocka_unit_test(unresolvable_names_should_give_dns),
      cmocka_unit_test(bad_certificates_should_give_tls),
      cmocka_unit_test(endless_headers_should_be_too_large),
      cmocka_unit_test(resets_should_give_internal_and_never_sigpipe),
      cmocka_unit_test(unsupported_schemes_should_be_internal),
      cmocka_unit_test(file_urls_should_have_status_zero),
      cmocka_unit_test(methods_should_send_the_right_request),
      cmocka_unit_test(headers_should_be_sent_canonical_and_empty_values_kept),
      cmocka_unit_test(caller_expect_header_should_be_kept),
      cmocka_unit_test(non_token_header_names_should_be_invalid),
      cmocka_unit_test(direct_calls_should_check_the_method),
      cmocka_unit_test(direct_calls_should_check_the_header_table),
      cmocka_unit_test(to_file_should_write_exact_bytes),
      cmocka_unit_test(to_file_should_fail_cleanly),
      cmocka_unit_test(fork_should_not_share_the_pooled_connection),
      cmocka_unit_test(sequential_fetches_should_reuse_one_connection),
      cmocka_unit_test(https_fetches_should_reuse_the_tls_connection),
      cmocka_unit_test(eight_threads_should_fetch_concurrently),
      cmocka_unit_test(many_fetches_should_not_grow_memory),
      cmocka_unit_test(allocation_failures_should_give_enomem),
  };
  return cmocka_run_group_tests_name("be_live", tests, group_setup,
                                     group_teardown);
}
