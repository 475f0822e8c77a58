/*
 * net_udp.h - std.net.udp: accessors of the UDP result docs and the I/O
 * twins (spec §2.4, §3.6, §5.8).  The doc reader (an iface) has no twin.
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
 * Accessors: X7_OK on success; X7_EINVAL when an out-pointer is NULL or a
 * view has ptr NULL with len > 0; X7_ENOMEM when an output buffer cannot
 * be allocated.  On any failure a bytes output is left empty.  Bytes
 * outputs are owned by the caller (x7_bytes_free).
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
 * UDP handles share the one table of std.net.tcp (1..4096); caps are
 * read as there.
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

/* ---- I/O (backend) ---- */

/* bind_v1: addr must be an IP NetAddrV1 (a name -> 2); port 0 binds an
 * ephemeral port.  UdpBindDocV1 with the bound address.  Errors: 2, 6
 * (socket/bind), 8. */
X7_API x7_result x7_net_udp_bind_v1(struct x7_view addr, struct x7_view caps,
                                    struct x7_bytes *pout);
/* sendto_v1: one datagram to addr (any NetAddrV1; a name is resolved and
 * its addresses tried in order until one send succeeds).  Checked in the
 * shim's order: caps (2), payload longer than max_write_bytes (4, BEFORE
 * the handle: E8), handle (2), addr (2).  UdpSendDocV1.  Errors: 2, 3, 4,
 * 5, 6, 8. */
X7_API x7_result x7_net_udp_sendto_v1(int32_t handle, struct x7_view addr,
                                      struct x7_view payload,
                                      struct x7_view caps,
                                      struct x7_bytes *pout);
/* recvfrom_v1: waits up to io_timeout_ms for one datagram and returns at
 * most min(max_bytes, max_read_bytes) bytes of it: a longer datagram is
 * truncated SILENTLY, as upstream.  UdpRecvDocV1.  Errors: 2, 3, 6, 8. */
X7_API x7_result x7_net_udp_recvfrom_v1(int32_t handle, int32_t max_bytes,
                                        struct x7_view caps,
                                        struct x7_bytes *pout);
/* close_v1 / drop_v1: as x7_net_tcp_stream_close_v1 / _drop_v1 for UDP
 * handles. */
X7_API x7_result x7_net_udp_close_v1(int32_t handle, int32_t *pout);
X7_API x7_result x7_net_udp_drop_v1(int32_t handle, int32_t *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_UDP_H */
