/* test_cassette_match.c - the canonical request view (keys), the field
 * diffs of the miss report, and the redactor's building blocks
 * (placeholders, learnt secrets, scrubbing, the write-path scan). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cassette_int.h"
#include "x7_test.h"

static struct x7__buf table(const char *k1, const char *v1, const char *k2,
                            const char *v2) {
  struct x7__buf t;
  const char *kv[4] = {k1, v1, k2, v2};
  uint32_t n = 0;
  x7__buf_init(&t);
  x7__buf_u32(&t, 0);
  for (int i = 0; i < 4; i += 2) {
    if (!kv[i]) break;
    x7__buf_u32(&t, (uint32_t)strlen(kv[i]));
    x7__buf_add(&t, kv[i], strlen(kv[i]));
    x7__buf_u32(&t, (uint32_t)strlen(kv[i + 1]));
    x7__buf_add(&t, kv[i + 1], strlen(kv[i + 1]));
    n++;
  }
  x7__buf_put32_at(&t, 0, n);
  assert_false(t.failed);
  return t;
}

/* The key of a request as a NUL-terminated string (caller frees). */
static char *key_of(const struct x7__rr_settings *s, uint32_t method,
                    const char *url, const struct x7__buf *headers,
                    const char *body) {
  static const uint8_t none[4] = {0};
  struct x7__rr_reqview v;
  struct x7__buf k;
  char *out;
  v.method = method;
  v.url = x7_view_str(url);
  v.headers =
      headers ? x7_view_of(headers->ptr, headers->len) : x7_view_of(none, 4);
  v.body = x7_view_str(body);
  v.body_len = v.body.len;
  v.body_sha = NULL;
  x7__buf_init(&k);
  x7__rr_key(s, &v, &k);
  x7__buf_u8(&k, 0);
  assert_false(k.failed);
  out = (char *)k.ptr;
  return out;
}

static void assert_same_key(const struct x7__rr_settings *s, const char *u1,
                            const char *b1, const char *u2, const char *b2) {
  char *a = key_of(s, 1, u1, NULL, b1), *b = key_of(s, 1, u2, NULL, b2);
  if (strcmp(a, b) != 0) fail_msg("keys differ:\n%s---\n%s", a, b);
  x7__free(a);
  x7__free(b);
}

static void assert_other_key(const struct x7__rr_settings *s, const char *u1,
                             const char *b1, const char *u2, const char *b2) {
  char *a = key_of(s, 1, u1, NULL, b1), *b = key_of(s, 1, u2, NULL, b2);
  if (strcmp(a, b) == 0) fail_msg("keys equal:\n%s", a);
  x7__free(a);
  x7__free(b);
}

static void key_should_canonicalise_urls(void **state) {
  struct x7__rr_settings s;
  char *k;
  (void)state;
  x7__rr_settings_init(&s);
  k = key_of(&s, 2, "HTTP://Ex.Test:80/a/./b/../c/%7e%41%2f?b=2&a=1", NULL, "");
  assert_string_equal(k,
                      "M POST\nU http://ex.test/a/c/~A%2F\nQ a=1&b=2\nB -\n");
  x7__free(k);
  assert_same_key(&s, "https://h:443", "", "https://H/", "");
  assert_same_key(&s, "http://u:pw@h/p#frag", "", "http://h/p", "");
  assert_same_key(&s, "http://[::1]:8080/x", "", "http://[::1]:8080/x", "");
  assert_same_key(&s, "http://h/x?a=1&a=2&b", "", "http://h/x?b&a=2&a=1", "");
  assert_same_key(&s, "http://h/x?a=%41", "", "http://h/x?a=A", "");
  assert_same_key(&s, "http://h/x?", "", "http://h/x", "");
  assert_other_key(&s, "http://h:8080/x", "", "http://h/x", "");
  assert_other_key(&s, "https://h/x", "", "http://h/x", "");
  assert_other_key(&s, "http://h/x?a=1&a=1", "", "http://h/x?a=1", "");
  assert_other_key(&s, "http://h/x?a", "", "http://h/x?a=", "");
  assert_other_key(&s, "http://h/X", "", "http://h/x", "");
  assert_other_key(&s, "http://h/x?a=1", "", "http://h/x?a=2", "");
  /* not scheme://authority: compared as given */
  k = key_of(&s, 1, "mailto:x", NULL, "");
  assert_non_null(strstr(k, "U raw:mailto:x\n"));
  x7__free(k);
  x7__rr_settings_cleanup(&s);
}

