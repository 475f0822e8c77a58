/* test_net_dns.c - std.net.dns accessors of DnsLookupDocV1 (spec §2.4,
 * §3.3, vectors S1-S2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "core_int.h"
#include "x7_test.h"

#define A4 "0100000001000000500000007f000001" /* 127.0.0.1:80 */
#define A6                   \
  "010000000200000050000000" \
  "00000000000000000000000000000001"
#define S1           \
  "0101000001000000" \
  "10000000" A4
#define S2           \
  "0101000002000000" \
  "1c000000" A6 "10000000" A4
/* Three entries of unusual lengths, then two trailing bytes: the x07
 * accessors never validate the addresses nor the total length. */
#define ODD          \
  "0101000003000000" \
  "00000000"         \
  "02000000abcd"     \
  "01000000ee"       \
  "ffff"

static const struct {
  const char *hex;
  int32_t count;
  const char *entry[3];
} vectors[] = {
    {S1, 1, {A4}},
    {S2, 2, {A6, A4}},
    {ODD, 3, {"", "abcd", "ee"}},
};
#define N_VEC (sizeof vectors / sizeof vectors[0])

static int32_t count_of(struct x7_view d) {
  int32_t n = -99;
  assert_x7_ok(x7_net_dns_count_v1(d, &n));
  return n;
}

static void accessors_should_read_vectors(void **state) {
  (void)state;
  for (size_t v = 0; v < N_VEC; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vectors[v].hex, &n);
    struct x7_bytes e = {0};
    assert_int_equal(count_of(x7_view_of(d, n)), vectors[v].count);
    for (int32_t i = 0; i < vectors[v].count; i++) {
      assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), i, &e));
      assert_bytes_hex(e, vectors[v].entry[i]);
      x7_bytes_free(&e);
    }
    {
      const int32_t outside[] = {-1, INT32_MIN, vectors[v].count,
                                 vectors[v].count + 1, INT32_MAX};
      for (size_t k = 0; k < 5; k++) {
        assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), outside[k], &e));
        assert_null(e.ptr);
        assert_int_equal(e.len, 0);
      }
    }
    free(d);
  }
}

/* The walk of §2.4, restated for the cases where a corruption moves it. */
static int walk_rule(struct x7_view in, int32_t i, struct x7_view *out) {
  uint32_t count;
  size_t pos = 8;
  if (i < 0 || in.len < 8 || in.ptr[0] != 1 || in.ptr[1] != 1) return 0;
  count = x7__rd32(in.ptr + 4);
  if (count > INT32_MAX || (uint32_t)i >= count) return 0;
  for (int32_t j = 0;; j++) {
    uint32_t len;
    if (pos + 4 > in.len) return 0;
    len = x7__rd32(in.ptr + pos);
    pos += 4;
    if (len > INT32_MAX || pos + len > in.len) return 0;
    if (j == i) {
      *out = x7_view_of(in.ptr + pos, len);
      return 1;
    }
    pos += len;
  }
}

/* Where entry j of an intact vector sits. */
struct entry_pos {
  size_t len_off, data_off, len;
};

static void entries_of(struct x7_view d, struct entry_pos *e, int32_t count) {
  size_t pos = 8;
  for (int32_t j = 0; j < count; j++) {
    e[j].len_off = pos;
    e[j].len = x7__rd32(d.ptr + pos);
    e[j].data_off = pos + 4;
    pos = e[j].data_off + e[j].len;
  }
}

struct sweep_ctx {
  struct x7_view orig;
  int32_t count;
  struct entry_pos e[3];
};

