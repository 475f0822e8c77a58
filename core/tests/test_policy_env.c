/* test_policy_env.c - the environment contract (workflow spec §4.5):
 * writer, reader, round trip, defaults and the sandbox switch. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <x7/net.h>

#include "policy_int.h"
#include "x7_test.h"

#define MAX_VARS 128

/* Split a "K=V\0K=V\0" block into a NULL-terminated envp (pointers into
 * the block). */
static size_t split_env(struct x7_bytes *b, const char **envp) {
  size_t n = 0, pos = 0;
  while (pos < b->len) {
    assert_true(n < MAX_VARS - 1);
    envp[n++] = (const char *)b->ptr + pos;
    pos += strlen((const char *)b->ptr + pos) + 1;
  }
  assert_int_equal(pos, b->len); /* ends with a NUL */
  envp[n] = NULL;
  return n;
}

static const char *find(const char *const *envp, const char *key) {
  size_t kn = strlen(key);
  for (; *envp; envp++)
    if (strncmp(*envp, key, kn) == 0 && (*envp)[kn] == '=') return *envp + kn + 1;
  return NULL;
}

static struct x7_policy *derived_policy(void) {
  struct x7_bytes t = {0}, j = {0}, n = {0}, err = {0};
  struct x7_policy_overrides ov;
  struct x7_policy *p = NULL;
  const char *allow[] = {"Example.com:443,80", "[::1]:8080",
                         "10.0.0.0/8:5432"};
  const char *rr[] = {"/data"};
  assert_x7_ok(x7_policy_template_http_client(&t));
  memset(&ov, 0, sizeof ov);
  ov.allow_hosts = allow;
  ov.allow_hosts_len = 3;
  ov.allow_read_roots = rr;
  ov.allow_read_roots_len = 1;
  assert_x7_ok(x7_policy_derive(x7_bytes_view(&t), "/base.json", &ov, &j, &n,
                                &err));
  assert_x7_ok(x7_policy_parse(x7_bytes_view(&j), "derived", &p, &err));
  x7_bytes_free(&t);
  x7_bytes_free(&j);
  x7_bytes_free(&n);
  return p;
}

static void writer_should_follow_the_runner(void **state) {
  struct x7_policy *p = derived_policy();
  struct x7_bytes env = {0};
  const char *envp[MAX_VARS];
  size_t n;
  (void)state;
  assert_x7_ok(x7_policy_env_write(p, &env));
  n = split_env(&env, envp);
  /* X07_WORLD, X07_OS_SANDBOXED, then the 80 policy variables */
  assert_int_equal(n, 2 + X7__PF_COUNT);
  assert_string_equal(envp[0], "X07_WORLD=run-os-sandboxed");
  assert_string_equal(envp[1], "X07_OS_SANDBOXED=1");
  assert_string_equal(envp[2], "X07_OS_FS=1");
  assert_string_equal(envp[n - 1],
                      "X07_OS_NET_ALLOW_HOSTS=10.0.0.0/8:5432;::1:8080;"
                      "example.com:80,443");
  assert_string_equal(find(envp, "X07_OS_NET"), "1");
  assert_string_equal(find(envp, "X07_OS_NET_ALLOW_UDP"), "0");
  assert_string_equal(find(envp, "X07_OS_FS_READ_ROOTS"), ".;/data");
  assert_string_equal(find(envp, "X07_OS_FS_WRITE_ROOTS"), "out");
  assert_string_equal(find(envp, "X07_OS_FS_MAX_WRITE_BYTES"), "268435456");
  assert_string_equal(find(envp, "X07_OS_TIME_MAX_SLEEP_MS"), "5000");
  assert_string_equal(find(envp, "X07_OS_THREADS_MAX_QUEUE"), "1024");
  assert_string_equal(find(envp, "X07_OS_PROC_MAX_STDIN_BYTES"), "1048576");
  assert_string_equal(find(envp, "X07_OS_ENV_ALLOW_KEYS"), "");
  /* no db section: the runner's serde defaults */
  assert_string_equal(find(envp, "X07_OS_DB"), "0");
  assert_string_equal(find(envp, "X07_OS_DB_MAX_ROWS"), "0");
  assert_string_equal(find(envp, "X07_OS_DB_NET_REQUIRE_TLS"), "1");
  assert_string_equal(find(envp, "X07_OS_DB_NET_ALLOW_PORTS"), "");
  x7_bytes_free(&env);
  x7_policy_free(p);
}

