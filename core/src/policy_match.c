/*
 * policy_match.c - X07_OS_NET_ALLOW_HOSTS compiled for lookups.
 *
 * The syntax is the shims' (spec §4.7): entries split at ';' and trimmed,
 * the last ':' separates the host pattern from a comma list of ports,
 * "[...]" brackets are removed, a pattern is an IP address, a base/prefix
 * CIDR, an inclusive lo-hi range, or else a host name.  The semantics
 * differ on purpose in one way: names are compared in canonical form
 * (x7__host_canon: case, trailing dot, IDNA), not as raw strings.
 *
 * Upstream scanned the list for every check.  Here a decision costs one
 * hash probe for a name and one binary search for an address whatever
 * the list length:
 *   - names: an open-addressing table of canonical names, each with its
 *     sorted port list;
 *   - addresses: every (IP entry, port) pair becomes an interval of one
 *     family; intervals are sorted by (family, port, low end) and
 *     overlapping ones merged, so for any (family, port, address) the
 *     only candidate is the interval just before it in that order.
 *     Merging loses which entry matched, which an allow never needs.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

struct name_pair {
  uint32_t off, len; /* canonical name in the arena */
  uint16_t port;
};

struct name_ent {
  uint64_t hash;
  uint32_t off, len;
  uint32_t pstart, pcount; /* sorted ports in m->ports */
};

struct ivl {
  uint8_t family;
  uint16_t port;
  uint8_t lo[16], hi[16]; /* big-endian; IPv4 in the first 4 bytes */
};

struct x7__netmatch {
  char *arena;
  struct name_ent *names;
  size_t nnames;
  uint32_t *slots; /* index + 1 into names; 0 = empty */
  size_t slot_mask;
  uint16_t *ports;
  struct ivl *ivls;
  size_t nivls;
  size_t entries;
};

/* A growable array of fixed-size items (x7__buf underneath). */
#define VEC_PUSH(buf, item) x7__buf_add((buf), &(item), sizeof(item))

static uint64_t fnv1a(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; i++) {
    h ^= (uint8_t)s[i];
    h *= 1099511628211ull;
  }
  return h;
}

static int is_trim(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **p, size_t *n) {
  while (*n && is_trim(**p)) (*p)++, (*n)--;
  while (*n && is_trim((*p)[*n - 1])) (*n)--;
}

/* One element of a port list: decimal 1..65535 (upstream's strtol-style
 * parse, so "0443" is 443); anything else never matches. */
static int parse_port(const char *p, size_t n, uint16_t *port) {
  uint32_t v = 0;
  trim(&p, &n);
  if (n == 0 || n > 5) return 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    v = v * 10 + (uint32_t)(p[i] - '0');
  }
  if (v == 0 || v > 65535) return 0;
  *port = (uint16_t)v;
  return 1;
}

static void strip_brackets(const char **p, size_t *n) {
  if (*n >= 2 && (*p)[0] == '[' && (*p)[*n - 1] == ']' &&
      !memchr(*p + 1, ']', *n - 2)) {
    (*p)++;
    *n -= 2;
  }
}

/* An IP address, optionally in brackets (mapped IPv6 folded). */
static int raw_ip(const char *p, size_t n, struct x7__ip *ip) {
  strip_brackets(&p, &n);
  if (!x7__ip_parse(p, n, ip)) return 0;
  return 1;
}

static void set_bits(uint8_t *a, unsigned width, unsigned prefix, int ones) {
  for (unsigned bit = prefix; bit < width; bit++) {
    uint8_t m = (uint8_t)(0x80u >> (bit % 8));
    if (ones)
      a[bit / 8] |= m;
    else
      a[bit / 8] &= (uint8_t)~m;
  }
}

