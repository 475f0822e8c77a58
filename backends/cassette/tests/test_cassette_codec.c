/* test_cassette_codec.c - the cassette file: canonical bytes, exact round
 * trips, the checksum line, every truncation and corruption rejected with
 * "offset: reason", schema errors naming path and offset, future
 * versions, base64. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net_err.h>
#include <x7/x7_cassette.h>

#include "cassette_int.h"
#include "x7_test.h"

/* ---- building documents ---- */

static void table_add(struct x7__buf *t, const char *n, const void *v,
                      size_t vl) {
  if (t->len == 0) x7__buf_u32(t, 0);
  x7__buf_u32(t, (uint32_t)strlen(n));
  x7__buf_add(t, n, strlen(n));
  x7__buf_u32(t, (uint32_t)vl);
  x7__buf_add(t, v, vl);
  x7__buf_put32_at(t, 0, x7__rd32(t->ptr) + 1);
}

static uint8_t *dup0(const void *p, size_t n) {
  uint8_t *q = x7__malloc(n + 1);
  assert_non_null(q);
  if (n) memcpy(q, p, n);
  q[n] = 0;
  return q;
}

static struct x7__rr_ix *new_ix(uint32_t method, const char *url) {
  struct x7__rr_ix *ix = x7__malloc(sizeof *ix);
  static const uint8_t empty[4] = {0};
  assert_non_null(ix);
  memset(ix, 0, sizeof *ix);
  ix->method = method;
  ix->url = dup0(url, strlen(url));
  ix->url_len = strlen(url);
  ix->req_headers = dup0(empty, 4);
  ix->req_headers_len = 4;
  ix->resp_headers = dup0(empty, 4);
  ix->resp_headers_len = 4;
  ix->timeout_s = 30;
  ix->max_header_bytes = 4096;
  ix->max_headers = 64;
  ix->max_body_bytes = 65536;
  ix->status = 200;
  snprintf(ix->http_version, sizeof ix->http_version, "1.1");
  return ix;
}

static void set_table(uint8_t **pt, size_t *plen, struct x7__buf *t) {
  x7__free(*pt);
  *pt = t->ptr;
  *plen = t->len;
  x7__buf_init(t);
}

static void set_body(struct x7__rr_body *b, const void *p, size_t n) {
  x7__free(b->ptr);
  b->ptr = dup0(p, n);
  b->len = n;
}

/* A document covering every body form, header form and error form. */
static void sample_doc(struct x7__rr_doc *d) {
  struct x7__rr_ix *ix;
  struct x7__buf t;
  static const uint8_t bin[] = {0x00, 0xff, 0x80, 'a', 0x00, 0x7f, 0x1f};
  static const uint8_t obs[] = {'c', 'a', 'f', 0xe9}; /* latin-1, not UTF-8 */
  x7__rr_doc_init(d);
  d->x7net_version = (char *)dup0("0.1.0", 5);
  d->policy_hash = (char *)dup0("none", 4);
  d->transport = (char *)dup0("live", 4);
  assert_int_equal(x7__rr_strs_add(&d->settings.match_headers, "x-api", 5, 1),
                   0);
  assert_int_equal(x7__rr_strs_add(&d->settings.redact[3], "pin", 3, 1), 0);

  ix = new_ix(1, "http://127.0.0.1:8080/hello.txt?b=2&a=1");
  x7__buf_init(&t);
  table_add(&t, "Content-Type", "text/plain", 10);
  table_add(&t, "X-Dup", "a", 1);
  table_add(&t, "x-dup", "b", 1);
  table_add(&t, "X-Obs", obs, sizeof obs);
  set_table(&ix->resp_headers, &ix->resp_headers_len, &t);
  set_body(&ix->resp_body, "hello \"w\\orld\"\n\t\x01\x7f caf\xc3\xa9", 24);
  assert_int_equal(x7__rr_doc_push(d, ix), 0);

  ix = new_ix(2, "https://example.test/api");
  x7__buf_init(&t);
  table_add(&t, "content-type", "application/json", 16);
  set_table(&ix->req_headers, &ix->req_headers_len, &t);
  set_body(&ix->req_body, "{\"a\":[1,2,{\"b\":null}]}", 22);
  set_body(&ix->resp_body, bin, sizeof bin);
  ix->status = 201;
  ix->redirects = 2;
  ix->has_duration = 1;
  ix->duration_us = 1234;
  assert_int_equal(x7__rr_doc_push(d, ix), 0);

  ix = new_ix(3, "http://h/x");
  ix->error = 6;
  assert_int_equal(x7__rr_doc_push(d, ix), 0);

  ix = new_ix(1, "http://h/big");
  ix->resp_body.blob = 1;
  ix->resp_body.len = 1u << 20;
  memset(ix->resp_body.sha, 'a', 64);
  ix->to_file = 1;
  assert_int_equal(x7__rr_doc_push(d, ix), 0);
}

