/* test_policy.c - the decisions of the sandbox (policy.c): the attack
 * catalogue of the threat model (§2 and §6) as data, each input with its
 * verdict and the DNS queries it may cause (a counting resolver; nothing
 * touches the network), the twins' gates (E3, E11, E12), resolution for
 * socket backends, denial records and the X07_NET_LOG line.  Runs the
 * catalogue under the C and a UTF-8 locale. */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <locale.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <x7/net.h>

#include "policy_int.h"
#include "x7_test.h"

/* ---- a resolver the tests control ---- */

struct answer {
  const char *name;
  const char *addrs[4]; /* NULL-terminated; none: NXDOMAIN unless empty */
  int empty;            /* resolves, to no address */
  int calls;
};

static struct answer answers[] = {
    {"allowed.test", {"93.184.216.34"}, 0, 0},
    {"example.test", {"93.184.216.35"}, 0, 0},
    {"evil.test", {"6.6.6.6"}, 0, 0},
    {"private.test", {"10.0.0.7"}, 0, 0},
    {"mixed.test", {"93.184.216.34", "169.254.169.254"}, 0, 0},
    {"mixed6.test", {"::1", "93.184.216.34"}, 0, 0},
    {"both.test", {"93.184.216.34", "2606:4700::1"}, 0, 0},
    {"localhost", {"127.0.0.1", "::1"}, 0, 0},
    {"bad.localhost", {"127.0.0.1", "8.8.8.8"}, 0, 0},
    {"127.0.0.1.nip.io", {"127.0.0.1"}, 0, 0},
    {"mapped.test", {"::ffff:127.0.0.1"}, 0, 0},
    {"nat64.test", {"64:ff9b::a9fe:a9fe"}, 0, 0},
    {"empty.test", {NULL}, 1, 0},
};
#define NANSWERS (sizeof answers / sizeof answers[0])
static int unknown_calls;

static int fake_resolver(void *ud, const char *name, int socktype,
                         struct x7__ip_list *out) {
  (void)ud;
  (void)socktype;
  for (size_t i = 0; i < NANSWERS; i++) {
    if (strcmp(answers[i].name, name)) continue;
    answers[i].calls++;
    for (size_t k = 0; k < 4 && answers[i].addrs[k]; k++)
      assert_true(x7__ip_parse(answers[i].addrs[k],
                               strlen(answers[i].addrs[k]),
                               &out->ip[out->n++]));
    return answers[i].addrs[0] || answers[i].empty ? 0 : -1;
  }
  unknown_calls++;
  return -1;
}

static int total_calls(void) {
  int n = unknown_calls;
  for (size_t i = 0; i < NANSWERS; i++) n += answers[i].calls;
  return n;
}

static void reset_calls(void) {
  unknown_calls = 0;
  for (size_t i = 0; i < NANSWERS; i++) answers[i].calls = 0;
}

/* A sandbox policy from environment-style variables. */
static struct x7_policy *policy_with(const char *hosts, const char *extra) {
  char h[1024], e[256];
  const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_NET=1",
                        "X07_OS_NET_ALLOW_TCP=1", "X07_OS_NET_ALLOW_DNS=1",
                        "X07_OS_NET_ALLOW_UDP=1", h, e, NULL};
  struct x7_policy *p = NULL;
  snprintf(h, sizeof h, "X07_OS_NET_ALLOW_HOSTS=%s", hosts);
  snprintf(e, sizeof e, "%s", extra ? extra : "X07_UNUSED=1");
  assert_x7_ok(x7_policy_env_read(envp, &p));
  return p;
}

static const uint8_t no_headers[4] = {0};

/* The whole HTTP decision for the first hop: the core gate, then the
 * backend's plan (which resolves).  0 or the NetErrDocV1 code. */
static int32_t decide(const struct x7_policy *p, const char *url,
                      struct x7__http_plan *keep) {
  struct x7_http_fetch f;
  struct x7__http_plan plan;
  int32_t code;
  memset(&f, 0, sizeof f);
  f.url = x7_view_str(url);
  f.headers = x7_view_of(no_headers, 4);
  code = x7__policy_http_gate(p, &f);
  if (code) return code;
  code = x7__policy_http_plan(p, f.url, &plan);
  if (code) return code;
  if (keep)
    *keep = plan;
  else
    x7__policy_http_plan_free(&plan);
  return 0;
}

/* ---- the catalogue (policy: --allow-host allowed.test:443) ---- */

struct verdict {
  const char *url;
  int32_t code;     /* 0 allow, 1 deny, 2 invalid request */
  const char *rule; /* for denials; NULL: any rule */
  int dns;          /* resolver calls allowed: 0 for DENY@N, 1 otherwise */
};

