/*
 * be_live.c - the "live" backend: HTTP(S) fetches over libcurl.
 *
 * Behaviour is curl_shim.c's (spec §4: header capture, body and file caps,
 * output file, error mapping to codes 2..8) with the DESIGN §3 fixes:
 * methods beyond GET/POST, redirects only when the caps ask and never
 * more than max_redirects, caps enforced while the body streams in, TLS
 * verification always on (>= TLS 1.2), HTTP/2 over ALPN, and connections
 * kept alive between fetches instead of a global init/cleanup around
 * every request (spec §9 item 20).
 *
 * Connection reuse: each thread caches one easy handle (a pthread key
 * whose destructor closes it at thread exit) and curl_easy_reset()s it
 * before every request.  Reset drops the options but keeps the handle's
 * connection cache, DNS cache and TLS session cache, so a repeated fetch
 * to an origin reuses its TCP+TLS connection.  A CURLSH sharing
 * CURL_LOCK_DATA_CONNECT was the alternative; libcurl documents sharing
 * connections across concurrently running threads as unsupported, and a
 * per-thread handle needs no locks at all: fetches on different threads
 * never touch the same libcurl state.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <x7/net_err.h>
#include <x7/net_http.h>
#include <x7/net_http_spec.h>
#include <x7/x7_backend.h>

#include "be_live_int.h"
#include "core_int.h"
#include "http_int.h"
#include "net_int.h"
#include "policy_int.h"

/* Initial body allocation when the length is not announced. */
#define BODY_FIRST_ALLOC 16384

/* ---- process and thread state ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;
static pthread_key_t handle_key;
static int handle_key_ok;

static _Thread_local struct x7__live_diag diag = {.curlcode = -1};
_Static_assert(sizeof diag.errbuf >= CURL_ERROR_SIZE,
               "CURLOPT_ERRORBUFFER needs CURL_ERROR_SIZE bytes");

static void drop_handle(void *h) {
  if (h) curl_easy_cleanup(h);
}

/* exit() does not run pthread key destructors for the exiting thread, so
 * the main thread's handle (and its open connections) is closed here.
 * Only the calling thread's own handle is touched: other threads may
 * still be inside a transfer. */
static void release_at_exit(void) { x7__live_thread_release(); }

/* A forked child inherits the forking thread's cached handle, and with it
 * the parent's live connections (the same sockets, the same TLS state).
 * Cleaning it up would send close_notify or GOAWAY on the parent's
 * connections, and using it would interleave both processes on them, so
 * the child forgets it: it stays allocated (reachable from here, so leak
 * checkers stay quiet) and the child opens its own connections. */
static void *abandoned_after_fork;

static void forget_handle_in_child(void) {
  void *h;
  if (!handle_key_ok) return;
  h = pthread_getspecific(handle_key);
  if (!h) return;
  abandoned_after_fork = h;
  (void)pthread_setspecific(handle_key, NULL);
}

static void init_process(void) {
  /* Never paired with curl_global_cleanup: other threads may be mid
   * transfer when the process exits, and the OS reclaims everything. */
  init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init_rc != CURLE_OK) return;
  if (pthread_key_create(&handle_key, drop_handle) != 0) return;
  handle_key_ok = 1;
  (void)pthread_atfork(NULL, NULL, forget_handle_in_child);
  (void)atexit(release_at_exit);
}

static x7_result live_global_init(void) {
  pthread_once(&init_once, init_process);
  if (init_rc == CURLE_OUT_OF_MEMORY) return X7_ENOMEM;
  if (init_rc != CURLE_OK || !handle_key_ok) return X7_EINTERNAL;
  return X7_OK;
}

void x7__live_thread_release(void) {
  CURL *h;
  pthread_once(&init_once, init_process); /* publishes handle_key */
  if (!handle_key_ok) return;
  h = pthread_getspecific(handle_key);
  if (!h) return;
  (void)pthread_setspecific(handle_key, NULL);
  curl_easy_cleanup(h);
}

void x7__live_last_diag(struct x7__live_diag *pd) {
  if (pd) *pd = diag;
}

/* The calling thread's handle with every option back at its default. */
static CURL *thread_handle(void) {
  CURL *h = pthread_getspecific(handle_key);
  if (h) {
    curl_easy_reset(h);
    return h;
  }
  h = curl_easy_init();
  if (h && pthread_setspecific(handle_key, h) != 0) {
    curl_easy_cleanup(h);
    h = NULL;
  }
  return h;
}

/* ---- one transfer ---- */