static void encode(const struct x7__rr_doc *d, struct x7__buf *out) {
  x7__buf_init(out);
  assert_x7_ok(x7__rr_encode(d, out));
  /* NUL after the bytes so the tests may strstr() them. */
  x7__buf_u8(out, 0);
  assert_false(out->failed);
  out->len--;
}

static x7_result decode(const uint8_t *p, size_t n, struct x7__rr_doc *d,
                        char *msg, size_t ml) {
  return x7__rr_decode(p, n, 1, NULL, d, msg, ml);
}

/* Seal hand-made text the way the writer does (size digits + checksum). */
static void reseal(uint8_t *p, size_t n) {
  static const char prefix[] = "{\n  \"checksum\": \"sha256:";
  size_t hex = sizeof prefix - 1, size = hex + 65, v = n;
  uint8_t sum[32];
  char h[65];
  assert_memory_equal(p, prefix, hex);
  for (int i = 11; i >= 0; i--) {
    p[size + (size_t)i] = (uint8_t)('0' + v % 10);
    v /= 10;
  }
  memset(p + hex, '0', 64);
  assert_int_equal(x7__rr_sha256(p, n, sum), 0);
  x7__rr_hex(sum, 32, h);
  memcpy(p + hex, h, 64);
}

/* ---- tests ---- */

static void codec_should_roundtrip_bytes_exactly(void **state) {
  struct x7__rr_doc d, back;
  struct x7__buf a, b;
  char msg[256];
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  assert_x7_ok(decode(a.ptr, a.len, &back, msg, sizeof msg));
  encode(&back, &b);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.ptr, b.ptr, a.len);
  /* field by field */
  assert_int_equal(back.n, 4);
  assert_int_equal(back.ix[0]->resp_headers_len, d.ix[0]->resp_headers_len);
  assert_memory_equal(back.ix[0]->resp_headers, d.ix[0]->resp_headers,
                      d.ix[0]->resp_headers_len);
  assert_int_equal(back.ix[0]->resp_body.len, 24);
  assert_memory_equal(back.ix[0]->resp_body.ptr, d.ix[0]->resp_body.ptr, 24);
  assert_int_equal(back.ix[1]->resp_body.len, 7);
  assert_memory_equal(back.ix[1]->resp_body.ptr, d.ix[1]->resp_body.ptr, 7);
  assert_int_equal(back.ix[1]->duration_us, 1234);
  assert_int_equal(back.ix[1]->redirects, 2);
  assert_int_equal(back.ix[1]->status, 201);
  assert_int_equal(back.ix[2]->error, 6);
  assert_true(back.ix[3]->resp_body.blob);
  assert_int_equal(back.ix[3]->resp_body.len, 1u << 20);
  assert_true(back.ix[3]->to_file);
  assert_true(x7__rr_strs_has(&back.settings.match_headers, "x-api", 5, 0));
  assert_true(x7__rr_strs_has(&back.settings.redact[3], "pin", 3, 0));
  x7__buf_cleanup(&a);
  x7__buf_cleanup(&b);
  x7__rr_doc_cleanup(&d);
  x7__rr_doc_cleanup(&back);
}

/* Keys sorted in every object; LF only; one trailing newline. */
static void assert_sorted(const cJSON *n) {
  for (const cJSON *c = n->child; c; c = c->next) {
    if (cJSON_IsObject(n) && c->next)
      assert_true(strcmp(c->string, c->next->string) < 0);
    assert_sorted(c);
  }
}

