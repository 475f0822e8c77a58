/* test_policy_json.c - policy files (workflow spec §3.1-§3.3) and derived
 * policies (§4.3): the http-client template byte for byte, the two
 * documented derivations byte for byte, validation with its messages,
 * determinism, atomic writes and allocation failures. */
#define _POSIX_C_SOURCE 200809L
#include <openssl/sha.h>
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

#define BASE_PATH "/proj/.x07/policies/base/http-client.sandbox.base.policy.json"

static void assert_sha256(struct x7_view v, const char *hex) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  char got[2 * SHA256_DIGEST_LENGTH + 1];
  SHA256(v.ptr, v.len, md);
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
    snprintf(got + 2 * i, 3, "%02x", md[i]);
  assert_string_equal(got, hex);
}

static struct x7_bytes template_bytes(void) {
  struct x7_bytes t = {0};
  assert_x7_ok(x7_policy_template_http_client(&t));
  return t;
}

/* s with the first `from` replaced by `to` (malloc'd). */
static char *replace(const char *s, const char *from, const char *to) {
  const char *at = strstr(s, from);
  size_t n = strlen(s) - strlen(from) + strlen(to);
  char *out = malloc(n + 1);
  assert_non_null(at);
  assert_non_null(out);
  memcpy(out, s, (size_t)(at - s));
  strcpy(out + (at - s), to);
  strcat(out, at + strlen(from));
  return out;
}

static char *template_str(void) {
  struct x7_bytes t = template_bytes();
  char *s = malloc(t.len + 1);
  assert_non_null(s);
  memcpy(s, t.ptr, t.len);
  s[t.len] = '\0';
  x7_bytes_free(&t);
  return s;
}

/* ---- the template ---- */

static void template_should_be_the_spec_bytes(void **state) {
  struct x7_bytes t = template_bytes();
  struct x7_policy *p = NULL;
  struct x7_bytes err = {0};
  (void)state;
  /* json.dumps(obj, indent=2, sort_keys=True) + "\n" of spec §3.3; the
   * digest of the documented derivations below depends on these bytes */
  assert_int_equal(t.len, 2054);
  assert_sha256(x7_bytes_view(&t),
                "782737b1acb40aa686a853028fc33a16cf9289399d7d05d313352a3d8543"
                "d831");
  assert_x7_ok(x7_policy_parse(x7_bytes_view(&t), "tmpl", &p, &err));
  assert_null(err.ptr);
  assert_string_equal(x7_policy_id(p), "sandbox.http-client.base");
  assert_true(x7_policy_is_sandboxed(p));
  x7_policy_free(p);
  x7_bytes_free(&t);
  assert_x7_result(X7_EINVAL, x7_policy_template_http_client(NULL));
}

/* ---- derivation ---- */

static x7_result derive(const char *base, const char *const *allow,
                        size_t na, const char *const *deny, size_t nd,
                        struct x7_bytes *json, struct x7_bytes *name,
                        struct x7_bytes *err) {
  struct x7_policy_overrides ov;
  memset(&ov, 0, sizeof ov);
  ov.allow_hosts = allow;
  ov.allow_hosts_len = na;
  ov.deny_hosts = deny;
  ov.deny_hosts_len = nd;
  return x7_policy_derive(x7_view_str(base), BASE_PATH, &ov, json, name, err);
}

