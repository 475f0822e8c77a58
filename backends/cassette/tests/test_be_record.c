/* test_be_record.c - recording through the live backend from loopback
 * peers the test starts itself (nginx with HTTP/1.1, HTTPS and HTTP/2 on
 * a throw-away CA; raw scripted servers), then replaying with the peers
 * stopped: byte-identical docs, hop counts and HTTP versions kept,
 * binary and compressed bodies exact both ways, errors recorded as
 * errors, identical bytes when re-recording, and the environment
 * switches (X07_NET_CASSETTE, X07_NET_RR_MODE, X07_NET_BACKEND) through a
 * program that knows nothing about cassettes. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <x7/net.h>
#include <x7/x7_cassette.h>

#include "cassette_int.h"
#include "peer.h"
#include "x7_test.h"

#pragma GCC diagnostic ignored "-Wformat-truncation"

static struct {
  struct x7t_pki *pki;
  int pki_rc;
  char tmp[X7T_PATH_MAX];
  char old_cwd[X7T_PATH_MAX];
} env;

static const char *const proxy_vars[] = {
    "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
    "ALL_PROXY",  "no_proxy",    "NO_PROXY",   NULL};

static int group_setup(void **state) {
  (void)state;
  for (const char *const *v = proxy_vars; *v; v++) unsetenv(*v);
  unsetenv("X07_NET_CASSETTE");
  unsetenv("X07_NET_RR_MODE");
  unsetenv("X07_NET_BACKEND");
  env.pki_rc = x7t_pki_new(&env.pki);
  if (env.pki_rc == X7T_PEER_OK) setenv("X07_NET_CA_FILE", env.pki->ca_cert, 1);
  if (!getcwd(env.old_cwd, sizeof env.old_cwd)) return -1;
  if (x7t_tmpdir_new("record", env.tmp, sizeof env.tmp) != X7T_PEER_OK)
    return -1;
  return chdir(env.tmp) == 0 ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  if (chdir(env.old_cwd) != 0) return -1;
  x7t_tmpdir_remove(env.tmp);
  x7t_pki_free(env.pki);
  return 0;
}

/* A private nginx per test, so the test can stop it. */
static struct x7t_nginx *nginx_start(void) {
  struct x7t_nginx_opts o;
  struct x7t_nginx *n = NULL;
  int rc;
  if (env.pki_rc == X7T_PEER_MISSING) skip();
  if (env.pki_rc != X7T_PEER_OK) fail_msg("pki: %s", x7t_peer_error());
  memset(&o, 0, sizeof o);
  o.pki = env.pki;
  rc = x7t_nginx_start(&o, &n);
  if (rc == X7T_PEER_MISSING) skip();
  if (rc != X7T_PEER_OK) fail_msg("nginx: %s", x7t_peer_error());
  return n;
}

static void url_of(struct x7t_nginx *n, const char *kind, const char *path,
                   char *buf) {
  assert_int_equal(x7t_nginx_url(n, kind, path, buf, 256), X7T_PEER_OK);
}

static struct x7_bytes caps(int follow, int32_t max_body) {
  struct x7_bytes c = {0};
  assert_x7_ok(x7_net_http_spec_caps_v1(follow, 10, follow ? 10 : 0, 65536, 64,
                                        max_body, &c));
  return c;
}

static struct x7_bytes request(int32_t method, const char *url,
                               struct x7_view body, int follow,
                               const char *hname, const char *hval) {
  struct x7_bytes h = {0}, c = caps(follow, 4 << 20), d = {0};
  assert_x7_ok(x7_net_http_spec_headers_empty_v1(&h));
  if (hname) {
    struct x7_bytes n = {0};
    assert_x7_ok(x7_net_http_spec_headers_push_v1(
        x7_bytes_view(&h), x7_view_str(hname), x7_view_str(hval), &n));
    x7_bytes_free(&h);
    h = n;
  }
  assert_x7_ok(x7_net_http_spec_req_v1(method, x7_view_str(url),
                                       x7_bytes_view(&h), body,
                                       x7_bytes_view(&c), &d));
  x7_bytes_free(&h);
  x7_bytes_free(&c);
  return d;
}