static void key_should_compare_json_bodies_semantically(void **state) {
  struct x7__rr_settings s;
  (void)state;
  x7__rr_settings_init(&s);
  assert_same_key(&s, "http://h/", "{\"b\": [1, 2.5, {\"z\": null}], \"a\": 1}",
                  "http://h/", " {\"a\":1,\"b\":[1,2.5,{\"z\":null}]}\n");
  assert_other_key(&s, "http://h/", "{\"a\": [1, 2]}", "http://h/",
                   "{\"a\": [2, 1]}");
  assert_other_key(&s, "http://h/", "{\"a\": 1}", "http://h/",
                   "{\"a\": \"1\"}");
  /* other bodies by digest, byte for byte */
  assert_same_key(&s, "http://h/", "a=1&b=2", "http://h/", "a=1&b=2");
  assert_other_key(&s, "http://h/", "a=1&b=2", "http://h/", "b=2&a=1");
  assert_other_key(&s, "http://h/", "", "http://h/", " ");
  /* above inline_max a JSON body is compared by digest */
  s.inline_max = 4;
  assert_other_key(&s, "http://h/", "{\"a\": 1}", "http://h/", "{\"a\":1}");
  x7__rr_settings_cleanup(&s);
}

static void key_should_follow_the_settings(void **state) {
  struct x7__rr_settings s;
  struct x7__buf h1 = table("x-api", "v1", "accept", "a"),
                 h2 = table("x-api", "v2", "accept", "b");
  char *a, *b;
  (void)state;
  x7__rr_settings_init(&s);
  /* headers are opt-in */
  a = key_of(&s, 1, "http://h/", &h1, "");
  b = key_of(&s, 1, "http://h/", &h2, "");
  assert_string_equal(a, b);
  x7__free(a);
  x7__free(b);
  assert_int_equal(x7__rr_strs_add(&s.match_headers, "X-Api", 5, 1), 0);
  a = key_of(&s, 1, "http://h/", &h1, "");
  b = key_of(&s, 1, "http://h/", &h2, "");
  assert_string_not_equal(a, b);
  assert_non_null(strstr(a, "H x-api=v1\n"));
  x7__free(a);
  x7__free(b);
  /* ignored query parameters */
  assert_int_equal(x7__rr_strs_add(&s.ignore_query, "ts", 2, 0), 0);
  assert_same_key(&s, "http://h/x?ts=1&a=1", "", "http://h/x?a=1&ts=99", "");
  /* parts switched off */
  s.match = X7_CASSETTE_MATCH_METHOD | X7_CASSETTE_MATCH_URL;
  assert_same_key(&s, "http://h/x?q=1", "{}", "http://h/x?q=2", "[]");
  a = key_of(&s, 1, "http://h/x", NULL, "");
  b = key_of(&s, 2, "http://h/x", NULL, "");
  assert_string_not_equal(a, b);
  x7__free(a);
  x7__free(b);
  x7__buf_cleanup(&h1);
  x7__buf_cleanup(&h2);
  x7__rr_settings_cleanup(&s);
}

static void url_split_should_find_every_part(void **state) {
  struct x7__rr_url u;
  (void)state;
  assert_int_equal(
      x7__rr_url_split(x7_view_str("https://us:pw@[::1]:8443/p/q?x=1#f"), &u),
      0);
  assert_memory_equal(u.scheme.ptr, "https", 5);
  assert_memory_equal(u.userinfo.ptr, "us:pw", 5);
  assert_int_equal(u.host.len, 5);
  assert_memory_equal(u.host.ptr, "[::1]", 5);
  assert_int_equal(u.port, 8443);
  assert_int_equal(u.path.len, 4);
  assert_int_equal(u.query.len, 3);
  assert_int_equal(x7__rr_url_split(x7_view_str("http://h"), &u), 0);
  assert_int_equal(u.port, 80);
  assert_int_equal(u.path.len, 0);
  assert_int_equal(x7__rr_url_split(x7_view_str("http://h:99999/"), &u), -1);
  assert_int_equal(x7__rr_url_split(x7_view_str("http://h:/"), &u), -1);
  assert_int_equal(x7__rr_url_split(x7_view_str("http://[::1/"), &u), -1);
  assert_int_equal(x7__rr_url_split(x7_view_str("//h/x"), &u), -1);
}

