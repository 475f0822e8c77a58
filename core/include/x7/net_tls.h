/*
 * net_tls.h - std.net.tls: TlsClientCfgV1 helpers, the connect-doc
 * accessor and connect_v1 (spec §2.5, §3.5, §5.7).
 *
 * TlsClientCfgV1 = ver u32 1, verify_peer u32, sni_len u32, sni bytes,
 * reserved u32 0; total exactly 16 + sni_len.  An EMPTY cfg means the
 * defaults (verify the peer, SNI from a DNS-name address), which is why
 * client_cfg_v1 falling back to empty bytes on bad input is upstream's
 * (surprising) behaviour, kept here.
 *
 * The accessors follow upstream's x07 code, which checks only the
 * structure, not everything the backend checks: client_cfg_sni_v1 returns
 * the SNI of any cfg with ver 1, sni_len 0..1024 and the exact total
 * length, even if verify_peer is not 0/1, the reserved word is non-zero
 * or the SNI holds a NUL.  Such a cfg is still refused by connect_v1
 * with INVALID_REQ(2).
 *
 * Helpers and accessors: X7_OK on success; X7_EINVAL when an out-pointer
 * is NULL or a view has ptr NULL with len > 0; X7_ENOMEM when an output
 * buffer cannot be allocated.  On any failure a bytes output is left
 * empty.  Bytes outputs are owned by the caller (x7_bytes_free).
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
 */
#ifndef X7_NET_TLS_H
#define X7_NET_TLS_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

#define X7_NET_TLS_SNI_MAX 1024

/* A TlsClientCfgV1 with verify_peer normalised to 0/1 (any non-zero value
 * is 1).  EMPTY bytes -- i.e. the defaults -- when sni is longer than
 * 1024 bytes or contains a NUL.  An empty sni gives the 16-byte cfg. */
X7_API x7_result x7_net_tls_client_cfg_v1(int32_t verify_peer,
                                          struct x7_view sni,
                                          struct x7_bytes *pout);

/* 0 only for a cfg of at least 16 bytes with ver 1 and verify_peer 0;
 * 1 for everything else (empty, short, other ver, any non-zero value).
 * The total length is not checked. */
X7_API x7_result x7_net_tls_client_cfg_verify_peer_v1(struct x7_view cfg,
                                                      int32_t *pout);

/* The SNI bytes of a cfg with ver 1, sni_len 0..1024 and total length
 * exactly 16 + sni_len; empty otherwise (see the note above). */
X7_API x7_result x7_net_tls_client_cfg_sni_v1(struct x7_view cfg,
                                              struct x7_bytes *pout);

/* Same as x7_net_tcp_connect_stream_handle_v1: the handle of a
 * TcpConnectDocV1 (01 01 .., len >= 8) as a signed i32, else 0. */
X7_API x7_result x7_net_tls_connect_stream_handle_v1(struct x7_view doc,
                                                     int32_t *pout);

/* ---- I/O (backend) ---- */

/* connect_v1: a TCP connect exactly as x7_net_tcp_connect_v1, then a TLS
 * client handshake (each wait bounded by connect_timeout_ms).  The handle
 * of the TcpConnectDocV1 is a TLS stream that works with every
 * x7_net_tcp_stream_* twin except shutdown (-> 0).
 *
 * tls_cfg: empty = verify the peer, SNI from a DNS-name address; else a
 * TlsClientCfgV1 checked with the shim's rules (ver 1, verify_peer 0/1,
 * sni_len <= 1024, no NUL, reserved 0, exact length) -> 2 otherwise.
 * Verification on with no name to verify -- an IP address and no explicit
 * SNI, empty cfg included -- -> INVALID_REQ(2) before connecting (E1).
 *
 * Verification checks the chain against X07_NET_CA_FILE if set (that
 * bundle only), else the system store (SSL_CERT_FILE / SSL_CERT_DIR are
 * honoured), and the name: a DNS name as the host (no partial wildcards),
 * an IP literal (brackets allowed) as an IP address.  SNI is sent only
 * for DNS names.  TLS 1.2 is the minimum (upstream allowed 1.0).
 *
 * Errors: 2, 3 (connect or handshake timeout), 5, 6, 7 (handshake or
 * verification failure), 8. */
X7_API x7_result x7_net_tls_connect_v1(struct x7_view addr,
                                       struct x7_view tls_cfg,
                                       struct x7_view caps,
                                       struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_TLS_H */
