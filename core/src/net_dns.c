/* net_dns.c - std.net.dns accessors of DnsLookupDocV1 (spec §2.4, §3.3). */
#include <x7/net_dns.h>

#include "sock_int.h"

#define COUNT_OFF 4
#define FIRST_ENTRY 8

static int32_t dns_count(struct x7_view doc) {
  int32_t n;
  if (doc.len < FIRST_ENTRY || !x7__sock_ok_hdr(doc)) return 0;
  n = x7__rdi32(doc.ptr + COUNT_OFF);
  return n < 0 ? 0 : n;
}

x7_result x7_net_dns_count_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = dns_count(doc);
  return X7_OK;
}

x7_result x7_net_dns_addr_at_v1(struct x7_view doc, int32_t i,
                                struct x7_bytes *pout) {
  size_t pos = FIRST_ENTRY;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  if (i < 0 || i >= dns_count(doc)) return X7_OK;
  /* Entries have no index: walk them, checking each length before it is
   * used, so a lying count or length can only end the walk early. */
  for (int32_t j = 0;; j++) {
    int32_t n;
    if (doc.len - pos < 4) return X7_OK;
    n = x7__rdi32(doc.ptr + pos);
    pos += 4;
    if (n < 0 || doc.len - pos < (size_t)n) return X7_OK;
    if (j == i) return x7__bytes_dup(doc.ptr + pos, (size_t)n, pout);
    pos += (size_t)n;
  }
}