static void diff_should_point_into_json(void **state) {
  struct x7__rr_settings s;
  struct x7__rr_reqview a, b;
  static const uint8_t none[4] = {0};
  cJSON *arr = cJSON_CreateArray();
  unsigned fields = 0, d;
  char *txt;
  (void)state;
  x7__rr_settings_init(&s);
  memset(&a, 0, sizeof a);
  a.method = 2;
  a.url = x7_view_str("http://h/x?a=1&b=2");
  a.headers = x7_view_of(none, 4);
  a.body = x7_view_str("{\"a/b\": {\"c~d\": [1, 2, 3]}, \"gone\": true}");
  a.body_len = a.body.len;
  b = a;
  b.url = x7_view_str("http://h/x?b=2&a=3");
  b.body = x7_view_str("{\"a/b\": {\"c~d\": [1, 2, 4, 5]}, \"new\": 1}");
  b.body_len = b.body.len;
  d = x7__rr_diff(&s, &b, &a, arr, &fields);
  assert_int_equal(fields, X7_CASSETTE_MATCH_QUERY | X7_CASSETTE_MATCH_BODY);
  assert_int_equal(d, 2 + 3);
  txt = cJSON_PrintUnformatted(arr);
  assert_non_null(strstr(txt, "{\"field\":\"query\",\"expected\":\"a=1\","
                              "\"actual\":\"a=3\"}"));
  assert_non_null(strstr(txt, "\"field\":\"body/a~1b/c~0d/2\",\"expected\":"
                              "\"3\",\"actual\":\"4\""));
  assert_non_null(strstr(txt, "\"field\":\"body/a~1b/c~0d/3\",\"expected\":"
                              "\"(absent)\",\"actual\":\"5\""));
  assert_non_null(strstr(txt, "\"field\":\"body/gone\",\"expected\":\"true\","
                              "\"actual\":\"(absent)\""));
  assert_non_null(strstr(txt, "\"field\":\"body/new\""));
  free(txt);
  cJSON_Delete(arr);
  /* equal requests: distance 0, no fields */
  assert_int_equal(x7__rr_diff(&s, &a, &a, NULL, &fields), 0);
  assert_int_equal(fields, 0);
  x7__rr_settings_cleanup(&s);
}

/* ---- redaction ---- */

static char *redact_str(struct x7__rr_redactor *r, const char *url,
                        struct x7__buf *h, const char *body, char **pbody,
                        char **pheaders) {
  struct x7_view u = x7_view_str(url), hv = x7_view_of(h->ptr, h->len),
                 b = x7_view_str(body);
  struct x7__buf arena, t;
  char *out;
  x7__buf_init(&arena);
  assert_int_equal(x7__rr_redact_request(r, &u, &hv, &b, &arena), 0);
  out = malloc(u.len + 1);
  memcpy(out, u.ptr, u.len);
  out[u.len] = 0;
  *pbody = malloc(b.len + 1);
  memcpy(*pbody, b.ptr, b.len);
  (*pbody)[b.len] = 0;
  /* header values, "name=value;" */
  x7__buf_init(&t);
  {
    uint32_t count = x7__rd32(hv.ptr);
    size_t pos = 4;
    for (uint32_t i = 0; i < count; i++) {
      uint32_t kl = x7__rd32(hv.ptr + pos), vl;
      x7__buf_add(&t, hv.ptr + pos + 4, kl);
      pos += 4 + kl;
      vl = x7__rd32(hv.ptr + pos);
      x7__buf_u8(&t, '=');
      x7__buf_add(&t, hv.ptr + pos + 4, vl);
      x7__buf_u8(&t, ';');
      pos += 4 + vl;
    }
    x7__buf_u8(&t, 0);
  }
  *pheaders = (char *)t.ptr;
  x7__rr_arena_free(&arena);
  return out;
}

