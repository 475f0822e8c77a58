/* test_be_live_policy.c - the sandbox end to end through the live backend
 * (libcurl and the socket ops), on loopback only.
 *
 * Oracles: listeners on 127.0.0.2, 127.0.0.3 and [::1] bound to the SAME
 * port as the test server on 127.0.0.1, so any connection the policy did
 * not allow - a second resolution, an unpinned retry, a redirect, a
 * proxy - lands in a backlog this test counts; every case ends by
 * asserting they are all empty.  Names come from a resolver hook (no DNS
 * at all), which also counts the queries: a name denied before DNS must
 * never reach it.  Positive controls prove the allowed paths really work
 * (plain names, localhost, redirects between allowed hosts, https,
 * sockets).  The IDN case runs under the C and a UTF-8 locale. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <x7/net.h>

#include "be_live_int.h"
#include "peer.h"
#include "policy_int.h"
#include "x7_test.h"

/* ------------------------------------------------------------------ */
/* oracles                                                             */

struct canary {
  int fd;
  const char *ip;
};

static struct canary canaries[3] = {
    {-1, "127.0.0.2"}, {-1, "127.0.0.3"}, {-1, "::1"}};

static int canary_open(struct canary *c, uint16_t port) {
  struct sockaddr_storage ss;
  socklen_t len;
  int one = 1, fam = strchr(c->ip, ':') ? AF_INET6 : AF_INET;
  memset(&ss, 0, sizeof ss);
  if (fam == AF_INET) {
    struct sockaddr_in *s = (struct sockaddr_in *)&ss;
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    inet_pton(AF_INET, c->ip, &s->sin_addr);
    len = sizeof *s;
  } else {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(port);
    inet_pton(AF_INET6, c->ip, &s->sin6_addr);
    len = sizeof *s;
  }
  c->fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) return -1;
  setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(c->fd, (struct sockaddr *)&ss, len) != 0 || listen(c->fd, 64)) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  return 0;
}

/* Connections that reached the oracle (accepted here and closed). */
static long canary_hits(struct canary *c) {
  long n = 0;
  int fd;
  if (c->fd < 0) return 0;
  while ((fd = accept(c->fd, NULL, NULL)) >= 0) {
    close(fd);
    n++;
  }
  return n;
}

static void assert_canaries_untouched(void) {
  for (size_t i = 0; i < 3; i++) {
    long n = canary_hits(&canaries[i]);
    if (n) fail_msg("oracle %s got %ld connection(s)", canaries[i].ip, n);
  }
}

/* ------------------------------------------------------------------ */
/* a resolver the test controls                                        */

struct answer {
  char name[64];
  const char *first[3], *later[3]; /* later: from the second query on */
  int delay_ms;
  int calls;
};

static struct answer answers[16];
static size_t nanswers;
static int unknown_calls;

static void answer(const char *name, const char *a1, const char *a2) {
  struct answer *a = &answers[nanswers++];
  assert_true(nanswers <= sizeof answers / sizeof answers[0]);
  memset(a, 0, sizeof *a);
  snprintf(a->name, sizeof a->name, "%s", name);
  a->first[0] = a1;
  a->first[1] = a2;
}

static struct answer *find_answer(const char *name) {
  for (size_t i = 0; i < nanswers; i++)
    if (strcmp(answers[i].name, name) == 0) return &answers[i];
  return NULL;
}

