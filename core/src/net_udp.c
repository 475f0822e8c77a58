/* net_udp.c - std.net.udp doc accessors (spec §2.4, §3.6). */
#include <x7/net_udp.h>

#include "sock_int.h"

#define SHORT_DOC 8 /* header + one u32 */
#define ADDR_DOC 12 /* header + handle + addr_len */
#define ADDR_LEN_OFF 8
#define RECV_ADDR_LEN_OFF 4
#define RECV_ADDR_OFF 8

x7_result x7_net_udp_bind_sock_handle_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = x7__sock_doc_i32(doc, ADDR_DOC);
  return X7_OK;
}

x7_result x7_net_udp_bind_bound_addr_v1(struct x7_view doc,
                                        struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  return x7__sock_doc_tail(doc, ADDR_LEN_OFF, pout);
}

x7_result x7_net_udp_send_bytes_sent_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = x7__sock_doc_i32(doc, SHORT_DOC);
  return X7_OK;
}

/* Split a UdpRecvDocV1 into its two parts.  Both accessors insist on the
 * whole layout adding up, so neither can return bytes of a doc the other
 * would call malformed. */
static int recv_split(struct x7_view doc, struct x7_view *addr,
                      struct x7_view *payload) {
  int32_t addr_len, payload_len;
  size_t off;
  if (doc.len < ADDR_DOC || !x7__sock_ok_hdr(doc)) return 0;
  addr_len = x7__rdi32(doc.ptr + RECV_ADDR_LEN_OFF);
  if (addr_len < 0 || doc.len - RECV_ADDR_OFF < (size_t)addr_len + 4) return 0;
  off = RECV_ADDR_OFF + (size_t)addr_len;
  payload_len = x7__rdi32(doc.ptr + off);
  if (payload_len < 0 || doc.len - off - 4 != (size_t)payload_len) return 0;
  *addr = x7__sub(doc, RECV_ADDR_OFF, (size_t)addr_len);
  *payload = x7__sub(doc, off + 4, (size_t)payload_len);
  return 1;
}

x7_result x7_net_udp_recv_payload_v1(struct x7_view doc,
                                     struct x7_bytes *pout) {
  struct x7_view addr, payload;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  if (!recv_split(doc, &addr, &payload)) return X7_OK;
  return x7__bytes_dup(payload.ptr, payload.len, pout);
}

x7_result x7_net_udp_recv_from_addr_v1(struct x7_view doc,
                                       struct x7_bytes *pout) {
  struct x7_view addr, payload;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(doc);
  if (!recv_split(doc, &addr, &payload)) return X7_OK;
  return x7__bytes_dup(addr.ptr, addr.len, pout);
}
