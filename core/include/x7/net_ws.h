/*
 * net_ws.h - std.net.ws: the "X7WS" frame DOCUMENT of upstream (spec §2.14,
 * §6.1).  This is NOT the RFC 6455 wire format: no masking, no variable
 * length header.  It is the doc upstream code passes around, kept for
 * byte compatibility.
 *
 * WsFrameV1 = "X7WS", ver u32 1, opcode u32, flags u32 (bit 0 = FIN),
 * payload_len u32, payload.  A frame is valid iff it is at least 20 bytes,
 * has the magic and ver 1, payload_len < 2^31 and the total length is
 * exactly 20 + payload_len; opcode and flags are not validated.
 *
 * frame_v1 returns upstream's result_bytes as (*pout, *perr): on success
 * *perr = 0 and *pout holds the frame; on a refused argument *perr holds
 * the upstream error code and *pout is empty.
 *
 * All functions: X7_OK on success (including a refused argument, which is
 * data in *perr); X7_EINVAL when an out-pointer is NULL or a view has ptr
 * NULL with len > 0; X7_ENOMEM when an output buffer cannot be allocated.
 * On any failure the bytes output is left empty and *perr is 0.  Bytes
 * outputs are owned by the caller (x7_bytes_free).
 */
#ifndef X7_NET_WS_H
#define X7_NET_WS_H

#include <stdint.h>
#include <x7/x7_bytes.h>
#include <x7/x7_export.h>
#include <x7/x7_result.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes of frame_v1 (upstream numbering). */
enum x7_net_ws_err {
  X7_NET_WS_ERR_OPCODE = 8201, /* opcode not in 0..15 */
  X7_NET_WS_ERR_FIN = 8202,    /* fin not 0 or 1 */
  X7_NET_WS_ERR_LENGTH = 8203  /* payload of 2^31 bytes or more */
};

#define X7_NET_WS_FRAME_HDR_LEN 20

/* Build a frame doc.  Checks in upstream order: opcode (8201), fin
 * (8202), then the payload length (8203; unreachable upstream, where a
 * view cannot reach 2^31 bytes). */
X7_API x7_result x7_net_ws_frame_v1(int32_t opcode, int32_t fin,
                                    struct x7_view payload,
                                    struct x7_bytes *pout, int32_t *perr);

/* 1 if frame is a valid frame doc (see above), else 0. */
X7_API x7_result x7_net_ws_frame_is_valid_v1(struct x7_view frame,
                                             int32_t *pout);

/* The stored opcode of a valid frame as a signed i32 (a stored value
 * >= 2^31 comes back negative, as upstream); -1 for an invalid frame. */
X7_API x7_result x7_net_ws_frame_opcode_v1(struct x7_view frame,
                                           int32_t *pout);

/* flags & 1 of a valid frame (0 or 1); -1 for an invalid frame. */
X7_API x7_result x7_net_ws_frame_fin_v1(struct x7_view frame, int32_t *pout);

/* The payload of a valid frame; empty for an invalid frame. */
X7_API x7_result x7_net_ws_frame_payload_v1(struct x7_view frame,
                                            struct x7_bytes *pout);

#ifdef __cplusplus
}
#endif
#endif /* X7_NET_WS_H */