static struct x7_cassette *open_live(const char *name, enum x7_rr_mode m) {
  struct x7_cassette_config *cfg;
  struct x7_cassette *c = NULL;
  x7_result r;
  assert_x7_ok(x7_cassette_config_new(&cfg));
  assert_x7_ok(x7_cassette_config_set_mode(cfg, m));
  assert_x7_ok(x7_cassette_config_set_transport(cfg, "live"));
  assert_x7_ok(x7_cassette_config_set_fsync(cfg, 0));
  r = x7_cassette_open(name, cfg, &c);
  if (r) fail_msg("open: %s %s", x7_errname(r), x7_cassette_errmsg(NULL));
  x7_cassette_config_free(cfg);
  return c;
}

static uint8_t *slurp(const char *p, size_t *pn) {
  FILE *f = fopen(p, "rb");
  uint8_t *b;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc((size_t)n + 1);
  assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
  b[n] = 0;
  fclose(f);
  *pn = (size_t)n;
  return b;
}

/* ------------------------------------------------------------------ */

#define NREQ 10

struct rq {
  int32_t method;
  const char *kind, *path;
  const char *body;
  int follow;
  const char *out;
};

static const struct rq script[NREQ] = {
    {1, "http", "/hello.txt", NULL, 0, NULL},
    {1, "http", "/dup-headers", NULL, 0, NULL},
    {1, "http", "/1k", NULL, 0, NULL},
    {1, "http", "/status/404", NULL, 0, NULL},
    {2, "http", "/status/201", "{\"a\":[1,2],\"b\":\"x\"}", 0, NULL},
    {3, "http", "/hello.txt", NULL, 0, NULL},
    {1, "http", "/redirect/3", NULL, 1, NULL},
    {1, "http", "/big", NULL, 0, "big.out"},
    {1, "https", "/hello.txt", NULL, 0, NULL},
    {1, "http", "/chunked", NULL, 0, NULL},
};

static x7_result run(struct x7_cassette *c, const char *url, const struct rq *q,
                     struct x7_bytes *out) {
  struct x7_bytes d;
  x7_result r;
  d = request(q->method, url, x7_view_str(q->body), q->follow, NULL, NULL);
  if (q->out)
    r = x7_cassette_fetch_to_file_v1(c, x7_bytes_view(&d), x7_view_str(q->out),
                                     out);
  else
    r = x7_cassette_fetch_v1(c, x7_bytes_view(&d), out);
  x7_bytes_free(&d);
  return r;
}

static void
record_should_replay_identically_with_the_server_stopped(void **state) {
  struct x7t_nginx *n = nginx_start();
  struct x7_cassette *c = open_live("site.json", X7_RR_REWRITE);
  struct x7_bytes rec[NREQ], d;
  char urls[NREQ][256];
  uint8_t *big_rec, *file;
  size_t big_n, fn;
  (void)state;
  for (int i = 0; i < NREQ; i++) {
    url_of(n, script[i].kind, script[i].path, urls[i]);
    assert_x7_ok(run(c, urls[i], &script[i], &rec[i]));
    if (rec[i].ptr[0] != 1)
      fail_msg("request %d failed live: %d", i, rec[i].ptr[1]);
  }
  big_rec = slurp("big.out", &big_n);
  assert_int_equal(big_n, 1 << 20);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  /* wire facts in the file */
  file = slurp("site.json", &fn);
  assert_non_null(strstr((char *)file, "[\"X-Dup\", \"a\"],\n"));
  assert_non_null(strstr((char *)file, "[\"X-Dup\", \"b\"],\n"));
  assert_non_null(strstr((char *)file, "\"redirects\": 3,"));
  assert_non_null(strstr((char *)file, "\"http_version\": \"2\""));
  assert_non_null(strstr((char *)file, "\"http_version\": \"1.1\""));
  assert_non_null(strstr((char *)file, "\"blob\": \"sha256:"));
  free(file);

  /* The file a real recording produced validates against the published
   * schema (when python3-jsonschema is there to check it). */
  if (system("python3 -c 'import jsonschema' 2>/dev/null") == 0) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys,jsonschema; "
             "jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))"
             ".validate(json.load(open(sys.argv[2])))' %s site.json",
             X7T_CASSETTE_SCHEMA);
    assert_int_equal(system(cmd), 0);
  }

  x7t_nginx_stop(n); /* from here on the network has nothing to offer */
  assert_int_equal(unlink("big.out"), 0);
  c = open_live("site.json", X7_RR_REPLAY);
  for (int i = 0; i < NREQ; i++) {
    assert_x7_ok(run(c, urls[i], &script[i], &d));
    if (strcmp(script[i].path, "/dup-headers") == 0) {
      /* Set-Cookie never reaches disk: same doc but for those values */
      struct x7_bytes v = {0};
      assert_x7_ok(x7_net_http_resp_header_get_v1(
          x7_bytes_view(&d), x7_view_str("set-cookie"), &v));
      assert_bytes_str(v, "<redacted:set-cookie>");
      x7_bytes_free(&v);
      assert_x7_ok(x7_net_http_resp_header_get_v1(x7_bytes_view(&d),
                                                  x7_view_str("x-dup"), &v));
      assert_bytes_str(v, "a");
      x7_bytes_free(&v);
      assert_int_equal(d.len, rec[i].len + 2 * (21 - 3));
    } else if (d.len != rec[i].len || memcmp(d.ptr, rec[i].ptr, d.len) != 0) {
      fail_msg("request %d (%s) replayed differently", i, script[i].path);
    }
    x7_bytes_free(&d);
    x7_bytes_free(&rec[i]);
  }
  file = slurp("big.out", &fn);
  assert_int_equal(fn, big_n);
  assert_memory_equal(file, big_rec, fn);
  free(file);
  free(big_rec);
  x7_cassette_free(c);
}