static void derive_should_match_the_documented_example(void **state) {
  char *base = template_str(), *want1, *want;
  const char *allow[] = {"example.com:443"};
  struct x7_bytes json = {0}, name = {0}, err = {0};
  (void)state;
  assert_x7_ok(derive(base, allow, 1, NULL, 0, &json, &name, &err));
  assert_bytes_str(name, "sandbox.http-client.base.g8fef694d.policy.json");
  /* the expected file: the base with net.allow_hosts, policy_id and the
   * notes line changed, nothing else (sorted keys, serde pretty style) */
  want1 = replace(base, "\"allow_hosts\": [],",
                  "\"allow_hosts\": [\n      {\n        \"host\": "
                  "\"example.com\",\n        \"ports\": [\n          443\n"
                  "        ]\n      }\n    ],");
  want = replace(want1, "\"sandbox.http-client.base\"",
                 "\"sandbox.http-client.base.g8fef694d\"");
  free(want1);
  want1 = replace(want, "explicit destinations.\"",
                  "explicit destinations.\\nDerived by x07 run from `" BASE_PATH
                  "` (g8fef694d)\"");
  assert_bytes_str(json, want1);
  assert_sha256(x7_bytes_view(&json),
                "d805b2bb1b191b19c1e7a71afabfab4f19a204fbc5dc87b1d895c717b701"
                "60ff");
  free(want1);
  free(want);
  x7_bytes_free(&json);
  x7_bytes_free(&name);
  free(base);
}

static void derive_should_let_deny_win(void **state) {
  char *base = template_str();
  const char *allow[] = {"example.com:443"}, *deny[] = {"example.com:*"};
  struct x7_bytes json = {0}, name = {0}, err = {0};
  struct x7_policy *p = NULL;
  (void)state;
  assert_x7_ok(derive(base, allow, 1, deny, 1, &json, &name, &err));
  assert_bytes_str(name, "sandbox.http-client.base.g2a51c46e.policy.json");
  assert_sha256(x7_bytes_view(&json),
                "2f12b4dbbd6f5e22faefa7064de3036a56a6b3001f189525750885f72223"
                "78fd");
  assert_non_null(strstr((const char *)json.ptr, "\"allow_hosts\": [],"));
  assert_non_null(strstr((const char *)json.ptr, "\"allow_dns\": true,"));
  /* the derived file is itself a valid policy */
  assert_x7_ok(x7_policy_parse(x7_bytes_view(&json), NULL, &p, &err));
  assert_string_equal(x7_policy_id(p), "sandbox.http-client.base.g2a51c46e");
  x7_policy_free(p);
  x7_bytes_free(&json);
  x7_bytes_free(&name);
  free(base);
}

/* The net section of a derived policy, as compact text for comparison. */
static char *net_of(struct x7_bytes *json) {
  const char *a = strstr((const char *)json->ptr, "\"net\": {"), *b;
  char *out;
  size_t k = 0;
  assert_non_null(a);
  b = strstr(a, "\n  },");
  assert_non_null(b);
  out = malloc((size_t)(b - a) + 1);
  assert_non_null(out);
  for (; a < b; a++)
    if (*a != ' ' && *a != '\n') out[k++] = *a;
  out[k] = '\0';
  return out;
}

static void derive_should_be_deterministic_and_merge(void **state) {
  char *base = template_str(), *net1, *net2;
  const char *a1[] = {"B.test:443,80", "a.test:1", "[2001:DB8::1]:8443",
                      "b.test:443 , 22", "c.test:5"};
  const char *a2[] = {"c.test:5", "[2001:db8::1]:8443", "b.test:22",
                      "a.test:1", "b.test:80,443"};
  const char *d[] = {"c.test:5", "a.test:2", "b.test:80", "nothere:*"};
  struct x7_bytes j1 = {0}, j2 = {0}, n1 = {0}, n2 = {0}, err = {0};
  (void)state;
  assert_x7_ok(derive(base, a1, 5, d, 4, &j1, &n1, &err));
  assert_x7_ok(derive(base, a2, 5, d, 4, &j2, &n2, &err));
  /* the same overrides in another order give the same file and name */
  assert_bytes_eq(j1, x7_bytes_view(&j2));
  assert_bytes_eq(n1, x7_bytes_view(&n2));
  net1 = net_of(&j1);
  net2 = net_of(&j2);
  /* new hosts in sorted order, lowercased, ports unioned and sorted;
   * c.test fully denied; a.test:2 was never allowed */
  assert_string_equal(
      net1, "\"net\":{\"allow_dns\":true,\"allow_hosts\":[{\"host\":"
            "\"2001:db8::1\",\"ports\":[8443]},{\"host\":\"a.test\",\"ports\":"
            "[1]},{\"host\":\"b.test\",\"ports\":[22,443]}],\"allow_tcp\":true,"
            "\"allow_udp\":false,\"enabled\":true");
  free(net1);
  free(net2);
  x7_bytes_free(&j1);
  x7_bytes_free(&j2);
  x7_bytes_free(&n1);
  x7_bytes_free(&n2);
  free(base);
}