/* "base/prefix": 0 with *pi filled, -1 if it can never match. */
static int parse_cidr(const char *p, size_t n, struct ivl *pi) {
  const char *slash = memchr(p, '/', n);
  size_t bn = (size_t)(slash - p), pn = n - bn - 1;
  unsigned prefix = 0, width;
  struct x7__ip base;
  if (pn == 0 || pn > 3) return -1;
  for (size_t i = 0; i < pn; i++) {
    char c = slash[1 + i];
    if (c < '0' || c > '9') return -1;
    prefix = prefix * 10 + (unsigned)(c - '0');
  }
  if (!raw_ip(p, bn, &base)) return -1;
  /* x7__ip_parse folded an IPv4-mapped base to IPv4: the prefix counted
   * the 96 mapped bits, which the folded form no longer has. */
  if (base.family == 4 && memchr(p, ':', bn)) {
    if (prefix < 96) return -1;
    prefix -= 96;
  }
  width = base.family == 4 ? 32 : 128;
  if (prefix > width) return -1;
  pi->family = base.family;
  memcpy(pi->lo, base.a, 16);
  memcpy(pi->hi, base.a, 16);
  set_bits(pi->lo, width, prefix, 0);
  set_bits(pi->hi, width, prefix, 1);
  return 0;
}

/* "lo-hi" with both sides addresses of one family: 0, or -1. */
static int parse_range(const char *p, size_t n, struct ivl *pi) {
  const char *dash = memchr(p, '-', n);
  struct x7__ip lo, hi;
  if (!dash || memchr(dash + 1, '-', n - (size_t)(dash - p) - 1)) return -1;
  if (!raw_ip(p, (size_t)(dash - p), &lo) ||
      !raw_ip(dash + 1, n - (size_t)(dash - p) - 1, &hi) ||
      lo.family != hi.family)
    return -1;
  if (memcmp(lo.a, hi.a, 16) > 0) {
    struct x7__ip t = lo;
    lo = hi;
    hi = t;
  }
  pi->family = lo.family;
  memcpy(pi->lo, lo.a, 16);
  memcpy(pi->hi, hi.a, 16);
  return 0;
}

static int ivl_cmp(const void *a, const void *b) {
  const struct ivl *x = a, *y = b;
  if (x->family != y->family) return x->family < y->family ? -1 : 1;
  if (x->port != y->port) return x->port < y->port ? -1 : 1;
  return memcmp(x->lo, y->lo, 16);
}

/* A (name, port) pair with its name pointer resolved, so qsort needs no
 * context (and no static) to reach the arena. */
struct name_key {
  const char *s;
  uint32_t len;
  uint16_t port;
};

static int key_cmp(const void *a, const void *b) {
  const struct name_key *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, n);
  if (c) return c;
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  return x->port < y->port ? -1 : x->port > y->port;
}

/* Parse one trimmed entry; append its name pairs or intervals. */
static void add_entry(const char *e, size_t n, struct x7__buf *arena,
                      struct x7__buf *pairs, struct x7__buf *ivls,
                      size_t *pentries) {
  const char *colon = NULL, *pat, *plist;
  size_t patn, pln, before;
  uint16_t ports[64];
  size_t np = 0;
  struct ivl iv;
  struct x7__ip ip;
  struct x7__host h;
  int is_ip = 0;

  for (size_t i = n; i > 0; i--)
    if (e[i - 1] == ':') {
      colon = e + i - 1;
      break;
    }
  if (!colon) return;
  pat = e;
  patn = (size_t)(colon - e);
  plist = colon + 1;
  pln = n - patn - 1;
  trim(&pat, &patn);
  strip_brackets(&pat, &patn);
  if (patn == 0) return;

  memset(&iv, 0, sizeof iv);
  if (memchr(pat, '/', patn)) {
    if (parse_cidr(pat, patn, &iv)) return;
    is_ip = 1;
  } else if (parse_range(pat, patn, &iv) == 0) {
    is_ip = 1;
  } else if (x7__ip_parse(pat, patn, &ip)) {
    iv.family = ip.family;
    memcpy(iv.lo, ip.a, 16);
    memcpy(iv.hi, ip.a, 16);
    is_ip = 1;
  } else if (x7__host_canon((const uint8_t *)pat, patn, &h)) {
    return; /* no host can ever canonicalise to it */
  } else if (h.kind == X7__HOST_IP) {
    iv.family = h.ip.family;
    memcpy(iv.lo, h.ip.a, 16);
    memcpy(iv.hi, h.ip.a, 16);
    is_ip = 1;
  }

  before = is_ip ? ivls->len : pairs->len;
  while (pln) {
    const char *comma = memchr(plist, ',', pln);
    size_t k = comma ? (size_t)(comma - plist) : pln;
    uint16_t port;
    if (parse_port(plist, k, &port)) {
      if (np == sizeof ports / sizeof ports[0]) {
        /* A policy file allows 64 ports per host, the environment any
         * number: push the batch and keep going. */
        for (size_t j = 0; j < np; j++) {
          if (is_ip) {
            iv.port = ports[j];
            VEC_PUSH(ivls, iv);
          } else {
            struct name_pair pr = {(uint32_t)arena->len, (uint32_t)h.len,
                                   ports[j]};
            VEC_PUSH(pairs, pr);
          }
        }
        np = 0;
      }
      ports[np++] = port;
    }
    if (!comma) break;
    plist = comma + 1;
    pln -= k + 1;
  }
  for (size_t j = 0; j < np; j++) {
    if (is_ip) {
      iv.port = ports[j];
      VEC_PUSH(ivls, iv);
    } else {
      struct name_pair pr = {(uint32_t)arena->len, (uint32_t)h.len, ports[j]};
      VEC_PUSH(pairs, pr);
    }
  }
  if ((is_ip ? ivls->len : pairs->len) == before) return; /* no port */
  if (!is_ip) x7__buf_add(arena, h.text, h.len);
  (*pentries)++;
}

