/* net_grpc.c - std.net.grpc message framing (spec §2.15, §6.2). */
#include <x7/net_grpc.h>

#include "net_int.h"

#define PREFIX X7_NET_GRPC_PREFIX_LEN

/* result_bytes prologue: reset both outputs before anything can fail. */
#define OUT_RESULT(pout, perr)                \
  do {                                        \
    if (pout) x7__bytes_reset(pout);          \
    if (perr) *(perr) = 0;                    \
    if (!(pout) || !(perr)) return X7_EINVAL; \
  } while (0)

/* gRPC is the one big-endian field in the stack. */
static uint32_t rd32be(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

x7_result x7_net_grpc_msg_prefix_v1(int32_t compressed_flag,
                                    struct x7_view msg, struct x7_bytes *pout,
                                    int32_t *perr) {
  uint8_t hdr[PREFIX];
  struct x7__buf b;
  OUT_RESULT(pout, perr);
  X7__IN_VIEW(msg);
  if (compressed_flag != 0 && compressed_flag != 1) {
    *perr = X7_NET_GRPC_ERR_PREFIX_FLAG;
    return X7_OK;
  }
  if (msg.len > (size_t)INT32_MAX) {
    *perr = X7_NET_GRPC_ERR_PREFIX_LENGTH;
    return X7_OK;
  }
  hdr[0] = (uint8_t)compressed_flag;
  hdr[1] = (uint8_t)(msg.len >> 24);
  hdr[2] = (uint8_t)(msg.len >> 16);
  hdr[3] = (uint8_t)(msg.len >> 8);
  hdr[4] = (uint8_t)msg.len;
  x7__buf_init(&b);
  if (x7__buf_reserve(&b, PREFIX + msg.len)) return x7__buf_finish(&b, pout);
  x7__buf_add(&b, hdr, sizeof hdr);
  x7__buf_add(&b, msg.ptr, msg.len);
  return x7__buf_finish(&b, pout);
}

static int32_t flag_of(struct x7_view f) {
  return f.len >= 1 && f.ptr[0] <= 1 ? f.ptr[0] : -1;
}

static int32_t len_of(struct x7_view f) {
  return f.len >= PREFIX ? x7__as_i32(rd32be(f.ptr + 1)) : -1;
}

x7_result x7_net_grpc_msg_compressed_flag_v1(struct x7_view frame,
                                             int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(frame);
  *pout = flag_of(frame);
  return X7_OK;
}

x7_result x7_net_grpc_msg_len_v1(struct x7_view frame, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(frame);
  *pout = len_of(frame);
  return X7_OK;
}

x7_result x7_net_grpc_msg_unprefix_v1(struct x7_view frame,
                                      struct x7_bytes *pout, int32_t *perr) {
  int32_t n;
  OUT_RESULT(pout, perr);
  X7__IN_VIEW(frame);
  if (frame.len < PREFIX) {
    *perr = X7_NET_GRPC_ERR_UNPREFIX_SHORT;
    return X7_OK;
  }
  if (flag_of(frame) < 0) {
    *perr = X7_NET_GRPC_ERR_UNPREFIX_FLAG;
    return X7_OK;
  }
  n = len_of(frame);
  if (n < 0) {
    *perr = X7_NET_GRPC_ERR_UNPREFIX_LENGTH;
    return X7_OK;
  }
  if (frame.len - PREFIX != (size_t)n) {
    *perr = X7_NET_GRPC_ERR_UNPREFIX_SIZE;
    return X7_OK;
  }
  return x7__bytes_dup(frame.ptr + PREFIX, (size_t)n, pout);
}