static void derive_should_set_allow_dns_for_names(void **state) {
  char *base = template_str(), *b2, *net;
  const char *ip[] = {"10.0.0.1:80"}, *name[] = {"x.test:80"};
  struct x7_bytes j = {0}, n = {0}, err = {0};
  (void)state;
  b2 = replace(base, "\"allow_dns\": true", "\"allow_dns\": false");
  assert_x7_ok(derive(b2, ip, 1, NULL, 0, &j, &n, &err));
  net = net_of(&j);
  assert_non_null(strstr(net, "\"allow_dns\":false"));
  free(net);
  x7_bytes_free(&j);
  x7_bytes_free(&n);
  assert_x7_ok(derive(b2, name, 1, NULL, 0, &j, &n, &err));
  net = net_of(&j);
  assert_non_null(strstr(net, "\"allow_dns\":true"));
  free(net);
  x7_bytes_free(&j);
  x7_bytes_free(&n);
  free(b2);
  free(base);
}

static void derive_should_apply_files_and_roots(void **state) {
  char *base = template_str();
  const char *rr[] = {" data ", "data", "."}, *wr[] = {"out2"};
  const char *ftext = "# hosts\n\nfile.test:443 # trailing\n  other.test:80\n";
  struct x7_view files[1];
  struct x7_policy_overrides ov;
  struct x7_bytes j = {0}, n = {0}, err = {0};
  (void)state;
  files[0] = x7_view_str(ftext);
  memset(&ov, 0, sizeof ov);
  ov.allow_host_file_texts = files;
  ov.allow_host_file_texts_len = 1;
  ov.allow_read_roots = rr;
  ov.allow_read_roots_len = 3;
  ov.allow_write_roots = wr;
  ov.allow_write_roots_len = 1;
  assert_x7_ok(x7_policy_derive(x7_view_str(base), BASE_PATH, &ov, &j, &n,
                                &err));
  assert_non_null(strstr((const char *)j.ptr,
                         "\"read_roots\": [\n      \".\",\n      \"data\"\n"
                         "    ],"));
  assert_non_null(strstr((const char *)j.ptr,
                         "\"write_roots\": [\n      \"out\",\n      \"out2\"\n"
                         "    ]"));
  assert_non_null(strstr((const char *)j.ptr, "\"host\": \"file.test\""));
  assert_non_null(strstr((const char *)j.ptr, "\"host\": \"other.test\""));
  x7_bytes_free(&j);
  x7_bytes_free(&n);
  free(base);
}

struct bad_spec {
  const char *allow, *deny, *msg;
};

static const struct bad_spec bad_specs[] = {
    {"example.com:*", NULL,
     "Expected HOST:PORTS (ports are 1..65535; '*' is only valid for "
     "--deny-host)."},
    {"example.com", NULL, "Expected HOST:PORTS (ports are 1..65535)."},
    {"example.com:", NULL, "Expected HOST:PORTS (ports are 1..65535)."},
    {":443", NULL, "Expected HOST:PORTS (ports are 1..65535)."},
    {"example.com:0", NULL, "ports are 1..65535"},
    {"example.com:65536", NULL, "Expected HOST:PORTS (ports are 1..65535)."},
    {"example.com:1,,2", NULL, "Expected HOST:PORTS (ports are 1..65535)."},
    {"ex;ample.com:1", NULL, "host must not contain whitespace or semicolons"},
    {"[::1]443", NULL, "Expected HOST:PORTS (ports are 1..65535)."},
    {NULL, "example.com", "Expected HOST:PORTS (ports are 1..65535 or *)."},
    {NULL, "example.com:x", "Expected HOST:PORTS (ports are 1..65535)."},
};

