/*
 * policy_int.h - the sandbox policy inside the library: canonical hosts,
 * the allow-list matcher, the policy object and the decisions the twins
 * and the backends ask for.  Never installed.
 *
 * Files: policy_host.c (host canonicalisation, address classes),
 * policy_match.c (X07_OS_NET_ALLOW_HOSTS compiled for lookups),
 * policy_env.c (struct x7_policy, the X07_* variables), policy_json.c
 * (policy files, derivation), policy.c (the process policy, denials,
 * resolution and every decision).
 */
#ifndef X7_POLICY_INT_H
#define X7_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <x7/x7_backend.h>
#include <x7/x7_policy.h>

#include "core_int.h"

/* ---- addresses and canonical hosts (policy_host.c) ---- */

/* One IP address.  IPv4-mapped IPv6 addresses are always folded to
 * family 4, so each destination has exactly one representation. */
struct x7__ip {
  uint8_t family; /* 4 or 6 */
  uint8_t a[16];  /* network order; IPv4 uses a[0..3] */
};

#define X7__IP_TEXT_MAX 48 /* inet_ntop of IPv6 plus NUL, rounded up */

enum x7__host_kind {
  X7__HOST_NAME = 1, /* DNS name: lowercase A-labels, no trailing dot */
  X7__HOST_IP = 2    /* IP literal: ip is set */
};

/* A host in its one canonical form: what the policy matches, what the
 * connection is pinned to and what TLS verifies. */
struct x7__host {
  int kind;
  struct x7__ip ip;  /* X7__HOST_IP only */
  int loopback_name; /* "localhost" or a name under ".localhost" */
  size_t len;
  char text[256];    /* NUL-terminated: the name, or the address text
                        (IPv6 without brackets) */
};

/* Canonicalise host bytes as a URL, a NetAddrV1 name or a policy entry
 * gives them: "[v6]" or bare IPv6, dotted-quad IPv4, or a name (UTF-8;
 * IDNA UTS#46 non-transitional through libidn2, independent of the
 * locale; ASCII-lowercased; one trailing dot dropped; LDH labels plus
 * '_').  Non-canonical numeric IPv4 spellings (127.1, 0x7f.1, 2130706433,
 * 0127.0.0.1, ...) and IP literals with a trailing dot are refused rather
 * than guessed at.  Returns NULL with *out filled, or a static English
 * reason. */
const char *x7__host_canon(const uint8_t *p, size_t n, struct x7__host *out);

/* inet_pton of v4 then v6 (brackets not allowed), folding IPv4-mapped.
 * 1 ok, 0 not an address. */
int x7__ip_parse(const char *s, size_t n, struct x7__ip *out);
/* Address text (no brackets) into buf[X7__IP_TEXT_MAX]. */
void x7__ip_text(const struct x7__ip *ip, char *buf);
/* From / to a sockaddr (AF_INET / AF_INET6; mapped folded).  from: 1 ok,
 * 0 other family.  to: the length written, 0 never. */
int x7__ip_from_sockaddr(const struct sockaddr *sa, socklen_t len,
                         struct x7__ip *out, uint32_t *pport);
socklen_t x7__ip_to_sockaddr(const struct x7__ip *ip, uint32_t port,
                             struct sockaddr_storage *ss);
int x7__ip_equal(const struct x7__ip *a, const struct x7__ip *b);

/* Built-in special-purpose ranges (threat model §2.6): loopback,
 * private, link-local/metadata, CGNAT, documentation, multicast,
 * reserved, unspecified, NAT64/6to4/Teredo/IPv4-compatible ...  Returns
 * the range's name ("loopback", "private", ...) or NULL for an ordinary
 * address. */
const char *x7__ip_special(const struct x7__ip *ip);
int x7__ip_is_loopback(const struct x7__ip *ip);

/* ---- the allow-list matcher (policy_match.c) ---- */

struct x7__netmatch;

