/*
 * sock_int.h - the internal side of the socket documents (spec §2.3-§2.5).
 *
 * Three groups, all implemented in sock_docs.c:
 *  - packers the backends use to build the ok forms of the socket result
 *    docs (DnsLookupDocV1 ... UdpRecvDocV1), byte for byte what the
 *    upstream sockets shim writes;
 *  - the shim's own parsing of NetCapsV1 and TlsClientCfgV1, which is
 *    stricter than the x07-side accessors and answers with a net error
 *    code (0 = accepted);
 *  - the two accessor primitives shared by std.net.{dns,tcp,udp,tls}.
 */
#ifndef X7_SOCK_INT_H
#define X7_SOCK_INT_H

#include <x7/net_tls.h>

#include "net_int.h"

/* ---- NetCapsV1 as the shim reads it (§2.3) ---- */

#define X7__SOCK_TIMEOUT_MAX_MS 600000u /* connect and io timeouts */
#define X7__SOCK_BYTES_MAX 67108864u    /* max_read / max_write */
/* The shim never reports more DNS results than this (§5.3). */
#define X7__SOCK_DNS_MAX_ADDRS 64

struct x7__sock_caps {
  uint32_t connect_timeout_ms;
  uint32_t io_timeout_ms;
  uint32_t max_read_bytes;
  uint32_t max_write_bytes;
};

/* The shim defaults (30 s, 30 s, 1 MiB, 1 MiB). */
void x7__sock_caps_default(struct x7__sock_caps *out);

/* Parse caps with the shim rules: shorter than 24 bytes (empty too) means
 * all defaults; otherwise exactly 24 bytes with ver 1; a zero field takes
 * its default; a field above its hard maximum is refused (fields are read
 * unsigned, so a value >= 2^31 is above the maximum).  The reserved word
 * is not checked.
 * Returns 0 with *out filled, or X7_NET_ERR_INVALID_REQ with *out holding
 * the defaults. */
int32_t x7__sock_caps_parse(struct x7_view caps, struct x7__sock_caps *out);

/* 0 when a payload of len bytes may be written under c, else
 * X7_NET_ERR_TOO_LARGE: max_write_bytes is a limit, never a clamp. */
int32_t x7__sock_caps_check_write(const struct x7__sock_caps *c, size_t len);

/* ---- TlsClientCfgV1 as the shim reads it (§2.5) ---- */

#define X7__SOCK_TLS_SNI_MAX X7_NET_TLS_SNI_MAX

struct x7__sock_tls_cfg {
  int verify_peer;    /* 0 or 1 */
  struct x7_view sni; /* borrowed from cfg or fallback_sni; may be empty */
};

/* Validate cfg with the shim rules.  Empty cfg = defaults (verify on, SNI
 * from the address).  Otherwise: at least 16 bytes, ver 1, verify_peer 0
 * or 1, sni_len <= 1024, no NUL in the SNI, reserved word 0 and total
 * length exactly 16 + sni_len.  An empty SNI falls back to fallback_sni,
 * which the caller sets to the DNS name of the destination (empty for an
 * IP address).  Verification without any SNI is refused, so an IP
 * destination needs verify_peer 0 or an explicit SNI.
 * Returns 0 with *out filled (views borrowed from the inputs), or
 * X7_NET_ERR_INVALID_REQ with *out = {1, empty}. */
int32_t x7__sock_tls_cfg_parse(struct x7_view cfg, struct x7_view fallback_sni,
                               struct x7__sock_tls_cfg *out);

/* ---- packers for the ok docs (§2.4) ----
 * Each writes a fresh doc starting 01 01 00 00 to *pout (caller frees).
 * Address arguments must be well-formed NetAddrV1 of tag 1 or 2 (what a
 * backend gets from the kernel); counts, handles and lengths must fit a
 * non-negative i32 so upstream can read them back.
 * Results: X7_OK; X7_EINVAL (NULL pout, bad view, address not an IP
 * NetAddrV1); X7_ERANGE (a value or length >= 2^31); X7_ENOMEM.  On any
 * failure *pout is empty. */
x7_result x7__sock_dns_doc(const struct x7_view *addrs, size_t n,
                           struct x7_bytes *pout);
x7_result x7__sock_tcp_connect_doc(uint32_t stream_handle,
                                   struct x7_bytes *pout);
x7_result x7__sock_tcp_listen_doc(uint32_t listener_handle,
                                  struct x7_view bound_addr,
                                  struct x7_bytes *pout);
x7_result x7__sock_tcp_accept_doc(uint32_t stream_handle,
                                  struct x7_view peer_addr,
                                  struct x7_bytes *pout);
x7_result x7__sock_stream_read_doc(struct x7_view payload,
                                   struct x7_bytes *pout);
x7_result x7__sock_stream_write_doc(size_t bytes_written,
                                    struct x7_bytes *pout);
x7_result x7__sock_stream_wait_doc(uint32_t events, struct x7_bytes *pout);
x7_result x7__sock_udp_bind_doc(uint32_t sock_handle,
                                struct x7_view bound_addr,
                                struct x7_bytes *pout);
x7_result x7__sock_udp_send_doc(size_t bytes_sent, struct x7_bytes *pout);
x7_result x7__sock_udp_recv_doc(struct x7_view from_addr,
                                struct x7_view payload, struct x7_bytes *pout);

/* ---- accessor primitives (x07-side strictness, §2.4) ---- */

/* The u32 at offset 4 of an ok doc (byte 0 == 1, byte 1 == 1) that is at
 * least min_len bytes long, read as upstream's signed i32 (a stored value
 * >= 2^31 comes out negative); 0 for any other doc.  The total length is
 * not checked. */
int32_t x7__sock_doc_i32(struct x7_view doc, size_t min_len);

/* The length-prefixed tail of an ok doc: len is the u32 at len_off, the
 * bytes start at len_off + 4 and must end exactly at the end of the doc.
 * *pout = those bytes, or empty when the header, the length (negative as
 * an i32) or the total length is wrong.  X7_OK / X7_ENOMEM. */
x7_result x7__sock_doc_tail(struct x7_view doc, size_t len_off,
                            struct x7_bytes *pout);

#endif /* X7_SOCK_INT_H */
