/*
 * net_dns.h - std.net.dns: accessors of DnsLookupDocV1 (spec §2.4, §3.3).
 *
 * DnsLookupDocV1 (ok form) = 01 01 00 00, count u32, then count entries of
 * (addr_len u32, NetAddrV1 bytes).  An error doc is a NetErrDocV1.
 *
 * The I/O twins go through the selected backend (x7_backend.h) after the
 * core has validated every argument in upstream's order.  Their results:
 * X7_OK with the whole doc in *pout (an ok doc or a 9-byte NetErrDocV1,
 * byte for byte what upstream returns); X7_EINVAL (NULL pout, a view with
 * ptr NULL and len > 0); X7_ENOMEM; X7_ENOTFOUND / X7_ENOTBUILT / the
 * backend's global_init error when no backend can be selected (see
 * x7_backend_current); X7_ENOTSUPPORTED when the selected backend has no
 * sockets.  On any failure *pout is empty.  Status functions (close,
 * drop, shutdown) answer 1 or 0 in *pout and fail only with X7_EINVAL or
 * the backend-selection results.
 *
 * The accessors never read outside the view and never fail on malformed
 * docs: they return 0 / empty bytes exactly like upstream.
 *
 * Accessors: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated.  On any failure a bytes output is left empty.
 * Bytes outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_DNS_H
#define X7_NET_DNS_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The stored count of an ok doc (at least 8 bytes, byte 0 == 1, byte 1 ==
 * 1); 0 for an error doc, a short doc or a count >= 2^31.  The count is not
 * checked against the entries actually present. */
X7_API x7_result x7_net_dns_count_v1(struct x7_view doc, int32_t *pout);

/* The NetAddrV1 bytes of entry i (0-based), copied as stored (they are not
 * validated as a NetAddrV1).  Empty when the doc is not an ok doc, when i
 * is negative or not below the count, or when the walk to entry i fails:
 * the walk reads each entry's addr_len in turn and stops at the first one
 * that is >= 2^31 (negative) or runs past the end of the doc, so that
 * entry and every later one read as empty while earlier entries stay
 * readable.  Trailing bytes after the last entry are ignored. */
X7_API x7_result x7_net_dns_addr_at_v1(struct x7_view doc, int32_t i,
                                       struct x7_bytes *pout);

/* ---- I/O (backend) ---- */

/* std.net.dns.lookup_v1: resolve name (1..1024 bytes, no NUL) for port
 * (1..65535; 0 -> INVALID_REQ(2), E6) into a DnsLookupDocV1 listing at most
 * 64 addresses in resolver order, each with the requested port.  Resolver
 * failure -> DNS(5); caps (NetCapsV1) are validated (2) but the resolver
 * ignores their timeouts, as upstream. */
X7_API x7_result x7_net_dns_lookup_v1(struct x7_view name, int32_t port,
                                      struct x7_view caps,
                                      struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_DNS_H */
