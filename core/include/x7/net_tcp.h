/*
 * net_tcp.h - std.net.tcp: accessors of the TCP result docs, the event
 * and shutdown constants and the I/O twins (spec §2.4, §3.4, §5.4-§5.6).
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
 * Accessors and constants: X7_OK on success; X7_EINVAL when an
 * out-pointer is NULL or a view has ptr NULL with len > 0; X7_ENOMEM when
 * an output buffer cannot be allocated.  On any failure a bytes output is
 * left empty.  Bytes outputs are owned by the caller (x7_bytes_free).
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
 * Handles are 1..4096 in one table shared with std.net.tls and
 * std.net.udp, lowest free slot first.  Every twin taking caps reads a
 * NetCapsV1 with the shim's rules: shorter than 24 bytes (empty too) =
 * defaults; otherwise exactly 24 bytes, ver 1, zero fields defaulted,
 * timeouts <= 600000 ms, byte limits <= 64 MiB, else INVALID_REQ(2).
 * Sockets are non-blocking and every wait is a poll() with the caps'
 * timeout.  Handles that are out of range, free, closed or of another
 * kind -> INVALID_REQ(2).
 *
 * Threads: every twin is thread-safe.  One thread may read a stream while
 * another writes it; a close or drop from another thread makes an
 * operation blocked on that handle return at once (it then sees the end
 * of the stream or an error), and the socket is released when that
 * operation is done with it.
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

/* ---- I/O (backend) ---- */

/* connect_v1: addr is any NetAddrV1 (a name is resolved and its addresses
 * tried in order, each with the full connect timeout).  TcpConnectDocV1.
 * Errors: 2 (caps, addr), 5 (resolver), 3 (timeout), 6 (refused,
 * unreachable ...), 8 (handle table full, internal). */
X7_API x7_result x7_net_tcp_connect_v1(struct x7_view addr,
                                       struct x7_view caps,
                                       struct x7_bytes *pout);
/* listen_v1: addr must be an IP NetAddrV1 (a name -> 2, E9); port 0 binds
 * an ephemeral port, reported in the bound address.  SO_REUSEADDR,
 * backlog 128.  TcpListenDocV1.  Errors: 2, 6 (bind/listen), 8. */
X7_API x7_result x7_net_tcp_listen_v1(struct x7_view addr, struct x7_view caps,
                                      struct x7_bytes *pout);
/* accept_v1: waits up to io_timeout_ms for a connection on a listener.
 * TcpAcceptDocV1 with the peer's address.  Errors: 2, 3, 6, 8. */
X7_API x7_result x7_net_tcp_accept_v1(int32_t listener, struct x7_view caps,
                                      struct x7_bytes *pout);
/* stream_read_v1 (TCP or TLS stream): waits up to io_timeout_ms, then one
 * read of at most min(max_bytes, max_read_bytes) bytes (a negative
 * max_bytes counts as huge).  StreamReadDocV1; EOF (and max_bytes 0) ->
 * ok with an EMPTY payload, the stream stays open.  Errors: 2, 3, 6, 7
 * (TLS, including a peer that closed without close_notify), 8. */
X7_API x7_result x7_net_tcp_stream_read_v1(int32_t handle, int32_t max_bytes,
                                           struct x7_view caps,
                                           struct x7_bytes *pout);
/* stream_write_v1 (TCP or TLS): data longer than max_write_bytes ->
 * TOO_LARGE(4) (checked after the handle); else waits up to io_timeout_ms
 * and makes ONE write, which may be partial on TCP (TLS writes are
 * all-or-nothing).  StreamWriteDocV1 with the count.  Empty data -> ok(0).
 * Never raises SIGPIPE: a reset peer -> 6 (TLS: 7).  A TLS write that
 * timed out may have sent part of its records: retry with the same data.
 * Errors: 2, 3, 4, 6, 7, 8. */
X7_API x7_result x7_net_tcp_stream_write_v1(int32_t handle,
                                            struct x7_view data,
                                            struct x7_view caps,
                                            struct x7_bytes *pout);
/* stream_wait_v1: poll for events (X7_NET_TCP_WAIT_READABLE / WRITABLE
 * bits; other bits ignored) for timeout_ms (< 0 -> 2, E7; 0 = just look).
 * StreamWaitDocV1 with the events seen (1 readable, 2 writable, 4 hangup
 * or error), events 0 on timeout.  A TLS stream with decrypted bytes
 * pending is readable at once.  Errors: 2, 8. */
X7_API x7_result x7_net_tcp_stream_wait_v1(int32_t handle, int32_t events,
                                           int32_t timeout_ms,
                                           struct x7_bytes *pout);
/* stream_shutdown_v1: how 0 read, 1 write, 2 both; TCP streams only.
 * *pout 1 ok, 0 otherwise (TLS handle, bad how, bad handle, failure). */
X7_API x7_result x7_net_tcp_stream_shutdown_v1(int32_t handle, int32_t how,
                                               int32_t *pout);
/* stream_close_v1 (TCP or TLS): close the socket (TLS: one close_notify),
 * keep the slot, so later use of the handle -> 2.  *pout 1, or 0 when the
 * handle is not an open stream.  stream_drop_v1: close if needed and free
 * the slot for reuse; *pout 1, or 0 when it is not an allocated stream. */
X7_API x7_result x7_net_tcp_stream_close_v1(int32_t handle, int32_t *pout);
X7_API x7_result x7_net_tcp_stream_drop_v1(int32_t handle, int32_t *pout);
/* The same for listeners. */
X7_API x7_result x7_net_tcp_listener_close_v1(int32_t handle, int32_t *pout);
X7_API x7_result x7_net_tcp_listener_drop_v1(int32_t handle, int32_t *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_TCP_H */