struct xfer {
  CURL *h;
  /* response header capture (spec §4.4) */
  int capture;
  uint32_t max_headers;
  uint32_t header_bytes_left;
  uint32_t header_count;
  struct x7__buf headers; /* HttpHeadersTableV1: count u32 + entries */
  /* body: in memory, or streamed to fp */
  uint32_t max_body;
  int first_write_done;
  uint8_t *body;
  size_t body_len, body_cap;
  FILE *fp;
  int created; /* fp was opened by us: remove the file on failure */
  /* why a callback stopped the transfer */
  int header_overflow;
  int body_overflow;
  int write_short;
  int oom;
  /* sandbox only: the hop's checked plan; `refused` when the OPENSOCKET
   * or PREREQ backstop stopped a connection it did not check */
  const struct x7__http_plan *plan;
  int refused;
};

static int is_sp_ht(char c) { return c == ' ' || c == '\t'; }

static size_t on_header(char *data, size_t size, size_t nitems, void *ud) {
  struct xfer *x = ud;
  size_t total = size * nitems, len = total, name_len, v0, v1;
  const char *colon;
  uint32_t need;

  while (len && (data[len - 1] == '\r' || data[len - 1] == '\n')) len--;
  /* Status lines of every hop (1xx and redirects included) and the blank
   * line ending each header block are not headers. */
  if (len == 0 || (len >= 5 && memcmp(data, "HTTP/", 5) == 0)) return total;
  colon = memchr(data, ':', len);
  if (!colon || colon == data) return total;
  name_len = (size_t)(colon - data);
  v0 = name_len + 1;
  v1 = len;
  while (v0 < v1 && is_sp_ht(data[v0])) v0++;
  while (v1 > v0 && is_sp_ht(data[v1 - 1])) v1--;
  if (x->header_count >= x->max_headers) goto too_large;
  /* The shim's rule: the entry may use up what is left, not exceed it. */
  if (8 + name_len + (v1 - v0) > x->header_bytes_left) goto too_large;
  need = (uint32_t)(8 + name_len + (v1 - v0));
  x7__buf_u32(&x->headers, (uint32_t)name_len);
  x7__buf_add(&x->headers, data, name_len);
  x7__buf_u32(&x->headers, (uint32_t)(v1 - v0));
  x7__buf_add(&x->headers, data + v0, v1 - v0);
  if (x->headers.failed) {
    x->oom = 1;
    return 0;
  }
  x->header_count++;
  x->header_bytes_left -= need;
  x7__buf_put32_at(&x->headers, 0, x->header_count);
  return total;
too_large:
  x->header_overflow = 1;
  return 0; /* anything but `total` aborts the transfer */
}

#define BODY_PRESIZE_MAX ((size_t)1 << 20)

/* Room for `need` body bytes, growing geometrically but never past the
 * cap (the caller has already checked need <= cap). */
static int body_reserve(struct xfer *x, size_t need) {
  size_t cap;
  uint8_t *p;
  if (need <= x->body_cap) return 0;
  cap = x->body_cap ? x->body_cap : BODY_FIRST_ALLOC;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > x->max_body) cap = x->max_body;
  p = x7__realloc(x->body, cap);
  if (!p) return -1;
  x->body = p;
  x->body_cap = cap;
  return 0;
}

static size_t on_body(char *data, size_t size, size_t nitems, void *ud) {
  struct xfer *x = ud;
  size_t total = size * nitems;
  if (!x->first_write_done) {
    curl_off_t cl = -1;
    x->first_write_done = 1;
    /* An announced length over the cap fails now instead of after cap
     * bytes; a known length that fits is allocated once. */
    if (curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) !=
        CURLE_OK)
      cl = -1;
    if (cl > (curl_off_t)x->max_body) goto too_large;
    /* The length is the server's word, not bytes in hand: pre-size for
     * it only up to BODY_PRESIZE_MAX and grow as data really arrives. */
    if (!x->fp && cl > 0 &&
        body_reserve(x, (uint64_t)cl > BODY_PRESIZE_MAX ? BODY_PRESIZE_MAX
                                                        : (size_t)cl))
      goto oom;
  }
  if (total > (size_t)x->max_body - x->body_len) goto too_large;
  if (x->fp) {
    if (fwrite(data, 1, total, x->fp) != total) {
      x->write_short = 1;
      return 0;
    }
  } else {
    if (body_reserve(x, x->body_len + total)) goto oom;
    memcpy(x->body + x->body_len, data, total);
  }
  x->body_len += total; /* bytes written to the file, in file mode */
  return total;