static void redactor_should_replace_and_learn_secrets(void **state) {
  struct x7__rr_redactor r;
  struct x7__buf h =
      table("authorization", "Basic dXNlcjpodW50ZXIyMjI=", "content-type",
            "application/x-www-form-urlencoded");
  char *u, *b, *hs;
  struct x7__buf text;
  (void)state;
  assert_int_equal(x7__rr_redactor_init(&r, NULL), 0);
  u = redact_str(&r, "https://bob:s3cr3tpw@h/x?Access_Token=abc%2Bdef123&a=1#f",
                 &h, "user=bob&password=hunter2xyz&x=1", &b, &hs);
  assert_string_equal(u, "https://<redacted:userinfo>@h/x?"
                         "Access_Token=<redacted:access_token>&a=1#f");
  assert_string_equal(b, "user=bob&password=<redacted:password>&x=1");
  assert_string_equal(hs, "authorization=<redacted:authorization>;content-type="
                          "application/x-www-form-urlencoded;");
  /* learnt: the header value, the Basic password, the decoded query value */
  assert_true(x7__rr_strs_has(&r.secrets, "hunter222", 9, 0));
  assert_true(x7__rr_strs_has(&r.secrets, "abc+def123", 10, 0));
  assert_true(x7__rr_strs_has(&r.secrets, "hunter2xyz", 10, 0));
  /* ... and scrubbed from any other text, raw or percent-encoded */
  x7__buf_init(&text);
  x7__buf_add(&text, "echo hunter222 and abc%2Bdef123 and abc+def123", 46);
  x7__rr_mask(&r, &text);
  x7__buf_u8(&text, 0);
  assert_string_equal((char *)text.ptr,
                      "echo <redacted:secret> and <redacted:secret> and "
                      "<redacted:secret>");
  x7__buf_cleanup(&text);
  free(u);
  free(b);
  free(hs);
  x7__buf_cleanup(&h);
  x7__rr_redactor_cleanup(&r);
}

static void redactor_should_keep_json_bytes_but_secret_members(void **state) {
  struct x7__rr_redactor r;
  struct x7__buf h = table("content-type", "application/json", NULL, NULL);
  char *u, *b, *hs;
  (void)state;
  assert_int_equal(x7__rr_redactor_init(&r, NULL), 0);
  u = redact_str(&r, "http://h/", &h,
                 "{ \"user\" : \"a\",\n \"token\":\"tok-123456\", \"n\": "
                 "{\"secret\": {\"deep\": [1]}, \"x\": 1.50} }",
                 &b, &hs);
  assert_string_equal(b,
                      "{ \"user\" : \"a\",\n \"token\":\"<redacted:token>\", "
                      "\"n\": {\"secret\": \"<redacted:secret>\", \"x\": "
                      "1.50} }");
  assert_true(x7__rr_strs_has(&r.secrets, "tok-123456", 10, 0));
  free(u);
  free(b);
  free(hs);
  x7__buf_cleanup(&h);
  x7__rr_redactor_cleanup(&r);
}

static void placeholders_should_be_keyed_with_a_salt(void **state) {
  struct x7__rr_redactor r;
  struct x7__buf a, b, c;
  (void)state;
  assert_int_equal(x7__rr_redactor_init(&r, NULL), 0);
  x7__buf_init(&a);
  x7__buf_init(&b);
  x7__buf_init(&c);
  x7__rr_placeholder(&r, "Token", 5, (const uint8_t *)"v1", 2, &a);
  x7__buf_u8(&a, 0);
  assert_string_equal((char *)a.ptr, "<redacted:token>");
  r.salt = x7__malloc(4);
  memcpy(r.salt, "salt", 4);
  r.salt_len = 4;
  a.len = 0;
  x7__rr_placeholder(&r, "token", 5, (const uint8_t *)"v1", 2, &a);
  x7__rr_placeholder(&r, "token", 5, (const uint8_t *)"v1", 2, &b);
  x7__rr_placeholder(&r, "token", 5, (const uint8_t *)"v2", 2, &c);
  assert_int_equal(a.len, strlen("<redacted:token:") + 12 + 1);
  assert_memory_equal(a.ptr, b.ptr, a.len);
  assert_memory_not_equal(a.ptr, c.ptr, a.len);
  x7__buf_cleanup(&a);
  x7__buf_cleanup(&b);
  x7__buf_cleanup(&c);
  x7__rr_redactor_cleanup(&r);
}

