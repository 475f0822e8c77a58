/*
 * policy_host.c - one canonical form per destination (threat model §2.1,
 * DESIGN §3 item 2) and the address classes the policy needs.
 *
 * Every host the sandbox sees - URL hosts, NetAddrV1 names, policy
 * entries, redirect targets - goes through x7__host_canon, so a check and
 * the connection it allows can never read the same text differently.
 * The rules, in order:
 *   - bytes below 0x21 and DEL are refused (curl and WHATWG disagree on
 *     them);
 *   - "[...]" and anything with a ':' must be an IPv6 address (inet_pton,
 *     so no zone id and no embedded numeric tricks); IPv4-mapped
 *     addresses fold to IPv4;
 *   - non-ASCII names go through IDNA (UTS#46 non-transitional, NFC
 *     input) with libidn2's UTF-8 entry point, which never consults the
 *     locale, so "①②⑦.⓪.⓪.①" is 127.0.0.1 under LANG=C too;
 *   - ASCII is lowercased, one trailing dot dropped, labels must be 1..63
 *     bytes of [a-z0-9-_] not starting or ending with '-';
 *   - a name whose last label is numeric must be a plain dotted quad:
 *     the inet_aton spellings (127.1, 0x7f.1, 2130706433, 0127.0.0.1 -
 *     octal!) that libcurl and getaddrinfo would quietly turn into some
 *     address are refused, as the threat model recommends for a sandbox.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <idn2.h>
#include <netinet/in.h>
#include <string.h>

#include "policy_int.h"

#define HOST_IN_MAX 1024
#define NAME_MAX_LEN 253
#define LABEL_MAX_LEN 63

/* ---- addresses ---- */

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                          0xff, 0xff};

static void ip_from6(const uint8_t a[16], struct x7__ip *out) {
  memset(out, 0, sizeof *out);
  if (memcmp(a, mapped_prefix, sizeof mapped_prefix) == 0) {
    out->family = 4;
    memcpy(out->a, a + 12, 4);
  } else {
    out->family = 6;
    memcpy(out->a, a, 16);
  }
}

int x7__ip_parse(const char *s, size_t n, struct x7__ip *out) {
  char buf[64];
  uint8_t a[16];
  if (n == 0 || n >= sizeof buf) return 0;
  memcpy(buf, s, n);
  buf[n] = '\0';
  if (inet_pton(AF_INET, buf, a) == 1) {
    memset(out, 0, sizeof *out);
    out->family = 4;
    memcpy(out->a, a, 4);
    return 1;
  }
  if (inet_pton(AF_INET6, buf, a) == 1) {
    ip_from6(a, out);
    return 1;
  }
  return 0;
}

void x7__ip_text(const struct x7__ip *ip, char *buf) {
  if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->a, buf,
                 X7__IP_TEXT_MAX))
    buf[0] = '\0';
}

int x7__ip_from_sockaddr(const struct sockaddr *sa, socklen_t len,
                         struct x7__ip *out, uint32_t *pport) {
  if (!sa) return 0;
  if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof sin);
    memset(out, 0, sizeof *out);
    out->family = 4;
    memcpy(out->a, &sin.sin_addr, 4);
    if (pport) *pport = ntohs(sin.sin_port);
    return 1;
  }
  if (sa->sa_family == AF_INET6 &&
      len >= (socklen_t)sizeof(struct sockaddr_in6)) {
    struct sockaddr_in6 sin6;
    memcpy(&sin6, sa, sizeof sin6);
    ip_from6(sin6.sin6_addr.s6_addr, out);
    if (pport) *pport = ntohs(sin6.sin6_port);
    return 1;
  }
  return 0;
}

socklen_t x7__ip_to_sockaddr(const struct x7__ip *ip, uint32_t port,
                             struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (ip->family == 4) {
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    memcpy(&sin.sin_addr, ip->a, 4);
    memcpy(ss, &sin, sizeof sin);
    return (socklen_t)sizeof sin;
  } else {
    struct sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons((uint16_t)port);
    memcpy(&sin6.sin6_addr, ip->a, 16);
    memcpy(ss, &sin6, sizeof sin6);
    return (socklen_t)sizeof sin6;
  }
}