static const struct verdict catalogue[] = {
    /* §6 #1, §2.2 */
    {"https://allowed.test@evil.test/", 1, "userinfo", 0},
    {"https://allowed.test:443@evil.test/", 1, "userinfo", 0},
    {"https://user:pass@allowed.test/", 1, "userinfo", 0},
    {"https://allowed.test%23@evil.test/", 1, "userinfo", 0},
    {"https://foo@evil.test:443@allowed.test/", 1, "userinfo", 0},
    {"http://1.1.1.1 &@2.2.2.2# @3.3.3.3/", 1, "userinfo", 0},
    /* §6 #2 */
    {"https://evil.test\\@allowed.test/", 1, NULL, 0},
    {"https://evil.test\\.allowed.test/", 1, "url-ambiguous", 0},
    {"https://evil.test#@allowed.test/", 1, "not-allowed", 0},
    {"https://evil.test?@allowed.test/", 1, "not-allowed", 0},
    {"ldap://127.0.0.1#allowed.test:1389/", 2, NULL, 0},
    /* §6 #3, #4, #5, §2.6: numeric IPv4 forms never reach loopback */
    {"https://2130706433/", 1, NULL, 0},
    {"https://0x7f000001/", 1, NULL, 0},
    {"https://017700000001/", 1, NULL, 0},
    {"https://0177.0.0.1/", 1, NULL, 0},
    {"https://0x7f.1/", 1, NULL, 0},
    {"https://127.1/", 1, NULL, 0},
    {"https://0x%37f.1/", 1, "host-syntax", 0},
    {"https://0127.0.0.1/", 1, NULL, 0},
    {"https://127.0.0.1/", 1, "special-range", 0},
    {"https://%31%32%37%2E0%2E0%2E1/", 1, "special-range", 0},
    /* §6 #6, #7, #8, §2.7 */
    {"https://[::ffff:127.0.0.1]/", 1, "special-range", 0},
    {"https://[::ffff:7f00:1]/", 1, "special-range", 0},
    {"https://[::ffff:a9fe:a9fe]/", 1, "special-range", 0},
    {"https://[64:ff9b::7f00:1]/", 1, "special-range", 0},
    {"https://[::127.0.0.1]/", 1, "special-range", 0},
    {"https://[2002:7f00:1::]/", 1, "special-range", 0},
    {"https://[::1]/", 1, "special-range", 0},
    {"https://[0:0:0:0:0:0:0:1]/", 1, "special-range", 0},
    {"https://0/", 1, NULL, 0},
    {"https://0.0.0.0:443/", 1, "special-range", 0},
    {"https://[::]/", 1, "special-range", 0},
    {"https://[fe80::1%25lo]/", 1, "url-ambiguous", 0},
    {"https://[fe80::1%lo]/", 1, "url-ambiguous", 0},
    {"https://[::1%25lo]/", 1, "url-ambiguous", 0},
    {"https://[0x7f.1]/", 2, NULL, 0},
    {"https://169.254.169.254/latest/meta-data/", 1, "special-range", 0},
    {"https://[fd00:ec2::254]/", 1, "special-range", 0},
    /* §6 #9, §2.4 */
    {"https://\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa.\xe2\x93\xaa."
     "\xe2\x91\xa0/",
     1, "special-range", 0},
    {"https://fa\xc3\x9f.test/", 1, "not-allowed", 0},
    {"https://\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x8c\xef\xbd\x8f\xef\xbd\x97"
     "\xef\xbd\x85\xef\xbd\x84.test/",
     0, NULL, 1},
    {"https://allowed\xe3\x80\x82test/", 0, NULL, 1},
    /* §6 #10, §2.5, §2.11: positive controls */
    {"https://allowed.test/", 0, NULL, 1},
    {"https://ALLOWED.TEST./", 0, NULL, 1},
    {"https://allowed.test:0443/", 0, NULL, 1},
    {"https://allowed.test:443/x?y#z", 0, NULL, 1},
    {"HTTPS://Allowed.Test/", 0, NULL, 1},
    {"https://ex%61mple.test/", 1, "not-allowed", 0},
    /* §6 #11 */
    {"https://allowed.test.evil.test/", 1, "not-allowed", 0},
    {"https://evilallowed.test/", 1, "not-allowed", 0},
    {"https://allowed.test:8443/", 1, "not-allowed", 0},
    {"http://allowed.test/", 1, "not-allowed", 0},
    {"http://allowed.test:25/", 1, "not-allowed", 0},
    {"https://allowed.test%2Eevil.test/", 1, "not-allowed", 0},
    /* §2.3 */
    {"https://ex%2561mple.test/", 1, "host-syntax", 0},
    {"https://allowed.test%00.evil.test/", 2, NULL, 0},
    {"https://example.test%2F10.0.0.1/", 2, NULL, 0},
    {"https://exa\tmple.test/", 2, NULL, 0},
    /* §2.5 */
    {"https://allowed.test../", 1, "host-syntax", 0},
    {"https://localhost/", 1, "not-allowed", 0},
    {"https://foo.localhost/", 1, "not-allowed", 0},
    {"https://localhost./", 1, "not-allowed", 0},
    {"https://127.0.0.1./", 1, NULL, 0},
    {"https://127.0.0.1.nip.io/", 1, "not-allowed", 0},
    {"https://secret-data.attacker.test/", 1, "not-allowed", 0},
    /* §2.11 ports */
    {"https://allowed.test:0/", 1, "port", 0},
    {"https://allowed.test:65536/", 2, NULL, 0},
    {"https://allowed.test:+443/", 2, NULL, 0},
    /* URL shapes libcurl accepts and WHATWG reads differently */
    {"https:/allowed.test/", 1, "url-ambiguous", 0},
    {"https:///allowed.test/", 1, "url-ambiguous", 0},
    {"https:\\\\allowed.test/", 1, "url-ambiguous", 0},
    {"https:allowed.test", 1, "url-ambiguous", 0},
    {"//allowed.test/", 2, NULL, 0},
    {"allowed.test", 2, NULL, 0},
    {"", 2, NULL, 0},
    /* §6 #13 schemes (E12: anything but http/https/file is invalid) */
    {"ftp://allowed.test/", 2, NULL, 0},
    {"gopher://127.0.0.1:6379/_INFO", 2, NULL, 0},
    {"dict://127.0.0.1:11211/stat", 2, NULL, 0},
    {"ldap://allowed.test/", 2, NULL, 0},
    {"file:///etc/passwd", 1, "fs-disabled", 0},
    {"file://localhost/etc/passwd", 2, NULL, 0},
};

