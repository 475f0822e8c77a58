/*
 * policy.c - the one place that decides whether a destination may be
 * reached (DESIGN §3 items 1-5, §4; threat model A2-A8).
 *
 * Every decision has two stages:
 *   1. the name stage, before any DNS: operation enabled (X07_OS_NET,
 *      _ALLOW_TCP/_UDP/_DNS), URL form (scheme, no userinfo, no
 *      backslash, no zone id, exactly "scheme://authority"), canonical
 *      host, port, and an allow entry for that name and port - or, for an
 *      IP literal, an IP/CIDR/range entry covering it;
 *   2. the address stage, for names only: the name is resolved once
 *      through the resolver hook and every address must pass (explicit
 *      IP entry > built-in special range > the name's allow; `localhost`
 *      may reach loopback and nothing else).  One bad address denies the
 *      whole answer, so Happy Eyeballs cannot be steered to it.
 * The caller then connects to exactly the vetted addresses (libcurl:
 * CURLOPT_RESOLVE + an OPENSOCKET backstop; sockets: the list returned by
 * x7__policy_getaddrinfo), so there is no second resolution to race.
 *
 * A denial returns NetErrDocV1 code 1, records the reason for
 * x7_policy_last_denial (thread-local) and, with X07_NET_LOG=1, prints it.
 */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x7/net_codec.h>
#include <x7/net_err.h>

#include "http_int.h"
#include "policy_int.h"

/* ---- the process policy ---- */

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static struct x7_policy *env_policy; /* NULL: run as `os` */
static int env_log;                  /* X07_NET_LOG=1 */
/* Used when the environment asks for a sandbox but its policy cannot be
 * built (out of memory): every flag 0, so every destination is denied. */
static struct x7_policy deny_all_policy = {.sandboxed = 1};

static atomic_int test_override;
static _Atomic(const struct x7_policy *) test_policy;

static void load_env(void) {
  struct x7_policy *p = NULL;
  const char *log = getenv("X07_NET_LOG"), *sb = getenv("X07_OS_SANDBOXED"),
             *w = getenv("X07_WORLD");
  env_log = log && strcmp(log, "1") == 0;
  /* The same test as x7_policy_env_read, first, so that an `os` process
   * never allocates anything here. */
  if (!(sb && strcmp(sb, "1") == 0) &&
      !(w && strcmp(w, "run-os-sandboxed") == 0))
    return;
  if (x7_policy_env_read(NULL, &p) != X7_OK) {
    env_policy = &deny_all_policy;
    return;
  }
  env_policy = p; /* lives as long as the process */
}

const struct x7_policy *x7__policy_current(void) {
  if (atomic_load_explicit(&test_override, memory_order_acquire)) {
    const struct x7_policy *p =
        atomic_load_explicit(&test_policy, memory_order_acquire);
    return p && p->sandboxed ? p : NULL;
  }
  pthread_once(&env_once, load_env);
  return env_policy;
}

void x7__policy_set_for_tests(const struct x7_policy *p, int restore_env) {
  atomic_store_explicit(&test_policy, p, memory_order_release);
  atomic_store_explicit(&test_override, !restore_env, memory_order_release);
}

int x7_policy_process_sandboxed(void) { return x7__policy_current() != NULL; }

/* ---- the resolver ---- */

static int default_resolver(void *ud, const char *name, int socktype,
                            struct x7__ip_list *out) {
  struct addrinfo hints, *res = NULL;
  (void)ud;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_protocol = socktype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
  out->n = 0;
  if (getaddrinfo(name, NULL, &hints, &res) != 0) return -1;
  for (struct addrinfo *ai = res; ai && out->n < X7__POLICY_MAX_ADDRS;
       ai = ai->ai_next)
    if (x7__ip_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &out->ip[out->n],
                             NULL))
      out->n++;
  freeaddrinfo(res);
  return 0;
}

static _Atomic(x7__policy_resolver_fn *) resolver_fn;
static _Atomic(void *) resolver_ud;