too_large:
  x->body_overflow = 1;
  return 0;
oom:
  x->oom = 1;
  return 0;
}

/* ---- request setup ---- */

static int is_tchar(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* x7__malloc'd NUL-terminated copy of v, or NULL. */
static char *cstr(struct x7_view v) {
  char *s = x7__malloc(v.len + 1);
  if (!s) return NULL;
  if (v.len) memcpy(s, v.ptr, v.len);
  s[v.len] = '\0';
  return s;
}

/* The request header lines.  The core already checked the table (canonical,
 * well-formed, no NUL/CR/LF); here the names must also be RFC 9110 tokens,
 * since libcurl would split "a:b" at the colon and read "a;" as an empty
 * header.  Returns 0, X7_NET_ERR_INVALID_REQ (*pcode) or -1 on OOM. */
static int build_headers(struct x7_view table, struct curl_slist **plist,
                         int32_t *pcode) {
  struct curl_slist *list = NULL, *n;
  uint32_t count = table.len >= 4 ? x7__rd32(table.ptr) : 0;
  size_t pos = 4;
  int has_expect = 0;
  char *line = NULL;
  size_t line_cap = 0;

  *pcode = 0;
  for (uint32_t i = 0; i < count; i++) {
    struct x7_view nv, vv;
    const uint8_t *name, *value;
    size_t nl, vl;
    /* The core hands over a checked table; walking it bounds-checked
     * anyway keeps a hand-made x7_http_fetch from reading past it. */
    if (x7__http_entry(table, &pos, &nv, &vv)) {
      *pcode = X7_NET_ERR_INVALID_REQ;
      goto fail;
    }
    name = nv.ptr;
    nl = nv.len;
    value = vv.ptr;
    vl = vv.len;
    for (size_t k = 0; k < nl; k++)
      if (!is_tchar(name[k])) *pcode = X7_NET_ERR_INVALID_REQ;
    for (size_t k = 0; k < vl; k++)
      if (value[k] == 0 || value[k] == '\r' || value[k] == '\n')
        *pcode = X7_NET_ERR_INVALID_REQ;
    if (nl == 0) *pcode = X7_NET_ERR_INVALID_REQ;
    if (*pcode) goto fail;
    if (nl == 6 && memcmp(name, "expect", 6) == 0) has_expect = 1;
    if (nl + vl + 3 > line_cap) {
      char *p = x7__realloc(line, nl + vl + 3);
      if (!p) goto fail;
      line = p;
      line_cap = nl + vl + 3;
    }
    memcpy(line, name, nl);
    if (vl == 0) {
      /* libcurl reads "name:" (and "name: ") as "remove this header" and
       * "name;" as "send it with an empty value".  Upstream sent
       * "name: " and so silently dropped empty headers (spec §9 item 6);
       * we send them. */
      memcpy(line + nl, ";", 2);
    } else {
      memcpy(line + nl, ": ", 2);
      memcpy(line + nl + 2, value, vl);
      line[nl + 2 + vl] = '\0';
    }
    n = curl_slist_append(list, line);
    if (!n) goto fail;
    list = n;
  }
  /* libcurl would add "Expect: 100-continue" to larger bodies on its own
   * and then wait for the interim response; nothing asked for that. */
  if (!has_expect) {
    n = curl_slist_append(list, "Expect:");
    if (!n) goto fail;
    list = n;
  }
  x7__free(line);
  *plist = list;
  return 0;
fail:
  x7__free(line);
  curl_slist_free_all(list);
  *plist = NULL;
  return *pcode ? 0 : -1;
}

/* Which CA bundle to trust: X07_NET_CA_FILE (exactly that bundle, no CA
 * directory), else SSL_CERT_FILE (libcurl sets its own CAINFO, so it would
 * otherwise ignore the OpenSSL variable; SSL_CERT_DIR is honoured the same
 * way), else libcurl's built-in system store. */
static CURLcode set_ca(CURL *h) {
  const char *f = getenv("X07_NET_CA_FILE"), *d;
  CURLcode rc = CURLE_OK;
  if (f && f[0]) {
    rc = curl_easy_setopt(h, CURLOPT_CAINFO, f);
    if (!rc) rc = curl_easy_setopt(h, CURLOPT_CAPATH, (char *)NULL);
    return rc;
  }
  f = getenv("SSL_CERT_FILE");
  d = getenv("SSL_CERT_DIR");
  if (f && f[0]) rc = curl_easy_setopt(h, CURLOPT_CAINFO, f);
  if (!rc && d && d[0]) rc = curl_easy_setopt(h, CURLOPT_CAPATH, d);
  return rc;
}

static const char *custom_method(uint32_t m) {
  switch (m) {
  case X7_NET_HTTP_METHOD_PUT: return "PUT";
  case X7_NET_HTTP_METHOD_DELETE: return "DELETE";
  case X7_NET_HTTP_METHOD_PATCH: return "PATCH";
  case X7_NET_HTTP_METHOD_OPTIONS: return "OPTIONS";
  default: return NULL;
  }
}

static CURLcode set_body(CURL *h, struct x7_view body) {
  CURLcode rc;
  /* A borrowed pointer is fine: the caller's doc outlives the perform.
   * Empty bodies still go through POSTFIELDS so a Content-Length: 0 is
   * sent rather than nothing. */
  rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.len ? (const char *)body.ptr
                                                        : "");
  if (!rc)
    rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                          (curl_off_t)body.len);
  return rc;
}