static void derive_should_refuse_bad_specs(void **state) {
  char *base = template_str();
  (void)state;
  for (size_t i = 0; i < sizeof bad_specs / sizeof bad_specs[0]; i++) {
    struct x7_bytes j = {0}, n = {0}, err = {0};
    const char *a[1] = {bad_specs[i].allow}, *d[1] = {bad_specs[i].deny};
    x7_result r = derive(base, a, bad_specs[i].allow ? 1 : 0, d,
                         bad_specs[i].deny ? 1 : 0, &j, &n, &err);
    assert_int_equal(r, X7_EINVAL);
    assert_null(j.ptr);
    assert_null(n.ptr);
    assert_non_null(err.ptr);
    if (!strstr((const char *)err.ptr, bad_specs[i].msg))
      fail_msg("#%zu: %s", i, (const char *)err.ptr);
    x7_bytes_free(&err);
  }
  /* 65 ports in one spec */
  {
    char spec[600] = "h.test:";
    struct x7_bytes j = {0}, n = {0}, err = {0};
    const char *a[1] = {spec};
    for (int p = 1; p <= 65; p++)
      snprintf(spec + strlen(spec), sizeof spec - strlen(spec),
               p > 1 ? ",%d" : "%d", p);
    assert_int_equal(derive(base, a, 1, NULL, 0, &j, &n, &err), X7_EINVAL);
    assert_non_null(strstr((const char *)err.ptr, "exceed 64 entries"));
    x7_bytes_free(&err);
  }
  free(base);
}

static void derive_should_need_what_the_base_forbids(void **state) {
  char *base = template_str(), *b2;
  const char *a[] = {"x.test:1"}, *roots[] = {"r"};
  struct x7_bytes j = {0}, n = {0}, err = {0};
  struct x7_policy_overrides ov;
  (void)state;
  b2 = replace(base, "\"enabled\": true\n  },\n  \"notes\"",
               "\"enabled\": false\n  },\n  \"notes\"");
  assert_int_equal(derive(b2, a, 1, NULL, 0, &j, &n, &err), X7_EINVAL);
  assert_non_null(strstr((const char *)err.ptr,
                         "base policy disables networking (net.enabled=false)"));
  x7_bytes_free(&err);
  free(b2);
  b2 = replace(base, "\"allow_tcp\": true", "\"allow_tcp\": false");
  assert_int_equal(derive(b2, a, 1, NULL, 0, &j, &n, &err), X7_EINVAL);
  assert_non_null(strstr((const char *)err.ptr, "net.allow_tcp=false"));
  x7_bytes_free(&err);
  free(b2);
  b2 = replace(base, "\"deny_hidden\": true,\n    \"enabled\": true",
               "\"deny_hidden\": true,\n    \"enabled\": false");
  memset(&ov, 0, sizeof ov);
  ov.allow_read_roots = roots;
  ov.allow_read_roots_len = 1;
  assert_int_equal(x7_policy_derive(x7_view_str(b2), BASE_PATH, &ov, &j, &n,
                                    &err),
                   X7_EINVAL);
  assert_non_null(strstr((const char *)err.ptr, "fs.enabled=false"));
  x7_bytes_free(&err);
  free(b2);
  /* an invalid base is reported with its path */
  b2 = replace(base, "\"cpu_ms\": 180000", "\"cpu_ms\": 0");
  assert_int_equal(derive(b2, a, 1, NULL, 0, &j, &n, &err), X7_EINVAL);
  assert_non_null(strstr((const char *)err.ptr,
                         BASE_PATH ": policy.limits.cpu_ms must be 1..600000 "
                                   "(got 0)"));
  x7_bytes_free(&err);
  free(b2);
  assert_int_equal(x7_policy_derive(x7_view_str(base), NULL, &ov, &j, &n,
                                    &err),
                   X7_EINVAL);
  free(base);
}