static int test_resolver(void *ud, const char *name, int socktype,
                         struct x7__ip_list *out) {
  struct answer *a = find_answer(name);
  const char *const *list;
  (void)ud;
  (void)socktype;
  if (!a) {
    unknown_calls++;
    return -1;
  }
  list = a->calls++ > 0 && a->later[0] ? a->later : a->first;
  if (a->delay_ms) {
    struct timespec ts = {0, (long)a->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
  }
  for (size_t i = 0; i < 3 && list[i]; i++)
    if (x7__ip_parse(list[i], strlen(list[i]), &out->ip[out->n])) out->n++;
  return 0;
}

static int calls_of(const char *name) {
  struct answer *a = find_answer(name);
  return a ? a->calls : unknown_calls;
}

/* ------------------------------------------------------------------ */
/* fixture                                                             */

static const char *const proxy_vars[] = {
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
    "ALL_PROXY",  "no_proxy",    "NO_PROXY",   NULL};

static struct {
  struct x7t_raw *ok; /* 127.0.0.1:port, keep-alive, body "ok" */
  uint16_t port;
  int have_v6;
  struct x7_policy *policy;
  char tmp[X7T_PATH_MAX];
} env;

static int group_setup(void **state) {
  (void)state;
  for (const char *const *v = proxy_vars; *v; v++) unsetenv(*v);
  unsetenv("X07_OS_SANDBOXED");
  unsetenv("X07_WORLD");
  if (x7_backend_select("live") != X7_OK) return -1;
  /* Oracles must share the server's port; retry if one is taken. */
  for (int attempt = 0; attempt < 20; attempt++) {
    int ok = 1;
    if (x7t_raw_server_start(X7T_RAW_KEEPALIVE, "ok", 2, &env.ok) !=
        X7T_PEER_OK)
      return -1;
    env.port = x7t_raw_port(env.ok);
    for (size_t i = 0; i < 3 && ok; i++) {
      if (canary_open(&canaries[i], env.port) == 0) continue;
      if (i == 2 && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT))
        continue; /* no IPv6 loopback here */
      ok = 0;
    }
    if (ok) break;
    for (size_t i = 0; i < 3; i++)
      if (canaries[i].fd >= 0) close(canaries[i].fd), canaries[i].fd = -1;
    x7t_raw_stop(env.ok);
    env.ok = NULL;
  }
  if (!env.ok) return -1;
  env.have_v6 = canaries[2].fd >= 0;
  if (x7t_tmpdir_new("policy", env.tmp, sizeof env.tmp) != X7T_PEER_OK)
    return -1;
  x7__policy_set_resolver_for_tests(test_resolver, NULL);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  x7__policy_set_resolver_for_tests(NULL, NULL);
  x7__policy_set_for_tests(NULL, 1);
  x7__live_thread_release();
  for (size_t i = 0; i < 3; i++)
    if (canaries[i].fd >= 0) close(canaries[i].fd);
  x7t_raw_stop(env.ok);
  x7t_tmpdir_remove(env.tmp);
  return 0;
}

static int case_setup(void **state) {
  (void)state;
  nanswers = 0;
  unknown_calls = 0;
  x7_policy_clear_denial();
  x7__live_set_connect_to_for_tests(NULL);
  /* a fresh handle: no connection survives from another case */
  x7__live_thread_release();
  return 0;
}

static int case_teardown(void **state) {
  (void)state;
  x7__policy_set_for_tests(NULL, 0);
  x7_policy_free(env.policy);
  env.policy = NULL;
  return 0;
}

/* Make the policy of "X07_OS_NET_ALLOW_HOSTS=<hosts>" (ports written as
 * %u take env.port) the process policy.  extra: more "K=V" or NULL. */
static void sandbox(const char *hosts_fmt, const char *extra) {
  char hosts[512], h[600];
  const char *envp[] = {"X07_OS_SANDBOXED=1",     "X07_OS_NET=1",
                        "X07_OS_NET_ALLOW_TCP=1", "X07_OS_NET_ALLOW_DNS=1",
                        h,                        extra ? extra : "X=1",
                        NULL};
  unsigned p = env.port;
  snprintf(hosts, sizeof hosts, hosts_fmt, p, p, p, p);
  snprintf(h, sizeof h, "X07_OS_NET_ALLOW_HOSTS=%s", hosts);
  x7_policy_free(env.policy);
  env.policy = NULL;
  assert_x7_ok(x7_policy_env_read(envp, &env.policy));
  x7__policy_set_for_tests(env.policy, 0);
}

/* ------------------------------------------------------------------ */
/* requests                                                            */

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static struct x7_bytes fetch(const char *url, int follow,
                             uint32_t max_redirects, const char *out) {
  uint8_t caps[28];
  const uint32_t f[7] = {1, (uint32_t)follow, 5, max_redirects, 65536, 256,
                         1u << 20};
  struct x7_bytes table = {0}, req = {0}, resp = {0};
  for (int i = 0; i < 7; i++) put32(caps + 4 * i, f[i]);
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&table));
  assert_x7_ok(x7_net_http_spec_req_v1(1, x7_view_str(url),
                                       x7_bytes_view(&table),
                                       x7_view_of(NULL, 0),
                                       x7_view_of(caps, sizeof caps), &req));
  if (out)
    assert_x7_ok(x7_net_http_fetch_to_file_v1(x7_bytes_view(&req),
                                              x7_view_str(out), &resp));
  else
    assert_x7_ok(x7_net_http_fetch_v1(x7_bytes_view(&req), &resp));
  x7_bytes_free(&table);
  x7_bytes_free(&req);
  return resp;
}

