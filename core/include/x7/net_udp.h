/*
 * net_udp.h - std.net.udp: accessors of the UDP result docs (spec §2.4,
 * §3.6).  bind_v1, sendto_v1, recvfrom_v1 and the doc reader need a
 * backend and are declared elsewhere.
 *
 * Ok docs start 01 01 00 00; after that:
 *   UdpBindDocV1  sock_handle u32, addr_len u32, NetAddrV1
 *   UdpSendDocV1  bytes_sent u32                               (8 bytes)
 *   UdpRecvDocV1  from_addr_len u32, NetAddrV1, payload_len u32, payload
 *
 * Accessor strictness is upstream's: byte 0 == 1 and byte 1 == 1 always.
 * bind_sock_handle_v1 needs at least 12 bytes and send_bytes_sent_v1 at
 * least 8; both ignore the total length and return the stored u32 as a
 * signed i32 (>= 2^31 comes back negative); otherwise 0.  The bytes
 * accessors need the exact total length (12 + addr_len for a bind doc;
 * 12 + addr_len + payload_len for a recv doc, where both lengths must be
 * below 2^31); otherwise empty.  No accessor checks the kind of doc.
 *
 * All functions: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated.  On any failure a bytes output is left empty.
 * Bytes outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_UDP_H
#define X7_NET_UDP_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Socket handle of a UdpBindDocV1 (len >= 12), else 0. */
X7_API x7_result x7_net_udp_bind_sock_handle_v1(struct x7_view doc,
                                                int32_t *pout);
/* Bound NetAddrV1 of a UdpBindDocV1 (exact length), else empty. */
X7_API x7_result x7_net_udp_bind_bound_addr_v1(struct x7_view doc,
                                               struct x7_bytes *pout);
/* bytes_sent of a UdpSendDocV1 (len >= 8), else 0. */
X7_API x7_result x7_net_udp_send_bytes_sent_v1(struct x7_view doc,
                                               int32_t *pout);
/* Payload of a well-formed UdpRecvDocV1, else empty (an empty datagram
 * also reads as empty). */
X7_API x7_result x7_net_udp_recv_payload_v1(struct x7_view doc,
                                            struct x7_bytes *pout);
/* Sender NetAddrV1 of a well-formed UdpRecvDocV1, else empty. */
X7_API x7_result x7_net_udp_recv_from_addr_v1(struct x7_view doc,
                                              struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_UDP_H */