static void run_catalogue(const struct x7_policy *p) {
  for (size_t i = 0; i < sizeof catalogue / sizeof catalogue[0]; i++) {
    const struct verdict *v = &catalogue[i];
    struct x7_policy_denial d;
    int32_t code;
    reset_calls();
    x7_policy_clear_denial();
    code = decide(p, v->url, NULL);
    if (code != v->code)
      fail_msg("#%zu %s: want %d got %d", i, v->url, v->code, code);
    if (total_calls() > v->dns)
      fail_msg("#%zu %s: %d DNS queries, at most %d allowed", i, v->url,
               total_calls(), v->dns);
    if (v->code == 0 && total_calls() != 1)
      fail_msg("#%zu %s: the allowed name must be resolved once", i, v->url);
    if (v->code == 1) {
      assert_x7_ok(x7_policy_last_denial(&d));
      assert_int_equal(d.op, X7_POLICY_HTTP);
      if (v->rule && strcmp(v->rule, d.rule))
        fail_msg("#%zu %s: want rule %s got %s (%s)", i, v->url, v->rule,
                 d.rule, d.reason);
    }
  }
}

static void catalogue_should_give_each_verdict(void **state) {
  struct x7_policy *p = policy_with("allowed.test:443", NULL);
  (void)state;
  run_catalogue(p);
  x7_policy_free(p);
}

static void catalogue_should_not_depend_on_the_locale(void **state) {
  static const char *const locales[] = {"C", "C.UTF-8", "en_US.UTF-8"};
  struct x7_policy *p = policy_with("allowed.test:443", NULL);
  (void)state;
  for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++)
    if (setlocale(LC_ALL, locales[i])) run_catalogue(p);
  setlocale(LC_ALL, "C");
  x7_policy_free(p);
}

/* ---- the address stage (§2.8, §6 #12) ---- */

struct addr_case {
  const char *hosts, *url;
  int32_t code;
  const char *rule;
};

static const struct addr_case addr_cases[] = {
    /* a hostname entry is enough for a public answer (DESIGN §3.1) */
    {"allowed.test:443", "https://allowed.test/", 0, NULL},
    {"both.test:443", "https://both.test/", 0, NULL},
    /* special answers need an explicit IP/CIDR entry */
    {"private.test:443", "https://private.test/", 1, "special-range"},
    {"private.test:443;10.0.0.0/8:443", "https://private.test/", 0, NULL},
    {"private.test:443;10.0.0.0/8:80", "https://private.test/", 1,
     "special-range"},
    {"127.0.0.1.nip.io:443", "https://127.0.0.1.nip.io/", 1, "special-range"},
    {"mapped.test:443", "https://mapped.test/", 1, "special-range"},
    {"nat64.test:443", "https://nat64.test/", 1, "special-range"},
    /* a mixed answer is denied whole */
    {"mixed.test:443", "https://mixed.test/", 1, "special-range"},
    {"mixed6.test:443;93.184.216.34:443", "https://mixed6.test/", 1,
     "special-range"},
    {"mixed6.test:443;::1:443", "https://mixed6.test/", 0, NULL},
    /* localhost reaches loopback and nothing else */
    {"localhost:443", "https://localhost/", 0, NULL},
    {"localhost:443", "https://LOCALHOST./", 0, NULL},
    {"bad.localhost:443", "https://bad.localhost/", 1,
     "localhost-not-loopback"},
    /* no answer */
    {"nxdomain.test:443", "https://nxdomain.test/", 5, NULL},
    {"empty.test:443", "https://empty.test/", 5, NULL},
    /* IP literals: only IP entries, with the port */
    {"127.0.0.1:8080", "http://127.0.0.1:8080/", 0, NULL},
    {"127.0.0.1:8080", "http://127.0.0.1:8081/", 1, "special-range"},
    {"127.0.0.0/8:8080", "http://127.9.9.9:8080/", 0, NULL},
    {"[::1]:8080", "http://[::1]:8080/", 0, NULL},
    {"127.0.0.1:8080", "http://[::ffff:127.0.0.1]:8080/", 0, NULL},
    {"93.184.216.34:443", "https://93.184.216.34/", 0, NULL},
    {"allowed.test:443", "https://93.184.216.34/", 1, "not-allowed"},
};