int x7__ip_equal(const struct x7__ip *a, const struct x7__ip *b) {
  return a->family == b->family &&
         memcmp(a->a, b->a, a->family == 4 ? 4 : 16) == 0;
}

/* ---- special-purpose ranges ---- */

struct range {
  uint8_t base[16];
  unsigned prefix;
  const char *name;
};

/* IANA special-purpose registries (RFC 6890 and successors), as listed in
 * the threat model §2.6.  Mapped IPv6 never reaches the v6 table (it is
 * folded), so ::/96 below only means IPv4-compatible and ::/128, ::1/128
 * are listed first to get their own names. */
static const struct range v4_special[] = {
    {{0, 0, 0, 0}, 8, "unspecified"},
    {{10, 0, 0, 0}, 8, "private"},
    {{100, 64, 0, 0}, 10, "shared (CGNAT)"},
    {{127, 0, 0, 0}, 8, "loopback"},
    {{169, 254, 0, 0}, 16, "link-local (cloud metadata)"},
    {{172, 16, 0, 0}, 12, "private"},
    {{192, 0, 0, 0}, 24, "IETF protocol assignments"},
    {{192, 0, 2, 0}, 24, "documentation"},
    {{192, 88, 99, 0}, 24, "6to4 relay anycast"},
    {{192, 168, 0, 0}, 16, "private"},
    {{198, 18, 0, 0}, 15, "benchmarking"},
    {{198, 51, 100, 0}, 24, "documentation"},
    {{203, 0, 113, 0}, 24, "documentation"},
    {{224, 0, 0, 0}, 4, "multicast"},
    {{240, 0, 0, 0}, 4, "reserved"},
};

static const struct range v6_special[] = {
    {{0}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0}, 96, "IPv4-compatible"},
    {{0, 0x64, 0xff, 0x9b}, 96, "NAT64"},
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "NAT64 (local use)"},
    {{0x01, 0x00}, 64, "discard-only"},
    {{0x20, 0x01, 0x00, 0x00}, 32, "Teredo"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {{0x20, 0x02}, 16, "6to4"},
    {{0xfc}, 7, "unique-local (private)"},
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "site-local"},
    {{0xff}, 8, "multicast"},
};

static int in_prefix(const uint8_t *a, const uint8_t *base, unsigned prefix) {
  unsigned full = prefix / 8, rest = prefix % 8;
  if (memcmp(a, base, full) != 0) return 0;
  if (rest) {
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    if ((a[full] & mask) != (base[full] & mask)) return 0;
  }
  return 1;
}

const char *x7__ip_special(const struct x7__ip *ip) {
  const struct range *t = ip->family == 4 ? v4_special : v6_special;
  size_t n = ip->family == 4 ? sizeof v4_special / sizeof v4_special[0]
                             : sizeof v6_special / sizeof v6_special[0];
  for (size_t i = 0; i < n; i++)
    if (in_prefix(ip->a, t[i].base, t[i].prefix)) return t[i].name;
  return NULL;
}

int x7__ip_is_loopback(const struct x7__ip *ip) {
  if (ip->family == 4) return ip->a[0] == 127;
  return in_prefix(ip->a, v6_special[1].base, 128);
}

/* ---- hosts ---- */

