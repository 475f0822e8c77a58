/* test_policy_match.c - X07_OS_NET_ALLOW_HOSTS compiled for lookups
 * (policy_match.c): spec §4.7, the §8.5 matcher vectors, a property test
 * against a plain linear matcher, and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "policy_int.h"
#include "x7_test.h"

static struct x7__netmatch *build(const char *list) {
  struct x7__netmatch *m = NULL;
  assert_x7_ok(x7__netmatch_build(list, strlen(list), &m));
  assert_non_null(m);
  return m;
}

/* The destination as the policy would see it: canonical, then matched
 * as a name or as an address. */
static int allowed(const struct x7__netmatch *m, const char *host,
                   uint32_t port) {
  struct x7__host h;
  if (x7__host_canon((const uint8_t *)host, strlen(host), &h)) return 0;
  if (h.kind == X7__HOST_IP) return x7__netmatch_ip(m, &h.ip, port);
  return x7__netmatch_name(m, h.text, h.len, port);
}

struct vec {
  const char *list, *host;
  uint32_t port;
  int want;
};

/* Spec §8.5, with the two deliberate differences marked. */
static const struct vec vectors[] = {
    {"127.0.0.1:80,30000;localhost:80,30000;[::1]:80,30000", "127.0.0.1",
     30000, 1},
    {"127.0.0.1:80,30000;localhost:80,30000;[::1]:80,30000", "localhost",
     30000, 1},
    {"127.0.0.1:80,30000;localhost:80,30000;[::1]:80,30000", "LOCALHOST", 80,
     1},
    {"127.0.0.1:80,30000;localhost:80,30000;[::1]:80,30000", "::1", 80, 1},
    {"127.0.0.1:80,30000;localhost:80,30000;[::1]:80,30000", "127.0.0.1",
     30001, 0},
    {"127.0.0.1:80,30000;localhost:80,30000;[::1]:80,30000", "127.0.0.2", 80,
     0},
    {"10.0.0.0/8:443", "10.1.2.3", 443, 1},
    {"10.0.0.0/8:443", "11.0.0.1", 443, 0},
    {"192.168.1.10-192.168.1.20:80", "192.168.1.15", 80, 1},
    {"192.168.1.20-192.168.1.10:80", "192.168.1.15", 80, 1},
    {"192.168.1.10-192.168.1.20:80", "192.168.1.21", 80, 0},
    {"[2001:db8::]/32:443", "2001:db8::1", 443, 1},
    {"0.0.0.0/0:443", "8.8.8.8", 443, 1},
    {"example.com:443", "example.com", 443, 1},
    /* the address is not the name: a resolved IP never matches a name
     * entry by itself (the policy checks names and addresses apart) */
    {"example.com:443", "93.184.216.34", 443, 0},
    {"example.com:443", "www.example.com", 443, 0},
    {"*.example.com:443", "a.example.com", 443, 0},
    {"example.com:*", "example.com", 443, 0},
    {"my-host:80", "my-host", 80, 1},
    {"1.2.3.4:80", "01.2.3.4", 80, 0},
    {"example.com:443, 80", "example.com", 80, 1},
    /* canonical names: case, trailing dot, IDNA on both sides */
    {"Example.COM.:443", "example.com", 443, 1},
    {"example.com:443", "EXAMPLE.com.", 443, 1},
    {"m\xc3\xbcnchen.de:443", "xn--mnchen-3ya.de", 443, 1},
    {"xn--mnchen-3ya.de:443", "M\xc3\x9cNCHEN.de", 443, 1},
    /* entry syntax */
    {" example.com : 443 ;;", "example.com", 443, 1},
    {"example.com", "example.com", 443, 0},
    {"example.com:", "example.com", 443, 0},
    {"example.com:0", "example.com", 0, 0},
    {"example.com:65536", "example.com", 65535, 0},
    {"example.com:0443", "example.com", 443, 1},
    {"example.com:+443", "example.com", 443, 0},
    {"example.com:44x3,8443", "example.com", 8443, 1},
    {"::1:443", "::1", 443, 1},
    {"[::1]:443", "[::1]", 443, 1},
    {"::ffff:10.0.0.1:80", "10.0.0.1", 80, 1},
    {"::ffff:10.0.0.0/104:80", "10.9.9.9", 80, 1},
    {"::ffff:10.0.0.0/104:80", "11.9.9.9", 80, 0},
    {"::ffff:0.0.0.0/90:80", "10.9.9.9", 80, 0},
    {"10.0.0.0/33:80", "10.0.0.1", 80, 0},
    {"10.0.0.0/8x:80", "10.0.0.1", 80, 0},
    {"::/0:443", "8.8.8.8", 443, 0},
    {"::/0:443", "2606:4700::1", 443, 1},
    {"0.0.0.0/0:443", "2606:4700::1", 443, 0},
    {"10.1.2.3/8:80", "10.200.0.1", 80, 1},
    {"10.0.0.1-:80", "10.0.0.1", 80, 0},
    {"10.0.0.1-::1:80", "10.0.0.1", 80, 0},
    {"[10.0.0.1]-[10.0.0.9]:80", "10.0.0.5", 80, 1},
    {"127.1:80", "127.0.0.1", 80, 0},
    {"2130706433:80", "127.0.0.1", 80, 0},
    {"\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa.\xe2\x93\xaa."
     "\xe2\x91\xa0:80",
     "127.0.0.1", 80, 1},
    {"a.test:1;b.test:2;c.test:3", "b.test", 2, 1},
    {"a.test:1;b.test:2;c.test:3", "b.test", 3, 0},
    {"a.test:1;a.test:2", "a.test", 2, 1},
    {"10.0.0.0/8:80;10.1.0.0/16:80", "10.1.2.3", 80, 1},
    {"10.1.0.0/16:80;10.0.0.0/8:80", "10.200.2.3", 80, 1},
    {"10.0.0.0/24:80;10.0.1.0/24:80", "10.0.2.1", 80, 0},
    {"10.0.0.0/24:80;10.0.1.0/24:80", "10.0.1.255", 80, 1},
    {"10.0.0.0/8:80", "10.1.2.3", 81, 0},
};