static void address_stage_should_check_every_answer(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof addr_cases / sizeof addr_cases[0]; i++) {
    const struct addr_case *c = &addr_cases[i];
    struct x7_policy *p = policy_with(c->hosts, NULL);
    struct x7_policy_denial d;
    int32_t code;
    x7_policy_clear_denial();
    code = decide(p, c->url, NULL);
    if (code != c->code)
      fail_msg("#%zu %s under %s: want %d got %d", i, c->url, c->hosts,
               c->code, code);
    if (c->rule) {
      assert_x7_ok(x7_policy_last_denial(&d));
      if (strcmp(d.rule, c->rule))
        fail_msg("#%zu: want rule %s got %s", i, c->rule, d.rule);
    }
    x7_policy_free(p);
  }
}

static void plan_should_pin_the_checked_addresses(void **state) {
  struct x7_policy *p = policy_with("both.test:8443", NULL);
  struct x7__http_plan plan;
  struct sockaddr_storage ss;
  struct x7__ip ip;
  char *host = NULL;
  socklen_t len;
  (void)state;
  reset_calls();
  assert_int_equal(decide(p, "https://BOTH.test.:8443/a", &plan), 0);
  assert_int_equal(answers[6].calls, 1);
  assert_string_equal(plan.scheme, "https");
  assert_string_equal(plan.host.text, "both.test");
  assert_int_equal(plan.port, 8443);
  assert_string_equal(plan.resolve,
                      "both.test:8443:93.184.216.34,[2606:4700::1]");
  /* the URL libcurl gets carries the canonical host (A1) */
  assert_int_equal(curl_url_get(plan.curlu, CURLUPART_HOST, &host, 0),
                   CURLUE_OK);
  assert_string_equal(host, "both.test");
  curl_free(host);
  /* the backstop: only vetted address and port */
  x7__ip_parse("93.184.216.34", 13, &ip);
  len = x7__ip_to_sockaddr(&ip, 8443, &ss);
  assert_true(x7__policy_plan_allows(&plan, (struct sockaddr *)&ss, len));
  len = x7__ip_to_sockaddr(&ip, 443, &ss);
  assert_false(x7__policy_plan_allows(&plan, (struct sockaddr *)&ss, len));
  x7__ip_parse("127.0.0.2", 9, &ip);
  len = x7__ip_to_sockaddr(&ip, 8443, &ss);
  assert_false(x7__policy_plan_allows(&plan, (struct sockaddr *)&ss, len));
  x7__policy_http_plan_free(&plan);
  x7__policy_http_plan_free(&plan); /* idempotent */
  /* IP literals and IPv6 hosts go back with brackets, no pin needed */
  x7_policy_free(p);
  p = policy_with("[::1]:8080", NULL);
  assert_int_equal(decide(p, "http://[0:0::1]:8080/", &plan), 0);
  assert_null(plan.resolve);
  assert_int_equal(plan.addrs.n, 1);
  assert_int_equal(curl_url_get(plan.curlu, CURLUPART_HOST, &host, 0),
                   CURLUE_OK);
  assert_string_equal(host, "[::1]");
  curl_free(host);
  x7__policy_http_plan_free(&plan);
  x7_policy_free(p);
}

/* ---- operation switches ---- */