static void assert_entry(struct x7_view in, int32_t i,
                         const struct x7_bytes *got, enum x7t_mutation kind,
                         size_t pos, const struct sweep_ctx *c) {
  const struct entry_pos *ei = &c->e[i];
  const struct x7_view orig_entry =
      x7_view_of(c->orig.ptr + ei->data_off, ei->len);
  struct x7_view want;
  if (kind == X7T_TRUNC) {
    /* No exact-length rule: a prefix keeps every entry it contains. */
    if (pos < ei->data_off + ei->len)
      assert_int_equal(got->len, 0);
    else
      assert_bytes_eq(*got, orig_entry);
    return;
  }
  if (pos < 2) {
    assert_int_equal(got->len, 0);
    return;
  }
  if (pos >= 4 && pos < 8) {
    if (x7__rdi32(in.ptr + 4) <= i)
      assert_int_equal(got->len, 0);
    else
      assert_bytes_eq(*got, orig_entry);
    return;
  }
  for (int32_t j = 0; j < c->count; j++) {
    const struct entry_pos *ej = &c->e[j];
    if (pos >= ej->len_off && pos < ej->data_off) {
      if (j > i) {
        assert_bytes_eq(*got, orig_entry);
      } else if (j == i) {
        /* Same start, new length: refused only if it runs past the end. */
        int32_t len = x7__rdi32(in.ptr + ei->len_off);
        if (len < 0 || ei->data_off + (size_t)len > in.len) {
          assert_int_equal(got->len, 0);
        } else {
          assert_int_equal(got->len, len);
          if (len) assert_memory_equal(got->ptr, in.ptr + ei->data_off, len);
        }
      } else if (walk_rule(in, i, &want)) {
        assert_bytes_eq(*got, want); /* the walk now lands elsewhere */
      } else {
        assert_int_equal(got->len, 0);
      }
      return;
    }
    if (pos >= ej->data_off && pos < ej->data_off + ej->len) {
      if (j == i) {
        assert_int_equal(got->len, ei->len);
        assert_memory_equal(got->ptr, in.ptr + ei->data_off, ei->len);
      } else {
        assert_bytes_eq(*got, orig_entry);
      }
      return;
    }
  }
  /* Bytes 2-3 and trailing bytes are never read. */
  assert_bytes_eq(*got, orig_entry);
}

static void probe_dns(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  const struct sweep_ctx *c = ud;
  int32_t want_count = c->count;
  struct x7_bytes got = {0};
  struct x7_view w;

  if (kind == X7T_TRUNC && pos < 8) want_count = 0;
  if (kind == X7T_CORRUPT && pos < 2) want_count = 0;
  if (kind == X7T_CORRUPT && pos >= 4 && pos < 8) {
    want_count = x7__rdi32(in.ptr + 4);
    if (want_count < 0) want_count = 0;
  }
  assert_int_equal(count_of(in), want_count);

  for (int32_t i = -1; i <= c->count + 1; i++) {
    assert_x7_ok(x7_net_dns_addr_at_v1(in, i, &got));
    if (i >= 0 && i < c->count) {
      assert_entry(in, i, &got, kind, pos, c);
    } else if (i >= 0 && walk_rule(in, i, &w)) {
      /* Only reachable by raising the count over trailing bytes. */
      assert_true(kind == X7T_CORRUPT && pos >= 4 && pos < 8);
      assert_bytes_eq(got, w);
    } else {
      assert_int_equal(got.len, 0);
    }
    x7_bytes_free(&got);
  }
}

static void accessors_should_survive_sweeps(void **state) {
  (void)state;
  for (size_t v = 0; v < N_VEC; v++) {
    size_t n;
    uint8_t *d = x7t_unhex(vectors[v].hex, &n);
    struct sweep_ctx c;
    c.orig = x7_view_of(d, n);
    c.count = vectors[v].count;
    entries_of(c.orig, c.e, c.count);
    x7t_sweep_truncations(d, n, probe_dns, &c);
    x7t_sweep_corruptions(d, n, probe_dns, &c);
    free(d);
  }
}

/* The decision documented in net_dns.h: a bad entry ends the walk. */
static void walk_should_stop_at_a_bad_entry(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S2, &n);
  struct x7_bytes e = {0};
  (void)state;
  /* Entry 1 claims 2^31 + 16 bytes (negative for upstream). */
  x7__wr32(d + 40, 0x80000010u);
  assert_int_equal(count_of(x7_view_of(d, n)), 2);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 0, &e));
  assert_bytes_hex(e, A6);
  x7_bytes_free(&e);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 1, &e));
  assert_int_equal(e.len, 0);
  /* Entry 1 runs one byte past the end. */
  x7__wr32(d + 40, 17);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 1, &e));
  assert_int_equal(e.len, 0);
  /* Entry 0 runs past the end: nothing is readable. */
  x7__wr32(d + 40, 16);
  x7__wr32(d + 8, 0xffffffe0u);
  for (int32_t i = 0; i < 2; i++) {
    assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), i, &e));
    assert_int_equal(e.len, 0);
  }
  /* A count >= 2^31 reads as 0 and hides every entry. */
  x7__wr32(d + 8, 28);
  x7__wr32(d + 4, 0x80000002u);
  assert_int_equal(count_of(x7_view_of(d, n)), 0);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 0, &e));
  assert_int_equal(e.len, 0);
  /* A count larger than the entries is reported as stored. */
  x7__wr32(d + 4, 1000);
  assert_int_equal(count_of(x7_view_of(d, n)), 1000);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 1, &e));
  assert_bytes_hex(e, A4);
  x7_bytes_free(&e);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 2, &e));
  assert_int_equal(e.len, 0);
  assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 999, &e));
  assert_int_equal(e.len, 0);
  free(d);
}

