/* test_net_sockaddr.c - NetAddrV1 <-> struct sockaddr conversions used by
 * the socket backends. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include <x7/net.h>

#include "net_sockaddr_int.h"
#include "x7_test.h"

static void ipv4_should_convert_both_ways(void **state) {
  struct x7_bytes a = {0};
  struct sockaddr_storage ss;
  struct sockaddr_in *in = (struct sockaddr_in *)&ss;
  uint8_t out[X7__NETADDR_IP_MAX];
  (void)state;
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(127, 0, 0, 1, 30001, &a));
  assert_int_equal(x7__sockaddr_from_netaddr(x7_bytes_view(&a), &ss),
                   sizeof(struct sockaddr_in));
  assert_int_equal(in->sin_family, AF_INET);
  assert_int_equal(ntohs(in->sin_port), 30001);
  assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000001u);
  assert_int_equal(x7__sockaddr_to_netaddr((struct sockaddr *)&ss,
                                           sizeof *in, -1, out),
                   16);
  assert_memory_equal(out, a.ptr, 16);
  /* The requested port replaces the sockaddr's (DNS results). */
  assert_int_equal(x7__sockaddr_to_netaddr((struct sockaddr *)&ss,
                                           sizeof *in, 80, out),
                   16);
  x7t_assert_hex(out, 16, "0100000001000000500000007f000001", __FILE__,
                 __LINE__);
  /* A short salen is not trusted. */
  assert_int_equal(x7__sockaddr_to_netaddr((struct sockaddr *)&ss,
                                           sizeof *in - 1, -1, out),
                   0);
  x7_bytes_free(&a);
}

static void ipv6_should_convert_both_ways(void **state) {
  uint8_t ip[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
  struct x7_bytes a = {0};
  struct sockaddr_storage ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  uint8_t out[X7__NETADDR_IP_MAX];
  (void)state;
  assert_x7_ok(x7_net_codec_addr_ipv6_v1(x7_view_of(ip, 16), 443, &a));
  assert_int_equal(x7__sockaddr_from_netaddr(x7_bytes_view(&a), &ss),
                   sizeof(struct sockaddr_in6));
  assert_int_equal(in6->sin6_family, AF_INET6);
  assert_int_equal(ntohs(in6->sin6_port), 443);
  assert_memory_equal(&in6->sin6_addr, ip, 16);
  assert_int_equal(x7__sockaddr_to_netaddr((struct sockaddr *)&ss,
                                           sizeof *in6, -1, out),
                   28);
  assert_memory_equal(out, a.ptr, 28);
  x7_bytes_free(&a);
}

static void other_addresses_should_be_refused(void **state) {
  struct x7_bytes a = {0};
  struct sockaddr_storage ss;
  struct sockaddr_un un;
  uint8_t out[X7__NETADDR_IP_MAX];
  char name[8];
  uint32_t port = 0;
  (void)state;
  assert_x7_ok(x7_net_codec_addr_dns_v1(x7_view_str("localhost"), 80, &a));
  assert_int_equal(x7__sockaddr_from_netaddr(x7_bytes_view(&a), &ss), 0);
  assert_int_equal(x7__sockaddr_from_netaddr(x7_view_of(a.ptr, 12), &ss), 0);
  /* The name comes out as a C string, only if it fits. */
  assert_int_equal(
      x7__netaddr_dns_name(x7_bytes_view(&a), name, sizeof name, &port), -1);
  {
    char big[16];
    assert_int_equal(
        x7__netaddr_dns_name(x7_bytes_view(&a), big, sizeof big, &port), 0);
    assert_string_equal(big, "localhost");
    assert_int_equal(port, 80);
  }
  x7_bytes_free(&a);
  assert_x7_ok(x7_net_codec_addr_ipv4_v1(1, 2, 3, 4, 5, &a));
  assert_int_equal(
      x7__netaddr_dns_name(x7_bytes_view(&a), name, sizeof name, &port), -1);
  x7_bytes_free(&a);
  memset(&un, 0, sizeof un);
  un.sun_family = AF_UNIX;
  assert_int_equal(x7__sockaddr_to_netaddr((struct sockaddr *)&un,
                                           sizeof un, -1, out),
                   0);
}

static void dns_names_with_nul_should_be_refused(void **state) {
  /* A tag-3 NetAddrV1 built by hand: the codec would refuse the NUL. */
  const uint8_t a[] = {1, 0, 0, 0, 3, 0, 0, 0, 80, 0, 0, 0,
                       3, 0, 0, 0, 'a', 0,  'b'};
  char name[8];
  uint32_t port;
  (void)state;
  assert_int_equal(x7__netaddr_dns_name(x7_view_of(a, sizeof a), name,
                                        sizeof name, &port),
                   -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ipv4_should_convert_both_ways),
      cmocka_unit_test(ipv6_should_convert_both_ways),
      cmocka_unit_test(other_addresses_should_be_refused),
      cmocka_unit_test(dns_names_with_nul_should_be_refused),
  };
  return cmocka_run_group_tests_name("net_sockaddr", tests, NULL, NULL);
}