static void env_should_round_trip(void **state) {
  struct x7_policy *p = derived_policy(), *q = NULL;
  struct x7_bytes e1 = {0}, e2 = {0};
  const char *envp[MAX_VARS];
  (void)state;
  assert_x7_ok(x7_policy_env_write(p, &e1));
  split_env(&e1, envp);
  assert_x7_ok(x7_policy_env_read(envp, &q));
  assert_true(x7_policy_is_sandboxed(q));
  assert_string_equal(x7_policy_id(q), ""); /* not in the environment */
  assert_x7_ok(x7_policy_env_write(q, &e2));
  assert_bytes_eq(e1, x7_bytes_view(&e2));
  /* the decisions agree too */
  for (int k = 0; k < 2; k++) {
    const struct x7_policy *x = k ? q : p;
    int ok = 0;
    assert_x7_ok(x7_policy_check(x, X7_POLICY_HTTP, "EXAMPLE.com", 443, NULL,
                                 0, &ok));
    assert_true(ok);
    assert_x7_ok(x7_policy_check(x, X7_POLICY_HTTP, "example.org", 443, NULL,
                                 0, &ok));
    assert_false(ok);
    assert_x7_ok(x7_policy_check(x, X7_POLICY_TCP_CONNECT, "10.9.8.7", 5432,
                                 NULL, 0, &ok));
    assert_true(ok);
  }
  x7_bytes_free(&e1);
  x7_bytes_free(&e2);
  x7_policy_free(p);
  x7_policy_free(q);
}

static void reader_should_default_to_deny(void **state) {
  const char *envp[] = {"X07_OS_SANDBOXED=1", "X07_OS_NET=true",
                        "X07_OS_FS=1", "X07_OS_TIME_MAX_SLEEP_MS=12x",
                        "X07_OS_THREADS_MAX_WORKERS=7", NULL};
  struct x7_policy *p = NULL;
  (void)state;
  assert_x7_ok(x7_policy_env_read(envp, &p));
  assert_true(x7_policy_is_sandboxed(p));
  assert_int_equal(p->f[X7__PF_NET].num, 0); /* only "1" is true */
  assert_int_equal(p->f[X7__PF_FS].num, 1);
  assert_int_equal(p->f[X7__PF_THREADS].num, 1);
  assert_int_equal(p->f[X7__PF_DENY_HIDDEN].num, 1);
  assert_int_equal(p->f[X7__PF_THREADS_MAX_BLOCKING].num, 4);
  assert_int_equal(p->f[X7__PF_THREADS_MAX_QUEUE].num, 1024);
  assert_int_equal(p->f[X7__PF_THREADS_MAX_WORKERS].num, 7);
  assert_int_equal(p->f[X7__PF_TIME_MAX_SLEEP_MS].num, 0);
  assert_int_equal(p->f[X7__PF_NET_ALLOW_DNS].num, 0);
  assert_null(p->f[X7__PF_NET_ALLOW_HOSTS].str);
  x7_policy_free(p);
}

static void reader_should_decide_the_world(void **state) {
  const char *os[] = {"X07_WORLD=run-os", NULL};
  const char *half[] = {"X07_WORLD=run-os-sandboxed", NULL};
  const char *loose[] = {"X07_OS_SANDBOXED=yes", NULL};
  const char *none[] = {NULL};
  struct x7_policy *p = NULL;
  struct x7_bytes env = {0};
  (void)state;
  assert_x7_ok(x7_policy_env_read(os, &p));
  assert_false(x7_policy_is_sandboxed(p));
  assert_x7_ok(x7_policy_env_write(p, &env));
  assert_int_equal(env.len, strlen("X07_WORLD=run-os") + 1);
  assert_string_equal((const char *)env.ptr, "X07_WORLD=run-os");
  x7_bytes_free(&env);
  x7_policy_free(p);
  /* the world name alone fails closed, as the runtime did */
  assert_x7_ok(x7_policy_env_read(half, &p));
  assert_true(x7_policy_is_sandboxed(p));
  x7_policy_free(p);
  assert_x7_ok(x7_policy_env_read(loose, &p));
  assert_false(x7_policy_is_sandboxed(p));
  x7_policy_free(p);
  assert_x7_ok(x7_policy_env_read(none, &p));
  assert_false(x7_policy_is_sandboxed(p));
  x7_policy_free(p);
  assert_x7_result(X7_EINVAL, x7_policy_env_read(none, NULL));
  assert_x7_result(X7_EINVAL, x7_policy_env_write(NULL, &env));
  assert_x7_result(X7_EINVAL, x7_policy_env_write(p, NULL));
}

