/* net_ws.c - std.net.ws X7WS frame documents (spec §2.14, §6.1). */
#include <x7/net_ws.h>

#include "net_int.h"

#define HDR X7_NET_WS_FRAME_HDR_LEN
#define VER_OFF 4
#define OPCODE_OFF 8
#define FLAGS_OFF 12
#define LEN_OFF 16

static const uint8_t magic[4] = {'X', '7', 'W', 'S'};

/* result_bytes prologue: reset both outputs before anything can fail. */
#define OUT_RESULT(pout, perr)                \
  do {                                        \
    if (pout) x7__bytes_reset(pout);          \
    if (perr) *(perr) = 0;                    \
    if (!(pout) || !(perr)) return X7_EINVAL; \
  } while (0)

x7_result x7_net_ws_frame_v1(int32_t opcode, int32_t fin,
                             struct x7_view payload, struct x7_bytes *pout,
                             int32_t *perr) {
  uint8_t hdr[HDR];
  struct x7__buf b;
  OUT_RESULT(pout, perr);
  X7__IN_VIEW(payload);
  if (opcode < 0 || opcode > 15) {
    *perr = X7_NET_WS_ERR_OPCODE;
    return X7_OK;
  }
  if (fin != 0 && fin != 1) {
    *perr = X7_NET_WS_ERR_FIN;
    return X7_OK;
  }
  if (payload.len > (size_t)INT32_MAX) {
    *perr = X7_NET_WS_ERR_LENGTH;
    return X7_OK;
  }
  memcpy(hdr, magic, sizeof magic);
  x7__wr32(hdr + VER_OFF, 1);
  x7__wr32(hdr + OPCODE_OFF, (uint32_t)opcode);
  x7__wr32(hdr + FLAGS_OFF, (uint32_t)fin);
  x7__wr32(hdr + LEN_OFF, (uint32_t)payload.len);
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, HDR + payload.len)) return x7__buf_finish(&b, pout);
  x7__buf_add(&b, hdr, sizeof hdr);
  x7__buf_add(&b, payload.ptr, payload.len);
  return x7__buf_finish(&b, pout);
}

static int frame_valid(struct x7_view f) {
  int32_t n;
  if (f.len < HDR || memcmp(f.ptr, magic, sizeof magic) != 0 ||
      x7__rdi32(f.ptr + VER_OFF) != 1)
    return 0;
  n = x7__rdi32(f.ptr + LEN_OFF);
  return n >= 0 && f.len - HDR == (size_t)n;
}

x7_result x7_net_ws_frame_is_valid_v1(struct x7_view frame, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(frame);
  *pout = frame_valid(frame);
  return X7_OK;
}

x7_result x7_net_ws_frame_opcode_v1(struct x7_view frame, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(frame);
  *pout = frame_valid(frame) ? x7__rdi32(frame.ptr + OPCODE_OFF) : -1;
  return X7_OK;
}

x7_result x7_net_ws_frame_fin_v1(struct x7_view frame, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(frame);
  *pout =
      frame_valid(frame) ? (int32_t)(x7__rd32(frame.ptr + FLAGS_OFF) & 1) : -1;
  return X7_OK;
}

x7_result x7_net_ws_frame_payload_v1(struct x7_view frame,
                                     struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(frame);
  if (!frame_valid(frame)) return X7_OK;
  return x7__bytes_dup(frame.ptr + HDR, frame.len - HDR, pout);
}