static x7_result build_names(struct x7__netmatch *m, struct x7__buf *pairs) {
  size_t np = pairs->len / sizeof(struct name_pair);
  const struct name_pair *pr = (const struct name_pair *)pairs->ptr;
  struct name_key *keys;
  size_t nslots = 16, ne = 0, nports = 0;

  if (np == 0) return X7_OK;
  keys = x7__malloc(np * sizeof *keys);
  if (!keys) return X7_ENOMEM;
  for (size_t i = 0; i < np; i++) {
    keys[i].s = m->arena + pr[i].off;
    keys[i].len = pr[i].len;
    keys[i].port = pr[i].port;
  }
  qsort(keys, np, sizeof *keys, key_cmp);
  m->names = x7__malloc(np * sizeof *m->names);
  m->ports = x7__malloc(np * sizeof *m->ports);
  while (nslots < np * 2) nslots *= 2;
  m->slots = x7__malloc(nslots * sizeof *m->slots);
  if (!m->names || !m->ports || !m->slots) {
    x7__free(keys);
    return X7_ENOMEM;
  }
  memset(m->slots, 0, nslots * sizeof *m->slots);
  m->slot_mask = nslots - 1;
  for (size_t i = 0; i < np; i++) {
    int same_name = ne > 0 && keys[i].len == m->names[ne - 1].len &&
                    memcmp(keys[i].s, m->arena + m->names[ne - 1].off,
                           keys[i].len) == 0;
    if (!same_name) {
      struct name_ent *e = &m->names[ne++];
      e->off = (uint32_t)(keys[i].s - m->arena);
      e->len = keys[i].len;
      e->hash = fnv1a(keys[i].s, keys[i].len);
      e->pstart = (uint32_t)nports;
      e->pcount = 0;
    } else if (m->ports[nports - 1] == keys[i].port) {
      continue; /* duplicate (name, port) */
    }
    m->ports[nports++] = keys[i].port;
    m->names[ne - 1].pcount++;
  }
  x7__free(keys);
  m->nnames = ne;
  for (size_t i = 0; i < ne; i++) {
    size_t s = (size_t)m->names[i].hash & m->slot_mask;
    while (m->slots[s]) s = (s + 1) & m->slot_mask;
    m->slots[s] = (uint32_t)(i + 1);
  }
  return X7_OK;
}