/* Compile an X07_OS_NET_ALLOW_HOSTS value ("host:p1,p2;host2:p3", spec
 * §4.7 syntax: exact names, IP addresses, base/prefix CIDRs and lo-hi
 * ranges).  Names go through x7__host_canon; entries that cannot match
 * anything (bad syntax, prefix out of range) are dropped, as upstream
 * never matched them.  X7_OK or X7_ENOMEM. */
x7_result x7__netmatch_build(const char *hosts, size_t len,
                             struct x7__netmatch **pm);
void x7__netmatch_free(struct x7__netmatch *m);
/* 1 when an entry names this canonical name with this port (hash). */
int x7__netmatch_name(const struct x7__netmatch *m, const char *name,
                      size_t len, uint32_t port);
/* 1 when an IP / CIDR / range entry covers ip with this port (binary
 * search over disjoint intervals). */
int x7__netmatch_ip(const struct x7__netmatch *m, const struct x7__ip *ip,
                    uint32_t port);
/* Entries kept after compilation (for tests). */
size_t x7__netmatch_count(const struct x7__netmatch *m);

/* ---- the policy object (policy_env.c) ---- */

/* One scalar or list of the environment contract, in the runner's order
 * (see the table in policy_env.c). */
enum x7__pf {
#define X7__PF(id, env, path, type, dflt) X7__PF_##id,
#include "policy_fields.h"
#undef X7__PF
  X7__PF_COUNT
};

enum x7__pf_type {
  X7__PFT_BOOL,
  X7__PFT_NUM,
  X7__PFT_LIST,
  X7__PFT_PORTS,
  X7__PFT_HOSTS
};

struct x7__pf_desc {
  const char *env;  /* X07_OS_... */
  const char *path; /* "fs.enabled" */
  enum x7__pf_type type;
  uint64_t dflt;
};

/* policy_fields.h as data, indexed by enum x7__pf. */
extern const struct x7__pf_desc x7__pf_table[X7__PF_COUNT];

struct x7__pfield {
  uint64_t num; /* bools (0/1) and integers */
  char *str;    /* lists, already joined as in the environment; NULL = "" */
};

struct x7_policy {
  int sandboxed;
  char *world;     /* X07_WORLD; NULL: derived from sandboxed */
  char *policy_id; /* NULL when read from the environment */
  struct x7__pfield f[X7__PF_COUNT];
  struct x7__netmatch *net; /* compiled f[X7__PF_NET_ALLOW_HOSTS] */
};

/* A sandbox policy with every field at its runtime default (deny). */
x7_result x7__policy_new_default(struct x7_policy **pp);
/* Set a list field (copies; n == 0 clears).  X7_OK / X7_ENOMEM. */
x7_result x7__policy_set_str(struct x7_policy *p, enum x7__pf id,
                             const char *s, size_t n);
/* Compile the allow list after the fields are final. */
x7_result x7__policy_finish(struct x7_policy *p);
static inline int x7__policy_flag(const struct x7_policy *p, enum x7__pf id) {
  return p->f[id].num != 0;
}

/* ---- process policy, resolution, decisions (policy.c) ---- */

/* The process policy: NULL when running as `os`.  Read from the
 * environment once (thread-safe); tests may swap it. */
const struct x7_policy *x7__policy_current(void);

/* Tests only: make p the process policy (NULL: run as `os`) until the
 * next call, or go back to the environment's with restore_env=1.  The
 * caller keeps ownership of p and must not free it while in use. */
void x7__policy_set_for_tests(const struct x7_policy *p, int restore_env);

#define X7__POLICY_MAX_ADDRS 64
struct x7__ip_list {
  size_t n;
  struct x7__ip ip[X7__POLICY_MAX_ADDRS];
};

/* The resolver every lookup goes through (default: getaddrinfo with
 * AF_UNSPEC and the given socktype, results in resolver order, other
 * families skipped, at most X7__POLICY_MAX_ADDRS).  Returns 0 with *out
 * filled (n may be 0), or non-zero when the name does not resolve. */
typedef int x7__policy_resolver_fn(void *ud, const char *name, int socktype,
                                   struct x7__ip_list *out);