static void matcher_should_match_the_vectors(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
    struct x7__netmatch *m = build(vectors[i].list);
    int got = allowed(m, vectors[i].host, vectors[i].port);
    if (got != vectors[i].want)
      fail_msg("#%zu list \"%s\" host %s port %u: want %d got %d", i,
               vectors[i].list, vectors[i].host, (unsigned)vectors[i].port,
               vectors[i].want, got);
    x7__netmatch_free(m);
  }
}

static void matcher_should_count_usable_entries(void **state) {
  struct x7__netmatch *m;
  (void)state;
  m = build("a.test:1;bad;b.test:0;10.0.0.0/99:1;*.x:1;10.0.0.1:1,2;"
            "c.test:1,x");
  assert_int_equal(x7__netmatch_count(m), 3); /* a.test, 10.0.0.1, c.test */
  x7__netmatch_free(m);
  m = build("");
  assert_int_equal(x7__netmatch_count(m), 0);
  assert_false(allowed(m, "a.test", 1));
  x7__netmatch_free(m);
  assert_false(x7__netmatch_name(NULL, "a", 1, 1));
  x7__netmatch_free(NULL);
}

/* ---- property test: the indexed matcher against a linear scan ---- */

struct lin_entry {
  int is_ip;
  char name[32];
  uint8_t family, lo[16], hi[16];
  uint16_t ports[4];
  int nports;
};

static int lin_match(const struct lin_entry *e, size_t n,
                     const struct x7__host *h, uint32_t port) {
  for (size_t i = 0; i < n; i++) {
    int pm = 0;
    for (int k = 0; k < e[i].nports; k++) pm |= e[i].ports[k] == port;
    if (!pm) continue;
    if (h->kind == X7__HOST_NAME) {
      if (!e[i].is_ip && strcmp(e[i].name, h->text) == 0) return 1;
    } else if (e[i].is_ip && e[i].family == h->ip.family &&
               memcmp(h->ip.a, e[i].lo, 16) >= 0 &&
               memcmp(h->ip.a, e[i].hi, 16) <= 0) {
      return 1;
    }
  }
  return 0;
}

static void rand_ip4(uint8_t *a) {
  /* a small space so that random queries often hit */
  a[0] = 10;
  a[1] = (uint8_t)x7t_rand_below(4);
  a[2] = (uint8_t)x7t_rand_below(4);
  a[3] = (uint8_t)x7t_rand_below(256);
}

