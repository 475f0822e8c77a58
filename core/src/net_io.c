/* net_io.c - std.net.io.write_all_v1 (spec §3.7), a loop over the
 * stream_write_v1 twin exactly as the upstream x07 code loops. */
#include <x7/net_err.h>
#include <x7/net_io.h>
#include <x7/net_tcp.h>

#include "sock_int.h"

#define WRITE_DOC_LEN 8

x7_result x7_net_io_write_all_v1(int32_t handle, struct x7_view data,
                                 struct x7_view caps, struct x7_bytes *pout) {
  size_t total = 0;
  X7__OUT_BYTES(pout);
  X7__IN_VIEW(data);
  X7__IN_VIEW(caps);
  while (total < data.len) {
    struct x7_bytes doc = {0};
    size_t left = data.len - total;
    int32_t n;
    /* The whole remainder each time, as upstream: see net_io.h. */
    x7_result r = x7_net_tcp_stream_write_v1(
        handle, x7__sub(data, total, left), caps, &doc);
    if (r) return r;
    /* std.net.err.is_err_doc_v1: byte 0 of a non-empty doc is 0. */
    if (doc.len && doc.ptr[0] == 0) {
      *pout = doc;
      return X7_OK;
    }
    n = x7__sock_doc_i32(x7_bytes_view(&doc), WRITE_DOC_LEN);
    x7_bytes_free(&doc);
    if (n <= 0) return x7__net_err_doc(X7_NET_ERR_CONNECT, pout);
    if ((size_t)n > left) return x7__net_err_doc(X7_NET_ERR_INTERNAL, pout);
    total += (size_t)n;
  }
  return x7__sock_stream_write_doc(total, pout);
}