static void derive_should_truncate_long_ids_and_notes(void **state) {
  char *base = template_str(), *b2, *b3, id[80], notes[4200], want[200];
  const char *a[] = {"x.test:1"};
  struct x7_bytes j = {0}, n = {0}, err = {0};
  (void)state;
  memset(id, 'i', 64);
  id[64] = '\0';
  snprintf(want, sizeof want, "\"%s\"", id);
  b2 = replace(base, "\"sandbox.http-client.base\"", want);
  /* notes already at 4000 bytes: the derived line would not fit */
  memset(notes, 'n', 4000);
  notes[4000] = '\0';
  b3 = replace(b2,
               "Base policy for outbound HTTP/TLS. net.allow_hosts is "
               "intentionally empty. Use x07 run --allow-host to derive a "
               "policy with explicit destinations.",
               notes);
  assert_x7_ok(derive(b3, a, 1, NULL, 0, &j, &n, &err));
  /* the file name keeps the whole id; policy_id keeps 54 + ".g" + 8 */
  assert_int_equal(n.len, 64 + 2 + 8 + 12);
  assert_memory_equal(n.ptr, id, 64);
  memset(want, 0, sizeof want);
  memcpy(want, "\"policy_id\": \"", 14);
  memset(want + 14, 'i', 54);
  memcpy(want + 68, ".g", 2);
  assert_non_null(strstr((const char *)j.ptr, want));
  assert_null(strstr((const char *)j.ptr, "Derived by x07 run"));
  x7_bytes_free(&j);
  x7_bytes_free(&n);
  free(b3);
  free(b2);
  free(base);
}

/* ---- validation ---- */

struct mutation {
  const char *from, *to, *msg;
};