static int32_t err_code(struct x7_bytes *resp) {
  int32_t c = -1;
  assert_x7_ok(x7_net_http_resp_err_code_v1(x7_bytes_view(resp), &c));
  return c;
}

static void assert_ok_body(struct x7_bytes *resp, const char *body) {
  struct x7_bytes b = {0};
  int32_t status = 0;
  if (err_code(resp)) {
    struct x7_policy_denial d;
    struct x7__live_diag dg;
    x7__live_last_diag(&dg);
    if (x7_policy_last_denial(&d) == X7_OK)
      fail_msg("error %d (last denial %s: %s); curl %d %s", err_code(resp),
               d.rule, d.reason, dg.curlcode, dg.errbuf);
    fail_msg("error %d; curl %d %s", err_code(resp), dg.curlcode, dg.errbuf);
  }
  assert_x7_ok(x7_net_http_resp_status_v1(x7_bytes_view(resp), &status));
  assert_int_equal(status, 200);
  assert_x7_ok(x7_net_http_resp_body_v1(x7_bytes_view(resp), &b));
  assert_bytes_str(b, body);
  x7_bytes_free(&b);
}

static void assert_denied(struct x7_bytes *resp, const char *rule) {
  struct x7_policy_denial d;
  assert_bytes_hex(*resp, "000100000000000000");
  assert_x7_ok(x7_policy_last_denial(&d));
  if (rule && strcmp(d.rule, rule))
    fail_msg("want rule %s, got %s (%s)", rule, d.rule, d.reason);
}

/* ------------------------------------------------------------------ */
/* positive controls                                                   */