static void accessors_should_ignore_error_docs(void **state) {
  static const char *const docs[] = {"000500000000000000", "", "0101000001",
                                     "0001000000010000001000000000"};
  (void)state;
  for (size_t i = 0; i < 4; i++) {
    size_t n;
    uint8_t *d = x7t_unhex(docs[i], &n);
    struct x7_bytes e = {0};
    assert_int_equal(count_of(x7_view_of(d, n)), 0);
    assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), 0, &e));
    assert_null(e.ptr);
    free(d);
  }
}

static void accessors_should_follow_rules_on_random_docs(void **state) {
  (void)state;
  for (int iter = 0; iter < 5000; iter++) {
    /* Mostly well-formed walks with random lengths; some lies. */
    uint8_t buf[256];
    size_t n = 8, entries = (size_t)x7t_rand_below(6);
    struct x7_view in, w;
    buf[0] = buf[1] = 1;
    buf[2] = (uint8_t)x7t_rand();
    buf[3] = (uint8_t)x7t_rand();
    x7__wr32(buf + 4,
             (uint32_t)(x7t_rand_below(8) ? entries : x7t_rand_below(9)));
    for (size_t j = 0; j < entries; j++) {
      size_t len = (size_t)x7t_rand_below(30);
      x7__wr32(buf + n, (uint32_t)len);
      if (!x7t_rand_below(20)) x7__wr32(buf + n, (uint32_t)x7t_rand());
      n += 4;
      for (size_t k = 0; k < len; k++) buf[n + k] = (uint8_t)x7t_rand();
      n += len;
    }
    n += (size_t)x7t_rand_below(3);             /* trailing bytes */
    n -= (size_t)x7t_rand_below(n < 9 ? 1 : 4); /* or a short doc */
    in = x7_view_of(buf, n);
    for (int32_t i = -1; i < 9; i++) {
      struct x7_bytes got = {0};
      assert_x7_ok(x7_net_dns_addr_at_v1(in, i, &got));
      if (walk_rule(in, i, &w))
        assert_bytes_eq(got, w);
      else
        assert_int_equal(got.len, 0);
      x7_bytes_free(&got);
    }
  }
}

static void accessors_should_reject_bad_arguments(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S1, &n);
  struct x7_bytes e = {(uint8_t *)d, 5};
  int32_t c = 9;
  (void)state;
  assert_x7_result(X7_EINVAL, x7_net_dns_count_v1(x7_view_of(d, n), NULL));
  assert_x7_result(X7_EINVAL, x7_net_dns_count_v1(x7_view_of(NULL, 8), &c));
  assert_int_equal(c, 0);
  assert_x7_result(X7_EINVAL,
                   x7_net_dns_addr_at_v1(x7_view_of(d, n), 0, NULL));
  assert_x7_result(X7_EINVAL,
                   x7_net_dns_addr_at_v1(x7_view_of(NULL, 8), 0, &e));
  assert_null(e.ptr);
  assert_int_equal(e.len, 0);
  free(d);
}

static void addr_at_should_fail_cleanly_without_memory(void **state) {
  size_t n;
  uint8_t *d = x7t_unhex(S2, &n);
  (void)state;
  for (int32_t i = 0; i < 2; i++) {
    struct x7_bytes e = {0};
    x7t_failalloc_install(1);
    assert_x7_result(X7_ENOMEM,
                     x7_net_dns_addr_at_v1(x7_view_of(d, n), i, &e));
    assert_null(e.ptr);
    assert_int_equal(e.len, 0);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
    x7t_failalloc_install(2);
    assert_x7_ok(x7_net_dns_addr_at_v1(x7_view_of(d, n), i, &e));
    assert_int_equal(e.len, i == 0 ? 28 : 16);
    x7_bytes_free(&e);
    assert_int_equal(x7t_failalloc_live(), 0);
    x7t_failalloc_remove();
  }
  free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accessors_should_read_vectors),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(walk_should_stop_at_a_bad_entry),
      cmocka_unit_test(accessors_should_ignore_error_docs),
      cmocka_unit_test(accessors_should_follow_rules_on_random_docs),
      cmocka_unit_test(accessors_should_reject_bad_arguments),
      cmocka_unit_test(addr_at_should_fail_cleanly_without_memory),
  };
  return cmocka_run_group_tests_name("net_dns", tests, NULL, NULL);
}
