/*
 * net_codec.h - std.net.codec: NetAddrV1 (spec §2.2) and NetCapsV1 (§2.3).
 *
 * Constructors return empty bytes for out-of-range input, exactly like
 * upstream; accessors return 0/empty (addresses) or the documented
 * default (caps) for malformed docs and never read outside the view.
 *
 * All functions: X7_OK on success; X7_EINVAL when an out-pointer is NULL
 * or a view has ptr NULL with len > 0; X7_ENOMEM when an output buffer
 * cannot be allocated.  On any failure a bytes output is left empty.
 * Bytes outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_CODEC_H
#define X7_NET_CODEC_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

enum x7_net_addr_tag {
  X7_NET_ADDR_IPV4 = 1,
  X7_NET_ADDR_IPV6 = 2,
  X7_NET_ADDR_DNS = 3
};

#define X7_NET_ADDR_DNS_MAX 1024
#define X7_NET_CAPS_LEN 24

/* NetCapsV1 defaults of caps_default_v1. */
#define X7_NET_CAPS_DEFAULT_CONNECT_TIMEOUT_MS 30000
#define X7_NET_CAPS_DEFAULT_IO_TIMEOUT_MS 30000
#define X7_NET_CAPS_DEFAULT_MAX_READ_BYTES 1048576
#define X7_NET_CAPS_DEFAULT_MAX_WRITE_BYTES 1048576

/* ---- NetAddrV1 constructors: empty bytes when out of range ---- */
/* a..d must be 0..255 and port 0..65535. */
X7_API x7_result x7_net_codec_addr_ipv4_v1(int32_t a, int32_t b, int32_t c,
                                           int32_t d, int32_t port,
                                           struct x7_bytes *pout);
/* ip16 must be exactly 16 bytes (network order); port 0..65535. */
X7_API x7_result x7_net_codec_addr_ipv6_v1(struct x7_view ip16, int32_t port,
                                           struct x7_bytes *pout);
/* name must be 1..1024 bytes without NUL; port 0..65535. */
X7_API x7_result x7_net_codec_addr_dns_v1(struct x7_view name, int32_t port,
                                          struct x7_bytes *pout);

/* ---- NetAddrV1 accessors ---- */
/* The validated tag (1, 2, 3) or 0 when addr is not a well-formed
 * NetAddrV1 (ver 1, port in range, exact length for its tag). */
X7_API x7_result x7_net_codec_addr_tag_v1(struct x7_view addr, int32_t *pout);
X7_API x7_result x7_net_codec_addr_tag_ipv4_v1(int32_t *pout); /* 1 */
X7_API x7_result x7_net_codec_addr_tag_ipv6_v1(int32_t *pout); /* 2 */
X7_API x7_result x7_net_codec_addr_tag_dns_v1(int32_t *pout);  /* 3 */
/* Port of a valid address, else 0. */
X7_API x7_result x7_net_codec_addr_port_v1(struct x7_view addr, int32_t *pout);
/* Raw 4 / 16 address bytes or the name; empty on invalid doc or another
 * tag. */
X7_API x7_result x7_net_codec_addr_ipv4_bytes_v1(struct x7_view addr,
                                                 struct x7_bytes *pout);
X7_API x7_result x7_net_codec_addr_ipv6_bytes_v1(struct x7_view addr,
                                                 struct x7_bytes *pout);
X7_API x7_result x7_net_codec_addr_dns_name_v1(struct x7_view addr,
                                               struct x7_bytes *pout);

/* ---- NetCapsV1 ---- */
/* Negative arguments are stored as 0. */
X7_API x7_result x7_net_codec_caps_v1(int32_t connect_timeout_ms,
                                      int32_t io_timeout_ms,
                                      int32_t max_read_bytes,
                                      int32_t max_write_bytes,
                                      struct x7_bytes *pout);
/* caps_v1(30000, 30000, 1048576, 1048576). */
X7_API x7_result x7_net_codec_caps_default_v1(struct x7_bytes *pout);
/* Field accessors: the default when caps is shorter than 24 bytes or its
 * ver is not 1; else the stored value (0 stays 0); a stored value >= 2^31
 * gives the default. */
X7_API x7_result x7_net_codec_caps_connect_timeout_ms_v1(struct x7_view caps,
                                                         int32_t *pout);
X7_API x7_result x7_net_codec_caps_io_timeout_ms_v1(struct x7_view caps,
                                                    int32_t *pout);
X7_API x7_result x7_net_codec_caps_max_read_bytes_v1(struct x7_view caps,
                                                     int32_t *pout);
X7_API x7_result x7_net_codec_caps_max_write_bytes_v1(struct x7_view caps,
                                                      int32_t *pout);
/* caps_v1(1, 1, max_read(caps), max_write(caps)): the 1 ms poll caps the
 * async task wrappers use. */
X7_API x7_result x7_net_codec_caps_poll_from_v1(struct x7_view caps,
                                                struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_CODEC_H */