static void switches_should_deny_before_anything(void **state) {
  struct x7_policy *p;
  int ok = -1;
  (void)state;
  {
    const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_NET=1",
                          "X07_OS_NET_ALLOW_TCP=1",
                          "X07_OS_NET_ALLOW_HOSTS=allowed.test:443;"
                          "10.0.0.1:443",
                          NULL};
    assert_x7_ok(x7_policy_env_read(envp, &p));
    /* names need DNS; IP literals do not (upstream needed it for both) */
    reset_calls();
    assert_int_equal(decide(p, "https://allowed.test/", NULL), 1);
    assert_int_equal(total_calls(), 0);
    assert_int_equal(decide(p, "https://10.0.0.1/", NULL), 0);
    assert_x7_ok(x7_policy_check(p, X7_POLICY_DNS_LOOKUP, "10.0.0.1", 443,
                                 NULL, 0, &ok));
    assert_false(ok);
    x7_policy_free(p);
  }
  {
    const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_NET_ALLOW_TCP=1",
                          "X07_OS_NET_ALLOW_DNS=1",
                          "X07_OS_NET_ALLOW_HOSTS=allowed.test:443", NULL};
    struct x7_policy_denial d;
    assert_x7_ok(x7_policy_env_read(envp, &p));
    assert_int_equal(decide(p, "https://allowed.test/", NULL), 1);
    assert_x7_ok(x7_policy_last_denial(&d));
    assert_string_equal(d.rule, "net-disabled");
    x7_policy_free(p);
  }
  {
    const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_NET=1",
                          "X07_OS_NET_ALLOW_DNS=1",
                          "X07_OS_NET_ALLOW_HOSTS=allowed.test:443", NULL};
    struct x7_policy_denial d;
    assert_x7_ok(x7_policy_env_read(envp, &p));
    assert_int_equal(decide(p, "https://allowed.test/", NULL), 1);
    assert_x7_ok(x7_policy_last_denial(&d));
    assert_string_equal(d.rule, "tcp-disabled");
    assert_x7_ok(x7_policy_check(p, X7_POLICY_UDP_SENDTO, "allowed.test", 443,
                                 NULL, 0, &ok));
    assert_false(ok);
    assert_x7_ok(x7_policy_last_denial(&d));
    assert_string_equal(d.rule, "udp-disabled");
    x7_policy_free(p);
  }
}

/* ---- file:// and to-file fetches (spec §4.6 steps 4-5) ---- */

static void files_should_follow_the_fs_policy(void **state) {
  const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_FS=1",
                        "X07_OS_DENY_HIDDEN=1",
                        "X07_OS_FS_READ_ROOTS=.;/srv/data/;/etc/x",
                        "X07_OS_FS_WRITE_ROOTS= out/ ", NULL};
  static const struct {
    const char *url;
    int32_t code;
    const char *rule;
  } cases[] = {
      {"file:///srv/data/a.txt", 0, NULL},
      {"file:///srv/data", 0, NULL},
      {"file:///srv/database", 1, "fs-root"},
      {"file:///etc/passwd", 1, "fs-root"},
      {"file:///etc/x/y", 0, NULL},
      {"file:///srv/data/.secret", 1, "fs-path"},
      /* libcurl removes the dot segments: it opens /etc/passwd */
      {"file:///srv/data/../../etc/passwd", 1, "fs-root"},
      {"file:///srv/data/%2e%2e/%2e%2e/etc/passwd", 1, "fs-path"},
      {"file:///srv/data//a", 1, "fs-path"},
      {"file:///srv/data/a%00b", 1, "fs-path"},
      {"file:///srv/data/a%5cb", 1, "fs-path"},
      {"file:relative", 2, NULL},
  };
  struct x7_policy *p = NULL;
  struct x7_http_fetch f;
  struct x7_policy_denial d;
  char root[64];
  (void)state;
  assert_x7_ok(x7_policy_env_read(envp, &p));
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int32_t code;
    x7_policy_clear_denial();
    code = decide(p, cases[i].url, NULL);
    if (code != cases[i].code)
      fail_msg("%s: want %d got %d", cases[i].url, cases[i].code, code);
    if (cases[i].rule) {
      assert_x7_ok(x7_policy_last_denial(&d));
      assert_string_equal(d.rule, cases[i].rule);
    }
  }
  /* to-file: relative path, no hidden segment, a write root exists */
  memset(&f, 0, sizeof f);
  f.headers = x7_view_of(no_headers, 4);
  f.url = x7_view_str("file:///srv/data/a");
  f.out_path = x7_view_str("x/y.bin");
  assert_int_equal(x7__policy_http_gate(p, &f), 0);
  f.out_path = x7_view_str("x/.y");
  assert_int_equal(x7__policy_http_gate(p, &f), 1);
  assert_true(x7__policy_write_root(p, 0, root, sizeof root));
  assert_string_equal(root, "out");
  assert_false(x7__policy_write_root(p, 1, root, sizeof root));
  x7_policy_free(p);
  {
    const char *envp2[] = {"X07_OS_SANDBOXED=1", "X07_OS_FS=1", NULL};
    assert_x7_ok(x7_policy_env_read(envp2, &p));
    f.out_path = x7_view_str("x.bin");
    assert_int_equal(x7__policy_http_gate(p, &f), 1);
    assert_x7_ok(x7_policy_last_denial(&d));
    assert_string_equal(d.rule, "fs-root"); /* no read or write roots */
    x7_policy_free(p);
  }
}

