/*
 * x7_backend.h - the one backend vtable every std.net call goes through.
 *
 * A backend is a `static const struct x7_backend_ops` with designated
 * initialisers.  `version` comes first and the struct only ever grows at
 * the end: a backend built against version N leaves later slots absent,
 * and the core checks `version` before touching any slot newer than 1.
 * Optional slots left NULL get core defaults at registration, so dispatch
 * never tests for NULL.
 *
 * Selection (frozen on first use, process-wide):
 *   x7_backend_select() > X07_NET_BACKEND environment variable > "live".
 *
 * Ownership: ops structs and their strings are borrowed for the life of
 * the process (they are normally static const).  Request views passed to
 * a backend are borrowed for the duration of the call only.
 */
#ifndef X7_BACKEND_H
#define X7_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_BACKEND_OPS_V1 1
#define X7_BACKEND_OPS_MAX X7_BACKEND_OPS_V1
#define X7_BACKEND_NAME_MAX 32

/* Capability bits: what a backend can do, so tests can skip() cleanly. */
enum x7_backend_cap {
  X7_BACKEND_CAP_HTTP = 1u << 0,     /* http_fetch over http:// */
  X7_BACKEND_CAP_TLS = 1u << 1,      /* https:// with verification */
  X7_BACKEND_CAP_HTTP2 = 1u << 2,    /* can negotiate HTTP/2 */
  X7_BACKEND_CAP_HERMETIC = 1u << 3, /* never touches the network */
  X7_BACKEND_CAP_RECORDS = 1u << 4,  /* writes a cassette */
  X7_BACKEND_CAP_FILE = 1u << 5,     /* file:// URLs */
  X7_BACKEND_CAP_SOCKETS = 1u << 6,  /* DNS, TCP and UDP socket ops */
  X7_BACKEND_CAP_TLS_STREAMS = 1u << 7 /* tls_connect (needs SOCKETS) */
};

/* One HTTP request, decoded and validated by the core from an HttpReqV1
 * (spec §2.8) before any backend sees it.  All views borrow the caller's
 * document.  Limits are already range-checked and defaulted:
 * timeout_s 1..600, max_redirects 1..100 when follow_location is set. */
struct x7_http_fetch {
  uint32_t method;          /* X7_NET_HTTP_METHOD_* (net_http_spec.h) */
  struct x7_view url;       /* no NUL bytes */
  struct x7_view headers;   /* canonical HttpHeadersTableV1 */
  struct x7_view body;      /* empty for GET/HEAD */
  uint32_t follow_location; /* 0 or 1 */
  uint32_t timeout_s;
  uint32_t max_redirects;
  uint32_t max_header_bytes; /* 0 disables header capture */
  uint32_t max_headers;      /* 0 disables header capture */
  uint32_t max_body_bytes;   /* 0: any non-empty body is TOO_LARGE */
  struct x7_view out_path;   /* empty: body in memory (resp v2); else the
                                safe relative path of a to-file fetch (v3) */
};

/* Perform one fetch.  On X7_OK *presp holds the whole response doc: an
 * HttpResp v2/v3 ok doc or a 9-byte NetErrDocV1 (codes 2..8; 1 only when
 * the core's sandbox policy, asked by the backend, refused a redirect hop
 * or a resolved address).  Any other
 * result is a library failure (X7_ENOMEM ...) and *presp stays empty. */
typedef x7_result x7_backend_http_fetch_fn(const struct x7_http_fetch *req,
                                           struct x7_bytes *presp);
/* Called once per process before the first op of this backend. */
typedef x7_result x7_backend_global_init_fn(void);

/* ---- sockets: std.net.dns / tcp / tls / udp (spec §5) ----
 *
 * Handles are the upstream socket handles 1..X7_SOCK_HANDLES_MAX, one
 * table per backend shared by every kind, lowest free slot first; close
 * keeps the slot, drop frees it.  The core validates every argument in
 * the order the upstream shim did before it calls an op: caps are parsed
 * and defaulted, sizes checked against them, addresses are well-formed
 * NetAddrV1 (tag 1 or 2, or 3 where a name is allowed: 1..1024 bytes, no
 * NUL), handles are in range and sock_kind() said they are open and of
 * the right kind, max_bytes is already clamped to caps->max_read_bytes.
 * An op still re-checks its handle (another thread may have closed it)
 * and answers INVALID_REQ(2) for one that is no longer open.
 *
 * Doc ops write the whole result doc to *pdoc on X7_OK: the ok form of
 * spec §2.4 or a 9-byte NetErrDocV1 (codes 2..8; 1 only when the core's
 * sandbox policy refused the addresses a name resolved to - backends
 * resolve through it and never decide themselves).  Any other result
 * (X7_ENOMEM ...) is a library failure with *pdoc empty.  Ops never
 * raise SIGPIPE and every descriptor they create is close-on-exec. */
