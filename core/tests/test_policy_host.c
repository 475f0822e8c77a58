/* test_policy_host.c - host canonicalisation and address classes of the
 * sandbox policy (policy_host.c; threat model §2.1-§2.7). */
#include <arpa/inet.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "policy_int.h"
#include "x7_test.h"

/* Host text -> canonical result.  want NULL: must be refused. */
struct canon_case {
  const char *in;
  int kind; /* X7__HOST_NAME / X7__HOST_IP; 0 when refused */
  const char *want;
  int loopback_name;
};

static const struct canon_case canon_cases[] = {
    /* case, trailing dot, localhost names (§2.5) */
    {"allowed.test", X7__HOST_NAME, "allowed.test", 0},
    {"ALLOWED.TEST.", X7__HOST_NAME, "allowed.test", 0},
    {"Allowed.Test", X7__HOST_NAME, "allowed.test", 0},
    {"localhost", X7__HOST_NAME, "localhost", 1},
    {"LOCALHOST.", X7__HOST_NAME, "localhost", 1},
    {"foo.localhost", X7__HOST_NAME, "foo.localhost", 1},
    {"notlocalhost", X7__HOST_NAME, "notlocalhost", 0},
    {"ex_ample.com", X7__HOST_NAME, "ex_ample.com", 0},
    {"my-host", X7__HOST_NAME, "my-host", 0},
    {"xn--fa-hia.test", X7__HOST_NAME, "xn--fa-hia.test", 0},
    {"1e2", X7__HOST_NAME, "1e2", 0},
    {"0x7f.evil", X7__HOST_NAME, "0x7f.evil", 0},
    /* IDNA, UTS#46 non-transitional, whatever the locale (§2.4) */
    {"\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa.\xe2\x93\xaa."
     "\xe2\x91\xa0",
     X7__HOST_IP, "127.0.0.1", 0},
    {"\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x8c\xef\xbd\x8f\xef\xbd\x97\xef\xbd"
     "\x85\xef\xbd\x84.test",
     X7__HOST_NAME, "allowed.test", 0},
    {"allowed\xe3\x80\x82test", X7__HOST_NAME, "allowed.test", 0},
    {"fa\xc3\x9f.test", X7__HOST_NAME, "xn--fa-hia.test", 0},
    {"m\xc3\xbcnchen.DE", X7__HOST_NAME, "xn--mnchen-3ya.de", 0},
    /* IPv4: only the dotted quad (§2.6) */
    {"127.0.0.1", X7__HOST_IP, "127.0.0.1", 0},
    {"8.8.8.8", X7__HOST_IP, "8.8.8.8", 0},
    {"0.0.0.0", X7__HOST_IP, "0.0.0.0", 0},
    {"2130706433", 0, NULL, 0},
    {"017700000001", 0, NULL, 0},
    {"0x7f000001", 0, NULL, 0},
    {"0177.0.0.1", 0, NULL, 0},
    {"0x7f.1", 0, NULL, 0},
    {"127.1", 0, NULL, 0},
    {"0127.0.0.1", 0, NULL, 0},
    {"0", 0, NULL, 0},
    {"01.2.3.4", 0, NULL, 0},
    {"1.2.3.4.5", 0, NULL, 0},
    {"256.1.1.1", 0, NULL, 0},
    {"a.0x", 0, NULL, 0},
    {"a.123", 0, NULL, 0},
    {"127.0.0.1.", 0, NULL, 0},
    /* IPv6 (§2.7) */
    {"[::1]", X7__HOST_IP, "::1", 0},
    {"::1", X7__HOST_IP, "::1", 0},
    {"[0:0:0:0:0:0:0:1]", X7__HOST_IP, "::1", 0},
    {"[::]", X7__HOST_IP, "::", 0},
    {"[::ffff:127.0.0.1]", X7__HOST_IP, "127.0.0.1", 0},
    {"[::ffff:7f00:1]", X7__HOST_IP, "127.0.0.1", 0},
    {"[::ffff:a9fe:a9fe]", X7__HOST_IP, "169.254.169.254", 0},
    {"[64:ff9b::7f00:1]", X7__HOST_IP, "64:ff9b::7f00:1", 0},
    {"[2001:DB8::1]", X7__HOST_IP, "2001:db8::1", 0},
    {"[fe80::1%25lo]", 0, NULL, 0},
    {"[fe80::1%lo]", 0, NULL, 0},
    {"[0x7f.1]", 0, NULL, 0},
    {"[::ffff:0x7f.1]", 0, NULL, 0},
    {"[127.0.0.1]", 0, NULL, 0},
    {"[::1", 0, NULL, 0},
    {"a[b]c", 0, NULL, 0},
    {"1:2", 0, NULL, 0},
    /* labels, separators and bytes that must never pass (§2.2, §2.3) */
    {"", 0, NULL, 0},
    {".", 0, NULL, 0},
    {"allowed.test..", 0, NULL, 0},
    {"a..b", 0, NULL, 0},
    {".x", 0, NULL, 0},
    {"-x.com", 0, NULL, 0},
    {"x-.com", 0, NULL, 0},
    {"ex%61mple.test", 0, NULL, 0},
    {"ex%2561mple.test", 0, NULL, 0},
    {"exa\tmple.test", 0, NULL, 0},
    {"a b", 0, NULL, 0},
    {"evil.test\\", 0, NULL, 0},
    {"user@evil.test", 0, NULL, 0},
    {"*.example.com", 0, NULL, 0},
    {"evil.test/x", 0, NULL, 0},
    {"\xff\xfe.test", 0, NULL, 0},
    {"\xc3\x28.test", 0, NULL, 0},
    {"a\x7f", 0, NULL, 0},
};

