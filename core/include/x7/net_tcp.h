/*
 * net_tcp.h - std.net.tcp: accessors of the TCP result docs and the event
 * and shutdown constants (spec §2.4, §3.4).  The I/O functions
 * (connect_v1, listen_v1, stream_read_v1, ...) need a backend and are
 * declared elsewhere.
 *
 * Ok docs start 01 01 00 00; after that:
 *   TcpConnectDocV1   stream_handle u32                      (8 bytes)
 *   TcpListenDocV1    listener_handle u32, addr_len u32, NetAddrV1
 *   TcpAcceptDocV1    stream_handle u32, addr_len u32, NetAddrV1
 *   StreamReadDocV1   payload_len u32, payload
 *   StreamWriteDocV1  bytes_written u32                      (8 bytes)
 *   StreamWaitDocV1   events u32 (1 readable, 2 writable, 4 hangup)
 *
 * Accessor strictness is upstream's: every accessor needs byte 0 == 1 and
 * byte 1 == 1.  The i32 accessors need at least 8 bytes (12 for the
 * listen/accept handles), ignore the total length and return the stored
 * u32 as a signed i32 (a value >= 2^31 comes back negative, as upstream);
 * otherwise 0.  The bytes accessors need the exact total length (12 +
 * addr_len, 8 + payload_len, a length >= 2^31 never matches); otherwise
 * empty.  No accessor checks which kind of doc it was given.
 *
 * All functions: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated.  On any failure a bytes output is left empty.
 * Bytes outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_TCP_H
#define X7_NET_TCP_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Event bits of stream_wait_v1 and StreamWaitDocV1. */
enum x7_net_tcp_wait {
  X7_NET_TCP_WAIT_READABLE = 1,
  X7_NET_TCP_WAIT_WRITABLE = 2,
  X7_NET_TCP_WAIT_HANGUP = 4
};

/* `how` values of stream_shutdown_v1. */
enum x7_net_tcp_shutdown {
  X7_NET_TCP_SHUTDOWN_READ = 0,
  X7_NET_TCP_SHUTDOWN_WRITE = 1,
  X7_NET_TCP_SHUTDOWN_BOTH = 2
};

X7_API x7_result x7_net_tcp_wait_readable_v1(int32_t *pout);  /* 1 */
X7_API x7_result x7_net_tcp_wait_writable_v1(int32_t *pout);  /* 2 */
X7_API x7_result x7_net_tcp_wait_hangup_v1(int32_t *pout);    /* 4 */
X7_API x7_result x7_net_tcp_shutdown_read_v1(int32_t *pout);  /* 0 */
X7_API x7_result x7_net_tcp_shutdown_write_v1(int32_t *pout); /* 1 */
X7_API x7_result x7_net_tcp_shutdown_both_v1(int32_t *pout);  /* 2 */

/* Stream handle of a TcpConnectDocV1 (len >= 8), else 0. */
X7_API x7_result x7_net_tcp_connect_stream_handle_v1(struct x7_view doc,
                                                     int32_t *pout);
/* Listener handle of a TcpListenDocV1 (len >= 12), else 0. */
X7_API x7_result x7_net_tcp_listen_listener_handle_v1(struct x7_view doc,
                                                      int32_t *pout);
/* Bound NetAddrV1 of a TcpListenDocV1 (exact length), else empty. */
X7_API x7_result x7_net_tcp_listen_bound_addr_v1(struct x7_view doc,
                                                 struct x7_bytes *pout);
/* Stream handle of a TcpAcceptDocV1 (len >= 12), else 0. */
X7_API x7_result x7_net_tcp_accept_stream_handle_v1(struct x7_view doc,
                                                    int32_t *pout);
/* Peer NetAddrV1 of a TcpAcceptDocV1 (exact length), else empty. */
X7_API x7_result x7_net_tcp_accept_peer_addr_v1(struct x7_view doc,
                                                struct x7_bytes *pout);
/* Payload of a StreamReadDocV1 (exact length), else empty.  Empty is also
 * the payload of an ok read at EOF. */
X7_API x7_result x7_net_tcp_stream_read_payload_v1(struct x7_view doc,
                                                   struct x7_bytes *pout);
/* bytes_written of a StreamWriteDocV1 (len >= 8), else 0. */
X7_API x7_result x7_net_tcp_stream_write_bytes_written_v1(struct x7_view doc,
                                                          int32_t *pout);
/* events of a StreamWaitDocV1 (len >= 8), else 0. */
X7_API x7_result x7_net_tcp_stream_wait_events_v1(struct x7_view doc,
                                                  int32_t *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_TCP_H */