static void host_header_should_be_refused(void **state) {
  struct x7_policy *p = policy_with("allowed.test:443", NULL);
  struct x7_bytes t = {0}, t2 = {0};
  struct x7_http_fetch f;
  (void)state;
  assert_x7_ok(x7_net_http_spec_headers_push_v1(x7_view_of(no_headers, 4),
                                                x7_view_str("Host"),
                                                x7_view_str("other.test"), &t));
  memset(&f, 0, sizeof f);
  f.url = x7_view_str("https://allowed.test/");
  f.headers = x7_bytes_view(&t);
  reset_calls();
  assert_int_equal(x7__policy_http_gate(p, &f), 1);
  assert_int_equal(total_calls(), 0);
  assert_x7_ok(x7_net_http_spec_headers_push_v1(x7_view_of(no_headers, 4),
                                                x7_view_str("X-Host"),
                                                x7_view_str("a"), &t2));
  f.headers = x7_bytes_view(&t2);
  assert_int_equal(x7__policy_http_gate(p, &f), 0);
  /* os: nothing is checked */
  assert_int_equal(x7__policy_http_gate(NULL, &f), 0);
  x7_bytes_free(&t);
  x7_bytes_free(&t2);
  x7_policy_free(p);
}

/* ---- through the twins (spec §8.4) ---- */

static void twins_should_answer_policy_denied(void **state) {
  const char *envp[] = {"X07_OS_SANDBOXED=1", NULL}; /* net off */
  struct x7_policy *p = NULL;
  struct x7_bytes addr = {0}, caps = {0}, out = {0}, hcaps = {0};
  (void)state;
  assert_x7_ok(x7_policy_env_read(envp, &p));
  x7__policy_set_for_tests(p, 0);
  assert_x7_ok(x7_net_codec_caps_default_v1(&caps));
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 30000, &addr));
  /* E3 */
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&addr),
                                     x7_bytes_view(&caps), &out));
  assert_bytes_hex(out, "000100000000000000");
  x7_bytes_free(&out);
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&addr), x7_bytes_view(&caps),
                                  &out));
  assert_bytes_hex(out, "000100000000000000");
  x7_bytes_free(&out);
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("localhost"), 80,
                                    x7_bytes_view(&caps), &out));
  assert_bytes_hex(out, "000100000000000000");
  x7_bytes_free(&out);
  assert_x7_ok(x7_net_tls_connect_v1(x7_bytes_view(&addr),
                                     x7_view_str(""), x7_bytes_view(&caps),
                                     &out));
  /* E1 wins: the empty cfg is invalid before the policy is asked */
  assert_bytes_hex(out, "000200000000000000");
  x7_bytes_free(&out);
  x7_policy_free(p);

  /* HTTP through the twins: E12 stays 2, a denial is 1 with no query */
  p = policy_with("allowed.test:443", NULL);
  x7__policy_set_for_tests(p, 0);
  assert_x7_ok(x7_net_http_spec_caps_default_v1(&hcaps));
  assert_x7_ok(x7_net_http_get_v1(x7_view_str("ftp://x/"),
                                  x7_bytes_view(&hcaps), &out));
  assert_bytes_hex(out, "000200000000000000");
  x7_bytes_free(&out);
  reset_calls();
  assert_x7_ok(x7_net_http_get_v1(x7_view_str("https://evil.test/"),
                                  x7_bytes_view(&hcaps), &out));
  assert_bytes_hex(out, "000100000000000000");
  assert_int_equal(total_calls(), 0);
  x7_bytes_free(&out);
  x7_bytes_free(&hcaps);
  /* E11 is a deliberate difference: follow_location is not denied by
   * itself (every hop is checked instead) */
  {
    struct x7_http_fetch f;
    memset(&f, 0, sizeof f);
    f.url = x7_view_str("https://allowed.test/");
    f.headers = x7_view_of(no_headers, 4);
    f.follow_location = 1;
    f.max_redirects = 5;
    assert_int_equal(x7__policy_http_gate(p, &f), 0);
  }
  /* listen / bind: explicit entry, never port 0 */
  x7_policy_free(p);
  p = policy_with("127.0.0.1:30000;127.0.0.1:0", NULL);
  x7__policy_set_for_tests(p, 0);
  assert_int_equal(x7__policy_sock_gate(X7_POLICY_TCP_LISTEN,
                                        x7_bytes_view(&addr), 30000),
                   0);
  x7_bytes_free(&addr);
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 0, &addr));
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&addr),
                                    x7_bytes_view(&caps), &out));
  assert_bytes_hex(out, "000100000000000000");
  x7_bytes_free(&out);
  x7_bytes_free(&addr);
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 30001, &addr));
  assert_int_equal(x7__policy_sock_gate(X7_POLICY_UDP_BIND,
                                        x7_bytes_view(&addr), 30001),
                   1);
  x7_bytes_free(&addr);
  /* a v4-mapped IPv6 NetAddrV1 is the IPv4 address */
  {
    uint8_t a16[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
    assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(a16, 16), 30000, &addr));
    assert_int_equal(x7__policy_sock_gate(X7_POLICY_TCP_CONNECT,
                                          x7_bytes_view(&addr), 30000),
                     0);
    x7_bytes_free(&addr);
  }
  /* a DNS-tag address holding an IP literal is that IP */
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("127.0.0.1"), 30000,
                                        &addr));
  assert_int_equal(x7__policy_sock_gate(X7_POLICY_TCP_CONNECT,
                                        x7_bytes_view(&addr), 30000),
                   0);
  x7_bytes_free(&addr);
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("127.1"), 30000, &addr));
  assert_int_equal(x7__policy_sock_gate(X7_POLICY_TCP_CONNECT,
                                        x7_bytes_view(&addr), 30000),
                   1);
  x7_bytes_free(&addr);
  x7__policy_set_for_tests(NULL, 0);
  x7_bytes_free(&caps);
  x7_policy_free(p);
}

