/* net_err.c - std.net.err twins (spec §2.1, §3.1). */
#include <x7/net_err.h>

#include "net_int.h"

#define ERR_CONST(fn, value)            \
  x7_result fn(int32_t *pout) {         \
    X7__OUT_I32(pout);                  \
    *pout = (value);                    \
    return X7_OK;                       \
  }

ERR_CONST(x7_net_err_code_policy_denied_v1, X7_NET_ERR_POLICY_DENIED)
ERR_CONST(x7_net_err_code_invalid_req_v1, X7_NET_ERR_INVALID_REQ)
ERR_CONST(x7_net_err_code_timeout_v1, X7_NET_ERR_TIMEOUT)
ERR_CONST(x7_net_err_code_too_large_v1, X7_NET_ERR_TOO_LARGE)
ERR_CONST(x7_net_err_code_dns_v1, X7_NET_ERR_DNS)
ERR_CONST(x7_net_err_code_connect_v1, X7_NET_ERR_CONNECT)
ERR_CONST(x7_net_err_code_tls_v1, X7_NET_ERR_TLS)
ERR_CONST(x7_net_err_code_internal_v1, X7_NET_ERR_INTERNAL)

x7_result x7__net_err_doc(int32_t code, struct x7_bytes *pout) {
  uint8_t doc[X7_NET_ERR_DOC_LEN] = {0};
  x7__wr32(doc + 1, (uint32_t)code);
  return x7__bytes_dup(doc, sizeof doc, pout);
}

x7_result x7_net_err_make_doc_v1(int32_t code, struct x7_bytes *pout) {
  X7__OUT_BYTES(pout);
  return x7__net_err_doc(code, pout);
}

x7_result x7_net_err_is_err_doc_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = doc.len >= 1 && doc.ptr[0] == 0;
  return X7_OK;
}

int32_t x7__net_err_code(struct x7_view doc) {
  if (doc.len < 5 || doc.ptr[0] != 0) return 0;
  return x7__rdi32(doc.ptr + 1);
}

x7_result x7_net_err_err_code_v1(struct x7_view doc, int32_t *pout) {
  X7__OUT_I32(pout);
  X7__IN_VIEW(doc);
  *pout = x7__net_err_code(doc);
  return X7_OK;
}