static CURLcode set_method(CURL *h, const struct x7_http_fetch *req) {
  const char *custom = custom_method(req->method);
  CURLcode rc;
  switch (req->method) {
  case X7_NET_HTTP_METHOD_GET:
    return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  case X7_NET_HTTP_METHOD_HEAD:
    return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  case X7_NET_HTTP_METHOD_POST:
    rc = curl_easy_setopt(h, CURLOPT_POST, 1L);
    return rc ? rc : set_body(h, req->body);
  default:
    break;
  }
  rc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, custom);
  /* PUT and PATCH define a meaning for content, so an empty one is sent
   * as Content-Length: 0; DELETE and OPTIONS carry a body only if given. */
  if (!rc && (req->body.len || req->method == X7_NET_HTTP_METHOD_PUT ||
              req->method == X7_NET_HTTP_METHOD_PATCH))
    rc = set_body(h, req->body);
  return rc;
}

static CURLcode set_options(CURL *h, const struct x7_http_fetch *req,
                            const char *url, struct curl_slist *headers,
                            struct xfer *x) {
  CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                       \
  do {                                                                      \
    if (!rc) rc = curl_easy_setopt(h, opt, val);                            \
  } while (0)
  SET(CURLOPT_URL, url);
  /* Signals cannot be used for timeouts with several threads; Linux sends
   * with MSG_NOSIGNAL, so no SIGPIPE either. */
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_ERRORBUFFER, diag.errbuf);
  SET(CURLOPT_TIMEOUT, (long)req->timeout_s);
  /* Every protocol libcurl was built with is the default; std.net speaks
   * these, and a redirect may only go to http(s) (never file://). */
  SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, req->follow_location ? 1L : 0L);
  if (req->follow_location) SET(CURLOPT_MAXREDIRS, (long)req->max_redirects);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
  SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  if (!rc) rc = set_ca(h);
  SET(CURLOPT_HTTPHEADER, headers);
  if (!rc) rc = set_method(h, req);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, x);
  if (x->capture) {
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
  }
#undef SET
  return rc;
}

/* Spec §4.8, first applicable wins. */
static int32_t map_error(const struct xfer *x, CURLcode rc) {
  if (x->header_overflow) return X7_NET_ERR_TOO_LARGE;
  if (x->fp && x->body_overflow) return X7_NET_ERR_TOO_LARGE;
  if (x->fp && x->write_short) return X7_NET_ERR_INTERNAL;
  if (!x->fp && x->body_overflow) return X7_NET_ERR_TOO_LARGE;
  switch (rc) {
  case CURLE_OK: return 0;
  case CURLE_OPERATION_TIMEDOUT: return X7_NET_ERR_TIMEOUT;
  case CURLE_COULDNT_RESOLVE_HOST: return X7_NET_ERR_DNS;
  case CURLE_COULDNT_CONNECT: return X7_NET_ERR_CONNECT;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION: /* also CURLE_SSL_CACERT */
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_USE_SSL_FAILED:
    return X7_NET_ERR_TLS;
  /* Upstream gave 4 for every CURLE_WRITE_ERROR because only its own caps
   * stopped writes; a write error that none of our flags explain is not a
   * size problem.  CURLE_TOO_MANY_REDIRECTS stays 8 as upstream. */
  default: return X7_NET_ERR_INTERNAL;
  }
}

