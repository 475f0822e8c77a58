/* test_net_err.c - std.net.err twins: spec §2.1, §3.1, vectors V1-V2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <x7/net.h>

#include "x7_test.h"

static void make_doc_should_match_vectors(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  assert_x7_ok(x7_net_err_make_doc_v1(3, &d));
  assert_bytes_hex(d, "000300000000000000"); /* V1 */
  x7_bytes_free(&d);
  assert_x7_ok(x7_net_err_make_doc_v1(1, &d));
  assert_bytes_hex(d, "000100000000000000"); /* V2 */
  x7_bytes_free(&d);
  /* Negative codes are stored as their bit pattern, as upstream does. */
  assert_x7_ok(x7_net_err_make_doc_v1(-1, &d));
  assert_bytes_hex(d, "00ffffffff00000000");
  x7_bytes_free(&d);
}

static void constants_should_be_one_to_eight(void **state) {
  x7_result (*const fns[])(int32_t *) = {
      x7_net_err_code_policy_denied_v1, x7_net_err_code_invalid_req_v1,
      x7_net_err_code_timeout_v1,       x7_net_err_code_too_large_v1,
      x7_net_err_code_dns_v1,           x7_net_err_code_connect_v1,
      x7_net_err_code_tls_v1,           x7_net_err_code_internal_v1};
  (void)state;
  for (int i = 0; i < 8; i++) {
    int32_t v = -1;
    assert_x7_ok(fns[i](&v));
    assert_int_equal(v, i + 1);
  }
}

static void is_err_doc_should_follow_byte0(void **state) {
  int32_t v;
  const uint8_t err[] = {0}, ok[] = {1, 1};
  (void)state;
  assert_x7_ok(x7_net_err_is_err_doc_v1(x7_view_of(NULL, 0), &v));
  assert_int_equal(v, 0); /* empty is not an error doc here (§9.18) */
  assert_x7_ok(x7_net_err_is_err_doc_v1(x7_view_of(err, 1), &v));
  assert_int_equal(v, 1);
  assert_x7_ok(x7_net_err_is_err_doc_v1(x7_view_of(ok, 2), &v));
  assert_int_equal(v, 0);
}

static void err_code_should_need_five_bytes(void **state) {
  int32_t v;
  const uint8_t doc[] = {0, 7, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t big[] = {0, 0, 0, 0, 0x80};
  (void)state;
  assert_x7_ok(x7_net_err_err_code_v1(x7_view_of(doc, 9), &v));
  assert_int_equal(v, 7);
  assert_x7_ok(x7_net_err_err_code_v1(x7_view_of(doc, 5), &v));
  assert_int_equal(v, 7);
  assert_x7_ok(x7_net_err_err_code_v1(x7_view_of(doc, 4), &v));
  assert_int_equal(v, 0);
  /* A stored value >= 2^31 reads back negative, like upstream's i32. */
  assert_x7_ok(x7_net_err_err_code_v1(x7_view_of(big, 5), &v));
  assert_int_equal(v, INT32_MIN);
}

static void probe_err(void *ud, enum x7t_mutation kind, size_t pos,
                      struct x7_view in) {
  int32_t is_err, code;
  (void)ud;
  assert_x7_ok(x7_net_err_is_err_doc_v1(in, &is_err));
  assert_x7_ok(x7_net_err_err_code_v1(in, &code));
  assert_int_equal(is_err, in.len >= 1 && in.ptr[0] == 0);
  if (kind == X7T_TRUNC && pos < 5) assert_int_equal(code, 0);
  if (kind == X7T_CORRUPT && pos == 0) assert_int_equal(code, 0);
  if (kind == X7T_CORRUPT && pos >= 5) assert_int_equal(code, 3);
}

static void accessors_should_survive_sweeps(void **state) {
  struct x7_bytes d = {0};
  (void)state;
  assert_x7_ok(x7_net_err_make_doc_v1(3, &d));
  x7t_sweep_truncations(d.ptr, d.len, probe_err, NULL);
  x7t_sweep_corruptions(d.ptr, d.len, probe_err, NULL);
  x7_bytes_free(&d);
}

static void roundtrip_should_hold_for_random_codes(void **state) {
  (void)state;
  for (int i = 0; i < 5000; i++) {
    int32_t code = (int32_t)(uint32_t)x7t_rand(), back = 0, is_err = 0;
    struct x7_bytes d = {0};
    assert_x7_ok(x7_net_err_make_doc_v1(code, &d));
    assert_int_equal(d.len, 9);
    assert_x7_ok(x7_net_err_is_err_doc_v1(x7_bytes_view(&d), &is_err));
    assert_x7_ok(x7_net_err_err_code_v1(x7_bytes_view(&d), &back));
    assert_int_equal(is_err, 1);
    assert_int_equal(back, code);
    x7_bytes_free(&d);
  }
}

static void twins_should_reject_bad_arguments(void **state) {
  struct x7_bytes d = {0};
  int32_t v = 5;
  (void)state;
  assert_x7_result(X7_EINVAL, x7_net_err_make_doc_v1(1, NULL));
  assert_x7_result(X7_EINVAL, x7_net_err_err_code_v1(x7_view_of(NULL, 3), &v));
  assert_int_equal(v, 0);
  assert_x7_result(X7_EINVAL, x7_net_err_is_err_doc_v1(x7_view_of(NULL, 0), NULL));
  x7t_failalloc_install(1);
  assert_x7_result(X7_ENOMEM, x7_net_err_make_doc_v1(1, &d));
  assert_null(d.ptr);
  assert_int_equal(d.len, 0);
  assert_int_equal(x7t_failalloc_live(), 0);
  x7t_failalloc_remove();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(make_doc_should_match_vectors),
      cmocka_unit_test(constants_should_be_one_to_eight),
      cmocka_unit_test(is_err_doc_should_follow_byte0),
      cmocka_unit_test(err_code_should_need_five_bytes),
      cmocka_unit_test(accessors_should_survive_sweeps),
      cmocka_unit_test(roundtrip_should_hold_for_random_codes),
      cmocka_unit_test(twins_should_reject_bad_arguments),
  };
  return cmocka_run_group_tests_name("net_err", tests, NULL, NULL);
}