static void reader_should_take_the_process_environment(void **state) {
  struct x7_policy *p = NULL;
  (void)state;
  setenv("X07_OS_SANDBOXED", "1", 1);
  setenv("X07_OS_NET_ALLOW_HOSTS", "a.test:1", 1);
  assert_x7_ok(x7_policy_env_read(NULL, &p));
  assert_true(x7_policy_is_sandboxed(p));
  assert_string_equal(p->f[X7__PF_NET_ALLOW_HOSTS].str, "a.test:1");
  x7_policy_free(p);
  unsetenv("X07_OS_SANDBOXED");
  unsetenv("X07_OS_NET_ALLOW_HOSTS");
  assert_x7_ok(x7_policy_env_read(NULL, &p));
  assert_false(x7_policy_is_sandboxed(p));
  x7_policy_free(p);
}

static void env_should_fail_cleanly_without_memory(void **state) {
  struct x7_policy *p = derived_policy();
  struct x7_bytes e = {0};
  const char *envp[MAX_VARS];
  (void)state;
  assert_x7_ok(x7_policy_env_write(p, &e));
  split_env(&e, envp);
  for (long fail_at = 1;; fail_at++) {
    struct x7_policy *q = NULL;
    struct x7_bytes out = {0};
    x7_result r;
    x7t_failalloc_install(fail_at);
    r = x7_policy_env_read(envp, &q);
    if (r == X7_OK) r = x7_policy_env_write(q, &out);
    x7_policy_free(q);
    x7_bytes_free(&out);
    x7t_failalloc_remove();
    if (r == X7_OK) break;
    assert_int_equal(r, X7_ENOMEM);
    assert_int_equal(x7t_failalloc_live(), 0);
  }
  x7_bytes_free(&e);
  x7_policy_free(p);
}

/* The child side: started with only the variables the writer produced.
 * Exit 0 when the process is sandboxed exactly as asked (or, with
 * "--child-os", not at all). */
static int child(int want_sandbox) {
  struct x7_bytes addr = {0}, caps = {0}, out = {0};
  struct x7_policy_denial d;
  int ok = -1;
  if (x7_policy_process_sandboxed() != want_sandbox) return 10;
  if (x7_net_codec_caps_default_v1(&caps) ||
      x7_net_codec_addr_dns_v1(x7_view_str("not-listed.test"), 80, &addr))
    return 11;
  if (want_sandbox) {
    /* denied by name: no DNS query, no socket, code 1 */
    if (x7_net_tcp_connect_v1(x7_bytes_view(&addr), x7_bytes_view(&caps),
                              &out) ||
        out.len != 9 || out.ptr[0] != 0 || out.ptr[1] != 1)
      return 12;
    if (x7_policy_last_denial(&d) || strcmp(d.rule, "not-allowed") ||
        strcmp(d.host, "not-listed.test") || d.port != 80)
      return 13;
    /* and the listed destination is allowed */
    if (x7_policy_check(NULL, X7_POLICY_HTTP, "example.com", 443, NULL, 0,
                        &ok) ||
        ok != 1)
      return 14;
  } else if (x7_policy_check(NULL, X7_POLICY_HTTP, "not-listed.test", 1,
                             NULL, 0, &ok) ||
             ok != 1) {
    return 15;
  }
  x7_bytes_free(&addr);
  x7_bytes_free(&caps);
  x7_bytes_free(&out);
  return 0;
}

static int run_child(const char *const *envp, const char *mode) {
  pid_t pid = fork();
  int st = 0;
  assert_true(pid >= 0);
  if (pid == 0) {
    char *argv[] = {(char *)"test_policy_env", (char *)mode, NULL};
    execve("/proc/self/exe", argv, (char *const *)envp);
    _exit(99);
  }
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  return WEXITSTATUS(st);
}

static void program_should_obey_the_variables_it_starts_with(void **state) {
  struct x7_policy *p = derived_policy();
  struct x7_bytes e = {0};
  const char *envp[MAX_VARS];
  const char *os_env[] = {"X07_WORLD=run-os", NULL};
  (void)state;
  assert_x7_ok(x7_policy_env_write(p, &e));
  split_env(&e, envp);
  assert_int_equal(run_child(envp, "--child"), 0);
  /* the same variables without X07_OS_SANDBOXED and X07_WORLD: os */
  assert_int_equal(run_child(envp + 2, "--child-os"), 0);
  assert_int_equal(run_child(os_env, "--child-os"), 0);
  x7_bytes_free(&e);
  x7_policy_free(p);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(writer_should_follow_the_runner),
      cmocka_unit_test(env_should_round_trip),
      cmocka_unit_test(reader_should_default_to_deny),
      cmocka_unit_test(reader_should_decide_the_world),
      cmocka_unit_test(reader_should_take_the_process_environment),
      cmocka_unit_test(env_should_fail_cleanly_without_memory),
      cmocka_unit_test(program_should_obey_the_variables_it_starts_with),
  };
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child(1);
  if (argc > 1 && strcmp(argv[1], "--child-os") == 0) return child(0);
  return cmocka_run_group_tests_name("policy_env", tests, NULL, NULL);
}