static void codec_should_write_canonical_json(void **state) {
  struct x7__rr_doc d;
  struct x7__buf a;
  cJSON *t;
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  assert_null(memchr(a.ptr, '\r', a.len));
  assert_int_equal(a.ptr[a.len - 1], '\n');
  assert_int_not_equal(a.ptr[a.len - 2], '\n');
  t = cJSON_ParseWithLength((const char *)a.ptr, a.len);
  assert_non_null(t);
  assert_sorted(t);
  cJSON_Delete(t);
  /* The layout rules of FORMAT.md §3: scalar-only containers on one
   * line, header pairs one per line, non-UTF-8 value as base64. */
  assert_non_null(
      strstr((const char *)a.ptr, "\n          [\"X-Dup\", \"a\"],\n"));
  assert_non_null(strstr((const char *)a.ptr, "{\"base64\": \"Y2Fm6Q==\"}"));
  assert_non_null(
      strstr((const char *)a.ptr, "\"body\": {\"base64\": \"AP+AYQB/Hw==\"}"));
  assert_non_null(strstr((const char *)a.ptr,
                         "\"body\": {\"text\": \"hello \\\"w\\\\orld\\\"\\n\\t"
                         "\\u0001\\u007f caf\xc3\xa9\"}"));
  assert_non_null(strstr((const char *)a.ptr, "\"response\": {\"error\": 6}"));
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

static void codec_should_be_deterministic(void **state) {
  struct x7__rr_doc d1, d2;
  struct x7__buf a, b;
  (void)state;
  sample_doc(&d1);
  sample_doc(&d2);
  encode(&d1, &a);
  encode(&d2, &b);
  assert_int_equal(a.len, b.len);
  assert_memory_equal(a.ptr, b.ptr, a.len);
  x7__buf_cleanup(&a);
  x7__buf_cleanup(&b);
  x7__rr_doc_cleanup(&d1);
  x7__rr_doc_cleanup(&d2);
}

struct sweep {
  size_t probes;
  size_t valid_len;
};

static size_t offset_of(const char *msg) {
  char *end;
  unsigned long long v = strtoull(msg, &end, 10);
  assert_true(end != msg);
  assert_int_equal(*end, ':');
  return (size_t)v;
}

static void probe_trunc(void *ud, enum x7t_mutation kind, size_t pos,
                        struct x7_view in) {
  struct sweep *s = ud;
  struct x7__rr_doc d;
  char msg[512];
  x7_result r = decode(in.ptr, in.len, &d, msg, sizeof msg);
  (void)kind;
  s->probes++;
  if (r != X7_ECASSETTE_FORMAT) fail_msg("prefix %zu: %s", pos, x7_errname(r));
  assert_int_equal(d.n, 0);
  /* A cut is reported where the file ends (or, before the size is
   * readable, at or before it). */
  assert_true(offset_of(msg) <= pos);
  if (pos == 0) assert_non_null(strstr(msg, "empty file"));
  if (pos > 120) {
    assert_int_equal(offset_of(msg), pos);
    assert_non_null(strstr(msg, "truncated"));
  }
}

static void codec_should_reject_every_truncation(void **state) {
  struct x7__rr_doc d;
  struct x7__buf a;
  struct sweep s = {0, 0};
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  x7t_sweep_truncations(a.ptr, a.len, probe_trunc, &s);
  assert_int_equal(s.probes, a.len);
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

static void probe_corrupt(void *ud, enum x7t_mutation kind, size_t pos,
                          struct x7_view in) {
  struct sweep *s = ud;
  struct x7__rr_doc d;
  char msg[512];
  x7_result r = decode(in.ptr, in.len, &d, msg, sizeof msg);
  (void)kind;
  s->probes++;
  if (r != X7_ECASSETTE_FORMAT)
    fail_msg("byte %zu: %s (%s)", pos, x7_errname(r), msg);
  assert_int_equal(d.n, 0);
  /* The offset points at the damage or before it (a changed quote can
   * make the JSON parser fail a little later, never earlier than the
   * canonical comparison would). */
  if (pos >= 101 && strstr(msg, "differs from its canonical form")) {
    /* at the byte (or just after it: "10" -> "00" reads as 0), or at the
     * start of the escape sequence or (a NUL inside a string ends it
     * early for cJSON) the value holding it */
    if (offset_of(msg) > pos + 2 || pos > offset_of(msg) + 64)
      fail_msg("byte %zu (now 0x%02x, context '%.12s'): %s", pos, in.ptr[pos],
               (const char *)in.ptr + pos - 6, msg);
  }
  assert_true(offset_of(msg) <= s->valid_len);
}

static void codec_should_reject_every_corruption(void **state) {
  struct x7__rr_doc d;
  struct x7__buf a;
  struct sweep s = {0, 0};
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  s.valid_len = a.len;
  x7t_sweep_corruptions(a.ptr, a.len, probe_corrupt, &s);
  assert_true(s.probes > a.len * 4);
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

static void codec_should_name_the_edit(void **state) {
  struct x7__rr_doc d, back;
  struct x7__buf a;
  char msg[512], *p;
  size_t off;
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  /* A canonical edit (status 201 -> 202) keeps the layout: only the
   * checksum can tell. */
  p = strstr((char *)a.ptr, "\"status\": 201");
  assert_non_null(p);
  p[12] = '2';
  assert_int_equal(decode(a.ptr, a.len, &back, msg, sizeof msg),
                   X7_ECASSETTE_FORMAT);
  assert_non_null(strstr(msg, "checksum mismatch"));
  assert_int_equal(offset_of(msg), 24);
  p[12] = '1';
  /* A layout edit is located exactly. */
  p = strstr((char *)a.ptr, "\"hop\": 0,");
  off = (size_t)(p - (char *)a.ptr);
  memcpy(p, "\"hop\":0 ,", 9); /* valid JSON, not canonical */
  assert_int_equal(decode(a.ptr, a.len, &back, msg, sizeof msg),
                   X7_ECASSETTE_FORMAT);
  if (offset_of(msg) != off + 6) fail_msg("%s (want %zu)", msg, off + 6);
  assert_non_null(strstr(msg, "canonical form"));
  /* Broken JSON is reported where the parser stopped. */
  memcpy(p, "\"hop\": 0 ", 9);
  assert_int_equal(decode(a.ptr, a.len, &back, msg, sizeof msg),
                   X7_ECASSETTE_FORMAT);
  if (offset_of(msg) != off + 16) fail_msg("%s (want %zu)", msg, off + 16);
  assert_non_null(strstr(msg, "invalid JSON"));
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

static void codec_should_refuse_future_versions(void **state) {
  struct x7__rr_doc d, back;
  struct x7__buf a;
  char msg[512], *p;
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  p = strstr((char *)a.ptr, "\"version\": 1\n");
  assert_non_null(p);
  p[11] = '7';
  reseal(a.ptr, a.len);
  assert_int_equal(decode(a.ptr, a.len, &back, msg, sizeof msg),
                   X7_ECASSETTE_VERSION);
  assert_non_null(strstr(msg, "version 7 is not supported"));
  assert_int_equal(offset_of(msg), (size_t)(p + 11 - (char *)a.ptr));
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

/* Replace the first `from` by `to` (same length), reseal, decode. */
static void expect_schema_error(const char *from, const char *to,
                                const char *want) {
  struct x7__rr_doc d, back;
  struct x7__buf a;
  char msg[512], *p;
  sample_doc(&d);
  encode(&d, &a);
  p = strstr((char *)a.ptr, from);
  assert_non_null(p);
  assert_int_equal(strlen(from), strlen(to));
  memcpy(p, to, strlen(to));
  reseal(a.ptr, a.len);
  assert_int_equal(decode(a.ptr, a.len, &back, msg, sizeof msg),
                   X7_ECASSETTE_FORMAT);
  if (!strstr(msg, want)) fail_msg("message '%s' lacks '%s'", msg, want);
  /* the offset lands on the edited node or the object holding it */
  if (!(offset_of(msg) <= (size_t)(p - (char *)a.ptr) + strlen(to) &&
        offset_of(msg) > 100))
    fail_msg("%s (edit at %zu)", msg, (size_t)(p - (char *)a.ptr));
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

static void codec_should_explain_schema_errors(void **state) {
  (void)state;
  expect_schema_error("\"status\": 201", "\"status\": \"1\"",
                      "interactions[1].response: \"status\" must be an "
                      "integer");
  expect_schema_error("\"method\": \"POST\"", "\"method\": \"PUSH\"",
                      "interactions[1].request: unknown method");
  expect_schema_error("\"hop\": 0", "\"hip\": 0",
                      "interactions[0]: unknown member \"hip\"");
  expect_schema_error("\"http_version\": \"1.1\"", "\"http_version\": \"1.7\"",
                      "must be 1.0, 1.1, 2, 3 or unknown");
  expect_schema_error("\"exhaustion\": \"error\"", "\"exhaustion\": \"never\"",
                      "settings: \"exhaustion\" must be");
  expect_schema_error("{\"base64\": \"AP+AYQB/Hw==\"}",
                      "{\"base64\": \"AP+AYQB/Hw=A\"}", "not canonical base64");
  expect_schema_error("\"format\": \"x7net-cassette\"",
                      "\"format\": \"x7net-cassettE\"", "\"format\" is");
}

static void codec_should_reject_non_cassettes(void **state) {
  struct x7__rr_doc d;
  char msg[256];
  static const char json[] = "{\"interactions\": []}\n";
  (void)state;
  assert_int_equal(decode((const uint8_t *)"", 0, &d, msg, sizeof msg),
                   X7_ECASSETTE_FORMAT);
  assert_string_equal(msg, "0: empty file (a cassette is never empty; delete "
                           "the file to record afresh)");
  assert_int_equal(
      decode((const uint8_t *)json, sizeof json - 1, &d, msg, sizeof msg),
      X7_ECASSETTE_FORMAT);
  assert_int_equal(offset_of(msg), 1);
  assert_non_null(strstr(msg, "not an x7net cassette"));
}

static void codec_should_check_blobs_exist(void **state) {
  struct x7__rr_doc d, back;
  struct x7__buf a;
  char msg[512];
  (void)state;
  sample_doc(&d);
  encode(&d, &a);
  assert_int_equal(
      x7__rr_decode(a.ptr, a.len, 1, "/nonexistent-x7", &back, msg, sizeof msg),
      X7_ECASSETTE_BLOB);
  assert_non_null(strstr(msg, "interactions[3].response.body"));
  assert_non_null(strstr(msg, "sha256:aaaaaaaa"));
  assert_non_null(strstr(msg, "missing"));
  x7__buf_cleanup(&a);
  x7__rr_doc_cleanup(&d);
}

static void codec_should_roundtrip_random_docs(void **state) {
  (void)state;
  for (int round = 0; round < 300; round++) {
    struct x7__rr_doc d, back;
    struct x7__buf a, b;
    char msg[512];
    size_t n = (size_t)x7t_rand_below(6);
    x7__rr_doc_init(&d);
    for (size_t i = 0; i < n; i++) {
      struct x7__rr_ix *ix =
          new_ix(1 + (uint32_t)x7t_rand_below(7), "http://h/p");
      struct x7__buf t;
      size_t hn = (size_t)x7t_rand_below(5);
      x7__buf_init(&t);
      x7__buf_u32(&t, 0);
      for (size_t k = 0; k < hn; k++) {
        uint8_t v[12];
        size_t vl = (size_t)x7t_rand_below(sizeof v);
        for (size_t j = 0; j < vl; j++) {
          v[j] = (uint8_t)x7t_rand_below(256);
          if (v[j] == '\r' || v[j] == '\n' || v[j] == 0) v[j] = 'x';
        }
        table_add(&t, k % 2 ? "X-A" : "b", v, vl);
      }
      set_table(&ix->resp_headers, &ix->resp_headers_len, &t);
      if (x7t_rand_below(2)) {
        size_t bl = 1 + (size_t)x7t_rand_below(64);
        uint8_t *body = x7t_rand_bytes(bl);
        if (x7t_rand_below(2))
          for (size_t j = 0; j < bl; j++)
            body[j] = (uint8_t)(32 + body[j] % 95);
        set_body(&ix->resp_body, body, bl);
        free(body);
      }
      if (x7t_rand_below(4) == 0) ix->error = 1 + (int32_t)x7t_rand_below(8);
      ix->status = (uint32_t)x7t_rand_below(600);
      assert_int_equal(x7__rr_doc_push(&d, ix), 0);
    }
    encode(&d, &a);
    assert_x7_ok(decode(a.ptr, a.len, &back, msg, sizeof msg));
    assert_int_equal(back.n, n);
    for (size_t i = 0; i < n; i++) {
      assert_int_equal(back.ix[i]->method, d.ix[i]->method);
      assert_int_equal(back.ix[i]->error, d.ix[i]->error);
      if (d.ix[i]->error) continue;
      assert_int_equal(back.ix[i]->status, d.ix[i]->status);
      assert_int_equal(back.ix[i]->resp_headers_len, d.ix[i]->resp_headers_len);
      assert_memory_equal(back.ix[i]->resp_headers, d.ix[i]->resp_headers,
                          d.ix[i]->resp_headers_len);
      assert_int_equal(back.ix[i]->resp_body.len, d.ix[i]->resp_body.len);
      if (d.ix[i]->resp_body.len)
        assert_memory_equal(back.ix[i]->resp_body.ptr, d.ix[i]->resp_body.ptr,
                            (size_t)d.ix[i]->resp_body.len);
    }
    encode(&back, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.ptr, b.ptr, a.len);
    x7__buf_cleanup(&a);
    x7__buf_cleanup(&b);
    x7__rr_doc_cleanup(&d);
    x7__rr_doc_cleanup(&back);
  }
}

static void b64_should_roundtrip_and_be_strict(void **state) {
  (void)state;
  for (size_t n = 0; n < 200; n++) {
    uint8_t *p = x7t_rand_bytes(n + 1);
    struct x7__buf e, d;
    x7__buf_init(&e);
    x7__buf_init(&d);
    x7__rr_b64_encode(&e, p, n);
    assert_int_equal(e.len, (n + 2) / 3 * 4);
    assert_int_equal(x7__rr_b64_decode((const char *)e.ptr, e.len, &d), 0);
    assert_int_equal(d.len, n);
    if (n) assert_memory_equal(d.ptr, p, n);
    x7__buf_cleanup(&e);
    x7__buf_cleanup(&d);
    free(p);
  }
  {
    struct x7__buf d;
    x7__buf_init(&d);
    assert_int_equal(x7__rr_b64_decode("QQ=", 3, &d), -1);
    assert_int_equal(x7__rr_b64_decode("QR==", 4, &d), -1); /* stray bits */
    assert_int_equal(x7__rr_b64_decode("Q===", 4, &d), -1);
    assert_int_equal(x7__rr_b64_decode("QQ=A", 4, &d), -1);
    assert_int_equal(x7__rr_b64_decode("Q Q=", 4, &d), -1);
    x7__buf_cleanup(&d);
  }
}

static void codec_should_report_enomem(void **state) {
  (void)state;
  for (long k = 1;; k++) {
    struct x7__rr_doc d, back;
    struct x7__buf a;
    x7_result r;
    char msg[256];
    sample_doc(&d);
    x7__buf_init(&a);
    assert_x7_ok(x7__rr_encode(&d, &a));
    x7t_failalloc_install(k);
    r = decode(a.ptr, a.len, &back, msg, sizeof msg);
    if (r) assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    x7__buf_cleanup(&a);
    x7__rr_doc_cleanup(&d);
    if (r == X7_OK) {
      x7__rr_doc_cleanup(&back);
      break;
    }
    assert_int_equal(r, X7_ENOMEM);
    assert_int_equal(back.n, 0);
  }
  /* and the encoder */
  for (long k = 1;; k++) {
    struct x7__rr_doc d;
    struct x7__buf a;
    x7_result r;
    long live;
    sample_doc(&d);
    x7__buf_init(&a);
    x7t_failalloc_install(k);
    r = x7__rr_encode(&d, &a);
    x7__buf_cleanup(&a);
    live = x7t_failalloc_live();
    x7t_failalloc_remove();
    x7__rr_doc_cleanup(&d);
    assert_int_equal(live, 0);
    if (r == X7_OK) break;
    assert_int_equal(r, X7_ENOMEM);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(codec_should_roundtrip_bytes_exactly),
      cmocka_unit_test(codec_should_write_canonical_json),
      cmocka_unit_test(codec_should_be_deterministic),
      cmocka_unit_test(codec_should_reject_every_truncation),
      cmocka_unit_test(codec_should_reject_every_corruption),
      cmocka_unit_test(codec_should_name_the_edit),
      cmocka_unit_test(codec_should_refuse_future_versions),
      cmocka_unit_test(codec_should_explain_schema_errors),
      cmocka_unit_test(codec_should_reject_non_cassettes),
      cmocka_unit_test(codec_should_check_blobs_exist),
      cmocka_unit_test(codec_should_roundtrip_random_docs),
      cmocka_unit_test(b64_should_roundtrip_and_be_strict),
      cmocka_unit_test(codec_should_report_enomem),
  };
  return cmocka_run_group_tests_name("cassette_codec", tests, NULL, NULL);
}