void x7__policy_set_resolver_for_tests(x7__policy_resolver_fn *fn, void *ud) {
  atomic_store(&resolver_ud, ud);
  atomic_store(&resolver_fn, fn);
}

static int resolve(const char *name, int socktype, struct x7__ip_list *out) {
  x7__policy_resolver_fn *fn = atomic_load(&resolver_fn);
  out->n = 0;
  if (fn) {
    int rc = fn(atomic_load(&resolver_ud), name, socktype, out);
    if (out->n > X7__POLICY_MAX_ADDRS) out->n = X7__POLICY_MAX_ADDRS;
    return rc;
  }
  return default_resolver(NULL, name, socktype, out);
}

/* ---- denials ---- */

static _Thread_local struct x7_policy_denial last_denial;
static _Thread_local int has_denial;

static const char *op_name(enum x7_policy_op op) {
  switch (op) {
  case X7_POLICY_HTTP: return "http";
  case X7_POLICY_DNS_LOOKUP: return "dns_lookup";
  case X7_POLICY_TCP_CONNECT: return "tcp_connect";
  case X7_POLICY_TLS_CONNECT: return "tls_connect";
  case X7_POLICY_TCP_LISTEN: return "tcp_listen";
  case X7_POLICY_UDP_BIND: return "udp_bind";
  case X7_POLICY_UDP_SENDTO: return "udp_sendto";
  default: return "?";
  }
}

/* Copy text that came from a program (a URL, a name) so that it cannot
 * forge log lines: control bytes become '?'. */