/* ---- resolution for socket backends ---- */

static void getaddrinfo_should_return_only_vetted_addresses(void **state) {
  struct x7_policy *p = policy_with("both.test:80;mixed.test:80;"
                                    "127.0.0.1:53",
                                    NULL);
  struct addrinfo *res = NULL;
  struct x7__ip ip;
  uint32_t port = 0;
  size_t n = 0;
  (void)state;
  x7__policy_set_for_tests(p, 0);
  reset_calls();
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_TCP_CONNECT, "both.test",
                                          80, SOCK_STREAM, &res),
                   0);
  for (struct addrinfo *ai = res; ai; ai = ai->ai_next, n++) {
    assert_int_equal(ai->ai_socktype, SOCK_STREAM);
    assert_true(x7__ip_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &ip, &port));
    assert_int_equal(port, 80);
  }
  assert_int_equal(n, 2);
  x7__policy_freeaddrinfo(res);
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_UDP_SENDTO, "mixed.test",
                                          80, SOCK_DGRAM, &res),
                   1);
  assert_null(res);
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_DNS_LOOKUP, "evil.test",
                                          80, SOCK_STREAM, &res),
                   1);
  assert_int_equal(answers[2].calls, 0); /* evil.test never asked */
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_TCP_CONNECT, "127.0.0.1",
                                          53, SOCK_STREAM, &res),
                   0);
  assert_non_null(res);
  assert_null(res->ai_next);
  x7__policy_freeaddrinfo(res);
  /* os: plain resolution, no checks (mixed answers pass) */
  x7__policy_set_for_tests(NULL, 0);
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_TCP_CONNECT, "mixed.test",
                                          80, SOCK_STREAM, &res),
                   0);
  assert_non_null(res->ai_next);
  x7__policy_freeaddrinfo(res);
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_TCP_CONNECT, "nope.test",
                                          80, SOCK_STREAM, &res),
                   5);
  assert_int_equal(x7__policy_getaddrinfo(X7_POLICY_TCP_CONNECT, "empty.test",
                                          80, SOCK_STREAM, &res),
                   0);
  assert_null(res);
  x7__policy_freeaddrinfo(NULL);
  x7_policy_free(p);
}

/* ---- x7_policy_check, denial records, the log line ---- */

