/* test_be_live_tls.c - std.net.tls.connect_v1 on the live backend (spec
 * §5.7) against loopback peers with a throw-away CA: nginx (good cert,
 * wrong name, untrusted CA; it echoes the SNI it saw) and openssl s_server
 * (a peer that dies without close_notify).  Skips when nginx or the
 * openssl CLI is missing. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <x7/net.h>

#include "backend_int.h"
#include "be_live_sock_int.h"
#include "core_int.h"
#include "peer.h"
#include "x7_test.h"

#define ERR2 "000200000000000000"
#define ERR3 "000300000000000000"
#define ERR5 "000500000000000000"
#define ERR6 "000600000000000000"
#define ERR7 "000700000000000000"

static const struct x7_view none = {NULL, 0};

/* nginx answers /sni with the server name the client sent ("" if none). */
static const char sni_location[] =
    "    location = /sni { default_type text/plain;"
    " return 200 \"sni=$ssl_server_name\\n\"; }\n";

struct env {
  struct x7t_pki *pki;
  struct x7t_nginx *ng;
  int pki_rc, ng_rc;
  char pki_err[1024], ng_err[1024];
  long fds;
};

static struct env env;

/* ------------------------------------------------------------------ */
/* helpers                                                             */

static long count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  long n = 0;
  assert_non_null(d);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void need_nginx(void) {
  if (env.pki_rc == X7T_PEER_MISSING || env.ng_rc == X7T_PEER_MISSING)
    skip();
  if (env.pki_rc != X7T_PEER_OK) fail_msg("pki: %s", env.pki_err);
  if (env.ng_rc != X7T_PEER_OK) fail_msg("nginx: %s", env.ng_err);
}

static int port_of(const char *kind) {
  int p = x7t_nginx_port(env.ng, kind);
  assert_true(p > 0);
  return p;
}

static struct x7_bytes addr4(int port) {
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, port, &a));
  return a;
}

static struct x7_bytes addr_name(const char *name, int port) {
  struct x7_bytes a = {0};
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str(name), port, &a));
  return a;
}

static struct x7_bytes cfg(int vp, const char *sni) {
  struct x7_bytes c = {0};
  assert_x7_ok(x7_net_tls_client_cfg_v1(vp, x7_view_str(sni), &c));
  assert_non_null(c.ptr);
  return c;
}

static struct x7_bytes caps(int32_t ct, int32_t io) {
  struct x7_bytes c = {0};
  assert_x7_ok(x7_net_codec_caps_v1(ct, io, 0, 0, &c));
  return c;
}

/* tls.connect_v1; returns the doc (caller frees). */
static struct x7_bytes tls_connect(struct x7_bytes addr, struct x7_bytes c,
                                   struct x7_view cp) {
  struct x7_bytes d = {0};
  assert_x7_ok(
      x7_net_tls_connect_v1(x7_bytes_view(&addr), x7_bytes_view(&c), cp, &d));
  x7_bytes_free(&addr);
  x7_bytes_free(&c);
  return d;
}

static int32_t handle_of(struct x7_bytes *d) {
  int32_t h = 0;
  if (d->len != 8 || d->ptr[0] != 1) {
    int32_t code = 0;
    (void)x7_net_err_err_code_v1(x7_bytes_view(d), &code);
    fail_msg("tls connect failed: %zu bytes, code %d", d->len, code);
  }
  assert_x7_ok(x7_net_tls_connect_stream_handle_v1(x7_bytes_view(d), &h));
  assert_true(h >= 1);
  x7_bytes_free(d);
  return h;
}

/* Send an HTTP/1.0 GET and read the stream to its clean end; returns the
 * response (caller frees) and checks the end was an ok empty payload. */
static char *http_get(int32_t h, const char *path) {
  char req[256];
  struct x7_bytes d = {0};
  size_t len = 0;
  char *out = NULL;
  snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n",
           path);
  assert_x7_ok(x7_net_io_write_all_v1(h, x7_view_str(req), none, &d));
  assert_int_equal(d.len, 8);
  assert_int_equal(x7__rd32(d.ptr + 4), strlen(req));
  x7_bytes_free(&d);
  for (;;) {
    struct x7_bytes p = {0};
    assert_x7_ok(x7_net_tcp_stream_read_v1(h, 4096, none, &d));
    if (d.len < 8 || d.ptr[0] != 1) fail_msg("read failed (%zu)", d.len);
    assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_bytes_view(&d), &p));
    if (p.len == 0) {
      /* close_notify: ok with an empty payload */
      assert_bytes_hex(d, "0101000000000000");
      x7_bytes_free(&d);
      break;
    }
    out = realloc(out, len + p.len + 1);
    memcpy(out + len, p.ptr, p.len);
    len += p.len;
    out[len] = '\0';
    x7_bytes_free(&p);
    x7_bytes_free(&d);
  }
  assert_non_null(out);
  return out;
}