static void errors_should_be_recorded_as_errors(void **state) {
  struct x7_cassette *c = open_live("errors.json", X7_RR_REWRITE);
  struct x7_bytes q, rec, d;
  uint16_t port = x7t_free_port("127.0.0.1");
  char url[128];
  int32_t code = 0;
  (void)state;
  /* nobody listens there: a connect error, recorded as one */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/nothing", (unsigned)port);
  q = request(1, url, x7_view_of(NULL, 0), 0, NULL, NULL);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &rec));
  assert_x7_ok(x7_net_err_err_code_v1(x7_bytes_view(&rec), &code));
  assert_int_equal(code, X7_NET_ERR_CONNECT);
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  c = open_live("errors.json", X7_RR_REPLAY);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
  assert_bytes_eq(d, x7_bytes_view(&rec));
  x7_bytes_free(&d);
  x7_bytes_free(&q);
  x7_bytes_free(&rec);
  x7_cassette_free(c);
}

/* Binary both ways, obs-text header, gzip body the client does not
 * decode: the recorded wire bytes come back exactly. */
static const char binary_resp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
    "X-Obs: caf\xe9\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n"
    "Connection: close\r\n\r\n"
    "\x1f\x8b\x00\xff\x80\x00\x01\x02\x7f\xc3";

static void binary_bodies_should_roundtrip_both_ways(void **state) {
  struct x7t_raw *s = NULL;
  struct x7_cassette *c;
  struct x7_bytes q, rec, d, body = {0}, hv = {0};
  static const uint8_t req_body[] = {0, 1, 0xff, 0xfe, 'a', 0, 0x80, 0xc3};
  char url[256];
  uint8_t *file;
  size_t fn;
  (void)state;
  assert_int_equal(x7t_raw_server_start(X7T_RAW_SCRIPTED, binary_resp,
                                        sizeof binary_resp - 1, &s),
                   X7T_PEER_OK);
  assert_int_equal(x7t_raw_url(s, "/bin", url, sizeof url), X7T_PEER_OK);
  c = open_live("bin.json", X7_RR_REWRITE);
  q = request(2, url, x7_view_of(req_body, sizeof req_body), 0, "Content-Type",
              "application/octet-stream");
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &rec));
  assert_x7_ok(x7_net_http_resp_body_v1(x7_bytes_view(&rec), &body));
  assert_int_equal(body.len, 10);
  assert_memory_equal(body.ptr, "\x1f\x8b\x00\xff\x80\x00\x01\x02\x7f\xc3", 10);
  assert_x7_ok(x7_net_http_resp_header_get_v1(x7_bytes_view(&rec),
                                              x7_view_str("x-obs"), &hv));
  assert_bytes_str(hv, "caf\xe9");
  assert_x7_ok(x7_cassette_save(c));
  x7_cassette_free(c);
  x7t_raw_stop(s);
  file = slurp("bin.json", &fn);
  assert_non_null(
      strstr((char *)file, "\"body\": {\"base64\": \"AAH//mEAgMM=\"}"));
  assert_non_null(strstr((char *)file, "{\"base64\": \"Y2Fm6Q==\"}"));
  free(file);
  c = open_live("bin.json", X7_RR_REPLAY);
  assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
  assert_bytes_eq(d, x7_bytes_view(&rec));
  x7_bytes_free(&d);
  x7_cassette_free(c);
  /* the binary request body is part of the key: one byte off misses */
  {
    struct x7_bytes q2;
    uint8_t other[sizeof req_body];
    int32_t code = 0;
    memcpy(other, req_body, sizeof other);
    other[3] ^= 1;
    q2 = request(2, url, x7_view_of(other, sizeof other), 0, "Content-Type",
                 "application/octet-stream");
    c = open_live("bin.json", X7_RR_REPLAY);
    assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q2), &d));
    assert_x7_ok(x7_net_err_err_code_v1(x7_bytes_view(&d), &code));
    assert_int_equal(code, X7_NET_ERR_NO_RECORDING);
    x7_bytes_free(&d);
    x7_bytes_free(&q2);
    x7_cassette_free(c);
  }
  x7_bytes_free(&q);
  x7_bytes_free(&rec);
  x7_bytes_free(&body);
  x7_bytes_free(&hv);
}