static void copy_clean(char *dst, size_t cap, const char *src, size_t n) {
  size_t k = n < cap - 1 ? n : cap - 1;
  for (size_t i = 0; i < k; i++) {
    uint8_t c = (uint8_t)src[i];
    dst[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
  }
  dst[k] = '\0';
}

int32_t x7__policy_deny(int log, enum x7_policy_op op, const char *rule,
                        const char *reason, const char *host, size_t hlen,
                        uint32_t port, const struct x7__ip *addr) {
  struct x7_policy_denial *d = &last_denial;
  memset(d, 0, sizeof *d);
  d->op = op;
  snprintf(d->rule, sizeof d->rule, "%s", rule);
  snprintf(d->reason, sizeof d->reason, "%s", reason);
  if (host) copy_clean(d->host, sizeof d->host, host, hlen);
  d->port = port;
  if (addr) x7__ip_text(addr, d->address);
  has_denial = 1;
  if (log) {
    pthread_once(&env_once, load_env);
    if (env_log)
      fprintf(stderr, "x7net: policy denied %s to %s port %u%s%s [%s]: %s\n",
              op_name(op), d->host[0] ? d->host : "-", (unsigned)port,
              addr ? " address " : "", d->address, d->rule, d->reason);
  }
  return X7_NET_ERR_POLICY_DENIED;
}

x7_result x7_policy_last_denial(struct x7_policy_denial *pout) {
  if (!pout) return X7_EINVAL;
  if (!has_denial) return X7_ENOTFOUND;
  *pout = last_denial;
  return X7_OK;
}

void x7_policy_clear_denial(void) { has_denial = 0; }

/* ---- the two stages ---- */

struct dctx {
  int log;
  const struct x7_policy *p;
  enum x7_policy_op op;
};

static int32_t deny(const struct dctx *c, const char *rule, const char *why,
                    const char *host, size_t hlen, uint32_t port,
                    const struct x7__ip *addr) {
  return x7__policy_deny(c->log, c->op, rule, why, host, hlen, port, addr);
}

static int is_udp(enum x7_policy_op op) {
  return op == X7_POLICY_UDP_BIND || op == X7_POLICY_UDP_SENDTO;
}

static int is_local(enum x7_policy_op op) {
  return op == X7_POLICY_TCP_LISTEN || op == X7_POLICY_UDP_BIND;
}

/* The operation itself, before its destination. */
static int32_t op_enabled(const struct dctx *c, const char *host, size_t hlen,
                          uint32_t port) {
  const struct x7_policy *p = c->p;
  if (!x7__policy_flag(p, X7__PF_NET))
    return deny(c, "net-disabled",
                "networking is disabled by the policy (X07_OS_NET)", host,
                hlen, port, NULL);
  if (c->op == X7_POLICY_DNS_LOOKUP) {
    if (!x7__policy_flag(p, X7__PF_NET_ALLOW_DNS))
      return deny(c, "dns-disabled",
                  "DNS is disabled by the policy (X07_OS_NET_ALLOW_DNS)",
                  host, hlen, port, NULL);
  } else if (is_udp(c->op)) {
    if (!x7__policy_flag(p, X7__PF_NET_ALLOW_UDP))
      return deny(c, "udp-disabled",
                  "UDP is disabled by the policy (X07_OS_NET_ALLOW_UDP)",
                  host, hlen, port, NULL);
  } else if (!x7__policy_flag(p, X7__PF_NET_ALLOW_TCP)) {
    return deny(c, "tcp-disabled",
                "TCP is disabled by the policy (X07_OS_NET_ALLOW_TCP)", host,
                hlen, port, NULL);
  }
  return 0;
}

/* One address: as an IP literal destination (literal = 1) or as an
 * answer for a name that passed the name stage. */
static int32_t check_ip(const struct dctx *c, const struct x7__host *h,
                        const struct x7__ip *ip, uint32_t port, int literal) {
  const char *special;
  char why[160];
  if (x7__netmatch_ip(c->p->net, ip, port)) return 0;
  special = x7__ip_special(ip);
  if (literal) {
    if (special) {
      snprintf(why, sizeof why,
               "%s address: only an explicit IP or CIDR entry allows it",
               special);
      return deny(c, "special-range", why, h->text, h->len, port, ip);
    }
    return deny(c, "not-allowed",
                "no IP, CIDR or range entry covers this address and port",
                h->text, h->len, port, ip);
  }
  if (h->loopback_name) {
    if (x7__ip_is_loopback(ip)) return 0;
    return deny(c, "localhost-not-loopback",
                "a localhost name resolved to a non-loopback address",
                h->text, h->len, port, ip);
  }
  if (special) {
    snprintf(why, sizeof why,
             "the name resolved to a %s address, which only an explicit IP "
             "or CIDR entry allows",
             special);
    return deny(c, "special-range", why, h->text, h->len, port, ip);
  }
  return 0;
}

/* The name stage for a canonical host. */
static int32_t check_host(const struct dctx *c, const struct x7__host *h,
                          uint32_t port) {
  if (port == 0)
    return deny(c, is_local(c->op) ? "ephemeral-port" : "port",
                is_local(c->op)
                    ? "binding port 0 (an ephemeral port) is not allowed"
                    : "port 0 is never allowed",
                h->text, h->len, port, NULL);
  if (h->kind == X7__HOST_IP) return check_ip(c, h, &h->ip, port, 1);
  if (!x7__policy_flag(c->p, X7__PF_NET_ALLOW_DNS))
    return deny(c, "dns-disabled",
                "resolving a name needs X07_OS_NET_ALLOW_DNS=1", h->text,
                h->len, port, NULL);
  if (!x7__netmatch_name(c->p->net, h->text, h->len, port))
    return deny(c, "not-allowed",
                "no allow entry for this host name and port", h->text,
                h->len, port, NULL);
  return 0;
}

/* The address stage: every answer must pass. */
static int32_t check_addrs(const struct dctx *c, const struct x7__host *h,
                           uint32_t port, const struct x7__ip_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    int32_t code = check_ip(c, h, &l->ip[i], port, 0);
    if (code) return code;
  }
  return 0;
}

static int32_t canon(const struct dctx *c, const uint8_t *p, size_t n,
                     uint32_t port, struct x7__host *h) {
  const char *why = x7__host_canon(p, n, h);
  if (why) return deny(c, "host-syntax", why, (const char *)p, n, port, NULL);
  return 0;
}