static void check_should_decide_without_network(void **state) {
  struct x7_policy *p = policy_with("allowed.test:443;localhost:8080", NULL);
  const char *pub[] = {"93.184.216.34"}, *mixed[] = {"93.184.216.34", "::1"};
  const char *loop[] = {"127.0.0.1", "[::1]"}, *bad[] = {"nope"};
  struct x7_policy_denial d;
  int ok = -1;
  (void)state;
  reset_calls();
  assert_x7_ok(x7_policy_check(p, X7_POLICY_HTTP, "Allowed.Test", 443, pub, 1,
                               &ok));
  assert_true(ok);
  assert_x7_ok(x7_policy_check(p, X7_POLICY_HTTP, "allowed.test", 443, mixed,
                               2, &ok));
  assert_false(ok);
  assert_x7_ok(x7_policy_last_denial(&d));
  assert_int_equal(d.op, X7_POLICY_HTTP);
  assert_string_equal(d.rule, "special-range");
  assert_string_equal(d.host, "allowed.test");
  assert_int_equal(d.port, 443);
  assert_string_equal(d.address, "::1");
  assert_x7_ok(x7_policy_check(p, X7_POLICY_TCP_CONNECT, "localhost", 8080,
                               loop, 2, &ok));
  assert_true(ok);
  assert_int_equal(total_calls(), 0);
  assert_x7_result(X7_EINVAL, x7_policy_check(p, X7_POLICY_HTTP, "a", 1, bad,
                                              1, &ok));
  assert_x7_result(X7_EINVAL, x7_policy_check(p, X7_POLICY_HTTP, NULL, 1,
                                              NULL, 0, &ok));
  assert_x7_result(X7_EINVAL, x7_policy_check(p, (enum x7_policy_op)99, "a",
                                              1, NULL, 0, &ok));
  assert_x7_result(X7_EINVAL, x7_policy_check(p, X7_POLICY_HTTP, "a", 1, NULL,
                                              1, &ok));
  assert_x7_result(X7_EINVAL, x7_policy_check(p, X7_POLICY_HTTP, "a", 1, NULL,
                                              0, NULL));
  /* no policy: the process runs as os, everything is allowed */
  x7__policy_set_for_tests(NULL, 0);
  assert_false(x7_policy_process_sandboxed());
  assert_x7_ok(x7_policy_check(NULL, X7_POLICY_HTTP, "evil.test", 443, NULL,
                               0, &ok));
  assert_true(ok);
  x7__policy_set_for_tests(p, 0);
  assert_true(x7_policy_process_sandboxed());
  assert_x7_ok(x7_policy_check(NULL, X7_POLICY_HTTP, "evil.test", 443, NULL,
                               0, &ok));
  assert_false(ok);
  x7__policy_set_for_tests(NULL, 0);
  x7_policy_clear_denial();
  assert_x7_result(X7_ENOTFOUND, x7_policy_last_denial(&d));
  assert_x7_result(X7_EINVAL, x7_policy_last_denial(NULL));
  x7_policy_free(p);
}

static void denial_should_be_logged_when_asked(void **state) {
  struct x7_policy *p = policy_with("allowed.test:443", NULL);
  char path[] = "/tmp/x7t-policy-log-XXXXXX", buf[2048];
  int fd = mkstemp(path), saved;
  ssize_t n;
  (void)state;
  assert_true(fd >= 0);
  fflush(stderr);
  saved = dup(2);
  dup2(fd, 2);
  /* X07_NET_LOG=1 was set before the first policy call (main) */
  assert_int_equal(decide(p, "https://evil.test/", NULL), 1);
  assert_int_equal(decide(p, "https://evil\x01\x0a.test/", NULL), 2);
  {
    struct x7_policy_denial d;
    uint8_t ctl[] = "ev\x0ail.test";
    (void)x7__policy_deny(1, X7_POLICY_TCP_CONNECT, "not-allowed", "test",
                          (const char *)ctl, sizeof ctl - 1, 7, NULL);
    assert_x7_ok(x7_policy_last_denial(&d));
    assert_string_equal(d.host, "ev?il.test");
  }
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  n = pread(fd, buf, sizeof buf - 1, 0);
  assert_true(n > 0);
  buf[n] = '\0';
  close(fd);
  unlink(path);
  assert_non_null(strstr(buf, "x7net: policy denied http to evil.test port "
                              "443 [not-allowed]: no allow entry for this "
                              "host name and port\n"));
  assert_non_null(strstr(buf, "x7net: policy denied tcp_connect to ev?il.test"
                              " port 7 [not-allowed]: test\n"));
  /* one line per denial, nothing for the invalid URL */
  {
    int lines = 0;
    for (char *s = buf; *s; s++) lines += *s == '\n';
    assert_int_equal(lines, 2);
  }
  x7_policy_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(catalogue_should_give_each_verdict),
      cmocka_unit_test(catalogue_should_not_depend_on_the_locale),
      cmocka_unit_test(address_stage_should_check_every_answer),
      cmocka_unit_test(plan_should_pin_the_checked_addresses),
      cmocka_unit_test(switches_should_deny_before_anything),
      cmocka_unit_test(files_should_follow_the_fs_policy),
      cmocka_unit_test(host_header_should_be_refused),
      cmocka_unit_test(twins_should_answer_policy_denied),
      cmocka_unit_test(getaddrinfo_should_return_only_vetted_addresses),
      cmocka_unit_test(check_should_decide_without_network),
      cmocka_unit_test(denial_should_be_logged_when_asked),
  };
  int rc;
  /* Read once per process, on the first policy call. */
  setenv("X07_NET_LOG", "1", 1);
  unsetenv("X07_OS_SANDBOXED");
  unsetenv("X07_WORLD");
  x7__policy_set_resolver_for_tests(fake_resolver, NULL);
  rc = cmocka_run_group_tests_name("policy", tests, NULL, NULL);
  x7__policy_set_resolver_for_tests(NULL, NULL);
  return rc;
}