static const char det_resp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    "Content-Length: 13\r\nConnection: close\r\n\r\n{\"ok\": true}\n";

static void rerecording_should_give_identical_bytes(void **state) {
  struct x7t_raw *s = NULL;
  char url[256];
  uint8_t *a, *b;
  size_t na, nb;
  (void)state;
  assert_int_equal(
      x7t_raw_server_start(X7T_RAW_SCRIPTED, det_resp, sizeof det_resp - 1, &s),
      X7T_PEER_OK);
  assert_int_equal(x7t_raw_url(s, "/v1/items?b=2&a=1", url, sizeof url),
                   X7T_PEER_OK);
  for (int k = 0; k < 2; k++) {
    struct x7_cassette *c =
        open_live(k ? "det-b.json" : "det-a.json", X7_RR_REWRITE);
    for (int i = 0; i < 3; i++) {
      struct x7_bytes q = request(i == 1 ? 2 : 1, url,
                                  i == 1 ? x7_view_str("{\"q\":1}")
                                         : x7_view_of(NULL, 0),
                                  0, NULL, NULL),
                      d;
      assert_x7_ok(x7_cassette_fetch_v1(c, x7_bytes_view(&q), &d));
      x7_bytes_free(&q);
      x7_bytes_free(&d);
    }
    assert_x7_ok(x7_cassette_save(c));
    x7_cassette_free(c);
  }
  x7t_raw_stop(s);
  a = slurp("det-a.json", &na);
  b = slurp("det-b.json", &nb);
  assert_int_equal(na, nb);
  assert_memory_equal(a, b, na);
  free(a);
  free(b);
}

/* ------------------------------------------------------------------ */
/* the environment switches, through a program unaware of cassettes     */

/* Run rr_prog with env assignments; stdout into *out (malloc'd), stderr
 * into *err; returns the exit status. */
static int prog(const char *envs, const char *args, char **out, char **err) {
  char cmd[4096];
  FILE *p;
  size_t n = 0, cap = 1 << 16;
  int st;
  size_t en;
  snprintf(cmd, sizeof cmd, "env %s %s %s 2>prog.err", envs, X7T_RR_PROG, args);
  p = popen(cmd, "r");
  assert_non_null(p);
  *out = malloc(cap);
  for (en = fread(*out, 1, cap - 1, p); en > 0;
       en = fread(*out + n, 1, cap - n - 1, p))
    n += en;
  (*out)[n] = 0;
  st = pclose(p);
  *err = (char *)slurp("prog.err", &en);
  st = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  if (st != 0 && st != 3)
    print_error("%s\nexit %d, stderr:\n%s\n", cmd, st, *err);
  return st;
}

