/* test_backend.c - the backend registry: registration rules, selection
 * order (API > X07_NET_BACKEND > default), freezing, global_init once. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>

#include <x7/x7_backend.h>

#include "backend_int.h"
#include "x7_test.h"

static int init_calls;
static x7_result init_result;

static x7_result mock_init(void) {
  init_calls++;
  return init_result;
}

static x7_result mock_fetch(const struct x7_http_fetch *req,
                            struct x7_bytes *presp) {
  (void)req;
  presp->ptr = NULL;
  presp->len = 0;
  return X7_OK;
}

static const struct x7_backend_ops mock_a = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock-a",
    .caps = X7_BACKEND_CAP_HTTP | X7_BACKEND_CAP_HERMETIC,
    .global_init = mock_init,
    .http_fetch = mock_fetch,
};

static const struct x7_backend_ops mock_b = {
    .version = X7_BACKEND_OPS_V1,
    .name = "mock-b",
    .caps = 0, /* no HTTP: the core fills http_fetch with a default */
};

static int setup(void **state) {
  (void)state;
  x7__backend_reset_for_tests();
  unsetenv("X07_NET_BACKEND");
  init_calls = 0;
  init_result = X7_OK;
  return 0;
}

static void register_should_validate_ops(void **state) {
  struct x7_backend_ops o = mock_a;
  (void)state;
  assert_x7_result(X7_EINVAL, x7_backend_register(NULL));
  o.name = "";
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  o.name = "Upper";
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  o.name = "a-name-that-is-far-too-long-to-be-ok";
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  o.name = NULL;
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  o = mock_a;
  o.version = 0;
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  o.version = X7_BACKEND_OPS_MAX + 1;
  assert_x7_result(X7_ENOTSUPPORTED, x7_backend_register(&o));
  o = mock_a;
  o.http_fetch = NULL; /* CAP_HTTP promises a fetch */
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_result(X7_EEXIST, x7_backend_register(&mock_a));
}

static void register_should_stop_when_full(void **state) {
  static char names[32][8];
  static struct x7_backend_ops ops[32];
  x7_result r = X7_OK;
  int added = 0;
  (void)state;
  for (int i = 0; i < 32 && r == X7_OK; i++) {
    snprintf(names[i], sizeof names[i], "b%d", i);
    ops[i] = mock_b;
    ops[i].name = names[i];
    r = x7_backend_register(&ops[i]);
    if (r == X7_OK) added++;
  }
  assert_x7_result(X7_ERANGE, r);
  assert_true(added >= 8 && added < 32);
}

static void selection_should_prefer_api_over_env(void **state) {
  const char *name = NULL;
  (void)state;
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_ok(x7_backend_register(&mock_b));
  assert_string_equal(x7_backend_names() + strlen(x7_backend_names()) -
                          strlen("mock-a,mock-b"),
                      "mock-a,mock-b");
  setenv("X07_NET_BACKEND", "mock-b", 1);
  assert_x7_ok(x7_backend_select("MOCK-A")); /* names are case-insensitive */
  assert_x7_ok(x7_backend_current(&name));
  assert_string_equal(name, "mock-a");
}

static void selection_should_use_env_without_api(void **state) {
  const char *name = NULL;
  (void)state;
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_ok(x7_backend_register(&mock_b));
  setenv("X07_NET_BACKEND", "mock-b", 1);
  assert_x7_ok(x7_backend_current(&name));
  assert_string_equal(name, "mock-b");
}

static void selection_should_explain_unknown_names(void **state) {
  const char *name = (const char *)1;
  (void)state;
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_result(X7_ENOTFOUND, x7_backend_select("nope"));
  assert_non_null(strstr(x7_backend_errmsg(), "selected backend 'nope'"));
  assert_non_null(strstr(x7_backend_errmsg(), "mock-a"));
  setenv("X07_NET_BACKEND", "nope", 1);
  assert_x7_result(X7_ENOTFOUND, x7_backend_current(&name));
  assert_null(name);
  assert_non_null(strstr(x7_backend_errmsg(), "X07_NET_BACKEND"));
  assert_non_null(strstr(x7_backend_errmsg(), "'nope'"));
  assert_non_null(strstr(x7_backend_errmsg(), "mock-a"));
}

static void selection_should_freeze_on_first_use(void **state) {
  const char *name;
  (void)state;
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_ok(x7_backend_register(&mock_b));
  assert_x7_ok(x7_backend_select("mock-b"));
  assert_x7_ok(x7_backend_current(&name));
  assert_x7_result(X7_ETOOLATE, x7_backend_select("mock-a"));
  assert_x7_ok(x7_backend_select("mock-b")); /* re-selecting is harmless */
  assert_x7_result(X7_ETOOLATE, x7_backend_register(&mock_a));
  setenv("X07_NET_BACKEND", "mock-a", 1); /* too late to matter */
  assert_x7_ok(x7_backend_current(&name));
  assert_string_equal(name, "mock-b");
}