#define X7_SOCK_HANDLES_MAX 4096

/* Handle kinds, as bits so one mask can name "any stream". */
enum x7_sock_kind {
  X7_SOCK_TCP = 1u << 0,      /* TCP stream */
  X7_SOCK_LISTENER = 1u << 1, /* TCP listener */
  X7_SOCK_UDP = 1u << 2,      /* UDP socket */
  X7_SOCK_TLS = 1u << 3,      /* TLS client stream */
  X7_SOCK_STREAM = X7_SOCK_TCP | X7_SOCK_TLS
};

/* NetCapsV1 after the shim's parsing: zero fields already replaced by the
 * defaults, every field within its hard maximum. */
struct x7_sock_caps {
  uint32_t connect_timeout_ms; /* 1..600000 */
  uint32_t io_timeout_ms;      /* 1..600000 */
  uint32_t max_read_bytes;     /* 1..67108864 */
  uint32_t max_write_bytes;    /* 1..67108864 */
};

/* A validated TlsClientCfgV1.  sni is never empty when verify_peer is 1;
 * it is the explicit SNI of the cfg or else the DNS name of the
 * destination, and may be an IP literal (optionally in brackets), which
 * the backend verifies as an IP and does not send as SNI. */
struct x7_tls_client {
  int verify_peer;    /* 0 or 1 */
  struct x7_view sni; /* no NUL, at most 1024 bytes; may be empty */
};

/* name: 1..1024 bytes, no NUL; port 1..65535.  DnsLookupDocV1. */
typedef x7_result x7_backend_dns_lookup_fn(struct x7_view name, uint32_t port,
                                           const struct x7_sock_caps *caps,
                                           struct x7_bytes *pdoc);
/* addr: tag 1, 2 or 3.  TcpConnectDocV1. */
typedef x7_result x7_backend_tcp_connect_fn(struct x7_view addr,
                                            const struct x7_sock_caps *caps,
                                            struct x7_bytes *pdoc);
/* addr: tag 1, 2 or 3.  TcpConnectDocV1 whose handle is a TLS stream. */
typedef x7_result x7_backend_tls_connect_fn(struct x7_view addr,
                                            const struct x7_tls_client *tls,
                                            const struct x7_sock_caps *caps,
                                            struct x7_bytes *pdoc);
/* addr: tag 1 or 2.  TcpListenDocV1 / UdpBindDocV1. */
typedef x7_result x7_backend_sock_bind_fn(struct x7_view addr,
                                          const struct x7_sock_caps *caps,
                                          struct x7_bytes *pdoc);
/* TcpAcceptDocV1. */
typedef x7_result x7_backend_tcp_accept_fn(uint32_t listener,
                                           const struct x7_sock_caps *caps,
                                           struct x7_bytes *pdoc);
/* StreamReadDocV1 / UdpRecvDocV1; max_bytes <= caps->max_read_bytes. */
typedef x7_result x7_backend_sock_read_fn(uint32_t handle, uint32_t max_bytes,
                                          const struct x7_sock_caps *caps,
                                          struct x7_bytes *pdoc);
/* data.len <= caps->max_write_bytes.  StreamWriteDocV1. */
typedef x7_result x7_backend_stream_write_fn(uint32_t handle,
                                             struct x7_view data,
                                             const struct x7_sock_caps *caps,
                                             struct x7_bytes *pdoc);
/* events: X7_NET_TCP_WAIT_* bits.  StreamWaitDocV1 (events 0 on
 * timeout). */
typedef x7_result x7_backend_stream_wait_fn(uint32_t handle, uint32_t events,
                                            uint32_t timeout_ms,
                                            struct x7_bytes *pdoc);
/* how: 0 read, 1 write, 2 both; TCP streams only.  1 ok, 0 failed. */
typedef int32_t x7_backend_stream_shutdown_fn(uint32_t handle, int how);
/* Close (keep the slot) or drop (free the slot) a handle whose kind is in
 * the mask `kinds`.  1 done, 0 when the handle is not alive, of another
 * kind or (close only) already closed. */