static void env_should_record_then_replay_without_the_server(void **state) {
  struct x7t_nginx *n = nginx_start();
  char u1[256], u2[256], u3[256], args[1024], envs[1024];
  char *out_live, *out_rec, *out_rep, *err;
  char cas[X7T_PATH_MAX + 32];
  (void)state;
  snprintf(cas, sizeof cas, "%s/env.json", env.tmp);
  url_of(n, "http", "/hello.txt", u1);
  url_of(n, "http", "/1k", u2);
  url_of(n, "https", "/1k", u3);
  snprintf(args, sizeof args, "%s %s %s", u1, u2, u3);

  /* off: straight to the transport */
  snprintf(envs, sizeof envs, "X07_NET_CASSETTE=%s X07_NET_RR_MODE=off", cas);
  assert_int_equal(prog(envs, args, &out_live, &err), 0);
  assert_non_null(strstr(out_live, "live 01"));
  assert_int_not_equal(access(cas, F_OK), 0);
  free(err);

  /* record: the program sees exactly what live gave it */
  snprintf(envs, sizeof envs,
           "X07_NET_CASSETTE=%s X07_NET_RR_MODE=record X07_NET_BACKEND=live",
           cas);
  assert_int_equal(prog(envs, args, &out_rec, &err), 0);
  assert_non_null(strstr(out_rec, "record 01"));
  free(err);
  x7t_nginx_stop(n);

  /* replay (the default mode), server gone */
  snprintf(envs, sizeof envs, "X07_NET_CASSETTE=%s", cas);
  assert_int_equal(prog(envs, args, &out_rep, &err), 0);
  free(err);
  {
    /* identical docs, line by line, apart from the backend name */
    const char *a = out_rec, *b = out_rep;
    for (int line = 0; line < 3; line++) {
      const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
      const char *sa = strchr(a, ' '), *sb = strchr(b, ' ');
      assert_non_null(ea);
      assert_non_null(eb);
      assert_int_equal(strncmp(b, "cassette ", 9), 0);
      assert_int_equal(ea - sa, eb - sb);
      assert_memory_equal(sa, sb, (size_t)(ea - sa));
      a = ea + 1;
      b = eb + 1;
    }
  }
  free(out_live);
  free(out_rec);
  free(out_rep);

  /* a miss: error doc 9 and the report on stderr */
  snprintf(envs, sizeof envs, "X07_NET_CASSETTE=%s", cas);
  snprintf(args, sizeof args,
           "-H 'Authorization:Bearer ENVCANARY12345' "
           "%s?new=1",
           u1);
  assert_int_equal(prog(envs, args, &out_rep, &err), 0);
  assert_non_null(strstr(out_rep, "cassette 000900000000000000\n"));
  assert_non_null(
      strstr(err, "x7net cassette: no recorded interaction for GET"));
  assert_non_null(strstr(err, "would match with the query matcher off"));
  assert_null(strstr(err, "ENVCANARY"));
  free(out_rep);
  free(err);

  /* the JSON report can go to a file */
  snprintf(envs, sizeof envs,
           "X07_NET_CASSETTE=%s X07_NET_RR_REPORT=%s/miss.jsonl", cas, env.tmp);
  assert_int_equal(prog(envs, args, &out_rep, &err), 0);
  {
    size_t mn;
    char mp[X7T_PATH_MAX + 32];
    uint8_t *m;
    snprintf(mp, sizeof mp, "%s/miss.jsonl", env.tmp);
    m = slurp(mp, &mn);
    assert_non_null(m);
    assert_non_null(strstr((char *)m, "\"state\":\"never_recorded\""));
    free(m);
  }
  free(out_rep);
  free(err);

  /* a truncated cassette fails loudly with file:offset, never goes live */
  {
    size_t fn;
    uint8_t *f = slurp(cas, &fn);
    assert_int_equal(x7t_write_file(cas, f, fn / 2), X7T_PEER_OK);
    free(f);
    snprintf(envs, sizeof envs, "X07_NET_CASSETTE=%s X07_NET_RR_MODE=%s", cas,
             "record_missing");
    snprintf(args, sizeof args, "%s", u1);
    assert_int_equal(prog(envs, args, &out_rep, &err), 3);
    {
      char want[X7T_PATH_MAX + 64];
      snprintf(want, sizeof want, "X07_NET_CASSETTE: %s:%zu: truncated", cas,
               fn / 2);
      if (!strstr(err, want)) fail_msg("stderr: %s", err);
      assert_non_null(strstr(err, "X7_ECASSETTE_FORMAT"));
    }
    free(out_rep);
    free(err);
  }

  /* an unknown mode is an error, not "off" */
  snprintf(envs, sizeof envs, "X07_NET_CASSETTE=%s X07_NET_RR_MODE=bogus", cas);
  assert_int_equal(prog(envs, args, &out_rep, &err), 3);
  assert_non_null(strstr(err, "X07_NET_RR_MODE='bogus'"));
  free(out_rep);
  free(err);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(
          record_should_replay_identically_with_the_server_stopped),
      cmocka_unit_test(errors_should_be_recorded_as_errors),
      cmocka_unit_test(binary_bodies_should_roundtrip_both_ways),
      cmocka_unit_test(rerecording_should_give_identical_bytes),
      cmocka_unit_test(env_should_record_then_replay_without_the_server),
  };
  return cmocka_run_group_tests_name("be_record", tests, group_setup,
                                     group_teardown);
}