static const struct mutation mutations[] = {
    {"\"cpu_ms\": 180000", "\"cpu_ms\": 600001",
     "tmpl: policy.limits.cpu_ms must be 1..600000 (got 600001)"},
    {"\"cpu_ms\": 180000", "\"cpu_ms\": 1.5",
     "policy.limits.cpu_ms must be an integer"},
    {"\"cpu_ms\": 180000", "\"cpu_ms\": \"1\"",
     "policy.limits.cpu_ms must be an integer"},
    {"\"mem_bytes\": 1073741824", "\"mem_bytes\": 1048575",
     "policy.limits.mem_bytes must be 1048576..17179869184"},
    {"\"fds\": 256,", "",
     "policy.limits.fds is required"},
    {"\"core_dumps\": false,", "\"core_dumps\": false, \"extra\": 1,",
     "policy.limits.extra is not allowed (unknown key)"},
    {"\"schema_version\": \"x07.run-os-policy@0.1.0\"",
     "\"schema_version\": \"x07.run-os-policy@0.2.0\"",
     "policy.schema_version must be \"x07.run-os-policy@0.1.0\""},
    {"\"policy_id\": \"sandbox.http-client.base\"",
     "\"policy_id\": \"bad id\"",
     "policy.policy_id must match ^[a-zA-Z0-9_.-]{1,64}$"},
    {"\"policy_id\": \"sandbox.http-client.base\"", "\"policy_id\": \"\"",
     "policy.policy_id must match"},
    {"\"allow_hosts\": [],", "\"allow_hosts\": [{\"host\": \"a.test\"}],",
     "policy.net.allow_hosts[0].ports is required"},
    {"\"allow_hosts\": [],",
     "\"allow_hosts\": [{\"host\": \"a.test\", \"ports\": []}],",
     "policy.net.allow_hosts[0].ports must be non-empty"},
    {"\"allow_hosts\": [],",
     "\"allow_hosts\": [{\"host\": \"a.test\", \"ports\": [0]}],",
     "policy.net.allow_hosts[0].ports[0] must be 1..65535 (got 0)"},
    {"\"allow_hosts\": [],",
     "\"allow_hosts\": [{\"host\": \"a;b\", \"ports\": [1]}],",
     "policy.net.allow_hosts[0].host must match ^[^;\\s]+$"},
    {"\"allow_hosts\": [],",
     "\"allow_hosts\": [{\"host\": \"a\\u00a0b\", \"ports\": [1]}],",
     "policy.net.allow_hosts[0].host must match"},
    {"\"allow_hosts\": [],",
     "\"allow_hosts\": [{\"host\": \"a\", \"ports\": [1], \"x\": 1}],",
     "policy.net.allow_hosts[0].x is not allowed (unknown key)"},
    {"\"allow_hosts\": [],", "\"allow_hosts\": [[1], 2],",
     "policy.net.allow_hosts[0] must be an object"},
    {"\"allow_hosts\": [],", "\"allow_hosts\": {},",
     "policy.net.allow_hosts must be an array"},
    {"\"read_roots\": [\n      \".\"\n    ],",
     "\"read_roots\": [\n      \"a;b\"\n    ],",
     "policy.fs.read_roots[0] is invalid: value must not contain ';'"},
    {"\"read_roots\": [\n      \".\"\n    ],", "\"read_roots\": [\"\"],",
     "policy.fs.read_roots[0] must be 1..4096 characters long (got 0)"},
    {"\"allow_spawn\": false", "\"allow_spawn\": true",
     "policy.process.allow_execs or policy.process.allow_exec_prefixes must "
     "be non-empty when allow_spawn is true"},
    {"\"allow_cwd\": false", "\"allow_cwd\": true",
     "policy.process.allow_cwd_roots must be non-empty when allow_cwd is "
     "true"},
    {"\"allow_args_regex_lite\": []", "\"allow_args_regex_lite\": [\"*a\"]",
     "policy.process.allow_args_regex_lite[0] is invalid: pattern has '*' "
     "with nothing to repeat"},
    {"\"allow_args_regex_lite\": []", "\"allow_args_regex_lite\": [\"a\\\\\"]",
     "pattern has trailing"},
    {"\"max_sleep_ms\": 5000", "\"max_sleep_ms\": 86400001",
     "policy.time.max_sleep_ms must be 0..86400000"},
    {"\"max_workers\": 0", "\"max_workers\": 257",
     "policy.threads.max_workers must be 0..256"},
    {"\"enabled\": true,\n    \"max_blocking\"", "\"max_blocking\"",
     "policy.threads.enabled is required"},
    {"\"allow_ffi\": true,", "",
     "policy.language.allow_ffi is required"},
    {"\"language\": {", "\"db\": {\"enabled\": true, \"drivers\": {\"sqlite\":"
                        " false, \"postgres\": false, \"mysql\": false}},\n"
                        "  \"language\": {",
     "policy.db.drivers must allow at least one driver"},
    {"\"language\": {", "\"language\": {\"allow_ffi\": true, ",
     "has the key \"allow_ffi\" twice"},
    {"\"env\": {", "\"bogus\": 1, \"env\": {",
     "policy.bogus is not allowed (unknown key)"},
    {"  \"language\": {\n    \"allow_ffi\": true,\n    \"allow_unsafe\": "
     "true\n  },",
     "  \"language\": 5,", "policy.language must be an object"},
    {"\"allow_tcp\": true", "\"allow_tcp\": 1",
     "policy.net.allow_tcp must be a boolean"},
    {"\"notes\": \"Base", "\"notes\": 7, \"n\": \"Base",
     "policy.n is not allowed"},
    {"\n}\n", "\n} x", "trailing characters"},
    {"{\n  \"env\"", "{\n  \"env\" ", NULL}, /* whitespace is fine */
    {"\"enabled\": false\n  },", "\"enabled\": false\n  ,", "invalid JSON"},
    {"\"out\"", "\"o\\u0000t\"", "\\u0000"},
    {"\"out\"", "\"o\xff\"", "not valid UTF-8"},
};