x7_result x7_policy_check(const struct x7_policy *p, enum x7_policy_op op,
                          const char *host, uint32_t port,
                          const char *const *addrs, size_t naddrs,
                          int *pallowed) {
  struct dctx c;
  struct x7__host h;
  struct x7__ip_list l;
  int32_t code;
  if (!pallowed) return X7_EINVAL;
  *pallowed = 0;
  if (!host || op < X7_POLICY_HTTP || op > X7_POLICY_UDP_SENDTO ||
      (naddrs && !addrs) || naddrs > X7__POLICY_MAX_ADDRS || port > 65535)
    return X7_EINVAL;
  l.n = 0;
  for (size_t i = 0; i < naddrs; i++) {
    const char *a = addrs[i] ? addrs[i] : "";
    size_t n = strlen(a);
    if (n >= 2 && a[0] == '[' && a[n - 1] == ']') a++, n -= 2;
    if (!x7__ip_parse(a, n, &l.ip[l.n++])) return X7_EINVAL;
  }
  if (!p) p = x7__policy_current();
  if (!p || !p->sandboxed) {
    *pallowed = 1;
    return X7_OK;
  }
  c.log = 0;
  c.p = p;
  c.op = op;
  code = op_enabled(&c, host, strlen(host), port);
  if (!code) code = canon(&c, (const uint8_t *)host, strlen(host), port, &h);
  if (!code) code = check_host(&c, &h, port);
  if (!code && h.kind == X7__HOST_NAME) code = check_addrs(&c, &h, port, &l);
  *pallowed = code == 0;
  return X7_OK;
}

/* ---- HTTP ---- */

struct url_parts {
  CURLU *u;
  char scheme[8];
  struct x7__host host;
  uint32_t port;
};

static int has_ctl(const char *s) {
  for (; *s; s++)
    if ((uint8_t)*s < 0x21 || (uint8_t)*s == 0x7f) return 1;
  return 0;
}

static void split_list(const char *list, size_t i, const char **ps,
                       size_t *pn) {
  const char *s = list ? list : "";
  *ps = NULL;
  *pn = 0;
  while (*s) {
    const char *semi = strchr(s, ';'), *t = s;
    size_t n = semi ? (size_t)(semi - s) : strlen(s);
    while (n && (*t == ' ' || *t == '\t')) t++, n--;
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) n--;
    if (n) {
      if (i == 0) {
        *ps = t;
        *pn = n;
        return;
      }
      i--;
    }
    if (!semi) return;
    s = semi + 1;
  }
}

/* A root without its trailing separators ("/" stays "/"). */
static void root_trim(const char *s, size_t *pn) {
  while (*pn > 1 && (s[*pn - 1] == '/' || s[*pn - 1] == '\\')) (*pn)--;
}

int x7__policy_write_root(const struct x7_policy *p, size_t i, char *buf,
                          size_t buflen) {
  const char *s;
  size_t n;
  split_list(p->f[X7__PF_FS_WRITE_ROOTS].str, i, &s, &n);
  if (!s) return 0;
  root_trim(s, &n);
  if (n + 1 > buflen) return 0;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return 1;
}

/* A path that names exactly one file: absolute or relative as asked, no
 * empty, "." or ".." segment, and no hidden segment when DENY_HIDDEN. */
static const char *path_problem(const struct x7_policy *p, const char *path,
                                int absolute) {
  const char *s = path;
  if (absolute ? *s != '/' : *s == '/') return "not a valid path";
  if (absolute) s++;
  for (;;) {
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && !memcmp(s, "..", 2)))
      return "empty, '.' or '..' path segment";
    if (s[0] == '.' && x7__policy_flag(p, X7__PF_DENY_HIDDEN))
      return "hidden path segment (fs.deny_hidden)";
    if (!slash) return NULL;
    s = slash + 1;
  }
}

/* file://: readable under the fs policy (spec §4.6 step 4, on the decoded
 * path, so %2e%2e cannot smuggle a ".." past the check). */