/* ---- the sandbox (policy.c decides; this makes libcurl obey) ----
 *
 * Redirects are followed here, not by libcurl: with CURLOPT_FOLLOWLOCATION
 * libcurl resolves the new host itself before any callback sees it, so a
 * redirect to a name outside the allow list would still leak a DNS query
 * (and PREREQFUNCTION only runs after the connection is up).  So in the
 * sandbox FOLLOWLOCATION is 0 and every hop goes through
 * x7__policy_http_plan - scheme, URL form, host, port, name, DNS through
 * the policy's resolver, every address - before libcurl is told about
 * it, with the same hop limit.  Each hop is pinned: CURLOPT_CURLU carries
 * the canonical host, CURLOPT_RESOLVE exactly the vetted addresses,
 * OPENSOCKETFUNCTION refuses any other address (a backstop: nothing
 * should get there) and PREREQFUNCTION re-checks reused connections,
 * which OPENSOCKET never sees.  Proxies are off whatever the environment
 * says.  Deliberately unlike upstream, which denied any follow flag in
 * the sandbox (spec §8.4 E11): redirects between allowed hosts work. */

static _Thread_local char test_connect_to[256];

void x7__live_set_connect_to_for_tests(const char *spec) {
  snprintf(test_connect_to, sizeof test_connect_to, "%s", spec ? spec : "");
}

static void refuse(struct xfer *x, const struct x7__ip *ip) {
  x->refused = 1;
  (void)x7__policy_deny(1, X7_POLICY_HTTP, "pin-mismatch",
                        "libcurl tried an address the policy did not check",
                        x->plan->host.text, x->plan->host.len, x->plan->port,
                        ip);
}

static curl_socket_t on_opensocket(void *ud, curlsocktype purpose,
                                   struct curl_sockaddr *a) {
  struct xfer *x = ud;
  struct x7__ip ip;
  if (purpose != CURLSOCKTYPE_IPCXN ||
      !x7__policy_plan_allows(x->plan, &a->addr, a->addrlen)) {
    int known = x7__ip_from_sockaddr(&a->addr, a->addrlen, &ip, NULL);
    refuse(x, known ? &ip : NULL);
    return CURL_SOCKET_BAD;
  }
  return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int on_prereq(void *ud, char *primary_ip, char *local_ip,
                     int primary_port, int local_port) {
  struct xfer *x = ud;
  struct x7__ip ip;
  struct sockaddr_storage ss;
  socklen_t len;
  (void)local_ip;
  (void)local_port;
  if (!primary_ip || !x7__ip_parse(primary_ip, strlen(primary_ip), &ip) ||
      primary_port <= 0) {
    refuse(x, NULL);
    return CURL_PREREQFUNC_ABORT;
  }
  len = x7__ip_to_sockaddr(&ip, (uint32_t)primary_port, &ss);
  if (!x7__policy_plan_allows(x->plan, (struct sockaddr *)&ss, len)) {
    refuse(x, &ip);
    return CURL_PREREQFUNC_ABORT;
  }
  return CURL_PREREQFUNC_OK;
}

/* The sandbox's options for one checked hop, set after set_options so
 * they win. */
static CURLcode set_sandbox(CURL *h, struct xfer *x, struct curl_slist *pin,
                            struct curl_slist *connect_to) {
  const struct x7__http_plan *plan = x->plan;
  CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                       \
  do {                                                                      \
    if (!rc) rc = curl_easy_setopt(h, opt, val);                            \
  } while (0)
  SET(CURLOPT_CURLU, plan->curlu); /* overrides CURLOPT_URL */
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_PROTOCOLS_STR, plan->scheme);
  SET(CURLOPT_PROXY, "");
  SET(CURLOPT_NOPROXY, "*");
  SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
  if (strcmp(plan->scheme, "file") != 0) {
    if (pin) SET(CURLOPT_RESOLVE, pin);
    if (connect_to) SET(CURLOPT_CONNECT_TO, connect_to);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_opensocket);
    SET(CURLOPT_OPENSOCKETDATA, x);
    SET(CURLOPT_PREREQFUNCTION, on_prereq);
    SET(CURLOPT_PREREQDATA, x);
  }
#undef SET
  return rc;
}