static void parse_should_report_path_and_reason(void **state) {
  char *base = template_str();
  (void)state;
  for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
    char *m = replace(base, mutations[i].from, mutations[i].to);
    struct x7_policy *p = NULL;
    struct x7_bytes err = {0};
    x7_result r = x7_policy_parse(x7_view_str(m), "tmpl", &p, &err);
    if (!mutations[i].msg) {
      assert_x7_ok(r);
      x7_policy_free(p);
      free(m);
      continue;
    }
    if (r != X7_EINVAL) fail_msg("#%zu accepted", i);
    assert_null(p);
    assert_non_null(err.ptr);
    assert_int_equal(err.ptr[err.len], '\0');
    assert_memory_equal(err.ptr, "tmpl: ", 6);
    if (!strstr((const char *)err.ptr, mutations[i].msg))
      fail_msg("#%zu: want \"%s\" got \"%s\"", i, mutations[i].msg,
               (const char *)err.ptr);
    x7_bytes_free(&err);
    free(m);
  }
  free(base);
}

static void parse_should_check_arguments(void **state) {
  struct x7_policy *p = NULL;
  struct x7_bytes err = {0};
  (void)state;
  assert_x7_result(X7_EINVAL,
                   x7_policy_parse(x7_view_str("{}"), NULL, NULL, &err));
  assert_x7_result(X7_EINVAL,
                   x7_policy_parse(x7_view_of(NULL, 3), NULL, &p, &err));
  assert_x7_result(X7_EINVAL, x7_policy_parse(x7_view_str("[]"), NULL, &p,
                                              NULL));
  assert_x7_result(X7_EINVAL,
                   x7_policy_parse(x7_view_str("{}"), NULL, &p, &err));
  assert_non_null(strstr((const char *)err.ptr,
                         "policy: policy.schema_version is required"));
  x7_bytes_free(&err);
  x7_policy_free(NULL);
  assert_false(x7_policy_is_sandboxed(NULL));
  assert_string_equal(x7_policy_id(NULL), "");
}

static void load_should_read_files(void **state) {
  char dir[] = "/tmp/x7t-policy-XXXXXX", path[256];
  struct x7_bytes t = template_bytes(), err = {0};
  struct x7_policy *p = NULL;
  int written = -1;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/p.json", dir);
  assert_x7_result(X7_EINVAL, x7_policy_load(path, &p, &err));
  assert_non_null(strstr((const char *)err.ptr, "cannot read the policy file"));
  assert_non_null(strstr((const char *)err.ptr, path));
  x7_bytes_free(&err);
  assert_x7_ok(x7_policy_write_file(path, x7_bytes_view(&t), &written));
  assert_int_equal(written, 1);
  assert_x7_ok(x7_policy_write_file(path, x7_bytes_view(&t), &written));
  assert_int_equal(written, 0); /* byte-identical: kept */
  assert_x7_ok(x7_policy_load(path, &p, &err));
  assert_string_equal(x7_policy_id(p), "sandbox.http-client.base");
  x7_policy_free(p);
  assert_x7_ok(x7_policy_write_file(path, x7_view_str("{}"), &written));
  assert_int_equal(written, 1);
  assert_x7_result(X7_EINVAL, x7_policy_load(path, &p, &err));
  assert_non_null(strstr((const char *)err.ptr, path));
  x7_bytes_free(&err);
  assert_x7_result(X7_EINVAL, x7_policy_load(NULL, &p, &err));
  assert_x7_result(X7_EINTERNAL,
                   x7_policy_write_file("/nonexistent-dir/x/y.json",
                                        x7_view_str("{}"), NULL));
  unlink(path);
  rmdir(dir);
  x7_bytes_free(&t);
}

/* ---- sweeps ---- */

struct sweep_stat {
  long ok, bad;
};

/* Every proper prefix and every single-byte corruption of the template:
 * the parser answers X7_OK or X7_EINVAL with a message naming the source,
 * never anything else (and never reads past the exact-size copy). */