static void matcher_should_agree_with_a_linear_scan(void **state) {
  enum { ROUNDS = 20, ENTRIES = 300, QUERIES = 2000 };
  (void)state;
  for (int round = 0; round < ROUNDS; round++) {
    struct lin_entry *e = calloc(ENTRIES, sizeof *e);
    struct x7__buf list;
    struct x7__netmatch *m;
    assert_non_null(e);
    x7__buf_init(&list);
    for (size_t i = 0; i < ENTRIES; i++) {
      char text[96];
      int kind = (int)x7t_rand_below(3);
      e[i].nports = 1 + (int)x7t_rand_below(3);
      for (int k = 0; k < e[i].nports; k++)
        e[i].ports[k] = (uint16_t)(1 + x7t_rand_below(4));
      if (kind == 0) {
        snprintf(e[i].name, sizeof e[i].name, "h%u.test",
                 (unsigned)x7t_rand_below(200));
        snprintf(text, sizeof text, "%s", e[i].name);
      } else {
        unsigned prefix = kind == 1 ? 32 : 22 + (unsigned)x7t_rand_below(11);
        uint32_t v, mask;
        e[i].is_ip = 1;
        e[i].family = 4;
        rand_ip4(e[i].lo);
        v = (uint32_t)e[i].lo[0] << 24 | (uint32_t)e[i].lo[1] << 16 |
            (uint32_t)e[i].lo[2] << 8 | e[i].lo[3];
        mask = prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix);
        snprintf(text, sizeof text, "%u.%u.%u.%u/%u", e[i].lo[0], e[i].lo[1],
                 e[i].lo[2], e[i].lo[3], prefix);
        v &= mask;
        e[i].lo[0] = (uint8_t)(v >> 24);
        e[i].lo[1] = (uint8_t)(v >> 16);
        e[i].lo[2] = (uint8_t)(v >> 8);
        e[i].lo[3] = (uint8_t)v;
        v |= ~mask;
        e[i].hi[0] = (uint8_t)(v >> 24);
        e[i].hi[1] = (uint8_t)(v >> 16);
        e[i].hi[2] = (uint8_t)(v >> 8);
        e[i].hi[3] = (uint8_t)v;
      }
      if (i) x7__buf_u8(&list, ';');
      x7__buf_add(&list, text, strlen(text));
      x7__buf_u8(&list, ':');
      for (int k = 0; k < e[i].nports; k++) {
        char p[8];
        snprintf(p, sizeof p, k ? ",%u" : "%u", e[i].ports[k]);
        x7__buf_add(&list, p, strlen(p));
      }
    }
    assert_false(list.failed);
    assert_x7_ok(x7__netmatch_build((const char *)list.ptr, list.len, &m));
    for (int q = 0; q < QUERIES; q++) {
      struct x7__host h;
      uint32_t port = 1 + (uint32_t)x7t_rand_below(5);
      char text[64];
      if (x7t_rand_below(2)) {
        snprintf(text, sizeof text, "h%u.test",
                 (unsigned)x7t_rand_below(220));
      } else {
        uint8_t a[4];
        rand_ip4(a);
        snprintf(text, sizeof text, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
      }
      assert_null(x7__host_canon((const uint8_t *)text, strlen(text), &h));
      if (lin_match(e, ENTRIES, &h, port) != allowed(m, text, port))
        fail_msg("round %d: %s port %u disagrees", round, text,
                 (unsigned)port);
    }
    x7__netmatch_free(m);
    x7__buf_cleanup(&list);
    free(e);
  }
}

static void build_should_fail_cleanly_without_memory(void **state) {
  const char *list = "a.test:1,2;b.test:3;10.0.0.0/8:4;[::1]:5;c.test:6";
  (void)state;
  for (long fail_at = 1;; fail_at++) {
    struct x7__netmatch *m = NULL;
    x7_result r;
    x7t_failalloc_install(fail_at);
    r = x7__netmatch_build(list, strlen(list), &m);
    x7t_failalloc_remove();
    if (r == X7_OK) {
      assert_true(allowed(m, "b.test", 3));
      x7__netmatch_free(m);
      assert_true(fail_at > 1);
      break;
    }
    assert_int_equal(r, X7_ENOMEM);
    assert_null(m);
    assert_int_equal(x7t_failalloc_live(), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(matcher_should_match_the_vectors),
      cmocka_unit_test(matcher_should_count_usable_entries),
      cmocka_unit_test(matcher_should_agree_with_a_linear_scan),
      cmocka_unit_test(build_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("policy_match", tests, NULL, NULL);
}
