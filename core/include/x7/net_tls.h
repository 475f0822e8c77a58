/*
 * net_tls.h - std.net.tls: TlsClientCfgV1 helpers and the connect-doc
 * accessor (spec §2.5, §3.5).  connect_v1 needs a backend and is declared
 * elsewhere.
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
 * All functions: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated.  On any failure a bytes output is left empty.
 * Bytes outputs are owned by the caller (x7_bytes_free).
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

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_TLS_H */