static void build_ivls(struct x7__netmatch *m, struct x7__buf *ivls) {
  size_t n = ivls->len / sizeof(struct ivl), out = 0;
  struct ivl *v = (struct ivl *)ivls->ptr;
  if (n == 0) return;
  qsort(v, n, sizeof *v, ivl_cmp);
  for (size_t i = 0; i < n; i++) {
    struct ivl *last = out ? &v[out - 1] : NULL;
    if (last && last->family == v[i].family && last->port == v[i].port &&
        memcmp(v[i].lo, last->hi, 16) <= 0) {
      if (memcmp(v[i].hi, last->hi, 16) > 0) memcpy(last->hi, v[i].hi, 16);
      continue;
    }
    v[out++] = v[i];
  }
  /* Hand the buffer over: it is exactly the sorted interval array. */
  m->ivls = v;
  m->nivls = out;
  ivls->ptr = NULL;
  ivls->len = ivls->cap = 0;
}

x7_result x7__netmatch_build(const char *hosts, size_t len,
                             struct x7__netmatch **pm) {
  struct x7__netmatch *m;
  struct x7__buf arena, pairs, ivls;
  x7_result r = X7_OK;
  size_t pos = 0;

  *pm = NULL;
  m = x7__malloc(sizeof *m);
  if (!m) return X7_ENOMEM;
  memset(m, 0, sizeof *m);
  x7__buf_init(&arena);
  x7__buf_init(&pairs);
  x7__buf_init(&ivls);
  while (hosts && pos < len) {
    const char *e = hosts + pos, *semi = memchr(e, ';', len - pos);
    size_t n = semi ? (size_t)(semi - e) : len - pos;
    pos += n + 1;
    trim(&e, &n);
    if (n) add_entry(e, n, &arena, &pairs, &ivls, &m->entries);
  }
  if (arena.failed || pairs.failed || ivls.failed) {
    r = X7_ENOMEM;
    goto out;
  }
  /* The arena must not move once names point into it. */
  m->arena = (char *)arena.ptr;
  arena.ptr = NULL;
  r = build_names(m, &pairs);
  if (!r) build_ivls(m, &ivls);
out:
  x7__buf_cleanup(&arena);
  x7__buf_cleanup(&pairs);
  x7__buf_cleanup(&ivls);
  if (r) {
    x7__netmatch_free(m);
    return r;
  }
  *pm = m;
  return X7_OK;
}

void x7__netmatch_free(struct x7__netmatch *m) {
  if (!m) return;
  x7__free(m->arena);
  x7__free(m->names);
  x7__free(m->slots);
  x7__free(m->ports);
  x7__free(m->ivls);
  x7__free(m);
}

size_t x7__netmatch_count(const struct x7__netmatch *m) {
  return m ? m->entries : 0;
}

static int port_in(const uint16_t *ports, uint32_t n, uint32_t port) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (ports[mid] == port) return 1;
    if (ports[mid] < port)
      lo = mid + 1;
    else
      hi = mid;
  }
  return 0;
}

int x7__netmatch_name(const struct x7__netmatch *m, const char *name,
                      size_t len, uint32_t port) {
  uint64_t h;
  size_t s;
  if (!m || !m->nnames || port == 0 || port > 65535) return 0;
  h = fnv1a(name, len);
  for (s = (size_t)h & m->slot_mask; m->slots[s]; s = (s + 1) & m->slot_mask) {
    const struct name_ent *e = &m->names[m->slots[s] - 1];
    if (e->hash == h && e->len == len &&
        memcmp(m->arena + e->off, name, len) == 0)
      return port_in(m->ports + e->pstart, e->pcount, port);
  }
  return 0;
}

int x7__netmatch_ip(const struct x7__netmatch *m, const struct x7__ip *ip,
                    uint32_t port) {
  struct ivl key;
  size_t lo = 0, hi;
  if (!m || !m->nivls || port == 0 || port > 65535) return 0;
  memset(&key, 0, sizeof key);
  key.family = ip->family;
  key.port = (uint16_t)port;
  memcpy(key.lo, ip->a, ip->family == 4 ? 4 : 16);
  /* The last interval whose (family, port, low end) <= key. */
  hi = m->nivls;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (ivl_cmp(&m->ivls[mid], &key) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return 0;
  {
    const struct ivl *c = &m->ivls[lo - 1];
    return c->family == key.family && c->port == key.port &&
           memcmp(key.lo, c->hi, 16) <= 0;
  }
}