static const char *canon_ip6(const uint8_t *p, size_t n, struct x7__host *out) {
  char buf[64];
  uint8_t a[16];
  if (memchr(p, '%', n)) return "IPv6 zone ids are not accepted";
  if (n == 0 || n >= sizeof buf) return "not a valid IPv6 address";
  memcpy(buf, p, n);
  buf[n] = '\0';
  if (inet_pton(AF_INET6, buf, a) != 1) return "not a valid IPv6 address";
  out->kind = X7__HOST_IP;
  ip_from6(a, &out->ip);
  x7__ip_text(&out->ip, out->text);
  out->len = strlen(out->text);
  return NULL;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* The WHATWG "ends in a number" test on an already lowercased label:
 * decimal digits, or 0x followed by hex digits (possibly none). */
static int numeric_label(const char *s, size_t n) {
  size_t i = 0;
  if (n >= 2 && s[0] == '0' && s[1] == 'x') {
    for (i = 2; i < n; i++)
      if (!is_hex(s[i])) return 0;
    return 1;
  }
  for (; i < n; i++)
    if (!is_digit(s[i])) return 0;
  return n > 0;
}

static int label_char(char c) {
  return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '_';
}

/* s: ASCII, already lowercased, NUL-terminated at n. */
static const char *canon_name(char *s, size_t n, struct x7__host *out) {
  int trailing_dot = 0;
  size_t start = 0, last = 0;
  if (n && s[n - 1] == '.') {
    trailing_dot = 1;
    s[--n] = '\0';
  }
  if (n == 0) return "empty host name";
  if (n > NAME_MAX_LEN) return "host name longer than 253 bytes";
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') {
      if (!label_char(s[i]))
        return "host name has a character outside letters, digits, '-', "
               "'_' and '.'";
      continue;
    }
    if (i == start) return "host name has an empty label";
    if (i - start > LABEL_MAX_LEN) return "host name label longer than 63";
    if (s[start] == '-' || s[i - 1] == '-')
      return "host name label starts or ends with '-'";
    last = start;
    start = i + 1;
  }
  if (numeric_label(s + last, n - last)) {
    uint8_t a[4];
    if (inet_pton(AF_INET, s, a) != 1)
      return "numeric host that is not a plain dotted-quad IPv4 address "
             "(forms such as 127.1, 0x7f.1 or 2130706433 are refused)";
    if (trailing_dot) return "IP address with a trailing dot";
    out->kind = X7__HOST_IP;
    out->ip.family = 4;
    memcpy(out->ip.a, a, 4);
    x7__ip_text(&out->ip, out->text);
    out->len = strlen(out->text);
    return NULL;
  }
  out->kind = X7__HOST_NAME;
  memcpy(out->text, s, n + 1);
  out->len = n;
  out->loopback_name =
      strcmp(s, "localhost") == 0 ||
      (n > 10 && memcmp(s + n - 10, ".localhost", 10) == 0);
  return NULL;
}

const char *x7__host_canon(const uint8_t *p, size_t n, struct x7__host *out) {
  char buf[HOST_IN_MAX + 1];
  int non_ascii = 0;
  memset(out, 0, sizeof *out);
  if (!p || n == 0) return "empty host";
  if (n > HOST_IN_MAX) return "host longer than 1024 bytes";
  for (size_t i = 0; i < n; i++) {
    if (p[i] < 0x21 || p[i] == 0x7f)
      return "host contains a space or a control character";
    if (p[i] >= 0x80) non_ascii = 1;
  }
  if (p[0] == '[') {
    if (n < 3 || p[n - 1] != ']') return "unbalanced brackets in host";
    return canon_ip6(p + 1, n - 2, out);
  }
  if (memchr(p, ']', n) || memchr(p, '[', n))
    return "brackets inside a host name";
  if (memchr(p, ':', n)) return canon_ip6(p, n, out);
  if (non_ascii) {
    uint8_t *ace = NULL;
    size_t alen;
    int rc;
    memcpy(buf, p, n);
    buf[n] = '\0';
    /* The _u8 entry point takes UTF-8 as is: unlike idn2_lookup_ul (and
     * libcurl's own conversion) it never looks at the locale. */
    rc = idn2_lookup_u8((const uint8_t *)buf, &ace,
                        IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK || !ace) {
      idn2_free(ace);
      return rc == IDN2_ENCODING_ERROR
                 ? "host is not valid UTF-8"
                 : "host is not a valid internationalised name (UTS#46)";
    }
    alen = strlen((const char *)ace);
    if (alen == 0 || alen > HOST_IN_MAX) {
      idn2_free(ace);
      return "host is not a valid internationalised name (UTS#46)";
    }
    for (size_t i = 0; i < alen; i++) buf[i] = (char)x7__lower(ace[i]);
    buf[alen] = '\0';
    idn2_free(ace);
    return canon_name(buf, alen, out);
  }
  for (size_t i = 0; i < n; i++) buf[i] = (char)x7__lower(p[i]);
  buf[n] = '\0';
  return canon_name(buf, n, out);
}