typedef int32_t x7_backend_sock_release_fn(uint32_t handle, unsigned kinds);
/* The kind of an open handle (one enum x7_sock_kind bit), 0 when the
 * handle is free, closed or out of range. */
typedef unsigned x7_backend_sock_kind_fn(uint32_t handle);
/* addr: tag 1, 2 or 3; payload.len <= caps->max_write_bytes.
 * UdpSendDocV1. */
typedef x7_result x7_backend_udp_sendto_fn(uint32_t handle,
                                           struct x7_view addr,
                                           struct x7_view payload,
                                           const struct x7_sock_caps *caps,
                                           struct x7_bytes *pdoc);

struct x7_backend_ops {
  int version;      /* X7_BACKEND_OPS_V1 */
  const char *name; /* unique, lower case, 1..X7_BACKEND_NAME_MAX bytes */
  unsigned caps;    /* enum x7_backend_cap bits */
  x7_backend_global_init_fn *global_init; /* optional */
  x7_backend_http_fetch_fn *http_fetch;   /* required with CAP_HTTP */
  /* ---- sockets (still version 1): all required with CAP_SOCKETS, except
   * tls_connect, required with CAP_TLS_STREAMS.  Left NULL, a doc op
   * returns X7_ENOTSUPPORTED (no doc), sock_kind says 0 (so handle ops
   * answer INVALID_REQ) and shutdown/close/drop return 0. */
  x7_backend_dns_lookup_fn *dns_lookup;
  x7_backend_tcp_connect_fn *tcp_connect;
  x7_backend_tls_connect_fn *tls_connect;
  x7_backend_sock_bind_fn *tcp_listen;
  x7_backend_tcp_accept_fn *tcp_accept;
  x7_backend_sock_read_fn *stream_read;
  x7_backend_stream_write_fn *stream_write;
  x7_backend_stream_wait_fn *stream_wait;
  x7_backend_stream_shutdown_fn *stream_shutdown;
  x7_backend_sock_release_fn *sock_close;
  x7_backend_sock_release_fn *sock_drop;
  x7_backend_sock_kind_fn *sock_kind;
  x7_backend_sock_bind_fn *udp_bind;
  x7_backend_udp_sendto_fn *udp_sendto;
  x7_backend_sock_read_fn *udp_recvfrom;
  /* fields above: version 1 */
};

/* Add a backend to the registry.
 * X7_OK; X7_EINVAL (NULL, bad name, version 0, missing required slot);
 * X7_ENOTSUPPORTED (version newer than X7_BACKEND_OPS_MAX);
 * X7_EEXIST (a backend of that name, case-insensitive, exists);
 * X7_ETOOLATE (the selection is frozen: some op already ran);
 * X7_ERANGE (registry full). */
X7_API x7_result x7_backend_register(const struct x7_backend_ops *ops);

/* Choose the backend by name, overriding X07_NET_BACKEND.
 * X7_OK; X7_EINVAL (NULL); X7_ENOTFOUND (no such backend);
 * X7_ETOOLATE (already frozen on another backend; selecting the frozen
 * one again is X7_OK). */
X7_API x7_result x7_backend_select(const char *name);

/* The backend in use, freezing the choice if it was not yet frozen.
 * *pname is a static string.  X7_OK; X7_EINVAL (NULL pname);
 * X7_ENOTFOUND (X07_NET_BACKEND names no registered backend: the message
 * from x7_backend_errmsg() says which names exist); X7_ENOTBUILT (the
 * default backend is not compiled in). */
X7_API x7_result x7_backend_current(const char **pname);

/* Capability bits of a registered backend.  X7_OK, X7_EINVAL,
 * X7_ENOTFOUND. */
X7_API x7_result x7_backend_caps(const char *name, unsigned *pcaps);

/* Names of all registered backends, comma separated, in registration
 * order.  The string belongs to the calling thread and stays valid until
 * that thread calls x7_backend_names() again. */
X7_API const char *x7_backend_names(void);

/* A human explanation of the calling thread's last selection failure
 * (x7_backend_select, x7_backend_current or any op that froze the
 * choice), or "".  Owned by the library; valid until that thread's next
 * failure. */
X7_API const char *x7_backend_errmsg(void);

#ifdef __cplusplus
}
#endif
#endif /* X7_BACKEND_H */