static void expect_sni(int32_t h, const char *want) {
  char *resp = http_get(h, "/sni"), line[128];
  int32_t v;
  snprintf(line, sizeof line, "\r\n\r\nsni=%s\n", want);
  if (!strstr(resp, line)) fail_msg("want '%s' in:\n%s", want, resp);
  assert_non_null(strstr(resp, "HTTP/1.1 200"));
  free(resp);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(h, &v));
  assert_int_equal(v, 1);
}

static void expect_err(struct x7_bytes d, const char *hex) {
  assert_bytes_hex(d, hex);
  x7_bytes_free(&d);
}

/* ------------------------------------------------------------------ */
/* fixture                                                             */

static int group_setup(void **state) {
  struct x7t_nginx_opts o;
  (void)state;
  unsetenv("SSL_CERT_FILE");
  unsetenv("SSL_CERT_DIR");
  unsetenv("X07_NET_CA_FILE");
  if (x7_backend_select("live") != X7_OK) return -1;
  env.ng_rc = X7T_PEER_ERR;
  env.pki_rc = x7t_pki_new(&env.pki);
  snprintf(env.pki_err, sizeof env.pki_err, "%s", x7t_peer_error());
  if (env.pki_rc == X7T_PEER_OK) {
    setenv("X07_NET_CA_FILE", env.pki->ca_cert, 1);
    memset(&o, 0, sizeof o);
    o.pki = env.pki;
    o.with_wrong = 1;
    o.with_untrusted = 1;
    o.extra_server_conf = sni_location;
    env.ng_rc = x7t_nginx_start(&o, &env.ng);
    snprintf(env.ng_err, sizeof env.ng_err, "%s", x7t_peer_error());
  }
  env.fds = count_fds();
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  x7t_nginx_stop(env.ng);
  x7t_pki_free(env.pki);
  return 0;
}

static long fds_before;