static int32_t file_check(const struct dctx *c, CURLU *u, const char *raw) {
  char *path = NULL;
  const char *why, *root;
  size_t rn, pn;
  int32_t code = 0;
  if (!x7__policy_flag(c->p, X7__PF_FS))
    return deny(c, "fs-disabled",
                "file:// needs the filesystem (X07_OS_FS=1)", raw,
                strlen(raw), 0, NULL);
  if (curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK ||
      !path || memchr(path, '\\', strlen(path)) || has_ctl(path)) {
    curl_free(path);
    return deny(c, "fs-path", "file:// path cannot be decoded safely", raw,
                strlen(raw), 0, NULL);
  }
  why = path_problem(c->p, path, 1);
  if (why) {
    code = deny(c, "fs-path", why, raw, strlen(raw), 0, NULL);
    goto out;
  }
  pn = strlen(path);
  for (size_t i = 0;; i++) {
    split_list(c->p->f[X7__PF_FS_READ_ROOTS].str, i, &root, &rn);
    if (!root) {
      code = deny(c, "fs-root", "the path is under no fs read root", raw,
                  strlen(raw), 0, NULL);
      break;
    }
    root_trim(root, &rn);
    if (root[0] != '/') continue; /* relative roots never match */
    if (rn == 1 ||
        (pn >= rn && memcmp(path, root, rn) == 0 &&
         (pn == rn || path[rn] == '/')))
      break;
  }
out:
  curl_free(path);
  return code;
}

static int scheme_is(const char *raw, size_t n, const char *name) {
  size_t k = strlen(name);
  return n == k && x7__ascii_casecmp_eq((const uint8_t *)raw,
                                        (const uint8_t *)name, k);
}

/* Parse and check a URL (name stage only).  0 with *out (free out->u),
 * or a NetErrDocV1 code. */