static int redirect_status(long s) {
  return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

static int is_credential(struct x7_view name) {
  static const char *const creds[] = {"authorization", "cookie",
                                      "proxy-authorization"};
  for (size_t i = 0; i < sizeof creds / sizeof creds[0]; i++)
    if (name.len == strlen(creds[i]) &&
        x7__ascii_casecmp_eq(name.ptr, (const uint8_t *)creds[i], name.len))
      return 1;
  return 0;
}

/* The header lines without credentials, for a hop to another origin. */
static int strip_credentials(struct x7_view table, struct curl_slist **plist) {
  struct x7__buf b;
  size_t pos = 4;
  uint32_t count = table.len >= 4 ? x7__rd32(table.ptr) : 0, kept = 0;
  int32_t code = 0;
  int rc;
  x7__buf_init(&b);
  x7__buf_u32(&b, 0);
  for (uint32_t i = 0; i < count; i++) {
    struct x7_view n, v;
    if (x7__http_entry(table, &pos, &n, &v)) break;
    if (is_credential(n)) continue;
    x7__buf_u32(&b, (uint32_t)n.len);
    x7__buf_add(&b, n.ptr, n.len);
    x7__buf_u32(&b, (uint32_t)v.len);
    x7__buf_add(&b, v.ptr, v.len);
    kept++;
  }
  x7__buf_put32_at(&b, 0, kept);
  if (b.failed) {
    x7__buf_cleanup(&b);
    return -1;
  }
  curl_slist_free_all(*plist);
  *plist = NULL;
  rc = build_headers(x7_view_of(b.ptr, b.len), plist, &code);
  x7__buf_cleanup(&b);
  return rc || code ? -1 : 0;
}

/* Forget the body of a redirect response before the next hop. */
static int discard_body(struct xfer *x) {
  x->body_len = 0;
  x->first_write_done = 0;
  if (x->fp) {
    if (fflush(x->fp) != 0 || ftruncate(fileno(x->fp), 0) != 0) return -1;
    rewind(x->fp);
  }
  return 0;
}

static int same_origin(const struct x7__http_plan *a,
                       const struct x7__http_plan *b) {
  return strcmp(a->scheme, b->scheme) == 0 && a->port == b->port &&
         strcmp(a->host.text, b->host.text) == 0;
}

/* Run the request hop by hop.  Returns the last CURLcode; *pcode gets a
 * NetErrDocV1 code when the policy stopped it (or 8 when out of memory,
 * with x->oom set). */
static CURLcode sandboxed_perform(struct xfer *x, const struct x7_policy *pol,
                                  const struct x7_http_fetch *req,
                                  struct curl_slist **pheaders,
                                  int32_t *pcode) {
  struct x7_http_fetch hop = *req;
  struct x7__http_plan plan, prev;
  char *next = NULL;
  struct curl_slist *connect_to = NULL;
  CURLcode rc = CURLE_OK;
  uint32_t hops = 0;
  long connects_total = 0;
  int have_prev = 0;

  memset(&prev, 0, sizeof prev);
  if (test_connect_to[0] &&
      !(connect_to = curl_slist_append(NULL, test_connect_to)))
    goto oom;
  for (;;) {
    struct curl_slist *pin = NULL;
    long status = 0, connects = 0;
    char *loc = NULL;
    int32_t code = x7__policy_http_plan(pol, hop.url, &plan);
    if (code) {
      *pcode = code;
      break;
    }
    if (have_prev) {
      int cross = !same_origin(&prev, &plan);
      if (strcmp(prev.scheme, "https") == 0 &&
          strcmp(plan.scheme, "https") != 0) {
        *pcode = x7__policy_deny(1, X7_POLICY_HTTP, "redirect-downgrade",
                                 "a redirect from https to another scheme",
                                 plan.host.text, plan.host.len, plan.port,
                                 NULL);
      } else if (cross && hop.body.len) {
        *pcode = x7__policy_deny(1, X7_POLICY_HTTP, "redirect-body",
                                 "a redirect would carry the request body to "
                                 "another origin",
                                 plan.host.text, plan.host.len, plan.port,
                                 NULL);
      } else if (cross && strip_credentials(req->headers, pheaders)) {
        x->oom = 1;
        *pcode = X7_NET_ERR_INTERNAL;
      }
      x7__policy_http_plan_free(&prev);
      have_prev = 0;
      if (*pcode) {
        x7__policy_http_plan_free(&plan);
        break;
      }
    }
    if (plan.resolve && !(pin = curl_slist_append(NULL, plan.resolve))) {
      x7__policy_http_plan_free(&plan);
      goto oom;
    }
    x->plan = &plan;
    curl_easy_reset(x->h);
    rc = set_options(x->h, &hop, "", *pheaders, x);
    if (!rc) rc = set_sandbox(x->h, x, pin, connect_to);
    if (!rc) rc = curl_easy_perform(x->h);
    (void)curl_easy_getinfo(x->h, CURLINFO_NUM_CONNECTS, &connects);
    connects_total += connects;
    (void)curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (!rc && req->follow_location && redirect_status(status))
      (void)curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
    curl_slist_free_all(pin);
    x->plan = NULL;
    if (rc || !loc) {
      x7__policy_http_plan_free(&plan);
      break;
    }
    if (hops == req->max_redirects) {
      x7__policy_http_plan_free(&plan);
      rc = CURLE_TOO_MANY_REDIRECTS;
      break;
    }
    hops++;
    /* loc belongs to the handle: copy it before the next reset */
    x7__free(next);
    next = cstr(x7_view_str(loc));
    if (!next || discard_body(x)) {
      x7__policy_http_plan_free(&plan);
      if (!next) goto oom;
      *pcode = X7_NET_ERR_INTERNAL;
      break;
    }
    hop.url = x7_view_str(next);
    /* What libcurl does by default (CURLOPT_POSTREDIR 0): 303 turns
     * anything but HEAD into a GET, 301/302 turn a POST into a GET. */
    if ((status == 303 && hop.method != X7_NET_HTTP_METHOD_HEAD) ||
        ((status == 301 || status == 302) &&
         hop.method == X7_NET_HTTP_METHOD_POST)) {
      hop.method = X7_NET_HTTP_METHOD_GET;
      hop.body = x7_view_of(NULL, 0);
    }
    prev = plan;
    have_prev = 1;
  }
  diag.num_connects = connects_total;
  diag.redirect_count = (long)hops;
  if (have_prev) x7__policy_http_plan_free(&prev);
  curl_slist_free_all(connect_to);
  x7__free(next);
  return rc;
oom:
  x->oom = 1;
  *pcode = X7_NET_ERR_INTERNAL;
  if (have_prev) x7__policy_http_plan_free(&prev);
  curl_slist_free_all(connect_to);
  x7__free(next);
  return rc;
}

/* A sandboxed to-file fetch writes <write root>/<rel> (spec §4.5): the
 * first root under which the file can be created wins.  0 with *pfp and
 * *ppath replaced by the full path, or a NetErrDocV1 code. */
static int32_t open_under_roots(const struct x7_policy *pol, char **ppath,
                                FILE **pfp) {
  char root[4096];
  for (size_t i = 0; x7__policy_write_root(pol, i, root, sizeof root); i++) {
    size_t n = strlen(root) + 1 + strlen(*ppath) + 1;
    char *full = x7__malloc(n);
    FILE *f;
    if (!full) return X7_NET_ERR_INTERNAL;
    snprintf(full, n, "%s/%s", root, *ppath);
    f = fopen(full, "wb");
    if (f) {
      x7__free(*ppath);
      *ppath = full;
      *pfp = f;
      return 0;
    }
    x7__free(full);
  }
  return x7__policy_deny(1, X7_POLICY_HTTP, "fs-root",
                         "the output file could not be created under any fs "
                         "write root",
                         *ppath, strlen(*ppath), 0, NULL);
}

static x7_result live_http_fetch(const struct x7_http_fetch *req,
                                 struct x7_bytes *presp) {
  static const uint8_t no_headers[4] = {0};
  struct xfer x;
  struct curl_slist *headers = NULL;
  char *url = NULL, *path = NULL;
  int32_t code = 0;
  long status = 0;
  CURLcode rc = CURLE_OK;
  x7_result r;
  const struct x7_policy *pol = x7__policy_current(); /* NULL: `os` */

  if (!req || !presp) return X7_EINVAL;
  x7__bytes_reset(presp);
  r = live_global_init();
  if (r) return r;
  diag = (struct x7__live_diag){.curlcode = -1};
  /* The core never passes these, but a wrapping backend calling the
   * vtable directly might: an unknown method must not turn into a GET. */
  if (req->method < X7_NET_HTTP_METHOD_GET ||
      req->method > X7_NET_HTTP_METHOD_OPTIONS ||
      ((req->method == X7_NET_HTTP_METHOD_GET ||
        req->method == X7_NET_HTTP_METHOD_HEAD) &&
       req->body.len))
    return x7__net_err_doc(X7_NET_ERR_INVALID_REQ, presp);

  memset(&x, 0, sizeof x);
  x7__buf_init(&x.headers);
  x.capture = req->max_headers != 0 && req->max_header_bytes != 0;
  x.max_headers = req->max_headers;
  x.header_bytes_left = req->max_header_bytes;
  x.max_body = req->max_body_bytes;
  x7__buf_u32(&x.headers, 0);
  if (x.headers.failed) goto oom;

  if (build_headers(req->headers, &headers, &code)) goto oom;
  if (code) goto done;
  url = cstr(req->url);
  if (!url) goto oom;
  if (req->out_path.len) {
    path = cstr(req->out_path);
    if (!path) goto oom;
    /* Relative to the working directory, truncating, as the shim did;
     * the core has already checked it is a safe relative path.  In the
     * sandbox: under the fs write roots. */
    if (pol) {
      code = open_under_roots(pol, &path, &x.fp);
      if (code) goto done;
    } else {
      x.fp = fopen(path, "wb");
    }
    if (!x.fp) {
      code = X7_NET_ERR_INTERNAL;
      goto done;
    }
    x.created = 1;
  }
  x.h = thread_handle();
  if (!x.h) goto oom;
  if (pol) {
    rc = sandboxed_perform(&x, pol, req, &headers, &code);
  } else {
    rc = set_options(x.h, req, url, headers, &x);
    if (rc == CURLE_OK) rc = curl_easy_perform(x.h);
    (void)curl_easy_getinfo(x.h, CURLINFO_NUM_CONNECTS, &diag.num_connects);
    (void)curl_easy_getinfo(x.h, CURLINFO_REDIRECT_COUNT,
                            &diag.redirect_count);
  }
  diag.curlcode = (int)rc;
  (void)curl_easy_getinfo(x.h, CURLINFO_HTTP_VERSION, &diag.http_version);
  (void)curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &status);
  /* Drop the borrowed pointers (headers, body, our buffers) now rather
   * than leave them dangling in the cached handle until the next fetch;
   * the connection cache survives. */
  curl_easy_reset(x.h);
  if (x.oom) goto oom;
  /* A backstop refusal is the policy's answer, not a connect error. */
  if (!code) code = x.refused ? X7_NET_ERR_POLICY_DENIED : map_error(&x, rc);
  if (x.fp) {
    if (fclose(x.fp) != 0 && !code) code = X7_NET_ERR_INTERNAL;
    x.fp = NULL;
  }

done:
  if (code) {
    r = x7__net_err_doc(code, presp);
  } else {
    struct x7_view table = x.capture
                               ? x7_view_of(x.headers.ptr, x.headers.len)
                               : x7_view_of(no_headers, sizeof no_headers);
    if (path)
      r = x7_net_http_resp_pack_v3((int32_t)status, table, x7_view_str(path),
                                   (int32_t)x.body_len, presp);
    else
      r = x7_net_http_resp_pack_v2((int32_t)status, table,
                                   x7_view_of(x.body, x.body_len), presp);
  }
  goto out;
oom:
  r = X7_ENOMEM;
out:
  if (x.fp) fclose(x.fp);
  /* A to-file fetch that did not produce an ok doc leaves no file. */
  if (x.created && (r || code)) remove(path);
  curl_slist_free_all(headers);
  x7__free(url);
  x7__free(path);
  x7__free(x.body);
  x7__buf_cleanup(&x.headers);
  return r;
}