static void allowed_name_should_be_fetched(void **state) {
  char url[128];
  long before = x7t_raw_connections(env.ok);
  struct x7_bytes r;
  (void)state;
  /* loopback is special: the name needs the explicit IP entry too */
  sandbox("allowed.test:%u;127.0.0.1:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://ALLOWED.test.:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  assert_int_equal(calls_of("allowed.test"), 1);
  assert_int_equal(x7t_raw_connections(env.ok), before + 1);
  assert_canaries_untouched();
}

static void localhost_name_alone_should_reach_loopback(void **state) {
  char url[128];
  struct x7_bytes r;
  (void)state;
  sandbox("localhost:%u", NULL);
  answer("localhost", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://localhost:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  assert_canaries_untouched();
}

static void os_mode_should_check_nothing(void **state) {
  char url[128];
  struct x7_bytes r;
  (void)state;
  x7__policy_set_for_tests(NULL, 0);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  assert_int_equal(unknown_calls, 0);
  assert_canaries_untouched();
}

/* ------------------------------------------------------------------ */
/* the name stage: no query, no socket                                 */

static void denied_names_should_cause_no_query_and_no_socket(void **state) {
  static const char *const urls[] = {
      "http://evil.test:%u/",        "http://allowed.test@evil.test:%u/",
      "http://127.0.0.2:%u/",        "http://[::1]:%u/",
      "http://2130706433:%u/",       "http://0x7f.1:%u/",
      "http://[::ffff:127.0.0.2]:%u/", "http://0.0.0.0:%u/",
      "http://127.0.0.3.nip.io:%u/", "http://allowed.test.evil.test:%u/",
  };
  long before = x7t_raw_connections(env.ok);
  (void)state;
  sandbox("allowed.test:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  answer("evil.test", "127.0.0.2", NULL);
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
    char url[128];
    struct x7_bytes r;
    snprintf(url, sizeof url, urls[i], env.port);
    r = fetch(url, 0, 0, NULL);
    assert_denied(&r, NULL);
    x7_bytes_free(&r);
  }
  assert_int_equal(calls_of("evil.test"), 0);
  assert_int_equal(unknown_calls, 0);
  assert_int_equal(x7t_raw_connections(env.ok), before);
  assert_canaries_untouched();
}

static void idn_numeric_host_should_be_denied_in_every_locale(void **state) {
  static const char *const locales[] = {"C", "C.UTF-8", "en_US.UTF-8"};
  char url[128];
  (void)state;
  sandbox("allowed.test:%u", NULL);
  /* ①②⑦.⓪.⓪.② is 127.0.0.2 under UTS#46 */
  snprintf(url, sizeof url,
           "http://\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa.\xe2\x93"
           "\xaa.\xe2\x91\xa1:%u/",
           env.port);
  for (size_t i = 0; i < sizeof locales / sizeof locales[0]; i++) {
    struct x7_bytes r;
    if (!setlocale(LC_ALL, locales[i])) continue;
    x7_policy_clear_denial();
    r = fetch(url, 0, 0, NULL);
    assert_denied(&r, "special-range");
    x7_bytes_free(&r);
  }
  setlocale(LC_ALL, "C");
  assert_int_equal(unknown_calls, 0);
  assert_canaries_untouched();
}

/* ------------------------------------------------------------------ */
/* the address stage                                                   */

static void hostname_alone_should_not_unlock_loopback(void **state) {
  char url[128];
  long before = x7t_raw_connections(env.ok);
  struct x7_bytes r;
  (void)state;
  sandbox("allowed.test:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://allowed.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "special-range");
  x7_bytes_free(&r);
  assert_int_equal(calls_of("allowed.test"), 1);
  assert_int_equal(x7t_raw_connections(env.ok), before);
  assert_canaries_untouched();
}

static void mixed_answer_should_be_denied_whole(void **state) {
  char url[128];
  long before = x7t_raw_connections(env.ok);
  struct x7_bytes r;
  (void)state;
  sandbox("mixed.test:%u;127.0.0.1:%u", NULL);
  answer("mixed.test", "127.0.0.1", "::1");
  snprintf(url, sizeof url, "http://mixed.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "special-range");
  x7_bytes_free(&r);
  answer("mixed2.test", "127.0.0.1", "127.0.0.2");
  sandbox("mixed2.test:%u;127.0.0.1:%u", NULL);
  snprintf(url, sizeof url, "http://mixed2.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "special-range");
  x7_bytes_free(&r);
  assert_int_equal(x7t_raw_connections(env.ok), before);
  assert_canaries_untouched();
}

static void rebinding_should_never_reach_the_new_address(void **state) {
  char url[128];
  struct x7_bytes r;
  struct answer *a;
  (void)state;
  sandbox("rebind.test:%u;127.0.0.1:%u", NULL);
  answer("rebind.test", "127.0.0.1", NULL);
  a = find_answer("rebind.test");
  a->later[0] = "127.0.0.2";
  snprintf(url, sizeof url, "http://rebind.test:%u/", env.port);
  /* one query per fetch, and the connection goes where it said */
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  assert_int_equal(a->calls, 1);
  /* the record now points at 127.0.0.2: denied, never connected */
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "special-range");
  x7_bytes_free(&r);
  assert_int_equal(a->calls, 2);
  assert_canaries_untouched();
}

static void slow_answer_should_still_be_pinned(void **state) {
  char url[128];
  struct x7_bytes r;
  struct answer *a;
  (void)state;
  sandbox("slow.test:%u;127.0.0.1:%u", NULL);
  answer("slow.test", "127.0.0.1", NULL);
  a = find_answer("slow.test");
  a->delay_ms = 300;
  a->later[0] = "127.0.0.3";
  snprintf(url, sizeof url, "http://slow.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  assert_int_equal(a->calls, 1);
  assert_canaries_untouched();
}

/* ------------------------------------------------------------------ */
/* backstops                                                           */

static void opensocket_should_refuse_an_unchecked_address(void **state) {
  char url[128], knob[128];
  struct x7_bytes r;
  (void)state;
  sandbox("allowed.test:%u;127.0.0.1:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  /* a CONNECT_TO-style knob moving the connection to an oracle (§6 #15) */
  snprintf(knob, sizeof knob, "allowed.test:%u:127.0.0.2:%u", env.port,
           env.port);
  x7__live_set_connect_to_for_tests(knob);
  snprintf(url, sizeof url, "http://allowed.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  x7__live_set_connect_to_for_tests(NULL);
  assert_denied(&r, "pin-mismatch");
  x7_bytes_free(&r);
  assert_canaries_untouched();
}

static void prereq_should_catch_a_reused_connection(void **state) {
  char url[128];
  struct x7_bytes r;
  struct answer *a;
  long before;
  (void)state;
  sandbox("allowed.test:%u;127.0.0.1:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://allowed.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  before = x7t_raw_connections(env.ok);
  /* The policy changes under a kept-alive connection: libcurl reuses it
   * (OPENSOCKET is not called on reuse), PREREQ sees 127.0.0.1 is not
   * among this hop's checked addresses. */
  sandbox("allowed.test:%u;127.0.0.3:%u", NULL);
  a = find_answer("allowed.test");
  a->later[0] = "127.0.0.3";
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "pin-mismatch");
  x7_bytes_free(&r);
  assert_int_equal(x7t_raw_connections(env.ok), before);
  assert_canaries_untouched();
}

static void proxy_variables_should_be_ignored(void **state) {
  char url[128], proxy[128];
  struct x7t_raw *px = NULL;
  struct x7_bytes r;
  (void)state;
  assert_int_equal(x7t_raw_server_start(X7T_RAW_KEEPALIVE, "proxy", 5, &px),
                   X7T_PEER_OK);
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%u", x7t_raw_port(px));
  for (const char *const *v = proxy_vars; *v; v++)
    setenv(*v, strstr(*v, "no_") || strstr(*v, "NO_") ? "" : proxy, 1);
  sandbox("allowed.test:%u;127.0.0.1:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://allowed.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "ok"); /* straight to the server, not "proxy" */
  x7_bytes_free(&r);
  snprintf(url, sizeof url, "http://evil.test:%u/", env.port);
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "not-allowed");
  x7_bytes_free(&r);
  for (const char *const *v = proxy_vars; *v; v++) unsetenv(*v);
  assert_int_equal(x7t_raw_connections(px), 0);
  assert_int_equal(unknown_calls, 0);
  x7t_raw_stop(px);
  assert_canaries_untouched();
}

/* ------------------------------------------------------------------ */
/* redirects: every hop checked before DNS                             */

static const char redirect_fmt[] =
    "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 5\r\n"
    "Connection: close\r\n\r\nmoved";

static struct x7t_raw *redirector(const char *location_fmt, unsigned port) {
  char loc[256], resp[512];
  struct x7t_raw *r = NULL;
  snprintf(loc, sizeof loc, location_fmt, port);
  snprintf(resp, sizeof resp, redirect_fmt, loc);
  if (x7t_raw_server_start(X7T_RAW_SCRIPTED, resp, strlen(resp), &r) !=
      X7T_PEER_OK)
    fail_msg("raw server: %s", x7t_peer_error());
  return r;
}

static void redirect_between_allowed_hosts_should_work(void **state) {
  char url[128], hosts[256];
  struct x7t_raw *a = redirector("http://second.test:%u/x", env.port);
  long before = x7t_raw_connections(env.ok);
  struct x7_bytes r;
  struct x7__live_diag dg;
  (void)state;
  snprintf(hosts, sizeof hosts, "first.test:%u;second.test:%%u;"
                                "127.0.0.1:%u,%%u",
           x7t_raw_port(a), x7t_raw_port(a));
  sandbox(hosts, NULL);
  answer("first.test", "127.0.0.1", NULL);
  answer("second.test", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://first.test:%u/", x7t_raw_port(a));
  r = fetch(url, 1, 5, NULL);
  assert_ok_body(&r, "ok");
  x7_bytes_free(&r);
  x7__live_last_diag(&dg);
  assert_int_equal(dg.redirect_count, 1);
  assert_int_equal(x7t_raw_connections(a), 1);
  assert_int_equal(x7t_raw_connections(env.ok), before + 1);
  assert_int_equal(calls_of("second.test"), 1);
  /* without the follow flag the 302 itself is the answer */
  r = fetch(url, 0, 0, NULL);
  {
    int32_t status = 0;
    assert_int_equal(err_code(&r), 0);
    assert_x7_ok(x7_net_http_resp_status_v1(x7_bytes_view(&r), &status));
    assert_int_equal(status, 302);
  }
  x7_bytes_free(&r);
  x7t_raw_stop(a);
  assert_canaries_untouched();
}

struct bad_hop {
  const char *location; /* %u: the oracles' port */
  int32_t code;
  const char *rule;
};

static const struct bad_hop bad_hops[] = {
    {"http://evil.test:%u/", 1, "not-allowed"},
    {"http://127.0.0.2:%u/", 1, "special-range"},
    {"http://[::1]:%u/", 1, "special-range"},
    {"http://2130706433:%u/", 1, NULL},
    {"http://first.test@evil.test:%u/", 1, "userinfo"},
    {"http://localhost:%u/", 1, "not-allowed"},
    {"file:///etc/passwd", 1, "fs-disabled"},
    {"gopher://127.0.0.1:6379/_INFO", 2, NULL},
    {"dict://127.0.0.1:11211/stat", 2, NULL},
    {"ftp://127.0.0.2:%u/", 2, NULL},
};

static void every_hop_should_be_checked(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_hops / sizeof bad_hops[0]; i++) {
    struct x7t_raw *a = redirector(bad_hops[i].location, env.port);
    char url[128], hosts[128];
    struct x7_bytes r;
    snprintf(hosts, sizeof hosts, "first.test:%u;127.0.0.1:%u",
             x7t_raw_port(a), x7t_raw_port(a));
    sandbox(hosts, NULL);
    nanswers = 0;
    unknown_calls = 0;
    answer("first.test", "127.0.0.1", NULL);
    answer("evil.test", "127.0.0.2", NULL);
    x7_policy_clear_denial();
    snprintf(url, sizeof url, "http://first.test:%u/", x7t_raw_port(a));
    r = fetch(url, 1, 5, NULL);
    assert_int_equal(err_code(&r), bad_hops[i].code);
    if (bad_hops[i].code == 1) assert_denied(&r, bad_hops[i].rule);
    x7_bytes_free(&r);
    assert_int_equal(x7t_raw_connections(a), 1);
    assert_int_equal(calls_of("evil.test"), 0);
    assert_int_equal(unknown_calls, 0);
    x7t_raw_stop(a);
    assert_canaries_untouched();
  }
}

static void redirect_loop_should_stop_at_the_limit(void **state) {
  struct x7t_raw *a = redirector("/loop", 0);
  char url[128], hosts[128];
  struct x7_bytes r;
  (void)state;
  snprintf(hosts, sizeof hosts, "loop.test:%u;127.0.0.1:%u", x7t_raw_port(a),
           x7t_raw_port(a));
  sandbox(hosts, NULL);
  answer("loop.test", "127.0.0.1", NULL);
  snprintf(url, sizeof url, "http://loop.test:%u/", x7t_raw_port(a));
  r = fetch(url, 1, 3, NULL);
  assert_int_equal(err_code(&r), 8); /* too many redirects, as upstream */
  x7_bytes_free(&r);
  assert_int_equal(x7t_raw_connections(a), 4); /* the request + 3 hops */
  assert_int_equal(calls_of("loop.test"), 4);
  x7t_raw_stop(a);
  assert_canaries_untouched();
}

/* ------------------------------------------------------------------ */
/* https through nginx: canonical name, pin, SNI and verification      */

static void https_should_work_and_refuse_downgrades(void **state) {
  struct x7t_pki *pki = NULL;
  struct x7t_nginx *ng = NULL;
  struct x7t_nginx_opts o;
  char url[160], hosts[128];
  unsigned hp;
  struct x7_bytes r;
  int rc;
  (void)state;
  rc = x7t_pki_new(&pki);
  if (rc == X7T_PEER_MISSING) skip();
  assert_int_equal(rc, X7T_PEER_OK);
  memset(&o, 0, sizeof o);
  o.pki = pki;
  o.extra_server_conf = "location = /down { return 302 http://$host:1/; }";
  rc = x7t_nginx_start(&o, &ng);
  if (rc == X7T_PEER_MISSING) {
    x7t_pki_free(pki);
    skip();
  }
  assert_int_equal(rc, X7T_PEER_OK);
  setenv("X07_NET_CA_FILE", x7t_nginx_ca(ng), 1);
  hp = x7t_nginx_port(ng, "https");
  snprintf(hosts, sizeof hosts, "localhost:%u,1", hp);
  sandbox(hosts, NULL);
  answer("localhost", "127.0.0.1", NULL);
  /* the cert says DNS:localhost; the trailing dot and case are gone
   * before libcurl sees the name */
  snprintf(url, sizeof url, "https://LocalHost.:%u/hello.txt", hp);
  r = fetch(url, 0, 0, NULL);
  assert_ok_body(&r, "hello\n");
  x7_bytes_free(&r);
  /* https -> https redirects on the same origin */
  snprintf(url, sizeof url, "https://localhost:%u/redirect/3", hp);
  r = fetch(url, 1, 5, NULL);
  assert_ok_body(&r, "done\n");
  x7_bytes_free(&r);
  /* https -> http is refused before anything happens */
  snprintf(url, sizeof url, "https://localhost:%u/down", hp);
  r = fetch(url, 1, 5, NULL);
  assert_denied(&r, "redirect-downgrade");
  x7_bytes_free(&r);
  unsetenv("X07_NET_CA_FILE");
  x7__live_thread_release();
  x7t_nginx_stop(ng);
  x7t_pki_free(pki);
  assert_canaries_untouched();
}

/* ------------------------------------------------------------------ */
/* to-file fetches write under the fs write roots                      */

static void to_file_should_write_under_a_write_root(void **state) {
  char url[128], extra[X7T_PATH_MAX + 40], want[X7T_PATH_MAX + 16];
  const char *envp[10];
  struct x7_bytes r, path = {0};
  struct stat st;
  (void)state;
  snprintf(extra, sizeof extra, "X07_OS_FS_WRITE_ROOTS=%s/", env.tmp);
  envp[0] = "X07_OS_SANDBOXED=1";
  envp[1] = "X07_OS_NET=1";
  envp[2] = "X07_OS_NET_ALLOW_TCP=1";
  envp[3] = "X07_OS_FS=1";
  envp[4] = extra;
  {
    char h[128];
    snprintf(h, sizeof h, "X07_OS_NET_ALLOW_HOSTS=127.0.0.1:%u", env.port);
    envp[5] = h;
    envp[6] = NULL;
    x7_policy_free(env.policy);
    env.policy = NULL;
    assert_x7_ok(x7_policy_env_read(envp, &env.policy));
  }
  x7__policy_set_for_tests(env.policy, 0);
  snprintf(url, sizeof url, "http://127.0.0.1:%u/", env.port);
  r = fetch(url, 0, 0, "o.bin");
  assert_int_equal(err_code(&r), 0);
  assert_x7_ok(x7_net_http_resp_file_path_v1(x7_bytes_view(&r), &path));
  snprintf(want, sizeof want, "%s/o.bin", env.tmp);
  assert_bytes_str(path, want);
  assert_int_equal(stat(want, &st), 0);
  assert_int_equal(st.st_size, 2);
  x7_bytes_free(&path);
  x7_bytes_free(&r);
  unlink(want);
  assert_canaries_untouched();
}

/* E14 in the sandbox: file:// works under a read root, and only there. */
static void file_url_should_follow_the_read_roots(void **state) {
  char roots[X7T_PATH_MAX + 40], url[X7T_PATH_MAX + 32], f[X7T_PATH_MAX + 8];
  const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_FS=1",
                        "X07_OS_DENY_HIDDEN=1", roots, NULL};
  struct x7_bytes r;
  (void)state;
  snprintf(roots, sizeof roots, "X07_OS_FS_READ_ROOTS=.;%s", env.tmp);
  snprintf(f, sizeof f, "%s/in.txt", env.tmp);
  assert_int_equal(x7t_write_file(f, "file-body", 9), X7T_PEER_OK);
  x7_policy_free(env.policy);
  env.policy = NULL;
  assert_x7_ok(x7_policy_env_read(envp, &env.policy));
  x7__policy_set_for_tests(env.policy, 0);
  snprintf(url, sizeof url, "file://%s", f);
  r = fetch(url, 0, 0, NULL);
  if (err_code(&r)) fail_msg("file fetch: %d", err_code(&r));
  {
    struct x7_bytes b = {0};
    assert_x7_ok(x7_net_http_resp_body_v1(x7_bytes_view(&r), &b));
    assert_bytes_str(b, "file-body");
    x7_bytes_free(&b);
  }
  x7_bytes_free(&r);
  r = fetch("file:///etc/hostname", 0, 0, NULL);
  assert_denied(&r, "fs-root");
  x7_bytes_free(&r);
  if (snprintf(url, sizeof url, "file://%s/%%2e%%2e/%%2e%%2e/etc/hostname",
               env.tmp) >= (int)sizeof url)
    fail_msg("temp dir path too long for the test URL");
  r = fetch(url, 0, 0, NULL);
  assert_denied(&r, "fs-path");
  x7_bytes_free(&r);
  unlink(f);
}

/* ------------------------------------------------------------------ */
/* sockets                                                             */

static void sockets_should_connect_only_to_checked_addresses(void **state) {
  struct x7_bytes addr = {0}, caps = {0}, doc = {0};
  int32_t h = 0, n = -1, ok = 0;
  long before = x7t_raw_connections(env.ok);
  (void)state;
  sandbox("allowed.test:%u;127.0.0.1:%u;mixed.test:%u", NULL);
  answer("allowed.test", "127.0.0.1", NULL);
  answer("mixed.test", "127.0.0.1", "127.0.0.2");
  assert_x7_ok(x7_net_codec_caps_default_v1(&caps));
  /* a name: resolved once, the checked address connected */
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("allowed.test"),
                                        env.port, &addr));
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&addr),
                                     x7_bytes_view(&caps), &doc));
  assert_x7_ok(x7_net_tcp_connect_stream_handle_v1(x7_bytes_view(&doc), &h));
  assert_true(h > 0);
  assert_int_equal(x7t_raw_wait_connections(env.ok, before + 1, 5000),
                   X7T_PEER_OK);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(h, &ok));
  assert_int_equal(ok, 1);
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  /* a mixed answer: denied whole, nothing connected */
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("mixed.test"), env.port,
                                        &addr));
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&addr),
                                     x7_bytes_view(&caps), &doc));
  assert_bytes_hex(doc, "000100000000000000");
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  /* a name outside the list: not even resolved */
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("evil.test"), env.port,
                                        &addr));
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&addr),
                                     x7_bytes_view(&caps), &doc));
  assert_bytes_hex(doc, "000100000000000000");
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  assert_int_equal(unknown_calls, 0);
  /* DNS lookups answer the checked addresses only */
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("allowed.test"),
                                    (int32_t)env.port, x7_bytes_view(&caps),
                                    &doc));
  assert_x7_ok(x7_net_dns_count_v1(x7_bytes_view(&doc), &n));
  assert_int_equal(n, 1);
  x7_bytes_free(&doc);
  assert_x7_ok(x7_net_dns_lookup_v1(x7_view_str("mixed.test"),
                                    (int32_t)env.port, x7_bytes_view(&caps),
                                    &doc));
  assert_bytes_hex(doc, "000100000000000000");
  x7_bytes_free(&doc);
  /* an IP literal needs its own entry */
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 2, (int32_t)env.port,
                                         &addr));
  assert_x7_ok(x7_net_tcp_connect_v1(x7_bytes_view(&addr),
                                     x7_bytes_view(&caps), &doc));
  assert_bytes_hex(doc, "000100000000000000");
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  /* UDP is off in this policy */
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, (int32_t)env.port,
                                         &addr));
  assert_x7_ok(x7_net_udp_bind_v1(x7_bytes_view(&addr), x7_bytes_view(&caps),
                                  &doc));
  assert_bytes_hex(doc, "000100000000000000");
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  x7_bytes_free(&caps);
  assert_canaries_untouched();
}