static int setup(void **state) {
  (void)state;
  setenv("X07_NET_CA_FILE", env.pki ? env.pki->ca_cert : "", 1);
  fds_before = count_fds();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (int32_t h = 1; h <= X7_SOCK_HANDLES_MAX; h++) {
    int32_t v;
    (void)x7_net_tcp_stream_drop_v1(h, &v);
  }
  if (x7__handles_count(&x7__live_socks) != 0) return -1;
  if (count_fds() != fds_before) {
    fprintf(stderr, "descriptor leak: %ld before, %ld after\n", fds_before,
            count_fds());
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */

static void dns_names_should_be_verified_and_sent_as_sni(void **state) {
  struct x7_bytes d;
  (void)state;
  need_nginx();
  /* empty cfg: verify, SNI and host name from the address */
  d = tls_connect(addr_name("localhost", port_of("https")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_sni(handle_of(&d), "localhost");
  /* an explicit SNI on an IP address is sent and verified as a name */
  d = tls_connect(addr4(port_of("https")), cfg(1, "localhost"), none);
  expect_sni(handle_of(&d), "localhost");
}

static void ip_literals_should_be_verified_without_sni(void **state) {
  struct x7_bytes d;
  (void)state;
  need_nginx();
  /* E1: an IP with the default cfg has nothing to verify against */
  d = tls_connect(addr4(port_of("https")), (struct x7_bytes){NULL, 0}, none);
  expect_err(d, ERR2);
  /* an IP as the explicit SNI: checked against the IP SAN, never sent */
  d = tls_connect(addr4(port_of("https")), cfg(1, "127.0.0.1"), none);
  expect_sni(handle_of(&d), "");
  d = tls_connect(addr4(port_of("https")), cfg(1, "[127.0.0.1]"), none);
  expect_sni(handle_of(&d), "");
  /* the wrong IP fails verification */
  d = tls_connect(addr4(port_of("https")), cfg(1, "127.0.0.2"), none);
  expect_err(d, ERR7);
  /* verification off: no name at all */
  d = tls_connect(addr4(port_of("https")), cfg(0, ""), none);
  expect_sni(handle_of(&d), "");
}

static void wrong_names_should_fail_verification(void **state) {
  struct x7_bytes d;
  (void)state;
  need_nginx();
  d = tls_connect(addr_name("localhost", port_of("https-wrong")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_err(d, ERR7);
  d = tls_connect(addr4(port_of("https-wrong")), cfg(1, "127.0.0.1"), none);
  expect_err(d, ERR7);
  /* the name the certificate does carry */
  d = tls_connect(addr4(port_of("https-wrong")), cfg(1, "wrong.test"), none);
  expect_sni(handle_of(&d), "wrong.test");
  /* no partial wildcards, no trailing-dot leniency */
  d = tls_connect(addr4(port_of("https-wrong")), cfg(1, "wrong.test."), none);
  expect_err(d, ERR7);
  /* with verification off anything goes */
  d = tls_connect(addr_name("localhost", port_of("https-wrong")),
                  cfg(0, ""), none);
  expect_sni(handle_of(&d), "localhost");
}

static void untrusted_cas_should_fail_verification(void **state) {
  struct x7_bytes d;
  (void)state;
  need_nginx();
  d = tls_connect(addr_name("localhost", port_of("https-untrusted")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_err(d, ERR7);
  d = tls_connect(addr4(port_of("https-untrusted")), cfg(1, "127.0.0.1"),
                  none);
  expect_err(d, ERR7);
  d = tls_connect(addr4(port_of("https-untrusted")), cfg(0, ""), none);
  expect_sni(handle_of(&d), "");
}

static void trust_should_come_from_the_environment(void **state) {
  struct x7_bytes d;
  (void)state;
  need_nginx();
  /* no X07_NET_CA_FILE: OpenSSL's defaults, which honour SSL_CERT_FILE */
  unsetenv("X07_NET_CA_FILE");
  setenv("SSL_CERT_FILE", env.pki->ca_cert, 1);
  d = tls_connect(addr_name("localhost", port_of("https")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_sni(handle_of(&d), "localhost");
  /* X07_NET_CA_FILE is the only bundle when set */
  setenv("X07_NET_CA_FILE", env.pki->untrusted_ca_cert, 1);
  d = tls_connect(addr_name("localhost", port_of("https")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_err(d, ERR7);
  d = tls_connect(addr_name("localhost", port_of("https-untrusted")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_sni(handle_of(&d), "localhost");
  setenv("X07_NET_CA_FILE", "/nonexistent/ca.pem", 1);
  d = tls_connect(addr_name("localhost", port_of("https")),
                  (struct x7_bytes){NULL, 0}, none);
  expect_err(d, ERR7);
  unsetenv("SSL_CERT_FILE");
}

static void tls_handles_should_work_with_stream_calls(void **state) {
  struct x7_bytes d, r = {0};
  const char *req = "GET /sni HTTP/1.0\r\nHost: localhost\r\n\r\n";
  int32_t h, v;
  (void)state;
  need_nginx();
  d = tls_connect(addr4(port_of("https")), cfg(1, "localhost"), none);
  h = handle_of(&d);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(h, 2, 1000, &r));
  assert_bytes_hex(r, "0101000002000000");
  x7_bytes_free(&r);
  assert_x7_ok(x7_net_tcp_stream_shutdown_v1(h, 1, &v));
  assert_int_equal(v, 0); /* TLS streams cannot be half-closed */
  /* a TLS write is all or nothing */
  assert_x7_ok(x7_net_tcp_stream_write_v1(h, x7_view_str(req), none, &r));
  assert_int_equal(r.len, 8);
  assert_int_equal(x7__rd32(r.ptr + 4), strlen(req));
  x7_bytes_free(&r);
  /* read one byte; the rest of the record is then pending inside
   * OpenSSL, invisible to poll(), and wait must still say readable */
  assert_x7_ok(x7_net_tcp_stream_wait_v1(h, 1, 5000, &r));
  assert_bytes_hex(r, "0101000001000000");
  x7_bytes_free(&r);
  assert_x7_ok(x7_net_tcp_stream_read_v1(h, 1, none, &r));
  assert_bytes_hex(r, "010100000100000048"); /* "H" */
  x7_bytes_free(&r);
  assert_x7_ok(x7_net_tcp_stream_wait_v1(h, 1, 0, &r));
  assert_bytes_hex(r, "0101000001000000");
  x7_bytes_free(&r);
  /* max_bytes 0 is an ok empty payload at once */
  assert_x7_ok(x7_net_tcp_stream_read_v1(h, 0, none, &r));
  assert_bytes_hex(r, "0101000000000000");
  x7_bytes_free(&r);
  /* empty writes are ok(0) */
  assert_x7_ok(x7_net_tcp_stream_write_v1(h, none, none, &r));
  assert_bytes_hex(r, "0101000000000000");
  x7_bytes_free(&r);
  /* close keeps the slot; the handle is then invalid */
  assert_x7_ok(x7_net_tcp_stream_close_v1(h, &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_tcp_stream_read_v1(h, 10, none, &r));
  assert_bytes_hex(r, ERR2);
  x7_bytes_free(&r);
  assert_x7_ok(x7_net_tcp_stream_close_v1(h, &v));
  assert_int_equal(v, 0);
  assert_x7_ok(x7_net_tcp_listener_drop_v1(h, &v));
  assert_int_equal(v, 0); /* not a listener */
  assert_x7_ok(x7_net_tcp_stream_drop_v1(h, &v));
  assert_int_equal(v, 1);
}

static void large_writes_should_go_through_whole(void **state) {
  const size_t body = 300000;
  struct x7_bytes d, r = {0}, c = {0};
  char head[160];
  uint8_t *p = malloc(body);
  int32_t h;
  (void)state;
  need_nginx();
  x7t_pattern_fill(p, body, 0);
  d = tls_connect(addr_name("localhost", port_of("https")),
                  (struct x7_bytes){NULL, 0}, none);
  h = handle_of(&d);
  snprintf(head, sizeof head,
           "POST /sni HTTP/1.0\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
           body);
  assert_x7_ok(x7_net_io_write_all_v1(h, x7_view_str(head), none, &r));
  x7_bytes_free(&r);
  assert_x7_ok(x7_net_codec_caps_v1(0, 0, 0, 1 << 20, &c));
  assert_x7_ok(x7_net_tcp_stream_write_v1(h, x7_view_of(p, body),
                                          x7_bytes_view(&c), &r));
  assert_int_equal(r.len, 8);
  assert_int_equal(x7__rd32(r.ptr + 4), body);
  x7_bytes_free(&r);
  {
    /* the response arrives and ends cleanly */
    struct x7_bytes p2 = {0};
    size_t total = 0;
    for (;;) {
      assert_x7_ok(x7_net_tcp_stream_read_v1(h, 4096, none, &r));
      assert_int_equal(r.ptr[0], 1);
      assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_bytes_view(&r), &p2));
      x7_bytes_free(&r);
      if (!p2.len) break;
      total += p2.len;
      x7_bytes_free(&p2);
    }
    assert_true(total > 0);
  }
  x7_bytes_free(&c);
  free(p);
}

static void handshake_failures_should_have_their_codes(void **state) {
  struct x7t_raw *r = NULL;
  struct x7_bytes c = caps(200, 0), d;
  uint16_t port;
  int64_t t0;
  (void)state;
  need_nginx();
  /* a peer that accepts and never speaks: TIMEOUT after connect_timeout */
  assert_int_equal(x7t_raw_server_start(X7T_RAW_STALL, NULL, 0, &r),
                   X7T_PEER_OK);
  t0 = now_ms();
  d = tls_connect(addr4(x7t_raw_port(r)), cfg(0, ""), x7_bytes_view(&c));
  expect_err(d, ERR3);
  assert_true(now_ms() - t0 >= 190);
  x7t_raw_stop(r);
  /* a peer that resets the connection: TLS */
  assert_int_equal(x7t_raw_server_start(X7T_RAW_RESET, NULL, 0, &r),
                   X7T_PEER_OK);
  d = tls_connect(addr4(x7t_raw_port(r)), cfg(0, ""), none);
  expect_err(d, ERR7);
  /* a plain-text peer: TLS */
  x7t_raw_stop(r);
  d = tls_connect(addr4(port_of("http")), cfg(0, ""), none);
  expect_err(d, ERR7);
  /* nothing listening: CONNECT; a name that cannot resolve: DNS */
  port = x7t_free_port("127.0.0.1");
  d = tls_connect(addr4(port), cfg(0, ""), none);
  expect_err(d, ERR6);
  {
    char name[80];
    memset(name, 'a', 64);
    strcpy(name + 64, ".invalid");
    d = tls_connect(addr_name(name, 443), (struct x7_bytes){NULL, 0}, none);
    expect_err(d, ERR5);
  }
  x7_bytes_free(&c);
}

/* openssl s_server -rev (answers each line reversed) with the good
 * certificate and `extra` options, on a free port.  Skips without the
 * CLI. */
static struct x7t_proc *s_server(const char *const extra[], uint16_t *pport) {
  struct x7t_proc *srv = NULL;
  char accept_arg[32];
  int rc = X7T_PEER_ERR;
  for (int tries = 0; tries < 5 && rc != X7T_PEER_OK; tries++) {
    const char *argv[24] = {env.pki->openssl, "s_server", "-accept",
                            accept_arg, "-cert", env.pki->server_cert,
                            "-key", env.pki->server_key, "-rev", "-quiet"};
    size_t n = 10;
    for (size_t i = 0; extra && extra[i] && n < 23; i++) argv[n++] = extra[i];
    argv[n] = NULL;
    *pport = x7t_free_port("127.0.0.1");
    snprintf(accept_arg, sizeof accept_arg, "127.0.0.1:%u", *pport);
    rc = x7t_proc_spawn(argv, NULL, NULL, &srv);
    if (rc == X7T_PEER_MISSING) skip();
    assert_int_equal(rc, X7T_PEER_OK);
    rc = x7t_wait_port("127.0.0.1", *pport, 5000);
    if (rc != X7T_PEER_OK) {
      x7t_proc_stop(srv, SIGKILL, 1000);
      srv = NULL;
    }
  }
  assert_int_equal(rc, X7T_PEER_OK);
  return srv;
}

/* Killed, s_server closes the socket without close_notify, which must
 * read as TLS(7), not as the end of the stream. */
static void truncation_should_be_a_tls_error(void **state) {
  struct x7t_proc *srv;
  struct x7_bytes d, r = {0};
  uint16_t port = 0;
  int32_t h = 0;
  (void)state;
  need_nginx();
  srv = s_server(NULL, &port);
  d = tls_connect(addr_name("localhost", port), (struct x7_bytes){NULL, 0},
                  none);
  h = handle_of(&d);
  assert_x7_ok(x7_net_io_write_all_v1(h, x7_view_str("hello\n"), none, &r));
  x7_bytes_free(&r);
  {
    char got[64] = {0};
    size_t len = 0;
    while (!strchr(got, '\n')) {
      struct x7_bytes p = {0};
      assert_x7_ok(x7_net_tcp_stream_read_v1(h, 32, none, &r));
      assert_int_equal(r.ptr[0], 1);
      assert_x7_ok(x7_net_tcp_stream_read_payload_v1(x7_bytes_view(&r), &p));
      assert_true(p.len > 0 && len + p.len < sizeof got);
      memcpy(got + len, p.ptr, p.len);
      len += p.len;
      x7_bytes_free(&p);
      x7_bytes_free(&r);
    }
    assert_string_equal(got, "olleh\n");
  }
  x7t_proc_stop(srv, SIGKILL, 2000);
  assert_x7_ok(x7_net_tcp_stream_read_v1(h, 32, none, &r));
  assert_bytes_hex(r, ERR7);
  x7_bytes_free(&r);
}

/* TLS 1.2 is the floor (upstream let OpenSSL negotiate 1.0 and 1.1). */
static void old_protocol_versions_should_be_refused(void **state) {
  static const char *const tls11[] = {"-tls1_1", "-cipher",
                                      "DEFAULT:@SECLEVEL=0", NULL};
  static const char *const tls12[] = {"-tls1_2", NULL};
  struct x7t_proc *srv;
  struct x7_bytes d;
  uint16_t port = 0;
  int32_t v;
  (void)state;
  need_nginx();
  srv = s_server(tls11, &port);
  d = tls_connect(addr4(port), cfg(0, ""), none);
  expect_err(d, ERR7);
  x7t_proc_stop(srv, SIGKILL, 2000);
  srv = s_server(tls12, &port);
  d = tls_connect(addr4(port), cfg(1, "127.0.0.1"), none);
  assert_x7_ok(x7_net_tcp_stream_drop_v1(handle_of(&d), &v));
  assert_int_equal(v, 1);
  x7t_proc_stop(srv, SIGKILL, 2000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          dns_names_should_be_verified_and_sent_as_sni, setup, teardown),
      cmocka_unit_test_setup_teardown(
          ip_literals_should_be_verified_without_sni, setup, teardown),
      cmocka_unit_test_setup_teardown(wrong_names_should_fail_verification,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(untrusted_cas_should_fail_verification,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(trust_should_come_from_the_environment,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          tls_handles_should_work_with_stream_calls, setup, teardown),
      cmocka_unit_test_setup_teardown(large_writes_should_go_through_whole,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          handshake_failures_should_have_their_codes, setup, teardown),
      cmocka_unit_test_setup_teardown(truncation_should_be_a_tls_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(old_protocol_versions_should_be_refused,
                                      setup, teardown),
  };
  return cmocka_run_group_tests_name("be_live_tls", tests, group_setup,
                                     group_teardown);
}