static void default_slots_should_be_filled(void **state) {
  const struct x7_backend_ops *ops = NULL;
  struct x7_bytes resp = {(uint8_t *)1, 1};
  unsigned caps = 99;
  (void)state;
  assert_x7_ok(x7_backend_register(&mock_b));
  assert_x7_ok(x7_backend_select("mock-b"));
  assert_x7_ok(x7__backend_get(&ops));
  assert_non_null(ops->http_fetch);
  assert_x7_result(X7_ENOTSUPPORTED, ops->http_fetch(NULL, &resp));
  assert_null(resp.ptr);
  assert_x7_ok(x7_backend_caps("mock-b", &caps));
  assert_int_equal(caps, 0);
  assert_x7_result(X7_ENOTFOUND, x7_backend_caps("zzz", &caps));
}

static x7_result mock_tls_connect(struct x7_view addr,
                                  const struct x7_tls_client *tls,
                                  const struct x7_sock_caps *caps,
                                  struct x7_bytes *pdoc) {
  (void)addr, (void)tls, (void)caps;
  pdoc->ptr = NULL;
  pdoc->len = 0;
  return X7_OK;
}

static void socket_slots_should_default_and_be_required(void **state) {
  const struct x7_backend_ops *ops = NULL;
  struct x7_backend_ops o = mock_b;
  struct x7_bytes doc = {(uint8_t *)1, 1};
  struct x7_sock_caps caps = {1, 1, 1, 1};
  struct x7_tls_client tls = {0, {NULL, 0}};
  (void)state;
  /* Claiming sockets (or TLS streams) without the ops is refused. */
  o.name = "half";
  o.caps = X7_BACKEND_CAP_SOCKETS;
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  o.caps = X7_BACKEND_CAP_TLS_STREAMS;
  o.tls_connect = mock_tls_connect;
  assert_x7_result(X7_EINVAL, x7_backend_register(&o));
  /* Without the claim, missing ops get the documented defaults. */
  assert_x7_ok(x7_backend_register(&mock_b));
  assert_x7_ok(x7_backend_select("mock-b"));
  assert_x7_ok(x7__backend_get(&ops));
  assert_x7_result(X7_ENOTSUPPORTED,
                   ops->dns_lookup(x7_view_str("x"), 1, &caps, &doc));
  assert_null(doc.ptr);
  assert_x7_result(X7_ENOTSUPPORTED,
                   ops->tls_connect(x7_view_str("x"), &tls, &caps, &doc));
  assert_x7_result(X7_ENOTSUPPORTED,
                   ops->stream_read(1, 1, &caps, &doc));
  assert_x7_result(X7_ENOTSUPPORTED,
                   ops->udp_sendto(1, x7_view_str("x"), x7_view_str("y"),
                                   &caps, &doc));
  assert_int_equal(ops->sock_kind(1), 0);
  assert_int_equal(ops->sock_close(1, X7_SOCK_STREAM), 0);
  assert_int_equal(ops->sock_drop(1, X7_SOCK_STREAM), 0);
  assert_int_equal(ops->stream_shutdown(1, 0), 0);
  assert_non_null(ops->tcp_connect);
  assert_non_null(ops->tcp_listen);
  assert_non_null(ops->tcp_accept);
  assert_non_null(ops->stream_write);
  assert_non_null(ops->stream_wait);
  assert_non_null(ops->udp_bind);
  assert_non_null(ops->udp_recvfrom);
}

static void *get_backend(void *arg) {
  const struct x7_backend_ops *ops = NULL;
  *(x7_result *)arg = x7__backend_get(&ops);
  return NULL;
}

static void global_init_should_run_once_across_threads(void **state) {
  pthread_t t[8];
  x7_result r[8];
  (void)state;
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_ok(x7_backend_select("mock-a"));
  for (int i = 0; i < 8; i++)
    assert_int_equal(pthread_create(&t[i], NULL, get_backend, &r[i]), 0);
  for (int i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    assert_x7_ok(r[i]);
  }
  assert_int_equal(init_calls, 1);
}

static void global_init_failure_should_be_reported(void **state) {
  const char *name;
  (void)state;
  init_result = X7_EINTERNAL;
  assert_x7_ok(x7_backend_register(&mock_a));
  assert_x7_ok(x7_backend_select("mock-a"));
  assert_x7_result(X7_EINTERNAL, x7_backend_current(&name));
  assert_non_null(strstr(x7_backend_errmsg(), "mock-a"));
  /* A later call tries again: a transient failure is not sticky. */
  init_result = X7_OK;
  assert_x7_ok(x7_backend_current(&name));
  assert_int_equal(init_calls, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(register_should_validate_ops, setup),
      cmocka_unit_test_setup(register_should_stop_when_full, setup),
      cmocka_unit_test_setup(selection_should_prefer_api_over_env, setup),
      cmocka_unit_test_setup(selection_should_use_env_without_api, setup),
      cmocka_unit_test_setup(selection_should_explain_unknown_names, setup),
      cmocka_unit_test_setup(selection_should_freeze_on_first_use, setup),
      cmocka_unit_test_setup(default_slots_should_be_filled, setup),
      cmocka_unit_test_setup(socket_slots_should_default_and_be_required,
                             setup),
      cmocka_unit_test_setup(global_init_should_run_once_across_threads, setup),
      cmocka_unit_test_setup(global_init_failure_should_be_reported, setup),
  };
  return cmocka_run_group_tests_name("backend", tests, NULL, NULL);
}