const struct x7_backend_ops x7__backend_live = {
    .version = X7_BACKEND_OPS_V1,
    .name = "live",
    .caps = X7_BACKEND_CAP_HTTP | X7_BACKEND_CAP_TLS | X7_BACKEND_CAP_HTTP2 |
            X7_BACKEND_CAP_FILE | X7_BACKEND_CAP_SOCKETS |
            X7_BACKEND_CAP_TLS_STREAMS,
    .global_init = live_global_init,
    .http_fetch = live_http_fetch,
    /* sockets: be_live_sock.c, be_live_tls.c */
    .dns_lookup = x7__live_dns_lookup,
    .tcp_connect = x7__live_tcp_connect,
    .tls_connect = x7__live_tls_connect,
    .tcp_listen = x7__live_tcp_listen,
    .tcp_accept = x7__live_tcp_accept,
    .stream_read = x7__live_stream_read,
    .stream_write = x7__live_stream_write,
    .stream_wait = x7__live_stream_wait,
    .stream_shutdown = x7__live_stream_shutdown,
    .sock_close = x7__live_sock_close,
    .sock_drop = x7__live_sock_drop,
    .sock_kind = x7__live_sock_kind,
    .udp_bind = x7__live_udp_bind,
    .udp_sendto = x7__live_udp_sendto,
    .udp_recvfrom = x7__live_udp_recvfrom,
};
