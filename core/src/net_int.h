/*
 * net_int.h - internal helpers shared by the std.net twins: building the
 * common docs, so each module does not grow its own copy.
 */
#ifndef X7_NET_INT_H
#define X7_NET_INT_H

#include "core_int.h"

/* *pout = NetErrDocV1(code).  X7_OK / X7_ENOMEM. */
x7_result x7__net_err_doc(int32_t code, struct x7_bytes *pout);

/* Code of an error doc (len >= 5 and byte 0 == 0), else 0. */
int32_t x7__net_err_code(struct x7_view doc);

/* The NetAddrV1 validation of std.net.codec.addr_tag_v1: 1, 2, 3 or 0. */
int32_t x7__net_addr_tag(struct x7_view addr);

/* The 4-byte header of every socket ok doc: 01 01 00 00. */
#define X7__SOCK_OK_HDR_LEN 4
static inline int x7__sock_ok_hdr(struct x7_view d) {
  return d.len >= 2 && d.ptr[0] == 1 && d.ptr[1] == 1;
}

#endif /* X7_NET_INT_H */