static void check_canon_cases(void) {
  for (size_t i = 0; i < sizeof canon_cases / sizeof canon_cases[0]; i++) {
    const struct canon_case *c = &canon_cases[i];
    struct x7__host h;
    const char *why = x7__host_canon((const uint8_t *)c->in, strlen(c->in), &h);
    if (!c->want) {
      if (!why) fail_msg("accepted %s as %s", c->in, h.text);
      continue;
    }
    if (why) fail_msg("refused %s: %s", c->in, why);
    assert_int_equal(h.kind, c->kind);
    assert_string_equal(h.text, c->want);
    assert_int_equal(h.len, strlen(c->want));
    assert_int_equal(h.loopback_name, c->loopback_name);
  }
}

static void canon_should_match_the_table(void **state) {
  (void)state;
  check_canon_cases();
}

/* The IDNA cases must come out the same whatever the process locale
 * (threat model §2.4 and §5: libcurl's own conversion does not). */
static void canon_should_not_depend_on_the_locale(void **state) {
  static const char *const locales[] = {"C", "C.UTF-8", "en_US.UTF-8",
                                        "POSIX"};
  (void)state;
  for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
    if (!setlocale(LC_ALL, locales[i])) continue; /* not installed */
    check_canon_cases();
  }
  setlocale(LC_ALL, "C");
}

static void canon_should_bound_lengths(void **state) {
  char buf[1100];
  struct x7__host h;
  (void)state;
  /* a 63-byte label passes, 64 does not */
  memset(buf, 'a', 63);
  memcpy(buf + 63, ".test", 6);
  assert_null(x7__host_canon((const uint8_t *)buf, strlen(buf), &h));
  memset(buf, 'a', 64);
  memcpy(buf + 64, ".test", 6);
  assert_non_null(x7__host_canon((const uint8_t *)buf, strlen(buf), &h));
  /* 253 bytes pass, 254 do not (4 labels of 63 + dots = 255) */
  for (int i = 0; i < 4; i++) {
    memset(buf + i * 64, 'b', 63);
    buf[i * 64 + 63] = '.';
  }
  buf[253] = '\0';
  buf[252] = 'c';
  assert_null(x7__host_canon((const uint8_t *)buf, 253, &h));
  assert_int_equal(h.len, 253);
  buf[253] = 'd';
  assert_non_null(x7__host_canon((const uint8_t *)buf, 254, &h));
  /* over 1024 input bytes is refused before any work */
  memset(buf, 'a', sizeof buf);
  assert_non_null(x7__host_canon((const uint8_t *)buf, 1025, &h));
  assert_non_null(x7__host_canon(NULL, 0, &h));
}

/* Address -> special-purpose range name (NULL: ordinary). */
struct special_case {
  const char *addr;
  const char *want;
};