static void scan_should_find_secrets_in_every_form(void **state) {
  struct x7__rr_redactor r;
  static const char secret[] = "S3cr3t/Tok+en~42";
  char where[200];
  (void)state;
  assert_int_equal(x7__rr_redactor_init(&r, NULL), 0);
  assert_int_equal(x7__rr_strs_add(&r.secrets, secret, strlen(secret), 0), 0);
  /* raw, percent-encoded (both hex cases), JSON-escaped */
  {
    static const char *const texts[] = {"xx S3cr3t/Tok+en~42 yy",
                                        "a=S3cr3t%2FTok%2Ben~42&",
                                        "S3cr3t%2fTok%2ben~42"};
    for (size_t i = 0; i < 3; i++)
      assert_int_equal(x7__rr_scan(&r, (const uint8_t *)texts[i],
                                   strlen(texts[i]), 0, where, sizeof where),
                       1);
  }
  /* base64 and base64url of any text containing it, at all alignments */
  for (int pre = 0; pre < 3; pre++)
    for (int url = 0; url < 2; url++) {
      struct x7__buf in, enc;
      x7__buf_init(&in);
      x7__buf_init(&enc);
      x7__buf_add(&in, "abc", (size_t)pre);
      x7__buf_add(&in, secret, strlen(secret));
      x7__buf_add(&in, "tail", 4);
      x7__rr_b64_encode(&enc, in.ptr, in.len);
      if (url)
        for (size_t k = 0; k < enc.len; k++) {
          if (enc.ptr[k] == '+') enc.ptr[k] = '-';
          if (enc.ptr[k] == '/') enc.ptr[k] = '_';
        }
      if (x7__rr_scan(&r, enc.ptr, enc.len, 0, where, sizeof where) != 1)
        fail_msg("missed base64%s at alignment %d", url ? "url" : "", pre);
      assert_null(strstr(where, secret));
      x7__buf_cleanup(&in);
      x7__buf_cleanup(&enc);
    }
  assert_int_equal(x7__rr_scan(&r, (const uint8_t *)"nothing here", 12, 0,
                               where, sizeof where),
                   0);
  x7__rr_redactor_cleanup(&r);
}

static void secret_header_names_should_be_recognised(void **state) {
  struct x7__rr_redactor r;
  static const char *const yes[] = {
      "Authorization",  "cookie",       "Set-Cookie", "X-Api-Key",
      "x-goog-api-key", "X-Session-Id", "My-Secret",  "x-auth-token"};
  static const char *const no[] = {"content-type", "accept", "x-request-id",
                                   "etag", "location"};
  (void)state;
  assert_int_equal(x7__rr_redactor_init(&r, NULL), 0);
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
    assert_true(
        x7__rr_secret_header(&r, (const uint8_t *)yes[i], strlen(yes[i])));
  for (size_t i = 0; i < sizeof no / sizeof *no; i++)
    assert_false(
        x7__rr_secret_header(&r, (const uint8_t *)no[i], strlen(no[i])));
  x7__rr_redactor_cleanup(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(key_should_canonicalise_urls),
      cmocka_unit_test(key_should_compare_json_bodies_semantically),
      cmocka_unit_test(key_should_follow_the_settings),
      cmocka_unit_test(url_split_should_find_every_part),
      cmocka_unit_test(diff_should_point_into_json),
      cmocka_unit_test(redactor_should_replace_and_learn_secrets),
      cmocka_unit_test(redactor_should_keep_json_bytes_but_secret_members),
      cmocka_unit_test(placeholders_should_be_keyed_with_a_salt),
      cmocka_unit_test(scan_should_find_secrets_in_every_form),
      cmocka_unit_test(secret_header_names_should_be_recognised),
  };
  return cmocka_run_group_tests_name("cassette_match", tests, NULL, NULL);
}