static void listen_should_need_an_entry_and_a_port(void **state) {
  struct x7_bytes addr = {0}, caps = {0}, doc = {0};
  uint16_t port = x7t_free_port("127.0.0.1");
  char hosts[64];
  int32_t h = 0, ok = 0;
  (void)state;
  assert_true(port > 0);
  snprintf(hosts, sizeof hosts, "127.0.0.1:%u", (unsigned)port);
  sandbox(hosts, NULL);
  assert_x7_ok(x7_net_codec_caps_default_v1(&caps));
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, port, &addr));
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&addr),
                                    x7_bytes_view(&caps), &doc));
  assert_x7_ok(x7_net_tcp_listen_listener_handle_v1(x7_bytes_view(&doc), &h));
  assert_true(h > 0);
  assert_x7_ok(x7_net_tcp_listener_drop_v1(h, &ok));
  assert_int_equal(ok, 1);
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 0, &addr));
  assert_x7_ok(x7_net_tcp_listen_v1(x7_bytes_view(&addr),
                                    x7_bytes_view(&caps), &doc));
  assert_bytes_hex(doc, "000100000000000000");
  x7_bytes_free(&doc);
  x7_bytes_free(&addr);
  x7_bytes_free(&caps);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, case_setup, case_teardown)
  const struct CMUnitTest tests[] = {
      T(allowed_name_should_be_fetched),
      T(localhost_name_alone_should_reach_loopback),
      T(os_mode_should_check_nothing),
      T(denied_names_should_cause_no_query_and_no_socket),
      T(idn_numeric_host_should_be_denied_in_every_locale),
      T(hostname_alone_should_not_unlock_loopback),
      T(mixed_answer_should_be_denied_whole),
      T(rebinding_should_never_reach_the_new_address),
      T(slow_answer_should_still_be_pinned),
      T(opensocket_should_refuse_an_unchecked_address),
      T(prereq_should_catch_a_reused_connection),
      T(proxy_variables_should_be_ignored),
      T(redirect_between_allowed_hosts_should_work),
      T(every_hop_should_be_checked),
      T(redirect_loop_should_stop_at_the_limit),
      T(https_should_work_and_refuse_downgrades),
      T(to_file_should_write_under_a_write_root),
      T(file_url_should_follow_the_read_roots),
      T(sockets_should_connect_only_to_checked_addresses),
      T(listen_should_need_an_entry_and_a_port),
  };
#undef T
  return cmocka_run_group_tests_name("be_live_policy", tests, group_setup,
                                     group_teardown);
}
