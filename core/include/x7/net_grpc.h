/*
 * net_grpc.h - std.net.grpc: the gRPC length-prefixed message framing
 * (spec §2.15, §6.2): compressed_flag u8 (0/1), length u32 BIG-endian,
 * message.  unary_from_arch_v1 is declared elsewhere.
 *
 * Functions returning upstream's result_bytes write (*pout, *perr): on
 * success *perr = 0 and *pout holds the bytes; on a refused input *perr
 * holds the upstream error code and *pout is empty.
 *
 * All functions: X7_OK on success (including a refused input, which is
 * data in *perr); X7_EINVAL when an out-pointer is NULL or a view has ptr
 * NULL with len > 0; X7_ENOMEM when an output buffer cannot be allocated.
 * On any failure the bytes output is left empty and *perr is 0.  Bytes
 * outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_GRPC_H
#define X7_NET_GRPC_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (upstream numbering). */
enum x7_net_grpc_err {
  X7_NET_GRPC_ERR_PREFIX_FLAG = 8401,     /* flag not 0 or 1 */
  X7_NET_GRPC_ERR_PREFIX_LENGTH = 8402,   /* message of 2^31 bytes or more */
  X7_NET_GRPC_ERR_UNPREFIX_SHORT = 8501,  /* frame shorter than 5 bytes */
  X7_NET_GRPC_ERR_UNPREFIX_FLAG = 8502,   /* byte 0 not 0 or 1 */
  X7_NET_GRPC_ERR_UNPREFIX_LENGTH = 8503, /* length >= 2^31 */
  X7_NET_GRPC_ERR_UNPREFIX_SIZE = 8504    /* frame is not exactly 5 + length */
};

#define X7_NET_GRPC_PREFIX_LEN 5

/* flag byte + BE length + msg.  8401 for a flag other than 0/1, 8402 for
 * a message of 2^31 bytes or more (unreachable upstream). */
X7_API x7_result x7_net_grpc_msg_prefix_v1(int32_t compressed_flag,
                                           struct x7_view msg,
                                           struct x7_bytes *pout,
                                           int32_t *perr);

/* Byte 0 when it is 0 or 1; -1 for any other value or an empty frame. */
X7_API x7_result x7_net_grpc_msg_compressed_flag_v1(struct x7_view frame,
                                                    int32_t *pout);

/* The big-endian u32 at offset 1 as a signed i32 (>= 2^31 comes back
 * negative, as upstream); -1 when the frame is shorter than 5 bytes.
 * Neither the flag nor the total length is checked. */
X7_API x7_result x7_net_grpc_msg_len_v1(struct x7_view frame, int32_t *pout);

/* The message of a frame; errors, first match wins: 8501 shorter than 5
 * bytes, 8502 bad flag, 8503 length >= 2^31, 8504 total length not
 * exactly 5 + length (no trailing data allowed). */
X7_API x7_result x7_net_grpc_msg_unprefix_v1(struct x7_view frame,
                                             struct x7_bytes *pout,
                                             int32_t *perr);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_GRPC_H */