static void sweep_probe(void *ud, enum x7t_mutation kind, size_t pos,
                        struct x7_view in) {
  struct sweep_stat *st = ud;
  struct x7_policy *p = NULL;
  struct x7_bytes err = {0}, env = {0};
  x7_result r = x7_policy_parse(in, "sweep", &p, &err);
  if (kind == X7T_TRUNC && pos + 1 < 2054 && r != X7_EINVAL)
    fail_msg("prefix of %zu bytes accepted", pos);
  if (r == X7_OK) {
    /* whatever was accepted is a complete, usable policy */
    assert_null(err.ptr);
    assert_x7_ok(x7_policy_env_write(p, &env));
    assert_true(env.len > 0);
    x7_bytes_free(&env);
    x7_policy_free(p);
    st->ok++;
    return;
  }
  assert_int_equal(r, X7_EINVAL);
  assert_non_null(err.ptr);
  assert_memory_equal(err.ptr, "sweep: ", 7);
  x7_bytes_free(&err);
  st->bad++;
}

static void parse_should_survive_truncation_and_corruption(void **state) {
  struct x7_bytes t = template_bytes();
  struct sweep_stat st = {0, 0};
  (void)state;
  x7t_sweep_truncations(t.ptr, t.len, sweep_probe, &st);
  assert_int_equal(st.ok, 1); /* only "...}" without the final newline */
  x7t_sweep_corruptions(t.ptr, t.len, sweep_probe, &st);
  assert_true(st.ok > 1);     /* e.g. a digit changed within range */
  assert_true(st.bad > 1000); /* most corruptions break something */
  x7_bytes_free(&t);
}

/* ---- allocation failures ---- */

static void parse_and_derive_should_fail_cleanly_without_memory(void **state) {
  struct x7_bytes t = template_bytes();
  const char *allow[] = {"example.com:443", "b.test:1"}, *deny[] = {"b.test:1"};
  (void)state;
  for (long fail_at = 1;; fail_at++) {
    struct x7_policy *p = NULL;
    struct x7_bytes err = {0};
    x7_result r;
    x7t_failalloc_install(fail_at);
    r = x7_policy_parse(x7_bytes_view(&t), NULL, &p, &err);
    x7t_failalloc_remove();
    if (r == X7_OK) {
      x7_policy_free(p);
      break;
    }
    assert_int_equal(r, X7_ENOMEM);
    assert_null(p);
    assert_int_equal(x7t_failalloc_live(), 0);
  }
  for (long fail_at = 1;; fail_at++) {
    struct x7_bytes j = {0}, n = {0}, err = {0};
    struct x7_policy_overrides ov;
    x7_result r;
    memset(&ov, 0, sizeof ov);
    ov.allow_hosts = allow;
    ov.allow_hosts_len = 2;
    ov.deny_hosts = deny;
    ov.deny_hosts_len = 1;
    x7t_failalloc_install(fail_at);
    r = x7_policy_derive(x7_bytes_view(&t), BASE_PATH, &ov, &j, &n, &err);
    x7t_failalloc_remove();
    if (r == X7_OK) {
      assert_true(n.len > 26);
      assert_memory_equal(n.ptr, "sandbox.http-client.base.g", 26);
      x7_bytes_free(&j);
      x7_bytes_free(&n);
      break;
    }
    assert_int_equal(r, X7_ENOMEM);
    assert_null(j.ptr);
    assert_null(n.ptr);
    assert_int_equal(x7t_failalloc_live(), 0);
  }
  x7_bytes_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(template_should_be_the_spec_bytes),
      cmocka_unit_test(derive_should_match_the_documented_example),
      cmocka_unit_test(derive_should_let_deny_win),
      cmocka_unit_test(derive_should_be_deterministic_and_merge),
      cmocka_unit_test(derive_should_set_allow_dns_for_names),
      cmocka_unit_test(derive_should_apply_files_and_roots),
      cmocka_unit_test(derive_should_refuse_bad_specs),
      cmocka_unit_test(derive_should_need_what_the_base_forbids),
      cmocka_unit_test(derive_should_truncate_long_ids_and_notes),
      cmocka_unit_test(parse_should_report_path_and_reason),
      cmocka_unit_test(parse_should_check_arguments),
      cmocka_unit_test(load_should_read_files),
      cmocka_unit_test(parse_should_survive_truncation_and_corruption),
      cmocka_unit_test(parse_and_derive_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("policy_json", tests, NULL, NULL);
}