static const struct special_case special_cases[] = {
    {"0.0.0.0", "unspecified"},
    {"0.1.2.3", "unspecified"},
    {"10.1.2.3", "private"},
    {"100.64.0.1", "shared (CGNAT)"},
    {"100.100.100.200", "shared (CGNAT)"},
    {"100.128.0.1", NULL},
    {"127.0.0.1", "loopback"},
    {"127.255.255.254", "loopback"},
    {"169.254.169.254", "link-local (cloud metadata)"},
    {"169.254.170.2", "link-local (cloud metadata)"},
    {"172.16.0.1", "private"},
    {"172.31.255.255", "private"},
    {"172.32.0.1", NULL},
    {"192.0.0.8", "IETF protocol assignments"},
    {"192.0.2.1", "documentation"},
    {"192.88.99.1", "6to4 relay anycast"},
    {"192.168.1.1", "private"},
    {"198.18.0.1", "benchmarking"},
    {"198.19.255.255", "benchmarking"},
    {"198.20.0.1", NULL},
    {"198.51.100.7", "documentation"},
    {"203.0.113.9", "documentation"},
    {"224.0.0.1", "multicast"},
    {"239.255.255.250", "multicast"},
    {"240.0.0.1", "reserved"},
    {"255.255.255.255", "reserved"},
    {"8.8.8.8", NULL},
    {"93.184.216.34", NULL},
    {"::", "unspecified"},
    {"::1", "loopback"},
    {"::127.0.0.1", "IPv4-compatible"},
    {"::ffff:169.254.169.254", "link-local (cloud metadata)"},
    {"::ffff:127.0.0.1", "loopback"},
    {"64:ff9b::7f00:1", "NAT64"},
    {"64:ff9b::808:808", "NAT64"},
    {"64:ff9b:1::1", "NAT64 (local use)"},
    {"100::1", "discard-only"},
    {"2001::1", "Teredo"},
    {"2001:db8::1", "documentation"},
    {"2002:7f00:1::", "6to4"},
    {"fc00::1", "unique-local (private)"},
    {"fd00:ec2::254", "unique-local (private)"},
    {"fe80::1", "link-local"},
    {"febf::1", "link-local"},
    {"fec0::1", "site-local"},
    {"ff02::1", "multicast"},
    {"2606:4700::1111", NULL},
    {"2a00:1450::1", NULL},
};

static void special_should_match_the_registry(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof special_cases / sizeof special_cases[0];
       i++) {
    struct x7__ip ip;
    const char *got;
    assert_true(x7__ip_parse(special_cases[i].addr,
                             strlen(special_cases[i].addr), &ip));
    got = x7__ip_special(&ip);
    if (!special_cases[i].want) {
      if (got) fail_msg("%s: got %s", special_cases[i].addr, got);
    } else {
      if (!got || strcmp(got, special_cases[i].want))
        fail_msg("%s: want %s got %s", special_cases[i].addr,
                 special_cases[i].want, got ? got : "NULL");
    }
  }
}

static void loopback_should_cover_both_families(void **state) {
  struct x7__ip ip;
  (void)state;
  assert_true(x7__ip_parse("127.9.9.9", 9, &ip));
  assert_true(x7__ip_is_loopback(&ip));
  assert_true(x7__ip_parse("::1", 3, &ip));
  assert_true(x7__ip_is_loopback(&ip));
  assert_true(x7__ip_parse("::ffff:127.0.0.2", 16, &ip));
  assert_int_equal(ip.family, 4);
  assert_true(x7__ip_is_loopback(&ip));
  assert_true(x7__ip_parse("::2", 3, &ip));
  assert_false(x7__ip_is_loopback(&ip));
  assert_true(x7__ip_parse("128.0.0.1", 9, &ip));
  assert_false(x7__ip_is_loopback(&ip));
}