/* Tests only: replace the resolver (NULL: back to getaddrinfo). */
void x7__policy_set_resolver_for_tests(x7__policy_resolver_fn *fn, void *ud);

/* Record a denial for x7_policy_last_denial (and log it when X07_NET_LOG
 * is 1 and log is set).  host may be NULL; addr may be NULL.  Returns
 * X7_NET_ERR_POLICY_DENIED so callers can `return x7__policy_deny(...)`. */
int32_t x7__policy_deny(int log, enum x7_policy_op op, const char *rule,
                        const char *reason, const char *host, size_t hlen,
                        uint32_t port, const struct x7__ip *addr);

/* ---- HTTP (the core gate and the live backend's hops) ---- */

struct Curl_URL; /* CURLU, from <curl/curl.h> */

/* One checked hop: what libcurl must be told so that it connects to the
 * checked addresses and nowhere else. */
struct x7__http_plan {
  struct Curl_URL *curlu; /* parsed URL, canonical host written back */
  char scheme[8];         /* "http", "https" or "file" */
  struct x7__host host;   /* canonical (unset for file) */
  uint32_t port;
  char *resolve;          /* "host:port:addr,addr" for CURLOPT_RESOLVE;
                             NULL for IP literals and file:// */
  struct x7__ip_list addrs; /* the vetted addresses */
};

/* The core gate of a fetch under policy p (not NULL): everything that can
 * be decided without DNS, for the first hop (scheme, URL form, host,
 * port, name allow, fs rules of file:// and of to-file fetches, no Host
 * header).  0 or a NetErrDocV1 code (1 with the denial recorded; 2 for
 * an unparseable URL or a scheme that is not http/https/file). */
int32_t x7__policy_http_gate(const struct x7_policy *p,
                             const struct x7_http_fetch *f);

/* One hop in full: the gate's URL checks, then resolution through the
 * resolver and the check of every address.  0 with *plan filled (free it
 * with x7__policy_http_plan_free), or 1, 2, 5 (the name does not
 * resolve), 8 (out of memory) with *plan empty. */
int32_t x7__policy_http_plan(const struct x7_policy *p, struct x7_view url,
                             struct x7__http_plan *plan);
void x7__policy_http_plan_free(struct x7__http_plan *plan);
/* 1 when sa (any port) is one of the plan's vetted addresses and its
 * port is the plan's port. */
int x7__policy_plan_allows(const struct x7__http_plan *plan,
                           const struct sockaddr *sa, socklen_t len);

/* Directory the sandboxed to-file fetch writes into: the i-th entry of
 * X7_OS_FS_WRITE_ROOTS (trimmed, trailing '/' dropped) copied into buf;
 * 0 when there is no such entry. */
int x7__policy_write_root(const struct x7_policy *p, size_t i, char *buf,
                          size_t buflen);

/* ---- sockets (net_sock_io.c's gate, the socket backends) ---- */

/* The gate of a socket op under the process policy: dest is a NetAddrV1
 * (tag 1, 2 or 3) or, for X7_POLICY_DNS_LOOKUP, the bare name.  0 or
 * X7_NET_ERR_POLICY_DENIED (recorded, logged). */
int32_t x7__policy_sock_gate(enum x7_policy_op op, struct x7_view dest,
                             uint32_t port);

/* getaddrinfo for a backend: name resolved through the resolver hook
 * and, in the sandbox, checked: every address must pass or the whole
 * answer is denied.  The list holds exactly the addresses to use, with
 * the port set, socktype/protocol as asked (SOCK_STREAM/TCP or
 * SOCK_DGRAM/UDP).  0 with *pres (free with x7__policy_freeaddrinfo), or
 * 1 (denied), 5 (does not resolve), 8 (out of memory). */
struct addrinfo;
int32_t x7__policy_getaddrinfo(enum x7_policy_op op, const char *name,
                               uint32_t port, int socktype,
                               struct addrinfo **pres);
void x7__policy_freeaddrinfo(struct addrinfo *res);

#endif /* X7_POLICY_INT_H */