static int32_t url_check(const struct dctx *c, struct x7_view url,
                         struct url_parts *out) {
  char *s, *host = NULL, *port = NULL, *zone = NULL, hostbuf[264];
  const char *colon, *auth;
  size_t sn, an;
  int32_t code = 0;
  CURLUcode uc;

  memset(out, 0, sizeof *out);
  s = x7__malloc(url.len + 1);
  if (!s) return X7_NET_ERR_INTERNAL;
  if (url.len) memcpy(s, url.ptr, url.len);
  s[url.len] = '\0';
  /* The scheme, from the raw text: http, https or file (upstream: any
   * other scheme is an invalid request, E12). */
  colon = strchr(s, ':');
  sn = colon ? (size_t)(colon - s) : 0;
  if (!colon || !(scheme_is(s, sn, "http") || scheme_is(s, sn, "https") ||
                  scheme_is(s, sn, "file"))) {
    code = X7_NET_ERR_INVALID_REQ;
    goto out;
  }
  if (scheme_is(s, sn, "file")) {
    if (strncmp(colon, ":///", 4) != 0) {
      code = X7_NET_ERR_INVALID_REQ;
      goto out;
    }
  } else {
    /* Exactly "scheme://" then an authority: libcurl also takes
     * "https:/host" and "https:///host", WHATWG reads them differently. */
    if (strncmp(colon, "://", 3) != 0 || colon[3] == '/' || colon[3] == '\\') {
      code = deny(c, "url-ambiguous",
                  "the URL must be scheme://host[:port]/...", s, url.len, 0,
                  NULL);
      goto out;
    }
    auth = colon + 3;
    an = strcspn(auth, "/?#");
    /* '@' means userinfo (whose host is the one after it: allowed@evil);
     * a backslash ends the authority for WHATWG but not for libcurl. */
    if (memchr(auth, '@', an) || memchr(auth, '\\', an)) {
      code = deny(c, memchr(auth, '@', an) ? "userinfo" : "url-ambiguous",
                  memchr(auth, '@', an)
                      ? "credentials in the URL (user@host) are refused"
                      : "backslash in the URL authority",
                  s, url.len, 0, NULL);
      goto out;
    }
  }
  out->u = curl_url();
  if (!out->u) {
    code = X7_NET_ERR_INTERNAL;
    goto out;
  }
  uc = curl_url_set(out->u, CURLUPART_URL, s,
                    CURLU_NON_SUPPORT_SCHEME | CURLU_DISALLOW_USER);
  if (uc == CURLUE_OUT_OF_MEMORY) {
    code = X7_NET_ERR_INTERNAL;
    goto out;
  }
  if (uc != CURLUE_OK) {
    code = X7_NET_ERR_INVALID_REQ;
    goto out;
  }
  if (scheme_is(s, sn, "file")) {
    snprintf(out->scheme, sizeof out->scheme, "file");
    code = file_check(c, out->u, s);
    goto out;
  }
  snprintf(out->scheme, sizeof out->scheme, "%s",
           scheme_is(s, sn, "https") ? "https" : "http");
  if (curl_url_get(out->u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK && zone) {
    code = deny(c, "url-ambiguous", "IPv6 zone ids are refused", s, url.len,
                0, NULL);
    goto out;
  }
  if (curl_url_get(out->u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
      curl_url_get(out->u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
          CURLUE_OK) {
    code = X7_NET_ERR_INVALID_REQ;
    goto out;
  }
  out->port = (uint32_t)strtoul(port, NULL, 10);
  code = op_enabled(c, host, strlen(host), out->port);
  if (!code)
    code = canon(c, (const uint8_t *)host, strlen(host), out->port, &out->host);
  if (!code) code = check_host(c, &out->host, out->port);
  if (code) goto out;
  /* The canonical host goes back into the URL, so the pin key, the Host
   * header, SNI and certificate name are the checked name (A1, A4). */
  snprintf(hostbuf, sizeof hostbuf,
           out->host.kind == X7__HOST_IP && out->host.ip.family == 6 ? "[%s]"
                                                                     : "%s",
           out->host.text);
  if (curl_url_set(out->u, CURLUPART_HOST, hostbuf, 0) != CURLUE_OK)
    code = X7_NET_ERR_INTERNAL;
out:
  curl_free(host);
  curl_free(port);
  curl_free(zone);
  x7__free(s);
  if (code && out->u) {
    curl_url_cleanup(out->u);
    out->u = NULL;
  }
  return code;
}

/* The Host header would send the request to another site behind the same
 * address (domain fronting). */
static int has_host_header(struct x7_view table) {
  size_t pos = 4;
  uint32_t count = table.len >= 4 ? x7__rd32(table.ptr) : 0;
  for (uint32_t i = 0; i < count; i++) {
    struct x7_view name, value;
    if (x7__http_entry(table, &pos, &name, &value)) return 0;
    if (name.len == 4 &&
        x7__ascii_casecmp_eq(name.ptr, (const uint8_t *)"host", 4))
      return 1;
  }
  return 0;
}

int32_t x7__policy_http_gate(const struct x7_policy *p,
                             const struct x7_http_fetch *f) {
  struct dctx c = {1, p, X7_POLICY_HTTP};
  struct url_parts parts;
  int32_t code;
  if (!p || !p->sandboxed) return 0;
  if (has_host_header(f->headers))
    return deny(&c, "host-header", "a Host header is not allowed",
                (const char *)f->url.ptr, f->url.len, 0, NULL);
  code = url_check(&c, f->url, &parts);
  if (parts.u) curl_url_cleanup(parts.u);
  if (code || !f->out_path.len) return code;
  /* A to-file fetch writes under the fs write roots (spec §4.6 step 5). */
  {
    char *rel = x7__malloc(f->out_path.len + 1);
    const char *why, *root;
    size_t rn;
    if (!rel) return X7_NET_ERR_INTERNAL;
    memcpy(rel, f->out_path.ptr, f->out_path.len);
    rel[f->out_path.len] = '\0';
    split_list(p->f[X7__PF_FS_WRITE_ROOTS].str, 0, &root, &rn);
    if (!x7__policy_flag(p, X7__PF_FS))
      code = deny(&c, "fs-disabled", "to-file fetches need X07_OS_FS=1", rel,
                  f->out_path.len, 0, NULL);
    else if ((why = path_problem(p, rel, 0)) != NULL)
      code = deny(&c, "fs-path", why, rel, f->out_path.len, 0, NULL);
    else if (!root)
      code = deny(&c, "fs-root", "the policy has no fs write root", rel,
                  f->out_path.len, 0, NULL);
    x7__free(rel);
  }
  return code;
}

void x7__policy_http_plan_free(struct x7__http_plan *plan) {
  if (!plan) return;
  if (plan->curlu) curl_url_cleanup(plan->curlu);
  x7__free(plan->resolve);
  memset(plan, 0, sizeof *plan);
}

/* "host:port:a,[b]" for CURLOPT_RESOLVE. */
static char *pin_string(const struct x7__host *h, uint32_t port,
                        const struct x7__ip_list *l) {
  struct x7__buf b;
  struct x7_bytes out = {0};
  char num[16];
  x7__buf_init(&b);
  x7__buf_add(&b, h->text, h->len);
  snprintf(num, sizeof num, ":%u:", (unsigned)port);
  x7__buf_add(&b, num, strlen(num));
  for (size_t i = 0; i < l->n; i++) {
    char t[X7__IP_TEXT_MAX];
    x7__ip_text(&l->ip[i], t);
    if (i) x7__buf_u8(&b, ',');
    if (l->ip[i].family == 6) x7__buf_u8(&b, '[');
    x7__buf_add(&b, t, strlen(t));
    if (l->ip[i].family == 6) x7__buf_u8(&b, ']');
  }
  x7__buf_u8(&b, 0);
  if (x7__buf_finish(&b, &out)) return NULL;
  return (char *)out.ptr;
}

int32_t x7__policy_http_plan(const struct x7_policy *p, struct x7_view url,
                             struct x7__http_plan *plan) {
  struct dctx c = {1, p, X7_POLICY_HTTP};
  struct url_parts parts;
  int32_t code;
  memset(plan, 0, sizeof *plan);
  if (!p || !p->sandboxed) return X7_NET_ERR_INTERNAL;
  code = url_check(&c, url, &parts);
  if (code) return code;
  plan->curlu = parts.u;
  memcpy(plan->scheme, parts.scheme, sizeof plan->scheme);
  plan->host = parts.host;
  plan->port = parts.port;
  if (strcmp(plan->scheme, "file") == 0) return 0;
  if (plan->host.kind == X7__HOST_IP) {
    plan->addrs.n = 1;
    plan->addrs.ip[0] = plan->host.ip;
    return 0;
  }
  if (resolve(plan->host.text, SOCK_STREAM, &plan->addrs) ||
      plan->addrs.n == 0) {
    x7__policy_http_plan_free(plan);
    return X7_NET_ERR_DNS;
  }
  code = check_addrs(&c, &plan->host, plan->port, &plan->addrs);
  if (code) {
    x7__policy_http_plan_free(plan);
    return code;
  }
  plan->resolve = pin_string(&plan->host, plan->port, &plan->addrs);
  if (!plan->resolve) {
    x7__policy_http_plan_free(plan);
    return X7_NET_ERR_INTERNAL;
  }
  return 0;
}

int x7__policy_plan_allows(const struct x7__http_plan *plan,
                           const struct sockaddr *sa, socklen_t len) {
  struct x7__ip ip;
  uint32_t port = 0;
  if (!x7__ip_from_sockaddr(sa, len, &ip, &port) || port != plan->port)
    return 0;
  for (size_t i = 0; i < plan->addrs.n; i++)
    if (x7__ip_equal(&plan->addrs.ip[i], &ip)) return 1;
  return 0;
}

/* ---- sockets ---- */

int32_t x7__policy_sock_gate(enum x7_policy_op op, struct x7_view dest,
                             uint32_t port) {
  const struct x7_policy *p = x7__policy_current();
  struct dctx c;
  struct x7__host h;
  int32_t code;
  if (!p) return 0;
  c.log = 1;
  c.p = p;
  c.op = op;
  memset(&h, 0, sizeof h);
  if (op == X7_POLICY_DNS_LOOKUP) {
    code = op_enabled(&c, (const char *)dest.ptr, dest.len, port);
    if (!code) code = canon(&c, dest.ptr, dest.len, port, &h);
  } else {
    /* A NetAddrV1 the caller already validated (tag 1, 2 or 3). */
    uint32_t tag = x7__rd32(dest.ptr + 4);
    if (tag == X7_NET_ADDR_IPV4 || tag == X7_NET_ADDR_IPV6) {
      char t[X7__IP_TEXT_MAX];
      /* Through text, so a mapped IPv6 address folds like any other. */
      if (!inet_ntop(tag == X7_NET_ADDR_IPV4 ? AF_INET : AF_INET6,
                     dest.ptr + 12, t, sizeof t) ||
          !x7__ip_parse(t, strlen(t), &h.ip))
        return X7_NET_ERR_INVALID_REQ;
      h.kind = X7__HOST_IP;
      x7__ip_text(&h.ip, h.text);
      h.len = strlen(h.text);
      code = op_enabled(&c, h.text, h.len, port);
    } else {
      const uint8_t *name = dest.ptr + 16;
      size_t n = dest.len - 16;
      code = op_enabled(&c, (const char *)name, n, port);
      if (!code) code = canon(&c, name, n, port, &h);
    }
  }
  if (!code) code = check_host(&c, &h, port);
  return code;
}

struct ai_node {
  struct addrinfo ai;
  struct sockaddr_storage ss;
};

int32_t x7__policy_getaddrinfo(enum x7_policy_op op, const char *name,
                               uint32_t port, int socktype,
                               struct addrinfo **pres) {
  const struct x7_policy *p = x7__policy_current();
  struct x7__ip_list l;
  struct x7__host h;
  struct ai_node *nodes;
  const char *qname = name;
  int32_t code = 0;

  *pres = NULL;
  l.n = 0;
  memset(&h, 0, sizeof h);
  if (p) {
    struct dctx c = {1, p, op};
    code = op_enabled(&c, name, strlen(name), port);
    if (!code)
      code = canon(&c, (const uint8_t *)name, strlen(name), port, &h);
    if (!code) code = check_host(&c, &h, port);
    if (code) return code;
    if (h.kind == X7__HOST_IP) {
      l.n = 1;
      l.ip[0] = h.ip;
      goto build;
    }
    qname = h.text;
  }
  if (resolve(qname, socktype, &l)) return X7_NET_ERR_DNS;
  if (p) {
    struct dctx c = {1, p, op};
    if (l.n == 0) return X7_NET_ERR_DNS;
    code = check_addrs(&c, &h, port, &l);
    if (code) return code;
  }
build:
  if (l.n == 0) return 0;
  nodes = x7__malloc(l.n * sizeof *nodes);
  if (!nodes) return X7_NET_ERR_INTERNAL;
  memset(nodes, 0, l.n * sizeof *nodes);
  for (size_t i = 0; i < l.n; i++) {
    struct addrinfo *ai = &nodes[i].ai;
    ai->ai_addrlen = x7__ip_to_sockaddr(&l.ip[i], port, &nodes[i].ss);
    ai->ai_addr = (struct sockaddr *)&nodes[i].ss;
    ai->ai_family = l.ip[i].family == 4 ? AF_INET : AF_INET6;
    ai->ai_socktype = socktype;
    ai->ai_protocol = socktype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
    ai->ai_next = i + 1 < l.n ? &nodes[i + 1].ai : NULL;
  }
  *pres = &nodes[0].ai;
  return 0;
}

void x7__policy_freeaddrinfo(struct addrinfo *res) {
  /* res is the first node, the start of the one allocation. */
  x7__free(res);
}