static void ip_should_round_trip_through_sockaddr(void **state) {
  static const char *const addrs[] = {"127.0.0.1", "::1", "2001:db8::5",
                                      "203.0.113.9"};
  (void)state;
  for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
    struct x7__ip ip, back;
    struct sockaddr_storage ss;
    uint32_t port = 0;
    char text[X7__IP_TEXT_MAX];
    socklen_t len;
    assert_true(x7__ip_parse(addrs[i], strlen(addrs[i]), &ip));
    len = x7__ip_to_sockaddr(&ip, 8443, &ss);
    assert_true(len > 0);
    assert_true(x7__ip_from_sockaddr((struct sockaddr *)&ss, len, &back,
                                     &port));
    assert_int_equal(port, 8443);
    assert_true(x7__ip_equal(&ip, &back));
    x7__ip_text(&back, text);
    assert_string_equal(text, addrs[i]);
  }
  /* a mapped sockaddr folds to IPv4 */
  {
    struct sockaddr_in6 s6;
    struct x7__ip ip;
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons(80);
    assert_int_equal(inet_pton(AF_INET6, "::ffff:10.0.0.1", &s6.sin6_addr), 1);
    assert_true(x7__ip_from_sockaddr((struct sockaddr *)&s6, sizeof s6, &ip,
                                     NULL));
    assert_int_equal(ip.family, 4);
  }
  /* other families and short lengths are not addresses */
  {
    struct sockaddr sa;
    struct x7__ip ip;
    memset(&sa, 0, sizeof sa);
    sa.sa_family = AF_UNIX;
    assert_false(x7__ip_from_sockaddr(&sa, sizeof sa, &ip, NULL));
    sa.sa_family = AF_INET;
    assert_false(x7__ip_from_sockaddr(&sa, 4, &ip, NULL));
    assert_false(x7__ip_from_sockaddr(NULL, 0, &ip, NULL));
  }
  {
    struct x7__ip ip;
    assert_false(x7__ip_parse("", 0, &ip));
    assert_false(x7__ip_parse("[::1]", 5, &ip));
    assert_false(x7__ip_parse("127.1", 5, &ip));
  }
}

/* Property: whatever is accepted is a fixed point - canonicalising the
 * canonical text gives the same host - so a check and a connection that
 * both go through x7__host_canon can never read a host differently.
 * Inputs: random mutations of the table's hosts and random bytes. */
static void canon_should_be_idempotent(void **state) {
  static const uint8_t alphabet[] = "aZ09.-_:[]%@\\/ \t\x7f\x80\xc3\xa9"
                                    "\xe3\x80\x82\xef\xbc\x8e";
  long accepted = 0;
  (void)state;
  for (int iter = 0; iter < 20000; iter++) {
    uint8_t buf[80];
    size_t n;
    struct x7__host h, h2;
    const char *why;
    if (iter % 2) {
      const char *base =
          canon_cases[x7t_rand_below(sizeof canon_cases /
                                     sizeof canon_cases[0])].in;
      n = strlen(base) < sizeof buf ? strlen(base) : sizeof buf;
      memcpy(buf, base, n);
      /* half of the changes from the harmless part of the alphabet */
      for (int k = (int)x7t_rand_below(3); k >= 0 && n; k--)
        buf[x7t_rand_below(n)] =
            alphabet[x7t_rand_below(k % 2 ? 6 : sizeof alphabet - 1)];
    } else {
      n = 1 + (size_t)x7t_rand_below(24);
      for (size_t k = 0; k < n; k++)
        buf[k] = alphabet[x7t_rand_below(sizeof alphabet - 1)];
    }
    if (x7__host_canon(buf, n, &h)) continue;
    accepted++;
    assert_int_equal(strlen(h.text), h.len);
    why = x7__host_canon((const uint8_t *)h.text, h.len, &h2);
    if (why) fail_msg("%s accepted, its canonical form refused: %s", h.text,
                      why);
    assert_int_equal(h2.kind, h.kind);
    assert_string_equal(h2.text, h.text);
    assert_int_equal(h2.loopback_name, h.loopback_name);
    if (h.kind == X7__HOST_IP) assert_true(x7__ip_equal(&h.ip, &h2.ip));
  }
  print_message("canon: %ld of 20000 inputs accepted\n", accepted);
  assert_true(accepted > 400);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(canon_should_match_the_table),
      cmocka_unit_test(canon_should_not_depend_on_the_locale),
      cmocka_unit_test(canon_should_bound_lengths),
      cmocka_unit_test(canon_should_be_idempotent),
      cmocka_unit_test(special_should_match_the_registry),
      cmocka_unit_test(loopback_should_cover_both_families),
      cmocka_unit_test(ip_should_round_trip_through_sockaddr),
  };
  return cmocka_run_group_tests_name("policy_host", tests, NULL, NULL);
}
